"""The hint when nothing pairs and the names differ by a prefix: in one folder too, when one
side's prefix is missing, and over a suffix hint that pairs fewer files."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files, pair_files
from napari_seg_eval.io.pairs import OneFolderError


def write(folder, *names: str) -> None:
    folder.mkdir(exist_ok=True)
    for name in names:
        tifffile.imwrite(folder / f"{name}.tif", np.zeros((4, 4), np.uint16))


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def test_one_folder_of_ctc_names_hints_the_prefixes(tmp_path, capsys):
    # man_seg000, man_seg001 beside mask000, mask001. Set side by side, man_seg000 and
    # man_seg001 also read as "man" + the suffixes "_seg000" / "_seg001", which pair 1 file
    # (man); the prefixes pair 2 (000 and 001) and are the hint. "man" (manual) marks the
    # truth.
    folder = tmp_path / "one"
    write(folder, "man_seg000", "man_seg001", "mask000", "mask001")
    with pytest.raises(OneFolderError) as error:
        pair_files(folder, folder)
    assert error.value.text(command_line=True) == (
        f"ground truth and predictions are both in {folder}: the names differ by a prefix: "
        "give --truth-prefix man_seg --prediction-prefix mask (2 pair(s))."
    )
    # The tab's words: its truth and prediction prefix boxes.
    assert str(error.value) == (
        f"ground truth and predictions are both in {folder}: the names differ by a prefix: "
        "truth 'man_seg', prediction 'mask'; give them as the truth and prediction prefixes "
        "(2 pair(s) of files)."
    )
    assert run(str(folder), str(folder), "--out", str(tmp_path / "out")) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"napari-seg-eval evaluate: error: ground truth and predictions are both in {folder}: "
        "the names differ by a prefix: give --truth-prefix man_seg --prediction-prefix mask "
        "(2 pair(s))."
    )
    # Typed back, they pair: 000 and 001.
    advised = ["--truth-prefix", "man_seg", "--prediction-prefix", "mask", "--quiet"]
    assert run(str(folder), str(folder), "--out", str(tmp_path / "out"), *advised) == 0


def test_one_folder_of_prefixes_that_do_not_say_the_side(tmp_path):
    # blue0, blue1 beside red0, red1: the prefixes pair 2, but neither says it is the truth.
    folder = tmp_path / "one"
    write(folder, "blue0", "blue1", "red0", "red1")
    with pytest.raises(OneFolderError) as error:
        pair_files(folder, folder)
    assert error.value.text(command_line=True).endswith(
        "the names differ by a prefix: give --truth-prefix blue --prediction-prefix red if "
        "'blue' marks the ground truth, else the other way round (2 pair(s))."
    )
    # From Python: the keywords.
    with pytest.raises(OneFolderError) as error:
        evaluate_files(folder, folder)
    assert error.value.text(command_line=False).endswith(
        "give truth_prefix='blue', prediction_prefix='red' if 'blue' marks the ground truth, "
        "else the other way round (2 pair(s))."
    )


def test_one_prefix_given_in_one_folder_hints_the_other(tmp_path):
    folder = tmp_path / "one"
    write(folder, "man_seg000", "man_seg001", "mask000", "mask001")
    # The truth's prefix given: truth 000, 001; predictions mask000, mask001 (no pair). The
    # prediction prefix "mask" pairs 2: only that option is named.
    pairing = pair_files(folder, folder, truth_prefix="man_seg")
    assert pairing.pairs == []
    assert pairing.advice(command_line=True) == (
        "the names differ by a prefix: give --prediction-prefix mask (2 pair(s))"
    )


def test_a_prefix_on_one_side_only_in_two_folders(tmp_path):
    # Truth 000, 001 (numbers alone) and predictions mask000, mask001: no prefix on the
    # truth's side; "mask" on the prediction's pairs 2.
    truth, pred = tmp_path / "t", tmp_path / "p"
    write(truth, "000", "001")
    write(pred, "mask000", "mask001")
    pairing = pair_files(truth, pred)
    assert pairing.advice(command_line=True) == (
        "the names differ by a prefix: give --prediction-prefix mask (2 pair(s))"
    )
    with pytest.raises(ValueError, match="give prediction_prefix='mask' \\(2 pair\\(s\\)\\)"):
        evaluate_files(truth, pred)


def test_one_folder_without_a_hint_names_prefixes_as_an_option(tmp_path, capsys):
    folder = tmp_path / "one"
    write(folder, "x", "y")
    assert run(str(folder), str(folder), "--out", str(tmp_path / "out")) == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith(
            "give --truth-suffix and --prediction-suffix that tell them apart (e.g. '_masks' and "
            "'_cp_masks'), or --truth-prefix and --prediction-prefix (e.g. 'man_seg' and 'mask')."
        )
    )
    with pytest.raises(OneFolderError) as error:
        pair_files(folder, folder)
    assert str(error.value).endswith(
        "give a truth suffix and a prediction suffix that tell them apart (e.g. '_masks' and "
        "'_cp_masks'), or a truth prefix and a prediction prefix (e.g. 'man_seg' and 'mask')."
    )
