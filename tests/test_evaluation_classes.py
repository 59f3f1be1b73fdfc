"""The Evaluate tab's record (``evaluation.evaluate``) of a probability map: its semantic side
is the map's classes (its mask for one class), not its objects: neither their ids (a
multi-class map scored class by class) nor their pixels after ``min_size``."""

import dask.array as da
import numpy as np
import pytest

from napari_seg_eval.evaluation import ThresholdOptions, evaluate


def multiclass_case() -> tuple[np.ndarray, np.ndarray]:
    """Truth classes [[1, 2, 3], [1, 2, 2]]; a map of 3 classes (channel axis first) whose
    argmax, where its probability is above 0.5, is [[1, 2, 3], [0, 3, 2]] (class c is channel
    c - 1; 0 where no channel passes). By hand, per class: 0: 0/1 (one predicted pixel, not
    in the truth), 1: 1/2, 2: 2/3, 3: 1/2; mean IoU (background included) 5/12, pixel
    accuracy 4/6. Class 2 is two objects at connectivity 1 (its pixels touch diagonally)."""
    true = np.array([[1, 2, 3], [1, 2, 2]], np.uint8)
    predicted = np.array([[1, 2, 3], [0, 3, 2]])
    prob = np.full((3, 2, 3), 0.1, np.float32)
    for channel in range(3):
        prob[channel][predicted == channel + 1] = 0.9
    return true, prob


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("kind", ["semantic", "both"])
def test_a_multiclass_map_is_scored_by_its_classes(chunked, kind):
    """Regression (a new user's trial): with binarize_semantic off, the dock compared the
    truth's classes with the map's connected-component ids (classes 4 and 5 appeared, mean
    IoU 0.3056); the command line (--class-labels) gave the right 0.4167."""
    true, prob = multiclass_case()
    if chunked:
        true, prob = da.from_array(true, chunks=1), da.from_array(prob, chunks=(3, 1, 2))
    # pixel (1, 0): every channel 0.1, none above 0.5, background where the truth says 1: said
    with pytest.warns(UserWarning, match=r"^1 of 6 pixels \(16.7 %\) had no class above"):
        record = evaluate(
            true,
            prob,
            threshold=0.5,
            kind=kind,
            binarize_semantic=False,
            threshold_options=ThresholdOptions(channel_axis=0, connectivity=1),
        )
    summary = record.semantic.summary
    assert summary["mean_iou"] == pytest.approx(5 / 12)
    assert summary["pixel_accuracy"] == pytest.approx(4 / 6)
    per_class = record.semantic.per_class.set_index("class")["iou"]
    assert per_class.index.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(per_class.to_numpy(), [0, 1 / 2, 2 / 3, 1 / 2])


def debris_case() -> tuple[np.ndarray, np.ndarray]:
    """A map whose mask is [1, 1, 1, 0, 1, 0]: an object of 3 pixels and one of 1 pixel, which
    ``min_size=2`` drops; truth [1, 1, 0, 0, 2, 0]. By hand, foreground against background on
    the mask: foreground IoU 3/4 (pixels 0, 1, 4 of 4 in either), background 2/3 (3, 5 of
    2, 3, 5), mean IoU 17/24, pixel accuracy 5/6. (The objects after min_size would give
    1/2, 1/2, 1/2 and 4/6.) Instance: one object left, IoU 2/3 with truth 1; truth 2 missed."""
    true = np.array([[1, 1, 0, 0, 2, 0]], np.uint8)
    prob = np.array([[0.9, 0.9, 0.9, 0.1, 0.9, 0.1]], np.float32)
    return true, prob


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("kind", ["semantic", "both"])
def test_min_size_drops_objects_not_semantic_pixels(chunked, kind):
    """Regression: with min_size the dock scored the semantic side on the objects left after
    min_size (mean IoU 1/2), the command line on the thresholded mask (17/24)."""
    true, prob = debris_case()
    if chunked:
        true, prob = da.from_array(true, chunks=2), da.from_array(prob, chunks=2)
    record = evaluate(
        true, prob, threshold=0.5, kind=kind, threshold_options=ThresholdOptions(min_size=2)
    )
    summary = record.semantic.summary
    assert summary["mean_iou"] == pytest.approx(17 / 24)
    assert summary["pixel_accuracy"] == pytest.approx(5 / 6)
    if kind == "both":
        instance = record.instance.summary
        assert (instance["n_true"], instance["n_pred"]) == (2, 1)
        assert instance["f1_50"] == pytest.approx(2 / 3)  # TP 1, FP 0, FN 1
        # matched at 0.50-0.65 (IoU 2/3): AP (DSB) 4 * 1/2 / 10; PQ = SQ 2/3 * RQ 2/3
        assert instance["mean_accuracy"] == pytest.approx(0.2)
        assert instance["panoptic_quality_50"] == pytest.approx(4 / 9)
        assert instance["aji"] == pytest.approx(2 / 4)  # 2 / (3 + 1 of truth 2)


def test_min_size_semantic_as_the_command_line(tmp_path):
    """The same pair through evaluate_files (the command line's function) gives the same
    semantic numbers."""
    from napari_seg_eval.io import evaluate_files

    true, prob = debris_case()
    np.save(tmp_path / "truth.npy", true)
    np.save(tmp_path / "prob.npy", prob)
    result = evaluate_files(
        tmp_path / "truth.npy", tmp_path / "prob.npy", probability=True, min_size=2, kind="all"
    )
    row = result.to_frame().iloc[0]
    assert row["mean_iou"] == pytest.approx(17 / 24)
    assert row["pixel_accuracy"] == pytest.approx(5 / 6)


def test_a_semantic_run_of_a_chunked_map_makes_no_objects():
    """Semantic alone: the map's mask is scored and kept as the record's prediction; no
    objects are made, so "split touching" (which needs the whole mask) no longer refuses a
    chunked map. Hand values of debris_case: mean IoU 17/24."""
    true, prob = debris_case()
    options = ThresholdOptions(min_size=2, split_touching=True)
    record = evaluate(
        da.from_array(true, chunks=2),
        da.from_array(prob, chunks=2),
        threshold=0.5,
        kind="semantic",
        threshold_options=options,
    )
    assert record.semantic.summary["mean_iou"] == pytest.approx(17 / 24)
    np.testing.assert_array_equal(np.asarray(record.prediction), [[1, 1, 1, 0, 1, 0]])


def test_a_class_axis_of_a_2d_map_is_refused_before_any_pass():
    """Review: the dock's Run (and evaluate()) with a class axis on a 2-D map said "shape
    mismatch: ground truth (6, 6) vs prediction (6,)"; it now names the class axis."""
    true = np.zeros((6, 6), np.uint8)
    with pytest.raises(ValueError, match="2-D: its axis 0 as the class axis leaves no image"):
        evaluate(
            true,
            np.zeros((6, 6), np.float32),
            threshold=0.5,
            threshold_options=ThresholdOptions(channel_axis=0),
        )


def test_class_mappings_follow_objects_renumbered_plane_by_plane():
    """Regression (review): with a time axis labelled plane by plane, class mappings (id ->
    class) named the user's ids while the matching used ids renumbered per plane: "gives no
    class for ... ids [3]", ids the user never had. Two planes: truth 1 (class 1) in both,
    truth 2 (class 2) in plane 1; predicted 1 in both (exact) and a one-pixel 5 (class 2).
    By hand at IoU 0.5: class 1 TP 2; class 2 FN 1, FP 1; F1 4/6; class mean PQ (1 + 0) / 2."""
    true = np.zeros((2, 4, 4), np.int32)
    true[:, :2, :2] = 1
    true[1, 2:, 2:] = 2
    pred = np.where(true == 1, 1, 0).astype(np.int32)
    pred[1, 3, 0] = 5
    options = {"kind": "both", "plane_axis": 0, "label_each_plane": True}
    mappings = evaluate(true, pred, true_classes={1: 1, 2: 2}, pred_classes={1: 1, 5: 2}, **options)
    images = evaluate(
        true,
        pred,
        true_classes=np.where(true == 2, 2, (true > 0).astype(np.int32)),
        pred_classes=np.where(pred == 5, 2, (pred > 0).astype(np.int32)),
        **options,
    )
    for record in (mappings, images):
        summary = record.instance.summary
        assert summary["f1_50"] == pytest.approx(4 / 6)
        assert summary["class_mean_panoptic_quality_50"] == pytest.approx(0.5)
        at_50 = record.instance.per_class.query("threshold == 0.5").set_index("class")
        assert at_50[["tp", "fp", "fn"]].values.tolist() == [[2, 0, 0], [0, 1, 1]]
        pooled = record.planes["instance"].summary["class_mean_panoptic_quality_50_pooled"]
        assert pooled == pytest.approx(0.5)
