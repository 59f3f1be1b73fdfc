"""The Confidence analysis section of the dock, against the core on the same arrays."""

import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval import _jobs


@pytest.fixture
def panel(make_napari_viewer):
    data = nse.make_sample_data()
    viewer = make_napari_viewer()
    viewer.add_image(data["probability"], name="prob", scale=(2, 2))
    viewer.add_labels(data["ground_truth"], name="truth", scale=(2, 2))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.confidence.truth_combo.set_layer("truth")
    return viewer, widget, data


def test_analysis_equals_core_and_best_threshold_moves_the_slider(panel):
    _, widget, data = panel
    widget.confidence.metric_combo.setCurrentText("dice")
    results = widget.confidence.run(wait=True)
    expected = nse.threshold_sweep(data["ground_truth"], data["probability"], metric="dice")
    pd.testing.assert_frame_equal(results["sweep"].per_threshold, expected.per_threshold)
    calib = nse.calibration(data["ground_truth"], data["probability"])
    pd.testing.assert_frame_equal(results["calibration"].bins, calib.bins)
    assert widget.confidence.best_button.isEnabled()
    widget.confidence.best_button.click()
    assert widget.threshold == pytest.approx(expected.summary["best_threshold"])
    metric_axes = widget.confidence.plot.grid[0, 0]
    assert metric_axes.lines[1].get_xdata()[0] == pytest.approx(widget.threshold)  # current mark


def test_plots_and_data_export(panel, tmp_path):
    _, widget, _ = panel
    widget.confidence.run(wait=True)
    assert all(
        len(axes.lines) + len(axes.patches) > 0 for axes in widget.confidence.plot.figure.axes
    )
    png = widget.confidence.export_png(tmp_path / "plots.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    paths = widget.confidence.export_csv(tmp_path)
    assert sorted(p.name for p in paths) == ["calibration_bins.csv", "threshold_sweep.csv"]
    assert len(pd.read_csv(tmp_path / "threshold_sweep.csv")) == 1001


def test_temperature_adds_the_calibrated_map(panel):
    viewer, widget, data = panel
    widget.confidence.temperature_check.setChecked(True)
    results = widget.confidence.run(wait=True)
    temperature = results["calibration"].summary["temperature"]
    layer = viewer.layers["prob calibrated"]
    np.testing.assert_array_equal(
        layer.data, nse.apply_temperature(data["probability"], temperature)
    )
    assert tuple(layer.scale) == (2, 2)
    assert layer.metadata["napari-seg-eval"]["temperature"] == pytest.approx(temperature)
    widget.confidence.run(wait=True)  # again: the same layer is updated
    assert [layer.name for layer in viewer.layers].count("prob calibrated") == 1


def test_worker_run_and_bad_input(panel, qtbot, monkeypatch):
    viewer, widget, _ = panel
    with qtbot.waitSignal(widget.confidence.job.finished, timeout=60_000):
        widget.confidence.run()
    assert "Best iou" in widget.confidence.summary_label.text()
    shown = []
    monkeypatch.setattr(_jobs, "show_error", shown.append)
    viewer.add_labels(np.zeros((5, 5), np.uint8), name="small")
    widget.confidence.truth_combo.set_layer("small")
    before = dict(widget.confidence.results)
    assert widget.confidence.run(wait=True) is None
    assert "shape mismatch" in shown[0] and widget.confidence.results.keys() == before.keys()
