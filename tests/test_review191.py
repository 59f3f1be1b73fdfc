"""Review191: "Show errors as a layer" on lazy data paints nothing on the main thread, and the
error layer shows the legend's colours over any image."""

import threading

import dask
import dask.array as da
import numpy as np
import pytest

import napari_seg_eval as nse
from napari_seg_eval._qt import review as review_module
from napari_seg_eval.core import review as review_core
from napari_seg_eval.core.review import KIND_VALUES


def disks(size: int, offset: int, skip: int) -> np.ndarray:
    """Disks of radius 7 every 32 pixels, numbered from 1; every ``skip``-th left out; all
    shifted ``offset`` pixels to the right."""
    rows, cols = np.mgrid[:size, :size]
    labels = np.zeros((size, size), np.uint32)
    centres = [(r, c) for r in range(16, size, 32) for c in range(16, size, 32)]
    for n, (r, c) in enumerate(centres, start=1):
        if n % skip:
            labels[(rows - r) ** 2 + (cols - c - offset) ** 2 <= 49] = n
    return labels


@pytest.fixture
def painted_on_main(monkeypatch):
    """The error map's chunks painted on the main thread, as a list of block shapes. dask's
    synchronous scheduler runs each task on the thread that asked for it: napari's reads of a
    lazy layer on the main thread, the dock's work in its worker."""
    painted: list[tuple[int, ...]] = []
    paint = review_core._paint_pair

    def recording(*args):
        out = paint(*args)
        if threading.current_thread() is threading.main_thread():
            painted.append(out.shape)
        return out

    monkeypatch.setattr(review_core, "_paint_pair", recording)
    with dask.config.set(scheduler="synchronous"):
        yield painted


def evaluated(viewer, truth, pred, **add):
    viewer.add_labels(truth, name="truth", **add)
    viewer.add_labels(pred, name="pred", **add)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    return widget


def show_errors(qtbot, widget):
    """Click "Show errors as a layer" and wait for the layer."""
    with qtbot.waitSignal(widget.review.error_job.finished, timeout=60_000):
        widget.review.show_errors()
    return widget.viewer.layers["truth errors"]


def test_a_lazy_error_layer_is_added_with_its_plane_painted_in_the_worker(
    make_napari_viewer, qtbot, painted_on_main
):
    """Regression (trial186): napari read the plane of a new lazy error layer at once, on the
    main thread: every chunk of it was painted there (the viewer froze)."""
    true, pred = disks(128, 0, 5), disks(128, 2, 7)
    viewer = make_napari_viewer()
    widget = evaluated(viewer, da.from_array(true, chunks=32), da.from_array(pred, chunks=32))
    painted_on_main.clear()  # the evaluation's own work is not the error layer's
    errors = show_errors(qtbot, widget)
    assert errors.visible and isinstance(errors.data, da.Array)  # lazy, shown
    assert painted_on_main == []
    expected = nse.error_map(true, pred, by="kind")
    assert {1, 2, 3} <= set(np.unique(expected))  # matched, missed, spurious
    np.testing.assert_array_equal(np.asarray(errors._slice.image.raw), expected)


def test_a_pyramid_error_layer_is_shown_at_the_levels_in_view_without_painting_on_main(
    make_napari_viewer, qtbot, painted_on_main
):
    """A whole slide: napari reads the coarsest level's plane when the pyramid is added, and
    the tiles in view of the level it draws (here level 0, the slide in view); both are
    painted in the worker, from the truth's level and view."""
    true, pred = disks(512, 0, 5), disks(512, 2, 7)
    levels = [
        [da.from_array(image[:: 2**k, :: 2**k].copy(), chunks=64) for k in range(3)]
        for image in (true, pred)
    ]
    viewer = make_napari_viewer(show=True)
    widget = evaluated(viewer, levels[0], levels[1], multiscale=True)
    truth = viewer.layers["truth"]
    qtbot.waitUntil(lambda: truth.data_level == 0, timeout=10_000)  # drawn at level 0
    painted_on_main.clear()
    errors = show_errors(qtbot, widget)
    assert errors.multiscale and errors.visible
    qtbot.waitUntil(lambda: errors.data_level == 0, timeout=10_000)  # drawn as the truth
    errors.refresh()  # what napari reads for the view, read again now
    assert painted_on_main == []
    shown = np.asarray(errors._slice.image.raw)
    (top, left), (bottom, right) = errors.corner_pixels[0], errors.corner_pixels[1] + 1
    full = nse.error_map(true, pred, by="kind")
    np.testing.assert_array_equal(shown, full[top:bottom, left:right])


def test_the_error_layer_is_opaque_over_the_users_images_which_stay_shown(make_napari_viewer):
    """Regression (trial186): under the translucent (0.7) error layer a confidence-coloured
    map showed through, and matched objects looked salmon, not the legend's grey. The layer
    is opaque; the user's images are neither hidden nor changed; a user's opacity is kept."""
    true, pred = disks(64, 0, 5), disks(64, 2, 7)
    viewer = make_napari_viewer()
    # an image the user coloured (not the evaluation's confidence map, which Review hides)
    confidence = viewer.add_image(np.full((64, 64), 200.0), name="micrograph", colormap="magma")
    widget = evaluated(viewer, true, pred)
    errors = widget.review.show_errors(wait=True)
    assert errors.opacity == 1.0
    assert confidence.visible and confidence.opacity == 1.0
    assert str(confidence.colormap.name) == "magma"
    # a matched pixel is drawn in the legend's grey itself (the image under it adds nothing)
    matched = KIND_VALUES["true", "matched"]
    assert (np.asarray(errors.data) == matched).any()
    grey = review_module.kind_colormap(viewer.theme, review_module.background_under([confidence]))
    np.testing.assert_allclose(errors.colormap.map(np.array([matched]))[0], grey.map(matched))
    assert errors.colormap.map(np.array([matched]))[0][3] * errors.opacity == 1.0
    errors.opacity = 0.5  # the user's choice
    widget.review.iou_spin.setValue(0.8)
    assert widget.review.show_errors(wait=True) is errors
    assert errors.opacity == 0.5


def test_napari_compiles_its_label_colormap_code_in_the_worker(
    make_napari_viewer, qtbot, monkeypatch
):
    """napari compiles (numba) the lookup of a direct label colormap the first time a layer
    shows one, whatever the data's dtype (a uint8 error map too): 0.6 s to 3.8 s on the main
    thread in the trial. The error job has it built before the layer is handed over."""
    calls = []
    build = review_module.build_label_colormap_lookup

    def recording():
        calls.append(threading.current_thread() is threading.main_thread())
        build()

    monkeypatch.setattr(review_module, "build_label_colormap_lookup", recording)
    true, pred = disks(64, 0, 5), disks(64, 2, 7)
    viewer = make_napari_viewer()
    widget = evaluated(viewer, true, pred)
    errors = show_errors(qtbot, widget)
    assert calls == [False]
    assert errors.data.dtype == np.uint8  # no mapping of the values themselves
