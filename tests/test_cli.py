"""The command line: napari-seg-eval evaluate TRUTH PREDICTION ..."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import shlex
import signal
import socket
import sys
import time

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval import dataset_metrics, label_instances
from napari_seg_eval.io import evaluate as evaluate_module


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


@pytest.fixture
def folders(tmp_path):
    """Cellpose-style names: truth/img{i}_masks.tif, pred/img{i}_cp_masks.tif, plus one truth
    without a prediction. Image i has one true square; the prediction covers its top rows."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    arrays = []
    for i in range(3):
        true = np.zeros((10, 10), np.uint16)
        true[2:6, 2:6] = 1  # 16 pixels
        guess = np.zeros((10, 10), np.uint16)
        guess[2 : 3 + i, 2:6] = 9  # 4, 8, 12 pixels inside: IoU 0.25, 0.5, 0.75
        tifffile.imwrite(truth / f"img{i}_masks.tif", true)
        tifffile.imwrite(pred / f"img{i}_cp_masks.tif", guess)
        arrays.append((true, guess))
    tifffile.imwrite(truth / "lonely_masks.tif", np.zeros((10, 10), np.uint16))
    return truth, pred, arrays


def cellpose_args(truth, pred, out):
    return [
        str(truth),
        str(pred),
        "--out",
        str(out),
        "--truth-suffix",
        "_masks",
        "--prediction-suffix",
        "_cp_masks",
        "--iou-thresholds",
        "0.5,0.7",
    ]


def test_evaluate_writes_the_result_folder(folders, tmp_path, capsys):
    truth, pred, arrays = folders
    out = tmp_path / "out"
    assert run(*cellpose_args(truth, pred, out)) == 0
    err = capsys.readouterr().err
    assert "3 pair(s)" in err and "lonely_masks.tif" in err  # unpaired file listed
    assert "3/3 pairs" in err
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert per_image["name"].tolist() == ["img0", "img1", "img2"]
    # By hand: IoU 0.25, 0.5, 0.75 -> matched at 0.5 for img1 and img2, at 0.7 for img2 only.
    assert per_image["mean_accuracy"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    pooled = pd.read_csv(out / "instance_pooled.csv")
    assert pooled["tp"].tolist() == [2, 1]
    assert pooled["fp"].tolist() == [1, 2]
    expected = dataset_metrics(*zip(*arrays, strict=True), iou_thresholds=[0.5, 0.7])
    pd.testing.assert_frame_equal(pooled, expected.pooled, check_dtype=False)
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "mean_accuracy_pooled"] == pytest.approx((2 / 4 + 1 / 5) / 2)
    record = json.loads((out / "settings.json").read_text())
    assert record["settings"]["iou_thresholds"] == [0.5, 0.7]
    assert record["unpaired_truth"] == [str((truth / "lonely_masks.tif").resolve())]
    assert record["command"][0] == "evaluate"


@pytest.mark.parametrize("n_unpaired", [11, 14])
def test_a_long_list_of_unpaired_files_is_cut_after_ten(tmp_path, capsys, n_unpaired):
    # A challenge's results hold every frame, its truth a few: the command lists 10 files of
    # such a list and says how many more (11 are all listed: "and 1 more" saves no line);
    # settings.json keeps every one of them.
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    image = np.zeros((4, 4), np.uint16)
    image[1:3, 1:3] = 1
    tifffile.imwrite(truth / "f00.tif", image)
    names = [f"f{i:02d}.tif" for i in range(n_unpaired + 1)]
    for name in names:
        tifffile.imwrite(pred / name, image)
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out)) == 0
    lines = capsys.readouterr().err.splitlines()
    start = lines.index(f"{n_unpaired} predictions without a ground truth:")
    listed = [line.strip() for line in lines[start + 1 : start + 12] if line.startswith("  ")]
    shown = n_unpaired if n_unpaired == 11 else 10
    assert listed[:shown] == [str(pred / name) for name in names[1 : shown + 1]]
    if n_unpaired == 14:
        assert listed[10] == (
            f"... and 4 more (all listed in {out / 'settings.json'} once the results are written)"
        )
    record = json.loads((out / "settings.json").read_text())
    assert record["unpaired_prediction"] == [str((pred / name).resolve()) for name in names[1:]]


def test_the_notice_of_a_pair_that_then_fails_is_said(tmp_path, capsys):
    # A 4-plane volume saved with tifffile's defaults is stored as planar RGBA: its 4 equal
    # planes are read as one grey 2-D image (a notice), so a spacing of 3 values fails the
    # pair. The notice that explains the 2-D was printed only when the pair succeeded.
    volume = np.zeros((4, 8, 8), np.uint16)
    volume[:, 2:5, 2:5] = 1  # the same square on every plane: the "colours" are all equal
    path = tmp_path / "v.tif"
    with pytest.warns(DeprecationWarning):  # tifffile's: stored as RGB with separate planes
        tifffile.imwrite(path, volume)
    argv = [str(path), str(path), "--out", str(tmp_path / "out"), "--boundary"]
    assert run(*argv, "--spacing", "2,0.5,0.5") == 1  # the pair failed
    err = capsys.readouterr().err
    assert "spacing must be one number or one per axis (2 for these images)" in err
    assert (
        f"napari-seg-eval: {path}: an RGBA image whose colour channels are all equal (grey): "
        "read as one channel (its alpha channel left out). If its 4 samples per pixel are "
        "planes of labels (a volume of shape (4, 8, 8)), not colours"
    ) in err


def test_cellpose_images_masks_and_predictions_in_one_folder(tmp_path, capsys):
    # Cellpose's own layout: img.tif, img_masks.tif (truth), img_cp_masks.tif (prediction).
    folder = tmp_path / "cells"
    folder.mkdir()
    true = np.zeros((10, 10), np.uint16)
    true[2:6, 2:6] = 1
    tifffile.imwrite(folder / "img.tif", (true * 200).astype(np.uint8))  # the image
    tifffile.imwrite(folder / "img_masks.tif", true)
    tifffile.imwrite(folder / "img_cp_masks.tif", true * 3)  # the same object: IoU 1
    out = tmp_path / "out"
    argv = [str(folder), str(folder), "--out", str(out), "--iou-thresholds", "0.5"]
    assert run(*argv, "--truth-suffix", "_masks", "--prediction-suffix", "_cp_masks") == 0
    err = capsys.readouterr().err
    assert "1 pair(s)" in err
    assert "without a prediction" not in err and "not used" not in err
    assert "1 image file(s) named as the pairs (the images), not evaluated." in err
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image["name"].tolist() == ["img"]
    assert per_image.loc[0, "f1_50"] == 1.0
    record = json.loads((out / "settings.json").read_text())
    assert record["images"] == [str((folder / "img.tif").resolve())]
    assert record["ignored"] == [] and record["unpaired_truth"] == []


def test_one_pair_has_no_interval_and_its_bounds_are_empty_in_the_csv(folders, tmp_path):
    truth, pred, _ = folders
    out = tmp_path / "out"
    files = [str(truth / "img2_masks.tif"), str(pred / "img2_cp_masks.tif")]
    assert run(*files, "--out", str(out), "--confidence-interval", "0.95") == 0
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False, dtype=str)
    assert float(summary.loc[0, "f1_50_image_mean"]) == 1.0  # IoU 0.75: found at 0.5
    bounds = [c for c in summary.columns if c.endswith(("_low", "_high"))]
    assert bounds and all(summary.loc[0, c] == "" for c in bounds)


def test_negative_label_ids_name_the_file_on_the_command_line(folders, tmp_path, capsys):
    truth, pred, _ = folders
    negative = np.zeros((10, 10), np.int16)
    negative[2:6, 2:6] = -1
    tifffile.imwrite(pred / "img1_cp_masks.tif", negative)
    out = tmp_path / "out"
    assert run(*cellpose_args(truth, pred, out)) == 1
    err = capsys.readouterr().err
    assert (
        f"failed: img1: {pred / 'img1_cp_masks.tif'}: the prediction has negative label ids "
        "(min -1); ids must be >= 0." in err
    )
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert str(pred / "img1_cp_masks.tif") in per_image.loc[1, "error"]


def test_a_failing_pair_gives_exit_code_1_and_the_others_are_written(folders, tmp_path, capsys):
    truth, pred, _ = folders
    (pred / "img1_cp_masks.tif").write_bytes(b"broken")
    out = tmp_path / "out"
    assert run(*cellpose_args(truth, pred, out)) == 1
    err = capsys.readouterr().err
    assert "failed: img1" in err and "img1_cp_masks.tif" in err
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image["error"].notna().tolist() == [False, True, False]
    assert per_image.loc[2, "mean_accuracy"] == pytest.approx(1.0)


def test_names_that_differ_by_a_suffix_get_the_options_to_give(folders, tmp_path, capsys):
    # img0..img2 would pair as img{i}_masks / img{i}_cp_masks: 3 pairs (lonely_masks has no
    # partner). Nothing is evaluated by guessing: exit 2, nothing written.
    truth, pred, _ = folders
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "napari-seg-eval evaluate: error: nothing to evaluate: no file has a partner; the names "
        "differ by a suffix: give --truth-suffix _masks --prediction-suffix _cp_masks (3 "
        "pair(s))."
    )
    assert "lonely_masks.tif" in err  # the files are listed, the hint said once
    assert err.count("differ by a suffix") == 1
    assert not out.exists()


def test_the_options_advised_for_suffixes_starting_with_a_dash_work(tmp_path, capsys):
    # "-gt" after "--truth-suffix " is read by argparse as an option: the advice must be
    # "--truth-suffix=-gt". Fed back to the command line, it pairs img1 and img2.
    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    labels = np.zeros((8, 8), np.uint16)
    labels[2:5, 2:5] = 1
    for name in ("img1", "img2"):
        tifffile.imwrite(truth / f"{name}-gt.tif", labels)
        tifffile.imwrite(pred / f"{name}-pred.tif", labels)
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out)) == 2
    err = capsys.readouterr().err
    advised = err.split("give ")[-1].split(" (2 pair(s))")[0]
    assert advised == "--truth-suffix=-gt --prediction-suffix=-pred"
    assert run(str(truth), str(pred), "--out", str(out), *shlex.split(advised)) == 0
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image["name"].tolist() == ["img1", "img2"]
    assert per_image["f1_50"].tolist() == [1.0, 1.0]


def test_one_folder_of_both_sides_gets_the_suffixes_its_names_show(tmp_path, capsys):
    # img{i}-gt and img{i}-pred in one folder (and img0.tif, the image): the error names
    # the options that tell them apart, as for two folders; typed back, they pair 2 files.
    folder = tmp_path / "dash"
    folder.mkdir()
    labels = np.zeros((8, 8), np.uint16)
    labels[2:5, 2:5] = 1
    tifffile.imwrite(folder / "img0.tif", labels.astype(np.uint8))
    for name in ("img0", "img1"):
        tifffile.imwrite(folder / f"{name}-gt.tif", labels)
        tifffile.imwrite(folder / f"{name}-pred.tif", labels)
    out = tmp_path / "out"
    argv = [str(folder), str(folder), "--out", str(out)]
    advice = "give --truth-suffix=-gt --prediction-suffix=-pred (2 pair(s))"
    assert run(*argv) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"napari-seg-eval evaluate: error: ground truth and predictions are both in {folder}: "
        f"the names differ by a suffix: {advice}."
    )
    # Other suffixes given, that pair nothing: the same hint after the files left out.
    assert run(*argv, "--truth-suffix", "_masks", "--prediction-suffix", "_cp_masks") == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "napari-seg-eval evaluate: error: nothing to evaluate: no file has a partner; the names "
        f"differ by a suffix: {advice}."
    )
    advised = advice.removeprefix("give ").split(" (")[0]
    assert run(*argv, *shlex.split(advised)) == 0
    assert pd.read_csv(out / "per_image.csv")["name"].tolist() == ["img0", "img1"]
    # Names that show no suffix: the generic example, naming the options (prefixes too).
    other = tmp_path / "other"
    other.mkdir()
    for name in ("x", "y"):
        tifffile.imwrite(other / f"{name}.tif", labels)
    assert run(str(other), str(other), "--out", str(tmp_path / "o2")) == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith(
            "give --truth-suffix and --prediction-suffix that tell them apart (e.g. '_masks' and "
            "'_cp_masks'), or --truth-prefix and --prediction-prefix (e.g. 'man_seg' and 'mask')."
        )
    )


@pytest.mark.parametrize(
    "option",
    [
        "--truth-suffix",
        "--prediction-suffix",
        "--region-suffix",
        "--truth-classes-suffix",
        "--prediction-classes-suffix",
    ],
)
def test_a_suffix_starting_with_a_dash_after_a_space_is_explained(tmp_path, capsys, option):
    # argparse reads "-gt" in "--truth-suffix -gt" as an option ("expected one argument"):
    # the error says to write --truth-suffix=-gt.
    assert run("t", "p", option, "-gt", "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"napari-seg-eval evaluate: error: argument {option}: '-gt' starts with '-' and was "
        f"read as an option: write {option}=-gt"
    )
    assert err.startswith("usage: napari-seg-eval evaluate")


def test_a_suffix_option_without_a_value_keeps_argparses_error(tmp_path, capsys):
    # Followed by another option, or by nothing: nothing to write with "=".
    for argv in (["t", "p", "--truth-suffix", "--out", "o"], ["t", "p", "--truth-suffix"]):
        assert run(*argv) == 2
        assert capsys.readouterr().err.splitlines()[-1] == (
            "napari-seg-eval evaluate: error: argument --truth-suffix: expected one argument"
        )
    # Abbreviated as argparse allows.
    assert run("t", "p", "--truth-suf", "-gt") == 2
    assert "write --truth-suffix=-gt" in capsys.readouterr().err


def test_a_uint8_label_image_given_as_probabilities_is_told(tmp_path, capsys):
    # Ids 111..142 (uint8) read as id / 255: those up to 127 are lost; the notice says why.
    from napari_seg_eval import make_sample_data

    data = make_sample_data(0)
    labels = label_instances(data["probability"] > 0.5, connectivity=1)
    tifffile.imwrite(tmp_path / "truth.tif", data["ground_truth"].astype(np.uint16))
    tifffile.imwrite(tmp_path / "ids.tif", np.where(labels > 0, labels + 110, 0).astype(np.uint8))
    argv = [str(tmp_path / "truth.tif"), str(tmp_path / "ids.tif"), "--probability"]
    assert run(*argv, "--out", str(tmp_path / "out")) == 0
    assert (
        f"napari-seg-eval: 1 of 1 predictions holds one value per object, as label images do "
        f"({tmp_path / 'ids.tif'}): read as probabilities, the objects with the smaller ids fall "
        "below the threshold 0.5 and are lost; is it a label image? (drop --probability)."
    ) in capsys.readouterr().err


def test_a_failed_pair_is_said_once_with_a_final_count(folders, tmp_path, capsys):
    truth, pred, _ = folders
    (pred / "img1_cp_masks.tif").write_bytes(b"broken")
    assert run(*cellpose_args(truth, pred, tmp_path / "out")) == 1
    err = capsys.readouterr().err
    assert err.count("failed: img1:") == 1
    per_image = tmp_path / "out" / "per_image.csv"
    assert f"1 of 3 pairs failed (said above); the errors are in {per_image}." in err
    assert run(*cellpose_args(truth, pred, tmp_path / "quiet"), "--quiet") == 1
    err = capsys.readouterr().err
    assert err.count("failed: img1:") == 1 and "pairs failed" not in err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--probability", "--threshold", "1.5"], "threshold must be in [0, 1], got 1.5."),
        (["--channel-axis", "0"], "--channel-axis is for probability maps: add --probability."),
        (["--workers", "0"], "--workers must be at least 1, got 0."),
    ],
)
def test_options_are_refused_before_the_files_are_listed(
    folders, tmp_path, capsys, option, message
):
    truth, pred, _ = folders
    assert run(*cellpose_args(truth, pred, tmp_path / "out"), *option) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "pair(s) of files" not in err and "lonely_masks" not in err
    assert not (tmp_path / "out").exists()


def test_probability_maps_that_are_label_images_are_told(folders, tmp_path, capsys):
    # The predictions are uint16 label images (id 9: 9 / 65535, nothing above 0.5).
    truth, pred, _ = folders
    assert run(*cellpose_args(truth, pred, tmp_path / "out"), "--probability") == 0
    err = capsys.readouterr().err
    first = pred / "img0_cp_masks.tif"
    assert (
        f"napari-seg-eval: 3 of 3 predictions have no pixel above the threshold 0.5 ({first} "
        "and 2 more): are they label images? (drop --probability)." in err.splitlines()
    )


def test_workers_name_the_files_in_errors_as_the_serial_run(tmp_path, monkeypatch, capsys):
    # Folders given relative to the current folder: the worker reads them by absolute path,
    # but per_image.csv's errors (and the lines said) name them as given, as the serial run.
    pytest.importorskip("distributed")
    truth, pred = two_folders(tmp_path)
    true = np.zeros((8, 8), np.uint16)
    true[2:6, 2:6] = 1
    for name in ("a", "b"):
        np.save(truth / f"{name}.npy", true)
    np.save(pred / "a.npy", true)
    np.save(pred / "b.npy", true[:4])
    monkeypatch.chdir(tmp_path)
    outs = {"serial": [], "workers": ["--workers", "1"]}
    for name, extra in outs.items():
        assert run("truth", "pred", "--out", name, *extra) == 1
        err = capsys.readouterr().err
        assert f"failed: b: shapes differ: {os.path.join('truth', 'b.npy')} (8, 8)" in err
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "workers" / "per_image.csv"),
        pd.read_csv(tmp_path / "serial" / "per_image.csv"),
    )


def test_bad_input_writes_nothing(folders, tmp_path, capsys):
    truth, pred, _ = folders
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out)) == 2  # no names in common
    assert "no file has a partner" in capsys.readouterr().err
    assert run(str(truth / "nope"), str(pred), "--out", str(out)) == 2
    assert "nope does not exist" in capsys.readouterr().err
    assert run(*cellpose_args(truth, pred, out), "--iou-thresholds", "2") == 2
    assert "IoU thresholds" in capsys.readouterr().err
    # A range counting down holds no value: said so, not "numbers in (0, 1]".
    assert run(*cellpose_args(truth, pred, out), "--iou-thresholds", "0.5:0.4:0.05") == 2
    err = capsys.readouterr().err
    assert "'0.5:0.4:0.05': the range is empty, its stop 0.4 is below its start 0.5" in err
    assert "e.g. 0.4:0.5:0.05" in err and "(0, 1]" not in err
    assert not out.exists()
    out.mkdir()
    (out / "summary.csv").write_text("keep me")
    assert run(*cellpose_args(truth, pred, out)) == 2
    err = capsys.readouterr().err
    # The command line names its flag only, not the Python keyword.
    assert "already holds files; choose another folder or pass --overwrite." in err
    assert "overwrite=True" not in err
    assert (out / "summary.csv").read_text() == "keep me"
    assert run(*cellpose_args(truth, pred, out), "--overwrite", "--quiet") == 0
    assert (out / "summary.csv").read_text() != "keep me"  # a result file: replaced


def test_a_folder_filled_during_the_run_is_refused_naming_the_flag(
    folders, tmp_path, monkeypatch, capsys
):
    # Checked before the work and again as the results are written, once each.
    import napari_seg_eval.io
    import napari_seg_eval.io.results

    truth, pred, _ = folders
    out = tmp_path / "out"
    evaluate_files, checked = napari_seg_eval.io.evaluate_files, []

    def another_run_writes(*args, **kwargs):
        result = evaluate_files(*args, **kwargs)
        out.mkdir()
        (out / "other.csv").write_text("another run")
        return result

    def counted(folder, **kwargs):
        checked.append(kwargs["option"])
        return check_output_folder(folder, **kwargs)

    check_output_folder = napari_seg_eval.io.results.check_output_folder
    monkeypatch.setattr(napari_seg_eval.io, "evaluate_files", another_run_writes)
    monkeypatch.setattr(napari_seg_eval.io, "check_output_folder", counted)
    monkeypatch.setattr(napari_seg_eval.io.results, "check_output_folder", counted)
    assert run(*cellpose_args(truth, pred, out), "--quiet") == 2
    err = capsys.readouterr().err
    assert "already holds files; choose another folder or pass --overwrite." in err
    assert "overwrite=True" not in err
    assert checked == ["--overwrite", "--overwrite"]
    assert sorted(p.name for p in out.iterdir()) == ["other.csv"]


def test_quiet_shows_no_progress_bar(folders, tmp_path, capsys):
    truth, pred, _ = folders
    assert run(*cellpose_args(truth, pred, tmp_path / "out"), "--quiet") == 0
    assert "pairs," not in capsys.readouterr().err


def test_probability_options(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    true = np.zeros((12, 12), np.uint8)
    true[1:5, 1:5] = 1
    true[7:11, 7:11] = 2
    prob = np.zeros((12, 12), np.float32)
    prob[1:5, 1:5] = 0.7  # above 0.6: object 1 found
    prob[7:11, 7:11] = 0.55  # not above 0.6: object 2 missed
    prob[0, 11] = 0.9  # one pixel: dropped by --min-size 2
    tifffile.imwrite(tmp_path / "t" / "a.tif", true)
    tifffile.imwrite(tmp_path / "p" / "a.tif", prob)
    out = tmp_path / "out"
    args = ["--probability", "--threshold", "0.6", "--min-size", "2", "--iou-thresholds", "0.5"]
    assert run(str(tmp_path / "t"), str(tmp_path / "p"), "--out", str(out), *args) == 0
    pooled = pd.read_csv(out / "instance_pooled.csv")
    assert (pooled.loc[0, "tp"], pooled.loc[0, "fp"], pooled.loc[0, "fn"]) == (1, 0, 1)
    record = json.loads((out / "settings.json").read_text())["settings"]
    assert (record["probability"], record["threshold"], record["min_size"]) == (True, 0.6, 2)


def test_integer_probability_maps_are_told_in_one_plain_line(tmp_path, capsys, recwarn):
    """uint8 maps read as value / 255: one line naming the first file and how many more, not
    a Python warning with its source line; none with --quiet."""
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    true = np.zeros((8, 8), np.uint8)
    true[2:6, 2:6] = 1
    for name in ("a", "b", "c"):
        tifffile.imwrite(tmp_path / "t" / f"{name}.tif", true)
        tifffile.imwrite(tmp_path / "p" / f"{name}.tif", true * np.uint8(200))
    args = (str(tmp_path / "t"), str(tmp_path / "p"), "--probability", "--iou-thresholds", "0.5")
    assert run(*args, "--out", str(tmp_path / "out")) == 0
    err = capsys.readouterr().err
    first = tmp_path / "p" / "a.tif"
    line = (
        f"napari-seg-eval: {first}: uint8 probabilities are read as value / 255 (and 2 more files)."
    )
    assert err.count("read as value / 255") == 1 and line in err.splitlines()
    assert "UserWarning" not in err and "warnings.warn" not in err
    assert not [w for w in recwarn if "value / 255" in str(w.message)]  # said, not warned
    assert run(*args, "--out", str(tmp_path / "quiet"), "--quiet") == 0
    assert capsys.readouterr().err == ""


def test_label_file_that_looks_like_a_probability_map_names_the_flag(tmp_path, capsys):
    """uint8 predictions whose 20 values each touch all 4 true objects thinly: one plain line
    for the run, naming --probability (not the Python keyword); scored as labels anyway."""
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    true = np.zeros((24, 24), np.uint8)
    for label, (row, col) in enumerate([(1, 1), (1, 13), (13, 1), (13, 13)], 1):
        true[row : row + 10, col : col + 10] = label
    rows, cols = np.indices(true.shape)
    looks = np.where(true > 0, 100 + (rows + cols) % 20, 0).astype(np.uint8)
    for name in ("a", "b"):
        tifffile.imwrite(tmp_path / "t" / f"{name}.tif", true)
        tifffile.imwrite(tmp_path / "p" / f"{name}.tif", looks)
    out = tmp_path / "out"
    assert run(str(tmp_path / "t"), str(tmp_path / "p"), "--out", str(out)) == 0
    err = capsys.readouterr().err
    line = (
        f"napari-seg-eval: if {tmp_path / 'p' / 'a.tif'} is a probability map (0-255), add "
        "--probability: its values were scored as object ids (and 1 more file)."
    )
    assert line in err.splitlines() and err.count("is a probability map") == 1
    assert "probability=True" not in err
    assert pd.read_csv(out / "per_image.csv")["n_pred"].tolist() == [20, 20]


def test_ctrl_c_stops_cleanly_and_writes_nothing(folders, tmp_path, monkeypatch, capsys):
    truth, pred, _ = folders
    real = evaluate_module.evaluate_pair
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluate_module, "evaluate_pair", interrupted)
    out = tmp_path / "out"
    assert run(*cellpose_args(truth, pred, out)) == 130
    assert "interrupted: nothing written" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred", "truth"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_scheduler_that_does_not_answer_is_a_clear_error(folders, tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    truth, pred, _ = folders
    monkeypatch.setattr(cli, "CONNECT_TIMEOUT", 1.0)
    address = f"tcp://127.0.0.1:{free_port()}"
    out = tmp_path / "out"
    started = time.perf_counter()
    assert run(*cellpose_args(truth, pred, out), "--scheduler", address) == 2
    assert time.perf_counter() - started < 30
    assert f"cannot reach the dask scheduler at {address}" in capsys.readouterr().err
    assert not out.exists()


def test_workers_give_the_serial_numbers(folders, tmp_path):
    pytest.importorskip("distributed")
    truth, pred, _ = folders
    assert run(*cellpose_args(truth, pred, tmp_path / "serial"), "--quiet") == 0
    assert run(*cellpose_args(truth, pred, tmp_path / "two"), "--quiet", "--workers", "2") == 0
    for name in ("per_image.csv", "instance_pooled.csv", "instance_image_mean.csv", "summary.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(tmp_path / "two" / name), pd.read_csv(tmp_path / "serial" / name)
        )


def base_args(truth, pred, out):
    return [
        str(truth),
        str(pred),
        "--out",
        str(out),
        "--truth-suffix",
        "_masks",
        "--prediction-suffix",
        "_cp_masks",
    ]


def test_preset_neurips2022_removes_border_objects_and_reports_the_median(tmp_path, capsys):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for i in range(3):
        true = np.zeros((12, 12), np.uint16)
        true[4:8, 4:8] = 1  # inside
        true[0:3, 0:3] = 2  # touches the 2-pixel border: removed
        guess = np.zeros((12, 12), np.uint16)
        guess[4 : 5 + i, 4:8] = 9  # IoU 1/4, 2/4, 3/4 with true 1
        guess[10:12, 5:7] = 8  # touches the border: removed
        tifffile.imwrite(truth / f"img{i}_masks.tif", true)
        tifffile.imwrite(pred / f"img{i}_cp_masks.tif", guess)
    out = tmp_path / "out"
    assert run(*base_args(truth, pred, out), "--preset", "neurips2022", "--quiet") == 0
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    # By hand, with the border objects gone: one true and one predicted object per image,
    # matched at IoU 0.5 in img1 and img2: F1 0, 1, 1.
    assert per_image["n_true"].tolist() == [1, 1, 1]
    assert per_image["f1_50"].tolist() == [0.0, 1.0, 1.0]
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "f1_50_image_mean"] == pytest.approx(2 / 3)
    assert summary.loc[0, "f1_50_image_median"] == 1.0
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert settings["preset"] == "neurips2022" and settings["exclude_border"] == 2
    assert settings["iou_thresholds"] == [0.5]


def test_exclude_border_option(folders, tmp_path):
    truth, pred, _ = folders
    out = tmp_path / "out"
    # the true square (rows 2..5) and the predictions start at row 2: a 3-pixel band takes all
    assert run(*base_args(truth, pred, out), "--exclude-border", "3", "--quiet") == 0
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert per_image["n_true"].tolist() == [0, 0, 0]
    assert per_image["n_pred"].tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--preset", "conic"], "the conic preset needs class images of both sides"),
        (["--preset", "coco"], "the coco preset ranks the predicted objects by a score"),
        (["--spacing", "1,2"], "--spacing is for boundary metrics: add --boundary"),
        (["--boundary", "--spacing", "1,x"], "--spacing takes numbers separated by commas"),
        (["--boundary", "--spacing", "metadata"], "(one per axis) or 'file'"),
        (["--boundary", "--tolerance", "-1"], "tolerance must be a finite number >= 0"),
        (["--preset", "dsb2018", "--criterion", "iot"], "sets --criterion"),
        (["--truth-classes-suffix", "_c"], "give both --truth-classes-suffix and"),
        (["--preset", "dsb2018", "--exclude-border", "1"], "sets --exclude-border"),
        (["--exclude-border", "-1"], "--exclude-border must be >= 0"),
    ],
)
def test_preset_errors_write_nothing(folders, tmp_path, capsys, extra, message):
    truth, pred, _ = folders
    out = tmp_path / "out"
    assert run(*base_args(truth, pred, out), *extra) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_criterion_option(folders, tmp_path):
    """Intersection over truth: the prediction holds 4, 8, 12 of the square's 16 pixels, so
    IoT 1/4, 1/2, 3/4: only img2 is above 0.5 (strict); with IoU (the same values here, as
    the predictions lie inside the square) img1 matches too (IoU 0.5 >= 0.5)."""
    truth, pred, _ = folders
    assert run(*base_args(truth, pred, tmp_path / "iot"), "--criterion", "iot", "--quiet") == 0
    assert run(*base_args(truth, pred, tmp_path / "iou"), "--quiet") == 0
    iot = pd.read_csv(tmp_path / "iot" / "per_image.csv", keep_default_na=False)
    iou = pd.read_csv(tmp_path / "iou" / "per_image.csv", keep_default_na=False)
    assert iot["f1_50"].tolist() == [0.0, 0.0, 1.0]
    assert iou["f1_50"].tolist() == [0.0, 1.0, 1.0]
    settings = json.loads((tmp_path / "iot" / "settings.json").read_text())["settings"]
    assert settings["criterion"] == "iot"


def test_preset_conic_from_class_images(tmp_path):
    """Class images beside the label files, named like the pair with a classes suffix; CoNIC's
    mPQ+ pools the per-class counts over the images."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    true = np.zeros((8, 8), np.uint16)
    true[1:3, 1:3], true[4:6, 4:6] = 1, 2  # class 1 and class 2
    true_classes = np.where(true == 1, 1, np.where(true == 2, 2, 0)).astype(np.uint8)
    # img0: both found, 2 in the wrong class (1). img1: both found in the right class.
    for i in range(2):
        tifffile.imwrite(truth / f"img{i}.tif", true)
        tifffile.imwrite(truth / f"img{i}_classes.tif", true_classes)
        tifffile.imwrite(pred / f"img{i}.tif", true * 5)
        guess = true_classes.copy()
        if i == 0:
            guess[true == 2] = 1
        tifffile.imwrite(pred / f"img{i}_classes.tif", guess)
    out = tmp_path / "out"
    args = [str(truth), str(pred), "--out", str(out), "--preset", "conic"]
    classes = ["--truth-classes-suffix", "_classes", "--prediction-classes-suffix", "_classes"]
    assert run(*args, *classes, "--quiet") == 0
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert per_image["name"].tolist() == ["img0", "img1"]  # class files are not pairs
    summary = pd.read_csv(out / "summary.csv")
    # Pooled at IoU 0.5 within classes: class 1: TP 2, FP 1 (img0's 2 as class 1), FN 0:
    # PQ 2 / 2.5; class 2: TP 1, FP 0, FN 1: PQ 1 / 1.5. mPQ+ = (4/5 + 2/3) / 2.
    assert summary.loc[0, "class_mean_panoptic_quality_50_pooled"] == pytest.approx(11 / 15)
    pooled = pd.read_csv(out / "instance_pooled.csv")
    assert pooled["threshold"].tolist() == [0.5]
    # A pair without its class image fails alone, with the file named.
    (pred / "img1_classes.tif").unlink()
    assert run(*args, *classes, "--quiet", "--overwrite") == 1
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert "no prediction class image img1_classes.*" in per_image.loc[1, "error"]


def test_report_writes_one_self_contained_html_file(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    image = np.zeros((16, 16), np.uint16)
    image[2:6, 2:6] = 1
    image[9:14, 9:14] = 2
    for name in ("a", "b"):
        np.save(truth / f"{name}.npy", image)
        np.save(pred / f"{name}.npy", np.where(image == 2, 0, image))  # object 2 missed
    out = tmp_path / "out"
    code = run(str(truth), str(pred), "--out", str(out), "--report", "--quiet")
    assert code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    assert "http" not in html  # nothing outside the file
    # F1 at 0.5: one of two objects found per image, no false object: 2 * 1 / (2 * 1 + 1)
    assert "0.6667" in html


def test_objects_of_a_probability_map_join_faces_only_as_in_the_widget(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    image = np.zeros((8, 8), np.uint16)
    image[1:3, 1:3], image[3:5, 3:5] = 1, 2  # two squares touching at a corner
    np.save(truth / "a.npy", image)
    np.save(pred / "a.npy", (image > 0).astype(np.float32))
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out), "--probability", "--quiet") == 0
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["n_pred"] == 2 and summary["f1_50_pooled"] == 1.0  # faces only: two objects
    joined = tmp_path / "joined"
    args = ("--out", str(joined), "--probability", "--connectivity", "2", "--quiet")
    assert run(str(truth), str(pred), *args) == 0
    assert pd.read_csv(joined / "summary.csv").iloc[0]["n_pred"] == 1  # diagonals joined


def test_confidence_intervals_over_the_images(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    image = np.zeros((8, 8), np.uint16)
    image[1:3, 1:3], image[5:7, 5:7] = 1, 2
    for name, found in (("a", image), ("b", image), ("c", np.where(image == 2, 0, image))):
        np.save(truth / f"{name}.npy", image)
        np.save(pred / f"{name}.npy", found)
    out = tmp_path / "out"
    options = ("--out", str(out), "--confidence-interval", "0.95", "--quiet")
    assert run(str(truth), str(pred), *options) == 0
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    # per-image F1 at 0.5: 1, 1, 2/3; every resample's image mean lies within [2/3, 1]
    assert summary["f1_50_image_mean"] == pytest.approx(8 / 9)
    assert 2 / 3 <= summary["f1_50_image_mean_low"] <= summary["f1_50_image_mean"]
    assert summary["f1_50_image_mean"] <= summary["f1_50_image_mean_high"] <= 1


# ---------------------------------------------------------------- issue 12 on the command line
def two_folders(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    return truth, pred


def boundary_images():
    """a: a one-pixel true object at (1, 1) predicted at (1, 3), and a 3x3 square found
    exactly; b: the one-pixel object missed; c: nothing on either side."""
    a_true, a_pred = np.zeros((8, 8), np.uint16), np.zeros((8, 8), np.uint16)
    a_true[1, 1], a_pred[1, 3] = 1, 1
    a_true[4:7, 4:7], a_pred[4:7, 4:7] = 2, 7
    b_true = np.zeros((8, 8), np.uint16)
    b_true[1, 1] = 1
    empty = np.zeros((8, 8), np.uint16)
    return {"a": (a_true, a_pred), "b": (b_true, empty), "c": (empty, empty)}


def test_boundary_metrics_per_image_and_image_mean_by_hand(tmp_path):
    truth, pred = two_folders(tmp_path)
    for name, (true, guess) in boundary_images().items():
        np.save(truth / f"{name}.npy", true)
        np.save(pred / f"{name}.npy", guess)
    out = tmp_path / "out"
    args = ("--boundary", "--spacing", "1,0.5", "--iou-thresholds", "0.5", "--quiet")
    assert run(str(truth), str(pred), "--out", str(out), *args) == 0
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False, na_values=[""])
    # a, foreground, spacing (1, 0.5): the lone pixels are 2 columns = 1.0 apart, the square's
    # 8 boundary pixels 0 from themselves. d_pt = d_tp = [1, 0 x 8]: HD 1; HD95 = 0.6 (rank
    # 7.6 of 9 between 0 and 1); ASSD = 2 / 18; NSD and boundary F1 at tolerance 1: 1.
    a = per_image.iloc[0]
    assert (a["mean_hd"], a["mean_hd95"]) == (1.0, pytest.approx(0.6))
    assert a["mean_assd"] == pytest.approx(1 / 9)
    assert (a["mean_nsd"], a["mean_boundary_f1"]) == (1.0, 1.0)
    # objects matched at IoU 0.5: the square only (the pixels do not overlap): all exact
    assert (a["n_matched"], a["object_mean_hd"], a["object_mean_nsd"]) == (1, 0.0, 1.0)
    # b: the prediction is empty: distances inf, NSD and F1 0; c: both empty: undefined
    b, c = per_image.iloc[1], per_image.iloc[2]
    assert np.isinf(b["mean_hd"]) and np.isinf(b["mean_assd"])
    assert (b["mean_nsd"], b["mean_boundary_f1"], b["n_matched"]) == (0.0, 0.0, 0)
    assert np.isnan(c["mean_hd"]) and np.isnan(c["mean_nsd"]) and np.isnan(b["object_mean_hd"])
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert np.isinf(summary["mean_hd_image_mean"])  # inf in one image: the mean is inf
    assert summary["mean_nsd_image_mean"] == 0.5  # (1 + 0) / 2, c left out
    assert summary["object_mean_hd_image_mean"] == 0.0
    assert "mean_hd_pooled" not in summary  # not additive: never pooled
    image_mean = pd.read_csv(out / "boundary_image_mean.csv")
    assert image_mean["class"].tolist() == [1]
    assert image_mean.loc[0, "nsd"] == 0.5 and np.isinf(image_mean.loc[0, "hd"])
    per_class = pd.read_csv(out / "boundary_per_class.csv")
    assert per_class["name"].tolist() == ["a", "b", "c"]
    assert not (out / "boundary_pooled.csv").exists()
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert settings["boundary"] and settings["spacing"] == [1.0, 0.5]
    assert settings["tolerance"] == 1.0


def test_boundary_spacing_from_the_files(tmp_path, capsys):
    truth, pred = two_folders(tmp_path)
    # a: the pair of boundary_images, as ImageJ TIFFs of pixel size y 2, x 0.5 um: the lone
    # pixels are 2 columns = 1.0 apart, the square exact. HD 1, NSD at tolerance 1: 1.
    # b: the truth has no pixel size (a plain TIFF): the pair fails, the run goes on (a
    # prediction without one would take its truth's: io208).
    true, guess = boundary_images()["a"]
    for folder, data in ((truth, true), (pred, guess)):
        tifffile.imwrite(
            folder / "a.tif", data, imagej=True, resolution=(2, 0.5), metadata={"unit": "um"}
        )
    tifffile.imwrite(truth / "b.tif", true)
    tifffile.imwrite(pred / "b.tif", guess, imagej=True, resolution=(2, 0.5))
    out = tmp_path / "out"
    args = ("--out", str(out), "--kind", "boundary", "--spacing", "file", "--quiet")
    assert run(str(truth), str(pred), *args) == 1
    assert (
        f"failed: b: {truth / 'b.tif'}: its metadata give no pixel size" in capsys.readouterr().err
    )
    per_image = pd.read_csv(out / "per_image.csv", dtype={"spacing": str})
    a = per_image.iloc[0]
    assert (a["mean_hd"], a["mean_nsd"]) == (1.0, 1.0)
    assert (a["spacing"], a["spacing_unit"]) == ("2.0,0.5", "µm")
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert settings["spacing"] == "file"
    # The same numbers as --spacing 2,0.5.
    given = tmp_path / "given"
    args = ("--out", str(given), "--kind", "boundary", "--spacing", "2,0.5", "--quiet")
    assert run(str(truth / "a.tif"), str(pred / "a.tif"), *args) == 0
    row = pd.read_csv(given / "per_image.csv").iloc[0]
    columns = [c for c in row.index if c.startswith("mean_")]
    assert a[columns].tolist() == row[columns].tolist()


def test_boundary_isotropic_default_spacing_and_tolerance(tmp_path):
    truth, pred = two_folders(tmp_path)
    true, guess = boundary_images()["a"]
    np.save(truth / "a.npy", true)
    np.save(pred / "a.npy", guess)
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out), "--kind", "boundary", "--quiet") == 0
    a = pd.read_csv(out / "per_image.csv").iloc[0]
    # the lone pixels are 2 apart: HD 2, HD95 1.2, ASSD 4 / 18; 16 of 18 points within 1
    assert (a["mean_hd"], a["mean_hd95"]) == (2.0, pytest.approx(1.2))
    assert a["mean_assd"] == pytest.approx(2 / 9)
    assert a["mean_nsd"] == pytest.approx(8 / 9) and a["mean_boundary_f1"] == pytest.approx(8 / 9)
    assert "f1_50" not in a and "n_matched" not in a  # --kind boundary: boundary metrics only
    out2 = tmp_path / "tolerant"
    args = ("--out", str(out2), "--kind", "boundary", "--tolerance", "2", "--quiet")
    assert run(str(truth), str(pred), *args) == 0
    assert pd.read_csv(out2 / "per_image.csv").loc[0, "mean_nsd"] == 1.0


def test_boundary_per_class_with_class_labels(tmp_path):
    truth, pred = two_folders(tmp_path)
    true = np.zeros((6, 6), np.uint8)
    true[1, 1], true[4, 4] = 1, 2
    guess = np.zeros((6, 6), np.uint8)
    guess[1, 3], guess[4, 4] = 1, 2  # class 1 two pixels away, class 2 exact
    np.save(truth / "a.npy", true)
    np.save(pred / "a.npy", guess)
    out = tmp_path / "out"
    args = ("--out", str(out), "--kind", "boundary", "--class-labels", "--quiet")
    assert run(str(truth), str(pred), *args) == 0
    per_class = pd.read_csv(out / "boundary_per_class.csv")
    assert per_class["class"].tolist() == [1, 2]
    assert per_class["hd"].tolist() == [2.0, 0.0]
    a = pd.read_csv(out / "per_image.csv").iloc[0]
    assert (a["mean_hd"], a["n_classes"]) == (1.0, 2)


def test_boundary_refuses_images_too_large_naming_the_file(tmp_path, monkeypatch, capsys):
    truth, pred = two_folders(tmp_path)
    np.save(truth / "a.npy", np.ones((4, 4), np.uint8))
    np.save(pred / "a.npy", np.ones((4, 4), np.uint8))
    monkeypatch.setattr(evaluate_module, "BOUNDARY_MAX_PIXELS", 10)
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out), "--boundary", "--quiet") == 1
    err = capsys.readouterr().err
    assert "a.npy: 16 pixels" in err and "up to 10 pixels" in err
    assert "every pair failed (1 of 1)" in err


def region_folders(tmp_path):
    """Two squares, the right one missed; regions: the left half."""
    truth, pred = two_folders(tmp_path)
    true = np.zeros((8, 8), np.uint16)
    true[2:4, 1:3], true[2:4, 5:7] = 1, 2
    guess = np.where(true == 1, 4, 0).astype(np.uint16)
    left = np.zeros((8, 8), np.uint8)
    left[:, :4] = 1
    for name in ("a", "b"):
        np.save(truth / f"{name}.npy", true)
        np.save(pred / f"{name}.npy", guess)
    return truth, pred, left


def test_region_file_for_every_pair(tmp_path):
    truth, pred, left = region_folders(tmp_path)
    region = tmp_path / "left.npy"
    np.save(region, left)
    out = tmp_path / "out"
    args = ("--out", str(out), "--kind", "all", "--iou-thresholds", "0.5", "--quiet")
    assert run(str(truth), str(pred), *args) == 0
    assert pd.read_csv(out / "per_image.csv")["f1_50"].tolist() == [2 / 3, 2 / 3]
    out2 = tmp_path / "in_region"
    args = ("--out", str(out2), "--kind", "all", "--iou-thresholds", "0.5", "--boundary")
    assert run(str(truth), str(pred), *args, "--region", str(region), "--quiet") == 0
    per_image = pd.read_csv(out2 / "per_image.csv")
    # Only the left square is inside: found. Semantic: 32 pixels counted, all right.
    assert per_image["f1_50"].tolist() == [1.0, 1.0]
    assert per_image["n_pixels"].tolist() == [32, 32]
    assert per_image["pixel_accuracy"].tolist() == [1.0, 1.0]
    assert per_image["mean_hd"].tolist() == [0.0, 0.0]  # the missed square is outside
    settings = json.loads((out2 / "settings.json").read_text())["settings"]
    assert settings["region"] == str(region.resolve())


def test_region_suffix_missing_and_wrong_shape_fail_their_pair_only(tmp_path):
    truth, pred, left = region_folders(tmp_path)
    np.save(truth / "a_region.npy", left)
    out = tmp_path / "out"
    args = (str(truth), str(pred), "--out", str(out), "--iou-thresholds", "0.5", "--quiet")
    assert run(*args, "--region-suffix", "_region") == 1
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert per_image["name"].tolist() == ["a", "b"]  # the region file is not a pair
    assert float(per_image.loc[0, "f1_50"]) == 1.0
    assert "no region mask b_region.* beside" in per_image.loc[1, "error"]
    np.save(truth / "b_region.npy", left[:4])
    assert run(*args, "--region-suffix", "_region", "--overwrite") == 1
    error = pd.read_csv(out / "per_image.csv", keep_default_na=False).loc[1, "error"]
    assert "b_region.npy: the region mask has shape (4, 8)" in error


def test_a_bad_region_file_writes_nothing(tmp_path, capsys):
    truth, pred, _ = region_folders(tmp_path)
    out = tmp_path / "out"
    missing = tmp_path / "nope.npy"
    assert run(str(truth), str(pred), "--out", str(out), "--region", str(missing)) == 2
    assert "nope.npy: no such file" in capsys.readouterr().err
    np.save(tmp_path / "float.npy", np.ones((8, 8), np.float32))
    assert (
        run(str(truth), str(pred), "--out", str(out), "--region", str(tmp_path / "float.npy")) == 2
    )
    assert "must hold integers" in capsys.readouterr().err
    assert not out.exists()


def test_preset_ctc_seg_and_det_per_image_and_pooled_by_hand(tmp_path):
    truth, pred = two_folders(tmp_path)
    # img0: prediction 5 holds 3 of true 1's 4 pixels (IoU 3/6) and all of true 2 (IoU 2/5):
    # SEG sum 0.9 over 2 objects, one merge: NS 1; AOGM-D 5 of AOGM-D0 20: DET 0.75.
    np.save(truth / "img0.npy", np.array([[1, 1, 1, 1, 0, 2, 2]], np.uint16))
    np.save(pred / "img0.npy", np.array([[5, 5, 5, 0, 0, 5, 5]], np.uint16))
    # img1: true 1 missed (FN), a spurious prediction (FP): SEG 0, AOGM-D 11 -> min 10: DET 0.
    np.save(truth / "img1.npy", np.array([[1, 1, 0, 0, 0, 0, 0]], np.uint16))
    np.save(pred / "img1.npy", np.array([[0, 0, 0, 0, 0, 0, 3]], np.uint16))
    # img2: nothing on either side: SEG and DET undefined; adds nothing to the pooled values.
    np.save(truth / "img2.npy", np.zeros((1, 7), np.uint16))
    np.save(pred / "img2.npy", np.zeros((1, 7), np.uint16))
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out), "--preset", "ctc", "--quiet") == 0
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False, na_values=[""])
    assert per_image["seg"].tolist()[:2] == [pytest.approx(0.45), 0.0]
    assert per_image["det"].tolist()[:2] == [0.75, 0.0]
    assert per_image["ns"].tolist() == [1, 0, 0]
    assert np.isnan(per_image.loc[2, "seg"]) and np.isnan(per_image.loc[2, "det"])
    pooled = pd.read_csv(out / "ctc_pooled.csv").iloc[0]
    # SEG = 0.9 / 3; DET = 1 - (5 + 11) / 30
    assert pooled["seg"] == pytest.approx(0.3) and pooled["det"] == pytest.approx(1 - 16 / 30)
    assert (pooled["n_true"], pooled["fn"], pooled["fp"], pooled["ns"]) == (3, 1, 1, 1)
    assert (pooled["aogm_d"], pooled["aogm_d0"]) == (16, 30)
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["seg_pooled"] == pytest.approx(0.3)
    assert summary["seg_image_mean"] == pytest.approx(0.225)  # (0.45 + 0) / 2
    assert summary["det_image_mean"] == pytest.approx(0.375)
    image_mean = pd.read_csv(out / "ctc_image_mean.csv").iloc[0]
    assert image_mean["det"] == pytest.approx(0.375)


def test_preset_ctc_says_each_file_is_a_frame_and_refuses_a_time_series(tmp_path, capsys):
    truth, pred = two_folders(tmp_path)
    # movie: a 2-D time series (ImageJ axes TYX); one cell moves between the frames, with the
    # same id: matched as a volume it would be one object. volume: a 3-D frame (ZYX), one
    # object over 2 planes, predicted exactly: SEG 1, DET 1.
    movie = np.zeros((2, 4, 4), np.uint16)
    movie[0, :2, :2] = movie[1, 2:, 2:] = 1
    cube = np.zeros((2, 4, 4), np.uint16)
    cube[:, 1:3, 1:3] = 4
    for folder in (truth, pred):
        tifffile.imwrite(folder / "movie.tif", movie, imagej=True, metadata={"axes": "TYX"})
        tifffile.imwrite(folder / "volume.tif", cube, imagej=True, metadata={"axes": "ZYX"})
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out), "--preset", "ctc") == 1
    err = capsys.readouterr().err
    assert cli.CTC_FRAMES in err
    assert f"failed: movie: {truth / 'movie.tif'}: its axes are TYX, a time series" in err
    assert "Save one file per time point" in err
    per_image = pd.read_csv(out / "per_image.csv", keep_default_na=False).set_index("name")
    assert float(per_image.loc["volume", "seg"]) == 1.0
    assert float(per_image.loc["volume", "det"]) == 1.0


def coco_folders(tmp_path):
    """img0: one object, found with score 0.9. img1: one object; a false detection scored 0.8,
    then the object found with 0.7."""
    truth, pred = two_folders(tmp_path)
    true0 = np.zeros((6, 6), np.uint16)
    true0[1:3, 1:3] = 1
    prob0 = np.where(true0 > 0, 0.9, 0.0).astype(np.float32)
    true1 = np.zeros((6, 6), np.uint16)
    true1[3:5, 3:5] = 1
    prob1 = np.where(true1 > 0, 0.7, 0.0).astype(np.float32)
    prob1[0, 0:2] = 0.8
    for name, true, prob in (("img0", true0, prob0), ("img1", true1, prob1)):
        np.save(truth / f"{name}.npy", true)
        np.save(pred / f"{name}.npy", prob)
    return truth, pred


def test_preset_coco_pools_detections_over_images_by_hand(tmp_path):
    truth, pred = coco_folders(tmp_path)
    out = tmp_path / "out"
    args = ("--out", str(out), "--preset", "coco", "--probability", "--quiet")
    assert run(str(truth), str(pred), *args) == 0
    per_image = pd.read_csv(out / "per_image.csv")
    # img0: precision 1 at every recall: AP 1. img1: ranked miss, hit: the interpolated
    # precision is 1/2 at every recall point: AP 1/2. The same at every IoU threshold.
    assert per_image["map"].tolist() == pytest.approx([1.0, 0.5])
    # Pooled: hit (0.9), miss (0.8), hit (0.7): precision 1 up to recall 1/2 (51 points),
    # then 2/3 (50 points); not the image mean 3/4.
    expected = (51 + 50 * 2 / 3) / 101
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["map_pooled"] == pytest.approx(expected)
    assert summary["ap_50_pooled"] == pytest.approx(expected)
    assert summary["map_image_mean"] == pytest.approx(0.75)
    pooled = pd.read_csv(out / "coco_pooled.csv")
    assert len(pooled) == 10 and pooled["tp"].tolist() == [2] * 10
    assert pooled["fp"].tolist() == [1] * 10 and pooled["n_true"].tolist() == [2] * 10
    assert pd.read_csv(out / "coco_image_mean.csv")["ap"].tolist() == pytest.approx([0.75] * 10)


def test_preset_coco_equals_pycocotools(tmp_path):
    """The pooled value is what pycocotools gives for the same masks and scores (maxDets large
    enough to hold every detection: this package sets no limit)."""
    cocoeval = pytest.importorskip("pycocotools.cocoeval")
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO

    truth, pred = coco_folders(tmp_path)
    out = tmp_path / "out"
    args = ("--out", str(out), "--preset", "coco", "--probability", "--quiet")
    assert run(str(truth), str(pred), *args) == 0
    images, annotations, detections = [], [], []
    for index, name in enumerate(("img0", "img1")):
        true = np.load(truth / f"{name}.npy")
        prob = np.load(pred / f"{name}.npy")
        images.append({"id": index, "height": 6, "width": 6})
        labels = label_instances(prob > 0.5, connectivity=1)
        for value, side in ((true, annotations), (labels, detections)):
            for object_id in np.unique(value[value > 0]):
                mask = np.asfortranarray(value == object_id, np.uint8)
                rle = mask_utils.encode(mask)
                rle["counts"] = rle["counts"].decode()
                entry = {
                    "id": len(side) + 1,
                    "image_id": index,
                    "category_id": 1,
                    "segmentation": rle,
                    "area": float(mask.sum()),
                    "bbox": list(mask_utils.toBbox(rle)),
                    "iscrowd": 0,
                }
                if side is detections:
                    entry["score"] = float(prob[value == object_id].mean())
                side.append(entry)
    gt = COCO()
    gt.dataset = {"images": images, "annotations": annotations, "categories": [{"id": 1}]}
    gt.createIndex()
    dt = gt.loadRes(detections)
    evaluator = cocoeval.COCOeval(gt, dt, "segm")
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["map_pooled"] == pytest.approx(evaluator.stats[0], abs=1e-12)


def test_preset_coco_without_probabilities_says_what_to_give(folders, tmp_path, capsys):
    truth, pred, _ = folders
    out = tmp_path / "out"
    assert run(*base_args(truth, pred, out), "--preset", "coco") == 2
    err = capsys.readouterr().err
    assert "ranks the predicted objects by a score" in err and "--probability" in err
    assert not out.exists()


def test_report_path_is_relative_to_the_current_folder(tmp_path, monkeypatch):
    truth, pred = two_folders(tmp_path)
    image = np.zeros((8, 8), np.uint16)
    image[2:5, 2:5] = 1
    np.save(truth / "a.npy", image)
    np.save(pred / "a.npy", image)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert run(str(truth), str(pred), "--out", "res", "--report", "mine.html", "--quiet") == 0
    assert (work / "mine.html").is_file() and not (work / "res" / "mine.html").exists()


def test_report_before_the_folders_is_explained(tmp_path, monkeypatch, capsys):
    """--report before the folders takes the truth folder as the report's name: said so,
    instead of argparse's "the following arguments are required: PREDICTION"."""
    truth, pred = two_folders(tmp_path)
    image = np.zeros((8, 8), np.uint16)
    image[2:5, 2:5] = 1
    np.save(truth / "a.npy", image)
    np.save(pred / "a.npy", image)
    monkeypatch.chdir(tmp_path)
    advice = "put --report after the folders, or give it a file name (--report report.html)"
    for taken in ("truth/", "truth_typo"):  # an existing folder; a name that is not .html
        assert run("--report", taken, "pred/", "--out", "res") == 2
        err = capsys.readouterr().err
        assert f"error: --report took '{taken}' as the report's file name: {advice}" in err
        assert "arguments are required" not in err
    # An .html name before the folders: argparse's own message is the right one.
    assert run("--report", "mine.html", "truth/") == 2
    assert "the following arguments are required: PREDICTION" in capsys.readouterr().err
    assert not (tmp_path / "res").exists()
    # --report with no value still works, before or after the folders.
    assert run("--report", "--quiet", "truth/", "pred/", "--out", "one") == 0
    assert run("truth/", "pred/", "--out", "two", "--quiet", "--report") == 0
    assert (tmp_path / "one" / "report.html").is_file()
    assert (tmp_path / "two" / "report.html").is_file()


def test_result_folder_paths_are_absolute(tmp_path, monkeypatch):
    """per_image.csv and settings.json (pairs and failed pairs) name the files by absolute
    path, whatever was typed; settings.json records the folder the command ran in."""
    truth, pred = two_folders(tmp_path)
    image = np.zeros((8, 8), np.uint16)
    image[2:5, 2:5] = 1
    for name in ("a", "b"):
        np.save(truth / f"{name}.npy", image)
        np.save(pred / f"{name}.npy", image)
    (pred / "b.npy").write_bytes(b"broken")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert run("../truth", "../pred", "--out", "res", "--quiet") == 1
    files = {
        name: (str((truth / f"{name}.npy").resolve()), str((pred / f"{name}.npy").resolve()))
        for name in ("a", "b")
    }
    per_image = pd.read_csv(work / "res" / "per_image.csv")
    assert list(zip(per_image["truth"], per_image["prediction"], strict=True)) == [
        files["a"],
        files["b"],
    ]
    record = json.loads((work / "res" / "settings.json").read_text())
    assert record["cwd"] == str(work.resolve())
    assert [(p["truth"], p["prediction"]) for p in record["pairs"]] == [files["a"], files["b"]]
    assert [(p["truth"], p["prediction"]) for p in record["failed"]] == [files["b"]]


def test_help_shows_defaults_without_rst(capsys):
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 0.5)" in text and "(default: seg-eval-results)" in text
    assert "(default: 1.0)" in text and "(default: 1 per axis, pixels)" in text
    assert "'file': each pair's pixel size from its files' metadata" in text
    assert "``" not in text
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "``" not in capsys.readouterr().out


def test_every_pair_failing_is_said_clearly(folders, tmp_path, capsys):
    truth, pred, _ = folders
    for path in pred.iterdir():
        path.write_bytes(b"broken")
    out = tmp_path / "out"
    assert run(*cellpose_args(truth, pred, out)) == 1
    assert "every pair failed (3 of 3)" in capsys.readouterr().err
    assert len(pd.read_csv(out / "per_image.csv")) == 3


def test_chunked_files_through_a_scheduler_of_processes_equal_the_serial_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    zarr = pytest.importorskip("zarr")
    truth, pred = two_folders(tmp_path)
    rng = np.random.default_rng(12)
    for i in range(2):
        true = np.zeros((24, 24), np.uint16)
        for k in range(1, 6):  # squares crossing the 8x8 chunks
            y, x = rng.integers(0, 19, 2)
            true[y : y + 5, x : x + 5] = k
        guess = np.roll(true, int(rng.integers(0, 2)), axis=1)
        region = np.ones((24, 24), np.uint8)
        region[:, 20:] = 0
        for folder, name, data in ((truth, f"p{i}", true), (pred, f"p{i}", guess)):
            array = zarr.open_array(
                folder / f"{name}.zarr", mode="w", shape=data.shape, chunks=(8, 8), dtype=data.dtype
            )
            array[:] = data
        np.save(truth / f"p{i}_region.npy", region)
    options = ("--kind", "all", "--boundary", "--region-suffix", "_region", "--quiet")
    assert run(str(truth), str(pred), "--out", str(tmp_path / "serial"), *options) == 0
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # not 8787, shared by tests
    ) as cluster:
        out = tmp_path / "cluster"
        args = ("--out", str(out), "--scheduler", cluster.scheduler_address)
        assert run(str(truth), str(pred), *args, *options) == 0
    for name in (
        "per_image.csv",
        "instance_pooled.csv",
        "semantic_pooled.csv",
        "boundary_image_mean.csv",
        "summary.csv",
    ):
        pd.testing.assert_frame_equal(
            pd.read_csv(tmp_path / "cluster" / name), pd.read_csv(tmp_path / "serial" / name)
        )


# --- --workers: a local cluster of forked processes -----------------------------------------


def classed_folders(tmp_path, classes: bool, regions: bool):
    """Six pairs of random rectangles (truth) and their shifted copies (prediction), with
    class images and region masks if asked; probability maps of the predictions in a third
    folder; one broken prediction."""
    rng = np.random.default_rng(21)
    truth, pred, prob = tmp_path / "truth", tmp_path / "pred", tmp_path / "prob"
    for folder in (truth, pred, prob):
        folder.mkdir()
    for i in range(6):
        true = np.zeros((32, 32), np.uint16)
        for label in range(1, 8):
            y, x = rng.integers(0, 27, 2)
            true[y : y + int(rng.integers(2, 6)), x : x + int(rng.integers(2, 6))] = label
        guess = np.roll(true, tuple(int(v) for v in rng.integers(-1, 2, 2)), axis=(0, 1)) * 3
        np.save(truth / f"img{i}.npy", true)
        np.save(pred / f"img{i}.npy", guess)
        if classes:
            np.save(truth / f"img{i}_classes.npy", (true % 3).astype(np.uint8))
            np.save(pred / f"img{i}_classes.npy", (guess % 2 + 1).astype(np.uint8) * (guess > 0))
        score = 0.5 + 0.05 * (guess % 9)  # each object its own score
        np.save(prob / f"img{i}.npy", np.where(guess > 0, score, 0.1).astype(np.float32))
        if regions:
            np.save(truth / f"img{i}_region.npy", np.pad(np.ones((30, 30), np.uint8), 1))
    (pred / "img4.npy").write_bytes(b"broken")
    (prob / "img4.npy").write_bytes(b"broken")
    return truth, pred, prob


def child_processes() -> set[int]:
    psutil = pytest.importorskip("psutil")
    return {child.pid for child in psutil.Process().children(recursive=True)}


@pytest.mark.parametrize(
    "options",
    [
        [
            "--preset",
            "conic",
            "--truth-classes-suffix",
            "_classes",
            "--prediction-classes-suffix",
            "_classes",
            "--confidence-interval",
            "0.9",
        ],
        ["--kind", "all", "--boundary", "--exclude-border", "1", "--region-suffix", "_region"],
        ["--kind", "all", "--class-labels", "--confidence-interval", "0.9"],
        ["--preset", "ctc"],
        ["--preset", "coco", "--probability"],
    ],
    ids=["conic-interval", "all-boundary-border-region", "class-labels", "ctc", "coco"],
)
def test_two_workers_write_the_serial_files_and_leave_no_process(tmp_path, options):
    pytest.importorskip("distributed")
    truth, pred, prob = classed_folders(
        tmp_path, "--truth-classes-suffix" in options, "--region-suffix" in options
    )
    prediction = prob if "--probability" in options else pred
    before = child_processes()
    outs = {}
    for name, extra in (("serial", []), ("two", ["--workers", "2"])):
        outs[name] = tmp_path / name
        args = [str(truth), str(prediction), "--out", str(outs[name]), "--quiet", *options]
        assert run(*args, *extra) == 1  # img4 fails
    assert child_processes() <= before  # every worker process has exited
    names = sorted(path.name for path in outs["serial"].glob("*.csv"))
    assert names == sorted(path.name for path in outs["two"].glob("*.csv"))
    assert "per_image.csv" in names and "summary.csv" in names
    for name in names:
        pd.testing.assert_frame_equal(
            pd.read_csv(outs["two"] / name, keep_default_na=False),
            pd.read_csv(outs["serial"] / name, keep_default_na=False),
        )
    failed = pd.read_csv(outs["two"] / "per_image.csv", keep_default_na=False)
    assert (failed["error"] != "").tolist() == [False] * 4 + [True, False]


def test_worker_processes_leave_ctrl_c_to_the_command(tmp_path):
    pytest.importorskip("distributed")
    from argparse import Namespace
    from contextlib import ExitStack

    before = child_processes()
    with ExitStack() as stack:
        client = cli._client(Namespace(workers=2, scheduler=None), stack)
        handlers = client.run(lambda: signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        assert len(handlers) == 2
        if sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods():
            assert not any(handlers.values())  # forked with the held handler: Ctrl-C ignored
        assert child_processes() > before
    assert child_processes() <= before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored here


def test_ctrl_c_while_the_cluster_starts_stops_cleanly(folders, tmp_path, monkeypatch, capsys):
    distributed = pytest.importorskip("distributed")

    class Interrupted(distributed.LocalCluster):
        def __init__(self, *args, **kwargs):
            # Ctrl-C while the workers start (this thread), the garbage collector off: a
            # collection's callbacks would otherwise take the handler's exception (ignored).
            gc.disable()
            try:
                signal.raise_signal(signal.SIGINT)
            finally:
                gc.enable()
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(distributed, "LocalCluster", Interrupted)
    truth, pred, _ = folders
    before = child_processes()
    out = tmp_path / "out"
    assert run(*cellpose_args(truth, pred, out), "--workers", "1") == 130
    assert "interrupted: nothing written" in capsys.readouterr().err
    assert not out.exists()
    assert child_processes() <= before


def test_workers_are_forked_unless_dask_is_set_to_another_start_method():
    # distributed's configuration defaults exist once it is imported (the command's _client
    # imports it first): not left to another test's imports.
    pytest.importorskip("distributed")
    import dask

    key = "distributed.worker.multiprocessing-method"
    forks = sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()
    with cli._worker_start():
        assert dask.config.get(key) == ("fork" if forks else "spawn")
    assert dask.config.get(key) == "spawn"  # set for the cluster's start only
    with dask.config.set({key: "forkserver"}), cli._worker_start():
        assert dask.config.get(key) == "forkserver"  # the user's choice is kept


def test_demo_without_a_display_says_what_to_do_instead_of_aborting(monkeypatch):
    monkeypatch.setattr(cli.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["demo"])
    assert "no display" in str(stopped.value.code)
    assert "napari-seg-eval report" in str(stopped.value.code) and "xvfb-run" in str(
        stopped.value.code
    )
    assert cli.has_display({"DISPLAY": ":0"})
    assert cli.has_display({"QT_QPA_PLATFORM": "offscreen"})
    monkeypatch.setattr(cli.sys, "platform", "darwin")
    assert cli.has_display({})


#: Libraries that neither ``import napari_seg_eval`` nor the command line's start need.
NOT_AT_IMPORT = (
    "dask",
    "distributed",
    "imageio",
    "matplotlib",
    "napari",
    "pandas",
    "qtpy",
    "scipy",
    "skimage",
    "tifffile",
    "zarr",
)

#: Libraries that evaluating label files does not need (boundary metrics, probability maps,
#: COCO, McNemar's test, chunked arrays, the cluster, the dock import them when used).
NOT_FOR_LABEL_FILES = (
    "dask.array",
    "distributed",
    "imageio",
    "matplotlib",
    "napari",
    "qtpy",
    "scipy.ndimage",
    "scipy.optimize",
    "scipy.spatial",
    "scipy.stats",
    "skimage.draw",
    "skimage.measure",
    "skimage.segmentation",
    "zarr",
)


def imported_in_a_new_process(code: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` are in ``sys.modules`` after ``code`` runs in a new interpreter."""
    import subprocess

    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {names!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_package_and_the_command_line_imports_no_library():
    # The public names are imported on first use; napari-seg-eval --help needs none of them.
    assert imported_in_a_new_process("import napari_seg_eval.__main__", NOT_AT_IMPORT) == []
    assert imported_in_a_new_process("from napari_seg_eval import *", ("napari", "qtpy")) == []


def test_every_public_name_resolves_lazily():
    import napari_seg_eval
    from napari_seg_eval import io

    for module in (napari_seg_eval, io):
        assert set(module.__all__) <= set(dir(module))
        for name in module.__all__:
            assert getattr(module, name) is not None
    namespace: dict = {}
    exec("from napari_seg_eval import *", namespace)
    assert set(napari_seg_eval.__all__) <= set(namespace)
    assert namespace["instance_metrics"] is napari_seg_eval.core.instance.instance_metrics
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        napari_seg_eval.not_a_name  # noqa: B018


def test_evaluating_label_files_imports_only_what_it_needs(folders, tmp_path):
    truth, pred, _ = folders
    argv = ["evaluate", *cellpose_args(truth, pred, tmp_path / "out"), "--quiet"]
    code = (
        "from napari_seg_eval.__main__ import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
    )
    assert imported_in_a_new_process(code, NOT_FOR_LABEL_FILES) == []
    assert (tmp_path / "out" / "summary.csv").exists()


def test_the_printout_says_where_the_report_went(tmp_path, monkeypatch, capsys):
    """trial70: `--report` wrote report.html without a word of where."""
    truth, pred = two_folders(tmp_path)
    image = np.zeros((8, 8), np.uint16)
    image[2:5, 2:5] = 1
    np.save(truth / "a.npy", image)
    np.save(pred / "a.npy", image)
    monkeypatch.chdir(tmp_path)
    assert run(str(truth), str(pred), "--out", "res", "--report") == 0
    assert "1 of 1 pairs evaluated; results in res; the report in res/report.html" in (
        capsys.readouterr().out
    )
