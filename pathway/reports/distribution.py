"""Level distribution: members per unit and kind at each level, paused and exited.

Now and as of a day: from the distribution ledger (``pathway.reports.ledger``), a checkpoint
and the changes around it. Now equals one GROUP BY over the pathway rows (``instances``,
which carry unit and kind; read that way when there is no checkpoint yet); as of a day it
equals the same GROUP BY over each member's last pathway event before the end of that day
(``counts_at``: transfers and backdated events are honoured because both carry their
effective moment). The suite holds the ledger to both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session, aliased

from pathway.engine import PATHWAY
from pathway.reports.history import latest_pathway_event
from pathway.reports.ledger import rows_now as ledger_rows_now
from pathway.reports.ledger import rows_on as ledger_rows_on
from pathway.reports.scope import ColumnLike, Scope, tally, within_calendar
from pathway.reports.suppression import suppress_rows, suppress_totals
from pathway.reports.vocabulary import Levels
from pathway.store.models import Event, Instance, Member, Unit
from workflows.machine import EXITED, PAUSED, join_state


def current_rows(session: Session, scope: Scope, *, by_kind: bool = True) -> list[dict[str, Any]]:
    """Counts per unit (and kind) now, rows ordered by (unit, kind).

    From the distribution ledger when it has a recent checkpoint (``ledger.rows_now``: the
    checkpoint and the changes since, a few thousand rows whatever the member count); every
    write to a pathway row adds its move to the ledger in the same transaction, so this is
    the GROUP BY of the pathway rows (``instance_rows``) exactly. Otherwise that GROUP BY.
    """
    from_ledger = ledger_rows_now(session, scope, by_kind=by_kind)
    return instance_rows(session, scope, by_kind=by_kind) if from_ledger is None else from_ledger


def instance_rows(session: Session, scope: Scope, *, by_kind: bool = True
                  ) -> list[dict[str, Any]]:
    """Counts per unit (and kind) from the current pathway rows.

    The pathway row carries the member's unit and kind, so SQL counts each (unit, kind, level,
    status) in one scan of ix_instances_machine_unit_id_kind_level_status, in index order: no
    join and no sort. The few hundred counted groups are then laid out as report rows here.
    """
    counted: Sequence[Any] = session.execute(
        select(Instance.unit_id, Instance.kind, Instance.level, Instance.status, func.count())
        .where(Instance.machine == PATHWAY, scope.units(Instance.unit_id),
               scope.kinds(Instance.kind))
        .group_by(Instance.unit_id, Instance.kind, Instance.level, Instance.status)).all()
    codes = dict(session.execute(select(Unit.id, Unit.code).where(
        Unit.id.in_({unit_id for unit_id, *_ in counted}))).all()) if counted else {}
    columns = scope.levels.counts
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for unit_id, kind, level, status, count in counted:
        key = (codes[unit_id], kind if by_kind else (scope.kind or "all"))
        row = rows.setdefault(key, {"unit": key[0], "kind": key[1],
                                    **dict.fromkeys(columns, 0)})
        row[_column(level, status)] += count
    for row in rows.values():
        row["total"] = sum(row[name] for name in columns)
    return [rows[key] for key in sorted(rows)]


def _column(level: str, status: str) -> str:
    """Where a pathway row is counted: active at its level, else under its status."""
    return status if status in (PAUSED, EXITED) else level


def _tallies(levels: Levels, to_state: ColumnLike) -> list[Any]:
    """One count per column of ``levels.counts``, labelled by position (``count_0``...): a
    level code is a board's word, not an SQL name."""
    conditions = [to_state == level for level in levels.codes]
    conditions += [to_state.like("%" + join_state("", PAUSED)),
                   to_state.like("%" + join_state("", EXITED))]
    return [tally(condition, f"count_{index}") for index, condition in enumerate(conditions)]


def counts_at(scope: Scope, bound: ColumnElement[datetime] | datetime, *,
              by_kind: bool = True, extra_keys: tuple[ColumnElement[Any], ...] = (),
              source: Any = None) -> Select[Any]:
    """Counts per unit (and kind) as they stood just before ``bound``, from the event log.

    ``source`` and ``extra_keys`` let a series put many bounds in one statement: the bound is
    then a column of ``source`` and its key is grouped on too.
    """
    state = aliased(Event, name="state")
    columns = _tallies(scope.levels, state.to_state)
    keys = [*extra_keys, state.unit_id.label("unit_id"),
            *([Member.kind.label("kind")] if by_kind else [])]
    correlated = (Member,) if source is None else (Member, source)
    statement = select(*keys, *columns)
    statement = (statement.select_from(source).join(Member, true()) if source is not None
                 else statement.select_from(Member))
    return (statement
            .join(state, state.id == latest_pathway_event(Member.id, bound, *correlated))
            .where(scope.units(state.unit_id), scope.kinds(Member.kind))
            .group_by(*keys))


def counts_at_lateral(scope: Scope, bound: datetime, joined_by: date, *,
                      by_kind: bool = True) -> Select[Any]:
    """``counts_at`` for one bound, spelled for PostgreSQL (docs/PERFORMANCE.md).

    PostgreSQL plans ``JOIN events ON id = (correlated subquery)`` as a hash join over the
    whole event log that re-runs the subquery per probe (19 s at 1M members / 10M events);
    as a LATERAL join it is one index-only probe of ix_events_pathway_as_of per member. Nobody
    has a pathway event before joining, so members who joined after the day are skipped.
    """
    earlier = aliased(Event, name="earlier")
    state = (select(earlier.to_state, earlier.unit_id)
             .where(earlier.member_id == Member.id, earlier.machine == PATHWAY,
                    earlier.effective_at < bound)
             .order_by(earlier.effective_at.desc(), earlier.seq.desc())
             .limit(1).correlate(Member).lateral("state"))
    columns = _tallies(scope.levels, state.c.to_state)
    keys = [state.c.unit_id.label("unit_id"), *([Member.kind.label("kind")] if by_kind else [])]
    return (select(*keys, *columns).select_from(Member).join(state, true())
            .where(Member.joined_on <= joined_by, scope.units(state.c.unit_id),
                   scope.kinds(Member.kind))
            .group_by(*keys))


def distribution_rows(session: Session, counts: Select[Any], scope: Scope, *, by_kind: bool,
                      extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Run a counting statement and name its units; rows ordered by (extra, unit, kind)."""
    counted = counts.subquery()
    kind = counted.c.kind if by_kind else None
    names = scope.levels.counts
    statement = (select(*(counted.c[name] for name in extra), Unit.code,
                        *([kind] if kind is not None else []),
                        *(counted.c[f"count_{index}"] for index in range(len(names))))
                 .join(Unit, Unit.id == counted.c.unit_id)
                 .order_by(*(counted.c[name] for name in extra), Unit.code,
                           *([kind] if kind is not None else [])))
    rows = []
    for record in session.execute(statement):
        values = list(record)
        row: dict[str, Any] = dict(zip(extra, values[:len(extra)], strict=True))
        values = values[len(extra):]
        row["unit"] = values.pop(0)
        row["kind"] = values.pop(0) if by_kind else (scope.kind or "all")
        row.update({name: int(v or 0) for name, v in zip(names, values, strict=True)})
        row["total"] = sum(row[name] for name in names)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]], scope: Scope) -> tuple[list[dict[str, Any]],
                                                              dict[str, Any]]:
    """Rows and their column totals (from the true counts), suppressed when asked."""
    columns = scope.levels.row_counts
    totals = {name: sum(map(itemgetter(name), rows)) for name in columns}
    if not scope.suppress:
        return rows, totals
    return suppress_rows(rows, columns), suppress_totals(totals, columns)


def level_distribution(session: Session, scope: Scope, zone: ZoneInfo, *,
                       as_of: date | None = None, by_kind: bool = True) -> dict[str, Any]:
    """The distribution now, or at the end of ``as_of`` in the service's zone."""
    within_calendar("as_of", as_of)
    if as_of is None:
        rows, totals = table(current_rows(session, scope, by_kind=by_kind), scope)
        return {"as_of": None, **scope.echo(), "rows": rows, "totals": totals}
    # From the distribution ledger: a checkpoint and a few days of changes, not the event log
    # (counts_at and counts_at_lateral read the log; `pathway check` holds the two equal).
    [rows_then] = ledger_rows_on(session, scope, [as_of], by_kind=by_kind)
    rows, totals = table(rows_then, scope)
    return {"as_of": as_of, **scope.echo(), "rows": rows, "totals": totals}
