"""The process-wide gate: at most N heavy analyzes at once, the rest served in arrival order, each told
how many are ahead of it; a waiter that gives up leaves no trace."""
import threading
import time

import pytest

from fer_core.gate import Gate


def wait_until(condition, timeout=5.0):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.005)


def test_at_most_slots_run_at_once_and_waiters_go_in_arrival_order():
    gate, lock = Gate(slots=2), threading.Lock()
    running, most, order, release = [0], [0], [], threading.Event()

    def work(n):
        with gate.slot():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
                order.append(n)
            release.wait()
            with lock:
                running[0] -= 1

    threads = []
    for n in range(6):
        threads.append(threading.Thread(target=work, args=(n,)))
        threads[-1].start()
        wait_until(lambda: gate.busy + gate.queued == n + 1)  # n has arrived before n + 1 starts
    assert (gate.busy, gate.queued) == (2, 4)
    release.set()
    for t in threads:
        t.join(5)
    assert most[0] == 2 and order == list(range(6)) and (gate.busy, gate.queued) == (0, 0)


def test_waiters_are_told_how_many_are_ahead():
    gate = Gate(slots=1)
    releases = {0: threading.Event(), 1: threading.Event(), 2: threading.Event()}
    inside = {n: threading.Event() for n in releases}
    told = {1: [], 2: []}

    def user(n):
        with gate.slot(told[n].append if n else None):
            inside[n].set()
            releases[n].wait(5)

    threads = []
    for n in releases:  # 0 takes the slot; 1 and 2 queue behind it, in that order
        threads.append(threading.Thread(target=user, args=(n,)))
        threads[-1].start()
        wait_until(lambda: inside[0].is_set() and gate.queued == n)
    assert told == {1: [1], 2: [2]}  # behind the holder; behind the holder and user 1
    releases[0].set()
    inside[1].wait(5)
    wait_until(lambda: told[2][-1] == 1)  # user 1 holds the slot now: one ahead
    assert told[2] == [2, 1]
    releases[1].set()
    releases[2].set()
    for t in threads:
        t.join(5)
    assert (gate.busy, gate.queued) == (0, 0)


def test_a_waiter_that_gives_up_leaves_the_queue():
    gate = Gate(slots=1)
    inside, release = threading.Event(), threading.Event()

    def holder():
        with gate.slot():
            inside.set()
            release.wait()

    thread = threading.Thread(target=holder)
    thread.start()
    inside.wait(5)

    def give_up(ahead):
        raise RuntimeError("the page was left")

    with pytest.raises(RuntimeError):
        with gate.slot(give_up):
            pass
    assert gate.queued == 0
    release.set()
    thread.join(5)
    with gate.slot():  # the gate still works
        assert gate.busy == 1
