"""Involvement for finance and the strategy group: per unit and kind, the sessions, hours,
payments and expenses of involvement held in a period (cancelled involvement left out).

Payments are the amounts of ``paid`` and ``voucher`` involvement; ``paid_out_pence`` is the
part already paid. Suppressed, a line with few members or sessions hides its money too: a
small line's sum can be one person's pay.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pathway.reports.scope import Period, Scope
from pathway.reports.suppression import hidden_cells, rounded
from pathway.store.models import Instance, InvolvementRecord, Unit
from workflows.involvement import EARNINGS
from workflows.vocabulary import CANCELLED, PAID_OUT

COUNTS = ("members", "sessions")
MONEY = ("hours", "payments_pence", "paid_out_pence", "expenses_pence")
COLUMNS = ("unit", "kind", *COUNTS, *MONEY)


def involvement(session: Session, scope: Scope, period: Period) -> dict[str, Any]:
    record = InvolvementRecord
    earning = record.payment.in_(EARNINGS)
    rows = session.execute(
        select(Unit.code, record.kind,
               func.count(func.distinct(record.member_id)), func.count(record.id),
               func.sum(record.minutes),
               func.sum(case((earning, record.amount_pence), else_=0)),
               func.sum(case((earning & (Instance.state == PAID_OUT), record.amount_pence),
                             else_=0)),
               func.sum(record.expenses_pence))
        .join(Unit, Unit.id == record.unit_id)
        .join(Instance, Instance.id == record.instance_id)
        .where(scope.units(record.unit_id), scope.kinds(record.kind),
               record.held_on >= period.start, record.held_on <= period.end,
               Instance.state != CANCELLED)
        .group_by(Unit.code, record.kind).order_by(Unit.code, record.kind)).all()
    lines = [{"unit": unit, "kind": kind, "members": int(members), "sessions": int(sessions),
              "hours": round(int(minutes or 0) / 60, 2), "payments_pence": int(pay or 0),
              "paid_out_pence": int(paid or 0), "expenses_pence": int(expenses or 0),
              "suppressed": []}
             for unit, kind, members, sessions, minutes, pay, paid, expenses in rows]
    totals: dict[str, Any] = {"unit": "total", "kind": None, "suppressed": []}
    for column in (*COUNTS, *MONEY):
        totals[column] = sum(line[column] for line in lines)
    totals["members"] = int(session.scalar(
        select(func.count(func.distinct(record.member_id)))
        .join(Instance, Instance.id == record.instance_id)
        .where(scope.units(record.unit_id), scope.kinds(record.kind),
               record.held_on >= period.start, record.held_on <= period.end,
               Instance.state != CANCELLED)) or 0)
    totals["hours"] = round(totals["hours"], 2)
    if scope.suppress:
        lines = [_published(line, hidden) for line, hidden in
                 zip(lines, hidden_cells(lines, COUNTS), strict=True)]
        totals = _published(totals, hidden_cells([totals], COUNTS)[0])
    return {**scope.echo(), "from": period.start, "to": period.end, "rows": lines,
            "totals": totals}


def _published(line: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """Counts rounded; a line with a hidden count hides everything, money included."""
    copy = dict(line)
    if hidden:
        for column in (*COUNTS, *MONEY):
            copy[column] = None
        copy["suppressed"] = [*COUNTS, *MONEY]
        return copy
    for column in COUNTS:
        copy[column] = rounded(int(line[column]))
    return copy
