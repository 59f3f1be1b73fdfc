"""Issue 9: one Evaluation record behind every table, and the default paths give right answers.

Each test drives the dock as a user (or a script) does. Races are made deterministic: layers are
changed on the main thread before a worker's result can be handed over, and tests wait on the
jobs' ``finished`` signals, never on time.
"""

import re
import threading
from pathlib import Path

import numpy as np
import pytest
from qtpy.QtWidgets import QApplication
from scipy import ndimage

import napari_seg_eval as nse
from napari_seg_eval._qt import evaluate_panel
from napari_seg_eval._qt.tables import STALE_TABLE_STYLE
from napari_seg_eval.core import catalogue

pytest.importorskip("napari")

FACES = ndimage.generate_binary_structure(2, 1)  # 4-connected objects, as the dock's default


@pytest.fixture
def dock(make_napari_viewer, sample):
    viewer = make_napari_viewer()
    viewer.add_image(sample["probability"], name="prob")
    viewer.add_labels(sample["ground_truth"], name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    return viewer, widget


def summary_of(tables):
    return tables["summary"].set_index(["evaluation", "metric"])["value"]


def wait_job(qtbot, job):
    return qtbot.waitSignal(job.finished, timeout=60_000)


# 1 -------------------------------------------------------------------------------------------
def test_probability_map_instance_metrics_use_connected_components(dock, sample):
    _, widget = dock
    assert widget.output_combo.currentText() == "semantic"  # the default preview
    widget.set_prediction("prob")
    tables = widget.run_evaluation(wait=True)
    objects, n_objects = ndimage.label(sample["probability"] > 0.5, structure=FACES)
    summary = summary_of(tables)
    assert summary[("instance", "n_pred")] == n_objects > 1
    expected = nse.instance_metrics(sample["ground_truth"], objects)
    assert summary[("instance", "f1_50")] == expected.summary["f1_50"] > 0.5
    np.testing.assert_array_equal(widget.evaluation.prediction > 0, objects > 0)


def test_the_documented_script_prints_real_instance_metrics(make_napari_viewer, capsys):
    text = (Path(__file__).parents[1] / "docs" / "widget.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    code = next(block for block in blocks if "napari.Viewer()" in block)  # the whole script
    code = code.replace("napari.Viewer()", "make_napari_viewer()")
    namespace = {"make_napari_viewer": make_napari_viewer}
    exec(code, namespace)  # the documented example, run as written
    tables = namespace["tables"]
    summary = summary_of(tables)
    assert summary[("instance", "n_pred")] > 10 and summary[("instance", "f1_50")] > 0.5
    assert "f1_50" in capsys.readouterr().out


# 2 -------------------------------------------------------------------------------------------
def test_review_shows_objects_after_the_default_evaluation(dock, sample):
    _, widget = dock
    widget.set_prediction("prob")
    assert widget.evaluate.kind_combo.currentText() == "both"
    widget.run_evaluation(wait=True)
    assert widget.review.errors_combo.currentIndex() == 0
    layer = widget.review.show_errors(wait=True)
    objects, _ = ndimage.label(sample["probability"] > 0.5, structure=FACES)
    np.testing.assert_array_equal(
        layer.data, nse.error_map(sample["ground_truth"], objects, by="kind")
    )


# 3 -------------------------------------------------------------------------------------------
def test_preview_keeps_the_slider_threshold_while_an_evaluation_runs(qtbot, dock, sample):
    _, widget = dock
    widget.live_check.setChecked(False)
    preview = widget.update_threshold_layer(wait=True)
    widget.set_prediction("prob")
    with wait_job(qtbot, widget.evaluate.job):
        widget.run_evaluation()
        widget.set_threshold(0.8)  # before the evaluation's result can arrive
    with wait_job(qtbot, widget.preview_job):
        widget.update_threshold_layer()
    np.testing.assert_array_equal(preview.data, sample["probability"] > 0.8)
    assert preview.metadata["napari-seg-eval"]["threshold"] == pytest.approx(0.8)
    record = widget.evaluation
    assert record.settings.threshold == 0.5 and "threshold" in record.stale
    assert not widget.evaluate.stale_label.isHidden()


# 4 -------------------------------------------------------------------------------------------
def test_result_layers_belong_to_their_source(dock, sample):
    viewer, widget = dock
    other = sample["probability"][::-1].copy()
    viewer.add_image(other, name="B", scale=(2, 2))
    a_preview = widget.update_threshold_layer(wait=True)  # "prob thresholded"
    before = a_preview.data.copy()
    widget.set_prediction("B")
    widget.run_evaluation(wait=True)
    np.testing.assert_array_equal(a_preview.data, before)
    b_labels = viewer.layers["B evaluated"]
    assert b_labels.metadata["napari-seg-eval"]["source"] == "B"
    assert tuple(b_labels.scale) == (2, 2)

    widget.confidence.truth_combo.set_layer("truth")
    widget.confidence.temperature_check.setChecked(True)
    widget.confidence.run(wait=True)
    a_calibrated = viewer.layers["prob calibrated (temperature)"]
    a_data = a_calibrated.data.copy()
    widget.set_probability_layer("B")
    widget.confidence.run(wait=True)
    np.testing.assert_array_equal(a_calibrated.data, a_data)
    assert tuple(viewer.layers["B calibrated (temperature)"].scale) == (2, 2)


# 5 -------------------------------------------------------------------------------------------
def test_a_cancelled_run_never_fills_the_tables(qtbot, dock):
    _, widget = dock
    widget.set_prediction("prob")
    with wait_job(qtbot, widget.evaluate.job):
        widget.run_evaluation()
        widget.cancel_evaluation()
    assert widget.evaluation is None and widget.results == {}
    assert widget.evaluate.tables["summary"].model.rowCount() == 0
    assert widget.evaluate.status_label.text() == "Cancelled."


# 7 -------------------------------------------------------------------------------------------
def test_running_twice_shows_only_the_latest_run(qtbot, dock):
    _, widget = dock
    widget.set_prediction("prob")
    widget.evaluate.kind_combo.setCurrentText("semantic")
    widget.run_evaluation()
    widget.evaluate.kind_combo.setCurrentText("instance")
    with wait_job(qtbot, widget.evaluate.job):
        widget.run_evaluation()
    qtbot.waitUntil(lambda: not widget.evaluate.job.running, timeout=60_000)
    assert widget.evaluation.settings.kind == "instance"
    assert widget.evaluation.semantic is None and widget.evaluate.run_button.isEnabled()


def test_evaluated_signal_carries_each_finished_record_and_never_a_cancelled_one(qtbot, dock):
    _, widget = dock
    widget.set_prediction("prob")
    emitted = []
    widget.evaluate.evaluated.connect(emitted.append)
    with wait_job(qtbot, widget.evaluate.job):
        widget.run_evaluation()
        widget.cancel_evaluation()
    assert emitted == []  # cancelled: nothing to keep
    with qtbot.waitSignal(widget.evaluate.evaluated, timeout=60_000) as blocker:
        widget.run_evaluation()
    record = blocker.args[0]
    assert record is widget.evaluation and emitted == [record]
    # Emitted after the tables are filled: a listener reads the same numbers as the panel.
    assert widget.evaluate.tables["summary"].model.rowCount() == len(record.tables["summary"])
    widget.run_evaluation(wait=True)  # a script's run is a run too
    assert len(emitted) == 2 and emitted[1] is widget.evaluation is not record


def test_closing_the_dock_cancels_its_run(qtbot, dock, monkeypatch):
    viewer, widget = dock
    gate = threading.Event()
    work = evaluate_panel.evaluate_for_review

    def held(*args, **kwargs):  # the run cannot end before the dock has closed
        gate.wait(timeout=60)
        return (yield from work(*args, **kwargs))

    monkeypatch.setattr(evaluate_panel, "evaluate_for_review", held)
    widget.set_prediction("prob")
    widget.run_evaluation()
    worker = widget.evaluate.job.worker
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        viewer.window.remove_dock_widget(widget)
        gate.set()
    assert widget.evaluation is None and widget.evaluate.job.closed


def test_closing_the_viewer_mid_run_is_quiet(
    qtbot, make_napari_viewer, sample, errors, monkeypatch
):
    gate = threading.Event()
    work = evaluate_panel.evaluate_for_review

    def held(*args, **kwargs):  # the run goes on after the viewer has closed
        gate.wait(timeout=60)
        return (yield from work(*args, **kwargs))

    monkeypatch.setattr(evaluate_panel, "evaluate_for_review", held)
    viewer = make_napari_viewer()
    viewer.add_image(sample["probability"], name="prob")
    viewer.add_labels(sample["ground_truth"], name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.run_evaluation()
    worker = widget.evaluate.job.worker
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        viewer.close()
        gate.set()
    qtbot.wait(0)  # let deferred notices run: there must be none
    assert errors == []


def test_show_errors_failure_is_a_text_notification(dock, errors):
    _, widget = dock
    assert widget.review.show_errors(wait=True) is None
    assert errors == ["Segmentation Evaluation: run an instance evaluation first."]


# staleness -----------------------------------------------------------------------------------
def test_editing_the_truth_marks_the_record_stale_and_errors_use_its_arrays(dock, sample, errors):
    viewer, widget = dock
    widget.set_prediction("prob")
    widget.run_evaluation(wait=True)
    record = widget.evaluation
    assert record.stale == ""
    truth = viewer.layers["truth"]
    original = truth.data.copy()
    truth.paint((10, 10), 99)  # the user edits the ground truth (in place) after the run
    assert "'truth' was edited" in widget.evaluation.stale
    assert not widget.review.stale_label.isHidden()
    assert truth.data[10, 10] == 99 and record.truth[10, 10] == original[10, 10]  # its own copy
    layer = widget.review.show_errors(wait=True)
    objects, _ = ndimage.label(sample["probability"] > 0.5, structure=FACES)
    np.testing.assert_array_equal(layer.data, nse.error_map(original, objects, by="kind"))
    assert any("out of date" in e for e in errors)


def test_a_control_set_otherwise_than_for_the_run_marks_the_record_stale(dock, sample):
    """The tables must never be read as the result of the controls shown: choosing another
    prediction, IoU thresholds or matching after a run marks it out of date, naming what."""
    viewer, widget = dock
    viewer.add_labels(sample["ground_truth"], name="perfect")
    viewer.add_labels(np.zeros_like(sample["ground_truth"]), name="nothing")
    widget.set_prediction("perfect")
    widget.run_evaluation(wait=True)
    assert widget.evaluation.stale == ""
    widget.set_prediction("nothing")
    assert widget.evaluation.stale == (
        "the prediction changed to 'nothing' (the evaluation used 'perfect')"
    )
    assert not widget.evaluate.stale_label.isHidden()
    framed = [table.view.styleSheet() for table in widget.evaluate.tables.values()]
    assert framed == [STALE_TABLE_STYLE] * len(framed)  # the Dataset tab's look
    assert widget.review.table.view.styleSheet() == STALE_TABLE_STYLE
    for change, named in (
        (lambda: widget.evaluate.iou_edit.setText("0.5"), "the IoU thresholds changed to '0.5'"),
        (lambda: widget.evaluate.set_matching("iot"), "the matching changed to"),
        (lambda: widget.evaluate.border_spin.setValue(2), "the border excluded changed to 2"),
        (lambda: widget.evaluate.binarize_check.setChecked(False), "semantic foreground"),
    ):
        widget.set_prediction("perfect")
        widget.evaluate.iou_edit.setText("0.5:0.95:0.05")
        widget.evaluate.set_matching("iou", 0)
        widget.evaluate.binarize_check.setChecked(True)
        widget.run_evaluation(wait=True)
        assert widget.evaluation.stale == ""  # the controls as the run read them
        assert widget.evaluate.tables["summary"].view.styleSheet() == ""
        change()
        assert widget.evaluation.stale.startswith(named), widget.evaluation.stale
    # The header's probability layer gives the objects' confidence of a labels prediction.
    viewer.add_image(sample["probability"] ** 2, name="prob squared")
    widget.set_prediction("perfect")
    widget.run_evaluation(wait=True)
    assert widget.evaluation.stale == ""
    widget.set_probability_layer("prob squared")
    assert widget.evaluation.stale.startswith("the probability layer (objects' confidence)")


def test_a_worker_run_is_current_until_a_control_moves(qtbot, dock):
    """After a worker's run adds its result layer (which the choosers list), the record
    matches the controls; a failed run leaves the tables marked as not its own."""
    viewer, widget = dock
    widget.set_prediction("prob")
    with wait_job(qtbot, widget.evaluate.job):
        widget.run_evaluation()
    assert widget.evaluation.stale == "" and "prob evaluated" in viewer.layers
    assert widget.evaluate.progress_bar.value() == 100
    viewer.add_labels(np.zeros((3, 3), np.uint8), name="small")
    widget.set_prediction("small")  # now stale: another prediction
    widget.set_prediction("prob")  # back: still stale (edits meanwhile were not watched)
    assert widget.evaluation.stale == "the prediction changed, then back to 'prob'"
    widget.run_evaluation(wait=True)
    assert widget.evaluation.stale == ""
    widget.set_prediction("small")
    assert widget.run_evaluation(wait=True) is None  # a shape mismatch: the run cannot start
    assert widget.evaluate.progress_bar.value() == 0
    assert "shape" in widget.evaluate.status_label.text()
    assert widget.evaluation.stale.startswith("the prediction changed to 'small'")


def test_a_run_that_fails_leaves_the_tables_marked_as_not_its_own(qtbot, dock, monkeypatch, errors):
    """With every control as for the record shown, a run that fails in its worker (here: out
    of memory) marks the record shown as out of date, and says why."""
    _, widget = dock
    widget.set_prediction("prob")
    widget.run_evaluation(wait=True)
    assert widget.evaluation.stale == ""

    def out_of_memory(*_args, **_kwargs):
        yield (0.0, "reading layers")
        raise MemoryError("Unable to allocate 40.0 GiB")

    monkeypatch.setattr(evaluate_panel, "evaluation_steps", out_of_memory)
    with wait_job(qtbot, widget.evaluate.job):
        widget.run_evaluation()
    assert widget.evaluation.stale == "the last run failed (Unable to allocate 40.0 GiB)"
    assert widget.evaluate.progress_bar.value() == 0
    assert errors and "Unable to allocate" in errors[-1]


# 8 -------------------------------------------------------------------------------------------
def test_different_world_grids_get_a_notice(dock, sample, errors):
    viewer, widget = dock
    viewer.add_labels(sample["ground_truth"], name="pred", scale=(2, 2), translate=(1, 0))
    widget.set_prediction("pred")
    assert widget.run_evaluation(wait=True) is not None
    assert len(errors) == 1
    assert "different scale and translate" in errors[0] and "pixel by pixel" in errors[0]


# 9 -------------------------------------------------------------------------------------------
def test_review_iou_rematch_runs_in_a_worker(qtbot, dock, sample):
    _, widget = dock
    widget.set_prediction("prob")
    widget.run_evaluation(wait=True)
    with wait_job(qtbot, widget.review.rematch_job):
        widget.review.iou_spin.setValue(0.9)
        assert widget.review.rematch_job.running  # not on the main thread
    objects, _ = ndimage.label(sample["probability"] > 0.5, structure=FACES)
    expected = nse.review_objects(sample["ground_truth"], objects, iou_threshold=0.9)
    assert (widget.review.objects["status"] == "TP").sum() == (expected["status"] == "TP").sum()


# 10 ------------------------------------------------------------------------------------------
def test_summary_shows_labels_integers_and_key_columns_first(dock):
    _, widget = dock
    widget.set_prediction("prob")
    tables = widget.run_evaluation(wait=True)
    model = widget.evaluate.tables["summary"].model
    from qtpy.QtCore import Qt

    row = tables["summary"].index[
        (tables["summary"]["evaluation"] == "instance") & (tables["summary"]["metric"] == "n_true")
    ][0]
    metric, value = (
        model.index(row, list(model.frame.columns).index(c)) for c in ("metric", "value")
    )
    assert model.data(metric) == catalogue.label("instance.summary", "n_true")
    assert model.data(metric, Qt.ItemDataRole.ToolTipRole) == catalogue.tooltip(
        "instance.summary", "n_true"
    )
    assert re.fullmatch(r"\d+", model.data(value))
    per_threshold = widget.evaluate.tables["per_threshold"].model
    headers = [per_threshold.headerData(i, Qt.Orientation.Horizontal) for i in range(3)]
    assert headers == ["IoU threshold", "AP (DSB)", "F1"] or headers[1:] == ["AP (DSB)", "F1"]
    per_class = widget.evaluate.tables["per_class"].model
    column = list(per_class.frame.columns).index("accuracy")
    assert per_class.headerData(column, Qt.Orientation.Horizontal) != "AP (DSB)"


# 6 -------------------------------------------------------------------------------------------
def test_time_series_are_labelled_frame_by_frame(make_napari_viewer):
    # Frame 0: two discs; frame 1: one disc overlapping both positions of frame 0, so labelling
    # the whole (t, y, x) stack would join them into one 3-D object.
    yy, xx = np.mgrid[:40, :40]
    disc = lambda r, c, radius: (yy - r) ** 2 + (xx - c) ** 2 <= radius**2  # noqa: E731
    true = np.zeros((2, 40, 40), np.int32)
    true[0][disc(10, 10, 5)] = 1
    true[0][disc(10, 25, 5)] = 2
    true[1][disc(10, 17, 9)] = 1
    prob = np.where(true > 0, 0.9, 0.1).astype(np.float32)
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob", axis_labels=("t", "y", "x"))
    viewer.add_labels(true, name="truth", axis_labels=("t", "y", "x"))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.set_plane_axis(0)
    assert widget.evaluate.each_plane_check.isChecked()  # axis labelled t: on by default
    tables = widget.run_evaluation(wait=True)
    per_plane = tables["per_plane"].set_index("plane")
    assert per_plane.loc[0, "n_pred"] == 2 and per_plane.loc[1, "n_pred"] == 1
    assert (per_plane["f1_50"] == 1.0).all()
    summary = summary_of(tables)
    assert summary[("instance", "n_pred")] == 3 and summary[("instance", "n_true")] == 3
    assert summary[("instance", "f1_50")] == 1.0  # pooled over frames: 3 TP, 0 FP, 0 FN


def test_review_rows_name_the_users_ids_when_tracks_are_split_per_plane(make_napari_viewer):
    # A track: id 5 in both frames, id 9 only in frame 1. Labelling each plane on its own
    # splits id 5 into one object per frame, but rows, hover and selection must name id 5 and
    # its frame, as the user's layers show it. The prediction is a Labels layer with tracks too.
    true = np.zeros((2, 12, 12), np.uint16)
    true[0, 1:4, 1:4] = 5
    true[1, 1:4, 2:5] = 5
    true[1, 7:10, 7:10] = 9
    pred = np.zeros_like(true)
    pred[0, 1:4, 1:4] = 40  # matches 5 in frame 0
    pred[1, 1:4, 2:5] = 40  # and in frame 1: the same predicted track
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth", axis_labels=("t", "y", "x"))
    viewer.add_labels(pred, name="pred", axis_labels=("t", "y", "x"))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.set_plane_axis(0)
    assert widget.evaluate.each_plane_check.isChecked()
    tables = widget.run_evaluation(wait=True)
    # Frame by frame: frame 0 has 1 TP; frame 1 has 1 TP and 1 FN (id 9). Pooled: 2 TP, 1 FN.
    summary = summary_of(tables)
    assert (summary[("instance", "n_true")], summary[("instance", "n_pred")]) == (3, 2)
    assert summary[("instance", "recall_50")] == pytest.approx(2 / 3)
    assert summary[("instance", "precision_50")] == 1.0
    rows = tables["per_object"]
    got = sorted(
        zip(
            rows["kind"], rows["label"], rows["plane"], rows["status"], rows["partner"], strict=True
        )
    )
    assert got == [
        ("pred", 40, 0, "TP", 5),
        ("pred", 40, 1, "TP", 5),
        ("true", 5, 0, "TP", 40),
        ("true", 5, 1, "TP", 40),
        ("true", 9, 1, "FN", 0),
    ]
    review = widget.review
    shown = review.rows()
    row = int(np.flatnonzero((shown["label"] == 9).to_numpy())[0])
    review.select_row(row)  # the missed object: id 9 in frame 1, selected in the user's layer
    assert viewer.layers["truth"].selected_label == 9
    assert viewer.dims.current_step[0] == 1
    features = viewer.layers["truth"].features.set_index("index")
    assert features.loc[9, "seg_eval_status"] == "FN"
    assert features.loc[5, "seg_eval_status"] == "0: TP / 1: TP"


def test_an_integer_probability_map_is_evaluated_as_value_over_dtype_max(
    make_napari_viewer, monkeypatch
):
    # 0..255 where 255 means probability 1: at threshold 0.5 the foreground is value > 127.5,
    # i.e. value >= 128. Read as raw values every pixel above 0.5 (value >= 1) would count.
    notices = []
    monkeypatch.setattr(evaluate_panel, "show_info", notices.append)
    true = np.zeros((8, 8), np.uint8)
    true[1:4, 1:4] = 1
    true[5:8, 5:8] = 2
    prob = np.full((8, 8), 20, np.uint8)  # 20/255: background
    prob[1:4, 1:4] = 200  # object 1 found
    prob[5:8, 5:8] = 127  # object 2: 127/255 < 0.5, missed
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob8")
    viewer.add_labels(true, name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob8")
    tables = widget.run_evaluation(wait=True)
    summary = summary_of(tables)
    assert (summary[("instance", "n_pred")], summary[("instance", "n_true")]) == (1, 2)
    assert summary[("instance", "recall_50")] == 0.5
    np.testing.assert_array_equal(widget.evaluation.prediction > 0, prob >= 128)
    assert notices == [
        # The map holds 20, 127 and 200: its own range, not the dtype's (200 >= 255 / 2: a
        # map, not a label image).
        "Segmentation Evaluation: 'prob8' holds uint8 values 20..200: read as value / 255"
    ]


def test_per_plane_plot_uses_catalogue_labels_and_keeps_its_legend_off_the_data(
    make_napari_viewer, sample
):
    viewer = make_napari_viewer()
    stack = np.stack([sample["probability"]] * 3)
    viewer.add_image(stack, name="prob")
    viewer.add_labels(np.stack([sample["ground_truth"]] * 3), name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.set_plane_axis(0)
    widget.run_evaluation(wait=True)
    plot = widget.evaluate.plane_plot
    plot.figure.canvas.draw()
    legend = plot.axes.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [catalogue.label("per_plane", c) for c in ("accuracy_50", "f1_50", "mean_iou")]
    renderer = plot.figure.canvas.get_renderer()
    box, data = legend.get_window_extent(renderer), plot.axes.get_window_extent(renderer)
    assert not box.overlaps(data)


def test_plots_in_hidden_tabs_draw_only_when_shown(qtbot, make_napari_viewer):
    """matplotlib draws a canvas on every resize and theme change, shown or not: the dock's
    hidden plots cost the main thread ~0.1 s when it opened and at each theme change."""
    viewer = make_napari_viewer(show=True)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    canvas = widget.confidence.plot.canvas
    draws = []
    canvas.mpl_connect("draw_event", draws.append)
    qtbot.wait_until(lambda: widget.isVisible())
    viewer.theme = "light" if viewer.theme == "dark" else "dark"
    QApplication.processEvents()  # runs matplotlib's idle draw, had one been asked for
    assert not canvas.isVisible() and draws == [] and canvas.draw_when_shown
    widget.tabs.setCurrentWidget(widget.confidence)
    qtbot.wait_until(lambda: len(draws) == 1)
    assert not canvas.draw_when_shown


def test_the_summary_of_both_kinds_lists_the_instance_metrics_first(dock):
    """AP and F1, the numbers instance segmentation is judged by, open the Summary."""
    _, widget = dock
    widget.set_prediction("prob")
    tables = widget.run_evaluation(wait=True)
    evaluations = tables["summary"]["evaluation"].tolist()
    assert evaluations[0] == "instance" and "semantic" in evaluations
    assert evaluations.index("semantic") > max(
        i for i, e in enumerate(evaluations) if e == "instance"
    )


def test_the_results_have_room_without_nested_scrolling(make_napari_viewer, sample):
    """Regression (a new user's trial): in a 1500 x 1000 window the Summary showed about 6
    rows inside a page that scrolled too, and an empty row sat under the preset."""
    viewer = make_napari_viewer(show=True)
    viewer.window._qt_window.resize(1500, 1000)
    viewer.add_image(sample["probability"], name="prob")
    viewer.add_labels(sample["ground_truth"], name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    panel = widget.evaluate
    widget.tabs.setCurrentWidget(panel)
    assert panel.preset_label.isHidden()  # no preset: nothing to say, no empty row
    panel.set_preset("dsb2018")
    assert not panel.preset_label.isHidden() and "IoU thresholds" in panel.preset_label.text()
    panel.set_preset(None)
    assert panel.preset_label.isHidden()
    # The less-used settings are under Options, whose title says which are not the default,
    # and at the defaults what is inside (a new user's trial: the bare "Options" did not).
    assert panel.options.text() == "Options (matching, border, classes, boundary, …)"
    assert not panel.options.isExpanded()
    panel.set_matching("iou", exclude_border=2)
    assert panel.options.text() == "Options: border 2 px"
    panel.set_matching("iot", exclude_border=0)  # the trial read "Options: matching iot"
    assert panel.options.text() == "Options: matching by intersection over truth"
    # one line in the dock of a 1500 x 1000 window (537 px), within the group's width
    width = panel.options.fontMetrics().horizontalAdvance(panel.options.text())
    assert width < panel.options.width() - 40
    panel.set_matching("iou", exclude_border=0)
    panel.boundary_check.setChecked(True)
    panel.tolerance_spin.setValue(2.5)
    assert panel.options.text() == "Options: boundary τ 2.5"  # the tolerance said too
    panel.boundary_check.setChecked(False)
    tables = widget.run_evaluation(wait=True)
    QApplication.processEvents()
    assert len(tables["summary"]) >= 10
    page = widget.tabs.currentWidget()
    assert page.verticalScrollBar().maximum() == 0  # the page fits: nothing to scroll
    view = panel.tables["summary"].view
    assert view.viewport().height() >= 10 * view.rowHeight(0)


@pytest.mark.parametrize("named", ["before", "after"])
def test_a_time_axis_named_on_the_viewer_is_scored_frame_by_frame(make_napari_viewer, named):
    """Regression (a new user's trial): naming the axes on the viewer
    (``viewer.dims.axis_labels = ("t", "y", "x")``, before or after choosing the truth) left
    the layers' own labels at napari's default, and the stack was scored as one volume with
    no word. Frame by frame: truth 5 in both frames (one track), predicted exactly; truth 9 in
    frame 1 only, missed: 2 TP, 1 FN. As one volume: 1 TP, 1 FN."""
    true = np.zeros((2, 12, 12), np.uint16)
    true[0, 1:4, 1:4] = 5
    true[1, 1:4, 2:5] = 5
    true[1, 7:10, 7:10] = 9
    pred = np.where(true == 5, 40, 0).astype(np.uint16)
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    if named == "before":
        viewer.dims.axis_labels = ("t", "y", "x")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    if named == "after":
        viewer.dims.axis_labels = ("t", "y", "x")
    panel = widget.evaluate
    assert panel.plane_axis_combo.currentData() == 0
    assert "'t'" in panel.plane_axis_combo.currentText()
    assert panel.each_plane_check.isChecked()
    panel.kind_combo.setCurrentText("instance")
    summary = summary_of(widget.run_evaluation(wait=True))
    assert (summary[("instance", "n_true")], summary[("instance", "n_pred")]) == (3, 2)
    assert summary[("instance", "recall_50")] == pytest.approx(2 / 3)


# A probability map opened as a pyramid: its evaluated labels are one too (trial 13, finding 3)
def test_a_pyramid_maps_evaluated_labels_and_errors_are_pyramids(
    qtbot, make_napari_viewer, sample, monkeypatch
):
    import threading

    import dask.array as da

    from napari_seg_eval._napari import layers

    # Planes above 64 x 64 are too large to show lazily, and coarse levels up to 64 x 64 are
    # computed: of a 256 x 256 map, level 1 (128 x 128) stays lazy, level 2 is computed.
    monkeypatch.setattr(layers, "SHOWN_LAZILY_MAX_PIXELS", 64 * 64)
    monkeypatch.setattr(layers, "COMPUTED_LEVEL_MAX_PIXELS", 64 * 64)
    prob, truth = sample["probability"], sample["ground_truth"]  # 256 x 256

    def levels(level0):
        return [da.from_array(level0[:: 2**k, :: 2**k].copy(), chunks=64) for k in range(3)]

    reads = []  # chunks of the map's level 0 read

    def counted(block):
        reads.append(block.shape)
        return block

    map_levels = levels(prob)
    map_levels[0] = map_levels[0].map_blocks(counted, dtype=prob.dtype)
    viewer = make_napari_viewer()
    viewer.add_image(map_levels, name="prob", multiscale=True, contrast_limits=(0, 1))
    viewer.add_labels(levels(truth), name="truth", multiscale=True)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.evaluate.kind_combo.setCurrentText("instance")
    threads = []

    during = []  # chunks of the map read while the pyramid was made

    def picked(*args, **kwargs):
        threads.append(threading.current_thread())
        before = len(reads)
        made = layers.strided_pyramid(*args, **kwargs)
        during.append(len(reads) - before)
        return made

    monkeypatch.setattr(evaluate_panel, "strided_pyramid", picked)
    with qtbot.waitSignal(widget.evaluate.evaluated, timeout=120_000):
        widget.run_evaluation()
    assert threads and threads[0] is not threading.main_thread()  # computed in the worker
    # the level in memory (64 x 64) was picked in the evaluation's read of the map: making
    # the pyramid read none of its chunks (review: it read all 16 of level 0 again)
    assert during == [0]
    record = widget.evaluation
    evaluated = viewer.layers["prob evaluated"]
    assert evaluated.multiscale and evaluated.visible and len(evaluated.data) == 3
    assert evaluated.data[0] is record.prediction
    labels = np.asarray(record.prediction)
    _, n_objects = ndimage.label(prob > 0.5, structure=FACES)
    assert labels.max() == n_objects > 1
    assert not isinstance(evaluated.data[1], np.ndarray)  # 128 x 128: a lazy view
    assert isinstance(evaluated.data[2], np.ndarray)  # 64 x 64: computed once
    for k in (1, 2):
        np.testing.assert_array_equal(np.asarray(evaluated.data[k]), labels[:: 2**k, :: 2**k])
    errors = widget.review.show_errors(wait=True)
    assert errors.multiscale and errors.visible
    full = nse.error_map(truth, labels, by="kind")
    for k in range(3):
        np.testing.assert_array_equal(np.asarray(errors.data[k]), full[:: 2**k, :: 2**k])


def test_a_pyramid_of_halvings_is_picked_every_2_to_the_k_pixels():
    """Review: the steps were level 0's size over the level's, rounded: 605 -> 10 rows gave a
    step of 60 at level 6 of a halving pyramid, not 64, so its coarse levels sat up to half a
    coarse pixel off the truth's. Now the product of the level-to-level ratios: 2**k."""
    from napari_seg_eval._napari.layers import strided_pyramid

    shapes = [(605, 2044)]
    for _ in range(6):
        shapes.append(tuple(-(-n // 2) for n in shapes[-1]))  # rounded up, as OME-Zarr tools
    data = np.arange(605 * 2044).reshape(605, 2044)
    levels = strided_pyramid(data, shapes)
    for k, level in enumerate(levels):
        assert level.shape == shapes[k]
        np.testing.assert_array_equal(level, data[:: 2**k, :: 2**k])
