"""On any history, the reports agree with each other and with a replay of the events.

Hypothesis writes histories of a few members: some imported (at any level and status, leavers
with their exit), some registered; then advances, step-backs, pauses, resumes, exits, rejoins
and transfers, each backdated to its own day. A small model replays the same story; the
level distribution (now and as of several days), progression, attrition, time in level and
the summary must all say what the model says, and what each other says.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import workflows
from pathway.engine import Firing, fire
from pathway.ops import importer
from pathway.people.members import register_member, transfer
from pathway.people.units import create_unit
from pathway.reports.attrition import attrition
from pathway.reports.distribution import level_distribution
from pathway.reports.progression import progression
from pathway.reports.scope import period_for, scope_for
from pathway.reports.summary import summary
from pathway.reports.time_in_level import time_in_level
from pathway.store.db import engine_for, unit_of_work
from pathway.store.models import Base, Member
from tests.conftest import SYSTEM, TZ
from tests.integration.test_reports_history import ADMIN, NOW

UNITS = ("north", "south")
KINDS = ("service_user", "carer", "staff")
START = date(2026, 1, 5)
LAST = date(2026, 10, 31)
AS_OF = (date(2026, 1, 31), date(2026, 3, 15), date(2026, 5, 1), date(2026, 8, 1), LAST)
ACTIONS = ("advance", "step_back", "pause", "resume", "exit", "rejoin", "transfer")


@dataclass
class Story:
    """One member's history as the model sees it: (day, unit, level, status) after each event."""

    kind: str
    states: list[tuple[date, str, str, str]] = field(default_factory=list)

    @property
    def now(self) -> tuple[date, str, str, str]:
        return self.states[-1]

    def at(self, day: date) -> tuple[date, str, str, str] | None:
        held = [state for state in self.states if state[0] <= day]
        return held[-1] if held else None


@dataclass
class Replay:
    stories: list[Story] = field(default_factory=list)
    exits: list[tuple[str, str, str, str]] = field(default_factory=list)  # unit, kind, reason, level
    rejoined: set[int] = field(default_factory=set)
    leavers: set[int] = field(default_factory=set)
    advances: int = 0
    step_backs: int = 0

    def rows(self, day: date | None = None) -> list[dict[str, Any]]:
        """The level distribution by unit and kind, as the model counts it."""
        counted: dict[tuple[str, str], Counter[str]] = {}
        for story in self.stories:
            state = story.now if day is None else story.at(day)
            if state is None:
                continue
            _, unit, level, status = state
            counted.setdefault((unit, story.kind), Counter())[
                level if status == "active" else status] += 1
        levels = ("level_1", "level_2", "level_3", "paused", "exited")
        return [{"unit": unit, "kind": kind, **{name: n[name] for name in levels},
                 "total": sum(n.values())} for (unit, kind), n in sorted(counted.items())]


member_stories = st.fixed_dictionaries({
    "imported": st.booleans(),
    "kind": st.sampled_from(KINDS),
    "unit": st.sampled_from(UNITS),
    "joined": st.integers(0, 60),
    "level": st.integers(0, 2),
    "status": st.sampled_from(("active", "paused", "exited")),
    "left_after": st.integers(0, 30),
    "reason": st.integers(0, 9),
    "steps": st.lists(st.tuples(st.integers(0, 25), st.sampled_from(ACTIONS),
                                st.sampled_from(UNITS)), max_size=7),
})


def _empty(db_url: str) -> None:
    engine = engine_for(db_url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


def _required_modules(catalogue: workflows.Catalogue, kind: str) -> list[str]:
    return [guard.target or "" for transition in catalogue.pathway_for(kind).transitions
            for guard in transition.guards
            if guard.kind == "training" and guard.enforcement == "required"]


def _write(db_url: str, catalogue: workflows.Catalogue,
           histories: list[dict[str, Any]]) -> Replay:
    """Write the histories through the importer and the engine; replay them in the model."""
    replay = Replay()
    with unit_of_work(db_url) as session:
        for code in UNITS:
            create_unit(session, code, code.title(), "open_rehab")
        cells = []
        for index, history in enumerate(histories):
            pathway = catalogue.pathway_for(history["kind"])
            joined = START + timedelta(days=history["joined"])
            story = Story(history["kind"])
            replay.stories.append(story)
            if not history["imported"]:
                story.states.append((joined, history["unit"], pathway.initial, "active"))
                continue
            level = pathway.levels[history["level"]].code
            status = history["status"]
            row = {"reference": f"M{index}", "kind": history["kind"], "unit": history["unit"],
                   "joined_on": joined.isoformat(), "level": level, "status": status}
            if status == "exited":
                left = joined + timedelta(days=history["left_after"])
                reason = pathway.exit_reasons[history["reason"] % len(pathway.exit_reasons)]
                row.update(exit_reason=reason, exited_on=left.isoformat())
                story.states += [(joined, history["unit"], level, "active"),
                                 (left, history["unit"], level, "exited")]
                replay.exits.append((history["unit"], history["kind"], reason, level))
                replay.leavers.add(index)
            else:
                story.states.append((joined, history["unit"], level, status))
            cells.append((index + 2, row))
        rows = importer.validate(session, catalogue, TZ, cells)
        importer.write(session, catalogue, SYSTEM, TZ, rows)
        for index, history in enumerate(histories):
            if not history["imported"]:
                register_member(session, catalogue, SYSTEM, reference=f"M{index}",
                                kind=history["kind"], unit=history["unit"],
                                joined_on=replay.stories[index].now[0], zone=TZ)
    for index, history in enumerate(histories):
        _tell(db_url, catalogue, replay, index, history)
    return replay


def _tell(db_url: str, catalogue: workflows.Catalogue, replay: Replay, index: int,
          history: dict[str, Any]) -> None:
    """Each step the member may take, fired on its day; the others are skipped."""
    story = replay.stories[index]
    pathway = catalogue.pathway_for(story.kind)
    codes = [level.code for level in pathway.levels]
    with unit_of_work(db_url) as session:
        member = session.query(Member).filter_by(reference=f"M{index}").one()
        joined = story.states[0][0]
        for module in _required_modules(catalogue, story.kind):
            for trigger in ("enrol", "complete"):
                fire(session, catalogue, member, f"training:{module}",
                     Firing(trigger=trigger, on=joined), SYSTEM, TZ)
        for gap, action, target in history["steps"]:
            day, unit, level, status = story.now
            day = day + timedelta(days=gap)
            at = codes.index(level)
            firing: Firing | None = None
            new = (day, unit, level, status)
            if action == "advance" and status == "active" and at + 1 < len(codes):
                firing = Firing(trigger=action, on=day, override=True, reason="Agreed.")
                new = (day, unit, codes[at + 1], status)
                replay.advances += 1
            elif action == "step_back" and status == "active" and at > 0:
                firing = Firing(trigger=action, on=day, reason="Agreed.")
                new = (day, unit, codes[at - 1], status)
                replay.step_backs += 1
            elif action == "pause" and status == "active":
                firing, new = Firing(trigger=action, on=day), (day, unit, level, "paused")
            elif action == "resume" and status == "paused":
                firing, new = Firing(trigger=action, on=day), (day, unit, level, "active")
            elif action == "exit" and status in ("active", "paused"):
                reason = pathway.exit_reasons[gap % len(pathway.exit_reasons)]
                firing = Firing(trigger=action, on=day, exit_reason=reason)
                new = (day, unit, level, "exited")
                replay.exits.append((unit, story.kind, reason, level))
                replay.leavers.add(index)
            elif action == "rejoin" and status == "exited":
                firing = Firing(trigger=action, on=day)
                new = (day, unit, pathway.rejoin_to or level, "active")
                replay.rejoined.add(index)
            elif action == "transfer" and status != "exited" and target != unit:
                transfer(session, catalogue, member, target, SYSTEM, ADMIN, TZ, on=day)
                story.states.append((day, target, level, status))
                continue
            if firing is not None:
                fire(session, catalogue, member, "pathway", firing, SYSTEM, TZ)
                story.states.append(new)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(histories=st.lists(member_stories, min_size=1, max_size=6))
def test_the_reports_agree_with_each_other_and_with_a_replay(db_url, catalogue, histories):
    _empty(db_url)
    replay = _write(db_url, catalogue, histories)
    with unit_of_work(db_url, write=False) as session:
        scope = scope_for(session, ADMIN)
        period = period_for(START, LAST, TZ)
        now = level_distribution(session, scope, TZ)
        assert now["rows"] == replay.rows()
        for day in AS_OF:
            then = level_distribution(session, scope, TZ, as_of=day)
            assert then["rows"] == replay.rows(day), day
        left = attrition(session, scope, period)
        series = progression(session, scope, period, "month")
        steps = time_in_level(session, scope, NOW)
        activity = summary(session, scope, period, NOW)["activity"]["totals"]
        last = level_distribution(session, scope, TZ, as_of=LAST)

    # Attrition counts every exit, imported or fired, by reason, level and unit.
    assert left["exits"] == len(replay.exits) == activity["exits"]
    assert left["leavers"] == len(replay.leavers)
    assert left["rejoined"] == len(replay.rejoined & replay.leavers)
    for breakdown, position in (("by_unit", 0), ("by_kind", 1), ("by_reason", 2),
                                ("by_level", 3)):
        key = breakdown[3:] if breakdown != "by_reason" else "exit_reason"
        expected = Counter(exit[position] for exit in replay.exits)
        assert {row[key]: row["exits"] for row in left[breakdown]} == dict(expected), breakdown
    # Whoever is exited now left at some point: never more exited members than exits.
    assert now["totals"]["exited"] <= left["exits"]
    # The summary and time in level count the same steps up and back.
    assert activity["advances"] == replay.advances == sum(s["advances"] for s in steps["steps"])
    assert activity["step_backs"] == replay.step_backs
    assert activity["joined"] == len(histories)
    # Progression's last point is the distribution as of its day.
    assert series["series"][-1]["as_of"] == LAST
    assert series["series"][-1]["totals"] == last["totals"]
