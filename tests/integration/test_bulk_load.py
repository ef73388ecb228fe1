"""A bulk load on SQLite: written once through a rollback journal when it has the database to
itself, through the write-ahead log as any write otherwise, and the log is back afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from pathway.people.units import create_unit
from pathway.store import migrate
from pathway.store.db import bulk_unit_of_work, close_engines, engine_for, unit_of_work
from pathway.store.models import Unit


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, Path]:
    """A migrated database file of this test's own, with no connection left open."""
    path = tmp_path / "pathway.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine_for(url).dispose()
    return url, path


def journal_on_disk(path: Path) -> str:
    """The journal mode the file itself records (a bare connection sets none of its own)."""
    bare = sqlite3.connect(path)
    try:
        return str(bare.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        bare.close()


def units(url: str) -> int:
    with unit_of_work(url, write=False) as s:
        return int(s.scalar(select(func.count()).select_from(Unit)) or 0)


def test_a_bulk_load_alone_writes_through_a_rollback_journal_and_puts_the_log_back(database):
    url, path = database

    with bulk_unit_of_work(url) as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "delete"
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        create_unit(s, "cefn-yr-afon", "Cefn yr Afon", "open_rehab", "Bridgend")

    assert journal_on_disk(path) == "wal"
    assert units(url) == 1
    with engine_for(url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_a_bulk_load_beside_another_open_connection_goes_through_the_log(database):
    url, path = database
    server = sqlite3.connect(path, timeout=0)  # as a running server holds one
    server.execute("SELECT count(*) FROM units").fetchone()

    with bulk_unit_of_work(url) as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        create_unit(s, "ty-bryn", "Ty Bryn", "open_rehab", "Bridgend")

    assert server.execute("SELECT count(*) FROM units").fetchone()[0] == 1
    server.close()
    assert journal_on_disk(path) == "wal"


def test_a_bulk_load_that_fails_leaves_nothing_and_the_log_in_place(database):
    url, path = database


    def interrupted_load() -> None:
        with bulk_unit_of_work(url) as s:
            create_unit(s, "cefn-yr-afon", "Cefn yr Afon", "open_rehab", "Bridgend")
            s.flush()
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_load()

    assert units(url) == 0
    assert journal_on_disk(path) == "wal"
    assert not path.with_name(path.name + "-journal").exists()


def test_a_command_closes_its_connections_as_it_ends(database):
    url, path = database
    with unit_of_work(url) as s:
        create_unit(s, "cefn-yr-afon", "Cefn yr Afon", "open_rehab", "Bridgend")
    log = path.with_name(path.name + "-wal")
    assert log.exists()  # the pooled connection holds the log open

    close_engines()

    # SQLite folds the log into the file and removes it when its last connection closes.
    assert not log.exists()
    assert units(url) == 1
