"""The confidence colormap as a napari Colormap, registered under a stable name."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from napari.utils.colormaps import AVAILABLE_COLORMAPS, Colormap

from .core.colormap import GREEN, STEPS, map_confidence

#: Name under which the colormap appears in napari's colormap dropdown.
COLORMAP_NAME = "napari-seg-eval:confidence"
#: The smallest gamma the colormap is built for (a script may set a layer's gamma to 0).
MIN_GAMMA = 1e-3


def confidence_colors(
    threshold: float = 0.5,
    contrast_limits: Sequence[float] = (0.0, 1.0),
    *,
    gamma: float = 1.0,
    scale: float = 1.0,
) -> np.ndarray:
    """The colours of the confidence colormap's :data:`STEPS` steps for a layer drawn with
    ``contrast_limits`` and ``gamma``, so that the green band sits on ``threshold``.

    napari draws value ``v`` at colormap position ``w = clip((v - c0) / (c1 - c0), 0, 1) **
    gamma``; step ``k`` covers positions ``[k, k + 1) / STEPS``. Each step gets the colour
    :func:`~napari_seg_eval.core.colormap.map_confidence` gives the value drawn at its middle,
    read as ``value / scale`` (``scale``: 255 for a uint8 map), so values outside the limits
    take the colour of the nearest limit. The step of the threshold itself is green however
    wide the limits (the band is at least one step wide). With limits (0, ``scale``) and gamma
    1 this is :func:`~napari_seg_eval.core.colormap.confidence_colormap_data`'s table.

    Parameters
    ----------
    threshold : float
        The probability threshold in [0, 1].
    contrast_limits : (float, float)
        The layer's contrast limits, in its data's values.
    gamma : float
        The layer's gamma (at least :data:`MIN_GAMMA`: a smaller one is read as it).
    scale : float
        The data value of probability 1 (the dtype's maximum for an integer map).

    Returns
    -------
    numpy.ndarray
        RGBA colours in [0, 1], shape (STEPS, 4).

    Examples
    --------
    >>> colors = confidence_colors(0.3, (0.1, 0.9))  # p = 0.3 is drawn at position 0.25
    >>> colors[int(0.25 * STEPS)].tolist() == list(GREEN)
    True
    """
    low, high = (float(x) for x in contrast_limits)
    gamma = max(float(gamma), MIN_GAMMA)  # gamma 0 would divide by zero
    span = high - low
    middles = ((np.arange(STEPS) + 0.5) / STEPS) ** (1.0 / gamma)  # as values in 0..1 of span
    colors = map_confidence((low + middles * span) / scale, threshold)
    if span > 0:
        at = (threshold * scale - low) / span  # the threshold's place between the limits
        if 0.0 <= at <= 1.0:
            colors[min(int(at**gamma * STEPS), STEPS - 1)] = GREEN
    return colors


def confidence_colormap(
    threshold: float = 0.5,
    contrast_limits: Sequence[float] = (0.0, 1.0),
    *,
    gamma: float = 1.0,
    scale: float = 1.0,
) -> Colormap:
    """The confidence colormap for ``threshold`` as a napari ``Colormap``.

    Built for a layer drawn with ``contrast_limits`` and ``gamma`` (the defaults: (0, 1) and
    1), so that its green band sits on the threshold (:func:`confidence_colors`; ``scale`` is
    the data value of probability 1, e.g. 255 for a uint8 map). It is also registered as
    ``"napari-seg-eval:confidence"`` (the latest wins), so it appears in the layer controls'
    colormap list. It is piecewise constant (``interpolation="zero"``), one colour per texel
    of vispy's lookup texture, so that the screen shows exactly the table's colours: a linear
    colormap is drawn with linear texture filtering, which blends the colours on either side
    of the band's edges.
    """
    colormap = Colormap(
        colors=confidence_colors(threshold, contrast_limits, gamma=gamma, scale=scale),
        controls=np.arange(STEPS + 1) / STEPS,
        name=COLORMAP_NAME,
        display_name=f"seg-eval confidence (threshold {threshold:.2f})",
        interpolation="zero",
    )
    # napari's registry refuses to replace a name; ours is namespaced and is meant to follow the
    # threshold, so replace it in the underlying dict (a new name per threshold would flood
    # the colormap dropdown with "(1)", "(2)", ... as the slider moves).
    AVAILABLE_COLORMAPS.data[COLORMAP_NAME] = colormap
    return colormap
