"""The confidence colormap as plain data: control points in [0, 1] and RGBA colours.

Dark to light blue below the threshold, a narrow green band at the threshold, yellow to red
above it. Shown with contrast limits 0..1, the green band lands exactly on the threshold, so in
a smooth probability map it draws the iso-line where the labels' boundary will be.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_threshold

DARK_BLUE = (0.03, 0.07, 0.32, 1.0)
LIGHT_BLUE = (0.55, 0.80, 1.00, 1.0)
GREEN = (0.00, 0.85, 0.25, 1.0)
YELLOW = (1.00, 0.92, 0.00, 1.0)
RED = (0.85, 0.00, 0.00, 1.0)

#: Half-width of the green band around the threshold, in probability units.
BAND_HALF_WIDTH = 0.01
_EDGE = 1e-4  # width of the hard colour step at each band edge


def confidence_colormap_data(
    threshold: float = 0.5, band_half_width: float = BAND_HALF_WIDTH
) -> tuple[np.ndarray, np.ndarray]:
    """Control points (N,) and RGBA colours (N, 4) of the confidence colormap at ``threshold``.

    Values within ``band_half_width`` of the threshold are green; below the band, blue from
    dark (0) to light; above it, yellow to red (1). Linear interpolation between points.

    Parameters
    ----------
    threshold : float
        The probability threshold in [0, 1] that the green band marks.
    band_half_width : float
        Half-width of the green band, in probability units.

    Returns
    -------
    controls : numpy.ndarray
        Increasing control points from 0 to 1, shape (N,).
    colors : numpy.ndarray
        RGBA colours in [0, 1] at those points, shape (N, 4).

    Examples
    --------
    >>> controls, colors = confidence_colormap_data(0.5)
    >>> float(controls[0]), float(controls[-1])
    (0.0, 1.0)
    >>> colors[0].tolist() == list(DARK_BLUE), colors[-1].tolist() == list(RED)
    (True, True)
    """
    threshold = check_threshold(threshold)
    low = threshold - band_half_width
    high = threshold + band_half_width
    points = []
    if low > _EDGE:
        points += [(0.0, DARK_BLUE), (low, LIGHT_BLUE), (low + _EDGE, GREEN)]
    else:
        points += [(0.0, GREEN)]
    if high < 1.0 - _EDGE:
        points += [(high - _EDGE, GREEN), (high, YELLOW), (1.0, RED)]
    else:
        points += [(1.0, GREEN)]
    controls = np.array([p for p, _ in points])
    colors = np.array([c for _, c in points])
    return controls, colors


def map_confidence(values: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """RGBA colours of ``values`` under the confidence colormap (for tests and colour bars).

    Parameters
    ----------
    values : numpy.ndarray
        Probabilities; values outside [0, 1] are clipped.
    threshold : float
        The threshold the green band marks.

    Returns
    -------
    numpy.ndarray
        RGBA colours in [0, 1], shape ``values.shape + (4,)``.

    Examples
    --------
    >>> map_confidence([0.5])[0].tolist() == list(GREEN)  # at the threshold: green
    True
    >>> map_confidence([1.0])[0].tolist() == list(RED)
    True
    """
    controls, colors = confidence_colormap_data(threshold)
    values = np.clip(np.asarray(values, float), 0.0, 1.0)
    return np.stack([np.interp(values, controls, colors[:, i]) for i in range(4)], axis=-1)
