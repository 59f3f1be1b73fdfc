"""Metrics over many images: a list of (true, pred) pairs, or the planes of a stack.

Two aggregates are reported, and the column names say which:
``*_pooled`` (micro) sums the counts of all images before taking ratios, so large images weigh
more; ``*_image_mean`` (macro) takes the ratios per image and averages them over the images
where they are defined.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import dask
import numpy as np
import pandas as pd

from ._deprecation import renamed_keywords
from ._results import Result, ratio
from ._validate import as_label_pair, check_ignore_label
from .blocks import is_lazy
from .instance import (
    DEFAULT_IOU_THRESHOLDS,
    REVIEW_THRESHOLD,
    aggregated_jaccard_parts,
    check_iou_thresholds,
    instance_metrics_from_table,
    match_counts,
    scores_from_counts,
)
from .overlap import OverlapTable, overlap_table_lazy
from .semantic import class_ids, semantic_metrics_from_table

_INSTANCE_RATIOS = [
    "precision",
    "recall",
    "f1",
    "accuracy",
    "mean_matched_iou",
    "mean_true_iou",
    "panoptic_quality",
]
_INSTANCE_COUNTS = ["tp", "fp", "fn", "sum_matched_iou"]
_SEMANTIC_RATIOS = ["iou", "dice", "precision", "recall", "accuracy"]


@dataclass(frozen=True, repr=False, eq=False)
class DatasetResult(Result):
    """Metrics of many images.

    ``per_image``: one row per image. ``pooled``: the per-threshold (instance) or per-class
    (semantic) table from counts summed over all images. ``image_mean``: the same table with
    each ratio averaged over images. ``summary``: headline numbers of both, suffixed
    ``_pooled`` and ``_image_mean``. Results compare by identity (``==`` never raises).
    """

    per_image: pd.DataFrame
    pooled: pd.DataFrame
    image_mean: pd.DataFrame
    summary: pd.Series

    _main = "per_image"


@renamed_keywords(thresholds="iou_thresholds")
def dataset_metrics(
    true: Sequence[np.ndarray] | np.ndarray,
    pred: Sequence[np.ndarray] | np.ndarray,
    *,
    kind: Literal["instance", "semantic"] = "instance",
    axis: int | None = None,
    iou_thresholds: Iterable[float] = DEFAULT_IOU_THRESHOLDS,
    ignore_label: int | None = None,
    classes: Iterable[int] | None = None,
    include_background: bool = True,
) -> DatasetResult:
    """Evaluate many image pairs: per-image rows plus pooled and mean-over-images tables.

    Parameters
    ----------
    true, pred : sequence of arrays, or two arrays
        Two sequences of label images (pairs of equal shape, ground truth first), or two
        arrays of equal shape with ``axis`` naming the axis to split into planes. Numpy or
        chunked (dask, zarr): chunked images are read chunk by chunk, all of them in one
        schedule on dask's current scheduler.
    kind : {"instance", "semantic"}
        :func:`instance_metrics` or :func:`semantic_metrics` per image.
    axis : int, optional
        The axis of ``true`` and ``pred`` (e.g. time or z) whose planes are the images.
    iou_thresholds : iterable of float
        Instance only: the IoU thresholds in (0, 1], one row each in ``pooled`` and
        ``image_mean``, in the order given (a repeated threshold gives a repeated row, as in
        :func:`instance_metrics`). Formerly ``thresholds=`` (deprecated).
    ignore_label : int, optional
        Pixels where the ground truth has this id are left out of every count.
    classes : iterable of int, optional
        Semantic only: the classes to report (default: those present in any image).
    include_background : bool
        Semantic only: with ``False`` class 0 is reported but left out of the means.

    Returns
    -------
    DatasetResult
        ``per_image``, ``pooled`` (counts summed over images, then ratios), ``image_mean``
        (ratios averaged over the images where they are defined) and ``summary``.

    Raises
    ------
    TypeError, ValueError
        For bad settings (raised before any image is read), mismatched or bad images, no
        images, or, with ``kind="semantic"``, when ``ignore_label`` leaves no pixel in any
        image. An image with no pixel left gets NaN metrics and a ``RuntimeWarning``.

    Examples
    --------
    >>> a = np.array([[1, 1, 0], [0, 0, 2]])
    >>> b = np.array([[0, 3, 3], [0, 0, 0]])
    >>> result = dataset_metrics([a, b], [a, np.zeros_like(b)], iou_thresholds=[0.5])
    >>> result.per_image["f1_50"].tolist()  # image 1: both objects found; image 2: one missed
    [1.0, 0.0]
    >>> float(result.summary["f1_50_pooled"])  # tp 2, fp 0, fn 1: 2 * 2 / (2 * 2 + 0 + 1)
    0.8
    """
    if kind not in ("instance", "semantic"):
        raise ValueError(f"kind must be 'instance' or 'semantic', got {kind!r}.")
    ignore_label = check_ignore_label(ignore_label)
    if kind == "instance":
        iou_thresholds = check_iou_thresholds(iou_thresholds)
    elif classes is not None:
        classes = class_ids(classes)
    # Chunked images give delayed tables, computed together: their chunks are read in one
    # schedule (dask's current scheduler), never whole.
    tables = list(
        dask.compute(
            *(
                overlap_table_lazy(t, p, ignore_label=ignore_label)
                for t, p in _image_pairs(true, pred, axis)
            )
        )
    )
    if not tables:
        raise ValueError("no images to evaluate: the sequences are empty.")
    return _dataset(tables, kind, iou_thresholds, classes, include_background, ignore_label)


def dataset_from_tables(
    tables: Sequence[OverlapTable],
    *,
    kind: Literal["instance", "semantic"] = "instance",
    iou_thresholds: Iterable[float] = DEFAULT_IOU_THRESHOLDS,
    classes: Iterable[int] | None = None,
    include_background: bool = True,
    ignore_label: int | None = None,
) -> DatasetResult:
    """Metrics of many images from their overlap tables, one table per image.

    The same result as :func:`dataset_metrics` on the images the tables were counted from;
    use it when the tables were counted elsewhere (file by file, block by block, on a cluster).

    Parameters
    ----------
    tables : sequence of OverlapTable
        One :func:`overlap_table` per image, in image order.
    kind, iou_thresholds, classes, include_background
        As in :func:`dataset_metrics`.
    ignore_label : int, optional
        The id the tables were counted without (semantic only: it is not reported as a class).

    Returns
    -------
    DatasetResult

    Examples
    --------
    >>> from napari_seg_eval import overlap_table
    >>> a = np.array([[1, 1, 0], [0, 0, 2]])
    >>> tables = [overlap_table(a, a), overlap_table(a, np.zeros_like(a))]
    >>> result = dataset_from_tables(tables, iou_thresholds=[0.5])
    >>> result.per_image["f1_50"].tolist()  # image 2: both objects missed
    [1.0, 0.0]
    >>> float(result.summary["f1_50_pooled"])  # tp 2, fp 0, fn 2: 2 * 2 / (2 * 2 + 0 + 2)
    0.6666666666666666
    """
    if kind not in ("instance", "semantic"):
        raise ValueError(f"kind must be 'instance' or 'semantic', got {kind!r}.")
    ignore_label = check_ignore_label(ignore_label)
    if kind == "instance":
        iou_thresholds = check_iou_thresholds(iou_thresholds)
    elif classes is not None:
        classes = class_ids(classes)
    tables = list(tables)
    if not tables:
        raise ValueError("no images to evaluate: no overlap tables given.")
    return _dataset(tables, kind, iou_thresholds, classes, include_background, ignore_label)


def _dataset(
    tables: list[OverlapTable],
    kind: str,
    iou_thresholds: list[float],
    classes: list[int] | None,
    include_background: bool,
    ignore_label: int | None,
) -> DatasetResult:
    if kind == "instance":
        return _instance_dataset(tables, iou_thresholds)
    return _semantic_dataset(tables, classes, include_background, ignore_label)


def _image_pairs(true, pred, axis: int | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    if axis is not None:
        true, pred = as_label_pair(true, pred)
        if not -true.ndim <= axis < true.ndim or true.ndim < 2:
            raise ValueError(f"axis {axis} cannot split {true.ndim}-D images into planes.")
        yield from zip(np.moveaxis(true, axis, 0), np.moveaxis(pred, axis, 0), strict=True)
        return
    if any(isinstance(a, np.ndarray) or is_lazy(a) for a in (true, pred)):
        raise TypeError("pass axis=... to evaluate the planes of a stack, or two lists of images.")
    true, pred = list(true), list(pred)
    if len(true) != len(pred):
        raise ValueError(f"{len(true)} ground-truth images but {len(pred)} predictions.")
    yield from zip(true, pred, strict=True)


def _instance_dataset(tables: list[OverlapTable], iou_thresholds: list[float]) -> DatasetResult:
    results = [
        instance_metrics_from_table(table, iou_thresholds=iou_thresholds) for table in tables
    ]
    rows = []
    for index, result in enumerate(results):
        summary = result.summary
        numerator, denominator = aggregated_jaccard_parts(result.pairs)
        rows.append(
            {
                "image": index,
                **summary.to_dict(),
                "aji_numerator": numerator,
                "aji_denominator": denominator,
            }
        )
    per_image = pd.DataFrame(rows)
    n_true = int(per_image["n_true"].sum())

    # Every image has one row per threshold, in the order given: add and average row by row
    # (by position, not by threshold value, so that a repeated threshold stays its own row).
    thresholds = results[0].per_threshold[["threshold"]]
    summed = sum(r.per_threshold[_INSTANCE_COUNTS] for r in results)
    pooled = scores_from_counts(pd.concat([thresholds, summed], axis=1), n_true)
    stacked = pd.concat([r.per_threshold[_INSTANCE_RATIOS] for r in results])
    image_mean = pd.concat([thresholds, stacked.groupby(level=0).mean()], axis=1)

    review = pd.DataFrame([match_counts(r.pairs, REVIEW_THRESHOLD) for r in results])
    pooled_review = scores_from_counts(review[_INSTANCE_COUNTS].sum().to_frame().T, n_true)
    summary = pd.Series(
        {
            "n_images": len(results),
            "n_true": n_true,
            "n_pred": int(per_image["n_pred"].sum()),
            "mean_accuracy_pooled": pooled["accuracy"].mean(skipna=True),
            "mean_accuracy_image_mean": per_image["mean_accuracy"].astype(float).mean(),
            "f1_50_pooled": pooled_review["f1"].iat[0],
            "f1_50_image_mean": per_image["f1_50"].astype(float).mean(),
            "panoptic_quality_50_pooled": pooled_review["panoptic_quality"].iat[0],
            "panoptic_quality_50_image_mean": per_image["panoptic_quality_50"].astype(float).mean(),
            "aji_pooled": ratio(
                per_image["aji_numerator"].sum(), per_image["aji_denominator"].sum()
            ),
            "aji_image_mean": per_image["aji"].astype(float).mean(),
        },
        dtype=object,
    )
    return DatasetResult(per_image, pooled, image_mean, summary)


def _semantic_dataset(
    tables: list[OverlapTable],
    classes: np.ndarray | None,
    include_background: bool,
    ignore_label: int | None,
) -> DatasetResult:
    empty = [index for index, table in enumerate(tables) if table.n_pixels == 0]
    if len(empty) == len(tables):
        raise ValueError(
            f"every pixel of every ground-truth image has the ignored id {ignore_label}: "
            "no pixel is left to evaluate."
        )
    if empty:
        warnings.warn(
            f"images {empty} have no pixel left (every ground-truth pixel has the ignored id "
            f"{ignore_label}); their metrics are NaN and left out of the image means.",
            RuntimeWarning,
            stacklevel=4,  # the caller of dataset_metrics, past the keyword wrapper,
        )
    pooled_result = semantic_metrics_from_table(
        OverlapTable.sum(tables), classes=classes, include_background=include_background
    )
    # Report the same classes in every image so that the per-class means line up.
    reported = pooled_result.per_class["class"].to_numpy()
    results = [
        semantic_metrics_from_table(t, classes=reported, include_background=include_background)
        for t in tables
    ]
    per_image = pd.DataFrame([{"image": i, **r.summary.to_dict()} for i, r in enumerate(results)])
    stacked = pd.concat([r.per_class for r in results], ignore_index=True)
    image_mean = stacked.groupby("class")[_SEMANTIC_RATIOS].mean().reset_index()
    pooled_summary = pooled_result.summary
    summary = pd.Series(
        {
            "n_images": len(results),
            "mean_iou_pooled": pooled_summary["mean_iou"],
            "mean_iou_image_mean": per_image["mean_iou"].astype(float).mean(),
            "mean_dice_pooled": pooled_summary["mean_dice"],
            "mean_dice_image_mean": per_image["mean_dice"].astype(float).mean(),
            "pixel_accuracy_pooled": pooled_summary["pixel_accuracy"],
            "pixel_accuracy_image_mean": per_image["pixel_accuracy"].astype(float).mean(),
        },
        dtype=object,
    )
    return DatasetResult(per_image, pooled_result.per_class, image_mean, summary)
