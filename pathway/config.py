"""Settings read from the environment, with defaults that need no set-up."""

from __future__ import annotations

import os
import secrets
import time
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
    # Signing in to the pages.
    secure_cookies: bool = False
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    secret_key: str | None = None

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
            secure_cookies=os.environ.get("PATHWAY_SECURE_COOKIES", "") in ("1", "true", "yes"),
            session_idle_minutes=_whole(os.environ.get("PATHWAY_SESSION_IDLE_MINUTES"), 30),
            session_absolute_hours=_whole(os.environ.get("PATHWAY_SESSION_ABSOLUTE_HOURS"), 12),
            secret_key=os.environ.get("PATHWAY_SECRET_KEY") or None,
        )


def _whole(value: str | None, default: int) -> int:
    """A positive whole number from the environment, or the default when unset or blank."""
    if value is None or not value.strip():
        return default
    number = int(value)
    if number < 1:
        raise ValueError(f"Expected a whole number of at least 1, not {value!r}.")
    return number


def instance_folder() -> Path:
    """Where the service keeps its own files (the SQLite database by default, the secret key)."""
    return Path(os.environ.get("PATHWAY_INSTANCE", "instance")).resolve()


def stored_secret_key(folder: Path | None = None) -> str:
    """The key that signs session cookies, made once and kept (0600) in the instance folder.

    Every gunicorn worker and every restart reads the same file, so a signed-in person stays
    signed in; the first process to get there writes it, the others read what it wrote.
    """
    folder = folder or instance_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be between creating and writing it
            key = path.read_text("ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it or set PATHWAY_SECRET_KEY.") from None
    key = secrets.token_hex(32)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key
