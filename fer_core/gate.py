"""A process-wide gate on heavy work (decoding and analyzing photos), so that many people uploading big
photos at once queue up instead of pushing the server past its memory and stopping it for everyone."""
from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager

from fer_core.limits import MAX_CONCURRENT_ANALYSES
from fer_core.memory import return_freed_memory


class Gate:
    """At most ``slots`` holders at once; the others wait in arrival order.

    ``with gate.slot(on_wait):`` blocks until a slot is free. While it waits, ``on_wait(n)`` is called
    with the number of callers ahead of it, each time that number changes (to say "queued, n ahead of you").
    """

    def __init__(self, slots: int = MAX_CONCURRENT_ANALYSES):
        self.slots = slots
        self._active = 0
        self._waiting: list[int] = []
        self._tickets = itertools.count()
        self._changed = threading.Condition()

    @property
    def busy(self) -> int:
        """Callers holding a slot now."""
        return self._active

    @property
    def queued(self) -> int:
        """Callers waiting for a slot now."""
        return len(self._waiting)

    @contextmanager
    def slot(self, on_wait=None):
        with self._changed:
            ticket = next(self._tickets)
            self._waiting.append(ticket)
            told = None
            try:
                while self._waiting[0] != ticket or self._active >= self.slots:
                    ahead = max(1, self._waiting.index(ticket) + self._active - self.slots + 1)
                    if on_wait and ahead != told:
                        told = ahead
                        self._changed.release()  # the callback may be slow (it draws a page): don't block others
                        try:
                            on_wait(ahead)
                        finally:
                            self._changed.acquire()
                        continue
                    self._changed.wait()
            finally:
                self._waiting.remove(ticket)
                self._changed.notify_all()
            self._active += 1
        try:
            yield
        finally:
            return_freed_memory()  # before the next holder decodes its photo
            with self._changed:
                self._active -= 1
                self._changed.notify_all()


HEAVY_WORK = Gate()  # shared by every session of the app's process
