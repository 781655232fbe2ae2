"""The process-wide gate: at most N heavy analyses at once, the rest served in arrival order, each told
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
    first_in, release = threading.Event(), threading.Event()
    told = {1: [], 2: []}

    def holder():
        with gate.slot():
            first_in.set()
            release.wait()

    def waiter(n):
        with gate.slot(told[n].append):
            pass

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    first_in.wait(5)
    for n in (1, 2):
        threads.append(threading.Thread(target=waiter, args=(n,)))
        threads[-1].start()
        wait_until(lambda: gate.queued == n)
    release.set()
    for t in threads:
        t.join(5)
    assert told[1] == [1]  # behind the holder only
    assert told[2][0] == 2 and told[2][-1] == 1  # behind the holder and waiter 1, then waiter 1 alone


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
