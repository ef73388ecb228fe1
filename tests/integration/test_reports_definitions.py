"""A board's own levels, end to end: a definition set with a fourth service-user level, and
one with levels coded in other words, served with ``PATHWAY_WORKFLOWS``. A member driven up
through every level over the API is counted at the level they reached in every report: JSON
(now and as of a day), CSV, the chart, the OpenAPI document, the CLI; and the diagram shows it.
"""

from __future__ import annotations

import csv
import io
import itertools
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import workflows
from pathway.cli import cli

DEFINITIONS = Path(__file__).resolve().parent.parent / "definitions"
SERVICE_USER = "pathway_service_user"
# The day each step up is dated: the member reaches the n-th level on STEP_DAYS[n - 1].
STEP_DAYS = ("2026-02-02", "2026-03-02", "2026-04-01")


@pytest.fixture(params=["four-levels", "other-codes"])
def folder(request: pytest.FixtureRequest) -> Path:
    return DEFINITIONS / request.param


@pytest.fixture
def board_app(db_url, folder):  # type: ignore[no-untyped-def]
    from api import create_app

    return create_app({"DATABASE_URL": db_url, "TESTING": True,
                       "PATHWAY_WORKFLOWS": str(folder)})


def _levels(folder: Path) -> list[str]:
    return [level.code for level in workflows.load(folder).pathway_for("service_user").levels]


def _drive_to_the_top(client, headers, levels):  # type: ignore[no-untyped-def]
    """Register a service user and advance them through every level, each step dated."""
    created = client.post("/api/v1/members", headers=headers, json={
        "reference": "SU-TOP", "kind": "service_user", "unit": "ty-bryn",
        "joined_on": "2026-01-05"})
    assert created.status_code == 201, created.get_json()
    member_id = created.get_json()["id"]
    for trigger in ("enrol", "complete"):  # the one required criterion on the way up
        done = client.post(f"/api/v1/members/{member_id}/training/speaking_out/transitions",
                           headers=headers, json={"trigger": trigger})
        assert done.status_code == 201, done.get_json()
    for day, reached in zip(STEP_DAYS, levels[1:], strict=False):
        moved = client.post(f"/api/v1/members/{member_id}/pathway/transitions",
                            headers=headers, json={"trigger": "advance", "override": True,
                                                   "reason": "Agreed at review.", "on": day})
        assert moved.status_code == 201, moved.get_json()
        assert moved.get_json()["pathway"]["level"] == reached
    return member_id


def _counts(levels, **given):  # type: ignore[no-untyped-def]
    row = dict.fromkeys([*levels, "paused", "exited"], 0)
    row.update(given)
    row["total"] = sum(row.values())
    return row


def test_a_member_at_a_boards_own_top_level_is_counted_in_every_report(
        board_app, folder, unit, auth, db_url, monkeypatch):
    levels = _levels(folder)
    top, below = levels[-1], levels[-2]
    unit("ty-bryn", name="Ty Bryn")
    client = board_app.test_client()
    headers = auth("coordinator")
    member_id = _drive_to_the_top(client, headers, levels)

    pathway = client.get(f"/api/v1/members/{member_id}/pathway", headers=headers).get_json()
    assert (pathway["level"], pathway["status"]) == (top, "active")

    reports = "/api/v1/reports"
    now = client.get(f"{reports}/level-distribution", headers=headers).get_json()
    assert now["rows"] == [{"unit": "ty-bryn", "kind": "service_user",
                            **_counts(levels, **{top: 1})}]
    assert now["totals"] == _counts(levels, **{top: 1})
    # The day before the last step up, they were one level down.
    day_before = date.fromisoformat(STEP_DAYS[len(levels) - 2]) - timedelta(days=1)
    then = client.get(f"{reports}/level-distribution?as_of={day_before.isoformat()}",
                      headers=headers).get_json()
    assert then["rows"] == [{"unit": "ty-bryn", "kind": "service_user",
                             **_counts(levels, **{below: 1})}]
    assert then["totals"] == _counts(levels, **{below: 1})

    as_csv = client.get(f"{reports}/level-distribution?format=csv", headers=headers)
    lines = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert lines[0] == ["unit", "kind", *levels, "paused", "exited", "total"]
    assert lines[1] == ["ty-bryn", "service_user",
                        *("1" if code == top else "0" for code in levels), "0", "0", "1"]

    chart = client.get(f"{reports}/level-distribution?format=svg", headers=headers)
    text = " ".join(ET.fromstring(chart.get_data()).itertext())  # noqa: S314 (our own chart)
    top_name = top.replace("_", " ").capitalize()
    assert f"{top_name} (active)" in text
    assert "Ty Bryn (ty-bryn)" in text

    steps = client.get(f"{reports}/time-in-level", headers=headers).get_json()["steps"]
    assert [(s["from_level"], s["to_level"], s["made_it"]) for s in steps] == [
        (lower, upper, 1) for lower, upper in itertools.pairwise(levels)]

    summary = client.get(f"{reports}/summary?from=2026-01-01&to=2026-06-30",
                         headers=headers).get_json()
    assert (summary["top_level"], summary["top_level_now"], summary[f"{top}_now"]) == (
        top, 1, 1)
    assert summary["activity"]["totals"]["advances"] == len(levels) - 1

    spec = client.get("/api/v1/openapi.json").get_json()
    assert list(spec["components"]["schemas"]["Counts"]["properties"]) == [
        *levels, "paused", "exited", "total", "suppressed"]

    diagram = client.get(f"/api/v1/workflows/{SERVICE_USER}/diagram",
                         headers=headers).get_data(as_text=True)
    titled = workflows.load(folder).pathway_for("service_user").level_title(top)
    assert f'{titled}" as {top}\n' in diagram
    assert f"    {below} --> {top}: " in diagram

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PATHWAY_WORKFLOWS", str(folder))
    printed = CliRunner().invoke(cli, ["report", "level-distribution"])
    assert printed.exit_code == 0, printed.output
    assert printed.output.splitlines()[0] == ",".join(
        ["unit", "kind", *levels, "paused", "exited", "total"])
