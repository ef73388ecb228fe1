"""Who is asking, and what they may see: roles and unit scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, true

from pathway.engine import Actor
from pathway.store.models import Member

ROLES = ("admin", "coordinator", "training_lead", "viewer", "member")
SCOPED_ROLES = ("coordinator", "training_lead", "viewer")
# Roles that may read individual members' records (viewers see aggregates only).
RECORD_READERS = ("admin", "coordinator", "training_lead")


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

    def unit_clause(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        """A WHERE clause limiting ``column`` (a unit id) to this caller's scope."""
        if self.role == "admin" or self.all_units:
            return true()
        return column.in_(sorted(self.unit_ids))
