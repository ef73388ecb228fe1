"""`pathway import members FILE.csv`: all or nothing, every bad row named by line and field."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from pathway import clock
from pathway.cli import cli
from pathway.ops import importer
from pathway.store.db import unit_of_work
from pathway.store.models import Event, Instance, Member

TZ = __import__("zoneinfo").ZoneInfo("Europe/London")


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db_url},
                              catch_exceptions=False)


def write_csv(folder: Path, text: str, *, bom: bool = False) -> str:
    path = folder / "members.csv"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return str(path)


def counts(db_url: str) -> tuple[int, int, int]:
    with unit_of_work(db_url, write=False) as s:
        return (s.scalar(select(func.count()).select_from(Member)) or 0,
                s.scalar(select(func.count()).select_from(Instance)) or 0,
                s.scalar(select(func.count()).select_from(Event)) or 0)


def test_import_registers_members_exactly_as_the_api_does(db_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn", "step_down")
    path = write_csv(tmp_path, "reference,kind,unit,display_name,joined_on,level,status,"
                               "exit_reason\n"
                               "SU-0100,service_user,cefn-yr-afon,Rhys,2026-01-05,,,\n"
                               "SU-0101,service_user,ty-bryn,,2025-11-02,level_2,paused,\n"
                               "CA-0100,carer,cefn-yr-afon,Ffion M.,2026-02-01,level_3,,\n"
                               "ST-0100,staff,ty-bryn,,,,exited,left_post\n", bom=True)

    result = run(db_url, "import", "members", path)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported 4 members (1 carer, 2 service_user, 1 staff)")
    assert counts(db_url) == (4, 4, 5)  # the leaver's exit is an event of its own
    with unit_of_work(db_url, write=False) as s:
        rows = s.execute(select(Member.reference, Member.display_name, Member.joined_on,
                                Instance.state, Instance.level, Instance.status,
                                Instance.version, Instance.entered_at, Event.trigger,
                                Event.seq, Event.from_state, Event.to_state, Event.unit_id,
                                Member.unit_id)
                         .join(Instance, Instance.member_id == Member.id)
                         .join(Event, Event.instance_id == Instance.id)
                         .order_by(Member.reference)).all()
    by_reference = {row.reference: row for row in rows}
    assert by_reference["SU-0101"].state == "level_2.paused"
    assert (by_reference["SU-0101"].level, by_reference["SU-0101"].status) == ("level_2", "paused")
    assert by_reference["CA-0100"].state == "level_3"
    assert by_reference["CA-0100"].display_name == "Ffion M."
    leaver = [(r.trigger, r.seq, r.from_state, r.to_state, r.version) for r in rows
              if r.reference == "ST-0100"]
    assert sorted(leaver) == [("exit", 2, "level_1", "level_1.exited", 2),
                              ("register", 1, None, "level_1", 2)]
    assert by_reference["ST-0100"].state == "level_1.exited"
    assert by_reference["ST-0100"].joined_on == clock.today(TZ)
    assert by_reference["SU-0100"].state == "level_1"
    assert by_reference["SU-0100"].display_name == "Rhys"
    assert by_reference["SU-0101"].display_name is None
    for row in rows:
        if row.reference == "ST-0100":
            continue  # a leaver: below
        assert (row.trigger, row.seq, row.from_state, row.to_state) == (
            "register", 1, None, row.state)
        assert row.version == 1
        assert row.unit_id == row[-1]
        assert clock.as_utc(row.entered_at) == clock.start_of(row.joined_on, TZ)

    checked = run(db_url, "check")
    assert checked.exit_code == 0, checked.output


def test_import_reports_every_bad_row_by_line_and_field_and_writes_nothing(
        db_url, unit, member, tmp_path):
    unit("cefn-yr-afon")
    member("service_user", "cefn-yr-afon", reference="SU-0001")
    before = counts(db_url)
    tomorrow = (clock.today(TZ) + timedelta(days=2)).isoformat()
    path = write_csv(tmp_path, "reference,kind,unit,joined_on,level,status\n"
                               "SU-0002,service_user,cefn-yr-afon,2026-01-05,,\n"     # 2 good
                               "SU-0003,patient,cefn-yr-afon,,,\n"                   # 3 kind
                               "SU-0004,service_user,nowhere,,,\n"                   # 4 unit
                               "SU-0002,service_user,cefn-yr-afon,,,\n"              # 5 dup
                               "SU-0001,service_user,cefn-yr-afon,,,\n"              # 6 in db
                               "SU-0007,service_user,cefn-yr-afon,05/01/2026,,\n"    # 7 date
                               f"SU-0008,service_user,cefn-yr-afon,{tomorrow},,\n"   # 8 future
                               "SU-0009,carer,cefn-yr-afon,,level_9,\n"              # 9 level
                               "SU-0010,staff,cefn-yr-afon,,,retired\n"              # 10 status
                               ",service_user,cefn-yr-afon,,,\n")                    # 11 ref

    result = run(db_url, "import", "members", path)

    assert result.exit_code == 1
    reported = [line for line in result.stderr.splitlines() if line.startswith("members.csv: ")]
    assert [line.split(": ")[1:3] for line in reported] == [
        ["line 3", "kind"], ["line 4", "unit"], ["line 5", "reference"],
        ["line 6", "reference"], ["line 7", "joined_on"], ["line 8", "joined_on"],
        ["line 9", "level"], ["line 10", "status"], ["line 11", "reference"]]
    assert "also on line 2" in reported[2]
    assert "already exists" in reported[3]
    assert "in the future" in reported[5]
    assert "9 problems in members.csv; nothing was imported" in result.stderr
    assert counts(db_url) == before


def test_import_refuses_a_file_without_the_required_columns(db_url, unit, tmp_path):
    unit("cefn-yr-afon")
    path = write_csv(tmp_path, "reference,unit,colour\nSU-0001,cefn-yr-afon,blue\n")

    result = run(db_url, "import", "members", path)

    assert result.exit_code == 1
    assert "members.csv: line 1: colour: unknown column" in result.stderr
    assert "members.csv: line 1: kind: required column is missing" in result.stderr
    assert counts(db_url) == (0, 0, 0)


def test_import_names_the_starting_line_of_a_row_after_a_quoted_line_break(db_url, unit,
                                                                            tmp_path):
    unit("cefn-yr-afon")
    path = write_csv(tmp_path, 'reference,kind,unit,display_name\n'
                               'SU-0001,service_user,cefn-yr-afon,"Two\nlines"\n'
                               'SU-0002,nurse,cefn-yr-afon,\n')

    result = run(db_url, "import", "members", path)

    assert result.exit_code == 1
    assert "members.csv: line 4: kind: unknown kind 'nurse'" in result.stderr


def test_import_in_chunks_links_each_event_to_its_own_member(db_url, unit, tmp_path,
                                                            monkeypatch):
    monkeypatch.setattr(importer, "WRITE_CHUNK", 7)
    unit("cefn-yr-afon")
    joined = date(2025, 6, 1)
    lines = ["reference,kind,unit,joined_on,level"]
    lines += [f"SU-{n:04d},{('service_user', 'carer', 'staff')[n % 3]},cefn-yr-afon,"
              f"{(joined + timedelta(days=n)).isoformat()},level_{n % 3 + 1}"
              for n in range(1, 31)]
    path = write_csv(tmp_path, "\n".join(lines) + "\n")

    result = run(db_url, "import", "members", path)

    assert result.exit_code == 0, result.output
    assert counts(db_url) == (30, 30, 30)
    with unit_of_work(db_url, write=False) as s:
        rows = s.execute(select(Member.reference, Member.joined_on, Event.to_state)
                         .join(Event, Event.member_id == Member.id)).all()
    for reference, joined_on, to_state in rows:
        n = int(reference[3:])
        assert joined_on == joined + timedelta(days=n)
        assert to_state == f"level_{n % 3 + 1}"
    assert run(db_url, "check").exit_code == 0


def test_an_imported_leaver_has_a_real_exit_that_attrition_counts(db_url, unit, tmp_path):
    from pathway.reports.attrition import attrition
    from pathway.reports.distribution import level_distribution
    from pathway.reports.scope import period_for, scope_for
    from tests.integration.test_reports_history import ADMIN

    unit("ty-bryn")
    path = write_csv(tmp_path, "reference,kind,unit,joined_on,level,status,exit_reason,"
                               "exited_on\n"
                               "SU-1,service_user,ty-bryn,2026-01-05,level_2,exited,unwell,"
                               "2026-03-01\n"
                               "SU-2,service_user,ty-bryn,2026-01-05,,exited,moved_away,\n"
                               "SU-3,service_user,ty-bryn,2026-01-05,,,,\n")
    assert run(db_url, "import", "members", path).exit_code == 0
    with unit_of_work(db_url, write=False) as session:
        scope = scope_for(session, ADMIN)
        left = attrition(session, scope, period_for(date(2026, 1, 1), date(2026, 6, 30), TZ))
        now = level_distribution(session, scope, TZ)
        before = level_distribution(session, scope, TZ, as_of=date(2026, 2, 28))
    assert left["exits"] == now["totals"]["exited"] == 2
    assert left["by_reason"] == [{"exit_reason": "moved_away", "exits": 1},
                                 {"exit_reason": "unwell", "exits": 1}]
    assert left["by_level"] == [{"level": "level_1", "exits": 1},
                                {"level": "level_2", "exits": 1}]
    # Until the day they left, SU-1 was active at Level 2.
    assert (before["totals"]["level_2"], before["totals"]["exited"]) == (1, 1)
    assert run(db_url, "check").exit_code == 0


def test_a_leaver_row_needs_a_known_reason_and_a_sensible_day(db_url, unit, tmp_path):
    unit("ty-bryn")
    tomorrow = (clock.today(TZ) + timedelta(days=1)).isoformat()
    path = write_csv(tmp_path, "reference,kind,unit,joined_on,status,exit_reason,exited_on\n"
                               "SU-1,service_user,ty-bryn,2026-01-05,exited,,\n"
                               "SU-2,service_user,ty-bryn,2026-01-05,exited,bored,\n"
                               "SU-3,service_user,ty-bryn,2026-01-05,exited,unwell,2026-01-04\n"
                               f"SU-4,service_user,ty-bryn,2026-01-05,exited,unwell,{tomorrow}\n"
                               "SU-5,service_user,ty-bryn,2026-01-05,paused,unwell,2026-02-01\n")
    result = run(db_url, "import", "members", path)
    assert result.exit_code == 1
    faults = [line.split(": ", 1)[1] for line in result.stderr.splitlines()
              if line.startswith("members.csv")]
    assert [f.split(": ")[0:2] for f in faults] == [
        ["line 2", "exit_reason"], ["line 3", "exit_reason"], ["line 4", "exited_on"],
        ["line 5", "exited_on"], ["line 6", "exit_reason"], ["line 6", "exited_on"]]
    assert "reasons are: moved_away" in faults[0]
    assert "unknown exit reason 'bored'" in faults[1]
    assert "before the member joined" in faults[2]
    assert "in the future" in faults[3]
    assert "only for a member who has left" in faults[4]
    assert counts(db_url) == (0, 0, 0)
