"""What a member's pathway looks like now, and what the next step needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pathway import clock
from pathway.facts import facts_for
from pathway.store.models import Instance, Member
from workflows.guards import Verdict, evaluate_all
from workflows.machine import compile_definition, split_state
from workflows.schema import Catalogue, Definition

__all__ = ["NextStep", "PathwaySummary", "forward_trigger", "next_step", "pathway_summary"]


@dataclass(frozen=True)
class PathwaySummary:
    """Where a member is on their pathway now."""

    level: str
    status: str
    version: int
    since: datetime
    available_triggers: list[str]


@dataclass(frozen=True)
class NextStep:
    """The move up from the current level: what it needs, each criterion met or not."""

    trigger: str
    to_level: str | None
    possible_now: bool
    guards: list[Verdict]
    summary: str


def pathway_summary(catalogue: Catalogue, member: Member, instance: Instance) -> PathwaySummary:
    workflow = compile_definition(catalogue.pathway_for(member.kind))
    level, status = split_state(instance.state)
    return PathwaySummary(level=level, status=status, version=instance.version,
                          since=clock.as_utc(instance.entered_at),
                          available_triggers=workflow.available_triggers(instance.state))


def forward_trigger(definition: Definition) -> str:
    """The trigger that moves a member up a level: the first the pathway lists from its
    initial level (``advance`` in the shipped definitions)."""
    return next((t.trigger for t in definition.transitions
                 if t.source == definition.initial
                 and definition.level_index(t.dest) > definition.level_index(t.source)),
                definition.transitions[0].trigger if definition.transitions else "")


def next_step(session: Session, catalogue: Catalogue, member: Member, instance: Instance,
              zone: ZoneInfo) -> NextStep:
    """The guards of the move up from the current level, each with whether it is met."""
    definition = catalogue.pathway_for(member.kind)
    trigger = forward_trigger(definition)
    level, status = split_state(instance.state)
    transition = definition.transitions_for(trigger, level)
    if transition is None:
        return NextStep(trigger=trigger, to_level=None, possible_now=False, guards=[],
                        summary="This is the highest level of the pathway.")
    facts = facts_for(session, catalogue, member, zone)
    verdicts = evaluate_all(transition.guards, facts, catalogue, definition.exit_reasons)
    unmet = [v for v in verdicts if not v.met]
    required = [v for v in unmet if v.enforcement == "required"]
    if status != "active":
        summary = f"The member is {status}; resume or rejoin before advancing."
    elif not unmet:
        summary = f"Ready to advance to {definition.level_title(transition.dest)}."
    elif required:
        summary = (f"{len(unmet)} criteria still to meet, {len(required)} of them required: "
                   "required criteria cannot be overridden.")
    else:
        summary = (f"{len(unmet)} advisory criteria still to meet; a coordinator may advance "
                   "with an override and a reason.")
    return NextStep(trigger=trigger, to_level=transition.dest,
                    possible_now=status == "active" and not required,
                    guards=verdicts, summary=summary)
