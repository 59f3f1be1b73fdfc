"""The pixel sweep's ranking metrics (AP, ROC AUC, the curves) off the threshold grid.

AP and AUC come from bins 64 times finer than the 1,000-step grid (1 / 64,000 wide), so two
probabilities inside one grid step no longer count as tied; the per-threshold table is still
exactly that of threshold_probabilities at the grid's thresholds.
"""

import math
import warnings

import dask.array as da
import numpy as np
import pytest

from napari_seg_eval import threshold_probabilities, threshold_sweep
from napari_seg_eval.core import confidence
from napari_seg_eval.core.threshold import threshold_in_dtype


def pairwise_auc(true: np.ndarray, prob: np.ndarray) -> float:
    """ROC AUC from its definition: P(a positive's p > a negative's p), equal pairs 1/2."""
    positive, negative = prob[true], prob[~true]
    greater = np.count_nonzero(positive[:, None] > negative[None, :])
    equal = np.count_nonzero(positive[:, None] == negative[None, :])
    return (greater + equal / 2) / (positive.size * negative.size)


def ranked_ap(true: np.ndarray, prob: np.ndarray) -> float:
    """AP from its definition: down the distinct probabilities, each predicting every pixel at
    or above it, the recall gained times the precision there."""
    total, previous_recall = 0.0, 0.0
    for score in np.unique(prob)[::-1]:
        predicted = prob >= score
        tp = np.count_nonzero(predicted & true)
        recall = tp / np.count_nonzero(true)
        total += (recall - previous_recall) * tp / np.count_nonzero(predicted)
        previous_recall = recall
    return total


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_two_pixels_in_one_grid_step_rank_apart(dtype):
    true = np.array([[0, 1]])
    prob = np.array([[0.5003, 0.5007]], dtype)
    sweep = threshold_sweep(true, prob)
    # The positive (0.5007) ranks above the negative (0.5003): at a threshold between them
    # recall is 1/1 at precision 1/1, so AP = 1 x 1 = 1; the ROC curve climbs to tpr 1 at
    # fpr 0, then runs to (1, 1): AUC = 1. (Both lie in the grid step (0.500, 0.501]; in bins
    # of 1 / 64,000 they are in bins ceil(32019.2) = 32020 and ceil(32044.8) = 32045.)
    assert sweep.summary["average_precision"] == 1.0
    assert sweep.summary["roc_auc"] == 1.0
    assert sweep.roc_curve.values.tolist() == [[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    # the table is as before: both above 0.500, neither above 0.501
    assert sweep.per_threshold.loc[500, ["threshold", "tp", "fp"]].tolist() == [0.5, 1, 1]
    assert sweep.per_threshold.loc[501, ["threshold", "tp", "fp"]].tolist() == [0.501, 0, 0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_ties_count_half_as_scikit_learn_trapezoid(dtype):
    # positives 0.4127 and 0.4123, negatives 0.4123 and 0.4121: all in the grid step
    # (0.412, 0.413], each in its own 1 / 64,000 bin but for the exact tie at 0.4123.
    true = np.array([1, 1, 0, 0])
    prob = np.array([0.4127, 0.4123, 0.4123, 0.4121], dtype)
    sweep = threshold_sweep(true, prob)
    # AUC over the 2 x 2 (positive, negative) pairs: (0.4127, 0.4123) 1, (0.4127, 0.4121) 1,
    # (0.4123, 0.4123) 1/2, (0.4123, 0.4121) 1 -> 3.5 / 4 = 0.875. As a trapezoid: (0, 0) ->
    # (0, 1/2) after 0.4127 -> (1/2, 1) after the tie (area 1/2 x (1/2 + 1) / 2 = 0.375)
    # -> (1, 1) (area 1/2 x 1 = 0.5): 0.875.
    assert sweep.summary["roc_auc"] == pytest.approx(0.875, abs=1e-15)
    assert sweep.roc_curve.values.tolist() == [[0, 0], [0, 0.5], [0.5, 1], [1, 1]]
    # AP: 0.4127 gives recall 1/2 at precision 1/1; the tie gives recall 1 at precision 2/3;
    # 0.4121 adds no recall: 1/2 x 1 + 1/2 x 2/3 = 5/6.
    assert sweep.summary["average_precision"] == pytest.approx(5 / 6, abs=1e-15)
    np.testing.assert_allclose(sweep.pr_curve.values, [[0.5, 1], [1, 2 / 3], [1, 0.5]])


def test_a_constant_map_is_one_step_of_the_curves():
    # every pixel at 0.5: one tie of 2 positives and 2 negatives, AUC 1/2 (a trapezoid from
    # (0, 0) to (1, 1)), AP = recall 1 x precision 2/4 = 1/2; no point but these two moves
    sweep = threshold_sweep(np.array([[1, 0], [1, 0]]), np.full((2, 2), 0.5))
    assert sweep.summary["roc_auc"] == 0.5
    assert sweep.summary["average_precision"] == 0.5
    assert sweep.roc_curve.values.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert sweep.pr_curve.values.tolist() == [[1.0, 0.5]]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(3))
def test_ranking_agrees_with_the_definitions_off_the_grid(dtype, seed):
    rng = np.random.default_rng(seed)
    # 1,500 levels (i + 1/2) / 1,500, 6.7e-4 apart: often two in one grid step (1e-3), never
    # two in one 1 / 64,000 bin; drawn with repeats, so with many exact ties too
    prob = ((rng.integers(0, 1500, 3000) + 0.5) / 1500).astype(dtype)
    true = rng.random(3000) < prob  # positives more likely at high p
    sweep = threshold_sweep(true, prob)
    assert sweep.summary["roc_auc"] == pytest.approx(pairwise_auc(true, prob), abs=1e-12)
    assert sweep.summary["average_precision"] == pytest.approx(ranked_ap(true, prob), abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_ranking_agrees_with_scikit_learn_off_the_grid(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    prob = (rng.permutation(4000) + 0.5) / 4000  # 2.5e-4 apart, four to a grid step
    true = rng.random(4000) < prob
    sweep = threshold_sweep(true, prob)
    assert sweep.summary["average_precision"] == pytest.approx(
        metrics.average_precision_score(true, prob), abs=1e-12
    )
    assert sweep.summary["roc_auc"] == pytest.approx(metrics.roc_auc_score(true, prob), abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_chunked_equals_in_memory_and_the_definitions(dtype):
    rng = np.random.default_rng(7)
    prob = ((rng.integers(0, 1500, (60, 70)) + 0.5) / 1500).astype(dtype)
    true = (rng.random((60, 70)) < prob).astype(np.uint8)
    region = rng.random((60, 70)) < 0.8
    # random, uneven chunks along both axes
    chunks = tuple(
        tuple(np.diff(np.r_[0, np.sort(rng.choice(np.arange(1, n), 4, replace=False)), n]))
        for n in prob.shape
    )
    lazy = [da.from_array(array, chunks=chunks) for array in (true, prob, region)]
    for kwargs, lazy_kwargs, inside in (
        ({}, {}, np.ones_like(region)),
        ({"region": region}, {"region": lazy[2]}, region),
    ):
        in_memory = threshold_sweep(true, prob, **kwargs)
        chunked = threshold_sweep(lazy[0], lazy[1], **lazy_kwargs)
        for name in ("per_threshold", "pr_curve", "roc_curve"):
            assert getattr(chunked, name).equals(getattr(in_memory, name)), name
        assert chunked.summary.equals(in_memory.summary)
        kept_true, kept_prob = true[inside] > 0, prob[inside]
        assert chunked.summary["roc_auc"] == pytest.approx(
            pairwise_auc(kept_true, kept_prob), abs=1e-12
        )
        assert chunked.summary["average_precision"] == pytest.approx(
            ranked_ap(kept_true, kept_prob), abs=1e-12
        )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_table_is_threshold_probabilities_at_every_grid_threshold(dtype):
    # A guard, not new behaviour: the table now comes from every 64th fine bin, and must
    # still say exactly what threshold_probabilities says for values on either side of (and
    # at) each of the 1,001 thresholds, as the data's dtype sees them.
    kind = np.dtype(dtype).type
    at = np.array([threshold_in_dtype(k / 1000, dtype) for k in range(1001)], dtype)
    below, above = np.nextafter(at, kind(-1)), np.nextafter(at, kind(2))
    prob = np.clip(np.concatenate([below, at, above]), 0, 1).astype(dtype)
    true = np.random.default_rng(3).random(prob.size) < 0.5
    table = threshold_sweep(true, prob).per_threshold
    tp, fp = np.empty(1001, np.int64), np.empty(1001, np.int64)
    for k in range(1001):
        foreground = threshold_probabilities(prob, k / 1000).astype(bool)
        tp[k] = np.count_nonzero(foreground & true)
        fp[k] = np.count_nonzero(foreground & ~true)
    np.testing.assert_array_equal(table["tp"], tp)
    np.testing.assert_array_equal(table["fp"], fp)


def test_float32_fast_count_is_the_exact_count_at_every_fine_threshold():
    # A guard of _thresholds_below's fast path (float32, ceil(p * bins) with no correction) at
    # 64,000 bins: float32 values at and beside every j / 64,000 must get the count that the
    # corrected path gives them (the same values as float64: exact, compared with the float64
    # thresholds, which a float32 p sees as threshold_in_dtype does).
    bins = 64_000
    edges = (np.arange(bins + 1) / bins).astype(np.float32)
    values = np.concatenate(
        [np.nextafter(edges, np.float32(-1)), edges, np.nextafter(edges, np.float32(2))]
    )
    values = np.clip(values, 0, 1).astype(np.float32)
    fast = confidence._thresholds_below(values, bins)
    exact = confidence._thresholds_below(values.astype(np.float64), bins)
    np.testing.assert_array_equal(fast, exact)


def test_no_positive_pixel_has_no_best_threshold():
    true = np.zeros((1, 3), int)
    prob = np.array([[0.2, 0.6, 0.6]])
    # IoU = TP / (TP + FP + FN) with TP = FN = 0: 0 / FP = 0 below 0.6 (something predicted),
    # 0 / 0 from 0.6 up (nothing predicted). No threshold is better than another: no best.
    with pytest.warns(RuntimeWarning, match="no positive pixel, so iou is 0 or undefined"):
        sweep = threshold_sweep(true, prob, steps=10)
    assert math.isnan(sweep.summary["best_threshold"])
    assert math.isnan(sweep.summary["best_value"])
    # Accuracy still ranks: TN / 3 is 0 below 0.2, 1/3 from 0.2, 1 from 0.6 (p > 0.6 false):
    # the lowest threshold with accuracy 1 is 0.6.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # accuracy is defined: nothing to warn of
        by_accuracy = threshold_sweep(true, prob, steps=10, metric="accuracy")
    assert by_accuracy.summary["best_threshold"] == 0.6
    assert by_accuracy.summary["best_value"] == 1.0
