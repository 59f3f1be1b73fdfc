"""The Confidence analysis section: threshold sweep, curves, calibration, best threshold."""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from napari.layers import Image, Labels
from napari.utils.notifications import show_info
from napari.viewer import Viewer
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .._jobs import Job, notify_error
from .._napari.layers import put_image, result_layer
from .._napari.probability import probability_data
from ..core._deprecation import renamed_keywords
from ..core.confidence import (
    apply_temperature,
    calibration,
    instance_threshold_sweep,
    threshold_sweep,
)
from .layer_combo import LayerComboBox
from .plot import ThemedPlot

#: "Best by" choices computed on objects: label of the choice -> column of the object sweep.
OBJECT_METRICS = {
    "objects: F1 @ IoU 0.5": "f1_50",
    "objects: AP (DSB)": "mean_accuracy",
    "objects: PQ @ IoU 0.5": "panoptic_quality_50",
}
PIXEL_METRICS = ("iou", "dice", "precision", "recall", "accuracy")
#: Probability thresholds of the object sweep: instance_threshold_sweep's default.
OBJECT_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


def analyse(
    true, prob, metric: str, fit_temperature: bool, objects: dict | None = None
) -> Generator[tuple[float, str], None, dict]:
    """The work of one Run, off the main thread: sweep, calibration, calibrated map, objects.

    A generator: it yields (fraction done, what next) between steps, so the run reports
    progress and stops at the next step when cancelled. With ``objects`` (the instance options
    of :func:`instance_threshold_sweep`), the object metrics are swept too, one probability
    threshold per step.
    """
    true, prob = np.asarray(true), np.asarray(prob)
    steps = 2 + (len(OBJECT_THRESHOLDS) if objects is not None else 0)
    yield (0.0, "pixel sweep")
    results = {"sweep": threshold_sweep(true, prob, metric=metric)}
    yield (1 / steps, "calibration")
    results["calibration"] = calibration(
        true, prob, method="temperature" if fit_temperature else None
    )
    if fit_temperature:
        temperature = results["calibration"].summary["temperature"]
        results["calibrated"] = apply_temperature(prob, temperature)
    if objects is not None:
        rows = []
        for i, threshold in enumerate(OBJECT_THRESHOLDS):
            yield ((2 + i) / steps, f"objects at threshold {threshold:.2f}")
            rows.append(instance_threshold_sweep(true, prob, thresholds=[threshold], **objects))
        results["objects"] = pd.concat(rows, ignore_index=True).drop(columns="best")
    return results


def best_object_threshold(table: pd.DataFrame, column: str) -> float:
    """The threshold of the row with the highest ``column`` (the lowest threshold on ties, NaN
    rows skipped), as :func:`instance_threshold_sweep` marks its ``best`` row."""
    values = table[column].astype(float)
    return float("nan") if values.isna().all() else float(table["threshold"][values.idxmax()])


class ConfidencePanel(QWidget):
    """Choose a threshold with evidence, and see whether the probabilities can be trusted."""

    def __init__(self, viewer: Viewer, owner, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner  # the dock widget: its probability layer and threshold slider
        self.results: dict = {}
        self.calibrated_layer: Image | None = None
        self.job = Job(self, on_progress=self._on_progress)
        self.job.finished.connect(self._on_finished)

        self.truth_combo = LayerComboBox(viewer, (Labels,), self)
        self.metric_combo = QComboBox(self)
        self.metric_combo.addItems([*PIXEL_METRICS, *OBJECT_METRICS])
        # Objects by default: for nuclei and cells the pixel IoU's best threshold merges
        # touching objects (docs/widget.md, Confidence analysis).
        self.metric_combo.setCurrentText(next(iter(OBJECT_METRICS)))
        self.metric_combo.setToolTip(
            "Pixel metrics come from one pass; object metrics label and match the map at each "
            "threshold 0.05..0.95 with the Threshold tab's connectivity, minimum size and split"
        )
        self.metric_combo.currentIndexChanged.connect(lambda _: self._on_metric_changed())
        self.temperature_check = QCheckBox("fit a temperature and add the calibrated map", self)
        self.run_button = QPushButton("Analyse", self)
        self.run_button.clicked.connect(lambda: self.run())
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        self.use_calibrated_button = QPushButton("Use calibrated map as probability layer", self)
        self.use_calibrated_button.setEnabled(False)
        self.use_calibrated_button.clicked.connect(self.use_calibrated_map)
        note = QLabel(
            "Choose the threshold on data that is not used to report the result (e.g. a "
            "validation image), or the reported scores are optimistic.",
            self,
        )
        note.setWordWrap(True)
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
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.best_button)
        exports = QHBoxLayout()
        exports.addWidget(png_button)
        exports.addWidget(csv_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(note)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.use_calibrated_button)
        layout.addWidget(self.plot, stretch=1)
        layout.addLayout(exports)
        owner.threshold_slider.valueChanged.connect(lambda _: self._draw())

    # ------------------------------------------------------------------------- public API
    @renamed_keywords(blocking="wait")
    def run(self, *, wait: bool = False) -> dict | None:
        """Sweep and calibrate the probability layer against the ground truth.

        With an object metric chosen ("Best by"), the object metrics are swept too, with the
        Threshold tab's connectivity, minimum size and split. In a worker with progress and
        cancel, or now with ``wait=True`` (then the results are returned).
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
        try:
            prob, notice = probability_data(prob_layer)
        except TypeError as error:
            notify_error(error)
            return None
        if notice:
            show_info(f"Segmentation Evaluation: {notice}")
        chosen = self.metric_combo.currentText()
        objects = None
        if chosen in OBJECT_METRICS:
            options = self.owner.threshold_options()
            objects = {
                "connectivity": options.connectivity,
                "min_size": options.min_size,
                "split_touching": options.split_touching,
                "split_depth": options.split_depth,
            }
        work = partial(
            analyse,
            truth.data,
            prob,
            chosen if chosen in PIXEL_METRICS else "iou",
            self.temperature_check.isChecked(),
            objects,
        )
        show = partial(self._show, prob_layer, chosen)
        if wait:
            return self.job.run_now(work, show)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.job.start(work, show)
        return None

    def cancel(self) -> None:
        """Stop the running analysis; its results are never shown."""
        if self.job.running:
            self.job.cancel()
            self.summary_label.setText("Cancelled.")

    @property
    def best_threshold(self) -> float:
        """The best threshold of the last analysis by its metric (pixel or object); NaN if none."""
        if "sweep" not in self.results:
            return float("nan")
        column = OBJECT_METRICS.get(self.results["metric"])
        if column is not None:
            return best_object_threshold(self.results["objects"], column)
        return float(self.results["sweep"].summary["best_threshold"])

    def use_best_threshold(self) -> None:
        """Move the threshold slider to the best threshold of the last analysis."""
        if not np.isnan(self.best_threshold):
            self.owner.set_threshold(self.best_threshold)

    def use_calibrated_map(self) -> None:
        """Make the calibrated map the probability layer (thresholding, colouring, analysis)."""
        if self.calibrated_layer is not None and self.calibrated_layer in self.viewer.layers:
            self.owner.set_probability_layer(self.calibrated_layer)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The data behind the plots: sweep per threshold, and calibration bins."""
        if not self.results:
            return {}
        tables = {
            "threshold_sweep": self.results["sweep"].per_threshold,
            "calibration_bins": self.results["calibration"].bins,
        }
        if "objects" in self.results:
            tables["object_threshold_sweep"] = self.results["objects"]
        return tables

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
    def _show(self, prob_layer: Image, metric: str, results: dict) -> dict:
        self.results = {**results, "metric": metric}
        sweep, calib = results["sweep"].summary, results["calibration"].summary
        text = (
            f"Best {sweep['metric']} {sweep['best_value']:.3f} at threshold "
            f"{sweep['best_threshold']:.3f} · PR AP {sweep['average_precision']:.3f} · "
            f"ROC AUC {sweep['roc_auc']:.3f} · ECE {calib['ece']:.3f} (15 bins) · "
            f"Brier {calib['brier']:.3f} · NLL {calib['nll']:.3f}"
        )
        if metric in OBJECT_METRICS:
            table = results["objects"]
            best = self.best_threshold
            if np.isnan(best):
                text = f"No objects at any threshold · {text}"
            else:
                row = table[table["threshold"] == best].iloc[0]
                text = (
                    f"Best {metric.removeprefix('objects: ')} "
                    f"{row[OBJECT_METRICS[metric]]:.3f} at threshold {best:.2f} "
                    f"(F1 @ 0.5 {row['f1_50']:.3f}, AP (DSB) {row['mean_accuracy']:.3f}, "
                    f"PQ {row['panoptic_quality_50']:.3f}) · pixels: {text}"
                )
        if "calibrated" in results:
            text += f" · temperature {calib['temperature']:.2f} → ECE {calib['ece_calibrated']:.3f}"
            self._put_calibrated(prob_layer, results["calibrated"], calib["temperature"])
        self.summary_label.setText(text)
        self.best_button.setEnabled(not np.isnan(self.best_threshold))
        self.progress_bar.setValue(100)
        self._draw()
        return results

    def _put_calibrated(self, source: Image, data: np.ndarray, temperature: float) -> None:
        if source not in self.viewer.layers:
            return  # the source went away while we worked
        new = result_layer(self.viewer, source, "calibrated") is None
        self.calibrated_layer = put_image(
            self.viewer,
            data,
            name=f"{source.name} calibrated",
            role="calibrated",
            source=source,
            info={"temperature": float(temperature)},
        )
        self.use_calibrated_button.setEnabled(True)
        if new:
            # Translucent in the confidence colormap, just above its source: below the
            # result layers (thresholded, contour, errors), which stay readable.
            layers = self.viewer.layers
            layers.move(layers.index(self.calibrated_layer), layers.index(source) + 1)
            self.owner.apply_confidence_colormap(self.calibrated_layer)
            self.calibrated_layer.visible = True

    def _on_progress(self, value: tuple[float, str]) -> None:
        fraction, message = value
        self.progress_bar.setValue(int(100 * fraction))
        self.summary_label.setText(f"Analysing: {message}…")

    def _on_finished(self) -> None:
        self.run_button.setEnabled(not self.job.running)
        self.cancel_button.setEnabled(self.job.running)

    def _on_metric_changed(self) -> None:
        if self.results:
            self.best_button.setEnabled(False)  # the last analysis was by another metric
            self.summary_label.setText("Press Analyse to find the best threshold by this metric.")

    def _draw(self) -> None:
        if not self.results:
            return
        sweep = self.results["sweep"]
        table, summary = sweep.per_threshold, sweep.summary
        metric_axes, pr_axes = self.plot.grid[0]
        roc_axes, reliability_axes = self.plot.grid[1]
        for axes in self.plot.figure.axes:
            axes.clear()
        metric_axes.plot(
            table["threshold"], table[summary["metric"]], lw=1.2, label=f"pixel {summary['metric']}"
        )
        metric_axes.axvline(self.owner.threshold, color="tab:green", lw=1, label="current")
        metric_axes.axvline(self.best_threshold, color="tab:orange", lw=1, ls="--", label="best")
        chosen = OBJECT_METRICS.get(self.results["metric"])
        if chosen is not None:  # the object curve beside the pixel curve, on the same axes
            objects = self.results["objects"]
            metric_axes.plot(
                objects["threshold"],
                objects[chosen],
                lw=1.2,
                marker=".",
                ms=3,
                color="tab:purple",
                label=self.results["metric"],
            )
        metric_axes.set(xlabel="threshold", ylabel="score", xlim=(0, 1))
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
