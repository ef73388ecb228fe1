"""How a definition reads to a person: guard words without facts, and mermaid diagrams.

Pure text from the compiled definition, so the diagram a coordinator reads is exactly the
machine the service runs (built-in pause, resume, exit and rejoin included for pathways).
"""

from __future__ import annotations

import re

from workflows.guards import EXIT_REASON, Setting, diagram_words, level_words
from workflows.machine import EXITED, PAUSED, CompiledTransition, compile_definition, split_state
from workflows.schema import Catalogue, Definition, Guard
from workflows.vocabulary import COMPLETED, PATHWAY, TRAINING

__all__ = ["guard_words", "level_words", "mermaid", "state_words"]

STATUS_WORDS = {"active": "", PAUSED: "paused", EXITED: "left"}
OVERRIDE_WORDS = "Advisory (a coordinator may go ahead without them, giving a reason)"
REQUIRED_WORDS = "Required (never waived)"


def _pathway(definition: Definition, catalogue: Catalogue) -> Definition | None:
    """The pathway whose levels and milestones a guard of this definition speaks about."""
    if definition.machine == PATHWAY:
        return definition
    for kind in definition.applies_to:
        try:
            return catalogue.pathway_for(kind)
        except KeyError:
            continue
    return None


def guard_words(guard: Guard, definition: Definition, catalogue: Catalogue) -> str:
    """What a guard asks for, in the words a coordinator reads (no member's facts): the same
    table of guard kinds the service evaluates with (``workflows.guards.KINDS``)."""
    setting = Setting(catalogue, _pathway(definition, catalogue), definition.exit_reasons)
    return diagram_words(guard, setting)


def state_words(state: str, definition: Definition) -> str:
    """A state's label: ``'level_2.paused'`` -> ``'Level 2 – Identifying and building skills
    (paused)'``; lifecycle states read with spaces (``'not started'``)."""
    if definition.machine != PATHWAY:
        return state.replace("_", " ")
    level, status = split_state(state)
    index = definition.level_index(level)
    words = f"Level {index + 1} – {definition.level_title(level)}" if index >= 0 else level
    return f"{words} ({STATUS_WORDS[status]})" if STATUS_WORDS.get(status) else words


def _mermaid_ids(states: list[str]) -> dict[str, str]:
    """Mermaid state ids allow letters, digits and underscores only; keep them distinct."""
    ids: dict[str, str] = {}
    for state in states:
        base = re.sub(r"\W", "_", state.replace(".", "__"), flags=re.ASCII) or "state"
        candidate, n = base, 1
        while candidate in ids.values():
            n += 1
            candidate = f"{base}_{n}"
        ids[state] = candidate
    return ids


def _safe(text: str) -> str:
    """Text mermaid reads literally: no quotes, comments, statement breaks or new lines."""
    cleaned = (text.replace('"', "'").replace("%%", "%").replace(";", ",").replace("#", "no.")
               .replace("{", "(").replace("}", ")").replace("<", "‹").replace(">", "›"))
    return " ".join(cleaned.split())


def _edge_label(transition: CompiledTransition, definition: Definition) -> str:
    words = transition.trigger.replace("_", " ")
    if transition.guards and all(g.kind == EXIT_REASON for g in transition.guards):
        return f"{words} (a reason is needed)"
    if transition.guards:
        return f"{words} (see note)"
    return words


def _guard_note(transitions: list[CompiledTransition], definition: Definition,
                catalogue: Catalogue) -> list[str]:
    """The lines of one note: for each guarded move from a state, its criteria by enforcement."""
    lines: list[str] = []
    for transition in transitions:
        lines.append(f"To {transition.trigger.replace('_', ' ')} to "
                     f"{state_words(transition.dest, definition)}:")
        for enforcement, heading in (("required", REQUIRED_WORDS), ("advisory", OVERRIDE_WORDS)):
            guards = [g for g in transition.guards if g.enforcement == enforcement]
            if guards:
                lines.append(f"{heading}:")
                lines.extend(f"• {guard_words(g, definition, catalogue)}" for g in guards)
    return lines


def mermaid(definition: Definition, catalogue: Catalogue) -> str:
    """The compiled machine as a mermaid ``stateDiagram-v2``, guards written out in notes."""
    compiled = compile_definition(definition)
    ids = _mermaid_ids(compiled.states)
    out = ["stateDiagram-v2",
           f"    %% {_safe(definition.title)} – {definition.name}, version {definition.version}"]
    for state in compiled.states:
        out.append(f'    state "{_safe(state_words(state, definition))}" as {ids[state]}')
    out.append(f"    [*] --> {ids[definition.initial]}")
    for transition in compiled.transitions:
        out.append(f"    {ids[transition.source]} --> {ids[transition.dest]}: "
                   f"{_safe(_edge_label(transition, definition))}")
    guarded: dict[str, list[CompiledTransition]] = {}
    for transition in compiled.transitions:
        # The built-in exit guard reads on the edge itself: a note per state would drown the levels.
        if any(g.kind != EXIT_REASON for g in transition.guards):
            guarded.setdefault(transition.source, []).append(transition)
    for source, transitions in guarded.items():
        out.append(f"    note right of {ids[source]}")
        out.extend(f"        {_safe(line)}" for line in _guard_note(transitions, definition,
                                                                   catalogue))
        out.append("    end note")
    refreshers = [m for m in catalogue.modules.values() if m.valid_for_days]
    if definition.machine == TRAINING and refreshers and COMPLETED in ids:
        out.append(f"    note right of {ids[COMPLETED]}")
        out.append("        A completion of a refresher module expires after its valid days:")
        out.append("        it then reads as expired and no longer counts.")
        out.append("    end note")
    return "\n".join(out) + "\n"
