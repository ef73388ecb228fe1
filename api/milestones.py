"""Milestones: the actions at each level a member has achieved, recorded and retracted."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import flask_smorest
from flask import Flask
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from api.access import member_in_scope
from api.auth import RECORD_ROLES, WRITERS, current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.idempotent import HEADER, respond_once
from api.schemas import MAX_ID, Day, ErrorSchema, EventSchema, PageArgs, Text, page_of
from pathway.errors import EffectiveDateError, InvalidInput
from pathway.events import event_view
from pathway.programme import milestones
from pathway.store.paging import page_of as page_in_memory
from workflows.schema import Catalogue


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


@contextmanager
def effective_date_named(field: str) -> Iterator[None]:
    """Name the request field that carried an effective date the domain refused."""
    try:
        yield
    except EffectiveDateError as exc:
        raise InvalidInput(field, exc.message) from exc


def levels(known: Catalogue) -> list[str]:
    """Every level code of every pathway in the catalogue, in pathway order."""
    found: dict[str, None] = {}
    for definition in known.definitions.values():
        found.update(dict.fromkeys(level.code for level in definition.levels))
    return list(found)


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


blp = CatalogueBlueprint("milestones", __name__,
                description="The actions at each level: record what a member achieved, or "
                            "retract what was recorded in error.")

IDEMPOTENCY_HEADER = {"in": "header", "name": HEADER, "required": False,
                      "schema": {"type": "string", "maxLength": 200},
                      "description": "Retry safely: a repeat with the same key and body returns "
                                     "the first answer and writes nothing."}


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Give a reason: it is kept in the member's history.")


def Reason(**kwargs: Any) -> Text:  # noqa: N802 - reads as a field type like Text
    """A reason that must be given: it is what the history keeps about why."""
    return Text(required=True, min_length=1, validate=_not_blank, **kwargs)


def ExpectedVersion() -> fields.Integer:  # noqa: N802 - reads as a field type
    return fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(min=0, max=MAX_ID),
                          metadata={"description": "Refused with 409 version_conflict when "
                                                   "the record's version differs."})


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
