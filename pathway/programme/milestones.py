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
from workflows.vocabulary import (
    ACHIEVE,
    ACHIEVED,
    CLAIM,
    CLAIMED,
    CONFIRM,
    DECLINE,
    DECLINED,
    MILESTONE,
    RETRACT,
    MachineRef,
)

__all__ = ["ACHIEVED", "CLAIMED", "DECLINED", "NOT_ACHIEVED", "Claim", "MilestoneView",
           "applicable", "catalogue_for", "claim", "claims_waiting", "confirm", "decline",
           "machine_of", "milestones_of", "record", "retract"]

NOT_ACHIEVED = "not_achieved"  # the lifecycle's initial state: nothing recorded


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
class Claim:
    """What a member said they did: when, and what shows it."""

    on: date
    evidence: str | None


@dataclass(frozen=True)
class MilestoneView:
    """One milestone as a member stands in it.

    ``state`` is the lifecycle's: a claim (``claimed``) counts for nothing until staff confirm
    it, and ``achieved`` is true only once it is achieved.
    """

    code: str
    level: str
    title: str
    description: str
    achieved: bool
    achieved_on: date | None
    evidence: str | None
    version: int
    state: str = NOT_ACHIEVED
    claim: Claim | None = None
    declined_reason: str | None = None
    confirmed_by: str | None = None


def milestone_view(milestone: Milestone, instance: Instance | None, latest: Event | None,
                   zone: ZoneInfo) -> MilestoneView:
    """The milestone as its instance and the instance's latest event leave it.

    The latest event of an achieved milestone is what got it there (``achieve``, or the
    ``confirm`` of a claim, which carries the claim's evidence); of a claimed one, the claim;
    of a declined one, the refusal with its reason.
    """
    state = instance.state if instance is not None else NOT_ACHIEVED
    achieved = instance is not None and state == ACHIEVED
    on = clock.local_date(instance.entered_at, zone) if instance is not None else None
    note = latest.note if latest is not None else None
    return MilestoneView(
        code=milestone.code, level=milestone.level, title=milestone.title,
        description=milestone.description, achieved=achieved,
        achieved_on=on if achieved else None,
        evidence=note if achieved else None,
        version=instance.version if instance else 0,
        state=state,
        claim=Claim(on, note) if state == CLAIMED and on is not None else None,
        declined_reason=latest.reason if state == DECLINED and latest is not None else None,
        confirmed_by=latest.actor if achieved and latest is not None
        and latest.trigger == CONFIRM else None)


def milestones_of(session: Session, member: Member, milestones: list[Milestone],
                  zone: ZoneInfo) -> list[MilestoneView]:
    """Each milestone with whether, when and on what evidence the member achieved it (or
    claimed it, or had the claim declined), from each instance's latest event."""
    machines = [machine_of(m.code) for m in milestones]
    rows: Iterable[tuple[Instance, Event]] = session.execute(
        select(Instance, Event)
        .join(Event, and_(Event.instance_id == Instance.id, Event.seq == Instance.version))
        .where(Instance.member_id == member.id, Instance.machine.in_(machines))
    ).all() if machines else []
    held: dict[str, tuple[Instance, Event]] = {
        instance.machine: (instance, latest) for instance, latest in rows}
    views = []
    for milestone in milestones:
        instance, latest = held.get(machine_of(milestone.code), (None, None))
        views.append(milestone_view(milestone, instance, latest, zone))
    return views


def claims_waiting(session: Session, catalogue: Catalogue, unit_ids: Iterable[int] | None,
                   zone: ZoneInfo) -> list[tuple[Member, MilestoneView]]:
    """Claims waiting for confirmation in these units (None: every unit), oldest first."""
    query = (select(Member, Instance, Event)
             .join(Instance, Instance.member_id == Member.id)
             .join(Event, and_(Event.instance_id == Instance.id, Event.seq == Instance.version))
             .where(Instance.machine.like(MachineRef.like(MILESTONE)),
                    Instance.state == CLAIMED)
             .order_by(Instance.entered_at, Member.reference, Instance.machine))
    if unit_ids is not None:
        query = query.where(Member.unit_id.in_(sorted(unit_ids)))
    waiting = []
    for member, instance, latest in session.execute(query).all():
        code = MachineRef.parse(instance.machine).code or ""
        milestone = next((m for m in catalogue.milestones_for(member.kind) if m.code == code),
                         None)
        if milestone is not None:
            waiting.append((member, milestone_view(milestone, instance, latest, zone)))
    return waiting


def record(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
           zone: ZoneInfo, *, achieved_on: date | None = None, evidence: str | None = None,
           expected_version: int | None = None) -> tuple[Outcome, MilestoneView]:
    """Record that the member achieved a milestone (``achieved_on`` backdates it)."""
    milestone = applicable(catalogue, member, code, field="code")
    outcome = fire(session, catalogue, member, MachineRef.milestone(code),
                   Firing(trigger=ACHIEVE, on=achieved_on, note=evidence,
                          expected_version=expected_version), actor, zone)
    return outcome, milestone_view(milestone, outcome.instance, outcome.event, zone)


def retract(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
            zone: ZoneInfo, *, reason: str, expected_version: int | None = None
            ) -> tuple[Outcome, MilestoneView]:
    """Take back a milestone recorded in error; the record of both stays in the history."""
    milestone = applicable(catalogue, member, code, field=None)
    outcome = fire(session, catalogue, member, MachineRef.milestone(code),
                   Firing(trigger=RETRACT, reason=reason, expected_version=expected_version),
                   actor, zone)
    return outcome, milestone_view(milestone, outcome.instance, outcome.event, zone)


def claim(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
          zone: ZoneInfo, *, achieved_on: date | None = None, evidence: str | None = None,
          idempotency_key: str | None = None) -> tuple[Outcome, MilestoneView]:
    """The member says they did it: a claim, which counts for nothing until confirmed."""
    milestone = applicable(catalogue, member, code, field="code")
    outcome = fire(session, catalogue, member, MachineRef.milestone(code),
                   Firing(trigger=CLAIM, on=achieved_on, note=evidence,
                          idempotency_key=idempotency_key), actor, zone)
    return outcome, milestone_view(milestone, outcome.instance, outcome.event, zone)


def confirm(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
            zone: ZoneInfo, *, expected_version: int | None = None
            ) -> tuple[Outcome, MilestoneView]:
    """Staff confirm a claim: achieved on the day claimed, on the claim's evidence, and the
    confirmer is the event's actor."""
    milestone = applicable(catalogue, member, code, field=None)
    claimed = _latest_event(session, member, code)
    on = clock.local_date(claimed.effective_at, zone) if claimed is not None else None
    outcome = fire(session, catalogue, member, MachineRef.milestone(code),
                   Firing(trigger=CONFIRM, on=on,
                          note=claimed.note if claimed is not None else None,
                          expected_version=expected_version), actor, zone)
    return outcome, milestone_view(milestone, outcome.instance, outcome.event, zone)


def decline(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
            zone: ZoneInfo, *, reason: str, expected_version: int | None = None,
            on: date | None = None) -> tuple[Outcome, MilestoneView]:
    """Staff decline a claim, saying why: the member sees the reason and may claim again."""
    if not (reason or "").strip():
        raise InvalidInput("reason", "Say why the claim is declined: the member will see it.")
    milestone = applicable(catalogue, member, code, field=None)
    outcome = fire(session, catalogue, member, MachineRef.milestone(code),
                   Firing(trigger=DECLINE, reason=reason.strip(), on=on,
                          expected_version=expected_version), actor, zone)
    return outcome, milestone_view(milestone, outcome.instance, outcome.event, zone)


def _latest_event(session: Session, member: Member, code: str) -> Event | None:
    return session.scalar(select(Event).where(Event.member_id == member.id,
                                              Event.machine == machine_of(code))
                          .order_by(Event.seq.desc()).limit(1))
