"""``napari-seg-eval sample FOLDER`` and ``write_sample_folders``: sample folders to try
``napari-seg-eval evaluate`` on, without data of one's own."""

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval import make_sample_data
from napari_seg_eval._sample_data import SAMPLE_FOLDERS, write_sample_folders

N_IMAGES = 2


def _main(*args):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    return exit_info.value.code


def test_sample_writes_the_folders_and_says_what_to_try(tmp_path, capsys):
    folder = tmp_path / "sample"
    assert _main("sample", str(folder), "--n-images", str(N_IMAGES)) == 0
    said = capsys.readouterr().out
    for name in SAMPLE_FOLDERS:
        assert sorted(p.name for p in (folder / name).iterdir()) == ["img1.tif", "img2.tif"]
        assert str(folder / name) in said
    assert f"napari-seg-eval evaluate {folder / 'truth'} {folder / 'pred'}" in said
    # img2 is the sample of seed 1: its truth and its map, as make_sample_data gives them.
    data = make_sample_data(seed=1)
    np.testing.assert_array_equal(
        tifffile.imread(folder / "truth" / "img2.tif"), data["ground_truth"]
    )
    probability = tifffile.imread(folder / "probabilities" / "img2.tif")
    assert probability.dtype == np.float32
    np.testing.assert_array_equal(probability, data["probability"])
    # The seeds differ: so do the truths.
    first = tifffile.imread(folder / "truth" / "img1.tif")
    assert not np.array_equal(first, data["ground_truth"])


def test_evaluate_runs_on_the_sample_folders(tmp_path):
    folder = tmp_path / "sample"
    write_sample_folders(folder, n_images=N_IMAGES)
    labels, maps = tmp_path / "labels", tmp_path / "maps"
    assert (
        _main(
            "evaluate", str(folder / "truth"), str(folder / "pred"), "--out", str(labels), "--quiet"
        )
        == 0
    )
    summary = pd.read_csv(labels / "summary.csv")
    # img1.tif and img2.tif in both folders: two pairs by name, none failed.
    assert (summary.loc[0, "n_pairs"], summary.loc[0, "n_failed"]) == (N_IMAGES, 0)
    # pred/ holds label_instances(p > 0.5, connectivity=1, split_touching=True) of each map;
    # --probability --split-touching thresholds the same float32 map at the same 0.5 (the
    # default) and labels it with the same function, connectivity 1 (the command line's
    # default) and the split: the same label images, so every number is the same.
    args = ["--probability", "--split-touching", "--out", str(maps), "--quiet"]
    assert _main("evaluate", str(folder / "truth"), str(folder / "probabilities"), *args) == 0
    pd.testing.assert_frame_equal(pd.read_csv(maps / "summary.csv"), summary)


def test_sample_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert _main("sample", str(folder)) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]  # nothing written
    with pytest.raises(FileExistsError, match="not empty"):
        write_sample_folders(folder)
    # An empty folder is taken.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert sorted(write_sample_folders(empty, n_images=1)) == sorted(SAMPLE_FOLDERS)
