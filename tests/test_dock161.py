"""The dock's tabs split touching objects at the probability layer's pixel size, as the
Threshold tab's preview does; the Dataset tab's own class axis (no layer needs to be open),
its spacing for the split, and its pairs read on the run's class axis (dock161).

The 2-D dumbbell below is two boxes of 5 rows joined by a bar of 3 rows, rows 0.5 and columns
0.25 apart (the built-in sample's probability layer's scale). Counted in pixels, a box's middle
row lies 3 rows from the background and the bar's middle 2: the dynamic is 1 pixel, below the
split depth of 2, so the dumbbell is one object. In the layer's units the box's middle is
3 × 0.5 = 1.5 from the background (11 columns × 0.25 = 2.75 sideways) and the bar's 2 × 0.5 =
1.0: the dynamic 0.5 reaches the depth, 2 pixels of the finest axis (2 × 0.25 = 0.5): two.
"""

import warnings

import numpy as np
import pytest
import tifffile

import napari_seg_eval as nse
from test_split_spacing154 import two_spheres

pytest.importorskip("napari")

SAMPLE_SCALE = (0.5, 0.25)


def dumbbell() -> np.ndarray:
    """Two boxes of 5 rows × 22 columns joined by a bar 3 rows high and 12 columns long."""
    mask = np.zeros((9, 60), bool)
    mask[2:7, 2:24] = True
    mask[2:7, 36:58] = True
    mask[3:6, 24:36] = True
    return mask


def _dock(make_napari_viewer, mask: np.ndarray, scale: tuple[float, ...]):
    """A dock over a map of ``mask`` at ``scale``, its truth the two objects, the preview's
    instance output split into touching objects."""
    viewer = make_napari_viewer()
    prob = np.where(mask, 0.9, 0.1).astype(np.float32)
    viewer.add_image(prob, name="prob", scale=scale)
    truth = nse.label_instances(mask, split_touching=True, spacing=scale)
    viewer.add_labels(truth, name="truth", scale=scale)
    from napari_seg_eval._qt.widget import SegEvalWidget

    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    return viewer, widget


def _n_pred(tables) -> int:
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    return int(summary[("instance", "n_pred")])


@pytest.mark.parametrize(
    ("mask", "scale"),
    [(dumbbell(), SAMPLE_SCALE), (two_spheres(), (2.0, 0.5, 0.5))],
    ids=["sample-like 2-D", "spheres 3-D"],
)
def test_evaluate_counts_the_objects_of_the_preview(make_napari_viewer, mask, scale):
    # In pixels each is one object (the defect: Evaluate counted 1, the preview 2).
    assert nse.label_instances(mask, split_touching=True).max() == 1
    expected = nse.label_instances(mask, split_touching=True, spacing=scale)
    assert expected.max() == 2
    viewer, widget = _dock(make_napari_viewer, mask, scale)
    preview = widget.update_threshold_layer(wait=True)
    np.testing.assert_array_equal(preview.data, expected)
    assert widget.threshold_options().spacing == scale
    tables = widget.run_evaluation(wait=True)
    assert _n_pred(tables) == 2 == int(np.asarray(preview.data).max())
    assert widget.evaluation.settings.threshold_options.spacing == scale
    # the record is current: the options it was run with are the dock's
    assert not widget.evaluation.stale
    # Review reads the run's objects: the two boxes, as the preview
    np.testing.assert_array_equal(
        np.asarray(widget.evaluation.prediction) > 0, np.asarray(preview.data) > 0
    )
    # At a scale of 1 the run splits in pixels (no spacing): one object, as the preview
    for layer in viewer.layers:
        layer.scale = (1.0,) * mask.ndim
    assert widget.threshold_options().spacing is None
    assert _n_pred(widget.run_evaluation(wait=True)) == 1
    assert int(np.asarray(widget.update_threshold_layer(wait=True).data).max()) == 1


def test_confidence_analysis_sweeps_the_objects_of_the_preview(make_napari_viewer):
    # The object sweep at 0.5 counts the preview's objects: two, not the one of pixels.
    _, widget = _dock(make_napari_viewer, dumbbell(), SAMPLE_SCALE)
    confidence = widget.confidence
    confidence.truth_combo.set_layer("truth")
    confidence.metric_combo.setCurrentText(next(iter(_object_metrics())))
    results = confidence.run(wait=True)
    objects = results["objects"].set_index("threshold")
    assert objects.loc[0.5, "n_pred"] == 2
    assert confidence.results["labelling"]["spacing"] == SAMPLE_SCALE
    assert confidence.stale == ""
    widget.viewer.layers["prob"].scale = (1.0, 1.0)  # now one object in pixels
    assert confidence.stale == (
        "the map's pixel size (its layer's scale) is 1 per axis, the objects analysed were "
        "split at 0.5 × 0.25"
    )


def _object_metrics():
    from napari_seg_eval._qt.confidence_panel import OBJECT_METRICS

    return OBJECT_METRICS


# --- the Dataset tab ---------------------------------------------------------------------


@pytest.fixture
def empty_dock(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    dock = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(dock, name="Segmentation Evaluation")
    return dock


def four_class_maps(tmp_path):
    """Folders of one pair: a truth of two squares and a (4, 8, 8) softmax whose channel 1
    (class 2) wins on them, 0.7 against 0.1."""
    truth_dir, pred_dir = tmp_path / "truth", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth = np.zeros((8, 8), np.uint16)
    truth[1:4, 1:4], truth[5:7, 4:8] = 1, 2
    prob = np.full((4, 8, 8), 0.25, np.float32)
    prob[:, truth > 0] = 0.1
    prob[1, truth > 0] = 0.7
    np.save(truth_dir / "a.npy", truth)
    np.save(pred_dir / "a.npy", prob)
    return truth_dir, pred_dir


def test_an_empty_viewer_evaluates_class_maps_on_the_tabs_class_axis(empty_dock, tmp_path):
    dataset = empty_dock.dataset
    assert empty_dock.channel_axis_combo.currentData() is None  # the header offers none
    truth_dir, pred_dir = four_class_maps(tmp_path)
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(iou_thresholds="0.5", probability=True, kind="instance")
    combo = dataset.class_axis_combo
    offered = [combo.itemText(index) for index in range(combo.count())]
    assert offered == [
        "the header's Channel axis",
        "none",
        "0 (4 values)",
        "1 (8 values)",
        "2 (8 values)",
    ]
    # Without a class axis the pair fails, in the tab's words.
    result = dataset.run(wait=True)
    error = dataset.per_image.model.frame["error"].iloc[0]
    assert "choose 0 as this tab's Class axis" in error
    assert "--channel-axis" not in error and "channel_axis=" not in error
    assert result.per_image["error"].iloc[0] != ""
    assert not empty_dock.background_check.isEnabled()  # no class axis anywhere
    dataset.set_class_axis(0)
    assert dataset.settings()["channel_axis"] == 0
    # the header's "Channel 0 is background" serves the tab's class axis too
    assert empty_dock.background_check.isEnabled()
    empty_dock.background_check.setChecked(True)
    assert dataset.settings()["background_channel"] is True
    assert empty_dock.threshold_options().background_channel is False  # no header axis
    empty_dock.background_check.setChecked(False)
    result = dataset.run(wait=True)
    row = result.per_image.iloc[0]
    assert row["error"] == ""
    # both squares found (class 2 wins on them, 0.7 > 0.5), each the whole true square
    assert (row["n_true"], row["n_pred"], row["accuracy_50"]) == (2, 2, 1.0)


def test_the_headers_channel_axis_is_the_default(empty_dock):
    viewer = empty_dock.viewer
    viewer.add_image(np.full((3, 5, 6), 0.3, np.float32), name="classes")
    empty_dock.set_probability_layer("classes")
    header = empty_dock.channel_axis_combo
    header.setCurrentIndex(header.findData(0))
    dataset = empty_dock.dataset
    dataset.set_options(probability=True)
    assert dataset.class_axis_combo.currentText() == "the header's Channel axis"
    assert dataset.settings()["channel_axis"] == empty_dock.channel_axis_combo.currentData() == 0
    dataset.set_class_axis(None)
    assert dataset.settings()["channel_axis"] is None


def test_the_spacing_serves_the_split_of_probability_maps(empty_dock):
    dataset = empty_dock.dataset
    dataset.set_options(probability=True, kind="instance")
    assert not dataset.spacing_edit.isEnabled()
    empty_dock.split_check.setChecked(True)
    assert dataset.spacing_edit.isEnabled()
    assert "split" in dataset.spacing_edit.toolTip()
    dataset.spacing_edit.setText("0.5, 0.25")
    settings = dataset.settings()
    assert settings["spacing"] == (0.5, 0.25)
    dataset.set_options(probability=False)
    assert not dataset.spacing_edit.isEnabled()
    assert "spacing" not in dataset.settings() or dataset.settings()["spacing"] is None


def test_a_dataset_run_splits_at_the_tabs_spacing(empty_dock, tmp_path):
    truth_dir, pred_dir = tmp_path / "truth", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    mask = dumbbell()
    truth = nse.label_instances(mask, split_touching=True, spacing=SAMPLE_SCALE)
    np.save(truth_dir / "d.npy", truth)
    np.save(pred_dir / "d.npy", np.where(mask, 0.9, 0.1).astype(np.float32))
    dataset = empty_dock.dataset
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(iou_thresholds="0.5", probability=True, kind="instance")
    empty_dock.split_check.setChecked(True)
    assert dataset.run(wait=True).per_image.iloc[0]["n_pred"] == 1  # in pixels
    dataset.spacing_edit.setText("0.5, 0.25")  # the sample's scale
    row = dataset.run(wait=True).per_image.iloc[0]
    assert (row["n_true"], row["n_pred"], row["accuracy_50"]) == (2, 2, 1.0)


def test_a_class_last_map_stored_as_rgb_opens_on_the_runs_class_axis(tmp_path):
    from napari_seg_eval._qt.dataset_panel import _read_pair

    rng = np.random.default_rng(161)
    exp = np.exp(rng.normal(size=(5, 4, 3)))
    prob = (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*stored as RGB", DeprecationWarning)
        tifffile.imwrite(tmp_path / "p.tif", prob)  # tifffile's default: RGB samples
    np.save(tmp_path / "t.npy", np.ones((5, 4), np.uint8))
    files = {"truth": tmp_path / "t.npy", "prediction": tmp_path / "p.tif"}
    read = _read_pair(files, True, 2)
    assert read["prediction"].shape == (5, 4, 3)
    np.testing.assert_array_equal(read["prediction"], prob)


def test_the_semantic_box_says_it_compares_class_layers_pixel_by_pixel(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    widget = SegEvalWidget(make_napari_viewer())
    tip = widget.evaluate.binarize_check.toolTip()
    assert "class layers" in tip and "pixel by pixel" in tip
