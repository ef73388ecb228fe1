"""Accreditation: the awards, who is ready for which, making and revoking awards."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from api.access import member_in_scope, note_reads
from api.auth import ALL_ROLES, RECORD_ROLES, current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.fields import (
    IDEMPOTENCY_HEADER,
    CatalogueBlueprint,
    ExpectedVersion,
    InCatalogue,
    Reason,
    Text,
)
from api.idempotent import respond_once
from api.schemas import CriterionSchema, ErrorSchema, EventSchema, PageArgs, page_of
from pathway.events import event_view
from pathway.people.units import unit_by_code
from pathway.programme import awards, readiness
from pathway.store.paging import page_of as page_in_memory
from pathway.store.paging import paginate
from workflows.schema import MEMBER_KINDS, PATHWAY_STATUSES, Catalogue

blp = CatalogueBlueprint("awards", __name__,
                description="Accreditation awards: their criteria, readiness, awarding and "
                            "revoking. An expired training completion never counts.")

AWARDERS = ("admin", "training_lead")


def _award_codes(known: Catalogue) -> list[str]:
    return list(known.awards)


class Flag(fields.String):
    """A yes/no query filter: ``true`` or ``false``; empty (``?ready=``) means absent.

    Only these three spellings are accepted, so the OpenAPI document can list them exactly.
    """

    SPELLINGS: ClassVar[dict[str, bool | None]] = {"true": True, "false": False, "": None}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"enum": list(self.SPELLINGS), **kwargs.pop("metadata", {})}
        super().__init__(load_default=None, allow_none=True, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in self.SPELLINGS:
            raise ValidationError("Use true or false (or leave it empty).")
        return self.SPELLINGS[text]


class AwardSchema(Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MEMBER_KINDS))
    level = fields.String(required=True)
    description = fields.String(required=True)
    criteria = fields.List(fields.Nested(CriterionSchema), required=True)


class AwardArgs(PageArgs):
    kind = fields.String(load_default=None, validate=validate.OneOf([*MEMBER_KINDS, ""]))


class ReadinessSchema(Schema):
    award = fields.String(required=True)
    title = fields.String(required=True)
    level = fields.String(required=True)
    ready = fields.Boolean(required=True, metadata={"description": "Every criterion is met."})
    awarded = fields.Boolean(required=True, metadata={"description": "The member holds it now."})
    met = fields.List(fields.Nested(CriterionSchema), required=True)
    unmet = fields.List(fields.Nested(CriterionSchema), required=True, metadata={
        "description": "What is still missing, in words."})


class MemberReadinessSchema(ReadinessSchema):
    member_id = fields.Integer(required=True)
    reference = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MEMBER_KINDS))
    unit = fields.String(required=True)
    level = fields.String(required=True, metadata={"description": "The award's level."})
    member_level = fields.String(required=True, allow_none=True,
                                 metadata={"description": "The level the member holds."})
    status = fields.String(required=True, allow_none=True)


class ReadinessArgs(PageArgs):
    unit = fields.String(load_default=None, metadata={"description": "A unit code; empty: all "
                                                                     "units in your scope."})
    award = fields.String(load_default=None, validate=InCatalogue(_award_codes, "award", blank=True),
                          metadata={"description": "An award code (another is refused with "
                                                   "422 naming `award`); empty: every award of "
                                                   "each member's kind, one row per member and "
                                                   "award."})
    ready = Flag(metadata={"description": "true: only those ready; false: only those not."})
    awarded = Flag(metadata={"description": "true: only those holding the award; false: only "
                                            "those who do not."})
    status = fields.String(load_default=None,
                           validate=validate.OneOf([*PATHWAY_STATUSES, ""]),
                           metadata={"description": "Only members whose pathway is active, "
                                                    "paused or exited; empty: active and "
                                                    "paused (leavers only with "
                                                    "include_exited=true)."})
    include_exited = Flag(metadata={"description": "true: list members who have left the "
                                                   "pathway too (they are left out otherwise)."})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", ""]),
                           metadata={"description": "csv: every row of the list (page and "
                                                    "page_size do not apply) as CSV, met and "
                                                    "unmet criteria in words; empty: json."})


class AccreditationSchema(Schema):
    award = fields.String(required=True)
    title = fields.String(required=True)
    level = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(["awarded", "not_awarded"]))
    awarded_on = fields.Date(required=True, allow_none=True)
    awarded_by = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)


class AccreditRequestSchema(Schema):
    award = fields.String(required=True, validate=InCatalogue(_award_codes, "award"),
                          metadata={"example": "su_foundation"})
    reason = Text(load_default=None, allow_none=True)
    expected_version = ExpectedVersion()


class RevokeAccreditationSchema(Schema):
    reason = Reason(metadata={"description": "Why the award is withdrawn."})
    expected_version = ExpectedVersion()


class AccreditationResultSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    accreditation = fields.Nested(AccreditationSchema, required=True)


AwardPage = page_of(AwardSchema, "AwardPage")
ReadinessPage = page_of(ReadinessSchema, "ReadinessPage")
MemberReadinessPage = page_of(MemberReadinessSchema, "MemberReadinessPage")
AccreditationPage = page_of(AccreditationSchema, "AccreditationPage")


@blp.route("/awards")
class Awards(MethodView):
    @blp.arguments(AwardArgs, location="query")
    @blp.response(200, AwardPage)
    @roles(*ALL_ROLES)
    def get(self, args: dict[str, Any]) -> Any:
        """The accreditation awards and their criteria (optionally of one member kind)."""
        page = page_in_memory(awards.awards_for(catalogue(), args["kind"] or None),
                              args["page"], args["page_size"])
        return page.as_dict([awards.award_view(catalogue(), a) for a in page.items])


@blp.route("/members/<int:member_id>/readiness")
class MemberReadiness(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ReadinessPage)
    @roles(*RECORD_ROLES)
    def get(self, args: dict[str, Any], member_id: int) -> Any:
        """For each award of the member's kind: ready or not, and exactly what is missing."""
        member = member_in_scope(member_id)
        page = page_in_memory(awards.awards_for(catalogue(), member.kind), args["page"],
                              args["page_size"])
        return page.as_dict(readiness.member_readiness(session(), catalogue(), member, zone(),
                                                       page.items))


@blp.route("/readiness")
class Readiness(MethodView):
    @blp.arguments(ReadinessArgs, location="query")
    @blp.response(200, MemberReadinessPage)
    @blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                      description="The list as JSON (format=json, the default). format=csv: "
                                  "every row of the list as CSV, one line per member and "
                                  "award.")
    @roles(*AWARDERS)
    def get(self, args: dict[str, Any]) -> Any:
        """Members in your units with their readiness, by member then award; filter on ready,
        awarded and pathway status (leavers are left out unless asked for)."""
        caller = current_caller()
        unit_id = unit_by_code(session(), args["unit"], caller).id if args["unit"] else None
        filters: dict[str, Any] = {
            "award": args["award"] or None, "unit_id": unit_id, "ready": args["ready"],
            "awarded": args["awarded"], "status": args["status"] or None,
            "include_exited": bool(args["include_exited"])}
        if args["format"] == "csv":
            rows = readiness.readiness_rows(session(), catalogue(), caller, zone(), **filters)
            note_reads((row["member_id"] for row in rows), "readiness_list")
            return Response(readiness.readiness_csv(rows), mimetype="text/csv", headers={
                "Content-Disposition": 'attachment; filename="readiness.csv"'})
        page = readiness.readiness_page(session(), catalogue(), caller, zone(),
                                        page=args["page"], page_size=args["page_size"],
                                        **filters)
        note_reads((row["member_id"] for row in page.items), "readiness_list")
        return page.as_dict()


@blp.route("/members/<int:member_id>/accreditations")
class Accreditations(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, AccreditationPage)
    @roles(*RECORD_ROLES)
    def get(self, args: dict[str, Any], member_id: int) -> Any:
        """The awards the member holds, when and by whom each was made, oldest first."""
        member = member_in_scope(member_id)
        page = paginate(session(), awards.accreditations_query(member.id), args["page"],
                        args["page_size"], scalars=False)
        return page.as_dict([awards.accreditation_view(catalogue(), i, e, zone())
                             for i, e in page.items])

    @blp.arguments(AccreditRequestSchema)
    @blp.response(201, AccreditationResultSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Not ready (`guards_unmet`, with "
                                                           "`unmet`), another kind's award "
                                                           "(`not_applicable`) or already "
                                                           "held (`invalid_trigger`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*AWARDERS)
    def post(self, data: dict[str, Any], member_id: int) -> Any:
        """Make an award: only when every criterion is met (none can be overridden)."""
        def run() -> Any:
            member = member_in_scope(member_id)
            outcome, view = awards.accredit(session(), catalogue(), member, data["award"],
                                            current_caller().actor, zone(),
                                            reason=data["reason"],
                                            expected_version=data["expected_version"])
            return AccreditationResultSchema().dump({
                "event": event_view(outcome.event, session()), "accreditation": view})

        return respond_once(run)


@blp.route("/members/<int:member_id>/accreditations/<string:award>/revoke")
class RevokeAccreditation(MethodView):
    @blp.arguments(RevokeAccreditationSchema)
    @blp.response(201, AccreditationResultSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Not held (`invalid_trigger`) or "
                                                           "another kind's award "
                                                           "(`not_applicable`).")
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @roles(*AWARDERS)
    def post(self, data: dict[str, Any], member_id: int, award: str) -> Any:
        """Revoke an award, with the reason; both stay in the member's history."""
        def run() -> Any:
            member = member_in_scope(member_id)
            outcome, view = awards.revoke(session(), catalogue(), member, award,
                                          current_caller().actor, zone(), reason=data["reason"],
                                          expected_version=data["expected_version"])
            return AccreditationResultSchema().dump({
                "event": event_view(outcome.event, session()), "accreditation": view})

        return respond_once(run)
