"""The Confidence analysis with a recalibration (conf201): one read of the map for the sweep
and the calibration, one more for every recalibration (the calibrated maps written in it),
progress over both passes; each block range-checked once; the instance-ids notice silent for
a class image with an ignore value."""

import threading

import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval._qt.confidence_panel import analyse
from napari_seg_eval.core import confidence as confidence_module
from napari_seg_eval.core.blocks import BLOCK_PIXELS
from napari_seg_eval.core.confidence import sweep_and_calibration
from napari_seg_eval.evaluation import Cancelled, RunControl


def _run(work) -> dict:
    """The results of analyse's generator, run to its end."""
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value


class _CountedReads:
    """A map read through ``__getitem__`` (as a zarr array is), counting the chunks read."""

    def __init__(self, values: np.ndarray) -> None:
        self.values, self.shape, self.dtype, self.ndim = values, values.shape, values.dtype, 2
        self.reads = 0
        self.lock = threading.Lock()

    def __getitem__(self, index):
        with self.lock:
            self.reads += 1
        return self.values[index]


def _case(seed: int = 201, shape=(40, 36)) -> tuple[np.ndarray, np.ndarray]:
    """A truth of classes 0..2 and a map that is right about class 1 more often than not."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, shape).astype(np.uint8)
    prob = np.clip(np.where(truth == 1, 0.7, 0.3) + rng.normal(0, 0.2, shape), 0, 1)
    return truth, prob.astype(np.float32)


@pytest.mark.parametrize(
    "methods", [("temperature",), ("platt",), ("temperature", "platt")], ids="+".join
)
def test_analyse_reads_each_chunk_once_for_the_sweep_and_once_for_the_recalibrations(methods):
    truth, values = _case()
    counted = _CountedReads(values)
    prob = da.from_array(counted, chunks=(13, 11), asarray=False)  # 4 x 4 = 16 odd chunks
    counted.reads = 0  # dask's look at an empty slice, for the array's meta
    results = _run(analyse(da.from_array(truth, chunks=(9, 36)), prob, "iou", methods))
    # The sweep and calibration (fits from its logit histogram) read each chunk once, the
    # recalibrations together once more (before: 1 + 2 per method, and 2 more with Platt).
    assert counted.reads == 2 * 16
    # the numbers are those of the public functions on the calibrated maps
    summary = results["calibration"].summary
    for key in methods:
        data = results["calibrated"][key]["data"]
        parameters = results["calibrated"][key]["parameters"]
        if key == "temperature":
            expected = nse.apply_temperature(values, parameters["temperature"])
        else:
            expected = nse.apply_platt(values, *parameters.values())
        np.testing.assert_array_equal(data.compute(), expected)
        of_map = nse.calibration(truth, expected)
        pd.testing.assert_frame_equal(
            results["calibrated"][key]["bins"], of_map.bins, check_exact=False, rtol=1e-12
        )
        ece = "ece_calibrated" if key == "platt" or "platt" not in methods else "ece_temperature"
        assert summary[ece] == pytest.approx(of_map.summary["ece"], rel=1e-12, abs=1e-15)


def test_calibration_with_platt_reads_the_map_twice():
    truth, values = _case(seed=5)
    counted = _CountedReads(values)
    prob = da.from_array(counted, chunks=(20, 12), asarray=False)  # 2 x 3 chunks
    counted.reads = 0  # dask's look at an empty slice, for the array's meta
    summary = nse.calibration(truth, prob, method="platt").summary
    # one pass for the bins and the logit histogram, one for both fits' scores (before: 3)
    assert counted.reads == 2 * 6
    slope, intercept = nse.fit_platt(truth, values)
    temperature = nse.fit_temperature(truth, values)
    assert (summary["platt_slope"], summary["platt_intercept"]) == (slope, intercept)
    assert summary["temperature"] == temperature
    by_platt = nse.calibration(truth, nse.apply_platt(values, slope, intercept)).summary
    by_temperature = nse.calibration(truth, nse.apply_temperature(values, temperature)).summary
    assert summary["ece_calibrated"] == pytest.approx(by_platt["ece"], rel=1e-12)
    assert summary["nll_calibrated"] == pytest.approx(by_platt["nll"], rel=1e-12)
    assert summary["ece_temperature"] == pytest.approx(by_temperature["ece"], rel=1e-12)
    assert summary["nll_temperature"] == pytest.approx(by_temperature["nll"], rel=1e-12)


def _layouts() -> dict[str, tuple[np.ndarray, np.ndarray, dict]]:
    """A map and its truth in C order, in Fortran order, and as one channel (a strided view)
    of a channels-last map, each bigger than one block (so written block by block)."""
    truth, prob = _case(seed=7, shape=(1100, 1000))
    channels = np.stack([1 - prob, prob, np.zeros_like(prob)], axis=-1)
    class_truth = truth.copy()
    return {
        "C": (truth, prob, {}),
        "Fortran": (np.asfortranarray(truth), np.asfortranarray(prob), {}),
        "channel view": (class_truth, channels, {"class_id": 2, "channel_axis": 2}),
    }


@pytest.mark.parametrize("layout", ["C", "Fortran", "channel view"])
def test_numpy_maps_are_written_in_the_scoring_pass(layout):
    from napari_seg_eval.core.confidence import score_recalibrations  # new in conf201

    truth, prob, options = _layouts()[layout]
    assert truth.size > BLOCK_PIXELS
    channel = prob[..., 1] if "channel_axis" in options else prob
    checks = []
    fitted = sweep_and_calibration(truth, prob, method="platt", score_fits=False, **options)
    assert "ece_calibrated" not in fitted.calibration.summary  # fitted, not scored
    scored = score_recalibrations(
        truth,
        prob,
        fitted.calibration,
        maps=("temperature", "platt"),
        check=lambda: checks.append(1),
        **options,
    )
    assert len(checks) == 2  # two blocks, one pass for both maps
    summary = scored.calibration.summary
    temperature = nse.apply_temperature(channel, summary["temperature"])
    platt = nse.apply_platt(channel, summary["platt_slope"], summary["platt_intercept"])
    np.testing.assert_array_equal(scored.maps["temperature"], temperature)
    np.testing.assert_array_equal(scored.maps["platt"], platt)
    assert scored.maps["platt"].dtype == np.float32
    # everything equal to calibration(method="platt"), the scores of the one call before
    reference = nse.calibration(truth, prob, method="platt", **options).summary
    pd.testing.assert_series_equal(summary, reference, check_exact=False, rtol=1e-12)
    class_truth = truth if not options else (truth == 2)
    for key, calibrated in (("temperature", temperature), ("platt", platt)):
        of_map = nse.calibration(class_truth, calibrated)
        pd.testing.assert_frame_equal(scored.bins[key], of_map.bins, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("chunked", [False, True])
def test_scores_with_a_region_and_a_class_axis_equal_calibrations_of_the_maps(chunked):
    from napari_seg_eval.core.confidence import score_recalibrations  # new in conf201

    rng = np.random.default_rng(2011)
    truth = rng.integers(0, 4, (30, 50)).astype(np.uint16)
    prob = rng.random((3, 30, 50)).astype(np.float64)
    region = rng.random((30, 50)) < 0.7
    if chunked:  # odd chunks, different for each input
        truth = da.from_array(truth, chunks=(7, 13))
        prob = da.from_array(prob, chunks=(2, 11, 17))
        region = da.from_array(region, chunks=(30, 9))
    options = {"class_id": 3, "channel_axis": 0, "region": region}
    fitted = sweep_and_calibration(truth, prob, method="temperature", score_fits=False, **options)
    scored = score_recalibrations(truth, prob, fitted.calibration, maps=("temperature",), **options)
    calibrated = scored.maps["temperature"]
    channel = np.asarray(prob)[2]
    expected = nse.apply_temperature(channel, scored.calibration.summary["temperature"])
    np.testing.assert_array_equal(np.asarray(calibrated), expected)  # every pixel
    of_map = nse.calibration(np.asarray(truth) == 3, expected, region=np.asarray(region))
    pd.testing.assert_frame_equal(
        scored.bins["temperature"], of_map.bins, check_exact=False, rtol=1e-12
    )
    reference = nse.calibration(truth, prob, method="temperature", **options).summary
    pd.testing.assert_series_equal(
        scored.calibration.summary, reference, check_exact=False, rtol=1e-12
    )


def test_progress_advances_over_both_passes_of_a_numpy_map():
    truth = np.zeros((1024, 4096), np.uint8)  # four blocks of 2**20 pixels
    truth[:, :100] = 1
    prob = np.full(truth.shape, 0.25, np.float32)
    prob[:, :50] = 0.75
    reports = []
    results = _run(
        analyse(truth, prob, "iou", ("temperature",), control=RunControl(reports.append))
    )
    assert results["calibrated"]["temperature"]["data"].shape == truth.shape
    pixel, calibrated = "pixel sweep and calibration fits", "temperature-calibrated map"
    assert reports == [
        (0.125, pixel),
        (0.25, pixel),
        (0.375, pixel),
        (0.5, pixel),
        (0.625, calibrated),
        (0.75, calibrated),
        (0.875, calibrated),
        (1.0, calibrated),
    ]


def test_progress_never_goes_back_over_the_passes_of_a_chunked_map():
    truth, prob = _case(seed=3, shape=(64, 64))
    reports = []
    _run(
        analyse(
            da.from_array(truth, chunks=16),
            da.from_array(prob, chunks=16),
            "iou",
            ("temperature", "platt"),
            control=RunControl(reports.append),
        )
    )
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions)  # before: each scoring pass began again from 0
    second = [f for f, message in reports if message == "temperature and Platt-calibrated maps"]
    assert len(set(second)) >= 8 and min(second) > 0.5 and max(second) == 1.0


def test_a_cancel_in_the_recalibration_pass_reads_no_further_block():
    truth = np.zeros((1024, 4096), np.uint8)
    truth[:, :100] = 1
    prob = np.full(truth.shape, 0.25, np.float32)
    reports = []
    control = RunControl()

    def report(step):
        reports.append(step)
        if step[1].endswith("calibrated map"):
            control.cancel()  # at the first block of the second pass

    control.report = report
    with pytest.raises(Cancelled):
        _run(analyse(truth, prob, "iou", ("temperature",), control=control))
    pixel = "pixel sweep and calibration fits"
    # the four blocks of the first pass, then the first block of the second: no further one
    assert reports == [
        (0.125, pixel),
        (0.25, pixel),
        (0.375, pixel),
        (0.5, pixel),
        (0.625, "temperature-calibrated map"),
    ]


def test_each_block_is_range_checked_once(monkeypatch):
    truth, values = _case(seed=11, shape=(30, 30))
    prob = da.from_array(values, chunks=(10, 15))  # 6 chunks
    calls = []
    checked = confidence_module.check_probability_range

    def counted(*args, **kwargs):
        calls.append(1)
        return checked(*args, **kwargs)

    monkeypatch.setattr(confidence_module, "check_probability_range", counted)
    with dask.config.set(scheduler="synchronous"):
        sweep_and_calibration(truth, prob)
        assert len(calls) == 6  # before: 18, once per partial
        calls.clear()
        sweep_and_calibration(truth, prob, method="platt")
        assert len(calls) == 2 * 6  # and once per block of the scoring pass (before 18 + 12)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):  # still checked
        sweep_and_calibration(truth, prob * 2)


def test_the_two_highest_truth_ids_over_odd_chunks_and_a_region():
    truth = np.zeros((20, 21), np.int32)
    truth[1, 1], truth[18, 19], truth[10, 2] = 9, 40, 255
    region = np.ones(truth.shape, bool)
    region[10, 2] = False  # the 255 left out
    numpy = sweep_and_calibration(truth, np.full(truth.shape, 0.5), region=region)
    chunked = sweep_and_calibration(
        da.from_array(truth, chunks=(7, 5)),
        da.full(truth.shape, 0.5, chunks=(20, 4)),
        region=region,
    )
    for both in (numpy, chunked):
        assert both.truth_span == (0, 40) and both.truth_below_highest == 9
    one_id = sweep_and_calibration(np.full((3, 3), 4), np.full((3, 3), 0.5))
    assert one_id.truth_span == (4, 4) and one_id.truth_below_highest is None


def _three_class_map(truth: np.ndarray) -> np.ndarray:
    """Three channels, channel k most probable where the truth is class k + 1."""
    prob = np.full((3, *truth.shape), 0.1, np.float32)
    for k in range(3):
        prob[k][truth == k + 1] = 0.8
    return prob


def test_instance_notice_fires_for_object_ids_not_for_an_ignore_value_or_a_mis_tick():
    classes = np.zeros((30, 30), np.uint8)
    classes[2:10, 2:10], classes[12:20, 2:10], classes[2:10, 12:20] = 1, 2, 3
    prob = _three_class_map(classes)
    with_ignore = classes.copy()
    with_ignore[25:, :] = 255  # classes 0..3 and the ignore value 255
    results = _run(analyse(with_ignore, prob, "iou", class_id=1, channel_axis=0))
    assert results["truth_id_beyond_classes"] is None  # before: 255
    # 'Channel 0 is background' ticked for a map with no background channel: classes 0..2
    # read, the truth's classes 0..3 (one class above): not object ids
    results = _run(
        analyse(classes, prob, "iou", class_id=1, channel_axis=0, background_channel=True)
    )
    assert results["truth_id_beyond_classes"] is None  # before: 3
    objects = np.zeros((30, 30), np.uint16)  # 12 objects: ids 1..12 against classes 1..3
    for i in range(12):
        objects[2 * i : 2 * i + 2, 1:5] = i + 1
    results = _run(analyse(objects, prob, "iou", class_id=1, channel_axis=0))
    assert results["truth_id_beyond_classes"] == 12


def test_instance_ids_above_needs_two_ids_above_the_top_class():
    from napari_seg_eval._qt.confidence_panel import instance_ids_above  # new in conf201

    assert instance_ids_above((0, 255), 3, 3) is None  # ignore value
    assert instance_ids_above((0, 255), 4, 3) == 255  # two ids above the classes
    assert instance_ids_above((1, 1), None, 3) is None
    assert instance_ids_above(None, None, 3) is None
