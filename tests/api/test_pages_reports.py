"""The reports page through Flask's test client: the same builders, scope and suppression as
the API, a chart, a table and a CSV for each report."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.api.pages_support import element_text, sign_in_as, text

REPORTS = ("level-distribution", "progression", "time-in-level", "attrition", "summary")


@pytest.fixture
def members(unit: Callable[..., str], member: Callable[..., int]) -> list[int]:
    unit("cefn-yr-afon")
    unit("ty-gwyn")
    return [member("service_user", reference=f"SU-{n:04d}") for n in range(10)] + [
        member("carer", unit="ty-gwyn", reference="CA-0001")]


@pytest.mark.parametrize("name", REPORTS)
def test_each_report_has_a_table_and_a_csv_download(client: FlaskClient, db_url: str,
                                                    members: list[int], name: str) -> None:
    sign_in_as(client, db_url, "coordinator")
    page = client.get(f"/reports?report={name}").get_data(as_text=True)
    assert 'id="report-table"' in page
    assert "Download CSV" in text(page)
    csv = client.get(f"/reports/{name}.csv")
    assert csv.mimetype == "text/csv"
    assert csv.headers["Content-Disposition"] == f'attachment; filename="{name}.csv"'


def test_the_page_table_and_the_api_report_give_the_same_counts(
        client: FlaskClient, db_url: str, members: list[int],
        auth: Callable[..., dict[str, str]]) -> None:
    sign_in_as(client, db_url, "coordinator")
    api = client.get("/api/v1/reports/level-distribution",
                     headers=auth("coordinator")).get_json()
    table = element_text(client.get("/reports").get_data(as_text=True), "report-table")
    for row in api["rows"]:
        assert f"{row['unit']} {row['kind'].replace('_', ' ').capitalize()} " \
               f"{row['level_1']} {row['level_2']}" in table


def test_a_viewer_always_reads_suppressed_figures(client: FlaskClient, db_url: str,
                                                  members: list[int]) -> None:
    sign_in_as(client, db_url, "viewer")
    page = client.get("/reports?report=level-distribution").get_data(as_text=True)
    assert 'id="suppression-note"' in page
    # one carer in ty-gwyn: a count from 1 to 7 is hidden
    assert "Hidden" in element_text(page, "report-table")
    csv = client.get("/reports/level-distribution.csv").get_data(as_text=True)
    assert "[c]" in csv


def test_hide_small_numbers_is_the_coordinators_choice(client: FlaskClient, db_url: str,
                                                       members: list[int]) -> None:
    sign_in_as(client, db_url, "coordinator")
    plain = client.get("/reports").get_data(as_text=True)
    assert 'id="suppression-note"' not in plain
    hidden = client.get("/reports?suppress=y").get_data(as_text=True)
    assert 'id="suppression-note"' in hidden


def test_the_distribution_as_of_a_day_and_its_chart(client: FlaskClient, db_url: str,
                                                    members: list[int]) -> None:
    sign_in_as(client, db_url, "coordinator")
    page = client.get("/reports?as_of=2026-01-31").get_data(as_text=True)
    assert "31 January 2026" in element_text(page, "report-table")
    chart = client.get("/reports/level-distribution/chart.svg?as_of=2026-01-31")
    assert chart.mimetype == "image/svg+xml"


def test_a_date_that_is_not_a_date_is_named_in_the_error_summary(
        client: FlaskClient, db_url: str, members: list[int]) -> None:
    sign_in_as(client, db_url, "coordinator")
    answer = client.get("/reports?report=attrition&from=2026-02-30")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'href="#from"' in page
    assert 'id="from-error"' in page


def test_a_unit_out_of_scope_is_page_not_found(client: FlaskClient, db_url: str,
                                               members: list[int]) -> None:
    sign_in_as(client, db_url, "coordinator", units=["cefn-yr-afon"])
    assert client.get("/reports?unit=ty-gwyn").status_code == 404

