"""Idempotency keys: a repeat with the same key and body gets the first answer, once written."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.errors import IdempotencyKeyReused
from pathway.store.models import IdempotentResponse

MAX_KEY_LENGTH = 200
# Old answers are purged by the writes that store new ones, at most this often per process.
PURGE_EVERY_S = 600.0
_last_purge: dict[str, float] = {}


@dataclass(frozen=True)
class Stored:
    status: int
    body: dict[str, Any]


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def recall(session: Session, user_id: int, key: str, digest: str,
           kept_for: timedelta | None = None) -> Stored | None:
    """The stored answer for this caller's key, or None; another body with it is refused.

    An answer older than ``kept_for`` is gone: the key may be used afresh.
    """
    row = session.scalars(select(IdempotentResponse).where(IdempotentResponse.user_id == user_id,
                                                           IdempotentResponse.key == key)).first()
    if row is None:
        return None
    if kept_for is not None and clock.as_utc(row.created_at) < clock.now() - kept_for:
        session.delete(row)
        session.flush()
        return None
    if row.request_hash != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request; use a new key.")
    return Stored(row.status, row.body)


def purge_expired(session: Session, kept_for: timedelta) -> int:
    """Delete stored answers older than ``kept_for`` (not committed); how many went."""
    cutoff = clock.now() - kept_for
    gone = session.execute(delete(IdempotentResponse)
                           .where(IdempotentResponse.created_at < cutoff)
                           .execution_options(synchronize_session=False))
    return int(getattr(gone, "rowcount", 0) or 0)


def _purge_now(session: Session, kept_for: timedelta) -> None:
    """Purge at most every ``PURGE_EVERY_S`` per database, so writes do not pay it each time."""
    url = str(session.get_bind().engine.url)
    now = time.monotonic()
    if now - _last_purge.get(url, float("-inf")) >= PURGE_EVERY_S:
        _last_purge[url] = now
        purge_expired(session, kept_for)


def remember(session: Session, user_id: int, key: str, digest: str, status: int,
             body: dict[str, Any], kept_for: timedelta | None = None) -> None:
    """Store the answer in the same transaction as the change it describes."""
    if kept_for is not None:
        _purge_now(session, kept_for)
    session.add(IdempotentResponse(user_id=user_id, key=key, request_hash=digest, status=status,
                                   body=body, created_at=clock.now()))
    session.flush()
