"""Users and their tokens. A token is shown once and stored only as its SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from pathway import clock
from pathway.errors import InvalidInput, NotFound
from pathway.people.access import ROLES, SCOPED_ROLES, Caller
from pathway.store.models import Member, Unit, User, UserUnit

TOKEN_PREFIX = "pw_"  # noqa: S105 (a marker that helps secret scanners, not a secret)
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session: Session, name: str, role: str, *, unit_codes: list[str] | None = None,
                all_units: bool = False, member_id: int | None = None,
                expires_in_days: int | None = None) -> tuple[User, str]:
    """Create a user and return it with its token, which is never stored or shown again."""
    if role not in ROLES:
        raise InvalidInput("role", f"Unknown role {role!r}; roles are: {', '.join(ROLES)}.")
    unit_codes = unit_codes or []
    if role in SCOPED_ROLES and not unit_codes and not all_units:
        raise InvalidInput("unit", f"A {role} needs --unit CODE (repeatable) or --all-units: "
                                   "scope is never implicit.")
    if role not in SCOPED_ROLES and (unit_codes or all_units):
        raise InvalidInput("unit", f"A {role} is not scoped to units.")
    if role == "member":
        if member_id is None or session.get(Member, member_id) is None:
            raise InvalidInput("member", "A member user needs --member ID of an existing member.")
    elif member_id is not None:
        raise InvalidInput("member", "Only a member user is linked to a member.")
    units = []
    for code in unit_codes:
        unit = session.scalars(select(Unit).where(Unit.code == code)).one_or_none()
        if unit is None:
            raise NotFound(f"There is no unit {code!r}.")
        units.append(unit)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    user = User(name=name, role=role, token_hash=hash_token(token), all_units=all_units,
                member_id=member_id, created_at=now,
                expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
                units=units)
    session.add(user)
    session.flush()
    return user, token


_USERS = User.__table__
# Core statements on the tables, built once: this runs before every API request, and the
# ORM's per-statement work would cost more than the lookup itself.
_BY_TOKEN = select(
    _USERS.c.id, _USERS.c.name, _USERS.c.role, _USERS.c.token_hash, _USERS.c.all_units,
    _USERS.c.member_id, _USERS.c.expires_at, _USERS.c.revoked_at, _USERS.c.last_used_at,
).where(_USERS.c.token_hash == bindparam("digest"))
_USER_UNITS = UserUnit.__table__
_UNITS_OF = select(_USER_UNITS.c.unit_id).where(_USER_UNITS.c.user_id == bindparam("user_id"))


def caller_for(db: Session | Connection, token: str) -> Caller | None:
    """The caller a token belongs to, or None when it is unknown, revoked or expired."""
    digest = hash_token(token)
    user = db.execute(_BY_TOKEN, {"digest": digest}).one_or_none()
    if user is None or not hmac.compare_digest(user.token_hash, digest):
        return None
    now = clock.now()
    if user.revoked_at is not None:
        return None
    if user.expires_at is not None and clock.as_utc(user.expires_at) <= now:
        return None
    scoped = user.role in SCOPED_ROLES and not user.all_units
    unit_ids = frozenset(db.execute(_UNITS_OF, {"user_id": user.id}).scalars()
                         ) if scoped else frozenset()
    return Caller(user_id=user.id, name=user.name, role=user.role, all_units=user.all_units,
                  unit_ids=unit_ids, member_id=user.member_id,
                  last_used_at=clock.as_utc(user.last_used_at) if user.last_used_at else None)


def needs_touch(caller: Caller) -> bool:
    """Whether the token's last use is older than the resolution we record it to."""
    return (caller.last_used_at is None
            or caller.last_used_at < clock.now() - LAST_USED_RESOLUTION)


def touch(session: Session, user_id: int) -> None:
    """Record when a token was last used (to the minute: no write on every request)."""
    session.execute(update(User).where(User.id == user_id).values(last_used_at=clock.now()))
