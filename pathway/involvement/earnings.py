"""What a member has earned from involvement in a week or a month, against their limits.

Earnings are the amounts of ``paid`` and ``voucher`` records that are not cancelled, by the
day of the activity: never expenses, never declined or volunteer involvement. A week runs
Monday to Sunday and a month is the calendar month; each limit is counted over its own period
with the figure that applies on the activity's day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway.errors import Conflict
from pathway.involvement.limits import Limit, limits_on
from pathway.store.models import BenefitLimitSetting, Instance, InvolvementRecord
from workflows.involvement import EARNINGS, WEEK
from workflows.schema import Catalogue
from workflows.vocabulary import CANCELLED


def period_of(day: date, period: str) -> tuple[date, date]:
    """The first and last day of the week (Monday to Sunday) or calendar month of ``day``."""
    if period == WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def earned(session: Session, member_id: int, start: date, end: date) -> int:
    """Pence earned from involvement held from ``start`` to ``end``, both included."""
    total = session.scalar(
        select(func.coalesce(func.sum(InvolvementRecord.amount_pence), 0))
        .join(Instance, Instance.id == InvolvementRecord.instance_id)
        .where(InvolvementRecord.member_id == member_id,
               InvolvementRecord.held_on >= start, InvolvementRecord.held_on <= end,
               InvolvementRecord.payment.in_(EARNINGS), Instance.state != CANCELLED))
    return int(total or 0)


@dataclass(frozen=True)
class Breach:
    """A limit a period's earnings would go over."""

    limit: Limit
    start: date
    end: date
    total_pence: int

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.limit.rule, "title": self.limit.title, "period": self.limit.period,
                "period_start": self.start.isoformat(), "period_end": self.end.isoformat(),
                "limit_pence": self.limit.limit_pence, "total_pence": self.total_pence}

    def words(self) -> str:
        return (f"{self.limit.title}: the {self.limit.period} from {self.start.isoformat()} to "
                f"{self.end.isoformat()} would reach {pounds(self.total_pence)}, over the limit "
                f"of {pounds(self.limit.limit_pence)}")


def pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def breaches(session: Session, catalogue: Catalogue, member_id: int, day: date,
             adding_pence: int) -> list[Breach]:
    """The member's limits that earnings on ``day`` plus ``adding_pence`` would go over.

    Exactly at a limit is within it; one penny more is over.
    """
    setting = session.get(BenefitLimitSetting, member_id)
    found = []
    for limit in limits_on(catalogue, setting, day):
        start, end = period_of(day, limit.period)
        total = earned(session, member_id, start, end) + adding_pence
        if total > limit.limit_pence:
            found.append(Breach(limit, start, end, total))
    return found


class BenefitLimitReached(Conflict):
    slug = "benefit_limit"


def refuse_unless_chosen(found: list[Breach], override: bool, reason: str | None) -> str | None:
    """Refuse going over a limit unless the member chose to, with a reason; the reason kept."""
    if not found:
        return None
    if override and (reason or "").strip():
        return (reason or "").strip()
    first = found[0]
    ask = ("An override needs a reason: the member's informed choice, in words."
           if override else
           "To go ahead as the member's informed choice, send override true with a reason.")
    raise BenefitLimitReached(
        f"This would take the member over a benefit-safe limit. "
        f"{'; '.join(b.words() for b in found)}. {ask}",
        rule=first.limit.rule, period=first.limit.period, limit_pence=first.limit.limit_pence,
        total_pence=first.total_pence, breaches=[b.as_dict() for b in found])


def headroom(session: Session, catalogue: Catalogue, member_id: int,
             today: date) -> list[dict[str, object]]:
    """Each of the member's limits for the week or month of ``today``: earned and left."""
    setting = session.get(BenefitLimitSetting, member_id)
    rows: list[dict[str, object]] = []
    for limit in limits_on(catalogue, setting, today):
        start, end = period_of(today, limit.period)
        got = earned(session, member_id, start, end)
        rows.append({"rule": limit.rule, "title": limit.title, "period": limit.period,
                     "period_start": start, "period_end": end,
                     "limit_pence": limit.limit_pence, "earned_pence": got,
                     "left_pence": max(limit.limit_pence - got, 0)})
    return rows
