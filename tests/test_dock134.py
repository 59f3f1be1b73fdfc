"""dock134 (review130, review125): the dock's low defects.

A Review selection read in a worker while the threshold moves is still drawn (the record is
replaced by a copy with another stale reason, not a new evaluation); removing Compare's layer
shows again the layers it hid (not those the user showed or hid since); in 3-D a row click
reads each box once; hovering the background of the compared layers shows nothing made up.
"""

import dataclasses
import threading
from collections import Counter

import numpy as np
import pytest
from qtpy.QtCore import QModelIndex

from napari_seg_eval._napari.layers import tag
from napari_seg_eval._qt import review as review_module
from napari_seg_eval._qt.review import same_evaluation
from napari_seg_eval._qt.widget import SegEvalWidget
from napari_seg_eval.evaluation import evaluate

pytest.importorskip("napari")


def select(review, kind, label):
    rows = review.rows()
    found = (rows["kind"] == kind).to_numpy() & (rows["label"] == label).to_numpy()
    review.select_row(int(np.flatnonzero(found)[0]))


# 1 -------------------------------------------------------------------------------------------
def test_same_evaluation_is_the_record_whatever_its_stale_reason():
    true = np.array([[1, 1, 0]])
    record = evaluate(true, np.array([[1, 0, 2]]), kind="instance")
    stale = dataclasses.replace(record, stale="the threshold is now 0.6; the evaluation used 0.5")
    assert same_evaluation(record, stale) and same_evaluation(stale, record)
    assert same_evaluation(stale, dataclasses.replace(stale, stale=""))
    # a new run of the very same arrays is another evaluation
    assert not same_evaluation(record, evaluate(record.truth, record.prediction, kind="instance"))
    assert not same_evaluation(record, None) and same_evaluation(None, None)


def map_case():
    """true 1: rows 2..5, columns 2..9 (32 px). A map of 0.9 on rows 2..5, columns 2..7 (24 px,
    inside true 1) and 0.1 elsewhere: at any threshold in 0.1..0.9 the prediction is that one
    object, matched to true 1 (IoU 24 / 32 = 0.75)."""
    true = np.zeros((20, 30), np.int32)
    true[2:6, 2:10] = 1
    prob = np.full(true.shape, 0.1, np.float32)
    prob[2:6, 2:8] = 0.9
    return true, prob


def held_rings(monkeypatch):
    """Every selection read in the worker, each held until the returned gate is set."""
    monkeypatch.setattr(review_module, "READ_NOW_PIXELS", 0)
    masks = review_module.selection_masks
    gate, started = threading.Event(), threading.Event()

    def held(*args, **kwargs):
        started.set()
        assert gate.wait(60)
        return masks(*args, **kwargs)

    monkeypatch.setattr(review_module, "selection_masks", held)
    return gate, started


def test_a_selection_read_while_the_threshold_moves_is_still_drawn(
    make_napari_viewer, qtbot, monkeypatch
):
    """Regression (review130 LOW-1): each threshold move replaced the record by a copy with
    the new stale reason, and the rings read meanwhile were dropped as another record's."""
    true, prob = map_case()
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob")
    viewer.add_labels(true, name="truth")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, area="right")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.set_threshold(0.5)
    widget.run_evaluation(wait=True)
    review = widget.review
    # The rings, painted 1 then 2 (the partner's, last). The union of both objects is true 1;
    # its ring is rows 1..6 x columns 1..10 less true 1: 6 * 10 - 32 = 28 px. The partner's
    # (rows 2..5 x columns 2..7) is rows 1..6 x columns 1..8 less true 1 there (rows 2..5 x
    # columns 2..8): 6 * 8 - 4 * 7 = 20 px, all on true 1's ring: 2 on 20 px, 1 on 28 - 20 = 8.
    expected = {1: 8, 2: 20}
    # moves: a first one (the record becomes stale), then one while it is stale already
    for moves in ((0.6,), (0.65,)):
        gate, started = held_rings(monkeypatch)
        select(review, "true", 1)
        assert started.wait(60) and review.selection_job.running
        for value in moves:
            widget.set_threshold(value)
        assert widget.evaluation.stale.startswith(f"the threshold is now {moves[-1]:g}")
        assert review.record is widget.evaluation  # the copy, reviewed
        gate.set()
        qtbot.waitUntil(lambda: not review.selection_job.running, timeout=60_000)
        ring = viewer.layers["truth review selection"]
        values, counts = np.unique(np.asarray(ring.data), return_counts=True)
        assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == {
            0: 20 * 30 - 28,
            **expected,
        }
        review.table.view.clearSelection()
        review.table.view.setCurrentIndex(QModelIndex())  # no row: the same one again next
        monkeypatch.undo()


def test_in_3d_a_selection_read_while_the_threshold_moves_goes_to_its_plane(
    make_napari_viewer, qtbot, monkeypatch
):
    """The same in a stack: the sliders still go to the plane found with the rings.

    true 1: plane 1, rows 2..9 x columns 2..9 (64 px), and rows 2..3 x columns 2..3 in planes
    2..6 (4 px each). Its centroid plane: (64 * 1 + 4 * (2 + 3 + 4 + 5 + 6)) / 84 = 144 / 84
    = 1.71, plane 2; most of its pixels are in plane 1. The map is 0.9 on it: the prediction
    is the same object (IoU 1)."""
    true = np.zeros((8, 12, 12), np.int32)
    true[1, 2:10, 2:10] = 1
    true[2:7, 2:4, 2:4] = 1
    prob = np.where(true > 0, 0.9, 0.1).astype(np.float32)
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob")
    viewer.add_labels(true, name="truth")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, area="right")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.set_threshold(0.5)
    widget.run_evaluation(wait=True)
    review = widget.review
    gate, started = held_rings(monkeypatch)
    select(review, "true", 1)
    assert started.wait(60)
    assert viewer.dims.current_step[0] == 2  # the centroid's plane, until the read is in
    widget.set_threshold(0.6)
    assert widget.evaluation.stale
    gate.set()
    qtbot.waitUntil(lambda: not review.selection_job.running, timeout=60_000)
    assert viewer.dims.current_step[0] == 1  # the plane where it has most pixels
    # The rings of the object and of its partner (the same pixels) are one ring, painted 2
    # (the partner's, last): in plane 1, 10 x 10 - 64 = 36 px; in planes 2..6, 4 x 4 - 4 = 12.
    rings = np.asarray(viewer.layers["truth review selection"].data)
    assert int((rings == 2).sum()) == 36 + 5 * 12 and int((rings[1] == 2).sum()) == 36
    assert not (rings == 1).any()


def test_a_selection_of_an_earlier_evaluation_is_still_dropped(
    make_napari_viewer, qtbot, monkeypatch
):
    """The rings of a row read while a new run replaced the evaluation are never drawn."""
    true, prob = map_case()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(np.where(prob > 0.5, 3, 0).astype(np.int32), name="pred")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, area="right")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    review = widget.review
    gate, started = held_rings(monkeypatch)
    select(review, "true", 1)
    assert started.wait(60)
    old = review.record
    review.set_record(dataclasses.replace(old, stale="the truth was edited"))
    fresh = evaluate(old.truth, old.prediction, kind="instance")
    review.set_evaluation(fresh, viewer.layers["truth"], viewer.layers["pred"])
    gate.set()
    qtbot.waitUntil(lambda: not review.selection_job.running, timeout=60_000)
    rings = [layer for layer in viewer.layers if layer.name == "truth review selection"]
    assert not any(np.asarray(ring.data).any() for ring in rings)


# 3 -------------------------------------------------------------------------------------------
# Six true objects of 3x3 pixels, in columns 6i .. 6i + 2 of rows 2-4 (as test_runs126).
TRUTH = np.zeros((8, 40), np.int32)
for _i in range(6):
    TRUTH[2:5, 6 * _i : 6 * _i + 3] = _i + 1


def copy_of(ids):
    """The true objects ``ids`` as predictions (id + 10), each exact."""
    return np.where(np.isin(TRUTH, ids), TRUTH + 10, 0).astype(np.int32)


def test_removing_the_comparison_shows_again_only_the_layers_compare_hid(make_napari_viewer, qtbot):
    """Regression (review130 LOW-3): the layers Compare hid stayed hidden after its layer was
    removed. Shown again: those it hid that the user did not show or hide since."""
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_labels(copy_of([1, 2]), name="model A")
    viewer.add_labels(copy_of([1, 3]), name="model B")
    viewer.add_labels(copy_of([4]), name="model C")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, area="right")
    widget.set_ground_truth("truth")
    widget.evaluate.kind_combo.setCurrentText("instance")
    for model in ("model A", "model B"):
        widget.set_prediction(model)
        with qtbot.waitSignal(widget.runs.intervals_done, timeout=60_000):
            widget.run_evaluation(wait=True)
    viewer.layers["model B"].visible = False  # hidden by the user before: not Compare's
    widget.runs.compare(*widget.runs.runs.names)
    layer = next(lay for lay in viewer.layers if tag(lay).get("role") == "comparison")
    assert not viewer.layers["truth"].visible and not viewer.layers["model A"].visible
    viewer.layers["model A"].visible = True  # the user looks at it, then hides it again
    viewer.layers["model A"].visible = False
    viewer.layers.remove(layer)
    assert viewer.layers["truth"].visible  # Compare hid it: back
    assert not viewer.layers["model A"].visible  # the user's last choice
    assert not viewer.layers["model B"].visible  # never Compare's
    assert viewer.layers["model C"].visible  # never hidden
    # a second comparison hides the truth again; the user's eye on it is theirs: not undone
    widget.runs.compare(*widget.runs.runs.names)
    layer = next(lay for lay in viewer.layers if tag(lay).get("role") == "comparison")
    assert not viewer.layers["truth"].visible
    viewer.layers["truth"].visible = True
    viewer.layers["truth"].visible = False
    viewer.layers.remove(layer)
    assert not viewer.layers["truth"].visible


# 4 -------------------------------------------------------------------------------------------
def merge_3d():
    """A 13 x 40 x 60 stack (test_review125's). true 1: planes 1..3; true 2: planes 8..10;
    pred 10 holds both and a bridge in planes 4..7: a merge, matching neither (IoU < 0.5)."""
    true = np.zeros((13, 40, 60), np.int32)
    true[1:4, 5:15, 5:15] = 1
    true[8:11, 20:30, 40:50] = 2
    true[9, 19:31, 39:51] = 2
    pred = np.where(true > 0, 10, 0).astype(np.int32)
    pred[4:8, 12:16, 20:24] = 10
    return true, pred


def test_in_3d_a_row_click_reads_each_box_once(make_napari_viewer, monkeypatch):
    """review125: the rings and the plane read the object's and partners' boxes each; now the
    reads are shared: each (image, box) read once per click."""
    true, pred = merge_3d()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, area="right")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    review = widget.review
    record = review.record
    reads = Counter()
    read_box = review_module._read_box

    def counted(image, box):
        side = "true" if image is record.truth else "pred" if image is record.prediction else "?"
        reads[(side, tuple((part.start, part.stop) for part in box))] += 1
        return read_box(image, box)

    monkeypatch.setattr(review_module, "_read_box", counted)
    # pred 10 (the merge): its partner and the other true object of the merge are read too.
    # Boxes: pred 10 planes 1..10, rows 5..30, columns 5..50; true 1 planes 1..3, rows 5..14,
    # columns 5..14; true 2 planes 8..10, rows 19..30, columns 39..50.
    select(review, "pred", 10)
    assert viewer.dims.current_step[0] == 9  # the plane was found (test_review125's)
    boxes = {
        ("pred", ((1, 11), (5, 31), (5, 51))),
        ("true", ((1, 4), (5, 15), (5, 15))),
        ("true", ((8, 11), (19, 31), (39, 51))),
    }
    assert set(reads) == boxes
    assert all(count == 1 for count in reads.values()), reads


def test_hovering_the_background_of_the_compared_layers_adds_nothing(make_napari_viewer):
    """review125: over the background (0) the truth and prediction layers said napari's
    "[No Properties]" once the review columns were written: 0 has a row now, holding none."""
    true, prob = map_case()
    pred = np.where(prob > 0.5, 3, 0).astype(np.int32)
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, area="right")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    for name in ("truth", "pred"):
        layer = viewer.layers[name]
        assert layer.get_status((0, 0), world=True)["coordinates"] == "[0, 0]: 0"
    # an object still says its review columns: pred 3 matched to true 1 (IoU 0.75)
    status = viewer.layers["pred"].get_status((3, 3), world=True)["coordinates"]
    assert status.startswith("[3, 3]: 3; ") and "seg_eval_status: TP" in status
    assert "seg_eval_partner: 1" in status and "seg_eval_iou: 0.75" in status
