"""Gather what guards need to know about one member, in three queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.store.models import Event, Instance, Member
from workflows.guards import Facts, TrainingRecord
from workflows.machine import split_state
from workflows.schema import Catalogue

LEVEL_CHANGES = ("register", "advance", "step_back", "rejoin")
# The training trigger that makes a completion; it counts until the module's validity ends.
COMPLETE = "complete"


def instances_of(session: Session, member_id: int) -> list[Instance]:
    return list(session.scalars(select(Instance).where(Instance.member_id == member_id)))


def completions_of(session: Session, member_id: int,
                   machines: list[str] | None = None) -> dict[str, datetime]:
    """Each training machine's latest ``complete``, by when it counts (one grouped query).

    Read from the history, not the instance's state: a completion still counts after the
    member re-enrols for the refresher, or withdraws from it, until it expires.
    """
    query = (select(Event.machine, func.max(Event.effective_at))
             .where(Event.member_id == member_id, Event.trigger == COMPLETE)
             .group_by(Event.machine))
    query = query.where(Event.machine.in_(machines) if machines is not None
                        else Event.machine.like("training:%"))
    return {machine: at for machine, at in session.execute(query)}


def expires_on(completed_on: date, valid_for_days: int | None) -> date | None:
    """The first day a completion no longer counts (None: it never expires)."""
    return completed_on + timedelta(days=valid_for_days) if valid_for_days else None


def training_record(instance: Instance | None, valid_for_days: int | None, zone: ZoneInfo,
                    completed_at: datetime | None = None) -> TrainingRecord:
    """The module's state now, with its latest completion (``completed_at``, from
    ``completions_of``) whatever that state is.

    Without ``completed_at`` only a module in ``completed`` has one (its instance entered that
    state when it was completed); give it for a module re-enrolled or withdrawn since.
    """
    state = instance.state if instance is not None else "not_started"
    if completed_at is None and instance is not None and instance.state == "completed":
        completed_at = instance.entered_at
    if completed_at is None:
        return TrainingRecord(state)
    completed_on = clock.local_date(completed_at, zone)
    return TrainingRecord(state, completed_on, expires_on(completed_on, valid_for_days))


def facts_for(session: Session, catalogue: Catalogue, member: Member, zone: ZoneInfo, *,
              exit_reason: str | None = None) -> Facts:
    instances = {i.machine: i for i in instances_of(session, member.id)}
    today = clock.today(zone)
    pathway = instances.get("pathway")
    level, status = split_state(pathway.state) if pathway else (None, "active")
    days_at_level = 0
    if pathway is not None:
        since = session.scalar(select(func.max(Event.effective_at)).where(
            Event.instance_id == pathway.id, Event.trigger.in_(LEVEL_CHANGES)))
        if since is not None:
            days_at_level = (today - clock.local_date(since, zone)).days
    milestones = frozenset(machine.partition(":")[2] for machine, i in instances.items()
                           if machine.startswith("milestone:") and i.state == "achieved")
    completed = completions_of(session, member.id)
    training = {code: training_record(instances.get(f"training:{code}"), module.valid_for_days,
                                      zone, completed.get(f"training:{code}"))
                for code, module in catalogue.modules.items()}
    return Facts(kind=member.kind, today=today, level=level, status=status,
                 days_at_level=days_at_level, milestones=milestones, training=training,
                 exit_reason=exit_reason)
