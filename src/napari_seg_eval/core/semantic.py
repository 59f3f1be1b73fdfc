"""Semantic (pixel-wise) metrics per class: the overlap table read as a confusion matrix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._results import Result, confusion_scores, nanmean, ratio
from ._validate import as_label_pair
from .overlap import OverlapTable, overlap_table


@dataclass(frozen=True, repr=False)
class SemanticResult(Result):
    """Pixel-wise metrics of each class against the rest.

    ``per_class``: one row per class (tp, fp, fn, tn, support, iou, dice, precision, recall,
    accuracy, in_means). ``summary``: mean_iou, mean_dice, mean_precision, mean_recall (over the
    classes with ``in_means``, undefined values left out), pixel_accuracy,
    frequency_weighted_iou, n_pixels.
    """

    per_class: pd.DataFrame
    summary: pd.Series
    table: OverlapTable = field(compare=False)

    _main = "per_class"

    def confusion_matrix(self) -> pd.DataFrame:
        """Pixel counts, rows = true class, columns = predicted class, for the reported classes."""
        classes = self.per_class["class"].to_numpy()
        true_ids, pred_ids, counts = self.table.contingency()
        keep = np.isin(true_ids, classes) & np.isin(pred_ids, classes)
        matrix = np.zeros((classes.size, classes.size), np.int64)
        matrix[
            np.searchsorted(classes, true_ids[keep]), np.searchsorted(classes, pred_ids[keep])
        ] = counts[keep]
        return pd.DataFrame(
            matrix,
            index=pd.Index(classes, name="true"),
            columns=pd.Index(classes, name="pred"),
        )


def semantic_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    classes: Iterable[int] | None = None,
    ignore_label: int | None = None,
    include_background: bool = True,
) -> SemanticResult:
    """Per-class IoU, Dice, precision, recall and accuracy, with their means.

    ``true`` and ``pred`` are integer class images of equal shape. Reported classes are those
    present in either image (sklearn's macro convention) unless ``classes`` lists them. Pixels
    where ``true == ignore_label`` are left out of every count. With
    ``include_background=False`` class 0 is still reported but left out of the means.
    """
    true, pred = as_label_pair(true, pred)
    return semantic_metrics_from_table(
        overlap_table(true, pred, ignore_label=ignore_label),
        classes=classes,
        include_background=include_background,
    )


def semantic_metrics_from_table(
    table: OverlapTable,
    *,
    classes: Iterable[int] | None = None,
    include_background: bool = True,
) -> SemanticResult:
    """:func:`semantic_metrics` on an overlap table that is already computed."""
    if classes is None:
        class_ids = np.union1d(table.true_ids, table.pred_ids)
    else:
        class_ids = np.unique(np.asarray(list(classes)))
        if class_ids.size == 0 or not np.issubdtype(class_ids.dtype, np.integer):
            raise ValueError(f"classes must be a non-empty list of integer ids, got {classes!r}.")

    true_ids, pred_ids, counts = table.contingency()
    diagonal = true_ids == pred_ids
    tp = _lookup(class_ids, true_ids[diagonal], counts[diagonal])
    true_area = _lookup(class_ids, table.true_ids, table.true_areas)
    pred_area = _lookup(class_ids, table.pred_ids, table.pred_areas)
    n_pixels = table.n_pixels
    fp, fn = pred_area - tp, true_area - tp
    tn = n_pixels - tp - fp - fn

    per_class = pd.DataFrame(
        {
            "class": class_ids,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "support": true_area,
            **confusion_scores(tp, fp, fn, tn),
            "in_means": include_background | (class_ids != 0),
        }
    )
    averaged = per_class[per_class["in_means"]]
    iou = averaged["iou"].to_numpy()
    weights = averaged["support"].to_numpy(float) * ~np.isnan(iou)
    summary = pd.Series(
        {
            "mean_iou": nanmean(iou),
            "mean_dice": nanmean(averaged["dice"]),
            "mean_precision": nanmean(averaged["precision"]),
            "mean_recall": nanmean(averaged["recall"]),
            "pixel_accuracy": ratio(counts[diagonal].sum(), n_pixels),
            "frequency_weighted_iou": ratio(np.nansum(weights * np.nan_to_num(iou)), weights.sum()),
            "n_pixels": n_pixels,
        },
        dtype=object,
    )
    return SemanticResult(per_class=per_class, summary=summary, table=table)


def _lookup(keys: np.ndarray, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values[ids == key] for each key (0 where the key is absent); ``ids`` sorted and unique."""
    out = np.zeros(keys.size, np.int64)
    position = np.searchsorted(ids, keys)
    found = position < ids.size
    found[found] = ids[position[found]] == keys[found]
    out[found] = values[position[found]]
    return out
