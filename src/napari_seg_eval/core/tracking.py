"""Cell Tracking Challenge segmentation (SEG) and detection (DET) measures.

Both read the overlap table of each frame. A true object T is matched by the prediction P that
covers more than half of it, |T ∩ P| > 0.5 |T| (strictly; at most one P can, so each true
object has at most one match, but one prediction may match several true objects). These are
the definitions of the challenge's evaluation software and of py-ctcmetrics.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._results import numeric_summary, ratio
from ._validate import as_label_pair, check_region
from ._warn import caller, warn
from .instance import ObjectPairs
from .overlap import OverlapTable, overlap_table

#: AOGM weights of the detection graph operations (Matula et al. 2015): split a vertex, add a
#: missing vertex, delete a spurious one.
WEIGHT_NS, WEIGHT_FN, WEIGHT_FP = 5, 10, 1

#: Axis names read as time, in any case: t and time, as napari and OME name a time axis, and
#: frame(s), as a movie's axis is often named (napari's axis labels, OME-Zarr axes).
TIME_LABELS = ("t", "time", "frame", "frames")
_COUNTS = ("n_true", "n_pred", "fn", "fp", "ns")


def ctc_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    time_axis: int | None = None,
    region: np.ndarray | None = None,
) -> pd.Series:
    """The Cell Tracking Challenge's SEG and DET, with the counts behind them.

    Parameters
    ----------
    true, pred
        Integer instance label images of equal shape (0 is background), 2-D or 3-D, or a time
        series of them.
    time_axis
        The axis of frames, if any. Objects are matched within each frame (an id may be reused
        in every frame, as in the challenge's tracking masks); SEG and DET then pool all frames
        as the challenge does: SEG is the mean over the true objects of all frames, and DET's
        counts are summed over frames.
    region
        A boolean mask of the images' shape (the time axis included; numpy or chunked): pixels
        where it is False are left out, and each object keeps only its pixels inside.

    Returns
    -------
    pandas.Series
        float64 (as a result's summary; the counts are whole numbers): ``seg``, ``det``,
        ``n_true``, ``n_pred``, ``fn``, ``fp`` and ``ns``:

        - a true object T is matched by a prediction P when |T ∩ P| > 0.5 |T| (strictly);
        - ``seg`` = Σ over matched true objects of IoU(T, P) / n_true (unmatched ones add 0);
        - ``fn``: true objects with no match;
        - ``fp``: predictions that match no true object;
        - ``ns``: the vertex splits needed: a prediction that matches k >= 2 true objects (a
          merge of k cells) needs k − 1 splits; ``ns`` is the sum of k − 1 over such
          predictions, py-ctcmetrics' ``NS = TP − (#predictions matching one object +
          #predictions matching several)``. A true object cut into pieces is not an NS: it is
          matched by the piece holding more than half of it (the others are FP), or it is a FN;
        - ``det`` = 1 − min(AOGM-D, AOGM-D0) / AOGM-D0 with AOGM-D = 5 ns + 10 fn + 1 fp and
          AOGM-D0 = 10 n_true (the cost of building the true graph from nothing).

        With no true object SEG and DET are undefined (NaN), where py-ctcmetrics reports SEG 0.

    Raises
    ------
    ValueError
        If ``time_axis`` is not an axis of the images, or the shapes differ.
    TypeError
        If an image is not an integer label image, or the region is not boolean.

    Warns
    -----
    RuntimeWarning
        Images of more than 3 axes (longer than 1) without ``time_axis``: they are matched as
        one volume. A 3-D stack of 2-D frames cannot be told from a 3-D image: give
        ``time_axis`` for it.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import ctc_metrics
    >>> true = np.array([[1, 1, 1, 1, 0, 2, 2]])
    >>> pred = np.array([[5, 5, 5, 0, 0, 5, 5]])
    >>> result = ctc_metrics(true, pred)  # 5 holds 3/4 of 1 and all of 2: one merge
    >>> int(result["ns"]), float(result["det"])
    (1, 0.75)
    """
    return _scores_series(ctc_image_counts(true, pred, time_axis=time_axis, region=region))


def ctc_image_counts(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    time_axis: int | None = None,
    region: np.ndarray | None = None,
) -> dict[str, float | int]:
    """The :func:`ctc_counts` of one pair of images, summed over its frames.

    Parameters
    ----------
    true, pred, time_axis, region
        As in :func:`ctc_metrics` (checked here).

    Returns
    -------
    dict
        ``seg_sum``, ``n_true``, ``n_pred``, ``fn``, ``fp`` and ``ns`` (see
        :func:`ctc_counts`). Summed over several images, :func:`ctc_values` turns them into
        the SEG and DET of all of them.

    Examples
    --------
    >>> true = np.array([[1, 1, 1, 1, 0, 2, 2]])
    >>> counts = ctc_image_counts(true, np.array([[5, 5, 5, 0, 0, 5, 5]]))
    >>> round(counts["seg_sum"], 6), counts["ns"]  # IoU 3/6 + 2/5
    (0.9, 1)
    """
    true, pred = as_label_pair(true, pred)
    region = check_region(region, tuple(true.shape))
    if time_axis is None:
        if sum(length > 1 for length in true.shape) > 3:
            warn(
                f"{caller('ctc_metrics')}: the images have {true.ndim} axes and no time_axis: "
                "they are matched as one volume, each object through all frames one object. "
                "The challenge's frames are 2-D or 3-D: give time_axis for a time series.",
                RuntimeWarning,
            )
        frames = [(true, pred, region)]
    else:
        if not isinstance(time_axis, int | np.integer) or not -true.ndim <= time_axis < true.ndim:
            raise ValueError(
                f"time_axis must be an axis of the {true.ndim}-D images, got {time_axis!r}."
            )
        true_frames = np.moveaxis(true, time_axis, 0)
        pred_frames = np.moveaxis(pred, time_axis, 0)
        region_frames = (
            [None] * len(true_frames) if region is None else np.moveaxis(region, time_axis, 0)
        )
        frames = zip(true_frames, pred_frames, region_frames, strict=True)
    return ctc_sum(
        ctc_counts(overlap_table(true_frame, pred_frame, region=region_frame))
        for true_frame, pred_frame, region_frame in frames
    )


def ctc_sum(counts: Iterable[dict[str, float | int]]) -> dict[str, float | int]:
    """The :func:`ctc_counts` of several frames or images, summed key by key.

    Parameters
    ----------
    counts : iterable of dict
        ``seg_sum``, ``n_true``, ``n_pred``, ``fn``, ``fp`` and ``ns`` of each (at least one),
        and ``det_true`` of those that have it (see :func:`slice_counts`).

    Returns
    -------
    dict
        The same keys, each summed (``det_true`` when any has it, of the others their
        ``n_true``): :func:`ctc_values` of it is the SEG and DET of them all.

    Examples
    --------
    >>> one = {"seg_sum": 0.5, "n_true": 1, "n_pred": 1, "fn": 0, "fp": 0, "ns": 0}
    >>> two = {"seg_sum": 0.0, "n_true": 1, "n_pred": 0, "fn": 1, "fp": 0, "ns": 0}
    >>> ctc_sum([one, two])
    {'seg_sum': 0.5, 'n_true': 2, 'n_pred': 1, 'fn': 1, 'fp': 0, 'ns': 0}
    """
    counts = list(counts)
    summed = {key: sum(c[key] for c in counts) for key in ("seg_sum", *_COUNTS)}
    if any("det_true" in c for c in counts):
        summed["det_true"] = sum(c.get("det_true", c["n_true"]) for c in counts)
    return summed


def slice_counts(counts: dict[str, float | int]) -> dict[str, float | int]:
    """The counts of a 2-D slice of a 3-D frame (the Cell Tracking Challenge's
    ``man_seg_T_Z.tif``, scored on plane Z of the result): SEG's part only.

    The challenge scores SEG on such slices, each on its own (a true object is a 2-D region of
    the slice, matched by the result's region on that plane holding more than half of it),
    pooled with every other true object; its DET compares the tracking markers of whole
    volumes (``TRA/man_track*.tif``), never slices. So a slice adds to SEG (``seg_sum``,
    ``n_true``) and nothing to DET: ``fn``, ``fp``, ``ns`` and ``det_true`` (the true
    objects DET counts, AOGM-D0 = 10 det_true) are 0, and its own DET is NaN.

    Parameters
    ----------
    counts : dict
        The slice's :func:`ctc_counts` (on the plane).

    Returns
    -------
    dict
        The same keys, and ``det_true`` (0).

    Examples
    --------
    >>> plane = {"seg_sum": 0.5, "n_true": 1, "n_pred": 2, "fn": 0, "fp": 1, "ns": 0}
    >>> ctc_values(slice_counts(plane))["det"]
    nan
    """
    return {**counts, "fn": 0, "fp": 0, "ns": 0, "det_true": 0}


def ctc_of_table(table: OverlapTable) -> pd.Series:
    """:func:`ctc_metrics` of one frame from its overlap table (no pass over the pixels).

    Parameters
    ----------
    table : OverlapTable
        The overlap table of the frame (true ids first), with any region or ignored label
        already left out.

    Returns
    -------
    pandas.Series
        As :func:`ctc_metrics`: ``seg``, ``det``, ``n_true``, ``n_pred``, ``fn``, ``fp``, ``ns``.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 1, 1, 0, 2, 2]]), np.array([[5, 5, 5, 0, 0, 5, 5]]))
    >>> result = ctc_of_table(table)  # as ctc_metrics' example: one merge
    >>> int(result["ns"]), float(result["det"])
    (1, 0.75)
    """
    return _scores_series(ctc_counts(table))


def _scores_series(counts: dict[str, float | int]) -> pd.Series:
    """:func:`ctc_values` as :func:`ctc_metrics` returns them: a float64 Series, as a result's
    summary (:func:`~napari_seg_eval.core._results.numeric_summary`)."""
    return numeric_summary(pd.Series(ctc_values(counts), dtype=object))


def ctc_values(counts: dict[str, float | int]) -> dict[str, float | int]:
    """SEG, DET and the counts behind them, from counts summed over frames or images.

    Parameters
    ----------
    counts : dict
        As :func:`ctc_scores` takes them.

    Returns
    -------
    dict
        ``seg``, ``det``, ``n_true``, ``n_pred``, ``fn``, ``fp`` and ``ns`` (the counts as
        integers), the values of :func:`ctc_metrics`.

    Examples
    --------
    >>> ctc_values({"seg_sum": 1.5, "n_true": 2, "n_pred": 2, "fn": 0, "fp": 1, "ns": 0})
    {'seg': 0.75, 'det': 0.95, 'n_true': 2, 'n_pred': 2, 'fn': 0, 'fp': 1, 'ns': 0}
    """
    scores = ctc_scores(counts)
    return {"seg": scores["seg"], "det": scores["det"], **scores["counts"]}


def ctc_counts(table: OverlapTable) -> dict[str, float | int]:
    """The additive parts of SEG and DET in one frame, from its overlap table.

    Parameters
    ----------
    table : OverlapTable
        The overlap table of one frame (true ids first).

    Returns
    -------
    dict
        ``seg_sum`` (the summed IoU of the matches: Σ over true objects T matched by a P with
        |T ∩ P| > 0.5 |T| of IoU(T, P)), ``n_true``, ``n_pred``, ``fn``, ``fp`` and ``ns``
        (see :func:`ctc_metrics`). Summed over frames or images, :func:`ctc_scores` turns them
        into SEG and DET.

    Examples
    --------
    >>> table = overlap_table(np.array([[1, 1, 1, 1, 0, 2, 2]]), np.array([[5, 5, 5, 0, 0, 5, 5]]))
    >>> counts = ctc_counts(table)  # 5 holds 3/4 of 1 (IoU 3/6) and all of 2 (IoU 2/5)
    >>> round(counts["seg_sum"], 6), counts["ns"], counts["fn"], counts["fp"]
    (0.9, 1, 0, 0)
    """
    pairs = ObjectPairs.from_table(table)
    # |T ∩ P| > 0.5 |T|, compared exactly as integers.
    match = 2 * pairs.intersection > pairs.true_areas[pairs.true_index]
    matches_per_pred = np.bincount(pairs.pred_index[match], minlength=pairs.pred_ids.size)
    n_true = int(pairs.true_ids.size)
    n_matched = int(match.sum())
    return {
        "seg_sum": float(pairs.iou[match].sum()),
        "n_true": n_true,
        "n_pred": int(pairs.pred_ids.size),
        "fn": n_true - n_matched,
        "fp": int(np.count_nonzero(matches_per_pred == 0)),
        "ns": int((matches_per_pred[matches_per_pred > 1] - 1).sum()),
    }


def ctc_scores(counts: dict[str, float | int]) -> dict:
    """SEG and DET from counts summed over frames or images (as :func:`ctc_counts` gives).

    Parameters
    ----------
    counts : dict
        ``seg_sum``, ``n_true``, ``fn``, ``fp``, ``ns`` (and ``n_pred``), summed; and
        ``det_true``, the true objects DET counts, where slices are among them (see
        :func:`slice_counts`; default ``n_true``).

    Returns
    -------
    dict
        ``seg`` = seg_sum / n_true, ``det`` = 1 − min(AOGM-D, AOGM-D0) / AOGM-D0 with
        AOGM-D = 5 ns + 10 fn + fp and AOGM-D0 = 10 det_true (both NaN without true objects),
        ``aogm_d``, ``aogm_d0`` and ``counts`` (the integer counts).

    Examples
    --------
    >>> scores = ctc_scores({"seg_sum": 1.5, "n_true": 2, "n_pred": 2, "fn": 0, "fp": 1, "ns": 0})
    >>> scores["seg"], scores["det"]  # AOGM-D = 1, AOGM-D0 = 20
    (0.75, 0.95)
    """
    n_true = int(counts["n_true"])
    aogm_d = WEIGHT_NS * int(counts["ns"]) + WEIGHT_FN * int(counts["fn"])
    aogm_d += WEIGHT_FP * int(counts["fp"])
    aogm_d0 = WEIGHT_FN * int(counts.get("det_true", n_true))
    return {
        "seg": ratio(float(counts["seg_sum"]), n_true),
        "det": 1.0 - ratio(min(aogm_d, aogm_d0), aogm_d0),
        "aogm_d": aogm_d,
        "aogm_d0": aogm_d0,
        "counts": {key: int(counts[key]) for key in _COUNTS},
    }
