"""The proposals board through the API: "you said, we did", Red / Amber / Green."""

from __future__ import annotations

from typing import Any

from pathway.ops import integrity
from pathway.store.db import unit_of_work
from pathway.store.models import Proposal, ProposalEvent

V1 = "/api/v1"


def _raise(client: Any, headers: dict[str, str], **body: Any) -> Any:
    payload = {"unit": "cefn-yr-afon", "title": "Later breakfast at weekends",
               "detail": "Breakfast at 8 is early for people on evening medication.",
               "anonymous": False, **body}
    return client.post(f"{V1}/proposals", json=payload, headers=headers)


def test_a_member_raises_a_proposal_and_a_coordinator_moves_it_to_green(client, member, auth,
                                                                        unit):
    unit("cefn-yr-afon")
    sam = member("service_user", "cefn-yr-afon")
    as_member = auth("member", member_id=sam, name="Sam")
    as_coordinator = auth("coordinator", units=["cefn-yr-afon"], name="Carys")

    raised = _raise(client, as_member)
    assert raised.status_code == 201, raised.get_json()
    card = raised.get_json()
    assert (card["state"], card["unit"], card["raised_by"], card["version"]) == (
        "raised", "cefn-yr-afon", "Sam", 1)
    assert card["triggers"] == ["red", "amber", "not_adopted"]
    assert [e["trigger"] for e in card["history"]] == ["raise"]

    url = f"{V1}/proposals/{card['id']}/transitions"
    amber = client.post(url, json={"trigger": "amber", "note": "Talking to the kitchen team",
                                   "expected_version": 1}, headers=as_coordinator)
    assert amber.status_code == 201, amber.get_json()
    assert amber.get_json()["event"]["to_state"] == "amber"
    green = client.post(url, json={"trigger": "green",
                                   "note": "Weekend breakfast now runs until 10."},
                        headers=as_coordinator)
    body = green.get_json()
    assert green.status_code == 201
    assert (body["proposal"]["state"], body["proposal"]["version"]) == ("green", 3)
    assert [(e["trigger"], e["from_state"], e["to_state"], e["actor"])
            for e in body["proposal"]["history"]] == [
        ("raise", None, "raised", "Sam"), ("amber", "raised", "amber", "Carys"),
        ("green", "amber", "green", "Carys")]
    assert body["proposal"]["history"][-1]["note"] == "Weekend breakfast now runs until 10."


def test_an_anonymous_proposal_stores_no_author_at_all(client, member, auth, db_url):
    sam = member("service_user", "cefn-yr-afon")
    raised = _raise(client, auth("member", member_id=sam, name="Sam"), anonymous=True)
    card = raised.get_json()
    assert raised.status_code == 201
    assert (card["anonymous"], card["raised_by"], card["history"][0]["actor"]) == (
        True, None, None)
    with unit_of_work(db_url, write=False) as s:
        row = s.get(Proposal, card["id"])
        event = s.query(ProposalEvent).filter_by(proposal_id=card["id"]).one()
        assert (row.author_user_id, event.user_id, event.actor) == (None, None, "")


def test_every_move_needs_a_note_and_follows_the_lifecycle(client, member, auth):
    sam = member("service_user", "cefn-yr-afon")
    card = _raise(client, auth("member", member_id=sam)).get_json()
    url = f"{V1}/proposals/{card['id']}/transitions"
    admin = auth("admin")

    no_note = client.post(url, json={"trigger": "red"}, headers=admin)
    assert no_note.status_code == 422
    assert "note" in no_note.get_json()["errors"]
    blank = client.post(url, json={"trigger": "red", "note": "   "}, headers=admin)
    assert blank.status_code == 422
    assert "note" in blank.get_json()["errors"]

    too_soon = client.post(url, json={"trigger": "green", "note": "Done"}, headers=admin)
    assert too_soon.status_code == 409
    assert too_soon.get_json()["error"] == "invalid_trigger"
    assert too_soon.get_json()["allowed"] == ["red", "amber", "not_adopted"]

    unknown = client.post(url, json={"trigger": "purple", "note": "?"}, headers=admin)
    assert unknown.status_code == 422
    assert "trigger" in unknown.get_json()["errors"]

    stale = client.post(url, json={"trigger": "red", "note": "Not this year",
                                   "expected_version": 7}, headers=admin)
    assert stale.status_code == 409
    assert stale.get_json()["error"] == "version_conflict"

    no = client.post(url, json={"trigger": "not_adopted",
                                "note": "The kitchen contract fixes the hours."},
                     headers=admin)
    assert no.status_code == 201
    assert no.get_json()["proposal"]["triggers"] == []
    again = client.post(url, json={"trigger": "amber", "note": "Try again"}, headers=admin)
    assert again.status_code == 409
    assert again.get_json()["error"] == "invalid_trigger"


def test_a_forum_decision_is_kept_on_the_card_without_changing_its_state(client, member, auth):
    sam = member("service_user", "cefn-yr-afon")
    card = _raise(client, auth("member", member_id=sam)).get_json()
    admin = auth("admin")
    decided = client.post(f"{V1}/proposals/{card['id']}/forum-decision", json={
        "forum": "Service user and carer forum", "on": "2026-03-02", "decision": "approved",
        "note": "Approved with a review in three months."}, headers=admin)
    assert decided.status_code == 201, decided.get_json()
    body = decided.get_json()
    assert (body["proposal"]["state"], body["proposal"]["version"]) == ("raised", 2)
    assert {k: body["event"][k] for k in ("trigger", "forum", "on", "decision")} == {
        "trigger": "forum_decision", "forum": "Service user and carer forum",
        "on": "2026-03-02", "decision": "approved"}

    bad = client.post(f"{V1}/proposals/{card['id']}/forum-decision", json={
        "forum": "", "on": "2999-01-01", "decision": "maybe"}, headers=admin)
    assert bad.status_code == 422
    assert {"forum", "decision"} <= set(bad.get_json()["errors"])
    future = client.post(f"{V1}/proposals/{card['id']}/forum-decision", json={
        "forum": "Carers' forum", "on": "2100-01-01", "decision": "rejected"}, headers=admin)
    assert future.status_code == 422
    assert "on" in future.get_json()["errors"]


def test_the_board_is_scoped_newest_change_first_and_filtered(client, member, auth, unit):
    unit("cefn-yr-afon")
    unit("ty-gwyn")
    sam = member("service_user", "cefn-yr-afon")
    admin = auth("admin")
    first = _raise(client, admin, title="Garden benches").get_json()
    other = _raise(client, admin, unit="ty-gwyn", title="Quiet room").get_json()
    service = _raise(client, admin, unit=None, title="Peer support line").get_json()
    client.post(f"{V1}/proposals/{first['id']}/transitions",
                json={"trigger": "amber", "note": "Quotes requested"}, headers=admin)

    everything = client.get(f"{V1}/proposals", headers=admin).get_json()
    assert [p["title"] for p in everything["items"]] == [
        "Garden benches", "Peer support line", "Quiet room"]
    assert everything["total"] == 3

    as_member = auth("member", member_id=sam)
    seen = client.get(f"{V1}/proposals", headers=as_member).get_json()
    assert {p["title"] for p in seen["items"]} == {"Garden benches", "Peer support line"}
    assert client.get(f"{V1}/proposals/{other['id']}", headers=as_member).status_code == 404
    assert client.get(f"{V1}/proposals/{service['id']}", headers=as_member).status_code == 200
    assert client.get(f"{V1}/proposals?unit=ty-gwyn", headers=as_member).status_code == 404

    coordinator = auth("coordinator", units=["ty-gwyn"])
    ty_gwyn = client.get(f"{V1}/proposals?unit=ty-gwyn", headers=coordinator).get_json()
    assert [p["title"] for p in ty_gwyn["items"]] == ["Peer support line", "Quiet room"]
    amber = client.get(f"{V1}/proposals?state=amber", headers=admin).get_json()
    assert [p["title"] for p in amber["items"]] == ["Garden benches"]
    assert client.get(f"{V1}/proposals?state=purple", headers=admin).status_code == 422
    assert client.post(f"{V1}/proposals/{first['id']}/transitions",
                       json={"trigger": "green", "note": "Done"},
                       headers=coordinator).status_code == 404
    paged = client.get(f"{V1}/proposals?page_size=1&page=2", headers=admin).get_json()
    assert (paged["total"], [p["title"] for p in paged["items"]]) == (3, ["Peer support line"])


def test_a_member_raises_only_for_their_own_unit_or_the_whole_service(client, member, auth,
                                                                       unit):
    unit("ty-gwyn")
    sam = member("service_user", "cefn-yr-afon")
    as_member = auth("member", member_id=sam)
    assert _raise(client, as_member, unit="ty-gwyn").status_code == 404
    assert _raise(client, as_member, unit="nowhere").status_code == 404
    assert _raise(client, as_member, unit=None).status_code == 201
    missing = client.post(f"{V1}/proposals", json={"unit": None}, headers=as_member)
    assert missing.status_code == 422
    assert {"title", "detail"} <= set(missing.get_json()["errors"])


def test_a_repeated_raise_with_the_same_key_writes_once(client, member, auth, db_url):
    sam = member("service_user", "cefn-yr-afon")
    headers = {**auth("member", member_id=sam), "Idempotency-Key": "raise-1"}
    first, second = _raise(client, headers), _raise(client, headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["id"] == second.get_json()["id"]
    with unit_of_work(db_url, write=False) as s:
        assert s.query(Proposal).count() == 1


def test_export_and_erasure_cover_proposals_raised_under_the_members_name(client, member,
                                                                           auth, db_url,
                                                                           catalogue):
    sam = member("service_user", "cefn-yr-afon")
    as_member = auth("member", member_id=sam, name="Sam")
    named = _raise(client, as_member, title="Music night").get_json()
    _raise(client, as_member, title="Anonymous worry", anonymous=True)
    admin = auth("admin")
    client.post(f"{V1}/proposals/{named['id']}/transitions",
                json={"trigger": "amber", "note": "Asking the music therapist"},
                headers={**admin, "Idempotency-Key": "move-1"})

    exported = client.get(f"{V1}/members/{sam}/export", headers=as_member).get_json()
    assert [(p["title"], p["state"]) for p in exported["proposals"]] == [("Music night", "amber")]

    erased = client.post(f"{V1}/members/{sam}/erase", json={"reason": "Subject request"},
                         headers=admin)
    assert erased.status_code == 201
    card = client.get(f"{V1}/proposals/{named['id']}", headers=admin).get_json()
    assert (card["title"], card["detail"], card["state"]) == ("[erased]", "[erased]", "amber")
    assert card["raised_by"] == "erased member"
    assert card["history"][0]["actor"] == "erased member"
    replay = client.post(f"{V1}/proposals/{named['id']}/transitions",
                         json={"trigger": "amber", "note": "Asking the music therapist"},
                         headers={**admin, "Idempotency-Key": "move-1"})
    assert replay.get_json()["proposal"]["title"] == "[erased]"
    titles = {p["title"] for p in client.get(f"{V1}/proposals", headers=admin).get_json()["items"]}
    assert titles == {"[erased]", "Anonymous worry"}
    with unit_of_work(db_url, write=False) as s:
        assert integrity.check(s, catalogue).proposals == []


def test_while_an_erasure_holds_a_proposal_under_the_members_name_is_refused(client, member,
                                                                            auth):
    sam = member("service_user", "cefn-yr-afon")
    as_member = auth("member", member_id=sam, name="Sam")
    admin = auth("admin")
    assert client.post(f"{V1}/members/{sam}/erase", json={"reason": "SR-9"},
                       headers=admin).status_code == 201
    named = _raise(client, as_member)
    assert named.status_code == 409
    assert named.get_json()["error"] == "erased"
    assert _raise(client, as_member, anonymous=True).status_code == 201
