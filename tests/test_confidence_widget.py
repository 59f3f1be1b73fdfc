"""The Confidence analysis section of the dock, against the core on the same arrays."""

import re

import numpy as np
import pandas as pd
import pytest
from napari.utils.theme import get_theme

import napari_seg_eval as nse
from napari_seg_eval import _jobs


@pytest.fixture
def panel(make_napari_viewer, qtbot):
    data = nse.make_sample_data()
    viewer = make_napari_viewer()
    viewer.add_image(data["probability"], name="prob", scale=(2, 2))
    viewer.add_labels(data["ground_truth"], name="truth", scale=(2, 2))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.confidence.truth_combo.set_layer("truth")
    # the live preview is drawn once the map is chosen: it lands before the tests look
    while widget._preview_timer.isActive() or widget.preview_job.running:
        with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
            pass
    assert widget.threshold_layer is not None
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
    layer = viewer.layers["prob calibrated (temperature)"]
    np.testing.assert_array_equal(
        layer.data, nse.apply_temperature(data["probability"], temperature)
    )
    assert tuple(layer.scale) == (2, 2)
    assert layer.metadata["napari-seg-eval"]["temperature"] == pytest.approx(temperature)
    assert layer.metadata["napari-seg-eval"]["method"] == "temperature"
    widget.confidence.run(wait=True)  # again: the same layer is updated
    assert [layer.name for layer in viewer.layers].count("prob calibrated (temperature)") == 1
    assert "prob calibrated (Platt)" not in viewer.layers  # only the method asked for


def test_worker_run_and_bad_input(panel, qtbot, monkeypatch):
    viewer, widget, _ = panel
    with qtbot.waitSignal(widget.confidence.job.finished, timeout=60_000):
        widget.confidence.run()
    assert "Best IoU" in widget.confidence.summary_label.text()
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
    layer = viewer.layers["prob calibrated (temperature)"]
    names = [x.name for x in viewer.layers]
    # just above its source, below "prob thresholded"
    assert names.index(layer.name) == names.index("prob") + 1
    assert names.index(layer.name) < names.index("prob thresholded")
    assert layer.colormap.name == "napari-seg-eval:confidence"
    assert layer.blending == "translucent" and layer.opacity < 1
    assert widget.confidence.use_calibrated_buttons["platt"].isHidden()  # no Platt map
    widget.confidence.use_calibrated_buttons["temperature"].click()
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


# Issue 12: Platt scaling beside temperature scaling -----------------------------------------
def shown_scores(widget) -> dict[str, tuple[float, float]]:
    """The ECE and NLL of each row of the calibration table, as the label shows them."""
    text = widget.confidence.calibration_label.text()
    rows = re.findall(r"<tr><td[^>]*>(\w+)</td>(.*?)</tr>", text)
    numbers = {name: re.findall(r"(\d+\.\d{3})</?", cells) for name, cells in rows}
    return {name: (float(found[0]), float(found[1])) for name, found in numbers.items() if found}


def test_platt_and_temperature_side_by_side_equal_the_core(panel):
    viewer, widget, data = panel
    true, prob = data["ground_truth"], data["probability"]
    confidence = widget.confidence
    confidence.metric_combo.setCurrentText("dice")
    confidence.temperature_check.setChecked(True)
    confidence.platt_check.setChecked(True)
    results = confidence.run(wait=True)
    platt = nse.calibration(true, prob, method="platt").summary
    temperature = nse.calibration(true, prob, method="temperature").summary
    table = results["calibration_methods"].set_index("method")
    assert list(table.index) == ["uncalibrated", "temperature", "Platt"]
    expected = {
        "uncalibrated": (platt["ece"], platt["nll"]),
        "temperature": (temperature["ece_calibrated"], temperature["nll_calibrated"]),
        "Platt": (platt["ece_calibrated"], platt["nll_calibrated"]),
    }
    for method, (ece, nll) in expected.items():
        assert table.loc[method, "ece"] == pytest.approx(ece, rel=1e-12)
        assert table.loc[method, "nll"] == pytest.approx(nll, rel=1e-12)
    # what the panel shows, to its three decimals
    assert not confidence.calibration_label.isHidden()
    shown = shown_scores(widget)
    assert shown.keys() == expected.keys()
    for method, (ece, nll) in expected.items():
        assert shown[method] == (round(ece, 3), round(nll, 3))
    text = confidence.calibration_label.text()
    assert f"T = {temperature['temperature']:.3f}" in text
    assert f"a = {platt['platt_slope']:.3f}, b = {platt['platt_intercept']:+.3f}" in text
    # the two maps, named by method, each equal to the core's recalibration
    slope, intercept = platt["platt_slope"], platt["platt_intercept"]
    platt_layer = viewer.layers["prob calibrated (Platt)"]
    np.testing.assert_array_equal(platt_layer.data, nse.apply_platt(prob, slope, intercept))
    assert platt_layer.metadata["napari-seg-eval"]["platt_slope"] == slope
    assert platt_layer.metadata["napari-seg-eval"]["platt_intercept"] == intercept
    temperature_layer = viewer.layers["prob calibrated (temperature)"]
    np.testing.assert_array_equal(
        temperature_layer.data, nse.apply_temperature(prob, temperature["temperature"])
    )
    assert tuple(platt_layer.scale) == tuple(temperature_layer.scale) == (2, 2)
    # each calibrated map's reliability line is the calibration of that map
    reliability = confidence.plot.grid[1, 1]
    lines = {line.get_label(): line for line in reliability.lines}
    bins = nse.calibration(true, platt_layer.data).bins
    bins = bins[bins["count"] > 0]
    np.testing.assert_allclose(lines["Platt"].get_xdata(), bins["mean_probability"])
    np.testing.assert_allclose(lines["Platt"].get_ydata(), bins["observed_frequency"])
    assert "temperature" in lines
    confidence.use_calibrated_map("platt")
    assert widget.probability_combo.layer() is platt_layer


def test_platt_by_hand_on_a_tiny_map(make_napari_viewer):
    # Says 90 % where it is right 70 % of the time, and 10 % where it is wrong 70 % of the
    # time; 10 pixels of each class. Platt's targets are 11/12 and 1/12, so the fitted map is
    # the smoothed frequencies 7 * 11/12 + 3 * 1/12 = 2/3 and 1/3 (two logits, two
    # parameters: an exact fit). Before: ECE |0.9 - 0.7| = 0.2, NLL -(0.7 ln 0.9 + 0.3 ln 0.1).
    # After: ECE |2/3 - 0.7| = 1/30, NLL -(0.7 ln 2/3 + 0.3 ln 1/3).
    true = np.array([1] * 7 + [0] * 3 + [1] * 3 + [0] * 7, np.uint8).reshape(4, 5)
    prob = np.array([0.9] * 10 + [0.1] * 10).reshape(4, 5)
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="p")
    viewer.add_labels(true, name="t")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("p")
    widget.confidence.truth_combo.set_layer("t")
    widget.confidence.metric_combo.setCurrentText("dice")
    widget.confidence.platt_check.setChecked(True)
    results = widget.confidence.run(wait=True)
    table = results["calibration_methods"].set_index("method")
    assert list(table.index) == ["uncalibrated", "Platt"]  # temperature not asked for
    assert table.loc["uncalibrated", "ece"] == pytest.approx(0.2)
    assert table.loc["uncalibrated", "nll"] == pytest.approx(
        -(0.7 * np.log(0.9) + 0.3 * np.log(0.1))
    )
    # The histogram moves a logit (ln 9) by up to 0.0039, so p' = 2/3 moves by up to
    # 0.0039 * slope (ln 2 / ln 9) * p'(1 - p') < 3e-4; the NLL's slope in p' there is
    # -0.7 / (2/3) + 0.3 / (1/3) = -0.15, so it moves by < 5e-5.
    assert table.loc["Platt", "ece"] == pytest.approx(1 / 30, abs=3e-4)
    nll = -(0.7 * np.log(2 / 3) + 0.3 * np.log(1 / 3))
    assert table.loc["Platt", "nll"] == pytest.approx(nll, abs=5e-5)
    calibrated = viewer.layers["p calibrated (Platt)"].data
    np.testing.assert_allclose(calibrated[prob == 0.9], 2 / 3, atol=3e-4)
    np.testing.assert_allclose(calibrated[prob == 0.1], 1 / 3, atol=3e-4)
    shown = shown_scores(widget)  # three decimals: within 5e-4 (+ the fit's 3e-4)
    assert shown.keys() == {"uncalibrated", "Platt"}
    assert shown["uncalibrated"] == pytest.approx(
        (0.2, -(0.7 * np.log(0.9) + 0.3 * np.log(0.1))), abs=5e-4
    )
    assert shown["Platt"] == pytest.approx((1 / 30, nll), abs=8e-4)


def test_platt_runs_in_the_worker_with_progress(panel, qtbot):
    viewer, widget, data = panel
    confidence = widget.confidence
    confidence.metric_combo.setCurrentText("iou")
    confidence.platt_check.setChecked(True)
    seen = []
    confidence.progress_bar.valueChanged.connect(seen.append)
    with qtbot.waitSignal(confidence.job.finished, timeout=60_000):
        confidence.run()
    summary = nse.calibration(data["ground_truth"], data["probability"], method="platt").summary
    table = confidence.results["calibration_methods"].set_index("method")
    assert table.loc["Platt", "ece"] == pytest.approx(summary["ece_calibrated"], rel=1e-12)
    assert table.loc["Platt", "nll"] == pytest.approx(summary["nll_calibrated"], rel=1e-12)
    expected = nse.apply_platt(
        data["probability"], summary["platt_slope"], summary["platt_intercept"]
    )
    np.testing.assert_array_equal(viewer.layers["prob calibrated (Platt)"].data, expected)
    assert "prob calibrated (temperature)" not in viewer.layers
    assert len(seen) >= 3 and seen[-1] == 100  # sweep, calibration, Platt's map
    assert not confidence.use_calibrated_buttons["platt"].isHidden()


def test_a_cancelled_platt_fit_adds_no_layer(panel, qtbot):
    viewer, widget, _ = panel
    confidence = widget.confidence
    confidence.metric_combo.setCurrentText("iou")
    confidence.platt_check.setChecked(True)
    names = [layer.name for layer in viewer.layers]
    with qtbot.waitSignal(confidence.job.finished, timeout=60_000):
        confidence.run()
        confidence.cancel_button.click()  # on the main thread, before any result is handed over
    assert confidence.summary_label.text() == "Cancelled."
    assert [layer.name for layer in viewer.layers] == names and confidence.results == {}


def test_calibrated_layers_never_overwrite_a_users_layer(panel):
    viewer, widget, data = panel
    prob = data["probability"]
    mine = viewer.add_image(np.zeros_like(prob), name="prob calibrated (Platt)")
    confidence = widget.confidence
    confidence.metric_combo.setCurrentText("iou")
    confidence.platt_check.setChecked(True)
    confidence.run(wait=True)
    ours = confidence.calibrated_layers["platt"]
    assert ours is not mine and ours.name.startswith("prob calibrated (Platt)")
    assert not mine.data.any() and "napari-seg-eval" not in mine.metadata
    # re-running replaces only our layer of this source and method, in place
    confidence.temperature_check.setChecked(True)
    confidence.run(wait=True)
    assert confidence.calibrated_layers["platt"] is ours
    tagged = [
        layer.metadata["napari-seg-eval"]["role"]
        for layer in viewer.layers
        if "napari-seg-eval" in layer.metadata
        and layer.metadata["napari-seg-eval"].get("source") == "prob"
    ]
    assert tagged.count("calibrated platt") == 1 and tagged.count("calibrated temperature") == 1
    # another source gets its own layers; the first source's are left as they were
    before = ours.data.copy()
    viewer.add_image(prob[::-1].copy(), name="B", scale=(2, 2))
    widget.set_probability_layer("B")
    confidence.run(wait=True)
    np.testing.assert_array_equal(ours.data, before)
    assert "B calibrated (Platt)" in viewer.layers and "B calibrated (temperature)" in viewer.layers
    assert not mine.data.any()


def test_platt_on_a_truth_of_one_class_is_a_notice(panel, errors):
    viewer, widget, data = panel
    viewer.add_labels(np.ones_like(data["ground_truth"]), name="all")
    confidence = widget.confidence
    confidence.truth_combo.set_layer("all")
    confidence.metric_combo.setCurrentText("iou")
    confidence.platt_check.setChecked(True)
    assert confidence.run(wait=True) is None
    assert "both positive and negative" in errors[0]
    assert "prob calibrated (Platt)" not in viewer.layers


def test_calibration_fits_are_exported(panel, tmp_path):
    _, widget, _ = panel
    confidence = widget.confidence
    confidence.metric_combo.setCurrentText("iou")
    confidence.temperature_check.setChecked(True)
    confidence.platt_check.setChecked(True)
    confidence.run(wait=True)
    names = sorted(path.name for path in confidence.export_csv(tmp_path))
    assert names == [
        "calibration_bins.csv",
        "calibration_bins_platt.csv",
        "calibration_bins_temperature.csv",
        "calibration_methods.csv",
        "threshold_sweep.csv",
    ]
    methods = pd.read_csv(tmp_path / "calibration_methods.csv")
    assert list(methods["method"]) == ["uncalibrated", "temperature", "Platt"]
    assert methods.columns.tolist() == [
        "method",
        "temperature",
        "platt_slope",
        "platt_intercept",
        "ece",
        "nll",
    ]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_legends_sit_below_the_axes_not_over_the_curves(panel, theme):
    viewer, widget, _ = panel
    viewer.theme = theme
    confidence = widget.confidence
    confidence.temperature_check.setChecked(True)
    confidence.platt_check.setChecked(True)
    confidence.run(wait=True)
    figure = confidence.plot.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for axes in (confidence.plot.grid[0, 0], confidence.plot.grid[1, 1]):
        legend = axes.get_legend()
        assert legend is not None
        box, frame = legend.get_window_extent(renderer), axes.get_window_extent(renderer)
        assert box.y1 <= frame.y0  # wholly below the axes (and their curves)
        text = legend.get_texts()[0].get_color()
        assert text == get_theme(viewer.theme).text.as_hex()


def test_one_class_of_a_multi_class_map_against_the_rest(panel):
    viewer, widget, data = panel
    objects = data["ground_truth"]
    classes = np.where(objects == 0, 0, np.where(objects % 2 == 1, 1, 2)).astype(np.uint8)
    share = np.select([classes == 1, classes == 2], [0.85, 0.15], 0.5)
    prob = np.stack([data["probability"] * share, data["probability"] * (1 - share)])
    viewer.add_image(prob, name="multi", scale=(1, 2, 2))
    viewer.add_labels(classes, name="classes", scale=(2, 2))
    widget.set_probability_layer("multi")
    confidence = widget.confidence
    assert confidence.class_spin.isHidden()  # no class axis chosen yet
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    assert not confidence.class_spin.isHidden() and confidence.class_spin.maximum() == 2
    confidence.truth_combo.set_layer("classes")
    confidence.set_class(2)
    confidence.platt_check.setChecked(True)
    results = confidence.run(wait=True)  # "Best by" objects: F1 @ IoU 0.5
    one_class = {"class_id": 2, "channel_axis": 0}
    sweep = nse.threshold_sweep(classes, prob, **one_class)
    pd.testing.assert_frame_equal(results["sweep"].per_threshold, sweep.per_threshold)
    summary = nse.calibration(classes, prob, method="platt", **one_class).summary
    table = results["calibration_methods"].set_index("method")
    for key, column in (("ece", "ece"), ("nll", "nll")):
        assert table.loc["uncalibrated", key] == pytest.approx(summary[column], rel=1e-12)
        assert table.loc["Platt", key] == pytest.approx(summary[f"{column}_calibrated"], rel=1e-12)
    slope, intercept = nse.fit_platt(classes, prob, **one_class)
    assert (table.loc["Platt", "platt_slope"], table.loc["Platt", "platt_intercept"]) == (
        slope,
        intercept,
    )
    layer = viewer.layers["multi class 2 calibrated (Platt)"]
    np.testing.assert_array_equal(layer.data, nse.apply_platt(prob[1], slope, intercept))
    assert tuple(layer.scale) == (2, 2)
    truth_objects = nse.label_instances(classes == 2, connectivity=1)
    expected = nse.instance_threshold_sweep(truth_objects, prob[1], connectivity=1)
    pd.testing.assert_frame_equal(results["objects"], expected.drop(columns="best"))
    assert confidence.summary_label.text().startswith("Class 2 vs rest (channel 1) · ")
    # another class: its own layer; class 2's is left as it was
    before = layer.data.copy()
    confidence.set_class(1)
    confidence.run(wait=True)
    assert "multi class 1 calibrated (Platt)" in viewer.layers
    np.testing.assert_array_equal(layer.data, before)


def test_a_multi_class_map_needs_a_truth_of_its_pixels(panel, errors):
    viewer, widget, data = panel
    viewer.add_image(np.stack([data["probability"]] * 3), name="multi")
    widget.set_probability_layer("multi")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(1))
    assert widget.confidence.run(wait=True) is None
    assert "without its class axis 1" in errors[0]


def test_the_summary_writes_iou_as_iou_and_says_each_value_once(panel):
    """Regression (a new user's trial): "Best iou" and the legend's "pixel iou" were lower
    case, and the object summary listed F1 twice ("Best F1 @ IoU 0.5 0.879 … (F1 @ 0.5
    0.879, …)")."""
    _, widget, _ = panel
    confidence = widget.confidence
    confidence.run(wait=True)  # "Best by" objects: F1 @ IoU 0.5, with the pixels' IoU beside
    text = confidence.summary_label.text()
    objects, pixels = text.split(" · pixels: ")
    assert objects.startswith("Best F1 @ IoU 0.5 ") and objects.count("F1") == 1
    assert "AP (DSB)" in objects and "PQ @ IoU 0.5" in objects
    assert pixels.startswith("Best IoU ") and "iou" not in text
    labels = [line.get_label() for line in confidence.plot.grid[0, 0].lines]
    assert "pixel IoU" in labels and "pixel iou" not in labels
    confidence.metric_combo.setCurrentText("dice")
    confidence.run(wait=True)
    assert confidence.summary_label.text().startswith("Best Dice ")
