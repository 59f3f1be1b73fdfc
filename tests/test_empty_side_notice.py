"""A run whose ground truth (or prediction) has no objects says so (trial26, finding 5: an
all-zero truth chosen by mistake gave "Done." and a table of false positives, no word why)."""

import numpy as np
import pytest

pytest.importorskip("napari")

from napari_seg_eval._qt import evaluate_panel

DOCK = ("napari-seg-eval", "Segmentation Evaluation")


@pytest.fixture
def viewer_and_dock(make_napari_viewer, monkeypatch):
    said = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    viewer = make_napari_viewer()
    objects = np.zeros((12, 12), np.uint16)
    objects[1:4, 1:4], objects[6:9, 6:9] = 1, 2  # two 3 x 3 squares
    viewer.add_labels(objects, name="annotation")
    viewer.add_labels(np.zeros((12, 12), np.uint16), name="blank")
    viewer.add_labels(np.zeros((12, 12), np.uint16), name="blank too")
    viewer.add_labels(objects.copy(), name="model")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    return widget, said


def run(qtbot, widget, said, truth, prediction):
    said.clear()
    widget.set_ground_truth(truth)
    widget.set_prediction(prediction)
    tables = widget.run_evaluation(wait=True)
    assert tables is not None, widget.evaluate.status_label.text()
    qtbot.wait_until(lambda: widget.evaluate.evaluation is not None)
    return tables


@pytest.mark.parametrize(
    ("truth", "prediction", "notice"),
    [
        (
            "blank",
            "model",
            "ground truth 'blank' has no objects (outside ignored pixels): every predicted "
            "object is a false positive. Is it the layer you meant?",
        ),
        (
            "annotation",
            "blank",
            "prediction 'blank' has no objects (outside ignored pixels): every true object is "
            "missed. Is it the layer you meant?",
        ),
    ],
)
def test_an_empty_side_is_said(viewer_and_dock, qtbot, truth, prediction, notice, errors):
    widget, said = viewer_and_dock
    tables = run(qtbot, widget, said, truth, prediction)
    expected = "Segmentation Evaluation: " + notice
    qtbot.wait_until(lambda: expected in said)  # notices follow the tables in the event loop
    assert said.count(expected) == 1
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    # two 3 x 3 objects on the other side, none on this one: 2 false positives or 2 misses
    n_true, n_pred = (0, 2) if truth == "blank" else (2, 0)
    assert (summary[("instance", "n_true")], summary[("instance", "n_pred")]) == (n_true, n_pred)
    assert summary[("instance", "f1_50")] == 0  # 2 TP / (2 TP + FP + FN) with TP = 0
    assert errors == []


def test_objects_on_both_sides_say_nothing(viewer_and_dock, qtbot, errors):
    widget, said = viewer_and_dock
    tables = run(qtbot, widget, said, "annotation", "model")
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("instance", "f1_50")] == 1  # the same two squares: 2 TP, F1 = 1
    # a probe notice queued after the run's own: once it is said, the run's would have been
    probe = "probe"
    evaluate_panel.QTimer.singleShot(0, lambda: said.append(probe))
    qtbot.wait_until(lambda: probe in said)
    assert not [text for text in said if "has no objects" in text]
    assert errors == []


def test_neither_side_has_objects(viewer_and_dock, qtbot, errors):
    widget, said = viewer_and_dock
    run(qtbot, widget, said, "blank", "blank too")
    expected = (
        "Segmentation Evaluation: neither 'blank' nor 'blank too' has objects (outside ignored "
        "pixels): there was nothing to match. Are they the layers you meant?"
    )
    qtbot.wait_until(lambda: expected in said)
    assert not [text for text in said if "has no objects" in text]  # said once, in one line
    assert errors == []
