"""dask computations that see their own thread's callbacks only, whatever other threads compute.

dask keeps its callbacks in one process-wide set, ``Callback.active``, that every computation on
a local scheduler swaps for an empty set while it runs and puts back when it ends
(``dask.callbacks.local_callbacks``). With two threads computing, that is not thread-safe: a
callback entered or left on one thread while another thread computes goes into (or out of) the
wrong set, and a computation takes whatever the set holds when it starts, another thread's
callbacks included. Seen in the dock: a run's stop flag left registered that way stopped a later
run on the same pooled thread with "the run was cancelled" (a flaky test, 1 run in 6); and a run
computing while napari read a slice of a lazy layer took napari's dask cache, one object shared
by both computations, and failed with a ``KeyError`` in it (review120: 154 of 1567 computations
while napari sliced without pause).

So the callbacks of a run (its progress and cancel, :func:`on_this_thread`) are kept per thread,
never in dask's set, and :func:`compute`, which every computation of this package goes through,
gives dask a thread's callbacks explicitly (``callbacks=``: dask then leaves its set alone) on a
thread that runs such work: on a thread marked by :func:`own_callbacks_only` (the dock's
workers, beside napari) those only; on another thread with callbacks entered (a script calling
``evaluate``, the command) those and the ones in dask's set as the computation starts (a
script's own ``with ProgressBar():`` still sees the package's computations), but for a dask
cache's (napari's, registered while it reads a slice, perhaps on another thread). Elsewhere,
and on a ``dask.distributed`` client, dask is left to do as it does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dask
from dask.callbacks import Callback

_LOCAL = threading.local()


def _entered() -> list[Callback] | None:
    """The callbacks entered on this thread; None on a thread that leaves dask's set alone."""
    return getattr(_LOCAL, "entered", None)


def own_callbacks_only() -> None:
    """From now on, this thread's computations (through :func:`compute`, on local schedulers)
    see only the callbacks entered on it with :func:`on_this_thread`, none of dask's
    process-wide set (napari's cache of a slice, another run's progress). For the threads of
    the dock's runs: a pooled thread stays so (any work of this package on it runs the same)."""
    _LOCAL.own = True
    if _entered() is None:
        _LOCAL.entered = []


@contextmanager
def on_this_thread(callback: Callback) -> Iterator[None]:
    """Within the block, ``callback`` sees the computations started on this thread through
    :func:`compute` (local schedulers; the outermost ones: not those nested in a task) and none of
    other threads' (see the module: with dask's own set, unless the thread is marked by
    :func:`own_callbacks_only`).

    Parameters
    ----------
    callback : dask.callbacks.Callback
        Its hooks (``_start``, ``_pretask``, ...) are called as dask calls a registered one's.

    Examples
    --------
    >>> import dask.array as da
    >>> class Count(Callback):
    ...     tasks = 0
    ...
    ...     def _posttask(self, key, result, dsk, state, worker_id):
    ...         self.tasks += 1
    >>> count = Count()
    >>> with on_this_thread(count):
    ...     (total,) = compute(da.ones(4, chunks=2).sum())
    >>> int(total), count.tasks > 0
    (4, True)
    """
    unmarked = _entered() is None
    if unmarked:
        _LOCAL.entered = []
    _LOCAL.entered.append(callback)
    try:
        yield
    finally:
        _LOCAL.entered.remove(callback)
        if unmarked and not _LOCAL.entered:
            _LOCAL.entered = None


def _local_scheduler(collections: tuple, scheduler: Any) -> bool:
    """Whether dask would compute ``collections`` on one of its local schedulers (threads,
    synchronous, processes), which take ``callbacks=``: not a ``dask.distributed`` client."""
    from dask import local, multiprocessing, threaded
    from dask.base import get_scheduler

    lazy = [collection for collection in collections if dask.is_dask_collection(collection)]
    if not lazy:  # nothing to compute
        return False
    chosen = get_scheduler(scheduler=scheduler, collections=lazy)
    return chosen in (threaded.get, local.get_sync, multiprocessing.get)


def _a_cache(callback: tuple) -> bool:
    """Whether a registered callback (its hooks) is a ``dask.cache.Cache``'s: napari registers
    its own around each slice it reads, and one cache in two concurrent computations fails
    with a ``KeyError`` (review131: a script's thread evaluating while napari sliced)."""
    owners = {type(getattr(hook, "__self__", None)) for hook in callback if hook is not None}
    return any(owner.__module__ == "dask.cache" for owner in owners)


def compute(*collections: Any, **kwargs: Any) -> tuple:
    """``dask.compute(*collections, **kwargs)``; on a thread of this package's runs (see the
    module), with that thread's callbacks given explicitly, outermost computations only.

    Parameters
    ----------
    *collections
        dask collections (or anything ``dask.compute`` takes).
    **kwargs
        As ``dask.compute``'s (``scheduler=``...).

    Returns
    -------
    tuple
        The computed values, one per collection.

    Examples
    --------
    >>> import dask.array as da
    >>> [int(value) for value in compute(da.ones(4, chunks=2).sum(), da.zeros(3).sum())]
    [4, 0]
    """
    entered = _entered()
    if entered is None or "callbacks" in kwargs:
        return dask.compute(*collections, **kwargs)
    if not _local_scheduler(collections, kwargs.get("scheduler")):
        return dask.compute(*collections, **kwargs)
    depth = getattr(_LOCAL, "depth", 0)
    # Nested in a task of this thread's computation (synchronous scheduler): no callback, as
    # dask does for nested computations (its progress is the outer one's).
    kwargs["callbacks"] = [callback._callback for callback in entered] if depth == 0 else []
    if depth == 0 and not getattr(_LOCAL, "own", False):  # a script's thread: its own too
        kwargs["callbacks"] += [each for each in Callback.active if not _a_cache(each)]
    _LOCAL.depth = depth + 1
    try:
        return dask.compute(*collections, **kwargs)
    finally:
        _LOCAL.depth = depth
