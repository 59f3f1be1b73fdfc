"""The Evaluation record: the arrays compared, every setting, the results and the tables (no Qt).

One record is made per run. Everything the dock widget shows about a run (summary, per-class,
per-threshold, per-plane and per-object tables, the Review section, plots and exports) reads
this record and nothing else, so an old result is never interpreted with new layer data. When an
input changes after the run, the widget replaces the record by :meth:`Evaluation.marked_stale`,
an identical record that says why it no longer matches the viewer.
"""

from __future__ import annotations

import functools
import itertools
import threading
import weakref
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from dask.callbacks import Callback

from .core._results import count_as_integer, nanmean
from .core._thread_callbacks import compute, on_this_thread
from .core._validate import (
    BINARIZE_OFF,
    as_array,
    as_label_image,
    as_label_pair,
    check_probability_range,
    check_region,
    outside_ignored,
    warn_if_background_ignored,
    warn_if_foreground_only,
    warn_if_masks,
)
from .core._warn import called_as, warn
from .core.blocks import COMBINE_EVERY, aligned, as_dask, chunk_tree, is_lazy
from .core.boundary import (
    BOUNDARY_COLUMNS,
    BoundaryResult,
    ObjectBoundaryResult,
    pair_boundaries,
)
from .core.classes import (
    ClassSpec,
    check_classes,
    classed_table,
    majority_of_table,
    negative_ids_named,
    object_classes,
    pixel_classes,
)
from .core.confidence import (
    CocoAPResult,
    coco_average_precision,
    coco_average_precision_of_table,
)
from .core.dataset import DatasetResult, dataset_from_tables, dataset_metrics
from .core.instance import (
    DEFAULT_IOU_THRESHOLDS,
    CountedOn,
    InstanceResult,
    ObjectPairs,
    _checked_pair,
    _of_counted_table,
    border_ids,
    border_ids_lazy,
    check_criterion,
    check_exclude_border,
    check_iou_thresholds,
    instance_metrics,
    instance_metrics_of_table,
    parse_iou_thresholds,  # noqa: F401 (the panels and scripts read it from here)
    remove_objects,
)
from .core.overlap import (
    OverlapTable,
    binarized_table,
    id_dtype,
    overlap_table,
    overlap_table_lazy,
)
from .core.presets import get_preset
from .core.review import (
    _checked_probability,
    _combine_sums,
    _object_sums,
    _summed_by_label,
    add_error_kinds,
    join_measurements,
    measure_both,
    measurements_from_sums,
    object_measurements,
    object_scores_lazy,
    object_scores_of,
    object_sums_lazy,
    relabelled_sums,
    with_excluded,
)
from .core.semantic import (
    IGNORE_LIKE_VALUES,
    SemanticResult,
    _warn_if_nothing_left,
    binarized_ignore_label,
    classes_checked_by_caller,
    ignore_value_hint,
    ignore_value_suspected,
    semantic_metrics,
    semantic_metrics_from_table,
    unannotated_object_suspected,
)
from .core.threshold import (
    ChunkedLabelling,
    background_channel_suspected,
    background_predicted_as_objects,
    chunked_labelling,
    label_instances,
    made_background,
    threshold_probabilities,
)
from .core.tracking import TIME_LABELS, ctc_metrics, ctc_of_table
from .io.read import percent


class Cancelled(Exception):
    """Raised inside a run whose :class:`RunControl` was stopped."""


class RunControl:
    """Progress reports and a stop flag shared by a run and the thread that started it.

    A run checks :meth:`check` between its steps and, inside :meth:`chunks`, before every dask
    task of the computations this package starts on the run's thread (dask's local schedulers;
    the callbacks are given to dask for the run's thread alone, see
    :mod:`napari_seg_eval.core._thread_callbacks`). So a long chunked pass reports the fraction
    of its tasks done and stops within one task of :meth:`cancel`. On a ``dask.distributed``
    cluster the tasks run elsewhere: progress and cancel then act between steps only.

    Parameters
    ----------
    report : callable, optional
        Called with ``(fraction done, message)`` from the run's thread (thread-safe callers
        only, e.g. a Qt signal's ``emit``).

    Examples
    --------
    >>> import dask.array as da
    >>> from napari_seg_eval import semantic_metrics
    >>> labels = da.ones((8, 8), dtype=np.uint8, chunks=4)
    >>> steps = []
    >>> control = RunControl(steps.append)
    >>> with control.chunks(0.0, 1.0, "scoring"):
    ...     iou = semantic_metrics(labels, labels).summary["mean_iou"]
    >>> float(iou), steps[-1]
    (1.0, (1.0, 'scoring'))
    >>> control.cancel()
    >>> control.check()
    Traceback (most recent call last):
    napari_seg_eval.evaluation.Cancelled: the run was cancelled
    """

    def __init__(self, report: Callable[[tuple[float, str]], None] | None = None) -> None:
        self.report = report if report is not None else (lambda step: None)
        self.stop = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop (from any thread)."""
        self.stop.set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the run was asked to stop."""
        if self.stop.is_set():
            raise Cancelled("the run was cancelled")

    @contextmanager
    def chunks(self, start: float, end: float, message: str) -> Iterator[None]:
        """Within the block, the dask tasks this package runs on this thread report progress
        from ``start`` to ``end`` and stop the run once it is cancelled.

        Never ``yield`` inside the block: a generator cancelled (left suspended) there would
        leave the watch entered on its pooled thread, and stop the next run computing on it."""
        with on_this_thread(_TaskWatch(self, start, end, message)):
            yield


class _TaskWatch(Callback):
    """A dask callback for the computations of the run's thread (others, e.g. napari reading
    a slice of a lazy layer, are left alone: :func:`on_this_thread`): progress by tasks
    finished, and cancel."""

    def __init__(self, control: RunControl, start: float, end: float, message: str) -> None:
        super().__init__()
        self.control, self.start, self.end, self.message = control, start, end, message
        self.shown = -1.0

    def _pretask(self, key, dsk, state) -> None:
        self.control.check()

    def _posttask(self, key, result, dsk, state, worker_id) -> None:
        done = len(state["finished"])
        total = done + sum(len(state[k]) for k in ("ready", "waiting", "running"))
        fraction = self.start + (self.end - self.start) * done / max(total, 1)
        if fraction - self.shown >= 0.01 or done == total:  # at most ~100 reports a pass
            self.shown = fraction
            self.control.report((fraction, self.message))


@dataclass(frozen=True)
class ThresholdOptions:
    """How a probability map becomes labels.

    ``output`` only chooses what the threshold preview shows: instance metrics are always
    computed on instance labels (connected components with the other options).
    ``connectivity`` 1 (the default, as :func:`label_instances` and the dock): objects join
    faces only, so two that touch at a corner stay two; ``None``: all neighbours.

    ``channel_axis``: the class axis of a multi-class map; each pixel is the class of its most
    probable channel (background 0 where that probability is not above the threshold).
    Channel k is class k + 1, unless ``background_channel``: channel 0 is background (as a
    softmax with a background channel, e.g. nnU-Net's), so channel k is class k and pixels
    whose most probable channel is 0 are background, in no object.

    ``spacing``: the pixel size of the map's pixel axes (its class axis left out), one value
    per axis, for ``split_touching`` (see :func:`label_instances`; ``split_depth`` stays in
    pixels of the finest axis). None: every axis 1.

    Examples
    --------
    >>> prob = np.array([[[0.8, 0.1]], [[0.2, 0.9]]])  # channel 0 wins left, channel 1 right
    >>> labels_from_probability(prob, 0.5, ThresholdOptions(channel_axis=0)).tolist()
    [[1, 2]]
    >>> options = ThresholdOptions(channel_axis=0, background_channel=True)
    >>> labels_from_probability(prob, 0.5, options).tolist()
    [[0, 1]]
    """

    output: Literal["semantic", "instance"] = "semantic"
    channel_axis: int | None = None
    connectivity: int | None = 1
    min_size: int = 0
    split_touching: bool = False
    split_depth: float = 2.0
    background_channel: bool = False
    spacing: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.background_channel and self.channel_axis is None:
            raise ValueError(
                "background_channel says channel 0 of a map's class axis is background: give "
                "the channel_axis too (a map without a class axis has no channels)."
            )

    def class_ids(self, prob: Any) -> range | None:
        """The class of each channel of ``prob`` as :func:`threshold_probabilities` takes it:
        ``range(n)`` with ``background_channel`` (channel k is class k), else None (its
        default: channel k is class k + 1; also without a class axis).

        Examples
        --------
        >>> ThresholdOptions(channel_axis=0, background_channel=True).class_ids(np.zeros((3, 4)))
        range(0, 3)
        """
        if not self.background_channel:
            return None
        return range(prob.shape[self.channel_axis])


def unused_map_options(options: ThresholdOptions | None) -> list[str]:
    """The fields of ``options`` that change how a probability map is read, set to a value
    other than their default (``output`` only chooses the threshold preview: never named):
    what a run of a label prediction (no threshold) would not read.

    Parameters
    ----------
    options : ThresholdOptions or None
        The run's options (None: none given).

    Returns
    -------
    list of str
        The field names, in the order of the fields.

    Examples
    --------
    >>> unused_map_options(ThresholdOptions(min_size=5, split_touching=True))
    ['min_size', 'split_touching']
    >>> unused_map_options(ThresholdOptions(output="instance")), unused_map_options(None)
    ([], [])
    """
    if options is None:
        return []
    default = ThresholdOptions()
    return [
        item.name
        for item in fields(ThresholdOptions)
        if item.name != "output" and getattr(options, item.name) != getattr(default, item.name)
    ]


#: A truth reads as a class image (see :func:`class_image_suspected`) when its ids are no more
#: than the map's classes and the predicted objects lying mostly inside one of them number at
#: least this many per id.
CLASS_IMAGE_OBJECTS_PER_ID = 4


def class_image_suspected(pairs: ObjectPairs, n_classes: int) -> bool:
    """Whether an instance comparison's truth looks like a class image (pixel value = class)
    rather than instance labels, against the objects of a map of ``n_classes`` classes: every
    true id is a class of the map (1..``n_classes``), and each holds many predicted objects:
    those lying mostly (over half of their area) inside it number at least
    :data:`CLASS_IMAGE_OBJECTS_PER_ID`, none of them covering half of it. A class image's ids
    are few and each spreads over many small objects; instance labels with as few objects as
    the map has classes hold about one predicted object each, which covers most of its true
    object (a 2-nucleus truth whose predictions are each nucleus's interior with its outline
    cut in pieces is not suspected). A value of
    :data:`~napari_seg_eval.core.semantic.IGNORE_LIKE_VALUES` above the map's classes (255:
    unannotated pixels) is left out of the test.

    Cheap: it reads the pairs already counted.

    Parameters
    ----------
    pairs : ObjectPairs
        The true and predicted objects and their overlaps (:attr:`InstanceResult.pairs`).
    n_classes : int
        The highest class of the map: its number of channels, one less with a background
        channel.

    Returns
    -------
    bool

    Examples
    --------
    >>> classes = np.zeros((4, 12), int)
    >>> classes[:, :6], classes[:, 6:] = 1, 2  # two classes, the left and right halves
    >>> cells = np.zeros((4, 12), int)
    >>> cells[::2, ::2] = np.arange(1, 13).reshape(2, 6)  # 12 one-pixel cells, 6 in each
    >>> class_image_suspected(ObjectPairs.from_table(overlap_table(classes, cells)), 3)
    True
    >>> class_image_suspected(ObjectPairs.from_table(overlap_table(cells, cells)), 3)
    False
    """
    n_true = pairs.true_ids.size
    # an unannotated value (255, 65535) beside the classes is no class: not looked at
    classes = (pairs.true_ids <= n_classes) | ~np.isin(pairs.true_ids, IGNORE_LIKE_VALUES)
    if n_true == 0 or not classes.any() or int(pairs.true_ids[classes].max()) > n_classes:
        return False
    # The pairs that hold over half of their predicted object: at most one per object.
    mostly = 2 * pairs.intersection.astype(np.int64) > pairs.pred_areas[pairs.pred_index]
    inside = np.bincount(pairs.true_index[mostly], minlength=n_true)  # per true id
    # ... and each of them small beside it: an object's own prediction (its interior with its
    # outline cut in pieces, say) covers most of it, a class region's objects never do
    largest = np.zeros(n_true, np.int64)
    np.maximum.at(largest, pairs.true_index[mostly], pairs.intersection[mostly].astype(np.int64))
    small = 2 * largest < pairs.true_areas
    return bool(inside[classes].min() >= CLASS_IMAGE_OBJECTS_PER_ID and small[classes].all())


#: Said when the truth of an instance comparison against a map with a class axis looks like a
#: class image (see :func:`class_image_suspected`).
CLASS_IMAGE_HINT = (
    "the truth's ids are all classes of the probability map (1..{classes}), and each holds many "
    "predicted objects: it looks like a class image, whose ids were matched as objects (its "
    "instance numbers mean nothing). For per-class pixel metrics use kind='semantic' with "
    "binarize_semantic=False (in the dock: Kind semantic, 'semantic: foreground vs "
    "background' unticked)."
)


def _ignore_option(value: int) -> str:
    """How a user of :func:`evaluate` (or of the dock) leaves ``value`` out.

    Examples
    --------
    >>> _ignore_option(255)
    'ignore_label=255 (in the dock: Ignore label 255 in Options)'
    """
    return f"ignore_label={value} (in the dock: Ignore label {value} in Options)"


def _listed(words: Sequence[str]) -> str:
    """``words`` joined as a sentence lists them: "a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


#: Said when a map with a class axis seems to have a background channel 0 that was scored as
#: class 1 (see :func:`~napari_seg_eval.core.threshold.background_channel_suspected`).
BACKGROUND_CHANNEL_HINT = (
    "channel k of the probability map is class k + 1 (classes 1..{n}), but the truth's classes "
    "run 0..{last}: if channel 0 is background, pass background_channel=True (in the dock: "
    "tick 'Channel 0 is background' beside the Channel axis), so that channel k is class k."
)

#: Said when over half of the truth's background is foreground in a map with a class axis read
#: with channel k as class k + 1 (see
#: :func:`~napari_seg_eval.core.threshold.background_predicted_as_objects`).
BACKGROUND_AS_OBJECTS_HINT = (
    "over half of the truth's background is foreground in the probability map, read with "
    "channel k as class k + 1 (every pixel's most probable channel is a class): if channel 0 "
    "is background, pass background_channel=True (in the dock: tick "
    "'Channel 0 is background' beside the Channel axis)."
)

#: Said when a threshold above 0 made background some of the truth's foreground in a map whose
#: channels are all classes (channel k is class k + 1: see
#: :func:`~napari_seg_eval.core.threshold.made_background`), with :func:`no_class_hint`'s counts.
NO_CLASS_ABOVE_THRESHOLD_HINT = (
    "{background} of {counted} pixels ({share}) had no class above the threshold {threshold} "
    "and are background (0), {lost} of them in the truth's foreground: for a plain argmax of a "
    "softmax without a background channel (every pixel its most probable class), use "
    "threshold 0 (in the dock: the header's Threshold at 0)."
)


def no_class_hint(table: OverlapTable, threshold: float) -> str | None:
    """What a threshold made background in a map whose channels are all classes (channel k is
    class k + 1), counted in ``table`` (:data:`NO_CLASS_ABOVE_THRESHOLD_HINT`), or None when
    nothing of the truth's foreground was: a threshold that only made the truth's background
    background cost no class a pixel. None at threshold 0 too, which is the plain argmax (its
    only background, pixels whose channels are all 0, has no class to give).

    Examples
    --------
    >>> table = overlap_table(np.array([[0, 1, 1, 2]]), np.array([[0, 0, 1, 2]]))
    >>> no_class_hint(table, 0.5).split(" had")[0]  # pixels 0 and 1 made 0, pixel 1 of class 1
    '2 of 4 pixels (50 %)'
    >>> no_class_hint(table, 0.0) is None
    True
    """
    return _made_background_hint(NO_CLASS_ABOVE_THRESHOLD_HINT, made_background(table), threshold)


def _made_background_hint(
    template: str, counts: tuple[int, int, int], threshold: float
) -> str | None:
    """``template`` filled with ``counts`` (pixels made background, those of them in the
    truth's foreground, pixels counted) at ``threshold``; None at threshold 0 or when none of
    them is the truth's foreground."""
    background, lost, counted = counts
    if threshold <= 0 or lost == 0:
        return None
    return template.format(
        background=background,
        counted=counted,
        share=percent(background, counted),
        threshold=f"{threshold:g}",
        lost=lost,
    )


#: Said when a threshold above 0 made background some of the truth's foreground whose most
#: probable channel was a class, in a map with a background channel (channel 0), with
#: :func:`argmax_hint`'s counts.
ARGMAX_HINT = (
    "{background} of {counted} pixels ({share}) whose most probable channel is a class had it "
    "not above the threshold {threshold} and are background (0), {lost} of them in the truth's "
    "foreground: for the plain argmax of a map with a background channel (every pixel its most "
    "probable channel, as nnU-Net takes it), use threshold 0 (in the dock: the header's "
    "Threshold at 0)."
)


def below_threshold_classes(prob: Any, labels: Any, channel_axis: int) -> Any:
    """The pixels of a map with a background channel (channel 0) whose most probable channel
    is a class, made background by the threshold (its most probable channel not above it):
    the argmax's class is not 0 and the thresholded ``labels`` are. Lazy for a chunked map.

    Parameters
    ----------
    prob : array
        The map, its channel 0 the background.
    labels : array
        Its classes at the run's threshold (``threshold_probabilities(prob, t, channel_axis=,
        class_ids=range(n))``).
    channel_axis : int
        The class axis.

    Returns
    -------
    array of uint8
        1 where a class was made background, else 0.

    Examples
    --------
    >>> prob = np.array([[[0.6, 0.3, 0.3]], [[0.4, 0.7, 0.45]]])  # channel 0 is background
    >>> # pixel 0: background; pixel 1: class 1 at 0.7; pixel 2: class 1 wins at 0.45
    >>> labels = threshold_probabilities(prob, 0.5, channel_axis=0, class_ids=range(2))
    >>> below_threshold_classes(prob, labels, 0).tolist()
    [[0, 0, 1]]
    """
    n = prob.shape[channel_axis]
    argmax = threshold_probabilities(prob, 0.0, channel_axis=channel_axis, class_ids=range(n))
    return ((argmax != 0) & (labels == 0)).astype(np.uint8)


def argmax_counts(table: OverlapTable) -> tuple[int, int, int]:
    """From the table of the truth against :func:`below_threshold_classes`: the pixels whose
    class the threshold made background, those of them in the truth's foreground (any id but
    0), and every pixel counted.

    Examples
    --------
    >>> argmax_counts(overlap_table(np.array([[0, 1, 1, 2]]), np.array([[1, 1, 0, 0]])))
    (2, 1, 4)
    """
    true, below, counts = table.contingency()
    made = below != 0
    return (
        int(counts[made].sum()),
        int(counts[made & (true != 0)].sum()),
        int(counts.sum()),
    )


def argmax_hint(table: OverlapTable, threshold: float) -> str | None:
    """:data:`ARGMAX_HINT` with the counts of ``table`` (the truth against
    :func:`below_threshold_classes`), or None when the threshold took no pixel of the truth's
    foreground, or is 0 (the plain argmax).

    Examples
    --------
    >>> table = overlap_table(np.array([[0, 1, 1, 2]]), np.array([[1, 1, 0, 0]]))
    >>> argmax_hint(table, 0.5).split(" whose")[0]
    '2 of 4 pixels (50 %)'
    """
    return _made_background_hint(ARGMAX_HINT, argmax_counts(table), threshold)


#: The presets the Evaluate tab offers, and the summary row (evaluation, key) that is the
#: challenge's number on one image. ``coco`` ranks the predicted objects by a score, their
#: mean probability: it needs a probability map (``confidence``, or the prediction itself).
PRESET_VALUES = {
    "dsb2018": ("instance", "mean_accuracy"),
    "neurips2022": ("instance", "f1_50"),
    "ctc": ("ctc", "seg"),
    "conic": ("instance", "class_mean_panoptic_quality_50"),
    "coco": ("coco", "map"),
}
#: Why a run of the ``coco`` preset cannot go without a probability map.
COCO_NEEDS_SCORES = (
    "the coco preset ranks the predicted objects by a score, their mean probability: give a "
    "probability map of the truth's shape (confidence=, or a one-class probability map as the "
    "prediction)."
)

#: Why a float prediction is refused without a threshold (``{dtype}``: its dtype): without
#: one, ``pred`` is a label image, and a float image's values are not ids (its pixels above
#: 0 would all be foreground).
FLOAT_PREDICTION = (
    "the prediction is a {dtype} image, not integer labels: to evaluate it as a probability "
    "map, give threshold= (e.g. threshold=0.5; channel_axis= too for a class axis); a label "
    "image saved as floats: cast it first (pred.astype(int))."
)


@dataclass(frozen=True)
class EvaluationSettings:
    """Every setting of one evaluation (with the names of the layers it read).

    ``preset`` names a challenge preset (:data:`~napari_seg_eval.core.presets.PRESETS`) whose
    settings (IoU thresholds, criterion, border) the run uses; :meth:`from_preset` fills them.
    ``true_classes_name``/``pred_classes_name`` name the class layers (the same name on both
    sides when one class image classifies both), ``region_name`` the region layer. ``boundary``
    adds boundary metrics at ``tolerance``, with distances in ``units`` of ``spacing`` (the
    truth layer's scale; None: 1 per pixel). ``units`` names them (the dock: the layer's units,
    "pixels" at scale 1, else "scale units"); None: not named (see :attr:`distance_units`).
    ``plane_axis`` also evaluates each plane along that axis (``label_each_plane``: objects
    never span planes); a negative one counts from the last axis, and the record's settings
    name it counted from 0. ``kind="all"`` (the word of the command line and
    :func:`~napari_seg_eval.evaluate_files`) is the same as ``"both"``, and is kept as ``"both"``.
    ``include_background``: class 0 in the semantic means (MONAI's ``include_background``;
    False leaves it out of them, still reported per class; foreground vs background, the
    means are then the foreground's). ``pred_classes_from_map``: the predicted objects'
    classes are the probability map's own (its thresholded argmax over the class axis, the
    class image its objects were labelled from), set by the run when a map with a class axis
    is given with true classes and no predicted classes.
    """

    kind: Literal["semantic", "instance", "both", "all"] = "both"
    iou_thresholds: tuple[float, ...] = tuple(DEFAULT_IOU_THRESHOLDS)
    criterion: Literal["iou", "iot", "iop"] = "iou"
    exclude_border: int = 0
    preset: str | None = None
    ignore_label: int | None = None
    binarize_semantic: bool = True
    threshold: float | None = None  #: set when the prediction was a probability map
    threshold_options: ThresholdOptions | None = None
    plane_axis: int | None = None
    label_each_plane: bool = False
    truth_name: str = ""
    prediction_name: str = ""
    confidence_name: str | None = None
    true_classes_name: str | None = None
    pred_classes_name: str | None = None
    region_name: str | None = None
    boundary: bool = False
    tolerance: float = 1.0
    spacing: tuple[float, ...] | None = None
    units: str | None = None
    include_background: bool = True
    pred_classes_from_map: bool = False

    def __post_init__(self) -> None:
        if self.kind == "all":  # the command line's word (evaluate_files' kind="all")
            object.__setattr__(self, "kind", "both")

    @property
    def distance_units(self) -> str:
        """The units of the boundary distances: ``units`` when named, else "pixels" without a
        spacing (or at 1 per axis) and "spacing units" with one (the spacing's own units,
        which are not named).

        Examples
        --------
        >>> EvaluationSettings().distance_units
        'pixels'
        >>> EvaluationSettings(spacing=(2.0, 0.5)).distance_units
        'spacing units'
        >>> EvaluationSettings(spacing=(2.0, 0.5), units="µm").distance_units
        'µm'
        """
        if self.units is not None:
            return self.units
        plain = self.spacing is None or bool(np.allclose(self.spacing, 1))
        return "pixels" if plain else "spacing units"

    @property
    def background_class(self) -> int | None:
        """The class that is no class in the per-class counts: the preset's (``conic``: 0,
        background in CoNIC's class maps), else None (every class is a class).

        Examples
        --------
        >>> EvaluationSettings.from_preset("conic").background_class
        0
        >>> EvaluationSettings().background_class is None
        True
        """
        return None if self.preset is None else get_preset(self.preset).background_class

    @classmethod
    def from_preset(cls, name: str, **settings: Any) -> EvaluationSettings:
        """Settings with a challenge preset's IoU thresholds, criterion and border.

        Parameters
        ----------
        name : str
            A key of :data:`PRESET_VALUES` (``"dsb2018"``, ``"neurips2022"``, ``"ctc"``,
            ``"conic"``, ``"coco"``).
        **settings
            The other fields (not those the preset sets).

        Returns
        -------
        EvaluationSettings

        Examples
        --------
        >>> settings = EvaluationSettings.from_preset("neurips2022")
        >>> settings.iou_thresholds, settings.exclude_border, settings.criterion
        ((0.5,), 2, 'iou')
        """
        preset = _offered_preset(name)
        clash = sorted(set(settings) & {"iou_thresholds", "criterion", "exclude_border"})
        if clash:
            raise ValueError(
                f"the {name} preset sets {', '.join(clash)}; leave preset out to choose them."
            )
        return cls(preset=name, **preset.instance_settings(), **settings)

    def check(self) -> None:
        """Raise a ``ValueError`` naming the setting that is wrong (nothing is read): among
        them, options of probability maps in ``threshold_options`` (other than their
        defaults, see :func:`unused_map_options`) without a ``threshold``, as a label
        prediction is compared as it is.

        Examples
        --------
        >>> EvaluationSettings(preset="neurips2022", iou_thresholds=(0.5,)).check()
        Traceback (most recent call last):
        ValueError: the neurips2022 preset sets iou_thresholds (0.5,), criterion 'iou' and ...
        """
        if self.kind not in ("semantic", "instance", "both"):
            raise ValueError(
                f"kind must be 'semantic', 'instance' or 'both' (or 'all': the same as 'both'), "
                f"got {self.kind!r}."
            )
        check_criterion(self.criterion)
        check_exclude_border(self.exclude_border)
        if self.threshold is None:  # a label prediction, compared as it is
            unused = unused_map_options(self.threshold_options)
            if unused:
                one = len(unused) == 1
                raise ValueError(
                    f"{_listed(unused)} {'is' if one else 'are'} for probability maps: give "
                    f"threshold= (e.g. threshold=0.5; the prediction is a probability map), or "
                    f"leave {'it' if one else 'them'} out (a label prediction is compared as "
                    "it is)."
                )
        if self.tolerance < 0 or not np.isfinite(self.tolerance):
            raise ValueError(f"the boundary tolerance must be >= 0, got {self.tolerance}.")
        if self.preset is None:
            return
        preset = _offered_preset(self.preset)
        wanted = preset.instance_settings()
        have = {key: getattr(self, key) for key in wanted}
        if {k: tuple(v) if k == "iou_thresholds" else v for k, v in wanted.items()} != have:
            raise ValueError(
                f"the {self.preset} preset sets iou_thresholds {tuple(preset.iou_thresholds)}, "
                f"criterion {preset.criterion!r} and exclude_border {preset.exclude_border}; "
                f"this run has {self.iou_thresholds}, {self.criterion!r} and "
                f"{self.exclude_border}. Leave preset out to use other settings."
            )
        if self.kind == "semantic":
            raise ValueError(f"the {self.preset} preset is an instance metric: evaluate 'both'.")


def _offered_preset(name: str):
    """The preset ``name`` if the Evaluate tab offers it, else a ``ValueError``."""
    preset = get_preset(name)
    if name not in PRESET_VALUES:
        raise ValueError(
            f"the {name} preset ({preset.title}) is not offered here; use "
            f"{', '.join(PRESET_VALUES)}, or the API (napari_seg_eval.core.presets.preset_metrics)."
        )
    return preset


@dataclass(frozen=True)
class Evaluation:
    """One evaluation: the arrays actually compared, its settings, results and tables.

    Attributes
    ----------
    truth, prediction
        The instance label images compared (read-only numpy copies; chunked dask/zarr inputs
        by reference, lazily). ``prediction`` is the labels made from a probability map when
        the prediction was one.
    semantic_truth, semantic_prediction
        The class images the semantic metrics compared (foreground/background by default).
        Records of equal images share these read-only arrays, and the class images and region
        (:func:`shared_array`): evaluations of unchanged layers keep one copy.
    confidence
        The probability map whose values are the objects' confidence, or None.
    true_classes, pred_classes
        The class images of each side (None without classes).
    region
        The boolean mask of the pixels scored (None: every pixel).
    settings
        Every setting of the run.
    semantic, instance, measurements, planes
        The core's results (None or empty when not computed). ``planes``: kind -> the results
        of each plane along ``settings.plane_axis`` as images of their own; ``"boundary"``
        (with ``settings.boundary``) holds each plane's boundary values (distances within the
        plane), a row per plane as the command line's result folders give a row per image.
    boundary, object_boundary
        Boundary metrics per class and per matched pair (None unless ``settings.boundary``).
        With ``label_each_plane`` the planes are separate images (frames): each is measured on
        its own, and these are the image means over the planes, as boundary metrics combine
        over images (per class: over the planes that have the class; the summary's means: of
        the planes' means; per object: every plane's pairs, the counts summed). Without it
        (a volume, ``plane_axis`` or not) they are the whole image's.
    ctc
        The Cell Tracking Challenge's SEG and DET (with the ``ctc`` preset), else None.
    coco
        COCO mask AP, score-ranked (with the ``coco`` preset: each predicted object's score is
        its mean probability), else None.
    prediction_sample
        ``(step, labels)``: ``prediction`` at every step-th pixel along each axis, picked in
        the read that labelled a chunked map (``evaluation_steps(sample=step)``), else None.
    ids
        ``"true"``/``"pred"`` -> the map from the ids compared back to the user's ids (indexed
        by the compared id: ``plane``, ``label``), for label images whose ids span planes and
        were split to label each plane on its own (see :func:`ids_by_plane`).
    tables
        ``summary``, ``per_class`` (semantic), ``per_threshold``, ``per_plane``, ``per_object``,
        ``instance_per_class``, ``class_confusion``, ``boundary_per_class``,
        ``boundary_per_object``, ``coco_per_threshold`` (empty when not computed).
    stale
        Empty while the record matches the viewer; else why it does not any more.
    """

    truth: Any
    prediction: Any
    semantic_truth: Any
    semantic_prediction: Any
    confidence: Any
    settings: EvaluationSettings
    semantic: SemanticResult | None
    instance: InstanceResult | None
    measurements: pd.DataFrame | None
    planes: dict[str, DatasetResult] = field(default_factory=dict)
    true_classes: Any = None
    pred_classes: Any = None
    region: Any = None
    boundary: BoundaryResult | None = None
    object_boundary: ObjectBoundaryResult | None = None
    ctc: pd.Series | None = None
    coco: CocoAPResult | None = None
    ids: dict[str, pd.DataFrame] = field(default_factory=dict)
    prediction_sample: tuple[tuple[int, ...], np.ndarray] | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    stale: str = ""

    def marked_stale(self, reason: str) -> Evaluation:
        """The same record, marked as no longer matching the viewer (the first reason is kept).

        Examples
        --------
        >>> import numpy as np
        >>> from napari_seg_eval import evaluate
        >>> record = evaluate(np.ones((2, 2), int), np.ones((2, 2), int))
        >>> record.marked_stale("the truth was edited").stale
        'the truth was edited'
        """
        return self if self.stale else replace(self, stale=reason)

    def __repr__(self) -> str:
        """A short description: what was compared, the headline numbers, where the tables are.

        The arrays are described by their type, dtype and shape, never printed; the full
        results are in :attr:`tables` and the core's result objects (``instance``, ...).

        Examples
        --------
        IoU(1, 1) = 1/2: matched at 0.5 only (F1 2/3), and 2 is a false positive.

        >>> record = evaluate(np.array([[1, 1, 0]]), np.array([[1, 0, 2]]), kind="instance")
        >>> print(record)  # doctest: +NORMALIZE_WHITESPACE
        Evaluation: kind 'instance'
          truth: ndarray int64 (1, 3)
          prediction: ndarray int64 (1, 3)
          instance: n_true 1, n_pred 2, mean_accuracy 0.05, f1_50 0.6667,
            panoptic_quality_50 0.3333, aji 0.3333
          tables (rows): summary (9), per_threshold (10), per_object (3): record.tables[name];
            results: record.instance
        """
        settings = self.settings
        stale = f" (stale: {self.stale})" if self.stale else ""
        preset = f", preset {settings.preset!r}" if settings.preset else ""
        lines = [f"Evaluation: kind {settings.kind!r}{preset}{stale}"]
        described = (
            ("truth", self.truth, settings.truth_name),
            ("prediction", self.prediction, settings.prediction_name),
            ("confidence", self.confidence, settings.confidence_name),
            ("true classes", self.true_classes, settings.true_classes_name),
            ("predicted classes", self.pred_classes, settings.pred_classes_name),
            ("region", self.region, settings.region_name),
        )
        for role, array, name in described:
            if array is None or not hasattr(array, "shape"):  # classes may be mappings
                continue
            named = f" {name!r}" if name else ""
            made = ""
            if role == "prediction" and settings.threshold is not None:
                made = f", labelled from the probability map at threshold {settings.threshold:g}"
            if role == "predicted classes" and settings.pred_classes_from_map:
                made = ", the map's (its thresholded argmax)"
            lines.append(
                f"  {role}{named}: {type(array).__name__} {array.dtype} {tuple(array.shape)}{made}"
            )
        results = {
            "instance": self.instance,
            "semantic": self.semantic,
            "boundary": self.boundary,
            "object_boundary": self.object_boundary,
            "coco": self.coco,
        }
        for name, result in results.items():
            if result is not None:
                lines.append(f"  {name}: {_headline(result.summary, _HEADLINE[name])}")
        if self.ctc is not None:
            lines.append(f"  ctc: {_headline(self.ctc, ('seg', 'det'))}")
        if self.planes:
            lines.append(f"  per plane: {', '.join(self.planes)} (record.planes[kind])")
        shown = [f"{key} ({len(table)})" for key, table in self.tables.items() if len(table)]
        lines.append(f"  tables (rows): {', '.join(shown) or 'none'}: record.tables[name]")
        computed = [f"record.{name}" for name, result in results.items() if result is not None]
        if computed:
            lines[-1] += f";\n    results: {', '.join(computed)}"
        return "\n".join(lines)

    def objects_at(self, iou_threshold: float) -> pd.DataFrame:
        """Every true and predicted object with its status at ``iou_threshold``.

        As :meth:`InstanceResult.objects_at
        <napari_seg_eval.core.instance.InstanceResult.objects_at>`, with what the record adds:
        a row for each object excluded at the border, the objects' measurements, the kind of
        each error, and the ids of the user's layers (see :meth:`object_rows`).

        Parameters
        ----------
        iou_threshold : float
            The threshold in (0, 1] the objects are matched at (of the run's criterion:
            IoU unless ``settings.criterion`` says otherwise).

        Returns
        -------
        pandas.DataFrame
            One row per true then predicted object: ``kind``, ``label``, ``area``,
            ``partner``, ``iou``, ``status`` (TP, FN, FP; excluded at the border), ``error``
            (``matched``, ``missed``, ``merged``, ``split``, ``spurious``, ...) and, when
            measured, the objects' centroids, bounding boxes and mean confidence. Empty
            without instance metrics (``kind="semantic"``).

        Raises
        ------
        ValueError
            If ``iou_threshold`` is not in (0, 1].

        Examples
        --------
        >>> import numpy as np
        >>> from napari_seg_eval import evaluate
        >>> record = evaluate(np.ones((2, 2), int), np.ones((2, 2), int), kind="instance")
        >>> record.objects_at(0.5)["status"].tolist()
        ['TP', 'TP']
        """
        if self.instance is None:
            return pd.DataFrame()
        return self.object_rows(self.instance.objects_at(iou_threshold))

    def object_rows(self, objects: pd.DataFrame) -> pd.DataFrame:
        """Status rows of the record's objects, with measurements, error kinds and user ids.

        ``objects`` are rows of the record's instance result (``objects_at``, ``per_object``);
        objects excluded at the border get rows of their own (:func:`with_excluded`). The error
        kinds come from the record's own matching (the ids compared); then the ids are those of
        the user's layers (see :meth:`in_user_ids`).

        Examples
        --------
        >>> import numpy as np
        >>> from napari_seg_eval import evaluate
        >>> record = evaluate(np.array([[1, 1, 0]]), np.array([[1, 0, 2]]), kind="instance")
        >>> record.object_rows(record.instance.per_object)["error"].tolist()
        ['matched', 'matched', 'spurious']
        """
        objects = with_excluded(objects, self.instance)
        if self.measurements is not None:
            objects = join_measurements(objects, self.measurements)
        return self.in_user_ids(add_error_kinds(objects, self.instance))

    def in_user_ids(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Per-object ``rows`` with the ids of the user's layers, and their ``plane``.

        When each plane was labelled on its own, ``label`` and ``partner`` are mapped back from
        the ids compared (unique per plane) to the layers' ids, and a ``plane`` column says
        where each object is; when ids were split, ``record_label`` and ``record_partner`` keep
        the ids of the record's own arrays (``truth``, ``prediction``). Otherwise ``rows`` is
        returned as it is.

        Examples
        --------
        >>> import numpy as np
        >>> from napari_seg_eval import evaluate
        >>> track = np.array([[[5, 0]], [[5, 0]]])  # one id in both planes
        >>> record = evaluate(track, track, kind="instance", plane_axis=0, label_each_plane=True)
        >>> record.objects_at(0.5)[["kind", "label", "plane", "partner"]].values.tolist()
        [['true', 5, 0, 5], ['true', 5, 1, 5], ['pred', 5, 0, 5], ['pred', 5, 1, 5]]
        """
        settings = self.settings
        if rows.empty or settings.plane_axis is None or not settings.label_each_plane:
            return rows
        rows = rows.copy()
        axis = settings.plane_axis
        planes = rows[f"centroid_{axis}"].round().astype("Int64")  # one plane per object
        other = {"true": "pred", "pred": "true"}
        if self.ids:
            rows["record_label"], rows["record_partner"] = rows["label"], rows["partner"]
        labels, partners = rows["label"].astype(object), rows["partner"].astype(object)
        for kind, origin in self.ids.items():
            own = (rows["kind"] == kind).to_numpy()
            labels[own] = origin.loc[rows.loc[own, "label"], "label"].to_numpy()
            planes[own] = origin.loc[rows.loc[own, "label"], "plane"].to_numpy()
            theirs = (rows["kind"] == other[kind]).to_numpy() & (rows["partner"] != 0).to_numpy()
            partners[theirs] = origin.loc[rows.loc[theirs, "partner"], "label"].to_numpy()
        rows["label"] = labels.infer_objects()
        rows["partner"] = partners.infer_objects()
        rows.insert(rows.columns.get_loc("label") + 1, "plane", planes)
        return rows


#: The summary values :meth:`Evaluation.__repr__` shows of each result, those it holds.
_HEADLINE = {
    "instance": ("n_true", "n_pred", "mean_accuracy", "f1_50", "panoptic_quality_50", "aji"),
    "semantic": ("mean_iou", "mean_dice", "pixel_accuracy"),
    "boundary": ("mean_hd95", "mean_nsd", "mean_boundary_f1", "n_classes"),
    "object_boundary": ("mean_hd95", "mean_nsd", "mean_boundary_f1", "n_matched"),
    "coco": ("map", "ap_50", "ap_75"),
}


def _headline(summary: pd.Series, keys: Sequence[str]) -> str:
    """``key value`` of each of ``keys`` in ``summary`` (counts as integers, else 4 digits)."""
    shown = []
    for key in keys:
        if key not in summary.index:
            continue
        value = count_as_integer(key, summary[key])
        text = f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)
        shown.append(f"{key} {text}")
    return ", ".join(shown)


def labels_from_probability(prob: Any, threshold: float, options: ThresholdOptions) -> Any:
    """The preview: semantic labels at ``threshold``, or instances if ``output == 'instance'``.

    A chunked (dask, zarr) map gives lazy labels: thresholding is lazy, and instance labels
    read the mask once, chunk by chunk, to join objects across chunks (see
    :func:`~napari_seg_eval.label_instances`).

    Examples
    --------
    >>> prob = np.array([[0.9, 0.1, 0.8]])
    >>> labels_from_probability(prob, 0.5, ThresholdOptions(output="instance")).tolist()
    [[1, 0, 2]]
    """
    check_class_axis(np.ndim(prob) if not is_lazy(prob) else prob.ndim, options.channel_axis)
    prob = prob if is_lazy(prob) else np.asarray(prob)
    semantic = threshold_probabilities(
        prob, threshold, channel_axis=options.channel_axis, class_ids=options.class_ids(prob)
    )
    if options.output == "semantic":
        return semantic
    return instance_labels(semantic, options)


def check_class_axis(ndim: int, channel_axis: int | None, name: str = "the map") -> None:
    """Refuse a class axis that leaves no image: a map of classes has an axis more than the
    image it labels (classes × Y × X), so a 2-D map has none to give.

    Examples
    --------
    >>> check_class_axis(3, 0)
    >>> try:
    ...     check_class_axis(2, 0, "probability layer 'prob'")
    ... except ValueError as error:
    ...     print(str(error).split(" as ")[0])
    probability layer 'prob' is 2-D: its axis 0
    """
    if channel_axis is not None and ndim < 3:
        raise ValueError(
            f"{name} is {ndim}-D: its axis {channel_axis} as the class axis leaves no image to "
            "preview or evaluate. The class axis is for a map of classes (e.g. classes × Y × X); "
            "choose none."
        )


def preview_levels(levels: Sequence[Any], threshold: float, options: ThresholdOptions) -> list:
    """The preview of a multiscale map: :func:`labels_from_probability` of each level, lazily.

    Each level is thresholded on its own data, so showing a coarse level never reads the full
    resolution. Instance previews label each level on its own (ids differ between levels;
    ``min_size`` is scaled to each level's pixel area). Metrics always use level 0.

    Examples
    --------
    >>> import dask.array as da
    >>> levels = [da.from_array(np.array([[0.9, 0.9, 0.1, 0.1]])), da.from_array([[0.9, 0.1]])]
    >>> [x.compute().tolist() for x in preview_levels(levels, 0.5, ThresholdOptions())]
    [[[1, 1, 0, 0]], [[1, 0]]]
    """
    full = np.prod(levels[0].shape, dtype=float)
    ndim = len(levels[0].shape)
    classes = None if options.channel_axis is None else options.channel_axis % ndim
    pixel_axes = [axis for axis in range(ndim) if axis != classes]
    out = []
    for level in levels:
        factor = full / np.prod(level.shape, dtype=float)
        spacing = options.spacing
        if spacing is not None and len(spacing) == len(pixel_axes):  # a coarser pixel's size
            spacing = tuple(
                size * levels[0].shape[axis] / level.shape[axis]
                for size, axis in zip(spacing, pixel_axes, strict=True)
            )
        scaled = replace(options, min_size=int(np.ceil(options.min_size / factor)), spacing=spacing)
        out.append(labels_from_probability(level, threshold, scaled))
    return out


def instance_labels(
    semantic: np.ndarray, options: ThresholdOptions, plane_axis: int | None = None
) -> np.ndarray:
    """Objects of a thresholded map: connected components, with ``options``' instance settings.

    With ``plane_axis`` every plane along that axis is labelled on its own (objects never join
    across planes, e.g. time frames), with ids unique over the whole stack.

    Examples
    --------
    >>> mask = np.array([[[1, 0, 1]], [[1, 0, 0]]], np.uint8)
    >>> instance_labels(mask, ThresholdOptions(), plane_axis=0).ravel().tolist()
    [1, 0, 2, 3, 0, 0]
    """
    if options.channel_axis is None:
        semantic = semantic.astype(bool, copy=False)  # skimage labels a boolean mask faster
    settings = {
        "connectivity": options.connectivity,
        "min_size": options.min_size,
        "split_touching": options.split_touching,
        "split_depth": options.split_depth,
        "spacing": options.spacing,
    }
    if plane_axis is None:
        return label_instances(semantic, **settings)
    if settings["connectivity"] is not None:
        settings["connectivity"] = min(settings["connectivity"], semantic.ndim - 1)
    if options.spacing is not None and len(options.spacing) == semantic.ndim:
        settings["spacing"] = tuple(
            size for axis, size in enumerate(options.spacing) if axis != plane_axis % semantic.ndim
        )
    planes = [label_instances(plane, **settings) for plane in np.moveaxis(semantic, plane_axis, 0)]
    return _stack_unique(planes, plane_axis)


def _stack_unique(planes: list[np.ndarray], axis: int) -> np.ndarray:
    """Stack label planes, offsetting ids so that each plane's objects keep their own ids."""
    if any(is_lazy(plane) for plane in planes):
        maxima = [int(m) for m in compute(*(plane.max() for plane in planes))]
    else:
        maxima = [int(plane.max()) for plane in planes]
    offsets = np.cumsum([0, *maxima[:-1]])
    dtype = np.min_scalar_type(int(offsets[-1]) + maxima[-1])
    stacked = [
        np.where(plane > 0, plane.astype(dtype) + dtype.type(offset), 0).astype(dtype)
        for plane, offset in zip(planes, offsets, strict=True)
    ]
    return np.stack(stacked, axis=axis)


def _tables_at_once(
    true: Any,
    pred: Any,
    kinds: list[str],
    settings: EvaluationSettings,
    region: Any,
    classes: tuple | None,
    confidence: Any,
    mask: Any = None,
    sample: tuple[int, ...] | None = None,
    class_pair: tuple[Any, Any] | None = None,
) -> tuple[
    Any,
    SemanticResult | None,
    InstanceResult | None,
    pd.DataFrame | None,
    OverlapTable,
    Any,
    pd.DataFrame | None,
]:
    """The semantic and instance results of chunked inputs, from one read of their chunks.

    One computation makes the overlap table of the truth with the prediction's objects, the
    ids in the border band of each side and (for the instance results) the sums behind the
    objects' measurements (:func:`~napari_seg_eval.core.review.measure_both`, with the mean
    of ``confidence``), all on the same chunks. When ``pred`` is a
    :class:`~napari_seg_eval.core.threshold.ChunkedLabelling` of a probability map, each chunk
    is labelled once (:meth:`~napari_seg_eval.core.threshold.ChunkedLabelling.passes_lazy`):
    for joining the objects, and for the table, the sums and the band under the chunks' node
    keys, which are renamed after the join. The semantic table follows from the instance
    table: it is the same table (the truth's ids against the objects' ids), or, binarized,
    foreground against background, which are the same pixels; unless a map's ``mask`` is given
    (its objects lost pixels to ``min_size``): then the semantic table is the truth's against
    the mask, in the same computation (the mask's chunks are those the labelling reads).

    Object classes given as class images are counted in the same computation: the pixels of
    each (object, class) of each side (a map's under its chunks' node keys, renamed after the
    join), whose majority is the object's class. With the ``coco`` preset, the predicted
    objects' scores (their mean ``confidence`` inside the region) are the measurements' means,
    or, with a region, sums per object inside it, in the same computation too.

    With ``class_pair`` (each pixel's class on each side, :func:`_pixel_class_pair`), the
    semantic metrics compare the classes: from the instance table mapped through the classes
    when both sides' are mappings (nothing more read), else from the table of the two class
    images (without the truth's ignored pixels), counted in the same computation.

    Returns the prediction's labels (the joined lazy labels of a map), the results, the
    measurements (None without the instance results), the overlap table of the truth with
    the objects (ignored and outside pixels left out, border objects kept) and, for a map's
    labelling with ``sample`` (a step per axis), ``(sample, the labels at every sample-th
    pixel)`` picked in the same read (else None), and the ``coco`` preset's scores (``label``,
    ``score``; else None).
    """

    ignore = settings.ignore_label
    measure = "instance" in kinds
    width = settings.exclude_border if measure else 0
    check_iou_thresholds(settings.iou_thresholds)  # before anything is read
    options = {"ignore_label": ignore, "region": region}
    if measure:  # as instance_metrics warns in memory
        warn_if_background_ignored(ignore, "instance_metrics")
    sums: Any = None  # the objects' measurements: sums per object
    if isinstance(pred, ChunkedLabelling):
        if measure:
            passes = pred.passes_lazy(
                true, **options, probability=confidence, border=width, sample=sample
            )
            sums = object_sums_lazy([true], confidence)  # the map's: in its passes
        else:
            passes = pred.table_lazy(true, **options)
        pred_border = np.zeros(0, np.uint8)
    else:
        passes = overlap_table_lazy(true, pred, **options)  # checks the pair first
        if measure:
            warn_if_masks(true, pred, "instance_metrics")
            sums = object_sums_lazy([true, pred], confidence)
        pred_border = border_ids_lazy(pred, width)
    mask_table = None
    if mask is not None and "semantic" in kinds:
        mask_table = overlap_table_lazy(true, mask, **options)
    specs = None if classes is None else _checked_classes(classes, true.shape)
    class_pair_table = None  # the classes compared pixel by pixel (a class image given)
    images_given = specs is not None and any(spec.image is not None for spec in specs)
    if class_pair is not None and "semantic" in kinds and images_given:
        counted = outside_ignored(true, ignore, region)
        class_pair_table = overlap_table_lazy(*class_pair, region=counted)
    class_tables = None  # the pixels of each (object, class) of each side's class image
    if specs is not None:
        voters = outside_ignored(true, ignore, region)  # ignored pixels do not vote
        class_tables = [
            _class_table_lazy(labels, spec, voters)
            for labels, spec in zip((true, pred), specs, strict=True)
        ]
    in_region = None  # the coco preset's scores with a region: sums inside it
    if settings.preset == "coco" and region is not None:
        in_region = object_scores_lazy(pred, confidence, region)
    # A negative id is said of the image holding it, not of the first failing table's side.
    labels = [("ground truth", true)]
    if not isinstance(pred, ChunkedLabelling):
        labels.append(("prediction", pred))
    with negative_ids_named(labels, specs or ()):
        (
            passes,
            true_border,
            pred_border,
            sums,
            mask_table,
            class_tables,
            in_region,
            class_pair_table,
        ) = compute(
            passes,
            border_ids_lazy(true, width),
            pred_border,
            sums,
            mask_table,
            class_tables,
            in_region,
            class_pair_table,
        )
    measurements = pred_sample = joined = None
    if isinstance(pred, ChunkedLabelling):
        summaries, node_table, *node_passes = passes
        joined = pred.join(summaries)
        pred = joined.labels
        table = joined.relabelled(node_table, np.uint8 if true.dtype == bool else true.dtype)
        if measure:
            node_sums, band, samples = node_passes
            if sample is not None:  # the labels at every sample-th pixel, read with the rest
                coarse = tuple(-(-n // f) for n, f in zip(true.shape, sample, strict=True))
                pred_sample = (sample, joined.sampled(samples, coarse))
            pred_sums = relabelled_sums(node_sums, joined.global_ids(node_sums["label"]))
            pred_border = joined.band_ids(band)
            measurements = measurements_from_sums(sums[0], pred_sums, true.ndim)
    else:
        table = passes
        if measure:
            measurements = measurements_from_sums(*sums, ndim=true.ndim)
    scores = None
    if settings.preset == "coco":
        if in_region is None:  # every pixel of the object: the measurements' mean
            rows = measurements[measurements["kind"] == "pred"]
            scores = pd.DataFrame({"label": rows["label"], "score": rows["mean_confidence"]})
        else:
            scores = object_scores_of(in_region, joined)
    if class_tables is not None:  # the majority of each object's pixels: a class per id
        specs = tuple(
            _majority_spec(spec, counted, joined if side == 1 else None)
            for side, (spec, counted) in enumerate(zip(specs, class_tables, strict=True))
        )
    semantic = instance = None
    if "semantic" in kinds:
        semantic_table = table if mask_table is None else mask_table
        if settings.binarize_semantic:
            semantic_table = binarized_table(semantic_table)
        ignored = binarized_ignore_label(ignore) if settings.binarize_semantic else ignore
        if class_pair is not None:  # the classes: the ignored pixels left out of the table
            semantic_table = class_pair_table
            if semantic_table is None:  # mappings: the objects' table under their classes
                semantic_table = classed_table(table, *specs)
            ignored = None
        _warn_if_nothing_left(semantic_table, ignore, region)  # as semantic_metrics
        semantic = semantic_metrics_from_table(
            semantic_table, ignore_label=ignored, include_background=settings.include_background
        )
    if "instance" in kinds:
        instance = instance_metrics_of_table(
            table,
            true,
            pred,
            iou_thresholds=list(settings.iou_thresholds),
            criterion=settings.criterion,
            border=(true_border, pred_border) if width else None,
            classes=specs,  # class images counted above: nothing is read again
            background_class=settings.background_class if specs is not None else None,
        )
    return pred, semantic, instance, measurements, table, pred_sample, scores


def _class_table_lazy(labels: Any, spec: ClassSpec, voters: Any) -> Any:
    """The pixels of each (object, class) of a side's class image (None for a mapping), with
    the pixels that vote (``voters``), lazily: the table of the labels and the class image, or
    for a map's :class:`~napari_seg_eval.core.threshold.ChunkedLabelling`, its summaries and
    the table of the class image and the chunks' node keys (each chunk labelled again from the
    mask's chunks, which the same computation reads once)."""
    if spec.image is None:
        return None
    if isinstance(labels, ChunkedLabelling):
        return labels.table_lazy(spec.image, region=voters)
    return overlap_table_lazy(labels, spec.image, region=voters)


def _majority_spec(spec: ClassSpec, counted: Any, joined: Any) -> ClassSpec:
    """A side's classes as a mapping id -> class: a class image's, from its counts
    (:func:`_class_table_lazy`, computed; a map's node keys renamed by ``joined``), the
    majority of each object's pixels; a mapping as it is."""
    if counted is None:
        return spec
    if joined is None:
        ids, classes = majority_of_table(counted)
    else:
        _, node_table = counted
        dtype = np.uint8 if spec.image.dtype == bool else spec.image.dtype
        ids, classes = majority_of_table(joined.relabelled(node_table, dtype), objects="pred")
    return ClassSpec(spec.name, ids=ids, classes=classes)


def _renumbered_classes(spec: Any, origin: pd.DataFrame | None, shape: tuple, name: str) -> Any:
    """A side's classes for its objects renumbered per plane (:func:`ids_by_plane`): a class
    mapping keyed by the user's ids becomes one keyed by the new ids (a class image, or ids not
    renumbered, as given)."""
    checked = check_classes(spec, shape, name)
    if origin is None or checked.image is not None:
        return spec
    labels = origin["label"].to_numpy()
    position = np.minimum(np.searchsorted(checked.ids, labels), max(checked.ids.size - 1, 0))
    found = checked.ids[position] == labels if checked.ids.size else np.zeros(labels.size, bool)
    if not found.all():
        missing = np.unique(labels[~found])
        raise ValueError(
            f"{name} gives no class for {missing.size} object(s), e.g. ids "
            f"{missing[:10].tolist()}; every object needs a class."
        )
    return pd.Series(checked.classes[position], index=origin.index.to_numpy())


def _checked_classes(classes: tuple, shape: tuple[int, ...]) -> tuple[ClassSpec, ClassSpec]:
    """Both sides' classes as the core's checked specs."""
    return tuple(
        check_classes(spec, tuple(shape), name)
        for spec, name in zip(classes, ("true_classes", "pred_classes"), strict=True)
    )


def _plane_axis_checked(settings: EvaluationSettings, ndim: int) -> EvaluationSettings:
    """``settings`` with ``plane_axis`` counted from 0 (a negative one from the last axis, as
    numpy counts), or a ``ValueError`` if images of ``ndim`` dimensions have no such axis to
    cut into planes (nothing is read)."""
    axis = settings.plane_axis
    if axis is None:
        return settings
    if not -ndim <= axis < ndim or ndim < 2:
        raise ValueError(f"axis {axis} cannot split {ndim}-D images into planes.")
    return settings if axis >= 0 else replace(settings, plane_axis=axis + ndim)


def _read_only(array: Any, copy: bool) -> Any:
    """A read-only array of ``array``: a copy (for data that may be edited in place) or a view.

    A copy is :func:`shared_array`'s: the array an earlier record keeps when it is equal in
    content. A chunked array is kept by reference, lazily: a dask array as it is, a zarr-like
    array wrapped in dask on its own chunks (for the array operations); it is never read whole.
    """
    if is_lazy(array):
        return as_dask(array)
    if copy:
        return shared_array(array)
    out = np.asarray(array).view()
    out.flags.writeable = False
    return out


def _made_shared(array: Any) -> Any:
    """An array made by the run for its record, as :func:`shared_array` keeps it (``copy=False``:
    no one else holds it); a chunked one as it is."""
    return array if is_lazy(array) else shared_array(array, copy=False)


#: The read-only arrays that records keep (:func:`shared_array`), held weakly, newest last: an
#: array is freed with the last record (or run) that holds it.
_SHARED: list[weakref.ref] = []
_SHARED_LOCK = threading.Lock()
#: How many elements :func:`same_content` compares at a time (its boolean mask's size).
COMPARE_BLOCK = 1 << 22
#: The kinds of dtype whose arrays :func:`shared_array` shares (booleans and integers: equal
#: values are equal bits; a float's -0.0 equals 0.0 and NaN nothing).
_SHARED_KINDS = "biu"


def shared_array(array: Any, *, copy: bool = True) -> np.ndarray:
    """A read-only numpy array of ``array``'s values: the one kept already when equal.

    Evaluations of unchanged layers share one copy of each image: ``array`` is compared,
    value by value (:func:`same_content`), with the read-only arrays kept so far of its shape
    and dtype (boolean or integer; others are never shared), newest first; the first equal one
    is returned. Else ``array`` is copied (or, with ``copy=False``, ``array`` itself, an
    array nobody else holds, is made read-only) and kept for later calls. Kept arrays are held
    weakly: one is freed when nothing else holds it. Nothing is trusted but the values: a layer
    edited in place (``layer.data[...] = v``, no event) gives a new copy.

    Parameters
    ----------
    array : array_like
        The values to keep.
    copy : bool
        Copy ``array`` when no kept array is equal (False: keep ``array`` itself, made
        read-only; for arrays made for the record, that no one else writes to).

    Returns
    -------
    numpy.ndarray
        A read-only array equal to ``array``: never one that anybody may write to.

    Examples
    --------
    >>> labels = np.array([[0, 1], [2, 2]])
    >>> kept = shared_array(labels)
    >>> kept is shared_array(labels.copy()), kept.flags.writeable
    (True, False)
    >>> labels[0, 0] = 5  # edited in place: not equal any more, a copy of its own
    >>> shared_array(labels) is kept
    False
    """
    array = np.asarray(array)
    if array.dtype.kind not in _SHARED_KINDS:
        out = np.array(array, copy=True) if copy else array
        out.flags.writeable = False
        return out
    with _SHARED_LOCK:
        _SHARED[:] = [ref for ref in _SHARED if ref() is not None]
        kept = [ref() for ref in reversed(_SHARED)]
    for candidate in kept:
        if candidate is array or (
            candidate is not None
            and candidate.shape == array.shape
            and candidate.dtype == array.dtype
            and same_content(candidate, array)
        ):
            return candidate
    out = np.array(array, copy=True) if copy else array
    out.flags.writeable = False
    with _SHARED_LOCK:
        _SHARED.append(weakref.ref(out))
    return out


def same_content(a: np.ndarray, b: np.ndarray, block: int = COMPARE_BLOCK) -> bool:
    """Whether two numpy arrays of one shape hold equal values, compared ``block`` elements at
    a time (the only memory used: a boolean mask of one block), stopping at the first block
    that differs.

    Parameters
    ----------
    a, b : numpy.ndarray
        The arrays.
    block : int
        Elements compared at a time (whole rows along the first axis of arrays that are not
        both C-contiguous).

    Returns
    -------
    bool

    Examples
    --------
    >>> same_content(np.arange(10), np.arange(10), block=3)
    True
    >>> same_content(np.arange(10), np.r_[np.arange(9), 0], block=3)
    False
    """
    if a.shape != b.shape:
        return False
    if a.ndim == 0 or a.size == 0:
        return bool(np.array_equal(a, b))
    if a.flags.c_contiguous and b.flags.c_contiguous:
        a, b = a.reshape(-1), b.reshape(-1)  # views
    step = max(1, block // max(1, a[0].size))
    return all(
        np.array_equal(a[start : start + step], b[start : start + step])
        for start in range(0, len(a), step)
    )


def evaluation_steps(
    true: Any,
    pred: Any,
    settings: EvaluationSettings,
    *,
    confidence: Any = None,
    true_classes: Any = None,
    pred_classes: Any = None,
    region: Any = None,
    control: RunControl | None = None,
    sample: tuple[int, ...] | None = None,
) -> Generator[tuple[float, str], None, Evaluation]:
    """Evaluate ``pred`` against ``true``, yielding (fraction done, what next) between steps.

    Parameters
    ----------
    true, pred
        Label images of one shape (``pred`` a probability map when ``settings.threshold`` is
        set: it is thresholded, and its connected components, with
        ``settings.threshold_options``, are the predicted objects): numpy arrays or anything
        numpy reads (nested lists), or chunked arrays. numpy arrays are copied
        first (or an earlier record's equal copy is shared, :func:`shared_array`), so
        painting a layer afterwards cannot change the record; chunked (dask, zarr)
        arrays are kept by reference and read chunk by chunk, never whole.
    settings
        Every setting of the run.
    confidence
        A probability map for the objects' mean confidence (with the ``coco`` preset, their
        scores).
    true_classes, pred_classes
        Both or neither: a class image of the truth's shape (or a mapping id -> class) per
        side, for multi-class instance results (see :func:`~napari_seg_eval.instance_metrics`).
        The same image may classify both sides. With a probability map with a class axis
        (``settings.threshold_options.channel_axis``), ``true_classes`` alone: the predicted
        objects' classes are the map's own, its thresholded argmax (the record's
        ``settings.pred_classes_from_map``; ``pred_classes`` is that class image).
    region
        A boolean mask of the truth's shape: pixels outside are left out of every metric.
    control
        Progress within the chunked passes, and cancel (see :class:`RunControl`).
    sample : tuple of int, optional
        A step per axis: the labels made of a chunked probability map are also picked at
        every step-th pixel in the read that labels them (the record's
        ``prediction_sample``, e.g. a coarse level of a pyramid to show).

    Yields
    ------
    tuple of (float, str)
        The fraction done and the step that starts.

    Returns
    -------
    Evaluation
        The record. Chunked inputs give the numbers of the same pixels in memory, plane by
        plane too (see :func:`ids_by_plane`).

    Raises
    ------
    ValueError
        Bad settings (a ``plane_axis`` the images do not have), classes or region, boundary
        metrics on chunked inputs, the ``coco`` preset without a probability map, an image
        that is not rectangular (nested lists of unequal lengths) or a numpy masked array with
        masked values (all before anything is read).
    TypeError
        Classes that are not integers, a region that is not boolean.
    Cancelled
        When ``control`` was cancelled.

    Warns
    -----
    UserWarning
        A map with a class axis compared class by class (``binarize_semantic`` off) whose
        classes look one too high: the truth's classes run 0..n-1 while the map's n channels
        gave classes up to n (:data:`BACKGROUND_CHANNEL_HINT`); its channel 0 is likely
        background, which ``ThresholdOptions(background_channel=True)`` makes class 0.
        Otherwise, a map with a class axis whose channels are all classes, thresholded above
        0, whose semantic metrics are computed, when some of the truth's foreground had no
        class above the threshold: how many pixels were made background so
        (:data:`NO_CLASS_ABOVE_THRESHOLD_HINT`, counted in the semantic table). A map with a
        background channel (``background_channel``) in memory, the same, of the pixels whose
        most probable channel is a class not above the threshold (:data:`ARGMAX_HINT`:
        threshold 0 is the argmax; a chunked map is not read again for it). An instance
        comparison against a map with a class axis, without object classes, whose truth
        looks like a class image (:func:`class_image_suspected`, :data:`CLASS_IMAGE_HINT`):
        its ids were matched as objects.

    Notes
    -----
    Chunked inputs (without ``plane_axis``) are read once for the semantic and instance
    tables, the objects' measurements (with their mean confidence) and the border bands
    together: a probability map's chunks are labelled in that read, for joining the objects
    and for the table, the measurements and the band, counted under each chunk's own
    objects and renamed after the join. Object classes given as class images (the pixels of
    each object and class), the ``ctc`` preset (from the table) and the ``coco`` preset (the
    objects' mean probability inside the region) come from the same read. So do the semantic
    metrics by class of a run with object classes: from the table of the two class images, or,
    with mappings on both sides, from the objects' table under their classes.

    With ``plane_axis`` the layers are read once too (plane by plane in memory, chunk by
    chunk if chunked, each plane of a chunk on its own): each plane's tables and its objects'
    sums. The ids of each plane, the tables of the whole stack (ids renumbered per plane),
    the semantic tables (foreground against background: the same pixels), the objects in
    the border bands and the measurements all follow from them. Only class images (each
    plane's majority classes) and a probability map's mean over objects that may span
    planes or chunks differently (an ignored id, a plane axis that is the last) are read again.

    Examples
    --------
    >>> steps = evaluation_steps(np.ones((2, 2), int), np.ones((2, 2), int), EvaluationSettings())
    >>> while True:
    ...     try:
    ...         _ = next(steps)
    ...     except StopIteration as done:
    ...         record = done.value
    ...         break
    >>> float(record.tables["summary"].set_index("metric").loc["f1_50", "value"])
    1.0
    """
    control = control if control is not None else RunControl()
    settings.check()
    # Anything array-like (nested lists) as numpy reads it; chunked data as it is.
    true, pred = (
        image if is_lazy(image) else as_array(image, name)
        for image, name in ((true, "ground truth"), (pred, "prediction"))
    )
    if confidence is not None and not is_lazy(confidence):
        read = "napari_seg_eval.io.read_probabilities(path)"
        confidence = as_array(confidence, "confidence", read, "read_probabilities")
    settings = _plane_axis_checked(settings, len(true.shape))
    lazy = is_lazy(true) or is_lazy(pred)
    kinds = ["semantic", "instance"] if settings.kind == "both" else [settings.kind]
    axis = settings.plane_axis
    map_classes = _map_classes(settings, true_classes, pred_classes)
    if map_classes:
        settings = replace(settings, pred_classes_from_map=True)
    elif (true_classes is None) != (pred_classes is None):
        raise ValueError(
            "give classes for both sides (the same class image may serve both; a probability "
            "map with a class axis, channel_axis=, gives the prediction's own)."
        )
    classes = None
    if true_classes is not None:
        if "instance" not in kinds:
            raise ValueError("object classes need the instance evaluation: evaluate 'both'.")
        given = ((true_classes, "true_classes"), (pred_classes, "pred_classes"))
        for spec, name in given[: 1 if map_classes else 2]:
            check_classes(spec, tuple(true.shape), name)
        classes = (true_classes, pred_classes)  # a map's own: set when it is thresholded
    if settings.preset == "conic" and classes is None:
        raise ValueError("the conic preset is multi-class: choose class layers for both sides.")
    region = check_region(region, tuple(true.shape))
    if settings.boundary and (lazy or is_lazy(region) or is_lazy(true_classes)):
        raise ValueError(
            "boundary metrics measure distances on whole images in memory; they are not "
            "available for chunked (dask/zarr) layers. Untick Boundary metrics to evaluate the "
            "rest chunk by chunk, or add a crop that fits in memory as a numpy layer (e.g. "
            "viewer.add_labels(np.asarray(layer.data[:4096, :4096]))) and evaluate that."
        )
    each_plane = axis is not None and settings.label_each_plane
    probability = settings.threshold is not None
    if np.issubdtype(true.dtype, np.floating):
        as_label_image(true, "ground truth")  # refused, with its message
    if not probability and np.issubdtype(pred.dtype, np.floating):
        raise TypeError(FLOAT_PREDICTION.format(dtype=pred.dtype))
    options = settings.threshold_options or ThresholdOptions()
    if probability:
        check_class_axis(len(pred.shape), options.channel_axis, "the probability map")
    scored_by_prediction = probability and options.channel_axis is None
    if settings.preset == "coco" and confidence is None and not scored_by_prediction:
        raise ValueError(COCO_NEEDS_SCORES)
    if "semantic" in kinds and settings.binarize_semantic:  # the inputs checked: a warning
        warn_if_foreground_only(settings.ignore_label, "evaluate", BINARIZE_OFF)
    # Progress: each step adds its weight to `done` as it ends; `steps` is their sum, with 1
    # for building the tables. Each step weighs 1: thresholding a map; each kind's results
    # (chunked without plane_axis: their pass) and the objects' measurements; the boundary
    # metrics; a preset's. Plane by plane, each kind's results of each plane too, all after
    # the one pass over the planes, which weighs as much as they do (they mostly use its
    # counts, it reads the layers).
    after = (
        len(kinds)
        + ("instance" in kinds)
        + settings.boundary
        + (settings.preset in ("ctc", "coco"))
    )
    if axis is None:
        steps = probability + after + 1
    else:
        after += len(kinds)  # each plane's results
        steps = probability + 2 * after + 1  # the pass weighs `after`
    done = 0

    def progress(message: str) -> tuple[float, str]:
        control.check()
        return (done / steps, message)

    def chunked(message: str, n_steps: int = 1):
        return control.chunks(done / steps, (done + n_steps) / steps, message)

    yield progress("reading layers")
    true = _read_only(true, copy=True)
    if region is not None:
        region = _read_only(region, copy=True)
    if classes is not None:
        copies = {id(c): _read_only(c, copy=True) if hasattr(c, "shape") else c for c in classes}
        classes = tuple(copies[id(c)] for c in classes)  # one image for both stays one
    # Chunked inputs: the tables of both kinds (and the border bands, and the map's labels)
    # in one computation, each chunk read once (see _tables_at_once).
    # A map's classes scored class by class are not its objects: semantic on its own there.
    by_class = probability and not settings.binarize_semantic and "semantic" in kinds
    at_once = (
        lazy
        and axis is None
        and "instance" in kinds
        and not options.split_touching
        and not by_class
    )
    semantic_pred = None  # a probability map's classes (its mask for one class)
    labelling = None
    shifted_channels = None  # a map's channels when channel k is class k + 1
    map_classes_count = None  # a map's highest class, with a class axis
    if probability:
        yield progress("thresholding the probability map")
        prob = _read_only(pred, copy=False)
        if options.channel_axis is not None:
            channels = prob.shape[options.channel_axis]
            map_classes_count = channels - 1 if options.background_channel else channels
        if options.channel_axis is not None and not options.background_channel:
            shifted_channels = prob.shape[options.channel_axis]
        if scored_by_prediction:
            confidence = prob
        semantic_pred = threshold_probabilities(
            prob,
            settings.threshold,
            channel_axis=options.channel_axis,
            class_ids=options.class_ids(prob),
        )
        if map_classes:  # the class image the objects are labelled from: nothing else read
            classes = (classes[0], semantic_pred)
        if "instance" not in kinds:  # pixels only: no objects to make (nor split)
            pred = semantic_pred.view(np.uint8) if semantic_pred.dtype == bool else semantic_pred
        elif at_once and is_lazy(semantic_pred):  # labelled with the tables, nothing read here
            labelling = chunked_labelling(
                semantic_pred if options.channel_axis is not None else semantic_pred.astype(bool),
                connectivity=options.connectivity,
                min_size=options.min_size,
            )
        else:
            with chunked("labelling the objects of the probability map"):
                pred = instance_labels(semantic_pred, options, axis if each_plane else None)
        done += 1
    else:
        pred = _read_only(pred, copy=True)
    if labelling is None and not is_lazy(pred):
        pred.flags.writeable = False
    if confidence is not None:
        confidence = _read_only(confidence, copy=False)
    # With object classes, the semantic metrics by class compare each pixel's class (a class
    # image's, or the class of the object there), not the truth's ids: these two images.
    class_semantic = None
    if classes is not None and "semantic" in kinds and not settings.binarize_semantic:
        class_semantic = _pixel_class_pair(true, pred, classes, settings.ignore_label, region)
    class_kwargs = {}
    no_class = {}  # with classes: the preset's class that is no class (conic: 0)
    if classes is not None:
        class_kwargs = {"true_classes": classes[0], "pred_classes": classes[1]}
        no_class = {"background_class": settings.background_class}
    matching = {
        "iou_thresholds": list(settings.iou_thresholds),
        "criterion": settings.criterion,
        "exclude_border": settings.exclude_border,
        "region": region,
    }
    results: dict[str, Any] = {"semantic": None, "instance": None, "measurements": None}
    # The chunked inputs' overlap table, picked labels and coco scores, read at once.
    table = picked = scores = None
    if at_once:
        yield progress("semantic and instance tables")
        with chunked("semantic and instance tables", len(kinds) + ("instance" in kinds)):
            (
                pred,
                results["semantic"],
                results["instance"],
                results["measurements"],
                table,
                picked,
                scores,
            ) = _tables_at_once(
                true,
                pred if labelling is None else labelling,
                kinds,
                settings,
                region,
                classes,
                confidence,
                # objects lost pixels to min_size: the semantic side is the map's mask
                semantic_pred if options.min_size > 0 else None,
                sample if labelling is not None else None,
                class_semantic,
            )
        done += len(kinds)
    # A map's semantic side is its classes (its mask for one class), as on the command line:
    # min_size and split_touching make objects, not pixels.
    sem_true, sem_pred, sem_ignore = _semantic_inputs(
        true,
        pred if semantic_pred is None else semantic_pred,
        settings.ignore_label,
        settings.binarize_semantic,
    )
    semantic_region = region
    if class_semantic is not None:  # classes compared: the truth's ignored id is no class
        sem_true, sem_pred = class_semantic
        sem_ignore = None
        semantic_region = outside_ignored(true, settings.ignore_label, region)
    instance_true, instance_pred, ids = true, pred, {}
    counts = None  # plane by plane: every table and the objects' sums, from one pass
    measured = (
        "instance" in kinds
        and axis is not None
        and _sums_measure((true, pred, confidence), region, axis, settings.ignore_label, each_plane)
    )
    if axis is not None:
        yield progress(PLANES_PASS)
        shown = [done / steps]

        def plane_counted(counted: int, planes: int) -> None:  # in memory, between planes
            fraction = (done + after * counted / planes) / steps
            if fraction - shown[0] >= 0.01 or counted == planes:  # at most ~100 reports
                shown[0] = fraction
                control.report((fraction, PLANES_PASS))
            control.check()

        with chunked(PLANES_PASS, after):
            if "instance" in kinds:  # the labels' tables (and a map's classes', if compared)
                # in this order: the chunks read are the first chunked array's (the labels',
                # else the map's, whose sums measure_both adds up so), never the region's
                arrays = {
                    "true": true,
                    "pred": pred,
                    "confidence": confidence if measured else None,
                    "region": region,
                }
                if (semantic_pred is not None or class_semantic is not None) and (
                    "semantic" in kinds
                ):
                    arrays |= {"semantic_true": sem_true, "semantic_pred": sem_pred}
                if class_semantic is not None:  # without the truth's ignored pixels
                    arrays["semantic_region"] = semantic_region
                ignore = settings.ignore_label
            else:  # pixels only: the pair semantic_metrics compares (foreground, binarized)
                arrays, ignore = {"true": sem_true, "pred": sem_pred, "region": region}, sem_ignore
            counts = _count_planes(
                arrays, axis, ignore, sem_ignore, "instance" in kinds, plane_counted
            )
        done += after
        if each_plane and "instance" in kinds:  # objects never span planes: split the tracks
            instance_true, ids["true"] = counts.numbered(true, 0)
            instance_pred, ids["pred"] = counts.numbered(pred, 1)
            ids = {kind: origin for kind, origin in ids.items() if origin is not None}
    # Class mappings name the user's ids; the objects matched may be renumbered per plane.
    instance_classes = classes
    if classes is not None and ids:
        instance_classes = tuple(
            _renumbered_classes(spec, ids.get(side), tuple(true.shape), name)
            for spec, side, name in zip(
                classes, ("true", "pred"), ("true_classes", "pred_classes"), strict=True
            )
        )
    semantic_planes = None  # each plane's semantic table
    if counts is not None and "semantic" in kinds:
        if "instance" not in kinds:  # counted on the semantic pair itself
            semantic_planes = counts.tables
        elif counts.semantic is not None:  # a map's classes
            semantic_planes = counts.semantic
        else:  # the labels' own pixels: their tables say it all
            semantic_planes = counts.tables
            if settings.binarize_semantic:
                semantic_planes = [binarized_table(t) for t in semantic_planes]
    if "semantic" in kinds and not at_once:
        yield progress("semantic metrics")
        if counts is None:
            # a map of classes thresholded here is checked below (with its channel count), on
            # every route; label images given are the user's classes, as they are
            with chunked("semantic metrics"), classes_checked_by_caller():
                results["semantic"] = semantic_metrics(
                    sem_true,
                    sem_pred,
                    ignore_label=sem_ignore,
                    region=semantic_region,
                    include_background=settings.include_background,
                )
        else:
            stack_table = OverlapTable.sum(semantic_planes)
            _warn_if_nothing_left(stack_table, sem_ignore, region)  # as semantic_metrics
            results["semantic"] = semantic_metrics_from_table(
                stack_table,
                ignore_label=sem_ignore,
                include_background=settings.include_background,
            )
        done += 1
    # The classes compared are in the semantic table (the background in it too, or, instance
    # only, in the table read at once): nothing is read again.
    semantic_table = results["semantic"].table if results["semantic"] is not None else None
    counted = semantic_table if semantic_table is not None else table
    if shifted_channels is not None and counted is None and not is_lazy(semantic_pred):
        # An instance run in memory keeps no table: the map's foreground against the truth's,
        # counted for the check (once, over the images already in memory).
        counted = overlap_table(
            (true != 0).view(np.uint8), (semantic_pred != 0).view(np.uint8), region=region
        )
    if shifted_channels is not None and counted is not None:
        if semantic_table is not None and background_channel_suspected(
            semantic_table, shifted_channels
        ):
            warn(BACKGROUND_CHANNEL_HINT.format(n=shifted_channels, last=shifted_channels - 1))
        elif shifted_channels > 1 and background_predicted_as_objects(counted):
            warn(BACKGROUND_AS_OBJECTS_HINT)
        elif semantic_table is not None:  # the map's own pixels: its background is the threshold's
            hint = no_class_hint(semantic_table, settings.threshold)
            if hint is not None:
                warn(hint)
    if (
        options.background_channel
        and probability
        and settings.threshold > 0
        and semantic_table is not None
        and not is_lazy(semantic_pred)  # a chunked map is not read again for a hint
    ):
        below = below_threshold_classes(prob, semantic_pred, options.channel_axis)
        hint = argmax_hint(
            overlap_table(true, below, ignore_label=settings.ignore_label, region=region),
            settings.threshold,
        )
        if hint is not None:
            warn(hint)
    unannotated = None  # a truth value 255 scored as a class: said once
    if settings.ignore_label is None and semantic_table is not None:
        unannotated = ignore_value_suspected(semantic_table, map_classes_count)
        if unannotated is not None:
            option = _ignore_option(unannotated)
            warn(ignore_value_hint(semantic_table, unannotated, map_classes_count, option))
    if "instance" in kinds:
        if counts is not None:
            yield progress("instance matching")
            with chunked("instance matching"):  # class images: each object's pixels read
                results["instance"] = _instance_of_counts(
                    counts, instance_true, instance_pred, settings, region, instance_classes
                )
            done += 1
        elif not at_once:
            yield progress("instance matching")
            with chunked("instance matching"), called_as("evaluate"):
                results["instance"] = instance_metrics(
                    instance_true,
                    instance_pred,
                    ignore_label=settings.ignore_label,
                    **matching,
                    **dict(zip(class_kwargs, instance_classes or (), strict=False)),
                    **no_class,
                )
            done += 1
        if (
            map_classes_count is not None
            and classes is None
            and class_image_suspected(results["instance"].pairs, map_classes_count)
        ):
            warn(CLASS_IMAGE_HINT.format(classes=map_classes_count))
        if settings.ignore_label is None and unannotated is None:  # the raw ids: 0/1/255 masks
            pairs = results["instance"].pairs
            unannotated = unannotated_object_suspected(pairs)
            if unannotated is not None:
                warn(ignore_value_hint(pairs, unannotated, None, _ignore_option(unannotated)))
        if measured:  # from the sums counted with the tables plane by plane
            yield progress("measuring objects")
            results["measurements"] = measurements_from_sums(
                *counts.measurement_sums(), ndim=len(true.shape)
            )
        elif results["measurements"] is None:  # at once: measured with the tables
            yield progress("measuring objects")
            with chunked("measuring objects"):
                results["measurements"] = measure_both(instance_true, instance_pred, confidence)
        done += 1
    boundary_planes = None  # plane by plane: each plane's boundary metrics, its own image
    if settings.boundary:
        yield progress("boundary metrics")
        instance = results["instance"]
        measured_pair = (instance_true, None if instance is None else instance_pred)
        specs = None
        if instance is not None and instance_classes is not None:
            specs = _checked_classes(instance_classes, tuple(true.shape))
        if axis is not None:
            boundary_planes = _boundaries_by_plane(
                *measured_pair,
                settings,
                region,
                (sem_true, sem_pred),
                specs,
                axis,
                control.check,
            )
        if each_plane:  # the planes are separate images: their image mean
            results["boundary"], results["object_boundary"] = _boundaries_over_planes(
                boundary_planes
            )
        else:  # one image (a volume, plane_axis or not): its objects may span planes
            excluded = (
                None if instance is None else (instance.excluded_true, instance.excluded_pred)
            )
            results["boundary"], results["object_boundary"] = _boundaries(
                *measured_pair, settings, region, (sem_true, sem_pred), specs, excluded
            )
        done += 1
    if settings.preset == "ctc":
        yield progress("Cell Tracking Challenge SEG and DET")
        if at_once:  # from the table of the chunks already read (no time axis here)
            results["ctc"] = ctc_of_table(table)
        else:
            with chunked("Cell Tracking Challenge SEG and DET"):
                results["ctc"] = ctc_metrics(
                    true if each_plane else instance_true,
                    pred if each_plane else instance_pred,
                    time_axis=axis if each_plane else None,
                    region=outside_ignored(true, settings.ignore_label, region),
                )
        done += 1
    if settings.preset == "coco":
        yield progress("COCO AP (score-ranked)")
        if at_once:  # from the table and the scores of the chunks already read
            results["coco"] = coco_average_precision_of_table(
                table, scores, settings.iou_thresholds
            )
        else:
            with chunked("COCO AP (score-ranked)"):
                results["coco"] = _coco(
                    instance_true,
                    instance_pred,
                    confidence,
                    results["measurements"],
                    settings,
                    region,
                )
        done += 1
    planes = {}
    if counts is not None:
        # a mapping serves every plane; a class image is the stack's, read again plane by plane
        images = {
            key: check_classes(spec, tuple(true.shape), key).image is not None
            for key, spec in class_kwargs.items()
        }
        for name in kinds:
            yield progress(f"{name} metrics plane by plane")
            if name == "semantic":
                planes[name] = dataset_from_tables(
                    semantic_planes,
                    kind=name,
                    ignore_label=sem_ignore,
                    region=region is not None,
                    include_background=settings.include_background,
                )
            elif any(images.values()):
                with chunked(f"{name} metrics plane by plane"):
                    planes[name] = dataset_metrics(
                        true,
                        pred,
                        kind=name,
                        axis=axis,
                        ignore_label=settings.ignore_label,
                        **matching,
                        **{
                            key: spec if images[key] else [spec] * true.shape[axis]
                            for key, spec in class_kwargs.items()
                        },
                        **no_class,
                    )
            else:
                width = settings.exclude_border
                planes[name] = dataset_from_tables(
                    [
                        remove_objects(
                            t, counts.band(0, width, k, False), counts.band(1, width, k, False)
                        )
                        if width
                        else t
                        for k, t in enumerate(counts.tables)
                    ],
                    kind=name,
                    iou_thresholds=settings.iou_thresholds,
                    ignore_label=settings.ignore_label,
                    criterion=settings.criterion,
                    region=region is not None,
                    **{key: [spec] * true.shape[axis] for key, spec in class_kwargs.items()},
                    **no_class,
                )
            done += 1
    if boundary_planes is not None:
        planes["boundary"] = _boundary_dataset(boundary_planes)
    control.check()
    instance = results["instance"]
    if instance is not None and instance.counted_on is None:  # made from the counted tables
        # What review_objects and error_map check a result given them against, as
        # instance_metrics records it: every path of the run counts the same.
        counted_on = CountedOn(
            tuple(instance_true.shape),
            settings.ignore_label,
            settings.exclude_border,
            region is not None,
        )
        results["instance"] = replace(instance, counted_on=counted_on)
    yield (1.0, "building tables")
    # The images the run made (labels of a map, ids split by plane, foreground masks) are
    # kept once too: an earlier record's equal array is shared (the inputs' copies already are).
    record = Evaluation(
        truth=_made_shared(instance_true),
        prediction=_made_shared(instance_pred),
        semantic_truth=_made_shared(sem_true),
        semantic_prediction=_made_shared(sem_pred),
        confidence=confidence,
        settings=settings,
        planes=planes,
        true_classes=None if classes is None else classes[0],
        pred_classes=None if classes is None else classes[1],
        region=region,
        ids=ids,
        prediction_sample=picked,
        **results,
    )
    return replace(record, tables=result_tables(record))


def _map_classes(settings: EvaluationSettings, true_classes: Any, pred_classes: Any) -> bool:
    """Whether the predicted objects' classes are the probability map's own: a map with a
    class axis given with true classes and no predicted ones (or ``pred_classes_from_map``,
    which then must be so)."""
    options = settings.threshold_options or ThresholdOptions()
    class_axis = settings.threshold is not None and options.channel_axis is not None
    own = class_axis and true_classes is not None and pred_classes is None
    if settings.pred_classes_from_map and not own:
        raise ValueError(
            "pred_classes_from_map takes the predicted classes from a probability map's class "
            "axis: give a map with threshold= and channel_axis=, true_classes, and no "
            "pred_classes."
        )
    return own


def _labelling_folded(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with the labelling options given as keywords (``connectivity=1``,
    ``split_touching=True``, ..., as :func:`~napari_seg_eval.io.evaluate_files` takes them)
    folded into ``threshold_options`` (over the ones it gives). ``spacing`` is not one of
    them: it is ``evaluate``'s own keyword (the pixel size of the boundary metrics)."""
    names = {item.name for item in fields(ThresholdOptions)} - {"spacing"}
    given = {key: settings[key] for key in settings if key in names}
    if not given:
        return settings
    rest = {key: value for key, value in settings.items() if key not in names}
    options = rest.get("threshold_options") or ThresholdOptions()
    return {**rest, "threshold_options": replace(options, **given)}


def _split_at_spacing(settings: EvaluationSettings) -> EvaluationSettings:
    """``settings`` with the run's ``spacing`` (the boundary metrics' pixel size) also the
    split of touching objects' when it splits a probability map's objects and its
    ``threshold_options`` give no spacing of their own (the record's settings then say it)."""
    options = settings.threshold_options
    if (
        settings.spacing is None
        or settings.threshold is None
        or options is None
        or not options.split_touching
        or options.spacing is not None
    ):
        return settings
    spacing = tuple(float(size) for size in settings.spacing)
    return replace(settings, threshold_options=replace(options, spacing=spacing))


def evaluate(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    confidence: np.ndarray | None = None,
    true_classes: Any = None,
    pred_classes: Any = None,
    region: np.ndarray | None = None,
    **settings: Any,
) -> Evaluation:
    """Evaluate ``pred`` against ``true`` as the dock's Run does: the record of one evaluation
    (:func:`evaluation_steps` run to the end, without progress).

    Parameters
    ----------
    true, pred
        Label images of equal shape (``pred`` a probability map when ``threshold`` is given):
        numpy arrays, anything numpy reads (nested lists), or chunked (dask, zarr) arrays.
    confidence
        A probability map for the objects' mean confidence.
    true_classes, pred_classes
        Class images (or mappings id -> class) of both sides, for multi-class results; with a
        probability map with a class axis (``channel_axis=``), ``true_classes`` alone: the
        predicted classes are the map's own (its thresholded argmax). With semantic metrics
        by class (``binarize_semantic=False``) these compare each pixel's class on each side
        (a class image's; a mapping's class of the object there, 0 on the background), with
        the truth's ignored pixels left out: the numbers of ``evaluate(true class image, pred
        class image, kind="semantic", binarize_semantic=False)``.
    region
        A boolean mask: pixels outside are left out of every metric.
    **settings
        Fields of :class:`EvaluationSettings`. With ``preset=`` the preset's IoU thresholds,
        criterion and border are used (see :meth:`EvaluationSettings.from_preset`). The
        fields of :class:`ThresholdOptions` (``connectivity``, ``min_size``,
        ``split_touching``, ``channel_axis``, ...) are taken as keywords too, as
        :func:`~napari_seg_eval.io.evaluate_files` takes them; without ``threshold`` (a label
        prediction) they are refused, as nothing reads them.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import evaluate
    >>> int(evaluate(np.ones((2, 2), int), np.ones((2, 2), int)).instance.summary["n_pred"])
    1
    >>> true = np.zeros((6, 6), int)
    >>> true[0:2, 0:2], true[2:4, 2:4] = 1, 2  # object 1 touches the image's edge
    >>> record = evaluate(true, true, preset="neurips2022")
    >>> int(record.instance.summary["n_true"]), record.settings.exclude_border
    (1, 2)
    """
    settings = _labelling_folded(settings)
    if settings.get("preset") is not None:
        made = EvaluationSettings.from_preset(settings.pop("preset"), **settings)
    else:
        made = EvaluationSettings(**settings)
    made = _split_at_spacing(made)
    steps = evaluation_steps(
        true,
        pred,
        made,
        confidence=confidence,
        true_classes=true_classes,
        pred_classes=pred_classes,
        region=region,
    )
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def ids_by_plane(
    labels: Any, axis: int, ignore_label: int | None = None
) -> tuple[Any, pd.DataFrame | None]:
    """``labels`` with ids unique per plane when an id spans planes (a track), and the map back.

    Matching plane by plane needs every object in one plane; a track id that appears in several
    planes becomes one new id per plane: the objects are numbered 1, 2, ... in order of
    (plane, id), in the smallest unsigned type that holds them. Pixels of ``ignore_label`` keep
    that id (and no new id equals it), so they stay ignored.

    A chunked (dask, zarr) ``labels`` stays lazy: one pass over its chunks lists the ids of
    each plane (a small table), and the renumbered labels are a dask array on the same chunks
    (a chunk may hold several planes, or part of one), renumbered when read. The new ids are
    those of the in-memory result.

    Parameters
    ----------
    labels : numpy.ndarray or chunked array
        Instance labels, 0 = background.
    axis : int
        The plane axis.
    ignore_label : int, optional
        An id that is not an object.

    Returns
    -------
    labels : numpy.ndarray or dask.array.Array
        ``labels`` itself when every object lies in one plane already; else the renumbered ids.
    origin : pandas.DataFrame or None
        None when nothing was renumbered; else indexed by the new id, with the ``plane`` and
        the original ``label`` of each object.

    Examples
    --------
    >>> track = np.array([[[5, 0]], [[5, 7]]])  # id 5 in planes 0 and 1
    >>> new, origin = ids_by_plane(track, 0)
    >>> new.ravel().tolist(), origin.index.tolist(), origin.values.tolist()
    ([1, 0, 2, 3], [1, 2, 3], [[0, 5], [1, 5], [1, 7]])

    The same ids, lazily, with chunks that cut the planes:

    >>> import dask.array as da
    >>> new, origin = ids_by_plane(da.from_array(track, chunks=1), 0)
    >>> new.compute().ravel().tolist(), origin.index.tolist()
    ([1, 0, 2, 3], [1, 2, 3])
    """
    ignore = ignore_label if ignore_label is not None and ignore_label > 0 else None
    lazy = is_lazy(labels)
    if lazy:
        labels = as_dask(labels)
        seen = _ids_per_plane_lazy(labels, axis, ignore)
    else:
        seen = [_plane_ids(plane, ignore) for plane in np.moveaxis(labels, axis, 0)]
    return _numbered(labels, axis, seen, ignore)


def _numbered(
    labels: Any, axis: int, seen: list[np.ndarray], ignore: int | None
) -> tuple[Any, pd.DataFrame | None]:
    """:func:`ids_by_plane` of ``labels`` (numpy or dask) whose object ids in each plane are
    ``seen`` (sorted, in the labels' dtype; not 0 nor ``ignore``)."""
    ids = np.concatenate(seen) if seen else np.zeros(0, labels.dtype)
    if np.unique(ids).size == ids.size:
        return labels, None  # every object lies in one plane already
    sizes = [ids_in.size for ids_in in seen]
    new_ids = np.arange(1, ids.size + 1, dtype=np.int64)
    if ignore is not None:
        new_ids[new_ids >= ignore] += 1  # never reuse the ignored id
    dtype = np.min_scalar_type(max(int(new_ids[-1]), ignore or 0))
    new_per_plane = np.split(new_ids.astype(dtype), np.cumsum(sizes)[:-1])
    origin = pd.DataFrame(
        {"plane": np.repeat(np.arange(len(seen)), sizes), "label": ids},
        index=pd.Index(new_ids, name="id"),
    )
    if is_lazy(labels):
        return _renumbered_lazy(labels, axis, seen, new_per_plane, ignore, dtype), origin
    out = np.zeros(labels.shape, dtype)
    _renumber_planes(
        np.moveaxis(labels, axis, 0), np.moveaxis(out, axis, 0), seen, new_per_plane, ignore
    )
    out.flags.writeable = False
    return out, origin


def _plane_ids(plane: np.ndarray, ignore: int | None) -> np.ndarray:
    """The sorted object ids of one plane (or of part of one): not 0, not ``ignore``."""
    ids = np.unique(plane)
    return ids[(ids > 0) & (ids != ignore)] if ignore is not None else ids[ids > 0]


def _renumber_planes(
    planes: np.ndarray,
    out: np.ndarray,
    seen: Sequence[np.ndarray],
    new_ids: Sequence[np.ndarray],
    ignore: int | None,
) -> None:
    """Write into ``out`` (planes first) the new ids of ``planes``: plane k's id ``seen[k][i]``
    becomes ``new_ids[k][i]``; the ignored id stays; background stays 0.

    A plane of modest ids (the usual case) is renumbered by a lookup table, one gather;
    huge ids (e.g. 2**40) by a search among the plane's ids."""
    for plane, out_plane, ids_in, new in zip(planes, out, seen, new_ids, strict=True):
        if plane.dtype == bool:
            plane = plane.view(np.uint8)
        if plane.size and plane.dtype.kind in "iu" and plane.min() >= 0:
            highest = int(plane.max())
            # a table of at most max(2**16, 4 x the plane's pixels) ids
            if highest < max(1 << 16, 4 * plane.size):
                lookup = np.zeros(highest + 1, out.dtype)
                below = np.searchsorted(ids_in, highest, side="right")  # in this part
                lookup[ids_in[:below].astype(np.intp)] = new[:below]
                if ignore is not None and ignore <= highest:
                    lookup[ignore] = ignore
                out_plane[...] = lookup[plane]
                continue
        where = plane > 0
        if ignore is not None:
            where &= plane != ignore
            out_plane[plane == ignore] = ignore
        out_plane[where] = new[np.searchsorted(ids_in, plane[where])]


def _ids_per_plane_lazy(labels: Any, axis: int, ignore: int | None) -> list[np.ndarray]:
    """The sorted object ids of each plane of a dask array along ``axis``, in one pass.

    Each chunk lists the ids of the planes it holds (one task; only these small lists come
    back), and the lists of one plane are merged.
    """
    import dask.array as da
    from dask import delayed

    moved = da.moveaxis(labels, axis, 0)
    starts = np.cumsum((0, *moved.chunks[0][:-1]))
    chunks = moved.to_delayed(optimize_graph=True)

    def chunk_ids(block: np.ndarray, first: int) -> dict[int, np.ndarray]:
        return {first + k: _plane_ids(plane, ignore) for k, plane in enumerate(block)}

    def merge(parts: list[dict[int, np.ndarray]]) -> dict[int, np.ndarray]:
        merged: dict[int, list[np.ndarray]] = {}
        for part in parts:
            for plane, ids in part.items():
                merged.setdefault(plane, []).append(ids)
        return {plane: np.unique(np.concatenate(ids)) for plane, ids in merged.items()}

    parts = [
        delayed(chunk_ids, pure=True)(chunks[index], int(starts[index[0]]))
        for index in np.ndindex(chunks.shape)
    ]
    while len(parts) > 1:  # a tree: no task holds more than 16 lists
        parts = [delayed(merge, pure=True)(parts[i : i + 16]) for i in range(0, len(parts), 16)]
    (per_plane,) = compute(parts[0])
    return [per_plane[plane] for plane in range(moved.shape[0])]


def _renumbered_lazy(
    labels: Any,
    axis: int,
    seen: list[np.ndarray],
    new_ids: list[np.ndarray],
    ignore: int | None,
    dtype: np.dtype,
) -> Any:
    """:func:`ids_by_plane`'s new labels of a dask array, lazily, on the same chunks.

    Each run of planes that one row of chunks holds along ``axis`` carries only those planes'
    tables; each chunk is renumbered when read.
    """
    import dask.array as da

    moved = da.moveaxis(labels, axis, 0)

    def renumber(block, seen_rows, new_rows, block_info=None):
        start = block_info[0]["array-location"][0][0]
        stop = start + block.shape[0]
        out = np.zeros(block.shape, dtype)
        _renumber_planes(block, out, seen_rows[start:stop], new_rows[start:stop], ignore)
        return out

    rows, first = [], 0
    for size in moved.chunks[0]:
        task = functools.partial(
            renumber, seen_rows=seen[first : first + size], new_rows=new_ids[first : first + size]
        )
        rows.append(moved[first : first + size].map_blocks(task, dtype=dtype))
        first += size
    return da.moveaxis(da.concatenate(rows, axis=0), 0, axis)


#: The one pass of a run plane by plane over the layers (chunk by chunk if chunked).
PLANES_PASS = "counting the tables and objects of each plane"


def _sums_measure(
    arrays: Sequence[Any], region: Any, axis: int, ignore_label: int | None, each_plane: bool
) -> bool:
    """Whether the objects' sums counted plane by plane give :func:`measure_both`'s
    measurements exactly: always without a probability map (integer sums, minima and
    maxima); with one (``arrays``: truth, prediction, map), only when each object's runs
    and chunks are those :func:`measure_both` adds in the same order: objects in one plane
    each (no id across planes, no ignored id), runs along an axis within the planes, and the
    chunks of the labels or the map."""
    true, _, confidence = arrays
    if confidence is None:
        return True
    ignore = ignore_label if ignore_label is not None and ignore_label > 0 else None
    if not each_plane or ignore is not None or axis == len(true.shape) - 1:
        return False
    return any(is_lazy(a) for a in arrays) or not is_lazy(region)


def _instance_of_counts(
    counts: _PlaneCounts,
    true: Any,
    pred: Any,
    settings: EvaluationSettings,
    region: Any,
    classes: tuple | None,
) -> InstanceResult:
    """:func:`instance_metrics` of the labels compared (renumbered per plane), from the
    planes' counts: the table, and the objects in the stack's border band (class images
    are read for each object's majority class). Frames (``label_each_plane``) are images of
    their own: an object is in the band at its frame's edges, never for its frame being the
    first or last."""
    true, pred, specs = _checked_pair(true, pred, *(classes or (None, None)))
    width = settings.exclude_border
    border = None
    if width:
        ends = not settings.label_each_plane
        border = tuple(
            np.concatenate(
                [counts.band(side, width, k, True, ends) for k in range(len(counts.tables))]
            )
            for side in (0, 1)
        )
    return _of_counted_table(
        counts.instance_table(),
        true,
        pred,
        specs,
        ignore_label=settings.ignore_label,
        region=region,
        iou_thresholds=list(settings.iou_thresholds),
        criterion=settings.criterion,
        border=border,
        background_class=settings.background_class if specs is not None else None,
    )


class _PlaneCounts:
    """What a run plane by plane needs of the pixels, from one pass over them.

    For each plane (or part of one: a chunk), with the labels' own ids: the overlap table of
    the truth with the prediction (ignored and outside pixels left out), the table of the
    semantic inputs when they are not the labels (a probability map's classes), and each
    side's per-object sums (:func:`~napari_seg_eval.core.review.object_measurements`' sums,
    over every pixel). The rest follows without reading again: the ids of each plane, the
    objects in the border band (from their bounding boxes), the tables of the whole stack
    with the objects renumbered per plane (the planes' tables, ids mapped), and the objects'
    measurements (the sums of each chunk renamed, then added up as :func:`measure_both` adds
    them).
    """

    def __init__(
        self,
        chunks: list[list[tuple]],
        shape: tuple[int, ...],
        axis: int,
        dtypes: tuple[np.dtype, np.dtype],
        ignore: int | None,
    ) -> None:
        self.chunks, self.shape, self.axis, self.ignore = chunks, shape, axis, ignore
        self.dtypes = tuple(np.dtype(dtype) for dtype in dtypes)  # the ids listed per plane
        # the ids compared: a boolean image's are uint8 (as the metrics read it)
        self.new_dtypes = [np.dtype(np.uint8) if d.kind == "b" else d for d in self.dtypes]
        parts: list[list[tuple]] = [[] for _ in range(shape[axis])]
        for chunk in chunks:
            for entry in chunk:
                parts[entry[0]].append(entry)
        self.tables = [_summed_tables([entry[1] for entry in part]) for part in parts]
        self.semantic = None
        if parts and parts[0] and parts[0][0][2] is not None:
            self.semantic = [_summed_tables([entry[2] for entry in part]) for part in parts]
        self.sums = None  # each side's sums of each plane, the labels' own ids
        if parts and parts[0] and parts[0][0][3] is not None:
            self.sums = [
                [_combine_sums([entry[3][side] for entry in part]) for part in parts]
                for side in range(2)
            ]
        self.mapping: list[list[tuple[np.ndarray, np.ndarray] | None]] = [
            [None] * len(parts),
            [None] * len(parts),
        ]

    def seen(self, side: int) -> list[np.ndarray]:
        """The sorted object ids of each plane of a side, in its dtype (not 0; for the truth
        not the ignored id), as :func:`ids_by_plane` lists them."""
        ignore = self.ignore if side == 0 else None
        out = []
        for sums in self.sums[side]:
            ids = sums["label"]
            out.append(
                (ids[ids != ignore] if ignore is not None else ids).astype(self.dtypes[side])
            )
        return out

    def numbered(self, labels: Any, side: int) -> tuple[Any, pd.DataFrame | None]:
        """:func:`ids_by_plane` of a side's ``labels``, from the ids counted (nothing read)."""
        ignore = self.ignore if side == 0 else None
        seen = self.seen(side)
        new, origin = _numbered(labels, self.axis, seen, ignore)
        if origin is not None:
            self.new_dtypes[side] = np.dtype(new.dtype)
            first = 0
            for plane, ids in enumerate(seen):
                fresh = origin.index.to_numpy()[first : first + ids.size]
                self.mapping[side][plane] = (ids, fresh.astype(new.dtype))
                first += ids.size
        return new, origin

    def _renamed(self, side: int, plane: int, ids: np.ndarray) -> np.ndarray:
        """A side's ids of one plane under their new ids (0 and the ignored id kept)."""
        dtype = self.new_dtypes[side]
        known = self.mapping[side][plane]
        if known is None:
            return ids.astype(dtype, copy=False)
        old, new = known
        common = id_dtype(old.dtype, ids.dtype)  # searched exactly, huge ids too
        old, ids = old.astype(common, copy=False), ids.astype(common, copy=False)
        position = np.minimum(np.searchsorted(old, ids), max(old.size - 1, 0))
        found = old[position] == ids if old.size else np.zeros(ids.size, bool)
        return np.where(found, new[position] if old.size else 0, ids).astype(dtype)

    def instance_table(self) -> OverlapTable:
        """The overlap table of the whole stack, with the ids compared (renumbered)."""
        renamed = []
        for plane, table in enumerate(self.tables):
            true_ids, pair_true = (
                self._renamed(0, plane, ids) for ids in (table.true_ids, table.pair_true)
            )
            pred_ids, pair_pred = (
                self._renamed(1, plane, ids) for ids in (table.pred_ids, table.pair_pred)
            )
            renamed.append(
                OverlapTable(
                    true_ids,
                    table.true_areas,
                    pred_ids,
                    table.pred_areas,
                    pair_true,
                    pair_pred,
                    table.pair_counts,
                )
            )
        summed = OverlapTable.sum(renamed)
        dtype = id_dtype(*self.new_dtypes)
        return OverlapTable(
            summed.true_ids.astype(dtype),
            summed.true_areas,
            summed.pred_ids.astype(dtype),
            summed.pred_areas,
            summed.pair_true.astype(dtype),
            summed.pair_pred.astype(dtype),
            summed.pair_counts,
        )

    def band(
        self, side: int, width: int, plane: int, whole: bool, stack_ends: bool = True
    ) -> np.ndarray:
        """The ids (of any pixel, the ignored id too) of one plane of a side with a pixel in
        the band of ``width`` pixels at the plane's edge, as :func:`border_ids` finds them;
        ``whole``: for the whole stack, under their new ids, and with ``stack_ends`` at the
        stack's edge too (a plane at either end of a volume is all band; frames of a time
        series, labelled each on its own, have no such end: ``stack_ends=False``)."""
        sums = self.sums[side][plane]
        inside = np.zeros(sums["label"].size, bool)
        for axis, size in enumerate(self.shape):
            if axis == self.axis:
                if whole and stack_ends and (plane < width or plane >= size - width):
                    inside[:] = True
                continue
            inside |= (sums["low"][:, axis] < width) | (sums["high"][:, axis] > size - width)
        ids = sums["label"][inside]
        return self._renamed(side, plane, ids) if whole else ids

    def measurement_sums(self) -> list[dict[str, np.ndarray]]:
        """Both sides' sums over the whole stack under the new ids: each chunk's renamed,
        then added up in the tree of :func:`~napari_seg_eval.core.blocks.chunk_tree`, as
        :func:`measure_both` adds the chunks' sums of the renumbered labels."""
        level = []
        for chunk in self.chunks:
            sides = []
            for side in range(2):
                parts = [dict(entry[3][side]) for entry in chunk]
                for part, entry in zip(parts, chunk, strict=True):
                    part["label"] = self._renamed(side, entry[0], part["label"])
                joined = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
                sides.append(_summed_by_label(joined))
            level.append(sides)
        while len(level) > 1:
            level = [
                [
                    _combine_sums([part[side] for part in level[i : i + COMBINE_EVERY]])
                    for side in (0, 1)
                ]
                for i in range(0, len(level), COMBINE_EVERY)
            ]
        return level[0]


def _summed_tables(tables: list[OverlapTable]) -> OverlapTable:
    """One plane's table from those of its parts."""
    return tables[0] if len(tables) == 1 else OverlapTable.sum(tables)


def _count_planes(
    arrays: dict[str, Any],
    axis: int,
    ignore_label: int | None,
    semantic_ignore: int | None,
    measure: bool,
    plane_counted: Callable[[int, int], None] | None = None,
) -> _PlaneCounts:
    """The :class:`_PlaneCounts` of ``arrays`` (``true``, ``pred`` and optionally
    ``confidence``, ``region``, ``semantic_true`` and ``semantic_pred``, and
    ``semantic_region``: the pixels the semantic pair counts, else ``region``; of one shape): numpy
    ones plane by plane (``plane_counted(planes counted, planes)`` after each: progress and
    cancel), chunked ones in one read of their chunks (one task a chunk, each plane of a
    chunk counted on its own), on dask's current scheduler.

    Before the pass the pairs of labels are checked whole (dtypes, shapes, pixels: nothing
    is read), then, in memory, the map's values (chunked: each chunk's as it is read)."""
    dtypes = (arrays["true"].dtype, arrays["pred"].dtype)  # the ids listed per plane
    arrays = {name: value for name, value in arrays.items() if value is not None}
    for pair in (("true", "pred"), ("semantic_true", "semantic_pred")):
        if pair[0] in arrays:  # as integers (booleans as uint8), as the metrics read them
            arrays[pair[0]], arrays[pair[1]] = as_label_pair(*(arrays[name] for name in pair))
    shape = tuple(arrays["true"].shape)
    if "confidence" in arrays:
        arrays["confidence"] = _checked_probability(arrays["confidence"], shape)
    names, values = list(arrays), list(arrays.values())
    ignore = ignore_label if ignore_label is not None and ignore_label > 0 else None
    count = functools.partial(
        _count_block,
        names=names,
        axis=axis,
        ignore_label=ignore_label,
        semantic_ignore=semantic_ignore,
        measure=measure,
    )
    if not any(is_lazy(value) for value in values):  # the map's values checked above
        chunks = [count((0,) * len(shape), *values, check_range=False, counted=plane_counted)[0]]
        return _PlaneCounts(chunks, shape, axis, dtypes, ignore)

    values = aligned(values)
    starts = [np.cumsum((0, *sizes[:-1])).tolist() for sizes in values[0].chunks]
    tasks = [
        functools.partial(count, offset, check_range=True) for offset in itertools.product(*starts)
    ]
    (chunks,) = compute(chunk_tree(tasks, _joined, values))
    return _PlaneCounts(chunks, shape, axis, dtypes, ignore)


def _joined(parts: list[list]) -> list:
    """The lists of chunk results, end to end (in chunk order)."""
    return [item for part in parts for item in part]


def _count_block(
    offset: tuple[int, ...],
    *blocks: np.ndarray,
    names: list[str],
    axis: int,
    ignore_label: int | None,
    semantic_ignore: int | None,
    measure: bool,
    check_range: bool,
    counted: Callable[[int, int], None] | None = None,
) -> list[list[tuple]]:
    """The counts of each plane of a block at ``offset`` (a chunk, or a whole numpy stack;
    its labels checked): ``[(plane, table, semantic table or None, (true sums, pred sums) or
    None), ...]``, as a list of one chunk's results. ``counted(k, planes)`` is called after
    the block's k-th plane."""
    block = dict(zip(names, blocks, strict=True))
    confidence = block.get("confidence")
    if confidence is not None and check_range:  # a chunk's values, as measure_both checks them
        check_probability_range(confidence.min(), confidence.max(), "probability values")
    out = []
    planes = block["true"].shape[axis]
    for k in range(planes):
        cut = (slice(None),) * axis + (slice(k, k + 1),)
        true, pred = block["true"][cut], block["pred"][cut]
        region = block["region"][cut] if "region" in block else None
        table = overlap_table(true, pred, ignore_label=ignore_label, region=region)
        semantic = None
        if "semantic_true" in block:
            semantic_region = block.get("semantic_region", block.get("region"))
            semantic = overlap_table(
                block["semantic_true"][cut],
                block["semantic_pred"][cut],
                ignore_label=semantic_ignore,
                region=None if semantic_region is None else semantic_region[cut],
            )
        sums = None
        if measure:
            at = tuple(start + (k if i == axis else 0) for i, start in enumerate(offset))
            probability = None if confidence is None else confidence[cut]
            sums = tuple(_object_sums(at, labels, probability, False) for labels in (true, pred))
        out.append((offset[axis] + k, table, semantic, sums))
        if counted is not None:
            counted(k + 1, planes)
    return [out]


def _boundaries(
    true: np.ndarray,
    pred: np.ndarray | None,
    settings: EvaluationSettings,
    region: np.ndarray | None,
    semantic: tuple[np.ndarray, np.ndarray],
    specs: tuple[ClassSpec, ClassSpec] | None,
    excluded: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[BoundaryResult, ObjectBoundaryResult | None]:
    """Boundary metrics per class and per matched pair, as the command line computes them
    (:func:`~napari_seg_eval.core.boundary.pair_boundaries`): per class the images the
    semantic metrics compare (or the objects painted with their classes ``specs``), per
    object (``pred`` not None: the instance labels compared) the objects the matching
    counted, without the ids ``excluded`` at the border. Ignored pixels are outside the
    region, and out of each object's class vote, as in the matching."""
    counted = outside_ignored(true, settings.ignore_label, region)
    classes_by_id = None
    if pred is not None and specs is not None:
        classes_by_id = tuple(
            _classes_of_objects(labels, spec, counted)
            for labels, spec in zip((true, pred), specs, strict=True)
        )
    with called_as("evaluate"):  # its warnings name the function the user called
        return pair_boundaries(
            true,
            pred,
            *semantic,
            binarize=settings.binarize_semantic,
            object_classes=classes_by_id,
            excluded_ids=None if pred is None else excluded,
            spacing=settings.spacing,
            tolerance=settings.tolerance,
            region=counted,
        )


def _boundaries_by_plane(
    true: np.ndarray,
    pred: np.ndarray | None,
    settings: EvaluationSettings,
    region: np.ndarray | None,
    semantic: tuple[np.ndarray, np.ndarray],
    specs: tuple[ClassSpec, ClassSpec] | None,
    axis: int,
    between_planes: Callable[[], None],
) -> list[tuple[BoundaryResult, ObjectBoundaryResult | None]]:
    """:func:`_boundaries` of each plane along ``axis``, each plane an image of its own, as
    each plane's other results take it: distances within the plane (the spacing of its axes),
    the objects at the plane's own edge excluded (``exclude_border``), an object's class the
    majority of its pixels in the plane. ``between_planes()`` is called after each (cancel).

    Examples
    --------
    >>> true = np.zeros((2, 6, 6), np.uint8)
    >>> true[:, 1:4, 1:4] = 1
    >>> pred = np.roll(true, 1, axis=2)
    >>> found = _boundaries_by_plane(
    ...     true, None, EvaluationSettings(), None, (true, pred), None, 0, lambda: None
    ... )
    >>> [float(per_class.summary["mean_hd"]) for per_class, _ in found]
    [1.0, 1.0]
    """
    spacing = settings.spacing
    if spacing is not None and len(spacing) == true.ndim:  # one per axis: the plane's axes
        spacing = tuple(size for k, size in enumerate(spacing) if k != axis)
    in_plane = replace(settings, spacing=spacing)
    width = settings.exclude_border
    found = []
    for plane in range(true.shape[axis]):
        index = (slice(None),) * axis + (plane,)
        plane_true, plane_pred = true[index], None if pred is None else pred[index]
        excluded = None
        if plane_pred is not None and width:
            excluded = (border_ids(plane_true, width), border_ids(plane_pred, width))
        plane_specs = None
        if specs is not None:  # a class image's plane; a mapping serves every plane
            plane_specs = tuple(
                spec if spec.image is None else replace(spec, image=spec.image[index])
                for spec in specs
            )
        found.append(
            _boundaries(
                plane_true,
                plane_pred,
                in_plane,
                None if region is None else region[index],
                tuple(image[index] for image in semantic),
                plane_specs,
                excluded,
            )
        )
        between_planes()
    return found


def _boundaries_over_planes(
    found: list[tuple[BoundaryResult, ObjectBoundaryResult | None]],
) -> tuple[BoundaryResult, ObjectBoundaryResult | None]:
    """The boundary metrics of a stack whose planes are separate images (frames), from each
    plane's (:func:`_boundaries_by_plane`): combined as boundary metrics combine over images,
    the image mean only (``nanmean``: undefined values left out, an infinite one makes the
    mean infinite; never pooled), as the command line's result folders combine them. Per class:
    each class's values averaged over the planes that report it; the summary's means: the
    mean over planes of each plane's means. Per object: every plane's matched pairs (ids
    unique over the stack), the summary's means the mean over planes of each plane's means
    over its pairs, and the counts summed. ``spacing``: a plane's, the axes measured along.

    Examples
    --------
    >>> true = np.zeros((2, 6, 6), np.uint8)
    >>> true[:, 1:4, 1:4] = 1
    >>> pred = true.copy()
    >>> pred[1] = np.roll(true[1], 2, axis=1)  # plane 1: 2 px off; plane 0: exact
    >>> found = _boundaries_by_plane(
    ...     true, None, EvaluationSettings(), None, (true, pred), None, 0, lambda: None
    ... )
    >>> per_class, _ = _boundaries_over_planes(found)
    >>> float(per_class.summary["mean_hd"]), per_class.per_class["hd"].tolist()
    (1.0, [1.0])
    """
    per_class_results = [per_class for per_class, _ in found]
    first = per_class_results[0]
    rows = pd.concat([result.per_class for result in per_class_results], ignore_index=True)
    per_class = rows.groupby("class", sort=True)[list(BOUNDARY_COLUMNS)].agg(nanmean).reset_index()
    means = [f"mean_{column}" for column in BOUNDARY_COLUMNS]
    summary = {key: nanmean([result.summary[key] for result in per_class_results]) for key in means}
    boundary = BoundaryResult(
        per_class=per_class,
        summary=pd.Series({**summary, "n_classes": len(per_class)}, dtype=object),
        spacing=first.spacing,
        tolerance=first.tolerance,
    )
    object_results = [objects for _, objects in found]
    if object_results[0] is None:
        return boundary, None
    object_summary = {
        **{key: nanmean([result.summary[key] for result in object_results]) for key in means},
        **{
            count: int(sum(int(result.summary[count]) for result in object_results))
            for count in ("n_true", "n_pred", "n_matched")
        },
    }
    objects = ObjectBoundaryResult(
        per_object=pd.concat([result.per_object for result in object_results], ignore_index=True),
        summary=pd.Series(object_summary, dtype=object),
        spacing=first.spacing,
        tolerance=first.tolerance,
    )
    return boundary, objects


def _boundary_dataset(
    found: list[tuple[BoundaryResult, ObjectBoundaryResult | None]],
) -> DatasetResult:
    """Each plane's boundary metrics as the rows of many images, as the command line's result
    folders give each image's (``per_image``: a row per plane, ``image`` its index, the
    plane's ``mean_*`` and ``n_classes``, with objects ``object_mean_*`` and ``n_matched``),
    ``image_mean`` the per-class values averaged over the planes, and the ``summary`` their
    image means (``n_images``, ``<value>_image_mean``); boundary metrics are not additive, so
    ``pooled`` is empty.

    Examples
    --------
    >>> true = np.zeros((2, 6, 6), np.uint8)
    >>> true[:, 1:4, 1:4] = 1
    >>> pred = np.roll(true, 1, axis=2)
    >>> found = _boundaries_by_plane(
    ...     true, true, EvaluationSettings(), None, (true, pred), None, 0, lambda: None
    ... )
    >>> planes = _boundary_dataset(found)
    >>> planes.per_image[["image", "mean_hd", "object_mean_hd", "n_matched"]].values.tolist()
    [[0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 1.0]]
    """
    rows = []
    for plane, (per_class, objects) in enumerate(found):
        row = {"image": plane}
        row |= {
            f"mean_{column}": per_class.summary[f"mean_{column}"] for column in BOUNDARY_COLUMNS
        }
        row["n_classes"] = int(per_class.summary["n_classes"])
        if objects is not None:
            row |= {
                f"object_mean_{column}": objects.summary[f"mean_{column}"]
                for column in BOUNDARY_COLUMNS
            }
            row["n_matched"] = int(objects.summary["n_matched"])
        rows.append(row)
    per_image = pd.DataFrame(rows)
    values = [c for c in per_image.columns if c not in ("image", "n_classes", "n_matched")]
    summary = {"n_images": len(rows)}
    summary |= {f"{c}_image_mean": nanmean(per_image[c].to_numpy(float)) for c in values}
    combined, _ = _boundaries_over_planes(found)
    return DatasetResult(
        per_image=per_image,
        pooled=pd.DataFrame(),
        image_mean=combined.per_class,
        summary=pd.Series(summary, dtype=object),
    )


def _classes_of_objects(labels: np.ndarray, spec: ClassSpec, counted: Any) -> pd.Series:
    """The class of every object of ``labels`` with pixels ``counted``, by id: the majority of
    those pixels (as :func:`instance_metrics` takes it)."""
    ids = np.unique(labels if counted is None else labels[counted])
    ids = ids[ids != 0]
    return pd.Series(object_classes(ids, spec, labels, counted), index=ids)


def _coco(
    true: Any,
    pred: Any,
    confidence: Any,
    measurements: pd.DataFrame,
    settings: EvaluationSettings,
    region: Any,
) -> CocoAPResult:
    """COCO AP of the predicted objects ranked by their mean probability, as the command line
    scores them: the mean inside the region (every pixel of the object without one); pixels
    of the ignored truth id, and outside the region, are left out of the matching."""
    if region is None:
        rows = measurements[measurements["kind"] == "pred"]
    else:
        rows = object_measurements(np.where(region, pred, 0), confidence)
    scores = pd.DataFrame({"label": rows["label"], "score": rows["mean_confidence"]})
    return coco_average_precision(
        true,
        pred,
        scores,
        iou_thresholds=settings.iou_thresholds,
        region=outside_ignored(true, settings.ignore_label, region),
    )


def _pixel_class_pair(
    true: Any, pred: Any, classes: tuple, ignore_label: int | None, region: Any = None
) -> tuple[Any, Any]:
    """Each pixel's class on each side, the images a run with object classes compares in its
    semantic metrics by class (:func:`~napari_seg_eval.core.classes.pixel_classes`): a class
    image as it is; a mapping's class of the object at each pixel, 0 on the background and
    on the truth's ignored id (lazily for chunked labels)."""
    true_spec, pred_spec = _checked_classes(classes, tuple(true.shape))
    return (
        pixel_classes(true, true_spec, ignore_label, labels_name="ground truth", region=region),
        pixel_classes(pred, pred_spec, labels_name="prediction", region=region),
    )


def _semantic_inputs(true, pred, ignore_label, binarize):
    """The images and ignore label that the semantic metrics compare."""
    if not binarize:
        return true, pred, ignore_label
    foreground = (pred > 0).view(np.uint8)
    if binarized_ignore_label(ignore_label) == 0:  # the background ignored: 0 is no class
        return _foreground(true, None), foreground, 0
    return _foreground(true, ignore_label), foreground, None if ignore_label is None else 2


def _foreground(labels: np.ndarray, ignore_label: int | None) -> np.ndarray:
    """1 on objects, 0 on background, and 2 where the ignore label was (to stay ignored)."""
    out = (labels > 0).view(np.uint8)
    if ignore_label is not None:  # np.where keeps a chunked image lazy
        out = np.where(labels == ignore_label, np.uint8(2), out)
    return out


def result_tables(record: Evaluation) -> dict[str, pd.DataFrame]:
    """The tables the widget shows: summary, per class, per threshold, per plane, per object,
    and (when computed) per class of objects, class confusion and boundary metrics.

    The summary has one row per (evaluation, metric key, value); keys are the API's names, the
    widget shows the catalogue's labels. Its evaluations, in this order: ``instance``,
    ``semantic``, ``boundary`` (means over classes), ``boundary per object`` (means over
    matched pairs), ``ctc``, ``coco`` (COCO AP, score-ranked) and ``<kind> per plane``.
    """
    rows = []
    instance = record.instance
    summaries = [("instance", instance, "instance.summary")]  # AP and F1 first in the table
    summaries.append(("semantic", record.semantic, "semantic.summary"))
    summaries.append(("boundary", record.boundary, "boundary.summary"))
    summaries.append(("boundary per object", record.object_boundary, "boundary.summary"))
    for name, result, table in summaries:
        if result is None:
            continue
        rows += [
            {"evaluation": name, "metric": k, "value": count_as_integer(k, v, table)}
            for k, v in result.summary.items()
        ]
    if record.ctc is not None:
        rows += [
            {"evaluation": "ctc", "metric": k, "value": count_as_integer(k, v, "ctc")}
            for k, v in record.ctc.items()
        ]
    if record.coco is not None:
        rows += [
            {"evaluation": "coco", "metric": k, "value": v} for k, v in record.coco.summary.items()
        ]
    for name, dataset in record.planes.items():
        rows += [
            {
                "evaluation": f"{name} per plane",
                "metric": k,
                "value": count_as_integer(k, v, "dataset.summary"),
            }
            for k, v in dataset.summary.items()
        ]
    frames = [
        dataset.per_image.drop(columns=["aji_numerator", "aji_denominator"], errors="ignore")
        .rename(columns={"image": "plane"})
        .set_index("plane")
        for dataset in record.planes.values()
    ]
    per_plane = pd.concat(frames, axis=1).reset_index() if frames else pd.DataFrame()
    empty = pd.DataFrame()
    summary = pd.DataFrame(  # "value" stays object: counts as integers, ratios as floats
        {
            "evaluation": [row["evaluation"] for row in rows],
            "metric": [row["metric"] for row in rows],
            "value": pd.Series([row["value"] for row in rows], dtype=object),
        },
        columns=["evaluation", "metric", "value"],
    )
    has_classes = instance is not None and instance.per_class is not None
    return {
        "summary": summary,
        "per_class": record.semantic.per_class if record.semantic is not None else empty,
        "per_threshold": instance.per_threshold if instance is not None else empty,
        "per_plane": per_plane,
        "per_object": (record.object_rows(instance.per_object) if instance is not None else empty),
        "instance_per_class": instance.per_class if has_classes else empty,
        "class_confusion": confusion_table(instance.class_confusion) if has_classes else empty,
        "boundary_per_class": record.boundary.per_class if record.boundary is not None else empty,
        "boundary_per_object": (
            record.object_boundary.per_object if record.object_boundary is not None else empty
        ),
        "coco_per_threshold": record.coco.per_threshold if record.coco is not None else empty,
    }


def confusion_table(confusion: pd.DataFrame) -> pd.DataFrame:
    """The class confusion (true class × predicted class counts) as a flat table.

    Examples
    --------
    >>> confusion = pd.DataFrame(
    ...     [[3, 1]], index=pd.Index([1], name="true class"),
    ...     columns=pd.Index([1, 2], name="predicted class"),
    ... )
    >>> confusion_table(confusion).columns.tolist()
    ['true class', 'predicted 1', 'predicted 2']
    """
    flat = confusion.rename(columns=lambda c: f"predicted {c}")
    flat.columns.name = None
    return flat.rename_axis("true class").reset_index()


def is_time_axis(axis_labels: Sequence[str], axis: int) -> bool:
    """True when napari's label of ``axis`` names time: one of :data:`TIME_LABELS` (``t``,
    ``time``, ``frame``, ``frames``), in any case.

    Examples
    --------
    >>> is_time_axis(("t", "y", "x"), 0), is_time_axis(("z", "y", "x"), 0)
    (True, False)
    >>> is_time_axis(("Frame", "y", "x"), 0)
    True
    """
    return str(axis_labels[axis]).strip().lower() in TIME_LABELS
