"""Object classes with semantic metrics by class (binarize_semantic off): the semantic side of
the run compares the two sides' CLASS images, each pixel's class (a class image's value; for a
mapping id -> class, the class of the object at that pixel, 0 on the background). Before, the
run was refused (it would have compared the truth's object ids as classes).

The oracle everywhere: ``evaluate(true class image, pred class image, kind="semantic")``
computed separately with the same include_background, and the truth's ignored pixels left out
as a region (the ignored id is a truth id, not a class).
"""

from __future__ import annotations

import contextlib
from contextlib import nullcontext

import dask.array as da
import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval.core.classes import check_classes
from napari_seg_eval.evaluation import ThresholdOptions
from napari_seg_eval.io import evaluate_files

BIG = 2**40  # ids far from 0..n, and above 2**32
HUGE = 2**63 + 5  # an id only uint64 holds


def painted(labels: np.ndarray, classes: dict[int, int]) -> np.ndarray:
    """The class of the object at each pixel (0 on the background), pixel by pixel."""
    out = np.zeros(labels.shape, np.int64)
    for label, value in classes.items():
        out[labels == label] = value
    return out


def case_2d() -> tuple[np.ndarray, np.ndarray, dict[int, int], dict[int, int]]:
    """Non-sequential huge ids (uint64) on both sides, four true classes (one never
    predicted), objects that overlap the other side's objects of other classes."""
    true = np.zeros((12, 12), np.uint64)
    pred = np.zeros((12, 12), np.uint64)
    true[0:5, 0:5] = BIG + 7
    true[6:12, 0:6] = 5
    true[2:8, 7:12] = 900
    true[9:12, 8:12] = HUGE
    pred[1:6, 0:5] = 3
    pred[6:12, 1:7] = BIG
    pred[3:9, 6:11] = 11
    pred[10:12, 9:12] = HUGE
    true_classes = {BIG + 7: 1, 5: 2, 900: 3, HUGE: 4}
    pred_classes = {3: 1, BIG: 3, 11: 3, HUGE: 4}
    return true, pred, true_classes, pred_classes


def oracle(true_classes, pred_classes, *, counted=None, include_background=True):
    """The semantic metrics of the two class images, by themselves."""
    return nse.evaluate(
        true_classes,
        pred_classes,
        kind="semantic",
        binarize_semantic=False,
        include_background=include_background,
        region=counted,
    ).semantic


def assert_same_semantic(got, expected) -> None:
    pd.testing.assert_frame_equal(
        got.per_class.reset_index(drop=True),
        expected.per_class.reset_index(drop=True),
        check_dtype=False,
    )
    pd.testing.assert_series_equal(got.summary, expected.summary)


def test_by_hand():
    """Truth: object 10 (class 1, 2 px), object 20 (class 2, 2 px), background 2 px.
    Prediction: object 7 (class 2) over pixels 1-3, object 8 (class 1) over pixel 4.
    Pixel classes, true [1 1 2 2 0 0], pred [0 2 2 2 1 0]: class 1 tp 0 (IoU 0/3), class 2
    tp 2 (IoU 2/3), class 0 tp 1 (IoU 1/3); mean IoU 1/3, pixel accuracy 3/6."""
    true = np.array([[10, 10, 20, 20, 0, 0]], np.uint16)
    pred = np.array([[0, 7, 7, 7, 8, 0]], np.uint16)
    record = nse.evaluate(
        true,
        pred,
        kind="both",
        binarize_semantic=False,
        true_classes={10: 1, 20: 2},
        pred_classes={7: 2, 8: 1},
    )
    per_class = record.semantic.per_class.set_index("class")
    assert per_class.index.tolist() == [0, 1, 2]
    np.testing.assert_allclose(per_class["iou"], [1 / 3, 0, 2 / 3])
    assert record.semantic.summary["mean_iou"] == pytest.approx(1 / 3)
    assert record.semantic.summary["pixel_accuracy"] == pytest.approx(0.5)
    # the images compared are the class images (the review's semantic error maps use them)
    np.testing.assert_array_equal(record.semantic_truth, [[1, 1, 2, 2, 0, 0]])
    np.testing.assert_array_equal(record.semantic_prediction, [[0, 2, 2, 2, 1, 0]])


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize(
    ("ignore_label", "with_region", "include_background"),
    [(None, False, True), (900, False, False), (0, True, True), (None, True, False)],
)
def test_mappings_give_the_class_images_metrics(
    chunked, ignore_label, with_region, include_background
):
    true, pred, true_classes, pred_classes = case_2d()
    region = np.ones(true.shape, bool)
    region[:, 10:] = False
    region = region if with_region else None
    counted = np.ones(true.shape, bool) if region is None else region.copy()
    if ignore_label is not None:
        counted &= true != ignore_label
    expected = oracle(
        painted(true, true_classes),
        painted(pred, pred_classes),
        counted=counted,
        include_background=include_background,
    )
    inputs = (true, pred)
    if chunked:  # read once with the instance tables: the classes' table follows from theirs
        inputs = tuple(da.from_array(image, chunks=5) for image in inputs)
    if ignore_label == 0:  # the background ignored: said of the instance side, as always
        background_ignored = pytest.warns(UserWarning, match="ignore_label=0 leaves out")
    else:
        background_ignored = contextlib.nullcontext()
    with background_ignored:
        record = nse.evaluate(
            *inputs,
            kind="both",
            binarize_semantic=False,
            include_background=include_background,
            ignore_label=ignore_label,
            region=region,
            true_classes=true_classes,
            pred_classes=pred_classes,
        )
    assert_same_semantic(record.semantic, expected)
    with background_ignored:
        instance_only = nse.evaluate(
            *inputs,
            kind="instance",
            ignore_label=ignore_label,
            region=region,
            true_classes=true_classes,
            pred_classes=pred_classes,
        )
    pd.testing.assert_frame_equal(record.instance.per_class, instance_only.instance.per_class)


@pytest.mark.parametrize("chunked", [False, True])
def test_class_images_3d_without_background(chunked):
    """3-D label images with no background on either side, class images that cut objects
    (a pixel's class is the class image's, not its object's majority)."""
    rng = np.random.default_rng(153)
    true = (
        1
        + (np.arange(6)[:, None, None] // 3 * 4 + np.arange(8)[None, :, None] // 2)
        + 0 * (np.arange(8)[None, None, :])
    )
    true = (true * 1000 + 3).astype(np.uint32)
    pred = (1 + rng.integers(0, 5, (6, 8, 8))).astype(np.uint16)
    true_classes = rng.integers(1, 4, true.shape).astype(np.uint8)  # no class 0 either
    pred_classes = rng.integers(0, 4, true.shape).astype(np.uint8)
    assert (true != 0).all() and (pred != 0).all()
    expected = oracle(true_classes, pred_classes, include_background=False)
    inputs = [true, pred, true_classes, pred_classes]
    if chunked:
        inputs = [da.from_array(image, chunks=(3, 4, 5)) for image in inputs]
    record = nse.evaluate(
        inputs[0],
        inputs[1],
        kind="both",
        binarize_semantic=False,
        include_background=False,
        true_classes=inputs[2],
        pred_classes=inputs[3],
    )
    assert_same_semantic(record.semantic, expected)


@pytest.mark.parametrize("chunked", [False, True])
def test_one_side_a_mapping_the_other_a_class_image(chunked):
    true, pred, true_classes, _ = case_2d()
    pred_class_image = (np.arange(144).reshape(12, 12) % 5).astype(np.int32)
    expected = oracle(painted(true, true_classes), pred_class_image, counted=true != 5)
    inputs = [true, pred, pred_class_image]
    if chunked:
        inputs = [da.from_array(image, chunks=(5, 7)) for image in inputs]
    record = nse.evaluate(
        inputs[0],
        inputs[1],
        kind="both",
        binarize_semantic=False,
        ignore_label=5,
        true_classes=true_classes,
        pred_classes=inputs[2],
    )
    assert_same_semantic(record.semantic, expected)


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("classes_as", ["mapping", "image"])
def test_plane_by_plane(chunked, classes_as):
    """A 3-D stack evaluated plane by plane: the stack's semantic metrics and each plane's are
    those of the class images (of the stack, of the plane)."""
    true, pred, true_classes, pred_classes = case_2d()
    true = np.stack([true, np.roll(true, 3, axis=1), np.zeros_like(true)])
    pred = np.stack([pred, pred, np.roll(pred, -2, axis=0)])
    true_image, pred_image = painted(true, true_classes), painted(pred, pred_classes)
    given = (true_classes, pred_classes) if classes_as == "mapping" else (true_image, pred_image)
    counted = true != 900
    inputs = [true, pred, *given]
    if chunked:
        inputs = [
            da.from_array(x, chunks=(2, 5, 12)) if isinstance(x, np.ndarray) else x for x in inputs
        ]
    record = nse.evaluate(
        inputs[0],
        inputs[1],
        kind="both",
        binarize_semantic=False,
        ignore_label=900,
        plane_axis=0,
        true_classes=inputs[2],
        pred_classes=inputs[3],
    )
    assert_same_semantic(record.semantic, oracle(true_image, pred_image, counted=counted))
    per_plane = record.planes["semantic"].per_image
    for k in range(3):
        expected = oracle(true_image[k], pred_image[k], counted=counted[k])
        row = per_plane.iloc[k]
        for key in ("mean_iou", "pixel_accuracy", "n_pixels"):
            assert row[key] == pytest.approx(expected.summary[key], nan_ok=True), (k, key)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_maps_own_classes(chunked):
    """A probability map with a class axis gives the prediction's classes (its argmax above the
    threshold): the semantic side compares the truth's classes with the map's."""
    true, _, true_classes, _ = case_2d()
    rng = np.random.default_rng(5)
    prob = rng.random((4, 12, 12)).astype(np.float32)
    prob /= prob.sum(axis=0)
    options = ThresholdOptions(channel_axis=0, background_channel=True)  # channel k: class k
    map_classes = nse.threshold_probabilities(prob, 0.3, channel_axis=0, class_ids=range(4))
    expected = oracle(painted(true, true_classes), np.asarray(map_classes))
    # at 0.3 some pixels' top class is below it: said for a map in memory (not read again else)
    said = nullcontext() if chunked else pytest.warns(UserWarning, match="use threshold 0")
    # the truth's class 4 is no class of the map's (0..3): said
    with pytest.warns(UserWarning, match="12 pixels of value 4.*classes run 0..3"), said:
        record = nse.evaluate(
            true,
            da.from_array(prob, chunks=(4, 5, 5)) if chunked else prob,
            threshold=0.3,
            threshold_options=options,
            kind="both",
            binarize_semantic=False,
            true_classes=true_classes,
        )
    assert_same_semantic(record.semantic, expected)


@pytest.mark.parametrize("chunked", [False, True])
def test_an_object_without_a_class_is_refused_as_on_the_instance_side(chunked):
    true, pred, true_classes, pred_classes = case_2d()
    del true_classes[900]
    inputs = (true, pred)
    if chunked:
        inputs = tuple(da.from_array(image, chunks=5) for image in inputs)
    messages = []
    for kind in ("instance", "both"):
        with pytest.raises(ValueError, match=r"true_classes gives no class for 1 object") as error:
            nse.evaluate(
                *inputs,
                kind=kind,
                binarize_semantic=False,
                true_classes=true_classes,
                pred_classes=pred_classes,
            )
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "[900]" in messages[1]


@pytest.mark.parametrize("fmt", ["npy", "zarr"])
def test_files_with_class_files(tmp_path, fmt):
    """evaluate_files with class files on both sides and semantic by class: each pair's, and
    the pooled, semantic metrics are those of its class files compared by themselves."""
    if fmt == "zarr":
        zarr = pytest.importorskip("zarr")
    true, pred, true_classes, pred_classes = case_2d()
    pairs = {
        "a": (true.astype(np.uint64), pred.astype(np.uint64)),
        "b": (np.roll(true, 4, axis=1), pred),
    }
    files = {}
    for name, (t, p) in pairs.items():
        files[f"truth/{name}"] = t
        files[f"truth/{name}_cls"] = painted(t, true_classes).astype(np.uint8)
        files[f"pred/{name}"] = p
        files[f"pred/{name}_cls"] = painted(p, pred_classes).astype(np.uint16)
    for path, image in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        if fmt == "npy":
            np.save(tmp_path / f"{path}.npy", image)
        else:
            array = zarr.create_array(
                str(tmp_path / f"{path}.zarr"), shape=image.shape, chunks=(5, 5), dtype=image.dtype
            )
            array[...] = image
    options = dict(truth_classes_suffix="_cls", prediction_classes_suffix="_cls", kind="all")
    got = evaluate_files(
        tmp_path / "truth",
        tmp_path / "pred",
        binarize_semantic=False,
        include_background=False,
        ignore_label=900,
        **options,
    )
    assert got.n_failed == 0
    semantic = got["semantic"]
    trues = [files[f"truth/{name}_cls"] for name in pairs]
    preds = [files[f"pred/{name}_cls"] for name in pairs]
    counted = [pairs[name][0] != 900 for name in pairs]
    for k in range(2):
        expected = oracle(trues[k], preds[k], counted=counted[k], include_background=False)
        row = semantic.per_image.iloc[k]
        for key in ("mean_iou", "mean_dice", "pixel_accuracy", "n_pixels"):
            assert row[key] == pytest.approx(expected.summary[key]), (k, key)
    pooled = nse.dataset_metrics(
        trues, preds, kind="semantic", region=counted, include_background=False
    )
    pd.testing.assert_frame_equal(semantic.pooled, pooled.pooled, check_dtype=False)
    # the instance side alone with the ignored id (a zarr truth failed every pair before)
    instance = evaluate_files(
        tmp_path / "truth", tmp_path / "pred", ignore_label=900, **{**options, "kind": "instance"}
    )
    assert instance.n_failed == 0
    pd.testing.assert_frame_equal(
        instance["instance"].per_class_pooled, got["instance"].per_class_pooled
    )


def test_a_mapping_with_ids_beyond_int64_beside_small_ones():
    """numpy makes [2**63 + 5, 5] floats: the mapping was refused as float ids."""
    spec = check_classes({HUGE: 4, 5: 2}, (2,), "true_classes")
    assert spec.ids.dtype == np.uint64
    assert spec.ids.tolist() == [5, HUGE] and spec.classes.tolist() == [2, 4]


def test_the_dock_with_class_layers_and_foreground_vs_background_unticked(make_napari_viewer):
    """The Evaluate tab with class layers of both sides and "foreground vs background"
    unticked: the record's semantic metrics are the class layers' (refused before)."""
    true, pred, true_classes, pred_classes = case_2d()
    true, pred = true.astype(np.uint32), pred.astype(np.uint32)  # napari's labels dtypes
    true_image, pred_image = painted(true, true_classes), painted(pred, pred_classes)
    viewer = make_napari_viewer()
    for name, image in (("truth", true), ("pred", pred)):
        viewer.add_labels(image, name=name)
    viewer.add_labels(true_image.astype(np.uint8), name="truth classes")
    viewer.add_labels(pred_image.astype(np.uint8), name="pred classes")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.set_classes("truth classes", "pred classes")
    widget.evaluate.binarize_check.setChecked(False)
    tables = widget.run_evaluation(wait=True)
    assert tables is not None, widget.evaluate.status_label.text()
    assert_same_semantic(widget.evaluation.semantic, oracle(true_image, pred_image))
