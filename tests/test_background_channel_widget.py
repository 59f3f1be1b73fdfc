"""The dock's "Channel 0 is background", the class axis found for the user, and logits.

A new user's trial (trial20, findings 2 and 4): a softmax map whose channel 0 is background
(nnU-Net, most U-Nets, Keras) scored ~0 in the dock, because channel k was always class k + 1;
and a (3, H, W) map evaluated without a Channel axis only said "shape mismatch". Every number
is worked out by hand below.
"""

import numpy as np
import pytest

pytest.importorskip("napari")

from napari_seg_eval._qt import evaluate_panel, threshold_panel
from widget_helpers import settle_preview

DOCK = ("napari-seg-eval", "Segmentation Evaluation")

#: The ground truth's classes: 0 background, 1 and 2.
TRUTH = np.array(
    [
        [0, 0, 1, 1],
        [0, 0, 1, 1],
        [2, 2, 0, 0],
        [2, 2, 0, 0],
    ]
)
#: The most probable channel of each pixel of :data:`SOFTMAX`: two pixels differ from the
#: truth, (1, 1) (channel 1 where the truth is 0) and (3, 1) (channel 0 where it is 2).
TOP = np.array(
    [
        [0, 0, 1, 1],
        [0, 1, 1, 1],
        [2, 2, 0, 0],
        [2, 0, 0, 1],
    ]
)
#: (3, 3): a weak pixel, its top channel 1 at 0.45, not above the threshold 0.5.
WEAK = (3, 3)


def _softmax() -> np.ndarray:
    """(3, 4, 4), classes first: the top channel 0.8, the others 0.1 (the weak pixel: 0.3,
    0.45, 0.25); every pixel sums to 1."""
    prob = np.full((3, 4, 4), 0.1, np.float32)
    for y in range(4):
        for x in range(4):
            prob[TOP[y, x], y, x] = 0.8
    prob[:, WEAK[0], WEAK[1]] = (0.3, 0.45, 0.25)
    return prob


SOFTMAX = _softmax()

#: The labels with channel 0 as background: channel k is class k, the weak pixel 0.
WITH_BACKGROUND = np.array(
    [
        [0, 0, 1, 1],
        [0, 1, 1, 1],
        [2, 2, 0, 0],
        [2, 0, 0, 0],
    ]
)
#: The labels without: channel k is class k + 1 (every pixel but the weak one is a class).
WITHOUT = np.array(
    [
        [1, 1, 2, 2],
        [1, 2, 2, 2],
        [3, 3, 1, 1],
        [3, 1, 1, 0],
    ]
)

# The semantic metrics, classes compared (foreground vs background unticked), by hand:
# With channel 0 as background, WITH_BACKGROUND against TRUTH: 14 of 16 pixels agree ((1, 1)
# and (3, 1) do not): pixel accuracy 14/16. Class 0: 8 true, 8 predicted, 7 shared -> IoU
# 7 / (8 + 8 - 7) = 7/9. Class 1: 4 true, 5 predicted ((1, 1) too), 4 shared -> 4/5. Class 2:
# 4 true, 3 predicted ((3, 1) is 0), 3 shared -> 3/4. Mean IoU (7/9 + 4/5 + 3/4) / 3.
MEAN_IOU_WITH = (7 / 9 + 4 / 5 + 3 / 4) / 3
ACCURACY_WITH = 14 / 16
# Without: WITHOUT against TRUTH agree at the weak pixel only (both 0): pixel accuracy 1/16.
# Class 0: 8 true, 1 predicted, 1 shared -> 1/8; class 1: its 4 true pixels are predicted 2
# -> 0; class 2: its 4 true pixels are predicted 3 or 1 -> 0; class 3: not in the truth -> 0.
# Mean IoU over the four classes (1/8) / 4.
MEAN_IOU_WITHOUT = (1 / 8) / 4
ACCURACY_WITHOUT = 1 / 16


def choose_axis(widget, axis):
    combo = widget.channel_axis_combo
    combo.setCurrentIndex(combo.findData(axis))


@pytest.fixture
def dock(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_image(SOFTMAX, name="softmax")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("softmax")
    settle_preview(qtbot, widget)
    return viewer, widget


def semantic_run(widget):
    """Evaluate the softmax against the truth, semantic metrics of the classes."""
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    widget.evaluate.kind_combo.setCurrentText("semantic")
    widget.evaluate.binarize_check.setChecked(False)
    tables = widget.run_evaluation(wait=True)
    assert tables is not None, widget.evaluate.status_label.text()
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    return summary[("semantic", "mean_iou")], summary[("semantic", "pixel_accuracy")]


def test_the_box_makes_channel_0_background_in_the_live_preview(dock, qtbot, errors):
    _viewer, widget = dock
    box = widget.background_check
    assert box.text() == "Channel 0 is background"
    # the (3, 4, 4) map has one axis more than the (4, 4) truth: axis 0 was chosen for it
    assert widget.channel_axis_combo.currentData() == 0 and box.isEnabled()
    choose_axis(widget, None)
    assert not box.isEnabled()  # no Channel axis: no channels
    choose_axis(widget, 0)
    assert box.isEnabled()
    preview = widget.update_threshold_layer(wait=True)
    np.testing.assert_array_equal(preview.data, WITHOUT)
    with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
        box.setChecked(True)  # the live preview follows the box
    np.testing.assert_array_equal(widget.threshold_layer.data, WITH_BACKGROUND)
    assert widget.threshold_options().background_channel
    choose_axis(widget, None)  # without a class axis the box is off, whatever it shows
    assert not box.isEnabled() and not widget.threshold_options().background_channel
    assert errors == []


def test_evaluate_scores_the_classes_with_channel_0_as_background(dock, errors):
    _viewer, widget = dock
    choose_axis(widget, 0)
    with pytest.warns(UserWarning, match="tick 'Channel 0 is background' beside the Channel"):
        mean_iou, accuracy = semantic_run(widget)  # the core's hint: classes one too high
    assert mean_iou == pytest.approx(MEAN_IOU_WITHOUT)  # the ~0 of the trial
    assert accuracy == pytest.approx(ACCURACY_WITHOUT)
    widget.background_check.setChecked(True)
    assert widget.evaluation.stale  # the record was made without the box
    mean_iou, accuracy = semantic_run(widget)
    assert mean_iou == pytest.approx(MEAN_IOU_WITH)
    assert accuracy == pytest.approx(ACCURACY_WITH)
    assert widget.evaluation.settings.threshold_options.background_channel
    evaluated = widget.viewer.layers["softmax evaluated"]
    np.testing.assert_array_equal(evaluated.data, WITH_BACKGROUND)
    assert errors == []


def test_the_class_slider_and_class_vs_rest_number_classes_as_the_labels(dock, qtbot, errors):
    _viewer, widget = dock
    choose_axis(widget, 0)
    slider, spin = widget.display.class_slider, widget.confidence.class_spin
    assert (slider.minimum(), slider.maximum()) == (1, 3)  # channel k is class k + 1
    assert (spin.minimum(), spin.maximum()) == (1, 3)
    widget.background_check.setChecked(True)
    # channel 0 is background, no class: classes 1 and 2 are channels 1 and 2
    assert (slider.minimum(), slider.maximum()) == (1, 2)
    assert (spin.minimum(), spin.maximum()) == (1, 2)
    assert "class k is channel k of the class axis" in slider.toolTip()
    shown = widget.apply_confidence_colormap()
    assert slider.value() == 1
    np.testing.assert_array_equal(shown.data, SOFTMAX[1])  # class 1: channel 1
    with qtbot.waitSignal(widget.display.contour_job.finished, timeout=20_000):
        slider.setValue(2)
    np.testing.assert_array_equal(shown.data, SOFTMAX[2])
    # the slider's class 2 marks the labels' class 2: channel 2 above 0.5
    labels = widget.update_threshold_layer(wait=True)
    np.testing.assert_array_equal(widget.display.contour_layer(shown).data, labels.data == 2)
    assert widget.display.show_class(0) is None  # the background channel is no class
    assert "channel 0 is background" in errors.pop()
    panel = widget.confidence
    panel.truth_combo.set_layer("truth")
    panel.metric_combo.setCurrentText("iou")
    panel.set_class(2)
    results = panel.run(wait=True)
    row = results["sweep"].per_threshold.set_index("threshold").loc[0.5]
    # class 2 vs rest at 0.5: channel 2 is 0.8 on its 3 top pixels (TOP == 2), 0.1 or 0.25
    # elsewhere; the truth's class 2 has 4 pixels, (3, 1) missed: TP 3, FP 0, FN 1, TN 12,
    # IoU 3/4 (channel 1 or class 2 + 1 would give other counts)
    assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (3, 0, 1, 12)
    assert row["iou"] == pytest.approx(3 / 4)
    assert panel.summary_label.text().startswith("Class 2 vs rest (channel 2)")
    assert errors == []


def softmax_folders(widget, tmp_path):
    """The Dataset tab set to one pair: the truth as a TIFF, the softmax as `a_prob.tif`,
    classes compared; returns the tab and the prediction folder."""
    tifffile = pytest.importorskip("tifffile")
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    tifffile.imwrite(truth / "a.tif", TRUTH.astype(np.uint8))
    tifffile.imwrite(pred / "a_prob.tif", SOFTMAX, photometric="minisblack")
    dataset = widget.dataset
    dataset.set_suffixes(prediction="_prob")
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(probability=True, kind="semantic", binarize_semantic=False)
    return dataset, pred


def test_the_dataset_tab_passes_the_box_to_its_run(dock, tmp_path, errors):
    _viewer, widget = dock
    dataset, _pred = softmax_folders(widget, tmp_path)
    choose_axis(widget, 0)  # the header's class axis and box are the tab's
    widget.background_check.setChecked(True)
    assert dataset.settings()["background_channel"] is True
    shown = dataset.run(wait=True)
    assert shown is not None, dataset.status_label.text()
    row = shown.per_image.set_index("name").loc["a"]
    assert row["mean_iou"] == pytest.approx(MEAN_IOU_WITH)
    assert row["pixel_accuracy"] == pytest.approx(ACCURACY_WITH)
    widget.background_check.setChecked(False)
    assert "channel 0 is background" in dataset.stale_label.text()
    assert errors == []


def test_a_map_with_one_axis_more_gets_its_class_axis(make_napari_viewer, monkeypatch, errors):
    """Regression (trial20, 4): Channel axis "none" on a (3, 4, 4) map against a (4, 4)
    truth only said "shape mismatch". Then (trial25) it was chosen on Run only: the live
    preview and the Class slider showed the map as a 3-D stack until then. It is chosen as
    soon as the truth and the map are both there, and said once."""
    said = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    assert widget.channel_axis_combo.currentData() is None  # no map yet
    widget.background_check.setChecked(True)  # ticked beforehand: used once an axis is chosen
    viewer.add_image(SOFTMAX, name="softmax")
    widget.set_probability_layer("softmax")
    widget.set_prediction("softmax")
    # only axis 0 (3 values) dropped leaves (4, 4)
    assert widget.channel_axis_combo.currentData() == 0
    notice = (
        "Segmentation Evaluation: 'softmax' has one axis more than the truth: axis 0 (3 "
        "values) is taken as its class axis (the header's Channel axis; channel k is class "
        "k + 1 unless 'Channel 0 is background' is ticked beside it)."
    )
    assert said == [notice]
    preview = widget.update_threshold_layer(wait=True)  # before any run: the classes
    np.testing.assert_array_equal(preview.data, WITH_BACKGROUND)
    mean_iou, accuracy = semantic_run(widget)
    assert said == [notice]  # not said again on Run
    assert mean_iou == pytest.approx(MEAN_IOU_WITH)
    assert accuracy == pytest.approx(ACCURACY_WITH)
    assert errors == []


def test_no_guess_when_several_axes_or_none_fit(make_napari_viewer, monkeypatch, errors):
    said = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((3, 3), int), name="truth")
    viewer.add_image(np.full((3, 3, 3), 0.25, np.float32), name="cube", rgb=False)
    viewer.add_image(np.full((3, 3, 4), 0.25, np.float32), name="odd", rgb=False)
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("cube")
    widget.set_ground_truth("truth")
    widget.set_prediction("cube")
    assert widget.run_evaluation(wait=True) is None
    # (3, 3, 3) without any one axis is (3, 3): axes 0, 1 and 2 all fit
    assert errors[-1] == (
        "Segmentation Evaluation: shape mismatch: ground truth 'truth' is (3, 3), prediction "
        "'cube' gives (3, 3, 3). It has one axis more than the truth: axes 0, 1 or 2 could be "
        "its class axis (each leaves (3, 3)); choose the one that holds the classes as the "
        "header's Channel axis."
    )
    assert widget.channel_axis_combo.currentData() is None and said == []
    widget.set_probability_layer("odd")
    widget.set_prediction("odd")
    assert widget.run_evaluation(wait=True) is not None
    # (3, 3, 4) without axis 0 or 1 is (3, 4), without axis 2 (3, 3): only axis 2 fits
    assert widget.channel_axis_combo.currentData() == 2 and len(said) == 1
    assert "axis 2 (4 values) is taken as its class axis" in said[0]
    errors.clear()
    # the user's choice stays: axis 0 of 'odd' leaves (3, 4), not the truth's shape
    choose_axis(widget, 0)
    assert widget.run_evaluation(wait=True) is None
    assert widget.channel_axis_combo.currentData() == 0
    assert errors == [
        "Segmentation Evaluation: shape mismatch: ground truth 'truth' is (3, 3), prediction "
        "'odd' gives (3, 4). Axis 2 (4 values) as its class axis would leave the truth's "
        "shape (3, 3): choose it as the header's Channel axis."
    ]


def test_no_axis_fits(make_napari_viewer, monkeypatch, errors):
    said = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((4, 4), int), name="truth")
    viewer.add_image(np.full((3, 4, 5), 0.25, np.float32), name="wrong map")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("wrong map")
    widget.set_ground_truth("truth")
    widget.set_prediction("wrong map")
    assert widget.run_evaluation(wait=True) is None
    # without axis 0: (4, 5); axis 1: (3, 5); axis 2: (3, 4); none is (4, 4)
    assert errors == [
        "Segmentation Evaluation: shape mismatch: ground truth 'truth' is (4, 4), prediction "
        "'wrong map' gives (3, 4, 5). It has one axis more than the truth, but none of its "
        "axes can be its class axis: without any one of them it is not (4, 4)."
    ]
    assert widget.channel_axis_combo.currentData() is None and said == []


def test_the_logits_error_of_every_tab_points_to_the_docks_button(
    make_napari_viewer, qtbot, errors
):
    viewer = make_napari_viewer()
    viewer.add_labels(np.array([[0, 0], [1, 0]]), name="truth")
    viewer.add_image(np.array([[-2.0, 0.5], [3.0, 0.25]]), name="net scores")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("net scores")
    widget.live_check.setChecked(False)
    errors.clear()
    assert widget.update_threshold_layer(wait=True) is None  # Threshold
    widget.display.contour_check.setChecked(True)
    widget.apply_confidence_colormap()  # Confidence: its contour thresholds the map
    widget.confidence.truth_combo.set_layer("truth")
    assert widget.confidence.run(wait=True) is None  # Confidence analysis
    widget.set_ground_truth("truth")
    widget.set_prediction("net scores")
    assert widget.run_evaluation(wait=True) is None  # Evaluate
    assert len(errors) == 4, errors
    for said in errors:
        assert "found values in [-2, 3]" in said  # the range, as the core says it
        assert 'press "Convert logits to probabilities" in the Confidence tab' in said
        assert "napari_seg_eval.sigmoid" not in said
    status = widget.evaluate.status_label.text()
    assert "Convert logits to probabilities" in status
    assert "napari_seg_eval.sigmoid" not in status


def test_a_logits_error_is_matched_by_its_type_not_its_words():
    from napari_seg_eval.core._validate import LogitsError, check_probability_range

    with pytest.raises(LogitsError) as raised:
        check_probability_range(-2.0, 3.0, "probability values")
    error = raised.value
    assert isinstance(error, ValueError)  # as before, for the API's callers
    assert "convert them with napari_seg_eval.sigmoid" in str(error)  # the API's words
    reworded = LogitsError("the map 'x' goes from -1 to 7.")  # other words, same type
    assert threshold_panel.dock_error(reworded) == (
        "the map 'x' goes from -1 to 7. These look like logits or scores: "
        + threshold_panel.DOCK_LOGITS
    )


def test_the_hint_reaches_the_viewer_from_a_run_in_the_background(dock, qtbot, monkeypatch, errors):
    """Regression (trial25, finding 1): the hint is a warning given in the worker, which
    napari's workers only pass on as a signal nothing showed: a Run pressed in the dock said
    "Done." and no more. It is a warning notification now (one, with the hint's words); a
    deprecation given in a worker is not the user's to act on and is not shown."""
    from napari_seg_eval import _jobs

    _viewer, widget = dock
    shown = []
    monkeypatch.setattr(_jobs, "show_warning", shown.append)
    choose_axis(widget, 0)
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    widget.evaluate.kind_combo.setCurrentText("semantic")
    widget.evaluate.binarize_check.setChecked(False)
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=30_000):
        widget.run_evaluation()  # as the Run button does: in a worker
    hints = [text for text in shown if "tick 'Channel 0 is background'" in text]
    assert len(hints) == 1 and hints[0].startswith("Segmentation Evaluation: ")
    assert widget.evaluation.semantic.summary["mean_iou"] == pytest.approx(MEAN_IOU_WITHOUT)

    def deprecated():
        import warnings

        warnings.warn("an old keyword", DeprecationWarning, stacklevel=1)
        return 1

    shown.clear()
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=30_000):
        widget.evaluate.job.start(deprecated, lambda value: None)
    assert shown == []
    assert errors == []


def test_the_dataset_tabs_hint_names_the_docks_box(dock, tmp_path, qtbot, monkeypatch, errors):
    """A file notice shown in the dock names the dock's box, not Python's keyword nor the
    command line's flag (the Dataset tab said "set background_channel=True
    (--background-channel)")."""
    from napari_seg_eval import _jobs

    _viewer, widget = dock
    shown = []
    monkeypatch.setattr(_jobs, "show_warning", shown.append)
    dataset, pred = softmax_folders(widget, tmp_path)
    choose_axis(widget, 0)
    widget.background_check.setChecked(False)
    with qtbot.waitSignal(dataset.job.finished, timeout=30_000):
        dataset.run()  # as the Run button does: in a worker
    # unticked, the classes 1..3 against the truth's 0..2 are one too high: the hint, once
    hints = [text for text in shown if "channel 0 is background, set" in text]
    assert hints == [
        f"Segmentation Evaluation: channel k of {pred / 'a_prob.tif'} is class k + 1 (classes "
        "1..3), but its truth's classes run 0..2: if channel 0 is background, set 'Channel 0 "
        "is background' (beside the header's Channel axis), so that channel k is class k."
    ]
    assert errors == []
