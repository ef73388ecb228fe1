"""Time: stored in UTC, days counted in the service's zone (Europe/London by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The days the service counts in. Every day a request or a report can name lies between these,
# so the date arithmetic around a day (the day before or after, the end of its week, month or
# quarter, the instant it begins or ends in any zone) stays inside ``datetime``'s years 1-9999.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9999, 1, 1)


def within_calendar(day: date) -> bool:
    """Whether ``day`` is one the service can count in (``FIRST_DAY`` to ``LAST_DAY``)."""
    return FIRST_DAY <= day <= LAST_DAY


def now() -> datetime:
    return datetime.now(UTC)


def today(zone: ZoneInfo) -> date:
    return now().astimezone(zone).date()


def start_of(day: date, zone: ZoneInfo) -> datetime:
    """A date recorded without a time: the moment it begins in the service's zone, in UTC.

    Never later than now for any day up to today there, so an event recorded "now" can
    never sort before one recorded for today without a time (between 00:00 and 01:00 in
    British Summer Time, midnight UTC would still be in the future).
    """
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant after ``day`` ends in ``zone``, in UTC (exclusive bound)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return as_utc(moment).astimezone(zone).date()
