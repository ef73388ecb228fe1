"""Demo usernames and passwords, one per role, for trying the pages after `make run`.

Every run gives each demo user a fresh password, so one printed earlier stops working (and
anyone signed in with it is signed out).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway.engine import PATHWAY
from pathway.errors import NotFound
from pathway.people.sign_in import is_active, set_password
from pathway.people.users import create_user
from pathway.store.models import Event, Instance, Member, Unit, User

ACTIVE = "active"  # a pathway status: on the pathway, neither paused nor exited
DEMO_ROLES = ("admin", "coordinator", "training_lead", "viewer", "member")


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    password: str
    role: str


def demo_username(role: str) -> str:
    return "demo-" + role.replace("_", "-")


def _create(session: Session, name: str, role: str, member: Member) -> User:
    """The coordinator looks after the demo member's unit; other readers see every unit."""
    unit = session.get(Unit, member.unit_id)
    assert unit is not None
    user, _ = create_user(session, name, role,
                          unit_codes=[unit.code] if role == "coordinator" else None,
                          all_units=role in ("training_lead", "viewer"),
                          member_id=member.id if role == "member" else None)
    return user


def demo_member(session: Session) -> Member | None:
    """The demo's member user: someone on the pathway now with the richest story to show."""
    events = (select(Event.member_id, func.count().label("events")).group_by(Event.member_id)
              .subquery())
    return session.scalars(
        select(Member).join(Instance, (Instance.member_id == Member.id)
                            & (Instance.machine == PATHWAY))
        .join(events, events.c.member_id == Member.id)
        .where(Member.erased_at.is_(None), Instance.status == ACTIVE)
        .order_by(events.c.events.desc(), Member.id).limit(1)).first() or session.scalars(
        select(Member).where(Member.erased_at.is_(None)).order_by(Member.id).limit(1)).first()


def fresh_sign_ins(session: Session) -> list[DemoSignIn]:
    """A fresh password for each demo user, creating the users the first time."""
    member = demo_member(session)
    if member is None:
        raise NotFound("There are no members yet: load the demo first (`pathway demo`).")
    made = []
    for role in DEMO_ROLES:
        name = demo_username(role)
        user = next((u for u in session.scalars(select(User).where(User.name == name)
                                                .order_by(User.id.desc())) if is_active(u)),
                    None)
        if user is None:
            user = _create(session, name, role, member)
        password = secrets.token_urlsafe(12)
        set_password(session, user, password)
        made.append(DemoSignIn(name, password, role))
    return made
