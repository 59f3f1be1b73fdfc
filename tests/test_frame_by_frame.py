"""Frame by frame (``plane_axis`` with ``label_each_plane``): the record is the same whatever
the layers' form (numpy, or chunked in any way), and each plane's numbers are those of the
plane evaluated alone. Randomized equality guards over tracks spanning planes, the ignored
id, huge ids, a region, object classes and the border band."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

da = pytest.importorskip("dask.array")

from napari_seg_eval.evaluation import (  # noqa: E402
    Cancelled,
    EvaluationSettings,
    RunControl,
    evaluate,
    evaluation_steps,
)

FLOAT_TOLERANCE = {"rtol": 1e-12, "atol": 0.0}  # a mean of probabilities: order of additions


def random_case(seed: int) -> dict:
    """A small random stack (ids repeated across planes: tracks) and a run's settings."""
    rng = np.random.default_rng(seed)
    axis = int(rng.integers(0, 3))
    shape = [int(rng.integers(3, 9)), int(rng.integers(3, 9))]
    shape.insert(axis, int(rng.integers(2, 5)))
    n_ids = int(rng.integers(1, 6))
    blocks = [max(1, s // 2) for s in shape]  # blobs of a few pixels, so objects overlap

    def labels() -> np.ndarray:
        coarse = rng.integers(
            0, n_ids + 1, [-(-s // b) for s, b in zip(shape, blocks, strict=True)]
        )
        for dim, block in enumerate(blocks):
            coarse = np.repeat(coarse, block, axis=dim)
        noisy = np.where(rng.random(shape) < 0.1, rng.integers(0, n_ids + 1, shape), 0)
        return np.where(noisy > 0, noisy, coarse[tuple(slice(0, s) for s in shape)])

    true, pred = labels(), labels()
    if rng.random() < 0.3:  # huge ids: a lookup table would not fit
        true = true.astype(np.uint64) * np.uint64(2**40)
    if rng.random() < 0.3:
        pred = pred.astype(np.uint8)
    settings = {
        "kind": str(rng.choice(["both", "both", "instance", "semantic"])),
        "plane_axis": axis,
        "label_each_plane": bool(rng.random() < 0.8),
        "binarize_semantic": bool(rng.random() < 0.7),
    }
    if settings["kind"] != "semantic":
        settings["iou_thresholds"] = (0.3, 0.5, 0.75)
        settings["exclude_border"] = int(rng.choice([0, 0, 1]))
    extra = {}
    ids, sizes = np.unique(true, return_counts=True)
    if rng.random() < 0.3 and ids[-1] > 0:  # the rarest object id: pixels are left
        settings["ignore_label"] = int(ids[ids > 0][np.argmin(sizes[ids > 0])])
    if rng.random() < 0.3:
        extra["region"] = rng.random(shape) < 0.8
    if settings["kind"] != "semantic" and rng.random() < 0.3:
        extra["confidence"] = rng.random(shape)
    # Object classes go with semantic metrics foreground vs background only (refused else).
    with_classes = settings["kind"] == "instance" or settings["binarize_semantic"]
    if settings["kind"] != "semantic" and with_classes and rng.random() < 0.25:
        if rng.random() < 0.5:  # one class image for both sides
            extra["true_classes"] = extra["pred_classes"] = rng.integers(1, 3, shape)
        else:  # mappings of the user's ids (tracks: one class for all planes)
            extra["true_classes"] = {int(i): int(i) % 2 for i in np.unique(true) if i}
            extra["pred_classes"] = {int(i): 1 for i in np.unique(pred) if i}
    return {"true": true, "pred": pred, "settings": settings, "extra": extra, "rng": rng}


def chunked(array: np.ndarray, rng: np.random.Generator):
    """``array`` as a dask array in random chunks (several planes in a chunk, or part of one)."""
    return da.from_array(array, chunks=tuple(int(rng.integers(1, s + 1)) for s in array.shape))


def run(true, pred, settings, extra):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evaluate(true, pred, **settings, **extra)


def outcome(true, pred, settings, extra):
    """The record, or the error raised (e.g. no pixel left in any plane)."""
    try:
        return run(true, pred, settings, extra)
    except ValueError as error:
        return error


def assert_same_records(expected, got):
    """Every table, the objects at two thresholds, the ids' map and the per-plane results
    (or the same error)."""
    if isinstance(expected, ValueError):
        assert isinstance(got, ValueError) and str(got) == str(expected)
        return
    assert expected.tables.keys() == got.tables.keys()
    for name, table in expected.tables.items():
        pd.testing.assert_frame_equal(table, got.tables[name], obj=name, **FLOAT_TOLERANCE)
    for threshold in (0.3, 0.5):
        pd.testing.assert_frame_equal(
            expected.objects_at(threshold), got.objects_at(threshold), **FLOAT_TOLERANCE
        )
    assert expected.ids.keys() == got.ids.keys()
    for side, origin in expected.ids.items():
        pd.testing.assert_frame_equal(origin, got.ids[side], check_exact=True)
    assert expected.planes.keys() == got.planes.keys()
    for name, result in expected.planes.items():
        pd.testing.assert_frame_equal(result.per_image, got.planes[name].per_image)
        pd.testing.assert_series_equal(result.summary, got.planes[name].summary)
    for attr in ("truth", "prediction"):
        np.testing.assert_array_equal(
            np.asarray(getattr(expected, attr)), np.asarray(getattr(got, attr))
        )


@pytest.mark.parametrize("seed", range(24))
def test_a_stack_in_memory_and_chunked_gives_one_record(seed):
    case = random_case(seed)
    rng, extra = case["rng"], dict(case["extra"])
    expected = outcome(case["true"], case["pred"], case["settings"], extra)
    for form in range(2):  # both chunked, or one side chunked (and the map too)
        true = chunked(case["true"], rng)
        pred = chunked(case["pred"], rng) if form == 0 else case["pred"]
        lazy_extra = dict(extra)
        if "confidence" in extra and rng.random() < 0.5:
            lazy_extra["confidence"] = chunked(extra["confidence"], rng)
        assert_same_records(expected, outcome(true, pred, case["settings"], lazy_extra))


@pytest.mark.parametrize("seed", range(24, 40))
def test_each_plane_scores_as_the_plane_alone(seed):
    case = random_case(seed)
    settings, extra = dict(case["settings"]), case["extra"]
    settings["label_each_plane"] = True
    axis = settings["plane_axis"]
    record = run(case["true"], case["pred"], settings, extra)
    alone = {key: value for key, value in settings.items() if key != "plane_axis"}
    alone["label_each_plane"] = False
    per_plane = record.tables["per_plane"].set_index("plane")
    for plane in range(case["true"].shape[axis]):

        def cut(array, plane=plane):
            return np.take(array, plane, axis=axis) if hasattr(array, "shape") else array

        one = run(
            cut(case["true"]), cut(case["pred"]), alone, {k: cut(v) for k, v in extra.items()}
        )
        summary = one.tables["summary"]
        for row in summary[summary["evaluation"] == "instance"].itertuples():
            if row.metric in per_plane.columns:  # the plane's instance numbers
                np.testing.assert_allclose(
                    float(per_plane.loc[plane, row.metric]), float(row.value), rtol=1e-12
                )
        if one.semantic is not None:  # the plane's semantic numbers
            for key in ("mean_iou", "pixel_accuracy"):
                np.testing.assert_allclose(
                    float(per_plane.loc[plane, key]), float(one.semantic.summary[key]), rtol=1e-12
                )


def offset_per_plane(labels: np.ndarray, axis: int, ignore: int | None) -> np.ndarray:
    """Each plane's objects under ids of their own: plane k's id i becomes i + k * (max + 1)
    (the background and the ignored id kept), so no id spans planes."""
    out = labels.astype(np.uint64)
    step = np.uint64(int(labels.max()) + 1)
    planes = np.moveaxis(out, axis, 0)
    for k, plane in enumerate(planes):
        objects = (plane > 0) & (plane != (ignore if ignore is not None else 0))
        plane[objects] += np.uint64(k) * step
    return out


@pytest.mark.parametrize("seed", range(40, 56))
def test_tracks_score_as_objects_with_ids_of_their_own_in_each_plane(seed):
    case = random_case(seed)
    settings, extra = dict(case["settings"]), dict(case["extra"])
    if settings["kind"] == "semantic":
        settings["kind"] = "both"
        settings["iou_thresholds"] = (0.3, 0.5, 0.75)
    settings["label_each_plane"] = True
    extra.pop("true_classes", None), extra.pop("pred_classes", None)  # mappings name ids
    axis, ignore = settings["plane_axis"], settings.get("ignore_label")
    record = run(case["true"], case["pred"], settings, extra)
    own = run(
        offset_per_plane(case["true"], axis, ignore),
        offset_per_plane(case["pred"], axis, None),
        settings,
        extra,
    )
    assert own.ids == {}  # nothing left to renumber
    pd.testing.assert_frame_equal(record.instance.per_threshold, own.instance.per_threshold)
    # per class: foreground and background (classes compared by id name the ids)
    names = ("per_plane", "per_class") if settings["binarize_semantic"] else ("per_plane",)
    for name in names:
        pd.testing.assert_frame_equal(record.tables[name], own.tables[name])
    objects = record.objects_at(0.5)
    mine = own.objects_at(0.5)
    columns = ["kind", "plane", "area", "iou", "status", "error"]
    pd.testing.assert_frame_equal(
        objects[columns].sort_values(["kind", "plane", "area", "iou"], ignore_index=True),
        mine.assign(plane=mine[f"centroid_{axis}"].round().astype("Int64"))[columns].sort_values(
            ["kind", "plane", "area", "iou"], ignore_index=True
        ),
        check_dtype=False,
    )


# --- hand-made cases: the plane axis, bad and empty stacks, progress and cancel (review30)


def unreadable(shape: tuple[int, ...], dtype=np.uint16):
    """A chunked stack whose every read fails the test: what is checked before any pass."""

    def read(block):
        raise AssertionError("a pixel was read")

    return da.zeros(shape, dtype, chunks=1).map_blocks(
        read, dtype=dtype, meta=np.empty((0,) * len(shape), dtype)
    )


def list_steps(steps):
    """Run an evaluation's steps to the end: its record."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


@pytest.mark.parametrize(
    "settings",
    [
        {"kind": "semantic"},
        {"kind": "both"},
        {"kind": "instance"},
        {"kind": "both", "label_each_plane": False},
    ],
)
@pytest.mark.parametrize("axis", [3, -4])
def test_a_plane_axis_out_of_range_is_refused_before_anything_is_read(axis, settings):
    # a 3-D stack has axes 0, 1, 2 (or -3, -2, -1): no axis 3 nor -4 to cut it along
    stack = unreadable((2, 3, 4))
    settings = {"label_each_plane": True, **settings}
    message = f"axis {axis} cannot split 3-D images into planes."
    with pytest.raises(ValueError, match=f"^{message}$"):
        evaluate(stack, stack, plane_axis=axis, **settings)


def test_a_negative_plane_axis_counts_from_the_last_and_the_record_says_it_from_0():
    # One frame of 2 x 2 pixels, cut along the last axis (-1, i.e. 2): plane k is column k.
    # The true track 1 lies in both columns; the prediction's 5 only in column 0.
    true = np.array([[[1, 1], [0, 0]]])
    pred = np.array([[[5, 0], [0, 0]]])
    record = evaluate(true, pred, plane_axis=-1, label_each_plane=True, iou_thresholds=(0.5,))
    assert record.settings.plane_axis == 2
    # column 0: 1 matches 5 (IoU 1/1), F1 1; column 1: 1 is missed, F1 0
    assert record.tables["per_plane"]["f1_50"].tolist() == [1.0, 0.0]
    # the stack: two true objects (the track split), one matched: F1 = 2 x 1 / (2 + 1 + 0)
    summary = record.instance.summary
    assert int(summary["n_true"]) == 2 and float(summary["f1_50"]) == pytest.approx(2 / 3)
    objects = record.objects_at(0.5)
    true_rows = objects[objects["kind"] == "true"]
    assert true_rows["label"].tolist() == [1, 1] and true_rows["plane"].tolist() == [0, 1]
    assert true_rows["status"].tolist() == ["TP", "FN"]
    same = evaluate(true, pred, plane_axis=2, label_each_plane=True, iou_thresholds=(0.5,))
    for name, table in same.tables.items():
        pd.testing.assert_frame_equal(table, record.tables[name], obj=name)


@pytest.mark.parametrize("lazy", [False, True])
def test_frame_by_frame_semantic_compares_foreground_as_one_volume_does(lazy):
    # Foreground (> 0) against background: a negative id (-1) is background as anywhere else,
    # not refused (one volume accepts it too).
    true = np.array([[[1, 1]], [[2, 0]]])
    pred = np.array([[[3, -1]], [[4, 0]]])  # foreground [[1, 0]], [[1, 0]]
    if lazy:
        true, pred = da.from_array(true, chunks=1), da.from_array(pred, chunks=1)
    record = evaluate(true, pred, kind="semantic", plane_axis=0, label_each_plane=True)
    per_plane = record.tables["per_plane"]
    # plane 0: truth [1, 1], prediction [1, 0]: class 0 IoU 0/1, class 1 IoU 1/2; accuracy 1/2
    # plane 1: truth [1, 0], prediction [1, 0]: both classes IoU 1; accuracy 1
    assert per_plane["mean_iou"].tolist() == [0.25, 1.0]
    assert per_plane["pixel_accuracy"].tolist() == [0.5, 1.0]
    # the stack: class 0 IoU 1/2 (1 pixel of 2), class 1 IoU 2/3; accuracy 3/4
    summary = record.semantic.summary
    assert float(summary["mean_iou"]) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert float(summary["pixel_accuracy"]) == 0.75


@pytest.mark.parametrize("lazy", [False, True])
def test_frame_by_frame_a_float_prediction_without_a_threshold_is_refused(lazy):
    # Float values are not ids (a probability map's 0.3 would be foreground): refused, frame by
    # frame as for one volume, naming threshold=.
    true = np.array([[[1, 1]], [[2, 0]]])
    pred = np.array([[[0.9, 0.3]], [[0.8, 0.0]]])
    if lazy:
        true, pred = da.from_array(true, chunks=1), da.from_array(pred, chunks=1)
    with pytest.raises(TypeError, match="give threshold="):
        evaluate(true, pred, kind="semantic", plane_axis=0, label_each_plane=True)


def test_object_classes_of_a_chunked_stack_are_matched_with_progress_and_cancel():
    true = np.zeros((2, 4, 4), np.uint16)
    true[:, :2, :2], true[:, 2:, 2:] = 1, 2  # two tracks
    classes = np.ones(true.shape, np.uint8)
    classes[:, 2:, 2:] = 2
    chunks = (1, 2, 2)
    lazy = [da.from_array(a, chunks=chunks) for a in (true, true, classes)]
    settings = EvaluationSettings(plane_axis=0, label_each_plane=True, iou_thresholds=(0.5,))
    reports = []
    steps = evaluation_steps(
        lazy[0],
        lazy[1],
        settings,
        true_classes=lazy[2],
        pred_classes=lazy[2],
        control=RunControl(reports.append),
    )
    record = list_steps(steps)
    assert record.instance.per_class["tp"].tolist() == [2, 2]  # each class: its track's 2
    # the class images' chunks are read in the step that matches the objects, watched
    assert "instance matching" in [message for _, message in reports]
    control = RunControl()

    def cancel_in_matching(step):
        if step[1] == "instance matching":
            control.cancel()

    control.report = cancel_in_matching
    with pytest.raises(Cancelled):
        list_steps(
            evaluation_steps(
                lazy[0],
                lazy[1],
                settings,
                true_classes=lazy[2],
                pred_classes=lazy[2],
                control=control,
            )
        )


@pytest.mark.parametrize("shape", [(0, 5, 6), (3, 0, 5)])
@pytest.mark.parametrize("kind", ["both", "semantic", "instance"])
def test_an_empty_stack_is_refused_naming_its_shape(shape, kind):
    empty = np.zeros(shape, np.uint16)
    with pytest.raises(ValueError, match=re.escape(f"ground truth is empty (shape {shape})")):
        evaluate(empty, empty, kind=kind, plane_axis=0, label_each_plane=True)


@pytest.mark.parametrize(
    ("true", "pred", "error", "message"),
    [
        (unreadable((2, 3, 4), np.float64), unreadable((2, 3, 4)), TypeError, "ground truth must"),
        (unreadable((2, 3, 4)), unreadable((2, 3, 5)), ValueError, "shape mismatch"),
    ],
)
def test_stacks_that_do_not_fit_are_refused_before_the_pass(true, pred, error, message):
    with pytest.raises(error, match=message):
        evaluate(true, pred, plane_axis=0, label_each_plane=True)


def test_a_stack_in_memory_is_cancelled_between_its_planes(monkeypatch):
    from napari_seg_eval import evaluation

    stack = np.ones((6, 3, 3), np.uint16)
    control = RunControl()
    counted = []
    overlap_table = evaluation.overlap_table

    def clicked_during_the_first_plane(*args, **kwargs):
        counted.append(1)
        control.cancel()  # as the dock's Cancel, from the other thread
        return overlap_table(*args, **kwargs)

    monkeypatch.setattr(evaluation, "overlap_table", clicked_during_the_first_plane)
    settings = EvaluationSettings(plane_axis=0, label_each_plane=True)
    with pytest.raises(Cancelled):
        list_steps(evaluation.evaluation_steps(stack, stack, settings, control=control))
    assert len(counted) == 1  # the other 5 planes are not counted


def test_frame_by_frame_progress_moves_a_step_at_a_time():
    from napari_seg_eval.evaluation import PLANES_PASS

    stack = np.ones((4, 3, 3), np.uint16)
    reports = []
    steps = evaluation_steps(
        stack,
        stack,
        EvaluationSettings(plane_axis=0, label_each_plane=True),
        control=RunControl(reports.append),
    )
    said = []
    while True:
        try:
            said.append(next(steps))
        except StopIteration:
            break
    # Each step weighs 1, the one pass over the planes as much as all the steps after it:
    # both kinds' results of the stack (2), the objects' measurements (1) and both kinds'
    # results of each plane (2), so 5; with building the tables (1) 5 + 5 + 1 = 11 in all.
    assert said == [
        (0.0, "reading layers"),
        (0.0, PLANES_PASS),
        (5 / 11, "semantic metrics"),
        (6 / 11, "instance matching"),
        (7 / 11, "measuring objects"),
        (8 / 11, "semantic metrics plane by plane"),
        (9 / 11, "instance metrics plane by plane"),
        (1.0, "building tables"),
    ]
    # in memory the pass says after each of the 4 planes how far it is: 5/11 x k/4
    assert [message for _, message in reports] == [PLANES_PASS] * 4
    assert [f for f, _ in reports] == pytest.approx([5 / 11 * k / 4 for k in range(1, 5)])


def test_a_chunked_region_does_not_change_how_a_chunked_map_is_averaged():
    # Each frame one object of 64 pixels; the means of a chunked map add its chunks' sums (as
    # measure_both does), so a region chunked otherwise (3 x 3 pixels) must not cut them:
    # the means are those with the region in memory, to the last bit.
    rng = np.random.default_rng(0)
    true = np.ones((3, 8, 8), np.uint16)
    confidence = da.from_array(rng.random(true.shape), chunks=(1, 8, 8))
    region = np.ones(true.shape, bool)
    settings = {"plane_axis": 0, "label_each_plane": True}
    expected = evaluate(true, true, confidence=confidence, region=region, **settings)
    lazy_region = da.from_array(region, chunks=(1, 3, 3))
    got = evaluate(true, true, confidence=confidence, region=lazy_region, **settings)
    pd.testing.assert_frame_equal(expected.measurements, got.measurements, check_exact=True)
