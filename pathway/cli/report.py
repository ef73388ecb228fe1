"""``pathway report NAME``: any report to stdout, as CSV or JSON.

Whoever runs the command can read the database, but what it prints tends to travel (a
spreadsheet, a paper for the board): by default it reads as a viewer with every unit in
scope, so leavers' feedback and member references are left out; ``--member-data`` includes
them, as an admin would see them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

from pathway import clock
from pathway.config import Settings
from pathway.errors import PathwayError
from pathway.people.access import Caller
from pathway.reports import NAMES
from pathway.reports.attrition import attrition
from pathway.reports.distribution import level_distribution
from pathway.reports.export import as_csv
from pathway.reports.progression import INTERVALS, progression
from pathway.reports.scope import period_for, scope_for
from pathway.reports.summary import summary
from pathway.reports.time_in_level import time_in_level
from pathway.store.db import unit_of_work
from workflows.schema import MEMBER_KINDS

# Which options each report reads; any other option given is a usage error, not ignored.
ACCEPTS = {"level-distribution": {"as_of", "unit", "kind"},
           "progression": {"start", "end", "interval", "unit", "kind"},
           "time-in-level": {"unit", "kind"},
           "attrition": {"start", "end", "unit", "kind"},
           "summary": {"start", "end", "unit"}}
OPTION_NAMES = {"as_of": "--as-of", "start": "--from", "end": "--to", "interval": "--interval",
                "unit": "--unit", "kind": "--kind"}
DAY = click.DateTime(formats=["%Y-%m-%d"])


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def run_report(name: str, session: Any, caller: Caller, settings: Settings,
               options: dict[str, Any], suppress: bool) -> dict[str, Any]:
    """Build one report, as the API would for ``caller``."""
    zone = settings.timezone
    scope = scope_for(session, caller, unit=options.get("unit"), kind=options.get("kind"),
                      suppress=suppress)
    if name == "level-distribution":
        return level_distribution(session, scope, zone, as_of=options.get("as_of"))
    if name == "time-in-level":
        return time_in_level(session, scope, clock.now())
    period = period_for(options.get("start"), options.get("end"), zone)
    if name == "progression":
        return progression(session, scope, period, options.get("interval") or "month")
    if name == "attrition":
        return attrition(session, scope, period)
    return summary(session, scope, period, clock.now())


@click.command("report")
@click.argument("name", type=click.Choice(NAMES))
@click.option("--format", "output", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--as-of", "as_of", type=DAY, help="level-distribution: the end of this day.")
@click.option("--from", "start", type=DAY, help="First day of the period.")
@click.option("--to", "end", type=DAY, help="Last day of the period (default: today).")
@click.option("--interval", type=click.Choice(INTERVALS), help="progression: default month.")
@click.option("--unit", help="A unit code.")
@click.option("--kind", type=click.Choice(MEMBER_KINDS))
@click.option("--suppress", is_flag=True,
              help="Hide counts 1-7 and round the rest to 5 (for publication).")
@click.option("--member-data", is_flag=True,
              help="Include leavers' feedback and member references (admin's view).")
def report(name: str, output: str, as_of: datetime | None, start: datetime | None,
           end: datetime | None, interval: str | None, unit: str | None, kind: str | None,
           suppress: bool, member_data: bool) -> None:
    """Write report NAME to stdout."""
    given = {key: value for key, value in {
        "as_of": as_of.date() if as_of else None, "start": start.date() if start else None,
        "end": end.date() if end else None, "interval": interval, "unit": unit,
        "kind": kind}.items() if value}
    refused = sorted(OPTION_NAMES[key] for key in given if key not in ACCEPTS[name])
    if refused:
        raise click.UsageError(f"{name} does not take {', '.join(refused)}.")
    settings = Settings.from_env()
    caller = Caller(user_id=0, name="pathway report", role="admin" if member_data else "viewer",
                    all_units=True, unit_ids=frozenset())
    try:
        with unit_of_work(settings.database_url, write=False) as session:
            built = run_report(name, session, caller, settings, given, suppress)
    except PathwayError as error:
        raise click.ClickException(error.message) from error
    if output == "csv":
        click.echo(as_csv(name, built), nl=False)
    else:
        click.echo(json.dumps(built, default=_json_default, indent=2))
