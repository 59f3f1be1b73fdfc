"""io188: a run of probability maps mixing OME-Zarr maps that declare a class axis with maps
of other formats is refused before it starts, naming the maps and the class axis to give
(nothing written); and the pixel-size note of the command line and of the Dataset tab follow
one rule, :func:`~napari_seg_eval.io.read.unused_pixel_size`."""

import json

import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr

from napari_seg_eval import evaluate_files
from napari_seg_eval.__main__ import _pixel_size_note, main

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


def two_squares() -> np.ndarray:
    """Two objects: rows and columns 2..7 (id 1) and 10..13 (id 2)."""
    labels = np.zeros((16, 16), np.uint16)
    labels[2:8, 2:8] = 1
    labels[10:14, 10:14] = 2
    return labels


def three_classes(labels: np.ndarray) -> np.ndarray:
    """A (3, Y, X) map: channel 0 (class 1) 0.9 on the truth's objects, 0.05 elsewhere; the
    other channels 0.05 everywhere."""
    prob = np.full((3, *labels.shape), 0.05, np.float32)
    prob[0][labels > 0] = 0.9
    return prob


def ome_zarr_map(path, prob: np.ndarray) -> None:
    """An OME-Zarr 0.4 image of one level holding ``prob``, axes c, y, x."""
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update({"multiscales": [{"axes": CYX, "datasets": [{"path": "0"}]}]})
    array = zarr.open_array(str(path / "0"), mode="w", shape=prob.shape, dtype=prob.dtype)
    array[...] = prob


def mixed_folders(tmp_path, names: dict[str, str]):
    """Truth a.tif, b.tif, ... (two squares each) and a (3, 16, 16) map of the same layout
    for each, as OME-Zarr (``"zarr"``, axes c, y, x) or NPY (``"npy"``)."""
    truth, maps = tmp_path / "truth", tmp_path / "maps"
    truth.mkdir(parents=True)
    maps.mkdir()
    labels = two_squares()
    for name, kind in names.items():
        tifffile.imwrite(truth / f"{name}.tif", labels)
        if kind == "zarr":
            ome_zarr_map(maps / f"{name}.zarr", three_classes(labels))
        else:
            np.save(maps / f"{name}.npy", three_classes(labels))
    return truth, maps


# 1. Mixed maps: refused before the run, the class axis to give named ---------------------------


def test_mixed_maps_are_refused_naming_the_maps_and_the_class_axis(tmp_path):
    truth, maps = mixed_folders(tmp_path, {"a": "zarr", "b": "zarr", "c": "npy", "d": "npy"})
    with pytest.raises(ValueError) as refused:
        evaluate_files(truth, maps, probability=True, iou_thresholds=[0.5])
    assert str(refused.value) == (
        f"{maps / 'a.zarr'}: its OME-Zarr metadata name axis 0 a channel axis of 3 channels, "
        "but 2 of the run's 4 maps are not OME-Zarr and declare no class axis (the first: "
        f"{maps / 'c.npy'}, shape (3, 16, 16)); one class axis is read for every map, and "
        "none is given: give the class axis all of them have (channel_axis=0 if it is axis 0 "
        "in every map), or evaluate the OME-Zarr maps and the others in two runs."
    )
    # The advice works: class 1 (channel 0) is most probable on both squares and nowhere
    # else, so each map's two objects match the truth's (TP 2, FP 0, FN 0: accuracy 1).
    given = evaluate_files(truth, maps, probability=True, channel_axis=0, iou_thresholds=[0.5])
    assert given.n_failed == 0
    scored = given.per_image.set_index("name")[["n_true", "n_pred", "accuracy_50"]]
    assert scored.values.tolist() == [[2, 2, 1.0]] * 4


def test_a_first_map_of_another_format_does_not_hide_the_ome_zarr_axis(tmp_path):
    # The NPY map comes first: the OME-Zarr map after it still declares the axis.
    truth, maps = mixed_folders(tmp_path, {"a": "npy", "b": "zarr"})
    with pytest.raises(ValueError, match=r"^.*b\.zarr: its OME-Zarr metadata name axis 0 "):
        evaluate_files(truth, maps, probability=True, iou_thresholds=[0.5])
    # The whole run of OME-Zarr maps alone still takes the declared axis.
    (maps / "a.npy").unlink()
    with pytest.warns(UserWarning, match="it is read as the maps' class axis"):
        alone = evaluate_files(truth, maps, probability=True, iou_thresholds=[0.5])
    assert alone.settings.channel_axis == 0
    assert alone.per_image["accuracy_50"].tolist() == [1.0]


def test_the_command_line_refuses_mixed_maps_before_writing_anything(tmp_path, capsys):
    truth, maps = mixed_folders(tmp_path, {"a": "zarr", "b": "npy"})
    out = tmp_path / "out"
    args = (truth, maps, "--probability", "--iou-thresholds", "0.5", "--out", out)
    assert run(*args) == 2
    captured = capsys.readouterr()
    assert captured.err.endswith(
        f"error: {maps / 'a.zarr'}: its OME-Zarr metadata name axis 0 a channel axis of 3 "
        "channels, but 1 of the run's 2 maps are not OME-Zarr and declare no class axis (the "
        f"first: {maps / 'b.npy'}, shape (3, 16, 16)); one class axis is read for every map, "
        "and none is given: give the class axis all of them have (--channel-axis 0 if it is "
        "axis 0 in every map), or evaluate the OME-Zarr maps and the others in two runs.\n"
    )
    assert "failed:" not in captured.err and not out.exists()
    # With the option it names, every pair is scored: both squares matched in each.
    assert run(*args, "--channel-axis", "0") == 0
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image[["n_true", "n_pred", "accuracy_50"]].values.tolist() == [[2, 2, 1.0]] * 2
    record = json.loads((out / "settings.json").read_text())["settings"]
    assert record["channel_axis"] == 0


# 2. The pixel-size note: one rule, each caller's words ---------------------------------------


def calibrated(path, sizes: tuple[float, float] | None) -> None:
    """Two squares saved as an ImageJ TIFF of pixel size ``sizes`` (y, x) in µm, or without
    one."""
    if sizes is None:
        tifffile.imwrite(path, two_squares())
        return
    resolution = (1 / sizes[1], 1 / sizes[0])  # pixels per µm along x, then y
    tifffile.imwrite(
        path, two_squares(), imagej=True, resolution=resolution, metadata={"unit": "um"}
    )


@pytest.mark.parametrize(
    ("sizes", "boundary", "split", "expected"),
    [
        ((0.5, 0.25), True, False, (0.5, 0.25)),
        ((0.5, 0.25), False, True, (0.5, 0.25)),  # unequal: the split differs in µm
        ((0.5, 0.25), False, False, None),  # nothing measured
        ((0.5, 0.5), False, True, None),  # equal: the split is the same in pixels
        ((0.5, 0.5), True, True, (0.5, 0.5)),  # boundary distances differ by the unit
        ((1.0, 1.0), True, True, None),  # 1 on every axis: already pixels
        (None, True, True, None),  # no pixel size in the file
    ],
)
def test_one_rule_for_the_command_line_and_the_tab(tmp_path, sizes, boundary, split, expected):
    pytest.importorskip("napari")
    from napari_seg_eval._qt.dataset_panel import pixel_size_note
    from napari_seg_eval.io.read import unused_pixel_size

    path = tmp_path / "a.tif"
    calibrated(path, sizes)
    found = unused_pixel_size(path, boundary=boundary, split=split)
    assert (None if found is None else (found.sizes, found.unit)) == (
        None if expected is None else (expected, "µm")
    )
    cli = _pixel_size_note(path, boundary=boundary, split=split)
    tab = pixel_size_note(path, boundary=boundary, split=split)
    if expected is None:
        assert cli is None and tab is None
        return
    shown = ",".join(f"{size:g}" for size in expected)
    # Each in its own words: --spacing on the command line, the spacing box in the tab.
    assert cli.startswith(f"{path} gives a pixel size of {shown} µm in its metadata, but ")
    assert cli.endswith(f"(or give --spacing {shown}).")
    assert tab.startswith(f"a.tif gives a pixel size of {shown.replace(',', ', ')} µm")
    assert "while the spacing box (Options) is empty: write 'file' there" in tab


def test_a_file_that_cannot_be_read_has_no_note(tmp_path):
    from napari_seg_eval.io.read import unused_pixel_size

    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    assert unused_pixel_size(broken, boundary=True, split=True) is None
    assert unused_pixel_size(tmp_path / "absent.tif", boundary=True, split=False) is None
