"""The Review section: errors as a layer, and a per-object table linked to the viewer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from napari.layers import Labels
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error
from napari.viewer import Viewer
from qtpy.QtCore import Qt
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QShortcut,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .._napari.layers import error_colormap, put_labels, write_object_features
from ..core.instance import REVIEW_THRESHOLD, InstanceResult
from ..core.review import (
    ERROR_COLORS,
    ERROR_NAMES,
    error_map,
    join_measurements,
    semantic_error_map,
)
from .tables import ResultTable

#: Filters of the object table: label -> (kind or None, status or None).
FILTERS = {
    "all objects": (None, None),
    "missed true objects (FN)": ("true", "FN"),
    "false predictions (FP)": ("pred", "FP"),
    "matched true objects (TP)": ("true", "TP"),
    "true objects": ("true", None),
    "predicted objects": ("pred", None),
}


class ReviewPanel(QWidget):
    """Walk through the objects of the last instance evaluation, with the image underneath."""

    def __init__(self, viewer: Viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.result: InstanceResult | None = None
        self.measurements: pd.DataFrame | None = None
        self.layers: dict[str, Labels] = {}  # "true"/"pred" -> the evaluated layers
        self.error_layer: Labels | None = None
        self.objects = pd.DataFrame()  # all rows at the current IoU threshold
        self.semantic: tuple[Labels, np.ndarray, np.ndarray] | None = None
        self._error_worker = None
        self._syncing = False

        self.iou_spin = QDoubleSpinBox(
            self, minimum=0.01, maximum=1.0, singleStep=0.05, value=0.5, decimals=2
        )
        self.iou_spin.setToolTip("Status (TP / FP / FN) is judged at this IoU threshold")
        self.iou_spin.valueChanged.connect(self.refresh)
        self.errors_combo = QComboBox(self)
        self.errors_combo.addItems(["objects (instance)", "pixels of one class (semantic)"])
        self.errors_combo.setToolTip(
            "Objects: matched, false and missed objects. Pixels: for one class, the pixels "
            "predicted but not true (FP) and true but not predicted (FN)."
        )
        self.class_spin = QSpinBox(self, minimum=0, maximum=2**31 - 1, value=1)
        self.class_spin.setToolTip("The class whose pixel errors are shown (1 = foreground)")
        self.errors_button = QPushButton("Show errors as a layer", self)
        self.errors_button.clicked.connect(lambda: self.show_errors())
        legend = QHBoxLayout()
        for value, name in ERROR_NAMES.items():
            swatch = QLabel(f"■ {name}", self)
            rgb = ", ".join(str(int(255 * c)) for c in ERROR_COLORS[value][:3])
            swatch.setStyleSheet(f"color: rgb({rgb}); font-weight: bold")
            legend.addWidget(swatch)
        legend.addStretch()
        self.filter_combo = QComboBox(self)
        self.filter_combo.addItems(list(FILTERS))
        self.filter_combo.currentIndexChanged.connect(self._apply_filter)
        self.table = ResultTable("objects", self)
        self.table.view.setSelectionBehavior(self.table.view.SelectionBehavior.SelectRows)
        self.table.view.selectionModel().currentRowChanged.connect(self._on_row)
        self.previous_button = QPushButton("◀ Previous", self)
        self.next_button = QPushButton("Next ▶", self)
        self.previous_button.setToolTip("Previous row (Alt+P)")
        self.next_button.setToolTip("Next row (Alt+N)")
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        for key, step in (("Alt+N", 1), ("Alt+P", -1)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda step=step: self.step(step))
        self.status_label = QLabel("Run an instance evaluation to review its objects.", self)
        self.status_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("IoU threshold", self.iou_spin)
        form.addRow("Errors of", self.errors_combo)
        form.addRow("Class", self.class_spin)
        form.addRow(self.errors_button)
        form.addRow(legend)
        form.addRow("Show", self.filter_combo)
        queue = QHBoxLayout()
        queue.addWidget(self.previous_button)
        queue.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, stretch=1)
        layout.addLayout(queue)

    # ------------------------------------------------------------------------- public API
    def set_evaluation(
        self,
        result: InstanceResult,
        measurements: pd.DataFrame,
        true_layer: Labels,
        pred_layer: Labels,
        objects: pd.DataFrame | None = None,
    ) -> None:
        """Review ``result``; ``true_layer``/``pred_layer`` hold the evaluated labels.

        ``objects``, the per-object rows at IoU 0.5 if already computed, saves recomputing them.
        """
        for layer in self.layers.values():
            layer.events.selected_label.disconnect(self._on_selected_label)
        self.result, self.measurements = result, measurements
        self.layers = {"true": true_layer, "pred": pred_layer}
        for layer in self.layers.values():
            layer.events.selected_label.connect(self._on_selected_label)
        self.refresh(objects=objects if self.iou_spin.value() == REVIEW_THRESHOLD else None)

    def set_semantic(self, true_layer: Labels, true: np.ndarray, pred: np.ndarray) -> None:
        """The class images a semantic evaluation compared, for the pixel error map."""
        self.semantic = (true_layer, true, pred)
        if self.result is None:
            self.errors_combo.setCurrentIndex(1)

    def refresh(self, *_, objects: pd.DataFrame | None = None) -> None:
        """Recompute the status of every object at the IoU threshold; update table and hover."""
        if self.result is None:
            return
        if objects is None:
            objects = join_measurements(
                self.result.objects_at(self.iou_spin.value()), self.measurements
            )
        self.objects = objects
        for kind, layer in self.layers.items():
            if layer in self.viewer.layers:
                write_object_features(layer, self.objects[self.objects["kind"] == kind])
        self._apply_filter()
        if self.error_layer is not None and self.error_layer in self.viewer.layers:
            self.show_errors()

    def rows(self) -> pd.DataFrame:
        """The rows shown, in the table's current (filtered, sorted) order."""
        return self.table.model.frame

    def select_row(self, row: int) -> None:
        """Select a shown row: the viewer moves to that object and selects its label."""
        index = self.table.model.index(row, 0)
        self.table.view.setCurrentIndex(index)
        self.table.view.selectRow(row)

    def step(self, offset: int) -> None:
        """Go to the next (+1) or previous (-1) row of the queue."""
        n_rows = len(self.rows())
        if n_rows:
            current = self.table.view.currentIndex().row()
            start = -1 if current < 0 and offset > 0 else current
            self.select_row(int(np.clip(start + offset, 0, n_rows - 1)))

    def show_errors(self, *, wait: bool = False) -> Labels | None:
        """Add (or update) the errors layer: TP, FP and FN objects in three colours, or, for
        the semantic evaluation, one class's FP and FN pixels in the same colours."""
        if self.errors_combo.currentIndex() == 1:
            if self.semantic is None:
                show_error("Segmentation Evaluation: run a semantic evaluation first.")
                return None
            _, true, pred = self.semantic
            class_id = self.class_spin.value()
            job = lambda: semantic_error_map(true, pred, class_id)  # noqa: E731
        elif self.result is None:
            show_error("Segmentation Evaluation: run an instance evaluation first.")
            return None
        else:
            true_layer, pred_layer = self.layers["true"], self.layers["pred"]
            job = lambda: error_map(  # noqa: E731
                np.asarray(true_layer.data),
                np.asarray(pred_layer.data),
                iou_threshold=self.iou_spin.value(),
                result=self.result,
            )
        if wait:
            return self._put_errors(job())
        if self._error_worker is None:
            self._error_worker = create_worker(
                job,
                _start_thread=True,
                _connect={
                    "returned": self._put_errors,
                    "errored": show_error,
                    "finished": lambda: setattr(self, "_error_worker", None),
                },
            )
        return None

    # ---------------------------------------------------------------------------- internals
    def _put_errors(self, data: np.ndarray) -> Labels:
        source = self.layers["true"] if self.errors_combo.currentIndex() == 0 else self.semantic[0]
        self.error_layer = put_labels(
            self.viewer,
            self.error_layer,
            data,
            name=f"{source.name} errors",
            role="errors",
            source=source,
            info={"iou_threshold": self.iou_spin.value()},
        )
        self.error_layer.colormap = error_colormap()
        return self.error_layer

    def _apply_filter(self, *_) -> None:
        kind, status = FILTERS[self.filter_combo.currentText()]
        rows = self.objects
        if kind is not None and not rows.empty:
            rows = rows[rows["kind"] == kind]
        if status is not None and not rows.empty:
            rows = rows[rows["status"] == status]
        self.table.set_frame(rows)
        if self.objects.empty:
            counts = {}
        else:  # a match is one true row and one pred row: count it once
            counts = self.objects.groupby(["kind", "status"]).size().to_dict()
        self.status_label.setText(
            f"{len(rows)} rows · {counts.get(('true', 'TP'), 0)} matched · "
            f"{counts.get(('pred', 'FP'), 0)} false · {counts.get(('true', 'FN'), 0)} missed "
            f"at IoU {self.iou_spin.value():.2f}"
        )

    def _on_row(self, current, _previous) -> None:
        if not current.isValid() or self._syncing:
            return
        row = self.rows().iloc[current.row()]
        layer = self.layers.get(row["kind"])
        if layer is None or layer not in self.viewer.layers:
            return
        centroid = [row[f"centroid_{axis}"] for axis in range(layer.ndim)]
        if np.isnan(centroid).any():
            return
        world = np.asarray(layer.data_to_world(centroid))
        offset = self.viewer.dims.ndim - layer.ndim
        displayed = [axis - offset for axis in self.viewer.dims.displayed if axis >= offset]
        for axis in range(layer.ndim):
            if axis not in displayed:
                self.viewer.dims.set_point(axis + offset, world[axis])
        self.viewer.scene.camera.center = tuple(world[displayed])
        self._syncing = True
        try:
            layer.selected_label = int(row["label"])
        finally:
            self._syncing = False

    def _on_selected_label(self, event) -> None:
        if self._syncing:
            return
        layer = event.source
        kind = next((k for k, v in self.layers.items() if v is layer), None)
        rows = self.rows()
        if kind is None or rows.empty:
            return
        found = np.flatnonzero(
            (rows["kind"] == kind).to_numpy() & (rows["label"] == layer.selected_label).to_numpy()
        )
        if found.size:
            self._syncing = True
            try:
                self.select_row(int(found[0]))
            finally:
                self._syncing = False
