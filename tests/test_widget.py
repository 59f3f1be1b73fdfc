"""The dock widget driven as a user would, checked against the core on the same arrays."""

import numpy as np
import pandas as pd
import pytest
from qtpy.QtWidgets import QApplication

import napari_seg_eval as nse
from napari_seg_eval._qt import widget as widget_module
from napari_seg_eval.core.colormap import GREEN, map_confidence
from napari_seg_eval.core.review import KIND_COLORS

pytest.importorskip("napari")

from widget_helpers import settle_preview


@pytest.fixture
def dock(make_napari_viewer, sample):
    viewer = make_napari_viewer()
    viewer.add_image(sample["image"], name="image")
    viewer.add_image(sample["probability"], name="prob", scale=(0.5, 0.25), translate=(3, 4))
    viewer.add_labels(sample["ground_truth"], name="truth", scale=(0.5, 0.25), translate=(3, 4))
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return viewer, widget


def test_tabs_scroll_so_the_dock_fits_a_laptop_screen(dock):
    _, widget = dock
    widget.dataset.options.expand(animate=False)  # the tallest page, with its options open
    tallest = max(widget.tabs.widget(i).widget().minimumSizeHint().height() for i in range(7))
    # without scrolling the dock could be no shorter than its tallest page plus the header
    assert widget.minimumSizeHint().height() < tallest / 2
    widget.tabs.setCurrentWidget(widget.dataset)
    assert widget.tabs.tabText(widget.tabs.indexOf(widget.dataset)) == "Dataset"
    assert widget.tabs.currentIndex() == widget.tabs.indexOf(widget.dataset)


def test_every_tab_is_in_sight_at_the_docks_first_size(make_napari_viewer, sample):
    """Regression: in a 1500 x 1000 window the dock was docked narrower than its tab bar, and
    Dataset and Runs were hidden behind the bar's scroll arrows."""
    viewer = make_napari_viewer(show=True)
    window = viewer.window._qt_window
    window.resize(1500, 1000)
    viewer.add_image(sample["probability"], name="prob")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    QApplication.processEvents()
    bar = widget.tabs.tabBar()
    assert bar.count() == 7 and bar.isVisible()
    for index in range(bar.count()):
        assert bar.rect().contains(bar.tabRect(index)), bar.tabText(index)
    # no wider than it asks for (its tab bar and margins): the canvas keeps the rest
    assert widget.width() <= max(widget.sizeHint().width(), widget.minimumSizeHint().width())


def wait_preview(qtbot, widget):
    """Start the preview now (not after the slider's debounce) and wait for its job. A preview
    already running ends first: its ``finished`` is not this one's."""
    widget._preview_timer.stop()
    settle_preview(qtbot, widget)
    with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
        widget.update_threshold_layer()


def test_plugin_dock_widget_is_ours(dock):
    _, widget = dock
    assert isinstance(widget, widget_module.SegEvalWidget)
    assert widget.threshold == 0.5


def test_slider_previews_into_one_layer_in_place(qtbot, dock, sample):
    viewer, widget = dock
    widget.set_probability_layer("prob")
    widget.set_threshold(0.3)
    wait_preview(qtbot, widget)
    layer = widget.threshold_layer
    np.testing.assert_array_equal(
        layer.data, nse.threshold_probabilities(sample["probability"], 0.3)
    )
    assert tuple(layer.scale) == (0.5, 0.25) and tuple(layer.translate) == (3, 4)
    assert layer.metadata["napari-seg-eval"]["threshold"] == pytest.approx(0.3)
    assert layer.metadata["napari-seg-eval"]["source"] == "prob"
    n_layers = len(viewer.layers)

    widget.set_threshold(0.8)
    wait_preview(qtbot, widget)
    assert layer.metadata["napari-seg-eval"]["threshold"] == pytest.approx(0.8)
    assert widget.threshold_layer is layer and len(viewer.layers) == n_layers
    np.testing.assert_array_equal(layer.data, sample["probability"] > 0.8)


def test_instance_output_matches_core(qtbot, dock, sample):
    viewer, widget = dock
    widget.set_probability_layer("prob")
    widget.output_combo.setCurrentText("instance")
    widget.min_size_spin.setValue(20)
    widget.split_check.setChecked(True)
    layer = widget.update_threshold_layer(wait=True)
    mask = nse.threshold_probabilities(sample["probability"], 0.5)
    spacing = tuple(viewer.layers["prob"].scale)  # the layer's pixel size: split in its units
    assert spacing == (0.5, 0.25)
    expected = nse.label_instances(
        mask, connectivity=1, min_size=20, split_touching=True, spacing=spacing
    )
    np.testing.assert_array_equal(layer.data, expected)


def test_user_layer_with_our_name_is_never_overwritten(qtbot, dock):
    viewer, widget = dock
    mine = viewer.add_labels(np.full((256, 256), 7, np.uint8), name="prob thresholded")
    widget.set_probability_layer("prob")
    ours = widget.update_threshold_layer(wait=True)
    widget.set_threshold(0.7)
    wait_preview(qtbot, widget)
    assert ours is not mine and ours.name != "prob thresholded"
    assert (mine.data == 7).all() and "napari-seg-eval" not in mine.metadata


def test_multiclass_threshold_drops_the_class_axis(qtbot, make_napari_viewer):
    viewer = make_napari_viewer()
    prob = np.random.default_rng(0).dirichlet([1, 1, 1], size=(20, 30)).astype(np.float32)
    viewer.add_image(prob, name="classes", scale=(2, 3, 1), rgb=False)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(2))
    layer = widget.update_threshold_layer(wait=True)
    np.testing.assert_array_equal(
        layer.data, nse.threshold_probabilities(prob, 0.5, channel_axis=2)
    )
    assert tuple(layer.scale) == (2, 3)


def test_a_2d_map_offers_no_class_axis_unless_the_prediction_is_multi_class(dock):
    """A 2-D map is one image: its axis 0 as the class axis would leave 1-D labels (a new
    user's trial: "axis 0 (256 classes)" was offered, and chosen it made the preview fail).
    Only "none" is offered, until a multi-class map (one axis more) is the prediction: the
    header's class axis is that map's too, and its axes are offered, the shortest first."""
    viewer, widget = dock
    widget.set_probability_layer("prob")
    offered = [
        widget.channel_axis_combo.itemData(i) for i in range(widget.channel_axis_combo.count())
    ]
    assert offered == [None]
    shape = viewer.layers["prob"].data.shape  # (256, 256)
    viewer.add_image(np.zeros((3, *shape), np.float32), name="softmax")
    widget.set_prediction("softmax")
    combo = widget.channel_axis_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [None, 0, 1, 2]
    combo.setCurrentIndex(combo.findData(0))  # the user's choice: kept while offered
    widget.set_prediction("softmax")
    assert combo.currentData() == 0
    widget.set_prediction("prob")  # back to a 2-D prediction: nothing to offer
    assert [combo.itemData(i) for i in range(combo.count())] == [None]


def test_confidence_colormap_marks_the_threshold(dock):
    viewer, widget = dock
    widget.set_probability_layer("prob")
    original = viewer.layers["prob"]
    look = (original.colormap.name, original.blending, original.opacity, original.contrast_limits)
    layer = widget.apply_confidence_colormap()
    assert layer is original
    assert layer.contrast_limits == [0.0, 1.0] and layer.blending == "translucent"
    values = [0.0, 0.48, 0.5, 0.52, 1.0]
    np.testing.assert_allclose(layer.colormap.map(values), map_confidence(values, 0.5), atol=1e-6)
    np.testing.assert_allclose(layer.colormap.map([0.5])[0], GREEN, atol=1e-6)
    widget.set_threshold(0.3)  # the green mark follows the slider
    np.testing.assert_allclose(layer.colormap.map([0.3])[0], GREEN, atol=1e-6)
    assert widget.colorbar.threshold == pytest.approx(0.3)
    from napari.utils.colormaps import AVAILABLE_COLORMAPS

    assert "napari-seg-eval:confidence" in AVAILABLE_COLORMAPS
    widget.restore_look(layer)
    assert (layer.colormap.name, layer.blending, layer.opacity, layer.contrast_limits) == look


def test_colorbar_shows_the_colormap(dock):
    _, widget = dock
    colors = widget.colorbar.colors(101)
    assert colors.shape == (101, 4)
    np.testing.assert_array_equal(colors[50], (np.array(GREEN) * 255).round())
    assert colors[10][2] > colors[10][0] and colors[90][0] > colors[90][2]  # blue low, red high


def test_combos_follow_add_remove_rename(dock):
    viewer, widget = dock
    names = lambda combo: [combo.itemText(i) for i in range(combo.count())]  # noqa: E731
    assert names(widget.evaluate.truth_combo) == ["truth"]
    extra = viewer.add_labels(np.zeros((256, 256), np.uint8), name="extra")
    assert names(widget.evaluate.truth_combo) == ["truth", "extra"]
    widget.set_ground_truth("truth")
    extra.name = "renamed"
    assert names(widget.evaluate.truth_combo) == ["truth", "renamed"]
    assert widget.evaluate.truth_combo.layer() is viewer.layers["truth"]  # choice kept
    viewer.layers.remove(extra)
    assert names(widget.evaluate.truth_combo) == ["truth"]
    assert "prob" in names(widget.probability_combo) and "truth" not in names(
        widget.probability_combo
    )


def run_and_wait(qtbot, widget):
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()


def test_evaluation_tables_equal_the_core(qtbot, dock, sample):
    viewer, widget = dock
    prediction = nse.label_instances(sample["probability"] > 0.5, connectivity=1)
    viewer.add_labels(prediction, name="pred", scale=(0.5, 0.25), translate=(3, 4))
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    run_and_wait(qtbot, widget)
    instance = nse.instance_metrics(sample["ground_truth"], prediction)
    semantic = nse.semantic_metrics(sample["ground_truth"] > 0, prediction > 0)
    pd.testing.assert_frame_equal(widget.results["per_threshold"], instance.per_threshold)
    objects = widget.results["per_object"]
    pd.testing.assert_frame_equal(objects[instance.per_object.columns], instance.per_object)
    pd.testing.assert_frame_equal(widget.results["per_class"], semantic.per_class)
    summary = widget.results["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("instance", "mean_accuracy")] == instance.summary["mean_accuracy"]
    assert summary[("semantic", "mean_iou")] == semantic.summary["mean_iou"]
    model = widget.evaluate.tables["per_threshold"].model
    assert model.rowCount() == 10
    header = model.headerData(
        list(model.frame.columns).index("accuracy"), widget_module.Qt.Orientation.Horizontal
    )
    assert header == "AP (DSB)"
    assert widget.evaluate.progress_bar.value() == 100


def test_probability_prediction_is_thresholded_on_the_fly(qtbot, dock, sample):
    _, widget = dock
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.set_threshold(0.6)
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.evaluate.iou_edit.setText("0.5, 0.75")
    tables = widget.run_evaluation(wait=True)
    mask = nse.threshold_probabilities(sample["probability"], 0.6)
    objects = nse.label_instances(mask, connectivity=1)  # instance metrics: connected components
    expected = nse.instance_metrics(sample["ground_truth"], objects, iou_thresholds=[0.5, 0.75])
    pd.testing.assert_frame_equal(tables["per_threshold"], expected.per_threshold)
    assert tables["per_class"].empty


def test_undefined_values_show_a_dash_with_a_tooltip(dock):
    viewer, widget = dock
    viewer.add_labels(np.zeros((256, 256), np.uint8), name="empty")
    widget.set_ground_truth("empty")
    widget.set_prediction("truth")
    widget.run_evaluation(wait=True)
    model = widget.evaluate.tables["per_threshold"].model
    column = list(model.frame.columns).index("recall")
    index = model.index(0, column)
    Qt = widget_module.Qt
    assert model.data(index) == "—"
    assert "0/0" in model.data(index, Qt.ItemDataRole.ToolTipRole)


def test_table_sorts_copies_and_exports(tmp_path, dock):
    _, widget = dock
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.run_evaluation(wait=True)
    table = widget.review.table
    frame = widget.results["per_object"]
    iou_column = list(table.model.frame.columns).index("iou")
    table.view.sortByColumn(iou_column, widget_module.Qt.SortOrder.DescendingOrder)
    assert list(table.model.frame["iou"]) == sorted(frame["iou"], reverse=True)
    table.view.selectionModel().select(
        table.model.index(0, iou_column), table.view.selectionModel().SelectionFlag.Select
    )
    assert table.copy() == f"IoU\n{table.model.frame['iou'].iloc[0]}\n"
    from qtpy.QtWidgets import QApplication

    assert QApplication.clipboard().text().startswith("IoU\n")
    path = table.export_csv(tmp_path / "objects.csv")
    pd.testing.assert_frame_equal(pd.read_csv(path), table.model.frame, check_dtype=False)


@pytest.mark.parametrize("problem", ["shape", "nothing", "logits", "iou", "same"])
def test_bad_input_notifies_and_changes_nothing(dock, errors, problem):
    viewer, widget = dock
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    before = [(layer.name, layer.data.copy()) for layer in viewer.layers]
    if problem == "shape":
        viewer.add_labels(np.zeros((10, 10), np.uint8), name="small")
        widget.set_prediction("small")
        before = [(layer.name, layer.data.copy()) for layer in viewer.layers]
        expected = "shape mismatch"
    elif problem == "nothing":
        viewer.layers.remove("truth")
        before = [(layer.name, layer.data.copy()) for layer in viewer.layers]
        expected = "choose a ground-truth"
    elif problem == "logits":
        viewer.layers["prob"].data = viewer.layers["prob"].data * 8 - 4
        before = [(layer.name, layer.data.copy()) for layer in viewer.layers]
        expected = "logits"
    elif problem == "iou":
        widget.evaluate.iou_edit.setText("0.5:banana")
        expected = "IoU thresholds"
    else:
        widget.set_prediction("truth")
        expected = "same layer"
    assert widget.run_evaluation(wait=True) is None
    assert len(errors) == 1 and expected in errors[0]
    assert widget.results == {}
    after = [(layer.name, layer.data) for layer in viewer.layers]
    assert [n for n, _ in after] == [n for n, _ in before]
    for (_, old), (_, new) in zip(before, after, strict=True):
        np.testing.assert_array_equal(old, new)


def test_bad_probability_preview_notifies_and_adds_no_layer(qtbot, dock, errors):
    viewer, widget = dock
    settle_preview(qtbot, widget)  # the preview of "prob", chosen for the user
    viewer.add_image(viewer.layers["prob"].data * 8 - 4, name="scores")
    n_layers = len(viewer.layers)
    widget.set_probability_layer("scores")  # the live preview is drawn at once: an error
    settle_preview(qtbot, widget)
    assert len(viewer.layers) == n_layers and widget.threshold_layer is None
    assert len(errors) == 1 and "logits" in errors[0]
    wait_preview(qtbot, widget)  # the button says it again
    assert len(viewer.layers) == n_layers and widget.threshold_layer is None
    assert len(errors) == 2 and "logits" in errors[1]


def test_cancel_and_layer_removed_during_a_run(qtbot, dock, errors):
    viewer, widget = dock
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()
        # Removed on the main thread before any result can be handed over: whichever thread
        # finishes first, the run's results are dropped.
        viewer.layers.remove("truth")
    qtbot.waitUntil(lambda: len(errors) > 0, timeout=10_000)  # the deferred notice
    assert any("removed during the evaluation" in e for e in errors)
    assert widget.results == {} and widget.evaluation is None
    assert widget.evaluate.status_label.text() == "Cancelled: layer 'truth' was removed."
    assert widget.evaluate.run_button.isEnabled() and not widget.evaluate.cancel_button.isEnabled()


def test_manifest_contributions_in_a_running_napari(make_napari_viewer):
    from napari._app_model import get_app_model

    viewer = make_napari_viewer()
    app = get_app_model()
    for menu, command in (
        ("napari/layers/segment", "napari-seg-eval.threshold_selected"),
        ("napari/layers/measure", "napari-seg-eval.evaluate_selected"),
        ("napari/layers/visualize", "napari-seg-eval.colour_confidence_selected"),
    ):
        ids = [
            getattr(item, "command", None) and item.command.id for item in app.menus.get_menu(menu)
        ]
        assert command in ids, f"{command} missing from {menu}"
    viewer.open_sample("napari-seg-eval", "nuclei")
    assert [layer.name for layer in viewer.layers] == [
        "nuclei",
        "nuclei probability",
        "nuclei ground truth",
    ]


def test_menu_commands_open_the_right_section(make_napari_viewer, sample):
    from napari_seg_eval import _menus

    viewer = make_napari_viewer()
    prob = viewer.add_image(sample["probability"], name="prob")
    viewer.layers.selection.active = prob
    _menus.colour_confidence_selected(viewer)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    assert widget.tabs.tabText(widget.tabs.currentIndex()) == "Confidence"
    np.testing.assert_allclose(prob.colormap.map([0.5])[0], GREEN, atol=1e-6)
    _menus.evaluate_selected(viewer)
    assert widget.tabs.tabText(widget.tabs.currentIndex()) == "Evaluate"
    assert widget.evaluate.prediction_combo.layer() is prob


def test_adding_layers_keeps_the_choices_and_the_result_layer(qtbot, dock):
    viewer, widget = dock
    widget.set_probability_layer("prob")  # index 1, after "image"
    layer = widget.update_threshold_layer(wait=True)
    seen = []
    widget.probability_combo.currentIndexChanged.connect(seen.append)
    viewer.add_labels(np.zeros((4, 4), np.uint8), name="unrelated")
    assert widget.probability_combo.layer() is viewer.layers["prob"]
    assert widget.threshold_layer is layer and seen == []


# Issue 10: a confidence display that says what it claims ----------------------------------
def test_probability_data_reads_integer_maps_as_fractions_of_the_dtype_maximum():
    import dask.array as da
    from napari.layers import Image

    from napari_seg_eval._napari.probability import probability_data

    values = np.array([[0, 1, 128, 255]], np.uint8)
    data, notice = probability_data(Image(values, name="p8"))
    assert data.dtype == np.float64 and notice == (
        "'p8' holds uint8 values 0..255: read as value / 255"
    )
    np.testing.assert_array_equal(data, np.array([[0, 1, 128, 255]]) / 255)
    data16, notice16 = probability_data(Image(np.array([[0, 65535]], np.uint16), name="p16"))
    assert data16.tolist() == [[0.0, 1.0]] and "value / 65535" in notice16
    floats = np.array([[0.25, 0.5]], np.float32)
    same, none = probability_data(Image(floats, name="f"))
    assert same is floats and none is None
    lazy, _ = probability_data(Image(da.from_array(values, chunks=2), name="lazy"))
    assert isinstance(lazy, da.Array)  # not read into memory
    np.testing.assert_array_equal(lazy.compute(), data)
    with pytest.raises(TypeError, match=r"'signed'.*int16"):
        probability_data(Image(np.zeros((2, 2), np.int16), name="signed"))


def test_integer_map_thresholds_and_colours_as_value_over_255(dock, sample, errors, monkeypatch):
    from napari_seg_eval._qt import threshold_panel

    notices = []
    monkeypatch.setattr(threshold_panel, "show_info", notices.append)
    viewer, widget = dock
    prob8 = np.round(sample["probability"] * 255).astype(np.uint8)
    viewer.add_image(prob8, name="prob8")
    widget.set_probability_layer("prob8")
    widget.set_threshold(0.4)
    layer = widget.update_threshold_layer(wait=True)
    # by hand: value / 255 > 0.4  <=>  value > 102 (102 / 255 = 0.4 exactly: not above it)
    assert (prob8 == 102).any()
    np.testing.assert_array_equal(layer.data, prob8 > 102)
    np.testing.assert_array_equal(layer.data, nse.threshold_probabilities(prob8 / 255, 0.4))
    assert any("value / 255" in n for n in notices) and errors == []
    coloured = widget.apply_confidence_colormap()
    assert tuple(coloured.contrast_limits) == (0.0, 255.0)
    # napari maps value v to colormap position v / 255: green where v / 255 is the threshold
    np.testing.assert_allclose(coloured.colormap.map([102 / 255])[0], GREEN, atol=1e-6)
    contour = widget.display.contour_layer(coloured)
    np.testing.assert_array_equal(contour.data, prob8 > 102)


def test_threshold_contour_follows_the_slider_and_belongs_to_its_map(qtbot, dock, sample):
    viewer, widget = dock
    widget.set_probability_layer("prob")
    prob = viewer.layers["prob"]
    widget.apply_confidence_colormap()
    contour = widget.display.contour_layer(prob)
    assert contour.metadata["napari-seg-eval"]["role"] == "contour"
    assert contour.metadata["napari-seg-eval"]["source"] == "prob"
    assert contour.contour == 1 and tuple(contour.scale) == (0.5, 0.25)
    np.testing.assert_array_equal(contour.data, sample["probability"] > 0.5)
    assert viewer.layers.selection.active is not contour  # the user's selection is kept
    with qtbot.waitSignal(widget.display.contour_job.finished, timeout=20_000):
        widget.set_threshold(0.8)
    assert widget.display.contour_layer(prob) is contour
    np.testing.assert_array_equal(contour.data, sample["probability"] > 0.8)
    assert contour.metadata["napari-seg-eval"]["threshold"] == pytest.approx(0.8)
    widget.restore_look()
    assert contour not in viewer.layers


def test_colorbar_mark_leaves_the_green_band_visible(dock):
    _, widget = dock
    bar = widget.colorbar
    bar.resize(300, bar.sizeHint().height())
    for threshold in (0.5, 0.3):
        bar.set_threshold(threshold)
        image = bar.grab().toImage()
        width = bar.width() - 2 * bar.MARGIN
        x = round(bar.MARGIN + threshold * (width - 1))
        y = bar.ARROW + 2 + bar.BAR_HEIGHT // 2  # the middle of the bar
        color = image.pixelColor(x, y)
        rgb = np.array([color.redF(), color.greenF(), color.blueF()])
        np.testing.assert_allclose(rgb, GREEN[:3], atol=0.02)


@pytest.fixture
def classes(make_napari_viewer):
    viewer = make_napari_viewer()
    rng = np.random.default_rng(1)
    prob = rng.dirichlet([1, 1, 1], size=(40, 50)).astype(np.float32)  # channels last
    viewer.add_image(rng.random((40, 50)), name="image")
    viewer.add_image(prob, name="classes", scale=(2, 3, 1), rgb=False)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("classes")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(2))
    return viewer, widget, prob


def test_multiclass_map_shows_one_class_at_a_time(qtbot, classes):
    viewer, widget, prob = classes
    source = viewer.layers["classes"]
    display = widget.display
    assert display.class_slider.maximum() == 3
    shown = widget.apply_confidence_colormap()
    assert shown is not source and shown.name == "classes class confidence"
    np.testing.assert_array_equal(shown.data, prob[..., 0])
    assert tuple(shown.scale) == (2, 3) and source.colormap.name != "napari-seg-eval:confidence"
    np.testing.assert_array_equal(display.contour_layer(shown).data, prob[..., 0] > 0.5)
    with qtbot.waitSignal(display.contour_job.finished, timeout=20_000):
        display.class_slider.setValue(3)
    assert viewer.layers["classes class confidence"] is shown  # updated in place
    np.testing.assert_array_equal(shown.data, prob[..., 2])
    assert shown.metadata["napari-seg-eval"]["class"] == 3
    np.testing.assert_array_equal(display.contour_layer(shown).data, prob[..., 2] > 0.5)


def test_the_class_slider_and_the_viewers_class_slider_are_one(qtbot, make_napari_viewer):
    """Regression (trial13, finding 6): a map with its class axis first got a viewer slider
    for that axis beside the dock's Class slider, and the two were independent."""
    viewer = make_napari_viewer()
    rng = np.random.default_rng(2)
    prob = rng.dirichlet([1, 1, 1], size=(40, 50)).astype(np.float32).transpose(2, 0, 1)
    viewer.add_image(rng.random((40, 50)), name="image")
    viewer.add_image(prob, name="classes", translate=(10, 0, 0))  # class k at world 10 + k
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("classes")
    viewer.dims.set_point(0, 11)  # the viewer shows class index 1 before the axis is chosen
    display = widget.display
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    assert display.class_slider.maximum() == 3 and display.class_slider.value() == 2
    shown = widget.apply_confidence_colormap()
    np.testing.assert_array_equal(shown.data, prob[1])
    steps = []
    viewer.dims.events.current_step.connect(lambda event: steps.append(event.value))
    # the dock's slider moves the viewer's (once: no loop back)
    with qtbot.waitSignal(display.contour_job.finished, timeout=20_000):
        display.class_slider.setValue(3)
    assert viewer.dims.point[0] == 12 and len(steps) == 1
    np.testing.assert_array_equal(shown.data, prob[2])
    # the viewer's slider moves the dock's, and the class shown
    with qtbot.waitSignal(display.contour_job.finished, timeout=20_000):
        viewer.dims.set_point(0, 10)
    assert display.class_slider.value() == 1 and viewer.dims.point[0] == 10 and len(steps) == 2
    np.testing.assert_array_equal(shown.data, prob[0])
    np.testing.assert_array_equal(display.contour_layer(shown).data, prob[0] > 0.5)
    # with no class axis chosen, the viewer's slider no longer moves the dock's
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(None))
    viewer.dims.set_point(0, 11)
    assert display.class_slider.value() == 1 and not display.class_slider.isEnabled()


def test_top_class_confidence_and_side_by_side(classes):
    viewer, widget, prob = classes
    top = widget.display.add_top_class_layer()
    np.testing.assert_array_equal(top.data, prob.max(axis=2))
    assert top.metadata["napari-seg-eval"]["role"] == "top_class"
    assert tuple(top.scale) == (2, 3) and top.colormap.name == "napari-seg-eval:confidence"
    # the contour of the top class is the foreground of the thresholded labels
    np.testing.assert_array_equal(
        widget.display.contour_layer(top).data > 0,
        nse.threshold_probabilities(prob, 0.5, channel_axis=2) > 0,
    )
    before = {layer.name: layer.visible for layer in viewer.layers}
    widget.display.side_by_side_button.click()
    grid = viewer.canvas.grid if hasattr(viewer, "canvas") else viewer.grid
    assert grid.enabled
    assert [layer.name for layer in viewer.layers if layer.visible] == [
        "image",
        "classes top-class confidence",
    ]
    widget.display.side_by_side_button.click()
    assert not grid.enabled
    assert {layer.name: layer.visible for layer in viewer.layers} == before


def test_logits_convert_into_a_new_layer(make_napari_viewer, errors):
    viewer = make_napari_viewer()
    logits = np.array([[-2.0, 0.0, 3.0]], np.float32)
    user = viewer.add_image(logits.copy(), name="logits")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("logits")
    converted = widget.display.convert_button.click() or viewer.layers["logits probabilities"]
    np.testing.assert_allclose(converted.data, 1 / (1 + np.exp(-logits.astype(float))), rtol=1e-6)
    np.testing.assert_array_equal(user.data, logits)  # the user's layer untouched
    assert widget.probability_combo.layer() is converted
    assert converted.metadata["napari-seg-eval"]["function"] == "sigmoid"
    assert widget.display.convert_logits(converted) is None
    assert "already holds values in [0, 1]" in errors[-1]
    scores = np.stack([logits[0], -logits[0]])[:, None, :]  # classes first: (2, 1, 3)
    viewer.add_image(scores, name="scores")
    widget.set_probability_layer("scores")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    softmax = widget.display.convert_logits()
    expected = np.exp(scores) / np.exp(scores).sum(axis=0)
    np.testing.assert_allclose(softmax.data, expected, rtol=1e-6)
    np.testing.assert_allclose(softmax.data.sum(axis=0), 1.0, rtol=1e-6)


def test_a_raw_image_is_not_taken_as_the_models_confidence(make_napari_viewer):
    # The header does not choose the only Image layer, a raw uint8 image; the objects get no
    # confidence from it unless the user chooses it as the probability layer.
    viewer = make_napari_viewer()
    rng = np.random.default_rng(0)
    viewer.add_image(rng.integers(0, 256, (16, 16), dtype=np.uint8), name="img0 image")
    truth = np.zeros((16, 16), np.int32)
    truth[2:6, 2:6] = 1
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(truth.copy(), name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    assert widget.probability_combo.layer() is None  # not a probability map: not chosen
    widget.run_evaluation(wait=True)
    assert widget.evaluation.confidence is None
    widget.probability_combo.set_layer("img0 image")  # the user's choice: used, as value / 255
    widget.run_evaluation(wait=True)
    expected = viewer.layers["img0 image"].data[2:6, 2:6].mean() / 255
    objects = widget.evaluation.tables["per_object"]
    assert objects["mean_confidence"].iloc[0] == pytest.approx(expected)


def test_live_preview_without_a_probability_layer_is_not_an_error(
    qtbot, make_napari_viewer, errors
):
    """Regression: moving the threshold before any probability layer was there showed
    "ERROR: choose a probability Image layer first." (the live preview's timer fired)."""
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((8, 8), np.uint8), name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    live = widget.live_check
    assert widget.probability_combo.layer() is None
    assert not live.isEnabled() and "probability layer" in live.toolTip()
    widget.set_threshold(0.3)
    live.setChecked(False)
    live.setChecked(True)
    assert not widget._preview_timer.isActive() and errors == []
    widget.threshold_button.click()  # asked for: a clear error
    assert len(errors) == 1 and errors[0].endswith("choose a probability Image layer first.")
    probability = np.zeros((8, 8), np.float32)
    probability[2:4, 2:6] = 0.9
    viewer.add_image(probability, name="prob")  # chosen for the user: the live box works
    assert live.isEnabled() and live.isChecked()
    widget.set_threshold(0.5)
    assert widget._preview_timer.isActive()
    wait_preview(qtbot, widget)
    assert int(widget.threshold_layer.data.sum()) == 8  # the 2 x 4 pixels above 0.5
    viewer.layers.remove("prob")  # gone again: no error either
    assert not live.isEnabled() and not widget._preview_timer.isActive()
    widget.set_threshold(0.6)
    assert not widget._preview_timer.isActive() and len(errors) == 1


def _contrast(a, b):
    """WCAG contrast ratio of two sRGB colours (1 to 21)."""

    def luminance(color):
        c = np.asarray(color[:3], float)
        linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_error_kinds_stand_out_on_the_themes_canvas(theme):
    """Regression: on napari's light canvas matched objects were pale grey (#DDDDDD) and
    nearly vanished (contrast 1.4 with the canvas)."""
    from napari.utils.theme import get_theme
    from skimage.color import deltaE_ciede2000, rgb2lab

    from napari_seg_eval._napari.error_colors import kind_colormap, kind_colors

    canvas = np.array(get_theme(theme).canvas.as_rgb_tuple()[:3]) / 255
    colormap = kind_colormap(theme)
    colors = kind_colors(theme)
    matched = colormap.map(1)
    # 3:1 is WCAG's least contrast for graphics; the pale grey on the dark canvas has 15
    assert _contrast(matched, canvas) > 10
    assert [name for name, _, _ in colors] == [name for name, _, _ in KIND_COLORS]
    lab = rgb2lab(np.array([[color[:3] for _, color, _ in colors]]))[0]
    for index, (name, color, values) in enumerate(colors):
        for value in values:
            np.testing.assert_allclose(colormap.map(value), color)
        if name != "matched":  # the other kinds keep their colours, apart from matched
            assert color == dict((n, c) for n, c, _ in KIND_COLORS)[name]
            assert deltaE_ciede2000(lab[0], lab[index]) > 10, name


def test_choosing_a_map_with_live_preview_draws_its_preview_at_once(
    qtbot, make_napari_viewer, sample
):
    """Regression (trial13, finding 6): choosing a probability layer with "live preview" ticked
    drew nothing until the threshold first moved."""
    viewer = make_napari_viewer()
    viewer.add_labels(sample["ground_truth"], name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_threshold(0.3)
    assert widget.live_check.isChecked()
    prob = viewer.add_image(sample["probability"], name="prob")  # chosen for the user
    assert widget.probability_combo.layer() is prob
    with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
        pass  # the debounce, then the preview's job
    expected = sample["probability"] > 0.3  # by definition: p > threshold
    np.testing.assert_array_equal(widget.threshold_layer.data, expected)
    assert widget.threshold_layer.metadata["napari-seg-eval"]["threshold"] == pytest.approx(0.3)
    # choosing another map draws that one's preview, with the tab's options
    widget.output_combo.setCurrentText("instance")
    other = viewer.add_image(sample["probability"][::-1].copy(), name="other")
    widget.set_probability_layer(other)
    with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
        pass
    expected = nse.label_instances(sample["probability"][::-1] > 0.3, connectivity=1)
    np.testing.assert_array_equal(widget.threshold_layer.data, expected)


def test_live_preview_off_draws_nothing_until_ticked_on(qtbot, make_napari_viewer, sample):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.live_check.setChecked(False)
    viewer.add_image(sample["probability"], name="prob")
    assert widget.probability_combo.layer() is not None
    assert not widget._preview_timer.isActive() and not widget.preview_job.running
    assert widget.threshold_layer is None and len(viewer.layers) == 1
    with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
        widget.live_check.setChecked(True)  # ticked on: drawn once, in the worker
    np.testing.assert_array_equal(widget.threshold_layer.data, sample["probability"] > 0.5)


def test_a_dock_opened_on_a_chosen_map_draws_its_preview(qtbot, dock, sample):
    viewer, widget = dock
    assert widget.probability_combo.layer() is viewer.layers["prob"]
    settle_preview(qtbot, widget)
    layer = widget.threshold_layer
    np.testing.assert_array_equal(layer.data, sample["probability"] > 0.5)
    assert tuple(layer.scale) == (0.5, 0.25) and tuple(layer.translate) == (3, 4)
