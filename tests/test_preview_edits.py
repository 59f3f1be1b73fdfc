"""A user's hand fixes to the Threshold tab's live preview are never overwritten: the edited
preview layer becomes the user's, and the next preview is a new layer."""

import numpy as np
import pytest

pytest.importorskip("napari")

from widget_helpers import settle_preview, two_squares_map

TAG = "napari-seg-eval"


#: By hand: p > 0.5 is both squares (8 pixels), p > 0.55 the first one only (4 pixels).
MASK_050 = np.zeros((6, 8), np.uint8)
MASK_050[1:3, 1:3] = 1
MASK_050[1:3, 5:7] = 1
MASK_055 = np.zeros((6, 8), np.uint8)
MASK_055[1:3, 1:3] = 1


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    """The dock on a viewer with the map "p" and a truth "truth"; the Threshold tab's notices
    are recorded in ``widget.notices``."""
    from napari_seg_eval._qt import threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    notices = []
    monkeypatch.setattr(threshold_panel, "show_info", notices.append)
    viewer = make_napari_viewer()
    viewer.add_image(two_squares_map(), name="p")
    viewer.add_labels(MASK_055.astype(np.int32), name="truth")
    widget = SegEvalWidget(viewer)  # the plugin's dock, built directly
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.notices = notices
    return viewer, widget


def move_threshold(qtbot, widget, value):
    """Move the threshold as the slider does, and wait for the live preview it asks for."""
    widget.set_threshold(value)
    settle_preview(qtbot, widget)


def preview_at_050(qtbot, widget):
    """The preview of "p" at 0.5, checked against the hand mask."""
    widget.set_probability_layer("p")
    move_threshold(qtbot, widget, 0.5)
    layer = widget.threshold_layer
    np.testing.assert_array_equal(layer.data, MASK_050)
    assert layer.name == "p thresholded"
    return layer


def edit(layer, how):
    """Edit ``layer`` as a user (or a script) would: returns the pixel changed and its value."""
    layer.brush_size = 1
    if how == "paint":
        layer.paint((4, 4), 9)  # a background pixel (p = 0.1) becomes 9
        return (4, 4), 9
    if how == "fill":
        layer.fill((4, 4), 9)  # the whole background is one region: it becomes 9
        return (4, 4), 9
    if how == "erase":
        layer.paint((1, 1), 0)  # a pixel of the first square (label 1) becomes background
        return (1, 1), 0
    if how == "data_setitem":
        layer.data_setitem((np.array([4]), np.array([4])), 9)
        return (4, 4), 9
    new = np.array(layer.data, copy=True)  # "assign": a script gives it new data
    new[4, 4] = 9
    layer.data = new
    return (4, 4), 9


@pytest.mark.parametrize("how", ["paint", "fill", "erase", "data_setitem", "assign"])
def test_edited_preview_is_kept_renamed_and_a_new_preview_is_made(qtbot, dock, how):
    viewer, widget = dock
    layer = preview_at_050(qtbot, widget)
    assert widget.notices == []
    pixel, value = edit(layer, how)
    expected = MASK_050.copy()
    if how == "fill":
        expected[MASK_050 == 0] = 9  # 48 - 8 = 40 background pixels, all 4-connected
    else:
        expected[pixel] = value
    # handed over at once: the user's layer, renamed, untagged, and said once
    assert layer.name == "p thresholded (edited)"
    assert TAG not in layer.metadata
    assert widget.threshold_layer is None
    assert len(widget.notices) == 1
    assert "'p thresholded'" in widget.notices[0]
    assert "'p thresholded (edited)'" in widget.notices[0]
    assert "next threshold change" in widget.notices[0]

    move_threshold(qtbot, widget, 0.55)
    np.testing.assert_array_equal(layer.data, expected)  # the user's pixels, all of them
    assert layer.data[pixel] == value
    new = widget.threshold_layer
    assert new is not layer and new.name == "p thresholded"
    assert new.metadata[TAG]["threshold"] == pytest.approx(0.55)
    np.testing.assert_array_equal(new.data, MASK_055)
    assert layer in viewer.layers and layer.name == "p thresholded (edited)"

    move_threshold(qtbot, widget, 0.5)  # the next previews write into the new layer only
    assert widget.threshold_layer is new
    np.testing.assert_array_equal(new.data, MASK_050)
    np.testing.assert_array_equal(layer.data, expected)
    assert len(widget.notices) == 1  # said once
    # still the user's to evaluate: listed as a prediction in Evaluate
    combo = widget.evaluate.prediction_combo
    assert "p thresholded (edited)" in [combo.itemText(i) for i in range(combo.count())]
    widget.set_prediction("p thresholded (edited)")
    assert combo.layer() is layer


def test_our_own_updates_are_no_edits(qtbot, dock):
    viewer, widget = dock
    layer = preview_at_050(qtbot, widget)
    n_layers = len(viewer.layers)
    # by hand: p > 0.3 is both squares (0.9, 0.52) as p > 0.5 is; p > 0.8 the first square
    # (0.9); p > 0.05 every pixel (the background is 0.1); p > 0.95 none
    hand = {0.3: MASK_050, 0.8: MASK_055, 0.05: np.ones((6, 8), np.uint8), 0.95: 0 * MASK_050}
    for threshold, mask in hand.items():
        move_threshold(qtbot, widget, threshold)
        assert widget.threshold_layer is layer
        np.testing.assert_array_equal(layer.data, mask)
    widget.output_combo.setCurrentText("instance")  # new options: another write of ours
    move_threshold(qtbot, widget, 0.5)
    np.testing.assert_array_equal(layer.data, MASK_050 * [[1, 1, 1, 1, 2, 2, 2, 2]])
    layer.refresh()
    widget.update_threshold_layer(wait=True)
    assert widget.threshold_layer is layer and layer.name == "p thresholded"
    assert layer.metadata[TAG]["role"] == "threshold"
    assert len(viewer.layers) == n_layers and widget.notices == []
    # the watch is still on: the user's first edit after all our writes hands it over
    layer.paint((4, 4), 9)
    assert layer.name == "p thresholded (edited)" and len(widget.notices) == 1


def test_a_second_edited_preview_gets_its_own_name(qtbot, dock):
    viewer, widget = dock
    first = preview_at_050(qtbot, widget)
    edit(first, "paint")
    move_threshold(qtbot, widget, 0.55)
    second = widget.threshold_layer
    second.brush_size = 1
    second.paint((5, 7), 7)  # background at 0.55 too
    # napari keeps names unique: the second edited preview is numbered
    assert first.name == "p thresholded (edited)"
    assert second.name == "p thresholded (edited) [1]" and TAG not in second.metadata
    move_threshold(qtbot, widget, 0.5)
    assert second.data[5, 7] == 7 and first.data[4, 4] == 9
    np.testing.assert_array_equal(widget.threshold_layer.data, MASK_050)
    assert len(widget.notices) == 2 and len(viewer.layers) == 5  # p, truth, 2 edited, preview


def test_a_copy_of_the_preview_is_the_users(qtbot, dock):
    """napari's Duplicate Layer copies the metadata, our tag too: the copy is the user's, and
    the preview never writes into it (once the original was handed over, the next preview was
    written into the copy: its 8 pixels of p > 0.5 became the 4 of p > 0.55)."""
    from napari.layers._layer_actions import _duplicate_layer

    viewer, widget = dock
    layer = preview_at_050(qtbot, widget)
    viewer.layers.selection = {layer}
    _duplicate_layer(viewer.layers)
    copy = viewer.layers[-1]
    edit(layer, "paint")  # the original handed over
    move_threshold(qtbot, widget, 0.55)
    preview = widget.threshold_layer
    assert preview is not copy and preview is not layer
    np.testing.assert_array_equal(preview.data, MASK_055)
    np.testing.assert_array_equal(copy.data, MASK_050)  # the copy as it was made
    assert TAG not in copy.metadata


def test_a_preview_finishing_mid_stroke_never_writes_over_the_first_dabs(qtbot, dock):
    """While the mouse is held napari stages the dabs and emits ``paint`` on release; a preview
    that finished meanwhile was written into the layer being painted, and the first dab was
    lost. The first dab hands the layer over now: the preview goes to a new layer."""
    _, widget = dock
    layer = preview_at_050(qtbot, widget)
    layer.brush_size = 1
    with layer.block_history():  # what napari's paint mouse binding does while dragging
        layer.paint((4, 0), 7)  # the first dab: background (p = 0.1) -> 7
        move_threshold(qtbot, widget, 0.55)  # a preview finishes mid-stroke
        layer.paint((4, 7), 7)
    assert layer.data[4, 0] == 7 and layer.data[4, 7] == 7
    assert layer.data[1, 5] == 1  # the 0.52 square as it was at 0.5, under the user's stroke
    assert widget.threshold_layer is not layer
    np.testing.assert_array_equal(widget.threshold_layer.data, MASK_055)
