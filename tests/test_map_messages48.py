"""An integer label image chosen as a probability map, and the colour at the green band's edge.

1. The notice for an integer map gives the data's own range (not the dtype's) and, for a label
   image (small whole numbers), says so and how to use it as labels.
2. The confidence colormap as napari draws it (vispy's lookup texture) gives exactly the colours
   of ``map_confidence``; values within ±0.01 of the threshold are green, edges included.
"""

import dask.array as da
import numpy as np
import pytest
from napari.layers import Image

from napari_seg_eval._colormap import confidence_colormap
from napari_seg_eval._napari.probability import probability_data, probability_levels
from napari_seg_eval._qt.colorbar import ConfidenceColorBar
from napari_seg_eval.core.colormap import (
    DARK_BLUE,
    GREEN,
    LIGHT_BLUE,
    RED,
    YELLOW,
    map_confidence,
)

LABEL_IDS = np.array([[0, 0, 1, 1], [2, 3, 4, 5], [0, 5, 5, 0]], np.uint16)  # ids 0..5


# 1. The notice ------------------------------------------------------------------------------
def test_a_small_uint16_label_image_gets_its_real_range_and_the_label_hint():
    _, notice = probability_data(Image(LABEL_IDS, name="truth as image"))
    # Its values are 0..5 (LABEL_IDS), read as value / 65535 (uint16 maximum = 2**16 - 1):
    # at most 5 / 65535 = 0.0000763 -> "7.6e-05" to 2 significant digits.
    assert notice.startswith(
        "'truth as image' holds uint16 values 0..5: read as value / 65535, so at most 7.6e-05."
    )
    assert "0..65535" not in notice  # the dtype's range, not the data's
    assert "look like a label image" in notice
    assert '"Convert to Labels"' in notice and "Prediction or the Ground truth" in notice


def test_a_uint8_label_image_with_few_values_gets_the_label_hint():
    # 6 distinct values (0..5), all below half of 255: no pixel passes the default 0.5.
    _, notice = probability_data(Image(LABEL_IDS.astype(np.uint8), name="ids8"))
    # 5 / 255 = 0.0196 -> "0.02" to 2 significant digits.
    assert notice.startswith(
        "'ids8' holds uint8 values 0..5: read as value / 255, so at most 0.02."
    )
    assert '"Convert to Labels"' in notice


def test_a_real_uint8_map_gets_its_range_and_no_label_hint():
    ramp = np.arange(3, 251, dtype=np.uint8).reshape(8, 31)  # 248 values 3..250
    data, notice = probability_data(Image(ramp, name="p8"))
    assert notice == "'p8' holds uint8 values 3..250: read as value / 255"
    assert data[0, 0] == 3 / 255 and data[-1, -1] == 250 / 255


def test_a_lazy_map_is_not_read_for_its_range():
    lazy = Image(da.from_array(LABEL_IDS, chunks=2), name="lazy")
    data, notice = probability_data(lazy)
    assert isinstance(data, da.Array)  # still lazy
    assert notice == "'lazy' holds uint16 values: read as value / 65535"  # no range claimed


def test_a_lazy_pyramid_is_judged_by_its_smallest_level():
    level0 = da.from_array(np.repeat(np.repeat(LABEL_IDS, 2, 0), 2, 1), chunks=3)  # 6 x 8
    pyramid = Image([level0, LABEL_IDS], multiscale=True, name="pyramid")
    levels, notice = probability_levels(pyramid)
    assert [level.shape for level in levels] == [(6, 8), (3, 4)]
    assert notice.startswith("'pyramid' holds uint16 values 0..5 in its smallest level: ")
    assert '"Convert to Labels"' in notice


# 2. The colour at the band's edges ----------------------------------------------------------
STEPS = 1024  # vispy's colormap texture: 1024 texels over [0, 1] (vispy.color.colormap.LUT_len)


def between(start, end, fraction):
    return np.asarray(start) + fraction * (np.asarray(end) - np.asarray(start))


def expected_at_threshold_half():
    """Hand-made colours for values 0.48 .. 0.52 at threshold 0.5 (band ±0.01).

    The first green step is the step edge nearest to the middle of the 0.001 gap below the band,
    0.49 - 0.0005 = 0.4895: 0.4895 * 1024 = 501.248 -> step 501. The first yellow step is the
    one nearest to 0.51 + 0.0005 = 0.5105: 522.752 -> step 523. Blue runs from step 0 (dark)
    to step 500 (light); yellow from step 523 to red at step 1023.
    """
    return {
        # 0.48 * 1024 = 491.52 -> step 491, 491 / 500 of the way from dark to light blue
        0.48: between(DARK_BLUE, LIGHT_BLUE, 491 / 500),
        # 0.489 * 1024 = 500.736 -> step 500: the last blue step, light blue
        0.489: np.asarray(LIGHT_BLUE),
        0.49: np.asarray(GREEN),  # 501.76 -> step 501, the first green one
        0.4999: np.asarray(GREEN),
        0.5: np.asarray(GREEN),
        0.51: np.asarray(GREEN),  # 522.24 -> step 522, the last green one
        0.511: np.asarray(YELLOW),  # 523.264 -> step 523, the first yellow one
        # 0.52 * 1024 = 532.48 -> step 532, (532 - 523) / (1023 - 523) of the way to red
        0.52: between(YELLOW, RED, 9 / 500),
    }


def drawn(colormap, values):
    """The colours the GPU samples from vispy's lookup texture of ``colormap`` for ``values``
    (contrast limits 0..1), by OpenGL's sampling rules: texel i is centred on (i + 0.5) / N;
    linear filtering blends the two texels around ``t * N - 0.5``, nearest takes texel
    ``floor(t * N)``."""
    from napari.utils.colormaps.colormap_utils import _napari_cmap_to_vispy

    vispy = _napari_cmap_to_vispy(colormap)
    lut = vispy.texture_map_data[:, 0]
    assert lut.shape == (STEPS, 4)
    t = np.asarray(values, float)
    if vispy.interpolation == "linear":
        position = np.clip(t * STEPS - 0.5, 0, STEPS - 1)
        below = np.floor(position).astype(int)
        above = np.minimum(below + 1, STEPS - 1)
        fraction = (position - below)[:, None]
        return (1 - fraction) * lut[below] + fraction * lut[above]
    return lut[np.minimum(np.floor(t * STEPS).astype(int), STEPS - 1)]


def test_the_band_edges_as_napari_maps_and_draws_them():
    expected = expected_at_threshold_half()
    values = np.array(list(expected))
    want = np.array(list(expected.values()))
    colormap = confidence_colormap(0.5)
    np.testing.assert_allclose(map_confidence(values, 0.5), want, atol=1e-6)
    np.testing.assert_allclose(colormap.map(values), want, atol=1e-6)  # napari's Colormap
    np.testing.assert_allclose(drawn(colormap, values), want, atol=1e-6)  # the screen


@pytest.mark.parametrize("threshold", [0.503, 0.137, 0.9, 0.25])
def test_every_slider_value_is_drawn_as_map_confidence_says(threshold):
    """On the 0.001 grid: |v - threshold| <= 0.01 is green, 0.011 away is not, and the texture
    napari draws gives map_confidence's colour for every value."""
    grid = np.arange(1001) / 1000
    colormap = confidence_colormap(threshold)
    np.testing.assert_allclose(drawn(colormap, grid), map_confidence(grid, threshold), atol=1e-6)
    np.testing.assert_allclose(colormap.map(grid), map_confidence(grid, threshold), atol=1e-6)
    green = np.all(np.isclose(map_confidence(grid, threshold), GREEN), axis=1)
    distance = np.round(np.abs(grid - threshold), 6)
    assert green[distance <= 0.01].all() and not green[distance >= 0.011].any()


def test_the_colour_bar_shows_the_band_edges_as_the_layer(qtbot):
    bar = ConfidenceColorBar(0.5)
    qtbot.addWidget(bar)
    colours = bar.colors(1001)  # column k shows value k / 1000
    want = expected_at_threshold_half()
    for value in (0.48, 0.489, 0.49, 0.5, 0.51, 0.511, 0.52):
        column = round(value * 1000)
        np.testing.assert_array_equal(colours[column], np.round(want[value] * 255))


def test_the_screen_shows_the_band_edges(make_napari_viewer):
    """Rendered (the canvas is drawn only when shown, under pytest-xvfb): a ramp of the values,
    one block each, sampled in the middle of each block."""
    expected = expected_at_threshold_half()
    values = list(expected)
    ramp = np.repeat(np.array(values, np.float32), 10)[None].repeat(10, axis=0)
    viewer = make_napari_viewer(show=True)
    viewer.add_image(ramp, colormap=confidence_colormap(0.5), contrast_limits=(0, 1))
    viewer.reset_view()
    shot = viewer.screenshot(canvas_only=True, flash=False)[..., :3].astype(int)
    row = shot[shot.shape[0] // 2]
    inside = np.flatnonzero(np.abs(row - row[0]).sum(axis=1) > 0)  # the layer, not background
    left, width = inside[0], (inside[-1] + 1 - inside[0]) / len(values)
    for k, value in enumerate(values):
        pixel = row[int(left + (k + 0.5) * width)]
        want = np.round(expected[value][:3] * 255)
        assert np.abs(pixel - want).max() <= 2, (value, pixel, want)


def test_a_lazy_smallest_level_is_not_read_on_the_main_thread():
    """A lazy smallest level, however small, may be computed from every chunk of level 0
    (``level0[::2, ::2]``): the notice claims no range rather than read it."""

    class Counted(np.ndarray):
        reads = 0

        def __getitem__(self, key):
            Counted.reads += 1
            return np.asarray(super().__getitem__(key))

    stored = np.repeat(np.repeat(LABEL_IDS, 2, 0), 2, 1).view(Counted)
    level0 = da.from_array(stored, chunks=3, asarray=False)
    pyramid = Image([level0, level0[::2, ::2]], multiscale=True, name="pyramid")
    Counted.reads = 0
    _, notice = probability_levels(pyramid)
    assert Counted.reads == 0
    assert notice == "'pyramid' holds uint16 values: read as value / 65535"
