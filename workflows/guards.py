"""Evaluate guards and award criteria against plain facts about one member. No database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from workflows.schema import Catalogue, Definition, Guard


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
        if self.state == "completed" and self.expired(today):
            return "expired"
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


def evaluate(guard: Guard, facts: Facts, catalogue: Catalogue,
             exit_reasons: tuple[str, ...] = ()) -> Verdict:
    """Check one guard and describe it."""
    met, words = _check(guard, facts, catalogue, exit_reasons)
    return Verdict(guard.criterion, guard.description or words, guard.enforcement, met)


def evaluate_all(guards: tuple[Guard, ...], facts: Facts, catalogue: Catalogue,
                 exit_reasons: tuple[str, ...] = ()) -> list[Verdict]:
    return [evaluate(g, facts, catalogue, exit_reasons) for g in guards]


def _pathway(catalogue: Catalogue, kind: str) -> Definition:
    return catalogue.pathway_for(kind)


def _check(guard: Guard, facts: Facts, catalogue: Catalogue,
           exit_reasons: tuple[str, ...]) -> tuple[bool, str]:
    pathway = _pathway(catalogue, facts.kind)
    if guard.kind == "milestone":
        title = next((m.title for m in pathway.milestones if m.code == guard.target), guard.target)
        return guard.target in facts.milestones, f"Action recorded: “{title}”"
    if guard.kind == "training":
        module = catalogue.modules.get(guard.target or "")
        title = module.title if module else guard.target
        record = facts.training.get(guard.target or "")
        words = f"Training completed and in date: “{title}”"
        if record and record.expired(facts.today) and record.expires_on is not None:
            words += f" (expired on {record.expires_on.isoformat()}: a refresher is due)"
        return bool(record and record.in_date(facts.today)), words
    if guard.kind == "milestones_at_level":
        codes = {m.code for m in pathway.milestones if m.level == guard.target}
        done = len(codes & facts.milestones)
        need = guard.at_least or 1
        level_words = f"Level {pathway.level_index(guard.target or '') + 1}"
        return done >= need, (f"At least {need} of the {level_words} actions recorded "
                              f"({done} so far)")
    if guard.kind == "min_days_at_level":
        need = guard.at_least or 0
        return facts.days_at_level >= need, (f"At least {need} days at the current level "
                                             f"({facts.days_at_level} so far)")
    if guard.kind == "level":
        target = pathway.level_index(guard.target or "")
        held = pathway.level_index(facts.level) if facts.level else -1
        title = pathway.level_title(guard.target or "")
        return held >= target, f"Has reached Level {target + 1} ({title})"
    if guard.kind == "exit_reason":
        words = "A reason for leaving is given"
        if exit_reasons:
            words += f" (one of: {', '.join(exit_reasons)})"
        return bool(facts.exit_reason) and facts.exit_reason in exit_reasons, words
    raise ValueError(f"unknown guard kind {guard.kind!r}")
