"""What a coordinator may do to a member's pathway now, and what each action would need.

The pages draw an action form from this before anything is fired: which actions the
member's state allows, the criteria of one of them each met or not (in the guards' own
words, as a refusal would give them), and whether it asks for a reason. The firing itself
stays ``engine.fire``; this only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pathway.engine import RECORD_TRIGGERS
from pathway.facts import facts_for
from pathway.store.models import Instance, Member
from workflows.guards import MEMBER_AGREES, Verdict, evaluate_all
from workflows.machine import EXITED, compile_definition, split_state
from workflows.schema import Catalogue

# Moving unit is recorded on the pathway without changing its state (see engine.fire).
TRANSFER = RECORD_TRIGGERS[0]
EXIT_REASON_GUARD = "exit_reason"


@dataclass(frozen=True)
class Action:
    """One action the member's state allows now, and what its form must ask."""

    trigger: str
    to_state: str | None
    asks_exit_reason: bool
    asks_unit: bool
    reason_required: bool
    criteria: tuple[Verdict, ...] = ()
    # A definition may want the member's agreement with the move (``member_agrees``): the form
    # asks for their view itself, so this is its enforcement, not one of the criteria.
    agreement: str | None = None

    @property
    def blocking(self) -> list[Verdict]:
        """Unmet required criteria: nothing may be confirmed until they are met."""
        return [v for v in self.criteria if not v.met and v.enforcement == "required"]

    @property
    def advisory_unmet(self) -> list[Verdict]:
        """Unmet advisory criteria: confirming needs the override and a reason."""
        return [v for v in self.criteria if not v.met and v.enforcement != "required"]


def possible_triggers(catalogue: Catalogue, member: Member, instance: Instance) -> list[str]:
    """The actions allowed from the member's state, in the machine's order, transfer last."""
    workflow = compile_definition(catalogue.pathway_for(member.kind))
    return [*workflow.available_triggers(instance.state), TRANSFER]


def action_for(session: Session, catalogue: Catalogue, member: Member, instance: Instance,
               trigger: str, zone: ZoneInfo) -> Action | None:
    """The action ``trigger`` from the member's state now; None when it is not possible."""
    if trigger not in possible_triggers(catalogue, member, instance):
        return None
    if trigger == TRANSFER:
        return Action(trigger, None, asks_exit_reason=False, asks_unit=True,
                      reason_required=True)
    definition = catalogue.pathway_for(member.kind)
    transition = compile_definition(definition).transition(trigger, instance.state)
    asks_exit_reason = any(g.kind == EXIT_REASON_GUARD for g in transition.guards)
    # The exit reason and the member's view are asked on the form itself; the other guards
    # are listed as criteria.
    asked_on_the_form = (EXIT_REASON_GUARD, MEMBER_AGREES)
    guards = tuple(g for g in transition.guards if g.kind not in asked_on_the_form)
    agreement = next((g.enforcement for g in transition.guards if g.kind == MEMBER_AGREES),
                     None)
    criteria: tuple[Verdict, ...] = ()
    if guards:
        facts = facts_for(session, catalogue, member, zone)
        criteria = tuple(evaluate_all(guards, facts, catalogue, definition.exit_reasons))
    from_level, _ = split_state(transition.source)
    to_level, to_status = split_state(transition.dest)
    steps_down = definition.level_index(to_level) < definition.level_index(from_level)
    return Action(trigger, transition.dest, asks_exit_reason=asks_exit_reason, asks_unit=False,
                  reason_required=asks_exit_reason or to_status == EXITED or steps_down,
                  criteria=criteria, agreement=agreement)
