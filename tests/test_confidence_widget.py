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
    # the default "Best by" is object F1, so the object sweep is exported too
    assert sorted(p.name for p in paths) == [
        "calibration_bins.csv",
        "object_threshold_sweep.csv",
        "threshold_sweep.csv",
    ]
    assert len(pd.read_csv(tmp_path / "threshold_sweep.csv")) == 1001
    assert len(pd.read_csv(tmp_path / "object_threshold_sweep.csv")) == 19  # 0.05 .. 0.95


def test_the_best_threshold_is_for_objects_by_default(panel):
    _, widget, data = panel
    assert widget.confidence.metric_combo.currentText() == "objects: F1 @ IoU 0.5"
    widget.confidence.run(wait=True)
    widget.confidence.use_best_threshold()
    # the Threshold tab's defaults: 4-connected objects, no minimum size, no split
    sweep = nse.instance_threshold_sweep(data["ground_truth"], data["probability"], connectivity=1)
    assert widget.threshold == pytest.approx(float(sweep.loc[sweep["best"], "threshold"].iloc[0]))


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


# Issue 10: the best threshold for objects ---------------------------------------------------
@pytest.mark.parametrize(
    ("choice", "column"),
    [("objects: F1 @ IoU 0.5", "f1_50"), ("objects: AP (DSB)", "mean_accuracy")],
)
def test_object_best_threshold_equals_the_api(panel, choice, column):
    _, widget, data = panel
    widget.min_size_spin.setValue(10)
    widget.split_check.setChecked(True)
    widget.confidence.metric_combo.setCurrentText(choice)
    results = widget.confidence.run(wait=True)
    expected = nse.instance_threshold_sweep(
        data["ground_truth"],
        data["probability"],
        metric=column,
        connectivity=1,
        min_size=10,
        split_touching=True,
    )
    pd.testing.assert_frame_equal(results["objects"], expected.drop(columns="best"))
    best = float(expected.loc[expected["best"], "threshold"].iloc[0])
    assert widget.confidence.best_threshold == best
    widget.confidence.best_button.click()
    assert widget.threshold == pytest.approx(best)
    metric_axes = widget.confidence.plot.grid[0, 0]
    assert metric_axes.lines[2].get_xdata()[0] == pytest.approx(best)  # the best mark
    object_curve = metric_axes.lines[3]  # beside the pixel curve (lines[0])
    np.testing.assert_allclose(object_curve.get_ydata(), expected[column].astype(float))
    from qtpy.QtWidgets import QLabel

    labels = widget.confidence.findChildren(QLabel)
    assert any("not used to report the result" in label.text() for label in labels)


def test_object_best_threshold_by_panoptic_quality(panel):
    _, widget, data = panel
    widget.confidence.metric_combo.setCurrentText("objects: PQ @ IoU 0.5")
    widget.confidence.run(wait=True)
    table = nse.instance_threshold_sweep(data["ground_truth"], data["probability"], connectivity=1)
    pq = table["panoptic_quality_50"].astype(float).to_numpy()
    best = table["threshold"].to_numpy()[np.flatnonzero(pq == pq.max())[0]]  # lowest on ties
    widget.confidence.use_best_threshold()
    assert widget.threshold == pytest.approx(best)


def test_object_sweep_runs_in_a_worker_with_progress_and_cancel(panel, qtbot):
    _, widget, _ = panel
    confidence = widget.confidence
    confidence.metric_combo.setCurrentText("objects: F1 @ IoU 0.5")
    seen = []
    confidence.progress_bar.valueChanged.connect(seen.append)
    with qtbot.waitSignal(confidence.job.finished, timeout=120_000):
        confidence.run()
    assert "F1 @ IoU 0.5" in confidence.summary_label.text()
    assert len(seen) > 5 and seen[-1] == 100  # one step per threshold
    with qtbot.waitSignal(confidence.job.finished, timeout=120_000):
        confidence.run()
        confidence.cancel_button.click()  # on the main thread, before any result is handed over
    assert confidence.summary_label.text() == "Cancelled."
    assert confidence.run_button.isEnabled() and not confidence.cancel_button.isEnabled()


def test_calibrated_map_is_coloured_below_results_and_can_be_the_probability_layer(panel):
    viewer, widget, _ = panel
    widget.update_threshold_layer(wait=True)
    widget.confidence.temperature_check.setChecked(True)
    widget.confidence.run(wait=True)
    layer = viewer.layers["prob calibrated"]
    names = [x.name for x in viewer.layers]
    assert names.index("prob calibrated") == names.index("prob") + 1  # below "prob thresholded"
    assert names.index("prob calibrated") < names.index("prob thresholded")
    assert layer.colormap.name == "napari-seg-eval:confidence"
    assert layer.blending == "translucent" and layer.opacity < 1
    widget.confidence.use_calibrated_button.click()
    assert widget.probability_combo.layer() is layer
    thresholded = widget.update_threshold_layer(wait=True)
    np.testing.assert_array_equal(thresholded.data, nse.threshold_probabilities(layer.data, 0.5))


def test_integer_map_analysis_equals_the_float_map(panel):
    viewer, widget, data = panel
    prob8 = np.round(data["probability"] * 255).astype(np.uint8)
    viewer.add_image(prob8, name="prob8", scale=(2, 2))
    widget.set_probability_layer("prob8")
    results = widget.confidence.run(wait=True)
    expected = nse.threshold_sweep(data["ground_truth"], prob8 / 255)
    pd.testing.assert_frame_equal(results["sweep"].per_threshold, expected.per_threshold)
