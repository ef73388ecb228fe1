"""Signing in and out in a real browser, and what a stranger to the service sees."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.browser.conftest import PageServer, sign_in_as, submit

pytestmark = pytest.mark.slow


def test_a_stranger_sees_what_pathway_is_and_a_way_to_sign_in(page, server, assert_accessible):
    page.goto(server.url + "/")
    assert page.title().startswith("Pathway")
    assert page.get_by_role("heading", name="Pathway", exact=True).is_visible()
    assert_accessible(page)
    submit(page, "Sign in")
    assert page.url.endswith("/sign-in")
    assert page.title() == "Sign in – Pathway"
    assert_accessible(page)


def test_each_role_signs_in_to_its_own_home_with_sign_out_in_the_header(page, server, sign_in):
    homes = {"coordinator": "/units", "training_lead": "/units", "viewer": "/reports",
             "member": "/me", "admin": "/admin"}
    for role, home in homes.items():
        sign_in(page, role)
        assert page.url == server.url + home, role
        submit(page, "Sign out")
        assert page.get_by_text("You have signed out.").is_visible()


def test_a_wrong_password_gets_one_message_that_does_not_say_which_was_wrong(
        page, server, assert_accessible):
    user = server.users["coordinator"]
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("not the password at all")
    submit(page, "Sign in")
    summary = page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    assert "username or password is not right" in summary.inner_text()
    page.get_by_label("Username").fill("nobody-of-that-name")
    page.get_by_label("Password").fill("not the password at all")
    submit(page, "Sign in")
    assert "username or password is not right" in summary.inner_text()
    assert page.title() == "Error: Sign in – Pathway"
    assert_accessible(page)


def test_signing_out_ends_the_session(page, server, sign_in):
    sign_in(page, "member")
    submit(page, "Sign out")
    page.goto(server.url + "/me")
    assert "/sign-in" in page.url


def test_a_page_asked_for_before_signing_in_opens_after_it(page, server):
    page.goto(server.url + "/me")
    assert "/sign-in" in page.url
    user = server.users["member"]
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    submit(page, "Sign in")
    assert page.url == server.url + "/me"


def _fail_once(page, server: PageServer, username: str) -> None:
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a guess that is wrong")
    submit(page, "Sign in")


def test_ten_failures_lock_the_username_even_for_the_right_password_across_a_restart(
        page, server, assert_accessible):
    user = server.create_user("browser-locked-out", "viewer", "--all-units")
    for _ in range(10):
        _fail_once(page, server, user.username)
    assert "locked" in page.locator(".nhsuk-error-summary").inner_text()
    # Counted in the database: a restarted server (new workers) still refuses the right one.
    server.restart()
    page.goto(server.url + "/sign-in")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    submit(page, "Sign in")
    assert "/sign-in" in page.url
    message = page.locator(".nhsuk-error-summary").inner_text()
    assert "too many attempts" in message
    assert "minute" in message
    assert page.get_by_label("Password").is_visible()  # the form is still there
    assert_accessible(page)
    # Another username is not affected.
    sign_in_as(page, server, server.users["viewer"])


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(server):
    user = server.users["admin"]
    body = urllib.parse.urlencode({"username": user.username, "password": user.password}).encode()
    request = urllib.request.Request(server.url + "/sign-in", data=body,  # noqa: S310
                                     method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310 (loopback http)
    assert refused.value.code == 400
    page_text = refused.value.read().decode()
    assert "nothing was changed" in page_text
    assert "Set-Cookie" not in refused.value.headers or "pathway_session" not in (
        refused.value.headers.get("Set-Cookie") or "")


def test_pages_carry_the_security_headers_and_the_session_cookie_flags(page, server, sign_in):
    answer = page.goto(server.url + "/sign-in")
    headers = answer.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"
    sign_in(page, "member")
    cookie = next(c for c in page.context.cookies() if c["name"] == "pathway_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
