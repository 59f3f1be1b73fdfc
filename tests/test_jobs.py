"""Jobs: a worker that outlives its panel (napari's window closed mid-run) stops quietly."""

import threading

from qtpy.QtWidgets import QWidget

from napari_seg_eval._jobs import Job


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
