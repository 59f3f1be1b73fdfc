"""The Confidence analysis on whole slides (conf192): pyramid layers analysed at level 0, a class
analysis against instance ids said so, one pass for the sweep and the calibration, progress
per chunk (or block) of the pixel pass."""

import dask.array as da
import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval._qt.confidence_panel import analyse
from napari_seg_eval.evaluation import RunControl

INSTANCE_WORDS = "looks like object (instance) ids"


def _square_truth_and_map() -> tuple[np.ndarray, np.ndarray]:
    """A 64 x 64 truth with one 16 x 16 object; the map says 0.9 on it and 0.1 elsewhere: the
    best IoU is 1 from threshold 0.1 (p > t), and every pixel's gap is 0.1 (ECE 0.1)."""
    truth = np.zeros((64, 64), np.uint16)
    truth[8:24, 8:24] = 5
    prob = np.where(truth > 0, 0.9, 0.1)  # float64: 0.1 is not above threshold 0.1
    return truth, prob


def _dock(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return viewer, widget


def test_pyramid_truth_and_map_are_analysed_at_level_0(make_napari_viewer):
    truth, prob = _square_truth_and_map()
    viewer, widget = _dock(make_napari_viewer)
    # Coarser levels that are all background: read in place of level 0, every number differs.
    viewer.add_labels(
        [da.from_array(truth, chunks=32), np.zeros((32, 32), np.uint16)],
        name="truth",
        multiscale=True,
    )
    viewer.add_image(
        [da.from_array(prob, chunks=32), np.full((32, 32), 0.1)],
        name="prob",
        multiscale=True,
    )
    widget.set_probability_layer("prob")
    panel = widget.confidence
    panel.truth_combo.set_layer("truth")
    panel.metric_combo.setCurrentText("objects: F1 @ IoU 0.5")
    results = panel.run(wait=True)
    assert results is not None, panel.summary_label.text()
    sweep, calibrated = results["sweep"].summary, results["calibration"].summary
    assert sweep["best_threshold"] == pytest.approx(0.1)
    assert sweep["best_value"] == 1.0
    assert (sweep["n_positive"], sweep["n_negative"]) == (256, 64 * 64 - 256)
    assert calibrated["ece"] == pytest.approx(0.1)
    assert calibrated["n_pixels"] == 64 * 64
    # one true object, found at every threshold from 0.1 to 0.85 (below 0.9)
    objects = results["objects"].set_index("threshold")["f1_50"]
    assert objects[0.1] == 1.0 and objects[0.85] == 1.0 and objects[0.9] == 0.0
    assert panel.best_threshold == pytest.approx(0.1)
    # the same numbers as the layers' level 0 in memory
    expected = nse.threshold_sweep(truth, prob)
    pd.testing.assert_frame_equal(results["sweep"].per_threshold, expected.per_threshold)
    bins = nse.calibration(truth, prob).bins
    pd.testing.assert_frame_equal(results["calibration"].bins, bins, check_exact=False)


def _class_dock(make_napari_viewer, truth: np.ndarray, prob: np.ndarray):
    viewer, widget = _dock(make_napari_viewer)
    viewer.add_labels(truth, name="truth")
    viewer.add_image(prob, name="prob", channel_axis=None)
    widget.set_probability_layer("prob")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    widget.background_check.setChecked(True)  # channel 0 background: classes 1..2
    widget.confidence.truth_combo.set_layer("truth")
    widget.confidence.set_class(1)
    return widget.confidence


def test_class_analysis_against_instance_ids_says_so(make_napari_viewer):
    truth = np.zeros((48, 48), np.uint32)
    truth[4:12, 4:12] = 7
    truth[20:30, 20:30] = 2**25 + 3
    prob = np.zeros((3, 48, 48), np.float32)
    prob[0] = 1
    prob[1][truth > 0], prob[0][truth > 0] = 0.9, 0.1
    panel = _class_dock(make_napari_viewer, truth, prob)
    with pytest.warns(RuntimeWarning, match="the ground truth has no positive pixel"):
        panel.run(wait=True)  # class 1 has no pixel in a truth of ids 7 and 2**25 + 3
    text = panel.summary_label.text()
    assert text.startswith(f"The ground truth 'truth' {INSTANCE_WORDS}")
    assert f"ids go up to {2**25 + 3}, and the map's classes are 1..2" in text
    assert "Choose a class image" in text
    assert "the truth has no object" not in text  # the misleading reason of before


def test_class_analysis_against_a_class_image_has_no_instance_notice(make_napari_viewer):
    truth = np.zeros((48, 48), np.uint8)
    truth[4:12, 4:12] = 1  # class 1: 64 pixels
    truth[20:30, 20:30] = 2  # class 2
    prob = np.zeros((3, 48, 48), np.float32)
    prob[0] = 1
    prob[1][truth == 1], prob[0][truth == 1] = 0.8, 0.2
    prob[2][truth == 2], prob[0][truth == 2] = 0.8, 0.2
    panel = _class_dock(make_napari_viewer, truth, prob)
    results = panel.run(wait=True)
    assert INSTANCE_WORDS not in panel.summary_label.text()
    assert results["truth_id_beyond_classes"] is None
    # class 1 vs rest: its 64 pixels at 0.8, all others at 0: IoU 1 from threshold 0
    assert results["sweep"].summary["n_positive"] == 64
    assert results["sweep"].summary["best_value"] == 1.0
    assert results["sweep"].summary["best_threshold"] == 0.0


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("method", [None, "platt"])
def test_sweep_and_calibration_equal_the_two_functions(chunked, method):
    from napari_seg_eval.core.confidence import sweep_and_calibration  # new in conf192

    rng = np.random.default_rng(192)
    truth = rng.integers(0, 3, (40, 30)).astype(np.uint8)
    prob = rng.random((3, 40, 30)).astype(np.float32)
    region = rng.random((40, 30)) < 0.8
    if chunked:
        truth, prob = da.from_array(truth, chunks=(16, 16)), da.from_array(prob, chunks=(1, 8, 30))
    options = {"class_id": 2, "channel_axis": 0, "region": region}
    both = sweep_and_calibration(truth, prob, metric="dice", method=method, **options)
    sweep = nse.threshold_sweep(truth, prob, metric="dice", **options)
    calibrated = nse.calibration(truth, prob, method=method, **options)
    pd.testing.assert_frame_equal(both.sweep.per_threshold, sweep.per_threshold)
    pd.testing.assert_series_equal(both.sweep.summary, sweep.summary)
    pd.testing.assert_frame_equal(both.calibration.bins, calibrated.bins, check_exact=False)
    for key, value in calibrated.summary.items():
        assert both.calibration.summary[key] == pytest.approx(value, rel=1e-12), key
    truth_inside = np.asarray(truth)[region]
    assert both.truth_span == (int(truth_inside.min()), int(truth_inside.max()))


def _run(work) -> dict:
    """The results of analyse's generator, run to its end."""
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value


def test_pixel_pass_reports_progress_per_chunk_of_a_chunked_map():
    truth, prob = _square_truth_and_map()
    reports = []
    work = analyse(
        da.from_array(truth, chunks=16),  # 16 chunks
        da.from_array(prob, chunks=16),
        "iou",
        ("temperature",),
        control=RunControl(reports.append),
    )
    results = _run(work)
    assert results["sweep"].summary["best_value"] == 1.0
    # two steps (the pixel pass, the calibrated map): the pass's reports lie within 0..1/2
    within = [fraction for fraction, message in reports if message.startswith("pixel sweep")]
    assert len(set(within)) >= 8
    assert min(within) > 0 and max(within) <= 0.5


def test_pixel_pass_reports_progress_per_block_of_a_numpy_map():
    truth = np.zeros((1024, 4096), np.uint8)  # four blocks of 2**20 pixels
    truth[:, :100] = 1
    prob = np.full(truth.shape, 0.25, np.float32)
    reports = []
    results = _run(analyse(truth, prob, "iou", control=RunControl(reports.append)))
    assert results["sweep"].summary["n_positive"] == 1024 * 100
    assert reports == [
        (0.25, "pixel sweep and calibration"),
        (0.5, "pixel sweep and calibration"),
        (0.75, "pixel sweep and calibration"),
        (1.0, "pixel sweep and calibration"),
    ]
