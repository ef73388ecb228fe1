"""Transitions over HTTP: latency against GET /health, and worker memory across many members.

Pause and resume are the transitions without guards, so the figure is the write path itself:
auth, scope, compare-and-swap, the event insert and the commit.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from benchmarks.server import Client, Server
from pathway.store.db import unit_of_work
from pathway.store.models import Instance

WARMUP = 50
POOL = 100
CLIENT_THREADS = 4


def active_members(url: str, count: int, skip: int = 0) -> list[int]:
    with unit_of_work(url, write=False) as session:
        return list(session.scalars(
            select(Instance.member_id)
            .where(Instance.machine == "pathway", Instance.status == "active")
            .order_by(Instance.member_id).offset(skip).limit(count)))


def transition(client: Client, member_id: int, trigger: str) -> None:
    status, body = client.request("POST", f"/api/v1/members/{member_id}/pathway/transitions",
                                  {"trigger": trigger})
    if status != 201:
        raise RuntimeError(f"{trigger} of member {member_id} answered {status}: {body}")


@dataclass(frozen=True)
class Latency:
    transition: float
    health: float
    requests: int


def latency(client: Client, pool: list[int], requests: int) -> Latency:
    """Medians of interleaved health checks and transitions (each pool member alternates
    pause, resume, ...), after a warm-up of both."""
    def fire(k: int) -> None:
        member = pool[k % len(pool)]
        transition(client, member, "pause" if (k // len(pool)) % 2 == 0 else "resume")

    k = 0
    for _ in range(WARMUP):
        client.get("/api/v1/health")
    # Warm up with a whole number of pause/resume rounds so everyone ends active again.
    while k < max(WARMUP, 2 * len(pool)):
        fire(k)
        k += 1
    health, moves = [], []
    for _ in range(requests):
        started = time.perf_counter()
        client.get("/api/v1/health")
        health.append(time.perf_counter() - started)
        started = time.perf_counter()
        fire(k)
        moves.append(time.perf_counter() - started)
        k += 1
    while (k // len(pool)) % 2 == 1:  # finish the round: leave the pool active
        fire(k)
        k += 1
    return Latency(statistics.median(moves), statistics.median(health), requests)


@dataclass(frozen=True)
class Memory:
    before: int
    after: int
    peak: int
    members: int
    requests: int
    seconds: float


def memory(server: Server, token: str, members: list[int]) -> Memory:
    """Worker RSS before and after pausing and resuming every one of ``members``."""
    peak = [server.workers_rss()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            peak[0] = max(peak[0], server.workers_rss())

    def run(share: list[int]) -> None:
        client = Client(server.port, token)
        for trigger in ("pause", "resume"):
            for member in share:
                transition(client, member, trigger)
        client.close()

    warm, measured = members[:200], members[200:]
    shares = [warm[i::CLIENT_THREADS] for i in range(CLIENT_THREADS)]
    _in_threads(run, shares)
    time.sleep(1)
    before = server.workers_rss()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    _in_threads(run, [measured[i::CLIENT_THREADS] for i in range(CLIENT_THREADS)])
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    time.sleep(1)
    after = server.workers_rss()
    return Memory(before, after, max(peak[0], after), len(measured), 2 * len(measured), seconds)


def _in_threads(run, shares) -> None:  # type: ignore[no-untyped-def]
    """Run ``run(share)`` for every share at once; the first failure is raised here."""
    failures: list[BaseException] = []

    def guarded(share: list[int]) -> None:
        try:
            run(share)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
