"""Plausible pathway histories, walked through the real compiled machines.

A few thousand history templates per member kind are random walks over the shipped pathway
definitions (register, advances, pauses and resumes, transfers, the odd step back, exits and
rejoins). Each synthetic member gets one template, its own joining date and starting unit,
so the database can expand members x steps with one set-based INSERT ... SELECT.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from workflows.machine import compile_definition, split_state
from workflows.schema import MEMBER_KINDS, Catalogue

# How often each trigger is chosen when it is possible (transfer is always possible).
WEIGHTS = {"advance": 3.0, "transfer": 1.5, "pause": 1.5, "resume": 5.0, "step_back": 0.4,
           "exit": 0.8, "rejoin": 1.5}
KIND_SHARE = {"service_user": 0.6, "carer": 0.2, "staff": 0.2}
DAY = 86_400
WORKDAY_START = 9 * 3600
# Histories end at least this many days ago, so backdated recording times stay in the past.
QUIET_DAYS = 16


@dataclass(frozen=True)
class Step:
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    offset_s: int  # effective moment, seconds after the start of the joining day
    at_delay_s: int  # recorded this long after the effective moment (backdating)
    unit_step: int  # transfers so far: the unit is the n-th after the starting one
    exit_reason: str | None


@dataclass(frozen=True)
class Template:
    id: int
    kind: str
    workflow: str
    definition_version: int
    steps: tuple[Step, ...]

    @property
    def final(self) -> Step:
        return self.steps[-1]

    @property
    def entered_offset_s(self) -> int:
        """When the current state was entered: the last step that changed the state."""
        for step in reversed(self.steps):
            if step.trigger != "transfer":
                return step.offset_s
        return 0

    @property
    def days(self) -> int:
        return self.final.offset_s // DAY + 1


def walk(template_id: int, kind: str, catalogue: Catalogue, rng: random.Random) -> Template:
    definition = catalogue.pathway_for(kind)
    machine = compile_definition(definition)
    state = definition.initial
    steps = [Step(1, "register", None, state, 0, rng.randint(60, 3600), 0, None)]
    day, units = 0, 0
    for seq in range(2, rng.randint(3, 17) + 1):
        options = [t for t in machine.available_triggers(state) if t in WEIGHTS] + ["transfer"]
        trigger = rng.choices(options, [WEIGHTS[t] for t in options])[0]
        day += rng.randint(3, 90)
        offset = day * DAY + WORKDAY_START + rng.randint(0, 8 * 3600)
        # One in ten events is recorded a few days after it counts (backdated with `on`).
        delay = rng.randint(1, 14) * DAY if rng.random() < 0.1 else rng.randint(30, 3600)
        exit_reason = None
        if trigger == "transfer":
            units += 1
            dest = state
        else:
            dest = machine.fire(trigger, state)
            if trigger == "exit":
                exit_reason = rng.choice(definition.exit_reasons)
        steps.append(Step(seq, trigger, state, dest, offset, delay, units, exit_reason))
        state = dest
    return Template(template_id, kind, definition.name, definition.version, tuple(steps))


def templates(catalogue: Catalogue, per_kind: int, seed: int) -> dict[str, list[Template]]:
    rng = random.Random(seed)
    found: dict[str, list[Template]] = {}
    next_id = 1
    for kind in MEMBER_KINDS:
        found[kind] = []
        for _ in range(per_kind):
            found[kind].append(walk(next_id, kind, catalogue, rng))
            next_id += 1
    return found


@dataclass(frozen=True)
class Planned:
    """One synthetic member: which history, from which unit, joining when."""

    member_id: int
    template_id: int
    base_unit: int
    joined_on: date


def plan(members: int, units: int, by_kind: dict[str, list[Template]], today: date,
         seed: int, spread_days: int = 730) -> list[Planned]:
    """Members joining over a few years, each history ending at least QUIET_DAYS ago."""
    rng = random.Random(seed + 1)
    kinds = list(KIND_SHARE)
    shares = [KIND_SHARE[k] for k in kinds]
    planned = []
    for member_id in range(1, members + 1):
        template = rng.choice(by_kind[rng.choices(kinds, shares)[0]])
        back = template.days + QUIET_DAYS + rng.randint(0, spread_days)
        planned.append(Planned(member_id, template.id, rng.randrange(units),
                               today - timedelta(days=back)))
    return planned


def state_parts(state: str) -> tuple[str, str]:
    return split_state(state)
