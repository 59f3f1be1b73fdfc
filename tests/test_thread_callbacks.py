"""A run's progress and cancel watch its own thread's dask computations, whatever other threads
compute meanwhile (dask swaps its process-wide callback set during every computation)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.array as da
import pytest

from napari_seg_eval.evaluation import Cancelled, RunControl

WAIT = 60  # seconds: a bound for a broken test, never reached when it passes


def computing_elsewhere(started: threading.Event, release: threading.Event) -> threading.Thread:
    """A thread whose dask computation (threads scheduler) runs until ``release``."""

    def task() -> int:
        started.set()
        assert release.wait(WAIT)
        return 1

    thread = threading.Thread(target=lambda: dask.delayed(task)().compute(scheduler="threads"))
    thread.start()
    assert started.wait(WAIT)
    return thread


def total(control: RunControl) -> int:
    with control.chunks(0.0, 1.0, "summing"):
        return int(da.ones(8, chunks=2).sum().compute(scheduler="threads"))


def test_a_watch_left_while_another_thread_computes_does_not_stop_a_later_run():
    # Seen in the dock: a run's watch, left while napari computed a slice, stayed registered;
    # once that run's control was cancelled, a later run on the same pooled thread stopped
    # with "the run was cancelled" at its first task.
    earlier = RunControl()
    entered, leave = threading.Event(), threading.Event()

    def earlier_run() -> None:
        with earlier.chunks(0.0, 1.0, "earlier"):
            entered.set()
            assert leave.wait(WAIT)

    with ThreadPoolExecutor(max_workers=1) as pool:  # one thread: both runs on it
        done = pool.submit(earlier_run)
        assert entered.wait(WAIT)
        release = threading.Event()
        other = computing_elsewhere(threading.Event(), release)
        leave.set()  # the earlier run leaves its block while the other thread computes
        done.result(WAIT)
        release.set()
        other.join(WAIT)
        earlier.cancel()
        steps = []
        assert pool.submit(total, RunControl(steps.append)).result(WAIT) == 8
    assert steps[-1] == (1.0, "summing")


def test_a_watch_entered_while_another_thread_computes_still_cancels():
    control = RunControl()
    control.cancel()
    release = threading.Event()
    other = computing_elsewhere(threading.Event(), release)
    with control.chunks(0.0, 1.0, "summing"):
        release.set()
        other.join(WAIT)  # its end puts back dask's set of before it began
        with pytest.raises(Cancelled):
            da.ones(8, chunks=2).sum().compute(scheduler="threads")


def test_a_computation_started_while_another_thread_computes_still_cancels():
    control = RunControl()
    control.cancel()
    with control.chunks(0.0, 1.0, "summing"):
        release = threading.Event()
        other = computing_elsewhere(threading.Event(), release)  # dask's set swapped meanwhile
        try:
            with pytest.raises(Cancelled):
                da.ones(8, chunks=2).sum().compute(scheduler="threads")
        finally:
            release.set()
            other.join(WAIT)


def test_a_computation_nested_in_a_task_is_not_reported():
    steps = []
    control = RunControl(steps.append)

    def nested(block):
        return block + da.ones(block.shape, chunks=1).compute(scheduler="synchronous")

    with control.chunks(0.0, 1.0, "summing"):
        summed = da.zeros(8, chunks=2).map_blocks(nested).sum().compute(scheduler="synchronous")
    assert summed == 8
    fractions = [fraction for fraction, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
