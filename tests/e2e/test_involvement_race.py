"""Clients booking the same member at the same moment on a real server: a benefit-safe limit
holds however the bookings interleave."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import create_token, pathway_check, seed_members

pytestmark = pytest.mark.slow

CLIENTS = 8
EACH_PENCE = 300
LIMIT_PENCE = 1000  # room for three bookings, not four


def test_simultaneous_bookings_never_go_over_a_limit_together(serve, server_database):
    server = serve(server_database)
    admin = create_token(server_database, "race-admin", "admin")
    coordinator = create_token(server_database, "race-coordinator", "coordinator",
                               "--all-units")
    member_id = seed_members(server, admin, 1, prefix="LIMIT")[0]
    limits = server.request("PUT", f"/api/v1/members/{member_id}/benefit-limits",
                            {"rules": ["custom"],
                             "custom": {"period": "week", "limit_pence": LIMIT_PENCE}},
                            coordinator)
    assert limits.status == 200, limits

    def book(_: int) -> tuple[int, str | None]:
        answer = server.request("POST", f"/api/v1/members/{member_id}/involvement",
                                {"activity": "community_meeting", "on": "2026-02-04",
                                 "hours": 1, "payment": "paid", "amount_pence": EACH_PENCE},
                                coordinator)
        return answer.status, (answer.body or {}).get("error")

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = list(pool.map(book, range(CLIENTS)))

    assert sorted(status for status, _ in answers) == [201] * 3 + [409] * (CLIENTS - 3), answers
    assert {error for status, error in answers if status == 409} == {"benefit_limit"}
    listed = server.request("GET", f"/api/v1/members/{member_id}/involvement", token=coordinator)
    assert sum(item["amount_pence"] for item in listed.body["items"]) == 3 * EACH_PENCE
    checked = pathway_check(server_database)
    assert checked.returncode == 0, checked.stdout + checked.stderr
