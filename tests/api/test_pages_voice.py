"""The member's voice on the pages: their view of a move, what they say they did, and staff
confirming or declining it (the browser tests walk the same flows in Chromium)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from pathway.store.db import unit_of_work
from pathway.store.models import AccessRecord, Event
from tests.api.pages_support import element_text, form_data, sign_in_as, text

ADVANCE = "advance"


def sign_in_member(client: FlaskClient, db_url: str, member_id: int) -> None:
    sign_in_as(client, db_url, "member", name=f"member-{member_id}", member_id=member_id)


@pytest.fixture
def someone(member: Callable[..., int]) -> int:
    return member("service_user", reference="SU-0042")


def pathway_events(db_url: str, member_id: int) -> list[Event]:
    with unit_of_work(db_url, write=False) as s:
        events = list(s.scalars(select(Event).where(Event.member_id == member_id,
                                                    Event.machine == "pathway")
                                .order_by(Event.id)))
        s.expunge_all()
        return events


def advance(client: FlaskClient, member_id: int, **fields: str):  # type: ignore[no-untyped-def]
    form = client.get(f"/members/{member_id}/actions/{ADVANCE}").get_data(as_text=True)
    return client.post(f"/members/{member_id}/actions/{ADVANCE}", data=form_data(
        form, override="y", reason="Ready in practice", **fields))


def test_the_action_form_asks_for_the_members_view(client, db_url, someone):
    sign_in_as(client, db_url, "coordinator")
    page = client.get(f"/members/{someone}/actions/{ADVANCE}").get_data(as_text=True)
    assert "Does the member agree?" in page
    for label in ("Yes", "No", "Not asked", "Their words", "Why not asked"):
        assert f">{label}</label>" in page
    refused = advance(client, someone, member_agrees="not_asked")
    assert refused.status_code == 422
    summary = refused.get_data(as_text=True)
    assert '<a href="#why_not_asked">Say why the member was not asked for their view.</a>' in summary
    assert len(pathway_events(db_url, someone)) == 1  # nothing written
    done = advance(client, someone, member_agrees="yes", member_words="I feel ready.")
    assert done.status_code == 302
    moved = pathway_events(db_url, someone)[-1]
    assert moved.member_view == {"agrees": "yes", "words": "I feel ready.",
                                 "why_not_asked": None}
    history = element_text(client.get(f"/members/{someone}").get_data(as_text=True),
                           "history-table")
    assert "Member’s view: Agrees: “I feel ready.”" in history


def test_a_member_adds_their_view_of_a_move_on_me(app, client, db_url, someone):
    staff = app.test_client()
    sign_in_as(staff, db_url, "coordinator")
    assert advance(staff, someone).status_code == 302
    moved = pathway_events(db_url, someone)[-1]
    sign_in_member(client, db_url, someone)
    me = client.get("/me").get_data(as_text=True)
    moves = element_text(me, "my-moves-table")
    assert "Add my view" in moves
    assert "None recorded" in moves
    form = client.get(f"/me/moves/{moved.id}/view").get_data(as_text=True)
    assert "Do you agree with this move?" in form
    missing = client.post(f"/me/moves/{moved.id}/view", data=form_data(form))
    assert missing.status_code == 422
    assert "Choose Yes or No." in text(missing.get_data(as_text=True))
    saved = client.post(f"/me/moves/{moved.id}/view",
                        data=form_data(form, agrees="no", words="It was too soon."))
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/me?done=view#my-moves"
    after = client.get("/me?done=view").get_data(as_text=True)
    assert "Your view has been added to your history." in after
    assert "Does not agree: “It was too soon.”" in element_text(after, "my-moves-table")
    assert "Change my view" in element_text(after, "my-moves-table")
    last = pathway_events(db_url, someone)[-1]
    assert (last.trigger, last.refers_to) == ("member_view", moved.id)
    staff_view = element_text(staff.get(f"/members/{someone}").get_data(as_text=True),
                              "history-table")
    assert "Member’s view: Does not agree: “It was too soon.” – added later" in staff_view


def test_a_member_cannot_open_a_view_form_for_someone_elses_move(client, db_url, member,
                                                                 someone):
    other = member("service_user")
    theirs = pathway_events(db_url, other)[-1]
    sign_in_member(client, db_url, someone)
    assert client.get(f"/me/moves/{theirs.id}/view").status_code == 404


def test_a_member_records_something_they_did_and_staff_confirm_it(app, client, db_url,
                                                                   someone):
    sign_in_member(client, db_url, someone)
    form = client.get("/me/claims").get_data(as_text=True)
    for label in ("Which milestone", "Date it happened", "What happened"):
        assert f">{label}</label>" in form
    missing = client.post("/me/claims", data=form_data(form))
    assert missing.status_code == 422
    assert "Choose the milestone." in text(missing.get_data(as_text=True))
    sent = client.post("/me/claims", data=form_data(
        form, code="buddy_assigned", achieved_on="2026-02-01", evidence="Met Dai on the ward."))
    assert sent.status_code == 302
    me = text(client.get("/me").get_data(as_text=True))
    assert "Has a buddy (1 February 2026): Waiting for confirmation" in me

    staff = app.test_client()
    sign_in_as(staff, db_url, "coordinator")
    page = staff.get(f"/members/{someone}").get_data(as_text=True)
    waiting = element_text(page, "claims-table")
    assert "Has a buddy" in waiting
    assert "Met Dai on the ward." in waiting
    assert "Confirm" in waiting
    assert "Decline" in waiting
    unit_list = staff.get("/units/cefn-yr-afon/claims").get_data(as_text=True)
    assert "SU-0042" in element_text(unit_list, "claims-waiting")
    confirmed = staff.post(f"/members/{someone}/claims/buddy_assigned/confirm",
                           data=form_data(page))
    assert confirmed.status_code == 302
    after = staff.get(f"/members/{someone}?done=claim-confirmed").get_data(as_text=True)
    assert "Claim confirmed" in after
    assert "Confirmed by coordinator-page-user" in text(after)
    assert "Nothing is waiting to be confirmed" in text(
        staff.get("/units/cefn-yr-afon/claims").get_data(as_text=True))
    with unit_of_work(db_url, write=False) as s:
        assert "claims_waiting" in s.scalars(select(AccessRecord.action).where(
            AccessRecord.member_id == someone)).all()


def test_declining_asks_for_a_reason_the_member_then_sees(app, client, db_url, someone):
    sign_in_member(client, db_url, someone)
    form = client.get("/me/claims").get_data(as_text=True)
    client.post("/me/claims", data=form_data(form, code="buddy_assigned"))
    staff = app.test_client()
    sign_in_as(staff, db_url, "coordinator")
    decline = staff.get(f"/members/{someone}/claims/buddy_assigned/decline")
    page = decline.get_data(as_text=True)
    assert ">Reason</label>" in page
    refused = staff.post(f"/members/{someone}/claims/buddy_assigned/decline",
                         data=form_data(page))
    assert refused.status_code == 422
    assert "Enter a reason: the member will see it." in text(refused.get_data(as_text=True))
    declined = staff.post(f"/members/{someone}/claims/buddy_assigned/decline",
                          data=form_data(page, reason="No buddy has been named yet"))
    assert declined.status_code == 302
    me = text(client.get("/me").get_data(as_text=True))
    assert "Not confirmed The reason: No buddy has been named yet. You can record it again." in me
    again = client.get("/me/claims").get_data(as_text=True)
    assert 'value="buddy_assigned"' in again


def test_the_reports_page_counts_moves_by_the_members_view(client, db_url, someone):
    sign_in_as(client, db_url, "coordinator")
    assert advance(client, someone, member_agrees="no").status_code == 302
    page = client.get("/reports?report=voice").get_data(as_text=True)
    table = element_text(page, "report-table")
    assert "Agrees Does not agree Not asked No view All moves" in table
    assert "cefn-yr-afon Service user 0 1 0 0 1" in table
    csv = client.get("/reports/voice.csv")
    assert csv.status_code == 200
    assert csv.get_data(as_text=True).splitlines()[1] == "cefn-yr-afon,service_user,0,1,0,0,1"


def test_a_move_that_needs_the_members_agreement_asks_for_it_on_the_form(db_url, member,
                                                                         tmp_path):
    """A board's definition may want the member's agreement (here: required for a carer's
    first advance); the form asks for it rather than listing it as a criterion."""
    import shutil

    import workflows
    from api import create_app

    folder = tmp_path / "definitions"
    shutil.copytree(workflows.DEFAULT_FOLDER, folder)
    carer_file = folder / "pathway-carer.yaml"
    first_guard = "      - {training: three_levels_awareness, enforcement: advisory}\n"
    carer_file.write_text(carer_file.read_text(encoding="utf-8").replace(
        first_guard, "      - {member_agrees: true, enforcement: required}\n" + first_guard, 1),
        encoding="utf-8")
    client = create_app({"DATABASE_URL": db_url, "TESTING": True,
                         "PATHWAY_WORKFLOWS": str(folder)}).test_client()
    sign_in_as(client, db_url, "coordinator")
    carer = member("carer", reference="CA-0007")
    page = client.get(f"/members/{carer}/actions/{ADVANCE}").get_data(as_text=True)
    assert "This move needs CA-0007’s agreement." in page
    assert "The member agrees with this move" not in text(page)  # not listed as a criterion
    refused = advance(client, carer, member_agrees="no")
    assert refused.status_code == 422
    assert "This move needs the member’s agreement" in text(refused.get_data(as_text=True))
    assert len(pathway_events(db_url, carer)) == 1
    agreed = advance(client, carer, member_agrees="yes", member_words="Yes, I'm ready.")
    assert agreed.status_code == 302
    assert pathway_events(db_url, carer)[-1].trigger == ADVANCE
