"""A run's class file or region mask of floats is told what such a file holds (with
pairs139_other.patch applied to io/evaluate.py): never to read it with --probability, which
would re-read the prediction as a map."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files


def square() -> np.ndarray:
    """A 10 x 10 label image with one object (label 1) at rows 2-5, cols 2-5."""
    image = np.zeros((10, 10), np.uint16)
    image[2:6, 2:6] = 1
    return image


def softmax() -> np.ndarray:
    """A background + 3 class softmax of shape (4, 10, 10): 0.7 in channel 0, 0.1 in the
    others (none a whole number)."""
    values = np.full((4, 10, 10), 0.1, np.float32)
    values[0] = 0.7
    return values


def test_a_softmax_given_as_the_predictions_class_file_is_told_to_save_its_argmax(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    tifffile.imwrite(truth / "img.tif", square())
    tifffile.imwrite(truth / "img_classes.tif", square())  # the square is class 1
    tifffile.imwrite(pred / "img.tif", square())
    np.save(pred / "img_classes.npy", softmax())  # trial138's mistake: the map, not classes
    result = evaluate_files(
        truth,
        pred,
        iou_thresholds=[0.5],
        truth_classes_suffix="_classes",
        prediction_classes_suffix="_classes",
    )
    error = result.per_image.loc[0, "error"]
    assert f"{pred / 'img_classes.npy'}: a class image must hold integers" in error
    assert "argmax over the map's class axis" in error
    assert "--probability" not in error and "read_probabilities" not in error


def test_a_region_file_of_probabilities_is_told_to_threshold_it(tmp_path, capsys):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    tifffile.imwrite(truth / "img.tif", square())
    tifffile.imwrite(pred / "img.tif", square())
    region = tmp_path / "region.npy"
    np.save(region, np.full((10, 10), 0.25, np.float32))
    out = tmp_path / "out"
    argv = ["evaluate", str(truth), str(pred), "--region", str(region), "--out", str(out)]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"{region}: a region mask must hold integers or booleans" in err
    assert "threshold it" in err and "--probability" not in err
    assert not out.exists()
