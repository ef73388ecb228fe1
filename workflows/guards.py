"""Guards and award criteria: one table of guard kinds, and their evaluation against plain
facts about one member. No database.

Each guard kind is one ``GuardKind`` entry in ``KINDS``: what its YAML key holds, what it
refers to (checked when the definitions load), whether it is met, and its words: what it
asks for, the progress a member has made towards it, and what the diagram adds. The readiness
lists' SQL twin of each kind lives in ``pathway.programme.readiness`` keyed by the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Final

from workflows.vocabulary import COMPLETED, EXPIRED

if TYPE_CHECKING:
    from workflows.schema import Catalogue, Definition, Guard

# The guard kinds, as a definition names them (``- {training: speaking_out, ...}``).
MILESTONE: Final = "milestone"
TRAINING: Final = "training"
MILESTONES_AT_LEVEL: Final = "milestones_at_level"
MIN_DAYS_AT_LEVEL: Final = "min_days_at_level"
LEVEL: Final = "level"
EXIT_REASON: Final = "exit_reason"
MEMBER_AGREES: Final = "member_agrees"

# The member's view of a move, as the firing carries it: ``agrees`` is one of these.
AGREES: Final = "yes"
DISAGREES: Final = "no"
NOT_ASKED: Final = "not_asked"
VIEWS: Final = (AGREES, DISAGREES, NOT_ASKED)

# What a guard kind's YAML key holds.
A_CODE: Final = "code"  # a milestone, module or level code: the guard's target
DAYS: Final = "days"  # a whole number of days, kept as ``at_least``
NOTHING: Final = "nothing"  # the key's value is ignored

# What a guard's code must name, checked when the definitions load.
REFERS_TO_MODULE: Final = "module"
REFERS_TO_MILESTONE: Final = "milestone"
REFERS_TO_LEVEL: Final = "level"


@dataclass(frozen=True)
class TrainingRecord:
    """A member's standing in one module.

    ``state`` is where the module's lifecycle is now; ``completed_on`` / ``expires_on`` are
    those of the latest completion, whatever the state: re-enrolling for a refresher (or
    withdrawing from it) does not undo a completion, which counts until it expires.
    """

    state: str  # not_started | enrolled | completed | withdrawn (expired is derived)
    completed_on: date | None = None
    expires_on: date | None = None

    def in_date(self, today: date) -> bool:
        """A completion exists and has not expired (expires_on is the first day it no longer
        counts)."""
        return self.completed_on is not None and (self.expires_on is None
                                                  or self.expires_on > today)

    def expired(self, today: date) -> bool:
        """A completion exists and is past its expiry: a refresher is due."""
        return self.completed_on is not None and not self.in_date(today)

    def shown_state(self, today: date) -> str:
        """The state a person sees: ``completed`` past its expiry reads ``expired``."""
        if self.state == COMPLETED and self.expired(today):
            return EXPIRED
        return self.state


@dataclass(frozen=True)
class Facts:
    """What is known about one member when a guard is checked."""

    kind: str
    today: date
    level: str | None = None
    status: str = "active"
    days_at_level: int = 0
    milestones: frozenset[str] = frozenset()
    training: Mapping[str, TrainingRecord] = field(default_factory=dict)
    exit_reason: str | None = None
    member_agrees: bool = False  # the firing carries the member's view, and it is "yes"


@dataclass(frozen=True)
class Verdict:
    """One guard's answer, in the words a coordinator reads."""

    criterion: str
    description: str
    enforcement: str
    met: bool

    def as_dict(self, *, with_met: bool = True) -> dict[str, object]:
        data: dict[str, object] = {"criterion": self.criterion, "description": self.description,
                                   "enforcement": self.enforcement}
        if with_met:
            data["met"] = self.met
        return data


@dataclass(frozen=True)
class Setting:
    """Where a guard is read: the catalogue, the pathway whose levels and milestones it
    speaks about (none for a lifecycle that applies to no pathway) and the exit reasons."""

    catalogue: Catalogue
    pathway: Definition | None
    exit_reasons: tuple[str, ...] = ()

    def level_number(self, level: str) -> str:
        """``'level_2'`` -> ``'Level 2'`` (its place in the pathway)."""
        index = self.pathway.level_index(level) if self.pathway else -1
        return f"Level {index + 1}"

    def level_words(self, level: str) -> str:
        return level_words(level, self.pathway)

    def milestone_title(self, code: str) -> str:
        found = self.pathway.milestones if self.pathway else ()
        return next((m.title for m in found if m.code == code), code)

    def module_title(self, code: str) -> str:
        module = self.catalogue.modules.get(code)
        return module.title if module else code

    def level_codes_from(self, level: str) -> list[str]:
        """The levels at or above ``level``, in pathway order."""
        if self.pathway is None:
            return []
        target = self.pathway.level_index(level)
        return [lv.code for i, lv in enumerate(self.pathway.levels) if i >= target]

    def milestone_codes_at(self, level: str) -> list[str]:
        found = self.pathway.milestones if self.pathway else ()
        return [m.code for m in found if m.level == level]


def level_words(level: str, pathway: Definition | None) -> str:
    """``'level_2'`` -> ``'Level 2 (Identifying and building skills)'``."""
    if pathway is None or pathway.level_index(level) < 0:
        return level
    return f"Level {pathway.level_index(level) + 1} ({pathway.level_title(level)})"


def _no_progress(guard: Guard, facts: Facts, setting: Setting) -> str:
    return ""


@dataclass(frozen=True)
class GuardKind:
    """One kind of guard, everything about it side by side."""

    name: str
    holds: str  # what its YAML key holds: A_CODE, DAYS or NOTHING
    met: Callable[[Guard, Facts, Setting], bool]
    # What it asks for, without a member's facts: the award catalogue and a refusal read this.
    asks: Callable[[Guard, Setting], str]
    # Added to ``asks`` with a member's facts: how far they are, what is due.
    progress: Callable[[Guard, Facts, Setting], str] = _no_progress
    # Added to ``asks`` in a definition's diagram and detail (what holds whoever reads it).
    in_general: Callable[[Guard, Setting], str] | None = None
    # How it reads in the diagram when that differs from ``asks`` (fuller level names).
    in_diagram: Callable[[Guard, Setting], str] | None = None
    refers_to: str | None = None  # what its code must name
    needs_at_least: bool = False

    @property
    def has_target(self) -> bool:
        return self.holds == A_CODE


def _module_note(guard: Guard, setting: Setting) -> str:
    module = setting.catalogue.modules.get(guard.target or "")
    return f" (valid for {module.valid_for_days} days)" if module and module.valid_for_days else ""


def _training_due(guard: Guard, facts: Facts, setting: Setting) -> str:
    record = facts.training.get(guard.target or "")
    if record and record.expired(facts.today) and record.expires_on is not None:
        return f" (expired on {record.expires_on.isoformat()}: a refresher is due)"
    return ""


def _training_met(guard: Guard, facts: Facts, setting: Setting) -> bool:
    record = facts.training.get(guard.target or "")
    return bool(record and record.in_date(facts.today))


def _actions_done(guard: Guard, facts: Facts, setting: Setting) -> int:
    return len(set(setting.milestone_codes_at(guard.target or "")) & facts.milestones)


def _level_held(guard: Guard, facts: Facts, setting: Setting) -> bool:
    return bool(facts.level) and facts.level in setting.level_codes_from(guard.target or "")


def _exit_reason_words(guard: Guard, setting: Setting) -> str:
    words = "A reason for leaving is given"
    if setting.exit_reasons:
        words += f" (one of: {', '.join(setting.exit_reasons)})"
    return words


_TABLE = (
    GuardKind(
        MILESTONE, A_CODE, refers_to=REFERS_TO_MILESTONE,
        met=lambda g, facts, s: g.target in facts.milestones,
        asks=lambda g, s: f"Action recorded: “{s.milestone_title(g.target or '')}”"),
    GuardKind(
        TRAINING, A_CODE, refers_to=REFERS_TO_MODULE,
        met=_training_met,
        asks=lambda g, s: f"Training completed and in date: “{s.module_title(g.target or '')}”",
        progress=_training_due,
        in_general=_module_note),
    GuardKind(
        MILESTONES_AT_LEVEL, A_CODE, refers_to=REFERS_TO_LEVEL, needs_at_least=True,
        met=lambda g, facts, s: _actions_done(g, facts, s) >= (g.at_least or 1),
        asks=lambda g, s: (f"At least {g.at_least or 1} of the "
                           f"{s.level_number(g.target or '')} actions recorded"),
        progress=lambda g, facts, s: f" ({_actions_done(g, facts, s)} so far)",
        in_diagram=lambda g, s: (f"At least {g.at_least or 1} of the "
                                 f"{s.level_words(g.target or '')} actions recorded")),
    GuardKind(
        MIN_DAYS_AT_LEVEL, DAYS,
        met=lambda g, facts, s: facts.days_at_level >= (g.at_least or 0),
        asks=lambda g, s: f"At least {g.at_least or 0} days at the current level",
        progress=lambda g, facts, s: f" ({facts.days_at_level} so far)"),
    GuardKind(
        LEVEL, A_CODE, refers_to=REFERS_TO_LEVEL,
        met=_level_held,
        asks=lambda g, s: f"Has reached {s.level_words(g.target or '')}"),
    GuardKind(
        EXIT_REASON, NOTHING,
        met=lambda g, facts, s: bool(facts.exit_reason) and facts.exit_reason in s.exit_reasons,
        asks=_exit_reason_words),
    GuardKind(
        MEMBER_AGREES, NOTHING,
        met=lambda g, facts, s: facts.member_agrees,
        asks=lambda g, s: "The member agrees with this move (their view is recorded with it)"),
)

KINDS: Final[Mapping[str, GuardKind]] = {entry.name: entry for entry in _TABLE}
GUARD_KINDS: Final = tuple(KINDS)


def kind_of(guard: Guard) -> GuardKind:
    """The table entry for a guard's kind."""
    entry = KINDS.get(guard.kind)
    if entry is None:
        raise ValueError(f"unknown guard kind {guard.kind!r}")
    return entry


def setting_for(catalogue: Catalogue, member_kind: str,
                exit_reasons: tuple[str, ...] = ()) -> Setting:
    return Setting(catalogue, catalogue.pathway_for(member_kind), exit_reasons)


def asks(guard: Guard, setting: Setting) -> str:
    """What the guard asks for, without facts: the award catalogue's words."""
    return guard.description or kind_of(guard).asks(guard, setting)


def diagram_words(guard: Guard, setting: Setting) -> str:
    """What the guard asks for as a definition's diagram and detail read it."""
    if guard.description:
        return guard.description
    entry = kind_of(guard)
    words = (entry.in_diagram or entry.asks)(guard, setting)
    return words + (entry.in_general(guard, setting) if entry.in_general else "")


def evaluate(guard: Guard, facts: Facts, catalogue: Catalogue,
             exit_reasons: tuple[str, ...] = ()) -> Verdict:
    """Check one guard and describe it, with the member's progress towards it."""
    entry = kind_of(guard)
    setting = setting_for(catalogue, facts.kind, exit_reasons)
    words = guard.description or (entry.asks(guard, setting)
                                  + entry.progress(guard, facts, setting))
    return Verdict(guard.criterion, words, guard.enforcement, entry.met(guard, facts, setting))


def evaluate_all(guards: tuple[Guard, ...], facts: Facts, catalogue: Catalogue,
                 exit_reasons: tuple[str, ...] = ()) -> list[Verdict]:
    return [evaluate(g, facts, catalogue, exit_reasons) for g in guards]
