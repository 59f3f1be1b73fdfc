"""Metrics over many images: a list of (true, pred) pairs, or the planes of a stack.

Two aggregates are reported, and the column names say which:
``*_pooled`` (micro) sums the counts of all images before taking ratios, so large images weigh
more; ``*_image_mean`` (macro) takes the ratios per image and averages them over the images
where they are defined.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from ._deprecation import renamed_keywords
from ._results import Result, nanmean, ratio
from ._thread_callbacks import compute
from ._validate import (
    as_label_pair,
    check_ignore_label,
    check_region,
    outside_ignored,
    warn_if_background_ignored,
)
from ._warn import warn
from .blocks import as_dask, is_lazy
from .catalogue import SEMANTIC_SUMMARY
from .classes import (
    ClassesLike,
    ClassSpec,
    check_background_class,
    check_classes,
    object_classes,
)
from .instance import (
    DEFAULT_IOU_THRESHOLDS,
    REVIEW_THRESHOLD,
    InstanceResult,
    ObjectPairs,
    aggregated_jaccard_parts,
    border_ids,
    check_criterion,
    check_exclude_border,
    check_iou_thresholds,
    class_counts,
    instance_metrics_from_table,
    match_counts,
    remove_objects,
    scores_from_counts,
)
from .overlap import OverlapTable, overlap_table_lazy
from .semantic import class_ids, nothing_left, semantic_metrics_from_table

_INSTANCE_RATIOS = [
    "precision",
    "recall",
    "f1",
    "accuracy",
    "mean_matched_iou",
    "mean_true_iou",
    "panoptic_quality",
]
_INSTANCE_COUNTS = ["tp", "fp", "fn", "sum_matched_iou"]
_SEMANTIC_RATIOS = ["iou", "dice", "precision", "recall", "accuracy"]


@dataclass(frozen=True, repr=False, eq=False)
class DatasetResult(Result):
    """Metrics of many images.

    ``per_image``: one row per image. ``pooled``: the per-threshold (instance) or per-class
    (semantic) table from counts summed over all images. ``image_mean``: the same table with
    each ratio averaged over images. ``summary``: ``n_images``, every ratio of an image's
    summary (:func:`instance_metrics` or :func:`semantic_metrics`; the class means only with
    classes) both ways, suffixed ``_pooled`` and ``_image_mean``, and its counts summed
    (``n_true``, ``n_pred``; ``n_pixels``); with a confidence interval, ``_low`` / ``_high``
    for the headline values (:func:`~napari_seg_eval.core.catalogue.headline_keys`).
    Results compare by identity (``==`` never raises).

    Multi-class instance results (``true_classes`` and ``pred_classes`` given) add
    ``per_class_pooled`` (class × threshold: counts summed over images, then the ratios, as
    CoNIC pools), ``per_class_image_mean`` (each ratio averaged over the images where the
    class has an object) and ``class_confusion`` (summed over images); otherwise they are None.

    ``per_image_rows``: each image's per-threshold (instance) or per-class (semantic) table,
    stacked with an ``image`` column (0, 0, ..., 1, 1, ...), adding up to ``pooled``: the counts
    the pooled means over thresholds or classes are pooled from, which their bootstrap
    intervals resample (:func:`~napari_seg_eval.core.compare.bootstrap_dataset`,
    :func:`~napari_seg_eval.core.compare.paired_bootstrap`). None when not known (a result
    rebuilt from tables without them).
    """

    per_image: pd.DataFrame
    pooled: pd.DataFrame
    image_mean: pd.DataFrame
    summary: pd.Series
    per_class_pooled: pd.DataFrame | None = None
    per_class_image_mean: pd.DataFrame | None = None
    class_confusion: pd.DataFrame | None = None
    per_image_rows: pd.DataFrame | None = None

    _main = "per_image"


@renamed_keywords(thresholds="iou_thresholds")
def dataset_metrics(
    true: Sequence[np.ndarray] | np.ndarray,
    pred: Sequence[np.ndarray] | np.ndarray,
    *,
    kind: Literal["instance", "semantic"] = "instance",
    axis: int | None = None,
    iou_thresholds: Iterable[float] = DEFAULT_IOU_THRESHOLDS,
    ignore_label: int | None = None,
    classes: Iterable[int] | None = None,
    include_background: bool = True,
    true_classes: Sequence[ClassesLike] | ClassesLike | None = None,
    pred_classes: Sequence[ClassesLike] | ClassesLike | None = None,
    criterion: str = "iou",
    exclude_border: int = 0,
    confidence_interval: float | None = None,
    n_resamples: int = 2000,
    region: Sequence[np.ndarray] | np.ndarray | None = None,
    background_class: int | None = None,
) -> DatasetResult:
    """Evaluate many image pairs: per-image rows plus pooled and mean-over-images tables.

    Parameters
    ----------
    true, pred : sequence of arrays, or two arrays
        Two sequences of label images (pairs of equal shape, ground truth first), or two
        arrays of equal shape with ``axis`` naming the axis to split into planes. Numpy or
        chunked (dask, zarr): chunked images are read chunk by chunk, all of them in one
        schedule on dask's current scheduler.
    kind : {"instance", "semantic"}
        :func:`instance_metrics` or :func:`semantic_metrics` per image.
    axis : int, optional
        The axis of ``true`` and ``pred`` (e.g. time or z) whose planes are the images.
    iou_thresholds : iterable of float
        Instance only: the IoU thresholds in (0, 1], one row each in ``pooled`` and
        ``image_mean``, in the order given (a repeated threshold gives a repeated row, as in
        :func:`instance_metrics`). Formerly ``thresholds=`` (deprecated).
    ignore_label : int, optional
        Pixels where the ground truth has this id are left out of every count.
    classes : iterable of int, optional
        Semantic only: the classes to report (default: those present in any image).
    include_background : bool
        Semantic only: with ``False`` class 0 is reported but left out of the means.
    true_classes, pred_classes : sequence, optional
        Instance only, both or neither: for each image, a class image of its shape or a
        mapping from object id to class, per side (as :func:`instance_metrics` takes them);
        with ``axis``, a class image of the whole stack. Adds ``per_class_pooled``,
        ``per_class_image_mean``, ``class_confusion`` and the summary values
        ``class_mean_accuracy_*`` and ``class_mean_panoptic_quality_50_*`` (``_pooled``: the
        mean over classes of PQ at IoU 0.5 from counts summed over images, CoNIC's mPQ+).
    criterion : {'iou', 'iot', 'iop'}
        Instance only: the matching criterion, as in :func:`instance_metrics`.
    exclude_border : int
        Instance only: objects touching a band of this many pixels at the edge of each image
        are removed from both sides before matching.
    confidence_interval : float, optional
        A confidence level in (0, 1), e.g. 0.95: the summary gains ``*_low`` and ``*_high``
        for each pooled and image-mean headline value, from a percentile bootstrap over images
        (2000 resamples, seed 0; see
        :func:`~napari_seg_eval.core.compare.bootstrap_dataset`). A value drawn from fewer
        than 2 images (one image in all, or an image mean defined on one image only) gets NaN
        bounds: every resample would be the value itself, an interval of width 0 that says
        nothing about the uncertainty.
    n_resamples : int
        With ``confidence_interval``: the number of bootstrap resamples (seeded: the same call
        gives the same interval).
    region : sequence of arrays, or an array, optional
        For each image a boolean mask of its shape (numpy or chunked), or with ``axis`` one
        mask of the stack's shape: pixels outside are left out of every count, as in
        :func:`~napari_seg_eval.instance_metrics`. Checked before any image is read.
    background_class : int, optional
        With classes: the class that is no class (the ``conic`` preset: 0), as in
        :func:`~napari_seg_eval.instance_metrics`: its objects are in no per-class row, count
        nor class mean, in any image.

    Returns
    -------
    DatasetResult
        ``per_image``, ``pooled`` (counts summed over images, then ratios), ``image_mean``
        (ratios averaged over the images where they are defined) and ``summary``; with classes
        also the per-class tables.

    Raises
    ------
    TypeError, ValueError
        For bad settings (raised before any image is read), mismatched or bad images, class
        images of the wrong shape, no images, or, with ``kind="semantic"``, when
        ``ignore_label`` leaves no pixel in any image. An image with no pixel left gets NaN
        metrics and a ``RuntimeWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import dataset_metrics
    >>> a = np.array([[1, 1, 0], [0, 0, 2]])
    >>> b = np.array([[0, 3, 3], [0, 0, 0]])
    >>> result = dataset_metrics([a, b], [a, np.zeros_like(b)], iou_thresholds=[0.5])
    >>> result.per_image["f1_50"].tolist()  # image 1: both objects found; image 2: one missed
    [1.0, 0.0]
    >>> float(result.summary["f1_50_pooled"])  # tp 2, fp 0, fn 1: 2 * 2 / (2 * 2 + 0 + 1)
    0.8

    With classes (mappings here), CoNIC's mPQ+ pools the per-class counts over images:

    >>> result = dataset_metrics(
    ...     [a, b], [a, np.zeros_like(b)], true_classes=[{1: 1, 2: 2}, {3: 1}],
    ...     pred_classes=[{1: 1, 2: 2}, {}], iou_thresholds=[0.5],
    ... )
    >>> result.per_class_pooled[["class", "tp", "fp", "fn"]].values.tolist()
    [[1, 1, 0, 1], [2, 1, 0, 0]]
    >>> float(result.summary["class_mean_panoptic_quality_50_pooled"])  # (1 / 1.5 + 1) / 2
    0.8333333333333333
    """
    settings = _check_settings(
        kind, iou_thresholds, classes, ignore_label, criterion, exclude_border, confidence_interval
    )
    if kind == "instance":
        warn_if_background_ignored(ignore_label, "dataset_metrics")
    settings["n_resamples"] = _check_resamples(n_resamples)
    pairs = list(_image_pairs(true, pred, axis))
    if not pairs:
        raise ValueError("no images to evaluate: the sequences are empty.")
    specs = _class_specs(kind, true_classes, pred_classes, pairs, axis)
    settings["background_class"] = check_background_class(background_class, specs is not None)
    regions = _regions(region, pairs, axis, getattr(true, "shape", None))
    settings["region"] = region is not None
    ignore_label, width = settings["ignore_label"], settings["exclude_border"]
    # Chunked images give delayed tables, computed together: their chunks are read in one
    # schedule (dask's current scheduler), never whole.
    tables = list(
        compute(
            *(
                overlap_table_lazy(t, p, ignore_label=ignore_label, region=r)
                for (t, p), r in zip(pairs, regions, strict=True)
            )
        )
    )
    if width:
        tables = [
            remove_objects(table, border_ids(t, width), border_ids(p, width))
            for table, (t, p) in zip(tables, pairs, strict=True)
        ]
    labels = None  # with classes: each pair and the pixels of its class votes
    if specs:
        labels = [
            (t, p, outside_ignored(t, ignore_label, r))
            for (t, p), r in zip(pairs, regions, strict=True)
        ]
    return _dataset(tables, settings, include_background, specs, labels)


def dataset_from_tables(
    tables: Sequence[OverlapTable],
    *,
    kind: Literal["instance", "semantic"] = "instance",
    iou_thresholds: Iterable[float] = DEFAULT_IOU_THRESHOLDS,
    classes: Iterable[int] | None = None,
    include_background: bool = True,
    ignore_label: int | None = None,
    true_classes: Sequence[ClassesLike] | None = None,
    pred_classes: Sequence[ClassesLike] | None = None,
    criterion: str = "iou",
    confidence_interval: float | None = None,
    region: bool = False,
    background_class: int | None = None,
) -> DatasetResult:
    """Metrics of many images from their overlap tables, one table per image.

    The same result as :func:`dataset_metrics` on the images the tables were counted from;
    use it when the tables were counted elsewhere (file by file, block by block, on a cluster).

    Parameters
    ----------
    tables : sequence of OverlapTable
        One :func:`overlap_table` per image, in image order (border objects already removed
        with :func:`~napari_seg_eval.core.instance.remove_objects`, if wanted).
    kind, iou_thresholds, classes, include_background, criterion, confidence_interval
        As in :func:`dataset_metrics`.
    ignore_label : int, optional
        The id the tables were counted without (semantic only: it is not reported as a class).
    true_classes, pred_classes : sequence of mapping, optional
        As in :func:`dataset_metrics`, but mappings from object id to class only (a class
        image needs the label image's pixels; see
        :func:`~napari_seg_eval.core.classes.majority_classes`).
    region : bool, optional
        Whether the tables were counted inside a region (for the message when no pixel is
        left: the region, not only the ignored id).
    background_class : int, optional
        As in :func:`dataset_metrics`.

    Returns
    -------
    DatasetResult

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import dataset_from_tables
    >>> from napari_seg_eval import overlap_table
    >>> a = np.array([[1, 1, 0], [0, 0, 2]])
    >>> tables = [overlap_table(a, a), overlap_table(a, np.zeros_like(a))]
    >>> result = dataset_from_tables(tables, iou_thresholds=[0.5])
    >>> result.per_image["f1_50"].tolist()  # image 2: both objects missed
    [1.0, 0.0]
    >>> float(result.summary["f1_50_pooled"])  # tp 2, fp 0, fn 2: 2 * 2 / (2 * 2 + 0 + 2)
    0.6666666666666666
    """
    settings = _check_settings(
        kind, iou_thresholds, classes, ignore_label, criterion, 0, confidence_interval
    )
    settings["region"] = region
    tables = list(tables)
    if not tables:
        raise ValueError("no images to evaluate: no overlap tables given.")
    no_pixels = [(None, None)] * len(tables)
    specs = _class_specs(kind, true_classes, pred_classes, no_pixels, None)
    if specs is not None and any(s.image is not None for side in specs for s in side):
        raise ValueError(
            "dataset_from_tables takes classes as mappings from object id to class: a class "
            "image needs the label image's pixels (use dataset_metrics, or majority_classes)."
        )
    settings["background_class"] = check_background_class(background_class, specs is not None)
    return _dataset(tables, settings, include_background, specs, None)


def _check_resamples(n_resamples: int) -> int:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise TypeError(f"n_resamples must be an integer, got {n_resamples!r}.")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}.")
    return int(n_resamples)


def _check_settings(
    kind: str,
    iou_thresholds: Iterable[float],
    classes: Iterable[int] | None,
    ignore_label: int | None,
    criterion: str,
    exclude_border: int,
    confidence_interval: float | None,
) -> dict:
    """Every setting checked before any image is read, or a clear error."""
    if kind not in ("instance", "semantic"):
        raise ValueError(f"kind must be 'instance' or 'semantic', got {kind!r}.")
    settings = {
        "kind": kind,
        "ignore_label": check_ignore_label(ignore_label),
        "criterion": check_criterion(criterion),
        "exclude_border": check_exclude_border(exclude_border),
        "iou_thresholds": None,
        "classes": None,
        "confidence_interval": None,
    }
    if kind == "instance":
        settings["iou_thresholds"] = check_iou_thresholds(iou_thresholds)
    else:
        if criterion != "iou" or exclude_border:
            raise ValueError("criterion and exclude_border are for kind='instance'.")
        if classes is not None:
            settings["classes"] = class_ids(classes)
    if confidence_interval is not None:
        level = float(confidence_interval)
        if not 0 < level < 1:  # NaN fails too
            raise ValueError(
                f"confidence_interval must be a level in (0, 1), e.g. 0.95; got "
                f"{confidence_interval!r}."
            )
        settings["confidence_interval"] = level
    return settings


def _class_specs(
    kind: str, true_classes, pred_classes, pairs: list[tuple], axis: int | None
) -> tuple[list[ClassSpec], list[ClassSpec]] | None:
    """Each image's classes, per side, checked against its shape (metadata only)."""
    if true_classes is None and pred_classes is None:
        return None
    if kind != "instance":
        raise ValueError("true_classes and pred_classes are for kind='instance'.")
    if true_classes is None or pred_classes is None:
        raise ValueError(
            "give both true_classes and pred_classes for multi-class results (or neither); "
            f"got only {'true_classes' if pred_classes is None else 'pred_classes'}."
        )
    specs = []
    for side, (values, name) in enumerate(
        ((true_classes, "true_classes"), (pred_classes, "pred_classes"))
    ):
        per_image = _per_image_classes(values, len(pairs), axis, name)
        specs.append(
            [
                check_classes(c, _shape(pair[side], c), f"{name}[{i}]")
                for i, (c, pair) in enumerate(zip(per_image, pairs, strict=True))
            ]
        )
    return specs[0], specs[1]


def _shape(image, classes) -> tuple[int, ...]:
    """The shape a class image must have: its label image's (or its own, without pixels)."""
    if image is not None:
        return tuple(image.shape)
    return tuple(getattr(classes, "shape", ()))


def _per_image_classes(values, n_images: int, axis: int | None, name: str) -> list:
    """One class image or mapping per image: the planes of a class stack along ``axis``, or
    the items of a sequence."""
    if axis is not None and hasattr(values, "shape") and hasattr(values, "dtype"):
        stack = as_dask(values) if is_lazy(values) else np.asarray(values)
        if not -stack.ndim <= axis < stack.ndim:
            raise ValueError(f"axis {axis} cannot split {name} of shape {stack.shape}.")
        return list(np.moveaxis(stack, axis, 0))
    if isinstance(values, Mapping | pd.Series) or hasattr(values, "shape"):
        raise TypeError(
            f"{name} must give one class image or mapping per image (a list), got one "
            f"{type(values).__name__}."
        )
    values = list(values)
    if len(values) != n_images:
        raise ValueError(
            f"{name} gives {len(values)} class images or mappings for {n_images} images."
        )
    return values


def _dataset(
    tables: list[OverlapTable],
    settings: dict,
    include_background: bool,
    specs: tuple[list[ClassSpec], list[ClassSpec]] | None,
    labels: list[tuple] | None,
) -> DatasetResult:
    if settings["kind"] == "instance":
        parts = _instance_dataset(
            tables,
            settings["iou_thresholds"],
            settings["criterion"],
            specs,
            labels,
            settings["background_class"],
        )
        result = _instance_from_parts(parts)
    else:
        result = _semantic_dataset(
            tables,
            settings["classes"],
            include_background,
            nothing_left(settings["ignore_label"], True if settings.get("region") else None),
            settings["ignore_label"],
        )
    if settings["confidence_interval"] is None:
        return result
    return _with_interval(result, settings)


def _regions(region, pairs: list, axis: int | None, stack_shape) -> list:
    """One checked region (or None) per image pair; nothing is read."""
    if region is None:
        return [None] * len(pairs)
    if axis is not None:
        region = check_region(region, tuple(stack_shape))
        return list(np.moveaxis(region, axis, 0))
    if isinstance(region, np.ndarray) or is_lazy(region):
        raise TypeError("region: pass one mask per image (a list), or axis=... for a stack.")
    region = list(region)
    if len(region) != len(pairs):
        raise ValueError(f"region: {len(region)} masks for {len(pairs)} images.")
    return [check_region(r, tuple(t.shape)) for r, (t, _) in zip(region, pairs, strict=True)]


def _image_pairs(true, pred, axis: int | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    if axis is not None:
        true, pred = as_label_pair(true, pred)
        if not -true.ndim <= axis < true.ndim or true.ndim < 2:
            raise ValueError(f"axis {axis} cannot split {true.ndim}-D images into planes.")
        yield from zip(np.moveaxis(true, axis, 0), np.moveaxis(pred, axis, 0), strict=True)
        return
    if any(isinstance(a, np.ndarray) or is_lazy(a) for a in (true, pred)):
        raise TypeError("pass axis=... to evaluate the planes of a stack, or two lists of images.")
    true, pred = list(true), list(pred)
    if len(true) != len(pred):
        raise ValueError(f"{len(true)} ground-truth images but {len(pred)} predictions.")
    yield from zip(true, pred, strict=True)


@dataclass(frozen=True, repr=False)
class ImageParts:
    """One image's instance metrics, reduced to what the dataset tables add up or average.

    Computed where the image is (on a cluster's worker, say) by :func:`instance_image_parts`;
    :func:`dataset_from_parts` turns the parts of many images into a :class:`DatasetResult`.
    ``row``: the image's per-image values (as in ``DatasetResult.per_image``, without
    ``image``). ``per_threshold``: its counts and ratios per IoU threshold. ``review``: its
    counts at IoU 0.5. With classes, ``per_class``, ``class_confusion`` and ``class_pq`` (the
    per-class counts at IoU 0.5); otherwise None.
    """

    row: dict
    per_threshold: pd.DataFrame
    review: dict
    per_class: pd.DataFrame | None = None
    class_confusion: pd.DataFrame | None = None
    class_pq: pd.DataFrame | None = None


def instance_image_parts(
    table: OverlapTable,
    *,
    iou_thresholds: Iterable[float] = DEFAULT_IOU_THRESHOLDS,
    criterion: str = "iou",
    true_classes: ClassesLike | None = None,
    pred_classes: ClassesLike | None = None,
    background_class: int | None = None,
) -> ImageParts:
    """One image's instance metrics from its overlap table: the part of a dataset it adds.

    The matching of the image's objects happens here, so that images evaluated elsewhere (one
    file per task on a cluster) send back only these small parts; summing them with
    :func:`dataset_from_parts` gives the same result as :func:`dataset_from_tables`.

    Parameters
    ----------
    table : OverlapTable
        The image's :func:`overlap_table` (border objects already removed, if wanted).
    iou_thresholds, criterion
        As in :func:`dataset_metrics`; the same for every image of a dataset.
    true_classes, pred_classes : mapping, optional
        Both or neither: object id -> class of each side (``dict`` or ``pandas.Series``).
    background_class : int, optional
        With classes: the class that is no class, as in :func:`dataset_metrics` (the same
        for every image of a dataset).

    Returns
    -------
    ImageParts

    Examples
    --------
    >>> from napari_seg_eval import overlap_table
    >>> a = np.array([[1, 1, 0], [0, 0, 2]])
    >>> parts = instance_image_parts(overlap_table(a, a * (a == 1)), iou_thresholds=[0.5])
    >>> parts.per_threshold[["tp", "fp", "fn"]].values.tolist()  # object 2 missed
    [[1, 0, 1]]
    """
    settings = _check_settings("instance", iou_thresholds, None, None, criterion, 0, None)
    with_classes = true_classes is not None or pred_classes is not None
    background = check_background_class(background_class, with_classes)
    classes = None
    if with_classes:
        specs = _class_specs("instance", [true_classes], [pred_classes], [(None, None)], None)
        if any(s.image is not None for side in specs for s in side):
            raise ValueError(
                "instance_image_parts takes classes as mappings from object id to class."
            )
        pairs = ObjectPairs.from_table(table)
        classes = (
            object_classes(pairs.true_ids, specs[0][0]),
            object_classes(pairs.pred_ids, specs[1][0]),
        )
    return _image_parts(
        table, settings["iou_thresholds"], settings["criterion"], classes, background
    )


def _image_parts(
    table: OverlapTable,
    iou_thresholds: list[float],
    criterion: str,
    classes: tuple[np.ndarray, np.ndarray] | None,
    background_class: int | None,
) -> ImageParts:
    result = instance_metrics_from_table(
        table,
        iou_thresholds=iou_thresholds,
        criterion=criterion,
        classes=classes,
        background_class=background_class,
    )
    numerator, denominator = aggregated_jaccard_parts(result.pairs)
    row = result.summary.to_dict()  # with classes, their mean PQ at 0.5 too
    class_pq = None if classes is None else _class_pq_50(result, criterion, background_class)
    return ImageParts(
        row | {"aji_numerator": numerator, "aji_denominator": denominator},
        result.per_threshold,
        match_counts(result.pairs, REVIEW_THRESHOLD, criterion),
        result.per_class,
        result.class_confusion,
        class_pq,
    )


def dataset_from_parts(
    parts: Sequence[ImageParts],
    *,
    confidence_interval: float | None = None,
    n_resamples: int = 2000,
) -> DatasetResult:
    """Instance metrics of many images from each image's :func:`instance_image_parts`.

    The same result as :func:`dataset_from_tables` on the images' tables: the pooled tables
    add up the parts' counts, the image means average their ratios.

    Parameters
    ----------
    parts : sequence of ImageParts
        One per image, in image order, all with the same IoU thresholds and criterion (and
        all with classes, or none).
    confidence_interval, n_resamples
        As in :func:`dataset_metrics`.

    Returns
    -------
    DatasetResult

    Examples
    --------
    >>> from napari_seg_eval import overlap_table
    >>> a = np.array([[1, 1, 0], [0, 0, 2]])
    >>> parts = [
    ...     instance_image_parts(overlap_table(a, p), iou_thresholds=[0.5])
    ...     for p in (a, np.zeros_like(a))
    ... ]
    >>> float(dataset_from_parts(parts).summary["f1_50_pooled"])  # tp 2, fn 2: 4 / (4 + 2)
    0.6666666666666666
    """
    parts = list(parts)
    if not parts:
        raise ValueError("no images to evaluate: no image parts given.")
    thresholds = parts[0].per_threshold["threshold"].tolist()
    for index, part in enumerate(parts):
        if part.per_threshold["threshold"].tolist() != thresholds:
            raise ValueError(
                f"image {index}'s parts are at IoU thresholds "
                f"{part.per_threshold['threshold'].tolist()}, image 0's at {thresholds}; "
                "compute every image's parts with the same settings."
            )
        if (part.class_pq is None) != (parts[0].class_pq is None):
            raise ValueError(
                f"images 0 and {index}: one's parts have classes, the other's not; give "
                "classes for every image or none."
            )
    settings = _check_settings("instance", [0.5], None, None, "iou", 0, confidence_interval)
    settings["n_resamples"] = _check_resamples(n_resamples)
    result = _instance_from_parts(parts)
    if settings["confidence_interval"] is None:
        return result
    return _with_interval(result, settings)


def _instance_dataset(
    tables: list[OverlapTable],
    iou_thresholds: list[float],
    criterion: str,
    specs: tuple[list[ClassSpec], list[ClassSpec]] | None,
    labels: list[tuple] | None,
    background_class: int | None,
) -> list[ImageParts]:
    """Each image's parts (its matching), with its objects' classes when ``specs`` are given
    (``background_class``: the class that is no class)."""
    parts = []
    for index, table in enumerate(tables):
        classes = None
        if specs is not None:
            pairs = ObjectPairs.from_table(table)
            true, pred, region = labels[index] if labels is not None else (None, None, None)
            classes = (
                object_classes(pairs.true_ids, specs[0][index], true, region),
                object_classes(pairs.pred_ids, specs[1][index], pred, region),
            )
        parts.append(_image_parts(table, iou_thresholds, criterion, classes, background_class))
    return parts


def _instance_from_parts(parts: list[ImageParts]) -> DatasetResult:
    """The dataset tables from the images' parts: counts summed, ratios averaged."""
    per_image = pd.DataFrame([{"image": index, **part.row} for index, part in enumerate(parts)])
    n_true = int(per_image["n_true"].sum())

    # Every image has one row per threshold, in the order given: add and average row by row
    # (by position, not by threshold value, so that a repeated threshold stays its own row).
    thresholds = parts[0].per_threshold[["threshold"]]
    stacked = pd.concat([part.per_threshold for part in parts])
    rows = stacked.reset_index(drop=True)  # each image's per-threshold rows, in image order
    rows.insert(0, "image", np.repeat(np.arange(len(parts)), len(thresholds)))
    summed = stacked[_INSTANCE_COUNTS].groupby(level=0).sum()
    pooled = scores_from_counts(pd.concat([thresholds, summed], axis=1), n_true)
    image_mean = pd.concat([thresholds, stacked[_INSTANCE_RATIOS].groupby(level=0).mean()], axis=1)

    review = pd.DataFrame([part.review for part in parts])
    pooled_review = scores_from_counts(review[_INSTANCE_COUNTS].sum().to_frame().T, n_true)
    summary = {
        "n_images": len(parts),
        "n_true": n_true,
        "n_pred": int(per_image["n_pred"].sum()),
        "mean_accuracy_pooled": pooled["accuracy"].mean(skipna=True),
        "mean_accuracy_image_mean": per_image["mean_accuracy"].astype(float).mean(),
        "f1_50_pooled": pooled_review["f1"].iat[0],
        "f1_50_image_mean": per_image["f1_50"].astype(float).mean(),
        "panoptic_quality_50_pooled": pooled_review["panoptic_quality"].iat[0],
        "panoptic_quality_50_image_mean": per_image["panoptic_quality_50"].astype(float).mean(),
        "aji_pooled": ratio(per_image["aji_numerator"].sum(), per_image["aji_denominator"].sum()),
        "aji_image_mean": per_image["aji"].astype(float).mean(),
    }
    for name in ("accuracy", "precision", "recall"):  # at IoU 0.5, beside F1 and PQ
        summary[f"{name}_50_pooled"] = pooled_review[name].iat[0]
        summary[f"{name}_50_image_mean"] = per_image[f"{name}_50"].astype(float).mean()
    if parts[0].class_pq is None:
        return DatasetResult(
            per_image, pooled, image_mean, pd.Series(summary, dtype=object), per_image_rows=rows
        )
    from .presets import pool_per_class  # presets imports the COCO code (scipy.optimize)

    per_class_pooled = pool_per_class([part.per_class for part in parts])
    stacked = pd.concat([part.per_class for part in parts], ignore_index=True)
    per_class_image_mean = (
        stacked.groupby(["class", "threshold"], sort=True)[_INSTANCE_RATIOS].mean().reset_index()
    )
    confusion = _summed_confusion([part.class_confusion for part in parts])
    summary |= {
        "class_mean_accuracy_pooled": nanmean(
            per_class_pooled.groupby("class", sort=True)["accuracy"].mean()
        ),
        "class_mean_accuracy_image_mean": per_image["class_mean_accuracy"].astype(float).mean(),
        "class_mean_panoptic_quality_50_pooled": nanmean(
            pool_per_class([part.class_pq for part in parts])["panoptic_quality"]
        ),
        "class_mean_panoptic_quality_50_image_mean": per_image["class_mean_panoptic_quality_50"]
        .astype(float)
        .mean(),
    }
    return DatasetResult(
        per_image,
        pooled,
        image_mean,
        pd.Series(summary, dtype=object),
        per_class_pooled=per_class_pooled,
        per_class_image_mean=per_class_image_mean,
        class_confusion=confusion,
        per_image_rows=rows,
    )


def _summed_confusion(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The images' confusion tables (true class × predicted class) summed, on the union of
    every image's classes (both sides, as each image's table): 0 where an image has no class."""
    classes = sorted(set().union(*(set(table.index) | set(table.columns) for table in tables)))
    summed = pd.DataFrame(0, index=classes, columns=classes, dtype=np.int64)
    for table in tables:
        summed = summed.add(table.reindex_like(summed).fillna(0).astype(np.int64))
    summed.index.name = tables[0].index.name
    summed.columns.name = tables[0].columns.name
    return summed


def _class_pq_50(
    result: InstanceResult, criterion: str, background_class: int | None
) -> pd.DataFrame:
    """An image's per-class counts at IoU 0.5 (matching within each class; no row for the
    background class)."""
    return class_counts(
        result.pairs,
        result.true_class,
        result.pred_class,
        [REVIEW_THRESHOLD],
        criterion,
        background_class,
    )


def _with_interval(result: DatasetResult, settings: dict) -> DatasetResult:
    """The result with ``*_low`` / ``*_high`` in its summary: a bootstrap over images (of its
    own ``per_image_rows`` for the pooled means over thresholds or classes)."""
    from .compare import bootstrap_dataset  # compare builds on this module

    interval = bootstrap_dataset(
        result,
        confidence=settings["confidence_interval"],
        n_resamples=settings.get("n_resamples", 2000),
    )
    summary = result.summary.copy()
    for row in interval.itertuples():  # NaN bounds for a value of fewer than 2 images
        summary[f"{row.metric}_low"] = row.low
        summary[f"{row.metric}_high"] = row.high
    return replace(result, summary=summary)


def _n_resampled(result: DatasetResult, key: str) -> int:
    """The number of images a bootstrap of the summary value ``key`` draws from: every image
    for a pooled value, the images where the value is defined for an image mean. With fewer
    than 2 every resample is the value itself: a zero-width interval that says nothing."""
    if key.endswith("_image_mean"):
        values = result.per_image[key.removesuffix("_image_mean")].to_numpy(float)
        return int(np.isfinite(values).sum())
    return len(result.per_image)


def _semantic_dataset(
    tables: list[OverlapTable],
    classes: np.ndarray | None,
    include_background: bool,
    why_empty: str,
    ignore_label: int | None,
) -> DatasetResult:
    empty = [index for index, table in enumerate(tables) if table.n_pixels == 0]
    if len(empty) == len(tables):
        raise ValueError(f"no pixel is left to evaluate in any image: {why_empty}.")
    if empty:
        warn(
            f"images {empty} have no pixel left ({why_empty}); their metrics are NaN and left "
            "out of the image means.",
            RuntimeWarning,
        )
    pooled_result = semantic_metrics_from_table(
        OverlapTable.sum(tables),
        classes=classes,
        include_background=include_background,
        ignore_label=ignore_label,
    )
    # Report the same classes in every image so that the per-class means line up.
    reported = pooled_result.per_class["class"].to_numpy()
    results = [
        semantic_metrics_from_table(t, classes=reported, include_background=include_background)
        for t in tables
    ]
    per_image = pd.DataFrame([{"image": i, **r.summary.to_dict()} for i, r in enumerate(results)])
    stacked = pd.concat([r.per_class for r in results], ignore_index=True)
    image_mean = stacked.groupby("class")[_SEMANTIC_RATIOS].mean().reset_index()
    rows = stacked.copy()  # each image's per-class rows (the classes of pooled), in image order
    rows.insert(0, "image", np.repeat(np.arange(len(results)), len(reported)))
    # Every value of a semantic summary, as the catalogue says: a ratio pooled (semantic_metrics
    # of the summed counts, the images side by side) and as the mean of the images where it is
    # defined; a count summed.
    summary: dict = {"n_images": len(results)}
    for entry in SEMANTIC_SUMMARY:
        if entry.pooling == "ratio":
            summary[f"{entry.key}_pooled"] = pooled_result.summary[entry.key]
            summary[f"{entry.key}_image_mean"] = per_image[entry.key].astype(float).mean()
        elif entry.pooling == "sum":
            summary[entry.key] = pooled_result.summary[entry.key]
    return DatasetResult(
        per_image,
        pooled_result.per_class,
        image_mean,
        pd.Series(summary, dtype=object),
        per_image_rows=rows,
    )
