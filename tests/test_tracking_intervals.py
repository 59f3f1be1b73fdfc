"""SEG and DET (the ctc preset, pooled over images and their image means) get bootstrap
intervals over the images with ``confidence_interval``, as AP, F1, PQ and AJI do (trial87 #5):
in the summary of evaluate_files and the command line's summary.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.core.compare import bootstrap_ctc, bootstrap_interval
from napari_seg_eval.io import evaluate_files

BOUNDS = [f"{key}_{end}" for key in ("seg", "det") for end in ("pooled", "image_mean")]


def square(size: int = 4) -> np.ndarray:
    """A 6 x 6 label image with one object (label 1) of size x size pixels at the corner."""
    image = np.zeros((6, 6), np.uint16)
    image[:size, :size] = 1
    return image


def folders(tmp_path, pairs: list[tuple[np.ndarray, np.ndarray]]):
    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    for k, (true, predicted) in enumerate(pairs):
        tifffile.imwrite(truth / f"{k}.tif", true)
        tifffile.imwrite(pred / f"{k}.tif", predicted)
    return truth, pred


def found() -> tuple[np.ndarray, np.ndarray]:
    """The object found exactly: seg_sum 1, n_true 1, no error: SEG 1, DET 1."""
    return square(), square()


def missed() -> tuple[np.ndarray, np.ndarray]:
    """The object missed: seg_sum 0, FN 1: SEG 0, DET 1 − min(10, 10) / 10 = 0."""
    return square(), np.zeros((6, 6), np.uint16)


def bounds(summary: pd.Series, key: str) -> list[float]:
    return [float(summary[f"{key}_low"]), float(summary[f"{key}_high"])]


def test_two_images_found_and_missed(tmp_path):
    # A resample of 2 images draws the found one twice (SEG = DET = 1, pooled and mean), one
    # of each (1/2) or the missed one twice (0), with chances 1/4, 1/2, 1/4. Of 2000
    # resamples about 25% are 0 and 25% are 1 (±1% at one standard deviation): the 2.5th
    # percentile is 0 and the 97.5th is 1; the 30th and 70th percentiles (confidence 0.4) fall
    # in the middle half: 1/2.
    truth, pred = folders(tmp_path, [found(), missed()])
    for confidence, expected in ((0.95, [0.0, 1.0]), (0.4, [0.5, 0.5])):
        result = evaluate_files(truth, pred, preset="ctc", confidence_interval=confidence)
        summary = result.summary
        for key in BOUNDS:
            assert float(summary[key]) == pytest.approx(0.5)
            assert bounds(summary, key) == pytest.approx(expected), (key, confidence)
    # The resamples are those of the other values' intervals: the F1 @ 0.5 of each image is
    # that image's SEG here (1 and 0), so their image-mean intervals are equal.
    assert bounds(summary, "seg_image_mean") == bounds(summary, "f1_50_image_mean")
    assert bounds(summary, "seg_image_mean") == list(bootstrap_interval([1.0, 0.0], confidence=0.4))


def test_equal_images_give_the_value_itself(tmp_path):
    # Three equal images: the object (4 x 4 = 16 px) predicted as 3 x 3 = 9 px inside it,
    # |T ∩ P| = 9 > 8: a match of IoU 9/16; and a spurious object elsewhere (FP 1). SEG 9/16
    # = 0.5625, DET = 1 − (1 · 1) / (10 · 1) = 0.9 in each image, pooled and as the mean:
    # every resample gives them.
    predicted = square(3)
    predicted[5, 5] = 2
    truth, pred = folders(tmp_path, [(square(), predicted)] * 3)
    summary = evaluate_files(truth, pred, preset="ctc", confidence_interval=0.95).summary
    for key, value in (("seg", 9 / 16), ("det", 0.9)):
        for end in ("pooled", "image_mean"):
            assert float(summary[f"{key}_{end}"]) == pytest.approx(value)
            assert bounds(summary, f"{key}_{end}") == pytest.approx([value, value])


def test_three_images_bounds_lie_between_the_images_values(tmp_path):
    # Found (SEG 1, DET 1), missed (0, 0), and half: the 16-px object predicted as 9 px
    # (SEG 9/16, DET 1). Any resample's pooled SEG is a ratio of summed counts: within the
    # images' [0, 1]; so are the means. Pooled DET: 1 − min(Σ AOGM-D, Σ 10 n_true) / Σ 10
    # n_true, within [0, 1] too. The value is pooled from the three: SEG (1 + 0 + 9/16) / 3.
    truth, pred = folders(tmp_path, [found(), missed(), (square(), square(3))])
    summary = evaluate_files(truth, pred, preset="ctc", confidence_interval=0.95).summary
    assert float(summary["seg_pooled"]) == pytest.approx((1 + 9 / 16) / 3)
    # DET: AOGM-D = 10 (one FN) of AOGM-D0 = 30: 1 − 10/30 = 2/3.
    assert float(summary["det_pooled"]) == pytest.approx(2 / 3)
    for key in BOUNDS:
        low, high = bounds(summary, key)
        assert 0.0 <= low <= float(summary[key]) <= high <= 1.0


def test_one_image_has_no_interval(tmp_path):
    # Every resample of one image is the image itself: no interval (NaN), as for the others.
    truth, pred = folders(tmp_path, [found()])
    summary = evaluate_files(truth, pred, preset="ctc", confidence_interval=0.95).summary
    for key in BOUNDS:
        assert np.isnan(bounds(summary, key)).all()


def test_an_image_without_true_objects_is_left_out_of_the_image_mean(tmp_path):
    # Image 3 has no true object: its SEG and DET are undefined (NaN), out of the image mean
    # (drawn from the 2 others: the interval of found and missed, [0, 1]); in the pooled
    # values it adds nothing to Σ n_true and its one spurious object to Σ FP: pooled SEG
    # (1 + 0) / 2 = 1/2, DET 1 − (10 + 1) / 20 = 0.45.
    empty, spurious = np.zeros((6, 6), np.uint16), square(2)
    truth, pred = folders(tmp_path, [found(), missed(), (empty, spurious)])
    summary = evaluate_files(truth, pred, preset="ctc", confidence_interval=0.95).summary
    assert float(summary["det_pooled"]) == pytest.approx(0.45)
    assert bounds(summary, "seg_image_mean") == pytest.approx([0.0, 1.0])
    low, high = bounds(summary, "det_pooled")
    assert 0.0 <= low <= 0.45 <= high <= 1.0


def test_bootstrap_ctc_of_counts(tmp_path):
    hit = {"seg_sum": 1.0, "n_true": 1, "n_pred": 1, "fn": 0, "fp": 0, "ns": 0}
    miss = {"seg_sum": 0.0, "n_true": 1, "n_pred": 0, "fn": 1, "fp": 0, "ns": 0}
    table = bootstrap_ctc([hit, miss], confidence=0.4).set_index("metric")
    assert table.index.tolist() == ["seg_pooled", "seg_image_mean", "det_pooled", "det_image_mean"]
    # As above: the value 1/2, the 30th and 70th percentiles 1/2.
    assert table.to_numpy().ravel().tolist() == pytest.approx([0.5] * 12)
    with pytest.raises(ValueError, match="one image at least"):
        bootstrap_ctc([])


def test_the_command_line_writes_the_intervals(tmp_path, capsys):
    truth, pred = folders(tmp_path, [found(), missed()])
    out = tmp_path / "out"
    argv = ["evaluate", str(truth), str(pred), "--out", str(out), "--preset", "ctc"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--confidence-interval", "0.4", "--quiet"])
    assert exit_info.value.code == 0
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    for key in BOUNDS:  # as in the Python test: 1/2 and its 30th-70th percentiles 1/2
        assert [summary[key], *bounds(summary, key)] == pytest.approx([0.5, 0.5, 0.5])
