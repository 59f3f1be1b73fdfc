"""Cell Tracking Challenge SEG and DET against hand-computed values."""

import math

import numpy as np
import pytest

from napari_seg_eval.core.tracking import ctc_metrics


def counts(result):
    return {key: int(result[key]) for key in ("n_true", "n_pred", "fn", "fp", "ns")}


def test_exactly_half_of_the_truth_is_no_match():
    # T has 4 pixels; P covers 2 of them: |T ∩ P| = 0.5 |T| is not > 0.5 |T|.
    true = np.array([[1, 1, 1, 1, 0, 0]])
    pred = np.array([[0, 0, 2, 2, 2, 0]])
    result = ctc_metrics(true, pred)
    assert counts(result) == {"n_true": 1, "n_pred": 1, "fn": 1, "fp": 1, "ns": 0}
    assert result["seg"] == 0
    assert result["det"] == 0  # AOGM-D = 10 + 1 = 11, capped at AOGM-D0 = 10


def test_just_over_half_matches():
    true = np.array([[1, 1, 1, 1, 0, 0]])
    pred = np.array([[0, 2, 2, 2, 2, 0]])  # 3 of 4 pixels, IoU 3 / 5
    result = ctc_metrics(true, pred)
    assert counts(result) == {"n_true": 1, "n_pred": 1, "fn": 0, "fp": 0, "ns": 0}
    assert result["seg"] == pytest.approx(3 / 5)
    assert result["det"] == 1


def test_merged_prediction_needs_one_split():
    # 5 holds 3 of the 4 pixels of 1 and both pixels of 2: it matches both (NS = 1).
    true = np.array([[1, 1, 1, 1, 0, 2, 2]])
    pred = np.array([[5, 5, 5, 0, 0, 5, 5]])
    result = ctc_metrics(true, pred)
    assert counts(result) == {"n_true": 2, "n_pred": 1, "fn": 0, "fp": 0, "ns": 1}
    # IoU(1, 5) = 3 / (4 + 5 - 3); IoU(2, 5) = 2 / 5
    assert result["seg"] == pytest.approx((3 / 6 + 2 / 5) / 2)
    assert result["det"] == pytest.approx(1 - 5 / 20)


def test_prediction_merging_three_needs_two_splits():
    true = np.array([[1, 1, 0, 2, 2, 0, 3, 3, 0, 4]])
    pred = np.array([[7, 7, 7, 7, 7, 7, 7, 7, 0, 0]])
    result = ctc_metrics(true, pred)
    assert counts(result) == {"n_true": 4, "n_pred": 1, "fn": 1, "fp": 0, "ns": 2}
    assert result["det"] == pytest.approx(1 - (5 * 2 + 10 * 1) / 40)
    assert result["seg"] == pytest.approx(3 * (2 / 8) / 4)


def test_split_object_is_matched_by_its_larger_piece():
    # T (6 pixels) cut into P1 (4 pixels inside T) and P2 (2): P1 matches, P2 is a FP.
    true = np.array([[1, 1, 1, 1, 1, 1, 0]])
    pred = np.array([[3, 3, 3, 3, 4, 4, 0]])
    result = ctc_metrics(true, pred)
    assert counts(result) == {"n_true": 1, "n_pred": 2, "fn": 0, "fp": 1, "ns": 0}
    assert result["seg"] == pytest.approx(4 / 6)
    assert result["det"] == pytest.approx(1 - 1 / 10)


def test_object_split_in_halves_is_missed():
    true = np.array([[1, 1, 1, 1, 1, 1]])
    pred = np.array([[3, 3, 3, 4, 4, 4]])
    result = ctc_metrics(true, pred)
    assert counts(result) == {"n_true": 1, "n_pred": 2, "fn": 1, "fp": 2, "ns": 0}
    assert (result["seg"], result["det"]) == (0, 0)


def test_fn_fp_and_det_by_hand():
    true = np.zeros((10, 10), np.int32)
    pred = np.zeros_like(true)
    true[0:2, 0:2] = 1  # matched exactly
    pred[0:2, 0:2] = 9
    true[0:2, 5:7] = 2  # matched by 3 of its 4 pixels
    pred[0:2, 5:7] = 8
    pred[0, 5] = 0
    true[5:7, 0:2] = 3  # missed
    pred[8:10, 8:10] = 7  # spurious
    pred[5, 5] = 6  # spurious
    result = ctc_metrics(true, pred)
    assert counts(result) == {"n_true": 3, "n_pred": 4, "fn": 1, "fp": 2, "ns": 0}
    assert result["seg"] == pytest.approx((1 + 3 / 4) / 3)
    assert result["det"] == pytest.approx(1 - (10 * 1 + 2) / 30)


def test_det_is_capped_at_zero():
    true = np.zeros((1, 30), np.int32)
    true[0, 0] = 1
    pred = np.arange(30, dtype=np.int32)[None] + 1  # 1 match and 29 spurious objects
    result = ctc_metrics(true, pred)
    assert counts(result)["fp"] == 29
    assert result["det"] == 0


def test_no_true_object_is_undefined():
    true = np.zeros((4, 4), np.int32)
    pred = np.zeros_like(true)
    pred[1, 1] = 3
    result = ctc_metrics(true, pred)
    assert math.isnan(result["seg"]) and math.isnan(result["det"])
    assert counts(result) == {"n_true": 0, "n_pred": 1, "fn": 0, "fp": 1, "ns": 0}


def test_3d():
    true = np.zeros((4, 5, 5), np.int32)
    true[1:3, 1:4, 1:4] = 1  # 18 voxels
    pred = np.zeros_like(true)
    pred[1:3, 1:4, 2:4] = 2  # 12 of them
    result = ctc_metrics(true, pred)
    assert result["seg"] == pytest.approx(12 / 18)
    assert result["det"] == 1


def test_time_axis_pools_frames():
    # Frame 0: two true objects, one matched with IoU 1, one missed.
    # Frame 1: one true object matched with IoU 3/5; the same ids are reused.
    frame_0_true = np.array([[1, 1, 0, 2, 2, 0]])
    frame_0_pred = np.array([[1, 1, 0, 0, 0, 0]])
    frame_1_true = np.array([[1, 1, 1, 1, 0, 0]])
    frame_1_pred = np.array([[0, 2, 2, 2, 2, 0]])
    true = np.stack([frame_0_true, frame_1_true])
    pred = np.stack([frame_0_pred, frame_1_pred])
    result = ctc_metrics(true, pred, time_axis=0)
    assert counts(result) == {"n_true": 3, "n_pred": 2, "fn": 1, "fp": 0, "ns": 0}
    # the mean over all true objects, not the mean of the frames' SEG ((1/2 + 3/5) / 2)
    assert result["seg"] == pytest.approx((1 + 0 + 3 / 5) / 3)
    assert result["det"] == pytest.approx(1 - 10 / 30)
    last = ctc_metrics(np.moveaxis(true, 0, -1), np.moveaxis(pred, 0, -1), time_axis=-1)
    np.testing.assert_allclose(last.astype(float), result.astype(float))
    # Without a time axis, id 1 of both frames is one 3-D object: a different answer.
    assert ctc_metrics(true, pred)["n_true"] == 2


def test_series_fields():
    true = np.array([[1, 1, 0]])
    result = ctc_metrics(true, true)
    assert result.index.tolist() == ["seg", "det", "n_true", "n_pred", "fn", "fp", "ns"]
    assert (result["seg"], result["det"]) == (1, 1)


@pytest.mark.parametrize("axis", [2, -3, 0.5])
def test_bad_time_axis(axis):
    image = np.ones((2, 3), np.int32)
    with pytest.raises(ValueError, match="time_axis"):
        ctc_metrics(image, image, time_axis=axis)


def test_bad_input():
    image = np.ones((2, 3), np.int32)
    with pytest.raises(TypeError, match="integer label image"):
        ctc_metrics(image.astype(float), image)
    with pytest.raises(ValueError, match="shape mismatch"):
        ctc_metrics(image, image[:1])


def test_ctc_counts_add_up_over_images_to_the_pooled_scores():
    """Two images by hand: the docstring's merge (SEG sum 0.9, NS 1) and a missed object with
    a spurious prediction (FN 1, FP 1): pooled SEG 0.9 / 3, DET 1 - (5 + 11) / 30."""
    from napari_seg_eval.core.overlap import overlap_table
    from napari_seg_eval.core.tracking import ctc_counts, ctc_scores

    first = ctc_counts(
        overlap_table(np.array([[1, 1, 1, 1, 0, 2, 2]]), np.array([[5, 5, 5, 0, 0, 5, 5]]))
    )
    second = ctc_counts(overlap_table(np.array([[1, 1, 0, 0]]), np.array([[0, 0, 0, 3]])))
    assert (second["fn"], second["fp"], second["seg_sum"]) == (1, 1, 0.0)
    summed = {key: first[key] + second[key] for key in first}
    scores = ctc_scores(summed)
    assert scores["seg"] == pytest.approx(0.3)
    assert scores["det"] == pytest.approx(1 - 16 / 30)
    assert (scores["aogm_d"], scores["aogm_d0"]) == (16, 30)
    nothing = ctc_scores(ctc_counts(overlap_table(np.zeros((2, 2), int), np.zeros((2, 2), int))))
    assert np.isnan(nothing["seg"]) and np.isnan(nothing["det"])


def test_ctc_metrics_is_a_float64_summary_shown_with_integer_counts():
    """A float64 Series, as every result's summary; the dock's summary table shows its counts
    as integers (the catalogue's ctc table sums fn, fp and ns over images)."""
    from napari_seg_eval.evaluation import evaluate, result_tables

    # The merge of test_merged_prediction_needs_one_split: IoU(1, 5) = 3 / 6, IoU(2, 5) = 2 / 5,
    # SEG = (1/2 + 2/5) / 2 = 0.45; AOGM-D = 5 * 1 split = 5, AOGM-D0 = 10 * 2 = 20.
    true = np.array([[1, 1, 1, 1, 0, 2, 2]])
    pred = np.array([[5, 5, 5, 0, 0, 5, 5]])
    expected = {"seg": 0.45, "det": 0.75, "n_true": 2, "n_pred": 1, "fn": 0, "fp": 0, "ns": 1}
    result = ctc_metrics(true, pred)
    assert result.dtype == np.float64
    assert list(result.index) == list(expected)
    assert result.to_dict() == pytest.approx(expected)
    summary = result_tables(evaluate(true, pred, preset="ctc"))["summary"]
    shown = summary[summary["evaluation"] == "ctc"].set_index("metric")["value"]
    assert shown.to_dict() == pytest.approx(expected)
    assert [type(shown[key]) for key in ("n_true", "n_pred", "fn", "fp", "ns")] == [int] * 5


def test_a_time_series_of_volumes_without_time_axis_is_warned():
    """trial87: images of 4 axes (a time series of 3-D frames) without time_axis are matched as
    one volume; it says so. A 3-D image, or 4 axes of which one is of length 1, says nothing
    (a stack of 2-D frames cannot be told from a volume)."""
    import warnings

    # Two frames (t) of a 2 x 2 x 2 volume: object 1 in both frames, one pixel further right
    # in the second. Matched frame by frame: 2 true objects, 2 matches of IoU 1: SEG 1.
    true = np.zeros((2, 2, 2, 3), np.uint16)
    true[0, :, :, :2], true[1, :, :, 1:] = 1, 1
    with pytest.warns(RuntimeWarning, match="4 axes and no time_axis: they are matched as one"):
        as_one = ctc_metrics(true, true)
    assert int(as_one["n_true"]) == 1  # both frames' object 1 are one object
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_frame = ctc_metrics(true, true, time_axis=0)
        ctc_metrics(true[0], true[0])  # 3-D
        ctc_metrics(true[:1], true[:1])  # 4 axes, one of length 1: one volume
    assert int(by_frame["n_true"]) == 2 and float(by_frame["seg"]) == 1.0
