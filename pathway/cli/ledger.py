"""``pathway ledger``: remake the distribution ledger from the event log, or checkpoint it.

The ledger is derived data (``pathway.store.ledger``): ``pathway check`` compares it with a
replay of the events; ``rebuild`` remakes it from them. ``checkpoint`` folds the changes
written since the last checkpoints into them (retaking only the checkpoints those changes
touch, and adding the new days), so past days stay a short sum: run it nightly. Both hold
back transitions on PostgreSQL while they write (seconds at 1M members).
"""

from __future__ import annotations

import time

import click

from pathway.config import Settings
from pathway.store import ledger as distribution_ledger
from pathway.store.db import unit_of_work


@click.group("ledger")
def ledger() -> None:
    """The distribution ledger behind as-of reports."""


@ledger.command("rebuild")
def rebuild() -> None:
    """Remake the ledger and its checkpoints from the event log."""
    config = Settings.from_env()
    started = time.perf_counter()
    with unit_of_work(config.database_url) as session:
        written = distribution_ledger.rebuild(session.connection(), config.timezone)
    click.echo(f"Distribution ledger rebuilt from the events: {written} change rows "
               f"in {time.perf_counter() - started:.1f} s.", err=True)


@ledger.command("checkpoint")
def checkpoint() -> None:
    """Bring the checkpoints up to the changes written since they were taken."""
    config = Settings.from_env()
    with unit_of_work(config.database_url) as session:
        taken = distribution_ledger.take_checkpoints(session.connection())
    click.echo(f"{taken} checkpoints taken.", err=True)
