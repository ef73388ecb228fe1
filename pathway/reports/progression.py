"""Progression: the level distribution at the end of each week, month or quarter of a period.

One statement for the whole series, from the distribution ledger: each interval's end is its
checkpoint plus the changes since, summed per group (``pathway.reports.ledger``). Month ends
are checkpoint days, so a year by month reads twelve checkpoints and little else.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pathway.errors import InvalidInput
from pathway.reports.distribution import table
from pathway.reports.ledger import rows_on
from pathway.reports.scope import Period, Scope

INTERVALS = ("week", "month", "quarter")
MAX_POINTS = 120


def _last_day_of_month(day: date) -> date:
    if day.month == 12:  # no first of next month to count back from in year 9999
        return date(day.year, 12, 31)
    return date(day.year, day.month + 1, 1) - timedelta(days=1)


def interval_end(day: date, interval: str) -> date:
    """The last day of the week (Monday to Sunday), month or quarter holding ``day``."""
    if interval == "week":
        return day + timedelta(days=6 - day.weekday())
    if interval == "month":
        return _last_day_of_month(day)
    quarter_month = (day.month - 1) // 3 * 3 + 3
    return _last_day_of_month(date(day.year, quarter_month, 1))


def intervals(period: Period, interval: str) -> list[tuple[date, date]]:
    """(first day, last day) of each interval overlapping the period, clipped to it."""
    if interval not in INTERVALS:
        raise InvalidInput("interval", f"Unknown interval {interval!r}; intervals are: "
                                       f"{', '.join(INTERVALS)}.")
    spans = []
    cursor = period.start
    while True:
        end = min(interval_end(cursor, interval), period.end)
        spans.append((cursor, end))
        # the cap bounds the loop whatever the period; it stops at the period's end without
        # stepping past it (the day after the last day there is may not exist)
        if len(spans) > MAX_POINTS:
            raise InvalidInput("interval", f"From {period.start.isoformat()} to "
                                           f"{period.end.isoformat()} is more than {MAX_POINTS} "
                                           f"{interval}s; choose a longer interval or a shorter "
                                           "period.")
        if end >= period.end:
            return spans
        cursor = end + timedelta(days=1)


def progression(session: Session, scope: Scope, period: Period, interval: str = "month",
                ) -> dict[str, Any]:
    """The distribution at the end of each interval, oldest first."""
    spans = intervals(period, interval)
    rows_at = rows_on(session, scope, [end for _, end in spans], by_kind=True)
    series = []
    for index, (start, end) in enumerate(spans):
        published, totals = table(rows_at[index], scope)
        series.append({"period_start": start, "as_of": end, "rows": published,
                       "totals": totals})
    return {"from": period.start, "to": period.end, "interval": interval, **scope.echo(),
            "series": series}
