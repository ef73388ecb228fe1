"""Compile definitions into `transitions` machines, one per definition, built once.

A member's state is a row, not a Python object: each request binds the stored state to a
throwaway model and fires the trigger on the shared machine, which answers whether the
trigger is allowed from that state and where it leads.

In a pathway, level and status are orthogonal. The compiled machine therefore has, for each
level ``L``, the states ``L`` (active), ``L.paused`` and ``L.exited``; the definition lists
only the level transitions and the status triggers are added here for every level, so a
paused member keeps their level and ``resume`` returns to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from transitions import Machine, MachineError

from workflows.guards import EXIT_REASON
from workflows.schema import Definition, Guard
from workflows.vocabulary import EXIT, PATHWAY, PAUSE, REJOIN, RESUME

ACTIVE = "active"
PAUSED = "paused"
EXITED = "exited"


def split_state(state: str) -> tuple[str, str]:
    """``'level_2.paused'`` -> ``('level_2', 'paused')``; ``'level_2'`` -> ``('level_2', 'active')``."""
    level, _, status = state.partition(".")
    return level, status or ACTIVE


def join_state(level: str, status: str) -> str:
    return level if status == ACTIVE else f"{level}.{status}"


class TriggerNotAllowed(Exception):
    """The trigger is not defined from this state."""

    def __init__(self, trigger: str, state: str, allowed: list[str]) -> None:
        self.trigger = trigger
        self.state = state
        self.allowed = allowed
        super().__init__(f"{trigger!r} is not allowed from {state!r}")


@dataclass
class _Token:
    """The per-request model: carries one stored state through one trigger."""

    state: str


@dataclass(frozen=True)
class CompiledTransition:
    trigger: str
    source: str
    dest: str
    guards: tuple[Guard, ...] = ()


def expand(definition: Definition) -> list[CompiledTransition]:
    """Every transition of the compiled machine, status triggers included for pathways."""
    compiled = [CompiledTransition(t.trigger, t.source, t.dest, t.guards)
                for t in definition.transitions]
    if definition.machine != PATHWAY:
        return compiled
    exit_guard = (Guard(EXIT_REASON, None, None, "required"),)
    for level in definition.states:
        compiled.append(CompiledTransition(PAUSE, level, join_state(level, PAUSED)))
        compiled.append(CompiledTransition(RESUME, join_state(level, PAUSED), level))
        compiled.append(CompiledTransition(EXIT, level, join_state(level, EXITED),
                                           exit_guard))
        compiled.append(CompiledTransition(EXIT, join_state(level, PAUSED),
                                           join_state(level, EXITED), exit_guard))
        back_to = level if definition.rejoin_to == "held" else definition.rejoin_to
        compiled.append(CompiledTransition(REJOIN, join_state(level, EXITED), back_to or level))
    return compiled


def compiled_states(definition: Definition) -> list[str]:
    if definition.machine != PATHWAY:
        return list(definition.states)
    return [join_state(level, status) for level in definition.states
            for status in (ACTIVE, PAUSED, EXITED)]


class CompiledWorkflow:
    """A definition and its one `transitions` machine."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.transitions = expand(definition)
        self.states = compiled_states(definition)
        self.machine = Machine(
            model=None,
            states=self.states,
            transitions=[{"trigger": t.trigger, "source": t.source, "dest": t.dest}
                         for t in self.transitions],
            initial=definition.initial,
            auto_transitions=False,
            send_event=True,
        )

    def available_triggers(self, state: str) -> list[str]:
        if state not in self.machine.states:
            return []
        return self.machine.get_triggers(state)

    def transition(self, trigger: str, state: str) -> CompiledTransition:
        """The transition ``trigger`` takes from ``state``, or TriggerNotAllowed."""
        for t in self.transitions:
            if t.trigger == trigger and t.source == state:
                return t
        raise TriggerNotAllowed(trigger, state, self.available_triggers(state))

    def fire(self, trigger: str, state: str) -> str:
        """Fire ``trigger`` from ``state`` with the library and return the new state."""
        token = _Token(state)
        event = self.machine.events.get(trigger)
        if event is None or state not in self.machine.states:
            raise TriggerNotAllowed(trigger, state, self.available_triggers(state))
        try:
            event.trigger(token)
        except MachineError as exc:
            raise TriggerNotAllowed(trigger, state, self.available_triggers(state)) from exc
        return token.state


@lru_cache(maxsize=64)
def compile_definition(definition: Definition) -> CompiledWorkflow:
    """The cached machine for one definition (definitions are frozen, hence hashable)."""
    return CompiledWorkflow(definition)
