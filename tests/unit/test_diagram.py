"""Mermaid diagrams and guard words: the compiled machine, readable by a coordinator."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import workflows
from workflows.diagram import guard_words, mermaid, state_words
from workflows.machine import compile_definition
from workflows.schema import Catalogue, Guard, load_folder

CATALOGUE = load_folder(workflows.DEFAULT_FOLDER)
STATE_LINE = re.compile(r'^    state "([^"]*)" as (\w+)$')
EDGE_LINE = re.compile(r"^    (\w+|\[\*\]) --> (\w+)(?:: (.*))?$")


def declared_states(text: str) -> dict[str, str]:
    """{mermaid id: label} from the diagram's state lines."""
    return {m[2]: m[1] for line in text.splitlines() if (m := STATE_LINE.match(line))}


def edges(text: str) -> list[tuple[str, str, str]]:
    return [(m[1], m[2], m[3] or "") for line in text.splitlines() if (m := EDGE_LINE.match(line))]


def notes(text: str) -> dict[str, list[str]]:
    """{mermaid id: note lines} for every multi-line note."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("    note right of "):
            current = found.setdefault(line.removeprefix("    note right of "), [])
        elif line == "    end note":
            current = None
        elif current is not None:
            current.append(line.strip())
    return found


@pytest.mark.parametrize("name", sorted(CATALOGUE.definitions))
def test_diagram_is_a_state_diagram_of_every_compiled_transition(name: str) -> None:
    definition = CATALOGUE.definitions[name]
    compiled = compile_definition(definition)
    text = mermaid(definition, CATALOGUE)
    assert text.startswith("stateDiagram-v2\n")
    ids = declared_states(text)
    assert len(ids) == len(compiled.states)
    by_label = {label: mermaid_id for mermaid_id, label in ids.items()}
    id_of = {state: by_label[state_words(state, definition)] for state in compiled.states}
    drawn = edges(text)
    assert ("[*]", id_of[definition.initial], "") in drawn
    for t in compiled.transitions:
        assert any(src == id_of[t.source] and dst == id_of[t.dest]
                   and label.startswith(t.trigger.replace("_", " "))
                   for src, dst, label in drawn), t
    assert len(drawn) == len(compiled.transitions) + 1


def test_pathway_diagram_shows_paused_and_left_states_per_level() -> None:
    text = mermaid(CATALOGUE.pathway_for("service_user"), CATALOGUE)
    labels = set(declared_states(text).values())
    assert "Level 2 – Identifying and building skills (paused)" in labels
    assert "Level 3 – Working in partnership (left)" in labels
    assert "    level_2__paused --> level_2: resume" in text.splitlines()
    assert "    level_3__exited --> level_1: rejoin" in text.splitlines()
    assert "    level_1 --> level_1__exited: exit (a reason is needed)" in text.splitlines()


def test_guard_notes_say_what_advancing_needs_and_what_can_be_overridden() -> None:
    definition = CATALOGUE.pathway_for("service_user")
    found = notes(mermaid(definition, CATALOGUE))
    assert set(found) == {"level_1", "level_2"}
    level_2 = found["level_2"]
    assert level_2[0] == "To advance to Level 3 – Working in partnership:"
    required = level_2.index("Required (never waived):")
    advisory = level_2.index("Advisory (a coordinator may go ahead without them, giving a reason):")
    assert level_2[required + 1] == ("• Training completed and in date: "
                                     "“Standing up, speaking out: assertiveness”")
    assert "• Action recorded: “Has practised with support”" in level_2[advisory + 1:]
    assert "Required (never waived):" not in found["level_1"]


def test_every_advance_guard_appears_in_words_in_its_note() -> None:
    for kind in ("service_user", "carer", "staff"):
        definition = CATALOGUE.pathway_for(kind)
        found = notes(mermaid(definition, CATALOGUE))
        for t in definition.transitions:
            for guard in t.guards:
                assert f"• {guard_words(guard, definition, CATALOGUE)}" in found[t.source]


def test_training_diagram_explains_expiry() -> None:
    text = mermaid(CATALOGUE.lifecycle("training"), CATALOGUE)
    assert "    completed --> enrolled: reenrol" in text.splitlines()
    assert any("expires" in line for line in notes(text)["completed"])


def test_lifecycle_states_read_as_words() -> None:
    assert state_words("not_started", CATALOGUE.lifecycle("training")) == "not started"


@pytest.mark.parametrize(("guard", "words"), [
    (Guard("milestone", "buddy_assigned", None, "advisory"), "Action recorded: “Has a buddy”"),
    (Guard("training", "three_levels_awareness", None, "advisory"),
     "Training completed and in date: “The three levels of co-production: awareness” "
     "(valid for 730 days)"),
    (Guard("training", "speaking_out", None, "required"),
     "Training completed and in date: “Standing up, speaking out: assertiveness”"),
    (Guard("milestones_at_level", "level_2", 3, "advisory"),
     "At least 3 of the Level 2 (Identifying and building skills) actions recorded"),
    (Guard("min_days_at_level", None, 28, "advisory"), "At least 28 days at the current level"),
    (Guard("level", "level_3", None, "required"), "Has reached Level 3 (Working in partnership)"),
    (Guard("exit_reason", None, None, "required"),
     "A reason for leaving is given (one of: moved_away, discharged_no_longer_involved, unwell, "
     "lost_contact, other_commitments, not_for_me, other)"),
    (Guard("milestone", "buddy_assigned", None, "advisory", description="Matched with a buddy"),
     "Matched with a buddy"),
])
def test_guard_words_need_no_facts(guard: Guard, words: str) -> None:
    assert guard_words(guard, CATALOGUE.pathway_for("service_user"), CATALOGUE) == words


@pytest.fixture
def awkward_catalogue(tmp_path: Path) -> Catalogue:
    """A board's definitions whose words carry characters mermaid would otherwise read as syntax."""
    folder = tmp_path / "definitions"
    shutil.copytree(workflows.DEFAULT_FOLDER, folder)
    carer = folder / "pathway-carer.yaml"
    carer.write_text(carer.read_text(encoding="utf-8")
                     .replace("title: Co-production pathway – carers",
                              "title: 'Carers'' \"pathway\"; #1 %% {draft}'")
                     .replace("{code: level_2, title: Identifying and building skills}",
                              "{code: level_2, title: 'Skills \"<b>\" ; end note'}")
                     .replace("{training: speaking_out, enforcement: required}",
                              "{training: speaking_out, enforcement: required, "
                              "description: \"Said \\\"yes\\\"\\nend note\\n%% done\"}"),
                     encoding="utf-8")
    return load_folder(folder)


def test_awkward_words_cannot_break_the_diagram(awkward_catalogue: Catalogue) -> None:
    text = mermaid(awkward_catalogue.pathway_for("carer"), awkward_catalogue)
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert sum(line.strip().startswith("%%") for line in lines) == 1
    assert lines.count("    end note") == len([x for x in lines if x.startswith("    note ")])
    for line in lines[2:]:
        assert (STATE_LINE.match(line) or EDGE_LINE.match(line) or line.startswith("    note ")
                or line == "    end note" or line.startswith("        ")), line
        assert not any(c in line.replace("-->", "") for c in ";#{}<>")
    assert "Level 2 – Skills '‹b›' , end note" in declared_states(text).values()
    assert "• Said 'yes' end note % done" in notes(text)["level_2"]
