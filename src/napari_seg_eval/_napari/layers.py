"""Reading arrays from layers and writing results back as layers, safely.

Result layers carry a metadata tag. Only a layer with our tag is ever updated in place: a
user's layer is never modified, even when it has the name we would choose (napari then gives
the new layer a unique name).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from napari.layers import Labels, Layer
from napari.viewer import Viewer

from ..core.review import ERROR_COLORS

TAG = "napari-seg-eval"


def world_settings(layer: Layer, drop_axis: int | None = None) -> dict[str, Any]:
    """The source layer's world-coordinate settings, for a result layer on the same pixels.

    With ``drop_axis`` (a class axis that the result no longer has) only the per-axis scale,
    translate and units are kept.
    """
    per_axis = {
        "scale": layer.scale,
        "translate": layer.translate,
        "units": layer.units,
        "axis_labels": layer.axis_labels,
    }
    if drop_axis is None:
        return {
            **per_axis,
            "rotate": layer.rotate,
            "shear": layer.shear,
            "affine": layer.affine.affine_matrix,
        }
    axis = drop_axis % layer.ndim
    return {
        key: tuple(v for i, v in enumerate(value) if i != axis) for key, value in per_axis.items()
    }


def is_ours(layer: Layer | None, role: str | None = None) -> bool:
    """True for a result layer this plugin made (of ``role``, if given)."""
    tag = getattr(layer, "metadata", {}).get(TAG) if layer is not None else None
    return isinstance(tag, dict) and (role is None or tag.get("role") == role)


def put_labels(
    viewer: Viewer,
    previous: Labels | None,
    data: np.ndarray,
    *,
    name: str,
    role: str,
    source: Layer,
    info: dict[str, Any],
    drop_axis: int | None = None,
) -> Labels:
    """Update ``previous`` in place if it is our result layer still in the viewer; else add one.

    The layer records its role, source layer and ``info`` (e.g. the threshold) in its metadata.
    """
    metadata = {TAG: {"role": role, "source": source.name, **info}}
    reusable = (
        previous is not None
        and previous in viewer.layers
        and is_ours(previous, role)
        and previous.data.shape == data.shape
    )
    if reusable:
        previous.data = data
        previous.metadata = {**previous.metadata, **metadata}
        return previous
    return viewer.add_labels(
        data, name=name, metadata=metadata, **world_settings(source, drop_axis)
    )


#: Prefix of the feature columns this plugin writes; other columns are the user's and stay.
FEATURE_PREFIX = "seg_eval_"


def write_object_features(layer: Labels, objects: pd.DataFrame) -> None:
    """Put each object's review columns into ``layer.features`` so hovering shows them.

    ``objects`` has a ``label`` column and the values to show (status, iou, partner,
    mean_confidence). Columns starting with ``seg_eval_`` are replaced; the layer's other
    features are kept, matched by label.
    """
    shown = [c for c in ("status", "iou", "partner", "mean_confidence") if c in objects]
    ours = objects[["label", *shown]].rename(
        columns={"label": "index", **{c: FEATURE_PREFIX + c for c in shown}}
    )
    existing = layer.features
    if existing.shape[1] == 0:
        layer.features = ours.reset_index(drop=True)
        return
    if "index" not in existing:  # napari reads row i as label i without an index column
        existing = existing.assign(index=np.arange(len(existing)))
    keep = existing[[c for c in existing if not str(c).startswith(FEATURE_PREFIX)]]
    layer.features = keep.merge(ours, on="index", how="outer").reset_index(drop=True)


def error_colormap():
    """Colour-blind-safe colours of the error layer's TP / FP / FN values."""
    from napari.utils.colormaps import DirectLabelColormap

    colors = {None: (0, 0, 0, 0), 0: (0, 0, 0, 0), **ERROR_COLORS}
    return DirectLabelColormap(color_dict=colors)
