"""thr207: the header's class axis on unnamed stacks, 4-D previews labelled frame by frame, a
file's voxel size the layer lacks, and a truth's 255 (unannotated) scored as a class.

Found by new-user trials (trial199, trial200). Every number is worked out by hand below.
"""

import dask.array as da
import numpy as np
import pytest
import tifffile

from napari_seg_eval.core.overlap import overlap_table
from napari_seg_eval.core.threshold import background_channel_suspected, sums_to_one

pytest.importorskip("napari")

from napari_seg_eval._qt import evaluate_panel
from napari_seg_eval.evaluation import ThresholdOptions, instance_labels
from test_background_channel_widget import SOFTMAX, TRUTH, choose_axis
from widget_helpers import settle_preview

DOCK = ("napari-seg-eval", "Segmentation Evaluation")


@pytest.fixture
def said(monkeypatch):
    """The Evaluate tab's information notices, as text."""
    shown: list[str] = []
    monkeypatch.setattr(evaluate_panel, "show_info", shown.append)
    return shown


# -------------------------------------------------------------------------- the class axis
def test_a_scaled_stack_beside_one_plane_is_not_taken_for_classes(make_napari_viewer, said):
    """trial199 (napari_slice_truth.py): a (z, y, x) map at scale (2, 0.5, 0.5) beside a 2-D
    truth slice had axis 0 taken as its class axis ("axis 0 (20 classes)") and gave nonsense
    F1 with "Done.". Axis 0's scale is 2, a physical step: it is never taken, even when the
    values along it happen to sum to 1 (here: 0.25 + 0.75 at every pixel); the axis is said
    as one that could hold classes, and the run refuses the shapes instead of scoring."""
    stack = np.stack([np.full((4, 4), 0.25), np.full((4, 4), 0.75)]).astype(np.float32)
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="slice", scale=(0.5, 0.5))
    viewer.add_image(stack, name="stack", scale=(2.0, 0.5, 0.5))
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("stack")
    widget.set_ground_truth("slice")
    widget.set_prediction("stack")
    assert widget.channel_axis_combo.currentData() is None
    assert said == [
        "Segmentation Evaluation: 'stack' has one axis more than the truth: axis 0 (2 values) "
        "could hold classes: choose it in the header's Channel axis if it does. It is not "
        "chosen for you: its scale in the layer is 2, a physical step, so it may as well be "
        "depth or time."
    ]
    assert widget.run_evaluation(wait=True) is None  # the shapes refused: nothing scored
    assert widget.evaluate.status_label.text().startswith("shape mismatch")
    assert widget.channel_axis_combo.currentData() is None and len(said) == 1


def test_frames_whose_values_do_not_sum_to_one_are_not_classes(make_napari_viewer, said):
    """trial199 (napari_4d.py, case D): a (t, z, y, x) map of 3 frames (scale 1 along t)
    beside a 3-D truth had axis 0 taken as "3 classes". Its values along axis 0 at a pixel
    are three probabilities of one object, 0.9 + 0.9 + 0.9 = 2.7 (or 0 + 0 + 0 on the
    background), not 1 as a softmax's classes: not chosen. Once the user chooses it, the
    choice stays."""
    frames = np.zeros((3, 2, 4, 4), np.float32)
    frames[:, :, 1:3, 1:3] = 0.9
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((2, 4, 4), np.uint8), name="frame 0")
    viewer.add_image(frames, name="frames")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("frames")
    widget.set_ground_truth("frame 0")
    widget.set_prediction("frames")
    assert widget.channel_axis_combo.currentData() is None
    assert len(said) == 1
    assert "axis 0 (3 values) could hold classes" in said[0]
    assert "do not sum to 1 at each pixel" in said[0]
    assert widget.run_evaluation(wait=True) is None
    choose_axis(widget, 0)  # the user's choice
    widget.evaluate.choose_class_axis(wait=True)
    assert widget.channel_axis_combo.currentData() == 0


def test_a_large_chunked_map_is_read_for_its_sums_in_a_worker(make_napari_viewer, qtbot, said):
    """A chunked (3, 8, 64, 64) map (98 304 values, more than the header reads on the main
    thread) is not read on the main thread: no axis is chosen until the worker has read a
    few pixels; they are 0.2 at every frame (sum 0.6, not 1), so none is chosen then, and
    it is said. (Before, axis 0 was taken at once, unread.)"""
    frames = da.full((3, 8, 64, 64), 0.2, dtype=np.float32, chunks=(1, 8, 64, 64))
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((8, 64, 64), np.uint8), name="volume")
    viewer.add_image(frames, name="frames")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    job = widget.evaluate.sample_job
    with qtbot.waitSignal(job.finished, timeout=20_000):
        widget.set_probability_layer("frames")
        widget.set_ground_truth("volume")
        widget.set_prediction("frames")
        assert widget.channel_axis_combo.currentData() is None  # not chosen unread
    assert widget.channel_axis_combo.currentData() is None
    assert len(said) == 1 and "do not sum to 1 at each pixel" in said[0]


def test_a_chunked_softmax_read_in_a_worker_gets_its_class_axis(make_napari_viewer, qtbot, said):
    """The same large chunked map as a softmax of 3 classes (0.2, 0.3, 0.5 at every pixel:
    sum 1): chosen once the worker has read it, and said."""
    classes = da.stack(
        [
            da.full((8, 64, 64), value, dtype=np.float32, chunks=(8, 64, 64))
            for value in (0.2, 0.3, 0.5)
        ]
    )
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((8, 64, 64), np.uint8), name="volume")
    viewer.add_image(classes, name="softmax")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    job = widget.evaluate.sample_job
    with qtbot.waitSignal(job.finished, timeout=20_000):
        widget.set_probability_layer("softmax")
        widget.set_ground_truth("volume")
        widget.set_prediction("softmax")
        assert widget.channel_axis_combo.currentData() is None  # still being read
    qtbot.waitUntil(lambda: widget.channel_axis_combo.currentData() == 0, timeout=20_000)
    assert said[-1].startswith(
        "Segmentation Evaluation: 'softmax' has one axis more than the truth: axis 0 (3 "
        "values) is taken as its class axis"
    )


def test_sums_to_one_allows_the_rounding_of_integer_maps():
    """A uint8 softmax of 3 classes stored as 85, 85, 85 (each 1/3 rounded): 255 / 255 = 1;
    86, 85, 85 is 256 / 255 = 1.0039, within 0.01; 100, 100, 100 is 300 / 255 = 1.18: no.
    Along the wrong axis (pixels, 0.33 + 0.33 = 0.67), no."""
    stored = np.array([[85, 86], [85, 85], [85, 85]], np.uint8) / 255.0
    assert sums_to_one(stored, 0, step=0.5 / 255)
    assert not sums_to_one(stored, 1, step=0.5 / 255)
    assert not sums_to_one(np.full((3, 2), 100 / 255), 0, step=0.5 / 255)
    assert not sums_to_one(np.full((3, 2), np.nan), 0)  # NaN alone is no sign


# ------------------------------------------------------------------ the 4-D preview by frame
def _dumbbells() -> np.ndarray:
    """(t=2, z=9, y=12, x=24): in each frame two balls of radius 4 whose centres are 8 apart
    along x (touching at one voxel: one connected object, two after the split), at 0.9."""
    z, y, x = np.ogrid[:9, :12, :24]
    balls = ((z - 4) ** 2 + (y - 6) ** 2 + (x - 6) ** 2 <= 16) | (
        (z - 4) ** 2 + (y - 6) ** 2 + (x - 14) ** 2 <= 16
    )
    frame = np.where(balls, 0.9, 0.0).astype(np.float32)
    return np.stack([frame, frame])


def test_a_time_lapse_preview_splits_frame_by_frame(make_napari_viewer, qtbot, errors):
    """trial199 (napari_review3d.py): a (t, z, y, x) map with axis t, Plane by plane t,
    instance output with "split touching" ticked: the preview failed ("split_touching works
    on 2-D and 3-D masks ... got 4-D data") while Evaluate labels frame by frame. The preview
    now labels each frame on its own as Evaluate does: 2 objects in each frame (the touching
    balls split), ids 1, 2 in frame 0 and 3, 4 in frame 1, never one id in both frames."""
    prob = _dumbbells()
    labels = ("t", "z", "y", "x")
    viewer = make_napari_viewer()
    viewer.add_labels((prob > 0.5).astype(np.uint8), name="truth", axis_labels=labels)
    viewer.add_image(prob, name="prob", axis_labels=labels)
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("prob")
    settle_preview(qtbot, widget)
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    assert widget.evaluate.plane_axis_combo.currentData() == 0
    assert widget.evaluate.each_plane_check.isChecked()
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    preview = widget.update_threshold_layer(wait=True)
    assert preview is not None, errors
    data = np.asarray(preview.data)
    assert np.unique(data[0]).tolist() == [0, 1, 2]
    assert np.unique(data[1]).tolist() == [0, 3, 4]
    options = ThresholdOptions(
        output="instance",
        connectivity=widget.threshold_panel.connectivity_spin.value(),
        split_touching=True,
    )
    np.testing.assert_array_equal(data, instance_labels(prob > 0.5, options, plane_axis=0))
    assert errors == []


# ------------------------------------------------------------ a file's voxel size unused
def test_a_calibrated_tiff_opened_at_scale_1_is_said(make_napari_viewer, tmp_path, said):
    """trial199 (repro_dock_file_spacing.py): ImageJ ZYX TIFFs of voxel size 2 × 0.5 × 0.5 µm
    opened with napari's reader (scale 1, 1, 1) gave boundary values in pixels, with no
    notice. The status line says so (and a notice); with the scale set, nothing is said."""
    truth = np.zeros((4, 8, 8), np.uint8)
    truth[1:3, 2:6, 2:6] = 1
    pred = np.roll(truth, 1, axis=2)
    calibration = {
        "imagej": True,
        "resolution": (2.0, 2.0),  # 2 pixels per µm: 0.5 µm
        "metadata": {"spacing": 2.0, "unit": "um", "axes": "ZYX"},
    }
    tifffile.imwrite(tmp_path / "truth.tif", truth, **calibration)
    tifffile.imwrite(tmp_path / "pred.tif", pred, **calibration)
    viewer = make_napari_viewer()
    [truth_layer] = viewer.open(tmp_path / "truth.tif", layer_type="labels")
    [pred_layer] = viewer.open(tmp_path / "pred.tif", layer_type="labels")
    assert tuple(truth_layer.scale) == (1, 1, 1)
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_ground_truth(truth_layer)
    widget.set_prediction(pred_layer)
    widget.evaluate.set_boundary(True, 1.0)
    assert widget.run_evaluation(wait=True) is not None
    note = (
        "'truth' was opened from truth.tif: the file says 2, 0.5, 0.5 µm; the layer's scale "
        "is 1: boundary values are in pixels; set the layer's scale (layer.scale = (2, 0.5, "
        "0.5), e.g. in napari's console) and run again."
    )
    lines = widget.evaluate.status_label.text().splitlines()
    assert lines[0] == "Done." and lines[-1] == note  # after the note on its axes
    assert f"Segmentation Evaluation: {note}" in said
    truth_layer.scale = pred_layer.scale = (2.0, 0.5, 0.5)
    assert widget.run_evaluation(wait=True) is not None
    assert widget.evaluate.status_label.text().splitlines() == lines[:-1]


# ------------------------------------------------------------ 255 (unannotated) in the truth
#: TRUTH with its bottom-right 2 × 2 block (class 0) left unannotated: 255 on 4 pixels.
UNANNOTATED = np.where(np.add.outer(np.arange(4), np.arange(4)) >= 5, 255, TRUTH)


def test_a_255_scored_as_a_class_is_said_on_the_status_line(make_napari_viewer):
    """trial200 (dock_noignore.py): a truth holding 255 (unannotated) and no Ignore label:
    mean IoU counted a class 255 of IoU 0 under "Done.". UNANNOTATED's 255 covers the
    pixels with y + x >= 5: (2, 3), (3, 2), (3, 3), 3 pixels. Against TRUTH itself as the
    prediction, the status line says them, naming the dock's option, until a run with
    Ignore label 255."""
    assert int((UNANNOTATED == 255).sum()) == 3
    viewer = make_napari_viewer()
    viewer.add_labels(UNANNOTATED, name="truth")
    viewer.add_labels(TRUTH, name="classes")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_ground_truth("truth")
    widget.set_prediction("classes")
    widget.evaluate.kind_combo.setCurrentText("semantic")
    widget.evaluate.binarize_check.setChecked(False)
    with pytest.warns(UserWarning, match="3 pixels of value 255"):
        tables = widget.run_evaluation(wait=True)
    assert 255 in tables["per_class"]["class"].tolist()
    assert widget.evaluate.status_label.text() == (
        "Done.\nLikely wrong: the truth has 3 pixels of value 255, which the prediction never "
        "has: they are scored as class 255 with IoU 0 and counted in the means (mean IoU, "
        "mean Dice), and the predictions on them as false positives of other classes. If 255 "
        "marks pixels left unannotated, set Ignore label to 255 in Options and run again."
    )
    widget.evaluate.ignore_spin.setValue(255)
    tables = widget.run_evaluation(wait=True)
    assert 255 not in tables["per_class"]["class"].tolist()
    assert widget.evaluate.status_label.text() == "Done."


def test_the_255_line_names_the_maps_top_class(make_napari_viewer, qtbot):
    """The same truth against SOFTMAX, channel 0 background (classes 0..2): the line says
    the map's classes run 0..2."""
    viewer = make_napari_viewer()
    viewer.add_labels(UNANNOTATED, name="truth")
    viewer.add_image(SOFTMAX, name="softmax")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("softmax")
    settle_preview(qtbot, widget)
    choose_axis(widget, 0)
    widget.background_check.setChecked(True)
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    widget.evaluate.kind_combo.setCurrentText("semantic")
    widget.evaluate.binarize_check.setChecked(False)
    with (
        pytest.warns(UserWarning, match="3 pixels of value 255"),
        pytest.warns(UserWarning, match="not above the threshold 0.5"),
    ):
        assert widget.run_evaluation(wait=True) is not None
    lines = widget.evaluate.status_label.text().splitlines()
    assert lines[0] == "Done."
    assert lines[1].startswith(
        "Likely wrong: the truth has 3 pixels of value 255, which the prediction never has "
        "(the map's classes run 0..2):"
    )


def test_255_does_not_hide_a_shifted_reading():
    """core: a truth of classes 0..2 with 255 (unannotated) beside them, against a 3-channel
    map read with channel k as class k + 1 (every class one too high: 1 -> 2, 2 -> 3): the
    shift was not suspected, as the truth's top class (255) is not n - 1 = 2. 255 above the
    map's classes is left out of the test: suspected."""
    truth = np.array([[0, 1, 1, 2, 2, 255]])
    shifted = np.array([[1, 2, 2, 3, 3, 1]])
    assert background_channel_suspected(overlap_table(truth, shifted), 3)
    # a right reading with 255 beside it is not
    right = np.array([[0, 1, 1, 2, 2, 1]])
    assert not background_channel_suspected(overlap_table(truth, right), 3)


def test_a_time_lapse_preview_is_one_volume_when_each_plane_is_unticked(
    make_napari_viewer, qtbot, errors
):
    """review215: with "label each plane on its own" unticked a run labels the (t, z, y, x)
    stack as one volume (a blob at the same place in both frames is one object); the preview
    labelled it frame by frame anyway (ids 1 and 2). It now labels it as the run does."""
    prob = _dumbbells()
    labels = ("t", "z", "y", "x")
    viewer = make_napari_viewer()
    viewer.add_labels((prob > 0.5).astype(np.uint8), name="truth", axis_labels=labels)
    viewer.add_image(prob, name="prob", axis_labels=labels)
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("prob")
    settle_preview(qtbot, widget)
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.evaluate.each_plane_check.setChecked(False)
    widget.output_combo.setCurrentText("instance")
    preview = widget.update_threshold_layer(wait=True)
    assert preview is not None, errors
    data = np.asarray(preview.data)
    assert np.unique(data).tolist() == [0, 1]  # the touching balls, through both frames
    assert errors == []
