"""Raw images in both folders are not paired as label images (pairs109, review108 F-pair2).

Cellpose writes its masks beside the images: the truth folder holds ``img0.tif`` and
``img0_masks.tif``, the prediction folder ``img0.tif`` and ``img0_cp_masks.tif``. Given without
suffixes, the names as they are paired ``img0.tif`` with ``img0.tif`` (raw images scored as
label images, identical copies scoring perfectly) and said nothing. Now nothing pairs and
the suffixes to give are said, in the pairs' listing, on the command line and in the Dataset
tab. Plain names pairing label images, and files left out that pair otherwise, pair as before.
"""

from __future__ import annotations

import shlex

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files
from napari_seg_eval.io.pairs import OneFolderError, pair_files

tifffile = pytest.importorskip("tifffile")

#: A raw image: 36 grey levels, each its own "object" if read as labels.
IMAGE = np.arange(36, dtype=np.uint16).reshape(6, 6)
#: Label images: one object of 2 x 2 pixels.
LABELS = np.zeros((6, 6), np.uint16)
LABELS[1:3, 1:3] = 1

RAW_LINE = (
    "img0.tif is in both folders beside img0_masks.tif / img0_cp_masks.tif: it looks like the "
    "raw image"
)


def write(folder, name, array):
    folder.mkdir(exist_ok=True)
    tifffile.imwrite(folder / name, array)


def cellpose(tmp_path, *, raw_predictions: bool = True):
    """truth/img{0,1,2}.tif + img{i}_masks.tif; pred/img{i}_cp_masks.tif, and (with
    ``raw_predictions``) pred/img{i}.tif: Cellpose's outputs written beside the images."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    for i in range(3):
        write(truth, f"img{i}.tif", IMAGE)
        write(truth, f"img{i}_masks.tif", LABELS)
        if raw_predictions:
            write(pred, f"img{i}.tif", IMAGE)
        write(pred, f"img{i}_cp_masks.tif", LABELS)
    return truth, pred


def test_raw_images_in_both_folders_pair_nothing_and_the_suffixes_are_said(tmp_path):
    truth, pred = cellpose(tmp_path)
    # Cellpose's other outputs beside them: the GUI's _seg.npy (a dict of Python objects)
    # and the flows.
    np.save(pred / "img0_seg.npy", np.array({"masks": LABELS}, dtype=object), allow_pickle=True)
    write(pred, "img1_flows.tif", IMAGE)
    pairing = pair_files(truth, pred)
    assert pairing.pairs == [] and pairing.names == []
    # img0..img2 pair as img{i}_masks / img{i}_cp_masks: 3 pairs.
    hint = pairing.suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "_cp_masks", 3)
    assert pairing.raw_images == [
        (
            truth / f"img{i}.tif",
            pred / f"img{i}.tif",
            truth / f"img{i}_masks.tif",
            pred / f"img{i}_cp_masks.tif",
        )
        for i in range(3)
    ]
    text = pairing.describe()
    assert (
        f"{RAW_LINE}; such images (3 in each folder) are not paired as label images.\n"
        "The names differ by a suffix: truth '_masks', prediction '_cp_masks'; give them as the "
        "truth and prediction suffixes (3 pair(s) of files)."
    ) in text
    assert pairing.advice(command_line=True) == (
        f"{RAW_LINE}; the names differ by a suffix: give --truth-suffix _masks "
        "--prediction-suffix _cp_masks (3 pair(s))"
    )
    # Given, the suffixes pair the masks; the raw images are the pairs' images.
    given = pair_files(truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks")
    assert given.names == ["img0", "img1", "img2"]
    assert sorted(given.images) == sorted(
        [truth / f"img{i}.tif" for i in range(3)] + [pred / f"img{i}.tif" for i in range(3)]
    )
    assert given.raw_images == [] and given.suffix_hint is None


def test_raw_images_of_other_extensions_are_named_both(tmp_path):
    # The prediction folder's copy of the image is a PNG: both names are said.
    truth, pred = cellpose(tmp_path)
    (pred / "img0.tif").unlink()
    import imageio.v3 as iio

    iio.imwrite(pred / "img0.png", IMAGE.astype(np.uint8))
    pairing = pair_files(truth, pred)
    assert pairing.pairs == []
    assert pairing.advice().startswith(
        "img0.tif and img0.png are in the two folders beside img0_masks.tif / "
        "img0_cp_masks.tif: they look like the raw image; the names differ by a suffix: give "
        "truth_suffix='_masks', prediction_suffix='_cp_masks' (3 pair(s))"
    )


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def test_the_command_refuses_with_the_options_and_they_pair_the_masks(tmp_path, capsys):
    truth, pred = cellpose(tmp_path)
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out)) == 2
    err = capsys.readouterr().err
    advice = "give --truth-suffix _masks --prediction-suffix _cp_masks (3 pair(s))"
    assert err.splitlines()[-1] == (
        "napari-seg-eval evaluate: error: nothing to evaluate: no file has a partner; "
        f"{RAW_LINE}; the names differ by a suffix: {advice}."
    )
    assert not out.exists()
    options = advice.removeprefix("give ").split(" (")[0]
    assert run(str(truth), str(pred), "--out", str(out), *shlex.split(options)) == 0
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image["name"].tolist() == ["img0", "img1", "img2"]
    # The prediction is the truth's one object: 1 true positive, F1 = 2*1 / (2*1 + 0) = 1.
    assert per_image["f1_50"].tolist() == [1.0, 1.0, 1.0]


def test_evaluate_files_refuses_with_the_keywords(tmp_path):
    truth, pred = cellpose(tmp_path)
    with pytest.raises(ValueError) as raised:
        evaluate_files(truth, pred)
    message = str(raised.value)
    assert message.startswith(
        f"no pairs of files to evaluate; {RAW_LINE}; the names differ by a suffix: give "
        "truth_suffix='_masks', prediction_suffix='_cp_masks' (3 pair(s))."
    )


@pytest.fixture
def dataset(make_napari_viewer):
    pytest.importorskip("napari")
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return widget.dataset


def test_the_dataset_tab_shows_it_and_runs_nothing(dataset, tmp_path, errors):
    truth, pred = cellpose(tmp_path)
    dataset.set_folders(truth=truth, prediction=pred)
    text = dataset.pairs_text.toPlainText()
    assert text.startswith("0 pair(s) of files.\n" + RAW_LINE)
    assert "truth '_masks', prediction '_cp_masks'" in text
    assert dataset.run(wait=True) is None
    assert RAW_LINE in dataset.status_label.text()
    assert len(errors) == 1 and RAW_LINE in errors[0]
    dataset.set_suffixes(truth="_masks", prediction="_cp_masks")
    assert dataset.find_pairs().names == ["img0", "img1", "img2"]


# Kept as before (these guard today's behaviour: they pass on the old code too).


def test_predictions_without_the_raw_images_get_the_hint_as_before(tmp_path):
    truth, pred = cellpose(tmp_path, raw_predictions=False)
    pairing = pair_files(truth, pred)
    assert pairing.pairs == []
    hint = pairing.suffix_hint
    assert (hint.truth, hint.prediction, hint.pairs) == ("_masks", "_cp_masks", 3)
    assert "raw image" not in pairing.describe()
    assert pairing.advice(command_line=True) == (
        "the names differ by a suffix: give --truth-suffix _masks --prediction-suffix "
        "_cp_masks (3 pair(s))"
    )


@pytest.mark.parametrize(
    ("truth_names", "pred_names", "names"),
    [
        # Label images of one name in both folders, nothing left out.
        (["a", "b"], ["a", "b"], ["a", "b"]),
        # The raw image and the masks under one name in both folders: nothing left out.
        (["img0", "img0_masks"], ["img0", "img0_masks"], ["img0", "img0_masks"]),
        # A file left out on one side only (the flows): the plain names pair the masks.
        (["img0", "img1"], ["img0", "img1", "img0_flows"], ["img0", "img1"]),
        # The suffixes would pair img0, not other: the plain names pair as before.
        (
            ["img0", "img0_masks", "other"],
            ["img0", "img0_cp_masks", "other"],
            ["img0", "other"],
        ),
    ],
)
def test_plain_names_pair_as_before(tmp_path, truth_names, pred_names, names):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    for folder, stems in ((truth, truth_names), (pred, pred_names)):
        for stem in stems:
            write(folder, f"{stem}.tif", LABELS)
    pairing = pair_files(truth, pred)
    assert pairing.names == names
    assert pairing.suffix_hint is None
    assert "raw image" not in pairing.describe()


def test_one_folder_is_refused_with_the_suffixes_as_before(tmp_path):
    folder = tmp_path / "cells"
    for i in range(3):
        for suffix, array in (("", IMAGE), ("_masks", LABELS), ("_cp_masks", LABELS)):
            write(folder, f"img{i}{suffix}.tif", array)
    with pytest.raises(OneFolderError) as raised:
        pair_files(folder, folder)
    hint = raised.value.suffix_hint
    # img0..img2: 3 pairs of img{i}_masks / img{i}_cp_masks; img{i}.tif are the images.
    assert (hint.truth, hint.prediction, hint.pairs, hint.sided) == (
        "_masks",
        "_cp_masks",
        3,
        True,
    )
