"""A mask (0/255, 0/1) or a sharp map whose background is not 0, scored as a label image, is
told (one notice naming the options), from the overlap table alone; real label images, even
badly merged ones, are not."""

from __future__ import annotations

import warnings

import imageio.v3 as iio
import numpy as np
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import FileNotice, evaluate_files


def four_squares() -> np.ndarray:
    """24 x 24, four 10 x 10 squares, ids 1..4: foreground 400 pixels, background 176."""
    true = np.zeros((24, 24), np.uint8)
    for label, (row, col) in enumerate([(1, 1), (1, 13), (13, 1), (13, 13)], 1):
        true[row : row + 10, col : col + 10] = label
    return true


def notices_of(truth: np.ndarray, pred: np.ndarray, tmp_path, **options) -> tuple[list, object]:
    """The FileNotice warnings of one pair saved as .npy, and the result."""
    np.save(tmp_path / "t.npy", truth)
    np.save(tmp_path / "p.npy", pred)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files([(tmp_path / "t.npy", tmp_path / "p.npy")], **options)
    return [w.message for w in caught if isinstance(w.message, FileNotice)], result


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_mask_saved_as_labels_is_told(tmp_path, dtype):
    """A thresholded mask saved 0/maximum: its one id covers all 4 squares, so it is scored as
    one object of 400 pixels (IoU 100 / 400 = 0.25 with each square: F1 0). Told once, the
    option named; with the option, each square is its own object (F1 1) and no such notice."""
    true = four_squares()
    maximum = np.iinfo(dtype).max
    mask = np.where(true > 0, maximum, 0).astype(dtype)
    notices, result = notices_of(true, mask, tmp_path, iou_thresholds=[0.5])
    assert result.n_failed == 0
    assert result.summary["n_pred"] == 1 and result.summary["f1_50_pooled"] == 0
    assert [str(n) for n in notices] == [
        f"{tmp_path / 'p.npy'} looks like a mask (one id, {maximum}, over 3 or more true "
        f"objects): to score objects, add probability=True (read as value / {maximum} and "
        "labelled) or label it first."
    ]
    assert notices[0].text({"probability": "--probability"}).count("add --probability") == 1
    notices, result = notices_of(true, mask, tmp_path, iou_thresholds=[0.5], probability=True)
    assert result.summary["n_pred"] == 4 and result.summary["f1_50_pooled"] == 1
    assert not [n for n in notices if "looks like a mask" in str(n)]


def test_zero_one_mask_is_told_to_be_labelled(tmp_path):
    """A 0/1 mask: read as value / 255 its foreground would be below any threshold, so only
    labelling it is asked."""
    true = four_squares()
    notices, result = notices_of(true, (true > 0).astype(np.uint8), tmp_path)
    assert result.summary["n_pred"] == 1
    assert [str(n) for n in notices] == [
        f"{tmp_path / 'p.npy'} looks like a mask (one id, 1, over 3 or more true objects): to "
        "score objects, label it first."
    ]


def test_sharp_map_whose_background_is_not_zero_is_told(tmp_path):
    """A 10 x 10 uint8 map of 4 values: 230 on two 3 x 3 true squares (18 pixels), 127 and
    128 on one background pixel each, 20 on the other 82 - 2 = 80 background pixels: value 20
    covers 80 / 82 of the truth's background (over 75 %, and more than its 18 object pixels),
    scored as an object of its own (4 predicted objects)."""
    true = np.zeros((10, 10), np.uint8)
    true[1:4, 1:4] = 1
    true[6:9, 5:8] = 2
    sharp = np.where(true > 0, 230, 20).astype(np.uint8)
    sharp[0, 9], sharp[9, 0] = 127, 128
    notices, result = notices_of(true, sharp, tmp_path)
    assert result.summary["n_pred"] == 4
    assert [str(n) for n in notices] == [
        f"{tmp_path / 'p.npy'} looks like a map (its value 20 covers over 75 % of the truth's "
        "background, scored as one object): to score objects, add probability=True (read as "
        "value / 255 and labelled) or label it first."
    ]


def test_command_line_says_it_with_the_flag(tmp_path, capsys):
    """The trial's case: a 0/255 PNG mask given as labels, one line naming --probability."""
    true = four_squares()
    iio.imwrite(tmp_path / "truth.png", true)
    iio.imwrite(tmp_path / "binary.png", np.where(true > 0, 255, 0).astype(np.uint8))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(
            [
                "evaluate",
                str(tmp_path / "truth.png"),
                str(tmp_path / "binary.png"),
                "--out",
                str(tmp_path / "out"),
            ]
        )
    assert exit_info.value.code == 0
    err = capsys.readouterr().err
    assert err.count("looks like a mask") == 1
    assert f"{tmp_path / 'binary.png'} looks like a mask (one id, 255" in err
    assert "add --probability (read as value / 255 and labelled)" in err


@pytest.mark.parametrize("case", ["merged_three", "merged_all_small_id", "labels", "mask_of_two"])
def test_label_images_get_no_notice(tmp_path, case):
    """No false alarm: an under-segmentation merging squares 1-3 into id 1 (square 4 is id 2),
    one small id (7) merging all four, a good label image, and a 0/255 mask over only 2 true
    objects (fewer than 3) are scored as they are, silently."""
    true = four_squares()
    if case == "merged_three":
        pred = np.where(true == 4, 2, np.where(true > 0, 1, 0)).astype(np.uint8)
    elif case == "merged_all_small_id":
        pred = np.where(true > 0, 7, 0).astype(np.uint8)
    elif case == "labels":
        pred = true.copy()
    else:
        pred = np.where((true == 1) | (true == 2), 255, 0).astype(np.uint8)
    np.save(tmp_path / "t.npy", true)
    np.save(tmp_path / "p.npy", pred)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert evaluate_files([(tmp_path / "t.npy", tmp_path / "p.npy")]).n_failed == 0


def test_instance_metrics_warns_of_a_probability_map_given_as_labels():
    """In Python too: a uint8 map whose 20 values (100..119, along the diagonals) each touch
    all 4 squares, covering 5 of each one's 100 pixels (under half), is scored as 20 objects
    with a UserWarning naming the way to threshold and label it; the squares' own label image
    (ids 1..4) gets none."""
    from napari_seg_eval import instance_metrics

    true = four_squares()
    rows, cols = np.indices(true.shape)
    looks = np.where(true > 0, 100 + (rows + cols) % 20, 0).astype(np.uint8)
    with pytest.warns(UserWarning, match=r"pred \(uint8\) looks like a probability map") as got:
        result = instance_metrics(true, looks, iou_thresholds=[0.5])
    assert result.summary["n_pred"] == 20
    assert "label_instances(threshold_probabilities(pred))" in str(got[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert instance_metrics(true, true, iou_thresholds=[0.5]).summary["f1_50"] == 1
