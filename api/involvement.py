"""Involvement and payment: the activity catalogue, booking involvement and moving it on,
and each member's benefit-safe limits."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.access import member_in_scope
from api.auth import ALL_ROLES, RECORD_ROLES, WRITERS, current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.fields import (
    IDEMPOTENCY_HEADER,
    MAX_ID,
    CatalogueBlueprint,
    Day,
    ExpectedVersion,
    InCatalogue,
    Text,
)
from api.idempotent import respond_once
from api.schemas import ErrorSchema, EventSchema
from pathway import clock
from pathway.events import event_view
from pathway.involvement import activities, earnings, limits, records
from pathway.people.access import ROLES_BY_NAME
from pathway.store.models import BenefitLimitSetting
from workflows.involvement import PAYMENTS, PERIODS, RATE_UNITS
from workflows.vocabulary import INVOLVEMENT_TRIGGERS

blp = CatalogueBlueprint("involvement", __name__,
                         description="Involvement and payment: what members are paid for, "
                                     "booking it, approving and paying it (by someone other "
                                     "than whoever booked it), and benefit-safe limits.")

# Money is for those who keep the records and for the member themself: not a training lead.
READERS = tuple(role for role in RECORD_ROLES
                if role in WRITERS or ROLES_BY_NAME[role].own_record)
PENCE = validate.Range(min=0, max=MAX_ID)


class InvolvementRateSchema(Schema):
    from_ = fields.Date(attribute="from", data_key="from", required=True)
    per = fields.String(required=True, validate=validate.OneOf(RATE_UNITS))
    pence = fields.Integer(required=True)


class InvolvementActivitySchema(Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    levels = fields.List(fields.String(), required=True)
    rates = fields.List(fields.Nested(InvolvementRateSchema), required=True)


class InvolvementActivityListSchema(Schema):
    items = fields.List(fields.Nested(InvolvementActivitySchema), required=True)


class InvolvementSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    activity = fields.String(required=True)
    activity_title = fields.String(required=True)
    on = fields.Date(required=True)
    hours = fields.Float(required=True)
    payment = fields.String(required=True, validate=validate.OneOf(PAYMENTS))
    amount_pence = fields.Integer(required=True)
    expenses_pence = fields.Integer(required=True)
    note = fields.String(required=True, allow_none=True)
    state = fields.String(required=True)
    version = fields.Integer(required=True)
    booked_by = fields.String(required=True)
    override_reason = fields.String(required=True, allow_none=True, metadata={
        "description": "The member's informed choice to go over a benefit-safe limit."})
    created_at = fields.AwareDateTime(required=True)
    triggers = fields.List(fields.String(), required=True,
                           metadata={"description": "What may be done with it now."})


class BenefitHeadroomSchema(Schema):
    rule = fields.String(required=True)
    title = fields.String(required=True)
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    limit_pence = fields.Integer(required=True)
    earned_pence = fields.Integer(required=True)
    left_pence = fields.Integer(required=True)


class InvolvementListSchema(Schema):
    items = fields.List(fields.Nested(InvolvementSchema), required=True)
    headroom = fields.List(fields.Nested(BenefitHeadroomSchema), required=True, metadata={
        "description": "Each of the member's limits for this week or this month."})


class BookingSchema(Schema):
    activity = fields.String(required=True, validate=InCatalogue(
        lambda known: known.activities, "activity"))
    on = Day(required=True, metadata={"description": "The day of the activity."})
    hours = fields.Float(required=True, allow_nan=False,
                         validate=validate.Range(min=0, max=24, min_inclusive=False),
                         metadata={"description": "Counted to the nearest minute."})
    payment = fields.String(required=True, validate=validate.OneOf(PAYMENTS))
    amount_pence = fields.Integer(load_default=None, allow_none=True, validate=PENCE, metadata={
        "description": "Default: the activity's rate on that day (per hour x hours, or per "
                       "session)."})
    expenses_pence = fields.Integer(load_default=0, validate=PENCE, metadata={
        "description": "Never counted as earnings."})
    note = Text(load_default=None, allow_none=True)
    override = fields.Boolean(load_default=False, metadata={
        "description": "Go over a benefit-safe limit as the member's informed choice "
                       "(needs a reason)."})
    reason = Text(load_default=None, allow_none=True)


class InvolvementTransitionSchema(Schema):
    trigger = fields.String(required=True, validate=validate.OneOf(INVOLVEMENT_TRIGGERS))
    reason = Text(load_default=None, allow_none=True,
                  metadata={"description": "Needed to cancel, and to override a limit."})
    override = fields.Boolean(load_default=False)
    expected_version = ExpectedVersion()


class InvolvementResultSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    involvement = fields.Nested(InvolvementSchema, required=True)


class CustomBenefitLimitSchema(Schema):
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    limit_pence = fields.Integer(required=True, validate=PENCE)


class BenefitLimitFigureSchema(Schema):
    rule = fields.String(required=True)
    title = fields.String(required=True)
    period = fields.String(required=True)
    limit_pence = fields.Integer(required=True)
    applies_from = fields.Date(required=True, allow_none=True)
    source = fields.String(required=True, allow_none=True)
    url = fields.String(required=True, allow_none=True)


class BenefitLimitsSchema(Schema):
    rules = fields.List(fields.String(validate=InCatalogue(limits.rule_choices, "benefit limit",
                                                           listed=True)), required=True)
    custom = fields.Nested(CustomBenefitLimitSchema, load_default=None, allow_none=True)


class BenefitLimitsViewSchema(BenefitLimitsSchema):
    limits = fields.List(fields.Nested(BenefitLimitFigureSchema), required=True, metadata={
        "description": "The figures that apply today, with their published sources."})
    updated_at = fields.AwareDateTime(required=True, allow_none=True)


def _record(view: records.RecordView) -> dict[str, Any]:
    return asdict(view)


@blp.route("/involvement/activities")
class Activities(MethodView):
    @blp.response(200, InvolvementActivityListSchema)
    @roles(*ALL_ROLES)
    def get(self) -> Any:
        """The activity catalogue: the levels each suits and its rates, each from its day."""
        return {"items": activities.catalogue_view(catalogue())}


@blp.route("/members/<int:member_id>/involvement")
class MemberInvolvement(MethodView):
    @blp.response(200, InvolvementListSchema)
    @roles(*READERS)
    def get(self, member_id: int) -> Any:
        """The member's involvement, and what is left under each limit this week or month."""
        member = member_in_scope(member_id)
        today = clock.today(zone())
        return {"items": [_record(v) for v in records.records_of(session(), catalogue(), member)],
                "headroom": earnings.headroom(session(), catalogue(), member.id, today)}

    @blp.arguments(BookingSchema)
    @blp.response(201, InvolvementSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Over a benefit-safe limit (`benefit_limit`, naming the rule, "
                                  "period, limit and the total it would reach) unless "
                                  "`override` with a reason.")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], member_id: int) -> Any:
        """Book a piece of involvement for the member."""
        def run() -> Any:
            member = member_in_scope(member_id)
            _, view = records.book(session(), catalogue(), member, current_caller().actor,
                                   zone(), **data)
            return InvolvementSchema().dump(_record(view))

        return respond_once(run)


@blp.route("/members/<int:member_id>/involvement/<int:record_id>/transitions")
class InvolvementTransitions(MethodView):
    @blp.arguments(InvolvementTransitionSchema)
    @blp.response(201, InvolvementResultSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Not possible now (`invalid_trigger`), cancelling without a "
                                  "reason (`guards_unmet`), approving or paying what you booked "
                                  "(`same_person`), over a limit (`benefit_limit`) or changed "
                                  "meanwhile (`version_conflict`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def post(self, data: dict[str, Any], member_id: int, record_id: int) -> Any:
        """Mark involvement done, cancel it (with a reason), approve it or pay it."""
        def run() -> Any:
            member = member_in_scope(member_id)
            outcome, view = records.change(
                session(), catalogue(), member, record_id, data["trigger"],
                current_caller().actor, zone(), reason=data["reason"],
                override=data["override"], expected_version=data["expected_version"])
            return InvolvementResultSchema().dump(
                {"event": event_view(outcome.event, session()), "involvement": _record(view)})

        return respond_once(run)


@blp.route("/members/<int:member_id>/benefit-limits")
class BenefitLimits(MethodView):
    @blp.response(200, BenefitLimitsViewSchema)
    @roles(*READERS)
    def get(self, member_id: int) -> Any:
        """The benefit-safe limits chosen for the member, with today's figures and sources."""
        member = member_in_scope(member_id)
        return limits.settings_view(catalogue(), session().get(BenefitLimitSetting, member.id),
                                    clock.today(zone()))

    @blp.arguments(BenefitLimitsSchema)
    @blp.response(200, BenefitLimitsViewSchema)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*WRITERS)
    def put(self, data: dict[str, Any], member_id: int) -> Any:
        """Choose the member's benefit-safe limits (a guardrail, not benefits advice)."""
        def run() -> Any:
            member = member_in_scope(member_id)
            setting = limits.set_limits(session(), catalogue(), member, current_caller().actor,
                                        data["rules"], data["custom"])
            return BenefitLimitsViewSchema().dump(
                limits.settings_view(catalogue(), setting, clock.today(zone())))

        return respond_once(run, status=200)
