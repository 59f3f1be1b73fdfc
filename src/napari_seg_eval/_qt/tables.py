"""Result tables: a pandas-backed Qt model with sorting, copying and CSV export.

The model reads the DataFrame directly (no cell-by-cell widget items), so tables of 50,000
rows stay responsive. Undefined values (0/0, NaN) show as an em dash with a tooltip. Hovering
a column header or any value shows the definition card of its metric (the catalogue's
formula, definition, pooling and 0/0 rule).

A click on a header sorts by what the column shows (the Summary's metric labels, not their
keys). Copy gives what is shown, for a spreadsheet: the headers and the Summary's metric
labels, the values in full precision (undefined ones empty). Export CSV gives the names of the
command line's result files, for scripts: the API's column names (the Summary with each key's
label beside it), so an exported table and a result folder's file agree.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from qtpy.QtCore import QAbstractTableModel, QModelIndex, Qt
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QShortcut,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .._jobs import notify_error
from ..core import catalogue

UNDEFINED = "—"
UNDEFINED_TIP = (
    "Undefined (0/0): nothing to divide by, e.g. recall with no true objects or precision "
    "with no predictions. Left out of every mean."
)

#: The look of a line saying that results no longer match their inputs or settings (every tab).
STALE_STYLE = "color: rgb(230, 159, 0); font-weight: bold"
#: The look of a table of such results (:meth:`ResultTable.set_stale`).
STALE_TABLE_STYLE = "QTableView { border: 2px solid rgb(230, 159, 0); }"

#: Widest a column is sized to fit its text (pixels); a longer text is elided, whole in its
#: tooltip, and the user can widen the column.
MAX_COLUMN_WIDTH = 260
#: A text cell's tooltip repeats its text from this many characters (a shorter one is seen).
TOOLTIP_TEXT_FROM = 24

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
    """A read-only Qt model over a DataFrame; sorting reorders the frame (NaN last).

    ``table`` names the catalogue table of the columns: headers are the catalogue's short
    labels (with ``short_headers``, :func:`short_label`) with the definition as a tooltip,
    and the most-read columns come first. The
    ``"summary"`` table has rows (evaluation, metric key, value): the key shows as its label.
    Labels and cards are in the words of the frame's ``matching`` (:meth:`set_frame`).
    """

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
        frame = self._frame.iloc[list(rows), list(columns)].copy()
        if self.table == "summary" and "metric" in frame.columns:
            frame["metric"] = self.shown_column("metric").iloc[list(rows)].to_numpy()
        frame.columns = [self.shown_header(column) for column in columns]
        return frame

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

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows by what column ``column`` shows (:meth:`shown_column`, then
        :func:`sort_key`); undefined values last in either order; ties keep their order."""
        if column < 0 or column >= self._frame.shape[1]:
            return
        keys = sort_key(self.shown_column(self._frame.columns[column]))
        keys = keys.sort_values(
            ascending=order == Qt.SortOrder.AscendingOrder, na_position="last", kind="stable"
        )
        self.layoutAboutToBeChanged.emit()
        # The selection and the current row follow their rows (Qt's persistent indexes).
        before = self.persistentIndexList()
        moved_to = np.empty(len(keys), np.intp)
        moved_to[keys.index.to_numpy()] = np.arange(len(keys))
        self._frame = self._frame.loc[keys.index].reset_index(drop=True)
        after = [self.index(int(moved_to[index.row()]), index.column()) for index in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()


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


class ResultTable(QWidget):
    """A sortable table with Copy (tab-separated, selection or all) and Export CSV buttons.

    ``model`` replaces the plain :class:`DataFrameModel` (e.g. one with headers of its own).
    """

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
        QShortcut(QKeySequence.StandardKey.Copy, self.view, activated=self.copy)

        copy_button = QPushButton("Copy", self)
        copy_button.setToolTip("Copy the selected cells (or the whole table) as tab-separated text")
        copy_button.clicked.connect(self.copy)
        export_button = QPushButton("Export CSV…", self)
        export_button.clicked.connect(lambda: self.export_csv())
        buttons = QHBoxLayout()
        buttons.addWidget(copy_button)
        buttons.addWidget(export_button)
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
        ``matching``: how the result's objects were matched, which its labels say."""
        self.model.set_frame(frame, note, first, last, matching=matching)
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
        """Frame the table in :data:`STALE_STYLE`'s colour while its rows are out of date."""
        self.view.setStyleSheet(STALE_TABLE_STYLE if stale else "")

    def selected_cells(self) -> tuple[list[int], list[int]]:
        """The rows and columns (positions) of the selected rectangle of cells (bounding box
        of the selection), or of the whole table."""
        indexes = self.view.selectionModel().selectedIndexes()
        if not indexes:
            return list(range(self.model.rowCount())), list(range(self.model.columnCount()))
        return sorted({i.row() for i in indexes}), sorted({i.column() for i in indexes})

    def copy(self) -> str:
        """Copy the selection as tab-separated text with a header row, as it is shown
        (:meth:`DataFrameModel.shown_frame`); returns the text."""
        text = self.model.shown_frame(*self.selected_cells()).to_csv(sep="\t", index=False)
        QApplication.clipboard().setText(text)
        return text

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        """Write the whole table, rows and columns in the order shown, with the command line's
        names (:meth:`DataFrameModel.export_frame`) to ``path``; ask for a file when not given.

        The file is written next to ``path`` and then renamed, so a failed write leaves no
        file, nor a half-written one (an existing file stays as it was); it notifies the error,
        with the path and the reason, and returns None. A symbolic link is written through
        (its target gets the table; the link stays a link), an existing file keeps its
        permission bits, and a file that may not be written is refused ("Permission denied")
        and left as it was.
        """
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, f"Export {self.name}", f"{self.name.replace(' ', '_')}.csv", "CSV (*.csv)"
            )
            if not path:
                return None
        path = Path(path).absolute()  # "." has no name to write next to
        target = Path(os.path.realpath(path))  # a link's target: renaming onto it keeps the link
        exists = target.is_file()
        if exists and not os.access(target, os.W_OK):  # the rename would replace it anyway
            notify_error(
                f"could not export the {self.name} table to {path}: {os.strerror(errno.EACCES)}."
            )
            return None
        part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
        created = False
        try:
            with open(part, "x", newline="", encoding="utf-8") as file:
                created = True
                self.model.export_frame().to_csv(file, index=False)
            if exists:
                shutil.copymode(target, part)
            os.replace(part, target)
        except BaseException as error:
            if created:
                part.unlink(missing_ok=True)
            if not isinstance(error, OSError):
                raise
            notify_error(f"could not export the {self.name} table to {path}: {_reason(error)}.")
            return None
        return path


def _reason(error: OSError) -> str:
    """Why a file could not be written, in words (the folder that is missing, or the system's
    reason: "Permission denied", "Is a directory", ...)."""
    folder = Path(error.filename).parent if error.filename else None
    if isinstance(error, FileNotFoundError) and folder is not None and not folder.is_dir():
        return f"the folder {folder} does not exist"
    return error.strerror or str(error)
