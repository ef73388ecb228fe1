"""Which databases a running service has open, so that a restore does not pull one from
under it.

Each server process holds a shared lock for as long as it lives: on SQLite a ``flock`` on a
file beside the database (``pathway.db.serving``), on PostgreSQL a session advisory lock on
a connection of its own. The operating system or the database releases it when the process
ends, however it ends, so a crashed server never leaves a stale mark. A restore asks for the
same lock exclusively and without waiting: if it cannot have it, a server is running.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from pathway.store.db import create_private_file, engine_for, is_sqlite

# pg advisory lock key: any constant the service uses for nothing else ("PWSV").
ADVISORY_KEY = 0x50575356
_held: list[Any] = []  # open lock files and connections, kept for the process's life


def _marker(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.serving")


def hold(url: str) -> None:
    """Mark the database as served by this process until it exits."""
    if is_sqlite(url):
        marker = _marker(url)
        if marker is None:
            return
        create_private_file(marker)
        descriptor = os.open(marker, os.O_RDONLY)
        fcntl.flock(descriptor, fcntl.LOCK_SH)
        _held.append(descriptor)
        return
    connection = engine_for(url).connect()
    connection.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": ADVISORY_KEY})
    connection.commit()
    _held.append(connection)


def is_served(url: str) -> bool:
    """True while some process holds the mark (this one's own mark included)."""
    if is_sqlite(url):
        marker = _marker(url)
        if marker is None or not marker.exists():
            return False
        descriptor = os.open(marker, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)  # closing releases the lock if it was taken
        return False
    with engine_for(url).connect() as connection:
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                   {"key": ADVISORY_KEY}).scalar()
        if taken:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
        connection.commit()
    return not taken
