"""Every report's exact numbers over the hand-built history (see test_reports_history)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from pathway.cli import cli
from pathway.errors import InvalidInput, NotFound
from pathway.people.access import Caller
from pathway.reports.attrition import attrition
from pathway.reports.distribution import level_distribution
from pathway.reports.progression import intervals, progression
from pathway.reports.scope import period_for, scope_for
from pathway.reports.summary import summary
from pathway.reports.time_in_level import time_in_level
from pathway.store.db import unit_of_work
from pathway.store.models import Unit
from tests.conftest import TZ
from tests.integration.test_reports_history import ADMIN, NOW, build_history, counts, row


@pytest.fixture
def history(db_url, catalogue, unit, member):  # type: ignore[no-untyped-def]
    return build_history(db_url, catalogue, unit, member)


def _viewer_of(db_url: str, *codes: str, role: str = "viewer") -> Caller:
    with unit_of_work(db_url, write=False) as session:
        ids = frozenset(session.scalars(select(Unit.id).where(Unit.code.in_(codes))))
    return Caller(user_id=0, name=role, role=role, all_units=False, unit_ids=ids)


def _distribution(db_url: str, caller: Caller = ADMIN, **options):  # type: ignore[no-untyped-def]
    as_of = options.pop("as_of", None)
    by_kind = options.pop("by_kind", True)
    with unit_of_work(db_url, write=False) as session:
        return level_distribution(session, scope_for(session, caller, **options), TZ,
                                  as_of=as_of, by_kind=by_kind)


# --- level distribution --------------------------------------------------------------------

def test_current_distribution_counts_each_member_once_in_their_unit_now(db_url, history):
    report = _distribution(db_url)
    assert report["as_of"] is None
    assert report["rows"] == [
        row("east", "staff", level_1=1),
        row("north", "carer", exited=1),
        row("north", "service_user", paused=1),
        row("south", "carer", level_1=1),
        row("south", "service_user", level_1=2, level_3=1),
    ]
    assert report["totals"] == counts(level_1=4, level_3=1, paused=1, exited=1)
    assert report["suppressed"] is False


def test_as_of_counts_the_state_and_unit_at_the_end_of_that_day(db_url, history):
    report = _distribution(db_url, as_of=date(2026, 6, 30))
    # S4 joined on 07-01: not yet counted. S3 had left (06-01) and not yet rejoined.
    assert report["rows"] == [
        row("east", "staff", level_1=1),
        row("north", "carer", exited=1),
        row("north", "service_user", paused=1),
        row("south", "carer", level_1=1),
        row("south", "service_user", level_3=1, exited=1),
    ]
    assert report["totals"] == counts(level_1=2, level_3=1, paused=1, exited=2)


def test_as_of_counts_a_transferred_member_where_they_were_that_day(db_url, history):
    before = _distribution(db_url, as_of=date(2026, 3, 31))
    assert before["rows"] == [
        row("east", "staff", level_1=1),
        row("north", "carer", exited=1),
        row("north", "service_user", level_2=2),
        row("south", "service_user", level_2=1),
    ]
    after = _distribution(db_url, as_of=date(2026, 4, 1))
    # S1 moved to south and S2 paused, both effective on 04-01 though recorded today.
    assert after["rows"] == [
        row("east", "staff", level_1=1),
        row("north", "carer", exited=1),
        row("north", "service_user", paused=1),
        row("south", "service_user", level_2=2),
    ]


def test_as_of_honours_a_backdated_step_back(db_url, history):
    during = _distribution(db_url, as_of=date(2026, 3, 1), unit="south")
    assert during["rows"] == [row("south", "service_user", level_1=1)]
    assert _distribution(db_url, as_of=date(2026, 2, 28), unit="south")["rows"] == [
        row("south", "service_user", level_2=1)]


def test_as_of_before_anyone_joined_is_empty(db_url, history):
    report = _distribution(db_url, as_of=date(2026, 1, 4))
    assert report["rows"] == []
    assert report["totals"] == counts()


def test_distribution_filters_by_unit_and_kind(db_url, history):
    assert _distribution(db_url, kind="service_user")["rows"] == [
        row("north", "service_user", paused=1),
        row("south", "service_user", level_1=2, level_3=1),
    ]
    assert _distribution(db_url, unit="south", kind="carer")["rows"] == [
        row("south", "carer", level_1=1)]
    assert _distribution(db_url, as_of=date(2026, 3, 31), unit="north")["totals"] == counts(
        level_2=2, exited=1)


def test_distribution_by_unit_adds_kinds_together(db_url, history):
    assert _distribution(db_url, by_kind=False)["rows"] == [
        row("east", "all", level_1=1),
        row("north", "all", paused=1, exited=1),
        row("south", "all", level_1=3, level_3=1),
    ]


def test_a_scoped_caller_counts_only_their_units_then_and_now(db_url, history):
    viewer = _viewer_of(db_url, "north", role="coordinator")
    assert _distribution(db_url, viewer)["rows"] == [
        row("north", "carer", exited=1), row("north", "service_user", paused=1)]
    # As of 03-31, S1 was still in north: a north viewer counts them there.
    assert _distribution(db_url, viewer, as_of=date(2026, 3, 31))["totals"] == counts(
        level_2=2, exited=1)
    with pytest.raises(NotFound):
        _distribution(db_url, viewer, unit="south")


def test_an_unknown_unit_is_not_found_and_an_unknown_kind_is_refused(db_url, history):
    with pytest.raises(NotFound):
        _distribution(db_url, unit="nowhere")
    with pytest.raises(InvalidInput) as refused:
        _distribution(db_url, kind="visitor")
    assert refused.value.errors.keys() == {"kind"}


# --- progression ---------------------------------------------------------------------------

def test_progression_gives_the_distribution_at_each_month_end(db_url, history):
    with unit_of_work(db_url, write=False) as session:
        report = progression(session, scope_for(session, ADMIN),
                             period_for(date(2026, 1, 1), date(2026, 7, 15), TZ), "month")
    ends = [point["as_of"] for point in report["series"]]
    assert ends == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
                    date(2026, 5, 31), date(2026, 6, 30), date(2026, 7, 15)]
    assert report["series"][0]["period_start"] == date(2026, 1, 1)
    assert [point["totals"] for point in report["series"]] == [
        counts(level_1=4),                                   # C1, S1, S2, ST1
        counts(level_1=3, level_2=2),                        # S1, S3 up; C1, S2, ST1 at 1
        counts(level_1=1, level_2=3, exited=1),              # C1 left; S2 and S3 up
        counts(level_1=1, level_2=2, paused=1, exited=1),    # S2 paused
        counts(level_1=2, level_2=1, level_3=1, paused=1, exited=1),  # C2 joined, S1 to 3
        counts(level_1=2, level_3=1, paused=1, exited=2),    # S3 left
        counts(level_1=4, level_3=1, paused=1, exited=1),    # S3 rejoined, S4 joined
    ]
    march = report["series"][2]["rows"]
    assert march == [row("east", "staff", level_1=1), row("north", "carer", exited=1),
                     row("north", "service_user", level_2=2),
                     row("south", "service_user", level_2=1)]


def test_progression_weeks_end_on_sunday_and_quarters_on_their_last_day():
    period = period_for(date(2026, 3, 4), date(2026, 3, 20), TZ)
    assert intervals(period, "week") == [(date(2026, 3, 4), date(2026, 3, 8)),
                                         (date(2026, 3, 9), date(2026, 3, 15)),
                                         (date(2026, 3, 16), date(2026, 3, 20))]
    year = period_for(date(2026, 2, 1), date(2026, 12, 31), TZ)
    assert [end for _, end in intervals(year, "quarter")] == [
        date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]


def test_progression_refuses_too_many_points_and_a_backwards_period():
    with pytest.raises(InvalidInput) as refused:
        intervals(period_for(date(2020, 1, 1), date(2026, 1, 1), TZ), "week")
    assert refused.value.errors.keys() == {"interval"}
    with pytest.raises(InvalidInput) as backwards:
        period_for(date(2026, 2, 1), date(2026, 1, 1), TZ)
    assert backwards.value.errors.keys() == {"from"}


# --- time in level -------------------------------------------------------------------------

def test_time_in_level_gives_median_and_quartiles_of_days_taken(db_url, history):
    with unit_of_work(db_url, write=False) as session:
        report = time_in_level(session, scope_for(session, ADMIN), NOW)
    first, second = report["steps"]
    # Level 1 -> 2 took 30 (S1), 60 (S2), 10 and 20 days (S3, twice): made by 3 members.
    assert first == {
        "from_level": "level_1", "to_level": "level_2", "made_it": 3, "advances": 4,
        "median_days": 25.0, "q1_days": 17.5, "q3_days": 37.5, "iqr_days": 20.0,
        # still active at Level 1: ST1 since 01-05 (300 days), C2 since 05-01 (184),
        # S3 since rejoining 07-01 and S4 since joining 07-01 (123 each)
        "waiting": 4, "waiting_median_days": 153.5, "waiting_longest_days": 300.0}
    # Level 2 -> 3: S1, 89 days; S2 is paused at Level 2, so nobody is waiting there.
    assert second == {
        "from_level": "level_2", "to_level": "level_3", "made_it": 1, "advances": 1,
        "median_days": 89.0, "q1_days": 89.0, "q3_days": 89.0, "iqr_days": 0.0,
        "waiting": 0, "waiting_median_days": None, "waiting_longest_days": None}


def test_time_in_level_filters_by_kind_and_by_the_unit_of_the_step(db_url, history):
    with unit_of_work(db_url, write=False) as session:
        south = time_in_level(session, scope_for(session, ADMIN, unit="south"), NOW)
        carers = time_in_level(session, scope_for(session, ADMIN, kind="carer"), NOW)
    # In south: S3's two steps (10, 20 days) and S1's step to Level 3 (after the transfer).
    assert [(s["made_it"], s["advances"], s["median_days"]) for s in south["steps"]] == [
        (1, 2, 15.0), (1, 1, 89.0)]
    assert (south["steps"][0]["waiting"], south["steps"][0]["waiting_longest_days"]) == (3, 184.0)
    assert [(s["made_it"], s["waiting"]) for s in carers["steps"]] == [(0, 1), (0, 0)]
    assert carers["steps"][0]["median_days"] is None


def test_time_in_level_suppressed_hides_small_groups_and_their_figures(db_url, history):
    with unit_of_work(db_url, write=False) as session:
        report = time_in_level(session, scope_for(session, ADMIN, suppress=True), NOW)
    first = report["steps"][0]
    assert [first[k] for k in ("made_it", "median_days", "waiting", "waiting_longest_days")
            ] == [None] * 4
    assert first["suppressed"] == ["made_it", "median_days", "q1_days", "q3_days", "iqr_days",
                                   "advances", "waiting", "waiting_median_days",
                                   "waiting_longest_days"]
    assert report["steps"][1]["waiting"] == 0


# --- attrition -----------------------------------------------------------------------------

def _attrition(db_url, caller=ADMIN, start=date(2026, 1, 1), end=date(2026, 6, 30),
               **options):  # type: ignore[no-untyped-def]
    with unit_of_work(db_url, write=False) as session:
        return attrition(session, scope_for(session, caller, **options),
                         period_for(start, end, TZ))


def test_attrition_counts_exits_by_reason_unit_kind_and_level(db_url, history):
    report = _attrition(db_url)
    assert (report["exits"], report["leavers"], report["rejoined"]) == (2, 2, 1)
    assert report["rejoin_rate"] == 0.5
    assert report["rows"] == [
        {"unit": "north", "kind": "carer", "exit_reason": "moved_away", "level": "level_1",
         "exits": 1},
        {"unit": "south", "kind": "service_user", "exit_reason": "unwell", "level": "level_2",
         "exits": 1}]
    assert report["by_reason"] == [{"exit_reason": "moved_away", "exits": 1},
                                   {"exit_reason": "unwell", "exits": 1}]
    assert report["by_level"] == [{"level": "level_1", "exits": 1},
                                  {"level": "level_2", "exits": 1}]
    assert report["by_unit"] == [{"unit": "north", "exits": 1}, {"unit": "south", "exits": 1}]
    assert report["by_kind"] == [{"kind": "carer", "exits": 1},
                                 {"kind": "service_user", "exits": 1}]


def test_attrition_gives_leavers_feedback_newest_first_to_record_readers(db_url, history):
    report = _attrition(db_url)
    assert report["feedback_withheld"] is False
    assert report["feedback_count"] == 2
    assert [(f["on"], f["unit"], f["level"], f["feedback"]) for f in report["feedback"]] == [
        (date(2026, 6, 1), "south", "level_2", "Too unwell to keep coming"),
        (date(2026, 3, 10), "north", "level_1", "More evening meetings please")]


def test_attrition_withholds_feedback_from_viewers(db_url, history):
    report = _attrition(db_url, _viewer_of(db_url, "north", "south", "east"))
    assert report["exits"] is None  # 2 exits: fewer than 8, hidden for a viewer
    assert report["suppressed"] is True
    assert report["feedback"] == []
    assert report["feedback_withheld"] is True


def test_attrition_period_includes_both_end_days_and_filters(db_url, history):
    assert _attrition(db_url, start=date(2026, 3, 10), end=date(2026, 5, 31))["exits"] == 1
    assert _attrition(db_url, start=date(2026, 3, 11), end=date(2026, 5, 31))["exits"] == 0
    assert _attrition(db_url, kind="carer")["by_kind"] == [{"kind": "carer", "exits": 1}]
    only_south = _attrition(db_url, unit="south")
    assert (only_south["exits"], only_south["rejoined"], only_south["rejoin_rate"]) == (1, 1, 1.0)


# --- summary -------------------------------------------------------------------------------

def _summary(db_url, caller=ADMIN, **options):  # type: ignore[no-untyped-def]
    with unit_of_work(db_url, write=False) as session:
        return summary(session, scope_for(session, caller, **options),
                       period_for(date(2026, 1, 1), date(2026, 6, 30), TZ), NOW)


def test_summary_counts_what_moved_in_the_period_per_unit(db_url, history):
    report = _summary(db_url)
    assert report["activity"]["rows"] == [
        {"unit": "east", "joined": 1, "advances": 0, "step_backs": 0, "exits": 0, "awards": 0,
         "training_completed": 0},
        {"unit": "north", "joined": 3, "advances": 2, "step_backs": 0, "exits": 1, "awards": 1,
         "training_completed": 2},
        {"unit": "south", "joined": 2, "advances": 3, "step_backs": 1, "exits": 1, "awards": 0,
         "training_completed": 0}]
    assert report["activity"]["totals"] == {"joined": 6, "advances": 5, "step_backs": 1,
                                            "exits": 2, "awards": 1, "training_completed": 2}
    assert report["level_3_now"] == 1


def test_summary_shows_the_carer_gap_per_unit(db_url, history):
    assert _summary(db_url)["carer_gap"] == [
        {"unit": "east", "service_users": 0, "carers": 0, "carers_per_service_user": None},
        {"unit": "north", "service_users": 0, "carers": 0, "carers_per_service_user": None},
        {"unit": "south", "service_users": 3, "carers": 1, "carers_per_service_user": 0.33}]


def test_summary_lists_who_waits_longest_for_record_readers_only(db_url, history):
    report = _summary(db_url)
    assert [(w["reference"], w["level"], w["days"]) for w in report["waiting_longest"]] == [
        ("ST1", "level_1", 300), ("C2", "level_1", 184), ("S3", "level_1", 123),
        ("S4", "level_1", 123)]
    assert (report["waiting_over"], report["waiting_withheld"]) == (2, False)
    viewer = _summary(db_url, _viewer_of(db_url, "north", "south", "east"))
    assert (viewer["waiting_longest"], viewer["waiting_withheld"]) == ([], True)
    assert viewer["waiting_over"] is None  # 2: published figures only, for a viewer


def test_summary_says_the_quick_wins_and_the_gaps_in_words(db_url, history):
    report = _summary(db_url)
    assert report["quick_wins"] == [
        "5 steps up a level from 2026-01-01 to 2026-06-30.",
        "1 accreditation award made.",
        "2 training modules completed.",
        "6 new members joined.",
        "1 member now working in partnership at Level 3.",
        "Most steps up in south: 3 steps."]
    assert report["gaps"] == [
        "Carer gap in south: 1 active carer for 3 active service users.",
        "2 members left in the period.",
        "1 step back a level in the period.",
        "2 members have waited more than 180 days at Level 1 or 2."]


def test_summary_for_one_unit(db_url, history):
    report = _summary(db_url, unit="north")
    assert [r["unit"] for r in report["activity"]["rows"]] == ["north"]
    assert report["waiting_longest"] == []
    assert report["level_3_now"] == 0


# --- the command line ----------------------------------------------------------------------

def test_report_command_writes_csv_and_json_to_stdout(db_url, history, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    runner = CliRunner()
    result = runner.invoke(cli, ["report", "level-distribution", "--as-of", "2026-06-30",
                                 "--unit", "south"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "unit,kind,level_1,level_2,level_3,paused,exited,total",
        "south,carer,1,0,0,0,0,1",
        "south,service_user,0,0,1,0,1,2",
        "total,,1,0,1,0,1,3"]
    as_json = runner.invoke(cli, ["report", "attrition", "--format", "json", "--from",
                                  "2026-01-01", "--to", "2026-06-30"])
    assert as_json.exit_code == 0, as_json.output
    assert '"exits": 2' in as_json.output
    assert '"feedback_withheld": true' in as_json.output  # member data only when asked
    with_data = runner.invoke(cli, ["report", "attrition", "--format", "json", "--from",
                                    "2026-01-01", "--to", "2026-06-30", "--member-data"])
    assert "Too unwell to keep coming" in with_data.output


def test_report_command_refuses_options_a_report_does_not_take(db_url, history, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["report", "summary", "--kind", "carer"])
    assert result.exit_code == 2
    assert "summary does not take --kind" in result.output
    unknown = CliRunner().invoke(cli, ["report", "time-in-level", "--unit", "nowhere"])
    assert unknown.exit_code == 1
    assert "There is no unit 'nowhere'." in unknown.output


def test_report_command_suppresses_for_publication(db_url, history, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["report", "progression", "--from", "2026-06-01",
                                      "--to", "2026-06-30", "--suppress"])
    assert result.exit_code == 0, result.output
    assert "[c]" in result.output


def test_report_command_draws_the_chart_like_the_api(db_url, history, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    drawn = CliRunner().invoke(cli, ["report", "level-distribution", "--as-of", "2026-06-30",
                                     "--format", "svg"])
    assert drawn.exit_code == 0, drawn.output
    text = " ".join(ET.fromstring(drawn.output).itertext())  # noqa: S314 (our own chart)
    assert "Members by level and status, 2026-06-30" in text
    assert "North (north)" in text
    no_chart = CliRunner().invoke(cli, ["report", "attrition", "--format", "svg"])
    assert no_chart.exit_code == 2
    assert "attrition has no svg form" in no_chart.output


def test_report_command_lists_readiness_for_an_award(db_url, history, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    withheld = CliRunner().invoke(cli, ["report", "readiness", "--award", "carer_foundation"])
    assert withheld.exit_code == 1
    assert "lists members" in withheld.output
    needs_award = CliRunner().invoke(cli, ["report", "readiness", "--member-data"])
    assert (needs_award.exit_code, "readiness needs --award" in needs_award.output) == (2, True)
    listed = CliRunner().invoke(cli, ["report", "readiness", "--award", "carer_foundation",
                                      "--unit", "south", "--member-data"])
    assert listed.exit_code == 0, listed.output
    lines = list(csv.reader(io.StringIO(listed.output)))
    assert lines[0] == ["reference", "unit", "kind", "member_level", "status", "award",
                        "ready", "awarded", "met", "unmet"]
    assert [(line[0], line[1], line[5]) for line in lines[1:]] == [
        ("C2", "south", "carer_foundation")]
    as_json = CliRunner().invoke(cli, ["report", "readiness", "--award", "carer_foundation",
                                       "--format", "json", "--member-data"])
    assert as_json.exit_code == 0, as_json.output
    items = json.loads(as_json.output)["items"]
    assert "C2" in {item["reference"] for item in items}  # C1 has left: listed or not
    assert {item["award"] for item in items} == {"carer_foundation"}
