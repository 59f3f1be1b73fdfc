"""Confidence analysis: threshold sweeps, calibration, and score-ranked (COCO) AP.

The pixel sweep and the calibration read the probability map once, block by block, into
histograms: every threshold of a 1,000-step grid (and every calibration bin) then comes from
sums over those histograms, not from re-thresholding the image. The sweep's histogram is 64
times finer than its grid, so that its ranking metrics (AP, ROC AUC) tell apart probabilities
that one grid step would lump together.

Since 0.2 the ground truth comes first in every comparison (``threshold_sweep(true, prob)``),
and every argument is checked before the first pass over the data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from scipy import optimize, special

from ._deprecation import renamed_keywords
from ._results import Result, confusion_scores, ratio
from ._validate import (
    as_label_image,
    as_label_pair,
    check_probability_range,
    check_region,
    check_threshold,
    check_truth_first,
    class_axis_of,
    probability_array,
)
from ._warn import warn
from .blocks import fold, is_lazy
from .instance import DEFAULT_IOU_THRESHOLDS, ObjectPairs, instance_metrics, threshold_fraction
from .overlap import OverlapTable, overlap_table
from .review import object_measurements
from .threshold import (
    _check_label_arguments,
    _pixel_units,
    background_channel_suspected,
    label_instances,
    threshold_probabilities,
)

#: Steps of the pixel sweep's threshold grid (thresholds k / steps, k = 0..steps).
SWEEP_STEPS = 1000
#: The pixel sweep ranks pixels in bins of width 1 / (steps * m), m the largest power of two
#: with steps * m <= RANKING_BINS (m = 64, 64,000 bins, for the default grid; m = 1 for steps
#: above 32,768): a partial of 2 * 8 * (steps * m + 2) bytes per block, about 1 MB.
RANKING_BINS = 1 << 16
#: Float32 data below this many bins takes the fast, exact count of _thresholds_below.
_EXACT_FLOAT32_BINS = 1 << 24
#: Equal-width bins of the reliability diagram and the calibration errors (the common default).
CALIBRATION_BINS = 15
#: Probabilities are clipped to [EPS, 1 - EPS] for the log-likelihood and the logits.
EPS = 1e-7
#: COCO's 101 recall points 0.00, 0.01, ..., 1.00.
COCO_RECALL_POINTS = np.linspace(0.0, 1.0, 101)

SweepMetric = Literal["iou", "dice", "f1", "precision", "recall", "accuracy"]
SWEEP_METRICS = ("iou", "dice", "f1", "precision", "recall", "accuracy")
InstanceSweepMetric = Literal["f1_50", "mean_accuracy", "panoptic_quality_50"]
INSTANCE_SWEEP_METRICS = ("f1_50", "mean_accuracy", "panoptic_quality_50")
#: ``calibration(method=...)``: None (measure only) or a recalibration fitted to the data.
CALIBRATION_METHODS = (None, "temperature", "platt")
ObjectReduction = Literal["mean", "max", "median"]
OBJECT_REDUCTIONS = ("mean", "max", "median")

#: Said when a map with a class axis, read with channel k as class k + 1, looks like one whose
#: channel 0 is background (see
#: :func:`~napari_seg_eval.core.threshold.background_channel_suspected`, evaluate's check).
CHANNELS_SHIFTED_HINT = (
    "{function}: channel k of the probability map is class k + 1 (classes 1..{n}), but the "
    "truth's classes run 0..{last}: if channel 0 is background, pass background_channel=True, "
    "so that channel k is class k (class_id={class_id} then analyses channel {class_id})."
)


def _check_choice(value: object, choices: tuple, name: str) -> None:
    """Raise a ValueError listing ``choices`` unless ``value`` is one of them."""
    if not (value is None or isinstance(value, str)) or value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}.")


def _is_integer(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _check_count(value: object, name: str) -> int:
    """A whole number >= 1 (``steps``, ``n_bins``)."""
    if not _is_integer(value):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    return int(value)


def _check_class(
    class_id: object,
    channel_axis: object,
    prob_shape: tuple[int, ...],
    background_channel: bool = False,
) -> None:
    """Check ``class_id``, ``channel_axis`` and ``background_channel`` against the shape of
    the probabilities.

    Without ``channel_axis`` the map is the probability of ``true == class_id`` (any id >= 0;
    by default of ``true > 0``). With ``channel_axis``, channel k holds class k + 1, as
    :func:`threshold_probabilities` labels the channels, so ``class_id`` must be in 1..n;
    with ``background_channel`` too, channel k holds class k (channel 0 the background), so
    ``class_id`` must be in 0..n-1.
    """
    if class_id is not None and not _is_integer(class_id):
        raise TypeError(f"class_id must be an integer label id, got {class_id!r}.")
    if not isinstance(background_channel, bool | np.bool_):
        raise TypeError(f"background_channel must be True or False, got {background_channel!r}.")
    if channel_axis is None:
        if background_channel:
            raise ValueError(
                "background_channel=True says channel 0 of the map's class axis is background: "
                "give channel_axis (the class axis) too, and class_id (the channel's class)."
            )
        if class_id is not None and class_id < 0:
            raise ValueError(f"class_id must be >= 0 (a label id of the truth), got {class_id}.")
        return
    if not _is_integer(channel_axis):
        raise TypeError(f"channel_axis must be an integer axis, got {channel_axis!r}.")
    ndim = len(prob_shape)
    if ndim < 2 or not -ndim <= channel_axis < ndim:
        raise ValueError(
            f"channel_axis {channel_axis} does not fit {ndim}-D probabilities; a class axis "
            "needs at least one more axis of pixels."
        )
    n_classes = prob_shape[channel_axis]
    # Without class_id, the class to analyse is asked for (not "got None").
    missing = class_id is None
    asked = "give class_id too, the class to analyse: " if missing else ""
    got = "." if missing else f", got {class_id!r}."
    if background_channel:
        if missing or not 0 <= class_id < n_classes:
            raise ValueError(
                f"{asked}with channel_axis and background_channel=True, class_id must be in "
                f"0..{n_classes - 1} (channel k holds the probability of class k, channel 0 "
                f"the background's; {n_classes} channels){got}"
            )
    elif missing or not 1 <= class_id <= n_classes:
        raise ValueError(
            f"{asked}with channel_axis, class_id must be in 1..{n_classes} (channel k holds the "
            f"probability of class k + 1; {n_classes} channels; if channel 0 is background, "
            f"pass background_channel=True: channel k then holds class k){got}"
        )


def _class_probability(
    true: object,
    prob: object,
    function: str,
    class_id: int | None,
    channel_axis: int | None,
    background_channel: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ground truth, the probability map of the analysed class, and the whole map (with
    its class axis, if any), checked (no pass over the data: the value range is checked block
    by block as the data is read)."""
    check_truth_first(true, prob, function)
    whole = probability_array(prob)
    _check_class(class_id, channel_axis, whole.shape, background_channel)
    prob = whole
    if channel_axis is not None:
        prob = np.moveaxis(whole, channel_axis, 0)[class_id if background_channel else class_id - 1]
    true = as_label_image(true, "ground truth")
    if true.shape != prob.shape:
        raise ValueError(_shape_mismatch(true.shape, prob.shape, channel_axis))
    return true, prob, whole


def _shape_mismatch(
    true_shape: tuple[int, ...], prob_shape: tuple[int, ...], channel_axis: int | None
) -> str:
    """The error of a ground truth and a probability map of different shapes; when one axis of
    the map is all that differs and no ``channel_axis`` was given, how to say it is the
    class axis.

    Parameters
    ----------
    true_shape, prob_shape : tuple of int
        The shapes (the map's without its class axis when ``channel_axis`` is given).
    channel_axis : int or None
        The class axis given, if any.

    Returns
    -------
    str

    Examples
    --------
    >>> "give channel_axis=0 and the class to analyse" in _shape_mismatch((5, 6), (4, 5, 6), None)
    True
    >>> _shape_mismatch((5, 6), (5, 7), None)
    'shape mismatch: ground truth (5, 6) vs probabilities (5, 7)'
    """
    message = (
        f"shape mismatch: ground truth {tuple(true_shape)} vs probabilities {tuple(prob_shape)}"
    )
    axis = None if channel_axis is not None else class_axis_of(true_shape, prob_shape)
    if axis is None:
        return message
    n = prob_shape[axis]
    return (
        f"{message}; if axis {axis} ({n} values) holds the map's classes, give "
        f"channel_axis={axis} and the class to analyse, class_id=1..{n} (with "
        f"background_channel=True if channel 0 is background: 0..{n - 1})."
    )


def _fold_with_truth_span(
    partial: Callable, combine: Callable, arrays: list, track: bool, below_highest: bool = False
) -> tuple[object, tuple[int, ...] | None]:
    """``fold(partial, combine, arrays)`` (the truth ``arrays[1]``, the region, if any, last)
    and, with ``track``, the lowest and the highest truth id counted (inside the region), in
    the same pass: None without ``track`` or without a pixel counted. With ``below_highest``
    too, a third id: the highest one below the highest (None when every pixel counted holds
    one id), so that two distinct ids above a bound can be told from one."""
    if not track:
        return fold(partial, combine, arrays), None

    def tracked(*blocks):
        true = blocks[1].ravel()
        if len(blocks) > 2:
            true = true[blocks[2].ravel()]
        span = None
        if true.size:
            lowest, highest = int(true.min()), int(true.max())
            span = (lowest, highest)
            if below_highest:
                below = None
                if lowest < highest:  # the highest id below it, at least the lowest
                    below = int(np.max(true, where=true < highest, initial=lowest))
                span = (lowest, highest, below)
        return partial(*blocks), span

    def combined(parts: list) -> tuple:
        spans = [span for _, span in parts if span is not None]
        span = None
        if spans:
            highest = max(s[1] for s in spans)
            span = (min(s[0] for s in spans), highest)
            if below_highest:
                below = [i for s in spans for i in s[1:] if i is not None and i < highest]
                span = (*span, max(below) if below else None)
        return combine([folded for folded, _ in parts]), span

    return fold(tracked, combined, arrays)


def _warn_if_channels_shifted(
    function: str,
    true: np.ndarray,
    whole: np.ndarray,
    channel_axis: int | None,
    background_channel: bool,
    class_id: int | None,
    region: np.ndarray | None,
    span: tuple[int, int] | None,
) -> None:
    """Evaluate's warning of a map whose classes look one too high (channel k read as class
    k + 1 while its channel 0 seems to be background), by evaluate's check
    (:func:`~napari_seg_eval.core.threshold.background_channel_suspected`) on the table of the
    truth against the map's classes at evaluate's default threshold, 0.5 (each pixel's most
    probable channel, background where it is not above 0.5). That table takes one more pass
    over the whole map, made only when the truth's classes, ``span`` (counted in the pass
    already made), run 0..n-1 for n channels: never for a map that has a channel of the
    truth's top class n, nor with ``background_channel``."""
    if channel_axis is None or background_channel or span is None:
        return
    n_channels = whole.shape[channel_axis]
    if n_channels < 2 or span != (0, n_channels - 1):
        return
    # Thresholded as evaluate thresholds it by default (0.5), so that both warn alike.
    classes = threshold_probabilities(whole, 0.5, channel_axis=channel_axis)
    table = overlap_table(true, classes, region=region)
    if background_channel_suspected(table, n_channels):
        warn(
            CHANNELS_SHIFTED_HINT.format(
                function=function, n=n_channels, last=n_channels - 1, class_id=class_id
            )
        )


def _positive(true: np.ndarray, class_id: int | None) -> np.ndarray:
    """Where a block of the ground truth is positive: ``true > 0``, or ``true == class_id``."""
    return (true > 0) if class_id is None else (true == class_id)


def _inside(
    prob: np.ndarray, true: np.ndarray, region: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """A block's probabilities and truth, flat, only where the region's block is True; the
    kept probabilities range-checked (the pixels outside are never looked at)."""
    prob, true = prob.ravel(), true.ravel()
    if region is not None:
        inside = region.ravel()
        prob, true = prob[inside], true[inside]
    if prob.size:
        check_probability_range(prob.min(), prob.max(), values=prob)
    return prob, true


def _warn_empty_region(function: str) -> None:
    """The warning of a pass that found no pixel inside its region."""
    warn(
        f"{function}: no pixel lies inside the region, so no pixel is left to count; every "
        "metric is NaN (0/0).",
        RuntimeWarning,
    )


def _ranking_factor(steps: int) -> int:
    """m, the fine bins per grid step: the largest power of two with steps * m <= RANKING_BINS
    (1 when steps is larger). A power of two, so that p * steps * m is as exact as p * steps."""
    return 1 << max(0, (RANKING_BINS // steps).bit_length() - 1)


def _sweep_histogram(
    prob: np.ndarray,
    true: np.ndarray,
    region: np.ndarray | None = None,
    *,
    bins: int,
    class_id: int | None,
    flat_inside: bool = False,
) -> np.ndarray:
    """The partial of the sweep on one block (range-checked): pixels per number of fine
    thresholds j / bins below p, negatives then positives; only the pixels inside ``region``.
    With ``flat_inside`` the blocks are already flat, inside the region and range-checked
    (:func:`_inside`, once for every partial taken from the block)."""
    if not flat_inside:
        prob, true = _inside(prob, true, region)
    count = _thresholds_below(prob, bins)
    count += (bins + 2) * _positive(true, class_id)
    return np.bincount(count, minlength=2 * (bins + 2))


def _thresholds_below(block: np.ndarray, bins: int) -> np.ndarray:
    """For each probability p, how many thresholds j / bins (j = 0..bins) lie below it, so that
    p is foreground exactly at the thresholds :func:`threshold_probabilities` says it is.

    That function compares p with the float64 quotient x = j / bins (taken to the data's type
    by :func:`~napari_seg_eval.core.threshold.threshold_in_dtype`, which for float32 p says
    p > x exactly). For float32 (or smaller) data and bins < 2**24 the count is ceil(p * bins)
    in float64, with no correction: p * bins is exact (24 + 24 bits <= 53), so it counts the
    real j / bins below p; and x, within 2**-53 j / bins of the real j / bins, is never on the
    other side of a float32 p: p * bins - j, if not 0, is a multiple of p's last bit (more than
    2**-24 p), so |p - j / bins| > 2**-24 p / bins, which for p near j / bins exceeds
    2**-53 j / bins while bins < 2**29 (2**24 keeps a margin). For float64 data the product
    can round, and the estimate is corrected by comparing p with its neighbouring thresholds
    as the data's type sees them.
    """
    estimate = np.ceil(block.astype(np.float64) * bins).astype(np.intp)
    if block.dtype.itemsize <= 4 and bins < _EXACT_FLOAT32_BINS:
        return estimate
    padded = _padded_grid(bins, block.dtype)  # padded[e] = grid[e - 1]
    estimate -= np.take(padded, estimate) >= block  # one too high
    estimate += np.take(padded, estimate + 1) < block  # one too low
    return estimate


@functools.lru_cache(maxsize=8)
def _padded_grid(bins: int, dtype: np.dtype) -> np.ndarray:
    """The thresholds j / bins in ``dtype``, between -inf and inf; computed once per grid, not
    once per block. Each is :func:`~napari_seg_eval.core.threshold.threshold_in_dtype` of
    j / bins (the largest ``dtype`` value not above the float64 quotient), all j at once."""
    grid = np.arange(bins + 1) / bins  # float64 j / bins, correctly rounded as Python's
    kind = np.dtype(dtype).type
    in_dtype = grid.astype(dtype)
    above = in_dtype.astype(np.float64) > grid  # rounded up: take the value below
    in_dtype[above] = np.nextafter(in_dtype[above], kind(-np.inf))
    return np.concatenate([[-np.inf], in_dtype, [np.inf]]).astype(dtype)


def _with_region(arrays: list, region: np.ndarray | None) -> list:
    """The arrays a pass folds over: ``arrays``, and the region last when one is given."""
    return arrays if region is None else [*arrays, region]


def _checked(partial: Callable, check: Callable[[], None] | None) -> Callable:
    """``partial`` calling ``check`` before each block (``partial`` itself without one): a
    cancelled run stops within one block of the pass, on numpy and chunked data alike."""
    if check is None:
        return partial

    def checked(*blocks):
        check()
        return partial(*blocks)

    return checked


@dataclass(frozen=True, repr=False, eq=False)
class ThresholdSweepResult(Result):
    """Pixel-level counts and scores at every threshold of a fine grid.

    ``per_threshold``: threshold, tp, fp, fn, tn, iou, dice (= f1), precision, recall,
    accuracy, fpr. ``summary``: metric, best_threshold, best_value, average_precision,
    roc_auc, n_positive, n_negative. ``pr_curve`` (recall, precision) and ``roc_curve``
    (fpr, tpr): the curves whose areas are AP and ROC AUC, a point for each ranking bin that
    holds pixels, from nothing predicted down to every pixel predicted (the PR curve from the
    first pixel predicted: there is no precision before).
    """

    per_threshold: pd.DataFrame
    summary: pd.Series
    pr_curve: pd.DataFrame
    roc_curve: pd.DataFrame

    _main = "per_threshold"


def threshold_sweep(
    true: np.ndarray,
    prob: np.ndarray,
    *,
    steps: int = SWEEP_STEPS,
    metric: SweepMetric = "iou",
    class_id: int | None = None,
    channel_axis: int | None = None,
    background_channel: bool = False,
    region: np.ndarray | None = None,
    check: Callable[[], None] | None = None,
) -> ThresholdSweepResult:
    """Pixel TP/FP/FN/TN at every threshold ``k / steps`` from one pass over the map.

    Foreground is ``p > t`` exactly as :func:`threshold_probabilities` decides it. The best
    threshold maximises ``metric`` (the lowest such threshold on ties). Without a positive
    pixel every metric but accuracy is 0 or undefined at every threshold: no threshold is
    best, ``best_threshold`` and ``best_value`` are NaN and a ``RuntimeWarning`` says why.

    The ranking metrics come from the same pass, from a histogram of the pixels in bins of
    width 1 / R, R = steps * m with m the largest power of two keeping R <= 65,536 (R = 64,000
    by default; R = steps for steps above 32,768): the table's thresholds are every m-th bin
    edge. ``average_precision`` is the step-wise area under the precision-recall curve,
    Σ (r_n − r_n−1) P_n over recall r and precision P from the highest bin down to every pixel
    predicted (recall 1, precision = positives / pixels, which ``p > 0`` misses where p is
    exactly 0): scikit-learn's ``average_precision_score``. ``roc_auc`` is the trapezoidal
    area under the ROC curve from (0, 0) to (1, 1): scikit-learn's ``roc_auc_score``, where a
    positive and a negative of equal probability count 1/2. Both equal scikit-learn's whenever
    no two different probabilities share a bin: values at least 1 / R apart never do (a map on
    the grid, or on any grid of 1 / R or coarser); values closer may, and then count as tied.
    So a map with many values closer than that still ties them: one saturated near 1 puts
    0.99999, 0.9999999 and 1.0 in the top bin. To go finer, give ``steps`` above 65,536 (bins
    of 1 / steps, with a table as long and a partial of 16 bytes per step for each block of a
    million pixels), or, since AP and AUC depend only on the pixels' order, sweep a strictly
    increasing remap that spreads the crowded values: :func:`apply_temperature` with a
    temperature T > 1 spreads the ends (it clips p to [1e-7, 1 − 1e-7]) and squeezes the
    middle T-fold.

    Parameters
    ----------
    true : ndarray of int or bool
        Ground truth: a label image (positive where ``true > 0``, or ``true == class_id``).
    prob : ndarray of float
        Probabilities in [0, 1], the shape of ``true`` (plus a class axis with
        ``channel_axis``).
    steps : int, optional
        Thresholds ``k / steps`` for k = 0..steps (1,001 by default).
    metric : {"iou", "dice", "f1", "precision", "recall", "accuracy"}, optional
        The metric the best threshold maximises.
    class_id : int, optional
        Analyse one class: positive pixels are ``true == class_id``. With ``channel_axis`` it
        must be in 1..n: channel k holds the probability of class k + 1; with
        ``background_channel`` too, in 0..n-1: channel k holds class k.
    channel_axis : int, optional
        The class axis of a multi-class ``prob``; ``class_id`` chooses the channel.
    background_channel : bool, optional
        With ``channel_axis``: channel 0 of the map is the background, so channel k holds
        class k (a softmax of background and n - 1 classes, whose truth has classes 0..n-1),
        as ``evaluate``'s ``background_channel`` and the dock's "Channel 0 is background".
        False by default: channel k holds class k + 1, the convention of a map without a
        background channel. Without it, a map whose channels look shifted against the
        truth's classes (classes 0..n-1 in the truth, most pixels of class k most probable in
        channel k) gets evaluate's warning.
    region : array_like of bool, optional
        A mask of the truth's shape (numpy or chunked): only the pixels where it is True are
        counted (and range-checked). With no pixel inside, every value is NaN and a
        ``RuntimeWarning`` says so.
    check : callable, optional
        Called before each block of pixels is read; it may raise to stop the pass (e.g.
        :meth:`~napari_seg_eval.evaluation.RunControl.check` of a cancelled run).

    Returns
    -------
    ThresholdSweepResult
        ``per_threshold`` (one row per threshold), ``summary``, ``pr_curve``, ``roc_curve``.

    Raises
    ------
    ValueError, TypeError
        For bad arguments (checked before the data is read), NaN or probabilities outside
        [0, 1], and the old ``(prob, true)`` order.

    Warns
    -----
    UserWarning
        With ``channel_axis`` and without ``background_channel``, when the map looks like one
        whose channel 0 is background: the truth's classes run 0..n-1 for n channels and more
        of its pixels of class k are most probable in channel k than in channel k - 1
        (``evaluate``'s check; it takes one more pass over the whole map, made only when the
        truth's classes run 0..n-1).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import threshold_sweep
    >>> true = np.array([[1, 0, 1, 0]])
    >>> prob = np.array([[0.0, 0.0, 0.8, 0.3]])
    >>> sweep = threshold_sweep(true, prob, steps=10)
    >>> float(sweep.summary["best_threshold"]), float(sweep.summary["average_precision"])
    (0.3, 0.75)
    >>> right = np.array([[False, False, True, True]])  # the last two pixels only
    >>> float(threshold_sweep(true, prob, steps=10, region=right).summary["best_threshold"])
    0.3
    """
    steps = _check_count(steps, "steps")
    _check_choice(metric, SWEEP_METRICS, "metric")
    true, prob, whole = _class_probability(
        true, prob, "threshold_sweep", class_id, channel_axis, background_channel
    )
    region = check_region(region, tuple(true.shape))
    bins = steps * _ranking_factor(steps)
    histogram, span = _fold_with_truth_span(
        _checked(functools.partial(_sweep_histogram, bins=bins, class_id=class_id), check),
        sum,
        _with_region([prob, true], region),
        track=channel_axis is not None and not background_channel,
    )
    if region is not None and not histogram.any():
        _warn_empty_region("threshold_sweep")
    _warn_if_channels_shifted(
        "threshold_sweep", true, whole, channel_axis, background_channel, class_id, region, span
    )
    return _sweep_result(histogram, steps, metric)


def _sweep_result(histogram: np.ndarray, steps: int, metric: str) -> ThresholdSweepResult:
    """The sweep's tables and summary from its histogram (the sum of :func:`_sweep_histogram`
    over the pixels, with ``bins = steps * _ranking_factor(steps)``); warns when the truth
    has no positive pixel."""
    grid = np.arange(steps + 1) / steps
    per_step = _ranking_factor(steps)
    bins = steps * per_step
    negatives, positives = histogram[: bins + 2], histogram[bins + 2 :]
    # foreground at j / bins <=> count > j: counts above j (j = 0..bins), by a reverse
    # cumulative sum. grid[k] is bin edge m k, the same float64 (k / steps = m k / bins,
    # correctly rounded both ways), so the table takes every m-th.
    tp_above = np.cumsum(positives[::-1])[::-1][1:]
    fp_above = np.cumsum(negatives[::-1])[::-1][1:]
    tp, fp = tp_above[::per_step], fp_above[::per_step]
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
    values = per_threshold[metric].to_numpy()
    best = int(np.nanargmax(values)) if not np.isnan(values).all() else None
    if n_positive == 0 and n_negative and metric != "accuracy":
        warn(
            f"threshold_sweep: the ground truth has no positive pixel, so {metric} is 0 or "
            "undefined at every threshold and no threshold is best: best_threshold and "
            "best_value are NaN.",
            RuntimeWarning,
        )
        best = None

    # The curves run from the highest bin edge (t = 1: nothing predicted) down the bins, and
    # end with every pixel predicted: p > 0 leaves out the pixels where p is exactly 0. Only
    # the points that move (a bin holding pixels) are kept: a repeated point adds no area.
    curve_tp = np.append(tp_above[::-1], n_positive)
    curve_fp = np.append(fp_above[::-1], n_negative)
    moved = np.flatnonzero(np.diff(curve_tp + curve_fp)) + 1  # both never decrease
    curve_tp, curve_fp = curve_tp[np.r_[0, moved]], curve_fp[np.r_[0, moved]]
    recall = ratio(curve_tp, n_positive)
    precision = ratio(curve_tp, curve_tp + curve_fp)
    fpr = ratio(curve_fp, n_negative)
    defined = ~np.isnan(precision)  # nothing predicted: no precision, and no recall gained
    average_precision = (
        float(np.sum(np.diff(recall, prepend=0.0)[defined] * precision[defined]))
        if n_positive
        else float("nan")
    )
    # The trapezoid rule written out (np.trapezoid is numpy >= 2; the same sum as it computes).
    roc_auc = (
        float((np.diff(fpr) * (recall[1:] + recall[:-1]) / 2.0).sum())
        if n_positive and n_negative
        else float("nan")
    )
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
    return ThresholdSweepResult(
        per_threshold=per_threshold,
        summary=summary,
        pr_curve=pd.DataFrame({"recall": recall[defined], "precision": precision[defined]}),
        roc_curve=pd.DataFrame({"fpr": fpr, "tpr": recall}),
    )


def instance_threshold_sweep(
    true: np.ndarray,
    prob: np.ndarray,
    *,
    thresholds: Sequence[float] = tuple(round(0.05 * i, 2) for i in range(1, 20)),
    metric: InstanceSweepMetric = "f1_50",
    connectivity: int | None = 1,
    min_size: int = 0,
    split_touching: bool = False,
    split_depth: float = 2.0,
    spacing: float | Sequence[float] | None = None,
    region: np.ndarray | None = None,
    check: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Instance metrics versus the probability threshold: label at each threshold, match.

    At each probability threshold the map is thresholded (``p > t``), labelled with
    :func:`label_instances` and matched with :func:`instance_metrics` at the default IoU
    thresholds. With a ``region``, the whole map is labelled (the objects are those the
    threshold gives) and each object is then scored by its pixels inside the region, as
    ``instance_metrics(true, labels, region=region)`` scores it.

    Parameters
    ----------
    true : ndarray of int
        Ground truth instance labels (0 is background).
    prob : ndarray of float
        Foreground probabilities in [0, 1], the shape of ``true``.
    thresholds : sequence of float, optional
        Probability thresholds in [0, 1] (0.05, 0.10, ..., 0.95 by default).
    metric : {"f1_50", "mean_accuracy", "panoptic_quality_50"}, optional
        The column the ``best`` row maximises.
    connectivity, min_size, split_touching, split_depth, spacing
        Passed to :func:`label_instances` (``split_depth`` and ``spacing``, the pixel size
        of each axis or one for all, e.g. ``(2.0, 0.5, 0.5)`` µm for z, y, x, matter only
        with ``split_touching``: touching objects are split at every threshold as
        ``label_instances(mask, split_touching=True, spacing=spacing)`` splits them).
    region : array_like of bool, optional
        A mask of the truth's shape (numpy or chunked): pixels where it is False are left out
        of every count (see :func:`instance_metrics`).
    check : callable, optional
        Called before each threshold is labelled and matched; it may raise to stop the sweep
        (e.g. :meth:`~napari_seg_eval.evaluation.RunControl.check` of a cancelled run).

    Returns
    -------
    pandas.DataFrame
        One row per threshold: threshold, n_pred, f1_50, accuracy_50, mean_accuracy (DSB AP
        over IoU 0.50:0.95), panoptic_quality_50, and ``best``, True on the row that
        maximises ``metric`` (the lowest threshold on ties).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import instance_threshold_sweep
    >>> true = np.array([[1, 1, 0, 2, 2]])
    >>> prob = np.array([[0.9, 0.8, 0.1, 0.4, 0.4]])
    >>> table = instance_threshold_sweep(true, prob, thresholds=[0.3, 0.5])
    >>> table[["threshold", "n_pred", "best"]].to_numpy().tolist()
    [[0.3, 2, True], [0.5, 1, False]]
    >>> left = np.array([[True, True, False, False, False]])  # object 1 only
    >>> table = instance_threshold_sweep(true, prob, thresholds=[0.3, 0.5], region=left)
    >>> table[["threshold", "n_pred", "f1_50"]].to_numpy().tolist()
    [[0.3, 1.0, 1.0], [0.5, 1.0, 1.0]]
    """
    thresholds = [check_threshold(t, "each of thresholds") for t in np.atleast_1d(thresholds)]
    if not thresholds:
        raise ValueError("thresholds is empty; give at least one probability threshold.")
    _check_choice(metric, INSTANCE_SWEEP_METRICS, "metric")
    check_truth_first(true, prob, "instance_threshold_sweep")
    true = as_label_image(true, "ground truth")
    prob = probability_array(prob)
    if true.shape != prob.shape:
        raise ValueError(f"shape mismatch: ground truth {true.shape} vs probabilities {prob.shape}")
    region = check_region(region, tuple(true.shape))
    # The labelling arguments, checked before the first pass: on a mask of the map's shape
    # that is never read (a lazy one for a chunked map, which split_touching refuses).
    mask_like = prob.astype(bool) if is_lazy(prob) else np.broadcast_to(False, prob.shape)
    _check_label_arguments(mask_like, connectivity, min_size, split_touching, split_depth)
    _pixel_units(spacing, prob.ndim)  # a spacing that fits no axis refused before any pass
    rows = []
    for threshold in thresholds:
        if check is not None:
            check()
        mask = threshold_probabilities(prob, threshold).view(bool)
        labels = label_instances(
            mask,
            connectivity=connectivity,
            min_size=min_size,
            split_touching=split_touching,
            split_depth=split_depth,
            spacing=spacing,
        )
        summary = instance_metrics(true, labels, region=region).summary
        rows.append(
            {
                "threshold": threshold,
                "n_pred": int(summary["n_pred"]),  # a count (the summary is float64)
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


@dataclass(frozen=True, repr=False, eq=False)
class CalibrationResult(Result):
    """How well probabilities match observed frequencies.

    ``bins``: one row per equal-width bin of predicted probability: bin_lower, bin_upper,
    count, mean_probability, observed_frequency, gap. ``summary``: ece, mce, brier, nll,
    n_bins, n_pixels; with ``method="temperature"`` ``temperature``, ``ece_calibrated`` and
    ``nll_calibrated``; with ``method="platt"`` ``platt_slope``, ``platt_intercept``,
    ``ece_calibrated`` and ``nll_calibrated`` (Platt's), and beside them ``temperature``,
    ``ece_temperature`` and ``nll_temperature``.
    """

    bins: pd.DataFrame
    summary: pd.Series

    _main = "bins"


def calibration(
    true: np.ndarray,
    prob: np.ndarray,
    *,
    n_bins: int = CALIBRATION_BINS,
    method: Literal["temperature", "platt"] | None = None,
    class_id: int | None = None,
    channel_axis: int | None = None,
    background_channel: bool = False,
    fit_temperature: bool | None = None,
    region: np.ndarray | None = None,
    check: Callable[[], None] | None = None,
) -> CalibrationResult:
    """Reliability diagram data, expected and maximum calibration error, Brier score and NLL.

    The probability of "foreground" (``true > 0``, or ``true == class_id``) is compared with
    how often the pixel really is foreground, in ``n_bins`` equal-width bins [k/n, (k+1)/n)
    (the last one includes 1). ECE = Σ (n_b / N) |frequency_b − mean probability_b|;
    MCE = the largest gap over non-empty bins; Brier = mean (p − y)²; NLL = −mean(y log p +
    (1 − y) log(1 − p)) with p clipped to [1e-7, 1 − 1e-7].

    Parameters
    ----------
    true : ndarray of int or bool
        Ground truth: a label image.
    prob : ndarray of float
        Probabilities in [0, 1], the shape of ``true`` (plus a class axis with
        ``channel_axis``).
    n_bins : int, optional
        Equal-width bins (15 by default), an integer >= 1.
    method : {None, "temperature", "platt"}, optional
        ``"temperature"`` also fits a temperature T to the logits by minimising the NLL (see
        :func:`fit_temperature`) and reports the ECE and NLL of ``sigmoid(logit(p) / T)``.
        ``"platt"`` fits Platt's slope a and intercept b (see
        :func:`~napari_seg_eval.core.platt.fit_platt`) and reports the ECE and NLL of
        ``sigmoid(a logit(p) + b)``, and beside them those of temperature scaling, both
        fitted from the one histogram of logits. The fit and the scores use the same pixels
        (an optimistic number): to score on other images, fit with ``fit_platt`` and measure
        ``apply_platt``'s output.
    class_id : int, optional
        Analyse one class: positive pixels are ``true == class_id``. With ``channel_axis`` it
        must be in 1..n: channel k holds the probability of class k + 1; with
        ``background_channel`` too, in 0..n-1: channel k holds class k.
    channel_axis : int, optional
        The class axis of a multi-class ``prob``; ``class_id`` chooses the channel.
    background_channel : bool, optional
        With ``channel_axis``: channel 0 of the map is the background, so channel k holds
        class k (see :func:`threshold_sweep`). Without it, a map whose channels look shifted
        against the truth's classes gets evaluate's warning.
    fit_temperature : bool, optional
        Deprecated in 0.2, removed in 0.3: ``True`` is ``method="temperature"``, ``False`` is
        ``method=None``.
    region : array_like of bool, optional
        A mask of the truth's shape (numpy or chunked): only the pixels where it is True are
        measured (and a method is fitted on them). With no pixel inside, every value is NaN
        (the fitted parameters too) and a ``RuntimeWarning`` says so.
    check : callable, optional
        Called before each block of pixels is read, in every pass (a method makes a second
        one); it may raise to stop the calibration (e.g.
        :meth:`~napari_seg_eval.evaluation.RunControl.check` of a cancelled run).

    Returns
    -------
    CalibrationResult
        ``bins`` (one row per bin) and ``summary`` (ece, mce, brier, nll, n_bins, n_pixels;
        with a method: ece_calibrated and nll_calibrated of that method, and its parameters:
        temperature, or platt_slope and platt_intercept beside temperature, ece_temperature
        and nll_temperature).

    Raises
    ------
    ValueError, TypeError
        For bad arguments (checked before the data is read), NaN or probabilities outside
        [0, 1], the old ``(prob, true)`` order, and with ``method="platt"`` a ground truth
        that is all one class (where the region has pixels): a Platt fit needs both.

    Warns
    -----
    UserWarning
        With ``channel_axis`` and without ``background_channel``, when the map looks like one
        whose channel 0 is background (see :func:`threshold_sweep`).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import calibration
    >>> true = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    >>> prob = np.full(10, 0.9)  # says 90 %, right 60 % of the time
    >>> round(float(calibration(true, prob).summary["ece"]), 6)
    0.3
    >>> first = np.arange(10) < 5  # only the first five pixels: all positive
    >>> round(float(calibration(true, prob, region=first).summary["ece"]), 6)
    0.1

    Platt scaling: one logit ranks nothing (slope 0); the intercept gives the fraction of
    positives 0.6 with Platt's smoothing, (6 * 7/8 + 4 * 1/6) / 10 = 71/120:

    >>> summary = calibration(true, prob, method="platt").summary
    >>> float(summary["platt_slope"]), round(float(summary["ece_calibrated"]), 6)  # 1/120
    (0.0, 0.008333)
    """
    if fit_temperature is not None:
        if method is not None:
            raise TypeError(
                "calibration() got both fit_temperature= and method=; fit_temperature= is "
                "the old form of method=, give only method=."
            )
        warn(
            "calibration(): fit_temperature= is replaced by method= in 0.2 and will be removed "
            "in 0.3; use method='temperature' (or method=None).",
            DeprecationWarning,
        )
        method = "temperature" if fit_temperature else None
    n_bins = _check_count(n_bins, "n_bins")
    _check_choice(method, CALIBRATION_METHODS, "method")
    true, prob, whole = _class_probability(
        true, prob, "calibration", class_id, channel_axis, background_channel
    )
    region = check_region(region, tuple(true.shape))
    stats = _calibration_sums(
        prob,
        true,
        class_id,
        n_bins,
        region,
        check=check,
        track_truth=channel_axis is not None and not background_channel,
    )
    if stats["n_pixels"] == 0 and region is not None:
        _warn_empty_region("calibration")
    _warn_if_channels_shifted(
        "calibration",
        true,
        whole,
        channel_axis,
        background_channel,
        class_id,
        region,
        stats["truth_span"],
    )
    return _calibration_result(stats, method, true, prob, class_id, n_bins, region, check)


def _calibration_result(
    stats: dict,
    method: str | None,
    true,
    prob,
    class_id: int | None,
    n_bins: int,
    region,
    check: Callable[[], None] | None,
    score: bool = True,
) -> CalibrationResult:
    """The calibration's bins and summary from the stats of its pass (:func:`_calibration_stats`);
    with ``method``, the parameters it fits to the logit histogram (Platt's first, so that a
    truth of one class is refused before another pass) and, with ``score``, their ECE and NLL
    from one more pass over ``prob`` for all of them (:func:`_score_fits`)."""
    summary = _calibration_summary(stats)
    if method is not None:
        fits = _fits(method, stats["logit_histogram"])
        if score:
            scores = {}
            if stats["logit_histogram"].any():  # else nothing was fitted: no pass
                scores, _ = _score_fits(prob, true, class_id, n_bins, region, fits, check)
            summary |= _fits_summary(method, fits, scores)
        else:
            summary |= {name: value for fit in fits.values() for name, value in fit.items()}
    return CalibrationResult(bins=stats["bins"], summary=pd.Series(summary, dtype=object))


class PixelAnalysis(NamedTuple):
    """What :func:`sweep_and_calibration` returns: the sweep, the calibration, the lowest
    and highest truth id counted (None without a pixel counted), and the highest truth id
    counted below that highest one (None when every pixel counted holds one id)."""

    sweep: ThresholdSweepResult
    calibration: CalibrationResult
    truth_span: tuple[int, int] | None
    truth_below_highest: int | None = None


class RecalibrationScores(NamedTuple):
    """What :func:`score_recalibrations` returns.

    ``calibration``: the calibration given, its summary completed with the ECE and NLL of each
    fit (as :func:`calibration` with its ``method`` gives it). ``bins``: the reliability bins
    of each fit's calibrated map, by name ("temperature", "platt"). ``maps``: the calibrated
    maps asked for, by name.
    """

    calibration: CalibrationResult
    bins: dict[str, pd.DataFrame]
    maps: dict[str, object]


def sweep_and_calibration(
    true: np.ndarray,
    prob: np.ndarray,
    *,
    metric: SweepMetric = "iou",
    steps: int = SWEEP_STEPS,
    n_bins: int = CALIBRATION_BINS,
    method: Literal["temperature", "platt"] | None = None,
    class_id: int | None = None,
    channel_axis: int | None = None,
    background_channel: bool = False,
    region: np.ndarray | None = None,
    check: Callable[[], None] | None = None,
    score_fits: bool = True,
) -> PixelAnalysis:
    """:func:`threshold_sweep` and :func:`calibration` from one pass over the map.

    Each block of pixels is read (and range-checked) once, and both partials are taken from
    it: a chunked map is read and decompressed once, not twice. The results equal those of
    the two functions called with the same arguments; their warnings are given once. With a
    ``method``, its fits (temperature scaling's, and Platt's with ``"platt"``) come from the
    logit histogram of that pass and are scored by one second pass for all of them, as in
    :func:`calibration`.

    Parameters
    ----------
    true, prob, class_id, channel_axis, background_channel, region, check
        As in :func:`threshold_sweep` and :func:`calibration`.
    metric, steps
        The sweep's (:func:`threshold_sweep`).
    n_bins, method
        The calibration's (:func:`calibration`).
    score_fits : bool, optional
        With a ``method``: score the fits (the second pass). False leaves the calibration's
        summary with the fitted parameters only (``temperature``, and ``platt_slope`` and
        ``platt_intercept`` with Platt), to be scored by :func:`score_recalibrations`, which
        can also write the calibrated maps in that pass. True by default.

    Returns
    -------
    PixelAnalysis
        ``sweep`` (a :class:`ThresholdSweepResult`), ``calibration`` (a
        :class:`CalibrationResult`), ``truth_span``: the lowest and the highest id of the
        truth among the pixels counted (inside the region), None when none was counted, and
        ``truth_below_highest``: the highest id below that highest one, None when every pixel
        counted holds one id (so that one id above the classes, e.g. an ignore value 255, is
        told from several, e.g. object ids).

    Raises
    ------
    ValueError, TypeError
        As :func:`threshold_sweep` and :func:`calibration`, before the data is read.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval.core.confidence import sweep_and_calibration
    >>> true = np.array([[1, 0, 1, 0]])
    >>> prob = np.array([[0.0, 0.0, 0.8, 0.3]])
    >>> both = sweep_and_calibration(true, prob, steps=10)
    >>> ece = both.calibration.summary["ece"]  # 1/2 * 1/2 + 1/4 * 0.2 + 1/4 * 0.3
    >>> float(both.sweep.summary["best_threshold"]), round(float(ece), 3)
    (0.3, 0.375)
    >>> both.truth_span, both.truth_below_highest
    ((0, 1), 0)
    """
    steps = _check_count(steps, "steps")
    _check_choice(metric, SWEEP_METRICS, "metric")
    n_bins = _check_count(n_bins, "n_bins")
    _check_choice(method, CALIBRATION_METHODS, "method")
    function = "sweep_and_calibration"
    true, prob, whole = _class_probability(
        true, prob, function, class_id, channel_axis, background_channel
    )
    region = check_region(region, tuple(true.shape))
    bins = steps * _ranking_factor(steps)

    def both(prob_block: np.ndarray, true_block: np.ndarray, region_block=None) -> tuple:
        # Cut to the region and range-checked once; both partials take the checked pixels.
        prob_block, true_block = _inside(prob_block, true_block, region_block)
        return (
            _sweep_histogram(
                prob_block, true_block, bins=bins, class_id=class_id, flat_inside=True
            ),
            _calibration_partial(
                prob_block, true_block, class_id=class_id, n_bins=n_bins, flat_inside=True
            ),
        )

    def combined(parts: list[tuple]) -> tuple:
        return sum(part[0] for part in parts), _sum_partials([part[1] for part in parts])

    (histogram, sums), ids = _fold_with_truth_span(
        _checked(both, check),
        combined,
        _with_region([prob, true], region),
        track=True,
        below_highest=True,
    )
    span, below = (None, None) if ids is None else (ids[:2], ids[2])
    if region is not None and not histogram.any():
        _warn_empty_region(function)
    _warn_if_channels_shifted(
        function, true, whole, channel_axis, background_channel, class_id, region, span
    )
    sweep = _sweep_result(histogram, steps, metric)
    stats = _calibration_stats(sums, n_bins, span)
    calibrated = _calibration_result(
        stats, method, true, prob, class_id, n_bins, region, check, score=score_fits
    )
    return PixelAnalysis(sweep, calibrated, span, below)


def score_recalibrations(
    true: np.ndarray,
    prob: np.ndarray,
    fitted: CalibrationResult,
    *,
    class_id: int | None = None,
    channel_axis: int | None = None,
    background_channel: bool = False,
    region: np.ndarray | None = None,
    maps: Sequence[str] = (),
    check: Callable[[], None] | None = None,
) -> RecalibrationScores:
    """The ECE, NLL and reliability bins of each recalibration fitted in ``fitted``, and the
    calibrated maps of ``maps``, from one pass over the map for all of them.

    Each block is read and range-checked once; every fit's recalibration is applied to it and
    its calibration sums folded; a numpy map's calibrated maps are written in the same pass.
    ``fitted`` is the calibration of :func:`sweep_and_calibration` with a ``method`` and
    ``score_fits=False``, of the same arguments: the numbers equal those its scoring pass (or
    :func:`calibration` with that ``method``) gives, and each map's bins those of
    ``calibration(true, calibrated_map)``.

    Parameters
    ----------
    true, prob, class_id, channel_axis, background_channel, region, check
        As given to :func:`sweep_and_calibration` (``check`` is called before each block).
    fitted : CalibrationResult
        Its summary holds the fitted ``temperature`` (and ``platt_slope`` and
        ``platt_intercept`` with Platt).
    maps : sequence of {"temperature", "platt"}, optional
        The calibrated maps to return, each a fit of ``fitted``: numpy for a numpy map,
        written in the pass (of the map's shape and dtype); lazy for a chunked map, as
        :func:`apply_temperature` and :func:`~napari_seg_eval.core.platt.apply_platt` give
        them (computed chunk by chunk when read). None with an empty region (nothing fitted).

    Returns
    -------
    RecalibrationScores
        ``calibration`` (``fitted`` with its summary completed), ``bins`` of each fit and the
        ``maps`` asked for.

    Raises
    ------
    ValueError
        If ``fitted`` holds no fit, or ``maps`` names one it does not hold; as
        :func:`calibration` for the data.

    Examples
    --------
    >>> import numpy as np
    >>> true = np.array([1, 1, 1, 0] * 250)
    >>> prob = np.full(1000, 0.99)  # says 99 %, right 75 % of the time
    >>> fitted = sweep_and_calibration(true, prob, method="temperature", score_fits=False)
    >>> scores = score_recalibrations(true, prob, fitted.calibration, maps=["temperature"])
    >>> round(float(scores.maps["temperature"][0]), 2)  # as apply_temperature gives it
    0.75
    >>> int(scores.bins["temperature"]["count"].sum())
    1000
    """
    summary = fitted.summary
    method = (
        "platt" if "platt_slope" in summary else "temperature" if "temperature" in summary else None
    )
    if method is None:
        raise ValueError(
            "score_recalibrations: the calibration given holds no fit; make it with "
            "sweep_and_calibration(..., method='temperature' or 'platt', score_fits=False)."
        )
    fits = {"temperature": {"temperature": float(summary["temperature"])}}
    if method == "platt":
        fits = {
            "platt": {
                "platt_slope": float(summary["platt_slope"]),
                "platt_intercept": float(summary["platt_intercept"]),
            },
            **fits,
        }
    unknown = [key for key in maps if key not in fits]
    if unknown:
        raise ValueError(
            f"score_recalibrations: maps={list(maps)!r} names {unknown!r}, not fitted in the "
            f"calibration given (it holds {list(fits)!r})."
        )
    true, prob, _ = _class_probability(
        true, prob, "score_recalibrations", class_id, channel_axis, background_channel
    )
    region = check_region(region, tuple(true.shape))
    n_bins = int(summary["n_bins"])
    scores, calibrated_maps = {}, {key: None for key in maps}
    if not np.isnan(fits["temperature"]["temperature"]):  # else nothing was fitted: no pass
        scores, calibrated_maps = _score_fits(
            prob, true, class_id, n_bins, region, fits, check, maps
        )
    completed = {key: summary[key] for key in _CALIBRATION_KEYS} | _fits_summary(
        method, fits, scores
    )
    return RecalibrationScores(
        calibration=CalibrationResult(bins=fitted.bins, summary=pd.Series(completed, dtype=object)),
        bins={key: score["bins"] for key, score in scores.items()},
        maps=calibrated_maps,
    )


#: The summary's keys of a calibration without a method, in order.
_CALIBRATION_KEYS = ("ece", "mce", "brier", "nll", "n_bins", "n_pixels")


def _fits(method: str, histogram: np.ndarray) -> dict[str, dict[str, float]]:
    """The parameters of each recalibration ``method`` fits to the logit histogram, by name:
    ``{"platt": {"platt_slope": a, "platt_intercept": b}, "temperature": {"temperature": T}}``
    (Platt's only with ``method="platt"``, fitted first: a truth of one class is refused
    before the temperature fit). NaN when the histogram is empty (a region with no pixel):
    there is nothing to fit."""
    nan = float("nan")
    empty = not histogram.any()
    fits = {}
    if method == "platt":
        # Imported here: core.platt reads this module's logit histogram.
        from .platt import fit_platt_histogram

        slope, intercept = (nan, nan) if empty else fit_platt_histogram(*_logit_counts(histogram))
        fits["platt"] = {"platt_slope": slope, "platt_intercept": intercept}
    temperature = nan if empty else _fit_temperature(*_logit_counts(histogram))
    fits["temperature"] = {"temperature": temperature}
    return fits


def _fits_summary(
    method: str, fits: dict[str, dict[str, float]], scores: dict[str, dict]
) -> dict[str, float]:
    """The summary's entries of ``method``: its fits' parameters and the ECE and NLL of each
    (``scores``: :func:`_calibration_summary` of each calibrated map; NaN for a fit missing
    there, as with an empty histogram); with Platt, temperature scaling's beside them."""
    nan = float("nan")

    def scored(key: str, measure: str) -> float:
        return scores[key][measure] if key in scores else nan

    if method == "temperature":
        return {
            **fits["temperature"],
            "ece_calibrated": scored("temperature", "ece"),
            "nll_calibrated": scored("temperature", "nll"),
        }
    return {
        **fits["platt"],
        "ece_calibrated": scored("platt", "ece"),
        "nll_calibrated": scored("platt", "nll"),
        **fits["temperature"],
        "ece_temperature": scored("temperature", "ece"),
        "nll_temperature": scored("temperature", "nll"),
    }


def _recalibration_function(key: str, parameters: dict[str, float]) -> Callable:
    """The recalibration ``key`` ("temperature" or "platt") with its fitted ``parameters``,
    of a block of probabilities already range-checked, in the block's dtype."""
    if key == "platt":
        from .platt import platt_values

        return functools.partial(
            platt_values,
            slope=parameters["platt_slope"],
            intercept=parameters["platt_intercept"],
        )
    return functools.partial(_apply_temperature, temperature=parameters["temperature"])


def _score_fits(
    prob,
    true,
    class_id: int | None,
    n_bins: int,
    region,
    fits: dict[str, dict[str, float]],
    check: Callable[[], None] | None,
    maps: Sequence[str] = (),
) -> tuple[dict[str, dict], dict[str, object]]:
    """One pass over the map for every fit: each block is read and range-checked once, each
    fit's recalibration applied to it and its calibration sums folded (inside ``region``), and
    for a numpy map the calibrated maps of ``maps`` written in the same pass.

    Returns the :func:`_calibration_summary` of each fit with its ``bins`` (by name), and the
    calibrated maps of ``maps``: numpy for a numpy map (every pixel, the region's outside
    too); lazy (computed chunk by chunk when read, as :func:`apply_temperature` and
    :func:`~napari_seg_eval.core.platt.apply_platt` give them) for a chunked one."""
    functions = {key: _recalibration_function(key, fits[key]) for key in fits}
    arrays = _with_region([prob, true], region)
    outs: dict[str, np.ndarray] = {}
    if not any(is_lazy(a) for a in arrays):
        # Written through the fold's flat views: laid out as the fold cuts its inputs (Fortran
        # order only when all are Fortran-contiguous, else C order, whose slabs are views too).
        fortran = prob.ndim > 1 and all(
            a.flags.f_contiguous and not a.flags.c_contiguous for a in arrays
        )
        order = "F" if fortran else "C"
        outs = {key: np.empty(prob.shape, prob.dtype, order=order) for key in maps}
    written = list(outs)
    n_inputs = len(arrays)

    def partial(*blocks) -> dict[str, dict]:
        prob_block, true_block = blocks[0], blocks[1]
        region_block = blocks[2] if region is not None else None
        inside_prob, inside_true = _inside(prob_block, true_block, region_block)
        sums = {}
        for key, recalibrate in functions.items():
            if key in written:  # the whole block, written in place; then its inside
                out = blocks[n_inputs + written.index(key)]
                out[...] = recalibrate(prob_block)
                calibrated = out if region_block is None else out[region_block.ravel()]
            else:
                calibrated = recalibrate(inside_prob) if inside_prob.size else inside_prob
            sums[key] = _calibration_partial(
                calibrated, inside_true, class_id=class_id, n_bins=n_bins, flat_inside=True
            )
        return sums

    def combine(parts: list[dict]) -> dict[str, dict]:
        return {key: _sum_partials([part[key] for part in parts]) for key in functions}

    sums = fold(_checked(partial, check), combine, [*arrays, *outs.values()])
    scores = {}
    for key, partials in sums.items():
        stats = _calibration_stats(partials, n_bins, None)
        scores[key] = {**_calibration_summary(stats), "bins": stats["bins"]}
    calibrated_maps: dict[str, object] = dict(outs)
    for key in maps:
        if key not in outs:
            calibrated_maps[key] = _calibrated_map(prob, key, fits[key])
    return scores, calibrated_maps


def _calibrated_map(prob, key: str, parameters: dict[str, float]):
    """The recalibrated map of a chunked ``prob`` (or of a numpy one folded with chunked
    inputs: then computed now, in memory), as the public functions give it."""
    if key == "platt":
        from .platt import apply_platt

        return apply_platt(prob, parameters["platt_slope"], parameters["platt_intercept"])
    return apply_temperature(prob, parameters["temperature"])


_LOGIT_RANGE = float(special.logit(1 - EPS))
_LOGIT_BINS = 4096


def _calibration_partial(
    prob: np.ndarray,
    true: np.ndarray,
    region: np.ndarray | None = None,
    *,
    class_id: int | None,
    n_bins: int,
    flat_inside: bool = False,
) -> dict[str, np.ndarray]:
    """The additive sums of the calibration on one block (range-checked), inside ``region``.
    With ``flat_inside`` the blocks are already flat, inside the region and range-checked
    (:func:`_inside`, once for every partial taken from the block)."""
    if not flat_inside:
        prob, true = _inside(prob, true, region)
    p = prob.astype(np.float64)
    is_positive = _positive(true, class_id)
    # The bins of the negatives, then the positives': one count (and one sum) gives both,
    # with no copy of the positive pixels. Temporaries are reused in place: this is the
    # costliest partial of the confidence analysis.
    split = _equal_width_bins(p, n_bins)
    split += n_bins * is_positive
    counts = np.bincount(split, minlength=2 * n_bins)
    sums = np.bincount(split, weights=p, minlength=2 * n_bins)
    clipped = np.clip(p, EPS, 1 - EPS)
    log_p = np.log(clipped)
    log_not_p = np.log1p(np.negative(clipped, out=clipped), out=clipped)
    index = log_p - log_not_p  # the logit, then its bin
    index += _LOGIT_RANGE
    index /= 2 * _LOGIT_RANGE
    index *= _LOGIT_BINS - 1
    bin_of_logit = np.rint(index, out=index).astype(np.intp)
    bin_of_logit += _LOGIT_BINS * is_positive
    return {
        "count": counts[:n_bins] + counts[n_bins:],
        "positive": counts[n_bins:],
        "probability_sum": sums[:n_bins] + sums[n_bins:],
        "squares": np.dot(p, p),
        "positive_probability": sums[n_bins:].sum(),
        "log_likelihood": np.where(is_positive, log_p, log_not_p).sum(),
        "logit_histogram": np.bincount(bin_of_logit, minlength=2 * _LOGIT_BINS),
    }


def _equal_width_bins(p: np.ndarray, n_bins: int) -> np.ndarray:
    """The bin of each probability among ``n_bins`` equal-width bins [e_k, e_k+1), the edges
    e_k = k / n_bins as the table gives them (the last bin includes 1): floor(p · n_bins),
    moved back where rounding the product crossed an edge (0.8999999999999999 · 10 rounds to
    9.0, yet the value is below the edge 0.9) and on where it fell short of one."""
    edges = np.arange(n_bins + 1) / n_bins
    bins = np.minimum((p * n_bins).astype(np.intp), n_bins - 1)
    bins -= p < edges[bins]
    bins += (p >= edges[bins + 1]) & (bins < n_bins - 1)
    return bins


def _sum_partials(partials: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The sum of calibration partials, key by key."""
    return {key: sum(partial[key] for partial in partials) for key in partials[0]}


def _calibration_sums(
    prob: np.ndarray,
    true: np.ndarray,
    class_id: int | None,
    n_bins: int,
    region: np.ndarray | None = None,
    check: Callable[[], None] | None = None,
    track_truth: bool = False,
):
    """One pass over the map (inside ``region``): the bins, Brier score, NLL and logit
    histogram, and with ``track_truth`` the lowest and highest truth id counted
    (``truth_span``, else None). ``check`` is called before each block (it may raise to stop
    the pass)."""
    partial = _checked(
        functools.partial(_calibration_partial, class_id=class_id, n_bins=n_bins), check
    )
    sums, truth_span = _fold_with_truth_span(
        partial, _sum_partials, _with_region([prob, true], region), track_truth
    )
    return _calibration_stats(sums, n_bins, truth_span)


def _calibration_stats(sums: dict, n_bins: int, truth_span: tuple[int, int] | None) -> dict:
    """The bins, Brier score, NLL and logit histogram from the sums of
    :func:`_calibration_partial` over the pixels (``truth_span`` passed on)."""
    count, positive, probability_sum = sums["count"], sums["positive"], sums["probability_sum"]
    squares, positive_probability = float(sums["squares"]), float(sums["positive_probability"])
    log_likelihood, logit_histogram = float(sums["log_likelihood"]), sums["logit_histogram"]
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
        "truth_span": truth_span,
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


def _logit_counts(histogram: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The logit histogram of a calibration pass (negatives' bins, then positives') as the
    negative and the positive pixels per bin, and the logit at each bin centre (increasing)."""
    centres = np.linspace(-_LOGIT_RANGE, _LOGIT_RANGE, _LOGIT_BINS)
    return histogram[:_LOGIT_BINS], histogram[_LOGIT_BINS:], centres


def _logit_histogram(
    true: np.ndarray,
    prob: np.ndarray,
    function: str,
    class_id: int | None,
    channel_axis: int | None,
    background_channel: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The :func:`_logit_counts` of one pass over the map (errors and warnings naming the
    public ``function`` called), for a temperature or a Platt fit."""
    true, prob, whole = _class_probability(
        true, prob, function, class_id, channel_axis, background_channel
    )
    track = channel_axis is not None and not background_channel
    stats = _calibration_sums(prob, true, class_id, 1, track_truth=track)
    _warn_if_channels_shifted(
        function, true, whole, channel_axis, background_channel, class_id, None, stats["truth_span"]
    )
    return _logit_counts(stats["logit_histogram"])


def _fit_temperature(negatives: np.ndarray, positives: np.ndarray, centres: np.ndarray) -> float:
    """T minimising the NLL of sigmoid(z / T) over the pixels counted at each logit z."""

    def nll(log_t: float) -> float:
        z = centres / np.exp(log_t)
        return float(positives @ np.logaddexp(0, -z) + negatives @ np.logaddexp(0, z))

    found = optimize.minimize_scalar(nll, bounds=(np.log(0.02), np.log(50.0)), method="bounded")
    return float(np.exp(found.x))


def fit_temperature(
    true: np.ndarray,
    prob: np.ndarray,
    *,
    class_id: int | None = None,
    channel_axis: int | None = None,
    background_channel: bool = False,
) -> float:
    """Temperature T for which sigmoid(logit(p) / T) has the lowest negative log-likelihood.

    T > 1 softens over-confident probabilities, T < 1 sharpens under-confident ones. Fitted
    on a 4,096-bin histogram of the logits (|logit| <= 16.1 after clipping p to 1e-7), in
    [0.02, 50].

    Parameters
    ----------
    true : ndarray of int or bool
        Ground truth: a label image (positive where ``true > 0``, or ``true == class_id``).
    prob : ndarray of float
        Probabilities in [0, 1], the shape of ``true`` (plus a class axis with
        ``channel_axis``).
    class_id : int, optional
        Fit for one class. With ``channel_axis`` it must be in 1..n: channel k holds the
        probability of class k + 1; with ``background_channel`` too, in 0..n-1: channel k
        holds class k.
    channel_axis : int, optional
        The class axis of a multi-class ``prob``; ``class_id`` chooses the channel.
    background_channel : bool, optional
        With ``channel_axis``: channel 0 of the map is the background, so channel k holds
        class k (see :func:`threshold_sweep`).

    Returns
    -------
    float
        The temperature T.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import apply_temperature, fit_temperature
    >>> true = np.array([1, 1, 1, 0] * 250)
    >>> prob = np.full(1000, 0.99)  # says 99 %, right 75 % of the time
    >>> temperature = fit_temperature(true, prob)  # over-confident: T > 1 softens it
    >>> round(float(apply_temperature(np.array([0.99]), temperature)[0]), 2)
    0.75
    """
    return _fit_temperature(
        *_logit_histogram(true, prob, "fit_temperature", class_id, channel_axis, background_channel)
    )


def apply_temperature(prob: np.ndarray, temperature: float) -> np.ndarray:
    """sigmoid(logit(p) / temperature), in the dtype of ``prob`` (p clipped to 1e-7).

    Parameters
    ----------
    prob : ndarray of float
        Probabilities in [0, 1].
    temperature : float
        T > 0, as :func:`fit_temperature` returns it.

    Returns
    -------
    ndarray
        The calibrated probabilities, the shape and dtype of ``prob``.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import apply_temperature
    >>> apply_temperature(np.array([0.5, 0.9]), 1.0).round(6).tolist()
    [0.5, 0.9]
    """
    prob = probability_array(prob)
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if is_lazy(prob):
        return prob.map_blocks(_apply_temperature, temperature, dtype=prob.dtype)
    return _apply_temperature(prob, temperature)


def _apply_temperature(prob: np.ndarray, temperature: float) -> np.ndarray:
    clipped = np.clip(prob.astype(np.float64), EPS, 1 - EPS)
    return special.expit(special.logit(clipped) / temperature).astype(prob.dtype)


@renamed_keywords(statistic="reduce")
def object_scores(
    labels: np.ndarray,
    prob: np.ndarray,
    *,
    reduce: ObjectReduction = "mean",
) -> pd.DataFrame:
    """A confidence score per object: the mean (default), max or median probability inside it.

    Scores are computed in float64 whatever the dtype of ``prob`` (the median of an even
    number of values is the mean of the middle two).

    Parameters
    ----------
    labels : ndarray of int
        Object labels (0 is background), e.g. a predicted instance label image.
    prob : ndarray of float
        Probabilities in [0, 1], the shape of ``labels``.
    reduce : {"mean", "max", "median"}, optional
        How the probabilities of an object's pixels become its score. (Named ``statistic``
        before 0.2; the old name works until 0.3 with a DeprecationWarning.)

    Returns
    -------
    pandas.DataFrame
        Columns label, score: one row per object, in increasing label order.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import object_scores
    >>> labels = np.array([[1, 1, 0, 2]])
    >>> prob = np.array([[0.2, 0.6, 0.0, 0.9]])
    >>> object_scores(labels, prob, reduce="max")["score"].tolist()
    [0.6, 0.9]
    """
    _check_choice(reduce, OBJECT_REDUCTIONS, "reduce")
    labels = as_label_image(labels, "labels")
    prob = probability_array(prob)
    if labels.shape != prob.shape:
        raise ValueError(f"shape mismatch: labels {labels.shape} vs probabilities {prob.shape}")
    check_probability_range(prob.min(), prob.max(), values=prob)
    if reduce == "mean":
        table = object_measurements(labels, prob)
        return pd.DataFrame({"label": table["label"], "score": table["mean_confidence"]})
    ids = object_measurements(labels)["label"].to_numpy()
    if reduce == "max":
        scores = ndi.maximum(prob, labels=labels, index=ids) if ids.size else []
        return pd.DataFrame({"label": ids, "score": np.asarray(scores, np.float64)})
    return pd.DataFrame({"label": ids, "score": _median_per_object(labels, prob, ids)})


def _median_per_object(labels: np.ndarray, prob: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The median probability of each object in ``ids`` (all present), in float64."""
    inside = labels != 0
    object_of, values = labels[inside], prob[inside]
    order = np.lexsort((values, object_of))  # by object, then by value
    object_of, values = object_of[order], values[order].astype(np.float64)
    first = np.searchsorted(object_of, ids, side="left")
    count = np.searchsorted(object_of, ids, side="right") - first
    return (values[first + (count - 1) // 2] + values[first + count // 2]) / 2


@dataclass(frozen=True, repr=False, eq=False)
class CocoAPResult(Result):
    """COCO-style average precision of score-ranked detections.

    ``per_threshold``: threshold (IoU), ap (101-point interpolated), tp, fp (at the last
    detection), n_true. ``summary``: map (mean AP over the thresholds, pycocotools' "AP"),
    ap_50, ap_75.
    """

    per_threshold: pd.DataFrame
    summary: pd.Series

    _main = "per_threshold"


@renamed_keywords(thresholds="iou_thresholds")
def coco_average_precision(
    true: np.ndarray,
    pred: np.ndarray,
    scores: pd.DataFrame | dict | np.ndarray,
    *,
    iou_thresholds: Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    region: np.ndarray | None = None,
) -> CocoAPResult:
    """COCO average precision of the predicted objects ranked by their scores.

    As pycocotools does for one image and one category (area range "all", no detection
    limit): detections in descending score order (stable: ties keep the id order), each
    matched greedily to the unmatched true object of highest IoU >= t (the later one on equal
    IoU), precision made monotone, and read at the 101 recall points 0, 0.01, ..., 1. AP is
    NaN without true objects. IoU >= t is compared exactly, as everywhere in this package.

    Parameters
    ----------
    true, pred : ndarray of int
        Ground truth and predicted instance labels of the same shape (0 is background).
    scores : DataFrame, dict or ndarray
        One finite score per predicted id: a DataFrame with ``label`` and ``score`` columns
        (as :func:`object_scores` returns), a dict ``{id: score}``, or an array aligned with
        the sorted predicted ids.
    iou_thresholds : sequence of float, optional
        IoU thresholds in (0, 1], at least one (0.50, 0.55, ..., 0.95 by default). Named
        ``thresholds`` before 0.2; the old name works until 0.3 with a DeprecationWarning.
    region : array_like of bool, optional
        A mask of the truth's shape (numpy or chunked): pixels where it is False are left out.
        Each object keeps only its pixels inside; a detection wholly outside is not ranked
        (it needs no score).

    Returns
    -------
    CocoAPResult
        ``per_threshold`` (one row per IoU threshold) and ``summary`` (map, ap_50, ap_75).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import coco_average_precision
    >>> true = np.array([[1, 1, 0, 2, 2, 0, 0]])
    >>> pred = np.array([[1, 1, 0, 2, 2, 0, 3]])
    >>> result = coco_average_precision(true, pred, {1: 0.9, 2: 0.8, 3: 0.1})
    >>> float(result.summary["map"])  # the false detection is ranked last: it costs nothing
    1.0
    >>> first = np.array([[True, True, True, False, False, False, True]])  # 1 and 3 only
    >>> coco_average_precision(true, pred, {1: 0.1, 3: 0.9}, region=first).per_threshold[
    ...     ["tp", "fp"]
    ... ].iloc[0].tolist()
    [1, 1]
    """
    iou_thresholds = [float(t) for t in np.atleast_1d(np.asarray(iou_thresholds, float))]
    if not iou_thresholds:
        raise ValueError("iou_thresholds is empty; give at least one IoU threshold in (0, 1].")
    for threshold in iou_thresholds:
        threshold_fraction(threshold)  # raises for thresholds outside (0, 1]
    true, pred = as_label_pair(true, pred)
    region = check_region(region, tuple(true.shape))
    _check_score_columns(scores)  # before the pass
    return coco_average_precision_of_table(
        overlap_table(true, pred, region=region), scores, iou_thresholds
    )


def coco_average_precision_of_table(
    table: OverlapTable, scores: pd.DataFrame | dict | np.ndarray, iou_thresholds: Sequence[float]
) -> CocoAPResult:
    """:func:`coco_average_precision` from the overlap table of the objects (one pass already
    made: the region and an ignored id left out as the table was counted).

    Parameters
    ----------
    table : OverlapTable
        The objects' overlap table.
    scores : DataFrame, dict or ndarray
        One finite score per predicted id, as :func:`coco_average_precision` takes them.
    iou_thresholds : sequence of float
        IoU thresholds in (0, 1] (checked by the caller).

    Returns
    -------
    CocoAPResult

    Examples
    --------
    >>> true = np.array([[1, 1, 0, 2, 2, 0, 0]])
    >>> pred = np.array([[1, 1, 0, 2, 2, 0, 3]])
    >>> result = coco_average_precision_of_table(
    ...     overlap_table(true, pred), {1: 0.9, 2: 0.8, 3: 0.1}, [0.5]
    ... )
    >>> result.per_threshold[["ap", "tp", "fp"]].values.tolist()
    [[1.0, 2.0, 1.0]]
    """
    pairs = ObjectPairs.from_table(table)
    score = _scores_for(pairs.pred_ids, scores)
    order = np.argsort(-score, kind="stable")  # detection ranks, as pycocotools' mergesort
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    n_true = pairs.true_ids.size
    rows = []
    for threshold in iou_thresholds:
        tp_sorted = _greedy_matches(pairs, rank, threshold)[order]
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
    per_threshold = pd.DataFrame(rows)

    def at(value: float) -> float:
        found = per_threshold.loc[np.isclose(per_threshold["threshold"], value), "ap"]
        return float(found.iloc[0]) if len(found) else float("nan")

    ap = per_threshold["ap"].dropna()
    summary = pd.Series(
        {"map": float(ap.mean()) if len(ap) else float("nan"), "ap_50": at(0.5), "ap_75": at(0.75)},
        dtype=object,
    )
    return CocoAPResult(per_threshold=per_threshold, summary=summary)


def _check_score_columns(scores) -> None:
    """A DataFrame of scores has the columns ``label`` and ``score`` (before any pass)."""
    if not isinstance(scores, pd.DataFrame):
        return
    missing = [name for name in ("label", "score") if name not in scores.columns]
    if missing:
        raise ValueError(
            "scores: a DataFrame needs the columns 'label' and 'score' (as object_scores "
            f"gives); {' and '.join(map(repr, missing))} missing from "
            f"{list(map(str, scores.columns))}."
        )


def _scores_for(pred_ids: np.ndarray, scores) -> np.ndarray:
    _check_score_columns(scores)
    if isinstance(scores, pd.DataFrame):
        scores = dict(zip(scores["label"].tolist(), scores["score"].tolist(), strict=True))
    if isinstance(scores, dict):
        missing = [i for i in pred_ids.tolist() if i not in scores]
        if missing:
            raise ValueError(f"no score for predicted ids {missing[:5]}")
        scores = [scores[i] for i in pred_ids.tolist()]
    scores = np.asarray(scores, float)
    if scores.shape != pred_ids.shape:
        raise ValueError(f"{scores.size} scores for {pred_ids.size} predicted objects")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite numbers; found NaN or infinity.")
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


# Deprecated aliases (0.2): the 0.1 names of the result classes, removed in 0.3. Every result
# class now ends in "Result".
ThresholdSweep = ThresholdSweepResult
Calibration = CalibrationResult
CocoAP = CocoAPResult
