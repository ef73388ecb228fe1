"""Time in level: for each step up (each level to the next, in the definitions' level order),
how many made it and how many days it took them, and how many are still waiting at the lower
level.

Days taken run from the member's latest arrival at the lower level (registered, advanced,
stepped back or rejoined there) to the step up (a trigger that moves up a level), both by
effective date; time paused counts as time at the level. Every crossing counts once in the
day figures (a member who stepped back and advanced again crossed twice); ``made_it`` counts
members. Waiting means active at the lower level now, counted from the same arrival to now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, aliased

from pathway.engine import PATHWAY
from pathway.reports.history import day_statistics, days_between, level_reached_at
from pathway.reports.scope import Scope
from pathway.reports.suppression import published
from pathway.reports.vocabulary import ACTIVE
from pathway.store.models import Event, Instance, Member

QUARTILES = (0.25, 0.5, 0.75)


def _crossings(scope: Scope) -> Any:
    """One row per step up out of a lower level: its step, member and days taken."""
    advance = aliased(Event, name="step_up")
    levels = scope.levels
    reached = level_reached_at(levels, advance.instance_id, advance.from_state, advance.seq,
                               advance)
    days = days_between(advance.effective_at, reached)
    return (select(advance.from_state.label("step"), advance.member_id.label("member_id"),
                   days.label("days"))
            .join(Member, Member.id == advance.member_id)
            .where(advance.machine == PATHWAY, advance.trigger.in_(levels.up),
                   advance.from_state.in_(levels.lower),
                   scope.units(advance.unit_id), scope.kinds(Member.kind))
            .subquery("crossings"))


def _waiting(scope: Scope, now: datetime) -> Any:
    """One row per member active at a lower level now, with the days since they arrived."""
    reached = level_reached_at(scope.levels, Instance.id, Instance.level, None, Instance)
    return (select(Instance.level.label("step"), Member.id.label("member_id"),
                   days_between(now, reached).label("days"))
            .join(Member, Member.id == Instance.member_id)
            .where(Instance.machine == PATHWAY, Instance.status == ACTIVE,
                   Instance.level.in_(scope.levels.lower),
                   scope.units(Member.unit_id), scope.kinds(Member.kind))
            .subquery("waiting"))


def _counts(session: Session, rows: Any) -> dict[str, tuple[int, int]]:
    """Per step: (rows, distinct members), rows without a day count left out."""
    statement = (select(rows.c.step, func.count(), func.count(distinct(rows.c.member_id)))
                 .where(rows.c.days.is_not(None)).group_by(rows.c.step))
    return {step: (int(n), int(members)) for step, n, members in session.execute(statement)}


def _known_days(rows: Any) -> Any:
    return select(rows.c.step, rows.c.days).where(rows.c.days.is_not(None)).subquery()


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def time_in_level(session: Session, scope: Scope, now: datetime) -> dict[str, Any]:
    crossings, waiting = _crossings(scope), _waiting(scope, now)
    crossed = _counts(session, crossings)
    taken = day_statistics(session, _known_days(crossings), QUARTILES)
    still = _counts(session, waiting)
    waited = day_statistics(session, _known_days(waiting), (0.5,))
    steps = []
    for lower, upper in scope.levels.steps:
        advances, made_it = crossed.get(lower, (0, 0))
        waiting_now = still.get(lower, (0, 0))[1]
        figures = taken.get(lower, {})
        quartiles = [_days(figures.get(str(q))) for q in QUARTILES]
        row: dict[str, Any] = {
            "from_level": lower, "to_level": upper, "made_it": made_it, "advances": advances,
            "median_days": quartiles[1], "q1_days": quartiles[0], "q3_days": quartiles[2],
            "iqr_days": (_days(quartiles[2] - quartiles[0])
                         if quartiles[0] is not None and quartiles[2] is not None else None),
            "waiting": waiting_now,
            "waiting_median_days": _days(waited.get(lower, {}).get("0.5")),
            "waiting_longest_days": _days(waited.get(lower, {}).get("max")),
        }
        if scope.suppress:
            row = _suppressed(row)
        steps.append(row)
    return {**scope.echo(), "steps": steps}


def _suppressed(row: dict[str, Any]) -> dict[str, Any]:
    """Counts rounded or hidden; day figures of a hidden group hidden with it (a median of
    three people describes those three people)."""
    copy = dict(row)
    hidden = []
    for count, figures in (("made_it", ("median_days", "q1_days", "q3_days", "iqr_days")),
                           ("advances", ()),
                           ("waiting", ("waiting_median_days", "waiting_longest_days"))):
        copy[count] = published(row[count])
        if copy[count] is None:
            hidden.append(count)
            for figure in figures:
                if copy[figure] is not None:
                    copy[figure] = None
                    hidden.append(figure)
    copy["suppressed"] = hidden
    return copy
