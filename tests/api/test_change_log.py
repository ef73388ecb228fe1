"""Every change keeps who, when and why: renaming a member or re-describing a unit is
recorded in the change log (the fields' names, never their values)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathway.store.db import unit_of_work
from pathway.store.models import ChangeRecord

pytestmark = pytest.mark.postgres


def changes(db_url):
    with unit_of_work(db_url, write=False) as s:
        return [(c.actor, c.role, c.member_id, c.unit_id, c.action, c.fields, c.reason,
                 c.at is not None)
                for c in s.scalars(select(ChangeRecord).order_by(ChangeRecord.id))]


def test_renaming_a_member_records_who_when_and_why(client, auth, member, db_url):
    member_id = member()
    coordinator = auth("coordinator", name="Cerys Coordinator")
    answer = client.patch(f"/api/v1/members/{member_id}", headers=coordinator,
                          json={"display_name": "Sam", "reason": "Prefers Sam"})
    assert answer.status_code == 200
    assert answer.get_json()["display_name"] == "Sam"
    assert changes(db_url) == [("Cerys Coordinator", "coordinator", member_id, None, "rename",
                                ["display_name"], "Prefers Sam", True)]


def test_a_reason_is_optional_for_a_rename(client, auth, member, db_url):
    member_id = member()
    assert client.patch(f"/api/v1/members/{member_id}", headers=auth("admin", name="Ada"),
                        json={"display_name": None}).status_code == 200
    assert changes(db_url)[0][4:7] == ("rename", ["display_name"], None)


def test_re_describing_a_unit_records_the_fields_that_changed(client, auth, unit, db_url):
    code = unit()
    answer = client.patch(f"/api/v1/units/{code}", headers=auth("admin", name="Ada Admin"),
                          json={"name": "Cefn yr Afon House", "kind": "open_rehab",
                                "reason": "New sign"})
    assert answer.status_code == 200
    assert answer.get_json()["name"] == "Cefn yr Afon House"
    (actor, role, member_id, unit_id, action, fields, reason, _) = changes(db_url)[0]
    assert (actor, role, member_id, action, fields, reason) == (
        "Ada Admin", "admin", None, "describe", ["name"], "New sign")
    assert unit_id is not None


def test_a_unit_patch_that_changes_nothing_records_nothing(client, auth, unit, db_url):
    code = unit()
    current = client.get(f"/api/v1/units/{code}", headers=auth("admin")).get_json()
    assert client.patch(f"/api/v1/units/{code}", headers=auth("admin"),
                        json={"name": current["name"]}).status_code == 200
    assert changes(db_url) == []
