"""Backup and restore: a restored database holds exactly what was backed up, and checks out."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import text

from pathway.cli import cli
from pathway.engine import Firing, fire
from pathway.ops import backup, integrity
from pathway.people.audit import record_read
from pathway.people.members import register_member
from pathway.people.units import create_unit
from pathway.people.users import create_user
from pathway.store import migrate
from pathway.store.db import engine_for, is_sqlite, unit_of_work
from pathway.store.models import Base, Member
from tests.conftest import SYSTEM, TZ, create_pg_database


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as ``db_url``, to restore into."""
    if is_sqlite(db_url):
        url = f"sqlite:///{tmp_path / 'restored' / 'pathway.db'}"
        yield url
        engine_for(url).dispose()
        return
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not on PATH")
    url, drop = create_pg_database()
    yield url
    drop()


def _make_history(db_url, catalogue, member, token) -> None:  # type: ignore[no-untyped-def]
    ids = [member(display_name="Someone"), member(kind="carer"), member(kind="staff")]
    with unit_of_work(db_url) as s:
        first = s.get(Member, ids[0])
        fire(s, catalogue, first, "pathway", Firing(trigger="pause", reason="Unwell"), SYSTEM, TZ)
        fire(s, catalogue, first, "pathway", Firing(trigger="resume"), SYSTEM, TZ)
        fire(s, catalogue, first, "milestone:buddy_assigned", Firing(trigger="achieve",
                                                                     note="Evidence"), SYSTEM, TZ)
        fire(s, catalogue, first, "training:three_levels_awareness", Firing(trigger="enrol"),
             SYSTEM, TZ)
        fire(s, catalogue, s.get(Member, ids[1]), "pathway",
             Firing(trigger="exit", exit_reason="moved_away"), SYSTEM, TZ)
        user, _ = create_user(s, "Reader", "admin")
        record_read(s, user_caller(user), ids[0], "read")
    token("member", member_id=ids[2])


def user_caller(user):  # type: ignore[no-untyped-def]
    from pathway.people.access import Caller

    return Caller(user_id=user.id, name=user.name, role=user.role, all_units=True,
                  unit_ids=frozenset())


def _everything(url: str) -> dict[str, list[tuple]]:
    with engine_for(url).connect() as conn:
        return {table.name: sorted(tuple(row) for row in conn.execute(table.select()))
                for table in Base.metadata.sorted_tables}


def _invoke(args: list[str], url: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, args, env={"DATABASE_URL": url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_restored_backup_holds_everything_and_checks_out(db_url, fresh_url, tmp_path, catalogue,
                                                         member, token):
    _make_history(db_url, catalogue, member, token)
    before = _everything(db_url)
    assert before["events"]
    assert before["access_log"]
    assert before["users"]
    file = tmp_path / "pathway.backup"

    _invoke(["backup", str(file)], db_url)
    _invoke(["restore", "--yes", str(file)], fresh_url)

    assert _everything(fresh_url) == before
    with unit_of_work(fresh_url, write=False) as s:
        report = integrity.check(s, catalogue)
        assert report.holds, report.problems
        assert report.instances == len(before["instances"])
        current = MigrationContext.configure(s.connection()).get_current_heads()
    assert set(current) == set(ScriptDirectory.from_config(migrate.alembic_config(fresh_url))
                               .get_heads())
    check = CliRunner().invoke(cli, ["check"], env={"DATABASE_URL": fresh_url})
    assert check.exit_code == 0, check.output


def test_restore_replaces_what_the_database_held(db_url, fresh_url, tmp_path, catalogue, member,
                                                 token):
    _make_history(db_url, catalogue, member, token)
    file = tmp_path / "pathway.backup"
    _invoke(["backup", str(file)], db_url)
    _invoke(["restore", "--yes", str(file)], fresh_url)
    with unit_of_work(fresh_url) as s:
        s.execute(text("UPDATE members SET display_name = 'changed later'"))
    _invoke(["restore", "--yes", str(file)], fresh_url)
    assert _everything(fresh_url) == _everything(db_url)


def test_sqlite_backup_runs_while_a_write_is_open(tmp_path, catalogue):
    """SQLite's online backup only: it copies what is committed while a writer holds the lock."""
    db_url = f"sqlite:///{tmp_path / 'live' / 'pathway.db'}"
    migrate.upgrade(db_url)
    with unit_of_work(db_url) as s:
        create_unit(s, "cefn-yr-afon", "Cefn yr Afon", "open_rehab")
        register_member(s, catalogue, SYSTEM, reference="SU-0001", kind="service_user",
                        unit="cefn-yr-afon", zone=TZ)
    writer = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO units (code, name, kind, created_at) "
                       "VALUES ('uncommitted', 'U', 'other', '2026-01-01')")
        done = backup.backup(db_url, tmp_path / "during.backup")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "Backed up" in done.message
    copy = sqlite3.connect(tmp_path / "during.backup")
    try:
        assert copy.execute("SELECT count(*) FROM members").fetchone() == (1,)
        assert copy.execute("SELECT count(*) FROM units WHERE code = 'uncommitted'").fetchone() == (0,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        copy.close()
    assert not (tmp_path / "during.backup.partial").exists()


def test_backup_never_overwrites_a_file(db_url, tmp_path):
    file = tmp_path / "exists.backup"
    file.write_bytes(b"keep me")
    result = CliRunner().invoke(cli, ["backup", str(file)], env={"DATABASE_URL": db_url})
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert file.read_bytes() == b"keep me"


def test_restore_refuses_a_file_that_is_not_a_backup(db_url, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a backup")
    result = CliRunner().invoke(cli, ["restore", "--yes", str(file)], env={"DATABASE_URL": db_url})
    assert result.exit_code != 0
    assert "is not a" in result.output


def test_restore_asks_before_replacing(db_url, tmp_path, member):
    member()
    file = tmp_path / "pathway.backup"
    _invoke(["backup", str(file)], db_url)
    result = CliRunner().invoke(cli, ["restore", str(file)], env={"DATABASE_URL": db_url},
                                input="n\n")
    assert result.exit_code != 0
    assert "Aborted" in result.output


def test_postgres_without_pg_dump_says_what_to_run(monkeypatch, tmp_path):
    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    url = "postgresql+psycopg://pathway:s3cret@db.example:5432/pathway"
    with pytest.raises(backup.BackupError) as refused:
        backup.backup(url, tmp_path / "pg.dump")
    assert "pg_dump --format=custom" in refused.value.message
    assert "postgresql://pathway@db.example:5432/pathway" in refused.value.message
    assert "s3cret" not in refused.value.message


def test_postgres_password_travels_in_the_environment(monkeypatch, tmp_path):
    calls = []

    def run(args, env, **_kwargs):  # type: ignore[no-untyped-def]
        calls.append((args, env))
        Path(args[args.index("--file") + 1]).write_bytes(b"PGDMP")
        return __import__("subprocess").CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup.subprocess, "run", run)
    backup.backup("postgresql+psycopg://pathway:s3cret@db.example/pathway?sslmode=require",
                  tmp_path / "pg.dump")
    (args, env), = calls
    assert "s3cret" not in " ".join(args)
    assert env["PGPASSWORD"] == "s3cret"
    assert "postgresql://pathway@db.example/pathway?sslmode=require" in args
    assert (tmp_path / "pg.dump").read_bytes() == b"PGDMP"
