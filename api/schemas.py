"""Schemas shared by every blueprint: text without NUL, bounded days, pagination, errors,
events."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from pathway.clock import FIRST_DAY, LAST_DAY, within_calendar

MAX_ID = 2**31 - 1
DAY_RANGE = f"From {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."


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


def _parse_day(text: str) -> date:
    """``YYYY-MM-DD`` exactly, within the days the service counts in (pathway.clock)."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError("Not a valid date: use YYYY-MM-DD.") from exc
    if not within_calendar(day):
        # a refusal here, not an OverflowError later in date arithmetic (the day after, the
        # end of its quarter, the instant it ends in the service's zone)
        raise ValidationError(f"The date {text} is out of range: give a date from "
                              f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}.")
    return day


def _with_range(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """The field's description followed by the range it accepts (OpenAPI cannot bound a date)."""
    metadata = dict(metadata or {})
    said = metadata.get("description")
    metadata["description"] = f"{said} {DAY_RANGE}" if said else DAY_RANGE
    metadata.setdefault("example", "2026-06-30")
    return metadata


class Day(fields.Date):
    """A date in a request body: ISO 8601 (``2026-06-30``) from ``FIRST_DAY`` to ``LAST_DAY``.

    Every date a request gives goes through this (or ``DayArg``), so no date arithmetic on it
    can overflow. Rules about the future or the member's history stay in ``pathway``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["metadata"] = _with_range(kwargs.get("metadata"))
        super().__init__(*args, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str):
            raise ValidationError("Not a valid date: use YYYY-MM-DD.")
        return _parse_day(value)


class DayArg(fields.String):
    """``Day`` for a query string. Documented as a string that may also be empty, because an
    empty value means the filter is absent (API.md), which ``format: date`` cannot say."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": r"^(\d{4}-\d{2}-\d{2})?$",
                    **_with_range(kwargs.pop("metadata", None))}
        kwargs.setdefault("load_default", None)
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        return _parse_day(super()._deserialize(value, attr, data, **kwargs))


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
