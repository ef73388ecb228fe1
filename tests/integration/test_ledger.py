"""The distribution ledger: as of any day it says what a replay of the event log says."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command as alembic_command
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

import workflows
from pathway import clock
from pathway.cli import cli
from pathway.engine import PATHWAY, RECORD_TRIGGERS, Actor, Firing, definition_for, fire
from pathway.errors import GuardsUnmet, InvalidInput, InvalidTrigger
from pathway.ops import integrity
from pathway.people.access import Caller
from pathway.people.members import register_member, transfer
from pathway.people.privacy import erase
from pathway.people.units import create_unit
from pathway.reports.distribution import (
    counts_at,
    counts_at_lateral,
    current_rows,
    distribution_rows,
    instance_rows,
    level_distribution,
)
from pathway.reports.ledger import rows_now, rows_on
from pathway.reports.progression import progression
from pathway.reports.scope import Period, Scope
from pathway.store import ledger, migrate
from pathway.store.db import engine_for, unit_of_work
from pathway.store.models import (
    DistributionChange,
    DistributionCheckpoint,
    Instance,
    Member,
    Unit,
)
from tests.conftest import create_pg_database, require_postgres
from workflows.machine import compile_definition, join_state
from workflows.schema import MEMBER_KINDS, PATHWAY_STATUSES

TZ = __import__("zoneinfo").ZoneInfo("Europe/London")
COORDINATOR = Actor(name="test coordinator", role="coordinator")
ADMIN = Caller(user_id=0, name="test admin", role="admin", all_units=True, unit_ids=frozenset())
UNITS = ("ledger-north", "ledger-south", "ledger-east")
FIRST_JOINED = date(2024, 1, 1)
REFERENCES = itertools.count(1)


def replayed(session: Session, scope: Scope, day: date) -> list[dict]:
    """The as-of distribution read from the event log (each member's last event by then)."""
    bound = clock.end_of_day(day, TZ)
    if session.get_bind().dialect.name == "postgresql":
        counts = counts_at_lateral(scope, bound, day)
    else:
        counts = counts_at(scope, bound)
    return distribution_rows(session, counts, scope, by_kind=True)


def units(session: Session) -> dict[str, Unit]:
    for code in UNITS:
        if session.scalar(select(Unit).where(Unit.code == code)) is None:
            create_unit(session, code, code.title(), "open_rehab", "Bridgend")
    return {unit.code: unit for unit in session.scalars(select(Unit).where(Unit.code.in_(UNITS)))}


# One member's history: kind, first unit, joining day, starting level and status, then steps of
# (days later, a choice among what can happen next).
member_plans = st.tuples(
    st.sampled_from(MEMBER_KINDS), st.integers(0, len(UNITS) - 1), st.integers(0, 540),
    st.integers(0, 2), st.sampled_from(PATHWAY_STATUSES),
    st.lists(st.tuples(st.integers(0, 45), st.integers(0, 99)), max_size=8))


def play(session: Session, catalogue: workflows.Catalogue, plans: list, order_seed: int,
         checkpoint_at: int) -> list[date]:
    """Register everyone, then fire their steps interleaved across members (so most events
    arrive after later-dated ones: backdated), bringing the checkpoints up to date twice
    part-way through (the second time only what the events since touched is retaken).
    The days on which something happened are returned."""
    by_code = units(session)
    today = clock.today(TZ)
    members, queues, days = [], [], []
    for kind, unit_index, joined_after, level_index, status, steps in plans:
        definition = catalogue.pathway_for(kind)
        levels = [state for state in definition.states if "." not in state]
        joined_on = FIRST_JOINED + timedelta(days=joined_after)
        member = register_member(
            session, catalogue, COORDINATOR, reference=f"LEDGER-{next(REFERENCES):05d}",
            kind=kind, unit=UNITS[unit_index], joined_on=joined_on,
            level=levels[level_index % len(levels)], status=status, zone=TZ)
        members.append(member)
        days.append(joined_on)
        queues += [len(members) - 1] * len(steps)
    random.Random(order_seed).shuffle(queues)  # the steps of each member stay in order
    cursors = [0] * len(members)
    latest = [member.joined_on for member in members]
    erased: set[int] = set()
    for fired, index in enumerate(queues):
        if fired in (checkpoint_at, 2 * checkpoint_at + 3):
            ledger.take_checkpoints(session.connection())
        member, steps = members[index], plans[index][5]
        gap, choice = steps[cursors[index]]
        cursors[index] += 1
        if index in erased:
            continue
        on = min(latest[index] + timedelta(days=gap), today)
        if step(session, catalogue, member, by_code, on, choice, erased, index):
            latest[index] = on
            days.append(on)
    return days


def step(session: Session, catalogue: workflows.Catalogue, member: Member,
         by_code: dict[str, Unit], on: date, choice: int, erased: set[int], index: int) -> bool:
    """One thing happening to a member on a day: a transfer, an erasure or a pathway trigger."""
    try:
        if choice < 15:
            others = [code for code, unit in by_code.items() if unit.id != member.unit_id]
            transfer(session, catalogue, member, others[choice % 2], COORDINATOR, ADMIN, TZ,
                     on=on)
        elif choice < 17:
            erase(session, catalogue, member, "Asked to be forgotten.", COORDINATOR, TZ)
            erased.add(index)
        else:
            definition = definition_for(catalogue, member.kind, PATHWAY)
            state = session.scalar(select(Instance.state).where(
                Instance.member_id == member.id, Instance.machine == PATHWAY))
            triggers = [t for t in compile_definition(definition).available_triggers(state)
                        if t not in RECORD_TRIGGERS]
            if not triggers:
                return False
            trigger = triggers[choice % len(triggers)]
            fire(session, catalogue, member, PATHWAY,
                 Firing(trigger=trigger, on=on, override=True, reason="Agreed at review.",
                        exit_reason=definition.exit_reasons[0]),
                 COORDINATOR, TZ)
    except (GuardsUnmet, InvalidTrigger, InvalidInput):
        return False
    return True


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=st.lists(member_plans, min_size=1, max_size=6), order_seed=st.integers(0, 999),
       checkpoint_at=st.integers(0, 30), extra_days=st.lists(st.integers(-30, 900), max_size=3))
def test_as_of_through_the_ledger_equals_a_replay_of_the_events(
        db_url, catalogue, plans, order_seed, checkpoint_at, extra_days):
    with unit_of_work(db_url) as s:
        happened = play(s, catalogue, plans, order_seed, checkpoint_at)
    days = sorted({*happened, *(day - timedelta(days=1) for day in happened),
                   *(FIRST_JOINED + timedelta(days=n) for n in extra_days)})
    with unit_of_work(db_url, write=False) as s:
        north = s.scalar(select(Unit).where(Unit.code == UNITS[0]))
        for scope in (Scope(caller=ADMIN), Scope(caller=ADMIN, unit=north, kind="carer")):
            assert rows_on(s, scope, days) == [replayed(s, scope, day) for day in days]
            # Now, from the ledger: the checkpoints taken part-way plus every change since
            # (backdated, transfers, erasures, whatever day they fall on) is the pathway rows.
            for by_kind in (True, False):
                now = instance_rows(s, scope, by_kind=by_kind)
                assert rows_now(s, scope, by_kind=by_kind) in (now, None)
                assert current_rows(s, scope, by_kind=by_kind) == now
        assert ledger.differences(s.connection(), TZ) == []
    with unit_of_work(db_url) as s:
        ledger.take_checkpoints(s.connection())
    with unit_of_work(db_url, write=False) as s:
        north = s.scalar(select(Unit).where(Unit.code == UNITS[0]))
        # No checkpoint when every change falls before the first 15th or month end.
        checkpointed = s.scalar(select(func.count()).select_from(DistributionCheckpoint)) > 0
        for scope in (Scope(caller=ADMIN), Scope(caller=ADMIN, unit=north, kind="carer")):
            for by_kind in (True, False):
                assert rows_now(s, scope, by_kind=by_kind) == (
                    instance_rows(s, scope, by_kind=by_kind) if checkpointed else None)


def test_a_backdated_event_is_one_more_row_and_rewrites_nothing(db_url, member, catalogue):
    member_id = member(joined_on=date(2025, 1, 6))
    with unit_of_work(db_url) as s:
        fire(s, catalogue, s.get(Member, member_id), PATHWAY,
             Firing(trigger=pause_trigger(catalogue), on=date(2025, 6, 2)), COORDINATOR, TZ)
        ledger.take_checkpoints(s.connection())
        before = s.execute(select(DistributionChange.id, DistributionChange.delta)
                           .order_by(DistributionChange.id)).all()

    with unit_of_work(db_url) as s:
        # Recorded today, it happened on a day the checkpoints already counted.
        fire(s, catalogue, s.get(Member, member_id), PATHWAY,
             Firing(trigger=resume_trigger(catalogue), on=date(2025, 6, 9)), COORDINATOR, TZ)

    with unit_of_work(db_url, write=False) as s:
        after = s.execute(select(DistributionChange.id, DistributionChange.delta)
                          .order_by(DistributionChange.id)).all()
        assert after[:len(before)] == before
        assert [delta for _, delta in after[len(before):]] == [1, -1]
        scope = Scope(caller=ADMIN)
        for day in (date(2025, 6, 8), date(2025, 6, 9), date(2025, 6, 30)):
            assert level_distribution(s, scope, TZ, as_of=day)["rows"] == replayed(s, scope, day)


def pause_trigger(catalogue: workflows.Catalogue) -> str:
    """The trigger that pauses an active service user (named by the machine, not here)."""
    return trigger_between(catalogue, "level_1", join_state("level_1", "paused"))


def resume_trigger(catalogue: workflows.Catalogue) -> str:
    return trigger_between(catalogue, join_state("level_1", "paused"), "level_1")


def trigger_between(catalogue: workflows.Catalogue, source: str, dest: str) -> str:
    workflow = compile_definition(catalogue.pathway_for("service_user"))
    [trigger] = [t.trigger for t in workflow.transitions if t.source == source and t.dest == dest]
    return trigger


def test_an_import_counts_in_the_ledger(db_url, unit, catalogue, tmp_path):
    unit()
    csv = tmp_path / "members.csv"
    csv.write_text("reference,kind,unit,joined_on,level,status\n"
                   "IM-1,carer,cefn-yr-afon,2025-02-01,level_2,active\n"
                   "IM-2,carer,cefn-yr-afon,2025-02-01,level_2,active\n"
                   "IM-3,staff,cefn-yr-afon,2025-03-01,,paused\n")
    result = CliRunner().invoke(cli, ["import", "members", str(csv)],
                                env={"DATABASE_URL": db_url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output

    with unit_of_work(db_url, write=False) as s:
        scope = Scope(caller=ADMIN)
        # Members who joined the same day in the same group share one row.
        assert s.scalar(select(func.count()).select_from(DistributionChange)) == 2
        [february, march] = rows_on(s, scope, [date(2025, 2, 28), date(2025, 3, 1)])
        assert [(row["kind"], row["level_2"], row["paused"]) for row in february] == [
            ("carer", 2, 0)]
        assert march == replayed(s, scope, date(2025, 3, 1))
        assert integrity.check(s, catalogue, TZ).holds


def test_checkpointing_retakes_only_what_the_changes_since_touch(db_url, member, catalogue):
    member_id = member(joined_on=date(2025, 1, 6))
    with unit_of_work(db_url) as s:
        fire(s, catalogue, s.get(Member, member_id), PATHWAY,
             Firing(trigger=pause_trigger(catalogue), on=date(2025, 6, 2)), COORDINATOR, TZ)
        ledger.take_checkpoints(s.connection())
        days = list(s.scalars(text("SELECT day FROM distribution_checkpoints ORDER BY day")))
        assert ledger.take_checkpoints(s.connection()) == 0  # nothing written since

    member(joined_on=date(2025, 4, 10))  # registered today, joined in April
    with unit_of_work(db_url) as s:
        # The checkpoints from April 15th on are retaken, not the ones before.
        retaken = ledger.take_checkpoints(s.connection())
        assert retaken == len([day for day in days if str(day) >= "2025-04-15"])
        assert 0 < retaken < len(days)
        assert ledger.differences(s.connection(), TZ) == []

    with unit_of_work(db_url, write=False) as s:
        kept = s.execute(text("SELECT day, unit_id, kind, level, status, members "
                              "FROM distribution_counts ORDER BY 1, 2, 3, 4, 5")).all()
    with unit_of_work(db_url) as s:
        s.execute(text("DELETE FROM distribution_counts"))
        s.execute(text("DELETE FROM distribution_checkpoints"))
        assert ledger.take_checkpoints(s.connection()) == len(days)
        assert s.execute(text("SELECT day, unit_id, kind, level, status, members "
                              "FROM distribution_counts ORDER BY 1, 2, 3, 4, 5")).all() == kept


def test_check_finds_a_tampered_ledger_and_rebuild_mends_it(db_url, member, catalogue):
    member_id = member(joined_on=date(2025, 1, 6))
    with unit_of_work(db_url) as s:
        fire(s, catalogue, s.get(Member, member_id), PATHWAY,
             Firing(trigger=pause_trigger(catalogue), on=date(2025, 3, 3)), COORDINATOR, TZ)
        s.execute(update(DistributionChange).where(DistributionChange.delta == -1)
                  .values(day=date(2025, 3, 4)))
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "PATHWAY_TIMEZONE": "Europe/London"}

    broken = runner.invoke(cli, ["check"], env=env, catch_exceptions=False)

    assert broken.exit_code == 1
    assert "distribution ledger: on 2025-03-03" in broken.stdout
    assert "the distribution ledger differs from the events in 2 places" in broken.stdout

    rebuilt = runner.invoke(cli, ["ledger", "rebuild"], env=env, catch_exceptions=False)
    assert rebuilt.exit_code == 0, rebuilt.output
    # The nightly routine: fresh checkpoints from the changes as they stand.
    checkpointed = runner.invoke(cli, ["ledger", "checkpoint"], env=env, catch_exceptions=False)
    assert checkpointed.exit_code == 0, checkpointed.output
    assert "checkpoints taken" in checkpointed.output
    mended = runner.invoke(cli, ["check"], env=env, catch_exceptions=False)
    assert mended.exit_code == 0, mended.output
    assert mended.stdout.strip().endswith("all hold")


def test_rebuilt_checkpoints_serve_a_year_of_progression(db_url, member, catalogue):
    for joined in (date(2025, 1, 6), date(2025, 4, 15), date(2025, 9, 30)):
        member_id = member(joined_on=joined)
        with unit_of_work(db_url) as s:
            fire(s, catalogue, s.get(Member, member_id), PATHWAY,
                 Firing(trigger=pause_trigger(catalogue), on=joined + timedelta(days=40)),
                 COORDINATOR, TZ)
    with unit_of_work(db_url) as s:
        ledger.rebuild(s.connection(), TZ)
        taken = s.scalar(text("SELECT count(*) FROM distribution_checkpoints"))
    assert taken > 12  # the 15th and the last day of each month with changes

    with unit_of_work(db_url, write=False) as s:
        scope = Scope(caller=ADMIN)
        year = progression(s, scope, Period(date(2025, 1, 1), date(2025, 12, 31), TZ))
        assert [point["rows"] for point in year["series"]] == [
            replayed(s, scope, point["as_of"]) for point in year["series"]]
        assert [point["totals"]["total"] for point in year["series"]] == [
            1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3]


def test_the_ledger_counts_each_moment_on_its_day_in_the_service_zone(db_url):
    """Rebuilds find an event's day in SQL: at clock changes, and in a zone half an hour off."""
    with unit_of_work(db_url, write=False) as s:
        connection = s.connection()
        for zone_name, first in (("Europe/London", datetime(2025, 3, 29, 20, tzinfo=UTC)),
                                 ("Europe/London", datetime(2025, 10, 25, 20, tzinfo=UTC)),
                                 ("Asia/Kolkata", datetime(2025, 6, 1, 16, tzinfo=UTC))):
            zone = ZoneInfo(zone_name)
            day = ledger._local_day_sql(connection, ":moment"
                                        if connection.dialect.name == "sqlite"
                                        else "CAST(:moment AS TIMESTAMPTZ)", zone)
            for minutes in range(0, 36 * 60, 7):
                moment = first + timedelta(minutes=minutes)
                stored = (moment.strftime("%Y-%m-%d %H:%M:%S.%f")
                          if connection.dialect.name == "sqlite" else moment)
                found = connection.execute(text(f"SELECT {day}"),
                                           {"moment": stored, "zone": zone.key}).scalar()
                assert str(found) == clock.local_date(moment, zone).isoformat(), moment


def test_checkpoint_days_read_from_the_checkpoints_agree_with_a_replay(db_url, catalogue):
    rng = random.Random(11)
    plans = [(rng.choice(MEMBER_KINDS), rng.randrange(len(UNITS)), rng.randrange(540),
              rng.randrange(3), rng.choice(PATHWAY_STATUSES),
              [(rng.randrange(46), rng.randrange(100)) for _ in range(6)]) for _ in range(10)]
    with unit_of_work(db_url) as s:
        play(s, catalogue, plans, order_seed=3, checkpoint_at=-1)
        ledger.take_checkpoints(s.connection())
    days = list(ledger.checkpoint_days(FIRST_JOINED, FIRST_JOINED + timedelta(days=700)))

    def agree() -> None:
        with unit_of_work(db_url, write=False) as s:
            north = s.scalar(select(Unit).where(Unit.code == UNITS[0]))
            for scope in (Scope(caller=ADMIN), Scope(caller=ADMIN, unit=north, kind="carer")):
                assert rows_on(s, scope, days) == [replayed(s, scope, day) for day in days]
                # Out of order, a checkpoint day asked for twice, a day between checkpoints:
                # each answer in its place, the repeated day's rows its own.
                mixed = [days[5], days[5] + timedelta(days=3), days[0], days[5]]
                answered = rows_on(s, scope, mixed)
                assert answered == [replayed(s, scope, day) for day in mixed]
                assert all(a is not b for a, b in zip(answered[0], answered[3], strict=True))

    agree()  # nothing written since the checkpoints: each day is its kept counts
    with unit_of_work(db_url) as s:
        # Written after the checkpoints, counted on days they already cover.
        register_member(s, catalogue, COORDINATOR, reference=f"LEDGER-{next(REFERENCES):05d}",
                        kind="carer", unit=UNITS[0], joined_on=FIRST_JOINED + timedelta(days=20),
                        zone=TZ)
    agree()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database of its own, at the latest revision: for taking the schema down and up."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        migrate.upgrade(url)
        yield url
        engine_for(url).dispose()
        return
    require_postgres()
    url, drop = create_pg_database()
    migrate.upgrade(url)
    yield url
    drop()


def test_the_migration_fills_the_ledger_from_the_events_as_a_rebuild_does(
        fresh_url, catalogue, monkeypatch):
    monkeypatch.setenv("PATHWAY_TIMEZONE", TZ.key)
    plans = [("carer", 0, 10, 1, "active", [(20, 50), (30, 3), (10, 80)]),
             ("service_user", 1, 200, 0, "paused", [(5, 60), (40, 90), (12, 20)]),
             ("staff", 2, 400, 2, "active", [(3, 16), (7, 40)])]
    with unit_of_work(fresh_url) as s:
        play(s, catalogue, plans, order_seed=5, checkpoint_at=-1)
        ledger.rebuild(s.connection(), TZ)

    def held() -> tuple[list, list, list]:
        with unit_of_work(fresh_url, write=False) as s:
            return tuple(s.execute(text(query)).all() for query in (  # type: ignore[return-value]
                "SELECT day, unit_id, kind, level, status, delta FROM distribution_changes "
                "ORDER BY 1, 2, 3, 4, 5",
                "SELECT day FROM distribution_checkpoints ORDER BY 1",
                "SELECT day, unit_id, kind, level, status, members FROM distribution_counts "
                "ORDER BY 1, 2, 3, 4, 5"))

    changes, days, counts = held()
    assert changes
    assert days
    config = migrate.alembic_config(fresh_url)
    alembic_command.downgrade(config, "0006")
    alembic_command.upgrade(config, "0007")
    migrated = held()
    assert migrated[0] == changes
    with unit_of_work(fresh_url) as s:
        assert ledger.differences(s.connection(), TZ) == []
        # Checkpoints the migration did not take (later code may take more) are added.
        ledger.take_checkpoints(s.connection())
    assert held() == (changes, days, counts)
    migrate.upgrade(fresh_url)
