"""``python -m benchmarks``: build the data, measure, print the table (progress on stderr).

Environment: BENCH_QUICK=1 for a smaller run; BENCH_PG_MEMBERS (default 1,000,000; 0 skips
the PostgreSQL reports); BENCH_PG_IMPORT_MEMBERS (default 1,000,000; 0 skips the PostgreSQL
import); BENCH_SQLITE_MEMBERS, BENCH_IMPORT_MEMBERS, BENCH_HTTP_REQUESTS,
BENCH_MEMORY_MEMBERS; BENCH_PG_URL (a maintenance database on the server to use) and
BENCH_PG_DATABASE (created and dropped by the run); BENCH_DIR for the SQLite files.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import workflows
from benchmarks import postgres
from benchmarks.dataset import Loaded, load
from benchmarks.distribution import (
    bare_group_by,
    distribution_source,
    health,
    lateral_as_of,
    progression_fetch,
    replayed_as_of,
    total_members,
)
from benchmarks.importing import throughput, throughput_postgres
from benchmarks.machine import describe
from benchmarks.pages import page_figures
from benchmarks.server import Client, admin_token, serving
from benchmarks.settings import BenchSettings
from benchmarks.table import Figure, ms, render
from benchmarks.timing import alternated, timed
from benchmarks.transitions import active_members, latency, memory
from pathway.reports.scope import twelve_months_before

MB = 1024 * 1024


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loaded_line(name: str, loaded: Loaded) -> str:
    return (f"{name}: {loaded.members:,} members, {loaded.events:,} events, {loaded.units} "
            f"units, generated in {loaded.seconds:.1f} s (of which the distribution ledger "
            f"{loaded.ledger_seconds:.1f} s); as-of day {loaded.as_of}")


def sqlite_figures(config: BenchSettings, folder: Path, notes: list[str]) -> list[Figure]:
    url = f"sqlite:///{folder / 'bench.db'}"
    say(f"SQLite: generating {config.sqlite_members:,} members with history")
    loaded = load(url, config.sqlite_members, workflows.load(), config.seed)
    notes.append(loaded_line("SQLite", loaded))
    bare = bare_group_by(url, runs=20)
    figures = []
    with serving(url, folder / "serve-sqlite.log") as server:
        client = Client(server.port, admin_token(url))
        source = distribution_source(url, client)
        say(f"SQLite: level distribution ({source.how})")
        check = total_members(source.fetch(None))
        if check != loaded.members:
            notes.append(f"WARNING: the current distribution counts {check} members, "
                         f"not {loaded.members}")
        ping = health(client, runs=200)
        now, then = alternated(lambda: source.fetch(None), lambda: source.fetch(loaded.as_of),
                               runs=20, warmup=2)
        say("SQLite: the as-of read before the ledger (replaying the events)")
        replay = replayed_as_of(url, loaded.as_of, runs=5)
        floor = bare.median + ping.median
        figures += [
            Figure(f"Level distribution, SQLite {loaded.members // 1000}k ({source.how})",
                   ms(now.median), f"{ms(floor)} (bare GROUP BY {ms(bare.median)} + health "
                                   f"{ms(ping.median)})",
                   f"{now.median / floor:.1f}x", "<= 1.5x", now.median <= 1.5 * floor),
            Figure(f"As-of distribution ({loaded.as_of}), SQLite, from the ledger",
                   ms(then.median), f"{ms(now.median)} (current)",
                   f"{then.median / now.median:.2f}x", "<= 1.5x",
                   then.median <= 1.5 * now.median),
            Figure("  the same by replaying the events (in process, the read it replaced)",
                   ms(replay.median), f"{ms(then.median)} (from the ledger)",
                   f"{replay.median / then.median:.1f}x slower", "-", None)]

        say(f"SQLite: {config.http_requests} transitions against as many health checks")
        pool = active_members(url, 100)
        move = latency(client, pool, config.http_requests)
        figures.append(Figure(
            f"Transition over HTTP (pause/resume, median of {move.requests})",
            ms(move.transition), f"{ms(move.health)} (GET /health)",
            f"{move.transition / move.health:.1f}x", "<= 2.5x",
            move.transition <= 2.5 * move.health))
        say("SQLite: pages against the JSON reads of the same numbers")
        try:
            figures += page_figures(url, server.port, loaded.members)
        except (OSError, RuntimeError) as exc:  # urllib's HTTPError is an OSError
            # The pages are timed for issue 3; a sign-in the bench cannot pass must not cost
            # the rest of the run.
            notes.append(f"WARNING: pages not timed: {exc}")
        client.close()

        say(f"SQLite: worker memory over {config.memory_members:,} distinct members")
        members = active_members(url, config.memory_members + 200, skip=len(pool))
        used = memory(server, client.token or "", members)
        growth = used.after - used.before
        figures.append(Figure(
            f"Worker RSS growth, {used.requests:,} transitions on {used.members:,} members",
            f"{growth / MB:+.1f} MB", f"{used.before / MB:.1f} MB after warm-up",
            f"{used.after / used.before:.2f}x (peak {used.peak / MB:.1f} MB)", "< 30 MB",
            growth < 30 * MB))
        notes.append(f"memory run: {used.requests:,} transitions in {used.seconds:.1f} s from "
                     f"4 client threads, 2 gunicorn workers x 4 threads")
    return figures


def import_figure(config: BenchSettings, folder: Path, notes: list[str]) -> Figure:
    say(f"import: pathway import members with {config.import_members:,} rows, "
        f"{config.import_runs} times")
    result = throughput(folder, config.import_members, config.seed, config.import_runs)
    notes.append(f"SQLite import, each run: {result.each()} members/s")
    return Figure(f"Import `pathway import members`, {result.members:,} rows (wall time, "
                  f"median of {len(result.runs)})",
                  f"{result.rate:,.0f} members/s",
                  f"{result.baseline_rate:,.0f} rows/s (csv + bare executemany)",
                  f"{result.baseline_rate / result.rate:.1f}x slower", ">= 50,000/s",
                  result.rate >= 50_000)


def postgres_import_figure(config: BenchSettings, folder: Path, notes: list[str]) -> Figure:
    members = config.pg_import_members
    say(f"import: pathway import members with {members:,} rows into PostgreSQL, "
        f"{config.import_runs} times")
    try:
        result = throughput_postgres(folder, members, config.seed,
                                     lambda: postgres.create(config, suffix="_import"),
                                     config.import_runs)
    finally:
        postgres.drop(config, suffix="_import")
    notes.append(f"PostgreSQL import, each run: {result.each()} members/s")
    return Figure(f"Import `pathway import members`, {result.members:,} rows, PostgreSQL "
                  f"(wall time, median of {len(result.runs)})", f"{result.rate:,.0f} members/s",
                  f"{result.baseline_rate:,.0f} rows/s (COPY of the csv into a bare table)",
                  f"{result.baseline_rate / result.rate:.1f}x slower", ">= 50,000/s",
                  result.rate >= 50_000)


def postgres_figures(config: BenchSettings, folder: Path, notes: list[str]) -> list[Figure]:
    url = postgres.create(config)
    try:
        say(f"PostgreSQL: generating {config.pg_members:,} members with history")
        loaded = load(url, config.pg_members, workflows.load(), config.seed)
        notes.append(loaded_line("PostgreSQL", loaded))
        bare = bare_group_by(url, runs=5)
        with serving(url, folder / "serve-postgres.log") as server:
            client = Client(server.port, admin_token(url))
            source = distribution_source(url, client)
            say(f"PostgreSQL: level distribution ({source.how})")
            ping = health(client, runs=100)
            say("PostgreSQL: as-of distribution, in turn with the current one")
            now, then = alternated(lambda: source.fetch(None),
                                   lambda: source.fetch(loaded.as_of), runs=5, warmup=1)
            say("PostgreSQL: 12-month progression")
            how, progress = progression_fetch(url, client)
            year = twelve_months_before(loaded.as_of)
            months = timed(lambda: progress(year, loaded.as_of), runs=5, warmup=1)
            client.close()
        _, in_process = progression_fetch(url, None)
        months_computed = timed(lambda: in_process(year, loaded.as_of), runs=5, warmup=1)
        say("PostgreSQL: the as-of read before the ledger (the SQL alone)")
        replay = lateral_as_of(url, loaded.as_of, runs=3)
        scale = f"{loaded.members / 1e6:g}M members, {loaded.events / 1e6:.1f}M events"
        floor = bare.median + ping.median
        return [
            Figure(f"Level distribution, PostgreSQL {scale} ({source.how})", ms(now.median),
                   f"{ms(floor)} (bare GROUP BY {ms(bare.median)} + health {ms(ping.median)})",
                   f"{now.median / floor:.1f}x", "< 1 s", now.median < 1.0),
            Figure(f"As-of distribution ({loaded.as_of}), PostgreSQL, from the ledger",
                   ms(then.median), f"{ms(now.median)} (current)",
                   f"{then.median / now.median:.2f}x", "< 0.3 s", then.median < 0.3),
            Figure("  the same by replaying the events (SQL alone, the read it replaced)",
                   ms(replay.median), f"{ms(then.median)} (from the ledger)",
                   f"{replay.median / then.median:.1f}x slower", "-", None),
            Figure(f"Progression by month, {year} to {loaded.as_of}, PostgreSQL ({how})",
                   ms(months.median), f"{ms(then.median)} (one as-of day)",
                   f"{months.median / then.median:.1f}x", "< 1 s", months.median < 1.0),
            Figure("  the same in process (no HTTP, no JSON)", ms(months_computed.median),
                   f"{ms(months.median)} (over {how})",
                   f"{months_computed.median / months.median:.2f}x", "< 1 s",
                   months_computed.median < 1.0)]
    finally:
        postgres.drop(config)


def main() -> None:
    config = BenchSettings.from_env()
    started = time.perf_counter()
    own_folder = "BENCH_DIR" not in os.environ
    folder = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="pathway-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    notes: list[str] = []
    figures: list[Figure] = []
    try:
        figures += sqlite_figures(config, folder, notes)
        figures.append(import_figure(config, folder, notes))
        if config.pg_import_members > 0:
            figures.append(postgres_import_figure(config, folder, notes))
        if config.pg_members > 0:
            figures += postgres_figures(config, folder, notes)
    finally:
        if own_folder:
            shutil.rmtree(folder, ignore_errors=True)
    on_postgres = config.pg_members > 0 or config.pg_import_members > 0
    version = postgres.server_version(config) if on_postgres else None
    print(render(figures))
    print()
    for line in [*describe(version), *notes]:
        print(f"- {line}")
    print(f"- load average (1 min) {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} "
          f"at the end; whole run {(time.perf_counter() - started) / 60:.1f} min")
    print(f"- command: {'BENCH_QUICK=1 ' if config.quick else ''}"
          f"BENCH_PG_MEMBERS={config.pg_members} make bench")


if __name__ == "__main__":
    main()
