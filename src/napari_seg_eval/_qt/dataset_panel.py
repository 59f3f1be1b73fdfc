"""The Dataset tab: evaluate folders of files, read the per-image table, open a pair to review.

The files are paired by name (:func:`~napari_seg_eval.io.pair_files`: by the suffix boxes
beside the folders and the name prefix boxes under them) and evaluated by
:func:`~napari_seg_eval.io.evaluate_files` in a worker, one pair in memory at a time, with
progress per pair and cancel. Selecting an image row opens that pair in the viewer as layers
tagged as ours, stacked for review (the image, then probability maps in the confidence
colormap, then the labels on top; the images and probability maps are found by the pair's name
with their folder's own prefix and suffix), at the run's boundary spacing, and sets the
Evaluate tab to the run's settings once the files are read (but what the user changed
meanwhile), so that Run there scores the pair as the run did; opening another pair removes
them and every layer the plugin made from them (threshold preview, evaluated labels, contours,
errors), never a layer of the user's nor one the user renamed. The per-image table shows the
image's name, then the preset's number(s); after a run with class images, the per-class table
(pooled over images) and the class confusion are shown under the Summary. After a run,
changing the pairs or any setting marks the results out of date until the next run (naming
the settings changed, those a preset set too once it is left); a run in which pairs failed
says so in a notification (how many, and the first one's reason). The end of a run also says,
in its status line and a notification, the files left out unpaired, that no predicted object
matched a true object in any pair (folders or suffixes that pick the wrong files), the ground
truth files without objects, and the class axis read from the maps' OME-Zarr metadata. The
Summary shows each value with its bootstrap interval; Copy, Export CSV and sorting use the
numbers (the interval's bounds in two columns after the value).

The settings are those of ``evaluate_files``, with the Evaluate tab's words: a challenge preset
(choosing one sets the kind, IoU thresholds, matching and border; changing one of those by hand
leaves it), and under Options the matching criterion, border, ignore label, class images and
region masks found by suffix, and boundary metrics. They are checked before a run starts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from napari.layers import Labels, Layer
from napari.utils.notifications import show_info, show_warning
from napari.viewer import Viewer
from qtpy.QtCore import QEvent, QSize, Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionFrame,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from .._jobs import Job, notify_error
from .._napari.layers import PAIR_ROLE, TAG, open_pair, result_layer, tag
from ..core import catalogue
from ..core._results import counts_as_integers
from ..core._warn import warn
from ..core.presets import PRESETS
from ..evaluation import RunControl, confusion_table, parse_iou_thresholds
from ..io import FilesResult, Pairing, Progress, evaluate_files, pair_files
from ..io.evaluate import (
    FILE_PRESETS,
    KINDS,
    FileSettings,
    class_files,
    file_settings,
    find_companions,
)
from ..io.pairs import PRESET_PREFIXES, find_region_files
from ..io.read import (
    DOCK_OPTIONS,
    PixelSize,
    checked_labels,
    checked_probabilities,
    chunked_if_large,
    file_notices,
    file_pixel_size,
    file_shape,
    open_image,
    read_as,
    read_labels,
    read_plane,
    read_probabilities,
    unused_pixel_size,
)
from ..io.results import with_images_averaged
from .evaluate_panel import (
    INCLUDE_BACKGROUND_TIP,
    KIND_TIP,
    MAP_CLASSES,
    border_spin,
    class_axes_fitting,
    criterion_combo,
    ignore_spin,
    matches_preset,
    options_group,
    options_title,
    show_note,
    thresholds_text,
)
from .inputs import DecimalSpinBox
from .run_controls import run_controls
from .tables import (
    CONFUSION_TABLE,
    INTERVAL_BOUNDS,
    STALE_STYLE,
    DataFrameModel,
    IntervalModel,
    ResultTable,
    format_value,
)

if TYPE_CHECKING:
    from .widget import SegEvalWidget

#: Rows of the Summary in view (its metrics and counts; the first one wraps) without scrolling.
SUMMARY_ROWS = 13
#: Widest the Summary's metric column is sized (pixels): a longer name is elided (whole in
#: its tooltip), so that the pooled and image-mean values with their intervals fit the dock.
METRIC_WIDTH = 150
#: Narrowest the metric column is made so that the value columns fit the table's width (the
#: NeurIPS 2022 preset's image median is a third column); a narrower table scrolls.
METRIC_MIN_WIDTH = 100
#: The Summary's title: what its two columns and the brackets are.
SUMMARY_TITLE = (
    "Summary: pooled over pixels/objects, and mean over images; [low, high]: 95% bootstrap "
    "interval over the images"
)
SUMMARY_TIP = (
    "pooled: the counts of every image summed, then the metric; image mean: the metric of each "
    "image, then their mean. The brackets give a percentile bootstrap interval: the images "
    "resampled with replacement 2000 times (no interval from fewer than 2 images)."
)

#: Most rows of the per-class table in view (then it scrolls): one per class and IoU threshold.
PER_CLASS_ROWS = 8
#: Most rows of the class confusion in view (then it scrolls): one per class.
CONFUSION_ROWS = 6
#: The per-class table's title (shown only after a run with class images).
PER_CLASS_TITLE = (
    "Per class, pooled over images: the objects of each class matched within it, the counts "
    "of every image summed, then the ratios (as CoNIC pools)"
)
#: ... and its tooltip.
PER_CLASS_TIP = (
    "One row per class and IoU threshold. An object's class is the majority class of its "
    "pixels; a true object matches only a prediction of its class. The Summary's pooled class "
    "means are means over these classes."
)
#: The semantic per-class tables' titles (shown only after a run of semantic metrics compared
#: class by class), as the command line's ``semantic_pooled.csv`` and
#: ``semantic_image_mean.csv``.
SEMANTIC_POOLED_TITLE = (
    "Semantic metrics per class, pooled: the pixels of every image summed, then the ratios"
)
SEMANTIC_IMAGE_MEAN_TITLE = (
    "Semantic metrics per class, image mean: each ratio per image, then averaged over the "
    "images where it is defined (n_images: those where the class is in the truth or the "
    "prediction)"
)

#: The class confusion's title.
CONFUSION_TITLE = (
    "Class confusion, summed over images: true objects matched to a prediction regardless of "
    "class at IoU ≥ 0.5, by true class (rows) and predicted class (columns)"
)

#: Per-image columns that rank images, worst first (the first one present is used, after the
#: preset's own number).
WORST_FIRST = ("mean_accuracy", "f1_50", "mean_iou", "mean_dice", "mean_nsd")

#: The preset's per-image number, by which images are ranked worst first.
PRESET_RANK = {
    "dsb2018": "mean_accuracy",
    "neurips2022": "f1_50",
    "ctc": "seg",
    "conic": "class_mean_panoptic_quality_50",
    "coco": "map",
}

#: The controls :meth:`DatasetPanel.set_options` sets: ``evaluate_files``' keywords.
OPTION_KEYS = (
    "preset",
    "kind",
    "iou_thresholds",
    "probability",
    "criterion",
    "exclude_border",
    "ignore_label",
    "binarize_semantic",
    "include_background",
    "truth_classes_suffix",
    "prediction_classes_suffix",
    "region_suffix",
    "boundary",
    "spacing",
    "tolerance",
)

#: The tab's words for the settings, in the line saying the results are out of date.
SETTING_WORDS = {
    "kind": "Evaluate",
    "iou_thresholds": "IoU thresholds",
    "probability": "probability maps",
    "channel_axis": "class axis",
    "background_channel": "channel 0 is background",
    "min_size": "minimum size",
    "split_touching": "split touching objects",
    "criterion": "matching",
    "exclude_border": "exclude border",
    "ignore_label": "ignore label",
    "binarize_semantic": "foreground vs background",
    "include_background": "class 0 in the means",
    "prediction_classes_from_map": "the prediction's classes from the maps",
    "truth_classes_suffix": "class images",
    "prediction_classes_suffix": "class images",
    "region_suffix": "region suffix",
    "truth_prefix": "name prefixes",
    "prediction_prefix": "name prefixes",
    "boundary": "boundary metrics",
    "tolerance": "τ",
}

#: The settings of the objects a probability map is labelled into (for instance metrics only).
OBJECT_OPTIONS = ("connectivity", "min_size", "split_touching")

#: Settings that only apply to probability maps (a run of label files does not depend on them).
PROBABILITY_ONLY = (
    "threshold",
    "channel_axis",
    "background_channel",
    "connectivity",
    "min_size",
    "split_touching",
)

#: The most lines the pairs box shows before it scrolls (it is as tall as its text below).
PAIRS_MAX_LINES = 10

#: The pairs box's head of the pairs whose class or region file fails (none, or several
#: files of its name, found), each listed under it with the reason; ``{n}`` pairs.
MISSING_COMPANIONS = (
    "{n} pair(s) whose class or region file was not found, or found more than once (those "
    "pairs fail):"
)

#: A suffix the suffix boxes always have room for (Cellpose's predictions).
TYPICAL_SUFFIX = "_cp_masks"

#: What a preset needs from the files, said where the preset is chosen.
PRESET_NEEDS = {
    "conic": "Needs class images of both sides: give the class suffixes under Options.",
    "coco": "Needs probability maps as predictions (an object's score is its mean "
    'probability): tick "predictions are probability maps".',
}


class IntervalBelow(QStyledItemDelegate):
    """Shows a value with its interval on two lines, the interval under the value
    (``0.8740 [0.8510, 0.8930]``), in the columns after the first: a column is then as wide as
    an interval, not as the two side by side. The text itself is one line; Copy and Export
    CSV give the numbers (:class:`~napari_seg_eval._qt.tables.IntervalModel`)."""

    def _option(self, option: QStyleOptionViewItem, index) -> QStyleOptionViewItem:
        shown = QStyleOptionViewItem(option)
        self.initStyleOption(shown, index)
        if index.column() > 0:  # Qt breaks a shown text at a line separator, not at "\n"
            shown.text = shown.text.replace(" [", "\u2028[", 1)
        return shown

    def _style(self, option: QStyleOptionViewItem) -> QStyle:
        widget = option.widget
        return widget.style() if widget is not None else QApplication.style()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        shown = self._option(option, index)
        return self._style(shown).sizeFromContents(
            QStyle.ContentsType.CT_ItemViewItem, shown, QSize(), shown.widget
        )

    def paint(self, painter, option: QStyleOptionViewItem, index) -> None:
        shown = self._option(option, index)
        self._style(shown).drawControl(
            QStyle.ControlElement.CE_ItemViewItem, shown, painter, shown.widget
        )


class SuffixEdit(QLineEdit):
    """A box for a name suffix, never narrower than its text (or its placeholder, or
    :data:`TYPICAL_SUFFIX`, or the texts it is ``sized_for``), in the font it is shown with."""

    def __init__(
        self, placeholder: str, parent: QWidget | None = None, sized_for: Iterable[str] = ()
    ) -> None:
        super().__init__("", parent)
        self.setPlaceholderText(placeholder)
        #: Other texts the box has room for (the placeholders of the boxes above and below it,
        #: so that a column of boxes has one width).
        self.sized_for = tuple(sized_for)
        self.textChanged.connect(self._fit)

    def _fit(self, *_) -> None:
        """Hold the width the text needs as the minimum too: a layout at its own minimum size
        may otherwise give the box a few pixels less than its minimum size hint."""
        self.setMinimumWidth(self._text_width())
        self.updateGeometry()

    def changeEvent(self, event) -> None:  # the font or the style changed: measure again
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self._text_width()), hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), self._text_width()), hint.height())

    def _text_width(self) -> int:
        """The width that shows the widest of the text, the placeholder and a typical suffix,
        with the cursor's room, the margins and the frame (as Qt sizes a line edit)."""
        metrics = self.fontMetrics()
        texts = (self.text(), self.placeholderText(), TYPICAL_SUFFIX, *self.sized_for)
        text = max(texts, key=metrics.horizontalAdvance)
        margins, contents = self.textMargins(), self.contentsMargins()
        width = (
            metrics.horizontalAdvance(text)
            + metrics.horizontalAdvance("x")
            + margins.left()
            + margins.right()
            + contents.left()
            + contents.right()
            + 4  # QLineEdit's own horizontal margin, 2 px each side
        )
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        size = QSize(width, metrics.height())
        return (
            self.style()
            .sizeFromContents(QStyle.ContentsType.CT_LineEdit, option, size, self)
            .width()
        )


#: The Class axis choice that takes the header's Channel axis.
HEADER_AXIS = "header"

#: What the Dataset tab's Class axis says.
CLASS_AXIS_TIP = (
    "The class axis of multi-class probability maps (e.g. 0 for maps stored as classes × Y × "
    "X): each pixel is the class of its most probable channel. 'the header's Channel axis' "
    "takes the header's (chosen from an open layer); the axes offered are those of the first "
    "prediction file found, so no layer needs to be open. The header's 'Channel 0 is "
    "background' applies to it. Only with 'predictions are probability maps'."
)

#: How a file's error message tells the user to read a map as probabilities: the command
#: line's and the Python API's ways, which the tab has a box for.
_ELSEWHERE = re.compile(r"--probability on the command line, read_probabilities in Python")
#: ... and the box.
IN_THE_TAB = "tick 'predictions are probability maps' in this tab"
#: How a file's error message tells the user to give a map's class axis: the command line's
#: and the Python API's ways, which the tab has a Class axis for.
_CLASS_AXIS_ELSEWHERE = re.compile(r"add --channel-axis (-?\d+) \(channel_axis=-?\d+ in Python\)")
#: ... and the tab's choice.
CLASS_AXIS_IN_THE_TAB = r"choose \1 as this tab's Class axis"
#: The same advice in a file's reading error (a map's colour samples as its classes).
_CLASS_AXIS_IN_PARENTHESES = re.compile(r"\(--channel-axis (-?\d+); channel_axis=-?\d+ in Python\)")
#: ... and the tab's choice, in the parentheses.
CLASS_AXIS_IN_PARENTHESES = r"(this tab's Class axis \1)"
#: How a pair's error names the spacing read from the files' metadata: Python's and the
#: command line's ways, which the tab's spacing box takes as 'file'.
_SPACING_FILE_ELSEWHERE = re.compile(r"spacing='file', --spacing file reads")
#: ... and the box.
SPACING_FILE_IN_THE_TAB = "'file' in this tab's spacing box reads"
#: The end of the error of a pair whose files' pixel sizes differ, in Python's words.
_INSTEAD_OF_FILE = re.compile(r"instead of spacing='file'")
#: ... and the box.
INSTEAD_OF_FILE_IN_THE_TAB = "in this tab's spacing box instead of 'file'"
#: The refusals of the checks before a run (``check_first_pair``, ``declared_class_axis``) in
#: Python's words (:data:`~napari_seg_eval.io.read.PYTHON_OPTIONS`), and the tab's.
_BEFORE_THE_RUN = (
    (re.compile(r"\bchannel_axis=(-?\d+)"), r"this tab's Class axis \1"),
    (re.compile(re.escape("give the channel_axis too")), "choose this tab's Class axis too"),
    (re.compile(re.escape("background_channel=True")), "'Channel 0 is background'"),
    (re.compile(re.escape("spacing='file'")), "'file' in this tab's spacing box"),
    (re.compile(re.escape("give the spacing instead,")), "write the sizes in its spacing box,"),
)


def in_tab_words(message: str) -> str:
    """A pair's error message as the tab says it: the advice to read a file as a probability
    map points to the tab's "predictions are probability maps" box, to give a class axis to
    its Class axis, to read the pixel size from the files to its spacing box ('file'), not
    to the command line's options or Python's keywords.

    Parameters
    ----------
    message : str
        The error of a pair (:func:`~napari_seg_eval.io.evaluate_files`), or "".

    Returns
    -------
    str
        The message, with the command line's and Python's options replaced by the tab's
        boxes.

    Examples
    --------
    >>> in_tab_words("p.tif: read it as one (--probability on the command line, "
    ...              "read_probabilities in Python).")
    "p.tif: read it as one (tick 'predictions are probability maps' in this tab)."
    >>> in_tab_words("if axis 0 (4 values) holds its classes, add --channel-axis 0 "
    ...              "(channel_axis=0 in Python).")
    "if axis 0 (4 values) holds its classes, choose 0 as this tab's Class axis."
    >>> in_tab_words("give its axis 2 as the class axis (--channel-axis 2; channel_axis=2 in "
    ...              "Python).")
    "give its axis 2 as the class axis (this tab's Class axis 2)."
    >>> in_tab_words("no pixel size (spacing='file', --spacing file reads ImageJ resolution)")
    "no pixel size ('file' in this tab's spacing box reads ImageJ resolution)"
    >>> in_tab_words("channel_axis=3: m.tif, the first map, has 3 axes")
    "this tab's Class axis 3: m.tif, the first map, has 3 axes"
    """
    for elsewhere, in_the_tab in (
        (_ELSEWHERE, IN_THE_TAB),
        (_CLASS_AXIS_ELSEWHERE, CLASS_AXIS_IN_THE_TAB),
        (_CLASS_AXIS_IN_PARENTHESES, CLASS_AXIS_IN_PARENTHESES),
        (_SPACING_FILE_ELSEWHERE, SPACING_FILE_IN_THE_TAB),
        (_INSTEAD_OF_FILE, INSTEAD_OF_FILE_IN_THE_TAB),
        *_BEFORE_THE_RUN,
    ):
        message = elsewhere.sub(in_the_tab, message)
    return message


class _PanelProgress(Progress):
    """Reports pairs done to a :class:`RunControl` and stops the run once it is cancelled."""

    def __init__(self, control: RunControl) -> None:
        self.control = control

    def pair_done(self, done: int, total: int, name: str, error: str | None) -> None:
        self.control.check()
        failed = f" (failed: {in_tab_words(error)})" if error else ""
        self.control.report((done / total, f"{done} of {total} pairs done, last {name}{failed}"))

    def chunk_done(self, done: int, total: int) -> None:
        self.control.check()


def worst_first(per_image: pd.DataFrame, first: str | None = None) -> pd.DataFrame:
    """Failed pairs first, then images by their headline metric, lowest first (NaN last).

    Parameters
    ----------
    per_image : pandas.DataFrame
        One row per pair: ``name``, ``error`` and the metrics.
    first : str, optional
        The column to rank by when present (a preset's number, e.g. ``"seg"``); else the
        first of :data:`WORST_FIRST` present.

    Returns
    -------
    pandas.DataFrame
        The rows, reordered, with a new index.

    Examples
    --------
    >>> rows = pd.DataFrame({"name": ["a", "b", "c"], "error": ["", "", "unreadable"],
    ...                      "mean_accuracy": [0.9, 0.2, None], "seg": [0.1, 0.8, None]})
    >>> worst_first(rows)["name"].tolist()
    ['c', 'b', 'a']
    >>> worst_first(rows, first="seg")["name"].tolist()
    ['c', 'a', 'b']
    """
    keys = (first, *WORST_FIRST) if first is not None else WORST_FIRST
    key = next((c for c in keys if c in per_image), None)
    failed = per_image["error"] != ""
    order = [failed.rename("_failed")]
    columns = ["_failed"]
    if key is not None:
        order.append(per_image[key].astype(float).rename("_key"))
        columns.append("_key")
    keyed = pd.concat([per_image, *order], axis=1)
    keyed = keyed.sort_values(
        columns, ascending=[False, True][: len(columns)], na_position="last", kind="stable"
    )
    return keyed.drop(columns=columns).reset_index(drop=True)


def summary_numbers(
    summary: pd.Series,
    first: Sequence[str] = (),
    matching: catalogue.Matching | None = None,
) -> pd.DataFrame:
    """The summary of many images as rows of numbers: metric, pooled, image mean (each with
    its bootstrap interval's bounds in the columns ``"<column> low"`` and
    ``"<column> high"`` when the summary has intervals), then the counts: what the Summary
    table shows, each value with its interval (``0.874 [0.851, 0.893]``, see
    :class:`~napari_seg_eval._qt.tables.IntervalModel`), copies and exports.

    Parameters
    ----------
    summary : pandas.Series
        A :class:`~napari_seg_eval.io.FilesResult`'s summary.
    first : sequence of str
        Summary keys (e.g. a preset's headline ``"f1_50_image_mean"``) whose metrics come
        first, in this order.
    matching : Matching, optional
        How the run's objects were matched, which the labels say (None: IoU at several
        thresholds; see :class:`~napari_seg_eval.core.catalogue.Matching`).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``pooled``, ``image mean``, and ``image median`` when the summary
        has medians (the NeurIPS 2022 preset), each followed by its bounds when the summary
        has intervals of it; None where the summary has no such value (a count's image
        mean), NaN where it is undefined.

    Examples
    --------
    >>> rows = summary_numbers(pd.Series({"n_images": 2, "f1_50_pooled": 0.8,
    ...     "f1_50_image_mean": 0.75, "f1_50_image_mean_low": 0.5, "f1_50_image_mean_high": 1.0},
    ...     dtype=object))
    >>> rows.columns.tolist()
    ['metric', 'pooled', 'image mean', 'image mean low', 'image mean high']
    >>> rows.values.tolist()
    [['F1 @ 0.5', 0.8, 0.75, 0.5, 1.0], ['images', 2, None, None, None]]
    """
    aggregates = {"pooled": "_pooled", "image mean": "_image_mean", "image median": "_image_median"}
    if not any(key.endswith("_image_median") for key in summary.index):
        del aggregates["image median"]

    def base(key: str) -> str:
        for suffix in aggregates.values():
            if key.endswith(suffix):
                return key.removesuffix(suffix)
        return key

    columns = ["metric"]  # each aggregate, then its bounds where the summary has them
    keys: list[tuple[str, str]] = []  # (column, the end of its summary keys)
    for column, end in aggregates.items():
        columns.append(column)
        keys.append((column, end))
        if any(key.endswith(f"{end}_low") for key in summary.index):
            for bound, ending in zip(INTERVAL_BOUNDS, ("_low", "_high"), strict=True):
                columns.append(f"{column}{bound}")
                keys.append((f"{column}{bound}", f"{end}{ending}"))
    bases = []  # each metric once, the ones asked first, then in the summary's order
    for key in [*first, *summary.index]:
        if key in summary.index and base(key) != key and base(key) not in bases:
            bases.append(base(key))
    rows = [
        [
            catalogue.label("dataset.summary", b, matching),
            *(summary.get(f"{b}{end}") for _, end in keys),
        ]
        for b in bases
    ]
    blanks = [None] * (len(keys) - 1)
    for key in summary.index:
        if base(key) == key and not key.endswith(("_low", "_high")):
            rows.append([catalogue.label("dataset.summary", key, matching), summary[key], *blanks])
    return pd.DataFrame(rows, columns=columns, dtype=object)


#: What the prefix boxes are for, in plain words.
PREFIX_TIP = (
    "The start of the names that marks the ground truth's and the predictions' files, when "
    "they differ there: the Cell Tracking Challenge's man_seg000.tif and mask000.tif pair as "
    "000 with the prefixes man_seg and mask. Class and region files are named as their file "
    "(man_seg000_classes.tif) or as the pair (000_classes.tif), plus their suffix."
)
#: What the image and probability prefix boxes are for.
COMPANION_PREFIX_TIP = (
    "The start of the names of the {what} files, when it is not the pair's name: the Cell "
    "Tracking Challenge's raw frames t000.tif are the images of the pair 000 with the prefix "
    "t. Only to show them when a pair is opened."
)
#: The sides whose files are only shown with a pair (not scored), and their words.
COMPANION_WORDS = {"image": "image", "probability": "probability map"}
#: The files a run found beside a pair's (class images, region mask), opened with it as
#: hidden Labels layers for the Evaluate tab: side -> the layer's name after the pair's.
RUN_COMPANIONS = {
    "truth_classes": "truth classes",
    "prediction_classes": "prediction classes",
    "region": "region",
}

#: The header's threshold options that opening a pair of probability maps sets, in the words
#: of the notification (see :meth:`DatasetPanel._open_state`).
HEADER_OPTIONS = (
    "threshold",
    "channel 0 is background",
    "connectivity",
    "minimum size",
    "split touching objects",
)

#: What each folder box holds, in plain words.
FOLDER_TIPS = {
    "truth": "The folder of ground-truth label images (one file per image). Files are paired "
    "with the predictions by name, after removing the suffix on the right (and the name "
    "prefix below).",
    "prediction": "The folder of your predicted label images, named as the ground truth's "
    "(after removing the suffix on the right and the name prefix below).",
    "image": "Optional: the folder of the raw images, only to look at a pair in the viewer; "
    "they are not used in the scores.",
    "probability": "Optional: the folder of probability maps, thresholded into labels when "
    "'predictions are probability maps' is ticked, or to rank objects (COCO).",
}


class DatasetPanel(QWidget):
    """Folders of truth and predictions (and optional images and probability maps)."""

    #: Emitted with each finished (not cancelled) :class:`~napari_seg_eval.io.FilesResult`.
    evaluated_dataset = Signal(object)

    def __init__(self, viewer: Viewer, owner: SegEvalWidget, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner
        self.result: FilesResult | None = None
        #: Why the results shown no longer match the settings ("" while they do).
        self.stale = ""
        self._run_state: tuple | None = None  # the pairs and settings of the results shown
        #: The class axis the run shown read from its maps' OME-Zarr metadata (none given),
        #: or None: a Class axis of none or of this axis gives the same run.
        self.declared_axis: int | None = None
        self.pairing: Pairing | None = None
        self.opened: dict[str, Any] = {}  # the pair shown in the viewer: its layers
        # Every layer made for the pair shown (its own, and those the plugin derived from
        # them), with the name it was given: a renamed one is the user's and stays.
        self._made: list[tuple[Layer, str]] = []
        # The threshold preview opening the pair makes is yet to come (in a worker): the
        # pair's labels then go on top of it.
        self._preview_pending = False
        self.job = Job(self, on_progress=self._on_progress)
        self.job.finished.connect(self._on_job_finished)
        self.open_job = Job(self, on_error=self._open_failed)
        self._opening = ""  # the pair being read
        # The settings opening a pair sets, as they were when it was selected (the first of
        # the pairs selected while one was read): those changed by its end are the user's.
        self._before_open: dict[str, Any] | None = None
        # The preset whose challenge's prefixes the truth and prediction prefix boxes show, put
        # there as the pairs were found (see find_pairs); None while they hold the user's.
        self._named_by: str | None = None

        self.folders = {
            side: self._folder_row(side) for side in ("truth", "prediction", "image", "probability")
        }
        placeholders = {"truth": "e.g. _masks", "prediction": "e.g. _cp_masks"}
        sides = ("truth", "prediction", "image", "probability")
        self.suffixes = {  # one width for all: the folder boxes above each other line up
            side: SuffixEdit(
                placeholders.get(side, "suffix"), self, sized_for=placeholders.values()
            )
            for side in sides
        }
        for edit in self.suffixes.values():
            edit.editingFinished.connect(self.find_pairs)
        prefix_placeholders = {
            "truth": "truth, e.g. man_seg",
            "prediction": "prediction, e.g. mask",
            "image": "images, e.g. t",
            "probability": "probabilities",
        }
        self.prefixes = {  # one width for all: the two rows of boxes line up
            side: SuffixEdit(text, self, sized_for=prefix_placeholders.values())
            for side, text in prefix_placeholders.items()
        }
        for side, edit in self.prefixes.items():
            what = {"image": "raw image", "probability": "probability map"}.get(side)
            edit.setToolTip(PREFIX_TIP if what is None else COMPANION_PREFIX_TIP.format(what=what))
            edit.editingFinished.connect(self.find_pairs)
        self.kind_combo = QComboBox(self)
        self.kind_combo.addItems(["instance", "semantic", "all"])
        self.kind_combo.setToolTip(KIND_TIP.replace("both: the two", "all: the two"))
        self.preset_combo = QComboBox(self)
        self.preset_combo.addItem("none", None)
        for name in FILE_PRESETS:
            preset = PRESETS[name]
            needs = f" {PRESET_NEEDS[name]}" if name in PRESET_NEEDS else ""
            self.preset_combo.addItem(preset.title, name)
            self.preset_combo.setItemData(
                self.preset_combo.count() - 1,
                f"The challenge's number: {preset.rule}.{needs}",
                Qt.ItemDataRole.ToolTipRole,
            )
        self.preset_combo.setToolTip(
            "A challenge's settings (kind, IoU thresholds, matching criterion, border), named: "
            "choosing one sets the controls; changing one of them leaves the preset. CoNIC "
            "needs class images, COCO needs probability maps."
        )
        self.preset_label = QLabel("", self)
        self.preset_label.setWordWrap(True)
        self.preset_label.setVisible(False)
        self.iou_edit = QLineEdit("0.5:0.95:0.05", self)
        self.iou_edit.setToolTip("start:stop:step (stop included) or a list such as 0.5, 0.75")
        self.probability_check = QCheckBox("predictions are probability maps", self)
        self.probability_check.setToolTip(
            "Threshold them with the header's threshold and the Threshold tab's instance options"
        )
        self.class_axis_combo = QComboBox(self)
        self.class_axis_combo.setToolTip(CLASS_AXIS_TIP)
        self.class_axis_combo.setEnabled(False)
        self.probability_check.toggled.connect(self.class_axis_combo.setEnabled)
        for signal in (self.probability_check.toggled, self.class_axis_combo.currentIndexChanged):
            signal.connect(owner.follow_background_box)
        self.offer_class_axes()
        self.pairs_text = QPlainTextEdit(self)
        self.pairs_text.setReadOnly(True)
        self.pairs_text.textChanged.connect(self._fit_pairs_text)
        self._fit_pairs_text()
        self.options = options_group(self)
        self.options.addWidget(self._options_form())
        controls = run_controls(self, self.run, self.cancel)
        self.run_button, self.cancel_button = controls.run_button, controls.cancel_button
        self.progress_bar, self.status_label = controls.progress_bar, controls.status_label
        model = DataFrameModel(table="dataset.per_image", short_headers=True)
        self.per_image = ResultTable("per image", "dataset.per_image", self, model=model)
        self.per_image.view.setSelectionBehavior(self.per_image.view.SelectionBehavior.SelectRows)
        self.per_image.view.selectionModel().currentRowChanged.connect(self._on_row)
        # Numbers, shown with their intervals; copied and exported as numbers.
        summary_model = IntervalModel(table="dataset.summary")
        self.summary = ResultTable("dataset summary", "dataset.summary", self, model=summary_model)
        self.summary.view.setItemDelegate(IntervalBelow(self.summary.view))
        self.summary.view.viewport().installEventFilter(self)
        self.summary.setFixedHeight(self.summary.height_for(SUMMARY_ROWS))
        # Shown only after a run with class images (see _show_classes).
        self.per_class = ResultTable("per class pooled", "instance.per_class", self)
        self.per_class.setFixedHeight(self.per_class.height_for(PER_CLASS_ROWS))
        self.confusion = ResultTable("class confusion", CONFUSION_TABLE, self)
        self.confusion.setFixedHeight(self.confusion.height_for(CONFUSION_ROWS))
        self.per_class_title = QLabel(PER_CLASS_TITLE, self)
        self.per_class_title.setToolTip(PER_CLASS_TIP)
        self.confusion_title = QLabel(CONFUSION_TITLE, self)
        # Shown only after a run of semantic metrics by class (see _show_semantic_classes).
        self.semantic_pooled = ResultTable("semantic per class pooled", "semantic.per_class", self)
        self.semantic_image_mean = ResultTable(
            "semantic per class image mean", "semantic.per_class", self
        )
        self.semantic_pooled_title = QLabel(SEMANTIC_POOLED_TITLE, self)
        self.semantic_image_mean_title = QLabel(SEMANTIC_IMAGE_MEAN_TITLE, self)
        for widget in (*self._class_widgets(), *self._semantic_class_widgets()):
            if isinstance(widget, QLabel):
                widget.setWordWrap(True)
            widget.setVisible(False)
        self.stale_label = QLabel("", self)
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet(STALE_STYLE)
        self.stale_label.setVisible(False)

        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.kind_combo.activated.connect(self._leave_preset)
        self.iou_edit.textEdited.connect(self._leave_preset)
        self.criterion_combo.activated.connect(self._leave_preset)
        self.border_spin.valueChanged.connect(self._leave_preset)

        form = QFormLayout()
        titles = {
            "truth": "Ground truth",
            "prediction": "Predictions",
            "image": "Images (optional)",
            "probability": "Probabilities (optional)",
        }
        for side, title in titles.items():
            row = QHBoxLayout()
            row.addLayout(self.folders[side][1], stretch=3)
            row.addWidget(self.suffixes[side], stretch=1)
            label = QLabel(title, self)
            label.setToolTip(FOLDER_TIPS[side])
            form.addRow(label, row)
        prefixes = QGridLayout()  # truth, prediction; under them images, probabilities
        for index, edit in enumerate(self.prefixes.values()):
            prefixes.addWidget(edit, *divmod(index, 2))
        label = QLabel("Name prefixes", self)
        label.setToolTip(PREFIX_TIP)
        form.addRow(label, prefixes)
        form.addRow("Preset", self.preset_combo)
        form.addRow(self.preset_label)
        form.addRow("Evaluate", self.kind_combo)
        form.addRow("IoU thresholds", self.iou_edit)
        form.addRow(self.probability_check)
        form.addRow("Class axis", self.class_axis_combo)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.options)
        layout.addWidget(self.pairs_text)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.stale_label)
        summary_title = QLabel(SUMMARY_TITLE, self)
        summary_title.setWordWrap(True)
        summary_title.setToolTip(SUMMARY_TIP)
        layout.addWidget(summary_title)
        layout.addWidget(self.summary)
        for widget in (*self._class_widgets(), *self._semantic_class_widgets()):
            layout.addWidget(widget)
        layout.addWidget(QLabel("Per image, worst first (select a row to open the pair)", self))
        layout.addWidget(self.per_image, stretch=1)
        viewer.layers.events.inserted.connect(self._on_layer_inserted)
        changed = (
            self.preset_combo.currentIndexChanged,
            self.kind_combo.currentIndexChanged,
            self.iou_edit.textChanged,
            self.probability_check.toggled,
            self.criterion_combo.currentIndexChanged,
            self.border_spin.valueChanged,
            self.ignore_spin.valueChanged,
            self.binarize_check.toggled,
            self.background_check.toggled,
            self.boundary_check.toggled,
            self.tolerance_spin.valueChanged,
            self.spacing_edit.textChanged,
            self.class_axis_combo.currentIndexChanged,
            *(edit.textChanged for edit in (*self.class_suffixes.values(), self.region_suffix)),
            owner.threshold_slider.valueChanged,  # the header's settings that Run passes
            owner.channel_axis_combo.currentIndexChanged,
            owner.background_check.toggled,
            owner.connectivity_spin.valueChanged,
            owner.min_size_spin.valueChanged,
            owner.split_check.toggled,
        )
        for signal in changed:
            signal.connect(self._check_stale)

    def _follow_kind(self, kind: str) -> None:
        """Grey out "class 0 in the means" while the kind computes no semantic means (an
        instance-only run would record it and do nothing with it). "Foreground vs background"
        stays: it decides the classes of the boundary metrics too (review149)."""
        self.background_check.setEnabled(kind != "instance")

    def _options_form(self) -> QWidget:
        """The Options group's controls (matching, border, ignore label, classes, region,
        boundary), as the Evaluate tab words them."""
        content = QWidget(self)
        self.criterion_combo = criterion_combo(content)
        self.border_spin = border_spin(content)
        self.ignore_spin = ignore_spin(content)
        self.binarize_check = QCheckBox("semantic: foreground vs background", content)
        self.binarize_check.setChecked(True)
        self.binarize_check.setToolTip(
            "Compare labels > 0 instead of label values (uncheck for class label images)"
        )
        self.background_check = QCheckBox("semantic: class 0 in the means", content)
        self.background_check.setChecked(True)
        self.background_check.setToolTip(INCLUDE_BACKGROUND_TIP)
        self.kind_combo.currentTextChanged.connect(self._follow_kind)
        self._follow_kind(self.kind_combo.currentText())
        self.class_suffixes = {
            "truth": SuffixEdit("truth, e.g. _classes", content),
            "prediction": SuffixEdit("prediction", content),
        }
        for edit in self.class_suffixes.values():
            edit.setToolTip(
                "Class images, both sides or neither: beside each truth (prediction) file, the "
                "file named as it, or as the pair, plus this suffix (img0_masks_classes.tif or "
                "img0_classes.tif beside img0_masks.tif). An object's class is the majority "
                "class of its pixels (ties to the smallest); objects are matched within classes. "
                "Probability maps with a class axis need the truth's alone: the prediction's "
                "classes are then the map's (each pixel the class of its most probable channel)."
            )
            edit.editingFinished.connect(self.find_pairs)
        self.region_suffix = SuffixEdit("suffix, e.g. _region", content)
        self.region_suffix.setToolTip(
            "Score only inside each pair's region: beside its truth file, the file named as it, "
            "or as the pair, plus this suffix (nonzero = inside). Pixels outside are left out "
            "of every count."
        )
        self.region_suffix.editingFinished.connect(self.find_pairs)
        self.boundary_check = QCheckBox("Boundary metrics", content)
        self.boundary_check.setToolTip(
            "HD, HD95, ASSD, NSD and boundary F1 per image (per class when semantic is not "
            "foreground vs background) and per object pair matched at IoU 0.5, in the units of "
            "the spacing. Each pair is held in memory."
        )
        self.tolerance_spin = DecimalSpinBox(content, minimum=0.0, maximum=1e6, value=1.0)
        self.tolerance_spin.setDecimals(3)
        self.tolerance_spin.setToolTip(
            "τ of NSD and boundary F1: a boundary pixel within τ of the other boundary counts"
        )
        self.spacing_edit = QLineEdit("", content)
        self.spacing_edit.setPlaceholderText("1 per axis (pixels)")
        self.spacing_edit.setToolTip(
            "The pixel size: one number for every axis or one per axis (e.g. 2, 0.5, 0.5), or "
            "'file': each pair's pixel size from its files' metadata (ImageJ or OME-TIFF, "
            "OME-Zarr). It serves two things: boundary metrics (distances and τ are in its "
            "units) and, for probability maps with the Threshold tab's \"split touching "
            'objects", the split (distances measured in it, as the preview measures them in '
            "the layer's scale). Enabled when either is on."
        )
        self.tolerance_spin.setEnabled(False)
        self.boundary_check.toggled.connect(self.tolerance_spin.setEnabled)
        self.spacing_edit.setEnabled(False)
        for signal in (
            self.boundary_check.toggled,
            self.probability_check.toggled,
            self.owner.split_check.toggled,
        ):
            signal.connect(self._follow_spacing)

        classes = QHBoxLayout()
        classes.addWidget(self.class_suffixes["truth"])
        classes.addWidget(self.class_suffixes["prediction"])
        distances = QHBoxLayout()
        distances.addWidget(QLabel("tolerance τ (px or units)", content))
        distances.addWidget(self.tolerance_spin)
        distances.addWidget(QLabel("spacing (boundary, split)", content))
        distances.addWidget(self.spacing_edit, stretch=1)
        form = QFormLayout(content)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Matching", self.criterion_combo)
        form.addRow("Exclude border", self.border_spin)
        form.addRow("Ignore label", self.ignore_spin)
        form.addRow(self.binarize_check)
        form.addRow(self.background_check)
        form.addRow("Class images", classes)
        form.addRow("Region suffix", self.region_suffix)
        form.addRow(self.boundary_check)
        form.addRow(distances)
        changed = (
            self.kind_combo.currentTextChanged,  # after _follow_kind, which greys a box out
            self.criterion_combo.currentIndexChanged,
            self.border_spin.valueChanged,
            self.ignore_spin.valueChanged,
            self.binarize_check.toggled,
            self.background_check.toggled,
            self.boundary_check.toggled,
            self.tolerance_spin.valueChanged,
            *(
                edit.textChanged
                for edit in (*self.class_suffixes.values(), self.region_suffix, self.spacing_edit)
            ),
        )
        for signal in changed:
            signal.connect(self._title_options)
        return content

    # ------------------------------------------------------------------------- public API
    def set_folders(self, **folders: str | Path | None) -> None:
        """Set folders by side, then find the pairs.

        Parameters
        ----------
        **folders : str, Path or None
            By side: ``truth=``, ``prediction=``, ``image=``, ``probability=``. None empties
            the side's box (no folder); sides not given keep their folder.

        Raises
        ------
        ValueError
            For a side that is not one of those four (nothing is changed).

        Examples
        --------
        >>> widget.dataset.set_folders(truth="gt", prediction="pred", image=None)  # doctest: +SKIP
        """
        unknown = sorted(set(folders) - set(self.folders))
        if unknown:
            raise ValueError(
                f"no folder side {', '.join(map(repr, unknown))}: the sides are "
                f"{', '.join(self.folders)}."
            )
        for side, folder in folders.items():
            self.folders[side][0].setText("" if folder is None else str(folder))
        self.find_pairs()

    def set_suffixes(self, **suffixes: str) -> None:
        """Set the name suffixes by side (e.g. ``prediction="_cp_masks"``)."""
        for side, suffix in suffixes.items():
            self.suffixes[side].setText(suffix)
        self.find_pairs()

    def set_prefixes(self, **prefixes: str) -> None:
        """Set the name prefixes by side, then find the pairs.

        Parameters
        ----------
        **prefixes : str
            ``truth=`` and/or ``prediction=``: the start of the names that marks the side
            (the Cell Tracking Challenge's ``man_seg`` and ``mask``); ``image=`` and/or
            ``probability=``: the start of the names of the images and probability maps shown
            with a pair (the challenge's raw frames ``t000.tif``: ``"t"``); "" for none.

        Raises
        ------
        ValueError
            For a side other than those four (nothing is changed).

        Examples
        --------
        >>> widget.dataset.set_prefixes(truth="man_seg", prediction="mask", image="t")
        ... # doctest: +SKIP
        """
        unknown = sorted(set(prefixes) - set(self.prefixes))
        if unknown:
            raise ValueError(
                f"no prefix side {', '.join(map(repr, unknown))}: the sides are "
                f"{', '.join(self.prefixes)}."
            )
        for side, prefix in prefixes.items():
            self.prefixes[side].setText(prefix)
        self.find_pairs()

    def set_preset(self, name: str | None) -> None:
        """Use a challenge preset's settings: the kind, IoU thresholds, matching and border
        controls are set.

        Parameters
        ----------
        name : str or None
            ``"dsb2018"``, ``"neurips2022"``, ``"ctc"``, ``"conic"``, ``"coco"``; None: none.

        Examples
        --------
        >>> widget.dataset.set_preset("ctc")  # doctest: +SKIP
        """
        self.set_options(preset=name)

    def set_options(self, **options: Any) -> None:
        """Set the controls by :func:`~napari_seg_eval.io.evaluate_files`' keywords.

        Parameters
        ----------
        **options
            Any of :data:`OPTION_KEYS`: ``preset``, ``kind``, ``iou_thresholds`` (a list or
            ``"0.5:0.95:0.05"``), ``probability``, ``criterion``, ``exclude_border``,
            ``ignore_label``, ``binarize_semantic``, ``include_background``,
            ``truth_classes_suffix``,
            ``prediction_classes_suffix``, ``region_suffix``, ``boundary``, ``spacing`` (a
            number, one per axis, or text as the field takes it), ``tolerance``. The preset
            is set first; a control it sets, given another value too, leaves the preset (as
            changing it by hand does).

        Raises
        ------
        TypeError
            An option the tab does not take.
        ValueError
            An unknown preset, kind or criterion.

        Examples
        --------
        >>> widget.dataset.set_options(preset="neurips2022", boundary=True, spacing=0.5)
        ... # doctest: +SKIP
        """
        unknown = sorted(set(options) - set(OPTION_KEYS))
        if unknown:
            raise TypeError(
                f"set_options() does not take {', '.join(unknown)}; it takes "
                f"{', '.join(OPTION_KEYS)}."
            )
        if "preset" in options:
            name = options["preset"]
            index = 0 if name is None else self.preset_combo.findData(name)
            if index < 0:
                raise ValueError(
                    f"unknown preset {name!r}; choose one of {', '.join(FILE_PRESETS)} or None."
                )
            self.preset_combo.setCurrentIndex(index)
        for key, value in options.items():
            if key != "preset":
                self._set_option(key, value)
        self._leave_preset()
        if {"truth_classes_suffix", "prediction_classes_suffix", "region_suffix"} & set(options):
            self.find_pairs()

    def settings(self) -> dict[str, Any]:
        """The keywords of :func:`~napari_seg_eval.io.evaluate_files` that Run passes (with
        the header's threshold options for probability maps, those of their objects,
        connectivity, minimum size and split touching, for instance metrics only; where they
        are not read, ``evaluate_files``' defaults), checked as the run will check them.

        Returns
        -------
        dict
            Keyword arguments; with a preset, ``preset`` instead of the fields it sets.

        Raises
        ------
        ValueError
            A setting, or a combination of them, that the run would refuse.

        Examples
        --------
        >>> widget.dataset.settings()["criterion"]  # doctest: +SKIP
        'iou'
        """
        self._leave_preset()  # a script may have changed a control the preset sets
        options = self.owner.threshold_options()
        probability = self.probability_check.isChecked()
        ignore = self.ignore_spin.value()
        # The header's options are the maps': a label run takes evaluate_files' defaults,
        # which it does not read (other values are refused for it).
        channel_axis = self.class_axis()
        header = {
            "threshold": self.owner.threshold,
            "channel_axis": channel_axis,
            # the header's box counts with a class axis, the header's or the tab's own
            "background_channel": (
                channel_axis is not None and self.owner.background_check.isChecked()
            ),
            "connectivity": options.connectivity,
            "min_size": options.min_size,
            "split_touching": options.split_touching,
        }
        if not probability:
            fields = FileSettings.__dataclass_fields__
            header = {key: fields[key].default for key in PROBABILITY_ONLY}
        settings: dict[str, Any] = {
            "probability": probability,
            **header,
            "confidence_interval": 0.95,  # shown as "0.874 [0.851, 0.893]"
            "ignore_label": None if ignore < 0 else ignore,
            "binarize_semantic": self.binarize_check.isChecked(),
            "include_background": self.background_check.isChecked(),
            # Recorded in settings.json (the pairs are found by the tab itself).
            "truth_suffix": self.suffixes["truth"].text(),
            "prediction_suffix": self.suffixes["prediction"].text(),
            "truth_prefix": self.prefixes["truth"].text(),
            "prediction_prefix": self.prefixes["prediction"].text(),
            "truth_classes_suffix": self.class_suffixes["truth"].text().strip() or None,
            "prediction_classes_suffix": (self.class_suffixes["prediction"].text().strip() or None),
            "region_suffix": self.region_suffix.text().strip() or None,
            "boundary": self.boundary_check.isChecked(),
        }
        if settings["boundary"]:
            settings["tolerance"] = self.tolerance_spin.value()
        preset = self.preset_combo.currentData()
        if preset is None:
            settings["kind"] = self.kind_combo.currentText()
            settings["iou_thresholds"] = tuple(parse_iou_thresholds(self.iou_edit.text()))
            settings["criterion"] = self.criterion_combo.currentData()
            settings["exclude_border"] = self.border_spin.value()
        else:
            settings["preset"] = preset
        kinds = KINDS[settings.get("kind", "instance")]  # a preset's: instance
        if "semantic" not in kinds:
            settings["include_background"] = True  # the box is for semantic means: none here
        if "instance" not in kinds:  # no objects labelled: the object options are not read
            fields = FileSettings.__dataclass_fields__
            settings.update({key: fields[key].default for key in OBJECT_OPTIONS})
        # the pixel size serves boundary distances and the split of the maps' objects
        if settings["boundary"] or settings["split_touching"]:
            settings["spacing"] = parse_spacing(self.spacing_edit.text())
        check_settings(settings)
        return settings

    def find_pairs(self) -> Pairing | None:
        """Pair the truth and prediction folders by name; list the pairs and every file left out
        (class and region files, found by their suffixes, are not pairs).

        With the Cell Tracking Challenge's preset and no prefix nor suffix given, the files are
        paired by the challenge's names when those pair more of them (``man_seg000.tif`` with
        ``mask000.tif``, see :func:`~napari_seg_eval.io.pair_files`): the prefix boxes then
        show ``man_seg`` and ``mask``, and the list says so. Prefixes put there so are the
        preset's while they are unchanged: they go when the names no longer pair by them (other
        folders, a suffix given); with another preset, or none, they stay as given.

        Returns
        -------
        Pairing or None
            None when a folder is missing or cannot be paired (the box says why).

        Examples
        --------
        >>> widget.dataset.find_pairs().names  # doctest: +SKIP
        ['img0', 'img1']
        """
        truth, prediction = self._folder("truth"), self._folder("prediction")
        self.pairing = None
        if truth is None or prediction is None:
            self.pairs_text.setPlainText("Choose a ground-truth folder and a prediction folder.")
            self._check_stale()
            return None
        classes = tuple(
            self.class_suffixes[side].text().strip() or None for side in self.class_suffixes
        )
        companions = {  # their files are never hinted as truth or predictions
            "truth_classes_suffix": classes[0],
            "prediction_classes_suffix": classes[1],
        }
        if classes[0] is None:
            # both or neither (or the truth's alone, for maps with a class axis): a run with
            # the prediction's alone is refused with a message
            classes = (None, None)
        region = self.region_suffix.text().strip() or None
        shown = (self.prefixes["truth"].text(), self.prefixes["prediction"].text())
        if self._named_by is not None and shown != PRESET_PREFIXES[self._named_by]:
            self._named_by = None  # changed: the user's
        given = ("", "") if self._named_by is not None else shown
        try:
            self._check_shared_folders()
            pairing = pair_files(
                truth,
                prediction,
                truth_suffix=self.suffixes["truth"].text(),
                prediction_suffix=self.suffixes["prediction"].text(),
                truth_prefix=given[0],
                prediction_prefix=given[1],
                region_suffix=region,
                preset=self.preset_combo.currentData(),
                **companions,
            )
            self._show_prefixes(pairing.named_by)
            pairing, images = self._without_pair_images(pairing)
            missing: list[tuple[str, str]] = []  # (pair, why its class or region file fails)
            # With no pair, the pairing's own words say why (named as the tab's boxes).
            if pairing.pairs and (classes[0] is not None or region is not None):
                pairing, class_files, region_files = find_companions(pairing, *classes, region)
                for files in (class_files, region_files):
                    found = zip(pairing.names, files or (), strict=False)
                    missing += [(name, error) for name, error in found if isinstance(error, str)]
        except (OSError, ValueError) as error:
            self.pairs_text.setPlainText(str(error))
            self._check_stale()
            return None
        self.pairing = pairing
        text = pairing.describe()
        if images:
            text += (
                f"\n{images} image or probability file(s) named as the pairs, shown when a "
                "pair is opened."
            )
        companions = self._companions_text(pairing)
        if companions:
            text += f"\n{companions}"
        if missing:
            failing = len({name for name, _ in missing})
            text += f"\n{MISSING_COMPANIONS.format(n=failing)}\n"
            text += "\n".join(f"  {name}: {error}" for name, error in missing)
        self.pairs_text.setPlainText(text)
        self.offer_class_axes()  # the first prediction file's axes
        self._check_stale()
        return self.pairing

    def run(self, *, wait: bool = False) -> FilesResult | None:
        """Evaluate every pair with the tab's settings (:meth:`settings`).

        Bad settings (or no pairs) are reported in the status line and as a notification
        before anything starts; nothing changes.

        Parameters
        ----------
        wait : bool
            Run now, on this thread, and return the result (else in a worker; the result is
            emitted by :attr:`evaluated_dataset`).

        Returns
        -------
        FilesResult or None
            With ``wait=True`` and good settings, the result; else None.

        Examples
        --------
        >>> widget.dataset.run(wait=True).summary["f1_50_pooled"]  # doctest: +SKIP
        """
        try:
            work, show = self._prepare()
        except (TypeError, ValueError) as error:
            self.status_label.setText(str(error))
            notify_error(error)
            return None
        if wait:
            return self.job.run_now(work, show, control=True)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.status_label.setText("Starting…")
        self.job.start(work, show, control=True)
        return None

    def cancel(self) -> None:
        """Stop the run after the current chunk or pair; its results are not shown."""
        if self.job.running:
            self.job.cancel()
            self.status_label.setText("Cancelled.")

    def open_image(self, name: str, *, wait: bool = False) -> dict[str, Any] | None:
        """Open the pair ``name`` in the viewer, replacing the pair opened before, and set the
        Evaluate tab to the run's settings.

        A pair whose truth is a 2-D slice of a 3-D frame (the Cell Tracking Challenge's
        ``man_seg_007_042.tif``, scored on plane 42 of ``mask007.tif``) opens with that plane of
        the prediction, and of the image and probability map if found, each read alone where
        the file allows (one TIFF page), so that Evaluate scores what the run scored.

        The files are read in a worker (the pair selected last is the one opened). The
        settings are set once they are read: those the user changed since the pair was
        selected are kept (the notification names them). With boundary metrics at a spacing,
        the layers are shown at the run's spacing (their scale), in which Evaluate measures
        distances; without, at the pixel size the truth's file gives in its metadata
        (:func:`~napari_seg_eval.io.read.file_pixel_size`, for every axis), if any, so that a
        volume is shown in proportion and Evaluate measures in its units; a run whose boundary
        distances were in pixels keeps the layers at scale 1, as it measured (the notification
        names the files' pixel size).
        A file that cannot be read is named in a notification; nothing changes.

        Parameters
        ----------
        name : str
            The pair's name, as in the per-image table.
        wait : bool
            Read the files now, on this thread.

        Returns
        -------
        dict or None
            With ``wait=True``, the layers by side ("image", "probability", "truth",
            "prediction", and the run's "truth_classes", "prediction_classes", "region").

        Raises
        ------
        ValueError
            Before a run, or for a name that is not one of its pairs.

        Examples
        --------
        >>> widget.dataset.open_image("img0", wait=True)["truth"].name  # doctest: +SKIP
        'img0 truth'
        """
        if self.result is None:
            raise ValueError("run the dataset first.")
        rows = self.result.per_image[self.result.per_image["name"] == name]
        if rows.empty:
            raise ValueError(f"no image named {name!r} in the dataset.")
        row = rows.iloc[0]
        settings = self.result.settings  # the run's, even if another run ends meanwhile
        plane = self.result.pairing.plane(name)
        files = {"truth": Path(row["truth"]), "prediction": Path(row["prediction"])}
        notes = []
        for side in ("image", "probability"):
            found, why = self._companion(side, name, files["truth"])
            if found is not None:
                files[side] = found
            elif why:
                notes.append(why)
        found, why = run_companions(name, files["truth"], files["prediction"], settings)
        files.update(found)
        notes += why
        if plane is not None:
            volumes = [files[side].name for side in PLANE_SIDES if side in files]
            det = " (Evaluate's DET is of this plane alone; the row's is NaN)"
            notes.insert(
                0,
                f"its truth is a 2-D slice: shown with plane {plane} of "
                + " and of ".join(volumes)
                + (det if settings.preset == "ctc" else ""),
            )
        if self._before_open is None:
            self._before_open = self._open_state()
        self._opening = name
        work = (
            partial(_read_pair, files, settings.probability, settings.channel_axis)
            if plane is None
            else partial(
                _read_slice_pair, files, settings.probability, plane, settings.channel_axis
            )
        )
        spacing = run_spacing(settings, row)
        # No distances of the run's own: the layers at the pixel size the truth's file gives.
        work = partial(_read_with_pixel_size, work, None if spacing else files["truth"])
        show = partial(self._open, name, settings, spacing, notes=notes)
        if wait:
            return self.open_job.run_now(work, show)
        self.open_job.start(work, show)
        return None

    def close_jobs(self) -> None:
        """Stop the running jobs for good and stop following the viewer (the dock is closing)."""
        self.job.close()
        self.open_job.close()
        self.viewer.layers.events.inserted.disconnect(self._on_layer_inserted)

    # ---------------------------------------------------------------------------- internals
    def eventFilter(self, watched, event) -> bool:
        """Fit the Summary's columns again when its table changes width (a dock resized)."""
        if event.type() == QEvent.Type.Resize and watched is self.summary.view.viewport():
            self._fit_summary()
        return super().eventFilter(watched, event)

    def _fit_summary(self) -> None:
        """The Summary's metric column as wide as its names, at most :data:`METRIC_WIDTH`
        (a longer name is elided, whole in its tooltip); narrower, down to
        :data:`METRIC_MIN_WIDTH`, where the value columns (each interval under its value, see
        :class:`IntervalBelow`) would not fit the table's width shown."""
        view = self.summary.view
        columns = self.summary.model.columnCount()
        if columns == 0:
            return
        width = min(
            max(view.sizeHintForColumn(0), view.horizontalHeader().sectionSizeHint(0)),
            METRIC_WIDTH,
        )
        if view.isVisible():
            room = view.viewport().width() - sum(view.columnWidth(c) for c in range(1, columns))
            width = max(min(width, room), METRIC_MIN_WIDTH)
        view.setColumnWidth(0, width)

    def _fit_pairs_text(self) -> None:
        """The pairs box as tall as its paragraphs: two lines at least (a long path wraps),
        :data:`PAIRS_MAX_LINES` at most (then it scrolls)."""
        box = self.pairs_text
        lines = min(max(2, box.document().blockCount()), PAIRS_MAX_LINES)
        margins = box.contentsMargins().top() + box.contentsMargins().bottom()
        text = lines * box.fontMetrics().lineSpacing() + 2 * box.document().documentMargin()
        # The frame's width once more: at the lines' exact height the box still scrolled.
        box.setMaximumHeight(margins + 2 * box.frameWidth() + math.ceil(text))

    def _folder_row(self, side: str) -> tuple[QLineEdit, QHBoxLayout]:
        edit = QLineEdit(self)
        edit.setPlaceholderText("folder")
        edit.setToolTip(FOLDER_TIPS[side])
        edit.editingFinished.connect(self.find_pairs)
        browse = QPushButton("…", self)
        browse.setMaximumWidth(28)
        browse.setToolTip(f"Choose the {side} folder")
        browse.clicked.connect(partial(self._browse, side))
        row = QHBoxLayout()
        row.addWidget(edit)
        row.addWidget(browse)
        return edit, row

    def _browse(self, side: str, *_) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Choose the {side} folder")
        if folder:
            self.set_folders(**{side: folder})

    def _folder(self, side: str) -> Path | None:
        text = self.folders[side][0].text().strip()
        return Path(text) if text else None

    def _show_prefixes(self, named_by: str | None) -> None:
        """Put the prefixes of the preset ``named_by`` (the files were paired by its
        challenge's names) in the truth and prediction prefix boxes; empty them when they held
        a preset's and the files were paired without (see :meth:`find_pairs`)."""
        if named_by is None and self._named_by is None:
            return
        self._named_by = named_by
        shown = PRESET_PREFIXES[named_by] if named_by is not None else ("", "")
        for side, prefix in zip(("truth", "prediction"), shown, strict=True):
            self.prefixes[side].setText(prefix)

    def _side_pairing(self, side: str, truths: list[Path]) -> Pairing | str | None:
        """The truth files ``truths`` paired with the files of the ``side`` folder (image or
        probability), by the truth's prefix and suffix and the side's own: the names the
        pairs have. None without a folder or truths; the error's words when the folder cannot
        be paired (it does not exist, two files of one name)."""
        folder = self._folder(side)
        if folder is None or not truths:
            return None
        try:
            return pair_files(
                truths,
                folder,
                truth_suffix=self.suffixes["truth"].text(),
                prediction_suffix=self.suffixes[side].text(),
                truth_prefix=self.prefixes["truth"].text(),
                prediction_prefix=self.prefixes[side].text(),
            )
        except (OSError, ValueError) as error:
            return str(error)

    def _companion(self, side: str, name: str, truth: Path) -> tuple[Path | None, str]:
        """The file of ``side`` (image or probability folder) of the pair ``name`` whose truth
        file is ``truth``, or None and why not ("" without a folder)."""
        found = self._side_pairing(side, [truth])
        if found is None:
            return None, ""
        what = COMPANION_WORDS[side]
        if isinstance(found, str):
            return None, f"no {what}: {found}"
        by_name = dict(zip(found.names, found.pairs, strict=True))
        if name in by_name:
            return by_name[name][1], ""
        return None, self._missing(side, [name], found)

    def _missing(self, side: str, names: list[str], found: Pairing) -> str:
        """Why the files of ``side`` of the pairs ``names`` were not found (e.g. "no image
        named t007.* in 01"), with the prefix or suffix their names differ by, if the pairing
        hints one that leaves the truth's as given."""
        prefix, suffix = self.prefixes[side].text(), self.suffixes[side].text()
        example = f"{prefix}{names[0]}{suffix}.*"
        text = f"no {COMPANION_WORDS[side]} named {example} in {self._folder(side)}"
        if len(names) > 1:
            text += f" (nor for {len(names) - 1} other pairs)"
        hint = found.suffix_hint
        if hint is None:
            return text
        word = "prefix" if hint.kind == "prefix" else "suffix"
        truth = (self.prefixes if word == "prefix" else self.suffixes)["truth"].text()
        if hint.truth != truth or not hint.prediction:
            return text
        where = "under Name prefixes" if word == "prefix" else "beside its folder"
        whose = {"image": "images'", "probability": "probability maps'"}[side]
        return (
            f"{text}: its files' names differ by a {word}: give {hint.prediction!r} as the "
            f"{whose} {word} ({where})"
        )

    def _companions_text(self, pairing: Pairing) -> str:
        """Lines of the pairs box for the image and probability folders in which not every
        pair has a file (shown when a pair is opened), with the prefix or suffix that would
        find them, if any."""
        truths = [truth for truth, _ in pairing.pairs]
        lines = []
        for side, what in COMPANION_WORDS.items():
            found = self._side_pairing(side, truths)
            if found is None:
                continue
            if isinstance(found, str):
                lines.append(f"{what.capitalize()}s: {found}")
                continue
            missing = [name for name in pairing.names if name not in set(found.names)]
            if not missing:
                continue
            n, article = len(pairing.names), "an" if what.startswith("i") else "a"
            lines.append(
                f"{n - len(missing)} of {n} pairs have {article} {what} (shown when the pair is "
                f"opened): {self._missing(side, missing, found)}."
            )
        return "\n".join(lines)

    def _check_shared_folders(self) -> None:
        """Refuse an image or probability folder that is the truth's (or the prediction's)
        with the same prefix and suffix: its files would be taken as truth (or predictions).
        A prefix or a suffix that differs tells them apart, as in :func:`pair_files`."""
        words = {
            "image": "images",
            "probability": "probability maps",
            "truth": "ground truth",
            "prediction": "predictions",
        }
        # (prefix, suffix) examples: the Cell Tracking Challenge's and Cellpose's.
        examples = {"truth": ("man_seg", "_masks"), "prediction": ("mask", "_cp_masks")}
        for side in ("image", "probability"):
            folder = self._folder(side)
            prefix, suffix = self.prefixes[side].text(), self.suffixes[side].text()
            for other in ("truth", "prediction") if side == "image" else ("truth",):
                there = self._folder(other)
                if folder is None or there is None or not folder.is_dir():
                    continue
                theirs = (self.prefixes[other].text(), self.suffixes[other].text())
                if folder.resolve() == there.resolve() and (prefix, suffix) == theirs:
                    marks = examples[other]
                    raise ValueError(
                        f"the {words[side]} and the {words[other]} are both in {folder} with the "
                        f"prefix {prefix!r} and the suffix {suffix!r}: give prefixes or suffixes "
                        f"that tell them apart (e.g. the suffix {marks[1]!r} for the "
                        f"{words[other]} and none for the {words[side]}, or the prefix "
                        f"{marks[0]!r} for the {words[other]})."
                    )

    def _without_pair_images(self, pairing: Pairing) -> tuple[Pairing, int]:
        """The pairing without the image and probability files of its pairs (found as when a
        pair is opened) among the files left out: a folder of images may be the truth's or the
        prediction's (Cellpose keeps ``img.tif`` beside ``img_masks.tif``). Also their count."""
        left_out = (pairing.unpaired_truth, pairing.unpaired_prediction, pairing.ignored)
        if not any(left_out):
            return pairing, 0
        truths = [truth for truth, _ in pairing.pairs]
        images: set[Path] = set()
        for side in ("image", "probability"):
            found = self._side_pairing(side, truths)
            if isinstance(found, Pairing):  # an error is said in the pairs box
                images |= {path.resolve() for _, path in found.pairs}
        kept = [[path for path in paths if path.resolve() not in images] for paths in left_out]
        shown = sum(len(paths) for paths in left_out) - sum(len(paths) for paths in kept)
        return replace(
            pairing, unpaired_truth=kept[0], unpaired_prediction=kept[1], ignored=kept[2]
        ), shown

    def _prepare(self):
        """The run's work, and its show (which records the pairs and settings it ran with).
        The files are paired first, then the settings read: pairing may change the prefix
        boxes (a preset's prefixes go when the names no longer pair by them), which the
        settings record. A refusal is in the tab's words (:func:`in_tab_words`)."""
        pairing = self.find_pairs()
        if pairing is None:
            raise ValueError(self.pairs_text.toPlainText())
        if not pairing.pairs:
            raise ValueError(f"no pairs of files to evaluate. {pairing.describe()}")
        try:
            settings = self.settings()
        except (TypeError, ValueError) as refused:
            raise type(refused)(in_tab_words(str(refused))) from None

        said: dict[str, str | None] = {}  # the pixel size note, found in the worker

        def work(control: RunControl) -> FilesResult:
            if settings.get("spacing") is None:  # reads the first truth file's metadata
                said["pixel size"] = pixel_size_note(
                    pairing.pairs[0][0],
                    boundary=settings["boundary"],
                    split=bool(settings["probability"] and settings["split_touching"]),
                )
            try:
                return evaluate_files(pairing, progress=_PanelProgress(control), **settings)
            except ValueError as refused:  # the checks before the run, in Python's words
                raise ValueError(in_tab_words(str(refused))) from None

        return work, partial(self._show, _state_of(pairing, settings), said=said)

    def _state(self) -> tuple:
        """The pairs and settings a run would use now (settings None when refused)."""
        try:
            settings = self.settings()
        except (TypeError, ValueError):
            settings = None
        return _state_of(self.pairing, settings)

    def _check_stale(self, *_) -> None:
        """Mark the results shown as out of date when the pairs or settings differ from
        those of their run (cleared when they match again, or by the next run)."""
        if self._run_state is None:
            return
        (pairs, settings), (now_pairs, now) = self._run_state, self._state()
        changed = ["the pairs of files"] if now_pairs != pairs else []
        if now is None:
            changed.append("settings Run would refuse")
        else:  # a setting shown or hidden by another (τ by boundary metrics) is not named
            if now.get("preset") not in (None, settings.get("preset")):
                changed.append("preset")  # another preset chosen: its fields and its number
            else:  # a preset's run, then a control it sets changed: the fields named
                settings, now = with_preset_fields(settings), with_preset_fields(now)
            if self.declared_axis is not None and now.get("channel_axis") == self.declared_axis:
                # the axis the run read from the maps' metadata: the same run
                settings = {**settings, "channel_axis": self.declared_axis}
            order = (*OPTION_KEYS, *PROBABILITY_ONLY)  # as the tab shows them
            shared = [k for k in now if k in settings and k != "preset"]
            for key in sorted(shared, key=lambda k: order.index(k) if k in order else len(order)):
                word = SETTING_WORDS.get(key, key)
                if settings[key] != now[key] and word not in changed:
                    changed.append(word)
            if not changed and now.get("preset") != settings.get("preset"):
                changed.append("preset")  # the same fields, without the preset's number
        self.stale = f"settings changed since this run: {', '.join(changed)}" if changed else ""
        self.stale_label.setText(
            f"Out of date: {self.stale}. The tables show the last run; press Run to update."
        )
        self.stale_label.setVisible(bool(changed))
        for table in (
            self.summary,
            self.per_class,
            self.confusion,
            self.semantic_pooled,
            self.semantic_image_mean,
            self.per_image,
        ):
            table.set_stale(bool(changed))

    def _show(
        self, state: tuple, result: FilesResult, said: dict[str, str | None] | None = None
    ) -> FilesResult:
        """Show the run's ``result`` (of the pairs and settings ``state``), with the notes its
        worker found (``said``: the pixel size note, see :func:`pixel_size_note`)."""
        self.result = result
        self._run_state = state
        preset = result.settings.preset
        per_image = worst_first(result.per_image, PRESET_RANK.get(preset)).drop(
            columns=["aji_numerator", "aji_denominator"], errors="ignore"
        )
        per_image["error"] = per_image["error"].astype(str).map(in_tab_words)
        note = ""
        if result.settings.boundary:
            spacing = result.settings.spacing
            if spacing == "file":
                units = "each pair's units from its files (the spacing unit column)"
            else:
                units = "pixels" if spacing is None else f"the units of the spacing {spacing}"
            note = f"Boundary distances and τ = {result.settings.tolerance:g} are in {units}."
        headline = PRESETS[preset].headline if preset is not None else ()
        first = ["name", *preset_columns(headline, per_image.columns)]
        matching = catalogue.Matching.of(result.settings)  # the words of the labels
        # The error last: the status says it.
        self.per_image.set_frame(per_image, note, first, last=["error"], matching=matching)
        summary = counts_as_integers(result.summary)  # counts: 3, not 3.0000
        self.summary.set_frame(summary_numbers(summary, headline, matching), note)
        self._fit_summary()
        self._show_classes(result, matching)
        self._show_semantic_classes(result)
        self.progress_bar.setValue(100)
        failed = f", {result.n_failed} failed" if result.n_failed else ""
        numbers = [
            f"{catalogue.label('dataset.summary', key, matching)} = {format_value(summary[key])}"
            for key in headline
            if key in summary
        ]
        challenge = f" {PRESETS[preset].title}: {', '.join(numbers)}." if numbers else ""
        pixel_size = (said or {}).get("pixel size")
        also = f" Note: {pixel_size}" if pixel_size else ""
        axis = self._declared_axis(state, result)
        if axis is not None:
            also += (
                f" Class axis: {axis}, from the maps' OME-Zarr metadata (recorded in the "
                "run's settings; opening a pair reads its map with it)."
            )
        notes = [*left_out_notes(result.pairing), *result_notes(result)]
        also += "".join(f" {sentence(note)}" for note in notes)
        also += likely_wrong_status(result)  # its notifications go; the status line stays
        self.status_label.setText(f"Done: {len(result.per_image)} pairs{failed}.{challenge}{also}")
        if pixel_size:
            show_info(f"Segmentation Evaluation: {pixel_size}")
        for note in notes:
            show_warning(f"Segmentation Evaluation: {sentence(note, capital=False)}")
        n_pairs = len(result.per_image)
        if n_pairs and result.n_failed == n_pairs:  # as the command line says it
            first = per_image.iloc[0]
            show_warning(
                f"Segmentation Evaluation: every pair failed ({n_pairs} of {n_pairs}): no "
                "metrics computed; the errors are in the per-image table, the first: "
                f"{first['name']}: {first['error']}"
            )
        elif result.n_failed:  # failed pairs sort first: the first row is one
            first = per_image.iloc[0]
            show_warning(
                f"Segmentation Evaluation: {result.n_failed} of {n_pairs} pairs failed and are "
                "left out of the metrics; their errors are in the per-image table's error "
                f"column, the first: {first['name']}: {first['error']}"
            )
        self._check_stale()  # a setting may have changed while the run went on
        self.evaluated_dataset.emit(result)
        return result

    def _declared_axis(self, state: tuple, result: FilesResult) -> int | None:
        """The class axis a run of probability maps read from its maps' OME-Zarr metadata
        (none was given: the tab's Class axis and the header's were empty), or None; kept as
        :attr:`declared_axis` for the out-of-date check."""
        settings = state[1] or {}
        given = settings.get("channel_axis")
        used = result.settings.channel_axis
        declared = used if result.settings.probability and given is None else None
        self.declared_axis = declared
        return declared

    def _class_widgets(self) -> tuple[QWidget, ...]:
        """The per-class table and the class confusion, with their titles, in the tab's
        order."""
        return (self.per_class_title, self.per_class, self.confusion_title, self.confusion)

    def _show_classes(self, result: FilesResult, matching: catalogue.Matching) -> None:
        """Show the run's per-class pooled table and class confusion (a run with class
        images), or hide them (a run without: nothing is shown for it)."""
        dataset = result.datasets.get("instance")
        classes = dataset is not None and dataset.per_class_pooled is not None
        for widget in self._class_widgets():
            widget.setVisible(classes)
        if not classes:
            self.per_class.set_frame(pd.DataFrame())
            self.confusion.set_frame(pd.DataFrame())
            return
        self.per_class.set_frame(dataset.per_class_pooled, matching=matching)
        self.confusion_title.setText(matching.rewrite(CONFUSION_TITLE))  # the run's criterion
        self.confusion.set_frame(confusion_table(dataset.class_confusion), matching=matching)
        for table, most in ((self.per_class, PER_CLASS_ROWS), (self.confusion, CONFUSION_ROWS)):
            rows = table.model.rowCount()  # as tall as its rows, up to ``most`` (then it scrolls)
            table.setFixedHeight(table.height_for(min(max(rows, 1), most)))

    def _semantic_class_widgets(self) -> tuple[QWidget, ...]:
        """The semantic per-class tables (pooled, image mean) with their titles, in order."""
        return (
            self.semantic_pooled_title,
            self.semantic_pooled,
            self.semantic_image_mean_title,
            self.semantic_image_mean,
        )

    def _show_semantic_classes(self, result: FilesResult) -> None:
        """Show the run's semantic metrics per class, pooled and image mean (the command
        line's ``semantic_pooled.csv`` and ``semantic_image_mean.csv``) after a run that
        compared classes (``binarize_semantic`` off), or hide them."""
        dataset = result.datasets.get("semantic")
        by_class = dataset is not None and not result.settings.binarize_semantic
        for widget in self._semantic_class_widgets():
            widget.setVisible(by_class)
        if not by_class:
            self.semantic_pooled.set_frame(pd.DataFrame())
            self.semantic_image_mean.set_frame(pd.DataFrame())
            return
        self.semantic_pooled.set_frame(dataset.pooled)
        self.semantic_image_mean.set_frame(with_images_averaged(dataset))
        for table in (self.semantic_pooled, self.semantic_image_mean):
            rows = table.model.rowCount()  # as tall as its rows, up to PER_CLASS_ROWS
            table.setFixedHeight(table.height_for(min(max(rows, 1), PER_CLASS_ROWS)))

    def _set_option(self, key: str, value: Any) -> None:
        """Set the control of one :meth:`set_options` keyword (not the preset)."""
        edits = {
            "truth_classes_suffix": self.class_suffixes["truth"],
            "prediction_classes_suffix": self.class_suffixes["prediction"],
            "region_suffix": self.region_suffix,
        }
        checks = {
            "probability": self.probability_check,
            "binarize_semantic": self.binarize_check,
            "include_background": self.background_check,
            "boundary": self.boundary_check,
        }
        if key in edits:
            edits[key].setText(value or "")
        elif key in checks:
            checks[key].setChecked(bool(value))
        elif key == "kind":
            if self.kind_combo.findText(value) < 0:
                raise ValueError(f"kind must be one of instance, semantic, all, got {value!r}.")
            self.kind_combo.setCurrentText(value)
        elif key == "criterion":
            index = self.criterion_combo.findData(value)
            if index < 0:
                raise ValueError(f"criterion must be one of iou, iot, iop, got {value!r}.")
            self.criterion_combo.setCurrentIndex(index)
        elif key == "iou_thresholds":
            text = value if isinstance(value, str) else ", ".join(f"{t:g}" for t in value)
            self.iou_edit.setText(text)
        elif key == "exclude_border":
            self.border_spin.setValue(int(value))
        elif key == "ignore_label":
            self.ignore_spin.setValue(-1 if value is None else int(value))
        elif key == "spacing":
            if value is None or isinstance(value, str):
                self.spacing_edit.setText(value or "")
            else:
                values = [value] if isinstance(value, int | float) else value
                self.spacing_edit.setText(", ".join(f"{v:g}" for v in values))
        else:  # tolerance
            self.tolerance_spin.setValue(float(value))

    def _on_preset(self, *_) -> None:
        """Set the controls from the chosen preset, and say what was set and what it needs."""
        name = self.preset_combo.currentData()
        # Paired again once the controls are the preset's (finding the pairs checks them): by
        # the challenge's names if no prefix nor suffix is given, or without the preset's words.
        pair_again = name in PRESET_PREFIXES or self._named_by is not None
        if self._named_by is not None and name != self._named_by:
            self._named_by = None  # the prefixes shown stay, as given
        if name is None:
            show_note(self.preset_label, "")
            self._title_options()
            if pair_again:
                self.find_pairs()
            return
        preset = PRESETS[name]
        text = thresholds_text(preset.iou_thresholds)
        widgets = (self.iou_edit, self.criterion_combo, self.border_spin, self.kind_combo)
        for widget in widgets:
            widget.blockSignals(True)
        self.iou_edit.setText(text)
        self.criterion_combo.setCurrentIndex(self.criterion_combo.findData(preset.criterion))
        self.border_spin.setValue(preset.exclude_border)
        self.kind_combo.setCurrentText("instance")
        for widget in widgets:
            widget.blockSignals(False)
        self._follow_kind("instance")
        criterion = self.criterion_combo.currentText()
        border = f"{preset.exclude_border} px" if preset.exclude_border else "none"
        needs = f" {PRESET_NEEDS[name]}" if name in PRESET_NEEDS else ""
        show_note(
            self.preset_label,
            f"Set: instance; IoU thresholds {text}; matching {criterion}; exclude border "
            f"{border}.{needs} The challenge's number: {preset.rule}.",
        )
        self._title_options()
        if pair_again:
            self.find_pairs()

    def _leave_preset(self, *_) -> None:
        """A control the preset sets was changed: the settings are no longer the preset's."""
        name = self.preset_combo.currentData()
        if name is not None and (
            self.kind_combo.currentText() != "instance"
            or not matches_preset(
                name,
                self.iou_edit.text(),
                self.criterion_combo.currentData(),
                self.border_spin.value(),
            )
        ):
            self.preset_combo.setCurrentIndex(0)

    def _title_options(self, *_) -> None:
        """The Options group's title lists what differs from the defaults (seen collapsed)."""
        class_images = any(edit.text().strip() for edit in self.class_suffixes.values())
        self.options.setText(
            options_title(
                self.criterion_combo.currentData(),
                self.border_spin.value(),
                self.ignore_spin.value(),
                "semantic classes" if not self.binarize_check.isChecked() else "",
                "class 0 out of the means" if self._background_left_out() else "",
                self._class_images_title() if class_images else "",
                "region" if self.region_suffix.text().strip() else "",
                f"boundary τ {self.tolerance_spin.value():g}"
                if self.boundary_check.isChecked()
                else "",
                f"spacing {self.spacing_edit.text().strip()}"
                if self.boundary_check.isChecked() and self.spacing_edit.text().strip()
                else "",
            )
        )

    def _background_left_out(self) -> bool:
        """Whether "class 0 in the means" is unchecked and counts: not while greyed out (an
        instance-only run or a preset computes no semantic means, so its state is not
        listed)."""
        check = self.background_check
        return check.isEnabledTo(self) and not check.isChecked()

    def class_axis(self) -> int | None:
        """The class axis of the run's probability maps: the tab's Class axis, or with "the
        header's" chosen there, the header's Channel axis (None: maps without one)."""
        axis = self.class_axis_combo.currentData()
        if axis == HEADER_AXIS:
            return self.owner.threshold_options().channel_axis
        return axis

    def set_class_axis(self, axis: int | str | None) -> None:
        """Choose the run's class axis: an axis of the prediction files (negative from the
        end), None for maps without one, or :data:`HEADER_AXIS` for the header's."""
        index = self.class_axis_combo.findData(axis)
        if index < 0:
            self.class_axis_combo.addItem(str(axis), axis)
            index = self.class_axis_combo.count() - 1
        self.class_axis_combo.setCurrentIndex(index)

    def offer_class_axes(self) -> None:
        """Fill the Class axis choices: the header's Channel axis, none, and the axes of the
        first prediction file of the pairs found (its shape read from its header, no pixel:
        :func:`~napari_seg_eval.io.read.file_shape`), or axes 0..3 and -1 before any pair
        (or when the file cannot be read). The axis chosen stays chosen if still offered."""
        combo = self.class_axis_combo
        chosen = combo.currentData() if combo.count() else HEADER_AXIS  # first: the header's
        shape = fitting = None
        pairing = getattr(self, "pairing", None)
        if pairing is not None and pairing.pairs:
            try:
                shape = file_shape(pairing.pairs[0][1])
                fitting = self._fitting_axis(*pairing.pairs[0], shape, chosen)
            except (OSError, ValueError):
                shape = None
        if fitting is not None:  # said, not chosen: a z-stack's or a time-lapse's axis fits too
            show_info(
                f"Segmentation Evaluation: axis {fitting} ({shape[fitting]} values) of the "
                "prediction files is the one axis whose removal leaves the ground truth's shape: "
                "if it holds the map's classes, choose it as the Dataset tab's Class axis."
            )
        with signals_blocked(self.class_axis_combo):
            self.class_axis_combo.clear()
            self.class_axis_combo.addItem("the header's Channel axis", HEADER_AXIS)
            self.class_axis_combo.addItem("none", None)
            if shape is None:
                for axis in (0, 1, 2, 3, -1):
                    self.class_axis_combo.addItem(str(axis), axis)
            else:
                for axis, size in enumerate(shape):
                    self.class_axis_combo.addItem(f"{axis} ({size} values)", axis)
            index = self.class_axis_combo.findData(chosen)
            self.class_axis_combo.setCurrentIndex(max(index, 0))
        if self.class_axis_combo.currentData() != chosen:
            self.class_axis_combo.currentIndexChanged.emit(self.class_axis_combo.currentIndex())

    def _fitting_axis(
        self, truth: Path, prediction: Path, shape: tuple[int, ...], chosen: int | str | None
    ) -> int | None:
        """The class axis to advise for probability maps like ``prediction`` (of ``shape``)
        against the truth file ``truth``: with "the header's" chosen and no Channel axis in
        the header (no map layer open), the one axis of the files whose removal leaves the
        truth's shape (:func:`class_axes_fitting`); else None. Advised, never chosen: from
        the shapes alone a z-stack's or a time-lapse's axis fits as well. Not for zarr maps:
        the run reads the class axis an OME-Zarr map declares (and says so)."""
        if not self.probability_check.isChecked():
            return None
        if chosen != HEADER_AXIS or self.owner.threshold_options().channel_axis is not None:
            return None
        if read_as(prediction) == ".zarr":
            return None
        fits = class_axes_fitting(shape, file_shape(truth, labels=True))
        return fits[0] if len(fits) == 1 else None

    def _uses_spacing(self) -> bool:
        """Whether the run reads the spacing: for boundary distances, or to split touching
        objects of probability maps (the Threshold tab's "split touching objects")."""
        splitting = self.probability_check.isChecked() and self.owner.split_check.isChecked()
        return self.boundary_check.isChecked() or splitting

    def _follow_spacing(self, *_) -> None:
        """The spacing box is enabled while the run reads it (:meth:`_uses_spacing`)."""
        self.spacing_edit.setEnabled(self._uses_spacing())

    def _class_images_title(self) -> str:
        """The Options title's words for class images: the prediction's classes from the
        maps when only the truth's suffix is given for probability maps with a class axis."""
        truth, prediction = (edit.text().strip() for edit in self.class_suffixes.values())
        class_axis = self.class_axis() is not None
        if truth and not prediction and self.probability_check.isChecked() and class_axis:
            return "class images (the prediction's: the map's)"
        return "class images"

    def _open(
        self,
        name: str,
        settings: FileSettings,
        spacing: tuple[tuple[float, ...], str] | None,
        read: tuple[dict[str, Any], PixelSize | None],
        notes: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Replace the pair shown by ``name``'s layers (``read``: their arrays, and the pixel
        size of the truth's file when the run has no ``spacing``), stacked for review, as the
        other tabs' inputs; its probability maps in the confidence colormap; with the run's
        ``spacing`` (sizes, unit) as their scale, or without, the file's (see
        :meth:`open_image`); the Evaluate tab set to the run's ``settings`` but for what the
        user changed since the pair was selected. The notification says so, after ``notes``
        (files not found)."""
        data, file_size = read
        before, self._before_open = self._before_open, None
        now = self._open_state()
        kept = [  # the header's options are set for probability maps only
            key
            for key, value in (before or now).items()
            if (settings.probability or key not in HEADER_OPTIONS)
            and not _same_setting(value, now[key], self.viewer)
        ]
        self._close_pair()
        # The image and maps first, then the maps' contours, then the labels: the labels on
        # top as they are added (a move makes every layer chooser list the layers again).
        labels = [
            side for side in ("truth", "prediction") if side in data and _is_labels(data[side])
        ]
        self.opened = open_pair(
            self.viewer, name, {side: data[side] for side in data if side not in labels}
        )
        self._made = [(layer, layer.name) for layer in self.opened.values()]
        ndim = data["truth"].ndim if "truth" in data else None
        scaled, scale = self._scaled(spacing, file_size, settings, ndim)
        if scale is not None:  # before the contours, which take their map's scale
            self._put_spacing(scale, settings.channel_axis, dict(self.opened), ndim)
        maps = [
            self.opened[side]
            for side in ("probability", "prediction")
            if side in self.opened and not isinstance(self.opened[side], Labels)
        ]
        if maps:  # the prediction when it is a map: the one Evaluate thresholds
            self.owner.set_probability_layer(maps[-1])
            if settings.probability:
                # The run's class axis before the truth and prediction are chosen: Evaluate
                # then has none to choose and announce (the tab's status line said it).
                self._put_class_axis(settings.channel_axis)
        for layer in maps:
            self.owner.apply_confidence_colormap(layer)
        added = {}
        for side, words in RUN_COMPANIONS.items():  # hidden: for the Evaluate tab
            if side in data:
                metadata = {TAG: {"role": PAIR_ROLE, "pair": name, "side": side}}
                added[side] = self.viewer.add_labels(
                    data[side], name=f"{name} {words}", metadata=metadata, visible=False
                )
        for side in labels:  # as open_pair stacks them: the truth, the prediction on top
            metadata = {TAG: {"role": PAIR_ROLE, "pair": name, "side": side}}
            added[side] = self.viewer.add_labels(
                data[side], name=f"{name} {side}", metadata=metadata
            )
        self.opened.update(added)
        self._made += [(layer, layer.name) for layer in added.values()]
        if scale is not None:
            self._put_spacing(scale, settings.channel_axis, added, ndim)
            self.viewer.reset_view()  # the pair in view at its new size
        if "truth" in self.opened:
            self.owner.set_ground_truth(self.opened["truth"])
        if "prediction" in self.opened:
            self.owner.set_prediction(self.opened["prediction"])
        said = self._use_run_settings(settings, set(kept))
        # The labels go above the maps' threshold preview, made in a worker (see
        # _on_layer_inserted), once it is added.
        self._preview_pending = (
            bool(maps) and result_layer(self.viewer, maps[-1], "threshold") is None
        )
        if scaled:
            said += f"; {scaled}"
        if kept:
            said += (
                f"; kept as you changed them while the pair was read: {', '.join(kept)} (Run "
                "there may then differ from the row)"
            )
        show_info(
            f"Segmentation Evaluation: {'; '.join([f'opened {name!r}', *notes])}. Evaluate set "
            f"to the dataset's settings: {said}; press Run there to review the pair."
        )
        return self.opened

    def _open_failed(self, error: BaseException) -> None:
        """The pair selected could not be read: said, with the file; nothing changed."""
        self._before_open = None
        notify_error(
            f"could not open {self._opening!r}: {error} The pair shown and the Evaluate tab "
            "are unchanged."
        )

    def _open_state(self) -> dict[str, Any]:
        """The settings opening a pair sets (but the channel axis, which is the map's), as
        they are now, by the words the notification says them in."""
        owner, evaluate = self.owner, self.owner.evaluate
        header = (
            owner.threshold,
            owner.background_check.isChecked(),
            owner.connectivity_spin.value(),
            owner.min_size_spin.value(),
            owner.split_check.isChecked(),
        )
        return {
            **evaluate.file_settings_state(),
            "class images": (
                evaluate.true_classes_combo.choice(),
                evaluate.pred_classes_combo.choice(),
            ),
            "region": evaluate.region_combo.choice(),
            **dict(zip(HEADER_OPTIONS, header, strict=True)),
        }

    def _scaled(
        self,
        spacing: tuple[tuple[float, ...], str] | None,
        file_size: PixelSize | None,
        settings: FileSettings,
        ndim: int | None,
    ) -> tuple[str, tuple[tuple[float, ...], str] | None]:
        """The scale of the opened pair's layers: the run's ``spacing``, or without one the
        truth file's pixel size ``file_size`` when it gives one for each of the truth's
        ``ndim`` axes (but to a run whose boundary distances or split of touching objects
        were in pixels, which Evaluate then measures as it did); what is done, in words (""
        for nothing), and the pixel size to give the layers (:meth:`_put_spacing`; None:
        none)."""
        if spacing:
            whose = (
                "the pair's pixel size in its files"
                if settings.spacing == "file"
                else "its spacing"
            )
            text = spacing_text(spacing)
            return (
                f"the layers' scale {text} (the run's boundary distances were in {whose})",
                spacing,
            )
        if file_size is None or ndim is None or len(file_size.sizes) != ndim:
            return "", None
        found = (tuple(float(size) for size in file_size.sizes), file_size.unit)
        # in pixels: as the row's distances, and the row's objects (split at the layer's scale)
        split = settings.probability and settings.split_touching and "instance" in settings.kinds
        if settings.boundary or split:
            measured = " and ".join(
                words
                for words, done in (
                    ("boundary distances", settings.boundary),
                    ("split of touching objects", split),
                )
                if done
            )
            return (
                f"the layers' scale 1, as the run's {measured} were in pixels (its truth file "
                f"gives a pixel size of {spacing_text(found)}: spacing 'file' uses it)",
                None,
            )
        return (
            f"the layers' scale {spacing_text(found)}, the pixel size its truth file gives "
            "(Evaluate's boundary distances are in it)",
            found,
        )

    def _put_spacing(
        self,
        spacing: tuple[tuple[float, ...], str],
        channel_axis: int | None,
        layers: dict[str, Layer],
        ndim: int | None,
    ) -> None:
        """Give the pair's ``layers`` (by side) the pixel size ``spacing`` (sizes, one for
        every axis or one per axis of the truth, of ``ndim`` axes, and their unit or "") as
        their scale: Evaluate measures boundary distances in the truth's scale. A map's class
        axis (``channel_axis``) keeps 1; a layer of other axes than the truth's gets the
        sizes of its last axes (napari lines layers up by their last axes)."""
        sizes, unit = spacing
        ndim = len(sizes) if ndim is None else ndim
        sizes = sizes * ndim if len(sizes) == 1 else sizes
        for side, layer in layers.items():
            scale, units = list(sizes), [unit or "pixel"] * ndim
            is_map = side in ("probability", "prediction") and layer.ndim == ndim + 1
            if is_map and channel_axis is not None:
                scale.insert(channel_axis % layer.ndim, 1.0)
                units.insert(channel_axis % layer.ndim, "pixel")
            extra = layer.ndim - len(scale)
            scale = [1.0] * extra + scale[-layer.ndim :]
            units = ["pixel"] * extra + units[-layer.ndim :]
            layer.scale = scale
            if unit:  # one napari does not know: the scale alone
                with suppress(ValueError):
                    layer.units = units

    def _use_run_settings(self, settings: FileSettings, keep: set[str]) -> str:
        """Set the Evaluate tab, and for probability maps the header's threshold options, to
        the run's ``settings``, so that Run there scores the opened pair as the run did; but
        those named in ``keep`` (changed by the user meanwhile: the words of
        :meth:`_open_state`). What was set, in words."""
        evaluate = self.owner.evaluate
        said = evaluate.use_file_settings(settings, keep)
        if "class images" not in keep:
            classes = [self.opened.get(side) for side in ("truth_classes", "prediction_classes")]
            if settings.prediction_classes_from_map and classes[0] is not None:
                evaluate.set_classes(classes[0], MAP_CLASSES)
                said += ", class images (the prediction's: the map's)"
            elif None in classes:  # a run without class images: Evaluate too
                evaluate.set_classes(None)
            else:
                evaluate.set_classes(*classes)
                said += ", class images"
        if "region" not in keep:
            evaluate.set_region(self.opened.get("region"))
            said += ", region" if "region" in self.opened else ""
        if not settings.probability:
            return said
        owner = self.owner
        self._put_class_axis(settings.channel_axis)
        header = {
            "threshold": (owner.set_threshold, settings.threshold),
            "channel 0 is background": (
                owner.background_check.setChecked,
                settings.background_channel,
            ),
            "connectivity": (owner.connectivity_spin.setValue, settings.connectivity),
            "minimum size": (owner.min_size_spin.setValue, settings.min_size),
            "split touching objects": (owner.split_check.setChecked, settings.split_touching),
        }
        for key, (put, value) in header.items():
            if key not in keep and value is not None:  # connectivity None: the dock's
                put(value)
        words = {
            "threshold": f"threshold {owner.threshold:g}",
            "connectivity": f"connectivity {owner.connectivity_spin.value()}",
            "minimum size": f"minimum size {owner.min_size_spin.value()}",
            "split touching objects": "split touching objects"
            if owner.split_check.isChecked()
            else "",
        }
        set_here = [text for key, text in words.items() if text and key not in keep]
        return f"{said}; {', '.join(set_here)}" if set_here else said

    def _put_class_axis(self, axis: int | None) -> None:
        """Set the header's Channel axis to the run's class axis ``axis``, where the map just
        opened offers it."""
        combo = self.owner.channel_axis_combo
        index = combo.findData(axis)
        if index >= 0:  # offered by the map just opened
            combo.setCurrentIndex(index)

    def _close_pair(self) -> None:
        """Remove every layer made for the pair shown; one the user renamed is left to them,
        without our tag (nothing of ours updates or removes it again)."""
        for layer, given in reversed(self._made):
            if layer not in self.viewer.layers:
                continue
            if layer.name == given:
                self.viewer.layers.remove(layer)
            else:
                layer.metadata = {k: v for k, v in layer.metadata.items() if k != TAG}
        self._made = []
        self.opened = {}
        self._preview_pending = False

    def _on_layer_inserted(self, event) -> None:
        """A result layer of a layer made for the pair shown is made for it too; the threshold
        preview opening the pair makes (in a worker) goes under the pair's labels."""
        layer = event.value
        source = tag(layer).get("source_id")
        if source is not None and any(made.unique_id == source for made, _ in self._made):
            self._made.append((layer, layer.name))
            if self._preview_pending and tag(layer).get("role") in OPENING_ROLES:
                self._preview_pending = False
                # after napari's own handlers of the insertion
                QTimer.singleShot(0, self._labels_on_top)

    def _labels_on_top(self) -> None:
        """Put the opened pair's truth and prediction labels right above every other layer
        made for the pair (the threshold preview and contour opening it makes), the
        prediction on top, as :func:`~napari_seg_eval._napari.layers.open_pair` stacks them;
        the user's layers keep their order, and stay above if they were."""
        layers = self.viewer.layers
        labels = [
            self.opened[side]
            for side in ("truth", "prediction")
            if isinstance(self.opened.get(side), Labels) and self.opened[side] in layers
        ]
        top = max((layers.index(other) for other, _ in self._made if other in layers), default=-1)
        below = [layers.index(layer) for layer in labels]
        if below and (min(below) < top - len(labels) + 1 or below != sorted(below)):
            layers.move_multiple(below, top + 1)  # one move: the choosers list layers once

    def _on_row(self, current, _previous) -> None:
        if not current.isValid() or self.result is None:
            return
        frame = self.per_image.model.frame
        row = frame.iloc[current.row()]
        if row["error"]:
            self.status_label.setText(f"{row['name']} failed: {row['error']}")
            return
        self.open_image(str(row["name"]))

    def _on_progress(self, step: tuple[float, str]) -> None:
        fraction, message = step
        self.progress_bar.setValue(int(100 * fraction))
        self.status_label.setText(message)

    def _on_job_finished(self) -> None:
        running = self.job.running
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)


def preset_columns(headline: Sequence[str], columns: Sequence[str]) -> list[str]:
    """The per-image columns of a preset's headline summary keys, in the headline's order.

    Parameters
    ----------
    headline : sequence of str
        Summary keys (a :class:`~napari_seg_eval.core.presets.Preset`'s ``headline``).
    columns : sequence of str
        The per-image table's columns.

    Returns
    -------
    list of str
        Each headline key without its ``_pooled``, ``_image_mean`` or ``_image_median`` end,
        once, when it is one of ``columns``.

    Examples
    --------
    >>> preset_columns(("f1_50_image_mean", "f1_50_image_median"), ["name", "mean_accuracy",
    ...                "f1_50"])
    ['f1_50']
    >>> preset_columns(PRESETS["ctc"].headline, ["name", "det", "seg"])
    ['seg', 'det']
    """
    found: list[str] = []
    for key in headline:
        for end in ("_pooled", "_image_mean", "_image_median"):
            key = key.removesuffix(end)
        if key in columns and key not in found:
            found.append(key)
    return found


#: The roles of the layers opening a pair makes from its probability map (the threshold's
#: preview and contour), which its truth and prediction labels are put above.
OPENING_ROLES = ("threshold", "contour")


#: Most files a run's note names (then how many more).
NOTE_FILES = 5


def _named(paths: Sequence[str | Path]) -> str:
    """The names of ``paths``, the first :data:`NOTE_FILES`, then how many more.

    Examples
    --------
    >>> _named(["a/img7_masks.tif"]), _named([f"f{k}.tif" for k in range(7)])
    ('img7_masks.tif', 'f0.tif, f1.tif, f2.tif, f3.tif, f4.tif and 2 more')
    """
    names = [Path(path).name for path in paths]
    more = len(names) - NOTE_FILES
    shown = ", ".join(names[:NOTE_FILES])
    return f"{shown} and {more} more" if more > 0 else shown


def sentence(note: str, *, capital: bool = True) -> str:
    """A note as a sentence: its first letter a capital (unless not ``capital``), a full
    stop at its end unless it ends with one or a question mark.

    Examples
    --------
    >>> sentence("1 file left out"), sentence("is it the file you meant?", capital=False)
    ('1 file left out.', 'is it the file you meant?')
    """
    text = f"{note[:1].upper()}{note[1:]}" if capital else note
    return text if text.endswith((".", "?")) else f"{text}."


def left_out_notes(pairing: Pairing | None) -> list[str]:
    """What a run says of the files its folders held that it did not evaluate: ground truth
    files without a prediction, predictions without a ground truth (the pairs box lists
    them before the run; the run's end says it again).

    Examples
    --------
    >>> left_out_notes(Pairing([], [], unpaired_truth=[Path("gt/img7_masks.tif")]))
    ['1 ground truth file without a prediction was left out: img7_masks.tif']
    """
    if pairing is None:
        return []
    notes = []
    for paths, what, partner in (
        (pairing.unpaired_truth, "ground truth file", "a prediction"),
        (pairing.unpaired_prediction, "prediction file", "a ground truth"),
    ):
        if paths:
            n = len(paths)
            were = "was" if n == 1 else "were"
            notes.append(
                f"{n} {what}{'s' if n > 1 else ''} without {partner} {were} left out: "
                f"{_named(paths)}"
            )
    return notes


def likely_wrong_status(result: FilesResult) -> str:
    """What the status line says of a run's notices that say its numbers are likely wrong
    (``likely_wrong``: a map's channel 0 likely background, unannotated pixels scored as a
    class, ...): the first in the tab's words and how many more, or "" when there are none.
    The notifications that tell each go away; the status line keeps it.

    Parameters
    ----------
    result : FilesResult
        A run's result.

    Returns
    -------
    str
        The sentences to add to the status line (starting with a space), or "".
    """
    wrong = [notice for notice in file_notices(result.notices) if notice.likely_wrong]
    if not wrong:
        return ""
    more = len(wrong) - 1
    others = f" (and {more} more such notice{'s' if more > 1 else ''})" if more else ""
    return f" Likely wrong: {wrong[0].text(DOCK_OPTIONS)}{others} See the notifications."


def result_notes(result: FilesResult) -> list[str]:
    """What a run's per-image table says that a user should be told, and the tables alone
    do not: that no predicted object matched a true object in any pair whose truth and
    prediction both have objects (at the run's matching at 0.5: folders or suffixes that
    pick the wrong files, e.g. the raw images as the ground truth), and the ground truth
    files without objects (each such row's recall is undefined), named in one note.

    Whether a truth file has no background (no 0 pixel) is not said: neither the per-image
    table nor the result records a pair's background.

    Parameters
    ----------
    result : FilesResult
        A run's result.

    Returns
    -------
    list of str
        The notes (none on a run of good pairs).
    """
    per_image = result.per_image
    if not {"n_true", "n_pred"} <= set(per_image.columns):
        return []  # no objects counted (a semantic run)
    scored = per_image[per_image["error"].astype(str) == ""]
    notes = []
    dataset = result.datasets.get("instance")
    pooled = getattr(dataset, "pooled", None)
    both = scored[(scored["n_true"] > 0) & (scored["n_pred"] > 0)]
    if pooled is not None and "tp" in pooled and len(both):
        at_half = pooled[np.isclose(pooled["threshold"].astype(float), 0.5)]
        if len(at_half) and int(at_half["tp"].iloc[0]) == 0:
            matching = catalogue.Matching.of(result.settings)
            notes.append(
                matching.rewrite(
                    f"no predicted object matched a true object at IoU ≥ 0.5 in any pair ("
                    f"{len(both)} pair{'s' if len(both) > 1 else ''} with objects on both "
                    "sides): check the folders and suffixes (are the ground truth files label "
                    "images, not the raw images, and the predictions the model's?)"
                )
            )
    empty = scored[scored["n_true"] == 0]
    if len(empty):
        n = len(empty)
        notes.append(
            f"{n} ground truth file{'s have' if n > 1 else ' has'} no objects (outside ignored "
            f"pixels): {_named(empty['truth'].astype(str).tolist())}; every predicted object "
            f"there is a false positive and the recall is undefined (blank). "
            f"{'Are they the files' if n > 1 else 'Is it the file'} you meant?"
        )
    return notes


def parse_spacing(text: str) -> tuple[float, ...] | str | None:
    """The spacing field: one number for every axis, or one per axis; ``"file"``: each pair's
    from its files; empty: None (pixels).

    Examples
    --------
    >>> parse_spacing("2, 0.5 0.5"), parse_spacing(""), parse_spacing(" File ")
    ((2.0, 0.5, 0.5), None, 'file')
    """
    parts = text.replace(",", " ").replace(";", " ").split()
    if not parts:
        return None
    if len(parts) == 1 and parts[0].lower() == "file":
        return "file"
    try:
        return tuple(float(part) for part in parts)
    except ValueError:
        raise ValueError(
            f"spacing {text!r}: write one number for every axis (e.g. 0.5), one per axis "
            "(e.g. 2, 0.5, 0.5), or 'file' (each pair's from its files)."
        ) from None


#: The settings a preset sets (:class:`~napari_seg_eval.core.presets.Preset`'s fields), by
#: ``evaluate_files``' keywords, as the tab's controls show them.
PRESET_FIELDS = ("kind", "iou_thresholds", "criterion", "exclude_border")


def with_preset_fields(settings: dict[str, Any]) -> dict[str, Any]:
    """The tab's run keywords (:meth:`DatasetPanel.settings`) with the fields their preset
    sets written out (:data:`PRESET_FIELDS`; the preset stays named), so that the settings
    of a preset's run and of the controls changed after it compare field by field.

    Examples
    --------
    >>> fields = with_preset_fields({"preset": "neurips2022"})
    >>> fields["exclude_border"], fields["iou_thresholds"], fields["kind"]
    (2, (0.5,), 'instance')
    """
    name = settings.get("preset")
    if name is None:
        return settings
    preset = PRESETS[name]
    fields = {
        "kind": "instance",  # a preset's kind (see settings)
        "iou_thresholds": tuple(parse_iou_thresholds(thresholds_text(preset.iou_thresholds))),
        "criterion": preset.criterion,
        "exclude_border": preset.exclude_border,
    }
    return {**fields, **settings}


def check_settings(settings: dict[str, Any]) -> FileSettings:
    """The :class:`~napari_seg_eval.io.evaluate.FileSettings` of ``evaluate_files`` keywords
    (:func:`~napari_seg_eval.io.evaluate.file_settings`), or the ValueError the run would
    raise (class suffixes and a preset's needs said in the tab's words).

    Parameters
    ----------
    settings : dict
        Keywords of :func:`~napari_seg_eval.io.evaluate_files` (as
        :meth:`DatasetPanel.settings` gives them); the files are not read.

    Returns
    -------
    FileSettings

    Raises
    ------
    ValueError
        The settings, or their combination, are refused.

    Examples
    --------
    >>> check_settings({"preset": "neurips2022"}).exclude_border
    2
    >>> check_settings({"preset": "coco"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the COCO mask AP preset needs probability maps ...
    """
    preset = settings.get("preset")
    truth_classes = settings.get("truth_classes_suffix")
    class_axis = settings.get("probability") and settings.get("channel_axis") is not None
    prediction_classes = settings.get("prediction_classes_suffix")
    if (truth_classes is None) != (prediction_classes is None) and not (
        class_axis and prediction_classes is None
    ):
        raise ValueError(
            "class images are found by two suffixes, one per side: give both (Options, Class "
            "images) or neither; probability maps with a class axis (the header's Channel "
            "axis) need the truth's alone, the prediction's classes then being the map's."
        )
    if preset in PRESET_NEEDS:
        title = PRESETS[preset].title
        if preset == "conic" and truth_classes is None:
            raise ValueError(
                f"the {title} preset needs class images of both sides: give their suffixes "
                "under Options, Class images (e.g. _classes)."
            )
        if preset == "coco" and not settings.get("probability"):
            raise ValueError(
                f"the {title} preset needs probability maps as predictions (an object's score "
                'is its mean probability): tick "predictions are probability maps".'
            )
    return file_settings(**settings)


def _state_of(pairing: Pairing | None, settings: dict[str, Any] | None) -> tuple:
    """What a run's results depend on: its pairs, and its settings (without those for
    probability maps when the predictions are labels)."""
    pairs = tuple(pairing.pairs) if pairing is not None else None
    if settings is not None and not settings["probability"]:
        settings = {k: v for k, v in settings.items() if k not in PROBABILITY_ONLY}
    return pairs, settings


def run_companions(
    name: str, truth: Path, prediction: Path, settings: FileSettings
) -> tuple[dict[str, Path], list[str]]:
    """The class images and region mask a run found beside the pair ``name`` (as
    :func:`~napari_seg_eval.io.evaluate_files` finds them, by the run's suffixes), by side of
    :data:`RUN_COMPANIONS`; and why those not found were not.

    Examples
    --------
    >>> run_companions("000", Path("gt/000.tif"), Path("pred/000.tif"), FileSettings())
    ({}, [])
    """
    pairing = Pairing([(truth, prediction)], [name])
    found: dict[str, Path] = {}
    why = []
    if settings.with_classes:
        _, (classes,) = class_files(
            pairing, settings.truth_classes_suffix, settings.prediction_classes_suffix
        )
        if isinstance(classes, str):
            why.append(f"no class images: {classes}")
        else:
            found["truth_classes"] = classes[0]
            if classes[1] is not None:  # None: the prediction's classes are the map's
                found["prediction_classes"] = classes[1]
    if settings.region_suffix is not None:
        _, (region,) = find_region_files(pairing, settings.region_suffix)
        if isinstance(region, str):
            why.append(f"no region: {region}")
        else:
            found["region"] = region
    return found, why


def run_spacing(settings: FileSettings, row: pd.Series) -> tuple[tuple[float, ...], str] | None:
    """The pixel size in which a run measured the boundary distances of the pair of its
    per-image ``row``: the run's spacing (one size for every axis, or one per axis; no unit),
    or with ``spacing="file"`` the one read from the pair's files (the row's ``spacing`` and
    ``spacing_unit``). None without boundary metrics or without a spacing (pixels).

    Examples
    --------
    >>> run_spacing(FileSettings(boundary=True, spacing=(2, 0.5)), pd.Series(dtype=object))
    ((2.0, 0.5), '')
    >>> row = pd.Series({"spacing": "0.25,0.5", "spacing_unit": "µm"})
    >>> run_spacing(FileSettings(boundary=True, spacing="file"), row)
    ((0.25, 0.5), 'µm')
    >>> run_spacing(FileSettings(), row) is None
    True
    """
    if not settings.boundary or settings.spacing is None:
        return None
    if settings.spacing == "file":
        sizes = tuple(float(size) for size in str(row["spacing"]).split(","))
        return sizes, str(row["spacing_unit"])
    return settings.spacing, ""


def pixel_size_note(truth: str | Path, *, boundary: bool, split: bool) -> str | None:
    """The note that the file ``truth`` (a run's first pair's) gives a pixel size in its
    metadata, which the run's ``boundary`` distances and its ``split`` of touching objects
    (probability maps with "split touching objects") do not use with the spacing box empty:
    the command line's note (``napari-seg-eval evaluate`` without ``--spacing``) in the tab's
    words. None where :func:`~napari_seg_eval.io.read.unused_pixel_size` (the one rule of
    both notes) finds none to say: neither asked, no pixel size for every axis in the file,
    1 on every axis (pixels), for the split alone the same size on every axis (the split is
    then the same), or a file that cannot be read (the run says why).

    Parameters
    ----------
    truth : str or Path
        The truth file (or zarr folder) whose metadata are read.
    boundary : bool
        Whether the run computes boundary metrics.
    split : bool
        Whether the run splits touching objects of probability maps.

    Returns
    -------
    str or None
        The note, or None.

    Examples
    --------
    >>> pixel_size_note("frames.npy", boundary=True, split=False) is None  # no metadata
    True
    """
    size = unused_pixel_size(truth, boundary=boundary, split=split)
    if size is None:
        return None
    uses = " and ".join(
        used
        for used, asked in (
            ("boundary distances (and τ)", boundary),
            ("the split of touching objects", split),
        )
        if asked
    )
    sizes = spacing_text((size.sizes, size.unit))
    return (
        f"{Path(truth).name} gives a pixel size of {sizes} in its metadata, but {uses} "
        f"{'are' if boundary else 'is'} in pixels while the spacing box (Options) is empty: "
        f"write 'file' there to use each pair's pixel size from its files (or "
        f"{', '.join(f'{value:.7g}' for value in size.sizes)})."
    )


def spacing_text(spacing: tuple[tuple[float, ...], str]) -> str:
    """A pixel size (sizes, unit) in words.

    Examples
    --------
    >>> spacing_text(((2.0, 0.5, 0.5), "µm")), spacing_text(((0.25,), ""))
    ('2, 0.5, 0.5 µm', '0.25')
    """
    sizes, unit = spacing
    return ", ".join(f"{size:.7g}" for size in sizes) + (f" {unit}" if unit else "")


def _read_with_pixel_size(
    read: Callable[[], dict[str, Any]], truth: Path | None
) -> tuple[dict[str, Any], PixelSize | None]:
    """The pair's arrays (``read()``) and, given its ``truth`` file, the pixel size its
    metadata give for every axis (None where they give none, or for an axis); runs in a
    worker."""
    data = read()
    size = None if truth is None else file_pixel_size(truth)
    return data, None if size is None or None in size.sizes else size


def _same_setting(then: Any, now: Any, viewer: Viewer) -> bool:
    """Whether a setting of :meth:`DatasetPanel._open_state` is as it was: layers by
    identity, pairs of them each; a layer since gone from the viewer (with the pair shown
    before) is no choice of the user's."""
    if isinstance(then, tuple):
        return all(_same_setting(a, b, viewer) for a, b in zip(then, now, strict=True))
    if isinstance(then, Layer):
        return then is now or then not in viewer.layers
    return not isinstance(now, Layer) and then == now


def _read_pair(
    files: dict[str, Path], probability: bool, channel_axis: int | None = None
) -> dict[str, Any]:
    """Open the pair's files (lazily where they are large); runs in a worker. A prediction
    read as a probability map is read with the run's class axis ``channel_axis`` (a map
    stored as an RGB(A) TIFF, classes last, is then read as classes: see
    :func:`~napari_seg_eval.io.read_probabilities`)."""
    prediction = partial(read_probabilities, channel_axis=channel_axis)
    readers = {
        "image": _read_image,
        "probability": read_probabilities,
        "truth": read_labels,
        "prediction": prediction if probability else read_labels,
    }
    return {side: readers.get(side, read_labels)(path) for side, path in files.items()}


#: The sides of a pair whose file is a 3-D frame when the truth is a 2-D slice of it: shown on
#: the slice's plane.
PLANE_SIDES = ("prediction", "image", "probability")


def _read_slice_pair(
    files: dict[str, Path], probability: bool, plane: int, channel_axis: int | None
) -> dict[str, Any]:
    """Open the files of a pair whose truth is a 2-D slice (as :func:`_read_pair`): those of
    :data:`PLANE_SIDES` give their ``plane`` alone (along their first axis that is not a
    probability map's ``channel_axis``); runs in a worker."""
    whole = {side: path for side, path in files.items() if side not in PLANE_SIDES}
    return {
        **_read_pair(whole, probability, channel_axis),
        **{
            side: _read_plane(side, files[side], plane, probability, channel_axis)
            for side in PLANE_SIDES
            if side in files
        },
    }


def _read_plane(
    side: str, path: Path, plane: int, probability: bool, channel_axis: int | None
) -> Any:
    """The plane ``plane`` of the file of a pair's ``side`` (see :func:`_read_slice_pair`): an
    image as stored, a probability map (the probability side, or the prediction with
    ``probability``) scaled as :func:`read_probabilities` reads it, labels checked as
    :func:`read_labels` checks them (a notice warned, as they warn it)."""
    if side == "image":
        return read_plane(path, plane)
    as_map = side == "probability" or probability
    cut = read_plane(path, plane, labels=not as_map, channel_axis=channel_axis if as_map else None)
    array, notice = (checked_probabilities if as_map else checked_labels)(cut, path)
    for warning in file_notices([] if notice is None else [notice]):
        warn(warning)
    return array


def _is_labels(array: Any) -> bool:
    """Whether a pair's truth or prediction is opened as labels (an integer array), not as
    a probability map, as :func:`~napari_seg_eval._napari.layers.open_pair` tells them."""
    return np.dtype(array.dtype).kind in "biu"


def _read_image(path: Path) -> Any:
    """An image file of any dtype, for display only (lazily where it is large)."""
    return chunked_if_large(open_image(path))
