"""The Review section: errors as a layer, and a per-object table linked to the viewer."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
from napari.layers import Labels
from napari.utils.notifications import show_warning
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

from .._jobs import Job, notify_error
from .._napari.layers import error_colormap, put_labels, result_layer, write_object_features
from ..core.instance import REVIEW_THRESHOLD
from ..core.review import ERROR_COLORS, ERROR_NAMES, error_map, semantic_error_map
from ..evaluation import Evaluation
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
    """Walk through the objects of the current evaluation record, with the image underneath.

    Everything here reads the record (:class:`~napari_seg_eval.evaluation.Evaluation`): the
    objects, their status at the IoU threshold and the error layer are computed from the arrays
    the evaluation compared, never from the layers as they are now.
    """

    def __init__(self, viewer: Viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.record: Evaluation | None = None
        self.layers: dict[str, Labels] = {}  # "true"/"pred" -> the layers showing the objects
        self.objects = pd.DataFrame()  # all rows at the current IoU threshold
        self.rematch_job = Job(self)
        self.error_job = Job(self)
        self._syncing = False

        self.iou_spin = QDoubleSpinBox(
            self, minimum=0.01, maximum=1.0, singleStep=0.05, value=0.5, decimals=2
        )
        self.iou_spin.setToolTip("Status (TP / FP / FN) is judged at this IoU threshold")
        self.iou_spin.valueChanged.connect(lambda _: self.refresh())
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
        self.table = ResultTable("objects", "instance.per_object", self)
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
        self.stale_label = QLabel("", self)
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet("color: rgb(230, 159, 0); font-weight: bold")
        self.stale_label.setVisible(False)

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
        layout.addWidget(self.stale_label)
        layout.addWidget(self.table, stretch=1)
        layout.addLayout(queue)

    # ------------------------------------------------------------------------- public API
    @property
    def result(self):
        """The record's instance result (None without an instance evaluation)."""
        return self.record.instance if self.record is not None else None

    def set_evaluation(self, record: Evaluation, true_layer: Labels, pred_layer: Labels) -> None:
        """Review ``record``; ``true_layer``/``pred_layer`` show its objects (hover, selection).

        After an evaluation with instance metrics the errors shown are objects; after a semantic
        one only, pixels of one class.
        """
        for layer in self.layers.values():
            layer.events.selected_label.disconnect(self._on_selected_label)
        self.layers = {"true": true_layer, "pred": pred_layer}
        for layer in self.layers.values():
            layer.events.selected_label.connect(self._on_selected_label)
        self.set_record(record)
        self.errors_combo.setCurrentIndex(0 if record.instance is not None else 1)
        if record.instance is None:
            self._show_objects(pd.DataFrame())
        elif self.iou_spin.value() == REVIEW_THRESHOLD:
            self._show_objects(record.tables["per_object"])
        else:
            self.refresh(wait=True)

    def set_record(self, record: Evaluation) -> None:
        """The same evaluation, possibly marked stale: say so."""
        self.record = record
        self.stale_label.setText(
            f"Out of date: {record.stale}. Rows and errors are those of the last evaluation."
        )
        self.stale_label.setVisible(bool(record.stale))

    def refresh(self, *, wait: bool = False) -> pd.DataFrame | None:
        """Re-match at the IoU threshold (in a worker unless ``wait``): table, hover, errors."""
        record = self.record
        if record is None or record.instance is None:
            return None
        work = partial(record.objects_at, self.iou_spin.value())
        if wait:
            return self.rematch_job.run_now(work, self._show_objects)
        self.rematch_job.start(work, self._show_objects)
        return None

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
        """Add (or update) the errors layer from the record's own arrays.

        TP, FP and FN objects in three colours, or, for the semantic evaluation, one class's FP
        and FN pixels in the same colours. When the record is stale a notice says that the
        errors are those of the evaluated data.
        """
        record = self.record
        pixels = self.errors_combo.currentIndex() == 1
        if record is None or (record.semantic is None if pixels else record.instance is None):
            notify_error(f"run a{' semantic' if pixels else 'n instance'} evaluation first.")
            return None
        source = self.layers.get("true")
        if source is None or source not in self.viewer.layers:
            notify_error("the evaluated ground-truth layer was removed; run the evaluation again.")
            return None
        if record.stale:
            show_warning(
                f"Segmentation Evaluation: the evaluation is out of date ({record.stale}); "
                "the errors shown are those of the data it compared."
            )
        if pixels:
            job = partial(
                semantic_error_map,
                record.semantic_truth,
                record.semantic_prediction,
                self.class_spin.value(),
            )
        else:
            job = partial(
                error_map,
                record.truth,
                record.prediction,
                iou_threshold=self.iou_spin.value(),
                result=record.instance,
            )
        show = partial(self._put_errors, source, self.iou_spin.value())
        if wait:
            return self.error_job.run_now(job, show)
        self.error_job.start(job, show)
        return None

    # ---------------------------------------------------------------------------- internals
    def _show_objects(self, objects: pd.DataFrame) -> pd.DataFrame:
        self.objects = objects
        if not objects.empty:
            for kind, layer in self.layers.items():
                if layer in self.viewer.layers and not self.record.stale:
                    write_object_features(layer, objects[objects["kind"] == kind])
        self._apply_filter()
        source = self.layers.get("true")
        if (
            source is not None
            and source in self.viewer.layers
            and self.errors_combo.currentIndex() == 0
            and result_layer(self.viewer, source, "errors") is not None
        ):
            self.show_errors()
        return objects

    def _put_errors(self, source: Labels, iou_threshold: float, data: np.ndarray) -> Labels:
        layer = put_labels(
            self.viewer,
            data,
            name=f"{source.name} errors",
            role="errors",
            source=source,
            info={"iou_threshold": iou_threshold},
        )
        layer.colormap = error_colormap()
        return layer

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
