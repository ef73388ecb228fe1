"""The training lead's page through Flask's test client: readiness, Award, and completions
running out in the next 30 / 60 / 90 days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import workflows
from pathway import clock
from pathway.engine import Actor, Firing
from pathway.people.access import Caller
from pathway.programme import milestones, training
from pathway.programme.expiring import expiring_completions
from pathway.store.db import unit_of_work
from pathway.store.models import AccessRecord, Member
from tests.api.pages_support import element_text, field_value, sign_in_as, text
from workflows.schema import Award

TZ = ZoneInfo("Europe/London")
STAFF = Actor(name="ward-coordinator", role="coordinator")


def foundation(catalogue: workflows.Catalogue) -> Award:
    definition = catalogue.pathway_for("service_user")
    return next(a for a in catalogue.awards.values()
                if a.kind == "service_user" and a.level == definition.initial)


def make_ready(db_url: str, catalogue: workflows.Catalogue, member_id: int) -> None:
    """Meet every criterion of the service user's first award."""
    with unit_of_work(db_url) as s:
        member = s.get_one(Member, member_id)
        for guard in foundation(catalogue).criteria:
            if guard.kind == "training":
                for trigger in ("enrol", "complete"):
                    training.move(s, catalogue, member, guard.target or "",
                                  Firing(trigger=trigger), STAFF, TZ)
            elif guard.kind == "milestones_at_level":
                for milestone in milestones.catalogue_for(catalogue, "service_user",
                                                          guard.target)[:guard.at_least or 1]:
                    milestones.record(s, catalogue, member, milestone.code, STAFF, TZ)


@pytest.fixture
def lead(client: FlaskClient, db_url: str, unit: Callable[..., str]) -> FlaskClient:
    unit("cefn-yr-afon")
    sign_in_as(client, db_url, "training_lead")
    return client


def test_readiness_says_what_is_missing_in_words_and_is_in_the_access_log(
        lead: FlaskClient, member: Callable[..., int], db_url: str,
        catalogue: workflows.Catalogue) -> None:
    waiting = member("service_user", reference="SU-0042")
    award = foundation(catalogue)
    page = lead.get(f"/readiness?award={award.code}").get_data(as_text=True)
    row = element_text(page, "readiness-table")
    assert "SU-0042" in row
    assert "Cefn Yr Afon" in row  # the unit by its name, as people know it
    assert "cefn-yr-afon" not in row
    assert "Not ready yet" in row
    assert "Training completed and in date" in row
    with unit_of_work(db_url) as s:
        assert list(s.scalars(select(AccessRecord.action)
                              .where(AccessRecord.member_id == waiting))) == ["readiness_list"]


def test_award_on_a_ready_member_makes_the_award(lead: FlaskClient, member: Callable[..., int],
                                                db_url: str,
                                                catalogue: workflows.Catalogue) -> None:
    ready = member("service_user", reference="SU-0042")
    make_ready(db_url, catalogue, ready)
    award = foundation(catalogue)
    page = lead.get(f"/readiness?award={award.code}&show=to_award").get_data(as_text=True)
    assert "Award" in text(element_text(page, "readiness-table"))

    done = lead.post("/readiness/award", data={
        "csrf_token": field_value(page, "csrf_token"), "member_id": ready, "award": award.code})

    assert done.status_code == 302
    after = lead.get(done.headers["Location"]).get_data(as_text=True)
    assert "Award made." in text(after)
    awarded = lead.get(f"/readiness?award={award.code}&show=awarded").get_data(as_text=True)
    assert "SU-0042" in element_text(awarded, "readiness-table")


def test_award_on_a_member_not_ready_is_refused_with_what_is_missing(
        lead: FlaskClient, member: Callable[..., int], catalogue: workflows.Catalogue) -> None:
    waiting = member("service_user", reference="SU-0042")
    page = lead.get("/readiness").get_data(as_text=True)
    refused = lead.post("/readiness/award", data={
        "csrf_token": field_value(page, "csrf_token"), "member_id": waiting,
        "award": foundation(catalogue).code})
    assert refused.status_code == 409
    assert "The award was not made" in text(refused.get_data(as_text=True))


def test_a_coordinator_has_no_readiness_page(client: FlaskClient, db_url: str) -> None:
    sign_in_as(client, db_url, "coordinator")
    assert client.get("/readiness").status_code == 404


def test_completions_are_counted_in_the_window_they_run_out_in(
        member: Callable[..., int], db_url: str, catalogue: workflows.Catalogue) -> None:
    module = next(m for m in catalogue.modules.values() if m.valid_for_days)
    valid = module.valid_for_days or 0
    today = clock.today(TZ)
    joined = today - timedelta(days=valid + 30)
    soon, later, lapsed = (member("service_user", reference=r, joined_on=joined)
                           for r in ("SU-0001", "SU-0002", "SU-0003"))
    completed = {soon: today - timedelta(days=valid - 10),  # runs out in 10 days
                 later: today - timedelta(days=valid - 75),  # in 75 days
                 lapsed: today - timedelta(days=valid + 5)}  # ran out 5 days ago
    with unit_of_work(db_url) as s:
        for member_id, day in completed.items():
            someone = s.get_one(Member, member_id)
            training.move(s, catalogue, someone, module.code, Firing(trigger="enrol", on=day),
                          STAFF, TZ)
            training.move(s, catalogue, someone, module.code,
                          Firing(trigger="complete", on=day), STAFF, TZ)
    with unit_of_work(db_url) as s:
        caller = Caller(user_id=0, name="lead", role="training_lead", all_units=True,
                        unit_ids=frozenset())
        (unit,) = expiring_completions(s, catalogue, caller, TZ)
    assert [item.reference for item in unit.items] == ["SU-0001", "SU-0002"]
    assert unit.counts == {30: 1, 60: 1, 90: 2}
    assert unit.items[0].expires_on == today + timedelta(days=10)
