"""dock183: the Evaluate tab and the Confidence analysis split the touching objects of a
chunked map as the Threshold tab's preview does (read whole in the worker up to
SPLIT_READ_LIMIT values, refused above in the preview's words), and the object sweep of a
class the truth lacks has no best threshold."""

import threading

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("napari")
da = pytest.importorskip("dask.array")

import napari_seg_eval as nse  # noqa: E402

#: Two discs of radius 7 (149 pixels each on the grid: the lattice points with
#: x² + y² <= 49) whose centres are 12 apart; the lens they share is 9 pixels (1 at x = 18,
#: 7 at x = 19 (|y| <= 3), 1 at x = 20), so their union is 2 × 149 − 9 = 289 pixels of the
#: 24 × 40 = 960: one connected component, two objects once split.
DISC, LENS, PIXELS = 149, 9, 24 * 40


@pytest.fixture
def dock(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return viewer, widget


def touching_discs() -> np.ndarray:
    """0.9 inside the two discs, 0.1 elsewhere."""
    yy, xx = np.mgrid[:24, :40]
    first = (yy - 12) ** 2 + (xx - 13) ** 2 <= 49
    second = (yy - 12) ** 2 + (xx - 25) ** 2 <= 49
    return np.where(first | second, 0.9, 0.1)


def split_discs() -> np.ndarray:
    """The discs split as the Python API splits the same map in memory: the truth."""
    return nse.label_instances(touching_discs() > 0.5, split_touching=True, spacing=(1.0, 1.0))


def chunked_split_dock(dock, *, truth: bool = True) -> None:
    """The discs' map as a dask layer 'chunked' (4 chunks), the header on it, output instance
    with "split touching objects" ticked; with ``truth``, the split discs as 'truth'."""
    viewer, widget = dock
    viewer.add_image(da.from_array(touching_discs(), chunks=(12, 20)), name="chunked")
    if truth:
        viewer.add_labels(split_discs(), name="truth")
    widget.set_probability_layer("chunked")
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)


def value(tables: dict, metric: str) -> float:
    return float(tables["summary"].set_index("metric").loc[metric, "value"])


# Item 1: the Evaluate tab ------------------------------------------------------------------
def test_the_evaluate_tab_splits_a_small_chunked_map_as_the_same_map_in_memory(dock, errors):
    viewer, widget = dock
    chunked_split_dock(dock)
    viewer.add_image(touching_discs(), name="in memory")
    widget.set_ground_truth("truth")
    widget.set_prediction("in memory")
    in_memory = widget.run_evaluation(wait=True)
    widget.set_prediction("chunked")
    tables = widget.run_evaluation(wait=True)
    assert errors == [] and tables is not None
    truth = split_discs()
    assert int(truth.max()) == 2 and int(np.count_nonzero(truth)) == 2 * DISC - LENS == 289
    # by hand: the split map's two objects are the truth's two, pixel for pixel
    assert value(tables, "n_true") == 2 and value(tables, "n_pred") == 2
    assert value(tables, "f1_50") == 1.0 and value(tables, "mean_accuracy") == 1.0
    foreground = tables["per_class"].set_index("class").loc[1]
    assert (foreground["tp"], foreground["fp"], foreground["fn"]) == (2 * DISC - LENS, 0, 0)
    assert foreground["tn"] == PIXELS - (2 * DISC - LENS)
    for name, table in in_memory.items():
        pd.testing.assert_frame_equal(tables[name], table, check_exact=True)
    np.testing.assert_array_equal(
        np.asarray(viewer.layers["chunked evaluated"].data), split_discs()
    )


def test_a_chunked_pyramid_against_a_chunked_truth_is_split_at_level_0(dock, errors):
    """A pyramid of the discs' map (level 0 chunked) against the split discs as a dask
    Labels layer: level 0 is read whole and split; the evaluated labels are a pyramid of the
    split discs (level 1 every other pixel of level 0)."""
    viewer, widget = dock
    prob = touching_discs()
    viewer.add_image(
        [da.from_array(prob, chunks=(12, 20)), prob[::2, ::2]], multiscale=True, name="pyramid"
    )
    viewer.add_labels(da.from_array(split_discs(), chunks=(12, 20)), name="truth")
    widget.set_probability_layer("pyramid")
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    widget.set_ground_truth("truth")
    widget.set_prediction("pyramid")
    tables = widget.run_evaluation(wait=True)
    assert tables is not None and errors == []
    assert value(tables, "n_true") == 2 and value(tables, "n_pred") == 2
    assert value(tables, "f1_50") == 1.0
    evaluated = viewer.layers["pyramid evaluated"]
    assert evaluated.multiscale
    np.testing.assert_array_equal(np.asarray(evaluated.data[0]), split_discs())
    np.testing.assert_array_equal(np.asarray(evaluated.data[1]), split_discs()[::2, ::2])


def test_the_evaluate_tab_reads_the_chunked_map_in_its_worker(dock, errors, qtbot, monkeypatch):
    from napari_seg_eval._qt import evaluate_panel, threshold_panel

    _, widget = dock
    chunked_split_dock(dock)
    widget.set_ground_truth("truth")
    widget.set_prediction("chunked")
    read_on = []
    real_read_whole = threshold_panel.read_whole

    def read_whole(levels):
        read_on.append(threading.current_thread())
        return real_read_whole(levels)

    monkeypatch.setattr(evaluate_panel, "read_whole", read_whole, raising=False)
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()
    assert errors == [] and len(read_on) == 1 and read_on[0] is not threading.main_thread()
    assert value(widget.evaluate.results, "f1_50") == 1.0


def test_a_chunked_map_too_large_to_split_is_refused_before_the_run(dock, errors, monkeypatch):
    from napari_seg_eval._qt import threshold_panel

    viewer, widget = dock
    chunked_split_dock(dock)
    widget.set_ground_truth("truth")
    widget.set_prediction("chunked")
    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", PIXELS - 1)
    layers = [layer.name for layer in viewer.layers]
    assert widget.run_evaluation(wait=True) is None
    assert widget.evaluation is None and [layer.name for layer in viewer.layers] == layers
    message = errors[-1]
    assert message.startswith(
        "Segmentation Evaluation: cannot split touching objects of 'chunked': it is a chunked "
        f"map (24 × 40, {PIXELS} values), read chunk by chunk from disk or dask"
    )
    assert f"the dock reads at most {PIXELS - 1} values for it. Nothing was evaluated. " in (
        message
    )
    assert 'Untick "split touching objects (watershed)" in the Threshold tab to evaluate' in (
        message
    )
    assert "preview" not in message
    assert widget.evaluate.status_label.text() == message.removeprefix("Segmentation Evaluation: ")
    # pixels only: no object is made, nothing is split or read whole
    widget.evaluate.kind_combo.setCurrentText("semantic")
    tables = widget.run_evaluation(wait=True)
    assert tables is not None and value(tables, "n_pixels") == PIXELS
    # at the limit: read whole and split
    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", PIXELS)
    widget.evaluate.kind_combo.setCurrentText("instance")
    tables = widget.run_evaluation(wait=True)
    assert tables is not None and value(tables, "n_pred") == 2
    assert len(errors) == 1


def test_reading_whole_scales_the_runs_progress_after_the_read():
    from napari_seg_eval._qt.evaluate_panel import (
        READ_WHOLE_SHARE,
        READ_WHOLE_STEP,
        evaluation_steps_read_whole,
    )
    from napari_seg_eval.evaluation import EvaluationSettings, ThresholdOptions, evaluation_steps

    settings = EvaluationSettings(
        kind="instance",
        threshold=0.5,
        threshold_options=ThresholdOptions(split_touching=True, spacing=(1.0, 1.0)),
    )
    prob = touching_discs()

    def run(steps):
        said = []
        while True:
            try:
                said.append(next(steps))
            except StopIteration as done:
                return said, done.value

    lazy = da.from_array(prob, chunks=(12, 20))
    said, record = run(evaluation_steps_read_whole(split_discs(), lazy, settings))
    plain, in_memory = run(evaluation_steps(split_discs(), prob, settings))
    assert said[0] == (0.0, READ_WHOLE_STEP)
    assert said[1:] == [(READ_WHOLE_SHARE + (1 - READ_WHOLE_SHARE) * f, m) for f, m in plain]
    assert isinstance(record.prediction, np.ndarray)
    np.testing.assert_array_equal(record.prediction, in_memory.prediction)


# Item 1: the Confidence analysis -----------------------------------------------------------
def test_the_object_sweep_of_a_chunked_map_splits_up_to_the_limit(dock, errors, monkeypatch):
    """F1 by threshold, by hand: at 0.05 the whole image is one object (no match); from 0.10
    to 0.85 the two discs, split, are the truth's two; from 0.90 nothing (p > t is strict)."""
    from napari_seg_eval._qt import threshold_panel

    viewer, widget = dock
    chunked_split_dock(dock)
    confidence = widget.confidence
    confidence.truth_combo.set_layer("truth")
    confidence.metric_combo.setCurrentText("objects: F1 @ IoU 0.5")
    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", PIXELS)
    results = confidence.run(wait=True)
    assert errors == [] and results is not None
    objects = results["objects"].set_index("threshold")
    expected_pred = [1] + [2] * 16 + [0] * 2
    assert objects["n_pred"].tolist() == expected_pred
    assert objects["f1_50"].tolist() == [0.0] + [1.0] * 16 + [0.0] * 2
    assert confidence.best_threshold == 0.1 and confidence.best_button.isEnabled()
    layers = [layer.name for layer in viewer.layers]
    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", PIXELS - 1)
    assert confidence.run(wait=True) is None
    message = errors[-1]
    assert message.startswith(
        "Segmentation Evaluation: cannot split touching objects of 'chunked': it is a chunked "
        f"map (24 × 40, {PIXELS} values)"
    )
    assert f"at most {PIXELS - 1} values for it. Nothing was analysed. " in message
    assert "in the Threshold tab to sweep its objects unsplit, or split a cropped map" in message
    assert "preview" not in message
    assert [layer.name for layer in viewer.layers] == layers
    assert confidence.results["objects"] is results["objects"]  # the last analysis, kept
    assert confidence.stale == "the last Analyse failed"
    assert not confidence.best_button.isEnabled()
    # the pixel sweep alone splits nothing: not refused
    confidence.metric_combo.setCurrentText("iou")
    assert confidence.run(wait=True) is not None and len(errors) == 1


def test_the_object_sweep_of_a_class_counts_the_values_of_its_channel(dock, errors, monkeypatch):
    """A class of a chunked map of two classes is read (and split) as its one channel:
    960 values, within a limit of 960, though the map holds 1,920."""
    from napari_seg_eval._qt import threshold_panel

    viewer, widget = dock
    prob = touching_discs()
    stacked = da.from_array(np.stack([prob, 1 - prob]), chunks=(1, 12, 20))
    viewer.add_image(stacked, name="classes")
    viewer.add_labels(split_discs(), name="truth")
    widget.set_probability_layer("classes")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    confidence = widget.confidence
    confidence.truth_combo.set_layer("truth")
    confidence.metric_combo.setCurrentText("objects: F1 @ IoU 0.5")
    confidence.set_class(1)  # channel 0: the discs; the truth's class 1 is disc 1 alone
    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", PIXELS)
    results = confidence.run(wait=True)
    assert errors == [] and results is not None
    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", PIXELS - 1)
    assert confidence.run(wait=True) is None
    assert f"chunked map (24 × 40, {PIXELS} values)" in errors[-1]


# Item 2: no true object, no best object threshold -----------------------------------------
def absent_class_dock(dock) -> None:
    """A map of three classes against a truth of classes 0, 1 and 2: class 3's channel is
    0.8 on a 4 × 4 square, 0.1 elsewhere."""
    viewer, widget = dock
    classes = np.zeros((24, 40), np.uint8)
    classes[:, 20:] = 2
    classes[4:20, 4:16] = 1
    prob = np.full((3, 24, 40), 0.1)
    prob[2, 2:6, 2:6] = 0.8
    viewer.add_image(prob, name="classes prob")
    viewer.add_labels(classes, name="classes")
    widget.set_probability_layer("classes prob")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    widget.confidence.truth_combo.set_layer("classes")


@pytest.mark.filterwarnings("ignore:threshold_sweep. the ground truth has no positive pixel")
def test_a_class_the_truth_lacks_has_no_best_object_threshold(dock, errors):
    """Class 3's objects by threshold, by hand: at 0.05 the whole image (p > 0.05), from 0.10
    to 0.75 the square, from 0.80 none. With no true object F1 is 0 (one false object) or
    undefined (none): no threshold is best."""
    _, widget = dock
    absent_class_dock(dock)
    confidence = widget.confidence
    confidence.metric_combo.setCurrentText("objects: F1 @ IoU 0.5")
    confidence.set_class(3)
    widget.set_threshold(0.4)
    results = confidence.run(wait=True)
    assert errors == [] and results is not None
    objects = results["objects"]
    assert objects["n_pred"].tolist() == [1] * 15 + [0] * 4
    assert objects["f1_50"].iloc[:15].tolist() == [0.0] * 15
    assert objects["f1_50"].iloc[15:].isna().all()
    assert np.isnan(confidence.best_threshold)
    text = confidence.summary_label.text()
    assert text.endswith(
        " · objects (Best by): Best F1 @ IoU 0.5 nan at threshold nan (the truth has no "
        "object of class 3)"
    )
    assert not confidence.best_button.isEnabled()
    confidence.use_best_threshold()
    assert widget.threshold == pytest.approx(0.4) and errors == []
    # class 1 has its objects: a best threshold to use
    confidence.set_class(1)
    assert confidence.run(wait=True) is not None
    assert not np.isnan(confidence.best_threshold) and confidence.best_button.isEnabled()


@pytest.mark.filterwarnings("ignore:threshold_sweep. the ground truth has no positive pixel")
def test_a_truth_without_objects_has_no_best_object_threshold(dock, errors):
    """The whole map against an empty truth: the square is a false object from 0.10 to 0.75
    (F1 0), nothing is true: no best threshold, by any object metric."""
    viewer, widget = dock
    prob = np.full((24, 40), 0.1)
    prob[2:6, 2:6] = 0.8
    viewer.add_image(prob, name="prob")
    viewer.add_labels(np.zeros((24, 40), np.uint8), name="empty")
    widget.set_probability_layer("prob")
    confidence = widget.confidence
    confidence.truth_combo.set_layer("empty")
    for metric in ("objects: F1 @ IoU 0.5", "objects: AP (DSB)", "objects: PQ @ IoU 0.5"):
        confidence.metric_combo.setCurrentText(metric)
        assert confidence.run(wait=True) is not None and errors == []
        name = metric.removeprefix("objects: ")
        assert confidence.summary_label.text().startswith(
            f"Best {name} nan at threshold nan (the truth has no object) · pixels: "
        )
        assert np.isnan(confidence.best_threshold) and not confidence.best_button.isEnabled()
