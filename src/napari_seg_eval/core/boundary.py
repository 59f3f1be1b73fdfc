"""Boundary metrics: Hausdorff distances, average surface distance, surface Dice, boundary F1.

The boundary of a mask is its inner contour: the pixels of the mask with a face-neighbour
outside it, where outside the image counts as background. Distances are Euclidean, in the
physical units of ``spacing``, from each boundary pixel of one mask to the nearest boundary
pixel of the other (MONAI's reading). With ``d_pt`` the distances from the predicted boundary
to the true one and ``d_tp`` the other way:

- HD = max(max d_pt, max d_tp); HD95 = max of the two 95th percentiles (linear interpolation);
- ASSD = mean of ``d_pt`` and ``d_tp`` pooled;
- NSD at tolerance τ = (#{d_pt <= τ} + #{d_tp <= τ}) / (#d_pt + #d_tp);
- boundary F1 at τ = harmonic mean of P = #{d_pt <= τ} / #d_pt and R = #{d_tp <= τ} / #d_tp
  (0 when both are 0).

One mask empty: HD, HD95, ASSD = inf, NSD and boundary F1 = 0; both empty: NaN.

Axes of size 1 are left out (with their spacing) before any boundary is found: an image one
pixel thick along an axis has no boundary along it, and ``(1, Y, X)`` images are the
``(Y, X)`` images.

With a ``region``, both images are masked to it before the boundaries are found: outside the
region counts as background, exactly as outside the image does. Scoring a region is then
scoring the image cropped to it (for a rectangle, the same numbers), and an object cut by the
region's edge has a contour along the cut, as an object cut by the image's edge has. The
images are cropped to the region's bounding box first (which changes no boundary and no
distance), so a region one pixel thick along an axis (one plane of a stack, one row) makes that
axis one of size 1, left out as above: the plane scores as the plane cropped, not as a slab
whose every pixel is a boundary pixel. The other readings (contours of the whole images,
restricted to the region afterwards) would measure boundaries against pixels the region leaves
out, which every other metric refuses to look at.

HD and its kin are not additive over blocks of pixels, so they are computed on crops: for a
class, the bounding box of its pixels in both images; for a matched pair of objects, the union
of the two objects' boxes (``scipy.ndimage.find_objects`` gives every box in one pass). A crop
holds every pixel of both masks, so whatever lies outside it is background, which is exactly
how the contour at the crop edge is computed (erosion with ``border_value=0``); and Euclidean
distances between points of the crop do not depend on the crop. Distances come from a distance
transform of the crop (``distance_transform_edt(~boundary, sampling=spacing)``), or, when the
boundary is sparse in a large crop (a whole-slide class), from a KD-tree over the boundary
points, as MONAI does on CPU; both are exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

from ._results import Result, nanmean
from ._validate import as_label_pair, check_region
from ._warn import warn, warn_if_time_series
from .blocks import as_dask, is_lazy
from .instance import ObjectPairs
from .overlap import OverlapTable, overlap_table

#: The IoU at which objects are paired for per-object boundary metrics.
PAIR_IOU = 0.5
#: Columns of the boundary metrics, in every table.
BOUNDARY_COLUMNS = ("hd", "hd95", "assd", "nsd", "boundary_f1")

#: Crops with more pixels than this per boundary pixel use a KD-tree over the boundary points
#: instead of two distance transforms of the crop: both give the exact Euclidean distance, and
#: here the KD-tree costs about 1.2 µs per boundary point and a transform about 90 ns per pixel.
EDT_PIXELS_PER_EDGE_PIXEL = 16

#: Per-class metrics of images with more distinct non-zero ids than this in either image, ids
#: that mostly differ between the two where both are non-zero (see
#: :data:`SAME_ID_FRACTION`), warn that the images look like instance labels. One image of a
#: semantic data set holds a few to a few tens of classes (Pascal VOC has 20 in all,
#: Cityscapes 19 scored, 34 label ids; an ADE20K or COCO-Stuff image about ten of their 150
#: or 171): above 32 in one image is a count of objects, not of classes, in all but freak
#: images, and those are spared by the second test. 33 nuclei in a crop are common.
INSTANCE_LIKE_IDS = 32
#: ... and where both images are non-zero, fewer than this fraction of the pixels carry the
#: same id on both sides. In class images an id means the same class on both sides, so they
#: agree on most such pixels (the pixel accuracy of any prediction worth measuring); ids of
#: two labellings of objects are numbered independently and seldom coincide (the sample data:
#: 8%). Label images whose ids do agree (a prediction relabelled from the truth) are scored
#: per id as they would be per object, so nothing is said.
SAME_ID_FRACTION = 0.5

Box = tuple[slice, ...]


@dataclass(frozen=True, repr=False, eq=False)
class BoundaryResult(Result):
    """Boundary metrics of each class (semantic labels).

    Attributes
    ----------
    per_class
        One row per class: ``class, hd, hd95, assd, nsd, boundary_f1``.
    summary
        ``mean_hd, mean_hd95, mean_assd, mean_nsd, mean_boundary_f1`` (means over the classes;
        undefined values, NaN, left out; an infinite distance makes its mean infinite) and
        ``n_classes``.
    spacing
        The pixel size along each axis that distances are measured in.
    tolerance
        The tolerance τ of NSD and boundary F1, in the units of ``spacing``.
    """

    per_class: pd.DataFrame
    summary: pd.Series
    spacing: tuple[float, ...]
    tolerance: float

    _main = "per_class"


@dataclass(frozen=True, repr=False, eq=False)
class ObjectBoundaryResult(Result):
    """Boundary metrics of each pair of objects matched at IoU >= 0.5 (instance labels).

    Attributes
    ----------
    per_object
        One row per matched pair: ``true_label, pred_label, iou, hd, hd95, assd, nsd,
        boundary_f1``.
    summary
        ``mean_hd, mean_hd95, mean_assd, mean_nsd, mean_boundary_f1`` (means over the matched
        pairs; NaN when there are none), ``n_true``, ``n_pred`` and ``n_matched``.
    spacing
        The pixel size along each axis that distances are measured in.
    tolerance
        The tolerance τ of NSD and boundary F1, in the units of ``spacing``.
    """

    per_object: pd.DataFrame
    summary: pd.Series
    spacing: tuple[float, ...]
    tolerance: float

    _main = "per_object"


#: Distances up to τ (1 + this) count as within τ: the rounding of spacing times pixels
#: (1e-9 of τ, far below the gap between two distances on a pixel grid).
TOLERANCE_RELATIVE_SLACK = 1e-9


def boundary_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    spacing: float | Sequence[float] | None = None,
    tolerance: float = 1.0,
    classes: Iterable[int] | None = None,
    include_background: bool = False,
    per_object: bool = False,
    region: np.ndarray | None = None,
) -> BoundaryResult | ObjectBoundaryResult:
    """Hausdorff distance, HD95, ASSD, surface Dice (NSD) and boundary F1.

    Parameters
    ----------
    true, pred
        Integer label images of equal shape (any dimension): class images, or instance label
        images with ``per_object=True``.
    spacing
        Pixel size along each axis (a napari layer's ``scale``), or one number for all axes;
        distances are in these units. Default: 1 on every axis.
    tolerance
        τ of NSD and boundary F1: a boundary pixel counts as close when its distance to the
        other boundary is at most τ (same units as ``spacing``).
    classes
        Semantic mode: the classes to report. Default: every class present in either image
        (class 0 only with ``include_background=True``). A listed class absent from both images
        gets NaN.
    include_background
        Semantic mode: report class 0 too.
    per_object
        Treat the images as instance labels (0 is background) and report one row per pair of
        objects matched one-to-one at IoU >= 0.5, measured on the pair's bounding box.
        Unmatched objects get no row (their distance to a partner is undefined).
    region
        A boolean mask of the images' shape: only the pixels inside it are scored. Both images
        are masked to it first, outside counting as background as outside the image does, so
        an object cut by the region's edge has a boundary along the cut, and scoring a region
        equals scoring the image cropped to it (an axis along which the region is one pixel
        thick is then an axis of size 1, see Notes). Objects and classes are those inside.

    Returns
    -------
    BoundaryResult or ObjectBoundaryResult
        ``per_class`` (or ``per_object``) table and a ``summary`` of means.

    Raises
    ------
    ValueError
        On a bad ``spacing`` or ``tolerance``, ``classes`` with ``per_object=True``, class 0
        listed in ``classes`` while ``include_background`` is False, or a ``region`` of
        another shape.
    TypeError
        If an image is not an integer label image or the region is not boolean.

    Warns
    -----
    UserWarning
        Per class, without ``classes``: if the images look like instance labels, more than
        :data:`INSTANCE_LIKE_IDS` distinct non-zero ids in either image that mostly differ
        between the two (see :data:`SAME_ID_FRACTION`). Each id is then scored as a class:
        pass ``per_object=True`` for the objects, or ``true > 0``, ``pred > 0`` for the
        foreground.

    Notes
    -----
    Axes of size 1 are dropped first, with their ``spacing``: such an axis holds no boundary
    (along it every pixel of a one-pixel-thick slab would be a boundary pixel), so a
    ``(1, Y, X)`` or ``(Y, X, 1)`` pair scores as the ``(Y, X)`` images do. With a ``region``
    the images are first cropped to its bounding box, so an axis along which the region is
    one pixel thick (one plane of a stack) is dropped too: the plane scores as ``true[k]``,
    ``pred[k]`` do. The result's ``spacing`` still has one entry per axis of the images given.

    On non-empty masks the values agree with MONAI's ``compute_hausdorff_distance`` (with
    ``percentile=95`` for HD95), ``compute_average_surface_distance(symmetric=True)`` and
    ``compute_surface_dice`` with the same tolerance, but for two cases:

    - an axis of size 1: MONAI erodes along it (every pixel a boundary pixel); here it is dropped.
    - one mask empty: MONAI's HD95 is NaN; here it is inf, as the HD is.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import boundary_metrics
    >>> true = np.zeros((8, 8), np.uint8)
    >>> true[2:5, 2:5] = 1
    >>> pred = np.roll(true, 2, axis=1)
    >>> result = boundary_metrics(true, pred)
    >>> float(result.per_class.loc[0, "hd"])
    2.0
    >>> float(boundary_metrics(true, pred, spacing=(1, 0.5)).per_class.loc[0, "hd"])
    1.0

    Only columns 0-4, which hold the first column of ``pred``: the same as the cropped images.

    >>> left = np.zeros((8, 8), bool)
    >>> left[:, :5] = True
    >>> in_region = boundary_metrics(true, pred, region=left).per_class
    >>> in_region.equals(boundary_metrics(true[:, :5], pred[:, :5]).per_class)
    True
    """
    true, pred = as_label_pair(true, pred)
    region = check_region(region, tuple(true.shape))
    sampling = _check_spacing(spacing, true.ndim)
    warn_if_time_series(tuple(true.shape), "boundary_metrics")
    tolerance = _check_tolerance(tolerance)
    # Outside the region is background, as outside the image is: the images cropped to the
    # region's box are the same images, and an axis along which the region is one pixel
    # thick becomes one of size 1, dropped as the image's own are.
    true, pred, region = _cropped_to_region(true, pred, region)
    # Boundaries of the image with its size-1 axes dropped: measured along such an axis,
    # every pixel of a one-pixel-thick slab would be a boundary pixel.
    true, pred, region, measured = _without_singleton_axes(true, pred, region, sampling)
    true, pred, region = _one_grid(true, pred, region)
    if per_object:
        if classes is not None:
            raise ValueError(
                "classes= applies to per-class boundary metrics; per_object=True pairs objects "
                "of instance label images regardless of class."
            )
        if region is not None:
            true, pred = _masked(true, region), _masked(pred, region)
        return replace(_object_boundaries(true, pred, measured, tolerance), spacing=sampling)
    class_ids = _check_classes(classes, include_background)
    found = _class_boundaries(
        true, pred, class_ids, include_background, measured, tolerance, region
    )
    return replace(found, spacing=sampling)


def _cropped_to_region(
    true: np.ndarray, pred: np.ndarray, region: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The images and the region cropped to the region's bounding box (all three as they are
    without a region, or with one that holds no pixel).

    Every pixel outside the box is outside the region, background in both masked images, as
    the pixels outside the crop are to the erosion that finds the contour (``border_value=0``):
    the boundaries and their distances are those of the whole images. What the crop changes
    is the size of the axes along which the region is one pixel thick: 1, so that such a slab
    scores as the image cropped to it does, its size-1 axes dropped (see
    :func:`_without_singleton_axes`). A chunked region's box is found chunk by chunk (one
    reduction per axis; nothing else is read) and the crops stay lazy.

    Examples
    --------
    >>> region = np.zeros((3, 5), bool)
    >>> region[1, 1:4] = True
    >>> true, _, inside = _cropped_to_region(np.arange(15).reshape(3, 5), np.zeros((3, 5)), region)
    >>> true.tolist(), inside.shape
    ([[6, 7, 8]], (1, 3))
    """
    if region is None:
        return true, pred, region
    box = _region_box(region)
    if box is None:
        return true, pred, region
    return true[box], pred[box], region[box]


def _region_box(region: np.ndarray) -> Box | None:
    """The bounding box of the pixels of ``region`` (numpy or chunked), None if it has none.

    Examples
    --------
    >>> import dask.array as da
    >>> region = np.zeros((4, 6), bool)
    >>> region[2, 1:3] = True
    >>> _region_box(da.from_array(region, chunks=2))
    (slice(2, 3, None), slice(1, 3, None))
    >>> _region_box(np.zeros((2, 2), bool)) is None
    True
    """
    if not is_lazy(region):
        found = ndi.find_objects(region.view(np.uint8))
        return found[0] if found else None
    import dask

    lazy = as_dask(region)
    axes = range(lazy.ndim)
    profiles = dask.compute(
        *(lazy.any(axis=tuple(other for other in axes if other != axis)) for axis in axes)
    )
    box = []
    for profile in profiles:
        hits = np.flatnonzero(profile)
        if hits.size == 0:
            return None
        box.append(slice(int(hits[0]), int(hits[-1]) + 1))
    return tuple(box)


def _without_singleton_axes(
    true: np.ndarray, pred: np.ndarray, region: np.ndarray | None, sampling: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[float, ...]]:
    """The images (and the region) without their axes of size 1, and the spacing of the axes
    kept (one axis is kept if all have size 1).

    An axis of size 1 holds no boundary: the image is a slab one pixel thick along it, and
    erosion along it would make every pixel a boundary pixel. Dropping it gives the boundary
    of the image it is (a (1, Y, X) stack is the (Y, X) image) and changes no distance.

    Examples
    --------
    >>> true = np.zeros((1, 4, 1), int)
    >>> true, _, _, kept = _without_singleton_axes(true, true, None, (5.0, 2.0, 3.0))
    >>> true.shape, kept
    ((4,), (2.0,))
    """
    kept = [axis for axis, size in enumerate(true.shape) if size > 1] or [true.ndim - 1]
    if len(kept) == true.ndim:
        return true, pred, region, sampling
    shape = tuple(true.shape[axis] for axis in kept)
    true, pred = true.reshape(shape), pred.reshape(shape)
    region = None if region is None else region.reshape(shape)
    return true, pred, region, tuple(sampling[axis] for axis in kept)


def _one_grid(*arrays: np.ndarray | None) -> tuple[np.ndarray | None, ...]:
    """The chunked ones among ``arrays`` on one chunk grid, the finest that holds every
    one's chunk borders (each chunk of each array is a whole number of the grid's), the
    others (numpy, None) as they are.

    Every later read (the overlap table, the boxes, the crops) is then of the same arrays:
    on a ``dask.distributed`` cluster, an image read both as it is chunked and put on
    another's grid comes to the scheduler with two different tasks for one chunk ("Detected
    different `run_spec` for key"). The finer grid keeps an object's crop a read of the few
    chunks under it (the coarser one would merge small chunks into large ones for each crop).

    Examples
    --------
    >>> import dask.array as da
    >>> true, pred, region = _one_grid(da.zeros((4, 4), chunks=2), da.zeros((4, 4)), None)
    >>> pred.chunks, region
    (((2, 2), (2, 2)), None)
    >>> true, pred, _ = _one_grid(da.zeros(6, chunks=4), da.zeros(6, chunks=3), None)
    >>> true.chunks, pred.chunks
    (((3, 1, 2),), ((3, 1, 2),))
    """
    from dask.array.core import common_blockdim

    chunked = [array for array in arrays if array is not None and is_lazy(array)]
    if len(chunked) < 2:
        return arrays
    lazy = [as_dask(array) for array in chunked]
    grid = tuple(
        tuple(common_blockdim([array.chunks[axis] for array in lazy]))
        for axis in range(lazy[0].ndim)
    )
    on_grid = iter(
        array if array.chunks == grid else array.rechunk(grid, method="tasks") for array in lazy
    )
    return tuple(
        next(on_grid) if array is not None and is_lazy(array) else array for array in arrays
    )


def pair_boundaries(
    true: np.ndarray,
    pred: np.ndarray | None,
    semantic_true: np.ndarray,
    semantic_pred: np.ndarray,
    *,
    binarize: bool = True,
    object_classes: tuple[pd.Series, pd.Series] | None = None,
    excluded_ids: tuple[np.ndarray, np.ndarray] | None = None,
    spacing: float | Sequence[float] | None = None,
    tolerance: float = 1.0,
    region: np.ndarray | None = None,
) -> tuple[BoundaryResult, ObjectBoundaryResult | None]:
    """A pair's boundary metrics per class and per matched object, as the dock and the command
    line report them.

    Per class: the images the semantic metrics compare, the foreground of each side
    (``binarize``: non-zero pixels, one class) or each class of class label images; with
    ``object_classes``, each side's objects (``true``, ``pred``) painted with their
    class. Leaving objects out at the border is a rule of the instance matching: it does not
    apply here, as it does not to the semantic metrics. Per object: the pairs matched
    one-to-one at IoU 0.5 among the objects the matching counted (not ``excluded_ids``).

    Parameters
    ----------
    true : numpy.ndarray
        The ground truth's instance labels.
    pred : numpy.ndarray or None
        The prediction's instance labels; None without instance metrics (no per-object rows).
    semantic_true, semantic_pred : numpy.ndarray
        The images the semantic metrics compare: the truth's labels (or classes), and the
        prediction's labels, a probability map's mask or its classes.
    binarize : bool
        Foreground against background (True) or the class images as they are.
    object_classes : tuple of pandas.Series, optional
        Each side's class per object id (index: ids), for objects with classes.
    excluded_ids : tuple of numpy.ndarray, optional
        Each side's ids of the objects the matching left out (at the border): background for
        the per-object rows. None or empty: none.
    spacing, tolerance, region
        As :func:`boundary_metrics`; ``region`` already without ignored pixels.

    Returns
    -------
    tuple
        The per-class :class:`BoundaryResult` and the :class:`ObjectBoundaryResult` (None when
        ``pred`` is None).

    Examples
    --------
    >>> true = np.array([[1, 1, 0, 0, 2, 2]])
    >>> pred = np.array([[1, 1, 0, 0, 0, 3]])
    >>> per_class, per_object = pair_boundaries(true, pred, true, pred)
    >>> float(per_class.per_class.loc[0, "hd"])  # the foreground: 1 px off at most
    1.0
    >>> per_object.per_object[["true_label", "pred_label"]].values.tolist()  # 2 and 3: IoU 1/2
    [[1, 1], [2, 3]]
    """
    measure = {"spacing": spacing, "tolerance": tolerance, "region": region}
    if object_classes is not None:
        per_class = boundary_metrics(
            _painted(true, object_classes[0]), _painted(pred, object_classes[1]), **measure
        )
    elif binarize:
        foreground = (semantic_true != 0).view(np.uint8), (semantic_pred != 0).view(np.uint8)
        per_class = boundary_metrics(*foreground, classes=[1], **measure)
    else:
        per_class = boundary_metrics(semantic_true, semantic_pred, **measure)
    if pred is None:
        return per_class, None
    if excluded_ids is not None:  # a few objects at the border: background
        true, pred = (
            np.where(np.isin(x, ids), 0, x) if len(ids) else x
            for x, ids in zip((true, pred), excluded_ids, strict=True)
        )
    return per_class, boundary_metrics(true, pred, per_object=True, **measure)


def _painted(labels: np.ndarray, classes: pd.Series) -> np.ndarray:
    """``labels`` with each object of ``classes``' index painted its class; others 0.

    Examples
    --------
    >>> _painted(np.array([[0, 4, 7, 9]]), pd.Series([2, 3], index=[4, 9])).tolist()
    [[0, 2, 0, 3]]
    """
    order = np.argsort(classes.index.to_numpy())
    ids = classes.index.to_numpy()[order]
    values = classes.to_numpy()[order]
    dtype = np.min_scalar_type(max(int(values.max(initial=0)), 1))
    if ids.size == 0:
        return np.zeros(labels.shape, dtype)
    index = np.minimum(np.searchsorted(ids, labels), ids.size - 1)
    found = ids[index] == labels
    return np.where(found, values.astype(dtype)[index], dtype.type(0))


def _masked(labels: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``labels`` with every pixel outside ``region`` set to 0 (background), same dtype."""
    return np.where(region, labels, labels.dtype.type(0))


def _class_boundaries(
    true: np.ndarray,
    pred: np.ndarray,
    class_ids: np.ndarray | None,
    include_background: bool,
    sampling: tuple[float, ...],
    tolerance: float,
    region: np.ndarray | None = None,
) -> BoundaryResult:
    """One row per class, each measured on the bounding box of the class in both images
    (inside ``region``, outside which every class is absent)."""
    # The ids present (inside the region), and the check for negative ids.
    table = overlap_table(true, pred, region=region)
    if class_ids is None:
        _warn_if_instance_labels(table)
        class_ids = np.union1d(table.true_ids, table.pred_ids)
        if not include_background:
            class_ids = class_ids[class_ids != 0]
    if region is not None:
        # Ids other than 0 are then present only inside; class 0 is also cut by the region.
        true, pred = _masked(true, region), _masked(pred, region)
    true_boxes = _class_boxes(true, table.true_ids, class_ids, region)
    pred_boxes = _class_boxes(pred, table.pred_ids, class_ids, region)
    structure = _structure(true.ndim)
    rows = []
    for class_id, true_box, pred_box in zip(class_ids, true_boxes, pred_boxes, strict=True):
        if true_box is None or pred_box is None:
            rows.append(_empty_scores(one_side=true_box is not None or pred_box is not None))
            continue
        box = _union_box(true_box, pred_box)
        true_mask, pred_mask = _crop(true, box) == class_id, _crop(pred, box) == class_id
        if region is not None and class_id == 0:
            inside = _crop(region, box)
            true_mask, pred_mask = true_mask & inside, pred_mask & inside
        rows.append(_scores(true_mask, pred_mask, sampling, tolerance, structure))
    per_class = pd.DataFrame(
        np.array(rows, float).reshape(-1, len(BOUNDARY_COLUMNS)), columns=BOUNDARY_COLUMNS
    )
    per_class.insert(0, "class", class_ids)
    summary = pd.Series(
        {**_means(per_class), "n_classes": int(class_ids.size)},
        dtype=object,
    )
    return BoundaryResult(
        per_class=per_class, summary=summary, spacing=sampling, tolerance=tolerance
    )


def _warn_if_instance_labels(table: OverlapTable) -> None:
    """Warn (a ``UserWarning``) when per-class boundary metrics are given what looks like
    instance labels (see :data:`INSTANCE_LIKE_IDS`): every id is taken as a class.

    Examples
    --------
    >>> import warnings
    >>> ids = np.arange(1, 41)  # 40 objects, numbered 1..40 and 2..41 by two labellings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _warn_if_instance_labels(overlap_table(ids, ids + 1))
    ...     _warn_if_instance_labels(overlap_table(ids, ids))  # the same ids: nothing said
    >>> len(caught), "each id is taken as a class" in str(caught[0].message)
    (1, True)
    """
    n_ids = max(np.count_nonzero(table.true_ids), np.count_nonzero(table.pred_ids))
    if n_ids <= INSTANCE_LIKE_IDS:
        return
    both = (table.pair_true != 0) & (table.pair_pred != 0)
    same = int(table.pair_counts[both & (table.pair_true == table.pair_pred)].sum())
    if same >= SAME_ID_FRACTION * int(table.pair_counts[both].sum()):
        return
    warn(
        f"boundary_metrics: each id is taken as a class, and these images hold {n_ids} "
        "distinct non-zero ids that mostly differ between them: they look like instance "
        "labels. For the boundary of each object pass per_object=True (pairs matched at IoU "
        "0.5); for the foreground's, pass truth > 0 and pred > 0; for classes, list them "
        "(classes=) and nothing is said.",
        UserWarning,
    )


def _object_boundaries(
    true: np.ndarray, pred: np.ndarray, sampling: tuple[float, ...], tolerance: float
) -> ObjectBoundaryResult:
    """One row per pair matched at IoU 0.5, each measured on the union of the two boxes."""
    pairs = ObjectPairs.from_table(overlap_table(true, pred))
    matched = np.flatnonzero(pairs.match(PAIR_IOU))
    true_index, pred_index = pairs.true_index[matched], pairs.pred_index[matched]
    true_boxes = _boxes(true, pairs.true_ids)
    pred_boxes = _boxes(pred, pairs.pred_ids)
    true_labels = pairs.true_ids[true_index]
    pred_labels = pairs.pred_ids[pred_index]
    structure = _structure(true.ndim)
    scores = np.empty((matched.size, len(BOUNDARY_COLUMNS)))
    for row, (t, p, true_label, pred_label) in enumerate(
        zip(true_index, pred_index, true_labels, pred_labels, strict=True)
    ):
        box = _union_box(true_boxes[t], pred_boxes[p])
        scores[row] = _scores(
            _crop(true, box) == true_label,
            _crop(pred, box) == pred_label,
            sampling,
            tolerance,
            structure,
        )
    per_object = pd.DataFrame(
        {"true_label": true_labels, "pred_label": pred_labels, "iou": pairs.iou[matched]}
    )
    per_object[list(BOUNDARY_COLUMNS)] = scores
    summary = pd.Series(
        {
            **_means(per_object),
            "n_true": int(pairs.true_ids.size),
            "n_pred": int(pairs.pred_ids.size),
            "n_matched": int(matched.size),
        },
        dtype=object,
    )
    return ObjectBoundaryResult(
        per_object=per_object, summary=summary, spacing=sampling, tolerance=tolerance
    )


def _scores(
    true_mask: np.ndarray,
    pred_mask: np.ndarray,
    sampling: tuple[float, ...],
    tolerance: float,
    structure: np.ndarray,
) -> tuple[float, float, float, float, float]:
    """hd, hd95, assd, nsd, boundary_f1 of two non-empty masks holding all of both objects."""
    true_edge = true_mask & ~ndi.binary_erosion(true_mask, structure, border_value=0)
    pred_edge = pred_mask & ~ndi.binary_erosion(pred_mask, structure, border_value=0)
    # Distance from each predicted boundary pixel to the nearest true one, and back.
    n_edge = np.count_nonzero(true_edge) + np.count_nonzero(pred_edge)
    if true_edge.size > EDT_PIXELS_PER_EDGE_PIXEL * n_edge:
        # A sparse boundary in a large crop: nearest neighbours among the boundary points.
        true_points = np.argwhere(true_edge) * sampling
        pred_points = np.argwhere(pred_edge) * sampling
        pred_to_true = cKDTree(true_points).query(pred_points)[0]
        true_to_pred = cKDTree(pred_points).query(true_points)[0]
    else:
        pred_to_true = ndi.distance_transform_edt(~true_edge, sampling=sampling)[pred_edge]
        true_to_pred = ndi.distance_transform_edt(~pred_edge, sampling=sampling)[true_edge]
    # Within τ includes τ: a distance of k pixels times the spacing may come out a rounding
    # error above the τ it equals (3 x 0.1 -> 0.30000000000000004), so compare with that slack.
    within = tolerance * (1 + TOLERANCE_RELATIVE_SLACK)
    close_pred = np.count_nonzero(pred_to_true <= within)
    close_true = np.count_nonzero(true_to_pred <= within)
    n_pred, n_true = pred_to_true.size, true_to_pred.size
    precision, recall = close_pred / n_pred, close_true / n_true
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return (
        float(max(pred_to_true.max(), true_to_pred.max())),
        max(_percentile_95(pred_to_true), _percentile_95(true_to_pred)),
        float((pred_to_true.sum() + true_to_pred.sum()) / (n_pred + n_true)),
        (close_pred + close_true) / (n_pred + n_true),
        f1,
    )


def _percentile_95(values: np.ndarray) -> float:
    """The 95th percentile with linear interpolation (``np.percentile``'s default), between
    the values of ranks floor(h) and floor(h) + 1 with h = 0.95 (n − 1); a partial sort only."""
    position = 0.95 * (values.size - 1)
    low = int(position)
    high = min(low + 1, values.size - 1)
    ranked = np.partition(values, (low, high))
    return float(ranked[low] + (position - low) * (ranked[high] - ranked[low]))


def _empty_scores(*, one_side: bool) -> tuple[float, float, float, float, float]:
    """One mask empty: distances inf, overlaps 0; both empty: everything undefined (NaN)."""
    if not one_side:
        return (math.nan,) * 5
    return (math.inf, math.inf, math.inf, 0.0, 0.0)


def _means(table: pd.DataFrame) -> dict[str, float]:
    return {f"mean_{column}": nanmean(table[column]) for column in BOUNDARY_COLUMNS}


def _structure(ndim: int) -> np.ndarray:
    """Face neighbours only: the inner contour's definition (and MONAI's erosion)."""
    return ndi.generate_binary_structure(ndim, 1)


def _crop(image: np.ndarray, box: Box) -> np.ndarray:
    """``image[box]`` as a numpy array: a chunked image's crop is read once, here (crops hold
    one class or one pair of objects, small by construction), and every later step works on
    numpy arrays (a mask of a lazy crop cannot index the distance transform's array).

    Examples
    --------
    >>> import dask.array as da
    >>> type(_crop(da.zeros((4, 4), chunks=2), (slice(1, 2), slice(1, 2)))).__name__
    'ndarray'
    """
    return np.asarray(image[box])


def _union_box(a: Box, b: Box) -> Box:
    pairs = zip(a, b, strict=True)
    return tuple(slice(min(x.start, y.start), max(x.stop, y.stop)) for x, y in pairs)


def _boxes(labels: np.ndarray, ids: np.ndarray) -> list[Box | None]:
    """Bounding boxes of each of the sorted ``ids`` present in ``labels`` (0 excluded).

    One pass of ``find_objects`` for ids up to a modest maximum; huge ids (up to 2**63) are
    first replaced by their rank among ``ids`` (every non-zero id present must be listed).
    """
    ids = ids[ids != 0]
    if ids.size == 0:
        return []
    highest = int(ids[-1])
    if highest <= max(1 << 20, 8 * ids.size):
        found = ndi.find_objects(labels, max_label=highest)
        return [found[i - 1] for i in ids.tolist()]
    if is_lazy(labels):  # chunk by chunk (np.searchsorted does not take a dask array)
        ranks = as_dask(labels).map_blocks(_ranks, ids, dtype=np.intp)
    else:
        ranks = _ranks(labels, ids)
    return ndi.find_objects(np.asarray(ranks), max_label=ids.size)


def _ranks(labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Each pixel's rank among the sorted non-zero ``ids``: ``ids[k]`` -> k + 1, 0 -> 0.

    Examples
    --------
    >>> _ranks(np.array([0, 2**62, 7]), np.array([7, 2**62])).tolist()
    [0, 2, 1]
    """
    return np.searchsorted(ids, labels) + (labels != 0)


def _class_boxes(
    labels: np.ndarray, present: np.ndarray, class_ids: np.ndarray, region: np.ndarray | None
) -> list:
    """The box of each class in ``class_ids`` (None where absent), class 0 included (inside
    ``region`` when one is given)."""
    boxes = dict(zip(present[present != 0].tolist(), _boxes(labels, present), strict=True))
    if 0 in class_ids and 0 in present:
        background = labels == 0 if region is None else (labels == 0) & region
        boxes[0] = ndi.find_objects(background.view(np.uint8))[0]
    return [boxes.get(int(class_id)) for class_id in class_ids]


def _check_spacing(spacing: float | Sequence[float] | None, ndim: int) -> tuple[float, ...]:
    """``spacing`` as one positive finite number per axis, or a clear error."""
    if spacing is None:
        return (1.0,) * ndim
    values = np.atleast_1d(np.asarray(spacing, dtype=float))
    if values.ndim != 1 or values.size not in (1, ndim):
        raise ValueError(
            f"spacing must be one number or one per axis ({ndim} for these images), "
            f"got {spacing!r}."
        )
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"spacing must be positive and finite, got {spacing!r}.")
    return tuple(float(v) for v in np.broadcast_to(values, (ndim,)))


def _check_tolerance(tolerance: float) -> float:
    value = float(tolerance)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}.")
    return value


def _check_classes(classes: Iterable[int] | None, include_background: bool) -> np.ndarray | None:
    if classes is None:
        return None
    class_ids = np.unique(np.asarray(list(classes)))
    if class_ids.size == 0 or not np.issubdtype(class_ids.dtype, np.integer):
        raise ValueError(f"classes must be a non-empty list of integer ids, got {classes!r}.")
    if not include_background and 0 in class_ids:
        raise ValueError(
            "classes lists class 0 but include_background is False; pass "
            "include_background=True to report the background's boundary."
        )
    return class_ids
