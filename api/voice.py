"""The member's view of a move, added afterwards: by the member, or by staff on their behalf."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.access import member_in_scope
from api.auth import VOICES, current_caller, roles, speaks_for_self
from api.context import catalogue, zone
from api.db import session
from api.fields import IDEMPOTENCY_HEADER, CatalogueBlueprint, Text
from api.idempotent import respond_once
from api.members import PathwaySchema
from api.schemas import ErrorSchema, EventSchema
from pathway.errors import InvalidInput
from pathway.events import event_view
from pathway.people import voice
from pathway.progress import pathway_summary

blp = CatalogueBlueprint("voice", __name__,
                         description="The member's voice: their view of each move of their "
                                     "pathway, given with it or added afterwards.")


class ViewRequestSchema(Schema):
    agrees = fields.String(required=True, validate=validate.OneOf(list(voice.LATER_VIEWS)),
                           metadata={"description": "Does the member agree with the move?"})
    words = Text(load_default=None, allow_none=True, max_length=voice.WORDS_LIMIT,
                 metadata={"description": "The member's own words (erasable)."})
    on_behalf = fields.Boolean(load_default=False, metadata={
        "description": "Staff recording the member's view for them must say so (true); a "
                       "member gives their own."})


class ViewResultSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    pathway = fields.Nested(PathwaySchema, required=True)


@blp.route("/members/<int:member_id>/events/<int:event_id>/view")
class MemberView(MethodView):
    @blp.arguments(ViewRequestSchema)
    @blp.response(201, ViewResultSchema)
    @blp.alt_response(404, schema=ErrorSchema,
                      description="No such member in scope, or the event is not on this "
                                  "member's pathway.")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*VOICES)
    def post(self, data: dict[str, Any], member_id: int, event_id: int) -> Any:
        """Add (or change) the member's view of one of their pathway events, as a new event
        (`member_view`, `refers_to` the event) that changes no state.

        A member records their own view. Staff (coordinator, admin) may record it only on the
        member's behalf, saying so with `"on_behalf": true` (otherwise 422 naming `on_behalf`).
        """
        def run() -> Any:
            caller = current_caller()
            member = member_in_scope(member_id)
            own = speaks_for_self(caller)
            if not own and not data["on_behalf"]:
                raise InvalidInput("on_behalf", "Staff record a member's view only on their "
                                                "behalf: send \"on_behalf\": true.")
            outcome = voice.add_view(session(), catalogue(), member, event_id,
                                     {"agrees": data["agrees"], "words": data["words"]},
                                     caller.actor, zone(), on_behalf=not own)
            return ViewResultSchema().dump({
                "event": event_view(outcome.event, session(), unit_code=member.unit.code),
                "pathway": pathway_summary(catalogue(), member, outcome.instance)})

        return respond_once(run)
