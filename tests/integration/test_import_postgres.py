"""The PostgreSQL import path: a first import into an empty database rebuilds the loaded
tables' keys and indexes in bulk, and leaves the schema exactly as the migrations made it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, text

from pathway.cli import cli
from pathway.store.db import unit_of_work
from pathway.store.models import DistributionChange, Event, Instance, Member

SCHEMA = text(
    "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
    "UNION ALL SELECT 'constraint', c.conrelid::regclass::text || '.' || c.conname, "
    "pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n "
    "ON n.oid = c.connamespace WHERE n.nspname = 'public' "
    # Column defaults too: the load gives two columns one for its duration.
    "UNION ALL SELECT 'default', d.adrelid::regclass::text || '.' || a.attname, "
    "pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
    "ON a.attrelid = d.adrelid AND a.attnum = d.adnum JOIN pg_class r ON r.oid = d.adrelid "
    "JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = 'public' ORDER BY 1, 2")


# The PostgreSQL write path only: these run on the suite's PostgreSQL database alone.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg_url(db_url: str) -> str:
    return db_url


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db_url},
                              catch_exceptions=False)


def schema(db_url: str) -> list[tuple[str, str, str]]:
    with unit_of_work(db_url, write=False) as s:
        return [(row[0], row[1], row[2]) for row in s.execute(SCHEMA)]


def assert_check_holds(db_url: str) -> None:
    check = run(db_url, "check")
    assert check.exit_code == 0, check.output
    assert "all hold" in check.output


def members_csv(folder: Path, name: str, references: range) -> str:
    path = folder / name
    lines = ["reference,kind,unit,display_name,joined_on,level,status,exit_reason"]
    for n in references:
        if n % 3 == 0:
            lines.append(f"ST-{n:04d},staff,cefn-yr-afon,,2025-06-0{1 + n % 9},,exited,left_post")
        else:
            lines.append(f"SU-{n:04d},service_user,ty-bryn,\"Tab\tand \\\\ back\","
                         f"2025-0{1 + n % 9}-11,level_2,paused,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_first_import_leaves_the_schema_as_it_was(pg_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn", "step_down")
    before = schema(pg_url)

    result = run(pg_url, "import", "members", members_csv(tmp_path, "first.csv", range(1, 61)))

    assert result.exit_code == 0, result.output
    assert schema(pg_url) == before
    assert any(kind == "constraint" and "FOREIGN KEY (member_id)" in definition
               for kind, _, definition in before)  # the keys really were among those rebuilt
    assert_check_holds(pg_url)


def test_an_import_into_a_database_with_members_adds_to_them(pg_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn", "step_down")
    assert run(pg_url, "import", "members",
               members_csv(tmp_path, "first.csv", range(1, 31))).exit_code == 0
    before = schema(pg_url)

    result = run(pg_url, "import", "members", members_csv(tmp_path, "more.csv", range(31, 61)))

    assert result.exit_code == 0, result.output
    assert schema(pg_url) == before
    with unit_of_work(pg_url, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 60
        assert s.scalar(select(func.count()).select_from(Event)) == 80  # 20 leavers exit
        # Each member's instance and events are their own, whichever import wrote them.
        mismatched = s.scalar(select(func.count()).select_from(Event).join(
            Instance, Instance.id == Event.instance_id).where(
            Instance.member_id != Event.member_id))
        assert mismatched == 0
        names = set(s.scalars(select(Member.display_name).where(Member.kind == "service_user")))
        assert names == {"Tab\tand \\\\ back"}
        assert s.scalar(select(func.sum(DistributionChange.delta))) == 60
    assert_check_holds(pg_url)


def test_ids_follow_the_lines_of_the_file(pg_url, unit, tmp_path):
    unit("cefn-yr-afon")
    unit("ty-bryn", "step_down")

    assert run(pg_url, "import", "members",
               members_csv(tmp_path, "first.csv", range(1, 31))).exit_code == 0

    with unit_of_work(pg_url, write=False) as s:
        members = s.execute(select(Member.id, Member.reference).order_by(Member.id)).all()
        instances = s.execute(select(Instance.id, Instance.member_id)
                              .order_by(Instance.id)).all()
    assert [int(reference[3:]) for _, reference in members] == list(range(1, 31))
    assert [member_id for _, member_id in instances] == [member_id for member_id, _ in members]
