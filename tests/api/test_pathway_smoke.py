"""A member's first steps through the API."""


def test_new_member_starts_at_level_1_active(client, auth, unit):
    unit("cefn-yr-afon")
    headers = auth("coordinator")
    created = client.post("/api/v1/members", headers=headers,
                          json={"reference": "SU-0042", "kind": "service_user",
                                "unit": "cefn-yr-afon", "joined_on": "2026-01-05"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["pathway"] == {"level": "level_1", "status": "active", "version": 1,
                               "since": "2026-01-05T00:00:00+00:00",
                               "available_triggers": ["advance", "pause", "exit"]}
    events = client.get(f"/api/v1/members/{body['id']}/events", headers=headers).get_json()
    assert [(e["trigger"], e["from_state"], e["to_state"]) for e in events["items"]] == [
        ("register", None, "level_1")]
