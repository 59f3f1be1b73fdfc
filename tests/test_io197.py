"""io197: a folder that is a zarr group of images is a folder, not one image; two single
files of the Cell Tracking Challenge's slice are named and scored on their plane as a list
of them is; ``--quiet`` keeps the notice of a map read on another axis than its metadata
declare, and drops other libraries' UserWarnings."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import zarr

from napari_seg_eval.__main__ import main
from napari_seg_eval.io import evaluate as io_evaluate
from napari_seg_eval.io import evaluate_files, pair_files
from napari_seg_eval.io.read import file_pixel_size, read_labels

tifffile = pytest.importorskip("tifffile")


def run(*argv) -> int:
    try:
        code = main(["evaluate", *map(str, argv)])
    except SystemExit as stop:
        return int(stop.code or 0)
    return int(code or 0)


def squares(shape=(20, 20)) -> np.ndarray:
    """Two 4x4 true objects: id 1 left (columns 2..5), id 2 right (columns 12..15)."""
    truth = np.zeros(shape, np.uint16)
    truth[2:6, 2:6] = 1
    truth[2:6, 12:16] = 2
    return truth


def truth_folder(tmp_path):
    truth = tmp_path / "gt"
    truth.mkdir()
    for name in ("img1", "img2"):
        np.save(truth / f"{name}.npy", squares())
    return truth


def test_a_dask_store_of_zarr_images_is_a_folder(tmp_path):
    """dask's to_zarr("preds", component="img1.zarr") writes a zarr group (zarr.json) at the
    top of the folder: its entries img1.zarr and img2.zarr pair with the truth's files, both
    found exactly (F1 at IoU 0.5 = 2 matched / 2 objects = 1)."""
    da = pytest.importorskip("dask.array")
    truth = truth_folder(tmp_path)
    preds = tmp_path / "preds"
    for name in ("img1", "img2"):
        da.from_array(squares()).to_zarr(str(preds), component=f"{name}.zarr")
    pairing = pair_files(truth, preds)
    assert pairing.names == ["img1", "img2"]
    assert [pred.name for _, pred in pairing.pairs] == ["img1.zarr", "img2.zarr"]
    assert run(truth, preds, "--out", tmp_path / "o", "--quiet") == 0
    per_image = pd.read_csv(tmp_path / "o" / "per_image.csv")
    assert per_image["name"].tolist() == ["img1", "img2"]
    assert per_image["f1_50"].tolist() == [1.0, 1.0]


def test_a_zarr_2_group_of_zarr_images_is_a_folder(tmp_path):
    """A folder of zarr 2 arrays named *.zarr with a .zgroup at its top (written by
    zarr.open_group): a folder of two images, not one image."""
    truth = truth_folder(tmp_path)
    group = zarr.open_group(str(tmp_path / "preds"), mode="w", zarr_format=2)
    for name in ("img1", "img2"):
        group.create_array(f"{name}.zarr", shape=(20, 20), dtype=np.uint16)[...] = squares()
    assert (tmp_path / "preds" / ".zgroup").is_file()
    assert pair_files(truth, tmp_path / "preds").names == ["img1", "img2"]


def ome_image(path, labels_too: bool = False) -> None:
    """An OME-Zarr 0.4 image of squares() at ``path`` (a name without .zarr), with one
    label image, cells, of squares() * 5 (ids 5 and 10) under labels/ when ``labels_too``."""
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    axes = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    multiscales = [{"version": "0.4", "axes": axes, "datasets": [{"path": "0"}]}]
    group.attrs.update({"multiscales": multiscales})
    group.create_array("0", shape=(20, 20), dtype=np.uint16)[...] = squares()
    if labels_too:
        label_group = group.create_group("labels")
        label_group.attrs.update({"labels": ["cells"]})
        cells = label_group.create_group("cells")
        cells.attrs.update({"multiscales": multiscales})
        cells.create_array("0", shape=(20, 20), dtype=np.uint16)[...] = squares() * 5


def test_zarr_images_named_without_zarr_stay_one_image(tmp_path):
    """A group with multiscales metadata, the array of its level (slide/0) and its labels/
    group (OME labels metadata), each named without .zarr, are each one image."""
    ome_image(tmp_path / "slide", labels_too=True)
    np.save(tmp_path / "truth.npy", squares())
    for image in ("slide", "slide/0"):
        pairing = pair_files(tmp_path / "truth.npy", tmp_path / image)
        assert pairing.pairs == [(tmp_path / "truth.npy", tmp_path / image)]
    result = evaluate_files(tmp_path / "truth.npy", tmp_path / "slide", kind="instance")
    assert result.per_image["f1_50"].tolist() == [1.0]
    labels = tmp_path / "slide" / "labels"
    assert pair_files(tmp_path / "truth.npy", labels).pairs == [(tmp_path / "truth.npy", labels)]
    # The labels/ group given itself: its one label image, cells (ids 5 and 10).
    assert np.unique(np.asarray(read_labels(labels))).tolist() == [0, 5, 10]


def ctc_slice(tmp_path):
    """The Cell Tracking Challenge's slice: truth man_seg_001_003.tif, plane 3 of frame 1,
    and its result mask001.tif, a volume of 5 planes in which only plane 3 holds the objects
    (found exactly there: F1 at IoU 0.5 = 1; any other plane finds none)."""
    gt, res = tmp_path / "01_GT" / "SEG", tmp_path / "01_RES"
    gt.mkdir(parents=True)
    res.mkdir()
    volume = np.zeros((5, 20, 20), np.uint16)
    volume[3] = squares()
    tifffile.imwrite(gt / "man_seg_001_003.tif", squares())
    tifffile.imwrite(res / "mask001.tif", volume)
    return gt / "man_seg_001_003.tif", res / "mask001.tif"


def test_two_ctc_files_are_named_and_scored_on_their_plane(tmp_path):
    """The slice's truth and result given as two files with the prefixes: named 001_003 and
    scored on plane 3, as the same files given as a list (settings.json's recipe) are."""
    truth, result_file = ctc_slice(tmp_path)
    pairing = pair_files(truth, result_file, truth_prefix="man_seg", prediction_prefix="mask")
    assert pairing.names == ["001_003"]
    assert pairing.planes == {"001_003": 3}
    out = tmp_path / "o"
    prefixes = ("--truth-prefix", "man_seg", "--prediction-prefix", "mask")
    assert run(*prefixes, "--kind", "instance", "--out", out, truth, result_file, "--quiet") == 0
    per_image = pd.read_csv(out / "per_image.csv", dtype={"name": str})
    assert per_image["name"].tolist() == ["001_003"]
    assert per_image["plane"].tolist() == [3]
    assert per_image["f1_50"].tolist() == [1.0]
    recorded = json.loads((out / "settings.json").read_text())
    pairs = [(pair["truth"], pair["prediction"]) for pair in recorded["pairs"]]
    again = evaluate_files(pairs, **recorded["settings"])
    assert again.per_image["name"].tolist() == ["001_003"]
    assert again.per_image["f1_50"].tolist() == [1.0]


def test_a_listed_pair_under_another_prefix_is_no_slice(tmp_path):
    """Folders paired under the truth prefix gt: gt_001_002.npy pairs with _001_002.npy as
    the pair _001_002, a whole image (only the challenge's man_seg names slices); the same
    files given as a list (settings.json's recipe) are named so too, not 001_002 on plane 2."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    np.save(truth / "gt_001_002.npy", squares())
    np.save(pred / "_001_002.npy", squares())
    out = tmp_path / "o"
    assert run("--truth-prefix", "gt", "--kind", "instance", "--out", out, truth, pred) == 0
    recorded = json.loads((out / "settings.json").read_text())
    pairs = [(pair["truth"], pair["prediction"]) for pair in recorded["pairs"]]
    again = evaluate_files(pairs, **recorded["settings"])
    assert again.per_image["name"].tolist() == ["_001_002"]
    assert again.per_image["f1_50"].tolist() == [1.0]


def test_quiet_keeps_the_notice_of_a_map_read_on_another_axis(tmp_path, capsys):
    """An OME-Zarr map whose metadata name axis 1 its channel axis, read with --channel-axis
    0: the notice that the run reads another axis than declared says the numbers may be
    wrong, so --quiet keeps it."""
    truth, maps = tmp_path / "t", tmp_path / "m"
    truth.mkdir()
    maps.mkdir()
    np.save(truth / "a.npy", squares())
    prob = np.zeros((2, 20, 20), np.float32)
    prob[0], prob[1] = squares() == 0, squares() > 0
    group = zarr.open_group(str(maps / "a.ome.zarr"), mode="w", zarr_format=2)
    axes = [{"name": "y", "type": "space"}, {"name": "c", "type": "channel"}]
    axes.append({"name": "x", "type": "space"})
    group.attrs.update({"multiscales": [{"axes": axes, "datasets": [{"path": "0"}]}]})
    group.create_array("0", shape=prob.shape, dtype=prob.dtype)[...] = prob
    options = ("--probability", "--channel-axis", "0", "--background-channel", "--quiet")
    assert run(truth, maps, *options, "--kind", "instance", "--out", tmp_path / "o") == 0
    said = capsys.readouterr().err
    assert "its OME-Zarr metadata name axis 1 its channel axis, but the run reads axis 0" in said


def test_quiet_drops_other_libraries_user_warnings(tmp_path, capsys, monkeypatch):
    """With --quiet, a UserWarning given by another library during the run (here by this
    test's module) is not said; the package's own (ignore_label 0 leaves out the background)
    is; without --quiet, both are."""
    truth = truth_folder(tmp_path)
    preds = tmp_path / "preds"
    preds.mkdir()
    for name in ("img1", "img2"):
        np.save(preds / f"{name}.npy", squares())
    pairs_run = io_evaluate.run_pairs

    def run_pairs_with_a_foreign_warning(*args, **kwargs):
        warnings.warn("a notice of another library", UserWarning, stacklevel=1)
        return pairs_run(*args, **kwargs)

    monkeypatch.setattr(io_evaluate, "run_pairs", run_pairs_with_a_foreign_warning)
    options = ("--ignore-label", "0", "--kind", "instance")
    assert run(truth, preds, *options, "--out", tmp_path / "q", "--quiet") == 0
    quiet = capsys.readouterr().err
    assert "ignore_label=0 leaves out every pixel that is background" in quiet
    assert "a notice of another library" not in quiet
    assert run(truth, preds, *options, "--out", tmp_path / "loud") == 0
    loud = capsys.readouterr().err
    assert "a notice of another library" in loud
    assert "ignore_label=0 leaves out every pixel that is background" in loud


def test_a_zarr_image_named_without_zarr_gives_its_pixel_size(tmp_path):
    """An OME-Zarr image named without .zarr (read as one image) gives the pixel size of its
    metadata (level 0's scale, 0.5 x 0.25 micrometer), as one named .ome.zarr does."""
    group = zarr.open_group(str(tmp_path / "slide"), mode="w", zarr_format=2)
    axes = [{"name": axis, "type": "space", "unit": "micrometer"} for axis in "yx"]
    scale = [{"type": "scale", "scale": [0.5, 0.25]}]
    datasets = [{"path": "0", "coordinateTransformations": scale}]
    group.attrs.update({"multiscales": [{"version": "0.4", "axes": axes, "datasets": datasets}]})
    group.create_array("0", shape=(20, 20), dtype=np.uint16)[...] = squares()
    size = file_pixel_size(tmp_path / "slide")
    assert (size.sizes, size.unit) == ((0.5, 0.25), "µm")
