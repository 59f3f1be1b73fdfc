"""Colours of the error layer by kind, of the review's outlines and of the Runs tab's layer
of changes, as napari colormaps.

The colours themselves are plain data in :data:`napari_seg_eval.core.review.KIND_COLORS`
(Paul Tol's "muted" scheme without the hues of the confidence colormap). Matched objects are
pale grey on a dark background and charcoal on a light one (:func:`kind_colors`). The
background is what the error layer is drawn over: the image shown under it (a fluorescence
micrograph is dark in napari's light theme too), else the theme's canvas. No one grey serves
both: greys that contrast 3:1 with white and with a dark micrograph fall within 10 CIEDE2000
units of the other kinds' colours as seen with protanopia or deuteranopia.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from napari.layers import Image, Layer
from napari.utils.colormaps import DirectLabelColormap
from napari.utils.theme import get_theme

from ..core.compare import CHANGE_COLORS
from ..core.review import FN, FP, KIND_COLORS, KIND_COLORS_ON_LIGHT

TRANSPARENT = (0.0, 0.0, 0.0, 0.0)
#: Outlines of the predicted objects drawn over the truth: thin and black.
PREDICTION_OUTLINE = (0.0, 0.0, 0.0, 1.0)
#: Outlines of the selected object and its partner, one pixel wide just outside each (the
#: object's own colour is left whole): white on a dark background...
SELECTION_OUTLINE = (1.0, 1.0, 1.0, 1.0)
#: ... black on a light one.
SELECTION_OUTLINE_ON_LIGHT = (0.0, 0.0, 0.0, 1.0)


def is_light(theme: str) -> bool:
    """True for a napari theme whose canvas is light (see :func:`is_light_color`).

    Parameters
    ----------
    theme : str
        A napari theme's name (``"dark"``, ``"light"`` or a custom theme's).

    Returns
    -------
    bool
        Whether colours are drawn on a light canvas in this theme.

    Examples
    --------
    >>> is_light("light"), is_light("dark")
    (True, False)
    """
    return is_light_color(get_theme(theme).canvas.as_rgb_tuple()[:3])


def is_light_color(rgb: Sequence[float]) -> bool:
    """True for a colour whose relative luminance is above one half.

    Parameters
    ----------
    rgb : sequence of 3 numbers
        Red, green and blue, 0 to 255.

    Returns
    -------
    bool
        Whether the colour is a light background.

    Examples
    --------
    >>> is_light_color((32, 32, 32)), is_light_color((230, 225, 210))
    (False, True)
    """
    red, green, blue = rgb[:3]
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255 > 0.5


def background_under(layers: Iterable[Layer]) -> tuple[float, float, float] | None:
    """The colour a layer drawn above ``layers`` is seen over: the median colour of the topmost
    shown image (its thumbnail, as napari shows it), or None when no image is shown (then the
    theme's canvas is the background).

    Parameters
    ----------
    layers : iterable of napari layers
        The layers under the error layer, bottom first (as in ``viewer.layers``).

    Returns
    -------
    tuple of 3 floats or None
        Red, green and blue, 0 to 255.

    Examples
    --------
    >>> from napari.components import ViewerModel
    >>> viewer = ViewerModel()
    >>> background_under(viewer.layers) is None
    True
    >>> image = np.zeros((20, 20))
    >>> image[5:10, 5:10] = 1  # one bright object on a dark background
    >>> _ = viewer.add_image(image)
    >>> background_under(viewer.layers)
    (0.0, 0.0, 0.0)
    """
    for layer in reversed(list(layers)):
        if isinstance(layer, Image) and layer.visible and layer.opacity >= 0.5:
            thumbnail = np.asarray(layer.thumbnail)
            shown = thumbnail[thumbnail[..., 3] > 0, :3]  # the padding is transparent
            if len(shown):
                red, green, blue = np.median(shown, axis=0)
                return float(red), float(green), float(blue)
    return None


def kind_colors(theme: str = "dark", background: Sequence[float] | None = None) -> tuple:
    """The kinds' names, colours and error-map values, for what the error layer is drawn over.

    Parameters
    ----------
    theme : str, optional
        A napari theme's name: its canvas is the background when ``background`` is None.
    background : sequence of 3 numbers, optional
        The colour under the layer (0 to 255), e.g. the median colour of the image shown under
        it. On a light background matched objects are charcoal
        (:data:`~napari_seg_eval.core.review.MATCHED_ON_LIGHT`)
        instead of pale grey; the other kinds keep their colours.

    Returns
    -------
    tuple of (str, tuple of 4 floats, tuple of int)
        As :data:`~napari_seg_eval.core.review.KIND_COLORS`: the legend's order.

    Examples
    --------
    >>> [color[0] for name, color, _ in kind_colors("dark") if name == "matched"]
    [0.867]
    >>> [color[0] for name, color, _ in kind_colors("light") if name == "matched"]
    [0.133]
    >>> # a dark micrograph under the layer in the light theme: pale grey
    >>> [color[0] for name, color, _ in kind_colors("light", (32, 32, 32)) if name == "matched"]
    [0.867]
    """
    light = is_light(theme) if background is None else is_light_color(background)
    return KIND_COLORS_ON_LIGHT if light else KIND_COLORS


def kind_colormap(
    theme: str = "dark", background: Sequence[float] | None = None
) -> DirectLabelColormap:
    """The error layer's colours: each value of ``error_map(by="kind")`` in its kind's colour.

    Parameters
    ----------
    theme : str, optional
        The napari theme of the viewer shown in (see :func:`kind_colors`).
    background : sequence of 3 numbers, optional
        The colour under the layer, 0 to 255 (see :func:`kind_colors`).

    Returns
    -------
    napari.utils.colormaps.DirectLabelColormap
        Each kind's values in its colour; background (0) transparent.

    Examples
    --------
    >>> colormap = kind_colormap()
    >>> [round(float(c), 3) for c in colormap.map(2)[:3]]  # missed: rose
    [0.8, 0.4, 0.467]
    >>> [round(float(c), 3) for c in kind_colormap("light").map(1)[:3]]  # matched: charcoal
    [0.133, 0.133, 0.133]
    """
    colors = {None: TRANSPARENT, 0: TRANSPARENT}
    for _, color, values in kind_colors(theme, background):
        colors.update(dict.fromkeys(values, color))
    return DirectLabelColormap(color_dict=colors)


def selection_color(
    theme: str = "dark", background: Sequence[float] | None = None
) -> tuple[float, float, float, float]:
    """The colour of the selection's outlines: :data:`SELECTION_OUTLINE` (white) on a dark
    background, :data:`SELECTION_OUTLINE_ON_LIGHT` (black) on a light one.

    Parameters
    ----------
    theme : str, optional
        A napari theme's name: its canvas is the background when ``background`` is None.
    background : sequence of 3 numbers, optional
        The colour the outlines are drawn over (0 to 255): the image shown under them.

    Returns
    -------
    tuple of 4 floats
        Red, green, blue and alpha.

    Examples
    --------
    >>> selection_color("dark"), selection_color("light")
    ((1.0, 1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 1.0))
    >>> selection_color("light", (32, 32, 32))  # a dark micrograph in the light theme
    (1.0, 1.0, 1.0, 1.0)
    """
    light = is_light(theme) if background is None else is_light_color(background)
    return SELECTION_OUTLINE_ON_LIGHT if light else SELECTION_OUTLINE


def pixel_colormap() -> DirectLabelColormap:
    """Colours of ``semantic_error_map``: false pixels as spurious, missed pixels as missed.

    Examples
    --------
    >>> [round(float(c), 3) for c in pixel_colormap().map(FN)[:3]]  # missed: rose
    [0.8, 0.4, 0.467]
    """
    colors = {name: color for name, color, _ in KIND_COLORS}
    return DirectLabelColormap(
        color_dict={
            None: TRANSPARENT,
            0: TRANSPARENT,
            FP: colors["spurious"],
            FN: colors["missed"],
        }
    )


def change_colormap(values: Mapping[int, str]) -> DirectLabelColormap:
    """Colours of a layer of objects by change between two runs: each value in its change's
    colour (:data:`~napari_seg_eval.core.compare.CHANGE_COLORS`: fixed teal, broken rose, as
    in the report), opaque; background and other values transparent.

    Parameters
    ----------
    values : mapping of int to str
        A layer value -> its change (``"fixed by B"``, ``"broken by B"``, ...).

    Returns
    -------
    napari.utils.colormaps.DirectLabelColormap
        The colours.

    Examples
    --------
    >>> colormap = change_colormap({1: "fixed by B", 2: "broken by B"})
    >>> [round(float(c), 3) for c in colormap.map(1)]  # fixed: teal
    [0.267, 0.667, 0.6, 1.0]
    >>> colormap.map(3).tolist()  # no change painted
    [0.0, 0.0, 0.0, 0.0]
    """
    colors = {None: TRANSPARENT, 0: TRANSPARENT}
    colors.update({value: (*CHANGE_COLORS[change], 1.0) for value, change in values.items()})
    return DirectLabelColormap(color_dict=colors)


def single_color_colormap(color: tuple[float, float, float, float]) -> DirectLabelColormap:
    """Every object in ``color`` (outlines), background transparent.

    Examples
    --------
    >>> single_color_colormap((0, 0, 0, 1)).map(12345).tolist()
    [0.0, 0.0, 0.0, 1.0]
    """
    # An explicit id besides the default (None) and background: napari reads a colormap of
    # only those two as "no colours given" and falls back to random colours.
    return DirectLabelColormap(color_dict={None: color, 0: TRANSPARENT, 1: color})
