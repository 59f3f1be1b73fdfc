"""io208: the command line, Python's files and the Dataset tab for multi-class users.

- A truth whose top value (255, or above a map's classes) is never predicted, scored by class
  without an ignored label: a likely-wrong notice naming the option to pass (the command line
  even with ``--quiet``, ``evaluate_files`` as a warning, the Dataset tab in its words), one
  line for many pairs with the pixels summed.
- The class-image hint of a run that already has semantic metrics by class says so.
- The Dataset tab's status line keeps a likely-wrong notice (its notification goes away).
- A notice's counts over many files are said to be totals over the files.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval.__main__ import main
from napari_seg_eval.io import evaluate_files
from napari_seg_eval.io.read import FileNotice

#: Classes 0, 1, 2 and two unannotated pixels (255) per image.
TRUTH = np.array([[0, 0, 1, 1], [2, 2, 255, 255]], np.uint8)
#: Every annotated pixel right; the unannotated ones predicted 1 and 0.
PRED = np.array([[0, 0, 1, 1], [2, 2, 1, 0]], np.uint8)

HINT = (
    "the truth has 4 pixels of value 255, which the prediction never has: they are scored as "
    "a class (or an object) never found, and the predictions on them as false positives. If "
    "255 marks pixels to leave out (unannotated), pass "
)


def run(*argv) -> int:
    try:
        code = main(["evaluate", *map(str, argv)])
    except SystemExit as stop:
        return int(stop.code or 0)
    return int(code or 0)


def two_pairs(tmp_path, truth=TRUTH, pred=PRED):
    folders = tmp_path / "truth", tmp_path / "pred"
    for folder, image in zip(folders, (truth, pred), strict=True):
        folder.mkdir()
        for name in ("a", "b"):
            np.save(folder / f"{name}.npy", image)
    return folders


def file_warnings(caught) -> list[FileNotice]:
    return [w.message for w in caught if isinstance(w.message, FileNotice)]


# 1. 255 scored as a class ------------------------------------------------------------------
@pytest.mark.parametrize("quiet", [False, True])
def test_the_command_line_says_255_looks_unannotated(tmp_path, capsys, quiet):
    truth, pred = two_pairs(tmp_path)
    args = [truth, pred, "--kind", "semantic", "--class-labels", "--out", tmp_path / "out"]
    assert run(*args, *(["--quiet"] if quiet else [])) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "value 255" in line]
    assert lines == [
        f"napari-seg-eval: {truth / 'a.npy'} (and 1 more file; the counts are totals over the "
        f"2 files): {HINT}--ignore-label 255."
    ]
    # The numbers it warns of: class 255 with IoU 0 in the mean (classes 0, 1, 2: 2/3, 2/3, 1).
    pooled = pd.read_csv(tmp_path / "out" / "semantic_pooled.csv").set_index("class")["iou"]
    assert pooled.to_dict() == pytest.approx({0: 2 / 3, 1: 2 / 3, 2: 1.0, 255: 0.0})
    # As it says: every class right, nothing said.
    assert run(*args[:-1], tmp_path / "out2", "--ignore-label", "255") == 0
    assert "value 255" not in capsys.readouterr().err
    pooled = pd.read_csv(tmp_path / "out2" / "semantic_pooled.csv").set_index("class")["iou"]
    assert pooled.to_dict() == {0: 1.0, 1: 1.0, 2: 1.0}


def test_evaluate_files_warns_of_255_in_pythons_words(tmp_path):
    truth, pred = two_pairs(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files(truth, pred, kind="semantic", binarize_semantic=False)
    [notice] = [w for w in file_warnings(caught) if "value 255" in str(w)]
    assert notice.likely_wrong
    assert str(notice) == (
        f"{truth / 'a.npy'} (and 1 more file; the counts are totals over the 2 files): "
        f"{HINT}ignore_label=255."
    )
    assert result["semantic"].summary["mean_iou_pooled"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 4)
    # Foreground against background: 255 is foreground, no class of its own: nothing said.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_files(truth, pred, kind="semantic")
    assert not [w for w in file_warnings(caught) if "value 255" in str(w)]


def test_a_value_above_a_maps_classes_is_said_with_them(tmp_path):
    """A 3-channel map with a background channel has classes 0..2: a truth's 7 is none."""
    truth = np.where(TRUTH == 255, 7, TRUTH).astype(np.uint8)
    prob = np.stack([c == PRED for c in range(3)]).astype(np.float32)
    folders = tmp_path / "truth", tmp_path / "pred"
    for folder, image in zip(folders, (truth, prob), strict=True):
        folder.mkdir()
        np.save(folder / "a.npy", image)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_files(
            *folders,
            kind="semantic",
            binarize_semantic=False,
            probability=True,
            channel_axis=0,
            background_channel=True,
            threshold=0,
        )
    [notice] = [w for w in file_warnings(caught) if "value 7" in str(w)]
    assert str(notice) == (
        f"{folders[0] / 'a.npy'}: the truth has 2 pixels of value 7, which the prediction never "
        "has (its classes run 0..2): they are scored as a class (or an object) never found, "
        "and the predictions on them as false positives. If 7 marks pixels to leave out "
        "(unannotated), pass ignore_label=7."
    )


# 2. The class-image hint of a run that has semantic metrics by class ----------------------
def test_the_class_image_hint_of_a_run_by_class_says_it_has_them(tmp_path, capsys):
    """A class image (ids 1..3, one block each) against a map's many small objects."""
    truth = np.zeros((24, 24), np.uint8)
    truth[:, :8], truth[:, 8:16], truth[:, 16:] = 1, 2, 3
    objects = np.zeros((24, 24), bool)
    objects[1::4, 1::4] = True  # 36 one-pixel objects, 12 in each class's block
    prob = np.zeros((4, 24, 24), np.float32)
    prob[0] = ~objects
    for c in (1, 2, 3):
        prob[c] = objects & (truth == c)
    folders = tmp_path / "truth", tmp_path / "pred"
    for folder, image in zip(folders, (truth, prob), strict=True):
        folder.mkdir()
        np.save(folder / "a.npy", image)
    args = [*folders, "--probability", "--channel-axis", "0", "--background-channel"]
    args += ["--kind", "all", "--class-labels", "--out", tmp_path / "out"]
    assert run(*args) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "class image" in line]
    assert lines == [
        f"napari-seg-eval: the truth {folders[0] / 'a.npy'} looks like a class image, not "
        "instance labels: its ids are all classes of the map (1..3) and each holds many "
        "predicted objects, so its instance numbers mean nothing; this run's semantic metrics, "
        "compared class by class, are the per-class pixel metrics (to leave the instance "
        "metrics out: --kind semantic)."
    ]


# 4. and 1. in the Dataset tab ---------------------------------------------------------------
@pytest.fixture
def dock(make_napari_viewer):
    pytest.importorskip("napari")
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return viewer, widget


def test_the_dataset_tab_keeps_a_likely_wrong_notice_in_its_status(dock, tmp_path):
    """The notice is warned (a notification from the worker; here, run on this thread, a
    warning) and kept in the status line, in the tab's words."""
    _, widget = dock
    dataset = widget.dataset
    truth, pred = two_pairs(tmp_path)
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(kind="semantic", binarize_semantic=False)
    with pytest.warns(FileNotice, match="value 255"):
        dataset.run(wait=True)
    said = (
        f"{truth / 'a.npy'} (and 1 more file; the counts are totals over the 2 files): "
        f"{HINT}the Dataset tab's Ignore label at 255."
    )
    assert dataset.status_label.text() == (
        f"Done: 2 pairs. Likely wrong: {said} See the notifications."
    )
    dataset.set_options(ignore_label=255)
    dataset.run(wait=True)
    assert dataset.status_label.text() == "Done: 2 pairs."


# 5. The Dataset tab's Class axis with no layer open ----------------------------------------
def test_the_dataset_tab_advises_the_one_class_axis_that_fits(dock, tmp_path, monkeypatch):
    """Maps (3, 2, 4) against truths (2, 4), no layer open: axis 0 is advised, not chosen (a
    z-stack's axis would fit as well), and the pairs run once it is chosen."""
    from napari_seg_eval._qt import dataset_panel

    shown = []
    monkeypatch.setattr(dataset_panel, "show_info", shown.append)
    _, widget = dock
    dataset = widget.dataset
    prob = np.stack([c == PRED for c in range(3)]).astype(np.float32)
    folders = tmp_path / "truth", tmp_path / "pred"
    for folder, image in zip(folders, (np.where(TRUTH == 255, 0, TRUTH), prob), strict=True):
        folder.mkdir()
        np.save(folder / "a.npy", image)
    dataset.probability_check.setChecked(True)
    dataset.set_folders(truth=folders[0], prediction=folders[1])
    assert dataset.class_axis() is None
    assert shown == [
        "Segmentation Evaluation: axis 0 (3 values) of the prediction files is the one axis "
        "whose removal leaves the ground truth's shape: if it holds the map's classes, choose it "
        "as the Dataset tab's Class axis."
    ]
    dataset.set_class_axis(0)
    widget.background_check.setChecked(True)
    dataset.set_options(probability=True, kind="semantic", binarize_semantic=False)
    result = dataset.run(wait=True)
    assert result.n_failed == 0
    # Pixels (1, 2) and (1, 3) of the truth are 0, predicted 1 and 0: class 0 IoU 3/4 (4 true,
    # 3 predicted, 3 both), class 1 2/3 (2 true, 3 predicted), class 2 1.
    assert result["semantic"].summary["mean_iou_pooled"] == pytest.approx((3 / 4 + 2 / 3 + 1) / 3)


def test_semantic_image_mean_says_over_how_many_images_each_class_is_averaged(tmp_path):
    """Class 2 is in image a only: its image mean is of 1 image, classes 0 and 1 of 2."""
    folders = tmp_path / "truth", tmp_path / "pred"
    without_2 = np.where(TRUTH == 2, 0, TRUTH).astype(np.uint8)
    for folder, images in zip(
        folders, ((TRUTH, without_2), (PRED, PRED * (PRED != 2))), strict=True
    ):
        folder.mkdir()
        for name, image in zip("ab", images, strict=True):
            np.save(folder / f"{name}.npy", image)
    args = [*folders, "--kind", "semantic", "--class-labels", "--ignore-label", "255"]
    assert run(*args, "--out", tmp_path / "out") == 0
    table = pd.read_csv(tmp_path / "out" / "semantic_image_mean.csv")
    assert list(table.columns[:3]) == ["class", "n_images", "iou"]
    assert table.set_index("class")["n_images"].to_dict() == {0: 2, 1: 2, 2: 1}
    # Image b: truth 0 0 1 1 / 0 0 . . against 0 0 1 1 / 0 0 1 0: every kept pixel right.
    assert table.set_index("class")["iou"].to_dict() == {0: 1.0, 1: 1.0, 2: 1.0}


# 6. The spacing and the files' metadata -----------------------------------------------------
def calibrated(path, image, size=None):
    """A TIFF of ``image``, ImageJ-calibrated at ``size`` µm per pixel (None: no pixel size)."""
    tifffile = pytest.importorskip("tifffile")
    if size is None:
        tifffile.imwrite(path, image)
    else:
        tifffile.imwrite(
            path, image, imagej=True, resolution=(1 / size, 1 / size), metadata={"unit": "um"}
        )


def boundary_pairs(tmp_path, truth_size, pred_size):
    """Two pairs of a 4 x 4 square in 10 x 10 (the prediction one column wider)."""
    truth = np.zeros((10, 10), np.uint8)
    truth[3:7, 3:7] = 1
    pred = np.zeros((10, 10), np.uint8)
    pred[3:7, 3:8] = 1
    folders = tmp_path / "truth", tmp_path / "pred"
    for folder in folders:
        folder.mkdir(parents=True)
    for name in ("a", "b"):
        calibrated(folders[0] / f"{name}.tif", truth, truth_size)
        calibrated(folders[1] / f"{name}.tif", pred, pred_size)
    return folders


def test_a_spacing_the_files_contradict_is_said_naming_both(tmp_path, capsys):
    truth, pred = boundary_pairs(tmp_path, 0.5, 0.5)
    args = [truth, pred, "--kind", "semantic", "--boundary", "--out"]
    assert run(*args, tmp_path / "out", "--spacing", "1,1") == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "spacing given" in line]
    assert lines == [
        f"napari-seg-eval: the spacing given (1,1) is not the pixel size in the metadata of "
        f"{truth / 'a.tif'} (and 1 more file) (0.5,0.5 µm): the spacing given is used; to use "
        "the files' own, give --spacing file."
    ]
    # The spacing given is used: HD = the extra column, 1 (in its units), not 0.5.
    per_image = pd.read_csv(tmp_path / "out" / "per_image.csv")
    assert per_image["mean_hd"].tolist() == [1.0, 1.0]
    # The files' own size given: nothing said.
    assert run(*args, tmp_path / "out2", "--spacing", "0.5") == 0
    assert "spacing given" not in capsys.readouterr().err


def test_spacing_file_takes_the_truths_size_for_an_uncalibrated_prediction(tmp_path):
    """The Cell Tracking Challenge's case: calibrated truths, result files without a size."""
    truth, pred = boundary_pairs(tmp_path, 0.5, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files(truth, pred, kind="semantic", boundary=True, spacing="file")
    assert result.n_failed == 0
    assert result.per_image["mean_hd"].tolist() == [0.5, 0.5]  # one column of 0.5 µm
    assert result.per_image["spacing_unit"].tolist() == ["µm", "µm"]
    assert [str(w) for w in file_warnings(caught)] == [
        f"{pred / 'a.tif'} (and 1 more file): no pixel size in its metadata; the pixel size of "
        "its ground truth file is used for it (spacing='file')."
    ]
    # An uncalibrated truth is still refused, before any pair is read.
    truth, pred = boundary_pairs(tmp_path / "other", None, 0.5)
    with pytest.raises(ValueError, match=r"a\.tif: its metadata give no pixel size"):
        evaluate_files(truth, pred, kind="semantic", boundary=True, spacing="file")


# 7. The folders made for a result ------------------------------------------------------------
def test_make_parents_counts_only_the_folders_it_made(tmp_path, monkeypatch):
    """``new/`` made by another program between the check and the mkdir: not counted, so
    not removed with the folder made below it."""
    from pathlib import Path

    from napari_seg_eval.io.results import make_parents, remove_made

    mkdir = Path.mkdir

    def made_meanwhile(self, *args, **kwargs):
        if self == tmp_path / "new":
            os.mkdir(self)  # the other program, first
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", made_meanwhile)
    made = make_parents(tmp_path / "new" / "deeper" / "results")
    assert made == [tmp_path / "new" / "deeper"]
    remove_made(made)
    assert (tmp_path / "new").is_dir() and not (tmp_path / "new" / "deeper").exists()


def test_make_parents_leaves_nothing_when_a_folder_cannot_be_made(tmp_path):
    from napari_seg_eval.io.results import make_parents

    with pytest.raises(OSError):
        make_parents(tmp_path / "new" / ("x" * 300) / "results")  # a name too long
    assert list(tmp_path.iterdir()) == []


# 3. The Dataset tab's semantic tables per class ---------------------------------------------
def test_the_dataset_tab_shows_the_semantic_tables_per_class(dock, tmp_path):
    """As the command line's semantic_pooled.csv and semantic_image_mean.csv: class 2 is in
    image a only (its image mean of 1 image)."""
    _, widget = dock
    dataset = widget.dataset
    folders = tmp_path / "truth", tmp_path / "pred"
    without_2 = np.where(TRUTH == 2, 0, TRUTH).astype(np.uint8)
    for folder, images in zip(
        folders, ((TRUTH, without_2), (PRED, PRED * (PRED != 2))), strict=True
    ):
        folder.mkdir()
        for name, image in zip("ab", images, strict=True):
            np.save(folder / f"{name}.npy", image)
    dataset.set_folders(truth=folders[0], prediction=folders[1])
    dataset.set_options(kind="semantic", binarize_semantic=False)
    with pytest.warns(FileNotice, match="value 255"):
        dataset.run(wait=True)
    assert dataset.semantic_pooled.isVisibleTo(dataset)
    pooled = dataset.semantic_pooled.model.frame.set_index("class")["iou"]
    # Class 0: 6 true, 8 predicted (a: 2 + 1 on 255, b: 4 + 1 on 255), 6 both: IoU 6 / 8.
    assert pooled.to_dict() == pytest.approx({0: 6 / 8, 1: 4 / 6, 2: 1.0, 255: 0.0})
    image_mean = dataset.semantic_image_mean.model.frame.set_index("class")
    assert image_mean["n_images"].to_dict() == {0: 2, 1: 2, 2: 1, 255: 2}
    # Changing a setting marks them out of date; a foreground run hides them.
    dataset.set_options(ignore_label=255)
    assert dataset.stale
    dataset.set_options(binarize_semantic=True)
    dataset.run(wait=True)
    assert not dataset.semantic_pooled.isVisibleTo(dataset)
    assert dataset.semantic_pooled.model.frame.empty
