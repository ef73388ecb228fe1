"""Gather what guards need to know about one member, in three queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import workflows
from pathway import clock
from pathway.store.models import Event, Instance, Member
from workflows.guards import Facts, TrainingRecord
from workflows.machine import split_state
from workflows.schema import Catalogue
from workflows.vocabulary import (
    ACHIEVED,
    COMPLETE,
    COMPLETED,
    MILESTONE,
    PATHWAY_MACHINE,
    TRAINING,
    MachineRef,
)

__all__ = ["COMPLETE", "LEVEL_CHANGES", "completions_of", "facts_for", "instances_of",
           "level_changes", "training_record"]


def level_changes(catalogue: Catalogue) -> tuple[str, ...]:
    """Every trigger that puts a member on a level, in any pathway of the catalogue: the
    count of days at a level starts again at the latest of them."""
    found: dict[str, None] = {}
    for definition in catalogue.definitions.values():
        if definition.machine == PATHWAY_MACHINE.kind:
            found.update(dict.fromkeys(definition.level_triggers))
    return tuple(found)


# For callers not yet handed a catalogue: the shipped definitions' level changes. Prefer
# ``level_changes(catalogue)``, which follows a board's own definitions.
LEVEL_CHANGES = level_changes(workflows.load(workflows.DEFAULT_FOLDER))


def instances_of(session: Session, member_id: int) -> list[Instance]:
    return list(session.scalars(select(Instance).where(Instance.member_id == member_id)))


def completions_of(session: Session, member_id: int,
                   machines: list[MachineRef] | None = None) -> dict[str, datetime]:
    """Each training machine's latest ``complete``, by when it counts (one grouped query),
    keyed by the machine as stored (``str(ref)``).

    Read from the history, not the instance's state: a completion still counts after the
    member re-enrols for the refresher, or withdraws from it, until it expires.
    """
    query = (select(Event.machine, func.max(Event.effective_at))
             .where(Event.member_id == member_id, Event.trigger == COMPLETE)
             .group_by(Event.machine))
    query = query.where(Event.machine.in_([str(m) for m in machines]) if machines is not None
                        else Event.machine.like(MachineRef.like(TRAINING)))
    return {machine: at for machine, at in session.execute(query)}


def expires_on(completed_on: date, valid_for_days: int | None) -> date | None:
    """The first day a completion no longer counts (None: it never expires)."""
    return completed_on + timedelta(days=valid_for_days) if valid_for_days else None


def training_record(instance: Instance | None, valid_for_days: int | None, zone: ZoneInfo,
                    completed_at: datetime | None = None, *,
                    initial: str = "not_started") -> TrainingRecord:
    """The module's state now, with its latest completion (``completed_at``, from
    ``completions_of``) whatever that state is.

    Without ``completed_at`` only a module in ``completed`` has one (its instance entered that
    state when it was completed); give it for a module re-enrolled or withdrawn since.
    """
    state = instance.state if instance is not None else initial
    if completed_at is None and instance is not None and instance.state == COMPLETED:
        completed_at = instance.entered_at
    if completed_at is None:
        return TrainingRecord(state)
    completed_on = clock.local_date(completed_at, zone)
    return TrainingRecord(state, completed_on, expires_on(completed_on, valid_for_days))


def facts_for(session: Session, catalogue: Catalogue, member: Member, zone: ZoneInfo, *,
              exit_reason: str | None = None) -> Facts:
    instances = {MachineRef.parse(i.machine): i for i in instances_of(session, member.id)}
    today = clock.today(zone)
    pathway = instances.get(PATHWAY_MACHINE)
    level, status = split_state(pathway.state) if pathway else (None, "active")
    days_at_level = 0
    if pathway is not None:
        since = session.scalar(select(func.max(Event.effective_at)).where(
            Event.instance_id == pathway.id,
            Event.trigger.in_(catalogue.pathway_for(member.kind).level_triggers)))
        if since is not None:
            days_at_level = (today - clock.local_date(since, zone)).days
    milestones = frozenset(ref.code for ref, i in instances.items()
                           if ref.kind == MILESTONE and ref.code and i.state == ACHIEVED)
    completed = completions_of(session, member.id)
    initial = catalogue.lifecycle(TRAINING).initial
    training = {code: training_record(instances.get(ref), module.valid_for_days, zone,
                                      completed.get(str(ref)), initial=initial)
                for code, module in catalogue.modules.items()
                for ref in (MachineRef.training(code),)}
    return Facts(kind=member.kind, today=today, level=level, status=status,
                 days_at_level=days_at_level, milestones=milestones, training=training,
                 exit_reason=exit_reason)
