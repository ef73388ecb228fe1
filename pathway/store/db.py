"""Engines and units of work.

SQLite is the embedded default: WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE``
for writing units of work so that two writers queue rather than fail mid-transaction.
The pysqlite driver does not emit BEGIN itself, so we take that over (see STACK.md).
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_MS = 30_000
SQLITE_JOURNAL, SQLITE_SYNCHRONOUS = "WAL", "NORMAL"
# A bulk load's journal: a rollback journal holds only the pages the load changes, which for
# new rows is almost none, so the rows are written to the database file once instead of to
# the write-ahead log and again at its checkpoint. FULL is what makes it safe on power loss.
BULK_JOURNAL, BULK_SYNCHRONOUS = "DELETE", "FULL"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA journal_mode={SQLITE_JOURNAL}")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        # Deleted and erased text is overwritten on disk, not left in free pages (the build
        # default varies between SQLite builds, so it is set, not assumed).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        immediate = connection.get_execution_options().get("pathway_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_private_file(path: Path) -> None:
    """Create ``path`` empty, readable by its owner only (0600), unless it exists.

    The database and its backups hold personal data: never world-readable, whatever the
    umask. SQLite gives its -wal and -shm files the database file's mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return


# Every engine still in use, for ``close_engines``.
_open_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per database URL for the life of the process."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            create_private_file(Path(database))
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000,
                                                  "check_same_thread": False})
        _prepare_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    _open_engines.add(engine)
    return engine


def close_engines() -> None:
    """Close every pooled connection of this process's engines (as a command ends)."""
    for engine in list(_open_engines):
        engine.dispose()


@lru_cache(maxsize=8)
def _sessions(url: str, write: bool) -> sessionmaker[Session]:
    engine = engine_for(url)
    bind = engine.execution_options(pathway_write=True) if write else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def open_session(url: str, *, write: bool = False) -> Session:
    return _sessions(url, write)()


@contextmanager
def unit_of_work(url: str, *, write: bool = True) -> Iterator[Session]:
    """A session that commits when the block ends cleanly and rolls back on any exception."""
    with _committed(open_session(url, write=write)) as session:
        yield session


@contextmanager
def _committed(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def bulk_unit_of_work(url: str) -> Iterator[Session]:
    """A writing unit of work for loading many rows at once (``unit_of_work`` otherwise).

    On SQLite, when nothing else has the database open, it runs with a rollback journal and
    the write-ahead log is restored when it ends. A first import of 100,000 members writes
    about 70 MB, and the log would write it twice. The switch needs the database to itself:
    if another connection is open (a running server), it is not made and the load goes
    through the log as any write does. Should the process die mid-load, the journal rolls
    the load back when the database is next opened, and every connection sets the log again.
    """
    if not is_sqlite(url):
        with unit_of_work(url) as session:
            yield session
        return
    with engine_for(url).connect() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        switched = _journal(driver, BULK_JOURNAL, BULK_SYNCHRONOUS, wait_ms=0)
        try:
            with _committed(Session(bind=connection.execution_options(pathway_write=True),
                                    expire_on_commit=False)) as session:
                yield session
        finally:
            if switched:
                _journal(driver, SQLITE_JOURNAL, SQLITE_SYNCHRONOUS, wait_ms=SQLITE_BUSY_MS)


def _journal(driver: sqlite3.Connection, mode: str, synchronous: str, *, wait_ms: int) -> bool:
    """Set this connection's journal mode, waiting at most ``wait_ms`` for the database to be
    free of other connections; whether it was set."""
    driver.execute(f"PRAGMA busy_timeout={wait_ms}")
    try:
        (now,) = driver.execute(f"PRAGMA journal_mode={mode}").fetchone()
    except sqlite3.OperationalError:  # locked: another connection has it open
        return False
    finally:
        driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    driver.execute(f"PRAGMA synchronous={synchronous}")
    return str(now).lower() == mode.lower()
