"""Reports for managers and the strategy group: counts, never people (except where a role may
read member records). Every report is scoped to the caller's units."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, post_load, pre_load, validate

from api.access import note_reads_by_reference
from api.auth import current_caller, roles
from api.context import zone
from api.db import session
from api.fields import DayArg, Text
from pathway import clock
from pathway.reports import charts
from pathway.reports.attrition import attrition
from pathway.reports.distribution import level_distribution
from pathway.reports.export import as_csv
from pathway.reports.progression import INTERVALS, progression
from pathway.reports.scope import Scope, period_for, scope_for
from pathway.reports.summary import summary
from pathway.reports.suppression import NOTE
from pathway.reports.time_in_level import time_in_level
from workflows.schema import MEMBER_KINDS

blp = Blueprint("reports", __name__, description=(
    "Level distribution, progression, time in level, attrition and the strategy group's "
    "summary: SQL aggregations scoped to your units. Viewers, coordinators, training leads "
    "and admins may read them; free text and member references only reach roles that may "
    "read member records. " + NOTE))

REPORT_ROLES = ("admin", "coordinator", "training_lead", "viewer")
CSV = "text/csv"
SVG = "image/svg+xml"


def _also(*types: str) -> Callable[[Any], Any]:
    """Document the other content types ``format=`` answers with (same status, 200)."""
    described = {CSV: "format=csv: the same rows as CSV, a totals line last; hidden counts "
                      "read [c].",
                 SVG: "format=svg: a stacked bar chart drawn with matplotlib, titled, axes "
                      "labelled, Okabe-Ito colours, counts on the segments."}

    description = " ".join(["The report as JSON (format=json, the default).",
                             *(described[t] for t in types)])

    def decorate(view: Any) -> Any:
        for content_type in types:
            view = blp.alt_response(200, schema={"type": "string"}, content_type=content_type,
                                    description=description, success=True)(view)
        return view

    return decorate


# --- arguments -------------------------------------------------------------------------


def _choice(*values: str, default: str | None) -> fields.String:
    """One of ``values``; the empty value is documented too and means the default."""
    return fields.String(load_default=default, validate=validate.OneOf([*values, ""]))


class ReportArgs(Schema):
    """Filters every report takes; an empty value (``?unit=``) means the filter is absent."""

    unit = Text(load_default=None, max_length=64,
                metadata={"description": "A unit code in your scope (unknown -> 404)."})
    suppress = fields.String(load_default="false", validate=validate.OneOf(["true", "false", ""]),
                             metadata={"description": NOTE})
    format = _choice("json", "csv", default="json")

    @pre_load
    def absent_when_empty(self, data: Any, **_: Any) -> dict[str, Any]:
        return {key: data[key] for key in data if data[key] != ""}

    @post_load
    def as_flags(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["suppress"] = data["suppress"] == "true"
        return data


class KindArgs(ReportArgs):
    kind = _choice(*MEMBER_KINDS, default=None)


class DistributionArgs(KindArgs):
    as_of = DayArg(metadata={
        "description": "Count the state at the end of this day (service time zone), from the "
                       "event log, each member in the unit they were in then. Absent: now."})
    format = _choice("json", "csv", "svg", default="json")


class PeriodFields(Schema):
    from_ = DayArg(data_key="from", metadata={
        "description": "First day (default: the first of the month eleven months before `to`)."})
    to = DayArg(metadata={"description": "Last day (default: today)."})


class PeriodArgs(KindArgs, PeriodFields):
    """A period of whole days in the service's zone; ``from`` after ``to`` is refused (422)."""


class ProgressionArgs(PeriodArgs):
    interval = _choice(*INTERVALS, default="month")
    format = _choice("json", "csv", "svg", default="json")


class SummaryArgs(ReportArgs, PeriodFields):
    """The summary is for the whole scope (or one unit): no kind filter."""


# --- responses -------------------------------------------------------------------------

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


class CountsSchema(Schema):
    level_1 = _count("Active at Level 1.")
    level_2 = _count("Active at Level 2.")
    level_3 = _count("Active at Level 3.")
    paused = _count("Paused (any level).")
    exited = _count("Exited (any level).")
    total = _count("All of the above.")
    suppressed = _hidden()


class DistributionRowSchema(CountsSchema):
    unit = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "Member kind, or 'all'."})


class DistributionSchema(EchoSchema):
    as_of = fields.Date(required=True, allow_none=True, metadata={"description": "Null: now."})
    rows = fields.List(fields.Nested(DistributionRowSchema), required=True)
    totals = fields.Nested(CountsSchema, required=True)


class PointSchema(Schema):
    period_start = fields.Date(required=True)
    as_of = fields.Date(required=True, metadata={"description": "The end of the interval."})
    rows = fields.List(fields.Nested(DistributionRowSchema), required=True)
    totals = fields.Nested(CountsSchema, required=True)


class PeriodSchema(EchoSchema):
    from_ = fields.Date(attribute="from", data_key="from", required=True)
    to = fields.Date(required=True)


class ProgressionSchema(PeriodSchema):
    interval = fields.String(required=True)
    series = fields.List(fields.Nested(PointSchema), required=True)


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


class SummarySchema(PeriodSchema):
    activity = fields.Nested(ActivityTableSchema, required=True)
    carer_gap = fields.List(fields.Nested(GapSchema), required=True)
    level_3_now = _count("Members active at Level 3 now.")
    waiting_over_days = fields.Integer(required=True)
    waiting_over = _count("Members active at Level 1 or 2 for longer than that.")
    waiting_longest = fields.List(fields.Nested(WaitingSchema), required=True, metadata={
        "description": "The 10 members waiting longest at Level 1 or 2 (references only); "
                       "empty when withheld."})
    waiting_withheld = fields.Boolean(required=True)
    quick_wins = fields.List(fields.String(), required=True)
    gaps = fields.List(fields.String(), required=True)


# --- views -----------------------------------------------------------------------------

def _scope(args: dict[str, Any]) -> Scope:
    return scope_for(session(), current_caller(), unit=args.get("unit"), kind=args.get("kind"),
                     suppress=args["suppress"])


def _answer(name: str, args: dict[str, Any], report: dict[str, Any],
            chart: Callable[[], str] | None = None) -> Any:
    if args["format"] == "csv":
        return Response(as_csv(name, report), mimetype=CSV, headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"'})
    if args["format"] == "svg" and chart is not None:
        return Response(chart(), mimetype=SVG)
    return report


def _chart_title(what: str, scope: Scope, when: str) -> str:
    kind = f" – {scope.kind.replace('_', ' ')}s" if scope.kind else ""
    unit = f" – {scope.unit.code}" if scope.unit else ""
    return f"{what}{unit}{kind}, {when}"


@blp.route("/reports/level-distribution")
class LevelDistribution(MethodView):
    @blp.arguments(DistributionArgs, location="query")
    @blp.response(200, DistributionSchema)
    @_also(CSV, SVG)
    @roles(*REPORT_ROLES)
    def get(self, args):  # type: ignore[no-untyped-def]
        """Members per unit and kind at each level, paused and exited, now or as of a day."""
        scope = _scope(args)
        if args["format"] == "svg":
            by_unit = level_distribution(session(), scope, zone(), as_of=args["as_of"],
                                         by_kind=False)
            when = args["as_of"].isoformat() if args["as_of"] else "now"
            return _answer("level-distribution", args, by_unit, lambda: charts.distribution_chart(
                by_unit["rows"], title=_chart_title("Members by level and status", scope, when),
                suppressed=scope.suppress))
        return _answer("level-distribution", args,
                       level_distribution(session(), scope, zone(), as_of=args["as_of"]))


@blp.route("/reports/progression")
class Progression(MethodView):
    @blp.arguments(ProgressionArgs, location="query")
    @blp.response(200, ProgressionSchema)
    @_also(CSV, SVG)
    @roles(*REPORT_ROLES)
    def get(self, args):  # type: ignore[no-untyped-def]
        """The level distribution at the end of each week, month or quarter of a period."""
        scope = _scope(args)
        period = period_for(args["from_"], args["to"], zone())
        report = progression(session(), scope, period, args["interval"])
        when = f"{period.start.isoformat()} to {period.end.isoformat()}"
        return _answer("progression", args, report, lambda: charts.progression_chart(
            report["series"], title=_chart_title(f"Members by level, each {args['interval']}",
                                                 scope, when), suppressed=scope.suppress))


@blp.route("/reports/time-in-level")
class TimeInLevel(MethodView):
    @blp.arguments(KindArgs, location="query")
    @blp.response(200, TimeInLevelSchema)
    @_also(CSV)
    @roles(*REPORT_ROLES)
    def get(self, args):  # type: ignore[no-untyped-def]
        """Days taken per step up (median, quartiles) and who is still waiting, and how long."""
        return _answer("time-in-level", args,
                       time_in_level(session(), _scope(args), clock.now()))


@blp.route("/reports/attrition")
class Attrition(MethodView):
    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, AttritionSchema)
    @_also(CSV)
    @roles(*REPORT_ROLES)
    def get(self, args):  # type: ignore[no-untyped-def]
        """Exits in a period by reason, unit, kind and level; rejoin rate; leavers' feedback
        (only for roles that may read member records, never in suppressed reports)."""
        period = period_for(args["from_"], args["to"], zone())
        return _answer("attrition", args, attrition(session(), _scope(args), period))


@blp.route("/reports/summary")
class Summary(MethodView):
    @blp.arguments(SummaryArgs, location="query")
    @blp.response(200, SummarySchema)
    @_also(CSV)
    @roles(*REPORT_ROLES)
    def get(self, args):  # type: ignore[no-untyped-def]
        """For the strategy group: what moved in the period, the carer gap, the longest waits
        (references only for roles that may read member records) and all of it in words."""
        period = period_for(args["from_"], args["to"], zone())
        report = summary(session(), _scope(args), period, clock.now())
        note_reads_by_reference((row["reference"] for row in report["waiting_longest"]),
                                "summary_waiting")
        return _answer("summary", args, report)
