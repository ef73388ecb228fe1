"""Who is asking, and what they may see: roles and unit scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import QueryableAttribute

from pathway.engine import Actor
from pathway.store.models import Member

# What a role may do. Each operation of the API (and, through these, the CLI and the pages)
# names one of these; the table below says which roles may.
SEE_PROGRAMME = "see_programme"      # units, workflows, training modules, awards
READ_RECORDS = "read_records"        # members' records (a member: their own only)
CHANGE_RECORDS = "change_records"    # register, rename, move, milestones, pathway moves
RECORD_TRAINING = "record_training"  # enrol, complete, withdraw training
AWARD = "award"                      # readiness lists and accreditations
READ_REPORTS = "read_reports"        # aggregate reports of their units
DATA_RIGHTS = "data_rights"          # a record's access log and subject access export
ADMINISTER = "administer"            # units, erasure and its reversal

ACTIONS = (SEE_PROGRAMME, READ_RECORDS, CHANGE_RECORDS, RECORD_TRAINING, AWARD, READ_REPORTS,
           DATA_RIGHTS, ADMINISTER)


@dataclass(frozen=True)
class Role:
    name: str
    summary: str
    may: frozenset[str]
    scoped: bool = False      # needs units (or all units) to see anything
    own_record: bool = False  # sees one member's record: the one the user is


ROLE_TABLE: tuple[Role, ...] = (
    Role("admin", "Runs the service: everything, in every unit, and people's data rights.",
         frozenset(ACTIONS)),
    Role("coordinator", "Keeps members' records in their units: registers, moves, records.",
         frozenset({SEE_PROGRAMME, READ_RECORDS, CHANGE_RECORDS, RECORD_TRAINING,
                    READ_REPORTS}), scoped=True),
    Role("training_lead", "Runs training and accreditation in their units.",
         frozenset({SEE_PROGRAMME, READ_RECORDS, RECORD_TRAINING, AWARD, READ_REPORTS}),
         scoped=True),
    Role("viewer", "Aggregate reports of their units only, never one person's record.",
         frozenset({SEE_PROGRAMME, READ_REPORTS}), scoped=True),
    Role("member", "A member themself: their own record, who read it, and its export.",
         frozenset({SEE_PROGRAMME, READ_RECORDS, DATA_RIGHTS}), own_record=True),
)
ROLES_BY_NAME = {role.name: role for role in ROLE_TABLE}


def allowed_to(action: str) -> tuple[str, ...]:
    """The roles that may do ``action``, in the table's order."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}.")
    return tuple(role.name for role in ROLE_TABLE if action in role.may)


ROLES = tuple(role.name for role in ROLE_TABLE)
SCOPED_ROLES = tuple(role.name for role in ROLE_TABLE if role.scoped)
# Roles that may read individual members' records of others (viewers see aggregates only).
RECORD_READERS = tuple(name for name in allowed_to(READ_RECORDS)
                       if not ROLES_BY_NAME[name].own_record)


@dataclass(frozen=True)
class Caller:
    user_id: int
    name: str
    role: str
    all_units: bool
    unit_ids: frozenset[int]
    member_id: int | None = None
    last_used_at: datetime | None = None

    @property
    def actor(self) -> Actor:
        return Actor(name=self.name, role=self.role, user_id=self.user_id)

    def sees_unit(self, unit_id: int) -> bool:
        return self.role == "admin" or self.all_units or unit_id in self.unit_ids

    def sees_member(self, member: Member) -> bool:
        if self.role == "member":
            return self.member_id == member.id
        if self.role == "viewer":
            return False
        return self.sees_unit(member.unit_id)

    def unit_clause(self, column: ColumnElement[int] | QueryableAttribute[int],
                    ) -> ColumnElement[bool]:
        """A WHERE clause limiting ``column`` (a unit id) to this caller's scope."""
        if self.role == "admin" or self.all_units:
            return true()
        return column.in_(sorted(self.unit_ids))
