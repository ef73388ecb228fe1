"""The training lead in a real browser: readiness by award, and Award on a ready member."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

import workflows
from pathway.engine import Actor, Firing
from pathway.people.members import register_member
from pathway.programme import milestones, training
from pathway.store.db import unit_of_work
from tests.browser.conftest import PageServer, submit

pytestmark = pytest.mark.slow

TZ = ZoneInfo("Europe/London")
STAFF = Actor(name="ward-coordinator", role="coordinator")


def ready_member(server: PageServer) -> tuple[int, str, str]:
    """A new service user who meets every criterion of their first level's award:
    (id, reference, award title)."""
    catalogue = workflows.load()
    definition = catalogue.pathway_for("service_user")
    award = next(a for a in catalogue.awards.values()
                 if a.kind == "service_user" and a.level == definition.initial)
    reference = f"SU-{uuid.uuid4().hex[:6].upper()}"
    with unit_of_work(server.database_url) as s:
        member = register_member(s, catalogue, STAFF, reference=reference, kind="service_user",
                                 unit=server.unit_code, zone=TZ)
        for guard in award.criteria:
            if guard.kind == "training":
                for trigger in ("enrol", "complete"):
                    training.move(s, catalogue, member, guard.target or "",
                                  Firing(trigger=trigger), STAFF, TZ)
            elif guard.kind == "milestones_at_level":
                for milestone in milestones.catalogue_for(catalogue, "service_user",
                                                          guard.target)[:guard.at_least or 1]:
                    milestones.record(s, catalogue, member, milestone.code, STAFF, TZ)
        return member.id, reference, award.title


def test_a_training_lead_awards_a_ready_member(page, server, sign_in, assert_accessible):
    member_id, reference, award = ready_member(server)
    sign_in(page, "training_lead")
    page.goto(server.url + "/readiness")
    assert page.title() == "Readiness for awards – Pathway"
    assert page.locator("#expiring-counts").is_visible()
    assert_accessible(page)

    page.get_by_label("Award").select_option(label=f"{award} (service users)")
    page.get_by_label("Show").select_option(label="Ready to award")
    submit(page, "Show readiness")
    row = page.locator("#readiness-table tbody tr", has_text=reference)
    with page.expect_navigation():
        row.get_by_role("button", name="Award").click()

    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Award made.")
    expect(page.locator("main")).not_to_contain_text(reference)  # no longer to award
    page.goto(f"{server.url}/members/{member_id}")
    expect(page.locator(".nhsuk-card", has_text=award)).to_contain_text("Awarded")
    assert_accessible(page)
