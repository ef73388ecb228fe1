"""The request fields every blueprint shares: text that can be stored, references, days,
reasons, expected versions, and codes of the app's own catalogue.

Each field refuses what the service cannot store or would misread, and says so in the
OpenAPI document as far as OpenAPI can say it (lengths, patterns, enums; a date's range in
words, since ``format: date`` cannot be bounded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import flask_smorest
from flask import Flask
from marshmallow import ValidationError, fields, validate

from api.context import catalogue, zone
from api.idempotent import HEADER
from pathway import clock
from pathway.clock import FIRST_DAY, LAST_DAY, within_calendar
from pathway.errors import EffectiveDateError, InvalidInput
from pathway.people.references import MAX_LENGTH as REFERENCE_LENGTH
from pathway.people.references import normalised_reference
from workflows.schema import Catalogue

MAX_ID = 2**31 - 1
DAY_RANGE = f"From {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."
# Some character other than white space: what "not blank" means, as a JSON Schema pattern.
NOT_BLANK = r"\S"


def _storable(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("Text may not contain the NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Text may not contain a lone surrogate (\\ud800-\\udfff).") from None


def _not_blank(value: str) -> None:
    if value and not value.strip():
        raise ValidationError("Must not be blank.")


class Text(fields.String):
    """A string the databases can store (no NUL, no lone surrogate), of bounded length.

    With ``min_length`` of 1 or more it must also hold something other than white space,
    and the document says so with a pattern.
    """

    def __init__(self, *args: Any, max_length: int = 2000, min_length: int = 0,
                 **kwargs: Any) -> None:
        validators: list[Callable[[str], Any]] = [
            validate.Length(min=min_length, max=max_length), _storable]
        if min_length >= 1:
            validators.append(_not_blank)
            kwargs["metadata"] = {"pattern": NOT_BLANK, **(kwargs.get("metadata") or {})}
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
        # The slug's own pattern says more than "not blank".
        self.metadata = {k: v for k, v in self.metadata.items() if k != "pattern"}


class Reference(fields.String):
    """A member's reference under the one rule of ``pathway.people.references``: trimmed, NFC,
    no invisible or direction-changing characters, not blank."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": NOT_BLANK, "maxLength": REFERENCE_LENGTH, "minLength": 1,
                    **(kwargs.pop("metadata", None) or {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        _storable(text)
        reference, problem = normalised_reference(text)
        if problem is not None:
            raise ValidationError(f"The reference {problem}.")
        return reference


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
    metadata.setdefault("x-minimum", FIRST_DAY.isoformat())
    metadata.setdefault("x-maximum", LAST_DAY.isoformat())
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

    # A query string's text becomes a date: the value type differs from String's on purpose.
    def _deserialize(self, value: Any, attr: str | None, data: Any,  # type: ignore[override]
                     **kwargs: Any) -> date:
        return _parse_day(super()._deserialize(value, attr, data, **kwargs))


def _reason_given(value: str) -> None:
    if not value.strip():
        raise ValidationError("Give a reason: it is kept in the member's history.")


def not_in_future(day: date) -> None:
    """A day that has happened: today in the service's time zone at the latest."""
    today = clock.today(zone())
    if day > today:
        raise ValidationError(f"The date {day.isoformat()} is in the future (today is "
                              f"{today.isoformat()}).")


def Reason(**kwargs: Any) -> Text:  # noqa: N802 - reads as a field type like Text
    """A reason that must be given: it is what the history keeps about why."""
    return Text(required=True, min_length=1, validate=_reason_given, **kwargs)


def ExpectedVersion() -> fields.Integer:  # noqa: N802 - reads as a field type
    return fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(min=0, max=MAX_ID),
                          metadata={"description": "Refused with 409 version_conflict when "
                                                   "the record's version differs."})


IDEMPOTENCY_HEADER = {"in": "header", "name": HEADER, "required": False,
                      "schema": {"type": "string", "maxLength": 200},
                      "description": "Retry safely: a repeat with the same key and body returns "
                                     "the first answer and writes nothing."}


class InCatalogue(validate.Validator):
    """One of the codes of the app's own catalogue (``PATHWAY_WORKFLOWS`` or the test config),
    checked when the request comes, never the default folder read at import."""

    def __init__(self, codes: Callable[[Catalogue], Iterable[str]], noun: str, *,
                 blank: bool = False, listed: bool = False) -> None:
        # ``listed``: a refusal lists the codes (as marshmallow's OneOf words it).
        self.codes, self.noun, self.blank, self.listed = codes, noun, blank, listed

    # Not named ``choices``: apispec would read that as a static list while building the
    # document; the enum comes from the registering app instead (``CatalogueBlueprint``).
    def codes_of(self, known: Catalogue) -> list[str]:
        return [*self.codes(known), *([""] if self.blank else [])]

    def __call__(self, value: str) -> str:
        codes = self.codes_of(catalogue())
        if value not in codes:
            if self.listed:
                raise ValidationError(f"Must be one of: {', '.join(codes)}.")
            raise ValidationError(f"There is no {self.noun} {value!r}.")
        return value


def levels(known: Catalogue) -> list[str]:
    """Every level code of every pathway in the catalogue, in pathway order."""
    found: dict[str, None] = {}
    for definition in known.definitions.values():
        found.update(dict.fromkeys(level.code for level in definition.levels))
    return list(found)


@contextmanager
def effective_date_named(field: str) -> Iterator[None]:
    """Name the request field that carried an effective date the domain refused."""
    try:
        yield
    except EffectiveDateError as exc:
        raise InvalidInput(field, exc.message) from exc


class CatalogueBlueprint(flask_smorest.Blueprint):
    """A blueprint whose OpenAPI document lists, as each ``InCatalogue`` field's ``enum``, the
    codes of the catalogue of the app it is registered on (the document is built then)."""

    def register_views_in_doc(self, api: flask_smorest.Api, app: Flask, spec: Any, *,
                              name: str, parameters: Any) -> None:
        converter = api.ma_plugin.converter
        if not hasattr(converter, "catalogue_codes"):
            known: Catalogue = app.extensions["pathway_catalogue"]

            def catalogue_codes(_converter: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
                for validator in field.validators:
                    if isinstance(validator, InCatalogue):
                        return {"enum": validator.codes_of(known)}
                return {}

            converter.add_attribute_function(catalogue_codes)
        super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)
