"""The member's view of a move: given with the move, or added (and changed) by the member later.

A view given with a move is kept on the move's own event. A view added afterwards is its own
``member_view`` event on the pathway, which changes no state and ``refers_to`` the move: the
history is never rewritten, and the latest view of a move is what counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway.engine import PATHWAY, Actor, Firing, Outcome, fire
from pathway.errors import InvalidInput, NotFound
from pathway.store.models import Event, Member
from workflows.guards import AGREES, DISAGREES, NOT_ASKED, VIEWS
from workflows.schema import Catalogue
from workflows.vocabulary import MEMBER_VIEW, PATHWAY_MACHINE

__all__ = [
    "AGREES",
    "DISAGREES",
    "LATER_VIEWS",
    "NONE",
    "NOT_ASKED",
    "VIEWS",
    "WORDS_LIMIT",
    "MoveView",
    "add_view",
    "checked_view",
    "latest_views",
]

NONE = "none"  # no view recorded at all (a report's column)
LATER_VIEWS = (AGREES, DISAGREES)  # a view added afterwards is the member's own: never "not asked"
WORDS_LIMIT = 2000
# How each answer reads to a person.
SAYS = {AGREES: "Agrees", DISAGREES: "Does not agree", NOT_ASKED: "Not asked"}


def checked_view(view: Mapping[str, Any] | None, *, field: str = MEMBER_VIEW,
                 answers: tuple[str, ...] = VIEWS) -> dict[str, Any] | None:
    """The view as it is kept, or ``InvalidInput`` naming the field that is wrong (the
    request field is named like the trigger that records a view later: ``member_view``).

    ``why_not_asked`` is needed when the member was not asked, and kept only then.
    """
    if view is None:
        return None

    def named(key: str) -> str:
        return f"{field}.{key}" if field else key

    agrees = view.get("agrees")
    if agrees not in answers:
        raise InvalidInput(named("agrees"), f"Say whether the member agrees: one of "
                                              f"{', '.join(answers)}.")
    words = _text(view.get("words"), named("words"))
    why = _text(view.get("why_not_asked"), named("why_not_asked"))
    if agrees == NOT_ASKED and not why:
        raise InvalidInput(named("why_not_asked"),
                           "Say why the member was not asked for their view.")
    kept: dict[str, Any] = {"agrees": agrees, "words": words,
                            "why_not_asked": why if agrees == NOT_ASKED else None}
    if view.get("on_behalf"):
        kept["on_behalf"] = True
    return kept


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, "Give this as text.")
    value = value.strip()
    if "\x00" in value:
        raise InvalidInput(field, "The text holds a character that cannot be stored.")
    if len(value) > WORDS_LIMIT:
        raise InvalidInput(field, f"Keep this to {WORDS_LIMIT} characters.")
    return value or None


def add_view(session: Session, catalogue: Catalogue, member: Member, event_id: int,
             view: Mapping[str, Any], actor: Actor, zone: ZoneInfo, *, on_behalf: bool,
             idempotency_key: str | None = None, on: date | None = None) -> Outcome:
    """Record the member's view of one of their pathway events, afterwards (not committed).

    A view of a later view is a view of the move it was about.
    """
    move = session.scalar(select(Event).where(Event.id == event_id,
                                              Event.member_id == member.id,
                                              Event.machine == PATHWAY))
    if move is None:
        raise NotFound(f"Member {member.id}'s pathway has no event {event_id}.")
    if move.trigger == MEMBER_VIEW and move.refers_to is not None:
        event_id = move.refers_to
    kept = checked_view({**view, "on_behalf": on_behalf}, field="",
                        answers=LATER_VIEWS)
    assert kept is not None
    return fire(session, catalogue, member, PATHWAY_MACHINE,
                Firing(trigger=MEMBER_VIEW, member_view=kept, refers_to=event_id,
                       idempotency_key=idempotency_key, on=on), actor, zone)


@dataclass(frozen=True)
class MoveView:
    """The member's latest view of one move, and whether it was added afterwards."""

    agrees: str
    words: str | None
    why_not_asked: str | None
    on_behalf: bool
    later: bool

    @property
    def says(self) -> str:
        return SAYS.get(self.agrees, self.agrees)


def latest_views(session: Session, events: Iterable[Event]) -> dict[int, MoveView]:
    """Each of these events' latest view (a later ``member_view`` event wins), by event id."""
    events = list(events)
    ids = [e.id for e in events]
    later: dict[int, dict[str, Any]] = {}
    if ids:
        newest = (select(func.max(Event.id)).where(Event.refers_to.in_(ids),
                                                   Event.trigger == MEMBER_VIEW)
                  .group_by(Event.refers_to))
        for refers_to, view in session.execute(select(Event.refers_to, Event.member_view)
                                               .where(Event.id.in_(newest))):
            if refers_to is not None and view:
                later[refers_to] = view
    found: dict[int, MoveView] = {}
    for event in events:
        view, afterwards = (later[event.id], True) if event.id in later else (event.member_view,
                                                                             False)
        if view:
            found[event.id] = MoveView(agrees=view.get("agrees", ""), words=view.get("words"),
                                       why_not_asked=view.get("why_not_asked"),
                                       on_behalf=bool(view.get("on_behalf")), later=afterwards)
    return found
