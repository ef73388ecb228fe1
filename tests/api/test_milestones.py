"""Recording what a member achieved at each level, through the API."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import workflows

API = "/api/v1"


def record(client, headers, member_id, code, **body):
    return client.post(f"{API}/members/{member_id}/milestones", headers=headers,
                       json={"code": code, **body})


def retract(client, headers, member_id, code, **body):
    return client.post(f"{API}/members/{member_id}/milestones/{code}/retract", headers=headers,
                       json=body)


def milestones(client, headers, member_id, query=""):
    response = client.get(f"{API}/members/{member_id}/milestones{query}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def test_catalogue_is_the_one_for_the_members_kind(client, auth, member):
    body = milestones(client, auth(), member("carer"), "?page_size=500")
    codes = [m["code"] for m in body["items"]]
    assert codes[0] == "welcome_meeting_offered"
    assert "buddy_assigned" not in codes
    assert body["total"] == len(codes)
    first = body["items"][0]
    assert first == {"code": "welcome_meeting_offered", "level": "level_1",
                     "title": "Was welcomed",
                     "description": "Was offered a family liaison or welcome meeting.",
                     "achieved": False, "achieved_on": None, "evidence": None, "version": 0,
                     "state": "not_achieved", "claim": None, "declined_reason": None,
                     "confirmed_by": None}


def test_catalogue_can_be_read_one_level_at_a_time_and_in_pages(client, auth, member):
    member_id = member()
    level_3 = milestones(client, auth(), member_id, "?level=level_3")
    assert {m["level"] for m in level_3["items"]} == {"level_3"}
    paged = milestones(client, auth(), member_id, "?page=2&page_size=5&level=")
    assert (paged["page"], paged["page_size"], len(paged["items"])) == (2, 5, 5)
    assert paged["total"] == milestones(client, auth(), member_id)["total"]


def test_recording_a_milestone_keeps_its_date_and_evidence(client, auth, member):
    member_id = member()
    done = record(client, auth("coordinator"), member_id, "buddy_assigned",
                  achieved_on="2026-02-01", evidence="Matched with Dai on arrival.")
    assert done.status_code == 201
    body = done.get_json()
    assert body["event"]["machine"] == "milestone:buddy_assigned"
    assert (body["event"]["trigger"], body["event"]["from_state"], body["event"]["to_state"]) == (
        "achieve", "not_achieved", "achieved")
    assert body["event"]["note"] == "Matched with Dai on arrival."
    assert body["event"]["effective_at"].startswith("2026-02-01")
    assert body["milestone"]["achieved"] is True
    listed = next(m for m in milestones(client, auth(), member_id)["items"]
                  if m["code"] == "buddy_assigned")
    assert (listed["achieved"], listed["achieved_on"], listed["evidence"], listed["version"]) == (
        True, "2026-02-01", "Matched with Dai on arrival.", 1)


def test_a_code_in_no_catalogue_is_refused_naming_the_field(client, auth, member):
    refused = record(client, auth(), member(), "learnt_to_fly")
    assert refused.status_code == 422
    assert "code" in refused.get_json()["errors"]


def test_a_code_of_another_kinds_catalogue_is_not_applicable(client, auth, member):
    refused = record(client, auth(), member("staff"), "buddy_assigned")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "not_applicable"


def test_recording_one_already_achieved_is_an_invalid_trigger(client, auth, member):
    member_id = member()
    assert record(client, auth(), member_id, "advocate_met").status_code == 201
    again = record(client, auth(), member_id, "advocate_met")
    assert again.status_code == 409
    assert again.get_json()["error"] == "invalid_trigger"


def test_achieved_on_in_the_future_or_before_joining_is_refused(client, auth, member):
    member_id = member(joined_on=date(2026, 1, 5))
    future = record(client, auth(), member_id, "advocate_met",
                    achieved_on=(date.today() + timedelta(days=3)).isoformat())
    early = record(client, auth(), member_id, "advocate_met", achieved_on="2025-12-31")
    assert (future.status_code, early.status_code) == (422, 422)
    assert "achieved_on" in future.get_json()["errors"]
    assert "achieved_on" in early.get_json()["errors"]


def test_retracting_is_an_event_with_its_reason(client, auth, member):
    member_id, headers = member(), auth("coordinator")
    record(client, headers, member_id, "feedback_given", evidence="Questionnaire")
    taken_back = retract(client, headers, member_id, "feedback_given",
                         reason="Recorded for the wrong person.")
    assert taken_back.status_code == 201
    body = taken_back.get_json()
    assert (body["event"]["trigger"], body["event"]["reason"]) == (
        "retract", "Recorded for the wrong person.")
    assert (body["milestone"]["achieved"], body["milestone"]["evidence"]) == (False, None)
    events = client.get(f"{API}/members/{member_id}/events", headers=headers).get_json()
    assert [e["trigger"] for e in events["items"]
            if e["machine"] == "milestone:feedback_given"] == ["achieve", "retract"]
    assert record(client, headers, member_id, "feedback_given").status_code == 201


def test_retracting_what_was_never_achieved_is_an_invalid_trigger(client, auth, member):
    refused = retract(client, auth(), member(), "advocate_met", reason="Mistake")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "invalid_trigger"


def test_retracting_needs_a_reason(client, auth, member):
    member_id = member()
    record(client, auth(), member_id, "advocate_met")
    assert retract(client, auth(), member_id, "advocate_met").status_code == 422
    blank = retract(client, auth(), member_id, "advocate_met", reason="   ")
    assert blank.status_code == 422
    assert "reason" in blank.get_json()["errors"]


def test_retracting_an_unknown_or_inapplicable_code(client, auth, member):
    member_id = member()
    assert retract(client, auth(), member_id, "learnt_to_fly", reason="x").status_code == 404
    other = retract(client, auth(), member_id, "issues_on_agenda", reason="x")
    assert other.status_code == 409
    assert other.get_json()["error"] == "not_applicable"


def test_text_with_a_nul_character_is_refused(client, auth, member):
    refused = record(client, auth(), member(), "advocate_met", evidence="a\x00b")
    assert refused.status_code == 422
    assert "evidence" in refused.get_json()["errors"]


def test_recorded_milestones_meet_the_pathway_guards(client, auth, member):
    member_id, headers = member(), auth("coordinator")
    record(client, headers, member_id, "buddy_assigned")
    guards = client.get(f"{API}/members/{member_id}/pathway",
                        headers=headers).get_json()["next"]["guards"]
    assert next(g for g in guards if g["criterion"] == "milestone:buddy_assigned")["met"] is True
    count = next(g for g in guards if g["criterion"] == "milestones_at_level:level_1")
    assert "(1 so far)" in count["description"]


def test_idempotent_retry_records_once(client, auth, member):
    member_id = member()
    headers = {**auth("coordinator"), "Idempotency-Key": "buddy-1"}
    first = record(client, headers, member_id, "buddy_assigned", evidence="Dai")
    again = record(client, headers, member_id, "buddy_assigned", evidence="Dai")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    events = client.get(f"{API}/members/{member_id}/events", headers=headers).get_json()
    assert sum(e["machine"] == "milestone:buddy_assigned" for e in events["items"]) == 1


def test_the_openapi_document_lists_every_milestone_code(client, catalogue):
    spec = client.get(f"{API}/openapi.json").get_json()
    code = spec["components"]["schemas"]["MilestoneRecord"]["properties"]["code"]
    assert set(code["enum"]) == set(catalogue.all_milestone_codes())


def test_member_reads_their_own_milestones_but_cannot_record(client, auth, member):
    member_id = member()
    own = auth("member", member_id=member_id)
    assert client.get(f"{API}/members/{member_id}/milestones", headers=own).status_code == 200
    assert record(client, own, member_id, "advocate_met").status_code == 403
    assert client.get(f"{API}/members/{member()}/milestones", headers=own).status_code == 404


def test_training_lead_reads_but_does_not_record_milestones(client, auth, member):
    member_id, lead = member(), auth("training_lead")
    assert client.get(f"{API}/members/{member_id}/milestones", headers=lead).status_code == 200
    assert record(client, lead, member_id, "advocate_met").status_code == 403


def test_viewer_gets_403_and_out_of_scope_gets_404(client, auth, member, unit):
    unit("elsewhere")
    member_id = member()
    assert client.get(f"{API}/members/{member_id}/milestones",
                      headers=auth("viewer")).status_code == 403
    outsider = auth("coordinator", units=["elsewhere"])
    assert client.get(f"{API}/members/{member_id}/milestones",
                      headers=outsider).status_code == 404
    assert record(client, outsider, member_id, "advocate_met").status_code == 404


def test_missing_body_is_refused(client, auth, member):
    refused = client.post(f"{API}/members/{member()}/milestones", headers=auth())
    assert refused.status_code == 422
    assert "code" in refused.get_json()["errors"]


def test_codes_are_those_of_the_apps_own_definitions(db_url, tmp_path, auth, member):
    """PATHWAY_WORKFLOWS (here the test config) decides which codes a request may name, and
    the OpenAPI document lists those, not the default folder's."""
    from api import create_app

    folder = tmp_path / "definitions"
    shutil.copytree(workflows.DEFAULT_FOLDER, folder)
    pathway = folder / "pathway-service-user.yaml"
    pathway.write_text(pathway.read_text().replace("buddy_assigned", "peer_mentor_assigned"))
    client = create_app({"DATABASE_URL": db_url, "TESTING": True,
                         "PATHWAY_WORKFLOWS": str(folder)}).test_client()
    member_id = member()
    assert record(client, auth(), member_id, "peer_mentor_assigned").status_code == 201
    refused = record(client, auth(), member_id, "buddy_assigned")
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"code": ["There is no milestone 'buddy_assigned'."]}
    spec = client.get(f"{API}/openapi.json").get_json()
    code = spec["components"]["schemas"]["MilestoneRecord"]["properties"]["code"]
    assert "peer_mentor_assigned" in code["enum"]
    assert "buddy_assigned" not in code["enum"]
