"""Issue 11 in napari: dask, zarr and multiscale layers are evaluated chunk by chunk.

Expected numbers are those of the same pixels in memory (the core's chunked results are tested
against hand-computed values elsewhere); here the widget must read the lazy arrays, keep them
lazy, and give the same tables. Tests wait on jobs, never on time.
"""

import itertools
import threading

import dask.array as da
import numpy as np
import pandas as pd
import pytest
from dask.callbacks import Callback
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import napari_seg_eval as nse
from napari_seg_eval import evaluation
from napari_seg_eval._napari import layers
from napari_seg_eval._qt import evaluate_panel, threshold_panel
from napari_seg_eval.core._thread_callbacks import compute
from napari_seg_eval.evaluation import Cancelled, RunControl, evaluation_steps

pytest.importorskip("napari")

from widget_helpers import settle_preview

zarr = pytest.importorskip("zarr")


@pytest.fixture
def notices(monkeypatch):
    shown = []
    monkeypatch.setattr(evaluate_panel, "show_info", shown.append)
    monkeypatch.setattr(evaluate_panel, "show_warning", shown.append)
    return shown


def dock_with(make_napari_viewer, truth, prob, **labels_kwargs):
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob", **labels_kwargs)
    viewer.add_labels(truth, name="truth", **labels_kwargs)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    return viewer, widget


def summary_of(tables):
    return tables["summary"].set_index(["evaluation", "metric"])["value"].astype(float)


@pytest.fixture
def in_memory(make_napari_viewer, sample):
    _, widget = dock_with(make_napari_viewer, sample["ground_truth"], sample["probability"])
    return summary_of(widget.run_evaluation(wait=True))


def test_a_dask_layer_gives_the_in_memory_numbers_and_stays_lazy(
    make_napari_viewer, sample, in_memory, notices
):
    truth = da.from_array(sample["ground_truth"], chunks=(100, 70))  # objects cross chunks
    prob = da.from_array(sample["probability"], chunks=64)
    _, widget = dock_with(make_napari_viewer, truth, prob)
    tables = widget.run_evaluation(wait=True)
    np.testing.assert_array_equal(summary_of(tables), in_memory)
    record = widget.evaluation
    assert record.truth is truth  # by reference, never a copy
    assert isinstance(record.prediction, da.Array)  # the labels of the map, lazily
    # per-object measurements are folded over the chunks: the in-memory rows
    _, memory = dock_with(make_napari_viewer, sample["ground_truth"], sample["probability"])
    expected = memory.run_evaluation(wait=True)["per_object"]
    pd.testing.assert_frame_equal(
        tables["per_object"].reset_index(drop=True),
        expected.reset_index(drop=True),
        check_exact=False,
        rtol=1e-12,  # the mean confidence: sums in another order
    )
    assert "centroid_0" in tables["per_object"]
    assert not any("per-object measurements" in str(n) for n in notices)


def test_a_zarr_backed_layer_gives_the_in_memory_numbers(
    make_napari_viewer, sample, in_memory, tmp_path
):
    truth = zarr.open(
        tmp_path / "truth.zarr",
        mode="w",
        shape=(256, 256),
        chunks=(96, 96),
        dtype=sample["ground_truth"].dtype,
    )
    truth[:] = sample["ground_truth"]
    prob = zarr.open(
        tmp_path / "prob.zarr", mode="w", shape=(256, 256), chunks=(128, 50), dtype=np.float32
    )
    prob[:] = sample["probability"]
    _, widget = dock_with(make_napari_viewer, truth, prob)
    np.testing.assert_array_equal(summary_of(widget.run_evaluation(wait=True)), in_memory)
    assert isinstance(widget.evaluation.truth, da.Array)  # a lazy view of the zarr array


def test_a_multiscale_layer_is_evaluated_at_level_0_with_a_notice(
    make_napari_viewer, sample, in_memory, notices
):
    def pyramid(array):
        full = da.from_array(array, chunks=64)
        return [full, full[::2, ::2], full[::4, ::4]]

    _, widget = dock_with(
        make_napari_viewer,
        pyramid(sample["ground_truth"]),
        pyramid(sample["probability"]),
        multiscale=True,
    )
    np.testing.assert_array_equal(summary_of(widget.run_evaluation(wait=True)), in_memory)
    assert widget.evaluation.truth.shape == (256, 256)
    assert any("level 0" in str(n) for n in notices)


def test_cancel_stops_a_chunked_pass_within_one_task():
    ones = da.ones((64, 64), chunks=8, dtype=np.uint8)
    control = RunControl()
    control.cancel()
    with pytest.raises(Cancelled), control.chunks(0.0, 1.0, "summing"):
        compute(ones.sum())
    steps = evaluation_steps(ones, ones, evaluation.EvaluationSettings(), control=control)
    with pytest.raises(Cancelled):
        list(steps)


def test_chunk_progress_is_reported_and_other_threads_are_left_alone():

    reports = []
    control = RunControl(reports.append)
    control.cancel()  # would stop computations of the run's own thread only
    result = []
    with control.chunks(0.2, 0.6, "counting"):
        other = threading.Thread(target=lambda: result.extend(compute(da.ones(16, chunks=2).sum())))
        other.start()
        other.join()
    assert result == [16] and reports == []
    control = RunControl(reports.append)
    with control.chunks(0.2, 0.6, "counting"):
        compute(da.ones(16, chunks=2).sum())
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 0.6 and len(fractions) > 2


def test_a_cancelled_lazy_run_never_fills_the_tables(qtbot, make_napari_viewer, sample):
    truth = da.from_array(sample["ground_truth"], chunks=32)
    _, widget = dock_with(make_napari_viewer, truth, da.from_array(sample["probability"], 32))
    emitted = []
    widget.evaluate.evaluated.connect(emitted.append)
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()
        widget.cancel_evaluation()
    assert widget.evaluation is None and emitted == []
    assert widget.evaluate.tables["summary"].model.rowCount() == 0


def test_the_preview_of_a_lazy_map_is_lazy_and_equals_the_in_memory_one(make_napari_viewer, sample):
    prob = sample["probability"]
    _, widget = dock_with(make_napari_viewer, sample["ground_truth"], da.from_array(prob, 64))
    widget.output_combo.setCurrentText("instance")
    layer = widget.update_threshold_layer(wait=True)
    assert isinstance(layer.data, da.Array)
    expected = nse.label_instances(prob > 0.5, connectivity=1)
    np.testing.assert_array_equal(layer.data.compute(), expected)


def test_the_preview_of_a_multiscale_map_is_a_multiscale_labels_layer(make_napari_viewer, sample):
    prob = da.from_array(sample["probability"], chunks=64)
    levels = [prob, prob[::2, ::2]]
    truth = [sample["ground_truth"], sample["ground_truth"][::2, ::2]]
    _, widget = dock_with(make_napari_viewer, truth, levels, multiscale=True)
    layer = widget.update_threshold_layer(wait=True)
    assert layer.multiscale and len(layer.data) == 2
    assert all(isinstance(level, da.Array) for level in layer.data)
    np.testing.assert_array_equal(np.asarray(layer.data[1]), sample["probability"][::2, ::2] > 0.5)


def random_chunks(draw, size: int) -> tuple[int, ...]:
    """A random chunking of one axis: cuts at random places (any chunk size from 1)."""
    cuts = sorted(draw(st.sets(st.integers(1, size - 1), max_size=size - 1)))
    edges = [0, *cuts, size]
    return tuple(b - a for a, b in itertools.pairwise(edges))


def tracks(seed: int, shape=(5, 12, 12), n_ids: int = 7) -> np.ndarray:
    """A time series of 3x3-pixel blocks with ids 0..n_ids-1: ids recur in every frame."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, n_ids, size=(shape[0], -(-shape[1] // 3), -(-shape[2] // 3)))
    return np.kron(coarse, np.ones((1, 3, 3), np.uint16))[:, : shape[1], : shape[2]]


def assert_same_tables(expected: dict, got: dict) -> None:
    assert expected.keys() == got.keys()
    for name in expected:
        pd.testing.assert_frame_equal(expected[name], got[name], obj=name)


def test_ids_by_plane_of_a_lazy_stack_are_the_in_memory_ones():
    # Hand-made: id 5 spans planes 0 and 2, id 2 is in plane 1 only, 9 is ignored.
    # Objects in order (plane, id): (0, 5) -> 1, (1, 2) -> 2, (2, 5) -> 3; 9 stays 9.
    stack = np.array([[[5, 5, 0]], [[0, 2, 9]], [[9, 0, 5]]], np.uint32)
    for chunks in [(1, 1, 1), (2, 1, 2), (3, 1, 3)]:  # chunks cut planes, or span them
        new, origin = evaluation.ids_by_plane(da.from_array(stack, chunks), 0, ignore_label=9)
        assert isinstance(new, da.Array) and new.chunks == da.from_array(stack, chunks).chunks
        expected = [[[1, 1, 0]], [[0, 2, 9]], [[9, 0, 3]]]
        assert new.compute().tolist() == expected
        assert origin.index.tolist() == [1, 2, 3]
        assert origin.values.tolist() == [[0, 5], [1, 2], [2, 5]]
    # along another axis: the planes are the columns, with ids {5, 9}, {2, 5}, {5, 9}:
    # (0, 5) -> 1, (0, 9) -> 2, (1, 2) -> 3, (1, 5) -> 4, (2, 5) -> 5, (2, 9) -> 6
    new, origin = evaluation.ids_by_plane(da.from_array(stack, (2, 1, 2)), 2)
    assert new.compute().tolist() == [[[1, 4, 0]], [[0, 3, 6]], [[2, 0, 5]]]
    assert origin.values.tolist() == [[0, 5], [0, 9], [1, 2], [1, 5], [2, 5], [2, 9]]
    # every object in one plane already: nothing renumbered, still lazy and unread
    one_each = da.from_array(np.array([[[1, 0]], [[0, 2]]]), chunks=1)
    same, origin = evaluation.ids_by_plane(one_each, 0)
    assert same is one_each and origin is None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_plane_by_plane_on_lazy_inputs_equals_the_in_memory_record(data):
    seed = data.draw(st.integers(0, 2**16))
    true, pred = tracks(seed), tracks(seed + 1)
    axis = data.draw(st.sampled_from([0, 2]))
    each_plane = data.draw(st.booleans())
    extra = data.draw(
        st.sampled_from(
            [
                {},
                {"ignore_label": 3},
                {"exclude_border": 1},
                {"preset": "ctc"},
                {"kind": "instance"},
            ]
        )
    )
    settings_ = {"plane_axis": axis, "label_each_plane": each_plane, **extra}
    expected = evaluation.evaluate(true, pred, **settings_)

    def chunked(array):
        return da.from_array(array, tuple(random_chunks(data.draw, n) for n in array.shape))

    got = evaluation.evaluate(chunked(true), chunked(pred), **settings_)
    assert_same_tables(expected.tables, got.tables)
    assert expected.ids.keys() == got.ids.keys()
    for side in expected.ids:
        pd.testing.assert_frame_equal(expected.ids[side], got.ids[side])
    assert isinstance(got.truth, da.Array)


def test_a_lazy_probability_stack_is_labelled_plane_by_plane_as_in_memory():
    rng = np.random.default_rng(4)
    prob = np.kron(rng.random((4, 6, 6)), np.ones((1, 2, 2)))
    true = tracks(4)
    settings_ = {
        "plane_axis": 0,
        "label_each_plane": True,
        "threshold": 0.5,
        "threshold_options": evaluation.ThresholdOptions(connectivity=1),
    }
    expected = evaluation.evaluate(true[:4], prob, **settings_)
    got = evaluation.evaluate(
        da.from_array(true[:4], (3, 5, 12)), da.from_array(prob, (1, 7, 5)), **settings_
    )
    assert_same_tables(expected.tables, got.tables)
    assert isinstance(got.prediction, da.Array)
    # objects never join across frames: the labels of frame k are frame k's components
    for frame, labels in zip(prob, got.prediction.compute(), strict=True):
        n_objects = int(nse.label_instances(frame > 0.5, connectivity=1).max())
        assert np.unique(labels[labels > 0]).size == n_objects


def test_plane_by_plane_on_a_lazy_time_series_in_the_dock(make_napari_viewer):
    true, pred = tracks(7, shape=(3, 30, 30)), tracks(8, shape=(3, 30, 30))
    tables = {}
    for name, wrap in (("memory", np.asarray), ("lazy", lambda a: da.from_array(a, (2, 16, 16)))):
        viewer = make_napari_viewer()
        viewer.add_labels(wrap(true), name="truth", axis_labels=("t", "y", "x"))
        viewer.add_labels(wrap(pred), name="pred", axis_labels=("t", "y", "x"))
        _, widget = viewer.window.add_plugin_dock_widget(
            "napari-seg-eval", "Segmentation Evaluation"
        )
        widget.set_ground_truth("truth")
        widget.set_prediction("pred")
        widget.set_plane_axis(0)
        assert widget.evaluate.each_plane_check.isChecked()  # labelled t: each plane alone
        tables[name] = widget.run_evaluation(wait=True)
    assert_same_tables(tables["memory"], tables["lazy"])
    assert len(tables["lazy"]["per_plane"]) == 3
    assert set(tables["lazy"]["per_object"]["label"]) <= set(np.unique(true)) | set(
        np.unique(pred)
    )  # the user's ids, not the ids compared


def test_boundary_metrics_on_a_lazy_layer_are_refused_with_what_to_do():
    labels = da.zeros((8, 8), dtype=np.uint8, chunks=4)
    with pytest.raises(ValueError, match="Untick Boundary metrics"):
        evaluation.evaluate(labels, labels, boundary=True)


class MainThreadComputes(Callback):
    """Every dask computation started from the main thread while registered (its keys).
    Registered in dask's process-wide set: the dock's runs never touch it (they give their
    callbacks to dask explicitly), and napari computes on the main thread, one at a time."""

    def __init__(self):
        super().__init__()
        self.started: list[list] = []

    def _start(self, dsk) -> None:
        if threading.current_thread() is threading.main_thread():
            self.started.append(list(dsk)[:3])


def test_a_lazy_evaluation_never_reads_the_layers_on_the_main_thread(
    qtbot, make_napari_viewer, sample, monkeypatch
):
    # Both kinds, the probability map thresholded and labelled, objects measured and
    # reviewed: every chunk is read in the worker; the main thread only shows the results.
    # A lazy result layer is added hidden when napari would read a whole plane to show it
    # (here: any size), as it does for large ones.
    monkeypatch.setattr(layers, "SHOWN_LAZILY_MAX_PIXELS", 0)
    truth = da.from_array(sample["ground_truth"], chunks=(100, 70))
    prob = da.from_array(sample["probability"], chunks=64)
    _, widget = dock_with(make_napari_viewer, truth, prob)
    settle_preview(qtbot, widget)  # the preview's layer is shown first
    computes = MainThreadComputes()
    with computes, qtbot.waitSignal(widget.evaluate.evaluated, timeout=120_000):
        widget.run_evaluation()
    assert computes.started == []
    evaluated = widget.viewer.layers["prob evaluated"]
    assert isinstance(evaluated.data, da.Array) and not evaluated.visible
    record = widget.evaluation
    assert record.truth is truth and isinstance(record.prediction, da.Array)
    assert summary_of(record.tables)[("instance", "n_true")] > 0


def test_a_worker_run_says_its_notices_with_its_results(qtbot, make_napari_viewer, sample, notices):
    # Issue 11: a napari notice fades in over the canvas; shown as the worker started its
    # passes it blocked the viewer ~0.25 s (32,768² slide). It now comes with the results.
    def pyramid(array):
        full = da.from_array(array, chunks=64)
        return [full, full[::2, ::2]]

    _, widget = dock_with(
        make_napari_viewer,
        pyramid(sample["ground_truth"]),
        pyramid(sample["probability"]),
        multiscale=True,
    )
    with qtbot.waitSignal(widget.evaluate.evaluated, timeout=60_000):
        widget.run_evaluation()
        assert notices == []  # not while the worker starts
    qtbot.waitUntil(lambda: any("level 0" in str(n) for n in notices), timeout=10_000)


def test_the_one_pass_of_a_lazy_map_reports_progress_and_stops_on_cancel(sample):
    # Both tables and the labelling of a chunked map are one computation: its tasks report
    # the fraction done within the steps it stands for, and a cancel stops it inside.
    truth = da.from_array(sample["ground_truth"], chunks=32)  # 8 x 8 chunks
    prob = da.from_array(sample["probability"], chunks=32)
    settings_ = evaluation.EvaluationSettings(threshold=0.5)
    reports = []
    list(evaluation_steps(truth, prob, settings_, control=RunControl(reports.append)))
    in_pass = [f for f, message in reports if message == "semantic and instance tables"]
    assert len(in_pass) > 2 and in_pass == sorted(in_pass)
    # 5 steps: thresholding (1/5 done after it), then the two kinds and the measurements in
    # one pass (to 4/5), and the tables
    assert in_pass[-1] == pytest.approx(4 / 5) and in_pass[0] > 1 / 5
    control = RunControl()
    finished = []

    def cancel_in_the_pass(step):
        if step[1] == "semantic and instance tables":
            finished.append(step[0])
            control.cancel()

    control.report = cancel_in_the_pass
    with pytest.raises(Cancelled):
        list(evaluation_steps(truth, prob, settings_, control=control))
    # stopped inside: only tasks already running when it was cancelled may finish
    assert finished and max(finished) < in_pass[len(in_pass) // 2]


def test_a_multiscale_map_gets_no_contour_and_is_told_once(make_napari_viewer, sample, monkeypatch):
    """Regression (a new user's trial): "draw the threshold's contour" is ticked by default,
    and a multiscale map got no contour without a word."""
    from napari_seg_eval._qt import threshold_panel

    told = []
    monkeypatch.setattr(threshold_panel, "show_info", told.append)
    prob = da.from_array(sample["probability"], chunks=64)
    truth = [sample["ground_truth"], sample["ground_truth"][::2, ::2]]
    viewer, widget = dock_with(make_napari_viewer, truth, [prob, prob[::2, ::2]], multiscale=True)
    display = widget.display
    display.apply()  # colour the map: its contour is drawn with it (the box is ticked)
    display.update_contours(wait=True)
    contour = [t for t in told if "no threshold contour for 'prob'" in t]
    assert len(contour) == 1 and "multiscale" in contour[0]
    assert not [layer for layer in viewer.layers if layer.name.endswith("contour")]


def test_a_multiscale_preview_reaches_napari_with_the_tiles_in_view_computed(
    make_napari_viewer, qtbot, monkeypatch
):
    """Regression (trial13, finding 5): the preview's levels were lazy, and napari computed
    the tiles in view (and the coarsest level whole, its thumbnail) on the main thread when
    the data was set: 119-191 ms a step of a drag on a whole slide. The worker now computes
    them; the main thread reads no chunk of the map, and the numbers are the same."""
    rng = np.random.default_rng(5)
    maps = [rng.random((2048 // 2**k,) * 2, dtype=np.float32) for k in range(3)]
    reads = []  # the level of every chunk of the map read, in order

    def counted(block, level):
        reads.append(level)
        return block

    levels = [
        da.from_array(m, chunks=128).map_blocks(counted, level=k, dtype=np.float32)
        for k, m in enumerate(maps)
    ]
    viewer = make_napari_viewer(show=True)
    source = viewer.add_image(levels, multiscale=True, name="prob")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    settle_preview(qtbot, widget)  # drawn once the map was chosen (at the whole view)
    viewer.scene.camera.center, viewer.scene.camera.zoom = (300, 300), 4
    qtbot.waitUntil(lambda: source.data_level == 0, timeout=20_000)  # drawn: tiles in view
    corners = source.corner_pixels.copy()
    assert (corners[1] - corners[0] < 1024).all()  # a part of level 0 is in view

    shown = []
    monkeypatch.setattr(threshold_panel, "put_labels", _recording(shown, reads))
    reads.clear()
    computes = MainThreadComputes()
    with computes, qtbot.waitSignal(widget.preview_job.finished, timeout=60_000):
        widget.update_threshold_layer()
    layer = widget.threshold_layer
    qtbot.waitUntil(lambda: layer.data_level == 0, timeout=20_000)  # napari shows level 0
    np.testing.assert_array_equal(layer.corner_pixels, corners)
    start = shown[0]
    # every chunk read in the worker: none once the labels reached napari, which read the
    # coarsest level and the tiles in view on the main thread (copies of computed blocks)
    assert reads[:start] and reads[start:] == [] and computes.started
    # the rest stays lazy: level 0 read only in view (of its 16 x 16 chunks)
    assert 0 < reads.count(0) < 16 * 16 // 4
    assert all(isinstance(level, da.Array) for level in layer.data)
    for got, prob in zip(layer.data, maps, strict=True):
        np.testing.assert_array_equal(got.compute(), prob > 0.5)


def _recording(shown: list, reads: list):
    """``put_labels``, noting how many reads happened before it (on the main thread)."""
    put_labels = threshold_panel.put_labels

    def recorded(*args, **kwargs):
        shown.append(len(reads))
        return put_labels(*args, **kwargs)

    return recorded
