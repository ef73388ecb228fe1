"""What reports count by, read from the loaded definitions: the levels (codes, titles, order),
the triggers that move a member up or down a level, and the built-in pathway triggers.

Nothing here names a level or a trigger: a board's own definitions (four levels, or levels
called something else) give their own columns, totals, chart series and schema fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import workflows
from workflows.machine import ACTIVE, EXITED, PAUSED
from workflows.schema import Catalogue, level_triggers, ordered_levels
from workflows.vocabulary import COMPLETE, EXIT, PAUSE, REGISTER, REJOIN, RESUME

__all__ = ["ACTIVE", "EXIT", "PAUSE", "REGISTER", "REJOIN", "RESUME", "STATUSES", "TRAINING_COMPLETED",
           "Levels", "configured_levels", "levels_of"]

TRAINING_COMPLETED = COMPLETE
STATUSES = (PAUSED, EXITED)


@dataclass(frozen=True)
class Levels:
    """The level columns of every report, in level order, with their titles and the
    triggers that change level."""

    codes: tuple[str, ...]
    titles: tuple[str, ...]
    up: tuple[str, ...]
    down: tuple[str, ...]

    @property
    def counts(self) -> tuple[str, ...]:
        """The count columns of a distribution row: each level (active), paused, exited."""
        return (*self.codes, *STATUSES)

    @property
    def row_counts(self) -> tuple[str, ...]:
        return (*self.counts, "total")

    @property
    def steps(self) -> tuple[tuple[str, str], ...]:
        """Each step up, lower level to the next one."""
        return tuple(pairwise(self.codes))

    @property
    def top(self) -> str:
        return self.codes[-1]

    @property
    def lower(self) -> tuple[str, ...]:
        """Every level but the top one: staying at the top is not waiting."""
        return self.codes[:-1]

    def title(self, code: str) -> str:
        return self.titles[self.codes.index(code)] if code in self.codes else code

    def name(self, code: str) -> str:
        """How prose names a level: ``level_2`` -> "Level 2", ``skills`` -> "Skills"."""
        return code.replace("_", " ").capitalize()

    def either(self, codes: tuple[str, ...]) -> str:
        """Levels in words: "Level 1 or 2", "Level 1, 2 or 3", "Foundation or Skills"."""
        names = [self.name(code) for code in codes]
        if not names:
            return ""
        first = names[0].split(" ")[0]
        if len(names) > 1 and all(n.split(" ")[0] == first and " " in n for n in names):
            names = [names[0], *(n.split(" ", 1)[1] for n in names[1:])]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def levels_of(catalogue: Catalogue) -> Levels:
    """The levels of ``catalogue`` (the union of its pathways' levels, in order)."""
    ordered = ordered_levels(catalogue)
    up, down = level_triggers(catalogue)
    return Levels(codes=tuple(level.code for level in ordered),
                  titles=tuple(level.title for level in ordered), up=up, down=down)


def configured_levels() -> Levels:
    """The levels of the configured definitions (``PATHWAY_WORKFLOWS`` or the shipped ones)."""
    return levels_of(workflows.load())
