"""What a benchmark run measures and where, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dataclass(frozen=True)
class BenchSettings:
    quick: bool
    sqlite_members: int
    import_members: int
    import_runs: int
    http_requests: int
    memory_members: int
    pg_members: int
    pg_import_members: int
    pg_admin_url: str
    pg_database: str
    seed: int

    @classmethod
    def from_env(cls) -> BenchSettings:
        quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
        return cls(
            quick=quick,
            sqlite_members=_int("BENCH_SQLITE_MEMBERS", 20_000 if quick else 100_000),
            import_members=_int("BENCH_IMPORT_MEMBERS", 20_000 if quick else 100_000),
            import_runs=_int("BENCH_IMPORT_RUNS", 1 if quick else 3),
            http_requests=_int("BENCH_HTTP_REQUESTS", 200 if quick else 1_000),
            memory_members=_int("BENCH_MEMORY_MEMBERS", 1_000 if quick else 3_000),
            pg_members=_int("BENCH_PG_MEMBERS", 100_000 if quick else 1_000_000),
            pg_import_members=_int("BENCH_PG_IMPORT_MEMBERS", 100_000 if quick else 1_000_000),
            pg_admin_url=os.environ.get("BENCH_PG_URL",
                                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
            pg_database=os.environ.get("BENCH_PG_DATABASE", "pathway_bench"),
            seed=_int("BENCH_SEED", 2016),
        )
