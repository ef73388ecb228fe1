"""Reading the event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.store.models import Event, Unit


def events_query(member_id: int) -> Select[Event, str]:
    """A member's events, oldest first, each with the code of the unit they were in after it."""
    return (select(Event, Unit.code).join(Unit, Unit.id == Event.unit_id)
            .where(Event.member_id == member_id).order_by(Event.id))


class EventView(TypedDict):
    """One event as it is read back: what happened, where, by whom and why."""

    id: int
    member_id: int
    machine: str
    trigger: str
    from_state: str | None
    to_state: str
    unit: str | None
    actor: str
    at: datetime
    effective_at: datetime
    reason: str | None
    note: str | None
    exit_reason: str | None
    override: bool
    unmet: list[dict[str, Any]] | None
    definition_version: int
    member_view: dict[str, Any] | None
    refers_to: int | None


def event_view(event: Event, session: Session, unit_code: str | None = None) -> EventView:
    if unit_code is None:
        unit_code = session.scalar(select(Unit.code).where(Unit.id == event.unit_id))
    return EventView(id=event.id, member_id=event.member_id, machine=event.machine,
                     trigger=event.trigger, from_state=event.from_state,
                     to_state=event.to_state, unit=unit_code, actor=event.actor,
                     at=clock.as_utc(event.at), effective_at=clock.as_utc(event.effective_at),
                     reason=event.reason, note=event.note, exit_reason=event.exit_reason,
                     override=event.override, unmet=event.unmet,
                     definition_version=event.definition_version,
                     member_view=event.member_view, refers_to=event.refers_to)
