"""A new user's trial on 3-D confocal stacks (z 2 µm, xy 0.5 µm, ImageJ TIFFs):

- the options for probability maps (--threshold, --min-size, --split-touching,
  --connectivity, ...) were silently ignored without --probability, while settings.json
  recorded them: refused, naming them, nothing written; those of the map's objects with
  --probability but no instance metrics too;
- --boundary --spacing with one value per axis of another number of axes than the files'
  failed every pair one by one and wrote a folder of failures: refused before the run when
  it fits no pair (in a folder of 2-D and 3-D images, left to the run when it fits some);
- --boundary without --spacing on files that give a pixel size measured in pixels without
  a word: said once;
- the Dataset tab opened a 3-D pair of a run without a spacing at scale 1 whatever the
  files' calibration (a volume squashed 4x along z, Evaluate's boundary distances in pixels):
  the layers now have the pixel size the truth's file gives.
"""

import json

import numpy as np
import pytest

from napari_seg_eval import __main__ as cli

tifffile = pytest.importorskip("tifffile")

#: ImageJ metadata of the trial's stacks: z 2 µm, y and x 0.5 µm (resolution: 2 pixels per µm).
CALIBRATED = {
    "imagej": True,
    "resolution": (2.0, 2.0),
    "metadata": {"spacing": 2.0, "unit": "um", "axes": "ZYX"},
}


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def cube_pair() -> tuple[np.ndarray, np.ndarray]:
    """A 6 x 10 x 10 truth with one 3 x 4 x 4 object (planes 1-3, rows and columns 2-5) and a
    prediction of the same block one plane higher (planes 2-4)."""
    truth = np.zeros((6, 10, 10), np.uint16)
    pred = np.zeros((6, 10, 10), np.uint16)
    truth[1:4, 2:6, 2:6] = 1
    pred[2:5, 2:6, 2:6] = 1
    return truth, pred


def write_stacks(folder, names=("a", "b")):
    """Folders gt/ and pred/ in ``folder`` with calibrated :func:`cube_pair` stacks."""
    truth_dir, pred_dir = folder / "gt", folder / "pred"
    truth_dir.mkdir(parents=True)
    pred_dir.mkdir()
    truth, pred = cube_pair()
    for name in names:
        tifffile.imwrite(truth_dir / f"{name}.tif", truth, **CALIBRATED)
        tifffile.imwrite(pred_dir / f"{name}.tif", pred, **CALIBRATED)
    return truth_dir, pred_dir


@pytest.fixture
def labels(tmp_path):
    """gt/img_masks.npy and pred/img_stardist.npy: two objects each, the prediction's second
    a single pixel (4 pixels, and 1)."""
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth = np.zeros((12, 12), np.uint16)
    truth[1:3, 1:3] = 1
    truth[8, 8] = 2
    np.save(truth_dir / "img_masks.npy", truth)
    np.save(pred_dir / "img_stardist.npy", truth)
    args = [str(truth_dir), str(pred_dir), "--truth-suffix", "_masks"]
    return [*args, "--prediction-suffix", "_stardist"]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--min-size", "100000"], "--min-size is for probability maps: add --probability."),
        (["--split-touching"], "--split-touching is for probability maps: add --probability."),
        # typed at its default: still nothing reads it
        (["--threshold", "0.5"], "--threshold is for probability maps: add --probability."),
        (
            ["--connectivity", "2", "--min-size", "3", "--threshold", "0.3"],
            "--threshold, --connectivity and --min-size are for probability maps: add "
            "--probability.",
        ),
        (
            ["--channel-axis", "0", "--split-touching"],
            "--channel-axis and --split-touching are for probability maps: add --probability.",
        ),
    ],
)
def test_options_for_probability_maps_are_refused_without_probability(
    labels, tmp_path, capsys, options, said
):
    out = tmp_path / "out"
    assert run(*labels, "--out", str(out), *options) == 2
    err = capsys.readouterr().err
    assert err == f"napari-seg-eval evaluate: error: {said}\n"
    assert not out.exists()


def test_min_size_without_probability_is_refused_and_the_labels_are_scored_as_they_are(
    labels, tmp_path, capsys
):
    """The trial's command: --min-size 100000 on label images gave the same n_pred as
    without, and settings.json said "min_size": 100000."""
    out = tmp_path / "out"
    assert run(*labels, "--out", str(out), "--min-size", "100000") == 2
    assert "error: --min-size is for probability maps" in capsys.readouterr().err
    assert not out.exists()
    # Without it the labels are scored as they are: both objects, the 1-pixel one too.
    assert run(*labels, "--out", str(out), "--quiet") == 0
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert (settings["min_size"], settings["threshold"], settings["connectivity"]) == (0, 0.5, 1)
    per_image = np.genfromtxt(out / "per_image.csv", delimiter=",", names=True, dtype=None)
    assert int(per_image["n_pred"]) == 2


@pytest.mark.parametrize("kind", ["semantic", "boundary"])
def test_object_options_are_refused_where_no_objects_are_made(tmp_path, capsys, kind):
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    np.save(truth_dir / "a.npy", np.eye(8, dtype=np.uint8))
    np.save(pred_dir / "a.npy", np.eye(8, dtype=np.float32) * 0.9)
    base = [str(truth_dir), str(pred_dir), "--probability", "--kind", kind]
    out = tmp_path / "out"
    assert run(*base, "--out", str(out), "--min-size", "2", "--split-touching") == 2
    assert capsys.readouterr().err == (
        "napari-seg-eval evaluate: error: --min-size and --split-touching are for the objects "
        f"the map is labelled into, of instance metrics, and --kind {kind} computes none: use "
        "--kind instance or --kind all, or leave them out.\n"
    )
    assert not out.exists()
    # The threshold makes the semantic mask: it is read by every kind. p = 0.9 > 0.3 on the
    # diagonal, the truth's foreground: foreground IoU 8 / 8 = 1.
    assert run(*base, "--out", str(out), "--threshold", "0.3", "--quiet") == 0


def test_a_spacing_that_fits_no_pair_is_refused_before_the_run(tmp_path, capsys):
    truth_dir, pred_dir = write_stacks(tmp_path)
    out = tmp_path / "out"
    assert (
        run(str(truth_dir), str(pred_dir), "--boundary", "--spacing", "0.5,0.5", "--out", str(out))
        == 2
    )
    err = capsys.readouterr().err
    assert err.endswith(
        "napari-seg-eval evaluate: error: --spacing 0.5,0.5 gives 2 values, one per axis, but "
        f"the truth images are 3-D (e.g. {truth_dir / 'a.tif'}): give 3 values (z,y,x for a "
        "volume), or one for every axis.\n"
    )
    assert "failed" not in err
    assert not out.exists()


def test_a_spacing_that_fits_some_pairs_of_a_mixed_folder_is_left_to_the_run(tmp_path, capsys):
    truth_dir, pred_dir = write_stacks(tmp_path, names=("b",))
    flat = np.zeros((10, 10), np.uint16)
    flat[2:6, 2:6] = 1
    np.save(truth_dir / "a.npy", flat)  # 2-D, first in order
    np.save(pred_dir / "a.npy", flat)
    out = tmp_path / "out"
    args = [str(truth_dir), str(pred_dir), "--boundary", "--quiet"]
    assert run(*args, "--spacing", "0.5,0.5", "--out", str(out)) == 1  # the volume fails
    per_image = json.loads((out / "settings.json").read_text())
    assert [pair["name"] for pair in per_image["pairs"]] == ["a", "b"]
    capsys.readouterr()
    # Fitting neither: both kinds said.
    assert run(*args, "--spacing", "1,1,1,1", "--out", str(tmp_path / "four")) == 2
    assert (
        "--spacing 1,1,1,1 gives 4 values, one per axis, but the truth images are 2-D (e.g. "
        f"{truth_dir / 'a.npy'}) and 3-D (e.g. {truth_dir / 'b.tif'}): give 2 or 3 values"
    ) in capsys.readouterr().err
    assert not (tmp_path / "four").exists()


def test_boundary_in_pixels_on_calibrated_files_is_said_once(tmp_path, capsys):
    truth_dir, pred_dir = write_stacks(tmp_path)
    args = [str(truth_dir), str(pred_dir), "--boundary", "--iou-thresholds", "0.5"]
    assert run(*args, "--out", str(tmp_path / "px")) == 0
    err = capsys.readouterr().err
    note = (
        f"napari-seg-eval: {truth_dir / 'a.tif'} gives a pixel size of 2,0.5,0.5 µm in its "
        "metadata, but boundary distances are in pixels without --spacing: --spacing file "
        "uses each pair's pixel size from its files (or give --spacing 2,0.5,0.5)."
    )
    assert err.splitlines().count(note) == 1
    assert run(*args, "--out", str(tmp_path / "quiet"), "--quiet") == 0
    assert "pixel size" not in capsys.readouterr().err
    assert run(*args, "--out", str(tmp_path / "file"), "--spacing", "file") == 0
    assert "pixel size" not in capsys.readouterr().err
    # By hand: the prediction is the truth one plane higher. The truth's bottom face is one
    # plane, 2 µm, from the prediction's nearest boundary (its bottom face), the prediction's
    # top face alike: HD = 2 µm (1 pixel without the spacing).
    summary = np.genfromtxt(tmp_path / "file" / "summary.csv", delimiter=",", names=True)
    assert float(summary["mean_hd_image_mean"]) == pytest.approx(2.0)
    summary = np.genfromtxt(tmp_path / "px" / "summary.csv", delimiter=",", names=True)
    assert float(summary["mean_hd_image_mean"]) == pytest.approx(1.0)


# --- the Dataset tab ----------------------------------------------------------------------


@pytest.fixture
def widget(make_napari_viewer):
    pytest.importorskip("napari")
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    dock = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(dock, name="Segmentation Evaluation")
    return dock


@pytest.fixture
def said(monkeypatch):
    """The Dataset tab's information notices, as text."""
    from napari_seg_eval._qt import dataset_panel

    notices = []
    monkeypatch.setattr(dataset_panel, "show_info", notices.append)
    return notices


def test_a_pair_opens_at_its_files_pixel_size_when_the_run_has_no_spacing(widget, tmp_path, said):
    truth_dir, pred_dir = write_stacks(tmp_path)
    truth, pred = cube_pair()
    np.save(truth_dir / "c.npy", truth)  # no pixel size: scale 1
    np.save(pred_dir / "c.npy", pred)
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(iou_thresholds="0.5")
    dataset.run(wait=True)
    opened = dataset.open_image("a", wait=True)
    for side in ("truth", "prediction"):
        assert tuple(opened[side].scale) == (2.0, 0.5, 0.5)
    assert (
        "the layers' scale 2, 0.5, 0.5 µm, the pixel size its truth file gives (Evaluate's "
        "boundary distances are in it)" in said[-1]
    )
    assert evaluate.units_label.text() == "µm (scale 2, 0.5, 0.5)"
    evaluate.boundary_check.setChecked(True)
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    # As by hand above: one plane, 2 µm.
    assert summary[("boundary", "mean_hd")] == pytest.approx(2.0)
    opened = dataset.open_image("c", wait=True)
    assert tuple(opened["truth"].scale) == (1.0, 1.0, 1.0)
    assert "the layers' scale" not in said[-1]


def test_a_run_in_pixels_keeps_its_scale_and_names_the_files_pixel_size(widget, tmp_path, said):
    truth_dir, pred_dir = write_stacks(tmp_path)
    dataset = widget.dataset
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(iou_thresholds="0.5", boundary=True)
    result = dataset.run(wait=True)
    assert result.per_image.set_index("name").loc["a", "mean_hd"] == pytest.approx(1.0)
    opened = dataset.open_image("a", wait=True)
    assert tuple(opened["truth"].scale) == (1.0, 1.0, 1.0)
    assert (
        "the layers' scale 1, as the run's boundary distances were in pixels (its truth file "
        "gives a pixel size of 2, 0.5, 0.5 µm: spacing 'file' uses it)" in said[-1]
    )
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("boundary", "mean_hd")] == pytest.approx(1.0)  # the row's


def test_the_tab_passes_the_headers_options_only_where_they_are_read(widget):
    """A run of label files took the header's threshold options (recorded in settings.json,
    and now refused by evaluate_files); the object options the same for a semantic run."""
    widget.set_threshold(0.7)
    widget.min_size_spin.setValue(5)
    widget.split_check.setChecked(True)
    dataset = widget.dataset
    read = ("threshold", "min_size", "split_touching")

    def options(**chosen):
        dataset.set_options(**chosen)
        settings = dataset.settings()
        return tuple(settings[key] for key in read)

    assert options(probability=False, kind="instance") == (0.5, 0, False)
    assert options(probability=True, kind="instance") == (0.7, 5, True)
    assert options(probability=True, kind="semantic") == (0.7, 0, False)
    assert options(probability=True, kind="all") == (0.7, 5, True)


def test_no_pixel_size_note_for_files_whose_pixels_are_1(tmp_path, capsys):
    """Regression (review165): an ImageJ TIFF with resolution 1 and unit 'pixel' got the note
    "gives a pixel size of 1,1 pixel … give --spacing 1,1", advice that changes nothing."""
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    image = np.zeros((10, 10), np.uint16)
    image[2:6, 2:6] = 1
    for folder in (truth_dir, pred_dir):
        tifffile.imwrite(
            folder / "a.tif", image, imagej=True, resolution=(1, 1), metadata={"unit": "pixel"}
        )
    assert run(str(truth_dir), str(pred_dir), "--boundary", "--out", str(tmp_path / "o")) == 0
    assert "pixel size" not in capsys.readouterr().err
