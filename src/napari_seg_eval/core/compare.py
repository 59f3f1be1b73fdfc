"""Comparing runs: bootstrap intervals over images, paired differences, per-object changes.

A percentile bootstrap over images draws the images with replacement, ``n_resamples`` times,
and reads the interval off the percentiles of the recomputed value. Every resample is a row of
weights (how many times each image was drawn), so a value that is a function of sums over
images is recomputed for all resamples at once by one matrix product:

- an image mean (the mean of per-image ratios, undefined ones left out) is
  Σ w_i x_i / Σ w_i over the images where x_i is defined;
- a pooled value (a ratio of counts summed over images) is the ratio of the weighted sums of
  the per-image counts, never a mean of per-image ratios.

A paired bootstrap draws the same images for both runs, so the per-image pairing is kept.
Over one image, :func:`bootstrap_objects` resamples the image's objects instead: its matched
pairs, missed true objects and false predictions (clusters of objects that compete for a match
below IoU 0.5), so that each instance value is recomputed exactly from resampled counts.
Per object, :func:`compare_objects` says which true objects each of two predictions matched
(of the objects the instance metrics score: inside the region, off the border band, not the
ignore label; with classes, within each class, as the per-class counts match them), and
:func:`mcnemar` tests whether one fixes more objects than it breaks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ._results import nanmean, ratio
from ._thread_callbacks import compute
from ._validate import (
    as_label_pair,
    check_region,
    outside_ignored,
    warn_if_background_ignored,
)
from ._warn import warn
from .catalogue import headline_keys
from .classes import ClassesLike, check_background_class, check_classes, object_classes
from .dataset import DatasetResult, _n_resampled
from .instance import (
    REVIEW_THRESHOLD,
    InstanceResult,
    ObjectPairs,
    border_ids_lazy,
    check_criterion,
    check_exclude_border,
    check_iou_thresholds,
    remove_objects,
)
from .overlap import overlap_table_lazy
from .tracking import ctc_scores, ctc_sum

#: A statistic of the weighted per-image sums: (n_resamples, ...) -> (n_resamples,).
Statistic = Literal["mean", "ratio"] | Callable[[np.ndarray], np.ndarray]

CHANGES = ("fixed by B", "broken by B", "both", "neither")
#: The colour (RGB in 0..1) of each change, wherever objects are shown by change (the Runs
#: tab's layer and legend, the report): Paul Tol's colour-blind-safe PRGn green for fixed and
#: his iridescent lavender for broken. Neither is a colour of an error kind
#: (:data:`~napari_seg_eval.core.review.KIND_COLORS`: teal is spurious, rose missed there) nor
#: one of the confidence colormap: CIEDE2000 above 15 from both, above 25 from each other as
#: seen with each colour-vision deficiency, and 3:1 contrast with napari's dark (black) and
#: light (white) canvas.
CHANGE_COLORS = {
    "fixed by B": (0.106, 0.471, 0.216),  # PRGn green #1B7837
    "broken by B": (0.608, 0.541, 0.769),  # iridescent lavender #9B8AC4
    "both": (0.8, 0.8, 0.8),
    "neither": (0.55, 0.55, 0.55),
}

#: Resample weights held at once by :func:`bootstrap_objects` (resamples × units per batch).
OBJECT_BATCH = 1 << 22
#: Values of :func:`bootstrap_objects`: the summary keys (IoU 0.5 and the mean over
#: thresholds), then each threshold's values.
OBJECT_SUMMARY = (
    "mean_accuracy",
    "f1_50",
    "accuracy_50",
    "precision_50",
    "recall_50",
    "panoptic_quality_50",
)
OBJECT_PER_THRESHOLD = ("f1", "accuracy", "precision", "recall", "panoptic_quality")
#: The headline values pooled from each image's per-threshold (instance) or per-class
#: (semantic) counts, ``DatasetResult.per_image_rows``: without them, no interval.
POOLED_FROM_ROWS = {"instance": ("mean_accuracy",), "semantic": ("mean_iou", "mean_dice")}


def bootstrap_weights(
    n_images: int, *, n_resamples: int = 2000, seed: int | None = 0
) -> np.ndarray:
    """How many times each image is drawn in each bootstrap resample.

    The images of all resamples are drawn as one array of indices (``n_resamples`` rows of
    ``n_images`` draws with replacement) and counted per row.

    Parameters
    ----------
    n_images : int
        Number of images (at least 1).
    n_resamples : int
        Number of resamples (at least 1).
    seed : int or None
        Seed of :func:`numpy.random.default_rng`: the same seed gives the same resamples.
        None draws fresh ones.

    Returns
    -------
    numpy.ndarray
        Shape (n_resamples, n_images), float: each row sums to ``n_images``.

    Examples
    --------
    >>> weights = bootstrap_weights(3, n_resamples=4, seed=1)
    >>> weights.shape, weights.sum(axis=1).tolist()
    ((4, 3), [3.0, 3.0, 3.0, 3.0])
    """
    n_images = _positive_int(n_images, "n_images")
    n_resamples = _positive_int(n_resamples, "n_resamples")
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, n_images, size=(n_resamples, n_images))
    drawn += n_images * np.arange(n_resamples)[:, None]  # one bin per (resample, image)
    counts = np.bincount(drawn.ravel(), minlength=n_resamples * n_images)
    return counts.reshape(n_resamples, n_images).astype(float)


def bootstrap_interval(
    values_per_image: np.ndarray,
    statistic: Statistic = "mean",
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval over images of an image-mean or a pooled value.

    Parameters
    ----------
    values_per_image : array_like
        One row per image. With ``statistic="mean"``: the per-image values (1-D, NaN where
        undefined). With ``"ratio"``: two columns, numerator and denominator counts. With a
        callable: any finite per-image counts, shape (n_images, ...).
    statistic : {"mean", "ratio"} or callable
        ``"mean"``: the mean over the images where the value is defined (image mean).
        ``"ratio"``: Σ numerator / Σ denominator (pooled; 0/0 is NaN). A callable receives the
        weighted sums of the rows, shape (n_resamples, ...), and returns one value per
        resample: a pooled value is a function of summed counts.
    confidence : float
        The interval's nominal coverage, in (0, 1).
    n_resamples : int
        Number of bootstrap resamples.
    seed : int or None
        Seed of the resampling (see :func:`bootstrap_weights`).

    Returns
    -------
    low, high : float
        The (1 - confidence) / 2 and (1 + confidence) / 2 percentiles of the resampled values
        (linear interpolation). Resamples where the value is undefined (e.g. only images
        where it is NaN) are left out; NaN if every resample is.

    Raises
    ------
    ValueError
        For a confidence outside (0, 1), a non-positive ``n_resamples``, no images, values of
        the wrong shape, or non-finite counts given to ``"ratio"`` or a callable.

    Examples
    --------
    Two images, values 0 and 1: a resample's mean is 0, 0.5 or 1 (chances 1/4, 1/2, 1/4).

    >>> from napari_seg_eval import bootstrap_interval
    >>> bootstrap_interval([0.0, 1.0])
    (0.0, 1.0)
    >>> bootstrap_interval([0.0, 1.0], confidence=0.4)  # the 30th and 70th percentiles
    (0.5, 0.5)

    Pooled: image 1 has 1 of 1 right, image 2 has 0 of 3. The resamples give 2/2, 1/4 or 0/6.

    >>> bootstrap_interval([[1, 1], [0, 3]], "ratio", confidence=0.4)
    (0.25, 0.25)
    """
    confidence = _check_confidence(confidence)
    values, reduce = _statistic(values_per_image, statistic)
    weights = bootstrap_weights(len(values), n_resamples=n_resamples, seed=seed)
    return _percentiles(reduce(_weighted_sums(weights, values)), confidence)


def bootstrap_dataset(
    result: DatasetResult,
    *,
    per_image_rows: pd.DataFrame | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Bootstrap intervals over images of every pooled and image-mean headline value.

    Parameters
    ----------
    result : DatasetResult
        A :func:`~napari_seg_eval.dataset_metrics` result (instance or semantic).
    per_image_rows : pandas.DataFrame, optional
        Each image's per-threshold (instance) or per-class (semantic) table, stacked, with an
        ``image`` column: the counts that ``mean_accuracy_pooled`` (instance) and
        ``mean_iou_pooled`` / ``mean_dice_pooled`` (semantic) are pooled from. They must add up
        to ``result.pooled``. Default: the result's own ``per_image_rows`` (every result of
        :func:`~napari_seg_eval.dataset_metrics` has them). Without any, those three values
        get NaN bounds and a warning; every other value is recomputed from
        ``result.per_image``.
    confidence, n_resamples, seed
        As in :func:`bootstrap_interval`; every value uses the same resamples.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric`` (the summary key), ``value`` (as in ``result.summary``), ``low``
        and ``high``; one row per headline value, pooled then image mean. ``attrs`` holds the
        settings. ``low`` and ``high`` are NaN for a value drawn from fewer than 2 images (a
        pooled value of one image; an image mean defined on one image): every resample would
        be the value itself, a zero-width interval that says nothing (as
        :func:`~napari_seg_eval.dataset_metrics` reports it).

    Raises
    ------
    ValueError
        For bad settings, or ``per_image_rows`` that do not fit the result.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import bootstrap_dataset
    >>> from napari_seg_eval import dataset_metrics
    >>> a = np.array([[1, 1, 0], [0, 0, 2]])
    >>> b = np.array([[0, 3, 3], [0, 0, 0]])
    >>> result = dataset_metrics([a, b], [a, np.zeros_like(b)], iou_thresholds=[0.5])
    >>> table = bootstrap_dataset(result, confidence=0.4)
    >>> table.set_index("metric").loc["f1_50_pooled"].tolist()  # 8/8, 4/5 (half) or 0/2
    [0.8, 0.8, 0.8]
    """
    confidence = _check_confidence(confidence)
    parts, missing = _headline_parts(result, per_image_rows)
    _warn_missing(missing, _kind(result), "the result has")
    weights = bootstrap_weights(_n_images(result), n_resamples=n_resamples, seed=seed)
    rows = []
    for key, part in parts.items():
        low, high = (np.nan, np.nan)
        if part is not None and _n_resampled(result, key) >= 2:
            values, reduce = part
            low, high = _percentiles(reduce(_weighted_sums(weights, values)), confidence)
        rows.append({"metric": key, "value": float(result.summary[key]), "low": low, "high": high})
    table = pd.DataFrame(rows, columns=["metric", "value", "low", "high"])
    table.attrs.update(confidence=confidence, n_resamples=len(weights), seed=seed)
    return table


def bootstrap_ctc(
    counts: Sequence[dict[str, float | int]],
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Bootstrap intervals over images of the Cell Tracking Challenge's SEG and DET, pooled
    and image mean, with the resamples of :func:`bootstrap_dataset` (same images, seed and
    number of resamples: the same draws).

    Pooled SEG is Σ seg_sum / Σ n_true and pooled DET 1 − min(Σ AOGM-D, Σ AOGM-D0) /
    Σ AOGM-D0 of the images drawn (AOGM-D = 5 ns + 10 fn + fp, AOGM-D0 = 10 n_true: both
    add up over images); an image mean is the mean of the drawn images' values where defined.

    Parameters
    ----------
    counts : sequence of dict
        Each image's :func:`~napari_seg_eval.core.tracking.ctc_counts` (summed over its
        frames: :func:`~napari_seg_eval.core.tracking.ctc_image_counts`), in image order.
    confidence, n_resamples, seed
        As in :func:`bootstrap_interval`.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric`` (``seg_pooled``, ``seg_image_mean``, ``det_pooled``,
        ``det_image_mean``), ``value``, ``low`` and ``high``. ``low`` and ``high`` are NaN for
        a value drawn from fewer than 2 images, as in :func:`bootstrap_dataset`.

    Examples
    --------
    Two images: SEG 1 of 1 true object (seg_sum 1), and 0 of 1 (missed). A resample draws
    the first twice (SEG 1), one of each (1/2) or the second twice (0).

    >>> hit = {"seg_sum": 1.0, "n_true": 1, "n_pred": 1, "fn": 0, "fp": 0, "ns": 0}
    >>> miss = {"seg_sum": 0.0, "n_true": 1, "n_pred": 0, "fn": 1, "fp": 0, "ns": 0}
    >>> table = bootstrap_ctc([hit, miss]).set_index("metric")
    >>> table.loc["seg_pooled"].tolist()
    [0.5, 0.0, 1.0]
    """
    confidence = _check_confidence(confidence)
    if not counts:
        raise ValueError("bootstrap_ctc needs the counts of one image at least.")
    scores = [ctc_scores(image) for image in counts]
    pooled = ctc_scores(ctc_sum(counts))
    parts = {
        "seg": (
            np.array([[image["seg_sum"], image["n_true"]] for image in counts], float),
            _ratio_of_sums,
        ),
        "det": (
            np.array([[score["aogm_d"], score["aogm_d0"]] for score in scores], float),
            _detection,
        ),
    }
    weights = bootstrap_weights(len(counts), n_resamples=n_resamples, seed=seed)
    rows = []
    for key, pooled_part in parts.items():
        per_image = np.array([score[key] for score in scores], float)
        for metric, value, (values, reduce), drawn in (
            (f"{key}_pooled", pooled[key], pooled_part, len(counts)),
            (f"{key}_image_mean", nanmean(per_image), _mean_part(per_image), _defined(per_image)),
        ):
            low, high = (np.nan, np.nan)
            if drawn >= 2:
                low, high = _percentiles(reduce(_weighted_sums(weights, values)), confidence)
            rows.append({"metric": metric, "value": float(value), "low": low, "high": high})
    table = pd.DataFrame(rows, columns=["metric", "value", "low", "high"])
    table.attrs.update(confidence=confidence, n_resamples=len(weights), seed=seed)
    return table


def _detection(sums: np.ndarray) -> np.ndarray:
    """DET of summed (AOGM-D, AOGM-D0): 1 − min(AOGM-D, AOGM-D0) / AOGM-D0 (NaN for 0 / 0)."""
    return 1.0 - ratio(np.minimum(sums[:, 0], sums[:, 1]), sums[:, 1])


def _defined(values: np.ndarray) -> int:
    """How many of the values are defined (not NaN)."""
    return int(np.isfinite(values).sum())


def paired_bootstrap(
    a: DatasetResult,
    b: DatasetResult,
    *,
    per_image_rows_a: pd.DataFrame | None = None,
    per_image_rows_b: pd.DataFrame | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Paired bootstrap over images of the difference b − a of each headline value.

    Both runs must cover the same images in the same order (image i of ``a`` is image i of
    ``b``): each resample draws the same images for both, and the difference is recomputed.

    Parameters
    ----------
    a, b : DatasetResult
        Two results of the same kind over the same images.
    per_image_rows_a, per_image_rows_b : pandas.DataFrame, optional
        As ``per_image_rows`` of :func:`bootstrap_dataset`, for each run (default: each
        result's own ``per_image_rows``).
    confidence, n_resamples, seed
        As in :func:`bootstrap_interval`.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``a``, ``b``, ``difference`` (b − a), ``low`` and ``high`` (the
        interval of the difference). ``low`` and ``high`` are NaN where either run's value is
        drawn from fewer than 2 images (one image in all; an image mean defined on one image),
        as in :func:`bootstrap_dataset`: every resample would repeat that run's value.

    Warns
    -----
    RuntimeWarning
        Once, naming the pooled means over thresholds or classes left without an interval
        because a run has no ``per_image_rows``.

    Raises
    ------
    ValueError
        If the runs have different numbers of images or are not of the same kind.

    Examples
    --------
    Image 1: A finds nothing, B both objects; image 2: both find its object.

    >>> import numpy as np
    >>> from napari_seg_eval import paired_bootstrap
    >>> from napari_seg_eval import dataset_metrics
    >>> true = [np.array([[1, 1, 0, 2, 2]]), np.array([[1, 1, 0, 0, 0]])]
    >>> pred_a, pred_b = [np.zeros((1, 5), int), true[1]], true
    >>> run_a = dataset_metrics(true, pred_a, iou_thresholds=[0.5])
    >>> run_b = dataset_metrics(true, pred_b, iou_thresholds=[0.5])
    >>> table = paired_bootstrap(run_a, run_b).set_index("metric")
    >>> table.loc["f1_50_image_mean", ["difference", "low", "high"]].tolist()
    [0.5, 0.0, 1.0]
    """
    confidence = _check_confidence(confidence)
    n_a, n_b = _n_images(a), _n_images(b)
    if n_a != n_b:
        raise ValueError(
            f"run a covers {n_a} images and run b {n_b}: a paired comparison needs the same "
            "images in both runs."
        )
    kind = _kind(a)
    if _kind(b) != kind:
        raise ValueError(
            f"runs a and b are not of the same kind: a is {kind}, b {_kind(b)} (compare "
            "instance results with instance results, semantic with semantic)."
        )
    parts_a, missing_a = _headline_parts(a, per_image_rows_a)
    parts_b, missing_b = _headline_parts(b, per_image_rows_b)
    lacking = [name for name, keys in (("a", missing_a), ("b", missing_b)) if keys]
    who = f"run {lacking[0]} has" if len(lacking) == 1 else "runs a and b have"
    _warn_missing(missing_a or missing_b, kind, who)
    weights = bootstrap_weights(n_a, n_resamples=n_resamples, seed=seed)
    rows = []
    for key in parts_a:
        value_a, value_b = float(a.summary[key]), float(b.summary[key])
        low, high = (np.nan, np.nan)
        resampled = min(_n_resampled(a, key), _n_resampled(b, key))
        if parts_a[key] is not None and parts_b[key] is not None and resampled >= 2:
            (values_a, reduce_a), (values_b, reduce_b) = parts_a[key], parts_b[key]
            difference = reduce_b(_weighted_sums(weights, values_b)) - reduce_a(
                _weighted_sums(weights, values_a)
            )
            low, high = _percentiles(difference, confidence)
        rows.append(
            {
                "metric": key,
                "a": value_a,
                "b": value_b,
                "difference": value_b - value_a,
                "low": low,
                "high": high,
            }
        )
    table = pd.DataFrame(rows, columns=["metric", "a", "b", "difference", "low", "high"])
    table.attrs.update(confidence=confidence, n_resamples=len(weights), seed=seed)
    return table


def compare_objects(
    true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    *,
    iou_threshold: float = 0.5,
    criterion: str = "iou",
    ignore_label: int | None = None,
    region: np.ndarray | None = None,
    exclude_border: int = 0,
    true_classes: ClassesLike | None = None,
    pred_a_classes: ClassesLike | None = None,
    pred_b_classes: ClassesLike | None = None,
    background_class: int | None = None,
) -> pd.DataFrame:
    """Per true object: is it matched by prediction A, by prediction B, and what changed.

    Each prediction is matched to the truth one-to-one at ``iou_threshold`` (IoU >= t, the
    most pairs, then the largest summed IoU: the matching of
    :func:`~napari_seg_eval.instance_metrics`). Only the objects the instance metrics score
    with the same ``criterion``, ``ignore_label``, ``region`` and ``exclude_border`` are
    counted, matched as they match them. With classes, a true object matches only a
    prediction of its own class: the matching of the per-class counts (``per_class``) of
    :func:`~napari_seg_eval.instance_metrics` with the same classes, so that the objects
    matched by A at a threshold are as many as its per-class TP there, summed over classes.

    Parameters
    ----------
    true, pred_a, pred_b : numpy.ndarray or chunked array
        Instance label images of one shape (0 is background), ground truth first.
    iou_threshold : float
        The IoU at which an object counts as matched, in (0, 1].
    criterion : {"iou", "iot", "iop"}
        What is compared with the threshold, as in :func:`~napari_seg_eval.instance_metrics`
        (``iou_a`` and ``iou_b`` are the matched pairs' IoU either way).
    ignore_label : int, optional
        Truth id whose pixels are left out of every count; it is not an object (as in
        :func:`~napari_seg_eval.instance_metrics`).
    region : array_like of bool, optional
        Only these pixels count: an object without a pixel in it is not listed, and IoU is
        measured inside it (as in :func:`~napari_seg_eval.instance_metrics`).
    exclude_border : int
        Objects of either side with a pixel in a band this many pixels wide at the image's
        edge are removed (a true one is not listed; a predicted one matches nothing).
    true_classes, pred_a_classes, pred_b_classes : array_like or mapping, optional
        All three or none: each side's classes as :func:`~napari_seg_eval.instance_metrics`
        takes them (a class image of the same shape, an object's class the majority of its
        pixels that count; or a mapping from object id to class). Objects then match only
        within their class.
    background_class : int, optional
        With classes: the class that is no class, as in
        :func:`~napari_seg_eval.instance_metrics`: true objects of it are not listed (they
        are in no per-class count), and predictions of it match nothing listed.

    Returns
    -------
    pandas.DataFrame
        One row per true object scored, ids ascending: ``label``, (with classes ``class``, the
        true object's class), ``matched_a``, ``matched_b``, ``partner_a``, ``partner_b`` (the
        matched prediction's id, 0 if none), ``iou_a``, ``iou_b`` (IoU with it, NaN if none)
        and ``change``: ``"fixed by B"`` (matched by B only), ``"broken by B"`` (by A only),
        ``"both"`` or ``"neither"``.

    Raises
    ------
    TypeError, ValueError
        For images that are not label images of one shape, a threshold outside (0, 1], classes
        for some sides only, classes that do not fit (as
        :func:`~napari_seg_eval.instance_metrics` says), or a ``background_class`` without
        classes.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import compare_objects
    >>> true = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
    >>> pred_a = np.array([[1, 1, 0, 2, 2, 0, 0, 0]])
    >>> pred_b = np.array([[0, 0, 0, 5, 5, 0, 6, 6]])
    >>> compare_objects(true, pred_a, pred_b)["change"].tolist()
    ['broken by B', 'both', 'fixed by B']

    Only the pixels of a region count: object 1, outside it, is not scored.

    >>> region = np.array([[False, False, False, True, True, True, True, True]])
    >>> compare_objects(true, pred_a, pred_b, region=region)["change"].tolist()
    ['both', 'fixed by B']

    With classes, A's object 2 (class 1) does not match true object 2 (class 2), so B (of
    class 2 there) fixes it:

    >>> table = compare_objects(
    ...     true, pred_a, pred_b, true_classes={1: 1, 2: 2, 3: 1},
    ...     pred_a_classes={1: 1, 2: 1}, pred_b_classes={5: 2, 6: 1},
    ... )
    >>> table["change"].tolist()
    ['broken by B', 'fixed by B', 'fixed by B']
    """
    (threshold,) = check_iou_thresholds([iou_threshold])
    criterion = check_criterion(criterion)
    width = check_exclude_border(exclude_border)
    warn_if_background_ignored(ignore_label, "compare_objects")
    given = {
        "true_classes": true_classes,
        "pred_a_classes": pred_a_classes,
        "pred_b_classes": pred_b_classes,
    }
    missing = [name for name, classes in given.items() if classes is None]
    if 0 < len(missing) < len(given):
        raise ValueError(
            "give true_classes, pred_a_classes and pred_b_classes to match within classes (or "
            f"none of them); missing: {', '.join(missing)}."
        )
    background = check_background_class(background_class, not missing)
    # Every check (dtypes, shapes, region, classes) before the first pass over the images.
    true, pred_a = as_label_pair(true, pred_a)
    true, pred_b = as_label_pair(true, pred_b)
    region = check_region(region, tuple(true.shape))
    specs = None
    if not missing:
        specs = [check_classes(classes, tuple(true.shape), name) for name, classes in given.items()]
    table_a, table_b, *band = compute(
        overlap_table_lazy(true, pred_a, ignore_label=ignore_label, region=region),
        overlap_table_lazy(true, pred_b, ignore_label=ignore_label, region=region),
        border_ids_lazy(true, width),
        border_ids_lazy(pred_a, width),
        border_ids_lazy(pred_b, width),
    )
    if width:  # as instance_metrics excludes them (ids not in a table are left alone)
        table_a = remove_objects(table_a, band[0], band[1])
        table_b = remove_objects(table_b, band[0], band[2])
    pairs_a, pairs_b = ObjectPairs.from_table(table_a), ObjectPairs.from_table(table_b)
    frame = pd.DataFrame({"label": pairs_a.true_ids})
    if specs is not None:  # instance_metrics' classes: of the pixels that count
        voters = outside_ignored(true, ignore_label, region)
        true_class = object_classes(pairs_a.true_ids, specs[0], true, voters)
        pairs_a = pairs_a.within_classes(
            true_class, object_classes(pairs_a.pred_ids, specs[1], pred_a, voters)
        )
        pairs_b = pairs_b.within_classes(
            true_class, object_classes(pairs_b.pred_ids, specs[2], pred_b, voters)
        )
        frame["class"] = true_class
    for name, pairs in (("a", pairs_a), ("b", pairs_b)):
        matched = pairs.match(threshold, criterion)
        partner = np.zeros(pairs.true_ids.size, pairs.pred_ids.dtype)
        iou = np.full(pairs.true_ids.size, np.nan)
        partner[pairs.true_index[matched]] = pairs.pred_ids[pairs.pred_index[matched]]
        iou[pairs.true_index[matched]] = pairs.iou[matched]
        frame[f"matched_{name}"] = ~np.isnan(iou)
        frame[f"partner_{name}"] = partner
        frame[f"iou_{name}"] = iou
    own = [f"{column}_{name}" for column in ("matched", "partner", "iou") for name in "ab"]
    frame = frame[["label", *(["class"] if specs else []), *own]]
    if background is not None:  # in no per-class count; within classes, no other row changes
        frame = frame[frame["class"] != background].reset_index(drop=True)
    frame["change"] = object_changes(frame["matched_a"], frame["matched_b"])
    return frame


def object_changes(matched_a: np.ndarray, matched_b: np.ndarray) -> np.ndarray:
    """The change of each true object from whether A and B matched it (:data:`CHANGES`).

    Parameters
    ----------
    matched_a, matched_b : array_like of bool
        Per true object, whether prediction A (B) matched it.

    Returns
    -------
    numpy.ndarray
        Per object ``"fixed by B"`` (B only), ``"broken by B"`` (A only), ``"both"`` or
        ``"neither"``.

    Examples
    --------
    >>> object_changes([True, True, False, False], [True, False, True, False]).tolist()
    ['both', 'broken by B', 'fixed by B', 'neither']
    """
    code = 2 * np.asarray(matched_a, int) + np.asarray(matched_b, int)
    # code: 0 neither, 1 B only, 2 A only, 3 both
    return np.array(["neither", "fixed by B", "broken by B", "both"])[code]


def mcnemar(table: pd.DataFrame | np.ndarray) -> pd.Series:
    """McNemar's exact test: does B fix more objects than it breaks, or fewer?

    Only the discordant objects count: ``fixed`` (matched by B only) and ``broken`` (by A
    only). Under the null hypothesis that A and B are equally good, each discordant object is
    fixed or broken with chance 1/2, so ``fixed`` is binomial(fixed + broken, 1/2); the
    p-value is the two-sided exact binomial test (:func:`scipy.stats.binomtest`).

    Parameters
    ----------
    table : pandas.DataFrame or array_like
        A :func:`compare_objects` table (columns ``matched_a`` and ``matched_b``), or the 2×2
        counts ``[[both, broken], [fixed, neither]]`` (rows: matched by A yes/no; columns:
        matched by B yes/no).

    Returns
    -------
    pandas.Series
        ``fixed``, ``broken``, ``n_discordant`` and ``p_value`` (1.0 when no object is
        discordant: nothing tells the two apart).

    Raises
    ------
    ValueError
        For a table that is neither, or counts that are not whole numbers >= 0.

    Examples
    --------
    >>> from napari_seg_eval import mcnemar
    >>> result = mcnemar([[5, 1], [4, 2]])  # fixed 4, broken 1: 2 * (1 + 5) / 2**5
    >>> float(result["p_value"])
    0.375
    """
    if isinstance(table, pd.DataFrame):
        missing = {"matched_a", "matched_b"} - set(table.columns)
        if missing:
            raise ValueError(f"the table has no column {sorted(missing)}: pass compare_objects().")
        matched_a = table["matched_a"].to_numpy(bool)
        matched_b = table["matched_b"].to_numpy(bool)
        fixed, broken = int((matched_b & ~matched_a).sum()), int((matched_a & ~matched_b).sum())
    else:
        counts = np.asarray(table)
        if (
            counts.shape != (2, 2)
            or not np.issubdtype(counts.dtype, np.number)
            or not np.all(np.isfinite(counts))
            or np.any(counts < 0)
            or np.any(counts != np.round(counts))
        ):
            raise ValueError(
                "mcnemar needs a compare_objects() table or 2x2 counts "
                f"[[both, broken], [fixed, neither]] of whole numbers >= 0, got {table!r}."
            )
        fixed, broken = int(counts[1, 0]), int(counts[0, 1])
    n = fixed + broken
    from scipy.stats import binomtest  # 0.24 s of imports: only when a test is asked for

    p_value = binomtest(fixed, n, 0.5).pvalue if n else 1.0
    return pd.Series(
        {"fixed": fixed, "broken": broken, "n_discordant": n, "p_value": float(p_value)},
        dtype=object,
    )


def bootstrap_objects(
    result: InstanceResult,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
    check: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Percentile bootstrap over the objects of one image of the instance metrics.

    The units drawn are the image's match outcomes: at IoU >= 0.5 each unit is a matched pair
    (one true and one predicted object), a missed true object or a false prediction. Below
    0.5 an object may compete for several partners, so the units are the clusters of objects
    joined by candidate pairs at the smallest threshold (the matching is solved within each
    cluster, so the image's counts are the sums of the units' counts). A resample draws as
    many units as there are, with replacement, and recomputes every value exactly from the
    summed counts: at each threshold t, TP_t, n_true, n_pred and the summed IoU of the
    matched pairs, hence F1_t = 2 TP_t / (n_true + n_pred), accuracy_t = TP_t / (n_true +
    n_pred − TP_t), PQ_t = ΣIoU_t / ((n_true + n_pred) / 2), and AP (DSB) = the mean of
    accuracy_t over the thresholds. The AJI is not resampled: its best-partner pairing is not
    one-to-one, so it does not split into independent units.

    The interval is over *objects* of this one image, not over images: it treats the units as
    independent draws, which neighbouring objects are not, and it says nothing about other
    images. With the classes of a multi-class result, the values are class-agnostic.

    Parameters
    ----------
    result : InstanceResult
        The :func:`~napari_seg_eval.instance_metrics` result of one image.
    confidence : float
        The interval's nominal coverage, in (0, 1).
    n_resamples : int
        Number of bootstrap resamples.
    seed : int or None
        Seed of :func:`numpy.random.default_rng`: the same seed gives the same interval.
    check : callable, optional
        Called before each batch of resamples; it may raise to stop the computation (e.g.
        :meth:`~napari_seg_eval.evaluation.RunControl.check` of a cancelled run).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``threshold`` (NaN for the summary keys), ``value`` (the result's
        own value), ``low`` and ``high``. Rows: ``mean_accuracy``, ``f1_50``, ``accuracy_50``,
        ``precision_50``, ``recall_50``, ``panoptic_quality_50``, then ``f1``, ``accuracy``,
        ``precision``, ``recall``, ``panoptic_quality`` at each threshold of the result.
        ``attrs``: ``over`` ("objects"), ``n_units``, ``confidence``, ``n_resamples``,
        ``seed``. With no object in either image every bound is NaN.

    Raises
    ------
    TypeError
        If ``result`` is not an :class:`~napari_seg_eval.core.instance.InstanceResult`.
    ValueError
        For a confidence outside (0, 1) or a non-positive ``n_resamples``.

    Examples
    --------
    Two objects, both found exactly: every resample finds all it draws.

    >>> import numpy as np
    >>> from napari_seg_eval import bootstrap_objects
    >>> from napari_seg_eval import instance_metrics
    >>> true = np.array([[1, 1, 0, 2, 2]])
    >>> table = bootstrap_objects(instance_metrics(true, true, iou_thresholds=[0.5]))
    >>> table.set_index("metric").loc["f1_50", ["value", "low", "high"]].tolist()
    [1.0, 1.0, 1.0]

    One object found, one missed: a resample draws 2 units, each a found pair (F1 1) or a
    miss (F1 0): F1 is 0 (chance 1/4), 2/3 (1/2) or 1 (1/4).

    >>> pred = np.array([[1, 1, 0, 0, 0]])
    >>> table = bootstrap_objects(instance_metrics(true, pred, iou_thresholds=[0.5]))
    >>> table.set_index("metric").loc["f1_50", ["low", "high"]].tolist()
    [0.0, 1.0]
    """
    if not isinstance(result, InstanceResult):
        raise TypeError(
            f"bootstrap_objects takes an InstanceResult (instance_metrics), not "
            f"{type(result).__name__}."
        )
    confidence = _check_confidence(confidence)
    n_resamples = _positive_int(n_resamples, "n_resamples")
    thresholds = result.per_threshold["threshold"].to_numpy(float)
    counts = _unit_counts(result.pairs, [*thresholds, REVIEW_THRESHOLD], result.criterion)
    values = [float(result.summary[key]) for key in OBJECT_SUMMARY]
    metrics, at = list(OBJECT_SUMMARY), [np.nan] * len(OBJECT_SUMMARY)
    for name in OBJECT_PER_THRESHOLD:
        metrics += [name] * thresholds.size
        at += thresholds.tolist()
        values += result.per_threshold[name].to_numpy(float).tolist()
    bounds = np.full((len(metrics), 2), np.nan)
    if len(counts):
        batches = []
        for weights in _unit_weight_batches(len(counts), n_resamples, seed):
            if check is not None:
                check()
            batches.append(_object_values(weights @ counts, thresholds.size))
        resampled = np.concatenate(batches)
        bounds = np.array([_percentiles(column, confidence) for column in resampled.T])
    table = pd.DataFrame(
        {"metric": metrics, "threshold": at, "value": values, "low": bounds[:, 0]}
    ).assign(high=bounds[:, 1])
    table.attrs.update(
        over="objects",
        n_units=len(counts),
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )
    return table


def _unit_counts(pairs: ObjectPairs, thresholds: list[float], criterion: str) -> np.ndarray:
    """Per unit (a cluster of objects joined by candidate pairs at the smallest threshold):
    n_true, n_pred, then TP and the summed matched IoU at each threshold.

    Returns shape (n_units, 2 + 2 * n_thresholds); the column sums are the image's counts.
    """
    n_true, n_pred = pairs.true_ids.size, pairs.pred_ids.size
    edges = pairs.candidates(min(thresholds), criterion)
    graph = coo_matrix(
        (
            np.ones(edges.size, np.int8),
            (pairs.true_index[edges], n_true + pairs.pred_index[edges]),
        ),
        shape=(n_true + n_pred,) * 2,
    )
    n_units, unit = connected_components(graph, directed=False)
    unit_of_true = unit[:n_true]
    columns = [
        np.bincount(unit_of_true, minlength=n_units),
        np.bincount(unit[n_true:], minlength=n_units),
    ]
    matched = [pairs.match(t, criterion) for t in thresholds]
    for chosen in matched:
        columns.append(np.bincount(unit_of_true[pairs.true_index[chosen]], minlength=n_units))
    for chosen in matched:
        owner = unit_of_true[pairs.true_index[chosen]]
        columns.append(np.bincount(owner, weights=pairs.iou[chosen], minlength=n_units))
    return np.column_stack(columns).astype(float) if n_units else np.zeros((0, len(columns)))


def _unit_weight_batches(n_units: int, n_resamples: int, seed: int | None) -> Iterator[np.ndarray]:
    """The bootstrap weights of ``n_resamples`` draws of ``n_units`` units, a batch at a time
    (one generator for all batches: the same seed gives the same resamples)."""
    rng = np.random.default_rng(seed)
    batch = max(1, OBJECT_BATCH // n_units)
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        drawn = rng.integers(0, n_units, size=(size, n_units))
        drawn += n_units * np.arange(size)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=size * n_units)
        yield counts.reshape(size, n_units).astype(float)


def _object_values(sums: np.ndarray, n_thresholds: int) -> np.ndarray:
    """The values of :func:`bootstrap_objects`, in its row order, from summed unit counts
    (one row per resample; the last threshold is the review threshold, 0.5)."""
    n_true, n_pred = sums[:, :1], sums[:, 1:2]
    tp = sums[:, 2 : 3 + n_thresholds]
    iou = sums[:, 3 + n_thresholds :]
    scores = {
        "f1": ratio(2 * tp, n_true + n_pred),
        "accuracy": ratio(tp, n_true + n_pred - tp),
        "precision": ratio(tp, n_pred),
        "recall": ratio(tp, n_true),
        "panoptic_quality": ratio(iou, (n_true + n_pred) / 2),
    }
    mean_accuracy = _mean_over_rows(scores["accuracy"][:, :n_thresholds])
    summary = [mean_accuracy] + [
        scores[key][:, n_thresholds]
        for key in ("f1", "accuracy", "precision", "recall", "panoptic_quality")
    ]
    per_threshold = [scores[key][:, :n_thresholds] for key in OBJECT_PER_THRESHOLD]
    return np.column_stack(summary + per_threshold)


# -- helpers ------------------------------------------------------------------------------


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return int(value)


def _check_confidence(confidence: object) -> float:
    try:
        value = float(confidence)
    except (TypeError, ValueError):
        value = np.nan
    if not 0 < value < 1:  # NaN fails too
        raise ValueError(f"confidence must be a number in (0, 1), e.g. 0.95; got {confidence!r}.")
    return value


def _statistic(
    values_per_image: object, statistic: Statistic
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """The per-image rows to sum, and the function of their weighted sums."""
    values = np.asarray(values_per_image, dtype=float)
    if values.ndim == 0 or len(values) == 0:
        raise ValueError("bootstrap_interval needs one value (or row of counts) per image.")
    if statistic == "mean":
        if values.ndim != 1:
            raise ValueError(f"statistic 'mean' takes one value per image, got {values.shape}.")
        return _mean_part(values)
    if not np.all(np.isfinite(values)):
        raise ValueError("counts to pool must be finite (only 'mean' leaves NaN values out).")
    if statistic == "ratio":
        if values.ndim != 2 or values.shape[1] != 2:
            raise ValueError(
                f"statistic 'ratio' takes (numerator, denominator) per image, got {values.shape}."
            )
        return values, _ratio_of_sums
    if callable(statistic):
        return values, statistic
    raise ValueError(f"statistic must be 'mean', 'ratio' or a callable, got {statistic!r}.")


def _mean_part(values: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """An image mean as a ratio of sums: Σ w x over the defined images / Σ w over them."""
    defined = ~np.isnan(values)
    return np.column_stack([np.where(defined, values, 0.0), defined]), _ratio_of_sums


def _ratio_of_sums(sums: np.ndarray) -> np.ndarray:
    return ratio(sums[:, 0], sums[:, 1])


def _weighted_sums(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per resample, the sum over images of weight × row: shape (n_resamples, ...)."""
    return np.tensordot(weights, values, axes=(1, 0))


def _percentiles(resampled: np.ndarray, confidence: float) -> tuple[float, float]:
    resampled = np.asarray(resampled, dtype=float)
    resampled = resampled[~np.isnan(resampled)]
    if resampled.size == 0:
        return (np.nan, np.nan)
    tail = 50 * (1 - confidence)
    low, high = np.percentile(resampled, [tail, 100 - tail])
    return float(low), float(high)


def _n_images(result: DatasetResult) -> int:
    return int(result.summary["n_images"])


def _kind(result: DatasetResult) -> Literal["instance", "semantic"]:
    """Instance (its pooled table has a row per IoU threshold) or semantic (a row per class)."""
    return "instance" if "threshold" in result.pooled.columns else "semantic"


_ROW_COUNTS = {
    "instance": ("threshold", ["tp", "fp", "fn"]),
    "semantic": ("class", ["tp", "fp", "fn"]),
}


def _headline_parts(
    result: DatasetResult, per_image_rows: pd.DataFrame | None
) -> tuple[dict[str, tuple[np.ndarray, Callable] | None], list[str]]:
    """For each pooled and image-mean headline key: per-image rows and their statistic
    (None where the counts are not at hand: ``per_image_rows``, else the result's own); and
    the keys left without them."""
    kind = _kind(result)
    per_image = result.per_image
    if per_image_rows is None:
        per_image_rows = result.per_image_rows
    rows = None if per_image_rows is None else _row_counts(result, kind, per_image_rows)
    missing = []
    parts: dict[str, tuple[np.ndarray, Callable] | None] = {}
    for key in headline_keys(kind):
        if key in POOLED_FROM_ROWS[kind]:
            if rows is None:
                missing.append(f"{key}_pooled")
            parts[f"{key}_pooled"] = None if rows is None else (rows, _POOLED_ROWS[key])
        else:
            parts[f"{key}_pooled"] = _pooled_from_per_image(per_image, key)
        parts[f"{key}_image_mean"] = _mean_part(per_image[key].to_numpy(float))
    return parts, missing


def _warn_missing(missing: list[str], kind: str, who: str) -> None:
    """One warning naming the values left without an interval for want of per-image rows."""
    if missing:
        warn(
            f"no interval for {', '.join(missing)}: {who} no per-image rows (each image's "
            f"per-{_ROW_COUNTS[kind][0]} counts, per_image_rows) to bootstrap them from.",
            RuntimeWarning,
        )


def _pooled_from_per_image(per_image: pd.DataFrame, key: str) -> tuple[np.ndarray, Callable]:
    """Numerator and denominator counts per image of a pooled value, from its per-image row.

    F1 and PQ at 0.5 share the denominator s = n_true + n_pred (2 TP + FP + FN = s,
    TP + FP/2 + FN/2 = s / 2), so F1 · s / 2 is the integer TP and PQ · s / 2 the summed IoU.
    """
    if key == "aji":
        return per_image[["aji_numerator", "aji_denominator"]].to_numpy(float), _ratio_of_sums
    if key in ("f1_50", "panoptic_quality_50"):
        size = per_image["n_true"].to_numpy(float) + per_image["n_pred"].to_numpy(float)
        numerator = np.nan_to_num(per_image[key].to_numpy(float)) * size
        if key == "f1_50":
            numerator = 2 * np.round(numerator / 2)  # 2 TP, exactly
        return np.column_stack([numerator, size]), _ratio_of_sums
    if key == "pixel_accuracy":
        n_pixels = per_image["n_pixels"].to_numpy(float)
        right = np.round(np.nan_to_num(per_image[key].to_numpy(float)) * n_pixels)
        return np.column_stack([right, n_pixels]), _ratio_of_sums
    raise ValueError(f"no pooling rule for headline value {key!r}.")  # a new headline metric


def _row_counts(result: DatasetResult, kind: str, per_image_rows: pd.DataFrame) -> np.ndarray:
    """The (n_images, n_rows, 3) tp/fp/fn counts of ``per_image_rows``, checked against the
    result: one block of rows per image, in image order, adding up to ``result.pooled``."""
    key, columns = _ROW_COUNTS[kind]
    needed = {"image", key, *columns}
    if not needed <= set(per_image_rows.columns):
        raise ValueError(
            f"per_image_rows needs the columns {sorted(needed)}, "
            f"got {list(per_image_rows.columns)}."
        )
    n_images, n_rows = _n_images(result), len(result.pooled)
    image = per_image_rows["image"].to_numpy()
    if len(per_image_rows) != n_images * n_rows or not np.array_equal(
        image, np.repeat(np.arange(n_images), n_rows)
    ):
        raise ValueError(
            f"per_image_rows must hold {n_rows} rows for each of the {n_images} images, in "
            "image order (an 'image' column 0, 0, ..., 1, 1, ...)."
        )
    counts = per_image_rows[columns].to_numpy(float).reshape(n_images, n_rows, len(columns))
    order = per_image_rows[key].to_numpy().reshape(n_images, n_rows)
    if not (
        np.all(order == result.pooled[key].to_numpy())
        and np.array_equal(counts.sum(axis=0), result.pooled[columns].to_numpy(float))
    ):
        raise ValueError(
            f"per_image_rows do not add up to result.pooled (same {key}s, same counts): they "
            "are not the rows of this result."
        )
    if kind == "semantic":
        counts = counts[:, result.pooled["in_means"].to_numpy(bool)]
    return counts


def _mean_over_rows(scores: np.ndarray) -> np.ndarray:
    """Mean over thresholds or classes of each resample's scores, undefined ones left out."""
    defined = ~np.isnan(scores)
    return ratio(np.where(defined, scores, 0.0).sum(axis=1), defined.sum(axis=1))


def _pooled_accuracy(sums: np.ndarray) -> np.ndarray:
    tp, fp, fn = sums[..., 0], sums[..., 1], sums[..., 2]
    return _mean_over_rows(ratio(tp, tp + fp + fn))


def _pooled_dice(sums: np.ndarray) -> np.ndarray:
    tp, fp, fn = sums[..., 0], sums[..., 1], sums[..., 2]
    return _mean_over_rows(ratio(2 * tp, 2 * tp + fp + fn))


_POOLED_ROWS = {
    "mean_accuracy": _pooled_accuracy,
    "mean_iou": _pooled_accuracy,  # a class's IoU is TP / (TP + FP + FN) too
    "mean_dice": _pooled_dice,
}
