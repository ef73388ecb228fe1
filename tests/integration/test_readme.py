"""The README shows what the demo really gives: its example rows and numbers are checked
against a freshly loaded demo, as `make run` loads it."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from sqlalchemy import func, select

from pathway.cli import cli
from pathway.store.db import unit_of_work
from pathway.store.models import Member
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_distribution_row() -> dict[str, object]:
    """The level-distribution row the README prints (the lines after its curl)."""
    block = README.split('curl -s "$API/reports/level-distribution" -H "$AUTH"', 1)[1]
    comment = " ".join(line.lstrip("# ") for line in block.splitlines()[1:3])
    found = re.search(r'\{"unit": [^{}]*\}', comment)
    assert found, comment
    return json.loads(found.group(0).replace(", ...", ""))


def test_the_readmes_example_answers_are_the_demos(db_url, client, auth):
    loaded = CliRunner().invoke(cli, ["demo"], env={"DATABASE_URL": db_url},
                                catch_exceptions=False)
    assert loaded.exit_code == 0, loaded.output
    rows = client.get("/api/v1/reports/level-distribution",
                      headers=auth("admin")).get_json()["rows"]
    wanted = readme_distribution_row()
    assert any(all(row.get(k) == v for k, v in wanted.items()) for row in rows), (wanted, rows)
    # The member the README registers next gets the id after the demo's.
    with unit_of_work(db_url, write=False) as s:
        members = s.scalar(select(func.count()).select_from(Member))
    assert f'"id": {members + 1}, "reference": "SU-2042"' in README
    assert f"({members + 1} after the demo data)" in README
