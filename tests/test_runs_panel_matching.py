"""The Runs tab's table in the words of the runs' matching (trial93): ctc runs (intersection
over truth > 0.5) read so in the headers' and cells' cards; runs matched differently say so
under the header, and each cell's card is its own run's."""

import numpy as np
import pytest

from napari_seg_eval.evaluation import evaluate

pytest.importorskip("napari")
from qtpy.QtCore import Qt

from napari_seg_eval._qt.runs_panel import RunsPanel

# Three true objects of 2x2 pixels, two pixels apart.
TRUTH = np.zeros((2, 12), np.int32)
for _i in range(3):
    TRUTH[:, 4 * _i : 4 * _i + 2] = _i + 1
PREDICTION = np.where(np.isin(TRUTH, [1, 2]), TRUTH + 10, 0).astype(np.int32)
HORIZONTAL, TIP = Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole


def panel_with(make_napari_viewer, runs):
    """The Runs tab holding one run per (name, settings) of ``runs``."""
    panel = RunsPanel(make_napari_viewer())
    for name, settings in runs:
        record = evaluate(TRUTH, PREDICTION, kind="instance", **settings)
        panel.runs.add(record, name=name)
    panel.refresh()
    return panel


def column(model, key):
    return list(model.frame.columns).index(key)


def cell_tip(model, name, key):
    row = model.frame["name"].tolist().index(name)
    return model.data(model.index(row, column(model, key)), TIP)


def test_ctc_runs_read_with_intersection_over_truth(make_napari_viewer):
    panel = panel_with(make_napari_viewer, [("A", {"preset": "ctc"}), ("B", {"preset": "ctc"})])
    model = panel.table.model
    f1 = column(model, "f1_50")
    assert model.headerData(f1, HORIZONTAL) == "F1 @ 0.5"  # one matching: no mark
    for tip in (model.headerData(f1, HORIZONTAL, TIP), cell_tip(model, "A", "f1_50")):
        assert "at |T∩P|/|T| > 0.50" in tip  # core.review.match_rule("iot", 0.5)
        assert "IoU ≥ 0.5" not in tip
    # One threshold: the mean over thresholds is over that one.
    tip = model.headerData(column(model, "mean_accuracy"), HORIZONTAL, TIP)
    assert tip.startswith("AP (DSB), mean over 1 threshold: mean over 1 threshold (|T∩P|/|T|")


def test_runs_matched_differently_say_so(make_napari_viewer):
    panel = panel_with(make_napari_viewer, [("A", {"preset": "ctc"}), ("C", {})])
    model = panel.table.model
    f1 = column(model, "f1_50")
    assert model.headerData(f1, HORIZONTAL) == "F1 @ 0.5\nmatched differently"
    assert model.headerData(column(model, "aji"), HORIZONTAL) == "AJI"  # one definition
    tip = model.headerData(f1, HORIZONTAL, TIP)
    assert tip.startswith("The runs matched their objects differently")
    assert "'A' (|T∩P|/|T| > 0.50): F1 @ 0.5: 2 TP / (2 TP + FP + FN) at |T∩P|/|T| > 0.50" in tip
    assert "'C' (IoU ≥ t at t = 0.5, 0.55, …, 0.95): F1 @ 0.5: 2 TP / (2 TP + FP + FN)" in tip
    # Each cell's card is its run's.
    assert "matches at |T∩P|/|T| > 0.50" in cell_tip(model, "A", "f1_50")
    assert "matches at IoU ≥ 0.5" in cell_tip(model, "C", "f1_50")
    assert "|T∩P|" not in cell_tip(model, "C", "f1_50")
