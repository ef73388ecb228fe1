"""The level distribution, now and as of a day, against a bare GROUP BY of the same rows.

The report is fetched over HTTP from the real server when ``/reports/level-distribution``
is there, otherwise by calling ``pathway.reports`` in process. The baseline is what the
report cannot beat: the same rows (unit, kind, level, status) in a bare table with a covering
index, grouped, plus a ``GET /health`` round trip for the HTTP and auth overhead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from benchmarks.dataset import psycopg_conninfo
from benchmarks.server import Client
from benchmarks.timing import Timing, timed
from pathway import clock
from pathway.config import Settings
from pathway.people.access import Caller
from pathway.store.db import unit_of_work

ENDPOINT = "/api/v1/reports/level-distribution"
BENCH_ADMIN = Caller(user_id=0, name="bench", role="admin", all_units=True,
                     unit_ids=frozenset())
BARE_QUERY = ("SELECT unit_id, kind, level, status, count(*) FROM bench_bare "
              "GROUP BY unit_id, kind, level, status")
BARE_TABLE = ["DROP TABLE IF EXISTS bench_bare",
              "CREATE TABLE bench_bare (unit_id INTEGER NOT NULL, kind VARCHAR(32) NOT NULL, "
              "level VARCHAR(32), status VARCHAR(16))",
              "INSERT INTO bench_bare SELECT m.unit_id, m.kind, i.level, i.status "
              "FROM instances i JOIN members m ON m.id = i.member_id WHERE i.machine = 'pathway'",
              "CREATE INDEX ix_bench_bare ON bench_bare (unit_id, kind, level, status)"]


@dataclass(frozen=True)
class Distribution:
    how: str  # "HTTP" or "function"
    fetch: Callable[[date | None], Any]


def distribution_source(url: str, client: Client) -> Distribution:
    """Over HTTP when the endpoint answers, else the report function in this process."""
    status, _ = client.request("GET", ENDPOINT + "?kind=carer")
    if status == 200:
        return Distribution("HTTP", lambda as_of: client.get(
            ENDPOINT + (f"?as_of={as_of.isoformat()}" if as_of else "")))
    from pathway.reports.distribution import level_distribution
    from pathway.reports.scope import Scope

    caller = BENCH_ADMIN
    zone = Settings.from_env().timezone

    def fetch(as_of: date | None) -> Any:
        with unit_of_work(url, write=False) as session:
            return level_distribution(session, Scope(caller=caller), zone, as_of=as_of)

    return Distribution("function", fetch)


def total_members(report: Any) -> int:
    totals = report["totals"]
    return sum(int(totals[name]) for name in ("level_1", "level_2", "level_3", "paused",
                                              "exited"))


def bare_group_by(url: str, runs: int) -> Timing:
    """Build the bare table once, then time its GROUP BY (index-only where the engine can)."""
    if url.startswith("sqlite"):
        db = sqlite3.connect(make_url(url).database, isolation_level=None)
        for sql in BARE_TABLE:
            db.execute(sql)
        db.execute("ANALYZE bench_bare")
        try:
            return timed(lambda: db.execute(BARE_QUERY).fetchall(), runs=runs)
        finally:
            db.close()
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as db:
        for sql in BARE_TABLE:
            db.execute(sql)  # type: ignore[arg-type]
        db.execute("VACUUM ANALYZE bench_bare")
        return timed(lambda: db.execute(BARE_QUERY).fetchall(), runs=runs)  # type: ignore[arg-type]


def health(client: Client, runs: int) -> Timing:
    return timed(lambda: client.get("/api/v1/health"), runs=runs, warmup=20)


# The shape of the as-of query on PostgreSQL (pathway.reports.distribution.counts_at_lateral),
# run alone: one index-only probe of ix_events_pathway_as_of per member who had joined.
LATERAL_AS_OF = """
    SELECT s.unit_id, m.kind, s.to_state, count(*)
    FROM members m
    CROSS JOIN LATERAL (
        SELECT e.to_state, e.unit_id FROM events e
        WHERE e.member_id = m.id AND e.machine = 'pathway' AND e.effective_at < %s
        ORDER BY e.effective_at DESC, e.seq DESC LIMIT 1) s
    WHERE m.joined_on <= %s
    GROUP BY s.unit_id, m.kind, s.to_state"""


def lateral_as_of(url: str, as_of: date, runs: int) -> Timing:
    """The as-of query alone (SQL, no HTTP, no JSON)."""
    bound = clock.end_of_day(as_of, Settings.from_env().timezone)
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as db:
        return timed(lambda: db.execute(LATERAL_AS_OF, (bound, as_of)).fetchall(),  # type: ignore[arg-type]
                     runs=runs)


def replayed_as_of(url: str, as_of: date, runs: int) -> Timing:
    """The as-of read the ledger replaced, in process: each member's last event by the day
    (``counts_at``, or ``counts_at_lateral`` on PostgreSQL), grouped and laid out."""
    from pathway.reports.distribution import counts_at, counts_at_lateral, distribution_rows
    from pathway.reports.scope import Scope

    scope = Scope(caller=BENCH_ADMIN)
    bound = clock.end_of_day(as_of, Settings.from_env().timezone)

    def replay() -> Any:
        with unit_of_work(url, write=False) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL jit = off"))
                counts = counts_at_lateral(scope, bound, as_of)
            else:
                counts = counts_at(scope, bound)
            return distribution_rows(session, counts, scope, by_kind=True)

    return timed(replay, runs=runs)


PROGRESSION = "/api/v1/reports/progression"


def progression_fetch(url: str, client: Client | None
                      ) -> tuple[str, Callable[[date, date], Any]]:
    """A monthly progression from one day to another: over HTTP (given a client and the
    endpoint answers), else in process."""
    if client is not None and client.request("GET", PROGRESSION + "?kind=carer")[0] == 200:
        return "HTTP", lambda start, end: client.get(
            f"{PROGRESSION}?from={start.isoformat()}&to={end.isoformat()}&interval=month")
    from pathway.reports.progression import progression
    from pathway.reports.scope import Period, Scope

    zone = Settings.from_env().timezone

    def fetch(start: date, end: date) -> Any:
        with unit_of_work(url, write=False) as session:
            return progression(session, Scope(caller=BENCH_ADMIN), Period(start, end, zone))

    return "function", fetch
