"""The one pass: a sparse table of how many pixels each (true id, predicted id) pair shares.

Every metric in this package is computed from this table. It is built from run lengths: along
the flattened image, consecutive pixels almost always carry the same (true, pred) pair, so the
pass only records where either image changes value and sums the run lengths per pair. No dense
n_true x n_pred matrix is ever built, and the tables of separate chunks add up
(``table_a + table_b``) to the table of the whole image.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from ._validate import as_label_pair, check_ignore_label, check_non_negative, check_region
from .blocks import fold, fold_lazy, is_lazy

#: Pixels per run block of the pass: small enough that the temporaries stay in cache.
CHUNK_PIXELS = 1 << 18
#: One-byte blocks whose ids are all below this are counted pixel by pixel, each pixel's pair
#: of ids as one byte (see :func:`_small_ids_table`).
SMALL_IDS = 16
#: The fields of :class:`OverlapTable` that hold ids (all in one dtype).
_ID_FIELDS = ("true_ids", "pred_ids", "pair_true", "pair_pred")
#: Pixels whose runs make one partial table (the blocks of the fold): few enough tables to add
#: up cheaply, small enough arrays to be reused by the allocator rather than page-faulted in.
TABLE_PIXELS = 4 * CHUNK_PIXELS


@dataclass(frozen=True)
class OverlapTable:
    """Areas of every id and the pixel counts shared by pairs of non-zero ids.

    ``true_ids``/``true_areas`` and ``pred_ids``/``pred_areas`` list every id present (0
    included), sorted. ``pair_true``, ``pair_pred``, ``pair_counts`` list every pair of non-zero
    ids that share pixels, sorted by (true, pred). The rows and columns of id 0 follow from these
    (see :meth:`contingency`), so this is the full contingency table, stored sparsely.

    Both sides hold their ids in one integer dtype (see :func:`id_dtype`), so that true and
    predicted ids compare, sort and search exactly, whatever the dtypes of the two images.
    """

    true_ids: np.ndarray
    true_areas: np.ndarray
    pred_ids: np.ndarray
    pred_areas: np.ndarray
    pair_true: np.ndarray
    pair_pred: np.ndarray
    pair_counts: np.ndarray

    def __post_init__(self) -> None:
        dtype = id_dtype(*(getattr(self, name).dtype for name in _ID_FIELDS))
        for name in _ID_FIELDS:
            object.__setattr__(self, name, getattr(self, name).astype(dtype, copy=False))

    def __add__(self, other: OverlapTable) -> OverlapTable:
        """The table of two disjoint sets of pixels, e.g. two chunks of one image."""
        return OverlapTable.sum([self, other])

    @staticmethod
    def sum(tables: list[OverlapTable]) -> OverlapTable:
        """The table of disjoint sets of pixels (the chunks of an image, say), added up.

        Parameters
        ----------
        tables : list of OverlapTable
            Tables of disjoint pixels; their ids may come in different integer dtypes.

        Returns
        -------
        OverlapTable
            One table: areas and pair counts summed per id and per pair, ids exact.

        Examples
        --------
        >>> import numpy as np
        >>> from napari_seg_eval import OverlapTable, overlap_table
        >>> a = overlap_table(np.array([1, 1, 0]), np.array([1, 0, 0]))
        >>> b = overlap_table(np.array([1], np.uint64), np.array([1], np.uint64))
        >>> OverlapTable.sum([a, b]).pair_counts.tolist()
        [2]
        """
        dtype = id_dtype(*(getattr(t, name).dtype for t in tables for name in _ID_FIELDS))

        def stacked(name: str) -> np.ndarray:
            # Cast before joining: int64 joined with uint64 would become float64.
            cast = name in _ID_FIELDS
            return np.concatenate(
                [
                    getattr(t, name).astype(dtype, copy=False) if cast else getattr(t, name)
                    for t in tables
                ]
            )

        return OverlapTable(
            *_group_sum(stacked("true_ids"), stacked("true_areas")),
            *_group_sum(stacked("pred_ids"), stacked("pred_areas")),
            *_pair_sum(stacked("pair_true"), stacked("pair_pred"), stacked("pair_counts")),
        )

    @property
    def n_pixels(self) -> int:
        """Number of pixels counted (ignored pixels excluded)."""
        return int(self.true_areas.sum())

    def contingency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (true id, pred id, count) entries with count > 0, id 0 included.

        Returns
        -------
        true_ids, pred_ids, counts : numpy.ndarray
            One entry per pair of ids sharing pixels, sorted by (true id, pred id); the ids in
            the table's one id dtype, the counts as ``int64``.

        Examples
        --------
        >>> import numpy as np
        >>> from napari_seg_eval import overlap_table
        >>> table = overlap_table(np.array([0, 1, 1]), np.array([0, 0, 2]))
        >>> [array.tolist() for array in table.contingency()]
        [[0, 1, 1], [0, 0, 2], [1, 1, 1]]
        """
        true_fg = _sum_by(self.pair_true, self.pair_counts, self.true_ids)
        pred_fg = _sum_by(self.pair_pred, self.pair_counts, self.pred_ids)
        true_only = self.true_areas - true_fg  # pixels of each true id over predicted 0
        pred_only = self.pred_areas - pred_fg  # pixels of each pred id over true 0
        true_zero = self.true_ids == 0
        pred_zero = self.pred_ids == 0
        # Pixels with true 0 over pred 0: all true-0 pixels minus those over a non-zero pred.
        zero_zero = int(self.true_areas[true_zero].sum() - pred_only[~pred_zero].sum())
        true_part = ~true_zero & (true_only > 0)
        pred_part = ~pred_zero & (pred_only > 0)
        n_zero_zero = int(zero_zero > 0)

        def zeros(n: int, like: np.ndarray) -> np.ndarray:
            return np.zeros(n, like.dtype)

        true_ids = np.concatenate(
            [
                zeros(n_zero_zero + pred_part.sum(), self.true_ids),
                self.pair_true,
                self.true_ids[true_part],
            ]
        )
        pred_ids = np.concatenate(
            [
                zeros(n_zero_zero, self.pred_ids),
                self.pred_ids[pred_part],
                self.pair_pred,
                zeros(true_part.sum(), self.pred_ids),
            ]
        )
        counts = np.concatenate(
            [
                np.full(n_zero_zero, zero_zero),
                pred_only[pred_part],
                self.pair_counts,
                true_only[true_part],
            ]
        )
        order = np.lexsort((pred_ids, true_ids))
        return true_ids[order], pred_ids[order], counts[order].astype(np.int64)


def id_dtype(*dtypes: np.dtype) -> np.dtype:
    """The integer dtype that holds ids of all ``dtypes`` exactly.

    NumPy promotes ``int64`` with ``uint64`` to ``float64``, which merges ids above 2**53.
    Label ids are never negative (the overlap pass refuses them), so ``uint64`` holds every id
    of any integer dtype exactly; it is used when no signed or smaller type does.

    Parameters
    ----------
    *dtypes : numpy.dtype
        Integer dtypes of id arrays.

    Returns
    -------
    numpy.dtype
        NumPy's promotion of them when it is an integer dtype, else ``uint64``.

    Examples
    --------
    >>> id_dtype(np.dtype(np.int64), np.dtype(np.uint64))
    dtype('uint64')
    >>> id_dtype(np.dtype(np.uint8), np.dtype(np.int32))
    dtype('int32')
    """
    dtype = np.result_type(*dtypes)
    return dtype if dtype.kind in "iu" else np.dtype(np.uint64)


def overlap_table(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    ignore_label: int | None = None,
    region: np.ndarray | None = None,
) -> OverlapTable:
    """Count the pixels shared by each (true id, predicted id) pair in one pass.

    Parameters
    ----------
    true, pred : numpy.ndarray or chunked array
        Integer (or boolean) label images of equal shape, ground truth first; ids >= 0 in any
        integer dtypes (``int64`` and ``uint64`` mixed included: ids stay exact). Chunked
        arrays (dask, zarr) are read chunk by chunk, the prediction on the truth's chunk grid,
        on dask's current scheduler (see :mod:`napari_seg_eval.core.blocks`).
    ignore_label : int, optional
        Pixels whose true id equals it are left out of every count.
    region : array_like of bool, optional
        A mask of the truth's shape (numpy or chunked): pixels where it is False are left out
        of every count, in the same pass. An object keeps only its pixels inside the region
        (its area is its area there); an object wholly outside is absent.

    Returns
    -------
    OverlapTable
        Areas of every id and the pixel counts of every pair of non-zero ids, sparse.

    Raises
    ------
    TypeError, ValueError
        For images that are not integer label images of one shape, negative ids (inside the
        region), an ``ignore_label`` that is not an integer >= 0, or a ``region`` that is not
        a boolean mask of the truth's shape.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import overlap_table
    >>> table = overlap_table(np.array([[1, 1, 0], [0, 2, 2]]), np.array([[1, 0, 0], [0, 3, 3]]))
    >>> table.pair_true.tolist(), table.pair_pred.tolist(), table.pair_counts.tolist()
    ([1, 2], [1, 3], [1, 2])
    >>> import dask.array as da
    >>> chunked = da.from_array(np.array([1, 1, 0, 2]), chunks=3)
    >>> overlap_table(chunked, np.array([1, 0, 0, 2])).pair_counts.tolist()
    [1, 1]
    >>> inside = np.array([True, True, False, False])  # score the first half only
    >>> half = overlap_table(np.array([1, 1, 0, 2]), np.array([1, 0, 0, 2]), region=inside)
    >>> half.true_ids.tolist(), half.pred_ids.tolist(), half.pred_areas.tolist()
    ([1], [0, 1], [1, 1])
    """
    ignore_label = check_ignore_label(ignore_label)
    true, pred = as_label_pair(true, pred)
    arrays = _arrays(true, pred, region)
    return fold(*_table_pass(ignore_label), arrays, block_pixels=TABLE_PIXELS)


def overlap_table_lazy(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    ignore_label: int | None = None,
    region: np.ndarray | None = None,
) -> OverlapTable | Any:
    """:func:`overlap_table`, as a dask ``Delayed`` when an input is chunked.

    For computing the tables of many chunked images together (``dask.compute``), so that
    their chunks are read in one schedule.

    Parameters
    ----------
    true, pred, ignore_label, region
        As in :func:`overlap_table` (checked here, before anything is read).

    Returns
    -------
    OverlapTable or dask.delayed.Delayed
        The table when all inputs are numpy arrays; otherwise the table not yet computed.

    Examples
    --------
    >>> import dask, dask.array as da
    >>> true = da.ones(4, dtype=int, chunks=2)
    >>> (table,) = dask.compute(overlap_table_lazy(true, np.ones(4, int)))
    >>> table.pair_counts.tolist()
    [4]
    """
    ignore_label = check_ignore_label(ignore_label)
    true, pred = as_label_pair(true, pred)
    arrays = _arrays(true, pred, region)
    if not any(is_lazy(array) for array in arrays):
        return fold(*_table_pass(ignore_label), arrays, block_pixels=TABLE_PIXELS)
    return fold_lazy(*_table_pass(ignore_label), arrays, block_pixels=TABLE_PIXELS)


def _arrays(true: Any, pred: Any, region: object) -> list[Any]:
    """The arrays the pass folds over: the pair, and the region when one is given (checked)."""
    region = check_region(region, tuple(true.shape))
    return [true, pred] if region is None else [true, pred, region]


def _table_pass(ignore_label: int | None) -> tuple[Callable, Callable]:
    """The partial and the combination of the overlap pass (picklable, for a cluster)."""
    return functools.partial(_block_table, ignore_label=ignore_label), OverlapTable.sum


def _block_table(
    true: np.ndarray,
    pred: np.ndarray,
    region: np.ndarray | None = None,
    *,
    ignore_label: int | None,
) -> OverlapTable:
    """The table of one block (flat or a chunk): runs of :data:`CHUNK_PIXELS` pixels each,
    one table of all of them; only the pixels inside ``region`` (a block of the mask)."""
    flat_true, flat_pred = true.ravel(), pred.ravel()
    if region is not None:
        inside = region.ravel()
        if not inside.all():
            # The pixels inside, side by side: runs may join across the gaps, which changes
            # no pair's count.
            flat_true, flat_pred = flat_true[inside], flat_pred[inside]
        if flat_true.size == 0:
            no_runs = np.zeros(0, np.int64)
            return _table_from_runs(flat_true, flat_pred, no_runs, ignore_label)
    maxima = _byte_maxima(flat_true, flat_pred)
    if maxima is not None and ignore_label is None and max(maxima) <= 1:
        return _binary_table(flat_true, flat_pred)
    if maxima is not None and max(maxima) < SMALL_IDS:
        return _small_ids_table(flat_true, flat_pred, ignore_label)
    # Two buffers reused for every run block: fresh ones would be page-faulted in each time.
    true_changes = np.empty(min(CHUNK_PIXELS, flat_true.size), bool)
    pred_changes = np.empty_like(true_changes)
    runs = []
    for start in range(0, flat_true.size, CHUNK_PIXELS):
        true_chunk = flat_true[start : start + CHUNK_PIXELS]
        pred_chunk = flat_pred[start : start + CHUNK_PIXELS]
        changes = true_changes[: true_chunk.size - 1]
        np.not_equal(true_chunk[1:], true_chunk[:-1], out=changes)
        np.not_equal(pred_chunk[1:], pred_chunk[:-1], out=pred_changes[: changes.size])
        changes |= pred_changes[: changes.size]
        run_starts = np.flatnonzero(changes)
        run_starts += 1
        run_starts = np.concatenate(([0], run_starts))
        lengths = np.diff(run_starts, append=true_chunk.size)
        runs.append((true_chunk[run_starts], pred_chunk[run_starts], lengths))
    true_runs, pred_runs, run_lengths = (np.concatenate(part) for part in zip(*runs, strict=True))
    return _table_from_runs(true_runs, pred_runs, run_lengths, ignore_label)


def _table_from_runs(
    true_values: np.ndarray, pred_values: np.ndarray, lengths: np.ndarray, ignore_label
) -> OverlapTable:
    """The table of one block from its runs: (true id, pred id, length) each."""
    check_non_negative(true_values, "ground truth")  # every id present starts a run
    check_non_negative(pred_values, "prediction")
    if ignore_label is not None:
        keep = true_values != ignore_label
        true_values, pred_values, lengths = true_values[keep], pred_values[keep], lengths[keep]
    both = (true_values != 0) & (pred_values != 0)
    return OverlapTable(
        *_group_sum(true_values, lengths),
        *_group_sum(pred_values, lengths),
        *_pair_sum(true_values[both], pred_values[both], lengths[both]),
    )


def _byte_maxima(flat_true: np.ndarray, flat_pred: np.ndarray) -> tuple[int, int] | None:
    """The largest id of each of two one-byte unsigned (or boolean) blocks; None for other
    dtypes (or an empty block). The check is nearly free beside the pass."""
    if flat_true.size == 0 or any(
        a.dtype.itemsize != 1 or a.dtype.kind not in "ub" for a in (flat_true, flat_pred)
    ):
        return None
    return int(flat_true.max()), int(flat_pred.max())


def _small_ids_table(
    flat_true: np.ndarray, flat_pred: np.ndarray, ignore_label: int | None
) -> OverlapTable:
    """The table of two flat one-byte blocks whose ids are all below :data:`SMALL_IDS` (class
    images, a few classes): each pixel's pair as one byte ``true * 16 + pred``, counted.

    Whatever the pixels' order (class images of noisy predictions change class at nearly
    every pixel, where the runs of :func:`_block_table` would be one pixel long).
    """
    counts = np.zeros(SMALL_IDS * SMALL_IDS, np.int64)
    joint = np.zeros(1 << 16, np.int64)  # two pixels' codes as one uint16: half the values
    step = 4 * CHUNK_PIXELS  # fewer, larger counts: each adds 65,536 values
    codes = np.empty(min(step, flat_true.size), np.uint8)
    for start in range(0, flat_true.size, step):
        true_chunk = flat_true[start : start + step].view(np.uint8)
        pred_chunk = flat_pred[start : start + step].view(np.uint8)
        code = codes[: true_chunk.size]
        np.multiply(true_chunk, SMALL_IDS, out=code)
        code |= pred_chunk
        even = code.size - code.size % 2
        joint += np.bincount(code[:even].view(np.uint16), minlength=1 << 16)
        if even < code.size:
            counts[code[-1]] += 1
    # Each byte of the joint counts added back, whichever of the two it is (either byte order).
    pairs = joint.reshape(256, 256)
    counts += pairs.sum(axis=0)
    counts += pairs.sum(axis=1)
    present = np.flatnonzero(counts)
    true_ids = (present // SMALL_IDS).astype(flat_true.dtype)
    pred_ids = (present % SMALL_IDS).astype(flat_pred.dtype)
    return _table_from_runs(true_ids, pred_ids, counts[present], ignore_label)


def _binary_table(flat_true: np.ndarray, flat_pred: np.ndarray) -> OverlapTable:
    """The table of two flat 0/1 blocks from three counts: |true|, |pred| and |true and pred|.

    Far fewer operations than the run-length pass when there are only two ids.
    """
    # One-byte 0/1 values are valid booleans as they are: view them, don't convert.
    true_mask, pred_mask = flat_true.view(bool), flat_pred.view(bool)
    n_true = np.count_nonzero(true_mask)
    n_pred = np.count_nonzero(pred_mask)
    n_both = np.count_nonzero(true_mask & pred_mask)
    n_pixels = flat_true.size

    def areas(n_ones: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        ids, counts = np.array([0, 1], dtype), np.array([n_pixels - n_ones, n_ones])
        return ids[counts > 0], counts[counts > 0]

    n_pairs = int(n_both > 0)
    return OverlapTable(
        *areas(n_true, flat_true.dtype),
        *areas(n_pred, flat_pred.dtype),
        np.ones(n_pairs, flat_true.dtype),
        np.ones(n_pairs, flat_pred.dtype),
        np.full(n_pairs, n_both, np.int64),
    )


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate ids and each value's index among them.

    When the ids span a modest range the candidates are that whole range (some may be absent;
    callers drop ids with a zero sum) and the index is a subtraction; otherwise a sort, so ids
    up to and beyond 2**31 (or uint64) work unchanged. The background 0 may stand apart from
    that range: a chunk far into a large image holds 0 and a few thousand ids in the millions,
    a modest range once 0 is set apart. Ids are never negative.
    """
    if values.size == 0:
        return np.zeros(0, values.dtype), np.zeros(0, np.intp)
    lowest, highest = values.min(), values.max()
    limit = max(1 << 16, 4 * values.size)
    if int(highest) - int(lowest) < limit:
        candidates = np.arange(int(highest) - int(lowest) + 1, dtype=values.dtype) + lowest
        return candidates, (values - lowest).astype(np.intp, copy=False)
    if lowest == 0 and int(highest) <= np.iinfo(np.intp).max:
        # Ids are never negative, so as unsigned integers 0 - 1 wraps to the largest value
        # and the smallest of ids - 1 is the smallest non-zero id - 1 (cheaper than a mask).
        unsigned = values.view(np.dtype(f"u{values.dtype.itemsize}"))
        below = int((unsigned - 1).min())
        if int(highest) - below < limit:
            # Candidates below..highest, the first (never an id) standing for 0.
            candidates = np.arange(below, int(highest) + 1, dtype=values.dtype)
            candidates[0] = 0
            codes = values.astype(np.intp)
            codes -= below
            np.maximum(codes, 0, out=codes)  # 0 - below <= 0: the background's code is 0
            return candidates, codes
    unique, codes = np.unique(values, return_inverse=True)
    return unique, codes.ravel()


def _group_sum(ids: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique ``ids`` and the sum of ``counts`` per id (zero sums dropped)."""
    candidates, codes = _codes(ids)
    sums = np.bincount(codes, weights=counts, minlength=candidates.size).astype(np.int64)
    present = sums > 0
    return candidates[present], sums[present]


def _sum_by(ids: np.ndarray, counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each of the sorted unique ``keys``, the sum of ``counts`` over equal ``ids``."""
    position = np.searchsorted(keys, ids)
    return np.bincount(position, weights=counts, minlength=keys.size).astype(np.int64)


def _pair_sum(
    true_values: np.ndarray, pred_values: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum ``counts`` per unique (true, pred) pair, sorted by (true, pred)."""
    true_candidates, true_codes = _codes(true_values)
    pred_candidates, pred_codes = _codes(pred_values)
    # A sparse matrix sums duplicate entries without sorting all of them; only the pairs that
    # occur are stored.
    matrix = sparse.csr_matrix(
        (counts.astype(np.int64, copy=False), (true_codes, pred_codes)),
        shape=(max(true_candidates.size, 1), max(pred_candidates.size, 1)),
    )
    matrix.sum_duplicates()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return (
        true_candidates[rows],
        pred_candidates[matrix.indices],
        matrix.data.astype(np.int64, copy=False),
    )


def binarized_table(table: OverlapTable) -> OverlapTable:
    """The table of foreground against background (labels > 0 on both sides) from the table
    of the labels: the same pixels, counted by whether each id is 0 (no second pass over the
    pixels).

    Parameters
    ----------
    table : OverlapTable
        The table of two label images.

    Returns
    -------
    OverlapTable
        Ids 0 (background) and 1 (foreground) on each side.

    Examples
    --------
    >>> table = binarized_table(overlap_table(np.array([0, 3, 3, 5]), np.array([2, 0, 7, 7])))
    >>> table.true_areas.tolist(), table.pred_areas.tolist(), table.pair_counts.tolist()
    ([1, 3], [1, 3], [2])
    """

    def two(ids: np.ndarray, areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = np.array([areas[ids == 0].sum(), areas[ids != 0].sum()], np.int64)
        return np.array([0, 1], np.uint8)[counts > 0], counts[counts > 0]

    shared = int(table.pair_counts.sum())
    n_pairs = int(shared > 0)
    return OverlapTable(
        *two(table.true_ids, table.true_areas),
        *two(table.pred_ids, table.pred_areas),
        np.ones(n_pairs, np.uint8),
        np.ones(n_pairs, np.uint8),
        np.full(n_pairs, shared, np.int64),
    )
