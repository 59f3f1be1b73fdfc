"""Issue 11: the Dataset tab on small TIFF folders written here (pairs, run, sort, open, cancel)."""

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")


def truth_image():
    true = np.zeros((20, 20), np.uint16)
    true[2:8, 2:8] = 1
    true[10:16, 10:16] = 2
    return true


@pytest.fixture
def folders(tmp_path):
    """Three pairs: 'good' (perfect), 'half' (object 2 missed), 'none' (nothing predicted);
    plus a truth without a prediction and a prediction without a truth."""
    truth, pred, images = tmp_path / "truth", tmp_path / "pred", tmp_path / "images"
    for folder in (truth, pred, images):
        folder.mkdir()
    true = truth_image()
    half = true.copy()
    half[half == 2] = 0
    for name, prediction in (("good", true), ("half", half), ("none", np.zeros_like(true))):
        tifffile.imwrite(truth / f"{name}.tif", true)
        tifffile.imwrite(pred / f"{name}_pred.tif", prediction)
        tifffile.imwrite(images / f"{name}.tif", np.full((20, 20), 7, np.uint8))
    tifffile.imwrite(truth / "lonely.tif", true)
    tifffile.imwrite(pred / "stray_pred.tif", true)
    return truth, pred, images


@pytest.fixture
def panel(make_napari_viewer, folders):
    viewer = make_napari_viewer()
    mine = viewer.add_labels(np.zeros((20, 20), np.uint8), name="half truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    truth, pred, images = folders
    widget.dataset.set_suffixes(prediction="_pred")
    widget.dataset.set_folders(truth=truth, prediction=pred, image=images)
    return viewer, widget, widget.dataset, mine


def test_pairs_and_every_unpaired_file_are_listed(panel):
    _, _, dataset, _ = panel
    text = dataset.pairs_text.toPlainText()
    assert text.startswith("3 pair(s)") and "lonely.tif" in text and "stray_pred.tif" in text


def test_run_sorts_worst_first_and_emits_the_result(qtbot, panel):
    _, _, dataset, _ = panel
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000) as blocker:
        dataset.run()
    result = blocker.args[0]
    frame = dataset.per_image.model.frame
    # By hand: accuracy at every IoU threshold is TP/(TP+FP+FN): good 2/2, half 1/2, none 0/2.
    assert frame["name"].tolist() == ["none", "half", "good"]
    assert frame["mean_accuracy"].tolist() == [0.0, 0.5, 1.0]
    # Pooled: TP 3, FN 3 over all images -> 3/6; image mean (0 + 0.5 + 1) / 3.
    assert result.summary["mean_accuracy_pooled"] == pytest.approx(0.5)
    assert result.summary["mean_accuracy_image_mean"] == pytest.approx(0.5)
    shown = dataset.summary.model.frame.set_index("metric")  # one row a metric
    assert shown.loc["AP (DSB), mean over IoU thresholds", "pooled"].startswith("0.5000")
    mean_accuracy = shown.loc["AP (DSB), mean over IoU thresholds"]
    assert mean_accuracy["image mean"].startswith("0.5000 [")  # with its interval


def test_opening_a_pair_replaces_our_layers_and_never_the_users(qtbot, panel, tmp_path):
    viewer, widget, dataset, mine = panel
    dataset.run(wait=True)
    first = dataset.open_image("half", wait=True)
    assert set(first) == {"image", "truth", "prediction"}
    assert widget.evaluate.truth_combo.layer() is first["truth"]
    np.testing.assert_array_equal(first["truth"].data, truth_image())
    second = dataset.open_image("good", wait=True)
    names = [layer.name for layer in viewer.layers]
    assert mine in viewer.layers and mine.data.max() == 0  # the user's layer, same name, kept
    assert all(layer not in viewer.layers for layer in first.values())
    assert names.count("good truth") == 1 and second["prediction"] in viewer.layers
    dataset.per_image.export_csv(tmp_path / "per_image.csv")
    import pandas as pd

    exported = pd.read_csv(tmp_path / "per_image.csv")
    assert exported["name"].tolist() == ["none", "half", "good"]


def test_selecting_a_row_opens_that_pair(qtbot, panel):
    viewer, _, dataset, _ = panel
    dataset.run(wait=True)
    with qtbot.waitSignal(dataset.open_job.finished, timeout=60_000):
        dataset.per_image.view.selectRow(1)  # "half", the second worst
    opened = [layer.metadata["napari-seg-eval"] for layer in viewer.layers if layer.metadata]
    assert {(tag["pair"], tag["side"]) for tag in opened} == {
        ("half", "image"),
        ("half", "truth"),
        ("half", "prediction"),
    }


def test_cancel_drops_the_run(qtbot, panel):
    _, _, dataset, _ = panel
    emitted = []
    dataset.evaluated_dataset.connect(emitted.append)
    with qtbot.waitSignal(dataset.job.finished, timeout=60_000):
        dataset.run()
        dataset.cancel()
    assert emitted == [] and dataset.result is None
    assert dataset.per_image.model.rowCount() == 0 and dataset.status_label.text() == "Cancelled."
