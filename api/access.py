"""Finding a member for the caller, and noting the read so it can be audited."""

from __future__ import annotations

from flask import g

from api.auth import current_caller
from api.db import session
from pathway.members import visible_member
from pathway.models import Member


def member_in_scope(member_id: int, *, action: str = "read") -> Member:
    """The member if the caller may see them (else 404), remembered for the read audit."""
    member = visible_member(session(), current_caller(), member_id)
    g.audited_member = (member.id, action)
    return member
