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
from .instance import REVIEW_THRESHOLD, InstanceResult, instance_metrics, threshold_fraction
from .overlap import id_dtype

#: Values of :func:`error_map`. FN wins over FP, and both over TP, where objects overlap.
TP, FP, FN = 1, 2, 3
#: Colour-blind-safe colours for them (Okabe-Ito blue, vermillion, yellow), RGBA in 0..1.
ERROR_COLORS = {
    TP: (0.0, 0.447, 0.698, 1.0),
    FP: (0.835, 0.369, 0.0, 1.0),
    FN: (0.941, 0.894, 0.259, 1.0),
}
ERROR_NAMES = {TP: "TP (matched)", FP: "FP (false object)", FN: "FN (missed object)"}

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
    """Area, centroid and mean probability of every non-zero label.

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
        (pixel coordinates) and, with ``probability``, ``mean_confidence``.

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
        partner), ``status`` (TP/FN/FP), ``centroid_0..`` and, with ``probability``,
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
    >>> table[["kind", "label", "status"]].values.tolist()
    [['true', 1, 'TP'], ['true', 2, 'FN'], ['pred', 3, 'TP']]
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
        result.objects_at(iou_threshold), _measure_both(true, pred, probability)
    )


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
) -> np.ndarray:
    """An image of matched, false and missed objects at one IoU threshold.

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

    Returns
    -------
    numpy.ndarray
        ``uint8``, the shape of the images: ``TP`` (1) on matched predicted objects, ``FP`` (2)
        on false predicted objects, ``FN`` (3) on missed true objects, 0 elsewhere. Where they
        overlap, FN wins over FP over TP.

    Examples
    --------
    >>> error_map(np.array([[1, 1, 0, 2]]), np.array([[3, 3, 4, 0]])).tolist()
    [[1, 1, 2, 3]]
    """
    threshold_fraction(iou_threshold)  # validates before any work
    ignore_label = check_ignore_label(ignore_label)
    true, pred = as_label_pair(true, pred)
    if result is None:
        result = instance_metrics(
            true, pred, iou_thresholds=[iou_threshold], ignore_label=ignore_label
        )
    objects = result.objects_at(iou_threshold)
    value = objects["status"].map({"TP": TP, "FP": FP, "FN": FN}).to_numpy(np.uint8)
    is_true = (objects["kind"] == "true").to_numpy()
    true_value = np.where(value[is_true] == FN, FN, 0).astype(np.uint8)
    return np.maximum(
        _paint(true, objects["label"].to_numpy()[is_true], true_value),
        _paint(pred, objects["label"].to_numpy()[~is_true], value[~is_true]),
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
