"""The ``pathway`` command line (click; Flask's ``flask --app api`` exposes the same group)."""

from __future__ import annotations

import csv
import gc
import getpass
import importlib
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import click
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import workflows
from pathway import clock
from pathway.config import Settings
from pathway.engine import Actor
from pathway.errors import PathwayError
from pathway.memory import cycle_collector_paused
from pathway.people.access import ACTIONS, ROLE_TABLE, ROLES
from pathway.store.db import bulk_unit_of_work, close_engines, unit_of_work
from pathway.store.models import User
from workflows.schema import DefinitionError


def settings() -> Settings:
    return Settings.from_env()


def fail(error: PathwayError) -> None:
    raise click.ClickException(error.message)


class _Commands(click.Group):
    """The group, with some commands imported only when they are run or listed.

    ``pathway report`` builds its options from the report registry, which draws charts with
    matplotlib: importing it for every command cost about a second of start-up (an import of
    100,000 members took 2 s before reading a line).
    """

    lazy: ClassVar[dict[str, tuple[str, str]]] = {"report": ("pathway.cli.report", "report")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, name = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands,
             help="Pathway: co-production pathways for Rehabilitation & Recovery services.")
def cli() -> None:
    """The command group."""


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the latest version."""
    from pathway.store import migrate  # alembic: only this command needs it

    url = settings().database_url
    before = migrate.current(url)
    migrate.upgrade(url)
    after = migrate.current(url)
    if not before:
        click.echo(f"Created the database schema (revision {after}).", err=True)
    elif before != after:
        click.echo(f"Upgraded the database schema from revision {before} to {after}.", err=True)
    else:
        click.echo(f"The database schema is up to date (revision {after}).", err=True)


@cli.group()
def users() -> None:
    """People who use the service, and their tokens."""


@users.command("create")
@click.argument("name")
@click.option("--role", required=True,
              type=click.Choice(ROLES))
@click.option("--unit", "units", multiple=True, help="A unit code in scope (repeatable).")
@click.option("--all-units", is_flag=True, help="Scope to every unit.")
@click.option("--member", "member_id", type=int, help="The member a member-role user is.")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None,
              help="The token stops working after this many days.")
@click.option("--password-stdin", is_flag=True,
              help="Also set a password for the pages, read from the first line of stdin.")
def users_create(name: str, role: str, units: tuple[str, ...], all_units: bool,
                 member_id: int | None, expires_in_days: int | None,
                 password_stdin: bool) -> None:
    """Create a user; the token is printed once, alone on the last line."""
    from pathway.cli.passwords import read_password_stdin
    from pathway.people.sign_in import set_password
    from pathway.people.users import create_user

    password = read_password_stdin() if password_stdin else None
    try:
        with unit_of_work(settings().database_url) as session:
            user, token = create_user(session, name, role, unit_codes=list(units),
                                      all_units=all_units, member_id=member_id,
                                      expires_in_days=expires_in_days)
            if password is not None:
                set_password(session, user, password)
            scope = "all units" if all_units else (", ".join(units) or "-")
            click.echo(f"Created {role} {name!r} (user {user.id}, scope: {scope}). "
                       "The token is shown once; store it safely.", err=True)
    except PathwayError as error:
        fail(error)
    click.echo(token)


def _when(moment: datetime | None) -> str:
    return clock.as_utc(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _scope(user: User) -> str:
    if user.role == "member":
        return f"member {user.member_id}"
    if user.all_units:
        return "all units"
    return ", ".join(sorted(u.code for u in user.units)) or "-"


@users.command("list")
def users_list() -> None:
    """Everyone with a token: role, scope and dates (never a token or its hash)."""
    with unit_of_work(settings().database_url, write=False) as session:
        rows = [(str(u.id), u.name, u.role, _scope(u), _when(u.created_at), _when(u.expires_at),
                 _when(u.revoked_at), _when(u.last_used_at))
                for u in session.scalars(select(User).order_by(User.id))]
    header = ("id", "name", "role", "scope", "created", "expires", "revoked", "last used")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                   .rstrip())
    click.echo(f"{len(rows)} user{'s' if len(rows) != 1 else ''}.", err=True)


@users.command("revoke")
@click.argument("name_or_id")
def users_revoke(name_or_id: str) -> None:
    """Revoke a user's token by id, or by name when one active user has it."""
    with unit_of_work(settings().database_url) as session:
        user = session.get(User, int(name_or_id)) if name_or_id.isdigit() else None
        if user is None:
            named = list(session.scalars(select(User).where(User.name == name_or_id)
                                         .order_by(User.id)))
            active = [u for u in named if u.revoked_at is None]
            if len(active) > 1:
                ids = ", ".join(str(u.id) for u in active)
                raise click.ClickException(f"{len(active)} active users are named "
                                           f"{name_or_id!r} (ids {ids}); revoke one by id.")
            user = (active or named)[-1] if named else None
        if user is None:
            raise click.ClickException(f"There is no user {name_or_id!r}.")
        if user.revoked_at is not None:
            click.echo(f"User {user.id} ({user.name}) was already revoked on "
                       f"{_when(user.revoked_at)}.")
            return
        user.revoked_at = clock.now()
        click.echo(f"Revoked user {user.id} ({user.name}, {user.role}): the token no longer "
                   "works.")


@cli.group("demo", invoke_without_command=True)
@click.option("--if-empty", is_flag=True,
              help="Do nothing (exit 0) when the database already holds units or members.")
@click.option("--seed", type=int, default=None, help="Another seed tells other stories.")
@click.pass_context
def demo_command(context: click.Context, if_empty: bool, seed: int | None) -> None:
    """Load the paper's service and ~150 synthetic members with 18 months of history."""
    if context.invoked_subcommand is not None:
        return
    import workflows
    from pathway.ops import demo

    config = settings()
    with unit_of_work(config.database_url) as session:
        if not demo.database_is_empty(session):
            message = ("The database already holds units or members; the demo loads only "
                       "into an empty database.")
            if if_empty:
                click.echo(f"{message} Leaving it as it is.", err=True)
                return
            raise click.ClickException(message)
        summary = demo.load(session, workflows.load(config.workflows), config.timezone,
                            seed=demo.SEED if seed is None else seed)
    click.echo(str(summary))


@demo_command.command("token")
@click.option("--url", default=None, help="Where the service answers (for the message).")
def demo_token(url: str | None) -> None:
    """A fresh token for the user 'demo-admin' (earlier ones are revoked)."""
    from pathway.ops import demo

    with unit_of_work(settings().database_url) as session:
        token, revoked = demo.admin_token(session)
    if revoked:
        click.echo(f"Revoked {revoked} earlier {demo.DEMO_ADMIN} token"
                   f"{'s' if revoked != 1 else ''}.", err=True)
    click.echo(f"Pathway is at {url or f'http://127.0.0.1:{settings().port}'}")
    click.echo(f"Demo admin token: {token}")


@cli.group("import")
def import_group() -> None:
    """Bulk imports from spreadsheet exports."""


@import_group.command("members")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_members(file: Path) -> None:
    """Import members from CSV: reference,kind,unit[,display_name,joined_on,level,status].

    All or nothing: every bad row is reported by line and field, and then nothing is written.
    """
    import workflows
    from pathway.ops import importer

    config = settings()
    catalogue = workflows.load(config.workflows)
    actor = Actor(name=f"import by {_os_user()}", role="admin")
    started = time.perf_counter()

    # One pause of the cycle collector from the file to the commit, ended once the rows are
    # gone: resumed between the steps, its first pass walked every cell of a million rows
    # (a third of a second) for objects that hold no cycles.
    @cycle_collector_paused()
    def load() -> importer.ImportResult:
        with bulk_unit_of_work(config.database_url) as session:
            rows = importer.validate(session, catalogue, config.timezone,
                                     importer.read_csv(file))
            if not sys.stderr.isatty():
                return importer.write(session, catalogue, actor, config.timezone, rows)
            with click.progressbar(length=len(rows), label="Importing members",
                                   file=sys.stderr) as bar:
                return importer.write(session, catalogue, actor, config.timezone, rows,
                                      bar.update)

    try:
        result = load()
    except importer.ImportRefused as refused:
        for fault in refused.faults:
            click.echo(f"{file.name}: {fault}", err=True)
        raise click.ClickException(f"{len(refused.faults)} problem"
                                   f"{'s' if len(refused.faults) != 1 else ''} in {file.name}; "
                                   "nothing was imported.") from None
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file.name} is not UTF-8 text ({exc.reason} at byte "
                                   f"{exc.start}); save it as CSV UTF-8.") from None
    except csv.Error as exc:
        raise click.ClickException(f"{file.name} is not readable CSV: {exc}.") from None
    except IntegrityError:
        raise click.ClickException("Another import or registration added one of these "
                                   "references meanwhile; nothing was imported. Run it again "
                                   "to see which.") from None
    seconds = time.perf_counter() - started
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(result.by_kind.items())) or "none"
    click.echo(f"Imported {result.members} members ({kinds}) in {seconds:.2f} s "
               f"({result.members / seconds:,.0f} members/s).")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@cli.command("roles")
def roles_command() -> None:
    """The roles and what each may do (the table the API checks every request against)."""
    for role in ROLE_TABLE:
        scope = ("own record" if role.own_record else "units given" if role.scoped
                 else "every unit")
        may = ", ".join(action for action in ACTIONS if action in role.may)
        click.echo(f"{role.name:<14} {scope:<12} {may}")
        click.echo(f"{'':<14} {role.summary}")


@cli.command("check")
def check_command() -> None:
    """Replay every instance's events; exit 0 only when every instance agrees with its log."""
    import workflows
    from pathway.ops import integrity

    config = settings()
    with unit_of_work(config.database_url, write=False) as session:
        report = integrity.check(session, workflows.load(config.workflows), config.timezone)
    for problem in [*report.problems, *report.ledger, *report.proposals]:
        click.echo(str(problem))
    click.echo(report.summary())
    if not report.holds:
        sys.exit(1)


# gunicorn's default and largest allowed request line, in bytes.
REQUEST_LINE_LIMIT = 8190


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: settings().port, type=int,
              show_default="5000 or $PORT")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1))
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the production server (gunicorn, gthread workers)."""
    try:
        workflows.load(settings().workflows)
    except DefinitionError as error:
        # Refuse before any worker boots: a half-configured service never serves.
        raise click.ClickException(str(error)) from error
    args = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
            "--workers", str(workers), "--threads", str(threads), "--bind", f"{host}:{port}",
            "--access-logfile", "-", "--access-logformat",
            '{"request":"%(m)s %(U)s","status":%(s)s,"ms":%(M)s}',
            # gunicorn refuses request lines past its default limit at once (its own 414:
            # reading an unbounded line costs time for everyone); shorter but still long
            # addresses reach the app, which answers in the API's JSON shape (api.intake).
            "--limit-request-line", str(REQUEST_LINE_LIMIT),
            "--limit-request-field_size", "65536",
            "--graceful-timeout", "10",
            "api.wsgi:app"]
    os.execv(sys.executable, args)  # noqa: S606 (replace this process with gunicorn)


# Commands that live beside what they work on; each module adds one line here.
from pathway.cli.backup import backup, restore  # noqa: E402 (after the group they join)
from pathway.cli.ledger import ledger  # noqa: E402

cli.add_command(backup)
cli.add_command(restore)
cli.add_command(ledger)

# Passwords for the pages.
from pathway.cli.passwords import demo_sign_ins, set_password  # noqa: E402

users.add_command(set_password)
demo_command.add_command(demo_sign_ins)


def main() -> None:
    try:
        cli()
    finally:
        # The interpreter's last collections walk every object of the modules loaded
        # (SQLAlchemy's alone are many) to free memory the process is about to hand back:
        # a tenth of a second on every command. The connections are closed first, so each
        # database sees a clean goodbye; the collector is then left nothing to walk.
        close_engines()
        gc.freeze()
