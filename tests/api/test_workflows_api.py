"""GET /workflows: the definitions in force, as data and as mermaid diagrams."""

from __future__ import annotations

import pytest

API = "/api/v1"


def test_workflows_are_listed_for_any_role(client, auth, member):
    for role in ("admin", "coordinator", "training_lead", "viewer"):
        answer = client.get(f"{API}/workflows", headers=auth(role))
        assert answer.status_code == 200, role
    answer = client.get(f"{API}/workflows", headers=auth("member", member_id=member("carer")))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["page"] == 1
    assert body["page_size"] == 50
    assert body["total"] == 8  # three pathways, three lifecycles, involvement, the proposals board
    names = [item["name"] for item in body["items"]]
    assert names == sorted(names)
    carer = next(item for item in body["items"] if item["name"] == "pathway_carer")
    assert carer == {"name": "pathway_carer", "applies_to": ["carer"], "version": 1,
                     "machine": "pathway", "title": "Co-production pathway – carers"}
    training = next(item for item in body["items"] if item["machine"] == "training")
    assert training["applies_to"] == ["service_user", "carer", "staff"]


def test_workflows_are_paginated(client, auth):
    headers = auth("viewer")
    first = client.get(f"{API}/workflows?page=1&page_size=4", headers=headers).get_json()
    second = client.get(f"{API}/workflows?page=2&page_size=4", headers=headers).get_json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (8, 4, 4)
    assert {i["name"] for i in first["items"]}.isdisjoint(i["name"] for i in second["items"])
    beyond = client.get(f"{API}/workflows?page=9", headers=headers).get_json()
    assert beyond["items"] == []
    assert beyond["total"] == 8


@pytest.mark.parametrize("query", ["page=0", "page_size=501", "page=x", "page=99999999999"])
def test_bad_paging_is_a_422_naming_the_field(client, auth, query):
    answer = client.get(f"{API}/workflows?{query}", headers=auth("viewer"))
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["code"] == 422
    assert set(body["errors"]) <= {"page", "page_size"}


def test_workflows_need_a_token(client):
    for path in ("/workflows", "/workflows/pathway_carer", "/workflows/pathway_carer/diagram"):
        answer = client.get(f"{API}{path}")
        assert answer.status_code == 401
        assert answer.get_json()["code"] == 401


def test_pathway_definition_has_compiled_states_and_expanded_transitions(client, auth):
    answer = client.get(f"{API}/workflows/pathway_service_user", headers=auth("coordinator"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["machine"] == "pathway"
    assert body["initial"] == "level_1"
    assert body["source_file"] == "pathway-service-user.yaml"
    assert body["rejoin_to"] == "level_1"
    assert {"level_1", "level_1.paused", "level_1.exited", "level_3.exited"} <= set(body["states"])
    assert len(body["states"]) == 9
    assert [lv["code"] for lv in body["levels"]] == ["level_1", "level_2", "level_3"]
    moves = {(t["trigger"], t["source"]): t for t in body["transitions"]}
    assert moves[("resume", "level_2.paused")]["dest"] == "level_2"
    assert moves[("rejoin", "level_3.exited")]["dest"] == "level_1"
    assert moves[("exit", "level_1")]["guards"][0]["criterion"] == "exit_reason"
    advance = moves[("advance", "level_2")]
    assert advance["dest"] == "level_3"
    assert advance["guards"][0] == {
        "criterion": "training:speaking_out", "enforcement": "required",
        "description": "Training completed and in date: “Standing up, speaking out: assertiveness”"}
    assert {g["enforcement"] for g in moves[("advance", "level_1")]["guards"]} == {"advisory"}
    assert moves[("pause", "level_1")]["guards"] == []
    buddy = next(m for m in body["milestones"] if m["code"] == "buddy_assigned")
    assert buddy == {"code": "buddy_assigned", "level": "level_1", "title": "Has a buddy",
                     "description": "A buddy was matched on arrival so nobody starts alone."}
    assert "moved_away" in body["exit_reasons"]


def test_lifecycle_definition_has_its_own_states_and_no_levels(client, auth, member):
    headers = auth("member", member_id=member("staff"))
    body = client.get(f"{API}/workflows/training_module", headers=headers).get_json()
    assert body["states"] == ["not_started", "enrolled", "completed", "withdrawn"]
    assert body["levels"] == body["milestones"] == body["exit_reasons"] == []
    assert body["rejoin_to"] is None
    assert {(t["trigger"], t["source"], t["dest"]) for t in body["transitions"]} == {
        ("enrol", "not_started", "enrolled"), ("complete", "enrolled", "completed"),
        ("withdraw", "enrolled", "withdrawn"), ("reenrol", "withdrawn", "enrolled"),
        ("reenrol", "completed", "enrolled")}


@pytest.mark.parametrize("path", ["/workflows/no_such_thing", "/workflows/no_such_thing/diagram",
                                  "/workflows/" + "x" * 300])
def test_unknown_workflow_is_a_404_in_the_error_shape(client, auth, path):
    answer = client.get(f"{API}{path}", headers=auth("viewer"))
    assert answer.status_code == 404
    body = answer.get_json()
    assert (body["code"], body["status"]) == (404, "Not Found")
    assert body["message"]


def test_diagram_is_mermaid_text_with_guard_notes(client, auth):
    answer = client.get(f"{API}/workflows/pathway_carer/diagram", headers=auth("coordinator"))
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)
    assert text.startswith("stateDiagram-v2\n")
    assert "    [*] --> level_1" in text
    assert "    level_2 --> level_3: advance (see note)" in text
    assert "Required (never waived):" in text
    assert "• Action recorded: “Was welcomed”" in text


def test_lifecycle_diagram_is_served_too(client, auth):
    answer = client.get(f"{API}/workflows/award/diagram", headers=auth("viewer"))
    assert answer.status_code == 200
    assert "    not_awarded --> awarded: award" in answer.get_data(as_text=True)


def test_openapi_declares_the_diagram_as_plain_text(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    diagram = spec["paths"][f"{API}/workflows/{{name}}/diagram"]["get"]["responses"]
    assert list(diagram["200"]["content"]) == ["text/plain"]
    assert diagram["200"]["content"]["text/plain"]["schema"] == {"type": "string"}
    detail = spec["paths"][f"{API}/workflows/{{name}}"]["get"]["responses"]
    assert "404" in detail
    workflow = spec["components"]["schemas"]["Workflow"]
    assert {"states", "transitions", "levels", "milestones", "exit_reasons"} <= set(
        workflow["properties"])
