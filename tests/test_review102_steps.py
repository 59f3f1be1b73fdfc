"""Review on a whole slide and in 3-D (trial 98, findings 3 and 7).

A step must not wait for dask's shared threads (busy with background work on a slide) nor
compare every row of the table; in napari's 3-D view the selected object is drawn over the
others, and the tab says so, without touching the user's layers.
"""

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest

from napari_seg_eval._qt import review as review_module
from napari_seg_eval._qt.widget import SegEvalWidget
from napari_seg_eval.core.review import measure_both
from napari_seg_eval.evaluation import evaluate


def dock(viewer):
    """The dock, built as napari's plugin menu builds it."""
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation", area="right")
    return widget


def ring(shape, *box):
    """The pixels just outside a box-shaped object in each plane of the last two axes (one
    more row and column on each side, within the image), the object itself left out."""
    outline = np.zeros(shape, np.uint8)
    lead, (rows, columns) = box[:-2], box[-2:]
    grown = (
        slice(max(rows.start - 1, 0), rows.stop + 1),
        slice(max(columns.start - 1, 0), columns.stop + 1),
    )
    outline[(*lead, *grown)] = 1
    outline[box] = 0
    return outline


def pair_2d():
    """true 1 (rows 2..5, columns 2..9) matched by pred 3 (rows 2..5, columns 2..7, inside
    it: IoU 24 / 32 = 0.75); true 2 missed; pred 7 false."""
    true = np.zeros((20, 30), np.int32)
    pred = np.zeros_like(true)
    true[2:6, 2:10] = 1
    pred[2:6, 2:8] = 3
    true[12:16, 20:24] = 2
    pred[14:18, 2:6] = 7
    return true, pred


def row_of(review, kind, label):
    rows = review.rows()
    found = (rows["kind"] == kind).to_numpy() & (rows["label"] == label).to_numpy()
    return int(np.flatnonzero(found)[0])


def expected_rings_of_true_1():
    """The rings of true 1 and its partner pred 3, in the rings' box: the union of the two
    boxes grown by one pixel, rows 1..6 and columns 1..10 (6 x 10), origin (1, 1).

    True 1's ring is that box less the object (rows 1..4, columns 1..8 of the box):
    60 - 32 = 28 pixels. Pred 3 (box columns 1..6) is ringed in rows 0..5, columns 0..7 of the
    box, on no object: its top and bottom rows (8 + 8) and its left column (rows 1..4: 4), 20
    pixels painted 2 over true 1's ring; 8 stay 1 (columns 8..9 of the top and bottom rows, and
    the right column rows 1..4)."""
    expected = ring((6, 10), slice(1, 5), slice(1, 9))
    partner = ring((6, 10), slice(1, 5), slice(1, 7)) == 1
    expected[partner & (expected == 1)] = 2
    assert (expected == 2).sum() == 20 and (expected == 1).sum() == 8
    return expected


@pytest.mark.parametrize("in_worker", [False, True])
def test_a_step_of_a_chunked_record_never_waits_for_daskss_shared_threads(
    qtbot, make_napari_viewer, monkeypatch, in_worker
):
    """The trial: on a slide, each step read the object's box with dask's threaded scheduler
    on the main thread, queued behind the background work (0.3 to 27 s a step). Here every
    thread dask's threaded scheduler may use is held by a task waiting on a gate: the step
    reads its box anyway (now, or in a worker when the chunks are large) and the ring is drawn
    while the gate is still closed."""
    if in_worker:  # every read counts as large: the worker's path
        monkeypatch.setattr(review_module, "READ_NOW_PIXELS", 0, raising=False)
    true, pred = pair_2d()
    lazy_true, lazy_pred = da.from_array(true, chunks=5), da.from_array(pred, chunks=5)
    viewer = make_napari_viewer()
    true_layer = viewer.add_labels(true, name="truth")
    pred_layer = viewer.add_labels(pred, name="pred")
    record = evaluate(lazy_true, lazy_pred, kind="instance")
    record = dataclasses.replace(record, measurements=measure_both(lazy_true, lazy_pred))
    record = dataclasses.replace(
        record, tables={**record.tables, "per_object": record.objects_at(0.5)}
    )
    widget = dock(viewer)
    review = widget.review
    review.set_evaluation(record, true_layer, pred_layer)
    review.filter_combo.setCurrentText("matched true objects (TP)")  # true 1 alone
    assert review.rows()["label"].tolist() == [1]

    gate, held = threading.Event(), threading.Event()
    ended = []

    def background():
        held.set()
        # the bound only turns a step that waits for this thread into a failure, not a hang
        gate.wait(timeout=30)
        ended.append(gate.is_set())

    pool = ThreadPoolExecutor(1)
    pool.submit(background)
    held.wait()
    try:
        with dask.config.set(scheduler="threads", pool=pool):
            review.step(1)
            qtbot.waitUntil(
                lambda: (
                    "truth review selection" in viewer.layers
                    and (np.asarray(viewer.layers["truth review selection"].data) != 0).any()
                ),
                timeout=20_000,
            )
            assert not ended  # drawn while the shared thread was still held
    finally:
        gate.set()
        pool.shutdown()
    selection = viewer.layers["truth review selection"]
    np.testing.assert_array_equal(selection.data, expected_rings_of_true_1())
    np.testing.assert_allclose(selection.translate, (1, 1))  # the box's pixel 0 is (1, 1)
    assert true_layer.selected_label == 1


class Unscannable(pd.DataFrame):
    """Rows whose columns may not be read: a step that compares a column of every row (the
    trial: 3.2 M string comparisons a step) fails."""

    def __getitem__(self, key):
        raise AssertionError(f"a step read the column {key!r} of every row")


def test_a_step_looks_its_object_up_without_scanning_the_rows(make_napari_viewer):
    true, pred = pair_2d()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = dock(viewer)
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    review = widget.review
    start = row_of(review, "true", 1) - 1  # the step lands on true 1
    if start >= 0:
        review.select_row(start)
    review.objects = Unscannable(review.objects)
    review.step(1)
    assert review.table.view.currentIndex().row() == start + 1
    # true 1 and its partner ringed, in the whole image (a numpy record)
    expected = np.zeros(true.shape, np.uint8)
    expected[1:7, 1:11] = expected_rings_of_true_1()
    np.testing.assert_array_equal(viewer.layers["truth review selection"].data, expected)
    assert viewer.layers["truth"].selected_label == 1


def volume():
    """A 6 x 12 x 12 stack: true 4 (planes 2..3, rows 3..5, columns 3..5: 18 voxels), its
    partner pred 8 (columns 3..4: 12 voxels, IoU 12 / 18), and true 1, a slab over planes 0..1
    in front of both."""
    true = np.zeros((6, 12, 12), np.uint16)
    pred = np.zeros_like(true)
    true[0:2] = 1
    pred[0:2] = 1
    true[2:4, 3:6, 3:6] = 4
    pred[2:4, 3:6, 3:5] = 8
    return true, pred


def test_in_3d_the_selected_object_is_drawn_over_the_others_and_the_tab_says_so(
    make_napari_viewer,
):
    true, pred = volume()
    viewer = make_napari_viewer()
    true_layer = viewer.add_labels(true, name="truth")
    pred_layer = viewer.add_labels(pred, name="pred")
    widget = dock(viewer)
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    review = widget.review
    review.show_errors(wait=True)  # an error layer on top of the user's layers, as in the trial
    settings = {
        name: (layer.visible, layer.opacity, str(layer.blending), layer.contour)
        for name, layer in (("truth", true_layer), ("pred", pred_layer))
    }
    viewer.dims.ndisplay = 3
    review.select_row(row_of(review, "true", 4))
    selection = viewer.layers["truth review selection"]
    # 3-D: the object (1) and its partner (2, painted last) solid, not ringed
    expected = np.zeros(true.shape, np.uint8)
    expected[true == 4] = 1
    expected[pred == 8] = 2
    np.testing.assert_array_equal(selection.data, expected)
    assert (selection.data == 1).sum() == 18 - 12 and (selection.data == 2).sum() == 12
    # drawn without depth test, above every other layer: the slab in front cannot hide it
    assert str(selection.blending) == "translucent_no_depth"
    assert viewer.layers.index(selection) == len(viewer.layers) - 1
    note = review_module.DEPTH_NOTE
    assert not review.depth_label.isHidden() and review.depth_label.text() == note
    assert "Switch to 2-D" in note

    viewer.dims.ndisplay = 2  # back in 2-D: rings in each of its planes, depth tested again
    ringed = ring(true.shape, slice(2, 4), slice(3, 6), slice(3, 6))
    partner = ring(true.shape, slice(2, 4), slice(3, 6), slice(3, 5)) == 1
    ringed[partner & (ringed == 1)] = 2
    # per plane: true 4's 5 x 5 less 3 x 3 = 16; pred 8's top and bottom rows (4 + 4) and
    # left column (3) are 2, the other 5 stay 1
    assert (ringed[2] == 2).sum() == 11 and (ringed[2] == 1).sum() == 5
    np.testing.assert_array_equal(selection.data, ringed)
    assert str(selection.blending) == "translucent"
    assert review.depth_label.isHidden()
    # the user's layers are as they were (the error layer hid them; nothing else changed)
    after = {
        name: (layer.visible, layer.opacity, str(layer.blending), layer.contour)
        for name, layer in (("truth", true_layer), ("pred", pred_layer))
    }
    assert after == settings
