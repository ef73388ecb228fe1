"""Involvement and payment through the API: booking, the lifecycle with its safeguards for
whoever handles money, and benefit-safe limits tested on their edges."""

from __future__ import annotations

from datetime import date

import pytest

import workflows
from pathway import clock
from pathway.ops.integrity import check
from pathway.store.db import unit_of_work

API = "/api/v1"


@pytest.fixture
def people(auth):
    """Two coordinators: one books, the other approves and pays."""
    return auth("coordinator", name="Bethan"), auth("coordinator", name="Rhys")


def book(client, headers, member_id, **body):
    payload = {"activity": "community_meeting", "on": "2025-06-04", "hours": 2,
               "payment": "paid", **body}
    return client.post(f"{API}/members/{member_id}/involvement", headers=headers, json=payload)


def move(client, headers, member_id, record_id, trigger, **body):
    return client.post(f"{API}/members/{member_id}/involvement/{record_id}/transitions",
                       headers=headers, json={"trigger": trigger, **body})


def set_limits(client, headers, member_id, rules, custom=None):
    response = client.put(f"{API}/members/{member_id}/benefit-limits", headers=headers,
                          json={"rules": rules, "custom": custom})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_catalogue_lists_activities_with_levels_and_dated_rates(client, auth):
    body = client.get(f"{API}/involvement/activities", headers=auth("viewer")).get_json()
    meeting = next(a for a in body["items"] if a["code"] == "community_meeting")
    assert meeting["title"] == "Community meeting"
    assert meeting["levels"] == ["level_1", "level_2", "level_3"]
    assert meeting["rates"] == [{"from": "2024-04-01", "per": "session", "pence": 1000},
                                {"from": "2025-04-01", "per": "session", "pence": 1200}]


def test_the_amount_defaults_to_the_rate_of_the_activitys_day(client, people, member):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    per_hour_before = book(client, booker, member_id, activity="feedback_group",
                           on="2025-03-31", hours=1.5).get_json()
    per_hour_after = book(client, booker, member_id, activity="feedback_group",
                          on="2025-04-01", hours=1.5).get_json()
    session_before = book(client, booker, member_id, on="2025-03-31", hours=3).get_json()
    session_after = book(client, booker, member_id, on="2025-04-01", hours=3).get_json()
    assert (per_hour_before["amount_pence"], per_hour_after["amount_pence"]) == (1800, 1875)
    assert (session_before["amount_pence"], session_after["amount_pence"]) == (1000, 1200)
    given = book(client, booker, member_id, amount_pence=2500, expenses_pence=640,
                 note="Bus fare both ways").get_json()
    assert (given["amount_pence"], given["expenses_pence"], given["note"]) == (
        2500, 640, "Bus fare both ways")
    assert given["state"] == "booked"
    assert given["id"] > 0
    assert given["hours"] == 2


def test_booked_done_approved_paid_each_an_event_by_someone_other_than_the_booker(
        client, people, member, db_url):
    booker, approver = people
    member_id = member()
    record = book(client, booker, member_id, on="2026-02-02")
    assert record.status_code == 201
    record_id = record.get_json()["id"]
    done = move(client, booker, member_id, record_id, "done", expected_version=1)
    assert done.status_code == 201
    assert done.get_json()["event"]["machine"] == f"involvement:{record_id}"
    assert (done.get_json()["event"]["from_state"], done.get_json()["event"]["to_state"]) == (
        "booked", "done")
    same = move(client, booker, member_id, record_id, "approve")
    assert same.status_code == 409
    assert same.get_json()["error"] == "same_person"
    approved = move(client, approver, member_id, record_id, "approve")
    assert approved.get_json()["involvement"]["state"] == "approved"
    assert move(client, booker, member_id, record_id, "pay").get_json()["error"] == "same_person"
    paid = move(client, approver, member_id, record_id, "pay")
    assert paid.status_code == 201
    assert paid.get_json()["involvement"]["state"] == "paid"
    assert paid.get_json()["involvement"]["triggers"] == []
    again = move(client, approver, member_id, record_id, "pay")
    assert again.status_code == 409
    assert again.get_json()["error"] == "invalid_trigger"
    with unit_of_work(db_url, write=False) as s:
        assert check(s, workflows.load()).holds


def test_cancelling_needs_a_reason(client, people, member):
    booker, _ = people
    member_id = member()
    record_id = book(client, booker, member_id, on="2026-02-02").get_json()["id"]
    bare = move(client, booker, member_id, record_id, "cancel", reason="  ")
    assert bare.status_code == 409
    assert bare.get_json()["error"] == "guards_unmet"
    assert bare.get_json()["unmet"][0]["criterion"] == "reason"
    cancelled = move(client, booker, member_id, record_id, "cancel", reason="Meeting moved")
    assert cancelled.get_json()["involvement"]["state"] == "cancelled"
    assert cancelled.get_json()["event"]["reason"] == "Meeting moved"


def test_a_stale_version_changes_nothing(client, people, member):
    booker, _ = people
    member_id = member()
    record_id = book(client, booker, member_id, on="2026-02-02").get_json()["id"]
    stale = move(client, booker, member_id, record_id, "done", expected_version=0)
    assert stale.status_code == 409
    assert stale.get_json()["error"] == "version_conflict"


def test_exactly_at_the_limit_is_allowed_and_one_penny_over_is_refused(client, people, member):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    set_limits(client, booker, member_id, ["carers_allowance"])
    # Carer's Allowance: £196 a week from 7 April 2025; the week of Wednesday 4 June 2025.
    assert book(client, booker, member_id, on="2025-06-02", amount_pence=19000).status_code == 201
    assert book(client, booker, member_id, on="2025-06-08", amount_pence=600).status_code == 201
    over = book(client, booker, member_id, on="2025-06-04", amount_pence=1)
    assert over.status_code == 409
    body = over.get_json()
    assert body["error"] == "benefit_limit"
    assert (body["rule"], body["period"], body["limit_pence"], body["total_pence"]) == (
        "carers_allowance", "week", 19600, 19601)
    assert body["breaches"][0]["period_start"] == "2025-06-02"
    assert body["breaches"][0]["period_end"] == "2025-06-08"
    assert "£196.01" in body["message"]


def test_the_week_runs_monday_to_sunday(client, people, member):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    set_limits(client, booker, member_id, ["custom"], {"period": "week", "limit_pence": 1000})
    assert book(client, booker, member_id, on="2025-06-08", amount_pence=1000).status_code == 201
    # Sunday 8 June is full; Monday 9 June starts a new week, Sunday 1 June ended the last.
    assert book(client, booker, member_id, on="2025-06-02", amount_pence=1).status_code == 409
    assert book(client, booker, member_id, on="2025-06-09", amount_pence=1000).status_code == 201
    assert book(client, booker, member_id, on="2025-06-01", amount_pence=1000).status_code == 201


def test_the_month_is_the_calendar_month(client, people, member):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    set_limits(client, booker, member_id, ["uc_work_allowance_with_housing"])
    assert book(client, booker, member_id, on="2025-06-30", amount_pence=41100).status_code == 201
    refused = book(client, booker, member_id, on="2025-06-01", amount_pence=1)
    assert refused.get_json()["period"] == "month"
    assert refused.get_json()["breaches"][0]["period_start"] == "2025-06-01"
    assert book(client, booker, member_id, on="2025-07-01", amount_pence=41100).status_code == 201
    assert book(client, booker, member_id, on="2025-05-31", amount_pence=41100).status_code == 201


def test_a_figure_applies_from_its_own_date(client, people, member):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    set_limits(client, booker, member_id, ["carers_allowance"])
    # £151 until Sunday 6 April 2025, £196 from Monday 7 April 2025.
    refused = book(client, booker, member_id, on="2025-04-06", amount_pence=15101)
    assert refused.get_json()["limit_pence"] == 15100
    assert book(client, booker, member_id, on="2025-04-06", amount_pence=15100).status_code == 201
    assert book(client, booker, member_id, on="2025-04-07", amount_pence=19600).status_code == 201


def test_expenses_declined_volunteer_and_cancelled_are_not_earnings(client, people, member):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    set_limits(client, booker, member_id, ["custom"], {"period": "week", "limit_pence": 1000})
    day = {"on": "2025-06-04"}
    assert book(client, booker, member_id, payment="declined", amount_pence=5000,
                **day).status_code == 201
    assert book(client, booker, member_id, payment="volunteer", amount_pence=5000,
                **day).status_code == 201
    paid = book(client, booker, member_id, amount_pence=600, expenses_pence=9000, **day)
    assert paid.status_code == 201
    assert book(client, booker, member_id, payment="voucher", amount_pence=401,
                **day).get_json()["total_pence"] == 1001
    move(client, booker, member_id, paid.get_json()["id"], "cancel", reason="Unwell")
    assert book(client, booker, member_id, payment="voucher", amount_pence=1000,
                **day).status_code == 201


def test_going_over_is_the_members_informed_choice_with_a_reason(client, people, member):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    set_limits(client, booker, member_id, ["esa_permitted_lower"])
    without_reason = book(client, booker, member_id, amount_pence=2001, override=True)
    assert without_reason.status_code == 409
    assert "needs a reason" in without_reason.get_json()["message"]
    chosen = book(client, booker, member_id, amount_pence=2001, override=True,
                  reason="Talked it through with her welfare rights adviser")
    assert chosen.status_code == 201
    assert chosen.get_json()["override_reason"] == (
        "Talked it through with her welfare rights adviser")


def test_approving_checks_the_limits_again(client, people, member):
    booker, approver = people
    member_id = member(joined_on=date(2024, 1, 8))
    record_id = book(client, booker, member_id, amount_pence=3000).get_json()["id"]
    move(client, booker, member_id, record_id, "done")
    set_limits(client, booker, member_id, ["esa_permitted_lower"])
    refused = move(client, approver, member_id, record_id, "approve")
    assert refused.status_code == 409
    assert refused.get_json()["total_pence"] == 3000
    approved = move(client, approver, member_id, record_id, "approve", override=True,
                    reason="The member chose to, knowing the limit")
    assert approved.status_code == 201
    assert approved.get_json()["involvement"]["override_reason"] == (
        "The member chose to, knowing the limit")


def test_headroom_for_this_week_and_month(client, people, member, auth, monkeypatch):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    monkeypatch.setattr(clock, "today", lambda zone: date(2025, 6, 4))
    set_limits(client, booker, member_id, ["carers_allowance", "custom"],
               {"period": "month", "limit_pence": 50000})
    book(client, booker, member_id, on="2025-06-03", amount_pence=5000)
    book(client, booker, member_id, on="2025-06-20", amount_pence=7000)
    book(client, booker, member_id, on="2025-06-05", amount_pence=900, payment="volunteer")
    own = auth("member", member_id=member_id)
    body = client.get(f"{API}/members/{member_id}/involvement", headers=own).get_json()
    assert len(body["items"]) == 3
    assert body["items"][0]["on"] == "2025-06-20"
    headroom = {row["rule"]: row for row in body["headroom"]}
    assert headroom["carers_allowance"] | {"title": None} == {
        "rule": "carers_allowance", "title": None, "period": "week",
        "period_start": "2025-06-02", "period_end": "2025-06-08", "limit_pence": 19600,
        "earned_pence": 5000, "left_pence": 14600}
    assert (headroom["custom"]["earned_pence"], headroom["custom"]["left_pence"]) == (
        12000, 38000)


def test_limits_are_read_by_the_member_and_set_by_staff(client, people, member, auth):
    booker, _ = people
    member_id = member()
    own = auth("member", member_id=member_id)
    assert client.put(f"{API}/members/{member_id}/benefit-limits", headers=own,
                      json={"rules": []}).status_code == 403
    set_limits(client, booker, member_id, ["carers_allowance"])
    body = client.get(f"{API}/members/{member_id}/benefit-limits", headers=own).get_json()
    assert body["rules"] == ["carers_allowance"]
    assert body["limits"][0]["url"].startswith("https://www.gov.uk/")


def test_bad_input_names_the_field(client, people, member):
    booker, _ = people
    member_id = member()
    cases = [({"activity": "juggling"}, "activity"), ({"payment": "cash"}, "payment"),
             ({"hours": 0}, "hours"), ({"on": "2025-13-01"}, "on"),
             ({"amount_pence": -1}, "amount_pence"), ({"on": "2020-01-01"}, "on")]
    for body, field in cases:
        response = book(client, booker, member_id, **body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], body
    no_custom = client.put(f"{API}/members/{member_id}/benefit-limits", headers=booker,
                           json={"rules": ["custom"]})
    assert no_custom.status_code == 422
    assert "custom" in no_custom.get_json()["errors"]
    unknown = client.put(f"{API}/members/{member_id}/benefit-limits", headers=booker,
                         json={"rules": ["winter_fuel"]})
    assert unknown.status_code == 422
    assert "rules" in unknown.get_json()["errors"]
    trigger = move(client, booker, member_id, 1, "refund")
    assert trigger.status_code == 422
    assert "trigger" in trigger.get_json()["errors"]


def test_a_repeated_booking_with_the_same_key_books_once(client, people, member):
    booker, _ = people
    member_id = member()
    keyed = {**booker, "Idempotency-Key": "booking-1"}
    first = book(client, keyed, member_id, on="2026-02-02")
    second = book(client, keyed, member_id, on="2026-02-02")
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    body = client.get(f"{API}/members/{member_id}/involvement", headers=booker).get_json()
    assert len(body["items"]) == 1


def test_the_finance_report_counts_per_unit_and_kind(client, people, member):
    booker, approver = people
    member_id = member(joined_on=date(2024, 1, 8))
    paid = book(client, booker, member_id, on="2025-06-04", amount_pence=2400,
                expenses_pence=300, hours=2).get_json()
    for trigger in ("done", "approve", "pay"):
        move(client, booker if trigger == "done" else approver, member_id, paid["id"], trigger)
    book(client, booker, member_id, on="2025-06-05", payment="volunteer", amount_pence=900,
         hours=1)
    gone = book(client, booker, member_id, on="2025-06-06", amount_pence=5000).get_json()
    move(client, booker, member_id, gone["id"], "cancel", reason="Rained off")
    report = client.get(f"{API}/reports/involvement?from=2025-06-01&to=2025-06-30",
                        headers=booker).get_json()
    assert report["rows"] == [{"unit": "cefn-yr-afon", "kind": "service_user", "members": 1,
                               "sessions": 2, "hours": 3.0, "payments_pence": 2400,
                               "paid_out_pence": 2400, "expenses_pence": 300,
                               "suppressed": []}]
    csv = client.get(f"{API}/reports/involvement?from=2025-06-01&to=2025-06-30&format=csv",
                     headers=booker)
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0] == ("unit,kind,members,sessions,hours,payments_pence,paid_out_pence,"
                        "expenses_pence")
    assert lines[1] == "cefn-yr-afon,service_user,1,2,3.0,2400,2400,300"
    published = client.get(f"{API}/reports/involvement?from=2025-06-01&to=2025-06-30"
                           "&suppress=true", headers=booker).get_json()
    assert published["rows"][0]["payments_pence"] is None


def test_a_training_lead_does_not_see_members_money(client, auth, member):
    member_id = member()
    lead = auth("training_lead")
    assert client.get(f"{API}/members/{member_id}/involvement", headers=lead).status_code == 403


def test_the_export_holds_involvement_and_erasure_removes_its_words(client, people, member,
                                                                    auth):
    booker, _ = people
    member_id = member(joined_on=date(2024, 1, 8))
    set_limits(client, booker, member_id, ["esa_permitted_lower"])
    keyed = {**booker, "Idempotency-Key": "note-1"}
    book(client, keyed, member_id, amount_pence=2500, note="Came with her sister",
         override=True, reason="Her own choice after advice")
    admin = auth("admin")
    export = client.get(f"{API}/members/{member_id}/export", headers=admin).get_json()
    assert export["involvement"][0]["note"] == "Came with her sister"
    assert export["involvement"][0]["override_reason"] == "Her own choice after advice"
    assert export["benefit_limits"]["rules"] == ["esa_permitted_lower"]
    erased = client.post(f"{API}/members/{member_id}/erase", headers=admin,
                         json={"reason": "Subject request SR-9"})
    assert erased.status_code == 201
    after = client.get(f"{API}/members/{member_id}/export", headers=admin).get_json()
    assert (after["involvement"][0]["note"], after["involvement"][0]["override_reason"]) == (
        None, None)
    replay = book(client, keyed, member_id, amount_pence=2500, note="Came with her sister",
                  override=True, reason="Her own choice after advice")
    assert replay.get_json()["note"] is None
    assert replay.get_json()["override_reason"] is None
    refused = book(client, booker, member_id, on="2025-07-01", note="New words")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "erased"
