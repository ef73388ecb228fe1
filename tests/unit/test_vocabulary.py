"""Machines are addressed by one value, read and written in one place."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from workflows.guards import GUARD_KINDS, Facts, asks, evaluate, setting_for
from workflows.machine import expand
from workflows.schema import load_folder
from workflows.vocabulary import (
    AWARD,
    BUILT_IN_TRIGGERS,
    MILESTONE,
    PATHWAY,
    STATUS_TRIGGERS,
    TRAINING,
    MachineRef,
    MachineRefError,
)

CATALOGUE = load_folder("workflows/definitions")


@pytest.mark.parametrize(("text", "ref"), [
    ("pathway", MachineRef(PATHWAY)),
    ("training:peer_support", MachineRef(TRAINING, "peer_support")),
    ("milestone:buddy_assigned", MachineRef(MILESTONE, "buddy_assigned")),
    ("award:su_foundation", MachineRef(AWARD, "su_foundation")),
])
def test_a_machine_reads_and_writes_as_the_text_stored_and_answered(text: str,
                                                                   ref: MachineRef) -> None:
    assert MachineRef.parse(text) == ref
    assert str(ref) == text


def test_the_named_constructors_build_the_same_references() -> None:
    assert (MachineRef.pathway(), MachineRef.training("x"), MachineRef.milestone("y"),
            MachineRef.award("z")) == (MachineRef.parse("pathway"), MachineRef.parse("training:x"),
                                       MachineRef.parse("milestone:y"), MachineRef.parse("award:z"))
    assert MachineRef.pathway().is_pathway
    assert not MachineRef.award("z").is_pathway


@pytest.mark.parametrize("text", ["weather:sunny", "pathway:level_1", "training", "award:", ""])
def test_text_that_addresses_no_machine_is_refused(text: str) -> None:
    with pytest.raises(MachineRefError):
        MachineRef.parse(text)


def test_a_lifecycle_kind_matches_its_stored_machines_in_sql() -> None:
    assert MachineRef.like(TRAINING) == "training:%"


def test_every_pathway_compiles_the_built_in_status_triggers_from_every_level() -> None:
    for kind in ("service_user", "carer", "staff"):
        definition = CATALOGUE.pathway_for(kind)
        compiled = {(t.trigger, t.source) for t in expand(definition)}
        for level in definition.states:
            assert {(STATUS_TRIGGERS[0], level), ("exit", level)} <= compiled
        assert not set(definition.triggers) & set(BUILT_IN_TRIGGERS)


def test_a_pathways_level_changes_are_its_own_moves_and_the_built_in_arrivals() -> None:
    definition = CATALOGUE.pathway_for("service_user")
    assert definition.level_triggers == ("register", "rejoin", "advance", "step_back")


def test_a_criterion_reads_the_same_in_the_catalogue_and_in_a_verdict_less_progress() -> None:
    # What the award catalogue says a criterion asks is where a verdict's words begin: the
    # verdict only adds the member's progress ("(2 so far)", "expired on ...").
    someone = Facts(kind="service_user", today=date(2026, 6, 1), level="level_1",
                    days_at_level=12, milestones=frozenset({"buddy_assigned"}))
    seen = set()
    for award in CATALOGUE.awards.values():
        setting = setting_for(CATALOGUE, award.kind)
        for guard in award.criteria:
            facts = replace(someone, kind=award.kind)
            said = evaluate(guard, facts, CATALOGUE).description
            assert said.startswith(asks(guard, setting)), (award.code, guard)
            seen.add(guard.kind)
    assert seen <= set(GUARD_KINDS)
    assert {"level", "training", "milestone", "milestones_at_level"} <= seen
