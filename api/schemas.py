"""Schemas shared by every blueprint: pagination, errors, criteria, events (their fields
are in ``api.fields``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import MAX_ID


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_ID))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class PageSchema(Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """A paginated collection schema: ``{"items": [...], "page", "page_size", "total"}``."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema),
                                                           required=True)})


class CriterionSchema(Schema):
    criterion = fields.String(required=True)
    description = fields.String(required=True)
    enforcement = fields.String(required=True, validate=validate.OneOf(["required", "advisory"]))


class VerdictSchema(CriterionSchema):
    met = fields.Boolean(required=True)


class ErrorSchema(Schema):
    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    error = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    unmet = fields.List(fields.Nested(CriterionSchema))
    state = fields.String()
    allowed = fields.List(fields.String())
    # benefit_limit: the first limit a booking or approval would go over, and every one.
    rule = fields.String()
    period = fields.String()
    limit_pence = fields.Integer()
    total_pence = fields.Integer()
    breaches = fields.List(fields.Dict())


class EventSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    machine = fields.String(required=True)
    trigger = fields.String(required=True)
    from_state = fields.String(required=True, allow_none=True)
    to_state = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "The member's unit after it."})
    actor = fields.String(required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "When it was recorded."})
    effective_at = fields.AwareDateTime(required=True,
                                        metadata={"description": "When it counts as happened."})
    reason = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    exit_reason = fields.String(required=True, allow_none=True)
    override = fields.Boolean(required=True)
    unmet = fields.List(fields.Nested(CriterionSchema), required=True, allow_none=True)
    definition_version = fields.Integer(required=True)
    member_view = fields.Nested(
        "MemberViewSchema", required=True, allow_none=True,
        metadata={"description": "The member's view of this move, given with it (or, on a "
                                 "`member_view` event, the view added afterwards)."})
    refers_to = fields.Integer(required=True, allow_none=True, metadata={
        "description": "On a `member_view` event: the id of the event the view is about."})


class MemberViewSchema(Schema):
    agrees = fields.String(required=True, validate=validate.OneOf(["yes", "no", "not_asked"]))
    words = fields.String(allow_none=True, metadata={"description": "The member's own words."})
    why_not_asked = fields.String(allow_none=True, metadata={
        "description": "Why the member was not asked (only with `not_asked`)."})
    on_behalf = fields.Boolean(metadata={
        "description": "Recorded by staff on the member's behalf."})
