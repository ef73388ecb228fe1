"""``pathway report NAME``: any report of the registry to stdout, as CSV, JSON or SVG.

Whoever runs the command can read the database, but what it prints tends to travel (a
spreadsheet, a paper for the board): by default it leaves leavers' feedback and member
references out; ``--member-data`` includes them, as an admin would see them (and the
readiness list, which names members, needs it).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

import workflows
from pathway.config import Settings
from pathway.errors import PathwayError
from pathway.people.access import Caller
from pathway.reports.registry import CHOICE, DAY, REPORTS, NotForThisReport, Parameter, run
from pathway.store.db import unit_of_work

FORMATS = ("csv", "json", "svg")


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _options() -> dict[str, Parameter]:
    """Every parameter of every report, once, by key (one CLI option each)."""
    found: dict[str, Parameter] = {}
    for report in REPORTS.values():
        for parameter in report.parameters:
            found.setdefault(parameter.key, parameter)
    return found


def _click_option(parameter: Parameter) -> Any:
    users = ", ".join(r.name for r in REPORTS.values() if r.accepts(parameter.key))
    help_text = f"{users}: {parameter.description}"
    if parameter.type == DAY:
        kind: Any = click.DateTime(formats=["%Y-%m-%d"])
    elif parameter.type == CHOICE:
        kind = click.Choice(parameter.choices)
    else:
        kind = str
    return click.option(parameter.option, parameter.key, type=kind, help=help_text)


def _with_report_options(command: Any) -> Any:
    for parameter in reversed(list(_options().values())):
        command = _click_option(parameter)(command)
    return command


@click.command("report")
@click.argument("name", type=click.Choice(list(REPORTS)))
@click.option("--format", "output", type=click.Choice(FORMATS), default="csv",
              show_default=True, help="svg: the report's chart, where it has one.")
@_with_report_options
@click.option("--suppress", is_flag=True,
              help="Hide counts 1-7 and round the rest to 5 (for publication).")
@click.option("--member-data", is_flag=True,
              help="Include leavers' feedback and member references (admin's view).")
def report(name: str, output: str, suppress: bool, member_data: bool, **options: Any) -> None:
    """Write report NAME to stdout."""
    chosen = REPORTS[name]
    if output not in chosen.formats:
        raise click.UsageError(f"{name} has no {output} form; it has: "
                               f"{', '.join(chosen.formats)}.")
    given = {key: value.date() if isinstance(value, datetime) else value
             for key, value in options.items() if value}
    for parameter in chosen.parameters:
        if parameter.required and parameter.key not in given:
            raise click.UsageError(f"{name} needs {parameter.option}.")
    settings = Settings.from_env()
    catalogue = workflows.load(settings.workflows)
    # The operator reads every unit; member data only when asked for.
    caller = Caller(user_id=0, name="pathway report", role="admin", all_units=True,
                    unit_ids=frozenset())
    try:
        with unit_of_work(settings.database_url, write=False) as session:
            chosen, asked, built = run(name, session, catalogue, caller, settings.timezone,
                                       given, suppress=suppress, member_data=member_data)
            if output == "svg" and chosen.chart is not None:
                click.echo(chosen.chart(asked, built.report), nl=False)
                return
    except NotForThisReport as refused:
        options_by_key = _options()
        raise click.UsageError(f"{name} does not take "
                               f"{', '.join(sorted(options_by_key[k].option for k in refused.keys))}."
                               ) from refused
    except PathwayError as error:
        raise click.ClickException(error.message) from error
    if output == "csv":
        click.echo(chosen.csv(built.report, asked.levels), nl=False)
    else:
        click.echo(json.dumps(built.report, default=_json_default, indent=2))
