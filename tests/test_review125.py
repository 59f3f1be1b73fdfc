"""The Review tab shows what the user asked to see (trial121, review125): a merge or a split
whole, on the plane where it is, with its kind named on hover, over no threshold contour, with
a legend that reads on either theme and the model's confidence in view."""

import numpy as np
import pytest

from napari_seg_eval._qt.review import involved_objects
from napari_seg_eval._qt.widget import SegEvalWidget
from napari_seg_eval.evaluation import evaluate


def dock(viewer, truth="truth", pred="pred"):
    """The dock, built as napari's plugin menu builds it, comparing ``truth`` and ``pred``."""
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation", area="right")
    widget.set_ground_truth(truth)
    widget.set_prediction(pred)
    widget.evaluate.kind_combo.setCurrentText("instance")
    return widget


def visible_rectangle(viewer):
    """World (rows, columns) of the canvas's corners, from the camera."""
    center = np.asarray(viewer.scene.camera.center[-2:])
    half = np.asarray(viewer.canvas.size, float) / viewer.scene.camera.zoom / 2
    return center - half, center + half


def select(review, kind, label):
    rows = review.rows()
    found = (rows["kind"] == kind).to_numpy() & (rows["label"] == label).to_numpy()
    review.select_row(int(np.flatnonzero(found)[0]))


def merge_2d():
    """pred 10 holds all of true 1 (rows 10..29, columns 10..29: 400 px) and true 2 (rows
    10..29, columns 31..50: 400 px) and the column between them (20 px): 820 px. IoU of each
    400 / 820 < 0.5, so nothing matches; pred 10 holds more than half of both: true 1 and 2
    are merged, pred 10 a merge."""
    true = np.zeros((60, 120), np.int32)
    pred = np.zeros_like(true)
    true[10:30, 10:30] = 1
    true[10:30, 31:51] = 2
    pred[10:30, 10:51] = 10
    return true, pred


def test_a_merged_row_zooms_to_the_object_and_every_object_of_the_merge(make_napari_viewer):
    true, pred = merge_2d()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = dock(viewer)
    widget.run_evaluation(wait=True)
    review = widget.review
    assert review.objects.set_index(["kind", "label"])["error"].to_dict() == {
        ("true", 1): "merged",
        ("true", 2): "merged",
        ("pred", 10): "merge",
    }
    for kind, label in (("true", 1), ("true", 2), ("pred", 10)):
        viewer.reset_view()
        select(review, kind, label)
        # the union of true 1, true 2 and pred 10: rows 10..29, columns 10..50, pixel edges
        # 9.5..29.5 and 9.5..50.5; centred on (19.5, 30), whichever of the three is selected
        assert viewer.scene.camera.center[-2:] == pytest.approx((19.5, 30.0)), (kind, label)
        low, high = visible_rectangle(viewer)
        assert np.all(low <= [9.5, 9.5]) and np.all(high >= [29.5, 50.5]), (kind, label)
        # the margin is the same as for one object: half the size on each side, so the view
        # spans at most twice the union (41 columns, 20 rows) in its narrower fit
        assert np.min((high - low) / [20, 41]) <= 2 + 1e-9


def kinds_case():
    """As tests/test_review_widget.py: merged 1, 2 into pred 10; true 3 split into 11, 12;
    true 4 / pred 13 a poor overlap; true 5 missed; pred 14 spurious; true 6 = pred 15."""
    true = np.zeros((40, 60), np.int32)
    pred = np.zeros((40, 60), np.int32)
    true[2:6, 2:8], true[2:6, 9:15], pred[2:6, 2:15] = 1, 2, 10
    true[10:14, 2:22], pred[10:14, 2:10], pred[10:14, 12:20] = 3, 11, 12
    true[18:22, 2:8], pred[18:22, 6:14] = 4, 13
    true[26:30, 2:6], pred[26:30, 40:44] = 5, 14
    true[34:38, 2:10], pred[34:38, 2:10] = 6, 15
    return true, pred


def test_the_objects_a_merge_or_a_split_involves():
    result = evaluate(*kinds_case(), kind="instance").instance

    def found(side, label, error):
        return sorted((s, int(i)) for s, i in involved_objects(result, side, label, error))

    # pred 10 holds all 24 px of true 1 and of true 2: each merged one brings the merge and
    # the other; the merge brings both
    assert found("true", 1, "merged") == [("pred", 10), ("true", 2)]
    assert found("pred", 10, "merge") == [("true", 1), ("true", 2)]
    # preds 11 and 12 lie wholly inside true 3: the split brings both, a fragment the split
    # object and the other fragment
    assert found("true", 3, "split") == [("pred", 11), ("pred", 12)]
    assert found("pred", 12, "fragment") == [("pred", 11), ("true", 3)]
    # no merge or split: no one (the row's partner is added by the panel)
    assert found("true", 4, "poor overlap") == [] and found("true", 5, "missed") == []


def merge_3d():
    """A 13 x 40 x 60 stack. true 1: planes 1..3, rows 5..14, columns 5..14 (3 x 100 px).
    true 2: planes 8..10, rows 20..29 (or 19..30), columns 40..49 (or 39..50): 100, 144, 100 px
    = 344 px. pred 10: both and a 4 x 4 bridge in planes 4..7 (64 px): 708 px. IoU 300 / 708
    and 344 / 708 (0.486): no match; pred 10 holds all of both: a merge.

    pred 10's centroid plane: (300 * 2 + 100 * 8 + 144 * 9 + 100 * 10 + 64 * 5.5) / 708
    = 4048 / 708 = 5.72: plane 6, where only the 4 x 4 bridge is. Its pixels per plane:
    100 in 1..3, 16 in 4..7, 100, 144, 100 in 8..10: most in plane 9."""
    true = np.zeros((13, 40, 60), np.int32)
    true[1:4, 5:15, 5:15] = 1
    true[8:11, 20:30, 40:50] = 2
    true[9, 19:31, 39:51] = 2
    pred = np.where(true > 0, 10, 0).astype(np.int32)
    pred[4:8, 12:16, 20:24] = 10
    assert (pred == 10).sum() == 708 and (true == 2).sum() == 344
    return true, pred


def test_in_3d_a_row_goes_to_the_plane_where_the_object_and_its_partners_are_most(
    make_napari_viewer,
):
    true, pred = merge_3d()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth", scale=(2, 1, 1))
    viewer.add_labels(pred, name="pred", scale=(2, 1, 1))
    widget = dock(viewer)
    widget.run_evaluation(wait=True)
    review = widget.review
    assert review.objects.set_index(["kind", "label"])["error"].to_dict()[("pred", 10)] == "merge"
    select(review, "pred", 10)
    assert viewer.dims.current_step[0] == 9  # not 6, the bridge's plane
    assert viewer.dims.point[0] == pytest.approx(18.0)  # plane 9 at z-scale 2
    # true 1 (merged) is in planes 1..3 only: among them, where it and pred 10, true 2 are
    # most: 100 px in each, a tie, to the plane nearest its centroid (plane 2)
    select(review, "true", 1)
    assert viewer.dims.current_step[0] == 2
    # true 2: 144 px in plane 9 (pred 10 the same pixels there), 100 in 8 and 10
    select(review, "true", 2)
    assert viewer.dims.current_step[0] == 9


def test_hovering_the_error_layers_names_the_kind(make_napari_viewer):
    true, pred = kinds_case()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = dock(viewer)
    widget.evaluate.kind_combo.setCurrentText("both")  # objects and pixels
    widget.run_evaluation(wait=True)
    review = widget.review
    layer = review.show_errors(wait=True)
    # (27, 3): true 5, missed (value 2); (3, 3): true 1 merged (4); (19, 3): true 4 poor
    # overlap (8); (19, 12): pred 13 poor overlap (9); (35, 3): matched (1)
    for position, name in (
        ((27, 3), "missed"),
        ((3, 3), "merged"),
        ((19, 3), "poor overlap (true object)"),
        ((19, 12), "poor overlap (prediction)"),
        ((35, 3), "matched"),
        ((27, 41), "spurious"),
    ):
        status = layer.get_status(position, world=True)["coordinates"]
        assert status.endswith(f"; error: {name}"), status
    # the background (0): nothing added, not napari's "[No Properties]"
    assert layer.get_status((0, 0), world=True)["coordinates"] == "[0, 0]: 0"
    review.errors_combo.setCurrentIndex(1)  # pixels of class 1 (foreground)
    pixels = review.show_errors(wait=True)
    assert pixels is layer
    # (27, 3): true foreground, no prediction: a missed pixel; (27, 41) the reverse
    assert pixels.get_status((27, 3), world=True)["coordinates"].endswith(
        "; error: missed pixel (FN)"
    )
    assert pixels.get_status((27, 41), world=True)["coordinates"].endswith(
        "; error: false pixel (FP)"
    )


def small_case():
    """true 1 matched by pred 3 (IoU 0.75); true 2 missed; pred 7 false; a map of 0.9 on the
    predictions, 0.4 on true 2, 0.1 elsewhere."""
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


def test_show_errors_hides_the_maps_threshold_contour(make_napari_viewer):
    true, pred, prob = small_case()
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob")
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = dock(viewer)
    widget.set_probability_layer("prob")
    widget.apply_confidence_colormap()
    contour = next(layer for layer in viewer.layers if layer.name == "prob contour")
    assert contour.visible
    widget.run_evaluation(wait=True)
    review = widget.review
    review.show_errors(wait=True)
    assert not contour.visible  # no green outlines over the error colours


def test_the_mean_confidence_is_next_to_the_error_kind_and_iou(make_napari_viewer):
    true, pred, prob = small_case()
    viewer = make_napari_viewer()
    viewer.add_image(prob, name="prob")
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = dock(viewer)
    widget.set_probability_layer("prob")
    widget.run_evaluation(wait=True)
    # in view at the dock's default width, not past partner and area
    columns = list(widget.review.rows().columns)
    assert columns[:6] == ["kind", "label", "status", "error", "iou", "mean_confidence"]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_legend_swatches_are_outlined_in_the_themes_text_colour(make_napari_viewer, theme):
    from napari.utils.theme import get_theme

    true, pred = kinds_case()
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    viewer.theme = theme
    widget = dock(viewer)
    text = get_theme(theme).text.as_hex()  # #f0f1f2 dark, #1e1e21 light
    for swatch, _ in widget.review.legend.values():
        assert f"border: 1px solid {text}" in swatch.styleSheet()
    other = "light" if theme == "dark" else "dark"
    viewer.theme = other  # the legend follows the theme
    text = get_theme(other).text.as_hex()
    swatch, _ = widget.review.legend["matched"]
    assert f"border: 1px solid {text}" in swatch.styleSheet()


def test_a_hidden_lazy_error_layer_shows_the_selected_objects_error_colours(
    make_napari_viewer, monkeypatch
):
    """A lazy single-scale pair too large to show: the error layer is added hidden, and the
    selected object showed in the truth's random colour while the legend said missed is rose.
    The selection now paints the error values of its box (each + 100) under its rings."""
    import dask.array as da

    from napari_seg_eval._napari import layers
    from napari_seg_eval.core.review import KIND_COLORS

    monkeypatch.setattr(layers, "SHOWN_LAZILY_MAX_PIXELS", 16 * 16)  # 40 x 60 is "too large"
    true, pred = kinds_case()
    viewer = make_napari_viewer()
    viewer.add_labels(da.from_array(true, chunks=20), name="truth")
    viewer.add_labels(da.from_array(pred, chunks=20), name="pred")
    widget = dock(viewer)
    widget.run_evaluation(wait=True)
    review = widget.review
    errors = review.show_errors(wait=True)
    assert not errors.visible
    select(review, "true", 5)  # missed: rows 26..29, columns 2..5; no partner
    selection = viewer.layers["truth review selection"]
    # the layer covers the ring's box only: rows 25..30, columns 1..6 (placed by translate)
    assert selection.data.shape == (6, 6) and tuple(selection.translate) == (25, 1)
    expected = ring((6, 6), slice(1, 5), slice(1, 5))  # the ring, 1
    expected[1:5, 1:5] = 2 + 100  # missed (2) under it
    np.testing.assert_array_equal(selection.data, expected)
    colors = {name: color for name, color, _ in KIND_COLORS}
    np.testing.assert_allclose(selection.colormap.map(np.array([102]))[0], colors["missed"])
    np.testing.assert_allclose(selection.colormap.map(np.array([1]))[0], (1, 1, 1, 1))
    # a merge: pred 10 (rows 2..5, columns 2..14) ringed with its partner true 1 (columns
    # 2..7): the box rows 1..6, columns 1..15; the merge's pixel between true 1 and 2
    # (column 8) is 5, the true objects' pixels 4 (merged; the true kind wins)
    select(review, "pred", 10)
    data = selection.data
    assert data.shape == (6, 15) and tuple(selection.translate) == (1, 1)
    assert data[2, 1:14].tolist() == [104] * 6 + [105] + [104] * 6


def ring(shape, rows, columns):
    """The pixels just outside a box in a 2-D array (the box's own left 0)."""
    outline = np.zeros(shape, np.int64)
    outline[
        max(rows.start - 1, 0) : rows.stop + 1, max(columns.start - 1, 0) : columns.stop + 1
    ] = 1
    outline[rows, columns] = 0
    return outline


def test_pixel_errors_leave_out_the_pixels_the_metrics_did_not_count(make_napari_viewer):
    """Regression (review156): the pixel errors of a run with an ignored truth id painted the
    ignored object's pixels as missed, though the metrics left them out."""
    true, pred, _ = small_case()  # true 2 (rows 12:16, cols 20:24) has no prediction
    viewer = make_napari_viewer()
    viewer.add_labels(true, name="truth")
    viewer.add_labels(pred, name="pred")
    widget = dock(viewer)
    widget.evaluate.kind_combo.setCurrentText("both")
    widget.evaluate.ignore_spin.setValue(2)
    widget.run_evaluation(wait=True)
    review = widget.review
    review.errors_combo.setCurrentIndex(1)  # pixels of one class
    review.class_spin.setValue(0)  # the background: predicted on the ignored object's pixels
    pixels = review.show_errors(wait=True)
    assert not pixels.data[12:16, 20:24].any()  # ignored: no error
    assert pixels.data[2:6, 8:10].all()  # true 1's pixels without a prediction: false class 0
