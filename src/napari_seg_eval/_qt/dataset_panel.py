"""The Dataset tab: evaluate folders of files, read the per-image table, open a pair to review.

The files are paired by name (:func:`~napari_seg_eval.io.pair_files`) and evaluated by
:func:`~napari_seg_eval.io.evaluate_files` in a worker, one pair in memory at a time, with
progress per pair and cancel. Selecting an image row opens that pair in the viewer as layers
tagged as ours; opening another pair replaces them, never a layer of the user's.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from napari.utils.notifications import show_info
from napari.viewer import Viewer
from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .._jobs import Job, notify_error
from .._napari.layers import open_pair
from ..core import catalogue
from ..evaluation import RunControl, parse_iou_thresholds
from ..io import FilesResult, Pairing, Progress, evaluate_files, pair_files
from ..io.read import chunked_if_large, open_image, read_labels, read_probabilities
from .run_controls import run_controls
from .tables import ResultTable, format_value

if TYPE_CHECKING:
    from .widget import SegEvalWidget

#: Per-image columns that rank images, worst first (the first one present is used).
WORST_FIRST = ("mean_accuracy", "f1_50", "mean_iou", "mean_dice")


class _PanelProgress(Progress):
    """Reports pairs done to a :class:`RunControl` and stops the run once it is cancelled."""

    def __init__(self, control: RunControl) -> None:
        self.control = control

    def pair_done(self, done: int, total: int, name: str, error: str | None) -> None:
        self.control.check()
        failed = f" (failed: {error})" if error else ""
        self.control.report((done / total, f"{done} of {total} pairs done, last {name}{failed}"))

    def chunk_done(self, done: int, total: int) -> None:
        self.control.check()


def worst_first(per_image: pd.DataFrame) -> pd.DataFrame:
    """Failed pairs first, then images by their headline metric, lowest first (NaN last).

    Examples
    --------
    >>> rows = pd.DataFrame({"name": ["a", "b", "c"], "error": ["", "", "unreadable"],
    ...                      "mean_accuracy": [0.9, 0.2, None]})
    >>> worst_first(rows)["name"].tolist()
    ['c', 'b', 'a']
    """
    key = next((c for c in WORST_FIRST if c in per_image), None)
    failed = per_image["error"] != ""
    order = [failed.rename("_failed")]
    columns = ["_failed"]
    if key is not None:
        order.append(per_image[key].astype(float).rename("_key"))
        columns.append("_key")
    keyed = pd.concat([per_image, *order], axis=1)
    keyed = keyed.sort_values(
        columns, ascending=[False, True][: len(columns)], na_position="last", kind="stable"
    )
    return keyed.drop(columns=columns).reset_index(drop=True)


def summary_rows(summary: pd.Series) -> pd.DataFrame:
    """The summary of many images as rows: metric, pooled, image mean (with the bootstrap
    interval as ``0.874 [0.851, 0.893]`` when there is one), then the counts.

    Examples
    --------
    >>> rows = summary_rows(pd.Series({"n_images": 2, "f1_50_pooled": 0.8,
    ...     "f1_50_image_mean": 0.75, "f1_50_image_mean_low": 0.5, "f1_50_image_mean_high": 1.0},
    ...     dtype=object))
    >>> rows.values.tolist()
    [['F1 @ 0.5', '0.8000', '0.7500 [0.5000, 1.0000]'], ['images', '2', '']]
    """

    def text(key: str) -> str:
        value = summary.get(key)
        if value is None:
            return ""
        low, high = summary.get(f"{key}_low"), summary.get(f"{key}_high")
        if low is None or high is None:
            return format_value(value)
        return f"{format_value(value)} [{format_value(low)}, {format_value(high)}]"

    bases = []  # each metric once, in the summary's order
    for key in summary.index:
        base = key.removesuffix("_pooled").removesuffix("_image_mean")
        if base != key and base not in bases:
            bases.append(base)
    rows = [
        [catalogue.label("dataset.summary", b), text(f"{b}_pooled"), text(f"{b}_image_mean")]
        for b in bases
    ]
    for key in summary.index:
        if not key.endswith(("_pooled", "_image_mean", "_low", "_high")):
            rows.append([catalogue.label("dataset.summary", key), format_value(summary[key]), ""])
    return pd.DataFrame(rows, columns=["metric", "pooled", "image mean"])


class DatasetPanel(QWidget):
    """Folders of truth and predictions (and optional images and probability maps)."""

    #: Emitted with each finished (not cancelled) :class:`~napari_seg_eval.io.FilesResult`.
    evaluated_dataset = Signal(object)

    def __init__(self, viewer: Viewer, owner: SegEvalWidget, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner
        self.result: FilesResult | None = None
        self.pairing: Pairing | None = None
        self.opened: dict[str, Any] = {}  # the pair shown in the viewer: its layers
        self.job = Job(self, on_progress=self._on_progress)
        self.job.finished.connect(self._on_job_finished)
        self.open_job = Job(self)

        self.folders = {
            side: self._folder_row(side) for side in ("truth", "prediction", "image", "probability")
        }
        self.suffixes = {
            side: QLineEdit("", self) for side in ("truth", "prediction", "image", "probability")
        }
        for side, edit in self.suffixes.items():
            edit.setPlaceholderText("suffix, e.g. _masks" if side == "truth" else "suffix")
            edit.editingFinished.connect(self.find_pairs)
        self.kind_combo = QComboBox(self)
        self.kind_combo.addItems(["instance", "semantic", "all"])
        self.iou_edit = QLineEdit("0.5:0.95:0.05", self)
        self.probability_check = QCheckBox("predictions are probability maps", self)
        self.probability_check.setToolTip(
            "Threshold them with the header's threshold and the Threshold tab's instance options"
        )
        self.pairs_text = QPlainTextEdit(self)
        self.pairs_text.setReadOnly(True)
        self.pairs_text.setMaximumHeight(90)
        controls = run_controls(self, self.run, self.cancel)
        self.run_button, self.cancel_button = controls.run_button, controls.cancel_button
        self.progress_bar, self.status_label = controls.progress_bar, controls.status_label
        self.per_image = ResultTable("per image", "dataset.per_image", self)
        self.per_image.view.setSelectionBehavior(self.per_image.view.SelectionBehavior.SelectRows)
        self.per_image.view.selectionModel().currentRowChanged.connect(self._on_row)
        self.summary = ResultTable("dataset summary", "dataset.summary", self)
        self.summary.setMaximumHeight(200)

        form = QFormLayout()
        titles = {
            "truth": "Ground truth",
            "prediction": "Predictions",
            "image": "Images (optional)",
            "probability": "Probabilities (optional)",
        }
        for side, title in titles.items():
            row = QHBoxLayout()
            row.addLayout(self.folders[side][1], stretch=3)
            row.addWidget(self.suffixes[side], stretch=1)
            form.addRow(title, row)
        form.addRow("Evaluate", self.kind_combo)
        form.addRow("IoU thresholds", self.iou_edit)
        form.addRow(self.probability_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.pairs_text)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(QLabel("Summary: pooled over pixels/objects and mean over images", self))
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("Per image, worst first (select a row to open the pair)", self))
        layout.addWidget(self.per_image, stretch=1)

    # ------------------------------------------------------------------------- public API
    def set_folders(self, **folders: str | Path) -> None:
        """Set folders by side (``truth=``, ``prediction=``, ``image=``, ``probability=``)."""
        for side, folder in folders.items():
            self.folders[side][0].setText(str(folder))
        self.find_pairs()

    def set_suffixes(self, **suffixes: str) -> None:
        """Set the name suffixes by side (e.g. ``prediction="_cp_masks"``)."""
        for side, suffix in suffixes.items():
            self.suffixes[side].setText(suffix)
        self.find_pairs()

    def find_pairs(self) -> Pairing | None:
        """Pair the truth and prediction folders by name; list the pairs and every file left out."""
        truth, prediction = self._folder("truth"), self._folder("prediction")
        self.pairing = None
        if truth is None or prediction is None:
            self.pairs_text.setPlainText("Choose a ground-truth folder and a prediction folder.")
            return None
        try:
            self.pairing = pair_files(
                truth,
                prediction,
                truth_suffix=self.suffixes["truth"].text(),
                prediction_suffix=self.suffixes["prediction"].text(),
            )
        except (OSError, ValueError) as error:
            self.pairs_text.setPlainText(str(error))
            return None
        self.pairs_text.setPlainText(self.pairing.describe())
        return self.pairing

    def run(self, *, wait: bool = False) -> FilesResult | None:
        """Evaluate every pair; ``wait=True`` runs now and returns the result."""
        try:
            work = self._prepare()
        except (TypeError, ValueError) as error:
            self.status_label.setText(str(error))
            notify_error(error)
            return None
        if wait:
            return self.job.run_now(work, self._show, control=True)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.status_label.setText("Starting…")
        self.job.start(work, self._show, control=True)
        return None

    def cancel(self) -> None:
        """Stop the run after the current chunk or pair; its results are not shown."""
        if self.job.running:
            self.job.cancel()
            self.status_label.setText("Cancelled.")

    def open_image(self, name: str, *, wait: bool = False) -> dict[str, Any] | None:
        """Open the pair ``name`` in the viewer, replacing the pair opened before.

        Returns the layers by side ("image", "probability", "truth", "prediction") with
        ``wait=True``.
        """
        if self.result is None:
            raise ValueError("run the dataset first.")
        rows = self.result.per_image[self.result.per_image["name"] == name]
        if rows.empty:
            raise ValueError(f"no image named {name!r} in the dataset.")
        row = rows.iloc[0]
        files = {"truth": Path(row["truth"]), "prediction": Path(row["prediction"])}
        for side in ("image", "probability"):
            found = self._companion(side, name)
            if found is not None:
                files[side] = found
        probability = self.result.settings.probability
        work = partial(_read_pair, files, probability)
        show = partial(self._open, name)
        if wait:
            return self.open_job.run_now(work, show)
        self.open_job.start(work, show)
        return None

    def close_jobs(self) -> None:
        """Stop the running jobs for good (the dock is closing)."""
        self.job.close()
        self.open_job.close()

    # ---------------------------------------------------------------------------- internals
    def _folder_row(self, side: str) -> tuple[QLineEdit, QHBoxLayout]:
        edit = QLineEdit(self)
        edit.setPlaceholderText("folder")
        edit.editingFinished.connect(self.find_pairs)
        browse = QPushButton("…", self)
        browse.setMaximumWidth(28)
        browse.setToolTip(f"Choose the {side} folder")
        browse.clicked.connect(partial(self._browse, side))
        row = QHBoxLayout()
        row.addWidget(edit)
        row.addWidget(browse)
        return edit, row

    def _browse(self, side: str, *_) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Choose the {side} folder")
        if folder:
            self.set_folders(**{side: folder})

    def _folder(self, side: str) -> Path | None:
        text = self.folders[side][0].text().strip()
        return Path(text) if text else None

    def _companion(self, side: str, name: str) -> Path | None:
        """The file of ``side`` (image or probability folder) whose name is ``name``."""
        folder = self._folder(side)
        if folder is None or self.pairing is None:
            return None
        try:
            found = pair_files(
                [Path(row) for row, _ in self.pairing.pairs],
                folder,
                truth_suffix=self.suffixes["truth"].text(),
                prediction_suffix=self.suffixes[side].text(),
            )
        except (OSError, ValueError):
            return None
        by_name = dict(zip(found.names, found.pairs, strict=True))
        return by_name[name][1] if name in by_name else None

    def _prepare(self):
        pairing = self.find_pairs()
        if pairing is None:
            raise ValueError(self.pairs_text.toPlainText())
        if not pairing.pairs:
            raise ValueError(f"no pairs of files to evaluate. {pairing.describe()}")
        options = self.owner.threshold_options()
        settings = {
            "kind": self.kind_combo.currentText(),
            "iou_thresholds": parse_iou_thresholds(self.iou_edit.text()),
            "probability": self.probability_check.isChecked(),
            "threshold": self.owner.threshold,
            "channel_axis": options.channel_axis,
            "connectivity": options.connectivity,
            "confidence_interval": 0.95,  # shown as "0.874 [0.851, 0.893]" in the Runs tab
            "min_size": options.min_size,
            "split_touching": options.split_touching,
        }

        def work(control: RunControl) -> FilesResult:
            return evaluate_files(pairing, progress=_PanelProgress(control), **settings)

        return work

    def _show(self, result: FilesResult) -> FilesResult:
        self.result = result
        per_image = worst_first(result.per_image).drop(
            columns=["aji_numerator", "aji_denominator"], errors="ignore"
        )
        self.per_image.set_frame(per_image)
        self.summary.set_frame(summary_rows(result.summary))
        self.progress_bar.setValue(100)
        failed = f", {result.n_failed} failed" if result.n_failed else ""
        self.status_label.setText(f"Done: {len(result.per_image)} pairs{failed}.")
        self.evaluated_dataset.emit(result)
        return result

    def _open(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        self.opened = open_pair(self.viewer, name, data)
        if "truth" in self.opened:
            self.owner.set_ground_truth(self.opened["truth"])
        if "prediction" in self.opened:
            self.owner.set_prediction(self.opened["prediction"])
        show_info(f"Segmentation Evaluation: opened {name!r}; press Run in Evaluate to review it.")
        return self.opened

    def _on_row(self, current, _previous) -> None:
        if not current.isValid() or self.result is None:
            return
        frame = self.per_image.model.frame
        row = frame.iloc[current.row()]
        if row["error"]:
            self.status_label.setText(f"{row['name']} failed: {row['error']}")
            return
        self.open_image(str(row["name"]))

    def _on_progress(self, step: tuple[float, str]) -> None:
        fraction, message = step
        self.progress_bar.setValue(int(100 * fraction))
        self.status_label.setText(message)

    def _on_job_finished(self) -> None:
        running = self.job.running
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)


def _read_pair(files: dict[str, Path], probability: bool) -> dict[str, Any]:
    """Open the pair's files (lazily where they are large); runs in a worker."""
    readers = {
        "image": _read_image,
        "probability": read_probabilities,
        "truth": read_labels,
        "prediction": read_probabilities if probability else read_labels,
    }
    return {side: readers[side](path) for side, path in files.items()}


def _read_image(path: Path) -> Any:
    """An image file of any dtype, for display only (lazily where it is large)."""
    return chunked_if_large(open_image(path))
