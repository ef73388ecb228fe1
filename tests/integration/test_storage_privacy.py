"""What is stored stays private: files only their owner reads, deleted text overwritten on
disk, and stored idempotent answers kept only for the configured time."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from pathway import clock
from pathway.cli import cli
from pathway.ops import backup
from pathway.store import idempotency, migrate
from pathway.store.db import engine_for, unit_of_work
from pathway.store.models import IdempotentResponse

pytestmark = pytest.mark.postgres


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_backup_are_readable_by_their_owner_only(tmp_path):
    url = f"sqlite:///{tmp_path / 'instance' / 'pathway.db'}"
    migrate.upgrade(url)
    database = tmp_path / "instance" / "pathway.db"
    assert mode_of(database) == 0o600
    for companion in (tmp_path / "instance").glob("pathway.db-*"):
        assert mode_of(companion) == 0o600, companion
    target = tmp_path / "backup.db"
    backup.backup(url, target)
    assert mode_of(target) == 0o600
    restored = f"sqlite:///{tmp_path / 'restored' / 'pathway.db'}"
    backup.restore(restored, target)
    assert mode_of(tmp_path / "restored" / "pathway.db") == 0o600
    engine_for(url).dispose()
    engine_for(restored).dispose()


def test_sqlite_overwrites_deleted_content(tmp_path):
    url = f"sqlite:///{tmp_path / 'pathway.db'}"
    with engine_for(url).connect() as connection:
        assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1
    engine_for(url).dispose()


def test_db_upgrade_says_it_created_the_schema_then_that_it_is_up_to_date(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    first = CliRunner().invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "Created the database schema" in first.output
    again = CliRunner().invoke(cli, ["db", "upgrade"])
    assert "up to date" in again.output
    engine_for(f"sqlite:///{tmp_path / 'new.db'}").dispose()


def _store(db_url, user_id, key, age):
    with unit_of_work(db_url) as s:
        s.add(IdempotentResponse(user_id=user_id, key=key, request_hash="h", status=201,
                                 body={"ok": True}, created_at=clock.now() - age))


def _user(db_url):
    from pathway.people.users import create_user

    with unit_of_work(db_url) as s:
        user, _ = create_user(s, "keeper", "admin")
        return user.id


def test_stored_answers_older_than_the_setting_are_purged(db_url):
    user_id = _user(db_url)
    _store(db_url, user_id, "old", timedelta(days=8))
    _store(db_url, user_id, "new", timedelta(days=1))
    with unit_of_work(db_url) as s:
        assert idempotency.purge_expired(s, timedelta(days=7)) == 1
    with unit_of_work(db_url, write=False) as s:
        assert s.scalars(select(IdempotentResponse.key)).all() == ["new"]


def test_an_expired_answer_is_not_replayed_and_its_key_may_be_used_again(db_url):
    user_id = _user(db_url)
    _store(db_url, user_id, "k", timedelta(days=8))
    with unit_of_work(db_url) as s:
        assert idempotency.recall(s, user_id, "k", "other", timedelta(days=7)) is None
        idempotency.remember(s, user_id, "k", "other", 201, {"again": True})
    with unit_of_work(db_url, write=False) as s:
        stored = idempotency.recall(s, user_id, "k", "other", timedelta(days=7))
    assert stored is not None
    assert stored.body == {"again": True}


def test_the_retention_is_a_setting(monkeypatch, db_url):
    from api import create_app

    monkeypatch.setenv("PATHWAY_IDEMPOTENCY_DAYS", "3")
    assert create_app({"DATABASE_URL": db_url}).config["PATHWAY_IDEMPOTENCY_DAYS"] == 3

