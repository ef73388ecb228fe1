"""Involvement and payment in the demo: a few members' bookings in every state, and
benefit-safe limits on two of them, so ``make run`` shows the involvement pages filled in."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import Actor
from pathway.involvement import limits, records
from pathway.store.models import Event, Member
from workflows.involvement import CUSTOM, DECLINED, MONTH, PAID, VOLUNTEER, VOUCHER
from workflows.schema import Catalogue
from workflows.vocabulary import APPROVE, CANCEL, MARK_DONE, PAY

BOOKER = Actor(name="demo coordinator", role="coordinator")
# Approving and paying are for someone other than whoever booked.
CHECKER = Actor(name="demo senior coordinator", role="coordinator")
# (activity, hours, payment, expenses in pence, the steps it has been through)
PLAN = (
    ("community_meeting", 1.5, PAID, 0, (MARK_DONE, APPROVE, PAY)),
    ("feedback_group", 2, VOUCHER, 450, (MARK_DONE, APPROVE)),
    ("co_delivered_training", 3, PAID, 620, (MARK_DONE,)),
    ("community_meeting", 1, VOLUNTEER, 0, ()),
    ("recruitment_panel", 4, DECLINED, 380, (MARK_DONE, APPROVE, PAY)),
    ("feedback_group", 1, PAID, 0, (CANCEL,)),
)
MEMBERS = 4
DAYS_NEEDED = 3 * 5  # three bookings, each booked, held and moved on over five days
CANCEL_REASON = "Session moved and not rearranged"


def book_demo_involvement(session: Session, catalogue: Catalogue, members: list[Member],
                          zone: ZoneInfo, today: date) -> int:
    """Book the plan for a few members still involved; returns the events added.

    Each member's history runs forward in time, so their involvement starts after their
    latest event and is all done by yesterday.
    """
    if not catalogue.activities:
        return 0
    yesterday = today - timedelta(days=1)
    rules = list(catalogue.benefit_rules)
    events = 0
    chosen = 0
    for member in members:
        if chosen == MEMBERS:
            break
        latest = session.scalar(select(func.max(Event.effective_at))
                                .where(Event.member_id == member.id))
        day = clock.local_date(latest, zone) + timedelta(days=1) if latest else member.joined_on
        if day + timedelta(days=DAYS_NEEDED) > yesterday:
            continue
        if chosen == 0 and rules:
            limits.set_limits(session, catalogue, member, BOOKER, rules[:1], None)
        if chosen == 1:
            limits.set_limits(session, catalogue, member, BOOKER, [CUSTOM],
                              {"period": MONTH, "limit_pence": 15000})
        for activity, hours, payment, expenses, steps in PLAN[chosen:chosen + 3]:
            on = day + timedelta(days=1)
            _, view = records.book(session, catalogue, member, BOOKER, zone, activity=activity,
                                   on=on, hours=hours, payment=payment,
                                   expenses_pence=expenses, booked_on=day)
            events += 1
            for offset, step in enumerate(steps):
                actor = CHECKER if step in (APPROVE, PAY) else BOOKER
                records.change(session, catalogue, member, view.id, step, actor, zone,
                               reason=CANCEL_REASON if step == CANCEL else None,
                               happened_on=on + timedelta(days=offset))
                events += 1
            day = on + timedelta(days=len(steps))
        chosen += 1
    return events
