"""The member's voice in their moves: per unit and kind, the level moves of a period counted by
the member's latest view of each (a view added afterwards supersedes the one given with it).

A level move is one of the definitions' level-changing triggers, by its effective date, in the
unit the member was in then (the event's own unit).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from pathway.engine import PATHWAY
from pathway.people.voice import AGREES, DISAGREES, NONE, NOT_ASKED
from pathway.reports.export import write_rows
from pathway.reports.scope import Period, Scope
from pathway.reports.suppression import suppress_rows, suppress_totals
from pathway.reports.vocabulary import Levels
from pathway.store.models import Event, Member, Unit
from workflows.schema import Catalogue, level_triggers
from workflows.vocabulary import MEMBER_VIEW

COUNTS = (AGREES, DISAGREES, NOT_ASKED, NONE)
COLUMNS = (*COUNTS, "moves")


def _level_moves(catalogue: Catalogue) -> tuple[str, ...]:
    """The pathways' own moves up and down a level (``register`` and ``rejoin`` are starts)."""
    up, down = level_triggers(catalogue)
    return (*up, *down)


def voice(session: Any, catalogue: Catalogue, scope: Scope, period: Period) -> dict[str, Any]:
    move = aliased(Event, name="move")
    later = aliased(Event, name="later")
    newest = (select(later.refers_to.label("refers_to"), func.max(later.id).label("id"))
              .where(later.trigger == MEMBER_VIEW, later.refers_to.is_not(None))
              .group_by(later.refers_to).subquery("newest"))
    latest = aliased(Event, name="latest")
    answer = func.coalesce(latest.member_view["agrees"].as_string(),
                           move.member_view["agrees"].as_string(), NONE)
    statement = (select(Unit.code, Member.kind, answer, func.count())
                 .select_from(move).join(Member, Member.id == move.member_id)
                 .join(Unit, Unit.id == move.unit_id)
                 .outerjoin(newest, newest.c.refers_to == move.id)
                 .outerjoin(latest, latest.id == newest.c.id)
                 .where(move.machine == PATHWAY, move.trigger.in_(_level_moves(catalogue)),
                        move.effective_at >= period.begins, move.effective_at < period.ends,
                        scope.units(move.unit_id), scope.kinds(Member.kind))
                 .group_by(Unit.code, Member.kind, answer))
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for unit, kind, said, count in session.execute(statement):
        row = table.setdefault((unit, kind), {"unit": unit, "kind": kind,
                                              **dict.fromkeys(COLUMNS, 0)})
        column = said if said in COUNTS else NONE
        row[column] += int(count)
        row["moves"] += int(count)
    rows = [table[key] for key in sorted(table)]
    totals: dict[str, Any] = {column: sum(row[column] for row in rows) for column in COLUMNS}
    if scope.suppress:
        rows = suppress_rows(rows, COLUMNS)
        totals = suppress_totals(totals, COLUMNS)
    return {"from": period.start, "to": period.end, **scope.echo(), "rows": rows,
            "totals": totals}


def voice_csv(report: dict[str, Any], levels: Levels) -> str:
    return write_rows(("unit", "kind", *COLUMNS), [*report["rows"], {**report["totals"],
                                                                    "unit": "total"}])
