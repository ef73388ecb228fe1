"""Idempotency keys: a repeat with the same key and body gets the first answer, once written."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.errors import IdempotencyKeyReused
from pathway.store.models import IdempotentResponse

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Stored:
    status: int
    body: dict[str, Any]


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def recall(session: Session, user_id: int, key: str, digest: str) -> Stored | None:
    """The stored answer for this caller's key, or None; another body with it is refused."""
    row = session.scalars(select(IdempotentResponse).where(IdempotentResponse.user_id == user_id,
                                                           IdempotentResponse.key == key)).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request; use a new key.")
    return Stored(row.status, row.body)


def remember(session: Session, user_id: int, key: str, digest: str, status: int,
             body: dict[str, Any]) -> None:
    """Store the answer in the same transaction as the change it describes."""
    session.add(IdempotentResponse(user_id=user_id, key=key, request_hash=digest, status=status,
                                   body=body, created_at=clock.now()))
    session.flush()
