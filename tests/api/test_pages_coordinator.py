"""The coordinator's pages through Flask's test client: what each page says and what its
forms change (the browser tests walk the same flows in Chromium)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import workflows
from pathway.engine import PATHWAY, Actor, Firing, fire
from pathway.people.members import pathway_of
from pathway.store.db import unit_of_work
from pathway.store.models import AccessRecord, Event, Member
from tests.api.pages_support import buttons, element_text, form_data, sign_in_as, text

STAFF = Actor(name="someone-else", role="coordinator")
ADVANCE = "advance"  # the trigger names as the catalogue's definitions spell them
EXIT = "exit"


@pytest.fixture
def coordinator(client: FlaskClient, db_url: str, unit: Callable[..., str]) -> FlaskClient:
    unit("cefn-yr-afon")
    unit("ty-gwyn")
    sign_in_as(client, db_url, "coordinator", units=["cefn-yr-afon"])
    return client


def reads(db_url: str, member_id: int) -> list[str]:
    with unit_of_work(db_url) as s:
        return list(s.scalars(select(AccessRecord.action)
                              .where(AccessRecord.member_id == member_id)))


def level_of(db_url: str, member_id: int) -> tuple[str | None, str | None]:
    with unit_of_work(db_url) as s:
        instance = pathway_of(s, s.get_one(Member, member_id))
        return instance.level, instance.status


def test_the_units_overview_counts_each_unit_in_scope_and_names_the_longest_waits(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str) -> None:
    waiting = member("service_user", reference="SU-0042")
    member("carer", reference="CA-0001")
    member("service_user", unit="ty-gwyn", reference="SU-0900")

    page = coordinator.get("/units").get_data(as_text=True)

    table = element_text(page, "distribution-table")
    assert "Cefn Yr Afon" in table
    assert "Ty Gwyn" not in table
    assert "Level 1 – Laying the foundation" in table
    assert 'src="/units/chart.svg"' in page
    assert "SU-0042" in element_text(page, "waiting-longest")
    assert "SU-0900" not in text(page)
    assert f'href="/members/{waiting}"' in page
    assert reads(db_url, waiting) == ["summary_waiting"]


def test_the_units_chart_is_an_svg_drawn_from_the_same_counts(coordinator: FlaskClient,
                                                               member: Callable[..., int]) -> None:
    member("service_user")
    answer = coordinator.get("/units/chart.svg")
    assert answer.mimetype == "image/svg+xml"
    assert "cefn-yr-afon" in answer.get_data(as_text=True)


def test_a_unit_page_filters_by_level_and_finds_a_member_by_part_of_the_reference(
        coordinator: FlaskClient, member: Callable[..., int],
        catalogue: workflows.Catalogue) -> None:
    member("service_user", reference="SU-0042")
    member("service_user", reference="SU-0043")
    second = catalogue.pathway_for("service_user").levels[1].code

    found = text(coordinator.get("/units/cefn-yr-afon?reference=0042").get_data(as_text=True))
    assert "SU-0042" in found
    assert "SU-0043" not in found
    at_level_2 = coordinator.get(f"/units/cefn-yr-afon?level={second}").get_data(as_text=True)
    assert "No members match" in text(at_level_2)


def test_a_unit_page_pages_through_members_without_javascript(
        coordinator: FlaskClient, member: Callable[..., int]) -> None:
    for number in range(30):
        member("carer", reference=f"CA-{number:04d}")
    first = coordinator.get("/units/cefn-yr-afon").get_data(as_text=True)
    assert "CA-0000" in first
    assert "CA-0029" not in first
    assert 'href="/units/cefn-yr-afon?page=2"' in first
    second = coordinator.get("/units/cefn-yr-afon?page=2").get_data(as_text=True)
    assert "CA-0029" in second


def test_a_unit_out_of_scope_is_page_not_found(coordinator: FlaskClient) -> None:
    assert coordinator.get("/units/ty-gwyn").status_code == 404


def test_the_member_page_says_where_they_are_in_words_and_is_in_the_access_log(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str) -> None:
    someone = member("service_user", reference="SU-0042")

    page = coordinator.get(f"/members/{someone}").get_data(as_text=True)

    assert "<title>SU-0042 – Pathway</title>" in page
    words = text(page)
    assert "Level 1 – Laying the foundation" in words
    assert "Next step" in words
    assert "Not met yet" in words
    assert {"Advance", "Pause", "Exit", "Transfer"} <= set(buttons(page))
    assert "Step back" not in buttons(page)
    assert "Resume" not in buttons(page)
    assert reads(db_url, someone) == ["read"]


def test_a_member_out_of_scope_is_page_not_found_and_not_logged(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str) -> None:
    elsewhere = member("service_user", unit="ty-gwyn")
    answer = coordinator.get(f"/members/{elsewhere}")
    assert answer.status_code == 404
    assert "Page not found" in text(answer.get_data(as_text=True))
    assert reads(db_url, elsewhere) == []


def test_advancing_without_ticking_the_override_changes_nothing_and_says_why(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str) -> None:
    someone = member("service_user")
    form = coordinator.get(f"/members/{someone}/actions/{ADVANCE}").get_data(as_text=True)
    assert "Go ahead without the advisory criteria" in text(form)

    answer = coordinator.post(f"/members/{someone}/actions/{ADVANCE}",
                              data=form_data(form, reason="Ready in every way that matters"))

    assert answer.status_code == 422
    assert "Nothing was changed" in text(answer.get_data(as_text=True))
    assert level_of(db_url, someone)[0] == "level_1"


def test_advancing_with_the_override_and_a_reason_moves_them_on_and_shows_it_in_the_history(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str) -> None:
    someone = member("service_user")
    form = coordinator.get(f"/members/{someone}/actions/{ADVANCE}").get_data(as_text=True)

    answer = coordinator.post(f"/members/{someone}/actions/{ADVANCE}", data=form_data(
        form, override="y", reason="Chaired the ward meeting twice"))

    assert answer.status_code == 302
    page = coordinator.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Advance recorded." in text(page)
    history = element_text(page, "history-table")
    assert "Chaired the ward meeting twice" in history
    assert "Went ahead without advisory criteria" in history
    assert level_of(db_url, someone)[0] == "level_2"


def test_the_override_needs_a_reason(coordinator: FlaskClient, member: Callable[..., int],
                                     db_url: str) -> None:
    someone = member("service_user")
    form = coordinator.get(f"/members/{someone}/actions/{ADVANCE}").get_data(as_text=True)
    answer = coordinator.post(f"/members/{someone}/actions/{ADVANCE}",
                              data=form_data(form, override="y"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'href="#reason"' in page
    assert 'id="reason-error"' in page
    assert level_of(db_url, someone)[0] == "level_1"


def test_a_form_drawn_before_someone_else_changed_the_record_writes_nothing(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str,
        catalogue: workflows.Catalogue) -> None:
    someone = member("service_user")
    form = coordinator.get(f"/members/{someone}/actions/{ADVANCE}").get_data(as_text=True)
    with unit_of_work(db_url) as s:
        fire(s, catalogue, s.get_one(Member, someone), PATHWAY,
             Firing(trigger=ADVANCE, override=True, reason="done elsewhere"), STAFF,
             __import__("zoneinfo").ZoneInfo("Europe/London"))

    answer = coordinator.post(f"/members/{someone}/actions/{ADVANCE}", data=form_data(
        form, override="y", reason="Chaired the ward meeting twice"))

    page = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "The record has changed since you opened it" in text(page)
    assert "Level 2 – Identifying and building skills" in element_text(page, "record-now")
    assert level_of(db_url, someone)[0] == "level_2"


def test_an_exit_asks_the_reason_for_leaving_from_the_catalogue_and_a_reason(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str,
        catalogue: workflows.Catalogue) -> None:
    someone = member("carer")
    reasons = catalogue.pathway_for("carer").exit_reasons
    form = coordinator.get(f"/members/{someone}/actions/{EXIT}").get_data(as_text=True)
    assert "Reason for leaving" in text(form)
    assert "Caring role ended" in text(form)

    refused = coordinator.post(f"/members/{someone}/actions/{EXIT}", data=form_data(form))
    assert refused.status_code == 422
    assert 'href="#exit_reason"' in refused.get_data(as_text=True)

    done = coordinator.post(f"/members/{someone}/actions/{EXIT}", data=form_data(
        form, exit_reason=reasons[1], reason="Their mother has moved into a home"))
    assert done.status_code == 302
    assert level_of(db_url, someone)[1] == "exited"


def test_a_leavers_own_words_go_with_their_exit_and_are_asked_only_on_leaving(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str,
        catalogue: workflows.Catalogue) -> None:
    someone = member("service_user")
    pause = coordinator.get(f"/members/{someone}/actions/pause").get_data(as_text=True)
    assert "Their feedback" not in text(pause)
    form = coordinator.get(f"/members/{someone}/actions/{EXIT}").get_data(as_text=True)
    assert "Their feedback on the service (optional)" in text(form)

    done = coordinator.post(f"/members/{someone}/actions/{EXIT}", data=form_data(
        form, exit_reason=catalogue.pathway_for("service_user").exit_reasons[0],
        reason="Moved out of area", feedback="  The groups helped; the times did not suit me. "))
    assert done.status_code == 302
    with unit_of_work(db_url, write=False) as session:
        exit_event = session.scalars(select(Event).where(Event.member_id == someone)
                                     .order_by(Event.id.desc())).first()
        assert exit_event is not None
        assert (exit_event.trigger, exit_event.reason, exit_event.note) == (
            EXIT, "Moved out of area", "The groups helped; the times did not suit me.")


def test_an_action_the_state_does_not_allow_is_page_not_found(
        coordinator: FlaskClient, member: Callable[..., int]) -> None:
    someone = member("service_user")
    assert coordinator.get(f"/members/{someone}/actions/resume").status_code == 404


def test_a_confirmation_without_its_csrf_token_is_refused(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str) -> None:
    someone = member("service_user")
    form = coordinator.get(f"/members/{someone}/actions/pause").get_data(as_text=True)
    data = form_data(form, reason="On leave")
    del data["csrf_token"]
    assert coordinator.post(f"/members/{someone}/actions/pause", data=data).status_code == 400
    assert level_of(db_url, someone)[1] == "active"


def test_a_transfer_offers_only_units_in_scope_and_moves_the_member(
        client: FlaskClient, db_url: str, unit: Callable[..., str],
        member: Callable[..., int]) -> None:
    for code in ("cefn-yr-afon", "ty-gwyn", "elsewhere"):
        unit(code)
    sign_in_as(client, db_url, "coordinator", units=["cefn-yr-afon", "ty-gwyn"])
    someone = member("staff")
    form = client.get(f"/members/{someone}/actions/transfer").get_data(as_text=True)
    assert "Ty Gwyn" in form
    assert "Elsewhere" not in form

    done = client.post(f"/members/{someone}/actions/transfer", data=form_data(
        form, unit="ty-gwyn", reason="Moved to the step-down house"))
    assert done.status_code == 302
    with unit_of_work(db_url) as s:
        assert s.get_one(Member, someone).unit.code == "ty-gwyn"


def test_a_milestone_is_recorded_with_its_evidence(coordinator: FlaskClient,
                                                   member: Callable[..., int],
                                                   catalogue: workflows.Catalogue) -> None:
    someone = member("service_user")
    milestone = catalogue.milestones_for("service_user")[0]
    page = coordinator.get(f"/members/{someone}").get_data(as_text=True)

    done = coordinator.post(f"/members/{someone}/milestones", data={
        "csrf_token": form_data(page)["csrf_token"], "code": milestone.code,
        "evidence": "Buddy named in the care plan"})

    assert done.status_code == 302
    after = text(coordinator.get(done.headers["Location"]).get_data(as_text=True))
    assert "Milestone recorded." in after
    assert "Buddy named in the care plan" in after


def test_a_viewer_cannot_open_a_member_page(client: FlaskClient, db_url: str,
                                            member: Callable[..., int]) -> None:
    someone = member("service_user")
    sign_in_as(client, db_url, "viewer")
    assert client.get(f"/members/{someone}").status_code == 404
