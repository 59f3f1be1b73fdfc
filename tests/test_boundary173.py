"""Boundary metrics on a region one pixel thick, and plane by plane (frames as images).

Every expected value comes from the definitions: a brute-force contour (a pixel of the mask
with a face-neighbour outside it, outside the image counting as background) and all pairwise
distances, or from hand counts.
"""

import math

import dask.array as da
import numpy as np
import pytest
from scipy.spatial.distance import cdist

import napari_seg_eval as nse

COLUMNS = ["hd", "hd95", "assd", "nsd", "boundary_f1"]
MEANS = [f"mean_{column}" for column in COLUMNS]


def brute_edge(mask):
    """The inner contour by its definition, on the image as it is (no axis dropped)."""
    padded = np.pad(mask, 1)
    inside = np.ones(mask.shape, bool)
    for axis in range(mask.ndim):
        for step in (-1, 1):
            inside &= np.roll(padded, step, axis=axis)[(slice(1, -1),) * mask.ndim]
    return mask & ~inside


def brute_scores(true_mask, pred_mask, spacing=None, tolerance=1.0):
    """hd, hd95, assd, nsd, boundary F1 of two non-empty masks, from all pairwise distances."""
    sampling = np.ones(true_mask.ndim) if spacing is None else np.asarray(spacing, float)
    true_points = np.argwhere(brute_edge(true_mask)) * sampling
    pred_points = np.argwhere(brute_edge(pred_mask)) * sampling
    distances = cdist(pred_points, true_points)
    pred_to_true, true_to_pred = distances.min(axis=1), distances.min(axis=0)
    both = np.concatenate([pred_to_true, true_to_pred])
    precision, recall = np.mean(pred_to_true <= tolerance), np.mean(true_to_pred <= tolerance)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return np.array(
        [
            max(pred_to_true.max(), true_to_pred.max()),
            max(np.percentile(pred_to_true, 95), np.percentile(true_to_pred, 95)),
            both.mean(),
            np.mean(both <= tolerance),
            f1,
        ]
    )


def column_of_squares(shift):
    """(3, 8, 8): a 4x4 square in every plane; the prediction ``shift`` pixels right."""
    true = np.zeros((3, 8, 8), np.uint8)
    true[:, 2:6, 2:6] = 1
    return true, np.roll(true, shift, axis=2)


def one_plane(shape, axis, index):
    region = np.zeros(shape, bool)
    region[(slice(None),) * axis + (index,)] = True
    return region


# --- 1. a region one pixel thick scores as the image cropped to it ---------------------------


def test_a_region_one_plane_thick_scores_as_that_plane():
    true, pred = column_of_squares(1)
    region = one_plane(true.shape, 0, 1)
    expected = brute_scores(true[1] == 1, pred[1] == 1)
    # by hand: 12 contour pixels each side. Of the truth's, the top and bottom rows' left
    # ends are 1 from the prediction's rows (the other 6 on them, 0), and the 4 side pixels
    # 1 from the prediction's sides or corners: 6 at 1, 6 at 0; the same the other way.
    # HD = HD95 = 1, ASSD = 12 / 24, every distance within 1.
    np.testing.assert_allclose(expected, [1.0, 1.0, 0.5, 1.0, 1.0])
    found = nse.boundary_metrics(true, pred, region=region).summary[MEANS].to_numpy(float)
    np.testing.assert_allclose(found, expected, rtol=1e-12)
    cropped = nse.boundary_metrics(true[1:2], pred[1:2]).summary[MEANS].to_numpy(float)
    np.testing.assert_allclose(found, cropped, rtol=1e-12)


def test_a_region_one_plane_thick_along_the_last_axis_and_with_spacing():
    true, pred = column_of_squares(1)
    true, pred = np.moveaxis(true, 0, 2).copy(), np.moveaxis(pred, 0, 2).copy()  # (8, 8, 3)
    region = one_plane(true.shape, 2, 0)
    spacing = (0.5, 2.0, 7.0)  # the last axis' spacing plays no part: nothing is measured along it
    expected = brute_scores(true[:, :, 0] == 1, pred[:, :, 0] == 1, spacing[:2], tolerance=1.0)
    result = nse.boundary_metrics(true, pred, region=region, spacing=spacing, tolerance=1.0)
    np.testing.assert_allclose(result.per_class.loc[0, COLUMNS].to_numpy(float), expected)
    assert result.spacing == spacing  # one entry per axis of the images given


def test_a_region_one_row_high_scores_as_that_row_by_hand():
    true = np.zeros((6, 12), np.uint8)
    pred = np.zeros_like(true)
    true[:, 2:5] = 1
    true[:, 8:10] = 1
    pred[:, 3:7] = 1
    row = np.zeros(true.shape, bool)
    row[3] = True
    # Row 3 alone: truth segments 2-4 and 8-9 (contour 2, 4, 8, 9), prediction 3-6 (3, 6).
    # d_tp = 1, 1, 2, 3; d_pt = 1, 2. HD 3; HD95 = max(2 + 0.85 * 1, 1 + 0.95 * 1) = 2.85;
    # ASSD = 10 / 6; NSD = (2 + 1) / 6; F1: P = 1/2, R = 2/4 -> 1/2.
    by_hand = [3.0, 2.85, 10 / 6, 0.5, 0.5]
    np.testing.assert_allclose(brute_scores(true[3] == 1, pred[3] == 1), by_hand)
    found = nse.boundary_metrics(true, pred, region=row).per_class.loc[0, COLUMNS]
    np.testing.assert_allclose(found.to_numpy(float), by_hand, rtol=1e-12)


def test_a_thin_region_that_is_not_a_rectangle_is_measured_in_its_plane():
    """Part of plane 2 only (an L): the same as plane 2 with the L as its 2-D region, and as
    the brute force on the masked plane."""
    true, pred = column_of_squares(2)
    region = np.zeros(true.shape, bool)
    region[2, 1:7, 1:4] = True
    region[2, 4:7, 1:8] = True
    masked_true, masked_pred = (image[2] * region[2] == 1 for image in (true, pred))
    expected = brute_scores(masked_true, masked_pred)
    found = nse.boundary_metrics(true, pred, region=region).per_class.loc[0, COLUMNS]
    np.testing.assert_allclose(found.to_numpy(float), expected, rtol=1e-12)
    in_plane = nse.boundary_metrics(true[2], pred[2], region=region[2]).per_class
    np.testing.assert_allclose(found.to_numpy(float), in_plane.loc[0, COLUMNS].to_numpy(float))


def test_per_object_values_on_a_one_plane_region_are_the_planes():
    true = np.zeros((3, 10, 10), np.int32)
    true[:, 1:5, 1:5] = 3
    true[:, 6:9, 5:9] = 7
    pred = np.zeros_like(true)
    pred[:, 1:5, 2:6] = 4  # 1 px right: IoU 12 / 20
    pred[:, 6:9, 5:9] = 9  # exact
    region = one_plane(true.shape, 0, 2)
    found = nse.boundary_metrics(true, pred, region=region, per_object=True).per_object
    assert found[["true_label", "pred_label"]].values.tolist() == [[3, 4], [7, 9]]
    for row, (t, p) in enumerate(((3, 4), (7, 9))):
        expected = brute_scores(true[2] == t, pred[2] == p)
        np.testing.assert_allclose(found.loc[row, COLUMNS].to_numpy(float), expected)
    plane = nse.boundary_metrics(true[2], pred[2], per_object=True).per_object
    np.testing.assert_allclose(found[COLUMNS].to_numpy(float), plane[COLUMNS].to_numpy(float))


@pytest.mark.parametrize("per_object", [False, True])
def test_chunked_inputs_and_region_give_the_in_memory_numbers(per_object):
    true, pred = column_of_squares(1)
    true[1, 2:6, 2:6] = 2  # plane 1 holds id (class) 2 on both sides
    pred[1][pred[1] == 1] = 2
    region = one_plane(true.shape, 0, 1)
    lazy = [da.from_array(image, chunks=(2, 3, 5)) for image in (true, pred, region)]
    in_memory = nse.boundary_metrics(true, pred, region=region, per_object=per_object)
    chunked = nse.boundary_metrics(*lazy[:2], region=lazy[2], per_object=per_object)
    table = "per_object" if per_object else "per_class"
    np.testing.assert_array_equal(
        getattr(chunked, table).to_numpy(float), getattr(in_memory, table).to_numpy(float)
    )
    expected = brute_scores(true[1] == 2, pred[1] == 2)
    np.testing.assert_allclose(getattr(in_memory, table).iloc[0][COLUMNS].to_numpy(float), expected)


# --- 2. plane by plane: frames are separate images -------------------------------------------


def frames():
    """5 frames of a 6x6 square; frame 2's prediction is 3 px right."""
    true = np.zeros((5, 12, 12), np.uint8)
    true[:, 3:9, 3:9] = 1
    pred = true.copy()
    pred[2] = 0
    pred[2, 3:9, 6:12] = 1
    return true, pred


def test_frame_by_frame_boundary_metrics_are_the_mean_over_frames():
    true, pred = frames()
    per_frame = np.array([brute_scores(t == 1, p == 1) for t, p in zip(true, pred, strict=True)])
    # frame 2 by hand: the squares' sides 3 apart; HD 3, the shared rows' parts at 0.
    np.testing.assert_allclose(per_frame[2], [3.0, 3.0, 1.5, 0.5, 0.5])
    np.testing.assert_allclose(per_frame.mean(axis=0), [0.6, 0.6, 0.3, 0.9, 0.9])
    record = nse.evaluate(
        true, pred, kind="instance", plane_axis=0, label_each_plane=True, boundary=True
    )
    np.testing.assert_allclose(
        record.boundary.summary[MEANS].to_numpy(float), [0.6, 0.6, 0.3, 0.9, 0.9]
    )
    np.testing.assert_allclose(
        record.boundary.per_class.loc[0, COLUMNS].to_numpy(float), per_frame.mean(axis=0)
    )
    # per plane: each frame's own values, in the record's planes and its per-plane table
    planes = record.planes["boundary"]
    np.testing.assert_allclose(planes.per_image[MEANS].to_numpy(float), per_frame)
    per_plane = record.tables["per_plane"].set_index("plane")
    np.testing.assert_allclose(per_plane[MEANS].to_numpy(float), per_frame)
    assert planes.summary["n_images"] == 5
    np.testing.assert_allclose(planes.summary["mean_assd_image_mean"], 0.3)
    summary = record.tables["summary"]
    rows = summary[summary["evaluation"] == "boundary per plane"].set_index("metric")["value"]
    assert float(rows["mean_hd95_image_mean"]) == pytest.approx(0.6)


def test_frame_by_frame_objects_are_measured_in_their_frame():
    true, pred = frames()
    pred = np.roll(true, 1, axis=2)  # every frame 1 px right: IoU 30 / 42, each pair matched
    record = nse.evaluate(
        true, pred, kind="instance", plane_axis=0, label_each_plane=True, boundary=True
    )
    objects = record.object_boundary
    in_frame = brute_scores(true[0] == 1, pred[0] == 1)
    assert len(objects.per_object) == 5 and int(objects.summary["n_matched"]) == 5
    np.testing.assert_allclose(objects.per_object[COLUMNS].to_numpy(float), [in_frame] * 5)
    np.testing.assert_allclose(objects.summary[MEANS].to_numpy(float), in_frame)
    assert int(objects.summary["n_true"]) == 5 and int(objects.summary["n_pred"]) == 5
    per_plane = record.planes["boundary"].per_image
    assert per_plane["n_matched"].tolist() == [1] * 5
    np.testing.assert_allclose(per_plane["object_mean_hd95"], [in_frame[1]] * 5)


def test_frame_by_frame_classes_are_averaged_over_the_frames_that_have_them():
    """Class 2 only in frame 0: its row is frame 0's; the summary is the mean over frames of
    each frame's mean over classes."""
    true = np.zeros((2, 10, 10), np.uint8)
    true[:, 1:5, 1:5] = 1
    true[0, 6:9, 6:9] = 2
    pred = true.copy()
    pred[1] = np.roll(true[1], 2, axis=1)  # frame 1: class 1 two rows down
    pred[0, 6:9, 6:9] = 0
    pred[0, 6:9, 5:8] = 2  # frame 0: class 2 one column left
    record = nse.evaluate(
        true,
        pred,
        kind="semantic",
        binarize_semantic=False,
        plane_axis=0,
        label_each_plane=True,
        boundary=True,
    )
    frame0 = {c: brute_scores(true[0] == c, pred[0] == c) for c in (1, 2)}
    frame1 = brute_scores(true[1] == 1, pred[1] == 1)
    np.testing.assert_allclose(frame0[1], [0, 0, 0, 1, 1])
    per_class = record.boundary.per_class.set_index("class")
    np.testing.assert_allclose(per_class.loc[1, COLUMNS].to_numpy(float), (frame0[1] + frame1) / 2)
    np.testing.assert_allclose(per_class.loc[2, COLUMNS].to_numpy(float), frame0[2])
    expected = ((frame0[1] + frame0[2]) / 2 + frame1) / 2
    np.testing.assert_allclose(record.boundary.summary[MEANS].to_numpy(float), expected)
    assert int(record.boundary.summary["n_classes"]) == 2
    assert record.object_boundary is None


def test_frame_by_frame_with_spacing_leaves_the_frame_axis_out():
    true, pred = frames()
    spacing = (100.0, 0.5, 2.0)
    record = nse.evaluate(
        true,
        pred,
        kind="instance",
        plane_axis=0,
        label_each_plane=True,
        boundary=True,
        spacing=spacing,
        tolerance=1.0,
    )
    per_frame = [
        brute_scores(t == 1, p == 1, spacing[1:], 1.0) for t, p in zip(true, pred, strict=True)
    ]
    np.testing.assert_allclose(
        record.boundary.summary[MEANS].to_numpy(float), np.mean(per_frame, axis=0)
    )


def test_frame_by_frame_excludes_the_objects_at_each_frames_own_edge():
    """exclude_border: a frame's objects at its own edge go, not whole frames at the stack's
    ends (frames are images, not a volume's faces)."""
    true = np.zeros((3, 10, 10), np.uint8)
    true[:, 3:7, 3:7] = 1
    true[:, 0:2, 0:2] = 2  # at every frame's edge
    pred = np.roll(true, 1, axis=2)
    record = nse.evaluate(
        true,
        pred,
        kind="instance",
        plane_axis=0,
        label_each_plane=True,
        boundary=True,
        exclude_border=1,
    )
    objects = record.object_boundary
    assert int(objects.summary["n_matched"]) == 3  # the middle square of each frame
    in_frame = brute_scores(true[0] == 1, pred[0] == 1)
    np.testing.assert_allclose(objects.per_object[COLUMNS].to_numpy(float), [in_frame] * 3)


def test_plane_axis_of_a_volume_keeps_the_volume_and_adds_each_plane():
    """Without label_each_plane the stack is a volume (objects may span planes): its boundary
    metrics are the volume's; each plane is also scored on its own, as its other results."""
    true, pred = frames()
    record = nse.evaluate(true, pred, kind="both", plane_axis=0, boundary=True)
    volume = brute_scores(true == 1, pred == 1)
    np.testing.assert_allclose(record.boundary.summary[MEANS].to_numpy(float), volume)
    np.testing.assert_allclose(volume[:3], [3.0, 2.0, 0.25])  # the trial's whole-volume values
    per_frame = np.array([brute_scores(t == 1, p == 1) for t, p in zip(true, pred, strict=True)])
    np.testing.assert_allclose(
        record.planes["boundary"].per_image[MEANS].to_numpy(float), per_frame
    )


def test_frame_with_nothing_predicted_makes_the_mean_over_frames_infinite():
    true, pred = frames()
    pred[4] = 0
    record = nse.evaluate(
        true, pred, kind="instance", plane_axis=0, label_each_plane=True, boundary=True
    )
    summary = record.boundary.summary
    assert math.isinf(summary["mean_hd"]) and math.isinf(summary["mean_assd"])
    # NSD and F1 of the empty frame are 0: the mean over the 5 frames
    per_frame = [brute_scores(t == 1, p == 1) for t, p in zip(true[:4], pred[:4], strict=True)]
    assert summary["mean_nsd"] == pytest.approx(sum(s[3] for s in per_frame) / 5)


def test_the_docks_frame_by_frame_run_gives_the_same_boundary_record(make_napari_viewer):
    """The dock's Plane by plane run (label each plane on its own) is evaluate's record: the
    boundary metrics are the mean over frames, and each frame's are in the Per plane table."""
    from napari_seg_eval._qt.widget import SegEvalWidget

    true, pred = frames()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth", scale=(9.0, 1.0, 1.0))  # the frame axis' scale unused
    viewer.add_labels(pred, name="model", scale=(9.0, 1.0, 1.0))
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("model")
    widget.set_plane_axis(0, label_each_plane=True)
    widget.evaluate.boundary_check.setChecked(True)
    tables = widget.run_evaluation(wait=True)
    record = widget.evaluation
    assert record.settings.plane_axis == 0 and record.settings.label_each_plane
    per_frame = np.array([brute_scores(t == 1, p == 1) for t, p in zip(true, pred, strict=True)])
    np.testing.assert_allclose(
        record.boundary.summary[MEANS].to_numpy(float), per_frame.mean(axis=0)
    )
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert float(summary[("boundary", "mean_assd")]) == pytest.approx(0.3)
    per_plane = tables["per_plane"].set_index("plane")
    np.testing.assert_allclose(per_plane[MEANS].to_numpy(float), per_frame)
