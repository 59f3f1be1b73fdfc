"""Reading arrays from layers and writing results back as layers, safely.

Result layers carry a metadata tag. Only a layer with our tag is ever updated in place: a
user's layer is never modified, even when it has the name we would choose (napari then gives
the new layer a unique name). A result layer the user renamed, or converted to another layer
type (napari's Convert to Image, which keeps the name and the metadata), is theirs too: the tag
keeps the name and the layer type it was given, and the next result makes a new layer.
"""

from __future__ import annotations

import itertools
import math
import re
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from napari.layers import Image, Labels, Layer
from napari.utils.notifications import show_info
from napari.viewer import Viewer

from ..core._thread_callbacks import compute
from ..core._validate import integer_map_dtype
from ..core.blocks import is_lazy
from .probability import level0, probability_scale

TAG = "napari-seg-eval"
#: A lazy (dask) result of more pixels per plane than this is added hidden: napari reads the
#: whole plane of a visible layer that is not multiscale on its main thread when it shows it.
SHOWN_LAZILY_MAX_PIXELS = 2048 * 2048
#: A coarse level of a result pyramid (:func:`strided_pyramid`) with at most this many pixels
#: is computed, once, in the worker that makes it; a larger one stays a lazy view of level 0.
COMPUTED_LEVEL_MAX_PIXELS = 4096 * 4096


def world_settings(layer: Layer, drop_axis: int | None = None) -> dict[str, Any]:
    """The source layer's world-coordinate settings, for a result layer on the same pixels.

    With ``drop_axis`` (a class axis that the result no longer has) only the per-axis scale,
    translate and units are kept. The last axis of an RGB layer (napari's RGB axis, a class
    axis of a map shown as RGB) is not one of its world axes: dropping it keeps them all.

    Raises
    ------
    ValueError
        When ``layer`` is RGB and ``drop_axis`` is another of its axes: the result would keep
        napari's RGB axis, which has no world settings, and lose a world axis.

    Examples
    --------
    >>> rgb = Image(np.zeros((4, 6, 3)), rgb=True, scale=(2, 3), name="rgb")
    >>> world_settings(rgb, drop_axis=2)["scale"].tolist()
    [2.0, 3.0]
    >>> world_settings(rgb, drop_axis=0)
    Traceback (most recent call last):
    ...
    ValueError: layer 'rgb' is shown as RGB: only its last axis (axis 2, napari's RGB axis) ...
    """
    if drop_axis is not None and getattr(layer, "rgb", False) and not is_rgb_axis(layer, drop_axis):
        last = len(layer.data.shape) - 1
        raise ValueError(
            f"layer {layer.name!r} is shown as RGB: only its last axis (axis {last}, "
            f"napari's RGB axis) can be dropped as its class axis, not axis {drop_axis}."
        )
    per_axis = {
        "scale": layer.scale,
        "translate": layer.translate,
        "units": layer.units,
        "axis_labels": layer.axis_labels,
    }
    if drop_axis is None or is_rgb_axis(layer, drop_axis):
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


def is_rgb_axis(layer: Layer, axis: int) -> bool:
    """True when ``axis`` of the layer's data is napari's RGB axis (the last, of an RGB layer).

    Examples
    --------
    >>> rgb = Image(np.zeros((4, 6, 3)), rgb=True)
    >>> is_rgb_axis(rgb, -1), is_rgb_axis(rgb, 2), is_rgb_axis(rgb, 0)
    (True, True, False)
    """
    ndim = len(layer.data.shape)
    return bool(getattr(layer, "rgb", False)) and axis % ndim == ndim - 1


def tag(layer: Layer | None) -> dict[str, Any]:
    """Our metadata tag of ``layer`` ({} for a layer we did not make)."""
    value = getattr(layer, "metadata", {}).get(TAG) if layer is not None else None
    return value if isinstance(value, dict) else {}


def is_ours(layer: Layer | None, role: str | None = None) -> bool:
    """True for a result layer this plugin made (of ``role``, if given)."""
    found = tag(layer)
    return bool(found) and (role is None or found.get("role") == role)


def renamed_by_user(layer: Layer) -> bool:
    """True when ``layer``, one of our result layers, was renamed or converted by the user: it
    no longer has the name it was given (kept in our tag as ``"named"``), or it is no longer of
    the layer type it was made as (kept as ``"layer_type"``: napari's Convert to Image or to
    Labels makes a layer of another type with the same name and metadata). It is theirs then,
    and nothing of ours updates or removes it again (the Review tab, opening a dataset pair
    and :func:`result_layer` share this rule). False for a layer whose tag records neither.

    Examples
    --------
    >>> layer = Labels(np.zeros((2, 2), np.uint8), name="p thresholded",
    ...                metadata={TAG: {"role": "threshold", "named": "p thresholded",
    ...                                "layer_type": "Labels"}})
    >>> renamed_by_user(layer)
    False
    >>> layer.name = "my threshold at 0.5"
    >>> renamed_by_user(layer)
    True
    >>> converted = Image(np.zeros((2, 2), np.uint8), name="p thresholded",
    ...                   metadata={TAG: {"role": "threshold", "named": "p thresholded",
    ...                                   "layer_type": "Labels"}})
    >>> renamed_by_user(converted)
    True
    """
    found = tag(layer)
    named, made_as = found.get("named"), found.get("layer_type")
    renamed = named is not None and named != layer.name
    converted = made_as is not None and made_as != type(layer).__name__
    return renamed or converted


def result_layer(viewer: Viewer, source: Layer, role: str) -> Layer | None:
    """Our result layer of ``role`` made from ``source`` (by identity, not name), or None.

    A layer the user renamed or converted to another layer type (:func:`renamed_by_user`) is
    theirs and is not returned: the next result of ``source`` makes a new layer, and the user's
    is left as it is (only our tag is taken off it then, so that nothing of ours takes it for a
    result again).
    """
    for layer in viewer.layers:
        found = tag(layer)
        if (
            found.get("role") == role
            and found.get("source_id") == source.unique_id
            and not renamed_by_user(layer)
        ):
            return layer
    return None


def _renamed_results(viewer: Viewer, source: Layer, role: str) -> list[Layer]:
    """Our layers of ``role`` made from ``source`` that the user renamed, converted to another
    layer type, or copied (napari's Duplicate Layer copies our tag under another name)."""
    return [
        layer
        for layer in viewer.layers
        if tag(layer).get("role") == role
        and tag(layer).get("source_id") == source.unique_id
        and renamed_by_user(layer)
    ]


def _put(viewer: Viewer, add, data, *, source, role, info, name, drop_axis, **kwargs) -> Layer:
    """Update our layer in place or add it. A list ``data`` is a multiscale pyramid.

    Updated in place, the layer takes ``source``'s world settings again (its scale or
    translate may have changed since the layer was made)."""
    metadata = {TAG: {"role": role, "source": source.name, "source_id": source.unique_id, **info}}
    multiscale = isinstance(data, list)
    ndim = len(data[0].shape) if multiscale else len(data.shape)
    for renamed in _renamed_results(viewer, source, role):  # the user's now: untagged
        renamed.metadata = {key: value for key, value in renamed.metadata.items() if key != TAG}
    layer = result_layer(viewer, source, role)
    hidden = too_big_to_show(data)
    same_kind = (
        layer is not None
        and len(layer.data.shape) == ndim
        and layer.multiscale == multiscale
        and getattr(layer, "rgb", False) == kwargs.get("rgb", False)
    )
    if same_kind:
        if hidden and layer.visible:  # before the data: a visible layer would read it now
            _hide(layer, source)
        layer.data = data
        _follow_world(layer, world_settings(source, drop_axis))
        metadata[TAG].setdefault("named", tag(layer).get("named", layer.name))
        metadata[TAG].setdefault("layer_type", type(layer).__name__)
        layer.metadata = {**layer.metadata, **metadata}
        return layer
    if layer is not None:  # ours, but of another shape or kind: replace it
        viewer.layers.remove(layer)
    added = add(
        data,
        name=name,
        metadata=metadata,
        multiscale=multiscale,
        **kwargs,
        **world_settings(source, drop_axis),
        visible=not hidden,
    )
    # The name napari gave it (made unique) and its type: renamed or converted later, it is
    # the user's.
    made = {"named": added.name, "layer_type": type(added).__name__}
    added.metadata = {**added.metadata, TAG: {**tag(added), **made}}
    if hidden:
        _hide(added, source)
    return added


def _follow_world(layer: Layer, settings: dict[str, Any]) -> None:
    """Give ``layer`` the world ``settings`` (:func:`world_settings`) that differ from its own:
    an unchanged setting is not set again (napari would redraw the layer for nothing)."""
    for key, value in settings.items():
        current = layer.affine.affine_matrix if key == "affine" else getattr(layer, key)
        if key in ("units", "axis_labels"):
            differs = tuple(current) != tuple(value)
        else:
            differs = not np.array_equal(np.asarray(current), np.asarray(value))
        if differs:
            setattr(layer, key, value)


def too_big_to_show(data: Any) -> bool:
    """A lazy array, not multiscale, with more than :data:`SHOWN_LAZILY_MAX_PIXELS` per plane
    (the last two axes, as napari shows it)."""
    if isinstance(data, list) or not is_lazy(data):
        return False
    return int(np.prod(data.shape[-2:], dtype=np.int64)) > SHOWN_LAZILY_MAX_PIXELS


def _hide(layer: Layer, source: Layer) -> None:
    """Hide ``layer`` (lazy and large) and say why (see :func:`hidden_text`)."""
    layer.visible = False
    show_info(hidden_text(layer.name, source.name, source.multiscale))


def hidden_text(name: str, source: str, pyramid: bool) -> str:
    """Why the lazy result layer ``name`` of layer ``source`` is hidden, and what to do.

    Parameters
    ----------
    name : str
        The hidden layer's name.
    source : str
        The name of the layer it was made from.
    pyramid : bool
        Whether ``source`` is a multiscale pyramid: then opening the data as one is no advice
        (it is one; this result was made at full resolution only).

    Returns
    -------
    str
        The notice.

    Examples
    --------
    >>> hidden_text("gt errors", "gt", pyramid=False).endswith("multiscale pyramid.")
    True
    >>> "open the data" in hidden_text("gt errors", "gt", pyramid=True)
    False
    """
    text = (
        f"{name!r} is lazy and too large to show without reading a whole plane on the main "
        "thread: it is hidden. Tick its eye to show it (napari then reads the plane shown)"
    )
    if not pyramid:
        return text + ", or open the data as a multiscale pyramid."
    return (
        f"{text}. {source!r} is a pyramid, but this result has full resolution only (not "
        "made at every level): keep the compared layers shown, and go to objects with "
        "Review's table."
    )


def level_shapes(layer: Layer, drop_axis: int | None = None) -> list[tuple[int, ...]]:
    """The shapes of ``layer``'s levels, finest first (one for a layer that is not multiscale),
    without ``drop_axis`` (a class axis). Nothing is read.

    Examples
    --------
    >>> layer = Image([np.zeros((3, 8, 8)), np.zeros((3, 4, 4))], multiscale=True)
    >>> level_shapes(layer, drop_axis=0)
    [(8, 8), (4, 4)]
    """
    levels = layer.data if layer.multiscale else [layer.data]
    shapes = [tuple(int(n) for n in level.shape) for level in levels]
    if drop_axis is None:
        return shapes
    return [
        tuple(n for i, n in enumerate(shape) if i != drop_axis % len(shape)) for shape in shapes
    ]


def pyramid_steps(shapes: Sequence[tuple[int, ...]]) -> list[tuple[int, ...]] | None:
    """The step per axis of each level of a pyramid of ``shapes`` (finest first): the product
    of the rounded size ratios of the levels down to it (2, 4, 8, … on a pyramid of halvings,
    rounded up or down), or None when a level is not level 0 picked so.

    Examples
    --------
    >>> pyramid_steps([(605, 2044), (303, 1022), (152, 511)])
    [(1, 1), (2, 2), (4, 4)]
    >>> pyramid_steps([(8, 8), (5, 5)]) is None  # not every 2nd pixel: 8 / 2 = 4
    True
    """
    shapes = [tuple(int(n) for n in shape) for shape in shapes]
    if not shapes:
        return None
    steps = [tuple(1 for _ in shapes[0])]
    for finer, shape in itertools.pairwise(shapes):
        if len(shape) != len(shapes[0]) or min(shape) < 1:
            return None
        step = tuple(
            f * max(1, round(a / b)) for f, a, b in zip(steps[-1], finer, shape, strict=True)
        )
        if any(-(-n0 // f) < n for n0, f, n in zip(shapes[0], step, shape, strict=True)):
            return None  # level 0 picked at that step has fewer pixels than the level
        steps.append(step)
    return steps


def sample_step(shapes: Sequence[tuple[int, ...]]) -> tuple[int, ...] | None:
    """The step of the finest coarse level of ``shapes`` small enough to hold in memory (at
    most :data:`COMPUTED_LEVEL_MAX_PIXELS`): what an evaluation picks of a map's labels in
    the read that makes them (``evaluation_steps(sample=)``), for :func:`strided_pyramid`.
    None when no coarse level is that small, or ``shapes`` is not a pyramid.

    Examples
    --------
    >>> sample_step([(8192, 8192), (4096, 4096), (2048, 2048)])
    (2, 2)
    >>> sample_step([(100, 100)]) is None
    True
    """
    steps = pyramid_steps(shapes)
    for k in range(1, len(steps or ())):
        if math.prod(shapes[k]) <= COMPUTED_LEVEL_MAX_PIXELS:
            return steps[k]
    return None


def strided_pyramid(
    data: Any,
    shapes: Sequence[tuple[int, ...]],
    *,
    control: Any = None,
    sampled: tuple[tuple[int, ...], np.ndarray] | None = None,
) -> list | None:
    """Levels of ``shapes`` picked from ``data`` (level 0) by striding: a label pyramid.

    Picking every f-th pixel (nearest neighbour) keeps the ids, so each level is a labelling
    of the same objects. Numpy ``data`` gives views (nothing is copied). Of lazy ``data`` the
    levels of at most :data:`COMPUTED_LEVEL_MAX_PIXELS` pixels are in memory: picked from
    ``sampled`` (``data`` at every step-th pixel, picked when ``data`` was made) when their
    steps are its multiples, else computed here, together, in one pass over ``data`` (call
    this in a worker; ``control``, a :class:`~napari_seg_eval.evaluation.RunControl`, reports
    the pass and stops it when cancelled); the larger ones stay lazy strided views, of which
    napari reads the chunks under the tiles it shows.

    Parameters
    ----------
    data : numpy.ndarray or chunked array
        Level 0.
    shapes : sequence of tuple of int
        The shape of each level, finest first: ``shapes[0]`` is ``data``'s (e.g. the levels of
        the layer ``data`` was made from; see :func:`level_shapes`); steps as
        :func:`pyramid_steps`.
    control : RunControl, optional
        The run's control (progress and cancel) for the pass over lazy ``data``.
    sampled : tuple, optional
        ``(step, data[::step])``: ``data`` picked at every step-th pixel along each axis.

    Returns
    -------
    list or None
        The levels (``data`` first), or None when ``shapes`` is not a pyramid of ``data``.

    Examples
    --------
    >>> labels = np.arange(25).reshape(5, 5)
    >>> [level.tolist() for level in strided_pyramid(labels, [(5, 5), (3, 3), (2, 2)])][1:]
    [[[0, 2, 4], [10, 12, 14], [20, 22, 24]], [[0, 4], [20, 24]]]
    >>> strided_pyramid(labels, [(4, 4)]) is None
    True
    """
    steps = pyramid_steps(shapes)
    if steps is None or tuple(shapes[0]) != tuple(data.shape):
        return None
    levels = [data]
    for shape, step in zip(shapes[1:], steps[1:], strict=True):
        source, step_here = data, step
        if sampled is not None and all(f % s == 0 for f, s in zip(step, sampled[0], strict=True)):
            source = sampled[1]
            step_here = tuple(f // s for f, s in zip(step, sampled[0], strict=True))
        pick = tuple(slice(0, n * f, f) for n, f in zip(shape, step_here, strict=True))
        levels.append(source[pick])
    if not is_lazy(data):
        return levels
    small = [
        k
        for k in range(1, len(levels))
        if is_lazy(levels[k]) and math.prod(levels[k].shape) <= COMPUTED_LEVEL_MAX_PIXELS
    ]
    if small:
        picked = [levels[k] for k in small]
        if control is None:
            computed = compute(*picked)
        else:
            with control.chunks(0.0, 1.0, "picking the coarser levels"):
                computed = compute(*picked)
        for k, level in zip(small, computed, strict=True):
            levels[k] = level
    return levels


def put_labels(
    viewer: Viewer,
    data: Any,
    *,
    name: str,
    role: str,
    source: Layer,
    info: dict[str, Any],
    drop_axis: int | None = None,
) -> Labels:
    """Update our ``role`` layer of ``source`` in place, or add it (once) with ``name``.

    Only a layer tagged with this source and role, with the name it was given, is ever
    updated: another source's result, a user's layer of the same name and our layer the user
    renamed (then untagged: :func:`result_layer`) are never touched. The tag records the role,
    the source's name and id, the name given (``"named"``) and ``info`` (e.g. the threshold).
    ``data`` may be lazy (dask), or a list of levels for a multiscale layer.
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
    viewer: Viewer,
    data: np.ndarray,
    *,
    name: str,
    role: str,
    source: Layer,
    info: dict[str, Any],
    drop_axis: int | None = None,
) -> Image:
    """:func:`put_labels` for an Image result (e.g. a calibrated probability map, 0..1).

    ``drop_axis`` is an axis of ``source`` the result does not have (a class axis): the result
    keeps the world settings of the other axes. The result of an RGB source with all its axes
    (e.g. its logits converted to probabilities) is shown as RGB too, on the same world axes.
    """
    levels = data if isinstance(data, list) else [data]
    rgb = (
        bool(getattr(source, "rgb", False))
        and drop_axis is None
        and tuple(levels[0].shape) == tuple(source.data.shape)
    )
    return _put(
        viewer,
        viewer.add_image,
        data,
        source=source,
        role=role,
        info=info,
        name=name,
        drop_axis=drop_axis,
        contrast_limits=(0.0, 1.0),
        **({"rgb": True} if rgb else {}),
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


#: What the notices call our result layers, by role (another role is named as it is).
ROLE_WORDS = {
    "threshold": "threshold preview",
    "evaluated": "evaluated labels",
    "errors": "error layer",
    "outlines": "outlines",
    "selection": "review selection",
    "contour": "contour",
}


def truth_made_by_us_notice(truth: Layer, prediction: Layer) -> str:
    """A notice when the ground truth is one of our result layers ("" when it is not): made
    from the prediction itself (e.g. the map's threshold preview against the map: the run
    scores the map against its own thresholding), from the layer the prediction was made
    from, or from another layer. The layers of a dataset pair opened for review are files,
    not results: "" for them. Only the layers' tags are read.

    Examples
    --------
    >>> prob = Image(np.zeros((2, 2), np.float32), name="p")
    >>> preview = Labels(np.zeros((2, 2), np.uint8), name="p thresholded", metadata={
    ...     TAG: {"role": "threshold", "source": "p", "source_id": prob.unique_id}})
    >>> truth_made_by_us_notice(preview, prob).split(":")[0]
    "the ground truth 'p thresholded' is the plugin's threshold preview of the prediction 'p'"
    >>> truth_made_by_us_notice(prob, preview)
    ''
    """
    made = tag(truth)
    if not made or made.get("role") == PAIR_ROLE or renamed_by_user(truth):
        return ""  # a renamed result is the user's
    role = made.get("role", "result")
    what = f"the ground truth {truth.name!r} is the plugin's {ROLE_WORDS.get(role, role)}"
    source = made.get("source", "?")
    if made.get("source_id") == prediction.unique_id:
        return (
            f"{what} of the prediction {prediction.name!r}: the prediction is scored against "
            "itself, and the numbers say nothing of the model. Choose your annotation as the "
            "ground truth (a Labels layer; an integer image: Convert to Labels)."
        )
    if made.get("source_id") is not None and made.get("source_id") == tag(prediction).get(
        "source_id"
    ):
        return (
            f"{what} of {source!r}, and the prediction {prediction.name!r} is made from "
            f"{source!r} too: they are compared with each other, not with an annotation. "
            "Choose your annotation as the ground truth."
        )
    return (
        f"{what} of {source!r}, not an annotation: is it the layer you meant as the ground truth?"
    )


#: Role of the layers of a dataset pair opened for review (see :func:`open_pair`).
PAIR_ROLE = "dataset pair"


def open_pair(viewer: Viewer, name: str, data: dict[str, Any]) -> dict[str, Layer]:
    """Show one pair of a dataset, stacked for review: replace the pair opened before (our
    layers only).

    Parameters
    ----------
    viewer : napari.Viewer
        The viewer.
    name : str
        The pair's name (the layers are called e.g. ``"img1 truth"``).
    data : dict
        Arrays by side: ``"image"`` and ``"probability"`` (Image layers), ``"truth"`` and
        ``"prediction"`` (Labels; an Image when the prediction is a floating-point map).

    Returns
    -------
    dict
        The new layers by side, in the order they are stacked, bottom first: the image, the
        probability maps (the probability, then a prediction that is a map), then the labels
        (truth, prediction). Layers tagged with :data:`PAIR_ROLE` are removed first; a user's
        layer, even one of the same name, is never touched.

    Examples
    --------
    >>> from napari.components import ViewerModel
    >>> viewer = ViewerModel()
    >>> mine = viewer.add_labels(np.zeros((2, 2), int), name="a truth")
    >>> first = open_pair(viewer, "a", {"truth": np.ones((2, 2), int)})
    >>> second = open_pair(viewer, "b", {"prediction": np.full((2, 2), 0.9),
    ...                                  "truth": np.ones((2, 2), int), "image": np.ones((2, 2))})
    >>> [layer.name for layer in viewer.layers]
    ['a truth', 'b image', 'b prediction', 'b truth']
    """
    for layer in [x for x in viewer.layers if is_ours(x, PAIR_ROLE)]:
        viewer.layers.remove(layer)
    sides = ("image", "probability", "truth", "prediction")
    labels = {
        side: side in ("truth", "prediction") and np.dtype(data[side].dtype).kind in "biu"
        for side in sides
        if side in data
    }
    layers: dict[str, Layer] = {}
    for side in sorted(labels, key=lambda side: (labels[side], sides.index(side))):
        metadata = {TAG: {"role": PAIR_ROLE, "pair": name, "side": side}}
        add = viewer.add_labels if labels[side] else viewer.add_image
        layers[side] = add(data[side], name=f"{name} {side}", metadata=metadata)
    return layers


#: Prefix of the feature columns this plugin writes; other columns are the user's and stay.
FEATURE_PREFIX = "seg_eval_"


def hover_features(objects: pd.DataFrame) -> pd.DataFrame:
    """The hover rows of one side's objects: an ``index`` column (the label) and the review
    columns, prefixed with :data:`FEATURE_PREFIX`. Pure pandas: prepared off the main thread.

    Parameters
    ----------
    objects : pandas.DataFrame
        One side's rows, with a ``label`` column and the values to show (``status``,
        ``error``, ``iou``, ``partner``, ``mean_confidence``, whichever are present).

    Returns
    -------
    pandas.DataFrame
        One row per label (an id found in several planes is joined as text).

    Examples
    --------
    >>> rows = pd.DataFrame({"label": [3], "status": ["TP"], "area": [9]})
    >>> hover_features(rows).columns.tolist()
    ['index', 'seg_eval_status']
    """
    shown = [c for c in ("status", "error", "iou", "partner", "mean_confidence") if c in objects]
    objects = _one_row_per_label(objects, shown)
    ours = objects[["label", *shown]].rename(
        columns={"label": "index", **{c: FEATURE_PREFIX + c for c in shown}}
    )
    return ours.reset_index(drop=True)


def write_object_features(layer: Labels, objects: pd.DataFrame | None) -> None:
    """Put each object's review columns into ``layer.features`` so hovering shows them.

    ``objects`` are one side's rows (see :func:`hover_features`), or the hover rows
    :func:`hover_features` made of them, or None to remove the review columns. Columns starting
    with ``seg_eval_`` are replaced; the layer's other features are kept, matched by label.
    """
    ours = objects
    if ours is not None and "index" not in ours:
        ours = hover_features(ours)
    existing = layer.features
    if existing.shape[1] == 0:
        if ours is not None:
            layer.features = ours
        return
    if "index" not in existing:  # napari reads row i as label i without an index column
        existing = existing.assign(index=np.arange(len(existing)))
    keep = existing[[c for c in existing if not str(c).startswith(FEATURE_PREFIX)]]
    if ours is None:
        if keep.shape[1] < existing.shape[1]:  # only when there is something to remove
            layer.features = keep if keep.shape[1] > 1 else pd.DataFrame()
        return
    layer.features = keep.merge(ours, on="index", how="outer").reset_index(drop=True)


def _one_row_per_label(objects: pd.DataFrame, shown: list[str]) -> pd.DataFrame:
    """Rows of an id found in several planes (a track labelled plane by plane) joined as text.

    Hovering shows e.g. ``status "0: TP / 1: FN"`` (plane: value) for such an id.
    """
    repeated = objects["label"].duplicated(keep=False).to_numpy()
    if not repeated.any():
        return objects
    tracks = objects[repeated].sort_values(["label", "plane"] if "plane" in objects else "label")
    planes = tracks["plane"].astype(str) + ": " if "plane" in tracks else ""
    text = {c: planes + tracks[c].map(_text) for c in shown}
    joined = pd.DataFrame({"label": tracks["label"], **text}).groupby("label", sort=False)
    joined = joined.agg(" / ".join).reset_index()
    return pd.concat([objects.loc[~repeated, ["label", *shown]], joined], ignore_index=True)


def _text(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float | np.floating) else str(value)


#: Words of a layer name (see :func:`name_words`) that only a probability map has. Not
#: "logits": those are not probabilities, and an integer image so named is no map.
MAP_WORDS = frozenset(
    [
        "prob",
        "probs",
        "probability",
        "probabilities",
        "probmap",
        "probmaps",
        "cellprob",
        "confidence",
        "score",
        "scores",
        "softmax",
        "sigmoid",
        "foreground",
    ]
)
#: Words of a prediction: with those, the words of a floating-point probability map. Not of an
#: integer one: they also name labels (a predicted label image opened as an image, e.g. uint16
#: "cells pred").
PRED_WORDS = frozenset({"pred", "preds", "prediction", "predictions"})
#: Words of a microscopy image's name: a float image in [0, 1] so named (a normalised raw
#: image) is not taken for an unnamed probability map (its intensities would be the objects'
#: scores).
RAW_WORDS = frozenset(
    {"raw", "image", "img", "intensity", "dapi", "hoechst", "brightfield", "phase", "channel"}
)
#: Words of a layer name that suggest a ground truth ("man": the Cell Tracking Challenge's
#: manual annotations, ``man_seg000.tif``; as the file pairing's words, io/pairs.py).
TRUTH_WORDS = frozenset(
    [
        "gt",
        "truth",
        "ground",
        "groundtruth",
        "true",
        "gold",
        "annotation",
        "annotations",
        "annotated",
        "manual",
        "man",
        "reference",
        "target",
    ]
)
#: Words of a layer name that say a model or a tool made it: a prediction, whatever the
#: order of the layers (a ground truth's name has none of them, or a truth word too).
MODEL_WORDS = PRED_WORDS | frozenset(
    [
        "predicted",
        "seg",
        "segmented",
        "cellpose",
        "cp",
        "stardist",
        "omnipose",
        "unet",
        "nnunet",
        "mesmer",
        "deepcell",
        "instanseg",
        "splinedist",
        "ilastik",
        "sam",
        "model",
        "output",
        "result",
    ]
)
#: Words of a segmentation's name that a ground truth may have too (Cellpose's annotation
#: ``img_masks``): a prediction's only when nothing else tells.
MASK_WORDS = frozenset(["mask", "masks", "segmentation"])
#: Words of a layer name that suggest a predicted segmentation.
PREDICTION_WORDS = MODEL_WORDS | MASK_WORDS


def prediction_words_score(words: set[str]) -> int:
    """How strongly the words of a name without truth words say "prediction": 0 with none of
    :data:`PREDICTION_WORDS`; 1 to ``len(MASK_WORDS)`` with mask words only (one per
    word); above that with a word of :data:`MODEL_WORDS` (a model's or tool's name), so
    that any name with one outranks every name with mask words only.

    Examples
    --------
    >>> [prediction_words_score(name_words(n)) for n in ("nuclei", "masks", "stardist_labels")]
    [0, 1, 4]
    >>> prediction_words_score(name_words("img2_cp_masks"))
    5
    """
    found = len(words & PREDICTION_WORDS)
    return found + len(MASK_WORDS) if words & MODEL_WORDS else found


def name_words(name: str) -> set[str]:
    """The words of a layer name, in lower case: each run of letters, the parts of a
    camelCase run (each starting with a capital), and each run of its consecutive parts
    joined, so "SoftMax" and "ProbMap" say what they are, and a tool's name written in
    camelCase, "StarDist" or "CellPose", reads as "stardist" or "cellpose". Digits and
    other characters separate words.

    Parameters
    ----------
    name : str
        A layer name.

    Returns
    -------
    set of str
        Its words; a name such as "probe" or "problem" has no word "prob".

    Examples
    --------
    >>> sorted(name_words("nucleiProbMap_2"))
    ['map', 'nuclei', 'nucleiprob', 'nucleiprobmap', 'prob', 'probmap']
    >>> sorted(name_words("StarDistMasks"))
    ['dist', 'distmasks', 'masks', 'star', 'stardist', 'stardistmasks']
    >>> sorted(name_words("probe"))
    ['probe']
    """
    words = set()
    for run in re.findall(r"[A-Za-z]+", name):
        parts = [part.lower() for part in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", run)]
        words.update(
            "".join(parts[first:last])
            for first in range(len(parts))
            for last in range(first + 1, len(parts) + 1)
        )
        words.add(run.lower())
    return words


#: Exact value ranges of numpy layers, per layer and kept while its data is the same array.
_RANGES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def value_range(layer: Image) -> tuple[float, float]:
    """The smallest and largest value of an Image layer (NaN ignored), cheaply.

    Exact for numpy data (computed once per array); for lazy or multiscale data, napari's own
    estimate (the layer's contrast limits range), so nothing large is read.

    Examples
    --------
    >>> value_range(Image(np.array([[0.25, np.nan, 0.75]]), name="p"))
    (0.25, 0.75)
    """
    data = level0(layer)
    if not isinstance(data, np.ndarray):
        low, high = layer.contrast_limits_range
        return float(low), float(high)
    cached = _RANGES.get(layer)
    if cached is not None and cached[0] is data:
        return cached[1]
    finite = data if data.dtype.kind != "f" else data[~np.isnan(data)]
    found = (float(finite.min()), float(finite.max())) if finite.size else (np.nan, np.nan)
    _RANGES[layer] = (data, found)
    return found


def probability_rank(layer: Layer) -> tuple[bool, bool, bool]:
    """How much ``layer`` looks like a probability map: a key to sort by, higher is better.

    The one ranking of probability maps: the header's probability layer and the Evaluate
    tab's prediction both use it. First a floating-point image whose values lie in [0, 1] and
    whose name says so (a word of :data:`MAP_WORDS` or :data:`PRED_WORDS`: prob, probmap,
    probability, pred, predictions, confidence, score, softmax, sigmoid, ...; see
    :func:`name_words`); then an 8- or 16-bit unsigned image named as a map (a word of
    :data:`MAP_WORDS`, not only "pred" or "preds": those also name label images), read as
    value / dtype max; then any
    floating-point image in [0, 1] (a normalised raw image is one too, so the name comes
    first) not named as microscopy (:data:`RAW_WORDS`: raw, image, DAPI, ...). The range is
    exact for numpy data and napari's estimate (the contrast limits range) for lazy data,
    which is never read. Anything else ranks lowest: raw microscopy (integer images not named
    as a map, float images named as raw), float images outside [0, 1], RGB images, and the
    image of a dataset pair opened for review.

    Parameters
    ----------
    layer : napari.layers.Layer
        Any layer.

    Returns
    -------
    tuple of bool
        A key to sort by; all False for a layer that does not look like a probability map.

    Examples
    --------
    >>> prob = Image(np.array([[0.1, 0.9]], np.float32), name="nuclei prob")
    >>> word = Image(np.array([[0, 60000]], np.uint16), name="nuclei probability")
    >>> unnamed = Image(np.array([[0.1, 0.9]], np.float32), name="output")
    >>> raw = Image(np.array([[0, 4000]], np.uint16), name="raw")
    >>> ranks = [probability_rank(x) for x in (prob, word, unnamed, raw)]
    >>> ranks == sorted(ranks, reverse=True) and len(set(ranks)) == 4
    True
    >>> probability_rank(raw)
    (False, False, False)
    >>> probability_rank(Image(np.array([[0.1, 0.9]], np.float32), name="raw"))  # normalised
    (False, False, False)
    """
    pair_image = is_ours(layer, PAIR_ROLE) and tag(layer).get("side") == "image"
    if not isinstance(layer, Image) or layer.rgb or pair_image:
        return (False, False, False)
    dtype = np.dtype(level0(layer).dtype)
    in_0_1 = False
    if np.issubdtype(dtype, np.floating):
        low, high = value_range(layer)
        in_0_1 = bool(low >= 0.0 and high <= 1.0)
    words = name_words(layer.name)
    named = not words.isdisjoint(MAP_WORDS | PRED_WORDS)
    # read as value / dtype max (probability_data)
    integer_map = integer_map_dtype(dtype) and not words.isdisjoint(MAP_WORDS)
    return (in_0_1 and named, integer_map, in_0_1 and (named or words.isdisjoint(RAW_WORDS)))


def truth_rank(layer: Layer) -> tuple[bool, int]:
    """How much a Labels ``layer`` looks like a ground truth: a key to sort by, higher is better.

    Not one of our result layers (a threshold preview, evaluated labels, error layers, ...:
    ``(False, 0)``, the lowest; the layers of a dataset pair opened for review are the
    user's files, not results); then its name's words (:func:`name_words`): a name with a
    word of :data:`TRUTH_WORDS` (gt, truth, annotation, manual, ...) or with no word of
    :data:`PREDICTION_WORDS` ranks 1, plus how many more truth words than words of a model or
    tool (:data:`MODEL_WORDS`) it has: mask words (:data:`MASK_WORDS`) name a ground truth as
    well, so ``mask_gt`` ranks as ``gt`` (2), above ``pred_gt`` (1: a prediction's word
    against a truth's, as a name with neither); a name with prediction words only ranks 1
    minus their :func:`prediction_words_score`: lowest with a model's or tool's name (a word of
    :data:`MODEL_WORDS`: stardist, cellpose, cp, unet, model, pred, seg, ...), then with
    more mask words (mask, masks, segmentation). So of two Cellpose names, ``img_masks``
    (the annotation) outranks ``img_cp_masks`` (the model's masks), and ``masks`` outranks
    ``stardist_labels``, whichever was opened first. Names still tied keep the layers'
    order (the chooser takes the first).

    Examples
    --------
    >>> def rank(name):
    ...     return truth_rank(Labels(np.zeros((2, 2), int), name=name))
    >>> rank("nuclei gt") > rank("cellpose masks")
    True
    >>> rank("img2_masks") > rank("img2_cp_masks"), rank("X_gt") > rank("X_pred")
    (True, True)
    >>> rank("labels") > rank("predicted labels")
    True
    >>> rank("masks") > rank("stardist_labels")
    True
    >>> rank("img2_masks"), rank("img2_cp_masks"), rank("labels"), rank("gt")
    ((True, 0), (True, -4), (True, 1), (True, 2))
    >>> rank("mask_gt"), rank("pred_gt")
    ((True, 2), (True, 1))
    """
    if is_ours(layer) and not is_ours(layer, PAIR_ROLE) and not renamed_by_user(layer):
        return (False, 0)
    words = name_words(layer.name)
    n_truth, n_prediction = len(words & TRUTH_WORDS), len(words & PREDICTION_WORDS)
    if n_truth:  # mask words go with truth words too (a truth's "mask_gt"); a model's do not
        return (True, 1 + max(0, n_truth - len(words & MODEL_WORDS)))
    if not n_prediction:
        return (True, 1)
    return (True, 1 - prediction_words_score(words))


def prediction_rank(layer: Layer, truth: Layer | None) -> tuple[bool, int, tuple]:
    """How much ``layer`` looks like the prediction to compare with ``truth``: higher is better.

    A Labels layer other than the truth and not one of our result layers comes first (among
    them, of names without :data:`TRUTH_WORDS`, first one with a model's or tool's name, a
    word of :data:`MODEL_WORDS` such as "stardist", "cp" or "pred", then one with more mask
    words such as "masks": :func:`prediction_words_score`; names still tied keep the layers'
    order); then a probability map (:func:`probability_rank`); never the truth itself.

    Examples
    --------
    >>> gt = Labels(np.zeros((2, 2), int), name="gt")
    >>> image = Image(np.array([[0.2, 0.9]]), name="nuclei")
    >>> prob = Image(np.array([[0.1, 0.9]], np.float32), name="nuclei probability")
    >>> max([gt, image, prob], key=lambda layer: prediction_rank(layer, gt)).name
    'nuclei probability'
    >>> masks = Labels(np.zeros((2, 2), int), name="img_masks")
    >>> cp = Labels(np.zeros((2, 2), int), name="img_cp_masks")
    >>> max([masks, cp], key=lambda layer: prediction_rank(layer, gt)).name
    'img_cp_masks'
    """
    if layer is truth or is_ours(layer):
        return (False, 0, (False, False, False))
    if isinstance(layer, Labels):
        words = name_words(layer.name)
        named = 0 if words & TRUTH_WORDS else prediction_words_score(words)
        return (True, named, (False, False, False))
    return (False, 0, probability_rank(layer))


def truth_by_order_notice(chosen: Layer | None, candidates: Sequence[Layer]) -> str:
    """What the dock says when it chose the ground truth ``chosen`` among ``candidates`` (the
    Labels layers, in the layer list's order) by their order, their names telling no better:
    another candidate ranks as high (:func:`truth_rank`) and one of the two names has both a
    truth word and a model's (:data:`TRUTH_WORDS`, :data:`MODEL_WORDS`: ``pred_gt``, "a
    prediction of the gt" or "the gt of a prediction"). Else "" (names that say nothing,
    ``labels`` and ``nuclei``, are not guessed from: nothing to say).

    Parameters
    ----------
    chosen : Layer or None
        The ground truth the chooser took.
    candidates : sequence of Layer
        The layers it chose from.

    Returns
    -------
    str
        One sentence naming both layers, or "".

    Examples
    --------
    >>> def labels(name):
    ...     return Labels(np.zeros((2, 2), int), name=name)
    >>> first, second = labels("pred_gt"), labels("seg_gt")
    >>> print(truth_by_order_notice(first, [first, second]))  # doctest: +NORMALIZE_WHITESPACE
    ground truth 'pred_gt' chosen by the layers' order: its name tells a ground truth no
    better than 'seg_gt' does (a name with a word of a truth and one of a prediction, such as
    'pred_gt', says neither). If the truth is 'seg_gt', choose it under Ground truth.
    >>> mask, pred = labels("mask_gt"), labels("pred_gt")
    >>> truth_by_order_notice(mask, [pred, mask])  # mask_gt ranks higher: nothing to say
    ''
    """
    if chosen is None:
        return ""
    rank = truth_rank(chosen)

    def both_ways(layer: Layer) -> bool:
        words = name_words(layer.name)
        return bool(words & TRUTH_WORDS) and bool(words & MODEL_WORDS)

    tied = [
        layer
        for layer in candidates
        if layer is not chosen
        and truth_rank(layer) == rank
        and (both_ways(layer) or both_ways(chosen))
    ]
    if not tied:
        return ""
    others = " or ".join(repr(layer.name) for layer in tied)
    return (
        f"ground truth {chosen.name!r} chosen by the layers' order: its name tells a ground "
        f"truth no better than {others} does (a name with a word of a truth and one of a "
        "prediction, such as 'pred_gt', says neither). If the truth is "
        f"{others}, choose it under Ground truth."
    )


#: Why the predicted objects have no score when no layer is chosen to give one.
NO_SCORES = (
    "choose a probability layer in the header (a map of the ground truth's shape), or a "
    "one-class probability map as the prediction."
)


def score_layer(
    prediction: Layer | None,
    confidence: Layer | None,
    truth_shape: tuple[int, ...] | None,
    channel_axis: int | None,
) -> tuple[Layer | None, str]:
    """The layer whose mean over each predicted object is the object's score, or why none is.

    The one rule of the Evaluate tab: the run reads the scores (COCO AP ranks the objects by
    them; Review shows them as confidence) from the layer this returns, and the COCO preset is
    offered exactly when it returns one. Only shapes and dtypes are read, never pixels.

    Parameters
    ----------
    prediction : napari.layers.Layer or None
        The prediction. A probability map (Image) scores its own objects when it has one class;
        the header's map is then not used.
    confidence : napari.layers.Layer or None
        The header's probability layer (None when none is chosen). It scores the objects of a
        Labels prediction when its full-resolution shape is the ground truth's and it holds
        probabilities (floating point, or unsigned integers read as value / dtype max).
    truth_shape : tuple of int or None
        The ground truth's shape (None: no ground truth chosen yet, not checked).
    channel_axis : int or None
        The header's class axis, which a probability map prediction is read with.

    Returns
    -------
    layer : napari.layers.Layer or None
        ``prediction``, ``confidence``, or None when the objects get no score.
    why : str
        "" with a layer; else why not and what to choose, a sentence.

    Examples
    --------
    >>> prob = Image(np.array([[0.1, 0.9]], np.float32), name="prob")
    >>> labels = Labels(np.array([[0, 1]], np.uint8), name="pred")
    >>> score_layer(labels, prob, (1, 2), None)[0] is prob
    True
    >>> softmax = Image(np.zeros((2, 1, 2), np.float32), name="softmax")
    >>> score_layer(softmax, softmax, (1, 2), 0)[1].split(",")[0]
    "the prediction 'softmax' is a multi-class map (class axis 0)"
    >>> big = Image(np.zeros((2, 2), np.float32), name="big")
    >>> score_layer(labels, big, (1, 2), None)[1].split(":")[0]
    "the header's probability layer 'big' is (2, 2); the ground truth is (1, 2)"
    """
    if isinstance(prediction, Image):
        if channel_axis is not None:
            return None, (
                f"the prediction {prediction.name!r} is a multi-class map (class axis "
                f"{channel_axis}), whose objects have no one probability: use a one-class map "
                "as the prediction, or a Labels prediction with a one-class map of the ground "
                "truth's shape in the header."
            )
        source, whose = prediction, f"the prediction {prediction.name!r}"
    else:
        if confidence is None:
            return None, NO_SCORES
        source, whose = confidence, f"the header's probability layer {confidence.name!r}"
        shape = tuple(level0(confidence).shape)
        if truth_shape is not None and shape != tuple(truth_shape):
            return None, (
                f"{whose} is {shape}; the ground truth is {tuple(truth_shape)}: choose a map of "
                "the ground truth's shape, or a one-class probability map as the prediction."
            )
    try:
        probability_scale(level0(source).dtype)
    except TypeError as error:
        return None, f"{whose}: {error}"
    return source, ""


def integer_images(viewer: Viewer) -> list[Image]:
    """The viewer's Image layers of integer data (single channel): candidates for labels."""
    return [
        layer
        for layer in viewer.layers
        if isinstance(layer, Image)
        and not layer.rgb
        and np.issubdtype(np.dtype(level0(layer).dtype), np.integer)
    ]


def label_image_rank(layer: Layer) -> tuple[bool, tuple[bool, int], bool]:
    """How much an integer Image ``layer`` looks like a ground truth's label image, to offer
    it first for conversion to labels: a key to sort by, higher is better. By its name only
    (nothing is read): first a name with a word of a segmentation (:data:`TRUTH_WORDS` or
    :data:`PREDICTION_WORDS`: gt, masks, ...), then :func:`truth_rank`, then a name without a
    microscopy image's words (:data:`RAW_WORDS`).

    Examples
    --------
    >>> images = [Image(np.zeros((2, 2), np.uint16), name=name)
    ...           for name in ("img1", "img1_cp_masks", "img1_masks")]
    >>> max(images, key=label_image_rank).name
    'img1_masks'
    """
    words = name_words(layer.name)
    return (
        not words.isdisjoint(TRUTH_WORDS | PREDICTION_WORDS),
        truth_rank(layer),
        words.isdisjoint(RAW_WORDS),
    )


def labels_from_image(viewer: Viewer, image: Image) -> Labels:
    """Add a new Labels layer holding ``image``'s integer values; the image is not changed.

    Numpy data is copied (painting the labels never writes into the image); other arrays are
    wrapped read-only in dask. Scale, translate and the rest of the world grid are kept.

    Examples
    --------
    >>> from napari.components import ViewerModel
    >>> viewer = ViewerModel()
    >>> image = viewer.add_image(np.array([[0, 3]], np.uint8), name="ids")
    >>> labels = labels_from_image(viewer, image)
    >>> labels.name, labels.data.tolist(), labels.data is image.data
    ('ids labels', [[0, 3]], False)
    """
    dtype = np.dtype(level0(image).dtype)
    if not np.issubdtype(dtype, np.integer) or image.rgb:
        raise TypeError(
            f"layer {image.name!r} holds {'RGB' if image.rgb else dtype} values; only an image "
            "of integer object ids can become labels."
        )
    if image.multiscale:
        data = [
            level.copy() if isinstance(level, np.ndarray) else _lazy(level) for level in image.data
        ]
    else:
        data = image.data.copy() if isinstance(image.data, np.ndarray) else _lazy(image.data)
    return viewer.add_labels(
        data,
        name=f"{image.name} labels",
        multiscale=image.multiscale,
        **world_settings(image),
    )


def _lazy(array: Any) -> Any:
    import dask.array as da

    return array if isinstance(array, da.Array) else da.from_array(array, chunks="auto")
