"""Reading files, pairing them by name, and evaluating folders (napari_seg_eval.io)."""

from __future__ import annotations

import inspect
import json
import os
import warnings
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr

from napari_seg_eval import (
    dataset_metrics,
    instance_metrics,
    label_instances,
    make_sample_data,
    threshold_probabilities,
)
from napari_seg_eval.core.blocks import is_lazy
from napari_seg_eval.core.overlap import binarized_table, overlap_table
from napari_seg_eval.io import (
    FileNotice,
    FileReadError,
    OneFolderError,
    Progress,
    evaluate_files,
    file_axes,
    file_pixel_size,
    pair_files,
    read_labels,
    read_probabilities,
    write_results,
)
from napari_seg_eval.io import evaluate as evaluate_module
from napari_seg_eval.io.evaluate import batches, evaluate_pair, file_settings
from napari_seg_eval.io.pairs import (
    SuffixHint,
    companion_suffix,
    folder_suffix_hint,
    suffix_hint,
)

THRESHOLDS = (0.5, 0.8)
#: A test cluster's scheduler serves HTTP on a free port (not 8787, which tests running at
#: the same time would share, with a warning).
FREE_HTTP_PORT = {"dashboard_address": "127.0.0.1:0"}


def random_labels(rng: np.random.Generator, shape=(48, 40), n=6) -> np.ndarray:
    """Non-overlapping rectangles with ids 1..n on background 0."""
    labels = np.zeros(shape, np.uint16)
    for i in range(1, n + 1):
        r, c = rng.integers(0, shape[0] - 8), rng.integers(0, shape[1] - 8)
        h, w = rng.integers(3, 9, size=2)
        labels[r : r + h, c : c + w] = i
    return labels


def shifted(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible prediction: the labels shifted by a pixel, ids permuted, one object lost."""
    moved = np.roll(labels, shift=tuple(rng.integers(-1, 2, size=2)), axis=(0, 1))
    ids = rng.permutation(int(labels.max()) + 1)
    ids[0] = 0
    out = ids[moved].astype(np.uint32) * 3
    out[out == out.max()] = 0
    return out


def write_zarr(path, data, chunks=None):
    array = zarr.open_array(
        str(path), mode="w", shape=data.shape, dtype=data.dtype, chunks=chunks or data.shape
    )
    array[...] = data
    return path


def write_ome_zarr(path, image, labels=None):
    """A minimal OME-Zarr 0.4 image: multiscales 0 (full) and 1 (half); labels/cells."""
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update({"multiscales": [{"datasets": [{"path": "0"}, {"path": "1"}]}]})
    write_zarr(path / "0", image)
    write_zarr(path / "1", image[::2, ::2])
    if labels is not None:
        zarr.open_group(str(path / "labels"), mode="w").attrs.update({"labels": ["cells"]})
        cells = zarr.open_group(str(path / "labels" / "cells"), mode="w")
        cells.attrs.update({"multiscales": [{"datasets": [{"path": "0"}]}]})
        write_zarr(path / "labels" / "cells" / "0", labels)
    return path


# --- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tif", "tiled.tif", "ome.tif", "png", "npy", "zarr"])
def test_read_labels_every_format(tmp_path, fmt):
    labels = random_labels(np.random.default_rng(1), shape=(300, 260), n=9)
    path = tmp_path / f"a.{fmt}"
    if fmt == "tif":
        tifffile.imwrite(path, labels)
    elif fmt == "tiled.tif":
        tifffile.imwrite(path, labels, tile=(128, 128))
    elif fmt == "ome.tif":
        tifffile.imwrite(path, labels, ome=True)
    elif fmt == "png":
        iio.imwrite(path, labels)
    elif fmt == "npy":
        np.save(path, labels)
    else:
        write_zarr(path, labels, chunks=(128, 128))
    array = read_labels(path)
    assert tuple(array.shape) == labels.shape
    np.testing.assert_array_equal(array[...], labels)
    # Lazy where the format allows: tiled TIFF and zarr via zarr, NPY memory-mapped.
    assert is_lazy(array) == (fmt in ("tiled.tif", "zarr"))
    assert isinstance(array, np.memmap) == (fmt == "npy")


def test_read_ome_zarr_level0_and_labels(tmp_path):
    image = np.arange(12 * 10, dtype=np.float32).reshape(12, 10) / 120
    cells = np.zeros((12, 10), np.uint32)
    cells[2:5, 3:7] = 4
    path = write_ome_zarr(tmp_path / "img.ome.zarr", image, cells)
    np.testing.assert_array_equal(read_labels(path)[...], cells)  # labels under labels/
    np.testing.assert_array_equal(read_probabilities(path)[...], image)  # level 0, not level 1


def test_read_ome_zarr_05_metadata_under_ome(tmp_path):
    path = tmp_path / "img.zarr"
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update({"ome": {"multiscales": [{"datasets": [{"path": "s0"}]}]}})
    labels = np.eye(6, dtype=np.uint8)
    write_zarr(path / "s0", labels)
    np.testing.assert_array_equal(read_labels(path)[...], labels)


def test_zarr_group_without_array_names_the_path(tmp_path):
    path = tmp_path / "empty.zarr"
    group = zarr.open_group(str(path), mode="w")
    write_zarr(path / "a", np.zeros((3, 3), np.uint8))
    write_zarr(path / "b", np.zeros((3, 3), np.uint8))
    with pytest.raises(FileReadError, match=r"empty\.zarr.*without an image array.*a, b"):
        read_labels(path)
    del group
    (tmp_path / "nothing.zarr").mkdir()
    with pytest.raises(FileReadError, match=r"nothing\.zarr"):
        read_labels(tmp_path / "nothing.zarr")


def test_file_axes_from_tiff_and_ome_zarr_metadata(tmp_path):
    frames = np.zeros((2, 3, 3), np.uint8)
    tifffile.imwrite(tmp_path / "movie.tif", frames, imagej=True, metadata={"axes": "TYX"})
    tifffile.imwrite(tmp_path / "stack.tif", frames, imagej=True, metadata={"axes": "ZYX"})
    np.save(tmp_path / "plain.npy", frames)
    assert file_axes(tmp_path / "movie.tif") == "TYX"
    assert file_axes(tmp_path / "stack.tif") == "ZYX"
    assert file_axes(tmp_path / "plain.npy") is None
    # OME-Zarr: the axes of the multiscale image; reading labels, those of the label image.
    path = tmp_path / "img.ome.zarr"
    group = zarr.open_group(str(path), mode="w")
    axes = [{"name": "t", "type": "time"}, {"name": "y", "type": "space"}, {"name": "x"}]
    group.attrs.update({"multiscales": [{"axes": axes, "datasets": [{"path": "0"}]}]})
    write_zarr(path / "0", frames)
    assert file_axes(path) == "TYX"
    cells = zarr.open_group(str(path / "labels" / "cells"), mode="w")
    cells.attrs.update({"multiscales": [{"axes": ["z", "y", "x"], "datasets": [{"path": "0"}]}]})
    zarr.open_group(str(path / "labels"), mode="a").attrs.update({"labels": ["cells"]})
    write_zarr(path / "labels" / "cells" / "0", frames)
    assert file_axes(path) == "ZYX"
    assert file_axes(path, labels=False) == "TYX"
    # An axis named frame (no type) is time too, as in the dock.
    path = tmp_path / "movie.ome.zarr"
    group = zarr.open_group(str(path), mode="w")
    axes = [{"name": "Frame"}, {"name": "y", "type": "space"}, {"name": "x"}]
    group.attrs.update({"multiscales": [{"axes": axes, "datasets": [{"path": "0"}]}]})
    write_zarr(path / "0", frames)
    assert file_axes(path) == "TYX"


def test_float_label_file_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "prob.tif"
    tifffile.imwrite(path, np.array([[0.0, 0.25], [0.5, 1.0]], np.float32))
    with pytest.raises(FileReadError, match=r"prob\.tif.*integers.*float32.*probability map"):
        read_labels(path)


def test_float_labels_of_whole_numbers_say_to_cast_them(tmp_path):
    # MATLAB / ImageJ exports: float32 labels 0, 1, 2, 7. Refused (never cast silently), with
    # what to do. The message states the range (0 to 7) seen in the values.
    labels = np.array([[0, 1, 2], [7, 7, 0]], np.float32)
    tifffile.imwrite(tmp_path / "exported.tif", labels)
    with pytest.raises(FileReadError) as error:
        read_labels(tmp_path / "exported.tif")
    message = str(error.value)
    assert message.startswith(str(tmp_path / "exported.tif"))
    assert "they are all whole numbers (0 to 7): cast them to integers" in message
    assert "`tifffile.imwrite(p, a.astype(np.uint32))`" in message
    assert "probabilit" not in message  # 7 is no probability
    np.save(tmp_path / "exported.npy", labels)  # a memory map: every value looked at
    with pytest.raises(FileReadError, match=r"whole numbers \(0 to 7\).*np\.save\(p, a\.astype"):
        read_labels(tmp_path / "exported.npy")
    # A zarr array: only its first chunk is read (rows 0-1 here: 0 to 3), and said so.
    big = np.zeros((4, 3), np.float32)
    big[:2] = [[0, 1, 3], [3, 2, 0]]
    big[2:] = 0.5  # the second chunk is not whole, and not looked at
    write_zarr(tmp_path / "exported.zarr", big, chunks=(2, 3))
    with pytest.raises(
        FileReadError, match=r"the first chunk's values are whole numbers \(0 to 3\)"
    ):
        read_labels(tmp_path / "exported.zarr")


def test_float_labels_that_are_neither_labels_nor_probabilities(tmp_path):
    tifffile.imwrite(tmp_path / "odd.tif", np.array([[0.0, 2.5], [7.25, 1.0]], np.float32))
    with pytest.raises(FileReadError) as error:
        read_labels(tmp_path / "odd.tif")
    message = str(error.value)
    assert "(all: 0 to 7.25, not all whole numbers) look like neither labels" in message
    assert "This looks like a probability map" not in message
    tifffile.imwrite(tmp_path / "nan.tif", np.array([[0.0, np.nan]], np.float32))
    with pytest.raises(FileReadError, match=r"nan\.tif.*include NaN or infinity"):
        read_labels(tmp_path / "nan.tif")
    # 0 and 1 only: labels stored as floats, or a probability map: both said.
    tifffile.imwrite(tmp_path / "mask.tif", np.array([[0.0, 1.0]], np.float32))
    with pytest.raises(FileReadError, match=r"whole numbers \(0 to 1\).*If it is a probability"):
        read_labels(tmp_path / "mask.tif")


def test_unreadable_and_missing_files(tmp_path):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff at all")
    with pytest.raises(FileReadError, match=r"broken\.tif: cannot be read"):
        read_labels(broken)
    with pytest.raises(FileReadError, match=r"missing\.png: no such file"):
        read_labels(tmp_path / "missing.png")
    with pytest.raises(FileReadError, match="unknown file type"):
        (tmp_path / "a.jpg").write_bytes(b"")
        read_labels(tmp_path / "a.jpg")


def test_integer_probabilities_are_scaled_with_a_notice(tmp_path):
    values = np.array([[0, 128, 255]], np.uint8)
    np.save(tmp_path / "p.npy", values)
    with pytest.warns(UserWarning, match="value / 255"):
        prob = read_probabilities(tmp_path / "p.npy")
    np.testing.assert_array_equal(prob[...], values / 255)  # float64: 51 / 255 is 0.2
    np.save(tmp_path / "labels.npy", np.zeros((2, 2), np.int32))
    with pytest.raises(FileReadError, match="int32"):
        read_probabilities(tmp_path / "labels.npy")


@pytest.mark.filterwarnings("ignore:.*holds one value per object")  # it does: flat objects
@pytest.mark.filterwarnings("ignore:.*has no pixel above the threshold")  # at 0.8: none
@pytest.mark.parametrize("lazy", [False, True], ids=["memory", "chunked"])
@pytest.mark.parametrize(("threshold", "n_pred"), [(0.2, 3), (0.4, 2), (0.6, 1), (0.8, 0)])
def test_integer_probabilities_exactly_at_the_threshold_are_not_above_it(
    tmp_path, threshold, n_pred, lazy
):
    """Four objects of uint8 values 51, 102, 153, 204: exactly 0.2, 0.4, 0.6 and 0.8. At
    threshold t, ``p > t`` keeps the objects above t only (t = 0.6: the one at 0.8). Scaled in
    float32, 153 / 255 was 0.6000000238 and counted above 0.6 (one object too many at each
    threshold), unlike the dock and ``prob / 255`` in Python."""
    prob = np.zeros((5, 17), np.uint8)
    for i, value in enumerate((51, 102, 153, 204)):
        prob[1:4, 1 + 4 * i : 4 + 4 * i] = value
    truth = label_instances(prob > 0)
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    np.save(tmp_path / "t" / "a.npy", truth)
    if lazy:
        write_zarr(tmp_path / "p" / "a.zarr", prob, chunks=(3, 5))
    else:
        np.save(tmp_path / "p" / "a.npy", prob)
    with pytest.warns(UserWarning, match="value / 255"):
        result = evaluate_files(
            tmp_path / "t", tmp_path / "p", probability=True, threshold=threshold
        )
    row = result.per_image.iloc[0]
    assert (row["n_true"], row["n_pred"]) == (4, n_pred)
    assert row["f1_50"] == pytest.approx(2 * n_pred / (4 + n_pred))  # each kept one matches


# --- pairing -------------------------------------------------------------------------------


def touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        np.save(folder / name, np.zeros((2, 2), np.uint8)) if name.endswith(".npy") else (
            folder / name
        ).write_bytes(b"")
    return folder


def test_pair_cellpose_suffixes_in_two_folders(tmp_path):
    truth = touch(
        tmp_path / "truth", "a_masks.tif", "b_masks.tif", "c_masks.tif", "a.tif", "notes.tif"
    )
    pred = touch(tmp_path / "pred", "a_cp_masks.png", "b_cp_masks.png", "d_cp_masks.png")
    pairing = pair_files(truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks")
    assert pairing.names == ["a", "b"]
    assert pairing.pairs[0] == (truth / "a_masks.tif", pred / "a_cp_masks.png")
    assert pairing.unpaired_truth == [truth / "c_masks.tif"]
    assert pairing.unpaired_prediction == [pred / "d_cp_masks.png"]
    assert pairing.ignored == [truth / "notes.tif"]  # listed, not silently dropped
    assert pairing.images == [truth / "a.tif"]  # the image of the pair a, beside its masks
    text = pairing.describe()
    assert "c_masks.tif" in text and "d_cp_masks.png" in text and "notes.tif" in text
    assert "1 image file(s) named as the pairs (the images), not evaluated." in text


def test_a_suffix_no_file_carries_is_named(tmp_path):
    """A typo in a suffix ('_gt' where the files end in '_masks'): said, with its side."""
    truth = touch(tmp_path / "truth", "a_masks.tif", "b_masks.tif")
    pred = touch(tmp_path / "pred", "a.tif", "b.tif")
    pairing = pair_files(truth, pred, truth_suffix="_gt")
    assert pairing.pairs == [] and pairing.unmatched_suffixes == (("ground truth", "_gt"),)
    assert "No ground truth file's name ends with the ground truth suffix '_gt'" in (
        pairing.describe()
    )
    assert pair_files(truth, pred, truth_suffix="_masks").unmatched_suffixes == ()


def test_class_images_paired_as_label_images_are_pointed_out(tmp_path):
    """CoNIC-like folders (a.tif beside a_classes.tif) without class suffixes: the class images
    are paired with each other as label images; the description says so."""
    names = ("a.tif", "a_classes.tif", "b.tif", "b_classes.tif", "c.tif")
    truth, pred = touch(tmp_path / "truth", *names), touch(tmp_path / "pred", *names)
    pairing = pair_files(truth, pred)
    assert len(pairing) == 5
    assert "2 pair(s) are named as other pairs plus '_classes'" in pairing.describe()
    # numbered images are no companions, nor is one pair alone
    assert companion_suffix(["a", "a_2", "b", "b_2"]) is None
    assert companion_suffix(["a", "a_classes", "b"]) is None


def test_pair_cellpose_in_one_folder(tmp_path):
    # Cellpose writes img_cp_masks next to img; "_cp_masks" also ends with "_masks".
    folder = touch(tmp_path / "f", "x.tif", "x_masks.tif", "x_cp_masks.tif", "y_cp_masks.tif")
    pairing = pair_files(folder, folder, truth_suffix="_masks", prediction_suffix="_cp_masks")
    assert pairing.pairs == [(folder / "x_masks.tif", folder / "x_cp_masks.tif")]
    assert pairing.unpaired_truth == []
    assert pairing.unpaired_prediction == [folder / "y_cp_masks.tif"]
    assert pairing.images == [folder / "x.tif"]  # the image, not a file left unused
    assert pairing.ignored == []
    assert "neither suffix" not in pairing.describe()
    with pytest.raises(FileReadError, match="suffix"):
        pair_files(folder, folder)


def test_pair_longest_suffix_wins_in_separate_folders(tmp_path):
    # The images folder is the truth folder, which also holds Cellpose's output: x_cp_masks
    # ends with "_masks" too, but it is a prediction's name, not the truth "x_cp".
    truth = touch(tmp_path / "t", "x.tif", "x_masks.tif", "x_cp_masks.tif")
    pred = touch(tmp_path / "p", "x_cp_masks.tif")
    pairing = pair_files(truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks")
    assert pairing.pairs == [(truth / "x_masks.tif", pred / "x_cp_masks.tif")]
    assert pairing.unpaired_truth == []
    assert pairing.images == [truth / "x.tif"]
    assert pairing.ignored == [truth / "x_cp_masks.tif"]  # a prediction's name, not used


def test_pair_same_names_zarr_folders_and_duplicates(tmp_path):
    truth = touch(tmp_path / "t", "a.npy")
    write_zarr(truth / "b.ome.zarr", np.zeros((2, 2), np.uint8))
    pred = touch(tmp_path / "p", "a.npy")
    write_zarr(pred / "b.zarr", np.zeros((2, 2), np.uint8))
    pairing = pair_files(truth, pred)
    assert pairing.names == ["a", "b"]
    touch(pred, "a.tif")
    with pytest.raises(FileReadError, match=r"a\.npy and .*a\.tif have the same name"):
        pair_files(truth, pred)
    with pytest.raises(FileReadError, match="does not exist"):
        pair_files(tmp_path / "nope", pred)


def test_two_files_make_one_pair_whatever_their_names(tmp_path):
    touch(tmp_path, "gt.npy", "model_output.npy")
    pairing = pair_files(tmp_path / "gt.npy", tmp_path / "model_output.npy")
    assert pairing.pairs == [(tmp_path / "gt.npy", tmp_path / "model_output.npy")]


def test_names_that_differ_by_a_suffix_get_a_hint_never_a_pairing(tmp_path):
    # Cellpose's names given without suffixes: a, b and c would pair as a_masks / a_cp_masks.
    truth = touch(tmp_path / "t", "a_masks.npy", "b_masks.npy", "c_masks.npy", "d_masks.npy")
    pred = touch(tmp_path / "p", "a_cp_masks.npy", "b_cp_masks.npy", "c_cp_masks.npy")
    pairing = pair_files(truth, pred)
    assert pairing.pairs == [] and len(pairing.unpaired_truth) == 4  # nothing paired silently
    assert pairing.suffix_hint == SuffixHint("_masks", "_cp_masks", 3)
    # Second, right after the count: the list of unpaired files hid it in the Dataset tab.
    assert pairing.describe().splitlines()[:2] == [
        "0 pair(s) of files.",
        "The names differ by a suffix: truth '_masks', prediction '_cp_masks'; give them as "
        "the truth and prediction suffixes (3 pair(s) of files).",
    ]
    with pytest.raises(ValueError) as error:
        evaluate_files(truth, pred)
    assert (
        "no pairs of files to evaluate; the names differ by a suffix: give "
        "truth_suffix='_masks', prediction_suffix='_cp_masks' (3 pair(s))." in str(error.value)
    )
    assert "d_masks.npy" in str(error.value)  # the files left out are still listed
    # A suffix given already is not named again; a wrong one is named with its fix.
    given = pair_files(truth, pred, truth_suffix="_masks")
    assert (
        given.advice()
        == "the names differ by a suffix: give prediction_suffix='_cp_masks' (3 pair(s))"
    )
    wrong = pair_files(truth, pred, truth_suffix="_mask", prediction_suffix="_cp_masks")
    assert wrong.suffix_hint.options(command_line=True) == "--truth-suffix _masks"
    # A suffix on one side only.
    plain = touch(tmp_path / "plain", "a.npy", "b.npy")
    hint = pair_files(plain, pred).suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("", "_cp_masks", 2)
    assert hint.options() == "prediction_suffix='_cp_masks'"


def test_no_suffix_hint_for_names_that_do_not_differ_by_a_suffix(tmp_path):
    # Other names; numbers that differ (cell01 / cell03 is not cell0 + "1" / "3"); a suffix
    # that would pair only half of the files; one folder (its own message names suffixes).
    for truth_names, pred_names in (
        (["x.npy", "y.npy"], ["p.npy", "q.npy"]),
        (["cell01.npy", "cell02.npy"], ["cell03.npy", "cell04.npy"]),
        (["a_gt.npy", "b_gt.npy"], ["a_pred.npy", "z_pred.npy"]),
        # Image numbers and dates are not sides: "_001" / "_004" would pair image 1's truth
        # with image 4's prediction.
        (["cell_001.npy", "cell_002.npy", "cell_003.npy"], ["cell_004.npy"]),
        (["scan_2024-01-05.npy"], ["scan_2024-02-11.npy"]),
    ):
        truth = touch(tmp_path / "t", *truth_names)
        pred = touch(tmp_path / "p", *pred_names)
        pairing = pair_files(truth, pred)
        assert pairing.pairs == [] and pairing.suffix_hint is None
        assert "differ by a suffix" not in pairing.describe()
        for path in [*truth.iterdir(), *pred.iterdir()]:
            path.unlink()
    # One folder: its names are split in two (see the one-folder test below).
    folder = touch(tmp_path / "one", "a_masks.npy", "a_cp_masks.npy")
    pairing = pair_files(folder, folder, truth_suffix="_mask", prediction_suffix="_cp_mask")
    assert pairing.pairs == []
    assert pairing.suffix_hint == SuffixHint("_masks", "_cp_masks", 1, ("_mask", "_cp_mask"))


def test_one_folder_of_both_sides_names_the_suffixes_its_names_show(tmp_path):
    # img{i}-gt and img{i}-pred beside the image img0: no suffix given, the error says which
    # to give, in words (as the Dataset tab shows it) and as options.
    folder = touch(
        tmp_path / "dash",
        "img0.npy",
        *(f"img{i}-{s}.npy" for i in (0, 1, 2) for s in ("gt", "pred")),
    )
    with pytest.raises(OneFolderError) as error:
        pair_files(folder, folder)
    assert error.value.suffix_hint == SuffixHint("-gt", "-pred", 3)
    assert str(error.value) == (
        f"ground truth and predictions are both in {folder}: the names differ by a suffix: "
        "truth '-gt', prediction '-pred'; give them as the truth and prediction suffixes "
        "(3 pair(s) of files)."
    )
    assert error.value.text(command_line=False).endswith(
        "give truth_suffix='-gt', prediction_suffix='-pred' (3 pair(s))."
    )
    with pytest.raises(OneFolderError, match="differ by a suffix"):
        evaluate_files(folder, folder)  # the same error from the Python API
    # One suffix given that pairs nothing: the other is named; the given one says the sides
    # (here against the words of the names: the user's choice is followed).
    (folder / "img0.npy").unlink()  # else it would pair as img0-gt's prediction
    pairing = pair_files(folder, folder, truth_suffix="-gt")
    assert pairing.pairs == [] and pairing.advice() == (
        "the names differ by a suffix: give prediction_suffix='-pred' (3 pair(s))"
    )
    assert pair_files(folder, folder, truth_suffix="-pred").suffix_hint == SuffixHint(
        "-pred", "-gt", 3, ("-pred", "")
    )
    # Cellpose's folder without suffixes: "cp" says which is the prediction.
    cells = touch(
        tmp_path / "cells",
        "a.npy",
        "a_masks.npy",
        "a_cp_masks.npy",
        "b.npy",
        "b_masks.npy",
        "b_cp_masks.npy",
    )
    with pytest.raises(OneFolderError) as error:
        pair_files(cells, cells)
    assert error.value.suffix_hint == SuffixHint("_masks", "_cp_masks", 2)


def test_a_one_folder_hint_never_guesses(tmp_path):
    # Names that do not say which side is which: both ways, as the user must choose.
    colours = touch(tmp_path / "colours", "a_red.npy", "a_blue.npy", "b_red.npy", "b_blue.npy")
    with pytest.raises(OneFolderError) as error:
        pair_files(colours, colours)
    hint = error.value.suffix_hint
    assert hint == SuffixHint("_blue", "_red", 2, sided=False)
    assert "'_blue' and '_red', which do not say which marks the truth" in str(error.value)
    assert error.value.text(command_line=True).endswith(
        "give --truth-suffix _blue --prediction-suffix _red if '_blue' marks the ground truth, "
        "else the other way round (2 pair(s))."
    )
    # Two splits that pair as many files (flows beside Cellpose's masks): no hint, the
    # generic example.
    flows = touch(
        tmp_path / "flows",
        *(f"{n}{s}.npy" for n in "ab" for s in ("_masks", "_cp_masks", "_flows")),
    )
    with pytest.raises(OneFolderError, match=r"tell them apart \(e\.g\. '_masks'") as error:
        pair_files(flows, flows)
    assert error.value.suffix_hint is None
    # Numbers are not sides; a split pairing half the files or fewer is no hint.
    for i, names in enumerate(
        (
            ("cell_001.npy", "cell_002.npy", "cell_003.npy"),
            ("a_gt.npy", "a_pred.npy", "b_gt.npy", "c_gt.npy", "d_pred.npy", "e_pred.npy"),
        )
    ):
        folder = touch(tmp_path / f"case{i}", *names)
        with pytest.raises(OneFolderError) as error:
            pair_files(folder, folder)
        assert error.value.suffix_hint is None
    assert folder_suffix_hint([Path("x-gt.tif")]) is None


@pytest.mark.parametrize(
    ("truth_names", "pred_names", "expected"),
    [
        # A suffix starts at a separator: never inside a word ("rue" / "est", "s" / "_pred",
        # "" / "mentation" split words) nor a number ("1" / "2").
        (["img1_true", "img2_true"], ["img1_test", "img2_test"], ("_true", "_test")),
        (["a_labels", "b_labels"], ["a_label_pred", "b_label_pred"], ("_labels", "_label_pred")),
        (
            ["img1_seg", "img2_seg"],
            ["img1_segmentation", "img2_segmentation"],
            ("_seg", "_segmentation"),
        ),
        (["img1_c1", "img2_c1"], ["img1_c2", "img2_c2"], ("_c1", "_c2")),
        # ... at the first of a run of characters that are not letters or digits.
        (["a__gt", "b__gt"], ["a__pred", "b__pred"], ("__gt", "__pred")),
        (["a+gt", "b+gt"], ["a+pred", "b+pred"], ("+gt", "+pred")),
        (["a", "b"], ["a-pred", "b-pred"], ("", "-pred")),
    ],
)
def test_a_suffix_hint_never_splits_a_word_or_a_number(truth_names, pred_names, expected):
    hint = suffix_hint(
        [Path(f"t/{name}.tif") for name in truth_names],
        [Path(f"p/{name}.tif") for name in pred_names],
    )
    assert hint == SuffixHint(*expected, 2)


def test_names_are_compared_in_composed_unicode(tmp_path):
    # "é" as e + combining acute (NFD, as macOS keeps names) and as one code point (NFC): the
    # same name. The hint is "_gt" / "_seg", not "é_gt" / "é_seg", and those suffixes pair
    # the files by their composed names.
    truth = touch(tmp_path / "t", "cafe\u0301_gt.npy", "the\u0301_gt.npy")
    pred = touch(tmp_path / "p", "caf\u00e9_seg.npy", "th\u00e9_seg.npy")
    pairing = pair_files(truth, pred)
    assert pairing.suffix_hint == SuffixHint("_gt", "_seg", 2)
    paired = pair_files(truth, pred, truth_suffix="_gt", prediction_suffix="_seg")
    assert paired.names == ["caf\u00e9", "th\u00e9"]
    assert [t.name for t, _ in paired.pairs] == ["cafe\u0301_gt.npy", "the\u0301_gt.npy"]


def test_two_files_differing_only_in_unicode_form_are_named_as_such(tmp_path):
    # Two files of one folder that print the same: the error says why they are one name.
    truth = touch(tmp_path / "t", "cafe\u0301.npy", "caf\u00e9.npy")
    pred = touch(tmp_path / "p", "caf\u00e9.npy")
    with pytest.raises(FileReadError, match="differ only in how their accented letters"):
        pair_files(truth, pred)


# --- evaluating ----------------------------------------------------------------------------


def write_pairs(tmp_path, n=4, seed=0, fmt="tif"):
    rng = np.random.default_rng(seed)
    truths, preds = [], []
    for folder in ("truth", "pred"):
        (tmp_path / folder).mkdir()
    for i in range(n):
        true = random_labels(rng)
        pred = shifted(true, rng)
        truths.append(true)
        preds.append(pred)
        for folder, data in (("truth", true), ("pred", pred)):
            path = tmp_path / folder / f"img{i}.{fmt}"
            if fmt == "tif":
                tifffile.imwrite(path, data)
            elif fmt == "npy":
                np.save(path, data)
            elif fmt == "png":
                iio.imwrite(path, data.astype(np.uint16))
            else:
                write_zarr(path, data, chunks=(16, 16))
    return truths, preds


@pytest.mark.parametrize("fmt", ["tif", "npy", "png", "zarr"])
def test_evaluate_files_equals_dataset_metrics_on_arrays(tmp_path, fmt):
    truths, preds = write_pairs(tmp_path, fmt=fmt)
    result = evaluate_files(tmp_path / "truth", tmp_path / "pred", iou_thresholds=THRESHOLDS)
    expected = dataset_metrics(truths, preds, kind="instance", iou_thresholds=THRESHOLDS)
    dataset = result["instance"]
    pd.testing.assert_frame_equal(dataset.pooled, expected.pooled)
    pd.testing.assert_frame_equal(dataset.image_mean, expected.image_mean)
    pd.testing.assert_series_equal(dataset.summary, expected.summary)
    for i, (true, pred) in enumerate(zip(truths, preds, strict=True)):
        single = instance_metrics(true, pred, iou_thresholds=THRESHOLDS).summary
        row = result.per_image.iloc[i]
        assert row["name"] == f"img{i}" and row["error"] == ""
        for key in ("n_true", "n_pred", "mean_accuracy", "f1_50", "aji"):
            assert row[key] == pytest.approx(single[key], nan_ok=True)


def test_semantic_and_all_kinds_equal_dataset_metrics(tmp_path):
    truths, preds = write_pairs(tmp_path, n=3, seed=5, fmt="npy")
    result = evaluate_files(tmp_path / "truth", tmp_path / "pred", kind="all")
    binary = dataset_metrics(
        [t > 0 for t in truths], [p > 0 for p in preds], kind="semantic"
    )  # foreground vs background by default
    pd.testing.assert_frame_equal(result["semantic"].pooled, binary.pooled)
    pd.testing.assert_series_equal(result["semantic"].summary, binary.summary)
    assert set(result.datasets) == {"instance", "semantic"}
    classes = evaluate_files(
        tmp_path / "truth", tmp_path / "pred", kind="semantic", binarize_semantic=False
    )
    by_value = dataset_metrics(truths, preds, kind="semantic")
    pd.testing.assert_frame_equal(classes["semantic"].pooled, by_value.pooled)


def test_hand_computed_two_images(tmp_path):
    """Image a: true 1 (16 px) vs pred 5 covering 12 of them (IoU 0.75); true 2 (10 px)
    missed; pred 6 (5 px) spurious. Image b: one object predicted exactly.
    At IoU 0.5: a has tp 1, fp 1, fn 1 (accuracy 1/3); b has tp 1 (accuracy 1).
    At IoU 0.8: a has tp 0, fp 2, fn 2 (accuracy 0); b accuracy 1.
    Pooled: 0.5 -> 2 / (2 + 1 + 1) = 0.5; 0.8 -> 1 / (1 + 2 + 2) = 0.2; mean 0.35.
    Image mean of the per-image mean accuracies: (1/6 + 1) / 2 = 7/12."""
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    true_a = np.zeros((20, 20), np.uint8)
    true_a[0:4, 0:4] = 1
    true_a[10:12, 10:15] = 2
    pred_a = np.zeros((20, 20), np.uint8)
    pred_a[0:3, 0:4] = 5
    pred_a[15:16, 0:5] = 6
    true_b = np.zeros((8, 8), np.uint8)
    true_b[2:5, 2:5] = 3
    for name, data in (("t/a", true_a), ("p/a", pred_a), ("t/b", true_b), ("p/b", true_b * 2)):
        tifffile.imwrite(tmp_path / f"{name}.tif", data)
    result = evaluate_files(tmp_path / "t", tmp_path / "p", iou_thresholds=THRESHOLDS)
    pooled = result["instance"].pooled
    assert pooled["tp"].tolist() == [2, 1]
    assert pooled["fp"].tolist() == [1, 2]
    assert pooled["fn"].tolist() == [1, 2]
    assert pooled["accuracy"].tolist() == pytest.approx([0.5, 0.2])
    summary = result.summary
    assert summary["mean_accuracy_pooled"] == pytest.approx(0.35)
    assert summary["mean_accuracy_image_mean"] == pytest.approx(7 / 12)
    assert result.per_image["mean_accuracy"].tolist() == pytest.approx([1 / 6, 1.0])
    assert summary["n_pairs"] == 2 and summary["n_failed"] == 0


def test_negative_label_ids_name_the_file(tmp_path):
    # x: truth with id -3 (TIFF, read whole); y: prediction with -3 (zarr of 4 chunks, read
    # chunk by chunk); z: fine. Each error names the file at fault; z is evaluated.
    negative = np.zeros((8, 8), np.int16)
    negative[1:4, 1:4] = -3
    fine = np.zeros((8, 8), np.int16)
    fine[1:4, 1:4] = 1
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    tifffile.imwrite(tmp_path / "t" / "x.tif", negative)
    tifffile.imwrite(tmp_path / "p" / "x.tif", fine)
    tifffile.imwrite(tmp_path / "t" / "y.tif", fine)
    write_zarr(tmp_path / "p" / "y.zarr", negative, chunks=(4, 4))
    tifffile.imwrite(tmp_path / "t" / "z.tif", fine)
    tifffile.imwrite(tmp_path / "p" / "z.tif", fine)
    for kind in ("instance", "semantic"):
        result = evaluate_files(tmp_path / "t", tmp_path / "p", kind=kind)
        errors = dict(zip(result.per_image["name"], result.per_image["error"], strict=True))
        assert errors["x"] == (
            f"{tmp_path / 't' / 'x.tif'}: the ground truth has negative label ids (min -3); "
            "ids must be >= 0."
        )
        assert errors["y"].startswith(f"{tmp_path / 'p' / 'y.zarr'}: the prediction has negative")
        assert errors["z"] == ""


def test_failing_pairs_are_recorded_and_the_others_are_right(tmp_path):
    truths, preds = write_pairs(tmp_path, n=3, fmt="tif")
    (tmp_path / "pred" / "img1.tif").write_bytes(b"garbage")  # unreadable
    tifffile.imwrite(
        tmp_path / "pred" / "img2.tif", np.zeros((3, 48, 40), np.uint8), photometric="minisblack"
    )  # 3-D
    tifffile.imwrite(tmp_path / "truth" / "img3.tif", np.zeros((4, 4), np.float32))  # float
    tifffile.imwrite(tmp_path / "pred" / "img3.tif", np.zeros((4, 4), np.uint8))
    tifffile.imwrite(tmp_path / "truth" / "img4.tif", np.zeros((4, 4), np.uint8))
    tifffile.imwrite(tmp_path / "pred" / "img4.tif", np.zeros((4, 5), np.uint8))
    result = evaluate_files(tmp_path / "truth", tmp_path / "pred", iou_thresholds=THRESHOLDS)
    errors = dict(zip(result.per_image["name"], result.per_image["error"], strict=True))
    assert errors["img0"] == ""
    assert "img1.tif: cannot be read" in errors["img1"]
    assert "img2.tif is 2-D (48, 40)" in errors["img2"] and "3-D (3, 48, 40)" in errors["img2"]
    assert "img3.tif: a label image must hold integers, found float32" in errors["img3"]
    assert "shapes differ" in errors["img4"] and "img4.tif (4, 5)" in errors["img4"]
    assert result.n_failed == 4
    assert result.failed["name"].tolist() == ["img1", "img2", "img3", "img4"]
    expected = dataset_metrics(truths[:1], preds[:1], iou_thresholds=THRESHOLDS)
    pd.testing.assert_frame_equal(result["instance"].pooled, expected.pooled)
    assert pd.isna(result.per_image.loc[1, "n_true"])


def test_probability_maps_are_thresholded_and_labelled(tmp_path):
    rng = np.random.default_rng(3)
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    truths, probs = [], []
    for i in range(2):
        true = random_labels(rng)
        prob = np.clip((true > 0) * 0.8 + rng.normal(0, 0.2, true.shape), 0, 1).astype(np.float32)
        tifffile.imwrite(tmp_path / "t" / f"{i}.tif", true)
        tifffile.imwrite(tmp_path / "p" / f"{i}.tif", prob)
        truths.append(true)
        probs.append(prob)
    result = evaluate_files(
        tmp_path / "t", tmp_path / "p", probability=True, threshold=0.6, min_size=3, kind="all"
    )
    labels = [label_instances(p > 0.6, connectivity=1, min_size=3) for p in probs]  # as the widget
    expected = dataset_metrics(truths, labels)
    pd.testing.assert_frame_equal(result["instance"].pooled, expected.pooled)
    semantic = dataset_metrics([t > 0 for t in truths], [p > 0.6 for p in probs], kind="semantic")
    pd.testing.assert_frame_equal(result["semantic"].pooled, semantic.pooled)
    # A label file given as probabilities is refused with its name.
    tifffile.imwrite(tmp_path / "p" / "0.tif", truths[0].astype(np.int32))
    again = evaluate_files(tmp_path / "t", tmp_path / "p", probability=True)
    assert "0.tif: a probability map must hold floats" in again.per_image.loc[0, "error"]


def test_chunked_files_are_read_chunk_by_chunk(tmp_path):
    """A zarr truth and a tiled TIFF prediction, both of many chunks: the tables are those of
    the images in memory, and the tasks done are reported up to the last."""
    rng = np.random.default_rng(8)
    true = random_labels(rng, shape=(200, 120), n=30)
    pred = shifted(true, rng)
    write_zarr(tmp_path / "t.zarr", true, chunks=(16, 64))
    tifffile.imwrite(tmp_path / "p.tif", pred, tile=(32, 32))
    calls = []
    settings = evaluate_module.FileSettings(kind="all")
    outcome = evaluate_pair(
        tmp_path / "t.zarr", tmp_path / "p.tif", settings, chunk_done=lambda *a: calls.append(a)
    )
    assert outcome.error is None
    assert calls and calls[-1][0] == calls[-1][1] > 26  # 13 x 2 chunks of the truth, at least
    expected = overlap_table(true, pred)
    for name in ("true_ids", "true_areas", "pair_true", "pair_pred", "pair_counts"):
        np.testing.assert_array_equal(
            getattr(outcome.tables["instance"], name), getattr(expected, name)
        )
    binary = overlap_table(true > 0, pred > 0)
    np.testing.assert_array_equal(outcome.tables["semantic"].pair_counts, binary.pair_counts)
    np.testing.assert_array_equal(outcome.tables["semantic"].true_areas, binary.true_areas)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_chunked_probability_map_equals_in_memory(tmp_path, dtype):
    """A probability map of many zarr chunks (float, or uint8 scaled lazily), with objects
    across chunk borders: thresholded, labelled, border-excluded and evaluated chunk by chunk,
    it gives the numbers of the same files read into memory (NPY)."""
    rng = np.random.default_rng(11)
    true = random_labels(rng, shape=(96, 80), n=25)
    noise = rng.uniform(0, 0.45, true.shape)
    prob = np.where(shifted(true, rng) > 0, 1 - noise, noise)
    prob = (prob * 255).astype(np.uint8) if dtype == np.uint8 else prob.astype(np.float32)
    for folder, chunks in (("lazy", (20, 24)), ("memory", None)):
        (tmp_path / folder / "t").mkdir(parents=True)
        (tmp_path / folder / "p").mkdir()
        if chunks:
            write_zarr(tmp_path / folder / "t" / "a.zarr", true, chunks=chunks)
            write_zarr(tmp_path / folder / "p" / "a.zarr", prob, chunks=(32, 16))
        else:
            np.save(tmp_path / folder / "t" / "a.npy", true)
            np.save(tmp_path / folder / "p" / "a.npy", prob)
    options = dict(kind="all", probability=True, min_size=4, exclude_border=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # uint8 maps are scaled, with a notice
        lazy = evaluate_files(tmp_path / "lazy" / "t", tmp_path / "lazy" / "p", **options)
        memory = evaluate_files(tmp_path / "memory" / "t", tmp_path / "memory" / "p", **options)
    assert lazy.n_failed == memory.n_failed == 0
    columns = [c for c in memory.per_image.columns if c not in ("truth", "prediction")]
    pd.testing.assert_frame_equal(lazy.per_image[columns], memory.per_image[columns])
    pd.testing.assert_series_equal(lazy.summary, memory.summary)
    # And the same as the core on arrays in memory.
    mask = threshold_probabilities(prob / 255 if dtype == np.uint8 else prob)
    expected = instance_metrics(true, label_instances(mask, min_size=4), exclude_border=2)
    assert lazy["instance"].per_image.loc[0, "mean_accuracy"] == expected.summary["mean_accuracy"]


def test_large_memory_map_of_probabilities_is_read_lazily(tmp_path, monkeypatch):
    monkeypatch.setattr("napari_seg_eval.io.read.LAZY_PIXELS", 100)
    np.save(tmp_path / "p.npy", np.full((20, 10), 128, np.uint8))
    with pytest.warns(UserWarning, match="read as value / 255"):
        prob = read_probabilities(tmp_path / "p.npy")
    assert is_lazy(prob) and prob.dtype == np.float64
    np.testing.assert_array_equal(prob.compute(), 128 / 255)


def test_integer_probability_maps_are_one_warning_per_run(tmp_path):
    """From Python the notice stays a warning: one per run and dtype, not one per file."""
    for folder in ("t", "p"):
        (tmp_path / folder).mkdir()
    true = np.zeros((8, 8), np.uint8)
    true[2:6, 2:6] = 1
    for name in ("a", "b"):
        np.save(tmp_path / "t" / f"{name}.npy", true)
        np.save(tmp_path / "p" / f"{name}.npy", true * np.uint8(255))
    np.save(tmp_path / "t" / "c.npy", true)
    np.save(tmp_path / "p" / "c.npy", true.astype(np.uint16) * np.uint16(65535))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files(tmp_path / "t", tmp_path / "p", probability=True)
    assert result.n_failed == 0
    assert [str(w.message) for w in caught if issubclass(w.category, UserWarning)] == [
        f"{tmp_path / 'p' / 'a.npy'}: uint8 probabilities are read as value / 255 "
        "(and 1 more file).",
        f"{tmp_path / 'p' / 'c.npy'}: uint16 probabilities are read as value / 65535.",
    ]


def four_squares() -> np.ndarray:
    """Four true 10 x 10 squares, ids 1 to 4."""
    true = np.zeros((24, 24), np.uint8)
    for label, (row, col) in enumerate([(1, 1), (1, 13), (13, 1), (13, 13)], 1):
        true[row : row + 10, col : col + 10] = label
    return true


def test_label_file_that_looks_like_a_probability_map_gets_a_notice(tmp_path):
    """A uint8 prediction whose 20 values each touch all 4 true objects, covering a twentieth
    of each, reads like a probability map: one notice (never an error). A label image of 20
    ids (each square cut in 5 stripes: every id inside one object) and a merge of the four
    squares into one id get none."""
    true = four_squares()
    rows, cols = np.indices(true.shape)
    looks = np.where(true > 0, 100 + (rows + cols) % 20, 0).astype(np.uint8)
    stripes = np.where(true > 0, (true - 1) * 5 + (rows % 12 - 1) // 2 + 1, 0).astype(np.uint8)
    merged = np.zeros_like(true)
    merged[1:23, 1:23] = 7
    for folder in ("t", "p", "labels", "merged"):
        (tmp_path / folder).mkdir()
    np.save(tmp_path / "t" / "a.npy", true)
    np.save(tmp_path / "p" / "a.npy", looks)
    np.save(tmp_path / "labels" / "a.npy", stripes)
    np.save(tmp_path / "merged" / "a.npy", merged)
    assert np.unique(stripes[true > 0]).size == 20
    with pytest.warns(FileNotice) as caught:
        result = evaluate_files(tmp_path / "t", tmp_path / "p", iou_thresholds=[0.5])
    assert result.n_failed == 0 and result.summary["n_pred"] == 20  # scored as labels
    assert [str(w.message) for w in caught] == [
        f"if {tmp_path / 'p' / 'a.npy'} is a probability map (0-255), add probability=True: "
        "its values were scored as object ids."
    ]
    # The same warning words it for the command line (which prints it, not a line of its own).
    assert caught[0].message.text({"probability": "--probability"}) == (
        f"if {tmp_path / 'p' / 'a.npy'} is a probability map (0-255), add --probability: "
        "its values were scored as object ids."
    )
    for folder in ("labels", "merged"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            assert evaluate_files(tmp_path / "t", tmp_path / folder).n_failed == 0


def test_binarized_table_is_foreground_against_background():
    true = np.array([[0, 1, 1, 2], [0, 0, 3, 3]], np.uint16)
    pred = np.array([[4, 4, 0, 2], [0, 0, 0, 0]], np.uint16)
    table = binarized_table(overlap_table(true, pred))
    # truth: 3 background, 5 foreground; pred: 5 background, 3 foreground; both: 2 pixels.
    assert table.true_areas.tolist() == [3, 5]
    assert table.pred_areas.tolist() == [5, 3]
    assert table.pair_counts.tolist() == [2]


def test_distributed_run_equals_serial_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    write_pairs(tmp_path, n=5, seed=2, fmt="npy")
    (tmp_path / "pred" / "img3.npy").write_bytes(b"broken")
    serial = evaluate_files(tmp_path / "truth", tmp_path / "pred", kind="all")
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=None,
            scheduler_kwargs=FREE_HTTP_PORT,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        clustered = evaluate_files(tmp_path / "truth", tmp_path / "pred", kind="all", client=client)
    pd.testing.assert_frame_equal(clustered.per_image, serial.per_image)
    for kind in ("instance", "semantic"):
        pd.testing.assert_frame_equal(clustered[kind].pooled, serial[kind].pooled)
        pd.testing.assert_frame_equal(clustered[kind].image_mean, serial[kind].image_mean)
    pd.testing.assert_series_equal(clustered.summary, serial.summary)
    assert serial.failed["name"].tolist() == ["img3"]


def test_small_pairs_are_batched_and_large_ones_sent_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate_module, "BATCH_BYTES", 100)
    monkeypatch.setattr(evaluate_module, "TASKS_PER_THREAD", 2)
    sizes = [10, 10, 10, 10, 10, 10, 10, 60, 10, 10]  # bytes of each of a pair's two files
    pairs = []
    for i, size in enumerate(sizes):
        pair = (tmp_path / f"t{i}.npy", tmp_path / f"p{i}.npy")
        for path in pair:
            path.write_bytes(b"x" * size)
        pairs.append(pair)
    (tmp_path / "t10.zarr").mkdir()  # a folder: alone
    pairs += [(tmp_path / "t10.zarr", tmp_path / "p0.npy"), (tmp_path / "missing", pairs[0][1])]
    # 12 pairs, 2 threads, 2 tasks per thread: at most 3 pairs a task; at most 100 bytes
    # (pairs of 20): pair 7 (120 bytes) alone, the folder and the missing file alone.
    assert batches(pairs, n_threads=2) == [
        range(0, 3),
        range(3, 6),
        range(6, 7),
        range(7, 8),
        range(8, 10),
        range(10, 11),
        range(11, 12),
    ]
    # 7 pairs, one thread, 2 tasks per thread: at most 4 pairs a task.
    assert batches(pairs[:7], n_threads=1) == [range(0, 4), range(4, 7)]


def test_a_batched_cluster_run_reports_every_pair_once_and_equals_the_serial_run(
    tmp_path, monkeypatch
):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(evaluate_module, "TASKS_PER_THREAD", 1)  # 7 pairs, 2 threads: 4 + 3
    write_pairs(tmp_path, n=7, seed=3, fmt="npy")
    (tmp_path / "pred" / "img5.npy").write_bytes(b"broken")
    options = {"kind": "all", "confidence_interval": 0.9}
    serial = evaluate_files(tmp_path / "truth", tmp_path / "pred", **options)
    seen = []

    class Recorded(Progress):
        def pair_done(self, done, total, name, error):
            seen.append((done, total, name, error is not None))

    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=None,
            scheduler_kwargs=FREE_HTTP_PORT,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        clustered = evaluate_files(
            tmp_path / "truth", tmp_path / "pred", client=client, progress=Recorded(), **options
        )
    pd.testing.assert_frame_equal(clustered.per_image, serial.per_image)
    for kind in ("instance", "semantic"):
        pd.testing.assert_frame_equal(clustered[kind].pooled, serial[kind].pooled)
        pd.testing.assert_frame_equal(clustered[kind].image_mean, serial[kind].image_mean)
    pd.testing.assert_series_equal(clustered.summary, serial.summary)
    assert [done for done, *_ in seen] == list(range(1, 8))
    assert {total for _, total, _, _ in seen} == {7}
    assert sorted(name for _, _, name, _ in seen) == [f"img{i}" for i in range(7)]
    assert [name for _, _, name, failed in seen if failed] == ["img5"]


def test_a_task_lost_on_the_cluster_fails_its_pairs_only(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(evaluate_module, "TASKS_PER_THREAD", 1)  # 4 pairs, 2 threads: 2 + 2
    write_pairs(tmp_path, n=4, seed=4, fmt="npy")
    real = evaluate_module._evaluate_pairs

    def lost(items, settings):
        if any(truth.endswith("img3.npy") for truth, _, _ in items):
            raise OSError("worker lost")
        return real(items, settings)

    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", lost)
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=None,
            scheduler_kwargs=FREE_HTTP_PORT,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = evaluate_files(tmp_path / "truth", tmp_path / "pred", client=client)
    assert result.failed["name"].tolist() == ["img2", "img3"]
    assert set(result.failed["error"]) == {"the task failed on the cluster: OSError: worker lost"}
    assert result["instance"].summary["n_images"] == 2


def test_settings_are_checked_before_any_file_is_read(tmp_path):
    with pytest.raises(ValueError, match="kind must be one of"):
        evaluate_files(tmp_path / "nothing", tmp_path / "nothing", kind="boundaries")
    with pytest.raises(ValueError, match=r"IoU thresholds must be in \(0, 1\]"):
        evaluate_files(tmp_path, tmp_path, iou_thresholds=[1.5])
    touch(tmp_path / "t", "a.npy")
    touch(tmp_path / "p", "b.npy")
    with pytest.raises(ValueError, match="no pairs"):
        evaluate_files(tmp_path / "t", tmp_path / "p")


def test_options_are_checked_before_the_files_are_listed(tmp_path):
    # file_settings refuses what evaluate_files refuses, before a folder is even looked at;
    # its keywords and defaults are evaluate_files' own.
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\], got 1.5"):
        file_settings(probability=True, threshold=1.5)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\], got 1.5"):
        evaluate_files(tmp_path / "nothing", tmp_path / "nothing", threshold=1.5)
    files = inspect.signature(evaluate_files).parameters
    settings = inspect.signature(file_settings).parameters
    assert {name: p.default for name, p in settings.items()} == {
        name: files[name].default for name in settings
    }
    not_settings = {"truth", "prediction", "client"}  # the suffixes are recorded settings
    assert set(files) - set(settings) == not_settings | {"progress"}


def empty_probability_folders(tmp_path):
    """Three pairs, one true 4 x 4 square each. Predictions: a and b are uint16 label images
    (ids 1 and 2, read as 1/65535 and 2/65535: nothing above 0.5), c a float map, 0.9 on the
    square; d's prediction has another shape (the pair fails, it is not counted)."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    true = np.zeros((8, 8), np.uint16)
    true[2:6, 2:6] = 1
    for name in "abcd":
        np.save(truth / f"{name}.npy", true)
    np.save(pred / "a.npy", true)
    np.save(pred / "b.npy", true * np.uint16(2))
    np.save(pred / "c.npy", np.where(true > 0, 0.9, 0.1).astype(np.float32))
    np.save(pred / "d.npy", np.zeros((4, 4), np.uint16))
    return truth, pred


@pytest.mark.parametrize("kind", ["instance", "semantic", "all"])
def test_probability_maps_empty_at_the_threshold_are_told(tmp_path, kind):
    truth, pred = empty_probability_folders(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files(truth, pred, kind=kind, probability=True)
    assert result.n_failed == 1
    told = [str(w.message) for w in caught if issubclass(w.category, FileNotice)]
    assert told[-1] == (
        f"2 of 3 predictions have no pixel above the threshold 0.5 ({pred / 'a.npy'} and 1 "
        "more): are they label images? (drop probability=True)."
    )


@pytest.mark.parametrize("fmt", ["npy", "zarr"])
@pytest.mark.parametrize(
    "options",
    [{}, {"exclude_border": 2}, {"preset": "neurips2022"}, {"region": True}, {"ignore_label": 5}],
)
def test_empty_probability_maps_are_told_only_when_nothing_is_above_anywhere(
    tmp_path, fmt, options
):
    # 16 x 16 pairs. label: a uint16 label image read as probabilities (id 1: 1/65535, nothing
    # above 0.5) while its truth has an object: told, whatever the options. The others are
    # probability maps: empty (an empty field of view: truth empty, p = 0.05 everywhere);
    # edge (its only object touches the edge: removed by a border of 2); outside (above the
    # threshold only in the right half, outside the region); ignored (above the threshold
    # only on truth pixels of the ignored id 5). None of them is a label image.
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    square = np.zeros((16, 16), np.uint16)
    square[2:6, 2:6] = 1
    edge, right, ignored = (np.zeros((16, 16), np.uint16) for _ in range(3))
    edge[:4, :4] = 1
    right[2:6, 10:14] = 1
    ignored[8:12, 2:6] = 5
    pairs = {
        "label": (square, square),
        "empty": (np.zeros_like(square), np.full((16, 16), 0.05, np.float32)),
        "edge": (edge, np.where(edge > 0, 0.9, 0.1).astype(np.float32)),
        "outside": (square, np.where(right > 0, 0.9, 0.1).astype(np.float32)),
        "ignored": (square + ignored, np.where(ignored > 0, 0.9, 0.1).astype(np.float32)),
        # weak: a float map below the threshold everywhere while its truth has an object (a
        # weak model, or --threshold above its maximum): a prediction, not a label image
        "weak": (square, np.where(square > 0, 0.45, 0.1).astype(np.float32)),
    }
    for name, (true, prob) in pairs.items():
        np.save(truth / f"{name}.npy", true)
        if fmt == "zarr":  # chunked: thresholded lazily
            write_zarr(pred / f"{name}.zarr", prob, chunks=(8, 8))
        else:
            np.save(pred / f"{name}.npy", prob)
    if options.get("region"):
        region = np.zeros((16, 16), np.uint8)
        region[:, :8] = 1
        np.save(tmp_path / "left.npy", region)
        options = {"region": tmp_path / "left.npy"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files(truth, pred, probability=True, **options)
    assert result.n_failed == 0
    told = [str(w.message) for w in caught if " predictions ha" in str(w.message)]
    assert told == [
        f"1 of 6 predictions has no pixel above the threshold 0.5 ({pred / ('label.' + fmt)}): "
        "is it a label image? (drop probability=True)."
    ]


def test_label_images_read_as_uint8_probabilities_are_told(tmp_path):
    """A uint8 label image read as probabilities keeps only the objects with ids above 127
    (id / 255 > 0.5): its objects are each one value, which probability maps' are not."""
    from scipy import ndimage

    data = make_sample_data(0)
    true, prob = data["ground_truth"].astype(np.uint16), data["probability"]
    labels = label_instances(prob > 0.5, connectivity=1)
    ids = np.where(labels > 0, labels + 110, 0).astype(np.uint8)
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    maps = {
        "ids": ids,
        # Probability maps: the package's sample scaled to uint8, a smooth (blurred) binary
        # image, a soft one (peaks at 0.75), one of five levels, and a binary 0 / 255 mask.
        "sample": np.rint(prob * 255),
        "blurred": np.rint(ndimage.gaussian_filter((true > 0).astype(float), 2) * 255),
        "soft": np.rint(prob * 0.75 * 255),
        "levels": np.rint(np.round(prob * 4) / 4 * 255),
        "binary": (true > 0) * 255,
        # Isolated one-pixel spikes (review): each object's area is the count of its value.
        "spikes": np.isin(np.arange(true.size), np.arange(40) * 997).reshape(true.shape)
        * (200 + np.arange(true.size) % 40).reshape(true.shape),
    }
    for name, values in maps.items():
        np.save(truth / f"{name}.npy", true)
        np.save(pred / f"{name}.npy", values.astype(np.uint8))
    np.save(truth / "lazy.npy", true)
    write_zarr(pred / "lazy.zarr", ids, chunks=(64, 64))  # read chunk by chunk
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files(truth, pred, probability=True, iou_thresholds=[0.5])
    told = [str(w.message) for w in caught if "one value per object" in str(w.message)]
    assert told == [
        f"2 of 8 predictions hold one value per object, as label images do ({pred / 'ids.npy'} "
        "and 1 more): read as probabilities, the objects with the smaller ids fall below the "
        "threshold 0.5 and are lost; are they label images? (drop probability=True)."
    ]
    # What is lost: the ids 111..127 (labels 1..17) are not above 0.5.
    kept = int((np.unique(labels) > 17).sum())
    per_image = result.per_image.set_index("name")
    assert per_image.loc["ids", "n_pred"] == per_image.loc["lazy", "n_pred"] == kept
    assert kept < labels.max()
    # Without a sign of a label image (a float map, or label values read as labels): nothing.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_files(truth / "ids.npy", pred / "ids.npy", iou_thresholds=[0.5])
    assert not [w for w in caught if "one value per object" in str(w.message)]


def test_one_empty_probability_map_and_objects_removed_by_min_size(tmp_path):
    truth, pred = empty_probability_folders(tmp_path)
    (pred / "b.npy").unlink()
    with pytest.warns(FileNotice) as caught:
        evaluate_files(truth, pred, probability=True)
    assert str(caught[-1].message) == (
        f"1 of 2 predictions has no pixel above the threshold 0.5 ({pred / 'a.npy'}): is it a "
        "label image? (drop probability=True)."
    )
    # c's object has 16 pixels: min_size 17 leaves no object, but its pixels are above the
    # threshold: a probability map, not counted.
    with pytest.warns(FileNotice) as caught:
        evaluate_files(truth, pred, probability=True, min_size=17)
    assert str(caught[-1].message).startswith("1 of 2 predictions has no pixel above")
    with pytest.warns(FileNotice) as caught:  # every map has something above 0
        evaluate_files(truth, pred, probability=True, threshold=0.0)
    # The uint16 maps: a, and d (its pair fails, but its file was read as one: a pair's
    # notices are kept when it fails, as they may say why).
    assert [str(w.message) for w in caught] == [
        f"{pred / 'a.npy'}: uint16 probabilities are read as value / 65535 (and 1 more file)."
    ]


def test_a_cluster_names_the_files_as_given_in_errors_and_notices(tmp_path, monkeypatch):
    """Workers read the files by absolute path; the errors and notices they give name them
    as the serial run does, as they were given (here relative to the current folder)."""
    distributed = pytest.importorskip("distributed")
    empty_probability_folders(tmp_path)
    monkeypatch.chdir(tmp_path)

    def run(**options):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = evaluate_files("truth", "pred", probability=True, **options)
        return result, [str(w.message) for w in caught if issubclass(w.category, FileNotice)]

    serial, serial_notices = run()
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs=FREE_HTTP_PORT,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        clustered, clustered_notices = run(client=client)
    error = os.path.join("pred", "d.npy")
    assert serial.failed["error"].tolist() == [
        f"shapes differ: {os.path.join('truth', 'd.npy')} (8, 8) vs {error} (4, 4); they must "
        "cover the same pixels."
    ]
    pd.testing.assert_frame_equal(clustered.per_image, serial.per_image)
    assert clustered_notices == serial_notices
    assert serial_notices[0] == (  # a, b and the failing d: uint16 maps
        f"{os.path.join('pred', 'a.npy')}: uint16 probabilities are read as value / 65535 "
        "(and 2 more files)."
    )


# --- writing -------------------------------------------------------------------------------


def test_result_folder_is_written_whole_and_never_over_results(tmp_path):
    write_pairs(tmp_path, n=2, fmt="npy")
    result = evaluate_files(tmp_path / "truth", tmp_path / "pred", kind="all")
    out = write_results(result, tmp_path / "out", command=["evaluate", "t", "p"])
    assert sorted(p.name for p in out.iterdir()) == [
        "instance_image_mean.csv",
        "instance_per_image_rows.csv",
        "instance_pooled.csv",
        "per_image.csv",
        "semantic_image_mean.csv",
        "semantic_per_image_rows.csv",
        "semantic_pooled.csv",
        "settings.json",
        "summary.csv",
    ]
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert per_image.columns[:4].tolist() == ["name", "truth", "prediction", "error"]
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "instance_pooled.csv"), result["instance"].pooled, check_dtype=False
    )
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "mean_accuracy_pooled"] == pytest.approx(
        result.summary["mean_accuracy_pooled"]
    )
    record = json.loads((out / "settings.json").read_text())
    assert record["command"] == ["evaluate", "t", "p"]
    assert record["settings"]["kind"] == "all"
    assert record["settings"]["iou_thresholds"][0] == 0.5
    assert [p["name"] for p in record["pairs"]] == ["img0", "img1"]
    assert set(record["versions"]) >= {"napari_seg_eval", "numpy", "scipy", "scikit-image", "dask"}
    # An existing result folder is kept unless overwrite=True; no staging folder is left.
    with pytest.raises(FileExistsError, match="already holds files") as error:
        write_results(result, out)
    # From Python the keyword is named, not the command line's flag.
    assert str(error.value).endswith("choose another folder or pass overwrite=True.")
    assert "--overwrite" not in str(error.value)
    with pytest.raises(FileExistsError, match=r"choose another folder or pass --overwrite\.$"):
        write_results(result, out, option="--overwrite")  # as the command line names it
    (out / "summary.csv").write_text("old")
    write_results(result, out, overwrite=True)
    assert (out / "summary.csv").read_text() != "old"  # a result file: replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "pred", "truth"]


def test_a_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    write_pairs(tmp_path, n=1, fmt="npy")
    result = evaluate_files(tmp_path / "truth", tmp_path / "pred")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    with pytest.raises(OSError, match="disk full"):
        write_results(result, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred", "truth"]


def test_no_warning_for_plain_runs(tmp_path):
    write_pairs(tmp_path, n=1, fmt="npy")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        evaluate_files(tmp_path / "truth", tmp_path / "pred")


@pytest.mark.parametrize("channel_axis", [0, -1])
def test_class_probabilities_chunk_by_chunk(tmp_path, channel_axis):
    """Multi-class maps with the class axis first or last: the chunks give the table of the
    whole image (argmax over classes, background where the top is not above 0.5)."""
    rng = np.random.default_rng(4)
    prob = rng.dirichlet(np.ones(3), size=(90, 50)).astype(np.float32)  # (y, x, class)
    prob = np.moveaxis(prob, -1, channel_axis)
    true = rng.integers(0, 4, size=(90, 50)).astype(np.uint8)
    write_zarr(tmp_path / "t.zarr", true, chunks=(10, 50))
    write_zarr(tmp_path / "p.zarr", prob, chunks=prob.shape)
    settings = evaluate_module.FileSettings(
        kind="semantic", probability=True, channel_axis=channel_axis, binarize_semantic=False
    )
    calls = []
    outcome = evaluate_pair(
        tmp_path / "t.zarr", tmp_path / "p.zarr", settings, chunk_done=lambda *a: calls.append(a)
    )
    assert outcome.error is None
    assert calls[-1][0] == calls[-1][1] > 9  # the truth's 9 chunks, and their sums
    classes = np.moveaxis(prob, channel_axis, -1)
    expected_labels = np.where(classes.max(-1) > 0.5, classes.argmax(-1) + 1, 0)
    expected = overlap_table(true, expected_labels.astype(np.uint8))
    table = outcome.tables["semantic"]
    np.testing.assert_array_equal(table.pair_counts, expected.pair_counts)
    np.testing.assert_array_equal(table.pred_areas, expected.pred_areas)


def test_a_result_folder_is_readable_by_others_as_mkdir_would_make_it(tmp_path):
    import os
    import stat

    from napari_seg_eval.io import write_results

    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    np.save(truth / "a.npy", np.eye(4, dtype=np.uint8))
    np.save(pred / "a.npy", np.eye(4, dtype=np.uint8))
    old = os.umask(0o022)
    try:
        folder = write_results(evaluate_files(truth, pred), tmp_path / "out")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_evaluate_files_coco_per_image_equals_coco_average_precision(tmp_path):
    from napari_seg_eval import coco_average_precision, label_instances, object_scores

    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    rng = np.random.default_rng(5)
    truths, probs = [], []
    for i in range(2):
        true = np.zeros((20, 20), np.uint16)
        prob = np.zeros((20, 20), np.float32)
        for k in range(1, 5):
            y, x = rng.integers(0, 16, 2)
            true[y : y + 4, x : x + 4] = k
            dy, dx = rng.integers(0, 2, 2)
            prob[y + dy : y + dy + 4, x + dx : x + dx + 4] = rng.uniform(0.55, 1.0)
        np.save(tmp_path / "t" / f"i{i}.npy", true)
        np.save(tmp_path / "p" / f"i{i}.npy", prob)
        truths.append(true)
        probs.append(prob)
    result = evaluate_files(tmp_path / "t", tmp_path / "p", preset="coco", probability=True)
    for i, (true, prob) in enumerate(zip(truths, probs, strict=True)):
        labels = label_instances(prob > 0.5, connectivity=1)
        expected = coco_average_precision(true, labels, object_scores(labels, prob))
        assert result.per_image.loc[i, "map"] == pytest.approx(expected.summary["map"])
    assert set(result.tables) == {"coco_pooled", "coco_image_mean"}


def test_evaluate_files_region_equals_dataset_metrics_with_region(tmp_path):
    from napari_seg_eval import dataset_metrics

    write_pairs(tmp_path, n=3, seed=4, fmt="npy")
    truths = [np.load(p) for p in sorted((tmp_path / "truth").glob("*.npy"))]
    preds = [np.load(p) for p in sorted((tmp_path / "pred").glob("*.npy"))]
    region = np.zeros(truths[0].shape, np.uint8)
    region[: region.shape[0] // 2] = 1
    np.save(tmp_path / "region.npy", region)
    result = evaluate_files(
        tmp_path / "truth", tmp_path / "pred", kind="all", region=tmp_path / "region.npy"
    )
    masks = [region > 0] * len(truths)
    expected = dataset_metrics(truths, preds, region=masks)
    pd.testing.assert_frame_equal(result["instance"].pooled, expected.pooled)
    foreground = [(t > 0).astype(np.uint8) for t in truths]
    predicted = [(p > 0).astype(np.uint8) for p in preds]
    expected = dataset_metrics(foreground, predicted, kind="semantic", region=masks)
    pd.testing.assert_frame_equal(result["semantic"].pooled, expected.pooled, check_dtype=False)
    assert result.settings.region == str((tmp_path / "region.npy").resolve())


def test_file_settings_of_the_new_options_are_checked_first(tmp_path):
    with pytest.raises(ValueError, match="spacing must be positive"):
        evaluate_files(tmp_path / "no", tmp_path / "no", boundary=True, spacing=(1, 0))
    with pytest.raises(ValueError, match="set boundary=True"):
        evaluate_files(tmp_path / "no", tmp_path / "no", spacing=2)
    with pytest.raises(ValueError, match="coco preset ranks"):
        evaluate_files(tmp_path / "no", tmp_path / "no", preset="coco")
    with pytest.raises(FileReadError, match="no such file"):
        evaluate_files(tmp_path / "no", tmp_path / "no", region=tmp_path / "no.npy")


def test_coco_pooled_ties_follow_pycocotools_image_order():
    """Equal scores across images: pycocotools' stable sort keeps the earlier image first."""
    from napari_seg_eval.io.evaluate import coco_pooled

    miss = {"scores": np.array([0.5]), "matched": np.array([[False]]), "n_true": 1}
    hit = {"scores": np.array([0.5]), "matched": np.array([[True]]), "n_true": 1}
    # miss first: precision 0 then 1/2 at recall 1/2 (recall 1 never reached): 51 points of 1/2
    assert coco_pooled([miss, hit], [0.5]).loc[0, "ap"] == pytest.approx(51 * 0.5 / 101)
    # hit first: precision 1 up to recall 1/2: 51 points of 1
    assert coco_pooled([hit, miss], [0.5]).loc[0, "ap"] == pytest.approx(51 / 101)


def test_a_cluster_whose_workers_run_elsewhere_reads_relative_paths(tmp_path, monkeypatch):
    # The folders and the region file are given relative to this process's folder; the
    # worker process runs in another folder, as a `dask worker` started elsewhere does.
    distributed = pytest.importorskip("distributed")
    write_pairs(tmp_path, n=3, seed=4, fmt="npy")
    shape = np.load(tmp_path / "truth" / "img0.npy").shape
    region = np.zeros(shape, np.uint8)
    region[: shape[0] // 2] = 1
    np.save(tmp_path / "region.npy", region)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)
    options = {"kind": "all", "region": "region.npy"}
    serial = evaluate_files("truth", "pred", **options)
    assert serial.n_failed == 0
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs=FREE_HTTP_PORT,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(os.chdir, str(elsewhere))
        clustered = evaluate_files("truth", "pred", client=client, **options)
    assert clustered.n_failed == 0
    pd.testing.assert_frame_equal(clustered.per_image, serial.per_image)
    pd.testing.assert_series_equal(clustered.summary, serial.summary)


def test_a_list_of_pairs_is_named_as_folders_name_them(tmp_path):
    write_pairs(tmp_path, n=2, seed=5, fmt="npy")
    by_folders = evaluate_files(tmp_path / "truth", tmp_path / "pred")
    pairs = [
        (tmp_path / "truth" / f"img{i}.npy", tmp_path / "pred" / f"img{i}.npy") for i in (0, 1)
    ]
    by_list = evaluate_files(pairs)
    assert by_list.per_image["name"].tolist() == ["img0", "img1"]
    pd.testing.assert_frame_equal(by_list.per_image, by_folders.per_image)


@pytest.mark.parametrize("kind", ["instance", "semantic"])
def test_a_time_series_is_refused_for_every_kind_before_it_is_read(tmp_path, kind, monkeypatch):
    # movie.tif: an ImageJ hyperstack, axes TYX; clip.ome.zarr: an OME-Zarr with a time axis.
    # One cell moves between the frames with the same id: matched as a volume it would be one
    # object. volume.tif: a 3-D volume (ZYX): true object 4 of 8 pixels over 2 planes; the
    # prediction (id 7) covers its first plane only, 4 pixels.
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    movie = np.zeros((2, 4, 4), np.uint16)
    movie[0, :2, :2] = movie[1, 2:, 2:] = 1
    true_volume = np.zeros((2, 4, 4), np.uint16)
    true_volume[:, 1:3, 1:3] = 4
    pred_volume = np.zeros((2, 4, 4), np.uint16)
    pred_volume[0, 1:3, 1:3] = 7
    time_axes = [{"name": "t", "type": "time"}, {"name": "y", "type": "space"}, {"name": "x"}]
    for side, volume in (("t", true_volume), ("p", pred_volume)):
        folder = tmp_path / side
        tifffile.imwrite(folder / "movie.tif", movie, imagej=True, metadata={"axes": "TYX"})
        ome_zarr_with_scale(folder / "clip.ome.zarr", movie, (1, 1, 1), time_axes)
        tifffile.imwrite(folder / "volume.tif", volume, imagej=True, metadata={"axes": "ZYX"})
    opened = []
    read = evaluate_module.read_labels
    monkeypatch.setattr(
        evaluate_module, "read_labels", lambda path: opened.append(path) or read(path)
    )
    result = evaluate_files(tmp_path / "t", tmp_path / "p", kind=kind, iou_thresholds=[0.5])
    errors = dict(zip(result.per_image["name"], result.per_image["error"], strict=True))
    for name, axes in (("movie", "TYX"), ("clip", "TYX")):
        path = tmp_path / "t" / ("movie.tif" if name == "movie" else "clip.ome.zarr")
        assert errors[name].startswith(f"{path}: its axes are {axes}, a time series")
        assert "Save one file per time point" in errors[name]
    assert errors["volume"] == ""
    # Refused from the metadata: neither file of a time series was opened.
    assert all(Path(path).name == "volume.tif" for path in opened)
    row = result.per_image.set_index("name").loc["volume"]
    if kind == "instance":
        # One 3-D object each, IoU 4/8 = 0.5: matched at 0.5; PQ = SQ 0.5 x RQ 1.
        assert (row["n_true"], row["n_pred"], row["f1_50"]) == (1, 1, 1.0)
        assert row["panoptic_quality_50"] == pytest.approx(0.5)
    else:
        # Foreground: IoU 4/8; background: 24 of 28 pixels: IoU 6/7. Pixel accuracy 28/32.
        assert row["mean_iou"] == pytest.approx((0.5 + 6 / 7) / 2)
        assert row["pixel_accuracy"] == pytest.approx(28 / 32)


@pytest.mark.parametrize("probability", [False, True])
def test_a_prediction_time_series_is_refused_before_the_truth_is_read(
    tmp_path, monkeypatch, probability
):
    # The truth is a plain 2-D TIFF, the prediction an ImageJ TYX TIFF: both files' metadata
    # are checked before any pixel is read (no TIFF series read), each file opened once.
    import tifffile as tifffile_module

    truth = tmp_path / "t.tif"
    tifffile.imwrite(truth, np.ones((4, 4), np.uint16))
    movie = tmp_path / "movie.tif"
    frames = np.zeros((2, 4, 4), np.uint16 if not probability else np.float32)
    tifffile.imwrite(movie, frames, imagej=True, metadata={"axes": "TYX"})
    read, opened = [], []
    asarray, original = tifffile_module.TiffPageSeries.asarray, tifffile_module.TiffFile

    class Counted(original):
        def __init__(self, path, *args, **kwargs):
            opened.append(Path(path).name)
            super().__init__(path, *args, **kwargs)

    monkeypatch.setattr(
        tifffile_module.TiffPageSeries,
        "asarray",
        lambda series, *a, **k: read.append(series) or asarray(series, *a, **k),
    )
    monkeypatch.setattr(tifffile_module, "TiffFile", Counted)
    outcome = evaluate_pair(truth, movie, file_settings(probability=probability))
    assert outcome.error.startswith(f"{movie}: its axes are TYX, a time series")
    assert read == []
    assert opened == ["t.tif", "movie.tif"]


def spacing_pair():
    """A 2-D pair: a 3 x 3 true square and the same square one column to the right.

    Inner contours: the 8 ring pixels of each square. Each truth ring pixel is 0 (4 of them:
    the top and bottom rows of columns 3 and 4 lie on both rings) or one column (one x size)
    from the other ring, and the same the other way: HD = the x size; at a tolerance between
    0 and the x size NSD = 8 / 16, at or above it NSD = 1."""
    true = np.zeros((8, 8), np.uint16)
    true[2:5, 2:5] = 1
    pred = np.zeros((8, 8), np.uint16)
    pred[2:5, 3:6] = 1
    return true, pred


def imagej_tif(path, data, size_yx, *, spacing=None):
    metadata = {"axes": "ZYX" if data.ndim == 3 else "YX", "unit": "um"}
    if spacing is not None:
        metadata["spacing"] = spacing
    y, x = size_yx
    tifffile.imwrite(path, data, imagej=True, resolution=(1 / x, 1 / y), metadata=metadata)


def ome_zarr_with_scale(path, data, scale, axes=None):
    """An OME-Zarr 0.4 image of one level with this ``scale``; spatial axes in micrometres
    unless ``axes`` are given."""
    if axes is None:
        names = "zyx"[-data.ndim :]
        axes = [{"name": n, "type": "space", "unit": "micrometer"} for n in names]
    transforms = [{"type": "scale", "scale": list(scale)}]
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update(
        {
            "multiscales": [
                {"axes": axes, "datasets": [{"path": "0", "coordinateTransformations": transforms}]}
            ]
        }
    )
    write_zarr(path / "0", data)


def test_file_pixel_size_from_tiff_and_ome_zarr_metadata(tmp_path):
    frames = np.zeros((2, 4, 4), np.uint8)
    imagej_tif(tmp_path / "ij.tif", frames, (0.5, 0.25), spacing=2.0)
    assert file_pixel_size(tmp_path / "ij.tif") == ((2.0, 0.5, 0.25), "µm")
    tifffile.imwrite(
        tmp_path / "ome.tif",
        frames,
        ome=True,
        photometric="minisblack",
        metadata={"axes": "ZYX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.5, "PhysicalSizeZ": 3},
    )
    assert file_pixel_size(tmp_path / "ome.tif") == ((3.0, 0.5, 0.25), "µm")
    # 40000 pixels per centimetre: 2.5e-5 cm each.
    tifffile.imwrite(tmp_path / "cm.tif", frames[0], resolution=(40000, 40000), resolutionunit=3)
    assert file_pixel_size(tmp_path / "cm.tif") == ((2.5e-5, 2.5e-5), "cm")
    # No resolution unit (tifffile's default), or ImageJ uncalibrated: no size.
    tifffile.imwrite(tmp_path / "plain.tif", frames[0])
    assert file_pixel_size(tmp_path / "plain.tif") is None
    tifffile.imwrite(tmp_path / "uncalibrated.tif", frames[0], imagej=True)
    assert file_pixel_size(tmp_path / "uncalibrated.tif") is None
    np.save(tmp_path / "plain.npy", frames)
    assert file_pixel_size(tmp_path / "plain.npy") is None
    # OME-Zarr: level 0's scale; a time axis has no size.
    ome_zarr_with_scale(tmp_path / "img.ome.zarr", frames, (2, 0.5, 0.25))
    assert file_pixel_size(tmp_path / "img.ome.zarr") == ((2.0, 0.5, 0.25), "µm")
    path = tmp_path / "movie.ome.zarr"
    axes = [{"name": "t", "type": "time"}, {"name": "y", "type": "space"}, {"name": "x"}]
    ome_zarr_with_scale(path, frames, (10, 0.5, 0.25), axes)
    assert file_pixel_size(path) == ((None, 0.5, 0.25), "")


def test_a_display_resolution_or_mixed_units_give_no_pixel_size(tmp_path):
    """72 dots per inch is a display setting, not a pixel size (tolerance 1 would be 72
    pixels); axes in different units would mix them in one distance: both give none."""
    frames = np.zeros((2, 4, 4), np.uint8)
    tifffile.imwrite(tmp_path / "inch.tif", frames[0], resolution=(72, 72), resolutionunit=2)
    assert file_pixel_size(tmp_path / "inch.tif") is None
    metadata = {"axes": "ZYX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.25}
    metadata.update(PhysicalSizeZ=300, PhysicalSizeZUnit="nm")
    tifffile.imwrite(
        tmp_path / "ome.tif", frames, ome=True, photometric="minisblack", metadata=metadata
    )
    assert file_pixel_size(tmp_path / "ome.tif") is None
    path = tmp_path / "mixed.ome.zarr"
    axes = [
        {"name": "z", "type": "space", "unit": "nanometer"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    ome_zarr_with_scale(path, frames, (300, 0.25, 0.25), axes)
    assert file_pixel_size(path) is None


def test_spacing_from_the_files_equals_the_same_spacing_given(tmp_path):
    true, pred = spacing_pair()
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    # tif: ImageJ, y 0.5 and x 0.25 um; zarr: OME-Zarr with the same scale; cube: a 3-D
    # ImageJ pair with spacing 2 (z): a 2 x 3 x 3 block and the same block one plane deeper.
    # Every pixel of a 2-plane block is on its inner contour; the plane shared is at distance
    # 0, the other one plane (2 um) from the other block: HD 2, NSD 9/18 at tolerance 0.3.
    imagej_tif(tmp_path / "t" / "a.tif", true, (0.5, 0.25))
    imagej_tif(tmp_path / "p" / "a.tif", pred, (0.5, 0.25))
    ome_zarr_with_scale(tmp_path / "t" / "b.ome.zarr", true, (0.5, 0.25))
    ome_zarr_with_scale(tmp_path / "p" / "b.ome.zarr", pred, (0.5, 0.25))
    cube_true = np.zeros((4, 8, 8), np.uint16)
    cube_true[1:3, 2:5, 2:5] = 1
    cube_pred = np.zeros((4, 8, 8), np.uint16)
    cube_pred[2:4, 2:5, 2:5] = 1
    imagej_tif(tmp_path / "t" / "c.tif", cube_true, (0.5, 0.25), spacing=2.0)
    imagej_tif(tmp_path / "p" / "c.tif", cube_pred, (0.5, 0.25), spacing=2.0)
    result = evaluate_files(
        tmp_path / "t", tmp_path / "p", kind="boundary", spacing="file", tolerance=0.3
    )
    rows = result.per_image.set_index("name")
    assert rows["error"].tolist() == ["", "", ""]
    assert rows["mean_hd"].tolist() == [0.25, 0.25, 2.0]
    assert rows["mean_nsd"].tolist() == [1.0, 1.0, 0.5]
    assert rows["spacing"].tolist() == ["0.5,0.25", "0.5,0.25", "2.0,0.5,0.25"]
    assert rows["spacing_unit"].tolist() == ["µm"] * 3
    assert "spacing_image_mean" not in result.summary
    assert result.settings.to_dict()["spacing"] == "file"
    # The same numbers as the spacing given, pair by pair; and not those of pixels.
    for name, size in (
        ("a.tif", (0.5, 0.25)),
        ("b.ome.zarr", (0.5, 0.25)),
        ("c.tif", (2, 0.5, 0.25)),
    ):
        pair = [(tmp_path / "t" / name, tmp_path / "p" / name)]
        given = evaluate_files(pair, kind="boundary", spacing=size, tolerance=0.3)
        columns = [c for c in given.per_image.columns if c.startswith("mean_")]
        row = rows.loc[name.split(".")[0]]
        assert row[columns].tolist() == given.per_image.loc[0, columns].tolist()
    pixels = evaluate_files(tmp_path / "t", tmp_path / "p", kind="boundary", tolerance=0.3)
    assert pixels.per_image["mean_hd"].tolist() == [1.0, 1.0, 1.0]
    assert "spacing" not in pixels.per_image


@pytest.mark.parametrize("spacing", ["file", None])
def test_each_file_of_a_pair_is_opened_once(tmp_path, monkeypatch, spacing):
    # A pair of small TIFFs: each file is opened once, for its metadata (the time axis check,
    # and with spacing="file" the pixel size) and its pixels together.
    import tifffile as tifffile_module

    true, pred = spacing_pair()
    imagej_tif(tmp_path / "t.tif", true, (0.5, 0.25))
    imagej_tif(tmp_path / "p.tif", pred, (0.5, 0.25))
    opened: list[str] = []
    original = tifffile_module.TiffFile

    class Counted(original):
        def __init__(self, path, *args, **kwargs):
            opened.append(Path(path).name)
            super().__init__(path, *args, **kwargs)

    monkeypatch.setattr(tifffile_module, "TiffFile", Counted)
    pair = [(tmp_path / "t.tif", tmp_path / "p.tif")]
    result = evaluate_files(pair, kind="boundary", spacing=spacing, tolerance=0.3)
    assert result.n_failed == 0
    if spacing == "file":
        assert result.per_image.loc[0, "spacing"] == "0.5,0.25"
    # spacing="file": the first pair's truth header is read once more before the run, to
    # refuse a truth without a pixel size up front (check_first_pair; a prediction without
    # one takes its truth's).
    once_more = ["t.tif"] if spacing == "file" else []
    assert sorted(opened) == sorted(["p.tif", "t.tif", *once_more])


def test_spacing_from_files_that_disagree_or_lack_an_axis_fails_the_pair(tmp_path):
    true, pred = spacing_pair()
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    for name in ("good", "differ", "none", "partial"):
        imagej_tif(tmp_path / "t" / f"{name}.tif", true, (0.5, 0.25))
    imagej_tif(tmp_path / "p" / "good.tif", pred, (0.5, 0.25))
    imagej_tif(tmp_path / "p" / "differ.tif", pred, (0.5, 0.3))
    tifffile.imwrite(tmp_path / "p" / "none.tif", pred)
    # partial: an OME-Zarr whose first axis is not spatial (a channel): no size for it.
    path = tmp_path / "p" / "partial.ome.zarr"
    axes = [{"name": "c", "type": "channel"}, {"name": "x", "type": "space"}]
    ome_zarr_with_scale(path, pred, (1, 0.25), axes)
    with pytest.warns(UserWarning, match="none.tif: no pixel size in its metadata; the pixel"):
        result = evaluate_files(
            tmp_path / "t", tmp_path / "p", kind="boundary", spacing="file", tolerance=0.3
        )
    errors = dict(zip(result.per_image["name"], result.per_image["error"], strict=True))
    assert errors["good"] == ""
    assert errors["differ"] == (
        f"the pixel sizes of the pair differ: {tmp_path / 't' / 'differ.tif'} has 0.5,0.25 µm "
        f"but {tmp_path / 'p' / 'differ.tif'} has 0.5,0.3 µm; they must cover the same space "
        "(or give the spacing instead of spacing='file')."
    )
    assert errors["none"] == ""  # a prediction without a pixel size takes its truth's
    assert result.per_image.set_index("name").loc["none", "spacing"] == "0.5,0.25"
    assert errors["partial"].startswith(
        f"{tmp_path / 'p' / 'partial.ome.zarr'}: its metadata give no pixel size for every "
        "axis of the image (none,0.25 for 2 axes)"
    )
    good = result.per_image.set_index("name").loc["good"]
    assert (good["mean_hd"], good["spacing"]) == (0.25, "0.5,0.25")
    assert result.summary["mean_hd_image_mean"] == 0.25


def test_spacing_file_is_checked_with_the_settings(tmp_path):
    with pytest.raises(ValueError, match="or 'file'"):
        evaluate_files(tmp_path / "no", tmp_path / "no", boundary=True, spacing="metadata")
    with pytest.raises(ValueError, match="for boundary metrics"):
        evaluate_files(tmp_path / "no", tmp_path / "no", spacing="file")


def test_spacing_from_files_of_class_probabilities_leaves_the_class_axis_out(tmp_path):
    # The prediction: class probabilities (class axis first, an OME-Zarr axis of type
    # "channel"): class 1 above the threshold on the square of spacing_pair one column right,
    # nothing above it elsewhere (background): HD = x size.
    true, pred = spacing_pair()
    imagej_tif(tmp_path / "a.tif", true, (0.5, 0.25))
    prob = np.stack([np.where(pred > 0, 0.9, 0.1), np.full(pred.shape, 0.1)]).astype(np.float32)
    path = tmp_path / "a.ome.zarr"
    spatial = [{"name": n, "type": "space", "unit": "micrometer"} for n in "yx"]
    ome_zarr_with_scale(path, prob, (1, 0.5, 0.25), [{"name": "c", "type": "channel"}, *spatial])
    result = evaluate_files(
        [(tmp_path / "a.tif", path)],
        kind="boundary",
        probability=True,
        channel_axis=0,
        spacing="file",
    )
    row = result.per_image.iloc[0]
    assert (row["error"], row["mean_hd"], row["spacing"]) == ("", 0.25, "0.5,0.25")
    # A file compared with itself: its own size, distances 0.
    itself = evaluate_files(
        [(tmp_path / "a.tif", tmp_path / "a.tif")], kind="boundary", spacing="file"
    )
    assert (itself.per_image.loc[0, "mean_hd"], itself.per_image.loc[0, "spacing"]) == (
        0.0,
        "0.5,0.25",
    )


def test_a_boolean_label_file_is_said_to_be_one_object(tmp_path):
    """Regression (a new user's hand check): two separate bars saved as a boolean mask were
    scored as one object each side (n_true 1, IoU 7/8) with no word; instance_metrics warns."""
    true = np.zeros((4, 8), bool)
    true[0, 0:4] = true[2, 0:4] = True
    pred = true.copy()
    pred[0, 3] = False
    np.save(tmp_path / "t.npy", true)
    np.save(tmp_path / "p.npy", pred)
    with pytest.warns(UserWarning, match="t.npy is a boolean mask.*one object.*1 more file"):
        result = evaluate_files(tmp_path / "t.npy", tmp_path / "p.npy", kind="all")
    row = result.to_frame().iloc[0]
    assert (row["n_true"], row["n_pred"]) == (1, 1)  # as the notice says: one object each
    assert row["aji"] == pytest.approx(7 / 8)
    with warnings.catch_warnings():  # semantic only: pixels are what is compared, no notice
        warnings.simplefilter("error")
        evaluate_files(tmp_path / "t.npy", tmp_path / "p.npy", kind="semantic")


def test_object_classes_write_per_class_tables(tmp_path):
    """Regression (a new user's hand check): with class files the folder had the class means
    but no per-class table. Two images, truth objects 1 (class 1) and 2 (class 2) predicted
    exactly; image a predicts both as class 1, image b right. At IoU 0.5, matching within
    classes, summed: class 1 TP 2, FP 1 (a's object 2), FN 0; class 2 TP 1, FN 1. Confusion
    of the pairs matched regardless of class: true 1 -> 1 twice; true 2 -> 1 once, -> 2 once."""
    true = np.zeros((8, 8), np.uint16)
    true[1:4, 1:4], true[5:8, 5:8] = 1, 2
    for folder in ("t", "p"):
        (tmp_path / folder).mkdir()
    classes = {"a": (true > 0).astype(np.uint8), "b": (true > 0) + (true == 2).astype(np.uint8)}
    for name, predicted in classes.items():
        np.save(tmp_path / "t" / f"{name}.npy", true)
        np.save(tmp_path / "p" / f"{name}.npy", true)
        np.save(tmp_path / "t" / f"{name}_cls.npy", classes["b"])
        np.save(tmp_path / "p" / f"{name}_cls.npy", predicted)
    result = evaluate_files(
        tmp_path / "t",
        tmp_path / "p",
        iou_thresholds=[0.5],
        truth_classes_suffix="_cls",
        prediction_classes_suffix="_cls",
    )
    out = write_results(result, tmp_path / "out")
    pooled = pd.read_csv(out / "instance_per_class_pooled.csv").set_index("class")
    assert pooled[["tp", "fp", "fn"]].values.tolist() == [[2, 1, 0], [1, 0, 1]]
    confusion = pd.read_csv(out / "instance_class_confusion.csv")
    assert confusion.columns.tolist() == ["true_class", "predicted_1", "predicted_2"]
    assert confusion.values.tolist() == [[1, 2, 0], [2, 1, 1]]
    image_mean = pd.read_csv(out / "instance_per_class_image_mean.csv").set_index("class")
    # class 2's F1: image a 0 (TP 0, FN 1), image b 1 -> mean 1/2
    assert image_mean.loc[2, "f1"] == pytest.approx(0.5)


def test_regions_with_no_pixel_are_named_as_the_cause(tmp_path):
    """Regression (review): every pair's region empty, semantic metrics: the run said "every
    pixel has the ignored ground-truth id None" (no ignore label was given)."""
    true = np.zeros((5, 5), np.int32)
    true[2, 2] = 1
    np.save(tmp_path / "t.npy", true)
    np.save(tmp_path / "p.npy", true)
    np.save(tmp_path / "r.npy", np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError, match="no pixel lies inside the region"):
        evaluate_files(
            tmp_path / "t.npy", tmp_path / "p.npy", kind="semantic", region=tmp_path / "r.npy"
        )


def test_pixel_sizes_in_messages_are_rounded_in_the_column_exact():
    """trial61: a TIFF's rational resolution 1/0.3 written by an older tifffile reads back as
    0.29999999988358467; a message shows 0.3, the per-image spacing column keeps the value."""
    from napari_seg_eval.io.evaluate import _sizes_text

    assert _sizes_text((0.5, 0.29999999988358467), "µm", digits=7) == "0.5,0.3 µm"
    assert _sizes_text((2.0, None), "µm", digits=7) == "2,none µm"
    assert _sizes_text((2.0, 0.29999999988358467), "") == "2.0,0.29999999988358467"


def test_a_lazy_tiff_closes_the_files_it_read_when_collected(tmp_path):
    # Regression (CI): a tiled TIFF read lazily, then pickled (as for a cluster), left its file
    # open until the collector found it, which warned ("unclosed file") in a later test.
    import gc
    import pickle
    import warnings

    import dask.array as da

    pixels = np.arange(256 * 256, dtype=np.uint16).reshape(256, 256)
    tifffile.imwrite(tmp_path / "tiled.tif", pixels, tile=(64, 64))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lazy = read_labels(tmp_path / "tiled.tif")
        copy = pickle.loads(pickle.dumps(lazy))  # reopened where unpickled
        for array in (lazy, copy):
            np.testing.assert_array_equal(da.asarray(array).compute(), pixels)
        del lazy, copy, array
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
