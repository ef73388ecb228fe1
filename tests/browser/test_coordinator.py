"""A coordinator's day in a real browser: their units, a unit's members, a member's page and
the action forms, with JavaScript on and off and with the keyboard alone."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import pytest

import workflows
from pathway.engine import Actor
from pathway.people.members import pathway_of, register_member
from pathway.people.units import create_unit
from pathway.store.db import unit_of_work
from pathway.store.models import Member, Unit
from tests.browser.conftest import PageServer, submit

pytestmark = pytest.mark.slow

ELSEWHERE = Actor(name="another-coordinator", role="coordinator")
TZ = ZoneInfo("Europe/London")
OVERRIDE = "Go ahead without the advisory criteria"


def new_member(server: PageServer, unit: str | None = None, kind: str = "service_user") -> int:
    """A new member at the start of their pathway (none of the advisory criteria met yet)."""
    with unit_of_work(server.database_url) as s:
        if unit is not None and s.query(Unit).filter_by(code=unit).first() is None:
            create_unit(s, unit, "Somewhere else entirely", "community")
        member = register_member(s, workflows.load(), ELSEWHERE,
                                 reference=f"SU-{uuid.uuid4().hex[:6].upper()}", kind=kind,
                                 unit=unit or server.unit_code, zone=TZ)
        return member.id


def state_of(server: PageServer, member_id: int) -> tuple[str | None, str | None]:
    with unit_of_work(server.database_url) as s:
        instance = pathway_of(s, s.get_one(Member, member_id))
        return instance.level, instance.status


def test_the_units_overview_and_a_unit_page_with_filters(page, server, sign_in,
                                                        assert_accessible):
    sign_in(page, "coordinator")
    assert page.url == server.url + "/units"
    assert page.title() == "Your units – Pathway"
    chart = page.locator("main img.pathway-chart")
    assert chart.evaluate("image => image.complete && image.naturalWidth > 0")
    assert page.locator("#distribution-table").is_visible()
    assert_accessible(page)

    with page.expect_navigation():
        page.locator("#distribution-table a").first.click()
    assert page.url.startswith(server.url + "/units/")
    page.get_by_label("Status").select_option(label="Active")
    submit(page, "Show members")
    assert "status=active" in page.url
    assert_accessible(page)


def test_a_coordinator_advances_with_the_override_and_a_reason_and_the_history_shows_it(
        page, server, sign_in, assert_accessible):
    member_id = new_member(server)
    sign_in(page, "coordinator")
    page.goto(f"{server.url}/members/{member_id}")
    assert_accessible(page)
    submit(page, "Advance")
    assert_accessible(page)

    submit(page, "Confirm")  # without the override: refused
    assert "Nothing was changed" in page.locator(".nhsuk-error-summary").inner_text()
    assert state_of(server, member_id)[0] == "level_1"
    assert_accessible(page)

    page.get_by_label(OVERRIDE).check()
    page.get_by_label("Reason", exact=True).fill("Chairs the community meeting every week")
    submit(page, "Confirm")

    assert page.url.endswith(f"/members/{member_id}?done=action-advance")
    assert "Advance recorded." in page.locator(".nhsuk-notification-banner").inner_text()
    latest = page.locator("#history-table tbody tr").first.inner_text()
    assert "Chairs the community meeting every week" in latest
    assert "Went ahead without advisory criteria" in latest
    assert state_of(server, member_id)[0] == "level_2"
    assert_accessible(page)


def test_a_coordinator_records_a_leavers_exit_with_their_feedback(page, server, sign_in,
                                                                  assert_accessible):
    member_id = new_member(server)
    reason_for_leaving = workflows.load().pathway_for("service_user").exit_reasons[0]
    sign_in(page, "coordinator")
    page.goto(f"{server.url}/members/{member_id}/actions/exit")
    assert_accessible(page)

    page.get_by_label("Reason for leaving").select_option(reason_for_leaving)
    page.get_by_label("Their feedback on the service (optional)").fill(
        "The groups helped; the times did not suit me.")
    page.get_by_label("Reason", exact=True).fill("Moved out of area")
    page.get_by_label("Yes").check()
    submit(page, "Confirm")

    assert page.url.endswith(f"/members/{member_id}?done=action-exit")
    assert "Exit recorded." in page.locator(".nhsuk-notification-banner").inner_text()
    latest = page.locator("#history-table tbody tr").first.inner_text()
    assert "The groups helped; the times did not suit me." in latest
    assert state_of(server, member_id)[1] == "exited"
    assert_accessible(page)


def test_a_form_confirmed_after_the_record_changed_in_another_tab_writes_nothing(
        page, server, sign_in, assert_accessible):
    member_id = new_member(server)
    sign_in(page, "coordinator")
    first = page
    second = page.context.new_page()
    for tab in (first, second):
        tab.goto(f"{server.url}/members/{member_id}/actions/pause")
    second.get_by_label("Reason", exact=True).fill("On leave for two weeks")
    submit(second, "Confirm")
    assert state_of(server, member_id)[1] == "paused"

    first.get_by_label("Reason", exact=True).fill("Unwell this month")
    submit(first, "Confirm")

    assert "The record has changed since you opened it" in first.locator("main").inner_text()
    assert "Paused" in first.locator("main").inner_text()
    assert state_of(server, member_id)[1] == "paused"
    assert_accessible(first)


def test_a_member_in_another_unit_is_page_not_found(page, server, sign_in, assert_accessible):
    elsewhere = new_member(server, unit="browser-elsewhere")
    sign_in(page, "coordinator")
    answer = page.goto(f"{server.url}/members/{elsewhere}")
    assert answer is not None
    assert answer.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert_accessible(page)


def test_the_same_action_works_with_javascript_off(page_without_js, server, sign_in):
    # No axe check here: axe-core is itself JavaScript; these pages are checked with it on.
    member_id = new_member(server)
    page = page_without_js
    sign_in(page, "coordinator")
    page.goto(f"{server.url}/members/{member_id}")
    submit(page, "Advance")
    page.get_by_label(OVERRIDE).check()
    page.get_by_label("Reason", exact=True).fill("Ready, whatever the checklist says")
    submit(page, "Confirm")
    assert "Advance recorded." in page.locator("main").inner_text()
    assert state_of(server, member_id)[0] == "level_2"


def _tab_to(page, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element is the one named ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const label = e.labels && e.labels[0];"
            " return (label ? label.innerText : e.innerText || '').trim(); }")
        if focused == name:
            return
    raise AssertionError(f"{name!r} was never reached with Tab")


def test_one_action_from_start_to_end_with_the_keyboard_alone(page, server, sign_in):
    member_id = new_member(server)
    sign_in(page, "coordinator")
    page.goto(f"{server.url}/members/{member_id}")
    _tab_to(page, "Pause")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/members/{member_id}/actions/pause")
    _tab_to(page, "Reason")
    page.keyboard.type("Going home on leave")
    _tab_to(page, "Confirm")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/members/{member_id}?done=action-pause")
    assert state_of(server, member_id)[1] == "paused"
