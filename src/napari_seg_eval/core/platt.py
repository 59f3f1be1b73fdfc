"""Platt scaling: a two-parameter logistic recalibration of probabilities, fitted on logits.

With z = logit(p) (p clipped to [1e-7, 1 - 1e-7], as for temperature scaling), the calibrated
probability is

    p' = 1 / (1 + exp(-(slope * z + intercept)))

so ``slope = 1, intercept = 0`` leaves a map unchanged, ``slope < 1`` softens an over-confident
map and ``intercept`` moves every logit up or down (a bias towards one class). Temperature
scaling is the special case ``slope = 1 / T, intercept = 0``.

Sign convention: Platt (1999) and scikit-learn's ``_sigmoid_calibration`` write
P(y = 1 | f) = 1 / (1 + exp(A f + B)). Ours is the same model with ``slope = -A`` and
``intercept = -B`` (and f = the logit of the probability), so a well-ranked map has a positive
slope.

The fit is Platt's: maximum likelihood with his smoothed targets t+ = (N+ + 1) / (N+ + 2) for
the N+ positive pixels and t- = 1 / (N- + 2) for the N- negative ones, which keeps the fit
finite when the classes are perfectly separated. It is computed from a histogram of the logits
(the 4,096-bin histogram the calibration pass already builds, see
:mod:`napari_seg_eval.core.confidence`), which is additive over blocks, chunks and images: a
slide bigger than memory is read once, chunk by chunk, and histograms of several images can be
summed and fitted together (:func:`logit_histogram`, :func:`fit_platt_histogram`).
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import special

from ._validate import check_probability_range, probability_array
from .blocks import is_lazy
from .confidence import EPS, _logit_histogram

#: Newton's method stops when half the Newton decrement of the mean log-loss is below this.
_TOLERANCE = 1e-14
_MAX_ITERATIONS = 100


def logit_histogram(
    true: np.ndarray,
    prob: np.ndarray,
    *,
    class_id: int | None = None,
    channel_axis: int | None = None,
    background_channel: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Negative and positive pixels per logit bin, from one pass over the map.

    The logits ``logit(p)`` (p clipped to [1e-7, 1 - 1e-7], so |logit| <= 16.1) are rounded to
    the nearest of 4,096 equally spaced bin centres, the histogram the calibration and the
    temperature fit use. The counts are additive: histograms of several images can be summed
    and fitted together with :func:`fit_platt_histogram`.

    Parameters
    ----------
    true : ndarray of int or bool
        Ground truth: a label image (positive where ``true > 0``, or ``true == class_id``).
    prob : ndarray of float
        Probabilities in [0, 1], the shape of ``true`` (plus a class axis with
        ``channel_axis``); numpy or chunked (dask, zarr), read chunk by chunk.
    class_id : int, optional
        Count for one class. With ``channel_axis`` it must be in 1..n: channel k holds the
        probability of class k + 1 (0..n-1 with ``background_channel``).
    channel_axis : int, optional
        The class axis of a multi-class ``prob``; ``class_id`` chooses the channel.
    background_channel : bool, optional
        With ``channel_axis``: channel 0 is the background, so channel k holds class k (as
        :func:`~napari_seg_eval.core.confidence.calibration`'s). Default False.

    Returns
    -------
    negatives, positives : ndarray of int
        Pixels per bin, 4,096 each.
    centres : ndarray of float
        The logit at each bin centre, increasing.

    Raises
    ------
    ValueError, TypeError
        For bad arguments (checked before the data is read), NaN or probabilities outside
        [0, 1], and the old ``(prob, true)`` order.

    Examples
    --------
    >>> import numpy as np
    >>> negatives, positives, centres = logit_histogram(np.array([0, 1, 1]), np.full(3, 0.5))
    >>> int(negatives.sum()), int(positives.sum()), centres.size
    (1, 2, 4096)
    """
    return _logit_histogram(
        true, prob, "logit_histogram", class_id, channel_axis, background_channel
    )


def fit_platt_histogram(
    negatives: np.ndarray, positives: np.ndarray, centres: np.ndarray
) -> tuple[float, float]:
    """Platt's slope and intercept from counts of negative and positive pixels per logit.

    Minimises the log-loss of ``sigmoid(slope * z + intercept)`` against Platt's smoothed
    targets, t+ = (N+ + 1) / (N+ + 2) for positives and t- = 1 / (N- + 2) for negatives, where
    every pixel counted in a bin has the logit z of its centre. The loss is strictly convex
    when two or more bins hold pixels; it is minimised by Newton's method with a backtracking
    line search, from Platt's start (slope 0, intercept log((N+ + 1) / (N- + 1))). When all
    pixels share one logit the map ranks nothing: the fit is slope 0 and the intercept of the
    smoothed fraction of positives (one of the equally likely answers, the one that ignores
    the map).

    Parameters
    ----------
    negatives, positives : array_like
        Pixels (or weights) per bin: finite, >= 0, one value per centre.
    centres : array_like
        The logit of each bin: finite numbers.

    Returns
    -------
    slope, intercept : float
        Calibrated p' = 1 / (1 + exp(-(slope * z + intercept))) for logit z.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of one length, hold NaN, infinity or negative counts, or
        if there are no positive or no negative pixels (Platt scaling needs both).

    Examples
    --------
    Two logits, -1 (3 negatives, 1 positive) and 2 (1 negative, 3 positives). The targets are
    5/6 and 1/6, so the smoothed fractions of positives are 1/3 and 2/3, which two parameters
    fit exactly: slope = (logit(2/3) - logit(1/3)) / 3 = 2 ln 2 / 3 and intercept =
    logit(1/3) + slope = -ln 2 / 3.

    >>> slope, intercept = fit_platt_histogram([3, 1], [1, 3], [-1.0, 2.0])
    >>> round(slope, 6), round(intercept, 6)
    (0.462098, -0.231049)
    """
    negatives, positives, centres = _check_histogram(negatives, positives, centres)
    n_negative, n_positive = negatives.sum(), positives.sum()
    if n_negative == 0 or n_positive == 0:
        side = "background (0)" if n_negative == 0 else "foreground (> 0)"
        raise ValueError(
            f"Platt scaling needs both positive and negative pixels; found {n_positive:.15g} "
            f"positive and {n_negative:.15g} negative (the ground truth has no {side} pixel)."
        )
    target_positive = (n_positive + 1) / (n_positive + 2)
    target_negative = 1 / (n_negative + 2)
    occupied = (negatives + positives) > 0
    z = centres[occupied]
    total = n_negative + n_positive
    # per bin, the (normalised) weight of target 1 and of target 0
    weight_one = (positives * target_positive + negatives * target_negative)[occupied] / total
    weight_zero = (positives + negatives)[occupied] / total - weight_one
    if np.ptp(z) == 0:
        return 0.0, float(np.log(weight_one.sum()) - np.log(weight_zero.sum()))
    start = np.array([0.0, np.log((n_positive + 1) / (n_negative + 1))])
    slope, intercept = _newton(z, weight_one, weight_zero, start)
    return float(slope), float(intercept)


def _check_histogram(
    negatives: np.ndarray, positives: np.ndarray, centres: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three arrays as float64, or a ValueError naming the problem."""
    arrays = [np.asarray(a, dtype=np.float64) for a in (negatives, positives, centres)]
    names = ("negatives", "positives", "centres")
    for array, name in zip(arrays, names, strict=True):
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"{name} must be a 1-D array with one value per bin, got {array.shape}."
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinity.")
    if not arrays[0].shape == arrays[1].shape == arrays[2].shape:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays, strict=True))
        raise ValueError(f"one count of each class per bin centre is needed; got {shapes}.")
    if (arrays[0] < 0).any() or (arrays[1] < 0).any():
        raise ValueError("negatives and positives are pixel counts: they must be >= 0.")
    return arrays[0], arrays[1], arrays[2]


def _newton(
    z: np.ndarray, weight_one: np.ndarray, weight_zero: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """(slope, intercept) minimising Σ w1 softplus(-u) + w0 softplus(u), u = slope z + intercept."""
    design = np.stack([z, np.ones_like(z)])
    weight = weight_one + weight_zero

    def loss(theta: np.ndarray) -> float:
        u = theta @ design
        return float(weight_one @ np.logaddexp(0, -u) + weight_zero @ np.logaddexp(0, u))

    theta, current = start, loss(start)
    for _ in range(_MAX_ITERATIONS):
        u = theta @ design
        gradient = design @ (weight * special.expit(u) - weight_one)
        curvature = weight * special.expit(u) * special.expit(-u)
        hessian = (design * curvature) @ design.T
        step = np.linalg.solve(hessian, gradient)
        decrement = float(gradient @ step)
        if decrement / 2 <= _TOLERANCE:
            return theta - step
        fraction = 1.0  # backtracking (Armijo) line search
        while True:
            candidate = theta - fraction * step
            value = loss(candidate)
            if value <= current - 1e-4 * fraction * decrement or fraction < 1e-10:
                break
            fraction /= 2
        theta, current = candidate, value
    raise RuntimeError(f"Platt scaling did not converge in {_MAX_ITERATIONS} Newton steps.")


def fit_platt(
    true: np.ndarray,
    prob: np.ndarray,
    *,
    class_id: int | None = None,
    channel_axis: int | None = None,
    background_channel: bool = False,
) -> tuple[float, float]:
    """Platt scaling: the slope and intercept of the best logistic map of the logits.

    Fits p' = 1 / (1 + exp(-(slope * logit(p) + intercept))) by maximum likelihood with
    Platt's smoothed targets (see :func:`fit_platt_histogram`), on the 4,096-bin histogram of
    the logits (|logit| <= 16.1 after clipping p to 1e-7), read in one pass, chunk by chunk
    for chunked data. Scikit-learn's sigmoid calibration fits the same model with A = -slope,
    B = -intercept. To fit on some images and score on others, fit here on the first ones
    (sum their :func:`logit_histogram` counts and use :func:`fit_platt_histogram`), then
    apply :func:`apply_platt` to the others and measure them with
    :func:`~napari_seg_eval.core.confidence.calibration`.

    Parameters
    ----------
    true : ndarray of int or bool
        Ground truth: a label image (positive where ``true > 0``, or ``true == class_id``).
    prob : ndarray of float
        Probabilities in [0, 1], the shape of ``true`` (plus a class axis with
        ``channel_axis``).
    class_id : int, optional
        Fit for one class. With ``channel_axis`` it must be in 1..n: channel k holds the
        probability of class k + 1 (0..n-1 with ``background_channel``).
    channel_axis : int, optional
        The class axis of a multi-class ``prob``; ``class_id`` chooses the channel.
    background_channel : bool, optional
        With ``channel_axis``: channel 0 is the background, so channel k holds class k (as
        :func:`~napari_seg_eval.core.confidence.calibration`'s). Default False.

    Returns
    -------
    slope, intercept : float
        For :func:`apply_platt`.

    Raises
    ------
    ValueError, TypeError
        For bad arguments (checked before the data is read), NaN or probabilities outside
        [0, 1], a ground truth that is all one class, and the old ``(prob, true)`` order.

    Examples
    --------
    A map that says 90 % where it is right 70 % of the time (and 10 % for 30 %). With 10
    pixels of each class Platt's targets are 11/12 and 1/12, which pull 0.7 and 0.3 towards
    1/2, to 2/3 and 1/3:

    >>> import numpy as np
    >>> from napari_seg_eval import apply_platt, fit_platt
    >>> true = np.array([1] * 7 + [0] * 3 + [1] * 3 + [0] * 7)
    >>> prob = np.array([0.9] * 10 + [0.1] * 10)
    >>> slope, intercept = fit_platt(true, prob)
    >>> apply_platt(np.array([0.9, 0.1]), slope, intercept).round(2).tolist()
    [0.67, 0.33]
    """
    histogram = _logit_histogram(
        true, prob, "fit_platt", class_id, channel_axis, background_channel
    )
    return fit_platt_histogram(*histogram)


def apply_platt(prob: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """sigmoid(slope * logit(p) + intercept), in the dtype of ``prob`` (p clipped to 1e-7).

    Parameters
    ----------
    prob : ndarray of float
        Probabilities in [0, 1]; a chunked (dask, zarr) map gives a lazy result, checked and
        computed chunk by chunk.
    slope, intercept : float
        Finite numbers, as :func:`fit_platt` returns them.

    Returns
    -------
    ndarray
        The calibrated probabilities, the shape and dtype of ``prob`` (float32 stays float32).

    Raises
    ------
    ValueError
        If ``slope`` or ``intercept`` is not finite, or ``prob`` holds NaN or values outside
        [0, 1] (for chunked data, when the chunk is computed).
    TypeError
        If ``prob`` is not floating point or a parameter is not a real number.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import apply_platt
    >>> calibrated = apply_platt(np.array([0.5, 0.9], np.float32), 1.0, 0.0)  # unchanged
    >>> print(calibrated, calibrated.dtype)
    [0.5 0.9] float32
    >>> apply_platt(np.array([0.5]), 0.5, np.log(3)).round(6).tolist()  # logit 0 -> ln 3
    [0.75]
    """
    prob = probability_array(prob)
    slope = _check_parameter(slope, "slope")
    intercept = _check_parameter(intercept, "intercept")
    if is_lazy(prob):
        return prob.map_blocks(_apply_platt, slope, intercept, dtype=prob.dtype)
    return _apply_platt(prob, slope, intercept)


def _check_parameter(value: object, name: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return float(value)


def _apply_platt(prob: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """:func:`platt_values` of a block, range-checked first (a chunk of a lazy map as it is
    computed)."""
    check_probability_range(prob.min(), prob.max(), values=prob)
    return platt_values(prob, slope, intercept)


def platt_values(prob: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """sigmoid(slope * logit(p) + intercept) of probabilities already range-checked (p clipped
    to 1e-7), in the dtype of ``prob``: the values of :func:`apply_platt`, with no check.

    Parameters
    ----------
    prob : numpy.ndarray of float
        Probabilities in [0, 1] (not checked).
    slope, intercept : float
        Platt's parameters.

    Returns
    -------
    numpy.ndarray
        The calibrated probabilities, the shape and dtype of ``prob``.

    Examples
    --------
    >>> platt_values(np.array([0.5]), 0.5, np.log(3)).round(6).tolist()
    [0.75]
    """
    logit = special.logit(np.clip(prob.astype(np.float64), EPS, 1 - EPS))
    return special.expit(slope * logit + intercept).astype(prob.dtype)
