"""Reports for managers and the strategy group: counts, never people (except where a role may
read member records). Every report is scoped to the caller's units.

Served from ``pathway.reports.registry``: one route per report there, its query arguments
built from the report's parameters, its response schema from the loaded definitions (a level
column per level, at app creation), so a board's own levels are in the JSON and the OpenAPI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, post_load, pre_load, validate

from api.access import note_reads
from api.auth import current_caller, roles
from api.context import catalogue, zone
from api.db import session
from api.fields import DayArg, Text
from pathway.reports.registry import CHOICE, DAY, REPORTS, Parameter, Report, run
from pathway.reports.suppression import NOTE
from pathway.reports.vocabulary import Levels, levels_of
from workflows.schema import Catalogue

DESCRIPTION = (
    "Level distribution, progression, time in level, attrition and the strategy group's "
    "summary: SQL aggregations scoped to your units. Viewers, coordinators, training leads "
    "and admins may read them; free text and member references only reach roles that may "
    "read member records. " + NOTE)

REPORT_ROLES = ("admin", "coordinator", "training_lead", "viewer")
CSV = "text/csv"
SVG = "image/svg+xml"
CONTENT_TYPES = {"csv": CSV, "svg": SVG}


def _also(blp: Blueprint, *types: str) -> Callable[[Any], Any]:
    """Document the other content types ``format=`` answers with (same status, 200)."""
    described = {CSV: "format=csv: the same rows as CSV, a totals line last; hidden counts "
                      "read [c].",
                 SVG: "format=svg: a stacked bar chart drawn with matplotlib, titled, axes "
                      "labelled, Okabe-Ito colours, counts on the segments; a hidden count is "
                      "a hatched segment marked <8."}

    description = " ".join(["The report as JSON (format=json, the default).",
                             *(described[t] for t in types)])

    def decorate(view: Any) -> Any:
        for content_type in types:
            view = blp.alt_response(200, schema={"type": "string"}, content_type=content_type,
                                    description=description, success=True)(view)
        return view

    return decorate


# --- arguments: from the registry's parameters ------------------------------------------------


def _choice(*values: str, default: str | None) -> fields.String:
    """One of ``values``; the empty value is documented too and means the default."""
    return fields.String(load_default=default, validate=validate.OneOf([*values, ""]))


class ReportArgs(Schema):
    """Filters every report takes; an empty value (``?unit=``) means the filter is absent."""

    suppress = fields.String(load_default="false", validate=validate.OneOf(["true", "false", ""]),
                             metadata={"description": NOTE + " Always on for viewers."})

    @pre_load
    def absent_when_empty(self, data: Any, **_: Any) -> dict[str, Any]:
        return {key: data[key] for key in data if data[key] != ""}

    @post_load
    def as_flags(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["suppress"] = data["suppress"] == "true"
        return data


def _argument(parameter: Parameter) -> fields.Field:
    if parameter.type == DAY:
        return DayArg(attribute=parameter.key, data_key=parameter.name,
                      metadata={"description": parameter.description})
    if parameter.type == CHOICE:
        return fields.String(attribute=parameter.key, data_key=parameter.name,
                             load_default=parameter.default,
                             validate=validate.OneOf([*parameter.choices, ""]),
                             metadata={"description": parameter.description})
    return Text(attribute=parameter.key, data_key=parameter.name, max_length=64,
                load_default=None, required=parameter.required,
                metadata={"description": parameter.description})


def arguments_for(report: Report) -> type[Schema]:
    """The query string of one report: its parameters, ``suppress`` and ``format``."""
    declared: dict[str, Any] = {parameter.key: _argument(parameter)
                                for parameter in report.parameters}
    declared["format"] = _choice(*report.formats, default="json")
    name = "".join(part.title() for part in report.name.split("-")) + "Args"
    return type(name, (ReportArgs,), declared)


# --- responses ---------------------------------------------------------------------------------

def _count(description: str = "") -> fields.Integer:
    return fields.Integer(required=True, allow_none=True,
                          metadata={"description": description or "A count; null when hidden "
                                                                  "by suppression."})


def _hidden() -> fields.List:
    return fields.List(fields.String(), metadata={
        "description": "Columns of this line hidden by suppression (only with suppress=true)."})


class EchoSchema(Schema):
    unit = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True)
    note = fields.String(required=True, allow_none=True,
                         metadata={"description": "The suppression rule, when suppressed."})


class PeriodSchema(EchoSchema):
    from_ = fields.Date(attribute="from", data_key="from", required=True)
    to = fields.Date(required=True)


class StepSchema(Schema):
    from_level = fields.String(required=True)
    to_level = fields.String(required=True)
    made_it = _count("Members who took this step (at any time).")
    advances = _count("Steps taken (a member may take a step twice after stepping back).")
    median_days = fields.Float(required=True, allow_none=True)
    q1_days = fields.Float(required=True, allow_none=True)
    q3_days = fields.Float(required=True, allow_none=True)
    iqr_days = fields.Float(required=True, allow_none=True,
                            metadata={"description": "Interquartile range of days taken."})
    waiting = _count("Members active at the lower level now.")
    waiting_median_days = fields.Float(required=True, allow_none=True)
    waiting_longest_days = fields.Float(required=True, allow_none=True)
    suppressed = _hidden()


class TimeInLevelSchema(EchoSchema):
    steps = fields.List(fields.Nested(StepSchema), required=True)


class ExitRowSchema(Schema):
    unit = fields.String()
    kind = fields.String()
    exit_reason = fields.String()
    level = fields.String(metadata={"description": "The level held when leaving."})
    exits = _count()
    suppressed = _hidden()


class FeedbackSchema(Schema):
    on = fields.Date(required=True)
    unit = fields.String(required=True)
    kind = fields.String(required=True)
    exit_reason = fields.String(required=True, allow_none=True)
    level = fields.String(required=True)
    feedback = fields.String(required=True)


class AttritionSchema(PeriodSchema):
    exits = _count("Exit events in the period.")
    leavers = _count("Members who left in the period.")
    rejoined = _count("Of those, members who have rejoined since.")
    rejoin_rate = fields.Float(required=True, allow_none=True)
    rows = fields.List(fields.Nested(ExitRowSchema), required=True)
    by_reason = fields.List(fields.Nested(ExitRowSchema), required=True)
    by_level = fields.List(fields.Nested(ExitRowSchema), required=True)
    by_unit = fields.List(fields.Nested(ExitRowSchema), required=True)
    by_kind = fields.List(fields.Nested(ExitRowSchema), required=True)
    feedback = fields.List(fields.Nested(FeedbackSchema), required=True, metadata={
        "description": "Leavers' feedback, newest first (at most 100), without who gave it; "
                       "empty when withheld."})
    feedback_count = fields.Integer(required=True, allow_none=True)
    feedback_withheld = fields.Boolean(required=True, metadata={
        "description": "True for viewers and for suppressed (published) reports."})
    feedback_note = fields.String(required=True, allow_none=True)


class ActivitySchema(Schema):
    unit = fields.String()
    joined = _count()
    advances = _count()
    step_backs = _count()
    exits = _count()
    awards = _count("Accreditation awards made.")
    training_completed = _count()
    suppressed = _hidden()


class ActivityTableSchema(Schema):
    rows = fields.List(fields.Nested(ActivitySchema), required=True)
    totals = fields.Nested(ActivitySchema, required=True)


class GapSchema(Schema):
    unit = fields.String(required=True)
    service_users = _count("Active service users now.")
    carers = _count("Active carers now.")
    carers_per_service_user = fields.Float(required=True, allow_none=True)
    suppressed = _hidden()


class WaitingSchema(Schema):
    reference = fields.String(required=True, metadata={"description": "Pseudonymous reference."})
    unit = fields.String(required=True)
    kind = fields.String(required=True)
    level = fields.String(required=True)
    since = fields.AwareDateTime(required=True, allow_none=True)
    days = fields.Integer(required=True, allow_none=True)


class CountRows(fields.List):
    """A list of count rows (``Nested`` row schema), dumped by picking the row schema's
    fields from each row.

    A row's values are already what the fields would dump (ints, strings, null, a list of
    column names): at 1M members a year of progression is ~36,000 rows, and dumping them field
    by field took ~1.4 s, longer than computing the report. The OpenAPI document is the same
    as for ``List(Nested(...))``; a test holds the dump to the field-by-field one.
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        inner = self.inner
        assert isinstance(inner, fields.Nested)  # built that way below
        schema = inner.schema
        names = [(field.data_key or name, field.attribute or name)
                 for name, field in schema.dump_fields.items()]
        if all(out == key for out, key in names):
            # A row holding only the schema's fields is its own dump (the JSON provider
            # orders the keys); only a row with others is picked apart.
            fields_named = {key for _, key in names}
            return [row if row.keys() <= fields_named
                    else {out: row[key] for out, key in names if key in row}
                    for row in value]
        return [{out: row[key] for out, key in names if key in row} for row in value]


class InvolvementRowSchema(Schema):
    unit = fields.String(required=True)
    kind = fields.String(required=True, allow_none=True)
    members = _count("Members involved.")
    sessions = _count("Pieces of involvement (bookings not cancelled).")
    hours = fields.Float(required=True, allow_none=True)
    payments_pence = _count("Paid and voucher amounts, in pence.")
    paid_out_pence = _count("The part of the payments already paid, in pence.")
    expenses_pence = _count("Expenses, in pence (never counted as earnings).")
    suppressed = _hidden()


class InvolvementReportSchema(PeriodSchema):
    rows = fields.List(fields.Nested(InvolvementRowSchema), required=True)
    totals = fields.Nested(InvolvementRowSchema, required=True)


class VoiceCountsSchema(Schema):
    yes = _count("Moves the member agrees with (their latest view).")
    no = _count("Moves the member does not agree with (their latest view).")
    not_asked = _count("Moves where the member was not asked, and no view was added since.")
    none = _count("Moves with no view recorded.")
    moves = _count("All level moves.")
    suppressed = _hidden()


class VoiceRowSchema(VoiceCountsSchema):
    unit = fields.String(required=True, metadata={"description": "The unit of the move."})
    kind = fields.String(required=True)


class VoiceSchema(PeriodSchema):
    rows = fields.List(fields.Nested(VoiceRowSchema), required=True)
    totals = fields.Nested(VoiceCountsSchema, required=True)


def _level_words(levels: Levels, codes: tuple[str, ...]) -> str:
    return levels.either(codes)


def level_schemas(levels: Levels) -> dict[str, type[Schema]]:
    """The response schemas whose fields are the levels of the loaded definitions."""
    counts: dict[str, Any] = {code: _count(f"Active at {levels.name(code)}.")
                              for code in levels.codes}
    counts.update(paused=_count("Paused (any level)."), exited=_count("Exited (any level)."),
                  total=_count("All of the above."), suppressed=_hidden())
    counts_schema = type("CountsSchema", (Schema,), counts)
    row_schema = type("DistributionRowSchema", (counts_schema,), {
        "unit": fields.String(required=True),
        "kind": fields.String(required=True,
                              metadata={"description": "Member kind, or 'all'."})})
    distribution = type("DistributionSchema", (EchoSchema,), {
        "as_of": fields.Date(required=True, allow_none=True,
                             metadata={"description": "Null: now."}),
        "rows": CountRows(fields.Nested(row_schema), required=True),
        "totals": fields.Nested(counts_schema, required=True)})
    point = type("PointSchema", (Schema,), {
        "period_start": fields.Date(required=True),
        "as_of": fields.Date(required=True, metadata={"description": "The end of the interval."}),
        "rows": CountRows(fields.Nested(row_schema), required=True),
        "totals": fields.Nested(counts_schema, required=True)})
    progression = type("ProgressionSchema", (PeriodSchema,), {
        "interval": fields.String(required=True),
        "series": fields.List(fields.Nested(point), required=True)})
    lower = _level_words(levels, levels.lower)
    top = levels.name(levels.top)
    summary = type("SummarySchema", (PeriodSchema,), {
        "activity": fields.Nested(ActivityTableSchema, required=True),
        "carer_gap": fields.List(fields.Nested(GapSchema), required=True),
        f"{levels.top}_now": _count(f"Members active at {top} now."),
        "top_level": fields.String(required=True, metadata={
            "description": "The code of the top level of the definitions."}),
        "top_level_now": _count(f"Members active at the top level ({top}) now; the same as "
                                f"`{levels.top}_now`."),
        "waiting_over_days": fields.Integer(required=True),
        "waiting_over": _count(f"Members active at {lower} for longer than that."),
        "waiting_longest": fields.List(fields.Nested(WaitingSchema), required=True, metadata={
            "description": f"The 10 members waiting longest at {lower} (references only); "
                           "empty when withheld."}),
        "waiting_withheld": fields.Boolean(required=True),
        "quick_wins": fields.List(fields.String(), required=True),
        "gaps": fields.List(fields.String(), required=True)})
    return {"level-distribution": distribution, "progression": progression,
            "time-in-level": TimeInLevelSchema, "attrition": AttritionSchema,
            "summary": summary, "involvement": InvolvementReportSchema, "voice": VoiceSchema}

# --- views -------------------------------------------------------------------------------------


def _serve(report: Report) -> Callable[..., Any]:
    """The view of one report: build it from the registry, answer in the format asked for,
    and note the members whose records the answer shows for the read audit."""

    def get(self: MethodView, args: dict[str, Any]) -> Any:
        options = {key: value for key, value in args.items() if key not in ("suppress", "format")}
        chosen, asked, built = run(report.name, session(), catalogue(), current_caller(),
                                   zone(), options, suppress=args["suppress"])
        for action in sorted(set(built.reads.values())):
            note_reads((member for member, why in built.reads.items() if why == action), action)
        if args["format"] == "csv":
            return Response(chosen.csv(built.report, asked.levels), mimetype=CSV, headers={
                "Content-Disposition": f'attachment; filename="{chosen.name}.csv"'})
        if args["format"] == "svg" and chosen.chart is not None:
            return Response(chosen.chart(asked, built.report), mimetype=SVG)
        return built.report

    get.__doc__ = f"{report.title}\n{report.description}" if report.description else report.title
    return get


def blueprint(definitions: Catalogue) -> Blueprint:
    """The reports blueprint for one app: a route per report of the registry, its response
    schema built from ``definitions``' levels."""
    blp = Blueprint("reports", __name__, description=DESCRIPTION)
    responses = level_schemas(levels_of(definitions))
    for report in REPORTS.values():
        if not report.http:
            continue
        view = _serve(report)
        view = roles(*REPORT_ROLES)(view)
        view = _also(blp, *(CONTENT_TYPES[f] for f in report.formats if f in CONTENT_TYPES))(view)
        view = blp.response(200, responses[report.name])(view)
        view = blp.arguments(arguments_for(report), location="query")(view)
        name = "".join(part.title() for part in report.name.split("-"))
        blp.route(f"/reports/{report.name}")(type(name, (MethodView,), {"get": view}))
    return blp
