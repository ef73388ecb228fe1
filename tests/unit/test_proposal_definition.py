"""The proposals board's lifecycle: Red / Amber / Green, read from YAML and checked on load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import workflows
from workflows.machine import TriggerNotAllowed, compile_definition
from workflows.schema import DefinitionError, load_folder
from workflows.vocabulary import PROPOSAL, PROPOSAL_STATES, PROPOSAL_TRIGGERS


@pytest.fixture
def board_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    shutil.copytree(workflows.DEFAULT_FOLDER, folder)
    return folder


def _faults(folder: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_folder(folder)
    return caught.value.faults


def test_the_shipped_board_moves_raised_to_red_amber_green_or_not_adopted() -> None:
    board = compile_definition(workflows.load().lifecycle(PROPOSAL))
    assert board.definition.initial == "raised"
    assert set(board.definition.states) == set(PROPOSAL_STATES)
    assert sorted(board.available_triggers("raised")) == ["amber", "not_adopted", "red"]
    assert sorted(board.available_triggers("red")) == ["amber", "not_adopted"]
    assert sorted(board.available_triggers("amber")) == ["green", "not_adopted", "red"]
    assert board.available_triggers("green") == []
    assert board.available_triggers("not_adopted") == []
    assert board.fire("amber", "raised") == "amber"
    assert board.fire("green", "amber") == "green"
    with pytest.raises(TriggerNotAllowed):
        board.fire("green", "raised")


def test_every_trigger_is_named_after_the_state_it_leads_to() -> None:
    board = workflows.load().lifecycle(PROPOSAL)
    assert {t.trigger for t in board.transitions} == set(PROPOSAL_TRIGGERS)
    assert all(t.trigger == t.dest for t in board.transitions)


def test_a_folder_without_the_board_is_refused(board_folder: Path) -> None:
    (board_folder / "proposal.yaml").unlink()
    assert any("proposal lifecycle: exactly one definition needed, found 0" in f
               for f in _faults(board_folder))


def test_a_board_trigger_named_otherwise_or_a_missing_state_is_refused(board_folder: Path,
                                                                       ) -> None:
    path = board_folder / "proposal.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{trigger: green, source: amber, dest: green}",
                                 "{trigger: done, source: amber, dest: green}"),
                    encoding="utf-8")
    faults = _faults(board_folder)
    assert "proposal.yaml: transitions: the trigger 'done' leads to 'green'; a proposal " \
           "trigger is named after the state it leads to" in faults
    assert "proposal.yaml: transitions: the proposal lifecycle needs a transition for the " \
           "trigger 'green'" in faults
