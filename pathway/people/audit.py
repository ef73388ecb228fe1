"""The read audit: who looked at a member's record, and when ("who looked at my record")."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.people.access import Caller
from pathway.store.models import AccessRecord


def is_own_record(caller: Caller, member_id: int) -> bool:
    """A member reading their own record is not someone else looking at it."""
    return caller.role == "member" and caller.member_id == member_id


def record_read(session: Session, caller: Caller, member_id: int, action: str) -> AccessRecord | None:
    """Note that ``caller`` read ``member_id``'s record (not committed; nothing for own reads)."""
    if is_own_record(caller, member_id):
        return None
    record = AccessRecord(member_id=member_id, user_id=caller.user_id, actor=caller.name,
                          role=caller.role, action=action, at=clock.now())
    session.add(record)
    session.flush()
    return record


def record_reads(session: Session, caller: Caller, reads: Mapping[int, str]) -> int:
    """Note that ``caller`` read each member's record (``{member_id: action}``), not committed.

    For list pages and reports: one INSERT executed for all rows, no query per member. The
    caller's own record is skipped. Returns how many records were written.
    """
    at = clock.now()
    rows = [{"member_id": member_id, "user_id": caller.user_id, "actor": caller.name,
             "role": caller.role, "action": action, "at": at}
            for member_id, action in reads.items() if not is_own_record(caller, member_id)]
    if rows:
        session.execute(insert(AccessRecord), rows)
    return len(rows)


def access_log_query(member_id: int) -> Select[AccessRecord]:
    """A member's access records, newest first (id breaks ties within one clock tick)."""
    return (select(AccessRecord).where(AccessRecord.member_id == member_id)
            .order_by(AccessRecord.at.desc(), AccessRecord.id.desc()))


def access_view(record: AccessRecord) -> dict[str, object]:
    return {"at": clock.as_utc(record.at), "actor": record.actor, "role": record.role,
            "action": record.action}
