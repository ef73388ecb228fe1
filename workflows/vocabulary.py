"""The words the service itself relies on, named once: machine kinds, built-in triggers and
the lifecycle states and triggers the code acts on, and how a machine is addressed.

Everything else a board may change (levels, level-changing triggers, milestones, modules,
awards) is read from the loaded definitions, never spelled here.

A member's machines are addressed as text in the database and in every event the API
answers: ``pathway``, ``training:<module>``, ``milestone:<code>``, ``award:<code>``.
``MachineRef`` is that address as a value: ``MachineRef.parse`` reads it and ``str()``
writes it, and nothing else builds or splits the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- Machine kinds: the pathway, and the small lifecycles kept one instance per code -------
PATHWAY: Final = "pathway"
TRAINING: Final = "training"
MILESTONE: Final = "milestone"
AWARD: Final = "award"
LIFECYCLES: Final = (TRAINING, MILESTONE, AWARD)
# One record of paid or voluntary involvement: its own lifecycle, addressed by the record's id
# (``involvement:<id>``). Optional in a folder of definitions, so not among LIFECYCLES.
INVOLVEMENT: Final = "involvement"
MACHINE_KINDS: Final = (PATHWAY, *LIFECYCLES, INVOLVEMENT)

# --- Built-in pathway triggers: never listed in a definition --------------------------------
REGISTER: Final = "register"  # starts a pathway at its initial level (or an imported one)
PAUSE: Final = "pause"
RESUME: Final = "resume"
EXIT: Final = "exit"
REJOIN: Final = "rejoin"
TRANSFER: Final = "transfer"  # recorded on the history; the state stays
ERASE: Final = "erase"  # recorded on the history; the state stays
MEMBER_VIEW: Final = "member_view"  # the member's view of an earlier event; the state stays
# Added for every level of every pathway by ``workflows.machine.expand``.
STATUS_TRIGGERS: Final = (PAUSE, RESUME, EXIT, REJOIN)
# Recorded on the pathway's history without changing its state.
RECORD_TRIGGERS: Final = (TRANSFER, ERASE, MEMBER_VIEW)
BUILT_IN_TRIGGERS: Final = (REGISTER, *STATUS_TRIGGERS, *RECORD_TRIGGERS)
# A pathway trigger that puts the member on a level: with the definition's own level moves
# (``Definition.level_triggers``) these start the count of days at a level.
ENTERS_LEVEL: Final = (REGISTER, REJOIN)

# --- Lifecycle triggers and states the service acts on (the lifecycles' YAML names them) ----
ENROL: Final = "enrol"
COMPLETE: Final = "complete"  # a training completion: counts until the module's validity ends
ACHIEVE: Final = "achieve"
RETRACT: Final = "retract"
AWARD_TRIGGER: Final = "award"  # guarded by the award's criteria
REVOKE: Final = "revoke"
COMPLETED: Final = "completed"
EXPIRED: Final = "expired"  # never stored: a completion past its validity reads so
ACHIEVED: Final = "achieved"
AWARDED: Final = "awarded"
# --- Involvement and payment: the record's lifecycle (involvement.yaml names them) ----------
BOOK: Final = "book"  # the record is made: fired by the booking, never through transitions
MARK_DONE: Final = "done"
CANCEL: Final = "cancel"  # needs a reason
APPROVE: Final = "approve"  # by someone other than whoever booked it
PAY: Final = "pay"  # likewise
BOOKED: Final = "booked"
CANCELLED: Final = "cancelled"
PAID_OUT: Final = "paid"  # the state: the money has gone to the member
# The triggers a person fires on a booked record, and those the booker may not fire.
INVOLVEMENT_TRIGGERS: Final = (MARK_DONE, CANCEL, APPROVE, PAY)
NOT_BY_BOOKER: Final = (APPROVE, PAY)
REASON_NEEDED: Final = (CANCEL,)
# A milestone the member claims themselves: it counts for nothing until staff confirm it.
CLAIM: Final = "claim"
CONFIRM: Final = "confirm"
DECLINE: Final = "decline"
CLAIMED: Final = "claimed"
DECLINED: Final = "declined"
# What each lifecycle definition must offer for the service to work with it.
LIFECYCLE_NEEDS: Final = {TRAINING: ((ENROL, COMPLETE), (COMPLETED,)),
                          MILESTONE: ((ACHIEVE, RETRACT, CLAIM, CONFIRM, DECLINE),
                                      (ACHIEVED, CLAIMED, DECLINED)),
                          AWARD: ((AWARD_TRIGGER, REVOKE), (AWARDED,)),
                          INVOLVEMENT: ((BOOK, *INVOLVEMENT_TRIGGERS),
                                        (BOOKED, CANCELLED, PAID_OUT))}

_SEPARATOR: Final = ":"


class MachineRefError(ValueError):
    """Text that does not address a machine."""


@dataclass(frozen=True, order=True)
class MachineRef:
    """One of a member's machines: the pathway, or a lifecycle for one code."""

    kind: str
    code: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in MACHINE_KINDS:
            raise MachineRefError(f"there is no machine kind {self.kind!r}")
        if (self.kind == PATHWAY) != (self.code is None) or self.code == "":
            raise MachineRefError("the pathway has no code; every lifecycle has one")

    @classmethod
    def parse(cls, text: str | MachineRef) -> MachineRef:
        """``'training:peer_support'`` -> ``MachineRef('training', 'peer_support')``."""
        if isinstance(text, MachineRef):
            return text
        kind, separator, code = text.partition(_SEPARATOR)
        return cls(kind, code if separator else None)

    @classmethod
    def pathway(cls) -> MachineRef:
        return cls(PATHWAY)

    @classmethod
    def training(cls, module: str) -> MachineRef:
        return cls(TRAINING, module)

    @classmethod
    def milestone(cls, code: str) -> MachineRef:
        return cls(MILESTONE, code)

    @classmethod
    def award(cls, code: str) -> MachineRef:
        return cls(AWARD, code)

    @classmethod
    def involvement(cls, record_id: int) -> MachineRef:
        return cls(INVOLVEMENT, str(record_id))

    @staticmethod
    def like(kind: str) -> str:
        """A SQL ``LIKE`` pattern matching every stored machine of one lifecycle kind."""
        return f"{kind}{_SEPARATOR}%"

    @property
    def is_pathway(self) -> bool:
        return self.kind == PATHWAY

    def __str__(self) -> str:
        return self.kind if self.code is None else f"{self.kind}{_SEPARATOR}{self.code}"


PATHWAY_MACHINE: Final = MachineRef.pathway()


# --- The proposals board ("you said, we did"): a service's machine, not a member's ---------
# Proposals are kept in their own tables, one row per proposal; the lifecycle is YAML like the
# others and its triggers are named after the state each leads to.
PROPOSAL: Final = "proposal"
BOARD_MACHINES: Final = (PROPOSAL,)
RAISED: Final = "raised"  # where every proposal starts: no trigger leads here
RED: Final = "red"  # not now, with the reason shown
AMBER: Final = "amber"  # being worked on
GREEN: Final = "green"  # done: "we did"
NOT_ADOPTED: Final = "not_adopted"  # shown back with its reason
PROPOSAL_STATES: Final = (RAISED, RED, AMBER, GREEN, NOT_ADOPTED)
# Each trigger is the name of the state it leads to.
PROPOSAL_TRIGGERS: Final = (RED, AMBER, GREEN, NOT_ADOPTED)
RAISE: Final = "raise"  # the first event of every proposal's history
FORUM_DECISION: Final = "forum_decision"  # kept on the history; the state stays
PROPOSAL_NEEDS: Final = (PROPOSAL_TRIGGERS, PROPOSAL_STATES)
