"""Settings read from the environment, with defaults that need no set-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


def default_database_url() -> str:
    folder = Path(os.environ.get("PATHWAY_INSTANCE", "instance")).resolve()
    return f"sqlite:///{folder / 'pathway.db'}"


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Settings:
    """Every setting the service reads, read here only (docs/OPERATIONS.md lists them)."""

    database_url: str
    timezone: ZoneInfo
    workflows: str | None
    max_body_bytes: int
    # How long a stored answer to an Idempotency-Key is replayed; older ones are purged.
    idempotency_days: int = 7
    log_level: str = "INFO"
    port: int = 5000

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=normalise_url(os.environ.get("DATABASE_URL") or default_database_url()),
            timezone=ZoneInfo(os.environ.get("PATHWAY_TIMEZONE", "Europe/London")),
            workflows=os.environ.get("PATHWAY_WORKFLOWS") or None,
            max_body_bytes=_whole(os.environ.get("PATHWAY_MAX_BODY_BYTES"), 256 * 1024),
            idempotency_days=_whole(os.environ.get("PATHWAY_IDEMPOTENCY_DAYS"), 7),
            log_level=(os.environ.get("PATHWAY_LOG_LEVEL") or "INFO").upper(),
            port=_whole(os.environ.get("PORT"), 5000),
        )


def _whole(value: str | None, default: int) -> int:
    """A positive whole number from the environment, or the default when unset or blank."""
    if value is None or not value.strip():
        return default
    number = int(value)
    if number < 1:
        raise ValueError(f"Expected a whole number of at least 1, not {value!r}.")
    return number
