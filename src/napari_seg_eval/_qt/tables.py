"""Result tables: a pandas-backed Qt model with sorting, copying and CSV export.

The model reads the DataFrame directly (no cell-by-cell widget items), so tables of 50,000
rows stay responsive. Undefined values (0/0, NaN) show as an em dash with a tooltip.
"""

from __future__ import annotations

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

UNDEFINED = "—"
UNDEFINED_TIP = (
    "Undefined (0/0): nothing to divide by, e.g. recall with no true objects or precision "
    "with no predictions. Left out of every mean."
)

#: Column headers that say what the numbers are, and the definition shown as a tooltip.
HEADERS: dict[str, tuple[str, str]] = {
    "accuracy": (
        "AP (DSB) = TP/(TP+FP+FN)",
        "DSB 2018 / StarDist / Cellpose 'AP' at this IoU threshold (not COCO AP)",
    ),
    "mean_accuracy": ("mean AP (DSB) over IoU thresholds", "mean of TP/(TP+FP+FN)"),
    "f1": ("F1 = 2TP/(2TP+FP+FN)", "harmonic mean of precision and recall"),
    "precision": ("precision = TP/(TP+FP)", ""),
    "recall": ("recall = TP/(TP+FN)", ""),
    "iou": ("IoU", "intersection over union (Jaccard)"),
    "dice": ("Dice = 2TP/(2TP+FP+FN)", ""),
    "panoptic_quality": ("PQ = ΣIoU/(TP+FP/2+FN/2)", "panoptic quality (Kirillov et al.)"),
    "mean_matched_iou": ("mean IoU of matches", "ΣIoU/TP (StarDist mean_matched_score)"),
    "mean_true_iou": ("ΣIoU / n_true", "StarDist mean_true_score"),
    "sum_matched_iou": ("Σ IoU of matches", ""),
    "threshold": ("IoU threshold", "a pair matches when IoU >= threshold"),
    "tp": ("TP", "true positives"),
    "fp": ("FP", "false positives"),
    "fn": ("FN", "false negatives"),
    "tn": ("TN", "true negatives"),
}
#: Display names for rows of the summary table.
SUMMARY_NAMES = {
    "mean_accuracy": "mean AP (DSB) = TP/(TP+FP+FN), IoU 0.50:0.95",
    "accuracy_50": "AP (DSB) at IoU 0.5",
    "f1_50": "F1 at IoU 0.5",
    "precision_50": "precision at IoU 0.5",
    "recall_50": "recall at IoU 0.5",
    "panoptic_quality_50": "panoptic quality at IoU 0.5",
    "aji": "aggregated Jaccard index (AJI)",
    "n_true": "true objects",
    "n_pred": "predicted objects",
    "mean_iou": "mean IoU (Jaccard)",
    "mean_dice": "mean Dice",
    "mean_precision": "mean precision",
    "mean_recall": "mean recall",
    "pixel_accuracy": "pixel accuracy",
    "frequency_weighted_iou": "frequency-weighted IoU",
    "n_pixels": "pixels counted",
}


def format_value(value) -> str:
    """Text of one cell: integers as they are, floats to 4 decimals, undefined as an em dash."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return UNDEFINED
    if isinstance(value, float | np.floating):
        return f"{value:.4f}"
    return str(value)


class DataFrameModel(QAbstractTableModel):
    """A read-only Qt model over a DataFrame; sorting reorders the frame (NaN last)."""

    def __init__(self, frame: pd.DataFrame | None = None, parent=None):
        super().__init__(parent)
        self._frame = pd.DataFrame() if frame is None else frame.reset_index(drop=True)

    @property
    def frame(self) -> pd.DataFrame:
        """The rows in their current (sorted) order."""
        return self._frame

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.beginResetModel()
        self._frame = frame.reset_index(drop=True)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else self._frame.shape[1]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self._frame.iat[index.row(), index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(value)
        if role == Qt.ItemDataRole.ToolTipRole and format_value(value) == UNDEFINED:
            return UNDEFINED_TIP
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float | np.number):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or section >= self._frame.shape[1]:
            return None
        column = str(self._frame.columns[section])
        label, tip = HEADERS.get(column, (column, ""))
        if role == Qt.ItemDataRole.DisplayRole:
            return label
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{column}: {tip}" if tip else column
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if column < 0 or column >= self._frame.shape[1]:
            return
        self.layoutAboutToBeChanged.emit()
        self._frame = self._frame.sort_values(
            self._frame.columns[column],
            ascending=order == Qt.SortOrder.AscendingOrder,
            na_position="last",
            kind="stable",
        ).reset_index(drop=True)
        self.layoutChanged.emit()


class ResultTable(QWidget):
    """A sortable table with Copy (tab-separated, selection or all) and Export CSV buttons."""

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.name = name
        self.model = DataFrameModel(parent=self)
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

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.model.set_frame(frame)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.resizeColumnsToContents()

    def selected_frame(self) -> pd.DataFrame:
        """The selected rectangle of cells (bounding box of the selection), or the whole table."""
        indexes = self.view.selectionModel().selectedIndexes()
        frame = self.model.frame
        if not indexes:
            return frame
        rows = sorted({i.row() for i in indexes})
        columns = sorted({i.column() for i in indexes})
        return frame.iloc[rows, columns]

    def copy(self) -> str:
        """Copy the selection as tab-separated text with a header row; returns the text."""
        text = self.selected_frame().to_csv(sep="\t", index=False)
        QApplication.clipboard().setText(text)
        return text

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        """Write the whole table (current order) to ``path``; ask for a file when not given."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, f"Export {self.name}", f"{self.name.replace(' ', '_')}.csv", "CSV (*.csv)"
            )
            if not path:
                return None
        self.model.frame.to_csv(path, index=False)
        return Path(path)
