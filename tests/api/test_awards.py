"""Accreditation through the API: the awards, readiness, awarding and revoking."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date

import workflows

API = "/api/v1"
LONG_AGO = date(2023, 1, 2)
AWARENESS = "Training completed and in date: “The three levels of co-production: awareness”"


def train(client, headers, member_id, module, *, enrolled_on=None, completed_on=None):
    url = f"{API}/members/{member_id}/training/{module}/transitions"
    for trigger, on in (("enrol", enrolled_on), ("complete", completed_on)):
        body = {"trigger": trigger, **({"on": on.isoformat()} if on else {})}
        assert client.post(url, headers=headers, json=body).status_code == 201


def achieve(client, headers, member_id, *codes):
    for code in codes:
        assert client.post(f"{API}/members/{member_id}/milestones", headers=headers,
                           json={"code": code}).status_code == 201


def ready_for_foundation(client, member_id, admin):
    train(client, admin, member_id, "three_levels_awareness")
    achieve(client, admin, member_id, "buddy_assigned", "advocate_met", "feedback_given")


def readiness_of(client, headers, member_id, award):
    body = client.get(f"{API}/members/{member_id}/readiness", headers=headers).get_json()
    return next(r for r in body["items"] if r["award"] == award)


def accredit(client, headers, member_id, award, **body):
    return client.post(f"{API}/members/{member_id}/accreditations", headers=headers,
                       json={"award": award, **body})


def test_awards_list_their_criteria_in_words(client, auth):
    body = client.get(f"{API}/awards?page_size=500", headers=auth("viewer")).get_json()
    assert body["total"] == len(body["items"]) >= 9
    foundation = next(a for a in body["items"] if a["code"] == "su_foundation")
    assert (foundation["kind"], foundation["level"]) == ("service_user", "level_1")
    assert foundation["criteria"] == [
        {"criterion": "level:level_1", "description": "Has reached Level 1 (Laying the foundation)",
         "enforcement": "required"},
        {"criterion": "training:three_levels_awareness", "description": AWARENESS,
         "enforcement": "required"},
        {"criterion": "milestones_at_level:level_1",
         "description": "At least 3 of the Level 1 actions recorded", "enforcement": "required"}]


def test_awards_can_be_listed_for_one_kind_and_paged(client, auth):
    carers = client.get(f"{API}/awards?kind=carer", headers=auth()).get_json()
    assert {a["kind"] for a in carers["items"]} == {"carer"}
    paged = client.get(f"{API}/awards?page_size=2&kind=", headers=auth()).get_json()
    assert (len(paged["items"]), paged["page_size"]) == (2, 2)
    assert paged["total"] >= 9


def test_readiness_says_exactly_what_is_missing(client, auth, member):
    member_id = member()
    body = client.get(f"{API}/members/{member_id}/readiness", headers=auth()).get_json()
    assert [r["award"] for r in body["items"]] == ["su_foundation", "su_skills", "su_partnership"]
    foundation = body["items"][0]
    assert (foundation["ready"], foundation["awarded"]) == (False, False)
    assert foundation["met"] == [{"criterion": "level:level_1", "enforcement": "required",
                                  "description": "Has reached Level 1 (Laying the foundation)"}]
    assert foundation["unmet"] == [
        {"criterion": "training:three_levels_awareness", "description": AWARENESS,
         "enforcement": "required"},
        {"criterion": "milestones_at_level:level_1", "enforcement": "required",
         "description": "At least 3 of the Level 1 actions recorded (0 so far)"}]


def test_an_award_is_made_only_when_ready(client, auth, member):
    member_id, admin, lead = member(), auth(), auth("training_lead", name="Gwen")
    refused = accredit(client, lead, member_id, "su_foundation")
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "guards_unmet"
    assert [u["criterion"] for u in body["unmet"]] == ["training:three_levels_awareness",
                                                       "milestones_at_level:level_1"]
    ready_for_foundation(client, member_id, admin)
    assert readiness_of(client, lead, member_id, "su_foundation")["ready"] is True
    made = accredit(client, lead, member_id, "su_foundation", reason="Portfolio reviewed")
    assert made.status_code == 201
    made_body = made.get_json()
    assert made_body["event"]["machine"] == "award:su_foundation"
    assert made_body["accreditation"]["state"] == "awarded"
    assert made_body["accreditation"]["awarded_by"] == "Gwen"
    held = client.get(f"{API}/members/{member_id}/accreditations", headers=lead).get_json()
    assert held["total"] == 1
    assert held["items"][0] == {**made_body["accreditation"]}
    assert held["items"][0]["awarded_on"] == made_body["event"]["effective_at"][:10]
    assert readiness_of(client, lead, member_id, "su_foundation")["awarded"] is True


def test_an_award_already_held_is_an_invalid_trigger(client, auth, member):
    member_id, admin = member(), auth()
    ready_for_foundation(client, member_id, admin)
    assert accredit(client, admin, member_id, "su_foundation").status_code == 201
    again = accredit(client, admin, member_id, "su_foundation")
    assert again.status_code == 409
    assert again.get_json()["error"] == "invalid_trigger"


def test_an_award_of_another_kind_is_not_applicable(client, auth, member):
    refused = accredit(client, auth(), member("carer"), "su_foundation")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "not_applicable"


def test_an_unknown_award_is_refused_naming_the_field(client, auth, member):
    refused = accredit(client, auth(), member(), "nobel_prize")
    assert refused.status_code == 422
    assert "award" in refused.get_json()["errors"]


def test_an_expired_completion_does_not_count_for_readiness(client, auth, member):
    member_id, admin = member(joined_on=LONG_AGO), auth()
    train(client, admin, member_id, "three_levels_awareness",
          enrolled_on=date(2023, 2, 1), completed_on=date(2023, 3, 1))
    achieve(client, admin, member_id, "buddy_assigned", "advocate_met", "feedback_given")
    foundation = readiness_of(client, admin, member_id, "su_foundation")
    assert foundation["ready"] is False
    [unmet] = foundation["unmet"]
    assert unmet["criterion"] == "training:three_levels_awareness"
    assert unmet["description"] == (AWARENESS + " (expired on 2025-02-28: a refresher is due)")
    refused = accredit(client, admin, member_id, "su_foundation")
    assert refused.status_code == 409
    assert refused.get_json()["unmet"] == [unmet]


def test_refreshing_an_expired_module_makes_it_count_again(client, auth, member):
    member_id, admin = member(joined_on=LONG_AGO), auth()
    train(client, admin, member_id, "three_levels_awareness",
          enrolled_on=date(2023, 2, 1), completed_on=date(2023, 3, 1))
    achieve(client, admin, member_id, "buddy_assigned", "advocate_met", "feedback_given")
    url = f"{API}/members/{member_id}/training/three_levels_awareness/transitions"
    assert client.post(url, headers=admin, json={"trigger": "reenrol"}).status_code == 201
    assert client.post(url, headers=admin, json={"trigger": "complete"}).status_code == 201
    assert readiness_of(client, admin, member_id, "su_foundation")["ready"] is True
    assert accredit(client, admin, member_id, "su_foundation").status_code == 201


def test_revoking_an_award_keeps_both_events(client, auth, member):
    member_id, admin, lead = member(), auth(), auth("training_lead")
    ready_for_foundation(client, member_id, admin)
    accredit(client, lead, member_id, "su_foundation")
    url = f"{API}/members/{member_id}/accreditations/su_foundation/revoke"
    assert client.post(url, headers=lead, json={}).status_code == 422
    revoked = client.post(url, headers=lead, json={"reason": "Awarded to the wrong member."})
    assert revoked.status_code == 201
    body = revoked.get_json()
    assert (body["event"]["trigger"], body["accreditation"]["state"]) == ("revoke", "not_awarded")
    assert (body["accreditation"]["awarded_on"], body["accreditation"]["reason"]) == (
        None, "Awarded to the wrong member.")
    held = client.get(f"{API}/members/{member_id}/accreditations", headers=lead).get_json()
    assert held["total"] == 0
    events = client.get(f"{API}/members/{member_id}/events", headers=lead).get_json()
    assert [e["trigger"] for e in events["items"]
            if e["machine"] == "award:su_foundation"] == ["award", "revoke"]
    again = client.post(url, headers=lead, json={"reason": "Twice"})
    assert (again.status_code, again.get_json()["error"]) == (409, "invalid_trigger")


def test_revoking_an_unknown_or_inapplicable_award(client, auth, member):
    member_id = member()
    base = f"{API}/members/{member_id}/accreditations"
    assert client.post(f"{base}/nobel_prize/revoke", headers=auth(),
                       json={"reason": "x"}).status_code == 404
    other = client.post(f"{base}/carer_foundation/revoke", headers=auth(), json={"reason": "x"})
    assert (other.status_code, other.get_json()["error"]) == (409, "not_applicable")


def test_idempotent_award_retry_writes_once(client, auth, member):
    member_id, admin = member(), auth()
    ready_for_foundation(client, member_id, admin)
    headers = {**auth("training_lead"), "Idempotency-Key": "award-1"}
    first = accredit(client, headers, member_id, "su_foundation")
    again = accredit(client, headers, member_id, "su_foundation")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    events = client.get(f"{API}/members/{member_id}/events", headers=admin).get_json()
    assert sum(e["machine"] == "award:su_foundation" for e in events["items"]) == 1


def test_only_training_leads_and_admins_award(client, auth, member):
    member_id = member()
    assert accredit(client, auth("coordinator"), member_id, "su_foundation").status_code == 403
    own = auth("member", member_id=member_id)
    assert accredit(client, own, member_id, "su_foundation").status_code == 403


def test_member_sees_their_own_readiness_and_awards(client, auth, member):
    member_id = member()
    own = auth("member", member_id=member_id)
    assert client.get(f"{API}/members/{member_id}/readiness", headers=own).status_code == 200
    assert client.get(f"{API}/members/{member_id}/accreditations",
                      headers=own).status_code == 200
    other = member()
    assert client.get(f"{API}/members/{other}/readiness", headers=own).status_code == 404
    assert client.get(f"{API}/readiness", headers=own).status_code == 403


def test_viewer_gets_403_on_member_records(client, auth, member):
    member_id, viewer = member(), auth("viewer")
    for path in ("readiness", "accreditations"):
        assert client.get(f"{API}/members/{member_id}/{path}", headers=viewer).status_code == 403
    assert client.get(f"{API}/readiness", headers=viewer).status_code == 403


# --- GET /readiness: who is ready, across the caller's units --------------------------------

def test_readiness_list_filters_on_ready_for_one_award(client, auth, member):
    admin = auth()
    ready, not_ready = member(), member()
    member("carer")
    ready_for_foundation(client, ready, admin)
    everyone = client.get(f"{API}/readiness?award=su_foundation", headers=admin).get_json()
    assert [(r["member_id"], r["ready"]) for r in everyone["items"]] == [(ready, True),
                                                                         (not_ready, False)]
    only_ready = client.get(f"{API}/readiness?award=su_foundation&ready=true",
                            headers=auth("training_lead")).get_json()
    assert only_ready["total"] == 1
    row = only_ready["items"][0]
    assert (row["member_id"], row["kind"], row["unit"], row["member_level"], row["status"]) == (
        ready, "service_user", "cefn-yr-afon", "level_1", "active")
    assert (row["award"], row["level"], row["unmet"]) == ("su_foundation", "level_1", [])
    not_yet = client.get(f"{API}/readiness?award=su_foundation&ready=false",
                         headers=admin).get_json()
    assert [r["member_id"] for r in not_yet["items"]] == [not_ready]
    assert not_yet["items"][0]["unmet"]


def test_readiness_list_without_an_award_pairs_each_member_with_their_kinds_awards(
        client, auth, member):
    admin = auth()
    carer = member("carer")
    staff = member("staff")
    body = client.get(f"{API}/readiness?award=&ready=&unit=", headers=admin).get_json()
    assert body["total"] == 6
    assert [(r["member_id"], r["award"]) for r in body["items"]] == [
        (carer, "carer_foundation"), (carer, "carer_skills"), (carer, "carer_partnership"),
        (staff, "staff_foundation"), (staff, "staff_skills"), (staff, "staff_partnership")]
    page_2 = client.get(f"{API}/readiness?page=2&page_size=4", headers=admin).get_json()
    assert ([r["award"] for r in page_2["items"]], page_2["total"]) == (
        ["staff_skills", "staff_partnership"], 6)


def test_readiness_list_filters_on_awarded(client, auth, member):
    admin = auth()
    first, second = member(), member()
    for member_id in (first, second):
        ready_for_foundation(client, member_id, admin)
    accredit(client, admin, first, "su_foundation")
    waiting = client.get(f"{API}/readiness?award=su_foundation&ready=true&awarded=false",
                         headers=admin).get_json()
    assert [r["member_id"] for r in waiting["items"]] == [second]
    held = client.get(f"{API}/readiness?award=su_foundation&awarded=true",
                      headers=admin).get_json()
    assert [(r["member_id"], r["awarded"]) for r in held["items"]] == [(first, True)]


def test_readiness_list_is_scoped_to_the_callers_units(client, auth, member, unit):
    unit("cefn-yr-afon")
    unit("ty-gwyn")
    here, there = member(unit="cefn-yr-afon"), member(unit="ty-gwyn")
    lead = auth("training_lead", units=["ty-gwyn"])
    body = client.get(f"{API}/readiness?award=su_foundation", headers=lead).get_json()
    assert [r["member_id"] for r in body["items"]] == [there]
    assert client.get(f"{API}/readiness?unit=cefn-yr-afon", headers=lead).status_code == 404
    by_unit = client.get(f"{API}/readiness?unit=cefn-yr-afon&award=su_foundation",
                         headers=auth()).get_json()
    assert [r["member_id"] for r in by_unit["items"]] == [here]


def test_readiness_list_refuses_an_unknown_award_or_a_bad_flag(client, auth):
    unknown = client.get(f"{API}/readiness?award=nobel_prize", headers=auth())
    assert unknown.status_code == 422
    assert "award" in unknown.get_json()["errors"]
    bad = client.get(f"{API}/readiness?ready=perhaps", headers=auth())
    assert bad.status_code == 422
    assert "ready" in bad.get_json()["errors"]


def test_the_openapi_document_lists_every_award_code(client, catalogue):
    spec = client.get(f"{API}/openapi.json").get_json()
    award = spec["components"]["schemas"]["AccreditRequest"]["properties"]["award"]
    assert set(award["enum"]) == set(catalogue.awards)
    ready = next(p for p in spec["paths"][f"{API}/readiness"]["get"]["parameters"]
                 if p["name"] == "ready")
    assert ready["schema"]["enum"] == ["true", "false", ""]


def test_readiness_list_is_for_training_leads_and_admins(client, auth):
    assert client.get(f"{API}/readiness", headers=auth("coordinator")).status_code == 403
    assert client.get(f"{API}/readiness").status_code == 401


def test_reenrolling_for_the_refresher_keeps_the_member_ready(client, auth, member):
    member_id, admin = member(joined_on=date(2026, 1, 5)), auth()
    train(client, admin, member_id, "three_levels_awareness",
          enrolled_on=date(2026, 2, 1), completed_on=date(2026, 2, 10))
    achieve(client, admin, member_id, "buddy_assigned", "advocate_met", "feedback_given")
    assert readiness_of(client, admin, member_id, "su_foundation")["ready"] is True
    url = f"{API}/members/{member_id}/training/three_levels_awareness/transitions"
    assert client.post(url, headers=admin, json={"trigger": "reenrol"}).status_code == 201
    foundation = readiness_of(client, admin, member_id, "su_foundation")
    assert (foundation["ready"], foundation["unmet"]) == (True, [])
    listed = client.get(f"{API}/readiness?award=su_foundation&ready=true",
                        headers=admin).get_json()
    assert [r["member_id"] for r in listed["items"]] == [member_id]
    assert accredit(client, admin, member_id, "su_foundation").status_code == 201


def test_award_codes_are_those_of_the_apps_own_definitions(db_url, tmp_path, auth, member):
    from api import create_app

    folder = tmp_path / "definitions"
    shutil.copytree(workflows.DEFAULT_FOLDER, folder)
    programme = folder / "programme.yaml"
    programme.write_text(programme.read_text().replace("su_partnership", "su_working_together"))
    client = create_app({"DATABASE_URL": db_url, "TESTING": True,
                         "PATHWAY_WORKFLOWS": str(folder)}).test_client()
    member_id, admin = member(), auth()
    refused = accredit(client, admin, member_id, "su_working_together")
    assert (refused.status_code, refused.get_json()["error"]) == (409, "guards_unmet")
    unknown = accredit(client, admin, member_id, "su_partnership")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"award": ["There is no award 'su_partnership'."]}
    listed = client.get(f"{API}/readiness?award=su_working_together", headers=admin)
    assert [r["award"] for r in listed.get_json()["items"]] == ["su_working_together"]
    assert "award" in client.get(f"{API}/readiness?award=su_partnership",
                                 headers=admin).get_json()["errors"]
    spec = client.get(f"{API}/openapi.json").get_json()
    award = spec["components"]["schemas"]["AccreditRequest"]["properties"]["award"]
    assert "su_working_together" in award["enum"]
    assert "su_partnership" not in award["enum"]
    query = next(p for p in spec["paths"][f"{API}/readiness"]["get"]["parameters"]
                 if p["name"] == "award")
    assert set(query["schema"]["enum"]) == {*award["enum"], ""}


def fire_on_pathway(client, headers, member_id, trigger, **body):
    answer = client.post(f"{API}/members/{member_id}/pathway/transitions", headers=headers,
                         json={"trigger": trigger, **body})
    assert answer.status_code == 201, answer.get_json()


def foundation_list(client, headers, query):
    body = client.get(f"{API}/readiness?award=su_foundation&page_size=100&{query}",
                      headers=headers).get_json()
    return {r["member_id"]: (r["ready"], r["awarded"], r["status"]) for r in body["items"]}


def test_a_readiness_list_of_those_waiting_leaves_out_holders_leavers_and_the_not_ready(
        client, auth, member):
    # The list a training lead asks for, "who is ready and still waiting for the award",
    # once listed holders, leavers and paused members among the ready.
    admin = auth()
    waiting, holder, leaver, paused, not_ready = (member() for _ in range(5))
    for member_id in (waiting, holder, leaver, paused):
        ready_for_foundation(client, member_id, admin)
    assert accredit(client, admin, holder, "su_foundation").status_code == 201
    fire_on_pathway(client, admin, leaver, "exit", exit_reason="moved_away")
    fire_on_pathway(client, admin, paused, "pause", reason="Unwell for a while")

    assert foundation_list(client, admin, "ready=true&awarded=false") == {
        waiting: (True, False, "active"), paused: (True, False, "paused")}
    assert foundation_list(client, admin, "ready=true&awarded=false&status=active") == {
        waiting: (True, False, "active")}
    assert foundation_list(client, admin, "awarded=true") == {holder: (True, True, "active")}
    assert foundation_list(client, admin, "ready=false") == {
        not_ready: (False, False, "active")}


def test_leavers_are_listed_only_when_asked_for(client, auth, member):
    admin = auth()
    staying, leaver = member(), member()
    fire_on_pathway(client, admin, leaver, "exit", exit_reason="moved_away")
    assert set(foundation_list(client, admin, "")) == {staying}
    assert foundation_list(client, admin, "include_exited=true") == {
        staying: (False, False, "active"), leaver: (False, False, "exited")}
    assert foundation_list(client, admin, "status=exited") == {leaver: (False, False, "exited")}


def test_a_readiness_list_as_csv_holds_the_same_rows(client, auth, member):
    admin = auth()
    waiting, holder, leaver = member(), member(), member()
    for member_id in (waiting, holder, leaver):
        ready_for_foundation(client, member_id, admin)
    accredit(client, admin, holder, "su_foundation")
    fire_on_pathway(client, admin, leaver, "exit", exit_reason="moved_away")
    query = "award=su_foundation&ready=true&awarded=false"
    answer = client.get(f"{API}/readiness?{query}&format=csv&page_size=1", headers=admin)
    assert (answer.status_code, answer.mimetype) == (200, "text/csv")
    text = answer.get_data(as_text=True)
    assert text.splitlines()[0] == ("member_id,reference,kind,unit,member_level,status,award,"
                                    "title,level,ready,awarded,met,unmet")
    rows = list(csv.DictReader(io.StringIO(text)))
    listed = client.get(f"{API}/readiness?{query}", headers=admin).get_json()["items"]
    assert [row["member_id"] for row in rows] == [str(r["member_id"]) for r in listed] == [
        str(waiting)]
    [row] = rows
    assert (row["award"], row["status"], row["ready"], row["awarded"], row["unmet"]) == (
        "su_foundation", "active", "true", "false", "")
    assert AWARENESS in row["met"].split("; ")


def test_a_readiness_list_refuses_an_unknown_status_or_format(client, auth):
    admin = auth()
    for query in ("status=gone", "format=xlsx", "include_exited=yes"):
        answer = client.get(f"{API}/readiness?{query}", headers=admin)
        assert answer.status_code == 422, query
        assert set(answer.get_json()["errors"]) == {query.split("=")[0]}
