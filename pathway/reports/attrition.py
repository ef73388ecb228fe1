"""Attrition: who left in a period, why, from where and from which level; how many came back;
and what leavers said (the exit event's note), for the roles that may read it.

Suppressed (always, for viewers), a line whose count is hidden does not name its category:
such lines fold into one "fewer than 8" line, so no reason, level or unit can be pinned on
one person. Leavers' feedback is a read of those members' records: ``attrition_read`` says
whose, for the access log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, exists, func, select
from sqlalchemy.orm import Session, aliased

from pathway import clock
from pathway.engine import PATHWAY
from pathway.reports.history import state_level
from pathway.reports.scope import Period, Scope
from pathway.reports.suppression import (
    fold_hidden,
    published,
    rate,
    suppress_rows,
    suppress_totals,
)
from pathway.reports.vocabulary import EXIT, REJOIN
from pathway.store.models import Event, Member, Unit

FEEDBACK_LIMIT = 100
BREAKDOWNS = (("by_reason", "exit_reason"), ("by_level", "level"), ("by_unit", "unit"),
              ("by_kind", "kind"))


LEAVING = aliased(Event, name="leaving")


def _exits_in(scope: Scope, period: Period) -> ColumnElement[bool]:
    """The pathway ``exit`` events effective in the period, in scope (members joined)."""
    return and_(LEAVING.machine == PATHWAY, LEAVING.trigger == EXIT,
                LEAVING.effective_at >= period.begins, LEAVING.effective_at < period.ends,
                scope.units(LEAVING.unit_id), scope.kinds(Member.kind))


def attrition(session: Session, scope: Scope, period: Period) -> dict[str, Any]:
    return attrition_read(session, scope, period)[0]


def attrition_read(session: Session, scope: Scope, period: Period
                   ) -> tuple[dict[str, Any], list[int]]:
    """The report, and the members whose words (feedback) it shows."""
    leaving, in_period = LEAVING, _exits_in(scope, period)
    level = state_level(leaving.to_state)
    reason = func.coalesce(leaving.exit_reason, "not_recorded")
    grouped = (select(Unit.code, Member.kind, reason, level, func.count())
               .select_from(leaving).join(Member, Member.id == leaving.member_id)
               .join(Unit, Unit.id == leaving.unit_id)
               .where(in_period)
               .group_by(Unit.code, Member.kind, reason, level)
               .order_by(Unit.code, Member.kind, reason, level))
    rows: list[dict[str, Any]] = [
        {"unit": unit, "kind": kind, "exit_reason": why, "level": held, "exits": int(n)}
            for unit, kind, why, held, n in session.execute(grouped)]

    back = aliased(Event, name="back")
    came_back = exists().where(back.instance_id == leaving.instance_id, back.seq > leaving.seq,
                               back.trigger == REJOIN)
    leavers, rejoined = session.execute(
        select(func.count(distinct(leaving.member_id)),
               func.count(distinct(leaving.member_id)).filter(came_back))
        .select_from(leaving).join(Member, Member.id == leaving.member_id)
        .where(in_period)).one()

    report: dict[str, Any] = {"from": period.start, "to": period.end, **scope.echo()}
    exits = sum(row["exits"] for row in rows)
    breakdowns = {name: _breakdown(rows, key) for name, key in BREAKDOWNS}
    if scope.suppress:
        keys = ("unit", "kind", "exit_reason", "level")
        rows = fold_hidden(_published(rows), ("exits",), keys)
        breakdowns = {name: fold_hidden(_published(breakdowns[name]), ("exits",), (key,))
                      for name, key in BREAKDOWNS}
        exits_shown, leavers_shown, rejoined_shown = (published(exits), published(leavers),
                                                      published(rejoined))
    else:
        exits_shown, leavers_shown, rejoined_shown = exits, int(leavers), int(rejoined)
    report.update({"exits": exits_shown, "leavers": leavers_shown, "rejoined": rejoined_shown,
                   # from the published figures, so a rate cannot undo the rounding
                   "rejoin_rate": rate(rejoined_shown, leavers_shown),
                   "rows": rows, **breakdowns})
    feedback, readers = _feedback(session, scope, period, in_period)
    report.update(feedback)
    return report, readers


def _published(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return suppress_rows(rows, ("exits",)) if len(rows) > 1 else _alone(rows)


def _alone(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A breakdown of one line repeats the published total: round or hide it the same way."""
    return [suppress_totals(row, ("exits",)) for row in rows]


def _breakdown(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Exits per value of one key, added up from the grouped rows (already aggregated)."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], 0) + row["exits"]
    return [{key: value, "exits": n} for value, n in sorted(totals.items())]


def _feedback(session: Session, scope: Scope, period: Period,
              in_period: ColumnElement[bool]) -> tuple[dict[str, Any], list[int]]:
    """Leavers' own words, newest first, without who said them (or why they are withheld),
    and the members who said them."""
    if not scope.reads_member_data:
        why = ("Feedback is free text about individuals: it is not part of published "
               "(suppressed) figures." if scope.suppress else
               "Feedback is free text about individuals: your role sees figures only.")
        return {"feedback": [], "feedback_count": None, "feedback_withheld": True,
                "feedback_note": why}, []
    leaving = LEAVING
    said = and_(in_period, leaving.note.is_not(None), leaving.note != "")
    count = int(session.scalar(select(func.count()).select_from(leaving)
                               .join(Member, Member.id == leaving.member_id).where(said)) or 0)
    statement = (select(leaving.member_id, leaving.effective_at, Unit.code, Member.kind,
                        leaving.exit_reason, state_level(leaving.to_state), leaving.note)
                 .select_from(leaving).join(Member, Member.id == leaving.member_id)
                 .join(Unit, Unit.id == leaving.unit_id).where(said)
                 .order_by(leaving.effective_at.desc(), leaving.id.desc()).limit(FEEDBACK_LIMIT))
    said_by: list[int] = []
    items: list[dict[str, Any]] = []
    for member_id, at, unit, kind, reason, held, note in session.execute(statement):
        said_by.append(member_id)
        items.append({"on": clock.local_date(at, period.zone), "unit": unit, "kind": kind,
                      "exit_reason": reason, "level": held, "feedback": note})
    return {"feedback": items, "feedback_count": count, "feedback_withheld": False,
            "feedback_note": None if count <= FEEDBACK_LIMIT else
            f"The {FEEDBACK_LIMIT} most recent of {count} are shown."}, said_by
