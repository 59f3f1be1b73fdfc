"""Metrics over many images: a list of (true, pred) pairs, or the planes of a stack.

Two aggregates are reported, and the column names say which:
``*_pooled`` (micro) sums the counts of all images before taking ratios, so large images weigh
more; ``*_image_mean`` (macro) takes the ratios per image and averages them over the images
where they are defined.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Literal

import numpy as np
import pandas as pd

from ._results import Result, ratio
from ._validate import as_label_pair
from .instance import (
    DEFAULT_IOU_THRESHOLDS,
    REVIEW_THRESHOLD,
    aggregated_jaccard_parts,
    instance_metrics_from_table,
    match_counts,
    scores_from_counts,
)
from .overlap import overlap_table
from .semantic import semantic_metrics_from_table

_INSTANCE_RATIOS = [
    "precision",
    "recall",
    "f1",
    "accuracy",
    "mean_matched_iou",
    "mean_true_iou",
    "panoptic_quality",
]
_SEMANTIC_RATIOS = ["iou", "dice", "precision", "recall", "accuracy"]


@dataclass(frozen=True, repr=False)
class DatasetResult(Result):
    """Metrics of many images.

    ``per_image``: one row per image. ``pooled``: the per-threshold (instance) or per-class
    (semantic) table from counts summed over all images. ``image_mean``: the same table with
    each ratio averaged over images. ``summary``: headline numbers of both, suffixed
    ``_pooled`` and ``_image_mean``.
    """

    per_image: pd.DataFrame
    pooled: pd.DataFrame
    image_mean: pd.DataFrame
    summary: pd.Series

    _main = "per_image"


def dataset_metrics(
    true: Sequence[np.ndarray] | np.ndarray,
    pred: Sequence[np.ndarray] | np.ndarray,
    *,
    kind: Literal["instance", "semantic"] = "instance",
    axis: int | None = None,
    thresholds: Iterable[float] = DEFAULT_IOU_THRESHOLDS,
    ignore_label: int | None = None,
    classes: Iterable[int] | None = None,
    include_background: bool = True,
) -> DatasetResult:
    """Evaluate many image pairs: per-image rows plus pooled and mean-over-images summaries.

    ``true`` and ``pred`` are either two sequences of label images (pairs of equal shape), or
    two arrays of equal shape with ``axis`` naming the axis to split into planes (e.g. time or
    z). ``kind`` selects :func:`instance_metrics` or :func:`semantic_metrics`; the remaining
    options are theirs.
    """
    if kind not in ("instance", "semantic"):
        raise ValueError(f"kind must be 'instance' or 'semantic', got {kind!r}.")
    tables = [
        overlap_table(t, p, ignore_label=ignore_label) for t, p in _image_pairs(true, pred, axis)
    ]
    if not tables:
        raise ValueError("no images to evaluate: the sequences are empty.")
    if kind == "instance":
        return _instance_dataset(tables, list(thresholds))
    return _semantic_dataset(tables, classes, include_background)


def _image_pairs(true, pred, axis: int | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    if axis is not None:
        true, pred = as_label_pair(true, pred)
        if not -true.ndim <= axis < true.ndim or true.ndim < 2:
            raise ValueError(f"axis {axis} cannot split {true.ndim}-D images into planes.")
        yield from zip(np.moveaxis(true, axis, 0), np.moveaxis(pred, axis, 0), strict=True)
        return
    if isinstance(true, np.ndarray) or isinstance(pred, np.ndarray):
        raise TypeError("pass axis=... to evaluate the planes of a stack, or two lists of images.")
    true, pred = list(true), list(pred)
    if len(true) != len(pred):
        raise ValueError(f"{len(true)} ground-truth images but {len(pred)} predictions.")
    yield from zip(true, pred, strict=True)


def _instance_dataset(tables, thresholds) -> DatasetResult:
    results = [instance_metrics_from_table(table, thresholds=thresholds) for table in tables]
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

    counts = ["tp", "fp", "fn", "sum_matched_iou"]
    stacked = pd.concat([r.per_threshold for r in results], ignore_index=True)
    pooled = scores_from_counts(
        stacked.groupby("threshold", sort=False)[counts].sum().reset_index(), n_true
    )
    image_mean = stacked.groupby("threshold", sort=False)[_INSTANCE_RATIOS].mean().reset_index()

    review = pd.DataFrame([match_counts(r.pairs, REVIEW_THRESHOLD) for r in results])
    pooled_review = scores_from_counts(review[counts].sum().to_frame().T, n_true)
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


def _semantic_dataset(tables, classes, include_background) -> DatasetResult:
    pooled_result = semantic_metrics_from_table(
        reduce(lambda a, b: a + b, tables), classes=classes, include_background=include_background
    )
    # Report the same classes in every image so that the per-class means line up.
    class_ids = pooled_result.per_class["class"].to_numpy()
    results = [
        semantic_metrics_from_table(t, classes=class_ids, include_background=include_background)
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
