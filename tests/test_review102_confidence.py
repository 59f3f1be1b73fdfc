"""Confidence analysis stops within a block of its passes when cancelled (trial 98, finding 5:
the worker went on 4.7 to 5.6 s after Cancel on an 8192² map)."""

import threading

import numpy as np
import pytest

import napari_seg_eval as nse
from napari_seg_eval._qt.widget import SegEvalWidget
from napari_seg_eval.core import confidence as confidence_module
from napari_seg_eval.core.blocks import BLOCK_PIXELS
from napari_seg_eval.evaluation import Cancelled


def dock(viewer):
    """The dock, built as napari's plugin menu builds it."""
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation", area="right")
    return widget


def two_block_case():
    """A 1025 x 1024 map: 1,049,600 pixels, one more row than BLOCK_PIXELS = 1,048,576 (1024
    rows of 1024), so a pass folds two blocks: 1,048,576 pixels, then 1,024. Left half true."""
    assert BLOCK_PIXELS == 1024 * 1024
    true = np.zeros((1025, 1024), np.int32)
    true[:, :512] = 1
    prob = np.where(true > 0, 0.8, 0.3).astype(np.float32)
    return true, prob


class Tripping:
    """A cancel check that raises on its ``trip_at``-th call (never, if None), counting calls."""

    def __init__(self, trip_at=None):
        self.trip_at, self.calls = trip_at, 0

    def __call__(self):
        self.calls += 1
        if self.calls == self.trip_at:
            raise Cancelled("the run was cancelled")


def test_the_sweep_checks_before_each_block_and_stops_at_once():
    true, prob = two_block_case()
    check = Tripping()
    result = nse.threshold_sweep(true, prob, steps=10, check=check)
    assert check.calls == 2  # one check per block, two blocks
    # the check changes nothing: at t = 0.5, the 524,800 true pixels (0.8) are foreground
    # and the others (0.3) not
    row = result.per_threshold.set_index("threshold").loc[0.5]
    assert (row["tp"], row["fp"], row["fn"]) == (1025 * 512, 0, 0)
    tripped = Tripping(trip_at=2)  # cancelled after the first block
    with pytest.raises(Cancelled):
        nse.threshold_sweep(true, prob, steps=10, check=tripped)
    assert tripped.calls == 2  # raised before the second block, nothing after


def test_calibration_checks_every_block_of_both_passes():
    true, prob = two_block_case()
    check = Tripping()
    nse.calibration(true, prob, method="temperature", check=check)
    # two passes (the sums, then the temperature-scaled map's) of two blocks each
    assert check.calls == 4
    tripped = Tripping(trip_at=2)
    with pytest.raises(Cancelled):
        nse.calibration(true, prob, method="temperature", check=tripped)
    assert tripped.calls == 2


def test_the_object_sweep_checks_before_each_threshold():
    true = np.array([[1, 1, 0, 2, 2]])
    prob = np.array([[0.9, 0.8, 0.1, 0.4, 0.4]])
    check = Tripping()
    nse.instance_threshold_sweep(true, prob, thresholds=[0.3, 0.5], check=check)
    assert check.calls == 2
    tripped = Tripping(trip_at=2)
    with pytest.raises(Cancelled):
        nse.instance_threshold_sweep(true, prob, thresholds=[0.3, 0.5], check=tripped)


def test_a_cancelled_analysis_reads_no_further_block(make_napari_viewer, qtbot, monkeypatch):
    """Cancel while the worker is inside the sweep's first block (held there by a gate): once
    let go, it reads no second block and starts no calibration pass, and no calibrated map
    is added."""
    true, prob = two_block_case()
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob")
    viewer.add_labels(true, name="truth")
    widget = dock(viewer)
    widget.set_probability_layer("prob")
    while widget._preview_timer.isActive() or widget.preview_job.running:
        with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
            pass
    confidence = widget.confidence
    confidence.truth_combo.set_layer("truth")
    confidence.metric_combo.setCurrentText("iou")
    confidence.temperature_check.setChecked(True)  # as in the trial

    entered, gate = threading.Event(), threading.Event()
    sweep_blocks, calibration_blocks = [], []
    sweep_partial = confidence_module._sweep_histogram
    calibration_partial = confidence_module._calibration_partial

    def gated_sweep(*args, **kwargs):
        sweep_blocks.append(1)
        if len(sweep_blocks) == 1:
            entered.set()
            gate.wait(timeout=30)  # a bound only: a test that never lets go fails, not hangs
        return sweep_partial(*args, **kwargs)

    def counted_calibration(*args, **kwargs):
        calibration_blocks.append(1)
        return calibration_partial(*args, **kwargs)

    monkeypatch.setattr(confidence_module, "_sweep_histogram", gated_sweep)
    monkeypatch.setattr(confidence_module, "_calibration_partial", counted_calibration)
    try:
        confidence.run()
        qtbot.waitUntil(entered.is_set, timeout=20_000)
        confidence.cancel()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not confidence.job.running, timeout=20_000)
    assert sweep_blocks == [1]  # the block it was in; not the second
    assert calibration_blocks == [1]  # the same block (one pass), never a second
    assert confidence.summary_label.text() == "Cancelled."
    assert "prob calibrated (temperature)" not in viewer.layers
    assert confidence.run_button.isEnabled() and not confidence.cancel_button.isEnabled()
