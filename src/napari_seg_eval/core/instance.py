"""Instance metrics: one-to-one matching of objects at IoU thresholds, from the overlap table.

A true positive at threshold t is a pair in a one-to-one matching whose IoU is >= t. Among all
such matchings we take one with the most pairs, then the largest summed IoU (as StarDist does).
IoU is compared with t exactly, as integers: ``inter * den >= num * union`` where num/den is t.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ._results import Result, nanmean, ratio
from ._validate import as_label_pair
from .overlap import OverlapTable, overlap_table

#: IoU thresholds 0.50, 0.55, ..., 0.95, the DSB 2018 / StarDist / Cellpose / COCO default.
DEFAULT_IOU_THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))

#: The threshold at which per-object status and the "_50" summary values are reported.
REVIEW_THRESHOLD = 0.5


@dataclass(frozen=True)
class ObjectPairs:
    """Objects and their overlapping pairs, with ids replaced by positions for fast indexing."""

    true_ids: np.ndarray
    true_areas: np.ndarray
    pred_ids: np.ndarray
    pred_areas: np.ndarray
    true_index: np.ndarray  # per pair: position in true_ids
    pred_index: np.ndarray  # per pair: position in pred_ids
    intersection: np.ndarray
    union: np.ndarray

    @classmethod
    def from_table(cls, table: OverlapTable) -> ObjectPairs:
        """Drop background (id 0) and index the pairs; areas exclude ignored pixels."""
        true_fg = table.true_ids != 0
        pred_fg = table.pred_ids != 0
        true_ids, true_areas = table.true_ids[true_fg], table.true_areas[true_fg]
        pred_ids, pred_areas = table.pred_ids[pred_fg], table.pred_areas[pred_fg]
        true_index = np.searchsorted(true_ids, table.pair_true)
        pred_index = np.searchsorted(pred_ids, table.pair_pred)
        intersection = table.pair_counts
        union = true_areas[true_index] + pred_areas[pred_index] - intersection
        return cls(
            true_ids, true_areas, pred_ids, pred_areas, true_index, pred_index, intersection, union
        )

    @cached_property
    def iou(self) -> np.ndarray:
        """IoU of each pair (float; comparisons with thresholds use exact integers)."""
        return self.intersection / self.union

    def candidates(self, threshold: float) -> np.ndarray:
        """Positions of the pairs with IoU >= ``threshold``, compared exactly."""
        num, den = threshold_fraction(threshold)
        return np.flatnonzero(self.intersection * den >= num * self.union)

    def untangle(self, edges: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Split candidate pairs into those alone in their connected component (each is its
        own matching, whatever the rule) and the groups of the tangled components."""
        true_index, pred_index = self.true_index[edges], self.pred_index[edges]
        true_degree = np.bincount(true_index, minlength=self.true_ids.size)
        pred_degree = np.bincount(pred_index, minlength=self.pred_ids.size)
        alone = (true_degree[true_index] == 1) & (pred_degree[pred_index] == 1)
        tangled = edges[~alone]
        if tangled.size == 0:  # always so for t > 0.5 on label images
            return edges[alone], []
        rows = np.unique(self.true_index[tangled], return_inverse=True)[1].ravel()
        cols = np.unique(self.pred_index[tangled], return_inverse=True)[1].ravel()
        n_rows, n_cols = rows.max() + 1, cols.max() + 1
        graph = coo_matrix(
            (np.ones(tangled.size), (rows, n_rows + cols)), shape=(n_rows + n_cols,) * 2
        )
        component = connected_components(graph, directed=False)[1][rows]
        order = np.argsort(component, kind="stable")
        groups = np.split(tangled[order], np.flatnonzero(np.diff(component[order])) + 1)
        return edges[alone], groups

    def match(self, threshold: float) -> np.ndarray:
        """Boolean mask over pairs: the optimal one-to-one matching at ``threshold``."""
        alone, groups = self.untangle(self.candidates(threshold))
        matched = np.zeros(self.intersection.size, bool)
        matched[alone] = True
        for group in groups:  # only for t <= 0.5: solve each tangled component on its own
            matched[self._solve(group)] = True
        return matched

    def _solve(self, edges: np.ndarray) -> np.ndarray:
        """The pairs of the best matching within one small component of candidate pairs."""
        rows = np.unique(self.true_index[edges], return_inverse=True)[1].ravel()
        cols = np.unique(self.pred_index[edges], return_inverse=True)[1].ravel()
        shape = (rows.max() + 1, cols.max() + 1)
        # Weight = bonus + IoU with bonus > any summed IoU: most pairs first, then most IoU.
        weight = np.zeros(shape)
        weight[rows, cols] = min(shape) + 1 + self.iou[edges]
        edge_at = np.full(shape, -1)
        edge_at[rows, cols] = edges
        picked = edge_at[linear_sum_assignment(weight, maximize=True)]
        return picked[picked >= 0]

    def best_partners(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """For each object on ``side`` ('true' or 'pred'): the pair with the highest IoU (ties:
        smallest partner id), or -1 where the object overlaps nothing."""
        own, other = (
            (self.true_index, self.pred_index)
            if side == "true"
            else (self.pred_index, self.true_index)
        )
        n_objects = (self.true_ids if side == "true" else self.pred_ids).size
        order = np.lexsort((other, -self.iou, own))
        first = order[np.r_[True, np.diff(own[order]) != 0]] if order.size else order
        best = np.full(n_objects, -1)
        best[own[first]] = first
        return best, own


def threshold_fraction(threshold: float) -> tuple[int, int]:
    """``threshold`` as an exact fraction num/den (den <= 10**6), e.g. 0.55 -> (11, 20).

    Taking the nearest such fraction also repairs floats like ``np.arange``'s
    0.5500000000000002, so that an IoU of exactly 0.55 matches at 0.55.
    """
    value = float(threshold)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"IoU thresholds must be in (0, 1], got {threshold!r}.")
    fraction = Fraction(value).limit_denominator(10**6)
    return fraction.numerator, fraction.denominator


def match_counts(pairs: ObjectPairs, threshold: float) -> dict:
    """tp, fp, fn and the summed IoU of the matched pairs at one IoU threshold."""
    matched = pairs.match(threshold)
    tp = int(matched.sum())
    return {
        "threshold": float(threshold),
        "tp": tp,
        "fp": pairs.pred_ids.size - tp,
        "fn": pairs.true_ids.size - tp,
        "sum_matched_iou": float(pairs.iou[matched].sum()),
    }


def scores_from_counts(counts: pd.DataFrame, n_true: int | np.ndarray) -> pd.DataFrame:
    """Add the ratio metrics to a table of tp/fp/fn/sum_matched_iou counts (0/0 -> NaN)."""
    tp, fp, fn, sum_iou = (counts[c].to_numpy(float) for c in ("tp", "fp", "fn", "sum_matched_iou"))
    out = counts.copy()
    out["precision"] = ratio(tp, tp + fp)
    out["recall"] = ratio(tp, tp + fn)
    out["f1"] = ratio(2 * tp, 2 * tp + fp + fn)
    out["accuracy"] = ratio(tp, tp + fp + fn)
    out["mean_matched_iou"] = ratio(sum_iou, tp)
    out["mean_true_iou"] = ratio(sum_iou, np.asarray(n_true, float))
    out["panoptic_quality"] = ratio(sum_iou, tp + fp / 2 + fn / 2)
    return out[[c for c in out.columns if c != "sum_matched_iou"] + ["sum_matched_iou"]]


def aggregated_jaccard_parts(pairs: ObjectPairs) -> tuple[int, int]:
    """Numerator and denominator of the AJI (Kumar et al. 2017).

    Each true object is paired with its highest-IoU prediction (ties: smallest id; a prediction
    may be used more than once): intersections sum to C and unions to U. True objects that
    overlap nothing, and predictions never chosen, add their areas to U.
    """
    best, _ = pairs.best_partners("true")
    has = best >= 0
    chosen = best[has]
    used = np.zeros(pairs.pred_ids.size, bool)
    used[pairs.pred_index[chosen]] = True
    numerator = int(pairs.intersection[chosen].sum())
    denominator = int(
        pairs.union[chosen].sum() + pairs.true_areas[~has].sum() + pairs.pred_areas[~used].sum()
    )
    return numerator, denominator


@dataclass(frozen=True, repr=False)
class InstanceResult(Result):
    """Matching-based instance metrics.

    ``per_threshold``: one row per IoU threshold (tp, fp, fn, precision, recall, f1, accuracy =
    TP/(TP+FP+FN) i.e. the DSB/StarDist/Cellpose "AP", mean_matched_iou, panoptic_quality, ...).
    ``summary``: n_true, n_pred, mean_accuracy (mean over thresholds), f1_50, accuracy_50,
    panoptic_quality_50, aji. ``per_object``: one row per object with its status at IoU 0.5.
    """

    per_threshold: pd.DataFrame
    summary: pd.Series
    pairs: ObjectPairs = field(compare=False)

    _main = "per_threshold"

    @cached_property
    def per_object(self) -> pd.DataFrame:
        """Every true and predicted object: id, area, partner, IoU with it, status at IoU 0.5."""
        return self.objects_at(REVIEW_THRESHOLD)

    def objects_at(self, threshold: float) -> pd.DataFrame:
        """Per-object table at any IoU threshold.

        ``partner`` is the matched object for a TP, otherwise the object with the highest IoU
        (0 if none overlaps); ``iou`` is the IoU with that partner.
        """
        pairs = self.pairs
        matched = pairs.match(threshold)
        frames = []
        for side, ids, areas, other_ids, other_index in (
            ("true", pairs.true_ids, pairs.true_areas, pairs.pred_ids, pairs.pred_index),
            ("pred", pairs.pred_ids, pairs.pred_areas, pairs.true_ids, pairs.true_index),
        ):
            best, own = pairs.best_partners(side)
            match_of = np.full(ids.size, -1)
            match_of[own[matched]] = np.flatnonzero(matched)
            pair = np.where(match_of >= 0, match_of, best)
            has = pair >= 0
            partner = np.zeros(ids.size, dtype=other_ids.dtype)
            partner[has] = other_ids[other_index[pair[has]]]
            iou = np.zeros(ids.size)
            iou[has] = pairs.iou[pair[has]]
            miss = "FN" if side == "true" else "FP"
            frames.append(
                pd.DataFrame(
                    {
                        "kind": side,
                        "label": ids,
                        "area": areas,
                        "partner": partner,
                        "iou": iou,
                        "status": np.where(match_of >= 0, "TP", miss),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


def instance_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    thresholds: tuple[float, ...] | list[float] = DEFAULT_IOU_THRESHOLDS,
    ignore_label: int | None = None,
) -> InstanceResult:
    """Match predicted objects to true objects one-to-one at each IoU threshold.

    ``true`` and ``pred`` are integer label images of equal shape (any dimension; 0 is
    background; ids need not be sequential). Pixels where ``true == ignore_label`` are left
    out of every count (and that id is not an object).
    """
    true, pred = as_label_pair(true, pred)
    return instance_metrics_from_table(
        overlap_table(true, pred, ignore_label=ignore_label), thresholds=thresholds
    )


def instance_metrics_from_table(
    table: OverlapTable, *, thresholds: tuple[float, ...] | list[float] = DEFAULT_IOU_THRESHOLDS
) -> InstanceResult:
    """:func:`instance_metrics` on an overlap table that is already computed."""
    thresholds = list(np.atleast_1d(np.asarray(thresholds, dtype=float)))
    if not thresholds:
        raise ValueError("thresholds is empty; give at least one IoU threshold.")
    for threshold in thresholds:
        threshold_fraction(threshold)  # validates before any work
    pairs = ObjectPairs.from_table(table)
    n_true, n_pred = pairs.true_ids.size, pairs.pred_ids.size
    per_threshold = scores_from_counts(
        pd.DataFrame([match_counts(pairs, t) for t in thresholds]), n_true
    )
    at_review = scores_from_counts(pd.DataFrame([match_counts(pairs, REVIEW_THRESHOLD)]), n_true)
    aji_numerator, aji_denominator = aggregated_jaccard_parts(pairs)
    summary = pd.Series(
        {
            "n_true": n_true,
            "n_pred": n_pred,
            "mean_accuracy": nanmean(per_threshold["accuracy"]),
            "f1_50": at_review["f1"].iat[0],
            "accuracy_50": at_review["accuracy"].iat[0],
            "precision_50": at_review["precision"].iat[0],
            "recall_50": at_review["recall"].iat[0],
            "panoptic_quality_50": at_review["panoptic_quality"].iat[0],
            "aji": ratio(aji_numerator, aji_denominator),
        },
        dtype=object,
    )
    return InstanceResult(per_threshold=per_threshold, summary=summary, pairs=pairs)
