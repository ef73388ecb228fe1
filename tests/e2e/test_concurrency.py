"""A dozen clients race the same members on a real server: nothing lost, nothing invented."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (
    Load,
    create_token,
    events_of,
    history_problems,
    integrity_problems,
    pathway_check,
    seed_members,
)

pytestmark = pytest.mark.slow


def test_conflicting_transitions_are_each_recorded_once_or_refused(serve, server_database):
    server = serve(server_database)
    admin = create_token(server_database, "load-admin", "admin")
    coordinator = create_token(server_database, "load-coordinator", "coordinator", "--all-units")
    members = seed_members(server, admin, 3, prefix="RACE")

    load = Load(server, coordinator, members, clients=12, per_client=25).run()
    database = server_database.split(":")[0].split("+")[0]
    print("\n" + load.summary(f"concurrency, {database}"))

    assert len(load.shots) == 12 * 25
    assert {s.status for s in load.shots} <= {201, 409}, load.summary("statuses")
    assert {s.error for s in load.shots if s.status == 409} <= {
        "invalid_trigger", "version_conflict", "guards_unmet"}
    acknowledged = {s.event_id for s in load.acknowledged()}
    assert acknowledged, "no transition succeeded at all"
    recorded = events_of(server_database, members)
    assert set(recorded) == acknowledged
    assert len(recorded) == len(load.acknowledged())
    assert history_problems(server_database, members) == []
    assert integrity_problems(server_database) == []
    checked = pathway_check(server_database)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_long_addresses_are_refused_and_long_headers_reach_the_app(serve, server_database):
    server = serve(server_database)
    admin = create_token(server_database, "long-admin", "admin")
    # Past gunicorn's request-line limit: its own 414, before any worker reads on.
    too_long = server.request("GET", "/api/v1/units/" + "a" * 10_000, token=admin)
    assert too_long.status == 414
    # Within it but longer than any address of the API: the API's JSON 414.
    long_path = server.request("GET", "/api/v1/units/" + "a" * 5_000, token=admin)
    assert long_path.status == 414
    assert long_path.body["error"] == "address_too_long"
    big_header = server.request("GET", "/api/v1/units", token=admin,
                                headers={"X-Padding": "b" * 20_000})
    assert big_header.status == 200
    assert "items" in big_header.body
