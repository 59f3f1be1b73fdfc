"""Instance metrics: one-to-one matching of objects at IoU thresholds, from the overlap table.

A true positive at threshold t is a pair in a one-to-one matching whose IoU is >= t. Among all
such matchings we take one with the most pairs, then the largest summed IoU (as StarDist does).
IoU is compared with t exactly, as integers: ``inter * den >= num * union`` where num/den is t.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_array
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from ._deprecation import renamed_keywords
from ._results import Result, nanmean, ratio
from ._validate import as_label_pair
from .overlap import OverlapTable, overlap_table

#: IoU thresholds 0.50, 0.55, ..., 0.95, the DSB 2018 / StarDist / Cellpose / COCO default.
DEFAULT_IOU_THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))

#: The threshold at which per-object status and the "_50" summary values are reported.
REVIEW_THRESHOLD = 0.5

#: Objects per sparse solve of small tangled components taken together (see ObjectPairs.match).
SOLVE_BATCH_OBJECTS = 4096


@dataclass(frozen=True)
class ObjectPairs:
    """Objects and their overlapping pairs, with ids replaced by positions for fast indexing.

    Background (id 0) is not an object. Pair ``k`` joins true object ``true_index[k]`` (a
    position in ``true_ids``) and predicted object ``pred_index[k]``, sharing
    ``intersection[k]`` pixels, with ``union[k]`` pixels in either.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
    >>> pairs = ObjectPairs.from_table(table)
    >>> pairs.intersection.tolist(), pairs.union.tolist()  # IoU 2/3 and 1/4
    ([2, 1], [3, 4])
    """

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
        """Drop background (id 0) and index the pairs; areas exclude ignored pixels.

        Parameters
        ----------
        table : OverlapTable
            The overlap table of a (ground truth, prediction) pair.

        Returns
        -------
        ObjectPairs
            Its objects and overlapping pairs.

        Examples
        --------
        >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> ObjectPairs.from_table(table).true_ids.tolist()
        [1, 2]
        """
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
        """Positions of the pairs with IoU >= ``threshold``, compared exactly.

        Parameters
        ----------
        threshold : float
            IoU threshold in (0, 1].

        Returns
        -------
        numpy.ndarray
            Positions of the candidate pairs, ascending.

        Examples
        --------
        >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> ObjectPairs.from_table(table).candidates(0.25).tolist()  # IoU 1/4 is >= 0.25
        [0, 1]
        """
        num, den = threshold_fraction(threshold)
        return np.flatnonzero(self.intersection * den >= num * self.union)

    def untangle(self, edges: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Split candidate pairs into those alone in their connected component (each is its
        own matching, whatever the rule) and the groups of the tangled components.

        Parameters
        ----------
        edges : numpy.ndarray
            Positions of candidate pairs, e.g. from :meth:`candidates`.

        Returns
        -------
        alone : numpy.ndarray
            The pairs whose two objects are in no other pair of ``edges``.
        groups : list of numpy.ndarray
            The other pairs, one array per connected component (two or more pairs each).

        Examples
        --------
        >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> alone, groups = ObjectPairs.from_table(table).untangle(np.array([0, 1]))
        >>> alone.tolist(), [group.tolist() for group in groups]
        ([], [[0, 1]])
        """
        alone, tangled = self._split_alone(edges)
        if tangled.size == 0:  # always so for t > 0.5 on label images
            return alone, []
        return alone, _split_by(tangled, self._components(tangled)[0])

    def match(self, threshold: float) -> np.ndarray:
        """Boolean mask over pairs: the optimal one-to-one matching at ``threshold``.

        Among the one-to-one matchings of pairs with IoU >= ``threshold``: the most pairs,
        then the largest summed IoU. Pairs alone in their component are taken as they are; the
        others are solved sparsely, in memory proportional to their number.

        Parameters
        ----------
        threshold : float
            IoU threshold in (0, 1].

        Returns
        -------
        numpy.ndarray
            Boolean, one value per pair: True for the matched pairs.

        Examples
        --------
        >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> ObjectPairs.from_table(table).match(0.25).tolist()  # one prediction, two options
        [True, False]
        """
        alone, tangled = self._split_alone(self.candidates(threshold))
        matched = np.zeros(self.intersection.size, bool)
        matched[alone] = True
        if tangled.size == 0:  # always so for t > 0.5 on label images
            return matched
        # Components are independent. LAPJVsp spends time in the size of its problem for every
        # object it cannot place at once, so small components are solved together in batches
        # of about SOLVE_BATCH_OBJECTS objects, and each large one on its own.
        component, n_objects = self._components(tangled)
        first = np.cumsum(n_objects) - n_objects  # components in a row: first object of each
        for batch in _split_by(tangled, (first // SOLVE_BATCH_OBJECTS)[component]):
            matched[self._solve(batch)] = True
        return matched

    def _components(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The connected component of each pair of ``edges`` (numbered from 0), and the number
        of objects (true and predicted) in each component."""
        rows = np.unique(self.true_index[edges], return_inverse=True)[1].ravel()
        cols = np.unique(self.pred_index[edges], return_inverse=True)[1].ravel()
        n_rows, n_cols = rows.max() + 1, cols.max() + 1
        graph = coo_matrix(
            (np.ones(edges.size), (rows, n_rows + cols)), shape=(n_rows + n_cols,) * 2
        )
        labels = connected_components(graph, directed=False)[1]
        return labels[rows], np.bincount(labels)

    def _split_alone(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``edges`` split into the pairs whose two objects have no other candidate pair, and
        the rest (the pairs of components with more than one pair)."""
        true_index, pred_index = self.true_index[edges], self.pred_index[edges]
        true_degree = np.bincount(true_index, minlength=self.true_ids.size)
        pred_degree = np.bincount(pred_index, minlength=self.pred_ids.size)
        alone = (true_degree[true_index] == 1) & (pred_degree[pred_index] == 1)
        return edges[alone], edges[~alone]

    def _solve(self, edges: np.ndarray) -> np.ndarray:
        """The pairs of the best matching among candidate pairs ``edges``: most pairs, then the
        largest summed IoU. Memory and the sparse solve grow with the number of pairs.

        ``edges`` may hold several components: the problem is then block diagonal, and its
        optimum is the optimum of each component. It is posed as a minimum-cost perfect
        matching on a square sparse matrix (LAPJVsp,
        :func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`) whose rows are the
        true objects and a stand-in for each prediction, and whose columns are the predictions
        and a stand-in for each true object:

        - true t, prediction p (a candidate pair): cost 2 - IoU, in [1, 2);
        - true t, its own stand-in: ``unmatched``, t left unmatched;
        - stand-in of p, prediction p: ``unmatched``, p left unmatched;
        - stand-in of p, stand-in of t, for each candidate pair: cost 1, so that the stand-ins
          of matched objects pair off.

        A perfect matching always exists (every object with its stand-in), and each one is a
        one-to-one matching M of candidate pairs costing
        ``const - |M| * (2 * unmatched - 3) - sum(IoU over M)``. With ``2 * unmatched - 3``
        above any summed IoU (at most min(n_true, n_pred)), one pair more always costs less
        than any gain in IoU, so the cheapest is the rule's matching. Every cost is positive:
        scipy reads an explicit zero as a missing edge.
        """
        rows = np.unique(self.true_index[edges], return_inverse=True)[1].ravel()
        cols = np.unique(self.pred_index[edges], return_inverse=True)[1].ravel()
        n_rows, n_cols = int(rows.max()) + 1, int(cols.max()) + 1
        unmatched = float(min(n_rows, n_cols) + 2)
        true_stand_in = n_cols + np.arange(n_rows)  # columns
        pred_stand_in = n_rows + np.arange(n_cols)  # rows
        costs = csr_array(
            (
                np.concatenate(
                    [
                        2.0 - self.iou[edges],
                        np.full(n_rows + n_cols, unmatched),
                        np.ones(edges.size),
                    ]
                ),
                (
                    np.concatenate([rows, np.arange(n_rows), pred_stand_in, n_rows + cols]),
                    np.concatenate([cols, true_stand_in, np.arange(n_cols), n_cols + rows]),
                ),
            ),
            shape=(n_rows + n_cols,) * 2,
        )
        column = min_weight_full_bipartite_matching(costs)[1][:n_rows]
        real = column < n_cols
        # Back from (row, column) to the pair: rows and columns of ``edges`` sorted as keys.
        keys = rows.astype(np.int64) * n_cols + cols
        order = np.argsort(keys)
        chosen = np.flatnonzero(real) * np.int64(n_cols) + column[real]
        return edges[order[np.searchsorted(keys[order], chosen)]]

    def best_partners(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """For each object on ``side``: the pair with the highest IoU, whatever the threshold.

        Parameters
        ----------
        side : {'true', 'pred'}
            Which objects.

        Returns
        -------
        best : numpy.ndarray
            Per object on ``side``: the position of its pair with the highest IoU (ties: the
            smallest partner), or -1 where the object overlaps nothing.
        own : numpy.ndarray
            Per pair: the position of its object on ``side`` (``true_index`` or
            ``pred_index``).

        Examples
        --------
        >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> ObjectPairs.from_table(table).best_partners("pred")[0].tolist()
        [0]
        """
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


def _split_by(edges: np.ndarray, keys: np.ndarray) -> list[np.ndarray]:
    """``edges`` in groups of equal ``keys`` (one key per edge), in key order."""
    order = np.argsort(keys, kind="stable")
    return np.split(edges[order], np.flatnonzero(np.diff(keys[order])) + 1)


def threshold_fraction(threshold: float) -> tuple[int, int]:
    """``threshold`` as an exact fraction num/den (den <= 10**6), e.g. 0.55 -> (11, 20).

    Taking the nearest such fraction also repairs floats like ``np.arange``'s
    0.5500000000000002, so that an IoU of exactly 0.55 matches at 0.55.

    Parameters
    ----------
    threshold : float
        An IoU threshold in (0, 1].

    Returns
    -------
    num, den : int
        Numerator and denominator: a pair is a candidate when ``inter * den >= num * union``.

    Raises
    ------
    ValueError
        If ``threshold`` is not in (0, 1] (NaN included).

    Examples
    --------
    >>> threshold_fraction(0.55)
    (11, 20)
    >>> threshold_fraction(np.arange(0.5, 1.0, 0.05)[1])  # 0.5500000000000002
    (11, 20)
    """
    value = float(threshold)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"IoU thresholds must be in (0, 1], got {threshold!r}.")
    fraction = Fraction(value).limit_denominator(10**6)
    return fraction.numerator, fraction.denominator


def check_iou_thresholds(iou_thresholds: float | Sequence[float]) -> list[float]:
    """Validate IoU thresholds before any pass over the data, or raise naming the problem.

    Parameters
    ----------
    iou_thresholds : float or sequence of float
        One threshold or a 1-D sequence of them, each a finite number in (0, 1].

    Returns
    -------
    list of float
        The thresholds as Python floats, in the order given.

    Raises
    ------
    ValueError
        If there is no threshold, they are not numbers in one dimension, or one is outside
        (0, 1] (NaN and infinities included).

    Examples
    --------
    >>> check_iou_thresholds([0.5, 0.75])
    [0.5, 0.75]
    >>> check_iou_thresholds(0.5)
    [0.5]
    """
    try:
        values = np.asarray(iou_thresholds, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"iou_thresholds must be numbers in (0, 1], got {iou_thresholds!r}."
        ) from error
    if values.ndim > 1:
        raise ValueError(
            f"iou_thresholds must be one number or a 1-D sequence, got shape {values.shape}."
        )
    values = np.atleast_1d(values)
    if values.size == 0:
        raise ValueError("iou_thresholds is empty; give at least one IoU threshold.")
    bad = values[~((values > 0) & (values <= 1))]  # NaN fails both comparisons
    if bad.size:
        raise ValueError(
            f"iou_thresholds must be finite numbers in (0, 1], got {bad.tolist()} "
            f"among {values.tolist()}."
        )
    return values.tolist()


def match_counts(pairs: ObjectPairs, threshold: float) -> dict:
    """tp, fp, fn and the summed IoU of the matched pairs at one IoU threshold.

    Parameters
    ----------
    pairs : ObjectPairs
        The objects and their overlapping pairs.
    threshold : float
        The IoU threshold, in (0, 1].

    Returns
    -------
    dict
        ``threshold``, ``tp``, ``fp``, ``fn`` and ``sum_matched_iou``.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
    >>> match_counts(ObjectPairs.from_table(table), 0.5)  # IoU(1, 3) = 2/3
    {'threshold': 0.5, 'tp': 1, 'fp': 0, 'fn': 1, 'sum_matched_iou': 0.6666666666666666}
    """
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
    """Add the ratio metrics to a table of tp/fp/fn/sum_matched_iou counts (0/0 -> NaN).

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``tp``, ``fp``, ``fn`` and ``sum_matched_iou`` (pooled counts work too).
    n_true : int or numpy.ndarray
        Number of true objects (per row, or one for all), for ``mean_true_iou``.

    Returns
    -------
    pandas.DataFrame
        A copy with precision, recall, f1, accuracy = TP/(TP+FP+FN), mean_matched_iou,
        mean_true_iou and panoptic_quality added, ``sum_matched_iou`` moved last.

    Examples
    --------
    >>> counts = pd.DataFrame({"tp": [1], "fp": [0], "fn": [1], "sum_matched_iou": [0.8]})
    >>> scores_from_counts(counts, 2)[["precision", "recall", "accuracy"]].iloc[0].tolist()
    [1.0, 0.5, 0.5]
    """
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

    Parameters
    ----------
    pairs : ObjectPairs
        The objects and their overlapping pairs.

    Returns
    -------
    numerator, denominator : int
        C and U; the AJI is C / U (NaN when U is 0). Sums over images pool the AJI.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
    >>> aggregated_jaccard_parts(ObjectPairs.from_table(table))  # (2 + 1) / (3 + 4)
    (3, 7)
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


@dataclass(frozen=True, repr=False, eq=False)
class InstanceResult(Result):
    """Matching-based instance metrics.

    ``per_threshold``: one row per IoU threshold (tp, fp, fn, precision, recall, f1, accuracy =
    TP/(TP+FP+FN) i.e. the DSB/StarDist/Cellpose "AP", mean_matched_iou, panoptic_quality, ...).
    ``summary``: n_true, n_pred, mean_accuracy (mean over thresholds), f1_50, accuracy_50,
    panoptic_quality_50, aji. ``per_object``: one row per object with its status at IoU 0.5.

    Two results compare equal only when they are the same object (``eq=False``): comparing the
    tables field by field would be ambiguous, and is left to ``pandas`` (``to_frame().equals``).
    """

    per_threshold: pd.DataFrame
    summary: pd.Series
    pairs: ObjectPairs

    _main = "per_threshold"

    @cached_property
    def per_object(self) -> pd.DataFrame:
        """Every true and predicted object: id, area, partner, IoU with it, status at IoU 0.5."""
        return self.objects_at(REVIEW_THRESHOLD)

    def objects_at(self, threshold: float) -> pd.DataFrame:
        """Per-object table at any IoU threshold.

        Parameters
        ----------
        threshold : float
            IoU threshold in (0, 1].

        Returns
        -------
        pandas.DataFrame
            One row per true then predicted object: ``kind`` ('true' or 'pred'), ``label``,
            ``area``, ``partner`` (the matched object for a TP, otherwise the object with the
            highest IoU, 0 if none overlaps), ``iou`` (with that partner) and ``status``
            (TP, FN or FP).

        Examples
        --------
        >>> result = instance_metrics(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> result.objects_at(0.25)["status"].tolist()
        ['TP', 'FN', 'TP']
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


@renamed_keywords(thresholds="iou_thresholds")
def instance_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    iou_thresholds: float | Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    ignore_label: int | None = None,
) -> InstanceResult:
    """Match predicted objects to true objects one-to-one at each IoU threshold.

    At each threshold t the matching has the most pairs with IoU >= t, then the largest summed
    IoU (StarDist's rule); IoU is compared with t exactly. Below 0.5 an object may have several
    candidates: the matching is solved on the sparse candidate pairs, in memory proportional
    to their number.

    Parameters
    ----------
    true : array_like
        Ground truth: an integer label image (any dimension; 0 is background; ids need not be
        sequential).
    pred : array_like
        Predicted label image of the same shape.
    iou_thresholds : float or sequence of float, optional
        IoU thresholds in (0, 1]; by default 0.50, 0.55, ..., 0.95. Checked before the pass
        over the images. (``thresholds=``, the 0.1 name, still works with a
        ``DeprecationWarning`` until 0.3.)
    ignore_label : int, optional
        Pixels where ``true == ignore_label`` are left out of every count, and that id is not
        an object.

    Returns
    -------
    InstanceResult
        ``per_threshold`` (one row per threshold: tp, fp, fn, precision, recall, f1, accuracy,
        mean_matched_iou, mean_true_iou, panoptic_quality, sum_matched_iou), ``summary`` and
        ``per_object`` (status at IoU 0.5).

    Raises
    ------
    ValueError
        If a threshold is not in (0, 1] or none is given, or the images do not fit (shapes,
        negative ids).
    TypeError
        If an image is not an integer (or boolean) label image.

    Examples
    --------
    >>> true = np.array([[1, 1, 0, 2, 2]])
    >>> pred = np.array([[7, 7, 0, 0, 9]])  # IoU(1, 7) = 1, IoU(2, 9) = 1/2
    >>> result = instance_metrics(true, pred, iou_thresholds=[0.5, 0.75])
    >>> result.per_threshold["tp"].tolist()
    [2, 1]
    >>> float(result.summary["mean_accuracy"])  # (2/2 + 1/3) / 2
    0.6666666666666666
    """
    thresholds = check_iou_thresholds(iou_thresholds)
    true, pred = as_label_pair(true, pred)
    return instance_metrics_from_table(
        overlap_table(true, pred, ignore_label=ignore_label), iou_thresholds=thresholds
    )


@renamed_keywords(thresholds="iou_thresholds")
def instance_metrics_from_table(
    table: OverlapTable, *, iou_thresholds: float | Sequence[float] = DEFAULT_IOU_THRESHOLDS
) -> InstanceResult:
    """:func:`instance_metrics` on an overlap table that is already computed.

    Parameters
    ----------
    table : OverlapTable
        The overlap table of a (ground truth, prediction) pair, e.g. from
        :func:`~napari_seg_eval.core.overlap.overlap_table` (tables of chunks add up).
    iou_thresholds : float or sequence of float, optional
        IoU thresholds in (0, 1]; by default 0.50, 0.55, ..., 0.95. (``thresholds=`` still
        works with a ``DeprecationWarning`` until 0.3.)

    Returns
    -------
    InstanceResult
        As :func:`instance_metrics`.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 0, 2, 2]]), np.array([[7, 7, 0, 0, 9]]))
    >>> instance_metrics_from_table(table, iou_thresholds=0.75).per_threshold["tp"].tolist()
    [1]
    """
    thresholds = check_iou_thresholds(iou_thresholds)
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
