"""The change log: who changed a member's or a unit's details, when, which fields and why.

Pathway moves are events on a machine; details that are not (a display name, a unit's name,
kind or locality, lifting an erasure) are recorded here, so every change keeps who, when and
why. The values themselves are not copied: a display name is personal data, erasable.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import Actor
from pathway.store.models import ChangeRecord

MAX_REASON_LENGTH = 500


def record_change(session: Session, actor: Actor, action: str, fields: Iterable[str], *,
                  reason: str | None = None, member_id: int | None = None,
                  unit_id: int | None = None) -> ChangeRecord:
    """Note one change (not committed): ``action`` a code, ``fields`` the names changed."""
    record = ChangeRecord(at=clock.now(), user_id=actor.user_id, actor=actor.name,
                          role=actor.role, member_id=member_id, unit_id=unit_id, action=action,
                          fields=sorted(fields), reason=(reason or "").strip() or None)
    session.add(record)
    session.flush()
    return record


def changes_query(*, member_id: int | None = None,
                  unit_id: int | None = None) -> Select[ChangeRecord]:
    """A member's or a unit's changes, oldest first."""
    statement = select(ChangeRecord).order_by(ChangeRecord.at, ChangeRecord.id)
    if member_id is not None:
        statement = statement.where(ChangeRecord.member_id == member_id)
    if unit_id is not None:
        statement = statement.where(ChangeRecord.unit_id == unit_id)
    return statement


def clear_reasons(session: Session, member_id: int) -> int:
    """Erasure: the reasons given for changes to this member's details go (they may quote
    the person); who changed what, and when, stays."""
    cleared = session.execute(update(ChangeRecord)
                              .where(ChangeRecord.member_id == member_id,
                                     ChangeRecord.reason.is_not(None))
                              .values(reason=None).execution_options(synchronize_session=False))
    return int(getattr(cleared, "rowcount", 0) or 0)


def change_view(record: ChangeRecord) -> dict[str, object]:
    return {"at": clock.as_utc(record.at), "actor": record.actor, "role": record.role,
            "action": record.action, "fields": list(record.fields), "reason": record.reason}
