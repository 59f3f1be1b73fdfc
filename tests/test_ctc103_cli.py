"""The command line's ``--preset ctc`` pairs the Cell Tracking Challenge's names with no other
option: ``01_GT/SEG/man_seg000.tif`` with ``01_RES/mask000.tif``, and the slices
``man_seg_007_001.tif`` with plane 1 of ``mask007.tif``; it says so, and that a slice is scored
on its plane.

NEEDS /work/briefs/ctc103_main.patch applied to src/napari_seg_eval/__main__.py (the lead
applies it; these tests fail until then)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import tifffile

from napari_seg_eval import __main__ as cli

#: The line of the pairs' listing when the preset's names paired the files.
SAID = "Paired as the Cell Tracking Challenge names its files (the ctc preset)"


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def square(cols: slice, label: int = 1) -> np.ndarray:
    """A 10 x 10 label image with one object ``label`` at rows 1-4 x ``cols``."""
    image = np.zeros((10, 10), np.uint16)
    image[1:5, cols] = label
    return image


#: Truth rows 1-4 x cols 1-4 (16 px); prediction rows 1-4 x cols 2-5 (16 px): 12 shared > 16/2,
#: matched, IoU 12 / (16 + 16 - 12) = 0.6.
TRUTH, PRED = square(slice(1, 5)), square(slice(2, 6), 3)


def test_preset_ctc_pairs_the_challenges_names_alone(tmp_path, capsys):
    truth, pred = tmp_path / "01_GT" / "SEG", tmp_path / "01_RES"
    truth.mkdir(parents=True)
    pred.mkdir()
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg00{k}.tif", TRUTH)
        tifffile.imwrite(pred / f"mask00{k}.tif", PRED)
    out = tmp_path / "out"
    # Without the preset nothing pairs: the error names the prefixes, as before.
    assert run(str(truth), str(pred), "--out", str(out)) == 2
    assert "--truth-prefix man_seg --prediction-prefix mask" in capsys.readouterr().err
    assert run(str(truth), str(pred), "--out", str(out), "--preset", "ctc") == 0
    err = capsys.readouterr().err
    assert f"{SAID}: by the truth prefix 'man_seg' and the prediction prefix 'mask'" in err
    per_image = pd.read_csv(out / "per_image.csv", dtype={"name": str})
    assert per_image["name"].tolist() == ["000", "001"]
    assert per_image["seg"].tolist() == pytest.approx([0.6, 0.6])  # IoU 0.6 each
    record = json.loads((out / "settings.json").read_text())
    assert record["settings"]["truth_prefix"] == "man_seg"
    assert record["settings"]["prediction_prefix"] == "mask"


def test_preset_ctc_scores_the_challenges_slices_with_their_pixel_size(tmp_path, capsys):
    truth, pred = tmp_path / "02_GT" / "SEG", tmp_path / "02_RES"
    truth.mkdir(parents=True)
    pred.mkdir()
    volume = np.zeros((4, 10, 10), np.uint16)  # planes 0 and 3 empty
    volume[1] = PRED  # the truth's IoU 0.6
    volume[2] = square(slice(1, 5), 4)  # the truth's own square: IoU 1
    # ImageJ: 0.5 µm pixels (2 per µm), 3 µm between the volume's planes.
    calibrated = {"imagej": True, "resolution": (2.0, 2.0)}
    tifffile.imwrite(
        pred / "mask007.tif",
        volume,
        **calibrated,
        metadata={"spacing": 3.0, "unit": "um", "axes": "ZYX"},
    )
    for plane in (1, 2):
        tifffile.imwrite(
            truth / f"man_seg_007_00{plane}.tif",
            TRUTH,
            **calibrated,
            metadata={"unit": "um", "axes": "YX"},
        )
    out = tmp_path / "out"
    argv = [str(truth), str(pred), "--out", str(out), "--preset", "ctc"]
    assert run(*argv, "--boundary", "--spacing", "file") == 0
    err = capsys.readouterr().err
    assert "(man_seg_007_001.tif with mask007.tif)" in err
    assert "a truth slice man_seg_T_Z.tif is scored on plane Z of maskT.tif (SEG only" in err
    per_image = pd.read_csv(out / "per_image.csv", dtype={"name": str})
    assert per_image["name"].tolist() == ["007_001", "007_002"]
    assert per_image["plane"].tolist() == [1, 2]
    assert per_image["seg"].tolist() == pytest.approx([0.6, 1.0])
    # Each plane's pixel size: the volume's 3 x 0.5 x 0.5 µm without its plane axis.
    assert per_image["spacing"].tolist() == ["0.5,0.5", "0.5,0.5"]
