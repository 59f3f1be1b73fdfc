"""Runs of unchanged layers share one copy of each image; deleting runs frees what only they
held; the Runs tab says what the runs keep in memory (trial98, findings 1 and 8).

Memory is checked with weak references to the arrays (dead once nothing holds them), never
with the process's size or with time.
"""

import gc
import weakref

import numpy as np
import pytest

from napari_seg_eval._qt import runs_panel
from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.runs import Runs

pytest.importorskip("napari")

H, W = 40, 60


def pair(first: int) -> tuple[np.ndarray, np.ndarray]:
    """40 x 60 int32 labels: four true objects of 6 x 6 pixels, ids from ``first``; the
    prediction finds three of them and adds one of its own. Each test has its own ids:
    arrays are shared by value, and another test's garbage must not be what is shared."""
    truth = np.zeros((H, W), np.int32)
    for k, (y, x) in enumerate(((3, 3), (3, 30), (25, 3), (25, 30))):
        truth[y : y + 6, x : x + 6] = first + k
    model = np.where(np.isin(truth, [first, first + 1, first + 2]), truth + 500, 0)
    model[30:36, 50:56] = first + 777
    return truth, model.astype(np.int32)


# What one run of this pair keeps: the truth and the prediction (int32, 4 bytes a pixel) and
# their foreground masks (uint8, 1 byte a pixel): 40 * 60 = 2400 pixels.
LABELS_BYTES = H * W * 4  # 9600
MASK_BYTES = H * W  # 2400


def test_evaluations_of_equal_images_share_one_read_only_copy():
    truth, model = pair(1001)
    a = evaluate(truth, model)
    b = evaluate(truth.copy(), model.copy())  # other arrays, equal values
    for name in ("truth", "prediction", "semantic_truth", "semantic_prediction"):
        assert getattr(a, name) is getattr(b, name), name
        kept = getattr(a, name)
        assert not kept.flags.writeable
        with pytest.raises(ValueError):  # no run can change what another holds
            kept[0, 0] = 5
    # Edited in place (as `layer.data[...] = v` does, without any event): a copy of its own;
    # the earlier records keep the values they were evaluated on.
    model[0, 0] = 4242
    c = evaluate(truth, model)
    assert c.truth is a.truth
    assert c.prediction is not a.prediction
    assert c.prediction[0, 0] == 4242 and a.prediction[0, 0] == 0
    assert c.semantic_prediction is not a.semantic_prediction  # pixel (0, 0) is foreground now
    # The copies are freed with the last record holding them.
    shared = weakref.ref(a.prediction)
    del a, b
    gc.collect()
    assert shared() is None
    assert c.truth is evaluate(truth, model).truth  # still kept: c holds it


def test_runs_loaded_from_folders_of_one_truth_share_it(tmp_path):
    truth, model = pair(2001)
    runs = Runs()
    runs.add(evaluate(truth, model), name="a")
    runs.add(evaluate(truth, np.where(truth > 0, truth + 1, 0)), name="b")
    runs.save(tmp_path)
    del runs
    gc.collect()
    loaded = Runs().load(tmp_path)
    assert [run.name for run in loaded] == ["a", "b"]
    assert loaded[0].labels["truth"] is loaded[1].labels["truth"]
    assert not loaded[0].labels["truth"].flags.writeable
    np.testing.assert_array_equal(loaded[0].labels["truth"], truth)
    np.testing.assert_array_equal(loaded[0].labels["prediction"], model)


@pytest.fixture
def warnings_shown(monkeypatch):
    shown = []
    monkeypatch.setattr(runs_panel, "show_warning", shown.append)
    return shown


def open_dock(make_napari_viewer, first):
    """A viewer with the layers "truth" and "model" of :func:`pair` and the dock."""
    viewer = make_napari_viewer()
    truth, model = pair(first)
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(model, name="model")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("model")
    return viewer, widget


def name_tip(panel, name):
    model = panel.table.model
    row = model.frame["name"].tolist().index(name)
    column = model.frame.columns.get_loc("name")
    return model.data(model.index(row, column), runs_panel.Qt.ItemDataRole.ToolTipRole)


def test_runs_of_unchanged_layers_share_and_deleting_them_frees_their_images(
    make_napari_viewer, qtbot, warnings_shown, monkeypatch
):
    viewer, widget = open_dock(make_napari_viewer, 3001)
    panel = widget.runs
    # The line under the list from 20,000 bytes (of a real session: 1 GiB), the warning past
    # 30,000 bytes: one run's images (24,000 B) are in between.
    monkeypatch.setattr(runs_panel, "MEMORY_NOTE_BYTES", 20_000, raising=False)
    monkeypatch.setattr(runs_panel, "memory_limit", lambda: 30_000, raising=False)
    for _ in range(3):
        with qtbot.waitSignal(panel.intervals_done, timeout=60_000):
            widget.run_evaluation(wait=True)
    runs = list(panel.runs)
    first = runs[0]
    for run in runs[1:]:
        assert run.labels["truth"] is first.labels["truth"]
        assert run.labels["prediction"] is first.labels["prediction"]
        assert run.record.semantic_truth is first.record.semantic_truth
        assert run.record.semantic_prediction is first.record.semantic_prediction
    # Kept once: 9600 + 9600 + 2400 + 2400 = 24,000 B = 23.4 KiB (24000 / 1024 = 23.44).
    assert panel.memory_label.isVisibleTo(panel)
    assert panel.memory_label.text().startswith("The runs keep 23.4 KiB of images in memory")
    assert "keep 23.4 KiB of images in memory" in panel.delete_button.toolTip()
    assert not warnings_shown

    # Painted in place without an event: the next run keeps a prediction of its own (and its
    # foreground, which pixel (0, 0) joins), the truth is still shared.
    viewer.layers["model"].data[0, 0] = 4242
    with qtbot.waitSignal(panel.intervals_done, timeout=60_000):
        widget.run_evaluation(wait=True)
    last = list(panel.runs)[-1]
    assert last.labels["truth"] is first.labels["truth"]
    assert last.labels["prediction"] is not first.labels["prediction"]
    assert last.labels["prediction"][0, 0] == 4242 and first.labels["prediction"][0, 0] == 0
    # 24,000 + 9600 + 2400 = 36,000 B = 35.2 KiB (36000 / 1024 = 35.16): past the limit, said
    # once (not again at the next refresh).
    assert panel.memory_label.text().startswith("The runs keep 35.2 KiB of images in memory")
    assert len(warnings_shown) == 1 and "35.2 KiB" in warnings_shown[0]
    panel.refresh()
    assert len(warnings_shown) == 1
    # The last run's own images: its prediction and its mask, 12,000 B = 11.7 KiB.
    tip = name_tip(panel, last.name)
    assert tip.startswith(
        "Images in memory: 23.4 KiB (truth, prediction, semantic truth, semantic prediction)."
    )
    assert "deleting it frees 11.7 KiB" in tip

    names = [run.name for run in panel.runs]
    panel.compare(names[0], names[1])
    assert panel.comparison is not None
    prediction = weakref.ref(first.labels["prediction"])
    mask = weakref.ref(first.record.semantic_prediction)
    truth = weakref.ref(first.labels["truth"])
    del first, runs, run, last

    panel.select(names[0])
    panel.delete_selected()
    gc.collect()
    assert prediction() is not None  # runs 2 and 3 hold it
    assert panel.comparison is None  # it compared a deleted run
    assert panel.objects_table.model.frame.empty
    assert panel.status_label.text() == (
        f"Deleted {names[0]!r}. 0 B of images freed. The runs left share the rest. "
        "The comparison shown (of a deleted run) was cleared."
    )
    panel.select(names[1], names[2])
    panel.delete_selected()
    gc.collect()
    assert prediction() is None and mask() is None
    assert truth() is not None  # the last run holds it
    # 9600 + 2400 = 12,000 B freed.
    assert panel.status_label.text() == (
        f"Deleted {names[1]!r}, {names[2]!r}. 11.7 KiB of images freed. "
        "The runs left share the rest."
    )
    # 24,000 B left: under the limit again; the line is back in the normal colour.
    assert panel.memory_label.text().startswith("The runs keep 23.4 KiB of images in memory")
    assert panel.memory_label.styleSheet() == ""

    # The last run is the one the Evaluate and Review tabs show: its images stay with them.
    panel.select(names[3])
    panel.delete_selected()
    gc.collect()
    assert truth() is not None
    assert panel.status_label.text().endswith(
        "The Evaluate and Review tabs still show the last evaluation: its images stay in "
        "memory until the next Run."
    )
    assert not panel.memory_label.isVisibleTo(panel)
    assert "keep 0 B of images in memory" in panel.delete_button.toolTip()


def test_a_session_of_small_images_is_not_told_about_memory_under_the_list(make_napari_viewer):
    _, widget = open_dock(make_napari_viewer, 5001)
    widget.run_evaluation(wait=True)
    panel = widget.runs
    # 24,000 B (see above), far under 1 GiB: said in the tooltips only.
    assert not panel.memory_label.isVisibleTo(panel)
    assert "keep 23.4 KiB of images in memory" in panel.delete_button.toolTip()


def test_a_run_deleted_while_its_intervals_are_computed_is_freed(make_napari_viewer, qtbot):
    viewer, widget = open_dock(make_napari_viewer, 4001)
    truth = viewer.layers["truth"].data
    viewer.add_labels(np.where(truth > 0, truth + 3, 0), name="model B")
    panel = widget.runs
    widget.run_evaluation(wait=True)
    widget.set_prediction("model B")  # another run, so that the first is no longer shown
    # No event has been handled since the run was added: its intervals' worker has not
    # delivered them yet.
    widget.run_evaluation(wait=True)
    run = panel.runs[0]
    job = panel._interval_jobs[id(run)][1]
    prediction = weakref.ref(run.labels["prediction"])
    panel.select(run.name)
    del run
    panel.delete_selected()
    gc.collect()
    assert prediction() is None
    qtbot.waitUntil(lambda: not job.running, timeout=60_000)
    assert len(panel.runs) == 1


def test_the_volume_note_asks_only_for_what_is_missing(make_napari_viewer):
    viewer = make_napari_viewer()
    stack = np.zeros((3, 12, 12), np.uint16)
    stack[:, 2:6, 2:6] = 1
    viewer.add_labels(stack, name="truth")
    viewer.add_labels(stack.copy(), name="model")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("model")
    panel = widget.evaluate
    panel.set_plane_axis(0, label_each_plane=False)  # Plane by plane set, the box not ticked
    widget.run_evaluation(wait=True)
    note = panel.status_label.text().splitlines()[-1]
    assert note.startswith("Evaluated as one 3-D volume: objects join across planes")
    assert "also tick 'label each plane on its own (time)'" in note
    assert "Plane by plane" not in note  # already set: not asked again
