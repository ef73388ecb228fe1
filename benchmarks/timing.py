"""Repeat a call and keep the median: one slow run (a checkpoint, a GC) must not decide."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    median: float
    fastest: float
    runs: int


def timed(call: Callable[[], Any], *, runs: int, warmup: int = 1) -> Timing:
    """The median wall time of ``runs`` calls after ``warmup`` untimed ones, in seconds."""
    (timing,) = alternated(call, runs=runs, warmup=warmup)
    return timing


def alternated(*calls: Callable[[], Any], runs: int, warmup: int = 1) -> list[Timing]:
    """``timed`` for calls compared with each other, taken in turn (a, b, a, b, ...) rather
    than all of one then all of the next: a machine whose speed drifts during the run then
    moves both alike, and their ratio stays honest."""
    for _ in range(warmup):
        for call in calls:
            call()
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, taken in zip(calls, samples, strict=True):
            started = time.perf_counter()
            call()
            taken.append(time.perf_counter() - started)
    return [Timing(statistics.median(taken), min(taken), runs) for taken in samples]


def once(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result
