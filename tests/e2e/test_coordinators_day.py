"""A coordinator's day against a real `pathway serve`, as the people who use it would see it.

One long walk on purpose: each step depends on the ones before, exactly as a day at work does.
"""

from __future__ import annotations

from tests.e2e.conftest import Server, create_token, pathway_check

WARD = "cefn-yr-afon"
HOUSE = "ty-draw"


def post(server: Server, path: str, body: dict, token: str, **headers: str):  # type: ignore[no-untyped-def]
    return server.request("POST", "/api/v1" + path, body, token, headers=headers or None)


def get(server: Server, path: str, token: str):  # type: ignore[no-untyped-def]
    return server.request("GET", "/api/v1" + path, token=token)


def test_a_coordinators_day(serve, server_database):  # type: ignore[no-untyped-def]
    server = serve(server_database)
    admin = create_token(server_database, "admin-ana", "admin")
    assert post(server, "/units", {"code": WARD, "name": "Cefn yr Afon", "kind": "open_rehab",
                                   "locality": "Bridgend"}, admin).status == 201
    assert post(server, "/units", {"code": HOUSE, "name": "Tŷ Draw", "kind": "step_down",
                                   "locality": "Bridgend"}, admin).status == 201
    coordinator = create_token(server_database, "coord-ben", "coordinator", "--unit", WARD)
    lead = create_token(server_database, "lead-cat", "training_lead", "--all-units")
    viewer = create_token(server_database, "strategy", "viewer", "--all-units")

    # Morning: a new service user joins the ward (joined long ago, recorded today).
    created = post(server, "/members", {"reference": "SU-0042", "kind": "service_user",
                                        "unit": WARD, "joined_on": "2023-01-02"}, coordinator)
    assert created.status == 201, created
    member_id = created.body["id"]
    you = create_token(server_database, "su-0042", "member", "--member", str(member_id))

    # What does advancing need? Unmet guards, in words.
    pathway = get(server, f"/members/{member_id}/pathway", coordinator).body
    words = {g["criterion"]: g["description"] for g in pathway["next"]["guards"]}
    assert words["milestone:buddy_assigned"] == "Action recorded: “Has a buddy”"
    refused = post(server, f"/members/{member_id}/pathway/transitions", {"trigger": "advance"},
                   coordinator)
    assert (refused.status, refused.body["error"]) == (409, "guards_unmet")
    assert len(refused.body["unmet"]) == 3

    # An advisory guard overridden with a reason: recorded with what was unmet.
    advanced = post(server, f"/members/{member_id}/pathway/transitions",
                    {"trigger": "advance", "override": True,
                     "reason": "Already chairs the community meeting"}, coordinator)
    assert advanced.status == 201, advanced
    assert advanced.body["event"]["override"] is True
    assert advanced.body["event"]["unmet"]
    assert advanced.body["pathway"]["level"] == "level_2"

    # A required guard is refused even with an override.
    required = post(server, f"/members/{member_id}/pathway/transitions",
                    {"trigger": "advance", "override": True, "reason": "keen"}, coordinator)
    assert required.status == 409
    assert {"criterion": "training:speaking_out", "enforcement": "required",
            "description": required.body["unmet"][0]["description"]} in required.body["unmet"]

    # Pause keeps the level; resume restores it.
    paused = post(server, f"/members/{member_id}/pathway/transitions", {"trigger": "pause",
                                                                       "reason": "readmitted"},
                  coordinator)
    assert paused.body["pathway"]["level"] == "level_2"
    assert paused.body["pathway"]["status"] == "paused"
    resumed = post(server, f"/members/{member_id}/pathway/transitions", {"trigger": "resume"},
                   coordinator)
    assert (resumed.body["pathway"]["level"], resumed.body["pathway"]["status"]) == (
        "level_2", "active")

    # A completion recorded late, of a module with a validity period, has expired.
    module = "three_levels_awareness"
    assert post(server, f"/members/{member_id}/training/{module}/transitions",
                {"trigger": "enrol", "on": "2023-01-10"}, lead).status == 201
    done = post(server, f"/members/{member_id}/training/{module}/transitions",
                {"trigger": "complete", "on": "2023-02-01"}, lead)
    assert done.status == 201, done
    training = {t["code"]: t for t in get(server, f"/members/{member_id}/training",
                                          lead).body["items"]}
    assert training[module]["state"] == "expired"
    assert training[module]["expires_on"] == "2025-01-31"

    # Readiness says what is missing, and an award is made only when ready.
    for code in ("buddy_assigned", "advocate_met", "community_meeting_attended"):
        assert post(server, f"/members/{member_id}/milestones",
                    {"code": code, "achieved_on": "2023-03-01", "evidence": "seen"},
                    coordinator).status == 201
    readiness = {r["award"]: r for r in get(server, f"/members/{member_id}/readiness",
                                           lead).body["items"]}
    foundation = readiness["su_foundation"]
    assert foundation["ready"] is False
    assert [c["criterion"] for c in foundation["unmet"]] == [f"training:{module}"]
    early = post(server, f"/members/{member_id}/accreditations", {"award": "su_foundation"}, lead)
    assert (early.status, early.body["error"]) == (409, "guards_unmet")
    assert post(server, f"/members/{member_id}/training/{module}/transitions",
                {"trigger": "reenrol"}, lead).status == 201
    assert post(server, f"/members/{member_id}/training/{module}/transitions",
                {"trigger": "complete"}, lead).status == 201
    awarded = post(server, f"/members/{member_id}/accreditations", {"award": "su_foundation"},
                   lead)
    assert awarded.status == 201, awarded

    # A retried request (the network dropped the answer) writes once.
    before = get(server, f"/members/{member_id}/events?page_size=500", coordinator).body["total"]
    first = post(server, f"/members/{member_id}/pathway/transitions", {"trigger": "pause"},
                 coordinator, **{"Idempotency-Key": "tuesday-pause"})
    retry = post(server, f"/members/{member_id}/pathway/transitions", {"trigger": "pause"},
                 coordinator, **{"Idempotency-Key": "tuesday-pause"})
    assert first.status == retry.status == 201
    assert first.body == retry.body
    after = get(server, f"/members/{member_id}/events?page_size=500", coordinator).body["total"]
    assert after == before + 1

    # Someone else's stale screen: a version conflict, never a lost update.
    version = get(server, f"/members/{member_id}/pathway", coordinator).body["version"]
    post(server, f"/members/{member_id}/pathway/transitions",
         {"trigger": "resume", "expected_version": version}, coordinator)
    stale = post(server, f"/members/{member_id}/pathway/transitions",
                 {"trigger": "pause", "expected_version": version}, coordinator)
    assert (stale.status, stale.body["error"]) == (409, "version_conflict")

    # Step-down: the transfer is recorded and counted in the new unit.
    moved = post(server, f"/members/{member_id}/transfer", {"unit": HOUSE,
                                                            "reason": "step-down"}, admin)
    assert moved.status == 201, moved
    rows = get(server, "/reports/level-distribution", admin).body["rows"]
    assert {(r["unit"], r["kind"], r["level_2"]) for r in rows} == {(HOUSE, "service_user", 1)}
    # A viewer reads published figures only: one member is a hidden count, never a 1.
    published = get(server, "/reports/level-distribution", viewer).body
    assert published["suppressed"] is True
    assert [(r["unit"], r["level_2"]) for r in published["rows"]] == [(HOUSE, None)]

    # Scope: the ward's coordinator no longer sees them; they see themselves; a viewer
    # sees aggregates only.
    assert get(server, f"/members/{member_id}", coordinator).status == 404
    assert get(server, f"/members/{member_id}", you).status == 200
    assert get(server, f"/members/{member_id}", viewer).status == 403
    assert get(server, f"/members/{member_id + 1}", you).status == 404

    # Leaving needs a reason; rejoining starts again at Level 1.
    no_reason = post(server, f"/members/{member_id}/pathway/transitions", {"trigger": "exit"},
                     admin)
    assert no_reason.body["unmet"][0]["criterion"] == "exit_reason"
    left = post(server, f"/members/{member_id}/pathway/transitions",
                {"trigger": "exit", "exit_reason": "moved_away",
                 "feedback": "Evening meetings would help"}, admin)
    assert left.body["pathway"]["status"] == "exited"
    back = post(server, f"/members/{member_id}/pathway/transitions", {"trigger": "rejoin"}, admin)
    assert (back.body["pathway"]["level"], back.body["pathway"]["status"]) == ("level_1",
                                                                               "active")

    # Their own record shows everything that happened, oldest first.
    triggers = [e["trigger"] for e in get(server, f"/members/{member_id}/events?page_size=500",
                                          you).body["items"] if e["machine"] == "pathway"]
    assert triggers[0] == "register"
    assert triggers[-3:] == ["transfer", "exit", "rejoin"]

    # The evening check: every record agrees with its history.
    checked = pathway_check(server_database)
    assert checked.returncode == 0, checked.stdout + checked.stderr
