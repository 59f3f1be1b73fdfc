"""Evaluating pairs of files: one pair at a time, or one task per pair on a dask cluster.

Never more than one pair's arrays are held at once: each pair is read, reduced to its additive
overlap table(s) (chunked files chunk by chunk, by the core on dask's current scheduler:
probability maps thresholded and labelled lazily), and its arrays are dropped. The per-image,
pooled and image-mean results are built from the small tables alone, so the serial run and the
distributed run give identical numbers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pandas as pd
from dask.callbacks import Callback

from .._version import __version__
from ..core._results import Result
from ..core.blocks import as_dask, is_lazy
from ..core.classes import majority_classes
from ..core.dataset import DatasetResult, dataset_from_tables
from ..core.instance import (
    DEFAULT_IOU_THRESHOLDS,
    border_ids,
    check_criterion,
    check_exclude_border,
    remove_objects,
    threshold_fraction,
)
from ..core.overlap import OverlapTable, overlap_table, overlap_table_lazy
from ..core.presets import PRESETS, get_preset
from ..core.threshold import label_instances, threshold_probabilities
from .pairs import Pairing, find_class_files, pair_files
from .read import chunked_if_large, read_labels, read_probabilities

#: What each ``kind`` computes, in order. A new kind adds an entry here and a table builder in
#: :func:`_pair_tables` and :func:`_dataset`.
KINDS: dict[str, tuple[str, ...]] = {
    "instance": ("instance",),
    "semantic": ("semantic",),
    "all": ("instance", "semantic"),
}

#: The challenge presets computed from files (the others need scores or per-frame matching
#: not read from files: use :func:`~napari_seg_eval.core.presets.preset_metrics`). ``conic``
#: needs class images (``truth_classes_suffix`` and ``prediction_classes_suffix``).
FILE_PRESETS = ("dsb2018", "neurips2022", "conic")


_NOT_FROM_FILES = {
    "ctc": "the CTC's per-object matching",
    "coco": "a score per object",
}

_CONIC_NEEDS_CLASSES = (
    "the conic preset needs class images of both sides: give truth_classes_suffix and "
    "prediction_classes_suffix (--truth-classes-suffix, --prediction-classes-suffix)."
)


def _preset_error(preset: str) -> str:
    if preset == "conic":
        return _CONIC_NEEDS_CLASSES
    if preset in _NOT_FROM_FILES:
        return (
            f"the {preset} preset is not available for files yet (it needs "
            f"{_NOT_FROM_FILES[preset]}); use napari_seg_eval.core.presets.preset_metrics."
        )
    return f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}."


#: Seconds between two reports of the tasks done within one pair.
TASK_REPORT_SECONDS = 0.2


@dataclass(frozen=True)
class FileSettings:
    """Every setting of a run over files (written to ``settings.json``).

    ``kind``: "instance", "semantic" or "all". ``iou_thresholds``: matching thresholds.
    ``probability``: predictions are probability maps, thresholded at ``threshold`` (``p >
    threshold``; a class axis ``channel_axis`` gives the argmax class) and, for instance
    metrics, labelled into objects (``min_size``, ``split_touching`` as
    :func:`~napari_seg_eval.label_instances`). ``ignore_label``: truth id left out of every
    count. ``binarize_semantic``: semantic metrics compare foreground (label > 0) with
    background; False compares label values as classes. ``include_background``: class 0 in the
    semantic means. ``exclude_border``: instance objects touching a band of this many pixels at
    the image edge are removed from both sides. ``criterion``: the instance matching criterion
    (``"iou"``, ``"iot"``, ``"iop"``, as :func:`~napari_seg_eval.instance_metrics`).
    ``with_classes``: each pair has class images (multi-class instance results).
    ``preset``: the challenge preset the settings came from (see :func:`with_preset`), if any.
    """

    kind: str = "instance"
    iou_thresholds: tuple[float, ...] = DEFAULT_IOU_THRESHOLDS
    probability: bool = False
    threshold: float = 0.5
    channel_axis: int | None = None
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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}.")
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
        if self.channel_axis is not None and not self.probability:
            raise ValueError("channel_axis is for probability maps: set probability=True.")
        object.__setattr__(self, "exclude_border", check_exclude_border(self.exclude_border))
        check_criterion(self.criterion)
        if self.confidence_interval is not None and not 0 < self.confidence_interval < 1:
            raise ValueError(
                f"confidence_interval must be in (0, 1), got {self.confidence_interval!r}."
            )
        if self.with_classes and "instance" not in self.kinds:
            raise ValueError("class images are for instance metrics: use kind 'instance' or 'all'.")
        if self.preset is not None and self.preset not in FILE_PRESETS:
            raise ValueError(_preset_error(self.preset))
        if self.preset == "conic" and not self.with_classes:
            raise ValueError(_CONIC_NEEDS_CLASSES)

    @classmethod
    def with_preset(cls, preset: str, **settings: Any) -> FileSettings:
        """Settings of a challenge preset (``kind``, ``iou_thresholds``, ``exclude_border``,
        ``criterion``), with the other ``settings`` as given.

        Parameters
        ----------
        preset : str
            ``"dsb2018"``, ``"neurips2022"`` or ``"conic"`` (the presets computed from files;
            ``"conic"`` with ``with_classes=True``).
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
        """
        if preset not in FILE_PRESETS:
            raise ValueError(_preset_error(preset))
        fixed = {"kind", "iou_thresholds", "exclude_border", "criterion"} & set(settings)
        if fixed:
            raise ValueError(
                f"the {preset} preset sets {', '.join(sorted(fixed))}; leave them out."
            )
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
        """The metric families computed."""
        return KINDS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON values."""
        settings = asdict(self)
        settings["iou_thresholds"] = list(self.iou_thresholds)
        return settings


@dataclass
class PairOutcome:
    """What one pair gave: its overlap tables (one per kind) and, with class images, the class
    of each object per side (id -> class); or the error that stopped it."""

    tables: dict[str, OverlapTable] | None
    error: str | None = None
    shape: tuple[int, ...] | None = None
    classes: tuple[pd.Series, pd.Series] | None = None


@dataclass(frozen=True, repr=False)
class FilesResult(Result):
    """Metrics of many file pairs.

    ``per_image``: one row per pair (``name``, ``truth``, ``prediction``, ``error`` — empty
    unless the pair failed — then each kind's per-image columns). ``summary``: ``n_pairs``,
    ``n_failed`` and each kind's dataset summary (``*_pooled``, ``*_image_mean``).
    ``datasets``: kind -> :class:`~napari_seg_eval.DatasetResult` over the pairs that
    succeeded (also ``result["instance"]``). ``pairing``: the pairs and the files left out.
    ``settings``: the :class:`FileSettings`.
    """

    per_image: pd.DataFrame
    summary: pd.Series
    datasets: dict[str, DatasetResult]
    pairing: Pairing
    settings: FileSettings = field(default_factory=FileSettings)

    _main = "per_image"

    def __getitem__(self, kind: str) -> DatasetResult:
        if kind not in self.datasets:
            raise KeyError(
                f"no {kind!r} results: computed {', '.join(self.datasets) or 'nothing'}"
                f" (kind={self.settings.kind!r}{', every pair failed' if self.n_failed else ''})."
            )
        return self.datasets[kind]

    def write(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write the result folder (see :func:`~napari_seg_eval.io.write_results`)."""
        from .results import write_results

        return write_results(self, folder, overwrite=overwrite)

    @property
    def n_failed(self) -> int:
        """Number of pairs that failed (their errors are in ``per_image["error"]``)."""
        return int((self.per_image["error"] != "").sum())

    @property
    def failed(self) -> pd.DataFrame:
        """The pairs that failed: name, truth, prediction, error."""
        rows = self.per_image[self.per_image["error"] != ""]
        return rows[["name", "truth", "prediction", "error"]].reset_index(drop=True)


class _TaskProgress(Callback):
    """Reports the tasks finished in each dask schedule (local schedulers) to ``report``:
    at most every :data:`TASK_REPORT_SECONDS`, and when the schedule ends."""

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


class Progress:
    """Receives progress reports; this base ignores them (see ``TextProgress``)."""

    def start(self, total: int) -> None:
        """The run starts with ``total`` pairs."""

    def pair_done(self, done: int, total: int, name: str, error: str | None) -> None:
        """``done`` of ``total`` pairs are finished; the last was ``name``."""

    def chunk_done(self, done: int, total: int) -> None:
        """``done`` of ``total`` dask tasks reading the current pair's chunks are finished."""

    def close(self) -> None:
        """The run is over."""


def evaluate_files(
    truth: str | Path | Iterable[Any] | Pairing,
    prediction: str | Path | Iterable[str | Path] | None = None,
    *,
    kind: str = "instance",
    iou_thresholds: Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    probability: bool = False,
    threshold: float = 0.5,
    channel_axis: int | None = None,
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
    client: Any = None,
    progress: Progress | None = None,
) -> FilesResult:
    """Evaluate prediction files against ground-truth files, one pair in memory at a time.

    Parameters
    ----------
    truth, prediction
        Folders or files of each side, paired by name (:func:`pair_files`, with
        ``truth_suffix`` and ``prediction_suffix``). Or ``truth`` alone: a :class:`Pairing`, or
        a list of (truth path, prediction path) pairs.
    kind
        "instance" (matching at ``iou_thresholds``), "semantic" (pixel-wise; foreground vs
        background unless ``binarize_semantic=False``) or "all".
    probability, threshold, channel_axis, connectivity, min_size, split_touching
        Predictions are probability maps: foreground where ``p > threshold`` (argmax over
        ``channel_axis`` for classes), objects labelled as :func:`label_instances` does.
        ``connectivity`` is 1 (faces only) by default, as in the dock widget; ``None`` joins
        diagonal neighbours too (``label_instances``' own default).
    ignore_label
        Truth id whose pixels are left out of every count.
    exclude_border
        Instance: objects touching a band of this many pixels at the image edge are removed
        from both sides before matching.
    criterion
        Instance: the matching criterion, "iou" (default), "iot" or "iop" (see
        :func:`~napari_seg_eval.instance_metrics`).
    preset
        A challenge preset ("dsb2018", "neurips2022" or "conic"): it sets ``kind``,
        ``iou_thresholds``, ``exclude_border`` and ``criterion`` (leave those at their
        defaults). "conic" needs class images.
    confidence_interval
        E.g. 0.95: the summary gains ``*_low`` / ``*_high`` for every pooled and image-mean
        headline value, a percentile bootstrap over the images (see
        :func:`~napari_seg_eval.dataset_metrics`).
    truth_classes_suffix, prediction_classes_suffix
        Class images, both or neither (multi-class instance results, see
        :func:`~napari_seg_eval.dataset_metrics`): the class image of the pair named N is the
        file N + suffix (any image extension) in the folder of the pair's truth (prediction)
        file; class files are not paired as images themselves.
    client
        A ``dask.distributed.Client``: one task per pair runs on its cluster (the files must be
        readable there). Default: the current client if one is active, else this process.
    progress
        Receives a report after each pair (and the tasks reading a chunked pair when run here).

    Returns
    -------
    FilesResult
        Per-pair rows (failed pairs with their error), the dataset results per kind, the
        pairing and the settings; ``.write(folder)`` writes the result folder.

    Raises
    ------
    FileReadError
        A folder or file does not exist, or two files of a side share a name.
    ValueError
        A setting is invalid, or there are no pairs; raised before any file is read.

    Examples
    --------
    >>> result = evaluate_files(
    ...     "truth/", "cellpose/", prediction_suffix="_cp_masks"
    ... )  # doctest: +SKIP
    >>> result["instance"].summary["mean_accuracy_pooled"]  # doctest: +SKIP
    """
    chosen = {
        "kind": kind,
        "iou_thresholds": tuple(iou_thresholds),
        "exclude_border": exclude_border,
        "criterion": criterion,
    }
    if preset is not None:  # the preset's fields, unless they were changed from the defaults
        defaults = {
            "kind": "instance",
            "iou_thresholds": DEFAULT_IOU_THRESHOLDS,
            "exclude_border": 0,
            "criterion": "iou",
        }
        chosen = {key: value for key, value in chosen.items() if value != defaults[key]}
    others = dict(
        probability=probability,
        threshold=threshold,
        channel_axis=channel_axis,
        connectivity=connectivity,
        min_size=min_size,
        split_touching=split_touching,
        ignore_label=ignore_label,
        binarize_semantic=binarize_semantic,
        include_background=include_background,
        with_classes=_with_classes(truth_classes_suffix, prediction_classes_suffix),
        confidence_interval=confidence_interval,
    )
    settings = (
        FileSettings(**chosen, **others)
        if preset is None
        else FileSettings.with_preset(preset, **chosen, **others)
    )
    pairing = as_pairing(truth, prediction, truth_suffix, prediction_suffix)
    classes = None
    if settings.with_classes:
        pairing, classes = find_class_files(
            pairing, truth_classes_suffix, prediction_classes_suffix
        )
        if not pairing.pairs:
            raise ValueError(f"no pairs of files to evaluate.\n{pairing.describe()}")
    outcomes = run_pairs(pairing, settings, client=client, progress=progress, classes=classes)
    return collect(pairing, outcomes, settings)


def _with_classes(truth_classes_suffix: str | None, prediction_classes_suffix: str | None) -> bool:
    """Whether class images are read: both suffixes given, or neither (else an error)."""
    if (truth_classes_suffix is None) != (prediction_classes_suffix is None):
        raise ValueError(
            "give both truth_classes_suffix and prediction_classes_suffix (or neither); got "
            f"only {'truth' if prediction_classes_suffix is None else 'prediction'}"
            "_classes_suffix."
        )
    return truth_classes_suffix is not None


def as_pairing(truth, prediction, truth_suffix: str = "", prediction_suffix: str = "") -> Pairing:
    """A :class:`Pairing` from folders/files of each side, a list of pairs, or a Pairing."""
    if prediction is not None:
        pairing = pair_files(
            truth, prediction, truth_suffix=truth_suffix, prediction_suffix=prediction_suffix
        )
    elif isinstance(truth, Pairing):
        pairing = truth
    else:
        pairs = [(Path(t), Path(p)) for t, p in truth]
        names = [t.name for t, _ in pairs]
        pairing = Pairing(pairs, names)
    if not pairing.pairs:
        raise ValueError(f"no pairs of files to evaluate.\n{pairing.describe()}")
    return pairing


def run_pairs(
    pairing: Pairing,
    settings: FileSettings,
    *,
    client: Any = None,
    progress: Progress | None = None,
    classes: list[tuple[Path, Path] | str] | None = None,
) -> list[PairOutcome]:
    """The outcome of every pair, in pairing order, here or on ``client``'s cluster.

    ``classes``: for each pair, its (truth, prediction) class image files, or the error
    saying why they were not found (see :func:`~napari_seg_eval.io.pairs.find_class_files`).
    """
    progress = progress or Progress()
    client = client if client is not None else _current_client()
    total = len(pairing.pairs)
    class_files = classes if classes is not None else [None] * total
    progress.start(total)
    try:
        if client is None:
            outcomes = []
            for done, ((truth, pred), files) in enumerate(
                zip(pairing.pairs, class_files, strict=True), 1
            ):
                outcome = evaluate_pair(
                    truth, pred, settings, classes=files, chunk_done=progress.chunk_done
                )
                outcomes.append(outcome)
                progress.pair_done(done, total, pairing.names[done - 1], outcome.error)
            return outcomes
        return _run_on_cluster(client, pairing, settings, progress, class_files)
    finally:
        progress.close()


def _current_client() -> Any:
    """The active dask.distributed client, if distributed is installed and one is active."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _run_on_cluster(
    client, pairing: Pairing, settings: FileSettings, progress, class_files: list
) -> list:
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    futures = [
        client.submit(
            evaluate_pair, str(truth), str(pred), settings, classes=files, key=f"nse-{run}-{i}"
        )
        for i, ((truth, pred), files) in enumerate(zip(pairing.pairs, class_files, strict=True))
    ]
    position = {future.key: i for i, future in enumerate(futures)}
    outcomes: list[PairOutcome | None] = [None] * len(futures)
    try:
        for done, future in enumerate(as_completed(futures), 1):
            index = position[future.key]
            try:
                outcome = future.result()
            except Exception as error:  # a worker died or the task could not run
                outcome = PairOutcome(None, f"the task failed on the cluster: {_describe(error)}")
            outcomes[index] = outcome
            progress.pair_done(done, len(futures), pairing.names[index], outcome.error)
    finally:
        client.cancel([future for future in futures if not future.done()])
    return outcomes


def evaluate_pair(
    truth: str | Path,
    prediction: str | Path,
    settings: FileSettings,
    *,
    classes: tuple[str | Path, str | Path] | str | None = None,
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
    try:
        true = read_labels(truth)
        pred = read_probabilities(prediction) if settings.probability else read_labels(prediction)
        _check_shapes(true, pred, truth, prediction, settings.channel_axis)
        class_images = _class_images(true, classes) if settings.with_classes else None
        with _TaskProgress(chunk_done) if chunk_done is not None else nullcontext():
            labels, mask = _predictions(pred, settings)
            tables = _pair_tables(true, labels, mask, settings)
            object_classes = None
            if class_images is not None:
                object_classes = (
                    _class_of_objects(true, class_images[0]),
                    _class_of_objects(labels, class_images[1]),
                )
        return PairOutcome(tables, None, tuple(true.shape), object_classes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:
        return PairOutcome(None, _describe(error))


def _class_images(true, classes) -> tuple[Any, Any]:
    """The pair's two class images, opened and checked against the truth's shape."""
    if classes is None or isinstance(classes, str):
        raise ValueError(classes or "no class image files were given for this pair.")
    images = tuple(read_labels(path) for path in classes)
    for path, image in zip(classes, images, strict=True):
        if tuple(image.shape) != tuple(true.shape):
            raise ValueError(
                f"{path}: the class image has shape {tuple(image.shape)} but the labels have "
                f"shape {tuple(true.shape)}; it must cover the same pixels."
            )
    return images


def _class_of_objects(labels, class_image) -> pd.Series:
    """Object id -> the majority class of its pixels (one pass over the pair of images)."""
    ids, classes = majority_classes(labels, class_image)
    return pd.Series(classes, index=ids)


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, ValueError | TypeError) else f"{type(error).__name__}: {text}"


def _check_shapes(true, pred, truth_path, pred_path, channel_axis: int | None) -> None:
    true_shape, pred_shape = tuple(true.shape), tuple(pred.shape)
    if channel_axis is not None:
        if not -len(pred_shape) <= channel_axis < len(pred_shape):
            raise ValueError(
                f"{pred_path}: channel axis {channel_axis} does not fit its shape {pred_shape}."
            )
        pred_shape = tuple(np.delete(pred_shape, channel_axis))
    if len(true_shape) != len(pred_shape):
        raise ValueError(
            f"{truth_path} is {len(true_shape)}-D {true_shape} but {pred_path} is "
            f"{len(pred_shape)}-D {pred_shape}"
            + (" after removing the class axis" if channel_axis is not None else "")
            + "; they must cover the same pixels."
        )
    if true_shape != pred_shape:
        raise ValueError(
            f"shapes differ: {truth_path} {true_shape} vs {pred_path} {pred_shape}; they must "
            "cover the same pixels."
        )


def _predictions(pred, settings: FileSettings) -> tuple[Any, Any]:
    """The instance labels and the semantic labels of a prediction file's array.

    Label files are both. Probability maps are thresholded, lazily for a chunked map (or a
    large memory map), and labelled into objects, lazily too unless ``split_touching``: the
    watershed split needs the whole mask in memory.
    """
    if not settings.probability:
        return pred, pred
    mask = threshold_probabilities(
        chunked_if_large(pred), settings.threshold, channel_axis=settings.channel_axis
    )
    if "instance" not in settings.kinds:
        return None, mask
    whole = as_dask(mask).compute() if settings.split_touching and is_lazy(mask) else mask
    labels = label_instances(
        whole,
        connectivity=settings.connectivity,
        min_size=settings.min_size,
        split_touching=settings.split_touching,
    )
    return labels, mask


def _pair_tables(true, labels, mask, settings: FileSettings) -> dict[str, OverlapTable]:
    """The overlap table of each kind: of the truth with the ``labels`` (instance) and with
    the ``mask`` (semantic; foreground against background unless ``binarize_semantic`` is
    off). Chunked arrays are read chunk by chunk, both tables in one schedule."""
    kinds = settings.kinds
    ignore = settings.ignore_label
    if labels is mask:  # label files: one table serves both kinds
        table = overlap_table(true, labels, ignore_label=ignore)
        tables = dict.fromkeys(kinds, table)
    else:
        compared = {"instance": labels, "semantic": mask}
        lazy = [overlap_table_lazy(true, compared[kind], ignore_label=ignore) for kind in kinds]
        tables = dict(zip(kinds, dask.compute(*lazy), strict=True))
    width = settings.exclude_border
    if width and "instance" in tables:
        tables["instance"] = remove_objects(
            tables["instance"], border_ids(true, width), border_ids(labels, width)
        )
    if "semantic" in tables and settings.binarize_semantic:
        tables["semantic"] = _binarized(tables["semantic"])
    return tables


def _binarized(table: OverlapTable) -> OverlapTable:
    """The table of (label > 0) vs (label > 0): foreground against background, from the
    table of the labels themselves (no second pass over the pixels)."""

    def two(ids: np.ndarray, areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = np.array([areas[ids == 0].sum(), areas[ids != 0].sum()], np.int64)
        return np.array([0, 1], np.uint8)[counts > 0], counts[counts > 0]

    shared = int(table.pair_counts.sum())
    n_pairs = int(shared > 0)
    return OverlapTable(
        *two(table.true_ids, table.true_areas),
        *two(table.pred_ids, table.pred_areas),
        np.ones(n_pairs, np.uint8),
        np.ones(n_pairs, np.uint8),
        np.full(n_pairs, shared, np.int64),
    )


def collect(pairing: Pairing, outcomes: list[PairOutcome], settings: FileSettings) -> FilesResult:
    """The result of a run from the outcome of each pair (in pairing order)."""
    rows = pd.DataFrame(
        {
            "name": pairing.names,
            "truth": [str(t) for t, _ in pairing.pairs],
            "prediction": [str(p) for _, p in pairing.pairs],
            "error": [outcome.error or "" for outcome in outcomes],
        }
    )
    succeeded = [i for i, outcome in enumerate(outcomes) if outcome.error is None]
    datasets: dict[str, DatasetResult] = {}
    summary: dict[str, Any] = {"n_pairs": len(outcomes), "n_failed": len(outcomes) - len(succeeded)}
    per_image = rows
    if succeeded:
        for kind in settings.kinds:
            dataset = _dataset(kind, [outcomes[i] for i in succeeded], settings)
            datasets[kind] = dataset
            metrics = dataset.per_image.drop(columns="image")
            metrics = metrics.rename(
                columns={c: f"{kind}_{c}" for c in metrics.columns if c in per_image.columns}
            )
            metrics.index = succeeded
            # Counts stay integers beside the empty cells of failed pairs.
            integers = metrics.select_dtypes("integer").columns
            per_image = per_image.join(metrics.astype(dict.fromkeys(integers, "Int64")))
            for key, value in dataset.summary.items():
                if key not in summary:
                    summary[key] = value
                elif summary[key] != value:  # n_images is shared; anything else is prefixed
                    summary[f"{kind}_{key}"] = value
            if kind == "instance" and settings.preset == "neurips2022":
                summary["f1_50_image_median"] = dataset.per_image["f1_50"].astype(float).median()
    return FilesResult(per_image, pd.Series(summary, dtype=object), datasets, pairing, settings)


def _dataset(kind: str, outcomes: list[PairOutcome], settings: FileSettings) -> DatasetResult:
    options: dict[str, Any] = {}
    if kind == "instance":
        options["criterion"] = settings.criterion
        if settings.with_classes:
            options["true_classes"] = [outcome.classes[0] for outcome in outcomes]
            options["pred_classes"] = [outcome.classes[1] for outcome in outcomes]
    return dataset_from_tables(
        [outcome.tables[kind] for outcome in outcomes],
        kind=kind,
        iou_thresholds=settings.iou_thresholds,
        include_background=settings.include_background,
        ignore_label=settings.ignore_label,
        confidence_interval=settings.confidence_interval,
        **options,
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
