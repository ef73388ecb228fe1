"""Units overview and a unit's members: the coordinator's home."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, url_for

from api.access import note_reads
from api.context import catalogue, zone
from api.pages import pages
from api.pages.session import current_caller, db_session, signed_in
from pathway import clock
from pathway.people.access import RECORD_READERS
from pathway.people.units import unit_by_code
from pathway.people.units_overview import unit_members, units_overview
from pathway.reports import registry
from pathway.reports.vocabulary import levels_of
from pathway.store.paging import paginate
from workflows.schema import MEMBER_KINDS, PATHWAY_STATUSES

PAGE_SIZE = 25
STATUSES = PATHWAY_STATUSES


@pages.get("/units")
@signed_in(*RECORD_READERS)
def units() -> str:
    caller = current_caller()
    overview = units_overview(db_session(), caller, clock.now(), MEMBER_KINDS,
                              levels_of(catalogue()))
    # The waiting list names members: audited as the summary report's waiting list is.
    note_reads((w.member_id for w in overview.waiting), "summary_waiting")
    return render_template("pages/units.html", overview=overview, kinds=MEMBER_KINDS)


@pages.get("/units/chart.svg")
@signed_in(*RECORD_READERS)
def units_chart() -> Response:
    chart, asked, built = registry.run("level-distribution", db_session(), catalogue(),
                                       current_caller(), zone(), {})
    assert chart.chart is not None  # the level distribution is drawn
    return Response(chart.chart(asked, built.report), mimetype="image/svg+xml")


@pages.get("/units/<code>")
@signed_in(*RECORD_READERS)
def unit(code: str) -> str:
    caller = current_caller()
    found = unit_by_code(db_session(), code, caller)  # out of scope: NotFound, the 404 page
    filters = {name: request.args.get(name, "").strip() for name in
               ("kind", "level", "status", "reference")}
    levels = _levels()
    if filters["kind"] not in ("", *MEMBER_KINDS):
        filters["kind"] = ""
    if filters["level"] not in ("", *levels):
        filters["level"] = ""
    if filters["status"] not in ("", *STATUSES):
        filters["status"] = ""
    page_number = request.args.get("page", "1")
    page_number_int = int(page_number) if page_number.isdigit() and int(page_number) > 0 else 1
    statement = unit_members(caller, found.id, kind=filters["kind"] or None,
                             level=filters["level"] or None, status=filters["status"] or None,
                             reference=filters["reference"] or None)
    page = paginate(db_session(), statement, page_number_int, PAGE_SIZE, scalars=False)
    if page.total and not page.items:
        abort(404)
    note_reads((m.id for m, _ in page.items), "list")
    last = max(1, -(-page.total // PAGE_SIZE))
    kept: dict[str, Any] = {k: v for k, v in filters.items() if v}
    return render_template(
        "pages/unit.html", unit=found, page=page, filters=filters, levels=levels,
        kinds=MEMBER_KINDS, statuses=STATUSES, last_page=last,
        previous_url=url_for("pages.unit", code=code, page=page.page - 1, **kept)
        if page.page > 1 else None,
        next_url=url_for("pages.unit", code=code, page=page.page + 1, **kept)
        if page.page < last else None)


def _levels() -> tuple[str, ...]:
    """Every level any kind's pathway has, in pathway order."""
    seen: dict[str, None] = {}
    for kind in MEMBER_KINDS:
        for level in catalogue().pathway_for(kind).levels:
            seen.setdefault(level.code, None)
    return tuple(seen)
