"""Helpers shared by the dock's tests: the small map that the editing tests paint on, and the
wait for the live preview."""

import numpy as np


def two_squares_map() -> np.ndarray:
    """A 6 x 8 map: a 2 x 2 square at 0.9 and one at 0.52 on a background of 0.1 (p > 0.5 is
    both squares, p > 0.55 the first one only)."""
    prob = np.full((6, 8), 0.1, np.float32)
    prob[1:3, 1:3] = 0.9  # above 0.5 and 0.55
    prob[1:3, 5:7] = 0.52  # above 0.5, not above 0.55
    return prob


def settle_preview(qtbot, widget) -> None:
    """Wait for the live preview already asked for (e.g. drawn when the probability layer was
    chosen): its debounce, then its job."""
    while widget._preview_timer.isActive() or widget.preview_job.running:
        with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
            pass
