"""The words of the pairs' listing (trial92/93): files not used are said to lack what marks
the sides (a prefix, a suffix, or both), and the Dataset tab heads the pairs whose class or
region file fails with both reasons (none found, or more than one), counting pairs."""

import numpy as np
import pytest

from napari_seg_eval.io.pairs import pair_files

tifffile = pytest.importorskip("tifffile")
LABELS = np.zeros((6, 6), np.uint16)
LABELS[1:3, 1:3] = 1


def write(folder, *names):
    folder.mkdir(exist_ok=True)
    for name in names:
        tifffile.imwrite(folder / name, LABELS)


def test_files_not_used_lack_the_prefixes_when_prefixes_tell_the_sides_apart(tmp_path):
    # trial92: one folder, the Cell Tracking Challenge's names, and t000.tif of neither side.
    write(tmp_path, "man_seg000.tif", "mask000.tif", "t000.tif")
    pairing = pair_files(tmp_path, tmp_path, truth_prefix="man_seg", prediction_prefix="mask")
    text = pairing.describe()
    assert pairing.names == ["000"]
    assert f"1 image file with neither prefix, not used:\n  {tmp_path / 't000.tif'}" in text
    assert "suffix" not in text


def test_files_not_used_lack_a_sides_prefix_and_suffix_when_both_are_given(tmp_path):
    # man_seg001.tif has the truth's prefix but not its suffix: no side's file.
    write(tmp_path, "man_seg000_gt.tif", "mask000_res.tif", "man_seg001.tif")
    pairing = pair_files(
        tmp_path,
        tmp_path,
        truth_prefix="man_seg",
        prediction_prefix="mask",
        truth_suffix="_gt",
        prediction_suffix="_res",
    )
    assert pairing.names == ["000"]
    assert "1 image file with neither side's prefix and suffix, not used:" in pairing.describe()


@pytest.fixture
def dataset(make_napari_viewer):
    pytest.importorskip("napari")
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return widget.dataset


def test_pairs_whose_companions_fail_are_counted_with_both_reasons(dataset, tmp_path):
    truth, prediction = tmp_path / "truth", tmp_path / "pred"
    write(truth, "a_gt.tif", "b_gt.tif", "c_gt.tif", "a_gt_classes.tif", "c_gt_classes.tif")
    write(prediction, "a_res.tif", "b_res.tif", "c_res.tif", "a_res_classes.tif")
    write(prediction, "c_res_classes.tif")
    # a: one region file; b: none (and no class files); c: two, named as its file and as
    # the pair (c_gt_region, c_region).
    write(truth, "a_gt_region.tif", "c_gt_region.tif", "c_region.tif")
    dataset.set_suffixes(truth="_gt", prediction="_res")
    dataset.set_folders(truth=truth, prediction=prediction)
    dataset.set_options(
        truth_classes_suffix="_classes",
        prediction_classes_suffix="_classes",
        region_suffix="_region",
    )
    text = dataset.pairs_text.toPlainText()
    # Three failures (b's class files, b's region, c's regions) of two pairs, b and c.
    head = "2 pair(s) whose class or region file was not found, or found more than once"
    assert f"{head} (those pairs fail):" in text
    failures = text.split(head)[1].splitlines()[1:]
    assert [line.split(":")[0] for line in failures] == ["  b", "  b", "  c"]
    assert "2 region masks of c_gt.tif" in failures[2]
