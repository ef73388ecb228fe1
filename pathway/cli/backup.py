"""`pathway backup FILE` and `pathway restore FILE` (see docs/OPERATIONS.md)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from pathway.config import Settings
from pathway.errors import PathwayError
from pathway.ops import backup as backups
from pathway.store import serving


def _database_url() -> str:
    return Settings.from_env().database_url


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Back up DATABASE_URL's database to FILE (safe while the service runs).

    SQLite: an online backup into a single file. PostgreSQL: pg_dump's custom format.
    """
    url = _database_url()
    try:
        done = backups.backup(url, file)
    except PathwayError as error:
        raise click.ClickException(error.message) from error
    click.echo(done.message, err=True)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@click.option("--force", is_flag=True,
              help="Restore even while a server has the database open (it keeps serving "
                   "what it had read; restart it afterwards).")
def restore(file: Path, yes: bool, force: bool) -> None:
    """Replace DATABASE_URL's database with the backup in FILE. Stop the service first.

    SQLite: the backup is copied into the database file. PostgreSQL: pg_restore --clean.
    Refused while a `pathway serve` has the database open, unless --force.
    """
    url = _database_url()
    if not force and serving.is_served(url):
        raise click.ClickException(
            f"A running server has {_shown(url)} open; stop it first (or, knowing it keeps "
            "running on what it had, use --force and restart it afterwards). Nothing was "
            "restored.")
    if not yes:
        click.confirm(f"This replaces everything in {_shown(url)} with {file}. Is the service "
                      "stopped, and do you want to go on?", abort=True, err=True)
    try:
        done = backups.restore(url, file)
    except PathwayError as error:
        raise click.ClickException(error.message) from error
    click.echo(done.message, err=True)
    click.echo("Next: 'pathway db upgrade' (if the backup is older than this version), then "
               "'pathway check', then start the service.", err=True)
