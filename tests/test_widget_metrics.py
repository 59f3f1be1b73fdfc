"""Issue 12 in the Evaluate tab: classes, boundary metrics, presets, definition cards, regions.

Each test drives the dock as a user (or a script) does and checks the widget's numbers against
the API's on the same arrays, computed here independently, plus values worked out by hand.
Runs use ``wait=True``: nothing depends on timing.
"""

import re

import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval.core import catalogue
from napari_seg_eval.core.presets import get_preset, preset_metrics

pytest.importorskip("napari")

from qtpy.QtCore import Qt


def images():
    """Truth and prediction (20 × 24) with three true objects and four predictions.

    true 1 (rows 2-5, cols 2-5) is predicted exactly by 11; true 2 (rows 10-14, cols 10-14)
    by 12 shifted one column right (IoU 20 / 30); true 3 touches the top edge (rows 0-2, cols
    18-21) and is predicted exactly by 13; 14 (rows 16-18, cols 2-4) is a false positive.
    """
    true = np.zeros((20, 24), np.uint16)
    true[2:6, 2:6] = 1
    true[10:15, 10:15] = 2
    true[0:3, 18:22] = 3
    pred = np.zeros_like(true)
    pred[2:6, 2:6] = 11
    pred[10:15, 11:16] = 12
    pred[0:3, 18:22] = 13
    pred[16:19, 2:5] = 14
    return true, pred


def class_images(true, pred):
    """Truth: 1 and 3 are class 1, 2 is class 2. Prediction: 11 class 1, 12 class 1 (wrong),
    13 class 1, 14 class 2."""
    true_classes = np.select([np.isin(true, [1, 3]), true == 2], [1, 2], 0).astype(np.uint8)
    pred_classes = np.select([np.isin(pred, [11, 12, 13]), pred == 14], [1, 2], 0)
    return true_classes, pred_classes.astype(np.uint8)


@pytest.fixture
def dock(make_napari_viewer):
    true, pred = images()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.iou_edit.setText("0.5, 0.75")
    return viewer, widget


def summary_of(tables):
    return tables["summary"].set_index(["evaluation", "metric"])["value"]


def assert_same_numbers(shown: pd.DataFrame, expected: pd.DataFrame):
    pd.testing.assert_frame_equal(
        shown.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


# 1. Multi-class instances --------------------------------------------------------------------
def test_class_layers_give_the_per_class_table_and_the_class_confusion(dock):
    viewer, widget = dock
    true, pred = images()
    true_classes, pred_classes = class_images(true, pred)
    viewer.add_labels(true_classes, name="truth classes")
    viewer.add_labels(pred_classes, name="pred classes")
    widget.evaluate.set_classes("truth classes", "pred classes")
    tables = widget.run_evaluation(wait=True)

    expected = nse.instance_metrics(
        true, pred, iou_thresholds=[0.5, 0.75], true_classes=true_classes,
        pred_classes=pred_classes,
    )  # fmt: skip
    assert_same_numbers(tables["instance_per_class"], expected.per_class)
    # By hand at IoU 0.5: class 1 has true 1, 3 and predictions 11, 12, 13: 11-1 and 13-3
    # match, 12 (class 1) cannot match 2 (class 2): tp 2, fp 1, fn 0. Class 2: true 2 and the
    # false positive 14: tp 0, fp 1, fn 1.
    at_50 = tables["instance_per_class"].query("threshold == 0.5").set_index("class")
    assert at_50.loc[1, ["tp", "fp", "fn"]].tolist() == [2, 1, 0]
    assert at_50.loc[2, ["tp", "fp", "fn"]].tolist() == [0, 1, 1]
    # Matched regardless of class at 0.5: 1-11 (1 → 1), 2-12 (2 → 1), 3-13 (1 → 1).
    confusion = tables["class_confusion"].set_index("true class")
    assert confusion.loc[1, "predicted 1"] == 2 and confusion.loc[2, "predicted 1"] == 1
    assert confusion.to_numpy().tolist() == expected.class_confusion.to_numpy().tolist()
    summary = summary_of(tables)
    assert summary[("instance", "class_mean_accuracy")] == expected.summary["class_mean_accuracy"]
    # PQ at 0.5 per class: class 1, Σ IoU 2 / (2 + 1/2) = 0.8; class 2: 0.
    assert summary[("instance", "class_mean_panoptic_quality_50")] == pytest.approx(0.4)
    record = widget.evaluation
    assert record.settings.true_classes_name == "truth classes"
    assert record.settings.pred_classes_name == "pred classes"
    tabs = widget.evaluate.result_tabs
    assert tabs.isTabVisible(tabs.indexOf(widget.evaluate.tables["class_confusion"]))
    headers = widget.evaluate.tables["instance_per_class"].model
    assert headers.headerData(0, Qt.Orientation.Horizontal) == catalogue.label(
        "instance.per_class", "class"
    )


def test_one_class_layer_can_classify_both_sides(dock):
    viewer, widget = dock
    true, pred = images()
    true_classes, _ = class_images(true, pred)
    viewer.add_labels(true_classes, name="classes")
    widget.evaluate.set_classes("classes")  # the prediction: "same as ground-truth classes"
    tables = widget.run_evaluation(wait=True)
    expected = nse.instance_metrics(
        true, pred, iou_thresholds=[0.5, 0.75], true_classes=true_classes,
        pred_classes=true_classes,
    )  # fmt: skip
    assert_same_numbers(tables["instance_per_class"], expected.per_class)
    assert widget.evaluation.settings.pred_classes_name == "classes"
    # 14 lies on class 0 pixels of the truth's class image: class 0.
    assert sorted(tables["instance_per_class"]["class"].unique()) == [0, 1, 2]


def test_classes_for_one_side_only_are_refused_and_change_nothing(dock, errors):
    viewer, widget = dock
    true, pred = images()
    viewer.add_labels(class_images(true, pred)[0], name="classes")
    widget.evaluate.set_classes("classes", None)
    assert widget.run_evaluation(wait=True) is None
    assert widget.evaluation is None
    assert any("both sides" in message for message in errors)


# 2. Boundary metrics -------------------------------------------------------------------------
def test_boundary_metrics_in_the_units_of_the_truth_scale(dock):
    viewer, widget = dock
    true, pred = images()
    viewer.layers["truth"].scale = (2.0, 0.5)
    viewer.layers["pred"].scale = (2.0, 0.5)
    widget.evaluate.set_boundary(True, tolerance=0.25)
    tables = widget.run_evaluation(wait=True)

    record = widget.evaluation
    assert record.settings.spacing == (2.0, 0.5) and record.settings.tolerance == 0.25
    assert record.settings.units == "scale units"
    per_object = tables["boundary_per_object"].set_index("true_label")
    # 12 is 2 shifted one column (0.5 units): every boundary pixel is within 0.5 of the other
    # boundary, and the columns that differ are exactly 0.5 away: HD = 0.5.
    assert per_object.loc[2, "hd"] == pytest.approx(0.5)
    assert per_object.loc[1, "hd"] == 0 and per_object.loc[1, "nsd"] == 1
    expected = nse.boundary_metrics(true, pred, per_object=True, spacing=(2.0, 0.5), tolerance=0.25)
    assert_same_numbers(tables["boundary_per_object"], expected.per_object)
    foreground = nse.boundary_metrics(
        (true > 0).view(np.uint8) * 1, (pred > 0).astype(np.uint8), spacing=(2.0, 0.5),
        tolerance=0.25,
    )  # fmt: skip
    assert_same_numbers(tables["boundary_per_class"], foreground.per_class)
    summary = summary_of(tables)
    assert summary[("boundary per object", "n_matched")] == 3
    assert summary[("boundary", "mean_hd95")] == foreground.summary["mean_hd95"]
    model = widget.evaluate.tables["boundary_per_class"].model
    column = list(model.frame.columns).index("hd")
    card = model.data(model.index(0, column), Qt.ItemDataRole.ToolTipRole)
    assert card.startswith(catalogue.tooltip("boundary.per_class", "hd"))
    assert "scale units" in card and "(2.0, 0.5)" in card
    assert "scale units" in widget.evaluate.units_label.text()


def test_boundary_metrics_per_class_of_objects(dock):
    viewer, widget = dock
    true, pred = images()
    true_classes, pred_classes = class_images(true, pred)
    viewer.add_labels(true_classes, name="truth classes")
    viewer.add_labels(pred_classes, name="pred classes")
    widget.evaluate.set_classes("truth classes", "pred classes")
    widget.evaluate.set_boundary(True, tolerance=1.0)
    tables = widget.run_evaluation(wait=True)
    # The class images here are the objects painted with their class already.
    expected = nse.boundary_metrics(true_classes, pred_classes, tolerance=1.0)
    assert_same_numbers(tables["boundary_per_class"], expected.per_class)
    assert widget.evaluation.settings.units == "pixels"


# 3. Presets, criterion, border -----------------------------------------------------------------
def test_a_preset_sets_the_controls_and_says_what_it_set(dock):
    _, widget = dock
    true, pred = images()
    panel = widget.evaluate
    panel.set_preset("neurips2022")
    assert panel.iou_edit.text() == "0.5"
    assert panel.criterion_combo.currentData() == "iou" and panel.border_spin.value() == 2
    assert "exclude border 2 px" in panel.preset_label.text()
    tables = widget.run_evaluation(wait=True)
    settings = widget.evaluation.settings
    assert (settings.preset, settings.iou_thresholds, settings.exclude_border) == (
        "neurips2022",
        (0.5,),
        2,
    )
    expected = nse.instance_metrics(true, pred, iou_thresholds=[0.5], exclude_border=2)
    summary = summary_of(tables)
    # 3 and 13 touch the 2-pixel band: left are true 1, 2 and predictions 11, 12, 14
    # (14 ends at row 18 of 20, inside the band): 11, 12; F1 = 2·2 / (2·2 + 0 + 0) = 1.
    assert summary[("instance", "n_true")] == 2 and summary[("instance", "n_pred")] == 2
    assert summary[("instance", "f1_50")] == expected.summary["f1_50"] == 1.0
    assert "F1 @ 0.5 = 1.0000" in panel.status_label.text()

    panel.set_matching("iou", exclude_border=0)  # changed by hand: no longer the preset
    assert panel.preset_combo.currentData() is None
    widget.run_evaluation(wait=True)
    assert widget.evaluation.settings.preset is None
    assert widget.evaluation.settings.exclude_border == 0


def test_dsb_and_ctc_presets_equal_the_api(dock):
    _, widget = dock
    true, pred = images()
    widget.evaluate.set_preset("dsb2018")
    tables = widget.run_evaluation(wait=True)
    dsb = preset_metrics("dsb2018", true, pred)
    assert summary_of(tables)[("instance", "mean_accuracy")] == dsb["mean_accuracy_image_mean"]
    assert widget.evaluation.settings.iou_thresholds == get_preset("dsb2018").iou_thresholds

    widget.evaluate.set_preset("ctc")
    assert widget.evaluate.criterion_combo.currentData() == "iot"
    tables = widget.run_evaluation(wait=True)
    ctc = nse.ctc_metrics(true, pred)
    summary = summary_of(tables)
    for key in ("seg", "det", "fn", "fp", "ns"):
        assert summary[("ctc", key)] == ctc[key]
    # SEG by hand: IoU 1 (1), 20/30 (2), 1 (3): (2 + 2/3) / 3.
    assert summary[("ctc", "seg")] == pytest.approx((2 + 2 / 3) / 3)
    expected = nse.instance_metrics(true, pred, iou_thresholds=[0.5], criterion="iot")
    assert_same_numbers(tables["per_threshold"], expected.per_threshold)


def test_intersection_over_truth_criterion(dock):
    _, widget = dock
    true, pred = images()
    widget.evaluate.set_matching("iot")
    widget.evaluate.iou_edit.setText("0.75")
    tables = widget.run_evaluation(wait=True)
    # 12 covers 20 of 25 pixels of 2: 0.8 > 0.75 matches, though IoU 2/3 < 0.75.
    assert tables["per_threshold"]["tp"].tolist() == [3]
    expected = nse.instance_metrics(true, pred, iou_thresholds=[0.75], criterion="iot")
    assert_same_numbers(tables["per_threshold"], expected.per_threshold)


# 4. Definition cards -------------------------------------------------------------------------
def test_every_value_and_header_shows_its_definition_card(dock):
    _, widget = dock
    tables = widget.run_evaluation(wait=True)
    model = widget.evaluate.tables["per_threshold"].model
    column = list(model.frame.columns).index("f1")
    card = catalogue.tooltip("instance.per_threshold", "f1")
    assert model.data(model.index(0, column), Qt.ItemDataRole.ToolTipRole) == card
    assert model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == (
        f"{card}\n(column f1)"
    )
    summary = widget.evaluate.tables["summary"].model
    row = tables["summary"].index[
        (tables["summary"]["evaluation"] == "instance") & (tables["summary"]["metric"] == "aji")
    ][0]
    value = summary.index(row, list(summary.frame.columns).index("value"))
    assert summary.data(value, Qt.ItemDataRole.ToolTipRole) == catalogue.tooltip(
        "instance.summary", "aji"
    )
    assert "0/0" in card and "pooled" in card  # the 0/0 rule and how it combines


# 5. Region -----------------------------------------------------------------------------------
def test_a_labels_region_scores_only_inside(dock):
    viewer, widget = dock
    true, pred = images()
    region = np.zeros(true.shape, np.uint8)
    region[:, :12] = 3  # nonzero = inside: the left half, which cuts 2 and 12
    viewer.add_labels(region, name="held out")
    widget.evaluate.set_region("held out")
    tables = widget.run_evaluation(wait=True)
    inside = region > 0
    expected = nse.instance_metrics(true, pred, iou_thresholds=[0.5, 0.75], region=inside)
    assert_same_numbers(tables["per_threshold"], expected.per_threshold)
    semantic = nse.semantic_metrics((true > 0) * 1, (pred > 0) * 1, region=inside)
    assert_same_numbers(tables["per_class"], semantic.per_class)
    # Inside: 1, 2 (columns 10-11: 10 pixels) against 11, 12 (column 11: 5 pixels), 14.
    summary = summary_of(tables)
    assert summary[("instance", "n_true")] == 2 and summary[("instance", "n_pred")] == 3
    assert summary[("semantic", "n_pixels")] == 20 * 12
    assert widget.evaluation.settings.region_name == "held out"
    np.testing.assert_array_equal(widget.evaluation.region, inside)


def test_a_shapes_region_is_drawn_on_the_truth_grid(dock):
    viewer, widget = dock
    true, pred = images()
    # Pixel centres of rows 0-9 and columns 0-23 in world units; the Shapes layer has scale 2.
    corners = np.array([[-0.5, -0.5], [9.5, 23.5]]) / 2
    viewer.add_shapes([corners], shape_type="rectangle", name="top", scale=(2, 2))
    widget.evaluate.set_region("top")
    widget.evaluate.set_boundary(True)
    tables = widget.run_evaluation(wait=True)
    inside = np.zeros(true.shape, bool)
    inside[:10] = True
    np.testing.assert_array_equal(widget.evaluation.region, inside)
    expected = nse.instance_metrics(true, pred, iou_thresholds=[0.5, 0.75], region=inside)
    assert_same_numbers(tables["per_threshold"], expected.per_threshold)
    boundary = nse.boundary_metrics(true, pred, per_object=True, region=inside)
    assert_same_numbers(tables["boundary_per_object"], boundary.per_object)
    assert tables["boundary_per_object"]["true_label"].tolist() == [1, 3]


def test_editing_the_region_marks_the_record_stale(dock):
    viewer, widget = dock
    true, _ = images()
    region = viewer.add_labels(np.ones(true.shape, np.uint8), name="region")
    widget.evaluate.set_region("region")
    widget.run_evaluation(wait=True)
    assert widget.evaluation.stale == ""
    region.data = np.zeros(true.shape, np.uint8)
    assert "region" in widget.evaluation.stale


# 6. COCO AP (score-ranked) -------------------------------------------------------------------
def coco_case():
    """Two true objects, three predictions with known scores (mean probabilities) and IoUs.

    true 1 (cols 0-3) is predicted exactly by 1 (IoU 1, score 0.9); true 2 (cols 6-9) by 2,
    its left half (IoU 2 / 4 = 0.5, score 0.8); 3 (cols 12-13) overlaps nothing and has the
    highest score, 0.95.
    """
    true = np.zeros((1, 16), np.uint8)
    true[0, 0:4], true[0, 6:10] = 1, 2
    pred = np.zeros_like(true)
    pred[0, 0:4], pred[0, 6:8], pred[0, 12:14] = 1, 2, 3
    prob = np.select([pred == 1, pred == 2, pred == 3], [0.9, 0.8, 0.95], 0.0).astype(np.float32)
    return true, pred, prob


# By hand. Ranked by score: 3 (false), 1, 2. At IoU 0.50: FP, TP, TP: precision 0, 1/2, 2/3 at
# recall 0, 1/2, 1; made monotone it is 2/3 everywhere: AP = 2/3. At 0.55 ... 0.95 (9
# thresholds) 2 no longer matches: FP, TP, FP: precision made monotone 1/2 up to recall 1/2
# and nothing beyond: 51 of the 101 recall points read 1/2: AP = 51 / 202.
COCO_AP_50, COCO_AP_75 = 2 / 3, 51 / 202
COCO_MAP = (COCO_AP_50 + 9 * COCO_AP_75) / 10


@pytest.fixture
def coco_dock(make_napari_viewer):
    true, pred, _ = coco_case()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    return viewer, widget


def test_coco_ap_in_the_evaluate_tab_is_the_hand_computed_value(coco_dock):
    viewer, widget = coco_dock
    true, pred, prob = coco_case()
    viewer.add_image(prob, name="prob")
    widget.set_probability_layer("prob")
    panel = widget.evaluate
    panel.set_preset("coco")
    assert panel.iou_edit.text() == "0.5:0.95:0.05"
    # Regression (a new user's trial): the note was 6 lines of jargon. Now what is scored,
    # with which layer's probability, in two lines of the dock; the details in its tooltip.
    assert panel.preset_label.text() == (
        "COCO mask AP: each predicted object is scored by its mean probability in 'prob'; "
        "the AP is averaged over IoU 0.50 to 0.95."
    )
    assert "101-point interpolated precision" in panel.preset_label.toolTip()
    tables = widget.run_evaluation(wait=True)
    summary = summary_of(tables)
    assert summary[("coco", "map")] == pytest.approx(COCO_MAP)
    assert summary[("coco", "ap_50")] == pytest.approx(COCO_AP_50)
    assert summary[("coco", "ap_75")] == pytest.approx(COCO_AP_75)
    api = nse.coco_average_precision(true, pred, {1: 0.9, 2: 0.8, 3: 0.95})
    for key in ("map", "ap_50", "ap_75"):
        assert summary[("coco", key)] == pytest.approx(api.summary[key], abs=1e-12)
    per_threshold = tables["coco_per_threshold"]
    assert per_threshold["tp"].tolist() == [2] + [1] * 9
    assert per_threshold["fp"].tolist() == [1] + [2] * 9
    tab = panel.result_tabs.indexOf(panel.tables["coco_per_threshold"])
    assert panel.result_tabs.isTabVisible(tab)
    assert "COCO mask AP: COCO mAP = 0.2939" in panel.status_label.text()
    # the record keeps it, and so does the Runs tab (first: the number the preset stands for)
    assert widget.evaluation.coco is not None
    run = widget.runs.runs[len(widget.runs.runs) - 1]
    assert run.headline.index[0] == "map"
    assert run.headline["map"] == pytest.approx(COCO_MAP)
    assert "map" in widget.runs.runs.table().columns


def test_coco_ap_scores_a_probability_map_prediction_by_its_own_values(coco_dock, qtbot):
    viewer, widget = coco_dock
    *_, prob = coco_case()
    viewer.layers.remove("pred")
    viewer.add_image(prob, name="prob")
    widget.set_prediction("prob")  # objects: components of prob > 0.5, scored by prob
    widget.set_threshold(0.5)
    widget.evaluate.set_preset("coco")
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()  # in the dock's worker, as the other metrics
    assert summary_of(widget.evaluate.results)[("coco", "map")] == pytest.approx(COCO_MAP)


def test_coco_ap_is_a_step_of_the_run_with_progress_and_cancel():
    from napari_seg_eval.evaluation import (
        Cancelled,
        EvaluationSettings,
        RunControl,
        evaluation_steps,
    )

    true, pred, prob = coco_case()
    settings = EvaluationSettings.from_preset("coco")
    steps = evaluation_steps(true, pred, settings, confidence=prob)
    seen = [next(steps)]
    while seen[-1][1] != "COCO AP (score-ranked)":
        seen.append(next(steps))
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] < 1
    control = RunControl()
    steps = evaluation_steps(true, pred, settings, confidence=prob, control=control)
    while next(steps)[1] != "COCO AP (score-ranked)":
        pass
    control.cancel()
    with pytest.raises(Cancelled):
        next(steps)
    with pytest.raises(ValueError, match="the coco preset ranks the predicted objects"):
        next(evaluation_steps(true, pred, settings))  # no probability map: before any step


def test_coco_is_offered_only_when_the_objects_can_be_scored(coco_dock):
    from napari_seg_eval._qt.evaluate_panel import COCO_UNAVAILABLE

    viewer, widget = coco_dock
    panel = widget.evaluate
    index = panel.preset_combo.findData("coco")
    item = panel.preset_combo.model().item(index)
    tip = panel.preset_combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert not item.isEnabled() and tip == COCO_UNAVAILABLE  # labels only: no score
    with pytest.raises(ValueError, match="choose a probability layer in the header"):
        panel.set_preset("coco")
    _, _, prob = coco_case()
    viewer.add_image(prob, name="prob")  # the header takes it: the objects have scores
    assert widget.probability_combo.layer().name == "prob"
    assert item.isEnabled() and "mean probability" in panel.preset_combo.itemData(
        index, Qt.ItemDataRole.ToolTipRole
    )
    panel.set_preset("coco")
    viewer.layers.remove("prob")  # gone again: the run says why, and the tables stay empty
    assert not item.isEnabled()
    assert widget.run_evaluation(wait=True) is None
    assert "choose a probability layer in the header" in panel.status_label.text()


# By hand, once object 3's probability is 0.1: ranked 1 (0.9), 2 (0.8), 3 (0.1). At IoU 0.50:
# TP, TP, FP: precision 1 up to recall 1: AP = 1. At 0.55 ... 0.95: TP, FP, FP: precision 1 up
# to recall 1/2 and nothing beyond: 51 of the 101 recall points read 1: AP = 51 / 101.
EDITED_COCO_MAP = (1 + 9 * 51 / 101) / 10


@pytest.mark.parametrize("preset", [None, "coco"])
def test_editing_the_probability_layer_a_run_used_marks_the_record_stale(coco_dock, preset):
    """Regression (review 11): the header's probability layer gives the objects' confidence
    (Review) and the COCO scores; replacing its pixels left the record current, showing a COCO
    mAP the layer no longer gave."""
    viewer, widget = coco_dock
    _, pred, prob = coco_case()
    layer = viewer.add_image(prob, name="prob")
    widget.set_probability_layer("prob")
    widget.evaluate.set_preset(preset)
    widget.run_evaluation(wait=True)
    assert widget.evaluation.settings.confidence_name == "prob"
    assert widget.evaluation.stale == ""
    edited = prob.copy()
    edited[pred == 3] = 0.1  # the false detection now ranks last
    layer.data = edited
    assert widget.evaluation.stale == "'prob' was edited"
    assert not widget.evaluate.stale_label.isHidden()
    tables = widget.run_evaluation(wait=True)
    if preset == "coco":
        assert summary_of(tables)[("coco", "map")] == pytest.approx(EDITED_COCO_MAP)
    assert widget.evaluation.stale == ""
    layer.name = "prob 2"
    assert widget.evaluation.stale == "'prob' was renamed"


def test_a_probability_layer_the_run_did_not_use_is_not_watched(coco_dock):
    """A header map of another shape gives no confidence: editing it changes no number."""
    viewer, widget = coco_dock
    _, _, prob = coco_case()
    other = viewer.add_image(np.tile(prob, (2, 1)), name="prob")  # (2, 16): not the truth's
    widget.set_probability_layer("prob")
    widget.run_evaluation(wait=True)
    assert widget.evaluation.settings.confidence_name is None
    other.data = np.zeros_like(other.data)
    assert widget.evaluation.stale == ""


@pytest.fixture
def scoring_dock(make_napari_viewer):
    """Truth, labels, a one-class map, a two-class softmax (class axis 0), a map of another
    shape and an int32 image, for the cases of COCO's scores."""
    true, pred, prob = coco_case()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    viewer.add_image(prob, name="prob")
    viewer.add_image(np.stack([1 - prob, prob]), name="softmax")
    viewer.add_image(np.tile(prob, (2, 1)), name="prob of another shape")
    viewer.add_image(pred.astype(np.int32), name="ids")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    return viewer, widget


@pytest.mark.parametrize(
    ("prediction", "header", "channel_axis", "scored", "why"),
    [
        ("pred", "prob", None, True, ""),
        ("prob", "prob", None, True, ""),  # the map scores its own objects
        ("prob", "ids", None, True, ""),  # ... whatever the header holds
        ("pred", "prob of another shape", None, False, r"is \(2, 16\); the ground truth"),
        ("pred", "ids", None, False, "int32"),
        ("pred", "softmax", None, False, r"is \(2, 1, 16\); the ground truth"),
        ("softmax", "softmax", 0, False, "multi-class map"),
        ("softmax", "prob", 0, False, "multi-class map"),  # the header scores labels only
    ],
)
def test_coco_is_offered_exactly_when_the_run_can_score_the_objects(
    scoring_dock, prediction, header, channel_axis, scored, why
):
    """Regression (review 11): COCO was offered for a softmax prediction (the header's layer
    chosen), then refused at run time with advice to choose the header's layer; and offered
    for a header map the run could not use (another shape, integer ids). One rule decides
    both; a refusal says which."""
    _, widget = scoring_dock
    widget.set_prediction(prediction)
    widget.set_probability_layer(header)
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(channel_axis))
    widget.set_threshold(0.5)
    panel = widget.evaluate
    index = panel.preset_combo.findData("coco")
    assert panel.preset_combo.model().item(index).isEnabled() == scored
    tip = panel.preset_combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    if scored:
        panel.set_preset("coco")
    else:
        assert re.search(why, tip)
        with pytest.raises(ValueError, match=why):
            panel.set_preset("coco")
        panel.preset_combo.setCurrentIndex(index)  # chosen anyway (it was before the change)
    tables = widget.run_evaluation(wait=True)
    assert (tables is not None) == scored
    if scored:
        assert summary_of(tables)[("coco", "map")] == pytest.approx(COCO_MAP)
    else:
        assert re.search(why, panel.status_label.text())
