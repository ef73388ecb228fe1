"""The training programme and a member's modules, through the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

API = "/api/v1"
LONG_AGO = date(2023, 1, 2)


def move(client, headers, member_id, module, trigger, **body):
    return client.post(f"{API}/members/{member_id}/training/{module}/transitions",
                       headers=headers, json={"trigger": trigger, **body})


def module_state(client, headers, member_id, module):
    response = client.get(f"{API}/members/{member_id}/training/{module}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def complete_backdated(client, headers, member_id, module, enrolled_on, completed_on):
    assert move(client, headers, member_id, module, "enrol",
                on=enrolled_on.isoformat()).status_code == 201
    assert move(client, headers, member_id, module, "complete",
                on=completed_on.isoformat()).status_code == 201


def test_programme_lists_every_module_with_its_validity(client, auth):
    body = client.get(f"{API}/training/modules", headers=auth("viewer")).get_json()
    assert body["total"] == len(body["items"]) >= 6
    refresher = next(m for m in body["items"] if m["code"] == "three_levels_awareness")
    assert refresher == {"code": "three_levels_awareness", "level": "level_1",
                         "valid_for_days": 730, "title": refresher["title"],
                         "description": refresher["description"]}
    assert any(m["valid_for_days"] is None for m in body["items"])


def test_programme_is_paginated_even_though_it_is_small(client, auth):
    body = client.get(f"{API}/training/modules?page=2&page_size=3", headers=auth()).get_json()
    assert (body["page"], body["page_size"], len(body["items"])) == (2, 3, 3)
    assert body["total"] >= 6


def test_new_member_has_not_started_any_module(client, auth, member):
    member_id = member()
    body = client.get(f"{API}/members/{member_id}/training", headers=auth()).get_json()
    assert {m["state"] for m in body["items"]} == {"not_started"}
    first = body["items"][0]
    assert (first["completed_on"], first["expires_on"], first["version"]) == (None, None, 0)
    assert first["available_triggers"] == ["enrol"]


def test_completing_a_refresher_module_shows_when_it_expires(client, auth, member):
    member_id, headers = member(), auth("training_lead")
    assert move(client, headers, member_id, "three_levels_awareness", "enrol").status_code == 201
    done = move(client, headers, member_id, "three_levels_awareness", "complete")
    assert done.status_code == 201
    body = done.get_json()
    assert body["event"]["machine"] == "training:three_levels_awareness"
    assert (body["event"]["trigger"], body["event"]["from_state"], body["event"]["to_state"]) == (
        "complete", "enrolled", "completed")
    today = date.fromisoformat(body["training"]["completed_on"])
    assert body["training"]["state"] == "completed"
    assert body["training"]["expires_on"] == (today + timedelta(days=730)).isoformat()
    assert body["training"]["version"] == 2


def test_module_without_validity_never_expires(client, auth, member):
    member_id, headers = member(joined_on=LONG_AGO), auth("coordinator")
    complete_backdated(client, headers, member_id, "getting_involved", date(2023, 2, 1),
                       date(2023, 3, 1))
    shown = module_state(client, headers, member_id, "getting_involved")
    assert (shown["state"], shown["completed_on"], shown["expires_on"]) == (
        "completed", "2023-03-01", None)


def test_backdated_completion_past_its_validity_reads_expired(client, auth, member):
    member_id, headers = member(joined_on=LONG_AGO), auth("training_lead")
    complete_backdated(client, headers, member_id, "three_levels_awareness", date(2023, 2, 1),
                       date(2023, 3, 1))
    shown = module_state(client, headers, member_id, "three_levels_awareness")
    assert shown["state"] == "expired"
    assert (shown["completed_on"], shown["expires_on"]) == ("2023-03-01", "2025-02-28")
    assert shown["available_triggers"] == ["reenrol"]


def test_expired_completion_reads_unmet_on_the_pathway_guard(client, auth, member):
    member_id, headers = member(joined_on=LONG_AGO), auth("coordinator")
    complete_backdated(client, headers, member_id, "three_levels_awareness", date(2023, 2, 1),
                       date(2023, 3, 1))
    guards = client.get(f"{API}/members/{member_id}/pathway",
                        headers=headers).get_json()["next"]["guards"]
    training = next(g for g in guards if g["criterion"] == "training:three_levels_awareness")
    assert training["met"] is False
    assert "expired on 2025-02-28: a refresher is due" in training["description"]


def test_reenrolling_after_expiry_and_completing_counts_again(client, auth, member):
    member_id, headers = member(joined_on=LONG_AGO), auth("training_lead")
    complete_backdated(client, headers, member_id, "three_levels_awareness", date(2023, 2, 1),
                       date(2023, 3, 1))
    assert move(client, headers, member_id, "three_levels_awareness", "reenrol",
                reason="Refresher due").get_json()["training"]["state"] == "enrolled"
    again = move(client, headers, member_id, "three_levels_awareness", "complete").get_json()
    assert again["training"]["state"] == "completed"
    guards = client.get(f"{API}/members/{member_id}/pathway",
                        headers=auth()).get_json()["next"]["guards"]
    assert next(g for g in guards
                if g["criterion"] == "training:three_levels_awareness")["met"] is True


def test_withdrawing_then_reenrolling_is_allowed(client, auth, member):
    member_id, headers = member(), auth("coordinator")
    move(client, headers, member_id, "speaking_out", "enrol")
    withdrawn = move(client, headers, member_id, "speaking_out", "withdraw", reason="Unwell")
    assert withdrawn.get_json()["training"]["state"] == "withdrawn"
    assert withdrawn.get_json()["event"]["reason"] == "Unwell"
    assert move(client, headers, member_id, "speaking_out",
                "reenrol").get_json()["training"]["state"] == "enrolled"


def test_trigger_not_allowed_now_is_an_invalid_trigger(client, auth, member):
    member_id = member()
    refused = move(client, auth(), member_id, "speaking_out", "complete")
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "invalid_trigger"
    assert "not_started" in body["message"]
    assert "enrol" in body["message"]


def test_unknown_trigger_is_refused_naming_the_field(client, auth, member):
    refused = move(client, auth(), member(), "speaking_out", "graduate")
    assert refused.status_code == 422
    assert "trigger" in refused.get_json()["errors"]


def test_unknown_module_is_not_found(client, auth, member):
    member_id = member()
    assert move(client, auth(), member_id, "juggling", "enrol").status_code == 404
    assert client.get(f"{API}/members/{member_id}/training/juggling",
                      headers=auth()).status_code == 404


def test_completion_in_the_future_is_refused_naming_on(client, auth, member):
    member_id, headers = member(), auth()
    move(client, headers, member_id, "speaking_out", "enrol")
    refused = move(client, headers, member_id, "speaking_out", "complete",
                   on=(date.today() + timedelta(days=30)).isoformat())
    assert refused.status_code == 422
    assert "on" in refused.get_json()["errors"]


def test_stale_expected_version_is_a_version_conflict(client, auth, member):
    member_id, headers = member(), auth()
    move(client, headers, member_id, "speaking_out", "enrol", expected_version=0)
    stale = move(client, headers, member_id, "speaking_out", "complete", expected_version=0)
    assert stale.status_code == 409
    assert stale.get_json()["error"] == "version_conflict"
    assert move(client, headers, member_id, "speaking_out", "complete",
                expected_version=1).status_code == 201


def test_idempotent_retry_writes_once_and_answers_the_same(client, auth, member):
    member_id = member()
    headers = {**auth("training_lead"), "Idempotency-Key": "enrol-speaking-out-1"}
    first = move(client, headers, member_id, "speaking_out", "enrol")
    again = move(client, headers, member_id, "speaking_out", "enrol")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    events = client.get(f"{API}/members/{member_id}/events", headers=headers).get_json()
    assert [e["trigger"] for e in events["items"]
            if e["machine"] == "training:speaking_out"] == ["enrol"]


def test_same_idempotency_key_with_another_body_is_refused(client, auth, member):
    member_id = member()
    headers = {**auth(), "Idempotency-Key": "k-1"}
    move(client, headers, member_id, "speaking_out", "enrol")
    reused = move(client, headers, member_id, "chairing_meetings", "enrol")
    assert reused.status_code == 409
    assert reused.get_json()["error"] == "idempotency_key_reused"


def test_member_sees_their_own_training_but_cannot_record_it(client, auth, member):
    member_id = member()
    own = auth("member", member_id=member_id)
    assert client.get(f"{API}/members/{member_id}/training", headers=own).status_code == 200
    assert move(client, own, member_id, "speaking_out", "enrol").status_code == 403
    other = member()
    assert client.get(f"{API}/members/{other}/training", headers=own).status_code == 404


@pytest.mark.parametrize("role", ["viewer"])
def test_viewer_may_not_read_a_members_training(client, auth, member, role):
    assert client.get(f"{API}/members/{member()}/training",
                      headers=auth(role)).status_code == 403


def test_out_of_scope_member_answers_not_found(client, auth, member, unit):
    unit("elsewhere")
    member_id = member(unit="cefn-yr-afon")
    lead = auth("training_lead", units=["elsewhere"])
    assert client.get(f"{API}/members/{member_id}/training", headers=lead).status_code == 404
    assert move(client, lead, member_id, "speaking_out", "enrol").status_code == 404


def test_reenrolling_for_the_refresher_keeps_a_completion_in_date(client, auth, member):
    member_id, headers = member(joined_on=date(2026, 1, 5)), auth("training_lead")
    complete_backdated(client, headers, member_id, "three_levels_awareness", date(2026, 2, 1),
                       date(2026, 2, 10))
    reenrolled = move(client, headers, member_id, "three_levels_awareness", "reenrol",
                      reason="Refresher booked early").get_json()["training"]
    assert (reenrolled["state"], reenrolled["completed_on"], reenrolled["expires_on"]) == (
        "enrolled", "2026-02-10", "2028-02-10")
    assert reenrolled["available_triggers"] == ["complete", "withdraw"]
    listed = next(m for m in client.get(f"{API}/members/{member_id}/training",
                                        headers=headers).get_json()["items"]
                  if m["code"] == "three_levels_awareness")
    assert listed == reenrolled
    guards = client.get(f"{API}/members/{member_id}/pathway",
                        headers=auth()).get_json()["next"]["guards"]
    assert next(g for g in guards
                if g["criterion"] == "training:three_levels_awareness")["met"] is True


def test_withdrawing_from_the_refresher_keeps_the_last_completion(client, auth, member):
    member_id, headers = member(joined_on=date(2026, 1, 5)), auth("coordinator")
    complete_backdated(client, headers, member_id, "three_levels_awareness", date(2026, 2, 1),
                       date(2026, 2, 10))
    move(client, headers, member_id, "three_levels_awareness", "reenrol")
    move(client, headers, member_id, "three_levels_awareness", "withdraw", reason="Unwell")
    shown = module_state(client, headers, member_id, "three_levels_awareness")
    assert (shown["state"], shown["completed_on"], shown["expires_on"]) == (
        "withdrawn", "2026-02-10", "2028-02-10")


def test_reenrolling_after_expiry_shows_enrolled_and_the_expired_completion(client, auth,
                                                                            member):
    member_id, headers = member(joined_on=LONG_AGO), auth("training_lead")
    complete_backdated(client, headers, member_id, "three_levels_awareness", date(2023, 2, 1),
                       date(2023, 3, 1))
    move(client, headers, member_id, "three_levels_awareness", "reenrol")
    shown = module_state(client, headers, member_id, "three_levels_awareness")
    assert (shown["state"], shown["completed_on"], shown["expires_on"]) == (
        "enrolled", "2023-03-01", "2025-02-28")
    guards = client.get(f"{API}/members/{member_id}/pathway",
                        headers=auth()).get_json()["next"]["guards"]
    training = next(g for g in guards if g["criterion"] == "training:three_levels_awareness")
    assert training["met"] is False
    assert "expired on 2025-02-28: a refresher is due" in training["description"]
