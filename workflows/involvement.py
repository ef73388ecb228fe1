"""Involvement and payment as data: the activity catalogue with its rates, and the
benefit-safe limits with their published figures, each read from YAML and checked with
located faults like every other definition.

Rates and figures carry the day they apply from, so a booking or a week is always judged by
the rate or figure of its own day, and a service adds next April's figure without touching
the past.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

if TYPE_CHECKING:
    from workflows.schema import Catalogue, _Reader

# How a rate is counted, and the periods a limit is counted over.
PER_HOUR: Final = "hour"
PER_SESSION: Final = "session"
RATE_UNITS: Final = (PER_HOUR, PER_SESSION)
WEEK: Final = "week"  # Monday to Sunday
MONTH: Final = "month"  # the calendar month
PERIODS: Final = (WEEK, MONTH)
# A member's own limit, set on the member rather than read from the YAML.
CUSTOM: Final = "custom"
# How a member is paid for one piece of involvement; only the first two are earnings.
PAID: Final = "paid"
VOUCHER: Final = "voucher"
DECLINED: Final = "declined"
VOLUNTEER: Final = "volunteer"
PAYMENTS: Final = (PAID, VOUCHER, DECLINED, VOLUNTEER)
EARNINGS: Final = (PAID, VOUCHER)


class _Dated(Protocol):
    @property
    def applies_from(self) -> date: ...


_D = TypeVar("_D", bound=_Dated)


def applying_on(entries: tuple[_D, ...], day: date) -> _D | None:
    """Of entries kept oldest first, the latest one applying on or before ``day``."""
    found = None
    for entry in entries:
        if entry.applies_from <= day:
            found = entry
    return found


@dataclass(frozen=True)
class Rate:
    applies_from: date
    per: str  # PER_HOUR | PER_SESSION
    pence: int


@dataclass(frozen=True)
class Activity:
    code: str
    title: str
    levels: tuple[str, ...]
    rates: tuple[Rate, ...]  # oldest first
    where: str = ""

    def rate_on(self, day: date) -> Rate | None:
        """The rate that applied on ``day``: the latest one starting on or before it."""
        return applying_on(self.rates, day)


@dataclass(frozen=True)
class Figure:
    applies_from: date
    limit_pence: int
    source: str
    url: str


@dataclass(frozen=True)
class BenefitRule:
    code: str
    title: str
    period: str  # WEEK | MONTH
    figures: tuple[Figure, ...]  # oldest first

    def figure_on(self, day: date) -> Figure | None:
        return applying_on(self.figures, day)


def _day(reader: _Reader, value: Any, path: str) -> date | None:
    """YAML reads ``2025-04-07`` as a date already; quoted text is accepted too."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    reader.fault(path, "must be a date written YYYY-MM-DD")
    return None


def _pence(reader: _Reader, data: dict[str, Any], key: str, path: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        reader.fault(f"{path}.{key}", "must be a whole number of pence, 0 or more")
        return None
    return value


def _in_order(reader: _Reader, days: list[date], path: str) -> None:
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        reader.fault(path, "list them oldest first, each from a later day than the one before")


def read_activities(reader: _Reader, data: dict[str, Any], catalogue: Catalogue) -> None:
    reader.unknown_keys(data, {"activities", "title", "description"}, "")
    for i, raw in enumerate(reader.sequence(data.get("activities"), "activities")):
        where = f"activities[{i}]"
        item = reader.mapping(raw, where)
        reader.unknown_keys(item, {"code", "title", "levels", "rates", "description"}, where)
        code = reader.text(item, "code", where)
        title = reader.text(item, "title", where)
        levels: list[str] = []
        for j, level in enumerate(reader.sequence(item.get("levels"), f"{where}.levels")):
            if isinstance(level, str) and level:
                levels.append(level)
            else:
                reader.fault(f"{where}.levels[{j}]", "must be a level code")
        if not levels:
            reader.fault(f"{where}.levels", "name at least one level the activity suits")
        rates: list[Rate] = []
        for j, raw_rate in enumerate(reader.sequence(item.get("rates"), f"{where}.rates")):
            spot = f"{where}.rates[{j}]"
            rate = reader.mapping(raw_rate, spot)
            reader.unknown_keys(rate, {"from", "per", "pence"}, spot)
            day = _day(reader, rate.get("from"), f"{spot}.from")
            per = rate.get("per")
            if per not in RATE_UNITS:
                reader.fault(f"{spot}.per", f"must be one of: {', '.join(RATE_UNITS)}")
            pence = _pence(reader, rate, "pence", spot)
            if day is not None and per in RATE_UNITS and pence is not None:
                rates.append(Rate(day, per, pence))
        if not rates:
            reader.fault(f"{where}.rates", "an activity needs at least one rate")
        _in_order(reader, [r.applies_from for r in rates], f"{where}.rates")
        if code in catalogue.activities:
            reader.fault(f"{where}.code", f"duplicate activity code {code!r}")
        catalogue.activities[code] = Activity(code, title, tuple(levels), tuple(rates),
                                              where=f"{reader.file}: {where}")


def read_benefit_limits(reader: _Reader, data: dict[str, Any], catalogue: Catalogue) -> None:
    reader.unknown_keys(data, {"benefit_limits", "title", "description"}, "")
    for i, raw in enumerate(reader.sequence(data.get("benefit_limits"), "benefit_limits")):
        where = f"benefit_limits[{i}]"
        item = reader.mapping(raw, where)
        reader.unknown_keys(item, {"code", "title", "period", "figures", "description"}, where)
        code = reader.text(item, "code", where)
        if code == CUSTOM:
            reader.fault(f"{where}.code", f"{CUSTOM!r} is each member's own limit; choose "
                                          "another code")
        title = reader.text(item, "title", where)
        period = item.get("period")
        if period not in PERIODS:
            reader.fault(f"{where}.period", f"must be one of: {', '.join(PERIODS)}")
        figures: list[Figure] = []
        for j, raw_figure in enumerate(reader.sequence(item.get("figures"), f"{where}.figures")):
            spot = f"{where}.figures[{j}]"
            figure = reader.mapping(raw_figure, spot)
            reader.unknown_keys(figure, {"from", "limit_pence", "source", "url"}, spot)
            day = _day(reader, figure.get("from"), f"{spot}.from")
            pence = _pence(reader, figure, "limit_pence", spot)
            source = reader.text(figure, "source", spot)
            url = reader.text(figure, "url", spot)
            if day is not None and pence is not None:
                figures.append(Figure(day, pence, source, url))
        if not figures:
            reader.fault(f"{where}.figures", "a limit needs at least one figure with its source")
        _in_order(reader, [f.applies_from for f in figures], f"{where}.figures")
        if code in catalogue.benefit_rules:
            reader.fault(f"{where}.code", f"duplicate benefit limit code {code!r}")
        catalogue.benefit_rules[code] = BenefitRule(code, title, str(period), tuple(figures))


def check_levels(catalogue: Catalogue, levels: set[str], faults: list[str]) -> None:
    """An activity may only name levels some pathway has."""
    for activity in catalogue.activities.values():
        for j, level in enumerate(activity.levels):
            if level not in levels:
                faults.append(f"{activity.where}.levels[{j}]: unknown level {level!r}")
