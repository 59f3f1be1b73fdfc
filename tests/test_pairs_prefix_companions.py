"""Class images and region masks of files paired by prefix: found as the file's own name plus
the suffix (``man_seg000_classes.tif`` beside ``man_seg000.tif``), or as the pair's name plus
the suffix (``000_classes.tif``, as before); both forms of one file's companion at once is an
error naming both; a companion of no pair stays listed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files, pair_files
from napari_seg_eval.io.evaluate import find_companions

PREFIXES = {"truth_prefix": "man_seg", "prediction_prefix": "mask"}
CLASSES = {"truth_classes_suffix": "_classes", "prediction_classes_suffix": "_classes"}


def square() -> np.ndarray:
    """A 10 x 10 label image with one object (label 1) at rows 2-5, cols 2-5."""
    image = np.zeros((10, 10), np.uint16)
    image[2:6, 2:6] = 1
    return image


@pytest.fixture
def ctc(tmp_path):
    """SEG/man_seg00k.tif and RES/mask00k.tif (k = 0, 1): the same square on both sides."""
    truth, pred = tmp_path / "SEG", tmp_path / "RES"
    truth.mkdir()
    pred.mkdir()
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg00{k}.tif", square())
        tifffile.imwrite(pred / f"mask00{k}.tif", square())
    return truth, pred


def class_image(value: int) -> np.ndarray:
    """The square's class image: ``value`` on the square, 0 elsewhere."""
    return (square() * value).astype(np.uint8)


def write_classes(truth, pred, truth_name: str, pred_name: str) -> None:
    """Class images of pairs 000 and 001 (``{k}`` in the names is the pair's number): the
    truth's square is class 1 in both; the prediction's is class 2 in 000, class 1 in 001."""
    for k, predicted in ((0, 2), (1, 1)):
        tifffile.imwrite(truth / truth_name.format(k=k), class_image(1))
        tifffile.imwrite(pred / pred_name.format(k=k), class_image(predicted))


def test_class_images_named_as_their_files_carry_the_prefix(ctc):
    truth, pred = ctc
    write_classes(truth, pred, "man_seg00{k}_classes.tif", "mask00{k}_classes.tif")
    result = evaluate_files(truth, pred, iou_thresholds=[0.5], **PREFIXES, **CLASSES)
    # The class files are not pairs (man_seg000_classes / mask000_classes would pair as
    # 000_classes), nor listed as left out.
    assert result.per_image["name"].tolist() == ["000", "001"]
    assert result.per_image["error"].tolist() == ["", ""]
    pairing = result.pairing
    assert not (pairing.unpaired_truth or pairing.unpaired_prediction or pairing.ignored)
    # 000: truth class 1, prediction class 2: no match within a class, accuracy 0 in each
    # class (class 1: 1 FN; class 2: 1 FP); 001: one TP in class 1, accuracy 1.
    assert result.per_image["class_mean_accuracy"].tolist() == pytest.approx([0.0, 1.0])
    # Class-agnostic: the squares are equal, one TP each.
    assert result.per_image["f1_50"].tolist() == pytest.approx([1.0, 1.0])


def test_class_images_named_as_the_pair_still_found(ctc):
    truth, pred = ctc
    write_classes(truth, pred, "00{k}_classes.tif", "00{k}_classes.tif")
    result = evaluate_files(truth, pred, iou_thresholds=[0.5], **PREFIXES, **CLASSES)
    assert result.per_image["error"].tolist() == ["", ""]
    # As above: 000 has the wrong class (0), 001 the right one (1).
    assert result.per_image["class_mean_accuracy"].tolist() == pytest.approx([0.0, 1.0])
    assert not result.pairing.ignored  # 00k_classes.tif lack the prefixes: companions


def test_the_two_forms_mixed_across_sides(ctc):
    truth, pred = ctc
    write_classes(truth, pred, "man_seg00{k}_classes.tif", "00{k}_classes.tif")
    pairing = pair_files(truth, pred, **PREFIXES, **CLASSES)
    pairing, classes, _ = find_companions(pairing, "_classes", "_classes", None)
    assert pairing.names == ["000", "001"]
    assert classes == [
        (truth / "man_seg000_classes.tif", pred / "000_classes.tif"),
        (truth / "man_seg001_classes.tif", pred / "001_classes.tif"),
    ]


def test_both_forms_of_one_files_class_image_is_an_error_naming_both(ctc):
    truth, pred = ctc
    write_classes(truth, pred, "man_seg00{k}_classes.tif", "mask00{k}_classes.tif")
    tifffile.imwrite(truth / "000_classes.tif", class_image(1))  # a second truth class image
    result = evaluate_files(truth, pred, iou_thresholds=[0.5], **PREFIXES, **CLASSES)
    error = result.per_image.set_index("name").loc["000", "error"]
    assert "2 ground truth class images of man_seg000.tif" in error
    assert str(truth / "man_seg000_classes.tif") in error
    assert str(truth / "000_classes.tif") in error
    assert "keep one" in error
    # The other pair goes on: its classes agree (class 1 on both sides): accuracy 1.
    row = result.per_image.set_index("name").loc["001"]
    assert row["error"] == ""
    assert row["class_mean_accuracy"] == pytest.approx(1.0)


def test_a_missing_class_image_names_both_forms(ctc):
    truth, pred = ctc
    write_classes(truth, pred, "man_seg00{k}_classes.tif", "mask00{k}_classes.tif")
    (pred / "mask001_classes.tif").unlink()
    result = evaluate_files(truth, pred, iou_thresholds=[0.5], **PREFIXES, **CLASSES)
    error = result.per_image.set_index("name").loc["001", "error"]
    assert f"no prediction class image mask001_classes.* nor 001_classes.* beside {pred}" in error


def test_a_companion_of_no_pair_stays_listed(ctc):
    truth, pred = ctc
    write_classes(truth, pred, "man_seg00{k}_classes.tif", "mask00{k}_classes.tif")
    # Class images of frames 7 and 8, which have no label files: one of each form.
    tifffile.imwrite(truth / "man_seg007_classes.tif", class_image(1))
    tifffile.imwrite(pred / "008_classes.tif", class_image(1))
    pairing = pair_files(truth, pred, **PREFIXES, **CLASSES)
    pairing, _, _ = find_companions(pairing, "_classes", "_classes", None)
    assert pairing.names == ["000", "001"]
    assert pairing.unpaired_truth == [truth / "man_seg007_classes.tif"]
    assert pairing.ignored == [pred / "008_classes.tif"]
    text = pairing.describe()
    assert str(truth / "man_seg007_classes.tif") in text
    assert str(pred / "008_classes.tif") in text


def two_squares(tmp_path):
    """SEG/man_seg000.tif: two objects, rows 2-5 x cols 0-3 (1) and cols 6-9 (2);
    RES/mask000.tif: only the first. SEG/man_seg000_region.tif: the left half (cols 0-4)."""
    truth, pred = tmp_path / "SEG", tmp_path / "RES"
    truth.mkdir()
    pred.mkdir()
    labels = np.zeros((10, 10), np.uint16)
    labels[2:6, 0:4], labels[2:6, 6:10] = 1, 2
    tifffile.imwrite(truth / "man_seg000.tif", labels)
    tifffile.imwrite(pred / "mask000.tif", np.where(labels == 1, 1, 0).astype(np.uint16))
    region = np.zeros((10, 10), np.uint8)
    region[:, :5] = 1
    tifffile.imwrite(truth / "man_seg000_region.tif", region)
    return truth, pred


def test_a_region_mask_named_as_its_truth_file(tmp_path):
    truth, pred = two_squares(tmp_path)
    result = evaluate_files(truth, pred, iou_thresholds=[0.5], region_suffix="_region", **PREFIXES)
    row = result.per_image.iloc[0]
    assert row["name"] == "000" and row["error"] == ""
    # Inside the left half only object 1, found: TP 1, F1 = 2 / (2 + 0 + 0) = 1 (without
    # the region: TP 1, FN 1, F1 = 2 / (2 + 1) = 2/3).
    assert row["f1_50"] == pytest.approx(1.0)
    assert not result.pairing.ignored and not result.pairing.unpaired_truth


def test_the_command_line_finds_class_images_named_as_their_files(ctc, tmp_path):
    truth, pred = ctc
    write_classes(truth, pred, "man_seg00{k}_classes.tif", "mask00{k}_classes.tif")
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--out", str(out), "--iou-thresholds", "0.5", "--quiet"]
    argv += ["--truth-prefix", "man_seg", "--prediction-prefix", "mask"]
    argv += ["--truth-classes-suffix", "_classes", "--prediction-classes-suffix", "_classes"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    assert exit_info.value.code == 0
    per_image = pd.read_csv(out / "per_image.csv", dtype={"name": str}, keep_default_na=False)
    assert per_image["name"].tolist() == ["000", "001"]
    # 000: classes 1 and 2 (accuracy 0); 001: class 1 on both sides (accuracy 1).
    assert per_image["class_mean_accuracy"].tolist() == pytest.approx([0.0, 1.0])
