"""The class of each object, for multi-class instance segmentation.

A side's classes are given either as a class image of the label image's shape (an object's
class is the majority class of its pixels, ties to the smallest class) or as a mapping from
object id to class. A class image is read in one pass: the sparse (object id, class) pixel
count table of :func:`~napari_seg_eval.core.overlap.overlap_table`, with no mask per object.
Class 0 is a class like any other here: an object whose pixels are mostly 0 in the class image
has class 0. The per-class counts may take one class as no class (``background_class``, the
``conic`` preset's 0, background in CoNIC's class maps): see :func:`check_background_class`.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ._thread_callbacks import compute
from ._validate import NegativeIdsError, check_non_negative
from .blocks import as_dask, is_lazy
from .overlap import OverlapTable, id_dtype, overlap_table

#: What a side's classes may be given as: a class image or a mapping id -> class.
ClassesLike = np.ndarray | Mapping[int, int] | pd.Series


@dataclass(frozen=True)
class ClassSpec:
    """A side's classes, checked: a class ``image``, or a mapping as sorted ``ids`` and their
    ``classes``. ``name`` is how error messages call the side."""

    name: str
    image: object | None = None
    ids: np.ndarray | None = None
    classes: np.ndarray | None = None


def check_classes(classes: ClassesLike, shape: tuple[int, ...], name: str) -> ClassSpec:
    """Check a side's classes before any pass over the data, or raise naming the problem.

    Only the dtype and the shape of a class image are looked at: a negative class in it is
    refused by the pass that counts it, naming it (see :func:`negative_ids_named`).

    Parameters
    ----------
    classes : array_like or mapping
        A class image (integers >= 0, or booleans) of shape ``shape``, numpy or chunked; or a
        mapping (``dict``, :class:`pandas.Series`) from object id to class, both integers >= 0.
    shape : tuple of int
        The shape of the label image the classes belong to.
    name : str
        How error messages call the side, e.g. ``"true_classes"``.

    Returns
    -------
    ClassSpec
        The checked classes.

    Raises
    ------
    TypeError
        If the values are not integers (a float class image, a string class...).
    ValueError
        If the class image's shape differs from ``shape``, or a mapping has a negative id or
        class, or a repeated id.

    Examples
    --------
    >>> check_classes({1: 2, 5: 1}, (4, 4), "true_classes").ids.tolist()
    [1, 5]
    """
    if isinstance(classes, Mapping | pd.Series):
        if isinstance(classes, pd.Series):
            keys, values = classes.index.to_numpy(), classes.to_numpy()
        else:
            keys, values = _integers(list(classes.keys())), _integers(list(classes.values()))
        for what, array in (("ids", keys), ("classes", values)):
            if array.size and (array.dtype.kind not in "iu"):
                raise TypeError(
                    f"{name} maps object ids to classes: both must be integers, got {what} "
                    f"of dtype {array.dtype}."
                )
            if array.size and array.dtype.kind == "i" and array.min() < 0:
                raise ValueError(f"{name} has negative {what} (min {array.min()}); use >= 0.")
        keys = keys.astype(np.int64) if keys.size == 0 else keys
        values = values.astype(np.int64) if values.size == 0 else values
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        repeated = keys[1:][keys[1:] == keys[:-1]]
        if repeated.size:
            raise ValueError(f"{name} gives object ids {np.unique(repeated)[:10].tolist()} twice.")
        return ClassSpec(name, ids=keys, classes=values)
    image = classes if hasattr(classes, "shape") and hasattr(classes, "dtype") else None
    if image is None:
        image = np.asarray(classes)  # a list or a scalar: small, and never lazy
    dtype = np.dtype(image.dtype)
    if dtype.kind not in "iub":
        raise TypeError(
            f"{name} must be a class image of integers (or a mapping id -> class), got "
            f"dtype {dtype}."
        )
    if tuple(image.shape) != tuple(shape):
        raise ValueError(
            f"{name} has shape {tuple(image.shape)} but its label image has shape "
            f"{tuple(shape)}; a class image must cover the same pixels."
        )
    return ClassSpec(name, image=image)


def _integers(values: list) -> np.ndarray:
    """``values`` as an array; Python integers that numpy would make floats (ids of 2**63 or
    more with others) as ``uint64``, exactly."""
    array = np.array(values)
    integral = all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_) for v in values
    )
    if array.dtype.kind in "fO" and integral:
        try:
            return np.array(values, dtype=np.uint64)
        except OverflowError:  # a negative one too: refused as not integers
            return array
    return array


def check_background_class(background_class: object, with_classes: bool) -> int | None:
    """Return ``background_class`` as a Python ``int`` (or ``None``), or raise naming the problem.

    The background class is no class: its objects (true or predicted) are in no per-class row,
    neither matched nor counted as FP or FN in any class, and it is not in the means over
    classes (CoNIC's mPQ+ with class 0, background in its class maps: the ``conic`` preset).
    They stay objects everywhere else (the class-agnostic counts, ``class_confusion``).

    Parameters
    ----------
    background_class : int or None
        A class >= 0, or None: every class is a class.
    with_classes : bool
        Whether classes were given (a background class needs them).

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        If it is not an integer.
    ValueError
        If it is negative, or given without classes.

    Examples
    --------
    >>> check_background_class(np.uint8(0), True)
    0
    """
    if background_class is None:
        return None
    if isinstance(background_class, bool | np.bool_) or not isinstance(
        background_class, numbers.Integral
    ):
        raise TypeError(
            f"background_class must be an integer class (or None), got {background_class!r}."
        )
    if background_class < 0:
        raise ValueError(f"background_class must be >= 0 (classes are), got {background_class}.")
    if not with_classes:
        raise ValueError(
            "background_class is for multi-class results: give true_classes and pred_classes "
            "too (or leave it out)."
        )
    return int(background_class)


@contextmanager
def negative_ids_named(
    labels: Iterable[tuple[str, object]], specs: Iterable[ClassSpec] = ()
) -> Iterator[None]:
    """Within it, a negative id found by a pass over several images is said of the image
    holding one.

    A pass that reads label and class images together (class images are counted on either
    side of an (object, class) table, several tables in one computation) reports the first
    negative id its chunks meet, under a table side's name. On its
    :class:`~napari_seg_eval.core._validate.NegativeIdsError` the images are looked at (only
    then, and only signed ones: their smallest value): the label images ``labels`` first, in
    their order, then the class images of ``specs``; the first holding a negative id is
    named. Else the error stays as it was.

    Parameters
    ----------
    labels : iterable of (str, array_like)
        The pass's label images (numpy or chunked) and how the error calls each, e.g.
        ``("ground truth", true)``; an entry that is not a signed integer image (a map's
        labelling, unsigned ids) is skipped.
    specs : iterable of ClassSpec, optional
        The classes of the pass (mappings are skipped: :func:`check_classes` refused their
        negative classes); ``name`` is how the error calls each (a file's path, say).

    Raises
    ------
    NegativeIdsError
        ``"{name} has negative label ids (min ...); ids must be >= 0."`` (a label image).
    ValueError
        ``"{name}: the class image has negative class ids (min ...); classes must be >= 0."``

    Examples
    --------
    >>> spec = check_classes(np.array([[1, -2]]), (1, 2), "true_classes")
    >>> try:
    ...     with negative_ids_named([("ground truth", np.array([[1, 1]]))], [spec]):
    ...         _ = overlap_table(np.array([[1, 1]]), spec.image)
    ... except ValueError as error:
    ...     print(error)
    true_classes: the class image has negative class ids (min -2); classes must be >= 0.
    """
    labels, specs = list(labels), list(specs)
    try:
        yield
    except NegativeIdsError:
        for name, image in labels:
            lowest = _signed_minimum(image)
            if lowest is not None and lowest < 0:
                check_non_negative(np.array([lowest]), name)  # raises, as the passes say it
        for spec in specs:
            lowest = _signed_minimum(spec.image)
            if lowest is not None and lowest < 0:
                raise ValueError(
                    f"{spec.name}: the class image has negative class ids (min {lowest}); "
                    "classes must be >= 0."
                ) from None
        raise


def _signed_minimum(image: object) -> int | None:
    """The smallest value of a signed integer image (numpy or chunked, read again), or None
    for anything else (unsigned, boolean, no image)."""
    dtype = getattr(image, "dtype", None)
    if dtype is None or not hasattr(image, "shape") or np.dtype(dtype).kind != "i":
        return None
    return int(compute(as_dask(image).min())[0] if is_lazy(image) else np.min(image))


def majority_classes(
    labels: object, class_image: object, region: object = None, *, name: str = "class_image"
) -> tuple[np.ndarray, np.ndarray]:
    """Every object of ``labels`` and the majority class of its pixels in ``class_image``.

    One pass over the pixels builds the sparse (object id, class) count table; ties between
    classes go to the smallest class.

    Parameters
    ----------
    labels : array_like
        An integer label image (0 is background), numpy or chunked.
    class_image : array_like
        An integer class image (>= 0) of the same shape.
    region : array_like of bool, optional
        Only the pixels inside this mask count (an object keeps its pixels inside).
    name : str, optional
        How an error calls the class image (a negative class, see
        :func:`negative_ids_named`).

    Returns
    -------
    ids, classes : numpy.ndarray
        The non-zero object ids (inside the region), sorted, and the class of each.

    Examples
    --------
    >>> labels = np.array([[1, 1, 1, 2, 2]])
    >>> classes = np.array([[3, 3, 4, 4, 5]])  # object 2: one pixel each of 4 and 5 -> 4
    >>> [a.tolist() for a in majority_classes(labels, classes)]
    [[1, 2], [3, 4]]
    """
    with negative_ids_named([], [ClassSpec(name, image=class_image)]):
        table = overlap_table(labels, class_image, region=region)
    return majority_of_table(table)


def majority_of_table(
    table: OverlapTable, objects: Literal["true", "pred"] = "true"
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`majority_classes` from the pixel count table of the objects and the class image,
    e.g. one counted in the same read as other tables (chunked images).

    Parameters
    ----------
    table : OverlapTable
        The table of the label image and the class image (``objects="true"``), or of the class
        image and the label image (``objects="pred"``: e.g. a chunked labelling's table with
        the class image as its truth, relabelled), with the pixels that vote.
    objects : {"true", "pred"}
        The side of the table that holds the objects.

    Returns
    -------
    ids, classes : numpy.ndarray
        As :func:`majority_classes`.

    Examples
    --------
    The class image on the table's first side, the objects on its second:

    >>> classes, labels = np.array([[3, 3, 4, 4, 5]]), np.array([[1, 1, 1, 2, 2]])
    >>> [a.tolist() for a in majority_of_table(overlap_table(classes, labels), "pred")]
    [[1, 2], [3, 4]]
    """
    if objects not in ("true", "pred"):
        raise ValueError(f"objects must be 'true' or 'pred', got {objects!r}.")
    ids, classes, counts = table.contingency()
    if objects == "pred":
        ids, classes = classes, ids
    objects_here = ids != 0
    ids, classes, counts = ids[objects_here], classes[objects_here], counts[objects_here]
    order = np.lexsort((classes, -counts, ids))  # by id; most pixels first; smallest class
    first = order[np.r_[True, ids[order][1:] != ids[order][:-1]]] if order.size else order
    return ids[first], classes[first]


def object_classes(
    ids: np.ndarray, spec: ClassSpec, labels: object = None, region: object = None
) -> np.ndarray:
    """The class of each object in ``ids``.

    Parameters
    ----------
    ids : numpy.ndarray
        Sorted object ids (e.g. ``ObjectPairs.true_ids``).
    spec : ClassSpec
        The side's classes, from :func:`check_classes`.
    labels : array_like, optional
        The side's label image; needed when ``spec`` holds a class image.
    region : array_like of bool, optional
        With a class image, an object's class is the majority over its pixels inside this mask.

    Returns
    -------
    numpy.ndarray
        One class per id, as ``int64``.

    Raises
    ------
    ValueError
        If a mapping gives no class for some of the ids (the first ten are named), or a class
        image holds a negative class (the spec's name said).

    Examples
    --------
    >>> spec = check_classes({1: 2, 5: 1}, (4,), "pred_classes")
    >>> object_classes(np.array([5]), spec).tolist()
    [1]
    """
    if spec.image is not None:
        keys, values = majority_classes(labels, spec.image, region, name=spec.name)
    else:
        keys, values = spec.ids, spec.classes
    ids = np.asarray(ids)
    dtype = id_dtype(keys.dtype, ids.dtype)
    keys, ids = keys.astype(dtype, copy=False), ids.astype(dtype, copy=False)
    position = np.minimum(np.searchsorted(keys, ids), max(keys.size - 1, 0))
    found = keys[position] == ids if keys.size else np.zeros(ids.size, bool)
    if not found.all():
        missing = ids[~found]
        raise ValueError(
            f"{spec.name} gives no class for {missing.size} object(s), e.g. ids "
            f"{missing[:10].tolist()}; every object needs a class."
        )
    return values[position].astype(np.int64) if ids.size else np.zeros(0, np.int64)


def pixel_classes(
    labels: object,
    spec: ClassSpec,
    ignore_label: int | None = None,
    *,
    labels_name: str = "labels",
    region: object = None,
) -> object:
    """Each pixel's class: a side's class image as it is, or, for classes given as a mapping,
    the class of the object at each pixel of ``labels`` (class 0 on the background, id 0).

    These are the images a run with object classes compares in its semantic metrics by
    class (see :func:`classed_table` for the same counts from an overlap table).

    Parameters
    ----------
    labels : array_like
        The side's label image (integers >= 0, or booleans), numpy or chunked.
    spec : ClassSpec
        The side's classes, from :func:`check_classes`.
    ignore_label : int, optional
        An id that needs no class (the truth's ignored id: its pixels are left out of every
        count): class 0 there.
    labels_name : str, optional
        How an error calls the label image (a negative id).
    region : array_like of bool, optional
        The pixels counted: class 0 outside, where no object needs a class (a mapping's
        classes are asked only of the objects counted).

    Returns
    -------
    array_like
        The class image, numpy for numpy labels, lazily (dask) for chunked ones; a mapping's
        classes in the smallest unsigned dtype that holds them (:func:`class_dtype`).

    Raises
    ------
    ValueError
        If the mapping gives no class for an object of ``labels`` (as :func:`object_classes`),
        or ``labels`` has a negative id; for chunked labels when the chunk is computed.

    Examples
    --------
    >>> spec = check_classes({3: 2, 9: 1}, (1, 4), "true_classes")
    >>> pixel_classes(np.array([[0, 3, 9, 9]]), spec).tolist()
    [[0, 2, 1, 1]]
    """
    if spec.image is not None:
        return spec.image
    dtype = class_dtype(spec.classes)
    lookup = functools.partial(
        _block_classes, spec=spec, ignore_label=ignore_label, dtype=dtype, name=labels_name
    )
    if region is None:
        if is_lazy(labels):
            return as_dask(labels).map_blocks(lookup, dtype=dtype)
        return lookup(np.asarray(labels))
    if is_lazy(labels) or is_lazy(region):
        labels = as_dask(labels)
        inside = as_dask(region).rechunk(labels.chunks)
        return labels.map_blocks(lambda block, mask: lookup(block, mask), inside, dtype=dtype)
    return lookup(np.asarray(labels), np.asarray(region, bool))


#: Pixels looked up at a time by :func:`pixel_classes` (its temporaries' size).
_PIECE_PIXELS = 1 << 21

#: A mapping whose largest id is below this is looked up in a table indexed by id.
_TABLE_IDS = 1 << 20


def class_dtype(classes: np.ndarray) -> np.dtype:
    """The smallest unsigned integer dtype that holds ``classes`` (integers >= 0).

    Examples
    --------
    >>> class_dtype(np.array([1, 2, 300])), class_dtype(np.array([], np.int64))
    (dtype('uint16'), dtype('uint8'))
    """
    largest = int(classes.max()) if classes.size else 0
    return np.dtype(np.uint64 if largest >= 2**32 else np.min_scalar_type(largest))


def _block_classes(
    block: np.ndarray,
    inside: np.ndarray | None = None,
    *,
    spec: ClassSpec,
    ignore_label: int | None,
    dtype: np.dtype,
    name: str,
) -> np.ndarray:
    """:func:`pixel_classes` of a block of labels (numpy) and a mapping (0 outside the block
    of the region, ``inside``, when given), in pieces of :data:`_PIECE_PIXELS` pixels: by a
    table indexed by id when the mapping's ids are small, else by a binary search of its
    sorted ids."""
    if block.dtype == bool:
        block = block.view(np.uint8)
    flat = block.reshape(-1)
    inside_flat = None if inside is None else inside.reshape(-1)
    keys = spec.ids.astype(id_dtype(spec.ids.dtype, flat.dtype), copy=False)
    table = mapped = None
    if keys.size and int(keys[-1]) < _TABLE_IDS:
        table, mapped = np.zeros(int(keys[-1]) + 1, dtype), np.zeros(int(keys[-1]) + 1, bool)
        table[keys], mapped[keys] = spec.classes, True
    out = np.zeros(flat.size, dtype)
    for start in range(0, flat.size, _PIECE_PIXELS):
        piece = flat[start : start + _PIECE_PIXELS]
        if flat.dtype.kind == "i":
            check_non_negative(piece, name)
        counted = piece != 0
        if ignore_label is not None:
            counted &= piece != ignore_label
        if inside_flat is not None:
            counted &= inside_flat[start : start + _PIECE_PIXELS]
        ids = piece[counted].astype(keys.dtype, copy=False)
        if table is not None and (not ids.size or int(ids.max()) < table.size):
            known, found = table[ids], mapped[ids]
        elif keys.size:
            position = np.minimum(np.searchsorted(keys, ids), keys.size - 1)
            known, found = spec.classes[position].astype(dtype), keys[position] == ids
        else:
            known, found = np.zeros(ids.size, dtype), np.zeros(ids.size, bool)
        if not found.all():
            object_classes(np.unique(ids[~found]), spec)  # raises, naming the ids
        out[start : start + piece.size][counted] = known
    return out.reshape(block.shape)


def classed_table(table: OverlapTable, true_spec: ClassSpec, pred_spec: ClassSpec) -> OverlapTable:
    """The overlap table of the two sides' classes from the table of their objects, for
    classes given as mappings: each (true id, pred id) count summed under (class of the true
    object, class of the predicted object), id 0 (background) as class 0. No pixel is read.

    It is the table of :func:`pixel_classes` of the two sides, counted on the same pixels (the
    ignored and outside ones left out as ``table`` left them out).

    Parameters
    ----------
    table : OverlapTable
        The table of the two label images.
    true_spec, pred_spec : ClassSpec
        Each side's classes as mappings (:func:`check_classes`).

    Returns
    -------
    OverlapTable
        The classes' table: true classes against predicted classes.

    Raises
    ------
    ValueError
        If a side's mapping is a class image (count those pixels instead), or gives no class
        for an object of the table (as :func:`object_classes`).

    Examples
    --------
    >>> table = overlap_table(np.array([0, 3, 3, 9]), np.array([5, 5, 0, 5]))
    >>> true_spec = check_classes({3: 1, 9: 2}, (4,), "true_classes")
    >>> pred_spec = check_classes({5: 2}, (4,), "pred_classes")
    >>> [a.tolist() for a in classed_table(table, true_spec, pred_spec).contingency()]
    [[0, 1, 1, 2], [2, 0, 2, 2], [1, 1, 1, 1]]
    """
    for spec in (true_spec, pred_spec):
        if spec.image is None:
            continue
        raise ValueError(f"{spec.name} is a class image: count its pixels, not the table's.")
    true_ids, pred_ids, counts = table.contingency()
    true_classes = _classes_or_background(true_ids, true_spec)
    pred_classes = _classes_or_background(pred_ids, pred_spec)
    return table_of_counts(true_classes, pred_classes, counts)


def _classes_or_background(ids: np.ndarray, spec: ClassSpec) -> np.ndarray:
    """The class of each id (a mapping's), class 0 for id 0."""
    out = np.zeros(ids.size, np.int64 if spec.classes.dtype != np.uint64 else np.uint64)
    objects = ids != 0
    unique, inverse = np.unique(ids[objects], return_inverse=True)
    out[objects] = object_classes(unique, spec).astype(out.dtype)[inverse]
    return out


def table_of_counts(true_ids: np.ndarray, pred_ids: np.ndarray, counts: np.ndarray) -> OverlapTable:
    """The :class:`~napari_seg_eval.core.overlap.OverlapTable` of (true id, pred id, pixel
    count) entries (pairs may repeat; their counts add up), 0 included on either side.

    Examples
    --------
    >>> table = table_of_counts(np.array([0, 1, 1]), np.array([2, 2, 2]), np.array([1, 2, 3]))
    >>> table.true_areas.tolist(), table.pair_counts.tolist()
    ([1, 5], [5])
    """
    dtype = id_dtype(true_ids.dtype, pred_ids.dtype)
    true_ids, pred_ids = true_ids.astype(dtype), pred_ids.astype(dtype)
    counts = np.asarray(counts, np.int64)
    kept = counts > 0
    true_ids, pred_ids, counts = true_ids[kept], pred_ids[kept], counts[kept]

    def summed(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        unique, inverse = np.unique(keys, return_inverse=True)
        return unique, np.bincount(inverse.ravel(), counts, unique.size).astype(np.int64)

    pairs = (true_ids != 0) & (pred_ids != 0)
    rows = np.stack([true_ids[pairs], pred_ids[pairs]], axis=1)
    unique_pairs, inverse = np.unique(rows, axis=0, return_inverse=True)
    pair_counts = np.bincount(inverse.ravel(), counts[pairs], len(unique_pairs)).astype(np.int64)
    return OverlapTable(
        *summed(true_ids),
        *summed(pred_ids),
        unique_pairs[:, 0].astype(dtype),
        unique_pairs[:, 1].astype(dtype),
        pair_counts,
    )
