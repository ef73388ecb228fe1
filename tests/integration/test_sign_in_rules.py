"""Signing in: the same caller a token gives, lockout counted in the database, invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pathway import clock
from pathway.errors import InvalidInput, NotFound
from pathway.people import sign_in
from pathway.people.sign_in import Outcome
from pathway.people.users import caller_for, create_user
from pathway.store.db import unit_of_work
from pathway.store.models import Login, SignInFailure, User

PASSWORD = "the kettle on ward seven sings"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.postgres


@pytest.fixture
def at(monkeypatch):
    """Set the clock: ``at(minutes)`` is that many minutes after 09:00 on 2 March 2026."""
    def move(minutes: float) -> None:
        monkeypatch.setattr(clock, "now", lambda: START + timedelta(minutes=minutes))

    move(0)
    return move


@pytest.fixture
def rhian(db_url, unit):
    unit("cefn-yr-afon")
    with unit_of_work(db_url) as s:
        user, token = create_user(s, "Rhian", "coordinator", unit_codes=["cefn-yr-afon"])
        sign_in.set_password(s, user, PASSWORD)
    return token


def attempt(db_url, username, password):
    with unit_of_work(db_url) as s:
        return sign_in.attempt(s, username, password)


def test_the_right_password_gives_the_same_caller_as_the_token(db_url, rhian):
    signed = attempt(db_url, "  RHIAN ", PASSWORD)
    assert signed.outcome is Outcome.SIGNED_IN
    with unit_of_work(db_url, write=False) as s:
        by_token = caller_for(s, rhian)
    assert by_token is not None
    assert signed.caller is not None
    assert (signed.caller.user_id, signed.caller.role, signed.caller.unit_ids) == (
        by_token.user_id, by_token.role, by_token.unit_ids)


def test_a_wrong_password_and_an_unknown_username_fail_alike(db_url, rhian):
    assert attempt(db_url, "rhian", "not the password").outcome is Outcome.WRONG
    assert attempt(db_url, "nobody", PASSWORD).outcome is Outcome.WRONG


def test_ten_failures_in_fifteen_minutes_lock_the_username_for_fifteen_minutes(db_url, rhian, at):
    for minute in range(10):
        at(minute)
        result = attempt(db_url, "rhian", "not the password")
    assert result.outcome is Outcome.LOCKED
    at(9 + 14)
    locked = attempt(db_url, "rhian", PASSWORD)
    assert locked.outcome is Outcome.LOCKED
    assert locked.locked_until == START + timedelta(minutes=9 + 15)
    at(9 + 15.01)
    assert attempt(db_url, "rhian", PASSWORD).outcome is Outcome.SIGNED_IN


def test_failures_older_than_fifteen_minutes_no_longer_count(db_url, rhian, at):
    for minute in range(9):
        at(minute)
        attempt(db_url, "rhian", "not the password")
    at(8 + 16)
    assert attempt(db_url, "rhian", "not the password").outcome is Outcome.WRONG
    assert attempt(db_url, "rhian", PASSWORD).outcome is Outcome.SIGNED_IN


def test_an_unknown_username_locks_too_so_locking_tells_nothing(db_url, at):
    for _ in range(10):
        result = attempt(db_url, "nobody", "a guess")
    assert result.outcome is Outcome.LOCKED


def test_signing_in_clears_the_failures_and_none_holds_the_password(db_url, rhian):
    attempt(db_url, "rhian", "not the password")
    with unit_of_work(db_url, write=False) as s:
        assert s.scalar(select(func.count()).select_from(SignInFailure)) == 1
        assert "not the password" not in str(s.scalars(select(SignInFailure)).one().__dict__)
    attempt(db_url, "rhian", PASSWORD)
    with unit_of_work(db_url, write=False) as s:
        assert s.scalar(select(func.count()).select_from(SignInFailure)) == 0


def test_a_revoked_user_cannot_sign_in_and_their_session_ends(db_url, rhian):
    signed = attempt(db_url, "rhian", PASSWORD)
    with unit_of_work(db_url) as s:
        s.scalars(select(User)).one().revoked_at = clock.now()
    assert attempt(db_url, "rhian", PASSWORD).outcome is Outcome.WRONG
    with unit_of_work(db_url, write=False) as s:
        assert signed.caller is not None
        assert sign_in.signed_in_caller(s, signed.caller.user_id, signed.fingerprint) is None


def test_an_invitation_sets_the_password_once(db_url, unit):
    unit("cefn-yr-afon")
    with unit_of_work(db_url) as s:
        user, _ = create_user(s, "Sam", "viewer", all_units=True)
        link = sign_in.create_invitation(s, user, "admin")
    with unit_of_work(db_url) as s, pytest.raises(InvalidInput, match="12 characters"):
        sign_in.accept_invitation(s, link, "too short")
    with unit_of_work(db_url) as s:
        sign_in.accept_invitation(s, link, PASSWORD)
    assert attempt(db_url, "sam", PASSWORD).outcome is Outcome.SIGNED_IN
    with unit_of_work(db_url) as s, pytest.raises(NotFound, match="used"):
        sign_in.accept_invitation(s, link, "another long passphrase")


def test_an_invitation_expires_after_seven_days(db_url, at):
    with unit_of_work(db_url) as s:
        user, _ = create_user(s, "Sam", "admin")
        link = sign_in.create_invitation(s, user, "admin")
    at(7 * 24 * 60 + 1)
    with unit_of_work(db_url) as s, pytest.raises(NotFound, match="expired"):
        sign_in.open_invitation(s, link)


def test_a_reset_forgets_the_password_signs_out_and_replaces_earlier_links(db_url, rhian):
    signed = attempt(db_url, "rhian", PASSWORD)
    with unit_of_work(db_url) as s:
        user = s.scalars(select(User)).one()
        first = sign_in.create_invitation(s, user, "admin")
        second = sign_in.reset_password(s, user, "admin")
    assert attempt(db_url, "rhian", PASSWORD).outcome is Outcome.WRONG
    with unit_of_work(db_url, write=False) as s:
        assert signed.caller is not None
        assert sign_in.signed_in_caller(s, signed.caller.user_id, signed.fingerprint) is None
        with pytest.raises(NotFound):
            sign_in.open_invitation(s, first)
        assert sign_in.open_invitation(s, second)[1].name == "Rhian"


def test_a_username_in_use_by_an_active_user_is_refused_but_a_revoked_ones_is_taken_over(
        db_url, rhian):
    with unit_of_work(db_url) as s:
        twin, _ = create_user(s, "rhian", "admin")
        with pytest.raises(InvalidInput, match="already signs in"):
            sign_in.set_password(s, twin, "another long passphrase")
    with unit_of_work(db_url) as s:
        first = s.scalars(select(User).where(User.name == "Rhian")).one()
        first.revoked_at = clock.now()
        twin = s.scalars(select(User).where(User.name == "rhian")).one()
        sign_in.set_password(s, twin, "another long passphrase")
    with unit_of_work(db_url, write=False) as s:
        assert s.scalars(select(Login)).one().user_id == twin.id
    assert attempt(db_url, "rhian", "another long passphrase").outcome is Outcome.SIGNED_IN
