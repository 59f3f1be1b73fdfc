"""Hints for files that do not pair: Cellpose's own names (the masks named after the image,
``000_img.png`` -> ``000_img_cp_masks.png``), and a probability map with a class axis not
given. A hint never names the region or class files' suffix, nor one of two suffixes that
pair as many files."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files, pair_files
from napari_seg_eval.io.pairs import OneFolderError


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


def folders(tmp_path, truth_names, pred_names):
    """Folders t/ and p/ holding a label image per name (``name.tif``)."""
    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    for folder, names in ((truth, truth_names), (pred, pred_names)):
        for name in names:
            write(folder / f"{name}.tif")
    return truth, pred


@pytest.mark.parametrize("prediction_suffix", ["", "_cp"])
def test_region_files_are_never_hinted_as_the_truth(tmp_path, prediction_suffix):
    # trial42: t/{a,b}_masks + the regions t/{a,b}_aregion, predictions p/{a,b}. The names
    # differ from the predictions' by _masks (2 pairs) and by _aregion (2 pairs): the region
    # files are the region suffix's, so only _masks is a truth suffix. With _cp given, the
    # truth keys (no truth suffix) a_masks, a_aregion, ... are the prediction keys a, b plus
    # a suffix: the longer-suffix hint, same answer.
    truth, pred = folders(
        tmp_path,
        ["a_masks", "b_masks", "a_aregion", "b_aregion"],
        [f"a{prediction_suffix}", f"b{prediction_suffix}"],
    )
    pairing = pair_files(truth, pred, prediction_suffix=prediction_suffix, region_suffix="_aregion")
    assert pairing.pairs == []
    hint = pairing.suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", prediction_suffix, 2)
    # The prediction suffix is the one given: only the truth's is named.
    assert pairing.advice(command_line=True) == (
        "the names differ by a suffix: give --truth-suffix _masks (2 pair(s))"
    )
    assert "The names differ by a suffix: give '_masks' as the truth suffix" in pairing.describe()


def test_region_files_are_never_hinted_even_when_more_of_them_pair(tmp_path):
    # Regions drawn for 3 images, masks for 2 of them: _aregion would pair 3 files, _masks
    # 2; the region files are not candidates, so the hint is _masks with its 2 pairs (more
    # than half of the 2 masks).
    truth, pred = folders(
        tmp_path, ["a_masks", "b_masks", "a_aregion", "b_aregion", "c_aregion"], ["a", "b", "c"]
    )
    hint = pair_files(truth, pred, region_suffix="_aregion").suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "", 2)


def test_class_files_are_never_hinted(tmp_path):
    # Class images beside each side's masks: _classes / _cp_classes pair 2 files as
    # _masks / _cp_masks do; given as the class suffixes, they are never the hint.
    truth, pred = folders(
        tmp_path,
        ["a_masks", "b_masks", "a_classes", "b_classes"],
        ["a_cp_masks", "b_cp_masks", "a_cp_classes", "b_cp_classes"],
    )
    pairing = pair_files(
        truth, pred, truth_classes_suffix="_classes", prediction_classes_suffix="_cp_classes"
    )
    hint = pairing.suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "_cp_masks", 2)
    assert pairing.advice(command_line=True) == (
        "the names differ by a suffix: give --truth-suffix _masks --prediction-suffix _cp_masks"
        " (2 pair(s))"
    )


@pytest.fixture
def heldout(tmp_path):
    """README's --region-suffix _heldout example: truth/img{i}_masks + truth/img{i}_heldout,
    pred/img{i}_cp_masks (three images)."""
    names = [f"img{i}" for i in range(3)]
    return folders(
        tmp_path,
        [f"{name}{suffix}" for name in names for suffix in ("_masks", "_heldout")],
        [f"{name}_cp_masks" for name in names],
    )


def test_two_suffixes_that_pair_as_many_files_give_no_hint(heldout):
    # _heldout / _cp_masks and _masks / _cp_masks each pair the 3 images: two guesses, and
    # the alphabet does not choose between them.
    pairing = pair_files(*heldout)
    assert pairing.pairs == []
    assert pairing.suffix_hint is None
    assert pairing.advice(command_line=True) == ""
    assert "differ by a suffix" not in pairing.describe()


def test_the_readme_region_example_is_hinted_its_masks(heldout):
    pairing = pair_files(*heldout, region_suffix="_heldout")
    # The _heldout files are the regions: _masks / _cp_masks pair the 3 images.
    assert pairing.advice(command_line=True) == (
        "the names differ by a suffix: give --truth-suffix _masks --prediction-suffix _cp_masks"
        " (3 pair(s))"
    )
    assert pairing.advice() == (
        "the names differ by a suffix: give truth_suffix='_masks', "
        "prediction_suffix='_cp_masks' (3 pair(s))"
    )


def test_cellpose_flows_beside_the_masks_give_no_hint(tmp_path):
    # Cellpose's img{i}_cp_masks and img{i}_flows both share img{i}_ with img{i}_masks:
    # _masks / _cp_masks and _masks / _flows pair the 3 images each (a tie): no hint, never
    # the flows.
    truth, pred = folders(
        tmp_path,
        [f"img{i}_masks" for i in range(3)],
        [f"img{i}{suffix}" for i in range(3) for suffix in ("_cp_masks", "_flows")],
    )
    assert pair_files(truth, pred).suffix_hint is None


def test_region_files_in_one_folder_are_never_hinted(tmp_path):
    # One folder: img{i}-gt, img{i}-pred and the regions img{i}-region (three images). With
    # the region suffix, only -gt / -pred are left: they pair the 3 images (the words say
    # which is the truth).
    for i in range(3):
        for suffix in ("-gt", "-pred", "-region"):
            write(tmp_path / f"img{i}{suffix}.tif")
    with pytest.raises(OneFolderError) as error:
        pair_files(tmp_path, tmp_path, region_suffix="-region")
    hint = error.value.suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs, hint.sided) == ("-gt", "-pred", 3, True)


def test_the_command_line_hints_the_masks_not_the_regions(heldout, tmp_path, capsys):
    truth, pred = heldout
    # The README's region example as written: the truth files carry _masks, so nothing pairs;
    # the _heldout files are the regions, and _masks / _cp_masks pair the 3 images.
    assert run(str(truth), str(pred), "--region-suffix", "_heldout", "--out", str(tmp_path / "o"))
    err = capsys.readouterr().err
    assert "give --truth-suffix _masks --prediction-suffix _cp_masks (3 pair(s))" in err, err
    assert "--truth-suffix _heldout" not in err


def test_evaluate_files_hints_the_masks_not_the_classes(tmp_path):
    names = [f"img{i}" for i in range(2)]
    truth, pred = folders(
        tmp_path,
        [f"{name}{suffix}" for name in names for suffix in ("_masks", "_classes")],
        [f"{name}{suffix}" for name in names for suffix in ("_cp_masks", "_cp_classes")],
    )
    # _classes / _cp_classes and _masks / _cp_masks would each pair the 2 images; the class
    # files are the class images: the hint names the masks alone.
    with pytest.raises(ValueError, match="truth_suffix='_masks', prediction_suffix='_cp_masks'"):
        evaluate_files(
            truth, pred, truth_classes_suffix="_classes", prediction_classes_suffix="_cp_classes"
        )
