"""Reading arrays from layers and writing results back as layers, safely.

Result layers carry a metadata tag. Only a layer with our tag is ever updated in place: a
user's layer is never modified, even when it has the name we would choose (napari then gives
the new layer a unique name).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from napari.layers import Image, Labels, Layer
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


def tag(layer: Layer | None) -> dict[str, Any]:
    """Our metadata tag of ``layer`` ({} for a layer we did not make)."""
    value = getattr(layer, "metadata", {}).get(TAG) if layer is not None else None
    return value if isinstance(value, dict) else {}


def is_ours(layer: Layer | None, role: str | None = None) -> bool:
    """True for a result layer this plugin made (of ``role``, if given)."""
    found = tag(layer)
    return bool(found) and (role is None or found.get("role") == role)


def result_layer(viewer: Viewer, source: Layer, role: str) -> Layer | None:
    """Our result layer of ``role`` made from ``source`` (by identity, not name), or None."""
    for layer in viewer.layers:
        found = tag(layer)
        if found.get("role") == role and found.get("source_id") == source.unique_id:
            return layer
    return None


def _put(viewer: Viewer, add, data, *, source, role, info, name, drop_axis, **kwargs) -> Layer:
    metadata = {TAG: {"role": role, "source": source.name, "source_id": source.unique_id, **info}}
    layer = result_layer(viewer, source, role)
    if layer is not None and layer.ndim == np.ndim(data):
        layer.data = data
        layer.metadata = {**layer.metadata, **metadata}
        return layer
    return add(data, name=name, metadata=metadata, **kwargs, **world_settings(source, drop_axis))


def put_labels(
    viewer: Viewer,
    data: np.ndarray,
    *,
    name: str,
    role: str,
    source: Layer,
    info: dict[str, Any],
    drop_axis: int | None = None,
) -> Labels:
    """Update our ``role`` layer of ``source`` in place, or add it (once) with ``name``.

    Only a layer tagged with this source and role is ever updated: another source's result and
    a user's layer of the same name are never touched. The tag records the role, the source's
    name and id, and ``info`` (e.g. the threshold).
    """
    return _put(
        viewer,
        viewer.add_labels,
        data,
        source=source,
        role=role,
        info=info,
        name=name,
        drop_axis=drop_axis,
    )


def put_image(
    viewer: Viewer, data: np.ndarray, *, name: str, role: str, source: Layer, info: dict[str, Any]
) -> Image:
    """:func:`put_labels` for an Image result (e.g. a calibrated probability map, 0..1)."""
    return _put(
        viewer,
        viewer.add_image,
        data,
        source=source,
        role=role,
        info=info,
        name=name,
        drop_axis=None,
        contrast_limits=(0.0, 1.0),
    )


def grid_notice(truth: Layer, prediction: Layer, drop_axis: int | None = None) -> str:
    """A notice when two layers do not sit on the same world grid ("" when they do).

    ``drop_axis`` is the prediction's class axis, which the truth does not have.

    Examples
    --------
    >>> from napari.layers import Labels
    >>> a = Labels(np.zeros((2, 2), int), name="a")
    >>> b = Labels(np.zeros((2, 2), int), name="b", scale=(2, 2))
    >>> grid_notice(a, b).split(":")[0]
    "ground truth 'a' and prediction 'b' have different scale"
    """
    truth_grid = world_settings(truth, None)
    prediction_grid = world_settings(prediction, drop_axis)
    differ = [
        name
        for name in ("scale", "translate")
        if not np.allclose(truth_grid[name], prediction_grid[name])
    ]
    if not differ:
        return ""
    return (
        f"ground truth {truth.name!r} and prediction {prediction.name!r} have different "
        f"{' and '.join(differ)}: they are compared pixel by pixel (array index to array "
        "index), not where they appear in the viewer."
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
