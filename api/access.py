"""Finding a member for the caller, and noting reads so they can be audited."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g
from sqlalchemy import select

from api.auth import current_caller
from api.db import session
from pathway.engine import member_with_pathway
from pathway.people.members import visible_member
from pathway.store.models import Instance, Member


def member_in_scope(member_id: int, *, action: str = "read") -> Member:
    """The member if the caller may see them (else 404), remembered for the read audit."""
    member = visible_member(session(), current_caller(), member_id)
    g.audited_member = (member.id, action)
    return member


def member_and_pathway_in_scope(member_id: int, *, action: str = "read"
                                ) -> tuple[Member, Instance | None]:
    """``member_in_scope`` with the member's pathway row read in the same query (for a
    transition, which needs both: ``fire(..., instance=...)``)."""
    found = member_with_pathway(session(), member_id)
    # The scope check itself is ``visible_member``'s (the member is in the session now, so
    # it reads nothing more; an absent member is looked for again and refused the same way).
    member = member_in_scope(member_id, action=action)
    return member, found[1] if found is not None else None


def note_reads(member_ids: Iterable[int], action: str) -> None:
    """Remember that this request shows these members' records (a list page, a report).

    Pass only the members actually in the answer. The after_request hook in
    ``api.privacy`` writes one access record per member, and only if the GET succeeds.
    """
    reads: dict[int, str] = g.setdefault("audited_reads", {})
    for member_id in member_ids:
        reads.setdefault(member_id, action)


def note_reads_by_reference(references: Iterable[str], action: str) -> None:
    """``note_reads`` for answers that name members by pseudonymous reference only.

    One query for the whole list (references are unique); nothing when the list is empty.
    """
    wanted = sorted(set(references))
    if wanted:
        note_reads(session().scalars(select(Member.id).where(Member.reference.in_(wanted))),
                   action)
