"""The Run / Cancel buttons, progress bar and status line that every long-running tab shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qtpy.QtWidgets import QLabel, QProgressBar, QPushButton, QWidget

#: A ring round the focused button, seen on napari's dark and light themes alike (a mid blue:
#: contrast above 3:1 with both backgrounds).
FOCUS_STYLE = "QPushButton:focus { border: 2px solid #2f8fe0; }"


@dataclass
class RunControls:
    """The widgets; the panel lays them out and enables them as its job starts and ends."""

    run_button: QPushButton
    cancel_button: QPushButton
    progress_bar: QProgressBar
    status_label: QLabel


def run_controls(
    parent: QWidget, run: Callable[[], object], cancel: Callable[[], object]
) -> RunControls:
    """Make the Run and Cancel buttons (calling ``run()`` and ``cancel()``), a 0..100 progress
    bar and a word-wrapped status line, children of ``parent``.

    The buttons show keyboard focus (:data:`FOCUS_STYLE`) and Return or Enter presses the
    focused one, as Space does.
    """
    run_button = QPushButton("Run", parent)
    run_button.clicked.connect(lambda: run())
    cancel_button = QPushButton("Cancel", parent)
    for button in (run_button, cancel_button):
        button.setStyleSheet(FOCUS_STYLE)
        button.setAutoDefault(True)  # Return on the focused button presses it
    cancel_button.setEnabled(False)
    cancel_button.clicked.connect(lambda: cancel())
    progress_bar = QProgressBar(parent)
    progress_bar.setRange(0, 100)
    status_label = QLabel("", parent)
    status_label.setWordWrap(True)
    return RunControls(run_button, cancel_button, progress_bar, status_label)
