"""The shipped definitions, API.md's rules for them, and every fault located in its file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

import workflows
from workflows.guards import Facts, TrainingRecord, evaluate_all
from workflows.schema import MEMBER_KINDS, Catalogue, DefinitionError, load_folder

TODAY = date(2026, 11, 28)
LEVELS = ("level_1", "level_2", "level_3")


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    return load_folder(workflows.DEFAULT_FOLDER)


def _everything_done(catalogue: Catalogue, kind: str, level: str) -> Facts:
    """A member at ``level`` who has recorded every milestone and completed every module today,
    and nothing else (no time at the level)."""
    return Facts(kind=kind, today=TODAY, level=level, days_at_level=0,
                 milestones=frozenset(m.code for m in catalogue.milestones_for(kind)),
                 training={code: TrainingRecord("completed", TODAY, None)
                           for code in catalogue.modules})


def _advance_guards(catalogue: Catalogue, kind: str, source: str):  # type: ignore[no-untyped-def]
    transition = catalogue.pathway_for(kind).transitions_for("advance", source)
    assert transition is not None, f"{kind}: no advance from {source}"
    return transition.guards


# The shipped definitions ------------------------------------------------------------------


def test_shipped_definitions_load(shipped: Catalogue) -> None:
    assert set(shipped.definitions) == {"pathway_service_user", "pathway_carer", "pathway_staff",
                                        "training_module", "milestone", "award", "involvement",
                                        "proposal"}
    for kind in MEMBER_KINDS:
        assert shipped.pathway_for(kind).levels
    for machine in ("training", "milestone", "award"):
        assert shipped.lifecycle(machine).initial


def test_load_reads_the_default_folder_without_configuration(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.delenv("PATHWAY_WORKFLOWS", raising=False)
    assert set(workflows.load().definitions) == set(load_folder(workflows.DEFAULT_FOLDER).definitions)


@pytest.mark.parametrize("kind", MEMBER_KINDS)
def test_every_advance_is_guarded(shipped: Catalogue, kind: str) -> None:
    advances = [t for t in shipped.pathway_for(kind).transitions if t.trigger == "advance"]
    assert {t.source for t in advances} == {"level_1", "level_2"}
    assert all(t.guards for t in advances)


@pytest.mark.parametrize("kind", MEMBER_KINDS)
def test_level_1_to_2_guards_are_advisory_and_met_by_milestones_and_training_alone(
        shipped: Catalogue, kind: str) -> None:
    guards = _advance_guards(shipped, kind, "level_1")
    assert {g.enforcement for g in guards} == {"advisory"}
    assert not [g for g in guards if g.kind == "min_days_at_level"]
    verdicts = evaluate_all(guards, _everything_done(shipped, kind, "level_1"), shipped)
    assert [v.criterion for v in verdicts if not v.met] == []


@pytest.mark.parametrize("kind", MEMBER_KINDS)
def test_level_2_to_3_requires_a_level_2_module_in_date(shipped: Catalogue, kind: str) -> None:
    guards = _advance_guards(shipped, kind, "level_2")
    required_modules = [shipped.modules[g.target] for g in guards
                        if g.kind == "training" and g.enforcement == "required"]
    assert [m for m in required_modules if m.level == "level_2"]
    verdicts = evaluate_all(guards, _everything_done(shipped, kind, "level_2"), shipped)
    assert all(v.met for v in verdicts)


def test_programme_has_six_modules_and_a_refresher(shipped: Catalogue) -> None:
    assert len(shipped.modules) >= 6
    assert [m for m in shipped.modules.values() if m.valid_for_days]
    assert {m.level for m in shipped.modules.values()} <= set(LEVELS)


@pytest.mark.parametrize("kind", MEMBER_KINDS)
@pytest.mark.parametrize("level", LEVELS)
def test_each_level_and_kind_has_an_award(shipped: Catalogue, kind: str, level: str) -> None:
    assert [a for a in shipped.awards.values() if a.kind == kind and a.level == level]


@pytest.mark.parametrize("code", sorted(load_folder(workflows.DEFAULT_FOLDER).awards))
def test_each_award_can_be_met_by_milestones_training_and_level(shipped: Catalogue,
                                                                 code: str) -> None:
    award = shipped.awards[code]
    assert {g.kind for g in award.criteria} <= {"milestone", "training", "milestones_at_level",
                                                "level"}
    verdicts = evaluate_all(award.criteria, _everything_done(shipped, award.kind, award.level),
                            shipped)
    assert [v.criterion for v in verdicts if not v.met] == []


# Faults, each located: file, path inside the file, what is wrong --------------------------


@pytest.fixture
def board_folder(tmp_path: Path) -> Path:
    """A copy of the shipped definitions a test may break."""
    folder = tmp_path / "definitions"
    shutil.copytree(workflows.DEFAULT_FOLDER, folder)
    return folder


def _edit(folder: Path, file: str, change: Callable[[str], str]) -> None:
    path = folder / file
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, "the edit did not apply"
    path.write_text(after, encoding="utf-8")


def _faults(folder: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_folder(folder)
    return caught.value.faults


def _has(faults: list[str], file: str, path: str, words: str) -> bool:
    return any(f.startswith(f"{file}: {path}: ") and words in f for f in faults)


def test_unknown_state_names_file_path_and_state(board_folder: Path) -> None:
    _edit(board_folder, "pathway-carer.yaml",
          lambda s: s.replace("{trigger: step_back, source: level_3, dest: level_2}",
                              "{trigger: step_back, source: level_3, dest: level_9}"))
    faults = _faults(board_folder)
    assert _has(faults, "pathway-carer.yaml", "transitions[2].dest", "unknown state 'level_9'")


def test_unknown_source_state_is_located(board_folder: Path) -> None:
    _edit(board_folder, "training-module.yaml",
          lambda s: s.replace("{trigger: withdraw, source: enrolled",
                              "{trigger: withdraw, source: enroled"))
    assert _has(_faults(board_folder), "training-module.yaml", "transitions[2].source",
                "unknown state 'enroled'")


def test_unreachable_state_is_reported(board_folder: Path) -> None:
    _edit(board_folder, "training-module.yaml",
          lambda s: s.replace("states: [not_started, enrolled, completed, withdrawn]",
                              "states: [not_started, enrolled, completed, withdrawn, archived]"))
    assert _has(_faults(board_folder), "training-module.yaml", "states",
                "state 'archived' cannot be reached from 'not_started'")


def test_unreachable_level_is_reported(board_folder: Path) -> None:
    _edit(board_folder, "pathway-staff.yaml",
          lambda s: s.replace("  - trigger: advance\n    source: level_2\n    dest: level_3\n",
                              "  - trigger: advance\n    source: level_3\n    dest: level_2\n"))
    assert _has(_faults(board_folder), "pathway-staff.yaml", "levels",
                "state 'level_3' cannot be reached from 'level_1'")


def test_two_transitions_for_one_trigger_from_one_state(board_folder: Path) -> None:
    _edit(board_folder, "award.yaml",
          lambda s: s + "  - {trigger: award, source: not_awarded, dest: not_awarded}\n")
    assert _has(_faults(board_folder), "award.yaml", "transitions[2]",
                "two transitions for trigger 'award' from state 'not_awarded'")


def test_guard_naming_an_unknown_milestone(board_folder: Path) -> None:
    _edit(board_folder, "pathway-service-user.yaml",
          lambda s: s.replace("{milestone: buddy_assigned, enforcement: advisory}",
                              "{milestone: buddy_asigned, enforcement: advisory}"))
    assert _has(_faults(board_folder), "pathway-service-user.yaml",
                "transitions[0].guards[1].milestone", "unknown milestone 'buddy_asigned'")


def test_guard_naming_another_kinds_milestone(board_folder: Path) -> None:
    _edit(board_folder, "pathway-staff.yaml",
          lambda s: s.replace("{milestone: supported_practice, enforcement: advisory}",
                              "{milestone: buddy_assigned, enforcement: advisory}"))
    assert _has(_faults(board_folder), "pathway-staff.yaml", "transitions[1].guards[1].milestone",
                "unknown milestone 'buddy_assigned' for staff")


def test_guard_naming_an_unknown_module(board_folder: Path) -> None:
    _edit(board_folder, "pathway-carer.yaml",
          lambda s: s.replace("{training: speaking_out, enforcement: required}",
                              "{training: speaking_up, enforcement: required}"))
    assert _has(_faults(board_folder), "pathway-carer.yaml", "transitions[1].guards[0].training",
                "unknown training module 'speaking_up'")


def test_award_criterion_naming_an_unknown_milestone_names_the_programme_file(
        board_folder: Path) -> None:
    _edit(board_folder, "programme.yaml",
          lambda s: s.replace("{milestone: meeting_representative, enforcement: required}",
                              "{milestone: meeting_rep, enforcement: required}"))
    assert _has(_faults(board_folder), "programme.yaml", "awards[5].criteria[2].milestone",
                "unknown milestone 'meeting_rep' for carer")


def test_award_at_an_unknown_level(board_folder: Path) -> None:
    _edit(board_folder, "programme.yaml",
          lambda s: s.replace("kind: staff\n    level: level_3", "kind: staff\n    level: level_4"))
    assert _has(_faults(board_folder), "programme.yaml", "awards[8].level",
                "unknown level 'level_4'")


def test_malformed_yaml_names_file_and_line(board_folder: Path) -> None:
    _edit(board_folder, "milestone.yaml",
          lambda s: s.replace("states: [not_achieved, claimed, achieved, declined]",
                              "states: [not_achieved, claimed, achieved, declined"))
    faults = _faults(board_folder)
    assert any(f.startswith("milestone.yaml: line ") and "not valid YAML" in f for f in faults)


def test_a_file_that_is_not_a_mapping(board_folder: Path) -> None:
    (board_folder / "notes.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    assert _has(_faults(board_folder), "notes.yaml", "(top)", "expected a mapping")


def test_unknown_key_is_named_with_the_keys_allowed(board_folder: Path) -> None:
    _edit(board_folder, "pathway-carer.yaml",
          lambda s: s.replace("initial: level_1\n", "initial: level_1\ncolour: blue\n"))
    faults = _faults(board_folder)
    assert _has(faults, "pathway-carer.yaml", "colour", "unknown key")
    assert any("expected one of:" in f and "exit_reasons" in f for f in faults)


def test_unknown_key_inside_a_guard(board_folder: Path) -> None:
    _edit(board_folder, "pathway-carer.yaml",
          lambda s: s.replace("{training: speaking_out, enforcement: required}",
                              "{training: speaking_out, enforcement: required, weight: 2}"))
    assert _has(_faults(board_folder), "pathway-carer.yaml", "transitions[1].guards[0].weight",
                "unknown key")


def test_missing_required_key_at_the_top(board_folder: Path) -> None:
    _edit(board_folder, "pathway-staff.yaml", lambda s: s.replace("initial: level_1\n", ""))
    assert _has(_faults(board_folder), "pathway-staff.yaml", "initial", "is required")


def test_missing_required_key_in_a_transition(board_folder: Path) -> None:
    _edit(board_folder, "milestone.yaml",
          lambda s: s.replace("{trigger: achieve, source: [not_achieved, declined], dest: achieved}",
                              "{trigger: achieve, dest: achieved}"))
    assert _has(_faults(board_folder), "milestone.yaml", "transitions[0].source", "is required")


def test_missing_enforcement_on_a_guard(board_folder: Path) -> None:
    _edit(board_folder, "pathway-staff.yaml",
          lambda s: s.replace("{training: three_levels_awareness, enforcement: advisory}",
                              "{training: three_levels_awareness}"))
    assert _has(_faults(board_folder), "pathway-staff.yaml", "transitions[0].guards[0].enforcement",
                "must be 'required' or 'advisory'")


def test_invalid_version_is_reported_once(board_folder: Path) -> None:
    _edit(board_folder, "award.yaml", lambda s: s.replace("version: 1", "version: 0"))
    faults = _faults(board_folder)
    assert [f for f in faults if f.startswith("award.yaml: version: ")] == [
        "award.yaml: version: must be a whole number of at least 1"]


def test_listing_a_built_in_status_trigger_is_refused(board_folder: Path) -> None:
    _edit(board_folder, "pathway-carer.yaml",
          lambda s: s + "  - {trigger: pause, source: level_1, dest: level_1}\n")
    assert _has(_faults(board_folder), "pathway-carer.yaml", "transitions[4].trigger",
                "built in for every level")


def test_several_faults_in_several_files_are_reported_at_once(board_folder: Path) -> None:
    _edit(board_folder, "pathway-carer.yaml",
          lambda s: s.replace("initial: level_1\n", "initial: level_1\ncolour: blue\n")
          .replace("{trigger: step_back, source: level_3, dest: level_2}",
                   "{trigger: step_back, source: level_3, dest: level_9}"))
    _edit(board_folder, "training-module.yaml",
          lambda s: s + "  - {trigger: enrol, source: not_started, dest: withdrawn}\n")
    _edit(board_folder, "pathway-staff.yaml",
          lambda s: s.replace("{training: joint_training, enforcement: required}",
                              "{training: joint_trainin, enforcement: required}"))
    faults = _faults(board_folder)
    assert _has(faults, "pathway-carer.yaml", "colour", "unknown key")
    assert _has(faults, "pathway-carer.yaml", "transitions[2].dest", "unknown state 'level_9'")
    assert _has(faults, "training-module.yaml", "transitions[4]",
                "two transitions for trigger 'enrol' from state 'not_started'")
    assert _has(faults, "pathway-staff.yaml", "transitions[1].guards[0].training",
                "unknown training module 'joint_trainin'")


def test_error_message_lists_every_fault(board_folder: Path) -> None:
    _edit(board_folder, "award.yaml", lambda s: s.replace("initial: not_awarded\n", ""))
    _edit(board_folder, "milestone.yaml", lambda s: s.replace("title: Milestone\n", ""))
    with pytest.raises(DefinitionError) as caught:
        load_folder(board_folder)
    assert "award.yaml: initial: is required" in str(caught.value)
    assert "milestone.yaml: title: is required" in str(caught.value)


def test_a_kind_without_a_pathway_is_reported(board_folder: Path) -> None:
    (board_folder / "pathway-staff.yaml").unlink()
    (board_folder / "programme.yaml").write_text(
        (board_folder / "programme.yaml").read_text(encoding="utf-8").split("  - code: staff_")[0],
        encoding="utf-8")
    faults = _faults(board_folder)
    assert any("pathway for 'staff'" in f and "found 0" in f for f in faults)


def test_a_folder_without_definitions_is_refused(tmp_path: Path) -> None:
    assert _faults(tmp_path) == [f"{tmp_path}: no *.yaml workflow definitions found"]
    assert _faults(tmp_path / "missing") == [f"{tmp_path / 'missing'}: not a folder of workflow "
                                             "definitions"]


# The service refuses to start half-configured ---------------------------------------------


def test_app_does_not_start_with_a_broken_workflows_folder(board_folder: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from api import create_app

    _edit(board_folder, "pathway-carer.yaml",
          lambda s: s.replace("{trigger: step_back, source: level_3, dest: level_2}",
                              "{trigger: step_back, source: level_3, dest: level_9}"))
    monkeypatch.setenv("PATHWAY_WORKFLOWS", str(board_folder))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    with pytest.raises(DefinitionError) as caught:
        create_app({"TESTING": True})
    assert "pathway-carer.yaml: transitions[2].dest: unknown state 'level_9'" in str(caught.value)
    assert not (tmp_path / "never.db").exists()


def test_listing_register_transfer_or_erase_is_refused_like_the_status_triggers(
        board_folder: Path) -> None:
    _edit(board_folder, "pathway-carer.yaml",
          lambda s: s + "  - {trigger: transfer, source: level_1, dest: level_2}\n")
    assert _has(_faults(board_folder), "pathway-carer.yaml", "transitions[4].trigger",
                "built in for every level")


def test_a_lifecycle_without_a_trigger_the_service_fires_is_refused(board_folder: Path) -> None:
    _edit(board_folder, "award.yaml",
          lambda s: s.replace("{trigger: award, source: not_awarded, dest: awarded}",
                              "{trigger: grant, source: not_awarded, dest: awarded}"))
    assert _has(_faults(board_folder), "award.yaml", "transitions",
                "the award lifecycle needs a transition for the trigger 'award'")
