"""UK GDPR: the read audit, subject access export and erasure."""

from __future__ import annotations

import json

from sqlalchemy import select

from pathway.engine import Actor, Firing, fire
from pathway.store.db import unit_of_work
from pathway.store.models import Event, IdempotentResponse, Instance, Member, User
from tests.conftest import TZ

COORDINATOR = Actor(name="Cerys Coordinator", role="coordinator")
NAME = "Jane Example"


def _fire(db_url, catalogue, member_id, machine, firing):  # type: ignore[no-untyped-def]
    with unit_of_work(db_url) as s:
        fire(s, catalogue, s.get(Member, member_id), machine, firing, COORDINATOR, TZ)


def _log(client, member_id, headers):  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/v1/members/{member_id}/access-log", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _history(db_url, member_id):  # type: ignore[no-untyped-def]
    with unit_of_work(db_url, write=False) as s:
        events = s.scalars(select(Event).where(Event.member_id == member_id).order_by(Event.id))
        return [(e.machine, e.trigger, e.from_state, e.to_state, e.effective_at, e.unit_id,
                 e.exit_reason, e.reason, e.note) for e in events]


# The read audit -----------------------------------------------------------------------------

def test_someone_elses_read_is_recorded_with_who_and_when(client, auth, member):
    member_id = member(display_name=NAME)
    coordinator = auth("coordinator", name="Cerys Coordinator")
    assert client.get(f"/api/v1/members/{member_id}", headers=coordinator).status_code == 200
    assert client.get(f"/api/v1/members/{member_id}/events", headers=coordinator).status_code == 200

    log = _log(client, member_id, auth("admin"))
    assert log["total"] == 2
    assert [(r["actor"], r["role"], r["action"]) for r in log["items"]] == [
        ("Cerys Coordinator", "coordinator", "read"), ("Cerys Coordinator", "coordinator", "read")]
    assert all(r["at"].endswith("+00:00") for r in log["items"])


def test_access_log_is_newest_first_and_paginated(client, auth, member):
    member_id = member()
    admin = auth("admin", name="Ada Admin")
    client.get(f"/api/v1/members/{member_id}", headers=auth("coordinator", name="First"))
    client.get(f"/api/v1/members/{member_id}", headers=auth("training_lead", name="Second"))
    client.get(f"/api/v1/members/{member_id}/export", headers=admin)

    page = client.get(f"/api/v1/members/{member_id}/access-log?page_size=2", headers=admin).get_json()
    assert page["total"] == 3
    assert page["page_size"] == 2
    assert [(r["actor"], r["action"]) for r in page["items"]] == [("Ada Admin", "export"),
                                                                  ("Second", "read")]
    rest = client.get(f"/api/v1/members/{member_id}/access-log?page=2&page_size=2",
                      headers=admin).get_json()
    # Reading the log is itself a read by someone else: it is newest now.
    assert rest["total"] == 4
    assert [(r["actor"], r["action"]) for r in rest["items"]] == [("Second", "read"),
                                                                 ("First", "read")]


def test_member_reading_their_own_record_is_not_recorded(client, auth, member):
    member_id = member()
    own = auth("member", member_id=member_id, name="Jane")
    assert client.get(f"/api/v1/members/{member_id}", headers=own).status_code == 200
    assert client.get(f"/api/v1/members/{member_id}/export", headers=own).status_code == 200
    assert _log(client, member_id, own)["total"] == 0


def test_refused_and_writing_requests_are_not_recorded_as_reads(client, auth, member, unit):
    unit("elsewhere")
    member_id = member()
    outsider = auth("coordinator", units=["elsewhere"])
    assert client.get(f"/api/v1/members/{member_id}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/members/{member_id}", headers=auth("viewer")).status_code == 403
    assert client.get(f"/api/v1/members/{member_id}").status_code == 401
    changed = client.patch(f"/api/v1/members/{member_id}", headers=auth("coordinator"),
                           json={"display_name": "New"})
    assert changed.status_code == 200
    assert _log(client, member_id, auth("admin"))["total"] == 0


def test_access_log_is_for_admins_and_the_member_themself(client, auth, member):
    member_id = member()
    other_id = member()
    url = f"/api/v1/members/{member_id}/access-log"
    assert client.get(url, headers=auth("coordinator")).status_code == 403
    assert client.get(url, headers=auth("training_lead")).status_code == 403
    assert client.get(url, headers=auth("viewer")).status_code == 403
    assert client.get(url, headers=auth("member", member_id=other_id)).status_code == 404
    assert client.get(url, headers=auth("member", member_id=member_id)).status_code == 200
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/members/999999/access-log", headers=auth("admin")).status_code == 404


# Subject access export ----------------------------------------------------------------------

def test_export_holds_everything_about_the_member(client, auth, member, db_url, catalogue, token):
    member_id = member(display_name=NAME)
    _fire(db_url, catalogue, member_id, "training:three_levels_awareness", Firing(trigger="enrol"))
    _fire(db_url, catalogue, member_id, "training:three_levels_awareness",
          Firing(trigger="complete", note="Passed the course"))
    for code in ("buddy_assigned", "involvement_information_received", "welcome_meeting"):
        if code in catalogue.all_milestone_codes():
            _fire(db_url, catalogue, member_id, f"milestone:{code}",
                  Firing(trigger="achieve", note=f"Evidence for {code}"))
    _fire(db_url, catalogue, member_id, "pathway", Firing(trigger="pause", reason="Unwell for a while"))
    secret = token("member", member_id=member_id, name="Jane's account")
    client.get(f"/api/v1/members/{member_id}", headers=auth("coordinator", name="Cerys"))

    answer = client.get(f"/api/v1/members/{member_id}/export", headers=auth("admin"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) == {"exported_at", "member", "unit", "pathway", "instances", "events",
                         "accreditations", "access_log", "users", "changes", "involvement",
                         "benefit_limits", "proposals"}
    assert body["member"]["display_name"] == NAME
    assert body["member"]["erased_at"] is None
    assert body["unit"]["code"] == "cefn-yr-afon"
    assert body["pathway"]["status"] == "paused"
    machines = {i["machine"]: i["state"] for i in body["instances"]}
    assert machines["pathway"] == "level_1.paused"
    assert machines["training:three_levels_awareness"] == "completed"
    assert body["instances"][0]["machine"] == "pathway"
    ids = [e["id"] for e in body["events"]]
    assert ids == sorted(ids)
    assert body["events"][0]["trigger"] == "register"
    assert {e["machine"] for e in body["events"]} >= {"pathway", "training:three_levels_awareness"}
    assert "Unwell for a while" in [e["reason"] for e in body["events"]]
    assert "Passed the course" in [e["note"] for e in body["events"]]
    assert [(r["actor"], r["action"]) for r in body["access_log"]] == [("Cerys", "read")]
    assert [(u["name"], u["role"]) for u in body["users"]] == [("Jane's account", "member")]
    with unit_of_work(db_url, write=False) as s:
        digest = s.scalars(select(User.token_hash).where(User.member_id == member_id)).one()
    assert digest not in answer.get_data(as_text=True)
    assert secret not in answer.get_data(as_text=True)
    assert "token_hash" not in answer.get_data(as_text=True)


def test_export_lists_accreditations(client, auth, member, db_url, catalogue):
    member_id = member()
    _fire(db_url, catalogue, member_id, "training:three_levels_awareness", Firing(trigger="enrol"))
    _fire(db_url, catalogue, member_id, "training:three_levels_awareness", Firing(trigger="complete"))
    for milestone in [m for m in catalogue.milestones_for("service_user")
                      if m.level == "level_1"][:3]:
        _fire(db_url, catalogue, member_id, f"milestone:{milestone.code}", Firing(trigger="achieve"))
    _fire(db_url, catalogue, member_id, "award:su_foundation", Firing(trigger="award"))

    body = client.get(f"/api/v1/members/{member_id}/export", headers=auth("admin")).get_json()
    assert [a["award"] for a in body["accreditations"]] == ["su_foundation"]
    assert body["accreditations"][0]["title"] == catalogue.awards["su_foundation"].title


def test_member_exports_their_own_record_and_no_one_elses(client, auth, member):
    member_id = member()
    other_id = member()
    own = auth("member", member_id=member_id)
    assert client.get(f"/api/v1/members/{member_id}/export", headers=own).status_code == 200
    assert client.get(f"/api/v1/members/{other_id}/export", headers=own).status_code == 404
    assert client.get(f"/api/v1/members/{member_id}/export",
                      headers=auth("coordinator")).status_code == 403


def test_export_schema_declares_every_field(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert {"events", "accreditations", "access_log", "users"} <= set(schemas["Export"]["properties"])
    assert "token_hash" not in json.dumps(schemas)


# Erasure ------------------------------------------------------------------------------------

def _erase(client, member_id, headers, reason="Erasure request ER-17"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/members/{member_id}/erase", headers=headers,
                       json={"reason": reason})


def test_erasure_removes_free_text_and_keeps_coded_history(client, auth, member, db_url,
                                                            catalogue, token):
    member_id = member(display_name=NAME)
    _fire(db_url, catalogue, member_id, "milestone:buddy_assigned",
          Firing(trigger="achieve", note="Buddy is Sam, met on the ward"))
    _fire(db_url, catalogue, member_id, "pathway", Firing(trigger="pause", reason="Readmitted"))
    _fire(db_url, catalogue, member_id, "pathway", Firing(trigger="resume", reason="Back home"))
    token("member", member_id=member_id, name=NAME)
    before = _history(db_url, member_id)

    answer = _erase(client, member_id, auth("admin"))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["events_cleared"] == 3
    assert body["event"]["trigger"] == "erase"
    assert body["event"]["reason"] == "Erasure request ER-17"
    assert body["event"]["from_state"] == body["event"]["to_state"] == "level_1"

    after = _history(db_url, member_id)
    assert [row[:7] for row in after[:-1]] == [row[:7] for row in before]
    assert all(row[7] is None and row[8] is None for row in after[:-1])
    with unit_of_work(db_url, write=False) as s:
        erased = s.get(Member, member_id)
        assert erased.display_name is None
        assert erased.erased_at is not None
        assert erased.reference  # the pseudonymous reference stays
        assert s.scalars(select(User.name).where(User.member_id == member_id)).all() == [
            "erased member"]
        assert s.scalars(select(Instance.state).where(Instance.member_id == member_id,
                                                      Instance.machine == "pathway")).one() \
            == "level_1"
    shown = client.get(f"/api/v1/members/{member_id}", headers=auth("admin")).get_json()
    assert shown["display_name"] is None
    export = client.get(f"/api/v1/members/{member_id}/export", headers=auth("admin"))
    text = export.get_data(as_text=True)
    for words in (NAME, "Buddy is Sam", "Readmitted", "Back home"):
        assert words not in text


def test_erasure_clears_stored_idempotent_answers(client, auth, member, db_url):
    member_id = member(display_name=NAME)
    coordinator = auth("coordinator")
    request = {"trigger": "pause", "reason": "Told us about a hospital stay"}
    keyed = {**coordinator, "Idempotency-Key": "pause-1"}
    url = f"/api/v1/members/{member_id}/pathway/transitions"
    assert client.post(url, headers=keyed, json=request).status_code == 201
    assert _erase(client, member_id, auth("admin")).status_code == 201

    replay = client.post(url, headers=keyed, json=request)
    assert replay.status_code == 201
    assert replay.get_json()["event"]["reason"] is None
    with unit_of_work(db_url, write=False) as s:
        stored = s.scalars(select(IdempotentResponse.body)).all()
    assert "hospital stay" not in json.dumps(stored)


def test_erasure_keeps_integrity_check_holding(client, auth, member, db_url, catalogue):
    integrity = __import__("pytest").importorskip("pathway.ops.integrity")
    member_id = member(display_name=NAME)
    _fire(db_url, catalogue, member_id, "pathway", Firing(trigger="pause", reason="Unwell"))
    assert _erase(client, member_id, auth("admin")).status_code == 201
    with unit_of_work(db_url, write=False) as s:
        report = integrity.check(s, catalogue)
    assert report.holds, report.problems


def test_erasure_needs_a_reason(client, auth, member):
    member_id = member(display_name=NAME)
    admin = auth("admin")
    url = f"/api/v1/members/{member_id}/erase"
    missing = client.post(url, headers=admin, json={})
    assert missing.status_code == 422
    assert "reason" in missing.get_json()["errors"]
    assert client.post(url, headers=admin, json={"reason": "   "}).status_code == 422
    assert client.post(url, headers=admin).status_code == 422
    assert client.get(f"/api/v1/members/{member_id}", headers=admin).get_json()["display_name"] == NAME


def test_a_second_erasure_is_recorded_again(client, auth, member):
    member_id = member(display_name=NAME)
    admin = auth("admin")
    assert _erase(client, member_id, admin).status_code == 201
    again = _erase(client, member_id, admin, reason="Erasure request ER-18")
    assert again.status_code == 201
    assert again.get_json()["event"]["reason"] == "Erasure request ER-18"


def test_erasure_is_for_admins_only(client, auth, member):
    member_id = member(display_name=NAME)
    assert _erase(client, member_id, auth("coordinator")).status_code == 403
    assert _erase(client, member_id, auth("member", member_id=member_id)).status_code == 403
    assert _erase(client, member_id, {}).status_code == 401
    assert _erase(client, 424242, auth("admin")).status_code == 404


def test_erasure_is_recorded_in_the_history(client, auth, member):
    member_id = member(display_name=NAME)
    admin = auth("admin", name="Ada Admin")
    assert _erase(client, member_id, admin).status_code == 201
    events = client.get(f"/api/v1/members/{member_id}/events", headers=admin).get_json()["items"]
    assert [(e["trigger"], e["actor"]) for e in events] == [("register", "test"),
                                                            ("erase", "Ada Admin")]


def test_read_fails_rather_than_go_unrecorded(app, auth, member, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from api import privacy as privacy_api

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    member_id = member(display_name=NAME)
    monkeypatch.setattr(privacy_api.audit, "record_read", broken)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    answer = app.test_client().get(f"/api/v1/members/{member_id}", headers=auth("coordinator"))
    assert answer.status_code == 500
    assert NAME not in answer.get_data(as_text=True)
