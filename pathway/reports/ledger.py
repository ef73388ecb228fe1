"""The level distribution at the end of any past day, and now, read from the distribution
ledger.

A day's distribution is the latest checkpoint on or before it, plus the changes dated after
the checkpoint up to the day, plus the changes dated up to the checkpoint that were written
after it was taken (backdated events, and everything since the last checkpointing); or, when
the next checkpoint is nearer, that checkpoint less the changes between the day and it. All of it
is summed per (unit, kind, level, status) in SQL; Python only lays out the counted groups.
Many days go in at most two statements (progression): the checkpoint days read as kept in one
scan of their counts, the other days summed from their parts, each with its own checkpoint.
Now is the latest checkpoint plus every change not in it, whatever its day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    case,
    cast,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from pathway.memory import cycle_collector_paused
from pathway.reports.scope import Scope
from pathway.reports.vocabulary import ACTIVE
from pathway.store.ledger import CHANGES, CHECKPOINTS, GROUP
from pathway.store.ledger import COUNTS as KEPT
from pathway.store.models import Unit

# Past this many changes written since the last checkpointing (``pathway ledger checkpoint``
# runs nightly), the distribution now is read from the pathway rows instead of the ledger.
NOW_LAG_LIMIT = 50_000


def _parts(point: int, day: date | None, before: tuple[date, int] | None,
           after: tuple[date, int] | None, scope: Scope) -> list[Select[Any]]:
    """The rows whose sum per group is the distribution at the end of ``day`` (None: after
    every change, whatever its day: the distribution now).

    From the nearer of the checkpoints either side: the one before it plus the changes since,
    or the one after it less the changes in between. Either way the changes dated up to the
    day but written after the checkpoints were taken are added.
    """
    label = literal(point, Integer).label("point")

    def changes(sign: int = 1) -> Select[Any]:
        delta = CHANGES.c.delta if sign > 0 else -CHANGES.c.delta
        return (select(label, *(CHANGES.c[name] for name in GROUP), delta.label("n"))
                .where(scope.units(CHANGES.c.unit_id), scope.kinds(CHANGES.c.kind)))

    def kept(on: date) -> Select[Any]:
        return (select(label, *(KEPT.c[name] for name in GROUP), KEPT.c.members.label("n"))
                .where(KEPT.c.day == on, scope.units(KEPT.c.unit_id), scope.kinds(KEPT.c.kind)))

    if day is None:
        if before is None:
            return [changes()]
        kept_day, through = before
        return [kept(kept_day), changes().where(CHANGES.c.day > kept_day),
                changes().where(CHANGES.c.id > through, CHANGES.c.day <= kept_day)]
    if after is not None and (before is None or after[0] - day < day - before[0]):
        kept_day, through = after
        return [kept(kept_day),
                changes(-1).where(CHANGES.c.day > day, CHANGES.c.day <= kept_day,
                                  CHANGES.c.id <= through),
                changes().where(CHANGES.c.id > through, CHANGES.c.day <= day)]
    if before is not None:
        kept_day, through = before
        return [kept(kept_day),
                changes().where(CHANGES.c.day > kept_day, CHANGES.c.day <= day),
                changes().where(CHANGES.c.id > through, CHANGES.c.day <= kept_day)]
    return [changes().where(CHANGES.c.day <= day)]


Checkpoints = tuple[list[tuple[date, int]], int | None]


def _checkpoint_days(session: Session) -> Checkpoints:
    """The checkpoints (day, through_change) in day order, and the highest change id."""
    checkpoints = [(day, through) for day, through in session.execute(
        select(CHECKPOINTS.c.day, CHECKPOINTS.c.through_change).order_by(CHECKPOINTS.c.day))]
    return checkpoints, session.scalar(select(func.max(CHANGES.c.id)))


def _split(session: Session, scope: Scope, days: Sequence[date | None],
           known: Checkpoints | None) -> tuple[dict[date, list[int]], list[Select[Any]]]:
    """The checkpoint days read as their kept counts as they are (with the points asking for
    each), and the parts of every other day (``_parts``, one sum per group to take).

    A day that is a checkpoint day, with nothing written since the checkpoints were taken,
    is its kept counts (one per group already). A day of None is after every change (now).
    """
    checkpoints, latest = known or _checkpoint_days(session)
    written_since = not checkpoints or (
        latest is not None and latest > min(t for _, t in checkpoints))
    kept_days = [day for day, _ in checkpoints]
    as_kept: dict[date, list[int]] = {}
    parts: list[Select[Any]] = []
    for point, day in enumerate(days):
        # the first checkpoint after the day
        later = len(kept_days) if day is None else bisect_right(kept_days, day)
        if day is not None and later and kept_days[later - 1] == day and not written_since:
            as_kept.setdefault(day, []).append(point)
            continue
        parts += _parts(point, day, checkpoints[later - 1] if later else None,
                        checkpoints[later] if later < len(checkpoints) else None, scope)
    return as_kept, parts


def _summed(parts: list[Select[Any]]) -> Subquery:
    """(point, unit_id, kind, level, status, members): the parts summed per group."""
    both = union_all(*parts).subquery("ledger")
    keys = [both.c.point, *(both.c[name] for name in GROUP)]
    return (select(*keys, func.sum(both.c.n).label("members")).group_by(*keys)
            .having(func.sum(both.c.n) != 0).subquery("counted"))


def _grouped(session: Session, scope: Scope, days: Sequence[date | None],
             known: Checkpoints | None = None) -> Subquery:
    """(point, unit_id, kind, level, status, members) for every group with members."""
    as_kept, parts = _split(session, scope, days, known)
    every: list[Select[Any]] = [
        select(literal(point, Integer).label("point"), *(KEPT.c[name] for name in GROUP),
               KEPT.c.members)
        .where(KEPT.c.day == day, scope.units(KEPT.c.unit_id), scope.kinds(KEPT.c.kind))
        for day, points in as_kept.items() for point in points]
    if parts:
        summed = _summed(parts)
        every.append(select(summed))
    return (every[0] if len(every) == 1 else union_all(*every)).subquery("counted")


def counted_on(session: Session, scope: Scope, days: Sequence[date | None]
               ) -> list[list[tuple[int, str, str, str, int]]]:
    """Per day: (unit_id, kind, level, status, members) for every group with members."""
    counted: list[list[tuple[int, str, str, str, int]]] = [[] for _ in days]
    if not days:
        return counted
    for row in session.execute(select(_grouped(session, scope, days))):
        counted[row[0]].append((row[1], row[2], row[3], row[4], int(row[5])))
    return counted


def _tune_for_reads(session: Session) -> None:
    """On PostgreSQL, for this read's transaction: no JIT (compiling the pivot's expressions
    cost ~40 ms, more than it saved) and room to group a year of checkpoints in memory."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def rows_now(session: Session, scope: Scope, *, by_kind: bool = True
             ) -> list[dict[str, Any]] | None:
    """The distribution's report rows now: the latest checkpoint plus every change not in it.

    Every write to a pathway row (registration, transition, transfer, import) adds its move
    to the ledger in the same transaction, so the sum of all changes per group is the
    GROUP BY of the pathway rows, read from a few thousand rows whatever the member count.
    None when there is no checkpoint yet, or more than ``NOW_LAG_LIMIT`` changes were written
    since the last checkpointing: grouping the pathway rows is then the cheaper read.
    """
    checkpoints, latest = _checkpoint_days(session)
    if not checkpoints or (latest or 0) - checkpoints[-1][1] > NOW_LAG_LIMIT:
        return None
    [rows] = rows_on(session, scope, [None], by_kind=by_kind, known=(checkpoints, latest))
    return rows


def rows_on(session: Session, scope: Scope, days: Sequence[date | None], *,
            by_kind: bool = True, known: Checkpoints | None = None
            ) -> list[list[dict[str, Any]]]:
    """The distribution's report rows at the end of each of ``days``.

    Counted and pivoted in SQL, one row per day, unit (and kind) with a sum per column:
    Python only names the columns and puts each day's rows in order. The checkpoint days
    read as kept (a year of month ends) are one scan of their counts, pivoted straight from
    it; the other days' parts are summed per group first, then pivoted.
    """
    laid_out: list[list[dict[str, Any]]] = [[] for _ in days]
    if not days:
        return laid_out
    as_kept, parts = _split(session, scope, days, known)
    _tune_for_reads(session)
    dialect = session.get_bind().dialect.name
    names = ("unit", "kind", *scope.levels.counts)

    def lay_out(fetched: Sequence[Sequence[Any]], points_of: Callable[[Any], list[int]]
                ) -> None:
        # Plain tuples, zip without the strict check (each row has exactly those columns)
        # and the points looked up once per key (rows come in key order): less than half
        # the time per row of unpacking the result's rows (36,000 for a year at 1M members).
        key: Any = None
        into: list[list[dict[str, Any]]] = []
        for fetched_row in map(tuple, fetched):  # (key, unit code, kind, a count per column)
            if not into or fetched_row[0] != key:
                key = fetched_row[0]
                into = [laid_out[point] for point in points_of(key)]
            row = dict(zip(names, fetched_row[1:], strict=False))
            row["total"] = sum(fetched_row[3:])
            into[0].append(row)
            for again in into[1:]:  # a day asked for twice: a copy
                again.append(dict(row))

    with cycle_collector_paused():
        if as_kept:
            _lay_out_kept(session, scope, by_kind, dialect, as_kept, lay_out)
        if parts:
            lay_out(session.connection().execute(
                _pivot(_summed(parts), scope, by_kind, dialect, key="point")).all(),
                lambda point: [point])
    return laid_out


def _lay_out_kept(session: Session, scope: Scope, by_kind: bool, dialect: str,
                  as_kept: dict[date, list[int]],
                  lay_out: Callable[[Sequence[Sequence[Any]], Callable[[Any], list[int]]], None]
                  ) -> None:
    """The checkpoint days read as kept: one scan of their counts, pivoted as it is read."""
    kept = (select(KEPT.c.day.label("key"), *(KEPT.c[name] for name in GROUP), KEPT.c.members)
            .where(KEPT.c.day.in_(list(as_kept)), scope.units(KEPT.c.unit_id),
                   scope.kinds(KEPT.c.kind))).subquery("kept")
    # fetched at once: iterating the result would fetch row by row
    lay_out(session.connection().execute(_pivot(kept, scope, by_kind, dialect)).all(),
            lambda day: as_kept.get(day) or as_kept[_day(day)])


def _pivot(counted: Subquery, scope: Scope, by_kind: bool, dialect: str, key: str = "key"
           ) -> Select[Any]:
    """(key, unit code, kind, a count per column) from (key, unit_id, kind, level, status,
    members) rows: one sum per report column over the groups of each key, unit and kind, in
    (key, unit code, kind) order as Python orders strings (by code point: PostgreSQL's "C"
    collation; SQLite's own BINARY)."""
    codes = scope.levels.codes
    columns = scope.levels.counts

    def members_in(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        # cast: a sum of bigint sums is numeric on PostgreSQL, a Decimal in Python
        return cast(func.sum(case((condition, counted.c.members), else_=0)), BigInteger)

    counts = [members_in((counted.c.status == ACTIVE) & (counted.c.level == code))
              for code in codes]
    counts += [members_in(counted.c.status == status) for status in columns[len(codes):]]
    kind = counted.c.kind if by_kind else literal(scope.kind or "all", String)
    # Pivoted by unit id, and the unit's code joined to the result (~3,000 rows a day at 1M
    # members): grouping by the code text sorted ~27,000 rows a day, on disk at 12 days.
    keys = [counted.c[key], counted.c.unit_id] + ([counted.c.kind] if by_kind else [])
    pivoted = select(counted.c[key].label("key"), counted.c.unit_id, kind.label("kind"),
                     *(count.label(f"c{n}") for n, count in enumerate(counts))
                     ).group_by(*keys).subquery("pivoted")

    def by_code_point(text: Any) -> ColumnElement[Any]:
        return text.collate("C") if dialect == "postgresql" else text

    return (select(pivoted.c.key, Unit.code, pivoted.c.kind,
                   *(pivoted.c[f"c{n}"] for n in range(len(counts))))
            .join(Unit, Unit.id == pivoted.c.unit_id)
            .order_by(pivoted.c.key, by_code_point(Unit.code),
                      *([by_code_point(pivoted.c.kind)] if by_kind else [])))


def _day(value: date | str) -> date:
    """A DATE as read back: a date on PostgreSQL; on SQLite too through the ORM's type, but
    kept safe should a driver answer the ISO text."""
    return value if isinstance(value, date) else date.fromisoformat(value)
