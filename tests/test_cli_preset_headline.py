"""The command line's summary puts the preset's headline first (SEG and DET of the ctc preset,
with their intervals), as the Dataset tab does; one unpaired file is said in the singular."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from napari_seg_eval import __main__ as cli


def test_ctc_headline_first_and_one_prediction_in_the_singular(tmp_path, capsys):
    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    square = np.zeros((6, 6), np.uint16)
    square[:4, :4] = 1
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg00{k}.tif", square)
        tifffile.imwrite(pred / f"mask00{k}.tif", square)
    tifffile.imwrite(pred / "mask009.tif", square)  # a frame without truth
    argv = ["evaluate", str(truth), str(pred), "--out", str(tmp_path / "out"), "--preset", "ctc"]
    argv += ["--truth-prefix", "man_seg", "--prediction-prefix", "mask"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--confidence-interval", "0.95"])
    assert exit_info.value.code == 0
    captured = capsys.readouterr()
    assert "1 prediction without a ground truth:" in captured.err.splitlines()
    out = captured.out.splitlines()
    evaluated = out.index("2 of 2 pairs evaluated; results in " + str(tmp_path / "out"))
    # Both frames found exactly: SEG = DET = 1 in each, so pooled 1 and every resample 1.
    assert [line.split() for line in out[evaluated + 1 : evaluated + 7]] == [
        [key, value]
        for name in ("seg_pooled", "det_pooled")
        for key, value in ((name, "1.0"), (f"{name}_low", "1.0"), (f"{name}_high", "1.0"))
    ]
    assert out[evaluated + 7].split() == ["n_pairs", "2"]
