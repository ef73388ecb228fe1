"""A member's pathway through Levels 1-3: where they are, what is next, and moving on."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.access import member_and_pathway_in_scope, member_in_scope
from api.auth import RECORD_ROLES, WRITERS, current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.fields import CatalogueBlueprint, Day, InCatalogue, Text, effective_date_named
from api.idempotent import HEADER, respond_once
from api.members import PathwaySchema
from api.schemas import EventSchema, MemberViewSchema, VerdictSchema
from pathway.engine import Firing, fire
from pathway.events import event_view
from pathway.people.members import pathway_of
from pathway.people.voice import checked_view
from pathway.progress import next_step, pathway_summary
from workflows.schema import Catalogue
from workflows.vocabulary import PATHWAY, PATHWAY_MACHINE, STATUS_TRIGGERS

blp = CatalogueBlueprint("pathway", __name__, description="Levels 1-3: advance, step back, "
                                                         "pause, resume, exit and rejoin.")


def triggers(known: Catalogue) -> list[str]:
    """What a client may fire on a pathway: each definition's level moves, then the built-in
    status triggers (``register``, ``transfer`` and ``erase`` have their own requests)."""
    found: dict[str, None] = {}
    for definition in known.definitions.values():
        if definition.machine == PATHWAY:
            found.update(dict.fromkeys(definition.triggers))
    return [*found, *STATUS_TRIGGERS]


class NextSchema(Schema):
    trigger = fields.String(required=True)
    to_level = fields.String(required=True, allow_none=True)
    possible_now = fields.Boolean(required=True)
    summary = fields.String(required=True)
    guards = fields.List(fields.Nested(VerdictSchema), required=True)


class PathwayDetailSchema(PathwaySchema):
    next = fields.Nested(NextSchema, required=True)


class MemberViewRequestSchema(MemberViewSchema):
    words = Text(load_default=None, allow_none=True,
                 metadata={"description": "The member's own words (erasable)."})
    why_not_asked = Text(load_default=None, allow_none=True, metadata={
        "description": "Needed when `agrees` is `not_asked` (422 naming "
                       "`member_view.why_not_asked` without it)."})

    class Meta:
        exclude = ("on_behalf",)


class TransitionRequestSchema(Schema):
    trigger = fields.String(required=True, validate=InCatalogue(triggers, "trigger", listed=True))
    reason = Text(load_default=None, allow_none=True)
    override = fields.Boolean(load_default=False)
    expected_version = fields.Integer(load_default=None, allow_none=True,
                                      validate=validate.Range(min=0, max=2**31 - 1))
    exit_reason = Text(load_default=None, allow_none=True, max_length=64)
    feedback = Text(load_default=None, allow_none=True,
                    metadata={"description": "What a leaver would like the service to learn."})
    on = Day(load_default=None, allow_none=True,
                     metadata={"description": "Effective date: not in the future, not before "
                                              "the member's latest pathway event."})
    member_view = fields.Nested(MemberViewRequestSchema, load_default=None, allow_none=True,
                                attribute="view",
                                metadata={"description": "The member's view of this move, kept "
                                                         "on its event."})


# One instance for every request: given the class, webargs would build the schema (and its
# nested one) again for each request.
TRANSITION_REQUEST = TransitionRequestSchema()


class TransitionResultSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    pathway = fields.Nested(PathwaySchema, required=True)


# Built once: a schema instance builds its nested schemas on first use, which costs more
# than the dump itself on every request.
TRANSITION_RESULT = TransitionResultSchema()


@blp.route("/members/<int:member_id>/pathway")
class Pathway(MethodView):
    @blp.response(200, PathwayDetailSchema)
    @roles(*RECORD_ROLES)
    def get(self, member_id: int) -> Any:
        """Where the member is, and what advancing needs (each criterion met or not)."""
        member = member_in_scope(member_id)
        instance = pathway_of(session(), member)
        return {**asdict(pathway_summary(catalogue(), member, instance)),
                "next": next_step(session(), catalogue(), member, instance, zone())}


@blp.route("/members/<int:member_id>/pathway/transitions")
class PathwayTransitions(MethodView):
    @blp.arguments(TRANSITION_REQUEST)
    @blp.response(201, TransitionResultSchema)
    @blp.doc(parameters=[{"in": "header", "name": HEADER, "required": False,
                          "schema": {"type": "string", "maxLength": 200},
                          "description": "Retry safely: a repeat with the same key and body "
                                         "returns the first answer and writes nothing."}])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], member_id: int) -> Any:
        """Fire a trigger on the member's pathway; refused with the unmet criteria when not ready."""
        def run() -> Any:
            caller = current_caller()
            member, instance = member_and_pathway_in_scope(member_id)
            view = checked_view(data["view"])
            with effective_date_named("on"):
                outcome = fire(session(), catalogue(), member, PATHWAY_MACHINE,
                               Firing(trigger=data["trigger"], reason=data["reason"],
                                      override=data["override"],
                                      expected_version=data["expected_version"], on=data["on"],
                                      exit_reason=data["exit_reason"], note=data["feedback"],
                                      member_view=view),
                               caller.actor, zone(), instance=instance)
            return TRANSITION_RESULT.dump({
                "event": event_view(outcome.event, session(), unit_code=member.unit.code),
                "pathway": pathway_summary(catalogue(), member, outcome.instance)})

        return respond_once(run)
