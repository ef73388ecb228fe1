"""A coordinator's units at a glance: counts by kind, level and status, and the longest waits.

The counts are the level distribution's own GROUP BY over the pathway rows (one index scan);
the waits are the summary report's query, with the member's id so a page can link to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import PATHWAY
from pathway.people.access import Caller
from pathway.people.members import members_query
from pathway.people.units import units_query
from pathway.reports.distribution import current_rows
from pathway.reports.history import days_between, level_reached_at
from pathway.reports.scope import Scope
from pathway.reports.vocabulary import ACTIVE, Levels
from pathway.store.models import Instance, Member, Unit

WAITING_SHOWN = 10


@dataclass(frozen=True)
class Counts:
    """Members of one kind (or all kinds) in one unit: active at each level, paused, exited."""

    kind: str
    by_column: dict[str, int]

    def __getattr__(self, name: str) -> int:
        # ``counts.level_2`` in a template reads the column of that name.
        if name in self.by_column:
            return self.by_column[name]
        raise AttributeError(name)

    @property
    def total(self) -> int:
        return self.by_column.get("total", 0)


@dataclass(frozen=True)
class UnitCounts:
    code: str
    name: str
    kinds: list[Counts]
    all_kinds: Counts


@dataclass(frozen=True)
class Waiting:
    member_id: int
    reference: str
    unit: str
    kind: str
    level: str
    since: datetime | None
    days: int | None


@dataclass(frozen=True)
class Overview:
    units: list[UnitCounts]
    columns: tuple[str, ...]
    waiting: list[Waiting] = field(default_factory=list)

    @property
    def chart_rows(self) -> list[dict[str, object]]:
        """One row per unit, the shape the distribution chart draws."""
        return [{"unit": u.code, "kind": "all", **u.all_kinds.by_column} for u in self.units]


def _summed(kind: str, rows: list[dict[str, int]], columns: tuple[str, ...]) -> Counts:
    return Counts(kind, {name: sum(row[name] for row in rows) for name in columns})


def units_overview(session: Session, caller: Caller, now: datetime, kinds: tuple[str, ...],
                   levels: Levels, *, waiting_shown: int = WAITING_SHOWN) -> Overview:
    """Every unit in the caller's scope (empty ones too), each kind in ``kinds`` order, with
    a column for each of ``levels`` (the definitions' own)."""
    rows = current_rows(session, Scope(caller=caller, levels=levels), by_kind=True)
    columns = levels.row_counts
    by_unit: dict[str, dict[str, dict[str, int]]] = {}
    for row in rows:
        by_unit.setdefault(row["unit"], {})[row["kind"]] = {n: row[n] for n in columns}
    empty = dict.fromkeys(columns, 0)
    units = []
    for unit in session.scalars(units_query(caller)):
        held = by_unit.get(unit.code, {})
        per_kind = [Counts(kind, held.get(kind, empty)) for kind in kinds]
        units.append(UnitCounts(unit.code, unit.name, per_kind,
                                _summed("all", [c.by_column for c in per_kind], columns)))
    return Overview(units=units, columns=levels.counts,
                    waiting=longest_waits(session, caller, now, levels, waiting_shown))


def longest_waits(session: Session, caller: Caller, now: datetime, levels: Levels,
                  limit: int) -> list[Waiting]:
    """Active members below the top level, longest at their level first (as the summary)."""
    # Only pathway rows are read here, and those always hold a level.
    level = cast(ColumnElement[str], Instance.level.expression)
    reached = level_reached_at(levels, Instance.id.expression, level, None, Instance.__table__)
    days = days_between(now, reached)
    statement = (select(Member.id, Member.reference, Unit.code, Member.kind, Instance.level,
                        reached.label("since"), days.label("days"))
                 .join(Instance, and_(Instance.member_id == Member.id,
                                      Instance.machine == PATHWAY))
                 .join(Unit, Unit.id == Member.unit_id)
                 .where(Instance.status == ACTIVE, Instance.level.in_(levels.lower),
                        caller.unit_clause(Member.unit_id.expression))
                 .order_by(days.desc(), Member.id).limit(limit))
    return [Waiting(member_id, reference, unit, kind, level or "",
                    clock.as_utc(since) if since is not None else None,
                    int(days_at) if days_at is not None else None)
            for member_id, reference, unit, kind, level, since, days_at
            in session.execute(statement)]


def unit_members(caller: Caller, unit_id: int, *, kind: str | None = None,
                 level: str | None = None, status: str | None = None,
                 reference: str | None = None) -> Select[Member, Instance]:
    """A unit's members with their pathway rows, filtered as the members list filters them,
    and found by reference: the text anywhere in it, in any case."""
    statement = members_query(caller, unit_id=unit_id, kind=kind, level=level, status=status)
    if reference:
        pattern = "%" + reference.lower().replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_") + "%"
        statement = statement.where(func.lower(Member.reference).like(pattern, escape="\\"))
    return statement
