"""Opening a Dataset pair while the user works: the files are read in a worker, and what the
user changes in the Evaluate tab (or the header) meanwhile is kept, never overwritten by the
run's settings; the pair selected last is the one opened; a read that fails changes nothing;
the run's boundary spacing is carried as the opened layers' scale (in which Evaluate measures).

The reads are held by a gate (an Event per pair) so that "while the pair is read" is
deterministic. The widget is built directly (not through the plugin's manifest), so that these
tests also run against an older copy of the package."""

import threading

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")

#: The longest a held read waits for its release (a safety net: the tests release every gate).
GATE_SECONDS = 60


@pytest.fixture
def widget(make_napari_viewer):
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


class Gate:
    """Holds the read of a pair (by its truth file's stem) until :meth:`release`."""

    def __init__(self) -> None:
        self.events: dict[str, threading.Event] = {}

    def hold(self, *names: str) -> None:
        for name in names:  # made on the main thread, before the reads start
            self.events[name] = threading.Event()

    def release(self, name: str) -> None:
        self.events[name].set()


@pytest.fixture
def gate(monkeypatch):
    from napari_seg_eval._qt import dataset_panel

    held = Gate()
    read = dataset_panel._read_pair

    def gated(files, probability, *rest):
        event = held.events.get(files["truth"].stem)
        if event is not None:
            assert event.wait(GATE_SECONDS), "a held read was never released"
        return read(files, probability, *rest)

    monkeypatch.setattr(dataset_panel, "_read_pair", gated)
    yield held
    for event in held.events.values():  # never leave a worker waiting
        event.set()


def all_reads_delivered(qtbot) -> None:
    """Wait for every worker to end, then deliver the signals they posted (a read that is
    no longer wanted ends too: nothing of it may land)."""
    from qtpy.QtCore import QThreadPool
    from qtpy.QtWidgets import QApplication

    assert QThreadPool.globalInstance().waitForDone(GATE_SECONDS * 1000)
    QApplication.processEvents()


def square_pair() -> tuple[np.ndarray, np.ndarray]:
    """A 10 x 10 truth with one 4 x 4 object (rows 2-5, cols 2-5) and a prediction of the same
    square one row lower (rows 3-6): 12 of 16 pixels shared, IoU = 12 / (16 + 16 - 12) =
    0.6; |T∩P|/|T| = 12/16 = 0.75."""
    truth = np.zeros((10, 10), np.uint16)
    pred = np.zeros((10, 10), np.uint16)
    truth[2:6, 2:6] = 1
    pred[3:7, 2:6] = 1
    return truth, pred


@pytest.fixture
def two_pairs(tmp_path):
    """Folders gt/ and pred/ with the pairs a and b (both :func:`square_pair`)."""
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth, pred = square_pair()
    for name in ("a", "b"):
        tifffile.imwrite(truth_dir / f"{name}.tif", truth)
        tifffile.imwrite(pred_dir / f"{name}.tif", pred)
    return truth_dir, pred_dir


def opened_names(widget) -> list[str]:
    return sorted(layer.name for layer in widget.viewer.layers)


def evaluate_controls(evaluate) -> tuple:
    """The Evaluate tab's controls that opening a pair sets."""
    return (
        evaluate.preset_combo.currentData(),
        evaluate.iou_edit.text(),
        evaluate.criterion_combo.currentData(),
        evaluate.border_spin.value(),
        evaluate.kind_combo.currentText(),
        evaluate.ignore_spin.value(),
        evaluate.binarize_check.isChecked(),
        evaluate.boundary_check.isChecked(),
        evaluate.tolerance_spin.value(),
        evaluate.truth_combo.layer(),
        evaluate.prediction_combo.layer(),
    )


def test_evaluate_changed_while_the_pair_is_read_is_kept(widget, two_pairs, gate, said, qtbot):
    truth_dir, pred_dir = two_pairs
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_preset("ctc")  # IoU threshold 0.5, matching |T∩P|/|T|, no border
    dataset.run(wait=True)
    gate.hold("a")
    dataset.open_image("a")  # the read is held: the user goes on working in Evaluate
    evaluate.border_spin.setValue(3)
    evaluate.ignore_spin.setValue(7)
    widget.set_threshold(0.7)  # not a setting of a run of labels: neither set nor said
    gate.release("a")
    qtbot.waitUntil(
        lambda: any(text.startswith("Segmentation Evaluation: opened") for text in said)
    )
    assert evaluate.truth_combo.layer().name == "a truth"
    # The user's border and ignore label stay; the rest is the run's. With a border that is
    # not the preset's, the preset is not chosen: its matching is set alone.
    assert evaluate.border_spin.value() == 3
    assert evaluate.ignore_spin.value() == 7
    assert evaluate.preset_combo.currentData() is None
    assert evaluate.criterion_combo.currentData() == "iot"
    assert evaluate.iou_edit.text() == "0.5"
    assert evaluate.kind_combo.currentText() == "instance"
    assert widget.threshold == pytest.approx(0.7)
    assert (
        "kept as you changed them while the pair was read: exclude border, ignore label (Run "
        "there may then differ from the row)" in said[-1]
    )


def test_a_preset_chosen_while_the_pair_is_read_is_kept_whole(widget, two_pairs, gate, said, qtbot):
    truth_dir, pred_dir = two_pairs
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(iou_thresholds=[0.75], criterion="iop", kind="semantic")
    dataset.run(wait=True)
    gate.hold("a")
    dataset.open_image("a")
    evaluate.set_preset("neurips2022")  # IoU 0.5, IoU matching, border 2
    evaluate.kind_combo.setCurrentText("semantic")
    gate.release("a")
    qtbot.waitUntil(
        lambda: any(text.startswith("Segmentation Evaluation: opened") for text in said)
    )
    assert evaluate.preset_combo.currentData() == "neurips2022"
    assert evaluate.iou_edit.text() == "0.5"
    assert evaluate.criterion_combo.currentData() == "iou"
    assert evaluate.border_spin.value() == 2
    assert evaluate.kind_combo.currentText() == "semantic"  # not the preset's "both"
    assert "kept as you changed them while the pair was read: preset, IoU thresholds, " in said[-1]


def test_the_threshold_moved_while_a_map_is_read_is_kept(widget, tmp_path, gate, said, qtbot):
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "maps"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth, pred = square_pair()
    tifffile.imwrite(truth_dir / "a.tif", truth)
    tifffile.imwrite(pred_dir / "a.tif", np.where(pred > 0, 0.4, 0.0).astype(np.float32))
    dataset = widget.dataset
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(probability=True)
    widget.set_threshold(0.3)
    widget.min_size_spin.setValue(2)
    dataset.run(wait=True)  # at 0.3, minimum size 2
    widget.set_threshold(0.5)
    widget.min_size_spin.setValue(0)
    gate.hold("a")
    dataset.open_image("a")
    widget.set_threshold(0.35)  # the user's, while the map is read
    gate.release("a")
    qtbot.waitUntil(
        lambda: any(text.startswith("Segmentation Evaluation: opened") for text in said)
    )
    assert widget.threshold == pytest.approx(0.35)
    assert widget.min_size_spin.value() == 2  # the run's: not touched meanwhile
    assert "minimum size 2" in said[-1]
    assert "kept as you changed them while the pair was read: threshold " in said[-1]


def test_the_pair_selected_last_opens_and_keeps_what_changed_since_the_first(
    widget, two_pairs, gate, said, qtbot, errors
):
    truth_dir, pred_dir = two_pairs
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(iou_thresholds=[0.5], criterion="iop")
    dataset.run(wait=True)
    gate.hold("a", "b")
    dataset.open_image("a")
    evaluate.ignore_spin.setValue(4)  # between the two selections
    dataset.open_image("b")
    gate.release("b")
    qtbot.waitUntil(lambda: any("opened 'b'" in text for text in said))
    assert opened_names(widget) == ["b prediction", "b truth"]
    assert evaluate.ignore_spin.value() == 4
    assert evaluate.criterion_combo.currentData() == "iop"
    assert "kept as you changed them while the pair was read: ignore label" in said[-1]
    # The first read ends after the second: it never lands.
    gate.release("a")
    all_reads_delivered(qtbot)
    assert opened_names(widget) == ["b prediction", "b truth"]
    assert not any("opened 'a'" in text for text in said)
    assert evaluate.truth_combo.layer().name == "b truth"
    assert errors == []


def test_a_read_that_fails_names_the_file_and_changes_nothing(
    widget, two_pairs, said, qtbot, errors
):
    truth_dir, pred_dir = two_pairs
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_preset("ctc")
    dataset.run(wait=True)
    dataset.open_image("b", wait=True)
    before = opened_names(widget)
    evaluate.set_matching("iou", 1)  # the user's, after b was opened
    state = evaluate_controls(evaluate)
    broken = pred_dir / "a.tif"
    broken.write_bytes(b"II*\x00" + b"not a tiff" * 4)  # replaced after the run
    said.clear()
    dataset.open_image("a")
    qtbot.waitUntil(lambda: bool(errors))
    assert errors[0].startswith(f"Segmentation Evaluation: could not open 'a': {broken}: ")
    assert errors[0].endswith("The pair shown and the Evaluate tab are unchanged.")
    all_reads_delivered(qtbot)
    assert said == []
    assert opened_names(widget) == before
    assert evaluate_controls(evaluate) == state
    # The next pair opens as usual, from the settings as they are now.
    dataset.open_image("b", wait=True)
    assert evaluate.preset_combo.currentData() == "ctc"
    assert "kept as you changed" not in said[-1]


def test_the_runs_spacing_is_the_opened_layers_scale(widget, two_pairs, said):
    truth_dir, pred_dir = two_pairs
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(boundary=True, spacing=(2, 0.5))
    result = dataset.run(wait=True)
    row = result.per_image.set_index("name").loc["a"]
    # By hand (square_pair, rows 2 units, columns 0.5): the truth's top row (row 2) is one row,
    # 2 units, from the prediction's top row (row 3), and further from its sides (cols 2 and
    # 5 start at row 3: sqrt(2² + 0.5²) at the least); the prediction's bottom row alike from
    # the truth's: HD = 2. Within τ = 1: of the 12 boundary pixels of each square, the 4 of
    # its far row are 2 away, the sides are on the other's boundary and the two pixels of the
    # near row lie 0.5 from the other's side: NSD = (8 + 8) / (12 + 12) = 2/3. (In pixels:
    # HD 1, every pixel within 1, NSD 1.)
    assert row["mean_hd"] == pytest.approx(2.0)
    assert row["mean_nsd"] == pytest.approx(2 / 3)
    opened = dataset.open_image("a", wait=True)
    for side in ("truth", "prediction"):
        assert tuple(opened[side].scale) == (2.0, 0.5)
    assert evaluate.boundary_check.isChecked()
    assert evaluate.units_label.text() == "scale units (scale 2, 0.5)"
    assert (
        "; the layers' scale 2, 0.5 (the run's boundary distances were in its spacing); "
        in said[-1]
    )
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("boundary", "mean_hd")] == pytest.approx(2.0)
    assert summary[("boundary", "mean_nsd")] == pytest.approx(2 / 3)


def test_the_pixel_size_read_from_the_files_is_the_scale_with_its_unit(widget, tmp_path, said):
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth, pred = square_pair()
    # ImageJ resolution is pixels per unit, x then y: 2 per µm across (0.5 µm), 0.5 per µm
    # down (2 µm): the pixel size (y, x) = (2, 0.5) µm.
    meta = {"imagej": True, "resolution": (2.0, 0.5), "metadata": {"unit": "um"}}
    tifffile.imwrite(truth_dir / "a.tif", truth, **meta)
    tifffile.imwrite(pred_dir / "a.tif", pred, **meta)
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(boundary=True, spacing="file")
    dataset.run(wait=True)
    opened = dataset.open_image("a", wait=True)
    assert tuple(opened["truth"].scale) == (2.0, 0.5)
    assert evaluate.units_label.text() == "µm (scale 2, 0.5)"
    assert (
        "the layers' scale 2, 0.5 µm (the run's boundary distances were in the pair's "
        in (said[-1])
    )
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("boundary", "mean_hd")] == pytest.approx(2.0)  # as above: 1 row, 2 µm


def test_a_run_without_class_0_in_its_means_sets_evaluate_alike(widget):
    from napari_seg_eval.io.evaluate import FileSettings

    settings = FileSettings(kind="semantic", include_background=False)
    said = widget.evaluate.use_file_settings(settings)
    assert said.startswith("IoU thresholds 0.5:0.95:0.05, matching IoU ≥ t, exclude border none, ")
    # Evaluate has the setting now: it takes the run's, so Run there gives the row's means.
    assert said.endswith("class 0 out of the semantic means")
    assert not widget.evaluate.background_check.isChecked()
    assert "class 0" not in widget.evaluate.use_file_settings(FileSettings(kind="semantic"))
