"""The one write path against a real database: guards, compare-and-swap, one transaction."""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from pathway.engine import PATHWAY, Actor, Firing, fire
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
