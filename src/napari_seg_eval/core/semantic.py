"""Semantic (pixel-wise) metrics per class: the overlap table read as a confusion matrix."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._results import Result, confusion_scores, nanmean, ratio
from ._validate import as_label_pair, check_ignore_label, check_region
from ._warn import warn
from .overlap import OverlapTable, id_dtype, overlap_table

#: Class ids of ``classes=`` must fit the widest label dtype.
_UINT64_LIMIT = 2**64

#: Said by :func:`semantic_metrics` when the prediction's classes look one too high (see
#: :func:`~napari_seg_eval.core.threshold.background_channel_suspected`, evaluate's check):
#: evaluate's words, for a class image thresholded from a map outside evaluate.
CLASSES_SHIFTED_HINT = (
    "semantic_metrics: the prediction's classes look one too high: the truth's classes run "
    "0..{last}, the prediction has class {n}, and most of the truth's pixels of class k are "
    "predicted as k + 1. If the prediction is threshold_probabilities(prob, channel_axis=...) "
    "of a map whose channel 0 is background, channel k of the probability map is class k + 1 "
    "(classes 1..{n}) there: pass class_ids=range({n}), so that channel k is class k."
)

#: :func:`semantic_metrics` checks for classes one too high only up to this many classes (a
#: map's channels): label images of objects, with ids up to thousands, are not suspected.
SHIFTED_CHECK_MAX_CLASSES = 256

#: Truth values that mark pixels to leave out by a common convention (uint8's and uint16's
#: largest: nnU-Net, mmsegmentation, torchmetrics' ``ignore_index`` examples), suspected as
#: such by :func:`ignore_value_suspected` when the prediction never has them.
IGNORE_LIKE_VALUES = (255, 65535)

#: Said when the truth's highest class looks like an unannotated value scored as a class (see
#: :func:`ignore_value_suspected`); ``{option}`` is how the caller's user passes it.
IGNORE_VALUE_HINT = (
    "the truth has {pixels} pixels of value {value}, which the prediction never has{classes}: "
    "they are scored as a class (or an object) never found, and the predictions on them as "
    "false positives. If {value} marks pixels to leave out (unannotated), pass {option}."
)

#: True inside :func:`classes_checked_by_caller`: the caller gives its own hint.
_CLASSES_CHECKED_BY_CALLER: ContextVar[bool] = ContextVar("classes_checked", default=False)


@contextmanager
def classes_checked_by_caller() -> Iterator[None]:
    """Within this block :func:`semantic_metrics` gives no :data:`CLASSES_SHIFTED_HINT` nor
    :data:`IGNORE_VALUE_HINT`: for a caller that knows the map the classes came from and checks
    them itself (``evaluate``, with the map's channel count and its own advice), so that the
    user is told once.

    Examples
    --------
    >>> import warnings
    >>> truth = np.array([0, 1, 2, 2])
    >>> with warnings.catch_warnings(record=True) as caught, classes_checked_by_caller():
    ...     warnings.simplefilter("always")
    ...     _ = semantic_metrics(truth, truth + 1)
    >>> caught
    []
    """
    token = _CLASSES_CHECKED_BY_CALLER.set(True)
    try:
        yield
    finally:
        _CLASSES_CHECKED_BY_CALLER.reset(token)


@dataclass(frozen=True, repr=False, eq=False)
class SemanticResult(Result):
    """Pixel-wise metrics of each class against the rest.

    ``per_class``: one row per class (tp, fp, fn, tn, support, iou, dice, precision, recall,
    accuracy, in_means). ``summary``: mean_iou, mean_dice, mean_precision, mean_recall (over the
    classes with ``in_means``, undefined values left out), pixel_accuracy,
    frequency_weighted_iou, n_pixels. Results compare by identity (``==`` never raises).
    """

    per_class: pd.DataFrame
    summary: pd.Series
    table: OverlapTable

    _main = "per_class"

    def confusion_matrix(self) -> pd.DataFrame:
        """Pixel counts of each reported class by predicted id.

        Returns
        -------
        pandas.DataFrame
            Rows: the reported true classes (index ``true``); columns: the reported classes
            and any other id predicted on their pixels (``pred``: the ignored id, or a class
            left out of ``classes=``), so that each row sums to the class's true pixels.

        Examples
        --------
        >>> import numpy as np
        >>> from napari_seg_eval import semantic_metrics
        >>> result = semantic_metrics(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
        >>> result.confusion_matrix().to_numpy().tolist()
        [[1, 1], [0, 2]]
        >>> ignored = semantic_metrics(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 1]),
        ...                            ignore_label=0)  # 0 predicted on a class-1 pixel
        >>> ignored.confusion_matrix().to_numpy().tolist()
        [[1, 1]]
        """
        classes = self.per_class["class"].to_numpy()
        true_ids, pred_ids, counts = self.table.contingency()
        # The classes' dtype holds the table's ids exactly (see semantic_metrics_from_table).
        true_ids, pred_ids = true_ids.astype(classes.dtype), pred_ids.astype(classes.dtype)
        keep = np.isin(true_ids, classes)
        true_ids, pred_ids, counts = true_ids[keep], pred_ids[keep], counts[keep]
        columns = np.union1d(classes, pred_ids).astype(classes.dtype, copy=False)
        matrix = np.zeros((classes.size, columns.size), np.int64)
        matrix[np.searchsorted(classes, true_ids), np.searchsorted(columns, pred_ids)] = counts
        return pd.DataFrame(
            matrix,
            index=pd.Index(classes, name="true"),
            columns=pd.Index(columns, name="pred"),
        )


def semantic_metrics(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    classes: Iterable[int] | None = None,
    ignore_label: int | None = None,
    region: np.ndarray | None = None,
    include_background: bool = True,
) -> SemanticResult:
    """Per-class IoU, Dice, precision, recall and accuracy, with their means.

    Parameters
    ----------
    true, pred : numpy.ndarray
        Integer (or boolean) class images of equal shape, ground truth first. Label 0 is a
        class like any other. Ids stay exact in any integer dtypes, ``int64`` against
        ``uint64`` included.
    classes : iterable of int, optional
        The classes to report (ids >= 0). By default those present in either image
        (scikit-learn's macro convention); a listed class absent from both gets NaN ratios.
    ignore_label : int, optional
        Pixels where ``true == ignore_label`` are left out of every count. If that leaves no
        pixel, every metric is NaN (0/0) and a ``RuntimeWarning`` says so. The ignored id is
        not a class of the comparison: a prediction of it on a counted pixel is a miss of
        that pixel's true class, and it is not reported as a class of its own (nor in the
        means) unless listed in ``classes`` (as torchmetrics' ``ignore_index`` and mmseg's
        ``ignore_index``; scikit-learn's labels present in either image would include it).
    region : array_like of bool, optional
        A mask of the truth's shape (numpy or chunked): pixels where it is False are left out
        of every count, as ignored pixels are (the same NaN and warning if none is left).
        Scoring a region equals scoring the image cropped to it.
    include_background : bool
        With ``False``, class 0 is still reported but left out of the means.

    Returns
    -------
    SemanticResult
        ``per_class`` (one row per class), ``summary`` (means, pixel accuracy,
        frequency-weighted IoU, n_pixels) and :meth:`SemanticResult.confusion_matrix`.

    Raises
    ------
    TypeError, ValueError
        For images that are not integer label images of one shape, negative ids, an
        ``ignore_label`` that is not an integer >= 0, ``classes`` that are not integer
        ids in [0, 2**64), or a ``region`` that is not a boolean mask of the truth's shape.

    Warns
    -----
    UserWarning
        When the prediction's classes look one too high, as a map's whose channel 0 is
        background thresholded with channel k as class k + 1 (the truth's classes run
        0..n-1, the prediction has class n, and more of the truth's pixels of each class k
        are predicted as k + 1 than as k): the same check as ``evaluate``'s. Without
        ``ignore_label``, when the truth's highest class is 255 or 65535 and never predicted
        (see :func:`ignore_value_suspected`): likely unannotated pixels scored as a class.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import semantic_metrics
    >>> true = np.array([[0, 0, 1], [1, 1, 2]])
    >>> pred = np.array([[0, 1, 1], [1, 2, 2]])
    >>> result = semantic_metrics(true, pred)
    >>> result.per_class["iou"].tolist()  # class 0: 1/2, class 1: 2/4, class 2: 1/2
    [0.5, 0.5, 0.5]
    >>> float(result.summary["pixel_accuracy"])
    0.6666666666666666
    >>> left = np.array([[True, True, False], [True, True, False]])  # the first two columns
    >>> iou = semantic_metrics(true, pred, region=left).per_class["iou"]
    >>> [round(value, 3) for value in iou]  # as true[:, :2] against pred[:, :2]: 1/2, 1/3, 0
    [0.5, 0.333, 0.0]
    """
    if classes is not None:
        classes = class_ids(classes)
    ignore_label = check_ignore_label(ignore_label)
    true, pred = as_label_pair(true, pred)
    region = check_region(region, true.shape)
    table = overlap_table(true, pred, ignore_label=ignore_label, region=region)
    _warn_if_nothing_left(table, ignore_label, region)
    _warn_if_classes_shifted(table)
    value = None if ignore_label is not None else ignore_value_suspected(table)
    if value is not None and not _CLASSES_CHECKED_BY_CALLER.get():
        warn(ignore_value_hint(table, value, None, f"ignore_label={value}", "semantic_metrics"))
    return semantic_metrics_from_table(
        table, classes=classes, include_background=include_background, ignore_label=ignore_label
    )


def _warn_if_classes_shifted(table: OverlapTable) -> None:
    """:data:`CLASSES_SHIFTED_HINT` when the table's classes look shifted by one, as those of
    a map whose channel 0 is background thresholded with channel k as class k + 1: evaluate's
    check (:func:`~napari_seg_eval.core.threshold.background_channel_suspected`) for n the
    truth's highest class + 1, as many channels as such a map has. Cheap: it reads the table
    already counted."""
    if table.true_ids.size == 0 or _CLASSES_CHECKED_BY_CALLER.get():
        return
    # here, not at the top: label images compared never import scipy.ndimage and skimage
    from .threshold import background_channel_suspected

    n_classes = int(table.true_ids[-1]) + 1  # the ids are sorted
    if n_classes > SHIFTED_CHECK_MAX_CLASSES:  # label images of objects, not a map's classes
        return
    if background_channel_suspected(table, n_classes) and _background_read_as_class_1(table):
        warn(CLASSES_SHIFTED_HINT.format(last=n_classes - 1, n=n_classes))


def ignore_value_suspected(table: OverlapTable, highest_class: int | None = None) -> int | None:
    """The truth's value that looks like pixels left unannotated but was scored as a class.

    The truth's highest id, present on its pixels but above every predicted id, when either
    the prediction's classes cannot reach it (``highest_class``: the top class of the map the
    prediction was thresholded from, below it) or it is one of :data:`IGNORE_LIKE_VALUES`
    (255, 65535) at least twice every other true id (classes are small numbers; an instance
    image with ids up to 255 is not suspected). The truth must have at least one other id
    above 0 (a mask of 0 and 255 is a binary mask written for viewing, not one with
    unannotated pixels). Given without ``ignore_label``, such a value is scored as a class (an
    object) that is never right, and every prediction on it as a false positive.

    Cheap: it reads a table already counted.

    Parameters
    ----------
    table : OverlapTable
        The table of the truth's classes against the prediction's (not binarized). (For the
        objects of an instance comparison, whose predicted ids are numbered on their own, see
        :func:`unannotated_object_suspected`.)
    highest_class : int, optional
        The highest class the prediction can have (a map's channels), if known.

    Returns
    -------
    int or None
        The suspected value, or None.

    Examples
    --------
    >>> truth = np.array([[0, 1, 2, 255]])
    >>> ignore_value_suspected(overlap_table(truth, np.array([[0, 1, 2, 2]])))
    255
    >>> ignore_value_suspected(overlap_table(truth, truth)) is None  # predicted: a class
    True
    >>> ignore_value_suspected(overlap_table(truth, np.array([[0, 1, 2, 2]])), highest_class=3)
    255
    >>> mask = np.array([[0, 255, 255, 0]])  # a binary mask written as 0 and 255
    >>> ignore_value_suspected(overlap_table(mask, mask // 255)) is None
    True
    >>> cells = np.array([[0, 1, 200, 255]])  # instance ids up to 255, not classes
    >>> ignore_value_suspected(overlap_table(cells, np.array([[0, 1, 2, 2]]))) is None
    True
    >>> truth = np.array([[0, 1, 2, 7]])  # 7 is no class of a map of classes 0..3
    >>> ignore_value_suspected(overlap_table(truth, np.array([[0, 1, 2, 2]])), highest_class=3)
    7
    """
    true_ids = table.true_ids[table.true_ids != 0]  # sorted
    if true_ids.size < 2:
        return None
    value = int(true_ids[-1])
    pred_ids = table.pred_ids
    if pred_ids.size and int(pred_ids[-1]) >= value:  # predicted, or predictions go beyond it
        return None
    if highest_class is not None:
        return value if value > highest_class else None
    if value not in IGNORE_LIKE_VALUES or 2 * int(true_ids[-2]) > value:
        return None
    return value


#: A truth of objects reads as a class image with an unannotated value when its other ids are
#: at most this many, each at most this large (see :func:`unannotated_object_suspected`).
CLASS_LIKE_IDS = 31


def unannotated_object_suspected(pairs: Any) -> int | None:
    """The truth's id that looks like pixels left unannotated, scored as an object, in an
    instance comparison of a mask or class image (a 0/1/255 mask: foreground 1, unannotated
    255): its highest id, one of :data:`IGNORE_LIKE_VALUES`,
    beside other ids that look like classes (at most :data:`CLASS_LIKE_IDS` of them, none above
    it), and matched by no predicted object (no pair of IoU 0.5 or more). Instance labels
    (many ids, or large ones) and an id 255 that a prediction matches are not suspected: the
    prediction's ids are numbered on their own, so they say nothing of the truth's.

    Cheap: it reads the pairs already counted.

    Parameters
    ----------
    pairs : napari_seg_eval.core.instance.ObjectPairs
        The true and predicted objects and their overlaps (an instance result's ``pairs``).

    Returns
    -------
    int or None
        The suspected id, or None.

    Examples
    --------
    >>> from napari_seg_eval.core.instance import ObjectPairs
    >>> mask = np.array([[1, 1, 0, 255, 255]])  # foreground 1, two pixels unannotated
    >>> unannotated_object_suspected(ObjectPairs.from_table(overlap_table(mask, mask % 255)))
    255
    >>> cells = np.array([[12, 40, 0, 255, 255]])  # a crop of instance labels, 255 found
    >>> found = np.array([[1, 2, 0, 3, 3]])
    >>> unannotated_object_suspected(ObjectPairs.from_table(overlap_table(cells, found))) is None
    True
    """
    ids = pairs.true_ids
    if ids.size < 2 or int(ids[-1]) not in IGNORE_LIKE_VALUES:
        return None
    others = ids[:-1]
    if others.size > CLASS_LIKE_IDS or int(others[-1]) > CLASS_LIKE_IDS:
        return None
    last = ids.size - 1
    if np.any(pairs.iou[pairs.true_index == last] >= 0.5):
        return None
    return int(ids[-1])


def ignore_value_hint(
    table: Any, value: int, highest_class: int | None, option: str, function: str = ""
) -> str:
    """:data:`IGNORE_VALUE_HINT` for ``value`` of ``table`` (see :func:`ignore_value_suspected`).

    Parameters
    ----------
    table : OverlapTable or ObjectPairs
        The table (or objects) the value was found in.
    value : int
        The suspected value.
    highest_class : int or None
        The top class of the prediction's map, if known (said).
    option : str
        How the caller's user gives the ignored value (``"ignore_label=255"``,
        ``"--ignore-label 255"``, ...).
    function : str
        The function to name first, if any.

    Returns
    -------
    str

    Examples
    --------
    >>> truth = np.array([[0, 1, 255, 255]])
    >>> ignore_value_hint(overlap_table(truth, truth * 0), 255, 3, "--ignore-label 255")[:71]
    'the truth has 2 pixels of value 255, which the prediction never has (it'
    """
    pixels = int(table.true_areas[np.searchsorted(table.true_ids, value)])
    classes = "" if highest_class is None else f" (its classes run 0..{highest_class})"
    said = IGNORE_VALUE_HINT.format(pixels=pixels, value=value, classes=classes, option=option)
    return f"{function}: {said}" if function else said


def _background_read_as_class_1(table: OverlapTable) -> bool:
    """Whether more of the truth's background (0) is predicted as 1 than as 0: a map whose
    channel 0 is background, thresholded with channel k as class k + 1, makes its background
    class 1; label images of objects numbered one too high (one more object before them in
    raster order) keep their background 0."""
    true, pred, counts = table.contingency()
    background = true == 0
    return int(counts[background & (pred == 1)].sum()) > int(counts[background & (pred == 0)].sum())


def binarized_ignore_label(ignore_label: int | None) -> int | None:
    """The ignored id of the foreground-against-background comparison (labels > 0 on both
    sides) of label images counted without their ``ignore_label``.

    Parameters
    ----------
    ignore_label : int or None
        The ignored ground-truth id of the label images.

    Returns
    -------
    int or None
        0 when it is the background (every counted truth pixel is foreground: the background is
        then no class of the comparison); None for an object's id (its pixels are left out, and
        the foreground, 1, stays a class of the others).

    Examples
    --------
    >>> binarized_ignore_label(0), binarized_ignore_label(7)
    (0, None)
    """
    return 0 if ignore_label == 0 else None


def _warn_if_nothing_left(table: OverlapTable, ignore_label: int | None, region: object) -> None:
    """The ``RuntimeWarning`` of :func:`semantic_metrics` when its ``table`` (counted with
    ``ignore_label`` and ``region``) holds no pixel, for the callers that count it otherwise."""
    if table.n_pixels == 0:
        warn(
            f"semantic_metrics: {nothing_left(ignore_label, region)}, so no pixel is left to "
            "count; every metric is NaN (0/0).",
            RuntimeWarning,
        )


def nothing_left(ignore_label: int | None, region: object) -> str:
    """Why no pixel is left to count, for the warnings of the metrics.

    Parameters
    ----------
    ignore_label : int or None
        The ignored ground-truth id.
    region : array_like or None
        The region mask.

    Returns
    -------
    str
        A clause naming the cause(s).

    Examples
    --------
    >>> nothing_left(255, None)
    'every pixel has the ignored ground-truth id 255'
    """
    if region is None and ignore_label is None:  # ignored before the ids were binarized
        return "every pixel is left out"
    if region is None:
        return f"every pixel has the ignored ground-truth id {ignore_label}"
    if ignore_label is None:
        return "no pixel lies inside the region"
    return f"every pixel inside the region has the ignored ground-truth id {ignore_label}"


def class_ids(classes: Iterable[int]) -> np.ndarray:
    """The sorted unique class ids of ``classes``, exactly, or raise naming the problem.

    Parameters
    ----------
    classes : iterable of int
        Class ids: Python or NumPy integers in [0, 2**64), at least one.

    Returns
    -------
    numpy.ndarray
        Sorted unique ids as ``int64`` (or ``uint64`` when one is 2**63 or more).

    Raises
    ------
    TypeError
        If an id is not an integer (booleans and floats included).
    ValueError
        If there is none, or an id is negative or 2**64 or more.

    Examples
    --------
    >>> class_ids([3, 1, 3]).tolist()
    [1, 3]
    """
    values = list(np.asarray(classes).ravel()) if isinstance(classes, np.ndarray) else [*classes]
    if not values:
        raise ValueError("classes is empty; list at least one class id.")
    bad = [
        v for v in values if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Integral)
    ]
    if bad:
        raise TypeError(f"classes must be integer class ids, got {bad[0]!r} in {classes!r}.")
    ids = [int(v) for v in values]
    lowest, highest = min(ids), max(ids)
    if lowest < 0:
        raise ValueError(f"class ids must be >= 0 like label ids, got {lowest}.")
    if highest >= _UINT64_LIMIT:
        raise ValueError(f"class id {highest} cannot be a label id: ids must be < 2**64.")
    return np.unique(np.array(ids, np.int64 if highest < 2**63 else np.uint64))


def semantic_metrics_from_table(
    table: OverlapTable,
    *,
    classes: Iterable[int] | None = None,
    include_background: bool = True,
    ignore_label: int | None = None,
) -> SemanticResult:
    """:func:`semantic_metrics` on an overlap table that is already computed.

    Parameters
    ----------
    table : OverlapTable
        The table of the images (see :func:`~napari_seg_eval.overlap_table`).
    classes : iterable of int, optional
        As for :func:`semantic_metrics`.
    include_background : bool
        As for :func:`semantic_metrics`.
    ignore_label : int, optional
        The truth id the table was counted without (its ``ignore_label``), in the table's
        ids: not reported as a class unless listed in ``classes`` (see
        :func:`semantic_metrics`). A table whose truth holds it was not counted without it:
        refused.

    Returns
    -------
    SemanticResult
        As :func:`semantic_metrics`; no warning when the table counts no pixel (the metrics
        are NaN).

    Examples
    --------
    >>> table = overlap_table(np.array([0, 1, 1]), np.array([0, 1, 0]))
    >>> semantic_metrics_from_table(table, classes=[1]).per_class["iou"].tolist()
    [0.5]
    """
    # The table's ids share one dtype, so their union is exact.
    ids = np.union1d(table.true_ids, table.pred_ids) if classes is None else class_ids(classes)
    if ignore_label is not None:
        ignore_label = check_ignore_label(ignore_label)
        if np.any(table.true_ids == ignore_label):
            raise ValueError(
                f"the table's ground truth has pixels of the ignored id {ignore_label}: count it "
                f"with overlap_table(..., ignore_label={ignore_label}), or give no ignore_label."
            )
        if classes is None:  # predicted only: not a class of the comparison
            ids = ids[ids != ignore_label]
    # One dtype for the classes and the table's ids, so that every comparison is exact.
    dtype = id_dtype(ids.dtype, table.true_ids.dtype)
    ids = ids.astype(dtype, copy=False)
    true_ids, pred_ids, counts = (
        array.astype(dtype, copy=False) if i < 2 else array
        for i, array in enumerate(table.contingency())
    )
    diagonal = true_ids == pred_ids
    tp = _lookup(ids, true_ids[diagonal], counts[diagonal])
    true_area = _lookup(ids, table.true_ids.astype(dtype, copy=False), table.true_areas)
    pred_area = _lookup(ids, table.pred_ids.astype(dtype, copy=False), table.pred_areas)
    n_pixels = table.n_pixels
    fp, fn = pred_area - tp, true_area - tp
    tn = n_pixels - tp - fp - fn

    per_class = pd.DataFrame(
        {
            "class": ids,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "support": true_area,
            **confusion_scores(tp, fp, fn, tn),
            "in_means": include_background | (ids != 0),
        }
    )
    averaged = per_class[per_class["in_means"]]
    iou = averaged["iou"].to_numpy()
    weights = averaged["support"].to_numpy(float) * ~np.isnan(iou)
    summary = pd.Series(
        {
            "mean_iou": nanmean(iou),
            "mean_dice": nanmean(averaged["dice"]),
            "mean_precision": nanmean(averaged["precision"]),
            "mean_recall": nanmean(averaged["recall"]),
            "pixel_accuracy": ratio(counts[diagonal].sum(), n_pixels),
            "frequency_weighted_iou": ratio(np.nansum(weights * np.nan_to_num(iou)), weights.sum()),
            "n_pixels": n_pixels,
        },
        dtype=object,
    )
    return SemanticResult(per_class=per_class, summary=summary, table=table)


def _lookup(keys: np.ndarray, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values[ids == key] for each key (0 where the key is absent); ``ids`` sorted and unique."""
    out = np.zeros(keys.size, np.int64)
    position = np.searchsorted(ids, keys)
    found = position < ids.size
    found[found] = ids[position[found]] == keys[found]
    out[found] = values[position[found]]
    return out
