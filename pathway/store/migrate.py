"""Schema changes go only through Alembic: upgrade to head, and check for drift."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from pathway.store.db import engine_for

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def current(url: str) -> str:
    """The database's revision(s), comma-separated; empty for a database without a schema."""
    with engine_for(url).connect() as connection:
        return ", ".join(sorted(MigrationContext.configure(connection).get_current_heads()))


def upgrade(url: str) -> None:
    """Create or migrate the schema to the latest revision."""
    command.upgrade(alembic_config(url), "head")


def check(url: str) -> None:
    """Raise if the models and the migrations disagree."""
    command.check(alembic_config(url))
