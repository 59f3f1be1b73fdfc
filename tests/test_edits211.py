"""Review's selection ring of a removed truth, runs loaded back twice, Escape and typing in
decimal boxes (trial209, edits211).

A selection ring of a truth deleted, then replaced by a new truth of the same name, was left
hidden, tagged to a layer gone for good, and a second ring ``... [1]`` added; runs loaded back
into the session that saved them were added again as "(2)", and saved again as new folders;
Escape in a decimal box left the typed text, applied when leaving the box; and typing "0.75" +
Enter in Review's IoU box started three re-matches (0.7, 0.75 and 0.75 again on Enter).
"""

import os
import warnings

import numpy as np
import pytest
from qtpy.QtCore import QEvent, Qt
from qtpy.QtGui import QFocusEvent
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication, QLineEdit

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.runs import Run, Runs

TRUE = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
# Objects 1 and 2 found, 3 missed: TP 2, FP 0, FN 1, F1 = 2 TP / (2 TP + FP + FN) = 4/5.
FINDS_TWO = np.array([[1, 1, 0, 2, 2, 0, 0, 0]])
# All three found (other ids): F1 = 1.
FINDS_ALL = np.array([[4, 4, 0, 5, 5, 0, 6, 6]])


def leave(box):
    """Focus leaves ``box`` (as a click elsewhere): Qt applies what it holds."""
    QApplication.sendEvent(box, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))


def typed(box, text, key):
    """Type ``text`` over the whole of ``box`` and press ``key``."""
    edit = box if isinstance(box, QLineEdit) else box.lineEdit()
    edit.selectAll()
    QTest.keyClicks(box, text)
    QTest.keyClick(box, key)


# ----------------------------------------------------------------- decimal boxes
@pytest.fixture
def spin(qtbot):
    from napari_seg_eval._qt.inputs import DecimalSpinBox

    box = DecimalSpinBox(None, minimum=0.01, maximum=1.0, singleStep=0.05, value=0.5, decimals=2)
    qtbot.addWidget(box)
    return box


def test_enter_applies_a_value_typed_with_tracking_once(spin):
    seen = []
    spin.valueChanged.connect(seen.append)
    typed(spin, "0.75", Qt.Key.Key_Return)
    # "0" and "0." are no value in [0.01, 1]; "0.7" then "0.75" applied as typed; Enter
    # applies nothing new (Qt emitted 0.75 a second time)
    assert seen == [0.7, 0.75]
    assert spin.value() == 0.75


def test_escape_cancels_typing_without_tracking(spin):
    spin.setKeyboardTracking(False)
    seen = []
    spin.valueChanged.connect(seen.append)
    typed(spin, "0,3", Qt.Key.Key_Escape)
    assert spin.value() == 0.5
    assert spin.lineEdit().text() == spin.textFromValue(0.5)  # what it showed before
    leave(spin)  # applied "0,3" = 0.3 before
    assert spin.value() == 0.5 and seen == []


def test_escape_cancels_typing_with_tracking(spin):
    seen = []
    spin.valueChanged.connect(seen.append)
    typed(spin, "0.3", Qt.Key.Key_Escape)
    # 0.3 was applied as typed ("0" and "0." are no value in range); Escape goes back
    assert seen == [0.3, 0.5]
    leave(spin)
    assert spin.value() == 0.5 and seen == [0.3, 0.5]
    typed(spin, "0.4", Qt.Key.Key_Return)  # typing after a cancel applies as before
    assert spin.value() == 0.4 and seen == [0.3, 0.5, 0.4]


def test_escape_in_the_threshold_box_cancels_the_typed_threshold(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    box = widget.threshold_slider.findChild(QLineEdit)
    assert widget.threshold == 0.5
    typed(box, "0.3", Qt.Key.Key_Escape)
    assert float(box.text()) == 0.5  # the threshold shown again
    leave(box)  # applied 0.3 before
    assert widget.threshold == 0.5
    typed(box, "0,3", Qt.Key.Key_Return)  # Enter applies, "," as "."
    assert widget.threshold == 0.3


# ----------------------------------------------------------------- Review
def small_case():
    """true 1 (4 x 8 = 32 px) and pred 3 (4 x 6 = 24 px inside it): IoU 24 / 32 = 0.75;
    true 2 missed; pred 7 false."""
    true = np.zeros((20, 30), np.int32)
    pred = np.zeros((20, 30), np.int32)
    true[2:6, 2:10] = 1
    pred[2:6, 2:8] = 3
    true[12:16, 20:24] = 2
    pred[14:18, 2:6] = 7
    return true, pred


def reviewed(make_napari_viewer):
    true, pred = small_case()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    return viewer, widget


def matched(review):
    """The (kind, label) of the rows shown matched (TP)."""
    rows = review.rows()
    return sorted(
        (kind, int(label))
        for kind, label, status in zip(rows["kind"], rows["label"], rows["status"], strict=True)
        if status == "TP"
    )


def test_typing_an_iou_threshold_rematches_once(qtbot, make_napari_viewer):
    _, widget = reviewed(make_napari_viewer)
    review = widget.review
    assert matched(review) == [("pred", 3), ("true", 1)]  # IoU 0.75 >= 0.5
    starts = []
    start = review.rematch_job.start

    def spy(*args, **kwargs):
        starts.append(review.iou_spin.value())
        return start(*args, **kwargs)

    review.rematch_job.start = spy
    typed(review.iou_spin, "0.8", Qt.Key.Key_Return)
    assert starts == [0.8]  # not "0.8" as typed, then again on Enter
    qtbot.waitUntil(lambda: review.prepared.iou_threshold == 0.8, timeout=20_000)
    assert matched(review) == []  # IoU 0.75 < 0.8
    review.iou_spin.valueChanged.emit(0.8)  # the value of the rows shown, applied again
    assert starts == [0.8]
    typed(review.iou_spin, "0.75", Qt.Key.Key_Return)
    assert starts == [0.8, 0.75]
    qtbot.waitUntil(lambda: review.prepared.iou_threshold == 0.75, timeout=20_000)
    assert matched(review) == [("pred", 3), ("true", 1)]  # IoU 0.75 >= 0.75


def selections(viewer):
    from napari_seg_eval._napari.layers import tag

    return {layer.name: layer for layer in viewer.layers if tag(layer).get("role") == "selection"}


def replace_truth(viewer, widget):
    """Delete the truth, add a new layer of the same name and data, evaluate it."""
    truth = viewer.layers["truth"]
    data = np.asarray(truth.data).copy()
    viewer.layers.remove(truth)
    new_truth = viewer.add_labels(data, name="truth")
    widget.set_ground_truth(new_truth)
    widget.run_evaluation(wait=True)
    widget.review.select_row(0)
    return new_truth


def test_the_ring_of_a_removed_truth_is_removed_with_a_notice(make_napari_viewer, monkeypatch):
    from napari_seg_eval._napari.layers import tag
    from napari_seg_eval._qt import review as review_module

    said = []
    monkeypatch.setattr(review_module, "show_info", said.append)
    viewer, widget = reviewed(make_napari_viewer)
    widget.review.select_row(0)
    old = viewer.layers["truth review selection"]
    assert np.asarray(old.data).any()
    truth = replace_truth(viewer, widget)
    # the old ring removed, not left hidden beside a new "truth review selection [1]"
    assert old not in viewer.layers
    (ring,) = selections(viewer).values()
    assert ring.name == "truth review selection" and ring.visible
    assert tag(ring)["source_id"] == truth.unique_id
    notice = "Removed 'truth review selection': the selection of a ground truth no longer in"
    assert [text for text in said if text.startswith("Removed")] == [f"{notice} the viewer."]

    ring.paint((0, 0), 1)  # the user draws on it: theirs, never removed
    truth = replace_truth(viewer, widget)
    assert list(selections(viewer)) == ["truth review selection", "truth review selection [1]"]
    assert selections(viewer)["truth review selection"] is ring
    assert tag(selections(viewer)["truth review selection [1]"])["source_id"] == truth.unique_id
    assert len([text for text in said if text.startswith("Removed")]) == 1


# ----------------------------------------------------------------- Runs
def names_on_disk(folder):
    return sorted(entry for entry in os.listdir(folder) if not entry.startswith("."))


def loaded_quietly(runs, folder):
    """The runs ``runs.load(folder)`` added and what it said of those not added again."""
    from napari_seg_eval.runs import AlreadyLoadedWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        added = runs.load(folder)
    return added, [str(w.message) for w in caught if w.category is AlreadyLoadedWarning]


def test_runs_loaded_back_are_not_added_twice_and_save_to_their_folders(tmp_path):
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO), name="A")
    runs.add(evaluate(TRUE, FINDS_ALL), name="B")
    runs.save(tmp_path)
    added, said = loaded_quietly(runs, tmp_path)
    assert added == [] and runs.names == ["A", "B"]
    assert said == ["already in this session: 'A' (A), 'B' (B), not loaded again."]
    runs.rename("A", "A renamed")
    runs.save(tmp_path)  # updates their own folders: no "A_2", "B_2"
    assert names_on_disk(tmp_path) == ["A", "B"]
    assert Run.load(tmp_path / "A").name == "A renamed"
    added, said = loaded_quietly(runs, tmp_path)  # saved again: still this session's
    assert added == [] and said == [
        "already in this session: 'A renamed' (A), 'B' (B), not loaded again."
    ]

    # Another session loads them, loads them again: added once; saved back, updated.
    other = Runs()
    assert [run.name for run in loaded_quietly(other, tmp_path)[0]] == ["A renamed", "B"]
    added, said = loaded_quietly(other, tmp_path / "B")  # one run folder
    assert added == [] and said == ["already in this session: 'B' (B), not loaded again."]
    other.rename("B", "B from other")
    other.save(tmp_path)
    assert names_on_disk(tmp_path) == ["A", "B"]
    # Its save rewrote both folders: they hold its runs now, not the first session's
    added, said = loaded_quietly(runs, tmp_path)
    assert [run.name for run in added] == ["A renamed (2)", "B from other"] and said == []
    assert [float(run.headline["f1_50"]) for run in added] == pytest.approx([4 / 5, 1.0])


def test_a_run_loaded_then_saved_elsewhere_is_not_loaded_again(tmp_path):
    first = Runs()
    first.add(evaluate(TRUE, FINDS_TWO), name="A")
    first.save(tmp_path / "one")
    runs = Runs()
    runs.load(tmp_path / "one")
    runs.save(tmp_path / "two")  # its own folder is now two/A
    added, said = loaded_quietly(runs, tmp_path / "one")  # the folder it was loaded from
    assert added == [] and said == ["already in this session: 'A' (A), not loaded again."]
    first.rename("A", "A again")
    first.save(tmp_path / "one")  # rewritten since: another run
    added, said = loaded_quietly(runs, tmp_path / "one")
    assert [run.name for run in added] == ["A again"] and said == []


def test_the_runs_tab_says_runs_are_already_in_the_session(
    make_napari_viewer, tmp_path, monkeypatch
):
    from napari_seg_eval._qt import runs_panel

    said = []
    monkeypatch.setattr(runs_panel, "show_info", said.append)
    _, widget = reviewed(make_napari_viewer)
    panel = widget.runs
    (name,) = panel.runs.names
    panel.save(tmp_path)
    assert panel.load(tmp_path) == []
    assert panel.runs.names == [name]
    folder = panel.runs[name].saved_to.name
    text = (
        f"Loaded 0 run(s) from {tmp_path}. Already in this session: {name!r} ({folder}), not "
        "loaded again."
    )
    assert panel.status_label.text() == text
    assert said[-1] == f"Segmentation Evaluation: {text}"
    panel.save(tmp_path)
    assert names_on_disk(tmp_path) == [folder]
