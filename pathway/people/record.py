"""One member's record as their page shows it: pathway, next step, milestones, training,
readiness and history, each read through the services the API's own reads use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import PATHWAY
from pathway.people import voice
from pathway.people.actions import possible_triggers
from pathway.people.members import pathway_of
from pathway.programme import milestones, readiness, training
from pathway.progress import NextStep, PathwaySummary, next_step, pathway_summary
from pathway.store.models import Event, Instance, InvolvementRecord, Member, Unit
from pathway.words import level_words, readable
from workflows.machine import split_state
from workflows.schema import Catalogue
from workflows.vocabulary import ERASE, INVOLVEMENT, MEMBER_VIEW, MachineRef

HISTORY_SHOWN = 50


@dataclass(frozen=True)
class HistoryEntry:
    """One event in words: what happened, who did it, when, and why."""

    what: str
    machine: str
    actor: str
    at: datetime
    effective_at: datetime
    unit: str
    reason: str | None
    note: str | None
    override: bool
    unmet: list[dict[str, Any]]
    # The member's view of this move (the latest one), and the event's id to add one.
    event_id: int = 0
    view: voice.MoveView | None = None
    takes_a_view: bool = False  # a pathway event the member may give their view of


@dataclass(frozen=True)
class MemberRecord:
    member: Member
    instance: Instance
    pathway: PathwaySummary
    next: NextStep
    actions: list[str]
    milestones: list[milestones.MilestoneView]
    training: list[training.TrainingView]
    readiness: list[readiness.AwardReadiness]
    history: list[HistoryEntry]
    history_total: int


def _state_words(catalogue: Catalogue, kind: str, machine: str, state: str | None) -> str:
    if not state:
        return ""
    if machine != PATHWAY:
        return readable(state)
    level, status = split_state(state)
    words = level_words(catalogue.pathway_for(kind), level)
    return words if status == "active" else f"{words} ({status})"


def _what(catalogue: Catalogue, member: Member, event: Event, unit: str,
          bookings: dict[str, str] | None = None) -> str:
    """``Advance: Level 1 – … to Level 2 – …``; ``Training “Speaking out”: complete``.

    ``unit`` is the unit's name: people know units by name, not by code. ``bookings`` names
    involvement records by what and when (``_bookings``), not by their number.
    """
    prefix, _, code = event.machine.partition(":")
    trigger = readable(event.trigger)
    if event.trigger == MEMBER_VIEW:
        said = voice.SAYS.get((event.member_view or {}).get("agrees", ""), "")
        return f"Member’s view of an earlier move added: {said.lower()}"
    if event.machine == PATHWAY:
        before = _state_words(catalogue, member.kind, PATHWAY, event.from_state)
        after = _state_words(catalogue, member.kind, PATHWAY, event.to_state)
        if event.from_state == event.to_state or not before:
            return f"{trigger}: {after} in {unit}" if event.from_state != event.to_state \
                else f"{trigger} (now in {unit})"
        leaving = f" ({readable(event.exit_reason).lower()})" if event.exit_reason else ""
        return f"{trigger}: {before} to {after}{leaving}"
    titles = {"training": {m.code: m.title for m in catalogue.modules.values()},
              "award": {a.code: a.title for a in catalogue.awards.values()},
              "milestone": {m.code: m.title for m in catalogue.milestones_for(member.kind)},
              INVOLVEMENT: bookings or {}}
    title = titles.get(prefix, {}).get(code, readable(code))
    return f"{readable(prefix)} “{title}”: {trigger.lower()}"


def _bookings(session: Session, catalogue: Catalogue, events: list[Event]) -> dict[str, str]:
    """The involvement records among ``events``, each as its activity and day."""
    ids = [int(ref.code) for ref in (MachineRef.parse(e.machine) for e in events)
           if ref.kind == INVOLVEMENT and ref.code is not None and ref.code.isdigit()]
    if not ids:
        return {}
    named = {}
    for record_id, activity, day in session.execute(
            select(InvolvementRecord.id, InvolvementRecord.activity, InvolvementRecord.held_on)
            .where(InvolvementRecord.id.in_(ids))):
        known = catalogue.activities.get(activity)
        title = known.title if known is not None else readable(activity)
        named[str(record_id)] = f"{title}, {day.day} {day:%B %Y}"
    return named


def _takes_a_view(event: Event) -> bool:
    """A move on the pathway, not a view of one nor the record of an erasure."""
    return event.machine == PATHWAY and event.trigger not in (MEMBER_VIEW, ERASE)


def moves_of(session: Session, catalogue: Catalogue, member: Member) -> list[HistoryEntry]:
    """Every move of the member's pathway, newest first, each with their latest view of it."""
    rows = session.execute(select(Event, Unit.code, Unit.name).join(Unit, Unit.id == Event.unit_id)
                           .where(Event.member_id == member.id, Event.machine == PATHWAY,
                                  Event.trigger.not_in((MEMBER_VIEW, ERASE)))
                           .order_by(Event.id.desc())).all()
    views = voice.latest_views(session, [event for event, _, _ in rows])
    return [HistoryEntry(what=_what(catalogue, member, event, unit_name), machine=event.machine,
                         actor=event.actor, at=clock.as_utc(event.at),
                         effective_at=clock.as_utc(event.effective_at), unit=unit,
                         reason=event.reason, note=event.note, override=event.override,
                         unmet=list(event.unmet or []), event_id=event.id,
                         view=views.get(event.id), takes_a_view=True)
            for event, unit, unit_name in rows]


def history_of(session: Session, catalogue: Catalogue, member: Member,
               shown: int = HISTORY_SHOWN) -> tuple[list[HistoryEntry], int]:
    """The member's latest events, newest first, in words (and how many there are in all)."""
    # events_query's rows, newest first
    newest_first = (select(Event, Unit.code, Unit.name).join(Unit, Unit.id == Event.unit_id)
                    .where(Event.member_id == member.id).order_by(Event.id.desc()).limit(shown))
    rows = session.execute(newest_first).all()
    views = voice.latest_views(session, [event for event, _, _ in rows
                                         if _takes_a_view(event)])
    total = int(session.scalar(select(func.count()).select_from(Event)
                               .where(Event.member_id == member.id)) or 0)
    bookings = _bookings(session, catalogue, [event for event, _, _ in rows])
    return [HistoryEntry(what=_what(catalogue, member, event, unit_name, bookings),
                         machine=event.machine,
                         actor=event.actor, at=clock.as_utc(event.at),
                         effective_at=clock.as_utc(event.effective_at), unit=unit,
                         reason=event.reason, note=event.note, override=event.override,
                         unmet=list(event.unmet or []), event_id=event.id,
                         view=views.get(event.id), takes_a_view=_takes_a_view(event))
            for event, unit, unit_name in rows], total


def member_record(session: Session, catalogue: Catalogue, member: Member,
                  zone: ZoneInfo) -> MemberRecord:
    instance = pathway_of(session, member)
    history, total = history_of(session, catalogue, member)
    return MemberRecord(
        member=member, instance=instance,
        pathway=pathway_summary(catalogue, member, instance),
        next=next_step(session, catalogue, member, instance, zone),
        actions=possible_triggers(catalogue, member, instance),
        milestones=milestones.milestones_of(session, member,
                                            milestones.catalogue_for(catalogue, member.kind),
                                            zone),
        training=training.training_of(session, catalogue, member, zone,
                                      training.programme(catalogue)),
        readiness=readiness.member_readiness(session, catalogue, member, zone),
        history=history, history_total=total)
