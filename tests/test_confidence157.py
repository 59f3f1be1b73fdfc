"""conf157: the confidence functions on a softmax whose channel 0 is background
(``background_channel=``), evaluate's warning when a map's channels look shifted against the
truth's classes (confidence functions and ``semantic_metrics``), the hint to give
``channel_axis`` on a shape mismatch, and ``map_confidence`` of a lazy array.

The numbers are computed by hand for the map below (channel 1 against ``true == 1``).
"""

from __future__ import annotations

import warnings

import dask.array as da
import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval.core.colormap import RED, map_confidence

# Six pixels, classes 0..2; channel 0 is background, channel k is class k.
TRUE = np.array([[0, 1, 1], [2, 0, 1]])
P1 = np.array([[0.1, 0.8, 0.4], [0.6, 0.2, 0.9]])  # channel 1: the probability of class 1
P0 = np.array([[0.7, 0.1, 0.3], [0.1, 0.7, 0.05]])  # background, high on the truth's 0
PROB = np.stack([P0, P1, 1.0 - P0 - P1])  # (3, 2, 3), channels first, each pixel sums to 1

# By hand, channel 1 against true == 1 (positives 0.9, 0.8, 0.4; negatives 0.6, 0.2, 0.1).
# AP: from the top, 0.9 and 0.8 are positives at precision 1 (recall 1/3 each), 0.6 a
# negative, 0.4 the last positive at precision 3/4: 1/3 + 1/3 + 1/3 * 3/4 = 11/12.
AP = 11 / 12
# ROC AUC: positive above negative in 3 + 3 + 2 of the 9 pairs.
ROC_AUC = 8 / 9
# Two bins [0, 0.5), [0.5, 1]: probabilities 0.1, 0.4, 0.2 (mean 7/30) with 1 positive of 3,
# and 0.8, 0.6, 0.9 (mean 23/30) with 2 of 3: both gaps 1/10, each bin half the pixels.
ECE = 0.1
# Brier: (0.1² + 0.2² + 0.6² + 0.6² + 0.2² + 0.1²) / 6.
BRIER = 0.82 / 6


def _no_warning(function, *args, **kwargs):
    """``function(*args, **kwargs)``, failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args, **kwargs)


def test_background_channel_sweep_is_channel_k_as_class_k_by_hand():
    sweep = _no_warning(
        nse.threshold_sweep,
        TRUE,
        PROB,
        steps=10,
        class_id=1,
        channel_axis=0,
        background_channel=True,
    )
    assert sweep.summary["average_precision"] == pytest.approx(AP, abs=1e-12)
    assert sweep.summary["roc_auc"] == pytest.approx(ROC_AUC, abs=1e-12)
    assert (sweep.summary["n_positive"], sweep.summary["n_negative"]) == (3, 3)
    plain = nse.threshold_sweep(TRUE, P1, steps=10, class_id=1)  # the map without its axis
    pd.testing.assert_frame_equal(sweep.per_threshold, plain.per_threshold)
    pd.testing.assert_series_equal(sweep.summary, plain.summary)


def test_background_channel_calibration_by_hand_with_the_class_axis_last():
    last = np.moveaxis(PROB, 0, -1)  # (2, 3, 3)
    result = _no_warning(
        nse.calibration, TRUE, last, n_bins=2, class_id=1, channel_axis=-1, background_channel=True
    )
    assert result.summary["ece"] == pytest.approx(ECE, abs=1e-12)
    assert result.summary["brier"] == pytest.approx(BRIER, abs=1e-12)
    plain = nse.calibration(TRUE, P1, n_bins=2, class_id=1)
    pd.testing.assert_frame_equal(result.bins, plain.bins)
    pd.testing.assert_series_equal(result.summary, plain.summary)


def test_background_channel_makes_class_0_analysable():
    result = nse.calibration(TRUE, PROB, class_id=0, channel_axis=0, background_channel=True)
    pd.testing.assert_series_equal(result.summary, nse.calibration(TRUE, P0, class_id=0).summary)
    # class 0 against true == 0: P0 is 0.7 on both truth-0 pixels, at most 0.3 elsewhere.
    sweep = nse.threshold_sweep(TRUE, PROB, class_id=0, channel_axis=0, background_channel=True)
    assert sweep.summary["average_precision"] == 1.0
    assert sweep.summary["roc_auc"] == 1.0


def test_background_channel_fit_temperature_is_the_channel_s():
    fitted = nse.fit_temperature(TRUE, PROB, class_id=2, channel_axis=0, background_channel=True)
    assert fitted == nse.fit_temperature(TRUE, PROB[2], class_id=2)


def test_background_channel_fit_platt_and_its_histogram_are_the_channel_s():
    """The warning of a shifted map names background_channel=True: fit_platt and
    logit_histogram take it (channel k is class k), as their map without the class axis."""
    from napari_seg_eval.core.platt import logit_histogram

    fitted = nse.fit_platt(TRUE, PROB, class_id=1, channel_axis=0, background_channel=True)
    assert fitted == nse.fit_platt(TRUE, PROB[1], class_id=1)
    counted = logit_histogram(TRUE, PROB, class_id=2, channel_axis=-3, background_channel=True)
    for got, expected in zip(counted, logit_histogram(TRUE, PROB[2], class_id=2), strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_background_channel_on_dask_equals_numpy(seed):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 4, (37, 29))
    logits = rng.normal(0.0, 1.0, (4, 37, 29))
    logits[true, np.arange(37)[:, None], np.arange(29)] += 2.0
    prob = np.exp(logits) / np.exp(logits).sum(axis=0)
    chunks = (
        int(rng.integers(1, 5)),
        int(rng.integers(3, 20)),
        int(rng.integers(3, 20)),
    )
    lazy = da.from_array(prob, chunks=chunks)
    lazy_true = da.from_array(true, chunks=(int(rng.integers(4, 37)), int(rng.integers(4, 29))))
    options = {"class_id": 2, "channel_axis": 0, "background_channel": True}
    eager = nse.threshold_sweep(true, prob, **options)
    chunked = _no_warning(nse.threshold_sweep, lazy_true, lazy, **options)
    pd.testing.assert_frame_equal(chunked.per_threshold, eager.per_threshold)
    pd.testing.assert_series_equal(chunked.summary, eager.summary)
    eager = nse.calibration(true, prob, method="temperature", **options).summary
    chunked = _no_warning(nse.calibration, lazy_true, lazy, method="temperature", **options)
    pd.testing.assert_series_equal(chunked.summary, eager, rtol=1e-12)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"class_id": 1, "background_channel": True}, ValueError, "give channel_axis"),
        (
            {"class_id": 3, "channel_axis": 0, "background_channel": True},
            ValueError,
            r"class_id must be in 0\.\.2",
        ),
        ({"class_id": 1, "channel_axis": 0, "background_channel": "yes"}, TypeError, "True or"),
    ],
)
def test_background_channel_bad_arguments(options, error, match):
    with pytest.raises(error, match=match):
        nse.threshold_sweep(TRUE, PROB, **options)
    with pytest.raises(error, match=match):
        nse.calibration(TRUE, PROB, **options)


def _softmax_with_background(lazy: bool = False):
    """A 4-channel softmax (background, then classes 1..3) of a truth of classes 0..3."""
    rng = np.random.default_rng(7)
    true = rng.integers(0, 4, (40, 40))
    logits = rng.normal(0.0, 1.0, (4, 40, 40))
    logits[true, np.arange(40)[:, None], np.arange(40)] += 3.0
    prob = np.exp(logits) / np.exp(logits).sum(axis=0)
    return true, (da.from_array(prob, chunks=(2, 16, 16)) if lazy else prob)


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(
    "function",
    [
        lambda true, prob, **kw: nse.threshold_sweep(true, prob, **kw),
        lambda true, prob, **kw: nse.calibration(true, prob, **kw),
        lambda true, prob, **kw: nse.fit_temperature(true, prob, **kw),
        lambda true, prob, **kw: nse.fit_platt(true, prob, **kw),
    ],
    ids=["threshold_sweep", "calibration", "fit_temperature", "fit_platt"],
)
def test_shifted_channels_get_evaluates_warning(function, lazy):
    true, prob = _softmax_with_background(lazy)
    with pytest.warns(UserWarning, match=r"classes 1\.\.4\), but the truth's classes run 0\.\.3"):
        function(true, prob, class_id=1, channel_axis=0)
    _no_warning(function, true, prob, class_id=1, channel_axis=0, background_channel=True)
    # A map without a background channel (classes 1..3) is not suspected: neither of a truth
    # of classes 1..3 (its top class 3 is the map's), nor of one lacking its top class (0..2
    # for 3 channels: the check is made and finds the pixels on the straight diagonal).
    classes = prob[1:] / prob[1:].sum(axis=0)
    _no_warning(function, np.where(true == 0, 1, true), classes, class_id=1, channel_axis=0)
    _no_warning(function, np.where(true == 3, 1, true), classes, class_id=1, channel_axis=0)


def test_trial_numbers_change_with_background_channel():
    """The trial's case: class 1 of a background-first softmax read as channel 0 (shifted)
    ranks the background, not class 1; read as channel 1 it ranks class 1."""
    true, prob = _softmax_with_background()
    with pytest.warns(UserWarning, match="background_channel=True"):
        shifted = nse.threshold_sweep(true, prob, class_id=1, channel_axis=0)
    right = nse.threshold_sweep(true, prob, class_id=1, channel_axis=0, background_channel=True)
    assert right.summary["roc_auc"] > 0.9 > 0.5 > shifted.summary["roc_auc"]
    pd.testing.assert_series_equal(
        right.summary, nse.threshold_sweep(true, prob[1], class_id=1).summary
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_map_confidence_of_a_lazy_array_is_lazy_and_equal(seed):
    rng = np.random.default_rng(seed)
    values = rng.random((23, 17))
    values[rng.random(values.shape) < 0.1] = np.nan
    values[0, 0], values[0, 1] = 1.0, 0.5
    chunks = (int(rng.integers(1, 23)), int(rng.integers(1, 17)))
    lazy = map_confidence(da.from_array(values, chunks=chunks), 0.3)
    assert isinstance(lazy, da.Array)
    assert lazy.shape == (23, 17, 4)
    assert lazy.chunks[:2] == da.from_array(values, chunks=chunks).chunks
    computed = lazy.compute()
    np.testing.assert_array_equal(computed, map_confidence(values, 0.3))
    assert computed[0, 0].tolist() == list(RED)


def test_shape_mismatch_says_which_axis_is_the_class_axis():
    true, prob = _softmax_with_background()
    with pytest.raises(ValueError, match=r"give channel_axis=0 where the map is thresholded"):
        nse.evaluate(true, prob, threshold=0.5)
    # the advice works when followed: a map needs its threshold too (review165)
    with pytest.raises(ValueError, match=r"evaluate\(\.\.\., threshold=0\.5, channel_axis=0\)"):
        nse.evaluate(true, (prob > 0.5).astype(np.uint8))
    with pytest.raises(ValueError, match=r"give channel_axis=2 and the class to analyse"):
        nse.threshold_sweep(true, np.moveaxis(prob, 0, -1))
    with pytest.raises(ValueError, match=r"class_id=1\.\.4 \(with background_channel=True"):
        nse.calibration(true, prob)
    # Ambiguous (any of three axes would do): no hint, the plain message.
    with pytest.raises(ValueError, match=r"vs probabilities \(5, 5, 5\)$"):
        nse.threshold_sweep(np.zeros((5, 5), int), np.zeros((5, 5, 5)))


def test_semantic_metrics_warns_of_classes_one_too_high():
    true, prob = _softmax_with_background()
    shifted = nse.threshold_probabilities(prob, channel_axis=0)
    with pytest.warns(
        UserWarning, match=r"pass class_ids=range\(4\), so that channel k is class k"
    ):
        nse.semantic_metrics(true, shifted)
    right = nse.threshold_probabilities(prob, channel_axis=0, class_ids=range(4))
    _no_warning(nse.semantic_metrics, true, right)
    # A prediction that is merely poor (classes on the diagonal, some wrong) is not suspected.
    poor = true.copy()
    poor[::3] = (poor[::3] + 1) % 4
    _no_warning(nse.semantic_metrics, true, poor)
    # Label images of objects (ids up to thousands) shifted by one are not a map's classes.
    objects = np.where(true > 0, true * 1000 + np.arange(true.size).reshape(true.shape), 0)
    _no_warning(nse.semantic_metrics, objects, np.where(objects > 0, objects + 1, 0))
    # ... nor are a few objects numbered one too high (a false object before them): their
    # background stays 0, where a map whose channel 0 is background makes it class 1
    few = np.zeros((12, 40), np.int32)
    for k in range(1, 10):
        few[4:8, 4 * k - 2 : 4 * k] = k
    more = np.where(few > 0, few + 1, 0)
    more[0, 0] = 1  # the false object, first in raster order
    _no_warning(nse.semantic_metrics, few, more)


def test_semantic_metrics_leaves_the_hint_to_a_caller_that_checks():
    from napari_seg_eval.core.semantic import classes_checked_by_caller

    true = np.array([[0, 1, 2, 2]])
    with classes_checked_by_caller():
        result = _no_warning(nse.semantic_metrics, true, true + 1)
    assert result.summary["pixel_accuracy"] == 0.0
    with pytest.warns(UserWarning, match="look one too high"):
        nse.semantic_metrics(true, true + 1)
