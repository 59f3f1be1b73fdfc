"""The confidence colormap as a napari Colormap, registered under a stable name."""

from __future__ import annotations

from napari.utils.colormaps import AVAILABLE_COLORMAPS, Colormap

from .core.colormap import confidence_colormap_data

#: Name under which the colormap appears in napari's colormap dropdown.
COLORMAP_NAME = "napari-seg-eval:confidence"


def confidence_colormap(threshold: float = 0.5) -> Colormap:
    """The confidence colormap for ``threshold`` as a napari ``Colormap``.

    Use it with contrast limits (0, 1) so that the green band sits on the threshold. It is also
    registered as ``"napari-seg-eval:confidence"`` (the latest threshold wins), so it appears in
    the layer controls' colormap list. It is piecewise constant (``interpolation="zero"``), one
    colour per texel of vispy's lookup texture, so that the screen shows exactly
    :func:`~napari_seg_eval.core.colormap.map_confidence`'s colours: a linear colormap is drawn
    with linear texture filtering, which blends the colours on either side of the band's edges.
    """
    edges, colors = confidence_colormap_data(threshold)
    colormap = Colormap(
        colors=colors,
        controls=edges,
        name=COLORMAP_NAME,
        display_name=f"seg-eval confidence (threshold {threshold:.2f})",
        interpolation="zero",
    )
    # napari's registry refuses to replace a name; ours is namespaced and is meant to follow the
    # threshold, so replace it in the underlying dict (a new name per threshold would flood
    # the colormap dropdown with "(1)", "(2)", ... as the slider moves).
    AVAILABLE_COLORMAPS.data[COLORMAP_NAME] = colormap
    return colormap
