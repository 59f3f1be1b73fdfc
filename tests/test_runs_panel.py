"""The Runs tab, driven as a user does: evaluate, rename, compare, report, close and reopen."""

import numpy as np
import pytest

from napari_seg_eval._napari.layers import tag
from napari_seg_eval._qt import runs_panel

pytest.importorskip("napari")

# Six true objects of 3x3 pixels.
TRUTH = np.zeros((8, 40), np.int32)
for _i in range(6):
    TRUTH[2:5, 6 * _i : 6 * _i + 3] = _i + 1


def copy_of(ids):
    return np.where(np.isin(TRUTH, ids), TRUTH + 10, 0).astype(np.int32)


@pytest.fixture
def warnings_shown(monkeypatch):
    shown = []
    monkeypatch.setattr(runs_panel, "show_warning", shown.append)
    return shown


@pytest.fixture
def viewer(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_labels(copy_of([1, 2]), name="model A")
    viewer.add_labels(copy_of([1, 3, 4, 5]), name="model B")
    return viewer


def open_dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return widget


def evaluate(widget, prediction, qtbot=None):
    """Evaluate ``prediction``; with ``qtbot`` also wait for the run's intervals (a worker)."""
    widget.set_ground_truth("truth")
    widget.set_prediction(prediction)
    widget.evaluate.kind_combo.setCurrentText("instance")
    if qtbot is None:
        widget.run_evaluation(wait=True)
        return
    with qtbot.waitSignal(widget.runs.intervals_done, timeout=60_000):
        widget.run_evaluation(wait=True)


def test_runs_compare_report_and_survive_the_dock(viewer, tmp_path, warnings_shown, qtbot):
    widget = open_dock(viewer)
    panel = widget.runs
    assert widget.tabs.tabText(widget.tabs.indexOf(panel)) == "Runs"
    for model in ("model A", "model B"):  # the intervals come from a worker afterwards
        evaluate(widget, model, qtbot)
    # A plain evaluation does not pay for the bootstrap: only the run computes it.
    assert "object_intervals" not in widget.evaluation.tables
    assert not panel.runs[1].tables["object_intervals"].empty
    frame = panel.table.model.frame
    assert frame["prediction"].tolist() == ["model A", "model B"]
    # F1 @ 0.5: A 2 of 6 objects -> 4/8; B 4 of 6 -> 8/10. Over objects, a resample draws k
    # found pairs of 6 units (A: k ~ Binomial(6, 1/3), B: Binomial(6, 2/3)) and F1 = 2k/(6 + k).
    # A: P(k = 0) = 0.088 > 2.5 %, P(k >= 5) = 0.018 < 2.5 %: [0, 8/10]. B: P(k <= 1) = 0.018,
    # P(k <= 2) = 0.10: low 4/8; P(k = 6) = 0.088: high 1.
    assert frame["f1_50"].tolist() == ["0.5000 [0.0000, 0.8000]", "0.8000 [0.5000, 1.0000]"]
    assert frame["interval"].tolist() == ["over objects", "over objects"]

    panel.select(frame["name"][0])
    panel.rename_selected("baseline")
    panel.select(panel.table.model.frame["name"][1])
    panel.rename_selected("baseline")  # taken: refused with a notice
    assert warnings_shown and "already a run named 'baseline'" in warnings_shown[-1]
    panel.rename_selected("new model")
    assert panel.runs.names == ["baseline", "new model"]

    panel.select("baseline", "new model")
    comparison = panel.compare()
    assert comparison.mcnemar["fixed"] == 3 and comparison.mcnemar["broken"] == 1
    assert panel.objects_table.model.frame["label"].tolist() == [2, 3, 4, 5]
    layer = next(lay for lay in viewer.layers if tag(lay).get("role") == "comparison")
    # Object 2 broken (2), objects 3, 4, 5 fixed (1), 1 and 6 unchanged (0).
    expected = np.select([TRUTH == 2, np.isin(TRUTH, [3, 4, 5])], [2, 1], 0)
    np.testing.assert_array_equal(layer.data, expected)
    differences = panel.difference_table.model.frame.set_index("metric")
    assert differences.loc["f1_50", "difference"] == pytest.approx(0.3)

    path = panel.write_report(tmp_path / "comparison.html")
    text = path.read_text(encoding="utf-8")
    assert "Comparison: new model against baseline" in text and "base64," in text

    # The runs outlive the dock.
    viewer.window.remove_dock_widget("all")
    widget = open_dock(viewer)
    assert widget.runs.runs.names == ["baseline", "new model"]
    assert widget.runs.table.model.frame["name"].tolist() == ["baseline", "new model"]


def test_save_load_delete_and_errors(viewer, tmp_path, warnings_shown):
    widget = open_dock(viewer)
    panel = widget.runs
    evaluate(widget, "model A")
    panel.save(tmp_path / "saved")
    panel.select(panel.runs.names[0])
    panel.delete_selected()
    assert panel.table.model.frame.empty
    loaded = panel.load(tmp_path / "saved")
    assert [run.name for run in loaded] == panel.runs.names
    assert panel.table.model.frame["f1_50"].str.startswith("0.5000 [").tolist() == [True]
    assert panel.compare() is None
    assert "select two runs" in warnings_shown[-1]
    assert panel.load(tmp_path / "nothing-here") == []
    assert "no run in" in warnings_shown[-1] or "No such file" in warnings_shown[-1]


def test_compare_refuses_another_truth(viewer, warnings_shown):
    viewer.add_labels(np.roll(TRUTH, 1, axis=1), name="other truth")
    widget = open_dock(viewer)
    evaluate(widget, "model A")
    widget.set_ground_truth("other truth")
    widget.run_evaluation(wait=True)
    names = widget.runs.runs.names
    widget.runs.select(*names)
    assert widget.runs.compare() is None
    assert "do not share a truth" in warnings_shown[-1]


def test_selecting_a_changed_object_goes_to_it(viewer):
    widget = open_dock(viewer)
    panel = widget.runs
    evaluate(widget, "model A")
    evaluate(widget, "model B")
    panel.compare(*panel.runs.names)
    frame = panel.objects_table.model.frame
    row = int(np.flatnonzero(frame["label"].to_numpy() == 4)[0])
    panel.objects_table.view.selectRow(row)
    # Object 4 covers rows 2-4 and columns 18-20: centre (3, 19); with a margin of 8 pixels
    # each side the view is 19 x 19 pixels, clipped to the image: 8 rows (half 4) x 19.
    np.testing.assert_allclose(viewer.scene.camera.center[-2:], (3, 19))
    height, width = viewer.canvas.size
    assert viewer.scene.camera.zoom == pytest.approx(min(height / 8, width / 19))


def test_the_changes_are_shown_in_the_reports_colours_with_a_legend(viewer):
    from napari_seg_eval.core.compare import CHANGE_COLORS

    widget = open_dock(viewer)
    panel = widget.runs
    evaluate(widget, "model A")
    evaluate(widget, "model B")
    panel.compare(*panel.runs.names)
    layer = next(lay for lay in viewer.layers if tag(lay).get("role") == "comparison")
    fixed, broken = CHANGE_COLORS["fixed by B"], CHANGE_COLORS["broken by B"]
    # 1 fixed (objects 3, 4, 5), 2 broken (object 2): opaque, never mixed with the layers under
    np.testing.assert_allclose(layer.get_color(1), (*fixed, 1.0), atol=1e-6)
    np.testing.assert_allclose(layer.get_color(2), (*broken, 1.0), atol=1e-6)
    assert layer.opacity == 1.0
    # the compared layers' own colours around the changed objects are hidden too
    assert [lay.name for lay in viewer.layers if lay.visible] == [layer.name]
    assert not panel.legend_box.isHidden()
    swatches = {name: swatch.styleSheet() for name, (swatch, _) in panel.legend.items()}
    # green (0.106, 0.471, 0.216) is rgb(27, 120, 55); lavender (0.608, 0.541, 0.769) is
    # rgb(155, 138, 196)
    assert "rgb(27, 120, 55)" in swatches["fixed by B"]
    assert "rgb(155, 138, 196)" in swatches["broken by B"]


def test_the_legend_names_the_criterion_of_the_runs_compared(viewer):
    from napari_seg_eval.evaluation import evaluate as evaluate_record

    panel = open_dock(viewer).runs
    for name, ids in (("A", [1, 2]), ("B", [1, 3])):  # B fixes 3 and breaks 2
        record = evaluate_record(TRUTH, copy_of(ids), kind="instance", criterion="iot")
        panel.runs.add(record, name=name)
    panel.refresh()
    panel.compare("A", "B")
    words = "|T∩P|/|T| > 0.50"  # the catalogue's words (core.review.match_rule)
    for name in ("fixed by B", "broken by B"):
        swatch, text = panel.legend[name]
        assert words in swatch.toolTip() and words in text.toolTip()
        assert "IoU" not in text.toolTip()
    assert f"fixed 1, broken 1 objects matched at {words}" in panel.status_label.text()


def test_selecting_a_changed_object_moves_the_sliders(make_napari_viewer):
    stack = np.zeros((5, 8, 40), np.int32)
    stack[3] = TRUTH  # the objects in plane 3
    viewer = make_napari_viewer()
    viewer.add_labels(stack, name="truth")
    viewer.add_labels(np.where(np.isin(stack, [1, 2]), stack + 10, 0), name="model A")
    viewer.add_labels(np.where(np.isin(stack, [1, 3]), stack + 10, 0), name="model B")
    viewer.dims.set_point(0, 0)
    widget = open_dock(viewer)
    evaluate(widget, "model A")
    evaluate(widget, "model B")
    widget.runs.compare(*widget.runs.runs.names)
    frame = widget.runs.objects_table.model.frame
    assert frame["label"].tolist() == [2, 3]
    widget.runs.objects_table.view.selectRow(1)  # object 3, fixed by B
    assert viewer.dims.point[0] == 3
    np.testing.assert_allclose(viewer.scene.camera.center[-2:], (3, 13))


def test_agreement_of_two_layers_beside_the_models(viewer, qtbot):
    viewer.add_labels(copy_of([1, 2, 3, 4, 5]), name="annotator 2")
    widget = open_dock(viewer)
    panel = widget.runs
    evaluate(widget, "model B", qtbot)
    run = panel.agreement("truth", "annotator 2", wait=True)
    assert run.agreement and run.inputs == {"truth": "truth", "prediction": "annotator 2"}
    frame = panel.table.model.frame
    assert frame["role"].tolist() == ["evaluation", "agreement"]
    # F1 @ 0.5: model B 8/10; the annotators 2 * 5 / (6 + 5).
    assert frame["f1_50"].str.split().str[0].astype(float).tolist() == pytest.approx(
        [0.8, 10 / 11], abs=1e-4
    )
    assert frame["interval"].tolist() == ["over objects", "over objects"]
    assert "symmetric" in panel.status_label.text()
    # In a worker: the run arrives with the job's signal.
    with qtbot.waitSignal(panel._agreement_job.finished, timeout=20000):
        panel.agreement("annotator 2", "truth")
    assert panel.runs.names[-1] == "agreement: annotator 2 vs truth"


def test_agreement_refuses_bad_layers(viewer, warnings_shown):
    panel = open_dock(viewer).runs
    assert panel.agreement("truth", "truth", wait=True) is None
    assert "choose two layers" in warnings_shown[-1]
    assert panel.agreement("truth", "nothing", wait=True) is None
    assert "no Labels layer named 'nothing'" in warnings_shown[-1]


def test_closing_the_dock_stops_the_interval_workers(viewer):
    widget = open_dock(viewer)
    evaluate(widget, "model A")  # the run's intervals start in a worker
    _, job = next(iter(widget.runs._interval_jobs.values()))
    widget.close_jobs()
    assert job.closed and not widget.runs._interval_jobs
    assert widget.runs._agreement_job.closed


def test_the_runs_table_shows_the_metrics_before_the_paths(make_napari_viewer, qtbot):
    """Regression: in a 1500 x 1000 window the Runs table showed name, created, kind and the
    truth's path, and no metric."""
    from qtpy.QtWidgets import QApplication

    viewer = make_napari_viewer(show=True)
    viewer.window._qt_window.resize(1500, 1000)
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_labels(copy_of([1, 2]), name="model A")
    widget = open_dock(viewer)
    evaluate(widget, "model A", qtbot)  # and its intervals: the cells are then final
    widget.tabs.setCurrentWidget(widget.runs)
    QApplication.processEvents()
    frame = widget.runs.table.model.frame
    columns = frame.columns.tolist()
    # model A matches 2 of the 6 true objects and has no false ones: F1 at IoU 0.5 = 4 / 8,
    # shown with its bootstrap interval over objects
    assert columns[:2] == ["name", "mean_accuracy"] and "f1_50" in columns
    assert str(frame["f1_50"].iloc[0]).startswith("0.5000 [")
    assert columns[-2:] == ["truth", "prediction"]
    view = widget.runs.table.view
    first_metric = view.horizontalHeader().logicalIndex(1)
    assert columns[first_metric] == "mean_accuracy"
    right = view.columnViewportPosition(first_metric) + view.columnWidth(first_metric)
    assert view.columnViewportPosition(first_metric) >= 0 and right <= view.viewport().width()


def test_the_runs_table_shows_three_metrics_with_their_intervals_in_the_dock(
    make_napari_viewer, qtbot
):
    """Regression (a new user's trial): in a 1500 x 1000 window only one metric column was in
    view, its header "AP (DSB), mean over IoU thresholds (pooled)" clipped on both sides, and
    the threshold column was 80 px wide for "0.5". Short headers (the long label in the
    tooltip), the interval under its value, the name's width capped."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication

    viewer = make_napari_viewer(show=True)
    viewer.window._qt_window.resize(1500, 1000)
    viewer.add_labels(TRUTH, name="truth")
    prob = np.select([np.isin(TRUTH, [1, 2, 3]), np.isin(TRUTH, [4, 5])], [0.9, 0.45], 0.0)
    viewer.add_image(prob, name="a probability map with a long name")
    widget = open_dock(viewer)
    widget.set_probability_layer("a probability map with a long name")
    widget.set_threshold(0.5)
    evaluate(widget, "a probability map with a long name", qtbot)
    widget.tabs.setCurrentWidget(widget.runs)
    QApplication.processEvents()
    model, view = widget.runs.table.model, widget.runs.table.view
    columns = model.frame.columns.tolist()
    assert columns[:5] == ["name", "threshold", "mean_accuracy", "f1_50", "panoptic_quality_50"]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)]
    assert headers == ["name", "p >", "mAP (DSB)", "F1 @ 0.5", "PQ @ 0.5"]
    tip = model.headerData(2, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "AP (DSB), mean over IoU thresholds" in tip
    # F1 at IoU 0.5: objects 1-3 of 6 found, none false: 6 / 9; the interval under it
    text = model.frame["f1_50"].iloc[0]
    assert text.startswith("0.6667 [")
    low, high = (float(bound) for bound in text[8:-1].split(", "))
    index = model.index(0, 3)
    assert model.data(index) == f"0.6667\n{low:.3f}–{high:.3f}"
    assert model.data(index, Qt.ItemDataRole.ToolTipRole).startswith(f"{text}: the value [its")
    assert view.rowHeight(0) >= 2 * view.fontMetrics().height()  # both lines in view
    # the name, the threshold and three metrics are in view, each header's text whole
    right = view.columnViewportPosition(4) + view.columnWidth(4)
    assert right <= view.viewport().width()
    assert view.columnWidth(1) < 60
    for column, header in enumerate(headers):
        width = max(view.fontMetrics().horizontalAdvance(line) for line in header.split("\n"))
        assert width <= view.columnWidth(column), header


def test_every_column_of_the_runs_table_is_placed_after_the_metrics():
    """The panel's order comes from the runs table's own columns: one that the table gains is
    never shown among the metrics."""
    from napari_seg_eval.evaluation import evaluate
    from napari_seg_eval.runs import RUN_COLUMNS, Runs

    runs = Runs()
    runs.add(evaluate(TRUTH, copy_of([1, 2])), name="model A")
    columns = runs.table().columns.tolist()
    shown = runs_panel.metrics_first(columns)
    metrics = [column for column in columns if column not in RUN_COLUMNS]
    assert metrics and shown[: 2 + len(metrics)] == ["name", "threshold", *metrics]
    assert sorted(shown[2 + len(metrics) :]) == sorted(set(RUN_COLUMNS) - {"name", "threshold"})
    assert shown[-2:] == ["truth", "prediction"]


def test_runs_of_one_map_and_a_dataset_side_by_side(viewer, tmp_path, qtbot):
    """Regression (a new user's trial): two Evaluate runs of one probability map at 0.5 and
    0.4 were both named after the map with no column to tell them apart, and a Dataset run
    showed — in the image runs' metric columns, its values in columns far to the right."""
    from qtpy.QtCore import Qt

    from napari_seg_eval.io import evaluate_files

    prob = np.select([np.isin(TRUTH, [1, 2, 3]), np.isin(TRUTH, [4, 5])], [0.9, 0.45], 0.0)
    viewer.add_image(prob, name="probability")
    widget = open_dock(viewer)
    widget.set_probability_layer("probability")
    for threshold in (0.5, 0.4):
        widget.set_threshold(threshold)
        evaluate(widget, "probability", qtbot)
    for name, ids in (("truth", range(1, 7)), ("pred", [1, 2, 3, 4])):
        (tmp_path / name).mkdir()
        for image in ("im0", "im1"):
            labels = TRUTH if name == "truth" else copy_of([1, 2] if image == "im0" else ids)
            np.save(tmp_path / name / f"{image}.npy", labels)
    panel = widget.runs
    panel.add(evaluate_files(tmp_path / "truth", tmp_path / "pred", kind="instance"))
    frame = panel.table.model.frame.set_index("name")
    assert frame.index.tolist() == [
        "run 1: probability @ 0.5",
        "run 2: probability @ 0.4",
        "run 3: pred",
    ]
    assert frame.columns[0] == "threshold" and frame["threshold"].tolist() == ["0.5", "0.4", ""]
    # p > 0.5: objects 1-3 of 6 found, F1 = 6 / 9; p > 0.4: 5 of 6, F1 = 10 / 11. The dataset
    # pooled: TP 2 + 4 of 12 true objects, no FP: F1 = 12 / 18, in the same column; the mean
    # of its images' 4/8 and 8/10 (0.65) beside it, where an image run has its own value.
    values = frame["f1_50"].astype(str).str.split().str[0].astype(float)
    assert values.tolist() == pytest.approx([6 / 9, 10 / 11, 12 / 18], abs=1e-4)
    means = frame["f1_50_image_mean"].astype(str).str.split().str[0].astype(float)
    assert means.tolist() == pytest.approx([6 / 9, 10 / 11, 0.65], abs=1e-4)
    # The headers say which value is which.
    model = panel.table.model
    column = model.frame.columns.get_loc("f1_50")
    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(column, horizontal) == "F1 @ 0.5"  # pooled: said in the tooltip
    tip = model.headerData(column, horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("One-image runs: the image's value. Dataset runs: pooled")
    mean_column = model.frame.columns.get_loc("f1_50_image_mean")
    assert model.headerData(mean_column, horizontal) == "F1 @ 0.5\nimage mean"
    tip = model.headerData(mean_column, horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "One-image runs: the image's own value" in tip
    # A user's name wins over the default.
    panel.select("run 2: probability @ 0.4")
    panel.rename_selected("lower threshold")
    assert panel.runs.names[1] == "lower threshold"
