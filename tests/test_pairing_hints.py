"""Hints for files that do not pair: Cellpose's own names (the masks named after the image,
``000_img.png`` -> ``000_img_cp_masks.png``), and a probability map with a class axis not
given."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files, pair_files


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def write(path, value=1):
    """A 10 x 10 label image with one 4 x 4 object."""
    image = np.zeros((10, 10), np.uint16)
    image[2:6, 2:6] = value
    tifffile.imwrite(path, image)


@pytest.fixture
def cellpose(tmp_path):
    """Cellpose's dataset names: truth/{i}_img.tif + truth/{i}_masks.tif; Cellpose writes
    pred/{i}_img_cp_masks.tif beside the image pred/{i}_img.tif (three images)."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for i in range(3):
        write(truth / f"00{i}_img.tif")
        write(truth / f"00{i}_masks.tif")
        write(pred / f"00{i}_img.tif")
        write(pred / f"00{i}_img_cp_masks.tif")
    return truth, pred


def test_cellpose_names_get_the_longer_prediction_suffix(cellpose):
    truth, pred = cellpose
    pairing = pair_files(truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks")
    # Keys: truth 000..002 (minus _masks), predictions 000_img..002_img (minus _cp_masks):
    # none pairs; each prediction key is a truth key plus "_img", so _img_cp_masks pairs
    # all 3 (more than half of the 3 masks of either side).
    assert pairing.pairs == []
    hint = pairing.suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "_img_cp_masks", 3)
    assert pairing.advice(command_line=True) == (
        "the names differ by a suffix: give --prediction-suffix _img_cp_masks (3 pair(s))"
    )
    assert pairing.advice() == (
        "the names differ by a suffix: give prediction_suffix='_img_cp_masks' (3 pair(s))"
    )
    # The hint works: 3 pairs, named 000..002 (the images 000_img... are not their names).
    followed = pair_files(truth, pred, truth_suffix="_masks", prediction_suffix="_img_cp_masks")
    assert followed.names == ["000", "001", "002"]
    assert followed.images == []


def test_cellpose_names_in_one_folder_get_the_longer_prediction_suffix(tmp_path):
    for i in range(2):
        write(tmp_path / f"00{i}_img.tif")
        write(tmp_path / f"00{i}_masks.tif")
        write(tmp_path / f"00{i}_img_cp_masks.tif")
    pairing = pair_files(tmp_path, tmp_path, truth_suffix="_masks", prediction_suffix="_cp_masks")
    # _masks takes 000_masks, 001_masks (keys 000, 001; the _cp_masks files are the longer
    # suffix's); _cp_masks takes keys 000_img, 001_img: the 2 pair under _img_cp_masks.
    assert pairing.pairs == []
    hint = pairing.suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "_img_cp_masks", 2)


def test_a_longer_truth_suffix_is_hinted_too(tmp_path):
    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    for name in ("a", "b"):
        write(truth / f"{name}_raw_gt.tif")
        write(pred / f"{name}_pred.tif")
    pairing = pair_files(truth, pred, truth_suffix="_gt", prediction_suffix="_pred")
    # Keys: truth a_raw, b_raw; predictions a, b: the truth's are the prediction's plus
    # "_raw", so _raw_gt pairs both.
    hint = pairing.suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_raw_gt", "_pred", 2)
    assert pairing.advice(command_line=True) == (
        "the names differ by a suffix: give --truth-suffix _raw_gt (2 pair(s))"
    )


def test_no_pair_means_no_image_named_as_the_pairs(cellpose):
    truth, pred = cellpose
    pairing = pair_files(truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks")
    # No pair: the 6 images (3 per side) are files not used, not the pairs' images.
    assert pairing.images == []
    assert len(pairing.ignored) == 6
    text = pairing.describe()
    assert "named as the pairs" not in text
    assert "6 image files with neither suffix, not used:" in text


def test_the_command_line_says_the_longer_suffix(cellpose, tmp_path, capsys):
    truth, pred = cellpose
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--out", str(out), "--truth-suffix", "_masks"]
    assert run(*argv, "--prediction-suffix", "_cp_masks") == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "napari-seg-eval evaluate: error: nothing to evaluate: no file has a partner; the names "
        "differ by a suffix: give --prediction-suffix _img_cp_masks (3 pair(s))."
    )
    assert "named as the pairs" not in err
    assert not out.exists()
    # Following the advice evaluates the 3 pairs.
    assert run(*argv, "--prediction-suffix", "_img_cp_masks") == 0
    assert "3 pair(s) of files." in capsys.readouterr().err


@pytest.fixture
def softmax(tmp_path):
    """A (10, 10) class image and a (3, 10, 10) softmax: axis 0 alone leaves (10, 10)."""
    classes = np.zeros((10, 10), np.uint8)
    classes[2:6, 2:6] = 1
    tifffile.imwrite(tmp_path / "classes.tif", classes)
    np.save(tmp_path / "softmax.npy", np.full((3, 10, 10), 1 / 3, np.float32))
    return tmp_path / "classes.tif", tmp_path / "softmax.npy"


def test_a_map_with_one_axis_more_is_told_its_class_axis(softmax):
    truth, prob = softmax
    result = evaluate_files(truth, prob, probability=True)
    [error] = result.per_image["error"]
    # (3, 10, 10) without axis 0 is (10, 10), the truth's shape; without axis 1 or 2 it is
    # (3, 10): one axis fits, axis 0 of 3 values.
    assert error == (
        f"{truth} is 2-D (10, 10) but {prob} is 3-D (3, 10, 10): if axis 0 (3 values) holds "
        "its classes, add --channel-axis 0 (channel_axis=0 in Python)."
    )


def test_the_command_line_names_the_channel_axis_option(softmax, tmp_path, capsys):
    truth, prob = softmax
    out = tmp_path / "out"
    assert run(str(truth), str(prob), "--probability", "--out", str(out)) == 1
    assert "add --channel-axis 0 (channel_axis=0 in Python)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("shape", "probability"),
    [
        ((10, 10, 10), True),  # axes 0, 1 and 2 each leave (10, 10): which is not known
        ((3, 10, 10), False),  # label images have no class axis
        ((2, 3, 10, 10), True),  # two axes more
    ],
)
def test_no_class_axis_is_hinted_when_none_or_several_fit(tmp_path, shape, probability):
    truth = tmp_path / "t.tif"
    tifffile.imwrite(truth, np.ones((10, 10), np.uint8))
    pred = tmp_path / "p.npy"
    np.save(pred, np.zeros(shape, np.float32 if probability else np.uint16))
    result = evaluate_files(truth, pred, probability=probability)
    [error] = result.per_image["error"]
    assert "channel" not in error
    assert error.endswith("they must cover the same pixels.")
