"""dock179: a class absent from the truth in the Confidence analysis, the split refusal's
words for a pyramid, Convert logits on pyramids and chunked maps (no read of level 0 on the
main thread), a renamed preview painted on, and the Confidence analysis's truth chooser."""

import threading
import warnings

import numpy as np
import pytest

pytest.importorskip("napari")
da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import napari_seg_eval as nse  # noqa: E402
from widget_helpers import settle_preview, two_squares_map  # noqa: E402

TAG = "napari-seg-eval"


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    """The dock on an empty viewer; its error notifications in ``widget.errors``, the
    Threshold tab's notices in ``widget.notices``."""
    from napari_seg_eval import _jobs
    from napari_seg_eval._qt import threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    errors, notices = [], []
    monkeypatch.setattr(_jobs, "show_error", errors.append)
    monkeypatch.setattr(threshold_panel, "show_info", notices.append)
    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.errors, widget.notices = errors, notices
    return viewer, widget


def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(values, np.float64)))


# Item 1: a class the truth lacks -----------------------------------------------------------
def test_semantic_overlap_without_a_best_threshold_adds_nothing():
    """No best threshold (NaN): nothing to add, instead of an IndexError."""
    from napari_seg_eval._qt.confidence_panel import semantic_overlap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "no threshold is best"
        no_class = nse.threshold_sweep(np.zeros((4, 4), int), np.full((4, 4), 0.7))
        never_above = nse.threshold_sweep(
            np.eye(4, dtype=int), np.zeros((4, 4)), metric="precision"
        )
    for sweep in (no_class, never_above):
        assert np.isnan(sweep.summary["best_threshold"])
        assert semantic_overlap(sweep) == ""
    # a best threshold: the other overlap measure there. Truth 1 1 0 0, map .9 .8 .6 .2:
    # IoU is best (1) above 0.6 and up to 0.8, first at threshold 0.6; Dice there 1
    sweep = nse.threshold_sweep(np.array([[1, 1, 0, 0]]), np.array([[0.9, 0.8, 0.6, 0.2]]))
    assert sweep.summary["best_threshold"] == pytest.approx(0.6)
    assert semantic_overlap(sweep) == " (Dice 1.000)"


def test_a_class_absent_from_the_truth_shows_its_results_with_nan(dock):
    viewer, widget = dock
    classes = np.zeros((24, 40), np.uint8)
    classes[:, 20:] = 2
    classes[4:20, 4:16] = 1
    prob = np.random.default_rng(0).random((3, 24, 40))  # channels of classes 1, 2, 3
    viewer.add_image(prob, name="classes prob")
    viewer.add_labels(classes, name="classes")
    widget.set_probability_layer("classes prob")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    confidence = widget.confidence
    confidence.truth_combo.set_layer("classes")
    confidence.metric_combo.setCurrentText("iou")
    confidence.set_class(3)  # no pixel of class 3 in the truth
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "no threshold is best"
        results = confidence.run(wait=True)
    assert results is not None and widget.errors == []
    summary = results["sweep"].summary
    assert summary["n_positive"] == 0 and summary["n_negative"] == 24 * 40
    assert np.isnan(summary["best_threshold"]) and np.isnan(summary["best_value"])
    text = confidence.summary_label.text()
    assert text.startswith("Class 3 vs rest (channel 2) · Best IoU nan at threshold nan · ")
    assert "Dice" not in text
    assert not confidence.best_button.isEnabled()  # no threshold to use
    assert confidence.stale == ""


# Item 2: the split refusal of a pyramid ----------------------------------------------------
def test_split_refusal_of_a_pyramid_says_level_0_and_the_values_of_all_levels(monkeypatch):
    from napari.layers import Image

    from napari_seg_eval._qt import threshold_panel

    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", 100)
    full = np.zeros((48, 80))
    lazy = [da.from_array(full, chunks=24), da.from_array(full[::2, ::2], chunks=12)]
    pyramid = Image(lazy, multiscale=True, name="pyr")
    said = threshold_panel.split_refusal(pyramid, lazy)
    # 48 × 80 + 24 × 40 = 3,840 + 960 = 4,800 values in the two chunked levels
    assert "chunked map (a pyramid of 2 levels, level 0 48 × 80; 4,800 values in all)" in said
    mixed = [lazy[0], full[::2, ::2]]  # only level 0 chunked: its 3,840 values
    said = threshold_panel.split_refusal(Image(mixed, multiscale=True, name="pyr"), mixed)
    assert "(a pyramid of 2 levels, level 0 48 × 80; 3,840 values in its one chunked level)" in (
        said
    )
    single = threshold_panel.split_refusal(Image(lazy[0], name="one"), [lazy[0]])
    assert "chunked map (48 × 80, 3,840 values), read chunk by chunk" in single


# Item 3: Convert logits --------------------------------------------------------------------
def test_a_pyramid_whose_smallest_level_lies_in_0_1_is_converted_when_level_0_holds_logits(dock):
    viewer, widget = dock
    full = np.linspace(-4, 5, 64 * 64).reshape(64, 64)  # logits: level 0 in [-4, 5]
    small = np.full((8, 8), 0.5)  # a stored mean, in [0, 1]: proves nothing
    viewer.add_image([full, full[::2, ::2], small], multiscale=True, name="logits")
    converted = widget.display.convert_logits(viewer.layers["logits"])
    assert widget.errors == [] and converted is not None
    assert converted.name == "logits probabilities" and converted.multiscale
    np.testing.assert_allclose(np.asarray(converted.data[0]), sigmoid(full), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(converted.data[2]), sigmoid(small), rtol=1e-12)
    # a pyramid of probabilities (level 0 in [0, 1]) is still refused
    probabilities = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    viewer.add_image([probabilities, small], multiscale=True, name="prob")
    assert widget.display.convert_logits(viewer.layers["prob"]) is None
    assert "'prob' already holds values in [0, 1]" in widget.errors[-1]
    assert "prob probabilities" not in viewer.layers


def recording(reads: list, values: np.ndarray):
    """``values`` as a dask array of 128 × 128 chunks that records, for each chunk read,
    whether it was read on the main thread."""

    def block(chunk, block_info=None):
        reads.append(threading.current_thread() is threading.main_thread())
        return chunk

    return da.from_array(values, chunks=128).map_blocks(block, dtype=values.dtype)


@pytest.mark.parametrize("kind", ["strided pyramid", "one chunked level"])
@pytest.mark.parametrize("what", ["logits", "probabilities"])
def test_chunked_data_is_read_in_a_worker_never_on_the_main_thread(
    dock, qtbot, monkeypatch, kind, what
):
    """A lazily strided pyramid (its smallest level reads every chunk of level 0) and one
    chunked level of 512² values: converting reads no chunk on the main thread (dask's
    synchronous scheduler runs each read on the thread that computes), then converts (logits)
    or refuses (probabilities) once the worker has read the range."""
    viewer, widget = dock
    values = np.linspace(-4, 5, 512 * 512).reshape(512, 512)
    if what == "probabilities":
        values = (values + 4) / 9  # [0, 1]
    reads: list[bool] = []
    level0 = recording(reads, values)
    data = [level0, level0[::2, ::2], level0[::16, ::16]] if kind != "one chunked level" else level0
    layer = viewer.add_image(data, multiscale=kind != "one chunked level", name="scores")
    reads.clear()  # napari read a slice to show it
    display = widget.display
    # the reads done when the range is in (then napari may read the new layer to show it)
    before_converting: list[list[bool]] = []
    convert_checked = getattr(display, "_convert_checked", None)

    def snapshot(*args):
        before_converting.append(list(reads))
        return convert_checked(*args)

    monkeypatch.setattr(display, "_convert_checked", snapshot, raising=False)
    with dask.config.set(scheduler="synchronous"):
        returned = display.convert_logits(layer)
        assert not any(reads)  # no chunk read on the main thread
        assert returned is None  # not now: in a worker
        qtbot.waitUntil(lambda: not display.convert_job.running, timeout=20_000)
    [range_reads] = before_converting
    assert range_reads and not any(range_reads)  # read, all of it in the worker
    if what == "logits":
        converted = viewer.layers["scores probabilities"]
        assert widget.errors == [] and widget.probability_combo.layer() is converted
        level = converted.data[0] if converted.multiscale else converted.data
        np.testing.assert_allclose(np.asarray(level[::64, ::64]), sigmoid(values[::64, ::64]))
    else:
        assert "'scores' already holds values in [0, 1]" in widget.errors[-1]
        # nothing converted (the header's live preview of the map may add its own layer)
        assert "scores probabilities" not in [layer.name for layer in viewer.layers]


def test_convert_waits_for_the_range_of_chunked_data_with_wait(dock):
    viewer, widget = dock
    values = np.linspace(-4, 5, 512 * 512).reshape(512, 512)
    level0 = da.from_array(values, chunks=128)
    layer = viewer.add_image([level0, level0[::16, ::16]], multiscale=True, name="scores")
    converted = widget.display.convert_logits(layer, wait=True)
    assert converted is viewer.layers["scores probabilities"] and widget.errors == []
    np.testing.assert_allclose(np.asarray(converted.data[1]), sigmoid(values[::16, ::16]))


# Item 4: a renamed preview painted on ------------------------------------------------------
def test_a_renamed_preview_painted_on_keeps_its_name_and_says_nothing(dock, qtbot):
    viewer, widget = dock
    viewer.add_image(two_squares_map(), name="p")
    widget.set_probability_layer("p")
    widget.set_threshold(0.5)
    settle_preview(qtbot, widget)
    preview = widget.threshold_layer
    assert preview.name == "p thresholded"
    preview.name = "my threshold at 0.5"
    widget.notices.clear()
    preview.brush_size = 1
    preview.paint((4, 4), 9)  # a background pixel (p = 0.1) becomes 9
    assert preview.name == "my threshold at 0.5" and preview.data[4, 4] == 9
    assert widget.notices == []
    # the next preview is a new layer; the renamed one keeps the user's pixels
    widget.set_threshold(0.55)
    settle_preview(qtbot, widget)
    new = widget.threshold_layer
    assert new is not preview and new.name == "p thresholded"
    assert new.data[4, 4] == 0 and preview.data[4, 4] == 9
    assert preview.name == "my threshold at 0.5" and TAG not in preview.metadata


# Item 5: the Confidence analysis's ground truth --------------------------------------------
def test_the_confidence_truth_is_never_the_threshold_preview(dock, qtbot):
    viewer, widget = dock
    viewer.add_image(two_squares_map(), name="p")
    widget.set_probability_layer("p")
    settle_preview(qtbot, widget)
    assert widget.threshold_layer is not None  # the only Labels layer: the plugin's
    confidence = widget.confidence
    assert confidence.truth_combo.layer() is None
    confidence.metric_combo.setCurrentText("iou")
    assert confidence.run(wait=True) is None
    said = "choose the ground truth (the Confidence analysis tab's Ground truth"
    assert said in widget.errors[-1]
    assert confidence.summary_label.text().startswith(f"Analysis of 'p' failed: {said}")
    assert not confidence.best_button.isEnabled()
    truth = viewer.add_labels((two_squares_map() > 0.55).astype(np.uint8), name="truth")
    assert confidence.truth_combo.layer() is truth
    results = confidence.run(wait=True)
    # p > t for t in [0.52, 0.9) is the first square, the truth: IoU 1, first at 0.52
    assert results["sweep"].summary["best_value"] == pytest.approx(1.0)
    assert results["sweep"].summary["best_threshold"] == pytest.approx(0.52)
