"""What a report counts: the caller's units, an optional unit and kind, and a period of days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Label, and_, case, func, true
from sqlalchemy.orm import QueryableAttribute, Session

from pathway import clock
from pathway.errors import InvalidInput
from pathway.people.access import RECORD_READERS, Caller
from pathway.people.units import unit_by_code
from pathway.reports.suppression import NOTE
from pathway.reports.vocabulary import Levels, configured_levels, levels_of
from pathway.store.models import Unit
from workflows.schema import MEMBER_KINDS, Catalogue

ColumnLike = ColumnElement[Any] | QueryableAttribute[Any]
"""A column a report filters or counts on: ``Member.unit_id`` or any column expression."""


def tally(condition: ColumnElement[bool] | Any, name: str) -> Label[int]:
    """How many rows meet ``condition``, as column ``name`` (0 when none do)."""
    return func.sum(case((condition, 1), else_=0)).label(name)


def within_calendar(field: str, day: date | None) -> None:
    """Refuse a day outside the ones the service counts in, naming the option that gave it:
    the arithmetic around it (the instant it ends, the end of its quarter) would overflow."""
    if day is not None and not clock.within_calendar(day):
        raise InvalidInput(field, f"The date {day.isoformat()} is out of range: give a date "
                                  f"from {clock.FIRST_DAY.isoformat()} to "
                                  f"{clock.LAST_DAY.isoformat()}.")


@dataclass(frozen=True)
class Scope:
    """Who asks and which members they asked about."""

    caller: Caller
    unit: Unit | None = None
    kind: str | None = None
    suppress: bool = False
    levels: Levels = field(default_factory=configured_levels)
    member_data: bool = True  # False: figures only, whatever the caller's role

    @property
    def reads_member_data(self) -> bool:
        """Viewers see aggregates only; published (suppressed) figures never carry people."""
        return self.caller.role in RECORD_READERS and self.member_data and not self.suppress

    def units(self, unit_id: ColumnLike) -> ColumnElement[bool]:
        """Limit a unit-id column to the caller's scope and the unit asked for."""
        clause = self.caller.unit_clause(_column(unit_id))
        if self.unit is not None:
            clause = and_(clause, unit_id == self.unit.id)
        return clause

    def kinds(self, kind: ColumnLike) -> ColumnElement[bool]:
        return kind == self.kind if self.kind else true()

    def echo(self) -> dict[str, object]:
        """The filters as the response repeats them."""
        return {"unit": self.unit.code if self.unit else None, "kind": self.kind,
                "suppressed": self.suppress, "note": NOTE if self.suppress else None}


def _column(expression: ColumnLike) -> ColumnElement[Any]:
    """A mapped attribute (``Member.unit_id``) or a column expression, as a column."""
    if isinstance(expression, ColumnElement):
        return expression
    return expression.__clause_element__()


def aggregates_only(caller: Caller) -> bool:
    """Roles that may not read member records (viewers) see published figures only: small
    numbers hidden, whatever they asked for, so no figure singles out one person."""
    return caller.role not in RECORD_READERS


def scope_for(session: Session, caller: Caller, *, unit: str | None = None,
              kind: str | None = None, suppress: bool = False,
              catalogue: Catalogue | None = None, member_data: bool = True) -> Scope:
    """Check the filters: an unknown (or out-of-scope) unit is not found, a bad kind is 422.

    The levels counted are those of ``catalogue`` (default: the configured definitions).
    Suppression is always on for callers who see aggregates only.
    """
    if kind and kind not in MEMBER_KINDS:
        raise InvalidInput("kind", f"Unknown kind {kind!r}; kinds are: {', '.join(MEMBER_KINDS)}.")
    unit_row = unit_by_code(session, unit, caller) if unit else None
    levels = levels_of(catalogue) if catalogue is not None else configured_levels()
    return Scope(caller=caller, unit=unit_row, kind=kind or None,
                 suppress=suppress or aggregates_only(caller), levels=levels,
                 member_data=member_data)


@dataclass(frozen=True)
class Period:
    """Whole days in the service's zone, both ends included."""

    start: date
    end: date
    zone: ZoneInfo

    @property
    def begins(self) -> datetime:
        """The first instant of ``start`` in the zone, in UTC (no day before it is needed)."""
        return datetime.combine(self.start, time(0, 0), tzinfo=self.zone).astimezone(UTC)

    @property
    def ends(self) -> datetime:
        """The first instant after ``end`` in the zone, in UTC (exclusive)."""
        return clock.end_of_day(self.end, self.zone)


def period_for(start: date | None, end: date | None, zone: ZoneInfo) -> Period:
    """``from``/``to`` with defaults: up to today, over the twelve calendar months to ``to``."""
    within_calendar("from", start)
    within_calendar("to", end)
    end = end or clock.today(zone)
    start = start or twelve_months_before(end)
    if start > end:
        raise InvalidInput("from", f"'from' ({start.isoformat()}) is after 'to' "
                                   f"({end.isoformat()}).")
    return Period(start=start, end=end, zone=zone)


def twelve_months_before(day: date) -> date:
    """The first day of the month eleven months before ``day``'s month."""
    month = day.year * 12 + day.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1)
