"""dask callbacks for the computations of one thread, safe beside other threads' computations.

dask keeps its callbacks in one process-wide set, ``Callback.active``, that every computation on
a local scheduler swaps for an empty set while it runs and puts back when it ends
(``dask.callbacks.local_callbacks``). With two threads computing, that is not thread-safe: a
callback entered or left on one thread while another thread computes goes into (or out of) the
wrong set, so it is lost, or it stays registered for good. A run's stop flag left registered
that way stopped a later run on the same pooled thread with "the run was cancelled" (a flaky
dock test, 1 run in 6).

So this package registers one callback, :data:`_DISPATCH`, at import and never removes it (on
a thread with nothing entered it does nothing). At the start of every computation it is part of,
it adds itself to the empty set dask swapped in, so every set dask holds has it, whichever
threads compute and in whatever order they end. It hands each hook of a thread's outermost
computation to the callbacks entered on that thread (dask calls the hooks on the thread that
computes; as with dask's own callbacks, computations nested in a task are not seen).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dask.callbacks import Callback


class _Dispatch(Callback):
    """Hands every hook of a thread's outermost computation to the callbacks entered on that
    thread (innermost last)."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def entered(self) -> list[Callback]:
        """The callbacks entered on this thread (a list of its own)."""
        if not hasattr(self.local, "entered"):
            self.local.entered, self.local.depth = [], 0
        return self.local.entered

    def _call(self, hook: str, *args) -> None:
        if self.local.depth != 1:  # a computation nested in one of this thread's tasks
            return
        for callback in tuple(self.local.entered):
            method = getattr(callback, hook, None)
            if method is not None:
                method(*args)

    def _start(self, dsk) -> None:
        self.register()  # into the set dask swapped in for this computation's length
        self.entered()
        self.local.depth += 1
        self._call("_start", dsk)

    def _start_state(self, dsk, state) -> None:
        self._call("_start_state", dsk, state)

    def _pretask(self, key, dsk, state) -> None:
        self._call("_pretask", key, dsk, state)

    def _posttask(self, key, result, dsk, state, worker_id) -> None:
        self._call("_posttask", key, result, dsk, state, worker_id)

    def _finish(self, dsk, state, errored) -> None:
        try:
            self._call("_finish", dsk, state, errored)
        finally:
            self.local.depth -= 1


_DISPATCH = _Dispatch()
_DISPATCH.register()


@contextmanager
def on_this_thread(callback: Callback) -> Iterator[None]:
    """Within the block, ``callback`` sees the dask computations started on this thread (local
    schedulers) and none of other threads'; nothing of it stays registered after.

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
    ...     total = int(da.ones(4, chunks=2).sum().compute(scheduler="threads"))
    >>> total, count.tasks > 0
    (4, True)
    """
    entered = _DISPATCH.entered()
    entered.append(callback)
    _DISPATCH.register()  # a backstop: dask's set is never without it (see the module)
    try:
        yield
    finally:
        entered.remove(callback)
