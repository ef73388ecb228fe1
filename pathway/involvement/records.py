"""Booking involvement and moving it on: booked -> done (or cancelled) -> approved -> paid.

Every record is its own ``involvement:<id>`` machine, so each step is an event through the
engine's one write path and ``pathway check`` replays them. Two safeguards for the people who
handle money sit here: approving and paying are for someone other than whoever booked it, and
nothing is booked or approved over a member's benefit-safe limit unless the member chose it,
with a reason kept on the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import Actor, Firing, Outcome, definition_for, fire
from pathway.errors import Conflict, GuardsUnmet, InvalidInput, InvalidTrigger, NotFound
from pathway.involvement import earnings
from pathway.involvement.activities import activity_named, rate_amount
from pathway.store.models import Instance, InvolvementRecord, Member
from workflows.involvement import EARNINGS, PAYMENTS
from workflows.machine import TriggerNotAllowed, compile_definition
from workflows.schema import Catalogue
from workflows.vocabulary import (
    APPROVE,
    BOOK,
    INVOLVEMENT,
    INVOLVEMENT_TRIGGERS,
    NOT_BY_BOOKER,
    REASON_NEEDED,
    MachineRef,
)

MAX_MINUTES = 24 * 60
REASON_CRITERION = "reason"


@dataclass(frozen=True)
class RecordView:
    id: int
    member_id: int
    activity: str
    activity_title: str
    on: date
    hours: float
    payment: str
    amount_pence: int
    expenses_pence: int
    note: str | None
    state: str
    version: int
    booked_by: str
    override_reason: str | None
    created_at: datetime
    triggers: tuple[str, ...]


def minutes_of(hours: Decimal | float | int) -> int:
    """Hours as whole minutes (money never rides on a float: amounts use these minutes)."""
    given = Decimal(str(hours))
    minutes = int((given * 60).to_integral_value()) if given.is_finite() else 0
    if minutes <= 0 or minutes > MAX_MINUTES:
        raise InvalidInput("hours", "Give the hours as more than 0 and at most 24.")
    return minutes


def view_of(catalogue: Catalogue, record: InvolvementRecord,
            instance: Instance | None) -> RecordView:
    activity = catalogue.activities.get(record.activity)
    state = instance.state if instance else ""
    workflow = compile_definition(catalogue.lifecycle(INVOLVEMENT))
    return RecordView(
        id=record.id, member_id=record.member_id, activity=record.activity,
        activity_title=activity.title if activity else record.activity, on=record.held_on,
        hours=record.minutes / 60, payment=record.payment, amount_pence=record.amount_pence,
        expenses_pence=record.expenses_pence, note=record.note, state=state,
        version=instance.version if instance else 0, booked_by=record.booked_by_name,
        override_reason=record.override_reason, created_at=clock.as_utc(record.created_at),
        triggers=tuple(t for t in workflow.available_triggers(state)
                       if t in INVOLVEMENT_TRIGGERS))


def records_of(session: Session, catalogue: Catalogue, member: Member) -> list[RecordView]:
    """The member's involvement, latest activity first."""
    rows = session.execute(
        select(InvolvementRecord, Instance)
        .outerjoin(Instance, Instance.id == InvolvementRecord.instance_id)
        .where(InvolvementRecord.member_id == member.id)
        .order_by(InvolvementRecord.held_on.desc(), InvolvementRecord.id.desc())).all()
    return [view_of(catalogue, record, instance) for record, instance in rows]


def record_of(session: Session, member: Member, record_id: int) -> InvolvementRecord:
    record = session.scalars(select(InvolvementRecord).where(
        InvolvementRecord.id == record_id, InvolvementRecord.member_id == member.id)
    ).one_or_none()
    if record is None:
        raise NotFound(f"There is no involvement record {record_id} for this member.")
    return record


def book(session: Session, catalogue: Catalogue, member: Member, actor: Actor, zone: ZoneInfo,
         *, activity: str, on: date, hours: Decimal | float | int, payment: str,
         amount_pence: int | None = None, expenses_pence: int = 0, note: str | None = None,
         override: bool = False, reason: str | None = None,
         idempotency_key: str | None = None,
         booked_on: date | None = None) -> tuple[Outcome, RecordView]:
    """Book one piece of involvement (not committed). The amount defaults to the rate of the
    activity's day; a booking over a benefit-safe limit needs ``override`` and a reason.
    ``booked_on`` records a booking made on an earlier day (an import, the demo)."""
    chosen = activity_named(catalogue, activity)
    if payment not in PAYMENTS:
        raise InvalidInput("payment", f"Payment must be one of: {', '.join(PAYMENTS)}.")
    if not clock.within_calendar(on):
        raise InvalidInput("on", f"The date {on.isoformat()} is out of range: give a date "
                                 f"from {clock.FIRST_DAY.isoformat()} to "
                                 f"{clock.LAST_DAY.isoformat()}.")
    if on < member.joined_on:
        raise InvalidInput("on", f"The date {on.isoformat()} is before the member joined "
                                 f"({member.joined_on.isoformat()}).")
    minutes = minutes_of(hours)
    for name, value in (("amount_pence", amount_pence), ("expenses_pence", expenses_pence)):
        if value is not None and value < 0:
            raise InvalidInput(name, "Give a whole number of pence, 0 or more.")
    amount = amount_pence if amount_pence is not None else rate_amount(chosen, on, minutes)
    hold_members_earnings(session, member.id)
    found = (earnings.breaches(session, catalogue, member.id, on, amount)
             if payment in EARNINGS else [])
    override_reason = earnings.refuse_unless_chosen(found, override, reason)
    record = InvolvementRecord(
        member_id=member.id, unit_id=member.unit_id, kind=member.kind, activity=chosen.code,
        held_on=on, minutes=minutes, payment=payment, amount_pence=amount,
        expenses_pence=expenses_pence, note=(note or "").strip() or None,
        override_reason=override_reason, booked_by=actor.user_id, booked_by_name=actor.name,
        created_at=clock.now())
    session.add(record)
    session.flush()
    outcome = fire(session, catalogue, member, MachineRef.involvement(record.id),
                   Firing(trigger=BOOK, reason=override_reason, on=booked_on,
                          idempotency_key=idempotency_key), actor, zone)
    record.instance_id = outcome.instance.id
    session.flush()
    return outcome, view_of(catalogue, record, outcome.instance)


def hold_members_earnings(session: Session, member_id: int) -> None:
    """Lock the member's row until commit, so two bookings at the same moment cannot each
    find room under a limit that only one of them fits (PostgreSQL; SQLite writes one at a
    time already)."""
    session.execute(select(Member.id).where(Member.id == member_id).with_for_update())


def same_person(record: InvolvementRecord, actor: Actor) -> bool:
    if record.booked_by is not None or actor.user_id is not None:
        return record.booked_by == actor.user_id
    return record.booked_by_name == actor.name


def change(session: Session, catalogue: Catalogue, member: Member, record_id: int,
           trigger: str, actor: Actor, zone: ZoneInfo, *, reason: str | None = None,
           override: bool = False, expected_version: int | None = None,
           idempotency_key: str | None = None,
           happened_on: date | None = None) -> tuple[Outcome, RecordView]:
    """Mark done, cancel (with a reason), approve or pay one record (not committed);
    ``happened_on`` records a step taken on an earlier day."""
    if trigger not in INVOLVEMENT_TRIGGERS:
        raise InvalidInput("trigger", f"The trigger must be one of: "
                                      f"{', '.join(INVOLVEMENT_TRIGGERS)}.")
    record = record_of(session, member, record_id)
    machine = MachineRef.involvement(record.id)
    instance = session.get(Instance, record.instance_id) if record.instance_id else None
    state = instance.state if instance else ""
    workflow = compile_definition(definition_for(catalogue, member.kind, machine))
    try:
        workflow.transition(trigger, state)
    except TriggerNotAllowed as exc:
        allowed = ", ".join(t for t in exc.allowed if t in INVOLVEMENT_TRIGGERS) or "none"
        raise InvalidTrigger(f"'{trigger}' is not possible now: the record is '{state}', "
                             f"where the allowed triggers are: {allowed}.", state=state,
                             allowed=[t for t in exc.allowed if t in INVOLVEMENT_TRIGGERS]
                             ) from exc
    given = (reason or "").strip() or None
    if trigger in REASON_NEEDED and given is None:
        unmet = {"criterion": REASON_CRITERION, "description": "A reason is given",
                 "enforcement": "required"}
        raise GuardsUnmet("Not yet: give a reason for cancelling; it is kept on the record.",
                          unmet=[unmet])
    if trigger in NOT_BY_BOOKER and same_person(record, actor):
        raise Conflict("Someone other than the person who booked this involvement must "
                       f"{trigger} it: a safeguard for everyone who handles money.",
                       slug="same_person")
    if trigger == APPROVE and record.payment in EARNINGS:
        hold_members_earnings(session, member.id)
        found = earnings.breaches(session, catalogue, member.id, record.held_on, 0)
        chosen = earnings.refuse_unless_chosen(found, override, given)
        if chosen and not record.override_reason:
            record.override_reason = chosen
    outcome = fire(session, catalogue, member, machine,
                   Firing(trigger=trigger, reason=given, expected_version=expected_version,
                          on=happened_on, idempotency_key=idempotency_key), actor, zone)
    return outcome, view_of(catalogue, record, outcome.instance)
