"""thr202: the Evaluate tab's status line for a misread softmax, NaN in logits and class
maps, the "none" preset, and prediction/truth names that could be either."""

import numpy as np
import pytest

pytest.importorskip("napari")

from test_background_channel_widget import SOFTMAX, TRUTH, choose_axis
from widget_helpers import settle_preview

DOCK = ("napari-seg-eval", "Segmentation Evaluation")


@pytest.fixture
def softmax_dock(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_image(SOFTMAX, name="softmax")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("softmax")
    settle_preview(qtbot, widget)
    choose_axis(widget, 0)
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    return viewer, widget


def test_a_softmax_read_without_its_background_channel_says_so_in_the_status(softmax_dock):
    """trial198: unticked, channel k of SOFTMAX is class k + 1. Against TRUTH (classes 0..2)
    the truth's class 1 pixels (0..1, 2..3) are all predicted 2 (4 shifted), its class 2
    pixels (2..3, 0..1) are 3, 3, 3 and 1 (3 shifted): 7 shifted, 0 straight, 7 > 2 * 0, and
    the map has class 3, which the truth never has: the classes look shifted. The status
    line said "Done." and the hint faded; it now says the reading is likely wrong."""
    _viewer, widget = softmax_dock
    widget.evaluate.kind_combo.setCurrentText("semantic")
    widget.evaluate.binarize_check.setChecked(False)
    with pytest.warns(UserWarning, match=r"channel k of the probability map is class k \+ 1"):
        assert widget.run_evaluation(wait=True) is not None
    status = widget.evaluate.status_label.text()
    assert status.startswith("Done.\nLikely wrong: channel k of the map was read as class k + 1")
    assert "(classes 1..3 against 0..2)" in status
    assert "tick 'Channel 0 is background'" in status
    # ticked, channel k is class k: 14 of 16 pixels right, nothing to say
    widget.background_check.setChecked(True)
    assert widget.run_evaluation(wait=True) is not None
    assert widget.evaluate.status_label.text() == "Done."


def test_an_instance_run_of_a_misread_two_channel_softmax_says_so(make_napari_viewer, qtbot):
    """A (2, 8, 8) softmax, channel 0 background: channel 1 is 0.8 on the truth's one 2 × 2
    object, channel 0 is 0.8 on the other 60 pixels. Unticked, channel 0 is class 1: every
    pixel's top channel (0.8 > 0.5) is a class, so all 60 of the truth's background pixels
    are foreground (100 % > 90 %): an instance run (no class table) says the reading is
    likely wrong. Ticked, the 4 object pixels alone are foreground: nothing is said."""
    truth = np.zeros((8, 8), np.uint8)
    truth[2:4, 2:4] = 1
    prob = np.empty((2, 8, 8), np.float32)
    prob[1] = np.where(truth == 1, 0.8, 0.2)
    prob[0] = 1 - prob[1]
    viewer = make_napari_viewer()
    viewer.add_labels(truth, name="truth")
    viewer.add_image(prob, name="softmax")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("softmax")
    settle_preview(qtbot, widget)
    choose_axis(widget, 0)
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    widget.evaluate.kind_combo.setCurrentText("instance")
    with pytest.warns(UserWarning, match="over half of the truth's background is foreground"):
        assert widget.run_evaluation(wait=True) is not None
    status = widget.evaluate.status_label.text()
    assert status.startswith(
        "Done.\nLikely wrong: channel k of the map was read as class k + 1 and over half of "
        "the truth's background is foreground in it."
    )
    widget.background_check.setChecked(True)
    assert widget.run_evaluation(wait=True) is not None
    assert widget.evaluate.status_label.text() == "Done."


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    """The dock on an empty viewer; its error notifications in ``widget.errors``."""
    from napari_seg_eval import _jobs
    from napari_seg_eval._qt import threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    errors: list[str] = []
    monkeypatch.setattr(_jobs, "show_error", errors.append)
    monkeypatch.setattr(threshold_panel, "show_info", lambda message: None)
    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.errors = errors
    return viewer, widget


NEITHER = "a map with NaN is neither probabilities nor logits, so nothing was done"


def test_convert_catches_nan_in_level_0_when_a_coarse_level_shows_logits(dock):
    """Level 0 of a pyramid of logits (64 × 64 in [-4, 5]) holds one NaN at (10, 21); its
    coarse level (every 8th pixel: rows and columns 0, 8, ..., 56) does not see it and lies
    in [-4, 5]: logits. The conversion took that and added a layer of NaN probabilities;
    it now refuses the map as every other NaN refusal does, and adds nothing."""
    viewer, widget = dock
    full = np.linspace(-4, 5, 64 * 64).reshape(64, 64)
    full[10, 21] = np.nan
    coarse = full[::8, ::8]
    assert not np.isnan(coarse).any() and coarse.min() == -4 and coarse.max() > 1
    layer = viewer.add_image([full, coarse], multiscale=True, name="logits")
    before = [existing.name for existing in viewer.layers]
    assert widget.display.convert_logits(layer) is None
    said = "layer 'logits' holds 1 NaN (not-a-number) value, the first at pixel (10, 21): "
    assert said + NEITHER in widget.errors[-1]
    assert [existing.name for existing in viewer.layers] == before
    assert np.isnan(layer.data[0]).sum() == 1  # the user's layer untouched


def test_convert_catches_nan_in_a_chunked_level_0_read_in_the_worker(dock):
    """The same with a chunked level 0 of 512² values (read in the worker, chunk by chunk):
    the NaN count is known (1), its place not looked for."""
    da = pytest.importorskip("dask.array")
    viewer, widget = dock
    values = np.linspace(-4, 5, 512 * 512).reshape(512, 512)
    values[300, 7] = np.nan
    level0 = da.from_array(values, chunks=128)
    coarse = values[::16, ::16]  # rows 0, 16, ..., 496: not row 300 (300 = 16 * 18.75)
    assert not np.isnan(coarse).any()
    layer = viewer.add_image([level0, coarse], multiscale=True, name="scores")
    assert widget.display.convert_logits(layer, wait=True) is None
    said = "layer 'scores' holds 1 NaN (not-a-number) value: "
    assert said + NEITHER in widget.errors[-1]
    assert "scores probabilities" not in [existing.name for existing in viewer.layers]


def test_the_core_refuses_nan_with_a_nan_error_that_is_a_value_error():
    from napari_seg_eval import threshold_probabilities
    from napari_seg_eval.core._validate import NaNError

    with pytest.raises(NaNError, match=r"^probabilities contain NaN: ") as caught:
        threshold_probabilities(np.array([[0.5, np.nan]]))
    assert isinstance(caught.value, ValueError) and caught.value.name == "probabilities"


def test_the_dock_tells_nan_by_its_type_not_its_words():
    """A ValueError that only reads like the core's NaN refusal is said as it is; the core's
    NaNError, whatever its words, is said in the dock's words."""
    from napari_seg_eval._qt.threshold_panel import dock_error
    from napari_seg_eval.core._validate import NaNError

    lookalike = ValueError("truth labels contain NaN: not a refusal of a map")
    assert dock_error(lookalike) == str(lookalike)
    said = dock_error(NaNError("anything", "probabilities"))
    assert said.startswith("the probability map holds NaN (not-a-number) values: " + NEITHER)


def test_the_first_nan_of_a_class_map_is_a_pixel_of_a_channel(dock, qtbot):
    """A (3, 4, 4) softmax, classes first, with NaN at channel 2, pixel (1, 3): the message
    said "the first at pixel (2, 1, 3)", the class index mixed with the pixel's coordinates.
    It now says the pixel (1, 3) of channel 2, from Evaluate and from the preview."""
    viewer, widget = dock
    prob = SOFTMAX.copy()
    prob[2, 1, 3] = np.nan
    viewer.add_labels(TRUTH, name="truth")
    layer = viewer.add_image(prob, name="softmax")
    widget.set_probability_layer(layer)
    choose_axis(widget, 0)
    widget.set_ground_truth("truth")
    widget.set_prediction(layer)
    said = (
        "layer 'softmax' holds 1 NaN (not-a-number) value, the first at pixel (1, 3) of "
        "channel 2: " + NEITHER
    )
    assert widget.run_evaluation(wait=True) is None
    assert widget.evaluate.status_label.text().startswith(said)
    widget.errors.clear()
    assert widget.update_threshold_layer(wait=True) is None
    assert said in widget.errors[-1]
    widget.errors.clear()
    assert widget.display.convert_logits(layer) is None
    assert said in widget.errors[-1]


def test_choosing_no_preset_puts_back_what_the_preset_set(dock):
    """NeurIPS 2022 sets IoU 0.5, matching IoU and a 2-pixel border. Choosing "none" kept the
    border (2) and the single threshold: a run "without a preset" removed border objects. It
    now puts them back as they were before the preset (here a border of 3 set by hand, the
    default IoU thresholds, intersection over truth); leaving the preset by changing one of
    its controls keeps every control as it is (the user's change, and the preset's others)."""
    _viewer, widget = dock
    tab = widget.evaluate
    default_iou = tab.iou_edit.text()
    tab.set_matching("iot", 3)
    tab.set_preset("neurips2022")
    assert (tab.border_spin.value(), tab.iou_edit.text()) == (2, "0.5")
    assert tab.criterion_combo.currentData() == "iou"
    tab.set_preset("dsb2018")  # another preset: "none" still goes back to before the first
    assert tab.border_spin.value() == 0
    tab.set_preset(None)
    assert tab.border_spin.value() == 3 and tab.iou_edit.text() == default_iou
    assert tab.criterion_combo.currentData() == "iot"
    assert not tab.preset_label.isVisible()
    # leaving a preset by hand: the preset's other controls stay
    tab.set_preset("neurips2022")
    tab.border_spin.setValue(1)  # as the spin box does when the user types 1
    assert tab.preset_combo.currentData() is None
    assert (tab.border_spin.value(), tab.iou_edit.text()) == (1, "0.5")
    assert tab.criterion_combo.currentData() == "iou"
    tab.set_preset(None)  # already none: nothing to put back
    assert (tab.border_spin.value(), tab.iou_edit.text()) == (1, "0.5")


@pytest.mark.parametrize("order", [("pred_gt", "mask_gt"), ("mask_gt", "pred_gt")])
def test_mask_gt_is_the_truth_and_pred_gt_the_prediction_in_either_order(
    make_napari_viewer, monkeypatch, order
):
    """Both names hold a truth word ("gt") and a prediction word: "mask" is a word ground
    truths have too (Cellpose's annotations are ``*_masks``), "pred" is a model's. The truth
    was the first layer of the two (a tie, 1 each); "mask_gt" now ranks as "gt" (1 + 1 truth
    word - 0 model words = 2) above "pred_gt" (1 + max(0, 1 - 1) = 1), whatever the order,
    and nothing is said of the layers' order (the names decided)."""
    from napari_seg_eval._napari.layers import truth_rank
    from napari_seg_eval._qt import evaluate_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    said: list[str] = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    viewer = make_napari_viewer()
    for name in order:
        viewer.add_labels(np.zeros((4, 4), np.uint8), name=name)
    assert truth_rank(viewer.layers["mask_gt"]) == (True, 2)
    assert truth_rank(viewer.layers["pred_gt"]) == (True, 1)
    widget = SegEvalWidget(viewer)
    assert widget.evaluate.truth_combo.layer().name == "mask_gt"
    assert widget.evaluate.prediction_combo.layer().name == "pred_gt"
    assert not [text for text in said if "chosen by the layers' order" in text]


def test_a_truth_chosen_by_the_layers_order_is_said(make_napari_viewer, monkeypatch):
    """ "pred_gt" and "seg_gt" both rank 1 (a truth word, a model's word): nothing in the
    names tells which is the truth, so the first in the layer list is taken, and the dock
    now says so, once; a layer the user chose is not said to be the order's."""
    from napari_seg_eval._qt import evaluate_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    said: list[str] = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((4, 4), np.uint8), name="pred_gt")
    widget = SegEvalWidget(viewer)
    assert said == []  # one layer: no choice made
    viewer.add_labels(np.zeros((4, 4), np.uint8), name="seg_gt")
    assert widget.evaluate.truth_combo.layer().name == "pred_gt"
    order = [text for text in said if "chosen by the layers' order" in text]
    assert order == [
        "Segmentation Evaluation: ground truth 'pred_gt' chosen by the layers' order: its "
        "name tells a ground truth no better than 'seg_gt' does (a name with a word of a "
        "truth and one of a prediction, such as 'pred_gt', says neither). If the truth is "
        "'seg_gt', choose it under Ground truth."
    ]
    viewer.add_image(np.zeros((4, 4), np.float32), name="raw")  # the same choice: said once
    assert len([text for text in said if "layers' order" in text]) == 1
    said.clear()
    widget.set_ground_truth("seg_gt")  # the user's choice
    viewer.add_labels(np.zeros((4, 4), np.uint8), name="other_pred_gt")
    assert not [text for text in said if "layers' order" in text]
