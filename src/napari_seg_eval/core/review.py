"""Annotation review: which objects went wrong, where they are, and how sure the model was.

Everything is computed per pixel block with ``np.bincount`` (area, centroid, mean confidence)
or with a lookup table from id to status (error maps): never a loop over objects or a
full-frame mask per object.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import (
    as_label_image,
    as_label_pair,
    check_ignore_label,
    check_non_negative,
    check_probability_range,
    probability_array,
)
from .instance import (
    REVIEW_THRESHOLD,
    InstanceResult,
    ObjectPairs,
    instance_metrics,
    threshold_fraction,
)
from .overlap import id_dtype

#: Values of :func:`error_map`. FN wins over FP, and both over TP, where objects overlap.
TP, FP, FN = 1, 2, 3

#: Error kinds of true objects, in order of precedence (see :func:`add_error_kinds`).
TRUE_KINDS = ("matched", "merged", "split", "poor overlap", "missed")
#: Error kinds of predicted objects, in order of precedence.
PRED_KINDS = ("matched", "merge", "fragment", "poor overlap", "spurious")
#: Values of :func:`error_map` with ``by="kind"``: (side, kind) -> value. A matched object is
#: 1 on either side; the other kinds have one value per side.
KIND_VALUES = {
    ("true", "matched"): 1,
    ("pred", "matched"): 1,
    ("true", "missed"): 2,
    ("pred", "spurious"): 3,
    ("true", "merged"): 4,
    ("pred", "merge"): 5,
    ("true", "split"): 6,
    ("pred", "fragment"): 7,
    ("true", "poor overlap"): 8,
    ("pred", "poor overlap"): 9,
}
#: What the error layer shows by kind: (legend name, RGBA in 0..1, the KIND_VALUES painted).
#: Six colours of Paul Tol's colour-blind-safe "muted" scheme, leaving out its indigo, cyan,
#: green and sand, which lie near the confidence colormap's blue, light blue, green and yellow.
#: A true-side kind and its predicted-side counterpart share a colour.
KIND_COLORS = (
    ("matched", (0.867, 0.867, 0.867, 1.0), (1,)),  # pale grey #DDDDDD
    ("missed", (0.8, 0.4, 0.467, 1.0), (2,)),  # rose #CC6677
    ("spurious", (0.267, 0.667, 0.6, 1.0), (3,)),  # teal #44AA99
    ("merged / merge", (0.667, 0.267, 0.6, 1.0), (4, 5)),  # purple #AA4499
    ("split / fragment", (0.6, 0.6, 0.2, 1.0), (6, 7)),  # olive #999933
    ("poor overlap", (0.533, 0.133, 0.333, 1.0), (8, 9)),  # wine #882255
)

_BLOCK_PIXELS = 1 << 20


class _IdIndex:
    """Maps label ids to small consecutive codes for ``np.bincount``.

    Arithmetic stays in the labels' own dtype (``lowest`` is a NumPy scalar of it), so ids of
    ``uint64`` images at and above 2**63 are exact.
    """

    def __init__(self, labels: np.ndarray):
        self.dtype = labels.dtype
        self.lowest = labels.min()
        self.span = int(labels.max()) - int(self.lowest) + 1
        # A range of ids as wide as the image is still cheap to count directly.
        self.ids = None if self.span <= max(labels.size, 1 << 20) else np.unique(labels)

    @property
    def size(self) -> int:
        return self.span if self.ids is None else self.ids.size

    def codes(self, block: np.ndarray) -> np.ndarray:
        """The code of each id in ``block`` (ids present in the labels, in any integer dtype:
        they are cast to the labels' dtype, exactly since they occur in the labels)."""
        block = block.astype(self.dtype, copy=False)
        if self.ids is None:
            return (block - self.lowest).astype(np.intp, copy=False).ravel()
        return np.searchsorted(self.ids, block).ravel()

    def labels(self, codes: np.ndarray) -> np.ndarray:
        if self.ids is None:
            return codes.astype(self.dtype) + self.lowest
        return self.ids[codes]


def _checked_probability(
    probability: np.ndarray | None, shape: tuple[int, ...]
) -> np.ndarray | None:
    """``probability`` as a float array of ``shape`` with values in [0, 1], or raise."""
    if probability is None:
        return None
    probability = probability_array(probability, "probability")
    if probability.shape != shape:
        raise ValueError(f"shape mismatch: labels {shape} vs probability {probability.shape}")
    # min and max propagate NaN: one check names NaN and out-of-range values alike.
    check_probability_range(probability.min(), probability.max(), "probability values")
    return probability


def object_measurements(labels: np.ndarray, probability: np.ndarray | None = None) -> pd.DataFrame:
    """Area, centroid, bounding box and mean probability of every non-zero label.

    Computed from the runs of equal labels along the last axis, with ``np.bincount``: no loop
    over objects and no mask per object.

    Parameters
    ----------
    labels : numpy.ndarray
        An integer (or boolean) label image, any number of dimensions; 0 is background. Ids
        are exact in any integer dtype (``uint64`` ids >= 2**63 included).
    probability : numpy.ndarray, optional
        Floating point probabilities in [0, 1], the same shape as ``labels``. NaN or values
        outside [0, 1] are refused before any work.

    Returns
    -------
    pandas.DataFrame
        One row per label, sorted by label: ``label, area, centroid_0 .. centroid_{ndim-1}``
        (pixel coordinates), the bounding box ``bbox_start_0 .., bbox_stop_0 ..`` (pixel
        indices, stop excluded, as slices) and, with ``probability``, ``mean_confidence``.

    Raises
    ------
    TypeError, ValueError
        For labels that are not an integer label image, negative ids, or probabilities that
        are not floats of the same shape in [0, 1].

    Examples
    --------
    >>> labels = np.array([[0, 5, 5], [0, 5, 0]])
    >>> prob = np.array([[0.0, 0.9, 0.6], [0.0, 0.3, 0.0]])
    >>> row = object_measurements(labels, prob).iloc[0]
    >>> int(row["label"]), int(row["area"]), float(row["centroid_1"])
    (5, 3, 1.3333333333333333)
    >>> int(row["bbox_start_1"]), int(row["bbox_stop_1"])  # columns 1 and 2
    (1, 3)
    """
    labels = as_label_image(labels, "labels")
    return _measurements(labels, _checked_probability(probability, labels.shape))


def _measurements(labels: np.ndarray, probability: np.ndarray | None) -> pd.DataFrame:
    """:func:`object_measurements` of checked inputs."""
    flat = np.ascontiguousarray(labels).ravel()
    width = labels.shape[-1]
    changes = np.empty(flat.size, bool)  # changes[i]: a run starts at pixel i
    changes[0] = True
    np.not_equal(flat[1:], flat[:-1], out=changes[1:])
    changes[::width] = True  # runs never cross to the next row
    starts = np.flatnonzero(changes)
    del changes
    run_labels = flat[starts]
    check_non_negative(run_labels, "labels")
    lengths = np.diff(starts, append=flat.size)
    sums_of_probability = (
        np.add.reduceat(np.ascontiguousarray(probability).ravel(), starts, dtype=np.float64)
        if probability is not None
        else None
    )
    objects = run_labels != 0
    run_labels, starts, lengths = run_labels[objects], starts[objects], lengths[objects]
    index = _IdIndex(run_labels) if run_labels.size else None
    codes = index.codes(run_labels) if index is not None else np.zeros(0, np.intp)
    n_codes = index.size if index is not None else 0

    def total(weights=None):
        return np.bincount(codes, weights=weights, minlength=n_codes)

    area = total(lengths)
    present = area > 0
    area = area[present]
    ids = index.labels(np.flatnonzero(present)) if index is not None else np.zeros(0, labels.dtype)
    table = {"label": ids, "area": area.astype(np.int64)}
    first = np.unravel_index(starts, labels.shape)
    for axis in range(labels.ndim):
        if axis == labels.ndim - 1:  # columns c0 .. c0 + L - 1 along the run
            coordinate_sum = lengths * first[axis] + lengths * (lengths - 1) / 2
        else:
            coordinate_sum = lengths * first[axis]
        table[f"centroid_{axis}"] = total(coordinate_sum.astype(np.float64))[present] / area
    for axis in range(labels.ndim):  # bounding boxes: the runs' extremes, per object
        start = first[axis].astype(np.int64)
        stop = start + (lengths if axis == labels.ndim - 1 else 1)
        low = np.full(n_codes, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(low, codes, start)
        high = np.zeros(n_codes, np.int64)
        np.maximum.at(high, codes, stop)
        table[f"bbox_start_{axis}"] = low[present]
        table[f"bbox_stop_{axis}"] = high[present]
    if sums_of_probability is not None:
        table["mean_confidence"] = total(sums_of_probability[objects])[present] / area
    return pd.DataFrame(table)


def review_objects(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    iou_threshold: float = REVIEW_THRESHOLD,
    probability: np.ndarray | None = None,
    ignore_label: int | None = None,
    result: InstanceResult | None = None,
) -> pd.DataFrame:
    """Every true and predicted object: its status at one IoU threshold, where it is, and how
    sure the model was inside it.

    Parameters
    ----------
    true, pred : numpy.ndarray
        Integer (or boolean) instance label images of equal shape, ground truth first; 0 is
        background.
    iou_threshold : float
        The one IoU threshold at which objects are matched, in (0, 1].
    probability : numpy.ndarray, optional
        Floating point probabilities in [0, 1] of the same shape; adds ``mean_confidence``.
        NaN or values outside [0, 1] are refused before any work.
    ignore_label : int, optional
        Pixels where ``true == ignore_label`` are left out of the matching.
    result : InstanceResult, optional
        The result of :func:`instance_metrics` on the same images and ``ignore_label``, to
        reuse its matching instead of computing it again.

    Returns
    -------
    pandas.DataFrame
        One row per object: ``kind`` ('true'/'pred'), ``label``, ``area``, ``partner`` (the
        matched object, else the one with the highest IoU, 0 if none), ``iou`` (with the
        partner), ``status`` (TP/FN/FP), ``error`` (the error kind, see
        :func:`add_error_kinds`), ``centroid_0..`` and, with ``probability``,
        ``mean_confidence``.

    Raises
    ------
    TypeError, ValueError
        For bad images, probabilities, ``iou_threshold`` or ``ignore_label``.

    Examples
    --------
    >>> true = np.array([[1, 1, 1, 0, 2]])
    >>> pred = np.array([[3, 3, 0, 0, 0]])
    >>> table = review_objects(true, pred)  # true 1 and pred 3: IoU 2/3
    >>> table[["kind", "label", "status", "error"]].values.tolist()
    [['true', 1, 'TP', 'matched'], ['true', 2, 'FN', 'missed'], ['pred', 3, 'TP', 'matched']]
    """
    threshold_fraction(iou_threshold)  # validates before any work
    ignore_label = check_ignore_label(ignore_label)
    true, pred = as_label_pair(true, pred)
    probability = _checked_probability(probability, true.shape)
    if result is None:
        result = instance_metrics(
            true, pred, iou_thresholds=[iou_threshold], ignore_label=ignore_label
        )
    return join_measurements(
        add_error_kinds(result.objects_at(iou_threshold), result),
        _measure_both(true, pred, probability),
    )


def add_error_kinds(objects: pd.DataFrame, result: InstanceResult) -> pd.DataFrame:
    """Per-object rows with the ``error`` column: what kind of error each object is.

    Computed from the overlap table already in ``result`` (no pass over pixels), with the
    matching of the rows' own ``status`` column. With ``|T ∩ P|`` the pixels shared by a true
    object T and a prediction P, and "more than half" strict (exactly half is not more):

    - a matched object (``status`` TP) is ``matched``, whatever else holds;
    - an unmatched true object T is ``merged`` when some P holds more than half of T and more
      than half of another true object; else ``split`` when two or more predictions each have
      more than half of their own area inside T; else ``poor overlap`` when it overlaps any
      prediction; else ``missed``;
    - an unmatched prediction P is a ``merge`` when it holds more than half of each of two or
      more true objects; else a ``fragment`` when more than half of P lies inside a true object
      that also holds more than half of another prediction; else ``poor overlap`` when it
      overlaps any true object; else ``spurious``.

    Parameters
    ----------
    objects : pandas.DataFrame
        Rows of ``result.objects_at(iou_threshold)`` (``kind``, ``label``, ``status``; other
        columns, e.g. measurements, are kept), in any order.
    result : InstanceResult
        The instance result the rows come from.

    Returns
    -------
    pandas.DataFrame
        A copy of ``objects`` with ``error`` after ``status`` (replaced if present): one of
        :data:`TRUE_KINDS` for true objects, of :data:`PRED_KINDS` for predictions.

    Raises
    ------
    ValueError
        If a row's object is not an object of ``result``.

    Examples
    --------
    >>> true = np.array([[1, 1, 0, 2, 2]])
    >>> pred = np.array([[5, 5, 5, 5, 0]])  # pred 5 holds all of true 1 and half of true 2
    >>> result = instance_metrics(true, pred, iou_thresholds=[0.5])
    >>> add_error_kinds(result.objects_at(0.5), result)["error"].tolist()
    ['matched', 'poor overlap', 'matched']
    """
    pairs = result.pairs
    is_true = (objects["kind"] == "true").to_numpy()
    labels = objects["label"].to_numpy()
    matched = (objects["status"] == "TP").to_numpy()
    true_at = _positions(pairs.true_ids, labels[is_true])
    pred_at = _positions(pairs.pred_ids, labels[~is_true])
    true_matched = np.zeros(pairs.true_ids.size, bool)
    true_matched[true_at[matched[is_true]]] = True
    pred_matched = np.zeros(pairs.pred_ids.size, bool)
    pred_matched[pred_at[matched[~is_true]]] = True
    true_code, pred_code = _kind_codes(pairs, true_matched, pred_matched)
    error = np.empty(len(objects), dtype=object)
    error[is_true] = np.asarray(TRUE_KINDS, dtype=object)[true_code[true_at]]
    error[~is_true] = np.asarray(PRED_KINDS, dtype=object)[pred_code[pred_at]]
    out = objects.drop(columns="error", errors="ignore")
    out.insert(list(out.columns).index("status") + 1, "error", error.astype(str))
    return out


def _positions(ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The position of each of ``labels`` in the sorted ``ids``; raise if one is missing."""
    if labels.size == 0:
        return np.zeros(0, np.intp)
    if ids.size == 0:
        raise ValueError("the objects are not those of the result: it has no objects")
    # Labels of the result's own objects fit its id dtype exactly (ids >= 2**63 included).
    found = labels.astype(ids.dtype) if labels.dtype.kind in "iu" else labels
    at = np.minimum(np.searchsorted(ids, found), ids.size - 1)
    if not np.array_equal(ids[at], found):
        raise ValueError("the objects are not those of the result: some labels are not in it")
    return at


def _kind_codes(
    pairs: ObjectPairs, true_matched: np.ndarray, pred_matched: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per true and per predicted object: its position in TRUE_KINDS / PRED_KINDS.

    Vectorised over the sparse pairs: one ``np.bincount`` per question.
    """
    n_true, n_pred = pairs.true_ids.size, pairs.pred_ids.size
    t, p = pairs.true_index, pairs.pred_index
    twice = 2 * pairs.intersection.astype(np.int64)
    holds_true = twice > pairs.true_areas[t]  # P holds more than half of T
    inside_true = twice > pairs.pred_areas[p]  # more than half of P lies inside T
    # At most one prediction holds more than half of a true object, and vice versa.
    n_held = np.bincount(p[holds_true], minlength=n_pred)  # per P: true objects it holds
    n_inside = np.bincount(t[inside_true], minlength=n_true)  # per T: predictions inside it
    merged = np.zeros(n_true, bool)
    merged[t[holds_true & (n_held[p] >= 2)]] = True
    fragment = np.zeros(n_pred, bool)
    fragment[p[inside_true & (n_inside[t] >= 2)]] = True
    true_touched = np.bincount(t, minlength=n_true) > 0
    pred_touched = np.bincount(p, minlength=n_pred) > 0
    true_code = np.select(
        [true_matched, merged, n_inside >= 2, true_touched], [0, 1, 2, 3], default=4
    )
    pred_code = np.select(
        [pred_matched, n_held >= 2, fragment, pred_touched], [0, 1, 2, 3], default=4
    )
    return true_code, pred_code


def measure_both(
    true: np.ndarray, pred: np.ndarray, probability: np.ndarray | None = None
) -> pd.DataFrame:
    """:func:`object_measurements` of both images, with a ``kind`` column.

    Parameters
    ----------
    true, pred : numpy.ndarray
        Integer (or boolean) label images of equal shape, ground truth first.
    probability : numpy.ndarray, optional
        Floating point probabilities in [0, 1] of the same shape (checked once).

    Returns
    -------
    pandas.DataFrame
        The measurements of ``true`` (``kind == 'true'``), then those of ``pred``
        (``kind == 'pred'``).

    Examples
    --------
    >>> table = measure_both(np.array([[1, 1, 0]]), np.array([[0, 2, 2]]))
    >>> table[["kind", "label", "area"]].values.tolist()
    [['true', 1, 2], ['pred', 2, 2]]
    """
    true, pred = as_label_pair(true, pred)
    return _measure_both(true, pred, _checked_probability(probability, true.shape))


def _measure_both(
    true: np.ndarray, pred: np.ndarray, probability: np.ndarray | None
) -> pd.DataFrame:
    """:func:`measure_both` of checked inputs."""
    # One label dtype for both: pandas would join int64 and uint64 labels as float64.
    dtype = id_dtype(true.dtype, pred.dtype)
    return pd.concat(
        [
            _measurements(labels, probability).astype({"label": dtype}).assign(kind=kind)
            for labels, kind in ((true, "true"), (pred, "pred"))
        ],
        ignore_index=True,
    )


def join_measurements(objects: pd.DataFrame, measurements: pd.DataFrame) -> pd.DataFrame:
    """Per-object status rows joined with their measurements.

    Parameters
    ----------
    objects : pandas.DataFrame
        Rows of :meth:`InstanceResult.objects_at` (``kind``, ``label``, ``area``, status...).
    measurements : pandas.DataFrame
        Rows of :func:`measure_both` of the same images.

    Returns
    -------
    pandas.DataFrame
        ``objects`` with the centroid (and ``mean_confidence``) columns of each object added.

    Examples
    --------
    >>> true, pred = np.array([[1, 1, 0]]), np.array([[0, 2, 2]])
    >>> objects = instance_metrics(true, pred, iou_thresholds=[0.5]).objects_at(0.5)
    >>> join_measurements(objects, measure_both(true, pred))["centroid_1"].tolist()
    [0.5, 1.5]
    """
    dtype = id_dtype(objects["label"].dtype, measurements["label"].dtype)
    return objects.astype({"label": dtype}).merge(
        measurements.drop(columns="area").astype({"label": dtype}),
        on=["kind", "label"],
        how="left",
        validate="one_to_one",
    )


def error_map(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    iou_threshold: float = REVIEW_THRESHOLD,
    ignore_label: int | None = None,
    result: InstanceResult | None = None,
    by: str = "status",
) -> np.ndarray:
    """An image of the objects' errors at one IoU threshold: by status or by error kind.

    Parameters
    ----------
    true, pred : numpy.ndarray
        Integer (or boolean) instance label images of equal shape, ground truth first.
    iou_threshold : float
        The one IoU threshold at which objects are matched, in (0, 1].
    ignore_label : int, optional
        Pixels where ``true == ignore_label`` are left out of the matching.
    result : InstanceResult, optional
        The result of :func:`instance_metrics` on the same images, to reuse its matching.
    by : {'status', 'kind'}
        ``'status'`` (the default): ``TP`` (1) on matched predicted objects, ``FP`` (2) on
        false predicted objects, ``FN`` (3) on missed true objects; where they overlap, FN wins
        over FP over TP. ``'kind'``: each object's error kind (:func:`add_error_kinds`) as
        :data:`KIND_VALUES`: 1 matched, 2 missed, 3 spurious, 4 merged (true), 5 merge
        (prediction), 6 split (true), 7 fragment (prediction), 8 poor overlap (true),
        9 poor overlap (prediction). Where objects overlap, an unmatched true object's kind
        wins, then an unmatched prediction's, then ``matched``.

    Returns
    -------
    numpy.ndarray
        ``uint8``, the shape of the images, 0 where there is no object.

    Raises
    ------
    TypeError, ValueError
        For bad images, ``iou_threshold``, ``ignore_label`` or ``by`` (before any work).

    Examples
    --------
    >>> error_map(np.array([[1, 1, 0, 2]]), np.array([[3, 3, 4, 0]])).tolist()
    [[1, 1, 2, 3]]
    >>> true = np.array([[1, 1, 0, 2, 2, 0, 0]])
    >>> pred = np.array([[5, 5, 5, 5, 5, 0, 8]])  # 5 merges 1 and 2; 8 is spurious
    >>> error_map(true, pred, by="kind").tolist()
    [[4, 4, 5, 4, 4, 0, 3]]
    """
    if by not in ("status", "kind"):
        raise ValueError(f"by must be 'status' or 'kind', not {by!r}")
    threshold_fraction(iou_threshold)  # validates before any work
    ignore_label = check_ignore_label(ignore_label)
    true, pred = as_label_pair(true, pred)
    if result is None:
        result = instance_metrics(
            true, pred, iou_thresholds=[iou_threshold], ignore_label=ignore_label
        )
    objects = result.objects_at(iou_threshold)
    is_true = (objects["kind"] == "true").to_numpy()
    labels = objects["label"].to_numpy()
    if by == "kind":
        error = add_error_kinds(objects, result)["error"]
        value = np.where(
            is_true,
            error.map({k: v for (side, k), v in KIND_VALUES.items() if side == "true"}),
            error.map({k: v for (side, k), v in KIND_VALUES.items() if side == "pred"}),
        ).astype(np.uint8)
        # Painted as ranks, so that one maximum applies the precedence: an unmatched true
        # object's kind (its value + 16) over an unmatched prediction's (its value) over
        # matched (1). ``decode`` turns ranks back into values.
        rank = np.where(is_true & (value > 1), value + 16, value).astype(np.uint8)
        decode = np.arange(32, dtype=np.uint8) % 16
        on_true = _paint(true, labels[is_true], rank[is_true])
        np.maximum(on_true, _paint(pred, labels[~is_true], rank[~is_true]), out=on_true)
        return decode[on_true]
    value = objects["status"].map({"TP": TP, "FP": FP, "FN": FN}).to_numpy(np.uint8)
    true_value = np.where(value[is_true] == FN, FN, 0).astype(np.uint8)
    return np.maximum(
        _paint(true, labels[is_true], true_value),
        _paint(pred, labels[~is_true], value[~is_true]),
    )


def semantic_error_map(true: np.ndarray, pred: np.ndarray, class_id: int = 1) -> np.ndarray:
    """An image of the false and missed pixels of one class.

    Parameters
    ----------
    true, pred : numpy.ndarray
        Integer (or boolean) class images of equal shape, ground truth first.
    class_id : int
        The class to show.

    Returns
    -------
    numpy.ndarray
        ``uint8``: ``FP`` (2) where the class is predicted but not true, ``FN`` (3) where it
        is true but not predicted, 0 elsewhere (the values of :func:`error_map`).

    Examples
    --------
    >>> semantic_error_map(np.array([[0, 1, 1, 2]]), np.array([[1, 1, 0, 2]]), 1).tolist()
    [[2, 0, 3, 0]]
    """
    true, pred = as_label_pair(true, pred)
    is_true, is_pred = true == class_id, pred == class_id
    out = np.zeros(true.shape, np.uint8)
    out[is_pred & ~is_true] = FP
    out[is_true & ~is_pred] = FN
    return out


def _paint(labels: np.ndarray, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values[i]`` on the pixels whose label is ``ids[i]``, 0 elsewhere: one lookup per pixel."""
    if ids.size == 0:
        return np.zeros(labels.shape, np.uint8)
    index = _IdIndex(labels)
    lookup = np.zeros(index.size, np.uint8)
    lookup[index.codes(ids)] = values
    flat = np.ascontiguousarray(labels).ravel()
    out = np.empty(flat.size, np.uint8)
    for start in range(0, flat.size, _BLOCK_PIXELS):  # small temporaries, in cache
        out[start : start + _BLOCK_PIXELS] = lookup[
            index.codes(flat[start : start + _BLOCK_PIXELS])
        ]
    return out.reshape(labels.shape)
