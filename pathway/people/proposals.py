"""The proposals board, "you said, we did": what people proposed and what became of it.

Anyone signed in may raise a proposal for a unit they belong to, or for the whole service;
a coordinator moves it Red (not now), Amber (being worked on) or Green (done), or marks it
not adopted, always with a note the board shows. Major developments are approved by the
service user and carer forums: a forum's decision is kept on the proposal's history.

A proposal is the service's machine, not a member's: it has its own row and history. Every
change goes through ``_append``: compare-and-swap the row on its version, then insert the
event, in the caller's unit of work. An anonymous proposal stores no author at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select, true, update
from sqlalchemy.orm import Session, selectinload

from pathway import clock
from pathway.errors import GuardsUnmet, InvalidInput, InvalidTrigger, NotFound, VersionConflict
from pathway.people.access import Caller
from pathway.people.units import unit_by_code
from pathway.store.models import IdempotentResponse, Member, Proposal, ProposalEvent, Unit, User
from pathway.store.paging import Page, paginate
from workflows.machine import TriggerNotAllowed, compile_definition
from workflows.schema import Catalogue, Definition
from workflows.vocabulary import FORUM_DECISION, PROPOSAL, RAISE

# A forum's answer to a proposed development.
APPROVED: Final = "approved"
CHANGES_REQUESTED: Final = "changes_requested"
REJECTED: Final = "rejected"
DECISIONS: Final = (APPROVED, CHANGES_REQUESTED, REJECTED)
DECISION_WORDS: Final = {APPROVED: "Approved", CHANGES_REQUESTED: "Changes requested",
                         REJECTED: "Rejected"}
TITLE_LENGTH: Final = 200
FORUM_LENGTH: Final = 200
# What the history says for an erased author's words.
ERASED_TEXT: Final = "[erased]"


@dataclass(frozen=True)
class Scope:
    """The units whose proposals a caller sees (``None``: every unit); the whole service's
    proposals are everyone's."""

    unit_ids: frozenset[int] | None

    def sees(self, unit_id: int | None) -> bool:
        return unit_id is None or self.unit_ids is None or unit_id in self.unit_ids

    def clause(self) -> ColumnElement[bool]:
        if self.unit_ids is None:
            return true()
        return or_(Proposal.unit_id.is_(None), Proposal.unit_id.in_(sorted(self.unit_ids)))


def board_definition(catalogue: Catalogue) -> Definition:
    return catalogue.lifecycle(PROPOSAL)


def scope_of(session: Session, caller: Caller) -> Scope:
    """A member sees their own unit's board; staff their units'; an admin every unit's."""
    if caller.role == "admin" or caller.all_units:
        return Scope(None)
    if caller.member_id is not None:
        unit_id = session.scalar(select(Member.unit_id).where(Member.id == caller.member_id))
        return Scope(frozenset({unit_id}) if unit_id is not None else frozenset())
    return Scope(caller.unit_ids)


def _unit_in_scope(session: Session, scope: Scope, code: str) -> Unit:
    unit = unit_by_code(session, code)
    if not scope.sees(unit.id):
        raise NotFound(f"There is no unit {code!r}.")
    return unit


def board_units(session: Session, caller: Caller) -> list[Unit]:
    """The units whose boards the caller sees (and may raise proposals for), by code."""
    statement = select(Unit).order_by(Unit.code)
    unit_ids = scope_of(session, caller).unit_ids
    if unit_ids is not None:
        statement = statement.where(Unit.id.in_(sorted(unit_ids)))
    return list(session.scalars(statement))


def visible_proposal(session: Session, caller: Caller, proposal_id: int) -> Proposal:
    """The proposal, or NotFound when absent or on a board the caller does not see."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or not scope_of(session, caller).sees(proposal.unit_id):
        raise NotFound(f"There is no proposal with id {proposal_id}.")
    return proposal


def _text(field: str, value: str | None, *, limit: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(field, "Write something here.")
    if limit is not None and len(text) > limit:
        raise InvalidInput(field, f"Keep it to {limit} characters or fewer.")
    return text


def raise_proposal(session: Session, catalogue: Catalogue, caller: Caller, *,
                   unit: str | None, title: str, detail: str, anonymous: bool,
                   idempotency_key: str | None = None) -> Proposal:
    """Put a proposal on the board, for one of the caller's units or the whole service."""
    title = _text("title", title, limit=TITLE_LENGTH)
    detail = _text("detail", detail)
    unit_row = _unit_in_scope(session, scope_of(session, caller), unit) if unit else None
    initial = board_definition(catalogue).initial
    at = clock.now()
    proposal = Proposal(unit_id=unit_row.id if unit_row else None, title=title, detail=detail,
                        anonymous=anonymous, author_user_id=None if anonymous else caller.user_id,
                        state=initial, version=1, created_at=at, updated_at=at)
    session.add(proposal)
    session.flush()
    # An anonymous raise keeps no trace of who: no actor, no user.
    session.add(ProposalEvent(
        proposal_id=proposal.id, seq=1, trigger=RAISE, from_state=None, to_state=initial,
        note=None, actor="" if anonymous else caller.name,
        user_id=None if anonymous else caller.user_id, at=at, idempotency_key=idempotency_key))
    session.flush()
    return proposal


def allowed_triggers(catalogue: Catalogue, state: str) -> list[str]:
    """The moves the board offers from ``state``, in the definition's order."""
    workflow = compile_definition(board_definition(catalogue))
    offered = set(workflow.available_triggers(state))
    return [t for t in board_definition(catalogue).triggers if t in offered]


def move(session: Session, catalogue: Catalogue, caller: Caller, proposal_id: int, *,
         trigger: str, note: str | None, expected_version: int | None = None,
         idempotency_key: str | None = None) -> tuple[ProposalEvent, Proposal]:
    """Move a proposal to the state its trigger names, with the note the board shows."""
    proposal = visible_proposal(session, caller, proposal_id)
    _expect(proposal, expected_version)
    workflow = compile_definition(board_definition(catalogue))
    try:
        workflow.transition(trigger, proposal.state)
        dest = workflow.fire(trigger, proposal.state)
    except TriggerNotAllowed as exc:
        allowed = ", ".join(exc.allowed) or "none"
        raise InvalidTrigger(
            f"'{trigger}' is not possible now: the proposal is '{proposal.state}', where the "
            f"allowed triggers are: {allowed}.", state=proposal.state,
            allowed=exc.allowed) from exc
    text = (note or "").strip()
    if not text:
        # The note is what people read on the board: "you said, we did" needs the "we did".
        raise GuardsUnmet("Not yet: 1 criteria unmet (a note saying why, for the board).",
                          unmet=[{"criterion": "note", "enforcement": "required",
                                  "description": "A note saying why, for the board"}])
    event = _append(session, proposal, trigger=trigger, to_state=dest, note=text,
                    caller=caller, idempotency_key=idempotency_key)
    return event, proposal


def record_forum_decision(session: Session, caller: Caller, proposal_id: int, *, forum: str,
                          on: date, decision: str, note: str | None,
                          zone: ZoneInfo, expected_version: int | None = None,
                          idempotency_key: str | None = None) -> tuple[ProposalEvent, Proposal]:
    """Keep a forum's decision on a proposal's history; its state stays as it is."""
    proposal = visible_proposal(session, caller, proposal_id)
    _expect(proposal, expected_version)
    forum = _text("forum", forum, limit=FORUM_LENGTH)
    if decision not in DECISIONS:
        raise InvalidInput("decision", f"Must be one of: {', '.join(DECISIONS)}.")
    if on > clock.today(zone):
        raise InvalidInput("on", f"The date {on.isoformat()} is in the future.")
    event = _append(session, proposal, trigger=FORUM_DECISION, to_state=proposal.state,
                    note=(note or "").strip() or None, caller=caller,
                    idempotency_key=idempotency_key, forum=forum, forum_on=on,
                    decision=decision)
    return event, proposal


def _expect(proposal: Proposal, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != proposal.version:
        raise VersionConflict(
            f"This proposal has changed since you read it (version {proposal.version}, "
            f"you expected {expected_version}); reload and try again.")


def _append(session: Session, proposal: Proposal, *, trigger: str, to_state: str,
            note: str | None, caller: Caller, idempotency_key: str | None,
            **forum: Any) -> ProposalEvent:
    """Compare-and-swap the row on the version read, then add its event (not committed)."""
    version = proposal.version
    at = clock.now()
    changed = session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.version == version)
        .values(state=to_state, version=version + 1, updated_at=at)
        .execution_options(synchronize_session=False))
    if getattr(changed, "rowcount", 0) != 1:
        raise VersionConflict("Someone else changed this proposal at the same moment; "
                              "reload and try again.")
    from_state = proposal.state
    session.expire(proposal, ["state", "version", "updated_at"])
    event = ProposalEvent(proposal_id=proposal.id, seq=version + 1, trigger=trigger,
                          from_state=from_state, to_state=to_state, note=note,
                          actor=caller.name, user_id=caller.user_id, at=at,
                          idempotency_key=idempotency_key, **forum)
    session.add(event)
    session.flush()
    return event


def board(session: Session, caller: Caller, *, unit: str | None = None,
          state: str | None = None, page: int = 1, page_size: int = 50) -> Page:
    """The proposals the caller sees, newest change first: one unit's board (with the whole
    service's proposals, which are every unit's too) or every board they see."""
    scope = scope_of(session, caller)
    statement = (select(Proposal).where(scope.clause())
                 .options(selectinload(Proposal.unit))
                 .order_by(Proposal.updated_at.desc(), Proposal.id.desc()))
    if unit:
        unit_row = _unit_in_scope(session, scope, unit)
        statement = statement.where(or_(Proposal.unit_id.is_(None),
                                        Proposal.unit_id == unit_row.id))
    if state:
        statement = statement.where(Proposal.state == state)
    return paginate(session, statement, page, page_size)


def views(session: Session, catalogue: Catalogue, proposals: list[Proposal]) -> list[dict[str, Any]]:
    """Each proposal as the board shows it, with its history oldest first (two queries)."""
    ids = [p.id for p in proposals]
    history: dict[int, list[ProposalEvent]] = {i: [] for i in ids}
    if ids:
        for event in session.scalars(select(ProposalEvent)
                                     .where(ProposalEvent.proposal_id.in_(ids))
                                     .order_by(ProposalEvent.proposal_id, ProposalEvent.seq)):
            history[event.proposal_id].append(event)
    authors = {p.author_user_id for p in proposals if p.author_user_id is not None}
    names: dict[int, str] = {
        user_id: name for user_id, name
        in session.execute(select(User.id, User.name).where(User.id.in_(authors)))}
    return [_view(catalogue, p, history[p.id], names.get(p.author_user_id or 0))
            for p in proposals]


def _view(catalogue: Catalogue, proposal: Proposal, history: list[ProposalEvent],
          author: str | None) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "unit": proposal.unit.code if proposal.unit else None,
        "unit_name": proposal.unit.name if proposal.unit else None,
        "title": proposal.title,
        "detail": proposal.detail,
        "anonymous": proposal.anonymous,
        "raised_by": None if proposal.anonymous else author,
        "state": proposal.state,
        "version": proposal.version,
        "created_at": clock.as_utc(proposal.created_at),
        "updated_at": clock.as_utc(proposal.updated_at),
        "triggers": allowed_triggers(catalogue, proposal.state),
        "history": [event_view(e) for e in history],
    }


def event_view(event: ProposalEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "trigger": event.trigger,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "note": event.note,
        "actor": event.actor or None,
        "at": clock.as_utc(event.at),
        "forum": event.forum,
        "on": event.forum_on,
        "decision": event.decision,
    }


def proposal_view(session: Session, catalogue: Catalogue, proposal: Proposal) -> dict[str, Any]:
    session.refresh(proposal)
    return views(session, catalogue, [proposal])[0]


# --- the member's data rights: proposals they raised under their name -------------------------

def _users_of(session: Session, member_id: int) -> list[int]:
    return list(session.scalars(select(User.id).where(User.member_id == member_id)))


def raised_by_member(session: Session, member_id: int) -> list[dict[str, Any]]:
    """The proposals a member raised under their name, for their data export. Anonymous ones
    have no author stored, so nothing links them to anyone."""
    users = _users_of(session, member_id)
    if not users:
        return []
    rows = session.scalars(select(Proposal).where(Proposal.author_user_id.in_(users))
                           .order_by(Proposal.id))
    return [{"id": p.id, "unit": p.unit.code if p.unit else None, "title": p.title,
             "detail": p.detail, "state": p.state,
             "raised_at": clock.as_utc(p.created_at)} for p in rows]


def erase_member_text(session: Session, member_id: int, erased_name: str) -> int:
    """Blank the free text of the proposals a member raised under their name (erasure), and
    their name on those histories; the card stays on the board, with what the service did
    about it. Returns how many proposals."""
    users = _users_of(session, member_id)
    if not users:
        return 0
    session.execute(update(ProposalEvent).where(ProposalEvent.user_id.in_(users))
                    .values(actor=erased_name).execution_options(synchronize_session=False))
    ids = list(session.scalars(select(Proposal.id).where(Proposal.author_user_id.in_(users))))
    if ids:
        _scrub_stored_answers(session, users, ids)
    result = session.execute(
        update(Proposal).where(Proposal.author_user_id.in_(users))
        .values(title=ERASED_TEXT, detail=ERASED_TEXT)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _scrub_stored_answers(session: Session, users: list[int], ids: list[int]) -> None:
    """Idempotent replays of a raise (the author's own) or of a move (anyone's) keep their
    shape, without the proposal's words."""
    body = IdempotentResponse.body
    about = or_(body[("proposal", "id")].as_integer().in_(ids),
                IdempotentResponse.user_id.in_(users) & body["id"].as_integer().in_(ids)
                & body["detail"].as_string().is_not(None))
    for stored in session.scalars(select(IdempotentResponse).where(about)):
        answer = dict(stored.body)
        if isinstance(answer.get("proposal"), dict):
            answer["proposal"] = {**answer["proposal"], "title": ERASED_TEXT,
                                  "detail": ERASED_TEXT}
        else:
            answer.update(title=ERASED_TEXT, detail=ERASED_TEXT)
        stored.body = answer


# --- the integrity check -------------------------------------------------------------------

def replay_faults(session: Session, catalogue: Catalogue) -> list[str]:
    """Replay each proposal's history through the machine; every fault in words."""
    workflow = compile_definition(board_definition(catalogue))
    initial = board_definition(catalogue).initial
    faults: list[str] = []
    proposals = {p.id: p for p in session.scalars(select(Proposal).order_by(Proposal.id))}
    histories: dict[int, list[ProposalEvent]] = {i: [] for i in proposals}
    for event in session.scalars(select(ProposalEvent)
                                 .order_by(ProposalEvent.proposal_id, ProposalEvent.seq)):
        histories.setdefault(event.proposal_id, []).append(event)
    for proposal_id, events in histories.items():
        proposal = proposals.get(proposal_id)
        if proposal is None:
            faults.append(f"proposal {proposal_id}: events of a proposal that does not exist")
            continue
        state: str | None = None
        for number, event in enumerate(events, start=1):
            if event.seq != number:
                faults.append(f"proposal {proposal_id}: event {event.seq} out of sequence "
                              f"(expected {number})")
            if event.trigger == RAISE:
                expected = initial if state is None else None
            elif event.trigger == FORUM_DECISION:
                expected = state
            else:
                try:
                    expected = workflow.fire(event.trigger, state or "")
                except TriggerNotAllowed:
                    expected = None
            if expected is None or event.to_state != expected or event.from_state != state:
                faults.append(f"proposal {proposal_id}: event {event.seq} ({event.trigger}) "
                              f"goes {event.from_state} -> {event.to_state}, which the "
                              f"machine does not allow from {state}")
            state = event.to_state
        if state != proposal.state:
            faults.append(f"proposal {proposal_id}: the history ends at {state} but the "
                          f"proposal is {proposal.state}")
        if events and proposal.version != events[-1].seq:
            faults.append(f"proposal {proposal_id}: version {proposal.version} but "
                          f"{events[-1].seq} events")
    return faults
