"""Companion files (class images, region masks) of a file left without a partner go with it:
they are not listed as unpaired images of their own; the README's region masks
(``img1_masks_heldout.tif`` beside ``img1_masks.tif``) are not listed as files not used, and
never hinted as the truth; a class file of floats is told what a class file holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import FileReadError, evaluate_files, pair_files, read_labels
from napari_seg_eval.io.pairs import find_class_files, find_region_files

CLASSES = {"truth_classes_suffix": "_classes", "prediction_classes_suffix": "_classes"}
CELLPOSE = {"truth_suffix": "_masks", "prediction_suffix": "_cp_masks"}


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
def lonely(tmp_path):
    """truth/: a, a_classes, lonely, lonely_classes (no prediction: trial138's bad/truth);
    pred/: a, a_classes, stray, stray_classes (no truth)."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    write(truth, "a", "a_classes", "lonely", "lonely_classes")
    write(pred, "a", "a_classes", "stray", "stray_classes")
    return truth, pred


def test_an_unpaired_files_class_image_is_not_listed_as_an_image(lonely):
    truth, pred = lonely
    pairing = pair_files(truth, pred, **CLASSES)
    # One file on each side has no partner; its class file goes with it.
    assert pairing.unpaired_truth == [truth / "lonely.tif"]
    assert pairing.unpaired_prediction == [pred / "stray.tif"]
    assert pairing.ignored == []
    text = pairing.describe()
    assert "1 ground truth without a prediction:" in text
    assert "1 prediction without a ground truth:" in text
    assert "lonely_classes" not in text and "stray_classes" not in text


def test_find_class_files_leaves_out_an_unpaired_files_class_image(lonely):
    truth, pred = lonely
    # Paired without the class suffixes (as a user may), then the class files are found.
    pairing, classes = find_class_files(pair_files(truth, pred), "_classes", "_classes")
    assert pairing.names == ["a"]
    assert classes == [(truth / "a_classes.tif", pred / "a_classes.tif")]
    assert pairing.unpaired_truth == [truth / "lonely.tif"]
    assert pairing.unpaired_prediction == [pred / "stray.tif"]


def test_a_class_image_of_no_file_stays_listed(lonely):
    truth, pred = lonely
    write(truth, "ghost_classes")  # no ghost.tif: not a companion of any file
    pairing = pair_files(truth, pred, **CLASSES)
    assert pairing.unpaired_truth == [truth / "ghost_classes.tif", truth / "lonely.tif"]


def test_evaluate_files_and_the_command_line_count_one_unpaired_truth(lonely, tmp_path, capsys):
    truth, pred = lonely
    result = evaluate_files(truth, pred, iou_thresholds=[0.5], **CLASSES)
    assert result.pairing.unpaired_truth == [truth / "lonely.tif"]
    assert result.pairing.unpaired_prediction == [pred / "stray.tif"]
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--out", str(out), "--iou-thresholds", "0.5"]
    argv += ["--truth-classes-suffix", "_classes", "--prediction-classes-suffix", "_classes"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    assert exit_info.value.code == 0
    captured = capsys.readouterr()
    assert "1 ground truth without a prediction:" in captured.err
    assert "lonely_classes" not in captured.err + captured.out


def test_an_unpaired_truths_region_mask_is_not_listed(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    write(truth, "a", "a_heldout", "lonely", "lonely_heldout")
    write(pred, "a")
    pairing = pair_files(truth, pred, region_suffix="_heldout")
    assert pairing.unpaired_truth == [truth / "lonely.tif"]
    pairing, regions = find_region_files(pair_files(truth, pred), "_heldout")
    assert regions == [truth / "a_heldout.tif"]
    assert pairing.unpaired_truth == [truth / "lonely.tif"]


@pytest.fixture
def readme(tmp_path):
    """The README's layout: truth/imgK_masks.tif with its region imgK_masks_heldout.tif (the
    left half, cols 0-4), cellpose/imgK_cp_masks.tif (K = 1, 2). The truth holds two
    objects, rows 2-5 x cols 0-3 (1) and cols 6-9 (2); the prediction only the first."""
    truth, pred = tmp_path / "truth", tmp_path / "cellpose"
    truth.mkdir()
    pred.mkdir()
    labels = np.zeros((10, 10), np.uint16)
    labels[2:6, 0:4], labels[2:6, 6:10] = 1, 2
    region = np.zeros((10, 10), np.uint8)
    region[:, :5] = 1
    for k in (1, 2):
        tifffile.imwrite(truth / f"img{k}_masks.tif", labels)
        tifffile.imwrite(truth / f"img{k}_masks_heldout.tif", region)
        tifffile.imwrite(pred / f"img{k}_cp_masks.tif", np.where(labels == 1, 1, 0))
    return truth, pred


def test_the_readmes_region_masks_are_not_listed_as_not_used(readme):
    truth, pred = readme
    pairing = pair_files(truth, pred, **CELLPOSE, region_suffix="_heldout")
    assert pairing.names == ["img1", "img2"]
    assert pairing.ignored == [] and pairing.unpaired_truth == []
    assert pairing.describe() == "2 pair(s) of files."


def test_a_region_mask_of_no_truth_stays_listed(readme):
    truth, pred = readme
    tifffile.imwrite(truth / "img9_masks_heldout.tif", np.ones((10, 10), np.uint8))
    pairing = pair_files(truth, pred, **CELLPOSE, region_suffix="_heldout")
    assert pairing.ignored == [truth / "img9_masks_heldout.tif"]


def test_the_readmes_regions_are_applied(readme):
    truth, pred = readme
    result = evaluate_files(truth, pred, iou_thresholds=[0.5], **CELLPOSE, region_suffix="_heldout")
    # Inside the left half only object 1, found: TP 1 of 1 true object in each image,
    # F1 = 2*1 / (2*1 + 0 + 0) = 1 (without the region: FN 1, F1 = 2 / 3).
    assert result.per_image["f1_50"].tolist() == [1.0, 1.0]
    assert result.pairing.ignored == []


@pytest.mark.parametrize("prediction_suffix", ["", "_cp_masks"])
def test_the_region_masks_are_never_hinted_as_the_truth(readme, prediction_suffix):
    truth, pred = readme
    # _masks and _masks_heldout each pair 2 files with _cp_masks: two guesses, no hint
    # (_masks_heldout would score the 0/1 region masks as the truth).
    pairing = pair_files(truth, pred, prediction_suffix=prediction_suffix)
    assert pairing.pairs == [] and pairing.suffix_hint is None
    assert "_masks_heldout" not in pairing.advice(command_line=True)


def test_the_command_line_hints_no_region_mask_as_the_truth(readme, tmp_path, capsys):
    truth, pred = readme
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", str(truth), str(pred), "--prediction-suffix", "_cp_masks",
                  "--out", str(out)])  # fmt: skip
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    # Two guesses (_masks, _masks_heldout): no hint, only the names and the options (io203).
    assert last.startswith(
        "napari-seg-eval evaluate: error: nothing to evaluate: no file has a partner; no pairs "
        "matched: ground truth 'img1_masks', 'img1_masks_heldout', 'img2_masks' and 1 more; "
    )
    assert "--truth-suffix _masks" not in last
    assert not out.exists()


def test_with_the_region_suffix_the_hint_names_masks(readme):
    truth, pred = readme
    pairing = pair_files(truth, pred, prediction_suffix="_cp_masks", region_suffix="_heldout")
    # The region files set aside, only _masks pairs: img1 and img2, 2 pairs.
    assert pairing.suffix_hint[:3] == ("_masks", "_cp_masks", 2)


def test_the_raw_image_beside_the_masks_still_gives_the_masks_hint(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    # Cellpose: the raw image imgK beside imgK_masks; it is the pairs' image, not a truth.
    write(truth, "img1", "img1_masks", "img2", "img2_masks")
    write(pred, "img1_cp_masks", "img2_cp_masks")
    # No suffix given: "" and _masks each pair 2 files with _cp_masks; imgK, named as imgK_masks
    # without _masks, is the pair's image: the hint is _masks (2 pairs).
    pairing = pair_files(truth, pred)
    assert pairing.suffix_hint[:3] == ("_masks", "_cp_masks", 2)


@pytest.fixture
def softmax(tmp_path):
    """A background + 3 class softmax, shape (4, 10, 10), saved as a class file: channel 0
    holds 0.7 everywhere, the others 0.1 (the values sum to 1, none whole)."""
    path = tmp_path / "img_classes.npy"
    values = np.full((4, 10, 10), 0.1, np.float32)
    values[0] = 0.7
    np.save(path, values)
    return path


def test_a_probability_map_given_as_a_class_file_is_told_to_save_its_argmax(softmax):
    with pytest.raises(FileReadError) as raised:
        read_labels(softmax, role="classes")
    message = str(raised.value)
    assert message.startswith(f"{softmax}: a class image must hold integers")
    assert "argmax over the map's class axis" in message
    assert "(4, 10, 10)" in message  # the file's shape: its class axis is the first
    assert "--probability" not in message and "read_probabilities" not in message


def test_a_probability_map_given_as_a_region_is_told_to_threshold_it(softmax):
    with pytest.raises(FileReadError) as raised:
        read_labels(softmax, role="region")
    message = str(raised.value)
    assert message.startswith(f"{softmax}: a region mask must hold integers or booleans")
    assert "threshold it" in message and "--probability" not in message


def test_a_label_file_of_probabilities_is_still_told_to_read_it_as_one(softmax):
    with pytest.raises(FileReadError) as raised:
        read_labels(softmax)
    message = str(raised.value)
    assert message.startswith(f"{softmax}: a label image must hold integers")
    assert "--probability on the command line" in message


def test_a_class_file_of_whole_numbers_is_told_to_cast_them(tmp_path):
    path = tmp_path / "img_classes.npy"
    np.save(path, np.eye(3, dtype=np.float32))  # 0 and 1 only: whole numbers in [0, 1]
    with pytest.raises(FileReadError) as raised:
        read_labels(path, role="classes")
    message = str(raised.value)
    assert "whole numbers (0 to 1): cast them to integers" in message
    assert "--probability" not in message


def test_class_images_of_integers_are_read(tmp_path):
    path = tmp_path / "img_classes.tif"
    tifffile.imwrite(path, square() * 3)
    assert np.array_equal(read_labels(path, role="classes"), square() * 3)


def test_the_command_line_scores_the_readmes_layout_in_its_regions(readme, tmp_path):
    truth, pred = readme
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--out", str(out), "--iou-thresholds", "0.5", "--quiet"]
    argv += ["--truth-suffix", "_masks", "--prediction-suffix", "_cp_masks"]
    argv += ["--region-suffix", "_heldout"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    assert exit_info.value.code == 0
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image["name"].tolist() == ["img1", "img2"]
    # As with evaluate_files: F1 = 2*1 / (2*1 + 0 + 0) = 1 inside the left halves.
    assert per_image["f1_50"].tolist() == [1.0, 1.0]


def test_the_docks_pairs_box_lists_one_unpaired_truth(make_napari_viewer, lonely):
    pytest.importorskip("napari")
    truth, pred = lonely
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    dataset = widget.dataset
    dataset.set_options(truth_classes_suffix="_classes", prediction_classes_suffix="_classes")
    dataset.set_folders(truth=truth, prediction=pred)
    text = dataset.pairs_text.toPlainText()
    assert text.startswith("1 pair(s) of files.")
    assert "1 ground truth without a prediction:" in text
    assert "1 prediction without a ground truth:" in text
    assert "lonely_classes" not in text and "stray_classes" not in text
