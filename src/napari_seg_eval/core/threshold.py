"""Probability maps to labels: semantic thresholding and instance labelling.

Conventions: a pixel is foreground when ``p > threshold`` (strict). With a class axis the label
is the class with the highest probability (first on ties), and background (0) where that
probability is not above the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage as ndi
from scipy import special
from skimage import measure, morphology, segmentation

from ._validate import check_probability_range, check_threshold, probability_array

#: Pixels per block: the range check and the comparison share one read of memory.
CHUNK_PIXELS = 1 << 20


def threshold_probabilities(
    prob: np.ndarray,
    threshold: float = 0.5,
    *,
    channel_axis: int | None = None,
    class_ids: Sequence[int] | None = None,
) -> np.ndarray:
    """Turn a probability map into a semantic label image.

    Without ``channel_axis``: 1 where ``prob > threshold``, else 0 (uint8). With
    ``channel_axis``: the argmax class over that axis, labelled ``class_ids[channel]``
    (default ``channel + 1``; pass ``range(n)`` when channel 0 is a background channel), and 0
    where the highest probability is not above ``threshold``. Raises on NaN, values outside
    [0, 1] (logits: see :func:`sigmoid`, :func:`softmax`), integer or boolean input.
    """
    prob = probability_array(prob)
    threshold = threshold_in_dtype(check_threshold(threshold), prob.dtype)
    if channel_axis is None:
        return _threshold_binary(prob, threshold)
    return _threshold_classes(prob, threshold, channel_axis, class_ids)


def threshold_in_dtype(threshold: float, dtype: np.dtype) -> np.floating:
    """The threshold as a value of ``dtype`` such that ``p > value`` in that dtype is exactly
    ``p > threshold`` for the real numbers: the largest ``dtype`` value not above it.

    (numpy would otherwise round 0.3 to float32's 0.30000001, so that float32 0.3 would not
    count as above 0.3, while its real value is.)
    """
    kind = np.dtype(dtype).type
    value = kind(threshold)
    if np.float64(value) > threshold:  # compared in float64: exact for float32 and float64
        value = np.nextafter(value, kind(-np.inf))
    return value


def _threshold_binary(prob: np.ndarray, threshold: float) -> np.ndarray:
    flat = prob.ravel()
    foreground = np.empty(flat.size, bool)
    for start in range(0, flat.size, CHUNK_PIXELS):
        block = flat[start : start + CHUNK_PIXELS]
        check_probability_range(block.min(), block.max())
        np.greater(block, threshold, out=foreground[start : start + CHUNK_PIXELS])
    return foreground.view(np.uint8).reshape(prob.shape)


def _threshold_classes(
    prob: np.ndarray, threshold: float, channel_axis: int, class_ids: Sequence[int] | None
) -> np.ndarray:
    if prob.ndim < 2 or not -prob.ndim <= channel_axis < prob.ndim:
        raise ValueError(
            f"channel_axis {channel_axis} does not fit {prob.ndim}-D data; a class axis needs "
            "at least one more axis of pixels."
        )
    channels_first = np.moveaxis(prob, channel_axis, 0)
    n_classes = channels_first.shape[0]
    ids = np.arange(1, n_classes + 1) if class_ids is None else np.asarray(class_ids)
    if ids.shape != (n_classes,) or not np.issubdtype(ids.dtype, np.integer) or (ids < 0).any():
        raise ValueError(
            f"class_ids must list one non-negative integer id per channel ({n_classes}), "
            f"got {class_ids!r}."
        )
    ids = ids.astype(np.min_scalar_type(ids.max()))
    labels = np.zeros(channels_first.shape[1:], ids.dtype)
    rows = max(1, CHUNK_PIXELS // max(1, int(np.prod(channels_first.shape[2:]))))
    for start in range(0, channels_first.shape[1], rows):
        block = channels_first[:, start : start + rows]
        check_probability_range(block.min(), block.max())
        best = block[0].copy()
        winner = np.zeros(best.shape, np.intp)
        for channel in range(1, n_classes):
            better = block[channel] > best  # strict: the first class wins ties
            winner[better] = channel
            np.maximum(best, block[channel], out=best)
        block_labels = ids[winner]
        block_labels[best <= threshold] = 0
        labels[start : start + rows] = block_labels
    return labels


def label_instances(
    mask: np.ndarray,
    *,
    connectivity: int | None = None,
    min_size: int = 0,
    split_touching: bool = False,
    split_depth: float = 2.0,
) -> np.ndarray:
    """Label the connected objects of a mask, with sequential ids in the smallest integer type.

    ``mask`` is boolean, or integer where each non-zero value is labelled on its own (so a
    semantic class image yields instances of each class). ``connectivity`` is the number of
    orthogonal hops that count as neighbours (1: faces only; default ``mask.ndim``: all
    neighbours, as ``skimage.measure.label``). ``min_size`` drops objects with fewer pixels.
    ``split_touching`` separates touching objects by a watershed of the distance transform,
    seeded at its maxima that rise at least ``split_depth`` pixels above the neck joining them
    to a higher maximum (two touching discs of radius r joined by a neck of half-width w are
    split when r - w >= split_depth).
    """
    mask = np.asarray(mask)
    if not (mask.dtype == bool or np.issubdtype(mask.dtype, np.integer)):
        raise TypeError(
            f"mask must be boolean or integer, got dtype {mask.dtype}. "
            "Threshold a probability map first with threshold_probabilities()."
        )
    if mask.ndim == 0 or mask.size == 0:
        raise ValueError(f"mask is empty (shape {mask.shape}).")
    if connectivity is not None and not 1 <= connectivity <= mask.ndim:
        raise ValueError(f"connectivity must be between 1 and {mask.ndim}, got {connectivity}.")
    if min_size < 0:
        raise ValueError(f"min_size must be >= 0, got {min_size}.")
    if split_depth <= 0:
        raise ValueError(f"split_depth must be > 0, got {split_depth}.")

    labels = measure.label(mask, background=0, connectivity=connectivity)
    if split_touching:
        labels = _split_touching(labels, connectivity or mask.ndim, split_depth)
    if min_size > 1:
        areas = np.bincount(labels.ravel())
        keep = areas >= min_size
        keep[0] = False
        labels = (np.cumsum(keep) * keep)[labels]
    n_objects = int(labels.max())
    return labels.astype(np.min_scalar_type(n_objects), copy=False)


def _split_touching(labels: np.ndarray, connectivity: int, depth: float) -> np.ndarray:
    """Watershed of the distance transform inside each object, one seed per deep maximum."""
    foreground = labels > 0
    distance = ndi.distance_transform_edt(foreground)
    footprint = ndi.generate_binary_structure(labels.ndim, connectivity)
    peaks = morphology.h_maxima(distance, depth, footprint=footprint) > 0
    markers = measure.label(peaks & foreground, connectivity=labels.ndim)
    split = segmentation.watershed(-distance, markers, mask=foreground, connectivity=connectivity)
    # Objects without a deep enough maximum (small or thin) keep their own component label.
    unseeded = foreground & (split == 0)
    if unseeded.any():
        split[unseeded] = labels[unseeded] + split.max()
    return measure.label(split, background=0, connectivity=connectivity)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Logistic function, for one-channel logits: probabilities in [0, 1]."""
    logits = np.asarray(logits)
    return special.expit(logits.astype(np.result_type(logits.dtype, np.float32)))


def softmax(logits: np.ndarray, axis: int = 0) -> np.ndarray:
    """Softmax over the class ``axis``, for multi-class logits: probabilities summing to 1."""
    logits = np.asarray(logits)
    return special.softmax(logits.astype(np.result_type(logits.dtype, np.float32)), axis=axis)
