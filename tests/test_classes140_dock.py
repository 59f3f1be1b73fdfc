"""classes140, the Dataset tab: a run with class images shows the per-class table (pooled over
images) and the class confusion, a run without shows neither; a run in which some pairs fail
says so in one notification (trial138 LOW-8).

The data and the numbers are those of test_classes140.py (model A: both objects found, object
2 called class 1). The widget is built directly (not through the plugin's manifest)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")

from test_classes140 import truth_and_classes  # noqa: E402


@pytest.fixture
def dataset(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    dock = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(dock, name="Segmentation Evaluation")
    return dock.dataset


@pytest.fixture
def warned(monkeypatch):
    """The Dataset tab's warning notifications, as text."""
    from napari_seg_eval._qt import dataset_panel

    notices = []
    monkeypatch.setattr(dataset_panel, "show_warning", notices.append, raising=False)
    return notices


@pytest.fixture
def folders(tmp_path):
    """Images a and b: truth and model A, each with its ``_classes`` file."""
    true, classes = truth_and_classes()
    wrong = np.where(true > 0, 1, 0).astype(np.uint8)  # A: both objects class 1
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for name in ("a", "b"):
        tifffile.imwrite(truth / f"{name}.tif", true)
        tifffile.imwrite(truth / f"{name}_classes.tif", classes)
        tifffile.imwrite(pred / f"{name}.tif", true)
        tifffile.imwrite(pred / f"{name}_classes.tif", wrong)
    return truth, pred


def class_widgets(dataset):
    return (dataset.per_class_title, dataset.per_class, dataset.confusion_title, dataset.confusion)


def test_a_class_run_shows_the_per_class_table_and_the_confusion(dataset, folders, warned):
    truth, pred = folders
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(
        iou_thresholds=[0.5], truth_classes_suffix="_classes", prediction_classes_suffix="_classes"
    )
    result = dataset.run(wait=True)
    assert result.n_failed == 0 and warned == []
    assert all(not widget.isHidden() for widget in class_widgets(dataset))
    per_class = dataset.per_class.model.frame
    # Pooled over a and b: class 1 TP 2, FP 2, FN 0 (AP 2/4); class 2 TP 0, FP 0, FN 2 (AP 0).
    assert per_class[["class", "tp", "fp", "fn"]].values.tolist() == [[1, 2, 2, 0], [2, 0, 0, 2]]
    assert per_class["accuracy"].tolist() == pytest.approx([1 / 2, 0])
    # Matched regardless of class: true class 1 predicted 1 twice, true class 2 predicted 1
    # twice, never predicted 2.
    confusion = dataset.confusion.model.frame
    assert confusion.columns.tolist() == ["true class", "predicted 1", "predicted 2"]
    assert confusion.values.tolist() == [[1, 2, 0], [2, 2, 0]]
    # Sortable, with Copy and Export as the other tables: the export has the result files'
    # names.
    exported = dataset.confusion.model.export_frame()
    assert exported.columns.tolist() == ["true_class", "predicted_1", "predicted_2"]
    assert dataset.per_class.view.isSortingEnabled()
    # A setting changed after the run: these tables are marked out of date with the others.
    assert dataset.per_class.view.styleSheet() == ""
    dataset.set_options(exclude_border=1)
    assert dataset.stale and dataset.per_class.view.styleSheet() != ""
    assert dataset.confusion.view.styleSheet() == dataset.summary.view.styleSheet() != ""
    dataset.set_options(exclude_border=0)

    # The same folders without the class suffixes: no classes, and neither table shows.
    dataset.set_options(truth_classes_suffix=None, prediction_classes_suffix=None)
    dataset.run(wait=True)
    assert all(widget.isHidden() for widget in class_widgets(dataset))
    assert dataset.per_class.model.frame.empty and dataset.confusion.model.frame.empty


def test_failed_pairs_are_notified_once_with_the_first_reason(dataset, folders, warned):
    truth, pred = folders
    tifffile.imwrite(truth / "c.tif", truth_and_classes()[0])
    (pred / "c.tif").write_bytes(b"not a tiff")
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(truth_classes_suffix="_classes", prediction_classes_suffix="_classes")
    (truth / "c_classes.tif").write_bytes((truth / "a_classes.tif").read_bytes())
    (pred / "c_classes.tif").write_bytes((pred / "a_classes.tif").read_bytes())
    dataset.find_pairs()
    result = dataset.run(wait=True)
    assert result.n_failed == 1
    (warning,) = warned  # one notification for the run
    assert warning.startswith("Segmentation Evaluation: 1 of 3 pairs failed and are left out")
    assert f"the first: c: {pred / 'c.tif'}: cannot be read" in warning
