"""Input checks shared by the core: clear errors before any work is done."""

from __future__ import annotations

import numpy as np


def as_label_image(data: object, name: str) -> np.ndarray:
    """Return ``data`` as an integer label array, or raise naming the problem.

    Booleans are accepted as a 0/1 image. Float data and empty arrays are refused: they almost
    always mean a probability map or the wrong layer was passed. Negative ids are refused by
    :func:`check_non_negative`, which the overlap pass runs on its run values.
    """
    array = np.asarray(data)
    if array.dtype == bool:
        return array.view(np.uint8)
    if not np.issubdtype(array.dtype, np.integer):
        hint = (
            " Threshold a probability map first (threshold_probabilities / label_instances)."
            if np.issubdtype(array.dtype, np.floating)
            else ""
        )
        raise TypeError(f"{name} must be an integer label image, got dtype {array.dtype}.{hint}")
    if array.ndim == 0 or array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); it needs at least one pixel.")
    return array


def check_non_negative(ids: np.ndarray, name: str) -> None:
    """Raise if any label id is negative. ``ids`` may be any array holding every id present
    (the overlap pass checks its run values, far fewer than the pixels)."""
    if np.issubdtype(ids.dtype, np.signedinteger) and ids.size:
        lowest = ids.min()
        if lowest < 0:
            raise ValueError(f"{name} has negative label ids (min {lowest}); ids must be >= 0.")


def as_label_pair(true: object, pred: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (ground truth, prediction) pair of label images of equal shape."""
    true_array = as_label_image(true, "ground truth")
    pred_array = as_label_image(pred, "prediction")
    if true_array.shape != pred_array.shape:
        raise ValueError(
            f"shape mismatch: ground truth {true_array.shape} vs prediction {pred_array.shape}; "
            "they must cover the same pixels."
        )
    return true_array, pred_array


def probability_array(data: object, name: str = "probabilities") -> np.ndarray:
    """Return ``data`` as a float array, or raise naming the problem.

    The value range is checked by the caller block by block (:func:`check_probability_range`),
    in the same read of memory as the work itself.
    """
    array = np.asarray(data)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{name} must be floating point values in [0, 1], got dtype {array.dtype}. "
            "Integer or boolean data is already a label image or a mask."
        )
    if array.ndim == 0 or array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}).")
    return array


def check_probability_range(lowest: float, highest: float, name: str = "probabilities") -> None:
    """Raise unless [lowest, highest] lies in [0, 1]; NaN in either (NaN data) is named."""
    if np.isnan(lowest) or np.isnan(highest):
        raise ValueError(f"{name} contain NaN; fill or mask them before thresholding.")
    if lowest < 0 or highest > 1:
        raise ValueError(
            f"{name} must lie in [0, 1], found values in [{lowest:.4g}, {highest:.4g}]. "
            "These look like logits or scores: convert them with napari_seg_eval.sigmoid "
            "(one channel) or napari_seg_eval.softmax (a class axis)."
        )


def check_threshold(threshold: float, name: str = "threshold") -> float:
    """A probability threshold must be a finite number in [0, 1]."""
    value = float(threshold)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {threshold!r}.")
    return value


def check_truth_first(true: object, prob: object, function: str) -> None:
    """Refuse the 0.1 argument order ``(prob, true)`` with a ``TypeError`` that says so.

    Since 0.2 the ground truth comes first in every comparison. A float array where the truth
    belongs together with integer or boolean data where the probabilities belong is that old
    order; anything else is left to the usual checks.
    """
    true_dtype = getattr(true, "dtype", None)
    prob_dtype = getattr(prob, "dtype", None)
    if true_dtype is None or prob_dtype is None:
        return
    if np.issubdtype(true_dtype, np.floating) and (
        np.issubdtype(prob_dtype, np.integer) or prob_dtype == bool
    ):
        raise TypeError(
            f"{function}(true, prob): the ground truth comes first since version 0.2 "
            f"(got float {true_dtype} data as the truth and {prob_dtype} data as the "
            f"probabilities). Swap the arguments: {function}(true, prob)."
        )
