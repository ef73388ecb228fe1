"""The one write path: every state change of every machine goes through ``fire``.

load the instance -> check the trigger with the machine -> evaluate guards -> compare-and-swap
the instance row on its version -> insert the event. The caller's unit of work commits the
row and its event together, or neither.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from pathway import clock
from pathway.errors import (
    EffectiveDateError,
    GuardsUnmet,
    InvalidTrigger,
    NotFound,
    VersionConflict,
)
from pathway.facts import facts_for
from pathway.store import ledger
from pathway.store.models import Base, Event, Instance, Member
from workflows.guards import AGREES, Verdict, evaluate_all
from workflows.machine import TriggerNotAllowed, compile_definition, split_state
from workflows.schema import Catalogue, Definition, Guard
from workflows.vocabulary import (
    AWARD,
    AWARD_TRIGGER,
    EXIT,
    INVOLVEMENT,
    MILESTONE,
    PATHWAY_MACHINE,
    RECORD_TRIGGERS,
    REGISTER,
    TRAINING,
    TRANSFER,
    MachineRef,
    MachineRefError,
)

# The pathway machine as stored and compared in SQL (``str(PATHWAY_MACHINE)``).
PATHWAY = str(PATHWAY_MACHINE)
__all__ = ["PATHWAY", "RECORD_TRIGGERS", "Actor", "Firing", "Outcome", "definition_for", "fire",
           "register"]


@dataclass(frozen=True)
class Actor:
    """Who is acting: kept on every event."""

    name: str
    role: str
    user_id: int | None = None


@dataclass(frozen=True)
class Firing:
    """What the caller asks for: a trigger and what comes with it."""

    trigger: str
    reason: str | None = None
    override: bool = False
    expected_version: int | None = None
    on: date | None = None
    exit_reason: str | None = None
    note: str | None = None
    idempotency_key: str | None = None
    unit_id: int | None = None  # for transfer
    # The member's view of this move ({"agrees", "words", ...}), and for a ``member_view``
    # event the earlier event it is about.
    member_view: Mapping[str, Any] | None = None
    refers_to: int | None = None


@dataclass
class Outcome:
    event: Event
    instance: Instance
    waived: list[Verdict] = field(default_factory=list)


# Each lifecycle kind: what one instance is kept for, in the words of a refusal, and the
# codes the catalogue holds for it.
_LIFECYCLE_CODES: dict[str, tuple[str, Callable[[Catalogue], Collection[str]]]] = {
    TRAINING: ("training module", lambda catalogue: catalogue.modules),
    MILESTONE: ("milestone", Catalogue.all_milestone_codes),
    AWARD: ("award", lambda catalogue: catalogue.awards),
}


def machine_ref(machine: MachineRef | str) -> MachineRef:
    """The machine a caller names, as text (``'training:x'``) or already a reference."""
    try:
        return MachineRef.parse(machine)
    except MachineRefError as exc:
        raise NotFound(f"There is no machine {str(machine)!r}.") from exc


def definition_for(catalogue: Catalogue, kind: str, machine: MachineRef | str) -> Definition:
    """The definition that drives ``machine`` (the pathway, a module, ...) for a member kind."""
    ref = machine_ref(machine)
    if ref.is_pathway:
        return catalogue.pathway_for(kind)
    if ref.kind == INVOLVEMENT:  # addressed by its record's id, not by a catalogue code
        try:
            return catalogue.lifecycle(INVOLVEMENT)
        except KeyError as exc:
            raise NotFound("This service's definitions have no involvement lifecycle.") from exc
    noun, codes = _LIFECYCLE_CODES[ref.kind]
    if ref.code not in codes(catalogue):
        raise NotFound(f"There is no {noun} {ref.code!r}.")
    return catalogue.lifecycle(ref.kind)


def guards_for(catalogue: Catalogue, machine: MachineRef, transition_guards: tuple[Guard, ...],
               trigger: str) -> tuple[Guard, ...]:
    """An award's criteria guard its ``award`` trigger; other guards come from the machine."""
    if machine.kind == AWARD and machine.code is not None and trigger == AWARD_TRIGGER:
        return catalogue.awards[machine.code].criteria
    return transition_guards


def load_instance(session: Session, member_id: int, machine: MachineRef) -> Instance | None:
    return session.scalars(select(Instance).where(Instance.member_id == member_id,
                                                  Instance.machine == str(machine))
                           ).one_or_none()


_MEMBER_WITH_PATHWAY = (
    select(Member, Instance)
    .outerjoin(Instance, (Instance.member_id == Member.id) & (Instance.machine == PATHWAY))
    .where(Member.id == bindparam("member_id")))


def member_with_pathway(session: Session, member_id: int) -> tuple[Member, Instance | None] | None:
    """A member and their pathway row in one query (None when there is no such member).

    For a transition the member is needed for the scope check and the row for ``fire``:
    pass the row on as ``fire(..., instance=...)``. Scope is the caller's to check.
    """
    row = session.execute(_MEMBER_WITH_PATHWAY, {"member_id": member_id}).one_or_none()
    return None if row is None else (row[0], row[1])


def effective_moment(session: Session, machine: MachineRef, on: date | None, member: Member,
                     zone: ZoneInfo) -> datetime:
    """When the event counts as having happened; ``on`` backdates it."""
    today = clock.today(zone)
    if on is None or on == today:
        return clock.now()
    if on > today:
        raise EffectiveDateError(f"The date {on.isoformat()} is in the future.")
    if on < member.joined_on:
        raise EffectiveDateError(f"The date {on.isoformat()} is before the member joined "
                                 f"({member.joined_on.isoformat()}).")
    moment = clock.start_of(on, zone)
    latest = latest_effective(session, member.id, machine)
    if latest is not None and moment < clock.start_of(clock.local_date(latest, zone), zone):
        raise EffectiveDateError(f"The date {on.isoformat()} is before this record's latest "
                                 f"event ({clock.local_date(latest, zone).isoformat()}).")
    return max(moment, clock.as_utc(latest)) if latest is not None else moment


def latest_effective(session: Session, member_id: int, machine: MachineRef) -> datetime | None:
    """The latest effective moment of the member's events on this machine.

    Each machine's history stays in order; a training completion may be backdated before
    a later pathway event, because it happened then.
    """
    return session.scalar(select(func.max(Event.effective_at))
                          .where(Event.member_id == member_id, Event.machine == str(machine)))


def unit_at(session: Session, member: Member, machine: MachineRef, firing: Firing,
            effective_at: datetime) -> int:
    """The unit an event counts in: where the member was when it happened.

    A pathway event is never backdated before the pathway's latest event, so the member's
    unit now is right for it; a training, milestone or award event recorded late is counted
    in the unit the member was in on that day.
    """
    if firing.trigger == TRANSFER and firing.unit_id:
        return firing.unit_id
    if machine.is_pathway or firing.on is None:
        return member.unit_id
    then = session.scalar(
        select(Event.unit_id)
        .where(Event.member_id == member.id, Event.machine == PATHWAY,
               Event.effective_at <= effective_at)
        .order_by(Event.effective_at.desc(), Event.seq.desc()).limit(1))
    return then if then is not None else member.unit_id


_INSTANCES = Base.metadata.tables[Instance.__tablename__]
_SWAPPED = ("state", "level", "status", "version", "definition_version", "entered_at")
_SWAP = (update(_INSTANCES)
         .where(_INSTANCES.c.id == bindparam("swap_id"),
                _INSTANCES.c.version == bindparam("swap_version"))
         .values({name: bindparam(name) for name in _SWAPPED}))
_SWAP_PATHWAY = _SWAP.values(unit_id=bindparam("unit_id"))
_EVENTS = Base.metadata.tables[Event.__tablename__]
# An event without free text goes in through Core (the ORM's flush costs more than the
# insert itself on the write path); its id comes back with it, and the Event object is then
# attached to the session as loaded.
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_UNSET: Any = object()


def fire(session: Session, catalogue: Catalogue, member: Member, machine: MachineRef | str,
         firing: Firing, actor: Actor, zone: ZoneInfo, *,
         instance: Instance | None = _UNSET) -> Outcome:
    """Fire one trigger on one of a member's machines and record the event (not committed).

    ``instance``: the machine's row as already read in this transaction (None when it has
    none), to save reading it again; the compare-and-swap still checks its version.
    """
    machine = machine_ref(machine)
    definition = definition_for(catalogue, member.kind, machine)
    workflow = compile_definition(definition)
    if instance is _UNSET:
        instance = load_instance(session, member.id, machine)
    state = instance.state if instance else definition.initial
    version = instance.version if instance else 0
    if firing.expected_version is not None and firing.expected_version != version:
        raise VersionConflict(
            f"This record has changed since you read it (version {version}, "
            f"you expected {firing.expected_version}); reload and try again.")

    guards: tuple[Guard, ...]
    if firing.trigger in RECORD_TRIGGERS and machine.is_pathway:
        dest, guards = state, ()
    else:
        try:
            transition = workflow.transition(firing.trigger, state)
            dest = workflow.fire(firing.trigger, state)
        except TriggerNotAllowed as exc:
            allowed = ", ".join(exc.allowed) or "none"
            raise InvalidTrigger(
                f"'{firing.trigger}' is not possible now: the current state is "
                f"'{state}', where the allowed triggers are: {allowed}.",
                state=state, allowed=exc.allowed) from exc
        guards = guards_for(catalogue, machine, transition.guards, firing.trigger)

    waived: list[Verdict] = []
    if guards:
        facts = facts_for(session, catalogue, member, zone, exit_reason=firing.exit_reason)
        if firing.member_view is not None:
            facts = replace(facts, member_agrees=firing.member_view.get("agrees") == AGREES)
        verdicts = evaluate_all(guards, facts, catalogue, definition.exit_reasons)
        unmet = [v for v in verdicts if not v.met]
        required = [v for v in unmet if v.enforcement == "required"]
        may_waive = firing.override and bool((firing.reason or "").strip())
        if required or (unmet and not may_waive):
            raise GuardsUnmet(_unmet_message(unmet, required, firing),
                              unmet=[v.as_dict(with_met=False) for v in unmet])
        waived = unmet

    at = clock.now()
    effective_at = effective_moment(session, machine, firing.on, member, zone)
    unit_id = unit_at(session, member, machine, firing, effective_at)
    level, status = split_state(dest) if machine.is_pathway else (None, None)
    if instance is None:
        instance = Instance(member_id=member.id, machine=str(machine), workflow=definition.name,
                            state=dest, level=level, status=status, version=1,
                            entered_at=effective_at, definition_version=definition.version)
        session.add(instance)
        try:
            session.flush()
        except IntegrityError as exc:
            raise VersionConflict("Someone else changed this record at the same moment; "
                                  "reload and try again.") from exc
    else:
        written: dict[str, object] = {
            "state": dest, "level": level, "status": status, "version": version + 1,
            "definition_version": definition.version,
            "entered_at": effective_at if dest != state else instance.entered_at}
        if machine.is_pathway:
            written["unit_id"] = unit_id
        # The compare-and-swap: one prepared statement per shape, changing the row only if
        # it is still at the version read. Its cursor result counts the rows it changed.
        changed = cast(CursorResult[Any], session.connection().execute(
            _SWAP_PATHWAY if machine.is_pathway else _SWAP,
            {**written, "swap_id": instance.id, "swap_version": version}))
        if changed.rowcount != 1:
            raise VersionConflict("Someone else changed this record at the same moment; "
                                  "reload and try again.")
        # The row now holds exactly what was written: record it without another SELECT.
        for name, value in written.items():
            set_committed_value(instance, name, value)

    if machine.is_pathway:  # the member moves between the distribution's groups on that day
        ledger.record_move(session, clock.local_date(effective_at, zone),
                           ledger.group_of(member.unit_id, member.kind, state) if version else None,
                           ledger.group_of(unit_id, member.kind, dest))
    if firing.trigger == TRANSFER and firing.unit_id:
        member.unit_id = firing.unit_id
        session.flush()
        session.expire(member, ["unit"])
    session.flush()  # anything the caller left pending goes in before the event, as before
    values: dict[str, Any] = dict(
        instance_id=instance.id, member_id=member.id, seq=instance.version, machine=str(machine),
        trigger=firing.trigger, from_state=state, to_state=dest, unit_id=unit_id,
        actor=actor.name, user_id=actor.user_id, at=at, effective_at=effective_at,
        reason=firing.reason, note=firing.note,
        exit_reason=firing.exit_reason if firing.trigger == EXIT else None,
        override=bool(waived), unmet=[v.as_dict(with_met=False) for v in waived] or None,
        definition_version=definition.version, idempotency_key=firing.idempotency_key,
        member_view=dict(firing.member_view) if firing.member_view is not None else None,
        refers_to=firing.refers_to)
    if firing.reason or firing.note or firing.member_view is not None:
        # Free text goes through the ORM's flush, whose hooks refuse it about an erased
        # member (pathway.people.privacy), for every write path alike.
        event = Event(**values)
        session.add(event)
        session.flush()
    else:
        event_id = session.connection().execute(_INSERT_EVENT, values).scalar_one()
        event = Event(id=event_id, **values)
        make_transient_to_detached(event)  # a row that exists: the session keeps it as loaded
        session.add(event)
    return Outcome(event=event, instance=instance, waived=waived)


def _unmet_message(unmet: list[Verdict], required: list[Verdict], firing: Firing) -> str:
    listed = "; ".join(v.description for v in unmet)
    if required:
        return (f"Not yet: {len(unmet)} criteria unmet ({listed}). Required criteria cannot "
                f"be overridden.")
    if firing.override:
        return (f"Not yet: {len(unmet)} advisory criteria unmet ({listed}). An override needs "
                f"a reason.")
    return (f"Not yet: {len(unmet)} advisory criteria unmet ({listed}). A coordinator may "
            f"override advisory criteria with a reason.")


def register(session: Session, catalogue: Catalogue, member: Member, actor: Actor,
             zone: ZoneInfo, state: str | None = None) -> Event:
    """Start a new member's pathway: one instance and its ``register`` event."""
    definition = catalogue.pathway_for(member.kind)
    state = state or definition.initial
    level, status = split_state(state)
    since = clock.start_of(member.joined_on, zone)
    instance = Instance(member_id=member.id, machine=PATHWAY, workflow=definition.name,
                        state=state, level=level, status=status, unit_id=member.unit_id,
                        kind=member.kind, version=1, entered_at=since,
                        definition_version=definition.version)
    session.add(instance)
    session.flush()
    event = Event(instance_id=instance.id, member_id=member.id, seq=1, machine=PATHWAY,
                  trigger=REGISTER, from_state=None, to_state=state, unit_id=member.unit_id,
                  actor=actor.name, user_id=actor.user_id, at=clock.now(), effective_at=since,
                  override=False, definition_version=definition.version)
    session.add(event)
    ledger.record_move(session, member.joined_on, None,
                       ledger.group_of(member.unit_id, member.kind, state))
    return event
