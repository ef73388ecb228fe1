"""Fixtures: every database-backed test runs on SQLite and on a real PostgreSQL.

Each test run creates its own PostgreSQL database and drops it afterwards; between tests the
tables are emptied, so tests may commit as the app does.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

import workflows
from pathway.engine import Actor
from pathway.people.members import register_member
from pathway.people.units import create_unit
from pathway.people.users import create_user
from pathway.store import migrate
from pathway.store.db import engine_for, unit_of_work
from pathway.store.models import Base, Member, Unit

PG_ADMIN_URL = os.environ.get("PATHWAY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TZ = __import__("zoneinfo").ZoneInfo("Europe/London")
SYSTEM = Actor(name="test", role="admin")


def postgres_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def require_postgres() -> None:
    """Skip a PostgreSQL run where there is none, except under CI, where that fails."""
    if not postgres_answers():
        if os.environ.get("PATHWAY_REQUIRE_POSTGRES") == "true":
            pytest.fail("PostgreSQL is required (CI) but does not answer on 127.0.0.1:5432")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")


def create_pg_database() -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"pathway_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        engine_for(url).dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    """A migrated database of each kind for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'pathway.db'}"
        migrate.upgrade(url)
        yield url
        return
    require_postgres()
    url, drop = create_pg_database()
    migrate.upgrade(url)
    yield url
    drop()


@pytest.fixture
def db_url(database_url: str) -> Iterator[str]:
    """The run's database, emptied after each test."""
    yield database_url
    engine = engine_for(database_url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def catalogue() -> workflows.Catalogue:
    return workflows.load()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    with unit_of_work(db_url) as s:
        yield s


@pytest.fixture
def app(db_url: str):  # type: ignore[no-untyped-def]
    from api import create_app

    return create_app({"DATABASE_URL": db_url, "TESTING": True})


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def unit(db_url: str) -> Callable[..., str]:
    """Make a unit and return its code."""

    def make(code: str = "cefn-yr-afon", kind: str = "open_rehab", name: str | None = None) -> str:
        with unit_of_work(db_url) as s:
            create_unit(s, code, name or code.replace("-", " ").title(), kind, "Bridgend")
        return code

    return make


@pytest.fixture
def member(db_url: str, catalogue: workflows.Catalogue) -> Callable[..., int]:
    """Register a member and return their id."""
    counter = iter(range(1, 10_000))

    def make(kind: str = "service_user", unit: str = "cefn-yr-afon", *,
             reference: str | None = None, joined_on: date | None = date(2026, 1, 5),
             **extra: Any) -> int:
        with unit_of_work(db_url) as s:
            if s.query(Unit).filter_by(code=unit).first() is None:
                create_unit(s, unit, unit.title(), "open_rehab")
            m: Member = register_member(s, catalogue, SYSTEM, reference=reference or
                                        f"{kind[:2].upper()}-{next(counter):04d}", kind=kind,
                                        unit=unit, joined_on=joined_on, zone=TZ, **extra)
            return m.id

    return make


@pytest.fixture
def token(db_url: str) -> Callable[..., str]:
    """Create a user with a role (and scope) and return the bearer token."""

    def make(role: str = "admin", *, units: list[str] | None = None, all_units: bool = False,
             member_id: int | None = None, name: str | None = None) -> str:
        if role in ("coordinator", "training_lead", "viewer") and not units:
            all_units = True
        with unit_of_work(db_url) as s:
            _, secret = create_user(s, name or f"{role}-user", role, unit_codes=units,
                                    all_units=all_units, member_id=member_id)
        return secret

    return make


@pytest.fixture
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Headers for a new user of that role: ``client.get(url, headers=auth('coordinator'))``."""

    def make(role: str = "admin", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(role, **kwargs)}"}

    return make


ROOT = Path(__file__).resolve().parent.parent
