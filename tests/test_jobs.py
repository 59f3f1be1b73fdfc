"""Jobs: a worker that outlives its panel (napari's window closed mid-run) stops quietly."""

import gc
import os
import subprocess
import sys
import threading
import weakref
from functools import partial

import pytest
from qtpy.QtWidgets import QApplication, QWidget

from napari_seg_eval._jobs import Job, JobError, _CollectorFreeze


def test_a_run_reporting_after_its_panel_is_deleted_stops_quietly(qtbot):
    panel = QWidget()
    job = Job(panel, on_progress=lambda value: None)
    deleted, reported, ended = threading.Event(), threading.Event(), threading.Event()
    steps = []

    def work(control):
        try:
            control.report((0.1, "first"))
            assert deleted.wait(30)
            control.report((0.5, "after the panel is gone"))  # once crashed: a deleted QObject
            reported.set()
            control.check()  # the deleted panel cancelled the run
            steps.append("went on")
        finally:
            ended.set()

    job.start(work, steps.append, control=True)
    with qtbot.waitSignal(panel.destroyed, timeout=10_000):
        panel.deleteLater()
    deleted.set()
    assert ended.wait(30)
    assert reported.is_set() and steps == []
    qtbot.wait_until(lambda: job.worker is None or not job.worker.is_running, timeout=10_000)


def test_old_objects_are_kept_from_the_collector_while_any_worker_runs(qtbot):
    """A full garbage collection walks every object of napari and holds every thread: while a
    job runs, the objects that existed at its start are frozen, and handed back at the end."""
    qtbot.wait_until(lambda: _CollectorFreeze.running == 0, timeout=30_000)
    assert gc.get_freeze_count() == 0
    panel = QWidget()
    first, second = Job(panel), Job(panel)
    release = {name: threading.Event() for name in ("first", "second")}
    old = [object()]  # a list, tracked by the collector

    def collected(thing):  # among the objects the collector walks (frozen ones are not)
        return any(candidate is thing for candidate in gc.get_objects())

    assert collected(old)

    def waits_for(name):
        def work():
            assert release[name].wait(30)
            if name == "second":
                raise ValueError("bad input")  # a failed run hands the objects back too
            return name

        return work

    results = []
    first.start(waits_for("first"), results.append)
    assert not collected(old) and gc.get_freeze_count() > 0
    second.start(waits_for("second"), results.append)
    with qtbot.waitSignal(first.finished, timeout=30_000):
        release["first"].set()
    assert results == ["first"] and gc.get_freeze_count() > 0  # the second still runs
    with qtbot.waitSignal(second.finished, timeout=30_000):
        release["second"].set()
    assert gc.get_freeze_count() == 0 and collected(old)


def test_objects_frozen_by_the_process_itself_stay_frozen(qtbot):
    qtbot.wait_until(lambda: _CollectorFreeze.running == 0, timeout=30_000)
    panel = QWidget()
    job = Job(panel)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with qtbot.waitSignal(job.finished, timeout=30_000):
            job.start(lambda: 1, lambda value: None)
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()


EXIT_SCRIPT = """
import threading
from qtpy.QtWidgets import QApplication, QWidget
from napari_seg_eval._jobs import Job

app = QApplication([])
panel = QWidget()
job = Job(panel)
started = threading.Event()

def work(control):  # a long run, with a cancellation point at each step (as a dask task)
    started.set()
    while True:
        control.check()
        threading.Event().wait(0.005)

job.start(work, print, control=True)
assert started.wait(30)
print("exiting with the worker running", flush=True)
"""


def test_python_exits_cleanly_while_a_worker_runs(tmp_path):
    """napari closed (or a script ending) during a run: the worker used to go on while Qt
    was torn down, emit into deleted objects, and abort the process."""
    script = tmp_path / "exit_mid_run.py"
    script.write_text(EXIT_SCRIPT)
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=environment, timeout=120
    )
    assert "exiting with the worker running" in done.stdout
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_a_runtime_error_of_a_generator_ends_the_run_as_an_error(qtbot):
    """superqt drops a RuntimeError returned by a generator (it takes it for a deleted
    worker): no error, no end signal, and the collector stayed frozen for good."""
    qtbot.wait_until(lambda: _CollectorFreeze.running == 0, timeout=30_000)
    panel = QWidget()
    errors = []
    job = Job(panel, on_progress=lambda value: None, on_error=errors.append)

    def work():
        yield (0.5, "half way")
        raise RuntimeError("did not converge")

    with qtbot.waitSignal(job.finished, timeout=30_000):
        job.start(work, lambda value: None)
    assert [str(error) for error in errors] == ["RuntimeError: did not converge"]
    assert isinstance(errors[0], JobError) and not job.running
    assert gc.get_freeze_count() == 0


class _Payload:
    """Stands for what a run's work holds: a layer's data, the panel."""


@pytest.mark.parametrize(
    ("generator", "cancelled"),
    [(False, False), (True, False), (True, True)],
    ids=["function", "generator", "cancelled generator"],
)
def test_naparis_record_of_an_ended_worker_keeps_nothing_of_the_run(
    qtbot, make_napari_viewer, generator, cancelled
):
    """napari keeps every worker started under its window for the window's life (the task
    status its quit dialog reads). Once a run ends, that record must not keep the run's work,
    its arguments or the panel alive: it kept a closed viewer's dock, layers and data."""
    viewer = make_napari_viewer()
    panel = QWidget()
    payload = _Payload()

    started, gate = threading.Event(), threading.Event()

    def work(held):
        started.set()
        if generator:
            yield 0.5
        if cancelled:  # stopped at the next yield: the generator stays suspended
            assert gate.wait(30)
            yield 0.75
        return type(held).__name__

    def plain(held):
        return type(held).__name__

    job = Job(panel, on_progress=lambda value: None)
    results = []
    with qtbot.waitSignal(job.finished, timeout=30_000):
        job.start(partial(work if generator else plain, payload), results.append)
        if cancelled:
            assert started.wait(30)
            job.cancel()
            gate.set()
    assert results == ([] if cancelled else ["_Payload"])
    tasks = viewer.window._task_status_manager._tasks
    assert len(tasks) == 1  # napari's record of the worker stays
    payload_alive, panel_alive = weakref.ref(payload), weakref.ref(job)
    del payload, job, work, plain
    with qtbot.waitSignal(panel.destroyed, timeout=10_000):
        panel.deleteLater()
    del panel
    gc.collect()
    assert payload_alive() is None and panel_alive() is None
    assert len(tasks) == 1


def test_reports_queued_together_are_shown_once_as_the_last(qtbot):
    """Regression (trial27, finding 6): each chunk's report set the progress bar, which
    repaints at once; 43 reports queued behind one another held the main thread 0.9 s. The
    reports waiting together are shown once, as the latest; a step yielded after them wins."""
    panel = QWidget()
    shown = []
    job = Job(panel, on_progress=shown.append)
    queued, go = threading.Event(), threading.Event()

    def work(control):
        for chunk in range(50):  # queued while the main thread is held below
            control.report((chunk / 100, "reading chunks"))
        queued.set()
        assert go.wait(30)
        control.report((0.6, "reading chunks"))
        yield (0.7, "the next step")  # queued after the report: the report is older
        queued.set()
        assert go.wait(30)

    job.start(work, lambda value: None, control=True)
    assert queued.wait(30)  # the main thread takes no event until the 50 are queued
    queued.clear()
    qtbot.wait_until(lambda: shown == [(0.49, "reading chunks")], timeout=10_000)
    go.set()
    assert queued.wait(30)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert shown == [(0.49, "reading chunks"), (0.7, "the next step")]


def test_no_report_is_shown_after_the_run_has_ended(qtbot):
    """Regression (review36): a report waiting to be shown was shown after the run's result,
    and the status said "3 of 3 pairs…" again over "Done"."""
    from qtpy.QtCore import QThreadPool

    panel = QWidget()
    calls = []
    job = Job(panel, on_progress=lambda value: calls.append(("progress", value)))

    def work(control):
        for chunk in range(3):
            control.report((chunk / 3, f"chunk {chunk}"))
        return "result"

    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.start(work, lambda value: calls.append(("done", value)), control=True)
        # the worker ends before the main thread takes any event: its reports, result and end
        # are all queued (a report's timer would fire after them)
        assert QThreadPool.globalInstance().waitForDone(30_000)
    QApplication.processEvents()  # anything still queued behind the end
    assert calls[-1] == ("done", "result")
