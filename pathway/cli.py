"""The ``pathway`` command line (click; Flask's ``flask --app api`` exposes the same group)."""

from __future__ import annotations

import os
import sys

import click

from pathway import migrate
from pathway.config import Settings
from pathway.db import unit_of_work
from pathway.errors import PathwayError


def settings() -> Settings:
    return Settings.from_env()


def fail(error: PathwayError) -> None:
    raise click.ClickException(error.message)


@click.group(help="Pathway: co-production pathways for Rehabilitation & Recovery services.")
def cli() -> None:
    """The command group."""


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the latest version."""
    url = settings().database_url
    migrate.upgrade(url)
    click.echo("Database is up to date.", err=True)


@cli.group()
def users() -> None:
    """People who use the service, and their tokens."""


@users.command("create")
@click.argument("name")
@click.option("--role", required=True,
              type=click.Choice(["admin", "coordinator", "training_lead", "viewer", "member"]))
@click.option("--unit", "units", multiple=True, help="A unit code in scope (repeatable).")
@click.option("--all-units", is_flag=True, help="Scope to every unit.")
@click.option("--member", "member_id", type=int, help="The member a member-role user is.")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None,
              help="The token stops working after this many days.")
def users_create(name: str, role: str, units: tuple[str, ...], all_units: bool,
                 member_id: int | None, expires_in_days: int | None) -> None:
    """Create a user; the token is printed once, alone on the last line."""
    from pathway.users import create_user

    try:
        with unit_of_work(settings().database_url) as session:
            user, token = create_user(session, name, role, unit_codes=list(units),
                                      all_units=all_units, member_id=member_id,
                                      expires_in_days=expires_in_days)
            scope = "all units" if all_units else (", ".join(units) or "-")
            click.echo(f"Created {role} {name!r} (user {user.id}, scope: {scope}). "
                       "The token is shown once; store it safely.", err=True)
    except PathwayError as error:
        fail(error)
    click.echo(token)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int,
              show_default="5000 or $PORT")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1))
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the production server (gunicorn, gthread workers)."""
    args = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
            "--workers", str(workers), "--threads", str(threads), "--bind", f"{host}:{port}",
            "--access-logfile", "-", "--access-logformat",
            '{"request":"%(m)s %(U)s","status":%(s)s,"ms":%(M)s}',
            "--limit-request-line", "8190", "--graceful-timeout", "10",
            "api.wsgi:app"]
    os.execv(sys.executable, args)  # noqa: S606 (replace this process with gunicorn)


# Commands that live beside what they work on; each module adds one line here.


def main() -> None:
    cli()
