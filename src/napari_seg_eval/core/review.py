"""Annotation review: which objects went wrong, where they are, and how sure the model was.

Everything is computed per pixel block with ``np.bincount`` (area, centroid, mean confidence)
or with a lookup table from id to status (error maps): never a loop over objects or a
full-frame mask per object.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validate import as_label_image, as_label_pair, check_non_negative
from .instance import REVIEW_THRESHOLD, InstanceResult, instance_metrics

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
    """Maps label ids to small consecutive codes for ``np.bincount``."""

    def __init__(self, labels: np.ndarray):
        lowest, highest = int(labels.min()), int(labels.max())
        self.lowest = lowest
        self.span = highest - lowest + 1
        # A range of ids as wide as the image is still cheap to count directly.
        self.ids = None if self.span <= max(labels.size, 1 << 20) else np.unique(labels)

    @property
    def size(self) -> int:
        return self.span if self.ids is None else self.ids.size

    def codes(self, block: np.ndarray) -> np.ndarray:
        if self.ids is None:
            return (block - self.lowest).astype(np.intp, copy=False).ravel()
        return np.searchsorted(self.ids, block).ravel()

    def labels(self, codes: np.ndarray) -> np.ndarray:
        return codes + self.lowest if self.ids is None else self.ids[codes]


def object_measurements(labels: np.ndarray, probability: np.ndarray | None = None) -> pd.DataFrame:
    """Area, centroid (pixel coordinates, one column per axis) and mean probability of every
    non-zero label, from the runs of equal labels along the last axis.

    Columns: ``label, area, centroid_0 .. centroid_{ndim-1}`` and, with ``probability`` (an
    array of the same shape), ``mean_confidence``.
    """
    labels = as_label_image(labels, "labels")
    if probability is not None:
        probability = np.asarray(probability)
        if probability.shape != labels.shape:
            raise ValueError(
                f"shape mismatch: labels {labels.shape} vs probability {probability.shape}"
            )
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
    ids = index.labels(np.flatnonzero(present)) if index is not None else np.zeros(0, np.int64)
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
    """Every true and predicted object with its status at ``iou_threshold``, where it is, and
    (with ``probability``) the model's mean confidence inside it.

    Columns: kind ('true'/'pred'), label, area, partner, iou, status (TP/FN/FP),
    centroid_0.., mean_confidence. Pass ``result`` (from :func:`instance_metrics` on the same
    images) to reuse its matching.
    """
    true, pred = as_label_pair(true, pred)
    if result is None:
        result = instance_metrics(true, pred, thresholds=[iou_threshold], ignore_label=ignore_label)
    return join_measurements(
        result.objects_at(iou_threshold), measure_both(true, pred, probability)
    )


def measure_both(
    true: np.ndarray, pred: np.ndarray, probability: np.ndarray | None = None
) -> pd.DataFrame:
    """:func:`object_measurements` of both images, with a ``kind`` column ('true'/'pred')."""
    return pd.concat(
        [
            object_measurements(true, probability).assign(kind="true"),
            object_measurements(pred, probability).assign(kind="pred"),
        ],
        ignore_index=True,
    )


def join_measurements(objects: pd.DataFrame, measurements: pd.DataFrame) -> pd.DataFrame:
    """Per-object status rows (``objects_at``) joined with their measurements."""
    return objects.merge(
        measurements.drop(columns="area"), on=["kind", "label"], how="left", validate="one_to_one"
    )


def error_map(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    iou_threshold: float = REVIEW_THRESHOLD,
    ignore_label: int | None = None,
    result: InstanceResult | None = None,
) -> np.ndarray:
    """A uint8 image: 1 on matched predicted objects (TP), 2 on false predicted objects (FP), 3
    on missed true objects (FN), 0 elsewhere. Where they overlap, FN wins over FP over TP."""
    true, pred = as_label_pair(true, pred)
    if result is None:
        result = instance_metrics(true, pred, thresholds=[iou_threshold], ignore_label=ignore_label)
    objects = result.objects_at(iou_threshold)
    value = objects["status"].map({"TP": TP, "FP": FP, "FN": FN}).to_numpy(np.uint8)
    is_true = (objects["kind"] == "true").to_numpy()
    true_value = np.where(value[is_true] == FN, FN, 0).astype(np.uint8)
    return np.maximum(
        _paint(true, objects["label"].to_numpy()[is_true], true_value),
        _paint(pred, objects["label"].to_numpy()[~is_true], value[~is_true]),
    )


def semantic_error_map(true: np.ndarray, pred: np.ndarray, class_id: int = 1) -> np.ndarray:
    """A uint8 image for one class: 2 where it is predicted but not true (FP pixels), 3 where
    it is true but not predicted (FN pixels), 0 elsewhere (same values as :func:`error_map`)."""
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
    if index.ids is None:
        lookup[ids - index.lowest] = values
    else:
        lookup[np.searchsorted(index.ids, ids)] = values
    flat = np.ascontiguousarray(labels).ravel()
    out = np.empty(flat.size, np.uint8)
    for start in range(0, flat.size, _BLOCK_PIXELS):  # small temporaries, in cache
        out[start : start + _BLOCK_PIXELS] = lookup[
            index.codes(flat[start : start + _BLOCK_PIXELS])
        ]
    return out.reshape(labels.shape)
