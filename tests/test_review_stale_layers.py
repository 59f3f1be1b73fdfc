"""Review: the layers of an earlier evaluation are hidden, and the selection rings leave the
selected object and its partner whole."""

import numpy as np
import pytest

from napari_seg_eval._qt.review import ring_around


def two_truths():
    """Truth A: A1 (rows 2..5, columns 2..5, no prediction: missed) and A2 (rows 10..13,
    columns 10..13); truth B: only A2. The model: 7 on A2 exactly, 8 (rows 15..17, columns
    2..4) on no true object."""
    truth_a = np.zeros((20, 20), np.int32)
    truth_a[2:6, 2:6] = 1
    truth_a[10:14, 10:14] = 2
    truth_b = np.zeros_like(truth_a)
    truth_b[10:14, 10:14] = 2
    model = np.zeros_like(truth_a)
    model[10:14, 10:14] = 7
    model[15:18, 2:5] = 8
    return truth_a, truth_b, model


def dock(make_napari_viewer):
    truth_a, truth_b, model = two_truths()
    viewer = make_napari_viewer()
    viewer.add_labels(truth_a, name="truth A")
    viewer.add_labels(truth_b, name="truth B")
    viewer.add_labels(model, name="model")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_prediction("model")
    return viewer, widget


def run(widget, truth):
    widget.set_ground_truth(truth)
    widget.run_evaluation(wait=True)


def select_missed(review):
    review.filter_combo.setCurrentText("missed true objects (FN)")
    review.step(1)


def shown(viewer):
    return [layer.name for layer in viewer.layers if layer.visible]


def test_a_new_truth_hides_the_earlier_errors_and_ring(make_napari_viewer):
    viewer, widget = dock(make_napari_viewer)
    review = widget.review
    run(widget, "truth A")
    review.show_errors(wait=True)
    select_missed(review)  # A1: ringed by 6 * 6 - 16 = 20 pixels
    assert (np.asarray(viewer.layers["truth A review selection"].data) != 0).sum() == 20
    assert shown(viewer) == ["truth B", "truth A errors", "truth A review selection"]
    run(widget, "truth B")
    # the old errors and ring hidden at once (still in the layer list, to be shown again);
    # the model, hidden by the old error layer, shown again: the canvas shows this run's
    assert not viewer.layers["truth A errors"].visible
    assert not viewer.layers["truth A review selection"].visible
    assert shown(viewer) == ["truth B", "model"]
    review.show_errors(wait=True)
    assert shown(viewer) == ["truth B errors"]
    # truth B has no object where A1 was: nothing of "missed" is seen there any more
    seen = np.zeros((20, 20), bool)
    for layer in viewer.layers:
        if layer.visible:
            seen |= np.asarray(layer.data) != 0
    assert not seen[2:6, 2:6].any()
    # what is seen: A2 matched (4 * 4 = 16) and 8 spurious (3 * 3 = 9)
    assert seen.sum() == 16 + 9


def test_renamed_or_painted_old_layers_are_left_alone(make_napari_viewer):
    viewer, widget = dock(make_napari_viewer)
    review = widget.review
    run(widget, "truth A")
    review.show_errors(wait=True)
    select_missed(review)
    viewer.layers["truth A errors"].name = "errors of A, kept"
    notes = viewer.add_labels(np.zeros((20, 20), np.int32), name="truth A review selection 2")
    run(widget, "truth B")
    assert viewer.layers["errors of A, kept"].visible  # renamed: the user's now
    assert notes.visible  # the user's layer, whatever its name
    assert not viewer.layers["truth A review selection"].visible  # ours, as we made it

    run(widget, "truth A")
    review.show_errors(wait=True)
    select_missed(review)
    ring = viewer.layers["truth A review selection"]
    assert ring.visible  # ringing this run's object again
    ring.paint((0, 0), 1)  # the user draws on it
    run(widget, "truth B")
    assert ring.visible  # painted on: left as it is
    assert viewer.layers["errors of A, kept"].visible


def test_the_same_truth_again_hides_the_old_ring_until_a_row_is_chosen(make_napari_viewer):
    viewer, widget = dock(make_napari_viewer)
    review = widget.review
    run(widget, "truth A")
    review.show_errors(wait=True)
    select_missed(review)
    ring = viewer.layers["truth A review selection"]
    run(widget, "truth A")
    assert not ring.visible  # the ring of the earlier run's row
    assert viewer.layers["truth A errors"].visible  # updated for this run: kept shown
    select_missed(review)
    assert ring.visible
    assert (np.asarray(ring.data) != 0).sum() == 20  # A1's ring again: 6 * 6 - 16


def test_an_earlier_truth_again_shows_its_error_layer_again(qtbot, make_napari_viewer):
    viewer, widget = dock(make_napari_viewer)
    review = widget.review
    run(widget, "truth A")
    review.show_errors(wait=True)
    run(widget, "truth B")
    review.show_errors(wait=True)
    errors_a = viewer.layers["truth A errors"]
    assert not errors_a.visible
    run(widget, "truth A")  # its error layer is updated (in a worker) and shown again
    qtbot.waitUntil(lambda: errors_a.visible, timeout=20_000)
    assert not viewer.layers["truth B errors"].visible
    assert shown(viewer) == ["truth A errors"]


def split_and_overlap():
    """True 1 (rows 2..7, columns 2..13, 6 x 12) split into predictions 11, 12, 17 (columns
    2..5, 6..9, 10..13: IoU 24 / 72 each); true 5 (rows 20..25, columns 20..25) and
    prediction 15 (columns 22..27): overlap 6 * 4 = 24 of a union of 48."""
    true = np.zeros((40, 40), np.int32)
    pred = np.zeros_like(true)
    true[2:8, 2:14] = 1
    pred[2:8, 2:6], pred[2:8, 6:10], pred[2:8, 10:14] = 11, 12, 17
    true[20:26, 20:26] = 5
    pred[20:26, 22:28] = 15
    return true, pred


def select_true(review, label):
    rows = review.rows()
    review.select_row(int(np.flatnonzero((rows["kind"] == "true") & (rows["label"] == label))[0]))


def test_the_rings_never_cover_the_object_or_its_partner(make_napari_viewer):
    true, pred = split_and_overlap()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="model")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("model")
    widget.run_evaluation(wait=True)
    review = widget.review
    select_true(review, 1)  # its partner: fragment 11 (IoU 1/3, ties: the smallest id)
    selection = np.asarray(viewer.layers["truth review selection"].data)
    # 11 lies inside true 1: one outline just outside true 1, rows 1..8 and columns 1..14,
    # 8 * 14 - 6 * 12 = 40 pixels; where it borders 11 too (columns 1..6) it is 11's (2,
    # painted last), the rest true 1's (1); none across true 1 at column 6
    expected = np.zeros_like(true)
    expected[1:9, 1:15] = 1
    expected[1:9, 1:7] = 2
    expected[2:8, 2:14] = 0
    np.testing.assert_array_equal(selection, expected)
    assert (selection != 0).sum() == 40

    select_true(review, 5)  # its partner: prediction 15, overlapping it by half
    selection = np.asarray(viewer.layers["truth review selection"].data)
    # around the union of the two (rows 20..25, columns 20..27): rows 19..26 and columns
    # 19..28, 8 * 10 - 6 * 8 = 32 pixels; next to 15 (columns 21..28) 15's, columns 19..20
    # true 5's; none on either object
    expected = np.zeros_like(true)
    expected[19:27, 19:29] = 1
    expected[19:27, 21:29] = 2
    expected[20:26, 20:28] = 0
    np.testing.assert_array_equal(selection, expected)
    assert not selection[(true == 5) | (pred == 15)].any()
    assert (selection != 0).sum() == 32


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_ring_around_leaves_every_object_whole(order):
    # a 3-D stack, drawn in the planes of axes 1 and 2: object a (plane 1, rows 1..2,
    # columns 1..4) and b (planes 1..2, rows 2..3, columns 3..5) overlap at (1, 2, 3..4)
    a = (np.ones((1, 2, 4), bool), (slice(1, 2), slice(1, 3), slice(1, 5)))
    b = (np.ones((2, 2, 3), bool), (slice(1, 3), slice(2, 4), slice(3, 6)))
    objects = [(a, b)[i] for i in order]
    box, rings = ring_around(objects, (4, 6, 8), (1, 2))
    # the union of the boxes, planes 1..2 (not grown: not a drawn axis), rows 0..4, columns
    # 0..6
    assert box == (slice(1, 3), slice(0, 5), slice(0, 7))
    on = np.zeros((2, 5, 7), bool)
    on[0, 1:3, 1:5] = True  # a
    on[:, 2:4, 3:6] = True  # b
    ring_a = np.zeros_like(on)
    ring_a[0, 0:4, 0:6] = True  # a's 3 x 3 neighbourhood in its own plane only
    ring_b = np.zeros_like(on)
    ring_b[:, 1:5, 2:7] = True
    for ring, expected in zip(rings, ((ring_a, ring_b)[i] for i in order), strict=True):
        np.testing.assert_array_equal(ring, expected & ~on)
        assert not (ring & on).any()
