"""The proposals board in a real browser: a member raises a proposal anonymously, and the
coordinator of their unit moves it to amber with a note (with JavaScript off: the forms are
plain HTML and the move form opens with <details>)."""

from __future__ import annotations

import uuid

import pytest

from pathway.store.db import unit_of_work
from pathway.store.models import Proposal, ProposalEvent

pytestmark = pytest.mark.slow


def test_a_member_raises_anonymously_and_a_coordinator_moves_it_to_amber(
        page, page_without_js, server, sign_in, assert_accessible):
    title = f"Board games evening {uuid.uuid4().hex[:6]}"
    member = page
    sign_in(member, "member")
    with member.expect_navigation():
        member.get_by_role("link", name="Proposals").click()
    assert member.title() == "Proposals board – Pathway"
    assert_accessible(member)
    member.get_by_label("Title").fill(title)
    member.get_by_label("Detail").fill("A weekly games night in the lounge.")
    member.locator("#unit").select_option(server.unit_code)
    member.get_by_label("Raise it anonymously").check()
    with member.expect_navigation():
        member.get_by_role("button", name="Raise a proposal").click()
    card = member.locator(".nhsuk-card", has_text=title)
    assert "Raised by Anonymous" in card.inner_text()
    assert member.get_by_text("Move this proposal").count() == 0
    assert_accessible(member)
    with unit_of_work(server.database_url, write=False) as s:
        proposal = s.query(Proposal).filter_by(title=title).one()
        raised = s.query(ProposalEvent).filter_by(proposal_id=proposal.id).one()
        assert (proposal.author_user_id, raised.user_id, raised.actor) == (None, None, "")

    coordinator = page_without_js
    sign_in(coordinator, "coordinator")
    coordinator.goto(f"{server.url}/proposals?unit={server.unit_code}")
    card = coordinator.locator(".nhsuk-card", has_text=title)
    card.get_by_text("Move this proposal").click()
    card.get_by_label("Note", exact=True).first.fill("Buying games; starts next month.")
    with coordinator.expect_navigation():
        card.get_by_role("button", name="Move to amber").click()
    assert "The proposal was moved." in coordinator.locator("main").inner_text()
    with unit_of_work(server.database_url, write=False) as s:
        assert s.query(Proposal).filter_by(title=title).one().state == "amber"

    # The member reads what was done, in the amber column, and who did it.
    member.goto(f"{server.url}/proposals")
    amber = member.locator("section", has=member.locator("#column-amber"))
    moved = amber.locator(".nhsuk-card", has_text=title).inner_text()
    assert "Buying games; starts next month." in moved
    assert "Moved to amber" in moved
    assert server.users["coordinator"].username in moved
    assert_accessible(member)
