"""Milestones: the actions at each level, recorded (and, if recorded in error, retracted).

Each milestone a member achieves is its own ``milestone:<code>`` instance, so recording one
twice is refused by the lifecycle itself and retracting it is an event like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import Actor, Firing, Outcome, fire
from pathway.errors import InvalidInput, NotApplicable, NotFound
from pathway.store.models import Event, Instance, Member
from workflows.schema import Catalogue, Milestone
from workflows.vocabulary import ACHIEVE, ACHIEVED, RETRACT, MachineRef

__all__ = ["ACHIEVED", "MilestoneView", "applicable", "catalogue_for", "machine_of",
           "milestones_of", "record", "retract"]


def machine_of(code: str) -> str:
    """The stored address of a member's milestone (kept for callers that hold text)."""
    return str(MachineRef.milestone(code))


def catalogue_for(catalogue: Catalogue, kind: str, level: str | None = None) -> list[Milestone]:
    """The milestones of a member kind's pathway, optionally of one level, in pathway order."""
    return [m for m in catalogue.milestones_for(kind) if level is None or m.level == level]


def applicable(catalogue: Catalogue, member: Member, code: str, *, field: str | None) -> Milestone:
    """The milestone ``code`` of this member's catalogue.

    A code no catalogue knows is bad input (422 on ``field``) when it came in a body, and not
    found when it came in the address; a code of another kind's catalogue is not applicable.
    """
    found = next((m for m in catalogue.milestones_for(member.kind) if m.code == code), None)
    if found is not None:
        return found
    kinds = catalogue.milestone_kinds(code)
    if not kinds:
        if field is not None:
            raise InvalidInput(field, f"There is no milestone {code!r}.")
        raise NotFound(f"There is no milestone {code!r}.")
    raise NotApplicable(f"The milestone {code!r} belongs to the "
                        f"{' and '.join(k.replace('_', ' ') for k in kinds)} pathway, not to a "
                        f"{member.kind.replace('_', ' ')}'s.")


@dataclass(frozen=True)
class MilestoneView:
    """One milestone as a member stands in it."""

    code: str
    level: str
    title: str
    description: str
    achieved: bool
    achieved_on: date | None
    evidence: str | None
    version: int


def milestone_view(milestone: Milestone, instance: Instance | None, evidence: str | None,
                   zone: ZoneInfo) -> MilestoneView:
    achieved = instance is not None and instance.state == ACHIEVED
    return MilestoneView(
        code=milestone.code, level=milestone.level, title=milestone.title,
        description=milestone.description, achieved=achieved,
        achieved_on=clock.local_date(instance.entered_at, zone) if achieved and instance
        else None,
        evidence=evidence if achieved else None,
        version=instance.version if instance else 0)


def milestones_of(session: Session, member: Member, milestones: list[Milestone],
                  zone: ZoneInfo) -> list[MilestoneView]:
    """Each milestone with whether, when and on what evidence the member achieved it.

    The evidence is the note of the instance's latest event, which for an achieved milestone is
    always the ``achieve`` that got it there.
    """
    machines = [machine_of(m.code) for m in milestones]
    rows: Iterable[tuple[Instance, str | None]] = session.execute(
        select(Instance, Event.note)
        .join(Event, and_(Event.instance_id == Instance.id, Event.seq == Instance.version))
        .where(Instance.member_id == member.id, Instance.machine.in_(machines))) if machines else []
    held: dict[str, tuple[Instance, str | None]] = {
        instance.machine: (instance, note) for instance, note in rows}
    views = []
    for milestone in milestones:
        instance, evidence = held.get(machine_of(milestone.code), (None, None))
        views.append(milestone_view(milestone, instance, evidence, zone))
    return views


def record(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
           zone: ZoneInfo, *, achieved_on: date | None = None, evidence: str | None = None,
           expected_version: int | None = None) -> tuple[Outcome, MilestoneView]:
    """Record that the member achieved a milestone (``achieved_on`` backdates it)."""
    milestone = applicable(catalogue, member, code, field="code")
    outcome = fire(session, catalogue, member, MachineRef.milestone(code),
                   Firing(trigger=ACHIEVE, on=achieved_on, note=evidence,
                          expected_version=expected_version), actor, zone)
    return outcome, milestone_view(milestone, outcome.instance, evidence, zone)


def retract(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
            zone: ZoneInfo, *, reason: str, expected_version: int | None = None
            ) -> tuple[Outcome, MilestoneView]:
    """Take back a milestone recorded in error; the record of both stays in the history."""
    milestone = applicable(catalogue, member, code, field=None)
    outcome = fire(session, catalogue, member, MachineRef.milestone(code),
                   Firing(trigger=RETRACT, reason=reason, expected_version=expected_version),
                   actor, zone)
    return outcome, milestone_view(milestone, outcome.instance, None, zone)
