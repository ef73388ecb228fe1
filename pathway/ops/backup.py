"""Backing up and restoring the database.

SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies a consistent
snapshot page by page while the service keeps serving (WAL: readers and the backup never
block writers for long), into a temporary file that is renamed into place only when whole.
Restoring copies the backup into ``DATABASE_URL``'s file the same way; stop the service first.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists`` in one
transaction. The password travels in ``PGPASSWORD``, never on a command line others can see.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from pathway.errors import PathwayError
from pathway.store.db import create_private_file, engine_for, is_sqlite

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(PathwayError):
    slug = "backup_failed"


@dataclass(frozen=True)
class Done:
    """What happened, in words for the operator."""

    message: str


def backup(url: str, target: Path) -> Done:
    """Write a backup of the database at ``url`` to ``target`` (never half-written)."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    if is_sqlite(url):
        return _backup_sqlite(_sqlite_file(url), target)
    return _backup_postgres(make_url(url), target)


def restore(url: str, source: Path) -> Done:
    """Replace the database at ``url`` with the backup in ``source``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup file {source}.")
    with source.open("rb") as f:
        head = f.read(16)
    # Close this process's pooled connections so none keeps reading what is replaced.
    engine_for(url).dispose()
    if is_sqlite(url):
        if head != SQLITE_MAGIC:
            raise BackupError(f"{source} is not an SQLite backup.")
        return _restore_sqlite(source, _sqlite_file(url))
    if not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source} is not a PostgreSQL custom-format dump (pg_dump -Fc).")
    return _restore_postgres(make_url(url), source)


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _backup_sqlite(database: Path, target: Path) -> Done:
    if not database.is_file():
        raise BackupError(f"There is no database file {database}.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)
    source = sqlite3.connect(database)
    copy = sqlite3.connect(partial)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        with copy:
            source.backup(copy)
        # One self-contained file: the copy does not need -wal/-shm companions.
        copy.execute("PRAGMA journal_mode=DELETE")
        ok = copy.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        copy.close()
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup failed: {exc}.") from exc
    finally:
        source.close()
    copy.close()
    if ok != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError("The backup copy failed its integrity check; nothing was written.")
    os.replace(partial, target)
    return Done(f"Backed up {database} to {target} ({target.stat().st_size} bytes).")


def _restore_sqlite(source: Path, database: Path) -> Done:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} fails SQLite's integrity check; nothing was restored.")
        create_private_file(database)
        live = sqlite3.connect(database)
        try:
            live.execute("PRAGMA busy_timeout=30000")
            with live:
                backup_db.backup(live)
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            live.close()
    except sqlite3.Error as exc:
        raise BackupError(f"The restore failed: {exc}.") from exc
    finally:
        backup_db.close()
    return Done(f"Restored {database} from {source}.")


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    # URL.set() ignores None, so build the URL afresh rather than "unset" the password.
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str, suggestion: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed here (install the PostgreSQL client "
                          f"tools of the server's version), or run on a machine that has it: "
                          f"{suggestion}")
    return found


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): "
                          f"{done.stderr.strip()[-2000:]}")


def _backup_postgres(url: URL, target: Path) -> Done:
    dsn, env = _libpq(url)
    suggestion = f"pg_dump --format=custom --file '{target}' '{dsn}'"
    pg_dump = _tool("pg_dump", suggestion)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)  # pg_dump writes into it and keeps its mode
    try:
        _run([pg_dump, "--format=custom", "--no-owner", "--file", str(partial), "--dbname", dsn],
             env, "pg_dump")
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return Done(f"Backed up {url.database} to {target} ({target.stat().st_size} bytes, "
                "pg_dump custom format).")


def _restore_postgres(url: URL, source: Path) -> Done:
    dsn, env = _libpq(url)
    suggestion = (f"pg_restore --clean --if-exists --no-owner --single-transaction "
                  f"--exit-on-error --dbname '{dsn}' '{source}'")
    pg_restore = _tool("pg_restore", suggestion)
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", "--dbname", dsn, str(source)], env, "pg_restore")
    return Done(f"Restored {url.database} from {source}.")
