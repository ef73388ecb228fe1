"""A member's own pathway (/me): where they are, what they have done, what comes next."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, render_template, request

from api.access import member_in_scope
from api.context import catalogue, zone
from api.pages import pages
from api.pages.session import current_caller, db_session, signed_in
from pathway.people import audit, privacy
from pathway.people.record import member_record, moves_of
from pathway.programme.milestones import CLAIMED, DECLINED
from pathway.store.paging import paginate
from pathway.words import kind_words, level_words, readable

ACCESS_SHOWN = 20


def _own_member_id() -> int:
    member_id = current_caller().member_id
    if member_id is None:  # a member user is always linked; anything else has no /me
        abort(404)
    return member_id


@pages.get("/me")
@signed_in("member")
def me() -> str:
    session = db_session()
    member = member_in_scope(_own_member_id())
    record = member_record(session, catalogue(), member, zone())
    definition = catalogue().pathway_for(member.kind)
    looked = paginate(session, audit.access_log_query(member.id), 1, ACCESS_SHOWN)
    return render_template(
        "pages/me.html", member=member, record=record, definition=definition,
        level=level_words(definition, record.pathway.level),
        status=record.pathway.status,
        kind=kind_words(member.kind), readable=readable,
        next_level=level_words(definition, record.next.to_level) if record.next.to_level
        else None,
        done_milestones=sorted((m for m in record.milestones if m.achieved),
                               key=lambda m: m.achieved_on),
        open_milestones=[m for m in record.milestones
                         if not m.achieved and m.level == record.pathway.level],
        access=[audit.access_view(r) for r in looked.items],
        access_total=looked.total, zone=zone(),
        moves=moves_of(session, catalogue(), member),
        claimed=[m for m in record.milestones if m.state == CLAIMED],
        declined=[m for m in record.milestones if m.state == DECLINED],
        done=DONE.get(request.args.get("done", "")))


# What /me says after the member's own change (post/redirect/get).
DONE = {"view": "Your view has been added to your history.",
        "sent": "Sent to your coordinator. It shows below as waiting for confirmation."}


@pages.get("/me/export")
@signed_in("member")
def my_data() -> Response:
    """Download my data: exactly the API's GET /members/{id}/export, as a JSON file."""
    from api.privacy import ExportSchema

    member = member_in_scope(_own_member_id(), action="export")
    exported: dict[str, Any] = ExportSchema().dump(
        privacy.export(db_session(), catalogue(), member, zone()))
    body = json.dumps(exported, indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="pathway-{member.reference}.json"'})
