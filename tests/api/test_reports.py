"""Reports over HTTP: roles, scope, validation, formats (JSON, CSV, SVG) and suppression."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from tests.integration.test_reports_history import build_history, counts, row

DIST = "/api/v1/reports/level-distribution"
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def history(db_url, catalogue, unit, member):  # type: ignore[no-untyped-def]
    return build_history(db_url, catalogue, unit, member)


def test_level_distribution_as_of_a_day_as_api_md_shows(client, auth, history):
    answer = client.get(f"{DIST}?as_of=2026-06-30", headers=auth("coordinator"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["as_of"] == "2026-06-30"
    assert body["rows"] == [
        row("east", "staff", level_1=1), row("north", "carer", exited=1),
        row("north", "service_user", paused=1), row("south", "carer", level_1=1),
        row("south", "service_user", level_3=1, exited=1)]
    assert body["totals"] == counts(level_1=2, level_3=1, paused=1, exited=2)
    assert (body["suppressed"], body["note"]) == (False, None)


@pytest.mark.parametrize("role", ["admin", "coordinator", "training_lead", "viewer"])
def test_every_reading_role_may_read_reports(client, auth, history, role):
    assert client.get(DIST, headers=auth(role)).status_code == 200


def test_members_may_not_read_reports_and_strangers_must_sign_in(client, auth, history):
    for path in ("level-distribution", "progression", "time-in-level", "attrition", "summary"):
        refused = client.get(f"/api/v1/reports/{path}",
                             headers=auth("member", member_id=history["S1"]))
        assert refused.status_code == 403, path
        assert client.get(f"/api/v1/reports/{path}").status_code == 401


def test_a_scoped_reader_sees_only_their_units(client, auth, history):
    headers = auth("coordinator", units=["north"])
    body = client.get(DIST, headers=headers).get_json()
    assert body["rows"] == [row("north", "carer", exited=1),
                            row("north", "service_user", paused=1)]
    outside = client.get(f"{DIST}?unit=south", headers=headers)
    assert outside.status_code == 404
    assert outside.get_json()["message"] == "There is no unit 'south'."


def test_unknown_unit_is_404_and_bad_values_are_422_naming_the_field(client, auth, history):
    headers = auth("admin")
    assert client.get(f"{DIST}?unit=nowhere", headers=headers).status_code == 404
    for query, field in (("as_of=2026-13-01", "as_of"), ("kind=visitor", "kind"),
                         ("format=pdf", "format"), ("suppress=maybe", "suppress")):
        answer = client.get(f"{DIST}?{query}", headers=headers)
        assert answer.status_code == 422, query
        assert field in answer.get_json()["errors"], query
    backwards = client.get("/api/v1/reports/attrition?from=2026-02-01&to=2026-01-01",
                           headers=headers)
    assert backwards.status_code == 422
    assert list(backwards.get_json()["errors"]) == ["from"]
    assert "after" in backwards.get_json()["message"]
    bad_interval = client.get("/api/v1/reports/progression?interval=fortnight", headers=headers)
    assert list(bad_interval.get_json()["errors"]) == ["interval"]
    too_long = client.get("/api/v1/reports/progression?from=2020-01-01&to=2026-01-01"
                          "&interval=week", headers=headers)
    assert (too_long.status_code, list(too_long.get_json()["errors"])) == (422, ["interval"])



@pytest.mark.parametrize(("path", "fields"), [
    ("level-distribution?as_of=9999-12-31", ["as_of"]),
    ("attrition?from=0001-01-01&to=0001-01-01", ["from", "to"]),
    ("progression?from=9999-12-01&to=9999-12-31", ["from", "to"]),
])
def test_days_at_the_ends_of_the_calendar_are_422_naming_the_field(client, auth, history, path,
                                                                    fields):
    answer = client.get(f"/api/v1/reports/{path}", headers=auth("coordinator"))
    assert answer.status_code == 422
    body = answer.get_json()
    assert (body["code"], body["error"]) == (422, "invalid_input")
    assert sorted(body["errors"]) == fields
    assert all("out of range" in body["errors"][name][0] for name in fields)


def test_the_first_day_counted_answers_an_empty_distribution(client, auth, history):
    answer = client.get(f"{DIST}?as_of=1900-01-01", headers=auth("coordinator"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["as_of"], body["rows"]) == ("1900-01-01", [])
    assert body["totals"] == counts()


def test_empty_query_values_mean_no_filter(client, auth, history):
    headers = auth("admin")
    plain = client.get(DIST, headers=headers).get_json()
    empty = client.get(f"{DIST}?as_of=&unit=&kind=&format=&suppress=", headers=headers)
    assert empty.status_code == 200
    assert empty.get_json() == plain
    assert plain["as_of"] is None
    assert plain["totals"] == counts(level_1=4, level_3=1, paused=1, exited=1)


def test_level_distribution_as_csv(client, auth, history):
    answer = client.get(f"{DIST}?as_of=2026-03-31&format=csv", headers=auth("coordinator"))
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.get_data(as_text=True) == (
        "unit,kind,level_1,level_2,level_3,paused,exited,total\r\n"
        "east,staff,1,0,0,0,0,1\r\n"
        "north,carer,0,0,0,0,1,1\r\n"
        "north,service_user,0,2,0,0,0,2\r\n"
        "south,service_user,0,1,0,0,0,1\r\n"
        "total,,1,3,0,0,1,5\r\n")


def test_level_distribution_as_svg_is_a_titled_chart(client, auth, history):
    answer = client.get(f"{DIST}?format=svg&as_of=2026-06-30&kind=service_user",
                        headers=auth("coordinator"))
    assert answer.status_code == 200
    assert answer.mimetype == "image/svg+xml"
    root = ET.fromstring(answer.get_data())  # noqa: S314 (our own chart, in a test)
    assert root.tag == f"{SVG_NS}svg"
    text = " ".join(t.strip() for t in root.itertext() if t.strip())
    title = "Members by level and status – service users, 2026-06-30"
    assert title in text
    for label in ("Unit", "Members",  # axes
                  "Level 1 (active)", "Paused", "Exited",  # legend
                  "north", "south"):  # one bar per unit
        assert label in text
    assert "#0072b2" in answer.get_data(as_text=True).lower()  # Okabe-Ito blue


def test_suppressed_distribution_hides_small_counts_and_cannot_be_undone(client, auth, unit,
                                                                         member):
    unit("big")
    for _ in range(9):
        member("carer", "big")
    for _ in range(12):
        member("service_user", "big")
    for _ in range(3):
        member("service_user", "big", level="level_2")
    body = client.get(f"{DIST}?suppress=true", headers=auth("viewer")).get_json()
    assert body["suppressed"] is True
    assert "1 to 7" in body["note"]
    # S-U level 2 (3) is small; its row and columns each get a second hidden cell.
    assert body["rows"] == [
        {"unit": "big", "kind": "carer", "level_1": None, "level_2": 0, "level_3": 0,
         "paused": 0, "exited": 0, "total": None, "suppressed": ["level_1", "total"]},
        {"unit": "big", "kind": "service_user", "level_1": None, "level_2": None,
         "level_3": 0, "paused": 0, "exited": 0, "total": None,
         "suppressed": ["level_1", "level_2", "total"]}]
    # Totals are rounded from the true 21, 3 and 24, not added up from the cells.
    assert body["totals"] == {"level_1": 20, "level_2": None, "level_3": 0, "paused": 0,
                              "exited": 0, "total": 25, "suppressed": ["level_2"]}
    as_csv = client.get(f"{DIST}?suppress=true&format=csv", headers=auth("viewer"))
    lines = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert lines[2] == ["big", "service_user", "[c]", "[c]", "0", "0", "0", "[c]"]
    assert lines[3] == ["total", "", "20", "[c]", "0", "0", "0", "25"]


def test_progression_as_json_csv_and_svg(client, auth, history):
    headers = auth("coordinator")
    query = "/api/v1/reports/progression?from=2026-01-01&to=2026-03-31&interval=month"
    body = client.get(query, headers=headers).get_json()
    assert (body["from"], body["to"], body["interval"]) == ("2026-01-01", "2026-03-31", "month")
    assert [(p["period_start"], p["as_of"], p["totals"]["total"]) for p in body["series"]] == [
        ("2026-01-01", "2026-01-31", 4), ("2026-02-01", "2026-02-28", 5),
        ("2026-03-01", "2026-03-31", 5)]
    lines = client.get(f"{query}&format=csv&unit=south", headers=headers).get_data(as_text=True)
    assert lines.splitlines() == [
        "period_start,as_of,unit,kind,level_1,level_2,level_3,paused,exited,total",
        "2026-01-01,2026-01-31,total,,0,0,0,0,0,0",
        "2026-02-01,2026-02-28,south,service_user,0,1,0,0,0,1",
        "2026-02-01,2026-02-28,total,,0,1,0,0,0,1",
        "2026-03-01,2026-03-31,south,service_user,0,1,0,0,0,1",
        "2026-03-01,2026-03-31,total,,0,1,0,0,0,1"]
    chart = client.get(f"{query}&format=svg", headers=headers)
    assert chart.mimetype == "image/svg+xml"
    text = " ".join(ET.fromstring(chart.get_data()).itertext())  # noqa: S314
    assert "Members by level, each month, 2026-01-01 to 2026-03-31" in text


def test_time_in_level_over_http(client, auth, history):
    body = client.get("/api/v1/reports/time-in-level?kind=service_user",
                      headers=auth("coordinator")).get_json()
    first, second = body["steps"]
    assert (first["made_it"], first["advances"], first["median_days"], first["iqr_days"]) == (
        3, 4, 25.0, 20.0)
    assert first["waiting"] == 2  # S3 and S4 (service users only)
    assert (second["made_it"], second["median_days"], second["waiting"]) == (1, 89.0, 0)
    as_csv = client.get("/api/v1/reports/time-in-level?format=csv&kind=carer",
                        headers=auth("coordinator")).get_data(as_text=True)
    assert as_csv.splitlines()[0] == ("from_level,to_level,made_it,advances,median_days,"
                                      "q1_days,q3_days,iqr_days,waiting,waiting_median_days,"
                                      "waiting_longest_days")
    assert as_csv.splitlines()[2] == "level_2,level_3,0,0,,,,,0,,"


def test_attrition_feedback_reaches_coordinators_but_never_viewers(client, auth, history):
    query = "/api/v1/reports/attrition?from=2026-01-01&to=2026-06-30"
    coordinator = client.get(query, headers=auth("coordinator")).get_json()
    assert [f["feedback"] for f in coordinator["feedback"]] == [
        "Too unwell to keep coming", "More evening meetings please"]
    assert coordinator["feedback_withheld"] is False
    assert (coordinator["exits"], coordinator["rejoined"], coordinator["rejoin_rate"]) == (
        2, 1, 0.5)
    viewer = client.get(query, headers=auth("viewer"))
    body = viewer.get_json()
    assert (body["feedback"], body["feedback_withheld"], body["feedback_count"]) == (
        [], True, None)
    assert "Too unwell" not in viewer.get_data(as_text=True)
    published = client.get(f"{query}&suppress=true", headers=auth("admin")).get_json()
    assert published["feedback_withheld"] is True
    assert (published["exits"], published["rejoin_rate"]) == (None, None)


def test_attrition_scoped_to_the_callers_units(client, auth, history):
    body = client.get("/api/v1/reports/attrition?from=2026-01-01&to=2026-06-30",
                      headers=auth("coordinator", units=["north"])).get_json()
    assert body["rows"] == [{"unit": "north", "kind": "carer", "exit_reason": "moved_away",
                             "level": "level_1", "exits": 1}]
    assert [f["feedback"] for f in body["feedback"]] == ["More evening meetings please"]


def test_summary_for_the_strategy_group(client, auth, history):
    query = "/api/v1/reports/summary?from=2026-01-01&to=2026-06-30"
    admin = client.get(query, headers=auth("admin")).get_json()
    assert admin["activity"]["totals"] == {"joined": 6, "advances": 5, "step_backs": 1,
                                           "exits": 2, "awards": 1, "training_completed": 2}
    assert [w["reference"] for w in admin["waiting_longest"]] == ["ST1", "C2", "S3", "S4"]
    assert "Carer gap in south: 1 active carer for 3 active service users." in admin["gaps"]
    viewer = client.get(query, headers=auth("viewer")).get_json()
    assert (viewer["waiting_longest"], viewer["waiting_withheld"]) == ([], True)
    published = client.get(f"{query}&suppress=true", headers=auth("admin")).get_json()
    assert viewer["quick_wins"] == published["quick_wins"]  # a viewer reads published figures
    assert published["activity"]["totals"]["advances"] is None
    assert published["quick_wins"][0] == "Fewer than 8 steps up a level from 2026-01-01 to " \
                                         "2026-06-30."
    assert published["waiting_withheld"] is True
    as_csv = client.get(f"{query}&format=csv", headers=auth("coordinator")).get_data(as_text=True)
    assert as_csv.splitlines()[:2] == [
        "unit,joined,advances,step_backs,exits,awards,training_completed,"
        "active_service_users,active_carers",
        "east,1,0,0,0,0,0,0,0"]


def test_openapi_declares_json_csv_and_svg_and_the_suppression_rule(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/reports/level-distribution"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json", "text/csv", "image/svg+xml"}
    suppress = next(p for p in operation["parameters"] if p["name"] == "suppress")
    assert "rounded to the nearest 5" in suppress["description"]
    attrition = spec["paths"]["/api/v1/reports/attrition"]["get"]
    assert {p["name"] for p in attrition["parameters"]} >= {"from", "to", "unit", "kind"}


# --- published figures: what a viewer and a suppressed chart may show -------------------------

def _svg_text(answer) -> str:  # type: ignore[no-untyped-def]
    assert answer.mimetype == "image/svg+xml"
    return " ".join(t.strip() for t in ET.fromstring(answer.get_data()).itertext()  # noqa: S314
                    if t.strip())


def _hatched_segments(answer) -> int:  # type: ignore[no-untyped-def]
    """Bars drawn with a hatch pattern (matplotlib writes them as <use> of a hatch fill)."""
    root = ET.fromstring(answer.get_data())  # noqa: S314 (our own chart, in a test)
    return sum(1 for element in root.iter()
               if "url(#h" in (element.get("style") or "") + (element.get("fill") or ""))


def test_a_hidden_count_on_a_chart_is_marked_never_drawn_as_zero(client, auth, history):
    chart = client.get(f"{DIST}?format=svg&suppress=true&as_of=2026-06-30",
                       headers=auth("admin"))
    text = _svg_text(chart)
    # Every unit has fewer than 8 members: each bar is a marked, hatched segment.
    assert text.count("<8") >= 3
    assert _hatched_segments(chart) >= 3
    assert "Hidden: fewer than 8" in text
    for unit in ("North (north)", "South (south)", "East (east)"):  # names, and codes
        assert unit in text
    assert "2026-06-30" in text


def test_a_chart_of_now_says_the_day_it_is_as_of(client, auth, history):
    text = _svg_text(client.get(f"{DIST}?format=svg", headers=auth("admin")))
    assert "Members by level and status, as of 20" in text


def test_an_empty_chart_has_no_scale_around_nothing(client, auth, history):
    chart = client.get(f"{DIST}?format=svg&as_of=1900-01-01", headers=auth("admin"))
    text = _svg_text(chart)
    assert "No members in this selection" in text
    assert "0.045" not in text
    assert "−0.04" not in text
    root = ET.fromstring(chart.get_data())  # noqa: S314
    ticks = [g for g in root.iter(f"{SVG_NS}g") if (g.get("id") or "").startswith("xtick_")]
    assert ticks == []


def test_a_viewer_always_gets_published_figures_whatever_suppress_says(client, auth, history):
    for asked in ("", "&suppress=false", "&suppress=true"):
        body = client.get(f"{DIST}?as_of=2026-06-30{asked}", headers=auth("viewer")).get_json()
        assert body["suppressed"] is True, asked
        assert body["totals"]["total"] is None  # 6: fewer than 8


def test_a_viewer_cannot_single_out_one_leaver(client, auth, unit, member, db_url,
                                               catalogue):
    from tests.integration.test_reports_history import _fire

    unit("ty-bryn", name="Ty Bryn")
    leaver = member("service_user", "ty-bryn", level="level_2", joined_on=date(2026, 1, 5))
    _fire(db_url, catalogue, leaver, "exit", date(2026, 1, 7), exit_reason="unwell",
          note="Too unwell to keep coming")
    query = ("/api/v1/reports/attrition?unit=ty-bryn&from=2026-01-07&to=2026-01-07"
             "&kind=service_user")
    for asked in ("", "&suppress=true"):
        answer = client.get(query + asked, headers=auth("viewer"))
        body = answer.get_json()
        assert body["exits"] is None
        assert body["suppressed"] is True
        assert body["rows"] == [{"unit": "fewer than 8", "kind": "fewer than 8",
                                 "exit_reason": "fewer than 8", "level": "fewer than 8",
                                 "exits": None, "suppressed": ["exits"]}]
        assert body["by_reason"] == [{"exit_reason": "fewer than 8", "exits": None,
                                      "suppressed": ["exits"]}]
        assert body["by_level"] == [{"level": "fewer than 8", "exits": None,
                                     "suppressed": ["exits"]}]
        text = answer.get_data(as_text=True)
        assert "unwell" not in text
        assert "Too unwell" not in text
        as_csv = client.get(query + "&format=csv", headers=auth("viewer"))
        assert "unwell" not in as_csv.get_data(as_text=True)
    # A coordinator reads the record itself: the figure and the reason.
    coordinator = client.get(query, headers=auth("coordinator")).get_json()
    assert coordinator["rows"] == [{"unit": "ty-bryn", "kind": "service_user",
                                    "exit_reason": "unwell", "level": "level_2", "exits": 1}]


def test_reading_leavers_feedback_is_in_their_access_logs(client, auth, history, db_url):
    from sqlalchemy import select

    from pathway.store.db import unit_of_work
    from pathway.store.models import AccessRecord

    query = "/api/v1/reports/attrition?from=2026-01-01&to=2026-06-30"
    assert client.get(query, headers=auth("coordinator", name="Cerys")).status_code == 200
    client.get(query, headers=auth("viewer", name="Vic"))  # withheld: not a read
    with unit_of_work(db_url, write=False) as session:
        logged = session.execute(select(AccessRecord.member_id, AccessRecord.actor,
                                        AccessRecord.action)).all()
    assert sorted(logged) == sorted([(history["C1"], "Cerys", "attrition_feedback"),
                                     (history["S3"], "Cerys", "attrition_feedback")])


def test_count_rows_answer_exactly_what_the_field_by_field_dump_does(client, auth, history,
                                                                     monkeypatch):
    """The distribution's and the progression's rows skip marshmallow's per-field dump (it
    cost seconds for a year at 1M members); the bytes answered must not change."""
    from marshmallow import fields

    from api.reports import CountRows

    paths = [DIST, f"{DIST}?as_of=2026-06-30", f"{DIST}?suppress=true", f"{DIST}?kind=carer",
             "/api/v1/reports/progression?from=2026-01-01&to=2026-12-31&interval=month",
             "/api/v1/reports/progression?from=2026-01-01&to=2026-12-31&interval=quarter"
             "&suppress=true&unit=south"]
    headers = auth("admin")
    quick = [client.get(path, headers=headers) for path in paths]
    monkeypatch.setattr(CountRows, "_serialize", fields.List._serialize)
    by_field = [client.get(path, headers=headers) for path in paths]
    for path, fast, slow in zip(paths, quick, by_field, strict=True):
        assert fast.status_code == slow.status_code == 200, path
        assert fast.data == slow.data, path
        body = fast.get_json()
        assert body.get("rows") or body["series"][0]["rows"], path
    # Suppressed rows (nulls and the list of hidden columns) are among those compared.
    assert any(row.get("suppressed") for row in quick[2].get_json()["rows"])
