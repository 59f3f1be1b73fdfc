"""convert189: Convert logits on chunked data with progress and Cancel, a probability map
holding NaN (neither probabilities nor logits), and the ground truth and prediction chosen by
their names when the ranks tied (``masks`` and ``stardist_labels``)."""

import threading

import numpy as np
import pytest

pytest.importorskip("napari")
da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from widget_helpers import settle_preview  # noqa: E402


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    """The dock on an empty viewer; its error notifications in ``widget.errors``."""
    from napari_seg_eval import _jobs
    from napari_seg_eval._qt import threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    errors: list[str] = []
    monkeypatch.setattr(_jobs, "show_error", errors.append)
    monkeypatch.setattr(threshold_panel, "show_info", lambda message: None)
    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.errors = errors
    return viewer, widget


class Gate:
    """Holds the worker in the ``at``-th chunk it reads (never the main thread, where napari
    reads a slice to show the layer) until :attr:`release` is set."""

    def __init__(self, at: int):
        self.at, self.calls, self.armed = at, 0, False
        self.held, self.release = threading.Event(), threading.Event()
        self.lock = threading.Lock()

    def block(self, chunk: np.ndarray) -> np.ndarray:
        if self.armed and threading.current_thread() is not threading.main_thread():
            with self.lock:
                self.calls += 1
                hold = self.calls == self.at
            if hold:
                self.held.set()
                self.release.wait(60)  # set by the test; the bound only frees a failed test
        return chunk


# Item 1: Convert logits of chunked data: progress and Cancel -------------------------------
def test_cancelling_convert_of_chunked_logits_adds_nothing_and_changes_nothing(dock, qtbot):
    """512² logits in 64 chunks: the worker reads the values with the progress bar moving and
    Cancel enabled; held in its 33rd chunk (32 chunks read, so the progress is past 0), Cancel
    stops it: no layer is added, the header keeps its probability layer and class axis, and
    the status line says nothing was added."""
    viewer, widget = dock
    display = widget.display
    prob = viewer.add_image(np.full((8, 8), 0.25, np.float32), name="prob")
    gate = Gate(at=33)
    values = np.linspace(-4, 5, 512 * 512).reshape(512, 512)
    scores = da.from_array(values, chunks=64).map_blocks(gate.block, dtype=values.dtype)
    with dask.config.set(scheduler="synchronous"):  # chunk by chunk, on the worker's thread
        layer = viewer.add_image(scores, name="scores")
        assert widget.probability_combo.layer() is prob
        settle_preview(qtbot, widget)  # the live preview of "prob", drawn when it was chosen
        axis_before = widget.channel_axis_combo.currentIndex()
        names_before = [each.name for each in viewer.layers]
        assert display.convert_progress.isHidden() and display.convert_cancel_button.isHidden()
        gate.armed = True
        try:
            assert display.convert_logits(layer) is None  # in a worker
            assert not display.convert_progress.isHidden()
            assert display.convert_cancel_button.isEnabled()
            assert "Reading the values of 'scores'" in display.convert_status.text()
            qtbot.waitUntil(gate.held.is_set, timeout=20_000)
            qtbot.waitUntil(lambda: display.convert_progress.value() > 0, timeout=20_000)
            with qtbot.waitSignal(display.convert_job.finished, timeout=20_000):
                display.convert_cancel_button.click()
                gate.release.set()
        finally:
            gate.release.set()
    assert not display.convert_job.running
    assert [each.name for each in viewer.layers] == names_before
    assert widget.probability_combo.layer() is prob
    assert widget.channel_axis_combo.currentIndex() == axis_before
    assert layer.data is scores and widget.errors == []
    assert display.convert_progress.isHidden() and display.convert_cancel_button.isHidden()
    assert display.convert_status.text() == (
        "Convert logits cancelled: no layer was added, nothing changed."
    )


def test_a_convert_of_chunked_logits_run_to_its_end_hides_the_progress(dock, qtbot):
    viewer, widget = dock
    display = widget.display
    values = np.linspace(-4, 5, 512 * 512).reshape(512, 512)
    layer = viewer.add_image(da.from_array(values, chunks=128), name="scores")
    with qtbot.waitSignal(display.convert_job.finished, timeout=20_000):
        assert display.convert_logits(layer) is None
        assert not display.convert_progress.isHidden()
    converted = viewer.layers["scores probabilities"]
    assert widget.probability_combo.layer() is converted and widget.errors == []
    # sigmoid(-4) and sigmoid(5), the corners
    corners = np.asarray(converted.data[::511, ::511])
    np.testing.assert_allclose(corners[0, 0], 1 / (1 + np.exp(4.0)))
    np.testing.assert_allclose(corners[-1, -1], 1 / (1 + np.exp(-5.0)))
    assert display.convert_progress.isHidden() and display.convert_status.isHidden()


# Item 2: a map holding NaN -----------------------------------------------------------------
def nan_map() -> np.ndarray:
    """Probabilities in [0, 1] with two NaN values, the first (C order) at (0, 3)."""
    prob = np.full((6, 8), 0.1, np.float32)
    prob[1:3, 1:3] = 0.9
    prob[0, 3] = np.nan
    prob[4, 0] = np.nan
    return prob


NEITHER = "a map with NaN is neither probabilities nor logits, so nothing was done"


def test_a_map_with_nan_is_said_to_hold_nan_by_convert_preview_and_evaluate(dock, qtbot):
    """Convert took a map in [0, 1] with NaN for logits (NaN fails the range check) and
    added its sigmoid; the preview and Evaluate gave the core's Python words. Each now says
    the map holds NaN, how many and where (the layer known), and adds nothing."""
    viewer, widget = dock
    truth = np.zeros((6, 8), np.uint8)
    truth[1:3, 1:3] = 1
    viewer.add_labels(truth, name="gt")
    prob = viewer.add_image(nan_map(), name="prob")
    widget.set_probability_layer(prob)
    settle_preview(qtbot, widget)  # the live preview, refused as the button's is below
    said = "layer 'prob' holds 2 NaN (not-a-number) values, the first at pixel (0, 3): "
    assert widget.display.convert_logits(prob) is None
    assert said + NEITHER in widget.errors[-1]
    assert "nan_to_num" in widget.errors[-1]
    assert widget.update_threshold_layer(wait=True) is None
    assert said + NEITHER in widget.errors[-1]
    widget.set_ground_truth("gt")
    widget.set_prediction(prob)
    assert widget.run_evaluation(wait=True) is None
    assert said + NEITHER in widget.errors[-1]
    assert [layer.name for layer in viewer.layers] == ["gt", "prob"]
    assert np.isnan(prob.data).sum() == 2  # the user's layer untouched


def test_chunked_map_with_nan_is_counted_in_the_worker_not_converted(dock, qtbot):
    viewer, widget = dock
    values = np.linspace(0, 1, 512 * 512).reshape(512, 512)
    values[[3, 200, 511], [7, 0, 511]] = np.nan
    layer = viewer.add_image(da.from_array(values, chunks=128), name="lazy prob")
    settle_preview(qtbot, widget)  # the live preview of the map, chosen as the header's
    widget.errors.clear()
    with qtbot.waitSignal(widget.display.convert_job.finished, timeout=20_000):
        assert widget.display.convert_logits(layer) is None
    assert widget.errors == [
        "Segmentation Evaluation: layer 'lazy prob' holds 3 NaN (not-a-number) values: "
        + NEITHER
        + ". To use it, replace them, e.g. by 0: select the layer, then type import numpy as "
        "np; viewer.add_image(np.nan_to_num(viewer.layers.selection.active.data, nan=0.0)) "
        "in napari's console, and choose the new layer."
    ]
    assert [each.name for each in viewer.layers] == ["lazy prob"]


# Item 3: the truth and the prediction by their names, in either order ----------------------
@pytest.mark.parametrize(
    ("truth", "prediction"),
    [
        ("masks", "stardist_labels"),
        ("masks", "unet_output"),
        ("img1_masks", "img1_seg"),
        ("man_seg000", "mask000"),  # the Cell Tracking Challenge's names
        ("nuclei_gt", "nuclei_pred"),
        ("labels", "cellpose_masks"),
        ("annotation", "seg"),
    ],
)
def test_a_name_carrying_a_model_or_tool_is_the_prediction_in_either_order(dock, truth, prediction):
    viewer, widget = dock
    evaluate = widget.evaluate
    squares = np.zeros((4, 4), np.uint8)
    squares[:2, :2] = 1
    for order in ((truth, prediction), (prediction, truth)):
        viewer.layers.clear()
        for name in order:
            viewer.add_labels(squares.copy(), name=name)
        chosen = (evaluate.truth_combo.layer().name, evaluate.prediction_combo.layer().name)
        assert chosen == (truth, prediction), order


def test_names_still_tied_keep_the_layer_order(dock):
    """Two truth names neither of which says more ("masks", "cells_masks"), opened after a
    model's labels: the first of the two is the truth, in either order, and the model's layer
    the prediction (it was the truth, first and tied with both). Two model names tied
    ("cp_masks", "stardist_masks"): the first is the prediction, in either order."""
    viewer, widget = dock
    evaluate = widget.evaluate
    squares = np.eye(4, dtype=np.uint8)
    cases = [
        (("stardist_labels", "masks", "cells_masks"), ("masks", "stardist_labels")),
        (("stardist_labels", "cells_masks", "masks"), ("cells_masks", "stardist_labels")),
        (("masks", "cp_masks", "stardist_masks"), ("masks", "cp_masks")),
        (("masks", "stardist_masks", "cp_masks"), ("masks", "stardist_masks")),
    ]
    for order, expected in cases:
        viewer.layers.clear()
        for name in order:
            viewer.add_labels(squares.copy(), name=name)
        chosen = (evaluate.truth_combo.layer().name, evaluate.prediction_combo.layer().name)
        assert chosen == expected, order
