"""The one timing loop of the benchmarks: ``repeat`` calls of a function, each timed alone;
each result lives until just before the next call (freeing it is not timed, and the next
call does not run beside it)."""

from __future__ import annotations

import time


def timings(fn, repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` calls of ``fn()``."""
    times = []
    kept = [None]
    for _ in range(repeat):
        kept[0] = None
        start = time.perf_counter()
        kept[0] = fn()
        times.append(time.perf_counter() - start)
    return times
