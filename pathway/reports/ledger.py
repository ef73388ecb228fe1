"""The level distribution at the end of any past day, read from the distribution ledger.

A day's distribution is the latest checkpoint on or before it, plus the changes dated after
the checkpoint up to the day, plus the changes dated up to the checkpoint that were written
after it was taken (backdated events, and everything since the last checkpointing); or, when
the next checkpoint is nearer, that checkpoint less the changes between the day and it. All of it
is summed per (unit, kind, level, status) in SQL; Python only lays out the counted groups.
Many days go in one statement (progression), each with its own checkpoint.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Integer, Select, func, literal, select, union_all
from sqlalchemy.orm import Session

from pathway.reports.scope import Scope
from pathway.reports.vocabulary import ACTIVE
from pathway.store.ledger import CHANGES, CHECKPOINTS, GROUP
from pathway.store.ledger import COUNTS as KEPT
from pathway.store.models import Unit


def _parts(point: int, day: date, before: tuple[date, int] | None,
           after: tuple[date, int] | None, scope: Scope) -> list[Select[Any]]:
    """The rows whose sum per group is the distribution at the end of ``day``.

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


def counted_on(session: Session, scope: Scope, days: Sequence[date]
               ) -> list[list[tuple[int, str, str, str, int]]]:
    """Per day: (unit_id, kind, level, status, members) for every group with members."""
    checkpoints = [(day, through) for day, through in session.execute(
        select(CHECKPOINTS.c.day, CHECKPOINTS.c.through_change).order_by(CHECKPOINTS.c.day))]
    kept_days = [day for day, _ in checkpoints]
    parts = []
    for point, day in enumerate(days):
        later = bisect_right(kept_days, day)  # the first checkpoint after the day
        parts += _parts(point, day, checkpoints[later - 1] if later else None,
                        checkpoints[later] if later < len(checkpoints) else None, scope)
    both = union_all(*parts).subquery("ledger")
    keys = [both.c.point, *(both.c[name] for name in GROUP)]
    counted: list[list[tuple[int, str, str, str, int]]] = [[] for _ in days]
    for row in session.execute(
            select(*keys, func.sum(both.c.n)).group_by(*keys).having(func.sum(both.c.n) != 0)):
        counted[row[0]].append((row[1], row[2], row[3], row[4], int(row[5])))
    return counted


def lay_out(session: Session, counted: list[list[tuple[int, str, str, str, int]]], scope: Scope,
            *, by_kind: bool = True) -> list[list[dict[str, Any]]]:
    """Counted groups as report rows per day: one per unit (and kind), ordered by them."""
    unit_ids = {unit_id for groups in counted for unit_id, *_ in groups}
    codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(unit_ids))).all()
                 ) if unit_ids else {}
    columns = scope.levels.counts
    laid_out = []
    for groups in counted:
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for unit_id, kind, level, status, members in groups:
            key = (codes[unit_id], kind if by_kind else (scope.kind or "all"))
            row = rows.setdefault(key, {"unit": key[0], "kind": key[1],
                                        **dict.fromkeys(columns, 0)})
            column = level if status == ACTIVE else status
            if column in row:
                row[column] += members
        for row in rows.values():
            row["total"] = sum(row[name] for name in columns)
        laid_out.append([rows[key] for key in sorted(rows)])
    return laid_out


def rows_on(session: Session, scope: Scope, days: Sequence[date], *, by_kind: bool = True
            ) -> list[list[dict[str, Any]]]:
    """The distribution's report rows at the end of each of ``days``."""
    return lay_out(session, counted_on(session, scope, days), scope, by_kind=by_kind)
