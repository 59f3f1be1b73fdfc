"""Confidence analysis: threshold sweeps, calibration, and score-ranked (COCO) AP.

The pixel sweep and the calibration read the probability map once, block by block, into
histograms: every threshold of a 1,000-step grid (and every calibration bin) then comes from
sums over those histograms, not from re-thresholding the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from scipy import optimize, special

from ._results import Result, confusion_scores, ratio
from ._validate import as_label_image, check_probability_range, probability_array
from .instance import DEFAULT_IOU_THRESHOLDS, ObjectPairs, instance_metrics
from .overlap import overlap_table
from .review import object_measurements
from .threshold import label_instances, threshold_in_dtype, threshold_probabilities

#: Steps of the pixel sweep's threshold grid (thresholds k / steps, k = 0..steps).
SWEEP_STEPS = 1000
#: Equal-width bins of the reliability diagram and the calibration errors (the common default).
CALIBRATION_BINS = 15
#: Probabilities are clipped to [EPS, 1 - EPS] for the log-likelihood and the logits.
EPS = 1e-7
_BLOCK = 1 << 20
#: COCO's 101 recall points 0.00, 0.01, ..., 1.00.
COCO_RECALL_POINTS = np.linspace(0.0, 1.0, 101)

SweepMetric = Literal["iou", "dice", "f1", "precision", "recall", "accuracy"]


def _class_probability(prob, true, class_id, channel_axis) -> tuple[np.ndarray, np.ndarray]:
    """The probability map of the analysed class, and the ground truth, checked."""
    prob = probability_array(prob)
    if channel_axis is not None:
        prob = np.take(prob, class_id - 1 if class_id else 0, axis=channel_axis)
    true = as_label_image(true, "ground truth")
    if true.shape != prob.shape:
        raise ValueError(f"shape mismatch: ground truth {true.shape} vs probabilities {prob.shape}")
    return prob, true


def _blocks(prob: np.ndarray, true: np.ndarray, class_id: int | None):
    """(probabilities, positive) per block of about a million pixels, range-checked."""
    flat_prob, flat_true = prob.ravel(), true.ravel()
    for start in range(0, flat_prob.size, _BLOCK):
        block = flat_prob[start : start + _BLOCK]
        check_probability_range(block.min(), block.max())
        labels = flat_true[start : start + _BLOCK]
        yield block, (labels > 0) if class_id is None else (labels == class_id)


def _thresholds_below(block: np.ndarray, steps: int) -> np.ndarray:
    """For each probability p, how many grid thresholds k / steps lie below it, so that p is
    foreground exactly at the thresholds :func:`threshold_probabilities` says it is.

    For float32 (or smaller) data p * steps is exact in float64 (24 + 11 bits < 53), so the
    count is ceil(p * steps). For float64 data the product can round, and the estimate is
    corrected by comparing p with its neighbouring grid thresholds as the data's type sees them.
    """
    estimate = np.ceil(block.astype(np.float64) * steps).astype(np.intp)
    if block.dtype.itemsize <= 4 and steps < 1 << 11:
        return estimate
    grid = [threshold_in_dtype(k / steps, block.dtype) for k in range(steps + 1)]
    padded = np.array([-np.inf, *grid, np.inf], block.dtype)  # padded[e] = grid[e - 1]
    estimate -= np.take(padded, estimate) >= block  # one too high
    estimate += np.take(padded, estimate + 1) < block  # one too low
    return estimate


@dataclass(frozen=True, repr=False)
class ThresholdSweep(Result):
    """Pixel-level counts and scores at every threshold of a fine grid.

    ``per_threshold``: threshold, tp, fp, fn, tn, iou, dice (= f1), precision, recall,
    accuracy, fpr. ``summary``: metric, best_threshold, best_value, average_precision,
    roc_auc, n_positive, n_negative. ``pr_curve`` (recall, precision) and ``roc_curve``
    (fpr, tpr) for plotting.
    """

    per_threshold: pd.DataFrame
    summary: pd.Series
    pr_curve: pd.DataFrame = field(compare=False)
    roc_curve: pd.DataFrame = field(compare=False)

    _main = "per_threshold"


def threshold_sweep(
    prob: np.ndarray,
    true: np.ndarray,
    *,
    steps: int = SWEEP_STEPS,
    metric: SweepMetric = "iou",
    class_id: int | None = None,
    channel_axis: int | None = None,
) -> ThresholdSweep:
    """Pixel TP/FP/FN/TN at every threshold ``k / steps`` from one pass over the map.

    Foreground is ``p > t`` exactly as :func:`threshold_probabilities` decides it. The truth is
    ``true > 0``, or ``true == class_id`` (then, with ``channel_axis``, the probability map of
    that class is channel ``class_id - 1``). The best threshold maximises ``metric`` (the
    lowest such threshold on ties). ``average_precision`` is the step-wise area under the
    precision-recall curve over the grid (scikit-learn's formula; the same value when the
    probabilities lie on the grid); ``roc_auc`` the trapezoidal area under the ROC curve.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    prob, true = _class_probability(prob, true, class_id, channel_axis)
    grid = np.arange(steps + 1) / steps
    histogram = np.zeros(2 * (steps + 2), np.int64)
    for block, positive in _blocks(prob, true, class_id):
        count = _thresholds_below(block, steps)
        count += (steps + 2) * positive
        histogram += np.bincount(count, minlength=histogram.size)
    negatives, positives = histogram[: steps + 2], histogram[steps + 2 :]
    # foreground at grid[k] <=> count > k: counts above k, by a reverse cumulative sum
    tp = np.cumsum(positives[::-1])[::-1][1:]
    fp = np.cumsum(negatives[::-1])[::-1][1:]
    n_positive, n_negative = int(positives.sum()), int(negatives.sum())
    fn, tn = n_positive - tp, n_negative - fp
    per_threshold = pd.DataFrame(
        {
            "threshold": grid,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            **confusion_scores(tp, fp, fn, tn),
            "fpr": ratio(fp, fp + tn),
        }
    )
    per_threshold["f1"] = per_threshold["dice"]
    if metric not in ("iou", "dice", "f1", "precision", "recall", "accuracy"):
        raise ValueError(f"metric must be iou, dice, f1, precision, recall or accuracy: {metric!r}")
    values = per_threshold[metric].to_numpy()
    best = int(np.nanargmax(values)) if not np.isnan(values).all() else None

    # Curves run from the highest threshold (nothing predicted) down to predicting everything.
    recall = np.concatenate([[0.0], per_threshold["recall"].to_numpy()[::-1], [1.0]])
    precision_steps = per_threshold["precision"].to_numpy()[::-1]
    tpr = np.concatenate([[0.0], recall[1:-1], [1.0]])
    fpr = np.concatenate([[0.0], per_threshold["fpr"].to_numpy()[::-1], [1.0]])
    defined = ~np.isnan(precision_steps)
    average_precision = (
        float(np.sum(np.diff(recall[1:-1], prepend=0.0)[defined] * precision_steps[defined]))
        if n_positive
        else float("nan")
    )
    roc_auc = float(np.trapezoid(tpr, fpr)) if n_positive and n_negative else float("nan")
    summary = pd.Series(
        {
            "metric": metric,
            "best_threshold": float(grid[best]) if best is not None else float("nan"),
            "best_value": float(values[best]) if best is not None else float("nan"),
            "average_precision": average_precision,
            "roc_auc": roc_auc,
            "n_positive": n_positive,
            "n_negative": n_negative,
        },
        dtype=object,
    )
    return ThresholdSweep(
        per_threshold=per_threshold,
        summary=summary,
        pr_curve=pd.DataFrame(
            {"recall": recall[1:-1][defined], "precision": precision_steps[defined]}
        ),
        roc_curve=pd.DataFrame({"fpr": fpr, "tpr": tpr}),
    )


def instance_threshold_sweep(
    prob: np.ndarray,
    true: np.ndarray,
    *,
    thresholds: Sequence[float] = tuple(round(0.05 * i, 2) for i in range(1, 20)),
    metric: Literal["f1_50", "mean_accuracy"] = "f1_50",
    connectivity: int | None = None,
    min_size: int = 0,
    split_touching: bool = False,
) -> pd.DataFrame:
    """Instance metrics versus the probability threshold: label at each threshold, match.

    One row per probability threshold: threshold, n_pred, f1_50, accuracy_50, mean_accuracy
    (DSB AP over IoU 0.50:0.95), panoptic_quality_50, and ``best`` marking the best row for
    ``metric`` (lowest threshold on ties). ``true`` is an instance label image.
    """
    true = as_label_image(true, "ground truth")
    rows = []
    for threshold in thresholds:
        mask = threshold_probabilities(prob, threshold).view(bool)
        labels = label_instances(
            mask, connectivity=connectivity, min_size=min_size, split_touching=split_touching
        )
        summary = instance_metrics(true, labels).summary
        rows.append(
            {
                "threshold": float(threshold),
                "n_pred": summary["n_pred"],
                **{
                    k: summary[k]
                    for k in ("f1_50", "accuracy_50", "mean_accuracy", "panoptic_quality_50")
                },
            }
        )
    table = pd.DataFrame(rows)
    values = table[metric].astype(float).to_numpy()
    table["best"] = False
    if not np.isnan(values).all():
        table.loc[int(np.nanargmax(values)), "best"] = True
    return table


@dataclass(frozen=True, repr=False)
class Calibration(Result):
    """How well probabilities match observed frequencies.

    ``bins``: one row per equal-width bin of predicted probability: bin_lower, bin_upper,
    count, mean_probability, observed_frequency, gap. ``summary``: ece, mce, brier, nll,
    n_bins, n_pixels, and with temperature scaling ``temperature`` and ``ece_calibrated``.
    """

    bins: pd.DataFrame
    summary: pd.Series

    _main = "bins"


def calibration(
    prob: np.ndarray,
    true: np.ndarray,
    *,
    n_bins: int = CALIBRATION_BINS,
    fit_temperature: bool = False,
    class_id: int | None = None,
    channel_axis: int | None = None,
) -> Calibration:
    """Reliability diagram data, expected and maximum calibration error, Brier score and NLL.

    The probability of "foreground" (``true > 0``, or ``true == class_id``) is compared with
    how often the pixel really is foreground, in ``n_bins`` equal-width bins [k/n, (k+1)/n)
    (the last one includes 1). ECE = Σ (n_b / N) |frequency_b − mean probability_b|;
    MCE = the largest gap over non-empty bins; Brier = mean (p − y)²; NLL = −mean(y log p +
    (1 − y) log(1 − p)) with p clipped to [1e-7, 1 − 1e-7]. With ``fit_temperature``, a
    temperature T is fitted to the logits by minimising the NLL (see :func:`fit_temperature`)
    and the ECE of ``sigmoid(logit(p) / T)`` is reported.
    """
    prob, true = _class_probability(prob, true, class_id, channel_axis)
    stats = _calibration_sums(_blocks(prob, true, class_id), n_bins)
    summary = _calibration_summary(stats)
    if fit_temperature:
        temperature = _fit_temperature(stats["logit_histogram"])
        calibrated = apply_temperature(prob, temperature)
        calibrated_stats = _calibration_sums(_blocks(calibrated, true, class_id), n_bins)
        summary["temperature"] = temperature
        summary["ece_calibrated"] = _calibration_summary(calibrated_stats)["ece"]
        summary["nll_calibrated"] = _calibration_summary(calibrated_stats)["nll"]
    return Calibration(bins=stats["bins"], summary=pd.Series(summary, dtype=object))


_LOGIT_RANGE = float(special.logit(1 - EPS))
_LOGIT_BINS = 4096


def _calibration_sums(blocks, n_bins: int) -> dict:
    count = np.zeros(n_bins, np.int64)
    positive = np.zeros(n_bins, np.int64)
    probability_sum = np.zeros(n_bins)
    squares = positive_probability = log_likelihood = 0.0
    logit_histogram = np.zeros(2 * _LOGIT_BINS, np.int64)
    for block, is_positive in blocks:
        p = block.astype(np.float64)
        bins = np.minimum((p * n_bins).astype(np.intp), n_bins - 1)
        count += np.bincount(bins, minlength=n_bins)
        positive += np.bincount(bins[is_positive], minlength=n_bins)
        probability_sum += np.bincount(bins, weights=p, minlength=n_bins)
        squares += float(np.dot(p, p))
        positive_probability += float(p[is_positive].sum())
        clipped = np.clip(p, EPS, 1 - EPS)
        log_p, log_not_p = np.log(clipped), np.log1p(-clipped)
        log_likelihood += float(log_p[is_positive].sum() + log_not_p[~is_positive].sum())
        logit = log_p - log_not_p
        index = ((logit + _LOGIT_RANGE) / (2 * _LOGIT_RANGE) * (_LOGIT_BINS - 1)).round()
        index = index.astype(np.intp) + _LOGIT_BINS * is_positive
        logit_histogram += np.bincount(index, minlength=logit_histogram.size)
    n_pixels = int(count.sum())
    edges = np.arange(n_bins + 1) / n_bins
    mean_probability = ratio(probability_sum, count)
    frequency = ratio(positive, count)
    bins = pd.DataFrame(
        {
            "bin_lower": edges[:-1],
            "bin_upper": edges[1:],
            "count": count,
            "mean_probability": mean_probability,
            "observed_frequency": frequency,
            "gap": np.abs(frequency - mean_probability),
        }
    )
    n_positive = int(positive.sum())
    return {
        "bins": bins,
        "n_pixels": n_pixels,
        "brier": ratio(squares - 2 * positive_probability + n_positive, n_pixels),
        "nll": ratio(-log_likelihood, n_pixels),
        "logit_histogram": logit_histogram,
    }


def _calibration_summary(stats: dict) -> dict:
    bins = stats["bins"]
    weight = bins["count"].to_numpy() / max(stats["n_pixels"], 1)
    gap = bins["gap"].to_numpy()
    filled = bins["count"].to_numpy() > 0
    return {
        "ece": float(np.sum(weight[filled] * gap[filled])) if filled.any() else float("nan"),
        "mce": float(gap[filled].max()) if filled.any() else float("nan"),
        "brier": stats["brier"],
        "nll": stats["nll"],
        "n_bins": len(bins),
        "n_pixels": stats["n_pixels"],
    }


def _fit_temperature(logit_histogram: np.ndarray) -> float:
    """T minimising the NLL of sigmoid(z / T) over the histogram of logits z."""
    centres = np.linspace(-_LOGIT_RANGE, _LOGIT_RANGE, _LOGIT_BINS)
    negatives, positives = logit_histogram[:_LOGIT_BINS], logit_histogram[_LOGIT_BINS:]

    def nll(log_t: float) -> float:
        z = centres / np.exp(log_t)
        return float(positives @ np.logaddexp(0, -z) + negatives @ np.logaddexp(0, z))

    found = optimize.minimize_scalar(nll, bounds=(np.log(0.02), np.log(50.0)), method="bounded")
    return float(np.exp(found.x))


def fit_temperature(prob: np.ndarray, true: np.ndarray, *, class_id: int | None = None) -> float:
    """Temperature T for which sigmoid(logit(p) / T) has the lowest negative log-likelihood.

    T > 1 softens over-confident probabilities, T < 1 sharpens under-confident ones. Fitted
    on a 4,096-bin histogram of the logits (|logit| <= 16.1 after clipping p to 1e-7).
    """
    prob, true = _class_probability(prob, true, class_id, None)
    return _fit_temperature(_calibration_sums(_blocks(prob, true, class_id), 1)["logit_histogram"])


def apply_temperature(prob: np.ndarray, temperature: float) -> np.ndarray:
    """sigmoid(logit(p) / temperature), in the dtype of ``prob`` (p clipped to 1e-7)."""
    prob = probability_array(prob)
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    clipped = np.clip(prob.astype(np.float64), EPS, 1 - EPS)
    return special.expit(special.logit(clipped) / temperature).astype(prob.dtype)


def object_scores(
    labels: np.ndarray,
    prob: np.ndarray,
    *,
    statistic: Literal["mean", "max", "median"] = "mean",
) -> pd.DataFrame:
    """A confidence score per object: the mean (default), max or median probability inside it.

    Columns: label, score.
    """
    labels = as_label_image(labels, "labels")
    prob = probability_array(prob)
    if statistic == "mean":
        table = object_measurements(labels, prob)
        return pd.DataFrame({"label": table["label"], "score": table["mean_confidence"]})
    if statistic not in ("max", "median"):
        raise ValueError(f"statistic must be 'mean', 'max' or 'median', got {statistic!r}")
    ids = object_measurements(labels)["label"].to_numpy()
    reduce = ndi.maximum if statistic == "max" else ndi.median
    scores = np.asarray(reduce(prob, labels=labels, index=ids), float) if ids.size else []
    return pd.DataFrame({"label": ids, "score": scores})


@dataclass(frozen=True, repr=False)
class CocoAP(Result):
    """COCO-style average precision of score-ranked detections.

    ``per_threshold``: threshold, ap (101-point interpolated), tp, fp (at the last detection),
    n_true. ``summary``: map (mean AP over the thresholds, pycocotools' "AP"), ap_50, ap_75.
    """

    per_threshold: pd.DataFrame
    summary: pd.Series

    _main = "per_threshold"


def coco_average_precision(
    true: np.ndarray,
    pred: np.ndarray,
    scores: pd.DataFrame | dict | np.ndarray,
    *,
    thresholds: Sequence[float] = DEFAULT_IOU_THRESHOLDS,
) -> CocoAP:
    """COCO average precision of the predicted objects ranked by their scores.

    ``scores`` gives one score per predicted id: a DataFrame with ``label`` and ``score``
    (as :func:`object_scores` returns), a dict, or an array aligned with the sorted predicted
    ids. As pycocotools does for one image and one category (area range "all", no detection
    limit): detections in descending score order (stable: ties keep the id order), each
    matched greedily to the unmatched true object of highest IoU >= t (the later one on equal
    IoU), precision made monotone, and read at the 101 recall points 0, 0.01, ..., 1. AP is
    NaN without true objects. IoU >= t is compared exactly, as everywhere in this package.
    """
    pairs = ObjectPairs.from_table(overlap_table(true, pred))
    score = _scores_for(pairs.pred_ids, scores)
    order = np.argsort(-score, kind="stable")  # detection ranks, as pycocotools' mergesort
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    n_true = pairs.true_ids.size
    rows = []
    for threshold in thresholds:
        matched = _greedy_matches(pairs, rank, threshold)
        tp_sorted = matched[order]
        tp = np.cumsum(tp_sorted)
        fp = np.cumsum(~tp_sorted)
        rows.append(
            {
                "threshold": float(threshold),
                "ap": _interpolated_ap(tp, fp, n_true),
                "tp": int(tp[-1]) if tp.size else 0,
                "fp": int(fp[-1]) if fp.size else 0,
                "n_true": n_true,
            }
        )
    table = pd.DataFrame(rows)

    def at(value):
        found = table.loc[np.isclose(table["threshold"], value), "ap"]
        return float(found.iloc[0]) if len(found) else float("nan")

    ap = table["ap"].dropna()
    summary = pd.Series(
        {"map": float(ap.mean()) if len(ap) else float("nan"), "ap_50": at(0.5), "ap_75": at(0.75)},
        dtype=object,
    )
    return CocoAP(per_threshold=table, summary=summary)


def _scores_for(pred_ids: np.ndarray, scores) -> np.ndarray:
    if isinstance(scores, pd.DataFrame):
        scores = dict(zip(scores["label"].tolist(), scores["score"].tolist(), strict=True))
    if isinstance(scores, dict):
        missing = [i for i in pred_ids.tolist() if i not in scores]
        if missing:
            raise ValueError(f"no score for predicted ids {missing[:5]}")
        return np.array([scores[i] for i in pred_ids.tolist()], float)
    scores = np.asarray(scores, float)
    if scores.shape != pred_ids.shape:
        raise ValueError(f"{scores.size} scores for {pred_ids.size} predicted objects")
    return scores


def _greedy_matches(pairs: ObjectPairs, rank: np.ndarray, threshold: float) -> np.ndarray:
    """Per predicted object: matched by COCO's greedy rule at IoU >= threshold."""
    alone, groups = pairs.untangle(pairs.candidates(threshold))
    matched = np.zeros(pairs.pred_ids.size, bool)
    matched[pairs.pred_index[alone]] = True
    for group in groups:  # the greedy rule in score order, within each tangled component
        t_index, p_index = pairs.true_index[group], pairs.pred_index[group]
        detections = np.unique(p_index)
        taken: list[int] = []
        for detection in detections[np.argsort(rank[detections], kind="stable")]:
            options = np.flatnonzero((p_index == detection) & ~np.isin(t_index, taken))
            if options.size:
                # highest IoU; on equal IoU the later true object (pycocotools' "<" test)
                best = options[np.lexsort((t_index[options], pairs.iou[group[options]]))[-1]]
                taken.append(int(t_index[best]))
                matched[detection] = True
    return matched


def _interpolated_ap(tp: np.ndarray, fp: np.ndarray, n_true: int) -> float:
    """pycocotools' 101-point interpolated precision, averaged."""
    if n_true == 0:
        return float("nan")
    if tp.size == 0:
        return 0.0
    recall = tp / n_true
    precision = tp / (tp + fp + np.spacing(1))  # pycocotools' denominator
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    index = np.searchsorted(recall, COCO_RECALL_POINTS, side="left")
    reached = index < precision.size
    interpolated = np.zeros(COCO_RECALL_POINTS.size)
    interpolated[reached] = precision[index[reached]]
    return float(interpolated.mean())
