"""`pathway check`: every instance must be what replaying its event log says it is."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner, Result
from sqlalchemy import delete, select, text, update

from pathway.cli import cli
from pathway.engine import Actor, Firing, fire
from pathway.ops import integrity
from pathway.store.db import unit_of_work
from pathway.store.models import Event, Instance, Member

TZ = __import__("zoneinfo").ZoneInfo("Europe/London")
COORDINATOR = Actor(name="test coordinator", role="coordinator")


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db_url},
                              catch_exceptions=False)


def history(db_url: str, catalogue, member_id: int) -> None:
    """A short, valid history on three machines."""
    with unit_of_work(db_url) as s:
        member = s.get(Member, member_id)
        for machine, trigger, on, extra in [
                ("milestone:buddy_assigned", "achieve", date(2026, 1, 10), {}),
                ("training:three_levels_awareness", "enrol", date(2026, 1, 12), {}),
                ("training:three_levels_awareness", "complete", date(2026, 2, 1), {}),
                ("pathway", "advance", date(2026, 2, 3),
                 {"override": True, "reason": "Ready in practice."}),
                ("pathway", "pause", date(2026, 3, 1), {}),
                ("pathway", "resume", date(2026, 4, 1), {}),
                ("pathway", "exit", date(2026, 5, 1), {"exit_reason": "moved_away"})]:
            fire(s, catalogue, member, machine, Firing(trigger=trigger, on=on, **extra),
                 COORDINATOR, TZ)


def pathway_id(db_url: str, member_id: int) -> int:
    with unit_of_work(db_url, write=False) as s:
        return s.scalar(select(Instance.id).where(Instance.member_id == member_id,
                                                  Instance.machine == "pathway"))


def test_check_passes_when_every_history_replays(db_url, member, catalogue):
    history(db_url, catalogue, member())
    member("carer")

    result = run(db_url, "check")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "4 instances, 9 events checked: all hold"


def test_check_passes_on_an_empty_database(db_url):
    result = run(db_url, "check")

    assert result.exit_code == 0
    assert "0 instances, 0 events checked: all hold" in result.stdout


def test_check_finds_a_state_changed_behind_the_log(db_url, member, catalogue):
    member_id = member()
    history(db_url, catalogue, member_id)
    instance_id = pathway_id(db_url, member_id)
    with unit_of_work(db_url) as s:
        s.execute(text("UPDATE instances SET state = 'level_3', status = 'active', "
                       "level = 'level_3' WHERE id = :id"), {"id": instance_id})

    result = run(db_url, "check")

    assert result.exit_code == 1
    assert (f"instance {instance_id} (member {member_id}, pathway): state 'level_3' but the "
            "events end at 'level_2.exited'") in result.stdout
    assert result.stdout.splitlines()[-1] == "3 instances, 8 events checked: 1 problem found"


def test_check_names_each_way_a_log_can_disagree(db_url, member, catalogue):
    broken = member()
    history(db_url, catalogue, broken)
    fine = member()
    pathway = pathway_id(db_url, broken)
    with unit_of_work(db_url) as s:
        # A lost event in the middle (seq 3, the pause) leaves a gap and a broken chain.
        s.execute(delete(Event).where(Event.instance_id == pathway, Event.seq == 3))
        # A level column that disagrees with the state.
        s.execute(update(Instance).where(Instance.member_id == fine)
                  .values(level="level_2"))
        # A training completion recorded as coming from nowhere it could.
        training = s.scalar(select(Instance.id).where(
            Instance.member_id == broken, Instance.machine == "training:three_levels_awareness"))
        s.execute(update(Event).where(Event.instance_id == training, Event.seq == 2)
                  .values(trigger="withdraw"))

    with unit_of_work(db_url, write=False) as s:
        report = integrity.check(s, catalogue)

    assert not report.holds
    messages = [(p.instance_id, p.seq, p.message) for p in report.problems]
    assert (pathway, 4, "seq 4 where 3 was expected (seq must run 1, 2, 3, ...)") in messages
    assert (pathway, 4, "from_state 'level_2.paused' does not follow the previous to_state "
                        "'level_2'") in messages
    assert (training, 2, "'withdraw' from 'enrolled' leads to 'withdrawn', not 'completed'"
            ) in messages
    assert any(p.instance_id == pathway_id(db_url, fine) and "level/status columns" in p.message
               for p in report.problems)
    assert report.summary().endswith(f"{len(report.problems)} problems found")


def test_check_refuses_a_first_event_that_does_not_start_at_the_beginning(
        db_url, member, catalogue):
    member_id = member()
    history(db_url, catalogue, member_id)
    with unit_of_work(db_url) as s:
        s.execute(update(Event).where(Event.machine == "milestone:buddy_assigned")
                  .values(from_state=None))
        s.execute(update(Event).where(Event.machine == "pathway", Event.seq == 1)
                  .values(trigger="advance"))
        s.execute(delete(Event).where(Event.machine == "training:three_levels_awareness",
                                      Event.seq == 2))

    with unit_of_work(db_url, write=False) as s:
        problems = [str(p) for p in integrity.check(s, catalogue).problems]

    assert any("first event 'achieve' has no from_state" in p for p in problems)
    assert any("first event 'advance' has no from_state" in p for p in problems)
    assert any("version 2 but the last event is seq 1" in p for p in problems)
    assert any("state 'completed' but the events end at 'enrolled'" in p for p in problems)


def test_check_finds_a_member_moved_without_a_transfer(db_url, member, unit, catalogue):
    """The pathway row's unit changes only with a recorded transfer; a quiet move is caught."""
    member_id = member()
    unit("ty-draw", "step_down")
    with unit_of_work(db_url) as s:
        s.execute(text("UPDATE members SET unit_id = (SELECT id FROM units WHERE code = 'ty-draw')"
                       " WHERE id = :id"), {"id": member_id})

    result = run(db_url, "check")

    assert result.exit_code == 1
    assert "the pathway row says unit" in result.stdout


def test_check_replays_involvement_and_finds_a_payment_made_behind_the_log(db_url, member,
                                                                          catalogue):
    from pathway.involvement import records

    member_id = member()
    checker = Actor(name="someone else", role="coordinator")
    with unit_of_work(db_url) as s:
        found = s.get_one(Member, member_id)
        _, booked = records.book(s, catalogue, found, COORDINATOR, TZ,
                                 activity="community_meeting", on=date(2026, 2, 2), hours=1,
                                 payment="paid")
        records.change(s, catalogue, found, booked.id, "done", COORDINATOR, TZ)
        records.change(s, catalogue, found, booked.id, "approve", checker, TZ)
    assert run(db_url, "check").exit_code == 0
    with unit_of_work(db_url) as s:
        s.execute(update(Instance).where(Instance.machine == f"involvement:{booked.id}")
                  .values(state="paid"))

    result = run(db_url, "check")

    assert result.exit_code == 1
    assert (f"(member {member_id}, involvement:{booked.id}): state 'paid' but the events end "
            "at 'approved'") in result.stdout
