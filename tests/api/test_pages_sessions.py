"""The pages' session: timeouts, the cookie, CSRF on pages only, role pages, logs without secrets."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import timedelta

import pytest
from click.testing import CliRunner

from pathway import clock
from pathway.cli import cli
from pathway.config import stored_secret_key
from pathway.people import sign_in
from pathway.people.users import create_user
from pathway.store.db import unit_of_work

PASSWORD = "the kettle on ward seven sings"


@pytest.fixture
def viewer(db_url, unit):
    unit("cefn-yr-afon")
    with unit_of_work(db_url) as s:
        user, _ = create_user(s, "Vera", "viewer", all_units=True)
        sign_in.set_password(s, user, PASSWORD)


def csrf(page: bytes) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.decode())
    assert found
    return found.group(1)


def sign_in_page(client, username="vera", password=PASSWORD):
    token = csrf(client.get("/sign-in").data)
    return client.post("/sign-in", data={"csrf_token": token, "username": username,
                                         "password": password})


def test_signing_in_sets_an_httponly_lax_cookie_and_goes_home(client, viewer):
    answer = sign_in_page(client)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/reports"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("pathway_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_cookie_is_secure_when_the_service_is_behind_https(db_url, monkeypatch):
    from api import create_app

    monkeypatch.setenv("PATHWAY_SECURE_COOKIES", "1")
    app = create_app({"DATABASE_URL": db_url, "TESTING": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_an_idle_session_ends_and_says_why(client, viewer, monkeypatch):
    sign_in_page(client)
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(minutes=31))
    answer = client.get("/reports")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/sign-in")
    assert "expired=1" in answer.headers["Location"]
    assert b"had not used Pathway for a while" in client.get(answer.headers["Location"]).data


def test_a_used_session_still_ends_after_twelve_hours(client, viewer, monkeypatch):
    sign_in_page(client)
    start = clock.now()
    for minutes in range(25, 12 * 60, 25):  # busy all day, never idle for long
        monkeypatch.setattr(clock, "now", lambda m=minutes: start + timedelta(minutes=m))
        assert client.get("/").headers["Location"] == "/reports"
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=12, minutes=1))
    answer = client.get("/reports")
    assert answer.headers["Location"].startswith("/sign-in")


def test_a_page_form_without_the_csrf_token_changes_nothing(client, viewer):
    answer = client.post("/sign-in", data={"username": "vera", "password": PASSWORD})
    assert answer.status_code == 400
    assert b"nothing was changed" in answer.data
    assert client.get("/reports").status_code == 302  # still not signed in


def test_the_json_api_needs_no_csrf_token(client, auth, unit):
    answer = client.post("/api/v1/units", json={"code": "ty-bryn", "name": "Tŷ Bryn",
                                                "kind": "step_down"}, headers=auth("admin"))
    assert answer.status_code == 201


def test_a_page_for_another_role_is_not_found(client, viewer):
    sign_in_page(client)
    for path in ("/admin", "/me"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert b"Page not found" in answer.data


def test_an_unknown_address_is_a_page_for_browsers_and_json_for_the_api(client):
    assert b"Page not found" in client.get("/no-such-page").data
    assert client.get("/api/v1/no-such-thing").get_json()["code"] == 404


def test_every_page_carries_the_security_headers(client):
    answer = client.get("/sign-in")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_failed_sign_in_is_logged_without_the_password(client, viewer, capfd):
    capfd.readouterr()
    sign_in_page(client, password="my secret guess 123")
    sign_in_page(client)
    logged = capfd.readouterr().err
    assert "my secret guess 123" not in logged
    assert PASSWORD not in logged
    events = [json.loads(line).get("event") for line in logged.splitlines() if line.startswith("{")]
    assert "sign_in_failed" in events
    assert "sign_in" in events


def test_the_secret_key_is_made_once_and_kept_private(tmp_path):
    first = stored_secret_key(tmp_path)
    assert stored_secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_the_command_line_sets_passwords_without_echo(db_url, capfd):
    runner = CliRunner()
    env = {"DATABASE_URL": db_url}
    created = runner.invoke(cli, ["users", "create", "Alys", "--role", "admin",
                                  "--password-stdin"], input=PASSWORD + "\n", env=env)
    assert created.exit_code == 0, created.output
    assert PASSWORD not in created.output
    refused = runner.invoke(cli, ["users", "set-password", "Alys"],
                            input="short\nshort\n", env=env)
    assert refused.exit_code != 0
    assert "at least 12 characters" in refused.output
    changed = runner.invoke(cli, ["users", "set-password", "Alys"],
                            input="a new long passphrase\na new long passphrase\n", env=env)
    assert changed.exit_code == 0, changed.output
    assert "a new long passphrase" not in changed.output
    with unit_of_work(db_url) as s:
        assert sign_in.attempt(s, "alys", "a new long passphrase").outcome is \
            sign_in.Outcome.SIGNED_IN
