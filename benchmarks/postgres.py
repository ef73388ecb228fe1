"""The run's own PostgreSQL database: created at the start, dropped at the end."""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url

from benchmarks.dataset import psycopg_conninfo
from benchmarks.settings import BenchSettings


def _admin(config: BenchSettings) -> psycopg.Connection:
    return psycopg.connect(psycopg_conninfo(config.pg_admin_url), autocommit=True)


def create(config: BenchSettings, suffix: str = "") -> str:
    """A fresh, empty database; answers its SQLAlchemy URL."""
    drop(config, suffix)
    name = config.pg_database + suffix
    with _admin(config) as db:
        db.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return make_url(config.pg_admin_url).set(database=name).render_as_string(
        hide_password=False)


def drop(config: BenchSettings, suffix: str = "") -> None:
    with _admin(config) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{config.pg_database + suffix}" WITH (FORCE)')  # type: ignore[arg-type]


def server_version(config: BenchSettings) -> str:
    with _admin(config) as db:
        row = db.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "unknown"
