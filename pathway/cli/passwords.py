"""Passwords for signing in to the pages: set one, and the demo's sign-ins for `make run`."""

from __future__ import annotations

import sys

import click

from pathway.cli import fail, settings
from pathway.errors import PathwayError
from pathway.people import sign_in
from pathway.store.db import unit_of_work


def read_password_stdin() -> str:
    """The first line of standard input, without its line ending (never echoed or logged)."""
    return sys.stdin.readline().rstrip("\r\n")


def store_password(name_or_id: str, password: str) -> None:
    try:
        with unit_of_work(settings().database_url) as session:
            user = sign_in.find_user(session, name_or_id)
            sign_in.set_password(session, user, password)
            click.echo(f"Set the password for {user.name} (user {user.id}); they sign in as "
                       f"{sign_in.normalise(user.name)!r}.", err=True)
    except PathwayError as error:
        fail(error)


@click.command("set-password")
@click.argument("name_or_id")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def set_password(name_or_id: str, password_stdin: bool) -> None:
    """Set a user's password for the pages (asked twice, without echo, unless --password-stdin)."""
    if password_stdin:
        password = read_password_stdin()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    store_password(name_or_id, password)


@click.command("sign-ins")
@click.option("--url", default=None, help="Where the service answers (for the message).")
def demo_sign_ins(url: str | None) -> None:
    """A fresh password for each demo role's user (earlier ones stop working)."""
    from pathway.ops.demo_sign_ins import fresh_sign_ins

    try:
        with unit_of_work(settings().database_url) as session:
            made = fresh_sign_ins(session)
    except PathwayError as error:
        fail(error)
    if url:
        click.echo(f"Open {url} in a browser and sign in:")
    for demo in made:
        click.echo(f"Sign in as {demo.username} with password {demo.password}")
