"""Evidence the member records themselves: a claim, confirmed or declined by staff."""

from __future__ import annotations

API = "/api/v1"
CODE = "buddy_assigned"


def claim(client, headers, member_id, code=CODE, **body):
    return client.post(f"{API}/members/{member_id}/milestones/claims", headers=headers,
                       json={"code": code, **body})


def decide(client, headers, member_id, what, code=CODE, **body):
    return client.post(f"{API}/members/{member_id}/milestones/{code}/{what}", headers=headers,
                       json=body)


def item(client, headers, member_id, code=CODE):
    items = client.get(f"{API}/members/{member_id}/milestones?page_size=500",
                       headers=headers).get_json()["items"]
    return next(m for m in items if m["code"] == code)


def test_a_claim_counts_for_nothing_until_confirmed(client, auth, member):
    member_id = member()
    own = auth("member", member_id=member_id)
    made = claim(client, own, member_id, achieved_on="2026-02-01",
                 evidence="Dai showed me round on my first day.")
    assert made.status_code == 201
    body = made.get_json()
    assert (body["event"]["trigger"], body["event"]["to_state"]) == ("claim", "claimed")
    assert body["milestone"]["state"] == "claimed"
    assert body["milestone"]["achieved"] is False
    assert body["milestone"]["claim"] == {"on": "2026-02-01",
                                          "evidence": "Dai showed me round on my first day."}
    pathway = client.get(f"{API}/members/{member_id}/pathway", headers=own).get_json()
    criteria = {g["criterion"]: g["met"] for g in pathway["next"]["guards"]}
    assert not any(met for name, met in criteria.items() if CODE in name)

    confirmed = decide(client, auth("coordinator", name="Sian Coordinator"), member_id,
                       "confirm")
    assert confirmed.status_code == 201
    shown = confirmed.get_json()["milestone"]
    assert (shown["state"], shown["achieved"], shown["achieved_on"]) == (
        "achieved", True, "2026-02-01")
    assert shown["evidence"] == "Dai showed me round on my first day."
    assert shown["confirmed_by"] == "Sian Coordinator"
    assert item(client, own, member_id)["confirmed_by"] == "Sian Coordinator"


def test_a_declined_claim_shows_the_reason_and_may_be_made_again(client, auth, member):
    member_id = member()
    own = auth("member", member_id=member_id)
    claim(client, own, member_id, evidence="I think so.")
    refused = decide(client, auth("coordinator"), member_id, "decline")
    assert refused.status_code == 422
    assert "reason" in refused.get_json()["errors"]
    declined = decide(client, auth("coordinator"), member_id, "decline",
                      reason="No buddy has been named yet: ask at the next review.")
    assert declined.status_code == 201
    seen = item(client, own, member_id)
    assert (seen["state"], seen["achieved"]) == ("declined", False)
    assert seen["declined_reason"] == "No buddy has been named yet: ask at the next review."
    again = claim(client, own, member_id, evidence="Matched with Dai now.")
    assert again.status_code == 201
    assert item(client, own, member_id)["state"] == "claimed"


def test_only_the_member_claims_and_only_for_themself(client, auth, member):
    mine, theirs = member(), member()
    assert claim(client, auth("member", member_id=mine), theirs).status_code == 404
    assert claim(client, auth("coordinator"), mine).status_code == 403
    assert claim(client, auth("admin"), mine).status_code == 403


def test_only_staff_confirm_or_decline(client, auth, member):
    member_id = member()
    own = auth("member", member_id=member_id)
    claim(client, own, member_id)
    assert decide(client, own, member_id, "confirm").status_code == 403
    assert decide(client, own, member_id, "decline", reason="no").status_code == 403
    assert decide(client, auth("training_lead"), member_id, "confirm").status_code == 403
    assert decide(client, auth("viewer"), member_id, "confirm").status_code == 403
    assert decide(client, auth("admin"), member_id, "confirm").status_code == 201


def test_claiming_what_is_achieved_or_waiting_is_a_conflict(client, auth, member):
    member_id = member()
    own = auth("member", member_id=member_id)
    assert claim(client, own, member_id).status_code == 201
    twice = claim(client, own, member_id)
    assert (twice.status_code, twice.get_json()["error"]) == (409, "invalid_trigger")
    nothing = decide(client, auth("coordinator"), member_id, "confirm", code="peer_group_joined")
    assert nothing.status_code in (404, 409)


def test_a_claim_of_no_catalogue_or_another_kinds_is_refused(client, auth, member):
    carer = member("carer")
    own = auth("member", member_id=carer)
    unknown = claim(client, own, carer, code="flying_solo")
    assert unknown.status_code == 422
    other = claim(client, own, carer, code=CODE)
    assert (other.status_code, other.get_json()["error"]) == (409, "not_applicable")


def test_a_claim_in_the_future_is_refused(client, auth, member):
    member_id = member()
    refused = claim(client, auth("member", member_id=member_id), member_id,
                    achieved_on="2999-01-01")
    assert refused.status_code == 422
    assert "achieved_on" in refused.get_json()["errors"]


def test_every_item_says_its_state(client, auth, member):
    member_id = member()
    first = item(client, auth(), member_id)
    assert (first["state"], first["claim"], first["declined_reason"], first["confirmed_by"]) == (
        "not_achieved", None, None, None)
