"""cli194: settings.json names a pairing's pairs as it did (the recipe that makes a run again
from Python), a lone class image beside its pair is pointed out, --quiet keeps the notes that
say the numbers are likely wrong, a float label image's message says only what it knows, and
OME-Zarr refusals name the level order and the array to give."""

import json

import numpy as np
import pandas as pd
import pytest
import zarr

from napari_seg_eval.__main__ import main
from napari_seg_eval.io import evaluate_files, pair_files


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


def cellpose_folders(tmp_path):
    """Cellpose's names, with a region mask named after each pair (``img1_region.npy``, the
    left half): the prediction finds the left object exactly and misses the right one."""
    truth, pred = tmp_path / "truth", tmp_path / "cellpose"
    truth.mkdir()
    pred.mkdir()
    for name in ("img1", "img2"):
        found = np.zeros((20, 20), np.uint16)
        found[2:6, 2:6] = 7
        region = np.zeros((20, 20), np.uint8)
        region[:, :10] = 1
        np.save(truth / f"{name}_masks.npy", squares())
        np.save(pred / f"{name}_cp_masks.npy", found)
        np.save(truth / f"{name}_region.npy", region)
    return truth, pred


def test_settings_json_makes_a_pairings_run_again_under_its_names(tmp_path):
    """trial185: pair_files with Cellpose's suffixes and a region suffix, the pairing given
    to evaluate_files: settings.json records the pairing's suffixes, so that docs/large-data.md's
    recipe names the pairs as they were and finds their region files again."""
    truth, pred = cellpose_folders(tmp_path)
    pairing = pair_files(
        truth,
        pred,
        truth_suffix="_masks",
        prediction_suffix="_cp_masks",
        region_suffix="_region",
    )
    result = evaluate_files(pairing, kind="instance", region_suffix="_region")
    # In the left half: one true object, found exactly (the right one is outside the region).
    assert result.per_image[["name", "n_true", "n_pred", "f1_50"]].to_dict("list") == {
        "name": ["img1", "img2"],
        "n_true": [1, 1],
        "n_pred": [1, 1],
        "f1_50": [1.0, 1.0],
    }
    result.write(tmp_path / "results")
    s = json.loads((tmp_path / "results" / "settings.json").read_text())
    assert s["settings"]["truth_suffix"] == "_masks"
    assert s["settings"]["prediction_suffix"] == "_cp_masks"
    again = evaluate_files([(p["truth"], p["prediction"]) for p in s["pairs"]], **s["settings"])
    assert again.n_failed == 0
    pd.testing.assert_frame_equal(again.per_image, result.per_image)


def test_a_pairings_region_suffix_is_used_when_not_given_again(tmp_path):
    """The region files pair_files set aside are the pairs' regions: evaluate_files given the
    pairing alone scores within them (and records the suffix), rather than leave them out
    unsaid."""
    truth, pred = cellpose_folders(tmp_path)
    pairing = pair_files(
        truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks", region_suffix="_region"
    )
    result = evaluate_files(pairing, kind="instance")
    assert result.settings.region_suffix == "_region"
    assert result.per_image["n_true"].tolist() == [1, 1]  # the right object is outside


def test_a_suffix_other_than_the_pairings_is_refused(tmp_path):
    truth, pred = cellpose_folders(tmp_path)
    pairing = pair_files(truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks")
    with pytest.raises(ValueError, match=r"truth_suffix='_gt' is not the truth_suffix the pairing"):
        evaluate_files(pairing, truth_suffix="_gt")


def test_two_files_are_named_as_a_list_of_them_is(tmp_path):
    """Two single files with the suffixes given: the pair is named without the truth suffix,
    as the same files given as a list (settings.json's pairs) name it."""
    truth, pred = cellpose_folders(tmp_path)
    one = (truth / "img1_masks.npy", pred / "img1_cp_masks.npy")
    pairing = pair_files(*one, truth_suffix="_masks", prediction_suffix="_cp_masks")
    assert pairing.names == ["img1"]
    result = evaluate_files(pairing, kind="instance")
    listed = evaluate_files([one], kind="instance", **_named_by(result))
    assert listed.per_image["name"].tolist() == result.per_image["name"].tolist() == ["img1"]


def _named_by(result) -> dict:
    return {
        "truth_suffix": result.settings.truth_suffix,
        "truth_prefix": result.settings.truth_prefix,
    }


def test_one_class_image_beside_its_pair_is_pointed_out(tmp_path, capsys):
    """trial185: truth/vol1.npy beside truth/vol1_classes.npy (the same in pred/), no class
    suffix given: the class images are scored as a second pair of label images; the listing
    says so for one such pair too, even with --quiet (the numbers of that pair are wrong)."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    for folder in (truth, pred):
        folder.mkdir()
        np.save(folder / "vol1.npy", squares())
        np.save(folder / "vol1_classes.npy", (squares() > 0).astype(np.uint8))
    said = "1 pair(s) are named as other pairs plus '_classes'"
    assert said in pair_files(truth, pred).describe()
    assert run(truth, pred, "--out", tmp_path / "out", "--quiet") == 0
    assert said in capsys.readouterr().err
    # A name that is no class or region word, alone: numbered or named images, not said.
    for folder in (truth, pred):
        (folder / "vol1_classes.npy").rename(folder / "vol1_bright.npy")
    assert "named as other pairs" not in pair_files(truth, pred).describe()


def four_channel_map(tmp_path) -> tuple:
    """A truth of two objects and a uint8 map of 4 channels whose channel 0 is background
    (255 off the objects) and channel 1 the objects (255 on them), each in its folder."""
    truth, maps = tmp_path / "truth", tmp_path / "maps"
    truth.mkdir()
    maps.mkdir()
    labels = squares()
    prob = np.zeros((4, *labels.shape), np.uint8)
    prob[0] = np.where(labels == 0, 255, 0)
    prob[1] = np.where(labels > 0, 255, 0)
    np.save(truth / "a.npy", labels)
    np.save(maps / "a.npy", prob)
    return truth, maps


def test_quiet_keeps_the_note_that_channel_0_is_likely_background(tmp_path, capsys):
    """trial186: read with channel k as class k + 1, the map's background channel makes the
    truth's background one object: the note saying to set --background-channel is the only
    sign of the wrong numbers, and --quiet keeps it; the routine note that the uint8 map is
    read as value / 255 it drops (said without --quiet)."""
    truth, maps = four_channel_map(tmp_path)
    options = ("--probability", "--channel-axis", "0", "--kind", "instance")
    assert run(truth, maps, "--out", tmp_path / "loud", *options) == 0
    loud = capsys.readouterr()
    assert "uint8 probabilities are read as value / 255" in loud.err
    assert "if channel 0 is background, set --background-channel" in loud.err
    assert run(truth, maps, "--out", tmp_path / "quiet", *options, "--quiet") == 0
    quiet = capsys.readouterr()
    assert "if channel 0 is background, set --background-channel" in quiet.err
    assert "read as value / 255" not in quiet.err
    assert "pairs evaluated" not in quiet.out + quiet.err  # no summary, no progress
    assert "pair(s) of files" not in quiet.err  # nor the routine listing


def test_a_blocks_range_is_never_said_as_the_datas():
    """trial186: a float label image checked block by block as probabilities: the message
    names the value found in the block that failed, not its range as if it were the data's
    (the first block of a layer of 0..3.36e7 held 0..9)."""
    from napari_seg_eval.core._validate import LogitsError, check_probability_range

    block = np.array([0.0, 4.0, 9.0])
    with pytest.raises(LogitsError) as raised:
        check_probability_range(block.min(), block.max(), values=block, block=True)
    said = str(raised.value)
    assert "[0, 9]" not in said
    assert said.startswith("probabilities must lie in [0, 1], found 9 in a block of them")
    assert "Every value of that block is a whole number" in said
    assert raised.value.block and raised.value.kind == "labels"
    # Logits below 0 and above 1 in one block: both values named.
    with pytest.raises(LogitsError, match=r"found -2 and 3 in a block of them"):
        check_probability_range(-2.0, 3.0, block=True)


def pyramid_group(path, levels: list[np.ndarray], multiscales: bool = True) -> None:
    """A zarr group holding ``levels`` as arrays "0", "1", ... (in this order), with OME-Zarr
    0.4 multiscales metadata listing them in this order, or none."""
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    if multiscales:
        axes = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
        datasets = [{"path": str(index)} for index in range(len(levels))]
        group.attrs.update(
            {"multiscales": [{"version": "0.4", "axes": axes, "datasets": datasets}]}
        )
    for index, level in enumerate(levels):
        array = group.create_array(str(index), shape=level.shape, dtype=level.dtype)
        array[...] = level


def test_levels_stored_coarsest_first_are_said_so(tmp_path, capsys):
    """trial186 a2: an OME-Zarr whose levels are written coarsest first: its level 0 is the
    coarsest, which the run would read; refused naming the order, the two levels and the
    array to give, rather than "shapes differ" alone."""
    full = np.kron(squares(), np.ones((4, 4), np.uint16))  # 80 x 80
    levels = [full[::4, ::4], full[::2, ::2], full]  # 20, 40, 80: coarsest first
    np.save(tmp_path / "truth.npy", full)
    pyramid_group(tmp_path / "pred.ome.zarr", levels)
    assert run(tmp_path / "truth.npy", tmp_path / "pred.ome.zarr", "--out", tmp_path / "o") == 1
    said = capsys.readouterr().err
    assert (
        "its multiscales levels are not stored largest first: level 0 (path '0') is (20, 20)"
        in said
    )
    assert f"e.g. {tmp_path / 'pred.ome.zarr' / '2'}" in said
    # The largest array given itself: evaluated, every object found.
    code = run(tmp_path / "truth.npy", tmp_path / "pred.ome.zarr" / "2", "--out", tmp_path / "p")
    assert code == 0
    assert pd.read_csv(tmp_path / "p" / "per_image.csv")["f1_50"].tolist() == [1.0]


def test_a_group_of_arrays_without_metadata_names_the_array_to_give(tmp_path, capsys):
    """trial186 e: a pyramid's arrays 0, 1, 2 without multiscales metadata: the refusal names
    the path to give, the largest array's."""
    full = np.kron(squares(), np.ones((2, 2), np.uint16))
    pyramid_group(tmp_path / "pred.zarr", [full, full[::2, ::2]], multiscales=False)
    np.save(tmp_path / "truth.npy", full)
    assert run(tmp_path / "truth.npy", tmp_path / "pred.zarr", "--out", tmp_path / "o") == 1
    said = capsys.readouterr().err
    assert (
        "no multiscales metadata; arrays: 0, 1). Give the path of the array itself, e.g. "
        + (f"{tmp_path / 'pred.zarr' / '0'}.")
        in said
    )
