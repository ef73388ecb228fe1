"""Readiness in SQL says the same as the guards say in Python, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from pathway import clock
from pathway.engine import Firing, fire
from pathway.facts import facts_for
from pathway.people.access import Caller
from pathway.programme import milestones, training
from pathway.programme.readiness import (
    SQL_TWINS,
    criterion_clause,
    member_readiness,
    readiness_csv,
    readiness_page,
    readiness_query,
    readiness_rows,
)
from pathway.store.models import Member
from tests.conftest import SYSTEM, TZ
from workflows.guards import KINDS, evaluate
from workflows.schema import Guard

ADMIN = Caller(user_id=0, name="test", role="admin", all_units=True, unit_ids=frozenset())
LONG_AGO = date(2023, 1, 2)


def complete(session, catalogue, member, module, completed_on=None):
    enrolled_on = completed_on - timedelta(days=10) if completed_on else None
    for trigger, on in (("enrol", enrolled_on), ("complete", completed_on)):
        training.move(session, catalogue, member, module, Firing(trigger=trigger, on=on),
                      SYSTEM, TZ)


def reenrol(session, catalogue, member, module):
    training.move(session, catalogue, member, module, Firing(trigger="reenrol"), SYSTEM, TZ)


def achieve(session, catalogue, member, *codes):
    for code in codes:
        milestones.record(session, catalogue, member, code, SYSTEM, TZ)


def ready_in_sql(session, catalogue, award, ready=True):
    rows = session.execute(readiness_query(catalogue, ADMIN, TZ, award=award, ready=ready))
    return {member_id for member_id, _ in rows}


def ready_in_python(session, catalogue, members, award):
    return {m.id for m in members
            if any(r["award"] == award and r["ready"]
                   for r in member_readiness(session, catalogue, m, TZ))}


@pytest.fixture
def people(member, session, catalogue):
    """Service users in assorted states of readiness for the foundation award."""
    today = clock.today(TZ)
    ids = {name: member(joined_on=LONG_AGO, **extra) for name, extra in (
        ("ready", {}), ("no_training", {}), ("two_actions", {}), ("expired_today", {}),
        ("expires_tomorrow", {}), ("retracted", {}), ("paused_level_2", {"level": "level_2",
                                                                          "status": "paused"}),
        ("refreshing", {}), ("left_refresher", {}), ("refreshing_expired", {}))}
    rows = {name: session.get(Member, member_id) for name, member_id in ids.items()}
    three = ("buddy_assigned", "advocate_met", "feedback_given")
    for name, m in rows.items():
        if name != "no_training":
            completed_on = {"expired_today": today - timedelta(days=730),
                            "expires_tomorrow": today - timedelta(days=729),
                            "refreshing": today - timedelta(days=729),
                            "refreshing_expired": today - timedelta(days=730)}.get(name)
            complete(session, catalogue, m, "three_levels_awareness", completed_on)
        # Back on the refresher (and, for one, off it again): the last completion still
        # counts until it expires.
        if name in ("refreshing", "left_refresher", "refreshing_expired"):
            reenrol(session, catalogue, m, "three_levels_awareness")
        if name == "left_refresher":
            training.move(session, catalogue, m, "three_levels_awareness",
                          Firing(trigger="withdraw", reason="Unwell"), SYSTEM, TZ)
        achieve(session, catalogue, m, *(three[:2] if name == "two_actions" else three))
    milestones.retract(session, catalogue, rows["retracted"], "advocate_met", SYSTEM, TZ,
                       reason="Recorded in error")
    session.flush()
    return rows


def test_sql_and_guards_agree_on_who_is_ready_for_the_foundation(session, catalogue, people):
    expected = {people[n].id for n in ("ready", "expires_tomorrow", "paused_level_2",
                                         "refreshing", "left_refresher")}
    assert ready_in_python(session, catalogue, people.values(), "su_foundation") == expected
    assert ready_in_sql(session, catalogue, "su_foundation") == expected
    not_ready = {m.id for m in people.values()} - expected
    assert ready_in_sql(session, catalogue, "su_foundation", ready=False) == not_ready


def test_a_completion_expiring_today_no_longer_counts(session, catalogue, people):
    [training_verdict] = next(
        r for r in member_readiness(session, catalogue, people["expired_today"], TZ)
        if r["award"] == "su_foundation")["unmet"]
    assert training_verdict["criterion"] == "training:three_levels_awareness"
    expires = clock.today(TZ).isoformat()
    assert f"expired on {expires}: a refresher is due" in training_verdict["description"]


def test_readiness_page_words_only_the_rows_shown(session, catalogue, people):
    page = readiness_page(session, catalogue, ADMIN, TZ, page=1, page_size=2,
                          award="su_foundation", ready=False)
    assert page.total == 5
    assert [row["member_id"] for row in page.items] == [people["no_training"].id,
                                                        people["two_actions"].id]
    assert page.items[1]["unmet"] == [{
        "criterion": "milestones_at_level:level_1", "enforcement": "required",
        "description": "At least 3 of the Level 1 actions recorded (2 so far)"}]


def test_every_award_agrees_across_kinds(session, catalogue, member):
    carer_id, staff_id = member("carer", level="level_2"), member("staff")
    # The test's own session writes from here on (SQLite holds one writer at a time).
    carer, staff = session.get(Member, carer_id), session.get(Member, staff_id)
    complete(session, catalogue, carer, "speaking_out")
    achieve(session, catalogue, carer, "active_role_identified")
    complete(session, catalogue, staff, "three_levels_awareness")
    session.flush()
    for award in catalogue.awards:
        assert ready_in_sql(session, catalogue, award) == ready_in_python(
            session, catalogue, [carer, staff], award), award
    assert ready_in_sql(session, catalogue, "carer_skills") == {carer.id}


@pytest.mark.parametrize(("days_ago", "need", "met"), [(10, 10, True), (9, 10, False),
                                                       (11, 10, True)])
def test_days_at_level_criterion_agrees_with_the_guard(session, catalogue, member, days_ago,
                                                       need, met):
    joined = clock.today(TZ) - timedelta(days=days_ago)
    m = session.get(Member, member(joined_on=joined))
    guard = Guard("min_days_at_level", None, need, "required")
    in_sql = session.scalar(select(Member.id).where(
        Member.id == m.id, criterion_clause(catalogue, m.kind, guard, clock.today(TZ), TZ)))
    assert evaluate(guard, facts_for(session, catalogue, m, TZ), catalogue).met is met
    assert (in_sql is not None) is met


def test_an_exit_reason_is_never_met_while_checking_readiness(session, catalogue, member):
    m = session.get(Member, member())
    guard = Guard("exit_reason", None, None, "required")
    assert session.scalar(select(Member.id).where(
        criterion_clause(catalogue, m.kind, guard, clock.today(TZ), TZ))) is None


def test_a_refresher_in_progress_shows_the_completion_that_still_counts(session, catalogue,
                                                                       people):
    today = clock.today(TZ)
    shown = training.module_of(session, catalogue, people["refreshing"],
                               "three_levels_awareness", TZ)
    assert (shown["state"], shown["completed_on"], shown["expires_on"]) == (
        "enrolled", today - timedelta(days=729), today + timedelta(days=1))
    record = facts_for(session, catalogue, people["left_refresher"], TZ).training[
        "three_levels_awareness"]
    assert (record.state, record.in_date(today)) == ("withdrawn", True)
    [unmet] = next(r for r in member_readiness(session, catalogue, people["refreshing_expired"],
                                               TZ) if r["award"] == "su_foundation")["unmet"]
    assert unmet["criterion"] == "training:three_levels_awareness"
    assert f"expired on {today.isoformat()}: a refresher is due" in unmet["description"]


def test_every_guard_kind_has_its_sql_twin():
    assert set(SQL_TWINS) == set(KINDS)


def test_an_unknown_guard_kind_has_no_sql_twin(session, catalogue, member):
    m = session.get(Member, member())
    with pytest.raises(ValueError, match="unknown guard kind"):
        criterion_clause(catalogue, m.kind, Guard("weather", "sunny", None, "advisory"),
                         clock.today(TZ), TZ)


def test_the_waiting_list_leaves_out_holders_and_leavers(session, catalogue, people):
    holder, leaver = people["ready"], people["expires_tomorrow"]
    fire(session, catalogue, holder, "award:su_foundation", Firing(trigger="award"), SYSTEM, TZ)
    fire(session, catalogue, leaver, "pathway", Firing(trigger="exit", exit_reason="moved_away"),
         SYSTEM, TZ)
    session.flush()

    def listed(**filters):
        return {member_id for member_id, _ in session.execute(
            readiness_query(catalogue, ADMIN, TZ, award="su_foundation", **filters))}

    waiting = {people[n].id for n in ("paused_level_2", "refreshing", "left_refresher")}
    assert listed(ready=True, awarded=False) == waiting
    assert listed(ready=True, awarded=False, status="active") == waiting - {
        people["paused_level_2"].id}
    assert listed(ready=True, awarded=True) == {holder.id}
    assert listed(ready=True, include_exited=True) == waiting | {holder.id, leaver.id}
    assert listed(status="exited") == {leaver.id}
    assert leaver.id not in listed() | listed(ready=False)


def test_the_whole_list_and_its_csv_hold_the_rows_of_the_pages(session, catalogue, people):
    rows = readiness_rows(session, catalogue, ADMIN, TZ, award="su_foundation", ready=False)
    paged = [row for number in (1, 2, 3) for row in readiness_page(
        session, catalogue, ADMIN, TZ, page=number, page_size=2, award="su_foundation",
        ready=False).items]
    assert rows == paged
    lines = readiness_csv(rows).splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [str(r["member_id"]) for r in rows]


def test_text_a_spreadsheet_would_run_is_written_as_text(session, catalogue, member):
    m = session.get(Member, member(reference="=HYPERLINK(1)"))
    [row] = readiness_rows(session, catalogue, ADMIN, TZ, award="su_foundation")
    assert row["member_id"] == m.id
    assert "'=HYPERLINK(1)" in readiness_csv([row])
