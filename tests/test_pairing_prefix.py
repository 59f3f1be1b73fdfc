"""Pairing files whose names differ by a prefix: the Cell Tracking Challenge names its truth
``man_seg000.tif`` and a method's result ``mask000.tif``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files, pair_files


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def square(rows: slice, cols: slice) -> np.ndarray:
    """A 10 x 10 label image with one object (label 1) at rows x cols."""
    image = np.zeros((10, 10), np.uint16)
    image[rows, cols] = 1
    return image


#: Image 0: truth rows 2-5 x cols 2-5 (16 pixels), prediction shifted one column (cols 3-6):
#: 4 x 3 = 12 shared, union 16 + 16 - 12 = 20, IoU 12/20 = 0.6 >= 0.5: one TP, F1 at 0.5 = 1.
#: Image 1: the prediction is empty: one FN, F1 at 0.5 = 0.
TRUTH = [square(slice(2, 6), slice(2, 6)), square(slice(2, 6), slice(2, 6))]
PRED = [square(slice(2, 6), slice(3, 7)), np.zeros((10, 10), np.uint16)]


@pytest.fixture
def ctc(tmp_path):
    """The Cell Tracking Challenge's names: SEG/man_seg000.tif, RES/mask000.tif."""
    truth, pred = tmp_path / "SEG", tmp_path / "RES"
    truth.mkdir()
    pred.mkdir()
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg00{k}.tif", TRUTH[k])
        tifffile.imwrite(pred / f"mask00{k}.tif", PRED[k])
    return truth, pred


def test_ctc_names_pair_by_their_prefixes(ctc):
    truth, pred = ctc
    pairing = pair_files(truth, pred, truth_prefix="man_seg", prediction_prefix="mask")
    assert pairing.names == ["000", "001"]
    assert pairing.pairs == [
        (truth / "man_seg000.tif", pred / "mask000.tif"),
        (truth / "man_seg001.tif", pred / "mask001.tif"),
    ]
    assert not (pairing.unpaired_truth or pairing.unpaired_prediction or pairing.ignored)


def test_ctc_names_give_the_numbers_of_renamed_files(ctc, tmp_path):
    truth, pred = ctc
    result = evaluate_files(truth, pred, truth_prefix="man_seg", prediction_prefix="mask")
    renamed_truth, renamed_pred = tmp_path / "t", tmp_path / "p"
    renamed_truth.mkdir()
    renamed_pred.mkdir()
    for k in range(2):
        tifffile.imwrite(renamed_truth / f"00{k}.tif", TRUTH[k])
        tifffile.imwrite(renamed_pred / f"00{k}.tif", PRED[k])
    renamed = evaluate_files(renamed_truth, renamed_pred)
    # Image 0: IoU 0.6, one TP (F1 1); image 1: one FN (F1 0). See TRUTH, PRED.
    assert result.per_image["name"].tolist() == ["000", "001"]
    assert result.per_image["f1_50"].tolist() == pytest.approx([1.0, 0.0])
    # Every number equal (the file columns name the files, which differ).
    files = ["truth", "prediction"]
    pd.testing.assert_frame_equal(
        result.per_image.drop(columns=files), renamed.per_image.drop(columns=files)
    )


def test_prefix_and_suffix_together(tmp_path):
    for k in range(2):
        tifffile.imwrite(tmp_path / f"gt_img{k}_masks.tif", TRUTH[k])
        tifffile.imwrite(tmp_path / f"res_img{k}_cp_masks.tif", PRED[k])
    # Neither prefix nor suffix: gt_img0_flows is not a candidate of either side.
    tifffile.imwrite(tmp_path / "gt_img0_flows.tif", TRUTH[0])
    pairing = pair_files(
        tmp_path,
        tmp_path,
        truth_prefix="gt_",
        prediction_prefix="res_",
        truth_suffix="_masks",
        prediction_suffix="_cp_masks",
    )
    assert pairing.names == ["img0", "img1"]
    assert pairing.pairs == [
        (tmp_path / "gt_img0_masks.tif", tmp_path / "res_img0_cp_masks.tif"),
        (tmp_path / "gt_img1_masks.tif", tmp_path / "res_img1_cp_masks.tif"),
    ]
    assert pairing.ignored == [tmp_path / "gt_img0_flows.tif"]


def test_prefixes_alone_tell_the_sides_apart_in_one_folder(tmp_path):
    for k in range(2):
        tifffile.imwrite(tmp_path / f"man_seg00{k}.tif", TRUTH[k])
        tifffile.imwrite(tmp_path / f"mask00{k}.tif", PRED[k])
    pairing = pair_files(tmp_path, tmp_path, truth_prefix="man_seg", prediction_prefix="mask")
    assert pairing.names == ["000", "001"]


def test_a_file_without_the_prefix_is_listed_not_dropped(ctc):
    truth, pred = ctc
    tifffile.imwrite(truth / "other000.tif", TRUTH[0])
    tifffile.imwrite(pred / "seg001.tif", PRED[0])
    pairing = pair_files(truth, pred, truth_prefix="man_seg", prediction_prefix="mask")
    assert pairing.names == ["000", "001"]
    assert pairing.ignored == [pred / "seg001.tif", truth / "other000.tif"]
    text = pairing.describe()
    assert str(truth / "other000.tif") in text and str(pred / "seg001.tif") in text


def test_a_misspelt_prefix_is_said(ctc):
    truth, pred = ctc
    pairing = pair_files(truth, pred, truth_prefix="man_seq", prediction_prefix="mask")
    assert pairing.pairs == []
    assert pairing.unmatched_prefixes == (("ground truth", "man_seq"),)
    assert "starts with the ground truth prefix 'man_seq'" in pairing.describe()


def test_names_that_differ_by_a_prefix_hint_the_prefixes(ctc):
    truth, pred = ctc
    pairing = pair_files(truth, pred)
    assert pairing.pairs == []
    # man_seg000 / mask000 and man_seg001 / mask001: 2 pairs under the two prefixes.
    assert pairing.advice(command_line=True) == (
        "the names differ by a prefix: give --truth-prefix man_seg --prediction-prefix mask "
        "(2 pair(s))"
    )
    assert pairing.advice() == (
        "the names differ by a prefix: give truth_prefix='man_seg', prediction_prefix='mask' "
        "(2 pair(s))"
    )
    # In words that name no option: the Dataset tab's truth and prediction prefix boxes.
    assert pairing.suffix_hint.text() == (
        "The names differ by a prefix: truth 'man_seg', prediction 'mask'; give them as the "
        "truth and prediction prefixes (2 pair(s) of files)."
    )


def test_the_command_line_pairs_by_prefix(ctc, tmp_path, capsys):
    truth, pred = ctc
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--out", str(out)]
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert "give --truth-prefix man_seg --prediction-prefix mask (2 pair(s))" in err
    assert not out.exists()
    assert run(*argv, "--truth-prefix", "man_seg", "--prediction-prefix", "mask") == 0
    per_image = pd.read_csv(out / "per_image.csv", dtype={"name": str})
    # Image 0: IoU 0.6, one TP (F1 1); image 1: one FN (F1 0). See TRUTH, PRED.
    assert per_image["name"].tolist() == ["000", "001"]
    assert per_image["f1_50"].tolist() == pytest.approx([1.0, 0.0])
    record = json.loads((out / "settings.json").read_text())
    assert record["settings"]["truth_prefix"] == "man_seg"
    assert record["settings"]["prediction_prefix"] == "mask"


def test_settings_json_reruns_a_run_paired_by_prefix(ctc, tmp_path):
    truth, pred = ctc
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--out", str(out), "--quiet"]
    assert run(*argv, "--truth-prefix", "man_seg", "--prediction-prefix", "mask") == 0
    record = json.loads((out / "settings.json").read_text())
    pairs = [(pair["truth"], pair["prediction"]) for pair in record["pairs"]]
    again = evaluate_files(pairs, **record["settings"])
    # The pairs are named as the run named them: without the truth prefix.
    assert again.per_image["name"].tolist() == ["000", "001"]
    assert again.per_image["f1_50"].tolist() == pytest.approx([1.0, 0.0])
