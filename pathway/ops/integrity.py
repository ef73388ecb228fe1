"""Replaying the event log: does every instance's history lead to the state it holds?

The invariant (DESIGN.md): replaying an instance's events from its initial state yields its
current state. ``check`` walks every instance with its events in one streamed query, ordered
by (instance, seq), and answers every way the two disagree. ``pathway check`` prints it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway.config import Settings
from pathway.engine import definition_for
from pathway.errors import NotFound
from pathway.people import proposals
from pathway.store import ledger
from pathway.store.models import Event, Instance, Member
from workflows.machine import CompiledWorkflow, TriggerNotAllowed, compile_definition, split_state
from workflows.schema import Catalogue
from workflows.vocabulary import RECORD_TRIGGERS, REGISTER, MachineRef, MachineRefError

STREAM_BATCH = 5_000


@dataclass(frozen=True)
class Problem:
    """One way an instance and its event log disagree."""

    instance_id: int
    member_id: int
    machine: str
    message: str
    seq: int | None = None

    def __str__(self) -> str:
        where = f"instance {self.instance_id} (member {self.member_id}, {self.machine})"
        if self.seq is not None:
            where += f" event {self.seq}"
        return f"{where}: {self.message}"


@dataclass
class CheckReport:
    instances: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Where the distribution ledger (derived from the events) disagrees with their replay.
    ledger: list[str] = field(default_factory=list)
    # Where a proposal's history on the board disagrees with its replay through the machine.
    proposals: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.problems and not self.ledger and not self.proposals

    def summary(self) -> str:
        head = f"{self.instances} instances, {self.events} events checked"
        differs = (f"the distribution ledger differs from the events in {len(self.ledger)} "
                   f"place{'s' if len(self.ledger) != 1 else ''} ('pathway ledger rebuild' "
                   "remakes it)")
        if self.proposals:
            head += (f"; {len(self.proposals)} proposal "
                     f"problem{'s' if len(self.proposals) != 1 else ''} found")
        if not self.problems:
            held = "all hold" if not self.proposals else "every instance holds"
            return f"{head}: {held}" + (f"; {differs}" if self.ledger else "")
        found = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} found"
        return f"{head}, {differs}: {found}" if self.ledger else f"{head}: {found}"


class _Replayer:
    """Where each trigger leads from each state, asked of the compiled machine once per pair."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._workflows: dict[tuple[str, str], CompiledWorkflow | None] = {}
        self._moves: dict[tuple[int, str, str], str | None] = {}

    def workflow(self, kind: str, machine: str) -> CompiledWorkflow | None:
        key = (kind, machine)
        if key not in self._workflows:
            try:
                self._workflows[key] = compile_definition(
                    definition_for(self.catalogue, kind, machine))
            except (NotFound, KeyError, MachineRefError):
                self._workflows[key] = None
        return self._workflows[key]

    def destination(self, workflow: CompiledWorkflow, trigger: str, state: str) -> str | None:
        """The state ``trigger`` leads to from ``state``, or None when it is not allowed."""
        key = (id(workflow), trigger, state)
        if key not in self._moves:
            try:
                self._moves[key] = workflow.fire(trigger, state)
            except TriggerNotAllowed:
                self._moves[key] = None
        return self._moves[key]


def _rows(session: Session) -> Iterator[Any]:
    """Every instance with its events (none for an instance without history), in order."""
    statement = (
        select(Instance.id, Instance.member_id, Instance.machine, Instance.state,
               Instance.level, Instance.status, Instance.version, Member.kind,
               Instance.unit_id, Instance.kind, Member.unit_id,
               Event.seq, Event.trigger, Event.from_state, Event.to_state, Event.machine,
               Event.member_id)
        .join(Member, Member.id == Instance.member_id)
        .outerjoin(Event, Event.instance_id == Instance.id)
        .order_by(Instance.id, Event.seq)
        .execution_options(yield_per=STREAM_BATCH))
    yield from session.execute(statement)


def check(session: Session, catalogue: Catalogue, zone: ZoneInfo | None = None) -> CheckReport:
    """Replay every instance's events and report each disagreement (an empty list: all hold).

    The distribution ledger is checked against the same events, its days counted in ``zone``
    (the configured service zone when not given).
    """
    report = CheckReport()
    report.ledger = ledger.differences(session.connection(),
                                       zone or Settings.from_env().timezone)
    replayer = _Replayer(catalogue)
    current: list[Any] = []
    for row in _rows(session):
        if current and current[0][0] != row[0]:
            _check_instance(current, replayer, report)
            current = []
        current.append(row)
    if current:
        _check_instance(current, replayer, report)
    report.proposals = proposals.replay_faults(session, catalogue)
    return report


def _check_instance(rows: list[Any], replayer: _Replayer, report: CheckReport) -> None:
    (instance_id, member_id, machine, state, level, status, version, kind,
     row_unit_id, row_kind, member_unit_id) = rows[0][:11]
    report.instances += 1
    problems = report.problems

    def problem(message: str, seq: int | None = None) -> None:
        problems.append(Problem(instance_id, member_id, machine, message, seq))

    events = [row[11:] for row in rows if row[11] is not None]
    try:
        is_pathway = MachineRef.parse(machine).is_pathway
    except MachineRefError:
        is_pathway = False
    report.events += len(events)
    workflow = replayer.workflow(kind, machine)
    if workflow is None:
        problem(f"no workflow in the catalogue drives {machine!r} for a {kind}")
        return
    if not events:
        problem(f"has no events but holds state {state!r} at version {version}")
        return

    previous: str | None = None
    for index, (seq, trigger, from_state, to_state, event_machine, event_member) in enumerate(events):
        expected_seq = index + 1
        if seq != expected_seq:
            problem(f"seq {seq} where {expected_seq} was expected (seq must run 1, 2, 3, ...)", seq)
        if event_machine != machine or event_member != member_id:
            problem(f"the event belongs to member {event_member}, {event_machine!r}", seq)
        if index == 0:
            if from_state is None:
                if not (is_pathway and trigger == REGISTER):
                    problem(f"first event '{trigger}' has no from_state; only a pathway "
                            f"'{REGISTER}' may start from nothing", seq)
                elif to_state not in workflow.states:
                    problem(f"{REGISTER} starts at {to_state!r}, which is not a state of "
                            f"{workflow.definition.name}", seq)
                previous = to_state
                continue
            if from_state != workflow.definition.initial:
                problem(f"first event starts from {from_state!r}, not from the initial state "
                        f"{workflow.definition.initial!r}", seq)
        elif from_state != previous:
            problem(f"from_state {from_state!r} does not follow the previous to_state "
                    f"{previous!r}", seq)
        if is_pathway and trigger in RECORD_TRIGGERS:
            if to_state != from_state:
                problem(f"'{trigger}' keeps the state but moved {from_state!r} -> {to_state!r}",
                        seq)
        else:
            dest = replayer.destination(workflow, trigger, from_state or "")
            if dest is None:
                problem(f"'{trigger}' is not allowed from {from_state!r}", seq)
            elif dest != to_state:
                problem(f"'{trigger}' from {from_state!r} leads to {dest!r}, not {to_state!r}",
                        seq)
        previous = to_state

    last_seq = events[-1][0]
    if last_seq != version:
        problem(f"version {version} but the last event is seq {last_seq}")
    if previous != state:
        problem(f"state {state!r} but the events end at {previous!r}")
    expected = split_state(state) if is_pathway else (None, None)
    if (level, status) != expected:
        problem(f"level/status columns ({level!r}, {status!r}) disagree with state {state!r}, "
                f"which means {expected!r}")
    if is_pathway and (row_unit_id, row_kind) != (member_unit_id, kind):
        problem(f"the pathway row says unit {row_unit_id} and kind {row_kind!r}; the member is "
                f"in unit {member_unit_id} and of kind {kind!r}")
