"""The "Segmentation Evaluation" dock widget: threshold, confidence colormap, evaluation tables.

A thin skin over the core: it reads arrays from layers, runs the core in worker threads, and
writes results back as layers and tables on the main thread. Every action is also a public
method, so scripts can drive it (see docs/widget.md).
"""

from __future__ import annotations

from functools import partial

import pandas as pd
from napari.layers import Image, Labels, Layer
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_warning
from napari.viewer import Viewer
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from .._colormap import confidence_colormap
from .._jobs import (
    ThresholdOptions,
    evaluation_steps,
    labels_from_probability,
    parse_iou_thresholds,
)
from .._napari.layers import put_labels
from .colorbar import ConfidenceColorBar
from .confidence_panel import ConfidencePanel
from .layer_combo import LayerComboBox
from .plot import ThemedPlot
from .review import ReviewPanel
from .tables import ResultTable

TABLES = {
    "summary": "Summary",
    "per_class": "Per class",
    "per_threshold": "Per threshold",
    "per_plane": "Per plane",
}


_MULTISCALE = (
    "layer {!r} is multiscale; evaluate one resolution level, e.g. "
    "viewer.add_image(layer.data[0]), so that every pixel is counted once."
)


class SegEvalWidget(QWidget):
    """Threshold probability maps, colour confidence, and evaluate labels against ground truth."""

    def __init__(self, napari_viewer: Viewer, parent=None):
        super().__init__(parent)
        # napari hands plugins a proxy whose layers are new proxy objects on every access; the
        # widget keeps and compares layers by identity, so it works with the viewer itself.
        napari_viewer = getattr(napari_viewer, "__wrapped__", napari_viewer)
        self.viewer = napari_viewer
        self.threshold_layer: Labels | None = None  # our result layer, updated in place
        self.results: dict[str, pd.DataFrame] = {}
        self.last_results: dict = {}
        self._coloured: dict[int, tuple[Image, dict]] = {}  # layers we recoloured: their look
        self._preview_worker = None
        self._preview_again = False
        self._evaluation_worker = None
        self._evaluation_layers: tuple[Layer, ...] = ()

        self.probability_combo = LayerComboBox(napari_viewer, (Image,), self)
        self.class_axis_combo = QComboBox(self)
        self.threshold_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal, self)
        self.threshold_slider.setRange(0.0, 1.0)
        self.threshold_slider.setDecimals(3)
        self.threshold_slider.setSingleStep(0.001)
        self.threshold_slider.setValue(0.5)
        self.threshold_slider.setToolTip("Foreground where probability > threshold (strict)")
        header = QFormLayout()
        header.addRow("Probability layer", self.probability_combo)
        header.addRow("Class axis", self.class_axis_combo)
        header.addRow("Threshold", self.threshold_slider)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_threshold_tab(), "Threshold")
        self.tabs.addTab(self._build_confidence_tab(), "Confidence")
        self.tabs.addTab(self._build_evaluate_tab(), "Evaluate")
        self.review = ReviewPanel(napari_viewer, self)
        self.tabs.addTab(self.review, "Review")
        self.confidence = ConfidencePanel(napari_viewer, self, self)
        self.tabs.addTab(self.confidence, "Confidence analysis")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs)

        self._preview_timer = QTimer(self, singleShot=True, interval=40)
        self._preview_timer.timeout.connect(self.update_threshold_layer)
        self.probability_combo.currentIndexChanged.connect(self._on_probability_layer)
        self.class_axis_combo.currentIndexChanged.connect(self._on_options_changed)
        self.threshold_slider.valueChanged.connect(self._on_threshold_changed)
        napari_viewer.layers.events.removed.connect(self._on_layer_removed)
        self._on_probability_layer()

    # ----------------------------------------------------------------- building the sections
    def _build_threshold_tab(self) -> QWidget:
        tab = QWidget(self)
        self.output_combo = QComboBox(tab)
        self.output_combo.addItems(["semantic", "instance"])
        self.connectivity_spin = QSpinBox(tab, minimum=1, maximum=3, value=1)
        self.connectivity_spin.setToolTip("1: faces only (4-connected in 2-D); 2: also diagonals")
        self.min_size_spin = QSpinBox(tab, minimum=0, maximum=10**7, value=0)
        self.split_check = QCheckBox("split touching objects (watershed)", tab)
        self.split_depth_spin = QDoubleSpinBox(tab, minimum=0.1, maximum=100.0, value=2.0)
        self.split_depth_spin.setToolTip(
            "Split where the neck is at least this many pixels narrower than the object"
        )
        self.live_check = QCheckBox("live preview while the threshold moves", tab)
        self.live_check.setChecked(True)
        self.threshold_button = QPushButton("Create / update labels", tab)
        self.threshold_button.clicked.connect(lambda: self.update_threshold_layer())
        form = QFormLayout(tab)
        form.addRow("Output", self.output_combo)
        form.addRow("Connectivity", self.connectivity_spin)
        form.addRow("Minimum size (px)", self.min_size_spin)
        form.addRow(self.split_check)
        form.addRow("Split depth (px)", self.split_depth_spin)
        form.addRow(self.live_check)
        form.addRow(self.threshold_button)
        for signal in (
            self.output_combo.currentIndexChanged,
            self.connectivity_spin.valueChanged,
            self.min_size_spin.valueChanged,
            self.split_check.stateChanged,
            self.split_depth_spin.valueChanged,
        ):
            signal.connect(self._on_options_changed)
        return tab

    def _build_confidence_tab(self) -> QWidget:
        tab = QWidget(self)
        self.colorbar = ConfidenceColorBar(self.threshold, tab)
        self.apply_colormap_button = QPushButton("Apply confidence colormap", tab)
        self.apply_colormap_button.clicked.connect(lambda: self.apply_confidence_colormap())
        self.restore_look_button = QPushButton("Restore original look", tab)
        self.restore_look_button.clicked.connect(lambda: self.restore_look())
        self.opacity_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal, tab)
        self.opacity_slider.setRange(0.0, 1.0)
        self.opacity_slider.setValue(0.6)
        self.opacity_slider.valueChanged.connect(self._on_opacity_changed)
        legend = QLabel("Blue: below the threshold · green: at it · yellow to red: above", tab)
        legend.setWordWrap(True)
        form = QFormLayout(tab)
        form.addRow(self.colorbar)
        form.addRow(legend)
        form.addRow(self.apply_colormap_button)
        form.addRow("Opacity", self.opacity_slider)
        form.addRow(self.restore_look_button)
        return tab

    def _build_evaluate_tab(self) -> QWidget:
        tab = QWidget(self)
        self.truth_combo = LayerComboBox(self.viewer, (Labels,), tab)
        self.prediction_combo = LayerComboBox(self.viewer, (Labels, Image), tab)
        self.prediction_combo.setToolTip(
            "A Labels layer, or a probability Image thresholded with the settings above"
        )
        self.kind_combo = QComboBox(tab)
        self.kind_combo.addItems(["both", "instance", "semantic"])
        self.iou_edit = QLineEdit("0.5:0.95:0.05", tab)
        self.iou_edit.setToolTip("start:stop:step (stop included) or a list such as 0.5, 0.75")
        self.ignore_spin = QSpinBox(tab, minimum=-1, maximum=2**31 - 1, value=-1)
        self.ignore_spin.setSpecialValueText("none")
        self.plane_axis_combo = QComboBox(tab)
        self.plane_axis_combo.setToolTip(
            "Also evaluate every plane along this axis (time or z) on its own"
        )
        self.truth_combo.currentIndexChanged.connect(self._on_truth_layer)
        self.binarize_check = QCheckBox("semantic: foreground vs background", tab)
        self.binarize_check.setChecked(True)
        self.binarize_check.setToolTip(
            "Compare labels > 0 instead of label values (uncheck for class label images)"
        )
        self.run_button = QPushButton("Run", tab)
        self.run_button.clicked.connect(lambda: self.run_evaluation())
        self.cancel_button = QPushButton("Cancel", tab)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_evaluation)
        self.progress_bar = QProgressBar(tab)
        self.progress_bar.setRange(0, 100)
        self.status_label = QLabel("", tab)
        self.status_label.setWordWrap(True)
        self.result_tabs = QTabWidget(tab)
        self.tables = {key: ResultTable(title.lower(), tab) for key, title in TABLES.items()}
        for key, title in TABLES.items():
            self.result_tabs.addTab(self.tables[key], title)
        self.plane_plot = ThemedPlot(self.viewer, tab, height=1.6)
        self.plane_plot.setVisible(False)
        self.tables["per_plane"].layout().insertWidget(1, self.plane_plot)
        self.tables["per_plane"].view.selectionModel().currentRowChanged.connect(self._on_plane_row)
        self._on_truth_layer()

        form = QFormLayout()
        form.addRow("Ground truth", self.truth_combo)
        form.addRow("Prediction", self.prediction_combo)
        form.addRow("Evaluate", self.kind_combo)
        form.addRow("IoU thresholds", self.iou_edit)
        form.addRow("Ignore label", self.ignore_spin)
        form.addRow("Plane by plane", self.plane_axis_combo)
        form.addRow(self.binarize_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(tab)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.result_tabs, stretch=1)
        return tab

    # ------------------------------------------------------------------------- public API
    @property
    def threshold(self) -> float:
        """The probability threshold (foreground where p > threshold)."""
        return float(self.threshold_slider.value())

    def set_threshold(self, value: float) -> None:
        """Move the threshold slider (updates the preview and the colormap mark)."""
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {value!r}")
        self.threshold_slider.setValue(float(value))

    def set_probability_layer(self, layer: Image | str) -> None:
        """Choose the probability Image layer (a layer or its name)."""
        self.probability_combo.set_layer(layer)

    def set_ground_truth(self, layer: Labels | str) -> None:
        """Choose the ground-truth Labels layer (a layer or its name)."""
        self.truth_combo.set_layer(layer)

    def set_prediction(self, layer: Labels | Image | str) -> None:
        """A Labels layer, or a probability Image thresholded with the current settings."""
        self.prediction_combo.set_layer(layer)

    def threshold_options(self) -> ThresholdOptions:
        """The Threshold section's settings."""
        return ThresholdOptions(
            output=self.output_combo.currentText(),
            class_axis=self.class_axis_combo.currentData(),
            connectivity=self.connectivity_spin.value(),
            min_size=self.min_size_spin.value(),
            split_touching=self.split_check.isChecked(),
            split_depth=self.split_depth_spin.value(),
        )

    def update_threshold_layer(self, *, wait: bool = False) -> Labels | None:
        """Threshold the probability layer into the result Labels layer (created once).

        Runs in a worker thread; with ``wait=True`` it runs now and returns the layer.
        """
        source = self.probability_combo.layer()
        if source is None:
            show_error("Segmentation Evaluation: choose a probability Image layer first.")
            return None
        if source.multiscale:
            self._report(ValueError(_MULTISCALE.format(source.name)))
            return None
        options = self.threshold_options()
        job = partial(labels_from_probability, source.data, self.threshold, options)
        show = partial(self._show_threshold_labels, source, self.threshold, options)
        if wait:
            try:
                return show(job())
            except (TypeError, ValueError) as error:
                self._report(error)
                return None
        if self._preview_worker is not None:
            self._preview_again = True  # latest wins: run once more when this one ends
            return None
        # Handlers go through _connect: an "errored" handler connected later would not stop
        # the worker from also re-raising the error in the Qt event loop.
        worker = create_worker(
            job,
            _start_thread=False,
            _connect={
                "returned": show,
                "errored": self._report,
                "finished": self._on_preview_finished,
            },
        )
        self._preview_worker = worker
        worker.start()
        return None

    def apply_confidence_colormap(self, layer: Image | None = None) -> Image | None:
        """Colour the probability layer with the confidence colormap at the current threshold.

        Contrast limits are fixed to 0..1 so the green mark sits on the threshold; the layer
        is made translucent to overlay the image beneath. Its previous look is kept for
        :meth:`restore_look`.
        """
        layer = layer or self.probability_combo.layer()
        if layer is None:
            show_error("Segmentation Evaluation: choose a probability Image layer first.")
            return None
        if id(layer) not in self._coloured:
            look = {
                "colormap": layer.colormap,
                "contrast_limits": layer.contrast_limits,
                "opacity": layer.opacity,
                "blending": layer.blending,
            }
            self._coloured[id(layer)] = (layer, look)
        layer.colormap = confidence_colormap(self.threshold)
        layer.contrast_limits = (0.0, 1.0)
        layer.blending = "translucent"
        layer.opacity = self.opacity_slider.value()
        return layer

    def restore_look(self, layer: Image | None = None) -> None:
        """Give a recoloured layer back the colormap, contrast, opacity and blending it had."""
        layer = layer or self.probability_combo.layer()
        saved = self._coloured.pop(id(layer), None) if layer is not None else None
        if saved is not None:
            for name, value in saved[1].items():
                setattr(layer, name, value)

    def run_evaluation(self, *, blocking: bool = False) -> dict[str, pd.DataFrame] | None:
        """Compare the prediction with the ground truth; results fill the tables.

        Runs in a worker with progress and cancel; ``blocking=True`` runs now and returns the
        tables (``summary``, ``per_class``, ``per_threshold``, ``per_object``) as DataFrames.
        """
        try:
            truth, prediction, steps = self._evaluation_job()
        except ValueError as error:
            self._report(error)
            return None
        if blocking:
            try:
                while True:
                    next(steps)
            except StopIteration as done:
                self._show_results(done.value, (truth, prediction))
                return self.results
            except (TypeError, ValueError) as error:
                self._report(error)
                return None
        worker = create_worker(
            lambda: (yield from steps),
            _start_thread=False,
            _connect={
                "yielded": self._on_progress,
                "returned": self._show_results,
                "errored": self._report,
                "aborted": lambda: self.status_label.setText("Cancelled."),
                "finished": self._on_evaluation_finished,
            },
        )
        self._evaluation_worker = worker
        self._evaluation_layers = (truth, prediction)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        worker.start()
        return None

    def cancel_evaluation(self) -> None:
        """Stop the running evaluation at its next step; nothing is changed."""
        if self._evaluation_worker is not None:
            self._evaluation_worker.quit()

    # ---------------------------------------------------------------------------- internals
    def _evaluation_job(self):
        truth = self.truth_combo.layer()
        prediction = self.prediction_combo.layer()
        if truth is None or prediction is None:
            raise ValueError("choose a ground-truth Labels layer and a prediction layer.")
        if truth is prediction:
            raise ValueError("the ground truth and the prediction are the same layer.")
        for layer in (truth, prediction):
            if layer.multiscale:
                raise ValueError(_MULTISCALE.format(layer.name))
        probability = None
        expected_shape = prediction.data.shape
        if isinstance(prediction, Image):
            options = self.threshold_options()
            probability = (self.threshold, options)
            if options.class_axis is not None:
                expected_shape = tuple(
                    n
                    for i, n in enumerate(expected_shape)
                    if i != options.class_axis % len(expected_shape)
                )
        if tuple(truth.data.shape) != tuple(expected_shape):
            raise ValueError(
                f"shape mismatch: ground truth {truth.name!r} is {tuple(truth.data.shape)}, "
                f"prediction {prediction.name!r} gives {tuple(expected_shape)}."
            )
        ignore = self.ignore_spin.value()
        confidence_layer = self.probability_combo.layer()
        confidence = None
        if (
            probability is None
            and confidence_layer is not None
            and tuple(confidence_layer.data.shape) == tuple(truth.data.shape)
        ):
            confidence = confidence_layer.data
        steps = evaluation_steps(
            truth.data,
            prediction.data,
            kind=self.kind_combo.currentText(),
            iou_thresholds=parse_iou_thresholds(self.iou_edit.text()),
            ignore_label=None if ignore < 0 else ignore,
            binarize_semantic=self.binarize_check.isChecked(),
            probability=probability,
            confidence=confidence,
            plane_axis=self.plane_axis_combo.currentData(),
        )
        return truth, prediction, steps

    def _show_threshold_labels(self, source: Image, threshold: float, options, data) -> Labels:
        if source not in self.viewer.layers:
            return self.threshold_layer  # the source went away while we worked
        self.threshold_layer = put_labels(
            self.viewer,
            self.threshold_layer,
            data,
            name=f"{source.name} thresholded",
            role="threshold",
            source=source,
            info={"threshold": threshold, "output": options.output},
            drop_axis=options.class_axis,
        )
        return self.threshold_layer

    def _show_results(self, results: dict, layers: tuple[Labels, Layer] | None = None) -> None:
        truth, prediction = layers or self._evaluation_layers
        self.last_results = results
        self.results = results["tables"]
        for key, table in self.tables.items():
            table.set_frame(self.results[key])
        self._plot_planes()
        if "pred_labels" in results:  # a probability map was thresholded: show its labels
            prediction = self._show_threshold_labels(
                prediction, self.threshold, self.threshold_options(), results["pred_labels"]
            )
        if "semantic" in results and truth in self.viewer.layers:
            self.review.set_semantic(truth, *results["semantic_inputs"])
        if "instance" in results and truth in self.viewer.layers:
            self.review.set_evaluation(
                results["instance"],
                results["measurements"],
                truth,
                prediction,
                objects=self.results["per_object"],
            )
        self.progress_bar.setValue(100)
        self.status_label.setText("Done.")

    def _plot_planes(self) -> None:
        per_plane = self.results.get("per_plane", pd.DataFrame())
        self.plane_plot.setVisible(not per_plane.empty)
        if per_plane.empty:
            return
        axes = self.plane_plot.axes
        axes.clear()
        for column, label in (
            ("accuracy_50", "AP (DSB) at IoU 0.5"),
            ("f1_50", "F1 at IoU 0.5"),
            ("mean_iou", "mean IoU (semantic)"),
        ):
            if column in per_plane:
                axes.plot(
                    per_plane["plane"], per_plane[column].astype(float), marker=".", label=label
                )
        axes.set_xlabel("plane")
        axes.set_ylim(-0.02, 1.02)
        axes.legend(fontsize=7, loc="lower left")
        self.plane_plot.redraw()

    def _on_plane_row(self, current, _previous) -> None:
        axis = self.plane_axis_combo.currentData()
        truth = self.truth_combo.layer()
        if not current.isValid() or axis is None or truth is None:
            return
        plane = int(self.tables["per_plane"].model.frame["plane"].iloc[current.row()])
        offset = self.viewer.dims.ndim - truth.ndim
        self.viewer.dims.set_current_step(axis + offset, plane)

    def _on_truth_layer(self, *_) -> None:
        layer = self.truth_combo.layer()
        self.plane_axis_combo.clear()
        self.plane_axis_combo.addItem("no (whole image at once)", None)
        for axis in range(layer.ndim if layer is not None and layer.ndim > 2 else 0):
            self.plane_axis_combo.addItem(
                f"along axis {axis} ({layer.data.shape[axis]} planes)", axis
            )

    def _report(self, error: Exception) -> None:
        message = f"Segmentation Evaluation: {error}"
        self.status_label.setText(str(error))
        show_error(message)

    def _on_progress(self, step: tuple[float, str]) -> None:
        fraction, message = step
        self.progress_bar.setValue(int(100 * fraction))
        self.status_label.setText(message.capitalize() + "…")

    def _on_evaluation_finished(self) -> None:
        self._evaluation_worker = None
        self._evaluation_layers = ()
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _on_preview_finished(self) -> None:
        self._preview_worker = None
        if self._preview_again:
            self._preview_again = False
            self.update_threshold_layer()

    def _on_layer_removed(self, event) -> None:
        layer = event.value
        self._coloured.pop(id(layer), None)
        if layer is self.threshold_layer:
            self.threshold_layer = None
        if self._evaluation_worker is not None and any(
            layer is used for used in self._evaluation_layers
        ):
            self.cancel_evaluation()
            show_warning(
                f"Segmentation Evaluation: layer {layer.name!r} was removed during the "
                "evaluation; the run was cancelled."
            )

    def _on_probability_layer(self, *_) -> None:
        layer = self.probability_combo.layer()
        self.class_axis_combo.blockSignals(True)
        self.class_axis_combo.clear()
        self.class_axis_combo.addItem("none (one probability per pixel)", None)
        for axis in range(layer.ndim if layer is not None else 0):
            self.class_axis_combo.addItem(f"axis {axis} ({layer.data.shape[axis]} classes)", axis)
        self.class_axis_combo.blockSignals(False)
        self.threshold_layer = None  # a new source gets its own result layer

    def _on_options_changed(self, *_) -> None:
        if self.threshold_layer is not None and self.live_check.isChecked():
            self._preview_timer.start()

    def _on_threshold_changed(self, value: float) -> None:
        self.colorbar.set_threshold(value)
        for layer, _ in self._coloured.values():
            layer.colormap = confidence_colormap(value)
        if self.live_check.isChecked():
            self._preview_timer.start()

    def _on_opacity_changed(self, value: float) -> None:
        for layer, _ in self._coloured.values():
            layer.opacity = value
