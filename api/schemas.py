"""Schemas shared by every blueprint: text without NUL, pagination, errors, events."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

MAX_ID = 2**31 - 1


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("Text may not contain the NUL character.")


class Text(fields.String):
    """A string that refuses NUL (PostgreSQL cannot store it) and bounds its length."""

    def __init__(self, *args: Any, max_length: int = 2000, min_length: int = 0,
                 **kwargs: Any) -> None:
        validators = [validate.Length(min=min_length, max=max_length), _no_nul]
        extra = kwargs.pop("validate", None)
        if extra:
            validators.extend(extra if isinstance(extra, list) else [extra])
        super().__init__(*args, validate=validators, **kwargs)


class Slug(Text):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("min_length", 1)
        super().__init__(*args, validate=validate.Regexp(
            r"^[a-z0-9][a-z0-9_-]*$", error="Use lower-case letters, digits, '-' and '_'."),
            **kwargs)


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
