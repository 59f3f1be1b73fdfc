"""The Runs tab: every evaluation kept as a run; rename, delete, save, load, compare, report.

Comparing two runs paints the true objects fixed and broken by B in a layer over the truth,
opaque, in colours of their own (:data:`~napari_seg_eval.core.compare.CHANGE_COLORS`: fixed
green, broken lavender, apart from the Review tab's error colours and from the confidence
colormap; a legend above the table); the layer is named briefly, its label values as a key
("run 2 vs run 1: 1 = fixed, 2 = broken") and hovering an object says its change. The compared
layers (the truth, both predictions, a probability map the predictions were made from, and our
layers made of them) are hidden when it first appears, as the Review tab's error layer hides
its own; a notice names them, and removing that layer shows them again (those the user has not
shown or hidden since). The comparison's tables show what a user reads first, first: the
metric's label, A, B and B − A (the API key last); the fixed or broken object, its change and
each run's IoU and partner. The runs table shows a value with its interval as text on two
lines; its Copy and Export CSV give numbers: the value, then the interval's bounds in two
columns after it. Selecting a row of the fixed/broken table centres and zooms the viewer on
that true object (its bounding box in the truth) and moves the sliders to it, as the Review
table does. The legend's tooltips and the status say how the runs matched their objects (their
criterion at 0.5; of multi-class runs, within each class), and the comparison's tables'
definition cards hold its notes; runs that matched their objects differently (another
criterion, other thresholds) have the values that differ marked and the status says which.
**Agreement…** compares two Labels layers as two annotations
(:func:`~napari_seg_eval.runs.agreement`) and keeps the result as an agreement run, listed
beside the model runs.

Runs of unchanged layers share their images (:func:`~napari_seg_eval.evaluation.shared_array`).
The tab says what they keep in memory: each run's images, and what deleting it would free, in
the tooltip of its name; the total in the Delete button's tooltip and, from 1 GiB, on a line
under the list (in the warning colour, with one warning, past a quarter of the computer's
memory). Deleting runs frees what only they held (their intervals' worker is stopped, a
comparison of them cleared); the status says how much.

The runs live in a module-level registry, one :class:`~napari_seg_eval.runs.Runs` per viewer,
not on the widget: closing the dock and opening it again shows the same runs for the rest of
the session. The tab is a thin view: the runs, comparisons and reports are made by
:mod:`napari_seg_eval.runs` and :mod:`napari_seg_eval.report`.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
import weakref
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from napari.layers import Image, Labels, Layer
from napari.utils.notifications import show_info, show_warning
from napari.viewer import Viewer
from qtpy.QtCore import Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from scipy import ndimage

from .._jobs import Job
from .._napari.error_colors import change_colormap
from .._napari.layers import TAG, tag, world_settings
from .._napari.probability import level0
from ..core import catalogue
from ..core.blocks import as_dask, is_lazy
from ..core.compare import CHANGE_COLORS, bootstrap_objects
from ..evaluation import Evaluation, RunControl
from ..report import write_report
from ..runs import (
    IMAGE_AGGREGATES,
    PATH_COLUMNS,
    RUN_COLUMNS,
    AlreadyLoadedWarning,
    Comparison,
    Run,
    Runs,
    agreement,
    folder_name_key,
    holds_words,
    images_held,
    matching_note,
    matching_words,
    memory_owner,
    over_thresholds,
    record_images,
    run_folder_name,
    table_column,
)
from .review import fill_legend, hidden_notice, untouched
from .tables import (
    DataFrameModel,
    ResultTable,
    column_card,
    dock_shade,
    numbers_shown,
    short_label,
    stale_style,
)

#: One collection of runs per viewer, for the session (dropped when the viewer goes).
_REGISTRY: dict[int, Runs] = {}
#: Values of the comparison layer.
FIXED, BROKEN = 1, 2
#: The comparison layer's values -> their change (and colour, ``CHANGE_COLORS``).
CHANGE_VALUES = {FIXED: "fixed by B", BROKEN: "broken by B"}
#: Longest a run's name is in the comparison layer's name (a longer one is cut, with "…").
LAYER_NAME_RUN = 24
#: The legend of the comparison layer: (change, what it means), ``{matching}`` how the runs
#: matched their objects (:attr:`~napari_seg_eval.runs.Comparison.matching`).
CHANGE_LEGEND = (
    ("fixed by B", "a true object B matches and A does not (matched at {matching})"),
    ("broken by B", "a true object A matches and B does not (matched at {matching})"),
)
ROLE = "comparison"
#: Margin around an object zoomed to: this fraction of its size, at least this many pixels.
ZOOM_MARGIN, ZOOM_MIN_PIXELS = 0.5, 8


def runs_for(viewer: Viewer) -> Runs:
    """The runs of ``viewer`` (created on first use, kept while the viewer lives)."""
    key = id(viewer)
    if key not in _REGISTRY:
        _REGISTRY[key] = Runs()
        weakref.finalize(viewer, _REGISTRY.pop, key, None)
    return _REGISTRY[key]


#: The runs table's columns shown before the headline metrics: what tells runs of one
#: prediction apart (the threshold of a probability map; shown when a run has one).
BEFORE_METRICS = ("name", "threshold")
#: The runs table's columns shown after the headline metrics: those of
#: :data:`~napari_seg_eval.runs.RUN_COLUMNS` but the ones before, the paths last (they are
#: long).
AFTER_METRICS = (
    *(
        column
        for column in RUN_COLUMNS
        if column not in BEFORE_METRICS and column not in PATH_COLUMNS
    ),
    *PATH_COLUMNS,
)
#: The tooltip line of a metric's column shared by one-image and dataset runs.
SHARED_TIP = (
    "One-image runs: the image's value. Dataset runs: pooled over the images (counts summed, "
    "then the ratio); their image mean is in the column '{mean}'. Under each value, its bootstrap "
    "interval."
)
#: ... and of the image mean beside it.
MEAN_TIP = (
    "Dataset runs: the {aggregate} of the per-image values. One-image runs: the image's own "
    "value (the {aggregate} over one image)."
)
THRESHOLD_TIP = (
    "The probability threshold the prediction was made at (foreground where p > t); empty "
    "when the prediction was labels"
)
#: The line under the header of a metric the runs listed define differently (they matched
#: their objects by other criteria or thresholds).
MIXED_HEADER = "matched differently"
#: The head of that header's tooltip; each group of runs' definition follows.
MIXED_TIP = (
    "The runs matched their objects differently: this column's values are not the same "
    "quantity in every row (each cell's tooltip has its run's definition)."
)
#: ... of a mean over thresholds the runs matched at different ones (one definition, worded
#: alike for all); each group of runs' thresholds follows, then the definition.
MIXED_THRESHOLDS_TIP = (
    "The runs matched their objects at different thresholds: this column's values are means "
    "over different thresholds, not the same quantity in every row (each cell's tooltip says "
    "its run's thresholds)."
)
#: The head of the tooltip of such a mean's cell: its run's thresholds.
RUN_THRESHOLDS_TIP = (
    "Run {name!r} matched at {matching}: this value is the mean over its thresholds."
)


def metrics_first(columns: Sequence[str]) -> list[str]:
    """The order of the runs table's columns as shown: the name (and threshold), the headline
    metrics, then the others.

    Parameters
    ----------
    columns : sequence of str
        The columns of :meth:`~napari_seg_eval.runs.Runs.table` (name, created, kind, paths,
        ..., then the headline metrics).

    Returns
    -------
    list of str
        The same columns, with :data:`BEFORE_METRICS` first, the headline metrics right after
        them (in their order) so that a dock of the usual width shows them, and
        :data:`AFTER_METRICS` after them, the paths last.

    Examples
    --------
    >>> metrics_first(["name", "created", "kind", "threshold", "truth", "f1_50", "aji"])
    ['name', 'threshold', 'f1_50', 'aji', 'created', 'kind', 'truth']
    """
    before = [column for column in BEFORE_METRICS if column in columns]
    after = [column for column in AFTER_METRICS if column in columns]
    metrics = [column for column in columns if column not in before and column not in after]
    return [*before, *metrics, *after]


def shown_table(runs: Runs) -> pd.DataFrame:
    """The runs table as the tab shows it: headline values with their confidence interval as
    ``0.874 [0.851, 0.893]``; the threshold as text (empty for a prediction of labels), or
    no threshold column when no run has one."""
    table = runs.table()
    shown = table.copy()
    for row, run in enumerate(runs):
        for key, (low, high) in run.intervals.iterrows():
            column = table_column(run, key)
            if column in shown and np.isfinite(low) and np.isfinite(high):
                value = shown.at[row, column]
                shown[column] = shown[column].astype(object)
                shown.at[row, column] = f"{value:.4f} [{low:.4f}, {high:.4f}]"
    if table["threshold"].isna().all():
        return shown.drop(columns="threshold")
    shown["threshold"] = [f"{t:g}" if np.isfinite(t) else "" for t in table["threshold"]]
    return shown


#: The threshold column's header: with its values it reads "p > 0.5".
THRESHOLD_HEADER = "p >"
#: Widest the name column is sized (pixels): a longer name is elided, whole in its tooltip.
NAME_WIDTH = 150
#: What a value shown with its interval is (the tooltip of its cell).
INTERVAL_TIP = "the value [its bootstrap interval]"
#: A value shown with its interval: ``0.8740 [0.8510, 0.8930]``.
_WITH_INTERVAL = re.compile(r"^(\S+) \[(\S+), (\S+)\]$")


def short_header(column: str, matching: catalogue.Matching | None = None) -> str:
    """The runs table's header of ``column``: a metric's short label (one line, as narrow as
    its values), an image aggregate's on two lines; the catalogue's label is in the tooltip.

    Parameters
    ----------
    column : str
        A column of the runs table.
    matching : Matching, optional
        How the runs matched their objects, which the labels say (None: IoU at several
        thresholds, as the catalogue writes them).

    Returns
    -------
    str
        The header.

    Examples
    --------
    >>> short_header("mean_accuracy"), short_header("f1_50_image_mean")
    ('mAP (DSB)', 'F1 @ 0.5\\nimage mean')
    >>> short_header("threshold"), short_header("truth")
    ('p >', 'truth')
    """
    if column == "threshold":
        return THRESHOLD_HEADER
    aggregate = next((a for a in IMAGE_AGGREGATES if column.endswith(a)), None)
    if aggregate is not None:
        base = column.removesuffix(aggregate)
        return f"{short_header(base, matching)}\n{aggregate.removeprefix('_').replace('_', ' ')}"
    return short_label("dataset.summary", column, matching)


def two_lines(text: str) -> str:
    """A value with its interval as two narrow lines: the value, then the interval's bounds to
    three decimals (the whole text is in the cell's tooltip and in copies and exports).

    Parameters
    ----------
    text : str
        A cell's text.

    Returns
    -------
    str
        ``text``, or its two lines when it is a value with its interval.

    Examples
    --------
    >>> two_lines("0.8740 [0.8510, 0.8930]")
    '0.8740\\n0.851–0.893'
    >>> two_lines("run 1")
    'run 1'
    """
    found = _WITH_INTERVAL.match(text)
    if found is None:
        return text
    value, low, high = found.groups()
    return f"{value}\n{float(low):.3f}–{float(high):.3f}"


class RunsModel(DataFrameModel):
    """The runs table's model, narrow enough for the dock: short headers
    (:func:`short_header`), values with their interval on two lines (:func:`two_lines`).
    The tooltip of a metric's header says that it holds a one-image run's value and a
    dataset run's pooled value (when a dataset run's image mean is beside it), and that of
    the image mean what a one-image run has there; a cell's tooltip has its whole text.
    A run kept out of date (an input changed while it ran) has the reason at the head of its
    cells' tooltips (:data:`STALE_RUN_TIP`; :attr:`stale`: run name -> reason).

    Labels and cards are in the words of the runs' matching (:attr:`matchings`): the headers
    in the one all runs share; a cell's card in its run's; a metric the runs define
    differently says so under its header (:data:`MIXED_HEADER`), and its header's tooltip
    gives each definition with the runs it is of. So does a mean over thresholds the runs
    matched at different ones (AP (DSB)): its header's tooltip gives each run's thresholds,
    and each cell's its run's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stale: dict[str, str] = {}  # set by RunsPanel.refresh
        #: Run name -> the memory its images take (:func:`run_memory_tip`), at the head of
        #: its name's tooltip; set by RunsPanel.refresh.
        self.memory: dict[str, str] = {}
        #: How each run (by name) matched its objects; set by RunsPanel.refresh, which gives
        #: the one all share as :attr:`matching` (None when they differ).
        self.matchings: dict[str, catalogue.Matching] = {}
        #: The runs' values as numbers with their intervals' bounds
        #: (:meth:`~napari_seg_eval.runs.Runs.table` with ``intervals``), which Copy and
        #: Export CSV give; set by RunsPanel.refresh.
        self.numbers = pd.DataFrame()

    def export_frame(self) -> pd.DataFrame:
        """The table as Export CSV writes it: the API's column names, every value a number
        (not its text shown), a value's interval in ``<column>_low`` and ``<column>_high``
        right after it (:meth:`numbers_shown`)."""
        return self.numbers_shown(range(self._frame.shape[1]))

    def shown_columns(self, columns: Sequence[int]) -> pd.DataFrame:
        """The columns ``columns`` (positions) as Copy gives them: the headers shown, the
        values as numbers in full precision, a value's interval in two columns after it
        ("F1 @ 0.5 low", "F1 @ 0.5 high"; :meth:`numbers_shown`)."""
        return self.numbers_shown(columns, [self.shown_header(section) for section in columns])

    def numbers_shown(
        self, columns: Sequence[int], headers: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The columns ``columns`` (positions) as numbers, rows in the order shown
        (:func:`~napari_seg_eval._qt.tables.numbers_shown`): the values of :attr:`numbers` (a
        threshold, a value without the interval the table shows with it), each value's
        interval bounds as two more columns right after it; a column :attr:`numbers` lacks
        as shown. Named after ``headers`` (the headers shown, on one line), else the keys."""
        numbers = self.numbers
        if "name" in self._frame.columns and "name" in numbers.columns:
            numbers = numbers.set_index("name").reindex(self._frame["name"].to_numpy())
        else:
            numbers = pd.DataFrame(index=self._frame.index)
        return numbers_shown(self._frame, numbers, columns, headers, ends=("_low", "_high"))

    def value_card(self, row: int, column: int) -> str:
        """The card of a value in the words of its run's matching; of a mean over thresholds
        the runs matched at different ones, after its run's thresholds
        (:data:`RUN_THRESHOLDS_TIP`)."""
        shared, name = self.matching, None
        if "name" in self._frame.columns:
            name = str(self._frame["name"].iat[row])
            self.matching = self.matchings.get(name, shared)
        try:
            card = super().value_card(row, column)
        finally:
            self.matching = shared
        if name in self.matchings and self.other_thresholds(str(self._frame.columns[column])):
            words = matching_words(self.matchings[name])
            card = f"{RUN_THRESHOLDS_TIP.format(name=name, matching=words)}\n\n{card}"
        return card

    def other_thresholds(self, column: str) -> bool:
        """Whether ``column`` is a mean over thresholds (:func:`over_thresholds`) and the runs
        listed matched at different sets of them."""
        sets = {frozenset(matching.thresholds) for matching in self.matchings.values()}
        return len(sets) > 1 and over_thresholds(column)

    def mixed_cards(self, column: str) -> str:
        """The definitions of ``column`` the runs listed differ in, each after the runs it is
        of and how they matched their objects, under :data:`MIXED_TIP`; of a mean over
        thresholds defined alike but over different thresholds, each group of runs' and then
        the definition, under :data:`MIXED_THRESHOLDS_TIP`; "" when all runs define it alike."""
        groups: dict[catalogue.Matching, list[str]] = {}
        for name, matching in self.matchings.items():
            groups.setdefault(matching, []).append(name)
        cards = {matching: column_card(self.table, column, matching) for matching in groups}
        different = len(set(cards.values())) > 1
        if not different and not self.other_thresholds(column):
            return ""
        parts = [
            f"{', '.join(map(repr, names))} ({matching_words(matching)})"
            + (f": {cards[matching]}" if different else "")
            for matching, names in groups.items()
        ]
        if different:
            return "\n\n".join([MIXED_TIP, *parts])
        return "\n\n".join([MIXED_THRESHOLDS_TIP, *parts, next(iter(cards.values()))])

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        shown = super().data(index, role)
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            reason = self._stale_reason(index.row())
            memory = self._memory_tip(index)
            if reason or memory:
                tip = self._text_data(index, role, shown)
                stale = STALE_RUN_TIP.format(reason=reason) if reason else ""
                return "\n\n".join(x for x in (stale, memory, tip) if x)
        return self._text_data(index, role, shown)

    def _memory_tip(self, index) -> str:
        """The memory the run of ``index``'s row keeps, for its name's tooltip ("" else)."""
        columns = self._frame.columns
        if not self.memory or "name" not in columns or columns[index.column()] != "name":
            return ""
        return self.memory.get(str(self._frame["name"].iat[index.row()]), "")

    def _stale_reason(self, row: int) -> str | None:
        """Why the run of ``row`` was out of date when it was kept (None: it was not)."""
        if not self.stale or "name" not in self._frame.columns:
            return None
        return self.stale.get(str(self._frame["name"].iat[row]))

    def _text_data(self, index, role: int, shown):
        """A value with its interval on two lines, its tooltip saying what the interval is."""
        if role not in _TEXT_ROLES or not index.isValid():
            return shown
        text = self._frame.iat[index.row(), index.column()]
        if not isinstance(text, str) or _WITH_INTERVAL.match(text) is None:
            return shown
        if role == Qt.ItemDataRole.DisplayRole:
            return two_lines(text)
        return "\n\n".join(tip for tip in (f"{text}: {INTERVAL_TIP}", shown) if tip)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        header = super().headerData(section, orientation, role)
        if orientation != Qt.Orientation.Horizontal or section >= self._frame.shape[1]:
            return header
        column = str(self._frame.columns[section])
        mixed = ""  # the runs define the column differently: said in its text and tooltip
        if role in _TEXT_ROLES and self.matching is None and self.matchings:
            mixed = self.mixed_cards(column)
        if role == Qt.ItemDataRole.DisplayRole:
            shown = short_header(column, self.matching)
            return f"{shown}\n{MIXED_HEADER}" if mixed else shown
        if role != Qt.ItemDataRole.ToolTipRole:
            return header
        if mixed:
            header = f"{mixed}\n(column {column})"
        columns = set(self._frame.columns)
        mean = column + IMAGE_AGGREGATES[0]
        if mean in columns and catalogue.metric(self.table, column) is not None:
            return f"{SHARED_TIP.format(mean=catalogue.label(self.table, mean))}\n\n{header}"
        aggregate = next((a for a in IMAGE_AGGREGATES if column.endswith(a)), None)
        if aggregate is not None:
            tip = MEAN_TIP.format(aggregate=aggregate.removeprefix("_image_"))
            return f"{tip}\n\n{header}"
        if column == "threshold":
            return THRESHOLD_TIP
        return header


#: The comparison's headline table as shown: what a user reads first, first (the metric's
#: label, A, B, B − A and, of datasets, the interval of B − A), the API's key last.
HEADLINE_FIRST = ("label", "a", "b", "difference", "low", "high")
HEADLINE_LAST = ("better", "metric")
#: Its headers and their tooltips (``{a}``, ``{b}``: the runs' names).
HEADLINE_HEADERS = {
    "label": ("metric", "The metric (its key, as scripts name it, in the last column)"),
    "a": ("A", "The value of run A, {a!r}"),
    "b": ("B", "The value of run B, {b!r}"),
    "difference": ("B − A", "B's value minus A's"),
    "low": ("B − A low", "The paired bootstrap interval of B − A over the images: its low end"),
    "high": ("B − A high", "The paired bootstrap interval of B − A over the images: its high end"),
    "better": ("better", "Which way is better: higher, or lower (a distance such as HD95)"),
    "metric": ("key", "The metric's key, as the API and the command line's files name it"),
}
#: The table of objects fixed or broken as shown: the object, its change and each run's IoU
#: and partner first; whether each run matched it (what the change says) last.
OBJECTS_FIRST = ("label", "change", "iou_a", "iou_b", "partner_a", "partner_b", "class")
OBJECTS_LAST = ("matched_a", "matched_b")
#: Its headers (the longer on two lines: the IoU and partners stay in a dock of the usual
#: width) and their tooltips.
OBJECT_HEADERS = {
    "label": ("true\nobject", "The true object's label (id) in the truth"),
    "change": (
        "change",
        "fixed by B: run B matches the object and run A does not; broken by B: A matches it "
        "and B does not",
    ),
    **{
        f"iou_{side}": (
            f"IoU {side.upper()}",
            f"IoU of the object with its partner in run {side.upper()}, {{{side}!r}}; 0 when "
            "that run did not match it (no partner), as the Review table gives an object "
            "without a partner",
        )
        for side in "ab"
    },
    **{
        f"partner_{side}": (
            f"partner\n{side.upper()}",
            f"The predicted object run {side.upper()}, {{{side}!r}}, matched to it (0: none)",
        )
        for side in "ab"
    },
    "class": ("class", "The true object's class (multi-class runs)"),
    **{
        f"matched_{side}": (
            f"matched\n{side.upper()}",
            f"Whether run {side.upper()}, {{{side}!r}}, matched the object",
        )
        for side in "ab"
    },
}


class ComparisonModel(DataFrameModel):
    """A table of a comparison of two runs, with short headers.

    Parameters
    ----------
    headers : mapping of str to (str, str)
        Column -> its header and the header's tooltip, where ``{a}`` and ``{b}`` are the
        runs' names (:attr:`runs`); other columns have the catalogue's.
    parent : QObject, optional
    """

    def __init__(self, headers: dict[str, tuple[str, str]], parent=None):
        super().__init__(parent=parent)
        self.headers = headers
        #: The names of runs A and B compared; set by RunsPanel.compare.
        self.runs = ("A", "B")

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        shown = super().headerData(section, orientation, role)
        if orientation != Qt.Orientation.Horizontal or section >= self._frame.shape[1]:
            return shown
        column = str(self._frame.columns[section])
        if column not in self.headers or role not in _TEXT_ROLES:
            return shown
        header, tip = self.headers[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return header
        tip = tip.format(a=self.runs[0], b=self.runs[1])
        return self._with_note(f"{tip}\n(column {column})")


#: The head of the tooltips of a run kept out of date: why (the Evaluate tab's reason).
STALE_RUN_TIP = "Out of date when kept: {reason}. Run it again for results of the inputs now."
#: The roles whose text :class:`RunsModel` words for a value with its interval.
_TEXT_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)


#: What the Runs tab says while it holds no run.
RUNS_HINT = "Each evaluation you run is kept here; run one in Evaluate, or Load a result folder."
#: The title of the comparison's table of objects (one-image runs).
OBJECTS_TITLE = "Objects fixed or broken (B against A)"
#: The title of the same table for datasets: per image, each run's values and B − A.
IMAGES_TITLE = "Per image: A, B and B − A (largest change first)"
#: The per-image comparison's columns ``<key>_a``, ``<key>_b``, ``<key>_difference``: what
#: their headers add to the metric's short label, and their tooltips' heads.
_PER_IMAGE_SIDES = {
    "_a": ("A", "run A's value, {a!r}"),
    "_b": ("B", "run B's value, {b!r}"),
    "_difference": ("B − A", "B's value minus A's"),
}


def per_image_headers(columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    r"""The headers (and tooltips) of a dataset comparison's per-image columns: the metric's
    short label over the run (or B − A), as the Dataset tab's per-image table names it.

    Examples
    --------
    >>> per_image_headers(["name", "f1_50_a", "f1_50_difference"])["f1_50_difference"][0]
    'F1 @ 0.5\nB − A'
    """
    headers = {"name": ("image", "The image's name (its pair's)")}
    for column in columns:
        for end, (word, tip) in _PER_IMAGE_SIDES.items():
            if column.endswith(end):
                key = column.removesuffix(end)
                label = catalogue.label("dataset.per_image", key)
                shown = short_label("dataset.per_image", key)
                headers[column] = (f"{shown}\n{word}", f"{label}: {tip}")
                break
    return headers


#: The Runs tab's line on the memory the runs' images take (:func:`memory_note`).
MEMORY_NOTE = (
    "The runs keep {size} of images in memory (runs of unchanged layers share one copy). "
    "Deleting a run frees what no other run holds; Save… keeps runs on disk."
)
#: From what size the line is shown under the list (smaller, the Delete button's tooltip and
#: each run's say it): a session of small images is not told about memory.
MEMORY_NOTE_BYTES = 2**30
#: The Delete button's tooltip.
DELETE_TIP = (
    "Forget the selected runs and free the images no other run holds. The runs keep {size} "
    "of images in memory (each run's in the tooltip of its name)."
)
#: The part of the computer's memory the runs' images may take before the tab warns
#: (:func:`memory_limit`).
MEMORY_WARNING_SHARE = 0.25
#: The limit where the computer's memory is unknown (4 GiB, as :data:`MEMORY_WARNING` says).
MEMORY_WARNING_BYTES = 4 * 2**30
#: The warning (once, when the runs' images first take more than the limit).
MEMORY_WARNING = (
    "the runs keep {size} of images in memory, more than {limit}. Delete the runs you no "
    "longer need in the Runs tab (Save… first to keep them on disk)."
)
#: The head of a run's tooltip: the memory its images take (:func:`run_memory_tip`).
RUN_MEMORY_TIP = "Images in memory: {size} ({names})."


def size_text(nbytes: float) -> str:
    """A size in memory as a person reads it: bytes, KiB, MiB or GiB (powers of 1024).

    Parameters
    ----------
    nbytes : float
        The size in bytes.

    Returns
    -------
    str

    Examples
    --------
    >>> size_text(0), size_text(1536), size_text(20_000_000), size_text(1.25 * 2**30)
    ('0 B', '1.5 KiB', '19.1 MiB', '1.25 GiB')
    """
    if nbytes < 2**10:
        return f"{int(nbytes)} B"
    if nbytes < 2**20:
        return f"{nbytes / 2**10:.1f} KiB"
    if nbytes < 2**30:
        return f"{nbytes / 2**20:.1f} MiB"
    return f"{nbytes / 2**30:.2f} GiB"


def physical_memory() -> int | None:
    """The computer's memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name
        return None


def memory_limit() -> int:
    """How much memory the runs' images may take before the Runs tab warns:
    :data:`MEMORY_WARNING_SHARE` of the computer's, else :data:`MEMORY_WARNING_BYTES`."""
    total = physical_memory()
    return int(total * MEMORY_WARNING_SHARE) if total else MEMORY_WARNING_BYTES


def memory_note(nbytes: int) -> str:
    """The Runs tab's line on the ``nbytes`` the runs' images take ("" for none).

    Parameters
    ----------
    nbytes : int
        The memory the runs' images take (:func:`~napari_seg_eval.runs.images_held`).

    Returns
    -------
    str

    Examples
    --------
    >>> memory_note(0)
    ''
    >>> memory_note(3 * 2**30).split(" (")[0]
    'The runs keep 3.00 GiB of images in memory'
    """
    return MEMORY_NOTE.format(size=size_text(nbytes)) if nbytes else ""


def run_memory_tip(name: str, memory: pd.DataFrame, images: Sequence[str]) -> str:
    """The head of run ``name``'s tooltips: the memory its ``images`` take and what deleting
    it alone would free (``memory``: :meth:`~napari_seg_eval.runs.Runs.memory`); "" when it
    keeps none (a run loaded without images, a dataset run).

    Parameters
    ----------
    name : str
        The run's name.
    memory : pandas.DataFrame
        :meth:`~napari_seg_eval.runs.Runs.memory` of the runs listed.
    images : sequence of str
        The names of its images (:attr:`~napari_seg_eval.runs.Run.images`).

    Returns
    -------
    str

    Examples
    --------
    >>> memory = pd.DataFrame(
    ...     {"name": ["a"], "bytes": [2**30], "own": [2**29], "shared_with": [["b"]]}
    ... )
    >>> for line in run_memory_tip("a", memory, ["truth", "prediction"]).split(". "):
    ...     print(line)
    Images in memory: 1.00 GiB (truth, prediction)
    Shared with 'b': deleting it frees 512.0 MiB.
    """
    row = memory[memory["name"] == name]
    if row.empty or not row["bytes"].iat[0]:
        return ""
    tip = RUN_MEMORY_TIP.format(size=size_text(row["bytes"].iat[0]), names=", ".join(images))
    shared = row["shared_with"].iat[0]
    if not shared:
        return tip
    others, own = ", ".join(map(repr, shared)), size_text(row["own"].iat[0])
    return f"{tip} Shared with {others}: deleting it frees {own}."


class RunsPanel(QWidget):
    """The runs of this viewer side by side; compare two, write a report."""

    #: Emitted with a run when its intervals over objects are in (computed in a worker).
    intervals_done = Signal(object)

    def __init__(self, viewer: Viewer, owner: Any = None, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.runs = runs_for(viewer)
        self.comparison: Comparison | None = None

        self.hint_label = QLabel(RUNS_HINT, self)
        self.hint_label.setWordWrap(True)
        self.table = ResultTable("runs", parent=self, model=RunsModel(table="dataset.summary"))
        self.table.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("new name of the selected run")
        self.rename_button = QPushButton("Rename", self)
        self.rename_button.clicked.connect(lambda: self.rename_selected(self.name_edit.text()))
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.save_button = QPushButton("Save…", self)
        self.save_button.setToolTip(
            "Save every run to a folder (one subfolder per run; runs saved there before are kept)"
        )
        self.save_button.clicked.connect(lambda: self.save())
        self.load_button = QPushButton("Load…", self)
        self.load_button.setToolTip(
            "Load a run folder, a folder of runs, or a command-line result folder"
        )
        self.load_button.clicked.connect(lambda: self.load())
        self.compare_button = QPushButton("Compare", self)
        self.compare_button.setToolTip("Compare two selected runs: B (the later) against A")
        self.compare_button.clicked.connect(lambda: self.compare())
        self.report_button = QPushButton("Report…", self)
        self.report_button.setToolTip(
            "One HTML file of the comparison shown, or of the selected run"
        )
        self.report_button.clicked.connect(lambda: self.write_report())
        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)
        #: The memory the runs' images take (:func:`memory_note`); hidden while they keep none.
        self.memory_label = QLabel("", self)
        self.memory_label.setWordWrap(True)
        self.memory_label.setVisible(False)
        self._memory_warned = False  # the warning was given since the runs last fitted
        self.difference_table = ResultTable(
            "run differences", parent=self, model=ComparisonModel(HEADLINE_HEADERS)
        )
        self.legend_box = QWidget(self)  # the comparison layer's colours, shown with it
        legend = QGridLayout(self.legend_box)
        legend.setContentsMargins(0, 2, 0, 2)
        self.legend = fill_legend(
            legend,
            [
                (name, CHANGE_COLORS[name], tip.format(matching="0.5 of the runs' criterion"))
                for name, tip in CHANGE_LEGEND
            ],
            columns=len(CHANGE_LEGEND),
        )
        legend.setColumnStretch(2 * len(CHANGE_LEGEND), 1)  # the entries side by side, left
        self.legend_box.setVisible(False)
        self.objects_table = ResultTable(
            "objects fixed or broken", parent=self, model=ComparisonModel(OBJECT_HEADERS)
        )
        self.objects_table.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.objects_table.view.selectionModel().currentRowChanged.connect(self._on_object_row)
        self.agreement_button = QPushButton("Agreement…", self)
        self.agreement_button.setToolTip(
            "Compare two Labels layers as two annotations (annotator A vs B): the same "
            "metrics, kept as an agreement run to read the models' scores against"
        )
        self.agreement_button.clicked.connect(lambda: self.agreement())
        self._agreement_job = Job(self)
        #: Runs whose intervals over objects a worker is computing: id -> (run, job).
        self._interval_jobs: dict[int, tuple[Run, Job]] = {}
        #: Bounding boxes (slices of the truth) of the objects of the comparison's table.
        self._boxes: dict[int, tuple[slice, ...]] = {}
        #: The layers the layer of changes hid, that the user has not shown or hidden since:
        #: shown again when that layer is removed (:meth:`_show_hidden_again`).
        self._hidden: list[Layer] = []
        #: Removes a layer of changes whose truth was removed, once the removal that took the
        #: truth is over (a layer list being cleared is not changed under it).
        self._orphans_timer = QTimer(self, singleShot=True, interval=0)
        self._orphans_timer.timeout.connect(self._remove_orphan_changes)
        viewer.layers.events.removed.connect(self._on_layer_removed)

        rename = QHBoxLayout()
        rename.addWidget(self.name_edit)
        rename.addWidget(self.rename_button)
        rename.addWidget(self.delete_button)
        files = QHBoxLayout()
        for button in (
            self.save_button,
            self.load_button,
            self.compare_button,
            self.agreement_button,
            self.report_button,
        ):
            files.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.table)
        layout.addWidget(self.memory_label)
        layout.addLayout(rename)
        layout.addLayout(files)
        layout.addWidget(self.status_label)
        layout.addWidget(QLabel("Comparison (B − A)", self))
        layout.addWidget(self.difference_table)
        layout.addWidget(self.legend_box)
        #: The title of the table under the comparison: objects, or images of datasets.
        self.objects_title = QLabel(OBJECTS_TITLE, self)
        layout.addWidget(self.objects_title)
        layout.addWidget(self.objects_table)

        #: The Evaluate tab (weakly): the record it shows keeps its images too.
        self._evaluate: Any = None
        if owner is not None:
            evaluate = getattr(owner, "evaluate", None)
            if evaluate is not None and hasattr(evaluate, "evaluated"):
                evaluate.evaluated.connect(self.add)
                self._evaluate = weakref.ref(evaluate)
            dataset = getattr(owner, "dataset", None)
            if dataset is not None and hasattr(dataset, "evaluated_dataset"):
                dataset.evaluated_dataset.connect(self.add)
        self.refresh()

    # ---------------------------------------------------------------- the list
    def refresh(self) -> None:
        """Show the runs (after any change).

        A run that cannot be shown (its tables do not hold what a run's do) never takes the
        tab down: it is dropped from the list, and a warning names it and the problem.
        """
        try:
            table = shown_table(self.runs)
        except Exception as error:  # whatever a broken run raises, the tab stays up
            for run in self.runs:
                problem = _unshowable(run)
                if problem:
                    self.runs.delete(run)
                    self._warn(f"run {run.name!r} cannot be shown ({problem}): it was removed.")
            try:
                table = shown_table(self.runs)
            except Exception:  # not one run's fault: say it, show none
                table = pd.DataFrame(columns=list(RUN_COLUMNS))
                self._warn(f"the runs cannot be listed: {type(error).__name__}: {error}")
        self.table.model.stale = {
            run.name: reason
            for run in self.runs
            if isinstance(reason := getattr(run.record, "stale", None), str) and reason
        }
        self.table.model.matchings = {run.name: run.matching for run in self.runs}
        try:
            self.table.model.numbers = self.runs.table(intervals=True)
        except Exception:  # what shown_table raised is said: Copy gives the text shown
            self.table.model.numbers = pd.DataFrame()
        shared = set(self.table.model.matchings.values())
        self.table.set_frame(
            table,
            first=metrics_first(table.columns),
            matching=shared.pop() if len(shared) == 1 else None,
        )
        view = self.table.view
        if "name" in table.columns:  # a long name no longer pushes the metrics out of view
            column = table.columns.get_loc("name")
            view.setColumnWidth(column, min(view.columnWidth(column), NAME_WIDTH))
        view.resizeRowsToContents()  # values with their interval take two lines
        self.hint_label.setVisible(len(self.runs) == 0)
        self._show_memory()

    def _show_memory(self) -> None:
        """Say what the runs' images take in memory: in the Delete button's tooltip, each
        run's in its name's tooltip, and from :data:`MEMORY_NOTE_BYTES` on a line under the
        list; past :func:`memory_limit`, that line in the warning colour and, once until they
        fit again, a warning."""
        memory = self.runs.memory()
        self.table.model.memory = {
            run.name: run_memory_tip(run.name, memory, list(run.images)) for run in self.runs
        }
        total = sum(image.nbytes for image in images_held(self.runs).values())
        self.delete_button.setToolTip(DELETE_TIP.format(size=size_text(total)))
        over = total > memory_limit()
        self.memory_label.setText(memory_note(total))
        self.memory_label.setVisible(total >= MEMORY_NOTE_BYTES or over)
        self.memory_label.setStyleSheet(stale_style(dock_shade(self)) if over else "")
        if over and not self._memory_warned:
            known = physical_memory()
            limit = f"a quarter of this computer's {size_text(known)}" if known else "4 GiB"
            message = MEMORY_WARNING.format(size=size_text(total), limit=limit)
            show_warning(f"Segmentation Evaluation: {message}")
        self._memory_warned = over

    def add(self, item: Any, name: str = "") -> Run:
        """Keep an Evaluation record or a FilesResult as a run (the tabs' signals call this).

        An evaluation's intervals over objects (a bootstrap: about 1.4 s per 10,000 objects)
        are computed afterwards in a worker, so neither the evaluation nor the main thread
        waits for them; the list shows them when they are in (:attr:`intervals_done`).
        """
        record = item
        pending = isinstance(item, Evaluation) and item.instance is not None
        if pending:  # the run starts without intervals: Run.from_evaluation keeps this table
            item = replace(item, tables={**item.tables, "object_intervals": pd.DataFrame()})
        run = self.runs.add(item, name=name)
        if pending:
            run.record = record
            self._start_intervals(run)
        self.refresh()
        return run

    def _start_intervals(self, run: Run) -> None:
        """The run's bootstrap over objects in a worker (one job per run). The worker holds
        the instance result only, never the run: a run deleted meanwhile is freed at once."""
        job = Job(self)
        key = id(run)
        self._interval_jobs[key] = (run, job)
        instance = run.record.instance

        def done(table: pd.DataFrame) -> None:
            entry = self._interval_jobs.pop(key, None)
            if entry is None:  # computed now by finish_intervals
                return
            entry[0].tables["object_intervals"] = table
            self.refresh()
            self.intervals_done.emit(entry[0])

        def intervals(control: RunControl) -> pd.DataFrame:  # stops when the dock closes
            return bootstrap_objects(instance, check=control.check)

        job.start(intervals, done, control=True)

    def _stop_intervals(self, run: Run) -> None:
        """Stop the worker computing ``run``'s intervals, if one is (the run is deleted)."""
        entry = self._interval_jobs.pop(id(run), None)
        if entry is not None:
            entry[1].close()

    def close_jobs(self) -> None:
        """Stop the agreement and interval workers for good (the dock is going away), and
        stop following the layers."""
        self.viewer.layers.events.removed.disconnect(self._on_layer_removed)
        self._orphans_timer.stop()
        self._forget_hidden()
        self._agreement_job.close()
        for _, job in self._interval_jobs.values():
            job.close()
        self._interval_jobs.clear()

    def finish_intervals(self) -> None:
        """Compute now (on this thread) the intervals still computed in a worker, so a save or
        a report has them."""
        for run, job in list(self._interval_jobs.values()):
            job.cancel()
            self._interval_jobs.pop(id(run), None)
            run.tables["object_intervals"] = bootstrap_objects(run.record.instance)
        self.refresh()

    def select(self, *names: str) -> None:
        """Select the runs named ``names`` (as a user clicking rows)."""
        view = self.table.view
        view.clearSelection()
        frame = self.table.model.frame
        selection = view.selectionModel()
        for name in names:
            rows = np.flatnonzero(frame["name"].to_numpy() == name)
            if not rows.size:
                raise KeyError(f"no run named {name!r}.")
            index = self.table.model.index(int(rows[0]), 0)
            selection.select(
                index,
                selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
            )

    def selected(self) -> list[Run]:
        """The selected runs, in the order of the list."""
        rows = sorted({index.row() for index in self.table.view.selectionModel().selectedRows()})
        names = self.table.model.frame["name"].to_numpy()
        return [self.runs[str(names[row])] for row in rows]

    def rename_selected(self, name: str) -> Run | None:
        """Rename the one selected run."""
        chosen = self.selected()
        if len(chosen) != 1:
            return self._warn("select one run to rename.")
        try:
            run = self.runs.rename(chosen[0], name)
        except ValueError as error:
            return self._warn(str(error))
        self.refresh()
        self.select(run.name)
        self.name_edit.clear()
        return run

    def delete_selected(self) -> None:
        """Forget the selected runs, and with them what only they held: their intervals' worker
        is stopped, a comparison of one of them is cleared. The status says how much memory
        their images freed, and why the rest stays (other runs share it; the Evaluate and
        Review tabs show the record of one of them until the next Run)."""
        chosen = self.selected()
        if not chosen:
            return
        names = ", ".join(repr(run.name) for run in chosen)
        images = [(weakref.ref(owner), owner.nbytes) for owner in images_held(chosen).values()]
        compared = self.comparison is not None and any(
            run is self.comparison.a or run is self.comparison.b for run in chosen
        )
        self._forget(chosen)
        del chosen  # nothing here holds the runs now
        if compared:
            self._clear_comparison()
        self.refresh()
        cleared = " The comparison shown (of a deleted run) was cleared." if compared else ""
        self.status_label.setText(f"Deleted {names}. {self._freed(images)}{cleared}")

    def _forget(self, runs: list[Run]) -> None:
        """Delete ``runs`` from the collection, their intervals' workers stopped."""
        for run in runs:
            self._stop_intervals(run)
            self.runs.delete(run)

    def _freed(self, images: list[tuple[weakref.ref, int]]) -> str:
        """What the deletion of runs whose images were ``images`` (weak references to the
        arrays owning their memory, and their sizes) freed, and why the rest stays."""
        kept = [ref() for ref, _ in images if ref() is not None]
        freed = sum(size for ref, size in images if ref() is None)
        said = [f"{size_text(freed)} of images freed."]
        if not kept:
            return said[0]
        left = {id(owner) for owner in images_held(self.runs).values()}
        if any(id(owner) in left for owner in kept):
            said.append("The runs left share the rest.")
        evaluate = self._evaluate() if self._evaluate is not None else None
        record = getattr(evaluate, "evaluation", None)
        shown = {id(memory_owner(image)) for image in record_images(record).values()}
        if any(id(owner) in shown - left for owner in kept):
            said.append(
                "The Evaluate and Review tabs still show the last evaluation: its images stay "
                "in memory until the next Run."
            )
        return " ".join(said)

    def _clear_comparison(self) -> None:
        """Forget the comparison shown (a run of it was deleted): its tables are emptied; its
        layer stays in the viewer, as the user's."""
        self.comparison = None
        self._boxes = {}
        self.difference_table.set_frame(pd.DataFrame())
        self.objects_table.set_frame(pd.DataFrame())
        self.legend_box.setVisible(False)

    # ---------------------------------------------------------------- files
    def save(self, folder: str | Path | None = None) -> Path | None:
        """Save every run to ``folder`` (asks for one when not given), one subfolder per run.

        Nothing saved before is replaced (:meth:`~napari_seg_eval.runs.Runs.save`): a run
        whose subfolder holds another run, other files, or another run of this save, is saved
        under a new name, and the status line and a notification name those folders and say
        why (:func:`saved_renamed`), once: a run saved before by this session updates its own
        folder, and a later save does not say its name again.
        """
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Save runs to a folder")
            if not folder:
                return None
        self.finish_intervals()
        own_before = own_folders(self.runs, folder)
        try:
            path = self.runs.save(folder)
        except OSError as error:
            self._warn(f"the runs could not be saved: {error}")
            return None
        message = f"Saved {len(self.runs)} run(s) to {path}."
        renamed = saved_renamed(self.runs, path, own_before)
        for reason in dict.fromkeys(renamed.values()):
            folders = [saved for saved, why in renamed.items() if why == reason]
            said = "updated" if reason == OWN_FOLDER else "saved under a new name, as"
            message += f" {len(folders)} {said} {reason}: {', '.join(folders)}."
        if renamed:
            show_info(f"Segmentation Evaluation: {message}")
        self.status_label.setText(message)
        return path

    def load(self, folder: str | Path | None = None) -> list[Run]:
        """Load the runs of ``folder`` (a run, a folder of runs, or a command-line result).

        A run folder that a run of this session already is (saved there, or loaded from
        there, unchanged since) is not loaded again: the status line and a notification say
        "already in this session" and name those runs
        (:class:`~napari_seg_eval.runs.AlreadyLoadedWarning`)."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Load runs from a folder")
            if not folder:
                return []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", AlreadyLoadedWarning)
                loaded = self.runs.load(folder)
        except (OSError, ValueError, KeyError) as error:
            self._warn(str(error))
            return []
        already = []
        for warning in caught:  # the others go on to napari's notifications, as before
            if issubclass(warning.category, AlreadyLoadedWarning):
                already.append(str(warning.message))
            else:
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
        self.refresh()
        message = f"Loaded {len(loaded)} run(s) from {folder}."
        if already:
            message += " " + " ".join(text[:1].upper() + text[1:] for text in already)
            show_info(f"Segmentation Evaluation: {message}")
        self.status_label.setText(message)
        return loaded

    # ---------------------------------------------------------------- comparing
    def compare(self, a: str | None = None, b: str | None = None) -> Comparison | None:
        """Compare run B with run A (default: the two selected runs, the later one as B).

        Shows the differences and the objects fixed or broken by B, and puts them in a Labels
        layer over the truth (1 fixed by B, 2 broken by B), tagged as our result layer.
        """
        if a is None or b is None:
            chosen = self.selected()
            if len(chosen) != 2:
                return self._warn("select two runs to compare.")
            a, b = chosen[0].name, chosen[1].name
        try:
            comparison = self.runs.compare(a, b)
        except (ValueError, KeyError) as error:
            return self._warn(str(error))
        self.comparison = comparison
        notes = "\n".join(comparison.notes)  # in every card of the comparison's tables
        for table in (self.difference_table, self.objects_table):
            table.model.runs = (comparison.a.name, comparison.b.name)
        self.difference_table.set_frame(
            comparison.headline, note=notes, first=HEADLINE_FIRST, last=HEADLINE_LAST
        )
        self._boxes = {}
        self.legend_box.setVisible(comparison.objects is not None)
        images = comparison.objects is None and comparison.per_image is not None
        self.objects_title.setText(IMAGES_TITLE if images else OBJECTS_TITLE)
        self.objects_table.model.headers = (
            per_image_headers(list(comparison.per_image.columns)) if images else OBJECT_HEADERS
        )
        if comparison.objects is not None:
            for name, tip in CHANGE_LEGEND:
                for label in self.legend[name]:
                    label.setToolTip(tip.format(matching=comparison.matching))
            self.objects_table.set_frame(
                comparison.changed, note=notes, first=OBJECTS_FIRST, last=OBJECTS_LAST
            )
            self._boxes = _boxes(comparison.a.labels["truth"], comparison.changed["label"])
            self._show_changes(comparison)
        elif comparison.per_image is not None:
            self.objects_table.set_frame(comparison.per_image, note=notes)
        self.status_label.setText(_describe(comparison))
        return comparison

    def _show_changes(self, comparison: Comparison) -> Labels:
        truth = comparison.a.labels["truth"]
        table = comparison.objects
        values = np.select(
            [table["change"] == "fixed by B", table["change"] == "broken by B"],
            [FIXED, BROKEN],
            0,
        ).astype(np.uint8)
        ids, codes = table["label"].to_numpy()[values > 0], values[values > 0]

        def paint(block: np.ndarray) -> np.ndarray:
            out = np.zeros(block.shape, np.uint8)
            inside = np.isin(block, ids)
            out[inside] = codes[np.searchsorted(ids, block[inside])]
            return out

        # A chunked truth gives a lazy layer, painted chunk by chunk as napari shows it.
        data = as_dask(truth).map_blocks(paint, dtype=np.uint8) if is_lazy(truth) else paint(truth)
        name = layer_name(comparison.a.name, comparison.b.name)
        source = next(
            (
                lay
                for lay in self.viewer.layers
                if lay.name == comparison.a.inputs.get("truth") and lay.data.shape == data.shape
            ),
            None,
        )
        info = {
            TAG: {
                "role": ROLE,
                "source": comparison.a.inputs.get("truth", ""),
                "source_id": None if source is None else source.unique_id,  # removed: retired
                "a": comparison.a.name,
                "b": comparison.b.name,
                "description": _describe(comparison),
            }
        }
        layer = next(  # one the user renamed or painted on is theirs: another is made
            (lay for lay in self.viewer.layers if tag(lay).get("role") == ROLE and untouched(lay)),
            None,
        )
        colormap = change_colormap(CHANGE_VALUES)
        # hovering an object says its change, not only its value
        features = pd.DataFrame(
            {"index": [0, *CHANGE_VALUES], "change": ["", *CHANGE_VALUES.values()]}
        )
        if layer is not None and layer.data.shape == data.shape:
            layer.data = data
            layer.metadata = {**layer.metadata, **info}
            layer.name = name
            tag(layer)["named"] = layer.name  # ours again, its paint replaced
            tag(layer).pop("edited", None)
            layer.colormap = colormap
            layer.features = features
            return layer
        settings = world_settings(source) if source is not None else {}
        self._hide_compared(comparison)
        # opaque: the colours are the legend's, never mixed with the layers under it
        layer = self.viewer.add_labels(
            data,
            name=name,
            metadata=info,
            colormap=colormap,
            opacity=1.0,
            features=features,
            **settings,
        )
        tag(layer)["named"] = layer.name  # renamed or painted on: the user's (untouched)
        layer.events.paint.connect(_on_paint)
        return layer

    def _hide_compared(self, comparison: Comparison) -> None:
        """Hide the shown layers of the compared runs when the layer of changes first appears:
        the truth, both predictions, a probability map they were made from or took their
        confidence from (its colours read as changes: at a low threshold every object is red),
        and our layers made of them. Their colours around the changed objects read as the
        legend's. Hidden, not changed; a notice names them (tick an eye to show one again),
        and removing the layer of changes shows them again (:meth:`_show_hidden_again`). An
        image that is no input (the micrograph) stays shown."""
        names = {
            comparison.a.inputs.get("truth"),
            comparison.a.inputs.get("prediction"),
            comparison.b.inputs.get("prediction"),
            comparison.a.settings.get("confidence_name"),
            comparison.b.settings.get("confidence_name"),
        } - {None, ""}
        self._forget_hidden()
        for layer in self.viewer.layers:
            compared = layer.name in names or tag(layer).get("source") in names
            shown = isinstance(layer, Labels | Image) and layer.visible
            if shown and compared and tag(layer).get("role") != ROLE:
                layer.visible = False
                self._hidden.append(layer)  # followed from now: a change is the user's
                layer.events.visible.connect(self._on_user_visible)
        hidden = [layer.name for layer in self._hidden]
        if hidden:
            show_info(hidden_notice(hidden, "the fixed and broken colours"))

    def _on_user_visible(self, event) -> None:
        """The user showed or hid a layer the layer of changes hid: theirs from then on."""
        self._forget_hidden([event.source])

    def _forget_hidden(self, layers: Sequence[Layer] | None = None) -> None:
        """Stop following ``layers`` (default: all) that the layer of changes hid."""
        for layer in list(self._hidden) if layers is None else layers:
            if layer in self._hidden:
                self._hidden.remove(layer)
                layer.events.visible.disconnect(self._on_user_visible)

    def _on_layer_removed(self, event) -> None:
        """The layer of changes was removed: show again the layers it hid
        (:meth:`_show_hidden_again`). A layer it hid, removed, is forgotten. The truth the
        layer of changes was drawn over, removed: that layer goes too, once this removal is
        over (:meth:`_remove_orphan_changes`)."""
        if tag(event.value).get("role") == ROLE:
            self._show_hidden_again()
            return
        self._forget_hidden([event.value])
        if any(
            tag(layer).get("role") == ROLE and tag(layer).get("source_id") == event.value.unique_id
            for layer in self.viewer.layers
        ):
            self._orphans_timer.start()

    def _remove_orphan_changes(self) -> None:
        """Remove the layers of changes drawn over a truth no longer in the viewer, which
        nothing updates or shows again (as Review's selection ring of it), unless the user
        renamed or painted on one (theirs); a notice names them. The comparison's tables
        stay: Compare shows its layer again."""
        present = {layer.unique_id for layer in self.viewer.layers}
        orphans = [
            layer
            for layer in self.viewer.layers
            if tag(layer).get("role") == ROLE
            and tag(layer).get("source_id") not in (None, *present)
            and untouched(layer)
        ]
        for layer in orphans:
            self.viewer.layers.remove(layer)
        if orphans:
            show_info(
                f"Removed {', '.join(repr(layer.name) for layer in orphans)}: the changes "
                "between two runs drawn over a ground truth no longer in the viewer (the "
                "comparison stays in the Runs tab; Compare shows it again)."
            )

    def _show_hidden_again(self) -> None:
        """Show again the layers :meth:`_hide_compared` hid, those still in the viewer that
        the user has not shown or hidden since (a notice names them)."""
        shown = [layer for layer in self._hidden if layer in self.viewer.layers]
        self._forget_hidden()
        for layer in shown:
            layer.visible = True
        if shown:
            show_info(
                f"Showed {', '.join(repr(layer.name) for layer in shown)} again: the layer of "
                "changes was removed."
            )

    def _on_object_row(self, current, _previous) -> None:
        """Centre and zoom on the true object of the selected row; move the sliders to it."""
        if not current.isValid() or self.comparison is None or not self._boxes:
            return
        label = int(self.objects_table.model.frame["label"].iloc[current.row()])
        box = self._boxes.get(label)
        layer = next(  # ours: one the user renamed may show an earlier comparison
            (lay for lay in self.viewer.layers if tag(lay).get("role") == ROLE and untouched(lay)),
            None,
        )
        if box is None or layer is None:
            return
        go_to_box(self.viewer, layer, box)

    # ---------------------------------------------------------------- agreement
    def agreement(
        self, a: str | None = None, b: str | None = None, *, wait: bool = False
    ) -> Run | None:
        """Compare Labels layers ``a`` and ``b`` as two annotations (asks when not given) and
        keep the result as an agreement run; in a worker unless ``wait`` (then returns it)."""
        if a is None or b is None:
            chosen = self._choose_annotations()
            if chosen is None:
                return None
            a, b = chosen
        layers = {layer.name: layer for layer in self.viewer.layers if isinstance(layer, Labels)}
        missing = [name for name in (a, b) if name not in layers]
        if missing or a == b:
            return self._warn(
                f"no Labels layer named {missing[0]!r}." if missing else "choose two layers."
            )
        layer_a, layer_b = layers[a], layers[b]
        data_a, data_b = level0(layer_a), level0(layer_b)
        spacing = tuple(float(v) for v in layer_a.scale)

        def work() -> Run:
            return agreement(data_a, data_b, name_a=a, name_b=b, spacing=spacing)

        self.status_label.setText(f"Comparing annotations {a} and {b}…")
        if wait:
            return self._agreement_job.run_now(work, self._agreement_done)
        self._agreement_job.start(work, self._agreement_done)
        return None

    def _agreement_done(self, run: Run) -> Run:
        run = self.add(run)
        self.status_label.setText(
            f"Agreement {run.inputs['truth']} vs {run.inputs['prediction']} kept as run "
            f"{run.name!r}: F1, AP (DSB), PQ, Dice and boundary values are symmetric; "
            "precision and recall swap."
        )
        return run

    def _choose_annotations(self) -> tuple[str, str] | None:
        names = [layer.name for layer in self.viewer.layers if isinstance(layer, Labels)]
        if len(names) < 2:
            return self._warn("agreement needs two Labels layers (two annotations).")
        dialog = QDialog(self)
        dialog.setWindowTitle("Agreement of two annotations")
        combos = [QComboBox(dialog), QComboBox(dialog)]
        for index, combo in enumerate(combos):
            combo.addItems(names)
            combo.setCurrentIndex(index)
        form = QFormLayout(dialog)
        form.addRow("Annotator A", combos[0])
        form.addRow("Annotator B", combos[1])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return combos[0].currentText(), combos[1].currentText()

    # ---------------------------------------------------------------- report
    def write_report(self, path: str | Path | None = None) -> Path | None:
        """Write the HTML report of the one selected run, or else of the comparison shown."""
        chosen = self.selected()
        item: Run | Comparison | None = chosen[0] if len(chosen) == 1 else self.comparison
        if item is None:
            return self._warn("select a run (or compare two) to report on.")
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Write the report", "report.html", "HTML (*.html)"
            )
            if not path:
                return None
        self.finish_intervals()
        written = write_report(item, path)
        self.status_label.setText(f"Report written to {written}.")
        return written

    def _warn(self, message: str) -> None:
        self.status_label.setText(message)
        show_warning(f"Segmentation Evaluation: {message}")
        return None


def _on_paint(event) -> None:
    """The user painted on the layer of changes: theirs to keep as it is."""
    tag(event.source)["edited"] = True


def layer_name(a: str, b: str) -> str:
    """The name of the layer of changes of run ``b`` against run ``a``: short, the runs by
    their short names (:func:`short_run_name`; whole where those are alike) and the layer's
    values (the status and the layer's metadata have the whole description).

    Parameters
    ----------
    a, b : str
        The names of runs A and B.

    Returns
    -------
    str

    Examples
    --------
    >>> layer_name("run 1: nuclei probability @ 0.5", "run 2: nuclei probability @ 0.2")
    'run 2 vs run 1: 1 = fixed, 2 = broken'
    >>> layer_name("model: a", "model: b")
    'model: b vs model: a: 1 = fixed, 2 = broken'
    """
    short_a, short_b = short_run_name(a), short_run_name(b)
    if short_a == short_b:
        short_a, short_b = _cut(a), _cut(b)
    return f"{short_b} vs {short_a}: {FIXED} = fixed, {BROKEN} = broken"


def short_run_name(name: str) -> str:
    """A run's name as the layer of changes gives it: up to its first ": " (the default
    ``run 2: nuclei probability @ 0.4`` is ``run 2``), at most :data:`LAYER_NAME_RUN`
    characters.

    Examples
    --------
    >>> short_run_name("run 2: nuclei probability @ 0.4"), short_run_name("cellpose")
    ('run 2', 'cellpose')
    """
    return _cut(name.split(": ")[0])


def _cut(text: str) -> str:
    """``text``, cut to :data:`LAYER_NAME_RUN` characters with "…" when longer."""
    if len(text) <= LAYER_NAME_RUN:
        return text
    return text[: LAYER_NAME_RUN - 1] + "…"


def _unshowable(run: Run) -> str:
    """Why ``run`` cannot be listed (the error reading its row raises), or ``""``."""
    try:
        run.headline, run.intervals, run.n_images, run.threshold  # noqa: B018 (read)
    except Exception as error:  # the error is the answer
        return f"{type(error).__name__}: {error}"
    return ""


def _boxes(truth: Any, labels: pd.Series) -> dict[int, tuple[slice, ...]]:
    """Bounding boxes of the true objects ``labels`` (slices of ``truth``), with
    :func:`scipy.ndimage.find_objects` on the truth with only those objects renumbered 1..n
    (so huge or sparse ids cost nothing). None for a chunked truth: it is not read."""
    ids = np.unique(labels.to_numpy())
    if is_lazy(truth) or not ids.size:
        return {}
    compact = np.zeros(truth.shape, np.int32)
    inside = np.isin(truth, ids)
    compact[inside] = np.searchsorted(ids, truth[inside]) + 1
    found = ndimage.find_objects(compact, max_label=ids.size)
    return {int(i): box for i, box in zip(ids, found, strict=True) if box is not None}


def go_to_box(viewer: Viewer, layer: Any, box: tuple[slice, ...]) -> None:
    """Move the sliders to the middle of ``box`` (data slices of ``layer``) and centre and
    zoom the camera on it, with a margin (half its size, at least a few pixels)."""
    start = np.array([s.start for s in box], float)
    stop = np.array([s.stop for s in box], float)
    middle = (start + stop) / 2 - 0.5
    world = np.asarray(layer.data_to_world(middle))
    offset = viewer.dims.ndim - layer.ndim
    displayed = [axis - offset for axis in viewer.dims.displayed if axis >= offset]
    for axis in range(layer.ndim):
        if axis not in displayed:
            viewer.dims.set_point(axis + offset, world[axis])
    size = stop - start
    half = np.minimum(
        size / 2 + np.maximum(ZOOM_MARGIN * size, ZOOM_MIN_PIXELS),
        np.asarray(layer.data.shape, float) / 2,
    )
    corners = np.array([layer.data_to_world(middle - half), layer.data_to_world(middle + half)])
    low, high = corners.min(axis=0)[displayed], corners.max(axis=0)[displayed]
    camera = viewer.scene.camera
    camera.center = tuple((low + high) / 2)
    canvas = np.asarray(viewer.canvas.size, float)  # (height, width)
    camera.zoom = float(np.min(canvas / np.maximum((high - low)[-2:], 1e-9)))


def _describe(comparison: Comparison) -> str:
    """The status after a comparison: what changed, and under it how the runs matched their
    objects when they did so differently (:func:`~napari_seg_eval.runs.matching_note`)."""
    a, b = comparison.a, comparison.b
    if comparison.mcnemar is not None:
        test = comparison.mcnemar
        text = (
            f"{b.name} against {a.name}: fixed {test['fixed']}, broken {test['broken']} "
            f"objects matched at {comparison.matching} (McNemar p = {test['p_value']:.3g})."
        )
    else:
        text = (
            f"{b.name} against {a.name}: {len(comparison.per_image)} images; intervals from a "
            "paired bootstrap."
        )
    return "\n".join(line for line in (text, matching_note(a, b)) if line)


#: Why a run is saved to a folder of another name than its own (:func:`saved_renamed`) when
#: it updated the folder it was saved to or loaded from before, under an earlier name.
OWN_FOLDER = "its own folder, saved or loaded before under another name"


def own_folders(runs: Runs, folder: str | Path) -> dict[int, Path]:
    """The runs whose own folder (:meth:`~napari_seg_eval.runs.Run.owns`) is a subfolder of
    ``folder``, as ``id(run)`` -> that folder: taken before a save, for :func:`saved_renamed`
    to tell a run that updated its own folder from one the save gave a new name."""
    here = Path(os.path.realpath(folder))
    return {
        id(run): run.saved_to
        for run in runs
        if run.saved_to is not None and run.saved_to.parent == here and run.owns(run.saved_to)
    }


def saved_renamed(
    runs: Runs, folder: Path, own_before: dict[int, Path] | None = None
) -> dict[str, str]:
    """The runs :meth:`~napari_seg_eval.runs.Runs.save` saved to ``folder`` under another
    name than their own, as the path each was saved to -> why, in words: the folder of its
    name there holds another run or other files (kept), another run of this save was saved
    there, or the run updated its own folder (:data:`OWN_FOLDER`).

    ``own_before`` (:func:`own_folders`, taken before the save): a run that updated the
    folder it owned then was not given a new name by this save, and is not said to be when
    its name's folder is taken (said once, by the save that chose the name); it is said to
    have updated its own folder when its name's folder is free (it was renamed since).
    """
    own_before = own_before or {}
    # Folder names as Windows and macOS compare them (Runs.save does too): without case.
    taken = {
        (os.path.realpath(run.saved_to.parent), folder_name_key(run.saved_to.name)): run
        for run in runs
        if run.saved_to is not None
    }
    renamed = {}
    for number, run in enumerate(runs, 1):
        wanted = folder / (run_folder_name(run.name) or f"run_{number}")
        if run.saved_to is None or run.saved_to.name == wanted.name:
            continue
        updated_own = own_before.get(id(run)) == run.saved_to
        other = taken.get((os.path.realpath(folder), folder_name_key(wanted.name)))
        if updated_own and (other is not None or holds_words(wanted)):
            continue  # its name's folder was taken when the folder was chosen, and said then
        if other is not None and other is not run:
            renamed[str(run.saved_to)] = (
                f"another run of this save ({other.name!r}) is saved as '{other.saved_to.name}'"
            )
        elif holds_words(wanted) in ("holds another run", "holds other files"):
            renamed[str(run.saved_to)] = f"a folder of its name there {holds_words(wanted)} (kept)"
        elif clash := _other_case(folder, wanted.name):
            renamed[str(run.saved_to)] = (
                f"'{clash}' there is the same folder on Windows and macOS (kept)"
            )
        else:  # its name's folder is free: the run updated its own, of an earlier name
            renamed[str(run.saved_to)] = OWN_FOLDER
    return renamed


def _other_case(folder: Path, name: str) -> str:
    """The name of an entry of ``folder`` that only the case (or accents' composition) tells
    from ``name``, which a disk that does not tell case takes for it; "" if none."""
    key = folder_name_key(name)
    with contextlib.suppress(OSError):
        for entry in sorted(folder.iterdir()):
            if entry.name != name and folder_name_key(entry.name) == key:
                return entry.name
    return ""
