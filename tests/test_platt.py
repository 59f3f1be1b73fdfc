"""Platt scaling (core/platt.py), checked against fits computed here from first principles."""

import math

import dask.array as da
import numpy as np
import pytest
from scipy import optimize, special

from napari_seg_eval.core import confidence
from napari_seg_eval.core.platt import (
    apply_platt,
    fit_platt,
    fit_platt_histogram,
    logit_histogram,
)

#: The histogram rounds every logit to the nearest bin centre: it moves a logit by at most half
#: a bin width, 16.1 / 4095 = 0.0039.
HALF_BIN = confidence._LOGIT_RANGE / (confidence._LOGIT_BINS - 1)
CENTRES = np.linspace(-confidence._LOGIT_RANGE, confidence._LOGIT_RANGE, confidence._LOGIT_BINS)


def reference_fit(logits: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Platt's fit on the raw pixel logits: scipy's BFGS on the mean log-loss against the
    smoothed targets t+ = (N+ + 1) / (N+ + 2), t- = 1 / (N- + 2). No histogram, no Newton."""
    logits, truth = logits.ravel().astype(np.float64), truth.ravel().astype(bool)
    n_positive, n_negative = truth.sum(), (~truth).sum()
    target = np.where(truth, (n_positive + 1) / (n_positive + 2), 1 / (n_negative + 2))

    def loss(theta):
        u = theta[0] * logits + theta[1]
        value = np.mean(target * np.logaddexp(0, -u) + (1 - target) * np.logaddexp(0, u))
        residual = special.expit(u) - target
        return value, np.array([np.mean(residual * logits), np.mean(residual)])

    found = optimize.minimize(loss, [0.0, 0.0], jac=True, method="BFGS", options={"gtol": 1e-9})
    assert np.abs(loss(found.x)[1]).max() < 1e-8  # a true minimum of the smooth convex loss
    return found.x


def standard_errors(logits: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """Standard errors of (slope, intercept): the inverse Fisher information of the logistic
    model at the fit, sqrt(diag((X' W X)^-1)) with W = p (1 - p)."""
    logits = logits.ravel()
    p = special.expit(slope * logits + intercept)
    design = np.stack([logits, np.ones_like(logits)])
    information = (design * p * (1 - p)) @ design.T
    return np.sqrt(np.diag(np.linalg.inv(information)))


def logit(prob: np.ndarray) -> np.ndarray:
    return special.logit(np.clip(prob.astype(np.float64), confidence.EPS, 1 - confidence.EPS))


# ---- the fit from a histogram --------------------------------------------------------------


def test_two_logits_fit_exactly_by_hand():
    # logit -1: 3 negatives, 1 positive; logit 2: 1 negative, 3 positives. N+ = N- = 4, so the
    # targets are t+ = 5/6, t- = 1/6 and the smoothed fractions of positives per logit are
    # (1 * 5/6 + 3 * 1/6) / 4 = 1/3 and (3 * 5/6 + 1/6) / 4 = 2/3. Two parameters fit two
    # logits exactly: sigmoid(-slope + b) = 1/3, sigmoid(2 slope + b) = 2/3.
    slope, intercept = fit_platt_histogram([3, 1], [1, 3], [-1.0, 2.0])
    assert slope == pytest.approx(2 * math.log(2) / 3, abs=1e-10)
    assert intercept == pytest.approx(-math.log(2) / 3, abs=1e-10)


def test_separated_classes_give_a_finite_fit():
    # negatives all at logit -1, positives all at +1: without smoothing the slope would run to
    # infinity. With N+ = N- = 10, the targets 11/12 and 1/12 are met exactly:
    # sigmoid(slope) = 11/12 -> slope = ln 11, intercept 0.
    slope, intercept = fit_platt_histogram([10, 0], [0, 10], [-1.0, 1.0])
    assert slope == pytest.approx(math.log(11), abs=1e-10)
    assert intercept == pytest.approx(0.0, abs=1e-10)


def test_empty_bins_and_weights_do_not_matter():
    slope, intercept = fit_platt_histogram([3, 0, 1, 0], [1, 0, 3, 0], [-1.0, 0.5, 2.0, 9.0])
    assert (slope, intercept) == pytest.approx((2 * math.log(2) / 3, -math.log(2) / 3))


def test_one_logit_gives_the_smoothed_base_rate():
    # every pixel has the same logit: the map ranks nothing. Slope 0, and the intercept of the
    # smoothed fraction of positives, (3 * 4/5 + 1 * 1/3) / 4 = 41/60.
    slope, intercept = fit_platt_histogram([0, 1], [0, 3], [0.0, 2.0])
    assert slope == 0.0
    assert intercept == pytest.approx(math.log(41 / 19))


@pytest.mark.parametrize(
    "arguments, message",
    [
        (([1, 2], [1, 2], [0.0]), "one count of each class per bin centre"),
        (([1, -2], [1, 2], [0.0, 1.0]), "must be >= 0"),
        (([1, np.nan], [1, 2], [0.0, 1.0]), "negatives contains NaN"),
        (([1, 2], [1, 2], [0.0, np.inf]), "centres contains NaN or infinity"),
        (([[1, 2]], [1, 2], [0.0, 1.0]), "negatives must be a 1-D array"),
        (([1, 2], [0, 0], [0.0, 1.0]), "found 0 positive and 3 negative"),
        (([0, 0], [4, 1], [0.0, 1.0]), "found 5 positive and 0 negative"),
    ],
)
def test_bad_histograms_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        fit_platt_histogram(*arguments)


# ---- fit_platt on maps, against the reference on raw logits ---------------------------------


def test_logits_on_bin_centres_agree_with_the_reference_exactly():
    # probabilities whose logits are bin centres: the histogram loses nothing, so the fit
    # equals the reference up to the optimisers' precision
    rng = np.random.default_rng(0)
    centre = CENTRES[rng.integers(1800, 2300, (40, 50))]  # logits in about -2.3..3.9
    prob = special.expit(centre)
    truth = rng.random(prob.shape) < special.expit(0.7 * centre - 0.4)
    negatives, positives, _ = logit_histogram(truth, prob)
    assert (
        np.flatnonzero(negatives + positives) == np.unique(np.searchsorted(CENTRES, centre))
    ).all()
    expected = reference_fit(logit(prob), truth)
    assert fit_platt(truth, prob) == pytest.approx(tuple(expected), abs=1e-6)


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_random_map_agrees_with_the_reference_within_the_bin_width(scale):
    # Logits anywhere: the histogram moves each by at most HALF_BIN. Moving every logit by
    # HALF_BIN (the worst, systematic case) would move the intercept by slope * HALF_BIN and
    # leave the slope; the rounding errors here are not systematic, so the fits agree far
    # better (about 1e-4 on 4,096 pixels), and HALF_BIN (0.0039) is a safe tolerance.
    rng = np.random.default_rng(3)
    z = rng.normal(0.3, 1.5, (64, 64))
    truth = rng.random(z.shape) < special.expit(z)
    prob = special.expit(scale * z)
    expected = reference_fit(logit(prob), truth)
    assert fit_platt(truth, prob) == pytest.approx(tuple(expected), abs=HALF_BIN)


def _sample(rng, size=200_000):
    z = rng.normal(0.0, 1.5, size)
    return z, rng.random(size) < special.expit(z)  # truth drawn from sigmoid(z): calibrated


def test_a_calibrated_map_gives_slope_one_and_intercept_zero():
    # Truth drawn with probability p: the true parameters are (1, 0). The estimate is within a
    # few standard errors of them (about 0.005 here; the target smoothing moves it by O(1/N)).
    z, truth = _sample(np.random.default_rng(1))
    prob = special.expit(z)
    slope, intercept = fit_platt(truth, prob)
    error = standard_errors(logit(prob), slope, intercept)
    assert abs(slope - 1) < 5 * error[0] and error[0] < 0.01
    assert abs(intercept) < 5 * error[1] and error[1] < 0.01


def test_an_over_confident_map_gives_slope_one_third():
    # logits multiplied by 3 (over-confident): logit(p) = 3 z, so sigmoid(z) = sigmoid(slope *
    # logit(p)) at slope = 1/3, intercept 0
    z, truth = _sample(np.random.default_rng(2))
    prob = special.expit(3 * z)
    slope, intercept = fit_platt(truth, prob)
    error = standard_errors(logit(prob), slope, intercept)
    assert abs(slope - 1 / 3) < 5 * error[0] and error[0] < 0.005
    assert abs(intercept) < 5 * error[1]
    # and the calibrated map is calibrated: a second fit on it finds nothing left to correct
    again = fit_platt(truth, apply_platt(prob, slope, intercept))
    assert again == pytest.approx((1.0, 0.0), abs=0.01)
    before = confidence.calibration(truth, prob).summary["ece"]
    after = confidence.calibration(truth, apply_platt(prob, slope, intercept)).summary["ece"]
    assert after < before / 5


def test_a_biased_map_gives_its_intercept():
    # every logit lowered by 1: the fit adds it back (slope 1, intercept 1)
    z, truth = _sample(np.random.default_rng(4))
    slope, intercept = fit_platt(truth, special.expit(z - 1))
    error = standard_errors(z - 1, slope, intercept)
    assert abs(slope - 1) < 5 * error[0] and abs(intercept - 1) < 5 * error[1]


def test_class_of_a_multi_class_map():
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 3, (30, 30))
    prob = rng.dirichlet([1, 1, 1], (30, 30)).transpose(2, 0, 1)  # class axis first
    # channel k holds class k + 1: class 2 is channel 1
    assert fit_platt(truth, prob, class_id=2, channel_axis=0) == fit_platt(truth == 2, prob[1])
    assert fit_platt(truth, prob[0], class_id=1) == fit_platt(truth == 1, prob[0])


def test_chunked_maps_give_the_same_fit_as_in_memory():
    rng = np.random.default_rng(6)
    z = rng.normal(0, 2, (90, 70))
    truth = rng.random(z.shape) < special.expit(z)
    prob = special.expit(2 * z).astype(np.float32)
    lazy_prob = da.from_array(prob, chunks=(32, 25))
    lazy_truth = da.from_array(truth, chunks=(40, 30))
    assert fit_platt(lazy_truth, lazy_prob) == fit_platt(truth, prob)
    # the histograms of two halves add up to the histogram of the whole
    halves = [logit_histogram(truth[:45], prob[:45]), logit_histogram(truth[45:], prob[45:])]
    whole = logit_histogram(truth, prob)
    assert (halves[0][0] + halves[1][0] == whole[0]).all()
    assert (halves[0][1] + halves[1][1] == whole[1]).all()


def test_fit_on_some_images_and_score_on_others():
    # the docs' recipe: sum the logit histograms of the fitting images, fit, and measure the
    # calibrated held-out image. The maps say logit 3 z - 1 where the truth is drawn from
    # sigmoid(z): the true parameters are slope 1/3, intercept 1/3.
    rng = np.random.default_rng(7)
    images = []
    for _ in range(4):
        z = rng.normal(0.0, 1.5, (64, 64))
        images.append((rng.random(z.shape) < special.expit(z), special.expit(3 * z - 1)))
    histograms = [logit_histogram(truth, prob) for truth, prob in images[:3]]
    negatives = sum(histogram[0] for histogram in histograms)
    positives = sum(histogram[1] for histogram in histograms)
    slope, intercept = fit_platt_histogram(negatives, positives, histograms[0][2])
    side_by_side = fit_platt(
        np.concatenate([truth for truth, _ in images[:3]]),
        np.concatenate([prob for _, prob in images[:3]]),
    )
    assert (slope, intercept) == side_by_side
    fitted_logits = np.concatenate([logit(prob) for _, prob in images[:3]])
    error = standard_errors(fitted_logits, slope, intercept)
    assert abs(slope - 1 / 3) < 5 * error[0] and abs(intercept - 1 / 3) < 5 * error[1]
    held_out_truth, held_out_prob = images[3]
    before = confidence.calibration(held_out_truth, held_out_prob).summary["ece"]
    calibrated = apply_platt(held_out_prob, slope, intercept)
    after = confidence.calibration(held_out_truth, calibrated).summary["ece"]
    assert after < before / 3


# ---- apply_platt ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_apply_platt_by_hand(dtype):
    prob = np.array([0.0, 0.2, 0.5, 0.8, 1.0], dtype)
    out = apply_platt(prob, 2.0, -1.0)
    z = np.array(
        [-special.logit(1 - 1e-7), -math.log(4), 0.0, math.log(4), special.logit(1 - 1e-7)]
    )
    expected = 1 / (1 + np.exp(-(2.0 * z - 1.0)))  # sigmoid(2 z - 1), 0 and 1 clipped to 1e-7
    assert out.dtype == dtype and out.shape == prob.shape
    assert out == pytest.approx(expected, rel=1e-6 if dtype == np.float32 else 1e-12)
    assert apply_platt(prob, 1.0, 0.0) == pytest.approx(np.clip(prob, 1e-7, 1 - 1e-7), rel=1e-6)


def test_apply_platt_keeps_lazy_maps_lazy():
    prob = da.from_array(np.linspace(0, 1, 100, dtype=np.float32).reshape(10, 10), chunks=5)
    out = apply_platt(prob, 0.5, 0.25)
    assert isinstance(out, da.Array) and out.dtype == np.float32
    assert (out.compute() == apply_platt(prob.compute(), 0.5, 0.25)).all()


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ((np.array([0.5, np.nan]), 1.0, 0.0), ValueError, "contain NaN"),
        ((np.array([0.5, 1.5]), 1.0, 0.0), ValueError, r"must lie in \[0, 1\]"),
        ((np.array([0.5]), np.inf, 0.0), ValueError, "slope must be finite"),
        ((np.array([0.5]), 1.0, np.nan), ValueError, "intercept must be finite"),
        ((np.array([0.5]), "1", 0.0), TypeError, "slope must be a real number"),
        ((np.array([0.5]), 1.0, True), TypeError, "intercept must be a real number"),
        ((np.array([1, 0]), 1.0, 0.0), TypeError, "must be floating point"),
    ],
)
def test_apply_platt_refuses_bad_input(arguments, error, message):
    with pytest.raises(error, match=message):
        apply_platt(*arguments)


# ---- bad input to fit_platt -----------------------------------------------------------------

TRUE = np.array([[0, 0, 1, 1, 0, 1]])
PROB = np.array([[0.1, 0.4, 0.35, 0.8, 0.5, 0.9]])


def test_old_argument_order_is_refused():
    with pytest.raises(TypeError, match=r"fit_platt\(true, prob\).*comes first since version 0\.2"):
        fit_platt(PROB, TRUE)  # the 0.1 order (prob, true)


@pytest.mark.parametrize(
    "true, prob, message",
    [
        (TRUE, np.where(PROB > 0.5, np.nan, PROB), "contain NaN"),
        (TRUE, PROB * 2, r"must lie in \[0, 1\]"),
        (np.zeros_like(TRUE), PROB, r"found 0 positive and 6 negative.*no foreground \(> 0\)"),
        (np.ones_like(TRUE), PROB, r"found 6 positive and 0 negative.*no background \(0\) pixel"),
        # two classes but no 0 (a new user's check: "all one class" misled there)
        (np.where(PROB > 0.5, 2, 1), PROB, r"no background \(0\) pixel"),
        (TRUE[:, :4], PROB, "shape mismatch"),
    ],
)
def test_bad_maps_are_refused(true, prob, message):
    with pytest.raises(ValueError, match=message):
        fit_platt(true, prob)


def _unreadable(block):
    raise AssertionError("the data was read before the arguments were checked")


@pytest.mark.parametrize(
    "keywords, error, message",
    [
        ({"channel_axis": 5, "class_id": 1}, ValueError, "does not fit"),
        ({"channel_axis": 0, "class_id": 4}, ValueError, r"class_id must be in 1\.\.3"),
        ({"channel_axis": 0}, ValueError, r"class_id must be in 1\.\.3"),
        ({"class_id": 1.5}, TypeError, "class_id must be an integer"),
    ],
)
def test_arguments_are_checked_before_the_data_is_read(keywords, error, message):
    prob = da.zeros((3, 8, 8), chunks=4).map_blocks(_unreadable, dtype=np.float64)
    truth = da.zeros((8, 8), dtype=np.uint8, chunks=4).map_blocks(_unreadable, dtype=np.uint8)
    with pytest.raises(error, match=message):
        fit_platt(truth, prob if "channel_axis" in keywords else prob[0], **keywords)
