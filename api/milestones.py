"""Milestones: the actions at each level a member has achieved, recorded and retracted."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.access import member_in_scope
from api.auth import OWN_RECORD, RECORD_ROLES, WRITERS, current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.fields import (
    IDEMPOTENCY_HEADER,
    CatalogueBlueprint,
    Day,
    ExpectedVersion,
    InCatalogue,
    Reason,
    Text,
    effective_date_named,
    levels,
)
from api.idempotent import respond_once
from api.schemas import ErrorSchema, EventSchema, PageArgs, page_of
from pathway.events import event_view
from pathway.programme import milestones
from pathway.store.paging import page_of as page_in_memory
from workflows.schema import Catalogue

blp = CatalogueBlueprint("milestones", __name__,
                description="The actions at each level: record what a member achieved, or "
                            "retract what was recorded in error.")

class ClaimSchema(Schema):
    on = fields.Date(required=True, metadata={"description": "When the member says it happened."})
    evidence = fields.String(required=True, allow_none=True,
                             metadata={"description": "What the member says shows it."})


class MilestoneSchema(Schema):
    code = fields.String(required=True)
    level = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    achieved = fields.Boolean(required=True)
    achieved_on = fields.Date(required=True, allow_none=True)
    evidence = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True, metadata={
        "description": "The milestone record's version (0 before anything was recorded)."})
    state = fields.String(required=True, validate=validate.OneOf(
        ["not_achieved", "claimed", "achieved", "declined"]), metadata={
        "description": "`claimed`: the member says they did it, waiting for staff to confirm "
                       "(counts for nothing yet); `declined`: staff did not confirm it."})
    claim = fields.Nested(ClaimSchema, required=True, allow_none=True,
                          metadata={"description": "The claim waiting, when `claimed`."})
    declined_reason = fields.String(required=True, allow_none=True,
                                    metadata={"description": "Why, when `declined`."})
    confirmed_by = fields.String(required=True, allow_none=True, metadata={
        "description": "Who confirmed the member's claim, when achieved that way."})


class MilestoneArgs(PageArgs):
    level = fields.String(load_default=None,
                          validate=InCatalogue(levels, "level", blank=True, listed=True))


class MilestoneRecordSchema(Schema):
    code = fields.String(required=True,
                         validate=InCatalogue(Catalogue.all_milestone_codes, "milestone"),
                         metadata={"example": "buddy_assigned"})
    achieved_on = Day(load_default=None, allow_none=True, metadata={
        "description": "When it was achieved: not in the future, not before the member "
                       "joined; defaults to today."})
    evidence = Text(load_default=None, allow_none=True,
                    metadata={"description": "What shows it happened, in a sentence."})
    expected_version = ExpectedVersion()


class MilestoneRetractSchema(Schema):
    reason = Reason(metadata={"description": "Why the record was wrong."})
    expected_version = ExpectedVersion()


class MilestoneResultSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    milestone = fields.Nested(MilestoneSchema, required=True)


MilestonePage = page_of(MilestoneSchema, "MilestonePage")


@blp.route("/members/<int:member_id>/milestones")
class MemberMilestones(MethodView):
    @blp.arguments(MilestoneArgs, location="query")
    @blp.response(200, MilestonePage)
    @roles(*RECORD_ROLES)
    def get(self, args: dict[str, Any], member_id: int) -> Any:
        """The milestones of the member's pathway, each achieved or not (optionally one level)."""
        member = member_in_scope(member_id)
        page = page_in_memory(milestones.catalogue_for(catalogue(), member.kind,
                                                       args["level"] or None),
                              args["page"], args["page_size"])
        return page.as_dict(milestones.milestones_of(session(), member, page.items, zone()))

    @blp.arguments(MilestoneRecordSchema)
    @blp.response(201, MilestoneResultSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="A milestone of another kind's pathway (`not_applicable`) "
                                  "or already achieved (`invalid_trigger`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], member_id: int) -> Any:
        """Record that the member achieved a milestone of their pathway."""
        def run() -> Any:
            member = member_in_scope(member_id)
            with effective_date_named("achieved_on"):
                outcome, view = milestones.record(
                    session(), catalogue(), member, data["code"], current_caller().actor,
                    zone(), achieved_on=data["achieved_on"], evidence=data["evidence"],
                    expected_version=data["expected_version"])
            return MilestoneResultSchema().dump({"event": event_view(outcome.event, session()),
                                                 "milestone": view})

        return respond_once(run)


@blp.route("/members/<int:member_id>/milestones/<string:code>/retract")
class RetractMilestone(MethodView):
    @blp.arguments(MilestoneRetractSchema)
    @blp.response(201, MilestoneResultSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Not achieved (`invalid_trigger`) or of another kind's "
                                  "pathway (`not_applicable`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], member_id: int, code: str) -> Any:
        """Retract a milestone recorded in error: an event too, with its reason."""
        def run() -> Any:
            member = member_in_scope(member_id)
            outcome, view = milestones.retract(
                session(), catalogue(), member, code, current_caller().actor, zone(),
                reason=data["reason"], expected_version=data["expected_version"])
            return MilestoneResultSchema().dump({"event": event_view(outcome.event, session()),
                                                 "milestone": view})

        return respond_once(run)


class ClaimRequestSchema(Schema):
    code = fields.String(required=True,
                         validate=InCatalogue(Catalogue.all_milestone_codes, "milestone"),
                         metadata={"example": "buddy_assigned"})
    achieved_on = Day(load_default=None, allow_none=True, metadata={
        "description": "When it happened: not in the future, not before the member joined; "
                       "defaults to today."})
    evidence = Text(load_default=None, allow_none=True,
                    metadata={"description": "What happened, in the member's words."})


class DeclineRequestSchema(Schema):
    reason = Reason(metadata={"description": "Why it is not confirmed: the member sees it."})
    expected_version = ExpectedVersion()


class ConfirmRequestSchema(Schema):
    expected_version = ExpectedVersion()


def _answer(outcome: Any, view: Any) -> Any:
    return MilestoneResultSchema().dump({"event": event_view(outcome.event, session()),
                                         "milestone": view})


@blp.route("/members/<int:member_id>/milestones/claims")
class MilestoneClaims(MethodView):
    @blp.arguments(ClaimRequestSchema)
    @blp.response(201, MilestoneResultSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Already claimed or achieved (`invalid_trigger`), or of "
                                  "another kind's pathway (`not_applicable`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*OWN_RECORD)
    def post(self, data: dict[str, Any], member_id: int) -> Any:
        """The member records something they did: a claim (`claimed`), which counts for nothing
        until staff confirm it. A declined claim may be made again."""
        def run() -> Any:
            member = member_in_scope(member_id)
            with effective_date_named("achieved_on"):
                outcome, view = milestones.claim(
                    session(), catalogue(), member, data["code"], current_caller().actor,
                    zone(), achieved_on=data["achieved_on"], evidence=data["evidence"])
            return _answer(outcome, view)

        return respond_once(run)


@blp.route("/members/<int:member_id>/milestones/<string:code>/confirm")
class ConfirmClaim(MethodView):
    @blp.arguments(ConfirmRequestSchema)
    @blp.response(201, MilestoneResultSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="No claim waiting (`invalid_trigger`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], member_id: int, code: str) -> Any:
        """Confirm the member's claim: achieved on the day claimed, the confirmer recorded."""
        def run() -> Any:
            member = member_in_scope(member_id)
            outcome, view = milestones.confirm(
                session(), catalogue(), member, code, current_caller().actor, zone(),
                expected_version=data["expected_version"])
            return _answer(outcome, view)

        return respond_once(run)


@blp.route("/members/<int:member_id>/milestones/<string:code>/decline")
class DeclineClaim(MethodView):
    @blp.arguments(DeclineRequestSchema)
    @blp.response(201, MilestoneResultSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="No claim waiting (`invalid_trigger`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], member_id: int, code: str) -> Any:
        """Decline the member's claim with a reason they will see; they may claim it again."""
        def run() -> Any:
            member = member_in_scope(member_id)
            outcome, view = milestones.decline(
                session(), catalogue(), member, code, current_caller().actor, zone(),
                reason=data["reason"], expected_version=data["expected_version"])
            return _answer(outcome, view)

        return respond_once(run)
