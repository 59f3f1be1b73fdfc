"""Regenerate the screenshots in docs/images (run under xvfb-run on a machine with no display).

xvfb-run -a python docs/make_screenshots.py
"""

from pathlib import Path

import napari
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

from napari_seg_eval.__main__ import open_demo

OUT = Path(__file__).parent / "images"


def settle(viewer, widget):
    """Let workers finish and Qt repaint."""
    app = QApplication.instance()
    for _ in range(200):
        app.processEvents()
        if not (widget.preview_job.running or widget.evaluate.job.running):
            break
        QApplication.instance().thread().msleep(20)
    for _ in range(10):
        app.processEvents()


def main():
    OUT.mkdir(exist_ok=True)
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1500, 950)
    widget = open_demo(viewer)
    viewer.window._qt_window.resizeDocks(
        [viewer.window._dock_widgets["Segmentation Evaluation (napari-seg-eval)"]],
        [520],
        Qt.Orientation.Horizontal,
    )
    settle(viewer, widget)
    viewer.reset_view()
    widget.tabs.setCurrentIndex(1)
    viewer.layers["nuclei ground truth"].visible = False
    settle(viewer, widget)
    viewer.screenshot(str(OUT / "confidence.png"), canvas_only=False)

    widget.tabs.setCurrentIndex(0)
    widget.split_check.setChecked(True)
    widget.set_threshold(0.5)
    widget.update_threshold_layer(wait=True)
    viewer.layers["nuclei probability"].visible = False
    viewer.layers.selection.active = widget.threshold_layer
    settle(viewer, widget)
    viewer.screenshot(str(OUT / "threshold.png"), canvas_only=False)

    widget.tabs.setCurrentIndex(2)
    widget.set_prediction("nuclei probability")
    widget.run_evaluation(wait=True)
    widget.evaluate.result_tabs.setCurrentIndex(0)
    settle(viewer, widget)
    viewer.screenshot(str(OUT / "evaluate.png"), canvas_only=False)
    widget.tabs.setCurrentWidget(widget.review)
    widget.review.show_errors(wait=True)
    viewer.layers["nuclei"].visible = True
    widget.threshold_layer.visible = False
    widget.review.filter_combo.setCurrentText("missed true objects (FN)")
    widget.review.select_row(0)
    viewer.scene.camera.zoom = 4
    settle(viewer, widget)
    viewer.scene.camera.zoom = 4
    viewer.screenshot(str(OUT / "review.png"), canvas_only=False)

    widget.tabs.setCurrentWidget(widget.confidence)
    widget.confidence.truth_combo.set_layer("nuclei ground truth")
    widget.confidence.run(wait=True)
    for layer in viewer.layers:
        layer.visible = layer.name in ("nuclei", "nuclei probability")
    viewer.reset_view()
    settle(viewer, widget)
    viewer.screenshot(str(OUT / "confidence_analysis.png"), canvas_only=False)
    viewer.close()


if __name__ == "__main__":
    main()
