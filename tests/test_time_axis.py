"""The dock and a time axis: a time-lapse is evaluated frame by frame when its axis is named as
time or its file's axes say so (the ground truth's file, or where it names no axes the
prediction's), in memory or chunked, and the status says which assumption a run made.

One track, hand-made: true id 1 is the same 6 x 6 square in frames 0..4 (36 pixels a frame);
predicted id 7 equals it in frames 0..3 and lies elsewhere (no overlap) in frame 4.

- Frame by frame (each frame's objects matched on their own, counts pooled over frames):
  5 true and 5 predicted objects; frames 0..3 a match of IoU 1, frame 4 one missed and one
  false. At every IoU threshold TP 4, FP 1, FN 1: accuracy 4 / (4 + 1 + 1) = 2/3, so
  AP (DSB), the mean over the thresholds, is 2/3.
- As one volume: 1 true object (5 * 36 = 180 pixels) and 1 predicted (180), overlapping in
  4 * 36 = 144: IoU 144 / (180 + 180 - 144) = 2/3, a match at 0.50, 0.55, 0.60, 0.65 only:
  AP (DSB) 4 / 10 = 0.4.

The chunked track is shorter (3 frames of 16 x 16, chunks of 1 x 8 x 8: 12 chunks a layer), its
square at rows and columns 5..10 (in 4 chunks of each frame); the prediction equals it in frames
0 and 1 and lies at rows 12..15, columns 0..8 (36 pixels, no overlap) in frame 2.

- Frame by frame: TP 2, FP 1, FN 1 at every threshold: accuracy 2 / (2 + 1 + 1) = 0.5 = AP
  (DSB); F1 2 * 2 / (2 * 2 + 1 + 1) = 2/3; per frame F1 1, 1 and 0 (frame 2: TP 0).
- As one volume: 108 and 108 pixels overlapping in 72: IoU 72 / 144 = 0.5, a match at 0.50
  only: AP (DSB) 1 / 10 = 0.1.
"""

import threading

import numpy as np
import pandas as pd
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


# ---------------------------------------------------------------- the prediction's file
def open_pair(viewer, tmp_path, truth_axes, model_axes):
    """Add the track: each side made in Python (axes None), or opened as labels from a TIFF
    as File > Open does: ImageJ metadata naming ``axes``, or none ("": a plain TIFF)."""
    for name, data, axes in zip(("truth", "model"), track(), (truth_axes, model_axes), strict=True):
        if axes is None:
            viewer.add_labels(data, name=name)
            continue
        path = tmp_path / f"{name}.tif"
        metadata = {"imagej": True, "metadata": {"axes": axes}} if axes else {}
        tifffile.imwrite(path, data, **metadata)
        viewer.open(path, plugin="napari", layer_type="labels")
    widget = open_dock(viewer)
    widget.set_ground_truth("truth")
    widget.set_prediction("model")
    return widget


@pytest.mark.parametrize("truth_axes", [None, ""], ids=["made in Python", "plain TIFF"])
def test_a_prediction_opened_from_a_tyx_tiff_makes_a_truth_without_axes_a_time_lapse(
    make_napari_viewer, tmp_path, monkeypatch, truth_axes
):
    said = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    viewer = make_napari_viewer()
    widget = open_pair(viewer, tmp_path, truth_axes, "TYX")
    panel = widget.evaluate
    assert panel.plane_axis_combo.currentData() == 0
    assert "model.tif" in panel.plane_axis_combo.currentText()
    assert panel.each_plane_check.isChecked()
    told = [text for text in said if "Segmentation Evaluation" in text]
    assert len(told) == 1  # once, naming the prediction's file and its axes
    assert str(tmp_path / "model.tif") in told[0] and "TYX" in told[0]
    assert "'truth' does not say which axis is time" in told[0]
    summary = dsb_summary(widget)
    assert summary[("instance", "n_true")] == 5  # one object a frame
    assert summary[("instance", "mean_accuracy")] == pytest.approx(FRAMES_AP)
    assert panel.status_label.text().splitlines()[-1] == (
        "Frame by frame along axis 0: time in the axes of the prediction's file model.tif (TYX)."
    )

    # 'no' chosen stays chosen when the prediction is renamed and the threshold options change
    panel.set_plane_axis(None)
    viewer.layers["model"].name = "cellpose"
    widget.threshold_panel.min_size_spin.setValue(3)
    assert panel.plane_axis_combo.currentData() is None
    widget.set_plane_axis(0)

    # a name the user gave the axis wins over the prediction's file
    viewer.dims.axis_labels = ("z", "y", "x")
    assert panel.plane_axis_combo.currentData() is None
    assert not panel.each_plane_check.isChecked()
    assert dsb_summary(widget)[("instance", "mean_accuracy")] == pytest.approx(VOLUME_AP)
    assert len([text for text in said if "Segmentation Evaluation" in text]) == 1


@pytest.mark.parametrize(
    ("truth_axes", "model_axes", "plane_axis", "expected_ap"),
    [("ZYX", "TYX", None, VOLUME_AP), ("TYX", "ZYX", 0, FRAMES_AP)],
    ids=["truth's file says depth", "truth's file says time"],
)
def test_when_the_files_disagree_about_time_the_truths_file_is_trusted_and_said(
    make_napari_viewer, tmp_path, monkeypatch, truth_axes, model_axes, plane_axis, expected_ap
):
    said = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    widget = open_pair(make_napari_viewer(), tmp_path, truth_axes, model_axes)
    panel = widget.evaluate
    assert panel.plane_axis_combo.currentData() == plane_axis
    assert panel.each_plane_check.isChecked() == (plane_axis is not None)
    told = [text for text in said if "Segmentation Evaluation" in text]
    assert len(told) == 1  # one notice, naming both files and their axes
    for name, axes in (("truth", truth_axes), ("model", model_axes)):
        assert str(tmp_path / f"{name}.tif") in told[0] and axes in told[0]
    assert "the ground truth's file is trusted" in told[0]
    assert dsb_summary(widget)[("instance", "mean_accuracy")] == pytest.approx(expected_ap)
    status = panel.status_label.text().splitlines()[-1]
    if plane_axis is None:
        assert status.startswith("Evaluated as one 3-D volume")
    else:
        assert status == "Frame by frame along axis 0: time in the axes of truth.tif (TYX)."


# ------------------------------------------------------------------ a chunked time-lapse
CHUNKED_AP = 0.5  # frame by frame: 2 / (2 + 1 + 1) at every threshold
CHUNKED_F1 = 2 / 3  # 2 * 2 / (2 * 2 + 1 + 1)
CHUNK_PIXELS = 8 * 8  # one chunk; a frame is 16 * 16 = 256 pixels, the layer 768


def chunked_track():
    true = np.zeros((3, 16, 16), np.uint16)
    true[:, 5:11, 5:11] = 1  # in 4 chunks of each frame
    pred = np.zeros_like(true)
    pred[:2, 5:11, 5:11] = 7
    pred[2, 12:16, 0:9] = 7  # frame 2: 4 * 9 = 36 pixels elsewhere, no overlap
    return true, pred


def zarr_layers(tmp_path):
    """The chunked track as zarr arrays on disk, in chunks of 1 x 8 x 8, opened read-only."""
    zarr = pytest.importorskip("zarr")
    stored = {}
    for name, data in zip(("truth", "model"), chunked_track(), strict=True):
        array = zarr.create_array(
            str(tmp_path / name), shape=data.shape, chunks=(1, 8, 8), dtype=data.dtype
        )
        array[...] = data
        stored[name] = zarr.open_array(str(tmp_path / name), mode="r")
    return stored


def dock_of(viewer, truth, model):
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(model, name="model")
    viewer.dims.axis_labels = ("t", "y", "x")  # a time-lapse, named so
    widget = open_dock(viewer)
    widget.set_ground_truth("truth")
    widget.set_prediction("model")
    widget.evaluate.set_preset("dsb2018")
    return widget


def test_a_chunked_time_lapse_is_evaluated_frame_by_frame_chunk_by_chunk(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    from reference import count_chunk_reads

    zarr = pytest.importorskip("zarr")
    steps = []
    on_progress = evaluate_panel.EvaluatePanel._on_progress

    def recorded(panel, step):
        steps.append(step)
        on_progress(panel, step)

    monkeypatch.setattr(evaluate_panel.EvaluatePanel, "_on_progress", recorded)
    in_memory = dock_of(make_napari_viewer(), *chunked_track())
    assert in_memory.evaluate.plane_axis_combo.currentData() == 0  # as before: frame by frame
    expected = in_memory.run_evaluation(wait=True)

    stored = zarr_layers(tmp_path)
    widget = dock_of(make_napari_viewer(), stored["truth"], stored["model"])
    panel = widget.evaluate
    assert panel.plane_axis_combo.currentData() == 0  # chunked: frame by frame too
    assert panel.each_plane_check.isChecked()
    reads = count_chunk_reads(monkeypatch, lambda root: root.name)
    largest = []  # the pixels of each read of the zarr arrays
    getitem = zarr.Array.__getitem__

    def counted(array, selection):
        got = getitem(array, selection)
        largest.append(np.size(got))
        return got

    monkeypatch.setattr(zarr.Array, "__getitem__", counted)
    steps.clear()
    with qtbot.waitSignal(panel.evaluated, timeout=60_000):
        widget.run_evaluation()
    tables = panel.results
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("instance", "n_true")] == 3  # one object a frame
    assert summary[("instance", "mean_accuracy")] == pytest.approx(CHUNKED_AP)
    assert summary[("instance", "f1_50")] == pytest.approx(CHUNKED_F1)
    assert tables["per_plane"]["f1_50"].tolist() == [1.0, 1.0, 0.0]
    for name, table in expected.items():  # the in-memory record's every table
        pd.testing.assert_frame_equal(table, tables[name], obj=name)
    assert panel.status_label.text().splitlines()[-1] == "Frame by frame along axis 0 't'."
    # read chunk by chunk, never whole, nor a whole frame: one pass over the 12 chunks of
    # each layer (each frame's tables and objects' sums, from which the rest is made)
    for name in ("truth", "model"):
        assert reads[name] == 12
    assert largest and max(largest) <= CHUNK_PIXELS
    # progress through the plane-by-plane steps, in order
    plane_steps = ["semantic metrics plane by plane", "instance metrics plane by plane"]
    said = [message for _, message in steps if message in plane_steps]
    assert list(dict.fromkeys(said)) == plane_steps  # in order (a pass may report often)
    fractions = [fraction for fraction, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_a_chunked_time_lapse_run_frame_by_frame_can_be_cancelled(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
):
    # The worker is held after its first plane-by-plane step until the dock has cancelled
    # it, so the cancel lands inside the run, whatever the threads' speed.
    released = threading.Event()
    evaluation_steps = evaluate_panel.evaluation_steps

    def held(*args, **kwargs):
        steps = evaluation_steps(*args, **kwargs)
        try:
            while True:
                step = next(steps)
                yield step
                if "plane by plane" in step[1]:
                    assert released.wait(60)
        except StopIteration as done:
            return done.value

    monkeypatch.setattr(evaluate_panel, "evaluation_steps", held)
    steps = []
    on_progress = evaluate_panel.EvaluatePanel._on_progress

    def cancelling(panel, step):
        steps.append(step)
        on_progress(panel, step)
        if "plane by plane" in step[1] and not released.is_set():
            panel.cancel("asked by the test")
            released.set()

    monkeypatch.setattr(evaluate_panel.EvaluatePanel, "_on_progress", cancelling)
    stored = zarr_layers(tmp_path)
    widget = dock_of(make_napari_viewer(), stored["truth"], stored["model"])
    panel = widget.evaluate
    emitted = []
    panel.evaluated.connect(emitted.append)
    with qtbot.waitSignal(panel.job.finished, timeout=60_000):
        widget.run_evaluation()
    assert released.is_set()  # cancelled in the plane-by-plane steps of the default run
    assert emitted == [] and widget.evaluation is None
    assert panel.tables["summary"].model.rowCount() == 0
    assert panel.status_label.text() == "Cancelled: asked by the test."
    assert "building tables" not in [message for _, message in steps]


PLANE_PASSES = (  # the chunked track's passes frame by frame that read the layers: one
    "counting the tables and objects of each plane",
)


def test_each_pass_of_a_chunked_frame_by_frame_run_reports_progress_and_stops_on_cancel(
    tmp_path,
):
    from napari_seg_eval.evaluation import (
        Cancelled,
        EvaluationSettings,
        RunControl,
        evaluation_steps,
    )

    stored = zarr_layers(tmp_path)
    settings = EvaluationSettings.from_preset("dsb2018", plane_axis=0, label_each_plane=True)
    reports = []
    control = RunControl(reports.append)
    list(evaluation_steps(stored["truth"], stored["model"], settings, control=control))
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions)
    for message in PLANE_PASSES:  # each of the 12 chunks' tasks moves the bar within its step
        assert len([f for f, said in reports if said == message]) > 2, message

    for message in PLANE_PASSES:
        in_pass = [f for f, said in reports if said == message]
        control = RunControl()
        finished = []

        def cancel_in_the_pass(step, control=control, message=message, finished=finished):
            if step[1] == message:
                finished.append(step[0])
                control.cancel()

        control.report = cancel_in_the_pass
        with pytest.raises(Cancelled):
            list(evaluation_steps(stored["truth"], stored["model"], settings, control=control))
        # stopped inside: only tasks already running when it was cancelled may finish
        assert finished and max(finished) < in_pass[len(in_pass) // 2], message
