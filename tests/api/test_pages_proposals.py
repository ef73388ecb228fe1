"""The proposals board page through Flask's test client: raise, move with a note, record a
forum's decision, and who sees what."""

from __future__ import annotations

from flask.testing import FlaskClient

from pathway.store.db import unit_of_work
from pathway.store.models import Proposal, ProposalEvent
from tests.api.pages_support import buttons, element_text, field_value, sign_in_as, text


def sign_in_member(client: FlaskClient, db_url: str, member_id: int, name: str) -> None:
    sign_in_as(client, db_url, "member", name=name, member_id=member_id)


def _raise(client: FlaskClient, **fields: str) -> tuple[int, str]:
    page = client.get("/proposals").get_data(as_text=True)
    answer = client.post("/proposals", data={"csrf_token": field_value(page, "csrf_token"),
                                             **fields}, follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def test_a_member_raises_a_proposal_anonymously_and_no_name_is_kept(client, db_url, member):
    sam = member("service_user", "cefn-yr-afon")
    sign_in_member(client, db_url, sam, "Sam Jones")
    page = client.get("/proposals").get_data(as_text=True)
    assert "Raise it anonymously" in page
    assert "No name is stored with it at all" in page
    assert 'href="/proposals"' in page
    assert "Move this proposal" not in page

    status, board = _raise(client, title="Fruit in the lounge", detail="Fresh fruit each day.",
                           unit="cefn-yr-afon", anonymous="yes")
    assert status == 200
    assert "Your proposal is on the board." in text(board)
    raised = element_text(board, "column-raised")
    assert raised.startswith("Raised (1)")
    assert "Raised by Anonymous" in text(board)
    assert "Sam Jones" not in text(board).replace("Sam Jones (member)", "")
    with unit_of_work(db_url, write=False) as s:
        proposal = s.query(Proposal).one()
        assert (proposal.author_user_id, proposal.unit.code) == (None, "cefn-yr-afon")


def test_raising_without_a_title_shows_the_error_summary(client, db_url, member):
    sam = member("service_user", "cefn-yr-afon")
    sign_in_member(client, db_url, sam, "Sam")
    status, page = _raise(client, title="  ", detail="", unit="")
    assert status == 422
    assert 'href="#title"' in page
    assert 'href="#detail"' in page
    assert "Enter a title for your proposal" in text(page)
    with unit_of_work(db_url, write=False) as s:
        assert s.query(Proposal).count() == 0


def test_a_coordinator_moves_a_card_with_a_note_and_records_a_forum_decision(client, db_url,
                                                                           unit):
    unit("cefn-yr-afon")
    sign_in_as(client, db_url, "coordinator", units=["cefn-yr-afon"], name="Carys")
    status, page = _raise(client, title="Garden benches", detail="Somewhere to sit outside.",
                          unit="cefn-yr-afon")
    assert status == 200
    with unit_of_work(db_url, write=False) as s:
        proposal_id = s.query(Proposal.id).scalar()
    # Each button names its card to a screen reader (visually hidden after the label).
    offered = [b for b in buttons(page) if b.endswith(": Garden benches")]
    assert offered == ["Move to red : Garden benches", "Move to amber : Garden benches",
                       "Mark as not adopted : Garden benches",
                       "Record decision : Garden benches"]
    token = field_value(page, "csrf_token")

    no_note = client.post(f"/proposals/{proposal_id}/move", data={
        "csrf_token": token, "trigger": "amber", "note": "", "version": "1"})
    assert no_note.status_code == 422
    assert f'href="#note-{proposal_id}"' in no_note.get_data(as_text=True)

    moved = client.post(f"/proposals/{proposal_id}/move", data={
        "csrf_token": token, "trigger": "amber", "note": "Quotes requested", "version": "1"},
        follow_redirects=True)
    board = moved.get_data(as_text=True)
    assert "Garden benches" in element_text(board, "column-amber") or \
        "Amber (1)" in text(board)
    assert "Moved to amber" in text(board)
    assert '<strong class="nhsuk-tag nhsuk-tag--orange">Amber</strong>' in board
    assert "Quotes requested" in text(board)

    stale = client.post(f"/proposals/{proposal_id}/move", data={
        "csrf_token": token, "trigger": "green", "note": "Done", "version": "1"})
    assert stale.status_code == 409
    assert "has changed since you opened it" in text(stale.get_data(as_text=True))

    decided = client.post(f"/proposals/{proposal_id}/forum-decision", data={
        "csrf_token": token, "forum": "Service user and carer forum", "on": "2026-03-02",
        "decision": "approved", "note": "Go ahead"}, follow_redirects=True)
    assert decided.status_code == 200
    assert "Service user and carer forum: Approved" in text(decided.get_data(as_text=True))

    missing = client.post(f"/proposals/{proposal_id}/forum-decision", data={
        "csrf_token": token, "forum": "", "on": "", "decision": ""})
    assert missing.status_code == 422
    body = missing.get_data(as_text=True)
    for field in ("forum", "on", "decision"):
        assert f'href="#{field}-{proposal_id}"' in body
    with unit_of_work(db_url, write=False) as s:
        assert [e.trigger for e in s.query(ProposalEvent).order_by(ProposalEvent.seq)] == [
            "raise", "amber", "forum_decision"]


def test_a_member_may_not_move_cards_and_sees_only_their_boards(client, db_url, member, unit):
    unit("ty-gwyn")
    sam = member("service_user", "cefn-yr-afon")
    sign_in_as(client, db_url, "admin", name="Admin")
    _raise(client, title="Quiet room", detail="For visits.", unit="ty-gwyn")
    _raise(client, title="Peer line", detail="For the evenings.", unit="")
    with unit_of_work(db_url, write=False) as s:
        quiet = s.query(Proposal.id).filter_by(title="Quiet room").scalar()
    client.post("/sign-out", data={"csrf_token": field_value(
        client.get("/proposals").get_data(as_text=True), "csrf_token")})

    sign_in_member(client, db_url, sam, "Sam")
    board = client.get("/proposals")
    assert "Peer line" in text(board.get_data(as_text=True))
    assert "Quiet room" not in text(board.get_data(as_text=True))
    assert client.get("/proposals?unit=ty-gwyn").status_code == 404
    token = field_value(board.get_data(as_text=True), "csrf_token")
    refused = client.post(f"/proposals/{quiet}/move", data={
        "csrf_token": token, "trigger": "amber", "note": "Sneaky"})
    assert refused.status_code == 404
    status, page = _raise(client, title="Elsewhere", detail="x", unit="ty-gwyn")
    assert status == 422
    assert "Choose one of your units or the whole service" in text(page)
