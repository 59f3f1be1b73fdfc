"""Regenerate the screenshots in docs/images (run under xvfb-run on a machine with no display).

xvfb-run -a python docs/make_screenshots.py

Every tab of the dock, in napari's dark and light theme: ``<tab>_dark.png`` and
``<tab>_light.png``; the dark one is also saved as ``<tab>.png`` (the docs show that one).
"""

import shutil
import tempfile
from pathlib import Path

import napari
import numpy as np
import tifffile
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

import napari_seg_eval as nse
from napari_seg_eval.__main__ import open_demo

OUT = Path(__file__).parent / "images"
DOCK = "Segmentation Evaluation (napari-seg-eval)"


def settle(widget) -> None:
    """Let the workers finish and Qt repaint."""
    app = QApplication.instance()
    jobs = (widget.preview_job, widget.evaluate.job, widget.review.error_job)
    for _ in range(300):
        app.processEvents()
        if not any(job.running for job in jobs):
            break
        app.thread().msleep(20)
    for _ in range(10):
        app.processEvents()


def shoot(viewer, widget, name: str, theme: str) -> None:
    settle(widget)
    path = OUT / f"{name}_{theme}.png"
    viewer.screenshot(str(path), canvas_only=False)
    if theme == "dark":
        shutil.copyfile(path, OUT / f"{name}.png")


def show_only(viewer, *names: str) -> None:
    """Show the layers named, or ending in, one of ``names``; hide the others."""
    for layer in viewer.layers:
        layer.visible = layer.name.endswith(names)


def write_folders(root: Path) -> tuple[Path, Path]:
    """Three pairs of TIFFs from the sample: its prediction at three thresholds."""
    data = nse.make_sample_data()
    truth, pred = root / "truth", root / "pred"
    truth.mkdir()
    pred.mkdir()
    for index, threshold in enumerate((0.3, 0.5, 0.7)):
        labels = nse.label_instances(nse.threshold_probabilities(data["probability"], threshold))
        tifffile.imwrite(truth / f"img{index}_masks.tif", data["ground_truth"])
        tifffile.imwrite(pred / f"img{index}_cp_masks.tif", labels.astype(np.uint16))
    return truth, pred


def screenshots(theme: str, folders: tuple[Path, Path]) -> None:
    viewer = napari.Viewer(show=True)
    viewer.theme = theme
    viewer.window._qt_window.resize(1500, 950)
    widget = open_demo(viewer)
    viewer.window._qt_window.resizeDocks(
        [viewer.window.dock_widgets[DOCK].parent()], [560], Qt.Orientation.Horizontal
    )
    settle(widget)
    viewer.reset_view()

    widget.tabs.setCurrentIndex(1)
    widget.set_threshold(0.6)
    show_only(viewer, "nuclei", "nuclei probability", "nuclei probability contour")
    shoot(viewer, widget, "confidence", theme)

    widget.tabs.setCurrentIndex(0)
    widget.split_check.setChecked(True)
    widget.set_threshold(0.5)
    widget.update_threshold_layer(wait=True)
    show_only(viewer, "nuclei", "nuclei probability thresholded")
    viewer.layers.selection.active = widget.threshold_layer
    shoot(viewer, widget, "threshold", theme)

    widget.tabs.setCurrentWidget(widget.evaluate)
    widget.set_prediction("nuclei probability")
    widget.run_evaluation(wait=True)
    widget.evaluate.result_tabs.setCurrentIndex(0)
    shoot(viewer, widget, "evaluate", theme)

    widget.tabs.setCurrentWidget(widget.review)
    widget.review.show_errors(wait=True)
    widget.review.outline_check.setChecked(True)
    show_only(viewer, "nuclei", "errors", "outlines", "review selection")
    viewer.reset_view()
    widget.review.filter_combo.setCurrentText("true: split")
    widget.review.select_row(0)  # zooms to the object and its partner
    shoot(viewer, widget, "review", theme)

    widget.tabs.setCurrentWidget(widget.confidence)
    widget.confidence.truth_combo.set_layer("nuclei ground truth")
    widget.confidence.run(wait=True)
    show_only(viewer, "nuclei", "nuclei probability")
    viewer.reset_view()
    shoot(viewer, widget, "confidence_analysis", theme)

    widget.set_threshold(0.7)
    widget.run_evaluation(wait=True)  # a second run, for the Runs tab
    widget.tabs.setCurrentWidget(widget.runs)
    names = [run.name for run in widget.runs.runs]
    widget.runs.compare(names[-2], names[-1])
    shoot(viewer, widget, "runs", theme)

    widget.tabs.setCurrentWidget(widget.dataset)
    truth, pred = folders
    widget.dataset.set_suffixes(truth="_masks", prediction="_cp_masks")
    widget.dataset.set_folders(truth=truth, prediction=pred)
    widget.dataset.run(wait=True)
    shoot(viewer, widget, "dataset", theme)
    viewer.close()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        folders = write_folders(Path(root))
        for theme in ("dark", "light"):
            screenshots(theme, folders)


if __name__ == "__main__":
    main()
