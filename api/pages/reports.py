"""Reports on the web: each report as a chart (where there is one), a table of the same
numbers and a CSV download, for the units in the caller's scope.

Every report the pages show is dispatched here and only here, calling the same report
builders the JSON API calls, with the same scope and small-number suppression (viewers'
figures are always suppressed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from api.access import note_reads
from api.context import catalogue, zone
from api.pages import pages
from api.pages.session import current_caller, db_session, signed_in
from pathway.errors import InvalidInput, NotFound
from pathway.people.access import READ_REPORTS, allowed_to
from pathway.people.units import units_query
from pathway.reports import registry
from pathway.reports.progression import INTERVALS
from pathway.reports.scope import Scope, aggregates_only
from pathway.reports.suppression import NOTE
from pathway.reports.vocabulary import levels_of
from workflows.schema import MEMBER_KINDS

REPORT_ROLES = allowed_to(READ_REPORTS)


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

    def options_for(self, report: registry.Report) -> dict[str, Any]:
        """The registry's options this report takes (each parameter by its key)."""
        given = {"unit": self.unit, "kind": self.kind, "as_of": self.as_of, "start": self.start,
                 "end": self.end, "interval": self.interval}
        return {key: value for key, value in given.items() if report.accepts(key)}


@dataclass(frozen=True)
class PageReport:
    """A report of the registry as the pages show it: a short title for the menu and heading."""

    name: str
    title: str
    entry: registry.Report

    @property
    def chart(self) -> bool:
        return self.entry.chart is not None


# The registry's reports a page shows, in menu order, with their page titles. The readiness
# list has its own page (/readiness).
REPORTS = {name: PageReport(name, title, registry.REPORTS[name]) for name, title in (
    ("level-distribution", "Level distribution"),
    ("progression", "Progression"),
    ("time-in-level", "Time in level"),
    ("attrition", "Attrition"),
    ("summary", "Summary for the strategy group"),
    ("involvement", "Involvement and payment"),
    ("voice", "The member's view of their moves"),
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
        or aggregates_only(current_caller()),
        as_of=_day(args, "as_of", errors, "As of"),
        start=_day(args, "from", errors, "From"),
        end=_day(args, "to", errors, "To"),
        interval=interval if interval in INTERVALS else "month")


@dataclass
class Shown:
    """One report built for the page: what was asked, the scope it was counted in, the figures,
    and anything the form got wrong (by field)."""

    report: PageReport
    choices: Choices
    errors: dict[str, str]
    asked: registry.Asked | None = None
    built: dict[str, Any] | None = None

    @property
    def scope(self) -> Scope | None:
        return self.asked.scope if self.asked else None


def run(name: str, args: MultiDict[str, str]) -> Shown:
    """Build one report for the caller from the registry; input it refuses comes back as errors."""
    report = REPORTS.get(name)
    if report is None:
        abort(404)
    errors: dict[str, str] = {}
    choices = read_choices(args, errors)
    shown = Shown(report, choices, errors)
    if errors:
        return shown
    try:
        _, asked, built = registry.run(name, db_session(), catalogue(), current_caller(), zone(),
                                       choices.options_for(report.entry),
                                       suppress=choices.suppress)
    except InvalidInput as error:
        field = next(iter(error.errors))
        errors[field] = error.message
        return shown
    for action in sorted(set(built.reads.values())):
        note_reads((member for member, why in built.reads.items() if why == action), action)
    shown.asked, shown.built = asked, built.report
    return shown


@pages.get("/reports")
@signed_in(*REPORT_ROLES)
def reports() -> tuple[str, int]:
    name = request.args.get("report") or "level-distribution"
    if name not in REPORTS:
        name = "level-distribution"
    try:
        shown = run(name, request.args)
    except NotFound:
        abort(404)
    query: dict[str, Any] = {k: v for k, v in request.args.items(multi=False) if v}
    query["report"] = name
    if shown.choices.suppress:
        query["suppress"] = "y"
    levels = levels_of(catalogue())
    return render_template(
        "pages/reports.html", reports=REPORTS, report=shown.report, scope=shown.scope,
        choices=shown.choices, built=shown.built or {}, errors=shown.errors,
        counts=levels.counts, kinds=MEMBER_KINDS, intervals=INTERVALS, note=NOTE,
        forced=aggregates_only(current_caller()),
        units=list(db_session().scalars(units_query(current_caller()))),
        csv_url=url_for("pages.report_csv", name=name, **query),
        chart_url=url_for("pages.report_chart", name=name, **query) if shown.report.chart else None,
    ), (422 if shown.errors else 200)


def _built(name: str) -> tuple[registry.Report, registry.Asked, dict[str, Any]]:
    """A report for a download: the same figures as the page, or "Page not found"."""
    try:
        shown = run(name, request.args)
    except NotFound:
        abort(404)
    if shown.errors or shown.asked is None or shown.built is None:
        abort(404)
    return shown.report.entry, shown.asked, shown.built


@pages.get("/reports/<name>.csv")
@signed_in(*REPORT_ROLES)
def report_csv(name: str) -> Response:
    entry, asked, built = _built(name)
    return Response(entry.csv(built, asked.levels), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{entry.name}.csv"'})


@pages.get("/reports/<name>/chart.svg")
@signed_in(*REPORT_ROLES)
def report_chart(name: str) -> Response:
    entry, asked, built = _built(name)
    if entry.chart is None:
        abort(404)
    return Response(entry.chart(asked, built), mimetype="image/svg+xml")
