"""The Confidence analysis section: threshold sweep, curves, calibration, best threshold.

Its slots report errors as napari notifications (see
:func:`~napari_seg_eval._qt.threshold_panel.notifying`), in the dock's words.
"""

from __future__ import annotations

import math
import os
import uuid
import weakref
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
from napari.layers import Image, Labels, Layer
from napari.viewer import Viewer
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .._jobs import Job, notify_error, notify_warning
from .._napari.history import history_moved
from .._napari.layers import put_image, result_layer, truth_rank
from .._napari.probability import level0, probability_data
from ..core._deprecation import renamed_keywords
from ..core.blocks import BLOCK_PIXELS, as_dask, in_memory, is_lazy
from ..core.confidence import (
    ThresholdSweepResult,
    instance_threshold_sweep,
    score_recalibrations,
    sweep_and_calibration,
)
from ..core.semantic import IGNORE_LIKE_VALUES
from ..core.threshold import label_instances
from ..evaluation import RunControl
from .evaluate_panel import _EDIT_EVENTS, edit_reason, region_mask
from .layer_combo import LayerComboBox
from .plot import ThemedPlot
from .tables import STALE_STYLE, _reason
from .threshold_panel import (
    data_ndim,
    dock_error,
    notify_dock_error,
    notifying,
    say_once,
    split_refusal,
)

#: "Best by" choices computed on objects: label of the choice -> column of the object sweep.
OBJECT_METRICS = {
    "objects: F1 @ IoU 0.5": "f1_50",
    "objects: AP (DSB)": "mean_accuracy",
    "objects: PQ @ IoU 0.5": "panoptic_quality_50",
}
PIXEL_METRICS = ("iou", "dice", "precision", "recall", "accuracy")
#: How the summary and the plot's legend write a pixel metric.
PIXEL_LABELS = {"iou": "IoU", "dice": "Dice"}
#: Probability thresholds of the object sweep: instance_threshold_sweep's default.
OBJECT_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


#: Recalibrations the panel fits: key (as in ``calibration(method=...)``) -> label.
CALIBRATIONS = {"temperature": "temperature", "platt": "Platt"}


def analyse(
    true,
    prob,
    metric: str,
    methods: tuple[str, ...] = (),
    objects: dict | None = None,
    *,
    class_id: int | None = None,
    channel_axis: int | None = None,
    background_channel: bool = False,
    ignore_label: int | None = None,
    region: Any = None,
    control: RunControl | None = None,
) -> Generator[tuple[float, str], None, dict]:
    """The work of one Run, off the main thread: sweep, calibration, calibrated maps, objects.

    A generator: it yields (fraction done, what next) between steps, so the run reports
    progress and stops at the next step when cancelled. The pixel sweep and the calibration
    come from one pass (:func:`~napari_seg_eval.core.confidence.sweep_and_calibration`) over
    the map as it is: a chunked map is read chunk by chunk, never whole. ``methods`` are the
    recalibrations to fit (keys of :data:`CALIBRATIONS`), from that pass's histogram of
    logits: each gives a calibrated map and its reliability bins, all from one more pass
    (:func:`~napari_seg_eval.core.confidence.score_recalibrations`), which writes a numpy
    map's calibrated maps as it scores them. With ``objects`` (the instance options of
    :func:`instance_threshold_sweep`), the map and the truth are then read whole (once) and
    the object metrics swept, one probability threshold per step.

    With ``channel_axis``, the results say ``truth_id_beyond_classes``: the truth's highest
    id when two or more of its ids are above the map's top class (object ids, not classes;
    None otherwise: see :func:`instance_ids_above`), and ``truth_ignore_like``: its highest
    id when that one alone is above the classes and looks like an unannotated value (255:
    see :func:`ignore_value_above`).

    With ``ignore_label`` (a truth id) and ``region`` (a boolean mask of the truth's shape,
    numpy or chunked), the truth's pixels of that id and the pixels where the region is False
    are left out of every pass and of the object sweep (:func:`kept_pixels`, made here, off
    the main thread), as Evaluate leaves them out with its Ignore label and Region.

    With ``channel_axis``, class ``class_id`` is analysed one vs rest: its channel
    (``class_id - 1``, or ``class_id`` when channel 0 is background: ``background_channel``)
    against the truth's pixels ``== class_id``; its objects are the connected components of
    those pixels.

    With ``control`` (a :class:`~napari_seg_eval.evaluation.RunControl`), the passes report
    their progress per chunk (or block of pixels, :func:`watched_pass`), and a cancelled run
    also stops within them: before each chunk or block of the pixel passes (each pass with
    its own stretch of the bar) and each threshold of the object sweep.
    """
    region = kept_pixels(true, ignore_label, region)
    channel = top_class = None
    if channel_axis is not None:  # the class's channel (a view; lazy for dask)
        n_channels = int(prob.shape[channel_axis])
        channel = class_id if background_channel else class_id - 1
        top_class = n_channels - 1 if background_channel else n_channels
        prob = np.moveaxis(prob, channel_axis, 0)[channel]
    # Chunked inputs stay chunked for the pixel passes: read chunk by chunk, on dask's
    # threads, with progress per chunk. Only the object sweep reads them whole. Each pass has
    # its own stretch of the progress bar: the sweep and calibration (and the fits, from its
    # histogram of logits), then one pass for every recalibration (the maps written in it).
    passes = 1 + bool(methods)
    steps = passes + (1 + len(OBJECT_THRESHOLDS) if objects is not None else 0)
    what = "pixel sweep and calibration" + (" fits" if methods else "")
    yield (0.0, what)
    # Platt's summary holds temperature scaling's numbers too: one call fits both.
    method = "platt" if "platt" in methods else "temperature" if methods else None
    with watched_pass(control, 0.0, 1 / steps, what, prob) as check:
        pixels = sweep_and_calibration(
            true,
            prob,
            metric=metric,
            method=method,
            class_id=class_id,
            region=region,
            check=check,
            score_fits=False,
        )
    results = {
        "sweep": pixels.sweep,
        "calibration": pixels.calibration,
        "class_id": class_id,
        "channel_axis": channel_axis,
        "channel": channel,
        # The truth's highest id when it looks like object ids, not class numbers (see
        # instance_ids_above and instance_truth_notice; None otherwise).
        "truth_id_beyond_classes": (
            instance_ids_above(pixels.truth_span, pixels.truth_below_highest, top_class)
            if top_class is not None
            else None
        ),
        # The truth's one value above the map's classes that looks unannotated (255; see
        # ignore_value_above and ignore_value_notice; None otherwise).
        "truth_ignore_like": (
            ignore_value_above(pixels.truth_span, pixels.truth_below_highest, top_class)
            if top_class is not None
            else None
        ),
        "top_class": top_class,
    }
    results["calibrated"] = {}
    if methods:
        labels = " and ".join(CALIBRATIONS[key] for key in methods)
        what = f"{labels}-calibrated map" + ("s" if len(methods) > 1 else "")
        yield (1 / steps, what)
        with watched_pass(control, 1 / steps, 2 / steps, what, prob) as check:
            scored = score_recalibrations(
                true,
                prob,
                pixels.calibration,
                class_id=class_id,
                region=region,
                maps=methods,
                check=check,
            )
        results["calibration"] = scored.calibration
        summary = scored.calibration.summary
        for key in methods:
            names = ("temperature",) if key == "temperature" else ("platt_slope", "platt_intercept")
            results["calibrated"][key] = {
                "data": scored.maps[key],
                "parameters": {name: float(summary[name]) for name in names},
                "bins": scored.bins[key],
            }
    results["calibration_methods"] = calibration_table(results["calibration"].summary, methods)
    check = control.check if control is not None else None
    if objects is not None:
        start = passes
        what = "reading the map for the object sweep"
        yield (start / steps, what)
        with watched_pass(control, start / steps, (start + 1) / steps, what, prob):
            true, prob = in_memory(true), in_memory(prob)  # lazy ones read whole, once
            if region is not None:
                region = in_memory(region)
        if class_id is not None:  # the class's objects, one vs rest
            true = label_instances(true == class_id, connectivity=objects["connectivity"])
        # Without a true object every F1 (AP, PQ) is 0 or undefined: no threshold is best.
        results["true_objects"] = bool(np.any(true))
        rows = []
        start += 1
        for i, threshold in enumerate(OBJECT_THRESHOLDS):
            yield ((start + i) / steps, f"objects at threshold {threshold:.2f}")
            rows.append(
                instance_threshold_sweep(
                    true, prob, thresholds=[threshold], region=region, check=check, **objects
                )
            )
        results["objects"] = pd.concat(rows, ignore_index=True).drop(columns="best")
    return results


@contextmanager
def watched_pass(
    control: RunControl | None, start: float, end: float, message: str, prob
) -> Iterator[Callable[[], None] | None]:
    """The ``check`` to give the passes over ``prob`` within the block, reporting their
    progress from ``start`` to ``end``: per chunk for a chunked map (the dask tasks, through
    :meth:`RunControl.chunks`), per block of :data:`BLOCK_PIXELS` pixels for a numpy one
    (reported by the check, called before each block). Both stop a cancelled run within one
    chunk or block. None without a ``control`` (a run with ``wait=True``).

    Never ``yield`` inside the block (see :meth:`RunControl.chunks`).

    Examples
    --------
    >>> reports = []
    >>> with watched_pass(RunControl(reports.append), 0.0, 0.5, "sweep", np.zeros(4)) as check:
    ...     check()
    >>> reports
    [(0.5, 'sweep')]
    """
    if control is None:
        yield None
        return
    if is_lazy(prob):
        with control.chunks(start, end, message):
            yield control.check
        return
    # A numpy pass folds flat blocks of BLOCK_PIXELS pixels (or slabs of whole rows).
    shape = np.shape(prob)
    row = math.prod(shape[1:]) if len(shape) > 1 else 1
    blocks = max(1, math.ceil(math.prod(shape) / BLOCK_PIXELS))
    if len(shape) > 1 and not np.asarray(prob).flags.c_contiguous:
        blocks = max(1, math.ceil(shape[0] / max(1, BLOCK_PIXELS // max(1, row))))
    done = 0

    def check() -> None:
        nonlocal done
        control.check()
        done += 1
        # A second pass within one block would stay at the end: the bar never goes back.
        control.report((start + (end - start) * min(done, blocks) / blocks, message))

    yield check


def instance_ids_above(
    truth_span: tuple[int, int] | None, below_highest: int | None, top_class: int
) -> int | None:
    """The truth's highest id when the truth of a class analysis looks like object (instance)
    ids, not classes: at least two distinct ids above the map's top class. None otherwise.

    One id above the classes is not enough: a class image with an ignore value (classes 0..3
    and 255) has one, and so has a class image whose top class a map with "Channel 0 is
    background" ticked by mistake lacks (classes 0..3 against channels read as 0..2); object
    ids above the classes are many. The rule costs nothing: the two highest ids come from the
    analysis's one pass (:func:`~napari_seg_eval.core.confidence.sweep_and_calibration`).
    It misses object ids that all lie within the classes (ids 1..2 against 3 classes): telling
    those from classes needs each id's connected components, a labelling of the whole truth.

    Parameters
    ----------
    truth_span : tuple of int or None
        The lowest and the highest truth id counted (None without a pixel).
    below_highest : int or None
        The highest truth id below the highest (None when every pixel holds one id).
    top_class : int
        The map's top class (n for n channels; n - 1 when channel 0 is background).

    Returns
    -------
    int or None

    Examples
    --------
    >>> instance_ids_above((0, 12), 11, 2)  # object ids 1..12 against classes 1..2
    12
    >>> instance_ids_above((0, 255), 3, 3) is None  # classes 0..3 and an ignore value 255
    True
    """
    if truth_span is None or below_highest is None or below_highest <= top_class:
        return None
    return truth_span[1]


def instance_truth_notice(truth: str, highest_id: int, top_class: int, class_id: int) -> str:
    """What the summary says first when the ground truth of a class analysis holds ids above
    the map's top class: object (instance) ids, not class numbers, and what to do instead.

    Parameters
    ----------
    truth : str
        The ground truth layer's name.
    highest_id : int
        The truth's highest id (above ``top_class``).
    top_class : int
        The map's top class along its class axis (n for n channels; n - 1 when channel 0 is
        background).
    class_id : int
        The class analysed.

    Examples
    --------
    >>> print(instance_truth_notice("nuclei", 12, 2, 1))  # doctest: +NORMALIZE_WHITESPACE
    The ground truth 'nuclei' looks like object (instance) ids, not classes: its ids go up to
    12, and the map's classes are 1..2. Class 1 is compared with the pixels whose id is 1, so
    these numbers are not the class's. Choose a class image (one class number per pixel) as the
    ground truth, or analyse the foreground: a one-channel probability map (no class axis in
    the header) against these objects.
    """
    return (
        f"The ground truth {truth!r} looks like object (instance) ids, not classes: its ids "
        f"go up to {highest_id}, and the map's classes are 1..{top_class}. Class {class_id} is "
        f"compared with the pixels whose id is {class_id}, so these numbers are not the "
        "class's. Choose a class image (one class number per pixel) as the ground truth, or "
        "analyse the foreground: a one-channel probability map (no class axis in the header) "
        "against these objects."
    )


def ignore_value_above(
    truth_span: tuple[int, int] | None, below_highest: int | None, top_class: int
) -> int | None:
    """The truth's highest id when the truth of a class analysis looks like a class image
    with pixels left unannotated: that id alone is above the map's top class, it is one of
    :data:`~napari_seg_eval.core.semantic.IGNORE_LIKE_VALUES` (255, 65535), and the truth has
    at least two other ids (a mask of 0 and 255 is a binary mask written for viewing). The
    rule of :func:`~napari_seg_eval.core.semantic.ignore_value_suspected`, read from the ids
    the analysis's one pass counted (no overlap table is made: no prediction is compared).
    None otherwise.

    Parameters
    ----------
    truth_span : tuple of int or None
        The lowest and the highest truth id counted (None without a pixel).
    below_highest : int or None
        The highest truth id below the highest (None when every pixel holds one id).
    top_class : int
        The map's top class (n for n channels; n - 1 when channel 0 is background).

    Returns
    -------
    int or None

    Examples
    --------
    >>> ignore_value_above((0, 255), 2, 3)  # classes 0..2 and 255 against classes 1..3
    255
    >>> ignore_value_above((0, 255), 254, 3) is None  # object ids 1..255: many above
    True
    >>> ignore_value_above((0, 255), 0, 3) is None  # a mask written as 0 and 255
    True
    """
    if truth_span is None or below_highest is None:
        return None
    lowest, highest = truth_span
    if highest not in IGNORE_LIKE_VALUES or highest <= top_class or below_highest > top_class:
        return None
    return highest if lowest < below_highest else None


def ignore_value_notice(truth: str, value: int, top_class: int, class_id: int) -> str:
    """What the summary says first when the ground truth of a class analysis holds a value
    that looks like pixels left unannotated (:func:`ignore_value_above`) and the Evaluate
    tab's Ignore label is none: they are counted as negatives, and how to leave them out.

    Parameters
    ----------
    truth : str
        The ground truth layer's name.
    value : int
        The truth's value above the map's classes (255).
    top_class : int
        The map's top class.
    class_id : int
        The class analysed.

    Examples
    --------
    >>> print(ignore_value_notice("classes", 255, 3, 1))  # doctest: +NORMALIZE_WHITESPACE
    The ground truth 'classes' has pixels of value 255, above the map's classes (up to 3):
    they are counted as negatives of class 1, which lowers its AP and changes its calibration.
    If 255 marks pixels left unannotated, set Ignore label to 255 in the Evaluate tab's
    Options and analyse again: the analysis leaves out the pixels Evaluate leaves out.
    """
    return (
        f"The ground truth {truth!r} has pixels of value {value}, above the map's classes (up "
        f"to {top_class}): they are counted as negatives of class {class_id}, which lowers its "
        f"AP and changes its calibration. If {value} marks pixels left unannotated, set Ignore "
        f"label to {value} in the Evaluate tab's Options and analyse again: the analysis leaves "
        "out the pixels Evaluate leaves out."
    )


def kept_pixels(truth: Any, ignore_label: int | None, region: Any = None) -> Any:
    """The pixels an analysis counts, as Evaluate counts them: not of the truth's
    ``ignore_label``, and inside ``region``; None when every pixel counts. Lazy when the
    truth or the region is (the truth is then read again only as each block is counted).

    Parameters
    ----------
    truth : array_like of int
        The ground truth (numpy or chunked).
    ignore_label : int or None
        The truth's id left out (Evaluate's Ignore label), if any.
    region : array_like of bool, optional
        A mask of the truth's shape (Evaluate's Region), if any.

    Returns
    -------
    numpy.ndarray or dask.array.Array or None
        A boolean mask of the truth's shape.

    Examples
    --------
    >>> kept_pixels(np.array([[0, 1, 255]]), 255).tolist()
    [[True, True, False]]
    >>> kept_pixels(np.array([[0, 1, 255]]), None) is None
    True
    """
    if ignore_label is None:
        return region
    kept = (as_dask(truth) if is_lazy(truth) else np.asarray(truth)) != ignore_label
    return kept if region is None else kept & region


def left_out_text(ignore_label: int | None, region_name: str | None) -> str:
    """How the summary says which pixels the analysis left out as Evaluate does ("" for none).

    Examples
    --------
    >>> left_out_text(255, None)
    'ignoring truth value 255, as in Evaluate'
    >>> left_out_text(255, "tissue")
    "ignoring truth value 255 and counting only inside the region 'tissue', as in Evaluate"
    """
    said = []
    if ignore_label is not None:
        said.append(f"ignoring truth value {ignore_label}")
    if region_name is not None:
        said.append(f"counting only inside the region {region_name!r}")
    return f"{' and '.join(said)}, as in Evaluate" if said else ""


def class_spin_tip(*, background_channel: bool) -> str:
    """The Class box's tooltip: which channel holds which class.

    Examples
    --------
    >>> class_spin_tip(background_channel=True).split("; ")[0].split(": ")[1]
    'channel k holds class k (channel 0 is background, no class)'
    """
    numbering = (
        "channel k holds class k (channel 0 is background, no class)"
        if background_channel
        else "channel k holds class k + 1"
    )
    return (
        f"With a channel axis in the header, one class is analysed against the rest: "
        f"{numbering}; the ground truth's pixels equal to the class are the positives, all "
        "others the negatives, and its objects are the connected components of those pixels"
    )


def calibration_table(summary: pd.Series, methods: tuple[str, ...]) -> pd.DataFrame:
    """One row per map: uncalibrated, then each fitted method, with its parameters, ECE and NLL.

    ``summary`` is :func:`calibration`'s, fitted with ``method="platt"`` when ``methods``
    holds ``"platt"`` (its summary has temperature scaling's numbers beside Platt's), else
    with ``"temperature"`` (or None when ``methods`` is empty).

    Examples
    --------
    >>> summary = pd.Series({"ece": 0.2, "nll": 0.6, "temperature": 2.0,
    ...                      "ece_calibrated": 0.05, "nll_calibrated": 0.4})
    >>> calibration_table(summary, ("temperature",))[["method", "temperature", "ece"]]
             method  temperature   ece
    0  uncalibrated          NaN  0.20
    1   temperature          2.0  0.05
    """
    rows = [{"method": "uncalibrated", "ece": summary["ece"], "nll": summary["nll"]}]
    if "temperature" in methods:
        scores = "temperature" if "platt" in methods else "calibrated"
        rows.append(
            {
                "method": CALIBRATIONS["temperature"],
                "temperature": summary["temperature"],
                "ece": summary[f"ece_{scores}"],
                "nll": summary[f"nll_{scores}"],
            }
        )
    if "platt" in methods:
        rows.append(
            {
                "method": CALIBRATIONS["platt"],
                "platt_slope": summary["platt_slope"],
                "platt_intercept": summary["platt_intercept"],
                "ece": summary["ece_calibrated"],
                "nll": summary["nll_calibrated"],
            }
        )
    columns = ["method", "temperature", "platt_slope", "platt_intercept", "ece", "nll"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    numbers = columns[1:]
    table[numbers] = table[numbers].astype(float)
    return table


def calibration_html(table: pd.DataFrame) -> str:
    """:func:`calibration_table` as a small rich-text table; the lowest ECE and NLL in bold."""

    def number(value: float, best: float) -> str:
        text = "—" if np.isnan(value) else f"{value:.3f}"
        return f"<b>{text}</b>" if value == best and len(table) > 1 else text

    def fit(row: pd.Series) -> str:
        if not np.isnan(row["temperature"]):
            return f"T = {row['temperature']:.3f}"
        if not np.isnan(row["platt_slope"]):
            return f"a = {row['platt_slope']:.3f}, b = {row['platt_intercept']:+.3f}"
        return ""

    best_ece, best_nll = table["ece"].min(), table["nll"].min()
    cell = '<td style="padding: 0 10px 0 0;">'
    lines = [f"<tr>{cell}</td>{cell}<i>ECE</i></td>{cell}<i>NLL</i></td>{cell}<i>fit</i></td></tr>"]
    for _, row in table.iterrows():
        lines.append(
            f"<tr>{cell}{row['method']}</td>"
            f"{cell}{number(row['ece'], best_ece)}</td>"
            f"{cell}{number(row['nll'], best_nll)}</td>"
            f"{cell}{fit(row)}</td></tr>"
        )
    return "<table>" + "".join(lines) + "</table>"


def semantic_overlap(sweep: ThresholdSweepResult) -> str:
    """The overlap measures of a class at the pixel sweep's best threshold other than the
    one it was chosen by, as the summary adds them after its best value: the Dice of a
    sweep by IoU, the IoU of one by Dice, both of one by precision, recall or accuracy.

    Parameters
    ----------
    sweep : ThresholdSweepResult
        A pixel sweep (:func:`~napari_seg_eval.threshold_sweep`): ``per_threshold`` holds
        ``iou`` and ``dice`` at each threshold, ``summary`` its metric and best threshold.

    Returns
    -------
    str
        The words to add, e.g. ``" (Dice 0.800)"``; ``""`` when no threshold is best (the
        sweep's best threshold is NaN: the class has no pixel in the truth, or its metric is
        undefined at every threshold, e.g. precision of a map never above any threshold).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import threshold_sweep
    >>> truth = np.array([[1, 1, 0, 0, 0]])  # best from 0.1: 2 found, 1 false (IoU 2/3)
    >>> semantic_overlap(threshold_sweep(truth, np.array([[0.9, 0.4, 0.6, 0.1, 0.1]])))
    ' (Dice 0.800)'
    """
    summary, table = sweep.summary, sweep.per_threshold
    rows = table[table["threshold"] == summary["best_threshold"]]  # none when it is NaN
    if rows.empty:
        return ""
    row = rows.iloc[0]
    others = [key for key in ("iou", "dice") if key != summary["metric"]]
    return " (" + ", ".join(f"{PIXEL_LABELS[key]} {row[key]:.3f}" for key in others) + ")"


def best_object_threshold(table: pd.DataFrame, column: str) -> float:
    """The threshold of the row with the highest ``column`` (the lowest threshold on ties, NaN
    rows skipped), as :func:`instance_threshold_sweep` marks its ``best`` row."""
    values = table[column].astype(float)
    return float("nan") if values.isna().all() else float(table["threshold"][values.idxmax()])


#: Line colour and marker of each calibrated map in the reliability diagram.
CALIBRATION_STYLES = {
    "temperature": {"color": "tab:orange", "marker": "o"},
    "platt": {"color": "tab:purple", "marker": "s"},
}


def _legend_below(axes) -> None:
    """A legend under the axes (below the x label), not over the curves."""
    axes.legend(
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        frameon=False,
        handlelength=1.5,
        borderaxespad=0.0,
    )


#: The Threshold tab's labelling options an object metric's analysis used, as the stale
#: reason names them.
LABELLING_NAMES = {
    "connectivity": "connectivity",
    "min_size": "minimum size",
    "split_touching": "split touching objects",
    "split_depth": "split depth",
}


def _pixel_size(spacing: tuple[float, ...] | None) -> str:
    """A map's pixel size as the stale reason says it: its size per axis, or 1 pixel."""
    if spacing is None:
        return "1 per axis"
    return " × ".join(f"{size:g}" for size in spacing)


def _said(value: object) -> str:
    """A labelling option's value as the stale reason says it: a switch on or off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


class ConfidencePanel(QWidget):
    """Choose a threshold with evidence, and see whether the probabilities can be trusted."""

    def __init__(self, viewer: Viewer, owner, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner  # the dock widget: its probability layer and threshold slider
        self.results: dict = {}
        #: What the shown results were computed on: the probability layer and ground truth
        #: (weak references) and their names then; empty before the first analysis.
        self._analysed: dict = {}
        #: Why the last Analyse failed ("" when it did not, or a later one succeeded).
        self._failed = ""
        #: The name of the probability layer of the run going on (for its failure's words).
        self._running = ""
        #: Our calibrated map of each method (key of CALIBRATIONS), from the last analysis.
        self.calibrated_layers: dict[str, Image] = {}
        #: The layers the shown results read (weak references) and those the run going on
        #: reads; their edits make those results out of date (:meth:`_watch`).
        self._shown_layers: tuple[weakref.ref, ...] = ()
        self._run_layers: tuple[weakref.ref, ...] = ()
        self._watched: list[tuple[Layer, str, Callable]] = []  # (layer, event, callback)
        #: Why the shown results no longer match a layer they read ("" when they do), and
        #: the first edit of a layer the run going on reads (None: none yet).
        self._edited = ""
        self._run_edited: str | None = None
        #: "Best by" follows what the Evaluate tab evaluates until it is chosen (by hand or
        #: by a script); True while the panel itself sets it.
        self._metric_follows_kind = True
        self._following_kind = False
        self.job = Job(self, on_progress=self._on_progress, on_error=self._on_failed)
        self.job.finished.connect(self._on_finished)

        # Never the plugin's own results (the threshold preview) unless chosen by hand.
        self.truth_combo = LayerComboBox(
            viewer, (Labels,), self, prefer=truth_rank, fall_back=False
        )
        self.metric_combo = QComboBox(self)
        self.metric_combo.addItems([*PIXEL_METRICS, *OBJECT_METRICS])
        # Objects by default (unless Evaluate evaluates semantic: _follow_kind): for nuclei
        # and cells the pixel IoU's best threshold merges touching objects (docs/widget.md,
        # Confidence analysis).
        self.metric_combo.setCurrentText(next(iter(OBJECT_METRICS)))
        self.metric_combo.setToolTip(
            "The score that picks the best threshold: the threshold where it is highest. "
            "Pixel metrics come from one pass; object metrics label and match the map at each "
            "threshold 0.05..0.95 with the Threshold tab's connectivity, minimum size and split. "
            "Until you choose, it follows the Evaluate tab: pixel IoU when it evaluates "
            "semantic, objects' F1 otherwise"
        )
        self.metric_combo.currentIndexChanged.connect(self._on_metric_chosen)
        self.class_label = QLabel("Class", self)
        self.class_spin = QSpinBox(self)
        self.class_spin.setRange(1, 1)
        self.class_spin.setPrefix("class ")
        self.class_spin.setSuffix(" vs rest")
        self.class_spin.setToolTip(class_spin_tip(background_channel=False))
        # Two boxes, not a combo: none, either or both, and both is the comparison.
        self.temperature_check = QCheckBox("temperature", self)
        self.temperature_check.setToolTip(
            "Temperature scaling: p′ = sigmoid(logit(p) / T), one parameter T fitted by maximum "
            "likelihood. Adds the map as '<layer> calibrated (temperature)'."
        )
        self.platt_check = QCheckBox("Platt", self)
        self.platt_check.setToolTip(
            "Platt scaling: p′ = sigmoid(a · logit(p) + b), slope a and intercept b fitted by "
            "maximum likelihood with Platt's target smoothing (scikit-learn's sigmoid "
            "calibration). Adds the map as '<layer> calibrated (Platt)'."
        )
        self.run_button = QPushButton("Analyse", self)
        self.run_button.setToolTip(
            "Compare the probability map with the ground truth at every threshold: how the "
            "scores change with it, which threshold is best, and how trustworthy the "
            "probabilities are"
        )
        self.run_button.clicked.connect(notifying(lambda *_: self.run()))
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(notifying(lambda *_: self.cancel()))
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        self.use_calibrated_buttons: dict[str, QPushButton] = {}
        for key, label in CALIBRATIONS.items():
            button = QPushButton(f"Use {label} map", self)
            button.setToolTip(
                f"Make the {label}-calibrated map the probability layer (thresholding, "
                "colouring, analysis)"
            )
            button.hide()  # shown once the map exists
            button.clicked.connect(notifying(lambda *_, key=key: self.use_calibrated_map(key)))
            self.use_calibrated_buttons[key] = button
        note = QLabel(
            "Choose the threshold on data that is not used to report the result (e.g. a "
            "validation image), or the reported scores are optimistic.",
            self,
        )
        note.setWordWrap(True)
        self.best_button = QPushButton("Use best threshold", self)
        self.best_button.setToolTip(
            "Move the header's threshold to the one where the 'Best by' score was highest"
        )
        self.best_button.setEnabled(False)
        self.best_button.clicked.connect(notifying(lambda *_: self.use_best_threshold()))
        self.summary_label = QLabel("Pick the ground truth and press Analyse.", self)
        self.summary_label.setWordWrap(True)
        #: "Out of date: …" in orange, as in the Evaluate tab, when the results shown are not
        #: of the current choices (:attr:`stale`).
        self.stale_label = QLabel(self)
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet(STALE_STYLE)
        self.stale_label.hide()
        self.calibration_label = QLabel(self)
        self.calibration_label.setTextFormat(Qt.TextFormat.RichText)
        self.calibration_label.setToolTip(
            "Expected calibration error (15 bins) and negative log-likelihood of the map before "
            "and after each fit; the lowest in bold. The fit and the scores use the same pixels, "
            "so the calibrated numbers are optimistic: to score on other images, fit with "
            "nse.fit_platt / fit_temperature and measure apply_platt / apply_temperature there."
        )
        self.calibration_label.hide()
        self.plot = ThemedPlot(viewer, self, height=4.4, grid=(2, 2))
        png_button = QPushButton("Save plots (PNG)…", self)
        png_button.clicked.connect(notifying(lambda *_: self.export_png()))
        csv_button = QPushButton("Export data (CSV)…", self)
        csv_button.clicked.connect(notifying(lambda *_: self.export_csv()))

        form = QFormLayout()
        form.addRow("Ground truth", self.truth_combo)
        form.addRow(self.class_label, self.class_spin)
        form.addRow("Best by", self.metric_combo)
        calibrate = QHBoxLayout()
        calibrate.addWidget(self.temperature_check)
        calibrate.addWidget(self.platt_check)
        calibrate.addStretch(1)
        form.addRow("Calibrate", calibrate)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.best_button)
        exports = QHBoxLayout()
        exports.addWidget(png_button)
        exports.addWidget(csv_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(note)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.calibration_label)
        layout.addWidget(self.stale_label)  # just above the plots it is about
        use_calibrated = QHBoxLayout()
        for button in self.use_calibrated_buttons.values():
            use_calibrated.addWidget(button)
        layout.addLayout(use_calibrated)
        layout.addWidget(self.plot, stretch=1)
        layout.addLayout(exports)
        owner.threshold_slider.valueChanged.connect(notifying(lambda *_: self._draw()))
        owner.channel_axis_combo.currentIndexChanged.connect(self._on_class_axis)
        owner.background_check.toggled.connect(self._on_class_axis)
        # The header rebuilds its channel axes after a new probability layer: look then (a
        # method of the panel: Qt drops the call if the panel is gone by then).
        owner.probability_combo.currentIndexChanged.connect(
            lambda *_: QTimer.singleShot(0, self._on_class_axis)
        )
        owner.probability_combo.currentIndexChanged.connect(notifying(lambda *_: self._refresh()))
        self.truth_combo.currentIndexChanged.connect(notifying(lambda *_: self._refresh()))
        self.class_spin.valueChanged.connect(notifying(lambda *_: self._refresh()))
        labelling = owner.threshold_panel  # the objects of an object metric are labelled so
        for signal in (
            labelling.connectivity_spin.valueChanged,
            labelling.min_size_spin.valueChanged,
            labelling.split_check.toggled,
            labelling.split_depth_spin.valueChanged,
        ):
            signal.connect(notifying(lambda *_: self._refresh()))
        # The pixels left out and the kind evaluated: the Evaluate tab's (read, never set).
        evaluate = owner.evaluate
        evaluate.kind_combo.currentTextChanged.connect(self._follow_kind)
        evaluate.ignore_spin.valueChanged.connect(notifying(lambda *_: self._refresh()))
        evaluate.region_combo.currentIndexChanged.connect(notifying(lambda *_: self._refresh()))
        self._follow_kind()
        self._class_choice()

    # ------------------------------------------------------------------------- public API
    @renamed_keywords(blocking="wait")
    def run(self, *, wait: bool = False) -> dict | None:
        """Sweep and calibrate the probability layer against the ground truth.

        The pixels the Evaluate tab leaves out are left out here too: the truth's pixels of
        its Ignore label and those outside its Region (the summary says so); an edit of a
        layer read (the map, the truth, the region) makes the results out of date
        (:attr:`stale`).

        With an object metric chosen ("Best by"), the object metrics are swept too, with the
        Threshold tab's connectivity, minimum size and split; a chunked map split so is read
        whole up to the size the Threshold tab's preview splits, a larger one refused before
        the run in the preview's words
        (:func:`~napari_seg_eval._qt.threshold_panel.split_refusal`). With "Calibrate" temperature
        and/or Platt checked, each is fitted and its calibrated map added as a layer. In a
        worker with progress and cancel, or now with ``wait=True`` (then the results are
        returned).

        A run that fails says so in a notification and in the status line; the results shown
        before (if any) are then marked out of date (:attr:`stale`), and **Use best threshold**
        waits for a run that succeeds.
        """
        prob_layer, truth = self.owner.probability_combo.layer(), self.truth_combo.layer()
        self._running = "" if prob_layer is None else prob_layer.name
        if prob_layer is None or truth is None:
            missing = []
            if prob_layer is None:
                missing.append("a probability layer (the dock's header)")
            if truth is None:
                missing.append(
                    "the ground truth (the Confidence analysis tab's Ground truth: a Labels "
                    "layer; the plugin's own layers, such as the threshold preview, are never "
                    "chosen for you)"
                )
            self._on_failed(f"choose {' and '.join(missing)}, then press Analyse.")
            return None
        channel_axis, class_id = self._class_choice()
        background = self.owner.threshold_options(prob_layer).background_channel
        # Level 0 of a multiscale (pyramid) layer: the full resolution, as Evaluate reads it.
        truth_data = level0(truth)
        shape = list(level0(prob_layer).shape)
        if channel_axis is not None and background and shape[channel_axis] < 2:
            self._on_failed(
                f"{prob_layer.name!r} has one channel along its class axis {channel_axis}, "
                "and it is background ('Channel 0 is background' is ticked): no class to "
                "analyse."
            )
            return None
        if channel_axis is not None:
            del shape[channel_axis]
        if tuple(shape) != tuple(truth_data.shape):
            without = "" if channel_axis is None else f" without its class axis {channel_axis}"
            extra_axis = channel_axis is None and len(shape) == truth_data.ndim + 1
            hint = (
                " It has one axis more than the truth: if one holds its classes, choose it as "
                "the header's Channel axis."
                if extra_axis
                else ""
            )
            self._on_failed(
                f"shape mismatch: {prob_layer.name!r} is {tuple(shape)}{without}, "
                f"{truth.name!r} is {tuple(truth_data.shape)}.{hint}"
            )
            return None
        try:
            prob, notice = probability_data(prob_layer)
        except TypeError as error:
            self._on_failed(error)
            return None
        ignore_label, region_layer = self._left_out_choice()
        try:
            region = (
                None
                if region_layer is None
                else region_mask(region_layer, truth, tuple(truth_data.shape))
            )
        except ValueError as error:
            self._on_failed(f"the Evaluate tab's Region, which this analysis counts in: {error}")
            return None
        say_once(prob_layer, notice)
        chosen = self.metric_combo.currentText()
        objects = None
        if chosen in OBJECT_METRICS:
            options = self.owner.threshold_options(prob_layer)
            objects = {
                "connectivity": options.connectivity,
                "min_size": options.min_size,
                "split_touching": options.split_touching,
                "split_depth": options.split_depth,
                # the map's pixel size: objects split as the Threshold tab's preview splits
                "spacing": options.spacing,
            }
            refused = (
                self._split_refusal(prob_layer, prob, channel_axis, class_id, background)
                if options.split_touching
                else None
            )
            if refused is not None:
                self._on_failed(refused)
                return None
        work = partial(
            analyse,
            truth_data,
            prob,
            chosen if chosen in PIXEL_METRICS else "iou",
            self.methods(),
            objects,
            class_id=class_id,
            channel_axis=channel_axis,
            background_channel=background,
            ignore_label=ignore_label,
            region=region,
        )
        left_out = {"ignore_label": ignore_label, "region": region_layer}
        show = notifying(partial(self._show, prob_layer, truth, chosen, objects, left_out))
        self._watch_run((prob_layer, truth, region_layer))
        if wait:
            return self.job.run_now(work, show)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.summary_label.setText("Analysing…")
        self.job.start(work, show, control=True)
        return None

    def _left_out_choice(self) -> tuple[int | None, Layer | None]:
        """The Evaluate tab's Ignore label (None for none) and Region layer (None for none):
        the pixels it leaves out, which the analysis leaves out too."""
        evaluate = self.owner.evaluate
        ignore = evaluate.ignore_spin.value()
        return (None if ignore < 0 else ignore), evaluate.region_combo.layer()

    def close_jobs(self) -> None:
        """Cancel the running analysis for good and stop watching the layers (the dock is
        closing)."""
        self.job.close()
        self._shown_layers = self._run_layers = ()
        self._watch()

    def set_class(self, class_id: int) -> None:
        """Analyse class ``class_id`` of a multi-class map: 1..n, channel ``class_id - 1``
        of its n channels; or, with the header's "Channel 0 is background", 1..n - 1,
        channel ``class_id``."""
        self._class_choice()
        self.class_spin.setValue(class_id)

    def methods(self) -> tuple[str, ...]:
        """The recalibrations checked: ``"temperature"`` and/or ``"platt"``."""
        checks = {"temperature": self.temperature_check, "platt": self.platt_check}
        return tuple(key for key, check in checks.items() if check.isChecked())

    def cancel(self) -> None:
        """Stop the running analysis; its results are never shown."""
        if self.job.running:
            self.job.cancel()
            self.progress_bar.setValue(0)  # as after a failed analysis: nothing was done
            self.summary_label.setText("Cancelled.")

    @property
    def stale(self) -> str:
        """Why the results shown are not of the current choices ("" when they are, or when
        there are none): another probability layer or ground truth (or theirs removed), an
        edit of a layer read (the map, the truth, the Evaluate tab's region), another Ignore
        label or Region in the Evaluate tab, another class or "Best by", or an Analyse that
        failed since."""
        if not self.results:
            return ""
        analysed = self._analysed
        for what, combo, key, of in (
            ("the probability layer", self.owner.probability_combo, "layer", "of"),
            ("the ground truth", self.truth_combo, "truth", "against"),
        ):
            layer, used = combo.layer(), analysed[key]()
            if used is None or used is not layer or used not in self.viewer.layers:
                now = "none" if layer is None else repr(layer.name)
                then = analysed[f"{key}_name"]
                return f"{what} is {now}, the analysis shown is {of} {then!r}"
        if self._edited:
            return self._edited
        left_out = self._left_out_stale()
        if left_out:
            return left_out
        _, class_id = self._class_choice()
        if class_id != self.results["class_id"]:
            now = "the whole map" if class_id is None else f"class {class_id}"
            then = self.results["class_id"]
            then = "the whole map" if then is None else f"class {then}"
            return f"the class is {now}, the analysis shown is of {then}"
        metric = self.metric_combo.currentText()
        if metric != self.results["metric"]:
            return f"'Best by' is {metric}, the analysis shown is by {self.results['metric']}"
        used = self.results["labelling"]  # the objects' labelling (object metrics only)
        if used is not None:
            options = self.owner.threshold_options()
            for key, name in LABELLING_NAMES.items():
                now, then = getattr(options, key), used[key]
                if key == "split_depth" and not (options.split_touching or used["split_touching"]):
                    continue  # the depth matters only to a split
                if now != then:
                    return (
                        f"the Threshold tab's {name} is {_said(now)}, the objects analysed "
                        f"were labelled with {_said(then)}"
                    )
            now = self.owner.threshold_options(self.owner.probability_combo.layer()).spacing
            if options.split_touching and now != used["spacing"]:
                return (
                    f"the map's pixel size (its layer's scale) is {_pixel_size(now)}, the "
                    f"objects analysed were split at {_pixel_size(used['spacing'])}"
                )
        if self._failed:
            return "the last Analyse failed"
        return ""

    def _left_out_stale(self) -> str:
        """Why the pixels left out now (the Evaluate tab's Ignore label and Region) are not
        those the shown results left out ("" when they are)."""
        ignore_label, region = self._left_out_choice()
        then = self._analysed["ignore_label"]
        if ignore_label != then:
            now = "none" if ignore_label is None else ignore_label
            ignored = "no truth value" if then is None else f"truth value {then}"
            return f"the Evaluate tab's Ignore label is {now}, the analysis shown ignored {ignored}"
        used = self._analysed["region"]
        used = used() if used is not None else None
        if region is not used or (used is not None and used not in self.viewer.layers):
            now = "none" if region is None else repr(region.name)
            then = self._analysed["region_name"]
            then = "all pixels" if then is None else f"the region {then!r}"
            return f"the Evaluate tab's Region is {now}, the analysis shown counted {then}"
        return ""

    @property
    def best_threshold(self) -> float:
        """The best threshold of the last analysis by its metric (pixel or object); NaN if none."""
        if "sweep" not in self.results:
            return float("nan")
        column = OBJECT_METRICS.get(self.results["metric"])
        if column is not None:
            if not self.results["true_objects"]:
                return float("nan")
            return best_object_threshold(self.results["objects"], column)
        return float(self.results["sweep"].summary["best_threshold"])

    def use_best_threshold(self) -> None:
        """Move the threshold slider to the best threshold of the last analysis.

        Refused, with a notification, while that analysis is out of date (:attr:`stale`): its
        threshold is of another layer, truth, class or metric.
        """
        reason = self.stale
        if reason:
            notify_error(
                f"the best threshold is out of date: {reason}. Press Analyse, then use it."
            )
        elif not np.isnan(self.best_threshold):
            self.owner.set_threshold(self.best_threshold)

    def use_calibrated_map(self, method: str | None = None) -> None:
        """Make a calibrated map the probability layer (thresholding, colouring, analysis).

        ``method`` is ``"temperature"`` or ``"platt"``; None takes Platt's map if there is one,
        else the temperature's.
        """
        if method is None:
            method = "platt" if "platt" in self.calibrated_layers else "temperature"
        layer = self.calibrated_layers.get(method)
        if layer is not None and layer in self.viewer.layers:
            self.owner.set_probability_layer(layer)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The data behind the plots: sweep per threshold, calibration bins (and those of each
        calibrated map, with the fits' parameters, ECE and NLL), the object sweep."""
        if not self.results:
            return {}
        tables = {
            "threshold_sweep": self.results["sweep"].per_threshold,
            "calibration_bins": self.results["calibration"].bins,
        }
        for key, calibrated in self.results.get("calibrated", {}).items():
            tables[f"calibration_bins_{key}"] = calibrated["bins"]
        if self.results.get("calibrated"):
            tables["calibration_methods"] = self.results["calibration_methods"]
        if "objects" in self.results:
            tables["object_threshold_sweep"] = self.results["objects"]
        return tables

    def export_png(self, path: str | Path | None = None) -> Path | None:
        path = (
            path
            or QFileDialog.getSaveFileName(self, "Save plots", "confidence.png", "PNG (*.png)")[0]
        )
        return self.plot.save_png(path) if path else None

    def export_csv(self, directory: str | Path | None = None) -> list[Path]:
        """Write each table of :meth:`tables` as ``<name>.csv`` into ``directory``.

        Each table is written beside its file first, and the files are renamed once all are
        written. A folder that does not exist, or a write that fails, is a notification
        naming the folder and the reason; nothing is written (the files there stay as they
        were) and it returns an empty list.
        """
        directory = directory or QFileDialog.getExistingDirectory(self, "Export CSV into")
        if not directory:
            return []
        directory, tables = Path(directory).absolute(), self.tables()
        paths = [directory / f"{name}.csv" for name in tables]
        parts = [path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part") for path in paths]
        written: list[Path] = []
        try:
            for part, table in zip(parts, tables.values(), strict=True):
                with open(part, "x", newline="", encoding="utf-8") as file:
                    written.append(part)
                    table.to_csv(file, index=False)
            for part, path in zip(parts, paths, strict=True):
                os.replace(part, path)
        except OSError as error:
            for part in written:
                part.unlink(missing_ok=True)
            notify_error(f"could not export the confidence data to {directory}: {_reason(error)}.")
            return []
        return paths

    # ---------------------------------------------------------------------------- internals
    def _show(
        self,
        prob_layer: Image,
        truth: Labels,
        metric: str,
        labelling: dict | None,
        left_out: dict,
        results: dict,
    ) -> dict:
        self.results = {**results, "metric": metric, "labelling": labelling}
        region = left_out["region"]
        self._analysed = {
            "layer": weakref.ref(prob_layer),
            "layer_name": prob_layer.name,
            "truth": weakref.ref(truth),
            "truth_name": truth.name,
            "ignore_label": left_out["ignore_label"],
            "region": None if region is None else weakref.ref(region),
            "region_name": None if region is None else region.name,
        }
        # The layers read, watched since the run began: an edit while it ran is kept.
        self._shown_layers, self._edited = self._run_layers, self._run_edited or ""
        self._watch()
        self._failed = ""
        sweep, calib = results["sweep"].summary, results["calibration"].summary
        pixel = PIXEL_LABELS.get(sweep["metric"], sweep["metric"])
        class_id, channel_axis = results["class_id"], results["channel_axis"]
        # A class of a map of classes is a semantic comparison: its IoU and Dice lead.
        overlap = semantic_overlap(results["sweep"]) if class_id is not None else ""
        instances = ""
        if results.get("truth_id_beyond_classes") is not None:
            instances = instance_truth_notice(
                truth.name, results["truth_id_beyond_classes"], results["top_class"], class_id
            )
            notify_warning(instances, UserWarning)
        ignored = ""
        if not instances and results.get("truth_ignore_like") is not None:
            ignored = ignore_value_notice(
                truth.name, results["truth_ignore_like"], results["top_class"], class_id
            )
            notify_warning(ignored, UserWarning)
        text = (
            f"Best {pixel} {sweep['best_value']:.3f} at threshold "
            f"{sweep['best_threshold']:.3f}{overlap} · PR AP {sweep['average_precision']:.3f} · "
            f"ROC AUC {sweep['roc_auc']:.3f} · ECE {calib['ece']:.3f} (15 bins) · "
            f"Brier {calib['brier']:.3f} · NLL {calib['nll']:.3f}"
        )
        if metric in OBJECT_METRICS:
            table = results["objects"]
            best = self.best_threshold
            name = metric.removeprefix("objects: ")
            if np.isnan(best):  # no true object (then no F1, AP, PQ is ever above 0)
                of_class = "" if class_id is None else f" of class {class_id}"
                why = "see above" if instances else f"the truth has no object{of_class}"
                objects = f"Best {name} nan at threshold nan ({why})"
            else:
                row = table[table["threshold"] == best].iloc[0]
                others = ", ".join(  # the other object metrics there (the best one said once)
                    f"{choice.removeprefix('objects: ')} {row[column]:.3f}"
                    for choice, column in OBJECT_METRICS.items()
                    if choice != metric
                )
                objects = (
                    f"Best {name} {row[OBJECT_METRICS[metric]]:.3f} at threshold {best:.2f} "
                    f"({others})"
                )
            if class_id is None:
                text = f"{objects} · pixels: {text}"
            else:  # the class's pixels first: "Use best threshold" is the objects'
                text = f"{text} · objects (Best by): {objects}"
        left = left_out_text(left_out["ignore_label"], self._analysed["region_name"])
        if left:
            text = f"{left} · {text}"
        if class_id is not None:
            text = f"Class {class_id} vs rest (channel {results['channel']}) · {text}"
        if instances or ignored:
            text = f"{instances or ignored} {text}"
        for key, calibrated in results["calibrated"].items():
            self._put_calibrated(
                prob_layer,
                key,
                calibrated["data"],
                calibrated["parameters"],
                class_id,
                channel_axis,
            )
        self.summary_label.setText(text)
        if results["calibrated"]:
            self.calibration_label.setText(calibration_html(results["calibration_methods"]))
        self.calibration_label.setVisible(bool(results["calibrated"]))
        self.progress_bar.setValue(100)
        self._refresh()
        self._draw()
        return results

    def _put_calibrated(
        self,
        source: Image,
        method: str,
        data: np.ndarray,
        parameters: dict[str, float],
        class_id: int | None,
        channel_axis: int | None,
    ) -> None:
        """Add or update our ``method``-calibrated map of ``source`` (role "calibrated
        <method>", and " class <k>" for one class of a multi-class map): never a user's
        layer, nor another source's, method's or class's."""
        if source not in self.viewer.layers:
            return  # the source went away while we worked
        role, name = f"calibrated {method}", source.name
        if class_id is not None:
            role, name = f"{role} class {class_id}", f"{name} class {class_id}"
        new = result_layer(self.viewer, source, role) is None
        layer = put_image(
            self.viewer,
            data,
            name=f"{name} calibrated ({CALIBRATIONS[method]})",
            role=role,
            source=source,
            info={"method": method, "class_id": class_id, **parameters},
            drop_axis=channel_axis,
        )
        self.calibrated_layers[method] = layer
        self.use_calibrated_buttons[method].show()
        if new:
            # Translucent in the confidence colormap, just above its source: below the
            # result layers (thresholded, contour, errors), which stay readable.
            layers = self.viewer.layers
            layers.move(layers.index(layer), layers.index(source) + 1)
            self.owner.apply_confidence_colormap(layer)
            layer.visible = True

    def _split_refusal(
        self,
        layer: Image,
        prob: Any,
        channel_axis: int | None,
        class_id: int | None,
        background: bool,
    ) -> str | None:
        """Why the object sweep cannot split the touching objects of ``layer``'s map ``prob``
        (None when it can): the sweep reads the map (a class's channel) whole, and a chunked
        one is split up to the size the Threshold tab's preview splits, in its words
        (:func:`~napari_seg_eval._qt.threshold_panel.split_refusal`)."""
        if not is_lazy(prob):
            return None
        prob = as_dask(prob)
        if channel_axis is not None:  # the class's channel, as analyse reads it
            prob = da.moveaxis(prob, channel_axis, 0)[class_id if background else class_id - 1]
        return split_refusal(
            layer,
            [prob],
            "Nothing was analysed.",
            "to sweep its objects unsplit",
        )

    def _class_choice(self) -> tuple[int | None, int | None]:
        """The header's channel axis and the class analysed (None, None without one); shows
        the class box only with a channel axis, its range the classes: 1..n of n channels, or
        1..n - 1 when channel 0 is background (the header's "Channel 0 is background")."""
        layer = self.owner.probability_combo.layer()
        channel_axis = self.owner.class_axis_of(layer)  # none for a 2-D map
        if layer is None or channel_axis is None or channel_axis >= data_ndim(layer):
            self.class_label.hide()
            self.class_spin.hide()
            return None, None
        background = self.owner.threshold_options(layer).background_channel
        n_classes = int(level0(layer).shape[channel_axis]) - int(background)
        self.class_spin.setRange(1, max(n_classes, 1))
        self.class_spin.setToolTip(class_spin_tip(background_channel=background))
        self.class_label.show()
        self.class_spin.show()
        return channel_axis, self.class_spin.value()

    @notifying
    def _on_metric_chosen(self, *_) -> None:
        """The "Best by" box changed: chosen (by hand or by a script) unless the panel
        followed the Evaluate tab's kind (:meth:`_follow_kind`); from then on it stays as
        chosen."""
        if not self._following_kind:
            self._metric_follows_kind = False
        self._refresh()

    @notifying
    def _follow_kind(self, *_) -> None:
        """Until "Best by" is chosen, it follows what the Evaluate tab evaluates: the pixel
        IoU for "semantic" (the best threshold then is the pixels', as Evaluate scores them),
        the objects' F1 at IoU 0.5 for "instance" and "both"."""
        if not self._metric_follows_kind:
            return
        semantic = self.owner.evaluate.kind_combo.currentText() == "semantic"
        self._following_kind = True
        try:
            self.metric_combo.setCurrentText("iou" if semantic else next(iter(OBJECT_METRICS)))
        finally:
            self._following_kind = False

    def _watch_run(self, layers: tuple[Layer | None, ...]) -> None:
        """A run begins that reads ``layers`` (None: no layer): watch their edits as well as
        those of the layers the shown results read."""
        self._run_layers = tuple(weakref.ref(layer) for layer in layers if layer is not None)
        self._run_edited = None
        self._watch()

    def _watch(self) -> None:
        """Connect to the edits of the layers the shown results and the run going on read
        (and to nothing else): the Evaluate tab's edit events (``_EDIT_EVENTS``: new data, a
        paint, a fill), and ``set_data`` when it comes with an undo or a redo
        (:func:`~napari_seg_eval._napari.history.history_moved`; ``set_data`` alone is also
        every refresh, a move of the dims slider)."""
        for layer, event, callback in self._watched:
            getattr(layer.events, event).disconnect(callback)
        self._watched = []
        layers = [ref() for ref in (*self._shown_layers, *self._run_layers)]
        for layer in {id(x): x for x in layers if x is not None}.values():
            ref = weakref.ref(layer)
            events = [(name, None) for name in _EDIT_EVENTS if hasattr(layer.events, name)]
            events.append(("set_data", history_moved(layer)))
            for name, moved in events:
                callback = partial(self._on_input_edited, ref, layer.name, moved)
                getattr(layer.events, name).connect(callback)
                self._watched.append((layer, name, callback))

    def _on_input_edited(
        self, ref: weakref.ref, was: str, moved: Callable[[], bool] | None, *_
    ) -> None:
        """A layer read (then named ``was``) changed: the results that read it are out of
        date (the first reason is kept), those of the run going on when they come. A
        ``set_data`` counts only after an undo or a redo (``moved``)."""
        layer = ref()
        if self.job.closed or layer is None or (moved is not None and not moved()):
            return
        if self._run_edited is None and any(r() is layer for r in self._run_layers):
            self._run_edited = f"{edit_reason(layer, was)} while the analysis ran"
        if not self._edited and any(r() is layer for r in self._shown_layers):
            self._edited = edit_reason(layer, was)
            self._refresh()

    @notifying
    def _on_class_axis(self, *_) -> None:
        """The header's class axis or probability layer changed: the class box follows."""
        self._class_choice()
        self._refresh()

    def _refresh(self) -> None:
        """Say whether the results shown are out of date (:attr:`stale`); **Use best
        threshold** only for results of the current choices."""
        reason = self.stale
        self.stale_label.setText(
            f"Out of date: {reason}. The plots show the last analysis; press Analyse to update."
        )
        self.stale_label.setVisible(bool(reason))
        self.best_button.setEnabled(
            bool(self.results) and not reason and not np.isnan(self.best_threshold)
        )

    def _on_failed(self, error: BaseException | str) -> None:
        """An Analyse failed (before its run, or in it): a notification, the status line
        says so, and the results shown before are out of date."""
        notify_dock_error(error)
        self._failed = dock_error(error)
        what = f" of {self._running!r}" if self._running else ""
        self.summary_label.setText(f"Analysis{what} failed: {self._failed}")
        self.progress_bar.setValue(0)
        self._refresh()

    @notifying
    def _on_progress(self, value: tuple[float, str]) -> None:
        fraction, message = value
        # A run's bar only moves on: a pass that scores a fit starts its chunks again.
        self.progress_bar.setValue(max(self.progress_bar.value(), int(100 * fraction)))
        text = f"Analysing: {message}…"
        if self.summary_label.text() != text:  # a wrapped label lays the dock out again
            self.summary_label.setText(text)

    @notifying
    def _on_finished(self) -> None:
        self.run_button.setEnabled(not self.job.running)
        self.cancel_button.setEnabled(self.job.running)

    def _draw(self) -> None:
        if not self.results:
            return
        sweep = self.results["sweep"]
        table, summary = sweep.per_threshold, sweep.summary
        metric_axes, pr_axes = self.plot.grid[0]
        roc_axes, reliability_axes = self.plot.grid[1]
        for axes in self.plot.figure.axes:
            axes.clear()
        metric = summary["metric"]
        label = f"pixel {PIXEL_LABELS.get(metric, metric)}"
        metric_axes.plot(table["threshold"], table[metric], lw=1.2, label=label)
        metric_axes.axvline(self.owner.threshold, color="tab:green", lw=1, label="current")
        metric_axes.axvline(self.best_threshold, color="tab:orange", lw=1, ls="--", label="best")
        chosen = OBJECT_METRICS.get(self.results["metric"])
        if chosen is not None:  # the object curve beside the pixel curve, on the same axes
            objects = self.results["objects"]
            metric_axes.plot(
                objects["threshold"],
                objects[chosen],
                lw=1.2,
                marker=".",
                ms=3,
                color="tab:purple",
                label=self.results["metric"],
            )
        metric_axes.set(xlabel="threshold", ylabel="score", xlim=(0, 1))
        _legend_below(metric_axes)
        pr_axes.plot(sweep.pr_curve["recall"], sweep.pr_curve["precision"], lw=1.2)
        pr_axes.set(
            xlabel="recall",
            ylabel="precision",
            xlim=(0, 1),
            ylim=(0, 1.02),
            title=f"AP {summary['average_precision']:.3f}",
        )
        roc_axes.plot(sweep.roc_curve["fpr"], sweep.roc_curve["tpr"], lw=1.2)
        roc_axes.plot([0, 1], [0, 1], lw=0.6, ls=":", color="gray")
        roc_axes.set(
            xlabel="false positive rate",
            ylabel="true positive rate",
            title=f"AUC {summary['roc_auc']:.3f}",
        )
        bins = self.results["calibration"].bins
        filled = bins[bins["count"] > 0]
        calibrated = self.results.get("calibrated", {})
        reliability_axes.bar(
            filled["bin_lower"],
            filled["observed_frequency"],
            width=filled["bin_upper"] - filled["bin_lower"],
            align="edge",
            alpha=0.7,
            edgecolor="none",
            label="uncalibrated",
        )
        reliability_axes.plot([0, 1], [0, 1], lw=0.6, ls=":", color="gray")
        table = self.results["calibration_methods"].set_index("method")
        for key, fitted in calibrated.items():  # each calibrated map: observed vs mean p′
            label = CALIBRATIONS[key]
            bins = fitted["bins"][fitted["bins"]["count"] > 0]
            reliability_axes.plot(
                bins["mean_probability"],
                bins["observed_frequency"],
                lw=1.2,
                ms=2.5,
                label=label,
                **CALIBRATION_STYLES[key],
            )
        if calibrated:
            _legend_below(reliability_axes)
        reliability_axes.set(
            xlabel="predicted probability",
            ylabel="observed frequency",
            xlim=(0, 1),
            ylim=(0, 1.02),
            title=f"ECE {self.results['calibration'].summary['ece']:.3f}",
        )
        for axes in self.plot.figure.axes:
            axes.title.set_fontsize(8)
            axes.xaxis.label.set_fontsize(8)
            axes.yaxis.label.set_fontsize(8)
        self.plot.redraw()
