"""Time: stored in UTC, days counted in the service's zone (Europe/London by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def today(zone: ZoneInfo) -> date:
    return now().astimezone(zone).date()


def start_of(day: date) -> datetime:
    """A date recorded without a time: midnight UTC, which falls on that day in UK time too."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant after ``day`` ends in ``zone``, in UTC (exclusive bound)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return as_utc(moment).astimezone(zone).date()
