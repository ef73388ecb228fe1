"""The read audit for list pages and reports: every member shown to someone else is recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from pathway.store.db import unit_of_work
from pathway.store.models import AccessRecord

API = "/api/v1"
NAME = "Jane Example"


def _log(db_url, member_id):  # type: ignore[no-untyped-def]
    """(actor, role, action) of a member's access records, oldest first."""
    with unit_of_work(db_url, write=False) as s:
        return [(r.actor, r.role, r.action) for r in s.scalars(
            select(AccessRecord).where(AccessRecord.member_id == member_id)
            .order_by(AccessRecord.id))]


def _records(db_url) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(db_url, write=False) as s:
        return int(s.scalar(select(func.count()).select_from(AccessRecord)) or 0)


@pytest.fixture
def inserts() -> Iterator[list[str]]:
    """The INSERT statements into the access log run while the test runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO ACCESS_LOG"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    yield seen
    event.remove(Engine, "before_cursor_execute", note)


def test_coordinators_list_read_is_in_each_listed_members_access_log(client, auth, member, unit,
                                                                     db_url, inserts):
    unit("north")
    listed = [member(unit="north", display_name=f"{NAME} {n}") for n in range(3)]
    elsewhere = member(unit="cefn-yr-afon")
    coordinator = auth("coordinator", units=["north"], name="Cerys Coordinator")

    answer = client.get(f"{API}/members?unit=north&page_size=500", headers=coordinator)
    assert answer.status_code == 200
    assert sorted(m["id"] for m in answer.get_json()["items"]) == sorted(listed)

    for member_id in listed:
        assert _log(db_url, member_id) == [("Cerys Coordinator", "coordinator", "list")]
    assert _log(db_url, elsewhere) == []
    assert len(inserts) == 1, "one INSERT for the whole page, not one per member"

    # The member sees the list read in their own "who looked at my record".
    own = auth("member", member_id=listed[0])
    log = client.get(f"{API}/members/{listed[0]}/access-log", headers=own).get_json()
    assert [(r["actor"], r["action"]) for r in log["items"]] == [("Cerys Coordinator", "list")]


def test_only_the_members_on_the_page_are_recorded(client, auth, member, db_url):
    ids = [member() for _ in range(3)]
    page = client.get(f"{API}/members?page_size=2", headers=auth("admin", name="Ada Admin"))
    shown = {m["id"] for m in page.get_json()["items"]}
    assert len(shown) == 2
    for member_id in ids:
        expected = [("Ada Admin", "admin", "list")] if member_id in shown else []
        assert _log(db_url, member_id) == expected


def test_a_member_listing_their_own_record_does_not_log_themselves(client, auth, member, db_url):
    member_id = member()
    member()
    own = auth("member", member_id=member_id)
    answer = client.get(f"{API}/members", headers=own)
    assert answer.status_code == 200
    assert [m["id"] for m in answer.get_json()["items"]] == [member_id]
    assert _records(db_url) == 0


def test_readiness_list_records_each_member_once(client, auth, member, db_url, inserts):
    ids = [member(), member()]
    lead = auth("training_lead", name="Tomos Lead")
    answer = client.get(f"{API}/readiness?page_size=500", headers=lead)
    assert answer.status_code == 200
    rows = answer.get_json()["items"]
    assert {r["member_id"] for r in rows} == set(ids)
    for member_id in ids:
        # One record per member even when the page holds a row per award for them.
        assert _log(db_url, member_id) == [("Tomos Lead", "training_lead", "readiness_list")]
    assert len(inserts) == 1


def test_summary_references_are_recorded_for_record_readers(client, auth, member, db_url):
    waiting = [member(reference="SU-0001"), member(reference="SU-0002")]
    query = f"{API}/reports/summary?from=2026-01-01&to=2026-06-30"
    body = client.get(query, headers=auth("coordinator", name="Cerys Coordinator")).get_json()
    assert {w["reference"] for w in body["waiting_longest"]} == {"SU-0001", "SU-0002"}
    for member_id in waiting:
        assert _log(db_url, member_id) == [("Cerys Coordinator", "coordinator",
                                            "summary_waiting")]


def test_aggregate_reports_without_references_record_nothing(client, auth, member, db_url):
    member(reference="SU-0001")
    query = f"{API}/reports/summary?from=2026-01-01&to=2026-06-30"
    viewer = client.get(query, headers=auth("viewer")).get_json()
    assert (viewer["waiting_longest"], viewer["waiting_withheld"]) == ([], True)
    published = client.get(f"{query}&suppress=true", headers=auth("admin")).get_json()
    assert published["waiting_longest"] == []
    assert client.get(f"{API}/reports/level-distribution", headers=auth("admin")).status_code == 200
    assert _records(db_url) == 0


def test_failed_list_requests_record_nothing(app, client, auth, member, db_url, monkeypatch):
    member(display_name=NAME)
    coordinator = auth("coordinator")
    assert client.get(f"{API}/members?unit=nowhere", headers=coordinator).status_code == 404
    assert client.get(f"{API}/members?page_size=0", headers=coordinator).status_code == 422

    # Members were noted for the audit, then the answer failed: nothing was shown, nothing kept.
    from api import members as members_api

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("dump failed")

    monkeypatch.setattr(members_api, "member_view", broken)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    assert app.test_client().get(f"{API}/members", headers=coordinator).status_code == 500
    assert _records(db_url) == 0


def test_list_read_fails_rather_than_go_unrecorded(app, auth, member, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from api import privacy as privacy_api

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    member(display_name=NAME)
    monkeypatch.setattr(privacy_api.audit, "record_reads", broken)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    answer = app.test_client().get(f"{API}/members", headers=auth("coordinator"))
    assert answer.status_code == 500
    assert NAME not in answer.get_data(as_text=True)
