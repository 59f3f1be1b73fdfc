"""Both sides in one folder (review88): a suffix hint of words is not beaten by the prefixes of
two series; two series are no prefix hint; a class image is never taken from the other side;
a hint naming one option says so."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from napari_seg_eval.io import evaluate_files, pair_files
from napari_seg_eval.io.evaluate import find_companions
from napari_seg_eval.io.pairs import OneFolderError

CLASSES = {"truth_classes_suffix": "_classes", "prediction_classes_suffix": "_classes"}


def write(folder, *names: str) -> None:
    folder.mkdir(exist_ok=True)
    for name in names:
        tifffile.imwrite(folder / f"{name}.tif", np.zeros((4, 4), np.uint16))


def series(*starts: str, kinds=("", "_masks", "_cp_masks")) -> list[str]:
    """Cellpose's names of numbers 01-03 of each series: the image, its masks, its prediction."""
    return [f"{start}{k:02d}{kind}" for start in starts for k in (1, 2, 3) for kind in kinds]


def folder_hint(folder, **options):
    with pytest.raises(OneFolderError) as error:
        pair_files(folder, folder, **options)
    return error.value


@pytest.mark.parametrize("starts", [("control_", "treated_"), ("manual_", "auto_")])
def test_the_suffixes_of_two_series_are_the_hint_not_their_prefixes(tmp_path, starts):
    # Two series of 3 in one folder: image, _masks and _cp_masks each. The suffixes pair the
    # 2 x 3 = 6 masks with their predictions. The series' starts would "pair" 3 files per
    # number (image, masks, prediction) x 3 numbers = 9, all of them wrong pairs (series
    # against series). "manual" even reads as the truth's word; still the suffixes hold words
    # (no digit), so they are the hint.
    folder = tmp_path / "one"
    write(folder, *series(*starts))
    error = folder_hint(folder)
    assert error.text(command_line=True) == (
        f"ground truth and predictions are both in {folder}: the names differ by a suffix: "
        "give --truth-suffix _masks --prediction-suffix _cp_masks (6 pair(s))."
    )


def test_two_series_are_no_prefix_hint(tmp_path):
    # Cellpose names the truth after the image's number and the prediction after the image:
    # 01_img, 01_masks, 01_img_cp_masks. In one folder no suffix hint is found (the
    # prediction's key would be 01_img, the truth's 01), and the two series' starts control_ /
    # treated_ name each number 3 times (01_img, 01_masks, 01_img_cp_masks): series, not
    # sides: no hint rather than a wrong one (9 pairs of series against series).
    folder = tmp_path / "one"
    write(folder, *series("control_", "treated_", kinds=("_img", "_masks", "_img_cp_masks")))
    error = folder_hint(folder)
    assert error.suffix_hint is None
    assert "differ by" not in str(error)


def test_suffixes_that_only_number_the_files_give_way_to_the_prefixes(tmp_path):
    # img1..img3 beside img_gt1..img_gt3: set side by side, img_gt1 and img_gt2 also read as
    # "img" + the suffixes "_gt1" / "_gt2" (1 pair: img), which differ only in their digits;
    # the prefixes img_gt / img pair 3 (1, 2, 3). "gt" marks the truth.
    folder = tmp_path / "one"
    write(folder, *(f"{start}{k}" for start in ("img", "img_gt") for k in (1, 2, 3)))
    assert (
        folder_hint(folder)
        .text(command_line=True)
        .endswith(
            "the names differ by a prefix: give --truth-prefix img_gt --prediction-prefix img "
            "(3 pair(s))."
        )
    )


def class_image(value: int) -> np.ndarray:
    image = np.zeros((4, 4), np.uint8)
    image[:2, :2] = value
    return image


def labels() -> np.ndarray:
    """One object (label 1) on the top-left 2 x 2 pixels."""
    image = np.zeros((4, 4), np.uint16)
    image[:2, :2] = 1
    return image


def write_pair(folder, truth: str, pred: str, classes: dict[str, int]) -> None:
    folder.mkdir()
    tifffile.imwrite(folder / f"{truth}.tif", labels())
    tifffile.imwrite(folder / f"{pred}.tif", labels())
    for name, value in classes.items():
        tifffile.imwrite(folder / f"{name}.tif", class_image(value))


@pytest.mark.parametrize(
    ("truth", "pred", "options", "truth_classes", "pred_classes"),
    [
        # The truth is named as the pair (no suffix): its own class image a_classes is also
        # the prediction's "pair + suffix" form, but it is the truth's.
        ("a", "a_pred", {"prediction_suffix": "_pred"}, "a_classes", "a_pred_classes"),
        # The same with a prefix on the prediction's side.
        ("000", "pred_000", {"prediction_prefix": "pred_"}, "000_classes", "pred_000_classes"),
        # Cellpose: the truth's class image named as the pair (a_classes), the prediction's
        # as its file (a_cp_masks_classes). a_classes is the truth's only one.
        (
            "a_masks",
            "a_cp_masks",
            {"truth_suffix": "_masks", "prediction_suffix": "_cp_masks"},
            "a_classes",
            "a_cp_masks_classes",
        ),
    ],
)
def test_a_class_image_of_the_other_side_is_never_taken(
    tmp_path, truth, pred, options, truth_classes, pred_classes
):
    folder = tmp_path / "one"
    write_pair(folder, truth, pred, {truth_classes: 1, pred_classes: 2})
    pairing = pair_files(folder, folder, **options)
    pairing, classes, _ = find_companions(pairing, "_classes", "_classes", None)
    assert classes == [(folder / f"{truth_classes}.tif", folder / f"{pred_classes}.tif")]
    result = evaluate_files(folder, folder, iou_thresholds=[0.5], **options, **CLASSES)
    row = result.per_image.iloc[0]
    assert row["error"] == ""
    # The object is class 1 in the truth, class 2 in the prediction: no match within a class,
    # accuracy 0 (class 1: 1 FN; class 2: 1 FP). Class-agnostic it matches: F1 = 1.
    assert row["class_mean_accuracy"] == pytest.approx(0.0)
    assert row["f1_50"] == pytest.approx(1.0)


def test_the_other_sides_class_image_is_not_counted_as_missing_or_twice(tmp_path):
    # a.tif (truth), a_pred.tif, and only the truth's a_classes.tif: the prediction has no
    # class image (a_classes is the truth's own), said as such; before, the prediction was
    # given the truth's.
    folder = tmp_path / "one"
    write_pair(folder, "a", "a_pred", {"a_classes": 1})
    pairing = pair_files(folder, folder, prediction_suffix="_pred")
    _, classes, _ = find_companions(pairing, "_classes", "_classes", None)
    assert classes == [
        f"no prediction class image a_pred_classes.* beside {folder / 'a_pred.tif'} (named as "
        "the file plus '_classes': a_classes.* is the ground truth's)."
    ]


def test_one_class_image_named_as_the_pair_serves_both_sides(tmp_path):
    # a_masks, a_cp_masks and only a_classes (the pair's name): neither side has its own, so
    # both take it, as before.
    folder = tmp_path / "one"
    write_pair(folder, "a_masks", "a_cp_masks", {"a_classes": 1})
    pairing = pair_files(folder, folder, truth_suffix="_masks", prediction_suffix="_cp_masks")
    _, classes, _ = find_companions(pairing, "_classes", "_classes", None)
    assert classes == [(folder / "a_classes.tif", folder / "a_classes.tif")]


def test_a_hint_naming_one_prefix_says_so(tmp_path):
    folder = tmp_path / "one"
    write(folder, "man_seg000", "man_seg001", "mask000", "mask001")
    # The truth's prefix given: only the prediction's is to give (2 pairs: 000, 001).
    pairing = pair_files(folder, folder, truth_prefix="man_seg")
    assert "The names differ by a prefix: give 'mask' as the prediction prefix (2 pair(s) of " in (
        pairing.describe()
    )


def test_a_prefix_on_some_names_of_one_folder_says_both_ways(tmp_path):
    # 000, 001 beside mask000, mask001: which are the truth is not said by the names.
    folder = tmp_path / "one"
    write(folder, "000", "001", "mask000", "mask001")
    error = folder_hint(folder)
    assert error.text(command_line=True).endswith(
        "the names differ by a prefix: give --prediction-prefix mask if the names without "
        "'mask' are the ground truth, else --truth-prefix mask (2 pair(s))."
    )
    assert str(error).endswith(
        "the names differ by a prefix: some start with 'mask' and some do not, which does not "
        "say which are the truth; give 'mask' as the prediction prefix if the others are the "
        "truth, else as the truth prefix (2 pair(s) of files)."
    )
