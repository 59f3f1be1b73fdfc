import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special

import napari_seg_eval as nse
from napari_seg_eval import (
    CalibrationResult,
    CocoAPResult,
    ThresholdSweepResult,
    apply_temperature,
    calibration,
    coco_average_precision,
    fit_temperature,
    instance_threshold_sweep,
    object_scores,
    threshold_probabilities,
    threshold_sweep,
)
from napari_seg_eval.core import confidence
from napari_seg_eval.core.platt import fit_platt

# 6 pixels: probabilities and truth
PROB = np.array([[0.1, 0.4, 0.35, 0.8, 0.5, 0.9]])
TRUE = np.array([[0, 0, 1, 1, 0, 1]])


def at(sweep, threshold):
    table = sweep.per_threshold
    return table[np.isclose(table["threshold"], threshold)].iloc[0]


def test_sweep_counts_by_hand():
    sweep = threshold_sweep(TRUE, PROB, steps=20)  # thresholds 0, 0.05, ..., 1
    # t = 0.3: foreground 0.4, 0.35, 0.8, 0.5, 0.9 -> TP 3 (0.35, 0.8, 0.9), FP 2, FN 0, TN 1
    assert at(sweep, 0.3)[["tp", "fp", "fn", "tn"]].tolist() == [3, 2, 0, 1]
    # t = 0.5 (strict): 0.5 is background -> TP 2, FP 0, FN 1, TN 3
    assert at(sweep, 0.5)[["tp", "fp", "fn", "tn"]].tolist() == [2, 0, 1, 3]
    assert at(sweep, 0.5)["iou"] == pytest.approx(2 / 3)
    assert at(sweep, 0.0)[["tp", "fp"]].tolist() == [3, 3]
    assert at(sweep, 1.0)[["tp", "fp"]].tolist() == [0, 0]
    assert math.isnan(at(sweep, 1.0)["precision"])


def test_sweep_best_threshold_by_hand():
    sweep = threshold_sweep(TRUE, PROB, steps=20, metric="iou")
    ious = sweep.per_threshold["iou"].to_numpy()
    # t in [0.3, 0.35): TP 3, FP 2, FN 0: 3/5. t in [0.4, 0.5): TP 2, FP 1, FN 1: 2/4.
    # t in [0.5, 0.8): TP 2, FP 0, FN 1: 2/3, the best; the lowest such threshold is reported
    assert at(sweep, 0.3)["iou"] == pytest.approx(3 / 5)
    assert at(sweep, 0.45)["iou"] == pytest.approx(2 / 4)
    assert sweep.summary["best_threshold"] == pytest.approx(0.5)
    assert sweep.summary["best_value"] == pytest.approx(2 / 3) == ious.max()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sweep_agrees_with_thresholding_on_the_grid(dtype):
    rng = np.random.default_rng(0)
    prob = np.round(rng.random((30, 40)), 2).astype(dtype)  # many values exactly on the grid
    true = rng.random((30, 40)) > 0.5
    sweep = threshold_sweep(true, prob, steps=100)
    for threshold in (0.0, 0.07, 0.3, 0.5, 0.7, 0.99, 1.0):
        mask = threshold_probabilities(prob, threshold).astype(bool)
        row = at(sweep, threshold)
        assert row["tp"] == np.count_nonzero(mask & true)
        assert row["fp"] == np.count_nonzero(mask & ~true)


def test_average_precision_and_auc_by_hand():
    prob = np.array([[0.9, 0.8, 0.7, 0.6]])
    true = np.array([[1, 0, 1, 0]])
    sweep = threshold_sweep(true, prob, steps=10)
    # ranked: +, -, +, -: AP = 0.5 * 1 + 0.5 * 2/3; AUC = 0.75
    assert sweep.summary["average_precision"] == pytest.approx(0.5 + 1 / 3)
    assert sweep.summary["roc_auc"] == pytest.approx(0.75)


def test_sweep_edge_cases():
    prob = np.array([[0.2, 0.6, 0.6]])
    all_positive = threshold_sweep(np.ones((1, 3), int), prob, steps=10)
    assert math.isnan(all_positive.summary["roc_auc"])
    assert all_positive.summary["average_precision"] == pytest.approx(1.0)
    with pytest.warns(RuntimeWarning, match="no positive pixel"):
        all_negative = threshold_sweep(np.zeros((1, 3), int), prob, steps=10)
    assert math.isnan(all_negative.summary["average_precision"])
    assert all_negative.per_threshold["recall"].isna().all()
    constant = threshold_sweep(np.array([[1, 0], [1, 0]]), np.full((2, 2), 0.5), steps=10)
    assert constant.summary["roc_auc"] == pytest.approx(0.5)
    assert constant.summary["average_precision"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="logits"):
        threshold_sweep(prob > 0.5, prob * 3)


def test_sweep_one_class_of_a_multiclass_map():
    prob = np.stack([np.array([[0.9, 0.1]]), np.array([[0.1, 0.9]])], axis=-1)
    true = np.array([[1, 2]])
    sweep = threshold_sweep(true, prob, class_id=2, channel_axis=-1, steps=10)
    assert at(sweep, 0.5)[["tp", "fp", "fn", "tn"]].tolist() == [1, 0, 0, 1]


def test_perfect_calibration_has_zero_ece():
    # in each bin the observed frequency equals the (single) probability value
    prob = np.repeat([0.0, 0.25, 0.5, 0.75, 1.0], 4)
    true = np.array([0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1])
    result = calibration(true, prob, n_bins=4)
    assert result.summary["ece"] == pytest.approx(0.0)
    assert result.summary["mce"] == pytest.approx(0.0)


def test_miscalibration_by_hand():
    # 10 pixels all at 0.9, of which 6 are positive: ECE = MCE = |0.6 - 0.9| = 0.3
    prob = np.full((2, 5), 0.9)
    true = np.array([[1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
    result = calibration(true, prob)
    assert result.summary["ece"] == pytest.approx(0.3)
    assert result.summary["mce"] == pytest.approx(0.3)
    assert result.summary["brier"] == pytest.approx((6 * 0.01 + 4 * 0.81) / 10)
    assert result.summary["nll"] == pytest.approx(-(6 * np.log(0.9) + 4 * np.log(0.1)) / 10)
    bins = result.bins[result.bins["count"] > 0]
    assert bins["observed_frequency"].tolist() == pytest.approx([0.6])
    assert bins["bin_lower"].tolist() == pytest.approx([13 / 15])


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, 200_000)
    truth = rng.random(logits.size) < 1 / (1 + np.exp(-logits))  # calibrated at T = 1
    over_confident = 1 / (1 + np.exp(-3 * logits))  # as if divided by T = 1/3
    temperature = fit_temperature(truth, over_confident)
    assert temperature == pytest.approx(3.0, rel=0.05)
    result = calibration(truth, over_confident, method="temperature")
    assert result.summary["ece_calibrated"] < result.summary["ece"] / 3
    calibrated = apply_temperature(over_confident, temperature)
    assert (
        calibrated.dtype == over_confident.dtype and 0 <= calibrated.min() < calibrated.max() <= 1
    )


def test_object_scores():
    labels = np.array([[1, 1, 0, 2]])
    prob = np.array([[0.2, 0.6, 0.0, 0.9]])
    assert object_scores(labels, prob)["score"].tolist() == pytest.approx([0.4, 0.9])
    assert object_scores(labels, prob, reduce="max")["score"].tolist() == pytest.approx([0.6, 0.9])
    assert object_scores(labels, prob, reduce="median")["score"].tolist() == pytest.approx(
        [0.4, 0.9]
    )


def segments(*spans, width=40):
    out = np.zeros((1, width), np.int32)
    for label, (start, stop) in enumerate(spans, start=1):
        out[0, start:stop] = label
    return out


def test_coco_ap_hand_ranked():
    # 2 true objects; detections (ids 1..3) ranked by score: d2 (TP), d1 (FP), d3 (TP)
    true = segments((0, 10), (20, 30))
    pred = segments((0, 10), (12, 15), (20, 30))
    scores = {1: 0.8, 2: 0.3, 3: 0.5}  # d1 matches t1; d2 false; d3 matches t2
    result = coco_average_precision(true, pred, {1: 0.9, 2: 0.8, 3: 0.5}, iou_thresholds=[0.5])
    # order d1 (TP), d2 (FP), d3 (TP): recall .5 @ precision 1, recall 1 @ precision 2/3
    # interpolated: recall points 0..0.5 (51) -> 1, 0.51..1 (50) -> 2/3
    eps = np.spacing(1)
    expected = (51 * (1 / (1 + eps)) + 50 * (2 / (3 + eps))) / 101
    assert result.per_threshold["ap"].iloc[0] == pytest.approx(expected, abs=1e-12)
    ranked_false_first = coco_average_precision(
        true, pred, {1: 0.5, 2: 0.9, 3: 0.4}, iou_thresholds=[0.5]
    )
    # order d2 (FP), d1 (TP), d3 (TP): precisions 0, 1/2, 2/3 -> envelope 2/3 everywhere
    assert ranked_false_first.per_threshold["ap"].iloc[0] == pytest.approx(2 / 3, abs=1e-9)
    assert coco_average_precision(true, pred, scores).summary["map"] > 0


def test_coco_ap_edge_cases():
    true = segments((0, 10))
    assert math.isnan(coco_average_precision(np.zeros_like(true), true, {1: 0.5}).summary["map"])
    assert coco_average_precision(true, np.zeros_like(true), {}).summary["map"] == 0.0


def test_coco_greedy_takes_highest_iou_unmatched():
    # one detection overlapping two true objects at IoU >= 0.3: the higher IoU one is taken,
    # and a later detection can still match the other
    true = segments((0, 6), (6, 10))
    pred = segments((0, 8), (6, 10))
    scores = {1: 0.9, 2: 0.8}
    result = coco_average_precision(true, pred, scores, iou_thresholds=[0.3])
    assert result.per_threshold["tp"].iloc[0] == 2


def test_instance_sweep_marks_the_best_threshold():
    true = np.zeros((10, 20), np.int32)
    true[2:5, 2:6] = 1
    true[2:5, 10:14] = 2
    prob = np.zeros((10, 20))
    prob[true == 1] = 0.7
    prob[true == 2] = 0.3
    prob[7:9, 15:18] = 0.5  # a false object below 0.5
    table = instance_threshold_sweep(true, prob, thresholds=[0.2, 0.4, 0.6])
    # 0.2: both true objects and the false one; 0.4: object 1 and the false one; 0.6: object 1
    assert table["n_pred"].tolist() == [3, 2, 1]
    assert table["f1_50"].tolist() == pytest.approx([4 / 5, 2 / 4, 2 / 3])
    assert table.loc[table["best"], "threshold"].tolist() == [0.2]


def test_instance_sweep_best_by_panoptic_quality_lowest_on_ties():
    # A = pixels 0-3 (p 0.9); B = pixels 6-9 (p 0.9, 0.9, 0.4, 0.4); a spurious pixel 11 (0.4).
    # t = 0.2 and 0.3: A, B exact and the spurious one: F1 = 4/5, PQ = 2 / (2 + 1/2) = 0.8.
    # t = 0.5: A exact, B's first half (IoU 2/4 = 0.5): F1 = 1, PQ = (1 + 0.5) / 2 = 0.75.
    true = np.array([[1, 1, 1, 1, 0, 0, 2, 2, 2, 2, 0, 0, 0]])
    prob = np.array([[0.9, 0.9, 0.9, 0.9, 0, 0, 0.9, 0.9, 0.4, 0.4, 0, 0.4, 0]])
    thresholds = [0.2, 0.3, 0.5]
    by_pq = instance_threshold_sweep(
        true, prob, thresholds=thresholds, metric="panoptic_quality_50"
    )
    assert by_pq["panoptic_quality_50"].tolist() == pytest.approx([0.8, 0.8, 0.75])
    assert by_pq["f1_50"].tolist() == pytest.approx([0.8, 0.8, 1.0])
    assert by_pq["best"].tolist() == [True, False, False]  # the tie goes to the lowest
    by_f1 = instance_threshold_sweep(true, prob, thresholds=thresholds, metric="f1_50")
    assert by_f1["best"].tolist() == [False, False, True]


def test_instance_sweep_passes_split_depth_to_the_labelling():
    # Two discs of radius 12, centres 22 apart, joined by a neck: the largest distance to the
    # background is about 12, so split_depth 20 can never split them, and 2 always does.
    yy, xx = np.mgrid[:40, :60]
    left = (yy - 20) ** 2 + (xx - 18) ** 2 < 144
    right = (yy - 20) ** 2 + (xx - 40) ** 2 < 144
    true = np.where(left, 1, 0) + np.where(right & ~left, 2, 0)
    prob = np.where(left | right, 0.9, 0.1)
    kwargs = {"thresholds": [0.5], "split_touching": True}
    split = instance_threshold_sweep(true, prob, split_depth=2.0, **kwargs).iloc[0]
    assert split["n_pred"] == 2 and split["f1_50"] == 1.0
    kept = instance_threshold_sweep(true, prob, split_depth=20.0, **kwargs).iloc[0]
    assert kept["n_pred"] == 1
    # the default is label_instances' default, 2.0
    default = instance_threshold_sweep(true, prob, **kwargs).iloc[0]
    assert default["n_pred"] == 2


# ---- 0.2: truth first, renamed keywords, result classes ----------------------------------


@pytest.mark.parametrize(
    "function", [threshold_sweep, instance_threshold_sweep, calibration, fit_temperature]
)
def test_old_argument_order_is_refused(function):
    with pytest.raises(TypeError, match=r"ground truth comes first since version 0\.2"):
        function(PROB, TRUE)  # the 0.1 order (prob, true)


def test_calibration_method_replaces_fit_temperature():
    prob = np.array([0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.2, 0.8])
    true = np.array([1, 1, 1, 0, 0, 1, 0, 0])
    with pytest.warns(DeprecationWarning, match=r"fit_temperature= is replaced by method="):
        old = calibration(true, prob, fit_temperature=True)
    new = calibration(true, prob, method="temperature")
    assert old.summary["temperature"] == new.summary["temperature"]
    assert old.summary["ece_calibrated"] == new.summary["ece_calibrated"]
    with pytest.warns(DeprecationWarning):
        off = calibration(true, prob, fit_temperature=False)
    assert "temperature" not in off.summary and "temperature" not in calibration(true, prob).summary
    with pytest.raises(TypeError, match="give only method="):
        calibration(true, prob, method="temperature", fit_temperature=True)


def test_calibration_unknown_method_lists_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"method must be one of None, 'temperature', 'platt'; got 'isotonic'"
    ):
        calibration(TRUE, PROB, method="isotonic")


# ---- calibration(method="platt") --------------------------------------------------------------


def _on_bin_centres(*logits: float) -> list[float]:
    """The centres of the calibration's logit histogram nearest to ``logits``: probabilities
    with exactly these logits are fitted without rounding."""
    centres = np.linspace(-confidence._LOGIT_RANGE, confidence._LOGIT_RANGE, confidence._LOGIT_BINS)
    return [float(centres[np.abs(centres - z).argmin()]) for z in logits]


def test_calibration_platt_by_hand():
    # Logit z1 ~ -1: 3 negatives, 1 positive; z2 ~ 2: 1 negative, 3 positives. Platt's targets
    # are 5/6 and 1/6, so the smoothed fractions of positives are 1/3 and 2/3, which the two
    # parameters fit exactly: slope = (logit(2/3) - logit(1/3)) / (z2 - z1) = 2 ln 2 / (z2 - z1),
    # intercept = logit(1/3) - slope z1 = -ln 2 - slope z1. The calibrated map is 1/3 where 1 in
    # 4 is positive and 2/3 where 3 in 4 are: ECE = 1/12, NLL = -(ln(1/3) + 3 ln(2/3)) / 4.
    z1, z2 = _on_bin_centres(-1.0, 2.0)
    prob = special.expit(np.array([z1] * 4 + [z2] * 4))
    true = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    summary = calibration(true, prob, method="platt").summary
    slope = 2 * np.log(2) / (z2 - z1)
    assert summary["platt_slope"] == pytest.approx(slope, rel=1e-9)
    assert summary["platt_intercept"] == pytest.approx(-np.log(2) - slope * z1, rel=1e-9)
    assert summary["ece_calibrated"] == pytest.approx(1 / 12, rel=1e-9)
    nll = -(np.log(1 / 3) + 3 * np.log(2 / 3)) / 4
    assert summary["nll_calibrated"] == pytest.approx(nll, rel=1e-9)
    # before: p1 = sigmoid(z1) against 1/4, p2 = sigmoid(z2) against 3/4
    p1, p2 = special.expit(z1), special.expit(z2)
    assert summary["ece"] == pytest.approx((abs(0.25 - p1) + abs(0.75 - p2)) / 2, rel=1e-9)
    # temperature scaling beside it: what method="temperature" reports
    by_temperature = calibration(true, prob, method="temperature").summary
    assert summary["temperature"] == by_temperature["temperature"]
    assert summary["ece_temperature"] == by_temperature["ece_calibrated"]
    assert summary["nll_temperature"] == by_temperature["nll_calibrated"]
    # and the parameters are fit_platt's
    assert (summary["platt_slope"], summary["platt_intercept"]) == fit_platt(true, prob)


def test_calibration_platt_corrects_a_bias_temperature_cannot():
    # At each logit z the truth is positive in a fraction sigmoid(z + 1) of 1,000 pixels: the
    # right recalibration is slope 1, intercept 1 (up to rounding and Platt's smoothing), which
    # no temperature gives (its intercept is 0).
    logits = _on_bin_centres(-2.0, -1.0, 0.0, 1.0, 2.0)
    prob, true = [], []
    for z in logits:
        positives = round(1000 * special.expit(z + 1))
        prob += [special.expit(z)] * 1000
        true += [1] * positives + [0] * (1000 - positives)
    summary = calibration(np.array(true), np.array(prob), method="platt").summary
    assert summary["platt_slope"] == pytest.approx(1.0, abs=0.01)
    assert summary["platt_intercept"] == pytest.approx(1.0, abs=0.01)
    assert summary["ece_calibrated"] < 0.002
    assert summary["nll_calibrated"] < summary["nll_temperature"] - 0.01


def test_calibration_platt_needs_both_classes():
    with pytest.raises(ValueError, match="found 0 positive and 4 negative"):
        calibration(np.zeros(4, int), np.full(4, 0.3), method="platt")


def test_calibration_platt_on_chunked_data_equals_numpy():
    da = pytest.importorskip("dask.array")
    z1, z2 = _on_bin_centres(-1.0, 2.0)
    prob = special.expit(np.array([z1] * 4 + [z2] * 4))
    true = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    expected = calibration(true, prob, method="platt").summary
    chunked = calibration(
        da.from_array(true, chunks=3), da.from_array(prob, chunks=3), method="platt"
    ).summary
    for key in ("platt_slope", "platt_intercept", "temperature"):
        assert chunked[key] == expected[key]
    for key in ("ece_calibrated", "nll_calibrated", "ece_temperature", "nll_temperature"):
        assert chunked[key] == pytest.approx(expected[key], rel=1e-12)


def test_object_scores_statistic_is_renamed_reduce():
    labels = np.array([[1, 1, 0, 2]])
    prob = np.array([[0.2, 0.6, 0.0, 0.9]])
    with pytest.warns(DeprecationWarning, match="statistic= is renamed reduce="):
        old = object_scores(labels, prob, statistic="max")
    assert old["score"].tolist() == [0.6, 0.9]
    with pytest.raises(ValueError, match=r"reduce must be one of 'mean', 'max', 'median'"):
        object_scores(labels, prob, reduce="sum")


def test_coco_thresholds_is_renamed_iou_thresholds():
    true = segments((0, 10), (20, 30))
    pred = segments((0, 10), (20, 24))  # IoU 1 and 0.4
    with pytest.warns(DeprecationWarning, match="thresholds= is renamed iou_thresholds="):
        old = coco_average_precision(true, pred, {1: 0.9, 2: 0.8}, thresholds=[0.3, 0.5])
    assert old.per_threshold["tp"].tolist() == [2, 1]
    assert old.per_threshold["threshold"].tolist() == [0.3, 0.5]


def test_instance_sweep_keeps_probability_thresholds_without_warning():
    true = np.array([[1, 1, 0, 2, 2]])
    prob = np.array([[0.9, 0.8, 0.1, 0.4, 0.4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = instance_threshold_sweep(true, prob, thresholds=[0.3, 0.5])
    # 0.3: two objects, both found (F1 1); 0.5: only object 1 (F1 = 2 / (2 + 0 + 1))
    assert table["n_pred"].tolist() == [2, 1]
    assert table["f1_50"].tolist() == pytest.approx([1.0, 2 / 3])


def test_result_classes_end_in_result_and_old_names_are_aliases():
    assert nse.ThresholdSweep is ThresholdSweepResult is confidence.ThresholdSweep
    assert nse.Calibration is CalibrationResult
    assert nse.CocoAP is CocoAPResult
    for name in ("ThresholdSweepResult", "CalibrationResult", "CocoAPResult"):
        assert name in nse.__all__


def test_results_compare_without_raising():
    sweeps = threshold_sweep(TRUE, PROB, steps=10), threshold_sweep(TRUE, PROB, steps=10)
    calibrations = calibration(TRUE, PROB), calibration(TRUE, PROB)
    true = segments((0, 10))
    cocos = (coco_average_precision(true, true, {1: 0.5}),) * 2
    for first, second in (sweeps, calibrations):
        assert (first == second) is False  # compared by identity: equal tables, two objects
    assert cocos[0] == cocos[1]
    assert "ThresholdSweepResult" in repr(sweeps[0])


# ---- every argument is checked before the first pass over the data ------------------------


@pytest.fixture
def no_pass(monkeypatch):
    """Fail the test if a function starts reading the data."""

    def reading(*args, **kwargs):
        raise AssertionError("the data was read before the arguments were checked")

    for name in ("fold", "object_measurements", "threshold_probabilities", "overlap_table"):
        monkeypatch.setattr(confidence, name, reading)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: threshold_sweep(TRUE, PROB, metric="jaccard"), ValueError, "metric must be"),
        (lambda: threshold_sweep(TRUE, PROB, steps=0), ValueError, "steps must be an integer"),
        (lambda: threshold_sweep(TRUE, PROB, steps=10.5), TypeError, "steps must be an integer"),
        (lambda: threshold_sweep(TRUE, PROB, class_id=1.5), TypeError, "class_id must be"),
        (lambda: threshold_sweep(TRUE, PROB, class_id=-1), ValueError, "class_id must be >= 0"),
        (lambda: calibration(TRUE, PROB, n_bins=0), ValueError, "n_bins must be an integer >= 1"),
        (lambda: calibration(TRUE, PROB, n_bins=2.5), TypeError, "n_bins must be an integer"),
        (lambda: calibration(TRUE, PROB, n_bins=True), TypeError, "n_bins must be an integer"),
        (lambda: calibration(TRUE, PROB, method=True), ValueError, "method must be one of"),
        (lambda: fit_temperature(TRUE, PROB, channel_axis=2), ValueError, "does not fit"),
        (lambda: object_scores(TRUE, PROB, reduce="min"), ValueError, "reduce must be one of"),
        (
            lambda: instance_threshold_sweep(TRUE, PROB, metric="f1"),
            ValueError,
            "metric must be one of 'f1_50', 'mean_accuracy', 'panoptic_quality_50'",
        ),
        (
            lambda: instance_threshold_sweep(TRUE, PROB, split_depth=0),
            ValueError,
            "split_depth must be a finite number of pixels > 0",
        ),
        (
            lambda: instance_threshold_sweep(TRUE, PROB, split_depth="deep"),
            TypeError,
            "split_depth must be a number",
        ),
        (
            lambda: instance_threshold_sweep(TRUE, PROB, min_size=-1),
            ValueError,
            "min_size must be a non-negative integer",
        ),
        (
            lambda: instance_threshold_sweep(TRUE, PROB, thresholds=[0.5, 1.5]),
            ValueError,
            r"in \[0, 1\]",
        ),
        (
            lambda: coco_average_precision(TRUE, TRUE, {}, iou_thresholds=[0.5, 0]),
            ValueError,
            r"in \(0, 1\]",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_pass(no_pass, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_bad_metric_is_reported_before_bad_data():
    logits = np.array([[-3.0, 0.5, 4.0]])  # out of range: found only by reading the data
    with pytest.raises(ValueError, match="metric must be one of"):
        threshold_sweep(np.array([[0, 1, 1]]), logits, metric="jaccard")
    with pytest.raises(ValueError, match="method must be one of"):
        calibration(np.array([[0, 1, 1]]), logits, method="isotonic")
    with pytest.raises(ValueError, match="reduce must be one of"):
        object_scores(np.array([[0, 1, 1]]), logits, reduce="mode")


# ---- defect 5: the curves end with every pixel predicted -----------------------------------


def test_average_precision_with_probabilities_exactly_zero():
    prob = np.array([0.0, 0.0, 0.8, 0.3])
    true = np.array([1, 0, 1, 0])
    sweep = threshold_sweep(true, prob, steps=10)
    # Ranked by score: 0.8 (+) -> recall 1/2 at precision 1; 0.3 (-) -> recall 1/2, precision
    # 1/2; the two zeros (+, -) -> recall 1 at precision 2/4. AP = 1/2 * 1 + 1/2 * 2/4 = 3/4.
    assert sweep.summary["average_precision"] == pytest.approx(0.75)
    # AUC = P(score of a positive > score of a negative), ties count 1/2: the pairs
    # (0.8, 0.3) 1, (0.8, 0) 1, (0, 0.3) 0, (0, 0) 1/2 -> 2.5 / 4.
    assert sweep.summary["roc_auc"] == pytest.approx(0.625)
    assert sweep.roc_curve.iloc[0].tolist() == [0.0, 0.0]
    assert sweep.roc_curve.iloc[-1].tolist() == [1.0, 1.0]
    assert sweep.pr_curve.iloc[-1].tolist() == [1.0, 0.5]  # recall 1, precision 2 / 4


def test_average_precision_end_point_adds_nothing_without_zeros():
    # every pixel is above t = 0 already: the end point repeats recall 1 and adds no area
    sweep = threshold_sweep(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.6]), steps=10)
    assert sweep.summary["average_precision"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


@pytest.mark.parametrize("seed", range(4))
def test_average_precision_and_auc_match_scikit_learn_on_the_grid(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    prob = np.round(rng.random(500) ** 3, 2)  # on the grid, with many exact zeros
    true = rng.random(500) < 0.2 + 0.6 * prob  # some of the zeros are positive
    sweep = threshold_sweep(true, prob, steps=100)
    assert sweep.summary["average_precision"] == pytest.approx(
        metrics.average_precision_score(true, prob), abs=1e-12
    )
    assert sweep.summary["roc_auc"] == pytest.approx(metrics.roc_auc_score(true, prob), abs=1e-12)


# ---- defect 6: the median object score in float64 ------------------------------------------


def test_median_score_is_not_rounded_to_float32():
    low = np.float32(0.5)
    high = np.nextafter(low, np.float32(1))  # 0.5 + 2**-24, the next float32
    labels = np.array([[1, 1, 2]])
    prob = np.array([[low, high, 0.25]], np.float32)
    scores = object_scores(labels, prob, reduce="median")
    # the median of two is their mean: 0.5 + 2**-25, which float32 would round to 0.5
    assert scores["score"].tolist() == [0.5 + 2**-25, 0.25]
    assert scores["score"].dtype == np.float64


def test_median_score_of_odd_and_even_counts_and_sparse_ids():
    labels = np.array([[7, 7, 7, 0, 300, 300, 300, 300]])
    prob = np.array([[0.9, 0.1, 0.5, 1.0, 0.4, 0.2, 0.8, 0.6]])
    scores = object_scores(labels, prob, reduce="median")
    assert scores["label"].tolist() == [7, 300]
    assert scores["score"].tolist() == pytest.approx([0.5, (0.4 + 0.6) / 2])
    empty = object_scores(np.zeros((2, 2), int), np.zeros((2, 2)), reduce="median")
    assert len(empty) == 0


# ---- defect 7: clear errors ----------------------------------------------------------------


@pytest.mark.parametrize("reduce", ["mean", "max", "median"])
def test_object_scores_refuse_nan_and_out_of_range_probabilities(reduce):
    labels = np.array([[1, 1, 0, 2]])
    with pytest.raises(ValueError, match="contain NaN"):
        object_scores(labels, np.array([[0.2, np.nan, 0.0, 0.9]]), reduce=reduce)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        object_scores(labels, np.array([[0.2, 1.5, 0.0, 0.9]]), reduce=reduce)
    with pytest.raises(ValueError, match="shape mismatch"):
        object_scores(labels, np.zeros((1, 3)), reduce=reduce)


def test_coco_refuses_an_empty_iou_threshold_list():
    true = segments((0, 10))
    with pytest.raises(ValueError, match="iou_thresholds is empty"):
        coco_average_precision(true, true, {1: 0.5}, iou_thresholds=[])


def test_coco_refuses_missing_scores():
    true = segments((0, 10))
    with pytest.raises(ValueError, match="finite"):
        coco_average_precision(true, true, {1: float("nan")})


def test_coco_names_the_missing_columns_of_a_score_table(monkeypatch):
    # Regression (a new user's hand check): a bare KeyError: 'label'. Said before the pass.
    from napari_seg_eval.core import confidence as module

    true = segments((0, 10))
    scores = pd.DataFrame({"id": [1], "score": [0.5]})
    monkeypatch.setattr(module, "overlap_table", None)  # any pass would fail otherwise
    with pytest.raises(ValueError, match=r"columns 'label' and 'score'.*'label' missing"):
        coco_average_precision(true, true, scores)


@pytest.mark.parametrize(
    "function",
    [
        threshold_sweep,
        calibration,
        fit_temperature,
    ],
)
@pytest.mark.parametrize("class_id", [0, 3, None])
def test_class_id_with_channel_axis_must_name_a_channel(function, class_id):
    # two channels: class 1 in channel 0, class 2 in channel 1
    prob = np.stack([np.array([[0.9, 0.1]]), np.array([[0.1, 0.9]])], axis=-1)
    with pytest.raises(ValueError, match=r"class_id must be in 1\.\.2 \(channel k holds"):
        function(np.array([[1, 2]]), prob, class_id=class_id, channel_axis=-1)


def test_channel_k_holds_class_k_plus_one():
    prob = np.stack([np.array([[0.9, 0.1, 0.2]]), np.array([[0.1, 0.9, 0.2]])], axis=0)
    true = np.array([[1, 2, 0]])
    first = threshold_sweep(true, prob, class_id=1, channel_axis=0, steps=10)
    second = threshold_sweep(true, prob, class_id=2, channel_axis=0, steps=10)
    # class 1: only pixel 0 is positive and above 0.5; class 2: only pixel 1
    assert at(first, 0.5)[["tp", "fp", "fn", "tn"]].tolist() == [1, 0, 0, 2]
    assert at(second, 0.5)[["tp", "fp", "fn", "tn"]].tolist() == [1, 0, 0, 2]
    assert first.summary["n_positive"] == second.summary["n_positive"] == 1


def test_calibration_of_one_class_of_a_multiclass_map():
    prob = np.stack([np.full((2, 5), 0.1), np.full((2, 5), 0.9)], axis=0)
    true = np.array([[2, 2, 2, 2, 2], [2, 0, 0, 0, 0]])
    # class 2 (channel 1) says 0.9 where 6 of 10 pixels are class 2: ECE 0.3
    result = calibration(true, prob, class_id=2, channel_axis=0)
    assert result.summary["ece"] == pytest.approx(0.3)
    assert fit_temperature(true, prob, class_id=2, channel_axis=0) == fit_temperature(
        true == 2, prob[1]
    )


pycocotools = pytest.importorskip("pycocotools")


def coco_reference(true, pred, scores, thresholds):
    """AP from pycocotools' segmentation evaluation on the same masks and scores."""
    import contextlib
    import io

    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def rle(mask):
        encoded = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        encoded["counts"] = encoded["counts"].decode()
        return encoded

    height, width = true.shape
    gt = COCO()
    gt.dataset = {
        "images": [{"id": 1, "height": height, "width": width}],
        "categories": [{"id": 1, "name": "object"}],
        "annotations": [
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": 1,
                "segmentation": rle(true == v),
                "area": float((true == v).sum()),
                "iscrowd": 0,
                "bbox": [0, 0, 1, 1],
            }
            for i, v in enumerate(np.unique(true[true > 0]))
        ],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        detections = [
            {
                "image_id": 1,
                "category_id": 1,
                "segmentation": rle(pred == v),
                "score": float(scores[int(v)]),
            }
            for v in np.unique(pred[pred > 0])
        ]
        dt = gt.loadRes(detections) if detections else COCO()
        evaluation = COCOeval(gt, dt, iouType="segm")
        evaluation.params.iouThrs = np.array(thresholds)
        evaluation.params.areaRng = [[0, 1e10]]
        evaluation.params.areaRngLbl = ["all"]
        evaluation.params.maxDets = [1000]
        evaluation.evaluate()
        evaluation.accumulate()
    precision = evaluation.eval["precision"][:, :, 0, 0, 0]  # (T, R)
    return [float(p.mean()) if (p > -1).any() else float("nan") for p in precision]


@pytest.mark.parametrize("seed", range(8))
def test_coco_ap_identical_to_pycocotools(seed):
    rng = np.random.default_rng(seed)
    true = np.zeros((48, 48), np.int32)
    pred = np.zeros((48, 48), np.int32)
    for label in range(1, 13):
        r, c = rng.integers(0, 40, 2)
        h, w = rng.integers(3, 9, 2)
        true[r : r + h, c : c + w] = label
        if rng.random() < 0.8:
            dr, dc, dh = rng.integers(-2, 3, 3)
            pred[max(r + dr, 0) : r + dr + h + dh, max(c + dc, 0) : c + dc + w] = label + 20
    for label in range(40, 44):  # false positives
        r, c = rng.integers(0, 44, 2)
        pred[r : r + 4, c : c + 4] = label
    ids = np.unique(pred[pred > 0])
    scores = dict(zip(ids.tolist(), np.round(rng.random(ids.size), 1).tolist(), strict=True))
    thresholds = [0.1, 0.3, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    ours = coco_average_precision(true, pred, scores, iou_thresholds=thresholds)
    np.testing.assert_allclose(
        ours.per_threshold["ap"], coco_reference(true, pred, scores, thresholds), atol=1e-12
    )


@pytest.mark.parametrize("n_bins", [7, 10, 15, 20])
def test_a_probability_just_below_a_bin_edge_stays_in_the_bin_below(n_bins):
    # Each edge e_k = k / n as the table gives it, and the float just below it: the edge opens
    # bin k, the value below closes bin k - 1 (p * n rounds 0.8999999999999999 * 10 to 9.0).
    edges = np.arange(n_bins + 1) / n_bins
    below = np.nextafter(edges[1:], 0.0)  # just below e_1 ... e_n (= 1)
    prob = np.concatenate([edges, below])[None, :]
    true = np.zeros(prob.shape, np.uint8)
    bins = nse.calibration(true, prob, n_bins=n_bins).bins
    # Bin k: its lower edge and the float below its upper edge (2 each); the last bin has 1.0 too.
    assert bins["count"].tolist() == [2] * (n_bins - 1) + [3]
    inside = (bins["mean_probability"] >= bins["bin_lower"]) & (
        bins["mean_probability"] < bins["bin_upper"]
    )
    assert inside.all()
