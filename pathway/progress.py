"""What a member's pathway looks like now, and what the next step needs."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pathway import clock
from pathway.facts import facts_for
from pathway.store.models import Instance, Member
from workflows.guards import evaluate_all
from workflows.machine import compile_definition, split_state
from workflows.schema import Catalogue


def pathway_summary(catalogue: Catalogue, member: Member, instance: Instance) -> dict[str, Any]:
    workflow = compile_definition(catalogue.pathway_for(member.kind))
    level, status = split_state(instance.state)
    return {"level": level, "status": status, "version": instance.version,
            "since": clock.as_utc(instance.entered_at),
            "available_triggers": workflow.available_triggers(instance.state)}


def next_step(session: Session, catalogue: Catalogue, member: Member, instance: Instance,
              zone: ZoneInfo) -> dict[str, Any]:
    """The guards of ``advance`` from the current level, each with whether it is met."""
    definition = catalogue.pathway_for(member.kind)
    level, status = split_state(instance.state)
    transition = definition.transitions_for("advance", level)
    if transition is None:
        return {"trigger": "advance", "to_level": None, "possible_now": False,
                "guards": [], "summary": "This is the highest level of the pathway."}
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
    return {"trigger": "advance", "to_level": transition.dest,
            "possible_now": status == "active" and not required,
            "guards": [v.as_dict() for v in verdicts], "summary": summary}
