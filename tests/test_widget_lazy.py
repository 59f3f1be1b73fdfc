"""Issue 11 in napari: dask, zarr and multiscale layers are evaluated chunk by chunk.

Expected numbers are those of the same pixels in memory (the core's chunked results are tested
against hand-computed values elsewhere); here the widget must read the lazy arrays, keep them
lazy, and give the same tables. Tests wait on jobs, never on time.
"""

import dask.array as da
import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval import evaluation
from napari_seg_eval._qt import evaluate_panel
from napari_seg_eval.evaluation import Cancelled, RunControl, evaluation_steps

pytest.importorskip("napari")
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
        ones.sum().compute()
    steps = evaluation_steps(ones, ones, evaluation.EvaluationSettings(), control=control)
    with pytest.raises(Cancelled):
        list(steps)


def test_chunk_progress_is_reported_and_other_threads_are_left_alone():
    import threading

    reports = []
    control = RunControl(reports.append)
    control.cancel()  # would stop computations of the run's own thread only
    result = []
    with control.chunks(0.2, 0.6, "counting"):
        other = threading.Thread(target=lambda: result.append(int(da.ones(16, chunks=2).sum())))
        other.start()
        other.join()
    assert result == [16] and reports == []
    control = RunControl(reports.append)
    with control.chunks(0.2, 0.6, "counting"):
        da.ones(16, chunks=2).sum().compute()
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


def test_plane_by_plane_on_a_lazy_layer_is_refused_before_reading(make_napari_viewer, sample):
    stack = da.stack([da.from_array(sample["ground_truth"], chunks=64)] * 2)
    viewer = make_napari_viewer()
    viewer.add_labels(stack, name="truth")
    viewer.add_labels(stack, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.set_plane_axis(0)
    assert widget.run_evaluation(wait=True) is None
    assert "chunked" in widget.evaluate.status_label.text()
