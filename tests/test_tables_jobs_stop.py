"""A background copy or export of a table stops when the table changes (review108): it would
give rows no longer shown; a script's copy(wait=True) over a running export leaves no stale
status; Ctrl+C copies the table that has the focus when two are in sight."""

import pandas as pd
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication, QVBoxLayout, QWidget

from napari_seg_eval._qt import tables
from napari_seg_eval._qt.tables import ResultTable
from test_tables101_big_tables import frame, held_after_first_piece, table_of


def test_a_new_frame_stops_a_copy_of_the_old_one(qtbot, monkeypatch):
    table = table_of(qtbot)
    started, go = held_after_first_piece(monkeypatch)
    QApplication.clipboard().setText("before")
    copied = []
    table.copied.connect(copied.append)
    table.copy(wait=False)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    with qtbot.waitSignal(table.job.finished, timeout=10_000):
        table.set_frame(pd.DataFrame({"label": [9]}))  # a new run's rows
        go.set()
    assert QApplication.clipboard().text() == "before"  # the old rows never land
    assert copied == []
    assert table.status_label.text() == "Stopped, the table changed: nothing copied."
    assert table.copy_button.isEnabled()


def test_a_copy_here_over_a_running_export_leaves_no_stale_status(qtbot, tmp_path, monkeypatch):
    table = table_of(qtbot)
    started, go = held_after_first_piece(monkeypatch)
    table.export_csv(tmp_path / "objects.csv", wait=False)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    with qtbot.waitSignal(table.job.finished, timeout=10_000):
        text = table.copy(wait=True)  # a script: the export is dropped
        go.set()
    assert text.startswith("kind\tlabel\tiou\terror\n")
    assert table.status_label.text() == ""  # not "Exporting 5 rows to objects.csv…"
    assert list(tmp_path.iterdir()) == []  # nothing written, no hidden file


def test_ctrl_c_copies_the_focused_table_of_two(qtbot):
    panel = QWidget()
    qtbot.addWidget(panel)
    layout = QVBoxLayout(panel)
    first, second = ResultTable("first", parent=panel), ResultTable("second", parent=panel)
    first.set_frame(frame())
    second.set_frame(pd.DataFrame({"label": [7, 8]}))
    layout.addWidget(first)
    layout.addWidget(second)
    panel.show()
    panel.activateWindow()
    qtbot.waitActive(panel)
    QApplication.clipboard().setText("before")
    second.view.setFocus()
    qtbot.waitUntil(second.view.hasFocus)
    qtbot.keyClick(second.view, "c", Qt.KeyboardModifier.ControlModifier)
    # Nothing selected: the whole focused table, header then rows (7, 8).
    assert QApplication.clipboard().text() == "label\n7\n8\n"
    assert tables.WORKER_CELLS > 2  # so it was copied here, at once
