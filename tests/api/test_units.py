"""Units through the API: created by admins, named by code everywhere."""

UNIT = {"code": "cefn-yr-afon", "name": "Cefn yr Afon", "kind": "open_rehab",
        "locality": "Bridgend"}


def test_admin_creates_a_unit_and_everyone_in_scope_can_read_it(client, auth):
    created = client.post("/api/v1/units", json=UNIT, headers=auth("admin"))
    assert created.status_code == 201
    assert created.get_json() == UNIT
    listed = client.get("/api/v1/units", headers=auth("viewer", units=["cefn-yr-afon"]))
    assert listed.get_json() == {"items": [UNIT], "page": 1, "page_size": 50, "total": 1}


def test_a_duplicate_unit_code_is_a_conflict(client, auth):
    headers = auth("admin")
    client.post("/api/v1/units", json=UNIT, headers=headers)
    again = client.post("/api/v1/units", json=UNIT, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"] == "duplicate"


def test_only_admins_create_units(client, auth):
    answer = client.post("/api/v1/units", json=UNIT, headers=auth("coordinator"))
    assert answer.status_code == 403
    assert answer.get_json()["code"] == 403


def test_a_unit_outside_scope_is_not_found(client, auth, unit):
    unit("cefn-yr-afon")
    unit("ty-draw", "step_down")
    headers = auth("coordinator", units=["cefn-yr-afon"])
    assert client.get("/api/v1/units/ty-draw", headers=headers).status_code == 404
    codes = [u["code"] for u in client.get("/api/v1/units", headers=headers).get_json()["items"]]
    assert codes == ["cefn-yr-afon"]


def test_invalid_unit_fields_are_each_named(client, auth):
    answer = client.post("/api/v1/units", json={"code": "Not A Slug", "kind": "castle"},
                         headers=auth("admin"))
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) == {"code", "kind", "name"}


def test_patch_with_nothing_to_change_is_refused(client, auth, unit):
    unit("cefn-yr-afon")
    answer = client.patch("/api/v1/units/cefn-yr-afon", json={}, headers=auth("admin"))
    assert answer.status_code == 422


def test_patch_renames_a_unit(client, auth, unit):
    unit("cefn-yr-afon")
    answer = client.patch("/api/v1/units/cefn-yr-afon", json={"name": "Cefn"},
                          headers=auth("admin"))
    assert answer.status_code == 200
    assert answer.get_json()["name"] == "Cefn"


def test_nul_in_text_is_refused(client, auth):
    answer = client.post("/api/v1/units", json={**UNIT, "name": "Cefn\x00"},
                         headers=auth("admin"))
    assert answer.status_code == 422
    assert "name" in answer.get_json()["errors"]
