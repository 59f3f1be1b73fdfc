"""The Confidence analysis leaves out the pixels the Evaluate tab leaves out (its Ignore label
and Region) and says so; a truth's unannotated 255 without an Ignore label gets the advice to
set one, not "instance ids"; "Best by" follows what Evaluate evaluates until chosen; edits of
the layers read make the analysis out of date (conf206: trial200, trial209)."""

import dask.array as da
import numpy as np
import pytest

from napari_seg_eval._qt.confidence_panel import OBJECT_METRICS, analyse
from napari_seg_eval._qt.widget import SegEvalWidget

# One row of pixels: (truth, probability of class 1 in channel 0). Class 2's channel is the
# rest. Every probability is alone in its calibration bin (15 bins), so the ECE is the mean
# of |y - p| over the pixels counted.
TRUTH = np.array([[1, 2, 1, 0, 255, 255]], np.uint8)
CLASS_1 = np.array([[0.9, 0.8, 0.6, 0.3, 0.95, 0.95]])
MAP = np.stack([CLASS_1, 1 - CLASS_1])  # float64: the values are the ones written


@pytest.fixture
def dock(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(MAP.copy(), name="softmax")
    viewer.add_labels(TRUTH.copy(), name="classes")  # edited in place
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.set_probability_layer("softmax")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    panel = widget.confidence
    panel.truth_combo.set_layer("classes")
    panel.set_class(1)
    panel.metric_combo.setCurrentText("iou")
    return viewer, widget


def test_the_ignore_label_and_region_of_evaluate_are_left_out(dock):
    viewer, widget = dock
    panel = widget.confidence
    widget.evaluate.ignore_spin.setValue(255)
    results = panel.run(wait=True)
    assert results is not None, panel.summary_label.text()
    sweep, calibration = results["sweep"].summary, results["calibration"].summary
    # Ranked 0.9 (+), 0.8 (-), 0.6 (+), 0.3 (-): AP = (1/1 + 2/3) / 2 = 5/6. Before, the two
    # 255 pixels at 0.95 were negatives of class 1 ranked first: AP = (1/3 + 2/5) / 2.
    assert (sweep["n_positive"], sweep["n_negative"]) == (2, 2)
    assert sweep["average_precision"] == pytest.approx(5 / 6)
    assert calibration["n_pixels"] == 4
    assert calibration["ece"] == pytest.approx((0.1 + 0.8 + 0.4 + 0.3) / 4)
    assert "ignoring truth value 255, as in Evaluate" in panel.summary_label.text()
    assert "Ignore label" not in panel.summary_label.text()  # no advice: it is set

    # Evaluate's Region (a Labels layer, nonzero inside) leaves out the 0.8 negative too.
    viewer.add_labels(np.array([[1, 0, 1, 1, 1, 1]], np.uint8), name="tissue")
    widget.evaluate.set_region("tissue")
    assert "the Evaluate tab's Region is 'tissue'" in panel.stale
    results = panel.run(wait=True)
    sweep, calibration = results["sweep"].summary, results["calibration"].summary
    assert sweep["average_precision"] == 1.0  # 0.9 (+), 0.6 (+), 0.3 (-)
    assert calibration["ece"] == pytest.approx((0.1 + 0.4 + 0.3) / 3)
    assert (
        "ignoring truth value 255 and counting only inside the region 'tissue', as in Evaluate"
        in panel.summary_label.text()
    )
    widget.evaluate.ignore_spin.setValue(-1)
    assert panel.stale == (
        "the Evaluate tab's Ignore label is none, the analysis shown ignored truth value 255"
    )
    assert not panel.best_button.isEnabled()


def test_an_unannotated_255_without_an_ignore_label_is_said_with_the_fix(dock):
    _, widget = dock
    panel = widget.confidence
    results = panel.run(wait=True)
    # counted as negatives: 4 negatives, the two at 0.95 ranked first
    assert results["sweep"].summary["n_negative"] == 4
    assert results["sweep"].summary["average_precision"] == pytest.approx((1 / 3 + 2 / 5) / 2)
    text = panel.summary_label.text()
    assert "set Ignore label to 255 in the Evaluate tab" in text
    assert "instance" not in text
    # an Ignore label set elsewhere (0): the 255 is still counted, still said
    widget.evaluate.ignore_spin.setValue(0)
    panel.run(wait=True)
    assert "set Ignore label to 255 in the Evaluate tab" in panel.summary_label.text()


def test_best_by_follows_what_evaluate_evaluates_until_chosen(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(MAP.copy(), name="softmax")
    viewer.add_labels(TRUTH.copy(), name="classes")  # edited in place
    widget = SegEvalWidget(viewer)
    panel, kind = widget.confidence, widget.evaluate.kind_combo
    f1 = next(iter(OBJECT_METRICS))
    assert kind.currentText() == "both" and panel.metric_combo.currentText() == f1
    kind.setCurrentText("semantic")
    assert panel.metric_combo.currentText() == "iou"  # before: objects' F1 whatever the kind
    kind.setCurrentText("instance")
    assert panel.metric_combo.currentText() == f1
    kind.setCurrentText("semantic")
    # "Use best threshold" then moves to the pixels' best: IoU 2/3 above 0.3 (0.9, 0.8 and
    # 0.6 foreground), 1/3 above 0.6, 1/2 above 0.8; the objects' F1 is best above 0.6 (one
    # object, {0.9, 0.8}, matches the first true one: F1 2/3; above 0.3 the three join).
    widget.set_probability_layer("softmax")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    widget.evaluate.ignore_spin.setValue(255)
    panel.truth_combo.set_layer("classes")
    panel.set_class(1)
    panel.run(wait=True)
    panel.use_best_threshold()
    assert widget.threshold == pytest.approx(0.3)
    # chosen: kept whatever Evaluate evaluates
    panel.metric_combo.setCurrentText("dice")
    kind.setCurrentText("instance")
    assert panel.metric_combo.currentText() == "dice"
    kind.setCurrentText("semantic")
    assert panel.metric_combo.currentText() == "dice"


def test_edits_of_the_layers_read_make_the_analysis_out_of_date(dock, qtbot):
    viewer, widget = dock
    panel = widget.confidence
    truth = viewer.layers["classes"]
    panel.run(wait=True)
    assert panel.stale == "" and panel.best_button.isEnabled()
    truth.data_setitem((np.array([0]), np.array([0])), 0)  # a paint (napari's paint API)
    assert panel.stale == "'classes' was edited"  # before: ""
    assert not panel.best_button.isEnabled() and not panel.stale_label.isHidden()
    panel.run(wait=True)
    assert panel.stale == ""
    truth.refresh()  # a refresh: no edit
    viewer.dims.set_current_step(0, 1)  # the map's other channel shown: no edit either
    assert panel.stale == "" and panel.best_button.isEnabled()
    truth.undo()  # napari 0.9 says an undo with set_data only
    assert int(truth.data[0, 0]) == 1
    assert panel.stale == "'classes' was edited"
    panel.run(wait=True)
    truth.redo()
    assert panel.stale == "'classes' was edited"
    # the map given new data
    panel.run(wait=True)
    viewer.layers["softmax"].data = MAP[::-1].copy()
    assert panel.stale == "'softmax' was edited"


def test_an_edit_while_the_analysis_runs_is_kept(dock, qtbot):
    viewer, widget = dock
    panel = widget.confidence
    truth = viewer.layers["classes"]
    panel.run()
    # On the main thread, before the results can be shown (they come through its event loop).
    truth.data_setitem((np.array([0]), np.array([1])), 1)
    qtbot.waitUntil(lambda: bool(panel.results) and not panel.job.running)
    assert panel.stale == "'classes' was edited while the analysis ran"
    assert not panel.best_button.isEnabled()


def _run(work) -> dict:
    """The results of analyse's generator, run to its end."""
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value


@pytest.mark.parametrize("chunked", [False, True], ids=["numpy", "dask"])
def test_analyse_leaves_the_ignored_pixels_out_of_every_number(chunked):
    truth, prob = TRUTH, MAP
    if chunked:  # the truth's mask made lazily, chunk by chunk
        truth, prob = da.from_array(TRUTH, chunks=(1, 4)), da.from_array(MAP, chunks=(2, 1, 4))
    objects = {"connectivity": 1, "min_size": 0, "split_touching": False, "split_depth": 2.0}
    results = _run(
        analyse(
            truth,
            prob,
            "iou",
            ("temperature",),
            {**objects, "spacing": None},
            class_id=1,
            channel_axis=0,
            ignore_label=255,
        )
    )
    sweep, calibration = results["sweep"].summary, results["calibration"].summary
    assert sweep["average_precision"] == pytest.approx(5 / 6)
    assert calibration["ece"] == pytest.approx((0.1 + 0.8 + 0.4 + 0.3) / 4)
    assert calibration["n_pixels"] == 4
    assert results["truth_ignore_like"] is None  # 255 left out: nothing to advise
    # Objects of class 1: pixels 0 and 2. Above 0.6 the map's one object is pixels 0..1
    # (IoU 1/2 with the first): F1 2/3. The 255 pixels (0.95) would be a false object.
    f1 = results["objects"].set_index("threshold")["f1_50"]
    assert f1[0.6] == pytest.approx(2 / 3) and f1[0.3] == 0.0
    kept = _run(
        analyse(truth, prob, "iou", (), {**objects, "spacing": None}, class_id=1, channel_axis=0)
    )
    assert kept["objects"].set_index("threshold")["f1_50"][0.6] == pytest.approx(1 / 2)
    assert kept["truth_ignore_like"] == 255
