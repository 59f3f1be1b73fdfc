"""The Runs tab with runs matched by one rule at different IoU thresholds (runs99): the mean
over thresholds (AP (DSB)) is marked under its header, with each run's thresholds in its
tooltips; F1 @ 0.5 and the AJI are not; a comparison's status and cards say which values
differ."""

import numpy as np
import pytest
import tifffile

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.io import evaluate_files

pytest.importorskip("napari")
from qtpy.QtCore import Qt

from napari_seg_eval._qt.runs_panel import RunsPanel

# Three true objects of 2x2 pixels at columns 0-1, 4-5, 8-9; the prediction finds object 1
# exactly, object 2 one column wider (IoU 4/6 = 2/3) and misses object 3.
TRUTH = np.zeros((2, 12), np.int32)
for _i in range(3):
    TRUTH[:, 4 * _i : 4 * _i + 2] = _i + 1
PREDICTION = np.zeros_like(TRUTH)
PREDICTION[:, 0:2] = 11
PREDICTION[:, 4:7] = 12
HORIZONTAL, TIP = Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
DEFAULT_WORDS = "IoU ≥ t at t = 0.5, 0.55, …, 0.95"
TWO_WORDS = "IoU ≥ t at t = 0.5, 0.75"


def panel_with(make_napari_viewer, runs):
    """The Runs tab holding one run per (name, IoU thresholds) of ``runs``."""
    panel = RunsPanel(make_napari_viewer())
    for name, thresholds in runs:
        settings = {} if thresholds is None else {"iou_thresholds": thresholds}
        panel.runs.add(evaluate(TRUTH, PREDICTION, kind="instance", **settings), name=name)
    panel.refresh()
    return panel


def column(model, key):
    return list(model.frame.columns).index(key)


def cell_tip(model, name, key):
    row = model.frame["name"].tolist().index(name)
    return model.data(model.index(row, column(model, key)), TIP)


def test_the_mean_over_thresholds_is_marked_alone(make_napari_viewer):
    panel = panel_with(make_napari_viewer, [("A", None), ("B", (0.5, 0.75))])
    model = panel.table.model
    mean = column(model, "mean_accuracy")
    assert model.headerData(mean, HORIZONTAL) == "mAP (DSB)\nmatched differently"
    assert model.headerData(column(model, "f1_50"), HORIZONTAL) == "F1 @ 0.5"
    assert model.headerData(column(model, "aji"), HORIZONTAL) == "AJI"
    tip = model.headerData(mean, HORIZONTAL, TIP)
    assert tip.startswith("The runs matched their objects at different thresholds")
    assert f"'A' ({DEFAULT_WORDS})" in tip and f"'B' ({TWO_WORDS})" in tip
    assert "mean over IoU thresholds of TP / (TP + FP + FN)" in tip  # the definition, once
    assert tip.count("mean over IoU thresholds of TP") == 1
    # Each value's card says its run's thresholds (after the value with its interval);
    # F1 @ 0.5's does not need to.
    lines = cell_tip(model, "A", "mean_accuracy").split("\n\n")
    assert (
        f"Run 'A' matched at {DEFAULT_WORDS}: this value is the mean over its thresholds." in lines
    )
    assert (
        f"Run 'B' matched at {TWO_WORDS}: this value is the mean over its thresholds."
        in cell_tip(model, "B", "mean_accuracy").split("\n\n")
    )
    assert "Run 'B' matched at" not in cell_tip(model, "B", "f1_50")
    # AP (DSB) of A: (4 * 2/3 + 6 * 1/4) / 10 = 25/60 (IoU 2/3 passes 0.5, 0.55, 0.6, 0.65);
    # of B: (2/3 + 1/4) / 2 = 11/24. F1 @ 0.5 of both: 4 / (4 + 0 + 1) = 0.8.
    table = panel.runs.table().set_index("name")
    assert table.loc[["A", "B"], "mean_accuracy"].tolist() == pytest.approx([25 / 60, 11 / 24])
    assert table.loc[["A", "B"], "f1_50"].tolist() == pytest.approx([0.8, 0.8])


def test_the_same_thresholds_in_another_order_are_not_marked(make_napari_viewer):
    panel = panel_with(make_napari_viewer, [("A", (0.75, 0.5)), ("B", (0.5, 0.75))])
    model = panel.table.model
    assert model.headerData(column(model, "mean_accuracy"), HORIZONTAL) == "mAP (DSB)"
    assert "Run 'A' matched at" not in cell_tip(model, "A", "mean_accuracy")
    panel.compare("A", "B")  # nor does a comparison say that they matched differently
    assert len(panel.status_label.text().splitlines()) == 1
    tip = panel.objects_table.model.headerData(0, HORIZONTAL, TIP)  # no object changed
    assert "objects fixed or broken: matched at IoU ≥ 0.5." in tip  # the notes are there
    assert "matched their objects" not in tip


def test_a_comparison_says_which_values_differ(make_napari_viewer):
    panel = panel_with(make_napari_viewer, [("A", None), ("B", (0.5, 0.75))])
    comparison = panel.compare("A", "B")
    labels = panel.difference_table.model.frame.set_index("metric")["label"]
    assert labels["mean_accuracy"] == "AP (DSB), mean over IoU thresholds [matched differently]"
    assert labels["f1_50"] == "F1 @ 0.5"
    status = panel.status_label.text().splitlines()
    # Same prediction: no object fixed nor broken.
    assert (
        status[0] == "B against A: fixed 0, broken 0 objects matched at IoU ≥ 0.5 (McNemar p = 1)."
    )
    assert status[1].startswith(
        f"A and B matched their objects at different thresholds (A: {DEFAULT_WORDS}; B: "
        f"{TWO_WORDS}): the means over the thresholds, marked [matched differently]"
    )
    assert status[1] in comparison.notes
    model = panel.difference_table.model
    assert status[1] in model.data(model.index(0, 0), TIP)  # the notes in the cards


def test_a_dataset_comparison_shows_its_notes(make_napari_viewer, tmp_path):
    for side, image in (("truth", TRUTH), ("pred", PREDICTION)):
        (tmp_path / side).mkdir()
        for number in range(2):
            tifffile.imwrite(tmp_path / side / f"img{number}.tif", image.astype(np.uint16))
    panel = RunsPanel(make_napari_viewer())
    for name, thresholds in (("A", None), ("B", [0.5, 0.75])):
        settings = {} if thresholds is None else {"iou_thresholds": thresholds}
        panel.runs.add(evaluate_files(tmp_path / "truth", tmp_path / "pred", **settings), name)
    panel.refresh()
    model = panel.table.model
    for key in ("mean_accuracy", "mean_accuracy_image_mean"):
        assert model.headerData(column(model, key), HORIZONTAL).endswith("\nmatched differently")
    assert model.headerData(column(model, "f1_50_image_mean"), HORIZONTAL) == "F1 @ 0.5\nimage mean"
    panel.compare("A", "B")
    note = panel.status_label.text().splitlines()[1]
    assert note.startswith("A and B matched their objects at different thresholds")
    for table in (panel.difference_table, panel.objects_table):
        assert note in table.model.data(table.model.index(0, 0), TIP)
