"""A ring still being read when the selection moves on without a new ring (a label picked in
the viewer) is never painted late (review105)."""

import dataclasses
import threading

import dask.array as da
import numpy as np

from napari_seg_eval._qt import review as review_module
from napari_seg_eval._qt.widget import SegEvalWidget
from napari_seg_eval.core.review import measure_both
from napari_seg_eval.evaluation import evaluate


def test_a_ring_read_for_a_row_left_is_not_painted(make_napari_viewer, qtbot, monkeypatch):
    true = np.zeros((20, 30), np.int32)
    pred = np.zeros_like(true)
    true[2:6, 2:10] = 1
    pred[2:6, 2:8] = 3
    pred[14:18, 2:6] = 7  # a false object
    lazy_true, lazy_pred = da.from_array(true, chunks=5), da.from_array(pred, chunks=5)
    viewer = make_napari_viewer()
    true_layer = viewer.add_labels(true, name="truth")
    pred_layer = viewer.add_labels(pred, name="pred")
    record = evaluate(lazy_true, lazy_pred, kind="instance")
    record = dataclasses.replace(record, measurements=measure_both(lazy_true, lazy_pred))
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, area="right")
    review = widget.review
    review.set_evaluation(record, true_layer, pred_layer)
    monkeypatch.setattr(review_module, "READ_NOW_PIXELS", 0)  # every ring read in the worker
    gate, started = threading.Event(), threading.Event()
    masks = review_module.selection_masks

    def held(*args, **kwargs):  # the read of true 1's ring waits for the gate
        started.set()
        assert gate.wait(60)
        return masks(*args, **kwargs)

    monkeypatch.setattr(review_module, "selection_masks", held)
    rows = review.rows()
    first = np.flatnonzero((rows["kind"] == "true").to_numpy() & (rows["label"] == 1).to_numpy())
    review.select_row(int(first[0]))
    assert started.wait(60)
    pred_layer.selected_label = 7  # the user picks pred 7 in the viewer: its row is selected
    gate.set()
    qtbot.waitUntil(lambda: not review.selection_job.running, timeout=60_000)
    rings = [layer for layer in viewer.layers if layer.name == "truth review selection"]
    assert not any(np.asarray(ring.data).any() for ring in rings)  # true 1's never drawn
