"""The dock's Summary, tables and exports say the matching rule of the result they show
(trial87 #4): under the ctc preset (intersection over truth > 0.5) not "IoU ≥ 0.5"; with one
threshold, that AP (DSB)'s mean is over that one. The CSV columns keep their names."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")
Qt = pytest.importorskip("qtpy.QtCore").Qt


def images():
    """Truth 1: rows 2-5 × cols 2-6 (20 pixels). Prediction 11: rows 2-5 × cols 4-11 (32
    pixels); shared rows 2-5 × cols 4-6 = 12 pixels. |T∩P|/|T| = 12/20 = 0.6 > 0.5: matched
    under the ctc preset (F1 @ 0.5 = 2·1 / (2·1 + 0 + 0) = 1); IoU = 12/40 = 0.3 < 0.5: not by
    IoU (TP 0, FP 1, FN 1: F1 = 0)."""
    true = np.zeros((12, 14), np.uint16)
    true[2:6, 2:7] = 1
    pred = np.zeros_like(true)
    pred[2:6, 4:12] = 11
    return true, pred


@pytest.fixture
def widget(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    true, pred = images()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    return widget


def shown_rows(model) -> dict[str, tuple[str, str, object]]:
    """The Summary's rows by metric key: (label shown, tooltip of the value, value)."""
    frame = model.frame
    metric, value = (list(frame.columns).index(name) for name in ("metric", "value"))
    rows = {}
    for row in range(model.rowCount()):
        key = f"{frame.at[row, 'evaluation']}:{frame.at[row, 'metric']}"
        label = model.data(model.index(row, metric), Qt.ItemDataRole.DisplayRole)
        card = model.data(model.index(row, value), Qt.ItemDataRole.ToolTipRole)
        rows[key] = (label, card, frame.at[row, "value"])
    return rows


def header(model, column: str, role=Qt.ItemDataRole.DisplayRole) -> str:
    return model.headerData(
        list(model.frame.columns).index(column), Qt.Orientation.Horizontal, role
    )


def test_evaluate_summary_says_the_rule_of_its_result(widget, tmp_path):
    widget.evaluate.set_preset("ctc")
    widget.run_evaluation(wait=True)
    summary = widget.evaluate.tables["summary"]
    rows = shown_rows(summary.model)
    label, card, value = rows["instance:f1_50"]
    assert (label, value) == ("F1 @ 0.5", 1.0)
    assert card.splitlines()[:2] == [
        "F1 @ 0.5: 2 TP / (2 TP + FP + FN) at |T∩P|/|T| > 0.50",
        "F1 of one-to-one matches at |T∩P|/|T| > 0.50 (NeurIPS 2022 CellSeg)",
    ]
    # One threshold: the mean over thresholds is AP (DSB) at it, 1 / (1 + 0 + 0) = 1, as
    # AP (DSB) @ 0.5 is; the label says why the two are equal, the card which threshold.
    label, card, _ = rows["instance:mean_accuracy"]
    assert label == "AP (DSB), mean over 1 threshold"
    assert card.splitlines()[0] == (
        "AP (DSB), mean over 1 threshold: mean over 1 threshold (|T∩P|/|T| > 0.50) of "
        "TP / (TP + FP + FN)"
    )
    assert rows["instance:mean_accuracy"][2] == rows["instance:accuracy_50"][2] == 1.0
    per_threshold = widget.evaluate.tables["per_threshold"].model
    assert header(per_threshold, "threshold") == "|T∩P|/|T| threshold"
    assert "IoU" not in header(per_threshold, "tp", Qt.ItemDataRole.ToolTipRole)
    # The export keeps the API's names; its label column is the label shown.
    exported = pd.read_csv(summary.export_csv(tmp_path / "summary.csv"))
    assert list(exported.columns) == ["evaluation", "metric", "label", "value"]
    by_key = exported.set_index("metric")["label"]
    assert by_key["mean_accuracy"] == "AP (DSB), mean over 1 threshold"

    # By IoU at the default thresholds: the words as before, F1 = 0 (IoU 0.3 < 0.5).
    widget.evaluate.set_preset(None)
    widget.evaluate.set_matching("iou")
    widget.evaluate.iou_edit.setText("0.5:0.95:0.05")
    widget.run_evaluation(wait=True)
    rows = shown_rows(widget.evaluate.tables["summary"].model)
    assert rows["instance:f1_50"][2] == 0.0
    assert "at IoU ≥ 0.5 (NeurIPS 2022 CellSeg)" in rows["instance:f1_50"][1]
    assert rows["instance:mean_accuracy"][0] == "AP (DSB), mean over IoU thresholds"
    assert header(widget.evaluate.tables["per_threshold"].model, "threshold") == "IoU threshold"


def test_dataset_summary_and_per_image_say_the_rule(widget, tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    true, predicted = images()
    for name in ("a", "b"):
        tifffile.imwrite(truth / f"{name}.tif", true)
        tifffile.imwrite(pred / f"{name}.tif", predicted)
    dataset = widget.dataset
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_preset("ctc")
    result = dataset.run(wait=True)
    assert result.summary["f1_50_pooled"] == 1.0  # TP 2, FP 0, FN 0 over the two images
    rows = dataset.summary.model.frame.set_index("metric")
    label = "AP (DSB), mean over 1 threshold"
    assert label in rows.index and "AP (DSB), mean over IoU thresholds" not in rows.index
    per_image = dataset.per_image.model
    card = header(per_image, "f1_50", Qt.ItemDataRole.ToolTipRole)
    assert "at |T∩P|/|T| > 0.50" in card and "IoU ≥" not in card
    assert header(per_image, "mean_accuracy", Qt.ItemDataRole.ToolTipRole).startswith(label)
    exported = pd.read_csv(dataset.per_image.export_csv(tmp_path / "per_image.csv"))
    assert {"mean_accuracy", "f1_50", "accuracy_50"} <= set(exported.columns)
