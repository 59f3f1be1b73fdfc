"""A file paired by name with another side's class image or region mask is listed, never
dropped: the pair is left out, the file is unpaired; no suffix hint pairs the images the
labels were drawn on; the float messages of class and region files are worded for them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import FileReadError, evaluate_files, pair_files, read_labels
from napari_seg_eval.io.pairs import find_class_files, find_region_files

CLASSES = {"truth_classes_suffix": "_classes", "prediction_classes_suffix": "_classes"}


def square() -> np.ndarray:
    """A 10 x 10 label image with one object (label 1) at rows 2-5, cols 2-5."""
    image = np.zeros((10, 10), np.uint16)
    image[2:6, 2:6] = 1
    return image


def write(folder, *names: str) -> None:
    """The square, written as each of ``names`` (``.tif``) in ``folder``."""
    folder.mkdir(exist_ok=True)
    for name in names:
        tifffile.imwrite(folder / f"{name}.tif", square())


@pytest.fixture
def no_x_prediction(tmp_path):
    """truth/: a, a_classes, x, x_classes; pred/: a, a_classes, x_classes (a model that wrote
    x's class image but not its labels)."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    write(truth, "a", "a_classes", "x", "x_classes")
    write(pred, "a", "a_classes", "x_classes")
    return truth, pred


def test_a_predictions_class_file_without_its_labels_is_an_unpaired_prediction(no_x_prediction):
    truth, pred = no_x_prediction
    pairing, classes = find_class_files(pair_files(truth, pred), "_classes", "_classes")
    # truth/x_classes goes with truth/x (no partner): the pair x_classes is left out, and
    # pred/x_classes, the class file of no prediction, has lost its partner.
    assert pairing.names == ["a"]
    assert classes == [(truth / "a_classes.tif", pred / "a_classes.tif")]
    assert pairing.unpaired_truth == [truth / "x.tif"]
    assert pairing.unpaired_prediction == [pred / "x_classes.tif"]


def test_a_truths_class_file_without_its_labels_is_an_unpaired_truth(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    # The other side: the truth lacks x, the prediction has x and x_classes.
    write(truth, "a", "a_classes", "x_classes")
    write(pred, "a", "a_classes", "x", "x_classes")
    pairing, classes = find_class_files(pair_files(truth, pred, **CLASSES), "_classes", "_classes")
    assert pairing.names == ["a"]
    assert classes == [(truth / "a_classes.tif", pred / "a_classes.tif")]
    assert pairing.unpaired_truth == [truth / "x_classes.tif"]
    assert pairing.unpaired_prediction == [pred / "x.tif"]


def test_the_command_line_names_the_prediction_and_saves_it(no_x_prediction, tmp_path, capsys):
    truth, pred = no_x_prediction
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--out", str(out), "--iou-thresholds", "0.5"]
    argv += ["--truth-classes-suffix", "_classes", "--prediction-classes-suffix", "_classes"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    assert exit_info.value.code == 0
    err = capsys.readouterr().err
    assert f"1 prediction without a ground truth:\n  {pred / 'x_classes.tif'}" in err
    settings = json.loads((out / "settings.json").read_text())
    assert str(pred / "x_classes.tif") in json.dumps(settings)


def test_evaluate_files_scores_one_pair_and_lists_the_prediction(no_x_prediction):
    truth, pred = no_x_prediction
    result = evaluate_files(truth, pred, iou_thresholds=[0.5], **CLASSES)
    # The pair a: the same square on both sides, TP 1, F1 = 2*1 / (2*1 + 0 + 0) = 1.
    assert result.per_image["f1_50"].tolist() == [1.0]
    assert result.pairing.unpaired_prediction == [pred / "x_classes.tif"]


def test_a_prediction_named_as_a_truths_region_mask_is_an_unpaired_prediction(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    write(truth, "a", "a_r", "x", "x_r")
    write(pred, "a", "x_r")  # region masks are the truth's: pred/x_r is a prediction
    pairing, regions = find_region_files(pair_files(truth, pred), "_r")
    assert pairing.names == ["a"] and regions == [truth / "a_r.tif"]
    assert pairing.unpaired_truth == [truth / "x.tif"]
    assert pairing.unpaired_prediction == [pred / "x_r.tif"]


def test_a_truth_named_as_a_region_mask_of_no_truth_stays_paired(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    # The other side: truth/x_r is the region mask of no truth file (no truth/x), so it is
    # listed as the pair x_r's truth, which fails naming its missing region.
    write(truth, "a", "a_r", "x_r")
    write(pred, "a", "x", "x_r")
    pairing, regions = find_region_files(pair_files(truth, pred), "_r")
    assert pairing.names == ["a", "x_r"]
    assert regions[0] == truth / "a_r.tif"
    assert regions[1].startswith("no region mask x_r_r.*")
    assert pairing.unpaired_prediction == [pred / "x.tif"]


def test_no_hint_pairs_the_images_of_the_masks(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    # a is the image of a_masks; b is an image whose masks are missing. The suffixes ""
    # and _cp_masks would pair the images a and b (2 pairs) and leave a_masks out.
    write(truth, "a", "a_masks", "b")
    write(pred, "a_cp_masks", "b_cp_masks")
    pairing = pair_files(truth, pred)
    assert pairing.pairs == []
    # _masks and _cp_masks pair 1 file of the 2 predictions: not more than half, no hint.
    assert pairing.suffix_hint is None


def test_no_prefix_hint_pairs_the_images_of_the_masks(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    # img001 is the image of img001_masks: the prefixes img and mask would pair the images
    # img001 and img002 with mask001 and mask002, and leave img001_masks out.
    write(truth, "img001", "img001_masks", "img002")
    write(pred, "mask001", "mask002")
    assert pair_files(truth, pred).suffix_hint is None


def test_the_cell_tracking_challenges_prefixes_are_still_hinted(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    write(truth, "man_seg000", "man_seg001")
    write(pred, "mask000", "mask001")
    assert pair_files(truth, pred).suffix_hint[:3] == ("man_seg", "mask", 2)


def test_numbered_label_files_are_still_hinted(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    # a_2 is named as a plus a suffix, but both are label files with a prediction each:
    # "" and _pred pair the 3 files.
    write(truth, "a", "a_2", "b")
    write(pred, "a_pred", "a_2_pred", "b_pred")
    assert pair_files(truth, pred).suffix_hint[:3] == ("", "_pred", 3)


@pytest.mark.parametrize(
    ("role", "files"), [("classes", "class images"), ("region", "region masks")]
)
def test_a_companion_of_whole_number_floats_is_told_of_its_own_role(tmp_path, role, files):
    path = tmp_path / "x.npy"
    mask = np.zeros((10, 10), np.float32)
    mask[2:6, 2:6] = 1.0  # a mask saved as floats: 0. and 1.
    np.save(path, mask)
    with pytest.raises(FileReadError) as raised:
        read_labels(path, role=role)
    message = str(raised.value)
    assert "whole numbers (0 to 1): cast them to integers" in message
    assert f"({files} are never cast silently)" in message
    assert "labels are never" not in message


def test_a_2d_map_given_as_a_class_file_is_told_to_threshold_it(tmp_path):
    path = tmp_path / "x_classes.npy"
    np.save(path, np.full((10, 10), 0.25, np.float32))  # one class's map: no class axis
    with pytest.raises(FileReadError) as raised:
        read_labels(path, role="classes")
    message = str(raised.value)
    assert "(shape (10, 10): no class axis)" in message
    assert "Threshold it" in message
    assert "argmax" not in message and "class axis instead" not in message


def test_find_class_files_without_a_side_says_what_to_call(tmp_path):
    """review147 LOW-5: an IndexError before; the truth's class files alone are class_files'."""
    for side in ("t", "p"):
        (tmp_path / side).mkdir()
        np.save(tmp_path / side / "a.npy", np.zeros((2, 2), np.uint8))
    pairing = pair_files(tmp_path / "t", tmp_path / "p")
    with pytest.raises(ValueError, match=r"got None for the prediction's.*class_files"):
        find_class_files(pairing, "_classes", None)
