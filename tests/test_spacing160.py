"""Splitting touching objects at the pixel size on every route (spacing160).

The trial's case: two touching spheres of radius 5 µm, centres 8 µm apart, in a probability
map of a confocal stack (z 2 µm, y and x 0.5 µm) saved as an ImageJ TIFF with its calibration.
Counted in pixels the spheres are a few planes deep, too shallow to split (one object); in
µm they split in two (:func:`label_instances`' own example). The command line's
``--spacing`` (numbers or ``file``), :func:`evaluate_files`' ``spacing`` and
:func:`instance_threshold_sweep`'s ``spacing`` now split them as ``label_instances`` does.
"""

import json

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval import label_instances
from napari_seg_eval.core.confidence import instance_threshold_sweep
from napari_seg_eval.io.evaluate import evaluate_files

tifffile = pytest.importorskip("tifffile")

#: ImageJ metadata of the trial's stacks: z 2 µm, y and x 0.5 µm (resolution: 2 pixels per µm).
CALIBRATED = {
    "imagej": True,
    "resolution": (2.0, 2.0),
    "metadata": {"spacing": 2.0, "unit": "um", "axes": "ZYX"},
}
SPACING = (2.0, 0.5, 0.5)


def spheres() -> tuple[np.ndarray, np.ndarray]:
    """The truth (sphere 1 left of the plane halfway between the centres, 2 right of it) and
    the map (0.9 inside the spheres, 0.1 outside) of 12 x 40 x 60 pixels."""
    z, y, x = np.meshgrid(
        np.arange(12) * 2.0, np.arange(40) * 0.5, np.arange(60) * 0.5, indexing="ij"
    )
    left = (z - 11) ** 2 + (y - 10) ** 2 + (x - 10) ** 2 <= 25
    right = (z - 11) ** 2 + (y - 10) ** 2 + (x - 18) ** 2 <= 25
    union = left | right
    truth = np.where(union, np.where(x < 14, 1, 2), 0).astype(np.uint16)
    prob = np.where(union, 0.9, 0.1).astype(np.float32)
    return truth, prob


def write_pair(folder) -> tuple:
    """gt/a.tif and pred/a.tif in ``folder``: the calibrated truth and map."""
    truth_dir, pred_dir = folder / "gt", folder / "pred"
    truth_dir.mkdir(parents=True)
    pred_dir.mkdir()
    truth, prob = spheres()
    tifffile.imwrite(truth_dir / "a.tif", truth, **CALIBRATED)
    tifffile.imwrite(pred_dir / "a.tif", prob, **CALIBRATED)
    return truth_dir, pred_dir


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


@pytest.mark.parametrize("spacing", ["2,0.5,0.5", "file"])
def test_the_command_line_splits_at_the_spacing(tmp_path, capsys, spacing):
    truth_dir, pred_dir = write_pair(tmp_path)
    out = tmp_path / "out"
    argv = [str(truth_dir), str(pred_dir), "--out", str(out), "--probability"]
    assert run(*argv, "--split-touching", "--spacing", spacing) == 0
    assert "pixel size" not in capsys.readouterr().err  # no note: the spacing is given
    per_image = pd.read_csv(out / "per_image.csv")
    assert per_image["n_pred"].tolist() == [2]
    assert per_image["f1_50"].tolist() == [1.0]  # each sphere matched by its own object
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert settings["spacing"] == ("file" if spacing == "file" else list(SPACING))
    assert settings["split_touching"] is True
    # settings.json's settings run again give the same numbers
    again = evaluate_files(truth_dir, pred_dir, **settings)
    assert again.per_image["n_pred"].tolist() == [2]
    assert again.per_image["f1_50"].tolist() == per_image["f1_50"].tolist()


def test_the_command_line_without_spacing_splits_in_pixels_and_says_so(tmp_path, capsys):
    truth_dir, pred_dir = write_pair(tmp_path)
    out = tmp_path / "out"
    argv = [str(truth_dir), str(pred_dir), "--out", str(out), "--probability"]
    assert run(*argv, "--split-touching") == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "pixel size" in line]
    assert notes == [
        f"napari-seg-eval: {truth_dir / 'a.tif'} gives a pixel size of 2,0.5,0.5 µm in its "
        "metadata, but the split of touching objects (--split-touching) is in pixels without "
        "--spacing: --spacing file uses each pair's pixel size from its files (or give "
        "--spacing 2,0.5,0.5)."
    ]
    assert pd.read_csv(out / "per_image.csv")["n_pred"].tolist() == [1]
    assert json.loads((out / "settings.json").read_text())["settings"]["spacing"] is None


def test_spacing_without_split_nor_boundary_is_refused(tmp_path, capsys):
    truth_dir, pred_dir = write_pair(tmp_path)
    out = tmp_path / "out"
    argv = [str(truth_dir), str(pred_dir), "--out", str(out), "--probability"]
    assert run(*argv, "--spacing", "file") == 2
    assert (
        "--spacing is for boundary metrics: add --boundary (--spacing is also "
        "the pixel size at which --probability --split-touching splits objects)."
    ) in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(ValueError, match="spacing is for boundary metrics and for splitting"):
        evaluate_files(truth_dir, pred_dir, probability=True, spacing=SPACING)


@pytest.mark.parametrize("spacing", [SPACING, "file"])
def test_evaluate_files_splits_at_the_spacing(tmp_path, spacing):
    truth_dir, pred_dir = write_pair(tmp_path)
    options = {"probability": True, "split_touching": True}
    results = evaluate_files(truth_dir, pred_dir, spacing=spacing, **options)
    assert results.per_image["n_pred"].tolist() == [2]
    assert results.per_image["n_true"].tolist() == [2]
    in_pixels = evaluate_files(truth_dir, pred_dir, **options)  # the default: pixels
    assert in_pixels.per_image["n_pred"].tolist() == [1]


def test_a_slice_of_a_volume_splits_at_the_spacing_of_its_plane(tmp_path):
    """A truth slice (man_seg_000_001: plane 1 of mask000's z, y, x volume) with the
    volume's spacing 0.5, 2, 0.5: the plane's y, x entries (2, 0.5) split two touching
    discs of radius 5 µm (at y, x 0.5, 0.5 or 0.5, 2 they stay one)."""
    y, x = np.meshgrid(np.arange(16) * 2.0, np.arange(80) * 0.5, indexing="ij")
    left = (y - 16) ** 2 + (x - 12) ** 2 <= 25
    right = (y - 16) ** 2 + (x - 20) ** 2 <= 25
    union = left | right
    assert int(label_instances(union, split_touching=True, spacing=(2.0, 0.5)).max()) == 2
    for wrong in ((0.5, 0.5), (0.5, 2.0)):
        assert int(label_instances(union, split_touching=True, spacing=wrong).max()) == 1
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth = np.where(union, np.where(x < 16, 1, 2), 0).astype(np.uint16)
    tifffile.imwrite(truth_dir / "man_seg_000_001.tif", truth)
    volume = np.stack([np.where(union, 0.9, 0.1).astype(np.float32)] * 3)
    tifffile.imwrite(pred_dir / "mask000.tif", volume, photometric="minisblack")
    options = {"truth_prefix": "man_seg", "prediction_prefix": "mask", "probability": True}
    results = evaluate_files(
        truth_dir, pred_dir, split_touching=True, spacing=(0.5, 2.0, 0.5), **options
    )
    assert results.per_image["plane"].tolist() == [1]
    assert results.per_image["n_pred"].tolist() == [2]
    unsplit = evaluate_files(truth_dir, pred_dir, split_touching=True, **options)
    assert unsplit.per_image["n_pred"].tolist() == [1]


def test_the_threshold_sweep_splits_as_label_instances_at_the_spacing():
    truth, prob = spheres()
    # the premise, from label_instances itself: 1 object in pixels, 2 at the pixel size
    assert int(truth.max()) == 2
    assert int(label_instances(prob > 0.5, split_touching=True).max()) == 1
    assert int(label_instances(prob > 0.5, split_touching=True, spacing=SPACING).max()) == 2
    # a map fading away from the neck (x 14 µm): each threshold its own objects
    x = np.arange(60) * 0.5
    faded = np.where(prob > 0.5, 0.9 - 0.01 * np.abs(x - 14), 0.1)
    thresholds = [0.3, 0.8, 0.85]
    table = instance_threshold_sweep(
        truth, faded, thresholds=thresholds, split_touching=True, spacing=SPACING
    )
    expected = [
        int(label_instances(faded > t, split_touching=True, spacing=SPACING).max())
        for t in thresholds
    ]
    # above 0.85 only x 9 to 19 µm is left: halves of the spheres, too shallow to split
    assert expected == [2, 2, 1]
    assert table["n_pred"].tolist() == expected
    in_pixels = instance_threshold_sweep(truth, faded, thresholds=[0.3], split_touching=True)
    assert in_pixels["n_pred"].tolist() == [1]
    with pytest.raises(ValueError, match="one pixel size per axis"):
        instance_threshold_sweep(truth, faded, split_touching=True, spacing=(2.0, 0.5))


def test_an_rgb_stored_map_with_its_class_axis_gives_the_numbers_of_a_grey_one(tmp_path):
    """A (Y, X, 4) class-last map saved with tifffile's defaults (photometric RGB) and
    evaluated with --channel-axis -1 is read as 4 classes, as the same map saved
    photometric='minisblack'."""
    truth = np.zeros((8, 8), np.uint8)
    truth[:4, :4], truth[:4, 4:], truth[4:, :4], truth[4:, 4:] = 0, 1, 2, 3
    prob = np.full((8, 8, 4), 0.1, np.float32)
    for k in range(4):
        prob[..., k][truth == k] = 0.7
    prob[0, 0] = (0.1, 0.1, 0.7, 0.1)  # one pixel of class 0 predicted class 2
    for photometric in ("rgb", "minisblack"):
        folder = tmp_path / photometric
        (folder / "gt").mkdir(parents=True)
        (folder / "pred").mkdir()
        tifffile.imwrite(folder / "gt" / "a.tif", truth)
        if photometric == "rgb":
            tifffile.imwrite(folder / "pred" / "a.tif", prob, photometric="rgb")  # as the defaults
        else:
            tifffile.imwrite(folder / "pred" / "a.tif", prob, photometric="minisblack")
    with tifffile.TiffFile(tmp_path / "rgb" / "pred" / "a.tif") as stored:
        assert stored.pages[0].photometric == tifffile.PHOTOMETRIC.RGB
    options = {"kind": "semantic", "probability": True, "channel_axis": -1}
    options |= {"background_channel": True, "binarize_semantic": False}
    rgb = evaluate_files(tmp_path / "rgb" / "gt", tmp_path / "rgb" / "pred", **options)
    grey = evaluate_files(
        tmp_path / "minisblack" / "gt", tmp_path / "minisblack" / "pred", **options
    )
    assert rgb.summary["n_failed"] == 0
    # class 0: 15 of 16 pixels right; class 2: 16 right and 1 false positive
    assert grey.summary["mean_iou_pooled"] == pytest.approx((15 / 16 + 1 + 16 / 17 + 1) / 4)
    files = ["truth", "prediction"]
    pd.testing.assert_frame_equal(
        rgb.per_image.drop(columns=files), grey.per_image.drop(columns=files)
    )


def test_the_report_sweeps_and_names_the_runs_split_at_its_spacing(monkeypatch):
    from napari_seg_eval.core import confidence
    from napari_seg_eval.evaluation import ThresholdOptions, evaluate
    from napari_seg_eval.report import report_html
    from napari_seg_eval.runs import Runs

    truth, prob = spheres()
    options = ThresholdOptions(split_touching=True, spacing=SPACING)
    evaluation = evaluate(truth, prob, threshold=0.5, threshold_options=options)
    assert int(evaluation.instance.summary["n_pred"]) == 2
    runs = Runs()
    runs.add(evaluation, name="split")
    sweeps = []

    def recorded_sweep(*args, **kwargs):
        sweeps.append(sweep := instance_threshold_sweep(*args, **kwargs))
        return sweep

    monkeypatch.setattr(confidence, "instance_threshold_sweep", recorded_sweep)
    text = report_html(runs["split"])
    (curve,) = sweeps  # the objects of the run's own threshold are its 2 spheres
    assert curve.loc[curve["threshold"] == 0.5, "n_pred"].tolist() == [2]
    assert (
        "Object-level metrics versus the probability threshold (dashed: the threshold used). "
        "Touching objects split at depth 2 with the pixel size (spacing) 2 × 0.5 × 0.5."
    ) in text


def test_one_spacing_for_every_axis_splits_and_scores_like_the_number(tmp_path):
    """Regression (the docs' screenshots): evaluate_files(probability=True, boundary=True,
    spacing=0.5) failed every pair: the one value for all, read as a sequence (0.5,), was
    refused by the labelling ("one pixel size per axis of the mask (2 axes)")."""
    truth = np.zeros((20, 30), np.uint16)
    truth[2:10, 2:12] = 1
    truth[12:18, 15:25] = 2
    prob = np.where(truth > 0, 0.9, 0.1).astype(np.float32)
    for name, data in (("truth", truth), ("pred", prob)):
        (tmp_path / name).mkdir()
        tifffile.imwrite(tmp_path / name / "a.tif", data)
    result = evaluate_files(
        tmp_path / "truth", tmp_path / "pred", probability=True, boundary=True, spacing=0.5
    )
    assert result.failed.empty
    assert result.per_image["f1_50"].tolist() == [1.0]
    mask = prob > 0.5
    for spacing in ((0.5,), [0.5], 0.5):
        labels = label_instances(mask, split_touching=True, spacing=spacing)
        np.testing.assert_array_equal(labels, label_instances(mask, split_touching=True))


def test_a_dataset_pair_split_in_pixels_opens_at_scale_1_and_evaluate_gives_its_row(
    make_napari_viewer, tmp_path, monkeypatch
):
    """Regression (trial166): a Dataset run of calibrated stacks splitting touching objects
    in pixels (no spacing) opened its pair at the files' pixel size, where Evaluate split the
    two spheres (n_pred 2) while the row had scored one object: the pair keeps scale 1."""
    from napari_seg_eval._qt import dataset_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    said = []
    monkeypatch.setattr(dataset_panel, "show_info", said.append)
    truth_dir, pred_dir = write_pair(tmp_path)
    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    dataset = widget.dataset
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(probability=True, kind="instance", iou_thresholds="0.5")
    result = dataset.run(wait=True)
    assert result.per_image.set_index("name").loc["a", "n_pred"] == 1  # in pixels: one
    opened = dataset.open_image("a", wait=True)
    assert tuple(opened["truth"].scale) == (1.0, 1.0, 1.0)
    assert "split of touching objects were in pixels" in said[-1]
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("instance", "n_pred")] == 1  # the row's
