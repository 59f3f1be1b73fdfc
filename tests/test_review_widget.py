"""Annotation review in the viewer: error layer, linked per-object table, queue, hover, planes."""

import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval.core.review import ERROR_COLORS, FN, FP, TP


def small_case():
    """true 1 matched by pred 3 (IoU 0.75); true 2 missed; pred 7 false."""
    true = np.zeros((20, 30), np.int32)
    pred = np.zeros((20, 30), np.int32)
    true[2:6, 2:10] = 1
    pred[2:6, 2:8] = 3
    true[12:16, 20:24] = 2
    pred[14:18, 2:6] = 7
    prob = np.full((20, 30), 0.1, np.float32)
    prob[pred > 0] = 0.9
    prob[true == 2] = 0.4
    return true, pred, prob


@pytest.fixture
def reviewed(make_napari_viewer):
    true, pred, prob = small_case()
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob", scale=(2, 2), translate=(10, 0))
    viewer.add_labels(true, name="truth", scale=(2, 2), translate=(10, 0))
    viewer.add_labels(pred, name="pred", scale=(2, 2), translate=(10, 0))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    return viewer, widget


def test_object_rows_equal_the_core(reviewed):
    _, widget = reviewed
    true, pred, prob = small_case()
    expected = nse.review_objects(true, pred, probability=prob)
    pd.testing.assert_frame_equal(widget.review.objects, expected)
    row = expected.set_index(["kind", "label"]).loc[("true", 2)]
    assert row["status"] == "FN" and row["mean_confidence"] == pytest.approx(0.4)


def test_error_layer_equals_core_and_is_coloured(reviewed):
    _, widget = reviewed
    layer = widget.review.show_errors(wait=True)
    true, pred, _ = small_case()
    np.testing.assert_array_equal(layer.data, nse.error_map(true, pred))
    assert set(np.unique(layer.data)) == {0, TP, FP, FN}
    np.testing.assert_allclose(layer.colormap.map(np.array([FN]))[0], ERROR_COLORS[FN])
    assert tuple(layer.scale) == (2, 2)
    widget.review.iou_spin.setValue(0.8)  # IoU 0.75 no longer matches: the layer follows
    assert widget.review.show_errors(wait=True) is layer
    np.testing.assert_array_equal(layer.data, nse.error_map(true, pred, iou_threshold=0.8))


def test_selecting_a_row_moves_the_camera_and_selects_the_label(reviewed):
    viewer, widget = reviewed
    review = widget.review
    review.filter_combo.setCurrentText("missed true objects (FN)")
    assert review.rows()["label"].tolist() == [2]
    review.select_row(0)
    # true 2 spans rows 12..15, cols 20..23: centroid (13.5, 21.5) -> world (37, 43)
    assert viewer.scene.camera.center[-2:] == pytest.approx((10 + 2 * 13.5, 2 * 21.5))
    assert viewer.layers["truth"].selected_label == 2


def test_clicking_a_label_selects_its_row(reviewed):
    viewer, widget = reviewed
    viewer.layers["pred"].selected_label = 7
    row = widget.review.rows().iloc[widget.review.table.view.currentIndex().row()]
    assert (row["kind"], row["label"]) == ("pred", 7)


def test_queue_walks_the_rows_in_their_order(reviewed):
    _, widget = reviewed
    review = widget.review
    column = list(review.rows().columns).index("mean_confidence")
    review.table.view.sortByColumn(column, widget_qt().SortOrder.AscendingOrder)
    order = review.rows()[["kind", "label"]].apply(tuple, axis=1).tolist()
    visited = []
    for _ in range(len(order) + 1):  # one step past the end stays on the last row
        review.step(1)
        row = review.rows().iloc[review.table.view.currentIndex().row()]
        visited.append((row["kind"], row["label"]))
    assert visited == [*order, order[-1]]
    review.step(-1)
    assert review.table.view.currentIndex().row() == len(order) - 2
    confidences = review.rows()["mean_confidence"].tolist()
    assert confidences == sorted(confidences)


def widget_qt():
    from qtpy.QtCore import Qt

    return Qt


def test_hover_features_and_user_features_kept(make_napari_viewer):
    true, pred, _ = small_case()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth", features={"index": [1, 2], "note": ["a", "b"]})
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.run_evaluation(wait=True)
    features = viewer.layers["truth"].features.set_index("index")
    assert features.loc[2, "note"] == "b" and features.loc[2, "seg_eval_status"] == "FN"
    assert features.loc[1, "seg_eval_iou"] == pytest.approx(0.75)
    status = viewer.layers["pred"]._get_properties((15, 3))
    assert "seg_eval_status: FP" in status


def test_per_plane_equals_each_plane_and_moves_the_viewer(make_napari_viewer):
    rng = np.random.default_rng(3)
    planes = []
    for _ in range(4):
        true = np.zeros((16, 16), np.int32)
        pred = np.zeros((16, 16), np.int32)
        for label in range(1, 4):
            r, c = rng.integers(0, 12, 2)
            true[r : r + 4, c : c + 4] = label
            dr = rng.integers(-1, 2)
            pred[max(r + dr, 0) : r + dr + 4, c : c + 4] = label
        planes.append((true, pred))
    true = np.stack([t for t, _ in planes])
    pred = np.stack([p for _, p in planes])
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.plane_axis_combo.setCurrentIndex(widget.evaluate.plane_axis_combo.findData(0))
    tables = widget.run_evaluation(wait=True)
    per_plane = tables["per_plane"]
    for index, (t, p) in enumerate(planes):
        single = nse.instance_metrics(t, p)
        assert per_plane.loc[index, "f1_50"] == pytest.approx(single.summary["f1_50"], nan_ok=True)
        assert per_plane.loc[index, "mean_iou"] == pytest.approx(
            nse.semantic_metrics(t > 0, p > 0).summary["mean_iou"]
        )
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    pooled = nse.dataset_metrics(list(true), list(pred))
    assert summary[("instance per plane", "f1_50_pooled")] == pytest.approx(
        pooled.summary["f1_50_pooled"]
    )
    assert (
        not widget.evaluate.plane_plot.isHidden()
        and len(widget.evaluate.plane_plot.axes.lines) == 3
    )
    widget.evaluate.tables["per_plane"].view.setCurrentIndex(
        widget.evaluate.tables["per_plane"].model.index(2, 0)
    )
    assert viewer.dims.current_step[0] == 2


def test_selecting_a_row_in_3d_moves_the_slider_to_the_object(make_napari_viewer):
    true = np.zeros((10, 12, 12), np.uint16)
    true[6:9, 2:5, 7:10] = 4  # centroid (7, 3, 8)
    pred = np.zeros_like(true)
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth", scale=(3, 1, 1))
    viewer.add_labels(pred, name="pred", scale=(3, 1, 1))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.run_evaluation(wait=True)
    widget.review.select_row(0)
    assert viewer.dims.point[0] == pytest.approx(21.0)  # plane 7 at z-scale 3
    assert viewer.dims.current_step[0] == 7
    assert viewer.scene.camera.center[-2:] == pytest.approx((3, 8))
    assert viewer.layers["truth"].selected_label == 4


def test_status_line_counts_matches_once(reviewed):
    _, widget = reviewed
    assert widget.review.status_label.text().startswith("4 rows · 1 matched · 1 false · 1 missed")


def test_semantic_pixel_error_map_per_class(make_napari_viewer):
    true = np.array([[0, 1, 1, 2, 2, 0]] * 3, np.int32)
    pred = np.array([[1, 1, 0, 2, 1, 0]] * 3, np.int32)
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="classes", scale=(2, 2))
    viewer.add_labels(pred, name="predicted classes")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("classes")
    widget.set_prediction("predicted classes")
    widget.evaluate.kind_combo.setCurrentText("semantic")
    widget.evaluate.binarize_check.setChecked(False)
    widget.run_evaluation(wait=True)
    review = widget.review
    assert review.errors_combo.currentIndex() == 1  # no instance result: pixel errors
    review.class_spin.setValue(2)
    layer = review.show_errors(wait=True)
    np.testing.assert_array_equal(layer.data, nse.semantic_error_map(true, pred, 2))
    assert layer.data[0].tolist() == [0, 0, 0, 0, FN, 0] and tuple(layer.scale) == (2, 2)
    review.class_spin.setValue(1)
    review.show_errors(wait=True)
    assert layer.data[0].tolist() == [FP, 0, FN, 0, FP, 0]
