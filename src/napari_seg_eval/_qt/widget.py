"""The "Segmentation Evaluation" dock widget: threshold, confidence colormap, evaluation tables.

A thin skin over the core: it reads arrays from layers, runs the core in worker threads, and
writes results back as layers and tables on the main thread. Every action is also a public
method, so scripts can drive it (see docs/widget.md).
"""

from __future__ import annotations

from functools import partial

import pandas as pd
from napari.layers import Image, Labels
from napari.viewer import Viewer
from qtpy.QtCore import QEvent, Qt, QTimer
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from .._colormap import confidence_colormap
from .._jobs import Job, notify_error
from .._napari.layers import put_labels, result_layer
from ..core._deprecation import renamed_keywords
from ..evaluation import Evaluation, ThresholdOptions, labels_from_probability
from .colorbar import ConfidenceColorBar
from .confidence_panel import ConfidencePanel
from .evaluate_panel import MULTISCALE, EvaluatePanel
from .layer_combo import LayerComboBox
from .review import ReviewPanel


class SegEvalWidget(QWidget):
    """Threshold probability maps, colour confidence, and evaluate labels against ground truth."""

    def __init__(self, napari_viewer: Viewer, parent=None):
        super().__init__(parent)
        # napari hands plugins a proxy whose layers are new proxy objects on every access; the
        # widget keeps and compares layers by identity, so it works with the viewer itself.
        napari_viewer = getattr(napari_viewer, "__wrapped__", napari_viewer)
        self.viewer = napari_viewer
        self._coloured: dict[int, tuple[Image, dict]] = {}  # layers we recoloured: their look
        self.preview_job = Job(self)

        self.probability_combo = LayerComboBox(napari_viewer, (Image,), self)
        self.channel_axis_combo = QComboBox(self)
        self.channel_axis_combo.setToolTip("The class axis of a multi-class probability map")
        self.threshold_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal, self)
        self.threshold_slider.setRange(0.0, 1.0)
        self.threshold_slider.setDecimals(3)
        self.threshold_slider.setSingleStep(0.001)
        self.threshold_slider.setValue(0.5)
        self.threshold_slider.setToolTip("Foreground where probability > threshold (strict)")
        header = QFormLayout()
        header.addRow("Probability layer", self.probability_combo)
        header.addRow("Channel axis", self.channel_axis_combo)
        header.addRow("Threshold", self.threshold_slider)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_threshold_tab(), "Threshold")
        self.tabs.addTab(self._build_confidence_tab(), "Confidence")
        self.review = ReviewPanel(napari_viewer, self)
        self.evaluate = EvaluatePanel(napari_viewer, self, self)
        self.tabs.addTab(self.evaluate, "Evaluate")
        self.tabs.addTab(self.review, "Review")
        self.confidence = ConfidencePanel(napari_viewer, self, self)
        self.tabs.addTab(self.confidence, "Confidence analysis")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs)

        self._preview_timer = QTimer(self, singleShot=True, interval=40)
        self._preview_timer.timeout.connect(lambda: self.update_threshold_layer())
        self.probability_combo.currentIndexChanged.connect(self._on_probability_layer)
        self.channel_axis_combo.currentIndexChanged.connect(self._on_options_changed)
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
        self.evaluate.truth_combo.set_layer(layer)

    def set_prediction(self, layer: Labels | Image | str) -> None:
        """A Labels layer, or a probability Image thresholded with the current settings."""
        self.evaluate.prediction_combo.set_layer(layer)

    def set_plane_axis(self, axis: int | None, label_each_plane: bool | None = None) -> None:
        """Also evaluate every plane along ``axis`` (see :meth:`EvaluatePanel.set_plane_axis`)."""
        self.evaluate.set_plane_axis(axis, label_each_plane)

    @property
    def evaluation(self) -> Evaluation | None:
        """The current Evaluation record (``.stale`` says whether it still matches the viewer)."""
        return self.evaluate.evaluation

    @property
    def results(self) -> dict[str, pd.DataFrame]:
        """The current record's tables ({} before the first evaluation)."""
        return self.evaluate.results

    @property
    def threshold_layer(self) -> Labels | None:
        """Our preview layer of the chosen probability layer, if there is one."""
        source = self.probability_combo.layer()
        return result_layer(self.viewer, source, "threshold") if source is not None else None

    def threshold_options(self) -> ThresholdOptions:
        """The Threshold section's settings (and the header's channel axis)."""
        return ThresholdOptions(
            output=self.output_combo.currentText(),
            channel_axis=self.channel_axis_combo.currentData(),
            connectivity=self.connectivity_spin.value(),
            min_size=self.min_size_spin.value(),
            split_touching=self.split_check.isChecked(),
            split_depth=self.split_depth_spin.value(),
        )

    def update_threshold_layer(self, *, wait: bool = False) -> Labels | None:
        """Threshold the probability layer into its preview Labels layer (created once).

        Runs in a worker thread (the latest request wins); with ``wait=True`` it runs now and
        returns the layer.
        """
        source = self.probability_combo.layer()
        if source is None:
            notify_error("choose a probability Image layer first.")
            return None
        if source.multiscale:
            notify_error(MULTISCALE.format(source.name))
            return None
        options = self.threshold_options()
        job = partial(labels_from_probability, source.data, self.threshold, options)
        show = partial(self._show_threshold_labels, source, self.threshold, options)
        if wait:
            return self.preview_job.run_now(job, show)
        self.preview_job.start(job, show)
        return None

    def apply_confidence_colormap(self, layer: Image | None = None) -> Image | None:
        """Colour the probability layer with the confidence colormap at the current threshold.

        Contrast limits are fixed to 0..1 so the green mark sits on the threshold; the layer
        is made translucent to overlay the image beneath. Its previous look is kept for
        :meth:`restore_look`.
        """
        layer = layer or self.probability_combo.layer()
        if layer is None:
            notify_error("choose a probability Image layer first.")
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

    @renamed_keywords(blocking="wait")
    def run_evaluation(self, *, wait: bool = False) -> dict[str, pd.DataFrame] | None:
        """Compare the prediction with the ground truth; the record's tables fill the section.

        Runs in a worker with progress and cancel; ``wait=True`` runs now and returns the
        tables (``summary``, ``per_class``, ``per_threshold``, ``per_object``, ``per_plane``)
        as DataFrames. ``widget.evaluation`` is then the record.
        """
        return self.evaluate.run(wait=wait)

    def cancel_evaluation(self) -> None:
        """Stop the running evaluation; its results are never shown."""
        self.evaluate.cancel()

    # ---------------------------------------------------------------------------- internals
    def _show_threshold_labels(self, source: Image, threshold: float, options, data) -> Labels:
        if source not in self.viewer.layers:
            return None  # the source went away while we worked
        return put_labels(
            self.viewer,
            data,
            name=f"{source.name} thresholded",
            role="threshold",
            source=source,
            info={"threshold": threshold, "output": options.output},
            drop_axis=options.channel_axis,
        )

    def event(self, event: QEvent) -> bool:
        """Closing the dock (napari unparents it) stops its work."""
        if event.type() == QEvent.Type.ParentChange and self.parent() is None:
            self.close_jobs()
        return super().event(event)

    def close_jobs(self) -> None:
        """Cancel every running job for good and stop following the viewer."""
        for job in (self.preview_job, self.review.rematch_job, self.review.error_job):
            job.close()
        self.confidence.job.close()
        self.evaluate.close_jobs()

    def _on_layer_removed(self, event) -> None:
        self._coloured.pop(id(event.value), None)

    def _on_probability_layer(self, *_) -> None:
        layer = self.probability_combo.layer()
        self.channel_axis_combo.blockSignals(True)
        self.channel_axis_combo.clear()
        self.channel_axis_combo.addItem("none (one probability per pixel)", None)
        for axis in range(layer.ndim if layer is not None else 0):
            self.channel_axis_combo.addItem(f"axis {axis} ({layer.data.shape[axis]} classes)", axis)
        self.channel_axis_combo.blockSignals(False)

    def _on_options_changed(self, *_) -> None:
        self.evaluate.options_changed()
        if self.threshold_layer is not None and self.live_check.isChecked():
            self._preview_timer.start()

    def _on_threshold_changed(self, value: float) -> None:
        self.evaluate.threshold_changed(value)
        self.colorbar.set_threshold(value)
        for layer, _ in self._coloured.values():
            layer.colormap = confidence_colormap(value)
        if self.live_check.isChecked():
            self._preview_timer.start()

    def _on_opacity_changed(self, value: float) -> None:
        for layer, _ in self._coloured.values():
            layer.opacity = value
