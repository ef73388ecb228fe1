"""Reports on the web: each report as a chart (where there is one), a table of the same
numbers and a CSV download, for the units in the caller's scope.

Every report the pages show is dispatched here and only here, calling the same report
builders the JSON API calls, with the same scope and small-number suppression (viewers'
figures are always suppressed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from api.access import note_reads_by_reference
from api.context import zone
from api.pages import pages
from api.pages.session import current_caller, db_session, signed_in
from pathway import clock
from pathway.errors import InvalidInput, NotFound
from pathway.people.units import units_query
from pathway.reports import charts
from pathway.reports.attrition import attrition
from pathway.reports.distribution import level_distribution
from pathway.reports.export import as_csv
from pathway.reports.progression import INTERVALS, progression
from pathway.reports.scope import COUNTS, Scope, period_for, scope_for
from pathway.reports.summary import summary
from pathway.reports.suppression import NOTE
from pathway.reports.time_in_level import time_in_level
from workflows.schema import MEMBER_KINDS

REPORT_ROLES = ("admin", "coordinator", "training_lead", "viewer")
# Viewers read published figures only, as the API gives them.
ALWAYS_SUPPRESSED = ("viewer",)


@dataclass(frozen=True)
class Choices:
    """What the report form asked for, read from the query string."""

    unit: str | None
    kind: str | None
    suppress: bool
    as_of: date | None
    start: date | None
    end: date | None
    interval: str


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    asks: tuple[str, ...]  # which of as_of, period, interval, kind the form offers
    build: Callable[[Scope, Choices], dict[str, Any]]
    chart: Callable[[Scope, Choices, dict[str, Any]], str] | None = None


def _when(choices: Choices) -> str:
    return choices.as_of.isoformat() if choices.as_of else "now"


def _title(what: str, scope: Scope, when: str) -> str:
    unit = f" – {scope.unit.code}" if scope.unit else ""
    kind = f" – {scope.kind.replace('_', ' ')}s" if scope.kind else ""
    return f"{what}{unit}{kind}, {when}"


def _distribution(scope: Scope, choices: Choices) -> dict[str, Any]:
    return level_distribution(db_session(), scope, zone(), as_of=choices.as_of)


def _distribution_chart(scope: Scope, choices: Choices, _report: dict[str, Any]) -> str:
    by_unit = level_distribution(db_session(), scope, zone(), as_of=choices.as_of, by_kind=False)
    return charts.distribution_chart(by_unit["rows"], suppressed=scope.suppress, title=_title(
        "Members by level and status", scope, _when(choices)))


def _progression(scope: Scope, choices: Choices) -> dict[str, Any]:
    return progression(db_session(), scope, period_for(choices.start, choices.end, zone()),
                       choices.interval)


def _progression_chart(scope: Scope, choices: Choices, report: dict[str, Any]) -> str:
    when = f"{report['from'].isoformat()} to {report['to'].isoformat()}"
    return charts.progression_chart(report["series"], suppressed=scope.suppress, title=_title(
        f"Members by level, each {choices.interval}", scope, when))


def _time_in_level(scope: Scope, _choices: Choices) -> dict[str, Any]:
    return time_in_level(db_session(), scope, clock.now())


def _attrition(scope: Scope, choices: Choices) -> dict[str, Any]:
    return attrition(db_session(), scope, period_for(choices.start, choices.end, zone()))


def _summary(scope: Scope, choices: Choices) -> dict[str, Any]:
    report = summary(db_session(), scope, period_for(choices.start, choices.end, zone()),
                     clock.now())
    note_reads_by_reference((row["reference"] for row in report["waiting_longest"]),
                            "summary_waiting")
    return report


REPORTS = {report.name: report for report in (
    Report("level-distribution", "Level distribution", ("as_of", "kind"), _distribution,
           _distribution_chart),
    Report("progression", "Progression", ("period", "interval", "kind"), _progression,
           _progression_chart),
    Report("time-in-level", "Time in level", ("kind",), _time_in_level),
    Report("attrition", "Attrition", ("period", "kind"), _attrition),
    Report("summary", "Summary for the strategy group", ("period",), _summary),
)}


def _day(args: MultiDict[str, str], name: str, errors: dict[str, str], label: str) -> date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = f"{label} must be a real date, for example 2026-03-31."
        return None


def read_choices(args: MultiDict[str, str], errors: dict[str, str]) -> Choices:
    """The form's values; anything unreadable is named in ``errors`` and left out."""
    kind = args.get("kind") or None
    interval = args.get("interval") or "month"
    return Choices(
        unit=args.get("unit") or None,
        kind=kind if kind in MEMBER_KINDS else None,
        suppress=args.get("suppress") in ("y", "true", "on")
        or current_caller().role in ALWAYS_SUPPRESSED,
        as_of=_day(args, "as_of", errors, "As of"),
        start=_day(args, "from", errors, "From"),
        end=_day(args, "to", errors, "To"),
        interval=interval if interval in INTERVALS else "month")


def run(name: str, args: MultiDict[str, str]) -> tuple[Report, Scope, Choices, dict[str, Any],
                                                        dict[str, str]]:
    """Build one report for the caller; input the builders refuse comes back as errors."""
    report = REPORTS.get(name)
    if report is None:
        abort(404)
    errors: dict[str, str] = {}
    choices = read_choices(args, errors)
    scope = scope_for(db_session(), current_caller(), unit=choices.unit, kind=choices.kind,
                      suppress=choices.suppress)
    built: dict[str, Any] = {}
    if not errors:
        try:
            built = report.build(scope, choices)
        except InvalidInput as error:
            field = next(iter(error.errors))
            errors[field] = error.message
    return report, scope, choices, built, errors


@pages.get("/reports")
@signed_in(*REPORT_ROLES)
def reports() -> tuple[str, int]:
    name = request.args.get("report") or "level-distribution"
    if name not in REPORTS:
        name = "level-distribution"
    try:
        report, scope, choices, built, errors = run(name, request.args)
    except NotFound:
        abort(404)
    query: dict[str, Any] = {k: v for k, v in request.args.items(multi=False) if v}
    query["report"] = name
    if choices.suppress:
        query["suppress"] = "y"
    return render_template(
        "pages/reports.html", reports=REPORTS, report=report, scope=scope, choices=choices,
        built=built, errors=errors, counts=COUNTS, kinds=MEMBER_KINDS, intervals=INTERVALS,
        note=NOTE, forced=current_caller().role in ALWAYS_SUPPRESSED,
        units=list(db_session().scalars(units_query(current_caller()))),
        csv_url=url_for("pages.report_csv", name=name, **query),
        chart_url=url_for("pages.report_chart", name=name, **query) if report.chart else None,
    ), (422 if errors else 200)


@pages.get("/reports/<name>.csv")
@signed_in(*REPORT_ROLES)
def report_csv(name: str) -> Response:
    report, _scope, _choices, built, errors = run(name, request.args)
    if errors:
        abort(404)
    return Response(as_csv(report.name, built), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{report.name}.csv"'})


@pages.get("/reports/<name>/chart.svg")
@signed_in(*REPORT_ROLES)
def report_chart(name: str) -> Response:
    report, scope, choices, built, errors = run(name, request.args)
    if errors or report.chart is None:
        abort(404)
    return Response(report.chart(scope, choices, built), mimetype="image/svg+xml")
