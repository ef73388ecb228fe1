"""Progression: the level distribution at the end of each week, month or quarter of a period.

One statement for the whole series: the interval ends are a small derived table (one row per
point) and each member's state is probed at every point, grouped by point, unit and kind.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, literal, select, union_all
from sqlalchemy.orm import Session

from pathway import clock
from pathway.errors import InvalidInput
from pathway.reports.distribution import counts_at, distribution_rows, table
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
    points = union_all(*(
        # typed binds, not CAST: SQLite's CAST(... AS DATETIME) turns the text into a number
        select(literal(index, Integer).label("point"),
               literal(clock.end_of_day(end, period.zone), DateTime(timezone=True))
               .label("bound"))
        for index, (_, end) in enumerate(spans))).subquery("points")
    counts = counts_at(scope, points.c.bound, extra_keys=(points.c.point.label("point"),),
                       source=points)
    rows = distribution_rows(session, counts, scope, by_kind=True, extra=("point",))
    series = []
    for index, (start, end) in enumerate(spans):
        at_point = [{k: v for k, v in row.items() if k != "point"} for row in rows
                    if row["point"] == index]
        published, totals = table(at_point, scope)
        series.append({"period_start": start, "as_of": end, "rows": published,
                       "totals": totals})
    return {"from": period.start, "to": period.end, "interval": interval, **scope.echo(),
            "series": series}
