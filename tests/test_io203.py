"""io203: pairing that said too little or read too little.

- A plain zarr group (not an OME-Zarr image) given as a side holds its images as arrays named
  without ``.zarr`` (``zarr.open_group("preds").create_array("img1", ...)``): they pair by
  name, in zarr 2 and zarr 3, instead of being "subfolders not searched".
- When nothing pairs and no suffix nor prefix hint is found, the command line, Python and the
  Dataset tab say "no pairs matched", a few names of each side, and the suffix options, with
  the suffix every name of a side ends with when there is one (and how many pairs it makes).
- A truth and a prediction whose names differ only in case (``Img1.tif``, ``img1.tif``) are
  not paired (names are compared as written), and a line names both; no prefix hint of
  ``'Img'`` and ``'img'``.
- Both forms of a truth file's region mask beside two single files fail that pair as in
  folders, the message naming both and how to resolve it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import zarr

from napari_seg_eval.__main__ import main
from napari_seg_eval.io import evaluate_files, pair_files

tifffile = pytest.importorskip("tifffile")


def run(*argv) -> int:
    try:
        code = main(["evaluate", *map(str, argv)])
    except SystemExit as stop:
        return int(stop.code or 0)
    return int(code or 0)


def squares() -> np.ndarray:
    """Two 4x4 true objects: id 1 left (columns 2..5), id 2 right (columns 12..15)."""
    truth = np.zeros((20, 20), np.uint16)
    truth[2:6, 2:6] = 1
    truth[2:6, 12:16] = 2
    return truth


def write(folder, names, array=None):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        tifffile.imwrite(folder / f"{name}.tif", squares() if array is None else array)


# A plain zarr group of arrays named without .zarr.


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_the_arrays_of_a_plain_zarr_group_pair_by_name(tmp_path, zarr_format):
    truth = tmp_path / "gt"
    truth.mkdir()
    for name in ("img1", "img2"):
        np.save(truth / f"{name}.npy", squares())
    preds = tmp_path / "preds"
    group = zarr.open_group(str(preds), mode="w", zarr_format=zarr_format)
    only_left = squares() * (squares() == 1)  # img2's prediction misses object 2
    for name, array in (("img1", squares()), ("img2", only_left)):
        group.create_array(name, shape=array.shape, dtype=array.dtype)[...] = array
    pairing = pair_files(truth, preds)
    assert pairing.names == ["img1", "img2"]
    assert [pred for _, pred in pairing.pairs] == [preds / "img1", preds / "img2"]
    assert pairing.subfolders == [] and pairing.unpaired_truth == []
    assert run(truth, preds, "--out", tmp_path / "o", "--quiet", "--iou-thresholds", "0.5") == 0
    per_image = pd.read_csv(tmp_path / "o" / "per_image.csv")
    # img1: 2 of 2 matched, F1 1; img2: TP 1, FN 1, FP 0: F1 = 2 / (2 + 1) = 2/3.
    assert per_image["f1_50"].tolist() == pytest.approx([1.0, 2 / 3])


def test_a_region_array_in_a_zarr_group_is_found_beside_its_truth(tmp_path):
    """The truth group holds img1 and its region img1_region (columns 0..9): object 2
    (columns 12..15) is outside, so the prediction missing it scores TP 1 of n_true 1."""
    truth = zarr.open_group(str(tmp_path / "gt"), mode="w", zarr_format=3)
    truth.create_array("img1", shape=(20, 20), dtype=np.uint16)[...] = squares()
    region = np.zeros((20, 20), np.uint8)
    region[:, :10] = 1
    truth.create_array("img1_region", shape=(20, 20), dtype=np.uint8)[...] = region
    preds = zarr.open_group(str(tmp_path / "p"), mode="w", zarr_format=2)
    only_left = squares() * (squares() == 1)
    preds.create_array("img1", shape=(20, 20), dtype=np.uint16)[...] = only_left
    pairing = pair_files(tmp_path / "gt", tmp_path / "p", region_suffix="_region")
    assert pairing.names == ["img1"] and pairing.ignored == []
    result = evaluate_files(pairing, iou_thresholds=[0.5])
    assert result.per_image[["n_true", "n_pred", "f1_50"]].values.tolist() == [[1, 1, 1.0]]


def test_a_plain_group_inside_a_zarr_group_is_still_a_subfolder(tmp_path):
    """Only zarr images are files: a group without OME-Zarr metadata inside the store is a
    folder of its own, not searched (and said so)."""
    truth = tmp_path / "gt"
    write(truth, ["img1"])
    group = zarr.open_group(str(tmp_path / "preds"), mode="w", zarr_format=3)
    group.create_array("img1", shape=(20, 20), dtype=np.uint16)[...] = squares()
    group.create_group("plate1")
    pairing = pair_files(truth, tmp_path / "preds")
    assert pairing.names == ["img1"]
    assert pairing.subfolders == [tmp_path / "preds" / "plate1"]


# Nothing matched.


def test_the_command_line_says_no_pairs_matched_with_names_and_the_suffixes(tmp_path, capsys):
    write(tmp_path / "t", ["img0_gt", "img1_gt"])
    write(tmp_path / "p", ["bar_pred", "foo_pred"])
    out = tmp_path / "out"
    assert run(tmp_path / "t", tmp_path / "p", "--out", out, "--quiet") == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(
        "napari-seg-eval evaluate: error: nothing to evaluate: no file has a partner; no pairs "
        "matched: ground truth 'img0_gt', 'img1_gt'; prediction 'bar_pred', 'foo_pred' "
    )
    assert "--truth-suffix and --prediction-suffix" in last
    # The suffixes every name of a side ends with pair nothing here (img0 is not bar): said.
    assert last.endswith(
        "(every ground truth name ends with '_gt' and every prediction name ends with '_pred': "
        "--truth-suffix _gt --prediction-suffix _pred would pair none: the rest differ)."
    )
    assert not out.exists()


def test_the_suffix_guessed_ends_with_the_suffix_given(tmp_path):
    """Named without the truth suffix given ('_masks'), the truth names end with '_gt': the
    suffix to give is '_gt_masks', which with '_seg' pairs a (1 pair: below half of the 2
    files of each side, so no hint)."""
    write(tmp_path / "t", ["a_gt_masks", "b_gt_masks"])
    write(tmp_path / "p", ["a_seg", "c_seg"])
    pairing = pair_files(tmp_path / "t", tmp_path / "p", truth_suffix="_masks")
    assert pairing.pairs == [] and pairing.suffix_hint is None
    assert pairing.no_match(command_line=True).endswith(
        "--truth-suffix _gt_masks --prediction-suffix _seg would make 1 pair(s))"
    )
    with pytest.raises(ValueError) as refused:
        evaluate_files(tmp_path / "t", tmp_path / "p", truth_suffix="_masks")
    assert "truth_suffix='_gt_masks', prediction_suffix='_seg' would make 1 pair(s)" in str(
        refused.value
    )
    # As the Dataset tab shows it: the boxes' words, no option.
    assert (
        "No pairs matched: ground truth 'a_gt', 'b_gt'; prediction 'a_seg', 'c_seg'"
        in pairing.describe()
    )
    assert "'_gt_masks' as the truth suffix and '_seg' as the prediction suffix" in (
        pairing.describe()
    )


def test_names_without_a_common_suffix_get_the_options_only(tmp_path):
    write(tmp_path / "t", ["a", "b", "c", "d"])
    write(tmp_path / "p", ["w", "x"])
    text = pair_files(tmp_path / "t", tmp_path / "p").no_match(command_line=True)
    assert text == (
        "no pairs matched: ground truth 'a', 'b', 'c' and 1 more; prediction 'w', 'x' (names "
        "without extension, prefix and suffix; case matters); give as --truth-suffix and "
        "--prediction-suffix (or the prefixes) the parts of the names that mark each side, so "
        "that the rest are the same"
    )


@pytest.fixture
def dataset(make_napari_viewer):
    pytest.importorskip("napari")
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return widget.dataset


def test_the_dataset_tab_says_no_pairs_matched(dataset, tmp_path, errors):
    write(tmp_path / "t", ["img0_gt", "img1_gt"])
    write(tmp_path / "p", ["bar_pred", "foo_pred"])
    dataset.set_folders(truth=tmp_path / "t", prediction=tmp_path / "p")
    text = dataset.pairs_text.toPlainText()
    assert "No pairs matched: ground truth 'img0_gt', 'img1_gt'" in text
    assert "'_gt' as the truth suffix and '_pred' as the prediction suffix" in text
    assert dataset.run(wait=True) is None
    assert len(errors) == 1 and "No pairs matched" in errors[0]


# Names that differ only in case.


def test_names_differing_in_case_are_named_not_paired(tmp_path):
    write(tmp_path / "t", ["Img1", "img2"])
    write(tmp_path / "p", ["img1", "img2"])
    pairing = pair_files(tmp_path / "t", tmp_path / "p")
    assert pairing.names == ["img2"]
    assert pairing.case_differs == [(tmp_path / "t" / "Img1.tif", tmp_path / "p" / "img1.tif")]
    assert (
        "1 ground truth file(s) named as a prediction but for the case of some letters, not "
        "paired (names are compared as written): Img1.tif / img1.tif; rename one of each to "
        "pair them." in pairing.describe()
    )


def test_names_differing_only_in_case_are_said_not_hinted_as_prefixes(tmp_path, capsys):
    write(tmp_path / "t", ["Img1"])
    write(tmp_path / "p", ["img1"])
    pairing = pair_files(tmp_path / "t", tmp_path / "p")
    assert pairing.suffix_hint is None  # not "give --truth-prefix Img --prediction-prefix img"
    assert run(tmp_path / "t", tmp_path / "p", "--out", tmp_path / "o", "--quiet") == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "napari-seg-eval evaluate: error: nothing to evaluate: no file has a partner; no pairs "
        "matched: 1 ground truth file(s) named as a prediction but for the case of some "
        "letters, not paired (names are compared as written): Img1.tif / img1.tif; rename one "
        "of each to pair them."
    )


def test_two_files_of_one_side_differing_in_case_are_not_named(tmp_path):
    """``A.tif`` and ``a.tif`` in the truth beside ``a.tif``: which one is meant is a guess,
    and one pairs as written."""
    write(tmp_path / "t", ["A", "a", "B"])
    write(tmp_path / "p", ["a", "b"])
    pairing = pair_files(tmp_path / "t", tmp_path / "p")
    assert pairing.names == ["a"]
    assert pairing.case_differs == [(tmp_path / "t" / "B.tif", tmp_path / "p" / "b.tif")]


# Region masks of two single files.


def test_both_forms_of_a_region_mask_fail_single_files_as_folders(tmp_path):
    region = np.ones((20, 20), np.uint8)
    for folder in (tmp_path / "single", tmp_path / "t"):
        write(folder, ["a_masks"])
        write(folder, ["a_heldout", "a_masks_heldout"], region)
    write(tmp_path / "single", ["a_cp_masks"])
    write(tmp_path / "p", ["a_cp_masks"])
    suffixes = {"truth_suffix": "_masks", "prediction_suffix": "_cp_masks"}
    single = evaluate_files(
        tmp_path / "single" / "a_masks.tif",
        tmp_path / "single" / "a_cp_masks.tif",
        region_suffix="_heldout",
        **suffixes,
    )
    folders = evaluate_files(tmp_path / "t", tmp_path / "p", region_suffix="_heldout", **suffixes)
    for result, folder in ((single, tmp_path / "single"), (folders, tmp_path / "t")):
        assert result.per_image["error"].tolist() == [
            f"2 region masks of a_masks.tif: {folder / 'a_masks_heldout.tif'}, "
            f"{folder / 'a_heldout.tif'} (each named as the file or the pair, plus '_heldout'); "
            "keep one, moving or renaming the other (or give the one to use as the region of "
            "every pair, without the region suffix)."
        ]
