"""Python's memory housekeeping around bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a bulk step makes hundreds of thousands of
    objects and no cycles (an import's rows, a year of report rows): otherwise the
    allocations set off collections that walk the young objects again and again.

    Only the caller that found it on turns it back on, so concurrent callers never leave it
    off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
