"""Evaluating pairs of files: one pair at a time, or one task per pair on a dask cluster.

Never more than one pair's arrays are held at once: each pair is read, reduced to its additive
overlap table(s) (chunked files chunk by chunk, by the core on dask's current scheduler:
probability maps thresholded and labelled lazily), and its arrays are dropped. The per-image,
pooled and image-mean results are built from the small tables alone, so the serial run and the
distributed run give identical numbers.

Besides the overlap tables a pair may give: its boundary metrics (``boundary=True``: not
additive, so computed per pair on the whole masks in memory, and reported per image and as an
image mean only), the counts of the Cell Tracking Challenge's SEG and DET (``preset="ctc"``:
additive, pooled by summing), and its ranked detections for COCO AP (``preset="coco"``: each
predicted object's score, its mean probability, and whether it matches at each IoU threshold;
pooled as pycocotools accumulates detections over images).
"""

from __future__ import annotations

import functools
import os
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import dask
import numpy as np
import pandas as pd
from dask.callbacks import Callback

from .._version import __version__
from ..core._results import Result, counts_as_integers, nanmean
from ..core._thread_callbacks import compute, on_this_thread
from ..core._validate import (
    BINARIZE_OFF,
    check_ignore_label,
    integer_map_dtype,
    outside_ignored,
    warn_if_background_ignored,
    warn_if_foreground_only,
)
from ..core._warn import warn
from ..core.blocks import as_dask, fold, fold_lazy, in_memory, is_lazy
from ..core.classes import (
    ClassSpec,
    check_background_class,
    majority_of_table,
    negative_ids_named,
)
from ..core.compare import bootstrap_ctc
from ..core.dataset import (
    DatasetResult,
    ImageParts,
    dataset_from_parts,
    dataset_from_tables,
    instance_image_parts,
)
from ..core.instance import (
    DEFAULT_IOU_THRESHOLDS,
    ObjectPairs,
    border_ids,
    border_ids_lazy,
    check_criterion,
    check_exclude_border,
    looks_like_probabilities,
    remove_objects,
    threshold_fraction,
)
from ..core.overlap import OverlapTable, binarized_table, overlap_table_lazy
from ..core.review import object_scores_lazy, object_scores_of, relabelled_sums
from ..core.semantic import (
    IGNORE_VALUE_HINT,
    binarized_ignore_label,
    ignore_value_suspected,
    unannotated_object_suspected,
)
from ..core.tracking import ctc_counts, ctc_scores, ctc_sum, ctc_values, slice_counts
from .pairs import (
    PAIRING_KEYWORDS,
    PRESET_PREFIXES,
    Pairing,
    _companions,
    find_class_files,
    find_region_files,
    listed_pairing,
    pair_files,
)
from .progress import Progress, TextProgress
from .read import (
    PYTHON_OPTIONS,
    FileMetadata,
    Notice,
    PixelSize,
    checked_labels,
    checked_probabilities,
    chunked_if_large,
    close_store,
    file_notices,
    open_files,
    read_as,
    read_labels,
    volume_plane,
)

#: What each ``kind`` computes, in order. A new kind adds an entry here and a table builder in
#: :func:`_pair_tables` and :func:`_dataset`.
KINDS: dict[str, tuple[str, ...]] = {
    "instance": ("instance",),
    "semantic": ("semantic",),
    "all": ("instance", "semantic"),
    "boundary": (),
}

#: The challenge presets computed from files: all of them. ``conic`` needs class images
#: (``truth_classes_suffix`` and ``prediction_classes_suffix``); ``coco`` needs probability
#: maps (an object's score is its mean probability).
FILE_PRESETS = ("dsb2018", "neurips2022", "ctc", "conic", "coco")

#: Boundary metrics hold a pair's masks in memory: pairs with more pixels than this are
#: refused with a message naming the file (about 1 GiB of working memory at this size).
BOUNDARY_MAX_PIXELS = 1 << 25

_CONIC_NEEDS_CLASSES = (
    "the conic preset needs class images of both sides: give truth_classes_suffix and "
    "prediction_classes_suffix."
)

_COCO_NEEDS_SCORES = (
    "the coco preset ranks the predicted objects by a score: give probability maps "
    "(probability=True), whose objects are scored by their mean probability. "
    "Label files carry no score, and with equal scores pycocotools ranks detections in the "
    "order they are listed, so AP would depend on the object ids."
)


def _preset_error(preset: str) -> str:
    from ..core.presets import PRESETS

    if preset == "conic":
        return _CONIC_NEEDS_CLASSES
    return f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}."


#: The options of probability maps (the fields of :class:`FileSettings` only read when the
#: predictions are probability maps), at their defaults: a label prediction is compared as it
#: is, so any other value is refused without ``probability``.
MAP_OPTIONS: dict[str, Any] = {
    "threshold": 0.5,
    "channel_axis": None,
    "background_channel": False,
    "connectivity": 1,
    "min_size": 0,
    "split_touching": False,
}


def _listed(words: Sequence[str]) -> str:
    """``words`` joined as a sentence lists them: "a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


#: Seconds between two reports of the tasks done within one pair.
TASK_REPORT_SECONDS = 0.2


@dataclass(frozen=True)
class FileSettings:
    """Every setting of a run over files (written to ``settings.json``).

    ``kind``: "instance", "semantic" or "all". ``iou_thresholds``: matching thresholds.
    ``probability``: predictions are probability maps, thresholded at ``threshold`` (``p >
    threshold``; a class axis ``channel_axis`` gives the argmax class: channel k is class k +
    1, or class k with ``background_channel``, channel 0 then being background) and, for
    instance metrics, labelled into objects (``min_size``, ``split_touching`` as
    :func:`~napari_seg_eval.label_instances`); without ``probability`` these options
    (:data:`MAP_OPTIONS`) are refused at any value but their default, as nothing reads them.
    ``ignore_label``: truth id left out of every count. ``binarize_semantic``: semantic
    metrics compare foreground (label > 0) with background; False compares label values as
    classes (with class images: the class images' pixels, the truth's ignored ones left
    out). ``include_background``: class 0 in the semantic means. ``exclude_border``:
    instance objects touching a band of this many pixels at the image edge are removed from
    both sides. ``criterion``: the instance matching criterion (``"iou"``, ``"iot"``,
    ``"iop"``, as :func:`~napari_seg_eval.instance_metrics`).
    ``with_classes``: each pair has class images (multi-class instance results).
    ``preset``: the challenge preset the settings came from (see :func:`with_preset`), if any.
    ``background_class``: with class images, the class that is no class in the per-class
    counts (see :func:`~napari_seg_eval.core.classes.check_background_class`): the preset's
    (``conic``: 0, background in CoNIC's class maps), set with it, else None. Saved with the
    other fields, so that a run under another rule compares as differing in it.
    ``boundary``: also boundary metrics per image (kind ``"boundary"``: only those), with
    distances in the units of ``spacing`` (one value per axis, or one for all; default 1 per
    axis, pixels; ``"file"``: each pair's pixel size read from its files, see
    :func:`evaluate_files`) and NSD / boundary F1 at ``tolerance`` (same units). With
    ``probability`` and ``split_touching``, ``spacing`` is also the pixel size at which
    touching objects are split (without boundary metrics too).
    ``region``: a mask file (non-zero where pixels count) of every pair's shape;
    ``region_suffix``: each pair's own mask, the file named like the pair plus this suffix
    beside its truth file. With both, pixels count where both masks are non-zero.
    ``truth_suffix``, ``prediction_suffix``, ``truth_prefix``, ``prediction_prefix``: how
    the files were paired by name;
    ``truth_classes_suffix``, ``prediction_classes_suffix``: how each pair's class images
    were found (both given: ``with_classes`` is set). ``prediction_classes_from_map``: the
    truth's class images with probability maps with a class axis and no prediction class
    images: the predicted objects' classes are the map's own (its thresholded argmax, the
    class image the objects were labelled from); set by the suffixes (``with_classes`` too).
    See :func:`evaluate_files`.

    :meth:`to_dict` gives the settings as the keyword arguments of :func:`evaluate_files`
    (``settings.json``'s ``settings``): every field but ``with_classes``, which the class
    suffixes set.
    """

    kind: str = "instance"
    iou_thresholds: tuple[float, ...] = DEFAULT_IOU_THRESHOLDS
    probability: bool = False
    threshold: float = 0.5
    channel_axis: int | None = None
    background_channel: bool = False
    connectivity: int | None = 1
    min_size: int = 0
    split_touching: bool = False
    ignore_label: int | None = None
    binarize_semantic: bool = True
    include_background: bool = True
    exclude_border: int = 0
    criterion: str = "iou"
    with_classes: bool = False
    preset: str | None = None
    confidence_interval: float | None = None
    boundary: bool = False
    spacing: tuple[float, ...] | str | None = None
    tolerance: float = 1.0
    region: str | None = None
    region_suffix: str | None = None
    background_class: int | None = None
    truth_suffix: str = ""
    prediction_suffix: str = ""
    truth_classes_suffix: str | None = None
    prediction_classes_suffix: str | None = None
    truth_prefix: str = ""
    prediction_prefix: str = ""
    prediction_classes_from_map: bool = False

    @property
    def splits_at_spacing(self) -> bool:
        """Whether the pairs' objects are split by :func:`~napari_seg_eval.label_instances`
        with ``split_touching`` (probability maps): the run's ``spacing`` is then also the
        split's pixel size."""
        return self.probability and self.split_touching

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}.")
        class_axis = self.probability and self.channel_axis is not None
        if _with_classes(self.truth_classes_suffix, self.prediction_classes_suffix, class_axis):
            object.__setattr__(self, "with_classes", True)
        from_map = self.with_classes and self.prediction_classes_suffix is None
        if self.prediction_classes_from_map and not from_map:
            raise ValueError(
                "prediction_classes_from_map takes the predicted classes from probability maps "
                "with a class axis: give probability=True, channel_axis, truth_classes_suffix "
                "and no prediction_classes_suffix."
            )
        object.__setattr__(self, "prediction_classes_from_map", from_map)
        if self.kind == "boundary":
            object.__setattr__(self, "boundary", True)
        if isinstance(self.spacing, str):
            if self.spacing != "file":
                raise ValueError(
                    f"spacing must be numbers, one per axis (or one for all), or 'file' (each "
                    f"pair's pixel size from its files), got {self.spacing!r}."
                )
        elif self.spacing is not None:
            spacing = tuple(float(v) for v in np.atleast_1d(np.asarray(self.spacing, float)))
            if not spacing or not all(np.isfinite(v) and v > 0 for v in spacing):
                raise ValueError(
                    f"spacing must be positive finite numbers, one per axis (or one for all), "
                    f"got {self.spacing!r}."
                )
            object.__setattr__(self, "spacing", spacing)
        tolerance = float(self.tolerance)
        if not (np.isfinite(tolerance) and tolerance >= 0):
            raise ValueError(f"tolerance must be a finite number >= 0, got {self.tolerance!r}.")
        object.__setattr__(self, "tolerance", tolerance)
        if self.tolerance != 1.0 and not self.boundary:
            raise ValueError("tolerance is for boundary metrics: set boundary=True.")
        if self.spacing is not None and not (self.boundary or self.splits_at_spacing):
            # split_touching given for label predictions: the option is the one out of place
            # (it is for probability maps), not a missing one.
            self._check_map_options()
            split = "" if self.probability else "probability=True and "
            raise ValueError(
                "spacing is for boundary metrics and for splitting touching objects of "
                f"probability maps: set boundary=True, or {split}split_touching=True."
            )
        if self.region is not None:
            object.__setattr__(self, "region", str(self.region))
        thresholds = tuple(float(t) for t in np.atleast_1d(self.iou_thresholds))
        if not thresholds:
            raise ValueError("iou_thresholds is empty; give at least one IoU threshold.")
        for value in thresholds:
            threshold_fraction(value)  # raises on a value outside (0, 1]
        object.__setattr__(self, "iou_thresholds", thresholds)
        if not 0.0 <= float(self.threshold) <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold!r}.")
        if self.min_size < 0:
            raise ValueError(f"min_size must be >= 0, got {self.min_size}.")
        self._check_map_options()
        if self.background_channel and self.channel_axis is None:
            raise ValueError(
                "background_channel says channel 0 of a map's class axis is background: give "
                "the channel_axis too (a map without a class axis has no channels)."
            )
        object.__setattr__(self, "exclude_border", check_exclude_border(self.exclude_border))
        object.__setattr__(self, "ignore_label", check_ignore_label(self.ignore_label))
        check_criterion(self.criterion)
        if self.confidence_interval is not None and not 0 < self.confidence_interval < 1:
            raise ValueError(
                f"confidence_interval must be in (0, 1), got {self.confidence_interval!r}."
            )
        if self.with_classes and "instance" not in self.kinds:
            raise ValueError("class images are for instance metrics: use kind 'instance' or 'all'.")
        if not self.include_background and "semantic" not in self.kinds:
            raise ValueError(
                "include_background=False leaves class 0 out of the semantic means: use kind "
                "'semantic' or 'all'."
            )
        if self.preset is not None and self.preset not in FILE_PRESETS:
            raise ValueError(_preset_error(self.preset))
        if self.preset == "conic" and not self.with_classes:
            raise ValueError(_CONIC_NEEDS_CLASSES)
        if self.preset == "coco" and not self.probability:
            raise ValueError(_COCO_NEEDS_SCORES)
        if self.preset == "coco" and self.channel_axis is not None:
            raise ValueError(
                "the coco preset scores the objects of a one-class probability map: leave out "
                "channel_axis."
            )
        self._set_background_class()

    def _check_map_options(self) -> None:
        """Refuse the options of probability maps (:data:`MAP_OPTIONS`, at a value other than
        its default) for label predictions, which are compared as they are: nothing reads
        them."""
        if self.probability:
            return
        unused = [name for name, default in MAP_OPTIONS.items() if getattr(self, name) != default]
        if unused:
            one = len(unused) == 1
            raise ValueError(
                f"{_listed(unused)} {'is' if one else 'are'} for probability maps: set "
                "probability=True (the predictions are probability maps), or leave "
                f"{'it' if one else 'them'} out (label predictions are compared as they are)."
            )

    def _set_background_class(self) -> None:
        """``background_class``: the preset's (with class images) when not given, checked."""
        value = self.background_class
        if self.preset is not None and self.with_classes:
            from ..core.presets import get_preset

            fixed = get_preset(self.preset).background_class
            if value is not None and value != fixed:
                raise ValueError(
                    f"the {self.preset} preset sets background_class to {fixed}; leave it out."
                )
            value = fixed
        if value is not None:
            value = check_background_class(value, with_classes=True)  # an integer >= 0
            if not self.with_classes:
                raise ValueError(
                    "background_class is for class images: give truth_classes_suffix and "
                    "prediction_classes_suffix too (or leave it out)."
                )
        object.__setattr__(self, "background_class", value)

    @classmethod
    def with_preset(cls, preset: str, **settings: Any) -> FileSettings:
        """Settings of a challenge preset (``kind``, ``iou_thresholds``, ``exclude_border``,
        ``criterion``; with class images ``background_class``), with the other ``settings``
        as given.

        Parameters
        ----------
        preset : str
            ``"dsb2018"``, ``"neurips2022"``, ``"ctc"``, ``"conic"`` (with
            ``with_classes=True``) or ``"coco"`` (with ``probability=True``).
        **settings
            Any other field; the preset's own fields may not be given too.

        Returns
        -------
        FileSettings

        Raises
        ------
        ValueError
            For an unknown preset, one the files cannot compute, or a setting it fixes.

        Examples
        --------
        >>> FileSettings.with_preset("neurips2022").exclude_border
        2
        >>> FileSettings.with_preset("conic", with_classes=True).background_class
        0
        """
        if preset not in FILE_PRESETS:
            raise ValueError(_preset_error(preset))
        fixed = {"kind", "iou_thresholds", "exclude_border", "criterion"} & set(settings)
        if fixed:
            raise ValueError(
                f"the {preset} preset sets {', '.join(sorted(fixed))}; leave them out."
            )
        from ..core.presets import get_preset

        chosen = get_preset(preset)
        return cls(
            kind="instance",
            iou_thresholds=chosen.iou_thresholds,
            exclude_border=chosen.exclude_border,
            criterion=chosen.criterion,
            preset=preset,
            **settings,
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        """The metric families computed from overlap tables (instance, semantic)."""
        return KINDS[self.kind]

    @property
    def families(self) -> tuple[str, ...]:
        """Every metric family computed: the kinds, then boundary, ctc, coco as asked."""
        extra = ("boundary",) if self.boundary else ()
        if self.preset in ("ctc", "coco"):
            extra += (self.preset,)
        return self.kinds + extra

    def to_dict(self) -> dict[str, Any]:
        """The settings as the keyword arguments of :func:`evaluate_files` that make them, in
        plain JSON values: ``settings.json``'s ``settings``, from which a run is made again.

        Returns
        -------
        dict
            Every field but ``with_classes`` (set by the class suffixes), each under its
            keyword of :func:`evaluate_files`; tuples as lists.

        Examples
        --------
        >>> settings = file_settings(preset="neurips2022", truth_suffix="_masks")
        >>> keywords = settings.to_dict()
        >>> keywords["iou_thresholds"], keywords["truth_suffix"]
        ([0.5], '_masks')
        >>> file_settings(**keywords) == settings
        True
        """
        settings = asdict(self)
        del settings["with_classes"]  # a keyword of no function: the class suffixes set it
        settings["iou_thresholds"] = list(self.iou_thresholds)
        if isinstance(self.spacing, tuple):
            settings["spacing"] = list(self.spacing)
        return settings


@dataclass
class PairOutcome:
    """What one pair gave: its overlap tables (one per kind) and, with class images, the class
    of each object per side (id -> class); or the error that stopped it.

    ``instance``: the pair's instance metrics, matched where the pair was read (on a
    cluster's worker), reduced to what the dataset tables add up (see
    :func:`~napari_seg_eval.core.dataset.instance_image_parts`).

    ``boundary``: the pair's boundary values (``values``: the per-image columns; ``per_class``:
    one row per class). ``ctc``: the summed IoU of the CTC matches and the counts.
    ``coco``: ``scores`` (one per predicted object), ``matched`` (IoU thresholds × objects)
    and ``n_true``. ``notices``: what the user should know about the pair's files (an integer
    probability map scaled; a label file that looks like a probability map; a map's classes
    one too high, its channel 0 likely background), told once per run by
    :func:`evaluate_files`. ``empty_map``: the prediction is an integer probability map
    with no pixel above the threshold anywhere while the truth has objects where it is scored
    (as a label image read as probabilities has: ids / 65535), counted in one notice per run;
    a float map low everywhere is a weak prediction, not a label image.
    ``one_value_per_object``: the prediction is an integer probability map whose objects are
    each one value, as a label image's (see :func:`_one_value_per_object`), counted in one
    notice per run.
    ``plane``: the plane of the prediction's volume the pair was scored on (its truth a 2-D
    slice: the Cell Tracking Challenge's ``man_seg_T_Z.tif``), or None."""

    tables: dict[str, OverlapTable] | None
    error: str | None = None
    shape: tuple[int, ...] | None = None
    classes: tuple[pd.Series, pd.Series] | None = None
    boundary: dict[str, Any] | None = None
    ctc: dict[str, Any] | None = None
    coco: dict[str, Any] | None = None
    instance: ImageParts | None = None
    notices: list[Notice] = field(default_factory=list)
    empty_map: bool = False
    one_value_per_object: bool = False
    plane: int | None = None


@dataclass(frozen=True, repr=False)
class FilesResult(Result):
    """Metrics of many file pairs.

    ``per_image``: one row per pair (``name``, ``truth``, ``prediction`` — absolute paths —,
    ``plane`` — only when some truth files are 2-D slices of 3-D frames: the plane of the
    prediction each was scored on, empty for whole images —, ``error`` — empty unless the pair
    failed — then each kind's per-image columns).
    ``summary``: ``n_pairs``, ``n_failed`` and each kind's dataset summary (``*_pooled``,
    ``*_image_mean``).
    ``datasets``: kind -> :class:`~napari_seg_eval.DatasetResult` over the pairs that
    succeeded (also ``result["instance"]``). ``tables``: the other tables by file name
    (``boundary_image_mean``, ``boundary_per_class``, ``ctc_pooled``, ``ctc_image_mean``,
    ``coco_pooled``, ``coco_image_mean``, as computed). ``pairing``: the pairs and the files
    left out. ``settings``: the :class:`FileSettings`. ``notices``: what the user should know
    about some files (each a :class:`~napari_seg_eval.io.read.Notice`; :func:`evaluate_files`
    warns them, one :class:`~napari_seg_eval.io.read.FileNotice` per kind).
    """

    per_image: pd.DataFrame
    summary: pd.Series
    datasets: dict[str, DatasetResult]
    pairing: Pairing
    settings: FileSettings = field(default_factory=FileSettings)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)

    _main = "per_image"

    def __getitem__(self, kind: str) -> DatasetResult:
        if kind not in self.datasets:
            raise KeyError(
                f"no {kind!r} results: computed {', '.join(self.datasets) or 'nothing'}"
                f" (kind={self.settings.kind!r}{', every pair failed' if self.n_failed else ''})."
            )
        return self.datasets[kind]

    def write(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write the result folder (see :func:`~napari_seg_eval.io.write_results`).

        Parameters
        ----------
        folder : str or Path
            The folder to create: the tables, ``summary.csv`` and ``settings.json``.
        overwrite : bool
            Replace an existing result folder (a folder holding anything else is never
            replaced).

        Returns
        -------
        Path
            The folder written.

        Raises
        ------
        FileExistsError
            ``folder`` is refused (it holds files, and ``overwrite`` is off, or files that are
            not results); nothing is written.

        Examples
        --------
        >>> from napari_seg_eval import evaluate_files
        >>> evaluate_files("truth/", "pred/").write("results/run1")  # doctest: +SKIP
        PosixPath('results/run1')
        """
        from .results import write_results

        return write_results(self, folder, overwrite=overwrite)

    def _shown(self) -> pd.DataFrame:
        """``per_image`` with the file names of each pair, not their absolute paths."""
        return self.per_image.assign(
            **{side: self.per_image[side].map(_file_name) for side in ("truth", "prediction")}
        )

    @property
    def n_failed(self) -> int:
        """Number of pairs that failed (their errors are in ``per_image["error"]``)."""
        return int((self.per_image["error"] != "").sum())

    @property
    def failed(self) -> pd.DataFrame:
        """The pairs that failed: name, truth, prediction, error."""
        rows = self.per_image[self.per_image["error"] != ""]
        return rows[["name", "truth", "prediction", "error"]].reset_index(drop=True)


def _file_name(path: str) -> str:
    """The last part of a file's path (or URL)."""
    return Path(path).name or path


class _TaskProgress(Callback):
    """Reports the tasks finished in each dask schedule (local schedulers, on the thread of
    the pair, :func:`on_this_thread`) to ``report``: at most every
    :data:`TASK_REPORT_SECONDS`, and when the schedule ends."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        super().__init__()
        self.report = report
        self.last = 0.0

    def _start_state(self, dsk, state) -> None:
        self.last = time.perf_counter()

    def _posttask(self, key, result, dsk, state, worker_id) -> None:
        now = time.perf_counter()
        if now - self.last >= TASK_REPORT_SECONDS:
            self.last = now
            self._report(state)

    def _finish(self, dsk, state, errored) -> None:
        if not errored:
            self._report(state)

    def _report(self, state) -> None:
        done = len(state["finished"])
        self.report(done, done + sum(len(state[k]) for k in ("ready", "waiting", "running")))


def evaluate_files(
    truth: str | Path | Iterable[Any] | Pairing,
    prediction: str | Path | Iterable[str | Path] | None = None,
    *,
    kind: str = "instance",
    iou_thresholds: Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    probability: bool = False,
    threshold: float = 0.5,
    channel_axis: int | None = None,
    background_channel: bool = False,
    connectivity: int | None = 1,
    min_size: int = 0,
    split_touching: bool = False,
    ignore_label: int | None = None,
    binarize_semantic: bool = True,
    include_background: bool = True,
    exclude_border: int = 0,
    criterion: str = "iou",
    preset: str | None = None,
    confidence_interval: float | None = None,
    truth_suffix: str = "",
    prediction_suffix: str = "",
    truth_classes_suffix: str | None = None,
    prediction_classes_suffix: str | None = None,
    boundary: bool = False,
    spacing: float | Sequence[float] | str | None = None,
    tolerance: float = 1.0,
    region: str | Path | None = None,
    region_suffix: str | None = None,
    background_class: int | None = None,
    truth_prefix: str = "",
    prediction_prefix: str = "",
    prediction_classes_from_map: bool = False,
    client: Any = None,
    progress: bool | Progress | None = False,
) -> FilesResult:
    """Evaluate prediction files against ground-truth files, one pair in memory at a time.

    Parameters
    ----------
    truth, prediction
        Folders or files of each side, paired by name (:func:`pair_files`, with
        ``truth_suffix`` and ``prediction_suffix``). Or ``truth`` alone: a :class:`Pairing`, or
        a list of (truth path, prediction path) pairs, each named by its truth file's name
        without ``truth_prefix`` and ``truth_suffix`` (as pairing by folders names it). A
        Pairing of :func:`pair_files` brings the prefixes and suffixes it was made with
        (``Pairing.made_with``): those left out here are its own (its region and class
        files are then found by its suffixes), and recorded so; one given at another value
        is refused (see :func:`pairing_keywords`). Each file is one image, a
        2-D image or a 3-D volume: a pair with a file whose metadata names a time axis (ImageJ
        or OME-TIFF axes such as ``TYX``, an OME-Zarr axis of type ``"time"``) fails with a
        message saying to save one file per time point, as its frames would be matched as one
        volume.
    kind
        "instance" (matching at ``iou_thresholds``), "semantic" (pixel-wise; foreground vs
        background unless ``binarize_semantic=False``), "all" (both) or "boundary" (boundary
        metrics only).
    iou_thresholds
        Instance: the IoU thresholds objects are matched at (default 0.5, 0.55, ..., 0.95);
        each in (0, 1].
    probability, threshold, channel_axis, background_channel, connectivity, min_size, \
split_touching
        Predictions are probability maps: foreground where ``p > threshold`` (argmax over
        ``channel_axis`` for classes: channel k is class k + 1; with ``background_channel``,
        channel 0 is background and channel k is class k), objects labelled as
        :func:`label_instances` does. A map of n channels compared class by class
        (``binarize_semantic=False``) with a truth whose classes run 0..n-1 while the map's
        reach n gets a ``FileNotice``: its channel 0 is likely background.
        Without ``channel_axis``, the class axis an OME-Zarr map declares is read (see
        :func:`declared_class_axis`): the first OME-Zarr map's, when every map of the run
        is OME-Zarr; where some are not, the run is refused before it starts, naming the
        maps and the ``channel_axis`` to give (one class axis is read for every map, and
        the other formats declare none); ``background_channel`` then applies to it
        (refused before the run, naming the first map, when no axis is read). A map
        whose metadata name a channel axis of one channel, read without a class axis, is
        read as a map of one class (that axis dropped).
        ``connectivity`` is 1 (faces only) by default, as in the dock widget and
        :func:`label_instances`; ``None`` joins diagonal neighbours too. uint8 and uint16 maps are
        read as value / 255 (65535), said in one :class:`~napari_seg_eval.io.FileNotice` (a
        ``UserWarning``) per run and dtype, naming the first such file and how many more
        there are. Without ``probability``, a uint8/uint16 prediction is scored as labels;
        one that looks like a probability map (16 values or more, most of them touching three
        or more true objects and covering less than half of every one; instance metrics
        only) gets a ``FileNotice`` too, never an error. With ``probability``, predictions
        with no pixel above ``threshold`` anywhere while their truth has objects (label
        images read as probabilities: ids / 65535) are counted in one ``FileNotice``; an
        empty field of view, or objects left out by ``exclude_border``, ``region`` or
        ``ignore_label``, are not. Without ``probability``, ``threshold``, ``channel_axis``,
        ``background_channel``, ``connectivity``, ``min_size`` and ``split_touching`` at
        other values than their defaults are refused: nothing reads them. A map with a
        background channel thresholded above 0 whose semantic metrics are computed: the
        pixels whose most probable channel is a class not above the threshold are background;
        when some are of the truth's foreground, one ``FileNotice`` counts them (threshold 0
        is the argmax). Instance metrics against maps with a class axis (without class
        images) whose truth looks like a class image (its ids all classes of the map, each
        holding many predicted objects, see
        :func:`~napari_seg_eval.evaluation.class_image_suspected`) get a ``FileNotice``
        naming the first such truth: per-class pixel metrics are ``kind="semantic"`` with
        ``binarize_semantic=False``.
    ignore_label
        Truth id whose pixels are left out of every count.
    binarize_semantic
        Semantic and boundary: compare foreground (label > 0) with background (default);
        False compares label values as classes, or, with class images, each pixel's class
        (the two class images; the truth's ignored pixels left out).
    include_background
        Semantic, with ``binarize_semantic=False``: class 0 counts in the means over classes
        (default True).
    exclude_border
        Instance: objects touching a band of this many pixels at the image edge are removed
        from both sides before matching.
    criterion
        Instance: the matching criterion, "iou" (default), "iot" or "iop" (see
        :func:`~napari_seg_eval.instance_metrics`).
    preset
        A challenge preset ("dsb2018", "neurips2022", "ctc", "conic" or "coco"): it sets
        ``kind``, ``iou_thresholds``, ``exclude_border`` and ``criterion`` (leave those at
        their defaults). "conic" needs class images (objects of class 0, background in
        CoNIC's class maps, are in no class). "ctc" adds SEG and DET per image (each
        file one frame), pooled from the summed counts and as an image mean; with no prefix
        nor suffix given, it pairs folders by the challenge's names (``man_seg000.tif`` with
        ``mask000.tif``, the prefixes ``man_seg`` and ``mask``) when those pair more files
        than the names as they are (see :func:`pair_files`), and the settings record those
        prefixes. "coco" needs
        probability maps (an object's score is its mean probability inside the region) and
        adds COCO AP per image and pooled as pycocotools accumulates detections over images
        (no limit on detections per image).
    confidence_interval
        E.g. 0.95: the summary gains ``*_low`` / ``*_high`` for every pooled and image-mean
        headline value, a percentile bootstrap over the images evaluated (see
        :func:`~napari_seg_eval.dataset_metrics`); NaN (empty in ``summary.csv``) for a value
        drawn from fewer than 2 images, where every resample would be the value itself.
    truth_suffix, prediction_suffix
        The end of the names (before the extension) that marks each side's files, e.g.
        ``"_masks"`` and ``"_cp_masks"`` for Cellpose (default: none); see
        :func:`pair_files`. With a list of pairs, ``truth_suffix`` only names them; with a
        Pairing, its own are taken (see above).
    truth_prefix, prediction_prefix
        The start of the names that marks each side's files, e.g. ``"man_seg"`` and
        ``"mask"`` for the Cell Tracking Challenge (``man_seg000.tif``, ``mask000.tif``;
        default: none); see :func:`pair_files`. A pair's name is then without the prefix;
        its class and region files are found by the name of their file
        (``man_seg000_classes.tif``) or of the pair (``000_classes.tif``). With a list of
        pairs, ``truth_prefix`` only names them. With its truth prefix, the challenge's 2-D
        slices of 3-D frames pair too: the truth ``man_seg_007_042.tif`` with the prediction
        ``mask007.tif``, scored on its plane 42 (read alone where the file allows), named
        ``007_042`` with a ``plane`` column in ``per_image``; a plane outside the volume fails
        the pair naming both files. With ``preset="ctc"`` a slice adds to SEG as the
        challenge scores it (its true objects pooled with all others) and not to DET, which
        the challenge computes from the tracking markers of whole volumes (not read): a
        slice's DET is NaN, said in a ``FileNotice``.
    truth_classes_suffix, prediction_classes_suffix
        Class images, both or neither (multi-class instance results, see
        :func:`~napari_seg_eval.dataset_metrics`): the class image of a pair's truth
        (prediction) file F is, beside it, the file named as F plus the suffix, or as the
        pair plus the suffix (any image extension; both at once fails the pair, naming them);
        class files are not paired as images themselves. Probability maps with a class axis
        (``channel_axis``) need only ``truth_classes_suffix``: the predicted objects' classes
        are then the map's own, its thresholded argmax (the class image the objects were
        labelled from; nothing else is read), recorded as ``prediction_classes_from_map``.
    prediction_classes_from_map
        Set by the suffixes as said above (``settings.json`` records it); giving True where
        they do not set it is refused.
    background_class
        With class images: the class that is no class (its objects are in no per-class count
        nor in the means over classes; they stay objects in the class-agnostic counts). The
        ``conic`` preset sets 0; default None, every class is a class.
    boundary, spacing, tolerance
        Also boundary metrics (HD, HD95, ASSD, NSD, boundary F1; see
        :func:`~napari_seg_eval.boundary_metrics`) per image: of the foreground, or per class
        with ``binarize_semantic=False``, plus the means over object pairs matched at IoU 0.5
        when the instance kind is computed. Distances are in the units of ``spacing`` (one
        value per axis, or one for all; default 1 per axis, pixels); NSD and boundary F1 at
        ``tolerance``, in the same units. ``spacing="file"`` reads each pair's pixel size from
        its files' metadata (see :func:`~napari_seg_eval.io.read.file_pixel_size`: ImageJ
        resolution and ``spacing``, OME ``PhysicalSizeX/Y/Z``, OME-Zarr level 0's ``scale``
        of the spatial axes), used when truth and prediction agree to a relative 1e-6 and name
        the same unit; ``tolerance`` is then in that unit. A prediction whose metadata give
        no pixel size takes its truth's, with a notice (a Cell Tracking Challenge result
        folder's); a spacing given that a file's metadata contradict is used, with a notice
        naming both. A pair whose files disagree or give no size for an axis fails with a
        message naming the files and their sizes; the size
        used is recorded per image (``spacing``, ``spacing_unit``). Not additive: reported
        per image and as an image mean, never pooled. With ``"file"``, the run is refused
        before any pair is evaluated when no pair's files all give a pixel size (the headers
        read, up to the first pair whose files do; see :func:`check_first_pair`); otherwise
        the pairs without one fail alone, whatever their order. Each pair's masks are held
        in memory; pairs of more than :data:`BOUNDARY_MAX_PIXELS` pixels fail with a message
        naming the file. With ``probability`` and ``split_touching`` (with or without
        ``boundary``), ``spacing`` (or each pair's pixel size with ``"file"``) is also the
        pixel size at which touching objects are split (:func:`label_instances`'
        ``spacing``); default None splits in pixels, as before. A pair scored on one plane
        of a volume drops the plane axis's entry of a spacing of one value per axis of the
        volume.
    region, region_suffix
        Score only part of each image: ``region`` is one mask file for every pair (non-zero
        where pixels count, of the pairs' shape); ``region_suffix`` finds each pair's own mask,
        the file named as its truth file, or as the pair, plus the suffix, beside its truth
        file (not paired as an image itself). Pixels outside are left out of every count, as
        ``region=`` in the core. With both (or ``region`` with a :class:`Pairing` made with
        a ``region_suffix``, which brings its suffix), a pixel counts where both masks are
        non-zero. A pair whose region file is missing or of another shape fails with the file
        named; one with two region files (named as its truth file and as the pair, plus the
        suffix) fails naming both.
    client
        A ``dask.distributed.Client``: one task per pair runs on its cluster (the files must be
        readable there; a pair's chunked files are computed on the worker that reads them).
        The pairs of a task whose worker died are evaluated again one by one, so that only
        the pair that kills its worker fails. A scheduler with no worker for 10 s or more
        (none started yet, or all lost) is waited for, said once in a ``NoWorkerLeft``
        warning. Default: the current client if one is active, else this process.
    progress
        True: the command line's progress bar on stderr (in a notebook too: on a stream that is
        not a terminal it prints a line every 5% of the pairs, and each failed pair). A
        :class:`~napari_seg_eval.io.progress.Progress`: receives a report after each pair (and
        the tasks reading a chunked pair when run here). False (the default) or None: nothing
        is shown.

    Returns
    -------
    FilesResult
        Per-pair rows (failed pairs with their error), the dataset results per kind, the
        pairing and the settings; ``.write(folder)`` writes the result folder. Its
        ``settings.json`` holds these keywords (``settings``) and the pairs: the run is made
        again, to the same numbers, by ``evaluate_files([(p["truth"], p["prediction"]) for p
        in s["pairs"]], **s["settings"])`` with ``s`` the file's JSON.

    Raises
    ------
    FileReadError
        A folder or file does not exist, or two files of a side share a name.
    ValueError
        A setting is invalid, or there are no pairs (when the names of the two sides differ
        by a suffix or a prefix, the error names the keywords to give), or ``truth`` alone is
        no list of (truth, prediction) pairs (a path, or two paths in one tuple: the error
        says to pass them as two arguments); raised before any file is read.
    ConnectionError
        On a cluster, the connection to the dask scheduler was lost during the run (the
        message says after how many pairs): no partial result.

    Warns
    -----
    FileNotice
        One per kind of notice of the run's files (a ``UserWarning``, see above). Those whose
        ``likely_wrong`` is True say that the numbers are likely wrong (a map's channel 0
        likely background, a class image scored as instance labels, a mask or a map scored
        as labels, a boolean mask as one object, label images read as probabilities, pixels
        of the truth's classes made background by the threshold, a truth value that is no
        predicted class (255, or above a map's classes) scored as a class without
        ``ignore_label``); the others say how files were read (a uint8 map scaled, a grey
        colour image, a slice's DET not scored, a spacing given that a file's metadata
        contradict, a prediction without a pixel size given its truth's). Counts summed over
        many files are said to be totals.

    Examples
    --------
    >>> from napari_seg_eval import evaluate_files
    >>> result = evaluate_files(
    ...     "truth/", "cellpose/", prediction_suffix="_cp_masks"
    ... )  # doctest: +SKIP
    >>> result["instance"].summary["mean_accuracy_pooled"]  # doctest: +SKIP

    From a notebook, with the command line's progress bar (on stderr):

    >>> result = evaluate_files("truth/", "pred/", progress=True)  # doctest: +SKIP
    [#####-------------------------] 2/12 pairs, 1 s  img2
    """
    held = background_channel_held(probability, background_channel, channel_axis)
    if prediction is None and isinstance(truth, Pairing):
        # The pairing's own prefixes and suffixes: settings.json names its pairs as it did.
        taken = pairing_keywords(
            truth,
            truth_suffix=truth_suffix,
            prediction_suffix=prediction_suffix,
            truth_prefix=truth_prefix,
            prediction_prefix=prediction_prefix,
            region_suffix=region_suffix,
            truth_classes_suffix=truth_classes_suffix,
            prediction_classes_suffix=prediction_classes_suffix,
        )
        truth_suffix, prediction_suffix = taken["truth_suffix"], taken["prediction_suffix"]
        truth_prefix, prediction_prefix = taken["truth_prefix"], taken["prediction_prefix"]
        region_suffix = taken["region_suffix"]
        truth_classes_suffix = taken["truth_classes_suffix"]
        prediction_classes_suffix = taken["prediction_classes_suffix"]
    settings = file_settings(
        kind=kind,
        iou_thresholds=iou_thresholds,
        probability=probability,
        threshold=threshold,
        channel_axis=channel_axis,
        # Without a class axis given, the one the maps declare takes it (declared_class_axis).
        background_channel=background_channel and not held,
        connectivity=connectivity,
        min_size=min_size,
        split_touching=split_touching,
        ignore_label=ignore_label,
        binarize_semantic=binarize_semantic,
        include_background=include_background,
        exclude_border=exclude_border,
        criterion=criterion,
        preset=preset,
        confidence_interval=confidence_interval,
        truth_suffix=truth_suffix,
        prediction_suffix=prediction_suffix,
        truth_classes_suffix=truth_classes_suffix,
        prediction_classes_suffix=prediction_classes_suffix,
        boundary=boundary,
        spacing=spacing,
        tolerance=tolerance,
        region=region,
        region_suffix=region_suffix,
        background_class=background_class,
        truth_prefix=truth_prefix,
        prediction_prefix=prediction_prefix,
        prediction_classes_from_map=prediction_classes_from_map,
    )
    if "instance" in settings.kinds:
        warn_if_background_ignored(settings.ignore_label, "evaluate_files")
    if "semantic" in settings.kinds and settings.binarize_semantic:
        warn_if_foreground_only(settings.ignore_label, "evaluate_files", BINARIZE_OFF)
    if settings.region is not None:
        check_region_file(settings.region)
    pairing = as_pairing(
        truth,
        prediction,
        truth_suffix,
        prediction_suffix,
        prefixes=(truth_prefix, prediction_prefix),
        companions={
            "region_suffix": region_suffix,
            "truth_classes_suffix": truth_classes_suffix,
            "prediction_classes_suffix": prediction_classes_suffix,
        },
        preset=settings.preset,
    )
    if pairing.named_by is not None and not (settings.truth_prefix or settings.prediction_prefix):
        # Paired by the challenge's names: recorded, so that settings.json makes the run again.
        named = PRESET_PREFIXES[pairing.named_by]
        settings = replace(settings, truth_prefix=named[0], prediction_prefix=named[1])
    pairing, classes, regions = find_companions(
        pairing, truth_classes_suffix, prediction_classes_suffix, region_suffix
    )
    settings, declared = declared_class_axis(pairing, settings, background_channel=held)
    check_first_pair(pairing, settings)
    if isinstance(progress, bool):
        progress = TextProgress() if progress else None
    outcomes = run_pairs(
        pairing, settings, client=client, progress=progress, classes=classes, regions=regions
    )
    result = collect(pairing, outcomes, settings)
    if declared is not None:
        result.notices.insert(0, declared)
    for warning in file_notices(result.notices):
        warn(warning)
    return result


def pairing_keywords(pairing: Pairing, **given: str | None) -> dict[str, str | None]:
    """The prefixes and suffixes of a run of ``pairing``: each of :data:`PAIRING_KEYWORDS`
    as given to :func:`evaluate_files` (``given``), or where it is left at its default (""
    for a prefix or a name suffix, None for a region or class suffix), as the pairing was
    made with (``Pairing.made_with``, see :func:`pair_files`). Its pairs are named by those,
    and its region and class files were set aside by them: recorded so, ``settings.json``
    makes the run again under the same names, with the same region and class files.

    Raises
    ------
    ValueError
        A keyword given at another value than the pairing was made with (its pairs are
        named, and its files set aside, by the pairing's).

    Examples
    --------
    >>> from pathlib import Path
    >>> pairing = Pairing([(Path("a_masks.tif"), Path("a_cp.tif"))], ["a"],
    ...                   made_with={"truth_suffix": "_masks", "prediction_suffix": "_cp"})
    >>> pairing_keywords(pairing, truth_suffix="", region_suffix="_region")["truth_suffix"]
    '_masks'
    >>> pairing_keywords(pairing, truth_suffix="_gt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: truth_suffix='_gt' is not the truth_suffix the pairing was made with ('_masks'): ...
    """
    made = pairing.made_with or {}
    taken: dict[str, str | None] = {}
    for key in PAIRING_KEYWORDS:
        companion = key in _COMPANION_KEYWORDS
        unset = None if companion else ""
        value = given.get(key, unset)
        own = made.get(key, unset)
        if key not in made or value == own:  # as given (a pairing made otherwise: always)
            taken[key] = value
        elif value == unset:
            taken[key] = own
        elif companion and own is None:  # region or class files found among the pairs
            taken[key] = value
        else:
            raise ValueError(
                f"{key}={value!r} is not the {key} the pairing was made with ({own!r}): its "
                f"pairs are named and its files found by the pairing's; give pair_files "
                f"{key}={value!r}, or leave it out here."
            )
    return taken


#: The keywords of :data:`PAIRING_KEYWORDS` that find each pair's region and class files
#: (None when not given), not its name.
_COMPANION_KEYWORDS = ("region_suffix", "truth_classes_suffix", "prediction_classes_suffix")


def _header(
    path: str | Path, *, labels: bool, pixel_size: bool = False
) -> tuple[tuple[int, ...], FileMetadata] | None:
    """The shape of the image in ``path`` and its metadata, from one opening of its header
    (no pixel read, as :func:`~napari_seg_eval.io.read.file_shape`), or None where it cannot
    be opened here (the run says why; on a cluster it may be readable where the workers read
    it)."""
    try:
        ((array, metadata),) = open_files(
            [path], labels=[labels], pixel_size=pixel_size, lazy=[True]
        )
    except Exception:  # whatever the file meets: the pair's own error says it
        return None
    shape = tuple(int(size) for size in array.shape)
    close_store(array)
    return shape, metadata


def background_channel_held(
    probability: bool, background_channel: bool, channel_axis: int | None
) -> bool:
    """Whether ``background_channel`` waits for the class axis the maps declare: given for
    probability maps without a ``channel_axis``. The run's settings are then made without it
    (:class:`FileSettings` refuses it without a class axis), and
    :func:`declared_class_axis` with ``background_channel=True`` sets it with the axis the
    maps declare, or refuses it when they declare none.

    Examples
    --------
    >>> background_channel_held(True, True, None), background_channel_held(True, True, 0)
    (True, False)
    """
    return bool(probability and background_channel and channel_axis is None)


def _declared_channels(path: str | Path) -> tuple[int, int] | None:
    """The channel axis an OME-Zarr map's multiscales metadata name (``"type":
    "channel"``) and its number of channels, from its header; None for another file, a
    map that names none, or one that cannot be opened here."""
    if not _named_zarr(path):
        return None
    header = _header(path, labels=False)
    if header is None:
        return None
    shape, metadata = header
    axis = metadata.channel_axis
    if axis is None or metadata.axes is None or len(shape) != len(metadata.axes):
        return None
    return axis, shape[axis]


def declared_class_axis(
    pairing: Pairing,
    settings: FileSettings,
    *,
    background_channel: bool = False,
    words: Mapping[str, str] = PYTHON_OPTIONS,
) -> tuple[FileSettings, Any]:
    """The run's settings with the class axis the first pair's probability map declares,
    when none is given: an OME-Zarr map whose multiscales metadata name one axis a channel
    axis (``"type": "channel"``, :attr:`~napari_seg_eval.io.read.FileMetadata.channel_axis`)
    of two channels or more. A given ``channel_axis`` always wins. The axis is recorded in
    the settings (``settings.json``: the run is made again by it) and said in a notice.

    One class axis is read for every map of a run: the first OME-Zarr map's (the first map
    whose name ends in ``.zarr``, whatever its place; its header alone is opened) is taken
    when every map of the run is OME-Zarr. Where some are not (NPY, TIFF, PNG: formats
    whose files declare no class axis), the run is refused before it starts, naming that
    map, how many are not OME-Zarr and the first of them (with its shape, from its header)
    and the option to give: read without a class axis, every pair whose map has one would
    fail, and the OME-Zarr axis is not applied to files that do not declare it (a map
    stored (Y, X, C), or a volume of 3 planes, would be read wrongly or fail).

    A channel axis of one channel is no class axis: it is not taken, and each pair's map
    is read without it, as a map of one class (see :func:`evaluate_pair`).

    Parameters
    ----------
    pairing : Pairing
        The run's pairs; the first OME-Zarr prediction's header is read (no pixel), and
        where others are not OME-Zarr, the first of those's.
    settings : FileSettings
        The run's settings.
    background_channel : bool
        ``background_channel`` was given without a class axis (see
        :func:`background_channel_held`): set it with the axis taken, and refuse it when
        none is.
    words : mapping
        How the options are named in the refusals: :data:`~napari_seg_eval.io.read.
        PYTHON_OPTIONS` (default), ``COMMAND_LINE_OPTIONS`` or ``DOCK_OPTIONS``. The
        notice's are named when it is told (``FileNotice.text``).

    Returns
    -------
    tuple of (FileSettings, Notice or None)
        The settings (with ``channel_axis`` set when declared and taken), and the notice
        that says so.

    Raises
    ------
    ValueError
        The map declares a class axis the settings cannot take (the coco preset scores
        one-class maps); or it declares one and some maps are not OME-Zarr (the message
        names both kinds' first map and the class axis to give); or
        ``background_channel`` without a class axis taken (the message names the first map
        and why).

    Examples
    --------
    >>> maps = file_settings(probability=True)
    >>> settings, notice = declared_class_axis(pairing, maps)  # doctest: +SKIP
    >>> settings.channel_axis  # doctest: +SKIP
    0
    """
    if not settings.probability or settings.channel_axis is not None or not pairing.pairs:
        if background_channel:  # no map to declare one: as the settings refuse it
            _refuse_background_channel(words, "")
        return settings, None
    maps = [prediction for _, prediction in pairing.pairs]
    # The first OME-Zarr map declares the run's class axis, whatever its place.
    first = next((path for path in maps if _named_zarr(path)), maps[0])
    place = "the first map" if first == maps[0] else "the first OME-Zarr map"
    found = _declared_channels(first)
    if found is None or found[1] < 2:
        if background_channel:
            names = "no channel axis" if found is None else "a channel axis of one channel"
            _refuse_background_channel(words, f"; {first}, {place}, names {names}")
        return settings, None
    axis, n = found
    others = [path for path in maps if not _named_zarr(path)]
    if others:
        if background_channel:
            _refuse_background_channel(
                words,
                f"; {first}, {place}, names axis {axis} a channel axis, not read as the "
                f"maps' class axis: {len(others)} of the run's {len(maps)} maps are not "
                "OME-Zarr",
            )
        _refuse_mixed_maps(first, (axis, n), others, len(maps), words)
    if settings.preset == "coco":
        raise ValueError(
            f"{first}: its OME-Zarr metadata name axis {axis} a channel axis of {n} "
            "channels, a map of as many classes, and the coco preset scores the objects of a "
            "one-class probability map."
        )
    template = (
        f"{{file}}: its OME-Zarr metadata name axis {axis} a channel axis of {n} channels: it "
        f"is read as the maps' class axis ({{channel_axis}}{axis}, recorded in the settings; "
        "give another class axis to read it otherwise)"
    )
    taken = replace(settings, channel_axis=axis, background_channel=background_channel)
    return taken, Notice(template, str(first))


def _named_zarr(path: str | Path) -> bool:
    """Whether ``path`` is read as a zarr store: its name ends in ``.zarr``, or it is a zarr
    array or group named otherwise (``slide.ome.zarr/0``; its metadata files are looked for,
    none read: see :func:`~napari_seg_eval.io.read.read_as`)."""
    return str(read_as(path)).endswith(".zarr")


def _refuse_mixed_maps(
    declaring: str | Path,
    channels: tuple[int, int],
    others: Sequence[str | Path],
    n_maps: int,
    words: Mapping[str, str],
) -> None:
    """Refuse a run without a class axis whose OME-Zarr map ``declaring`` names one
    (``channels``: its axis and number of channels) while ``others`` of its ``n_maps`` maps
    are of formats that declare none: one class axis is read for every map, so the run
    would read the two kinds differently (the others' pairs, or the OME-Zarr ones, failing).
    The message names the first of each kind (with the other's shape from its header) and
    the option to give, in ``words``."""
    axis, n = channels
    header = _header(others[0], labels=False)
    shape = "" if header is None else f", shape {header[0]}"
    raise ValueError(
        f"{declaring}: its OME-Zarr metadata name axis {axis} a channel axis of {n} "
        f"channels, but {len(others)} of the run's {n_maps} maps are not OME-Zarr and "
        f"declare no class axis (the first: {others[0]}{shape}); one class axis is read for "
        "every map, and none is given: give the class axis all of them have "
        f"({words['channel_axis']}{axis} if it is axis {axis} in every map), or evaluate "
        "the OME-Zarr maps and the others in two runs."
    )


def _refuse_background_channel(words: Mapping[str, str], why: str) -> None:
    """Refuse ``background_channel`` where no class axis is read, ``why`` (the first map's
    axes) said in the parentheses, the options named by ``words``."""
    raise ValueError(
        f"{words['background_channel']} says channel 0 of a map's class axis is background: "
        f"{words['give_channel_axis']} (a map without a class axis has no channels{why})."
    )


def _uncalibrated(path: str | Path, *, labels: bool) -> tuple[int, ...] | None:
    """The shape of the image in ``path`` when its metadata give no pixel size; None when
    they give one, or the file cannot be opened here (the run says why)."""
    header = _header(path, labels=labels, pixel_size=True)
    if header is None or header[1].pixel_size is not None:
        return None
    return header[0]


def check_first_pair(
    pairing: Pairing,
    settings: FileSettings,
    *,
    words: Mapping[str, str] = PYTHON_OPTIONS,
) -> None:
    """Refuse before the run, from file headers (no pixel read), the settings the pairs
    would all fail on: a class axis ``channel_axis`` the first pair's probability map has no
    axis for, and ``spacing="file"`` where no pair's files all give a pixel size.

    The class axis is checked on the first map only: pairs whose headers differ from the
    first's still fail one by one, with their error. For ``spacing="file"``, the first
    pair's headers are read; only when one of its files gives no pixel size are the other
    pairs' read, up to the first pair whose files all give one (a TIFF's header is read in
    about 0.5 ms, an OME-Zarr's in about 3 ms): the run is refused when none does, else the
    pairs without one fail alone, whatever their order. A file that cannot be opened here
    leaves the question to the run.

    Parameters
    ----------
    pairing : Pairing
        The run's pairs.
    settings : FileSettings
        The run's settings.
    words : mapping
        How the options are named: :data:`~napari_seg_eval.io.read.PYTHON_OPTIONS`
        (default), ``COMMAND_LINE_OPTIONS`` or ``DOCK_OPTIONS`` (keys ``channel_axis``,
        ``spacing_file`` and ``spacing_values``).

    Raises
    ------
    ValueError
        Naming the file, what its header shows and what to give instead.

    Examples
    --------
    >>> check_first_pair(pairing, file_settings(probability=True, channel_axis=3))  # doctest: +SKIP
    Traceback (most recent call last):
    ValueError: channel_axis=3: pred/a.tif, the first map, has 3 axes (shape (2, 32, 32)) ...
    """
    if not pairing.pairs:
        return
    prediction = pairing.pairs[0][1]
    axis = settings.channel_axis
    if settings.probability and axis is not None:
        header = _header(prediction, labels=False)
        shape = None if header is None else header[0]
        if shape is not None and not -len(shape) <= axis < len(shape):
            ndim = len(shape)
            raise ValueError(
                f"{words['channel_axis']}{axis}: {prediction}, the first map, has {ndim} axes "
                f"(shape {shape}), none of them axis {axis}: give its class axis, one of "
                f"0..{ndim - 1} (or -{ndim}..-1 from the end)."
            )
    if (settings.boundary or settings.splits_at_spacing) and settings.spacing == "file":
        first = None  # the first file without a pixel size, and its shape
        for truth, _ in pairing.pairs:  # a prediction without one takes its truth's
            shape = _uncalibrated(truth, labels=True)
            if shape is None:
                return  # a pair with its pixel size (or not readable here): the run decides
            first = first or (truth, shape)
        path, shape = first
        raise ValueError(
            f"{path}: its metadata give no pixel size, and {words['spacing_file']} reads each "
            "pair's from its files (ImageJ or OME-TIFF resolution, OME-Zarr scale): give "
            f"{words['spacing_values']} one value per axis ({axes_example(len(shape))}) or one "
            "for all."
        )


def file_settings(
    *,
    kind: str = "instance",
    iou_thresholds: Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    probability: bool = False,
    threshold: float = 0.5,
    channel_axis: int | None = None,
    background_channel: bool = False,
    connectivity: int | None = 1,
    min_size: int = 0,
    split_touching: bool = False,
    ignore_label: int | None = None,
    binarize_semantic: bool = True,
    include_background: bool = True,
    exclude_border: int = 0,
    criterion: str = "iou",
    preset: str | None = None,
    confidence_interval: float | None = None,
    truth_suffix: str = "",
    prediction_suffix: str = "",
    truth_classes_suffix: str | None = None,
    prediction_classes_suffix: str | None = None,
    boundary: bool = False,
    spacing: float | Sequence[float] | str | None = None,
    tolerance: float = 1.0,
    region: str | Path | None = None,
    region_suffix: str | None = None,
    background_class: int | None = None,
    truth_prefix: str = "",
    prediction_prefix: str = "",
    prediction_classes_from_map: bool = False,
) -> FileSettings:
    """The settings of a run of :func:`evaluate_files` from its keywords (the same ones, with
    the same defaults), checked before any file is listed or read.

    Parameters
    ----------
    kind, iou_thresholds, probability, threshold, channel_axis, background_channel, \
connectivity, min_size, split_touching, ignore_label, binarize_semantic, include_background, \
exclude_border, criterion, preset, confidence_interval, truth_suffix, prediction_suffix, \
truth_classes_suffix, prediction_classes_suffix, boundary, spacing, tolerance, region, \
region_suffix, background_class, truth_prefix, prediction_prefix, prediction_classes_from_map
        As :func:`evaluate_files` takes them. ``region`` is recorded as an absolute path
        (the file itself is checked by :func:`check_region_file`). With a ``preset``, the
        fields it sets may be given at its own values (as :meth:`FileSettings.to_dict`
        records them), not at others.

    Returns
    -------
    FileSettings

    Raises
    ------
    ValueError
        A setting, or a combination of them, is refused.

    Examples
    --------
    >>> file_settings(preset="neurips2022").exclude_border
    2
    >>> file_settings(probability=True, threshold=1.5)
    Traceback (most recent call last):
    ...
    ValueError: threshold must be in [0, 1], got 1.5.
    """
    chosen = {
        "kind": kind,
        "iou_thresholds": tuple(iou_thresholds),
        "exclude_border": exclude_border,
        "criterion": criterion,
    }
    if preset is not None:  # the preset's fields, unless changed from the defaults and its own
        defaults = {
            "kind": "instance",
            "iou_thresholds": DEFAULT_IOU_THRESHOLDS,
            "exclude_border": 0,
            "criterion": "iou",
        }
        own = _preset_fields(preset)
        chosen = {
            key: value
            for key, value in chosen.items()
            if not _same_field(value, defaults[key]) and not _same_field(value, own.get(key))
        }
    others = dict(
        probability=probability,
        threshold=threshold,
        channel_axis=channel_axis,
        background_channel=background_channel,
        connectivity=connectivity,
        min_size=min_size,
        split_touching=split_touching,
        ignore_label=ignore_label,
        binarize_semantic=binarize_semantic,
        include_background=include_background,
        with_classes=_with_classes(
            truth_classes_suffix,
            prediction_classes_suffix,
            probability and channel_axis is not None,
        ),
        confidence_interval=confidence_interval,
        boundary=boundary,
        spacing=spacing,
        tolerance=tolerance,
        region=None if region is None else _absolute(region),
        region_suffix=region_suffix,
        background_class=background_class,
        truth_suffix=truth_suffix,
        prediction_suffix=prediction_suffix,
        truth_classes_suffix=truth_classes_suffix,
        prediction_classes_suffix=prediction_classes_suffix,
        truth_prefix=truth_prefix,
        prediction_prefix=prediction_prefix,
        prediction_classes_from_map=prediction_classes_from_map,
    )
    if preset is None:
        return FileSettings(**chosen, **others)
    return FileSettings.with_preset(preset, **chosen, **others)


def _preset_fields(preset: str) -> dict[str, Any]:
    """The fields a file preset sets, at its values ({} for a name that is no file preset:
    :meth:`FileSettings.with_preset` refuses it)."""
    if preset not in FILE_PRESETS:
        return {}
    from ..core.presets import get_preset

    chosen = get_preset(preset)
    return {
        "kind": "instance",
        "iou_thresholds": chosen.iou_thresholds,
        "exclude_border": chosen.exclude_border,
        "criterion": chosen.criterion,
    }


def _same_field(value: Any, other: Any) -> bool:
    """Whether a setting's value is ``other`` (IoU thresholds compared as tuples of floats)."""
    if isinstance(other, tuple):
        try:
            return tuple(float(v) for v in value) == tuple(float(v) for v in other)
        except (TypeError, ValueError):
            return False
    return value == other


def find_companions(
    pairing: Pairing,
    truth_classes_suffix: str | None,
    prediction_classes_suffix: str | None,
    region_suffix: str | None,
) -> tuple[Pairing, list | None, list | None]:
    """The pairing without class and region files, and each pair's class files and region
    file (or the error saying why they were not found); None where not asked for.

    Examples
    --------
    >>> pairing, classes, regions = find_companions(
    ...     pair_files("truth/", "pred/"), None, None, "_region"
    ... )  # doctest: +SKIP
    """
    classes = regions = None
    if truth_classes_suffix is not None:
        pairing, classes = class_files(pairing, truth_classes_suffix, prediction_classes_suffix)
    if region_suffix is not None:
        pairing, regions = find_region_files(pairing, region_suffix)
        if classes is not None:  # region files are not class files: pairs kept by both
            pairing, classes = class_files(pairing, truth_classes_suffix, prediction_classes_suffix)
    if not pairing.pairs:
        raise no_pairs_error(pairing)
    return pairing, classes, regions


def class_files(
    pairing: Pairing, truth_classes_suffix: str, prediction_classes_suffix: str | None
) -> tuple[Pairing, list]:
    """Each pair's class files (see :func:`~napari_seg_eval.io.pairs.find_class_files`), or
    without ``prediction_classes_suffix`` the truth's alone, as (truth class file, None): the
    prediction's classes are its map's own.

    Examples
    --------
    >>> pairing, classes = class_files(pair_files("gt/", "maps/"), "_classes", None)
    ... # doctest: +SKIP
    """
    if prediction_classes_suffix is not None:
        return find_class_files(pairing, truth_classes_suffix, prediction_classes_suffix)
    found, kept = _companions(pairing, (truth_classes_suffix, None), "class image")
    return kept, [f if isinstance(f, str) else (f[0], None) for f in found]


def check_region_file(path: str | Path) -> None:
    """Refuse a region file that cannot be read as a mask (integer or boolean pixels), before
    any pair is read. Its shape is checked against each pair's.

    Examples
    --------
    >>> check_region_file("left_half.tif")  # doctest: +SKIP
    """
    read_labels(path, role="region")


def _with_classes(
    truth_classes_suffix: str | None,
    prediction_classes_suffix: str | None,
    class_axis: bool = False,
) -> bool:
    """Whether class images are read: both suffixes given, or neither (else an error); or,
    for probability maps with a class axis (``class_axis``), the truth's alone (the
    predictions' classes are then the maps' own)."""
    if truth_classes_suffix is None and prediction_classes_suffix is not None:
        raise ValueError(
            "give both truth_classes_suffix and prediction_classes_suffix (or neither); got "
            "only prediction_classes_suffix."
        )
    if truth_classes_suffix is not None and prediction_classes_suffix is None and not class_axis:
        raise ValueError(
            "give both truth_classes_suffix and prediction_classes_suffix (or neither); got "
            "only truth_classes_suffix. (Probability maps with a class axis, channel_axis, "
            "need only the truth's: the prediction's classes are then the map's.)"
        )
    return truth_classes_suffix is not None


def as_pairing(
    truth,
    prediction,
    truth_suffix: str = "",
    prediction_suffix: str = "",
    companions: dict[str, str | None] | None = None,
    prefixes: tuple[str, str] = ("", ""),
    preset: str | None = None,
) -> Pairing:
    """A :class:`Pairing` from folders/files of each side, a list of pairs (named by their
    truth files, without the truth prefix and ``truth_suffix``; under the Cell Tracking
    Challenge's truth prefix, a truth named as its slice ``man_seg_T_Z`` is scored on plane Z
    of its prediction, as :func:`pair_files` pairs it: see
    :func:`~napari_seg_eval.io.pairs.listed_pairing`), or a Pairing.
    ``companions``: the region and class suffixes, whose files :func:`pair_files` never hints
    as truth or predictions; ``prefixes``: the truth and prediction prefixes; ``preset``: the
    run's, by whose challenge's names folders are paired when no prefix nor suffix is given
    (see :func:`pair_files`)."""
    if prediction is not None:
        pairing = pair_files(
            truth,
            prediction,
            truth_suffix=truth_suffix,
            prediction_suffix=prediction_suffix,
            truth_prefix=prefixes[0],
            prediction_prefix=prefixes[1],
            preset=preset,
            **(companions or {}),
        )
    elif isinstance(truth, Pairing):
        pairing = truth
    else:
        pairs = [(Path(t), Path(p)) for t, p in _listed_pairs(truth)]
        pairing = listed_pairing(pairs, truth_suffix, prefixes[0])
    if not pairing.pairs:
        raise no_pairs_error(pairing)
    return pairing


#: What a truth given alone must be, said when it is not (``{call}``: the call to make).
_PAIRS_WANTED = (
    "pass truth and prediction as two arguments, {call}, or a list of (truth, prediction) "
    "pairs as the one argument"
)


def _listed_pairs(given: Any) -> list[tuple[Any, Any]]:
    """``given``, a truth without a prediction, as a list of (truth, prediction) paths; or a
    ``ValueError`` saying how to give them: a path alone (one side only), two paths in a
    tuple or list (the two folders as one argument), or items that are not pairs of paths.

    Examples
    --------
    >>> _listed_pairs([("gt/a.tif", "pred/a.tif")])
    [('gt/a.tif', 'pred/a.tif')]
    >>> _listed_pairs(("gt", "pred"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: got one argument, ('gt', 'pred'): pass ... two arguments, evaluate_files('gt', ...
    """
    wanted = _PAIRS_WANTED.format(call="evaluate_files(truth, prediction)")
    if isinstance(given, str | Path):
        raise ValueError(f"got only the truth, {str(given)!r}, and no prediction: {wanted}.")
    try:
        items = list(given)
    except TypeError:
        raise ValueError(
            f"got {type(given).__name__} {given!r} as the truth, and no prediction: {wanted}."
        ) from None
    if len(items) == 2 and all(isinstance(item, str | Path) for item in items):
        truth, prediction = (str(item) for item in items)
        call = f"evaluate_files({truth!r}, {prediction!r})"
        raise ValueError(
            f"got one argument, {(truth, prediction)!r}: {_PAIRS_WANTED.format(call=call)}."
        )
    for index, item in enumerate(items):
        if isinstance(item, str | Path | bytes) or _length(item) != 2:
            raise ValueError(
                f"item {index} of the pairs, {item!r}, is not a (truth, prediction) pair: {wanted}."
            )
    return [tuple(item) for item in items]


def _length(item: Any) -> int | None:
    """``len(item)``, or None for an object without a length."""
    try:
        return len(item)
    except TypeError:
        return None


def no_pairs_error(pairing: Pairing) -> ValueError:
    """The error of a pairing without pairs: the files left out, and the keywords that
    would pair them when their names differ by a suffix (see :func:`pair_files`), else a few
    names of each side and the keywords that mark the sides (:meth:`Pairing.no_match`).

    Examples
    --------
    >>> from napari_seg_eval.io.pairs import SuffixHint
    >>> error = no_pairs_error(Pairing([], [], suffix_hint=SuffixHint("_masks", "_cp", 2)))
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    no pairs of files to evaluate; the names differ by a suffix: give truth_suffix='_masks',
    prediction_suffix='_cp' (2 pair(s)).
    0 pair(s) of files.
    """
    advice = pairing.advice() or pairing.no_match()
    return ValueError(
        f"no pairs of files to evaluate{'; ' + advice if advice else ''}.\n"
        f"{pairing.describe(hint=False)}"
    )


def run_pairs(
    pairing: Pairing,
    settings: FileSettings,
    *,
    client: Any = None,
    progress: Progress | None = None,
    classes: list[tuple[Path, Path] | str] | None = None,
    regions: list[Path | str] | None = None,
) -> list[PairOutcome]:
    """The outcome of every pair, in pairing order, here or on ``client``'s cluster.

    ``classes``: for each pair, its (truth, prediction) class image files, or the error
    saying why they were not found (see :func:`~napari_seg_eval.io.pairs.find_class_files`).
    ``regions``: likewise, each pair's region file (``settings.region_suffix``).
    """
    progress = progress or Progress()
    client = client if client is not None else _current_client()
    total = len(pairing.pairs)
    class_files = classes if classes is not None else [None] * total
    region_files = regions if regions is not None else [None] * total
    extras = [
        {"classes": files, "region": region, "plane": pairing.plane(name)}
        for files, region, name in zip(class_files, region_files, pairing.names, strict=True)
    ]
    progress.start(total)
    try:
        if client is None:
            outcomes = []
            for done, ((truth, pred), extra) in enumerate(
                zip(pairing.pairs, extras, strict=True), 1
            ):
                outcome = evaluate_pair(
                    truth, pred, settings, **extra, chunk_done=progress.chunk_done
                )
                outcomes.append(outcome)
                progress.pair_done(done, total, pairing.names[done - 1], outcome.error)
            return outcomes
        return _run_on_cluster(client, pairing, settings, progress, extras)
    finally:
        progress.close()


def _current_client() -> Any:
    """The active dask.distributed client, if one is active (never imports distributed: a
    client exists only once it has been imported)."""
    if "distributed" not in sys.modules:
        return None
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


#: What a worker of a cluster is asked, before a run (``napari-seg-eval evaluate --scheduler``)
#: and by each task of the run: code of builtins only, so that a worker without this package
#: runs it too. It imports what the tasks import and sets ``answer`` to (the package's version
#: string there, or the exception importing it; the version of the napari-seg-eval
#: distribution installed there, or None: an old version lacks what the tasks import).
WORKER_QUESTION = """
installed = None
try:
    found = __import__("napari_seg_eval.io.evaluate").__version__
except Exception as error:
    found = error
    try:
        installed = __import__("importlib.metadata").metadata.version("napari-seg-eval")
    except Exception:
        pass
answer = (found, installed)
"""

#: A run's task (see :func:`_run_on_cluster`), after :data:`WORKER_QUESTION`: on a worker of
#: this version (``version``), the pickled function called with its arguments (``payload``):
#: ("ran", its result); on another, ("refused", the worker, its answer). Sent as bytes with
#: builtins only, a task unpickles on any worker: one referring to this package would not on
#: a worker without it, which then leaves the cluster (distributed closes a worker that cannot
#: read its scheduler's messages), its tasks sent to the others, or waiting for ever.
_TASK = (
    WORKER_QUESTION
    + """
if found == version:
    function, arguments = __import__("pickle").loads(payload)
    answer = ("ran", function(*arguments))
else:
    answer = ("refused", __import__("distributed").get_worker().address, found, installed)
"""
)


def builtin_call(code: str, **names: Any) -> tuple[Any, str, dict]:
    """A function and its arguments, all builtins, that run ``code`` (with ``exec``, given
    ``names``) and return the ``answer`` it sets: for ``Client.run`` or ``Client.submit``, on
    a worker that may not have this package.

    Parameters
    ----------
    code : str
        Python statements that set ``answer``, using builtins and ``names`` only.
    **names
        The names ``code`` is given (picklable without this package: str, bytes, ...).

    Returns
    -------
    tuple
        ``eval``, an expression, and its globals: the function and its arguments.

    Examples
    --------
    >>> function, *arguments = builtin_call("answer = number + 1", number=1)
    >>> function(*arguments)
    2
    """
    # The lambda's own namespace for each call: workers in this process share the globals.
    expression = "(lambda space: exec(code, space) or space['answer'])(dict(names))"
    return eval, expression, {"code": code, "names": names}


def worker_wrong(answer: Any) -> str | None:
    """What is wrong with a worker's napari-seg-eval, from its answer to
    :data:`WORKER_QUESTION`: None when it runs this version.

    Parameters
    ----------
    answer : tuple or BaseException
        The (version or exception, installed version or None) the question sets, or the
        exception asking it raised.

    Returns
    -------
    str or None
        "no napari-seg-eval", "napari-seg-eval VERSION" (another version, named by the
        package or its installed distribution), or "napari-seg-eval not importable (...)".

    Examples
    --------
    >>> worker_wrong(("0.0.1", None))
    'napari-seg-eval 0.0.1'
    """
    name = "napari-seg-eval"
    found, installed = answer if isinstance(answer, tuple) else (answer, None)
    if isinstance(found, str):
        return None if found == __version__ else f"{name} {found}"
    if installed is not None and installed != __version__:  # old: without what tasks import
        return f"{name} {installed}"
    if isinstance(found, ModuleNotFoundError) and found.name == "napari_seg_eval":
        return f"no {name}"
    return f"{name} not importable ({type(found).__name__}: {found}; a dependency missing?)"


#: Workers named per answer in a :class:`WrongWorkers` error (then "and N more").
LISTED_WORKERS = 5


def _worker_groups(wrong: dict[str, list[str]]) -> str:
    """What is wrong on which workers, for a line: "no napari-seg-eval on 1 worker (tcp://...)"."""
    groups = []
    for said, workers in wrong.items():
        listed = ", ".join(workers[:LISTED_WORKERS])
        more = f" and {len(workers) - LISTED_WORKERS} more" if len(workers) > LISTED_WORKERS else ""
        plural = "s" if len(workers) > 1 else ""
        groups.append(f"{said} on {len(workers)} worker{plural} ({listed}{more})")
    return "; ".join(groups)


class WrongWorkers(ValueError):
    """The workers of the scheduler at ``address`` do not run this napari-seg-eval version:
    refused before a run (``napari-seg-eval evaluate --scheduler``), or during one
    (``stopped``: ``done`` of ``total`` pairs evaluated then, none kept), for ``why``: no
    worker running it is left.

    ``wrong``: what is wrong (see :func:`worker_wrong`): the workers it is wrong on. Its
    message says what runs this version as ``ours`` ("this process"); :meth:`text` words it
    for another caller (the command line: "this command").

    Examples
    --------
    >>> error = WrongWorkers("tcp://s:8786", {"no napari-seg-eval": ["tcp://w:1"]}, stopped=(0, 2))
    >>> error.text("this command").split(": ", 1)[1].split(". ")[0]
    'no napari-seg-eval on 1 worker (tcp://w:1); no worker running it is left: the run stopped \
after 0 of 2 pairs; nothing was written'
    """

    def __init__(
        self,
        address: str,
        wrong: dict[str, list[str]],
        ours: str = "this process",
        stopped: tuple[int, int] | None = None,
        why: str = "no worker running it is left",
    ) -> None:
        self.address, self.wrong, self.stopped, self.why = address, wrong, stopped, why
        super().__init__(self.text(ours))

    def text(self, ours: str) -> str:
        """The message, saying what runs this version as ``ours``."""
        name = "napari-seg-eval"
        stopped = ""
        if self.stopped is not None:
            done, total = self.stopped
            stopped = (
                f"; {self.why}: the run stopped after {done} of {total} pairs; nothing was written"
            )
        return (
            f"the workers of the dask scheduler at {self.address} must run {name} "
            f"{__version__}, as {ours} does: {_worker_groups(self.wrong)}{stopped}. Install "
            f"{name}=={__version__} (with its dependencies) in every worker's environment and "
            "restart the workers."
        )


class WorkerRetired(UserWarning):
    """The workers of the run's cluster without this napari-seg-eval version, retired from
    the cluster by the run (see :func:`_refused`), in one warning at the end of the run: a
    change to the user's cluster, said even where other notices are not (the command's
    ``--quiet``, a run that then fails)."""


def asked_workers(client: Any) -> tuple[set[str], dict[str, str]]:
    """Every worker of ``client``'s cluster asked :data:`WORKER_QUESTION` (builtins only: a
    worker without this package answers too).

    Parameters
    ----------
    client : distributed.Client
        Connected to the cluster.

    Returns
    -------
    set of str, dict
        The workers that run this version; the others: what is wrong on each (see
        :func:`worker_wrong`). A worker gone while asked is in neither.
    """
    from distributed.comm import CommClosedError

    good: set[str] = set()
    wrong: dict[str, str] = {}
    answers = client.run(*builtin_call(WORKER_QUESTION), on_error="return")
    for worker, answer in sorted(answers.items()):
        if isinstance(answer, CommClosedError | TimeoutError):  # gone: not a verdict
            continue
        said = worker_wrong(answer)
        if said is None:
            good.add(worker)
        else:
            wrong[worker] = said
    return good, wrong


def _retired_text(address: str, retired: dict[str, list[str]]) -> str:
    """The warning of the workers retired from a run's cluster (what is wrong: the workers it
    is wrong on), in one line: what they run, that they were."""
    name = "napari-seg-eval"
    their = "its" if sum(len(workers) for workers in retired.values()) == 1 else "their"
    return (
        f"the workers of the dask scheduler at {address} must run {name} {__version__}: "
        f"{_worker_groups(retired)}, retired from the cluster ({their} tasks sent to the "
        f"other workers). Install {name}=={__version__} (with its dependencies) in every "
        "worker's environment."
    )


class NoWorkerLeft(UserWarning):
    """The scheduler of a run's cluster has had no worker for a while (:data:`NO_WORKER_SECONDS`
    or more) while tasks of the run wait: said once a run (the run waits for a worker to start
    or join; see :func:`_run_on_cluster`)."""


#: How often a run's result loop, waiting for its tasks, asks the scheduler whether it has a
#: worker (seconds). Finished tasks wake the loop at once; this is for a cluster left with no
#: worker, which finishes nothing.
WORKER_CHECK_SECONDS = 5.0
#: A scheduler found with no worker at two checks this far apart (or more) is said to have
#: none (:class:`NoWorkerLeft`): a worker killed under a nanny is started again within it, and
#: a cluster starting its first workers (adaptive, or just scaled up) usually has one by then.
NO_WORKER_SECONDS = 2 * WORKER_CHECK_SECONDS


def _workerless(client: Any) -> bool:
    """Whether the scheduler of ``client`` has no worker now (False if it cannot be asked:
    the connection's loss is the run's error, met by its tasks)."""
    if client.status != "running":
        return False
    try:
        return not client.nthreads()
    except Exception:
        return False


def _no_worker_text(address: str, done: int, total: int, seconds: float) -> str:
    """The notice of a run whose scheduler has had no worker for ``seconds``: it waits."""
    return (
        f"the dask scheduler at {address} has had no worker for {seconds:.0f} s or more, after "
        f"{done} of {total} pairs (none started yet, or all died, were killed for memory or "
        "closed): "
        "waiting for one to start or join; Ctrl-C stops the run, nothing written."
    )


#: On a cluster, pairs of small files are sent a few at a time (each task costs milliseconds
#: of scheduling on both sides): a task holds files of at most this many bytes together ...
BATCH_BYTES = 32 << 20
#: ... and at most an even share of the pairs among this many tasks per worker thread, so
#: that the workers stay balanced. A pair of folders (zarr) or of larger files is a task alone.
TASKS_PER_THREAD = 4


def batches(pairs: Sequence[tuple[Path, Path]], n_threads: int) -> list[range]:
    """The pairs (by position) that each cluster task evaluates: consecutive pairs of files
    up to :data:`BATCH_BYTES` together and an even share of :data:`TASKS_PER_THREAD` tasks
    per thread; a pair with a folder (zarr) or larger files alone.

    Parameters
    ----------
    pairs : sequence of (path, path)
        The (truth, prediction) files.
    n_threads : int
        The cluster's worker threads.

    Returns
    -------
    list of range
        Consecutive positions, covering every pair once, in order.

    Examples
    --------
    Files that cannot be found are sized as folders: each pair is a task alone.

    >>> batches([("missing.tif", "missing.tif")] * 3, n_threads=1)
    [range(0, 1), range(1, 2), range(2, 3)]
    """
    most = max(1, -(-len(pairs) // (TASKS_PER_THREAD * max(1, n_threads))))
    tasks: list[range] = []
    start, held = 0, 0
    for index, pair in enumerate(pairs):
        size = _files_size(pair)
        full = index - start >= most or held + size > BATCH_BYTES
        if index > start and full:
            tasks.append(range(start, index))
            start, held = index, 0
        held += size
    tasks.append(range(start, len(pairs)))
    return tasks


def _files_size(pair: tuple[Path, Path]) -> float:
    """Bytes of a pair's two files; infinite for a folder (zarr) or a path that is missing
    (its error is reported by the task that reads it)."""
    try:
        return sum(
            float(Path(path).stat().st_size) if Path(path).is_file() else np.inf for path in pair
        )
    except OSError:
        return np.inf


def _absolute(path: str | Path) -> str:
    """``path`` made absolute as given: a symbolic link stays the link (the name the user
    gave, not its target's)."""
    return os.path.abspath(path)


def _absolute_extra(extra: dict) -> dict:
    """A pair's extra files as absolute paths, for a worker of a cluster (whose folder may
    not be this process's); a predicted class file of None (the map's own classes) stays."""
    classes, region = extra["classes"], extra["region"]
    if isinstance(classes, tuple):
        classes = tuple(None if path is None else Path(_absolute(path)) for path in classes)
    if isinstance(region, Path):
        region = Path(_absolute(region))
    return {"classes": classes, "region": region, "plane": extra["plane"]}


def _run_on_cluster(
    client, pairing: Pairing, settings: FileSettings, progress, extras: list[dict]
) -> list:
    """The outcome of every pair, each task's on the cluster (see :func:`run_pairs`).

    The pairs of a task whose worker died (dask's ``KilledWorker``: the task was running or
    queued on a worker that died) are evaluated again, each alone and one at a time, so that
    only the pair that kills its worker fails.
    A task refused by its worker (one that does not run this napari-seg-eval version: it
    joined after a check, see :data:`_TASK`) is sent again, once that worker (and any other
    that answers wrong) is retired from the cluster, as long as a worker running this
    version is left (see :func:`_refused`); the workers retired are said at the end of the
    run, in one warning (:class:`WorkerRetired`), however it ends.
    While no task finishes, the scheduler is asked every :data:`WORKER_CHECK_SECONDS` whether
    it has a worker; one without any for :data:`NO_WORKER_SECONDS` is said once, in a warning
    (:class:`NoWorkerLeft`), and the run waits for a worker to start or join.
    Raises ConnectionError when the connection to the scheduler is lost or the run's tasks are
    cancelled on the cluster, and
    :class:`WrongWorkers` (a ValueError) when a task is refused and no worker running this
    version is left: no outcome is partial."""
    from distributed.protocol.pickle import dumps
    from distributed.scheduler import KilledWorker

    run = uuid.uuid4().hex[:8]
    address = client.scheduler.address
    # Workers may run in another folder (or on another machine sharing the files): absolute
    # paths. A str in ``extras`` is an error message, not a path.
    items = [
        (_absolute(truth), _absolute(pred), _absolute_extra(extra))
        for (truth, pred), extra in zip(pairing.pairs, extras, strict=True)
    ]
    if settings.region is not None:
        settings = replace(settings, region=_absolute(settings.region))
    position: dict[str, Sequence[int]] = {}
    # The tasks finished, and the scheduler's removals of workers: what the loop waits for.
    woken: queue.SimpleQueue = queue.SimpleQueue()
    waiting: set[str] = set()  # the tasks not finished

    def submit(task: Sequence[int], name: str) -> Any:
        # Pickled here as distributed pickles (a local function by value), sent as bytes with
        # code of builtins only: see _TASK.
        payload = dumps((_evaluate_pairs, ([items[i] for i in task], settings)))
        future = client.submit(
            *builtin_call(_TASK, payload=payload, version=__version__), key=f"nse-{run}-{name}"
        )
        position[future.key], order[future.key] = task, len(futures)
        futures.append(future)
        waiting.add(future.key)
        future.add_done_callback(woken.put)
        return future

    futures: list[Any] = []
    order: dict[str, int] = {}  # each task's position among those sent
    alone: list[int] = []  # the pairs of tasks whose worker died, evaluated again one by one
    retries: set[str] = set()

    def retry_next() -> None:
        retries.add(submit(alone[:1], f"alone-{alone[0]}").key)

    outcomes: list[PairOutcome | None] = [None] * len(items)
    done = 0
    retired: dict[str, int] = {}  # worker: the tasks submitted when it was retired
    wrong: dict[str, list[str]] = {}  # what is wrong: the workers it is wrong on
    told: dict[str, list[str]] = {}  # what is wrong: the workers retired for it
    workerless_since: float | None = None  # when a check first found no worker
    said_waiting = False

    def check_workers() -> None:
        nonlocal workerless_since, said_waiting
        if not _workerless(client):
            workerless_since = None
            return
        now = time.monotonic()
        workerless_since = now if workerless_since is None else workerless_since
        if not said_waiting and now - workerless_since >= NO_WORKER_SECONDS:
            said_waiting = True
            text = _no_worker_text(address, done, len(items), now - workerless_since)
            warn(text, NoWorkerLeft)

    try:
        tasks = batches(pairing.pairs, sum(client.nthreads().values()))
        for number, task in enumerate(tasks):
            submit(task, str(number))
        while waiting:
            try:
                future = woken.get(timeout=WORKER_CHECK_SECONDS)
            except queue.Empty:  # nothing finished meanwhile: is any worker left?
                check_workers()
                continue
            workerless_since = None  # a task finished: a worker ran it
            waiting.discard(future.key)
            task = position[future.key]
            retried = future.key in retries
            try:
                answer = future.result()
            except Exception as error:  # a worker died, the task could not run, or the
                if _scheduler_lost(client, error):  # scheduler is gone
                    raise _lost_error(client, address, done, len(items), error) from error
                answer = error
            if isinstance(answer, tuple) and answer[0] == "refused":
                _, worker, found, installed = answer
                said = worker_wrong((found, installed))
                sent = (order[future.key], len(futures))
                stopped = (done, len(items))
                _refused(client, worker, said, sent, retired, wrong, told, stopped)
                again = submit(task, f"again-{len(futures)}")
                if retried:
                    retries.add(again.key)
                continue
            if retried:
                alone.pop(0)
                if alone:
                    retry_next()
            if isinstance(answer, Exception):
                if isinstance(answer, KilledWorker) and not retried:
                    # The pair that killed the worker is in this task, or in another one
                    # that this task was queued behind on that worker.
                    alone.extend(task)
                    if len(alone) == len(task):
                        retry_next()
                    continue
                failure = _task_failure(client, answer)
                answer = ("ran", [PairOutcome(None, failure)] * len(task))
            for index, outcome in zip(task, answer[1], strict=True):
                given = _as_given(outcome, pairing.pairs[index], extras[index])
                outcomes[index] = given
                done += 1
                progress.pair_done(done, len(items), pairing.names[index], given.error)
    except Exception as error:
        if not isinstance(error, ConnectionError) and _scheduler_lost(client, error):
            raise _lost_error(client, address, done, len(items), error) from error
        raise
    finally:
        if client.status == "running":
            client.cancel([future for future in futures if not future.done()])
        if told:  # the user's cluster was changed: said however the run ends
            warn(_retired_text(address, told), WorkerRetired)
    return outcomes


def _refused(
    client,
    worker: str,
    said: str,
    sent: tuple[int, int],
    retired: dict[str, int],
    wrong: dict[str, list[str]],
    told: dict[str, list[str]],
    stopped: tuple[int, int],
) -> None:
    """A task of a run (see :func:`_run_on_cluster`) refused by ``worker``, which runs
    ``said`` (:func:`worker_wrong`): the run goes on without it, or stops.

    ``sent``: the task's position among the run's tasks, and how many were sent so far;
    ``retired``: the workers retired by the run, each with the tasks sent then; ``wrong``:
    what is wrong on which workers, so far; ``told``: likewise, the workers retired, for the
    run's warning (one, at its end: an adaptive cluster may start many such workers);
    ``stopped``: pairs done, pairs in all.

    At a worker's first refusal every worker is asked (:func:`asked_workers`): with a worker
    running this version left, those that answer wrong (``worker`` among them) are retired,
    never one that answers right; with none left, the run stops
    (a :class:`WrongWorkers`): only a worker of the run's version can evaluate its tasks. A
    retired worker's refusals of the tasks it was given before are not said again. A cluster
    that starts new workers (adaptive) may start more such workers: each is retired at its
    first refusal while the others go on, or ends the run once no right one is left. A
    refusal of a task sent after its worker was retired stops the run too: that worker
    stayed and would refuse every task again."""
    address = client.scheduler.address
    if worker in retired:
        if sent[0] < retired[worker]:  # given to it before it left: sent again
            return
        why = f"the scheduler did not retire {worker}, which refuses every task"
        raise WrongWorkers(address, wrong, stopped=stopped, why=why)
    good, others = asked_workers(client)
    leaving = {worker: said, **others}
    for each, what in leaving.items():
        if each not in good and each not in wrong.get(what, []):
            wrong.setdefault(what, []).append(each)
    if not good:
        raise WrongWorkers(address, wrong, stopped=stopped)
    leaving = {each: what for each, what in leaving.items() if each not in good | set(retired)}
    if leaving:  # never an empty list: the scheduler would choose workers itself
        client.retire_workers(list(leaving), close_workers=True)
    for each, what in leaving.items():
        retired[each] = sent[1]
        told.setdefault(what, []).append(each)


def _scheduler_lost(client, error: BaseException) -> bool:
    """Whether ``error``, met waiting for a task, is the run dropped by its cluster: the
    connection to the scheduler lost, or the task cancelled there (not by this run)."""
    from distributed.client import FutureCancelledError
    from distributed.comm import CommClosedError

    if isinstance(error, FutureCancelledError):  # not by this run: by the cluster
        return True
    return isinstance(error, CommClosedError) or client.status != "running"


def _lost_error(
    client, address: str, done: int, total: int, error: BaseException
) -> ConnectionError:
    """The error of a run whose cluster dropped it: the connection lost, or, the client still
    connected, its tasks cancelled on the cluster: for a reason (``client.restart()``: dask's
    reason), or for none (another client cancelled them, or the scheduler forgot them)."""
    from distributed.client import FutureCancelledError

    reason = getattr(error, "reason", None) if isinstance(error, FutureCancelledError) else None
    # Still connected: not the connection's loss ("scheduler-connection-lost"; or "unknown",
    # dask's word for no reason, as the client closes).
    connected = client.status == "running" and reason != "scheduler-connection-lost"
    if connected and isinstance(error, FutureCancelledError):
        why = (
            reason
            if reason not in (None, "unknown")
            else "no reason given: by another client, or by the scheduler"
        )
        what = f"the dask cluster ({address}) cancelled the run's tasks ({why})"
    else:
        what = f"the connection to the dask scheduler ({address}) was lost"
    return ConnectionError(
        f"{what} after {done} of {total} pairs; nothing was written; start the scheduler "
        "again if it stopped, and rerun."
    )


def _task_failure(client, error: Exception) -> str:
    """A failed task's error for each of its pairs; a pair alone whose worker died
    (``KilledWorker``) is said to be the likely cause, with the workers' memory limit."""
    from dask.utils import format_bytes
    from distributed.scheduler import KilledWorker

    if not isinstance(error, KilledWorker):
        return f"the task failed on the cluster: {_describe(error)}"
    limit = getattr(getattr(error, "last_worker", None), "memory_limit", None)
    if not limit:
        try:
            limits = {w.get("memory_limit") for w in client.scheduler_info()["workers"].values()}
        except Exception:  # the limit is a hint only
            limits = set()
        limit = max(limits - {None}, default=None)
    memory = (
        f"the workers' memory limit is {format_bytes(limit)}"
        if limit
        else "the workers have no memory limit"
    )
    return (
        "the task failed on the cluster: its worker died while evaluating it (out of memory? "
        f"{memory}: give the workers more memory, or run fewer threads on each) "
        f"({type(error).__name__})."
    )


def _as_given(outcome: PairOutcome, pair: tuple[Path, Path], extra: dict) -> PairOutcome:
    """A pair's outcome from a cluster worker (which read the files by absolute path) with
    the files named as they were given, as the serial run names them: in its error and its
    notices."""
    classes = extra["classes"] if isinstance(extra["classes"], tuple) else ()
    paths = [*pair, *(path for path in classes if path is not None)]  # None: the map's own
    if isinstance(extra["region"], Path):
        paths.append(extra["region"])
    given = {_absolute(path): str(path) for path in paths}
    given = {absolute: path for absolute, path in given.items() if absolute != path}
    if not given:
        return outcome
    error = outcome.error
    if error is not None:
        for absolute in sorted(given, key=len, reverse=True):  # a longer path first
            error = error.replace(absolute, given[absolute])
    notices = [
        notice._replace(path=given.get(notice.path, notice.path)) for notice in outcome.notices
    ]
    return replace(outcome, error=error, notices=notices)


def _evaluate_pairs(items: list[tuple[str, str, dict]], settings: FileSettings) -> list:
    """:func:`evaluate_pair` of each (truth, prediction, extras) item: one cluster task.

    A pair is the unit of work of a task: its chunked arrays are computed on this worker
    (see :func:`_on_this_worker`), never sent as graphs through the scheduler (where a TIFF's
    zarr view, holding an open file, could not go, and a memory-mapped NPY file would go
    whole)."""
    with _on_this_worker():
        return [evaluate_pair(truth, pred, settings, **extra) for truth, pred, extra in items]


class _SharedSetting:
    """The setting of dask's scheduler that the tasks of :func:`_evaluate_pairs` running in
    this process share: dask's configuration is global, not per thread, so the first task in
    sets it and the last one out restores it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.setting = ExitStack()


_local_scheduler = _SharedSetting()


@contextmanager
def _on_this_worker() -> Iterator[None]:
    """Within a cluster task, dask's current scheduler is the worker's client (each
    ``compute`` a graph sent to the scheduler); here, it is local to this worker: its own
    threads ("threads" with the worker's thread count), or "synchronous" with one thread
    (faster there: no thread pool, the task's thread computes)."""
    from distributed import get_worker

    shared = _local_scheduler
    with shared.lock:
        if not shared.users:
            threads = get_worker().state.nthreads
            shared.setting.enter_context(
                dask.config.set(scheduler="synchronous")
                if threads <= 1
                else dask.config.set(scheduler="threads", num_workers=threads)
            )
        shared.users += 1
    try:
        yield
    finally:
        with shared.lock:
            shared.users -= 1
            if not shared.users:
                shared.setting.close()


def evaluate_pair(
    truth: str | Path,
    prediction: str | Path,
    settings: FileSettings,
    *,
    classes: tuple[str | Path, str | Path] | str | None = None,
    region: str | Path | None = None,
    plane: int | None = None,
    chunk_done: Callable[[int, int], None] | None = None,
) -> PairOutcome:
    """Read one pair and reduce it to its overlap tables; any error is returned, not raised.

    Parameters
    ----------
    truth, prediction
        The two files.
    settings
        The run's settings.
    classes
        With ``settings.with_classes``: the (truth, prediction) class image files, or the
        error saying why they were not found.
    region
        With ``settings.region_suffix``: the pair's region file, or the error saying why it
        was not found.
    plane
        The truth is a 2-D slice of a 3-D frame (:attr:`Pairing.planes`): it is scored on this
        plane of the prediction's volume (its first axis that is not the class axis), read
        alone where the file allows (a TIFF page by page, NPY memory-mapped, zarr by chunks).
        A plane outside the volume, or a prediction that is not 3-D, fails the pair with a
        message naming both files.
    chunk_done
        Called with (tasks done, tasks) while chunked arrays of the pair are read (on dask's
        local schedulers; a few times a second at most, and at the end of each schedule).

    Returns
    -------
    PairOutcome
        The tables (one per kind), or the error message naming the file at fault.

    Examples
    --------
    >>> outcome = evaluate_pair("truth/a.tif", "pred/a.tif", FileSettings())  # doctest: +SKIP
    """
    # Kept when the pair then fails: a notice may say why (a volume of 3 or 4 planes read as
    # one colour image, then a spacing with one value per axis refused).
    notices: list[Notice] = []
    try:
        # Each file opened once: both files' metadata (a time axis refused before any pixel
        # of either is read; the pixel size for spacing="file"), then their pixels.
        (true, true_metadata), (pred, pred_metadata) = open_files(
            [truth, prediction],
            labels=[True, not settings.probability],
            # Read for a spacing given too: one that the files' metadata contradict is said.
            pixel_size=settings.boundary or settings.splits_at_spacing,
            checks=[functools.partial(_one_frame, path) for path in (truth, prediction)],
            lazy=[False, plane is not None],
        )
        if settings.probability and settings.channel_axis is None:
            # A channel axis of one channel is no class axis: a map of one class.
            ndim = len(true.shape) + (plane is not None)  # a slice's map is a volume
            pred, pred_metadata = _one_channel_dropped(pred, pred_metadata, ndim)
        elif settings.probability:
            notices += _other_channel_axis(prediction, pred_metadata, settings.channel_axis)
        if plane is not None:
            pred, channel_axis, axis = _plane(pred, plane, truth, prediction, settings.channel_axis)
            pred_metadata = _plane_metadata(pred_metadata, axis, len(pred.shape) + 1)
            if channel_axis != settings.channel_axis:
                settings = replace(settings, channel_axis=channel_axis)
        true, notice = checked_labels(true, truth)
        notices += [] if notice is None else [notice]  # a grey colour image's
        # uint8/uint16 maps are read as value / dtype maximum (levels): label images can be.
        levels = None
        if settings.probability:
            values = pred  # the integer values, counted when the map is read now
            pred, notice = checked_probabilities(
                pred, prediction, channel_axis=settings.channel_axis
            )
            if notice is not None:
                notices.append(notice)
            if integer_map_dtype(values.dtype):
                levels = int(np.iinfo(values.dtype).max)
                # A lazy map's chunks are read anyway; a colour file's values are one channel.
                if is_lazy(pred) or tuple(values.shape) != tuple(pred.shape):
                    values = pred
        else:
            pred, notice = checked_labels(pred, prediction)
            notices += [] if notice is None else [notice]
        if "instance" in settings.kinds:  # as instance_metrics warns (warn_if_masks)
            sides = ((true, truth), (pred, prediction)) if not settings.probability else ()
            notices += [
                Notice(_BOOLEAN_MASK, str(path), likely_wrong=True)
                for image, path in sides or ((true, truth),)
                if image.dtype == bool
            ]
        metadata = (true_metadata, pred_metadata)
        _check_shapes(
            true, pred, truth, prediction, settings.channel_axis, probability=settings.probability
        )
        spacing = None
        if settings.boundary:
            _check_boundary_size(true, truth)
        if settings.boundary or settings.splits_at_spacing:
            spacing = _pair_spacing(
                truth,
                prediction,
                len(true.shape),
                settings,
                metadata,
                plane=plane is not None,
                notices=notices,
            )
        mask_of_region = _region(true, settings, region)
        class_images = _class_images(true, classes) if settings.with_classes else None
        outcome = PairOutcome(None, None, tuple(true.shape), notices=notices, plane=plane)
        with on_this_thread(_TaskProgress(chunk_done)) if chunk_done else nullcontext():
            prob = None  # a map as one array for all its uses (one dask graph if chunked)
            if settings.probability:
                prob = as_dask(pred) if is_lazy(pred) else chunked_if_large(pred)
            labels, mask = _predictions(prob if settings.probability else pred, settings, spacing)
            if settings.prediction_classes_from_map:  # the class image of the map's objects
                class_images = (class_images[0], mask)
            # An integer map's values are counted for the sign of a label image (one value per
            # object); a float map is never one.
            counted = levels is not None and settings.channel_axis is None
            # A negative id is said of the file holding it, not of the first failing table's
            # side: the label images' sides (their files named below), then the class files.
            sides = [("ground truth", true)]
            if not settings.probability:  # a map's values are not ids
                sides.append(("prediction", pred))
            named = []
            if class_images is not None:
                named = [
                    ClassSpec(str(p), image=c)
                    for p, c in zip(classes, class_images, strict=True)
                    if p is not None  # a map's own classes are never negative
                ]
            below_threshold = None  # a background channel's map: its argmax made 0
            if (
                settings.background_channel
                and settings.threshold > 0
                and "semantic" in settings.kinds
            ):
                from ..evaluation import below_threshold_classes

                below_threshold = below_threshold_classes(prob, mask, settings.channel_axis)
            with negative_ids_named(sides, named):
                passes = _pair_tables(
                    true,
                    labels,
                    mask,
                    settings,
                    mask_of_region,
                    (values, levels) if counted else None,
                    class_images,
                    prob if settings.preset == "coco" else None,
                    below_threshold,
                )
            outcome.tables, labels, outcome.classes = passes.tables, passes.labels, passes.classes
            outcome.one_value_per_object, excluded = passes.one_value_per_object, passes.excluded
            # A float map low everywhere is a weak or empty prediction, never a label image.
            outcome.empty_map = passes.empty_map and levels is not None
            # Channel k is class k + 1: classes one too high are told (the table's ids).
            shifted = settings.channel_axis is not None and not settings.background_channel
            counted = outcome.tables.get("semantic", outcome.tables.get("instance"))
            if shifted and counted is not None:
                from ..core.threshold import (
                    background_channel_suspected,
                    background_predicted_as_objects,
                    made_background,
                )

                n = pred.shape[settings.channel_axis]
                classes = outcome.tables.get("semantic")
                if classes is not None and background_channel_suspected(classes, n):
                    notices.append(
                        Notice(
                            _BACKGROUND_CHANNEL.format(n, n - 1),
                            str(prediction),
                            likely_wrong=True,
                        )
                    )
                elif n > 1 and background_predicted_as_objects(counted):
                    notices.append(
                        Notice(_BACKGROUND_AS_OBJECTS, str(prediction), likely_wrong=True)
                    )
                elif classes is not None and settings.threshold > 0:
                    background, lost, total = made_background(classes)
                    if lost:  # the threshold took pixels of the truth's classes
                        said = _NO_CLASS_ABOVE.format(threshold=f"{settings.threshold:g}")
                        counts = (background, total, lost)
                        notices.append(Notice(said, str(prediction), counts, likely_wrong=True))
            notice = None
            if "semantic" in outcome.tables and not settings.binarize_semantic:
                notice = _ignore_value_notice(outcome.tables["semantic"], settings, pred, truth)
            if notice is None and "instance" in outcome.tables and settings.ignore_label is None:
                objects = ObjectPairs.from_table(outcome.tables["instance"])
                value = unannotated_object_suspected(objects)  # the raw ids: 0/1/255 masks
                if value is not None:
                    pixels = int(objects.true_areas[objects.true_ids.size - 1])
                    notice = _unannotated_notice(value, pixels, None, truth)
            notices += [] if notice is None else [notice]
            if passes.below_threshold is not None:
                from ..evaluation import argmax_counts

                background, lost, total = argmax_counts(passes.below_threshold)
                if lost:  # the threshold took pixels of the truth's classes
                    said = _BELOW_THRESHOLD.format(threshold=f"{settings.threshold:g}")
                    counts = (background, total, lost)
                    notices.append(Notice(said, str(prediction), counts, likely_wrong=True))
            if (
                "instance" in outcome.tables
                and settings.channel_axis is not None
                and not settings.with_classes
            ):
                from ..evaluation import class_image_suspected

                n = pred.shape[settings.channel_axis]
                highest = n - 1 if settings.background_channel else n
                found = ObjectPairs.from_table(outcome.tables["instance"])
                if class_image_suspected(found, highest):
                    # Said for what was passed: a run with semantic metrics by class has them.
                    by_class = "semantic" in settings.kinds and not settings.binarize_semantic
                    template = _CLASS_IMAGE_BY_CLASS if by_class else _CLASS_IMAGE_TRUTH
                    notices.append(Notice(template.format(highest), str(truth), likely_wrong=True))
            if "instance" in outcome.tables:
                if not settings.probability and looks_like_probabilities(
                    outcome.tables["instance"], pred.dtype
                ):
                    maximum = np.iinfo(pred.dtype).max
                    said = _PROBABILITY_LABELS.format(maximum)
                    notices.append(Notice(said, str(prediction), likely_wrong=True))
                elif not settings.probability:
                    template = _mask_as_labels(outcome.tables["instance"], pred.dtype)
                    if template is not None:
                        notices.append(Notice(template, str(prediction), likely_wrong=True))
                true_classes, pred_classes = outcome.classes or (None, None)
                outcome.instance = instance_image_parts(
                    outcome.tables["instance"],
                    iou_thresholds=settings.iou_thresholds,
                    criterion=settings.criterion,
                    true_classes=true_classes,
                    pred_classes=pred_classes,
                    background_class=settings.background_class,
                )
            if settings.boundary:
                outcome.boundary = _boundary(
                    true, labels, mask, mask_of_region, settings, spacing, outcome, excluded
                )
            if settings.preset == "ctc":
                outcome.ctc = ctc_counts(outcome.tables["instance"])
                if plane is not None:  # SEG only: DET is of whole volumes' markers
                    outcome.ctc = slice_counts(outcome.ctc)
                    notices.append(Notice(_SLICE_DET, str(truth)))
            elif settings.preset == "coco":
                outcome.coco = _coco_detections(
                    outcome.tables["instance"], passes.scores, settings.iou_thresholds
                )
        return outcome
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:
        error_text = _naming_the_file(_describe(error), truth, prediction)
        return PairOutcome(None, error_text, notices=notices)


def _ignore_value_notice(
    table: OverlapTable, settings: FileSettings, pred: Any, truth: str | Path
) -> Notice | None:
    """The notice of a truth value that looks like unannotated pixels scored as a class (see
    :func:`~napari_seg_eval.core.semantic.ignore_value_suspected`), or None: with no ignored
    label, on a pair's table of classes (``table``; ``pred`` the prediction, a map whose top
    class is known with a class axis: channels 1..n, or 0..n - 1 with a background channel).

    Its count, summed over the run's files, is the pixels of the value; the option is named
    by each caller (``{ignore_label}`` followed by the value: ``--ignore-label 255``)."""
    if settings.ignore_label is not None:
        return None
    highest = None
    map_classes = settings.prediction_classes_from_map or not settings.with_classes
    if (
        pred is not None
        and settings.probability
        and settings.channel_axis is not None
        and map_classes
    ):
        channels = int(pred.shape[settings.channel_axis])
        highest = channels - 1 if settings.background_channel else channels
    value = ignore_value_suspected(table, highest)
    if value is None:
        return None
    pixels = int(table.true_areas[np.searchsorted(table.true_ids, value)])
    return _unannotated_notice(value, pixels, highest, truth)


def _unannotated_notice(value: int, pixels: int, highest: int | None, truth: str | Path) -> Notice:
    """The likely-wrong notice of ``pixels`` pixels of the truth's ``value`` scored as a class
    (or an object) (see :func:`_ignore_value_notice`); ``highest``: the map's top class."""
    classes = "" if highest is None else f" (its classes run 0..{highest})"
    option = f"{{ignore_label}}{value}"  # a notice's field, named by each caller
    said = IGNORE_VALUE_HINT.format(pixels="{0}", value=value, classes=classes, option=option)
    said = said.removesuffix(".")  # a notice's line ends with its own
    return Notice(f"{{file}}{{more}}: {said}", str(truth), (pixels,), likely_wrong=True)


#: Said of a truth whose ids are all classes of the map, each holding many predicted objects
#: (see :func:`~napari_seg_eval.evaluation.class_image_suspected`): a class image scored as
#: instance labels. ``{0}``: the map's highest class.
_CLASS_IMAGE_TRUTH = (
    "the truth {{file}}{{more}} looks like a class image, not instance labels: its ids are "
    "all classes of the map (1..{0}) and each holds many predicted objects, so its instance "
    "numbers mean nothing; for per-class pixel metrics use kind='semantic' with "
    "binarize_semantic=False (on the command line: --kind semantic --class-labels)"
)

#: :data:`_CLASS_IMAGE_TRUTH` of a run that also has semantic metrics by class (kind 'all',
#: ``binarize_semantic=False``): those are what the user wants; ``{{semantic_only}}`` names
#: the kind that leaves the instance metrics out, as each caller passes it.
_CLASS_IMAGE_BY_CLASS = (
    "the truth {{file}}{{more}} looks like a class image, not instance labels: its ids are "
    "all classes of the map (1..{0}) and each holds many predicted objects, so its instance "
    "numbers mean nothing; this run's semantic metrics, compared class by class, are the "
    "per-class pixel metrics (to leave the instance metrics out: {{semantic_only}})"
)

#: What is said of a uint8/uint16 label prediction that looks like a probability map.
_BOOLEAN_MASK = (
    "{file} is a boolean mask: in the instance metrics all its foreground is one object (id 1), "
    "connected or not; save its objects as a label image to compare objects (the semantic "
    "metrics count its pixels as they are)"
)

_PROBABILITY_LABELS = (
    "if {{file}} is a probability map (0-{}), add {{probability}}: its values were scored as "
    "object ids"
)

#: What is said of a map with a class axis whose classes look one too high (see
#: :func:`~napari_seg_eval.core.threshold.background_channel_suspected`).
_BACKGROUND_CHANNEL = (
    "channel k of {{file}} is class k + 1 (classes 1..{0}), but its truth's classes run "
    "0..{1}: if channel 0 is background, set {{background_channel}}, so that channel k is "
    "class k"
)

#: Said when over half of a truth's background is foreground in a map read with channel k as
#: class k + 1 (a notice's template: ``{file}`` is the map's path).
_BACKGROUND_AS_OBJECTS = (
    "over half of the truth's background is foreground in {file}, read with channel k as class "
    "k + 1: if channel 0 is background, set {background_channel}"
)


#: Said when the threshold made background some of the truth's foreground in a map read with
#: channel k as class k + 1 (see :func:`~napari_seg_eval.core.threshold.made_background`), once
#: per run: a notice's template (see :class:`~napari_seg_eval.io.read.Notice`) whose counts,
#: summed over the maps (and a map's planes), are the pixels made background, those counted,
#: and those of them in the truth's foreground; ``{file}`` is the first map.
_NO_CLASS_ABOVE = (
    "{{0}} of {{1}} pixels ({{share}}) of {{file}}{{more}} had no class above the threshold "
    "{threshold} and are background (0), {{2}} of them in the truth's foreground: for a plain "
    "argmax of a softmax without a background channel, use {{threshold_zero}}"
)


#: Said when the threshold made background some of the truth's foreground whose most probable
#: channel was a class, in a map with a background channel (see
#: :func:`~napari_seg_eval.evaluation.below_threshold_classes`), once per run: a notice's
#: template whose counts, summed over the maps, are the pixels made background so, those
#: counted, and those of them in the truth's foreground; ``{file}`` is the first map.
_BELOW_THRESHOLD = (
    "{{0}} of {{1}} pixels ({{share}}) of {{file}}{{more}} whose most probable channel is a "
    "class had it not above the threshold {threshold} and are background (0), {{2}} of them in "
    "the truth's foreground: for the plain argmax of a map with a background channel (every "
    "pixel its most probable channel, as nnU-Net takes it), use {{threshold_zero}}"
)


#: A label prediction reads as a mask (see :func:`_mask_as_labels`) when its one id, 1 or the
#: dtype's maximum, covers at least half of each of this many true objects or more, holding at
#: least half of the truth's foreground ...
MASK_MIN_OBJECTS = 3
#: ... and as a sharp map when it holds at most this many non-zero values, one of them
#: covering at least this fraction of the truth's background (and more pixels of it than the
#: truth's objects hold).
MAP_MAX_VALUES = 4
MAP_BACKGROUND_FRACTION = 0.75

#: Said of a uint8/uint16 label prediction that looks like a mask saved as labels.
_MASK_LABELS = (
    "{{file}} looks like a mask (one id, {0}, over {1} or more true objects): to score objects, "
    "add {{probability}} (read as value / {0} and labelled) or label it first"
)
#: The same, for a 0/1 mask (read as value / 255, its foreground would be below any threshold).
_MASK_LABELS_01 = (
    "{{file}} looks like a mask (one id, 1, over {0} or more true objects): to score objects, "
    "label it first"
)
#: Said of a uint8/uint16 label prediction one of whose few values covers the truth's background.
_MAP_BACKGROUND_LABELS = (
    "{{file}} looks like a map (its value {0} covers over {1} % of the truth's background, "
    "scored as one object): to score objects, add {{probability}} (read as value / {2} and "
    "labelled) or label it first"
)


def _mask_as_labels(table: OverlapTable, dtype: Any) -> str | None:
    """The notice's template when a uint8/uint16 label prediction looks like a mask or a sharp
    map saved as labels, from its instance overlap table alone (no pass over the pixels), else
    None. A mask: its one non-zero id, 1 or the dtype's maximum (how masks are saved), covers
    at least half of each of :data:`MASK_MIN_OBJECTS` or more true objects holding at least
    half of the truth's foreground. A sharp map: at most :data:`MAP_MAX_VALUES` non-zero
    values, one of them covering at least :data:`MAP_BACKGROUND_FRACTION` of the truth's
    background, more pixels than the truth's objects hold (its background is not 0). An
    under-segmentation merging a few objects gives them a small id among others, and every id
    of a label image stays off most of the background."""
    if not integer_map_dtype(dtype):
        return None
    maximum = int(np.iinfo(dtype).max)
    ids = table.pred_ids[table.pred_ids != 0]
    if not 0 < ids.size <= MAP_MAX_VALUES:
        return None
    objects = table.true_ids != 0
    foreground = int(table.true_areas[objects].sum())
    true_area = table.true_areas[np.searchsorted(table.true_ids, table.pair_true)]
    covers = 2 * table.pair_counts >= true_area
    # With one id, every pair is of that id: the objects it covers and their area.
    if (
        ids.size == 1
        and int(ids[0]) in (1, maximum)
        and int(covers.sum()) >= MASK_MIN_OBJECTS
        and 2 * int(true_area[covers].sum()) >= foreground
    ):
        if ids[0] == 1:
            return _MASK_LABELS_01.format(MASK_MIN_OBJECTS)
        return _MASK_LABELS.format(maximum, MASK_MIN_OBJECTS)
    background = int(table.true_areas[~objects].sum())
    for value in ids:
        inside = int(table.pair_counts[table.pair_pred == value].sum())
        outside = int(table.pred_areas[table.pred_ids == value].sum()) - inside
        if background and outside >= max(MAP_BACKGROUND_FRACTION * background, foreground + 1):
            fraction = round(100 * MAP_BACKGROUND_FRACTION)
            return _MAP_BACKGROUND_LABELS.format(int(value), fraction, maximum)
    return None


def _one_frame(path: str | Path, metadata: FileMetadata) -> str | None:
    """Each file is evaluated as one image: the reason to refuse a file whose metadata name a
    time axis (its frames would be matched as one volume, objects joined across time), or
    None."""
    if metadata.axes is None or "T" not in metadata.axes:
        return None
    return (
        f"{path}: its axes are {metadata.axes}, a time series; each file is evaluated as one "
        "image (a 2-D image or a 3-D volume), so its frames would be matched as one volume, "
        "objects joined across time. Save one file per time point (as the Cell Tracking "
        "Challenge's man_seg000.tif, ...) and evaluate their folder."
    )


#: Truth and prediction give the same pixel size when they agree to this relative difference.
SPACING_RTOL = 1e-6


def _pair_spacing(
    truth: str | Path,
    prediction: str | Path,
    ndim: int,
    settings: FileSettings,
    metadata: tuple[FileMetadata, FileMetadata],
    *,
    plane: bool = False,
    notices: list[Notice] | None = None,
) -> Any:
    """The spacing of a pair's boundary metrics and of its split of touching objects: the
    run's, or with ``spacing="file"`` the pixel size both files' ``metadata`` give (a
    :class:`PixelSize` with one size per axis of the truth), or an error naming the files and
    their sizes. With ``plane`` (the truth is a plane of the prediction's volume, cut along
    the volume's first spatial axis), a run's spacing of one value per axis of the volume
    loses that axis's entry (as :func:`_plane_metadata` drops it from the files' sizes).

    Added to ``notices``: a spacing given that differs from a file's pixel size in its
    metadata (:data:`_SPACING_NOT_THE_FILES`), and, with ``spacing="file"``, a prediction
    whose metadata give no pixel size, its truth's then used (:data:`_TRUTHS_PIXEL_SIZE`: a
    Cell Tracking Challenge result folder is written without one)."""
    notices = [] if notices is None else notices
    if settings.spacing != "file":
        spacing = settings.spacing
        if plane and isinstance(spacing, tuple) and len(spacing) == ndim + 1:
            spacing = spacing[1:]
        if isinstance(spacing, tuple) and len(spacing) not in (1, ndim):
            # As the core words it, with the axes the values are for.
            raise ValueError(
                f"spacing must be one number or one per axis ({ndim} for these images), got "
                f"{spacing}: give {ndim} values ({axes_example(ndim)}), or one for every axis."
            )
        notices += _spacing_not_the_files(spacing, ndim, (truth, prediction), metadata, settings)
        return spacing
    found = []
    for side, (path, read) in enumerate(zip((truth, prediction), metadata, strict=True)):
        size = read.pixel_size
        if size is None and side == 1:  # the truth's, given for both
            notices.append(Notice(_TRUTHS_PIXEL_SIZE, str(prediction)))
            return found[0]
        if size is None:
            raise ValueError(
                f"{path}: its metadata give no pixel size (spacing='file', --spacing file reads "
                "ImageJ or OME-TIFF resolution, OME-Zarr scale); give the spacing instead."
            )
        values = list(size.sizes)
        if side == 1 and settings.channel_axis is not None and len(values) == ndim + 1:
            del values[settings.channel_axis]
        if len(values) != ndim or None in values:
            raise ValueError(
                f"{path}: its metadata give no pixel size for every axis of the image "
                f"({_sizes_text(values, size.unit, digits=7)} for {ndim} axes); give the spacing "
                "instead."
            )
        found.append(PixelSize(tuple(values), size.unit))
    true_size, pred_size = found
    if true_size.unit != pred_size.unit or not np.allclose(
        true_size.sizes, pred_size.sizes, rtol=SPACING_RTOL, atol=0
    ):
        raise ValueError(
            f"the pixel sizes of the pair differ: {truth} has "
            f"{_sizes_text(true_size.sizes, true_size.unit, digits=7)} but {prediction} has "
            f"{_sizes_text(pred_size.sizes, pred_size.unit, digits=7)}; they must cover the same "
            "space (or give the spacing instead of spacing='file')."
        )
    return true_size


#: Said of a prediction whose metadata give no pixel size, with ``spacing="file"`` and a
#: truth that gives one: the truth's is used for the pair.
_TRUTHS_PIXEL_SIZE = (
    "{file}{more}: no pixel size in its metadata; the pixel size of its ground truth file is "
    "used for it ({spacing_file})"
)

#: Said of a file whose metadata give a pixel size that the spacing given is not: the
#: spacing given is used. ``{0}``: the spacing given, ``{1}``: the file's pixel size.
_SPACING_NOT_THE_FILES = (
    "the spacing given ({0}) is not the pixel size in the metadata of {{file}}{{more}} ({1}): "
    "the spacing given is used; to use the files' own, give {{spacing_file}}"
)


def _spacing_not_the_files(
    spacing: Any,
    ndim: int,
    paths: tuple[str | Path, str | Path],
    metadata: tuple[FileMetadata, FileMetadata],
    settings: FileSettings,
) -> list[Notice]:
    """The notice of a ``spacing`` given (a number or one per axis of the ``ndim`` axes) that
    differs from the pixel size in the metadata of a file of the pair (the truth's first,
    else the prediction's: the first that gives a size for every axis other than 1 on
    each, which is pixels), or none."""
    if spacing is None:
        return []
    given = np.broadcast_to(np.asarray(spacing, float), (ndim,))
    for side, (path, read) in enumerate(zip(paths, metadata, strict=True)):
        size = read.pixel_size
        if size is None:
            continue
        values = list(size.sizes)
        if side == 1 and settings.channel_axis is not None and len(values) == ndim + 1:
            del values[settings.channel_axis]
        if len(values) != ndim or None in values or set(values) == {1}:
            continue
        if np.allclose(given, values, rtol=SPACING_RTOL, atol=0):
            return []
        said = _SPACING_NOT_THE_FILES.format(
            _sizes_text(given, "", digits=7), _sizes_text(values, size.unit, digits=7)
        )
        return [Notice(said, str(path))]
    return []


def axes_example(ndim: int) -> str:
    """The axes a spacing of ``ndim`` values is given for, as an example: y,x for a 2-D
    image, z,y,x for a volume (a time axis or more: one value per axis, in order).

    Parameters
    ----------
    ndim : int
        The number of axes of the image.

    Returns
    -------
    str
        The example, for an error's advice.

    Examples
    --------
    >>> axes_example(2), axes_example(3), axes_example(4)
    ('y,x for a 2-D image', 'z,y,x for a volume', 'one per axis, in order')
    """
    return {2: "y,x for a 2-D image", 3: "z,y,x for a volume"}.get(ndim, "one per axis, in order")


def _sizes_text(sizes: Sequence[float | None], unit: str, *, digits: int | None = None) -> str:
    """Sizes as --spacing takes them, with the unit: ``"2.0,0.5,0.5 µm"``; with ``digits``,
    to that many significant digits (a message: a TIFF's rational 1/0.3 reads back as
    0.29999999988358467)."""

    def text(value: float | None) -> str:
        if value is None:
            return "none"
        return repr(float(value)) if digits is None else f"{float(value):.{digits}g}"

    joined = ",".join(text(value) for value in sizes)
    return f"{joined} {unit}" if unit else joined


def _naming_the_file(message: str, truth: str | Path, prediction: str | Path) -> str:
    """A core error about one side ("ground truth has negative label ids ...") with the
    side's file named first, as every error of a pair names the file at fault."""
    for side, path in (("ground truth ", truth), ("prediction ", prediction)):
        if message.startswith(side):
            return f"{path}: the {message}"
    return message


def _class_images(true, classes) -> tuple[Any, Any]:
    """The pair's two class images, opened and checked against the truth's shape (None for
    a prediction whose classes are its map's own: no file)."""
    if classes is None or isinstance(classes, str):
        raise ValueError(classes or "no class image files were given for this pair.")
    images = tuple(None if path is None else read_labels(path, role="classes") for path in classes)
    for path, image in zip(classes, images, strict=True):
        if image is None:
            continue
        if tuple(image.shape) != tuple(true.shape):
            raise ValueError(
                f"{path}: the class image has shape {tuple(image.shape)} but the labels have "
                f"shape {tuple(true.shape)}; it must cover the same pixels."
            )
    return images


def _region(true, settings: FileSettings, found: str | Path | None) -> Any:
    """The boolean mask of the pixels that count (lazy for a chunked file), or None: the
    run's region file and/or the pair's own (``found``: its path, or why it was not found),
    each checked against the truth's shape."""
    paths = []
    if settings.region is not None:
        paths.append(settings.region)
    if settings.region_suffix is not None:
        if found is None or isinstance(found, str):
            raise ValueError(found or "no region file was given for this pair.")
        paths.append(found)
    mask = None
    for path in paths:
        image = read_labels(path, role="region")
        if tuple(image.shape) != tuple(true.shape):
            raise ValueError(
                f"{path}: the region mask has shape {tuple(image.shape)} but the labels have "
                f"shape {tuple(true.shape)}; it must cover the same pixels."
            )
        inside = as_dask(image) != 0 if is_lazy(image) else np.asarray(image) != 0
        mask = inside if mask is None else mask & inside
    return mask


def _check_boundary_size(true, path) -> None:
    """Refuse a pair too large to hold in memory for boundary metrics (metadata only)."""
    n_pixels = int(np.prod(true.shape))
    if n_pixels > BOUNDARY_MAX_PIXELS:
        raise ValueError(
            f"{path}: {n_pixels} pixels ({' x '.join(map(str, true.shape))}); boundary metrics "
            f"hold a pair's masks in memory, up to {BOUNDARY_MAX_PIXELS} pixels. Evaluate "
            "boundaries on crops of this image, or leave boundary metrics out."
        )


def _boundary(
    true,
    labels,
    mask,
    region,
    settings: FileSettings,
    spacing: Any,
    outcome: PairOutcome,
    excluded: tuple | None,
) -> dict[str, Any]:
    """The pair's boundary metrics: per class, and the means over the object pairs matched at
    IoU 0.5 when instance labels are compared, as the dock computes them
    (:func:`~napari_seg_eval.core.boundary.pair_boundaries`: the objects' classes from
    ``outcome``, the ids ``excluded`` at the border); ``spacing``: the run's, or the
    :class:`PixelSize` read from the pair's files (recorded with the values)."""
    from ..core.boundary import BOUNDARY_COLUMNS, pair_boundaries

    true = in_memory(true)
    region = None if region is None else in_memory(region)
    region = outside_ignored(true, settings.ignore_label, region)  # they count nowhere
    from_file = isinstance(spacing, PixelSize)
    table = outcome.tables.get("instance")
    result, objects = pair_boundaries(
        true,
        None if table is None else in_memory(labels),
        true,
        in_memory(mask),
        binarize=settings.binarize_semantic,
        object_classes=outcome.classes,
        excluded_ids=excluded,
        spacing=spacing.sizes if from_file else spacing,
        tolerance=settings.tolerance,
        region=region,
    )
    summary = counts_as_integers(result.summary)  # n_classes a count in per_image.csv
    values = {key: summary[key] for key in (*(f"mean_{c}" for c in BOUNDARY_COLUMNS), "n_classes")}
    if objects is not None:
        values |= {f"object_mean_{c}": objects.summary[f"mean_{c}"] for c in BOUNDARY_COLUMNS}
        values["n_matched"] = counts_as_integers(objects.summary)["n_matched"]
    if from_file:
        values["spacing"] = _sizes_text(spacing.sizes, "")
        values["spacing_unit"] = spacing.unit
    return {"values": values, "per_class": result.per_class}


def _coco_detections(
    table: OverlapTable, scores: pd.DataFrame, iou_thresholds: Sequence[float]
) -> dict:
    """The pair's detections for COCO AP: each predicted object's score (its mean probability
    inside the region, measured in the read of the tables), and whether it matches at each IoU
    threshold by COCO's greedy rule."""
    from ..core.confidence import _greedy_matches, _scores_for

    pairs = ObjectPairs.from_table(table)
    scores = _scores_for(pairs.pred_ids, scores)
    order = np.argsort(-scores, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    matched = np.array([_greedy_matches(pairs, rank, t) for t in iou_thresholds], bool).reshape(
        len(iou_thresholds), scores.size
    )
    return {"scores": scores, "matched": matched, "n_true": int(pairs.true_ids.size)}


#: What is said of the pairs whose truth is a 2-D slice of a 3-D frame, with the ctc preset.
_SLICE_DET = (
    "{file} is a 2-D slice of a 3-D frame: SEG is scored on its plane of the prediction, as "
    "the Cell Tracking Challenge scores such slices; DET is not (NaN): the challenge's DET "
    "compares the tracking markers of whole volumes (TRA/man_track*.tif), which are not read"
)


def _plane(
    pred: Any, plane: int, truth: str | Path, prediction: str | Path, channel_axis: int | None
) -> tuple[np.ndarray, int | None, int]:
    """The plane ``plane`` of a prediction's volume (its first axis that is not the class
    axis), read alone where the array is lazy, the class axis after the plane is taken, and
    the plane's axis; the error naming both files when the prediction is not 3-D or the plane
    is outside it."""
    shape = tuple(pred.shape)
    axes = list(range(len(shape)))
    channel = None
    if channel_axis is not None and -len(shape) <= channel_axis < len(shape):
        channel = channel_axis % len(shape)
        axes.remove(channel)
    slice_of = f"{truth} is a 2-D slice of a 3-D frame (plane {plane})"
    if len(axes) != 3:
        raise ValueError(
            f"{slice_of}, but {prediction} is {len(axes)}-D {shape}"
            + (" without its class axis" if channel is not None else "")
            + ": a slice is scored on one plane of a 3-D prediction."
        )
    axis, depth = axes[0], shape[axes[0]]
    if plane >= depth:
        raise ValueError(
            f"{slice_of}, outside {prediction}, whose volume has {depth} plane(s) (0 to "
            f"{depth - 1}) along its axis {axis} {shape}."
        )
    cut = volume_plane(pred, plane, axis)
    if channel_axis is None or channel_axis < 0 or channel is None or channel < axis:
        return cut, channel_axis, axis
    return cut, channel - 1, axis


def _one_channel_dropped(pred: Any, metadata: FileMetadata, ndim: int) -> tuple[Any, FileMetadata]:
    """A probability map read without a class axis, whose metadata name a channel axis of
    one channel (an OME-Zarr map of axes c, y, x with one c), and which has one axis more
    than the ``ndim`` its truth asks for: that axis dropped (lazily for a chunked map), the
    map read as one of one class, its one channel. Any other map as it is.

    Examples
    --------
    >>> one, found = _one_channel_dropped(np.zeros((1, 4, 5)), FileMetadata("CYX", None), 2)
    >>> one.shape, found.axes
    ((4, 5), 'YX')
    >>> _one_channel_dropped(np.zeros((1, 4, 5)), FileMetadata("CYX", None), 3)[0].shape
    (1, 4, 5)
    >>> sized = FileMetadata("CYX", PixelSize((1.0, 0.5, 0.25), "µm"))
    >>> _one_channel_dropped(np.zeros((1, 4, 5)), sized, 2)[1].pixel_size.sizes
    (0.5, 0.25)
    """
    axis, shape = metadata.channel_axis, tuple(pred.shape)
    if (
        axis is None
        or len(shape) != len(metadata.axes or "")
        or shape[axis] != 1
        or len(shape) != ndim + 1
    ):
        return pred, metadata
    index = (slice(None),) * axis + (0,)
    dropped = as_dask(pred)[index] if is_lazy(pred) else pred[index]
    # The pixel size of the axes kept (an OME-Zarr scale gives one for the channel axis too).
    kept = _plane_metadata(metadata, axis, len(shape))
    return dropped, kept._replace(axes=metadata.axes.replace("C", ""))


def _other_channel_axis(path: str | Path, metadata: FileMetadata, axis: int) -> list[Notice]:
    """The notice of a map whose metadata name another axis its channel axis than the run's
    class axis ``axis`` (the first map's declared axis, or the one given): read as the run
    reads every map, which may fail on its shape, or score its classes along another axis;
    said (even with the command line's ``--quiet``: ``likely_wrong``) so that the failure or
    the numbers are understood.

    Examples
    --------
    >>> str(_other_channel_axis("m.zarr", FileMetadata("YXC", None), 0)[0])[:64]
    'm.zarr: its OME-Zarr metadata name axis 2 its channel axis, but '
    >>> _other_channel_axis("m.zarr", FileMetadata("CYX", None), -3)
    []
    """
    declared, ndim = metadata.channel_axis, len(metadata.axes or "")
    if declared is None or declared == axis % max(ndim, 1):
        return []
    template = (
        f"{{file}}: its OME-Zarr metadata name axis {declared} its channel axis, but the run "
        f"reads axis {axis} of every map as the class axis ({{channel_axis}}{axis}): maps whose "
        "classes lie on different axes are run separately"
    )
    return [Notice(template, str(path), likely_wrong=True)]


def _plane_metadata(metadata: FileMetadata, axis: int, ndim: int) -> FileMetadata:
    """The metadata of a file of ``ndim`` axes as those of its plane along ``axis``: its pixel
    size without that axis's (a slice's truth gives the sizes of the plane's axes).

    Examples
    --------
    >>> found = FileMetadata("ZYX", PixelSize((2.0, 0.5, 0.25), "µm"))
    >>> _plane_metadata(found, 0, 3).pixel_size
    PixelSize(sizes=(0.5, 0.25), unit='µm')
    """
    size = metadata.pixel_size
    if size is None or len(size.sizes) != ndim:
        return metadata
    sizes = size.sizes[:axis] + size.sizes[axis + 1 :]
    return metadata._replace(pixel_size=PixelSize(sizes, size.unit))


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, ValueError | TypeError) else f"{type(error).__name__}: {text}"


def _check_shapes(
    true, pred, truth_path, pred_path, channel_axis: int | None, *, probability: bool = False
) -> None:
    """Refuse a pair whose files do not cover the same pixels. A probability map given without
    a class axis that has one axis more than the truth, of which exactly one leaves the
    truth's shape, is told to give that axis (the dock finds it itself)."""
    true_shape, pred_shape = tuple(true.shape), tuple(pred.shape)
    if channel_axis is not None:
        if not -len(pred_shape) <= channel_axis < len(pred_shape):
            raise ValueError(
                f"{pred_path}: channel axis {channel_axis} does not fit its shape {pred_shape}."
            )
        pred_shape = tuple(int(n) for n in np.delete(pred_shape, channel_axis))
    if len(true_shape) != len(pred_shape):
        fits = [
            axis
            for axis in range(len(pred_shape))
            if tuple(np.delete(pred_shape, axis)) == true_shape
        ]
        hint = ""
        if probability and channel_axis is None and len(fits) == 1:
            axis = fits[0]
            hint = (
                f": if axis {axis} ({pred_shape[axis]} values) holds its classes, add "
                f"--channel-axis {axis} (channel_axis={axis} in Python)"
            )
        raise ValueError(
            f"{truth_path} is {len(true_shape)}-D {true_shape} but {pred_path} is "
            f"{len(pred_shape)}-D {pred_shape}"
            + (" after removing the class axis" if channel_axis is not None else "")
            + (hint or "; they must cover the same pixels")
            + "."
        )
    if true_shape != pred_shape:
        raise ValueError(
            f"shapes differ: {truth_path} {true_shape} vs {pred_path} {pred_shape}; they must "
            "cover the same pixels."
        )


def _predictions(pred, settings: FileSettings, spacing: Any = None) -> tuple[Any, Any]:
    """The instance labels and the semantic labels of a prediction file's array.

    ``spacing``: the pair's pixel size (the run's, or a :class:`PixelSize` read from its
    files, as :func:`_pair_spacing` gives it) at which ``split_touching`` splits objects.

    Label files are both. Probability maps (as :func:`chunked_if_large` gives them) are
    thresholded, lazily for a chunked map (or a large memory map), and labelled into objects:
    a chunked mask's objects are not joined yet (a
    :class:`~napari_seg_eval.core.threshold.ChunkedLabelling`, joined by :func:`_pair_tables`
    in the read of the tables), unless ``split_touching``: the watershed split needs the whole
    mask in memory.
    """
    if not settings.probability:
        return pred, pred
    from ..core.threshold import chunked_labelling, label_instances, threshold_probabilities

    mask = threshold_probabilities(
        pred,
        settings.threshold,
        channel_axis=settings.channel_axis,
        class_ids=range(pred.shape[settings.channel_axis]) if settings.background_channel else None,
    )
    if "instance" not in settings.kinds:
        return None, mask
    if is_lazy(mask) and not settings.split_touching:
        labelling = chunked_labelling(
            mask, connectivity=settings.connectivity, min_size=settings.min_size
        )
        return labelling, mask
    whole = compute(as_dask(mask))[0] if settings.split_touching and is_lazy(mask) else mask
    labels = label_instances(
        whole,
        connectivity=settings.connectivity,
        min_size=settings.min_size,
        split_touching=settings.split_touching,
        spacing=spacing.sizes if isinstance(spacing, PixelSize) else spacing,
    )
    return labels, mask


class _PairPasses(NamedTuple):
    """What :func:`_pair_tables` gets of a pair in one read of its chunks."""

    tables: dict[str, OverlapTable]
    labels: Any
    one_value_per_object: bool
    empty_map: bool
    excluded: tuple | None
    classes: tuple[pd.Series, pd.Series] | None
    scores: pd.DataFrame | None
    below_threshold: OverlapTable | None = None


def _pair_tables(
    true,
    labels,
    mask,
    settings: FileSettings,
    region=None,
    integer_map: tuple[Any, int] | None = None,
    class_images: tuple[Any, Any] | None = None,
    prob: Any = None,
    below_threshold: Any = None,
) -> _PairPasses:
    """The overlap table of each kind: of the truth with the ``labels`` (instance) and with
    the ``mask`` (semantic; foreground against background unless ``binarize_semantic`` is
    off), inside ``region``. Chunked arrays are read chunk by chunk, both tables in one
    schedule.

    And, for a probability map, whether it is empty where it should not be
    (:attr:`PairOutcome.empty_map`): no pixel of the ``mask`` above the threshold (before
    any region, ignored label or border; one reduction of the mask, in the same schedule)
    while the truth has objects (its ids in the tables).

    And the labels: ``labels`` as they are, or, for a
    :class:`~napari_seg_eval.core.threshold.ChunkedLabelling`, the joined lazy labels. Its
    chunks are labelled in the same schedule as the tables, the instance table counted on
    their node keys and relabelled: each chunk of the map is read once for both tables and
    the objects in the border band (``exclude_border``: each chunk's band under its node
    keys, renamed after the join; the truth's band in the same schedule), object classes and
    COCO scores (below), and again only where the labels themselves are read: boundary
    metrics.

    And, for an ``integer_map`` (a uint8/uint16 map, its values or scaled to [0, 1]; and the
    dtype maximum it is divided by) with instance metrics, whether it holds one value per
    object, as a label image does (see :func:`_one_value_per_object`; its values counted in
    the same schedule).

    And the ids left out at the border (``exclude_border``), each side's, or None.

    And, with ``class_images`` (the truth's, the prediction's), each side's objects' classes
    (id -> the majority class of its pixels that vote: inside the region, not on the ignored
    truth id), counted in the same schedule (a map's objects under its chunks' node keys,
    each chunk labelled again from the mask's chunks read once, renamed after the join).

    And, with ``prob`` (the map, for the ``coco`` preset), the predicted objects' scores
    (``label``, ``score``: the mean probability inside the region), summed in the same
    schedule too (see :func:`~napari_seg_eval.core.review.object_scores_lazy`).

    And, with ``below_threshold`` (a map with a background channel: the pixels whose class
    the threshold made background, see
    :func:`~napari_seg_eval.evaluation.below_threshold_classes`), their table against the
    truth, inside the region and without the ignored pixels, in the same schedule."""
    kinds = settings.kinds
    options = {"ignore_label": settings.ignore_label, "region": region}
    empty_map = one_value = False
    border = None  # the ids in the border band of each side, when read with the tables
    counts = [None, None]  # the pixels of each (object, class) of each side's class image
    # The pixels that count (a zarr truth as dask: zarr arrays do not compare pixel-wise).
    compared = as_dask(true) if is_lazy(true) else true
    voters = outside_ignored(compared, settings.ignore_label, region)
    # Semantic by class with class images: the two class images compared, not the ids.
    class_semantic = None
    if class_images is not None and "semantic" in kinds and not settings.binarize_semantic:
        class_semantic = overlap_table_lazy(*class_images, region=voters)
    if class_images is not None and labels is not None:
        counts = [
            overlap_table_lazy(true, class_images[0], region=voters),
            labels.table_lazy(class_images[1], region=voters)
            if hasattr(labels, "table_lazy")  # a ChunkedLabelling
            else overlap_table_lazy(labels, class_images[1], region=voters),
        ]
    # The coco scores: summed in the read that labels a map's chunks, or with a region (or
    # labels in memory) over the objects' pixels inside it.
    measured = prob is not None and region is None and hasattr(labels, "passes_lazy")
    score_sums = None
    if prob is not None and not measured:
        score_sums = object_scores_lazy(labels, prob, region)
    joined = None  # a map's chunked labelling, joined
    below = None  # the table of the pixels the threshold made background (a map's)
    if labels is mask:  # label files: one table serves both kinds, the bands in its read
        band = settings.exclude_border if "instance" in kinds else 0
        table, *border, counts, score_sums, class_semantic = compute(
            overlap_table_lazy(true, labels, **options) if kinds else None,
            border_ids_lazy(true, band),
            border_ids_lazy(labels, band),
            counts,
            score_sums,
            class_semantic,
        )
        tables = dict.fromkeys(kinds, table)
        if class_semantic is not None:  # the class images' table, read with it
            tables["semantic"] = class_semantic
    else:  # a probability map (label files need no scikit-image: imported here)
        from ..core.threshold import ChunkedLabelling

        labelling = labels if isinstance(labels, ChunkedLabelling) else None
        # Objects at the border of a map's labels: their band in the read that labels them.
        band = settings.exclude_border if "instance" in kinds and labelling is not None else 0
        lazy = [
            labelling.passes_lazy(
                true,
                **options,
                probability=prob if measured else None,
                border=band,
                measure=measured,
            )
            if kind == "instance" and labelling is not None
            else class_semantic
            if kind == "semantic" and class_semantic is not None
            else overlap_table_lazy(true, labels if kind == "instance" else mask, **options)
            for kind in kinds
        ]
        # One task per chunk of the mask the tables read anyway (the same graph keys).
        above = fold_lazy(_any_pixel, any, [mask]) if is_lazy(mask) else mask.any()
        values = None  # the counts of an integer map's values
        if integer_map is not None and "instance" in kinds:
            scaled, levels = integer_map
            count = functools.partial(_value_counts, levels=levels)
            values = (
                fold_lazy(count, sum, [scaled]) if is_lazy(scaled) else fold(count, sum, [scaled])
            )
        if below_threshold is not None:
            below = overlap_table_lazy(true, below_threshold, **options)
        *computed, above, values, true_border, counts, score_sums, below = compute(
            *lazy, above, values, border_ids_lazy(true, band), counts, score_sums, below
        )
        tables = dict(zip(kinds, computed, strict=True))
        if labelling is not None:
            summaries, node_table, node_sums, node_band, _ = tables["instance"]
            joined = labelling.join(summaries)
            if measured:  # the objects' sums, renamed: every pixel of each object
                score_sums = [relabelled_sums(node_sums, joined.global_ids(node_sums["label"]))]
            labels = joined.labels
            true_dtype = np.uint8 if true.dtype == bool else true.dtype
            tables["instance"] = joined.relabelled(node_table, true_dtype)
            if band:
                border = (true_border, joined.band_ids(node_band))
        empty_map = not above and any(np.any(t.true_ids != 0) for t in tables.values())
        if values is not None:  # the objects before any is removed at the border
            one_value = _one_value_per_object(tables["instance"], values, settings.threshold)
    width = settings.exclude_border
    excluded = None  # the ids left out at the border, each side's
    if width and "instance" in tables:
        if border is None:
            border = (border_ids(true, width), border_ids(labels, width))
        tables["instance"] = remove_objects(tables["instance"], *border)
        excluded = border
    if "semantic" in tables and settings.binarize_semantic:
        tables["semantic"] = binarized_table(tables["semantic"])
    classes = None
    if class_images is not None and labels is not None:
        true_classes, pred_classes = counts
        if joined is not None:  # the class image's table with the map's node keys, renamed
            dtype = np.uint8 if class_images[1].dtype == bool else class_images[1].dtype
            pred_classes = joined.relabelled(pred_classes[1], dtype)
        classes = (
            _classes_by_id(majority_of_table(true_classes)),
            _classes_by_id(majority_of_table(pred_classes, "true" if joined is None else "pred")),
        )
    scores = None
    if score_sums is not None:
        scores = object_scores_of(score_sums, None if measured else joined)
    return _PairPasses(tables, labels, one_value, bool(empty_map), excluded, classes, scores, below)


def _classes_by_id(majority: tuple[np.ndarray, np.ndarray]) -> pd.Series:
    """Object id -> class, from :func:`~napari_seg_eval.core.classes.majority_of_table`."""
    ids, classes = majority
    return pd.Series(classes, index=ids)


def _any_pixel(block: np.ndarray) -> bool:
    """Whether a block of a mask has a non-zero pixel."""
    return bool(block.any())


#: The fewest objects whose areas must each be the count of one value for an integer
#: probability map to hold one value per object (see :func:`_one_value_per_object`).
ONE_VALUE_MIN_OBJECTS = 3


def _value_counts(block: np.ndarray, *, levels: int) -> np.ndarray:
    """How many pixels of a block of an integer map (its values, or scaled to [0, 1] as
    value / ``levels``) hold each value 0..``levels``."""
    block = np.asarray(block)
    if block.dtype.kind == "f":
        # value / levels * levels is within 0.01 of the value (float32): + 0.5, floored, is it.
        block = (block.astype(np.float32) * np.float32(levels) + np.float32(0.5)).astype(np.intp)
    return np.bincount(block.ravel(), minlength=levels + 1)


def _one_value_per_object(table: OverlapTable, counts: np.ndarray, threshold: float) -> bool:
    """Whether a scaled integer map holds one value per object, as a label image read as
    probabilities does, from its value counts and its objects' areas alone (no other pass
    over the pixels).

    An object of a label image is one id: its area is the count of one value. A probability
    map's object (pixels above the threshold, joined) rises from the threshold at its edge
    to its peak inside, through many values each shared by the edges of every object, so an
    object's area equals the count of one value only by chance. The sign: the areas of at
    least :data:`ONE_VALUE_MIN_OBJECTS` objects, holding more than half of the objects'
    pixels, are each the count of a value above the threshold (each value counted once).
    Touching objects of a label image are one object of two values here: a dense label
    image may show no sign."""
    levels = counts.size - 1
    kept = np.arange(levels + 1) / levels > threshold  # as the map is read: float64
    values = counts[kept & (counts > 0)]
    areas = table.pred_areas[table.pred_ids != 0]
    # A one-pixel object is one value in any map (a sparse map of isolated spikes): no sign.
    area, objects = np.unique(areas[areas > 1], return_counts=True)
    count, times = np.unique(values, return_counts=True)
    shared, at_area, at_count = np.intersect1d(area, count, return_indices=True)
    matched = np.minimum(objects[at_area], times[at_count])
    matched_pixels = int((shared.astype(np.int64) * matched).sum())
    return int(matched.sum()) >= ONE_VALUE_MIN_OBJECTS and 2 * matched_pixels > int(areas.sum())


def collect(pairing: Pairing, outcomes: list[PairOutcome], settings: FileSettings) -> FilesResult:
    """The result of a run from the outcome of each pair (in pairing order)."""
    columns = {
        "name": pairing.names,
        "truth": [_absolute(t) for t, _ in pairing.pairs],
        "prediction": [_absolute(p) for _, p in pairing.pairs],
    }
    if any(name in pairing.planes for name in pairing.names):  # truth slices of 3-D frames
        planes = [pairing.plane(name) for name in pairing.names]
        columns["plane"] = pd.array(planes, dtype="Int64")
    columns["error"] = [outcome.error or "" for outcome in outcomes]
    rows = pd.DataFrame(columns)
    succeeded = [i for i, outcome in enumerate(outcomes) if outcome.error is None]
    datasets: dict[str, DatasetResult] = {}
    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {"n_pairs": len(outcomes), "n_failed": len(outcomes) - len(succeeded)}
    per_image = rows
    if succeeded:
        done = [outcomes[i] for i in succeeded]
        for family in settings.families:
            if family in settings.kinds:
                dataset = _dataset(family, done, settings)
                datasets[family] = dataset
                values, family_summary = dataset.per_image.drop(columns="image"), dataset.summary
            else:
                names = [pairing.names[i] for i in succeeded]
                values, family_summary, family_tables = _FAMILIES[family](done, names, settings)
                tables |= family_tables
            values = values.rename(
                columns={c: f"{family}_{c}" for c in values.columns if c in per_image.columns}
            )
            values.index = succeeded
            # Counts stay integers beside the empty cells of failed pairs.
            integers = values.select_dtypes("integer").columns
            per_image = per_image.join(values.astype(dict.fromkeys(integers, "Int64")))
            for key, value in family_summary.items():
                if key not in summary:
                    summary[key] = value
                elif summary[key] != value:  # n_images is shared; anything else is prefixed
                    summary[f"{family}_{key}"] = value
            if family == "instance" and settings.preset == "neurips2022":
                summary["f1_50_image_median"] = dataset.per_image["f1_50"].astype(float).median()
    notices = [notice for outcome in outcomes for notice in outcome.notices]
    if settings.probability:
        notices += _label_image_notices(pairing, outcomes, settings)
    return FilesResult(
        per_image, pd.Series(summary, dtype=object), datasets, pairing, settings, tables, notices
    )


def _label_image_notices(
    pairing: Pairing, outcomes: list[PairOutcome], settings: FileSettings
) -> list[Notice]:
    """The notices that some probability maps look like label images read as probabilities,
    from what each pair computed anyway: no pixel above the threshold while their truth has
    objects (:attr:`PairOutcome.empty_map`: ids / 65535), or one value per object
    (:attr:`PairOutcome.one_value_per_object`: every object whose id, read as a probability,
    is not above the threshold is lost). One notice per sign, naming the first file."""
    evaluated = [
        (str(pred), outcome)
        for (_, pred), outcome in zip(pairing.pairs, outcomes, strict=True)
        if outcome.error is None
    ]
    threshold = f"{settings.threshold:g}"
    signs = (
        ("empty_map", ("has", "have"), f"no pixel above the threshold {threshold}", ":"),
        (
            "one_value_per_object",
            ("holds", "hold"),
            "one value per object, as label images do",
            ": read as probabilities, the objects with the smaller ids fall below the threshold "
            f"{threshold} and are lost;",
        ),
    )
    notices = []
    for sign, (verb_one, verb_many), what, why in signs:
        found = [pred for pred, outcome in evaluated if getattr(outcome, sign)]
        if not found:
            continue
        one = len(found) == 1
        files = "{file}" + ("" if one else f" and {len(found) - 1} more")
        question = "is it a label image" if one else "are they label images"
        template = (
            f"{len(found)} of {len(evaluated)} predictions {verb_one if one else verb_many} "
            f"{what} ({files}){why} {question}? (drop {{probability}})"
        )
        notices.append(Notice(template, found[0], likely_wrong=True))
    return notices


def _boundary_family(
    outcomes: list[PairOutcome], names: list[str], settings: FileSettings
) -> tuple[pd.DataFrame, dict, dict[str, pd.DataFrame]]:
    """Boundary metrics per image, the per-class rows of every image, and their image means
    (boundary metrics are not additive: no pooled value)."""
    from ..core.boundary import BOUNDARY_COLUMNS

    values = pd.DataFrame([outcome.boundary["values"] for outcome in outcomes])
    per_class = pd.concat(
        [
            outcome.boundary["per_class"].assign(name=name)
            for outcome, name in zip(outcomes, names, strict=True)
        ],
        ignore_index=True,
    )
    per_class = per_class[["name", "class", *BOUNDARY_COLUMNS]]
    columns = list(BOUNDARY_COLUMNS)
    image_mean = (
        per_class.groupby("class", sort=True)[columns].agg(nanmean).reset_index()
        if len(per_class)
        else pd.DataFrame(columns=["class", *columns])
    )
    summary = {"n_images": len(outcomes)}
    for column in values.columns:
        if column not in ("n_classes", "n_matched", "spacing", "spacing_unit"):
            summary[f"{column}_image_mean"] = nanmean(values[column].to_numpy(float))
    return (
        values,
        summary,
        {"boundary_image_mean": image_mean, "boundary_per_class": per_class},
    )


def _ctc_family(
    outcomes: list[PairOutcome], names: list[str], settings: FileSettings
) -> tuple[pd.DataFrame, dict, dict[str, pd.DataFrame]]:
    """SEG and DET per image, pooled from the summed counts, and their image means; with a
    confidence interval, their bootstrap bounds over the images (the resamples of the other
    families' intervals). A truth slice of a 3-D frame adds to SEG only (see
    :func:`~napari_seg_eval.core.tracking.slice_counts`): its DET and DET's counts (fn, fp,
    ns) are empty, and the pooled DET is of the whole frames (without one, NaN, and so are
    the pooled fn, fp, ns, AOGM-D and AOGM-D0)."""
    counts = [outcome.ctc for outcome in outcomes]
    values = pd.DataFrame([ctc_values(image) for image in counts])
    summed = ctc_sum(counts)
    pooled = ctc_scores(summed)
    pooled_row = {
        "seg": pooled["seg"],
        "det": pooled["det"],
        "seg_sum": float(summed["seg_sum"]),
        "aogm_d": pooled["aogm_d"],
        "aogm_d0": pooled["aogm_d0"],
        **pooled["counts"],
    }
    slices = [outcome.plane is not None for outcome in outcomes]
    if all(slices):  # no whole frame: DET and its counts are empty, not 0
        pooled_row.update(dict.fromkeys(("aogm_d", "aogm_d0", "fn", "fp", "ns"), np.nan))
    if any(slices):  # DET's counts are of whole frames: none on a slice
        values = values.astype(dict.fromkeys(("fn", "fp", "ns"), "Int64"))
        values.loc[slices, ["fn", "fp", "ns"]] = pd.NA
    image_mean = {key: nanmean(values[key].to_numpy(float)) for key in ("seg", "det")}
    summary = {"n_images": len(outcomes)}
    for key in ("seg", "det"):
        summary[f"{key}_pooled"] = pooled[key]
        summary[f"{key}_image_mean"] = image_mean[key]
    if settings.confidence_interval is not None:
        interval = bootstrap_ctc(counts, confidence=settings.confidence_interval)
        for row in interval.itertuples():  # NaN bounds for a value of fewer than 2 images
            summary[f"{row.metric}_low"] = row.low
            summary[f"{row.metric}_high"] = row.high
    return (
        values.drop(columns=["n_true", "n_pred"]),
        summary,
        {"ctc_pooled": pd.DataFrame([pooled_row]), "ctc_image_mean": pd.DataFrame([image_mean])},
    )


def coco_pooled(
    detections: Sequence[dict[str, Any]], iou_thresholds: Sequence[float]
) -> pd.DataFrame:
    """COCO AP of detections accumulated over images, as pycocotools' ``accumulate`` does.

    Every image's detections are joined in image order (each image's in descending score
    order, ties in id order), then ranked by score with a stable sort (ties: the earlier
    image first); precision and recall run down that one ranking, recall over the true
    objects of all images. Not the mean of the per-image APs.

    Parameters
    ----------
    detections : sequence of dict
        Per image: ``scores`` (one per predicted object), ``matched`` (IoU thresholds ×
        objects, whether each matches at each threshold by COCO's greedy rule within its
        image) and ``n_true``.
    iou_thresholds : sequence of float
        The thresholds of the rows of ``matched``.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``threshold``, ``ap`` (101-point interpolated; NaN without
        true objects), ``tp``, ``fp``, ``n_true``.

    Examples
    --------
    Image 1: one object found with score 0.9. Image 2: one false detection (0.8), then its
    object found (0.7). Ranked: hit, miss, hit: precision 1 up to recall 1/2, then 2/3.

    >>> one = {"scores": np.array([0.9]), "matched": np.array([[True]]), "n_true": 1}
    >>> two = {"scores": np.array([0.8, 0.7]), "matched": np.array([[False, True]]), "n_true": 1}
    >>> table = coco_pooled([one, two], [0.5])
    >>> round(float(table.loc[0, "ap"]), 6)  # (51 points × 1 + 50 points × 2/3) / 101
    0.834983
    """
    from ..core.confidence import _interpolated_ap

    scores = np.concatenate([np.asarray(d["scores"], float) for d in detections])
    images = [np.argsort(-np.asarray(d["scores"], float), kind="stable") for d in detections]
    offsets = np.cumsum([0] + [len(d["scores"]) for d in detections])[:-1]
    # pycocotools' order: each image's detections by score, images one after another ...
    joined = np.concatenate([order + offset for order, offset in zip(images, offsets, strict=True)])
    # ... then one stable sort by score over all of them.
    ranking = joined[np.argsort(-scores[joined], kind="stable")]
    n_true = int(sum(d["n_true"] for d in detections))
    rows = []
    for row, threshold in enumerate(iou_thresholds):
        matched = np.concatenate([np.asarray(d["matched"][row], bool) for d in detections])
        hits = matched[ranking]
        tp, fp = np.cumsum(hits), np.cumsum(~hits)
        rows.append(
            {
                "threshold": float(threshold),
                "ap": _interpolated_ap(tp, fp, n_true),
                "tp": int(tp[-1]) if tp.size else 0,
                "fp": int(fp[-1]) if fp.size else 0,
                "n_true": n_true,
            }
        )
    return pd.DataFrame(rows)


def _coco_summary(table: pd.DataFrame) -> dict[str, float]:
    """map (mean AP over the thresholds, NaN ones left out), ap_50 and ap_75."""

    def at(value: float) -> float:
        found = table.loc[np.isclose(table["threshold"], value), "ap"]
        return float(found.iloc[0]) if len(found) else float("nan")

    return {"map": nanmean(table["ap"].to_numpy(float)), "ap_50": at(0.5), "ap_75": at(0.75)}


def _coco_family(
    outcomes: list[PairOutcome], names: list[str], settings: FileSettings
) -> tuple[pd.DataFrame, dict, dict[str, pd.DataFrame]]:
    """COCO AP per image, pooled over images as pycocotools does, and the image means."""
    thresholds = settings.iou_thresholds
    per_image = [coco_pooled([outcome.coco], thresholds) for outcome in outcomes]
    values = pd.DataFrame([_coco_summary(table) for table in per_image])
    pooled = coco_pooled([outcome.coco for outcome in outcomes], thresholds)
    stacked = np.array([table["ap"].to_numpy(float) for table in per_image])
    image_mean = pd.DataFrame(
        {"threshold": list(thresholds), "ap": [nanmean(column) for column in stacked.T]}
    )
    summary: dict[str, Any] = {"n_images": len(outcomes)}
    pooled_summary = _coco_summary(pooled)
    for key in ("map", "ap_50", "ap_75"):
        summary[f"{key}_pooled"] = pooled_summary[key]
        summary[f"{key}_image_mean"] = nanmean(values[key].to_numpy(float))
    return values, summary, {"coco_pooled": pooled, "coco_image_mean": image_mean}


_FAMILIES = {"boundary": _boundary_family, "ctc": _ctc_family, "coco": _coco_family}


def _dataset(kind: str, outcomes: list[PairOutcome], settings: FileSettings) -> DatasetResult:
    """The dataset result of a kind: instance from the pairs' parts (matched where each pair
    was read), semantic from their tables."""
    if kind == "instance":
        return dataset_from_parts(
            [outcome.instance for outcome in outcomes],
            confidence_interval=settings.confidence_interval,
        )
    ignore_label = settings.ignore_label
    if kind == "semantic" and settings.binarize_semantic:  # the tables' ids: 0 and 1
        ignore_label = binarized_ignore_label(ignore_label)
    elif kind == "semantic" and settings.with_classes:  # classes: the ignored pixels left out
        ignore_label = None
    return dataset_from_tables(
        [outcome.tables[kind] for outcome in outcomes],
        kind=kind,
        include_background=settings.include_background,
        ignore_label=ignore_label,
        confidence_interval=settings.confidence_interval,
        region=settings.region is not None or settings.region_suffix is not None,
    )


def versions() -> dict[str, str]:
    """Versions of this package and of the libraries the numbers depend on."""
    import dask
    import scipy
    import skimage

    return {
        "napari_seg_eval": __version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-image": skimage.__version__,
        "pandas": pd.__version__,
        "dask": dask.__version__,
    }
