"""The member's voice in a browser: their view of a move and something they did, on /me, and
a coordinator confirming it on the member's page (axe on every page)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import submit

pytestmark = pytest.mark.slow


def test_a_member_adds_their_view_of_a_move(page, server, sign_in, assert_accessible):
    sign_in(page, "member")
    moves = page.locator("#my-moves-table")
    assert moves.is_visible()
    assert_accessible(page)
    with page.expect_navigation():
        moves.get_by_role("link").first.click()
    assert "/me/moves/" in page.url
    assert page.title() == "Add my view – My pathway – Pathway"
    assert_accessible(page)
    submit(page, "Save my view")  # nothing chosen: refused, with the error summary
    assert page.title().startswith("Error: ")
    assert page.locator(".nhsuk-error-summary").get_by_role("link",
                                                            name="Choose Yes or No.").is_visible()
    assert_accessible(page)
    page.get_by_label("No", exact=True).check()
    page.get_by_label("In your own words").fill("I wanted a few more weeks first.")
    submit(page, "Save my view")
    assert page.url.startswith(server.url + "/me")
    assert "Your view has been added to your history." in page.locator("main").inner_text()
    assert "Does not agree: “I wanted a few more weeks first.”" in moves.first.inner_text()
    assert_accessible(page)


def test_a_member_records_something_they_did(page, server, sign_in, assert_accessible):
    sign_in(page, "member")
    submit(page, "Record something I did")
    assert page.title() == "Record something I did – My pathway – Pathway"
    assert_accessible(page)
    chosen = page.get_by_label("Which milestone")
    last = chosen.locator("option").count() - 1  # not the demo's declined claim (earlier)
    title = chosen.locator("option").nth(last).inner_text()
    chosen.select_option(index=last)
    page.get_by_label("What happened").fill("I chaired part of the community meeting.")
    submit(page, "Send to my coordinator")
    claims = page.locator("main").inner_text()
    assert f"{title}" in claims
    assert "Waiting for confirmation" in claims
    assert "Not confirmed" in claims  # the demo's declined claim, with its reason
    assert "The reason: " in claims
    assert_accessible(page)


def test_a_coordinator_confirms_a_claim_on_the_members_page(page, server, sign_in,
                                                            assert_accessible):
    sign_in(page, "coordinator")
    page.goto(f"{server.url}/members/{server.member_id}")
    waiting = page.locator("#claims-table")
    assert waiting.is_visible()
    title = waiting.locator("tbody tr td").first.inner_text()
    assert_accessible(page)
    with page.expect_navigation():
        waiting.locator("tbody tr").first.get_by_role("button").click()
    assert "Claim confirmed: the milestone is recorded." in page.locator("main").inner_text()
    assert_accessible(page)
    row = page.locator("table tr", has_text=title).first
    assert "Confirmed by browser-coordinator" in row.inner_text()
    page.goto(f"{server.url}/units/{server.unit_code}/claims")
    assert page.title().startswith("To confirm – ")
    assert_accessible(page)
