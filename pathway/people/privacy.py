"""UK GDPR rights over one member's record: subject access (export) and erasure.

Erasure removes what identifies or describes the person in words – the display name, every
reason and note on their events (milestone evidence and a leaver's feedback live in
``Event.note``; a declined claim's reason is an event's reason), the words of their views
of their moves (``Event.member_view``: their words and why they were not asked; the answer
itself stays), the names on accounts linked to them, and the same words inside stored
idempotent answers – and keeps the coded history (triggers, states, dates, units), so
reports and ``pathway check`` are unchanged. The erasure is itself an event on the pathway.

Erasure lasts: afterwards no new free text (a display name, an event's reason or note) is
kept about the member until an admin lifts it with ``restore_personal_data``, saying why
(recorded in the change log). It can be repeated, and each time erases whatever was added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event as orm_event
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import PATHWAY, Actor, Firing, Outcome, fire
from pathway.errors import Conflict, InvalidInput
from pathway.events import event_view, events_query
from pathway.facts import completions_of, instances_of, training_record
from pathway.people import changes, proposals
from pathway.people.audit import access_log_query, access_view
from pathway.people.members import pathway_of
from pathway.progress import pathway_summary
from pathway.store.models import (
    BenefitLimitSetting,
    ChangeRecord,
    Event,
    IdempotentResponse,
    InvolvementRecord,
    Member,
    Proposal,
    User,
)
from workflows.schema import Catalogue
from workflows.vocabulary import ERASE

# Keys whose values are free text about a member wherever an answer is stored.
FREE_TEXT_KEYS = frozenset({"reason", "note", "display_name", "evidence", "feedback", "words",
                            "why_not_asked", "declined_reason", "override_reason"})
# The words inside a member's view of a move (``Event.member_view``); the answer itself stays.
VIEW_TEXT_KEYS = ("words", "why_not_asked")
ERASED_USER_NAME = "erased member"
MAX_REASON_LENGTH = 500
RESTORE = "restore_personal_data"


class ErasureHolds(Conflict):
    """New free text about an erased member, before an admin has lifted the erasure."""

    slug = "erased"


class NotErased(Conflict):
    slug = "not_erased"


def erasure_holds(session: Session, member: Member) -> bool:
    """Erased, and not lifted by ``restore_personal_data`` since."""
    if member.erased_at is None:
        return False
    with session.no_autoflush:
        lifted = session.scalar(select(func.count()).select_from(ChangeRecord).where(
            ChangeRecord.member_id == member.id, ChangeRecord.action == RESTORE,
            ChangeRecord.at >= member.erased_at))
    return not lifted


def refuse_text_after_erasure(session: Session, member: Member, what: str) -> None:
    """Raise ``ErasureHolds`` if free text may not be kept about this member now."""
    if erasure_holds(session, member):
        assert member.erased_at is not None
        raise ErasureHolds(
            f"Member {member.id}'s personal data was erased on "
            f"{clock.as_utc(member.erased_at).date().isoformat()}: {what} is not kept unless "
            f"an admin first restores it, saying why (POST /api/v1/members/{member.id}/"
            "restore-personal-data).")


@orm_event.listens_for(Session, "before_flush")
def _no_new_text_after_erasure(session: Session, _context: Any, _instances: Any) -> None:
    """Every write path (pathway, training, milestones, awards) passes here: an event with a
    reason or a note about an erased member is refused, whichever module wrote it."""
    for written in list(session.new):
        if (isinstance(written, Event) and written.trigger != ERASE
                and (written.reason or written.note or _view_words(written.member_view))):
            member = session.get(Member, written.member_id)
            if member is not None:
                refuse_text_after_erasure(session, member, "a reason or note")
        # Involvement: a booking's note and the reason for going over a benefit-safe limit.
        if isinstance(written, InvolvementRecord) and (written.note or written.override_reason):
            member = session.get(Member, written.member_id)
            if member is not None:
                refuse_text_after_erasure(session, member, "a note or reason")
        # A proposal raised under the name of an erased member's account is text about them.
        if isinstance(written, Proposal) and written.author_user_id is not None:
            with session.no_autoflush:
                author = session.get(User, written.author_user_id)
                member = (session.get(Member, author.member_id)
                          if author is not None and author.member_id is not None else None)
            if member is not None:
                refuse_text_after_erasure(session, member, "a proposal under their name")


def restore_personal_data(session: Session, member: Member, reason: str, actor: Actor) -> None:
    """Lift an erasure so that a display name or free text may be kept again (not committed)."""
    reason = _checked_reason(reason, "Restoring personal data needs a reason.")
    if not erasure_holds(session, member):
        raise NotErased(f"Member {member.id}'s personal data is not erased; nothing to restore.")
    changes.record_change(session, actor, RESTORE, [], reason=reason, member_id=member.id)


def _checked_reason(reason: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", missing)
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput("reason", f"Keep the reason to {MAX_REASON_LENGTH} characters.")
    return reason


def export(session: Session, catalogue: Catalogue, member: Member, zone: ZoneInfo) -> dict[str, Any]:
    """Everything held about one member (subject access), never a token hash."""
    today = clock.today(zone)
    completions = completions_of(session, member.id)
    instances = sorted(instances_of(session, member.id), key=lambda i: (i.machine != PATHWAY,
                                                                         i.machine))
    events = [event_view(e, session, unit_code=code)
              for e, code in session.execute(events_query(member.id))]
    users = session.scalars(select(User).where(User.member_id == member.id).order_by(User.id))
    return {
        "exported_at": clock.now(),
        "member": {"id": member.id, "reference": member.reference, "kind": member.kind,
                   "display_name": member.display_name, "joined_on": member.joined_on,
                   "created_at": clock.as_utc(member.created_at),
                   "erased_at": _utc_or_none(member.erased_at)},
        "unit": {"code": member.unit.code, "name": member.unit.name, "kind": member.unit.kind,
                 "locality": member.unit.locality},
        "pathway": pathway_summary(catalogue, member, pathway_of(session, member)),
        "instances": [_instance_view(catalogue, i, zone, today, completions)
                      for i in instances],
        "events": events,
        "accreditations": [_accreditation_view(catalogue, i) for i in instances
                           if i.machine.startswith("award:") and i.state == "awarded"],
        "access_log": [access_view(r) for r in session.scalars(access_log_query(member.id))],
        "users": [{"id": u.id, "name": u.name, "role": u.role,
                   "created_at": clock.as_utc(u.created_at),
                   "expires_at": _utc_or_none(u.expires_at),
                   "revoked_at": _utc_or_none(u.revoked_at),
                   "last_used_at": _utc_or_none(u.last_used_at)} for u in users],
        "changes": [changes.change_view(c)
                    for c in session.scalars(changes.changes_query(member_id=member.id))],
        # Raised under their name; anonymous proposals have no author, so none are theirs.
        "proposals": proposals.raised_by_member(session, member.id),
        **_involvement_export(session, member.id),
    }


def _involvement_export(session: Session, member_id: int) -> dict[str, Any]:
    """Involvement and payment: every booking with its words, and the limits chosen."""
    records = session.scalars(select(InvolvementRecord).where(
        InvolvementRecord.member_id == member_id).order_by(InvolvementRecord.id))
    setting = session.get(BenefitLimitSetting, member_id)
    return {
        "involvement": [{"id": r.id, "activity": r.activity, "on": r.held_on,
                         "minutes": r.minutes, "payment": r.payment,
                         "amount_pence": r.amount_pence, "expenses_pence": r.expenses_pence,
                         "note": r.note, "override_reason": r.override_reason,
                         "booked_by": r.booked_by_name, "created_at": clock.as_utc(r.created_at)}
                        for r in records],
        "benefit_limits": None if setting is None else {
            "rules": list(setting.rules), "custom_period": setting.custom_period,
            "custom_limit_pence": setting.custom_limit_pence,
            "updated_at": clock.as_utc(setting.updated_at), "updated_by": setting.updated_by},
    }


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return clock.as_utc(moment) if moment is not None else None


def _instance_view(catalogue: Catalogue, instance: Any, zone: ZoneInfo, today: Any,
                   completions: dict[str, Any]) -> dict[str, Any]:
    view = {"machine": instance.machine, "workflow": instance.workflow, "state": instance.state,
            "version": instance.version, "entered_at": clock.as_utc(instance.entered_at),
            "definition_version": instance.definition_version, "completed_on": None,
            "expires_on": None}
    prefix, _, code = instance.machine.partition(":")
    if prefix == "training" and code in catalogue.modules:
        record = training_record(instance, catalogue.modules[code].valid_for_days, zone,
                                 completed_at=completions.get(instance.machine))
        view.update(state=record.shown_state(today), completed_on=record.completed_on,
                    expires_on=record.expires_on)
    return view


def _accreditation_view(catalogue: Catalogue, instance: Any) -> dict[str, Any]:
    code = instance.machine.partition(":")[2]
    award = catalogue.awards.get(code)
    return {"award": code, "title": award.title if award else code,
            "awarded_at": clock.as_utc(instance.entered_at)}


def erase(session: Session, catalogue: Catalogue, member: Member, reason: str, actor: Actor,
          zone: ZoneInfo) -> tuple[Outcome, int]:
    """Erase the member's free text and record the erasure (not committed: one transaction).

    Returns the erasure's outcome and how many earlier events lost a reason or note. Erasing
    again erases whatever was added since (after a restore), and is recorded again.
    """
    reason = _checked_reason(reason, "An erasure needs a reason (without personal data).")
    with_text = (Event.member_id == member.id) & or_(Event.reason.is_not(None),
                                                     Event.note.is_not(None))
    # An event can hold a reason and words in the member's view: it is counted once.
    scrubbed = set(session.scalars(select(Event.id).where(with_text)))
    session.execute(update(Event).where(with_text).values(reason=None, note=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(InvolvementRecord).where(InvolvementRecord.member_id == member.id)
                    .values(note=None, override_reason=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(User).where(User.member_id == member.id)
                    .values(name=ERASED_USER_NAME).execution_options(synchronize_session=False))
    scrubbed |= _scrub_views(session, member.id)
    _scrub_stored_answers(session, member.id)
    changes.clear_reasons(session, member.id)
    proposals.erase_member_text(session, member.id, ERASED_USER_NAME)
    member.display_name = None
    member.erased_at = clock.now()
    session.flush()
    outcome = fire(session, catalogue, member, PATHWAY, Firing(trigger=ERASE, reason=reason),
                   actor, zone)
    return outcome, len(scrubbed)


def _view_words(view: dict[str, Any] | None) -> bool:
    return bool(view) and any(view.get(key) for key in VIEW_TEXT_KEYS)  # type: ignore[union-attr]


def _scrub_views(session: Session, member_id: int) -> set[int]:
    """Blank the words in the member's views of their moves; the events that had some."""
    scrubbed: set[int] = set()
    for event in session.scalars(select(Event).where(Event.member_id == member_id,
                                                     Event.member_view.is_not(None))):
        if _view_words(event.member_view):
            assert event.member_view is not None
            event.member_view = {**event.member_view, **dict.fromkeys(VIEW_TEXT_KEYS)}
            scrubbed.add(event.id)
    session.flush()
    return scrubbed


def _scrub_stored_answers(session: Session, member_id: int) -> None:
    """Idempotent replays keep their shape, without the member's words."""
    body = IdempotentResponse.body
    about_member = or_(body[("event", "member_id")].as_integer() == member_id,
                       body[("member", "id")].as_integer() == member_id,
                       body["member_id"].as_integer() == member_id)
    for stored in session.scalars(select(IdempotentResponse).where(about_member)):
        stored.body = _without_free_text(stored.body)


def _without_free_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: None if k in FREE_TEXT_KEYS and isinstance(v, str) else _without_free_text(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_without_free_text(v) for v in value]
    return value
