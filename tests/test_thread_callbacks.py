"""A run's progress and cancel watch its own thread's dask computations, whatever other threads
compute meanwhile: dask's process-wide callback set, which every computation swaps while it runs
and which napari fills with its cache while it reads a slice, is never used by a run's thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.array as da
import numpy as np
import pytest
from dask.callbacks import Callback

from napari_seg_eval.core._thread_callbacks import compute
from napari_seg_eval.evaluation import Cancelled, RunControl

WAIT = 60  # seconds: a bound for a broken test, never reached when it passes


def computing_elsewhere(started: threading.Event, release: threading.Event) -> threading.Thread:
    """A thread whose dask computation (dask's own, as napari's) runs until ``release``."""

    def task() -> int:
        started.set()
        release.wait(WAIT)
        return 1

    thread = threading.Thread(target=lambda: dask.delayed(task)().compute(scheduler="threads"))
    thread.start()
    assert started.wait(WAIT)
    return thread


def total(control: RunControl) -> int:
    with control.chunks(0.0, 1.0, "summing"):
        (summed,) = compute(da.ones(8, chunks=2).sum(), scheduler="threads")
    return int(summed)


class Seen(Callback):
    """The tasks of the computations it is registered for (dask's set: as napari's cache)."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks = 0

    def _pretask(self, key, dsk, state) -> None:
        self.tasks += 1


def test_a_watch_left_while_another_thread_computes_does_not_stop_a_later_run():
    # Seen in the dock: a run's watch, left while napari computed a slice, stayed registered;
    # once that run's control was cancelled, a later run on the same pooled thread stopped
    # with "the run was cancelled" at its first task.
    earlier = RunControl()
    entered, leave = threading.Event(), threading.Event()

    def earlier_run() -> None:
        with earlier.chunks(0.0, 1.0, "earlier"):
            entered.set()
            leave.wait(WAIT)

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
            compute(da.ones(8, chunks=2).sum(), scheduler="threads")


def test_a_computation_started_while_another_thread_computes_still_cancels():
    control = RunControl()
    control.cancel()
    with control.chunks(0.0, 1.0, "summing"):
        release = threading.Event()
        other = computing_elsewhere(threading.Event(), release)  # dask's set swapped meanwhile
        try:
            with pytest.raises(Cancelled):
                compute(da.ones(8, chunks=2).sum(), scheduler="threads")
        finally:
            release.set()
            other.join(WAIT)


def test_a_dock_workers_computations_never_take_callbacks_registered_by_other_threads():
    # napari registers its dask cache around each slice it reads: a dock run's computation that
    # took it shared it with napari's and failed with a KeyError inside it (review120).
    from napari_seg_eval._jobs import _calling

    seen = Seen()
    with seen, ThreadPoolExecutor(max_workers=1) as pool:  # in dask's set, as napari's cache
        steps = []
        assert pool.submit(_calling([lambda: total(RunControl(steps.append))])).result(WAIT) == 8
        work = _calling([lambda: int(compute(da.ones(8, chunks=2).sum())[0])])  # no watch
        assert pool.submit(work).result(WAIT) == 8
    assert seen.tasks == 0 and steps[-1] == (1.0, "summing")


def test_a_scripts_own_callbacks_still_see_the_packages_computations():
    # A script's `with ProgressBar():` around `evaluate` (which watches its steps with a
    # RunControl) or around a core function (review130: it saw 0 tasks).
    seen, steps = Seen(), []
    with seen:
        assert total(RunControl(steps.append)) == 8
    watched = seen.tasks
    with seen:
        assert int(compute(da.ones(8, chunks=2).sum())[0]) == 8
    assert watched > 0 and seen.tasks == 2 * watched and steps[-1] == (1.0, "summing")


def test_a_scripts_run_leaves_a_dask_cache_alone():
    # napari registers its dask cache while it reads a slice (on the main thread): a script's
    # thread evaluating meanwhile took it with the script's own callbacks, and one cache in two
    # concurrent computations fails with a KeyError (review131). Its other callbacks it keeps.
    pytest.importorskip("cachey")
    from dask.cache import Cache

    cache, seen, steps = Cache(1e6), Seen(), []
    with cache, seen:
        assert total(RunControl(steps.append)) == 8
    assert len(cache.cache.data) == 0 and seen.tasks > 0 and steps[-1] == (1.0, "summing")


def test_a_computation_nested_in_a_task_is_not_reported():
    def reported(function) -> list:
        steps = []
        control = RunControl(steps.append)
        with control.chunks(0.0, 1.0, "summing"):
            blocks = da.zeros(8, chunks=2).map_blocks(function, meta=np.array((), float))
            (summed,) = compute(blocks.sum(), scheduler="synchronous")
        assert summed == 8
        return steps

    def plain(block):
        return block + np.ones(block.shape)

    def nested(block):  # the same, computed in the task: its steps are not the run's
        return block + compute(da.ones(block.shape, chunks=1), scheduler="synchronous")[0]

    assert reported(nested) == reported(plain)
