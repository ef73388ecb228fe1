"""The demo's proposals board: a handful of cards in every column, so `make run` shows "you
said, we did" at work (one raised anonymously, one with a forum's decision, one not adopted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.ops.demo_sign_ins import demo_member
from pathway.people import proposals
from pathway.people.access import Caller
from pathway.people.users import create_user
from pathway.store.models import Member, Unit
from workflows.schema import Catalogue
from workflows.vocabulary import AMBER, GREEN, NOT_ADOPTED, RED

FORUM = "Service user and carer forum"


@dataclass(frozen=True)
class Decision:
    decision: str
    note: str
    days_ago: int


@dataclass(frozen=True)
class Card:
    """One proposal: who raises it (a member of that unit, staff, or nobody named), where,
    and the moves made since, each with its note."""

    unit: str | None
    by: str  # "member", "staff" or "anonymous"
    title: str
    detail: str
    moves: tuple[tuple[str, str], ...] = ()
    forum: Decision | None = None


# The demo member's own unit, so the demo coordinator (who looks after it) and the demo member
# both find cards there after ``make run``.
HOME = "home"

CARDS = (
    Card(HOME, "member", "Later breakfast at weekends",
         "Breakfast at 8 is early for people whose evening medication makes mornings hard. "
         "Could it run until 10 on Saturdays and Sundays?",
         ((AMBER, "Talking to the kitchen team about a later finish at weekends."),
          (GREEN, "Weekend breakfast now runs until 10am, from this month.")),
         Decision(proposals.APPROVED, "Approved; review after three months.", 40)),
    Card(HOME, "anonymous", "A quiet room for family visits",
         "Visits happen in the lounge where everyone can hear. A small room would help "
         "families talk.",
         ((RED, "No room is free until the refurbishment next spring; we will look again "
                "then."),)),
    Card(None, "staff", "Peer support line in the evenings",
         "A phone line staffed by trained peer supporters from 6 to 10pm, for people living in "
         "the community after discharge.",
         ((AMBER, "Recruiting peer supporters; the forum asked for a three-month pilot first."),),
         Decision(proposals.CHANGES_REQUESTED,
                  "Start with a pilot in one team and report back.", 12)),
    Card(HOME, "anonymous", "Mobile phones on the ward at night",
         "Let people keep their phones overnight to stay in touch with family.",
         ((NOT_ADOPTED, "The ward's safety policy keeps phones in the office overnight; the "
                        "forum will review the policy next year."),)),
    Card("ty-celyn", "staff", "A gardening group",
         "Use the courtyard beds for a weekly gardening group run with the occupational "
         "therapist."),
)


def load(session: Session, catalogue: Catalogue, zone: ZoneInfo) -> int:
    """Put the demo's cards on the board (not committed). Returns how many."""
    units = {u.code: u for u in session.scalars(select(Unit))}
    shown = demo_member(session)
    ward = session.get(Unit, shown.unit_id) if shown is not None else None
    member = session.scalars(select(Member).where(
        Member.unit_id == (ward.id if ward else -1), Member.display_name.is_not(None),
        Member.id != (shown.id if shown else -1)).order_by(Member.id).limit(1)).first()
    staff, _ = create_user(session, "Rhian (ward manager)", "coordinator", all_units=True)
    manager = Caller(user_id=staff.id, name=staff.name, role="coordinator", all_units=True,
                     unit_ids=frozenset())
    raisers = {"staff": manager, "anonymous": manager}
    if member is not None:
        user, _ = create_user(session, member.display_name or member.reference, "member",
                              member_id=member.id)
        raisers["member"] = Caller(user_id=user.id, name=user.name, role="member",
                                   all_units=False, unit_ids=frozenset(), member_id=member.id)
    count = 0
    for card in CARDS:
        unit = (ward.code if ward else None) if card.unit == HOME else card.unit
        if card.unit is not None and (unit is None or unit not in units):
            continue
        raiser = raisers.get(card.by, manager)
        proposal = proposals.raise_proposal(
            session, catalogue, raiser, unit=unit, title=card.title, detail=card.detail,
            anonymous=card.by == "anonymous")
        if card.forum is not None:
            proposals.record_forum_decision(
                session, manager, proposal.id, forum=FORUM,
                on=clock.today(zone) - timedelta(days=card.forum.days_ago),
                decision=card.forum.decision, note=card.forum.note, zone=zone)
        for trigger, note in card.moves:
            proposals.move(session, catalogue, manager, proposal.id, trigger=trigger, note=note)
        count += 1
    return count
