"""The Evaluate section: choose truth and prediction, run, and read the record's tables.

Everything shown comes from one :class:`~napari_seg_eval.evaluation.Evaluation` record. When an
input of the record changes afterwards (the threshold, the labels, a layer removed or renamed),
the record is marked stale and the section says so; nothing mixes new layer data with it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import pandas as pd
from napari.layers import Image, Labels, Layer
from napari.utils.notifications import show_info, show_warning
from napari.viewer import Viewer
from qtpy.QtCore import QTimer, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .._jobs import Job, notify_error
from .._napari.layers import grid_notice, put_labels
from .._napari.probability import level0, probability_data
from ..core import catalogue
from ..core.blocks import is_lazy
from ..evaluation import (
    NO_OBJECTS_LAZY,
    Evaluation,
    EvaluationSettings,
    evaluation_steps,
    is_time_axis,
    parse_iou_thresholds,
)
from .layer_combo import LayerComboBox
from .plot import ThemedPlot
from .run_controls import run_controls
from .tables import ResultTable

if TYPE_CHECKING:
    from .widget import SegEvalWidget

#: Result tab -> (title, catalogue table of its columns).
TABLES = {
    "summary": ("Summary", "summary"),
    "per_class": ("Per class", "semantic.per_class"),
    "per_threshold": ("Per threshold", "instance.per_threshold"),
    "per_plane": ("Per plane", "per_plane"),
}

MULTISCALE = (
    "{} multiscale: evaluated at full resolution (level 0), chunk by chunk; the coarser levels "
    "are only for display."
)

#: Layer events after which a record made from the layer no longer matches it.
_EDIT_EVENTS = ("data", "paint", "labels_update")


def warn_unless_closing(viewer: Viewer, message: str) -> None:
    """A warning, unless the viewer is closing (its layers are then removed one by one)."""
    if getattr(viewer.window, "_qt_window", None) is not None:
        show_warning(f"Segmentation Evaluation: {message}")


class EvaluatePanel(QWidget):
    """Compare a prediction with the ground truth; show the tables of the current record."""

    #: Emitted with each finished (not cancelled) :class:`Evaluation`, after the tables are filled.
    evaluated = Signal(object)

    def __init__(self, viewer: Viewer, owner: SegEvalWidget, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner  # the dock: probability layer, threshold and its options
        self.evaluation: Evaluation | None = None
        self._run_layers: tuple[Layer, ...] = ()  # the layers the running job reads
        self._watched: list[tuple[Layer, str, object]] = []  # (layer, event, callback)
        self.job = Job(self, on_progress=self._on_progress)
        self.job.finished.connect(self._on_job_finished)

        self.truth_combo = LayerComboBox(viewer, (Labels,), self)
        self.prediction_combo = LayerComboBox(viewer, (Labels, Image), self)
        self.prediction_combo.setToolTip(
            "A Labels layer, or a probability Image thresholded with the settings above "
            "(its objects are always the connected components, whatever the preview shows)"
        )
        self.kind_combo = QComboBox(self)
        self.kind_combo.addItems(["both", "instance", "semantic"])
        self.iou_edit = QLineEdit("0.5:0.95:0.05", self)
        self.iou_edit.setToolTip("start:stop:step (stop included) or a list such as 0.5, 0.75")
        self.ignore_spin = QSpinBox(self, minimum=-1, maximum=2**31 - 1, value=-1)
        self.ignore_spin.setSpecialValueText("none")
        self.plane_axis_combo = QComboBox(self)
        self.plane_axis_combo.setToolTip(
            "Also evaluate every plane along this axis (time or z) on its own"
        )
        self.each_plane_check = QCheckBox("label each plane on its own (time)", self)
        self.each_plane_check.setToolTip(
            "Objects of a probability map never join across planes, and instance counts are "
            "pooled over planes. On by default for an axis labelled t or time."
        )
        self.binarize_check = QCheckBox("semantic: foreground vs background", self)
        self.binarize_check.setChecked(True)
        self.binarize_check.setToolTip(
            "Compare labels > 0 instead of label values (uncheck for class label images)"
        )
        controls = run_controls(self, self.run, self.cancel)
        self.run_button, self.cancel_button = controls.run_button, controls.cancel_button
        self.progress_bar, self.status_label = controls.progress_bar, controls.status_label
        self.stale_label = QLabel("", self)
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet("color: rgb(230, 159, 0); font-weight: bold")
        self.stale_label.setVisible(False)
        self.result_tabs = QTabWidget(self)
        self.tables = {
            key: ResultTable(title.lower(), table, self) for key, (title, table) in TABLES.items()
        }
        for key, (title, _) in TABLES.items():
            self.result_tabs.addTab(self.tables[key], title)
        self.plane_plot = ThemedPlot(viewer, self, height=1.6)
        self.plane_plot.setVisible(False)
        self.tables["per_plane"].layout().insertWidget(1, self.plane_plot)
        self.tables["per_plane"].view.selectionModel().currentRowChanged.connect(self._on_plane_row)
        self.truth_combo.currentIndexChanged.connect(self._on_truth_layer)
        self.plane_axis_combo.currentIndexChanged.connect(self._on_plane_axis)
        self._on_truth_layer()

        form = QFormLayout()
        form.addRow("Ground truth", self.truth_combo)
        form.addRow("Prediction", self.prediction_combo)
        form.addRow("Evaluate", self.kind_combo)
        form.addRow("IoU thresholds", self.iou_edit)
        form.addRow("Ignore label", self.ignore_spin)
        form.addRow("Plane by plane", self.plane_axis_combo)
        form.addRow(self.each_plane_check)
        form.addRow(self.binarize_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.stale_label)
        layout.addWidget(self.result_tabs, stretch=1)
        viewer.layers.events.removed.connect(self._on_layer_removed)

    # ------------------------------------------------------------------------- public API
    @property
    def results(self) -> dict[str, pd.DataFrame]:
        """The current record's tables ({} before the first evaluation)."""
        return dict(self.evaluation.tables) if self.evaluation is not None else {}

    def set_plane_axis(self, axis: int | None, label_each_plane: bool | None = None) -> None:
        """Evaluate every plane along ``axis`` too (None: whole image only).

        ``label_each_plane`` (default: True when napari labels the axis t or time) labels each
        plane of a probability map on its own and pools the instance counts over planes.
        """
        index = self.plane_axis_combo.findData(axis)
        if index < 0:
            raise ValueError(f"no axis {axis!r} to evaluate plane by plane")
        self.plane_axis_combo.setCurrentIndex(index)
        if label_each_plane is not None:
            self.each_plane_check.setChecked(bool(label_each_plane))

    def run(self, *, wait: bool = False) -> dict[str, pd.DataFrame] | None:
        """Evaluate; ``wait=True`` runs now and returns the tables, else a worker runs it."""
        try:
            truth, prediction, work, grid = self._prepare()
        except (TypeError, ValueError) as error:
            self._report(error)
            return None
        if grid:
            show_warning(f"Segmentation Evaluation: {grid}")
        show = partial(self._show, truth, prediction)
        if wait:
            self._run_layers = ()
            return self.job.run_now(work, show, control=True)
        self._run_layers = (truth, prediction, self.owner.probability_combo.layer())
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.status_label.setText("Starting…")
        self.job.start(work, show, control=True)
        return None

    def cancel(self, reason: str = "") -> None:
        """Stop the running evaluation; its results will not be shown."""
        if self.job.running:
            self.job.cancel()
            self.status_label.setText(f"Cancelled{': ' + reason if reason else ''}.")

    def mark_stale(self, reason: str) -> None:
        """Say that the current record no longer matches the viewer (the first reason stays)."""
        if self.evaluation is None or self.evaluation.stale:
            return
        self.evaluation = self.evaluation.marked_stale(reason)
        self._unwatch()
        self.stale_label.setText(
            f"Out of date: {reason}. The tables show the last evaluation; press Run to update."
        )
        self.stale_label.setVisible(True)
        self.owner.review.set_record(self.evaluation)

    # ---------------------------------------------------------------------------- internals
    def _prepare(self):
        """Read the choices on the main thread: the layers, the work, and a grid notice."""
        truth = self.truth_combo.layer()
        prediction = self.prediction_combo.layer()
        if truth is None or prediction is None:
            raise ValueError("choose a ground-truth Labels layer and a prediction layer.")
        if truth is prediction:
            raise ValueError("the ground truth and the prediction are the same layer.")
        options = self.owner.threshold_options()
        is_probability = isinstance(prediction, Image)
        drop = options.channel_axis if is_probability else None
        truth_data, prediction_data = level0(truth), level0(prediction)
        expected = tuple(prediction_data.shape)
        if drop is not None:
            expected = tuple(n for i, n in enumerate(expected) if i != drop % len(expected))
        if tuple(truth_data.shape) != expected:
            raise ValueError(
                f"shape mismatch: ground truth {truth.name!r} is {tuple(truth_data.shape)}, "
                f"prediction {prediction.name!r} gives {expected}."
            )
        ignore = self.ignore_spin.value()
        axis = self.plane_axis_combo.currentData()
        notices = []
        multiscale = [repr(layer.name) for layer in (truth, prediction) if layer.multiscale]
        if multiscale:
            verb = "is" if len(multiscale) == 1 else "are"
            notices.append(MULTISCALE.format(f"{' and '.join(multiscale)} {verb}"))
        if is_probability:  # uint8/uint16 maps are read as value / dtype max
            prediction_data, notice = probability_data(prediction)
            notices.append(notice)
        lazy = is_lazy(truth_data) or is_lazy(prediction_data)
        if lazy and self.kind_combo.currentText() != "semantic":
            notices.append(NO_OBJECTS_LAZY)
        confidence_layer = self.owner.probability_combo.layer()
        confidence = None
        if (
            not is_probability
            and not lazy
            and confidence_layer is not None
            and tuple(level0(confidence_layer).shape) == tuple(truth_data.shape)
        ):
            try:
                confidence, notice = probability_data(confidence_layer)
                notices.append(notice)
            except TypeError:  # not a probability map: the objects get no confidence
                confidence = None
        settings = EvaluationSettings(
            kind=self.kind_combo.currentText(),
            iou_thresholds=tuple(parse_iou_thresholds(self.iou_edit.text())),
            ignore_label=None if ignore < 0 else ignore,
            binarize_semantic=self.binarize_check.isChecked(),
            threshold=self.owner.threshold if is_probability else None,
            threshold_options=options if is_probability else None,
            plane_axis=axis,
            label_each_plane=axis is not None and self.each_plane_check.isChecked(),
            truth_name=truth.name,
            prediction_name=prediction.name,
            confidence_name=confidence_layer.name if confidence is not None else None,
        )
        if lazy and axis is not None:
            raise ValueError(
                "plane-by-plane evaluation reads each plane into memory; it is not available "
                "for chunked (dask/zarr) layers: choose 'no (whole image at once)'."
            )
        work = partial(
            evaluation_steps, truth_data, prediction_data, settings, confidence=confidence
        )
        for notice in filter(None, notices):
            show_info(f"Segmentation Evaluation: {notice}")
        return truth, prediction, work, grid_notice(truth, prediction, drop)

    def _show(self, truth: Labels, prediction: Layer, record: Evaluation) -> dict:
        """Make ``record`` the current one: tables, result layer, review, staleness watch."""
        self._unwatch()
        self.evaluation = record
        self.stale_label.setVisible(False)
        for key, table in self.tables.items():
            table.set_frame(record.tables[key])
        self._plot_planes()
        shown = prediction
        if record.settings.threshold is not None:  # the labels made from the probability map
            options = record.settings.threshold_options
            shown = put_labels(
                self.viewer,
                record.prediction,
                name=f"{prediction.name} evaluated",
                role="evaluated",
                source=prediction,
                info={"threshold": record.settings.threshold, "output": "instance"},
                drop_axis=options.channel_axis,
            )
        self.owner.review.set_evaluation(record, truth, shown)
        self._watch(truth, prediction, shown)
        self.progress_bar.setValue(100)
        self.status_label.setText("Done.")
        # The threshold or its options may have moved while the worker ran.
        self.threshold_changed(self.owner.threshold)
        self.options_changed()
        self.evaluated.emit(record)
        return dict(record.tables)

    def _watch(self, truth: Layer, prediction: Layer, shown: Layer) -> None:
        """Mark the record stale when one of its inputs changes."""
        for layer in {id(x): x for x in (truth, prediction)}.values():
            for name in _EDIT_EVENTS:
                if hasattr(layer.events, name):
                    self._connect(layer, name, f"{layer.name!r} was edited")
            self._connect(layer, "name", f"{layer.name!r} was renamed")
        if shown is not prediction:  # our labels of the map: editing them is editing an input
            for name in ("paint", "labels_update"):
                self._connect(shown, name, f"{shown.name!r} was edited")

    def _connect(self, layer: Layer, event: str, reason: str) -> None:
        callback = partial(self._on_input_changed, reason)
        getattr(layer.events, event).connect(callback)
        self._watched.append((layer, event, callback))

    def _unwatch(self) -> None:
        for layer, event, callback in self._watched:
            getattr(layer.events, event).disconnect(callback)
        self._watched = []

    def _on_input_changed(self, reason: str, *_) -> None:
        self.mark_stale(reason)

    def threshold_changed(self, value: float) -> None:
        """The dock's threshold moved: a record made at another threshold is out of date."""
        record = self.evaluation
        if record is not None and record.settings.threshold not in (None, value):
            self.mark_stale(
                f"the threshold is now {value:g}; the evaluation used {record.settings.threshold:g}"
            )

    def options_changed(self) -> None:
        """The threshold options changed: a record of a probability map is out of date."""
        record = self.evaluation
        options = self.owner.threshold_options()
        if record is not None and record.settings.threshold_options not in (None, options):
            self.mark_stale("the threshold options changed")

    def _plot_planes(self) -> None:
        per_plane = self.evaluation.tables["per_plane"]
        self.plane_plot.setVisible(not per_plane.empty)
        if per_plane.empty:
            return
        axes = self.plane_plot.axes
        axes.clear()
        for column in ("accuracy_50", "f1_50", "mean_iou"):
            if column in per_plane:
                axes.plot(
                    per_plane["plane"],
                    per_plane[column].astype(float),
                    marker=".",
                    label=catalogue.label(TABLES["per_plane"][1], column),
                )
        axes.set_xlabel("plane")
        axes.set_ylim(-0.02, 1.02)
        # Above the axes, never over the curves (constrained layout makes room for it).
        axes.legend(
            fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False
        )
        self.plane_plot.redraw()

    def _on_plane_row(self, current, _previous) -> None:
        record = self.evaluation
        truth = self.truth_combo.layer()
        if not current.isValid() or record is None or record.settings.plane_axis is None:
            return
        if truth is None:
            return
        plane = int(self.tables["per_plane"].model.frame["plane"].iloc[current.row()])
        offset = self.viewer.dims.ndim - truth.ndim
        self.viewer.dims.set_current_step(record.settings.plane_axis + offset, plane)

    def _on_truth_layer(self, *_) -> None:
        layer = self.truth_combo.layer()
        self.plane_axis_combo.blockSignals(True)
        self.plane_axis_combo.clear()
        self.plane_axis_combo.addItem("no (whole image at once)", None)
        for axis in range(layer.ndim if layer is not None and layer.ndim > 2 else 0):
            name = layer.axis_labels[axis]
            self.plane_axis_combo.addItem(
                f"along axis {axis} '{name}' ({layer.data.shape[axis]} planes)", axis
            )
        self.plane_axis_combo.blockSignals(False)
        self._on_plane_axis()

    def _on_plane_axis(self, *_) -> None:
        axis = self.plane_axis_combo.currentData()
        truth = self.truth_combo.layer()
        self.each_plane_check.setEnabled(axis is not None)
        self.each_plane_check.setChecked(
            axis is not None and truth is not None and is_time_axis(truth.axis_labels, axis)
        )

    def _report(self, error: BaseException) -> None:
        self.status_label.setText(str(error))
        notify_error(error)

    def _on_progress(self, step: tuple[float, str]) -> None:
        fraction, message = step
        self.progress_bar.setValue(int(100 * fraction))
        self.status_label.setText(message.capitalize() + "…")

    def _on_job_finished(self) -> None:
        running = self.job.running
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if not running:
            self._run_layers = ()

    def _on_layer_removed(self, event) -> None:
        layer = event.value
        if self.job.running and any(layer is used for used in self._run_layers):
            self.cancel(f"layer {layer.name!r} was removed")
            # Deferred: while the viewer closes, its layers are removed one by one first.
            QTimer.singleShot(
                0,
                partial(
                    warn_unless_closing,
                    self.viewer,
                    f"layer {layer.name!r} was removed during the evaluation; the run was "
                    "cancelled.",
                ),
            )
        if any(layer is watched for watched, _, _ in self._watched):
            self.mark_stale(f"{layer.name!r} was removed")

    def close_jobs(self) -> None:
        """Stop the running evaluation for good (the dock is closing)."""
        self.job.close()
        self._unwatch()
        self.viewer.layers.events.removed.disconnect(self._on_layer_removed)
