"""The dock (classes144): a softmax's own classes in the Evaluate and Dataset tabs, and the
box that leaves class 0 out of the semantic means."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("napari")

from napari_seg_eval._qt import evaluate_panel
from napari_seg_eval._qt.evaluate_panel import MAP_CLASSES
from test_classes144 import assert_by_hand, softmax_case, three_classes

pytestmark = pytest.mark.filterwarnings("ignore:.*had no class above the threshold")


@pytest.fixture
def softmax_dock(make_napari_viewer, monkeypatch):
    """The case of :func:`test_classes144.softmax_case` in a viewer: the truth, its classes
    and the map as the prediction, its channel axis 0 chosen; the notices said, collected."""
    truth, true_classes, prob, _ = softmax_case()
    viewer = make_napari_viewer()
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(true_classes, name="truth classes")
    viewer.add_image(prob, name="softmax")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    widget.set_probability_layer("softmax")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    widget.evaluate.iou_edit.setText("0.5, 0.7")
    said: list[str] = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    return viewer, widget, said


@pytest.mark.parametrize("choice", ["none", MAP_CLASSES])
def test_the_evaluate_tab_takes_the_maps_classes(softmax_dock, choice):
    _, widget, said = softmax_dock
    widget.evaluate.set_classes("truth classes", choice)
    tables = widget.run_evaluation(wait=True)
    assert tables is not None, widget.evaluate.status_label.text()
    assert_by_hand(tables["instance_per_class"])
    record = widget.evaluation
    assert record.settings.pred_classes_from_map
    assert any("The prediction's classes: the map's ('softmax'" in notice for notice in said)


def test_the_maps_own_classes_of_a_labels_prediction_are_refused(softmax_dock, errors):
    viewer, widget, _ = softmax_dock
    argmax = softmax_case()[3]
    viewer.add_labels(argmax, name="labels")
    widget.set_prediction("labels")
    widget.evaluate.set_classes("truth classes", MAP_CLASSES)
    assert widget.run_evaluation(wait=True) is None
    assert widget.evaluation is None
    assert any("a probability map's channels" in message for message in errors)
    widget.evaluate.set_classes("truth classes", "none")  # labels: both sides, as before
    assert widget.run_evaluation(wait=True) is None
    assert any("both sides" in message for message in errors)


def test_the_evaluate_tabs_box_leaves_class_0_out_of_the_means(make_napari_viewer):
    true, pred = three_classes()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    evaluate = widget.evaluate
    evaluate.kind_combo.setCurrentText("semantic")
    evaluate.binarize_check.setChecked(False)
    assert "MONAI's include_background" in evaluate.background_check.toolTip()
    # By hand (three_classes): IoU 1/3, 2/3, 1/2; mean 1/2 with class 0, 7/12 without.
    for checked, mean in ((True, 1 / 2), (False, 7 / 12)):
        evaluate.background_check.setChecked(checked)
        tables = widget.run_evaluation(wait=True)
        summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
        assert summary[("semantic", "mean_iou")] == pytest.approx(mean)
        assert widget.evaluation.settings.include_background is checked
    assert "class 0 out of the means" in evaluate.options.text()
    evaluate.background_check.setChecked(True)  # a control changed: the record is stale
    assert widget.evaluation.stale


@pytest.fixture
def softmax_folders(tmp_path):
    truth, true_classes, prob, _ = softmax_case()
    folders = {name: tmp_path / name for name in ("truth", "maps")}
    for folder in folders.values():
        folder.mkdir()
    np.save(folders["truth"] / "a.npy", truth)
    np.save(folders["truth"] / "a_classes.npy", true_classes)
    np.save(folders["maps"] / "a.npy", prob)
    return folders


def test_the_dataset_tab_takes_the_maps_classes(make_napari_viewer, softmax_folders):
    from napari_seg_eval.io import evaluate_files

    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    viewer.add_image(softmax_case()[2], name="softmax")  # the header's channel axis
    widget.set_probability_layer("softmax")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    dataset = widget.dataset
    dataset.set_folders(truth=softmax_folders["truth"], prediction=softmax_folders["maps"])
    dataset.set_options(
        probability=True, iou_thresholds=[0.5, 0.7], truth_classes_suffix="_classes"
    )
    assert "class images (the prediction's: the map's)" in dataset.options.text()
    result = dataset.run(wait=True)
    assert result is not None, dataset.status_label.text()
    assert result.settings.prediction_classes_from_map
    assert_by_hand(result["instance"].per_class_pooled)
    expected = evaluate_files(
        softmax_folders["truth"], softmax_folders["maps"], probability=True, channel_axis=0,
        iou_thresholds=[0.5, 0.7], truth_classes_suffix="_classes", confidence_interval=0.95,
    )  # fmt: skip
    assert result.settings == expected.settings
    # Opening the pair sets Evaluate to the run's settings: the map's own classes.
    dataset.open_image("a", wait=True)
    assert widget.evaluate.pred_classes_combo.choice() == MAP_CLASSES
    assert widget.evaluate.true_classes_combo.layer() is not None


def test_the_dataset_tabs_box_leaves_class_0_out_of_the_means(make_napari_viewer, tmp_path):
    true, pred = three_classes()
    for name, image in (("truth", true), ("pred", pred)):
        (tmp_path / name).mkdir()
        np.save(tmp_path / name / "a.npy", image.astype(np.int32))
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    dataset = widget.dataset
    dataset.set_folders(truth=tmp_path / "truth", prediction=tmp_path / "pred")
    dataset.set_options(kind="semantic", binarize_semantic=False, include_background=False)
    assert not dataset.background_check.isChecked()
    assert "MONAI's include_background" in dataset.background_check.toolTip()
    result = dataset.run(wait=True)
    assert result is not None, dataset.status_label.text()
    # By hand (three_classes): (2/3 + 1/2) / 2 = 7/12 without class 0.
    assert result.summary["mean_iou_pooled"] == pytest.approx(7 / 12)
    assert result.settings.include_background is False
    record = json.loads(json.dumps(result.settings.to_dict()))
    assert record["include_background"] is False
    # Opening the pair sets the Evaluate tab's box as the run had it.
    dataset.open_image("a", wait=True)
    assert not widget.evaluate.background_check.isChecked()
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("semantic", "mean_iou")] == pytest.approx(7 / 12)
    pooled = result["semantic"].pooled.set_index("class")
    assert pooled["iou"].tolist() == pytest.approx([1 / 3, 2 / 3, 1 / 2])  # still per class
    assert pooled["in_means"].tolist() == [False, True, True]
