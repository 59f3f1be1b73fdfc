"""Runs: every evaluation kept with a name, compared two by two, saved to and loaded from folders.

A :class:`Run` is one evaluation: of one image (an :class:`~napari_seg_eval.evaluation.Evaluation`
record from the viewer) or of many files (a :class:`~napari_seg_eval.io.FilesResult` from the
Dataset tab or the command line). It keeps a name the user can edit, a time stamp, the inputs by
layer or file name, the settings, the result tables and its headline metrics (the catalogue's
:func:`~napari_seg_eval.core.catalogue.headline_keys`). :class:`Runs` is the collection the
**Runs** tab shows; no Qt here.

A run is saved as a folder of CSV tables (those it computed) and a ``settings.json``: the
command line's result folder is the folder of a dataset run, so it loads as one. A one-image
run also saves the two label images it compared (``labels.npz``), and of a multi-class run the
class of each object scored (``object_classes.csv``), so that its objects can be compared after
loading. Runs of equal images share them, read-only (:attr:`Run.images`, :meth:`Runs.memory`).
Saving replaces nothing saved before: :meth:`Run.save` refuses a folder that holds another
saved run (unless ``overwrite=True``, as the command line's ``--overwrite``) or anything else,
and :meth:`Runs.save` saves such a run as ``<name> (2)`` beside it; a run saved again by the
same session updates its own folder.

:meth:`Runs.compare` puts two runs side by side: the headline metrics and their differences;
for one image, which of the true objects the runs scored each run matched (with its criterion;
of a multi-class run, within each class, as its per-class counts match them:
:func:`~napari_seg_eval.core.compare.compare_objects`) and McNemar's test; for a dataset,
the per-image differences and a paired bootstrap over images.

A one-image run keeps a bootstrap over its *objects* of the instance metrics
(:func:`~napari_seg_eval.core.compare.bootstrap_objects`), a dataset run the bootstrap over
*images* it was made with; :attr:`Run.interval_over` says which.

:func:`agreement` compares two annotations of the same image (or two folders of annotations)
with the same metrics and keeps the result as a run flagged ``agreement``: annotator A against
annotator B, read beside a model's runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import re
import secrets
import shutil
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .core import catalogue
from .core._results import counts_as_integers
from .core._thread_callbacks import compute
from .core._warn import warn
from .core.blocks import as_dask, in_memory, is_lazy
from .core.boundary import boundary_metrics
from .core.compare import (
    POOLED_FROM_ROWS,
    bootstrap_objects,
    bootstrap_weights,
    compare_objects,
    mcnemar,
    object_changes,
    paired_bootstrap,
)
from .core.dataset import DatasetResult
from .core.instance import DEFAULT_IOU_THRESHOLDS, REVIEW_THRESHOLD, InstanceResult
from .core.presets import PRESETS
from .core.review import match_rule
from .evaluation import Evaluation, ThresholdOptions, evaluate, shared_array

#: The threshold of its criterion at which each run's objects are compared (the review
#: threshold).
COMPARE_IOU = REVIEW_THRESHOLD
#: The catalogue's words on matching at :data:`COMPARE_IOU`, which
#: :meth:`~napari_seg_eval.core.catalogue.Matching.rewrite` puts in a criterion's words.
_AT_COMPARE = "at IoU ≥ 0.5"
#: Said after the label of a headline value that the two runs compared matched differently
#: (by another criterion; a mean over thresholds, at other thresholds): not the same quantity
#: in both (:func:`defined_differently`).
MATCHED_DIFFERENTLY = " [matched differently]"
#: The catalogue's words on the rule at any threshold t (rewritten as :data:`_AT_COMPARE`).
_AT_T = "IoU ≥ t"
#: The catalogue's words (in a formula) on a value that is a mean over the matching's
#: thresholds: runs matched at other thresholds average other sets (:func:`over_thresholds`).
_OVER_THRESHOLDS = "mean over IoU thresholds"
#: The table of a multi-class one-image run that holds the class of each object its instance
#: metrics scored (``kind`` "true" or "pred", ``label``, ``class``), saved as
#: ``object_classes.csv``: its objects are compared within their class after loading too.
OBJECT_CLASSES = "object_classes"
#: Columns of names and words in a saved run's tables, read back as text whatever they hold
#: (images named ``1`` or ``NA``, objects' ``kind`` all ``true``): see :func:`_read_csv`.
TEXT_COLUMNS = frozenset(
    {"name", "truth", "prediction", "error", "kind", "status", "metric", "evaluation"}
)
#: The scoring settings of :func:`_scoring` as a note names them.
_SCORING_WORDS = {"true_classes": "the truth's object classes"}
#: The names Windows gives devices, which no file or folder can have, with or without an
#: extension (``nul.tif`` too), in any case (:func:`run_folder_name`).
WINDOWS_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"{port}{digit}" for port in ("com", "lpt") for digit in "0123456789¹²³"}
)
#: Tables of a one-image run (the Evaluation record's tables), saved as ``<name>.csv``.
IMAGE_TABLES = (
    "summary",
    "per_class",
    "per_threshold",
    "per_plane",
    "per_object",
    "instance_per_class",
    "class_confusion",
    "boundary_per_class",
    "boundary_per_object",
    "coco_per_threshold",
)
_KINDS = {"instance": ("instance",), "semantic": ("semantic",), "all": ("instance", "semantic")}
#: The table of a dataset run (saved as ``<name>.csv``) that holds each image's per-threshold
#: (instance) or per-class (semantic) counts, ``DatasetResult.per_image_rows``: the paired
#: bootstrap of the pooled AP (DSB), mean IoU and mean Dice resamples them.
ROWS_TABLES = {"instance": "instance_per_image_rows", "semantic": "semantic_per_image_rows"}
#: Suffixes of a summary key after its metric's name (an interval's bound, then the aggregate).
_SUMMARY_SUFFIXES = (("_low", "_high"), ("_pooled", "_image_mean", "_image_median"))
_INSTANCE_COUNTS = ("n_true", "n_pred")
#: The columns of :meth:`Runs.table` before the headline metrics: what each run is.
RUN_COLUMNS = (
    "name",
    "created",
    "kind",
    "threshold",
    "truth",
    "prediction",
    "n_images",
    "role",
    "interval",
)
#: Suffixes of a dataset's values over images that a one-image run has too: the mean (or
#: median) of one image's value is that value.
IMAGE_AGGREGATES = ("_image_mean", "_image_median")
#: Of those, the inputs' paths (long).
PATH_COLUMNS = ("truth", "prediction")
#: Boundary values shown as headline metrics of a run that has them (an agreement run, a run
#: evaluated with boundary metrics; of a dataset, their image means).
BOUNDARY_HEADLINE = ("mean_hd95", "mean_nsd", "mean_boundary_f1")
#: The class means of a multi-class dataset run (class images beside the labels), shown
#: after its instance headline values, pooled and over images, as its summary has them.
CLASS_HEADLINE = ("class_mean_accuracy", "class_mean_panoptic_quality_50")
#: Settings of a dataset run that decide which true objects are scored: runs that differ in
#: them count different numbers of true objects in one truth.
DATASET_SCORING = ("ignore_label", "exclude_border", "region", "region_suffix")
#: The files of a run folder without which it is no run, by kind.
REQUIRED_TABLES = {"image": ("summary",), "dataset": ("per_image", "summary")}
#: COCO AP (score-ranked) of a one-image run of the ``coco`` preset: its headline values,
#: shown first (the challenge's number, as a dataset run's :attr:`Preset.headline`).
COCO_HEADLINE = ("map", "ap_50", "ap_75")
#: Which values stay the same when the two annotations swap places. Matching at an IoU
#: threshold is symmetric (IoU is; the most pairs, then the largest summed IoU, is), so TP,
#: F1, accuracy (AP (DSB)) and PQ are; precision and recall swap; the AJI pairs each object of
#: the first with its best partner in the second and adds the second's unused objects, so it
#: is not. Per-class IoU, Dice and pixel accuracy are symmetric, and so is every boundary value
#: (each is defined over both directions).
SYMMETRY = {
    "mean_accuracy": "symmetric",
    "f1_50": "symmetric",
    "accuracy_50": "symmetric",
    "panoptic_quality_50": "symmetric",
    "precision_50": "swaps with recall_50",
    "recall_50": "swaps with precision_50",
    "aji": "not symmetric (A's objects paired with their best partner in B)",
    "mean_iou": "symmetric",
    "mean_dice": "symmetric",
    "pixel_accuracy": "symmetric",
    "mean_hd95": "symmetric",
    "mean_nsd": "symmetric",
    "mean_boundary_f1": "symmetric",
}


#: The images of an :class:`~napari_seg_eval.evaluation.Evaluation` record kept in memory
#: (attribute -> name; a run's ``labels`` are named as the first three).
RECORD_IMAGES = {
    "truth": "truth",
    "prediction": "prediction",
    "region": "region",
    "semantic_truth": "semantic truth",
    "semantic_prediction": "semantic prediction",
    "true_classes": "true classes",
    "pred_classes": "predicted classes",
}


def record_images(record: Any) -> dict[str, np.ndarray]:
    """The numpy images an :class:`~napari_seg_eval.evaluation.Evaluation` record keeps in
    memory, by name (:data:`RECORD_IMAGES`; chunked ones are read from their store, and a
    probability map giving the objects' confidence is its layer's data, not a copy); none of
    anything else.

    Parameters
    ----------
    record : Evaluation or any
        The record (anything else has no images).

    Returns
    -------
    dict of str to numpy.ndarray

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> sorted(record_images(evaluate(np.ones((2, 2), int), np.ones((2, 2), int))))
    ['prediction', 'semantic prediction', 'semantic truth', 'truth']
    """
    found = {name: getattr(record, key, None) for key, name in RECORD_IMAGES.items()}
    return {name: image for name, image in found.items() if isinstance(image, np.ndarray)}


def memory_owner(array: np.ndarray) -> np.ndarray:
    """The array that owns ``array``'s memory: ``array``, or the base of the view it is.

    Parameters
    ----------
    array : numpy.ndarray

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> image = np.zeros((4, 4), bool)
    >>> memory_owner(image.view(np.uint8)[1:]) is image
    True
    """
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def images_held(runs: Iterable[Run]) -> dict[int, np.ndarray]:
    """The arrays owning the memory of the ``runs``' images (:attr:`Run.images`), each once,
    by ``id``: their ``nbytes`` summed is the memory the images take.

    Parameters
    ----------
    runs : iterable of Run

    Returns
    -------
    dict of int to numpy.ndarray
        ``id`` -> the array owning the memory (:func:`memory_owner`).

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> labels = np.ones((10, 10), np.uint32)
    >>> runs = [Run.from_evaluation(evaluate(labels, labels)) for _ in range(3)]
    >>> sum(a.nbytes for a in images_held(runs).values())  # 400 B of labels, 100 B of foreground
    500
    """
    held = {}
    for run in runs:
        for image in run.images.values():
            owner = memory_owner(image)
            held[id(owner)] = owner
    return held


def _now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _plain(value: Any) -> Any:
    """Settings as JSON values (tuples as lists, numpy scalars as Python numbers)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class Run:
    """One evaluation kept by the Runs tab.

    Attributes
    ----------
    name
        The name shown (editable through :meth:`Runs.rename`).
    created
        When the run was kept (ISO 8601, local time).
    kind
        ``"image"`` (one image, from the viewer) or ``"dataset"`` (many files).
    inputs
        ``truth`` and ``prediction``: layer names, or the folders / files of a dataset.
    settings
        Every setting of the run, as JSON values.
    tables
        One image: ``summary`` (evaluation, metric, value), ``per_class``, ``per_threshold``,
        ``per_plane``, ``per_object``. Dataset: ``per_image``, ``summary`` (one row) and
        ``<kind>_pooled`` / ``<kind>_image_mean`` for each metric family.
    record
        The :class:`~napari_seg_eval.evaluation.Evaluation` or ``FilesResult`` it came from
        (None for a run loaded from a folder).
    labels
        One image: ``truth`` and ``prediction``, the instance label images compared, and
        ``region``, the mask of the pixels scored, when the run had one. Read-only numpy
        arrays are shared by the runs whose images are equal (runs of unchanged layers, runs
        loaded from folders of one truth): :attr:`images` lists what the run keeps in memory.
    versions
        Versions of the package and its libraries when the run was made.
    agreement
        True for a run of :func:`agreement`: ``truth`` and ``prediction`` are two annotations
        (annotator A and annotator B), not a truth and a prediction.
    """

    name: str
    created: str
    kind: Literal["image", "dataset"]
    inputs: dict[str, str]
    settings: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    record: Any = None
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    agreement: bool = False
    #: Where this run object last saved itself: the folder, the text of the settings.json
    #: written there and the names of the files written (see :meth:`save`).
    _saved: _SavedFolder | None = field(default=None, init=False, repr=False, compare=False)
    #: The folder this run object was loaded from, as it was read (see :meth:`is_saved_in`).
    _loaded: _SavedFolder | None = field(default=None, init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ making runs
    @classmethod
    def from_evaluation(cls, record: Evaluation, name: str = "") -> Run:
        """A run of one Evaluation record (its tables, settings and compared label images).

        With instance results it also keeps their bootstrap over objects
        (``tables["object_intervals"]``, :func:`~napari_seg_eval.core.compare.bootstrap_objects`:
        95 %, 2000 resamples, seed 0), the record's own table of that name when it has one;
        with object classes, the class of each object scored (``tables["object_classes"]``,
        :data:`OBJECT_CLASSES`).

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> run = Run.from_evaluation(evaluate(np.ones((2, 2), int), np.ones((2, 2), int)))
        >>> run.kind, float(run.headline["f1_50"])
        ('image', 1.0)
        """
        from .io.evaluate import versions

        settings = record.settings
        tables = {key: record.tables.get(key, pd.DataFrame()) for key in IMAGE_TABLES}
        if "object_intervals" in record.tables:  # given (the Runs tab fills it in a worker)
            tables["object_intervals"] = record.tables["object_intervals"]
        elif record.instance is not None:
            tables["object_intervals"] = bootstrap_objects(record.instance)
        if record.instance is not None and record.instance.true_class is not None:
            tables[OBJECT_CLASSES] = object_class_table(record.instance)
        return cls(
            name=name,
            created=_now(),
            kind="image",
            inputs={"truth": settings.truth_name, "prediction": settings.prediction_name},
            settings=_plain(settings),
            tables=tables,
            record=record,
            labels={
                "truth": record.truth,
                "prediction": record.prediction,
                **({} if record.region is None else {"region": record.region}),
            },
            versions=versions(),
        )

    @classmethod
    def from_files(cls, result: Any, name: str = "") -> Run:
        """A run of a ``FilesResult`` (:func:`~napari_seg_eval.io.evaluate_files`); of a
        multi-class instance run also its per-class tables and class confusion, named as in
        the command line's result folder (:func:`~napari_seg_eval.io.results.class_tables`).

        Examples
        --------
        >>> run = Run.from_files(evaluate_files("truth/", "pred/"))  # doctest: +SKIP
        """
        from .io.evaluate import versions
        from .io.results import class_tables, named_image_rows

        summary = counts_as_integers(result.summary).to_frame().T  # counts: 3, not 3.0
        tables = {"per_image": result.per_image, "summary": summary}
        for kind, dataset in result.datasets.items():
            tables[f"{kind}_pooled"] = dataset.pooled
            tables[f"{kind}_image_mean"] = dataset.image_mean
            rows = named_image_rows(result, kind) if kind in ROWS_TABLES else None
            if rows is not None:
                tables[ROWS_TABLES[kind]] = rows
            if dataset.per_class_pooled is not None:  # class images: as the result folder
                tables.update(class_tables(dataset, kind))
        tables.update(result.tables)  # boundary, ctc, coco: as in the result folder
        pairs = result.pairing.pairs
        return cls(
            name=name,
            created=_now(),
            kind="dataset",
            inputs=_dataset_inputs([str(t) for t, _ in pairs], [str(p) for _, p in pairs]),
            settings={"settings": result.settings.to_dict()},
            tables=tables,
            record=result,
            versions=versions(),
        )

    # ------------------------------------------------------------------ what it holds
    @property
    def images(self) -> dict[str, np.ndarray]:
        """The images the run keeps in memory, by name: its record's
        (:func:`record_images`) and its ``labels`` (numpy ones; a loaded run has only these).
        Runs of unchanged layers share them (:func:`~napari_seg_eval.evaluation.shared_array`).

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> labels = np.ones((2, 2), np.uint8)
        >>> sorted(Run.from_evaluation(evaluate(labels, labels)).images)
        ['prediction', 'semantic prediction', 'semantic truth', 'truth']
        """
        labels = {key: image for key, image in self.labels.items() if isinstance(image, np.ndarray)}
        return {**record_images(self.record), **labels}

    @property
    def metric_kinds(self) -> tuple[str, ...]:
        """The metric families of the run: ``instance``, ``semantic`` or both."""
        if self.kind == "dataset":
            return tuple(k for k in ("instance", "semantic") if f"{k}_pooled" in self.tables)
        summary = self.tables.get("summary", pd.DataFrame())
        found = set(summary.get("evaluation", pd.Series(dtype=object)))
        return tuple(k for k in ("instance", "semantic", "boundary") if k in found)

    @property
    def headline(self) -> pd.Series:
        """The headline metrics: the catalogue's headline keys (one image), or their
        ``_pooled`` and ``_image_mean`` values (dataset), in catalogue order, of a
        multi-class dataset run with its class means after them (:data:`CLASS_HEADLINE`,
        :func:`family_headline`), then the boundary
        values (:data:`BOUNDARY_HEADLINE`; of a dataset their image means) of a run that has
        them; a dataset run of a challenge preset has the challenge's numbers first
        (:attr:`Preset.headline`), a one-image run of the ``coco`` preset its COCO AP
        (:data:`COCO_HEADLINE`).

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> record = evaluate(np.array([[1, 1, 0, 2]]), np.array([[1, 1, 0, 0]]), kind="instance")
        >>> Run.from_evaluation(record).headline.round(3).to_dict()
        {'mean_accuracy': 0.5, 'f1_50': 0.667, 'panoptic_quality_50': 0.667, 'aji': 0.667}
        """
        values: dict[str, float] = {}
        if self.kind == "image":
            summary = self.tables["summary"]
            coco = summary[summary["evaluation"] == "coco"].set_index("metric")["value"]
            values.update({key: float(coco[key]) for key in COCO_HEADLINE if key in coco.index})
            for kind in self.metric_kinds:
                rows = summary[summary["evaluation"] == kind].set_index("metric")["value"]
                keys = BOUNDARY_HEADLINE if kind == "boundary" else catalogue.headline_keys(kind)
                for key in keys:
                    if key in rows.index:
                        values[key] = float(rows[key])
        else:
            summary = self.tables["summary"].iloc[0]
            preset = PRESETS.get(self.settings.get("settings", {}).get("preset") or "")
            for key in preset.headline if preset is not None else ():
                if key in summary.index:
                    values[key] = float(summary[key])
            for kind in self.metric_kinds:
                for key in family_headline(kind):
                    for suffix in ("_pooled", "_image_mean"):
                        if key + suffix in summary.index:
                            values[key + suffix] = float(summary[key + suffix])
            for key in BOUNDARY_HEADLINE:  # evaluated with boundary metrics: image means
                if key + "_image_mean" in summary.index:
                    values[key + "_image_mean"] = float(summary[key + "_image_mean"])
        return pd.Series(values, dtype=float)

    @property
    def intervals(self) -> pd.DataFrame:
        """Confidence intervals of the headline values, where the run has them: columns
        ``low``, ``high``, indexed by key. One image: the bootstrap over objects
        (``tables["object_intervals"]``); dataset: over images (``*_low`` and ``*_high`` in
        its summary). :attr:`interval_over` says which.

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> run = Run.from_evaluation(evaluate(np.ones((2, 2), int), np.ones((2, 2), int)))
        >>> run.intervals.loc["f1_50"].tolist(), run.interval_over
        ([1.0, 1.0], 'objects')
        """
        if self.kind != "dataset":
            objects = self.tables.get("object_intervals", pd.DataFrame())
            if objects.empty:
                return pd.DataFrame(columns=["low", "high"], dtype=float)
            rows = objects[objects["threshold"].isna()].set_index("metric")[["low", "high"]]
            keys = [key for key in self.headline.index if key in rows.index]
            return rows.loc[keys].astype(float)
        summary = self.tables["summary"].iloc[0]
        rows = {
            key: (float(summary[f"{key}_low"]), float(summary[f"{key}_high"]))
            for key in self.headline.index
            if f"{key}_low" in summary.index and f"{key}_high" in summary.index
        }
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["low", "high"], dtype=float)
        return table.dropna(how="all")  # no interval from fewer than 2 images

    @property
    def interval_over(self) -> str:
        """What the intervals resample: ``"objects"`` (of one image), ``"images"`` (of a
        dataset), or ``""`` when the run has none."""
        if self.intervals.empty:
            return ""
        return "objects" if self.kind == "image" else "images"

    @property
    def n_images(self) -> int:
        """Images evaluated (1 for a one-image run; pairs that did not fail for a dataset)."""
        if self.kind == "image":
            return 1
        return len(self.image_rows())

    @property
    def threshold(self) -> float | None:
        """The probability threshold the prediction was made at (foreground where p > t), or
        None when the prediction was labels.

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> prob = np.array([[0.9, 0.3, 0.6]])
        >>> Run.from_evaluation(evaluate(np.array([[1, 0, 2]]), prob, threshold=0.4)).threshold
        0.4
        >>> labels = np.ones((2, 2), int)
        >>> print(Run.from_evaluation(evaluate(labels, labels)).threshold)
        None
        """
        if self.kind == "image":
            value = self.settings.get("threshold")
        else:
            settings = self.settings.get("settings", {})
            value = settings.get("threshold") if settings.get("probability") else None
        return None if value is None else float(value)

    @property
    def matching(self) -> catalogue.Matching:
        """How the run matched its objects (criterion and thresholds), which the words of its
        instance metrics follow (:class:`~napari_seg_eval.core.catalogue.Matching`).

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> labels = np.ones((2, 2), int)
        >>> Run.from_evaluation(evaluate(labels, labels, preset="ctc")).matching
        Matching(criterion='iot', thresholds=(0.5,))
        """
        return catalogue.Matching.of(self.settings)

    def image_rows(self) -> pd.DataFrame:
        """Dataset: the per-image rows of the pairs that did not fail, numbered 0, 1, ..."""
        return _succeeded(self.tables["per_image"])

    def dataset(self, kind: str) -> DatasetResult:
        """Dataset: the :class:`~napari_seg_eval.DatasetResult` of one metric family (rebuilt
        from the tables for a run loaded from a folder: its summary holds that family's values
        only, its ``per_image_rows`` are the ``<kind>_per_image_rows`` table, None without).

        Examples
        --------
        >>> run.dataset("instance").summary["f1_50_pooled"]  # doctest: +SKIP
        """
        if self.kind != "dataset" or kind not in self.metric_kinds:
            raise ValueError(f"run {self.name!r} has no {kind} results over images.")
        if self.record is not None and kind in getattr(self.record, "datasets", {}):
            return self.record.datasets[kind]
        per_image = self.image_rows()
        per_image.insert(0, "image", np.arange(len(per_image)))
        summary = self.tables["summary"].iloc[0]
        summary = summary[[_of_family(key, kind) for key in summary.index]].copy()
        summary["n_images"] = len(per_image)
        rows = self.tables.get(ROWS_TABLES.get(kind, ""), pd.DataFrame())
        return DatasetResult(
            per_image,
            self.tables[f"{kind}_pooled"],
            self.tables[f"{kind}_image_mean"],
            pd.to_numeric(summary, errors="coerce"),
            per_image_rows=None if rows.empty else rows,
        )

    # ------------------------------------------------------------------ files
    @property
    def saved_to(self) -> Path | None:
        """The folder this run was last saved to by :meth:`save`, or loaded from when
        :meth:`save` wrote it (absolute; None if neither)."""
        return None if self._saved is None else self._saved.folder

    def owns(self, folder: str | Path) -> bool:
        """Whether ``folder`` is this run's own: the folder this run object saved itself to
        last (or was loaded from, a folder :meth:`save` wrote), still holding the very
        ``settings.json`` it wrote there (the same file, neither rewritten nor replaced since)."""
        return _still_holds(self._saved, folder)

    def is_saved_in(self, folder: str | Path) -> bool:
        """Whether ``folder`` holds this very run as it was written or read: its own folder
        (:meth:`owns`), or the folder it was loaded from (a command-line result folder too),
        still holding the very ``settings.json`` read then. :meth:`Runs.load` does not add a
        run of such a folder to the collection holding this run again."""
        return self.owns(folder) or _still_holds(self._loaded, folder)

    def save(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write the run to ``folder``: CSV tables, ``settings.json`` (and ``labels.npz``).

        A dataset run writes the files of the command line's result folder. Only the tables
        the run has are written: one it did not compute (an empty table, no columns) leaves
        no file. ``settings.json`` lists the files written (its ``run`` entry's ``files``).

        Nothing saved before is replaced unless asked, as the command line's ``--overwrite``:
        ``folder`` must be new or empty, or this run's own (:meth:`owns`: this run object saved
        itself there or was loaded from there, and the folder still holds what it wrote),
        which is updated (the files it wrote before and no longer has are removed; files it
        did not write stay). With ``overwrite``, a folder holding another saved run (its
        ``settings.json`` and the files a run writes, nothing else) is replaced; a folder
        holding anything else, or reached through a symbolic link, never is.

        Every file is written first into a hidden folder beside ``folder``, and put in place
        only when all are written, as one transaction (the one :meth:`Runs.save` puts all its
        runs in place with): a hidden journal beside ``folder`` lists the renames to come;
        then a new folder is renamed to ``folder``, or into an existing one (empty, this run's
        own, or replaced) the old files replaced or removed are renamed aside into another
        hidden folder and the new ones renamed in; then the journal is marked done and the
        hidden folders and the journal removed. A save that fails while writing, or while
        renaming (on Windows: a file open in another program; Ctrl-C), renames everything
        back at once; a save killed while renaming leaves its journal, and the next load or
        save of the folder (:meth:`load`, :meth:`Runs.load`, :meth:`Runs.save`) renames it
        back (or, marked done, only removes the hidden folders). So ``folder`` is never part
        one run, part another; files the save did not write are never moved or removed. The
        folders above ``folder`` that a failed save made are removed.

        The journal records each file it renames by its identity (inode, size, modification
        time: a rename keeps them), and only those very files are renamed back or removed:
        a file put in the place of one since (by the user, or a later save), or a folder
        removed since, is left as it is, the earlier file kept in its hidden folder, the
        journal removed, and an :class:`InterruptedSaveWarning` names the folder and where
        the earlier files are. A journal that names anything but a save's own folders and
        files (a path out of its folder) is ignored, with that warning; one that cannot be
        acted on now (a read-only folder) is kept and said (by a warning, or in the error of
        a folder that is not a run). On a file system that locks no file (NFS without its
        lock daemon) the journal is not locked: the save goes on.

        Parameters
        ----------
        folder
            The run's folder (made with its parents). The current folder (``"."``) is written
            into, as any existing folder, never replaced.
        overwrite
            Replace a folder that holds another saved run.

        Returns
        -------
        Path
            ``folder``.

        Raises
        ------
        FileExistsError
            ``folder`` is a file or a broken link, holds another saved run (without
            ``overwrite``, or through a symbolic link), or holds files or folders that are not
            a saved run's; nothing is written. Or ``folder`` was saved meanwhile by another
            session (made, or given the run's files, while this one wrote): nothing is saved.
        OSError
            A file could not be written or renamed (``folder`` is as it was); or the files
            renamed could not all be renamed back: the error names the hidden folders that
            keep them, which the next load or save renames back.

        Examples
        --------
        >>> run.save("runs/model-a")  # doctest: +SKIP
        >>> run.save("runs/model-a", overwrite=True)  # doctest: +SKIP
        """
        from .io.results import remove_made, result_target

        folder = Path(folder)
        _say_left(_recover_saves(result_target(folder).parent))
        staged = self._stage(folder, overwrite=overwrite)
        try:
            _put_in_place(staged.moves.target.parent, [staged])
        except BaseException:
            remove_made(staged.made)
            raise
        return folder

    def _stage(self, folder: Path, *, overwrite: bool) -> _Staged:
        """Check ``folder`` and write the run's files into a hidden folder beside it, to be put
        in place by :func:`_put_in_place`; what fails here leaves nothing (the hidden folder
        and the parents made are removed)."""
        from .io.results import make_parents, remove_made, result_target

        own = self._saved if self.owns(folder) else None
        if own is None:
            _check_run_folder(folder, overwrite=overwrite)
        target = result_target(folder)  # through a link to a folder: that folder
        made = make_parents(target)
        staging = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        try:
            staging.mkdir()
            settings, written = self._write_into(staging)
            if own is None:
                _check_run_folder(folder, overwrite=overwrite)  # filled by another, meanwhile?
            old: tuple[str, ...] = ()
            if os.path.lexists(target):  # empty, ours, or (overwrite) another saved run
                replaced = own.files if own is not None else _run_entries(target)
                folders = sorted(name for name in written if _is_folder(target / name))
                if folders:  # checked before any file is put in place
                    raise FileExistsError(
                        f"{target} holds folders named as the run's files ({', '.join(folders)}): "
                        "move them out, or choose another folder."
                    )
                gone = {name for name in replaced - written if not _is_folder(target / name)}
                old = tuple(sorted(n for n in written | gone if os.path.lexists(target / n)))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            remove_made(made)
            raise
        moves = _Moves(target, staging, not os.path.lexists(target), written, old)
        return _Staged(self, moves, settings, made)

    def _write_into(self, folder: Path) -> tuple[str, frozenset[str]]:
        """Write the run's files into the existing ``folder``, ``settings.json`` last (listing
        them); returns the text of its ``settings.json`` and the names of the files written."""
        written = {"settings.json"}
        for key, table in self.tables.items():
            if len(table.columns):  # not computed (no columns): no file
                table.to_csv(folder / f"{key}.csv", index=False)
                written.add(f"{key}.csv")
        if self.labels and not any(is_lazy(image) for image in self.labels.values()):
            np.savez_compressed(folder / "labels.npz", **self.labels)  # chunked ones: not saved
            written.add("labels.npz")
        settings = dict(self.settings)
        settings["run"] = {
            "name": self.name,
            "created": self.created,
            "kind": self.kind,
            "inputs": self.inputs,
            "agreement": self.agreement,
            "files": sorted(written),
        }
        settings["versions"] = self.versions
        text = json.dumps(_plain(settings), indent=2)
        (folder / "settings.json").write_text(text)
        return text, frozenset(written)

    @classmethod
    def load(cls, folder: str | Path) -> Run:
        """A run from a folder written by :meth:`save` or by the command line.

        The folder is checked whole before the run is made: its ``settings.json`` (valid
        JSON; the ``run`` entry :meth:`save` writes, or, without it, a command-line result
        folder's ``per_image.csv``), the tables a run of its kind needs (``summary.csv``; of a
        dataset also ``per_image.csv``), every CSV table and ``labels.npz``; then the run's
        headline values, intervals and images are read once, so a run that loads can be
        listed and compared.

        Raises
        ------
        FileNotFoundError
            If ``folder`` has no ``settings.json``, or lacks a table its run needs (named).
        ValueError
            If a file of the folder cannot be read as a run's (named, with the reason).

        Examples
        --------
        >>> Run.load("results/run1").kind  # a command-line result folder  # doctest: +SKIP
        'dataset'
        """
        from .io.results import result_target

        folder = Path(folder)
        left = _recover_saves(result_target(folder).parent)  # a save of it killed
        words = left.pop(_target_key(folder), None)
        _say_left(left)
        return cls._read_saying(folder, words)

    @classmethod
    def _read_saying(cls, folder: Path, left: str | None) -> Run:
        """The run of ``folder`` (:meth:`_read`); ``left``: what a save of it interrupted
        and not undone left (:func:`_recover_saves`), added to the error if the folder is not
        a run, else warned of (:class:`InterruptedSaveWarning`)."""
        try:
            run = cls._read(folder)
        except (FileNotFoundError, ValueError) as error:
            if left is None:
                raise
            raise type(error)(f"{error} {left}") from error
        if left is not None:
            warn(InterruptedSaveWarning(left))
        return run

    @classmethod
    def _read(cls, folder: Path) -> Run:
        """The run of ``folder`` (:meth:`load`, the journals of its saves recovered)."""
        path = folder / "settings.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"{folder} is not a run: it has no settings.json (save a run there, or give the "
                "folder the command line wrote)."
            )
        signature = _file_signature(path)
        text = path.read_text(errors="replace")
        settings = _read_settings(path)
        about = settings.pop("run", None)
        versions = settings.pop("versions", {}) or {}
        tables = {csv.stem: _read_csv(csv) for csv in sorted(folder.glob("*.csv"))}
        if about is None and "per_image" not in tables:
            raise FileNotFoundError(
                f'{path} has no "run" entry (the run\'s name, kind and inputs, written by the '
                f"Runs tab's Save) and {folder} has no per_image.csv (of a command-line result "
                "folder): it is neither a saved run nor a result folder."
            )
        about = about or {}
        if not isinstance(about, dict) or about.get("kind", "dataset") not in REQUIRED_TABLES:
            raise ValueError(
                f'{path}: its "run" entry must be an object whose "kind" is "image" or '
                f'"dataset", not {about!r}.'
            )
        kind = about.get("kind", "dataset")
        missing = [f"{name}.csv" for name in REQUIRED_TABLES[kind] if name not in tables]
        if missing:
            what = "one-image run" if kind == "image" else "dataset run"
            raise FileNotFoundError(
                f"{folder} is a {what} folder without {' and '.join(missing)}, which holds its "
                "results: save the run again (Runs tab) or write the result folder again "
                "(command line)."
            )
        if kind == "dataset":
            inputs = about.get("inputs") or _dataset_inputs(
                [pair["truth"] for pair in settings.get("pairs", [])],
                [pair["prediction"] for pair in settings.get("pairs", [])],
            )
        else:
            inputs = about.get("inputs", {})
            for key in IMAGE_TABLES:
                tables.setdefault(key, pd.DataFrame())
        run = cls(
            name=about.get("name") or folder.name,
            created=about.get("created") or settings.get("created") or "",
            kind=kind,
            inputs=inputs,
            settings=settings,
            tables=tables,
            labels=_read_labels(folder / "labels.npz"),
            versions=versions,
            agreement=bool(about.get("agreement", False)),
        )
        _check_readable(run, folder)
        listed = _listed_files(folder)
        files = {f"{key}.csv" for key, table in tables.items() if len(table.columns)}
        real = Path(os.path.realpath(folder))
        run._loaded = _SavedFolder(real, text, signature, frozenset(files | listed))
        if about and all(name in listed or _is_run_file_name(name) for name in files):
            # A folder Run.save wrote, of a run's files only: the run's own, updated in place
            # when saved there (a CSV file of the user's is never rewritten as a table).
            files |= {"settings.json", *(["labels.npz"] if run.labels else [])}
            run._saved = _SavedFolder(real, text, signature, frozenset(files | listed))
        return run


@dataclass(frozen=True)
class _SavedFolder:
    """Where a run saved itself (:meth:`Run.save`): the folder (absolute, links resolved),
    the text of the ``settings.json`` written there and that file's :func:`_file_signature`,
    and the names of the files written."""

    folder: Path
    settings: str
    signature: tuple[int, int, int, int]
    files: frozenset[str]


def _still_holds(saved: _SavedFolder | None, folder: str | Path) -> bool:
    """Whether ``folder`` is the folder of ``saved`` (links resolved) and still holds the very
    ``settings.json`` it records: the same file (:func:`_file_signature`), the same text."""
    if saved is None or Path(os.path.realpath(folder)) != saved.folder:
        return False
    path = Path(folder) / "settings.json"
    try:
        return _file_signature(path) == saved.signature and path.read_text() == saved.settings
    except (OSError, UnicodeDecodeError):
        return False


def _file_signature(path: Path) -> tuple[int, int, int, int]:
    """Which file ``path`` is and when it was last written: its device, inode, modification
    time (ns) and size."""
    stat = path.stat()
    return stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size


#: The tables a run writes (as ``<name>.csv``) besides a dataset run's, which are the command
#: line's result files (:data:`~napari_seg_eval.io.results.RESULT_FILE`): a one-image run's,
#: its bootstrap over objects and object classes, an agreement run's.
RUN_TABLES = frozenset({*IMAGE_TABLES, "object_intervals", OBJECT_CLASSES, "boundary", "symmetry"})
#: Names of the files of a saved run folder besides its tables. ``report.html``: the command
#: line's report in its result folder.
RUN_FILES = frozenset({"settings.json", "labels.npz", "report.html"})


def _listed_files(folder: Path) -> frozenset[str]:
    """The files the ``settings.json`` of ``folder`` lists as the run's (:meth:`Run.save`
    writes the list), plain names only; none when it lists none or cannot be read."""
    try:
        files = json.loads((folder / "settings.json").read_text())["run"]["files"]
    except (OSError, ValueError, UnicodeDecodeError, KeyError, TypeError):
        return frozenset()
    if not isinstance(files, list):
        return frozenset()
    return frozenset(name for name in files if _is_plain_name(name))  # never a path out


def _is_run_file_name(name: str) -> bool:
    """Whether a file named ``name`` is one a run (or the command line) writes in its folder."""
    from .io.results import RESULT_FILE

    return (
        name in RUN_FILES
        or (name.endswith(".csv") and name[: -len(".csv")] in RUN_TABLES)
        or RESULT_FILE.fullmatch(name) is not None
    )


def _run_entries(folder: Path) -> frozenset[str]:
    """The names of the files in ``folder`` that a saved run there wrote: regular files (not
    symbolic links) named as a run's files are, or as its ``settings.json`` lists them."""
    listed = _listed_files(folder)
    return frozenset(
        entry.name
        for entry in folder.iterdir()
        if not entry.is_symlink()
        and entry.is_file()
        and (entry.name in listed or _is_run_file_name(entry.name))
    )


#: Which file a path is, as a rename keeps it: its inode, size and modification time (ns).
Identity = tuple[int, int, int]


def _identity(path: Path) -> Identity:
    """The :data:`Identity` of the file ``path`` (a link itself, not what it links to)."""
    stat = os.lstat(path)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _holds(path: Path, identity: Identity | None) -> bool:
    """Whether ``path`` is the very file of ``identity`` (a rename keeps it): False when
    there is no such file, or another file (the user's, or a later save's) is there."""
    try:
        return identity is not None and _identity(path) == identity
    except OSError:
        return False


def _is_plain_name(name: Any) -> bool:
    """Whether ``name`` is the name of an entry of a folder: no separator, not ``.``/``..``."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
    )


class InterruptedSaveWarning(UserWarning):
    """A save killed while renaming (:meth:`Runs.save`, :meth:`Run.save`) could not be undone
    whole by the next load or save: the message names the run's folder and the hidden folder
    that keeps its earlier files."""


@dataclass(frozen=True)
class _Moves:
    """The renames that put a run's files, written into the hidden folder ``staging``, in
    place as the folder ``target`` (both absolute): ``new``, ``staging`` is renamed to
    ``target``; else the files ``old`` of ``target`` (those the run's files replace, or it
    removes) are renamed aside into the hidden folder :attr:`backup`, then the files
    ``written`` renamed in, ``settings.json`` last. ``written_ids`` and ``old_ids``: the
    :data:`Identity` of each file renamed (:meth:`identified`), so that only those files are
    ever renamed back or removed."""

    target: Path
    staging: Path
    new: bool
    written: frozenset[str]
    old: tuple[str, ...]
    written_ids: dict[str, Identity] = field(default_factory=dict)
    old_ids: dict[str, Identity] = field(default_factory=dict)
    staging_ino: int | None = None

    @property
    def backup(self) -> Path:
        """The hidden folder that keeps the old files of ``target`` until the save is done."""
        return self.staging.with_name(f"{self.staging.name}.replaced")

    def identified(self) -> _Moves:
        """These renames with the :data:`Identity` of each file to rename (the run's files
        in ``staging``, the old ones in ``target``, and the inode of ``staging``), taken just
        before the first rename.

        Raises
        ------
        FileExistsError
            ``target`` was made (``new``), or given a file the run writes, since the run's
            files were written (by another session saving there): nothing would be saved.
        """
        taken = (
            os.path.lexists(self.target)
            if self.new
            else any(os.path.lexists(self.target / name) for name in self.written - set(self.old))
        )
        if taken:
            raise FileExistsError(self._taken_words())
        return dataclasses.replace(
            self,
            written_ids={name: _identity(self.staging / name) for name in self.written},
            old_ids={name: _identity(self.target / name) for name in self.old},
            staging_ino=os.lstat(self.staging).st_ino,
        )

    def _taken_words(self) -> str:
        """The error of a save whose folder another save took meanwhile."""
        return (
            f"the run folder {self.target.name!r} in {self.target.parent} was saved meanwhile, "
            "by another session or program: nothing is saved, nothing of it is replaced; save "
            "again to save this run beside it under another name."
        )

    def to_json(self, folder: Path) -> dict[str, Any]:
        """The renames as the journal in ``folder`` (links resolved) lists them: the names of
        ``target`` and ``staging`` in it, and of the files with their identities."""
        return {
            "target": os.path.relpath(os.path.realpath(self.target), folder),
            "staging": os.path.relpath(os.path.realpath(self.staging), folder),
            "new": self.new,
            "written": {name: list(self.written_ids[name]) for name in sorted(self.written)},
            "old": {name: list(self.old_ids[name]) for name in self.old},
            "staging_ino": self.staging_ino,
        }

    @classmethod
    def from_json(cls, folder: Path, entry: Any) -> _Moves:
        """The renames a journal in ``folder`` lists (:meth:`to_json`), checked to be what a
        save writes: ``target`` a folder of ``folder`` (a plain name), ``staging`` its hidden
        folder ``.<target>.<8 hex digits>``, the files plain names, each with its identity.

        Raises
        ------
        ValueError
            An entry a save does not write (a path out of ``folder``, another name).
        """
        if not isinstance(entry, dict):
            raise ValueError(f"an entry {entry!r} is not an object")
        target, staging = entry.get("target"), entry.get("staging")
        if not _is_plain_name(target):
            raise ValueError(f"its target {target!r} is not the name of a folder in {folder}")
        if not isinstance(staging, str) or not re.fullmatch(
            rf"\.{re.escape(target)}\.[0-9a-f]{{8}}", staging
        ):
            raise ValueError(f"its hidden folder {staging!r} is not one a save of {target!r} makes")
        files = {}
        for key in ("written", "old"):
            listed = entry.get(key)
            if not isinstance(listed, dict) or not all(
                _is_plain_name(name)
                and isinstance(identity, list)
                and len(identity) == 3
                and all(type(part) is int for part in identity)
                for name, identity in listed.items()
            ):
                raise ValueError(f"its {key!r} files are not plain names with their identities")
            files[key] = {name: tuple(identity) for name, identity in listed.items()}
        if type(entry.get("staging_ino")) is not int:
            raise ValueError("its hidden folder's inode is not a number")
        return cls(
            folder / target,
            folder / staging,
            entry.get("new") is True,
            frozenset(files["written"]),
            tuple(files["old"]),
            files["written"],
            files["old"],
            entry["staging_ino"],
        )

    def put_in(self) -> None:
        """Rename the run's files in place (its old ones aside)."""
        if self.new:
            try:
                os.rename(self.staging, self.target)
            except OSError as error:
                if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                raise FileExistsError(self._taken_words()) from None
            return
        self.backup.mkdir()
        for name in self.old:
            os.replace(self.target / name, self.backup / name)
        for name in [*sorted(self.written - {"settings.json"}), "settings.json"]:
            os.replace(self.staging / name, self.target / name)

    def roll_back(self) -> list[str]:
        """Undo :meth:`put_in`, however far it went: each file it renamed in (the very file,
        :attr:`written_ids`) is renamed back into the hidden folder, then each old file (the
        very file, :attr:`old_ids`) back from :attr:`backup`; a new ``target`` left empty is
        removed. Done again after being cut short, it goes on where it stopped. Files the save
        did not rename (the user's, a later save's) are never moved: an old file whose place
        such a file took, or whose folder ``target`` is gone, stays in :attr:`backup`.

        Returns
        -------
        list of str
            The names of the old files left in :attr:`backup` (none: all put back).
        """
        if self.target.is_dir() and not os.path.lexists(self.staging):  # renamed as a whole
            self.staging.mkdir()
        for name in sorted(self.written):
            if not os.path.lexists(self.staging / name) and _holds(
                self.target / name, self.written_ids.get(name)
            ):
                os.replace(self.target / name, self.staging / name)
        kept = []
        for name in self.old:
            if not _holds(self.backup / name, self.old_ids.get(name)):
                continue  # put back already (or not the file renamed aside)
            if not _is_folder(self.target) or os.path.lexists(self.target / name):
                kept.append(name)  # the folder removed, or the place taken since
                continue
            os.replace(self.backup / name, self.target / name)
        if self.new and _is_folder(self.target):
            with contextlib.suppress(OSError):  # not empty: something not the save's is there
                if os.lstat(self.target).st_ino == self.staging_ino:  # the save's own
                    self.target.rmdir()
        return kept

    def clean_up(self, *, keep_backup: bool = False) -> None:
        """Remove the hidden folders: of the files in them, only those the save renamed (the
        new files not used, the old files replaced; ``keep_backup``: not the old ones), each
        the very file (:meth:`identified`); a folder is removed once empty."""
        folders = [(self.staging, self.written_ids)]
        if not keep_backup:
            folders.append((self.backup, self.old_ids))
        for folder, identities in folders:
            for name, identity in identities.items():
                if _holds(folder / name, identity):
                    with contextlib.suppress(OSError):
                        (folder / name).unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()

    def discard(self) -> None:
        """Remove the hidden folder written, before anything is put in place."""
        shutil.rmtree(self.staging, ignore_errors=True)


@dataclass(frozen=True)
class _Staged:
    """A run whose files are written into a hidden folder (:meth:`Run._stage`): the renames
    that put them in place, the text of its ``settings.json``, and the folders above its
    folder that staging made."""

    run: Run
    moves: _Moves
    settings: str
    made: list[Path]


#: The journal of a save putting runs in place (:func:`_put_in_place`), in the folder that
#: holds them, with a random part: ``.napari-seg-eval-save.<hex>.json``; ``.done`` beside it
#: when every rename is done.
JOURNAL_PREFIX = ".napari-seg-eval-save."

#: Errors of a file system that cannot lock files (NFS without its lock daemon, some FUSE and
#: SMB mounts): a save goes on unlocked there.
_NO_LOCKS = frozenset(
    {errno.ENOLCK, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP), errno.EINVAL}
)


def _lock(handle: Any, *, wait: bool) -> bool | None:
    """Lock the open file ``handle`` for this process alone (released when it is closed or
    the process ends, even killed); ``wait`` for another holder. Returns True when locked,
    False when another holds it (not ``wait``), None when the file system locks no file."""
    try:
        if os.name == "nt":  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError as error:
        return None if error.errno in _NO_LOCKS else False
    return True


def _remove_journal(journal: Path, handle: Any) -> None:
    """Remove the ``journal`` this process holds open and locked as ``handle``, emptied first
    (under the lock: an empty journal is never rolled back), then its ``.done`` mark."""
    handle.seek(0)
    handle.truncate()
    handle.flush()
    if os.name != "nt":
        journal.unlink(missing_ok=True)  # while locked: nobody acts on it after
    handle.close()
    with contextlib.suppress(OSError):
        journal.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # after the journal: never a journal without its mark
        journal.with_suffix(".done").unlink(missing_ok=True)


def _new_journal(folder: Path) -> tuple[Path, Any]:
    """A new, empty journal in ``folder``, open and locked by this process (unlocked on a
    file system that locks no file: the lock only keeps a load's recovery off a save under
    way): its path and handle. (One that a :func:`_recover_saves` took for a journal left
    behind and removed before this process locked it is let go, and another made.)"""
    while True:
        journal = folder / f"{JOURNAL_PREFIX}{secrets.token_hex(4)}.json"
        handle = open(journal, "x", encoding="utf-8")  # noqa: SIM115 - held until the end
        try:
            if _lock(handle, wait=True) is False:
                raise OSError(f"{journal} could not be locked: nothing is saved into {folder}.")
            if os.path.samestat(os.fstat(handle.fileno()), os.stat(journal)):
                return journal, handle
        except FileNotFoundError:
            pass
        except BaseException:
            handle.close()
            journal.unlink(missing_ok=True)
            raise
        handle.close()


def _put_in_place(folder: Path, staged: list[_Staged]) -> None:
    """Rename the files of every run ``staged`` in place, all or none: a save's one
    transaction.

    Before the first rename a journal in ``folder`` (locked by this process while it lives)
    lists every rename, with the identity of each file renamed. A failure (an error, Ctrl-C)
    renames back what was renamed (:meth:`_Moves.roll_back`); a process killed leaves the
    journal, and the next load or save of ``folder`` (:func:`_recover_saves`) renames back in
    its place. When every rename is done the journal is marked done (``.done`` beside it):
    from then on the save holds, and only the hidden folders are left to remove. On success
    each run records its new folder.

    Raises
    ------
    OSError
        A rename failed (every folder is as it was); or the files renamed could not all be
        renamed back: the error names the hidden folders that keep them, and the journal is
        kept for the next load or save to finish.
    """
    folder = Path(os.path.realpath(folder))
    try:
        journal, handle = _new_journal(folder)
    except BaseException:
        for item in staged:
            item.moves.discard()
        raise
    try:
        moves = [item.moves.identified() for item in staged]
    except BaseException:  # a file gone meanwhile: nothing is renamed yet
        _remove_journal(journal, handle)
        for item in staged:
            item.moves.discard()
        raise
    try:
        handle.write(json.dumps({"runs": [item.to_json(folder) for item in moves]}))
        handle.flush()
        os.fsync(handle.fileno())
        for item in moves:
            item.put_in()
        journal.with_suffix(".done").touch(exist_ok=False)
    except BaseException as error:
        try:
            kept = [(item, item.roll_back()) for item in reversed(moves)]
        except OSError as undo:
            handle.close()  # the journal kept: the next load or save renames back
            backups = ", ".join(str(item.backup) for item in moves if item.backup.exists())
            raise OSError(
                f"saving into {folder} failed ({error}), and the files renamed could not all "
                f"be put back ({undo}): the earlier files are kept in {backups}; the next load "
                "or save of the folder puts them back, or move them back by hand."
            ) from error
        except BaseException:
            handle.close()  # interrupted again: the next load or save renames back
            raise
        _remove_journal(journal, handle)  # first: hidden folders left are never acted on
        for item, names in kept:
            item.clean_up(keep_backup=bool(names))
        if any(names for _, names in kept):  # a file put meanwhile where an old one was
            raise OSError(f"saving into {folder} failed ({error}); {_kept_words(kept)}") from error
        raise
    for item, moved in zip(staged, moves, strict=True):
        target = moved.target
        signature = _file_signature(target / "settings.json")
        item.run._saved = _SavedFolder(
            Path(os.path.realpath(target)), item.settings, signature, moved.written
        )
    for item in moves:
        item.clean_up()
    _remove_journal(journal, handle)


def _kept_words(kept: list[tuple[_Moves, list[str]]]) -> str:
    """Where the earlier files that a roll back could not put back are (``kept``: the renames
    and the names of the files left in their :attr:`_Moves.backup`), in words."""
    return "; ".join(
        f"the earlier {', '.join(names)} of {item.target} "
        + (
            "could not be put back, as the folder is gone"
            if not _is_folder(item.target)
            else "could not be put back, as files of the same names were put there since"
        )
        + f": they are kept in the hidden folder {item.backup}"
        for item, names in kept
        if names
    )


def _recover_saves(folder: Path) -> dict[Path, str]:
    """Finish the saves into ``folder`` that were killed while renaming (:func:`_put_in_place`):
    each journal left there that no live save holds is rolled back (the renames undone) or,
    marked done, cleaned up (its hidden folders removed), then removed; so are an emptied
    journal and a done mark without its journal (a save killed while removing them).

    Only the files the save renamed (the same identity) are renamed back or removed; an old
    file whose place another file took since (the user's, a later save's), or whose folder
    was removed, is left in the hidden folder, the journal removed, and an
    :class:`InterruptedSaveWarning` says where. A journal that is not a save's (a path out of
    ``folder``, a name a save does not write) is left alone, with a warning.

    Returns
    -------
    dict
        Of each run folder whose save could not be undone now (the folder cannot be written:
        read-only; a file in use), what happened in words; its journal is kept for the next
        load or save.
    """
    folder = Path(os.path.realpath(folder))
    left: dict[Path, str] = {}
    try:
        journals = sorted(folder.glob(f"{JOURNAL_PREFIX}*.json"))
    except OSError:
        return left
    for journal in journals:
        try:
            handle = open(journal, "r+", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as error:
            left.update(_unrecovered(folder, journal, error))
            continue
        try:
            if _lock(handle, wait=False) is False:
                handle.close()  # a save under way
                continue
            if not os.path.samestat(os.fstat(handle.fileno()), os.stat(journal)):
                handle.close()  # removed (and another made) meanwhile
                continue
            text = handle.read()
        except (OSError, ValueError):
            handle.close()  # removed meanwhile, or not text
            continue
        if not text:  # emptied by a save done, or new: a save makes another if it is
            with contextlib.suppress(OSError):
                _remove_journal(journal, handle)
            continue
        try:
            moves = _journal_moves(folder, text)
        except ValueError as error:
            handle.close()
            warn(
                InterruptedSaveWarning(
                    f"{journal} is not a journal this program's save wrote ({error}): it is "
                    "ignored, and nothing it names is moved or removed; remove it."
                )
            )
            continue
        done = journal.with_suffix(".done").exists()
        kept: list[tuple[_Moves, list[str]]] = []
        if not done:
            try:
                kept = [(item, item.roll_back()) for item in reversed(moves)]
            except OSError as error:
                handle.close()  # tried again at the next load or save
                for item in moves:
                    left[item.target] = (
                        f"A save into {folder} was interrupted, and could not be undone now "
                        f"({error}): {item.target} may hold part of it; its earlier files are "
                        f"kept in the hidden folder {item.backup}, put back at the next load "
                        "or save of the folder that can write there."
                    )
                continue
        _remove_journal(journal, handle)  # first: hidden folders left are never acted on
        for item, names in kept:
            item.clean_up(keep_backup=bool(names))
        if done:
            for item in moves:
                item.clean_up()
        if any(names for _, names in kept):
            warn(
                InterruptedSaveWarning(
                    f"A save into {folder} was interrupted; undoing it, {_kept_words(kept)}."
                )
            )
    for mark in folder.glob(f"{JOURNAL_PREFIX}*.done"):
        if not mark.with_suffix(".json").exists():
            with contextlib.suppress(OSError):
                mark.unlink(missing_ok=True)
    return left


def _target_key(folder: Path) -> Path:
    """The run folder ``folder`` as :func:`_recover_saves` names it (links resolved)."""
    from .io.results import result_target

    target = result_target(folder)
    return Path(os.path.realpath(target.parent)) / target.name


def _say_left(left: dict[Path, str]) -> None:
    """Warn of each save :func:`_recover_saves` could not undo now (``left``)."""
    for words in left.values():
        warn(InterruptedSaveWarning(words))


def _journal_moves(folder: Path, text: str) -> list[_Moves]:
    """The renames of the journal ``text`` in ``folder`` (:meth:`_Moves.from_json`), or a
    ``ValueError`` saying what a save does not write."""
    try:
        entries = json.loads(text)["runs"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("it is not a save's JSON list of runs") from None
    if not isinstance(entries, list):
        raise ValueError("its runs are not a list")
    return [_Moves.from_json(folder, entry) for entry in entries]


def _unrecovered(folder: Path, journal: Path, error: OSError) -> dict[Path, str]:
    """Of each run folder the journal ``journal`` in ``folder`` lists (one that cannot be
    opened to be acted on: ``error``), what was left, in words; none if it cannot be read."""
    try:
        moves = _journal_moves(folder, journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {
        item.target: (
            f"A save into {folder} was interrupted and is not undone ({error}): "
            f"{item.target} may hold part of it; its earlier files are kept in the hidden "
            f"folder {item.backup}; undone at the next load or save of the folder that can "
            "write there."
        )
        for item in moves
    }


def _is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder itself (not a symbolic link to one)."""
    return path.is_dir() and not path.is_symlink()


def _is_free(folder: Path) -> bool:
    """Whether a run can be saved as ``folder`` replacing nothing: no such file or folder, or
    a folder holding nothing but a file manager's clutter."""
    from .io.results import FOLDER_CLUTTER

    if not folder.exists() and not folder.is_symlink():
        return True
    return folder.is_dir() and all(entry.name in FOLDER_CLUTTER for entry in folder.iterdir())


def _others(folder: Path) -> list[str]:
    """The entries of ``folder`` that are not a saved run's files (nor a file manager's
    clutter), folders with a trailing ``/``."""
    from .io.results import FOLDER_CLUTTER

    ours = _run_entries(folder) | FOLDER_CLUTTER
    return sorted(
        entry.name + ("/" if entry.is_dir() and not entry.is_symlink() else "")
        for entry in folder.iterdir()
        if entry.name not in ours
    )


def _holds_run(folder: Path) -> bool:
    """Whether ``folder`` holds a saved run: its own ``settings.json`` (a regular file)."""
    settings = folder / "settings.json"
    return folder.is_dir() and settings.is_file() and not settings.is_symlink()


def _holds_run_only(folder: Path) -> bool:
    """Whether ``folder`` is a folder (not a symbolic link) holding a saved run's files and
    nothing else: what ``overwrite`` may replace."""
    return not folder.is_symlink() and _holds_run(folder) and not _others(folder)


def holds_words(folder: str | Path) -> str:
    """What the folder ``folder`` holds, in words, when a run cannot be saved as it without
    replacing something: ``"holds another run"`` (a saved run), ``"holds other files"``,
    ``"is a file"`` or ``"is a broken link"``; ``""`` when it is free (no such folder, or an
    empty one).

    Examples
    --------
    >>> holds_words("runs/model")  # doctest: +SKIP
    'holds other files'
    """
    folder = Path(folder)
    if _is_free(folder):
        return ""
    if not folder.is_dir():
        return "is a file" if folder.exists() else "is a broken link"
    return "holds another run" if _holds_run(folder) else "holds other files"


def _saved_run_words(folder: Path) -> str:
    """The run saved in ``folder`` as its ``settings.json`` names it (``"'run 1: a', saved
    2026-01-02T10:00:00+01:00"``), or "" when it does not."""
    try:
        about = json.loads((folder / "settings.json").read_text()).get("run") or {}
        return f"{about['name']!r}, saved {about['created']}"
    except (OSError, ValueError, UnicodeDecodeError, AttributeError, KeyError, TypeError):
        return ""


def _check_run_folder(folder: Path, *, overwrite: bool) -> None:
    """Refuse to save a run as ``folder`` when that would replace what is there: a file;
    another saved run (unless ``overwrite``, and never through a symbolic link); files or
    folders that are not a run's."""
    if folder.is_symlink() and not folder.exists():
        raise FileExistsError(
            f"{folder} is a broken symbolic link to '{os.readlink(folder)}': remove the link "
            "or choose another folder."
        )
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} exists and is not a folder: choose another folder.")
    if _is_free(folder):
        return
    others = _others(folder)
    if others:
        few = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise FileExistsError(
            f"{folder} holds files or folders that are not a saved run's ({few}): a run is "
            "saved into a new or empty folder, replacing nothing else; choose another folder."
        )
    if not _holds_run(folder):
        raise FileExistsError(
            f"{folder} holds files named as a run's but no settings.json: it is not a saved "
            "run, and is not replaced; choose another folder."
        )
    which = _saved_run_words(folder)
    held = f"{folder} already holds a saved run{f' ({which})' if which else ''}"
    if not overwrite:
        raise FileExistsError(
            f"{held}: choose another folder, or pass overwrite=True to replace it."
        )
    if folder.is_symlink():
        raise FileExistsError(
            f"{held} through a symbolic link to '{os.readlink(folder)}': a run is never "
            "replaced through a link; save to the folder itself, or choose another folder."
        )


#: The tables of a multi-class dataset run (class images beside the labels), after its
#: metric family's name: as the command line's result folder names their files.
CLASS_TABLES = ("per_class_pooled", "per_class_image_mean", "class_confusion")


def _read_settings(path: Path) -> dict[str, Any]:
    """The JSON object of a run's ``settings.json``, or a ``ValueError`` naming the file."""
    try:
        settings = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        raise ValueError(f"{path} is not valid JSON: {error}.") from None
    if not isinstance(settings, dict):
        raise ValueError(
            f"{path} does not hold a run's settings (a JSON object), but a "
            f"{type(settings).__name__}."
        )
    return settings


def _read_labels(path: Path) -> dict[str, np.ndarray]:
    """The label images of ``labels.npz`` (none without the file), checked: ``truth`` and
    ``prediction`` of one shape, and a boolean ``region`` of that shape if there is one."""
    if not path.is_file():
        return {}
    try:
        with np.load(path) as stored:  # read-only, shared with the runs of equal images
            labels = {key: shared_array(stored[key], copy=False) for key in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} cannot be read ({error}).") from None
    missing = [key for key in ("truth", "prediction") if key not in labels]
    if missing:
        raise ValueError(f"{path} holds no {' and no '.join(missing)} image.")
    shapes = {key: image.shape for key, image in labels.items()}
    if len(set(shapes.values())) > 1 or labels.get("region", np.zeros(0, bool)).dtype != bool:
        raise ValueError(
            f"{path} does not hold images of one shape (and a boolean region): {shapes}."
        )
    return labels


def _check_readable(run: Run, folder: Path) -> None:
    """Read what the Runs tab and :meth:`Runs.compare` read of ``run`` (its headline values,
    intervals, images and metric families), or raise a ``ValueError`` naming the folder."""
    summary = run.tables["summary"]
    if run.kind == "image":
        missing = sorted({"evaluation", "metric", "value"} - set(summary.columns))
        problem = f"summary.csv has no column {', '.join(missing)}" if missing else ""
    else:
        problem = "" if len(summary) == 1 else f"summary.csv has {len(summary)} rows, not 1"
    if not problem:
        try:
            run.headline, run.intervals, run.n_images, run.threshold  # noqa: B018 (read)
            for kind in run.metric_kinds if run.kind == "dataset" else ():
                run.dataset(kind)
        except (KeyError, ValueError, TypeError, IndexError) as error:
            problem = f"{type(error).__name__}: {error}"
    if problem:
        raise ValueError(f"{folder} cannot be read as a run: {problem}.")


def _succeeded(per_image: pd.DataFrame) -> pd.DataFrame:
    """The per-image rows of the pairs that did not fail (no ``error``), numbered 0, 1, ..."""
    if "error" in per_image:
        error = per_image["error"]
        per_image = per_image[error.isna() | (error.astype(str) == "")]
    return per_image.reset_index(drop=True)


def _of_family(key: str, kind: str) -> bool:
    """Whether summary key ``key`` of a result folder is a value of metric family ``kind``
    (``f1_50_pooled_low`` is instance's, ``mean_iou_image_mean`` semantic's)."""
    return catalogue.metric(f"{kind}.summary", _base_key(key)) is not None


def _base_key(key: str) -> str:
    """The metric of summary key ``key``: without an interval's bound and the aggregate
    (``f1_50_pooled_low`` -> ``f1_50``)."""
    base = key
    for suffixes in _SUMMARY_SUFFIXES:
        base = next((base.removesuffix(s) for s in suffixes if base.endswith(s)), base)
    return base


def _read_csv(path: Path) -> pd.DataFrame:
    """A table :meth:`Run.save` or the command line wrote, read back as it was.

    pandas' own guesses would read the ``kind`` column of a run whose prediction has no
    objects (every row ``true``) as booleans, an image named ``NA`` as missing and images
    named ``1``, ``2`` as numbers: the columns of names and words (:data:`TEXT_COLUMNS`) are
    read as text as written, and only an empty cell of another column is missing.

    pandas reads a column of numbers with a decimal or an empty cell as floats, so counts
    would come back as 3.0 and be saved again so: the counts of such a column (the cells
    written as integers) are kept integers (:func:`_integers_kept`). Only the float columns
    with a whole value (a cell written ``3`` reads 3.0) are read again, as text, for that.
    """
    try:
        columns = pd.read_csv(path, nrows=0).columns
        text = [name for name in columns if name in TEXT_COLUMNS]
        table = pd.read_csv(
            path,
            dtype=dict.fromkeys(text, str),
            keep_default_na=False,
            na_values={name: [""] for name in columns if name not in TEXT_COLUMNS},
        )
        floats = [
            i
            for i, dtype in enumerate(table.dtypes)
            if dtype == np.float64 and _whole(table.iloc[:, i].to_numpy()).any()
        ]
        if floats:  # the cells as written, to tell the counts (3) from the floats (3.0)
            written = pd.read_csv(path, usecols=floats, dtype=str, keep_default_na=False)
            for position, column in zip(floats, written.columns, strict=True):
                table.isetitem(position, _integers_kept(written[column], table.iloc[:, position]))
        return table
    except pd.errors.EmptyDataError:  # an empty table was written as an empty file
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a readable CSV table: {error}") from None


def _integers_kept(written: pd.Series, values: pd.Series) -> pd.Series:
    """The float column ``values`` read from the cells ``written`` (their text), with the
    cells written as integers (``3``, not ``3.0``) as integers.

    A column of integers and empty cells (the counts of a dataset's failed pairs) becomes
    ``Int64`` (the empty cells missing), as the run's ``per_image`` table is; one that mixes
    integers and floats (a one-image run's summary ``value``) becomes ``object``, each cell an
    ``int`` or a ``float``, as the run's summary is; one without integers stays as it is.
    """
    written = written.fillna("")  # a short row's missing cells
    maybe = _whole(values.to_numpy())  # only these can have been written as integers
    integers = pd.Series(False, index=written.index)
    integers[maybe] = written[maybe].str.fullmatch(r"[+-]?\d+").to_numpy(dtype=bool)
    if not integers.any():
        return values
    if (integers | (written == "")).all():
        try:
            return pd.Series(
                [int(cell) if cell else pd.NA for cell in written],
                index=values.index,
                name=values.name,
                dtype="Int64",
            )
        except OverflowError:  # beyond int64: each cell a Python int, as below
            pass
    cells = [
        int(cell) if whole else value
        for cell, whole, value in zip(written, integers, values, strict=True)
    ]
    return pd.Series(cells, index=values.index, name=values.name, dtype=object)


def _whole(values: np.ndarray) -> np.ndarray:
    """Which of the floats ``values`` a cell written as an integer may have been read as: a
    whole number, or infinite (a count too long for a float); not a fraction, nor NaN."""
    with np.errstate(invalid="ignore"):
        return np.isinf(values) | (values == np.floor(values))


def _dataset_inputs(truths: list[str], predictions: list[str]) -> dict[str, str]:
    """Where a dataset's files are: the common folder of each side."""

    def common(paths: list[str]) -> str:
        if not paths:
            return ""
        parents = {str(Path(p).parent) for p in paths}
        return parents.pop() if len(parents) == 1 else f"{len(paths)} files"

    return {"truth": common(truths), "prediction": common(predictions)}


@dataclass
class Comparison:
    """Two runs side by side (see :meth:`Runs.compare`).

    Attributes
    ----------
    a, b
        The runs compared (differences are b − a).
    headline
        One row per headline metric both runs have: ``metric``, ``label``, ``better`` (which
        way is better, from the catalogue: ``higher``, or ``lower`` for a distance such as
        HD95), ``a``, ``b``, ``difference``; for datasets also ``low`` and ``high``, the paired
        bootstrap interval of the difference.
    objects
        One image: :func:`~napari_seg_eval.core.compare.compare_objects` on the shared truth
        (``change``: fixed by B, broken by B, both, neither), of the true objects the runs
        scored (inside their region, off their border band, not their ignore label), matched
        with their criterion; ``iou_a`` / ``iou_b`` 0 where that run has no partner
        (:func:`without_partner_iou`). None for datasets.
    mcnemar
        One image: :func:`~napari_seg_eval.core.compare.mcnemar` of ``objects``.
    per_image
        Datasets: per image, each headline value of A and B and the difference, the largest
        change of the first headline metric first.
    bootstrap
        Datasets: the :func:`~napari_seg_eval.core.compare.paired_bootstrap` table(s).
    notes
        What the reader should know (settings that differ, intervals not computed, how the
        objects were matched; runs that matched them differently: each run's matching and
        which values differ, :func:`matching_note`, and the labels of the headline values
        that are not the same quantity in both end in :data:`MATCHED_DIFFERENTLY`: of runs
        matched by one rule at different thresholds, the means over the thresholds only).
    matching
        One image: how the objects were matched, in the catalogue's words, e.g.
        ``"|T∩P|/|T| > 0.50"`` or ``"IoU ≥ 0.5, within each class"`` (``"A: ...; B: ..."``
        when the runs match differently); empty for datasets.
    """

    a: Run
    b: Run
    headline: pd.DataFrame
    objects: pd.DataFrame | None = None
    mcnemar: pd.Series | None = None
    per_image: pd.DataFrame | None = None
    bootstrap: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    matching: str = ""

    @property
    def changed(self) -> pd.DataFrame:
        """The true objects fixed or broken by B (empty for datasets)."""
        if self.objects is None:
            return pd.DataFrame()
        changed = self.objects["change"].isin(["fixed by B", "broken by B"])
        return self.objects[changed].reset_index(drop=True)


def run_folder_name(name: str) -> str:
    """The name of a run's subfolder in a folder of runs (:meth:`Runs.save`): its name with
    what is not a letter, digit, ``.`` or ``-`` as ``_``, without ``.`` and ``_`` at either
    end ("" if nothing is left), and safe on every system: a name Windows reserves for a
    device (``con``, ``nul``, ``com1``..., :data:`WINDOWS_DEVICE_NAMES`, in any case, alone or
    before a ``.``) gets a ``_`` after it.

    Parameters
    ----------
    name
        The run's name.

    Returns
    -------
    str
        The folder's name.

    Examples
    --------
    >>> run_folder_name("run 1: img2_masks")
    'run_1_img2_masks'
    >>> run_folder_name("nul.tif"), run_folder_name("COM1")
    ('nul_.tif', 'COM1_')
    """
    folder = re.sub(r"[^\w.-]+", "_", name).strip("._")
    device, dot, rest = folder.partition(".")
    if device.casefold() in WINDOWS_DEVICE_NAMES:
        return f"{device}_{dot}{rest}"
    return folder


def folder_name_key(name: str) -> str:
    """``name`` as a disk that does not tell case (Windows, macOS) compares it: two folder
    names with the same key are one folder there.

    Parameters
    ----------
    name
        A file or folder name.

    Returns
    -------
    str
        ``name`` case-folded, its accented letters composed (macOS does not tell composed
        from decomposed ones either).

    Examples
    --------
    >>> folder_name_key("Model_A") == folder_name_key("model_a")
    True
    """
    return unicodedata.normalize("NFC", name).casefold()


class Runs:
    """The runs of a session: add, rename, delete, list side by side, save, load, compare.

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> true = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
    >>> runs = Runs()
    >>> a = runs.add(evaluate(true, np.array([[1, 1, 0, 2, 2, 0, 0, 0]])), name="model A")
    >>> b = runs.add(evaluate(true, np.array([[0, 0, 0, 5, 5, 0, 6, 6]])), name="model B")
    >>> runs.table()["f1_50"].round(3).tolist()
    [0.8, 0.8]
    >>> runs.compare("model A", "model B").objects["change"].tolist()
    ['broken by B', 'both', 'fixed by B']
    """

    def __init__(self) -> None:
        self._runs: list[Run] = []

    def __len__(self) -> int:
        return len(self._runs)

    def __iter__(self) -> Iterator[Run]:
        return iter(list(self._runs))

    def __getitem__(self, key: int | str | Run) -> Run:
        return self._find(key)

    @property
    def names(self) -> list[str]:
        """The runs' names, oldest first."""
        return [run.name for run in self._runs]

    def _find(self, key: int | str | Run) -> Run:
        if isinstance(key, Run):
            if key not in self._runs:
                raise KeyError(f"run {key.name!r} is not in this collection.")
            return key
        if isinstance(key, int | np.integer):
            return self._runs[int(key)]
        for run in self._runs:
            if run.name == key:
                return run
        raise KeyError(f"no run named {key!r}; the runs are {', '.join(map(repr, self.names))}.")

    def _unique(self, name: str) -> str:
        taken = set(self.names)
        if name not in taken:
            return name
        number = 2
        while f"{name} ({number})" in taken:
            number += 1
        return f"{name} ({number})"

    def add(self, item: Evaluation | Any, name: str = "") -> Run:
        """Keep an Evaluation record, a ``FilesResult`` or a :class:`Run` as a run.

        Parameters
        ----------
        item
            What to keep.
        name
            Its name (default: the run's own name, else ``run N: <prediction>``, with
            `` @ <threshold>`` for a prediction made from a probability map, so that runs of
            one map at two thresholds are told apart); made unique with `` (2)``, `` (3)``...

        Returns
        -------
        Run

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> runs = Runs()
        >>> runs.add(evaluate(np.ones((2, 2), int), np.ones((2, 2), int)), name="a").name
        'a'
        """
        if isinstance(item, Run):
            run = item
        elif isinstance(item, Evaluation):
            run = Run.from_evaluation(item)
        elif hasattr(item, "datasets") and hasattr(item, "pairing"):
            run = Run.from_files(item)
        else:
            raise TypeError(
                f"a run is an Evaluation record, a FilesResult or a Run, not {type(item).__name__}."
            )
        default = f"run {len(self._runs) + 1}"
        if run.inputs.get("prediction"):
            default += f": {Path(run.inputs['prediction']).name or run.inputs['prediction']}"
        if run.threshold is not None:
            default += f" @ {run.threshold:g}"
        run.name = self._unique(name.strip() or run.name or default)
        self._runs.append(run)
        return run

    def rename(self, key: int | str | Run, name: str) -> Run:
        """Give a run a new name (not empty, not another run's).

        Examples
        --------
        >>> runs.rename("run 1", "baseline").name  # doctest: +SKIP
        'baseline'
        """
        run = self._find(key)
        name = name.strip()
        if not name:
            raise ValueError("a run's name cannot be empty.")
        if name != run.name and name in self.names:
            raise ValueError(f"there is already a run named {name!r}.")
        run.name = name
        return run

    def delete(self, key: int | str | Run) -> None:
        """Forget a run.

        Examples
        --------
        >>> runs.delete("baseline")  # doctest: +SKIP
        """
        self._runs.remove(self._find(key))

    def memory(self) -> pd.DataFrame:
        """The memory each run's images take (:attr:`Run.images`; runs of unchanged layers
        share them).

        Returns
        -------
        pandas.DataFrame
            One row per run: ``name``, ``bytes`` (its images), ``own`` (those no other run
            holds: what deleting it alone frees, unless something else holds them) and
            ``shared_with`` (the names of the runs that hold some of its images).

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> labels = np.ones((10, 10), np.uint32)
        >>> runs = Runs()
        >>> _ = runs.add(evaluate(labels, labels), name="a")
        >>> _ = runs.add(evaluate(labels, labels + 1), name="b")
        >>> runs.memory()[["name", "bytes", "own"]].to_dict("records")  # labels 400 B, masks 100 B
        [{'name': 'a', 'bytes': 500, 'own': 0}, {'name': 'b', 'bytes': 900, 'own': 400}]

        Run a keeps one label image (truth and prediction are equal) and one foreground mask;
        b shares those, and keeps its own prediction.
        """
        held = {run.name: images_held([run]) for run in self._runs}
        rows = []
        for name, owners in held.items():
            others = {other: set(held[other]) & set(owners) for other in held if other != name}
            shared = set().union(*others.values())
            rows.append(
                {
                    "name": name,
                    "bytes": sum(owner.nbytes for owner in owners.values()),
                    "own": sum(owner.nbytes for key, owner in owners.items() if key not in shared),
                    "shared_with": [other for other, common in others.items() if common],
                }
            )
        return pd.DataFrame(rows, columns=["name", "bytes", "own", "shared_with"])

    def table(self, intervals: bool = False) -> pd.DataFrame:
        """The runs side by side: one row per run, the headline metrics as columns.

        Columns (:data:`RUN_COLUMNS`): ``name``, ``created``, ``kind``, ``threshold`` (the
        probability threshold of a prediction made from a probability map, NaN for labels),
        ``truth``, ``prediction``, ``n_images``, ``role`` (``evaluation``, or ``agreement``
        for two annotations compared: then truth and prediction are annotators A and B),
        ``interval`` (what the intervals resample: ``over objects`` of one image, ``over
        images`` of a dataset, empty without), then every headline metric any run has, in
        catalogue order (:func:`table_column`): a one-image run's value and a dataset run's
        pooled value share the metric's column (``f1_50``: for one image, pooling is the
        image's value); a dataset's image mean is in ``f1_50_image_mean`` beside it, where a
        one-image run has its own value (the mean over one image).

        Parameters
        ----------
        intervals : bool
            Also each value's confidence interval (:attr:`Run.intervals`), as numbers: in
            ``<column>_low`` and ``<column>_high`` right after a column of which some run has
            one (NaN for a run without), as the command line's summary has them.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> Runs().table().columns.tolist()[:5]
        ['name', 'created', 'kind', 'threshold', 'truth']
        >>> from napari_seg_eval.evaluation import evaluate
        >>> runs = Runs()
        >>> run = runs.add(evaluate(np.array([[1, 1, 0, 2]]), np.array([[0.9, 0.6, 0, 0.2]]),
        ...                         threshold=0.5, kind="instance"))
        >>> row = runs.table().iloc[0]
        >>> row["name"], float(row["threshold"]), round(float(row["f1_50"]), 3)
        ('run 1 @ 0.5', 0.5, 0.667)
        >>> runs.table(intervals=True).columns.tolist()[9:12]
        ['mean_accuracy', 'mean_accuracy_low', 'mean_accuracy_high']
        """
        rows = []
        for run in self._runs:
            row = {
                "name": run.name,
                "created": run.created,
                "kind": run.kind,
                "threshold": np.nan if run.threshold is None else run.threshold,
                "truth": run.inputs.get("truth", ""),
                "prediction": run.inputs.get("prediction", ""),
                "n_images": run.n_images,
                "role": "agreement" if run.agreement else "evaluation",
                "interval": f"over {run.interval_over}" if run.interval_over else "",
            }
            values = {table_column(run, key): value for key, value in run.headline.items()}
            rows.append({**row, **values})
        columns = _headline_order(rows)
        for run, row in zip(self._runs, rows, strict=True):
            if run.kind == "image":  # one image is its own image mean (and median)
                for column in columns:
                    base = _aggregate_base(column)
                    if base is not None and base in row:
                        row[column] = row[base]
        if intervals:
            bounded = set()  # the columns of which some run has an interval
            for run, row in zip(self._runs, rows, strict=True):
                for key, (low, high) in run.intervals.iterrows():
                    column = table_column(run, key)
                    row[f"{column}_low"], row[f"{column}_high"] = float(low), float(high)
                    bounded.add(column)
            columns = [
                part
                for column in columns
                for part in (
                    (column, f"{column}_low", f"{column}_high") if column in bounded else (column,)
                )
            ]
        return pd.DataFrame(rows, columns=[*RUN_COLUMNS, *columns])

    def save(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write every run to a subfolder of ``folder`` named after the run
        (:func:`run_folder_name`), replacing nothing saved before.

        A subfolder of that name that holds anything (a run saved before, by another session
        or another run), or a symbolic link of that name (even to an empty folder), is kept,
        and the run is saved as ``<name> (2)``, ``<name> (3)``...:
        :attr:`Run.saved_to` says where. A run saved there before by this run object, or
        loaded from there (its own folder, :meth:`Run.owns`, whatever its name), is updated;
        of runs loaded from the same folder (each added with :meth:`add`: :meth:`load` adds a
        folder's run once), the first is, and the others are saved beside it under new names,
        as any run whose folder name is taken. Folder names
        are compared as a disk that does not tell case does (Windows, macOS), with each other
        and with the entries already in ``folder``: of runs named "Model A" and "model a", the
        second is saved as ``model_a (2)``, and a run named "run1" beside a folder ``Run1``
        as ``run1 (2)``, on every system, so that the folder can be copied to any disk. With
        ``overwrite``, a subfolder of the name that holds another saved run is replaced
        instead (one holding anything else, or a symbolic link, never is).

        The save is one transaction: every run's files are written first into hidden folders
        (nothing visible changes), then all are put in place at once by renames
        (:meth:`Run.save` tells how) listed beforehand in a hidden journal in ``folder``. A
        save that fails or is interrupted (Ctrl-C) renames everything back; one killed while
        renaming is renamed back by the next :meth:`load` or :meth:`save` of ``folder`` (only
        the files it renamed: :meth:`Run.save` tells how). So
        ``folder`` holds either what it held before or every run saved, never some runs new
        and some old: the runs' own folders updated and the saved runs replaced
        (``overwrite``) are put back too, and the subfolders and the parents of ``folder``
        that a failed save made are removed. What the save did not write is never moved or
        removed.

        Parameters
        ----------
        folder
            The folder of the runs (made with its parents).
        overwrite
            Replace the saved runs of the same names.

        Returns
        -------
        Path
            ``folder``.

        Raises
        ------
        FileExistsError
            ``folder`` is a file (nothing is written); or a run's subfolder was saved
            meanwhile by another session (between choosing its name and putting the run in
            place): nothing is saved, and a save again saves beside it.
        OSError
            A run's file could not be written or renamed (nothing changed); or the files
            renamed could not all be renamed back: the error names the hidden folders that
            keep them, which the next load or save renames back.

        Examples
        --------
        >>> runs.save("my-runs")  # doctest: +SKIP
        >>> [run.saved_to.name for run in runs]  # doctest: +SKIP
        ['run_1_model_A (2)']
        """
        from .io.results import make_parents, remove_made

        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(f"{folder} exists and is not a folder: choose another folder.")
        made = make_parents(folder)
        try:
            if not folder.is_dir():
                folder.mkdir()
                made.insert(0, folder)
            _say_left(_recover_saves(folder))
            self._save_into(folder, overwrite=overwrite)
        except BaseException:
            remove_made(made)
            raise
        return folder

    def _save_into(self, folder: Path, *, overwrite: bool) -> None:
        """Save every run to a subfolder of the existing ``folder`` (:meth:`save`): each run's
        files written into a hidden folder, then all put in place at once
        (:func:`_put_in_place`). A failure before leaves nothing: the hidden folders written
        are removed, the subfolders made too."""
        from .io.results import remove_made

        here = Path(os.path.realpath(folder))
        owned: dict[int, str] = {}  # each run's own folder here (saved or loaded before) is its
        used: set[str] = set()  # whatever its name; a folder loaded twice: the first run's only
        for run in self._runs:  # (names as a disk that does not tell case compares them)
            if (
                run.saved_to is not None
                and run.saved_to.parent == here
                and folder_name_key(run.saved_to.name) not in used
                and run.owns(run.saved_to)
            ):
                owned[id(run)] = run.saved_to.name
                used.add(folder_name_key(run.saved_to.name))
        on_disk: dict[str, set[str]] = {}  # the entries of folder, by their key
        for entry in folder.iterdir():
            on_disk.setdefault(folder_name_key(entry.name), set()).add(entry.name)
        staged: list[_Staged] = []
        try:
            for number, run in enumerate(self._runs, 1):
                if id(run) in owned:
                    staged.append(run._stage(folder / owned[id(run)], overwrite=overwrite))
                    continue
                stem = run_folder_name(run.name) or f"run_{number}"
                name, copy = stem, 1
                while (
                    folder_name_key(name) in used
                    or on_disk.get(folder_name_key(name), {name}) != {name}  # another case
                    or (folder / name).is_symlink()  # its journal names folders in folder only
                    or not (
                        _is_free(folder / name) or (overwrite and _holds_run_only(folder / name))
                    )
                ):
                    copy += 1
                    name = f"{stem} ({copy})"
                used.add(folder_name_key(name))
                staged.append(run._stage(folder / name, overwrite=overwrite))
        except BaseException:
            for item in staged:
                item.moves.discard()
                remove_made(item.made)
            raise
        if staged:
            _put_in_place(here, staged)

    def load(self, folder: str | Path) -> list[Run]:
        """Add the runs of ``folder``: one run (a folder with ``settings.json``, e.g. the
        command line's result folder) or every such subfolder (a folder of :meth:`save`).

        A run folder that a run of this collection already is (:meth:`Run.is_saved_in`: it
        saved itself there, or was loaded from there, and the folder holds what it wrote or
        read then) is not added again, and an :class:`AlreadyLoadedWarning` names those
        runs: loading back the runs this session saved adds nothing, and saving again updates
        their folders. A run folder written since (by another session) is added.

        Returns
        -------
        list of Run
            The runs added.

        Raises
        ------
        FileNotFoundError
            If there is no run in ``folder`` (or no such folder), or a run folder lacks a
            table its run needs (see :meth:`Run.load`).
        ValueError
            If a file of a run folder cannot be read as a run's: then no run is added.

        Examples
        --------
        >>> Runs().load("results/run1")  # doctest: +SKIP
        """
        from .io.results import result_target

        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"no run in {folder}: there is no such folder.")
        above = _recover_saves(result_target(folder).parent)  # a save of it killed
        left = _recover_saves(folder)  # a save of its runs killed while renaming
        if (folder / "settings.json").is_file():
            found = [folder]
        else:
            found = sorted(  # not hidden: a save's own folder, left by a save killed
                p
                for p in folder.iterdir()
                if not p.name.startswith(".") and (p / "settings.json").is_file()
            )
        left = {**above, **left}
        said = {path: left.pop(_target_key(path), None) for path in found}  # with its run
        _say_left(left)
        if not found:
            raise FileNotFoundError(
                f"no run in {folder}: neither it nor a subfolder has a settings.json."
            )
        here = {path: self.saved_in(path) for path in found}
        loaded = [Run._read_saying(path, said[path]) for path in found if here[path] is None]
        if any(run is not None for run in here.values()):
            warn(AlreadyLoadedWarning(already_loaded_text(here)))
        return [self.add(run) for run in loaded]

    def saved_in(self, folder: str | Path) -> Run | None:
        """The run of this collection that ``folder`` holds (:meth:`Run.is_saved_in`), or
        None.

        Examples
        --------
        >>> from napari_seg_eval.evaluation import evaluate
        >>> runs = Runs()
        >>> run = runs.add(evaluate(np.ones((2, 2), int), np.ones((2, 2), int)), name="a")
        >>> runs.saved_in("runs/a") is None  # not saved yet
        True
        """
        return next((run for run in self._runs if run.is_saved_in(folder)), None)

    def compare(self, a: int | str | Run, b: int | str | Run) -> Comparison:
        """Run B against run A, on the same truth (one image) or the same images (datasets).

        One image: the headline metrics side by side with b − a; per true object the runs
        scored (as their instance metrics did: inside their region, off their border band, not
        their ignore label), whether each run matched it at 0.5 with its criterion (of a
        multi-class run, only by a prediction of its class, as its per-class counts match;
        ``fixed by B``, ``broken by B``) and McNemar's exact test; ``matching`` and a note say
        how. Runs that score differently (or whose truths' classes differ) list the true
        objects both scored, each matched as its own run matched it (a note says so). A
        multi-class run loaded from a folder without ``object_classes.csv`` (saved before
        they were kept) is matched regardless of class, and a note says so.
        Datasets: the headline metrics with paired bootstrap intervals of b − a (the pooled
        AP (DSB), mean IoU and mean Dice from each image's counts, which a run loaded from a
        folder without ``<kind>_per_image_rows.csv`` lacks: then a note says so), and the
        per-image differences, largest first. Of multi-class runs, the class means too
        (:data:`CLASS_HEADLINE`): over images with the paired bootstrap of each image's class
        mean, pooled with the difference alone (the runs keep no per-class counts of each
        image; a note says so). An image mean the two runs take over different images (an
        image whose value is 0/0 in one run only) gets a note naming those images. The
        headline's ``better`` column says which way each metric is better (``lower`` for a
        distance such as HD95). Runs that matched their objects differently get a note saying
        how each did and which values differ (:func:`matching_note`); the labels of those
        values end in
        :data:`MATCHED_DIFFERENTLY` (:func:`defined_differently`): of runs matched by one
        rule at different thresholds, only the means over the thresholds (AP (DSB)).

        Raises
        ------
        ValueError
            If the runs are of different kinds, do not share a truth (shape or values differ)
            or the same images, or have no metric family in common.

        Examples
        --------
        >>> runs.compare("model A", "model B").mcnemar["fixed"]  # doctest: +SKIP
        1
        """
        run_a, run_b = self._find(a), self._find(b)
        if run_a is run_b:
            raise ValueError("choose two different runs to compare.")
        if run_a.kind != run_b.kind:
            raise ValueError(
                f"run {run_a.name!r} is of {_what(run_a)} and run {run_b.name!r} of "
                f"{_what(run_b)}: compare one-image runs with one-image runs and datasets with "
                "datasets."
            )
        note = matching_note(run_a, run_b)
        notes = _differing_settings(run_a, run_b) + ([note] if note else [])
        if run_a.kind == "image":
            return _compare_images(run_a, run_b, notes)
        return _compare_datasets(run_a, run_b, notes)


class AlreadyLoadedWarning(UserWarning):
    """:meth:`Runs.load` found run folders that runs of the collection already are, and did
    not add them again (the message names them)."""


def already_loaded_text(found: dict[Path, Run | None]) -> str:
    """What :meth:`Runs.load` says of the run folders (``found``: folder -> the run of the
    collection it holds, or None) that it did not add again.

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> run = Runs().add(evaluate(np.ones((2, 2), int), np.ones((2, 2), int)), name="model A")
    >>> already_loaded_text({Path("runs/model_A"): run, Path("runs/b"): None})
    "already in this session: 'model A' (model_A), not loaded again."
    """
    said = [f"{run.name!r} ({path.name})" for path, run in found.items() if run is not None]
    return f"already in this session: {', '.join(said)}, not loaded again."


# -------------------------------------------------------------------------- agreement
def agreement(
    a_labels: Any,
    b_labels: Any,
    *,
    name_a: str = "annotator A",
    name_b: str = "annotator B",
    name: str = "",
    iou_thresholds: Any = DEFAULT_IOU_THRESHOLDS,
    spacing: float | tuple[float, ...] | None = None,
    tolerance: float = 1.0,
    **settings: Any,
) -> Run:
    """Inter-annotator agreement: two annotations compared with the evaluation's metrics.

    Annotation A takes the place of the truth and B of the prediction, but neither is the
    reference: the run is flagged ``agreement`` and shown as "A vs B". Instance F1, accuracy
    (AP (DSB)) and PQ, the foreground IoU and Dice, and the boundary values are symmetric (the
    same with A and B swapped); precision and recall swap; the AJI is not symmetric (see
    :data:`SYMMETRY`, kept as ``tables["symmetry"]``). A model's score is read against it: if
    two annotators agree at F1 0.85, a model at 0.84 is as close to A as B is.

    Parameters
    ----------
    a_labels, b_labels : array_like or str or Path
        Two instance label images of one shape (numpy or chunked), or two folders (or files)
        of annotations paired by name (:func:`~napari_seg_eval.io.evaluate_files`; a dataset
        run, without boundary values).
    name_a, name_b : str
        The annotators' names (layer names in the viewer); folders are named by their paths.
    name : str
        The run's name (default: ``agreement: A vs B``).
    iou_thresholds : sequence of float
        Matching thresholds, as for the instance metrics.
    spacing, tolerance
        Of the boundary metrics (:func:`~napari_seg_eval.boundary_metrics` on the two
        foreground masks): pixel size per axis and the NSD / boundary F1 tolerance.
    **settings
        Other fields of :class:`~napari_seg_eval.evaluation.EvaluationSettings` (e.g.
        ``ignore_label``) or, for folders, keywords of ``evaluate_files``.

    Returns
    -------
    Run
        A run with ``agreement=True``: instance and foreground metrics (and, for one image,
        boundary values, ``tables["boundary"]``) and the bootstrap over objects.

    Raises
    ------
    TypeError
        If one side is a folder and the other an image.
    ValueError
        For images that do not fit (shapes, dtypes) or bad settings.

    Examples
    --------
    >>> a = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
    >>> b = np.array([[4, 4, 0, 5, 5, 0, 0, 0]])  # B drew two of A's three objects
    >>> run = agreement(a, b, iou_thresholds=[0.5])
    >>> run.agreement, run.name, round(float(run.headline["f1_50"]), 3)
    (True, 'agreement: annotator A vs annotator B', 0.8)
    >>> run.tables["symmetry"].set_index("metric").loc["precision_50", "symmetry"]
    'swaps with recall_50'
    """
    folders = [isinstance(side, str | Path) for side in (a_labels, b_labels)]
    if any(folders) and not all(folders):
        raise TypeError(
            "agreement compares two label images or two folders of annotations, not one of each."
        )
    if all(folders):
        from .io import evaluate_files

        result = evaluate_files(
            a_labels, b_labels, kind="all", iou_thresholds=list(iou_thresholds), **settings
        )
        run = Run.from_files(result)
        name_a, name_b = run.inputs["truth"], run.inputs["prediction"]
    else:
        record = evaluate(
            a_labels,
            b_labels,
            kind="both",
            iou_thresholds=tuple(iou_thresholds),
            truth_name=name_a,
            prediction_name=name_b,
            **settings,
        )
        run = Run.from_evaluation(record)
        foreground = [in_memory(record.truth) != 0, in_memory(record.prediction) != 0]
        boundary = boundary_metrics(*foreground, spacing=spacing, tolerance=tolerance)
        rows = pd.DataFrame(
            {
                "evaluation": "boundary",
                "metric": list(boundary.summary.index),
                "value": list(counts_as_integers(boundary.summary)),
            }
        )
        run.tables["summary"] = pd.concat([run.tables["summary"], rows], ignore_index=True)
        run.tables["boundary"] = boundary.per_class
        run.settings["boundary"] = {"spacing": _plain(spacing), "tolerance": tolerance}
    run.agreement = True
    run.name = name or f"agreement: {name_a} vs {name_b}"
    run.tables["symmetry"] = _symmetry_table(run)
    return run


def _symmetry_table(run: Run) -> pd.DataFrame:
    """The run's headline values (and precision, recall at 0.5) and whether each is the same
    with the annotators swapped."""
    values = run.headline.to_dict()
    if run.kind == "image":
        summary = run.tables["summary"].set_index("metric")["value"]
        for key in ("precision_50", "recall_50"):
            if key in summary.index:
                values[key] = float(summary[key])
    keys = list(values)
    bases = [re.sub(r"_(pooled|image_mean)$", "", key) for key in keys]
    return pd.DataFrame(
        {
            "metric": keys,
            "label": [_label(run, key) for key in keys],
            "value": [values[key] for key in keys],
            "symmetry": [SYMMETRY.get(base, "") for base in bases],
        }
    )


# -------------------------------------------------------------------------- comparing
def _what(run: Run) -> str:
    return "one image" if run.kind == "image" else f"a dataset of {run.n_images} images"


def table_column(run: Run, key: str) -> str:
    """The column of :meth:`Runs.table` that holds headline value ``key`` of ``run``: the key,
    or for a dataset's pooled value (``f1_50_pooled``) the metric's own column (``f1_50``),
    which a one-image run's value shares.

    Parameters
    ----------
    run : Run
        The run the value is of.
    key : str
        A key of :attr:`Run.headline` (or of :attr:`Run.intervals`).

    Returns
    -------
    str
        The column's name.

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> run = Run.from_evaluation(evaluate(np.ones((2, 2), int), np.ones((2, 2), int)))
    >>> table_column(run, "f1_50")
    'f1_50'
    >>> run.kind = "dataset"
    >>> table_column(run, "f1_50_pooled"), table_column(run, "f1_50_image_mean")
    ('f1_50', 'f1_50_image_mean')
    """
    return key.removesuffix("_pooled") if run.kind == "dataset" else key


def family_headline(kind: str) -> list[str]:
    """The headline keys of a metric family in a run: the catalogue's
    (:func:`~napari_seg_eval.core.catalogue.headline_keys`), and for instance metrics the class
    means after them (:data:`CLASS_HEADLINE`), which only a run with classes has.

    Parameters
    ----------
    kind : {"instance", "semantic"}
        The metric family.

    Returns
    -------
    list of str

    Examples
    --------
    >>> family_headline("instance")[-2:]
    ['class_mean_accuracy', 'class_mean_panoptic_quality_50']
    >>> family_headline("semantic")
    ['mean_iou', 'mean_dice', 'pixel_accuracy']
    """
    keys = catalogue.headline_keys(kind)
    return [*keys, *CLASS_HEADLINE] if kind == "instance" else keys


def _aggregate_base(column: str) -> str | None:
    """The metric of an image mean (or median) column, None for another column."""
    for suffix in IMAGE_AGGREGATES:
        if column.endswith(suffix):
            return column.removesuffix(suffix)
    return None


def _headline_order(rows: list[dict[str, Any]]) -> list[str]:
    """The headline columns of the runs' ``rows``: the challenges' numbers (COCO AP, a
    preset's headline) first, in the order the runs give them, then the families' values in
    catalogue order, each with its image mean beside it."""
    keys = [
        base + suffix
        for kind in ("instance", "semantic", "boundary")
        for base in (BOUNDARY_HEADLINE if kind == "boundary" else family_headline(kind))
        for suffix in ("", "_image_mean")
    ]
    present = {key: None for row in rows for key in row if key not in RUN_COLUMNS}
    return [key for key in present if key not in keys] + [key for key in keys if key in present]


def _metric(run: Run, key: str) -> catalogue.Metric | None:
    """The catalogue entry of headline value ``key`` of ``run``, in the words of the run's
    matching (:attr:`Run.matching`)."""
    matching = run.matching
    if run.kind == "dataset":
        return catalogue.metric("dataset.summary", key, matching)
    for kind in ("instance", "semantic", "boundary", "coco"):
        entry = catalogue.metric(f"{kind}.summary", key, matching)
        if entry is not None:
            return entry
    return None


def _label(run: Run, key: str) -> str:
    entry = _metric(run, key)
    return key if entry is None else entry.label


def over_thresholds(key: str) -> bool:
    """Whether headline value ``key`` (or a runs table's column) is a mean over the matching's
    thresholds, as AP (DSB) is (of a dataset, pooled or over images): runs matched at other
    thresholds average other sets, and its values are not the same quantity.

    Parameters
    ----------
    key : str
        A key of :attr:`Run.headline` (``mean_accuracy``, ``mean_accuracy_pooled``...) or a
        column of :meth:`Runs.table`.

    Returns
    -------
    bool

    Examples
    --------
    >>> over_thresholds("mean_accuracy_image_mean"), over_thresholds("f1_50")
    (True, False)
    """
    entry = catalogue.metric("dataset.summary", key)  # in the catalogue's own words
    return entry is not None and _OVER_THRESHOLDS in entry.formula


def other_thresholds(a: catalogue.Matching, b: catalogue.Matching) -> bool:
    """Whether two matchings are at different sets of thresholds (in any order).

    Parameters
    ----------
    a, b : Matching
        Two runs' matchings (:attr:`Run.matching`).

    Returns
    -------
    bool

    Examples
    --------
    >>> from napari_seg_eval.core.catalogue import Matching
    >>> other_thresholds(Matching("iou", (0.5, 0.75)), Matching("iou", (0.75, 0.5)))
    False
    >>> other_thresholds(Matching("iou", (0.5, 0.75)), Matching("iot", (0.5,)))
    True
    """
    return set(a.thresholds) != set(b.thresholds)


def defined_differently(a: Run, b: Run, key: str) -> bool:
    """Whether headline value ``key`` is not the same quantity in runs ``a`` and ``b``: the
    catalogue words it differently for each (another criterion, one threshold against
    several), or it is a mean over thresholds (:func:`over_thresholds`) and the runs matched
    at different ones. A value at one threshold (F1 @ 0.5) matched by the same rule is the
    same quantity whatever thresholds the runs averaged over.

    Parameters
    ----------
    a, b : Run
        The runs compared.
    key : str
        A headline key both runs have.

    Returns
    -------
    bool
        True for the values :meth:`Runs.compare` marks :data:`MATCHED_DIFFERENTLY`.

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> truth = np.array([[1, 1, 0, 2]])
    >>> a = Run.from_evaluation(evaluate(truth, truth))  # IoU at 0.5, 0.55, ..., 0.95
    >>> b = Run.from_evaluation(evaluate(truth, truth, iou_thresholds=(0.5, 0.75)))
    >>> defined_differently(a, b, "mean_accuracy"), defined_differently(a, b, "f1_50")
    (True, False)
    """
    entry_a, entry_b = _metric(a, key), _metric(b, key)
    if entry_a is None or entry_b is None:
        return False
    return entry_a != entry_b or (over_thresholds(key) and other_thresholds(a.matching, b.matching))


def _label_of_both(a: Run, b: Run, key: str) -> str:
    """The label of headline value ``key`` of runs ``a`` and ``b``: in their words, or, when
    it is not the same quantity in both (:func:`defined_differently`), both runs' labels
    (the same one once) and :data:`MATCHED_DIFFERENTLY`."""
    if not defined_differently(a, b, key):
        return _label(a, key) if _metric(a, key) is not None else _label(b, key)
    label_a, label_b = _label(a, key), _label(b, key)
    if label_a == label_b:
        return label_a + MATCHED_DIFFERENTLY
    return f"{label_a} (A) / {label_b} (B){MATCHED_DIFFERENTLY}"


def matching_words(matching: catalogue.Matching, *, exact: bool = False) -> str:
    """How objects are matched, in the catalogue's words: the rule at the one threshold, or
    the rule at each of several (more than three evenly spaced ones as the first two, "…"
    and the last).

    Parameters
    ----------
    matching : Matching
        A run's matching (:attr:`Run.matching`).
    exact : bool
        Each threshold in full (``0.6000000000000001``, as ``np.arange`` makes it), none left
        out: to tell apart thresholds the short words give alike.

    Returns
    -------
    str
        The words.

    Examples
    --------
    >>> from napari_seg_eval.core.catalogue import Matching
    >>> matching_words(Matching("iot", (0.5,)))
    '|T∩P|/|T| > 0.50'
    >>> matching_words(Matching("iou", (0.5, 0.6, 0.7, 0.8, 0.9)))
    'IoU ≥ t at t = 0.5, 0.6, …, 0.9'
    >>> matching_words(Matching("iou", (0.5, 0.6, 0.75, 0.9)))  # not evenly spaced: each
    'IoU ≥ t at t = 0.5, 0.6, 0.75, 0.9'
    >>> matching_words(Matching("iou", (0.5, 0.1 * 6)), exact=True)
    'IoU ≥ t at t = 0.5, 0.6000000000000001'
    """
    thresholds = [repr(float(t)) if exact else f"{t:g}" for t in matching.thresholds]
    if len(thresholds) == 1 and not exact:
        return match_rule(matching.criterion, matching.thresholds[0])
    steps = np.diff(matching.thresholds)
    # "…" says: the same steps.
    if len(thresholds) > 3 and not exact and np.allclose(steps, steps[0]):
        thresholds = [*thresholds[:2], "…", thresholds[-1]]
    return f"{matching.rewrite(_AT_T)} at t = {', '.join(thresholds)}"


def matching_note(a: Run, b: Run) -> str:
    """What the reader of runs with instance metrics matched differently should know: each
    run's matching, which headline values are not the same quantity in both (marked
    :data:`MATCHED_DIFFERENTLY`, :func:`defined_differently`) and which are. Of runs matched
    by the same rule at different thresholds, only the means over the thresholds differ.
    "" when the runs match alike (or one has no instance metrics).

    Parameters
    ----------
    a, b : Run
        The runs compared.

    Returns
    -------
    str
        The note (one sentence).

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> truth = np.array([[1, 1, 0, 2]])
    >>> a = Run.from_evaluation(evaluate(truth, truth, kind="instance"))
    >>> b = Run.from_evaluation(evaluate(truth, truth, kind="instance", iou_thresholds=(0.5, 0.75)))
    >>> print(matching_note(a, b))  # doctest: +NORMALIZE_WHITESPACE
    A and B matched their objects at different thresholds (A: IoU ≥ t at t = 0.5, 0.55, …,
    0.95; B: IoU ≥ t at t = 0.5, 0.75): the means over the thresholds, marked [matched
    differently] (AP (DSB), mean over IoU thresholds), average different thresholds in A and
    B, so they are not the same quantity and a difference between them is partly the
    thresholds'; the other instance values (F1 @ 0.5; PQ @ 0.5; AJI) do not depend on the
    thresholds: they are defined alike in A and B.
    """
    by_rule = a.matching.criterion == b.matching.criterion
    if (by_rule and not other_thresholds(a.matching, b.matching)) or not (
        "instance" in a.metric_kinds and "instance" in b.metric_kinds
    ):
        return ""
    keys = [key for key in a.headline.index if key in b.headline.index]
    marked = [key for key in keys if defined_differently(a, b, key)]
    alike = [key for key in keys if key not in marked and _of_family(key, "instance")]
    mark = MATCHED_DIFFERENTLY.strip()
    if by_rule:
        head = "at different thresholds"
        parts = [
            f"the means over the thresholds, marked {mark} ({_names(a, b, marked)}), average "
            "different thresholds in A and B, so they are not the same quantity and a "
            "difference between them is partly the thresholds'"
        ]
        rest = "the thresholds"
    else:
        head = "differently"
        parts = [
            f"the values that depend on the matching, marked {mark} ({_names(a, b, marked)}), "
            "are not the same quantity, and a difference between them is partly the matching's"
        ]
        rest = "it"
    if alike:
        parts.append(
            f"the other instance values ({_names(a, b, alike)}) do not depend on {rest}: they "
            "are defined alike in A and B"
        )
    words = matching_words(a.matching), matching_words(b.matching)
    if words[0] == words[1]:  # thresholds apart below the words' digits (np.arange's)
        words = matching_words(a.matching, exact=True), matching_words(b.matching, exact=True)
    said = "; ".join(parts)
    return f"A and B matched their objects {head} (A: {words[0]}; B: {words[1]}): {said}."


def _names(a: Run, b: Run, keys: list[str]) -> str:
    """Headline values named in a note, "x; y; z": each metric once (a dataset's pooled value
    and image mean alike), in the words of the run matched at more thresholds (A's if
    neither): "mean over IoU thresholds", not "mean over 1 threshold"."""
    run = b if len(b.matching.thresholds) > len(a.matching.thresholds) else a
    return "; ".join(_label(run, base) for base in dict.fromkeys(map(_base_key, keys)))


def _differing_settings(a: Run, b: Run) -> list[str]:
    """Notes naming the settings that differ (other than the layer names, and the suffixes
    and prefixes that name the files: two models' outputs are named differently)."""
    names = {
        "truth_name",
        "prediction_name",
        "confidence_name",
        "truth_suffix",
        "prediction_suffix",
        "truth_prefix",
        "prediction_prefix",
        "truth_classes_suffix",
        "prediction_classes_suffix",
        "with_classes",  # written before 0.2.0; the class suffixes say it
    }
    flat_a = _with_defaults(a.settings.get("settings", a.settings))
    flat_b = _with_defaults(b.settings.get("settings", b.settings))
    differ = sorted(
        key
        for key in set(flat_a) | set(flat_b)
        if key not in names and flat_a.get(key) != flat_b.get(key)
    )
    if not differ:
        return []
    return [f"the runs differ in {', '.join(differ)}: the differences include their effect."]


def _with_defaults(settings: dict) -> dict:
    """``settings`` with the fields a run saved before they existed at their defaults (a
    folder written before ``background_channel`` does not differ from one without it)."""
    from .io.evaluate import FileSettings

    defaults = {
        item.name: item.default
        for item in dataclasses.fields(FileSettings)
        if item.default is not dataclasses.MISSING
    }
    threshold_options = settings.get("threshold_options")
    if isinstance(threshold_options, dict):
        known = dataclasses.asdict(ThresholdOptions())
        settings = {**settings, "threshold_options": {**known, **threshold_options}}
    return {**defaults, **settings}


def _headline_table(a: Run, b: Run) -> pd.DataFrame:
    head_a, head_b = a.headline, b.headline
    keys = [key for key in head_a.index if key in head_b.index]
    entries = [_metric(a, key) for key in keys]
    frame = pd.DataFrame(
        {
            "metric": keys,
            "label": [_label_of_both(a, b, key) for key in keys],
            "better": ["" if entry is None else entry.better for entry in entries],
            "a": head_a[keys].to_numpy(float),
            "b": head_b[keys].to_numpy(float),
        }
    )
    frame["difference"] = frame["b"] - frame["a"]
    return frame


def _compare_images(a: Run, b: Run, notes: list[str]) -> Comparison:
    for run in (a, b):
        if not {"truth", "prediction"} <= set(run.labels):
            raise ValueError(
                f"run {run.name!r} has no label images (it was loaded from a folder without "
                "labels.npz): its objects cannot be compared."
            )
    truth_a, truth_b = a.labels["truth"], b.labels["truth"]
    if truth_a.shape != truth_b.shape:
        raise ValueError(
            f"runs {a.name!r} and {b.name!r} do not share a truth: its shape is "
            f"{truth_a.shape} in one and {truth_b.shape} in the other."
        )
    if truth_a is truth_b:  # one kept copy (runs of an unchanged truth share it)
        differ = 0
    elif is_lazy(truth_a) or is_lazy(truth_b):  # chunk by chunk
        differ = int(compute((as_dask(truth_a) != as_dask(truth_b)).sum())[0])
    else:
        differ = int(np.count_nonzero(truth_a != truth_b))
    if differ:
        raise ValueError(
            f"runs {a.name!r} and {b.name!r} do not share a truth: their truths differ at "
            f"{differ} pixels (compare two predictions against one truth)."
        )
    (scoring_a, classes_a), (scoring_b, classes_b) = _scoring(a, notes), _scoring(b, notes)
    differ = [key for key in scoring_a if not _same(scoring_a[key], scoring_b[key])]
    if not differ:
        objects = compare_objects(
            truth_a,
            a.labels["prediction"],
            b.labels["prediction"],
            iou_threshold=COMPARE_IOU,
            pred_a_classes=classes_a,
            pred_b_classes=classes_b,
            **scoring_a,
        )
    else:  # each run's objects as it scored them; the true objects both scored
        scorings = ((scoring_a, classes_a), (scoring_b, classes_b))
        objects = _objects_scored_by_both(truth_a, (a, b), scorings)
        notes.append(
            f"the runs differ in {', '.join(_SCORING_WORDS.get(key, key) for key in differ)}: "
            "the per-object comparison lists the true objects both runs scored, each matched "
            "as its own run matched it."
        )
    objects = without_partner_iou(objects)
    matching = [_object_matching(scoring) for scoring in (scoring_a, scoring_b)]
    matching_text = matching[0] if matching[0] == matching[1] else "A: {}; B: {}".format(*matching)
    notes.insert(0, f"objects fixed or broken: matched at {matching_text}.")
    return Comparison(
        a,
        b,
        _headline_table(a, b),
        objects=objects,
        mcnemar=mcnemar(objects),
        notes=notes,
        matching=matching_text,
    )


def without_partner_iou(objects: pd.DataFrame) -> pd.DataFrame:
    """The per-object comparison with IoU 0 where a run has no partner (``partner_a`` or
    ``partner_b`` 0: it did not match the object), as the Review table gives an object with no
    partner IoU 0; :func:`~napari_seg_eval.core.compare.compare_objects` leaves it NaN.

    Parameters
    ----------
    objects : pandas.DataFrame
        Its columns ``partner_a``, ``partner_b``, ``iou_a`` and ``iou_b`` (others are kept).

    Returns
    -------
    pandas.DataFrame
        A copy, ``iou_a`` and ``iou_b`` 0 in the rows without that run's partner.

    Examples
    --------
    >>> objects = pd.DataFrame(
    ...     {"partner_a": [3, 0], "partner_b": [0, 4], "iou_a": [0.75, np.nan],
    ...      "iou_b": [np.nan, 0.5]}
    ... )
    >>> without_partner_iou(objects)[["iou_a", "iou_b"]].values.tolist()
    [[0.75, 0.0], [0.0, 0.5]]
    """
    objects = objects.copy()
    for side in "ab":
        alone = objects[f"partner_{side}"].to_numpy() == 0
        objects.loc[alone, f"iou_{side}"] = 0.0
    return objects


def _object_matching(scoring: dict[str, Any]) -> str:
    """How a run's objects are compared, in the catalogue's words (as its instance metrics at
    0.5 say it: "IoU ≥ 0.5", "|T∩P|/|T| > 0.50"): its criterion at :data:`COMPARE_IOU`, and
    within each class with classes."""
    text = catalogue.Matching(scoring["criterion"]).rewrite(_AT_COMPARE).removeprefix("at ")
    return text + (", within each class" if scoring["true_classes"] is not None else "")


def object_class_table(result: InstanceResult) -> pd.DataFrame:
    """The class of each object a multi-class instance result scored: :data:`OBJECT_CLASSES`.

    Parameters
    ----------
    result : InstanceResult
        A result with classes (``true_class`` and ``pred_class``).

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` ("true", then "pred"), ``label`` (ids ascending) and ``class``.

    Examples
    --------
    >>> from napari_seg_eval import instance_metrics
    >>> result = instance_metrics(
    ...     np.array([[1, 1, 0]]), np.array([[0, 7, 7]]), true_classes={1: 2}, pred_classes={7: 1}
    ... )
    >>> object_class_table(result).values.tolist()
    [['true', 1, 2], ['pred', 7, 1]]
    """
    pairs = result.pairs
    return pd.concat(
        [
            pd.DataFrame({"kind": kind, "label": ids, "class": classes})
            for kind, ids, classes in (
                ("true", pairs.true_ids, result.true_class),
                ("pred", pairs.pred_ids, result.pred_class),
            )
        ],
        ignore_index=True,
    )


def _scoring(run: Run, notes: list[str]) -> tuple[dict[str, Any], pd.Series | None]:
    """The settings of a one-image run that decide which objects it scored and how it matched
    them: the keywords of :func:`~napari_seg_eval.core.compare.compare_objects` but its
    predictions' classes, and the classes of the run's predicted objects (None without). A run
    whose region or classes are not at hand (loaded from a folder saved before they were
    kept) gets a note."""
    settings = run.settings
    region = run.labels.get("region")
    if region is None and settings.get("region_name"):
        notes.append(
            f"run {run.name!r} was scored inside region {settings['region_name']!r}, which its "
            "folder does not hold (saved before regions were kept): the per-object comparison "
            "counts its objects outside the region too."
        )
    true_classes, pred_classes = _object_classes(run, notes)
    preset = PRESETS.get(settings.get("preset") or "")
    background = None if preset is None or true_classes is None else preset.background_class
    scoring = {
        "criterion": settings.get("criterion") or "iou",
        "ignore_label": settings.get("ignore_label"),
        "region": region,
        "exclude_border": int(settings.get("exclude_border") or 0),
        "true_classes": true_classes,
        "background_class": background,
    }
    return scoring, pred_classes


def _object_classes(run: Run, notes: list[str]) -> tuple[pd.Series | None, pd.Series | None]:
    """The classes of a one-image run's true and predicted objects (id -> class), from its
    :data:`OBJECT_CLASSES` table; None without one. A run scored with classes whose folder
    does not hold them (saved before they were kept) gets a note: it is compared regardless
    of class."""
    table = run.tables.get(OBJECT_CLASSES, pd.DataFrame())
    if not {"kind", "label", "class"} <= set(table.columns):
        per_class = run.tables.get("instance_per_class", pd.DataFrame())
        if run.settings.get("true_classes_name") or not per_class.empty:
            notes.append(
                f"run {run.name!r} was scored with object classes, which its folder does not "
                f"hold (saved before they were kept, without {OBJECT_CLASSES}.csv): the "
                "per-object comparison matches its objects regardless of class."
            )
        return None, None
    sides = [table[table["kind"] == kind] for kind in ("true", "pred")]
    true, pred = (
        pd.Series(rows["class"].to_numpy(np.int64), index=rows["label"].to_numpy(np.int64))
        for rows in sides
    )
    return true, pred


def _same(value_a: Any, value_b: Any) -> bool:
    """Whether two settings of :func:`_scoring` are the same (regions: pixel by pixel; object
    classes: id by id)."""
    if value_a is None or value_b is None or value_a is value_b:
        return value_a is value_b
    if isinstance(value_a, pd.Series):
        return np.array_equal(value_a.index, value_b.index) and np.array_equal(value_a, value_b)
    if np.isscalar(value_a) or np.isscalar(value_b):
        return value_a == value_b
    if value_a.shape != value_b.shape:
        return False
    if is_lazy(value_a) or is_lazy(value_b):  # chunk by chunk
        return not bool(compute((as_dask(value_a) != as_dask(value_b)).any())[0])
    return bool(np.array_equal(value_a, value_b))


def _objects_scored_by_both(
    truth: Any,
    runs: tuple[Run, Run],
    scorings: tuple[tuple[dict[str, Any], pd.Series | None], ...],
) -> pd.DataFrame:
    """:func:`~napari_seg_eval.core.compare.compare_objects` of runs scored differently: each
    run's prediction matched with its own settings (and classes), the true objects both runs
    scored; ``class`` when both runs give each of them the same class."""
    sides = [
        compare_objects(
            truth,
            run.labels["prediction"],
            run.labels["prediction"],
            iou_threshold=COMPARE_IOU,
            pred_a_classes=classes,
            pred_b_classes=classes,
            **scoring,
        )
        for run, (scoring, classes) in zip(runs, scorings, strict=True)
    ]
    own = ["matched", "partner", "iou"]
    halves = [  # each run's columns (A's of the first table, B's of the second) and its classes
        side.rename(columns={"class": f"class_{name}"}).filter(
            ["label", f"class_{name}", *(f"{column}_{name}" for column in own)]
        )
        for side, name in zip(sides, "ab", strict=True)
    ]
    frame = halves[0].merge(halves[1], on="label")
    columns = [f"{column}_{name}" for column in own for name in "ab"]
    if "class_a" in frame and "class_b" in frame and frame["class_a"].equals(frame["class_b"]):
        frame["class"] = frame["class_a"]
        columns.insert(0, "class")
    frame = frame[["label", *columns]].reset_index(drop=True)
    frame["change"] = object_changes(frame["matched_a"], frame["matched_b"])
    return frame


def _compare_datasets(a: Run, b: Run, notes: list[str]) -> Comparison:
    rows_a, rows_b = a.image_rows(), b.image_rows()
    names_a = rows_a["name"].astype(str).tolist() if "name" in rows_a else []
    names_b = rows_b["name"].astype(str).tolist() if "name" in rows_b else []
    if sorted(names_a) != sorted(names_b) or len(set(names_a)) != len(names_a):
        only_a = sorted(set(names_a) - set(names_b))
        only_b = sorted(set(names_b) - set(names_a))
        raise ValueError(
            f"runs {a.name!r} and {b.name!r} do not cover the same images: only in A: "
            f"{', '.join(only_a[:5]) or 'none'}; only in B: {', '.join(only_b[:5]) or 'none'} "
            "(failed pairs are left out)."
        )
    order = [names_b.index(name) for name in names_a]  # B's rows in A's image order
    rows_b = rows_b.iloc[order].reset_index(drop=True)
    if "truth" in rows_a and "truth" in rows_b:
        differ = [
            name
            for name, ta, tb in zip(names_a, rows_a["truth"], rows_b["truth"], strict=True)
            if Path(str(ta)).resolve() != Path(str(tb)).resolve()
        ]
        if differ:
            raise ValueError(
                f"runs {a.name!r} and {b.name!r} do not share a truth: image "
                f"{differ[0]!r} has truth {rows_a['truth'][names_a.index(differ[0])]} in A and "
                f"{rows_b['truth'][names_a.index(differ[0])]} in B."
            )
    kinds = [kind for kind in a.metric_kinds if kind in b.metric_kinds]
    if not kinds:
        raise ValueError(f"runs {a.name!r} and {b.name!r} have no metric family in common.")
    settings_a = _with_defaults(a.settings.get("settings", a.settings))
    settings_b = _with_defaults(b.settings.get("settings", b.settings))
    same_scoring = all(settings_a.get(key) == settings_b.get(key) for key in DATASET_SCORING)
    if (  # runs that score the truth differently count different objects in it (a note says)
        "instance" in kinds
        and same_scoring
        and all(c in rows_a and c in rows_b for c in _INSTANCE_COUNTS[:1])
    ):
        true_a, true_b = rows_a["n_true"].to_numpy(float), rows_b["n_true"].to_numpy(float)
        if not np.array_equal(true_a, true_b):
            first = names_a[int(np.flatnonzero(true_a != true_b)[0])]
            raise ValueError(
                f"runs {a.name!r} and {b.name!r} do not share a truth: image {first!r} has a "
                "different number of true objects in each."
            )
    tables = []
    without_rows: dict[str, list[str]] = {}  # run name -> values left without an interval
    for kind in kinds:
        dataset_a, dataset_b = a.dataset(kind), b.dataset(kind)
        if order != list(range(len(order))):
            dataset_b = _reordered(dataset_b, order)
        for run, dataset in ((a, dataset_a), (b, dataset_b)):
            if dataset.per_image_rows is None:
                keys = [f"{key}_pooled" for key in POOLED_FROM_ROWS[kind]]
                without_rows.setdefault(run.name, []).extend(keys)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables.append(paired_bootstrap(dataset_a, dataset_b).assign(family=kind))
        notes += [  # a missing table is said once, below, in the user's words
            f"{kind}: {warning.message}"
            for warning in caught
            if issubclass(warning.category, RuntimeWarning)
            and not str(warning.message).startswith("no interval for")
        ]
    if without_rows:
        keys = list(dict.fromkeys(key for values in without_rows.values() for key in values))
        names = " and ".join(repr(name) for name in without_rows)
        who = f"runs {names} hold" if len(without_rows) > 1 else f"run {names} holds"
        files = " / ".join(f"{ROWS_TABLES[kind]}.csv" for kind in kinds)
        notes.append(
            f"no interval for {', '.join(_label_of_both(a, b, key) for key in keys)}: {who} no "
            "per-image counts to resample them from (loaded from a folder without "
            f"{files}; runs evaluated in this session have them, and keep them when saved "
            "from the Runs tab)."
        )
    if "instance" in kinds:
        classes, pooled = _class_bootstrap(a, b, rows_a, rows_b)
        if not classes.empty:
            tables.append(classes.assign(family="instance"))
        if pooled:
            notes.append(
                f"no interval for {', '.join(_label_of_both(a, b, key) for key in pooled)}: "
                "a pooled class mean needs each image's counts per class, which the runs do not "
                "keep (the difference alone); the class means over images have intervals."
            )
    bootstrap = pd.concat(tables, ignore_index=True)
    headline = _headline_table(a, b).merge(
        bootstrap[["metric", "low", "high"]], on="metric", how="left"
    )
    outside = [key for key in headline["metric"] if key not in set(bootstrap["metric"])]
    if outside:  # a preset's own values (SEG, DET, COCO AP, medians): said, not left blank
        notes.append(
            f"no interval for {', '.join(_label_of_both(a, b, key) for key in outside)}: the "
            "paired bootstrap covers the pooled and image-mean values of the instance and "
            "semantic metrics only."
        )
    per_image = _per_image_differences(rows_a, rows_b, kinds)
    notes += _image_mean_notes(a, b, rows_a, rows_b, list(headline["metric"]))
    notes.append(
        f"intervals: paired percentile bootstrap over the {len(names_a)} images "
        f"({bootstrap.attrs.get('n_resamples', 2000)} resamples, seed 0)."
    )
    return Comparison(a, b, headline, per_image=per_image, bootstrap=bootstrap, notes=notes)


def _class_bootstrap(
    a: Run, b: Run, rows_a: pd.DataFrame, rows_b: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """The paired bootstrap rows (as :func:`~napari_seg_eval.core.compare.paired_bootstrap`'s)
    of the class means both runs have (:data:`CLASS_HEADLINE`): over images from each image's
    class mean (``rows_a`` and ``rows_b``, the per-image rows in one image order), resampled
    as ``paired_bootstrap`` resamples (2000 resamples, seed 0; no interval from fewer than 2
    images where the value is defined); pooled, the difference alone (a pooled class mean
    needs each image's counts per class). Also the pooled keys left without an interval."""
    head_a, head_b = a.headline, b.headline
    rows, pooled = [], []
    weights = None
    for base in CLASS_HEADLINE:
        for suffix in ("_pooled", "_image_mean"):
            key = base + suffix
            if key not in head_a.index or key not in head_b.index:
                continue
            low = high = np.nan
            if suffix == "_pooled":
                pooled.append(key)
            elif base in rows_a and base in rows_b:
                values = [
                    pd.to_numeric(rows[base], errors="coerce").to_numpy(float)
                    for rows in (rows_a, rows_b)
                ]
                if min(int(np.isfinite(v).sum()) for v in values) >= 2:
                    if weights is None:
                        weights = bootstrap_weights(len(rows_a))
                    resampled = _resampled_mean(weights, values[1]) - _resampled_mean(
                        weights, values[0]
                    )
                    resampled = resampled[np.isfinite(resampled)]
                    if resampled.size:
                        low, high = (float(v) for v in np.percentile(resampled, [2.5, 97.5]))
            value_a, value_b = float(head_a[key]), float(head_b[key])
            rows.append(
                {
                    "metric": key,
                    "a": value_a,
                    "b": value_b,
                    "difference": value_b - value_a,
                    "low": low,
                    "high": high,
                }
            )
    table = pd.DataFrame(rows, columns=["metric", "a", "b", "difference", "low", "high"])
    return table, pooled


def _resampled_mean(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per resample (a row of ``weights``), the mean of ``values`` over the images drawn where
    they are defined (NaN: left out, as an image mean leaves them out); NaN where none is."""
    defined = np.isfinite(values)
    sums = weights @ np.where(defined, values, 0.0)
    counts = weights @ defined.astype(float)
    return np.divide(sums, counts, out=np.full(len(sums), np.nan), where=counts > 0)


def _image_mean_notes(
    a: Run, b: Run, rows_a: pd.DataFrame, rows_b: pd.DataFrame, keys: list[str]
) -> list[str]:
    """Notes on the headline image means (``keys`` ending ``_image_mean``) that the two runs
    take over different images: an image whose value is undefined (0/0: e.g. no object on
    either side) in one run only is left out of that run's mean alone. Each note names the
    images and how many each mean is over; the keys of one set of such images share a note."""
    if "name" not in rows_a:
        return []
    names = rows_a["name"].astype(str).to_numpy()
    groups: dict[tuple, list[str]] = {}
    for key in keys:
        base = key.removesuffix("_image_mean")
        if base == key or base not in rows_a or base not in rows_b:
            continue
        defined_a = np.isfinite(pd.to_numeric(rows_a[base], errors="coerce").to_numpy(float))
        defined_b = np.isfinite(pd.to_numeric(rows_b[base], errors="coerce").to_numpy(float))
        out_of_a = tuple(names[defined_b & ~defined_a])  # left out of A's mean alone
        out_of_b = tuple(names[defined_a & ~defined_b])
        if out_of_a or out_of_b:
            counts = (int(defined_a.sum()), int(defined_b.sum()))
            groups.setdefault((out_of_a, out_of_b, counts), []).append(key)

    def listed(images: tuple[str, ...]) -> str:
        shown = ", ".join(images[:5])
        return shown + (f" and {len(images) - 5} more" if len(images) > 5 else "")

    notes = []
    for (out_of_a, out_of_b, (n_a, n_b)), group in groups.items():
        why = [
            f"{listed(images)} undefined in {run} only (left out of {run}'s mean)"
            for run, images in (("A", out_of_a), ("B", out_of_b))
            if images
        ]
        notes.append(
            f"{', '.join(_label_of_both(a, b, key) for key in group)}: A's mean is over {n_a} "
            f"images and B's over {n_b}: {'; '.join(why)}. An image's value is undefined when "
            "it is 0/0 (e.g. no object on either side)."
        )
    return notes


def _reordered(dataset: DatasetResult, order: list[int]) -> DatasetResult:
    """The dataset with its images in ``order`` (image ``order[i]`` becomes image i), its
    per-image rows too."""
    per_image = dataset.per_image.iloc[order].reset_index(drop=True)
    per_image["image"] = np.arange(len(per_image))
    rows = dataset.per_image_rows
    if rows is not None:
        position = np.empty(len(order), int)
        position[order] = np.arange(len(order))
        rows = rows.assign(image=position[rows["image"].to_numpy(int)])
        rows = rows.sort_values("image", kind="stable").reset_index(drop=True)
    return dataclasses.replace(dataset, per_image=per_image, per_image_rows=rows)


def _per_image_differences(
    rows_a: pd.DataFrame, rows_b: pd.DataFrame, kinds: list[str]
) -> pd.DataFrame:
    keys = [
        key
        for key in [
            *(k for kind in kinds for k in family_headline(kind)),
            *BOUNDARY_HEADLINE,
        ]
        if key in rows_a and key in rows_b
    ]
    frame = pd.DataFrame({"name": rows_a["name"].astype(str)})
    for key in keys:
        value_a = pd.to_numeric(rows_a[key], errors="coerce").to_numpy(float)
        value_b = pd.to_numeric(rows_b[key], errors="coerce").to_numpy(float)
        frame[f"{key}_a"], frame[f"{key}_b"] = value_a, value_b
        frame[f"{key}_difference"] = value_b - value_a
    if keys:
        size = frame[f"{keys[0]}_difference"].abs()
        frame = frame.iloc[np.argsort(-size.fillna(-1).to_numpy(), kind="stable")]
    return frame.reset_index(drop=True)
