"""Annotation review: which objects went wrong, where they are, and how sure the model was.

Everything is computed per pixel block with ``np.bincount`` (area, centroid, mean confidence)
or with a lookup table from id to status (error maps): never a loop over objects or a
full-frame mask per object.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._thread_callbacks import compute
from ._validate import (
    as_label_image,
    as_label_pair,
    check_ignore_label,
    check_non_negative,
    check_probability_range,
    probability_array,
    warn_if_background_ignored,
    warn_if_masks,
)
from ._warn import called_as, caller
from .blocks import aligned, as_dask, chunk_tree, is_lazy
from .instance import (
    REVIEW_THRESHOLD,
    InstanceResult,
    ObjectPairs,
    check_exclude_border,
    instance_metrics,
    threshold_fraction,
)
from .overlap import id_dtype

#: Values of :func:`error_map`. FN wins over FP, and both over TP, where objects overlap.
TP, FP, FN = 1, 2, 3

#: Error kinds of true objects, in order of precedence (see :func:`add_error_kinds`).
TRUE_KINDS = ("matched", "merged", "split", "poor overlap", "missed")
#: Error kinds of predicted objects, in order of precedence.
PRED_KINDS = ("matched", "merge", "fragment", "poor overlap", "spurious")
#: Values of :func:`error_map` with ``by="kind"``: (side, kind) -> value. A matched object is
#: 1 on either side; the other kinds have one value per side.
KIND_VALUES = {
    ("true", "matched"): 1,
    ("pred", "matched"): 1,
    ("true", "missed"): 2,
    ("pred", "spurious"): 3,
    ("true", "merged"): 4,
    ("pred", "merge"): 5,
    ("true", "split"): 6,
    ("pred", "fragment"): 7,
    ("true", "poor overlap"): 8,
    ("pred", "poor overlap"): 9,
    ("true", "excluded"): 10,
    ("pred", "excluded"): 10,
}
#: Status and error kind of an object removed at the image border (``exclude_border``): left
#: out of the matching on both sides, so neither a match nor an error.
EXCLUDED = "excluded"

#: What the error layer shows by kind: (legend name, RGBA in 0..1, the KIND_VALUES painted).
#: Six colours of Paul Tol's colour-blind-safe "muted" scheme, leaving out its indigo, cyan,
#: green and sand, which lie near the confidence colormap's blue, light blue, green and yellow.
#: A true-side kind and its predicted-side counterpart share a colour.
KIND_COLORS = (
    ("matched", (0.867, 0.867, 0.867, 1.0), (1,)),  # pale grey #DDDDDD
    ("missed", (0.8, 0.4, 0.467, 1.0), (2,)),  # rose #CC6677
    ("spurious", (0.267, 0.667, 0.6, 1.0), (3,)),  # teal #44AA99
    ("merged / merge", (0.667, 0.267, 0.6, 1.0), (4, 5)),  # purple #AA4499
    ("split / fragment", (0.6, 0.6, 0.2, 1.0), (6, 7)),  # olive #999933
    ("poor overlap", (0.533, 0.133, 0.333, 1.0), (8, 9)),  # wine #882255
    # Not Tol's: a pale tan, the one neutral tone that stays apart from the others.
    ("excluded at the border", (0.824, 0.765, 0.647, 1.0), (10,)),  # tan #D2C3A5
)
#: Matched objects on a light background (a white page, a bright-field image, napari's light
#: canvas): charcoal #222222, as far from white as the pale grey #DDDDDD is from black, and as
#: far from the other kinds' colours, also as seen with each colour-vision deficiency
#: (CIEDE2000 above 10; above 15 from the confidence colormap).
MATCHED_ON_LIGHT = (0.133, 0.133, 0.133, 1.0)
#: :data:`KIND_COLORS` for a light background: matched objects charcoal.
KIND_COLORS_ON_LIGHT = tuple(
    (name, MATCHED_ON_LIGHT if name == "matched" else color, values)
    for name, color, values in KIND_COLORS
)

_BLOCK_PIXELS = 1 << 20

#: Each matching criterion (:func:`~napari_seg_eval.instance_metrics`' ``criterion``): what
#: is compared with the threshold t, and how.
MATCH_RULES = {
    "iou": ("IoU", "≥"),
    "iot": ("|T∩P|/|T|", ">"),
    "iop": ("|T∩P|/|P|", ">"),
}


def match_rule(criterion: str, threshold: float | None = None) -> str:
    """The rule by which a true object T and a prediction P may match, in words: the
    criterion's quantity, and with ``threshold`` the comparison (two decimals).

    Parameters
    ----------
    criterion : {"iou", "iot", "iop"}
        The matching criterion: IoU ≥ t; intersection over truth > t (the Cell Tracking
        Challenge's rule at 0.5); intersection over prediction > t.
    threshold : float, optional
        The threshold t; None: the quantity alone.

    Returns
    -------
    str
        E.g. ``"IoU ≥ 0.50"``, ``"|T∩P|/|T| > 0.50"``, or ``"|T∩P|/|T|"``.

    Raises
    ------
    ValueError
        An unknown criterion.

    Examples
    --------
    >>> match_rule("iou", 0.5), match_rule("iot", 0.5), match_rule("iop")
    ('IoU ≥ 0.50', '|T∩P|/|T| > 0.50', '|T∩P|/|P|')
    """
    if criterion not in MATCH_RULES:
        raise ValueError(f"criterion must be one of iou, iot, iop, got {criterion!r}.")
    quantity, comparison = MATCH_RULES[criterion]
    return quantity if threshold is None else f"{quantity} {comparison} {threshold:.2f}"


class _IdIndex:
    """Maps label ids to small consecutive codes for ``np.bincount``.

    Arithmetic stays in the labels' own dtype (``lowest`` is a NumPy scalar of it), so ids of
    ``uint64`` images at and above 2**63 are exact.
    """

    def __init__(self, labels: np.ndarray):
        self.dtype = labels.dtype
        self.lowest = labels.min()
        self.span = int(labels.max()) - int(self.lowest) + 1
        # A range of ids as wide as the image is still cheap to count directly.
        self.ids = None if self.span <= max(labels.size, 1 << 20) else np.unique(labels)

    @property
    def size(self) -> int:
        return self.span if self.ids is None else self.ids.size

    def codes(self, block: np.ndarray) -> np.ndarray:
        """The code of each id in ``block`` (ids present in the labels, in any integer dtype:
        they are cast to the labels' dtype, exactly since they occur in the labels)."""
        block = block.astype(self.dtype, copy=False)
        if self.ids is None:
            return (block - self.lowest).astype(np.intp, copy=False).ravel()
        return np.searchsorted(self.ids, block).ravel()

    def labels(self, codes: np.ndarray) -> np.ndarray:
        if self.ids is None:
            return codes.astype(self.dtype) + self.lowest
        return self.ids[codes]


def _checked_probability(
    probability: np.ndarray | None, shape: tuple[int, ...]
) -> np.ndarray | None:
    """``probability`` as a float array of ``shape`` with values in [0, 1], or raise.

    A chunked map is checked chunk by chunk when it is read (see :func:`_object_sums`).
    """
    if probability is None:
        return None
    probability = probability_array(probability, "probability")
    if probability.shape != shape:
        raise ValueError(f"shape mismatch: labels {shape} vs probability {probability.shape}")
    if not is_lazy(probability):
        # min and max propagate NaN: one check names NaN and out-of-range values alike.
        check_probability_range(probability.min(), probability.max(), "probability values")
    return probability


def object_measurements(labels: np.ndarray, probability: np.ndarray | None = None) -> pd.DataFrame:
    """Area, centroid, bounding box and mean probability of every non-zero label.

    Computed from the runs of equal labels along the last axis, with ``np.bincount``: no loop
    over objects and no mask per object. Chunked (dask, zarr) inputs are measured chunk by
    chunk, each chunk's sums placed by its offset in the image, and the sums added up on dask's
    current scheduler: they are never read whole, and the result is the in-memory one (the
    mean probability up to the order of additions).

    Parameters
    ----------
    labels : numpy.ndarray or chunked array
        An integer (or boolean) label image, any number of dimensions; 0 is background. Ids
        are exact in any integer dtype (``uint64`` ids >= 2**63 included).
    probability : numpy.ndarray or chunked array, optional
        Floating point probabilities in [0, 1], the same shape as ``labels``. NaN or values
        outside [0, 1] are refused before any work (on a chunked map: when its chunk is read).

    Returns
    -------
    pandas.DataFrame
        One row per label, sorted by label: ``label, area, centroid_0 .. centroid_{ndim-1}``
        (pixel coordinates), the bounding box ``bbox_start_0 .., bbox_stop_0 ..`` (pixel
        indices, stop excluded, as slices) and, with ``probability``, ``mean_confidence``.

    Raises
    ------
    TypeError, ValueError
        For labels that are not an integer label image, negative ids, or probabilities that
        are not floats of the same shape in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import object_measurements
    >>> labels = np.array([[0, 5, 5], [0, 5, 0]])
    >>> prob = np.array([[0.0, 0.9, 0.6], [0.0, 0.3, 0.0]])
    >>> row = object_measurements(labels, prob).iloc[0]
    >>> int(row["label"]), int(row["area"]), float(row["centroid_1"])
    (5, 3, 1.3333333333333333)
    >>> int(row["bbox_start_1"]), int(row["bbox_stop_1"])  # columns 1 and 2
    (1, 3)
    >>> import dask.array as da  # chunk by chunk: the same table
    >>> int(object_measurements(da.from_array(labels, chunks=1)).iloc[0]["bbox_stop_1"])
    3
    """
    labels = as_label_image(labels, "labels")
    (table,) = _measure([labels], _checked_probability(probability, labels.shape))
    return table


def object_confidence(labels: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    """The mean, lowest and highest probability inside every non-zero label.

    One pass as :func:`object_measurements` (chunk by chunk on chunked inputs): the sum, the
    minimum and the maximum are additive over blocks of pixels. (A median is not: it needs all
    of an object's values at once.)

    Parameters
    ----------
    labels : numpy.ndarray or chunked array
        An integer (or boolean) label image; 0 is background.
    probability : numpy.ndarray or chunked array
        Floating point probabilities in [0, 1], the same shape.

    Returns
    -------
    pandas.DataFrame
        ``label, mean_confidence, min_confidence, max_confidence``, one row per label, sorted
        by label (float64).

    Raises
    ------
    TypeError, ValueError
        As :func:`object_measurements`.

    Examples
    --------
    >>> table = object_confidence(np.array([[1, 1, 0, 2]]), np.array([[0.2, 0.6, 0.0, 0.9]]))
    >>> table.values.tolist()
    [[1.0, 0.4, 0.2, 0.6], [2.0, 0.9, 0.9, 0.9]]
    """
    labels = as_label_image(labels, "labels")
    probability = _checked_probability(probability, labels.shape)
    (table,) = _measure([labels], probability, extremes=True)
    return table[["label", "mean_confidence", "min_confidence", "max_confidence"]]


def _measure(
    images: list[np.ndarray], probability: np.ndarray | None, *, extremes: bool = False
) -> list[pd.DataFrame]:
    """The measurements of each of ``images`` (checked label images of one shape): one pass
    over the pixels (and over ``probability``, read once for all of them)."""
    return [_table(sums, images[0].ndim) for sums in _sums(images, probability, extremes)]


def _sums(
    images: list[np.ndarray], probability: np.ndarray | None, extremes: bool
) -> list[dict[str, np.ndarray]]:
    """The sums of :func:`_object_sums` of each of ``images`` (checked label images of one
    shape) over the whole image: one pass (chunk by chunk if one input is chunked)."""
    arrays = [*images] if probability is None else [*images, probability]
    if any(is_lazy(a) for a in arrays):
        (sums,) = compute(_sums_lazy(images, probability, extremes))
        return sums
    offset = (0,) * images[0].ndim
    return [_object_sums(offset, image, probability, extremes) for image in images]


def _sums_lazy(images: list[Any], probability: Any, extremes: bool) -> Any:
    """The sums of :func:`_object_sums` of each of ``images`` (checked, one shape) over their
    aligned chunks (numpy inputs on the grid of the first chunked one, or on dask's chunks of
    the first image), each chunk's sums placed by its offset in the image: a dask ``Delayed``
    of the list, not yet computed."""
    n_images = len(images)
    arrays = [*images] if probability is None else [*images, probability]
    if not any(is_lazy(a) for a in arrays):  # numpy only: on dask's chunks of the first
        arrays[0] = as_dask(arrays[0])

    def partial(offset, *blocks):
        prob = None if probability is None else blocks[-1]
        if prob is not None:  # NaN propagates to min and max: one check names both
            check_probability_range(prob.min(), prob.max(), "probability values")
        return [_object_sums(offset, b, prob, extremes) for b in blocks[:n_images]]

    def combine(parts):
        return [_combine_sums([part[i] for part in parts]) for i in range(n_images)]

    arrays = aligned(arrays)
    starts = [np.cumsum((0, *sizes[:-1])).tolist() for sizes in arrays[0].chunks]
    # One task per chunk, its offset bound: a graph linear in the chunks (see chunk_tree).
    tasks = [functools.partial(partial, offset) for offset in itertools.product(*starts)]
    return chunk_tree(tasks, combine, arrays)


def object_sums_lazy(images: Sequence[Any], probability: Any = None) -> Any:
    """The additive per-object sums behind :func:`object_measurements`, lazily: for
    computing them together with other passes over the same chunks (``dask.compute``).

    Parameters
    ----------
    images : sequence of array_like
        Integer (or boolean) label images of one shape, numpy or chunked (dask, zarr): all are
        put on the chunk grid of the first chunked one (with ``probability``).
    probability : array_like, optional
        Floating point probabilities in [0, 1] of the same shape (checked here; its values
        chunk by chunk, when read).

    Returns
    -------
    dask.delayed.Delayed
        The list of the sums of each image (a dict per image: ``label``, ``area``,
        ``coordinates``, ``low``, ``high`` and, with ``probability``, ``confidence``), for
        :func:`measurements_from_sums` or :func:`relabelled_sums`; not yet computed.

    Raises
    ------
    TypeError, ValueError
        As :func:`object_measurements` (before anything is read).

    Examples
    --------
    >>> import dask.array as da
    >>> labels = da.from_array(np.array([[0, 5, 5, 3]]), chunks=2)
    >>> (sums,) = object_sums_lazy([labels]).compute()
    >>> sums["label"].tolist(), sums["area"].tolist()
    ([3, 5], [1, 2])
    """
    checked = [as_label_image(image, "labels") for image in images]
    shape = tuple(checked[0].shape)
    for image in checked[1:]:
        if tuple(image.shape) != shape:
            raise ValueError(f"shape mismatch: labels {shape} vs labels {tuple(image.shape)}")
    return _sums_lazy(checked, _checked_probability(probability, shape), extremes=False)


def relabelled_sums(sums: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, np.ndarray]:
    """The sums of objects renamed: each object's sums under its new label, the sums of
    objects given one label combined, those renamed 0 dropped (they become background).

    This is how the sums of the chunk-local objects of a chunked labelling become those of
    the joined objects: exactly the sums of the relabelled image, as sums, minima and maxima
    do not depend on how the pixels are grouped.

    Parameters
    ----------
    sums : dict of numpy.ndarray
        Sums of one image (see :func:`object_sums_lazy`).
    labels : numpy.ndarray
        The new label of each of ``sums["label"]``, in the new labels' dtype.

    Returns
    -------
    dict of numpy.ndarray
        The sums of the relabelled objects, sorted by label.

    Examples
    --------
    >>> import dask.array as da
    >>> (sums,) = object_sums_lazy([da.from_array(np.array([[1, 2, 0, 3]]), chunks=2)]).compute()
    >>> joined = relabelled_sums(sums, np.array([7, 7, 0], np.uint8))  # 1 and 2 are one object
    >>> joined["label"].tolist(), joined["area"].tolist(), joined["high"].tolist()
    ([7], [2], [[1, 2]])
    """
    kept = labels != 0
    renamed = {name: values[kept] for name, values in sums.items()}
    renamed["label"] = labels[kept]
    return _summed_by_label(renamed)


def object_scores_lazy(labels: Any, probability: Any, region: Any = None) -> Any:
    """The sums behind each object's mean probability inside ``region``, lazily: for
    :func:`object_scores_of`, computed together with other passes over the same chunks.

    Parameters
    ----------
    labels : array_like or ChunkedLabelling
        A label image (numpy or chunked), or the chunked labelling of a mask before its join
        (:class:`~napari_seg_eval.core.threshold.ChunkedLabelling`): then each chunk is
        labelled again from the mask's chunks, so that a computation which also labels them
        (e.g. for its tables) reads each chunk once, and the sums are under the chunks' node
        keys, with each node's pixels inside the region.
    probability : array_like
        Probabilities in [0, 1] of the labels' shape (numpy or chunked).
    region : array_like of bool, optional
        Only the pixels inside count (an object keeps its pixels inside).

    Returns
    -------
    dask.delayed.Delayed or list
        The sums, not yet computed when an input is chunked (computed for numpy inputs, in
        one pass as :func:`object_measurements` makes them).

    Raises
    ------
    TypeError, ValueError
        As :func:`object_measurements` (before anything is read).

    Examples
    --------
    >>> labels = np.array([[1, 1, 0, 2]])
    >>> prob, region = np.array([[0.2, 0.6, 0.0, 0.9]]), np.array([[True, False, True, True]])
    >>> object_scores_of(object_scores_lazy(labels, prob, region))["score"].tolist()
    [0.2, 0.9]
    """
    if hasattr(labels, "passes_lazy"):  # a ChunkedLabelling (core.threshold imports us)
        if region is None:
            return labels.passes_lazy(labels.mask.astype(bool), probability=probability)
        inside = np.where(region, probability, probability.dtype.type(0))
        return labels.passes_lazy(region, region=region, probability=inside)
    labels = as_label_image(labels, "labels")
    if region is not None:
        labels = np.where(region, labels, labels.dtype.type(0))
    probability = _checked_probability(probability, tuple(labels.shape))
    if is_lazy(labels) or is_lazy(probability):
        return _sums_lazy([labels], probability, extremes=False)
    return _sums([labels], probability, extremes=False)


def object_scores_of(computed: Any, joined: Any = None) -> pd.DataFrame:
    """Each object's mean probability inside the region, from :func:`object_scores_lazy`.

    Parameters
    ----------
    computed
        The computed result of :func:`object_scores_lazy`.
    joined : JoinedLabels, optional
        For a chunked labelling's sums: its objects joined
        (:meth:`~napari_seg_eval.core.threshold.ChunkedLabelling.join`), which rename the
        node keys (the sums and the pixels inside of the nodes of one object add up).

    Returns
    -------
    pandas.DataFrame
        ``label`` and ``score``, one row per object with pixels inside, sorted by label (as
        :func:`~napari_seg_eval.core.confidence.coco_average_precision` takes them).

    Examples
    --------
    >>> computed = object_scores_lazy(np.array([[3, 3, 0]]), np.array([[0.5, 0.75, 0.0]]))
    >>> object_scores_of(computed).values.tolist()
    [[3.0, 0.625]]
    """
    if joined is None:
        (sums,) = computed
        return pd.DataFrame({"label": sums["label"], "score": sums["confidence"] / sums["area"]})
    _, node_table, node_sums, _, _ = computed
    sums = relabelled_sums(node_sums, joined.global_ids(node_sums["label"]))
    table = joined.relabelled(node_table, np.uint8)  # the pixels inside of each object (and 0)
    objects = table.pred_ids != 0
    inside = pd.Series(table.pred_areas[objects], index=table.pred_ids[objects])
    area = inside.reindex(sums["label"]).to_numpy()
    kept = ~np.isnan(area)  # objects wholly outside have no score
    return pd.DataFrame(
        {"label": sums["label"][kept], "score": sums["confidence"][kept] / area[kept]}
    )


def measurements_from_sums(
    true_sums: dict[str, np.ndarray], pred_sums: dict[str, np.ndarray], ndim: int
) -> pd.DataFrame:
    """The table of :func:`measure_both` from the sums of both images.

    Parameters
    ----------
    true_sums, pred_sums : dict of numpy.ndarray
        The sums of the ground truth and of the prediction, each of the whole image (see
        :func:`object_sums_lazy`, :func:`relabelled_sums`).
    ndim : int
        The images' number of axes.

    Returns
    -------
    pandas.DataFrame
        As :func:`measure_both`: the truth's rows, then the prediction's.

    Examples
    --------
    >>> import dask.array as da
    >>> images = [da.from_array(np.array([[1, 1, 0]])), da.from_array(np.array([[0, 2, 2]]))]
    >>> sums = object_sums_lazy(images).compute()
    >>> measurements_from_sums(*sums, ndim=2)[["kind", "label", "area"]].values.tolist()
    [['true', 1, 2], ['pred', 2, 2]]
    """
    # One label dtype for both: pandas would join int64 and uint64 labels as float64.
    dtype = id_dtype(true_sums["label"].dtype, pred_sums["label"].dtype)
    return pd.concat(
        [
            _table(sums, ndim).astype({"label": dtype}).assign(kind=kind)
            for sums, kind in ((true_sums, "true"), (pred_sums, "pred"))
        ],
        ignore_index=True,
    )


def _object_sums(
    offset: tuple[int, ...],
    labels: np.ndarray,
    probability: np.ndarray | None,
    extremes: bool,
) -> dict[str, np.ndarray]:
    """Additive sums per non-zero label of a block whose first pixel is at ``offset`` in the
    image: ``label`` (sorted), ``area``, ``coordinates`` (sums, ``(n, ndim)``), ``low``/``high``
    (bounding box), and with ``probability`` ``confidence`` (its sum) and, with ``extremes``,
    ``lowest``/``highest``. Coordinate sums are integers, exact in float64 below 2**53."""
    flat = np.ascontiguousarray(labels).ravel()
    width = labels.shape[-1]
    changes = np.empty(flat.size, bool)  # changes[i]: a run starts at pixel i
    changes[0] = True
    np.not_equal(flat[1:], flat[:-1], out=changes[1:])
    changes[::width] = True  # runs never cross to the next row
    starts = np.flatnonzero(changes)
    del changes
    run_labels = flat[starts]
    check_non_negative(run_labels, "labels")
    lengths = np.diff(starts, append=flat.size)
    if probability is not None:
        flat_probability = np.ascontiguousarray(probability).ravel()
        run_probability = {"confidence": np.add.reduceat(flat_probability, starts, dtype=float)}
        if extremes:
            run_probability["lowest"] = np.minimum.reduceat(flat_probability, starts)
            run_probability["highest"] = np.maximum.reduceat(flat_probability, starts)
    objects = run_labels != 0
    run_labels, starts, lengths = run_labels[objects], starts[objects], lengths[objects]
    index = _IdIndex(run_labels) if run_labels.size else None
    codes = index.codes(run_labels) if index is not None else np.zeros(0, np.intp)
    n_codes = index.size if index is not None else 0
    area = np.bincount(codes, weights=lengths, minlength=n_codes)
    present = np.flatnonzero(area > 0)
    ids = index.labels(present) if index is not None else np.zeros(0, labels.dtype)
    sums = {"label": ids, "area": area[present].astype(np.int64)}
    first = np.unravel_index(starts, labels.shape)
    ndim = labels.ndim
    coordinates = np.empty((present.size, ndim))
    low = np.empty((present.size, ndim), np.int64)
    high = np.empty((present.size, ndim), np.int64)
    for axis in range(ndim):
        start = first[axis].astype(np.int64) + offset[axis]
        if axis == ndim - 1:  # columns c0 .. c0 + L - 1 along the run
            coordinate_sum = lengths * start + lengths * (lengths - 1) // 2
            stop = start + lengths
        else:
            coordinate_sum = lengths * start
            stop = start + 1
        coordinates[:, axis] = np.bincount(codes, coordinate_sum, n_codes)[present]
        low[:, axis] = _reduce_at(np.minimum, codes, start, n_codes)[present]
        high[:, axis] = _reduce_at(np.maximum, codes, stop, n_codes)[present]
    sums.update(coordinates=coordinates, low=low, high=high)
    if probability is not None:
        sums["confidence"] = np.bincount(codes, run_probability["confidence"][objects], n_codes)[
            present
        ]
        if extremes:
            for name, ufunc in (("lowest", np.minimum), ("highest", np.maximum)):
                values = run_probability[name][objects].astype(np.float64)
                sums[name] = _reduce_at(ufunc, codes, values, n_codes)[present]
    return sums


def _reduce_at(ufunc: np.ufunc, codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """``ufunc`` (``np.minimum``/``np.maximum``) of ``values`` grouped by ``codes``."""
    out = np.zeros(size, values.dtype)
    out[codes] = values  # a value of each group to start from: no sentinel of the dtype
    ufunc.at(out, codes, values)
    return out


def _combine_sums(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The sums of :func:`_object_sums` of disjoint blocks, added up per label."""
    parts = [part for part in parts if part["label"].size] or parts[:1]
    if len(parts) == 1:
        return parts[0]
    return _summed_by_label({name: np.concatenate([p[name] for p in parts]) for name in parts[0]})


def _summed_by_label(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows of sums (a label may have several) combined into one row per label, sorted."""
    ids, codes = np.unique(sums["label"], return_inverse=True)
    out = {"label": ids}
    for name, values in sums.items():
        if name == "label":
            continue
        if name in ("low", "lowest"):
            ufunc = np.minimum
        elif name in ("high", "highest"):
            ufunc = np.maximum
        else:
            ufunc = np.add
        total = np.zeros((ids.size, *values.shape[1:]), values.dtype)
        if ufunc is not np.add:  # start from a value of each label
            total[codes] = values
        ufunc.at(total, codes, values)
        out[name] = total
    return out


def _table(sums: dict[str, np.ndarray], ndim: int) -> pd.DataFrame:
    """The measurements table of the sums of a whole image."""
    area = sums["area"]
    table = {"label": sums["label"], "area": area}
    for axis in range(ndim):
        table[f"centroid_{axis}"] = sums["coordinates"][:, axis] / area
    for axis in range(ndim):
        table[f"bbox_start_{axis}"] = sums["low"][:, axis]
        table[f"bbox_stop_{axis}"] = sums["high"][:, axis]
    if "confidence" in sums:
        table["mean_confidence"] = sums["confidence"] / area
    if "lowest" in sums:
        table["min_confidence"] = sums["lowest"]
        table["max_confidence"] = sums["highest"]
    return pd.DataFrame(table)


def review_objects(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    iou_threshold: float = REVIEW_THRESHOLD,
    probability: np.ndarray | None = None,
    ignore_label: int | None = None,
    exclude_border: int | None = None,
    result: InstanceResult | None = None,
) -> pd.DataFrame:
    """Every true and predicted object: its status at one IoU threshold, where it is, and how
    sure the model was inside it.

    Parameters
    ----------
    true, pred : numpy.ndarray or chunked array
        Integer (or boolean) instance label images of equal shape, ground truth first; 0 is
        background. Chunked (dask, zarr) images are read chunk by chunk, never whole: the
        matching on the overlap table, the measurements as sums per chunk (see
        :func:`object_measurements`).
    iou_threshold : float
        The one IoU threshold at which objects are matched, in (0, 1].
    probability : numpy.ndarray or chunked array, optional
        Floating point probabilities in [0, 1] of the same shape; adds ``mean_confidence``.
        NaN or values outside [0, 1] are refused before any work (a chunked map's when its
        chunk is read).
    ignore_label : int, optional
        Pixels where ``true == ignore_label`` are left out of the matching. With ``result``:
        the result's by default.
    exclude_border : int, optional
        Objects touching a band of this many pixels at the image edge are left out of the
        matching on both sides (as :func:`instance_metrics`); their rows say ``excluded``.
        Default: 0, or with ``result`` the result's.
    result : InstanceResult, optional
        The result of :func:`instance_metrics` on the same images, ``ignore_label`` and
        ``exclude_border``, to reuse its matching instead of computing it again. A result
        whose objects (ids, areas, those left out at the border) are not those of the images
        is refused, as is an ``ignore_label`` or ``exclude_border`` given here that is not the
        result's. A result counted in a ``region`` (or made from an overlap table) holds only
        some of the images' objects, each in part: it is refused only if it holds an object
        the images do not, or one larger than in the images.

    Returns
    -------
    pandas.DataFrame
        One row per object: ``kind`` ('true'/'pred'), ``label``, ``area``, ``partner`` (the
        matched object, else the one with the highest IoU, ties to the smallest id, 0 if
        none), ``iou`` (with the
        partner), ``status`` (TP/FN/FP, or ``excluded`` for an object removed at the border),
        ``error`` (the error kind, see :func:`add_error_kinds`), ``centroid_0..`` and, with
        ``probability``, ``mean_confidence``.

    Raises
    ------
    TypeError, ValueError
        For bad images, probabilities, ``iou_threshold`` or ``ignore_label``, or a ``result``
        that does not belong to the images (see ``result``).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import review_objects
    >>> true = np.array([[1, 1, 1, 0, 2]])
    >>> pred = np.array([[3, 3, 0, 0, 0]])
    >>> table = review_objects(true, pred)  # true 1 and pred 3: IoU 2/3
    >>> table[["kind", "label", "status", "error"]].values.tolist()
    [['true', 1, 'TP', 'matched'], ['true', 2, 'FN', 'missed'], ['pred', 3, 'TP', 'matched']]
    >>> table = review_objects(true, pred, exclude_border=1)  # 1, 2 and 3 touch the edge
    >>> table[["kind", "label", "area", "status"]].values.tolist()
    [['true', 1, 3, 'excluded'], ['true', 2, 1, 'excluded'], ['pred', 3, 2, 'excluded']]
    """
    threshold_fraction(iou_threshold)  # validates before any work
    ignore_label = check_ignore_label(ignore_label)
    width = None if exclude_border is None else check_exclude_border(exclude_border)
    warn_if_masks(true, pred, "review_objects")
    true, pred = as_label_pair(true, pred)
    probability = _checked_probability(probability, true.shape)
    given = result is not None
    with called_as("review_objects"):
        result, ignore_label = _given_or_matched(
            result, true, pred, iou_threshold, ignore_label, width, caller("review_objects")
        )
    measurements = _measure_both(true, pred, probability)
    if given:
        _check_objects(result, measurements, ignore_label, width, tuple(true.shape))
    objects = with_excluded(result.objects_at(iou_threshold), result)
    return join_measurements(add_error_kinds(objects, result), measurements)


def _given_or_matched(
    result: InstanceResult | None,
    true: Any,
    pred: Any,
    iou_threshold: float,
    ignore_label: int | None,
    width: int | None,
    function: str,
) -> tuple[InstanceResult, int | None]:
    """The matching a review paints: ``result`` checked against the images' shape and the
    settings given (see :func:`_result_settings`), or, without one, :func:`instance_metrics`
    at ``iou_threshold``; and the ignore label in force."""
    if result is not None:
        warn_if_background_ignored(ignore_label, function)
        return result, _result_settings(result, true.shape, ignore_label, width)
    matched = instance_metrics(
        true,
        pred,
        iou_thresholds=[iou_threshold],
        ignore_label=ignore_label,
        exclude_border=width or 0,
    )
    return matched, ignore_label


def _result_settings(
    result: InstanceResult, shape: tuple[int, ...], ignore_label: int | None, width: int | None
) -> int | None:
    """The ignore label in force for a ``result`` given to a review (the one given, else the
    result's); raise when the result was counted on images of another shape, or with another
    ``ignore_label`` or ``exclude_border`` than the ones given (None: not given)."""
    counted = result.counted_on
    if counted is None:  # made from an overlap table: what its objects say is checked
        return ignore_label
    function = caller("review_objects")
    if counted.shape != tuple(shape):
        raise ValueError(
            f"{function}: the result is of images of shape {counted.shape}, these are "
            f"{tuple(shape)}: pass the result of instance_metrics on these images (or none)."
        )
    for name, given, its in (
        ("ignore_label", ignore_label, counted.ignore_label),
        ("exclude_border", width, counted.exclude_border),
    ):
        if given is not None and given != its:
            raise ValueError(
                f"{function}: {name}={given} here, but the result was computed with "
                f"{name}={its}: give the same (or leave {name} out to use the result's), or "
                "no result."
            )
    return counted.ignore_label


def _check_objects(
    result: InstanceResult,
    measurements: pd.DataFrame,
    ignore_label: int | None,
    width: int | None,
    shape: tuple[int, ...],
) -> None:
    """Raise unless ``result``'s objects are those ``measurements`` found in the images (the
    truth's ``ignore_label`` is no object): on each side, the same ids and areas; or, for a
    result that counted only part of the images (a ``region``, or made from an overlap table,
    which may have had one), ids among the images' and areas no larger than theirs; a
    prediction loses its pixels on the ignore label, so it may be smaller or absent. With a
    ``width`` given, the objects left out at the border must be those of the result whose box
    touches the band of that width."""
    counted = result.counted_on
    partial = counted is None or counted.region
    pairs = result.pairs
    problems = []
    for kind, ids, areas, excluded in (
        ("true", pairs.true_ids, pairs.true_areas, result.excluded_true),
        ("pred", pairs.pred_ids, pairs.pred_areas, result.excluded_pred),
    ):
        rows = measurements[(measurements["kind"] == kind).to_numpy()]
        if not rows["label"].is_monotonic_increasing:
            rows = rows.sort_values("label")
        if kind == "true" and ignore_label is not None:
            rows = rows[(rows["label"] != ignore_label).to_numpy()]
        whole = not partial and (kind == "true" or ignore_label is None)
        side = _side_problems(kind, rows, ids, areas, excluded, whole)
        if width is not None and not side:
            side = _border_problems(kind, rows, ids, excluded, shape, width)
        problems += side
    if problems:
        settings = ""
        if counted is not None:
            settings = (
                f" (it was counted with ignore_label={counted.ignore_label}, exclude_border="
                f"{counted.exclude_border}{', in a region' if counted.region else ''})"
            )
        raise ValueError(
            f"{caller('review_objects')}: the result does not belong to these images{settings}: "
            f"{'; '.join(problems)}. Pass the result of instance_metrics on these images, with "
            "the same ignore_label and exclude_border (or no result)."
        )


def _side_problems(
    kind: str,
    rows: pd.DataFrame,
    ids: np.ndarray,
    areas: np.ndarray,
    excluded: np.ndarray,
    whole: bool,
) -> list[str]:
    """What is wrong with one side of a result (its ``ids`` and their ``areas``, and the ids
    ``excluded`` at the border) against the objects measured in the images (``rows``, sorted
    by label): ids of the result the images do not hold, areas that differ, and, ``whole``,
    objects of the images the result does not hold (else areas may be smaller)."""
    dtype = id_dtype(rows["label"].dtype, ids.dtype)
    labels = rows["label"].to_numpy().astype(dtype)
    ids = ids.astype(dtype)  # both in the ids' dtype: uint64 ids >= 2**53 stay exact
    held = np.union1d(ids, excluded.astype(dtype))
    problems = []
    lost = np.setdiff1d(labels, held) if whole else labels[:0]  # in the images only
    extra = np.setdiff1d(held, labels)  # in the result only
    for what, found in (("not in the result", lost), ("in the result, not in the images", extra)):
        if found.size:
            problems.append(f"{kind} objects {found[:3].tolist()} {what}")
    known = np.isin(ids, labels)
    at = np.minimum(np.searchsorted(labels, ids), max(labels.size - 1, 0))
    measured = np.zeros(ids.size, np.int64)
    measured[known] = rows["area"].to_numpy()[at[known]]
    wrong = known & ((areas != measured) if whole else (areas > measured))
    if wrong.any():
        i = np.flatnonzero(wrong)[0]
        problems.append(
            f"{kind} object {ids[i]} has area {measured[i]} here, {areas[i]} in the result"
        )
    return problems


def _border_problems(
    kind: str,
    rows: pd.DataFrame,
    ids: np.ndarray,
    excluded: np.ndarray,
    shape: tuple[int, ...],
    width: int,
) -> list[str]:
    """The objects of one side of a result left out at the border (``excluded``) unless they
    are those of the result (``ids`` and ``excluded``) touching the band of ``width`` pixels
    (from the boxes of the measured ``rows``)."""
    dtype = id_dtype(rows["label"].dtype, ids.dtype)
    labels = rows["label"].to_numpy().astype(dtype)
    held = np.union1d(ids.astype(dtype), excluded.astype(dtype))
    expected = np.intersect1d(labels[_touching_band(rows, shape, width)], held)
    if np.array_equal(expected, np.sort(excluded.astype(dtype))):
        return []
    return [
        f"exclude_border={width} leaves out {expected.size} {kind} objects, the result "
        f"{excluded.size}"
    ]


def _touching_band(rows: pd.DataFrame, shape: tuple[int, ...], width: int) -> np.ndarray:
    """Per measured object (rows with ``bbox_start_*``/``bbox_stop_*``): whether it touches
    the band of ``width`` pixels at the image edge (its box does exactly when it does)."""
    touching = np.zeros(len(rows), bool)
    for axis, size in enumerate(shape):
        touching |= rows[f"bbox_start_{axis}"].to_numpy() < width
        touching |= rows[f"bbox_stop_{axis}"].to_numpy() > size - width
    return touching


def with_excluded(objects: pd.DataFrame, result: InstanceResult) -> pd.DataFrame:
    """Per-object rows with a row for each object removed at the image border.

    Objects excluded at the border (``exclude_border``) are not in the matching, so
    :meth:`InstanceResult.objects_at` has no rows for them. Here each gets one, with status
    :data:`EXCLUDED`, no partner (0) and no IoU (NaN); its ``area`` is unknown (NaN) until
    :func:`join_measurements` fills it in. The rows stay ordered true objects first.

    Parameters
    ----------
    objects : pandas.DataFrame
        Rows of ``result.objects_at(iou_threshold)``.
    result : InstanceResult
        The instance result the rows come from.

    Returns
    -------
    pandas.DataFrame
        ``objects`` itself when nothing was excluded, else a new table.

    Examples
    --------
    >>> true = np.array([[0, 0, 0, 0], [0, 2, 2, 0], [1, 0, 0, 0]])  # 1 touches the edge
    >>> pred = np.array([[0, 0, 0, 0], [0, 3, 3, 0], [0, 0, 0, 0]])
    >>> result = instance_metrics(true, pred, iou_thresholds=[0.5], exclude_border=1)
    >>> rows = with_excluded(result.objects_at(0.5), result)
    >>> rows[["kind", "label", "status"]].values.tolist()
    [['true', 2, 'TP'], ['true', 1, 'excluded'], ['pred', 3, 'TP']]
    """
    dtype = objects["label"].dtype if "label" in objects else result.pairs.true_ids.dtype
    extra = [
        pd.DataFrame({"kind": side, "label": np.asarray(ids).astype(dtype)})
        for side, ids in (("true", result.excluded_true), ("pred", result.excluded_pred))
        if len(ids)
    ]
    if not extra:
        return objects
    extra = pd.concat(extra, ignore_index=True).assign(partner=0, iou=np.nan, status=EXCLUDED)
    extra["partner"] = extra["partner"].astype(dtype)
    rows = pd.concat([objects, extra], ignore_index=True)
    return rows.sort_values("kind", key=lambda kind: kind.eq("pred"), kind="stable").reset_index(
        drop=True
    )


def add_error_kinds(objects: pd.DataFrame, result: InstanceResult) -> pd.DataFrame:
    """Per-object rows with the ``error`` column: what kind of error each object is.

    Computed from the overlap table already in ``result`` (no pass over pixels), with the
    matching of the rows' own ``status`` column. With ``|T ∩ P|`` the pixels shared by a true
    object T and a prediction P, and "more than half" strict (exactly half is not more):

    - a matched object (``status`` TP) is ``matched``, whatever else holds;
    - an unmatched true object T is ``merged`` when some P holds more than half of T and more
      than half of another true object; else ``split`` when two or more predictions each have
      more than half of their own area inside T; else ``poor overlap`` when it overlaps any
      prediction; else ``missed``;
    - an unmatched prediction P is a ``merge`` when it holds more than half of each of two or
      more true objects; else a ``fragment`` when more than half of P lies inside a true object
      that also holds more than half of another prediction; else ``poor overlap`` when it
      overlaps any true object; else ``spurious``;
    - an object removed at the border (status :data:`EXCLUDED`, see :func:`with_excluded`) is
      ``excluded``: neither matched nor an error.

    Parameters
    ----------
    objects : pandas.DataFrame
        Rows of ``result.objects_at(iou_threshold)`` (``kind``, ``label``, ``status``; other
        columns, e.g. measurements, are kept), in any order.
    result : InstanceResult
        The instance result the rows come from.

    Returns
    -------
    pandas.DataFrame
        A copy of ``objects`` with ``error`` after ``status`` (replaced if present): one of
        :data:`TRUE_KINDS` for true objects, of :data:`PRED_KINDS` for predictions, or
        :data:`EXCLUDED`.

    Raises
    ------
    ValueError
        If a row's object is not an object of ``result``.

    Examples
    --------
    >>> true = np.array([[1, 1, 0, 2, 2]])
    >>> pred = np.array([[5, 5, 5, 5, 0]])  # pred 5 holds all of true 1 and half of true 2
    >>> result = instance_metrics(true, pred, iou_thresholds=[0.5])
    >>> add_error_kinds(result.objects_at(0.5), result)["error"].tolist()
    ['matched', 'poor overlap', 'matched']
    """
    pairs = result.pairs
    excluded = (objects["status"] == EXCLUDED).to_numpy()
    is_true = (objects["kind"] == "true").to_numpy() & ~excluded
    is_pred = ~is_true & ~excluded
    labels = objects["label"].to_numpy()
    matched = (objects["status"] == "TP").to_numpy()
    true_at = _positions(pairs.true_ids, labels[is_true])
    pred_at = _positions(pairs.pred_ids, labels[is_pred])
    true_matched = np.zeros(pairs.true_ids.size, bool)
    true_matched[true_at[matched[is_true]]] = True
    pred_matched = np.zeros(pairs.pred_ids.size, bool)
    pred_matched[pred_at[matched[is_pred]]] = True
    true_code, pred_code = _kind_codes(pairs, true_matched, pred_matched)
    error = np.empty(len(objects), dtype=object)  # np.full would make a string per row
    error[:] = EXCLUDED
    error[is_true] = np.asarray(TRUE_KINDS, dtype=object)[true_code[true_at]]
    error[is_pred] = np.asarray(PRED_KINDS, dtype=object)[pred_code[pred_at]]
    out = objects.drop(columns="error", errors="ignore")
    # A text column made from the Python strings directly: a cast to a numpy string array
    # first costs ~0.3 s per million objects, with the GIL held.
    out.insert(
        list(out.columns).index("status") + 1, "error", pd.Series(error, out.index, dtype=str)
    )
    return out


def _positions(ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The position of each of ``labels`` in the sorted ``ids``; raise if one is missing."""
    if labels.size == 0:
        return np.zeros(0, np.intp)
    if ids.size == 0:
        raise ValueError("the objects are not those of the result: it has no objects")
    # Labels of the result's own objects fit its id dtype exactly (ids >= 2**63 included).
    found = labels.astype(ids.dtype) if labels.dtype.kind in "iu" else labels
    at = np.minimum(np.searchsorted(ids, found), ids.size - 1)
    if not np.array_equal(ids[at], found):
        raise ValueError("the objects are not those of the result: some labels are not in it")
    return at


def _kind_codes(
    pairs: ObjectPairs, true_matched: np.ndarray, pred_matched: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per true and per predicted object: its position in TRUE_KINDS / PRED_KINDS.

    Vectorised over the sparse pairs: one ``np.bincount`` per question.
    """
    n_true, n_pred = pairs.true_ids.size, pairs.pred_ids.size
    t, p = pairs.true_index, pairs.pred_index
    twice = 2 * pairs.intersection.astype(np.int64)
    holds_true = twice > pairs.true_areas[t]  # P holds more than half of T
    inside_true = twice > pairs.pred_areas[p]  # more than half of P lies inside T
    # At most one prediction holds more than half of a true object, and vice versa.
    n_held = np.bincount(p[holds_true], minlength=n_pred)  # per P: true objects it holds
    n_inside = np.bincount(t[inside_true], minlength=n_true)  # per T: predictions inside it
    merged = np.zeros(n_true, bool)
    merged[t[holds_true & (n_held[p] >= 2)]] = True
    fragment = np.zeros(n_pred, bool)
    fragment[p[inside_true & (n_inside[t] >= 2)]] = True
    true_touched = np.bincount(t, minlength=n_true) > 0
    pred_touched = np.bincount(p, minlength=n_pred) > 0
    true_code = np.select(
        [true_matched, merged, n_inside >= 2, true_touched], [0, 1, 2, 3], default=4
    )
    pred_code = np.select(
        [pred_matched, n_held >= 2, fragment, pred_touched], [0, 1, 2, 3], default=4
    )
    return true_code, pred_code


def measure_both(
    true: np.ndarray, pred: np.ndarray, probability: np.ndarray | None = None
) -> pd.DataFrame:
    """:func:`object_measurements` of both images, with a ``kind`` column.

    Parameters
    ----------
    true, pred : numpy.ndarray or chunked array
        Integer (or boolean) label images of equal shape, ground truth first. Chunked ones
        are measured together, in one pass over their chunks.
    probability : numpy.ndarray or chunked array, optional
        Floating point probabilities in [0, 1] of the same shape (checked once).

    Returns
    -------
    pandas.DataFrame
        The measurements of ``true`` (``kind == 'true'``), then those of ``pred``
        (``kind == 'pred'``).

    Examples
    --------
    >>> table = measure_both(np.array([[1, 1, 0]]), np.array([[0, 2, 2]]))
    >>> table[["kind", "label", "area"]].values.tolist()
    [['true', 1, 2], ['pred', 2, 2]]
    """
    true, pred = as_label_pair(true, pred)
    return _measure_both(true, pred, _checked_probability(probability, true.shape))


def _measure_both(
    true: np.ndarray, pred: np.ndarray, probability: np.ndarray | None
) -> pd.DataFrame:
    """:func:`measure_both` of checked inputs: one pass over both (chunk by chunk if chunked)."""
    return measurements_from_sums(*_sums([true, pred], probability, False), ndim=true.ndim)


def join_measurements(objects: pd.DataFrame, measurements: pd.DataFrame) -> pd.DataFrame:
    """Per-object status rows joined with their measurements.

    Parameters
    ----------
    objects : pandas.DataFrame
        Rows of :meth:`InstanceResult.objects_at` (``kind``, ``label``, ``area``, status...).
    measurements : pandas.DataFrame
        Rows of :func:`measure_both` of the same images.

    Returns
    -------
    pandas.DataFrame
        ``objects`` with the centroid (and ``mean_confidence``) columns of each object added,
        and the ``area`` of rows that had none (objects excluded at the border).

    Examples
    --------
    >>> true, pred = np.array([[1, 1, 0]]), np.array([[0, 2, 2]])
    >>> objects = instance_metrics(true, pred, iou_thresholds=[0.5]).objects_at(0.5)
    >>> join_measurements(objects, measure_both(true, pred))["centroid_1"].tolist()
    [0.5, 1.5]
    """
    # A join by sorted labels per kind, in numpy: pandas' merge hashes a million keys with
    # the GIL held (~0.1 s), which the viewer's main thread would wait for.
    dtype = id_dtype(objects["label"].dtype, measurements["label"].dtype)
    labels = objects["label"].to_numpy().astype(dtype, copy=False)
    measured = measurements["label"].to_numpy().astype(dtype, copy=False)
    row_of = np.full(labels.size, -1, np.intp)
    for kind in ("true", "pred"):
        mine = np.flatnonzero((objects["kind"] == kind).to_numpy())
        theirs = np.flatnonzero((measurements["kind"] == kind).to_numpy())
        if theirs.size == 0 or mine.size == 0:
            continue
        order = np.argsort(measured[theirs], kind="stable")
        keys = measured[theirs][order]
        if np.any(keys[1:] == keys[:-1]):
            raise ValueError(f"the measurements list a {kind} object twice")
        at = np.minimum(np.searchsorted(keys, labels[mine]), keys.size - 1)
        found = keys[at] == labels[mine]
        row_of[mine[found]] = theirs[order[at[found]]]
    missing = row_of < 0
    joined = objects.astype({"label": dtype}).reset_index(drop=True)
    for name in measurements.columns.drop(["kind", "label"]):
        source = measurements[name].to_numpy()
        values = source[np.maximum(row_of, 0)] if source.size else np.zeros(labels.size)
        if missing.any():
            values = values.astype(np.float64)
            values[missing] = np.nan
        if name != "area":
            joined[name] = values
        elif joined["area"].isna().any():  # rows of excluded objects: the measured area
            area = joined["area"].fillna(pd.Series(values))
            joined["area"] = area if area.isna().any() else area.astype(np.int64)
    return joined


def error_map(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    iou_threshold: float = REVIEW_THRESHOLD,
    ignore_label: int | None = None,
    exclude_border: int | None = None,
    result: InstanceResult | None = None,
    by: str = "status",
) -> np.ndarray:
    """An image of the objects' errors at one IoU threshold: by status or by error kind.

    Parameters
    ----------
    true, pred : numpy.ndarray or chunked array
        Integer (or boolean) instance label images of equal shape, ground truth first. Chunked
        (dask, zarr) images give a lazy map: see Returns.
    iou_threshold : float
        The one IoU threshold at which objects are matched, in (0, 1].
    ignore_label : int, optional
        Pixels where ``true == ignore_label`` are left out of the matching. With ``result``:
        the result's by default.
    exclude_border : int, optional
        Objects touching a band of this many pixels at the image edge are left out of the
        matching on both sides (as :func:`instance_metrics`). Default: 0, or with ``result``
        the result's.
    result : InstanceResult, optional
        The result of :func:`instance_metrics` on the same images (and the same
        ``ignore_label`` and ``exclude_border``), to reuse its matching. A result of images
        of another shape, or with another ``ignore_label`` or ``exclude_border`` than one
        given here, is refused before any work; its objects are not compared with the
        images' (that would cost a pass: :func:`review_objects` compares them).
    by : {'status', 'kind'}
        ``'status'`` (the default): ``TP`` (1) on matched predicted objects, ``FP`` (2) on
        false predicted objects, ``FN`` (3) on missed true objects; where they overlap, FN wins
        over FP over TP. ``'kind'``: each object's error kind (:func:`add_error_kinds`) as
        :data:`KIND_VALUES`: 1 matched, 2 missed, 3 spurious, 4 merged (true), 5 merge
        (prediction), 6 split (true), 7 fragment (prediction), 8 poor overlap (true),
        9 poor overlap (prediction), 10 excluded at the border (either side; with ``'status'``
        excluded objects are not painted). Where objects overlap, an unmatched true object's
        kind wins, then an unmatched prediction's, then ``matched``, then ``excluded``.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        ``uint8``, the shape of the images, 0 where there is no object. With a chunked input,
        a lazy dask array on the truth's chunks: each chunk is painted when it is read, with a
        lookup from id to value (the matching, on the overlap table, is computed first).

    Raises
    ------
    TypeError, ValueError
        For bad images, ``iou_threshold``, ``ignore_label`` or ``by`` (before any work), or a
        ``result`` that does not belong to the images (see ``result``).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import error_map
    >>> error_map(np.array([[1, 1, 0, 2]]), np.array([[3, 3, 4, 0]])).tolist()
    [[1, 1, 2, 3]]
    >>> true = np.array([[1, 1, 0, 2, 2, 0, 0]])
    >>> pred = np.array([[5, 5, 5, 5, 5, 0, 8]])  # 5 merges 1 and 2; 8 is spurious
    >>> error_map(true, pred, by="kind").tolist()
    [[4, 4, 5, 4, 4, 0, 3]]
    """
    with called_as("error_map"):
        return error_map_levels(
            [true],
            [pred],
            iou_threshold=iou_threshold,
            ignore_label=ignore_label,
            exclude_border=exclude_border,
            result=result,
            by=by,
        )[0]


def error_map_levels(
    true_levels: Sequence[Any],
    pred_levels: Sequence[Any],
    *,
    iou_threshold: float = REVIEW_THRESHOLD,
    ignore_label: int | None = None,
    exclude_border: int | None = None,
    result: InstanceResult | None = None,
    by: str = "status",
) -> list:
    """The :func:`error_map` of a pyramid: every level painted with the matching of level 0.

    Label pyramids made by nearest-neighbour downsampling (OME-Zarr label images) keep the
    object ids at every level, so the lookups from id to value that paint level 0 paint each
    coarser level too, reading only that level: the error map of a whole slide, at every zoom.

    Parameters
    ----------
    true_levels, pred_levels : sequence of array_like
        The levels of the ground truth and of the prediction, finest first (level 0 is the
        pair compared), as many of each, the two of each level of one shape. Integer (or
        boolean) label images, numpy or chunked (dask, zarr). Ids of a coarser level that do
        not occur in level 0 (a pyramid made by averaging, not by picking pixels) are 0.
    iou_threshold, ignore_label, exclude_border, result, by
        As :func:`error_map`; the matching is that of level 0.

    Returns
    -------
    list of numpy.ndarray or dask.array.Array
        ``uint8`` error maps, one per level: level 0 is ``error_map`` of level 0; a level with
        a chunked input is lazy (on the truth's chunks of that level).

    Raises
    ------
    TypeError, ValueError
        As :func:`error_map`, or for levels of different counts or shapes (before any work).

    Examples
    --------
    >>> true = np.array([[1, 1, 0, 0], [1, 1, 0, 0]])
    >>> pred = np.array([[0, 0, 0, 0], [0, 0, 7, 7]])  # true 1 missed, pred 7 spurious
    >>> [level.tolist() for level in error_map_levels([true, true[::2, ::2]],
    ...                                               [pred, pred[::2, ::2]], by="kind")]
    [[[2, 2, 0, 0], [2, 2, 3, 3]], [[2, 0]]]
    """
    if by not in ("status", "kind"):
        raise ValueError(f"by must be 'status' or 'kind', not {by!r}")
    threshold_fraction(iou_threshold)  # validates before any work
    ignore_label = check_ignore_label(ignore_label)
    width = None if exclude_border is None else check_exclude_border(exclude_border)
    if len(true_levels) != len(pred_levels) or not true_levels:
        raise ValueError(
            f"the truth has {len(true_levels)} levels and the prediction {len(pred_levels)}: "
            "give both the same levels (at least level 0)."
        )
    pairs = [as_label_pair(true, pred) for true, pred in zip(true_levels, pred_levels, strict=True)]
    true, pred = pairs[0]
    with called_as("error_map_levels"):
        result, _ = _given_or_matched(
            result, true, pred, iou_threshold, ignore_label, width, caller("error_map_levels")
        )
    paint = _error_painter(result, iou_threshold, by, true.dtype, pred.dtype)
    return [_painted(paint, true, pred) for true, pred in pairs]


def _error_painter(
    result: InstanceResult, iou_threshold: float, by: str, true_dtype: Any, pred_dtype: Any
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The one painting of :func:`error_map`: a function of a (true, pred) block pair that
    paints ``result``'s objects at ``iou_threshold`` by ``by`` (the ids in the dtypes of
    level 0), the precedence of overlapping objects applied."""
    objects = result.objects_at(iou_threshold)
    if by == "kind":
        objects = with_excluded(objects, result)
    is_true = (objects["kind"] == "true").to_numpy()
    labels = objects["label"].to_numpy()
    if by == "kind":
        error = add_error_kinds(objects, result)["error"]
        value = np.where(
            is_true,
            error.map({k: v for (side, k), v in KIND_VALUES.items() if side == "true"}),
            error.map({k: v for (side, k), v in KIND_VALUES.items() if side == "pred"}),
        ).astype(np.uint8)
        # Painted as ranks, so that one maximum applies the precedence: an unmatched true
        # object's kind (its value + 17) over an unmatched prediction's (its value + 1) over
        # matched (2) over excluded (1). ``decode`` turns ranks back into values.
        excluded = KIND_VALUES["true", EXCLUDED]
        rank = np.where(is_true & (value > 1), value + 17, value + 1)
        true_value = np.where(value == excluded, 1, rank).astype(np.uint8)
        pred_value = true_value
        decode = np.zeros(32, dtype=np.uint8)
        decode[2:16] = np.arange(1, 15)
        decode[18:32] = np.arange(1, 15)
        decode[1] = excluded
    else:
        value = objects["status"].map({"TP": TP, "FP": FP, "FN": FN}).to_numpy(np.uint8)
        true_value = np.where(value == FN, FN, 0).astype(np.uint8)
        pred_value = value
        decode = None
    return functools.partial(
        _paint_pair,
        _Lookup(labels[is_true], true_value[is_true], true_dtype),
        _Lookup(labels[~is_true], pred_value[~is_true], pred_dtype),
        decode,
    )


def _painted(paint: Callable[[np.ndarray, np.ndarray], np.ndarray], true: Any, pred: Any) -> Any:
    """``paint`` applied to a checked pair of one shape: lazily, chunk by chunk, when one is
    chunked; else in slabs of rows (small temporaries, in cache)."""
    if is_lazy(true) or is_lazy(pred):
        import dask.array as da

        return da.map_blocks(paint, *aligned([true, pred]), dtype=np.uint8)
    out = np.empty(true.shape, np.uint8)
    rows = max(1, _BLOCK_PIXELS // max(1, math.prod(true.shape[1:])))
    for start in range(0, true.shape[0], rows):
        out[start : start + rows] = paint(true[start : start + rows], pred[start : start + rows])
    return out


def semantic_error_map(
    true: np.ndarray,
    pred: np.ndarray,
    class_id: int = 1,
    *,
    region: np.ndarray | None = None,
    ignore_label: int | None = None,
) -> np.ndarray:
    """An image of the false and missed pixels of one class.

    Parameters
    ----------
    true, pred : numpy.ndarray or chunked array
        Integer (or boolean) class images of equal shape, ground truth first.
    class_id : int
        The class to show.
    region : array_like of bool, optional
        The pixels the metrics counted: 0 outside.
    ignore_label : int, optional
        The truth's value the metrics left out: 0 on its pixels.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        ``uint8``: ``FP`` (2) where the class is predicted but not true, ``FN`` (3) where it
        is true but not predicted, 0 elsewhere (the values of :func:`error_map`). Lazy (a dask
        array on the truth's chunks) when an input is chunked.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import semantic_error_map
    >>> semantic_error_map(np.array([[0, 1, 1, 2]]), np.array([[1, 1, 0, 2]]), 1).tolist()
    [[2, 0, 3, 0]]
    >>> inside = np.array([[False, True, True, True]])
    >>> semantic_error_map(np.array([[0, 1, 1, 2]]), np.array([[1, 1, 0, 2]]), 1, region=inside)
    array([[0, 0, 3, 0]], dtype=uint8)
    """
    true, pred = as_label_pair(true, pred)
    if region is not None and tuple(region.shape) != tuple(true.shape):
        raise ValueError(
            f"region has shape {tuple(region.shape)} but the class images have shape "
            f"{tuple(true.shape)}."
        )
    errors = functools.partial(_pixel_errors, class_id=class_id, ignore_label=ignore_label)
    arrays = [true, pred] if region is None else [true, pred, region]
    if any(is_lazy(array) for array in arrays):
        import dask.array as da

        return da.map_blocks(errors, *aligned(arrays), dtype=np.uint8)
    return errors(*(np.asarray(array) for array in arrays))


def _pixel_errors(
    true: np.ndarray,
    pred: np.ndarray,
    region: np.ndarray | None = None,
    *,
    class_id: int,
    ignore_label: int | None = None,
) -> np.ndarray:
    """:func:`semantic_error_map` of numpy blocks."""
    is_true, is_pred = true == class_id, pred == class_id
    out = np.zeros(true.shape, np.uint8)
    out[is_pred & ~is_true] = FP
    out[is_true & ~is_pred] = FN
    if region is not None:
        out[~np.asarray(region, bool)] = 0
    if ignore_label is not None:
        out[true == ignore_label] = 0
    return out


class _Lookup:
    """``values[i]`` on the pixels whose label is ``ids[i]``, 0 elsewhere, block by block.

    The ids are held in the image's own dtype (they occur in it, so exactly; ``uint64`` ids
    >= 2**63 included): a table indexed by ``id - lowest`` when the ids span a small range,
    else a binary search in the sorted ids.
    """

    #: Widest range of ids looked up in a table (one byte per id).
    TABLE_SPAN = 1 << 22

    def __init__(self, ids: np.ndarray, values: np.ndarray, dtype: np.dtype):
        order = np.argsort(ids, kind="stable")
        self.ids = ids[order].astype(dtype)
        self.values = values[order]
        self.table = None
        if self.ids.size and int(self.ids[-1]) - int(self.ids[0]) < self.TABLE_SPAN:
            self.lowest = self.ids[0]
            self.table = np.zeros(int(self.ids[-1]) - int(self.lowest) + 2, np.uint8)
            self.table[(self.ids - self.lowest).astype(np.intp)] = self.values

    def __call__(self, block: np.ndarray) -> np.ndarray:
        if self.ids.size == 0:
            return np.zeros(block.shape, np.uint8)
        if not np.can_cast(block.dtype, self.ids.dtype):  # a wider block (another level's)
            common = id_dtype(block.dtype, self.ids.dtype)  # holds both: no id wraps
            ids, block = self.ids.astype(common), block.astype(common, copy=False)
            at = np.minimum(np.searchsorted(ids, block), ids.size - 1)
            return np.where(ids[at] == block, self.values[at], np.uint8(0))
        block = block.astype(self.ids.dtype, copy=False)
        if self.table is not None:
            # in the dtype's unsigned twin, ids below the lowest wrap round above the table
            offset = (block - self.lowest).view(f"u{block.dtype.itemsize}")
            last = self.table.size - 1  # holds 0, for every id outside the range
            if last <= np.iinfo(offset.dtype).max:  # else no offset can pass the table
                offset = np.minimum(offset, last)
            return self.table[offset]
        at = np.minimum(np.searchsorted(self.ids, block), self.ids.size - 1)
        return np.where(self.ids[at] == block, self.values[at], np.uint8(0))


def _paint_pair(
    on_true: _Lookup,
    on_pred: _Lookup,
    decode: np.ndarray | None,
    true: np.ndarray,
    pred: np.ndarray,
) -> np.ndarray:
    """The larger of the values painted on the true and on the predicted objects (decoded)."""
    out = np.maximum(on_true(true), on_pred(pred))
    return out if decode is None else decode[out]
