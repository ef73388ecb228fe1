"""Reading the event log in SQL: a member's state at a moment, when a level was reached, and
whole days between two moments (the one expression the two databases spell differently)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from math import floor
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    ScalarSelect,
    Subquery,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from pathway.engine import PATHWAY
from pathway.reports.scope import ColumnLike
from pathway.reports.vocabulary import REGISTER, REJOIN, Levels
from pathway.store.models import Event
from workflows.machine import EXITED, PAUSED, join_state

EXITED_SUFFIX = join_state("", EXITED)
PAUSED_SUFFIX = join_state("", PAUSED)


def level_changes(levels: Levels) -> tuple[str, ...]:
    """The triggers that (re)start a member's time at a level: registering, rejoining, and
    the definitions' own moves up and down."""
    return (REGISTER, REJOIN, *levels.up, *levels.down)


def latest_pathway_event(member_id: ColumnLike,
                         bound: ColumnLike | datetime,
                         *correlated: Any) -> ScalarSelect[int]:
    """The id of the member's last pathway event effective before ``bound``, by (effective_at,
    seq): its ``to_state`` is the state they were in then, its ``unit_id`` where they were.

    A correlated probe per member on ix_events_pathway_as_of: it reads one
    index entry per member, however long their history, on SQLite and PostgreSQL alike.
    """
    earlier = aliased(Event, name="earlier")
    return (select(earlier.id)
            .where(earlier.member_id == member_id, earlier.machine == PATHWAY,
                   earlier.effective_at < bound)
            .order_by(earlier.effective_at.desc(), earlier.seq.desc())
            .limit(1).correlate(*correlated).scalar_subquery())


def level_reached_at(levels: Levels, instance_id: ColumnLike,
                     level: ColumnLike,
                     before_seq: ColumnLike | None = None,
                     *correlated: Any) -> ScalarSelect[datetime]:
    """When the pathway last arrived at ``level`` (registered, advanced, stepped back or
    rejoined there), before event ``before_seq`` if given. Pausing and resuming do not restart
    the clock: time paused at a level counts as time at that level."""
    arrival = aliased(Event, name="arrival")
    statement = (select(arrival.effective_at)
                 .where(arrival.instance_id == instance_id,
                        arrival.trigger.in_(level_changes(levels)),
                        # a registration may start paused or exited at an imported level
                        or_(arrival.to_state == level, arrival.to_state.like(level + ".%"))))
    if before_seq is not None:
        statement = statement.where(arrival.seq < before_seq)
    return (statement.order_by(arrival.seq.desc()).limit(1).correlate(*correlated)
            .scalar_subquery())


def state_level(state: ColumnLike) -> ColumnElement[str]:
    """``level_2.exited`` -> ``level_2`` (the level held, whatever the status)."""
    return func.replace(func.replace(state, EXITED_SUFFIX, ""), PAUSED_SUFFIX, "")


class days_between(FunctionElement[int]):  # noqa: N801 (reads as the SQL function it is)
    """Whole days from ``earlier`` to ``later``; NULL if either is NULL.

    Days recorded without a time begin at local midnight, so a span across a clock change is
    an hour short of (or over) whole days: the hour of slack counts it as the days it is.
    """

    type = Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return (f"((CAST(strftime('%s', {later}) AS INTEGER) - "
            f"CAST(strftime('%s', {earlier}) AS INTEGER) + 3600) / 86400)")


@compiles(days_between, "postgresql")
def _days_postgresql(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(FLOOR((EXTRACT(EPOCH FROM ({later} - {earlier})) + 3600) / 86400) AS INTEGER)"


def day_statistics(session: Session, rows: Subquery, quantiles: Sequence[float]
                   ) -> dict[str, dict[str, float | None]]:
    """Per ``rows.c.step``: the ``quantiles`` of ``rows.c.days`` (interpolated like
    percentile_cont) and the longest, computed in the database.

    PostgreSQL has ``percentile_cont``. SQLite has no percentile function, so there the rows
    are numbered in day order per step and only the (at most two) rows either side of each
    quantile's position are fetched: a sort in the database, a handful of rows to Python.
    """
    if session.get_bind().dialect.name == "postgresql":
        statement = select(rows.c.step, func.max(rows.c.days),
                           *(func.percentile_cont(q).within_group(rows.c.days) for q in quantiles)
                           ).group_by(rows.c.step)
        return {step: {"max": _number(longest), **{str(q): _number(v) for q, v
                                                   in zip(quantiles, values, strict=True)}}
                for step, longest, *values in session.execute(statement)}

    ranked = select(rows.c.step, rows.c.days,
                    func.row_number().over(partition_by=rows.c.step, order_by=rows.c.days)
                    .label("position"),
                    func.count().over(partition_by=rows.c.step).label("size")).subquery()
    wanted = [ranked.c.position == ranked.c.size]
    for q in quantiles:
        below = cast(cast(literal(q, Float), Float) * (ranked.c.size - 1), Integer) + 1
        wanted += [ranked.c.position == below, ranked.c.position == below + 1]
    by_step: dict[str, dict[int, int]] = {}
    sizes: dict[str, int] = {}
    for step, days, position, size in session.execute(
            select(ranked.c.step, ranked.c.days, ranked.c.position, ranked.c.size)
            .where(or_(*wanted))):
        by_step.setdefault(step, {})[position] = days
        sizes[step] = size
    statistics: dict[str, dict[str, float | None]] = {}
    for step, days_at in by_step.items():
        size = sizes[step]
        figures: dict[str, float | None] = {"max": float(days_at[size])}
        for q in quantiles:
            place = q * (size - 1)
            lower = floor(place)
            fraction = place - lower
            value = float(days_at[lower + 1])
            if fraction:
                value += fraction * (days_at[lower + 2] - days_at[lower + 1])
            figures[str(q)] = value
        statistics[step] = figures
    return statistics


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
