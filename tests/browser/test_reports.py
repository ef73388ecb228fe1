"""Reports in a real browser: a viewer reads them with small numbers hidden and downloads
the CSV; a coordinator may choose to hide them."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import submit

pytestmark = pytest.mark.slow


def test_a_viewer_reads_each_report_with_small_numbers_hidden_and_downloads_the_csv(
        page, server, sign_in, assert_accessible):
    sign_in(page, "viewer")
    assert page.url == server.url + "/reports"
    hide = page.get_by_label("Hide small numbers")
    assert hide.is_checked()
    assert page.locator("#suppression-note").is_visible()
    assert page.locator("main img.pathway-chart").evaluate(
        "image => image.complete && image.naturalWidth > 0")
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    csv = download.value
    assert csv.suggested_filename == "level-distribution.csv"
    assert "unit" in Path(csv.path()).read_text(encoding="utf-8").splitlines()[0]

    for report in ("Progression", "Time in level", "Attrition", "Summary for the strategy group"):
        page.get_by_label("Report").select_option(label=report)
        submit(page, "Show report")
        expect(page.get_by_role("heading", name=report)).to_be_visible()
        assert page.locator("#report-table").is_visible()
        assert page.get_by_label("Hide small numbers").is_checked()
        assert_accessible(page)


def test_a_coordinator_chooses_to_hide_small_numbers_as_of_a_day(page, server, sign_in,
                                                                 assert_accessible):
    sign_in(page, "coordinator")
    page.goto(server.url + "/reports")
    assert not page.get_by_label("Hide small numbers").is_checked()
    page.get_by_label("As of").fill("2026-01-31")
    page.get_by_label("Hide small numbers").check()
    submit(page, "Show report")
    expect(page.locator("#suppression-note")).to_be_visible()
    assert "as_of=2026-01-31" in page.url
    assert "31 January 2026" in page.locator("#report-table caption").inner_text()
    assert_accessible(page)
