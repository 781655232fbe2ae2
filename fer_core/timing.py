"""Wall-clock timing of a call, shared by the benchmark and the model card's latency."""
from __future__ import annotations

import time

import numpy as np


def timed(fn, runs: int, warmup: int = 5) -> np.ndarray:
    """Milliseconds of each of ``runs`` calls of ``fn()``, after ``warmup`` calls that are not counted."""
    for _ in range(warmup):
        fn()
    times = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter()
        fn()
        times[i] = (time.perf_counter() - start) * 1000
    return times
