"""Signing in with a username and password: checking, lockout, invitations, the signed-in caller.

Failures are counted in the database, so every worker of every server sees the same count
and a restart forgets nothing. Ten failures for one username within fifteen minutes lock it
for fifteen minutes; while it is locked even the right password is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pathway import clock
from pathway.errors import InvalidInput, NotFound
from pathway.people import passwords
from pathway.people.access import SCOPED_ROLES, Caller
from pathway.people.users import hash_token
from pathway.store.models import Invitation, Login, SignInFailure, SignInLock, User, UserUnit

FAILURES_BEFORE_LOCK = 10
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
INVITATION_LASTS = timedelta(days=7)
INVITATION_PREFIX = "inv_"


class Outcome(Enum):
    SIGNED_IN = "signed_in"
    WRONG = "wrong"  # unknown username, wrong password, no password yet, or revoked: never which
    LOCKED = "locked"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    caller: Caller | None = None
    fingerprint: str = ""
    locked_until: datetime | None = None


def normalise(username: str) -> str:
    """Usernames are matched without case or surrounding spaces."""
    return username.strip().lower()


def caller_for_user(session: Session, user: User) -> Caller:
    """The same ``Caller`` a token gives: role, unit scope and member."""
    scoped = user.role in SCOPED_ROLES and not user.all_units
    unit_ids = frozenset(session.scalars(select(UserUnit.unit_id).where(
        UserUnit.user_id == user.id))) if scoped else frozenset()
    return Caller(user_id=user.id, name=user.name, role=user.role, all_units=user.all_units,
                  unit_ids=unit_ids, member_id=user.member_id)


def is_active(user: User) -> bool:
    if user.revoked_at is not None:
        return False
    return user.expires_at is None or clock.as_utc(user.expires_at) > clock.now()


def locked_until(session: Session, username: str) -> datetime | None:
    lock = session.get(SignInLock, normalise(username))
    if lock is None:
        return None
    until = clock.as_utc(lock.locked_until)
    return until if until > clock.now() else None


def attempt(session: Session, username: str, password: str) -> Attempt:
    """Check a sign-in; a failure is recorded in ``session`` (the caller commits either way)."""
    name = normalise(username)
    until = locked_until(session, name)
    if until is not None:
        return Attempt(Outcome.LOCKED, locked_until=until)
    login = session.scalars(select(Login).where(Login.username == name)).one_or_none()
    user = session.get(User, login.user_id) if login is not None else None
    stored = login.password_hash if login is not None else None
    matches = passwords.verify_password(password, stored)
    if matches and user is not None and is_active(user):
        session.execute(delete(SignInFailure).where(SignInFailure.username == name))
        return Attempt(Outcome.SIGNED_IN, caller=caller_for_user(session, user),
                       fingerprint=passwords.fingerprint(stored))
    return _record_failure(session, name)


def _record_failure(session: Session, name: str) -> Attempt:
    now = clock.now()
    # Failures and locks that no longer count are forgotten, so guesses at many names
    # cannot pile up.
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - FAILURE_WINDOW))
    session.execute(delete(SignInLock).where(SignInLock.locked_until <= now))
    session.add(SignInFailure(username=name[:120], at=now))
    session.flush()
    recent = session.scalar(select(func.count()).select_from(SignInFailure).where(
        SignInFailure.username == name[:120], SignInFailure.at > now - FAILURE_WINDOW)) or 0
    if recent < FAILURES_BEFORE_LOCK:
        return Attempt(Outcome.WRONG)
    until = now + LOCK_FOR
    try:
        with session.begin_nested():  # another worker may lock the same name at this moment
            session.add(SignInLock(username=name[:120], locked_until=until))
    except IntegrityError:
        session.execute(update(SignInLock).where(SignInLock.username == name[:120])
                        .values(locked_until=until))
    # The failures that led to the lock are spent: after it, the count starts again.
    session.execute(delete(SignInFailure).where(SignInFailure.username == name[:120]))
    session.flush()
    return Attempt(Outcome.LOCKED, locked_until=until)


def signed_in_caller(session: Session, user_id: int, fingerprint: str) -> Caller | None:
    """The caller a signed-in session belongs to, while its user and password are unchanged."""
    user = session.get(User, user_id)
    login = session.get(Login, user_id)
    if user is None or login is None or not is_active(user) or not login.password_hash:
        return None
    if not secrets.compare_digest(passwords.fingerprint(login.password_hash), fingerprint):
        return None
    return caller_for_user(session, user)


def ensure_login(session: Session, user: User) -> Login:
    """The user's login row (username = their name), taking it from a revoked namesake."""
    login = session.get(Login, user.id)
    if login is not None:
        return login
    name = normalise(user.name)
    holder = session.scalars(select(Login).where(Login.username == name)).one_or_none()
    if holder is not None:
        other = session.get(User, holder.user_id)
        if other is not None and is_active(other):
            raise InvalidInput("username", f"Someone else already signs in as {user.name!r}; "
                                           "choose another name.")
        session.delete(holder)
        session.flush()
    login = Login(user_id=user.id, username=name)
    session.add(login)
    session.flush()
    return login


def set_password(session: Session, user: User, password: str) -> None:
    """Check the policy, then store only the slow hash; signed-in sessions of the old one end."""
    passwords.check_policy(password, user.name)
    login = ensure_login(session, user)
    login.password_hash = passwords.hash_password(password)
    login.password_set_at = clock.now()
    session.flush()


def create_invitation(session: Session, user: User, created_by: str) -> str:
    """A one-time link token for setting a password; earlier unused ones stop working."""
    if not is_active(user):
        raise InvalidInput("user", f"{user.name} has been revoked; create a new person instead.")
    ensure_login(session, user)
    now = clock.now()
    for earlier in session.scalars(select(Invitation).where(Invitation.user_id == user.id,
                                                            Invitation.used_at.is_(None))):
        earlier.used_at = now
    token = INVITATION_PREFIX + secrets.token_urlsafe(32)
    session.add(Invitation(user_id=user.id, token_hash=hash_token(token), created_by=created_by,
                           created_at=now, expires_at=now + INVITATION_LASTS))
    session.flush()
    return token


def reset_password(session: Session, user: User, created_by: str) -> str:
    """Forget the password (signing the person out everywhere) and make a new invitation."""
    login = ensure_login(session, user)
    login.password_hash = None
    login.password_set_at = None
    return create_invitation(session, user, created_by)


def open_invitation(session: Session, token: str) -> tuple[Invitation, User]:
    """The invitation a link carries, while it is unused, unexpired and its user active."""
    invitation = session.scalars(select(Invitation).where(
        Invitation.token_hash == hash_token(token))).one_or_none()
    user = session.get(User, invitation.user_id) if invitation is not None else None
    if (invitation is None or user is None or invitation.used_at is not None
            or clock.as_utc(invitation.expires_at) <= clock.now() or not is_active(user)):
        raise NotFound("This invitation link has been used, has expired or was withdrawn. "
                       "Ask your Pathway administrator for a new one.")
    return invitation, user


def accept_invitation(session: Session, token: str, password: str) -> User:
    """Set the password through an invitation; the link cannot be used again."""
    invitation, user = open_invitation(session, token)
    set_password(session, user, password)
    invitation.used_at = clock.now()
    session.execute(delete(SignInFailure).where(SignInFailure.username == normalise(user.name)))
    session.execute(delete(SignInLock).where(SignInLock.username == normalise(user.name)))
    session.flush()
    return user


def find_user(session: Session, name_or_id: str) -> User:
    """A user by id, or by name when one active user has it."""
    user = session.get(User, int(name_or_id)) if name_or_id.isdigit() else None
    if user is not None:
        return user
    active = [u for u in session.scalars(select(User).where(User.name == name_or_id)
                                         .order_by(User.id)) if is_active(u)]
    if not active:
        raise NotFound(f"There is no active user {name_or_id!r}.")
    if len(active) > 1:
        raise InvalidInput("user", f"{len(active)} active users are named {name_or_id!r}; "
                                   "name one by id.")
    return active[0]
