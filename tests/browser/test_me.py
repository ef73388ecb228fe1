"""A member's own pathway in a browser: in words, with their data to download."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import create_token

pytestmark = pytest.mark.slow


def test_a_member_sees_their_pathway_in_words_without_codes(page, server, sign_in,
                                                           assert_accessible):
    sign_in(page, "member")
    assert page.url == server.url + "/me"
    assert page.title() == "My pathway – Pathway"
    main = page.locator("main").inner_text()
    assert "You are at Level " in main
    for heading in ("What comes next", "What I have done", "My training", "My awards",
                    "Who has looked at my record"):
        assert page.get_by_role("heading", name=heading).is_visible(), heading
    assert "level_" not in main
    assert "service_user" not in main
    assert_accessible(page)


def test_download_my_data_is_the_same_export_as_the_api(page, server, sign_in):
    sign_in(page, "member")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    saved = json.loads(download.value.path().read_text())
    token = create_token(server.database_url, "export-checker", "admin")
    answer = server.request("GET", f"/api/v1/members/{server.member_id}/export", token=token)
    assert answer.status == 200
    assert saved["member"] == answer.body["member"]
    assert saved["events"] == answer.body["events"]
    assert saved["pathway"] == answer.body["pathway"]
    assert download.value.suggested_filename == f"pathway-{saved['member']['reference']}.json"


def test_a_coordinator_reading_the_record_shows_in_who_has_looked(page, server, sign_in,
                                                                  browser):
    coordinator = browser.new_context()
    other = coordinator.new_page()
    sign_in(other, "coordinator")
    other.goto(f"{server.url}/members/{server.member_id}")
    coordinator.close()
    sign_in(page, "member")
    looked = page.locator("table", has_text="What they looked at").inner_text()
    assert server.users["coordinator"].username in looked


def test_a_member_cannot_open_someone_elses_pages(page, server, sign_in, assert_accessible):
    sign_in(page, "member")
    for path in ("/admin", "/units", f"/members/{server.member_id + 1}"):
        answer = page.goto(server.url + path)
        assert answer.status == 404, path
        assert page.get_by_role("heading", name="Page not found").is_visible()
    assert_accessible(page)
