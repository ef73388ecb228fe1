"""Training completions running out: who needs a refresher in the next 30, 60 or 90 days.

A completion counts until the day its module's validity ends (``expires_on``, the first day it
no longer counts), from the member's latest ``complete`` event, as ``facts.training_record``
reads it. Only modules with a validity can expire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.facts import COMPLETE
from pathway.people.access import Caller
from pathway.programme.training import machine_of
from pathway.store.models import Event, Member, Unit
from workflows.schema import Catalogue

WINDOWS = (30, 60, 90)


@dataclass(frozen=True)
class Expiring:
    member_id: int
    reference: str
    unit: str
    module: str
    module_title: str
    expires_on: date
    within_days: int


@dataclass(frozen=True)
class UnitExpiring:
    unit: str
    items: list[Expiring] = field(default_factory=list)

    @property
    def counts(self) -> dict[int, int]:
        """How many expire within each window (a 30-day one is also within 60 and 90)."""
        return {window: sum(1 for item in self.items if item.within_days <= window)
                for window in WINDOWS}


def expiring_completions(session: Session, catalogue: Catalogue, caller: Caller,
                         zone: ZoneInfo, *, today: date | None = None) -> list[UnitExpiring]:
    """Completions in the caller's units that stop counting within the longest window, by
    unit then date; completions already expired are not listed (they are due now)."""
    today = today or clock.today(zone)
    horizon = WINDOWS[-1]
    modules = {machine_of(m.code): m for m in catalogue.modules.values() if m.valid_for_days}
    if not modules:
        return []
    completed_at = func.max(Event.effective_at)
    # expires_on = completed_on + valid: in (today, today + horizon] means completed_on in
    # (today - valid, today + horizon - valid], a window of local days per module.
    windows = [and_(Event.machine == machine,
                    completed_at >= clock.start_of(today - timedelta(days=m.valid_for_days - 1),
                                                   zone),
                    completed_at < clock.start_of(
                        today + timedelta(days=horizon - m.valid_for_days + 1), zone))
               for machine, m in modules.items() if m.valid_for_days]
    rows = session.execute(
        select(Member.id, Member.reference, Unit.code, Event.machine, completed_at)
        .join(Member, Member.id == Event.member_id)
        .join(Unit, Unit.id == Member.unit_id)
        .where(Event.trigger == COMPLETE, Event.machine.in_(list(modules)),
               caller.unit_clause(Member.unit_id.expression))
        .group_by(Member.id, Member.reference, Unit.code, Event.machine)
        .having(or_(*windows)))
    by_unit: dict[str, list[Expiring]] = {}
    for member_id, reference, unit, machine, at in rows:
        module = modules[machine]
        expires_on = clock.local_date(at, zone) + timedelta(days=module.valid_for_days or 0)
        left = (expires_on - today).days
        within = next((w for w in WINDOWS if left <= w), horizon)
        by_unit.setdefault(unit, []).append(Expiring(member_id, reference, unit, module.code,
                                                     module.title, expires_on, within))
    return [UnitExpiring(unit, sorted(items, key=lambda i: (i.expires_on, i.reference)))
            for unit, items in sorted(by_unit.items())]
