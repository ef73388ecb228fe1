"""Members: register, list, read, rename, transfer, and their event history."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from api.access import member_in_scope, note_reads
from api.auth import RECORD_ROLES, WRITERS, current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.fields import Day, Reference, Slug, Text, not_in_future
from api.idempotent import respond_once
from api.schemas import EventSchema, PageArgs, page_of
from pathway.errors import NotFound
from pathway.events import event_view, events_query
from pathway.people.members import (
    member_view,
    members_query,
    pathway_of,
    register_member,
    rename,
    transfer,
)
from pathway.people.units import unit_by_code
from pathway.store.paging import paginate
from workflows.schema import MEMBER_KINDS, PATHWAY_STATUSES

blp = Blueprint("members", __name__, description="People taking part: service users, carers, staff.")

STATUSES = PATHWAY_STATUSES


class PathwaySchema(Schema):
    level = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True)
    since = fields.AwareDateTime(required=True)
    available_triggers = fields.List(fields.String(), required=True)


class MemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    reference = Reference(required=True,
                     metadata={"example": "SU-0042",
                               "description": "A local pseudonymous reference, unique."})
    kind = fields.String(required=True, validate=validate.OneOf(MEMBER_KINDS))
    unit = Slug(required=True, metadata={"example": "cefn-yr-afon"})
    display_name = Text(load_default=None, allow_none=True, max_length=200,
                        metadata={"description": "Optional, erasable."})
    joined_on = Day(load_default=None, validate=not_in_future,
                    metadata={"description": "Not in the future; defaults to today."})
    pathway = fields.Nested(PathwaySchema, dump_only=True)

    def handle_error(self, error: ValidationError, data: Any, *, many: bool,
                     **kwargs: Any) -> None:
        """When other fields are invalid, an unknown unit is named with them (one 422 with
        every problem); alone it is a 404 like any unknown unit."""
        messages = error.messages
        unit = data.get("unit") if isinstance(data, dict) else None
        if isinstance(messages, dict) and isinstance(unit, str) and "unit" not in messages:
            try:
                unit_by_code(session(), unit, current_caller())
            except NotFound as missing:
                messages["unit"] = [missing.message]
        raise error


class MemberPatchSchema(Schema):
    display_name = Text(required=True, allow_none=True, max_length=200, metadata={
        "description": "The new display name, or null to clear it. After an erasure a name "
                       "is refused (409 `erased`) until an admin restores personal data."})
    reason = Text(load_default=None, allow_none=True, max_length=500, metadata={
        "description": "Why, kept in the change log with who and when."})


class MemberFilterArgs(PageArgs):
    unit = fields.String(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf([*MEMBER_KINDS, ""]))
    level = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf([*STATUSES, ""]))


class TransferSchema(Schema):
    unit = Slug(required=True)
    reason = Text(load_default=None, allow_none=True)
    on = Day(load_default=None, allow_none=True, metadata={
        "description": "Effective date: not in the future, not before the member's latest "
                       "pathway event; defaults to today."})
    expected_version = fields.Integer(load_default=None, validate=validate.Range(min=0))


class TransferResultSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    member = fields.Nested(MemberSchema, required=True)


MemberPage = page_of(MemberSchema, "MemberPage")
EventPage = page_of(EventSchema, "EventPage")


def _member_dict(member_id: int):
    member = member_in_scope(member_id)
    return member_view(catalogue(), member, pathway_of(session(), member))


@blp.route("/members")
class Members(MethodView):
    @blp.arguments(MemberFilterArgs, location="query")
    @blp.response(200, MemberPage)
    @roles(*RECORD_ROLES)
    def get(self, args):
        """Members in your scope, filtered by unit, kind, level and status."""
        unit_id = unit_by_code(session(), args["unit"], current_caller()).id if args["unit"] else None
        statement = members_query(current_caller(), unit_id=unit_id, kind=args["kind"] or None,
                                  level=args["level"] or None, status=args["status"] or None)
        page = paginate(session(), statement, args["page"], args["page_size"], scalars=False)
        note_reads((m.id for m, _ in page.items), "list")
        return page.as_dict([member_view(catalogue(), m, i) for m, i in page.items])

    @blp.arguments(MemberSchema)
    @blp.response(201, MemberSchema)
    @roles(*WRITERS)
    def post(self, data):
        """Register a member: their pathway starts at Level 1, active."""
        caller = current_caller()
        member = register_member(session(), catalogue(), caller.actor, zone=zone(),
                                 caller=caller, **data)
        session().commit()
        return member_view(catalogue(), member, pathway_of(session(), member))


@blp.route("/members/<int:member_id>")
class MemberById(MethodView):
    @blp.response(200, MemberSchema)
    @roles(*RECORD_ROLES)
    def get(self, member_id):
        """One member with their pathway now."""
        return _member_dict(member_id)

    @blp.arguments(MemberPatchSchema)
    @blp.response(200, MemberSchema)
    @roles(*WRITERS)
    def patch(self, data, member_id):
        """Change the display name (the only editable field; moving unit is a transfer).

        Recorded in the change log: who, when, and the reason if given.
        """
        member = member_in_scope(member_id)
        rename(session(), member, data["display_name"], current_caller().actor,
               reason=data["reason"])
        session().commit()
        return member_view(catalogue(), member, pathway_of(session(), member))


@blp.route("/members/<int:member_id>/transfer")
class Transfer(MethodView):
    @blp.arguments(TransferSchema)
    @blp.response(201, TransferResultSchema)
    @roles(*WRITERS)
    def post(self, data, member_id):
        """Move a member to another unit; recorded as a `transfer` event on their pathway."""
        def run():
            caller = current_caller()
            member = member_in_scope(member_id)
            outcome = transfer(session(), catalogue(), member, data["unit"], caller.actor, caller,
                               zone(), reason=data["reason"], on=data["on"],
                               expected_version=data["expected_version"])
            return TransferResultSchema().dump({
                "event": event_view(outcome.event, session()),
                "member": member_view(catalogue(), member, outcome.instance)})

        return respond_once(run)


@blp.route("/members/<int:member_id>/events")
class MemberEvents(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, EventPage)
    @roles(*RECORD_ROLES)
    def get(self, args, member_id):
        """Everything that happened to this member, oldest first."""
        member = member_in_scope(member_id)
        page = paginate(session(), events_query(member.id), args["page"], args["page_size"],
                        scalars=False)
        return page.as_dict([event_view(e, session(), unit_code=code) for e, code in page.items])


