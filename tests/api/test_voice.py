"""The member's view of a move: given with the move, added afterwards, and counted."""

from __future__ import annotations

API = "/api/v1"


def move(client, headers, member_id, trigger="advance", **body):
    return client.post(f"{API}/members/{member_id}/pathway/transitions", headers=headers,
                       json={"trigger": trigger, "override": True,
                             "reason": "Ready, agreed at review", **body})


def add_view(client, headers, member_id, event_id, **body):
    return client.post(f"{API}/members/{member_id}/events/{event_id}/view", headers=headers,
                       json=body)


def test_a_move_keeps_the_members_view_on_its_event(client, auth, member):
    member_id = member()
    done = move(client, auth("coordinator"), member_id,
                member_view={"agrees": "yes", "words": "I feel ready for this."})
    assert done.status_code == 201
    event = done.get_json()["event"]
    assert event["member_view"] == {"agrees": "yes", "words": "I feel ready for this.",
                                    "why_not_asked": None}
    assert event["refers_to"] is None
    history = client.get(f"{API}/members/{member_id}/events", headers=auth()).get_json()
    assert history["items"][-1]["member_view"]["agrees"] == "yes"


def test_a_move_without_a_view_says_none(client, auth, member):
    event = move(client, auth("coordinator"), member()).get_json()["event"]
    assert event["member_view"] is None


def test_not_asked_needs_a_reason_naming_the_field(client, auth, member):
    member_id = member()
    refused = move(client, auth("coordinator"), member_id,
                   member_view={"agrees": "not_asked"})
    assert refused.status_code == 422
    assert "member_view.why_not_asked" in refused.get_json()["errors"]
    pathway = client.get(f"{API}/members/{member_id}/pathway", headers=auth()).get_json()
    assert pathway["version"] == 1  # nothing written
    kept = move(client, auth("coordinator"), member_id,
                member_view={"agrees": "not_asked", "why_not_asked": "Too unwell today."})
    assert kept.status_code == 201
    assert kept.get_json()["event"]["member_view"]["why_not_asked"] == "Too unwell today."


def test_an_unknown_answer_is_refused(client, auth, member):
    refused = move(client, auth("coordinator"), member(), member_view={"agrees": "maybe"})
    assert refused.status_code == 422
    assert "member_view" in refused.get_json()["errors"]


def test_the_member_adds_their_view_later_without_rewriting_history(client, auth, member):
    member_id = member()
    advanced = move(client, auth("coordinator"), member_id).get_json()["event"]
    own = auth("member", member_id=member_id)
    added = add_view(client, own, member_id, advanced["id"], agrees="no",
                     words="I was not ready.")
    assert added.status_code == 201
    body = added.get_json()
    assert body["event"]["trigger"] == "member_view"
    assert body["event"]["refers_to"] == advanced["id"]
    assert body["event"]["from_state"] == body["event"]["to_state"] == advanced["to_state"]
    assert body["event"]["member_view"] == {"agrees": "no", "words": "I was not ready.",
                                            "why_not_asked": None}
    assert body["pathway"]["level"] == "level_2"
    history = client.get(f"{API}/members/{member_id}/events", headers=own).get_json()["items"]
    original = next(e for e in history if e["id"] == advanced["id"])
    assert original["member_view"] is None  # the move's own event is unchanged
    changed = add_view(client, own, member_id, advanced["id"], agrees="yes")
    assert changed.status_code == 201


def test_a_member_may_not_speak_for_someone_else(client, auth, member):
    mine, theirs = member(), member()
    event = move(client, auth("coordinator"), theirs).get_json()["event"]
    refused = add_view(client, auth("member", member_id=mine), theirs, event["id"],
                       agrees="yes")
    assert refused.status_code == 404


def test_an_event_of_another_member_or_machine_is_not_found(client, auth, member):
    first, second = member(), member()
    theirs = move(client, auth("coordinator"), second).get_json()["event"]
    own = auth("member", member_id=first)
    assert add_view(client, own, first, theirs["id"], agrees="yes").status_code == 404
    assert add_view(client, own, first, 2**31 - 1, agrees="yes").status_code == 404
    milestone = client.post(f"{API}/members/{first}/milestones", headers=auth("coordinator"),
                            json={"code": "buddy_assigned"}).get_json()["event"]
    assert add_view(client, own, first, milestone["id"], agrees="yes").status_code == 404


def test_staff_record_a_view_only_on_the_members_behalf(client, auth, member):
    member_id = member()
    event = move(client, auth("coordinator"), member_id).get_json()["event"]
    refused = add_view(client, auth("coordinator"), member_id, event["id"], agrees="yes")
    assert refused.status_code == 422
    assert "on_behalf" in refused.get_json()["errors"]
    done = add_view(client, auth("coordinator"), member_id, event["id"], agrees="yes",
                    on_behalf=True, words="Said on the phone: happy with it.")
    assert done.status_code == 201
    assert done.get_json()["event"]["member_view"]["on_behalf"] is True
    assert add_view(client, auth("viewer"), member_id, event["id"], agrees="yes",
                    on_behalf=True).status_code == 403
    assert add_view(client, auth("training_lead"), member_id, event["id"], agrees="yes",
                    on_behalf=True).status_code == 403


def test_a_later_view_is_not_asked_is_refused(client, auth, member):
    member_id = member()
    event = move(client, auth("coordinator"), member_id).get_json()["event"]
    refused = add_view(client, auth("member", member_id=member_id), member_id, event["id"],
                       agrees="not_asked")
    assert refused.status_code == 422
    assert "agrees" in refused.get_json()["errors"]


def test_adding_a_view_is_idempotent_with_a_key(client, auth, member):
    member_id = member()
    event = move(client, auth("coordinator"), member_id).get_json()["event"]
    own = auth("member", member_id=member_id)
    own_keyed = {**own, "Idempotency-Key": "view-1"}
    first = add_view(client, own_keyed, member_id, event["id"], agrees="yes")
    again = add_view(client, own_keyed, member_id, event["id"], agrees="yes")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == again.get_json()
    history = client.get(f"{API}/members/{member_id}/events", headers=own).get_json()["items"]
    assert [e["trigger"] for e in history].count("member_view") == 1


def test_the_voice_report_counts_each_moves_latest_view(client, auth, member):
    agreed, changed, unasked, silent = member(), member(), member(), member("carer")
    coordinator = auth("coordinator")
    move(client, coordinator, agreed, member_view={"agrees": "yes"})
    first = move(client, coordinator, changed, member_view={"agrees": "yes"}).get_json()
    add_view(client, auth("member", member_id=changed), changed, first["event"]["id"],
             agrees="no")
    move(client, coordinator, unasked,
         member_view={"agrees": "not_asked", "why_not_asked": "In hospital."})
    move(client, coordinator, silent)
    client.post(f"{API}/members/{agreed}/pathway/transitions", headers=coordinator,
                json={"trigger": "pause", "member_view": {"agrees": "no"}})  # not a level move
    report = client.get(f"{API}/reports/voice", headers=coordinator).get_json()
    rows = {(r["unit"], r["kind"]): r for r in report["rows"]}
    service_users = rows["cefn-yr-afon", "service_user"]
    assert (service_users["yes"], service_users["no"], service_users["not_asked"],
            service_users["none"], service_users["moves"]) == (1, 1, 1, 0, 3)
    assert rows["cefn-yr-afon", "carer"]["none"] == 1
    assert report["totals"]["moves"] == 4
    carers = client.get(f"{API}/reports/voice?kind=carer", headers=coordinator).get_json()
    assert [r["kind"] for r in carers["rows"]] == ["carer"]
    hidden = client.get(f"{API}/reports/voice", headers=auth("viewer")).get_json()  # always
    assert hidden["suppressed"] is True
    assert hidden["rows"][0]["moves"] is None  # 3 is a small number
    csv = client.get(f"{API}/reports/voice?format=csv", headers=auth("viewer"))
    assert csv.status_code == 200
    assert csv.get_data(as_text=True).splitlines()[0] == "unit,kind,yes,no,not_asked,none,moves"
    before = client.get(f"{API}/reports/voice?to=2026-01-01", headers=coordinator).get_json()
    assert before["rows"] == []


def test_the_members_words_are_exported_and_erased(client, auth, member):
    member_id = member()
    event = move(client, auth("coordinator"), member_id,
                 member_view={"agrees": "not_asked", "why_not_asked": "In hospital that week"}
                 ).get_json()["event"]
    own = {**auth("member", member_id=member_id), "Idempotency-Key": "my-view"}
    add_view(client, own, member_id, event["id"], agrees="no", words="Too soon for me.")
    exported = client.get(f"{API}/members/{member_id}/export", headers=auth()).get_json()
    views = [e["member_view"] for e in exported["events"] if e["member_view"]]
    assert {v["words"] for v in views} == {None, "Too soon for me."}
    assert "In hospital that week" in {v["why_not_asked"] for v in views}
    erased = client.post(f"{API}/members/{member_id}/erase", headers=auth(),
                         json={"reason": "Subject request SR-3"})
    assert erased.status_code == 201
    # The move held a reason and words of its own; it is one event cleared, not two.
    assert erased.get_json()["events_cleared"] == 2
    exported = client.get(f"{API}/members/{member_id}/export", headers=auth()).get_json()
    views = [e["member_view"] for e in exported["events"] if e["member_view"]]
    assert sorted(v["agrees"] for v in views) == ["no", "not_asked"]
    assert all(v["words"] is None and v["why_not_asked"] is None for v in views)
    replayed = add_view(client, own, member_id, event["id"], agrees="no", words="Too soon for me.")
    assert replayed.get_json()["event"]["member_view"]["words"] is None
