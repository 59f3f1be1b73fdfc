"""Colours of the error layer by kind, and of the review's outlines, as napari colormaps.

The colours themselves are plain data in :data:`napari_seg_eval.core.review.KIND_COLORS`
(Paul Tol's "muted" scheme without the hues of the confidence colormap).
"""

from __future__ import annotations

from napari.utils.colormaps import DirectLabelColormap

from ..core.review import FN, FP, KIND_COLORS

TRANSPARENT = (0.0, 0.0, 0.0, 0.0)
#: Outlines of the predicted objects drawn over the truth: thin and black.
PREDICTION_OUTLINE = (0.0, 0.0, 0.0, 1.0)
#: Outlines of the selected object (1) and its partner (2): white, two pixels wide.
SELECTION_OUTLINE = (1.0, 1.0, 1.0, 1.0)


def kind_colormap() -> DirectLabelColormap:
    """The error layer's colours: each value of ``error_map(by="kind")`` in its kind's colour.

    Examples
    --------
    >>> colormap = kind_colormap()
    >>> [round(float(c), 3) for c in colormap.map(2)[:3]]  # missed: rose
    [0.8, 0.4, 0.467]
    """
    colors = {None: TRANSPARENT, 0: TRANSPARENT}
    for _, color, values in KIND_COLORS:
        colors.update(dict.fromkeys(values, color))
    return DirectLabelColormap(color_dict=colors)


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
