"""cli169: command-line and Python messages that name what was given, checks of the first
pair's headers before the run, and an OME-Zarr map's declared channel axis as its class axis."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr

from napari_seg_eval import (
    calibration,
    evaluate_files,
    fit_platt,
    fit_temperature,
    threshold_sweep,
)
from napari_seg_eval.__main__ import main
from napari_seg_eval.core.platt import logit_histogram
from napari_seg_eval.io.read import FileNotice


def run(*argv: str) -> int:
    try:
        main(["evaluate", *map(str, argv)])
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def square_labels(size: int = 16) -> np.ndarray:
    """One object: the square rows and columns 4..9 (36 pixels)."""
    labels = np.zeros((size, size), np.uint16)
    labels[4:10, 4:10] = 1
    return labels


def plain_pairs(tmp_path, names=("a", "b")):
    """Truth and prediction folders of plain 2-D TIFFs (no pixel size), the same labels."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for name in names:
        tifffile.imwrite(truth / f"{name}.tif", square_labels())
        tifffile.imwrite(pred / f"{name}.tif", square_labels())
    return truth, pred


# 1. Only the options given are named.


def test_spacing_alone_without_boundary_names_spacing_only(tmp_path, capsys):
    truth, pred = plain_pairs(tmp_path)
    out = tmp_path / "out"
    assert run(truth, pred, "--spacing", "2,0.5,0.5", "--out", out) == 2
    err = capsys.readouterr().err
    assert err.endswith(
        "error: --spacing is for boundary metrics: add --boundary (--spacing is also the pixel "
        "size at which --probability --split-touching splits objects).\n"
    )
    assert run(truth, pred, "--tolerance", "2", "--out", out) == 2
    assert capsys.readouterr().err.endswith(
        "error: --tolerance is for boundary metrics: add --boundary.\n"
    )
    assert run(truth, pred, "--tolerance", "2", "--spacing", "1", "--out", out) == 2
    assert "error: --spacing and --tolerance are for boundary metrics" in capsys.readouterr().err
    assert not out.exists()


# 2. A spacing of the wrong length on 2-D images: the y,x example.


def test_a_spacing_of_three_values_on_2d_images_says_y_x(tmp_path, capsys):
    truth, pred = plain_pairs(tmp_path)
    out = tmp_path / "out"
    assert run(truth, pred, "--boundary", "--spacing", "2,0.5,0.5", "--out", out) == 2
    assert capsys.readouterr().err.endswith(
        "error: --spacing 2,0.5,0.5 gives 3 values, one per axis, but the truth images are 2-D "
        f"(e.g. {truth / 'a.tif'}): give 2 values (y,x for a 2-D image), or one for every "
        "axis.\n"
    )
    assert not out.exists()
    # In Python, each pair fails with the same advice.
    result = evaluate_files(truth, pred, boundary=True, spacing=(2, 0.5, 0.5))
    assert (
        result.failed["error"].tolist()
        == [
            "spacing must be one number or one per axis (2 for these images), got (2.0, 0.5, 0.5): "
            "give 2 values (y,x for a 2-D image), or one for every axis."
        ]
        * 2
    )


# 3. A map's option given for label predictions is named as the one out of place.


def test_split_touching_with_a_spacing_for_label_predictions(tmp_path):
    truth, pred = plain_pairs(tmp_path)
    with pytest.raises(ValueError) as refused:
        evaluate_files(truth, pred, split_touching=True, spacing=(2, 0.5, 0.5))
    assert str(refused.value) == (
        "split_touching is for probability maps: set probability=True (the predictions are "
        "probability maps), or leave it out (label predictions are compared as they are)."
    )
    # With probability=True given, only the missing option is named.
    with pytest.raises(ValueError) as refused:
        evaluate_files(truth, pred, probability=True, spacing=(0.5, 0.5))
    assert str(refused.value) == (
        "spacing is for boundary metrics and for splitting touching objects of probability "
        "maps: set boundary=True, or split_touching=True."
    )


# 4. class_id is needed with channel_axis.


@pytest.mark.parametrize(
    "analysis", [threshold_sweep, calibration, fit_temperature, fit_platt, logit_histogram]
)
def test_a_class_axis_without_class_id_asks_for_it(analysis):
    prob = np.full((3, 4, 4), 1 / 3)
    true = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError) as refused:
        analysis(true, prob, channel_axis=0)
    assert str(refused.value) == (
        "give class_id too, the class to analyse: with channel_axis, class_id must be in 1..3 "
        "(channel k holds the probability of class k + 1; 3 channels; if channel 0 is "
        "background, pass background_channel=True: channel k then holds class k)."
    )
    with pytest.raises(ValueError) as refused:
        analysis(true, prob, channel_axis=0, background_channel=True)
    assert str(refused.value) == (
        "give class_id too, the class to analyse: with channel_axis and "
        "background_channel=True, class_id must be in 0..2 (channel k holds the probability "
        "of class k, channel 0 the background's; 3 channels)."
    )


# 5. --spacing file on files without a pixel size: refused before the run.


def test_spacing_file_without_pixel_sizes_is_refused_up_front(tmp_path, capsys):
    truth, pred = plain_pairs(tmp_path)
    out = tmp_path / "out"
    assert run(truth, pred, "--boundary", "--spacing", "file", "--out", out) == 2
    err = capsys.readouterr().err
    assert err.endswith(
        f"error: {truth / 'a.tif'}: its metadata give no pixel size, and --spacing file reads "
        "each pair's from its files (ImageJ or OME-TIFF resolution, OME-Zarr scale): give the "
        "values instead, --spacing with one value per axis (y,x for a 2-D image) or one for "
        "all.\n"
    )
    assert "failed" not in err
    assert not out.exists()
    with pytest.raises(ValueError, match=r"a\.tif: its metadata give no pixel size, and "):
        evaluate_files(truth, pred, boundary=True, spacing="file")
    # Only the first pair's headers are read: a later pair without a pixel size fails alone.
    for side in (truth, pred):  # the first pair calibrated: 0.5 µm pixels
        tifffile.imwrite(
            side / "a.tif",
            square_labels(),
            imagej=True,
            resolution=(2.0, 2.0),
            metadata={"unit": "um"},
        )
    result = evaluate_files(truth, pred, boundary=True, spacing="file")
    assert result.per_image["error"].tolist()[0] == ""
    assert result.failed["name"].tolist() == ["b"]
    assert "its metadata give no pixel size" in result.failed["error"][0]
    assert result.per_image["mean_hd"][0] == 0.0  # identical masks


# 6. A class axis the first map has not: refused before the run.


def test_a_channel_axis_the_map_has_not_is_refused_up_front(tmp_path, capsys):
    truth, pred = plain_pairs(tmp_path)
    for name in ("a", "b"):
        tifffile.imwrite(pred / f"{name}.tif", np.full((2, 16, 16), 0.5, np.float32))
    out = tmp_path / "out"
    assert run(truth, pred, "--probability", "--channel-axis", "3", "--out", out) == 2
    err = capsys.readouterr().err
    assert err.endswith(
        f"error: --channel-axis 3: {pred / 'a.tif'}, the first map, has 3 axes (shape (2, 16, "
        "16)), none of them axis 3: give its class axis, one of 0..2 (or -3..-1 from the end).\n"
    )
    assert not out.exists()
    with pytest.raises(ValueError, match=r"^channel_axis=-4: .*a\.tif, the first map, has 3 "):
        evaluate_files(truth, pred, probability=True, channel_axis=-4)


# 7. An OME-Zarr map's declared channel axis is its class axis by default.


def ome_zarr_map(path, prob: np.ndarray, axes: list[dict]) -> None:
    """An OME-Zarr 0.4 image of one level holding ``prob``, with these ``axes``."""
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update({"multiscales": [{"axes": axes, "datasets": [{"path": "0"}]}]})
    array = zarr.open_array(str(path / "0"), mode="w", shape=prob.shape, dtype=prob.dtype)
    array[...] = prob


CYX = [
    {"name": "c", "type": "channel"},
    {"name": "y", "type": "space"},
    {"name": "x", "type": "space"},
]


def three_class_maps(tmp_path, channels: int = 3):
    """Truth: the square; its map: channel 0 (class 1) 0.9 on the square, 0.1 elsewhere;
    the other channels 0.05. As an OME-Zarr declaring its channel axis, and as NPY."""
    truth, maps, plain = tmp_path / "truth", tmp_path / "maps", tmp_path / "plain"
    for folder in (truth, maps, plain):
        folder.mkdir()
    tifffile.imwrite(truth / "a.tif", square_labels())
    prob = np.full((channels, 16, 16), 0.05, np.float32)
    prob[0] = 0.1
    prob[0][square_labels() > 0] = 0.9
    ome_zarr_map(maps / "a.zarr", prob, CYX)
    np.save(plain / "a.npy", prob)
    return truth, maps, plain


def test_an_ome_zarr_channel_axis_is_the_class_axis_by_default(tmp_path):
    truth, maps, plain = three_class_maps(tmp_path)
    with pytest.warns(FileNotice) as said:
        declared = evaluate_files(truth, maps, probability=True, iou_thresholds=[0.5])
    given = evaluate_files(truth, plain, probability=True, channel_axis=0, iou_thresholds=[0.5])
    assert declared.n_failed == 0
    assert declared.settings.channel_axis == 0
    # The square, class 1 (channel 0 above 0.5 there and nowhere else): one exact match.
    counted = ["n_true", "n_pred", "accuracy_50", "aji_numerator", "aji_denominator"]
    assert declared.per_image[counted].values.tolist() == [[1, 1, 1.0, 36, 36]]
    columns = [c for c in declared.per_image if c not in ("truth", "prediction")]
    pd.testing.assert_frame_equal(declared.per_image[columns], given.per_image[columns])
    pd.testing.assert_series_equal(declared.summary, given.summary)
    [notice] = [str(w.message) for w in said if "channel axis" in str(w.message)]
    assert notice == (
        f"{maps / 'a.zarr'}: its OME-Zarr metadata name axis 0 a channel axis of 3 channels: it "
        "is read as the maps' class axis (channel_axis=0, recorded in the settings; give "
        "another class axis to read it otherwise)."
    )
    # A class axis given wins, and nothing is said.
    with warnings.catch_warnings():
        warnings.simplefilter("error", FileNotice)
        negative = evaluate_files(truth, maps, probability=True, channel_axis=-3)
    assert negative.settings.channel_axis == -3
    assert negative.per_image["accuracy_50"].tolist() == [1.0]
    # A declared channel axis of one channel is no class axis: not taken, nothing said.
    single = tmp_path / "single"
    single.mkdir()
    ome_zarr_map(single / "a.zarr", np.full((1, 16, 16), 0.9, np.float32), CYX)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FileNotice)
        one = evaluate_files(truth, single, probability=True)
    assert one.settings.channel_axis is None


def test_the_command_line_says_and_records_the_declared_axis(tmp_path, capsys):
    truth, maps, _ = three_class_maps(tmp_path)
    out = tmp_path / "out"
    assert run(truth, maps, "--probability", "--iou-thresholds", "0.5", "--out", out) == 0
    err = capsys.readouterr().err
    assert "class axis (--channel-axis 0, recorded in the settings;" in err
    record = json.loads((out / "settings.json").read_text())
    assert record["settings"]["channel_axis"] == 0
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image[["n_true", "n_pred", "accuracy_50"]].values.tolist() == [[1, 1, 1.0]]
