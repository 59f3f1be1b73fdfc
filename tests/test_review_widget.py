"""Annotation review in the viewer: error layer, linked per-object table, queue, hover, planes."""

import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval._qt import review as review_module
from napari_seg_eval._qt.review import FILTERS
from napari_seg_eval.core.review import FN, FP, KIND_COLORS
from napari_seg_eval.evaluation import evaluate


def ring(shape, *box):
    """The outline the review draws around a box-shaped object: the pixels just outside it in
    each plane of the last two axes (one more row and column each side), within the image."""
    outline = np.zeros(shape, np.uint8)
    lead, (rows, columns) = box[:-2], box[-2:]
    grown = (
        slice(max(rows.start - 1, 0), rows.stop + 1),
        slice(max(columns.start - 1, 0), columns.stop + 1),
    )
    outline[(*lead, *grown)] = 1
    outline[box] = 0
    return outline


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


def test_error_layer_shows_kinds_equal_to_the_core_and_is_coloured(reviewed):
    _, widget = reviewed
    layer = widget.review.show_errors(wait=True)
    true, pred, _ = small_case()
    np.testing.assert_array_equal(layer.data, nse.error_map(true, pred, by="kind"))
    # true 1 and pred 3 matched (1), true 2 missed (2), pred 7 spurious (3)
    assert set(np.unique(layer.data)) == {0, 1, 2, 3}
    colors = {name: color for name, color, _ in KIND_COLORS}
    np.testing.assert_allclose(layer.colormap.map(np.array([2]))[0], colors["missed"])
    np.testing.assert_allclose(layer.colormap.map(np.array([3]))[0], colors["spurious"])
    assert tuple(layer.scale) == (2, 2)
    widget.review.iou_spin.setValue(0.8)  # IoU 0.75 no longer matches: the layer follows
    assert widget.review.show_errors(wait=True) is layer
    expected = nse.error_map(true, pred, iou_threshold=0.8, by="kind")
    np.testing.assert_array_equal(layer.data, expected)
    assert expected[3, 3] == 8  # true 1 and pred 3 now only a poor overlap


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
    true = np.zeros((10, 40, 40), np.uint16)
    true[6:9, 2:5, 7:10] = 4  # centroid (7, 3, 8)
    pred = np.zeros_like(true)
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth", scale=(3, 1, 1))
    viewer.add_labels(pred, name="pred", scale=(3, 1, 1))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.run_evaluation(wait=True)
    viewer.reset_view()
    zoom_before = viewer.scene.camera.zoom
    widget.review.select_row(0)
    assert viewer.dims.point[0] == pytest.approx(21.0)  # plane 7 at z-scale 3
    assert viewer.dims.current_step[0] == 7
    assert viewer.scene.camera.center[-2:] == pytest.approx((3, 8))
    assert viewer.layers["truth"].selected_label == 4
    assert widget.review.objects["error"].tolist() == ["missed"]
    # zoomed in on the 3 x 3 box (pixel edges 1.5..4.5, 6.5..9.5), which stays in view
    assert viewer.scene.camera.zoom > zoom_before
    low, high = visible_rectangle(viewer)
    assert np.all(low <= [1.5, 6.5]) and np.all(high >= [4.5, 9.5])
    selection = viewer.layers["truth review selection"]
    # object 4 ringed in each of its planes 6..8: rows 1..5, columns 6..10 but its own 3 x 3
    np.testing.assert_array_equal(
        selection.data, ring(true.shape, slice(6, 9), slice(2, 5), slice(7, 10))
    )
    assert selection.scale[0] == 3  # on the truth's world grid


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


# error kinds, outlines and zoom --------------------------------------------------------------
def kinds_case():
    """One object group per band of rows; kinds worked out by hand in the comments."""
    true = np.zeros((40, 60), np.int32)
    pred = np.zeros((40, 60), np.int32)
    # pred 10 (52 px) holds all of true 1 and true 2 (24 px each; IoU 24/52): merged, merge
    true[2:6, 2:8], true[2:6, 9:15], pred[2:6, 2:15] = 1, 2, 10
    # true 3 (80 px) holds all of pred 11 and pred 12 (32 px each; IoU 32/80): split, fragments
    true[10:14, 2:22], pred[10:14, 2:10], pred[10:14, 12:20] = 3, 11, 12
    # true 4 (24 px) and pred 13 (32 px) share 8 px, a third of true 4, a quarter of pred 13
    true[18:22, 2:8], pred[18:22, 6:14] = 4, 13
    # true 5 overlaps nothing (missed), pred 14 overlaps nothing (spurious)
    true[26:30, 2:6], pred[26:30, 40:44] = 5, 14
    # true 6 and pred 15 are the same box: matched
    true[34:38, 2:10], pred[34:38, 2:10] = 6, 15
    return true, pred


def evaluated(make_napari_viewer, true: np.ndarray, pred: np.ndarray):
    """A viewer with ``truth`` and ``pred`` and the dock's instance evaluation of them."""
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    return viewer, widget


@pytest.fixture
def kinds_viewer(make_napari_viewer):
    return evaluated(make_napari_viewer, *kinds_case())


def test_kinds_in_table_layer_and_legend(kinds_viewer):
    _, widget = kinds_viewer
    review = widget.review
    kinds = review.objects.set_index(["kind", "label"])["error"].to_dict()
    assert kinds == {
        ("true", 1): "merged",
        ("true", 2): "merged",
        ("true", 3): "split",
        ("true", 4): "poor overlap",
        ("true", 5): "missed",
        ("true", 6): "matched",
        ("pred", 10): "merge",
        ("pred", 11): "fragment",
        ("pred", 12): "fragment",
        ("pred", 13): "poor overlap",
        ("pred", 14): "spurious",
        ("pred", 15): "matched",
    }
    layer = review.show_errors(wait=True)
    # merged truth 4, the merge's pixel between them 5; split 6; poor overlap 8 then 9
    assert layer.data[3, 1:16].tolist() == [0] + [4] * 6 + [5] + [4] * 6 + [0]
    assert layer.data[11, 1:23].tolist() == [0] + [6] * 20 + [0]
    assert layer.data[19, 1:15].tolist() == [0] + [8] * 6 + [9] * 6 + [0]
    assert layer.data[27, 2] == 2 and layer.data[27, 41] == 3 and layer.data[35, 5] == 1
    # the legend names every kind with the colour the layer paints it in
    assert list(review.legend) == [name for name, _, _ in KIND_COLORS]
    for name, color, values in KIND_COLORS:
        swatch, text = review.legend[name]
        rgb = ", ".join(str(round(255 * c)) for c in color[:3])
        assert f"rgb({rgb})" in swatch.styleSheet() and text.text() == name
        assert "color:" not in text.styleSheet()  # the theme's text colour: light and dark
        for value in values:
            np.testing.assert_allclose(layer.colormap.map(np.array([value]))[0], color)


def test_filter_offers_the_kinds(kinds_viewer):
    _, widget = kinds_viewer
    review = widget.review
    expected = {
        "true: merged": [1, 2],
        "true: split": [3],
        "true: poor overlap": [4],
        "true: missed": [5],
        "predicted: merge": [10],
        "predicted: fragment": [11, 12],
        "predicted: poor overlap": [13],
        "predicted: spurious": [14],
    }
    for text, labels in expected.items():
        assert review.filter_combo.findText(text) >= 0
        review.filter_combo.setCurrentText(text)
        assert sorted(review.rows()["label"].tolist()) == labels, text


def test_count_line_breaks_the_misses_down_by_kind(kinds_viewer):
    _, widget = kinds_viewer
    # 5 unmatched true objects: 1, 2 merged; 3 split; 4 poor overlap; 5 with no overlap.
    # 5 unmatched predictions: 10 a merge; 11, 12 fragments; 13 poor overlap; 14 spurious.
    assert widget.review.kinds_label.text() == (
        "5 missed: 2 merged, 1 split, 1 poor overlap, 1 without any overlap · "
        "5 false: 1 merge, 2 fragments, 1 poor overlap, 1 spurious"
    )


def visible_rectangle(viewer):
    """World (rows, columns) of the canvas's corners, from the camera."""
    center = np.asarray(viewer.scene.camera.center[-2:])
    half = np.asarray(viewer.canvas.size, float) / viewer.scene.camera.zoom / 2
    return center - half, center + half


def test_selecting_a_row_zooms_to_the_object_and_outlines_it_and_its_partner(kinds_viewer):
    viewer, widget = kinds_viewer
    review = widget.review
    viewer.reset_view()
    zoom_before = viewer.scene.camera.zoom
    review.filter_combo.setCurrentText("true: split")
    review.select_row(0)
    # true 3 covers rows 10..13 and columns 2..21: pixel edges 9.5..13.5 and 1.5..21.5
    low, high = visible_rectangle(viewer)
    assert viewer.scene.camera.zoom > zoom_before
    assert np.all(low <= [9.5, 1.5]) and np.all(high >= [13.5, 21.5])
    assert viewer.scene.camera.center[-2:] == pytest.approx((11.5, 11.5))
    # zoomed, not whole-image: the view is at most twice the box plus a few pixels wide
    assert np.min(high - low) <= 2 * 20 + 2 * 8 + 1
    selection = [layer for layer in viewer.layers if "selection" in layer.name]
    assert len(selection) == 1 and selection[0].contour == 0  # the rings, drawn whole
    true, pred = kinds_case()
    # true 3 (rows 10..13, columns 2..21) ringed (1), and its partner, the fragment of
    # highest IoU (pred 11, columns 2..9; ties: smallest id), ringed (2) last; no ring on
    # either: 11 lies inside true 3, so its ring is the part of true 3's next to it (rows 9
    # and 14, columns 1..10, and column 1), not its column 10 across true 3
    expected = ring(true.shape, slice(10, 14), slice(2, 22))
    expected[(ring(true.shape, slice(10, 14), slice(2, 10)) == 1) & (expected == 1)] = 2
    np.testing.assert_array_equal(selection[0].data, expected)
    assert not selection[0].data[true == 3].any()
    assert viewer.layers[-1] is selection[0]  # on top
    review.filter_combo.setCurrentText("predicted: spurious")
    review.select_row(0)  # the outline moves: the old one is cleared
    np.testing.assert_array_equal(selection[0].data, ring(pred.shape, slice(26, 30), slice(40, 44)))
    assert viewer.scene.camera.center[-2:] == pytest.approx((27.5, 41.5))


def drawn(layer):
    """The pixels a Labels layer paints: its labelled pixels, or with ``contour`` c > 0 napari's
    contours of them (each object's pixels within c of its edge)."""
    from napari.layers.labels._labels_utils import get_contours

    data = np.asarray(layer.data)
    return (get_contours(data, layer.contour, 0) if layer.contour else data) != 0


def test_the_selection_outline_leaves_the_objects_colour_and_rings_a_single_pixel(
    make_napari_viewer,
):
    true = np.zeros((30, 30), np.int32)
    true[2:6, 2:6] = 1  # 4 x 4
    true[10:16, 10:18] = 2  # 6 x 8
    true[24, 24] = 3  # one pixel
    pred = np.zeros_like(true)
    pred[27, 3] = 9  # one pixel, spurious
    viewer, widget = evaluated(make_napari_viewer, true, pred)
    review = widget.review
    rows = review.rows()
    for label in (1, 2, 3):
        row = (rows["kind"] == "true") & (rows["label"] == label)
        review.select_row(int(np.flatnonzero(row.to_numpy())[0]))
        outline = drawn(viewer.layers["truth review selection"])
        # none of the object's own pixels under the outline: its colour reads whole
        assert not outline[true == label].any()
        # the object is ringed by its neighbours: 6 * 6 - 16 = 20 pixels around the 4 x 4,
        # 8 * 10 - 48 = 32 around the 6 x 8, 3 * 3 - 1 = 8 around the single pixel
        assert outline.sum() == {1: 20, 2: 32, 3: 8}[label]
        assert outline[true == 0].sum() == outline.sum()
    layer = viewer.layers["truth review selection"]
    # no image under the outline: the canvas is the background, white on the dark theme and
    # black on the light one
    viewer.theme = "dark"
    np.testing.assert_allclose(layer.colormap.map(1), (1, 1, 1, 1))
    viewer.theme = "light"
    np.testing.assert_allclose(layer.colormap.map(1), (0, 0, 0, 1))


def test_previous_next_zoom_too(kinds_viewer):
    viewer, widget = kinds_viewer
    review = widget.review
    review.filter_combo.setCurrentText("true objects")
    viewer.reset_view()
    review.step(1)  # true 1, merged: with pred 10 and true 2, rows 2..5, columns 2..14
    assert viewer.scene.camera.center[-2:] == pytest.approx((3.5, 8.0))
    first_zoom = viewer.scene.camera.zoom
    review.step(1)
    review.step(1)  # true 3, three times as wide: zoomed out to fit it
    assert viewer.scene.camera.center[-2:] == pytest.approx((11.5, 11.5))
    assert viewer.scene.camera.zoom < first_zoom
    review.step(-1)  # back to true 2, merged: the same three, rows 2..5, columns 2..14
    assert viewer.scene.camera.center[-2:] == pytest.approx((3.5, 8.0))


def test_prediction_outlines_over_the_truth(kinds_viewer):
    viewer, widget = kinds_viewer
    review = widget.review
    review.show_errors(wait=True)
    review.outline_check.setChecked(True)
    outlines = [layer for layer in viewer.layers if layer.name == "pred outlines"]
    assert len(outlines) == 1
    layer = outlines[0]
    np.testing.assert_array_equal(layer.data, widget.evaluation.prediction)
    assert layer.contour == 1 and layer.visible
    assert viewer.layers.index(layer) > viewer.layers.index("truth errors")
    np.testing.assert_allclose(layer.colormap.map(np.array([13]))[0], (0, 0, 0, 1))
    review.outline_check.setChecked(False)
    assert not layer.visible
    assert viewer.layers["pred"].contour == 0  # the user's layer is left alone


def test_stale_record_keeps_its_kinds_and_outlines(kinds_viewer):
    viewer, widget = kinds_viewer
    review = widget.review
    review.outline_check.setChecked(True)
    before = review.objects.copy()
    viewer.layers["pred"].paint((27, 41), 0)  # the user erases part of the spurious object
    assert widget.evaluation.stale and not review.stale_label.isHidden()
    review.refresh(wait=True)
    pd.testing.assert_frame_equal(review.objects, before)  # the record's, not the layer's
    outlines = viewer.layers["pred outlines"]
    _, pred = kinds_case()
    np.testing.assert_array_equal(outlines.data, pred)


def test_rematch_adds_kinds_in_the_worker(qtbot, kinds_viewer):
    _, widget = kinds_viewer
    review = widget.review
    with qtbot.waitSignal(review.rematch_job.finished, timeout=20_000):
        review.iou_spin.setValue(0.15)
        assert review.rematch_job.running
    true, pred = kinds_case()
    expected = nse.review_objects(true, pred, iou_threshold=0.15)
    pd.testing.assert_frame_equal(review.objects, expected)
    # at IoU 0.15 true 4 and pred 13 (IoU 8/48 = 1/6) match
    kinds = review.objects.set_index(["kind", "label"])["error"]
    assert kinds[("true", 4)] == kinds[("pred", 13)] == "matched"


def test_selection_outlines_one_frame_of_a_track(make_napari_viewer):
    # id 5 is a track over frames 0 and 1; labelled frame by frame it is one object per frame.
    true = np.zeros((2, 30, 30), np.uint16)
    true[0, 1:4, 1:4] = 5
    true[1, 10:14, 10:14] = 5
    pred = np.zeros_like(true)
    pred[1, 10:14, 10:13] = 40  # IoU 12/16 with frame 1 of the track
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth", axis_labels=("t", "y", "x"))
    viewer.add_labels(pred, name="pred", axis_labels=("t", "y", "x"))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.set_plane_axis(0)
    widget.run_evaluation(wait=True)
    review = widget.review
    rows = review.rows()
    frame_1 = (rows["kind"] == "true") & (rows["label"] == 5) & (rows["plane"] == 1)
    review.select_row(int(np.flatnonzero(frame_1.to_numpy())[0]))
    assert viewer.dims.current_step[0] == 1
    assert viewer.scene.camera.center[-2:] == pytest.approx((11.5, 11.5))
    # frame 1's object (1) and its partner, pred 40 (2, painted last; inside it, so only
    # where it borders the object's ring), ringed in frame 1 only; frame 0 untouched
    expected = ring(true.shape, slice(1, 2), slice(10, 14), slice(10, 14))
    partner = ring(true.shape, slice(1, 2), slice(10, 14), slice(10, 13)) == 1
    expected[partner & (expected == 1)] = 2
    np.testing.assert_array_equal(viewer.layers["truth review selection"].data, expected)
    missed = (rows["kind"] == "true") & (rows["plane"] == 0)
    assert rows.loc[missed, "error"].tolist() == ["missed"]


class Recording:
    """A zarr-like array that records every read."""

    def __init__(self, data, chunks):
        self.data, self.chunks = data, chunks
        self.shape, self.dtype, self.ndim = data.shape, data.dtype, data.ndim
        self.reads = []

    def __getitem__(self, index):
        block = self.data[index]
        self.reads.append(block.size)
        return block


def test_selecting_an_object_of_a_chunked_record_reads_only_its_box(make_napari_viewer):
    import dataclasses

    from napari_seg_eval.core.review import measure_both

    true, pred, _ = small_case()
    lazy_true, lazy_pred = Recording(true, (5, 5)), Recording(pred, (5, 5))
    viewer = make_napari_viewer()
    true_layer = viewer.add_labels(true, name="truth", scale=(2, 3), translate=(10, 0))
    pred_layer = viewer.add_labels(pred, name="pred", scale=(2, 3), translate=(10, 0))
    record = evaluate(lazy_true, lazy_pred, kind="instance")
    # the per-object measurements of chunked layers (the evaluation adds them in round 3)
    record = dataclasses.replace(record, measurements=measure_both(lazy_true, lazy_pred))
    record = dataclasses.replace(
        record, tables={**record.tables, "per_object": record.objects_at(0.5)}
    )
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    review = widget.review
    review.set_evaluation(record, true_layer, pred_layer)
    lazy_true.reads.clear()
    lazy_pred.reads.clear()
    rows = review.rows()
    review.select_row(int(np.flatnonzero((rows["kind"] == "true") & (rows["label"] == 1))[0]))
    # true 1 (rows 2..5, columns 2..9) ringed (1) and its partner pred 3 (columns 2..7,
    # inside it) ringed (2, last) where it borders true 1's ring: one layer of the rings'
    # box, rows 1..6 and columns 1..10 (6 x 10)
    selection = viewer.layers["truth review selection"]
    expected = ring((6, 10), slice(1, 5), slice(1, 9))
    expected[(ring((6, 10), slice(1, 5), slice(1, 7)) == 1) & (expected == 1)] = 2
    np.testing.assert_array_equal(selection.data, expected)
    # its pixel 0 is the truth's pixel (1, 1): world (10 + 2 * 1, 0 + 3 * 1)
    np.testing.assert_allclose(selection.translate, (12, 3))
    np.testing.assert_allclose(selection.data_to_world((0, 0)), true_layer.data_to_world((1, 1)))
    # only the chunks under the boxes: rows 0..9, columns 0..9 (four chunks of each image)
    assert max(lazy_true.reads + lazy_pred.reads) <= 25
    assert 0 < sum(lazy_true.reads) <= 4 * 25
    errors = review.show_errors(wait=True)
    assert not isinstance(errors.data, np.ndarray)  # lazy: painted chunk by chunk when shown


def test_a_row_without_measurements_selects_its_label_without_failing(make_napari_viewer):
    # Regression: a chunked record had no centroids, and selecting a row raised KeyError.
    true, pred, _ = small_case()
    viewer = make_napari_viewer()
    true_layer = viewer.add_labels(true, name="truth")
    pred_layer = viewer.add_labels(pred, name="pred")
    import dataclasses

    record = evaluate(Recording(true, (5, 5)), Recording(pred, (5, 5)), kind="instance")
    record = dataclasses.replace(record, measurements=None)  # as chunked records had
    record = dataclasses.replace(
        record, tables={**record.tables, "per_object": record.objects_at(0.5)}
    )
    assert "centroid_0" not in record.tables["per_object"]
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    review = widget.review
    review.set_evaluation(record, true_layer, pred_layer)
    rows = review.rows()
    review.select_row(int(np.flatnonzero((rows["kind"] == "pred") & (rows["label"] == 7))[0]))
    assert pred_layer.selected_label == 7


def test_objects_excluded_at_the_border_show_as_excluded_not_as_errors(make_napari_viewer):
    true = np.zeros((30, 40), np.int32)
    pred = np.zeros((30, 40), np.int32)
    true[0:6, 5:9] = 1  # touches the top edge: excluded
    true[12:18, 12:20] = 2
    pred[12:18, 12:20] = 3  # matches 2
    pred[24:30, 30:36] = 4  # touches the bottom edge: excluded
    pred[3:8, 5:9] = 5  # inside, over 1's lower rows: spurious once 1 is left out
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.evaluate.set_matching(exclude_border=2)
    widget.run_evaluation(wait=True)
    review = widget.review
    expected = nse.review_objects(true, pred, exclude_border=2)
    pd.testing.assert_frame_equal(review.objects, expected)
    status = review.objects.set_index(["kind", "label"])["status"].to_dict()
    assert status == {
        ("true", 2): "TP",
        ("true", 1): "excluded",
        ("pred", 3): "TP",
        ("pred", 5): "FP",
        ("pred", 4): "excluded",
    }
    layer = review.show_errors(wait=True)
    np.testing.assert_array_equal(
        layer.data, nse.error_map(true, pred, exclude_border=2, by="kind")
    )
    assert layer.data[1, 6] == 10 and layer.data[27, 32] == 10 and layer.data[5, 6] == 3
    assert "excluded at the border" in review.legend
    assert review.kinds_label.text().endswith("excluded at the border: 1 true, 1 predicted")
    assert review.status_label.text().startswith("5 rows · 1 matched · 1 false · 0 missed")
    review.filter_combo.setCurrentText("excluded at the border")
    assert review.rows()[["kind", "label"]].values.tolist() == [["true", 1], ["pred", 4]]
    review.select_row(1)  # an excluded object is found like any other
    assert viewer.layers["pred"].selected_label == 4
    assert viewer.scene.camera.center[-2:] == pytest.approx((26.5, 32.5))


# the hand-over: prepared in the worker, the rest in pieces (issue 11) ------------------------
def kinds_dock(make_napari_viewer, true, pred, **features):
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth", **features)
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    return viewer, widget


def run_until_handed_over(qtbot, widget):
    """Run in a worker; wait for the Review tab's last piece (a signal, not a time)."""
    with qtbot.waitSignal(widget.review.handed_over, timeout=60_000):
        widget.run_evaluation()


def review_columns(layer):
    return sorted(c for c in layer.features if str(c).startswith("seg_eval_"))


@pytest.mark.parametrize("chunked", [False, True])
def test_handed_over_rows_counts_and_filters_equal_the_api(qtbot, make_napari_viewer, chunked):
    true, pred = kinds_case()
    if chunked:
        import dask.array as da

        layers = (da.from_array(true, chunks=(16, 25)), da.from_array(pred, chunks=(16, 25)))
    else:
        layers = (true, pred)
    _, widget = kinds_dock(make_napari_viewer, *layers)
    run_until_handed_over(qtbot, widget)
    review = widget.review
    expected = nse.review_objects(true, pred, iou_threshold=0.5)
    got = review.objects[expected.columns]
    if not chunked:  # a numpy record measures the same columns
        pd.testing.assert_frame_equal(review.objects, expected)
    key = ["kind", "label"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    # every filter shows the API's rows that meet its conditions
    for name, conditions in FILTERS.items():
        keep = np.ones(len(expected), bool)
        for column, value in zip(("kind", "status", "error"), conditions, strict=True):
            if value is not None:
                keep &= (expected[column] == value).to_numpy()
        review.filter_combo.setCurrentText(name)
        shown = review.rows()
        assert sorted(zip(shown["kind"], shown["label"], strict=True)) == sorted(
            zip(expected["kind"][keep], expected["label"][keep], strict=True)
        ), name
        n_tp = int(((expected["kind"] == "true") & (expected["status"] == "TP")).sum())
        n_fp = int((expected["status"] == "FP").sum())
        n_fn = int((expected["status"] == "FN").sum())
        assert review.status_label.text() == (
            f"{keep.sum()} row{'' if keep.sum() == 1 else 's'} · {n_tp} matched · "
            f"{n_fp} false · {n_fn} missed at IoU ≥ 0.50"
        )
    # the count line of the kinds_case, worked out by hand (test_count_line_...)
    assert review.kinds_label.text() == (
        "5 missed: 2 merged, 1 split, 1 poor overlap, 1 without any overlap · "
        "5 false: 1 merge, 2 fragments, 1 poor overlap, 1 spurious"
    )
    hover = widget.viewer.layers["pred"].features.set_index("index")
    assert hover.loc[14, "seg_eval_error"] == "spurious" and hover.loc[10, "seg_eval_error"] == (
        "merge"
    )


def test_the_hover_rows_come_in_pieces_after_the_table(qtbot, make_napari_viewer):
    true, pred = kinds_case()
    viewer, widget = kinds_dock(make_napari_viewer, true, pred)
    record = evaluate(true, pred, kind="instance")
    rows = review_module.prepare_rows(record, record.tables["per_object"], 0.5)
    review = widget.review
    layers = viewer.layers["truth"], viewer.layers["pred"]
    with qtbot.waitSignal(review.handed_over, timeout=10_000):
        review.set_evaluation(record, *layers, rows, wait=False)
        # the table and counts are in at once; the hover rows wait for the event loop
        assert len(review.rows()) == 12 and review.kinds_label.text().startswith("5 missed")
        assert review_columns(layers[0]) == [] and review_columns(layers[1]) == []
    for layer in layers:
        assert review_columns(layer) == [
            "seg_eval_error",
            "seg_eval_iou",
            "seg_eval_partner",
            "seg_eval_status",
        ]
    assert layers[0].features.set_index("index").loc[5, "seg_eval_error"] == "missed"


def test_a_newer_hand_over_drops_the_pieces_of_the_older(qtbot, make_napari_viewer):
    true, pred = kinds_case()
    viewer, widget = kinds_dock(make_napari_viewer, true, pred, features={"index": [5], "n": [7]})
    review = widget.review
    layers = viewer.layers["truth"], viewer.layers["pred"]
    old = evaluate(true, pred, kind="instance")
    new = evaluate(true, np.where(pred == 14, 0, pred), kind="instance")  # no spurious 14
    emitted = []
    review.handed_over.connect(lambda: emitted.append(review.record))
    review.set_evaluation(old, *layers, wait=False)
    with qtbot.waitSignal(review.handed_over, timeout=10_000):
        review.set_evaluation(new, *layers, wait=False)  # before any piece of the old ran
    qtbot.waitUntil(lambda: not review._piece_timer.isActive(), timeout=10_000)
    assert emitted == [new]  # the old hand-over never finished: its pieces were dropped
    hover = layers[1].features.set_index("index")
    assert 14 not in hover.index and hover.loc[10, "seg_eval_error"] == "merge"
    # the user's own column is kept, by label
    assert layers[0].features.set_index("index").loc[5, "n"] == 7


def test_hover_rows_are_capped_with_a_notice(qtbot, make_napari_viewer, monkeypatch):
    true, pred = kinds_case()  # 6 true objects, 6 predicted
    viewer, widget = kinds_dock(make_napari_viewer, true, pred, features={"index": [1], "n": [3]})
    run_until_handed_over(qtbot, widget)  # under the cap: hover rows on both sides
    truth, prediction = viewer.layers["truth"], viewer.layers["pred"]
    assert review_columns(truth) and review_columns(prediction)
    assert widget.review.hover_label.isHidden()
    monkeypatch.setattr(review_module, "HOVER_FEATURES_MAX_OBJECTS", 5)
    run_until_handed_over(qtbot, widget)
    # 6 objects a side, more than 5: no review columns, the earlier ones removed, and why
    assert review_columns(truth) == [] and review_columns(prediction) == []
    assert truth.features.set_index("index").loc[1, "n"] == 3  # the user's column stays
    text = widget.review.hover_label.text()
    assert "'truth' shows no review columns: 6 objects, more than 5" in text
    assert "'pred' shows no review columns: 6 objects" in text
    assert not widget.review.hover_label.isHidden()
    assert len(widget.review.rows()) == 12  # the table has every object
    monkeypatch.setattr(review_module, "HOVER_FEATURES_MAX_OBJECTS", 6)  # at the cap: written
    run_until_handed_over(qtbot, widget)
    assert review_columns(truth) and widget.review.hover_label.isHidden()


def test_a_large_filter_is_taken_in_a_worker_and_the_latest_choice_wins(
    qtbot, kinds_viewer, monkeypatch
):
    _, widget = kinds_viewer
    review = widget.review
    monkeypatch.setattr(review_module, "FILTER_IN_WORKER_ROWS", 1)  # every filter of 2+ rows
    with qtbot.waitSignal(review.filter_job.finished, timeout=10_000):
        review.filter_combo.setCurrentText("predicted: fragment")
        assert review.filter_job.running  # not on the main thread
    assert sorted(review.rows()["label"].tolist()) == [11, 12]
    assert review.status_label.text().startswith("2 rows · 1 matched")
    with qtbot.waitSignal(review.filter_job.finished, timeout=10_000):
        review.filter_combo.setCurrentText("true: merged")  # 2 rows: in the worker
        review.filter_combo.setCurrentText("true: split")  # 1 row: at once, the latest
    assert review.rows()["label"].tolist() == [3]


def test_one_row_is_one_row(qtbot, make_napari_viewer):
    # one true object (4 x 6) predicted as three 4 x 2 pieces, each IoU 8/24 < 0.5: the true
    # object is missed, split; the filter "true: split" shows a single row
    viewer = make_napari_viewer()
    truth = np.zeros((8, 8), np.int32)
    truth[1:5, 1:7] = 1
    pred = np.zeros_like(truth)
    pred[1:5, 1:3], pred[1:5, 3:5], pred[1:5, 5:7] = 2, 3, 4
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    widget.review.filter_combo.setCurrentText("true: split")
    assert widget.review.status_label.text().startswith("1 row · 0 matched · 3 false · 1 missed")


def test_matched_objects_are_charcoal_on_the_light_canvas(reviewed):
    """Regression: in the light theme matched objects were pale grey (#DDDDDD) on the light
    canvas and nearly vanished."""
    viewer, widget = reviewed
    layer = widget.review.show_errors(wait=True)
    pale = (0.867, 0.867, 0.867, 1.0)
    np.testing.assert_allclose(layer.colormap.map(np.array([1]))[0], pale)
    viewer.theme = "light"  # the layer and the legend follow the theme
    charcoal = (0.133, 0.133, 0.133, 1.0)
    np.testing.assert_allclose(layer.colormap.map(np.array([1]))[0], charcoal)
    assert "rgb(34, 34, 34)" in widget.review.legend["matched"][0].styleSheet()
    colors = {name: color for name, color, _ in KIND_COLORS}
    np.testing.assert_allclose(layer.colormap.map(np.array([2]))[0], colors["missed"])
    viewer.theme = "dark"
    np.testing.assert_allclose(layer.colormap.map(np.array([1]))[0], pale)


def test_a_legend_filled_again_leaves_no_old_entry_drawn(reviewed):
    """Regression (trial150): the legend's old entries were only deleted later (when Qt's
    loop next ran), still shown meanwhile: a screenshot taken before that drew them over the
    new ones. The old entries are hidden at once."""
    viewer, widget = reviewed
    review = widget.review
    review.show_errors(wait=True)
    old = [widget_ for pair in review.legend.values() for widget_ in pair]
    viewer.theme = "light"  # fills the legend again, no event processed in between
    new = [widget_ for pair in review.legend.values() for widget_ in pair]
    assert not set(map(id, old)) & set(map(id, new))
    assert all(widget_.isHidden() for widget_ in old)
    assert not any(widget_.isHidden() for widget_ in new) and len(new) == len(old)


def test_matched_objects_take_the_grey_that_shows_on_the_image_under_them(reviewed):
    """Regression (a new user's trial): in the light theme matched objects were charcoal,
    (34, 34, 34), over a fluorescence image whose background is (32, 32, 32): they looked
    like dim nuclei. The image under the error layer is its background, in either theme:
    pale grey on a dark image, charcoal on a bright one (bright field); legend alike."""
    viewer, widget = reviewed
    dark = np.zeros((20, 30))
    dark[5:8, 5:8] = 1  # a bright nucleus on a black background
    viewer.add_image(dark, name="raw", scale=(2, 2), translate=(10, 0))
    viewer.theme = "light"
    layer = widget.review.show_errors(wait=True)
    assert viewer.layers["raw"].visible  # not compared: left shown
    pale, charcoal = (0.867, 0.867, 0.867, 1.0), (0.133, 0.133, 0.133, 1.0)
    np.testing.assert_allclose(layer.colormap.map(np.array([1]))[0], pale)
    assert "rgb(221, 221, 221)" in widget.review.legend["matched"][0].styleSheet()
    viewer.layers["raw"].data = 1 - dark  # bright field: a white background
    viewer.theme = "dark"
    np.testing.assert_allclose(layer.colormap.map(np.array([1]))[0], charcoal)
    assert "rgb(34, 34, 34)" in widget.review.legend["matched"][0].styleSheet()
    viewer.layers["raw"].visible = False  # no image under it: the theme's (black) canvas
    widget.review.show_errors(wait=True)
    np.testing.assert_allclose(layer.colormap.map(np.array([1]))[0], pale)


def test_the_hidden_layers_notice_says_what_and_why_first(reviewed, monkeypatch):
    """Regression (a new user's trial): napari's notice showed "Segmentation Evaluation: hid
    'nuclei proba…" (about 40 characters): the count, and why, now come first."""
    _, widget = reviewed
    notices = []
    monkeypatch.setattr(review_module, "show_info", notices.append)
    widget.review.show_errors(wait=True)
    assert len(notices) == 1
    assert notices[0][:40] == "Hid 3 layers to show the error colours ("
    for name in ("truth", "pred", "prob"):
        assert f"'{name}'" in notices[0]
    assert review_module.hidden_notice(["a"]).startswith("Hid 1 layer to show")


def test_the_first_error_layer_hides_the_compared_layers_once(reviewed):
    """Random label colours under the error layer made matched objects look like errors:
    the compared layers and the confidence map are hidden (not changed) when the error layer
    first appears; shown again by the user, they stay shown when the layer is updated."""
    viewer, widget = reviewed
    viewer.add_image(np.zeros((20, 30)), name="raw")  # not compared: left alone
    truth_before = viewer.layers["truth"].data.copy()
    errors = widget.review.show_errors(wait=True)
    assert errors.visible
    assert [viewer.layers[name].visible for name in ("truth", "pred", "prob", "raw")] == [
        False,
        False,
        False,
        True,
    ]
    np.testing.assert_array_equal(viewer.layers["truth"].data, truth_before)
    viewer.layers["truth"].visible = True
    widget.review.iou_spin.setValue(0.8)
    assert widget.review.show_errors(wait=True) is errors
    assert viewer.layers["truth"].visible


def test_the_class_box_is_for_pixel_errors_only(make_napari_viewer):
    """Regression (a new user's trial): the Class box was enabled with "Errors of: objects
    (instance)", where it does nothing."""
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    review = widget.review
    assert review.errors_combo.currentIndex() == 0 and not review.class_spin.isEnabled()
    assert "pixels of one class (semantic)" in review.class_spin.toolTip()
    review.errors_combo.setCurrentIndex(1)
    assert review.class_spin.isEnabled()
    review.errors_combo.setCurrentIndex(0)
    assert not review.class_spin.isEnabled()


# Whole slides: the errors of pyramids are a pyramid (a new user's trial 13, finding 3) -------
def disks(size: int, offset: int, skip: int) -> np.ndarray:
    """Disks of radius 7 every 32 pixels, numbered from 1; every ``skip``-th left out; all
    shifted ``offset`` pixels to the right."""
    rows, cols = np.mgrid[:size, :size]
    labels = np.zeros((size, size), np.uint32)
    centres = [(r, c) for r in range(16, size, 32) for c in range(16, size, 32)]
    for n, (r, c) in enumerate(centres, start=1):
        if n % skip:
            labels[(rows - r) ** 2 + (cols - c - offset) ** 2 <= 49] = n
    return labels


def pyramid(level0: np.ndarray, chunks: int = 64, n_levels: int = 3) -> list:
    """A lazy pyramid as an OME-Zarr's: level k picks every 2**k-th pixel, stored on its own."""
    import dask.array as da

    return [da.from_array(level0[:: 2**k, :: 2**k].copy(), chunks=chunks) for k in range(n_levels)]


@pytest.fixture
def slide_pair(make_napari_viewer, monkeypatch):
    """A 256 x 256 truth and prediction, 3-level lazy pyramids; a lazy plane above 64 x 64
    counts as too large to show."""
    from napari_seg_eval._napari import layers

    monkeypatch.setattr(layers, "SHOWN_LAZILY_MAX_PIXELS", 64 * 64)
    true, pred = disks(256, 0, 5), disks(256, 2, 7)  # shifted 2: matched; some missed, spurious
    viewer = make_napari_viewer()
    viewer.add_labels(pyramid(true), name="truth", multiscale=True)
    viewer.add_labels(pyramid(pred), name="pred", multiscale=True)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    return viewer, widget, true, pred


def test_the_errors_of_two_pyramids_are_a_pyramid_shown_over_the_image(slide_pair):
    viewer, widget, true, pred = slide_pair
    errors = widget.review.show_errors(wait=True)
    assert errors.multiscale and errors.visible and len(errors.data) == 3
    full = nse.error_map(true, pred, by="kind")
    assert {1, 2, 3} <= set(np.unique(full))  # matched, missed and spurious objects
    np.testing.assert_array_equal(np.asarray(errors.data[0]), full)
    # Painting is pixel by pixel: the map of the picked pixels is the picked pixels of the map.
    for k in (1, 2):
        level = errors.data[k]
        assert not isinstance(level, np.ndarray)  # lazy: napari reads the tiles it shows
        np.testing.assert_array_equal(np.asarray(level), full[:: 2**k, :: 2**k])
    # the error layer is shown: the compared layers are hidden beneath it
    assert not viewer.layers["truth"].visible and not viewer.layers["pred"].visible
    widget.review.outline_check.setChecked(True)  # the predicted outlines: a pyramid too
    outlines = viewer.layers["pred outlines"]
    assert outlines.multiscale and outlines.visible
    assert outlines.data[0] is widget.evaluation.prediction
    np.testing.assert_array_equal(np.asarray(outlines.data[2]), pred[::4, ::4])


def test_a_changed_setting_keeps_the_errors_a_pyramid_and_the_canvas_never_black(slide_pair):
    """Regression (a new user's trial): after a setting changed (the record out of date, its
    arrays still those of the layers), Show errors made a hidden single-scale layer while the
    compared layers stayed hidden from the first Show: a black canvas. The pyramid stays; and
    when the error layer does end hidden (the layers' data replaced), the layers it hid are
    shown again."""
    viewer, widget, _, pred = slide_pair
    errors = widget.review.show_errors(wait=True)
    widget.evaluate.border_spin.setValue(2)
    assert widget.evaluation.stale
    assert widget.review.show_errors(wait=True) is errors
    assert errors.multiscale and errors.visible
    viewer.layers["pred"].data = pyramid(np.roll(pred, 1, axis=0))  # other data, same levels
    errors = widget.review.show_errors(wait=True)
    assert not errors.multiscale and not errors.visible  # level 0 only: lazy, too large
    assert viewer.layers["truth"].visible and viewer.layers["pred"].visible


def test_a_hidden_error_layer_leaves_the_compared_layers_shown(make_napari_viewer, monkeypatch):
    """A lazy single-scale error map too large to show is added hidden; hiding the compared
    layers too left a black canvas. Its notice gives no advice to open a pyramid when the
    truth already is one."""
    import dask.array as da

    from napari_seg_eval._napari import layers

    monkeypatch.setattr(layers, "SHOWN_LAZILY_MAX_PIXELS", 64 * 64)
    said = []
    monkeypatch.setattr(layers, "show_info", said.append)
    monkeypatch.setattr(review_module, "show_info", said.append)
    true, pred = disks(256, 0, 5), disks(256, 2, 7)
    viewer = make_napari_viewer()
    viewer.add_labels(pyramid(true), name="truth", multiscale=True)
    viewer.add_labels(da.from_array(pred, chunks=64), name="pred")  # one level only
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    errors = widget.review.show_errors(wait=True)
    assert not errors.multiscale and not errors.visible
    assert viewer.layers["truth"].visible and viewer.layers["pred"].visible
    (notice,) = [text for text in said if "errors" in text]
    assert notice.startswith("'truth errors' is lazy and too large to show")
    assert "open the data as a multiscale pyramid" not in notice
    assert "'truth' is a pyramid" in notice
    assert not any(text.startswith("Hid ") for text in said)


def test_the_counts_have_thousands_separators(make_napari_viewer):
    """Regression (trial 13): "1,051 rows · 29253 matched · 1051 false"."""
    true = np.zeros((99, 102), np.int32)
    true[::3, ::3] = np.arange(1, 33 * 34 + 1).reshape(33, 34)  # 1,122 one-pixel objects
    pred = np.zeros_like(true)
    pred[0, 1] = 5000  # one spurious prediction
    _, widget = evaluated(make_napari_viewer, true, pred)
    review = widget.review
    assert review.status_label.text().startswith(
        "1,123 rows · 0 matched · 1 false · 1,122 missed at IoU ≥ 0.50"
    )
    assert (
        review.kinds_label.text() == "1,122 missed: 1,122 without any overlap · 1 false: 1 spurious"
    )


def test_the_threshold_preview_of_the_compared_map_is_hidden_with_it(reviewed):
    """Seen on a whole slide: the map's threshold preview stayed shown under the error layer
    and tinted matched objects. It is hidden with the compared layers (not changed); so is the
    header's preview of another map (trial198: a softmax beside a Labels pair, its preview
    covered the image around the error colours), kept as it was."""
    viewer, widget = reviewed
    preview = widget.update_threshold_layer(wait=True)
    assert preview is not None and preview.visible
    data = preview.data.copy()
    other = viewer.add_image(np.zeros((20, 30)), name="other map")
    widget.set_probability_layer(other)
    other_preview = widget.update_threshold_layer(wait=True)
    other_data = other_preview.data.copy()
    widget.review.show_errors(wait=True)
    assert not preview.visible
    np.testing.assert_array_equal(preview.data, data)
    assert not other_preview.visible and other_preview in viewer.layers
    np.testing.assert_array_equal(other_preview.data, other_data)


def test_an_error_layer_the_user_hid_leaves_the_compared_layers_as_they_are(kinds_viewer):
    """Regression (review): a small error layer hidden by the user (its eye) showed the
    compared layers again at the next update, with a notice blaming its size."""
    viewer, widget = kinds_viewer
    errors = widget.review.show_errors(wait=True)
    assert errors.visible and not viewer.layers["truth"].visible
    errors.visible = False
    widget.review.iou_spin.setValue(0.8)
    assert widget.review.show_errors(wait=True) is errors
    assert not errors.visible
    assert not viewer.layers["truth"].visible and not viewer.layers["pred"].visible
