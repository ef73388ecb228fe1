"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from pathlib import Path


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def describe(postgres_version: str | None) -> list[str]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [f"machine: {cpus} CPUs (nproc), {memory_gib():.1f} GiB memory, "
             f"{platform.system()} {platform.release()}",
             f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}"]
    if postgres_version:
        lines.append(f"PostgreSQL {postgres_version} (server defaults)")
    return lines
