import numpy as np
import pytest

from napari_seg_eval.core.colormap import (
    DARK_BLUE,
    GREEN,
    LIGHT_BLUE,
    RED,
    YELLOW,
    confidence_colormap_data,
    map_confidence,
)


def is_blue(rgba):
    return rgba[2] > 0.3 and rgba[2] >= max(rgba[0], rgba[1])


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.8])
def test_colours_around_the_threshold(threshold):
    at = map_confidence([0.0, threshold - 0.02, threshold, threshold + 0.02, 1.0], threshold)
    np.testing.assert_allclose(at[0], DARK_BLUE)
    assert is_blue(at[1]) and np.allclose(at[1], LIGHT_BLUE, atol=0.05)
    np.testing.assert_allclose(at[2], GREEN)
    assert np.allclose(at[3], YELLOW, atol=0.05)
    np.testing.assert_allclose(at[4], RED)


def test_controls_are_valid_for_napari_at_the_edges():
    for threshold in (0.0, 0.005, 0.5, 0.995, 1.0):
        controls, colors = confidence_colormap_data(threshold)
        assert controls[0] == 0 and controls[-1] == 1
        assert np.all(np.diff(controls) >= 0) and colors.shape == (controls.size - 1, 4)
        np.testing.assert_allclose(map_confidence([threshold], threshold)[0], GREEN)
