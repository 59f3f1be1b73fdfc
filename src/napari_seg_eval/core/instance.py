"""Instance metrics: one-to-one matching of objects at IoU thresholds, from the overlap table.

A true positive at threshold t is a pair in a one-to-one matching whose IoU is >= t. Among all
such matchings we take one with the most pairs, then the largest summed IoU (as StarDist does).
IoU is compared with t exactly, as integers: ``inter * den >= num * union`` where num/den is t.
Two other matching criteria use the same machinery: intersection over truth
``|T ∩ P| / |T| > t`` (the Cell Tracking Challenge's rule, strict) and intersection over
prediction ``|T ∩ P| / |P| > t`` (strict too).

With classes for both sides, objects are also matched within each class (``per_class``), and
the classes of the pairs matched regardless of class are counted (``class_confusion``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_array
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from ._deprecation import renamed_keywords
from ._results import Result, nanmean, ratio
from ._thread_callbacks import compute
from ._validate import (
    as_label_pair,
    check_ignore_label,
    check_region,
    integer_map_dtype,
    outside_ignored,
    warn_if_background_ignored,
    warn_if_masks,
)
from ._warn import caller, warn, warn_if_time_series
from .blocks import as_dask, is_lazy
from .classes import (
    ClassesLike,
    ClassSpec,
    check_background_class,
    check_classes,
    object_classes,
)
from .overlap import (
    OverlapTable,
    id_dtype,
    overlap_table,  # noqa: F401 (the examples use it)
    overlap_table_lazy,
)

#: IoU thresholds 0.50, 0.55, ..., 0.95, the DSB 2018 / StarDist / Cellpose / COCO default.
DEFAULT_IOU_THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))

#: The threshold at which per-object status and the "_50" summary values are reported.
REVIEW_THRESHOLD = 0.5

#: Objects per sparse solve of small tangled components taken together (see ObjectPairs.match).
SOLVE_BATCH_OBJECTS = 4096

#: Matching criteria: IoU >= t; intersection over truth > t (CTC); intersection over
#: prediction > t.
CRITERIA = ("iou", "iot", "iop")

#: Rounds of exchanges that move exactly tied pairs to the smallest ids (each round one
#: vectorised pass over the pairs in contention; see ObjectPairs._smallest_ids_on_ties).
TIE_ROUNDS = 16


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

    def candidates(self, threshold: float, criterion: str = "iou") -> np.ndarray:
        """Positions of the pairs that may match at ``threshold``, compared exactly.

        Parameters
        ----------
        threshold : float
            Threshold in (0, 1].
        criterion : {'iou', 'iot', 'iop'}
            ``'iou'``: IoU >= threshold. ``'iot'``: |T ∩ P| / |T| > threshold (strict, the Cell
            Tracking Challenge's rule). ``'iop'``: |T ∩ P| / |P| > threshold (strict).

        Returns
        -------
        numpy.ndarray
            Positions of the candidate pairs, ascending.

        Examples
        --------
        >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> ObjectPairs.from_table(table).candidates(0.25).tolist()  # IoU 1/4 is >= 0.25
        [0, 1]
        >>> ObjectPairs.from_table(table).candidates(0.5, "iot").tolist()  # 2/2 > 0.5, 1/2 not
        [0]
        """
        num, den = threshold_fraction(threshold)
        if criterion == "iou":
            return np.flatnonzero(self.intersection * den >= num * self.union)
        if criterion == "iot":
            return np.flatnonzero(self.intersection * den > num * self.true_areas[self.true_index])
        if criterion == "iop":
            return np.flatnonzero(self.intersection * den > num * self.pred_areas[self.pred_index])
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}.")

    def within_classes(self, true_class: np.ndarray, pred_class: np.ndarray) -> ObjectPairs:
        """The same objects, keeping only the pairs whose two objects have the same class.

        Parameters
        ----------
        true_class, pred_class : numpy.ndarray
            The class of each true object (aligned with ``true_ids``) and of each prediction.

        Returns
        -------
        ObjectPairs
            Every object, areas unchanged; pairs across classes left out, so that any matching
            of it matches within classes.

        Examples
        --------
        >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> pairs = ObjectPairs.from_table(table).within_classes(np.array([1, 2]), np.array([2]))
        >>> pairs.true_index.tolist()  # only true 2 and prediction 3 share class 2
        [1]
        """
        keep = true_class[self.true_index] == pred_class[self.pred_index]
        return ObjectPairs(
            self.true_ids,
            self.true_areas,
            self.pred_ids,
            self.pred_areas,
            self.true_index[keep],
            self.pred_index[keep],
            self.intersection[keep],
            self.union[keep],
        )

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

    def match(self, threshold: float, criterion: str = "iou") -> np.ndarray:
        """Boolean mask over pairs: the optimal one-to-one matching at ``threshold``.

        Among the one-to-one matchings of the candidate pairs (IoU >= ``threshold``, or the
        other ``criterion``): the most pairs, then the largest summed IoU. Pairs alone in their
        component are taken as they are; the others are solved sparsely, in memory
        proportional to their number.

        Exact ties (matchings of as many pairs and the same summed IoU) are moved to the
        smallest ids by two exchanges, which read the same from either side: an object with
        two candidates of exactly equal IoU (an object split into two halves, IoU 1/2 with
        each) is matched to the one of smaller id; and of two pairs that could be crossed at
        exactly the same summed IoU, the smallest true id is paired with the smallest
        predicted id (see :meth:`_smallest_ids_on_ties`). For the ties these exchanges resolve,
        swapping truth and prediction swaps the pairs and nothing else; a tie that only a
        longer chain of exchanges resolves can remain as the solver found it (which pair
        matched may then depend on the ids; the counts and summed IoU never do).

        Parameters
        ----------
        threshold : float
            Threshold in (0, 1].
        criterion : {'iou', 'iot', 'iop'}
            Which pairs are candidates (see :meth:`candidates`).

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
        alone, tangled = self._split_alone(self.candidates(threshold, criterion))
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
        self._smallest_ids_on_ties(tangled, matched)
        return matched

    def _smallest_ids_on_ties(self, edges: np.ndarray, matched: np.ndarray) -> None:
        """Move the optimal ``matched`` (a mask over all pairs, changed in place) among the
        candidate pairs ``edges`` to the smallest ids where it ties exactly.

        Two exchanges keep the number of pairs and the exact summed IoU (IoUs compared as
        fractions, never as rounded floats):

        - a matched pair (x, y) becomes (x, y') when y' is unmatched, smaller than y, and
          IoU(x, y') = IoU(x, y); the same with the roles of the sides swapped;
        - two matched pairs (a, b), (c, d) with a < c and d < b become (a, d), (c, b) when
          both are candidates and IoU(a, d) + IoU(c, b) = IoU(a, b) + IoU(c, d).

        Each rule reads the same from either side, so for the ties they resolve (an object
        and its two halves at IoU 0.5, two crossed pairs) swapping the images swaps the pairs,
        whatever order the solver met the objects in. A tie that only a longer chain of
        exchanges resolves is left as the solver found it: for example, with 2 true and 3
        predicted objects, both matched pairs changing partner at once, one of them to an
        unmatched prediction (neither step alone keeps the sum). The first rule lowers the ids
        matched on one side, the second keeps them and raises the sum of the products of the
        partners' ranks, so the exchanges end. Without an exact tie (nearly always) this is one
        vectorised look at the unmatched candidates. A chain of exact ties moves one link a
        round: after :data:`TIE_ROUNDS` rounds (thousands of objects each tied with the next,
        as a row of two-pixel objects offset by one) the rest is left as it is, so that the
        time stays linear.
        """
        for _ in range(TIE_ROUNDS):
            changed = self._exchange_partner(edges, matched, "pred")
            changed |= self._exchange_partner(edges, matched, "true")
            changed |= self._cross_pairs(edges, matched)
            if not changed:
                return

    def _exchange_partner(self, edges: np.ndarray, matched: np.ndarray, side: str) -> bool:
        """One round of the first exchange of :meth:`_smallest_ids_on_ties`, changing the
        partner on ``side`` ('pred': a true object takes a smaller unmatched prediction of
        equal IoU; 'true': the other way). True if a pair changed."""
        t, p = self.true_index[edges], self.pred_index[edges]
        of_true, of_pred = self._matched_of(edges, matched)
        kept, changing = (t, p) if side == "pred" else (p, t)
        current = (of_true if side == "pred" else of_pred)[kept]  # the kept object's pair
        free = (of_pred if side == "pred" else of_true)[changing] < 0
        current_partner = changing[np.maximum(current, 0)]
        iou = self.iou[edges]
        tie = np.flatnonzero(
            free
            & (current >= 0)
            & (changing < current_partner)
            & (iou == iou[np.maximum(current, 0)])  # equal fractions give equal floats
        )
        tie = tie[self._equal_iou(edges[tie], edges[current[tie]])]
        if tie.size == 0:
            return False
        # One move per kept object (to its smallest free partner), and per free object (from
        # the pair whose partner is the largest, which the move frees).
        tie = tie[np.lexsort((changing[tie], kept[tie]))]
        tie = tie[np.r_[True, np.diff(kept[tie]) != 0]]
        tie = tie[np.lexsort((-current_partner[tie], changing[tie]))]
        tie = tie[np.r_[True, np.diff(changing[tie]) != 0]]
        matched[edges[current[tie]]] = False
        matched[edges[tie]] = True
        return True

    def _cross_pairs(self, edges: np.ndarray, matched: np.ndarray) -> bool:
        """One round of the second exchange of :meth:`_smallest_ids_on_ties`: two matched
        pairs crossed to pair the smaller ids together. True if pairs changed."""
        t, p = self.true_index[edges], self.pred_index[edges]
        of_true, of_pred = self._matched_of(edges, matched)
        # Unmatched candidates (a, d), a matched to b and d to c, with a < c and d < b.
        ab, cd = of_true[t], of_pred[p]
        look = np.flatnonzero((ab >= 0) & (cd >= 0) & ~matched[edges])
        look = look[(t[look] < t[cd[look]]) & (p[look] < p[ab[look]])]
        if look.size == 0:
            return False
        ab, cd = ab[look], cd[look]
        keys = t.astype(np.int64) * self.pred_ids.size + p
        order = np.argsort(keys)
        wanted = t[cd].astype(np.int64) * self.pred_ids.size + p[ab]  # the pair (c, b)
        cb = order[np.minimum(np.searchsorted(keys[order], wanted), keys.size - 1)]
        iou = self.iou[edges]
        near = (keys[cb] == wanted) & (np.abs(iou[look] + iou[cb] - iou[ab] - iou[cd]) < 1e-9)
        changed, used = False, set()
        for ad_, ab_, cd_, cb_ in zip(*(x[near].tolist() for x in (look, ab, cd, cb)), strict=True):
            if ab_ in used or cd_ in used:
                continue
            crossed = self._fraction(edges[ad_]) + self._fraction(edges[cb_])
            if crossed != self._fraction(edges[ab_]) + self._fraction(edges[cd_]):
                continue
            used.update((ab_, cd_))
            matched[edges[[ab_, cd_]]] = False
            matched[edges[[ad_, cb_]]] = True
            changed = True
        return changed

    def _matched_of(self, edges: np.ndarray, matched: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per true and per predicted object: the position in ``edges`` of its matched pair,
        or -1."""
        on = np.flatnonzero(matched[edges])
        of_true = np.full(self.true_ids.size, -1)
        of_pred = np.full(self.pred_ids.size, -1)
        of_true[self.true_index[edges[on]]] = on
        of_pred[self.pred_index[edges[on]]] = on
        return of_true, of_pred

    def _fraction(self, pair: int) -> Fraction:
        """The exact IoU of pair ``pair``."""
        return Fraction(int(self.intersection[pair]), int(self.union[pair]))

    def _equal_iou(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Per position: whether pairs ``first`` and ``second`` have exactly the same IoU
        (cross-multiplied as Python integers: no overflow)."""
        return np.array(
            [
                int(self.intersection[i]) * int(self.union[j])
                == int(self.intersection[j]) * int(self.union[i])
                for i, j in zip(first.tolist(), second.tolist(), strict=True)
            ],
            dtype=bool,
        )

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
        # int32 indices: scipy 1.14's LAPJVsp takes only its own index type (ITYPE_t, int32)
        # and refuses int64 ("Buffer dtype mismatch"); the matrix has n_rows + n_cols < 2**31
        # rows (the objects of one batch), so no index overflows.
        at_row = np.concatenate([rows, np.arange(n_rows), pred_stand_in, n_rows + cols])
        at_column = np.concatenate([cols, true_stand_in, np.arange(n_cols), n_cols + rows])
        costs = csr_array(
            (
                np.concatenate(
                    [
                        2.0 - self.iou[edges],
                        np.full(n_rows + n_cols, unmatched),
                        np.ones(edges.size),
                    ]
                ),
                (at_row.astype(np.int32), at_column.astype(np.int32)),
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


def check_criterion(criterion: object) -> str:
    """Validate the matching criterion before any pass over the data.

    Parameters
    ----------
    criterion : str
        One of ``'iou'``, ``'iot'`` (intersection over truth) and ``'iop'`` (intersection over
        prediction).

    Returns
    -------
    str
        The criterion.

    Raises
    ------
    ValueError
        If it is none of them.

    Examples
    --------
    >>> check_criterion("iot")
    'iot'
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}.")
    return str(criterion)


def check_exclude_border(exclude_border: object) -> int:
    """Validate a border width before any pass over the data.

    Parameters
    ----------
    exclude_border : int
        Width in pixels of the band at the image edge; 0 excludes nothing.

    Returns
    -------
    int
        The width as a Python ``int``.

    Raises
    ------
    TypeError
        If it is not an integer (booleans and floats are refused).
    ValueError
        If it is negative.

    Examples
    --------
    >>> check_exclude_border(2)
    2
    """
    if isinstance(exclude_border, bool | np.bool_) or not isinstance(
        exclude_border, int | np.integer
    ):
        raise TypeError(f"exclude_border must be a whole number of pixels, got {exclude_border!r}.")
    if exclude_border < 0:
        raise ValueError(f"exclude_border must be >= 0 pixels, got {exclude_border}.")
    return int(exclude_border)


def border_ids(labels: object, width: int) -> np.ndarray:
    """The non-zero ids found in the band of ``width`` pixels at the edge of ``labels``.

    Only the band is read (both ends of every axis). A chunked image stays lazy but for the
    chunks that hold its band, and they are read in one computation, each chunk once (a chunk
    at a corner holds two faces).

    Parameters
    ----------
    labels : array_like
        An integer label image, numpy or chunked (dask, zarr).
    width : int
        Width of the band in pixels (>= 0).

    Returns
    -------
    numpy.ndarray
        The sorted unique non-zero ids in the band.

    Examples
    --------
    >>> labels = np.array([[1, 0, 0, 0], [0, 2, 2, 0], [0, 2, 2, 3], [0, 0, 0, 0]])
    >>> border_ids(labels, 1).tolist()
    [1, 3]
    """
    found = border_ids_lazy(labels, width)
    return compute(found)[0] if hasattr(found, "compute") else found


def border_ids_lazy(labels: object, width: int) -> Any:
    """:func:`border_ids`, as a dask ``Delayed`` when ``labels`` is chunked (nothing read).

    For computing the band together with other passes over the same chunks
    (``dask.compute``): a chunk that both read is read once.

    Parameters
    ----------
    labels : array_like
        An integer label image, numpy or chunked (dask, zarr).
    width : int
        Width of the band in pixels (>= 0).

    Returns
    -------
    numpy.ndarray or dask.delayed.Delayed
        The sorted unique non-zero ids in the band; not yet computed for a chunked image.

    Examples
    --------
    >>> import dask, dask.array as da
    >>> labels = da.from_array(np.array([[0, 0, 0], [0, 5, 0], [7, 0, 0]]), chunks=2)
    >>> (ids,) = dask.compute(border_ids_lazy(labels, 1))
    >>> ids.tolist()
    [7]
    """
    if width == 0:
        return np.zeros(0, labels.dtype)
    if is_lazy(labels):
        return _border_ids_chunked(as_dask(labels), width)
    faces = []
    shape = tuple(labels.shape)
    for axis, size in enumerate(shape):
        ends = [slice(0, min(width, size))]
        if size > width:
            ends.append(slice(max(size - width, width), size))  # the far end, not read twice
        for end in ends:
            index = [slice(None)] * len(shape)
            index[axis] = end
            faces.append(np.unique(np.asarray(labels[tuple(index)])))
    return _nonzero_unique(faces)


def _border_ids_chunked(labels: Any, width: int) -> Any:
    """:func:`border_ids_lazy` of a dask array: one task per chunk that holds part of the
    band, on the array's own chunk keys (so another pass computed with it shares its reads)."""
    import uuid

    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    name = f"border-ids-{uuid.uuid4().hex}"
    shape = tuple(labels.shape)
    starts = [np.cumsum((0, *sizes[:-1])) for sizes in labels.chunks]
    layer: dict = {}
    parts = []
    for index in np.ndindex(labels.numblocks):
        start = tuple(int(s[i]) for s, i in zip(starts, index, strict=True))
        sizes = tuple(c[i] for c, i in zip(labels.chunks, index, strict=True))
        if all(
            b >= width and b + n <= size - width
            for b, n, size in zip(start, sizes, shape, strict=True)
        ):
            continue  # inside: no pixel of the band
        task = functools.partial(_chunk_band_ids, start=start, shape=shape, width=width)
        layer[(name, len(parts))] = (task, (labels.name, *index))
        parts.append((name, len(parts)))
    layer[(name,)] = (_nonzero_unique, parts)
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[labels])
    return Delayed((name,), graph, layer=name)


def _chunk_band_ids(
    block: np.ndarray, *, start: tuple[int, ...], shape: tuple[int, ...], width: int
) -> np.ndarray:
    """The unique ids of the pixels of one chunk (at ``start``) in the band of the image."""
    found = []
    for axis, (first, size) in enumerate(zip(start, shape, strict=True)):
        n = block.shape[axis]
        near = min(max(width - first, 0), n)  # the chunk's pixels in the band at 0
        far = min(max(size - width - first, near), n)  # ... and from here on, at the far end
        for end in (slice(0, near), slice(far, n)):
            if end.stop > end.start:
                index = [slice(None)] * block.ndim
                index[axis] = end
                found.append(np.unique(block[tuple(index)]))
    return np.concatenate(found) if found else np.zeros(0, block.dtype)


def _nonzero_unique(parts: list[np.ndarray]) -> np.ndarray:
    """The sorted unique non-zero values of the ``parts``."""
    ids = np.unique(np.concatenate(parts))
    return ids[ids != 0]


def remove_objects(
    table: OverlapTable, true_ids: np.ndarray = (), pred_ids: np.ndarray = ()
) -> OverlapTable:
    """The table with some objects turned into background, as if relabelled 0.

    The pixels of a removed object count as background (id 0) of its image; every other
    object keeps its area and its overlaps. This is how border objects are excluded.

    Parameters
    ----------
    table : OverlapTable
        The overlap table of a (ground truth, prediction) pair.
    true_ids, pred_ids : array_like of int
        The true and predicted objects to remove (ids absent from the table are ignored).

    Returns
    -------
    OverlapTable
        A new table.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
    >>> kept = remove_objects(table, true_ids=[2])
    >>> kept.true_ids.tolist(), kept.true_areas.tolist(), kept.pair_true.tolist()
    ([0, 1], [2, 2], [1])
    """

    def drop(ids: np.ndarray, areas: np.ndarray, removed) -> tuple[np.ndarray, ...]:
        removed = np.asarray(removed).astype(ids.dtype, copy=False)
        gone = np.isin(ids, removed) & (ids != 0)
        if not gone.any():
            return ids, areas, gone
        freed = areas[gone].sum()
        ids, areas = ids[~gone], areas[~gone].copy()
        if ids.size and ids[0] == 0:
            areas[0] += freed
        else:
            ids, areas = np.r_[np.zeros(1, ids.dtype), ids], np.r_[freed, areas]
        return ids, areas, gone

    true_kept, true_areas, true_gone = drop(table.true_ids, table.true_areas, true_ids)
    pred_kept, pred_areas, pred_gone = drop(table.pred_ids, table.pred_areas, pred_ids)
    keep = ~(
        np.isin(table.pair_true, table.true_ids[true_gone])
        | np.isin(table.pair_pred, table.pred_ids[pred_gone])
    )
    return OverlapTable(
        true_kept,
        true_areas,
        pred_kept,
        pred_areas,
        table.pair_true[keep],
        table.pair_pred[keep],
        table.pair_counts[keep],
    )


def match_counts(pairs: ObjectPairs, threshold: float, criterion: str = "iou") -> dict:
    """tp, fp, fn and the summed IoU of the matched pairs at one threshold.

    Parameters
    ----------
    pairs : ObjectPairs
        The objects and their overlapping pairs.
    threshold : float
        The threshold, in (0, 1].
    criterion : {'iou', 'iot', 'iop'}
        The matching criterion (see :meth:`ObjectPairs.candidates`).

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
    matched = pairs.match(threshold, criterion)
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


@dataclass(frozen=True)
class CountedOn:
    """What an :class:`InstanceResult` was counted on: the images' shape and the settings
    that decide which objects it holds. :func:`~napari_seg_eval.core.review.review_objects`
    and :func:`~napari_seg_eval.core.review.error_map` read it to refuse the result of other
    images or settings.

    Attributes
    ----------
    shape
        The shape of the images compared.
    ignore_label
        The truth's id left out (None: none).
    exclude_border
        The width of the band whose objects were left out (0: none).
    region
        Whether only the pixels of a region were counted.
    """

    shape: tuple[int, ...]
    ignore_label: int | None = None
    exclude_border: int = 0
    region: bool = False


@dataclass(frozen=True, repr=False, eq=False)
class InstanceResult(Result):
    """Matching-based instance metrics.

    ``per_threshold``: one row per IoU threshold (tp, fp, fn, precision, recall, f1, accuracy =
    TP/(TP+FP+FN) i.e. the DSB/StarDist/Cellpose "AP", mean_matched_iou, panoptic_quality, ...).
    ``summary``: n_true, n_pred, mean_accuracy (mean over thresholds), f1_50, accuracy_50,
    panoptic_quality_50, aji (and class_mean_accuracy with classes). ``per_object``: one row per
    object with its status at IoU 0.5 (and its class, with classes). ``criterion``: how pairs
    are matched (``'iou'``, ``'iot'`` or ``'iop'``).

    With classes: ``per_class``, one row per (class, threshold) of the matching within each
    class, and ``class_confusion``, the counts of (true class, predicted class) among the pairs
    matched regardless of class at 0.5; ``true_class``/``pred_class`` hold the class of each
    object of ``pairs``. ``excluded_true``/``excluded_pred``: the ids removed at the border
    (objects of the images compared: never the ignore label or an id outside the region).
    ``counted_on``: the images' shape and the settings of :func:`instance_metrics`
    (:class:`CountedOn`); None for a result made from an overlap table.

    Two results compare equal only when they are the same object (``eq=False``): comparing the
    tables field by field would be ambiguous, and is left to ``pandas`` (``to_frame().equals``).
    """

    per_threshold: pd.DataFrame
    summary: pd.Series
    pairs: ObjectPairs
    criterion: str = "iou"
    per_class: pd.DataFrame | None = None
    class_confusion: pd.DataFrame | None = None
    true_class: np.ndarray | None = None
    pred_class: np.ndarray | None = None
    excluded_true: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    excluded_pred: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    counted_on: CountedOn | None = None

    _main = "per_threshold"

    @cached_property
    def per_object(self) -> pd.DataFrame:
        """Every true and predicted object: id, area, partner, IoU with it, status at IoU 0.5
        (and ``class``, with classes)."""
        return self.objects_at(REVIEW_THRESHOLD)

    def objects_at(self, threshold: float) -> pd.DataFrame:
        """Per-object table at any threshold (of the result's matching criterion).

        Parameters
        ----------
        threshold : float
            Threshold in (0, 1].

        Returns
        -------
        pandas.DataFrame
            One row per true then predicted object: ``kind`` ('true' or 'pred'), ``label``,
            ``area``, ``partner`` (the matched object for a TP, otherwise the object with the
            highest IoU, ties to the smallest id, 0 if none overlaps), ``iou`` (with that
            partner) and ``status``
            (TP, FN or FP); with classes, ``class``.

        Examples
        --------
        >>> import numpy as np
        >>> from napari_seg_eval import instance_metrics
        >>> result = instance_metrics(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 3, 0]]))
        >>> result.objects_at(0.25)["status"].tolist()
        ['TP', 'FN', 'TP']
        """
        pairs = self.pairs
        matched = pairs.match(threshold, self.criterion)
        sides = []
        for side, ids, areas, other_ids, other_index, classes in (
            (
                "true",
                pairs.true_ids,
                pairs.true_areas,
                pairs.pred_ids,
                pairs.pred_index,
                self.true_class,
            ),
            (
                "pred",
                pairs.pred_ids,
                pairs.pred_areas,
                pairs.true_ids,
                pairs.true_index,
                self.pred_class,
            ),
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
            sides.append((ids, areas, partner, iou, match_of >= 0, classes))
        (true_ids, *true_columns), (pred_ids, *pred_columns) = sides
        # Text columns taken from a few Python strings: no string is made per object, and each
        # step that holds the GIL stays short (a viewer's main thread waits for it).
        kind = np.array(["true", "pred"], dtype=object)
        kind_code = np.repeat(np.arange(2), [true_ids.size, pred_ids.size])
        status = np.array(["FN", "FP", "TP"], dtype=object)
        is_tp = np.concatenate([true_columns[3], pred_columns[3]])
        status_code = np.where(is_tp, 2, kind_code)
        columns = {
            "kind": pd.Series(kind[kind_code], dtype=str),
            "label": _concatenated_ids(true_ids, pred_ids),
            "area": np.concatenate([true_columns[0], pred_columns[0]]),
            "partner": _concatenated_ids(true_columns[1], pred_columns[1]),
            "iou": np.concatenate([true_columns[2], pred_columns[2]]),
            "status": pd.Series(status[status_code], dtype=str),
        }
        if self.true_class is not None:
            columns["class"] = np.concatenate([true_columns[4], pred_columns[4]])
        return pd.DataFrame(columns)


def _concatenated_ids(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Two id arrays end to end, in a dtype that holds both exactly."""
    dtype = id_dtype(first.dtype, second.dtype)
    return np.concatenate([first.astype(dtype, copy=False), second.astype(dtype, copy=False)])


@renamed_keywords(thresholds="iou_thresholds")
def instance_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    iou_thresholds: float | Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    ignore_label: int | None = None,
    region: np.ndarray | None = None,
    exclude_border: int = 0,
    true_classes: ClassesLike | None = None,
    pred_classes: ClassesLike | None = None,
    criterion: str = "iou",
    background_class: int | None = None,
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
        ``DeprecationWarning`` until 0.3.) With another ``criterion`` they are thresholds of
        that criterion.
    ignore_label : int, optional
        Pixels where ``true == ignore_label`` are left out of every count, and that id is not
        an object: a truth id for pixels of unknown class (e.g. unlabelled areas). Not 0: the
        background is no object already, and leaving it out means predictions on it are no
        false positives (a ``UserWarning`` says so).
    region : array_like of bool, optional
        A mask of the truth's shape (numpy or chunked): pixels where it is False are left out
        of every count. Each object, true or predicted, keeps only its pixels inside (areas,
        overlaps and IoU are those inside); an object wholly outside is not counted. Scoring
        a region equals scoring the image cropped to it.
    exclude_border : int, optional
        Objects with a pixel in the band of this many pixels at the image edge (both ends of
        every axis) are removed from both sides before matching, their pixels counted as
        background (NeurIPS 2022 CellSeg: 2). ``n_true``/``n_pred`` count the objects left.
        The band is at the image's edge, not the region's.
    true_classes, pred_classes : array_like or mapping, optional
        Give both for multi-class results: each a class image of the same shape (an object's
        class is the majority class of its pixels, inside the region if one is given; ties to
        the smallest class) or a mapping from object id to class. Objects are then also
        matched within each class.
    criterion : {'iou', 'iot', 'iop'}, optional
        Which pairs may match at threshold t: ``'iou'`` IoU >= t (default); ``'iot'``
        intersection over truth |T ∩ P| / |T| > t (strict: the Cell Tracking Challenge's rule
        at t = 0.5); ``'iop'`` intersection over prediction |T ∩ P| / |P| > t (strict). Among
        the candidates the matching still has the most pairs, then the largest summed IoU, and
        PQ and the mean matched IoU are still IoU.
    background_class : int, optional
        With classes: the class that is no class (the ``conic`` preset: 0, background in
        CoNIC's class maps). Its objects, true or predicted, are in no ``per_class`` row
        (neither matched nor counted as FP or FN in any class) nor in the means over classes;
        they stay in the class-agnostic results, ``per_object`` and ``class_confusion``. By
        default every class is a class, 0 too.

    Returns
    -------
    InstanceResult
        ``per_threshold`` (one row per threshold: tp, fp, fn, precision, recall, f1, accuracy,
        mean_matched_iou, mean_true_iou, panoptic_quality, sum_matched_iou), ``summary`` and
        ``per_object`` (status at 0.5). With classes also ``per_class`` (class × threshold,
        matching within each class), ``summary["class_mean_accuracy"]`` (the mean over classes
        of the mean over thresholds of TP/(TP+FP+FN)), ``summary["class_mean_panoptic_quality_50"]``
        (the mean over classes of PQ at IoU 0.5: CoNIC's mPQ+ on one image; counted at 0.5
        even when 0.5 is not one of the thresholds) and ``class_confusion`` (true class ×
        predicted class counts among the pairs matched regardless of class at 0.5). Classes
        with no object on either side are not reported, nor ``background_class``.

    Raises
    ------
    ValueError
        If a threshold is not in (0, 1] or none is given, the criterion is unknown,
        ``exclude_border`` is negative, only one side has classes, ``background_class`` is
        negative or given without classes, a class image's or the region's shape differs, or
        the images do not fit (shapes, negative ids; a class image with a negative class is
        named); or, after the pass, if a class mapping misses an object.
    TypeError
        If an image is not an integer (or boolean) label image, classes are not integers, or
        the region is not boolean.

    Warns
    -----
    UserWarning
        If an image is a boolean mask, or a uint8/uint16 ``pred`` looks like a probability
        map (many values, each in thin parts of several true objects): its values are scored
        as object ids; threshold and label it first. If ``ignore_label`` is 0 (the
        background): predictions on the background are then no false positives.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import instance_metrics
    >>> true = np.array([[1, 1, 0, 2, 2]])
    >>> pred = np.array([[7, 7, 0, 0, 9]])  # IoU(1, 7) = 1, IoU(2, 9) = 1/2
    >>> result = instance_metrics(true, pred, iou_thresholds=[0.5, 0.75])
    >>> result.per_threshold["tp"].tolist()
    [2, 1]
    >>> float(result.summary["mean_accuracy"])  # (2/2 + 1/3) / 2
    0.6666666666666666

    With classes (here mappings), objects match only within their class:

    >>> result = instance_metrics(
    ...     true, pred, iou_thresholds=[0.5], true_classes={1: 1, 2: 2}, pred_classes={7: 1, 9: 1}
    ... )
    >>> result.per_class[["class", "tp", "fp", "fn"]].values.tolist()
    [[1, 1, 1, 0], [2, 0, 0, 1]]
    >>> float(result.summary["class_mean_accuracy"])  # (1/2 + 0/1) / 2
    0.25
    >>> float(result.summary["class_mean_panoptic_quality_50"])  # class 1: SQ 1 x RQ 2/3; 2: 0
    0.3333333333333333

    With class 2 as no class (``background_class=2``), true 2 is in no class:

    >>> result = instance_metrics(
    ...     true, pred, iou_thresholds=[0.5], true_classes={1: 1, 2: 2}, pred_classes={7: 1, 9: 1},
    ...     background_class=2,
    ... )
    >>> result.per_class[["class", "tp", "fp", "fn"]].values.tolist()
    [[1, 1, 1, 0]]

    Only the pixels of a region (here the last two columns, holding half of 2 and all of 9):

    >>> region = np.array([[False, False, False, True, True]])
    >>> summary = instance_metrics(true, pred, iou_thresholds=[0.5], region=region).summary
    >>> int(summary["n_true"]), float(summary["f1_50"])  # 2 keeps 1 pixel, IoU with 9 = 1/2
    (1, 1.0)
    """
    thresholds = check_iou_thresholds(iou_thresholds)
    criterion = check_criterion(criterion)
    width = check_exclude_border(exclude_border)
    if (true_classes is None) != (pred_classes is None):
        raise ValueError(
            "give both true_classes and pred_classes for multi-class results (or neither); "
            f"got only {'true_classes' if pred_classes is None else 'pred_classes'}."
        )
    background = check_background_class(background_class, true_classes is not None)
    warn_if_background_ignored(ignore_label, caller("instance_metrics"))
    given_dtype = getattr(pred, "dtype", None)  # as given (the pair may be converted)
    true, pred, specs = _checked_pair(true, pred, true_classes, pred_classes)
    region = check_region(region, tuple(true.shape))
    warn_if_time_series(tuple(true.shape), "instance_metrics")
    # One computation for the table and the bands: a chunk both read is read once.
    parts = (
        overlap_table_lazy(true, pred, ignore_label=ignore_label, region=region),
        border_ids_lazy(true, width),
        border_ids_lazy(pred, width),
    )
    if any(hasattr(part, "compute") for part in parts):
        parts = compute(*parts)
    table, *border = parts
    if given_dtype is not None:
        warn_if_probabilities(table, given_dtype)
    result = _of_counted_table(
        table,
        true,
        pred,
        specs,
        ignore_label=ignore_label,
        region=region,
        iou_thresholds=thresholds,
        criterion=criterion,
        border=tuple(border) if width else None,
        background_class=background,
    )
    counted_on = CountedOn(
        tuple(true.shape), check_ignore_label(ignore_label), width, region is not None
    )
    return replace(result, counted_on=counted_on)


#: A label prediction looks like a probability map when it has at least this many values ...
SCATTERED_MIN_VALUES = 16
#: ... and most of those touching true objects each touch at least this many, covering less
#: than half of every one.
SCATTERED_MIN_OBJECTS = 3


def looks_like_probabilities(table: OverlapTable, dtype: Any) -> bool:
    """Whether a uint8/uint16 label prediction looks like a probability map, from its
    instance overlap table alone (no pass over the pixels): at least
    :data:`SCATTERED_MIN_VALUES` values, and most of the values touching true objects are
    scattered, each touching :data:`SCATTERED_MIN_OBJECTS` or more true objects and covering
    less than half of every one. A probability value forms rings and specks around many
    objects; an object id covers most of the object it found, a merge most of each object it
    joined, so even a badly merged label image has almost no scattered id."""
    if not integer_map_dtype(dtype):
        return False
    ids = table.pred_ids[table.pred_ids != 0]
    if ids.size < SCATTERED_MIN_VALUES:
        return False
    inside = (table.pair_true != 0) & (table.pair_pred != 0)
    true_area = table.true_areas[np.searchsorted(table.true_ids, table.pair_true[inside])]
    value = np.searchsorted(ids, table.pair_pred[inside])
    touched = np.bincount(value, minlength=ids.size)
    covered = np.bincount(
        value, weights=2 * table.pair_counts[inside] >= true_area, minlength=ids.size
    )
    scattered = (touched >= SCATTERED_MIN_OBJECTS) & (covered == 0)
    return 2 * int(scattered.sum()) > int((touched > 0).sum())


def warn_if_probabilities(table: OverlapTable, dtype: Any) -> None:
    """Warn (a ``UserWarning``) when a uint8/uint16 prediction given as labels looks like a
    probability map (see :func:`looks_like_probabilities`): its values were scored as ids."""
    if looks_like_probabilities(table, dtype):
        warn(
            f"{caller('instance_metrics')}: pred ({np.dtype(dtype).name}) looks like a "
            f"probability map (0-{np.iinfo(dtype).max}): its values were scored as object ids; "
            "threshold and label it first (label_instances(threshold_probabilities(pred)))"
        )


def _checked_pair(
    true: Any, pred: Any, true_classes: Any, pred_classes: Any
) -> tuple[Any, Any, tuple[ClassSpec, ClassSpec] | None]:
    """:func:`instance_metrics`' checks of its images before its pass (nothing is read): a
    warning for a boolean mask, the label pair, and both sides' classes (or None)."""
    warn_if_masks(true, pred, caller("instance_metrics"))
    true, pred = as_label_pair(true, pred)
    specs = None
    if true_classes is not None:
        specs = (
            check_classes(true_classes, tuple(true.shape), "true_classes"),
            check_classes(pred_classes, tuple(pred.shape), "pred_classes"),
        )
    return true, pred, specs


def _of_counted_table(
    table: OverlapTable,
    true: Any,
    pred: Any,
    specs: tuple[ClassSpec, ClassSpec] | None,
    *,
    ignore_label: int | None,
    region: Any,
    **matching: Any,
) -> InstanceResult:
    """:func:`instance_metrics` after its pass: from the ``table`` counted with
    ``ignore_label`` and ``region`` and the images :func:`_checked_pair` gave; ``matching``
    are :func:`instance_metrics_of_table`'s other keywords. The classes' pixels are those
    that count (an ignored pixel votes for no class)."""
    return instance_metrics_of_table(
        table,
        true,
        pred,
        classes=specs,
        region=outside_ignored(true, ignore_label, region) if specs else None,
        **matching,
    )


def instance_metrics_of_table(
    table: OverlapTable,
    true: Any,
    pred: Any,
    *,
    iou_thresholds: float | Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    criterion: str = "iou",
    border: tuple[np.ndarray, np.ndarray] | None = None,
    classes: tuple[ClassSpec, ClassSpec] | None = None,
    region: Any = None,
    background_class: int | None = None,
) -> InstanceResult:
    """:func:`instance_metrics` after its pass over the pixels: from the overlap table of
    ``true`` and ``pred`` and the ids in their border band.

    For callers that compute the table together with other passes over the same chunks (e.g.
    both tables of an evaluation, or the table of the node keys of a chunked labelling,
    relabelled). The images are read again only for object classes given as class images.

    Parameters
    ----------
    table : OverlapTable
        The overlap table of ``true`` and ``pred`` (with the ignored label and the region
        of the run).
    true, pred : array_like
        The label images of the table (numpy or chunked), read only for ``classes``.
    iou_thresholds, criterion
        As in :func:`instance_metrics`.
    border : tuple of numpy.ndarray, optional
        The ids in the border band of each side (:func:`border_ids`), to exclude them as
        ``exclude_border`` does; ids the table does not hold are left alone.
    classes : tuple, optional
        Both sides' classes, checked (:func:`~napari_seg_eval.core.classes.check_classes`).
    region : array_like of bool, optional
        The pixels that count (the run's region without the ignored truth id's: see
        :func:`~napari_seg_eval.core._validate.outside_ignored`), for the majority class of
        each object: ignored pixels count nowhere, in an object's class neither.
    background_class : int, optional
        With ``classes``: the class that is no class, as in :func:`instance_metrics`.

    Returns
    -------
    InstanceResult
        As :func:`instance_metrics` (``excluded_true``/``excluded_pred``: the objects removed
        at the border).

    Examples
    --------
    >>> true, pred = np.array([[1, 0, 2, 2]]), np.array([[3, 0, 4, 4]])
    >>> table = overlap_table(true, pred)
    >>> border = (border_ids(true, 1), border_ids(pred, 1))  # [1, 2] and [3, 4]
    >>> result = instance_metrics_of_table(table, true, pred, border=border)
    >>> result.excluded_true.tolist(), int(result.summary["n_true"])
    ([1, 2], 0)
    """
    thresholds = check_iou_thresholds(iou_thresholds)
    criterion = check_criterion(criterion)
    background = check_background_class(background_class, classes is not None)
    if border is None:
        excluded = (np.zeros(0, table.true_ids.dtype), np.zeros(0, table.pred_ids.dtype))
    else:  # only objects the table holds (not the ignore label, nor ids outside the region)
        excluded = tuple(
            np.intersect1d(ids_in_band.astype(ids.dtype), ids[ids != 0])
            for ids_in_band, ids in zip(border, (table.true_ids, table.pred_ids), strict=True)
        )
        table = remove_objects(table, *excluded)
    object_class = None
    if classes is not None:
        pairs = ObjectPairs.from_table(table)
        object_class = (
            object_classes(pairs.true_ids, classes[0], true, region),
            object_classes(pairs.pred_ids, classes[1], pred, region),
        )
    result = instance_metrics_from_table(
        table,
        iou_thresholds=thresholds,
        criterion=criterion,
        classes=object_class,
        background_class=background,
    )
    return replace(result, excluded_true=excluded[0], excluded_pred=excluded[1])


@renamed_keywords(thresholds="iou_thresholds")
def instance_metrics_from_table(
    table: OverlapTable,
    *,
    iou_thresholds: float | Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    criterion: str = "iou",
    classes: tuple[np.ndarray, np.ndarray] | None = None,
    background_class: int | None = None,
) -> InstanceResult:
    """:func:`instance_metrics` on an overlap table that is already computed.

    Parameters
    ----------
    table : OverlapTable
        The overlap table of a (ground truth, prediction) pair, e.g. from
        :func:`~napari_seg_eval.core.overlap.overlap_table` (tables of chunks add up); border
        objects are removed with :func:`remove_objects`.
    iou_thresholds : float or sequence of float, optional
        Thresholds in (0, 1]; by default 0.50, 0.55, ..., 0.95. (``thresholds=`` still
        works with a ``DeprecationWarning`` until 0.3.)
    criterion : {'iou', 'iot', 'iop'}, optional
        The matching criterion, as in :func:`instance_metrics`.
    classes : tuple of numpy.ndarray, optional
        The class of every true object and of every prediction of the table (in the order of
        its sorted non-zero ids), e.g. from :func:`~napari_seg_eval.core.classes.object_classes`.
    background_class : int, optional
        With ``classes``: the class that is no class, as in :func:`instance_metrics`.

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
    criterion = check_criterion(criterion)
    background = check_background_class(background_class, classes is not None)
    pairs = ObjectPairs.from_table(table)
    n_true, n_pred = pairs.true_ids.size, pairs.pred_ids.size
    if classes is not None:
        true_class, pred_class = (np.asarray(c, np.int64) for c in classes)
        if true_class.shape != (n_true,) or pred_class.shape != (n_pred,):
            raise ValueError(
                f"classes must give one class per object: {n_true} true and {n_pred} "
                f"predicted objects, got {true_class.shape[0]} and {pred_class.shape[0]}."
            )
    per_threshold = scores_from_counts(
        pd.DataFrame([match_counts(pairs, t, criterion) for t in thresholds]), n_true
    )
    at_review = scores_from_counts(
        pd.DataFrame([match_counts(pairs, REVIEW_THRESHOLD, criterion)]), n_true
    )
    aji_numerator, aji_denominator = aggregated_jaccard_parts(pairs)
    values = {
        "n_true": n_true,
        "n_pred": n_pred,
        "mean_accuracy": nanmean(per_threshold["accuracy"]),
        "f1_50": at_review["f1"].iat[0],
        "accuracy_50": at_review["accuracy"].iat[0],
        "precision_50": at_review["precision"].iat[0],
        "recall_50": at_review["recall"].iat[0],
        "panoptic_quality_50": at_review["panoptic_quality"].iat[0],
        "aji": ratio(aji_numerator, aji_denominator),
    }
    if classes is None:
        return InstanceResult(
            per_threshold, pd.Series(values, dtype=object), pairs, criterion=criterion
        )
    per_class = class_counts(pairs, true_class, pred_class, thresholds, criterion, background)
    values["class_mean_accuracy"] = nanmean(
        per_class.groupby("class", sort=True)["accuracy"].mean()
    )
    at_50 = per_class[per_class["threshold"] == REVIEW_THRESHOLD]
    if at_50.empty:  # 0.5 is not one of the thresholds: counted at 0.5 alone, as F1 @ 0.5 is
        at_50 = class_counts(
            pairs, true_class, pred_class, [REVIEW_THRESHOLD], criterion, background
        )
    values["class_mean_panoptic_quality_50"] = nanmean(at_50["panoptic_quality"])
    confusion = class_confusion(pairs, true_class, pred_class, criterion)
    return InstanceResult(
        per_threshold,
        pd.Series(values, dtype=object),
        pairs,
        criterion=criterion,
        per_class=per_class,
        class_confusion=confusion,
        true_class=true_class,
        pred_class=pred_class,
    )


def class_counts(
    pairs: ObjectPairs,
    true_class: np.ndarray,
    pred_class: np.ndarray,
    thresholds: Sequence[float],
    criterion: str = "iou",
    background_class: int | None = None,
) -> pd.DataFrame:
    """The per-class table: objects matched within each class, at each threshold.

    Parameters
    ----------
    pairs : ObjectPairs
        The objects and their overlapping pairs.
    true_class, pred_class : numpy.ndarray
        The class of each true and each predicted object.
    thresholds : sequence of float
        Thresholds in (0, 1].
    criterion : {'iou', 'iot', 'iop'}
        The matching criterion.
    background_class : int, optional
        The class that is no class: its objects are in no row (neither matched nor counted
        as FP or FN in any class). Objects match only within their class, so the rows of the
        other classes are those without it.

    Returns
    -------
    pandas.DataFrame
        One row per (class, threshold), classes ascending (only those with an object on either
        side, without ``background_class``), thresholds in the order given: ``class``,
        ``threshold``, ``tp``, ``fp``, ``fn``, the ratios of :func:`scores_from_counts` and
        ``sum_matched_iou``.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 4, 4]]))
    >>> pairs = ObjectPairs.from_table(table)
    >>> counts = class_counts(pairs, np.array([1, 1]), np.array([1, 2]), [0.5])
    >>> counts[["class", "tp", "fp", "fn"]].values.tolist()
    [[1, 1, 0, 1], [2, 0, 1, 0]]
    """
    reported = np.union1d(true_class, pred_class)
    true_code = np.searchsorted(reported, true_class)
    pred_code = np.searchsorted(reported, pred_class)
    n_classes = reported.size
    n_true = np.bincount(true_code, minlength=n_classes)
    n_pred = np.bincount(pred_code, minlength=n_classes)
    within = pairs.within_classes(true_class, pred_class)
    pair_code = true_code[within.true_index]
    frames = []
    for threshold in thresholds:
        matched = within.match(threshold, criterion)
        tp = np.bincount(pair_code[matched], minlength=n_classes)
        sum_iou = np.bincount(pair_code[matched], within.iou[matched], minlength=n_classes)
        frames.append(
            pd.DataFrame(
                {
                    "class": reported,
                    "threshold": float(threshold),
                    "tp": tp,
                    "fp": n_pred - tp,
                    "fn": n_true - tp,
                    "sum_matched_iou": sum_iou.astype(float),
                    "order": len(frames),
                }
            )
        )
    counts = pd.concat(frames, ignore_index=True).sort_values(["class", "order"], kind="stable")
    if background_class is not None:  # matched within classes: no other row changes
        counts = counts[counts["class"] != background_class]
    counts = counts.drop(columns="order").reset_index(drop=True)
    return scores_from_counts(counts, (counts["tp"] + counts["fn"]).to_numpy())


def class_confusion(
    pairs: ObjectPairs, true_class: np.ndarray, pred_class: np.ndarray, criterion: str = "iou"
) -> pd.DataFrame:
    """Counts of (true class, predicted class) among the pairs matched regardless of class.

    Parameters
    ----------
    pairs : ObjectPairs
        The objects and their overlapping pairs.
    true_class, pred_class : numpy.ndarray
        The class of each true and each predicted object.
    criterion : {'iou', 'iot', 'iop'}
        The matching criterion, at threshold 0.5.

    Returns
    -------
    pandas.DataFrame
        Rows: true class (index ``true class``); columns: predicted class (``predicted
        class``); both over every class with an object on either side.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 2, 2]]), np.array([[3, 3, 4, 4]]))
    >>> pairs = ObjectPairs.from_table(table)
    >>> class_confusion(pairs, np.array([1, 1]), np.array([1, 2])).values.tolist()
    [[1, 1], [0, 0]]
    """
    reported = np.union1d(true_class, pred_class)
    matched = pairs.match(REVIEW_THRESHOLD, criterion)
    rows = np.searchsorted(reported, true_class[pairs.true_index[matched]])
    cols = np.searchsorted(reported, pred_class[pairs.pred_index[matched]])
    counts = np.zeros((reported.size, reported.size), np.int64)  # classes x classes: small
    np.add.at(counts, (rows, cols), 1)
    return pd.DataFrame(
        counts,
        index=pd.Index(reported, name="true class"),
        columns=pd.Index(reported, name="predicted class"),
    )


def parse_iou_thresholds(text: str) -> list[float]:
    """``"0.5:0.95:0.05"`` (start:stop:step, stop included) or ``"0.5, 0.75"`` to a list.

    Values are rounded to 6 decimals, so the steps are the decimals the user typed.

    Examples
    --------
    >>> parse_iou_thresholds("0.5:0.6:0.05")
    [0.5, 0.55, 0.6]
    >>> parse_iou_thresholds("0.5:0.4:0.05")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: IoU thresholds '0.5:0.4:0.05': the range is empty, its stop 0.4 is below ...
    """
    text = text.strip()
    try:
        if ":" in text:
            start, stop, step = (float(part) for part in text.split(":"))
            if step <= 0:
                raise ValueError
            count = round((stop - start) / step) + 1
            values = [round(start + i * step, 6) for i in range(count)]
        else:
            values = [round(float(part), 6) for part in text.replace(";", ",").split(",") if part]
    except ValueError:
        raise ValueError(
            f"IoU thresholds {text!r}: write start:stop:step (e.g. 0.5:0.95:0.05) or a list "
            "(e.g. 0.5, 0.75)."
        ) from None
    if ":" in text and stop < start:
        raise ValueError(
            f"IoU thresholds {text!r}: the range is empty, its stop {stop:g} is below its start "
            f"{start:g} (start:stop:step counts up from start to stop, e.g. "
            f"{stop:g}:{start:g}:{step:g})."
        )
    if not values or not all(0 < v <= 1 for v in values):
        raise ValueError(f"IoU thresholds {text!r} must be numbers in (0, 1].")
    return values
