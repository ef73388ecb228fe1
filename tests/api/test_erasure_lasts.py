"""Erasure lasts: after it, no display name or free text is kept about the member until an
admin restores personal data, saying why; and erasing again erases whatever was added since."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathway.store.db import unit_of_work
from pathway.store.models import ChangeRecord, Event, Member

pytestmark = pytest.mark.postgres

NAME = "Jane Example"


def erase(client, member_id, headers, reason="Erasure request ER-17"):
    return client.post(f"/api/v1/members/{member_id}/erase", headers=headers,
                       json={"reason": reason})


def restore(client, member_id, headers, reason="The member asked to be named again"):
    return client.post(f"/api/v1/members/{member_id}/restore-personal-data", headers=headers,
                       json={"reason": reason})


def pause(client, member_id, headers, reason):
    return client.post(f"/api/v1/members/{member_id}/pathway/transitions", headers=headers,
                       json={"trigger": "pause", "reason": reason})


def test_after_erasure_a_display_name_is_refused(client, auth, member):
    member_id = member(display_name=NAME)
    admin = auth("admin")
    assert erase(client, member_id, admin).status_code == 201
    renamed = client.patch(f"/api/v1/members/{member_id}", headers=admin,
                           json={"display_name": NAME})
    assert renamed.status_code == 409
    assert renamed.get_json()["error"] == "erased"
    assert "restore-personal-data" in renamed.get_json()["message"]
    shown = client.get(f"/api/v1/members/{member_id}", headers=admin).get_json()
    assert shown["display_name"] is None


def test_after_erasure_a_pause_with_a_reason_is_refused_and_one_without_is_not(client, auth,
                                                                               member, db_url):
    member_id = member(display_name=NAME)
    admin = auth("admin")
    assert erase(client, member_id, admin).status_code == 201
    refused = pause(client, member_id, admin, "Jane is in hospital")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "erased"
    assert client.post(f"/api/v1/members/{member_id}/pathway/transitions", headers=admin,
                       json={"trigger": "pause"}).status_code == 201
    with unit_of_work(db_url, write=False) as s:
        reasons = s.scalars(select(Event.reason).where(Event.member_id == member_id,
                                                       Event.trigger != "erase")).all()
    assert set(reasons) == {None}


def test_an_admin_restores_personal_data_with_a_reason_and_it_is_recorded(client, auth, member,
                                                                          db_url):
    member_id = member(display_name=NAME)
    admin = auth("admin", name="Ada Admin")
    assert erase(client, member_id, admin).status_code == 201
    assert restore(client, member_id, auth("coordinator")).status_code == 403
    missing = client.post(f"/api/v1/members/{member_id}/restore-personal-data", headers=admin,
                          json={})
    assert missing.status_code == 422
    assert restore(client, member_id, admin).status_code == 201
    renamed = client.patch(f"/api/v1/members/{member_id}", headers=admin,
                           json={"display_name": "Jane", "reason": "Asked to be named"})
    assert renamed.status_code == 200
    assert pause(client, member_id, admin, "Unwell this week").status_code == 201
    exported = client.get(f"/api/v1/members/{member_id}/export", headers=admin).get_json()
    assert [(c["action"], c["actor"], c["reason"]) for c in exported["changes"]] == [
        ("restore_personal_data", "Ada Admin", "The member asked to be named again"),
        ("rename", "Ada Admin", "Asked to be named")]


def test_restoring_what_is_not_erased_is_a_conflict(client, auth, member):
    member_id = member(display_name=NAME)
    answer = restore(client, member_id, auth("admin"))
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "not_erased"


def test_erasing_again_erases_what_was_added_since(client, auth, member, db_url):
    member_id = member(display_name=NAME)
    admin = auth("admin")
    assert erase(client, member_id, admin).status_code == 201
    assert restore(client, member_id, admin).status_code == 201
    client.patch(f"/api/v1/members/{member_id}", headers=admin,
                 json={"display_name": "Jane", "reason": "Jane asked"})
    assert pause(client, member_id, admin, "Jane is unwell").status_code == 201
    again = erase(client, member_id, admin, reason="Erasure request ER-18")
    assert again.status_code == 201
    assert again.get_json()["events_cleared"] >= 1
    with unit_of_work(db_url, write=False) as s:
        member = s.get(Member, member_id)
        assert member is not None
        assert member.display_name is None
        texts = s.execute(select(Event.reason, Event.note).where(
            Event.member_id == member_id, Event.trigger != "erase")).all()
        change_reasons = s.scalars(select(ChangeRecord.reason).where(
            ChangeRecord.member_id == member_id)).all()
    assert {t for row in texts for t in row} == {None}
    assert set(change_reasons) == {None}
    assert client.patch(f"/api/v1/members/{member_id}", headers=admin,
                        json={"display_name": "Jane"}).status_code == 409
