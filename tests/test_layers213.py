"""layers213: an annotator's long session (trial 209).

1. An undo or a redo of an edit of an input (Ctrl+Z: ``layer.undo()``) marks the record out of
   date; a refresh that changes no data (a move of the dims slider, ``refresh()``) does not.
2. A result layer converted to another layer type (napari's Convert to Image) is the user's,
   as a renamed one is: never written, the next result makes a new layer.
3. A result layer updated in place takes its source's scale and translate again.
4. A record with boundary metrics is out of date once the truth's scale changes.
"""

import numpy as np
import pytest

pytest.importorskip("napari")

from napari.components import ViewerModel
from napari.layers import Image, Labels
from napari.layers._layer_actions import _convert

from napari_seg_eval._napari.layers import is_ours, put_labels, result_layer, tag
from widget_helpers import settle_preview, two_squares_map

#: Two 3 x 3 squares on an 8 x 8 background: a label image.
SQUARES = np.zeros((8, 8), np.int32)
SQUARES[1:4, 1:4], SQUARES[5:8, 5:8] = 1, 2


def make_dock(viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return widget


def counts(widget, threshold=0.5):
    """TP, FP, FN of the current record at the IoU ``threshold``."""
    table = widget.evaluation.tables["per_threshold"]
    row = table[np.isclose(table["threshold"], threshold)].iloc[0]
    return int(row["tp"]), int(row["fp"]), int(row["fn"])


def convert(viewer, layer, kind):
    """napari's Convert to ``kind`` (the layer list's context menu) of ``layer``."""
    viewer.layers.selection = {layer}
    _convert(viewer.layers, kind)
    return viewer.layers[layer.name]


# 1. Undo and redo are edits; a refresh is not --------------------------------------------
def test_an_undo_or_a_redo_is_an_edit_a_refresh_is_not(make_napari_viewer):
    """Two planes of the two squares: each square is one 3-D object, two planes deep."""
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    truth = viewer.add_labels(np.stack([SQUARES, SQUARES]), name="truth")
    prediction = viewer.add_labels(np.stack([SQUARES, SQUARES]), name="prediction")
    widget.set_ground_truth("truth")
    widget.set_prediction("prediction")
    prediction.n_edit_dimensions = 3
    prediction.fill((0, 6, 6), 0)  # an edit napari records for undoing: square 2 erased
    assert not (prediction.data == 2).any()
    widget.run_evaluation(wait=True)
    assert counts(widget) == (1, 0, 1)  # square 1 matched, square 2 missed
    assert widget.evaluation.stale == ""

    emitted = []  # napari's set_data, emitted by a refresh as by an undo
    for layer in (truth, prediction):
        layer.events.set_data.connect(emitted.append)
    viewer.dims.set_current_step(0, 1)  # the dims slider
    prediction.refresh()
    truth.refresh()
    assert emitted
    assert widget.evaluation.stale == ""  # no data changed

    prediction.undo()  # Ctrl+Z: square 2 is back
    assert int(prediction.data[1, 6, 6]) == 2
    assert widget.evaluation.stale == "'prediction' was edited"
    assert not widget.review.stale_label.isHidden()

    widget.run_evaluation(wait=True)
    assert counts(widget) == (2, 0, 0)
    prediction.redo()  # Ctrl+Shift+Z: erased again
    assert int(prediction.data[1, 6, 6]) == 0
    assert widget.evaluation.stale == "'prediction' was edited"


# 2. A converted result layer is the user's ------------------------------------------------
def test_a_result_layer_converted_to_another_type_is_the_users():
    """The rule itself, on a plain viewer: the converted layer keeps our tag, name and role,
    and is never written; the next result is a new Labels layer."""
    viewer = ViewerModel()
    source = viewer.add_labels(SQUARES.copy(), name="truth")
    put = {"name": "truth errors", "role": "errors", "source": source, "info": {}}
    ours = put_labels(viewer, SQUARES.copy(), **put)
    converted = convert(viewer, ours, "image")
    assert isinstance(converted, Image) and tag(converted).get("role") == "errors"
    converted.data = np.zeros((8, 8), np.int32)  # the user's Image now
    assert result_layer(viewer, source, "errors") is None
    new = put_labels(viewer, SQUARES.copy(), **put)
    assert isinstance(new, Labels) and new is not converted and is_ours(new, "errors")
    assert not converted.data.any() and converted in viewer.layers


def test_show_errors_after_the_errors_layer_was_converted(make_napari_viewer, errors):
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    viewer.add_labels(SQUARES.copy(), name="truth")
    prediction = SQUARES.copy()
    prediction[prediction == 2] = 0  # square 2 missed
    viewer.add_labels(prediction, name="prediction")
    widget.set_ground_truth("truth")
    widget.set_prediction("prediction")
    widget.run_evaluation(wait=True)
    review = widget.review
    shown = review.show_errors(wait=True)
    converted = convert(viewer, shown, "image")
    converted.data = np.zeros((8, 8), np.int32)  # the user works on it
    review.iou_spin.setValue(0.7)
    again = review.show_errors(wait=True)
    assert errors == []
    assert isinstance(again, Labels) and again is not converted
    assert converted in viewer.layers and not converted.data.any()
    assert tag(converted) == {}  # untagged: nothing of ours takes it for a result again
    # the new errors layer: the missed square 2 painted, the background not
    assert (np.asarray(again.data)[SQUARES == 2] != 0).all()
    assert (np.asarray(again.data)[SQUARES == 0] == 0).all()


def test_the_preview_after_it_was_converted(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    viewer.add_image(two_squares_map(), name="map")
    settle_preview(qtbot, widget)
    preview = widget.update_threshold_layer(wait=True)
    converted = convert(viewer, preview, "image")
    assert widget.threshold_layer is None  # the user's Image is no preview of ours
    converted.data = np.zeros((6, 8), np.uint8)
    widget.set_threshold(0.55)
    settle_preview(qtbot, widget)
    again = widget.update_threshold_layer(wait=True)
    assert isinstance(again, Labels) and again is not converted
    assert converted in viewer.layers and not converted.data.any()
    assert int(np.count_nonzero(again.data)) == 4  # p > 0.55: the first 2 x 2 square only


# 3. Results follow the source's scale and translate ---------------------------------------
def test_result_layers_updated_in_place_follow_scale_and_translate(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    truth = viewer.add_labels(SQUARES.copy(), name="truth")
    viewer.add_labels(SQUARES.copy(), name="prediction")
    widget.set_ground_truth("truth")
    widget.set_prediction("prediction")
    widget.run_evaluation(wait=True)
    shown = widget.review.show_errors(wait=True)
    truth.translate, truth.scale = (40, 25), (2, 2)
    again = widget.review.show_errors(wait=True)
    assert again is shown
    assert tuple(again.translate) == (40, 25) and tuple(again.scale) == (2, 2)

    probability = viewer.add_image(two_squares_map(), name="map")
    widget.set_probability_layer(probability)
    settle_preview(qtbot, widget)
    preview = widget.update_threshold_layer(wait=True)
    probability.scale, probability.translate = (0.5, 0.5), (10, 10)
    widget.set_threshold(0.6)
    settle_preview(qtbot, widget)
    moved = widget.update_threshold_layer(wait=True)
    assert moved is preview
    assert tuple(moved.scale) == (0.5, 0.5) and tuple(moved.translate) == (10, 10)


# 4. Boundary distances and the truth's scale ----------------------------------------------
def test_a_record_with_boundary_metrics_is_stale_once_the_truths_scale_changes(
    make_napari_viewer,
):
    """A 3 x 3 square and the same square one column to the right: HD95 = 1 pixel (by hand:
    4 of the 8 contour points of each lie on the other's contour, 4 are 1 pixel away, and the
    95th percentile of (0, 0, 0, 0, 1, 1, 1, 1) is 1 either way); at scale 0.5, 0.5."""
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    square = np.zeros((8, 8), np.int32)
    square[1:4, 1:4] = 1
    truth = viewer.add_labels(square, name="truth")
    prediction = viewer.add_labels(np.roll(square, 1, axis=1), name="prediction")
    widget.set_ground_truth("truth")
    widget.set_prediction("prediction")
    widget.evaluate.set_boundary(True, tolerance=1.0)
    widget.run_evaluation(wait=True)
    assert widget.evaluation.tables["boundary_per_class"]["hd95"].tolist()[-1] == 1.0
    truth.scale = prediction.scale = (0.5, 0.5)
    assert widget.evaluation.stale == (
        "'truth' scale changed: boundary distances were measured at the old scale"
    )
    widget.run_evaluation(wait=True)
    assert widget.evaluation.tables["boundary_per_class"]["hd95"].tolist()[-1] == 0.5

    widget.evaluate.set_boundary(False)
    widget.run_evaluation(wait=True)
    truth.scale = prediction.scale = (1, 1)
    assert widget.evaluation.stale == ""  # no distances measured


def test_a_scale_change_while_a_boundary_run_reads_the_truth(make_napari_viewer, qtbot):
    """The run reads the truth's scale when it starts; a change before its results are shown
    (the results come back on the main thread, after this test's change) makes them stale."""
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    truth = viewer.add_labels(SQUARES.copy(), name="truth")
    viewer.add_labels(SQUARES.copy(), name="prediction")
    widget.set_ground_truth("truth")
    widget.set_prediction("prediction")
    widget.evaluate.set_boundary(True, tolerance=1.0)
    with qtbot.waitSignal(widget.evaluate.evaluated, timeout=60_000):
        widget.run_evaluation()
        truth.scale = (2, 2)
    assert widget.evaluation.settings.spacing == (1.0, 1.0)
    assert widget.evaluation.stale == (
        "'truth' scale changed while the evaluation ran: boundary distances were measured at "
        "the old scale"
    )
