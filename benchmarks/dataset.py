"""Load a synthetic service into a migrated database, fast, on SQLite or PostgreSQL.

Units and the member plan go in from Python (executemany on SQLite, COPY on PostgreSQL);
members, pathway instances and their events are expanded by the database itself with
INSERT ... SELECT over the history templates. Secondary indexes are dropped for the load and
rebuilt afterwards, then the planner statistics are refreshed (ANALYZE).
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg
from sqlalchemy.engine import make_url

from benchmarks.histories import DAY, Planned, Template, plan, templates
from pathway import clock
from pathway.store import migrate
from workflows.machine import split_state

UNIT_KINDS = ("low_secure", "locked_rehab", "open_rehab", "step_down", "community",
              "prison_inreach", "other")
TEMPLATES_PER_KIND = 2_000
ACTOR = "bench generator"


@dataclass(frozen=True)
class Loaded:
    members: int
    events: int
    units: int
    seconds: float
    as_of: date  # a day with about half of all events before it
    ledger_seconds: float = 0.0  # filling the distribution ledger from the events (in seconds)


def unit_count(members: int) -> int:
    """A health board's handful of units at demo size; many boards at national scale."""
    return max(9, min(2_000, members // 1_000))


def load(url: str, members: int, catalogue, seed: int) -> Loaded:  # type: ignore[no-untyped-def]
    """Migrate ``url`` to head and fill it with ``members`` synthetic members and history."""
    started = time.perf_counter()
    migrate.upgrade(url)
    by_kind = templates(catalogue, TEMPLATES_PER_KIND, seed)
    units = unit_count(members)
    today = clock.today(clock_zone())
    planned = plan(members, units, by_kind, today, seed)
    every = [t for group in by_kind.values() for t in group]
    loader = _SqliteLoader(url) if url.startswith("sqlite") else _PostgresLoader(url)
    with loader.session():
        loader.drop_indexes()
        loader.insert_units(units)
        loader.insert_templates(every)
        loader.insert_plan(planned)
        loader.expand(units)
        loader.create_indexes()
        events = loader.count_events()
        loader.drop_scratch()
    loader.analyze()
    ledger_started = time.perf_counter()
    fill_ledger(url)
    loader.analyze_ledger()
    return Loaded(members, events, units, time.perf_counter() - started,
                  middle_day(planned, {t.id: t for t in every}),
                  time.perf_counter() - ledger_started)


def fill_ledger(url: str) -> None:
    """The events went in without the engine: derive the distribution ledger from them with
    the same SQL as ``pathway ledger rebuild``."""
    from pathway.store import ledger
    from pathway.store.db import engine_for

    engine = engine_for(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL work_mem = '512MB'")
        ledger.rebuild(connection, clock_zone())
    engine.dispose()


def clock_zone():  # type: ignore[no-untyped-def]
    from pathway.config import Settings

    return Settings.from_env().timezone


def middle_day(planned: list[Planned], by_id: dict[int, Template]) -> date:
    """The median effective day over a sample of members' events."""
    days = []
    for member in planned[:: max(1, len(planned) // 5_000)]:
        days += [member.joined_on + timedelta(days=s.offset_s // DAY)
                 for s in by_id[member.template_id].steps]
    return statistics.median_low(days)


def _template_rows(every: list[Template]) -> list[tuple]:  # type: ignore[type-arg]
    rows = []
    for t in every:
        level, status = split_state(t.final.to_state)
        rows.append((t.id, t.kind, t.workflow, t.definition_version, t.final.to_state, level,
                     status, t.final.seq, t.entered_offset_s, t.final.unit_step))
    return rows


def _step_rows(every: list[Template]) -> list[tuple]:  # type: ignore[type-arg]
    return [(t.id, s.seq, s.trigger, s.from_state, s.to_state, s.offset_s, s.at_delay_s,
             s.unit_step, s.exit_reason) for t in every for s in t.steps]


SCRATCH = {
    "bench_templates": "template_id INTEGER PRIMARY KEY, kind VARCHAR(32), workflow VARCHAR(96), "
                       "definition_version INTEGER, state VARCHAR(64), level VARCHAR(32), "
                       "status VARCHAR(16), version INTEGER, entered_offset INTEGER, "
                       "unit_step INTEGER",
    "bench_steps": "template_id INTEGER, seq INTEGER, trigger VARCHAR(64), from_state VARCHAR(64), "
                   "to_state VARCHAR(64), offset_s INTEGER, at_delay_s INTEGER, "
                   "unit_step INTEGER, exit_reason VARCHAR(64), PRIMARY KEY (template_id, seq)",
    "bench_plan": "member_id INTEGER PRIMARY KEY, template_id INTEGER, base_unit INTEGER, "
                  "joined_on DATE",
}


class _Loader(ABC):
    """The set-based expansion, shared; each dialect says how to spell a moment."""

    index_tables = ("members", "instances", "events")

    @abstractmethod
    def moment(self, day: str, seconds: str) -> str:
        """SQL for ``day`` plus ``seconds`` as a stored timestamp."""

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run one statement on this loader's connection."""

    @abstractmethod
    def analyze_ledger(self) -> None:
        """Planner statistics (and on PostgreSQL the visibility map) for the ledger tables."""

    def expand(self, units: int) -> None:
        self.execute(f"""
            INSERT INTO members (id, reference, kind, unit_id, display_name, joined_on,
                                 created_at, erased_at)
            SELECT p.member_id, 'BENCH-' || p.member_id, t.kind,
                   (p.base_unit + t.unit_step) % {units} + 1, NULL, p.joined_on,
                   {self.moment('p.joined_on', '0')}, NULL
            FROM bench_plan p JOIN bench_templates t ON t.template_id = p.template_id
            ORDER BY p.member_id""")  # noqa: S608 (our own constants, no input)
        self.execute(f"""
            INSERT INTO instances (id, member_id, machine, workflow, state, level, status,
                                   unit_id, kind, version, entered_at, definition_version)
            SELECT p.member_id, p.member_id, 'pathway', t.workflow, t.state, t.level, t.status,
                   (p.base_unit + t.unit_step) % {units} + 1, t.kind, t.version,
                   {self.moment('p.joined_on', 't.entered_offset')},
                   t.definition_version
            FROM bench_plan p JOIN bench_templates t ON t.template_id = p.template_id
            ORDER BY p.member_id""")  # noqa: S608 (our own constants, no input)
        # Ids follow recording time, as they do when events arrive one by one.
        self.execute(f"""
            INSERT INTO events (instance_id, member_id, seq, machine, trigger, from_state,
                                to_state, unit_id, actor, user_id, at, effective_at, reason,
                                note, exit_reason, override, unmet, definition_version,
                                idempotency_key)
            SELECT p.member_id, p.member_id, s.seq, 'pathway', s.trigger, s.from_state,
                   s.to_state, (p.base_unit + s.unit_step) % {units} + 1, '{ACTOR}', NULL,
                   {self.moment('p.joined_on', 's.offset_s + s.at_delay_s')},
                   {self.moment('p.joined_on', 's.offset_s')},
                   NULL, NULL, s.exit_reason, {self.false}, NULL, t.definition_version, NULL
            FROM bench_plan p
            JOIN bench_steps s ON s.template_id = p.template_id
            JOIN bench_templates t ON t.template_id = p.template_id
            ORDER BY 11, p.member_id, s.seq""")  # noqa: S608 (our own constants)


class _SqliteLoader(_Loader):
    false = "0"

    def __init__(self, url: str) -> None:
        self.path = make_url(url).database
        self.indexes: list[str] = []

    @contextmanager
    def session(self) -> Iterator[None]:
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-262144")
        self.db.execute("BEGIN")
        try:
            yield
            self.db.execute("COMMIT")
        finally:
            self.db.close()

    def execute(self, sql: str) -> None:
        self.db.execute(sql)

    def moment(self, day: str, seconds: str) -> str:
        # SQLAlchemy's storage format for DateTime on SQLite (UTC, naive, microseconds).
        return f"strftime('%Y-%m-%d %H:%M:%S', {day}, '+' || ({seconds}) || ' seconds') || '.000000'"

    def drop_indexes(self) -> None:
        marks = ",".join("?" * len(self.index_tables))
        where = f"type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"
        query = f"SELECT name, sql FROM sqlite_master WHERE {where}"  # noqa: S608 (placeholders)
        rows = self.db.execute(query, self.index_tables).fetchall()
        for name, sql in rows:
            self.indexes.append(sql)
            self.db.execute(f'DROP INDEX "{name}"')

    def create_indexes(self) -> None:
        for sql in self.indexes:
            self.db.execute(sql)

    def insert_units(self, units: int) -> None:
        now = _sqlite_moment(clock.now())
        self.db.executemany(
            "INSERT INTO units (id, code, name, kind, locality, created_at) VALUES (?,?,?,?,?,?)",
            [(i, f"bench-unit-{i:04d}", f"Bench unit {i}", UNIT_KINDS[i % len(UNIT_KINDS)],
              None, now) for i in range(1, units + 1)])

    def insert_templates(self, every: list[Template]) -> None:
        for name, columns in SCRATCH.items():
            self.db.execute(f"CREATE TEMP TABLE {name} ({columns})")
        self.db.executemany("INSERT INTO bench_templates VALUES (?,?,?,?,?,?,?,?,?,?)",
                            _template_rows(every))
        self.db.executemany("INSERT INTO bench_steps VALUES (?,?,?,?,?,?,?,?,?)",
                            _step_rows(every))

    def insert_plan(self, planned: list[Planned]) -> None:
        self.db.executemany("INSERT INTO bench_plan VALUES (?,?,?,?)",
                            [(p.member_id, p.template_id, p.base_unit, p.joined_on.isoformat())
                             for p in planned])

    def count_events(self) -> int:
        return self.db.execute("SELECT count(*) FROM events").fetchone()[0]

    def drop_scratch(self) -> None:
        for name in SCRATCH:
            self.db.execute(f"DROP TABLE {name}")

    def analyze(self) -> None:
        with sqlite3.connect(self.path, isolation_level=None) as db:
            db.execute("ANALYZE")
        db.close()

    def analyze_ledger(self) -> None:
        self.analyze()


def _sqlite_moment(moment) -> str:  # type: ignore[no-untyped-def]
    return clock.as_utc(moment).strftime("%Y-%m-%d %H:%M:%S.%f")


def psycopg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class _PostgresLoader(_Loader):
    false = "false"

    def __init__(self, url: str) -> None:
        self.url = url
        self.indexes: list[str] = []

    @contextmanager
    def session(self) -> Iterator[None]:
        self.db = psycopg.connect(psycopg_conninfo(self.url))
        with self.db.transaction():
            # Generated rows are consistent by construction: skip per-row FK triggers.
            self.execute("SET LOCAL session_replication_role = replica")
            self.execute("SET LOCAL work_mem = '512MB'")
            self.execute("SET LOCAL maintenance_work_mem = '1GB'")
            yield
        self.db.close()

    def execute(self, sql: str) -> None:
        self.db.execute(sql)  # type: ignore[arg-type]

    def moment(self, day: str, seconds: str) -> str:
        return f"(({day})::timestamp + make_interval(secs => {seconds})) AT TIME ZONE 'UTC'"

    def drop_indexes(self) -> None:
        tables = list(self.index_tables)
        constraints = self.db.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)", (tables,)).fetchall()
        for table, name, definition in constraints:
            self.indexes.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            self.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        indexes = self.db.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            (tables,)).fetchall()
        for name, definition in indexes:
            self.indexes.append(definition)
            self.execute(f"DROP INDEX {name}")

    def create_indexes(self) -> None:
        for sql in self.indexes:
            self.execute(sql)

    def insert_units(self, units: int) -> None:
        now = clock.now()
        with self.db.cursor().copy(
                "COPY units (id, code, name, kind, locality, created_at) FROM STDIN") as copy:
            for i in range(1, units + 1):
                copy.write_row((i, f"bench-unit-{i:04d}", f"Bench unit {i}",
                                UNIT_KINDS[i % len(UNIT_KINDS)], None, now))

    def insert_templates(self, every: list[Template]) -> None:
        for name, columns in SCRATCH.items():
            self.execute(f"CREATE TEMP TABLE {name} ({columns})")
        with self.db.cursor().copy("COPY bench_templates FROM STDIN") as copy:
            for row in _template_rows(every):
                copy.write_row(row)
        with self.db.cursor().copy("COPY bench_steps FROM STDIN") as copy:
            for row in _step_rows(every):
                copy.write_row(row)

    def insert_plan(self, planned: list[Planned]) -> None:
        with self.db.cursor().copy("COPY bench_plan FROM STDIN") as copy:
            for p in planned:
                copy.write_row((p.member_id, p.template_id, p.base_unit, p.joined_on))
        self.execute("ANALYZE bench_plan")

    def count_events(self) -> int:
        row = self.db.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0

    def drop_scratch(self) -> None:
        for name in SCRATCH:
            self.execute(f"DROP TABLE {name}")
        for table in ("units", "members", "instances", "events"):
            highest = f"SELECT max(id) FROM {table}"  # noqa: S608 (fixed table names)
            reset = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({highest}))"
            self.execute(reset)

    def analyze(self) -> None:
        # VACUUM sets the visibility map too, so covering indexes serve index-only scans.
        with psycopg.connect(psycopg_conninfo(self.url), autocommit=True) as db:
            db.execute("VACUUM ANALYZE units, members, instances, events")

    def analyze_ledger(self) -> None:
        with psycopg.connect(psycopg_conninfo(self.url), autocommit=True) as db:
            db.execute("VACUUM ANALYZE distribution_changes, distribution_checkpoints, "
                       "distribution_counts")
