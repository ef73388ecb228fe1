"""An administrator's pages in a browser: units, and people with their invitation links."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PageUser, sign_in_as, submit

pytestmark = pytest.mark.slow


def test_an_admin_adds_a_coordinator_whose_invitation_link_sets_their_password(
        page, server, sign_in, browser, assert_accessible):
    sign_in(page, "admin")
    assert page.title() == "Administration – Pathway"
    assert_accessible(page)
    page.get_by_label("Name", exact=True).first.fill("Rhian Evans")
    page.get_by_label("Coordinator").check()
    page.locator("#add-person ~ form").get_by_role("checkbox").nth(1).check()
    submit(page, "Add person")
    assert page.get_by_text("Rhian Evans has been added").is_visible()
    link = page.locator("#invitation-link").inner_text()
    assert "/invite/" in link
    assert_accessible(page)
    # The link is shown once: the admin page does not show it again.
    page.goto(server.url + "/admin")
    assert page.locator("#invitation-link").count() == 0

    invited = browser.new_context().new_page()
    invited.goto(link)
    assert_accessible(invited)
    invited.get_by_label("Password", exact=True).fill("short")
    invited.get_by_label("Password again").fill("short")
    submit(invited, "Set password")
    assert "at least 12 characters" in invited.locator(".nhsuk-error-summary").inner_text()
    assert_accessible(invited)
    password = "rhian keeps the ward garden"
    invited.get_by_label("Password", exact=True).fill(password)
    invited.get_by_label("Password again").fill(password)
    submit(invited, "Set password")
    assert invited.get_by_text("Your password is set").is_visible()
    sign_in_as(invited, server, PageUser("rhian evans", password, "coordinator"))
    assert invited.url == server.url + "/units"
    invited.goto(link)
    assert invited.get_by_role("heading", name="This link no longer works").is_visible()
    invited.context.close()


def test_an_admin_revokes_a_person_who_is_signed_out_at_once(page, server, sign_in, browser):
    person = server.create_user("browser-to-revoke", "viewer", "--all-units")
    their_page = browser.new_context().new_page()
    sign_in_as(their_page, server, person)
    sign_in(page, "admin")
    submit(page, "Revoke browser-to-revoke")
    assert page.get_by_text("Revoked browser-to-revoke").is_visible()
    their_page.goto(server.url + "/reports")
    assert "/sign-in" in their_page.url
    their_page.get_by_label("Username").fill(person.username)
    their_page.get_by_label("Password").fill(person.password)
    submit(their_page, "Sign in")
    assert "username or password is not right" in their_page.locator(
        ".nhsuk-error-summary").inner_text()
    their_page.context.close()


def test_an_admin_adds_and_renames_a_unit(page, server, sign_in, assert_accessible):
    sign_in(page, "admin")
    page.get_by_label("Code").fill("browser-house")
    page.locator("#unit-name").fill("Browser House")
    page.get_by_label("Kind").select_option(label="Step down")
    submit(page, "Add unit")
    assert page.get_by_text("Added the unit Browser House.").is_visible()
    submit(page, "Change Browser House", role="link")
    assert_accessible(page)
    page.get_by_label("Name").fill("Browser House (step-down)")
    submit(page, "Save changes")
    assert page.get_by_text("Saved the unit Browser House (step-down).").is_visible()


def test_a_reset_gives_a_new_link_and_the_old_password_stops_working(page, server, sign_in,
                                                                   browser):
    person = server.create_user("browser-forgetful", "viewer", "--all-units")
    sign_in(page, "admin")
    submit(page, "Send a new invitation to browser-forgetful")
    assert page.locator("#invitation-link").inner_text().startswith(server.url + "/invite/")
    other = browser.new_context().new_page()
    other.goto(server.url + "/sign-in")
    other.get_by_label("Username").fill(person.username)
    other.get_by_label("Password").fill(person.password)
    submit(other, "Sign in")
    assert "/sign-in" in other.url
    other.context.close()
