"""The dock and a time axis: a time-lapse is evaluated frame by frame when its axis is named as
time or its file's axes say so, and the status says which assumption a run made.

One track, hand-made: true id 1 is the same 6 x 6 square in frames 0..4 (36 pixels a frame);
predicted id 7 equals it in frames 0..3 and lies elsewhere (no overlap) in frame 4.

- Frame by frame (each frame's objects matched on their own, counts pooled over frames):
  5 true and 5 predicted objects; frames 0..3 a match of IoU 1, frame 4 one missed and one
  false. At every IoU threshold TP 4, FP 1, FN 1: accuracy 4 / (4 + 1 + 1) = 2/3, so
  AP (DSB), the mean over the thresholds, is 2/3.
- As one volume: 1 true object (5 * 36 = 180 pixels) and 1 predicted (180), overlapping in
  4 * 36 = 144: IoU 144 / (180 + 180 - 144) = 2/3, a match at 0.50, 0.55, 0.60, 0.65 only:
  AP (DSB) 4 / 10 = 0.4.
"""

import numpy as np
import pytest

from napari_seg_eval._qt import evaluate_panel

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")

FRAMES_AP = 2 / 3  # frame by frame: 4 / (4 + 1 + 1) at every threshold
VOLUME_AP = 0.4  # one volume: IoU 2/3 matches at 4 of the 10 thresholds


def track():
    true = np.zeros((5, 16, 16), np.uint16)
    true[:, 2:8, 2:8] = 1
    pred = np.zeros_like(true)
    pred[:4, 2:8, 2:8] = 7
    pred[4, 9:15, 9:15] = 7  # frame 4: moved away, no overlap
    return true, pred


def open_dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return widget


def dsb_summary(widget):
    widget.evaluate.set_preset("dsb2018")
    tables = widget.run_evaluation(wait=True)
    return tables["summary"].set_index(["evaluation", "metric"])["value"]


def test_a_tyx_tiff_opened_in_napari_is_evaluated_frame_by_frame(
    make_napari_viewer, tmp_path, monkeypatch
):
    said = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    true, pred = track()
    paths = {}
    for name, data in (("truth", true), ("model", pred)):
        paths[name] = tmp_path / f"{name}_tyx.tif"
        tifffile.imwrite(paths[name], data, imagej=True, metadata={"axes": "TYX"})
    viewer = make_napari_viewer()
    for name in ("truth", "model"):  # as File > Open does, as labels
        viewer.open(paths[name], plugin="napari", layer_type="labels")
    assert tuple(viewer.layers["truth_tyx"].axis_labels) == ("-3", "-2", "-1")  # no names
    widget = open_dock(viewer)
    widget.set_ground_truth("truth_tyx")
    widget.set_prediction("model_tyx")
    panel = widget.evaluate
    assert panel.plane_axis_combo.currentData() == 0
    assert "truth_tyx.tif" in panel.plane_axis_combo.currentText()
    assert panel.each_plane_check.isChecked()
    assert any(str(paths["truth"]) in text and "TYX" in text for text in said)
    summary = dsb_summary(widget)
    assert summary[("instance", "n_true")] == 5  # one object a frame
    assert summary[("instance", "mean_accuracy")] == pytest.approx(FRAMES_AP)
    status = panel.status_label.text()
    assert "Frame by frame along axis 0" in status and "truth_tyx.tif (TYX)" in status


def test_the_status_says_a_volume_was_evaluated_and_frame_is_a_time_name(make_napari_viewer):
    true, pred = track()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="model")
    widget = open_dock(viewer)
    widget.set_ground_truth("truth")
    widget.set_prediction("model")
    panel = widget.evaluate
    per_plane = panel.result_tabs.indexOf(panel.tables["per_plane"])
    assert not panel.result_tabs.isTabVisible(per_plane)  # nothing plane by plane yet
    summary = dsb_summary(widget)
    assert summary[("instance", "n_true")] == 1  # the track is one object of the volume
    assert summary[("instance", "mean_accuracy")] == pytest.approx(VOLUME_AP)
    status = panel.status_label.text().splitlines()
    assert status[-1].startswith("Evaluated as one 3-D volume: objects join across planes")
    assert "Plane by plane" in status[-1] and "label each plane on its own" in status[-1]
    assert not panel.result_tabs.isTabVisible(per_plane)  # empty: not shown

    viewer.dims.axis_labels = ("frame", "y", "x")  # a movie's axis name is time too
    assert panel.plane_axis_combo.currentData() == 0 and panel.each_plane_check.isChecked()
    summary = dsb_summary(widget)
    assert summary[("instance", "mean_accuracy")] == pytest.approx(FRAMES_AP)
    assert panel.status_label.text().splitlines()[-1] == "Frame by frame along axis 0 'frame'."
    assert panel.result_tabs.isTabVisible(per_plane)
    assert len(panel.tables["per_plane"].model.frame) == 5
