"""The command line: napari-seg-eval evaluate TRUTH PREDICTION ..."""

from __future__ import annotations

import json
import socket
import time

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval import dataset_metrics
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


def test_bad_input_writes_nothing(folders, tmp_path, capsys):
    truth, pred, _ = folders
    out = tmp_path / "out"
    assert run(str(truth), str(pred), "--out", str(out)) == 2  # no names in common
    assert "no file has a partner" in capsys.readouterr().err
    assert run(str(truth / "nope"), str(pred), "--out", str(out)) == 2
    assert "nope does not exist" in capsys.readouterr().err
    assert run(*cellpose_args(truth, pred, out), "--iou-thresholds", "2") == 2
    assert "IoU thresholds" in capsys.readouterr().err
    assert not out.exists()
    out.mkdir()
    (out / "old.csv").write_text("keep me")
    assert run(*cellpose_args(truth, pred, out)) == 2
    assert "already holds files" in capsys.readouterr().err
    assert (out / "old.csv").read_text() == "keep me"
    assert run(*cellpose_args(truth, pred, out), "--overwrite", "--quiet") == 0
    assert not (out / "old.csv").exists()


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
        (["--preset", "ctc"], "ctc preset is not available for files yet"),
        (["--preset", "dsb2018", "--criterion", "iot"], "sets --criterion"),
        (["--truth-classes-suffix", "_c"], "give both --truth-classes-suffix and"),
        (["--preset", "dsb2018", "--exclude-border", "1"], "sets --exclude-border"),
        (["--exclude-border", "-1"], "exclude_border must be >= 0"),
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
