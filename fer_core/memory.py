"""Resident memory, measured from /proc (Linux): a process tree's now and over a run, and one call's peak.
The benchmark and the tests' memory ceilings measure the same way."""
from __future__ import annotations

import ctypes
import ctypes.util
import threading
from pathlib import Path

_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or None)


def return_freed_memory() -> None:
    """Hand the heap's freed pages back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    A decoded 12 MP photo is freed after its analysis, but glibc keeps the pages in the arena of the thread
    that used them, and each Streamlit session runs in its own thread: without this, twenty sessions hold
    twenty arenas' worth of freed photos."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


def tree_rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` (all its threads) and of every descendant, in MB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return total / 1024


class MemorySampler:
    """Samples a process tree's resident memory every ``interval`` seconds, in a thread, while in a ``with``."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(tree_rss_mb(self.pid))
            self._stop.wait(self.interval)

    @property
    def peak(self) -> float:
        return max(self.samples, default=0.0)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def peak_extra_mb(fn) -> float | None:
    """How far ``fn()`` raises this process's peak resident memory above where it stood (Linux only)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak to the current size
        before = _high_water_mb()
        fn()
        return _high_water_mb() - before
    except OSError:
        return None


def _high_water_mb() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
