"""fix107: Cellpose's pickled ``_seg.npy`` refused unread with advice, the suffix hint on
Cellpose's real layouts (raw image beside the masks, ``_seg.npy`` beside the masks), and
the pooled DET counts of a run of slices only left empty."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tifffile

from napari_seg_eval.io import FileReadError, evaluate_files, pair_files
from napari_seg_eval.io.read import FileNotice, read_labels


class _Unpickled(Exception):
    """Raised if the test's pickle is ever unpickled."""


class _Trap:
    """An object whose unpickling raises: a file holding it must never be unpickled."""

    def __reduce__(self):
        return (_explode, ())


def _explode():
    raise _Unpickled("the file was unpickled")


def cellpose_seg(path) -> None:
    """A file as Cellpose's ``_seg.npy``: a 0-d object array holding a dict (plus a trap)."""
    data = {"masks": np.ones((4, 4), np.uint16), "trap": _Trap()}
    with open(path, "wb") as file:
        np.lib.format.write_array(file, np.array(data, dtype=object), allow_pickle=True)


def labels(path, image=None) -> None:
    """A small label TIFF (one object) at ``path``."""
    if image is None:
        image = np.zeros((4, 4), np.uint16)
        image[:2, :2] = 1
    tifffile.imwrite(path, image)


def test_seg_npy_is_refused_unread_naming_it_with_cellposes_masks_files(tmp_path):
    path = tmp_path / "img1_seg.npy"
    cellpose_seg(path)
    with pytest.raises(FileReadError) as error:
        read_labels(path)  # never _Unpickled: the header alone tells
    text = str(error.value)
    assert str(path) in text and "Python objects" in text
    assert "img1_cp_masks.tif" in text and "--save_tif" in text and "_cp_masks" in text
    assert "memory-mapped" not in text  # numpy's own words are not the message


def test_any_object_npy_is_refused_as_not_a_label_image(tmp_path):
    path = tmp_path / "labels.npy"
    np.save(path, np.array([[1, None]], dtype=object), allow_pickle=True)
    with pytest.raises(FileReadError, match="not a label image") as error:
        read_labels(path)
    assert "Cellpose" not in str(error.value)  # not named _seg.npy


def test_the_pair_of_a_seg_npy_fails_with_the_advice(tmp_path):
    truth, pred = tmp_path / "img1_masks.tif", tmp_path / "img1_seg.npy"
    labels(truth)
    cellpose_seg(pred)
    result = evaluate_files(truth, pred)
    (error,) = result.per_image["error"].tolist()
    assert "img1_seg.npy" in error and "_cp_masks" in error


@pytest.fixture
def cellpose(tmp_path):
    """Cellpose's layout: a training folder of raw images with their masks, and Cellpose's
    output folder of masks (``--save_tif``) beside its ``_seg.npy`` files."""
    truth, pred = tmp_path / "train", tmp_path / "out"
    truth.mkdir()
    pred.mkdir()
    for name in ("img1", "img2", "img3"):
        labels(truth / f"{name}.tif", np.arange(16, dtype=np.uint16).reshape(4, 4))  # raw
        labels(truth / f"{name}_masks.tif")
        labels(pred / f"{name}_cp_masks.tif")
        cellpose_seg(pred / f"{name}_seg.npy")
    return truth, pred


def test_the_hint_names_masks_and_cp_masks_beside_raw_images_and_seg_npy(cellpose):
    truth, pred = cellpose
    pairing = pair_files(truth, pred)
    assert pairing.pairs == []
    hint = pairing.suffix_hint
    # Three masks on each side pair under _masks / _cp_masks.
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "_cp_masks", 3)
    # Following it pairs them, the raw images as the pairs' images.
    pairing = pair_files(truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks")
    assert pairing.names == ["img1", "img2", "img3"]
    assert sorted(path.name for path in pairing.images) == ["img1.tif", "img2.tif", "img3.tif"]


@pytest.mark.parametrize("keep", ["raw", "npy"])
def test_either_neighbour_alone_keeps_the_hint(cellpose, keep):
    truth, pred = cellpose
    for path in [*truth.glob("img?.tif"), *pred.glob("*_seg.npy")]:
        if (keep == "raw") != (path.suffix == ".tif"):
            path.unlink()
    hint = pair_files(truth, pred).suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "_cp_masks", 3)


def test_cellposes_output_figure_does_not_tie_with_the_masks(cellpose):
    truth, pred = cellpose
    for name in ("img1", "img2", "img3"):  # --save_png's figure, named as the masks are
        labels(pred / f"{name}_cp_output.tif")
    hint = pair_files(truth, pred).suffix_hint
    # _cp_masks ends with the truth's _masks; _cp_output does not.
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "_cp_masks", 3)
    # Without such an end, two suffixes pairing as many are two guesses: no hint.
    other_truth, other_pred = truth.parent / "t", truth.parent / "p"
    other_truth.mkdir()
    other_pred.mkdir()
    for name in ("a", "b"):
        labels(other_truth / f"{name}.tif")
        labels(other_truth / f"{name}_gt.tif")
        labels(other_pred / f"{name}_one.tif")
        labels(other_pred / f"{name}_two.tif")
    assert pair_files(other_truth, other_pred).suffix_hint is None


def test_a_run_of_slices_only_leaves_the_pooled_det_counts_empty(tmp_path):
    truth, pred = tmp_path / "SEG", tmp_path / "RES"
    truth.mkdir()
    pred.mkdir()
    # Plane 1 of frame 0 annotated: T1 (rows 0-1, cols 0-1) found exactly, T2 (row 4) missed,
    # and the result's object 7 spurious: a 2-D run would count fn 1, fp 1.
    plane = np.zeros((5, 5), np.uint16)
    plane[0:2, 0:2] = 1
    plane[4, :] = 2
    volume = np.zeros((3, 5, 5), np.uint16)
    volume[1, 0:2, 0:2] = 3
    volume[1, 2, 4] = 7
    tifffile.imwrite(truth / "man_seg_000_001.tif", plane)
    tifffile.imwrite(pred / "mask000.tif", volume, photometric="minisblack")
    with pytest.warns(FileNotice, match="DET is not"):
        result = evaluate_files(truth, pred, preset="ctc")
    pooled = result.tables["ctc_pooled"].iloc[0]
    # SEG (1 + 0) / 2 true objects = 1/2, n_true 2, n_pred 2 (3 and 7 on the plane).
    assert pooled["seg"] == pytest.approx(1 / 2)
    assert (pooled["n_true"], pooled["n_pred"]) == (2, 2)
    # No whole frame: DET and every count behind it are empty, not 0.
    for key in ("det", "fn", "fp", "ns", "aogm_d", "aogm_d0"):
        assert math.isnan(pooled[key]), key
