"""The distribution ledger: the level distribution's changes per day, and checkpoints of it.

Every pathway event moves a member out of one (unit, kind, level, status) group and into
another on its effective day (in the service's zone): the write path adds a row of -1 for the
group left and +1 for the group entered. The distribution at the end of a day is then the sum
of the changes up to it. Checkpoints keep that sum for some days (the middle and the end of
each month), so any day is a checkpoint plus a couple of weeks of changes
(``pathway.reports.ledger``).

A backdated event is one more row on its day, never a rewrite. Checkpoints are never patched
either: each records the highest change id it counts (``through_change``), and a reader adds
the changes written since. ``take_checkpoints`` (``pathway ledger checkpoint``, nightly) folds
them in; ``rebuild`` remakes everything from the event log, the one source of truth, in SQL.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Date,
    Select,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from pathway import clock
from pathway.store.models import Base, DistributionChange, DistributionCheckpoint, DistributionCount
from workflows.machine import split_state

CHANGES = Base.metadata.tables[DistributionChange.__tablename__]
CHECKPOINTS = Base.metadata.tables[DistributionCheckpoint.__tablename__]
COUNTS = Base.metadata.tables[DistributionCount.__tablename__]
GROUP = ("unit_id", "kind", "level", "status")
DAY_INDEX = "ix_distribution_changes_day"
# On SQLite the service's local day of a stored moment comes from this function (PostgreSQL
# has AT TIME ZONE); registered on the connection for the statements that need it.
LOCAL_DAY_FUNCTION = "pathway_local_day"


class Group(NamedTuple):
    """Where a member is counted: unit, kind, level and status."""

    unit_id: int
    kind: str
    level: str
    status: str


def group_of(unit_id: int, kind: str, state: str) -> Group:
    level, status = split_state(state)
    return Group(unit_id, kind, level, status)


# Built once: one of these goes with every pathway transition.
ADD_CHANGES = insert(CHANGES)


def record_move(session: Session, day: date, left: Group | None, entered: Group) -> None:
    """A member left ``left`` (None when they are new) for ``entered`` on ``day``."""
    if left == entered:
        return  # a transfer within the unit, an erasure: the distribution is unchanged
    rows = [{"day": day, **entered._asdict(), "delta": 1}]
    if left is not None:
        rows.append({"day": day, **left._asdict(), "delta": -1})
    # Core, not the ORM's bulk insert.
    session.connection().execute(ADD_CHANGES, rows)


def record_changes(connection: Connection, changes: Iterable[tuple[date, Group, int]]) -> None:
    """Many changes at once (an import): one row per day and group with a net change."""
    counted: dict[tuple[date, Group], int] = {}
    for day, group, delta in changes:
        counted[day, group] = counted.get((day, group), 0) + delta
    rows = [{"day": day, **group._asdict(), "delta": delta}
            for (day, group), delta in counted.items() if delta]
    if rows:
        connection.execute(ADD_CHANGES, rows)


def record_arrivals(connection: Connection, arrivals: Iterable[tuple[date, Group]]) -> None:
    """Many new members at once: one row per day and group, however many."""
    record_changes(connection, ((day, group, 1) for day, group in arrivals))


# Rebuilding from the event log ----------------------------------------------------------


def _sqlite_local_day(zone: ZoneInfo) -> Callable[[str | None], str | None]:
    """The zone's day of a stored moment ('2025-03-30 00:59:59.000000', UTC).

    Called once per event in a rebuild, so answers are kept per UTC hour: an hour whose first
    and last instants fall on the same local day lies wholly in it (any whole-minute offset).
    """
    by_hour: dict[str, str | None] = {}

    def exactly(stored: str) -> str:
        return clock.local_date(datetime.fromisoformat(stored), zone).isoformat()

    def local_day(stored: str | None) -> str | None:
        if stored is None:
            return None
        hour = stored[:13]
        if hour not in by_hour:
            first, last = exactly(hour + ":00:00"), exactly(hour + ":59:59.999999")
            by_hour[hour] = first if first == last else None
        return by_hour[hour] or exactly(stored)

    return local_day


def _local_day_sql(connection: Connection, column: str, zone: ZoneInfo) -> str:
    """SQL for the service-zone day of a stored UTC moment."""
    if connection.dialect.name == "postgresql":
        return f"CAST(({column} AT TIME ZONE :zone) AS DATE)"
    driver = connection.connection.driver_connection
    driver.create_function(LOCAL_DAY_FUNCTION, 1,  # type: ignore[union-attr]
                           _sqlite_local_day(zone), deterministic=True)
    return f"{LOCAL_DAY_FUNCTION}({column})"


def _level_status_sql(connection: Connection, state: str) -> tuple[str, str]:
    """SQL for ``split_state``: 'level_2.paused' -> ('level_2', 'paused'), else 'active'."""
    if connection.dialect.name == "postgresql":
        return (f"split_part({state}, '.', 1)",
                f"COALESCE(NULLIF(split_part({state}, '.', 2), ''), 'active')")
    dot = f"instr({state}, '.')"
    return (f"CASE WHEN {dot} > 0 THEN substr({state}, 1, {dot} - 1) ELSE {state} END",
            f"CASE WHEN {dot} > 0 THEN substr({state}, {dot} + 1) ELSE 'active' END")


def _moves_sql(connection: Connection, zone: ZoneInfo) -> str:
    """``moves``: each pathway event with the state and unit of the member's event before it."""
    day = _local_day_sql(connection, "e.effective_at", zone)
    return f"""moves AS (  -- one row per pathway event, in the member's order
            SELECT {day} AS day, m.kind AS kind, e.unit_id AS unit_id, e.to_state AS to_state,
                   LAG(e.unit_id) OVER (PARTITION BY e.member_id
                                        ORDER BY e.effective_at, e.seq) AS left_unit,
                   LAG(e.to_state) OVER (PARTITION BY e.member_id
                                         ORDER BY e.effective_at, e.seq) AS left_state
            FROM events e JOIN members m ON m.id = e.member_id
            WHERE e.machine = 'pathway')"""  # noqa: S608 (our own SQL, no input)


def _replayed_sql(connection: Connection) -> str:
    """The changes the event log implies, one row per (day, group) with a net change.

    Each pathway event, in each member's (effective_at, seq) order, enters the group of its
    state and unit and leaves the group of the event before it: exactly what the as-of read
    of the log counts (the member's last event before the end of the day).
    """
    entered_level, entered_status = _level_status_sql(connection, "to_state")
    left_level, left_status = _level_status_sql(connection, "left_state")
    return f"""
        SELECT day, unit_id, kind, level, status, SUM(delta) AS delta FROM (
            SELECT day, unit_id, kind, {entered_level} AS level, {entered_status} AS status,
                   1 AS delta
            FROM moves
            UNION ALL
            SELECT day, left_unit, kind, {left_level}, {left_status}, -1
            FROM moves WHERE left_state IS NOT NULL
        ) AS both_sides
        GROUP BY day, unit_id, kind, level, status
        HAVING SUM(delta) <> 0"""  # noqa: S608 (our own SQL, no input)


def rebuild(connection: Connection, zone: ZoneInfo) -> int:
    """Remake the ledger from the event log and take its checkpoints; the changes written.

    On PostgreSQL transitions wait while it runs, and so do as-of reports (the day index is
    rebuilt): it is a repair, not a routine (``take_checkpoints`` is the routine).
    """
    if connection.dialect.name == "postgresql":
        # Writers wait until the rebuilt ledger is committed: none is counted twice or lost.
        connection.execute(text("LOCK TABLE distribution_changes IN EXCLUSIVE MODE"))
        # One pass over the whole log: compiling it (JIT) only adds a second.
        connection.execute(text("SET LOCAL jit = off"))
    connection.execute(delete(COUNTS))
    connection.execute(delete(CHECKPOINTS))
    connection.execute(delete(CHANGES))
    # Millions of rows go in faster with the day index built once afterwards.
    by_day = next(index for index in CHANGES.indexes if index.name == DAY_INDEX)
    by_day.drop(connection)
    written = connection.execute(text(
        f"WITH {_moves_sql(connection, zone)} "
        "INSERT INTO distribution_changes (day, unit_id, kind, level, status, delta) "
        # in day order, so that a day's changes lie together on disk for the range reads
        + _replayed_sql(connection) + " ORDER BY day, unit_id, kind, level, status"),
        {"zone": zone.key}).rowcount
    by_day.create(connection)
    # The checkpoints read the new rows by day: plan them with the table's new size.
    connection.execute(text("ANALYZE distribution_changes"))
    take_checkpoints(connection)
    return int(written or 0)


# Checkpoints -----------------------------------------------------------------------------


def checkpoint_days(first: date, last: date) -> Iterator[date]:
    """The 15th and the last day of each month from ``first`` to ``last``."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        end = calendar.monthrange(year, month)[1]
        for day in (date(year, month, 15), date(year, month, end)):
            if first <= day <= last:
                yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def take_checkpoints(connection: Connection) -> int:
    """Bring the checkpoints up to the changes written so far; the number (re)taken.

    Only what the changes written since the last checkpointing touch is retaken: the
    checkpoints from the earliest day those changes fall on (a backdated event reaches back),
    and the days that had no checkpoint yet. The ones before are still exact and only
    record that they now count up to the newest change. Each checkpoint is the one before it
    plus the changes between them, so the chain reads each change once.
    """
    if connection.dialect.name == "postgresql":
        # Every change id up to the highest one seen must be committed: wait for writers.
        connection.execute(text("LOCK TABLE distribution_changes IN SHARE MODE"))
    through, first, last = connection.execute(
        select(func.max(CHANGES.c.id), func.min(CHANGES.c.day), func.max(CHANGES.c.day))).one()
    if through is None:
        connection.execute(delete(COUNTS))
        connection.execute(delete(CHECKPOINTS))
        return 0
    wanted = list(checkpoint_days(first, last))
    kept = {day: taken_through for day, taken_through in connection.execute(
        select(CHECKPOINTS.c.day, CHECKPOINTS.c.through_change))}
    # The first day whose checkpoint is stale or missing: retaken from there on.
    stale: list[date] = [day for day in wanted if day not in kept]
    if kept:
        since = min(kept.values())
        touched = connection.scalar(select(func.min(CHANGES.c.day)).where(CHANGES.c.id > since))
        if touched is not None:
            stale.append(touched)
    if not stale:
        return 0
    retake_from = min(stale)
    connection.execute(delete(COUNTS).where(COUNTS.c.day >= retake_from))
    connection.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.day >= retake_from))
    connection.execute(update(CHECKPOINTS).values(through_change=through))
    earlier = [day for day in kept if day < retake_from]
    previous: date | None = max(earlier) if earlier else None
    taken = 0
    for day in wanted:
        if day < retake_from:
            continue
        _take(connection, day, previous, through)
        previous = day
        taken += 1
    return taken


def _take(connection: Connection, day: date, previous: date | None, through: int) -> None:
    """The checkpoint of ``day``: the one of ``previous`` plus the changes after it."""
    connection.execute(insert(CHECKPOINTS).values(day=day, through_change=through))
    changed = select(*(CHANGES.c[name] for name in GROUP), CHANGES.c.delta.label("n")).where(
        CHANGES.c.day <= day, CHANGES.c.id <= through)
    parts: Select[Any] | CompoundSelect[Any]
    if previous is None:
        parts = changed
    else:
        parts = union_all(
            select(*(COUNTS.c[name] for name in GROUP), COUNTS.c.members.label("n"))
            .where(COUNTS.c.day == previous),
            changed.where(CHANGES.c.day > previous))
    both = parts.subquery("both_sides")
    keys = [both.c[name] for name in GROUP]
    connection.execute(insert(COUNTS).from_select(
        ["day", *GROUP, "members"],
        select(literal(day, Date), *keys, func.sum(both.c.n)).group_by(*keys)
        .having(func.sum(both.c.n) != 0)))


# Verifying against the event log ---------------------------------------------------------


def differences(connection: Connection, zone: ZoneInfo) -> list[str]:
    """Every way the ledger disagrees with a replay of the event log (empty: it agrees)."""
    found = []
    ledger = ("SELECT day, unit_id, kind, level, status, -delta AS delta "
              "FROM distribution_changes")
    mismatch = connection.execute(text(
        f"WITH {_moves_sql(connection, zone)}, "  # noqa: S608 (our own SQL; the zone is bound)
        f"replayed AS ({_replayed_sql(connection)}) "
        "SELECT day, unit_id, kind, level, status, SUM(delta) FROM ("
        f"SELECT * FROM replayed UNION ALL {ledger}) AS compared "
        "GROUP BY day, unit_id, kind, level, status HAVING SUM(delta) <> 0 "
        "ORDER BY day, unit_id, kind, level, status"), {"zone": zone.key})
    for day, unit_id, kind, level, status, delta in mismatch:
        found.append(f"distribution ledger: on {_day(day).isoformat()}, unit {unit_id} {kind} "
                     f"{level} {status} changes by {-int(delta):+d} more than the events say")
    found += _checkpoint_differences(connection)
    return found


def _checkpoint_differences(connection: Connection) -> list[str]:
    """Each checkpoint against the running sum of the changes it counts, in one pass."""
    checkpoints = connection.execute(
        select(CHECKPOINTS.c.day, CHECKPOINTS.c.through_change).order_by(CHECKPOINTS.c.day)).all()
    if not checkpoints:
        return []
    through = max(row.through_change for row in checkpoints)
    if any(row.through_change != through for row in checkpoints):
        return ["distribution ledger: the checkpoints were not taken together"]
    running: dict[tuple[Any, ...], int] = {}
    found: list[str] = []
    # Streamed: the option goes on the statement, since on the connection it would stay for
    # every later statement in the transaction.
    changes = connection.execute(
        select(CHANGES.c.day, *(CHANGES.c[name] for name in GROUP), CHANGES.c.delta)
        .where(CHANGES.c.id <= through).order_by(CHANGES.c.day)
        .execution_options(yield_per=10_000))
    try:
        pending = iter(changes)
        change = next(pending, None)
        for checkpoint in checkpoints:
            day = _day(checkpoint.day)
            while change is not None and _day(change.day) <= day:
                key = tuple(change[1:5])
                running[key] = running.get(key, 0) + change.delta
                change = next(pending, None)
            kept = {tuple(row[:4]): row.members for row in connection.execute(
                select(*(COUNTS.c[name] for name in GROUP), COUNTS.c.members)
                .where(COUNTS.c.day == checkpoint.day))}
            expected = {key: count for key, count in running.items() if count}
            if kept != expected:
                wrong = len(set(kept.items()) ^ set(expected.items()))
                found.append(f"distribution ledger: the checkpoint of {day.isoformat()} "
                             f"disagrees with its changes in {wrong} group count(s)")
    finally:
        changes.close()  # the changes after the last checkpoint are left unread
    return found


def _day(value: date | str) -> date:
    """A day as the driver hands it back (text from SQLite in raw SQL)."""
    return value if isinstance(value, date) else date.fromisoformat(value)

