"""`pathway import members` at scale: rows checked by column, written straight in, and the
indexes of an empty database built once after the load — with the same outcome as always."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

import workflows
from pathway import clock
from pathway.cli import cli
from pathway.engine import Actor
from pathway.ops import importer
from pathway.store.db import unit_of_work
from pathway.store.models import Event, Instance, Member

TZ = __import__("zoneinfo").ZoneInfo("Europe/London")
IMPORTER = Actor(name="import by test", role="admin")

# Untidy but valid: padded cells, a short row, a blank line, a decomposed accent, leavers
# with and without a day, a row with every optional cell.
UNTIDY = ("reference,kind,unit,display_name,joined_on,level,status,exit_reason,exited_on\n"
          " SU-0001 , service_user ,cefn-yr-afon, Rhys ,2025-03-01,level_2,,,\n"
          "SU-0002,carer,cefn-yr-afon\n"
          "\n"
          "CA-Jose\u0301,carer,ty-bryn,,2025-05-01,,paused,,\n"
          "ST-0004,staff,ty-bryn,,2025-06-01,level_1,exited,left_post,2025-07-01\n"
          "SU-0005,service_user,ty-bryn,,2025-06-01,,exited,moved_away,\n")


def write_csv(folder: Path, body: str) -> Path:
    path = folder / "members.csv"
    path.write_text(body, encoding="utf-8")
    return path


def import_file(db_url: str, path: Path) -> str:
    result = CliRunner().invoke(cli, ["import", "members", str(path)],
                                env={"DATABASE_URL": db_url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def schema(db_url: str) -> list[tuple[str, str, str]]:
    with unit_of_work(db_url, write=False) as s:
        return [tuple(row) for row in s.execute(text(
            "SELECT type, name, sql FROM sqlite_master ORDER BY name"))]


def test_checking_by_column_finds_exactly_what_checking_by_row_finds(db_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn")
    catalogue = workflows.load()
    sheet = importer.read_csv(write_csv(tmp_path, UNTIDY))
    with unit_of_work(db_url, write=False) as s:
        by_column = importer.validate(s, catalogue, TZ, sheet)
        by_row = importer.validate(s, catalogue, TZ, list(sheet))  # (line, cells) pairs

    assert by_column == by_row
    assert [row.line for row in by_column] == [2, 3, 5, 6, 7]  # line 4 is blank
    first, short, accented, leaver, left_today = by_column
    assert (first.reference, first.kind, first.display_name, first.state) == (
        "SU-0001", "service_user", "Rhys", "level_2")
    assert (short.joined_on, short.state, short.display_name) == (
        clock.today(TZ), catalogue.pathway_for("carer").initial, None)
    assert accented.reference == "CA-Jos\u00e9"
    assert accented.state == f"{catalogue.pathway_for('carer').initial}.paused"
    assert (leaver.state, leaver.exit_reason, leaver.exited_on) == (
        "level_1.exited", "left_post", date(2025, 7, 1))
    assert left_today.exited_on == left_today.joined_on == date(2025, 6, 1)


def test_a_file_with_a_fault_is_reported_as_before_whichever_way_it_is_checked(
        db_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn")
    path = write_csv(tmp_path, UNTIDY + "SU-0001,staff,ty-bryn,,,,,,\n")  # line 8: repeated

    with unit_of_work(db_url, write=False) as s, pytest.raises(importer.ImportRefused) as refused:
        importer.validate(s, workflows.load(), TZ, importer.read_csv(path))

    assert [str(fault) for fault in refused.value.faults] == [
        "line 8: reference: duplicate reference 'SU-0001' (also on line 2)"]


# Tidy: every row as wide as the header, nothing quoted, Windows line ends.
TIDY = ("reference,kind,unit,display_name,joined_on,level,status,exit_reason,exited_on\r\n"
        "SU-0001,service_user,cefn-yr-afon, Rhys ,2025-03-01,level_2,,,\r\n"
        "ST-0004,staff,ty-bryn,,2025-06-01,level_1,exited,left_post,2025-07-01\r\n"
        "CA-0005,carer,ty-bryn,,,,paused,,\r\n")


def test_a_tidy_file_read_straight_into_columns_gives_what_reading_row_by_row_gives(
        db_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn")
    catalogue = workflows.load()
    tidy = importer.read_csv(write_csv(tmp_path, TIDY))
    # A quoted cell sends the same rows through the csv reader, row by row.
    quoted = importer.read_csv(write_csv(tmp_path, TIDY.replace(" Rhys ", '" Rhys "')))

    assert tidy.rows == quoted.rows
    assert tidy.lines == quoted.lines == [2, 3, 4]
    with unit_of_work(db_url, write=False) as s:
        assert (importer.validate(s, catalogue, TZ, tidy)
                == importer.validate(s, catalogue, TZ, quoted))


# SQLite's path (PostgreSQL's has its own test in test_import_postgres.py).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_import_into_an_empty_database_leaves_its_schema_as_it_was(db_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn")
    before = schema(db_url)

    said = import_file(db_url, write_csv(tmp_path, UNTIDY))

    assert said.startswith("Imported 5 members (2 carer, 2 service_user, 1 staff)")
    assert schema(db_url) == before
    with unit_of_work(db_url, write=False) as s:
        plan = " ".join(str(row[-1]) for row in s.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM events WHERE member_id = 1 ORDER BY id")))
        assert "ix_events_pathway_as_of" in plan  # rebuilt, and used
        assert s.scalar(select(func.count()).select_from(Event)) == 7  # two leavers' exits
    checked = CliRunner().invoke(cli, ["check"], env={"DATABASE_URL": db_url})
    assert checked.exit_code == 0, checked.output

    # A second file goes into tables that are no longer empty: the indexes stay in place.
    more = "reference,kind,unit,joined_on\n" + "".join(
        f"SU-{n:04d},service_user,ty-bryn,{date(2025, 1, 1) + timedelta(days=n)}\n"
        for n in range(100, 130))
    assert import_file(db_url, write_csv(tmp_path, more)).startswith("Imported 30 members")
    assert schema(db_url) == before
    with unit_of_work(db_url, write=False) as s:
        ids = s.execute(select(Member.id, Instance.member_id).join(
            Instance, Instance.member_id == Member.id).order_by(Member.id)).all()
    assert [member for member, _ in ids] == list(range(1, 36))
    assert CliRunner().invoke(cli, ["check"], env={"DATABASE_URL": db_url}).exit_code == 0


def test_an_import_that_fails_part_way_leaves_nothing_and_every_index(db_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn")
    before = schema(db_url) if db_url.startswith("sqlite") else None
    catalogue = workflows.load()

    sheet = importer.read_csv(write_csv(tmp_path, UNTIDY))

    def interrupted(_: int) -> None:
        raise KeyboardInterrupt

    def run_until_interrupted() -> None:
        with unit_of_work(db_url) as s:
            rows = importer.validate(s, catalogue, TZ, sheet)
            importer.write(s, catalogue, IMPORTER, TZ, rows, interrupted)

    with pytest.raises(KeyboardInterrupt):
        run_until_interrupted()

    with unit_of_work(db_url, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0
        assert s.scalar(select(func.count()).select_from(Event)) == 0
    if before is not None:
        assert schema(db_url) == before


def test_each_imported_event_names_who_imported_it_whatever_their_name_holds(db_url, unit,
                                                                             tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn")
    catalogue = workflows.load()
    who = Actor(name="import by o'brien; --", role="admin")  # written into the statement

    with unit_of_work(db_url) as s:
        rows = importer.validate(s, catalogue, TZ, importer.read_csv(write_csv(tmp_path, UNTIDY)))
        importer.write(s, catalogue, who, TZ, rows)

    with unit_of_work(db_url, write=False) as s:
        events = s.execute(select(Event.trigger, Event.actor, Event.user_id)).all()
    assert sorted(events) == [("exit", who.name, None)] * 2 + [("register", who.name, None)] * 5
