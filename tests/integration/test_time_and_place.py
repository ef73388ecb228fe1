"""When and where an event counts: local days, clock changes, and late records."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from pathway import clock
from pathway.engine import PATHWAY, Actor, Firing, fire
from pathway.people.access import Caller
from pathway.people.members import transfer
from pathway.reports.distribution import level_distribution
from pathway.reports.scope import Scope
from pathway.store.db import unit_of_work
from pathway.store.models import Event, Member, Unit
from tests.conftest import TZ

ADMIN = Actor(name="admin", role="admin")
EVERYWHERE = Caller(user_id=0, name="admin", role="admin", all_units=True, unit_ids=frozenset())


def test_a_day_without_a_time_begins_at_local_midnight():
    assert clock.start_of(date(2026, 1, 5), TZ) == datetime(2026, 1, 5, tzinfo=UTC)
    assert clock.start_of(date(2026, 7, 1), TZ) == datetime(2026, 6, 30, 23, tzinfo=UTC)


def test_just_after_midnight_in_summer_time_events_keep_their_order(db_url, catalogue, member,
                                                                    monkeypatch):
    """00:30 BST on 1 July is 23:30 UTC on 30 June: joining 'today' must not sort later."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    member_id = member(joined_on=date(2026, 7, 1))
    with unit_of_work(db_url) as s:
        fire(s, catalogue, s.get(Member, member_id), PATHWAY,
             Firing(trigger="advance", override=True, reason="ready"), ADMIN, TZ)
    with unit_of_work(db_url, write=False) as s:
        effective = [clock.as_utc(e) for e in s.scalars(
            select(Event.effective_at).where(Event.member_id == member_id).order_by(Event.seq))]
        assert effective == sorted(effective)
        report = level_distribution(s, Scope(EVERYWHERE), TZ, as_of=date(2026, 7, 1))
    assert report["totals"]["level_2"] == 1
    assert report["totals"]["level_1"] == 0


def test_training_recorded_late_counts_in_the_unit_the_member_was_in(db_url, catalogue, member,
                                                                      unit):
    member_id = member(unit="w-a", joined_on=date(2026, 1, 5))
    unit("w-b")
    with unit_of_work(db_url) as s:
        transfer(s, catalogue, s.get(Member, member_id), "w-b", ADMIN, EVERYWHERE, TZ,
                 on=date(2026, 3, 1))
    with unit_of_work(db_url) as s:
        person = s.get(Member, member_id)
        fire(s, catalogue, person, "training:speaking_out",
             Firing(trigger="enrol", on=date(2026, 2, 1)), ADMIN, TZ)
        done = fire(s, catalogue, person, "training:speaking_out",
                    Firing(trigger="complete", on=date(2026, 2, 10)), ADMIN, TZ).event
        now = fire(s, catalogue, person, "milestone:buddy_assigned", Firing(trigger="achieve"),
                   ADMIN, TZ).event
        codes = dict(s.execute(select(Unit.id, Unit.code)).all())
        assert codes[done.unit_id] == "w-a"
        assert codes[now.unit_id] == "w-b"
