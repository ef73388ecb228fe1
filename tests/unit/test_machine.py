"""The compiled machines accept exactly the transitions written in the YAML (plus, for
pathways, the built-in pause, resume, exit and rejoin), and nothing else.

The expected table is read from the YAML files directly, not from ``expand()``, so the
compiler is checked against the data rather than against itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import workflows
from workflows.machine import (
    TriggerNotAllowed,
    compile_definition,
    join_state,
    split_state,
)
from workflows.schema import Definition, load_folder

# The definitions of machines: the programme, the activity catalogue and the benefit limits
# are data the machines use, not machines.
DATA_FILES = ("programme.yaml", "involvement-activities.yaml", "benefit-limits.yaml")
FILES = sorted(p.name for p in workflows.DEFAULT_FOLDER.glob("*.yaml") if p.name not in DATA_FILES)
CATALOGUE = load_folder(workflows.DEFAULT_FOLDER)

Table = dict[tuple[str, str], str]


def expected_table(path: Path) -> tuple[str, Table]:
    """(initial, {(trigger, source): dest}) straight from one YAML file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    table: Table = {}
    for item in raw["transitions"]:
        sources = item["source"] if isinstance(item["source"], list) else [item["source"]]
        for source in sources:
            table[(item["trigger"], source)] = item["dest"]
    if raw["machine"] == "pathway":
        levels = [level["code"] for level in raw["levels"]]
        rejoin_to = raw.get("rejoin_to", levels[0])
        for level in levels:
            table[("pause", level)] = f"{level}.paused"
            table[("resume", f"{level}.paused")] = level
            table[("exit", level)] = f"{level}.exited"
            table[("exit", f"{level}.paused")] = f"{level}.exited"
            table[("rejoin", f"{level}.exited")] = level if rejoin_to == "held" else rejoin_to
    return raw["initial"], table


def definition_in(file: str) -> Definition:
    return next(d for d in CATALOGUE.definitions.values() if d.source_file == file)


def reachable(initial: str, table: Table) -> set[str]:
    seen, frontier = {initial}, [initial]
    while frontier:
        state = frontier.pop()
        for (_, source), dest in table.items():
            if source == state and dest not in seen:
                seen.add(dest)
                frontier.append(dest)
    return seen


class CompiledMachineFollowsYaml(RuleBasedStateMachine):
    """Walk a compiled machine at random, firing any trigger it knows from wherever it is."""

    @initialize(file=st.sampled_from(FILES))
    def load(self, file: str) -> None:
        self.definition = definition_in(file)
        self.compiled = compile_definition(self.definition)
        self.initial, self.table = expected_table(workflows.DEFAULT_FOLDER / file)
        self.state = self.initial
        self.triggers = sorted({trigger for trigger, _ in self.table})
        self.level_when_paused: str | None = None

    @rule(data=st.data())
    def fire_a_known_trigger(self, data: st.DataObject) -> None:
        trigger = data.draw(st.sampled_from(self.triggers), label="trigger")
        expected = self.table.get((trigger, self.state))
        if expected is None:
            with pytest.raises(TriggerNotAllowed) as refused:
                self.compiled.fire(trigger, self.state)
            assert refused.value.state == self.state
            assert trigger not in refused.value.allowed
            with pytest.raises(TriggerNotAllowed):
                self.compiled.transition(trigger, self.state)
            return
        assert self.compiled.transition(trigger, self.state).dest == expected
        before = self.state
        self.state = self.compiled.fire(trigger, self.state)
        assert self.state == expected
        if self.definition.machine == "pathway":
            self._check_status_keeps_level(trigger, before)

    def _check_status_keeps_level(self, trigger: str, before: str) -> None:
        level_before, _ = split_state(before)
        level, status = split_state(self.state)
        if trigger == "pause":
            assert (level, status) == (level_before, "paused")
            self.level_when_paused = level
        if trigger == "resume":
            assert (level, status) == (self.level_when_paused, "active")
        if trigger == "exit":
            assert (level, status) == (level_before, "exited")

    @rule(trigger=st.text(min_size=1, max_size=12))
    def fire_an_unknown_trigger(self, trigger: str) -> None:
        if trigger in self.triggers:
            return
        with pytest.raises(TriggerNotAllowed):
            self.compiled.fire(trigger, self.state)

    @invariant()
    def state_is_one_the_machine_has(self) -> None:
        assert self.state in self.compiled.states

    @invariant()
    def available_triggers_are_those_the_yaml_allows_from_here(self) -> None:
        allowed = {trigger for trigger, source in self.table if source == self.state}
        assert set(self.compiled.available_triggers(self.state)) == allowed


TestCompiledMachineFollowsYaml = CompiledMachineFollowsYaml.TestCase
TestCompiledMachineFollowsYaml.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("file", FILES)
def test_every_trigger_from_every_reachable_state(file: str) -> None:
    """The exhaustive twin of the walk above: each (trigger, reachable state) pair once."""
    compiled = compile_definition(definition_in(file))
    initial, table = expected_table(workflows.DEFAULT_FOLDER / file)
    triggers = {trigger for trigger, _ in table}
    states = reachable(initial, table)
    assert states == set(compiled.states)
    for state in states:
        for trigger in triggers:
            if (trigger, state) in table:
                assert compiled.fire(trigger, state) == table[(trigger, state)]
            else:
                with pytest.raises(TriggerNotAllowed):
                    compiled.fire(trigger, state)


@pytest.mark.parametrize("file", FILES)
def test_compiled_transitions_are_exactly_the_yaml_ones(file: str) -> None:
    compiled = compile_definition(definition_in(file))
    _, table = expected_table(workflows.DEFAULT_FOLDER / file)
    assert {(t.trigger, t.source): t.dest for t in compiled.transitions} == table
    assert len(compiled.transitions) == len(table)


def test_paused_member_keeps_level() -> None:
    compiled = compile_definition(CATALOGUE.pathway_for("carer"))
    assert compiled.fire("pause", "level_2") == "level_2.paused"
    assert split_state("level_2.paused") == ("level_2", "paused")


def test_resume_returns_to_the_level_held() -> None:
    compiled = compile_definition(CATALOGUE.pathway_for("service_user"))
    for level in ("level_1", "level_2", "level_3"):
        assert compiled.fire("resume", compiled.fire("pause", level)) == level


def test_paused_member_cannot_advance() -> None:
    compiled = compile_definition(CATALOGUE.pathway_for("staff"))
    with pytest.raises(TriggerNotAllowed) as refused:
        compiled.fire("advance", "level_1.paused")
    assert sorted(refused.value.allowed) == ["exit", "resume"]


def test_a_new_member_may_advance_pause_or_exit() -> None:
    compiled = compile_definition(CATALOGUE.pathway_for("service_user"))
    assert compiled.available_triggers("level_1") == ["advance", "pause", "exit"]


def test_exit_from_a_pause_keeps_the_level_and_needs_a_reason() -> None:
    compiled = compile_definition(CATALOGUE.pathway_for("carer"))
    transition = compiled.transition("exit", "level_3.paused")
    assert transition.dest == "level_3.exited"
    assert [(g.criterion, g.enforcement) for g in transition.guards] == [("exit_reason", "required")]


def test_rejoin_starts_again_at_level_1_by_default() -> None:
    compiled = compile_definition(CATALOGUE.pathway_for("staff"))
    assert compiled.fire("rejoin", "level_3.exited") == "level_1"


def test_rejoin_to_held_returns_to_the_level_held(tmp_path: Path) -> None:
    folder = tmp_path / "definitions"
    folder.mkdir()
    for source in workflows.DEFAULT_FOLDER.glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        if source.name == "pathway-carer.yaml":
            text = text.replace("rejoin_to: level_1", "rejoin_to: held")
        (folder / source.name).write_text(text, encoding="utf-8")
    compiled = compile_definition(load_folder(folder).pathway_for("carer"))
    assert compiled.fire("rejoin", "level_2.exited") == "level_2"
    assert compiled.fire("rejoin", "level_3.exited") == "level_3"


def test_unknown_state_allows_nothing() -> None:
    compiled = compile_definition(CATALOGUE.lifecycle("training"))
    assert compiled.available_triggers("expired") == []
    with pytest.raises(TriggerNotAllowed):
        compiled.fire("complete", "expired")


def test_compiling_twice_reuses_the_one_machine() -> None:
    definition = CATALOGUE.pathway_for("carer")
    assert compile_definition(definition) is compile_definition(definition)


def test_firing_leaves_the_shared_machine_without_models() -> None:
    compiled = compile_definition(CATALOGUE.lifecycle("milestone"))
    compiled.fire("achieve", "not_achieved")
    assert compiled.machine.models == []


@pytest.mark.parametrize(("state", "parts"), [("level_2", ("level_2", "active")),
                                               ("level_2.paused", ("level_2", "paused")),
                                               ("level_1.exited", ("level_1", "exited"))])
def test_split_and_join_state_are_inverse(state: str, parts: tuple[str, str]) -> None:
    assert split_state(state) == parts
    assert join_state(*parts) == state
