"""cli177: an OME-Zarr map's declared class axis with --background-channel, only where every
map of the run is OME-Zarr, a one-channel axis read as one class, --spacing file refused only
when no pair has its pixel size, and the checks before a run worded for their caller."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr

from napari_seg_eval import evaluate_files
from napari_seg_eval.__main__ import main
from napari_seg_eval.io import pair_files
from napari_seg_eval.io.evaluate import check_first_pair, declared_class_axis, file_settings
from napari_seg_eval.io.read import COMMAND_LINE_OPTIONS, DOCK_OPTIONS, FileNotice

CYX = [
    {"name": "c", "type": "channel"},
    {"name": "y", "type": "space"},
    {"name": "x", "type": "space"},
]


def run(*argv) -> int:
    try:
        main(["evaluate", *map(str, argv)])
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def ome_zarr_map(path, prob: np.ndarray, axes=CYX) -> None:
    """An OME-Zarr 0.4 image of one level holding ``prob``, with these ``axes``."""
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update({"multiscales": [{"axes": axes, "datasets": [{"path": "0"}]}]})
    array = zarr.open_array(str(path / "0"), mode="w", shape=prob.shape, dtype=prob.dtype)
    array[...] = prob


def two_squares() -> np.ndarray:
    """Two objects: rows and columns 2..7 (36 pixels, id 1) and 10..13 (16 pixels, id 2)."""
    labels = np.zeros((16, 16), np.uint16)
    labels[2:8, 2:8] = 1
    labels[10:14, 10:14] = 2
    return labels


def background_foreground(truth: np.ndarray) -> np.ndarray:
    """A (background, foreground) map: foreground 0.9 on the truth's objects, 0.1 elsewhere;
    channel 0 its complement."""
    foreground = np.where(truth > 0, 0.9, 0.1).astype(np.float32)
    return np.stack([1 - foreground, foreground])


def folders(tmp_path):
    truth, maps = tmp_path / "truth", tmp_path / "maps"
    truth.mkdir(parents=True)
    maps.mkdir()
    return truth, maps


# 1. --background-channel with the class axis an OME-Zarr map declares.


def test_background_channel_takes_the_declared_class_axis(tmp_path, capsys):
    truth, maps = folders(tmp_path)
    labels = two_squares()
    tifffile.imwrite(truth / "a.tif", labels)
    ome_zarr_map(maps / "a.zarr", background_foreground(labels))
    with pytest.warns(FileNotice, match="it is read as the maps' class axis"):
        result = evaluate_files(
            truth, maps, probability=True, background_channel=True, iou_thresholds=[0.5]
        )
    assert result.n_failed == 0
    assert (result.settings.channel_axis, result.settings.background_channel) == (0, True)
    # Channel 1 (class 1) is most probable on both squares and nowhere else: both matched.
    counted = ["n_true", "n_pred", "accuracy_50"]
    assert result.per_image[counted].values.tolist() == [[2, 2, 1.0]]
    # Without it, channel 0 is class 1: the background is one more object (3 predictions).
    with pytest.warns(FileNotice) as said:
        plain = evaluate_files(truth, maps, probability=True, iou_thresholds=[0.5])
    assert any("set background_channel=True" in str(w.message) for w in said)
    # Both squares matched, the background one false object: precision 2/3, recall 1.
    scores = plain.per_image[["n_pred", "precision_50", "recall_50"]].values.tolist()
    assert scores == [[3, pytest.approx(2 / 3, rel=1e-12), 1.0]]
    # The command line: the advice of the plain run works, and is not given again.
    out = tmp_path / "out"
    args = (truth, maps, "--probability", "--iou-thresholds", "0.5", "--out", out)
    assert run(*args) == 0
    assert "if channel 0 is background, set --background-channel" in capsys.readouterr().err
    assert run(*args, "--overwrite", "--background-channel") == 0
    err = capsys.readouterr().err
    assert "set --background-channel" not in err
    assert "class axis (--channel-axis 0, recorded in the settings;" in err
    record = json.loads((out / "settings.json").read_text())["settings"]
    assert (record["channel_axis"], record["background_channel"]) == (0, True)
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image[counted].values.tolist() == [[2, 2, 1.0]]


def test_background_channel_without_a_declared_axis_is_refused_saying_why(tmp_path, capsys):
    truth, maps = folders(tmp_path)
    labels = two_squares()
    tifffile.imwrite(truth / "a.tif", labels)
    np.save(maps / "a.npy", background_foreground(labels))  # no metadata: no axis declared
    out = tmp_path / "out"
    assert run(truth, maps, "--probability", "--background-channel", "--out", out) == 2
    assert capsys.readouterr().err.endswith(
        "error: --background-channel says channel 0 of a map's class axis is background: add "
        f"--channel-axis (a map without a class axis has no channels; {maps / 'a.npy'}, the "
        "first map, names no channel axis).\n"
    )
    assert not out.exists()
    with pytest.raises(ValueError, match=r"^background_channel=True says .*: give the "):
        evaluate_files(truth, maps, probability=True, background_channel=True)
    # Given with the axis, it is read on it.
    given = evaluate_files(truth, maps, probability=True, channel_axis=0, background_channel=True)
    assert given.per_image["accuracy_50"].tolist() == [1.0]
    # Without --probability, the flag is for probability maps (not "add --channel-axis").
    assert run(truth, maps, "--background-channel", "--out", out) == 2
    assert capsys.readouterr().err.endswith(
        "error: --background-channel is for probability maps: add --probability.\n"
    )


# 2. The first map's declared axis is taken only where every map is OME-Zarr.


def mixed_maps(tmp_path):
    """Two pairs of the same truth: a.zarr declaring (c, y, x), b.npy stored (y, x, c).
    Channel 0 (class 1) 0.9 on the truth's objects, 0.05 elsewhere; the others 0.05."""
    truth, maps = folders(tmp_path)
    labels = two_squares()
    prob = np.full((3, 16, 16), 0.05, np.float32)
    prob[0][labels > 0] = 0.9
    for name in ("a", "b"):
        tifffile.imwrite(truth / f"{name}.tif", labels)
    ome_zarr_map(maps / "a.zarr", prob)
    np.save(maps / "b.npy", np.moveaxis(prob, 0, -1))
    return truth, maps


def test_the_declared_axis_where_the_maps_differ_is_refused_before_the_run(tmp_path, capsys):
    truth, maps = mixed_maps(tmp_path)
    with pytest.raises(ValueError) as refused:
        evaluate_files(truth, maps, probability=True, iou_thresholds=[0.5])
    assert str(refused.value) == (
        f"{maps / 'a.zarr'}: its OME-Zarr metadata name axis 0 a channel axis of 3 channels, "
        "but 1 of the run's 2 maps are not OME-Zarr and declare no class axis (the first: "
        f"{maps / 'b.npy'}, shape (16, 16, 3)); one class axis is read for every map, and none "
        "is given: give the class axis all of them have (channel_axis=0 if it is axis 0 in "
        "every map), or evaluate the OME-Zarr maps and the others in two runs."
    )
    # The command line refuses it before writing anything, in its own words.
    out = tmp_path / "out"
    assert run(truth, maps, "--probability", "--out", out) == 2
    assert "(--channel-axis 0 if it is axis 0 in every map)" in capsys.readouterr().err
    assert not out.exists()


def test_background_channel_where_the_maps_differ_says_why_no_axis(tmp_path):
    truth, maps = mixed_maps(tmp_path)
    with pytest.raises(ValueError) as refused:
        evaluate_files(truth, maps, probability=True, background_channel=True)
    assert str(refused.value) == (
        "background_channel=True says channel 0 of a map's class axis is background: give the "
        f"channel_axis too (a map without a class axis has no channels; {maps / 'a.zarr'}, "
        "the first map, names axis 0 a channel axis, not read as the maps' class axis: 1 of "
        "the run's 2 maps are not OME-Zarr)."
    )


# 3. --spacing file: refused only when no pair's files give a pixel size.


def calibrated(path, labels, size=None) -> None:
    if size is None:
        tifffile.imwrite(path, labels)
    else:
        tifffile.imwrite(
            path, labels, imagej=True, resolution=(1 / size, 1 / size), metadata={"unit": "um"}
        )


def test_spacing_file_fails_the_uncalibrated_pair_whatever_its_place(tmp_path, capsys):
    # The same outcome whether the pair without a pixel size is the first or the second.
    for uncalibrated in ("a", "b"):
        truth, pred = folders(tmp_path / uncalibrated)
        labels = two_squares()
        shifted = np.roll(labels, 1, axis=1)  # each square one column to the right
        for name in ("a", "b", "c"):
            size = None if name == uncalibrated else 0.5
            calibrated(truth / f"{name}.tif", labels, size)
            calibrated(pred / f"{name}.tif", shifted, size)
        result = evaluate_files(truth, pred, kind="boundary", spacing="file")
        assert result.failed["name"].tolist() == [uncalibrated]
        assert "its metadata give no pixel size" in result.failed["error"].iloc[0]
        # Each square moved one pixel, 0.5 µm: the farthest boundary point of each side is
        # one column from the other's, 0.5 µm.
        scored = result.per_image.set_index("name").drop(index=uncalibrated)
        assert scored["mean_hd"].tolist() == [0.5, 0.5]
        out = tmp_path / uncalibrated / "out"
        argv = (truth, pred, "--kind", "boundary", "--spacing", "file", "--quiet", "--out", out)
        assert run(*argv) == 1  # some pairs failed: never refused up front
        assert f"failed: {uncalibrated}:" in capsys.readouterr().err


def test_spacing_file_is_refused_up_front_when_no_pair_has_a_pixel_size(tmp_path):
    truth, pred = folders(tmp_path)
    labels = two_squares()
    for name in ("a", "b"):
        calibrated(truth / f"{name}.tif", labels)  # never calibrated
        # A prediction's pixel size is not the truth's (a prediction without one takes its
        # truth's, io208; not the other way round).
        calibrated(pred / f"{name}.tif", labels, 0.5 if name == "b" else None)
    pairing = pair_files(truth, pred)
    settings = file_settings(kind="boundary", spacing="file")
    with pytest.raises(ValueError) as refused:
        check_first_pair(pairing, settings, words=DOCK_OPTIONS)
    # Named as the Dataset tab names it; the first file without a size named.
    assert str(refused.value) == (
        f"{truth / 'a.tif'}: its metadata give no pixel size, and 'file' in the Dataset tab's "
        "spacing box reads each pair's from its files (ImageJ or OME-TIFF resolution, "
        "OME-Zarr scale): give the values in the Dataset tab's spacing box instead, one value "
        "per axis (y,x for a 2-D image) or one for all."
    )


# 4. A declared channel axis of one channel: the map is read as one of one class.


def test_a_one_channel_ome_zarr_map_is_read_as_one_class(tmp_path):
    truth, maps = folders(tmp_path)
    labels = two_squares()
    tifffile.imwrite(truth / "a.tif", labels)
    prob = np.full((1, 16, 16), 0.1, np.float32)
    prob[0, 2:8, 2:8] = 0.9  # the first square only
    ome_zarr_map(maps / "a.zarr", prob)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FileNotice)  # nothing to say
        result = evaluate_files(truth, maps, probability=True, kind="all", iou_thresholds=[0.5])
    assert result.settings.channel_axis is None
    assert result.n_failed == 0
    # One of two squares found exactly: TP 1, FN 1: precision 1, recall and accuracy 1/2.
    row = result.per_image.iloc[0]
    assert (row["n_true"], row["n_pred"], row["precision_50"]) == (2, 1, 1.0)
    assert (row["recall_50"], row["accuracy_50"]) == (0.5, 0.5)
    # Foreground: 36 of 52 true pixels predicted, none more: IoU 36/52. Background: the
    # truth's 204 pixels within the prediction's 220: IoU 204/220. Their mean:
    assert row["mean_iou"] == pytest.approx((36 / 52 + 204 / 220) / 2, abs=0, rel=1e-12)


# 5. The checks before a run name the options as their caller does.


def test_the_checks_before_the_run_take_their_callers_words(tmp_path):
    truth, maps = folders(tmp_path)
    labels = two_squares()
    tifffile.imwrite(truth / "a.tif", labels)
    np.save(maps / "a.npy", background_foreground(labels))
    pairing = pair_files(truth, maps)
    axis = file_settings(probability=True, channel_axis=3)
    for words, option in (
        (COMMAND_LINE_OPTIONS, "--channel-axis 3"),
        (DOCK_OPTIONS, "the header's Channel axis at 3"),
    ):
        with pytest.raises(ValueError) as refused:
            check_first_pair(pairing, axis, words=words)
        assert str(refused.value) == (
            f"{option}: {maps / 'a.npy'}, the first map, has 3 axes (shape (2, 16, 16)), none "
            "of them axis 3: give its class axis, one of 0..2 (or -3..-1 from the end)."
        )
    with pytest.raises(ValueError) as refused:
        declared_class_axis(
            pairing, file_settings(probability=True), background_channel=True, words=DOCK_OPTIONS
        )
    assert str(refused.value).startswith(
        "'Channel 0 is background' (beside the header's Channel axis) says channel 0 of a "
        "map's class axis is background: choose the Dataset tab's Class axis (a map without"
    )


def test_a_one_channel_map_keeps_the_pixel_size_of_its_other_axes(tmp_path):
    """The one-channel axis dropped drops its scale too: spacing='file' reads (0.5, 0.5)."""
    (tmp_path / "gt").mkdir()
    labels = np.zeros((16, 16), np.uint16)
    labels[2:8, 2:8] = 1
    labels[10:14, 10:14] = 2
    tifffile.imwrite(
        tmp_path / "gt" / "a.tif", labels, imagej=True, resolution=(2, 2), metadata={"unit": "um"}
    )
    prob = np.full((1, 16, 16), 0.1, np.float32)
    prob[0][labels > 0] = 0.9
    prob[0, 2:8, 8] = 0.9  # one column too wide: a boundary distance of one pixel, 0.5 µm
    group = zarr.open_group(str(tmp_path / "maps" / "a.zarr"), mode="w")
    axes = [{"name": "c", "type": "channel"}] + [
        {"name": name, "type": "space", "unit": "micrometer"} for name in "yx"
    ]
    scale = [{"type": "scale", "scale": [1.0, 0.5, 0.5]}]
    group.attrs.update(
        {
            "multiscales": [
                {
                    "version": "0.4",
                    "axes": axes,
                    "datasets": [{"path": "0", "coordinateTransformations": scale}],
                }
            ]
        }
    )
    stored = zarr.open_array(
        str(tmp_path / "maps" / "a.zarr" / "0"), mode="w", shape=prob.shape, dtype=prob.dtype
    )
    stored[...] = prob
    result = evaluate_files(
        tmp_path / "gt", tmp_path / "maps", probability=True, kind="boundary", spacing="file"
    )
    assert result.n_failed == 0
    assert result.per_image.loc[0, "spacing"] == "0.5,0.5"
    # The foreground (one class): the column too wide is one pixel, 0.5 µm, from the truth's.
    assert result.per_image.loc[0, "mean_hd"] == 0.5


def test_a_map_declaring_another_channel_axis_is_said(tmp_path):
    """Every map OME-Zarr, the first (c, y, x), the second (y, x, c): the run reads axis 0 of
    both (the first's); the second fails on its shape, and a notice says why."""
    truth, maps = folders(tmp_path)
    labels = two_squares()
    for name in ("a", "b"):
        tifffile.imwrite(truth / f"{name}.tif", labels)
    two = background_foreground(labels)
    ome_zarr_map(maps / "a.zarr", two)
    yxc = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    yxc.append({"name": "c", "type": "channel"})
    ome_zarr_map(maps / "b.zarr", np.moveaxis(two, 0, -1).copy(), axes=yxc)
    with pytest.warns(FileNotice) as said:
        result = evaluate_files(truth, maps, probability=True, iou_thresholds=[0.5])
    assert result.settings.channel_axis == 0
    assert result.n_failed == 1 and result.failed["name"].tolist() == ["b"]
    told = " ".join(str(w.message) for w in said)
    assert "b.zarr: its OME-Zarr metadata name axis 2 its channel axis, but the run reads " in told
    assert "axis 0 of every map as the class axis (channel_axis=0)" in told
