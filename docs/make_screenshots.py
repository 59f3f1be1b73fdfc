"""Regenerate the screenshots in docs/images (run under xvfb-run on a machine with no display).

xvfb-run -a python docs/make_screenshots.py            # every picture
xvfb-run -a python docs/make_screenshots.py dataset    # only the Dataset tab's

Every tab of the dock, in napari's dark and light theme: ``<tab>_dark.png`` and
``<tab>_light.png``; the dark one is also saved as ``<tab>.png`` (the docs show that one).
The pictures come in parts (:data:`PARTS`), each in a viewer of its own: ``tabs``, the demo's
tabs at the dock's defaults, as ``napari-seg-eval demo`` opens them (the threshold aside);
``dataset``, a folder of pairs evaluated (``dataset``, ``dataset_stale`` and
``dataset_options``); ``slide``, a dask-backed multiscale slide (``large_data_slide`` and
``review_pyramid``). The window is 1400 x 1050 pixels; the PNGs are shrunk with pngquant when
it is installed (``apt-get install pngquant``).
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dask.array as da
import napari
import numpy as np
import tifffile
from napari._qt.dialogs.qt_notification import NapariQtNotification
from PIL import Image
from qtpy.QtCore import QPoint, Qt
from qtpy.QtWidgets import QApplication
from scipy import ndimage

import napari_seg_eval as nse
from napari_seg_eval.__main__ import open_demo
from napari_seg_eval._napari.layers import tag
from napari_seg_eval._qt.runs_panel import ROLE as CHANGES_ROLE

OUT = Path(__file__).parent / "images"
DOCK = "Segmentation Evaluation (napari-seg-eval)"
WINDOW = (1400, 1050)  # width, height of the whole window
DOCK_WIDTH = 560  # the plugin's dock, on the right
LAYERS_WIDTH = 290  # napari's layer controls and layer list, on the left


def settle(widget) -> None:
    """Let the workers finish and Qt repaint."""
    app = QApplication.instance()
    jobs = (
        widget.preview_job,
        widget.evaluate.job,
        widget.review.error_job,
        widget.confidence.job,
        widget.dataset.job,
        widget.dataset.open_job,
    )
    for _ in range(500):
        app.processEvents()
        if not any(job.running for job in jobs):
            break
        app.thread().msleep(20)
    for _ in range(10):
        app.processEvents()


def shoot(viewer, widget, name: str, theme: str, active: str | None = None) -> None:
    """Save the whole window as ``<name>_<theme>.png`` (and ``<name>.png`` when dark)."""
    if active is not None:
        viewer.layers.selection.active = viewer.layers[active]
    settle(widget)
    layout(viewer)  # a long layer name widens the layer list: back to the same sizes
    for toast in viewer.window._qt_window.findChildren(NapariQtNotification):
        toast.close()  # e.g. "opened 'img0'", which would cover the canvas
    settle(widget)
    path = OUT / f"{name}_{theme}.png"
    pixels = viewer.screenshot(canvas_only=False, flash=False)
    Image.fromarray(pixels[..., :3]).save(path, optimize=True)
    optimise(path)
    if theme == "dark":
        shutil.copyfile(path, OUT / f"{name}.png")


def optimise(path: Path) -> None:
    """Shrink a PNG with pngquant (Debian's ``pngquant``: about half the size, no visible
    change), when it is installed."""
    pngquant = shutil.which("pngquant")
    if pngquant is not None:
        command = [pngquant, "--quality=85-100", "--speed=1", "--strip", "--force"]
        subprocess.run([*command, "--output", str(path), str(path)], check=True)


def show_only(viewer, *names: str) -> None:
    """Show the layers named, or ending in, one of ``names``; hide the others."""
    for layer in viewer.layers:
        layer.visible = layer.name.endswith(names)


def zoom_on(viewer, center: tuple[float, float], size: float, shape: tuple[int, int]) -> None:
    """Centre the camera near ``center`` (data rows, columns) and show ``size`` pixels across
    the shorter side of the canvas; the centre moves in so that the view stays inside an
    image of ``shape`` where it can."""
    canvas = np.asarray(viewer.canvas.size, float)  # height, width
    zoom = canvas.min() / size
    half = canvas / zoom / 2
    limits = np.asarray(shape, float)
    low, high = half - 0.5, limits - half - 0.5
    middle = np.where(low <= high, np.clip(center, low, high), (limits - 1) / 2)
    camera = viewer.scene.camera
    camera.center = tuple(middle)
    camera.zoom = zoom


#: The pairs of the Dataset pictures: the sample's seed, and how far the model's map is from
#: the sample's (the exponent of its probability, and the noise added): good and poor images.
PAIRS = {
    "img0": (0, 1.0, 0.05),
    "img1": (1, 1.8, 0.1),
    "img2": (2, 0.7, 0.05),
    "img3": (3, 3.0, 0.15),
    "img4": (4, 1.2, 0.25),
    "img5": (5, 0.9, 0.1),
}


def write_folders(root: Path) -> None:
    """Six pairs of TIFFs as a model's run leaves them: ``images/img0.tif``, the truth
    ``masks/img0_masks.tif`` and the model's probability map ``predictions/img0_prob.tif``
    (float32 in [0, 1]), some much worse than others."""
    folders = {side: root / side for side in ("images", "masks", "predictions")}
    for folder in folders.values():
        folder.mkdir()
    for name, (seed, exponent, noise) in PAIRS.items():
        data = nse.make_sample_data(seed)
        rng = np.random.default_rng(seed)
        blurred = ndimage.gaussian_filter(rng.normal(0.0, noise, data["probability"].shape), 2)
        probability = np.clip(data["probability"] ** exponent + 4 * blurred, 0.0, 1.0)
        tifffile.imwrite(folders["images"] / f"{name}.tif", data["image"])
        tifffile.imwrite(folders["masks"] / f"{name}_masks.tif", data["ground_truth"])
        tifffile.imwrite(
            folders["predictions"] / f"{name}_prob.tif", probability.astype(np.float32)
        )


def three_classes() -> np.ndarray:
    """A (3, rows, columns) probability map from the sample: background, then two classes of
    nuclei (even and odd labels), each pixel's three probabilities summing to 1."""
    data = nse.make_sample_data()
    p = data["probability"].astype(np.float32)
    share = np.where(data["ground_truth"] % 2 == 0, 0.8, 0.25).astype(np.float32)
    return np.stack([1 - p, p * share, p * (1 - share)])


def layout(viewer) -> None:
    """The same window and dock sizes in every theme."""
    window = viewer.window._qt_window
    window.resize(*WINDOW)
    qt_viewer = viewer.window._qt_viewer
    left = [qt_viewer.dockLayerControls, qt_viewer.dockLayerList]
    window.resizeDocks(
        [*left, viewer.window.dock_widgets[DOCK].parent()],
        [LAYERS_WIDTH, LAYERS_WIDTH, DOCK_WIDTH],
        Qt.Orientation.Horizontal,
    )


def tab_screenshots(theme: str, root: Path) -> None:
    """The demo's tabs, one after the other in one viewer."""
    viewer = napari.Viewer(show=True)
    viewer.theme = theme
    viewer.window._qt_window.resize(*WINDOW)
    widget = open_demo(viewer)
    layout(viewer)
    settle(widget)
    viewer.reset_view()

    # Confidence: the colour map with the threshold's contour (the preview hidden).
    widget.tabs.setCurrentWidget(widget.display)
    widget.set_threshold(0.6)
    show_only(viewer, "nuclei", "nuclei probability", "nuclei probability contour")
    shoot(viewer, widget, "confidence", theme, active="nuclei probability")

    # The image and the coloured map side by side (napari's grid).
    widget.display.side_by_side(True)
    viewer.reset_view()
    shoot(viewer, widget, "confidence_side_by_side", theme, active="nuclei probability")
    widget.display.side_by_side(False)
    viewer.reset_view()

    # Threshold: the preview at the defaults (touching nuclei not split, as the demo opens).
    widget.tabs.setCurrentIndex(0)
    widget.set_threshold(0.5)
    widget.update_threshold_layer(wait=True)
    show_only(viewer, "nuclei", "nuclei probability thresholded")
    shoot(viewer, widget, "threshold", theme, active="nuclei probability thresholded")

    # Evaluate: the summary table of the run, the numbers a user gets from Run in the demo.
    widget.tabs.setCurrentWidget(widget.evaluate)
    widget.set_prediction("nuclei probability")
    widget.run_evaluation(wait=True)
    widget.evaluate.result_tabs.setCurrentIndex(0)
    shoot(viewer, widget, "evaluate", theme, active="nuclei probability evaluated")

    # Review: the error layer by kind, zoomed on a split nucleus and its two fragments.
    widget.tabs.setCurrentWidget(widget.review)
    widget.review.show_errors(wait=True)
    widget.review.outline_check.setChecked(True)
    show_only(viewer, "nuclei", "errors", "outlines", "review selection")
    viewer.reset_view()
    widget.review.filter_combo.setCurrentText("true: split")
    widget.review.select_row(0)  # zooms to the object and its partner
    shoot(viewer, widget, "review", theme, active="nuclei ground truth errors")

    # Confidence analysis: the four plots, temperature and Platt scaling compared (both
    # ticked: not the default).
    widget.tabs.setCurrentWidget(widget.confidence)
    widget.confidence.truth_combo.set_layer("nuclei ground truth")
    widget.confidence.temperature_check.setChecked(True)
    widget.confidence.platt_check.setChecked(True)
    widget.confidence.run(wait=True)
    show_only(viewer, "nuclei", "nuclei probability", "nuclei probability contour")
    viewer.reset_view()
    shoot(viewer, widget, "confidence_analysis", theme, active="nuclei probability")

    # Runs: the sample at 0.5 (run above) and at 0.7, compared; the object broken by B shown.
    widget.set_threshold(0.7)
    widget.run_evaluation(wait=True)
    widget.tabs.setCurrentWidget(widget.runs)
    names = [run.name for run in widget.runs.runs]
    comparison = widget.runs.compare(names[-2], names[-1])
    changes = next(layer for layer in viewer.layers if tag(layer).get("role") == CHANGES_ROLE)
    show_only(viewer, "nuclei", changes.name)
    changed = comparison.changed
    if len(changed):  # zoom on the first object fixed or broken, from the truth compared
        truth = comparison.a.labels["truth"]
        where = np.argwhere(truth == changed["label"].iloc[0])
        zoom_on(viewer, tuple(where.mean(axis=0)), 150, truth.shape)
    shoot(viewer, widget, "runs", theme, active=changes.name)

    # A three-class probability map (channel axis 0): one class's confidence and contour.
    # The other layers go first: their controls would widen the layer controls.
    for layer in [layer for layer in viewer.layers if layer.name != "nuclei"]:
        viewer.layers.remove(layer)
    viewer.add_image(three_classes(), name="classes")
    widget.tabs.setCurrentWidget(widget.display)
    widget.set_probability_layer("classes")
    combo = widget.channel_axis_combo
    combo.setCurrentIndex(combo.findData(0))
    widget.background_check.setChecked(True)  # channel 0 of this map is background
    widget.set_threshold(0.3)
    widget.display.show_class(1, wait=True)
    settle(widget)  # the preview of the new probability layer, hidden below
    show_only(viewer, "nuclei", "classes class confidence", "classes class confidence contour")
    viewer.reset_view()
    shoot(viewer, widget, "confidence_classes", theme, active="classes class confidence")
    viewer.close()


def dataset_screenshots(theme: str, root: Path) -> None:
    """The Dataset tab on the folders of :func:`write_folders`: run with the DSB 2018 preset,
    the worst pair opened (the image, the map in the confidence colormap with the threshold's
    contour, the truth's outlines); then the same results out of date (the threshold moved);
    then a run with the NeurIPS 2022 preset and boundary metrics, its Options open."""
    viewer = napari.Viewer(show=True)
    viewer.theme = theme
    viewer.window._qt_window.resize(*WINDOW)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    layout(viewer)
    widget.tabs.setCurrentWidget(widget.dataset)
    dataset = widget.dataset
    dataset.set_suffixes(truth="_masks", prediction="_prob")
    dataset.set_folders(
        truth=root / "masks", prediction=root / "predictions", image=root / "images"
    )
    dataset.set_options(preset="dsb2018", probability=True)
    dataset.run(wait=True)
    dataset.per_image.view.selectRow(0)  # the worst pair: opens it in the viewer
    settle(widget)
    worst = str(dataset.per_image.model.frame["name"].iloc[0])
    truth, prediction = viewer.layers[f"{worst} truth"], viewer.layers[f"{worst} prediction"]
    truth.contour = 2  # outlines: the map shows through
    # Zoom on the true nucleus the model is least sure of (the lowest mean probability).
    ids = np.unique(truth.data)[1:]
    means = ndimage.mean(prediction.data, truth.data, ids)
    where = np.argwhere(truth.data == ids[np.argmin(means)])
    zoom_on(viewer, tuple(where.mean(axis=0)), 110, truth.data.shape)
    scroll_to(widget, dataset.preset_label)
    shoot(viewer, widget, "dataset", theme, active=truth.name)
    widget.live_check.setChecked(False)  # the preview would cover the map
    widget.set_threshold(0.6)  # the run's threshold was 0.5: out of date
    scroll_to(widget, dataset.preset_label)
    shoot(viewer, widget, "dataset_stale", theme, active=truth.name)

    widget.set_threshold(0.5)
    dataset.set_options(preset="neurips2022", boundary=True, spacing=0.5, tolerance=1.0)
    dataset.run(wait=True)
    dataset.options.expand(animate=False)
    scroll_to(widget, dataset.options)
    shoot(viewer, widget, "dataset_options", theme, active=truth.name)
    viewer.close()


def tiled_sample(tiles: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A slide made of tiles² copies of the sample (each turned and flipped at random, the
    truth's ids offset per tile): its image, probability map and ground truth."""
    data = nse.make_sample_data()
    rng = np.random.default_rng(0)
    side = data["probability"].shape[0]
    image = np.empty((tiles * side,) * 2, data["image"].dtype)
    probability = np.empty((tiles * side,) * 2, np.float32)
    truth = np.zeros((tiles * side,) * 2, np.uint32)
    offset = int(data["ground_truth"].max())
    for k, (row, column) in enumerate(np.ndindex(tiles, tiles)):
        turns, flip = int(rng.integers(4)), bool(rng.integers(2))
        window = np.s_[row * side : (row + 1) * side, column * side : (column + 1) * side]
        moved = {}
        for name in ("image", "probability", "ground_truth"):
            tile = np.rot90(data[name], turns)
            moved[name] = tile[:, ::-1] if flip else tile
        image[window] = moved["image"]
        probability[window] = moved["probability"]
        ids = moved["ground_truth"].astype(np.uint32)
        truth[window] = np.where(ids > 0, ids + np.uint32(k * offset), 0)
    return image, probability, truth


def slide_screenshots(theme: str, root: Path) -> None:
    """An 8,192² slide opened as multiscale dask layers (2048² chunks, 4 levels), evaluated at
    level 0 chunk by chunk from the Evaluate tab, in its worker: the per-threshold table, the
    map in the confidence colormap over the image with the truth's outlines (the evaluated
    labels hidden); then the Review tab's error layer, a pyramid, over the image."""
    image, probability, truth = tiled_sample()
    levels = []
    for array in (image, probability, truth):
        base = da.from_array(array, chunks=2048)
        levels.append([base[:: 2**k, :: 2**k] for k in range(4)])
    viewer = napari.Viewer(show=True)
    viewer.theme = theme
    viewer.window._qt_window.resize(*WINDOW)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    viewer.add_image(levels[0], name="slide", multiscale=True)
    viewer.add_image(levels[1], name="slide probability", multiscale=True)
    viewer.add_labels(levels[2], name="slide ground truth", multiscale=True).contour = 2
    widget.set_probability_layer("slide probability")
    widget.apply_confidence_colormap()
    widget.set_ground_truth("slide ground truth")
    widget.set_prediction("slide probability")
    widget.tabs.setCurrentWidget(widget.evaluate)
    layout(viewer)
    settle(widget)
    widget.run_evaluation()
    settle(widget)
    widget.evaluate.result_tabs.setCurrentWidget(widget.evaluate.tables["per_threshold"])
    zoom_on(viewer, (4000, 4100), 500, probability.shape)
    show_only(viewer, "slide", "slide probability", "slide ground truth")
    shoot(viewer, widget, "large_data_slide", theme, active="slide probability")

    # Review: the errors pyramid over the image, around the merged true nucleus nearest the
    # middle of the slide, ringed.
    widget.tabs.setCurrentWidget(widget.review)
    widget.review.show_errors(wait=True)
    widget.review.filter_combo.setCurrentText("true: merged")
    rows = widget.review.rows()
    centroids = rows[["centroid_0", "centroid_1"]].to_numpy()
    middle = np.asarray(probability.shape) / 2
    row = int(np.argmin(np.linalg.norm(centroids - middle, axis=1)))
    widget.review.select_row(row)
    zoom_on(viewer, tuple(centroids[row]), 700, probability.shape)
    shoot(viewer, widget, "review_pyramid", theme, active="slide ground truth errors")
    viewer.close()


def scroll_to(widget, control) -> None:
    """Scroll the current tab's page so that ``control``'s row is at the top (as far as the
    page goes), in the window's final layout."""
    layout(widget.viewer)
    settle(widget)
    page = widget.tabs.currentWidget()
    top = control.mapTo(page.widget(), QPoint(0, 0)).y() - 6
    page.verticalScrollBar().setValue(top)


#: The parts of the pictures, each made in a viewer of its own.
PARTS = {"tabs": tab_screenshots, "dataset": dataset_screenshots, "slide": slide_screenshots}


def main() -> None:
    """Each part and theme in a fresh process: a second viewer in the same process gets wider
    layer controls (their minimum width grows), which would change the layout. Arguments:
    the parts to make (all by default)."""
    if len(sys.argv) == 4 and sys.argv[1] in PARTS:  # a child: part, theme, folder of TIFFs
        part, theme, root = sys.argv[1], sys.argv[2], Path(sys.argv[3])
        PARTS[part](theme, root)
        return
    parts = sys.argv[1:] or list(PARTS)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        sys.exit(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        write_folders(Path(root))
        for part in parts:
            for theme in ("dark", "light"):
                subprocess.run([sys.executable, __file__, part, theme, root], check=True)


if __name__ == "__main__":
    main()
