"""Members: registering, finding, renaming and moving between units."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import PATHWAY, Actor, Firing, Outcome, fire, register
from pathway.errors import Conflict, Duplicate, InvalidInput, NotFound
from pathway.people import changes
from pathway.people.access import Caller
from pathway.people.references import normalise_reference
from pathway.people.units import unit_by_code
from pathway.progress import pathway_summary
from pathway.store.models import Instance, Member
from workflows.machine import join_state
from workflows.schema import MEMBER_KINDS, Catalogue
from workflows.vocabulary import TRANSFER


def visible_member(session: Session, caller: Caller, member_id: int) -> Member:
    """The member, or NotFound when absent or outside the caller's scope (never reveal it)."""
    member = session.get(Member, member_id)
    if member is None or not caller.sees_member(member):
        raise NotFound(f"There is no member with id {member_id}.")
    return member


def register_member(session: Session, catalogue: Catalogue, actor: Actor, *, reference: str,
                    kind: str, unit: str, display_name: str | None = None,
                    joined_on: date | None = None, level: str | None = None,
                    status: str | None = None, zone: ZoneInfo,
                    caller: Caller | None = None) -> Member:
    """Add a member at the start of their pathway (or at an imported level and status)."""
    reference = normalise_reference(reference)
    if kind not in MEMBER_KINDS:
        raise InvalidInput("kind", f"Unknown kind {kind!r}; kinds are: {', '.join(MEMBER_KINDS)}.")
    unit_row = unit_by_code(session, unit, caller)
    if session.scalars(select(Member.id).where(Member.reference == reference)).first():
        raise Duplicate(f"A member with reference {reference!r} already exists.")
    joined = joined_on or clock.today(zone)
    if joined > clock.today(zone):
        raise InvalidInput("joined_on", f"The date {joined.isoformat()} is in the future.")
    definition = catalogue.pathway_for(kind)
    state = None
    if level or status:
        level = level or definition.initial
        if level not in definition.states:
            raise InvalidInput("level", f"Unknown level {level!r}; levels are: "
                                        f"{', '.join(definition.states)}.")
        if (status or "active") not in ("active", "paused", "exited"):
            raise InvalidInput("status", f"Unknown status {status!r}; statuses are: "
                                         "active, paused, exited.")
        state = join_state(level, status or "active")
    member = Member(reference=reference, kind=kind, unit_id=unit_row.id,
                    display_name=display_name, joined_on=joined, created_at=clock.now())
    session.add(member)
    try:
        session.flush()
    except IntegrityError as exc:
        # Registered by someone else between our look and our insert.
        raise Duplicate(f"A member with reference {reference!r} already exists.") from exc
    register(session, catalogue, member, actor, zone, state=state)
    return member


def members_query(caller: Caller, *, unit_id: int | None = None, kind: str | None = None,
                  level: str | None = None,
                  status: str | None = None) -> Select[Member, Instance]:
    """Members in scope with their pathway rows, filtered as asked (rows of (member, pathway))."""
    statement = (select(Member, Instance).join(Instance, (Instance.member_id == Member.id)
                                     & (Instance.machine == PATHWAY))
                 .order_by(Member.id))
    if caller.role == "member":
        statement = statement.where(Member.id == (caller.member_id or 0))
    else:
        statement = statement.where(caller.unit_clause(Member.unit_id))
    if unit_id is not None:
        statement = statement.where(Member.unit_id == unit_id)
    if kind:
        statement = statement.where(Member.kind == kind)
    if level:
        statement = statement.where(Instance.level == level)
    if status:
        statement = statement.where(Instance.status == status)
    return statement


def pathway_of(session: Session, member: Member) -> Instance:
    instance = session.scalars(select(Instance).where(Instance.member_id == member.id,
                                                      Instance.machine == PATHWAY)).one_or_none()
    if instance is None:
        raise NotFound(f"Member {member.id} has no pathway.")
    return instance


def transfer(session: Session, catalogue: Catalogue, member: Member, unit_code: str,
             actor: Actor, caller: Caller, zone: ZoneInfo, *, reason: str | None = None,
             on: date | None = None, expected_version: int | None = None) -> Outcome:
    """Move a member to another unit, recorded on their pathway's history."""
    try:
        unit = unit_by_code(session, unit_code, caller)
    except NotFound as exc:
        raise NotFound(f"There is no unit {unit_code!r}.") from exc
    if unit.id == member.unit_id:
        raise Conflict(f"The member is already in {unit_code!r}; nothing to transfer.",
                       slug="already_in_unit")
    return fire(session, catalogue, member, PATHWAY,
                Firing(trigger=TRANSFER, reason=reason, on=on, unit_id=unit.id,
                       expected_version=expected_version), actor, zone)


RENAME = "rename"


def rename(session: Session, member: Member, display_name: str | None, actor: Actor, *,
           reason: str | None = None) -> None:
    """Change the display name, recorded in the change log (not committed).

    After an erasure a new name is refused until an admin restores personal data; clearing
    the name is always allowed.
    """
    from pathway.people import privacy

    if display_name is not None:
        privacy.refuse_text_after_erasure(session, member, "a display name")
    member.display_name = display_name
    changes.record_change(session, actor, RENAME, ["display_name"], reason=reason,
                          member_id=member.id)


def member_view(catalogue: Catalogue, member: Member, instance: Instance) -> dict[str, Any]:
    """A member as the API shows it, with their pathway now."""
    return {"id": member.id, "reference": member.reference, "kind": member.kind,
            "unit": member.unit.code, "display_name": member.display_name,
            "joined_on": member.joined_on,
            "pathway": pathway_summary(catalogue, member, instance)}
