"""Units: wards, step-down houses, community and prison in-reach teams."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import Actor
from pathway.errors import Duplicate, NotFound
from pathway.people import changes
from pathway.people.access import Caller
from pathway.store.models import Unit

UNIT_KINDS = ("low_secure", "locked_rehab", "open_rehab", "step_down", "community",
              "prison_inreach", "other")


def unit_by_code(session: Session, code: str, caller: Caller | None = None) -> Unit:
    unit = session.scalars(select(Unit).where(Unit.code == code)).one_or_none()
    if unit is None or (caller is not None and not caller.sees_unit(unit.id)):
        raise NotFound(f"There is no unit {code!r}.")
    return unit


def create_unit(session: Session, code: str, name: str, kind: str,
                locality: str | None = None) -> Unit:
    if session.scalars(select(Unit.id).where(Unit.code == code)).first() is not None:
        raise Duplicate(f"A unit with code {code!r} already exists.")
    unit = Unit(code=code, name=name, kind=kind, locality=locality, created_at=clock.now())
    session.add(unit)
    try:
        session.flush()
    except IntegrityError as exc:
        # Created by someone else between our look and our insert.
        raise Duplicate(f"A unit with code {code!r} already exists.") from exc
    return unit


EDITABLE = ("name", "kind", "locality")
DESCRIBE = "describe"


def describe_unit(session: Session, unit: Unit, details: dict[str, str | None], actor: Actor, *,
                  reason: str | None = None) -> list[str]:
    """Rename or re-describe a unit, recorded in the change log (its code never changes).

    Returns the fields whose value changed (none: nothing is recorded).
    """
    changed = [name for name in EDITABLE if name in details
               and getattr(unit, name) != details[name]]
    for name in changed:
        setattr(unit, name, details[name])
    if changed:
        changes.record_change(session, actor, DESCRIBE, changed, reason=reason, unit_id=unit.id)
    return changed


def units_query(caller: Caller):
    return select(Unit).where(caller.unit_clause(Unit.id)).order_by(Unit.code)
