"""The "Segmentation Evaluation" dock widget: threshold, confidence colormap, evaluation tables.

A thin skin over the core: it reads arrays from layers, runs the core in worker threads, and
writes results back as layers and tables on the main thread. Every action is also a public
method, so scripts can drive it (see docs/widget.md).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from napari.layers import Image, Labels
from napari.viewer import Viewer
from qtpy.QtCore import QEvent, QSize, Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider
from superqt.utils import signals_blocked

from ..core._deprecation import renamed_keywords
from ..evaluation import Evaluation, ThresholdOptions
from .confidence_panel import ConfidencePanel
from .evaluate_panel import EvaluatePanel
from .inputs import accept_decimal_comma
from .layer_combo import LayerComboBox
from .review import ReviewPanel
from .tables import restyle_stale, theme_shade
from .threshold_panel import (
    ConfidenceDisplayPanel,
    ThresholdPanel,
    class_axis_choices,
    data_ndim,
    preview_spacing,
)

#: What the "Channel 0 is background" box beside the Channel axis means.
BACKGROUND_TIP = (
    "Tick when channel 0 of the class axis is background (a softmax with a background "
    "channel: nnU-Net, most U-Nets, Keras): channel k is then class k, and pixels whose most "
    "probable channel is 0 are background (0). Unticked, every channel is a class: channel k "
    "is class k + 1. Only with a class axis: the Channel axis here, or the Dataset tab's "
    "Class axis for its files."
)


class ScrollingTabs(QTabWidget):
    """Tabs whose pages scroll: the dock can be shorter or narrower than its tallest page.

    Each page is added inside a frameless :class:`QScrollArea` that fills the tab; the page
    grows with the dock and scrolls when the dock is smaller than the page's minimum size.
    :meth:`indexOf` and :meth:`setCurrentWidget` take the page itself, as with plain tabs.
    The preferred width is wide enough for every tab title, so napari docks the widget with
    all its tabs in sight (a narrower dock still works: the tab bar then scrolls); the
    minimum width is the widest page's, so pages scroll down but never sideways.
    """

    def sizeHint(self) -> QSize:
        # Qt bounds a scrolling tab bar's share of the hint to 200 px; ask for all of it.
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.tabBar().sizeHint().width()), hint.height())

    def minimumSizeHint(self) -> QSize:
        # As narrow as the widest page, with room for its vertical scroll bar: pages scroll
        # down, never sideways (the header is narrower, so this is the dock's minimum).
        hint = super().minimumSizeHint()
        widest = 0
        for index in range(self.count()):
            area = self.widget(index)
            if isinstance(area, QScrollArea) and area.widget() is not None:
                bar = area.verticalScrollBar().sizeHint().width()
                widest = max(widest, area.widget().minimumSizeHint().width() + bar)
        return QSize(max(hint.width(), widest), hint.height())

    def addTab(self, page: QWidget, text: str) -> int:
        area = QScrollArea(self)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidget(page)
        return super().addTab(area, text)

    def indexOf(self, page: QWidget) -> int:
        for index in range(self.count()):
            area = self.widget(index)
            if area is page or (isinstance(area, QScrollArea) and area.widget() is page):
                return index
        return -1

    def setCurrentWidget(self, page: QWidget) -> None:
        index = self.indexOf(page)
        if index >= 0:
            self.setCurrentIndex(index)


class SegEvalWidget(QWidget):
    """Threshold probability maps, colour confidence, and evaluate labels against ground truth."""

    def __init__(self, napari_viewer: Viewer, parent=None):
        super().__init__(parent)
        # napari hands plugins a proxy whose layers are new proxy objects on every access; the
        # widget keeps and compares layers by identity, so it works with the viewer itself.
        napari_viewer = getattr(napari_viewer, "__wrapped__", napari_viewer)
        self.viewer = napari_viewer

        self.probability_combo = LayerComboBox(napari_viewer, (Image,), self)
        self.probability_combo.setToolTip(
            "The Image layer of probabilities (0..1, or unsigned integers read as value / "
            "maximum). Chosen for you when a layer looks like one; else choose it here."
        )
        self.channel_axis_combo = QComboBox(self)
        self.channel_axis_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.channel_axis_combo.setMinimumContentsLength(12)
        self.channel_axis_combo.setToolTip("The class axis of a multi-class probability map")
        self.background_check = QCheckBox("Channel 0 is background", self)
        self.background_check.setToolTip(BACKGROUND_TIP)
        self.threshold_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal, self)
        self.threshold_slider.setRange(0.0, 1.0)
        self.threshold_slider.setDecimals(3)
        self.threshold_slider.setSingleStep(0.001)
        self.threshold_slider.setValue(0.5)
        self.threshold_slider.setToolTip(
            "Foreground where probability > threshold (strict). Type a value in the box: "
            '"0.7" or "0,7"'
        )
        accept_decimal_comma(self.threshold_slider)
        header = QFormLayout()
        header.addRow("Probability layer", self.probability_combo)
        header.addRow("Channel axis", self.channel_axis_combo)
        header.addRow("", self.background_check)  # under the combo: the dock can be narrow
        header.addRow("Threshold", self.threshold_slider)

        self.tabs = ScrollingTabs(self)
        self.threshold_panel = ThresholdPanel(napari_viewer, self, self)
        self.display = ConfidenceDisplayPanel(napari_viewer, self, self)
        self.tabs.addTab(self.threshold_panel, "Threshold")
        self.tabs.addTab(self.display, "Confidence")
        self._expose_controls()
        self.review = ReviewPanel(napari_viewer, self)
        self.evaluate = EvaluatePanel(napari_viewer, self, self)
        self.tabs.addTab(self.evaluate, "Evaluate")
        self.tabs.addTab(self.review, "Review")
        self.confidence = ConfidencePanel(napari_viewer, self, self)
        self.tabs.addTab(self.confidence, "Confidence analysis")
        from .dataset_panel import DatasetPanel

        self.dataset = DatasetPanel(napari_viewer, self, self)
        self.tabs.addTab(self.dataset, "Dataset")
        from .runs_panel import RunsPanel

        self.runs = RunsPanel(napari_viewer, self, self)
        self.tabs.addTab(self.runs, "Runs")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs)

        self.probability_combo.currentIndexChanged.connect(self._on_probability_layer)
        self.channel_axis_combo.currentIndexChanged.connect(self._on_channel_axis)
        self.background_check.toggled.connect(self._on_channel_axis)
        self.threshold_slider.valueChanged.connect(self._on_threshold_changed)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self._on_tab_changed()
        self._on_probability_layer()
        napari_viewer.events.theme.connect(self._on_theme)
        self._on_theme()

    def _expose_controls(self) -> None:
        """The tabs' controls and jobs, also as the widget's attributes (scripts use them)."""
        panel, display = self.threshold_panel, self.display
        self.output_combo = panel.output_combo
        self.connectivity_spin = panel.connectivity_spin
        self.min_size_spin = panel.min_size_spin
        self.split_check = panel.split_check
        self.split_depth_spin = panel.split_depth_spin
        self.live_check = panel.live_check
        self.threshold_button = panel.threshold_button
        self.preview_job = panel.preview_job
        self._preview_timer = panel.preview_timer
        self.colorbar = display.colorbar
        self.apply_colormap_button = display.apply_colormap_button
        self.restore_look_button = display.restore_look_button
        self.opacity_slider = display.opacity_slider

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
        return self.threshold_panel.layer

    def threshold_options(self, layer: Image | None = None) -> ThresholdOptions:
        """The Threshold section's settings (and the header's channel axis, and whether its
        channel 0 is background: only with a channel axis).

        With ``layer``, the channel axis is that layer's (:meth:`class_axis_of`): none for a
        map without the axis, such as the header's 2-D map when the axis is the prediction's.
        ``spacing`` is the pixel size of the map thresholded (``layer``, else the header's
        probability layer: :meth:`map_spacing`), so every tab splits touching objects as the
        preview does.
        """
        axis = self.channel_axis_combo.currentData()
        if layer is not None:
            axis = self.class_axis_of(layer)
        background = axis is not None and self.background_check.isChecked()
        options = self.threshold_panel.options(axis, background_channel=background)
        if layer is None:  # the header's map: its own class axis (none for a 2-D map)
            layer = self.probability_combo.layer()
            axis = self.class_axis_of(layer)
        return replace(options, spacing=self.map_spacing(layer, axis))

    @staticmethod
    def map_spacing(layer: Image | None, channel_axis: int | None) -> tuple[float, ...] | None:
        """The pixel size of ``layer``'s pixel axes (its scale without the class axis
        ``channel_axis``: :func:`~napari_seg_eval._qt.threshold_panel.preview_spacing`), or
        None for no layer or a scale of 1 on every axis (distances in pixels).

        Examples
        --------
        >>> SegEvalWidget.map_spacing(Image(np.zeros((4, 6)), scale=(0.5, 0.25)), None)
        (0.5, 0.25)
        >>> SegEvalWidget.map_spacing(Image(np.zeros((3, 4, 6))), 0) is None
        True
        """
        if layer is None:
            return None
        if channel_axis is not None and -data_ndim(layer) <= channel_axis < data_ndim(layer):
            spacing = preview_spacing(layer, channel_axis)
        else:  # no class axis, or one the layer lacks: its own refusal says so
            spacing = preview_spacing(layer, None)
        return None if np.allclose(spacing, 1.0) else spacing

    def class_axis_of(self, layer: Image | None) -> int | None:
        """The header's Channel axis as the class axis of ``layer``, or None when ``layer``
        has no such axis.

        A class axis applies to a map of 3 or more axes, or to napari's RGB axis of an RGB
        layer: the header offers a multi-class prediction's axes beside a 2-D map, and the
        2-D map (its preview, colormap and class slider) ignores them.
        """
        axis = self.channel_axis_combo.currentData()
        if axis is None or layer is None or not (layer.rgb or data_ndim(layer) >= 3):
            return None
        return axis

    def update_threshold_layer(self, *, wait: bool = False) -> Labels | None:
        """Threshold the probability layer into its preview Labels layer (created once).

        Runs in a worker thread (the latest request wins); with ``wait=True`` it runs now and
        returns the layer. Integer maps are read as value / dtype maximum (with a notice).
        """
        return self.threshold_panel.update_layer(wait=wait)

    def apply_confidence_colormap(self, layer: Image | None = None) -> Image | None:
        """Colour the probability layer with the confidence colormap at the current threshold.

        The first time, the contrast limits are set to 0..1 (0..dtype maximum for integer maps)
        and the layer is made translucent to overlay the image beneath; afterwards the limits,
        gamma, opacity and blending the user sets are kept, and the colormap is built for the
        limits and gamma, so the green mark stays on the threshold. The threshold's contour is
        drawn as a result layer. With a class axis, the class
        slider's channel is shown. The previous look is kept for :meth:`restore_look`.
        """
        return self.display.apply(layer)

    def restore_look(self, layer: Image | None = None) -> None:
        """Give a recoloured layer back the colormap, contrast, opacity and blending it had."""
        self.display.restore(layer)

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
    def event(self, event: QEvent) -> bool:
        """Closing the dock (napari unparents it) stops its work."""
        if event.type() == QEvent.Type.ParentChange and self.parent() is None:
            self.close_jobs()
        return super().event(event)

    def close_jobs(self) -> None:
        """Cancel every running job for good and stop following the viewer."""
        for job in (self.preview_job, self.display.contour_job, self.display.convert_job):
            job.close()
        self.review.close_jobs()
        self.display.set_outlining(False)  # the previews get their own look back
        self.viewer.events.theme.disconnect(self._on_theme)
        self.confidence.close_jobs()
        self.evaluate.close_jobs()
        self.dataset.close_jobs()
        self.runs.close_jobs()

    def _on_tab_changed(self, *_) -> None:
        """The Review tab's row shortcuts act only while it is the tab shown; while the
        Confidence tab is, the labels over the coloured map are outlined, so its colours read
        as the tab's legend says (:meth:`ConfidenceDisplayPanel.set_outlining`)."""
        current = self.tabs.currentIndex()
        self.review.set_shortcuts_enabled(current == self.tabs.indexOf(self.review))
        self.display.set_outlining(current == self.tabs.indexOf(self.display))

    def _on_theme(self, *_) -> None:
        """The "Out of date" lines and frames of every tab take the colour readable in the
        viewer's theme (:func:`~napari_seg_eval._qt.tables.restyle_stale`)."""
        restyle_stale(self, theme_shade(self.viewer.theme))

    def _on_probability_layer(self, *_) -> None:
        """Offer the Channel axis choices of the new probability layer, the first chosen
        (:func:`~napari_seg_eval._qt.threshold_panel.class_axis_choices`), quietly: the tabs
        follow the layer itself."""
        self.offer_channel_axes(keep=False)
        self.display.probability_layer_changed()
        self.evaluate.choose_class_axis()  # a map with one axis more than the truth

    def offer_channel_axes(self, *, keep: bool = True) -> None:
        """Fill the Channel axis choices (quietly) from the map they apply to: the header's
        probability layer, or, when it has no class axis (a 2-D map), a multi-class map chosen
        as the Evaluate tab's prediction (the header's class axis is that map's too). With
        ``keep`` the axis chosen stays chosen if it is still offered."""
        header = self.probability_combo.layer()
        layer = header
        if header is None or not (header.rgb or data_ndim(header) >= 3):
            evaluate = getattr(self, "evaluate", None)
            prediction = evaluate.prediction_combo.layer() if evaluate is not None else None
            if isinstance(prediction, Image) and data_ndim(prediction) >= 3:
                layer = prediction
        chosen = self.channel_axis_combo.currentData()
        with signals_blocked(self.channel_axis_combo):
            self.channel_axis_combo.clear()
            for text, axis in class_axis_choices(layer):
                self.channel_axis_combo.addItem(text, axis)
            index = self.channel_axis_combo.findData(chosen)
            if keep and index >= 0:
                self.channel_axis_combo.setCurrentIndex(index)
        self.follow_background_box()
        if keep and self.channel_axis_combo.currentData() != chosen:
            # the axis chosen is gone: said once, so the preview and the tabs follow
            self.channel_axis_combo.currentIndexChanged.emit(self.channel_axis_combo.currentIndex())

    def follow_background_box(self, *_) -> None:
        """Enable "Channel 0 is background" while a class axis applies: the header's Channel
        axis, or the Dataset tab's own Class axis for its probability maps (chosen with no
        layer open)."""
        dataset = getattr(self, "dataset", None)  # None while the tabs are being built
        of_files = (
            dataset is not None
            and dataset.probability_check.isChecked()
            and dataset.class_axis() is not None
        )
        header = self.channel_axis_combo.currentData() is not None
        self.background_check.setEnabled(header or of_files)

    def _on_channel_axis(self, *_) -> None:
        """The Channel axis, or whether its channel 0 is background, changed."""
        self.follow_background_box()
        self.display.probability_layer_changed()
        self._on_options_changed()

    def _on_options_changed(self, *_) -> None:
        self.evaluate.options_changed()
        if self.threshold_layer is not None:
            self.threshold_panel.schedule()

    def _on_threshold_changed(self, value: float) -> None:
        self.evaluate.threshold_changed(value)
        self.display.threshold_changed(value)
        self.threshold_panel.schedule()
