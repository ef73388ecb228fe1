"""Registering and finding members."""

import pytest

NEW = {"reference": "SU-0042", "kind": "service_user", "unit": "cefn-yr-afon",
       "joined_on": "2026-01-05"}


@pytest.fixture
def ward(unit):
    return unit("cefn-yr-afon")


def test_new_member_starts_at_level_1_active_with_a_register_event(client, auth, ward):
    headers = auth("coordinator")
    created = client.post("/api/v1/members", headers=headers, json=NEW)
    assert created.status_code == 201
    body = created.get_json()
    assert body == {"id": body["id"], "reference": "SU-0042", "kind": "service_user",
                    "unit": "cefn-yr-afon", "display_name": None, "joined_on": "2026-01-05",
                    "pathway": {"level": "level_1", "status": "active", "version": 1,
                                "since": "2026-01-05T00:00:00+00:00",
                                "available_triggers": ["advance", "pause", "exit"]}}
    events = client.get(f"/api/v1/members/{body['id']}/events", headers=headers).get_json()
    assert [(e["trigger"], e["from_state"], e["to_state"]) for e in events["items"]] == [
        ("register", None, "level_1")]


def test_joined_on_defaults_to_today(client, auth, ward):
    body = client.post("/api/v1/members", headers=auth("admin"),
                       json={k: v for k, v in NEW.items() if k != "joined_on"}).get_json()
    from datetime import date
    assert body["joined_on"] == date.today().isoformat()


def test_a_duplicate_reference_is_a_conflict(client, auth, ward):
    headers = auth("admin")
    client.post("/api/v1/members", headers=headers, json=NEW)
    again = client.post("/api/v1/members", headers=headers, json=NEW)
    assert again.status_code == 409
    assert again.get_json()["error"] == "duplicate"


def test_an_unknown_unit_is_not_found(client, auth, ward):
    answer = client.post("/api/v1/members", headers=auth("admin"), json={**NEW, "unit": "nowhere"})
    assert answer.status_code == 404


def test_a_missing_body_names_the_required_fields(client, auth):
    answer = client.post("/api/v1/members", headers=auth("admin"))
    assert answer.status_code == 422
    assert {"reference", "kind", "unit"} <= set(answer.get_json()["errors"])


def test_malformed_json_is_a_bad_request(client, auth):
    answer = client.post("/api/v1/members", data="{nope",
                         headers={**auth("admin"), "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.get_json()["status"] == "Bad Request"


def test_members_filter_by_kind_level_and_status(client, auth, member, ward):
    carer = member("carer")
    member("service_user")
    headers = auth("coordinator")
    found = client.get("/api/v1/members?kind=carer&level=level_1&status=active&unit=",
                       headers=headers).get_json()
    assert [m["id"] for m in found["items"]] == [carer]
    assert found["total"] == 1


def test_page_size_is_bounded(client, auth):
    answer = client.get("/api/v1/members?page_size=501", headers=auth("admin"))
    assert answer.status_code == 422
    assert "page_size" in answer.get_json()["errors"]


def test_a_huge_id_is_not_found_rather_than_an_error(client, auth):
    assert client.get("/api/v1/members/99999999999", headers=auth("admin")).status_code == 404


def test_display_name_can_be_changed_but_not_with_an_empty_patch(client, auth, member):
    member_id = member()
    headers = auth("coordinator")
    assert client.patch(f"/api/v1/members/{member_id}", json={}, headers=headers).status_code == 422
    renamed = client.patch(f"/api/v1/members/{member_id}", json={"display_name": "Sam"},
                           headers=headers)
    assert renamed.get_json()["display_name"] == "Sam"


def test_transfer_is_recorded_and_moves_the_member(client, auth, member, unit):
    member_id = member(unit="cefn-yr-afon")
    unit("ty-draw", "step_down")
    headers = auth("coordinator")
    moved = client.post(f"/api/v1/members/{member_id}/transfer", headers=headers,
                        json={"unit": "ty-draw", "reason": "step-down"})
    assert moved.status_code == 201
    body = moved.get_json()
    assert body["member"]["unit"] == "ty-draw"
    assert body["event"]["trigger"] == "transfer"
    assert body["event"]["from_state"] == body["event"]["to_state"] == "level_1"
    again = client.post(f"/api/v1/members/{member_id}/transfer", headers=headers,
                        json={"unit": "ty-draw"})
    assert again.status_code == 409
    assert again.get_json()["error"] == "already_in_unit"


def test_members_outside_scope_are_not_found(client, auth, member, unit):
    unit("ty-draw", "step_down")
    unit("cefn-yr-afon")
    elsewhere = member(unit="ty-draw")
    headers = auth("coordinator", units=["cefn-yr-afon"])
    assert client.get(f"/api/v1/members/{elsewhere}", headers=headers).status_code == 404
    assert client.get("/api/v1/members", headers=headers).get_json()["total"] == 0


def test_a_member_sees_only_their_own_record(client, auth, member):
    mine = member()
    theirs = member()
    headers = auth("member", member_id=mine)
    assert client.get(f"/api/v1/members/{mine}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/members/{theirs}", headers=headers).status_code == 404
    listed = client.get("/api/v1/members", headers=headers).get_json()
    assert [m["id"] for m in listed["items"]] == [mine]


def test_viewers_see_aggregates_only(client, auth, member):
    member_id = member()
    headers = auth("viewer")
    assert client.get(f"/api/v1/members/{member_id}", headers=headers).status_code == 403
    assert client.get("/api/v1/members", headers=headers).status_code == 403


def test_no_token_is_unauthorised_and_a_bad_one_too(client):
    assert client.get("/api/v1/members").status_code == 401
    bad = client.get("/api/v1/members", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.get_json()["message"].startswith("A valid token is needed")


def test_registering_one_reference_at_once_gives_one_member_and_conflicts(app, auth, ward):
    """Six coordinators register the same person at the same moment: never a 500."""
    import threading

    headers = auth("coordinator")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def register() -> None:
        client = app.test_client()
        barrier.wait(10)
        statuses.append(client.post("/api/v1/members", headers=headers, json=NEW).status_code)

    threads = [threading.Thread(target=register) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]


def test_a_422_names_every_invalid_field_at_once(client, auth, unit):
    unit()
    answer = client.post("/api/v1/members", headers=auth("admin"),
                         json={"reference": "SU-0042", "kind": "patient", "unit": "nowhere",
                               "joined_on": "2999-01-01"})
    assert answer.status_code == 422
    assert sorted(answer.get_json()["errors"]) == ["joined_on", "kind", "unit"]
    assert answer.get_json()["error"] == "invalid_input"


def test_a_joined_on_in_the_future_alone_is_a_422_naming_it(client, auth, unit):
    unit()
    answer = client.post("/api/v1/members", headers=auth("admin"),
                         json={"reference": "SU-0043", "kind": "service_user",
                               "unit": "cefn-yr-afon", "joined_on": "2999-01-01"})
    assert answer.status_code == 422
    assert list(answer.get_json()["errors"]) == ["joined_on"]
