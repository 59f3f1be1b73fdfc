"""The one way the dock runs heavy work: in a worker thread, with progress, cancel and notices.

A :class:`Job` runs one kind of work (an evaluation, a preview, a re-match). Each start gets a
new generation number; results are handed over on the main thread only if their generation is
still the current one. So the latest start wins, and a cancelled or superseded run can never
fill a table, whichever thread finishes first.

While any job's worker runs, the objects that existed when the first one started are kept out
of Python's cyclic garbage collector (:func:`gc.freeze`), and handed back to it when the last
one ends. A worker allocates as it goes, and so starts full collections; a full collection
walks every tracked object of the process, holding every thread: with napari's few hundred
thousand objects that is 100 to 130 ms during which the viewer cannot redraw (measured while
evaluating a 32,768² dask pair). Frozen, those objects are not walked; garbage among them waits
for the first collection after the jobs end. A process that froze objects itself is left alone.

When Python exits (napari closed while a run goes on, or a script's end), the jobs are
cancelled and their workers waited for, up to :data:`EXIT_WAIT_MS`: a worker still running while
Qt's objects are torn down emits into deleted objects, and the process aborts.
"""

from __future__ import annotations

import atexit
import gc
import inspect
import weakref
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_warning
from qtpy.QtCore import QObject, QThreadPool, QTimer, Signal

from .core._thread_callbacks import own_callbacks_only
from .evaluation import RunControl

#: Errors that mean bad input (shown as a notification); any other error is a bug and raises.
INPUT_ERRORS = (TypeError, ValueError)

#: How long Python's exit waits for the cancelled workers (each stops within one dask task or
#: one batch of bootstrap resamples).
EXIT_WAIT_MS = 10_000

#: Every job not yet garbage: cancelled at exit.
_JOBS: weakref.WeakSet[Job] = weakref.WeakSet()


def notify_error(error: BaseException | str) -> None:
    """A napari error notification with a string message (never an exception object)."""
    show_error(f"Segmentation Evaluation: {error}")


def notify_warning(message: object, category: type[Warning]) -> None:
    """A napari warning notification for a ``UserWarning`` given in a worker (napari's workers
    catch every warning and pass it on only as their ``warned`` signal, which nothing shows):
    the evaluation's hints (a map's channel 0 that looks like background, masks given as
    labels, ...). Other categories (deprecations, numpy's runtime warnings) are not the user's
    to act on, and are left out. A notice about files names the options as the dock does."""
    from .io.read import DOCK_OPTIONS, FileNotice

    if isinstance(message, FileNotice):
        message = message.text(DOCK_OPTIONS)
    if issubclass(category, UserWarning):
        show_warning(f"Segmentation Evaluation: {message}")


def run_to_end(work: Callable[[], Any]) -> Any:
    """Run ``work`` now: a function, or a generator function whose return value is the result."""
    result = work()
    if not isinstance(result, Generator):
        return result
    while True:
        try:
            next(result)
        except StopIteration as done:
            return done.value


class JobError(Exception):
    """A ``RuntimeError`` raised by a job's generator, passed on under this type: superqt
    takes a ``RuntimeError`` returned by a generator for a deleted worker and drops it, with
    neither an error nor an end signal (the run would seem to go on for ever)."""


def _passing_runtime_errors(work: Callable[[], Generator]) -> Callable[[], Generator]:
    """``work`` (a generator function) with its ``RuntimeError`` raised as :class:`JobError`."""

    def generator() -> Generator:
        try:
            return (yield from work())
        except RuntimeError as error:
            raise JobError(f"{type(error).__name__}: {error}") from error

    return generator


def _calling(held: list[Callable[[], Any]]) -> Callable[[], Any]:
    """A function (a generator function if ``held[0]`` is one) that runs ``held[0]``, on a
    thread whose dask computations see only the run's own callbacks (see
    :func:`~napari_seg_eval.core._thread_callbacks.own_callbacks_only`: napari reading a slice
    meanwhile registers its cache in dask's process-wide set)."""
    if inspect.isgeneratorfunction(held[0]):

        def generator() -> Generator:
            own_callbacks_only()
            # Stepped by hand, not with ``yield from``: a cancelled run stays suspended at a
            # yield in napari's record, and ``yield from`` would keep the work's generator (and
            # its arguments) in this frame; here it lives in ``held`` only.
            held.append(held[0]())
            while held:
                try:
                    value = next(held[-1])
                except StopIteration as done:
                    return done.value
                yield value

        return generator

    def function() -> Any:
        own_callbacks_only()
        return held[0]()

    return function


class _CollectorFreeze:
    """Counts the running workers (on the main thread, where they start and end)."""

    running = 0
    frozen_by_us = False

    @classmethod
    def worker_started(cls) -> None:
        if cls.running == 0 and gc.get_freeze_count() == 0:
            gc.freeze()
            cls.frozen_by_us = True
        cls.running += 1

    @classmethod
    def worker_ended(cls) -> None:
        cls.running -= 1
        if cls.running == 0 and cls.frozen_by_us:
            gc.unfreeze()
            cls.frozen_by_us = False


class _Relay(QObject):
    """Carries a run's reports from its worker to the main thread. It has no Qt parent, so it
    lives as long as the worker holds it: a worker reporting after napari has deleted the
    panel (and its job) emits into no receiver instead of into a deleted object."""

    #: (generation, value) reported by a run's :class:`RunControl`, from any thread.
    reported = Signal(int, object)


class Job(QObject):
    """Run work in a worker; hand its result to ``on_done`` only if it is still wanted.

    Parameters
    ----------
    parent
        The panel that owns the job; when it is destroyed the job stops delivering.
    on_progress
        Called on the main thread with each value a generator yields.
    on_error
        Called with the error (default: a notification).
    """

    #: Emitted on the main thread when a run ends (done, failed, cancelled or superseded).
    finished = Signal()

    def __init__(
        self,
        parent: QObject,
        *,
        on_progress: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] = notify_error,
    ):
        super().__init__(parent)
        self.generation = 0
        self.worker = None
        self.closed = False
        self._on_progress = on_progress
        self._on_error = on_error
        self._control: RunControl | None = None
        self._report: tuple[int, Any] | None = None  # the latest report not yet shown
        self._relay = _Relay()
        self._relay.reported.connect(self._on_reported)
        parent.destroyed.connect(self._parent_destroyed)
        _JOBS.add(self)

    @property
    def running(self) -> bool:
        """True while a worker of this job runs (even a cancelled one that has not ended)."""
        return self.worker is not None

    def start(
        self, work: Callable[..., Any], on_done: Callable[[Any], None], *, control: bool = False
    ) -> None:
        """Run ``work`` in a worker; a run still going is cancelled (the latest start wins).

        With ``control=True``, ``work`` is called with ``control=`` a :class:`RunControl`: its
        reports reach ``on_progress`` (on the main thread, while the run is current) and
        :meth:`cancel` stops it within one dask task (for work stuck in one long call).

        Examples
        --------
        >>> job.start(lambda: 1 + 1, print)  # doctest: +SKIP
        """
        self.cancel()
        self.generation += 1
        generation = self.generation
        if control:
            relay = self._relay

            def report(value: Any) -> None:
                relay.reported.emit(generation, value)

            self._control = RunControl(report)
            work = partial(work, control=self._control)

        def current() -> bool:
            return not self.closed and generation == self.generation

        def done(value: Any) -> None:
            if current():
                self._report = None  # a report still waiting is older than the end
                on_done(value)

        def failed(error: BaseException) -> None:
            if current():
                self._report = None
                self._on_error(error)

        def progress(value: Any) -> None:
            if current() and self._on_progress is not None:
                self._report = None  # a step yielded after it: the report is older
                self._on_progress(value)

        def warned(showwarning_args: tuple) -> None:
            if current():
                notify_warning(*showwarning_args[:2])

        def ended() -> None:
            _CollectorFreeze.worker_ended()
            held.clear()
            for signal, handler in handlers.items():
                getattr(worker, signal).disconnect(handler)
            if self.worker is worker:
                self.worker = None
            if not self.closed:
                self.finished.emit()

        # Handlers go through _connect: an "errored" handler connected later would not stop
        # the worker from also re-raising the error in the Qt event loop.
        handlers = {"returned": done, "errored": failed, "warned": warned, "finished": ended}
        if inspect.isgeneratorfunction(work):
            work = _passing_runtime_errors(work)
            handlers["yielded"] = progress
        # napari keeps a record of every worker for the life of its window (the task status
        # its quit dialog reads), and with it the worker's function and handlers. Once the
        # worker ends, ``ended`` empties ``held`` and disconnects the handlers, so that record
        # keeps neither the work's arguments (a layer's data) nor this panel alive.
        held = [work]
        worker = create_worker(_calling(held), _start_thread=False, _connect=handlers)
        self.worker = worker
        _CollectorFreeze.worker_started()
        worker.start()

    def run_now(
        self, work: Callable[..., Any], on_done: Callable[[Any], Any], *, control: bool = False
    ) -> Any:
        """Run ``work`` on this thread (``wait=True``): cancel any run, then return ``on_done``'s
        value, or None after a notification if the input was bad. ``control`` as in
        :meth:`start` (a control that is never cancelled)."""
        self.cancel()
        if control:
            work = partial(work, control=RunControl())
        try:
            result = run_to_end(work)
        except INPUT_ERRORS as error:
            self._on_error(error)
            return None
        return on_done(result)

    def cancel(self) -> None:
        """Drop the running work's result; the worker stops at its next step."""
        self.generation += 1
        self._report = None
        if self._control is not None:
            self._control.cancel()
            self._control = None
        if self.worker is not None:
            self.worker.quit()

    def close(self) -> None:
        """Cancel and never deliver again (the panel is going away)."""
        self.cancel()
        self.closed = True

    def _on_reported(self, generation: int, value: Any) -> None:
        """Keep the latest report of a run; show it once the reports queued with it are in.

        A pass reports each chunk it reads, often faster than the main thread repaints the
        progress bar (``QProgressBar.setValue`` repaints at once: 43 reports queued behind
        one another took 0.9 s of the main thread on a slide); the reports waiting in the
        event queue are folded into the last of them, shown by one zero-timeout timer (which
        fires once the queued events are handled)."""
        if generation != self.generation or self.closed or self._on_progress is None:
            return
        waiting = self._report is not None
        self._report = (generation, value)
        if not waiting:
            QTimer.singleShot(0, self._show_report)

    def _show_report(self) -> None:
        if self._report is None:
            return
        (generation, value), self._report = self._report, None
        if generation == self.generation and not self.closed and self._on_progress is not None:
            self._on_progress(value)

    def _parent_destroyed(self, *_) -> None:
        self.closed = True
        if self._control is not None:  # the run stops at its next step
            self._control.cancel()


@atexit.register
def _stop_workers_at_exit() -> None:
    """Cancel every job and wait for the workers of the thread pool (bounded)."""
    for job in list(_JOBS):
        job.close()  # plain Python state and the workers' own flags: safe after Qt's delete
    QThreadPool.globalInstance().waitForDone(EXIT_WAIT_MS)
