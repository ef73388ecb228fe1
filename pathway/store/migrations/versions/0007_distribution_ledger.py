"""The distribution ledger: per-day changes of the level distribution, and checkpoints.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:45:00.000000

The as-of distribution probed every member's history (3-4 s at 1M members / 10M events on
PostgreSQL); from the ledger it is a checkpoint plus a couple of weeks of changes
(docs/PERFORMANCE.md). The ledger is filled here from the existing events, counting days in
the service's zone (PATHWAY_TIMEZONE), and checkpoints are taken on the 15th and the last
day of each month. The SQL is written out here, as it stood when this revision was made, so
that later changes to pathway.store.ledger cannot change what this revision does.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('distribution_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_distribution_changes'))
    )
    with op.batch_alter_table('distribution_changes', schema=None) as batch_op:
        batch_op.create_index('ix_distribution_changes_day',
                              ['day', 'unit_id', 'kind', 'level', 'status', 'delta', 'id'],
                              unique=False)
    op.create_table('distribution_checkpoints',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('through_change', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_distribution_checkpoints'))
    )
    op.create_table('distribution_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'unit_id', 'kind', 'level', 'status',
                            name=op.f('pk_distribution_counts'))
    )
    _fill(op.get_bind(), ZoneInfo(os.environ.get("PATHWAY_TIMEZONE", "Europe/London")))


def downgrade() -> None:
    op.drop_table('distribution_counts')
    op.drop_table('distribution_checkpoints')
    with op.batch_alter_table('distribution_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_distribution_changes_day')
    op.drop_table('distribution_changes')


# Filling the ledger from the events (frozen) ---------------------------------------------


def _sqlite_local_day(zone: ZoneInfo) -> Callable[[str | None], str | None]:
    """The zone's day of a stored UTC moment, kept per UTC hour that lies in one local day."""
    by_hour: dict[str, str | None] = {}

    def exactly(stored: str) -> str:
        moment = datetime.fromisoformat(stored)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return moment.astimezone(zone).date().isoformat()

    def local_day(stored: str | None) -> str | None:
        if stored is None:
            return None
        hour = stored[:13]
        if hour not in by_hour:
            first, last = exactly(hour + ":00:00"), exactly(hour + ":59:59.999999")
            by_hour[hour] = first if first == last else None
        return by_hour[hour] or exactly(stored)

    return local_day


def _split(postgresql: bool, state: str) -> tuple[str, str]:
    """SQL for a state's level and status ('level_2.paused'; no dot: 'active')."""
    if postgresql:
        return (f"split_part({state}, '.', 1)",
                f"COALESCE(NULLIF(split_part({state}, '.', 2), ''), 'active')")
    dot = f"instr({state}, '.')"
    return (f"CASE WHEN {dot} > 0 THEN substr({state}, 1, {dot} - 1) ELSE {state} END",
            f"CASE WHEN {dot} > 0 THEN substr({state}, {dot} + 1) ELSE 'active' END")


def _checkpoint_days(first: date, last: date) -> Iterator[date]:
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        end = calendar.monthrange(year, month)[1]
        for day in (date(year, month, 15), date(year, month, end)):
            if first <= day <= last:
                yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _fill(connection: sa.Connection, zone: ZoneInfo) -> None:
    """Each pathway event enters the group of its state and unit and leaves the group of the
    member's event before it (in effective_at, seq order), on its local day; then the
    checkpoints, each the one before it plus the changes between them."""
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        day = "CAST((e.effective_at AT TIME ZONE :zone) AS DATE)"
    else:
        connection.connection.driver_connection.create_function(  # type: ignore[union-attr]
            "pathway_local_day", 1, _sqlite_local_day(zone), deterministic=True)
        day = "pathway_local_day(e.effective_at)"
    entered_level, entered_status = _split(postgresql, "to_state")
    left_level, left_status = _split(postgresql, "left_state")
    connection.execute(sa.text(f"""
        WITH moves AS (
            SELECT {day} AS day, m.kind AS kind, e.unit_id AS unit_id, e.to_state AS to_state,
                   LAG(e.unit_id) OVER (PARTITION BY e.member_id
                                        ORDER BY e.effective_at, e.seq) AS left_unit,
                   LAG(e.to_state) OVER (PARTITION BY e.member_id
                                         ORDER BY e.effective_at, e.seq) AS left_state
            FROM events e JOIN members m ON m.id = e.member_id
            WHERE e.machine = 'pathway')
        INSERT INTO distribution_changes (day, unit_id, kind, level, status, delta)
        SELECT day, unit_id, kind, level, status, SUM(delta) AS delta FROM (
            SELECT day, unit_id, kind, {entered_level} AS level, {entered_status} AS status,
                   1 AS delta
            FROM moves
            UNION ALL
            SELECT day, left_unit, kind, {left_level}, {left_status}, -1
            FROM moves WHERE left_state IS NOT NULL
        ) AS both_sides
        GROUP BY day, unit_id, kind, level, status
        HAVING SUM(delta) <> 0
        ORDER BY day, unit_id, kind, level, status"""),  # noqa: S608 (our own SQL, no input)
        {"zone": zone.key} if postgresql else {})
    # The checkpoints read the new rows by day: plan them with the table's new size.
    connection.execute(sa.text("ANALYZE distribution_changes"))
    through, first, last = connection.execute(sa.text(
        "SELECT MAX(id), MIN(day), MAX(day) FROM distribution_changes")).one()
    if through is None:
        return
    first, last = (value if isinstance(value, date) else date.fromisoformat(value)
                   for value in (first, last))
    days = sa.bindparam("day", type_=sa.Date())
    previous = sa.bindparam("previous", type_=sa.Date())
    group = "unit_id, kind, level, status"
    add_checkpoint = sa.text("INSERT INTO distribution_checkpoints (day, through_change) "
                             "VALUES (:day, :through)").bindparams(days)
    first_counts = sa.text(
        f"INSERT INTO distribution_counts (day, {group}, members) "  # noqa: S608 (no input)
        f"SELECT :day, {group}, SUM(delta) FROM distribution_changes "
        f"WHERE day <= :day AND id <= :through GROUP BY {group} HAVING SUM(delta) <> 0"
    ).bindparams(days)
    next_counts = sa.text(
        f"INSERT INTO distribution_counts (day, {group}, members) "  # noqa: S608 (no input)
        f"SELECT :day, {group}, SUM(n) FROM ("
        f"SELECT {group}, members AS n FROM distribution_counts WHERE day = :previous "
        f"UNION ALL SELECT {group}, delta FROM distribution_changes "
        f"WHERE day > :previous AND day <= :day AND id <= :through) AS both_sides "
        f"GROUP BY {group} HAVING SUM(n) <> 0").bindparams(days, previous)
    before: date | None = None
    for on in _checkpoint_days(first, last):
        connection.execute(add_checkpoint, {"day": on, "through": through})
        if before is None:
            connection.execute(first_counts, {"day": on, "through": through})
        else:
            connection.execute(next_counts, {"day": on, "previous": before, "through": through})
        before = on
