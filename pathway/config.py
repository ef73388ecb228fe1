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
    database_url: str
    timezone: ZoneInfo
    workflows: str | None
    max_body_bytes: int

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=normalise_url(os.environ.get("DATABASE_URL") or default_database_url()),
            timezone=ZoneInfo(os.environ.get("PATHWAY_TIMEZONE", "Europe/London")),
            workflows=os.environ.get("PATHWAY_WORKFLOWS") or None,
            max_body_bytes=int(os.environ.get("PATHWAY_MAX_BODY_BYTES", str(256 * 1024))),
        )
