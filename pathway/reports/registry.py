"""Every report, declared once: its name, what it is, the parameters it takes, how it is built,
written as CSV and (for some) drawn as a chart.

The API (``api/reports.py``), the command line (``pathway report``) and, next, the web pages
serve reports from ``REPORTS`` and nothing else: a new report is a builder, one ``Report``
entry here and its tests (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.errors import InvalidInput, PathwayError
from pathway.people.access import Caller
from pathway.programme.readiness import readiness_page
from pathway.reports import charts, export
from pathway.reports.attrition import attrition_read
from pathway.reports.distribution import level_distribution
from pathway.reports.involvement import involvement
from pathway.reports.progression import INTERVALS, progression
from pathway.reports.scope import Period, Scope, period_for, scope_for
from pathway.reports.summary import summary
from pathway.reports.time_in_level import time_in_level
from pathway.reports.vocabulary import Levels
from pathway.reports.voice import voice, voice_csv
from pathway.store.models import Member, Unit
from workflows.schema import MEMBER_KINDS, Catalogue

DAY, CHOICE, TEXT = "day", "choice", "text"
READINESS_PAGE = 500  # members per page while the readiness list is gathered


@dataclass(frozen=True)
class Parameter:
    """One thing a report may be asked for: ``key`` in the options a builder reads, ``name``
    as the API's query string spells it (the CLI option is ``--name``)."""

    key: str
    name: str
    type: str  # DAY (YYYY-MM-DD), CHOICE (one of ``choices``) or TEXT
    description: str
    choices: tuple[str, ...] = ()
    default: str | None = None
    required: bool = False

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


UNIT = Parameter("unit", "unit", TEXT, "A unit code in your scope (unknown -> 404).")
KIND = Parameter("kind", "kind", CHOICE, "Only members of this kind.", choices=MEMBER_KINDS)
AS_OF = Parameter("as_of", "as_of", DAY,
                  "Count the state at the end of this day (service time zone), from the event "
                  "log, each member in the unit they were in then. Absent: now.")
FROM = Parameter("start", "from", DAY,
                 "First day (default: the first of the month eleven months before `to`).")
TO = Parameter("end", "to", DAY, "Last day (default: today).")
INTERVAL = Parameter("interval", "interval", CHOICE, "Points of the series: the end of each.",
                     choices=INTERVALS, default="month")
AWARD = Parameter("award", "award", TEXT, "An award code: members ready (or not) for it.",
                  required=True)


@dataclass(frozen=True)
class Asked:
    """One request for a report: who asks (the scope), with which options, and when."""

    session: Session
    catalogue: Catalogue
    scope: Scope
    zone: ZoneInfo
    options: Mapping[str, Any]
    now: datetime = field(default_factory=clock.now)

    @property
    def period(self) -> Period:
        return period_for(self.options.get("start"), self.options.get("end"), self.zone)

    @property
    def levels(self) -> Levels:
        return self.scope.levels


@dataclass(frozen=True)
class Built:
    """A report, and whose records it shows (member id -> what for), for the access log."""

    report: dict[str, Any]
    reads: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    name: str
    title: str  # one line: what it answers
    description: str
    parameters: tuple[Parameter, ...]
    build: Callable[[Asked], Built]
    csv: Callable[[dict[str, Any], Levels], str]
    chart: Callable[[Asked, dict[str, Any]], str] | None = None
    lists_members: bool = False  # names members: only for roles that read member records
    http: bool = True  # served under /reports/<name> (readiness has its own /readiness)

    @property
    def formats(self) -> tuple[str, ...]:
        return ("json", "csv", "svg") if self.chart else ("json", "csv")

    def accepts(self, key: str) -> bool:
        return any(parameter.key == key for parameter in self.parameters)


# --- builders: one call to the report's module each -------------------------------------------

def _distribution(asked: Asked) -> Built:
    return Built(level_distribution(asked.session, asked.scope, asked.zone,
                                    as_of=asked.options.get("as_of")))


def _progression(asked: Asked) -> Built:
    return Built(progression(asked.session, asked.scope, asked.period,
                             asked.options.get("interval") or INTERVAL.default or ""))


def _time_in_level(asked: Asked) -> Built:
    return Built(time_in_level(asked.session, asked.scope, asked.now))


def _attrition(asked: Asked) -> Built:
    report, said_by = attrition_read(asked.session, asked.scope, asked.period)
    return Built(report, dict.fromkeys(said_by, "attrition_feedback"))


def _summary(asked: Asked) -> Built:
    report = summary(asked.session, asked.scope, asked.period, asked.now)
    references = [row["reference"] for row in report["waiting_longest"]]
    return Built(report, _ids_of(asked.session, references, "summary_waiting"))


def _readiness(asked: Asked) -> Built:
    """Every page of the readiness list, gathered: the one place reports call readiness."""
    scope = asked.scope
    unit_id = scope.unit.id if scope.unit is not None else None
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        found = readiness_page(asked.session, asked.catalogue, scope.caller, asked.zone,
                               page=page, page_size=READINESS_PAGE,
                               award=asked.options.get("award"), unit_id=unit_id)
        items += found.items
        if page * READINESS_PAGE >= found.total:
            break
        page += 1
    report = {**scope.echo(), "award": asked.options.get("award"), "items": items}
    return Built(report, dict.fromkeys((item["member_id"] for item in items),
                                       "readiness_list"))


def _involvement(asked: Asked) -> Built:
    return Built(involvement(asked.session, asked.scope, asked.period))
def _voice(asked: Asked) -> Built:
    return Built(voice(asked.session, asked.catalogue, asked.scope, asked.period))


def _ids_of(session: Session, references: list[str], action: str) -> dict[int, str]:
    if not references:
        return {}
    return dict.fromkeys(session.scalars(select(Member.id).where(
        Member.reference.in_(sorted(set(references))))), action)


# --- charts -----------------------------------------------------------------------------------

def chart_title(what: str, scope: Scope, when: str, unit_name: str | None = None) -> str:
    kind = f" – {scope.kind.replace('_', ' ')}s" if scope.kind else ""
    unit = (f" – {charts.unit_label(scope.unit.code, unit_name or scope.unit.name)}"
            if scope.unit else "")
    return f"{what}{unit}{kind}, {when}"


def _distribution_chart(asked: Asked, _: dict[str, Any]) -> str:
    """One bar per unit (kinds together), as of the day asked for or today."""
    as_of: date | None = asked.options.get("as_of")
    by_unit = level_distribution(asked.session, asked.scope, asked.zone, as_of=as_of,
                                 by_kind=False)
    codes = [row["unit"] for row in by_unit["rows"]]
    names = dict(asked.session.execute(select(Unit.code, Unit.name)
                                       .where(Unit.code.in_(codes))).all()) if codes else {}
    when = as_of.isoformat() if as_of else f"as of {clock.local_date(asked.now, asked.zone)}"
    return charts.distribution_chart(
        by_unit["rows"], asked.levels, unit_names=names, suppressed=asked.scope.suppress,
        title=chart_title("Members by level and status", asked.scope, when))


def _progression_chart(asked: Asked, report: dict[str, Any]) -> str:
    period = asked.period
    when = f"{period.start.isoformat()} to {period.end.isoformat()}"
    return charts.progression_chart(
        report["series"], asked.levels, suppressed=asked.scope.suppress,
        title=chart_title(f"Members by level, each {report['interval']}", asked.scope, when))


# --- the registry -----------------------------------------------------------------------------

REPORTS: dict[str, Report] = {report.name: report for report in (
    Report("level-distribution",
           "Members per unit and kind at each level, paused and exited, now or as of a day.",
           "", (UNIT, KIND, AS_OF), _distribution, export.level_distribution_csv,
           _distribution_chart),
    Report("progression",
           "The level distribution at the end of each week, month or quarter of a period.",
           "", (UNIT, KIND, FROM, TO, INTERVAL), _progression, export.progression_csv,
           _progression_chart),
    Report("time-in-level",
           "Days taken per step up (median, quartiles) and who is still waiting, and how long.",
           "", (UNIT, KIND), _time_in_level, export.time_in_level_csv),
    Report("attrition",
           "Exits in a period by reason, unit, kind and level; rejoin rate; leavers' feedback",
           "(only for roles that may read member records, never in suppressed reports).",
           (UNIT, KIND, FROM, TO), _attrition, export.attrition_csv),
    Report("summary",
           "For the strategy group: what moved in the period, the carer gap, the longest waits",
           "(references only for roles that may read member records) and all of it in words.",
           (UNIT, FROM, TO), _summary, export.summary_csv),
    Report("involvement",
           "Involvement for finance: sessions, hours, payments and expenses per unit and kind.",
           "Cancelled involvement is left out; payments are paid and voucher amounts.",
           (UNIT, KIND, FROM, TO), _involvement, export.involvement_csv),
    Report("voice",
           "Level moves in a period per unit and kind, by the member's latest view of each:",
           "agrees (yes), does not agree (no), not asked, or no view recorded (none).",
           (UNIT, KIND, FROM, TO), _voice, voice_csv),
    Report("readiness",
           "Members with their readiness for an award, by member: criteria met and unmet.",
           "", (AWARD, UNIT), _readiness, export.readiness_csv, lists_members=True,
           http=False),
)}


class MembersWithheld(PathwayError):
    """A report that lists members, asked for by (or for) figures only."""


class NotForThisReport(Exception):
    """Options given that the report does not take (named by ``Parameter.key``)."""

    def __init__(self, report: Report, keys: list[str]) -> None:
        self.report = report
        self.keys = keys
        super().__init__(f"{report.name} does not take {', '.join(keys)}")


def run(name: str, session: Session, catalogue: Catalogue, caller: Caller, zone: ZoneInfo,
        options: Mapping[str, Any], *, suppress: bool = False,
        member_data: bool = True) -> tuple[Report, Asked, Built]:
    """Build report ``name`` for ``caller`` with ``options`` (keys of its parameters; absent or
    None means not given). Refuses options the report does not take."""
    report = REPORTS[name]
    given = {key: value for key, value in options.items() if value is not None}
    extra = sorted(key for key in given if not report.accepts(key))
    if extra:
        raise NotForThisReport(report, extra)
    for parameter in report.parameters:
        if parameter.required and parameter.key not in given:
            raise InvalidInput(parameter.name, f"{report.name} needs {parameter.name}.")
    scope = scope_for(session, caller, unit=given.get("unit"), kind=given.get("kind"),
                      suppress=suppress, catalogue=catalogue, member_data=member_data)
    if report.lists_members and not scope.reads_member_data:
        raise MembersWithheld(f"The {report.name} report lists members: it is for roles that "
                              "read member records, unsuppressed.")
    asked = Asked(session=session, catalogue=catalogue, scope=scope, zone=zone, options=given)
    return report, asked, report.build(asked)
