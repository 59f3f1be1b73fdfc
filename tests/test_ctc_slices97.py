"""The Cell Tracking Challenge's 3-D datasets annotated on 2-D slices: the truth
``01_GT/SEG/man_seg_TTT_ZZZ.tif`` is plane ZZZ of the frame whose result is
``01_RES/maskTTT.tif``. The challenge's SEG measure scores each slice on its own against that
plane of the result (a true region T is matched by the result's region P on the plane with
|T ∩ P| > 0.5 |T|; SEG is the summed IoU over all true objects of all files over their number);
its DET needs the tracking markers of whole volumes, which are not read (NaN here)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import FileReadError, evaluate_files, pair_files
from napari_seg_eval.io.pairs import OneFolderError
from napari_seg_eval.io.read import FileNotice, open_files

CTC = {"truth_prefix": "man_seg", "prediction_prefix": "mask"}

#: The notice of the pairs whose truth is a slice, with the ctc preset.
SLICE_NOTICE = "DET is not"


def write(path, image: np.ndarray) -> None:
    """A label TIFF, a volume as one grey page per plane (as the challenge's masks are)."""
    tifffile.imwrite(path, image, photometric="minisblack")


def evaluate_slices(*args, **kwargs):
    """evaluate_files with the ctc preset, over slices: it warns that DET is not scored."""
    with pytest.warns(FileNotice, match=SLICE_NOTICE):
        return evaluate_files(*args, preset="ctc", **CTC, **kwargs)


def folders(tmp_path):
    truth, pred = tmp_path / "01_GT" / "SEG", tmp_path / "01_RES"
    truth.mkdir(parents=True)
    pred.mkdir()
    return truth, pred


def volume_007() -> np.ndarray:
    """The result of frame 7: 4 planes of 6 x 6.

    Object 5: planes 0 and 1, rows 0-1 x cols 0-2 (6 pixels on each plane).
    Object 6: plane 1, rows 3-5 x cols 3-5 (9 pixels).
    Object 8: plane 2, rows 0-3 x cols 0-3 (16 pixels).
    """
    volume = np.zeros((4, 6, 6), np.uint16)
    volume[0:2, 0:2, 0:3] = 5
    volume[1, 3:6, 3:6] = 6
    volume[2, 0:4, 0:4] = 8
    return volume


def slice_007_001() -> np.ndarray:
    """Plane 1's truth: T1 rows 0-1 x cols 0-3 (8 px), T2 rows 3-4 x cols 3-4 (4 px), T3 rows
    4-5 x cols 0-1 (4 px)."""
    image = np.zeros((6, 6), np.uint16)
    image[0:2, 0:4] = 1
    image[3:5, 3:5] = 2
    image[4:6, 0:2] = 3
    return image


def slice_007_002() -> np.ndarray:
    """Plane 2's truth: T1 rows 0-1 x cols 0-1 (4 px)."""
    image = np.zeros((6, 6), np.uint16)
    image[0:2, 0:2] = 1
    return image


@pytest.fixture
def slices(tmp_path):
    """Frame 7 annotated on its planes 1 and 2; frame 8's result has no annotation."""
    truth, pred = folders(tmp_path)
    write(pred / "mask007.tif", volume_007())
    write(pred / "mask008.tif", volume_007())
    write(truth / "man_seg_007_001.tif", slice_007_001())
    write(truth / "man_seg_007_002.tif", slice_007_002())
    return truth, pred


def test_slices_pair_with_the_result_of_their_time_point(slices):
    truth, pred = slices
    pairing = pair_files(truth, pred, **CTC)
    assert pairing.names == ["007_001", "007_002"]
    assert pairing.pairs == [
        (truth / "man_seg_007_001.tif", pred / "mask007.tif"),
        (truth / "man_seg_007_002.tif", pred / "mask007.tif"),
    ]
    assert pairing.planes == {"007_001": 1, "007_002": 2}
    assert pairing.unpaired_prediction == [pred / "mask008.tif"]  # a frame not annotated
    assert not (pairing.unpaired_truth or pairing.ignored)
    assert "plane 1" in pairing.describe()


def test_a_four_digit_time_point_and_the_prefix_with_its_underscore(tmp_path):
    truth, pred = folders(tmp_path)
    write(pred / "mask0123.tif", volume_007())
    write(pred / "mask0124.tif", volume_007())
    write(truth / "man_seg_0123_004.tif", slice_007_001())
    # The time point is compared as written: 123 is not 0123.
    write(truth / "man_seg_123_001.tif", slice_007_001())
    for prefix in ("man_seg", "man_seg_"):
        pairing = pair_files(truth, pred, truth_prefix=prefix, prediction_prefix="mask")
        assert pairing.names == ["0123_004"]
        assert pairing.pairs == [(truth / "man_seg_0123_004.tif", pred / "mask0123.tif")]
        assert pairing.planes == {"0123_004": 4}
        assert pairing.unpaired_truth == [truth / "man_seg_123_001.tif"]


def test_slices_are_not_guessed_without_a_truth_prefix(slices):
    truth, pred = slices
    pairing = pair_files(truth, pred)
    assert pairing.pairs == [] and pairing.planes == {}


def test_the_hints_name_the_challenge_prefixes_for_slice_names(slices, tmp_path):
    truth, pred = slices
    pairing = pair_files(truth, pred)
    hint = pairing.suffix_hint
    # Two slices pair with mask007 under man_seg / mask.
    assert (hint.kind, hint.truth, hint.prediction, hint.pairs) == ("prefix", "man_seg", "mask", 2)
    assert "--truth-prefix man_seg --prediction-prefix mask" in pairing.advice(command_line=True)
    # Both sides in one folder: the error names them too.
    one = tmp_path / "one"
    one.mkdir()
    for path in [*truth.iterdir(), *pred.iterdir()]:
        (one / path.name).write_bytes(path.read_bytes())
    with pytest.raises(OneFolderError) as error:
        pair_files(one, one)
    assert error.value.suffix_hint[:3] == ("man_seg", "mask", 2)
    assert pair_files(one, one, **CTC).planes == {"007_001": 1, "007_002": 2}


def test_seg_on_slices_is_scored_on_the_plane_as_the_challenge_scores_it(slices):
    truth, pred = slices
    result = evaluate_slices(truth, pred)
    rows = result.per_image.set_index("name")
    assert rows["plane"].tolist() == [1, 2]
    assert (rows["error"] == "").all()
    # Plane 1: T1 (8 px) holds 6 px of object 5, whose region on the plane is 6 px (its 12
    # voxels over two planes do not count): 6 > 4, IoU 6 / (8 + 6 - 6) = 3/4. T2 (4 px) lies
    # in object 6 (9 px): 4 > 2, IoU 4/9. T3 has no object: 0. SEG = (3/4 + 4/9 + 0) / 3.
    # Plane 2: T1 (4 px) lies in object 8 (16 px): IoU 4/16 = 1/4. SEG = 1/4.
    assert rows.loc["007_001", "seg"] == pytest.approx((3 / 4 + 4 / 9) / 3)
    assert rows.loc["007_002", "seg"] == pytest.approx(1 / 4)
    # Pooled over the 4 true objects: (3/4 + 4/9 + 0 + 1/4) / 4 = (13/9) / 4 = 13/36.
    assert result.summary["seg_pooled"] == pytest.approx(13 / 36)
    # Mean of the two slices: ((43/36) / 3 + 1/4) / 2 = (43/108 + 27/108) / 2 = 35/108.
    assert result.summary["seg_image_mean"] == pytest.approx(35 / 108)
    # DET compares whole volumes' tracking markers: none on a slice.
    assert rows["det"].isna().all()
    assert rows[["fn", "fp", "ns"]].isna().all().all()
    assert math.isnan(result.summary["det_pooled"])
    assert any(SLICE_NOTICE in str(notice) for notice in result.notices)


def test_whole_frames_and_slices_in_one_folder(tmp_path):
    """Decided: each pair is scored on its own (a whole 3-D frame as a volume, a slice on its
    plane); SEG pools the true objects of both, as the challenge pools every file's; DET is
    of the whole frames alone."""
    truth, pred = folders(tmp_path)
    # Frame 0, annotated whole: T1 = plane 0 rows 0-1 x cols 0-1 (4 voxels), T2 = plane 1
    # rows 3-4 x cols 3-4 (4 voxels). Result: object 3 = rows 0-1 x cols 0-1 on both planes
    # (8 voxels), object 4 = plane 0 rows 3-4 x cols 0-1 (no true object).
    frame_truth = np.zeros((2, 5, 5), np.uint16)
    frame_truth[0, 0:2, 0:2] = 1
    frame_truth[1, 3:5, 3:5] = 2
    frame_pred = np.zeros((2, 5, 5), np.uint16)
    frame_pred[:, 0:2, 0:2] = 3
    frame_pred[0, 3:5, 0:2] = 4
    write(truth / "man_seg000.tif", frame_truth)
    write(pred / "mask000.tif", frame_pred)
    # Frame 1, plane 1 annotated: T1 = rows 0-1 x cols 0-1; the result's plane 1 has object 2
    # there exactly (IoU 1) and object 9 elsewhere (not a DET false positive: slices add
    # nothing to DET).
    slice_truth = np.zeros((5, 5), np.uint16)
    slice_truth[0:2, 0:2] = 1
    slice_pred = np.zeros((3, 5, 5), np.uint16)
    slice_pred[1, 0:2, 0:2] = 2
    slice_pred[1, 4, 4] = 9
    write(truth / "man_seg_001_001.tif", slice_truth)
    write(pred / "mask001.tif", slice_pred)
    result = evaluate_slices(truth, pred)
    rows = result.per_image.set_index("name")
    assert rows.index.tolist() == ["000", "001_001"]
    assert rows["plane"].isna().tolist() == [True, False]
    assert rows.loc["001_001", "plane"] == 1
    # Frame 0: T1 (4) lies in object 3 (8): IoU 4/8 = 1/2; T2 has no object: 0. SEG 1/4.
    # DET: fn 1 (T2), fp 1 (object 4), ns 0: AOGM-D = 10 + 1 = 11, AOGM-D0 = 10 x 2 = 20,
    # DET = 1 - 11/20 = 9/20.
    assert rows.loc["000", "seg"] == pytest.approx(1 / 4)
    assert rows.loc["000", "det"] == pytest.approx(9 / 20)
    assert (rows.loc["000", "fn"], rows.loc["000", "fp"], rows.loc["000", "ns"]) == (1, 1, 0)
    # Slice: IoU 1. SEG pooled (1/2 + 0 + 1) / 3 = 1/2; image mean (1/4 + 1) / 2 = 5/8.
    assert rows.loc["001_001", "seg"] == pytest.approx(1.0)
    assert result.summary["seg_pooled"] == pytest.approx(1 / 2)
    assert result.summary["seg_image_mean"] == pytest.approx(5 / 8)
    # DET of the frame alone, pooled and as the mean of the images that have one: 9/20 (were
    # the slice counted, its T1 and object 9 would make AOGM-D 12 / AOGM-D0 30: 3/5).
    assert result.summary["det_pooled"] == pytest.approx(9 / 20)
    assert result.summary["det_image_mean"] == pytest.approx(9 / 20)
    pooled = result.tables["ctc_pooled"].iloc[0]
    assert (pooled["aogm_d"], pooled["aogm_d0"], pooled["n_true"]) == (11, 20, 3)


def test_a_bootstrap_interval_draws_the_slices_for_seg_only(slices):
    truth, pred = slices
    result = evaluate_slices(truth, pred, confidence_interval=0.9)
    # Two slices: resamples draw them for SEG (an interval); no resample has a DET.
    assert result.summary["seg_pooled_low"] <= 13 / 36 <= result.summary["seg_pooled_high"]
    assert math.isnan(result.summary["det_pooled_low"])


def test_a_plane_outside_the_volume_fails_its_pair_naming_both_files(slices):
    truth, pred = slices
    write(truth / "man_seg_007_004.tif", slice_007_002())  # planes are 0 to 3
    result = evaluate_slices(truth, pred)
    failed = result.failed.set_index("name")
    assert failed.index.tolist() == ["007_004"]
    error = failed.loc["007_004", "error"]
    assert "man_seg_007_004.tif" in error and "mask007.tif" in error
    assert "plane 4" in error and "4 plane(s) (0 to 3)" in error
    # The others go on, to the same numbers.
    assert result.summary["seg_pooled"] == pytest.approx(13 / 36)


def test_a_slice_of_a_two_dimensional_result_fails_naming_both_files(tmp_path):
    truth, pred = folders(tmp_path)
    write(pred / "mask000.tif", np.zeros((6, 6), np.uint16))
    write(truth / "man_seg_000_000.tif", slice_007_002())
    result = evaluate_files(truth, pred, preset="ctc", **CTC)  # no slice scored: no notice
    error = result.failed["error"].iloc[0]
    assert "man_seg_000_000.tif" in error and "mask000.tif is 2-D" in error


def test_two_truth_files_of_one_frame_are_refused(tmp_path):
    truth, pred = folders(tmp_path)
    write(pred / "mask007.tif", volume_007())
    write(truth / "man_seg007.tif", volume_007())
    write(truth / "man_seg_007.tif", volume_007())  # the same frame, spelt twice
    with pytest.raises(FileReadError, match=r"man_seg_007\.tif"):
        pair_files(truth, pred, **CTC)


def test_the_result_plane_is_read_alone(slices):
    _, pred = slices
    [(volume, _)] = open_files([pred / "mask007.tif"], labels=[True], lazy=[True])
    assert not isinstance(volume, np.ndarray)  # a view of the file's pages, not its pixels
    np.testing.assert_array_equal(volume[2], volume_007()[2])
    volume.store.close()


def test_the_command_line_writes_the_plane_and_the_run_is_made_again(slices, tmp_path):
    truth, pred = slices
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--preset", "ctc", "--out", str(out), "--quiet"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv, "--truth-prefix", "man_seg", "--prediction-prefix", "mask"])
    assert exit_info.value.code == 0
    rows = pd.read_csv(out / "per_image.csv", dtype={"name": str})
    assert rows["name"].tolist() == ["007_001", "007_002"]
    assert rows["plane"].tolist() == [1, 2]
    # settings.json's pairs and settings make the run again, to the same numbers.
    record = json.loads((out / "settings.json").read_text())
    pairs = [(p["truth"], p["prediction"]) for p in record["pairs"]]
    with pytest.warns(FileNotice, match=SLICE_NOTICE):
        again = evaluate_files(pairs, **record["settings"])
    assert again.per_image["plane"].tolist() == [1, 2]
    assert again.summary["seg_pooled"] == pytest.approx(13 / 36)
