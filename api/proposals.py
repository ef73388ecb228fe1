"""The proposals board, "you said, we did": raise a proposal, move it Red / Amber / Green, keep
the forums' decisions, and read the board."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.auth import ALL_ROLES, WRITERS, current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.fields import (
    IDEMPOTENCY_HEADER,
    CatalogueBlueprint,
    Day,
    ExpectedVersion,
    InCatalogue,
    Text,
)
from api.idempotent import respond_once
from api.schemas import ErrorSchema, PageArgs, page_of
from pathway.people import proposals
from workflows.schema import Catalogue

blp = CatalogueBlueprint(
    "proposals", __name__,
    description="The \"you said, we did\" board: proposed developments of the service, shown "
                "Red (not now), Amber (being worked on) or Green (done), with what was done "
                "and the service user and carer forums' decisions.")


def _states(known: Catalogue) -> list[str]:
    return list(proposals.board_definition(known).states)


def _triggers(known: Catalogue) -> list[str]:
    return list(proposals.board_definition(known).triggers)


class ProposalEventSchema(Schema):
    seq = fields.Integer(required=True)
    trigger = fields.String(required=True, metadata={
        "description": "`raise`, a move (named after the state it leads to) or "
                       "`forum_decision` (the state stays)."})
    from_state = fields.String(required=True, allow_none=True)
    to_state = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True, allow_none=True,
                          metadata={"description": "None for an anonymous raise."})
    at = fields.AwareDateTime(required=True)
    forum = fields.String(required=True, allow_none=True)
    on = fields.Date(required=True, allow_none=True,
                     metadata={"description": "The day the forum decided."})
    decision = fields.String(required=True, allow_none=True,
                             validate=validate.OneOf(proposals.DECISIONS))


class ProposalSchema(Schema):
    id = fields.Integer(required=True)
    unit = fields.String(required=True, allow_none=True,
                         metadata={"description": "None: for the whole service."})
    unit_name = fields.String(required=True, allow_none=True)
    title = fields.String(required=True)
    detail = fields.String(required=True)
    anonymous = fields.Boolean(required=True)
    raised_by = fields.String(required=True, allow_none=True, metadata={
        "description": "None when raised anonymously: no author is stored at all."})
    state = fields.String(required=True)
    version = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    triggers = fields.List(fields.String(), required=True,
                           metadata={"description": "The moves possible from its state now."})
    history = fields.List(fields.Nested(ProposalEventSchema), required=True,
                          metadata={"description": "Oldest first."})


ProposalPage = page_of(ProposalSchema, "ProposalPage")


class BoardArgs(PageArgs):
    unit = Text(load_default=None, max_length=64, metadata={
        "description": "One unit's board: its proposals and the whole service's."})
    state = fields.String(load_default=None,
                          validate=InCatalogue(_states, "state", blank=True, listed=True))


class RaiseSchema(Schema):
    unit = Text(load_default=None, allow_none=True, max_length=64, metadata={
        "description": "A unit's code, or null for the whole service. A member raises for "
                       "their own unit or the whole service."})
    title = Text(required=True, min_length=1, max_length=proposals.TITLE_LENGTH)
    detail = Text(required=True, min_length=1, max_length=4000)
    anonymous = fields.Boolean(load_default=False, metadata={
        "description": "Store no author at all: nobody, not even an admin, can tell who."})


class MoveSchema(Schema):
    trigger = fields.String(required=True, validate=InCatalogue(_triggers, "trigger",
                                                                listed=True),
                            metadata={"description": "Named after the state it leads to."})
    note = Text(required=True, min_length=1, metadata={
        "description": "Why, in words: what the board shows (for green, what was done)."})
    expected_version = ExpectedVersion()


class ForumDecisionSchema(Schema):
    forum = Text(required=True, min_length=1, max_length=proposals.FORUM_LENGTH,
                 metadata={"example": "Service user and carer forum"})
    on = Day(required=True, metadata={"description": "The day the forum decided."})
    decision = fields.String(required=True, validate=validate.OneOf(proposals.DECISIONS))
    note = Text(load_default=None, allow_none=True)
    expected_version = ExpectedVersion()


class ProposalResultSchema(Schema):
    event = fields.Nested(ProposalEventSchema, required=True)
    proposal = fields.Nested(ProposalSchema, required=True)


def _result(event: Any, proposal: Any) -> dict[str, Any]:
    return ProposalResultSchema().dump({
        "event": proposals.event_view(event),
        "proposal": proposals.proposal_view(session(), catalogue(), proposal)})


@blp.route("/proposals")
class Board(MethodView):
    @blp.arguments(BoardArgs, location="query")
    @blp.response(200, ProposalPage)
    @roles(*ALL_ROLES)
    def get(self, args: dict[str, Any]) -> Any:
        """The board the caller sees, newest change first, each card with its history."""
        page = proposals.board(session(), current_caller(), unit=args["unit"],
                               state=args["state"] or None, page=args["page"],
                               page_size=args["page_size"])
        return page.as_dict(proposals.views(session(), catalogue(), page.items))

    @blp.arguments(RaiseSchema)
    @blp.response(201, ProposalSchema)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*ALL_ROLES)
    def post(self, data: dict[str, Any]) -> Any:
        """Raise a proposal for one of your units, or the whole service (starts `raised`)."""
        def run() -> Any:
            proposal = proposals.raise_proposal(
                session(), catalogue(), current_caller(), unit=data["unit"] or None,
                title=data["title"], detail=data["detail"], anonymous=data["anonymous"])
            return ProposalSchema().dump(proposals.proposal_view(session(), catalogue(),
                                                                 proposal))

        return respond_once(run)


@blp.route("/proposals/<int:proposal_id>")
class OneProposal(MethodView):
    @blp.response(200, ProposalSchema)
    @roles(*ALL_ROLES)
    def get(self, proposal_id: int) -> Any:
        """One card of the board, with its history."""
        proposal = proposals.visible_proposal(session(), current_caller(), proposal_id)
        return proposals.views(session(), catalogue(), [proposal])[0]


@blp.route("/proposals/<int:proposal_id>/transitions")
class MoveProposal(MethodView):
    @blp.arguments(MoveSchema)
    @blp.response(201, ProposalResultSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Not possible from its state (`invalid_trigger`), no note "
                                  "(`guards_unmet`) or changed meanwhile (`version_conflict`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], proposal_id: int) -> Any:
        """Move a proposal Red, Amber or Green, or mark it not adopted, with a note."""
        # A stored answer is replayed only to someone who still sees the proposal.
        proposals.visible_proposal(session(), current_caller(), proposal_id)

        def run() -> Any:
            event, proposal = proposals.move(
                session(), catalogue(), current_caller(), proposal_id,
                trigger=data["trigger"], note=data["note"],
                expected_version=data["expected_version"])
            return _result(event, proposal)

        return respond_once(run)


@blp.route("/proposals/<int:proposal_id>/forum-decision")
class ForumDecision(MethodView):
    @blp.arguments(ForumDecisionSchema)
    @blp.response(201, ProposalResultSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Changed meanwhile (`version_conflict`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], proposal_id: int) -> Any:
        """Keep a service user and carer forum's decision on a proposal (the state stays)."""
        proposals.visible_proposal(session(), current_caller(), proposal_id)

        def run() -> Any:
            event, proposal = proposals.record_forum_decision(
                session(), current_caller(), proposal_id, forum=data["forum"], on=data["on"],
                decision=data["decision"], note=data["note"], zone=zone(),
                expected_version=data["expected_version"])
            return _result(event, proposal)

        return respond_once(run)
