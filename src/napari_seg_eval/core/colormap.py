"""The confidence colormap as plain data: a table of colours, one per 1/1024 of [0, 1].

Dark to light blue below the threshold, a green band at the threshold, yellow to red above it.
Shown with contrast limits 0..1, the green band lands exactly on the threshold, so in a smooth
probability map it draws the iso-line where the labels' boundary will be.

The colormap is piecewise constant on :data:`STEPS` equal steps because that is how it is drawn:
napari hands a colormap to vispy, which turns it into a lookup texture of 1024 colours. A
linearly interpolated colormap is sampled with linear filtering, which blends the two texels
around a hard colour step, so a value 0.001 from the band's edge came out half blue, half green.
A piecewise-constant colormap (napari's ``interpolation="zero"``) is sampled without blending:
value ``v`` gets the colour of step ``floor(v * 1024)``, exactly as :func:`map_confidence`
computes it, so the layer, the colour bar and this module agree pixel for pixel.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_threshold
from .blocks import as_dask, is_lazy

DARK_BLUE = (0.03, 0.07, 0.32, 1.0)
LIGHT_BLUE = (0.55, 0.80, 1.00, 1.0)
GREEN = (0.00, 0.85, 0.25, 1.0)
YELLOW = (1.00, 0.92, 0.00, 1.0)
RED = (0.85, 0.00, 0.00, 1.0)

#: Half-width of the green band around the threshold, in probability units.
BAND_HALF_WIDTH = 0.01
#: Number of equal steps of the colormap over [0, 1]: the size of vispy's colormap texture.
STEPS = 1024
#: The band's edges lie between ``threshold ± band_half_width`` and one of these further out,
#: the threshold slider's step: every value within ``band_half_width`` of the threshold is
#: green, every value at least this much further away is not.
_EDGE_GAP = 0.001


def _edge(value: float) -> int:
    """The step edge nearest to ``value``, as a step number in 0 .. STEPS."""
    return int(np.clip(np.round(value * STEPS), 0, STEPS))


def confidence_colormap_data(
    threshold: float = 0.5, band_half_width: float = BAND_HALF_WIDTH
) -> tuple[np.ndarray, np.ndarray]:
    """Step edges (N + 1,) and RGBA colours (N, 4) of the confidence colormap at ``threshold``.

    The colormap is piecewise constant on ``N = STEPS = 1024`` equal steps of [0, 1] (the
    resolution napari draws colormaps at; see the module docstring): colour ``k`` applies to
    values in ``[edges[k], edges[k + 1])``, and the last colour to 1 too. Every value within
    ``band_half_width`` of the threshold is green; every value below ``threshold -
    band_half_width - 0.001`` is blue, from dark (0) to light (the band's edge); every value
    above ``threshold + band_half_width + 0.001`` is yellow (the band's edge) to red (1). Each
    band edge lies on the step nearest to the middle of that 0.001 gap, so a value on the
    threshold slider's 0.001 grid is never at an edge.

    Parameters
    ----------
    threshold : float
        The probability threshold in [0, 1] that the green band marks.
    band_half_width : float
        Half-width of the green band, in probability units.

    Returns
    -------
    edges : numpy.ndarray
        ``k / STEPS`` for k = 0 .. STEPS, shape (STEPS + 1,): the control points of a napari
        ``Colormap(colors, controls=edges, interpolation="zero")``.
    colors : numpy.ndarray
        RGBA colours in [0, 1], one per step, shape (STEPS, 4).

    Examples
    --------
    >>> from napari_seg_eval import confidence_colormap_data
    >>> edges, colors = confidence_colormap_data(0.5)
    >>> float(edges[0]), float(edges[-1]), colors.shape
    (0.0, 1.0, (1024, 4))
    >>> colors[0].tolist(), colors[-1].tolist()  # dark blue at 0, red at 1
    ([0.03, 0.07, 0.32, 1.0], [0.85, 0.0, 0.0, 1.0])
    """
    threshold = check_threshold(threshold)
    low = _edge(threshold - band_half_width - _EDGE_GAP / 2)  # first green step
    high = _edge(threshold + band_half_width + _EDGE_GAP / 2)  # first yellow step
    steps = np.arange(STEPS)
    colors = np.empty((STEPS, 4))
    colors[low:high] = GREEN
    # Below the band: dark blue at step 0 to light blue at the band's last step below it.
    below = steps[:low] / max(low - 1, 1)
    colors[:low] = _blend(DARK_BLUE, LIGHT_BLUE, below)
    # Above the band: yellow at its first step to red at the last step (value 1).
    above = (steps[high:] - high) / max(STEPS - 1 - high, 1)
    colors[high:] = _blend(YELLOW, RED, above)
    return np.arange(STEPS + 1) / STEPS, colors


def _blend(start: tuple, end: tuple, fraction: np.ndarray) -> np.ndarray:
    """RGBA colours ``fraction`` of the way from ``start`` to ``end``, shape (n, 4)."""
    start, end = np.asarray(start), np.asarray(end)
    return start + fraction[:, None] * (end - start)


def map_confidence(values: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """RGBA colours of ``values`` under the confidence colormap, as napari draws them.

    Value ``v`` gets the colour of step ``floor(v * STEPS)`` of
    :func:`confidence_colormap_data` (the last step for 1), as napari's lookup texture does;
    NaN gets transparent black, as napari draws it. A chunked array (dask, zarr) is coloured
    lazily, chunk by chunk when the result is read: its colours are a dask array (4 times
    the values, in float64: read a slice of it, not the whole of a large map).

    Parameters
    ----------
    values : numpy.ndarray or chunked array
        Probabilities; values outside [0, 1] are clipped.
    threshold : float
        The threshold the green band marks.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        RGBA colours in [0, 1], shape ``values.shape + (4,)``: a dask array, not computed,
        for chunked ``values`` (its chunks those of ``values``, with the 4 colours in one).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import map_confidence
    >>> map_confidence([0.49, 0.5, 0.51])[:, 1].tolist()  # ±0.01 of the threshold: green
    [0.85, 0.85, 0.85]
    >>> map_confidence([1.0])[0].tolist()  # certain: red
    [0.85, 0.0, 0.0, 1.0]
    >>> import dask.array as da
    >>> lazy = map_confidence(da.from_array(np.array([0.5, 1.0]), chunks=1))
    >>> type(lazy).__name__, lazy.chunks, lazy.compute()[1].tolist()
    ('Array', ((1, 1), (4,)), [0.85, 0.0, 0.0, 1.0])
    """
    _, colors = confidence_colormap_data(threshold)
    if is_lazy(values):
        lazy = as_dask(values)
        return lazy.map_blocks(
            _colors_of,
            colors,
            dtype=np.float64,
            new_axis=lazy.ndim,
            chunks=(*lazy.chunks, (4,)),
            meta=np.empty((0,) * (lazy.ndim + 1), np.float64),
        )
    return _colors_of(values, colors)


def _colors_of(values: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """The colours of ``values`` (an array or a block of one) in the table ``colors``."""
    values = np.asarray(values, float)
    unknown = np.isnan(values)
    steps = np.floor(np.clip(np.where(unknown, 0.0, values), 0.0, 1.0) * STEPS).astype(int)
    return np.where(unknown[..., None], 0.0, colors[np.minimum(steps, STEPS - 1)])
