"""``make bench``: synthetic members with history, and figures measured against baselines.

Run as ``python -m benchmarks``. Never part of the test suite: timings vary by machine and
belong in docs/PERFORMANCE.md, not in assertions.
"""
