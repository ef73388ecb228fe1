"""The training lead in a real browser: readiness by award, and Award on a ready member."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_a_training_lead_awards_a_ready_member(page, server, sign_in, assert_accessible):
    sign_in(page, "training_lead")
    page.goto(server.url + "/readiness")
    assert page.title() == "Readiness for awards – Pathway"
    assert_accessible(page)

    awards = page.get_by_label("Award").locator("option").all_inner_texts()
    for award in awards:
        page.get_by_label("Award").select_option(label=award)
        page.get_by_label("Show").select_option(label="Ready to award")
        page.get_by_role("button", name="Show readiness").click()
        if page.locator("#readiness-table").count():
            break
    else:
        pytest.fail("The demo should have someone ready for an award they do not hold.")
    row = page.locator("#readiness-table tbody tr").first
    reference = row.locator("td").first.inner_text()
    row.get_by_role("button", name="Award").click()

    assert "Award made." in page.locator(".nhsuk-notification-banner").inner_text()
    page.get_by_label("Show").select_option(label="Awarded")
    page.get_by_role("button", name="Show readiness").click()
    assert reference in page.locator("main").inner_text()
    assert page.locator("#expiring-counts").is_visible()
    assert_accessible(page)
