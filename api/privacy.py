"""UK GDPR: who looked at a record, subject access export, erasure; and the read audit hook."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.access import member_in_scope
from api.auth import ADMINS, OWNERS, current_caller, roles
from api.context import catalogue, zone
from api.db import session, write_session_for_side_effects
from api.fields import Text
from api.idempotent import HEADER, respond_once
from api.members import PathwaySchema
from api.schemas import EventSchema, PageArgs, page_of
from pathway import clock
from pathway.events import event_view
from pathway.people import audit, privacy
from pathway.store.paging import paginate
from workflows.vocabulary import ERASE

blp = Blueprint("privacy", __name__,
                description="UK GDPR: the read audit, subject access export and erasure.")

class AccessRecordSchema(Schema):
    at = fields.AwareDateTime(required=True)
    actor = fields.String(required=True, metadata={"description": "The user's name."})
    role = fields.String(required=True)
    action = fields.String(required=True, metadata={
        "description": "What they read: `read`, `export`, `access_log`; or the record as one "
                       "row of a list: `list` (members), `readiness_list`, `summary_waiting` "
                       "(the summary report's longest waits)."})


AccessLogPage = page_of(AccessRecordSchema, "AccessLogPage")


class ExportMemberSchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    kind = fields.String(required=True)
    display_name = fields.String(required=True, allow_none=True)
    joined_on = fields.Date(required=True)
    created_at = fields.AwareDateTime(required=True)
    erased_at = fields.AwareDateTime(required=True, allow_none=True)


class ExportUnitSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    locality = fields.String(required=True, allow_none=True)


class ExportInstanceSchema(Schema):
    machine = fields.String(required=True, metadata={"description": "`pathway`, "
                                                     "`training:<module>`, `milestone:<code>`, "
                                                     "`award:<code>`."})
    workflow = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "Training completions past "
                                                                 "their expiry read `expired`."})
    version = fields.Integer(required=True)
    entered_at = fields.AwareDateTime(required=True)
    definition_version = fields.Integer(required=True)
    completed_on = fields.Date(required=True, allow_none=True)
    expires_on = fields.Date(required=True, allow_none=True)


class ExportAccreditationSchema(Schema):
    award = fields.String(required=True)
    title = fields.String(required=True)
    awarded_at = fields.AwareDateTime(required=True)


class ExportUserSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True, allow_none=True)
    revoked_at = fields.AwareDateTime(required=True, allow_none=True)
    last_used_at = fields.AwareDateTime(required=True, allow_none=True)


class ChangeSchema(Schema):
    at = fields.AwareDateTime(required=True)
    actor = fields.String(required=True)
    role = fields.String(required=True)
    action = fields.String(required=True, metadata={
        "description": "`rename` (display name), `restore_personal_data` (an erasure lifted)."})
    fields_ = fields.List(fields.String(), required=True, data_key="fields",
                          attribute="fields", metadata={"description": "What was changed."})
    reason = fields.String(required=True, allow_none=True)


class ExportInvolvementSchema(Schema):
    id = fields.Integer(required=True)
    activity = fields.String(required=True)
    on = fields.Date(required=True)
    minutes = fields.Integer(required=True)
    payment = fields.String(required=True)
    amount_pence = fields.Integer(required=True)
    expenses_pence = fields.Integer(required=True)
    note = fields.String(required=True, allow_none=True)
    override_reason = fields.String(required=True, allow_none=True)
    booked_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class ExportBenefitLimitsSchema(Schema):
    rules = fields.List(fields.String(), required=True)
    custom_period = fields.String(required=True, allow_none=True)
    custom_limit_pence = fields.Integer(required=True, allow_none=True)
    updated_at = fields.AwareDateTime(required=True)
    updated_by = fields.String(required=True)


class ExportProposalSchema(Schema):
    id = fields.Integer(required=True)
    unit = fields.String(required=True, allow_none=True,
                         metadata={"description": "None: for the whole service."})
    title = fields.String(required=True)
    detail = fields.String(required=True)
    state = fields.String(required=True)
    raised_at = fields.AwareDateTime(required=True)


class ExportSchema(Schema):
    exported_at = fields.AwareDateTime(required=True)
    member = fields.Nested(ExportMemberSchema, required=True)
    unit = fields.Nested(ExportUnitSchema, required=True)
    pathway = fields.Nested(PathwaySchema, required=True)
    instances = fields.List(fields.Nested(ExportInstanceSchema), required=True)
    events = fields.List(fields.Nested(EventSchema), required=True,
                         metadata={"description": "Every machine's events, oldest first."})
    accreditations = fields.List(fields.Nested(ExportAccreditationSchema), required=True)
    access_log = fields.List(fields.Nested(AccessRecordSchema), required=True,
                             metadata={"description": "Newest first."})
    users = fields.List(fields.Nested(ExportUserSchema), required=True,
                        metadata={"description": "Accounts linked to the member."})
    changes = fields.List(fields.Nested(ChangeSchema), required=True,
                          metadata={"description": "Changes to the member's details, oldest "
                                                   "first."})
    involvement = fields.List(fields.Nested(ExportInvolvementSchema), required=True, metadata={
        "description": "Involvement booked for the member, with its notes and reasons."})
    benefit_limits = fields.Nested(ExportBenefitLimitsSchema, required=True, allow_none=True)


    proposals = fields.List(fields.Nested(ExportProposalSchema), required=True, metadata={
        "description": "Proposals the member raised under their name on the proposals board "
                       "(anonymous ones store no author, so none are anyone's)."})


class ErasureRequestSchema(Schema):
    reason = Text(required=True, min_length=1, max_length=privacy.MAX_REASON_LENGTH,
                  metadata={"description": "Why the record is erased (for example the request's "
                                           "reference). Kept on the record: no personal data."})


class RestoreRequestSchema(Schema):
    reason = Text(required=True, min_length=1, max_length=privacy.MAX_REASON_LENGTH,
                  metadata={"description": "Why personal data may be kept again (for example "
                                           "the member asked to be named). Kept in the "
                                           "change log."})


class RestoreSchema(Schema):
    member_id = fields.Integer(required=True)
    restored_at = fields.AwareDateTime(required=True)


class ErasureSchema(Schema):
    member_id = fields.Integer(required=True)
    erased_at = fields.AwareDateTime(required=True)
    events_cleared = fields.Integer(required=True, metadata={
        "description": "Earlier events whose reason or note was removed."})
    event = fields.Nested(EventSchema, required=True)


@blp.route("/members/<int:member_id>/access-log")
class AccessLog(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, AccessLogPage)
    @roles(*OWNERS)
    def get(self, args, member_id):
        """Who read this member's record, newest first (admins, and the member themself)."""
        member = member_in_scope(member_id, action="access_log")
        page = paginate(session(), audit.access_log_query(member.id), args["page"],
                        args["page_size"])
        return page.as_dict([audit.access_view(r) for r in page.items])


@blp.route("/members/<int:member_id>/export")
class Export(MethodView):
    @blp.response(200, ExportSchema)
    @roles(*OWNERS)
    def get(self, member_id):
        """Everything held about this member (subject access), for admins and the member."""
        member = member_in_scope(member_id, action="export")
        return privacy.export(session(), catalogue(), member, zone())


@blp.route("/members/<int:member_id>/erase")
class Erase(MethodView):
    @blp.arguments(ErasureRequestSchema)
    @blp.response(201, ErasureSchema)
    @blp.doc(parameters=[{"in": "header", "name": HEADER, "required": False,
                          "schema": {"type": "string", "maxLength": 200}}])
    @roles(*ADMINS)
    def post(self, data, member_id):
        """Erase the display name and every free-text field; coded history stays.

        Afterwards no display name or free text is kept until an admin restores personal
        data. Erasing again erases whatever was added since.
        """
        def run():
            caller = current_caller()
            member = member_in_scope(member_id, action=ERASE)
            outcome, cleared = privacy.erase(session(), catalogue(), member, data["reason"],
                                             caller.actor, zone())
            return ErasureSchema().dump({"member_id": member.id, "erased_at": member.erased_at,
                                         "events_cleared": cleared,
                                         "event": event_view(outcome.event, session())})

        return respond_once(run)


@blp.route("/members/<int:member_id>/restore-personal-data")
class RestorePersonalData(MethodView):
    @blp.arguments(RestoreRequestSchema)
    @blp.response(201, RestoreSchema)
    @roles(*ADMINS)
    def post(self, data, member_id):
        """Lift an erasure, saying why: a display name and free text may be kept again.

        409 `not_erased` when the member's data is not erased now.
        """
        member = member_in_scope(member_id, action="restore")
        privacy.restore_personal_data(session(), member, data["reason"], current_caller().actor)
        session().commit()
        return {"member_id": member.id, "restored_at": clock.now()}


def record_audited_read(response: Response) -> Response:
    """Record a successful read of someone else's record, in its own short transaction.

    Two kinds of read: one member's record (``member_in_scope``) and the members shown on a
    list page or report (``note_reads``: one record per member, one INSERT for them all).
    The request's own session is a read session (on SQLite a write there would need the
    write lock it never took), so the records go through a separate unit of work. If they
    cannot be written the read fails rather than go unrecorded.
    """
    caller = g.get("caller")
    if request.method != "GET" or caller is None or not 200 <= response.status_code < 300:
        return response
    audited = g.get("audited_member")
    one = audited if audited is not None and not audit.is_own_record(caller, audited[0]) else None
    many = {member_id: action for member_id, action in (g.get("audited_reads") or {}).items()
            if not audit.is_own_record(caller, member_id)
            and (audited is None or member_id != audited[0])}
    if one is None and not many:
        return response  # no side transaction (and no write lock) for unaudited reads
    with write_session_for_side_effects() as side:
        if one is not None:
            audit.record_read(side, caller, *one)
        if many:
            audit.record_reads(side, caller, many)
    return response


def init_app(app: Flask) -> None:
    app.after_request(record_audited_read)
