"""The involvement and payment page through Flask's test client: booking, a refusal over a
limit and going ahead as the member's choice, moving records on, limits, and the member's
own read-only view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from pathway import clock
from pathway.people import passwords, sign_in
from pathway.people.users import create_user
from pathway.store.db import unit_of_work
from pathway.store.models import AccessRecord, Login
from tests.api.pages_support import PASSWORD, buttons, element_text, form_data, sign_in_as, text


@pytest.fixture
def coordinator(client: FlaskClient, db_url: str, unit: Callable[..., str]) -> FlaskClient:
    unit("cefn-yr-afon")
    sign_in_as(client, db_url, "coordinator", units=["cefn-yr-afon"], name="Bethan")
    return client


def sign_in_member(client: FlaskClient, db_url: str, member_id: int) -> None:
    with unit_of_work(db_url) as s:
        user, _ = create_user(s, "the member", "member", member_id=member_id)
        sign_in.set_password(s, user, PASSWORD)
        login = s.get_one(Login, user.id)
        user_id, fingerprint = user.id, passwords.fingerprint(login.password_hash)
    now = clock.now().timestamp()
    with client.session_transaction() as session:
        session.clear()
        session.update({"user_id": user_id, "password": fingerprint, "signed_in_at": now,
                        "seen_at": now})


def booking(page: str, **fields: str) -> dict[str, str]:
    return form_data(page, **{"activity": "community_meeting", "on": "2025-06-04", "hours": "2",
                              "payment": "paid", "amount": "", "expenses": "", "note": "",
                              **fields})


def test_the_member_page_links_to_involvement_and_the_page_says_limits_are_no_advice(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str) -> None:
    member_id = member(reference="SU-0042")
    page = coordinator.get(f"/members/{member_id}").get_data(as_text=True)
    assert f'href="/members/{member_id}/involvement"' in page
    page = coordinator.get(f"/members/{member_id}/involvement").get_data(as_text=True)
    assert "<title>Involvement and payment – SU-0042 – Pathway</title>" in page
    guardrail = element_text(page, "guardrail")
    assert "not benefits advice" in guardrail
    assert "Citizens Advice" in guardrail
    assert "Jobcentre Plus" in guardrail
    with unit_of_work(db_url) as s:
        assert "read" in s.scalars(select(AccessRecord.action)
                                   .where(AccessRecord.member_id == member_id)).all()


def test_booking_from_the_page_uses_the_rate_and_shows_the_record(
        coordinator: FlaskClient, member: Callable[..., int]) -> None:
    member_id = member(joined_on=date(2024, 1, 8))
    url = f"/members/{member_id}/involvement"
    page = coordinator.get(url).get_data(as_text=True)
    done = coordinator.post(url, data=booking(page, expenses="3.40", note="Bus fare"))
    assert done.status_code == 302
    page = coordinator.get(done.headers["Location"]).get_data(as_text=True)
    assert "Involvement booked." in text(page)
    table = element_text(page, "involvement-table")
    assert "4 June 2025 Community meeting Bus fare 2 Paid £12.00 £3.40 Booked" in table
    assert {"Mark done", "Cancel"} <= {b.split(" Community")[0] for b in buttons(page)}
    history = text(coordinator.get(f"/members/{member_id}").get_data(as_text=True))
    assert "Involvement “Community meeting, 4 June 2025”: book" in history  # never a number


def test_over_a_limit_the_page_says_so_and_the_members_choice_goes_ahead_with_a_reason(
        coordinator: FlaskClient, member: Callable[..., int]) -> None:
    member_id = member(joined_on=date(2024, 1, 8))
    url = f"/members/{member_id}/involvement"
    page = coordinator.get(url).get_data(as_text=True)
    saved = coordinator.post(f"/members/{member_id}/benefit-limits",
                             data=form_data(page, rules="esa_permitted_lower"))
    assert saved.status_code == 302
    page = coordinator.get(url).get_data(as_text=True)
    assert "ESA permitted work, lower limit This week" in element_text(page, "headroom-table")
    refused = coordinator.post(url, data=booking(page, amount="20.01"))
    assert refused.status_code == 409
    words = text(refused.get_data(as_text=True))
    assert "would reach £20.01, over the limit of £20.00" in words
    assert "Go ahead as the member's informed choice" in words
    unticked = coordinator.post(url, data=booking(page, amount="20.01",
                                                  reason="Her choice after advice"))
    assert unticked.status_code == 409
    chosen = coordinator.post(url, data=booking(page, amount="20.01", override="yes",
                                                reason="Her choice after advice"))
    assert chosen.status_code == 302
    page = coordinator.get(url).get_data(as_text=True)
    assert "Over a limit by choice: Her choice after advice" in text(page)


def test_bad_fields_are_named_in_an_error_summary(coordinator: FlaskClient,
                                                  member: Callable[..., int]) -> None:
    member_id = member()
    url = f"/members/{member_id}/involvement"
    page = coordinator.get(url).get_data(as_text=True)
    answer = coordinator.post(url, data=form_data(page, activity="", on="soon", hours="x",
                                                  payment="paid", amount="12.345"))
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    summary = element_text(body, "error-summary-title")
    assert summary == "There is a problem"
    for anchor in ("#activity", "#on", "#hours", "#amount"):
        assert f'href="{anchor}"' in body


def test_marking_done_cancelling_and_the_safeguard_on_approving(
        coordinator: FlaskClient, member: Callable[..., int], db_url: str) -> None:
    member_id = member(joined_on=date(2024, 1, 8))
    url = f"/members/{member_id}/involvement"
    page = coordinator.get(url).get_data(as_text=True)
    coordinator.post(url, data=booking(page))
    coordinator.post(url, data=booking(page, on="2025-06-05"))
    page = coordinator.get(url).get_data(as_text=True)
    forms = page.split('action="/members/')[1:]
    first_id = int(forms[0].split("/involvement/")[1].split("/")[0])
    second_id = int(forms[1].split("/involvement/")[1].split("/")[0])
    move = f"{url}/{{}}/transitions"
    no_reason = coordinator.post(move.format(first_id),
                                 data=form_data(page, trigger="cancel", reason="",
                                                expected_version="1"))
    assert no_reason.status_code == 409
    assert "give a reason for cancelling" in text(no_reason.get_data(as_text=True))
    cancelled = coordinator.post(move.format(first_id), data=form_data(
        page, trigger="cancel", reason="Moved to next week", expected_version="1"))
    assert cancelled.status_code == 302
    done = coordinator.post(move.format(second_id), data=form_data(
        page, trigger="done", reason="", expected_version="1"))
    assert done.status_code == 302
    mine = coordinator.post(move.format(second_id), data=form_data(
        page, trigger="approve", reason="", expected_version="2"))
    assert mine.status_code == 409
    assert "Someone other than the person who booked" in text(mine.get_data(as_text=True))
    stale = coordinator.post(move.format(second_id), data=form_data(
        page, trigger="cancel", reason="Oops", expected_version="1"))
    assert stale.status_code == 409
    assert "changed since you read it" in text(stale.get_data(as_text=True))


def test_the_member_sees_their_own_involvement_read_only(
        client: FlaskClient, member: Callable[..., int], db_url: str, auth) -> None:
    member_id = member(joined_on=date(2024, 1, 8))
    staff = auth("coordinator")
    client.put(f"/api/v1/members/{member_id}/benefit-limits", headers=staff,
               json={"rules": ["carers_allowance"]})
    client.post(f"/api/v1/members/{member_id}/involvement", headers=staff, json={
        "activity": "community_meeting", "on": "2026-02-02", "hours": 1, "payment": "voucher"})
    sign_in_member(client, db_url, member_id)
    me = client.get("/me").get_data(as_text=True)
    assert f'href="/members/{member_id}/involvement"' in me
    page = client.get(f"/members/{member_id}/involvement").get_data(as_text=True)
    assert "My involvement and payments" in page
    assert "Carer's Allowance earnings limit" in element_text(page, "headroom-table")
    assert "Community meeting" in element_text(page, "involvement-table")
    assert "Book" not in buttons(page)
    assert client.post(f"/members/{member_id}/involvement",
                       data=booking(page)).status_code in (403, 404)
    other = member()
    assert client.get(f"/members/{other}/involvement").status_code == 404


def test_the_finance_report_is_on_the_reports_page_with_csv(
        coordinator: FlaskClient, member: Callable[..., int]) -> None:
    member_id = member(joined_on=date(2024, 1, 8))
    url = f"/members/{member_id}/involvement"
    page = coordinator.get(url).get_data(as_text=True)
    coordinator.post(url, data=booking(page, amount="15.00", expenses="2.50"))
    report = coordinator.get("/reports?report=involvement&from=2025-06-01&to=2025-06-30")
    assert report.status_code == 200
    table = element_text(report.get_data(as_text=True), "report-table")
    assert "cefn-yr-afon" in table
    assert "£15.00" in table
    assert "£2.50" in table
    csv = coordinator.get("/reports/involvement.csv?from=2025-06-01&to=2025-06-30"
                          "&unit=cefn-yr-afon")
    assert csv.status_code == 200
    assert "cefn-yr-afon,service_user,1,1,2.0,1500,0,250" in csv.get_data(as_text=True)


def test_hours_and_dates_no_one_could_mean_are_named_not_failed(
        coordinator: FlaskClient, member: Callable[..., int]) -> None:
    member_id = member(joined_on=date(2024, 1, 8))
    url = f"/members/{member_id}/involvement"
    page = coordinator.get(url).get_data(as_text=True)
    for fields, anchor in (({"hours": "NaN"}, "#hours"), ({"hours": "Infinity"}, "#hours"),
                           ({"on": "9999-12-31"}, "#on"), ({"amount": "1e30"}, "#amount")):
        answer = coordinator.post(url, data=booking(page, **fields))
        assert answer.status_code == 422, fields
        assert f'href="{anchor}"' in answer.get_data(as_text=True), fields
