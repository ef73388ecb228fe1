"""Gather what guards need to know about one member, in two queries."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.models import Event, Instance, Member
from workflows.guards import Facts, TrainingRecord
from workflows.machine import split_state
from workflows.schema import Catalogue

LEVEL_CHANGES = ("register", "advance", "step_back", "rejoin")


def instances_of(session: Session, member_id: int) -> list[Instance]:
    return list(session.scalars(select(Instance).where(Instance.member_id == member_id)))


def training_record(instance: Instance | None, valid_for_days: int | None,
                    zone: ZoneInfo) -> TrainingRecord:
    if instance is None:
        return TrainingRecord("not_started")
    if instance.state != "completed":
        return TrainingRecord(instance.state)
    completed_on = clock.local_date(instance.entered_at, zone)
    expires_on = completed_on + timedelta(days=valid_for_days) if valid_for_days else None
    return TrainingRecord("completed", completed_on, expires_on)


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
    training = {code: training_record(instances.get(f"training:{code}"), module.valid_for_days,
                                      zone)
                for code, module in catalogue.modules.items()}
    return Facts(kind=member.kind, today=today, level=level, status=status,
                 days_at_level=days_at_level, milestones=milestones, training=training,
                 exit_reason=exit_reason)
