"""`evaluate` without a threshold takes label images: a float image is refused, never binarized."""

from __future__ import annotations

import numpy as np
import pytest

import napari_seg_eval as nse


def _pair() -> tuple[np.ndarray, np.ndarray]:
    true = np.zeros((8, 8), np.uint16)
    true[2:6, 2:6] = 1  # 16 pixels of object 1, 48 of background
    prob = np.zeros((8, 8), np.float32)
    prob[2:6, 2:6] = 0.9
    prob[0, 0] = 0.3  # below 0.5: background at the default threshold, not above 0
    return true, prob


@pytest.mark.parametrize("kind", ["semantic", "instance", "both"])
def test_a_probability_map_without_a_threshold_is_refused_naming_threshold(kind):
    true, prob = _pair()
    # Before: kind="semantic" scored the map's non-zero pixels as foreground (pixel (0, 0)
    # too): mean IoU (47/48 + 16/17) / 2 = 0.96, silently.
    with pytest.raises(TypeError, match=r"float32 image.*give threshold= \(e\.g\. threshold=0\.5"):
        nse.evaluate(true, prob, kind=kind)


def test_a_map_with_a_class_axis_without_a_threshold_is_refused_naming_threshold():
    true, prob = _pair()
    # Before: "shape mismatch: ground truth (8, 8) vs prediction (2, 8, 8)", which hid the cause.
    # the map's options without a threshold are refused first (files159), naming it
    with pytest.raises(ValueError, match="give threshold="):
        nse.evaluate(true, np.stack([1 - prob, prob]), channel_axis=0, background_channel=True)
    with pytest.raises(TypeError, match="give threshold="):
        nse.evaluate(true, np.stack([1 - prob, prob]))


def test_a_float_truth_is_refused_for_pixel_metrics_too():
    true, _ = _pair()
    with pytest.raises(TypeError, match="ground truth must be an integer label image"):
        nse.evaluate(true.astype(np.float64), true, kind="semantic")


def test_with_the_threshold_the_map_is_scored_above_it():
    true, prob = _pair()
    record = nse.evaluate(true, prob, kind="semantic", threshold=0.5)
    # prob > 0.5 is exactly the true square: background IoU 48/48, object 16/16.
    assert record.semantic.summary["mean_iou"] == 1.0
    assert record.semantic.summary["pixel_accuracy"] == 1.0
