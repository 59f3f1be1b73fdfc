"""dataset174: the Dataset tab's Summary copied and exported as numbers (each interval's
bounds in columns of their own), what a run says at its end (files left out, no object
matched anywhere, truth files without objects), the opened pair's labels on top, the
out-of-date line after a preset's run, and the class axis an OME-Zarr map declares."""

import io
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")
zarr = pytest.importorskip("zarr")
from qtpy.QtCore import Qt  # noqa: E402


def squares() -> np.ndarray:
    """Two objects: 1 (6 x 6) and 2 (6 x 6)."""
    labels = np.zeros((20, 20), np.uint16)
    labels[2:8, 2:8], labels[10:16, 10:16] = 1, 2
    return labels


@pytest.fixture
def dock(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return viewer, widget


@pytest.fixture
def warnings_shown(monkeypatch):
    """The warning notifications of the Dataset tab and of its worker's notices, as text."""
    from napari_seg_eval import _jobs
    from napari_seg_eval._qt import dataset_panel

    shown = []
    monkeypatch.setattr(dataset_panel, "show_warning", shown.append)
    monkeypatch.setattr(_jobs, "show_warning", shown.append)
    return shown


def six_pairs(tmp_path):
    """Six pairs of the two squares, the prediction of img001 without object 2."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    labels = squares()
    for k in range(6):
        tifffile.imwrite(truth / f"img{k:03d}.tif", labels)
        predicted = np.where(labels == 2, 0, labels) if k == 1 else labels
        tifffile.imwrite(pred / f"img{k:03d}.tif", predicted)
    return truth, pred


# 1. The Summary: shown with intervals, copied, exported and sorted as numbers -----------------
def test_the_summary_is_copied_and_exported_as_numbers(dock, tmp_path):
    _, widget = dock
    dataset = widget.dataset
    truth, pred = six_pairs(tmp_path)
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.run(wait=True)
    model = dataset.summary.model
    # By hand: 12 true objects, 11 matched exactly, none false: F1 @ 0.5 pooled
    # = 2 TP / (2 TP + FP + FN) = 22 / 23; image mean (5 x 1 + 2/3) / 6 = 17/18.
    shown = model.frame.set_index("metric")
    assert shown.loc["F1 @ 0.5", "pooled"].startswith("0.9565 [")  # shown as before
    assert shown.loc["F1 @ 0.5", "image mean"].startswith("0.9444 [")
    path = dataset.summary.export_csv(tmp_path / "summary.csv", wait=True)
    exported = pd.read_csv(path).set_index("metric")
    assert exported.columns.tolist() == [
        "pooled",
        "pooled low",
        "pooled high",
        "image mean",
        "image mean low",
        "image mean high",
    ]
    f1 = exported.loc["F1 @ 0.5"]
    assert f1["pooled"] == pytest.approx(22 / 23, abs=1e-15)  # full precision, a number
    assert f1["image mean"] == pytest.approx(17 / 18, abs=1e-15)
    assert f1["pooled low"] <= f1["pooled"] <= f1["pooled high"]
    assert f1["image mean low"] <= f1["image mean"] <= f1["image mean high"] == 1.0
    assert exported.loc["true objects", "pooled"] == 12
    assert np.isnan(exported.loc["true objects", "image mean"])  # no image mean of a count
    assert "true objects,12,,,,," in path.read_text()  # a count as an integer
    copied = pd.read_csv(io.StringIO(dataset.summary.copy(wait=True)), sep="\t")
    assert copied.columns.tolist()[:4] == ["metric", "pooled", "pooled low", "pooled high"]
    assert copied.set_index("metric").loc["F1 @ 0.5", "pooled"] == pytest.approx(22 / 23)
    # Sorting by the pooled column sorts the numbers: 0.9565 < 6 < 11 < 12, not as text.
    model.sort(1, Qt.SortOrder.AscendingOrder)
    pooled = dict(zip(model.frame["metric"], model.frame["pooled"], strict=True))
    order = [metric for metric in model.frame["metric"] if metric in ("pairs", "true objects")]
    assert order == ["pairs", "true objects"] and pooled["predicted objects"] == "11"
    rows = model.frame["metric"].tolist()
    assert rows.index("pairs") < rows.index("predicted objects") < rows.index("true objects")
    # ... and the numbers follow their rows: an export after the sort has them side by side.
    after = pd.read_csv(dataset.summary.export_csv(tmp_path / "sorted.csv", wait=True))
    assert after.set_index("metric").loc["F1 @ 0.5", "pooled"] == pytest.approx(22 / 23)
    assert after["metric"].tolist() == rows


# 2. Files left out, said at the end of a run ----------------------------------------------
def test_a_run_says_the_files_it_left_out(dock, tmp_path, warnings_shown):
    _, widget = dock
    dataset = widget.dataset
    truth, pred = six_pairs(tmp_path)
    tifffile.imwrite(truth / "img7_masks.tif", squares())  # no prediction of its name
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.run(wait=True)
    said = "1 ground truth file without a prediction was left out: img7_masks.tif"
    assert dataset.status_label.text().startswith(f"Done: 6 pairs. {said}.")
    assert warnings_shown == [f"Segmentation Evaluation: {said}."]


# 3. The opened pair's labels on top of the preview and contour opening it makes ---------------
def test_the_opened_pairs_labels_are_on_top(qtbot, dock, tmp_path):
    viewer, widget = dock
    dataset = widget.dataset
    truth, pred = six_pairs(tmp_path)
    maps = tmp_path / "prob"
    maps.mkdir()
    for k in range(6):
        tifffile.imwrite(maps / f"img{k:03d}.tif", (squares() > 0).astype(np.float32) * 0.9)
    mine = viewer.add_labels(np.zeros((20, 20), np.uint8), name="mine")
    dataset.set_folders(truth=truth, prediction=pred, probability=maps)
    dataset.run(wait=True)
    moves = []
    viewer.layers.events.reordered.connect(moves.append)
    dataset.open_image("img001", wait=True)
    names = [layer.name for layer in viewer.layers]
    # The contour is drawn as the pair opens: the labels are added above it, nothing moved.
    assert names == [
        "mine",
        "img001 probability",
        "img001 probability contour",
        "img001 truth",
        "img001 prediction",
    ]
    assert moves == []
    # The threshold preview comes from a worker: the labels go above it, the user's layer
    # stays where it was.
    qtbot.waitUntil(
        lambda: (
            [layer.name for layer in viewer.layers][-3:]
            == ["img001 probability thresholded", "img001 truth", "img001 prediction"]
        ),
        timeout=30_000,
    )
    assert viewer.layers[0] is mine and len(moves) == 1


# 4. No object matched in any pair: said; nothing on a good run ------------------------------
def test_raw_images_as_the_truth_are_said_at_the_runs_end(dock, tmp_path, warnings_shown):
    _, widget = dock
    dataset = widget.dataset
    truth, pred = six_pairs(tmp_path)
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.run(wait=True)
    assert warnings_shown == []  # a plain good run: nothing said
    assert dataset.status_label.text() == "Done: 6 pairs."
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for k in range(6):  # raw microscopy: every pixel above 0, each value an "object"
        tifffile.imwrite(images / f"img{k:03d}.tif", rng.integers(1, 4000, (20, 20), np.uint16))
    dataset.set_folders(truth=images)
    dataset.run(wait=True)
    # Every true "object" is a few pixels of one value: none reaches IoU 0.5 with a square.
    assert dataset.result.datasets["instance"].pooled["tp"].max() == 0
    [said] = warnings_shown
    assert said.startswith(
        "Segmentation Evaluation: no predicted object matched a true object at IoU ≥ 0.5 in "
        "any pair (6 pairs with objects on both sides): check the folders and suffixes"
    )
    assert "No predicted object matched a true object" in dataset.status_label.text()


# 5. Truth files without objects: one notice naming them ---------------------------------------
def test_truth_files_without_objects_are_named_in_one_notice(dock, tmp_path, warnings_shown):
    _, widget = dock
    dataset = widget.dataset
    truth, pred = six_pairs(tmp_path)
    for name in ("img002.tif", "img004.tif"):
        tifffile.imwrite(truth / name, np.zeros((20, 20), np.uint16))
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.run(wait=True)
    rows = dataset.result.per_image.set_index("name")
    assert rows.loc[["img002", "img004"], "n_true"].tolist() == [0, 0]
    assert rows.loc[["img002", "img004"], "recall_50"].isna().all()
    assert warnings_shown == [
        "Segmentation Evaluation: 2 ground truth files have no objects (outside ignored "
        "pixels): img002.tif, img004.tif; every predicted object there is a false positive "
        "and the recall is undefined (blank). Are they the files you meant?"
    ]


# 6. The out-of-date line after a preset's run names the option changed -----------------------
def test_changing_the_border_after_a_preset_run_names_it(dock, tmp_path):
    _, widget = dock
    dataset = widget.dataset
    dataset.set_folders(truth=six_pairs(tmp_path)[0], prediction=tmp_path / "pred")
    dataset.set_preset("neurips2022")
    dataset.run(wait=True)
    dataset.set_options(exclude_border=3)  # leaves the preset
    assert dataset.preset_combo.currentData() is None
    assert dataset.stale == "settings changed since this run: exclude border"
    dataset.set_options(exclude_border=2)  # the preset's fields again, not its number
    assert dataset.stale == "settings changed since this run: preset"


# 7. The class axis an OME-Zarr map declares: said, and used to open a pair ------------------
def ome_zarr_map(path, prob: np.ndarray) -> None:
    """An OME-Zarr 0.4 image of one level holding ``prob``, with axes c, y, x."""
    axes = [
        {"name": "c", "type": "channel"},
        {"name": "y", "type": "space"},
        {"name": "x", "type": "space"},
    ]
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update({"multiscales": [{"axes": axes, "datasets": [{"path": "0"}]}]})
    array = zarr.open_array(str(path / "0"), mode="w", shape=prob.shape, dtype=prob.dtype)
    array[...] = prob


def test_an_ome_zarr_class_axis_is_said_and_opens_the_pair(qtbot, dock, tmp_path, warnings_shown):
    _, widget = dock
    dataset = widget.dataset
    truth, maps = tmp_path / "truth", tmp_path / "maps"
    truth.mkdir()
    maps.mkdir()
    labels = squares()
    tifffile.imwrite(truth / "a.tif", labels)
    prob = np.full((3, 20, 20), 0.05, np.float32)  # classes x Y x X
    prob[0] = np.where(labels > 0, 0.9, 0.1)  # class 1 on both squares
    ome_zarr_map(maps / "a.zarr", prob)
    dataset.set_folders(truth=truth, prediction=maps)
    dataset.set_options(probability=True, iou_thresholds=[0.5])
    assert dataset.settings()["channel_axis"] is None  # none given: the header's is empty
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000):
        dataset.run()
    assert dataset.result.settings.channel_axis == 0
    assert dataset.result.per_image["accuracy_50"].tolist() == [1.0]  # both squares found
    [notice] = [text for text in warnings_shown if "OME-Zarr" in text]
    assert "it is read as the maps' class axis (the header's Channel axis at 0" in notice
    assert "Class axis: 0, from the maps' OME-Zarr metadata" in dataset.status_label.text()
    # Opening the pair reads its map with the run's class axis, whatever the header says.
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(None))
    opened = dataset.open_image("a", wait=True)
    assert opened["prediction"].data.shape == (3, 20, 20)
    assert widget.channel_axis_combo.currentData() == 0
    assert dataset.stale == ""  # the header's axis is now the one the run read
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = widget.run_evaluation(wait=True)
    summary = results["summary"].set_index("metric")["value"]
    assert summary["accuracy_50"] == 1.0  # as the row
