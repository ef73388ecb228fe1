"""Import throughput: ``pathway import members FILE.csv`` end to end, as a user runs it.

The figure is members per second of wall time for the whole command (start-up, reading,
validating every row, writing members, pathway instances and ``register`` events, commit)
into a fresh SQLite database. The baseline is the floor any importer stands on: the same file
parsed with ``csv`` and written by one ``executemany`` into a bare table. On PostgreSQL
(``throughput_postgres``) the command runs against a fresh database and the floor is the file
streamed by ``COPY`` into a bare table.
"""

from __future__ import annotations

import csv
import os
import random
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert

from benchmarks.server import BIN
from pathway import clock
from pathway.store import migrate
from pathway.store.db import unit_of_work
from pathway.store.models import Unit

UNITS = ("bench-low-secure", "bench-locked", "bench-open", "bench-step-down", "bench-community",
         "bench-prison")
KINDS = (("service_user", 0.6), ("carer", 0.2), ("staff", 0.2))
STATES = (("", ""), ("level_1", "active"), ("level_2", "active"), ("level_3", "active"),
          ("level_2", "paused"), ("level_1", "exited"))
LEAVING_REASON = "other"  # a leaver needs an exit reason; every member kind has this one


@dataclass(frozen=True)
class Throughput:
    """The command's wall time over several runs, each into a fresh database, and the
    floor's, as many times: the figures are their medians (a single run of either swung by
    a fifth on a shared machine within the hour)."""

    members: int
    runs: list[float]
    baseline_runs: list[float]
    said: str

    @property
    def seconds(self) -> float:
        return statistics.median(self.runs)

    @property
    def baseline_seconds(self) -> float:
        return statistics.median(self.baseline_runs)

    @property
    def rate(self) -> float:
        return self.members / self.seconds

    @property
    def baseline_rate(self) -> float:
        return self.members / self.baseline_seconds

    def each(self) -> str:
        """Every run's rate, in the order they ran."""
        return ", ".join(f"{self.members / seconds:,.0f}" for seconds in self.runs)


def write_csv(path: Path, members: int, seed: int) -> None:
    rng = random.Random(seed)
    today = date.today()
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["reference", "kind", "unit", "display_name", "joined_on", "level",
                      "status", "exit_reason"])
        for n in range(1, members + 1):
            kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
            level, status = rng.choice(STATES)
            out.writerow([f"IMP-{n:07d}", kind, rng.choice(UNITS),
                          f"Person {n}" if rng.random() < 0.3 else "",
                          (today - timedelta(days=rng.randint(1, 2000))).isoformat(),
                          level, status, LEAVING_REASON if status == "exited" else ""])


def prepare(url: str) -> None:
    migrate.upgrade(url)
    with unit_of_work(url) as session:
        session.execute(insert(Unit), [{"code": code, "name": code, "kind": "other",
                                        "created_at": clock.now()} for code in UNITS])


def run_import(url: str, path: Path) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": url}
    # What earlier measures wrote goes to disk first: an import's commit waits for its own
    # writes, and on a journalling file system it can otherwise wait for theirs too.
    os.sync()
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "pathway"), "import", "members", str(path)], env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"pathway import members failed: {done.stderr[-2000:]}")
    return seconds, (done.stdout + done.stderr).strip().splitlines()[-1]


def bare_insert(path: Path, folder: Path) -> float:
    target = folder / "bare-import.db"
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("CREATE TABLE bare (reference TEXT UNIQUE, kind TEXT, unit TEXT, "
               "display_name TEXT, joined_on TEXT, level TEXT, status TEXT, exit_reason TEXT)")
    os.sync()  # as before each import run
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        next(rows)
        db.execute("BEGIN")
        db.executemany("INSERT INTO bare VALUES (?,?,?,?,?,?,?,?)", rows)
        db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    target.unlink()
    return seconds


def _runs(path: Path, urls: Iterable[str]) -> tuple[list[float], str]:
    """The command's wall time into each of ``urls`` (each made ready first), and what the
    last run said."""
    times, said = [], ""
    for url in urls:
        prepare(url)
        seconds, said = run_import(url, path)
        times.append(seconds)
    return times, said


def throughput(folder: Path, members: int, seed: int, runs: int) -> Throughput:
    path = folder / "import-members.csv"
    write_csv(path, members, seed)
    for stale in folder.glob("import-*.db*"):
        stale.unlink()
    # A file of its own each run: this process keeps its engine for each URL it opened.
    times, said = _runs(path, (f"sqlite:///{folder / f'import-{run}.db'}"
                               for run in range(runs)))
    return Throughput(members, times, [bare_insert(path, folder) for _ in range(runs)], said)


def bare_copy(path: Path, url: str) -> float:
    """PostgreSQL's floor: the same file streamed by ``COPY`` into a bare table."""
    from benchmarks.dataset import psycopg_conninfo

    with psycopg.connect(psycopg_conninfo(url)) as db:
        db.execute("CREATE TABLE bare (reference TEXT UNIQUE, kind TEXT, unit TEXT, "
                   "display_name TEXT, joined_on DATE, level TEXT, status TEXT, "
                   "exit_reason TEXT)")
        db.commit()
        os.sync()  # as before each import run
        started = time.perf_counter()
        with db.cursor() as cursor, cursor.copy(
                "COPY bare FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        db.commit()
        seconds = time.perf_counter() - started
        db.execute("DROP TABLE bare")
        db.commit()
    return seconds


def throughput_postgres(folder: Path, members: int, seed: int, fresh: Callable[[], str],
                        runs: int) -> Throughput:
    """The same command into a fresh PostgreSQL database each run (``fresh`` makes one, in
    place of the last, and answers its URL): the rows go in by COPY."""
    path = folder / "import-members-pg.csv"
    write_csv(path, members, seed)
    # A generator: each database is made as its run starts, in place of the one before.
    times, said = _runs(path, (fresh() for _ in range(runs)))
    return Throughput(members, times, [bare_copy(path, fresh()) for _ in range(runs)], said)
