"""The training programme and each member's place in it: enrol, complete, withdraw, reenrol.

A module's state is stored on the member's ``training:<code>`` instance. ``expired`` is never
stored: a completion past the module's ``valid_for_days`` reads as expired and stops counting.
A completion is read from the history (the latest ``complete`` event), so it keeps counting,
and keeps showing its dates, while the member is re-enrolled for the refresher or has
withdrawn from it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import Actor, Firing, Outcome, fire
from pathway.errors import NotFound
from pathway.facts import completions_of, training_record
from pathway.store.models import Instance, Member
from workflows.machine import compile_definition
from workflows.schema import Catalogue, Definition, Module
from workflows.vocabulary import EXPIRED, TRAINING, MachineRef


def lifecycle(catalogue: Catalogue) -> Definition:
    return catalogue.lifecycle(TRAINING)


def triggers(catalogue: Catalogue) -> tuple[str, ...]:
    """The triggers a member's module may be moved by, as the training lifecycle lists them."""
    return lifecycle(catalogue).triggers


def shown_states(catalogue: Catalogue) -> tuple[str, ...]:
    """The states a person may see: the lifecycle's, and ``expired`` derived from them."""
    return (*lifecycle(catalogue).states, EXPIRED)


def machine_of(code: str) -> str:
    """The stored address of a member's module (kept for callers that hold text)."""
    return str(MachineRef.training(code))


def programme(catalogue: Catalogue) -> list[Module]:
    """Every module, in the order the programme lists them."""
    return list(catalogue.modules.values())


def module_or_404(catalogue: Catalogue, code: str) -> Module:
    module = catalogue.modules.get(code)
    if module is None:
        raise NotFound(f"There is no training module {code!r}.")
    return module


class TrainingView(TypedDict):
    """One module as a member stands in it."""

    code: str
    title: str
    level: str
    valid_for_days: int | None
    description: str
    state: str
    completed_on: date | None
    expires_on: date | None
    version: int
    available_triggers: list[str]


def training_view(catalogue: Catalogue, module: Module, instance: Instance | None,
                  completed_at: datetime | None, zone: ZoneInfo,
                  today: date | None = None) -> TrainingView:
    """One module as a member stands in it, with ``expired`` derived from today.

    ``completed_at`` is the module's latest completion (``completions_of``), shown with its
    expiry whatever the state now.
    """
    today = today or clock.today(zone)
    definition = lifecycle(catalogue)
    record = training_record(instance, module.valid_for_days, zone, completed_at,
                             initial=definition.initial)
    state = instance.state if instance else definition.initial
    workflow = compile_definition(definition)
    return TrainingView(code=module.code, title=module.title, level=module.level,
                        valid_for_days=module.valid_for_days, description=module.description,
                        state=record.shown_state(today), completed_on=record.completed_on,
                        expires_on=record.expires_on,
                        version=instance.version if instance else 0,
                        available_triggers=workflow.available_triggers(state))


def training_instances(session: Session, member_id: int) -> dict[str, Instance]:
    """The member's module instances, by module code."""
    rows = session.scalars(select(Instance).where(Instance.member_id == member_id,
                                                  Instance.machine.like(MachineRef.like(TRAINING))))
    return {MachineRef.parse(row.machine).code or "": row for row in rows}


def training_of(session: Session, catalogue: Catalogue, member: Member, zone: ZoneInfo,
                modules: list[Module]) -> list[TrainingView]:
    """The member's state in each of ``modules`` (two queries for them all)."""
    held = training_instances(session, member.id)
    refs = [MachineRef.training(m.code) for m in modules]
    completed = completions_of(session, member.id, refs)
    today = clock.today(zone)
    return [training_view(catalogue, m, held.get(m.code), completed.get(str(ref)), zone, today)
            for m, ref in zip(modules, refs, strict=True)]


def module_of(session: Session, catalogue: Catalogue, member: Member, code: str,
              zone: ZoneInfo) -> TrainingView:
    module = module_or_404(catalogue, code)
    return training_of(session, catalogue, member, zone, [module])[0]


def move(session: Session, catalogue: Catalogue, member: Member, code: str, firing: Firing,
         actor: Actor, zone: ZoneInfo) -> tuple[Outcome, TrainingView]:
    """Fire a training trigger for one module; answer the event and the module's new state."""
    module = module_or_404(catalogue, code)
    ref = MachineRef.training(code)
    outcome = fire(session, catalogue, member, ref, firing, actor, zone)
    completed = completions_of(session, member.id, [ref]).get(str(ref))
    return outcome, training_view(catalogue, module, outcome.instance, completed, zone)
