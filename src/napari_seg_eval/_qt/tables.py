"""Result tables: a pandas-backed Qt model with sorting, copying and CSV export.

The model reads the DataFrame directly (no cell-by-cell widget items), so tables of 50,000
rows stay responsive. Undefined values (0/0, NaN) show as an em dash with a tooltip. Hovering
a column header or any value shows the definition card of its metric (the catalogue's
formula, definition, pooling and 0/0 rule).

A click on a header sorts by what the column shows (the Summary's metric labels, not their
keys). Copy gives what is shown, for a spreadsheet: the headers and the Summary's metric
labels, the values in full precision (undefined ones empty). Export CSV gives the names of the
command line's result files, for scripts: the API's column names (the Summary with each key's
label beside it), so an exported table and a result folder's file agree. A table of numbers
shown with their intervals (:class:`IntervalModel`, the Dataset tab's Summary: ``0.8740
[0.8510, 0.8930]``) copies, exports and sorts the numbers, each interval's bounds in two
columns after its value, as the Runs tab does.

Tables of millions of rows (a whole slide's objects) stay usable: the cells Copy gives are read
from the selection's ranges (never cell by cell); Copy and Export CSV of more than
:data:`WORKER_CELLS` cells format and write in a worker, in steps, with progress and Cancel
under the table; sorting computes its key once per distinct value of the column.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from napari.utils.theme import get_theme
from qtpy.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QByteArray,
    QItemSelection,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    Qt,
    Signal,
)
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QShortcut,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .._jobs import Job, notify_error
from .._napari.error_colors import is_light_color
from ..core import catalogue
from ..evaluation import RunControl

UNDEFINED = "—"
UNDEFINED_TIP = (
    "Undefined (0/0): nothing to divide by, e.g. recall with no true objects or precision "
    "with no predictions. Left out of every mean."
)

#: The colour of a line saying that results no longer match their inputs or settings (every
#: tab), and of the frame of their tables, on a dark dock and on a light one: orange on dark
#: (contrast 6.9 : 1 on napari's dark background), dark orange on light (6.0 : 1 on the light
#: background, 5.3 : 1 on its panels), above WCAG's 4.5 : 1 in both (the dark theme's orange
#: on the light dock was 1.8 : 1).
STALE_COLORS = {"dark": "rgb(230, 159, 0)", "light": "rgb(133, 70, 0)"}


def stale_style(shade: str = "dark") -> str:
    """The look of an "Out of date" line on a ``"dark"`` or ``"light"`` dock
    (:func:`dock_shade`).

    Examples
    --------
    >>> stale_style("light")
    'color: rgb(133, 70, 0); font-weight: bold'
    """
    return f"color: {STALE_COLORS[shade]}; font-weight: bold"


def stale_table_style(shade: str = "dark") -> str:
    """The look of a table of out-of-date results (:meth:`ResultTable.set_stale`) on a
    ``"dark"`` or ``"light"`` dock.

    Examples
    --------
    >>> stale_table_style("light")
    'QTableView { border: 2px solid rgb(133, 70, 0); }'
    """
    return f"QTableView {{ border: 2px solid {STALE_COLORS[shade]}; }}"


#: The look of an "Out of date" line before the dock knows its theme (the dark theme's);
#: the dock gives every such line its theme's colour (:func:`restyle_stale`).
STALE_STYLE = stale_style("dark")
#: The look of a table of such results then (:meth:`ResultTable.set_stale`).
STALE_TABLE_STYLE = stale_table_style("dark")


def theme_shade(theme: str) -> str:
    """``"light"`` for a napari theme whose background is light, else ``"dark"``.

    Examples
    --------
    >>> theme_shade("light"), theme_shade("dark")
    ('light', 'dark')
    """
    return "light" if is_light_color(get_theme(theme).background.as_rgb_tuple()) else "dark"


def dock_shade(widget: QWidget) -> str:
    """The shade (:func:`theme_shade`) of the viewer's theme that ``widget`` is shown in: the
    theme of the first of it and its parents that has a ``viewer`` (the dock's panels have
    one); ``"dark"`` outside a dock."""
    while widget is not None:
        theme = getattr(getattr(widget, "viewer", None), "theme", None)
        if isinstance(theme, str):
            return theme_shade(theme)
        widget = widget.parentWidget()
    return "dark"


def restyle_stale(root: QWidget, shade: str) -> None:
    """Give every "Out of date" line and framed table in ``root`` (and ``root``) the colour
    of ``shade`` (:data:`STALE_COLORS`): the widgets whose style sheet has a stale colour."""
    for widget in (root, *root.findChildren(QWidget)):
        sheet = widget.styleSheet()
        for color in STALE_COLORS.values():
            if color in sheet and color != STALE_COLORS[shade]:
                widget.setStyleSheet(sheet.replace(color, STALE_COLORS[shade]))


#: Widest a column is sized to fit its text (pixels); a longer text is elided, whole in its
#: tooltip, and the user can widen the column.
MAX_COLUMN_WIDTH = 260
#: A text cell's tooltip repeats its text from this many characters (a shorter one is seen).
TOOLTIP_TEXT_FROM = 24

#: Most cells (rows × columns) Copy and Export CSV format on the main thread (tens of
#: milliseconds); a bigger table is formatted and written in a worker, with progress and Cancel
#: under it, while the viewer keeps drawing.
WORKER_CELLS = 50_000
#: Most rows a table sorts on the main thread (a few tens of milliseconds); a longer one sorts
#: in a worker, and its rows move once sorted; its headers do not show the selected columns.
SORT_WORKER_ROWS = 200_000
#: A selection of more rows than this follows a sort through its ranges (computed with
#: numpy), not through Qt's persistent index of each selected row.
KEPT_SELECTION_ROWS = 2_000
#: Cells formatted in one step of that worker: one progress report, one chance to stop.
CHUNK_CELLS = 100_000
#: A copy estimated at more bytes of text than this asks the user first.
CONFIRM_CLIPBOARD_BYTES = 100 * 10**6
#: Rows formatted to estimate the size of a copy (scaled to the rows copied).
ESTIMATE_ROWS = 1_000
#: Most rows a spreadsheet takes (Excel, LibreOffice): said before a copy of more.
SPREADSHEET_ROWS = 1_048_576
#: How a model's rows move when it sorts (all columns alike): Qt's selection then keeps one
#: persistent index per selected row rather than per selected cell.
_VERTICAL_SORT = QAbstractItemModel.LayoutChangeHint.VerticalSortHint

#: The catalogue table of each row of the Summary, by its "evaluation" value.
_SUMMARY_TABLES = {
    "coco": "coco.summary",
    "instance": "instance.summary",
    "semantic": "semantic.summary",
    "boundary": "boundary.summary",
    "boundary per object": "boundary.summary",
    "ctc": "ctc",
}

#: Cards of the class confusion table (true class × predicted class counts).
CONFUSION_TABLE = "instance.class_confusion"
CONFUSION_TRUE = "true class: the class of the true objects counted in this row"
CONFUSION_PRED = (
    "{column}: how many true objects of the row's class were matched to a predicted object "
    "of this class, among the pairs matched regardless of class at IoU 0.5 (the run's "
    "criterion); off the diagonal, objects found with the wrong class"
)
#: The Summary's export: the column after ``metric`` with each key's label (as shown).
SUMMARY_LABEL = "label"


def summary_table(evaluation: str) -> str:
    """The catalogue table whose keys a Summary row of ``evaluation`` reports."""
    return _SUMMARY_TABLES.get(evaluation, "dataset.summary")


def column_card(table: str, column: str, matching: catalogue.Matching | None = None) -> str:
    """The definition card of a column ("" if there is none), for headers and values, in the
    words of the result's ``matching`` (:class:`~napari_seg_eval.core.catalogue.Matching`).

    Examples
    --------
    >>> column_card("instance.per_threshold", "f1").splitlines()[0]
    'F1: 2 TP / (2 TP + FP + FN)'
    >>> column_card("instance.class_confusion", "predicted 2").split(":")[0]
    'predicted 2'
    """
    if table == CONFUSION_TABLE and catalogue.metric(table, column) is None:
        if column == "true class":
            return CONFUSION_TRUE
        card = CONFUSION_PRED.format(column=column)
        return matching.rewrite(card) if matching is not None else card
    return catalogue.tooltip(table, column, matching)


def format_value(value) -> str:
    """Text of one cell: integers as they are, floats to 4 decimals, undefined as an em dash.

    Examples
    --------
    >>> format_value(46), format_value(0.25), format_value(float("nan"))
    ('46', '0.2500', '—')
    """
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return UNDEFINED
    if isinstance(value, float | np.floating):
        return f"{value:.4f}"
    return str(value)


#: The roles :meth:`DataFrameModel.data` answers (sizing a column asks for many more).
_ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.TextAlignmentRole,
)


#: Short headers of metrics whose catalogue label is long (the label is in the tooltip).
SHORT_LABELS = {"mean_accuracy": "mAP (DSB)", "mean_boundary_f1": "boundary F1 @ τ"}


def short_label(table: str, column: str, matching: catalogue.Matching | None = None) -> str:
    """A column's header as narrow as its values: :data:`SHORT_LABELS`, else the catalogue's
    label (in the words of ``matching``) up to its first comma (the whole label is in the
    header's tooltip).

    Examples
    --------
    >>> short_label("dataset.per_image", "mean_accuracy"), short_label("x", "name")
    ('mAP (DSB)', 'name')
    """
    return SHORT_LABELS.get(column, catalogue.label(table, column, matching).split(", ")[0])


class DataFrameModel(QAbstractTableModel):
    """A read-only Qt model over a DataFrame; sorting reorders the frame (NaN last), a frame of
    more than :data:`SORT_WORKER_ROWS` rows in a worker.

    ``table`` names the catalogue table of the columns: headers are the catalogue's short
    labels (with ``short_headers``, :func:`short_label`) with the definition as a tooltip,
    and the most-read columns come first. The
    ``"summary"`` table has rows (evaluation, metric key, value): the key shows as its label.
    Labels and cards are in the words of the frame's ``matching`` (:meth:`set_frame`).
    """

    #: What a sort in a worker does ("Sorting 3,232,256 rows…"); "" when it has ended.
    sorting = Signal(str)
    #: Emitted before the rows move (a sort), and after with each old row's new position.
    rows_moving = Signal()
    rows_moved = Signal(object)

    def __init__(
        self,
        frame: pd.DataFrame | None = None,
        table: str = "",
        parent=None,
        *,
        short_headers: bool = False,
    ):
        super().__init__(parent)
        self.table = table
        self.short_headers = short_headers  #: headers as narrow as the values (short_label)
        self.note = ""  #: a line added to every card (e.g. the units of distances)
        #: How the objects of the result shown were matched (its labels' words); None: IoU.
        self.matching: catalogue.Matching | None = None
        self._frame = pd.DataFrame()
        #: Sorting more than :data:`SORT_WORKER_ROWS` rows, in a worker.
        self.sort_job = Job(self)
        if frame is not None:
            self.set_frame(frame)

    @property
    def frame(self) -> pd.DataFrame:
        """The rows in their current (sorted) order."""
        return self._frame

    def set_frame(
        self,
        frame: pd.DataFrame,
        note: str = "",
        first: Sequence[str] = (),
        last: Sequence[str] = (),
        matching: catalogue.Matching | None = None,
    ) -> None:
        """Show ``frame``: the columns ``first`` (those present), then the others in the
        catalogue's order (most-read first), then ``last`` (e.g. a long error message that
        would push the numbers out of sight); ``note`` is added to every definition card.
        ``matching``: how the result's objects were matched, which its labels and cards say
        (None: IoU at several thresholds, as the catalogue writes them).

        The frame keeps the columns in the order shown, so a copy or an export has them as
        the user sees them.
        """
        self.note = note
        self.matching = matching
        order = list(frame.columns)
        if self.table and self.table not in ("summary", CONFUSION_TABLE):
            order = catalogue.column_order(self.table, order)
        lead = list(dict.fromkeys(column for column in first if column in frame.columns))
        tail = [column for column in last if column in frame.columns and column not in lead]
        order = [*lead, *(c for c in order if c not in lead and c not in tail), *tail]
        if order != list(frame.columns):  # a frame in order is kept as it is
            frame = frame[order]
        if not frame.index.equals(pd.RangeIndex(len(frame))):
            frame = frame.reset_index(drop=True)
        if self.sort_job.running:  # a sort of the frame replaced
            self.sort_job.cancel()
            self.sorting.emit("")
        self.beginResetModel()
        self._frame = frame
        self.endResetModel()

    def _summary_metric(self, row: int) -> tuple[str, str]:
        evaluation, key = self._frame.at[row, "evaluation"], self._frame.at[row, "metric"]
        table, matching = summary_table(evaluation), self.matching
        return catalogue.label(table, key, matching), catalogue.tooltip(table, key, matching) or key

    def _with_note(self, card: str) -> str:
        return "\n".join(text for text in (card, self.note) if text)

    def value_card(self, row: int, column: int) -> str:
        """The tooltip of a value: its metric's card (the row's metric in the Summary, else the
        column's), after the 0/0 explanation when it is undefined."""
        name = str(self._frame.columns[column])
        if self.table == "summary":
            card = self._summary_metric(row)[1] if name in ("metric", "value") else ""
        else:
            card = column_card(self.table, name, self.matching)
        value = self._frame.iat[row, column]
        if format_value(value) == UNDEFINED:
            card = f"{UNDEFINED_TIP}\n\n{card}" if card else UNDEFINED_TIP
        elif isinstance(value, str) and len(value) >= TOOLTIP_TEXT_FROM and self.table != "summary":
            card = f"{value}\n\n{card}" if card else value  # the whole text of a narrow cell
        return self._with_note(card)

    def shown_column(self, column: str) -> pd.Series:
        """The values of ``column`` as the table shows them where that is not the values
        themselves: the Summary's metric keys as their labels (what sorting and Copy use)."""
        if self.table == "summary" and column == "metric":
            labels = [self._summary_metric(row)[0] for row in range(len(self._frame))]
            return pd.Series(labels, index=self._frame.index, dtype=object)
        return self._frame[column]

    def shown_header(self, section: int) -> str:
        """The header of column ``section`` as shown, on one line (for a copy)."""
        header = self.headerData(section, Qt.Orientation.Horizontal)
        return " ".join(str(header).split())

    def shown_frame(self, rows: Sequence[int], columns: Sequence[int]) -> pd.DataFrame:
        """The cells ``rows`` × ``columns`` (positions) as Copy gives them: the shown headers
        and the Summary's metric labels; values in full precision, undefined ones empty."""
        return self.shown_columns(columns).iloc[np.asarray(rows, dtype=np.intp)]

    def shown_columns(self, columns: Sequence[int]) -> pd.DataFrame:
        """Every row of the columns ``columns`` (positions) as :meth:`shown_frame` gives them
        (no row is copied: a copy of millions of rows takes its rows in steps)."""
        frame = self._frame.iloc[:, list(columns)]
        if self.table == "summary" and "metric" in frame.columns:
            frame = frame.assign(metric=self.shown_column("metric").to_numpy())
        return frame.set_axis([self.shown_header(column) for column in columns], axis=1)

    def export_frame(self) -> pd.DataFrame:
        """The whole table, rows and columns in the order shown, as Export CSV writes it: the
        names of the command line's result files (the API's column names; the class
        confusion's ``true_class``, ``predicted_<id>``), the Summary with a
        :data:`SUMMARY_LABEL` column of its metric labels after its keys."""
        frame = self._frame
        if self.table == "summary" and "metric" in frame.columns:
            frame = frame.copy()
            frame.insert(
                frame.columns.get_loc("metric") + 1, SUMMARY_LABEL, self.shown_column("metric")
            )
        elif self.table == CONFUSION_TABLE:
            frame = frame.rename(columns=lambda column: str(column).replace(" ", "_"))
        return frame

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else self._frame.shape[1]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in _ROLES:  # Qt asks for many: read the cell once
            return None
        value = self._frame.iat[index.row(), index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.value_card(index.row(), index.column()) or None
        if role == Qt.ItemDataRole.DisplayRole:
            if self.table == "summary" and self._frame.columns[index.column()] == "metric":
                return self._summary_metric(index.row())[0]
            return format_value(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float | np.number):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or section >= self._frame.shape[1]:
            return None
        column = str(self._frame.columns[section])
        if role == Qt.ItemDataRole.DisplayRole:
            if self.short_headers:
                return short_label(self.table, column, self.matching)
            return catalogue.label(self.table, column, self.matching)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = column_card(self.table, column, self.matching)
            return self._with_note(f"{tip}\n(column {column})" if tip else column)
        return None

    def sort(
        self, column: int, order=Qt.SortOrder.AscendingOrder, wait: bool | None = None
    ) -> None:
        """Sort the rows by what column ``column`` shows (:meth:`shown_column`, then
        :func:`sort_key`); undefined values last in either order; ties keep their order.

        ``wait``: True sorts here; False in a worker (:attr:`sort_job`; the rows move once it
        ends, unless the frame was replaced meanwhile); None (the default) here for at most
        :data:`SORT_WORKER_ROWS` rows, else in a worker. :attr:`sorting` says so meanwhile.
        """
        if column < 0 or column >= self._frame.shape[1]:
            return
        self.sort_job.cancel()
        frame, ascending = self._frame, order == Qt.SortOrder.AscendingOrder
        shown = self.shown_column(frame.columns[column])
        if wait is None:
            wait = len(frame) <= SORT_WORKER_ROWS
        if wait:
            self._move_rows(*sorted_rows(frame, shown, ascending))
            return
        self.sorting.emit(f"Sorting {len(frame):,} rows…")
        self.sort_job.start(
            partial(sorted_rows, frame, shown, ascending), partial(self._sorted, frame)
        )

    def _sorted(self, frame: pd.DataFrame, result: tuple[np.ndarray, pd.DataFrame]) -> None:
        """Show the rows a worker sorted, if ``frame`` is still the one shown."""
        if frame is self._frame:
            self._move_rows(*result)
        self.sorting.emit("")

    def _move_rows(self, taken: np.ndarray, frame: pd.DataFrame) -> None:
        """Show ``frame``: the rows ``taken`` (positions) of the frame shown, in that order.
        The selection and the current cell follow their rows: Qt's persistent indexes, after
        :attr:`rows_moving`, and :attr:`rows_moved` with each old row's new position."""
        self.rows_moving.emit()
        self.layoutAboutToBeChanged.emit([], _VERTICAL_SORT)
        before = self.persistentIndexList()
        moved_to = np.empty(len(taken), np.intp)
        moved_to[taken] = np.arange(len(taken))
        self._frame = frame
        after = [self.index(int(moved_to[index.row()]), index.column()) for index in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit([], _VERTICAL_SORT)
        self.rows_moved.emit(moved_to)


def sorted_rows(
    frame: pd.DataFrame, shown: pd.Series, ascending: bool
) -> tuple[np.ndarray, pd.DataFrame]:
    """The order of ``frame``'s rows (positions) by ``shown`` (a column as the table shows
    it, :func:`sort_ranks`): undefined values last either way, ties in their order; and
    ``frame`` in that order (index 0, 1, ...)."""
    keys = sort_ranks(shown).sort_values(ascending=ascending, na_position="last", kind="stable")
    taken = keys.index.to_numpy()  # positions: the frame's index is 0, 1, ...
    return taken, frame.take(taken).reset_index(drop=True)


#: A number written as text (``0.45``, ``-1e-05``): a whole cell, or the start of a value
#: shown with its interval.
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def sort_key(values: pd.Series) -> pd.Series:
    """What a column is sorted by, as it is shown: numbers as numbers; texts as text, in any
    case (``"mean Dice"`` before ``"PQ"``, as a spreadsheet sorts); a column of texts that
    are all numbers (a threshold shown as ``"0.45"``) as those numbers; in a column that mixes
    numbers and texts (a value shown with its interval, ``"0.8000 [0.7000, 0.9000]"``, beside
    plain values), the number each cell starts with. Empty and undefined cells, and in a
    mixed column texts that start with no number, are NaN: the sort puts them last.

    Examples
    --------
    >>> sort_key(pd.Series([0.75, "0.5000 [0.0000, 0.8000]", "n/a"], dtype=object)).tolist()
    [0.75, 0.5, nan]
    >>> sort_key(pd.Series(["b", "A", None])).tolist(), sort_key(pd.Series(["0.5", ""])).tolist()
    (['b', 'a', nan], [0.5, nan])
    """
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "string":  # texts (and undefined cells) only
        texts = values.str.strip()
        texts = texts.where(texts != "")
        if texts.dropna().str.fullmatch(_NUMBER).all():
            return pd.to_numeric(texts, errors="coerce")
        return texts.str.casefold()
    if not kind.startswith("mixed") or not values.map(lambda v: isinstance(v, str)).any():
        return values
    leading = values.astype(str).str.extract(rf"^\s*({_NUMBER})")[0]
    return pd.to_numeric(leading, errors="coerce")


def sort_ranks(values: pd.Series) -> pd.Series:
    """Numbers that sort ``values`` as :func:`sort_key` does (equal keys, equal numbers;
    undefined: NaN), with the key computed once per distinct value: a column of millions of
    texts ("true", "pred") sorts as fast as a column of numbers. Numbers (and categories,
    which sort in their categories' order) are their own ranks.

    Examples
    --------
    >>> sort_ranks(pd.Series(["b", "A", None, "a"])).tolist()
    [1.0, 0.0, nan, 0.0]
    """
    if values.dtype.kind in "biuf" or isinstance(values.dtype, pd.CategoricalDtype):
        return values
    codes, distinct = pd.factorize(values)
    ranks, _ = pd.factorize(sort_key(pd.Series(distinct)).to_numpy(), sort=True)
    ranks = np.append(ranks, -1).astype(np.float64)  # code -1 (undefined) reads the last
    ranks[ranks < 0] = np.nan
    return pd.Series(ranks[codes], index=values.index)


#: The ends of the names of the columns that hold a value's interval: the bounds of the
#: column ``"pooled"`` are ``"pooled low"`` and ``"pooled high"``.
INTERVAL_BOUNDS = (" low", " high")


def interval_text(value, low=None, high=None) -> str:
    """A cell's text (:func:`format_value`), with its interval when both bounds are defined:
    ``0.8740 [0.8510, 0.8930]``; a value that is not there (None) is an empty cell.

    Examples
    --------
    >>> interval_text(0.874, 0.851, 0.893), interval_text(0.5, float("nan"), float("nan"))
    ('0.8740 [0.8510, 0.8930]', '0.5000')
    >>> interval_text(None), interval_text(6), interval_text(float("nan"))
    ('', '6', '—')
    """
    if value is None:
        return ""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return format_value(value)
    return f"{format_value(value)} [{format_value(low)}, {format_value(high)}]"


def interval_bounds(
    columns: Sequence[str], column: str, ends: tuple[str, str] = INTERVAL_BOUNDS
) -> list[str]:
    """The columns among ``columns`` that hold the interval of ``column``, named after it and
    ``ends`` (:data:`INTERVAL_BOUNDS`; the Runs tab's: ``"_low"``, ``"_high"``): both, or none.

    Examples
    --------
    >>> interval_bounds(["metric", "pooled", "pooled low", "pooled high"], "pooled")
    ['pooled low', 'pooled high']
    >>> interval_bounds(["metric", "pooled"], "pooled")
    []
    """
    bounds = [f"{column}{end}" for end in ends]
    return bounds if all(bound in columns for bound in bounds) else []


def with_intervals(numbers: pd.DataFrame) -> pd.DataFrame:
    """A table of values as it is shown: each cell's text (:func:`interval_text`), with its
    interval where the table has the column's bounds (:func:`interval_bounds`, which are
    then not shown as columns of their own).

    Examples
    --------
    >>> numbers = pd.DataFrame({"metric": ["F1", "pairs"], "pooled": [0.8, 6],
    ...     "pooled low": [0.7, None], "pooled high": [0.9, None]}, dtype=object)
    >>> with_intervals(numbers).values.tolist()
    [['F1', '0.8000 [0.7000, 0.9000]'], ['pairs', '6']]
    """
    columns = list(numbers.columns)
    bounds = {bound for column in columns for bound in interval_bounds(columns, column)}
    shown = {}
    for column in columns:
        if column in bounds:
            continue
        ends = [numbers[bound] for bound in interval_bounds(columns, column)] or [
            [None] * len(numbers)
        ] * 2
        shown[column] = [interval_text(*cell) for cell in zip(numbers[column], *ends, strict=True)]
    return pd.DataFrame(shown, index=numbers.index, columns=list(shown), dtype=object)


def numbers_shown(
    shown: pd.DataFrame,
    numbers: pd.DataFrame,
    sections: Sequence[int],
    headers: Sequence[str] | None = None,
    ends: tuple[str, str] = INTERVAL_BOUNDS,
) -> pd.DataFrame:
    """The columns ``sections`` (positions) of a table ``shown`` with intervals as Copy and
    Export CSV give them: each column's values from ``numbers`` (rows as ``shown``'s; a
    column ``numbers`` lacks as shown), then its interval's bounds (:func:`interval_bounds`,
    the columns named after it and ``ends``).

    Parameters
    ----------
    shown, numbers : DataFrame
        The table as shown (``0.8740 [0.8510, 0.8930]``) and its numbers with the bounds.
    sections : sequence of int
        The columns of ``shown`` to give.
    headers : sequence of str, optional
        Their headers shown (Copy): the columns are named after them, the bounds after them
        and :data:`INTERVAL_BOUNDS` (``"F1 low"``). Without (Export CSV): as in the tables.
    ends : (str, str)
        The ends of the names of the bounds' columns in ``numbers``.

    Returns
    -------
    DataFrame
        The columns (names may repeat), index 0, 1, ...

    Examples
    --------
    >>> shown = pd.DataFrame({"metric": ["F1"], "pooled": ["0.8000 [0.7000, 0.9000]"]})
    >>> numbers = pd.DataFrame({"pooled": [0.8], "pooled low": [0.7], "pooled high": [0.9]})
    >>> numbers_shown(shown, numbers, [0, 1]).values.tolist()
    [['F1', 0.8, 0.7, 0.9]]
    """
    names, values = [], []
    for position, section in enumerate(sections):
        column = str(shown.columns[section])
        name = column if headers is None else headers[position]
        names.append(name)
        if column not in numbers.columns:
            values.append(shown[column].to_numpy())
            continue
        values.append(numbers[column].to_numpy())
        bounds = interval_bounds(numbers.columns, column, ends)
        for bound, end in zip(bounds, INTERVAL_BOUNDS, strict=False):
            names.append(bound if headers is None else f"{name}{end}")
            values.append(numbers[bound].to_numpy())
    frame = pd.DataFrame(dict(enumerate(values)), index=range(len(shown)))
    return frame.set_axis(names, axis=1)


class IntervalModel(DataFrameModel):
    """A table of numbers whose values are shown with their interval, ``0.8740 [0.8510,
    0.8930]`` (:func:`with_intervals`), as the Runs tab shows its runs, while Copy, Export CSV
    and sorting use the numbers, as it does: a value, then its interval's bounds in two
    columns after it (``pooled``, ``pooled low``, ``pooled high``), in full precision.

    :meth:`set_frame` takes the numbers: the value columns and their bounds (columns named
    as :data:`INTERVAL_BOUNDS` say); :attr:`frame` is the table as shown (texts) and
    :attr:`numbers` the numbers, rows in the order shown.
    """

    def __init__(self, *args, **kwargs):
        #: The values, with their intervals' bounds, rows in the order shown.
        self.numbers = pd.DataFrame()
        super().__init__(*args, **kwargs)

    def set_frame(
        self,
        frame: pd.DataFrame,
        note: str = "",
        first: Sequence[str] = (),
        last: Sequence[str] = (),
        matching: catalogue.Matching | None = None,
    ) -> None:
        """Show the numbers ``frame`` with their intervals (see :meth:`DataFrameModel.set_frame`
        for the other arguments)."""
        self.numbers = frame.reset_index(drop=True)
        super().set_frame(with_intervals(self.numbers), note, first, last, matching)

    def shown_column(self, column: str) -> pd.Series:
        """What a column sorts by: its numbers (the value, not its text with the interval);
        a column of texts as shown."""
        if column not in self.numbers.columns:
            return super().shown_column(column)
        values = self.numbers[column]
        if pd.api.types.infer_dtype(values, skipna=True) in _NUMERIC_KINDS:
            return pd.to_numeric(values, errors="coerce").astype(float)
        return super().shown_column(column)

    def shown_columns(self, columns: Sequence[int]) -> pd.DataFrame:
        """The columns ``columns`` (positions) as Copy gives them: the headers shown, the
        values as numbers in full precision, a value's interval in two columns after it
        ("pooled low", "pooled high")."""
        headers = [self.shown_header(section) for section in columns]
        return numbers_shown(self._frame, self.numbers, columns, headers)

    def export_frame(self) -> pd.DataFrame:
        """The table as Export CSV writes it: every value a number, a value's interval in two
        columns right after it, named after its column (:data:`INTERVAL_BOUNDS`)."""
        return numbers_shown(self._frame, self.numbers, range(self._frame.shape[1]))

    def _move_rows(self, taken: np.ndarray, frame: pd.DataFrame) -> None:
        """The numbers follow the rows shown (a sort)."""
        self.numbers = self.numbers.take(taken).reset_index(drop=True)
        super()._move_rows(taken, frame)


#: The kinds of columns (:func:`pandas.api.types.infer_dtype`) that :class:`IntervalModel`
#: sorts as numbers.
_NUMERIC_KINDS = ("integer", "floating", "mixed-integer-float", "decimal", "empty")


class ExportFailed(Exception):
    """An export that could not be written; its message names the path and the reason."""


def _in_steps(
    frame: pd.DataFrame, rows: np.ndarray | None, control: RunControl, message: str
) -> Iterator[tuple[pd.DataFrame, bool]]:
    """The rows ``rows`` (positions; None: all) of ``frame`` in pieces of about
    :data:`CHUNK_CELLS` cells, each with whether it is the first (the one with the header);
    between pieces ``control`` reports the fraction done with ``message`` and stops the run
    once cancelled. An empty table is one empty piece (its header)."""
    total = len(frame) if rows is None else len(rows)
    step = max(1, CHUNK_CELLS // max(1, frame.shape[1]))
    for start in range(0, max(total, 1), step):
        control.check()
        stop = min(start + step, total)
        yield (frame.iloc[start:stop] if rows is None else frame.iloc[rows[start:stop]]), start == 0
        control.report((stop / total if total else 1.0, message))


def copy_text(
    frame: pd.DataFrame, rows: np.ndarray | None, control: RunControl, message: str = ""
) -> str:
    """The rows ``rows`` (positions; None: all) of ``frame`` as tab-separated text with a
    header line, the same text as one ``to_csv(sep="\\t", index=False)``, made in steps
    (:func:`_in_steps`)."""
    return "".join(_copy_pieces(frame, rows, control, message))


def _copy_pieces(
    frame: pd.DataFrame, rows: np.ndarray | None, control: RunControl, message: str
) -> Iterator[str]:
    for piece, first in _in_steps(frame, rows, control, message):
        yield piece.to_csv(sep="\t", index=False, header=first)


def write_export(
    frame: pd.DataFrame,
    path: Path,
    target: Path,
    name: str,
    control: RunControl,
    message: str = "",
) -> Path:
    """Write ``frame`` as CSV (``to_csv(index=False)``) in steps to a hidden file beside
    ``target`` (``path`` with its links resolved), then rename it onto ``target``; returns
    ``path``. A cancelled or failed write removes the hidden file and leaves ``target`` as it
    was; a failure raises :class:`ExportFailed` naming ``path`` and the reason (the table's
    ``name`` in it). A file replaced keeps its permission bits."""
    exists = target.is_file()
    if exists and not os.access(target, os.W_OK):  # the rename would replace it anyway
        raise ExportFailed(
            f"could not export the {name} table to {path}: {os.strerror(errno.EACCES)}."
        )
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    created = False
    try:
        with open(part, "x", newline="", encoding="utf-8") as file:
            created = True
            for piece, first in _in_steps(frame, None, control, message):
                piece.to_csv(file, index=False, header=first)
        control.check()
        if exists:
            shutil.copymode(target, part)
        os.replace(part, target)
    except BaseException as error:
        if created:
            part.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExportFailed(
                f"could not export the {name} table to {path}: {_reason(error)}."
            ) from error
        raise
    return path


def _covered(first: np.ndarray, last: np.ndarray, size: int) -> np.ndarray:
    """The positions in ``[0, size)`` inside at least one span ``first[i]..last[i]``
    (inclusive), in order.

    Examples
    --------
    >>> _covered(np.array([4, 0, 1]), np.array([5, 1, 2]), 7).tolist()
    [0, 1, 2, 4, 5]
    """
    change = np.zeros(size + 1, np.intp)
    np.add.at(change, first, 1)
    np.add.at(change, last + 1, -1)
    return np.flatnonzero(np.cumsum(change[:-1]) > 0)


def _copy_in_worker(
    frame: pd.DataFrame, rows: np.ndarray | None, message: str, control: RunControl
) -> tuple[QMimeData, int]:
    """:func:`copy_text` as clipboard data, made in the worker piece by piece, and the text's
    length. The data is the text's UTF-8 bytes ("text/plain", which Qt reads as text): one
    Python string of 300 MB made into Qt's text holds every thread for 0.3 s, the viewer's
    too, and so would joining the pieces or encoding them at once."""
    data, length = QByteArray(), 0
    for piece in _copy_pieces(frame, rows, control, message):
        data.append(piece.encode())
        length += len(piece)
    control.check()
    clipboard = QMimeData()
    clipboard.setData("text/plain", data)
    clipboard.moveToThread(QApplication.instance().thread())
    return clipboard, length


class ResultTable(QWidget):
    """A sortable table with Copy (tab-separated, selection or all) and Export CSV buttons.

    ``model`` replaces the plain :class:`DataFrameModel` (e.g. one with headers of its own).
    A copy or an export of more than :data:`WORKER_CELLS` cells runs in a worker (:attr:`job`):
    a line beside the buttons says what it does, with a progress bar and Cancel.
    """

    #: Emitted when a copy made in a worker is on the clipboard, with the text's length.
    copied = Signal(int)
    #: Emitted with the path when an export made in a worker has been written.
    exported = Signal(object)

    def __init__(
        self, name: str, table: str = "", parent=None, model: DataFrameModel | None = None
    ):
        super().__init__(parent)
        self.name = name
        self.model = model if model is not None else DataFrameModel(table=table, parent=self)
        self.model.setParent(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectItems)
        self.view.horizontalHeader().setSortIndicatorShown(True)
        # Size columns from the first rows only: measuring every row of a 50,000-row table
        # would block the viewer.
        self.view.horizontalHeader().setResizeContentsPrecision(64)
        # Ctrl+C copies the table that has the focus (with a window-wide shortcut, two tables
        # in sight made it ambiguous: neither copied).
        QShortcut(
            QKeySequence.StandardKey.Copy,
            self.view,
            activated=self._copy_asked,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self._kept: np.ndarray | None = None  # a big selection's ranges while rows move
        self._header_selection = QItemSelectionModel(self.model, self)  # nothing selected
        self.model.rows_moving.connect(self._keep_selection)
        self.model.rows_moved.connect(self._restore_selection)
        self.model.sorting.connect(self._on_sorting)

        #: Copy and Export CSV of a big table, in a worker.
        self.job = Job(self, on_progress=self._on_progress, on_error=self._on_failed)
        self._doing = ""  # "copy" or "export" while the job runs, then ""
        self._counts = (0, 0)  # the rows and columns it copies or writes
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip(
            "Copy the selected cells (or the whole table) as tab-separated text"
        )
        self.copy_button.clicked.connect(self._copy_asked)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.status_label = QLabel(self)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMaximumWidth(120)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop: nothing is copied, no file is written")
        self.cancel_button.clicked.connect(self.cancel)
        for widget in (self.status_label, self.progress_bar, self.cancel_button):
            widget.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.status_label, stretch=1)
        buttons.addWidget(self.progress_bar)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addLayout(buttons)

    def set_frame(
        self,
        frame: pd.DataFrame,
        note: str = "",
        first: Sequence[str] = (),
        last: Sequence[str] = (),
        matching: catalogue.Matching | None = None,
    ) -> None:
        """Show ``frame``, the columns ``first`` first (e.g. a preset's numbers after the
        name) and ``last`` last; ``note`` is added to every definition card (e.g. units);
        ``matching``: how the result's objects were matched, which its labels say. A copy or
        an export of the table shown before, still running, is stopped: it would give rows
        no longer shown."""
        if self._doing:
            what = "nothing copied" if self._doing == "copy" else "nothing written"
            self._stop()
            self._show_status(f"Stopped, the table changed: {what}.")
        self.model.set_frame(frame, note, first, last, matching=matching)
        # Qt draws a header over a selected column after asking the model about each of its
        # rows (after Ctrl+A on 200,000 rows the viewer stopped for 3.5 s): the headers of a
        # long table do not show which columns are selected.
        long = self.model.rowCount() > SORT_WORKER_ROWS
        selection = self._header_selection if long else self.view.selectionModel()
        if self.view.horizontalHeader().selectionModel() is not selection:
            self.view.horizontalHeader().setSelectionModel(selection)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.resizeColumnsToContents()
        for column in range(self.model.columnCount()):  # a long message hid the numbers
            if self.view.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.view.setColumnWidth(column, MAX_COLUMN_WIDTH)

    def height_for(self, rows: int) -> int:
        """The height that shows ``rows`` rows of the table, its header, a horizontal scroll
        bar and the buttons under it (pixels)."""
        view = self.view
        return (
            rows * view.verticalHeader().defaultSectionSize()
            + view.horizontalHeader().sizeHint().height()
            + view.horizontalScrollBar().sizeHint().height()
            + self.layout().itemAt(1).sizeHint().height()
            + 4 * view.frameWidth()
        )

    def set_stale(self, stale: bool) -> None:
        """Frame the table in the stale colour of its dock's theme (:func:`dock_shade`) while
        its rows are out of date."""
        self.view.setStyleSheet(stale_table_style(dock_shade(self)) if stale else "")

    def selected_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows and the columns (positions, in order) holding a selected cell, whose
        crossings Copy gives; every row and column when nothing is selected. Read from the
        selection's ranges: a selected column of a million rows is one range, not a million
        cells."""
        n_rows, n_columns = self.model.rowCount(), self.model.columnCount()
        bounds = self._selection_bounds()
        if not len(bounds):
            return np.arange(n_rows), np.arange(n_columns)
        return (
            _covered(bounds[:, 0], bounds[:, 1], n_rows),
            _covered(bounds[:, 2], bounds[:, 3], n_columns),
        )

    def _selection_bounds(self) -> np.ndarray:
        """The selection's ranges: one row (top, bottom, left, right) each, inclusive."""
        selection = self.view.selectionModel().selection()
        spans = (selection[i] for i in range(len(selection)))
        bounds = [(s.top(), s.bottom(), s.left(), s.right()) for s in spans if s.isValid()]
        return np.array(bounds, dtype=np.intp).reshape(-1, 4)

    def _keep_selection(self) -> None:
        """Before a sort: a selection of more than :data:`KEPT_SELECTION_ROWS` rows is kept
        as its ranges and cleared (Qt would keep a persistent index per selected row: a
        million selected rows took 20 s to follow a sort)."""
        bounds = self._selection_bounds()
        self._kept = None
        if (bounds[:, 1] - bounds[:, 0] + 1).sum() > KEPT_SELECTION_ROWS:
            self._kept = bounds
            self.view.selectionModel().clearSelection()

    def _restore_selection(self, moved_to: np.ndarray) -> None:
        """After a sort: select again the rows kept, where they moved (``moved_to``: each old
        row's new position), one range per run of adjacent rows."""
        if self._kept is None:
            return
        bounds, self._kept = self._kept, None
        selection = QItemSelection()
        for left, right in np.unique(bounds[:, 2:], axis=0).tolist():
            marked = np.zeros(len(moved_to), bool)
            for top, bottom in bounds[(bounds[:, 2] == left) & (bounds[:, 3] == right), :2]:
                marked[moved_to[top : bottom + 1]] = True
            rows = np.flatnonzero(marked)
            breaks = np.flatnonzero(np.diff(rows) != 1)
            starts, ends = rows[np.r_[0, breaks + 1]], rows[np.r_[breaks, len(rows) - 1]]
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                selection.select(self.model.index(start, left), self.model.index(end, right))
        self.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)

    def _on_sorting(self, message: str) -> None:
        """Say that a sort runs in a worker, and nothing more once it has ended."""
        if message or not self._doing:
            self._show_status(message)

    def copy(self, wait: bool | None = None) -> str | None:
        """Copy the selection as tab-separated text with a header row, as it is shown
        (:meth:`DataFrameModel.shown_frame`); returns the text.

        ``wait``: True formats the text here; False in a worker (progress and Cancel beside
        the buttons; returns None, and :attr:`copied` is emitted once the text is on the
        clipboard); None (the default) here for at most :data:`WORKER_CELLS` cells, else in
        a worker.
        """
        rows, columns = self.selected_cells()
        return self._copy(rows, columns, wait)

    def _copy(self, rows: np.ndarray, columns: np.ndarray, wait: bool | None) -> str | None:
        frame = self.model.shown_columns(columns)
        taken = None if len(rows) == len(frame) else rows  # every row: taken in slices
        if wait is None:
            wait = len(rows) * len(columns) <= WORKER_CELLS
        if wait:
            self._stop()
            text = copy_text(frame, taken, RunControl())
            QApplication.clipboard().setText(text)
            return text
        message = f"Copying {len(rows):,} rows × {len(columns)} columns"
        self._counts = (len(rows), len(columns))
        self._start("copy", partial(_copy_in_worker, frame, taken, message), message)
        return None

    def _copy_asked(self) -> None:
        """Copy (the button, Ctrl+C): a copy of more than :data:`CONFIRM_CLIPBOARD_BYTES` of
        text asks first (what it holds, and that Export CSV writes a file instead)."""
        if self._doing:
            return
        rows, columns = self.selected_cells()
        if len(rows) * len(columns) > WORKER_CELLS:
            sample = self.model.shown_frame(rows[:ESTIMATE_ROWS], columns)
            size = len(sample.to_csv(sep="\t", index=False).encode()) * len(rows) / len(sample)
            if size > CONFIRM_CLIPBOARD_BYTES and not self._confirm_copy(len(rows), size):
                return
        self._copy(rows, columns, None)

    def _confirm_copy(self, rows: int, size: float) -> bool:
        """Ask before putting ``size`` bytes (about) of ``rows`` rows on the clipboard."""
        text = f"Copy {rows:,} rows, about {size / 1e6:,.0f} MB of text, to the clipboard?"
        if rows > SPREADSHEET_ROWS:
            text += f"\n\nA spreadsheet takes at most {SPREADSHEET_ROWS:,} rows."
        text += "\n\nExport CSV… writes the table to a file instead."
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, f"Copy the {self.name} table", text, buttons.Yes | buttons.Cancel, buttons.Cancel
        )
        return answer == buttons.Yes

    def export_csv(self, path: str | Path | None = None, wait: bool | None = None) -> Path | None:
        """Write the whole table, rows and columns in the order shown, with the command line's
        names (:meth:`DataFrameModel.export_frame`) to ``path``; ask for a file when not given.

        The file is written next to ``path`` (hidden) and then renamed, so a failed or
        cancelled write leaves no file, nor a half-written one (an existing file stays as it
        was); a failure notifies the error, with the path and the reason, and returns None. A
        symbolic link is written through (its target gets the table; the link stays a link),
        an existing file keeps its permission bits, and a file that may not be written is
        refused ("Permission denied") and left as it was.

        ``wait``: True writes here and returns the path; False in a worker (progress and
        Cancel beside the buttons; returns None, and :attr:`exported` is emitted with the path
        once written); None (the default) here for at most :data:`WORKER_CELLS` cells, else
        in a worker.
        """
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, f"Export {self.name}", f"{self.name.replace(' ', '_')}.csv", "CSV (*.csv)"
            )
            if not path:
                return None
        path = Path(path).absolute()  # "." has no name to write next to
        target = Path(os.path.realpath(path))  # a link's target: renaming onto it keeps the link
        frame = self.model.export_frame()
        if wait is None:
            wait = frame.size <= WORKER_CELLS
        if wait:
            self._stop()
            try:
                return write_export(frame, path, target, self.name, RunControl())
            except ExportFailed as error:
                notify_error(str(error))
                return None
        message = f"Exporting {len(frame):,} rows to {path.name}"
        self._counts = frame.shape
        self._start("export", partial(write_export, frame, path, target, self.name), message)
        return None

    def cancel(self) -> None:
        """Stop the copy or the export running in a worker: nothing reaches the clipboard, no
        file is written (a file already there stays as it was)."""
        if not self._doing:
            return
        what = "nothing copied" if self._doing == "copy" else "nothing written"
        self._stop()
        self._show_status(f"Cancelled: {what}.")

    def _stop(self) -> None:
        """Drop the running copy or export (its worker stops at its next step); the line
        that said what it did goes."""
        if self._doing:
            self._show_status("")
        self.job.cancel()
        self._finish()

    def _finish(self) -> None:
        """The copy or export has ended (done, failed or cancelled): the buttons are back."""
        self._doing = ""
        for widget in (self.progress_bar, self.cancel_button):
            widget.hide()
        self.copy_button.setEnabled(True)
        self.export_button.setEnabled(True)

    def _start(self, doing: str, work, message: str) -> None:
        """Run ``work`` (called with ``control=``) in :attr:`job`, saying ``message``."""
        self._doing = doing
        self._show_status(f"{message}…")
        self.progress_bar.setValue(0)
        for widget in (self.progress_bar, self.cancel_button):
            widget.show()
        self.copy_button.setEnabled(False)
        self.export_button.setEnabled(False)
        done = self._on_copied if doing == "copy" else self._on_exported
        self.job.start(work, done, control=True)

    def _show_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(text)
        self.status_label.setVisible(bool(text))

    def _on_progress(self, step: tuple[float, str]) -> None:
        fraction, message = step
        self.progress_bar.setValue(int(100 * fraction))
        self._show_status(f"{message}…")

    def _on_copied(self, result: tuple[QMimeData, int]) -> None:
        data, length = result
        QApplication.clipboard().setMimeData(data)
        rows, columns = self._counts
        self._finish()
        self._show_status(
            f"Copied {rows:,} rows × {columns} columns ({length / 1e6:,.1f} MB of text) "
            "to the clipboard."
        )
        self.copied.emit(length)

    def _on_exported(self, path: Path) -> None:
        self._finish()
        self._show_status(f"Exported {self._counts[0]:,} rows to {path}.")
        self.exported.emit(path)

    def _on_failed(self, error: BaseException) -> None:
        self._show_status("Export failed." if self._doing == "export" else "Copy failed.")
        self._finish()
        notify_error(str(error))


def _reason(error: OSError) -> str:
    """Why a file could not be written, in words (the folder that is missing, or the system's
    reason: "Permission denied", "Is a directory", ...)."""
    folder = Path(error.filename).parent if error.filename else None
    if isinstance(error, FileNotFoundError) and folder is not None and not folder.is_dir():
        return f"the folder {folder} does not exist"
    return error.strerror or str(error)
