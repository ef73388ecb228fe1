"""Booking involvement from a member's involvement page in a real browser: the rate used, a
refusal over a benefit-safe limit in words, and going ahead as the member's informed choice."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import pytest

import workflows
from pathway.engine import Actor
from pathway.people.members import register_member
from pathway.store.db import unit_of_work
from tests.browser.conftest import PageServer, submit

pytestmark = pytest.mark.slow

ELSEWHERE = Actor(name="another-coordinator", role="coordinator")
TZ = ZoneInfo("Europe/London")


def new_member(server: PageServer) -> tuple[int, str]:
    reference = f"SU-{uuid.uuid4().hex[:6].upper()}"
    with unit_of_work(server.database_url) as s:
        member = register_member(s, workflows.load(), ELSEWHERE, reference=reference,
                                 kind="service_user", unit=server.unit_code, zone=TZ)
        return member.id, reference


def test_booking_from_the_involvement_page(page, server, sign_in, assert_accessible):
    member_id, reference = new_member(server)
    sign_in(page, "coordinator")
    page.goto(f"{server.url}/members/{member_id}")
    submit(page, "Involvement and payment", role="link")
    assert page.title() == f"Involvement and payment – {reference} – Pathway"
    assert "not benefits advice" in page.locator("#guardrail").inner_text()
    assert_accessible(page)

    page.get_by_label("ESA permitted work, lower limit").check()
    submit(page, "Save limits")
    assert "Benefit-safe limits saved." in page.locator("main").inner_text()

    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    page.get_by_label("Activity").select_option(label="Feedback or focus group")
    page.get_by_label("Date").fill(today)
    page.get_by_label("Hours").fill("2")
    page.get_by_label("Payment").select_option(label="Paid")
    submit(page, "Book")
    # £12.50 an hour for two hours is over the £20 a week ESA lower limit.
    main = page.locator("main").inner_text()
    assert "over the limit of £20.00" in main
    assert "would reach £25.00" in main
    assert_accessible(page)

    page.get_by_label("Go ahead as the member's informed choice").check()
    page.get_by_label("Reason").fill("Her choice, after talking to her welfare rights adviser")
    submit(page, "Book")
    assert "Involvement booked." in page.locator("main").inner_text()
    table = page.locator("#involvement-table").inner_text()
    assert "Feedback or focus group" in table
    assert "£25.00" in table
    assert "Over a limit by choice" in table
    assert_accessible(page)

    page.get_by_label("Expenses").fill("3.20")
    page.get_by_label("Activity").select_option(label="Community meeting")
    page.get_by_label("Date").fill(today)
    page.get_by_label("Hours").fill("1")
    page.get_by_label("Payment").select_option(label="Volunteer (unpaid)")
    submit(page, "Book")
    assert "£3.20" in page.locator("#involvement-table").inner_text()
