"""Signing a test client in to the pages, and reading what a page says."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient

from pathway import clock
from pathway.people import passwords, sign_in
from pathway.people.users import create_user
from pathway.store.db import unit_of_work
from pathway.store.models import Login

PASSWORD = "a long enough test passphrase"


def sign_in_as(client: FlaskClient, db_url: str, role: str, *, units: list[str] | None = None,
               name: str | None = None, member_id: int | None = None) -> None:
    """Start a signed-in session for a new user of ``role`` (all units unless ``units``;
    a member's own account with ``member_id``)."""
    with unit_of_work(db_url) as s:
        user, _ = create_user(s, name or f"{role}-page-user", role, unit_codes=units,
                              all_units=role in ("coordinator", "training_lead", "viewer")
                              and not units, member_id=member_id)
        sign_in.set_password(s, user, PASSWORD)
        login = s.get(Login, user.id)
        assert login is not None
        user_id, fingerprint = user.id, passwords.fingerprint(login.password_hash)
    now = clock.now().timestamp()
    with client.session_transaction() as session:
        session.update({"user_id": user_id, "password": fingerprint, "signed_in_at": now,
                        "seen_at": now})


def text(page: str) -> str:
    """The words of a page, without markup, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def element_text(page: str, element_id: str) -> str:
    """The words inside the element with this id (its tag closed at the first match)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page, re.S)
    assert found, f"no element with id {element_id!r}"
    return text(found.group(2))


def field_value(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    assert found, f"no input named {name!r}"
    return html.unescape(found.group(1))


def form_data(page: str, **fields: Any) -> dict[str, Any]:
    """The page's CSRF token and the version the form was drawn from, with ``fields``."""
    data: dict[str, Any] = {"csrf_token": field_value(page, "csrf_token")}
    if 'name="expected_version"' in page:
        data["expected_version"] = field_value(page, "expected_version")
    data.update(fields)
    return data


def buttons(page: str) -> list[str]:
    """What the page offers as buttons: <button>s and links shown as buttons."""
    found = re.findall(r"<button\b[^>]*>(.*?)</button>", page, re.S)
    found += re.findall(r'<a\b[^>]*role="button"[^>]*>(.*?)</a>', page, re.S)
    return [text(b) for b in found]
