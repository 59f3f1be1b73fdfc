"""Probability maps to labels: semantic thresholding and instance labelling.

Conventions: a pixel is foreground when ``p > threshold`` (strict). With a class axis the label
is the class with the highest probability (first on ties), and background (0) where that
probability is not above the threshold.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage as ndi
from scipy import sparse, special
from scipy.sparse import csgraph
from skimage import measure, morphology, segmentation

from ._deprecation import renamed_keywords
from ._thread_callbacks import compute
from ._validate import (
    as_label_image,
    check_ignore_label,
    check_probability_range,
    check_region,
    check_threshold,
    probability_array,
)
from .blocks import aligned, as_dask, chunk_tree, is_lazy
from .instance import _chunk_band_ids, check_exclude_border
from .overlap import OverlapTable, overlap_table
from .review import _checked_probability, _object_sums
from .semantic import IGNORE_LIKE_VALUES

#: Pixels per block: the range check and the comparison share one read of memory.
CHUNK_PIXELS = 1 << 20


def threshold_probabilities(
    prob: np.ndarray,
    threshold: float = 0.5,
    *,
    channel_axis: int | None = None,
    class_ids: Sequence[int] | None = None,
) -> np.ndarray:
    """Turn a probability map into a semantic label image.

    A pixel is foreground when ``prob > threshold`` (strict), compared exactly in the data's
    dtype (see :func:`threshold_in_dtype`).

    Parameters
    ----------
    prob : numpy.ndarray or chunked array
        Probabilities in [0, 1], floating point. Logits: convert them first with
        :func:`sigmoid` (one channel) or :func:`softmax` (a class axis). A chunked map (dask,
        zarr) gives a lazy result: a dask array thresholded chunk by chunk when it is read
        (the range is checked then, chunk by chunk).
    threshold : float, optional
        Probability a pixel must exceed to be foreground, in [0, 1]. Default 0.5.
    channel_axis : int, optional
        The class axis of a multi-class map. Default None: a single foreground probability.
    class_ids : sequence of int, optional
        With ``channel_axis``: the label of each channel, non-negative integers. Default
        ``channel + 1``; pass ``range(n)`` when channel 0 is a background channel.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        Without ``channel_axis``: 1 where ``prob > threshold``, else 0 (uint8, the shape of
        ``prob``). With ``channel_axis``: the label of the most probable class (the first one
        on ties), and 0 where its probability is not above ``threshold``; the class axis is
        removed, and the dtype is the smallest that holds the ids.

    Raises
    ------
    TypeError
        If ``prob`` is integer or boolean.
    ValueError
        If ``prob`` is empty or holds NaN or values outside [0, 1], or ``threshold``,
        ``channel_axis`` or ``class_ids`` do not fit.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import threshold_probabilities
    >>> threshold_probabilities(np.array([[0.2, 0.5, 0.7]])).tolist()
    [[0, 0, 1]]
    >>> prob = np.array([[[0.6, 0.3, 0.1], [0.2, 0.3, 0.5]]])  # channels last
    >>> threshold_probabilities(prob, 0.55, channel_axis=-1).tolist()
    [[1, 0]]
    """
    prob = probability_array(prob)
    threshold = threshold_in_dtype(check_threshold(threshold), prob.dtype)
    if channel_axis is None:
        return _threshold_binary(prob, threshold)
    return _threshold_classes(prob, threshold, channel_axis, class_ids)


#: How many times more of the truth's pixels of classes k >= 1 must be predicted as k + 1
#: than as k for :func:`background_channel_suspected`.
SHIFTED_MARGIN = 2


def background_channel_suspected(table: OverlapTable, n_channels: int) -> bool:
    """Whether a class comparison looks like a map whose channel 0 is background, thresholded
    with channel k as class k + 1 (:func:`threshold_probabilities`' default ids): the truth's
    classes run from 0 to ``n_channels - 1`` (its lowest class 0, its highest n - 1) while the
    prediction has class ``n_channels``, which the truth never has; and the pixels are shifted
    by one class: summed over the truth's classes k = 1..n-1, :data:`SHIFTED_MARGIN` times
    more of them are predicted as k + 1 than as k. (A map unrelated to the truth, whose pixels
    are as often k as k + 1, is not suspected; nor is a right map whose image lacks the top
    class, with a few false pixels of it: its pixels are on the straight diagonal.) A truth
    value of :data:`~napari_seg_eval.core.semantic.IGNORE_LIKE_VALUES` (255, 65535) above the
    map's classes (pixels left unannotated, not given as ``ignore_label``) is left out: no
    map's class, it would otherwise hide the truth's top class.

    Cheap: it reads a table already counted.

    Parameters
    ----------
    table : OverlapTable
        The semantic table of the truth's classes against the thresholded map's classes (a
        binarized table, foreground 1 against background 0, is never suspected).
    n_channels : int
        The number of channels of the map.

    Returns
    -------
    bool

    Examples
    --------
    >>> truth = np.array([[0, 1, 2, 2]])
    >>> background_channel_suspected(overlap_table(truth, truth + 1), 3)
    True
    >>> background_channel_suspected(overlap_table(truth, truth), 3)
    False
    >>> background_channel_suspected(overlap_table(truth, np.array([[0, 1, 2, 3]])), 3)
    False
    >>> unannotated = np.array([[0, 1, 2, 255]])  # 255: pixels no one annotated
    >>> background_channel_suspected(overlap_table(unannotated, np.array([[0, 2, 3, 1]])), 3)
    True
    """
    true_ids = table.true_ids  # the ids present, sorted
    unannotated = np.isin(true_ids, IGNORE_LIKE_VALUES) & (true_ids > n_channels)
    true_ids = true_ids[~unannotated]  # the truth's classes, without 255 left unannotated
    if not (
        n_channels >= 2
        and true_ids.size > 0
        and true_ids[0] == 0
        and true_ids[-1] == n_channels - 1
        and np.isin(n_channels, table.pred_ids)
    ):
        return False
    true, pred, counts = table.contingency()  # every (true, pred) pair, class 0 included
    true, pred = true.astype(np.int64), pred.astype(np.int64)
    # The truth's classes k >= 1 only: a map of channels 1..n never predicts class 0 where it
    # is sure, so the truth's class 0 could only ever look shifted (a map unrelated to the
    # truth would be suspected); and by a margin, which a map that guesses never reaches.
    counted = (true >= 1) & (true < n_channels)  # not the unannotated value
    shifted = int(counts[counted & (pred == true + 1)].sum())  # (true k, pred k + 1)
    straight = int(counts[counted & (pred == true)].sum())  # (true k, pred k)
    return shifted > SHIFTED_MARGIN * straight


def background_predicted_as_objects(table: OverlapTable) -> bool:
    """Whether the prediction reads as a map whose channel 0 is background read as class 1
    (channel k as class k + 1, so that a pixel whose background channel is above the threshold
    is foreground): over 90 % of the truth's background (id or class 0) predicted as
    foreground (any class or object but 0), or over half of it with more than twice the
    truth's foreground predicted (a softmax not sure of the background everywhere: trial138's
    left 21 % of it below 0.5, 5 times the truth's foreground predicted). A model of the
    classes alone, even one whose objects are a little too wide in a dense field, predicts
    about as much foreground as the truth has. The check of a foreground-vs-background or
    instance comparison, where :func:`background_channel_suspected` has no classes to look
    at; a map of one channel is never asked (its channel 0 is its one class).

    Cheap: it reads a table already counted.

    Parameters
    ----------
    table : OverlapTable
        The truth (0 = background) against the prediction (0 = background): a semantic
        table, binarized or of classes, or an instance table.

    Returns
    -------
    bool

    Examples
    --------
    >>> truth = np.array([[0] * 10 + [1] * 2])  # 10 background pixels, 2 of foreground
    >>> six = np.array([[1] * 6 + [0] * 4 + [1] * 2])  # 6 of 10 covered, 8 predicted
    >>> background_predicted_as_objects(overlap_table(truth, six))
    True
    >>> wide = np.array([[0] * 10 + [1] * 2])
    >>> wide[0, 5:10] = 1  # 5 of 10 covered: not over half
    >>> background_predicted_as_objects(overlap_table(truth, wide))
    False
    >>> dense = np.array([[0] * 3 + [1] * 9])  # a dense field: 3 background pixels
    >>> wider = np.array([[0] + [1] * 11])  # 2 of 3 covered, but 11 predicted for 9
    >>> background_predicted_as_objects(overlap_table(dense, wider))
    False
    """
    true, pred, counts = table.contingency()
    background = int(counts[true == 0].sum())
    covered = int(counts[(true == 0) & (pred != 0)].sum())
    true_foreground = int(counts[true != 0].sum())
    predicted = int(counts[pred != 0].sum())
    if background == 0:
        return False
    most = covered * 10 > background * 9
    return most or (covered * 2 > background and predicted > 2 * true_foreground)


def made_background(table: OverlapTable) -> tuple[int, int, int]:
    """The pixels a threshold made background in a map with a class axis whose channels are
    all classes (channel k is class k + 1, :func:`threshold_probabilities`' default ids): its
    class 0 is only ever a pixel whose most probable channel is not above the threshold, so
    the table's predicted 0 counts them, in the pass that counted the table.

    Cheap: it reads a table already counted.

    Parameters
    ----------
    table : OverlapTable
        The truth (0 = background) against the thresholded map's classes (or their foreground,
        binarized): the pixels counted, without the ignored ones and those outside a region.

    Returns
    -------
    tuple of int
        The pixels made background (predicted 0), those of them the truth gives a class or
        object (not 0), and every pixel counted.

    Examples
    --------
    >>> truth = np.array([[0, 1, 1, 2]])
    >>> made_background(overlap_table(truth, np.array([[0, 0, 1, 2]])))  # 2 made 0, 1 in 1
    (2, 1, 4)
    """
    true, pred, counts = table.contingency()
    background = pred == 0
    return (
        int(counts[background].sum()),
        int(counts[background & (true != 0)].sum()),
        int(counts.sum()),
    )


def threshold_in_dtype(threshold: float, dtype: np.dtype) -> np.floating:
    """The threshold as a value of ``dtype`` for which ``p > value`` is exactly ``p > threshold``.

    numpy would otherwise round 0.3 to float32's 0.30000001, so that float32 0.3 would not
    count as above 0.3, while its real value is. This is the largest ``dtype`` value not
    above ``threshold``.

    Parameters
    ----------
    threshold : float
        The threshold, as a Python (float64) number.
    dtype : numpy.dtype
        Floating-point dtype of the data to compare.

    Returns
    -------
    numpy.floating
        The threshold in ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> value = threshold_in_dtype(0.3, np.float32)
    >>> bool(np.float32(0.3) > value), float(value) <= 0.3
    (True, True)
    """
    kind = np.dtype(dtype).type
    value = kind(threshold)
    if np.float64(value) > threshold:  # compared in float64: exact for float32 and float64
        value = np.nextafter(value, kind(-np.inf))
    return value


def _threshold_binary(prob: np.ndarray, threshold: float) -> np.ndarray:
    if is_lazy(prob):
        return prob.map_blocks(_threshold_block, threshold, prob.npartitions > 1, dtype=np.uint8)
    flat = prob.ravel()
    foreground = np.empty(flat.size, bool)
    for start in range(0, flat.size, CHUNK_PIXELS):
        block = flat[start : start + CHUNK_PIXELS]
        part = block.size < flat.size
        check_probability_range(block.min(), block.max(), values=block, block=part)
        np.greater(block, threshold, out=foreground[start : start + CHUNK_PIXELS])
    return foreground.view(np.uint8).reshape(prob.shape)


def _threshold_classes(
    prob: np.ndarray, threshold: float, channel_axis: int, class_ids: Sequence[int] | None
) -> np.ndarray:
    if prob.ndim < 2 or not -prob.ndim <= channel_axis < prob.ndim:
        raise ValueError(
            f"channel_axis {channel_axis} does not fit {prob.ndim}-D data; a class axis needs "
            "at least one more axis of pixels."
        )
    channels_first = np.moveaxis(prob, channel_axis, 0)
    n_classes = channels_first.shape[0]
    ids = np.arange(1, n_classes + 1) if class_ids is None else np.asarray(class_ids)
    if ids.shape != (n_classes,) or not np.issubdtype(ids.dtype, np.integer) or (ids < 0).any():
        raise ValueError(
            f"class_ids must list one non-negative integer id per channel ({n_classes}), "
            f"got {class_ids!r}."
        )
    ids = ids.astype(np.min_scalar_type(ids.max()))
    if is_lazy(channels_first):  # every chunk holds all channels of its pixels
        whole_channels = channels_first.rechunk({0: -1})
        return whole_channels.map_blocks(
            _classes_block,
            ids,
            threshold,
            whole_channels.npartitions > 1,
            drop_axis=0,
            dtype=ids.dtype,
        )
    labels = np.zeros(channels_first.shape[1:], ids.dtype)
    rows = max(1, CHUNK_PIXELS // max(1, int(np.prod(channels_first.shape[2:]))))
    for start in range(0, channels_first.shape[1], rows):
        labels[start : start + rows] = _classes_block(
            channels_first[:, start : start + rows],
            ids,
            threshold,
            rows < channels_first.shape[1],
        )
    return labels


def _threshold_block(block: np.ndarray, threshold: np.floating, part: bool) -> np.ndarray:
    """1 where ``block > threshold``, else 0 (uint8), after checking the block's range
    (``part``: the block is not the whole map, see :func:`check_probability_range`)."""
    check_probability_range(block.min(), block.max(), values=block, block=part)
    return np.greater(block, threshold).view(np.uint8)


def _classes_block(
    block: np.ndarray, ids: np.ndarray, threshold: np.floating, part: bool
) -> np.ndarray:
    """The labels of a block of channels-first probabilities (range checked; ``part``: the
    block is not the whole map): the id of the most probable channel (the first on ties), 0
    where its probability is not above ``threshold``."""
    check_probability_range(block.min(), block.max(), values=block, block=part)
    best = block[0].copy()
    winner = np.zeros(best.shape, np.intp)
    for channel in range(1, block.shape[0]):
        better = block[channel] > best  # strict: the first class wins ties
        winner[better] = channel
        np.maximum(best, block[channel], out=best)
    block_labels = ids[winner]
    block_labels[best <= threshold] = 0
    return block_labels


def label_instances(
    mask: np.ndarray,
    *,
    connectivity: int | None = 1,
    min_size: int = 0,
    split_touching: bool = False,
    split_depth: float = 2.0,
    spacing: float | Sequence[float] | None = None,
) -> np.ndarray:
    """Label the connected objects of a mask, with sequential ids in the smallest integer type.

    Parameters
    ----------
    mask : numpy.ndarray or chunked array
        Boolean mask, or integer image where each non-zero value is labelled on its own (so a
        semantic class image yields instances of each class). A chunked mask (dask, zarr) is
        labelled chunk by chunk and the objects crossing chunk borders are joined: the result
        is a lazy dask array, with the ids of the in-memory result.
    connectivity : int, optional
        Number of orthogonal hops that count as neighbours, from 1 (faces only) to
        ``mask.ndim``. Default 1: faces only (4-connected in 2-D, 6-connected in 3-D), as the
        dock, the command line and ``scipy.ndimage.label``: two objects that touch only at a
        corner stay two. ``None`` (or ``mask.ndim``): all neighbours, as
        ``skimage.measure.label`` (a thin diagonal line stays one object).
    min_size : int, optional
        Objects with fewer pixels are dropped (after splitting). Default 0: keep all.
    split_touching : bool, optional
        Separate touching objects by a watershed of the distance transform: the Euclidean
        distance of each pixel to the nearest pixel outside its connected component (the
        background; in a class image, also another class), in the units of ``spacing``.
        1-D to 3-D masks only.
    split_depth : float, optional
        Pixels a maximum of the distance transform must rise above the neck joining it to a
        higher maximum to seed an object of its own, in pixels of the finest axis (the
        smallest ``spacing``). The neck is the highest pass between them: the largest distance
        that some path between them keeps all along. Two discs of radius ``r`` joined by a
        neck whose centre lies ``w`` pixels from the background (a neck ``2w - 1`` pixels
        wide) are split when ``r - w >= split_depth``. An object whose highest distance is
        below ``split_depth`` is never split. Default 2.0.
    spacing : float or sequence of float, optional
        The pixel size along each axis of ``mask`` (one value per axis, or one for all), in
        any unit, e.g. ``(2.0, 0.5, 0.5)`` µm for a confocal stack with 2 µm between planes.
        The split measures distances in these units, divided by the smallest pixel size so
        that ``split_depth`` stays in pixels of the finest axis: a nucleus 6 planes deep at
        2 µm is 24 pixels deep at 0.5 µm, not 6. Only the ratios between axes matter; the
        default None (or equal values) treats every axis alike. Used only by
        ``split_touching``.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        Labels 1..n (0 is background), in the smallest unsigned integer type that holds n,
        numbered in raster order of each object's first pixel. Lazy for a chunked mask: one
        pass over the mask finds the objects and their sizes (this call), and each chunk is
        labelled again when the result is read.

    Raises
    ------
    TypeError
        If ``mask`` is not boolean or integer, or an argument has the wrong type.
    ValueError
        If ``mask`` is empty, an argument is out of range (``spacing`` not one positive
        finite value per axis), ``split_touching`` is asked of data with more than 3 axes, or
        of a chunked mask.

    Notes
    -----
    The split is computed for each connected component on its bounding box. Every regional
    maximum of the distance seeds a basin (a watershed of the negated distance); the depth of
    each maximum above its neck (its dynamic) comes from the passes between adjacent basins.
    Maxima at least ``split_depth`` deep are the seeds, and every other basin joins the seed it
    reaches over the highest pass. Of two equal maxima the first in raster order counts as the
    higher one.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import label_instances
    >>> yy, xx = np.mgrid[:40, :60]
    >>> discs = ((yy - 20) ** 2 + (xx - 18) ** 2 < 144) | ((yy - 20) ** 2 + (xx - 40) ** 2 < 144)
    >>> int(label_instances(discs).max()), int(label_instances(discs, split_touching=True).max())
    (1, 2)

    Two touching spheres of radius 5 µm on a stack of planes 2 µm apart with 0.5 µm pixels:
    counted in pixels they are a few planes deep, too shallow to split; in µm they are 10
    pixels of 0.5 µm deep around a neck 6 deep.

    >>> z, y, x = np.meshgrid(np.arange(12) * 2.0, np.arange(40) * 0.5, np.arange(60) * 0.5,
    ...                       indexing="ij")
    >>> spheres = ((z - 11) ** 2 + (y - 10) ** 2 + (x - 10) ** 2 <= 25) | (
    ...     (z - 11) ** 2 + (y - 10) ** 2 + (x - 18) ** 2 <= 25)
    >>> int(label_instances(spheres, split_touching=True).max())
    1
    >>> int(label_instances(spheres, split_touching=True, spacing=(2.0, 0.5, 0.5)).max())
    2
    """
    mask = as_dask(mask) if is_lazy(mask) else np.asarray(mask)
    connectivity, min_size, split_depth = _check_label_arguments(
        mask, connectivity, min_size, split_touching, split_depth
    )
    unit = _pixel_units(spacing, mask.ndim)
    if is_lazy(mask):
        return _label_chunked(mask, connectivity or mask.ndim, min_size)
    labels = measure.label(mask, background=0, connectivity=connectivity)
    labels = labels.astype(np.min_scalar_type(labels.max()), copy=False)
    if split_touching:
        labels = _split_touching(labels, connectivity or mask.ndim, split_depth, unit, mask)
    if min_size > 1:
        areas = np.bincount(labels.ravel())
        keep = areas >= min_size
        keep[0] = False
        new_ids = np.cumsum(keep) * keep
        labels = new_ids.astype(np.min_scalar_type(np.count_nonzero(keep)))[labels]
    return labels


def _label_chunked(mask: Any, connectivity: int, min_size: int) -> Any:
    """:func:`label_instances` of a dask mask: a lazy dask array of global labels.

    Each chunk is labelled on its own (one task each; only its count, sizes, first pixels and
    its faces come back); the objects are joined by :meth:`ChunkedLabelling.join`. The result
    labels each chunk again when read.
    """
    labelling = ChunkedLabelling(mask, connectivity, min_size)
    return labelling.join(compute(labelling.summaries_lazy())[0]).labels


@dataclass(frozen=True)
class ChunkedLabelling:
    """The instance labels of a chunked mask, before its objects are joined across chunks.

    Made by :func:`chunked_labelling`. Each chunk is labelled on its own: its objects are
    the *nodes* of the mask, and chunk ``k``'s object ``i`` has the node key
    ``k * stride + i`` (0: the background). Joining the nodes that touch across chunk faces
    (:meth:`join`, from the chunks' summaries) gives the global labels.

    :meth:`table_lazy` labels every chunk once for both the summary and the overlap table of
    the truth with the node keys, which :meth:`JoinedLabels.relabelled` turns into the table
    of the truth with the labels: the mask is read once for the labels and the table.

    Attributes
    ----------
    mask : dask.array.Array
        The mask.
    connectivity, min_size : int
        As in :func:`label_instances` (``connectivity`` given: 1 to ``mask.ndim``).
    """

    mask: Any
    connectivity: int
    min_size: int

    @property
    def stride(self) -> int:
        """Node keys of chunk ``k`` lie in ``k * stride + 1 .. k * stride + count``: one more
        than the pixels of the largest chunk."""
        return max(math.prod(sizes) for sizes in itertools.product(*self.mask.chunks)) + 1

    def _checked_truth(self, true: Any, ignore_label: Any, region: Any) -> tuple[Any, Any, Any]:
        """The truth as a label image of the mask's shape, the ignored label and the region,
        checked (nothing is read)."""
        true = as_label_image(true, "ground truth")
        if tuple(true.shape) != tuple(self.mask.shape):
            raise ValueError(
                f"shape mismatch: ground truth {tuple(true.shape)} vs mask "
                f"{tuple(self.mask.shape)}; they must cover the same pixels."
            )
        return true, check_ignore_label(ignore_label), check_region(region, tuple(true.shape))

    def summaries_lazy(self) -> Any:
        """What :meth:`join` needs of every chunk, as a dask ``Delayed`` list (one task per
        chunk, C order of the chunk grid), not yet computed.

        Returns
        -------
        dask.delayed.Delayed
            The list of the chunks' summaries.

        Examples
        --------
        >>> import dask.array as da
        >>> labelling = chunked_labelling(da.from_array(np.array([1, 1, 0, 1]), chunks=2))
        >>> [summary["count"] for summary in labelling.summaries_lazy().compute()]
        [1, 1]
        """
        tasks = [
            functools.partial(
                _chunk_summaries, connectivity=self.connectivity, start=start, shape=self.mask.shape
            )
            for start in _chunk_starts(self.mask)
        ]
        return chunk_tree(tasks, _concatenated, [self.mask])

    def table_lazy(self, true: Any, *, ignore_label: int | None = None, region: Any = None) -> Any:
        """The chunks' summaries and the overlap table of ``true`` with the node keys, in one
        read of the mask: a dask ``Delayed``, not yet computed.

        Each chunk is labelled once: its summary and its table come from the same labels,
        and the node keys never leave the task. ``true`` (and ``region``) are put on the
        mask's chunk grid.

        Parameters
        ----------
        true : array_like
            The ground truth: a label image of the mask's shape (numpy or chunked).
        ignore_label, region
            As in :func:`~napari_seg_eval.core.overlap.overlap_table` (checked here, before
            anything is read).

        Returns
        -------
        dask.delayed.Delayed
            ``(summaries, table)``: the list for :meth:`join`, and the
            :class:`~napari_seg_eval.core.overlap.OverlapTable` of the truth with the node
            keys, for :meth:`JoinedLabels.relabelled`.

        Examples
        --------
        >>> import dask.array as da
        >>> true = np.array([[1, 1, 1, 0]], np.uint8)
        >>> labelling = chunked_labelling(da.from_array(true > 0, chunks=2))
        >>> summaries, table = labelling.table_lazy(true).compute()
        >>> table.pred_ids.tolist()  # node keys: one object in each chunk, stride 3
        [0, 1, 4]
        """
        passes = self.passes_lazy(true, ignore_label=ignore_label, region=region, measure=False)
        return passes[:2]  # no sums, no band, no samples

    def passes_lazy(
        self,
        true: Any,
        *,
        ignore_label: int | None = None,
        region: Any = None,
        probability: Any = None,
        border: int = 0,
        measure: bool = True,
        sample: tuple[int, ...] | None = None,
    ) -> Any:
        """:meth:`table_lazy`, with the objects' measurements and border band in the same read.

        Each chunk is labelled once, for its summary, its overlap table with the truth, the
        sums of its objects (area, coordinates, bounding box and, with ``probability``, the
        sum of the probabilities: :func:`~napari_seg_eval.core.review.object_sums_lazy`) and
        the objects in the band of ``border`` pixels at the image's edge, all under the
        chunk's node keys. After :meth:`join`, :meth:`JoinedLabels.global_ids` renames them:
        sums of the nodes of one object add up (minima and maxima fold), and the band's ids
        are those of the joined labels' band (:func:`~napari_seg_eval.core.instance.border_ids`).

        Parameters
        ----------
        true, ignore_label, region
            As in :meth:`table_lazy`.
        probability : array_like, optional
            Probabilities in [0, 1] of the mask's shape, averaged over each object (checked
            here; its values chunk by chunk, when read). It may be the map the mask was
            thresholded from: then its chunks are read once, for both.
        border : int, optional
            Width of the band at the image's edge, in pixels (>= 0). Default 0: no band.
        measure : bool, optional
            Whether to make the sums (default). Without them (an empty dict), the read gives
            the table and the band alone, e.g. for excluding objects at the border.
        sample : tuple of int, optional
            A step per axis: the node keys of every ``sample``-th pixel along each axis (from
            the image's first), a coarse level of the labels picked in the same read
            (:meth:`JoinedLabels.sampled` renames and places them).

        Returns
        -------
        dask.delayed.Delayed
            ``(summaries, table, sums, band, samples)``: as :meth:`table_lazy`, the sums of
            every node (sorted by node key), the node keys in the band and the picked node
            keys of each chunk (``(first coarse index, keys)``; none without ``sample``), not
            yet computed.

        Examples
        --------
        >>> import dask.array as da
        >>> mask = np.zeros((3, 4), bool)
        >>> mask[1, :3] = True  # one object across two chunks, at the edge in the first
        >>> labelling = chunked_labelling(da.from_array(mask, chunks=(3, 2)))
        >>> summaries, table, sums, band, _ = labelling.passes_lazy(mask, border=1).compute()
        >>> sums["label"].tolist(), sums["area"].tolist(), band.tolist()  # node keys, stride 7
        ([1, 8], [2, 1], [1])
        >>> joined = labelling.join(summaries)
        >>> joined.global_ids(sums["label"]).tolist(), joined.global_ids(band).tolist()
        ([1, 1], [1])
        """
        true, ignore_label, region = self._checked_truth(true, ignore_label, region)
        probability = _checked_probability(probability, tuple(self.mask.shape))
        border = check_exclude_border(border)
        stride = self.stride
        key_dtype = np.min_scalar_type(math.prod(self.mask.numblocks) * stride)
        tasks = [
            functools.partial(
                _chunk_passes,
                connectivity=self.connectivity,
                start=start,
                shape=self.mask.shape,
                base=k * stride,
                key_dtype=key_dtype,
                ignore_label=ignore_label,
                has_region=region is not None,
                has_probability=probability is not None,
                border=border,
                measure=measure,
                sample=None if sample is None else tuple(int(f) for f in sample),
            )
            for k, start in enumerate(_chunk_starts(self.mask))
        ]
        extra = [a for a in (region, probability) if a is not None]
        return chunk_tree(tasks, _combined_passes, aligned([self.mask, true, *extra]))

    def join(self, summaries: Sequence[dict]) -> JoinedLabels:
        """The objects joined across chunks: ids touching across a chunk face joined on the
        graph of nodes, objects below ``min_size`` dropped (0), the others numbered in raster
        order of their first pixel, as in memory.

        Parameters
        ----------
        summaries : sequence of dict
            The computed summaries (:meth:`summaries_lazy` or :meth:`table_lazy`).

        Returns
        -------
        JoinedLabels
            The global label of every node, and the lazy labels.

        Examples
        --------
        >>> import dask.array as da
        >>> mask = da.from_array(np.array([[1, 1, 0, 1]], bool), chunks=1)
        >>> labelling = chunked_labelling(mask)
        >>> labelling.join(labelling.summaries_lazy().compute()).labels.compute().tolist()
        [[1, 1, 0, 2]]
        """
        mask, connectivity = self.mask, self.connectivity
        counts = np.array([summary["count"] for summary in summaries], np.int64)
        offsets = np.concatenate(([0], np.cumsum(counts)))  # chunk k: offsets[k] + 1..count
        n_nodes = int(offsets[-1])
        areas = np.concatenate([summary["areas"] for summary in summaries])
        first = np.concatenate([summary["first"] for summary in summaries])
        first_node, second_node = _face_edges(mask, summaries, offsets, connectivity)
        graph = sparse.csr_matrix(
            (np.ones(first_node.size, np.int8), (first_node, second_node)),
            shape=(n_nodes, n_nodes),
        )
        n_objects, component = csgraph.connected_components(graph, directed=False)
        object_area = np.bincount(component, weights=areas, minlength=n_objects)
        object_first = np.full(n_objects, np.iinfo(np.int64).max)
        np.minimum.at(object_first, component, first)
        keep = object_area >= max(self.min_size, 1)
        # Raster order of first pixels, as measure.label numbers them; dropped objects get 0.
        order = np.argsort(np.where(keep, object_first, np.iinfo(np.int64).max), kind="stable")
        n_kept = int(np.count_nonzero(keep))
        new_id = np.zeros(n_objects, np.min_scalar_type(n_kept))
        new_id[order[:n_kept]] = np.arange(1, n_kept + 1)
        return JoinedLabels(mask, connectivity, offsets, new_id[component], self.stride)


@dataclass(frozen=True)
class JoinedLabels:
    """The objects of a chunked mask joined across chunks (see :class:`ChunkedLabelling`).

    Attributes
    ----------
    mask : dask.array.Array
        The mask.
    connectivity : int
        As in :func:`label_instances`.
    offsets : numpy.ndarray
        Chunk ``k``'s objects are the nodes ``offsets[k]`` to ``offsets[k + 1] - 1``.
    node_id : numpy.ndarray
        The global label of every node (0: dropped by ``min_size``), in the labels' dtype.
    stride : int
        As :attr:`ChunkedLabelling.stride`.
    """

    mask: Any
    connectivity: int
    offsets: np.ndarray
    node_id: np.ndarray
    stride: int

    @property
    def labels(self) -> Any:
        """The global labels, a lazy dask array: each chunk is labelled again when read.

        One graph layer on the mask's own chunks (one task each), so that a computation
        which also needs the mask, or what it is made from (a probability map's chunks for
        the objects' mean probability), reads each chunk once.

        Examples
        --------
        >>> import dask.array as da
        >>> labelling = chunked_labelling(da.from_array(np.array([1, 0, 1, 1]), chunks=2))
        >>> labelling.join(labelling.summaries_lazy().compute()).labels.compute().tolist()
        [1, 0, 2, 2]
        """
        import dask.array as da
        from dask.base import tokenize
        from dask.highlevelgraph import HighLevelGraph

        mask, dtype = self.mask, self.node_id.dtype
        name = f"joined-labels-{tokenize(mask.name, self.connectivity, self.offsets, self.node_id)}"
        layer = {}
        for k, index in enumerate(np.ndindex(mask.numblocks)):
            lookup = np.concatenate(([0], self.node_id[self.offsets[k] : self.offsets[k + 1]]))
            layer[(name, *index)] = (
                _relabel_chunk,
                (mask.name, *index),
                self.connectivity,
                lookup.astype(dtype),
            )
        graph = HighLevelGraph.from_collections(name, layer, dependencies=[mask])
        return da.Array(graph, name, mask.chunks, dtype=dtype)

    def global_ids(self, keys: np.ndarray) -> np.ndarray:
        """The global label of each node key (0 for 0, and for objects dropped by size).

        Parameters
        ----------
        keys : numpy.ndarray
            Node keys (see :class:`ChunkedLabelling`).

        Returns
        -------
        numpy.ndarray
            Their labels, in the labels' dtype.

        Examples
        --------
        >>> import dask.array as da
        >>> labelling = chunked_labelling(da.from_array(np.array([1, 1, 0, 1]), chunks=2))
        >>> joined = labelling.join(labelling.summaries_lazy().compute())
        >>> joined.stride, joined.global_ids(np.array([0, 1, 4])).tolist()
        (3, [0, 1, 2])
        """
        chunk, local = np.divmod(keys.astype(np.int64), self.stride)
        lookup = np.concatenate(([0], self.node_id)).astype(self.node_id.dtype)
        return lookup[self.offsets[chunk] + local]  # key 0: chunk 0, local 0, lookup[0] = 0

    def sampled(self, samples: list, shape: tuple[int, ...]) -> np.ndarray:
        """The labels at every sample-th pixel, placed: the coarse level picked by
        :meth:`ChunkedLabelling.passes_lazy` (``sample=``) in the labels' dtype.

        Parameters
        ----------
        samples : list
            The ``(first coarse index, node keys)`` of every chunk.
        shape : tuple of int
            The coarse level's shape (the image's, divided by the step, rounded up).

        Returns
        -------
        numpy.ndarray
            The global labels at those pixels.

        Examples
        --------
        >>> import dask.array as da
        >>> labelling = chunked_labelling(da.from_array(np.array([1, 1, 0, 1, 1]), chunks=2))
        >>> summaries, _, _, _, samples = labelling.passes_lazy(
        ...     np.zeros(5, int), measure=False, sample=(2,)
        ... ).compute()
        >>> labelling.join(summaries).sampled(samples, (3,)).tolist()  # pixels 0, 2, 4
        [1, 0, 2]
        """
        out = np.zeros(shape, self.node_id.dtype)
        for first, keys in samples:
            place = tuple(slice(c, c + n) for c, n in zip(first, keys.shape, strict=True))
            out[place] = self.global_ids(keys.ravel()).reshape(keys.shape)
        return out

    def band_ids(self, keys: np.ndarray) -> np.ndarray:
        """The objects in a border band from its node keys (:meth:`ChunkedLabelling.passes_lazy`):
        their global labels, sorted and unique, without 0 (objects dropped by size).

        Examples
        --------
        >>> import dask.array as da
        >>> labelling = chunked_labelling(da.from_array(np.array([1, 1, 0, 1]), chunks=2))
        >>> joined = labelling.join(labelling.summaries_lazy().compute())
        >>> joined.band_ids(np.array([4, 1, 0])).tolist()
        [1, 2]
        """
        ids = np.unique(self.global_ids(keys))
        return ids[ids != 0]

    def relabelled(self, table: OverlapTable, true_dtype: Any) -> OverlapTable:
        """The overlap table of the truth with the labels, from its table with the node keys.

        Exactly :func:`~napari_seg_eval.core.overlap.overlap_table` of the truth and
        :attr:`labels` (with the same ignored label and region): the table counts pixels per
        pair of values, and relabelling maps every node to one label.

        Parameters
        ----------
        table : OverlapTable
            The table of :meth:`ChunkedLabelling.table_lazy`.
        true_dtype : numpy.dtype
            The truth's dtype as the overlap pass reads it (``uint8`` for a boolean truth).

        Returns
        -------
        OverlapTable
            The table of the truth with the labels.

        Examples
        --------
        >>> import dask.array as da
        >>> true = np.array([[1, 1, 1, 0]], np.uint16)
        >>> labelling = chunked_labelling(da.from_array(true > 0, chunks=2))
        >>> summaries, table = labelling.table_lazy(true).compute()
        >>> table = labelling.join(summaries).relabelled(table, true.dtype)
        >>> table.pred_ids.tolist(), table.pair_counts.tolist()
        ([0, 1], [3])
        """
        pred_ids = self.global_ids(table.pred_ids)
        pair_pred = self.global_ids(table.pair_pred)
        pair = pair_pred > 0  # objects dropped by size are background now
        return OverlapTable.sum(
            [
                OverlapTable(
                    table.true_ids.astype(true_dtype),
                    table.true_areas,
                    pred_ids,
                    table.pred_areas,
                    table.pair_true[pair].astype(true_dtype),
                    pair_pred[pair],
                    table.pair_counts[pair],
                )
            ]
        )


def chunked_labelling(
    mask: Any, *, connectivity: int | None = 1, min_size: int = 0
) -> ChunkedLabelling:
    """:func:`label_instances` of a chunked mask in steps, so that a table shares its read.

    :func:`label_instances` reads a chunked mask once to join its objects across chunks, and
    again whenever its labels are read: the overlap table of the truth with them reads and
    labels every chunk twice. With :meth:`ChunkedLabelling.table_lazy` one read gives both
    (see :class:`ChunkedLabelling`). Nothing is read here.

    Parameters
    ----------
    mask : chunked array
        A chunked (dask, zarr) boolean or integer mask, as :func:`label_instances` takes it.
    connectivity, min_size
        As in :func:`label_instances` (checked here, before anything is read).

    Returns
    -------
    ChunkedLabelling
        The labelling, not yet computed.

    Raises
    ------
    TypeError, ValueError
        As :func:`label_instances`, or if ``mask`` is not chunked.

    Examples
    --------
    >>> import dask.array as da
    >>> true = np.array([[1, 1, 0, 2]], np.uint8)
    >>> labelling = chunked_labelling(da.from_array(true > 0, chunks=2))
    >>> summaries, table = labelling.table_lazy(true).compute()  # one read of the mask
    >>> joined = labelling.join(summaries)
    >>> joined.labels.compute().tolist()  # read again, only if the labels are needed
    [[1, 1, 0, 2]]
    >>> joined.relabelled(table, true.dtype).pair_counts.tolist()
    [2, 1]
    """
    if not is_lazy(mask):
        raise ValueError(
            f"chunked_labelling needs a chunked (dask, zarr) mask, got {type(mask).__name__}; "
            "label a numpy mask with label_instances()."
        )
    mask = as_dask(mask)
    connectivity, min_size, _ = _check_label_arguments(mask, connectivity, min_size, False, 2.0)
    return ChunkedLabelling(mask, connectivity or mask.ndim, min_size)


def _chunk_starts(mask: Any) -> list[tuple[int, ...]]:
    """The first pixel of every chunk of a dask array, in C order of its chunk grid."""
    starts = [np.cumsum((0, *sizes[:-1])) for sizes in mask.chunks]
    return [
        tuple(int(s[i]) for s, i in zip(starts, index, strict=True))
        for index in np.ndindex(mask.numblocks)
    ]


def _concatenated(lists: list[list]) -> list:
    """The lists joined, in order."""
    return [item for part in lists for item in part]


def _summaries_and_table(parts: list[tuple[list, OverlapTable]]) -> tuple[list, OverlapTable]:
    """(summaries, table) partials combined: the summaries joined, the tables added."""
    return _concatenated([p[0] for p in parts]), OverlapTable.sum([p[1] for p in parts])


def _chunk_summaries(
    block: np.ndarray, *, connectivity: int, start: tuple[int, ...], shape: tuple[int, ...]
) -> list[dict]:
    """[:func:`_chunk_summary` of one chunk]: a partial of the summaries' tree."""
    return [_chunk_summary(block, connectivity, start, shape)]


def _chunk_nodes(
    block: np.ndarray,
    connectivity: int,
    start: tuple[int, ...],
    shape: tuple[int, ...],
    base: int,
    key_dtype: np.dtype,
) -> tuple[dict, np.ndarray]:
    """One chunk labelled: its summary (:func:`_chunk_summary`) and its node keys (local
    labels + ``base``, 0 kept)."""
    labels = measure.label(block, background=0, connectivity=connectivity)
    summary = _labels_summary(block, labels, start, shape)
    nodes = labels.astype(key_dtype)
    del labels
    np.add(nodes, key_dtype.type(base), out=nodes, where=nodes > 0)
    return summary, nodes


def _chunk_passes(
    block: np.ndarray,
    true: np.ndarray,
    *extra: np.ndarray,
    connectivity: int,
    start: tuple[int, ...],
    shape: tuple[int, ...],
    base: int,
    key_dtype: np.dtype,
    ignore_label: int | None,
    has_region: bool,
    has_probability: bool,
    border: int,
    measure: bool,
    sample: tuple[int, ...] | None,
) -> tuple[list[dict], OverlapTable, dict[str, np.ndarray], np.ndarray, list]:
    """One chunk labelled once: [its summary], the overlap table of its truth with its node
    keys, (if ``measure``) the sums of its nodes (with the probability chunk, ``extra``'s
    last, if given), the node keys in the image's band and (with ``sample``) [(the first
    coarse index, its node keys at every sample-th pixel of the image)]."""
    region = extra[0] if has_region else None
    probability = extra[-1] if has_probability else None
    if probability is not None:  # NaN propagates to min and max: one check names both
        check_probability_range(
            probability.min(),
            probability.max(),
            "probability values",
            values=probability,
            block=probability.shape != tuple(shape),  # one chunk of a larger map
        )
    summary, nodes = _chunk_nodes(block, connectivity, start, shape, base, key_dtype)
    table = overlap_table(true, nodes, ignore_label=ignore_label, region=region)
    sums = _object_sums(start, nodes, probability, False) if measure else {}
    band = np.zeros(0, key_dtype)
    if border:
        band = np.unique(_chunk_band_ids(nodes, start=start, shape=shape, width=border))
        band = band[band != 0]
    samples = []
    if sample is not None:
        first = tuple(-(-s // f) for s, f in zip(start, sample, strict=True))  # at or after
        picked = nodes[
            tuple(slice(c * f - s, None, f) for c, s, f in zip(first, start, sample, strict=True))
        ]
        if picked.size:
            samples.append((first, picked.copy()))
    return [summary], table, sums, band, samples


def _combined_passes(
    parts: list[tuple[list, OverlapTable, dict[str, np.ndarray], np.ndarray, list]],
) -> tuple[list, OverlapTable, dict[str, np.ndarray], np.ndarray, list]:
    """Partials of :func:`_chunk_passes` combined. Node keys of different chunks differ and
    rise with the chunk's index: the sums and the bands of consecutive chunks are joined."""
    summaries, table = _summaries_and_table([part[:2] for part in parts])
    sums = {name: np.concatenate([part[2][name] for part in parts]) for name in parts[0][2]}
    band = np.concatenate([part[3] for part in parts])
    return summaries, table, sums, band, [sample for part in parts for sample in part[4]]


def _chunk_summary(
    block: np.ndarray, connectivity: int, start: tuple[int, ...], shape: tuple[int, ...]
) -> dict:
    """What joining needs of one chunk: its object count, sizes, the global raster index of
    each object's first pixel, and its faces (local ids, and the mask values of an integer
    mask) along each axis."""
    labels = measure.label(block, background=0, connectivity=connectivity)
    return _labels_summary(block, labels, start, shape)


def _labels_summary(
    block: np.ndarray, labels: np.ndarray, start: tuple[int, ...], shape: tuple[int, ...]
) -> dict:
    """:func:`_chunk_summary` of a chunk and its local labels (``measure.label``'s)."""
    count = int(labels.max())
    labels = labels.astype(np.min_scalar_type(count), copy=False)
    flat = labels.ravel()
    areas = np.bincount(flat, minlength=count + 1)[1:]
    # measure.label numbers objects in raster order of their first pixels (except on some
    # shapes with axes of length 1): the running maximum then rises exactly at them.
    running = np.maximum.accumulate(flat)
    first_local = np.flatnonzero(np.diff(running, prepend=running.dtype.type(0)))
    if first_local.size != count or np.any(flat[first_local] != np.arange(1, count + 1)):
        ids, index = np.unique(flat, return_index=True)
        first_local = index[ids > 0]
    coordinates = np.unravel_index(first_local, block.shape)
    first = np.ravel_multi_index(
        tuple(c + s for c, s in zip(coordinates, start, strict=True)), shape
    ).astype(np.int64)
    faces = []
    for axis in range(block.ndim):
        low, high = (np.take(labels, i, axis=axis) for i in (0, -1))
        values = (
            None if block.dtype == bool else tuple(np.take(block, i, axis=axis) for i in (0, -1))
        )
        faces.append(((low, high), values))
    return {"count": count, "areas": areas, "first": first, "faces": faces}


def _face_edges(
    mask: Any, summaries: Sequence[dict], offsets: np.ndarray, connectivity: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of global node ids (0-based) of objects that touch across a chunk border.

    For every axis and every border between chunks along it, the last plane before the
    border and the first plane after it are put together from the chunks' faces; two pixels
    of these planes are neighbours when their offset within the plane has at most
    ``connectivity - 1`` non-zero steps (one step is the border itself).
    """
    grid = tuple(len(c) for c in mask.chunks)
    index_of = {index: k for k, index in enumerate(np.ndindex(grid))}
    starts = [np.cumsum((0, *sizes)) for sizes in mask.chunks]
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for axis in range(mask.ndim):
        plane_shape = tuple(n for a, n in enumerate(mask.shape) if a != axis)
        shifts = [
            shift
            for shift in np.ndindex(*(3,) * (mask.ndim - 1))
            if sum(step != 1 for step in shift) <= connectivity - 1
        ]
        for border in range(grid[axis] - 1):
            planes = []
            for side, position in ((1, border), (0, border + 1)):  # high face, then low face
                ids = np.zeros(plane_shape, np.int64)
                values = np.zeros(plane_shape, mask.dtype)
                for index in np.ndindex(grid):
                    if index[axis] != position:
                        continue
                    k = index_of[index]
                    (face_ids, face_values) = (
                        summaries[k]["faces"][axis][0][side],
                        summaries[k]["faces"][axis][1],
                    )
                    where = tuple(
                        slice(starts[a][i], starts[a][i + 1])
                        for a, i in enumerate(index)
                        if a != axis
                    )
                    global_ids = face_ids.astype(np.int64) + offsets[k]
                    ids[where] = np.where(face_ids > 0, global_ids, 0)
                    if face_values is not None:
                        values[where] = face_values[side]
                planes.append((ids, values))
            (before, before_values), (after, after_values) = planes
            for shift in shifts:
                here, there = _shifted(plane_shape, [step - 1 for step in shift])
                a, b = before[here], after[there]
                touching = (a > 0) & (b > 0)
                if mask.dtype != bool:
                    touching &= before_values[here] == after_values[there]
                firsts.append(a[touching] - 1)
                seconds.append(b[touching] - 1)
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


def _shifted(shape: tuple[int, ...], offset: Sequence[int]) -> tuple[tuple, tuple]:
    """Slices ``here`` and ``there`` with ``there`` = ``here`` moved by ``offset``."""
    here = tuple(slice(max(0, -o), n - max(0, o)) for o, n in zip(offset, shape, strict=True))
    there = tuple(slice(max(0, o), n - max(0, -o)) for o, n in zip(offset, shape, strict=True))
    return (*here, Ellipsis), (*there, Ellipsis)  # arrays even for the 0-d planes of 1-D data


def _relabel_chunk(block: np.ndarray, connectivity: int, lookup: np.ndarray) -> np.ndarray:
    """The global labels of one chunk: its local labels (as :func:`_chunk_summary` found
    them) through its lookup table."""
    return lookup[measure.label(block, background=0, connectivity=connectivity)]


def _check_label_arguments(
    mask: np.ndarray,
    connectivity: object,
    min_size: object,
    split_touching: bool,
    split_depth: object,
) -> tuple[int | None, int, float]:
    """Every argument of :func:`label_instances`, checked before any pass over the mask."""
    if not (mask.dtype == bool or np.issubdtype(mask.dtype, np.integer)):
        raise TypeError(
            f"mask must be boolean or integer, got dtype {mask.dtype}. "
            "Threshold a probability map first with threshold_probabilities()."
        )
    if mask.ndim == 0 or mask.size == 0:
        raise ValueError(f"mask is empty (shape {mask.shape}).")
    if connectivity is not None:
        if not _is_integer(connectivity):
            raise TypeError(f"connectivity must be an integer or None, got {connectivity!r}.")
        if not 1 <= connectivity <= mask.ndim:
            raise ValueError(
                f"connectivity must be between 1 and {mask.ndim} (the number of axes of the "
                f"mask) or None, got {connectivity}."
            )
        connectivity = int(connectivity)
    if not _is_integer(min_size):
        raise TypeError(f"min_size must be a non-negative integer (pixels), got {min_size!r}.")
    if min_size < 0:
        raise ValueError(f"min_size must be a non-negative integer (pixels), got {min_size}.")
    if isinstance(split_depth, bool) or not isinstance(split_depth, numbers.Real):
        raise TypeError(f"split_depth must be a number of pixels, got {split_depth!r}.")
    if not (math.isfinite(split_depth) and split_depth > 0):
        raise ValueError(f"split_depth must be a finite number of pixels > 0, got {split_depth}.")
    if split_touching and is_lazy(mask):
        raise ValueError(
            "split_touching needs the whole mask at once (a distance transform and a "
            f"watershed); it is not available on a chunked {type(mask).__name__} mask of shape "
            f"{mask.shape}. Compute the mask into memory first if it fits, e.g. "
            "label_instances(np.asarray(mask), split_touching=True), or label it per tile or "
            "plane; or label without split_touching."
        )
    if split_touching and mask.ndim > 3:
        raise ValueError(
            f"split_touching works on 2-D and 3-D masks (a distance transform over all axes), "
            f"got {mask.ndim}-D data of shape {mask.shape}. Label each time point or channel "
            "on its own, e.g. [label_instances(frame, split_touching=True) for frame in mask]."
        )
    return connectivity, int(min_size), float(split_depth)


def _pixel_units(spacing: object, ndim: int) -> tuple[float, ...] | None:
    """The pixel size along each of ``ndim`` axes in pixels of the finest axis (the smallest
    is 1), from :func:`label_instances`' ``spacing``; None when every axis is alike (no
    spacing, or equal values).

    Examples
    --------
    >>> _pixel_units((2.0, 0.5, 0.5), 3)
    (4.0, 1.0, 1.0)
    >>> _pixel_units(0.3, 2) is None
    True
    """
    if spacing is None:
        return None
    if _is_number(spacing):
        values = (spacing,) * ndim
    else:
        try:
            values = tuple(np.asarray(spacing, dtype=object).ravel())
        except TypeError:
            values = ()
        if np.ndim(spacing) != 1 or not all(_is_number(value) for value in values):
            raise TypeError(
                "spacing must be a pixel size (a number) or a sequence of one number per axis, "
                f"got {spacing!r}."
            )
        if len(values) == 1:  # one for all, as a sequence (the command line's `0.5`)
            values = values * ndim
        if len(values) != ndim:
            raise ValueError(
                f"spacing must give one pixel size per axis of the mask ({ndim} axes) or one "
                f"for all, got {len(values)}: {tuple(values)}."
            )
    sizes = tuple(float(value) for value in values)
    if not all(math.isfinite(size) and size > 0 for size in sizes):
        raise ValueError(f"spacing must be finite pixel sizes > 0, got {sizes}.")
    finest = min(sizes)
    if all(size == finest for size in sizes):
        return None
    return tuple(size / finest for size in sizes)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _split_touching(
    labels: np.ndarray,
    connectivity: int,
    depth: float,
    unit: tuple[float, ...] | None = None,
    classes: np.ndarray | None = None,
) -> np.ndarray:
    """Split the connected components ``labels`` (1..n) at necks at least ``depth`` deep.

    Distances are in pixels of the finest axis: ``unit`` is the pixel size along each axis
    in those (see :func:`_pixel_units`; None: 1 along every axis). ``classes``: the mask
    that was labelled, a class image whose components of different classes may touch (None
    or boolean: components never touch). Only components with two or more regional maxima
    of the distance at least ``depth`` high can be split; only those are flooded. Returns
    sequential labels, ordered by component.
    """
    distance = _component_distances(labels, depth, unit)
    structure = ndi.generate_binary_structure(labels.ndim, connectivity)
    maxima = morphology.local_maxima(distance, footprint=structure, allow_borders=True)
    markers, n_maxima = ndi.label(maxima, structure=structure)
    del maxima
    at_maxima = np.flatnonzero(markers)
    maximum_ids = markers.ravel()[at_maxima]
    height = np.zeros(n_maxima + 1)
    height[maximum_ids] = distance.ravel()[at_maxima]
    component = np.zeros(n_maxima + 1, labels.dtype)
    component[maximum_ids] = labels.ravel()[at_maxima]
    del at_maxima, maximum_ids

    n_components = int(labels.max())
    high = height >= depth
    high[0] = False
    selected = np.bincount(component[high], minlength=n_components + 1) >= 2
    selected[0] = False
    if not selected.any():
        return labels

    # Flood the selected components from every regional maximum: within a basin each pixel
    # reaches its maximum without going lower than itself, so the passes between maxima are
    # the passes between adjacent basins.
    negative = np.negative(distance, out=distance)
    basins = _flooded_basins(negative, markers, selected[labels], connectivity, classes)
    del markers
    first, second, level = _basin_passes(basins, negative, structure, n_maxima)
    # Components of different classes touch: the passes between them join nothing.
    within = component[first] == component[second]
    first, second, level = first[within], second[within], level[within]
    seeds = _deep_maxima(height, first, second, level, depth)
    group = _join_basins(n_maxima, first, second, seeds)
    return _final_labels(labels, basins, selected, component, group)


def _flooded_basins(
    negative: np.ndarray,
    markers: np.ndarray,
    flooded: np.ndarray,
    connectivity: int,
    classes: np.ndarray | None,
) -> np.ndarray:
    """The watershed basins of ``markers`` on ``negative`` inside ``flooded``, never crossing
    from one class of ``classes`` into another (a basin stays in its component: components
    of one class never touch). One flood per class of the flooded pixels."""
    values = [] if classes is None or classes.dtype == bool else np.unique(classes[flooded])
    if len(values) < 2:
        return segmentation.watershed(negative, markers, mask=flooded, connectivity=connectivity)
    basins = np.zeros(markers.shape, markers.dtype)
    for value in values:
        basins += segmentation.watershed(
            negative, markers, mask=flooded & (classes == value), connectivity=connectivity
        )
    return basins


def _component_distances(
    labels: np.ndarray, depth: float, unit: tuple[float, ...] | None = None
) -> np.ndarray:
    """Distance of each pixel to the nearest pixel outside its component (float32, pixel
    sizes ``unit`` along the axes), component by component on its bounding box padded by one
    pixel; 0 in components that cannot hold two maxima ``depth`` deep.

    For a boolean mask this is the distance transform of the whole mask: the nearest pixel
    outside a component touches it by a face, so it is background.
    """
    distance = np.zeros(labels.shape, np.float32)
    for index, box in enumerate(ndi.find_objects(labels), start=1):
        if box is None or _too_thin(box, labels.shape, depth, unit):
            continue
        padded = tuple(
            slice(max(axis.start - 1, 0), min(axis.stop + 1, size))
            for axis, size in zip(box, labels.shape, strict=True)
        )
        inside = labels[padded] == index
        if inside.all():  # the component is the whole image: no background to measure from
            continue
        np.copyto(distance[padded], _distance_inside(inside, unit), where=inside)
    return distance


def _too_thin(
    box: tuple[slice, ...], shape: tuple[int, ...], depth: float, unit: tuple[float, ...] | None
) -> bool:
    """Whether a component in ``box`` is too thin to be split at ``depth``.

    A split needs a second maximum ``depth`` above a neck, and every foreground pixel is at
    least 1 (the finest pixel size) from the background, so some pixel must lie
    ``depth + 1`` or more from the background. Along an axis the pixels just outside the box
    are not in the component (the image edge is not background): of ``n`` pixels of size
    ``u`` between background on both sides, none lies further than ``u (n + 1) // 2`` from
    it; with background on one side, ``u n``.
    """
    for axis, (span, size) in enumerate(zip(box, shape, strict=True)):
        sides = (span.start > 0) + (span.stop < size)
        if not sides:
            continue
        n = span.stop - span.start
        furthest = (n + 1) // 2 if sides == 2 else n
        if furthest * (1.0 if unit is None else unit[axis]) < depth + 1:
            return True
    return False


def _distance_inside(inside: np.ndarray, unit: tuple[float, ...] | None = None) -> np.ndarray:
    """Euclidean distance of each pixel to the nearest pixel outside ``inside``, as float32,
    with pixel sizes ``unit`` along the axes (None: 1 along every axis).

    scipy's feature transform gives the nearest outside pixel; the distances are computed
    from it in blocks of rows, without scipy's float64 temporaries of the whole box.
    """
    nearest = np.empty((inside.ndim, *inside.shape), np.int32)
    ndi.distance_transform_edt(
        inside, sampling=unit, return_distances=False, return_indices=True, indices=nearest
    )
    distance = np.empty(inside.shape, np.float32)
    for rows in _row_blocks(inside.shape):
        squared = np.zeros(
            (rows.stop - rows.start, *inside.shape[1:]), np.int64 if unit is None else np.float64
        )
        for axis in range(inside.ndim):
            span = (rows.start, rows.stop) if axis == 0 else (0, inside.shape[axis])
            coordinate = np.arange(*span).reshape(
                [-1 if a == axis else 1 for a in range(inside.ndim)]
            )
            offset = nearest[axis, rows] - coordinate
            if unit is not None:
                offset = offset * unit[axis]
            squared += offset * offset
        np.sqrt(squared, out=distance[rows], casting="unsafe")
    return distance


def _row_blocks(shape: tuple[int, ...]) -> list[slice]:
    """Slices of the first axis holding about :data:`CHUNK_PIXELS` pixels each."""
    rows = max(1, CHUNK_PIXELS // max(1, math.prod(shape[1:])))
    return [slice(start, min(start + rows, shape[0])) for start in range(0, shape[0], rows)]


def _basin_passes(
    basins: np.ndarray, negative: np.ndarray, structure: np.ndarray, n_basins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The highest pass between each pair of adjacent basins, highest first.

    The pass between two neighbouring pixels is the lower of their distances; between two
    basins it is the highest such pass over their neighbouring pixels. Returns the two basin
    ids (first < second) and the distance at the pass (float64), ordered by decreasing pass
    (ties by ids).
    """
    centre = np.array(structure.shape) // 2
    zero = (0,) * basins.ndim
    offsets = [o for o in np.argwhere(structure) - centre if tuple(o) > zero]
    keys: list[np.ndarray] = []
    levels: list[np.ndarray] = []
    for offset in offsets:
        here = tuple(
            slice(max(0, -o), size - max(0, o))
            for o, size in zip(offset, basins.shape, strict=True)
        )
        there = tuple(
            slice(max(0, o), size - max(0, -o))
            for o, size in zip(offset, basins.shape, strict=True)
        )
        span = (here[0].stop - here[0].start, *basins.shape[1:])
        for rows in _row_blocks(span):
            a, b = basins[here][rows], basins[there][rows]
            touching = a != b
            np.logical_and(touching, a, out=touching)  # neither is the background
            np.logical_and(touching, b, out=touching)
            if not touching.any():
                continue
            left, right = a[touching], b[touching]
            level = np.maximum(negative[here][rows][touching], negative[there][rows][touching])
            key = np.minimum(left, right).astype(np.int64) * (n_basins + 1)
            key += np.maximum(left, right)
            key, level = _highest_pass(key, level)
            keys.append(key)
            levels.append(level)
    if not keys:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    key, level = _highest_pass(np.concatenate(keys), np.concatenate(levels))
    order = np.lexsort((key, level))
    key = key[order]
    return key // (n_basins + 1), key % (n_basins + 1), -level[order].astype(np.float64)


def _highest_pass(key: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row per key, with the lowest ``level`` (the negated distance: the highest pass)."""
    order = np.lexsort((level, key))
    key, level = key[order], level[order]
    first = np.ones(key.size, bool)
    np.not_equal(key[1:], key[:-1], out=first[1:])
    return key[first], level[first]


def _find(parent: list[int], node: int) -> int:
    """Root of ``node`` in a union-find forest, compressing the path."""
    root = node
    while parent[root] != root:
        root = parent[root]
    while parent[node] != root:
        parent[node], node = root, parent[node]
    return root


def _deep_maxima(
    height: np.ndarray, first: np.ndarray, second: np.ndarray, level: np.ndarray, depth: float
) -> list[bool]:
    """Which maxima rise at least ``depth`` above the neck joining them to a higher maximum.

    Basins are joined from the highest pass down (a maximum spanning forest); when two groups
    meet, the lower of their tops has found its neck. A top that never meets a higher one
    drops to the background (0). Of equal tops the smaller id counts as the higher.
    """
    heights = height.tolist()
    parent = list(range(len(heights)))
    top = list(range(len(heights)))
    dynamic = list(heights)
    for a, b, neck in zip(first.tolist(), second.tolist(), level.tolist(), strict=True):
        root_a, root_b = _find(parent, a), _find(parent, b)
        if root_a == root_b:
            continue
        high, low = top[root_a], top[root_b]
        if (heights[low], -low) > (heights[high], -high):
            root_a, root_b, high, low = root_b, root_a, low, high
        dynamic[low] = heights[low] - neck
        parent[root_b] = root_a  # the joined group keeps the higher top
    return [value >= depth for value in dynamic]


def _join_basins(
    n_basins: int, first: np.ndarray, second: np.ndarray, seeds: list[bool]
) -> np.ndarray:
    """Group the basins around the seeds: from the highest pass down, two groups join unless
    both hold a seed (a watershed from the seeds on the graph of basins). Returns the group
    (a basin id) of every basin."""
    parent = list(range(n_basins + 1))
    seeded = list(seeds)
    for a, b in zip(first.tolist(), second.tolist(), strict=True):
        root_a, root_b = _find(parent, a), _find(parent, b)
        if root_a == root_b or (seeded[root_a] and seeded[root_b]):
            continue
        parent[root_b] = root_a
        seeded[root_a] = seeded[root_a] or seeded[root_b]
    return np.array([_find(parent, node) for node in range(n_basins + 1)], np.int64)


def _final_labels(
    labels: np.ndarray,
    basins: np.ndarray,
    selected: np.ndarray,
    component: np.ndarray,
    group: np.ndarray,
) -> np.ndarray:
    """Sequential labels: components left whole keep one id, the others one id per group of
    basins; ids follow the components' order, then the groups' first maxima."""
    whole = np.flatnonzero(~selected[1:]) + 1
    roots = np.unique(group[selected[component]])
    owner = np.concatenate([whole, component[roots]])
    order = np.lexsort((np.concatenate([np.zeros(whole.size, np.int64), roots]), owner))
    new_id = np.empty(order.size, np.int64)
    new_id[order] = np.arange(1, order.size + 1)
    dtype = np.min_scalar_type(order.size)
    by_component = np.zeros(selected.size, dtype)
    by_component[whole] = new_id[: whole.size]
    by_root = np.zeros(group.size, dtype)
    by_root[roots] = new_id[whole.size :]
    by_basin = by_root[group]
    out = np.empty(labels.shape, dtype)
    for rows in _row_blocks(labels.shape):
        block = out[rows]
        np.take(by_component, labels[rows], out=block, mode="clip")
        basin = basins[rows]
        flooded = basin > 0
        block[flooded] = by_basin[basin[flooded]]
    return out


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Logistic function, for one-channel logits: probabilities in [0, 1].

    Parameters
    ----------
    logits : numpy.ndarray
        Logits (any real values).

    Returns
    -------
    numpy.ndarray
        ``1 / (1 + exp(-logits))``, in float32 or wider (the dtype of ``logits`` if wider).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import sigmoid
    >>> sigmoid(np.array([0.0])).tolist()
    [0.5]
    """
    logits = np.asarray(logits)
    return special.expit(logits.astype(np.result_type(logits.dtype, np.float32)))


@renamed_keywords(axis="channel_axis")
def softmax(logits: np.ndarray, channel_axis: int = 0) -> np.ndarray:
    """Softmax over the class axis, for multi-class logits: probabilities summing to 1.

    Parameters
    ----------
    logits : numpy.ndarray
        Logits with a class axis.
    channel_axis : int, optional
        The class axis. Default 0. (Called ``axis`` before 0.2; the old name still works
        with a ``DeprecationWarning``.)

    Returns
    -------
    numpy.ndarray
        Probabilities of the shape of ``logits``, summing to 1 along ``channel_axis``, in
        float32 or wider.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import softmax
    >>> softmax(np.array([[0.0], [0.0]]), channel_axis=0).tolist()
    [[0.5], [0.5]]
    """
    logits = np.asarray(logits)
    return special.softmax(
        logits.astype(np.result_type(logits.dtype, np.float32)), axis=channel_axis
    )


#: How far from 1 the sum of a pixel's probabilities along a class axis may be in
#: :func:`sums_to_one`, besides the rounding of each stored value.
SUM_TOLERANCE = 0.01


def sums_to_one(values: np.ndarray, channel_axis: int, *, step: float = 0.0) -> bool:
    """Whether ``values`` read as probabilities sum to 1 along ``channel_axis`` at every
    pixel, as a softmax's classes do: the sign that the axis holds classes, not depth or time
    (along which a map's values sum to anything).

    Meant for a small sample of a map (a few pixels of each class). NaN pixels are left out;
    a sample of NaN alone is no sign.

    Parameters
    ----------
    values : numpy.ndarray
        Probabilities (floats, or unsigned integers already divided by their maximum).
    channel_axis : int
        The axis that may hold classes.
    step : float
        The rounding of each stored value: half the step between two stored values (0.5 / 255
        for a uint8 map read as value / 255); the sum may be off by that much per class, on
        top of :data:`SUM_TOLERANCE`.

    Returns
    -------
    bool

    Examples
    --------
    >>> softmax_like = np.array([[0.2, 0.7], [0.8, 0.3]])  # two classes of two pixels
    >>> sums_to_one(softmax_like, 0), sums_to_one(softmax_like, 1)
    (True, False)
    >>> sums_to_one(np.zeros((3, 4, 4)), 0)  # background planes of a z-stack
    False
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return False
    sums = values.sum(axis=channel_axis)
    sums = sums[~np.isnan(sums)]
    tolerance = SUM_TOLERANCE + values.shape[channel_axis] * step
    return bool(sums.size) and bool(np.all(np.abs(sums - 1.0) <= tolerance))
