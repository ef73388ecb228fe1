"""Members' references follow one rule in the API and the importer: trimmed, NFC, never
blank, never holding characters nobody sees or that reorder the text."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pathway.cli import cli

pytestmark = pytest.mark.postgres

REFUSED = {
    "blank": "   ",
    "zero-width space": "SU-0001\u200b",
    "right-to-left override": "SU-\u202e1000",
    "control character": "SU-0001\x07",
}


def register(client, headers, reference):
    return client.post("/api/v1/members", headers=headers,
                       json={"reference": reference, "kind": "service_user",
                             "unit": "cefn-yr-afon"})


@pytest.mark.parametrize("reference", REFUSED.values(), ids=REFUSED.keys())
def test_a_reference_nobody_could_tell_apart_is_refused_naming_the_field(client, auth, unit,
                                                                        reference):
    unit()
    answer = register(client, auth(), reference)
    assert answer.status_code == 422
    assert list(answer.get_json()["errors"]) == ["reference"]


def test_a_reference_is_trimmed_so_the_same_reference_is_a_duplicate(client, auth, unit):
    unit()
    headers = auth()
    first = register(client, headers, " SU-0001 ")
    assert first.status_code == 201
    assert first.get_json()["reference"] == "SU-0001"
    again = register(client, headers, "SU-0001")
    assert again.status_code == 409
    assert again.get_json()["error"] == "duplicate"


def test_a_reference_is_stored_in_composed_form(client, auth, unit):
    unit()
    headers = auth()
    decomposed = register(client, headers, "CA-Jose\u0301")
    assert decomposed.status_code == 201
    assert decomposed.get_json()["reference"] == "CA-Jos\u00e9"
    assert register(client, headers, "CA-Jos\u00e9").status_code == 409


def test_the_importer_applies_the_same_rule(db_url, unit, tmp_path):
    unit()
    path = tmp_path / "members.csv"
    path.write_text("reference,kind,unit\n"
                    " SU-0100 ,service_user,cefn-yr-afon\n"
                    "SU-0101\u200b,service_user,cefn-yr-afon\n"
                    "SU-\u202e0102,service_user,cefn-yr-afon\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "members", str(path)],
                                env={"DATABASE_URL": db_url}, catch_exceptions=False)
    assert result.exit_code == 1
    reported = [line for line in result.stderr.splitlines() if line.startswith("members.csv: ")]
    assert [line.split(": ")[1:3] for line in reported] == [["line 3", "reference"],
                                                            ["line 4", "reference"]]
    path.write_text("reference,kind,unit\n SU-0100 ,service_user,cefn-yr-afon\n",
                    encoding="utf-8")
    imported = CliRunner().invoke(cli, ["import", "members", str(path)],
                                  env={"DATABASE_URL": db_url}, catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    from pathway.store.db import unit_of_work
    from pathway.store.models import Member

    with unit_of_work(db_url, write=False) as s:
        assert [m.reference for m in s.query(Member)] == ["SU-0100"]
