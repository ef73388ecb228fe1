"""Moving through Levels 1-3: guards in words, overrides with reasons, pause and exit."""

import pytest


@pytest.fixture
def coordinator(auth):
    return auth("coordinator")


def fire(client, headers, member_id, **body):
    return client.post(f"/api/v1/members/{member_id}/pathway/transitions", json=body,
                       headers=headers)


def test_pathway_lists_the_next_steps_criteria_in_words(client, coordinator, member):
    member_id = member()
    pathway = client.get(f"/api/v1/members/{member_id}/pathway", headers=coordinator).get_json()
    assert pathway["level"] == "level_1"
    assert pathway["next"]["to_level"] == "level_2"
    guards = {g["criterion"]: g for g in pathway["next"]["guards"]}
    assert guards["milestone:buddy_assigned"] == {
        "criterion": "milestone:buddy_assigned", "description": "Action recorded: “Has a buddy”",
        "enforcement": "advisory", "met": False}
    assert all(g["enforcement"] == "advisory" for g in guards.values())


def test_unmet_advisory_guards_refuse_an_advance_and_say_which(client, coordinator, member):
    answer = fire(client, coordinator, member(), trigger="advance")
    assert answer.status_code == 409
    body = answer.get_json()
    assert body["error"] == "guards_unmet"
    assert {u["criterion"] for u in body["unmet"]} == {
        "training:three_levels_awareness", "milestone:buddy_assigned",
        "milestones_at_level:level_1"}


def test_an_override_without_a_reason_waives_nothing(client, coordinator, member):
    answer = fire(client, coordinator, member(), trigger="advance", override=True)
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "guards_unmet"


def test_an_advisory_override_with_a_reason_is_recorded(client, coordinator, member):
    answer = fire(client, coordinator, member(), trigger="advance", override=True,
                  reason="Chairs the community meeting already")
    assert answer.status_code == 201
    event = answer.get_json()["event"]
    assert event["override"] is True
    assert event["reason"] == "Chairs the community meeting already"
    assert {u["criterion"] for u in event["unmet"]} >= {"milestone:buddy_assigned"}
    assert answer.get_json()["pathway"]["level"] == "level_2"


def test_a_required_guard_is_refused_even_with_an_override(client, coordinator, member):
    member_id = member(level="level_2")
    answer = fire(client, coordinator, member_id, trigger="advance", override=True,
                  reason="keen")
    assert answer.status_code == 409
    unmet = {u["criterion"]: u["enforcement"] for u in answer.get_json()["unmet"]}
    assert unmet["training:speaking_out"] == "required"


def test_pause_keeps_the_level_and_resume_restores_it(client, coordinator, member):
    member_id = member(level="level_2")
    paused = fire(client, coordinator, member_id, trigger="pause", reason="readmitted")
    assert paused.get_json()["pathway"] == {**paused.get_json()["pathway"], "level": "level_2",
                                            "status": "paused",
                                            "available_triggers": ["resume", "exit"]}
    level_move = fire(client, coordinator, member_id, trigger="advance")
    assert level_move.status_code == 409
    assert level_move.get_json()["error"] == "invalid_trigger"
    assert "resume" in level_move.get_json()["message"]
    resumed = fire(client, coordinator, member_id, trigger="resume")
    assert resumed.get_json()["pathway"]["level"] == "level_2"
    assert resumed.get_json()["pathway"]["status"] == "active"


def test_exit_needs_a_reason_and_rejoin_starts_again(client, coordinator, member):
    member_id = member(level="level_2")
    refused = fire(client, coordinator, member_id, trigger="exit")
    assert refused.status_code == 409
    assert refused.get_json()["unmet"] == [
        {"criterion": "exit_reason", "enforcement": "required",
         "description": refused.get_json()["unmet"][0]["description"]}]
    left = fire(client, coordinator, member_id, trigger="exit", exit_reason="moved_away",
                feedback="More evening meetings please")
    assert left.status_code == 201
    assert left.get_json()["event"]["exit_reason"] == "moved_away"
    assert left.get_json()["pathway"]["status"] == "exited"
    back = fire(client, coordinator, member_id, trigger="rejoin")
    assert back.get_json()["pathway"]["level"] == "level_1"
    assert back.get_json()["pathway"]["status"] == "active"


def test_an_unknown_exit_reason_is_an_unmet_guard(client, coordinator, member):
    answer = fire(client, coordinator, member(), trigger="exit", exit_reason="bored")
    assert answer.status_code == 409
    assert answer.get_json()["unmet"][0]["criterion"] == "exit_reason"


def test_a_stale_expected_version_is_a_version_conflict(client, coordinator, member):
    member_id = member()
    fire(client, coordinator, member_id, trigger="pause", expected_version=1)
    stale = fire(client, coordinator, member_id, trigger="resume", expected_version=1)
    assert stale.status_code == 409
    assert stale.get_json()["error"] == "version_conflict"


def test_an_idempotent_retry_writes_once(client, coordinator, member):
    member_id = member()
    headers = {**coordinator, "Idempotency-Key": "pause-1"}
    first = fire(client, headers, member_id, trigger="pause")
    again = fire(client, headers, member_id, trigger="pause")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    events = client.get(f"/api/v1/members/{member_id}/events", headers=coordinator).get_json()
    assert events["total"] == 2
    other = fire(client, headers, member_id, trigger="resume")
    assert other.status_code == 409
    assert other.get_json()["error"] == "idempotency_key_reused"


def test_idempotency_keys_are_scoped_to_the_caller(client, auth, member):
    member_id = member()
    first = fire(client, {**auth("coordinator"), "Idempotency-Key": "k"}, member_id,
                 trigger="pause")
    second = fire(client, {**auth("coordinator"), "Idempotency-Key": "k"}, member_id,
                  trigger="pause")
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.get_json()["error"] == "invalid_trigger"


def test_a_backdated_event_keeps_its_effective_date(client, coordinator, member):
    member_id = member()
    answer = fire(client, coordinator, member_id, trigger="pause", on="2026-03-01")
    event = answer.get_json()["event"]
    assert event["effective_at"] == "2026-03-01T00:00:00+00:00"
    assert event["at"] > event["effective_at"]


@pytest.mark.parametrize(("on", "why"), [("2999-01-01", "future"),
                                         ("2025-12-31", "before the member joined")])
def test_effective_dates_cannot_be_in_the_future_or_before_joining(client, coordinator, member,
                                                                    on, why):
    answer = fire(client, coordinator, member(), trigger="pause", on=on)
    assert answer.status_code == 422
    assert why in answer.get_json()["errors"]["on"][0]


def test_an_effective_date_before_the_latest_event_is_refused(client, coordinator, member):
    member_id = member()
    fire(client, coordinator, member_id, trigger="pause", on="2026-03-01")
    answer = fire(client, coordinator, member_id, trigger="resume", on="2026-02-01")
    assert answer.status_code == 422
    assert "latest event" in answer.get_json()["errors"]["on"][0]


def test_an_unknown_trigger_is_named_in_the_error(client, coordinator, member):
    answer = fire(client, coordinator, member(), trigger="teleport")
    assert answer.status_code == 422
    assert "trigger" in answer.get_json()["errors"]


def test_training_leads_cannot_move_the_pathway(client, auth, member):
    assert fire(client, auth("training_lead"), member(), trigger="pause").status_code == 403


def test_a_replayed_answer_is_not_given_to_a_caller_who_lost_scope(client, auth, member, unit):
    member_id = member(unit="cefn-yr-afon")
    unit("ty-draw", "step_down")
    ward_only = {**auth("coordinator", units=["cefn-yr-afon"]), "Idempotency-Key": "p1"}
    assert fire(client, ward_only, member_id, trigger="pause").status_code == 201
    client.post(f"/api/v1/members/{member_id}/transfer", json={"unit": "ty-draw"},
                headers=auth("admin"))
    assert fire(client, ward_only, member_id, trigger="pause").status_code == 404


def test_a_member_outside_the_callers_units_or_absent_is_not_found_and_nothing_moves(
        client, auth, member, unit):
    elsewhere = member(unit=unit("ward-elsewhere"))
    ward_only = auth("coordinator", units=[unit("ward-home")])
    for member_id in (elsewhere, elsewhere + 1000):
        answer = fire(client, ward_only, member_id, trigger="pause")
        assert answer.status_code == 404
        assert answer.get_json()["message"] == f"There is no member with id {member_id}."
    everywhere = auth("coordinator")
    pathway = client.get(f"/api/v1/members/{elsewhere}/pathway", headers=everywhere).get_json()
    assert (pathway["status"], pathway["version"]) == ("active", 1)
