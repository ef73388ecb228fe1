"""Accreditation awards: the catalogue, awarding when the criteria are met, and revoking.

An award held is the member's ``award:<code>`` instance in state ``awarded``. The engine
guards the ``award`` trigger with the award's criteria, so an award is only ever made when
the member is ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import Actor, Firing, Outcome, fire
from pathway.errors import InvalidInput, NotApplicable, NotFound
from pathway.store.models import Event, Instance, Member
from workflows.guards import asks, setting_for
from workflows.schema import Award, Catalogue, Guard
from workflows.vocabulary import AWARD, AWARD_TRIGGER, AWARDED, REVOKE, MachineRef

__all__ = ["AWARDED", "Accreditation", "AwardView", "Criterion", "accredit",
           "accreditation_view", "accreditations_query", "applicable", "award_or_404",
           "award_view", "awards_for", "machine_of", "revoke"]


def machine_of(code: str) -> str:
    """The stored address of a member's award (kept for callers that hold text)."""
    return str(MachineRef.award(code))


def awards_for(catalogue: Catalogue, kind: str | None = None) -> list[Award]:
    return [a for a in catalogue.awards.values() if kind is None or a.kind == kind]


def award_or_404(catalogue: Catalogue, code: str) -> Award:
    award = catalogue.awards.get(code)
    if award is None:
        raise NotFound(f"There is no award {code!r}.")
    return award


def applicable(catalogue: Catalogue, member: Member, code: str, *, field: str | None) -> Award:
    """The award if it is for this member's kind: unknown is bad input (in a body) or not
    found (in the address); another kind's award is not applicable."""
    award = catalogue.awards.get(code)
    if award is None:
        if field is not None:
            raise InvalidInput(field, f"There is no award {code!r}.")
        raise NotFound(f"There is no award {code!r}.")
    if award.kind != member.kind:
        raise NotApplicable(f"The award {code!r} is for a {award.kind.replace('_', ' ')}, not "
                            f"for a {member.kind.replace('_', ' ')}.")
    return award


@dataclass(frozen=True)
class Criterion:
    """A criterion as the catalogue states it: what it asks for, without anyone's progress."""

    criterion: str
    description: str
    enforcement: str


@dataclass(frozen=True)
class AwardView:
    code: str
    title: str
    kind: str
    level: str
    description: str
    criteria: list[Criterion]


@dataclass(frozen=True)
class Accreditation:
    """An award as the member stands in it."""

    award: str
    title: str
    level: str
    state: str
    awarded_on: date | None
    awarded_by: str | None
    reason: str | None
    version: int


def criterion_words(catalogue: Catalogue, award: Award, guard: Guard) -> Criterion:
    """A criterion in the words the guard answers with, less a member's progress."""
    return Criterion(guard.criterion, asks(guard, setting_for(catalogue, award.kind)),
                     guard.enforcement)


def award_view(catalogue: Catalogue, award: Award) -> AwardView:
    return AwardView(code=award.code, title=award.title, kind=award.kind, level=award.level,
                     description=award.description,
                     criteria=[criterion_words(catalogue, award, g) for g in award.criteria])


def accreditation_view(catalogue: Catalogue, instance: Instance, event: Event,
                       zone: ZoneInfo) -> Accreditation:
    """An award as the member stands in it; ``event`` is the instance's latest."""
    award = catalogue.awards[MachineRef.parse(instance.machine).code or ""]
    held = instance.state == AWARDED
    return Accreditation(award=award.code, title=award.title, level=award.level,
                         state=instance.state,
                         awarded_on=clock.local_date(instance.entered_at, zone) if held else None,
                         awarded_by=event.actor if held else None,
                         reason=event.reason, version=instance.version)


def accreditations_query(member_id: int) -> Select[Instance, Event]:
    """The awards a member holds now, each with the event that made it, oldest first."""
    return (select(Instance, Event)
            .join(Event, and_(Event.instance_id == Instance.id, Event.seq == Instance.version))
            .where(Instance.member_id == member_id,
                   Instance.machine.like(MachineRef.like(AWARD)),
                   Instance.state == AWARDED)
            .order_by(Instance.entered_at, Instance.id))


def accredit(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
             zone: ZoneInfo, *, reason: str | None = None,
             expected_version: int | None = None) -> tuple[Outcome, Accreditation]:
    """Make the award; the engine refuses with the unmet criteria when the member is not ready."""
    applicable(catalogue, member, code, field="award")
    outcome = fire(session, catalogue, member, MachineRef.award(code),
                   Firing(trigger=AWARD_TRIGGER, reason=reason,
                          expected_version=expected_version),
                   actor, zone)
    return outcome, accreditation_view(catalogue, outcome.instance, outcome.event, zone)


def revoke(session: Session, catalogue: Catalogue, member: Member, code: str, actor: Actor,
           zone: ZoneInfo, *, reason: str, expected_version: int | None = None
           ) -> tuple[Outcome, Accreditation]:
    """Withdraw an award made; the award and its revocation both stay in the history."""
    applicable(catalogue, member, code, field=None)
    outcome = fire(session, catalogue, member, MachineRef.award(code),
                   Firing(trigger=REVOKE, reason=reason, expected_version=expected_version),
                   actor, zone)
    return outcome, accreditation_view(catalogue, outcome.instance, outcome.event, zone)
