"""The Dataset tab pairs by name prefixes too (the Cell Tracking Challenge's man_seg000.tif and
mask000.tif): its prefix boxes are used by the pair list, its hint, the run and the settings
the run records."""

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")


def square(cols: slice) -> np.ndarray:
    """A 10 x 10 label image with one object (label 1) at rows 2-5 x ``cols``."""
    image = np.zeros((10, 10), np.uint16)
    image[2:6, cols] = 1
    return image


#: 000: truth cols 2-5 (16 pixels), prediction cols 3-6: 12 shared, union 20, IoU 0.6 >= 0.5:
#: one TP, F1 at 0.5 = 1. 001: the prediction is empty: one FN, F1 = 0.
TRUTH = [square(slice(2, 6)), square(slice(2, 6))]
PRED = [square(slice(3, 7)), np.zeros((10, 10), np.uint16)]


@pytest.fixture
def ctc(tmp_path):
    """SEG/man_seg00k.tif, RES/mask00k.tif and images/00k.tif (k = 0, 1)."""
    truth, pred, images = tmp_path / "SEG", tmp_path / "RES", tmp_path / "images"
    for folder in (truth, pred, images):
        folder.mkdir()
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg00{k}.tif", TRUTH[k])
        tifffile.imwrite(pred / f"mask00{k}.tif", PRED[k])
        tifffile.imwrite(images / f"00{k}.tif", np.full((10, 10), 7, np.uint8))
    return truth, pred, images


@pytest.fixture
def dataset(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return widget.dataset


def test_the_hint_names_the_prefix_boxes_and_they_pair_the_files(dataset, ctc):
    truth, pred, _ = ctc
    dataset.set_folders(truth=truth, prediction=pred)
    text = dataset.pairs_text.toPlainText()
    assert text.startswith("0 pair(s)")
    # man_seg000 / mask000 and man_seg001 / mask001: 2 pairs under the two prefixes, in the
    # words of the tab's boxes (no "suffixes only").
    assert (
        "The names differ by a prefix: truth 'man_seg', prediction 'mask'; give them as the "
        "truth and prediction prefixes (2 pair(s) of files)." in text
    )
    assert "suffixes only" not in text
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    assert dataset.pairing.names == ["000", "001"]
    assert dataset.pairs_text.toPlainText() == "2 pair(s) of files."


def test_a_run_paired_by_prefix_records_the_prefixes(dataset, ctc):
    truth, pred, _ = ctc
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(iou_thresholds=[0.5])
    result = dataset.run(wait=True)
    per_image = result.per_image.set_index("name")
    # 000: IoU 0.6, F1 1; 001: one FN, F1 0 (see TRUTH, PRED).
    assert per_image.loc["000", "f1_50"] == pytest.approx(1.0)
    assert per_image.loc["001", "f1_50"] == pytest.approx(0.0)
    recorded = result.settings.to_dict()
    assert (recorded["truth_prefix"], recorded["prediction_prefix"]) == ("man_seg", "mask")
    # Another prefix: other pairs (none), the results out of date.
    dataset.prefixes["prediction"].setText("mask0")
    dataset.prefixes["prediction"].editingFinished.emit()
    assert dataset.pairing.pairs == []
    assert "the pairs of files" in dataset.stale and "name prefixes" in dataset.stale


def test_an_image_named_as_the_pair_opens_with_it(dataset, ctc):
    truth, pred, images = ctc
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    dataset.set_folders(truth=truth, prediction=pred, image=images)
    dataset.run(wait=True)
    opened = dataset.open_image("000", wait=True)
    assert set(opened) == {"image", "truth", "prediction"}
    assert np.all(np.asarray(opened["image"].data) == 7)


def test_class_images_named_as_their_files(dataset, ctc):
    truth, pred, _ = ctc
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg00{k}_classes.tif", (TRUTH[k] > 0).astype(np.uint8))
        tifffile.imwrite(pred / f"mask00{k}_classes.tif", (PRED[k] > 0).astype(np.uint8))
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    dataset.set_options(truth_classes_suffix="_classes", prediction_classes_suffix="_classes")
    dataset.set_folders(truth=truth, prediction=pred)
    # The class files are neither pairs, nor left out, nor missing.
    assert dataset.pairing.names == ["000", "001"]
    assert dataset.pairs_text.toPlainText() == "2 pair(s) of files."


def test_one_folder_of_ctc_names_hints_the_prefixes(dataset, tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    for k in range(2):
        tifffile.imwrite(folder / f"man_seg00{k}.tif", TRUTH[k])
        tifffile.imwrite(folder / f"mask00{k}.tif", PRED[k])
    dataset.set_folders(truth=folder, prediction=folder)
    assert dataset.pairs_text.toPlainText() == (
        f"ground truth and predictions are both in {folder}: the names differ by a prefix: "
        "truth 'man_seg', prediction 'mask'; give them as the truth and prediction prefixes "
        "(2 pair(s) of files)."
    )
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    assert dataset.pairing.names == ["000", "001"]


def test_an_unknown_prefix_side_is_refused(dataset):
    with pytest.raises(
        ValueError,
        match="no prefix side 'raw': the sides are truth, prediction, image, probability",
    ):
        dataset.set_prefixes(truth="man_seg", raw="t")
    assert [edit.text() for edit in dataset.prefixes.values()] == ["", "", "", ""]
