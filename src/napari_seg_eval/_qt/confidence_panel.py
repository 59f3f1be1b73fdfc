"""The Confidence analysis section: threshold sweep, curves, calibration, best threshold."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from napari.layers import Image, Labels
from napari.viewer import Viewer
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .._jobs import Job, notify_error
from .._napari.layers import put_image
from ..core._deprecation import renamed_keywords
from ..core.confidence import apply_temperature, calibration, threshold_sweep
from .layer_combo import LayerComboBox
from .plot import ThemedPlot


def analyse(true, prob, metric: str, fit_temperature: bool) -> dict:
    """The work of one Run, off the main thread: sweep, calibration, calibrated map."""
    true, prob = np.asarray(true), np.asarray(prob)
    results = {
        "sweep": threshold_sweep(true, prob, metric=metric),
        "calibration": calibration(true, prob, method="temperature" if fit_temperature else None),
    }
    if fit_temperature:
        temperature = results["calibration"].summary["temperature"]
        results["calibrated"] = apply_temperature(prob, temperature)
    return results


class ConfidencePanel(QWidget):
    """Choose a threshold with evidence, and see whether the probabilities can be trusted."""

    def __init__(self, viewer: Viewer, owner, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner  # the dock widget: its probability layer and threshold slider
        self.results: dict = {}
        self.calibrated_layer: Image | None = None
        self.job = Job(self)
        self.job.finished.connect(lambda: self.run_button.setEnabled(not self.job.running))

        self.truth_combo = LayerComboBox(viewer, (Labels,), self)
        self.metric_combo = QComboBox(self)
        self.metric_combo.addItems(["iou", "dice", "precision", "recall", "accuracy"])
        self.temperature_check = QCheckBox("fit a temperature and add the calibrated map", self)
        self.run_button = QPushButton("Analyse", self)
        self.run_button.clicked.connect(lambda: self.run())
        self.best_button = QPushButton("Use best threshold", self)
        self.best_button.setEnabled(False)
        self.best_button.clicked.connect(self.use_best_threshold)
        self.summary_label = QLabel("Pick the ground truth and press Analyse.", self)
        self.summary_label.setWordWrap(True)
        self.plot = ThemedPlot(viewer, self, height=4.4, grid=(2, 2))
        png_button = QPushButton("Save plots (PNG)…", self)
        png_button.clicked.connect(lambda: self.export_png())
        csv_button = QPushButton("Export data (CSV)…", self)
        csv_button.clicked.connect(lambda: self.export_csv())

        form = QFormLayout()
        form.addRow("Ground truth", self.truth_combo)
        form.addRow("Best by", self.metric_combo)
        form.addRow(self.temperature_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.best_button)
        exports = QHBoxLayout()
        exports.addWidget(png_button)
        exports.addWidget(csv_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.plot, stretch=1)
        layout.addLayout(exports)
        owner.threshold_slider.valueChanged.connect(lambda _: self._draw())

    # ------------------------------------------------------------------------- public API
    @renamed_keywords(blocking="wait")
    def run(self, *, wait: bool = False) -> dict | None:
        """Sweep and calibrate the probability layer against the ground truth.

        In a worker, or now with ``wait=True`` (then the results are returned).
        """
        prob_layer, truth = self.owner.probability_combo.layer(), self.truth_combo.layer()
        if prob_layer is None or truth is None:
            notify_error("choose a probability layer and a ground truth.")
            return None
        if tuple(prob_layer.data.shape) != tuple(truth.data.shape):
            notify_error(
                f"shape mismatch: {prob_layer.name!r} is {tuple(prob_layer.data.shape)}, "
                f"{truth.name!r} is {tuple(truth.data.shape)}."
            )
            return None
        work = partial(
            analyse,
            truth.data,
            prob_layer.data,
            self.metric_combo.currentText(),
            self.temperature_check.isChecked(),
        )
        show = partial(self._show, prob_layer)
        if wait:
            return self.job.run_now(work, show)
        self.run_button.setEnabled(False)
        self.job.start(work, show)
        return None

    def use_best_threshold(self) -> None:
        """Move the threshold slider to the best threshold of the last analysis."""
        if "sweep" in self.results:
            self.owner.set_threshold(float(self.results["sweep"].summary["best_threshold"]))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The data behind the plots: sweep per threshold, and calibration bins."""
        if not self.results:
            return {}
        return {
            "threshold_sweep": self.results["sweep"].per_threshold,
            "calibration_bins": self.results["calibration"].bins,
        }

    def export_png(self, path: str | Path | None = None) -> Path | None:
        path = (
            path
            or QFileDialog.getSaveFileName(self, "Save plots", "confidence.png", "PNG (*.png)")[0]
        )
        return self.plot.save_png(path) if path else None

    def export_csv(self, directory: str | Path | None = None) -> list[Path]:
        """Write each table of :meth:`tables` as ``<name>.csv`` into ``directory``."""
        directory = directory or QFileDialog.getExistingDirectory(self, "Export CSV into")
        if not directory:
            return []
        paths = []
        for name, table in self.tables().items():
            paths.append(Path(directory) / f"{name}.csv")
            table.to_csv(paths[-1], index=False)
        return paths

    # ---------------------------------------------------------------------------- internals
    def _show(self, prob_layer: Image, results: dict) -> dict:
        self.results = results
        sweep, calib = results["sweep"].summary, results["calibration"].summary
        text = (
            f"Best {sweep['metric']} {sweep['best_value']:.3f} at threshold "
            f"{sweep['best_threshold']:.3f} · PR AP {sweep['average_precision']:.3f} · "
            f"ROC AUC {sweep['roc_auc']:.3f} · ECE {calib['ece']:.3f} (15 bins) · "
            f"Brier {calib['brier']:.3f} · NLL {calib['nll']:.3f}"
        )
        if "calibrated" in results:
            text += f" · temperature {calib['temperature']:.2f} → ECE {calib['ece_calibrated']:.3f}"
            self._put_calibrated(prob_layer, results["calibrated"], calib["temperature"])
        self.summary_label.setText(text)
        self.best_button.setEnabled(not np.isnan(sweep["best_threshold"]))
        self._draw()
        return results

    def _put_calibrated(self, source: Image, data: np.ndarray, temperature: float) -> None:
        if source not in self.viewer.layers:
            return  # the source went away while we worked
        self.calibrated_layer = put_image(
            self.viewer,
            data,
            name=f"{source.name} calibrated",
            role="calibrated",
            source=source,
            info={"temperature": float(temperature)},
        )

    def _draw(self) -> None:
        if not self.results:
            return
        sweep = self.results["sweep"]
        table, summary = sweep.per_threshold, sweep.summary
        metric_axes, pr_axes = self.plot.grid[0]
        roc_axes, reliability_axes = self.plot.grid[1]
        for axes in self.plot.figure.axes:
            axes.clear()
        metric_axes.plot(table["threshold"], table[summary["metric"]], lw=1.2)
        metric_axes.axvline(self.owner.threshold, color="tab:green", lw=1, label="current")
        metric_axes.axvline(
            summary["best_threshold"], color="tab:orange", lw=1, ls="--", label="best"
        )
        metric_axes.set(xlabel="threshold", ylabel=summary["metric"], xlim=(0, 1))
        metric_axes.legend(fontsize=7)
        pr_axes.plot(sweep.pr_curve["recall"], sweep.pr_curve["precision"], lw=1.2)
        pr_axes.set(
            xlabel="recall",
            ylabel="precision",
            xlim=(0, 1),
            ylim=(0, 1.02),
            title=f"AP {summary['average_precision']:.3f}",
        )
        roc_axes.plot(sweep.roc_curve["fpr"], sweep.roc_curve["tpr"], lw=1.2)
        roc_axes.plot([0, 1], [0, 1], lw=0.6, ls=":", color="gray")
        roc_axes.set(
            xlabel="false positive rate",
            ylabel="true positive rate",
            title=f"AUC {summary['roc_auc']:.3f}",
        )
        bins = self.results["calibration"].bins
        filled = bins[bins["count"] > 0]
        reliability_axes.bar(
            filled["bin_lower"],
            filled["observed_frequency"],
            width=filled["bin_upper"] - filled["bin_lower"],
            align="edge",
            alpha=0.7,
            edgecolor="none",
        )
        reliability_axes.plot([0, 1], [0, 1], lw=0.6, ls=":", color="gray")
        reliability_axes.set(
            xlabel="predicted probability",
            ylabel="observed frequency",
            xlim=(0, 1),
            ylim=(0, 1.02),
            title=f"ECE {self.results['calibration'].summary['ece']:.3f}",
        )
        for axes in self.plot.figure.axes:
            axes.title.set_fontsize(8)
            axes.xaxis.label.set_fontsize(8)
            axes.yaxis.label.set_fontsize(8)
        self.plot.redraw()
