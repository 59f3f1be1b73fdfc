"""Runs › Compare of two datasets: the table under the comparison is titled and headed as what it
holds (each image's values of A and B and B − A), not as the objects of a one-image comparison."""

import numpy as np
import pytest
from qtpy.QtCore import Qt

import napari_seg_eval as nse
from napari_seg_eval._qt import runs_panel
from napari_seg_eval.io import evaluate_files

pytest.importorskip("napari")


def test_a_dataset_comparison_shows_images_with_their_metrics_names(make_napari_viewer, tmp_path):
    truth = np.zeros((8, 40), np.int32)
    for i in range(4):
        truth[2:5, 6 * i : 6 * i + 3] = i + 1  # four 3x3 objects
    found = {
        "a": {"im0": [1, 2], "im1": [1, 2, 3, 4]},
        "b": {"im0": [1, 2, 3], "im1": [1, 2, 3, 4]},
    }
    (tmp_path / "truth").mkdir()
    for image in ("im0", "im1"):
        np.save(tmp_path / "truth" / f"{image}.npy", truth)
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    panel = widget.runs
    for run, images in found.items():
        (tmp_path / run).mkdir()
        for image, ids in images.items():
            np.save(tmp_path / run / f"{image}.npy", np.where(np.isin(truth, ids), truth, 0))
        panel.add(evaluate_files(tmp_path / "truth", tmp_path / run, kind="instance"), name=run)
    comparison = panel.compare("a", "b")
    assert panel.objects_title.text() == runs_panel.IMAGES_TITLE
    model = panel.objects_table.model
    columns = [str(c) for c in model.frame.columns]
    header = {
        column: model.headerData(i, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for i, column in enumerate(columns)
    }
    assert header["name"] == "image"
    assert header["f1_50_a"] == "F1 @ 0.5\nA"
    assert header["f1_50_difference"] == "F1 @ 0.5\nB − A"
    # im0: A finds 2 of 4 (F1 = 2·2 / (2·2 + 0 + 2) = 4/6), B 3 of 4 (6/7): B − A = 6/7 − 2/3;
    # im1: both find all 4 (F1 1, difference 0). Largest change first: im0.
    rows = comparison.per_image.set_index("name")
    assert rows.loc["im0", "f1_50_difference"] == pytest.approx(6 / 7 - 2 / 3)
    assert rows.loc["im1", "f1_50_difference"] == 0
    assert model.frame["name"].iloc[0] == "im0"
    # Then two one-image runs: the objects' title and headers again.
    panel.add(nse.evaluate(truth, np.where(np.isin(truth, [1]), truth, 0)), name="one A")
    panel.add(nse.evaluate(truth, np.where(np.isin(truth, [1, 2]), truth, 0)), name="one B")
    panel.compare("one A", "one B")
    assert panel.objects_title.text() == runs_panel.OBJECTS_TITLE
    model = panel.objects_table.model
    first = model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
    assert first == "true\nobject"
    assert model.frame["label"].tolist() == [2]  # fixed by B
