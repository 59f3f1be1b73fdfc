"""The confidence colouring of multiscale and large lazy multi-class maps (colour162).

A new user's trial (4-class softmax maps, 12,000² in zarr, also as a pyramid): "Apply
confidence colormap" on a multiscale map of classes failed ("list indices must be integers or
slices, not tuple"), and on a large single-scale lazy map the dock hid its class layer (too large
to show lazily) and showed it again at once, so napari read the whole plane on the main thread.

The map below is four quadrants of 8 × 8 pixels (channels first, channel 0 background), so every
class plane and the top class are known by hand at every level of its pyramid (steps 1, 2, 4).
"""

import threading

import dask.array as da
import numpy as np
import pytest
from dask.callbacks import Callback

pytest.importorskip("napari")

from napari_seg_eval._napari import layers
from napari_seg_eval._qt import threshold_panel

DOCK = ("napari-seg-eval", "Segmentation Evaluation")
COLORMAP = "napari-seg-eval:confidence"
#: The probabilities of channels 0..3 in each quadrant (top left, top right, bottom left,
#: bottom right): the top class is channel 0 (0.7), 1 (0.6), 2 (0.8) and 3 (0.55).
QUADRANTS = np.array(
    [
        [[0.7, 0.1, 0.1, 0.1], [0.2, 0.6, 0.1, 0.1]],
        [[0.1, 0.05, 0.8, 0.05], [0.15, 0.1, 0.2, 0.55]],
    ],
    np.float32,
)
#: Each quadrant's top probability, by hand.
TOP = np.array([[0.7, 0.6], [0.8, 0.55]], np.float32)


def quadrant_map(size: int = 8) -> np.ndarray:
    """The (4, size, size) map: each quadrant the probabilities of :data:`QUADRANTS`."""
    half = np.ones((size // 2, size // 2), np.float32)
    return np.stack([np.kron(QUADRANTS[..., channel], half) for channel in range(4)])


def by_quadrant(values, size: int) -> np.ndarray:
    """A (size, size) float32 image of one value per quadrant."""
    return np.kron(np.asarray(values, np.float32), np.ones((size // 2, size // 2), np.float32))


class CountingArray:
    """A chunked array (as a zarr array) that counts the pixels read from it."""

    def __init__(self, data: np.ndarray):
        self.data = data
        self.shape, self.dtype, self.ndim = data.shape, data.dtype, data.ndim
        self.read = 0

    def __getitem__(self, key):
        out = self.data[key]
        self.read += out.size
        return out


class MainThreadComputes(Callback):
    """The dask computations started on the main thread while registered (napari computes a
    visible lazy layer's plane there; its cache may hold the chunks, so count computations,
    not reads)."""

    def __init__(self):
        super().__init__()
        self.started = 0

    def _start(self, dsk) -> None:
        if threading.current_thread() is threading.main_thread():
            self.started += 1


@pytest.fixture
def notices(monkeypatch):
    """The dock's notices (napari's show_info) of the Confidence tab and of result layers."""
    shown = []
    monkeypatch.setattr(threshold_panel, "show_info", shown.append)
    monkeypatch.setattr(layers, "show_info", shown.append)
    return shown


def dock(make_napari_viewer, data, *, background=True, **image):
    """A viewer with ``data`` as "prob", chosen with Channel axis 0 (channel 0 background)."""
    viewer = make_napari_viewer()
    viewer.add_image(data, name="prob", **image)
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("prob")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    widget.background_check.setChecked(background)
    return viewer, widget


def pyramid(prob: np.ndarray) -> list[np.ndarray]:
    return [prob, prob[:, ::2, ::2], prob[:, ::4, ::4]]


def test_the_colormap_colours_a_class_of_a_pyramid_at_every_level(make_napari_viewer, errors):
    viewer, widget = dock(make_napari_viewer, pyramid(quadrant_map()), multiscale=True)
    source = viewer.layers["prob"]
    widget.display.class_slider.setValue(2)
    layer = widget.apply_confidence_colormap()
    assert layer is viewer.layers["prob class confidence"] and layer.multiscale
    assert layer.visible and layer.colormap.name == COLORMAP
    # class 2 is channel 2 (channel 0 is background): 0.1, 0.1 above, 0.8, 0.2 below
    for level, size in zip(layer.data, (8, 4, 2), strict=True):
        np.testing.assert_array_equal(level, by_quadrant(np.array([[0.1, 0.1], [0.8, 0.2]]), size))
    widget.display.class_slider.setValue(3)  # the same layer, now channel 3
    assert viewer.layers["prob class confidence"] is layer
    for level, size in zip(layer.data, (8, 4, 2), strict=True):
        np.testing.assert_array_equal(
            level, by_quadrant(np.array([[0.1, 0.1], [0.05, 0.55]]), size)
        )
    assert source.colormap.name != COLORMAP and errors == []


def test_a_lazy_pyramid_gives_a_lazy_class_pyramid(make_napari_viewer, errors):
    levels = [da.from_array(level, chunks=(1, 2, 2)) for level in pyramid(quadrant_map())]
    viewer, widget = dock(make_napari_viewer, levels, multiscale=True)
    widget.display.class_slider.setValue(1)
    layer = widget.apply_confidence_colormap()
    assert layer is viewer.layers["prob class confidence"]
    assert layer.multiscale and layer.visible
    for level, size in zip(layer.data, (8, 4, 2), strict=True):
        assert isinstance(level, da.Array)  # each level is the class's plane of that level
        np.testing.assert_array_equal(
            level.compute(), by_quadrant(np.array([[0.1, 0.6], [0.05, 0.1]]), size)
        )
    assert errors == []


def test_the_top_class_layer_of_a_pyramid_is_a_pyramid(make_napari_viewer, errors):
    viewer, widget = dock(make_napari_viewer, pyramid(quadrant_map()), multiscale=True)
    top = widget.display.add_top_class_layer()
    assert top is viewer.layers["prob top-class confidence"] and top.multiscale
    assert top.visible and top.colormap.name == COLORMAP
    for level, size in zip(top.data, (8, 4, 2), strict=True):
        np.testing.assert_array_equal(level, by_quadrant(TOP, size))
    assert errors == []


@pytest.fixture
def large_lazy(make_napari_viewer, monkeypatch):
    """A single-scale chunked map "too large to show lazily" (any plane above 16 pixels is),
    its source counting the pixels read."""
    monkeypatch.setattr(layers, "SHOWN_LAZILY_MAX_PIXELS", 16)
    counting = CountingArray(quadrant_map())
    lazy = da.from_array(counting, chunks=(1, 4, 4), asarray=False)
    viewer, widget = dock(make_napari_viewer, lazy)
    return viewer, widget, counting


def test_a_class_layer_too_large_to_show_stays_hidden(large_lazy, notices, errors):
    viewer, widget, counting = large_lazy
    widget.display.class_slider.setValue(2)  # the channel the viewer shows: nothing moves
    counting.read = 0
    with MainThreadComputes() as computes:
        layer = widget.apply_confidence_colormap()
    assert layer is viewer.layers["prob class confidence"]
    assert not layer.visible and layer.colormap.name == COLORMAP
    assert counting.read == 0 and computes.started == 0  # nothing of the map read
    said = [text for text in notices if "'prob class confidence'" in text]
    assert len(said) == 1 and "it is hidden" in said[0]  # once: why, and how to show it
    assert not any("it is shown" in text for text in notices)
    widget.apply_confidence_colormap()  # again: still hidden, said no more
    assert not layer.visible and counting.read == 0
    assert len([text for text in notices if "'prob class confidence'" in text]) == 1
    # it is the class's plane, lazily: class 2 is channel 2
    np.testing.assert_array_equal(
        layer.data.compute(), by_quadrant(np.array([[0.1, 0.1], [0.8, 0.2]]), 8)
    )
    assert errors == []


def test_a_top_class_layer_too_large_to_show_stays_hidden(large_lazy, notices, errors):
    viewer, widget, counting = large_lazy
    counting.read = 0
    with MainThreadComputes() as computes:
        top = widget.display.add_top_class_layer()
    assert top is viewer.layers["prob top-class confidence"]
    assert not top.visible and top.colormap.name == COLORMAP
    assert counting.read == 0 and computes.started == 0
    assert len([text for text in notices if "'prob top-class confidence'" in text]) == 1
    np.testing.assert_array_equal(top.data.compute(), by_quadrant(TOP, 8))
    assert errors == []


def test_a_hidden_map_too_large_to_show_is_coloured_and_stays_hidden(
    make_napari_viewer, monkeypatch, notices, errors
):
    monkeypatch.setattr(layers, "SHOWN_LAZILY_MAX_PIXELS", 16)
    counting = CountingArray(quadrant_map()[2])
    viewer = make_napari_viewer()
    source = viewer.add_image(da.from_array(counting, chunks=4, asarray=False), name="map")
    source.visible = False
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("map")
    counting.read = 0
    with MainThreadComputes() as computes:
        for _ in range(2):
            assert widget.apply_confidence_colormap() is source
    assert not source.visible and source.colormap.name == COLORMAP
    assert counting.read == 0 and computes.started == 0
    said = [text for text in notices if "'map'" in text]
    assert len(said) == 1 and "confidence colormap" in said[0] and "hidden" in said[0]
    assert errors == []


def test_side_by_side_never_shows_a_class_layer_too_large_to_show(large_lazy, errors):
    viewer, widget, counting = large_lazy
    viewer.add_image(np.zeros((8, 8), np.float32), name="image")
    layer = widget.apply_confidence_colormap()
    counting.read = 0
    visible = [(item.name, item.visible) for item in viewer.layers]
    with MainThreadComputes() as computes:
        widget.display.side_by_side(True)
    assert not layer.visible and counting.read == 0 and computes.started == 0
    assert [(item.name, item.visible) for item in viewer.layers] == visible
    assert not widget.display.side_by_side_button.isChecked()
    assert len(errors) == 1 and "'prob class confidence'" in errors[0]
    assert "stays hidden" in errors[0]
