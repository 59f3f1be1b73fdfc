"""The Runs tab, driven as a user does: evaluate, rename, compare, report, close and reopen."""

import numpy as np
import pytest

from napari_seg_eval._napari.layers import tag
from napari_seg_eval._qt import runs_panel

pytest.importorskip("napari")

# Six true objects of 3x3 pixels.
TRUTH = np.zeros((8, 40), np.int32)
for _i in range(6):
    TRUTH[2:5, 6 * _i : 6 * _i + 3] = _i + 1


def copy_of(ids):
    return np.where(np.isin(TRUTH, ids), TRUTH + 10, 0).astype(np.int32)


@pytest.fixture
def warnings_shown(monkeypatch):
    shown = []
    monkeypatch.setattr(runs_panel, "show_warning", shown.append)
    return shown


@pytest.fixture
def viewer(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_labels(copy_of([1, 2]), name="model A")
    viewer.add_labels(copy_of([1, 3, 4, 5]), name="model B")
    return viewer


def open_dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return widget


def evaluate(widget, prediction):
    widget.set_ground_truth("truth")
    widget.set_prediction(prediction)
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)


def test_runs_compare_report_and_survive_the_dock(viewer, tmp_path, warnings_shown):
    widget = open_dock(viewer)
    panel = widget.runs
    assert widget.tabs.tabText(widget.tabs.indexOf(panel)) == "Runs"
    evaluate(widget, "model A")
    evaluate(widget, "model B")
    frame = panel.table.model.frame
    assert frame["prediction"].tolist() == ["model A", "model B"]
    # F1 @ 0.5: A 2 of 6 objects -> 4/8; B 4 of 6 -> 8/10.
    assert frame["f1_50"].tolist() == pytest.approx([0.5, 0.8])

    panel.select(frame["name"][0])
    panel.rename_selected("baseline")
    panel.select(panel.table.model.frame["name"][1])
    panel.rename_selected("baseline")  # taken: refused with a notice
    assert warnings_shown and "already a run named 'baseline'" in warnings_shown[-1]
    panel.rename_selected("new model")
    assert panel.runs.names == ["baseline", "new model"]

    panel.select("baseline", "new model")
    comparison = panel.compare()
    assert comparison.mcnemar["fixed"] == 3 and comparison.mcnemar["broken"] == 1
    assert panel.objects_table.model.frame["label"].tolist() == [2, 3, 4, 5]
    layer = next(lay for lay in viewer.layers if tag(lay).get("role") == "comparison")
    # Object 2 broken (2), objects 3, 4, 5 fixed (1), 1 and 6 unchanged (0).
    expected = np.select([TRUTH == 2, np.isin(TRUTH, [3, 4, 5])], [2, 1], 0)
    np.testing.assert_array_equal(layer.data, expected)
    differences = panel.difference_table.model.frame.set_index("metric")
    assert differences.loc["f1_50", "difference"] == pytest.approx(0.3)

    path = panel.write_report(tmp_path / "comparison.html")
    text = path.read_text(encoding="utf-8")
    assert "Comparison: new model against baseline" in text and "base64," in text

    # The runs outlive the dock.
    viewer.window.remove_dock_widget("all")
    widget = open_dock(viewer)
    assert widget.runs.runs.names == ["baseline", "new model"]
    assert widget.runs.table.model.frame["name"].tolist() == ["baseline", "new model"]


def test_save_load_delete_and_errors(viewer, tmp_path, warnings_shown):
    widget = open_dock(viewer)
    panel = widget.runs
    evaluate(widget, "model A")
    panel.save(tmp_path / "saved")
    panel.select(panel.runs.names[0])
    panel.delete_selected()
    assert panel.table.model.frame.empty
    loaded = panel.load(tmp_path / "saved")
    assert [run.name for run in loaded] == panel.runs.names
    assert panel.table.model.frame["f1_50"].tolist() == pytest.approx([0.5])
    assert panel.compare() is None
    assert "select two runs" in warnings_shown[-1]
    assert panel.load(tmp_path / "nothing-here") == []
    assert "no run in" in warnings_shown[-1] or "No such file" in warnings_shown[-1]


def test_compare_refuses_another_truth(viewer, warnings_shown):
    viewer.add_labels(np.roll(TRUTH, 1, axis=1), name="other truth")
    widget = open_dock(viewer)
    evaluate(widget, "model A")
    widget.set_ground_truth("other truth")
    widget.run_evaluation(wait=True)
    names = widget.runs.runs.names
    widget.runs.select(*names)
    assert widget.runs.compare() is None
    assert "do not share a truth" in warnings_shown[-1]
