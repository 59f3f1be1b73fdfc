"""io188 (dock): opening a pair of probability maps with a class axis from the Dataset tab
says the class axis once: the tab's run said which axis it read, and opening the pair sets
the header's Channel axis to it before Evaluate would choose one and announce it again."""

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")
zarr = pytest.importorskip("zarr")

CYX = [
    {"name": "c", "type": "channel"},
    {"name": "y", "type": "space"},
    {"name": "x", "type": "space"},
]


def squares() -> np.ndarray:
    """Two objects: 1 (rows and columns 2..7) and 2 (10..15)."""
    labels = np.zeros((20, 20), np.uint16)
    labels[2:8, 2:8], labels[10:16, 10:16] = 1, 2
    return labels


def three_classes(labels: np.ndarray) -> np.ndarray:
    """A (3, Y, X) map: channel 0 (class 1) 0.9 on the objects and 0.1 elsewhere, the other
    channels 0.05."""
    prob = np.full((3, *labels.shape), 0.05, np.float32)
    prob[0] = np.where(labels > 0, 0.9, 0.1)
    return prob


def write_map(path, prob: np.ndarray) -> None:
    """``prob`` as an OME-Zarr 0.4 image of one level with axes c, y, x (``.zarr``), or as
    an NPY file."""
    if path.suffix == ".npy":
        np.save(path, prob)
        return
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update({"multiscales": [{"axes": CYX, "datasets": [{"path": "0"}]}]})
    array = zarr.open_array(str(path / "0"), mode="w", shape=prob.shape, dtype=prob.dtype)
    array[...] = prob


@pytest.fixture
def dock(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return viewer, widget


@pytest.fixture
def notifications(monkeypatch):
    """Every notification of the Dataset and Evaluate tabs and of the workers, as text."""
    from napari_seg_eval import _jobs
    from napari_seg_eval._qt import dataset_panel, evaluate_panel

    shown: list[str] = []
    for module in (dataset_panel, evaluate_panel, _jobs):
        for name in ("show_info", "show_warning"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, shown.append)
    return shown


@pytest.mark.parametrize("map_name", ["a.zarr", "a.npy"])
def test_opening_a_pair_does_not_say_the_class_axis_again(
    qtbot, dock, tmp_path, notifications, map_name
):
    _, widget = dock
    dataset = widget.dataset
    truth, maps = tmp_path / "truth", tmp_path / "maps"
    truth.mkdir()
    maps.mkdir()
    labels = squares()
    tifffile.imwrite(truth / "a.tif", labels)
    write_map(maps / map_name, three_classes(labels))
    dataset.set_folders(truth=truth, prediction=maps)
    dataset.set_options(probability=True, iou_thresholds=[0.5])
    if map_name.endswith(".npy"):  # no axis declared: the tab's Class axis says it
        dataset.set_class_axis(0)
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000):
        dataset.run()
    assert dataset.result.settings.channel_axis == 0
    assert dataset.result.per_image["accuracy_50"].tolist() == [1.0]  # both squares found
    notifications.clear()
    with qtbot.waitSignal(dataset.open_job.finished, timeout=60_000):
        dataset.per_image.view.selectRow(0)  # as a user opens the pair
    assert widget.channel_axis_combo.currentData() == 0  # the run's class axis
    # One notification, the tab's "opened": no other one about the class axis.
    assert len(notifications) == 1
    assert notifications[0].startswith("Segmentation Evaluation: opened 'a'.")
    assert "class axis" not in notifications[0]
    # Evaluate scores the pair as the row: both squares of class 1 matched.
    with qtbot.waitSignal(widget.evaluate.evaluated, timeout=60_000):
        widget.evaluate.run()
    summary = widget.results["summary"].set_index("metric")["value"]
    assert summary["accuracy_50"] == 1.0


def test_the_tab_refuses_mixed_maps_naming_its_class_axis(dock, tmp_path, monkeypatch):
    """OME-Zarr maps declaring a class axis beside NPY maps: refused before the run, in the
    tab's words (its Class axis); no result shown."""
    from napari_seg_eval import _jobs

    errors: list[str] = []
    monkeypatch.setattr(_jobs, "show_error", errors.append)
    _, widget = dock
    dataset = widget.dataset
    truth, maps = tmp_path / "truth", tmp_path / "maps"
    truth.mkdir()
    maps.mkdir()
    labels = squares()
    for name in ("a", "b"):
        tifffile.imwrite(truth / f"{name}.tif", labels)
    write_map(maps / "a.zarr", three_classes(labels))
    write_map(maps / "b.npy", three_classes(labels))
    dataset.set_folders(truth=truth, prediction=maps)
    dataset.set_options(probability=True, iou_thresholds=[0.5])
    assert dataset.run(wait=True) is None and dataset.result is None
    assert errors == [
        f"Segmentation Evaluation: {maps / 'a.zarr'}: its OME-Zarr metadata name axis 0 a "
        "channel axis of 3 channels, but 1 of the run's 2 maps are not OME-Zarr and declare "
        f"no class axis (the first: {maps / 'b.npy'}, shape (3, 20, 20)); one class axis is "
        "read for every map, and none is given: give the class axis all of them have (this "
        "tab's Class axis 0 if it is axis 0 in every map), or evaluate the OME-Zarr maps and "
        "the others in two runs."
    ]
    # With the tab's Class axis at 0, both pairs are scored: both squares matched in each.
    dataset.set_class_axis(0)
    result = dataset.run(wait=True)
    assert result.per_image["accuracy_50"].tolist() == [1.0, 1.0]
