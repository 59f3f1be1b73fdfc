"""Evaluating pairs of files: one pair at a time, or one task per pair on a dask cluster.

Never more than one pair's arrays are held at once: each pair is read, reduced to its additive
overlap table(s) (large lazy images slab by slab), and its arrays are dropped. The per-image,
pooled and image-mean results are built from the small tables alone, so the serial run and the
distributed run give identical numbers.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..core._results import Result
from ..core.dataset import DatasetResult, dataset_from_tables
from ..core.instance import (
    DEFAULT_IOU_THRESHOLDS,
    border_ids,
    check_exclude_border,
    remove_objects,
    threshold_fraction,
)
from ..core.overlap import OverlapTable, overlap_table
from ..core.presets import PRESETS, get_preset
from ..core.threshold import label_instances, threshold_probabilities
from .pairs import Pairing, pair_files
from .read import is_lazy, read_labels, read_probabilities

#: What each ``kind`` computes, in order. A new kind adds an entry here and a table builder in
#: :func:`_pair_tables` and :func:`_dataset`.
KINDS: dict[str, tuple[str, ...]] = {
    "instance": ("instance",),
    "semantic": ("semantic",),
    "all": ("instance", "semantic"),
}

#: The challenge presets computed from files (the others need classes, scores or per-frame
#: matching not yet read from files: use :func:`~napari_seg_eval.core.presets.preset_metrics`).
FILE_PRESETS = ("dsb2018", "neurips2022")


_NOT_FROM_FILES = {
    "ctc": "the CTC's per-object matching",
    "conic": "class images",
    "coco": "a score per object",
}


def _preset_error(preset: str) -> str:
    if preset in _NOT_FROM_FILES:
        return (
            f"the {preset} preset is not available for files yet (it needs "
            f"{_NOT_FROM_FILES[preset]}); use napari_seg_eval.core.presets.preset_metrics."
        )
    return f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}."


#: Pixels per slab when a large lazy image is reduced slab by slab.
SLAB_PIXELS = 1 << 24
#: Slab tables added up once this many are waiting, to bound their memory.
TABLES_PER_SUM = 16


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
    the image edge are removed from both sides. ``preset``: the challenge preset the settings
    came from (see :func:`with_preset`), if any.
    """

    kind: str = "instance"
    iou_thresholds: tuple[float, ...] = DEFAULT_IOU_THRESHOLDS
    probability: bool = False
    threshold: float = 0.5
    channel_axis: int | None = None
    min_size: int = 0
    split_touching: bool = False
    ignore_label: int | None = None
    binarize_semantic: bool = True
    include_background: bool = True
    exclude_border: int = 0
    preset: str | None = None

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
        if self.preset is not None and self.preset not in FILE_PRESETS:
            raise ValueError(_preset_error(self.preset))

    @classmethod
    def with_preset(cls, preset: str, **settings: Any) -> FileSettings:
        """Settings of a challenge preset (``kind``, ``iou_thresholds``, ``exclude_border``),
        with the other ``settings`` as given.

        Parameters
        ----------
        preset : str
            ``"dsb2018"`` or ``"neurips2022"`` (the presets computed from files).
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
        fixed = {"kind", "iou_thresholds", "exclude_border"} & set(settings)
        if fixed:
            raise ValueError(
                f"the {preset} preset sets {', '.join(sorted(fixed))}; leave them out."
            )
        chosen = get_preset(preset)
        return cls(
            kind="instance",
            iou_thresholds=chosen.iou_thresholds,
            exclude_border=chosen.exclude_border,
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
    """What one pair gave: its overlap tables (one per kind), or the error that stopped it."""

    tables: dict[str, OverlapTable] | None
    error: str | None = None
    shape: tuple[int, ...] | None = None


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


class Progress:
    """Receives progress reports; this base ignores them (see ``TextProgress``)."""

    def start(self, total: int) -> None:
        """The run starts with ``total`` pairs."""

    def pair_done(self, done: int, total: int, name: str, error: str | None) -> None:
        """``done`` of ``total`` pairs are finished; the last was ``name``."""

    def chunk_done(self, done: int, total: int) -> None:
        """``done`` of ``total`` slabs of the current (large) pair are finished."""

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
    min_size: int = 0,
    split_touching: bool = False,
    ignore_label: int | None = None,
    binarize_semantic: bool = True,
    include_background: bool = True,
    exclude_border: int = 0,
    preset: str | None = None,
    truth_suffix: str = "",
    prediction_suffix: str = "",
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
    probability, threshold, channel_axis, min_size, split_touching
        Predictions are probability maps: foreground where ``p > threshold`` (argmax over
        ``channel_axis`` for classes), objects labelled as :func:`label_instances` does.
    ignore_label
        Truth id whose pixels are left out of every count.
    exclude_border
        Instance: objects touching a band of this many pixels at the image edge are removed
        from both sides before matching.
    preset
        A challenge preset ("dsb2018" or "neurips2022"): it sets ``kind``,
        ``iou_thresholds`` and ``exclude_border`` (leave those at their defaults).
    client
        A ``dask.distributed.Client``: one task per pair runs on its cluster (the files must be
        readable there). Default: the current client if one is active, else this process.
    progress
        Receives a report after each pair (and each slab of a large image when run here).

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
    }
    if preset is not None:  # the preset's fields, unless they were changed from the defaults
        defaults = {
            "kind": "instance",
            "iou_thresholds": DEFAULT_IOU_THRESHOLDS,
            "exclude_border": 0,
        }
        chosen = {key: value for key, value in chosen.items() if value != defaults[key]}
    others = dict(
        probability=probability,
        threshold=threshold,
        channel_axis=channel_axis,
        min_size=min_size,
        split_touching=split_touching,
        ignore_label=ignore_label,
        binarize_semantic=binarize_semantic,
        include_background=include_background,
    )
    settings = (
        FileSettings(**chosen, **others)
        if preset is None
        else FileSettings.with_preset(preset, **chosen, **others)
    )
    pairing = as_pairing(truth, prediction, truth_suffix, prediction_suffix)
    outcomes = run_pairs(pairing, settings, client=client, progress=progress)
    return collect(pairing, outcomes, settings)


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
) -> list[PairOutcome]:
    """The outcome of every pair, in pairing order, here or on ``client``'s cluster."""
    progress = progress or Progress()
    client = client if client is not None else _current_client()
    total = len(pairing.pairs)
    progress.start(total)
    try:
        if client is None:
            outcomes = []
            for done, (truth, pred) in enumerate(pairing.pairs, 1):
                outcome = evaluate_pair(truth, pred, settings, chunk_done=progress.chunk_done)
                outcomes.append(outcome)
                progress.pair_done(done, total, pairing.names[done - 1], outcome.error)
            return outcomes
        return _run_on_cluster(client, pairing, settings, progress)
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


def _run_on_cluster(client, pairing: Pairing, settings: FileSettings, progress) -> list:
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    futures = [
        client.submit(evaluate_pair, str(truth), str(pred), settings, key=f"nse-{run}-{i}")
        for i, (truth, pred) in enumerate(pairing.pairs)
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
    chunk_done: Callable[[int, int], None] | None = None,
) -> PairOutcome:
    """Read one pair and reduce it to its overlap tables; any error is returned, not raised.

    Parameters
    ----------
    truth, prediction
        The two files.
    settings
        The run's settings.
    chunk_done
        Called with (slabs done, slabs) while a large lazy image is reduced slab by slab.

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
        tables = _pair_tables(true, pred, settings, chunk_done)
        return PairOutcome(tables, None, tuple(true.shape))
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:
        return PairOutcome(None, _describe(error))


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


def _pair_tables(true, pred, settings: FileSettings, chunk_done) -> dict[str, OverlapTable]:
    kinds = settings.kinds
    ignore = settings.ignore_label
    width = settings.exclude_border
    if not settings.probability:
        table = _slabbed_table(true, pred, ignore, None, None, chunk_done)
        tables = {"instance": table}
        if width and "instance" in kinds:
            tables["instance"] = remove_objects(
                table, border_ids(true, width), border_ids(pred, width)
            )
        if "semantic" in kinds:
            tables["semantic"] = _binarized(table) if settings.binarize_semantic else table
        return {kind: tables[kind] for kind in kinds}
    axis = settings.channel_axis

    def to_mask(prob: np.ndarray) -> np.ndarray:
        return threshold_probabilities(prob, settings.threshold, channel_axis=axis)

    tables = {}
    if "instance" in kinds:  # labelling needs the whole image
        mask = to_mask(pred[...])
        labels = label_instances(
            mask, min_size=settings.min_size, split_touching=settings.split_touching
        )
        truth = true[...]
        tables["instance"] = overlap_table(truth, labels, ignore_label=ignore)
        if width:
            tables["instance"] = remove_objects(
                tables["instance"], border_ids(truth, width), border_ids(labels, width)
            )
        del labels
        semantic = overlap_table(truth, mask, ignore_label=ignore)
    else:
        semantic = _slabbed_table(true, pred, ignore, to_mask, axis, chunk_done)
    tables["semantic"] = _binarized(semantic) if settings.binarize_semantic else semantic
    return {kind: tables[kind] for kind in kinds}


def _slabbed_table(true, pred, ignore_label, transform, channel_axis, chunk_done) -> OverlapTable:
    """The overlap table of a pair, slab by slab along the first axis when an input is lazy and
    large; ``transform`` turns each prediction slab into labels (thresholding)."""
    transform = transform or (lambda block: block)
    shape = tuple(true.shape)
    n_pixels = math.prod(shape)
    if n_pixels <= SLAB_PIXELS or not (is_lazy(true) or is_lazy(pred)):
        return overlap_table(true[...], transform(pred[...]), ignore_label=ignore_label)
    rows = max(1, SLAB_PIXELS // (n_pixels // shape[0]))
    chunk_rows = (getattr(true, "chunks", None) or (1,))[0]
    rows = max(chunk_rows, rows // chunk_rows * chunk_rows)  # whole chunks of the truth
    starts = range(0, shape[0], rows)
    pred_axis = 0 if channel_axis is None or channel_axis % len(pred.shape) != 0 else 1
    tables: list[OverlapTable] = []
    for done, start in enumerate(starts, 1):
        index = [slice(None)] * len(pred.shape)
        index[pred_axis] = slice(start, start + rows)
        block = transform(pred[tuple(index)])
        tables.append(overlap_table(true[start : start + rows], block, ignore_label=ignore_label))
        if len(tables) == TABLES_PER_SUM:
            tables = [OverlapTable.sum(tables)]
        if chunk_done is not None:
            chunk_done(done, len(starts))
    return tables[0] if len(tables) == 1 else OverlapTable.sum(tables)


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
            dataset = _dataset(kind, [outcomes[i].tables[kind] for i in succeeded], settings)
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


def _dataset(kind: str, tables: list[OverlapTable], settings: FileSettings) -> DatasetResult:
    return dataset_from_tables(
        tables,
        kind=kind,
        iou_thresholds=settings.iou_thresholds,
        include_background=settings.include_background,
        ignore_label=settings.ignore_label,
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
