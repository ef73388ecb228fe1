"""The shape of workflow definitions, and their validation with located errors.

A folder of YAML files defines everything a health board may adapt: the pathway for each
member kind (levels, milestones, guarded transitions), the small lifecycles of training
modules, milestones and awards, and the programme (modules and awards). Loading checks the
whole folder and reports every fault as ``file: path: fault`` so a board can fix its files
without reading Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workflows import involvement
from workflows.guards import (
    A_CODE,
    DAYS,
    GUARD_KINDS,
    KINDS,
    REFERS_TO_LEVEL,
    REFERS_TO_MILESTONE,
    REFERS_TO_MODULE,
)
from workflows.vocabulary import (
    BOARD_MACHINES,
    BUILT_IN_TRIGGERS,
    ENTERS_LEVEL,
    INVOLVEMENT,
    LIFECYCLE_NEEDS,
    LIFECYCLES,
    MACHINE_KINDS,
    PATHWAY,
    PROPOSAL,
    PROPOSAL_NEEDS,
    STATUS_TRIGGERS,
)

# libyaml's parser when PyYAML has it (the same documents, about ten times faster: every
# command loads the definitions at start-up), else the pure-Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MEMBER_KINDS = ("service_user", "carer", "staff")
ENFORCEMENTS = ("required", "advisory")
PATHWAY_STATUSES = ("active", "paused", "exited")
__all__ = ["GUARD_KINDS", "LIFECYCLES", "MEMBER_KINDS", "STATUS_TRIGGERS", "Catalogue",
           "Definition", "DefinitionError", "Guard", "load_folder"]


class DefinitionError(Exception):
    """One or more faults in the workflow definitions, each located in its file."""

    def __init__(self, faults: list[str]) -> None:
        self.faults = faults
        super().__init__("invalid workflow definitions:\n  " + "\n  ".join(faults))


@dataclass(frozen=True)
class Guard:
    """One criterion a transition or award checks, e.g. a milestone or a training module."""

    kind: str  # one of workflows.guards.KINDS
    target: str | None
    at_least: int | None
    enforcement: str
    description: str | None = None
    # Where the guard was written ("file: path"), so reference faults name their place.
    where: str = field(default="", compare=False)

    @property
    def criterion(self) -> str:
        """The stable slug clients see, e.g. ``milestone:buddy_assigned``."""
        if self.target is None:
            return self.kind
        return f"{self.kind}:{self.target}"


@dataclass(frozen=True)
class Transition:
    trigger: str
    source: str
    dest: str
    guards: tuple[Guard, ...] = ()


@dataclass(frozen=True)
class Level:
    code: str
    title: str


@dataclass(frozen=True)
class Milestone:
    code: str
    level: str
    title: str
    description: str


@dataclass(frozen=True)
class Definition:
    """One state machine: a pathway for a member kind, or a small lifecycle."""

    name: str
    machine: str  # pathway | training | milestone | award
    applies_to: tuple[str, ...]
    version: int
    title: str
    states: tuple[str, ...]
    initial: str
    transitions: tuple[Transition, ...]
    source_file: str
    levels: tuple[Level, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    exit_reasons: tuple[str, ...] = ()
    rejoin_to: str | None = None

    def transitions_for(self, trigger: str, source: str) -> Transition | None:
        for transition in self.transitions:
            if transition.trigger == trigger and transition.source == source:
                return transition
        return None

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    @property
    def level_triggers(self) -> tuple[str, ...]:
        """A pathway's triggers that put a member on a level: the built-in ``register`` and
        ``rejoin`` and every trigger the definition lists (each moves between levels)."""
        return tuple(dict.fromkeys((*ENTERS_LEVEL, *self.triggers)))

    @property
    def first_level(self) -> str:
        return self.initial

    def level_title(self, level: str) -> str:
        return next((lv.title for lv in self.levels if lv.code == level), level)

    def level_index(self, level: str) -> int:
        return next((i for i, lv in enumerate(self.levels) if lv.code == level), -1)


@dataclass(frozen=True)
class Module:
    code: str
    title: str
    level: str
    valid_for_days: int | None
    description: str = ""


@dataclass(frozen=True)
class Award:
    code: str
    title: str
    kind: str
    level: str
    criteria: tuple[Guard, ...]
    description: str = ""
    where: str = field(default="", compare=False)  # "file: awards[i]", to locate faults


@dataclass
class Catalogue:
    """Everything loaded from one folder of definitions."""

    folder: str
    definitions: dict[str, Definition] = field(default_factory=dict)
    modules: dict[str, Module] = field(default_factory=dict)
    awards: dict[str, Award] = field(default_factory=dict)
    # Involvement and payment (optional: a folder without them offers no involvement).
    activities: dict[str, involvement.Activity] = field(default_factory=dict)
    benefit_rules: dict[str, involvement.BenefitRule] = field(default_factory=dict)

    def pathway_for(self, kind: str) -> Definition:
        for definition in self.definitions.values():
            if definition.machine == PATHWAY and kind in definition.applies_to:
                return definition
        raise KeyError(kind)

    def lifecycle(self, machine: str) -> Definition:
        for definition in self.definitions.values():
            if definition.machine == machine:
                return definition
        raise KeyError(machine)

    def milestones_for(self, kind: str) -> tuple[Milestone, ...]:
        return self.pathway_for(kind).milestones

    def milestone_kinds(self, code: str) -> list[str]:
        """The member kinds whose catalogue holds this milestone code."""
        return [k for k in MEMBER_KINDS if any(m.code == code for m in self.milestones_for(k))]

    def all_milestone_codes(self) -> list[str]:
        codes: dict[str, None] = {}
        for kind in MEMBER_KINDS:
            for milestone in self.milestones_for(kind):
                codes[milestone.code] = None
        return list(codes)


def _kind_of(value: Any) -> str:
    """What a board wrote instead, in words: ``nothing``, ``text``, ``a list``..."""
    if value is None:
        return "nothing"
    names = {str: "text", bool: "true/false", int: "a number", float: "a number",
             list: "a list", dict: "a mapping"}
    return names.get(type(value), type(value).__name__)


class _Reader:
    """Walks one file's YAML, collecting located faults instead of stopping at the first."""

    def __init__(self, file: str, faults: list[str]) -> None:
        self.file = file
        self.faults = faults

    def fault(self, path: str, message: str) -> None:
        self.faults.append(f"{self.file}: {path}: {message}")

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fault(path, f"expected a mapping (key: value), found {_kind_of(value)}")
            return {}
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fault(path, f"expected a list, found {_kind_of(value)}")
            return []
        return value

    def text(self, data: dict[str, Any], key: str, path: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.fault(f"{path}.{key}" if path else key, "is required")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fault(f"{path}.{key}" if path else key, "must be non-empty text")
            return ""
        return value

    def whole(self, data: dict[str, Any], key: str, path: str, *, minimum: int = 0) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fault(f"{path}.{key}" if path else key, f"must be a whole number of at least {minimum}")
            return None
        return value

    def unknown_keys(self, data: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.fault(where, f"unknown key (expected one of: {', '.join(sorted(allowed))})")


def _read_guard(reader: _Reader, raw: Any, path: str) -> Guard | None:
    data = reader.mapping(raw, path)
    if not isinstance(raw, dict):
        return None
    kinds = [k for k in GUARD_KINDS if k in data]
    if len(kinds) != 1:
        reader.fault(path, f"a guard names exactly one of: {', '.join(GUARD_KINDS)}")
        return None
    kind = kinds[0]
    entry = KINDS[kind]
    reader.unknown_keys(data, {kind, "enforcement", "at_least", "description"}, path)
    enforcement = data.get("enforcement")
    if enforcement not in ENFORCEMENTS:
        reader.fault(f"{path}.enforcement", "must be 'required' or 'advisory'")
        enforcement = "required"
    description = reader.text(data, "description", path, required=False) or None
    where = f"{reader.file}: {path}"
    target = data[kind]
    if entry.holds == DAYS:
        if isinstance(target, bool) or not isinstance(target, int) or target < 1:
            reader.fault(f"{path}.{kind}", "must be a whole number of days, at least 1")
            return None
        return Guard(kind, None, target, enforcement, description, where)
    if entry.holds != A_CODE:
        target = None
    elif not isinstance(target, str) or not target:
        reader.fault(f"{path}.{kind}", "must name a code")
        return None
    at_least = reader.whole(data, "at_least", path, minimum=1)
    if entry.needs_at_least and at_least is None:
        reader.fault(f"{path}.at_least", f"is required for {kind}")
    return Guard(kind, target, at_least, enforcement, description, where)


def _read_definition(reader: _Reader, data: dict[str, Any]) -> Definition | None:
    machine = data.get("machine")
    allowed = {"name", "machine", "applies_to", "version", "title", "description", "states",
               "initial", "transitions", "levels", "milestones", "exit_reasons", "rejoin_to"}
    reader.unknown_keys(data, allowed, "")
    name = reader.text(data, "name", "")
    title = reader.text(data, "title", "")
    version = reader.whole(data, "version", "", minimum=1)
    if version is None:
        if data.get("version") is None:
            reader.fault("version", "is required: a whole number of at least 1")
        version = 1
    if machine not in (*MACHINE_KINDS, *BOARD_MACHINES):
        reader.fault("machine", f"must be one of: {', '.join((*MACHINE_KINDS, *BOARD_MACHINES))}")
        return None
    applies_raw = data.get("applies_to", "all")
    applies = list(MEMBER_KINDS) if applies_raw == "all" else applies_raw
    if isinstance(applies, str):
        applies = [applies]
    applies_to: list[str] = []
    for i, kind in enumerate(reader.sequence(applies, "applies_to")):
        if kind not in MEMBER_KINDS:
            reader.fault(f"applies_to[{i}]", f"unknown member kind {kind!r}")
        else:
            applies_to.append(kind)

    levels: list[Level] = []
    milestones: list[Milestone] = []
    exit_reasons: list[str] = []
    if machine == PATHWAY:
        for i, raw in enumerate(reader.sequence(data.get("levels"), "levels")):
            level = reader.mapping(raw, f"levels[{i}]")
            reader.unknown_keys(level, {"code", "title"}, f"levels[{i}]")
            levels.append(Level(reader.text(level, "code", f"levels[{i}]"),
                                reader.text(level, "title", f"levels[{i}]")))
        if not levels:
            reader.fault("levels", "a pathway needs at least one level")
        states = [lv.code for lv in levels]
        for i, raw in enumerate(reader.sequence(data.get("milestones"), "milestones")):
            where = f"milestones[{i}]"
            item = reader.mapping(raw, where)
            reader.unknown_keys(item, {"code", "level", "title", "description"}, where)
            milestone = Milestone(reader.text(item, "code", where), reader.text(item, "level", where),
                                  reader.text(item, "title", where),
                                  reader.text(item, "description", where, required=False))
            if milestone.level and milestone.level not in states:
                reader.fault(f"{where}.level", f"unknown level {milestone.level!r}")
            if any(m.code == milestone.code for m in milestones):
                reader.fault(f"{where}.code", f"duplicate milestone code {milestone.code!r}")
            milestones.append(milestone)
        for i, reason in enumerate(reader.sequence(data.get("exit_reasons"), "exit_reasons")):
            if not isinstance(reason, str) or not reason:
                reader.fault(f"exit_reasons[{i}]", "must be a code")
            else:
                exit_reasons.append(reason)
        if not exit_reasons:
            reader.fault("exit_reasons", "a pathway needs at least one exit reason")
    else:
        states = []
        for i, state in enumerate(reader.sequence(data.get("states"), "states")):
            if not isinstance(state, str) or not state:
                reader.fault(f"states[{i}]", "must be a state name")
            elif state in states:
                reader.fault(f"states[{i}]", f"duplicate state {state!r}")
            else:
                states.append(state)
        if not states:
            reader.fault("states", "a lifecycle needs at least one state")

    initial = reader.text(data, "initial", "")
    if initial and initial not in states:
        reader.fault("initial", f"unknown state {initial!r} (states: {', '.join(states)})")
    rejoin_to = data.get("rejoin_to", states[0] if states else None)
    if machine == PATHWAY and rejoin_to not in ("held", *states):
        reader.fault("rejoin_to", f"must be a level or 'held', found {rejoin_to!r}")

    transitions: list[Transition] = []
    for i, raw in enumerate(reader.sequence(data.get("transitions"), "transitions")):
        where = f"transitions[{i}]"
        item = reader.mapping(raw, where)
        reader.unknown_keys(item, {"trigger", "source", "dest", "guards"}, where)
        trigger = reader.text(item, "trigger", where)
        dest = reader.text(item, "dest", where)
        sources = item.get("source")
        if sources is None and item:
            reader.fault(f"{where}.source", "is required")
        sources = sources if isinstance(sources, list) else [] if sources is None else [sources]
        guards = tuple(g for j, raw_guard in enumerate(reader.sequence(item.get("guards"),
                                                                       f"{where}.guards"))
                       if (g := _read_guard(reader, raw_guard, f"{where}.guards[{j}]")))
        if machine == PATHWAY and trigger in BUILT_IN_TRIGGERS:
            reader.fault(f"{where}.trigger",
                         f"{trigger!r} is built in for every level; do not list it")
        for source in sources:
            if source not in states:
                reader.fault(f"{where}.source", f"unknown state {source!r}")
                continue
            if dest and dest not in states:
                reader.fault(f"{where}.dest", f"unknown state {dest!r}")
                continue
            if any(t.trigger == trigger and t.source == source for t in transitions):
                reader.fault(where, f"two transitions for trigger {trigger!r} from state {source!r}")
                continue
            transitions.append(Transition(trigger, source, dest, guards))
    _check_reachable(reader, states, initial, transitions, machine)
    return Definition(name=name, machine=machine, applies_to=tuple(applies_to), version=version,
                      title=title, states=tuple(states), initial=initial,
                      transitions=tuple(transitions), source_file=reader.file,
                      levels=tuple(levels), milestones=tuple(milestones),
                      exit_reasons=tuple(exit_reasons),
                      rejoin_to=rejoin_to if machine == PATHWAY else None)


def _check_reachable(reader: _Reader, states: list[str], initial: str,
                     transitions: list[Transition], machine: str) -> None:
    if not initial or initial not in states:
        return
    reached = {initial}
    frontier = [initial]
    while frontier:
        state = frontier.pop()
        for t in transitions:
            if t.source == state and t.dest not in reached:
                reached.add(t.dest)
                frontier.append(t.dest)
    for state in states:
        if state not in reached:
            reader.fault("states" if machine != PATHWAY else "levels",
                         f"state {state!r} cannot be reached from {initial!r}")


def _read_programme(reader: _Reader, data: dict[str, Any], catalogue: Catalogue) -> None:
    reader.unknown_keys(data, {"programme", "modules", "awards", "title", "description"}, "")
    for i, raw in enumerate(reader.sequence(data.get("modules"), "modules")):
        where = f"modules[{i}]"
        item = reader.mapping(raw, where)
        reader.unknown_keys(item, {"code", "title", "level", "valid_for_days", "description"}, where)
        module = Module(reader.text(item, "code", where), reader.text(item, "title", where),
                        reader.text(item, "level", where),
                        reader.whole(item, "valid_for_days", where, minimum=1),
                        reader.text(item, "description", where, required=False))
        if module.code in catalogue.modules:
            reader.fault(f"{where}.code", f"duplicate module code {module.code!r}")
        catalogue.modules[module.code] = module
    for i, raw in enumerate(reader.sequence(data.get("awards"), "awards")):
        where = f"awards[{i}]"
        item = reader.mapping(raw, where)
        reader.unknown_keys(item, {"code", "title", "kind", "level", "criteria", "description"},
                            where)
        kind = reader.text(item, "kind", where)
        if kind and kind not in MEMBER_KINDS:
            reader.fault(f"{where}.kind", f"unknown member kind {kind!r}")
        criteria = tuple(g for j, raw_guard in enumerate(reader.sequence(item.get("criteria"),
                                                                         f"{where}.criteria"))
                         if (g := _read_guard(reader, raw_guard, f"{where}.criteria[{j}]")))
        if not criteria:
            reader.fault(f"{where}.criteria", "an award needs at least one criterion")
        award = Award(reader.text(item, "code", where), reader.text(item, "title", where), kind,
                      reader.text(item, "level", where), criteria,
                      reader.text(item, "description", where, required=False),
                      where=f"{reader.file}: {where}")
        if award.code in catalogue.awards:
            reader.fault(f"{where}.code", f"duplicate award code {award.code!r}")
        catalogue.awards[award.code] = award


def _check_references(catalogue: Catalogue, faults: list[str]) -> None:
    """Guards and criteria may only name milestones, modules and levels that exist."""

    def check(guards: tuple[Guard, ...], kinds: tuple[str, ...], where: str) -> None:
        for j, guard in enumerate(guards):
            spot = f"{guard.where or f'{where}[{j}]'}.{guard.kind}"
            pathways = [catalogue.pathway_for(k) for k in kinds
                        if any(d.machine == PATHWAY and k in d.applies_to
                               for d in catalogue.definitions.values())]
            refers_to = KINDS[guard.kind].refers_to
            if refers_to == REFERS_TO_MODULE and guard.target not in catalogue.modules:
                faults.append(f"{spot}: unknown training module {guard.target!r}")
            if refers_to == REFERS_TO_MILESTONE:
                for p in pathways:
                    if not any(m.code == guard.target for m in p.milestones):
                        faults.append(f"{spot}: unknown milestone {guard.target!r} "
                                      f"for {', '.join(kinds)}")
                        break
            if refers_to == REFERS_TO_LEVEL:
                for p in pathways:
                    if guard.target not in p.states:
                        faults.append(f"{spot}: unknown level {guard.target!r}")
                        break

    for definition in catalogue.definitions.values():
        for i, t in enumerate(definition.transitions):
            check(t.guards, definition.applies_to,
                  f"{definition.source_file}: transitions[{i}].guards")
    for award in catalogue.awards.values():
        kinds = (award.kind,) if award.kind in MEMBER_KINDS else ()
        check(award.criteria, kinds, f"{award.where}.criteria")
        for kind in kinds:
            pathway = next((d for d in catalogue.definitions.values()
                            if d.machine == PATHWAY and kind in d.applies_to), None)
            if pathway and award.level and award.level not in pathway.states:
                faults.append(f"{award.where}.level: unknown level {award.level!r}")
    for kind in MEMBER_KINDS:
        count = sum(1 for d in catalogue.definitions.values()
                    if d.machine == PATHWAY and kind in d.applies_to)
        if count != 1:
            faults.append(f"{catalogue.folder}: pathway for {kind!r}: "
                          f"exactly one pathway definition must apply, found {count}")
    for machine in LIFECYCLES:
        count = sum(1 for d in catalogue.definitions.values() if d.machine == machine)
        if count != 1:
            faults.append(f"{catalogue.folder}: {machine} lifecycle: "
                          f"exactly one definition needed, found {count}")
    if sum(1 for d in catalogue.definitions.values() if d.machine == INVOLVEMENT) > 1:
        faults.append(f"{catalogue.folder}: {INVOLVEMENT} lifecycle: at most one definition")
    involvement.check_levels(catalogue, {level for d in catalogue.definitions.values()
                                         for level in d.states if d.machine == PATHWAY},
                             faults)
    _check_board(catalogue, faults)
    for definition in catalogue.definitions.values():
        # The service fires these triggers and reads these states by name.
        triggers, states = LIFECYCLE_NEEDS.get(definition.machine, ((), ()))
        for trigger in triggers:
            if trigger not in definition.triggers:
                faults.append(f"{definition.source_file}: transitions: the {definition.machine} "
                              f"lifecycle needs a transition for the trigger {trigger!r}")
        for state in states:
            if state not in definition.states:
                faults.append(f"{definition.source_file}: states: the {definition.machine} "
                              f"lifecycle needs a state {state!r}")


def _check_board(catalogue: Catalogue, faults: list[str]) -> None:
    """The proposals board needs its one lifecycle, with every state and trigger it shows."""
    boards = [d for d in catalogue.definitions.values() if d.machine == PROPOSAL]
    if len(boards) != 1:
        faults.append(f"{catalogue.folder}: {PROPOSAL} lifecycle: "
                      f"exactly one definition needed, found {len(boards)}")
        return
    board = boards[0]
    triggers, states = PROPOSAL_NEEDS
    for state in states:
        if state not in board.states:
            faults.append(f"{board.source_file}: states: the {PROPOSAL} lifecycle needs a "
                          f"state {state!r}")
    for trigger in triggers:
        if trigger not in board.triggers:
            faults.append(f"{board.source_file}: transitions: the {PROPOSAL} lifecycle needs "
                          f"a transition for the trigger {trigger!r}")
    for transition in board.transitions:
        # The board names each move after where it leads ("Move to amber").
        if transition.trigger != transition.dest:
            faults.append(f"{board.source_file}: transitions: the trigger "
                          f"{transition.trigger!r} leads to {transition.dest!r}; a {PROPOSAL} "
                          f"trigger is named after the state it leads to")


def load_folder(folder: str | Path) -> Catalogue:
    """Load and validate every ``*.yaml`` file in ``folder``; raise DefinitionError on faults."""
    path = Path(folder)
    faults: list[str] = []
    catalogue = Catalogue(folder=str(path))
    if not path.is_dir():
        raise DefinitionError([f"{path}: not a folder of workflow definitions"])
    files = sorted(path.glob("*.yaml"))
    if not files:
        raise DefinitionError([f"{path}: no *.yaml workflow definitions found"])
    # A file that could not be read at all may hold what the others name: checking their
    # references against a partial catalogue would only add misleading faults.
    every_file_read = True
    for file in files:
        reader = _Reader(file.name, faults)
        try:
            data = yaml.load(file.read_text(encoding="utf-8"),
                             Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "(top)"
            reader.fault(where, f"not valid YAML ({getattr(exc, 'problem', None) or exc})")
            every_file_read = False
            continue
        data = reader.mapping(data, "(top)")
        if not data:
            every_file_read = False
            continue
        if "programme" in data or "modules" in data:
            _read_programme(reader, data, catalogue)
            continue
        if "activities" in data:
            involvement.read_activities(reader, data, catalogue)
            continue
        if "benefit_limits" in data:
            involvement.read_benefit_limits(reader, data, catalogue)
            continue
        definition = _read_definition(reader, data)
        if definition is None or not definition.name:
            every_file_read = False
            continue
        if definition.name in catalogue.definitions:
            reader.fault("name", f"duplicate definition name {definition.name!r}")
        catalogue.definitions[definition.name] = definition
    if every_file_read:
        _check_references(catalogue, faults)
    if faults:
        raise DefinitionError(faults)
    return catalogue


# --- what reports read from a loaded catalogue ---------------------------------------------
# Kept apart from the loader above: the level columns and level-changing triggers that
# reports, charts and API schemas are built from.


def ordered_levels(catalogue: Catalogue) -> tuple[Level, ...]:
    """The levels of every pathway, each once, in level order.

    Pathways are read in ``MEMBER_KINDS`` order; a level not seen before goes after the level
    that precedes it in its own pathway (or first, if it is that pathway's first), so the
    shipped three levels read level_1, level_2, level_3 and a fourth level of one pathway
    follows the third. Titles are those of the first pathway naming the level.
    """
    merged: list[Level] = []
    for kind in MEMBER_KINDS:
        try:
            pathway = catalogue.pathway_for(kind)
        except KeyError:
            continue
        previous: str | None = None
        for level in pathway.levels:
            codes = [known.code for known in merged]
            if level.code not in codes:
                place = codes.index(previous) + 1 if previous in codes else (
                    0 if previous is None else len(merged))
                merged.insert(place, level)
            previous = level.code
    return tuple(merged)


def level_triggers(catalogue: Catalogue) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(triggers that move a member up a level, triggers that move them down), from the
    pathways' own transitions: up when the destination comes later in that pathway's level
    order than the source, down when it comes earlier."""
    up: dict[str, None] = {}
    down: dict[str, None] = {}
    for definition in catalogue.definitions.values():
        if definition.machine != "pathway":
            continue
        for transition in definition.transitions:
            source = definition.level_index(transition.source)
            dest = definition.level_index(transition.dest)
            if dest > source:
                up[transition.trigger] = None
            elif dest < source:
                down[transition.trigger] = None
    return tuple(up), tuple(down)
