"""The one write path against a real database: guards, compare-and-swap, one transaction."""

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from pathway import clock
from pathway.engine import PATHWAY, Actor, Firing, fire, member_with_pathway
from pathway.errors import Conflict, GuardsUnmet, NotFound, VersionConflict
from pathway.store.db import unit_of_work
from pathway.store.models import Event, Instance, Member
from tests.conftest import TZ

COORDINATOR = Actor(name="coordinator-ana", role="coordinator", user_id=None)


def fire_now(db_url, catalogue, member_id, machine, **firing):
    with unit_of_work(db_url) as session:
        member = session.get(Member, member_id)
        return fire(session, catalogue, member, machine, Firing(**firing), COORDINATOR, TZ).event.id


def events_of(db_url, member_id):
    with unit_of_work(db_url, write=False) as session:
        return [(e.machine, e.trigger, e.from_state, e.to_state, e.seq) for e in session.scalars(
            select(Event).where(Event.member_id == member_id).order_by(Event.id))]


def test_a_training_module_starts_not_started_and_is_created_on_first_trigger(db_url, catalogue,
                                                                             member):
    member_id = member()
    fire_now(db_url, catalogue, member_id, "training:speaking_out", trigger="enrol")
    fire_now(db_url, catalogue, member_id, "training:speaking_out", trigger="complete")
    assert events_of(db_url, member_id)[1:] == [
        ("training:speaking_out", "enrol", "not_started", "enrolled", 1),
        ("training:speaking_out", "complete", "enrolled", "completed", 2)]


def test_completing_the_required_module_lets_level_2_advance(db_url, catalogue, member):
    member_id = member(level="level_2")
    with pytest.raises(GuardsUnmet):
        fire_now(db_url, catalogue, member_id, PATHWAY, trigger="advance", override=True,
                 reason="keen")
    fire_now(db_url, catalogue, member_id, "training:speaking_out", trigger="enrol")
    fire_now(db_url, catalogue, member_id, "training:speaking_out", trigger="complete")
    fire_now(db_url, catalogue, member_id, PATHWAY, trigger="advance", override=True,
             reason="advisory actions under way")
    with unit_of_work(db_url, write=False) as session:
        pathway = session.scalars(select(Instance).where(Instance.member_id == member_id,
                                                         Instance.machine == PATHWAY)).one()
        assert (pathway.level, pathway.status, pathway.version) == ("level_3", "active", 2)


def test_an_expired_refresher_does_not_meet_its_guard(db_url, catalogue, member):
    member_id = member(joined_on=date(2023, 1, 2))
    fire_now(db_url, catalogue, member_id, "training:three_levels_awareness", trigger="enrol",
             on=date(2023, 1, 2))
    fire_now(db_url, catalogue, member_id, "training:three_levels_awareness",
             trigger="complete", on=date(2023, 2, 1))
    with pytest.raises(GuardsUnmet) as refused:
        fire_now(db_url, catalogue, member_id, PATHWAY, trigger="advance")
    unmet = {u["criterion"]: u["description"] for u in refused.value.extra["unmet"]}
    assert "expired on 2025-01-31" in unmet["training:three_levels_awareness"]


def test_a_refused_trigger_writes_nothing(db_url, catalogue, member):
    member_id = member()
    with pytest.raises(GuardsUnmet):
        fire_now(db_url, catalogue, member_id, PATHWAY, trigger="advance")
    with pytest.raises(NotFound):
        fire_now(db_url, catalogue, member_id, "training:juggling", trigger="enrol")
    assert len(events_of(db_url, member_id)) == 1


def test_two_writers_racing_on_one_member_give_one_success_and_one_conflict(db_url, catalogue,
                                                                             member):
    """The first holds its transaction open; the second must not overwrite it."""
    member_id = member()
    first_fired = threading.Event()
    release = threading.Event()
    outcomes: dict[str, object] = {}

    def first() -> None:
        with unit_of_work(db_url) as session:
            fire(session, catalogue, session.get(Member, member_id), PATHWAY,
                 Firing(trigger="pause"), COORDINATOR, TZ)
            first_fired.set()
            release.wait(10)
        outcomes["first"] = "ok"

    def second() -> None:
        first_fired.wait(10)
        try:
            with unit_of_work(db_url) as session:
                fire(session, catalogue, session.get(Member, member_id), PATHWAY,
                     Firing(trigger="pause", expected_version=1), COORDINATOR, TZ)
            outcomes["second"] = "ok"
        except Conflict as exc:
            outcomes["second"] = exc.slug

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_fired.wait(10)
    release.set()
    for thread in threads:
        thread.join(30)
    assert outcomes["first"] == "ok"
    assert outcomes["second"] in ("version_conflict", "invalid_trigger")
    assert [e[1] for e in events_of(db_url, member_id)] == ["register", "pause"]


def test_a_stale_version_is_refused_before_anything_is_written(db_url, catalogue, member):
    member_id = member()
    with pytest.raises(VersionConflict):
        fire_now(db_url, catalogue, member_id, PATHWAY, trigger="pause", expected_version=7)
    with unit_of_work(db_url, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1


def columns_of(event: Event) -> dict[str, object]:
    """Every column's value, moments in UTC (SQLite hands them back without a zone)."""
    values = {c.key: getattr(event, c.key) for c in Event.__table__.columns}
    return {key: clock.as_utc(value) if isinstance(value, datetime) else value
            for key, value in values.items()}


def test_the_event_fire_hands_back_is_the_row_as_stored(db_url, catalogue, member):
    member_id = member()
    with unit_of_work(db_url) as session:
        member_row = session.get(Member, member_id)
        outcome = fire(session, catalogue, member_row, PATHWAY,
                       Firing(trigger="pause", reason="Unwell for a while",
                              idempotency_key="pause-1"), COORDINATOR, TZ)
        handed = columns_of(outcome.event)
    with unit_of_work(db_url, write=False) as session:
        assert columns_of(session.get(Event, handed["id"])) == handed
    assert (handed["seq"], handed["trigger"], handed["to_state"], handed["unmet"]) == (
        2, "pause", "level_1.paused", None)


def test_a_pathway_row_read_with_the_member_is_fired_on_as_is(db_url, catalogue, member):
    """One query for the member and their pathway row; ``fire`` then reads neither again."""
    member_id = member()
    with unit_of_work(db_url) as session:
        found = member_with_pathway(session, member_id)
        assert found is not None
        member_row, pathway = found
        assert pathway is not None
        assert pathway.version == 1
        outcome = fire(session, catalogue, member_row, PATHWAY, Firing(trigger="pause"),
                       COORDINATOR, TZ, instance=pathway)
        assert outcome.instance is pathway
        assert (pathway.state, pathway.version) == ("level_1.paused", 2)
    assert events_of(db_url, member_id)[-1] == ("pathway", "pause", "level_1", "level_1.paused", 2)
    with unit_of_work(db_url, write=False) as session:
        assert member_with_pathway(session, member_id + 1000) is None


def test_a_machine_without_a_row_yet_is_started_when_told_there_is_none(db_url, catalogue,
                                                                       member):
    member_id = member()
    with unit_of_work(db_url) as session:
        member_row = session.get(Member, member_id)
        outcome = fire(session, catalogue, member_row, "training:speaking_out",
                       Firing(trigger="enrol"), COORDINATOR, TZ, instance=None)
        assert (outcome.instance.state, outcome.instance.version) == ("enrolled", 1)
    assert events_of(db_url, member_id)[-1] == (
        "training:speaking_out", "enrol", "not_started", "enrolled", 1)
