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
import pandas as pd
from napari.layers import Image, Layer
from napari.utils.colormaps import DirectLabelColormap
from napari.utils.theme import get_theme

from ..core.compare import CHANGE_COLORS
from ..core.review import EXCLUDED, FN, FP, KIND_COLORS, KIND_COLORS_ON_LIGHT, KIND_VALUES

TRANSPARENT = (0.0, 0.0, 0.0, 0.0)
#: Outlines of the predicted objects drawn over the truth: thin and black.
PREDICTION_OUTLINE = (0.0, 0.0, 0.0, 1.0)
#: Outlines of the selected object and its partner, one pixel wide just outside each (the
#: object's own colour is left whole): white on a dark background...
SELECTION_OUTLINE = (1.0, 1.0, 1.0, 1.0)
#: ... black on a light one.
SELECTION_OUTLINE_ON_LIGHT = (0.0, 0.0, 0.0, 1.0)
#: Added to the error values painted in the selection layer (over a lazy error layer too
#: large to show), apart from its rings' values 1 and 2.
SELECTION_KIND_OFFSET = 100
#: What hovering a pixel of the pixel-error layer (``semantic_error_map``) says it is.
PIXEL_ERROR_NAMES = {FP: "false pixel (FP)", FN: "missed pixel (FN)"}
#: The column of the error layers' ``features`` that hovering shows.
ERROR_FEATURE = "error"


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


def build_label_colormap_lookup() -> None:
    """Have napari build, here, the machinery that draws a Labels layer in a direct colormap.

    The first time a process shows a Labels layer with a :class:`DirectLabelColormap` (the
    error layer's :func:`kind_colormap`), napari builds that colormap's texture with numba: it
    compiles a typed dictionary's code once per process (0.6 s on a quiet machine, 3 s and
    more on a busy one), whatever the layer's dtype (``uint8`` data need no mapping of their
    values, but the colormap's lookup of the 256 values is made the same way). Called in a
    worker before the error layer is handed to the main thread, the compilation happens there;
    setting the colormap on the main thread then costs milliseconds. Without numba (napari
    does not require it) there is nothing to build and nothing is done.

    Only the typed dictionary is built here (napari's ``_get_typed_dict_mapping``, when this
    napari has it): it is most of the cost (1.1 s of 1.1 s here), and building it runs no
    parallel numba kernel. Mapping values would run one, which numba's ``workqueue`` threading
    layer (its fallback where neither TBB nor OpenMP is installed) cannot run on two threads
    at once: the main thread drawing a Labels layer meanwhile would abort the process.

    Examples
    --------
    >>> build_label_colormap_lookup()
    """
    build = getattr(kind_colormap(), "_get_typed_dict_mapping", None)
    if build is None:
        return
    try:
        build(np.dtype(np.uint8))
    except ImportError:  # napari without numba (an optional dependency): nothing to build
        return


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
    colour (:data:`~napari_seg_eval.core.compare.CHANGE_COLORS`: fixed green, broken
    lavender, as in the report), opaque; background and other values transparent.

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
    >>> [round(float(c), 3) for c in colormap.map(1)]  # fixed: green #1B7837
    [0.106, 0.471, 0.216, 1.0]
    >>> colormap.map(3).tolist()  # no change painted
    [0.0, 0.0, 0.0, 0.0]
    """
    colors = {None: TRANSPARENT, 0: TRANSPARENT}
    colors.update({value: (*CHANGE_COLORS[change], 1.0) for value, change in values.items()})
    return DirectLabelColormap(color_dict=colors)


def selection_colormap(
    color: tuple[float, float, float, float], kinds: DirectLabelColormap | None = None
) -> DirectLabelColormap:
    """The selection layer's colours: its rings (1, 2; any value not given) in ``color``,
    and, with ``kinds`` (the error layer's colormap), each error value v painted as
    ``v + SELECTION_KIND_OFFSET`` in its colour there.

    Parameters
    ----------
    color : tuple of 4 floats
        The rings' colour (:func:`selection_color`).
    kinds : napari.utils.colormaps.DirectLabelColormap, optional
        The colours of the error values shown in the selection (a lazy error layer too large
        to show).

    Returns
    -------
    napari.utils.colormaps.DirectLabelColormap
        The colours.

    Examples
    --------
    >>> colormap = selection_colormap((1, 1, 1, 1), kind_colormap())
    >>> colormap.map(1).tolist(), [round(float(c), 3) for c in colormap.map(102)[:3]]
    ([1.0, 1.0, 1.0, 1.0], [0.8, 0.4, 0.467])
    """
    colors = {None: color, 0: TRANSPARENT, 1: color}
    if kinds is not None:
        colors.update(
            {
                int(value) + SELECTION_KIND_OFFSET: tuple(float(c) for c in rgba)
                for value, rgba in kinds.color_dict.items()
                if value is not None and value != 0
            }
        )
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


def kind_features() -> pd.DataFrame:
    """The error layer's ``features`` by kind: a row per value of ``error_map(by="kind")``
    naming its kind, so that hovering shows e.g. ``error: missed``, not the bare value.

    A kind painted with one value on either side is named once ("matched"); a name both
    sides use with a value each says the side ("poor overlap (true object)").

    Returns
    -------
    pandas.DataFrame
        Columns ``index`` (the value, as napari's Labels features read it) and ``error``
        (None for the background, 0: hovering it says nothing).

    Examples
    --------
    >>> kind_features().set_index("index")["error"].to_dict()[2]
    'missed'
    >>> kind_features().set_index("index")["error"].to_dict()[9]
    'poor overlap (prediction)'
    """
    names: dict[int, str] = {}
    for (side, kind), value in KIND_VALUES.items():
        if value in names:  # the same value on both sides: one name
            continue
        other = [v for (s, k), v in KIND_VALUES.items() if k == kind and s != side]
        name = "excluded at the border" if kind == EXCLUDED else kind
        if other and other[0] != value:
            name += " (true object)" if side == "true" else " (prediction)"
        names[value] = name
    return _features(names)


def pixel_features() -> pd.DataFrame:
    """The pixel-error layer's ``features``: what each value of ``semantic_error_map`` is.

    Returns
    -------
    pandas.DataFrame
        Columns ``index`` (the value) and ``error`` (None for the background, 0).

    Examples
    --------
    >>> pixel_features().values.tolist()  # nothing said over the background
    [[0, None], [2, 'false pixel (FP)'], [3, 'missed pixel (FN)']]
    """
    return _features(PIXEL_ERROR_NAMES)


def _features(names: Mapping[int, str]) -> pd.DataFrame:
    """Labels ``features`` naming each value, and a row of no name for the background (0):
    napari says "[No Properties]" on hover over a value without a row."""
    values = [0, *sorted(names)]
    errors = pd.Series([None, *(names[v] for v in values[1:])], dtype=object)
    return pd.DataFrame({"index": values, ERROR_FEATURE: errors})
