"""Every date a request gives is a day the service can count in (1900-01-01 to 9999-01-01):
outside that range it is refused with 422 naming the field, never a 500 from date arithmetic;
at the bounds themselves it works."""

from __future__ import annotations

from datetime import date

import pytest

from pathway.clock import FIRST_DAY, LAST_DAY
from pathway.errors import InvalidInput
from pathway.reports.progression import interval_end, intervals
from pathway.reports.scope import period_for
from tests.conftest import TZ

API = "/api/v1"
REPORTS = f"{API}/reports"


def refused(answer, *fields: str) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == 422, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["code"], body["error"]) == (422, "invalid_input")
    assert sorted(body["errors"]) == sorted(fields)


@pytest.mark.parametrize(("query", "field"), [
    ("level-distribution?as_of=1899-12-31", "as_of"),
    ("level-distribution?as_of=9999-01-02", "as_of"),
    ("attrition?from=1899-12-31&to=2026-01-01", "from"),
    ("attrition?to=9999-06-30", "to"),
    ("progression?from=2026-01-01&to=9999-12-31&interval=quarter", "to"),
    ("summary?from=0001-01-01&to=2026-01-01", "from"),
    ("summary?to=0001-01-01", "to"),
])
def test_a_report_day_just_outside_the_range_is_refused_naming_it(client, auth, query, field):
    answer = client.get(f"{REPORTS}/{query}", headers=auth("viewer"))
    refused(answer, field)
    assert "1900-01-01 to 9999-01-01" in answer.get_json()["errors"][field][0]


def test_a_report_day_must_be_written_in_full(client, auth):
    refused(client.get(f"{REPORTS}/level-distribution?as_of=20260630", headers=auth("viewer")),
            "as_of")


def test_the_last_day_counted_answers_a_distribution(client, auth, member):
    member(joined_on=date(2026, 1, 5))
    answer = client.get(f"{REPORTS}/level-distribution?as_of=9999-01-01",
                        headers=auth("coordinator"))
    assert answer.status_code == 200
    assert answer.get_json()["totals"]["level_1"] == 1


def test_periods_at_the_first_and_last_days_counted(client, auth, member):
    member(joined_on=date(2026, 1, 5))
    headers = auth("coordinator")
    first = client.get(f"{REPORTS}/attrition?from=1900-01-01&to=1900-01-01", headers=headers)
    assert (first.status_code, first.get_json()["exits"]) == (200, 0)
    last = client.get(f"{REPORTS}/summary?from=9999-01-01&to=9999-01-01", headers=headers)
    assert last.status_code == 200
    for interval in ("week", "month", "quarter"):
        series = client.get(f"{REPORTS}/progression?from=9998-10-01&to=9999-01-01"
                            f"&interval={interval}", headers=headers)
        assert series.status_code == 200, interval
        points = series.get_json()["series"]
        assert points[-1]["as_of"] == "9999-01-01"
        assert points[-1]["totals"]["level_1"] == 1
    early = client.get(f"{REPORTS}/progression?from=1900-01-01&to=1900-03-31&interval=month",
                       headers=headers)
    assert [p["as_of"] for p in early.get_json()["series"]] == [
        "1900-01-31", "1900-02-28", "1900-03-31"]


def test_registering_with_a_day_out_of_range_names_joined_on(client, auth, unit):
    unit()
    headers = auth("coordinator")
    for joined_on in ("0001-01-01", "1899-12-31", "9999-12-31"):
        refused(client.post(f"{API}/members", headers=headers, json={
            "reference": f"SU-{joined_on}", "kind": "service_user", "unit": "cefn-yr-afon",
            "joined_on": joined_on}), "joined_on")
    # the future rule still stands inside the range
    future = client.post(f"{API}/members", headers=headers, json={
        "reference": "SU-later", "kind": "service_user", "unit": "cefn-yr-afon",
        "joined_on": "9000-01-01"})
    refused(future, "joined_on")
    assert "future" in future.get_json()["errors"]["joined_on"][0]
    first = client.post(f"{API}/members", headers=headers, json={
        "reference": "SU-1900", "kind": "service_user", "unit": "cefn-yr-afon",
        "joined_on": "1900-01-01"})
    assert first.status_code == 201
    assert first.get_json()["joined_on"] == "1900-01-01"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_effective_dates_out_of_range_name_their_field(client, auth, member, unit, day):
    member_id = member()
    unit("north")
    headers = auth("admin")
    refused(client.post(f"{API}/members/{member_id}/pathway/transitions", headers=headers,
                        json={"trigger": "pause", "on": day}), "on")
    refused(client.post(f"{API}/members/{member_id}/transfer", headers=headers,
                        json={"unit": "north", "on": day}), "on")
    refused(client.post(f"{API}/members/{member_id}/training/getting_involved/transitions",
                        headers=headers, json={"trigger": "enrol", "on": day}), "on")
    refused(client.post(f"{API}/members/{member_id}/milestones", headers=headers,
                        json={"code": "buddy_assigned", "achieved_on": day}), "achieved_on")


def test_openapi_says_which_days_are_accepted(client):
    document = client.get(f"{API}/openapi.json").get_json()
    parameters = {p["name"]: p for p in
                  document["paths"][f"{REPORTS}/level-distribution"]["get"]["parameters"]}
    assert "1900-01-01 to 9999-01-01" in parameters["as_of"]["description"]
    member = document["components"]["schemas"]["Member"]["properties"]["joined_on"]
    assert (member["format"], "1900-01-01 to 9999-01-01" in member["description"]) == (
        "date", True)


def test_period_arithmetic_stays_inside_the_calendar_at_its_bounds():
    assert interval_end(date(9999, 12, 5), "month") == date(9999, 12, 31)
    assert interval_end(date(9999, 12, 5), "quarter") == date(9999, 12, 31)
    last = period_for(date(9998, 12, 1), LAST_DAY, TZ)
    assert intervals(last, "quarter")[-1] == (LAST_DAY, LAST_DAY)
    first = period_for(FIRST_DAY, FIRST_DAY, TZ)
    assert first.begins < first.ends
    # the CLI reaches the reports without the API's schemas: the service refuses too
    with pytest.raises(InvalidInput) as refusal:
        period_for(date(1, 1, 1), date(1, 1, 1), TZ)
    assert list(refusal.value.errors) == ["from"]
