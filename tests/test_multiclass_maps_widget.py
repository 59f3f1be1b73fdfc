"""Multi-class probability maps in the Threshold, Confidence and Confidence analysis tabs.

A new user's trial (trial20): a (Y, X, 3) softmax map added with a plain ``add_image`` is shown
by napari as RGB, and the dock crashed on it; converting logits dropped the class axis; the
Class slider numbered channels, not classes; the logits error named Python functions; an
integer map's notice came on every threshold move. Every expectation is written by hand.
"""

import numpy as np
import pytest

pytest.importorskip("napari")

from napari_seg_eval._qt import threshold_panel
from widget_helpers import settle_preview

DOCK = ("napari-seg-eval", "Segmentation Evaluation")

#: The thresholded labels of :data:`PROB` at 0.5, by hand: the class (channel + 1) whose
#: probability is above 0.5, else 0 (at (1, 1) the top probability is exactly 0.5: not above).
LABELS = np.array(
    [
        [1, 1, 2, 2, 3, 3],
        [1, 0, 2, 2, 0, 3],
        [0, 0, 3, 3, 1, 1],
        [2, 2, 3, 0, 1, 1],
    ]
)
#: The probabilities (channels last) of each pixel of a class, and of the background pixels.
CLASS_P = {1: (0.8, 0.1, 0.1), 2: (0.1, 0.7, 0.2), 3: (0.2, 0.2, 0.6)}
BACKGROUND_P = (0.4, 0.35, 0.25)


def _hand_map() -> np.ndarray:
    prob = np.empty((4, 6, 3), np.float32)
    for y in range(4):
        for x in range(6):
            prob[y, x] = CLASS_P.get(LABELS[y, x], BACKGROUND_P)
    prob[1, 1] = (0.5, 0.3, 0.2)  # a tie with the threshold: background
    return prob


PROB = _hand_map()


def look(layer):
    """What Apply confidence colormap would change of a layer."""
    return (
        layer.colormap.name,
        tuple(layer.contrast_limits),
        layer.opacity,
        str(layer.blending),
        layer.gamma,
    )


@pytest.fixture
def rgb_dock(make_napari_viewer, qtbot):
    """The hand map shown as RGB (as napari shows a larger float (Y, X, 3) array), chosen."""
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((4, 6)), name="image", scale=(2, 3))
    source = viewer.add_image(PROB, name="keras softmax", rgb=True, scale=(2, 3))
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("keras softmax")
    settle_preview(qtbot, widget)
    return viewer, widget, source


def test_an_rgb_map_opened_the_usual_way_previews_its_classes(make_napari_viewer, qtbot, errors):
    """Regression (trial20, 1): a float (60, 80, 3) softmax map added with a plain add_image
    is RGB; choosing it in the header crashed the live preview in a Qt slot, and the Channel
    axis offered axes 0 and 1 but not the class axis."""
    viewer = make_napari_viewer()
    # every pixel of the hand map as an 8 x 8 block: (32, 48, 3), napari guesses RGB (> 30 px)
    big = PROB.repeat(8, axis=0).repeat(8, axis=1)
    source = viewer.add_image(big, name="keras softmax")
    assert source.rgb and source.ndim == 2
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    native = widget.probability_combo._combo.native  # what a click does
    native.setCurrentIndex(native.findText("keras softmax"))
    native.activated.emit(native.currentIndex())
    combo = widget.channel_axis_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "axis 2 (3 classes; napari's RGB axis)"
    ]
    assert combo.currentData() == 2
    settle_preview(qtbot, widget)  # the live preview of the chosen layer
    preview = widget.threshold_layer
    expected = LABELS.repeat(8, axis=0).repeat(8, axis=1)
    assert preview.data.shape == (32, 48)  # on the image's grid, not (32, 48, 3)
    np.testing.assert_array_equal(preview.data, expected)
    assert errors == []


def test_an_rgb_map_is_a_map_of_classes_on_its_own_grid(rgb_dock, qtbot, errors):
    _viewer, widget, _source = rgb_dock
    assert widget.channel_axis_combo.currentData() == 2
    preview = widget.update_threshold_layer(wait=True)
    np.testing.assert_array_equal(preview.data, LABELS)
    assert tuple(preview.scale) == (2, 3)  # lines up with the (4, 6) image of scale (2, 3)
    widget.output_combo.setCurrentText("instance")
    instances = widget.update_threshold_layer(wait=True)
    # by hand: the 4-connected regions of one class each, numbered in raster order (class 3
    # at (0, 4) and at (2, 2) are two objects; touching pixels of two classes are two)
    np.testing.assert_array_equal(
        instances.data,
        [
            [1, 1, 2, 2, 3, 3],
            [1, 0, 2, 2, 0, 3],
            [0, 0, 4, 4, 5, 5],
            [6, 6, 4, 0, 5, 5],
        ],
    )
    assert errors == []


def test_the_colormap_refuses_an_rgb_layer_and_changes_nothing(rgb_dock, errors):
    viewer, widget, source = rgb_dock
    before, names = look(source), [layer.name for layer in viewer.layers]
    assert widget.apply_confidence_colormap(source) is None
    assert len(errors) == 1
    said = errors[0]
    assert "cannot colour 'keras softmax'" in said and "RGB" in said
    assert "Channel axis 2" in said and "rgb=False" in said and "Nothing was changed" in said
    assert look(source) == before  # opacity, blending, colormap, contrast: untouched
    assert [layer.name for layer in viewer.layers] == names  # no contour layer either
    assert widget.display.coloured == {}
    widget.restore_look(source)  # nothing to restore
    assert look(source) == before


def test_the_colormap_button_colours_one_class_of_an_rgb_map(rgb_dock, qtbot, errors):
    viewer, widget, source = rgb_dock
    before = look(source)
    display = widget.display
    display.apply_colormap_button.click()
    shown = viewer.layers["keras softmax class confidence"]
    assert display.class_slider.value() == 1
    np.testing.assert_array_equal(shown.data, PROB[..., 0])  # class 1 is channel 0
    assert shown.data.shape == (4, 6) and tuple(shown.scale) == (2, 3)
    assert shown.colormap.name == "napari-seg-eval:confidence"
    # its contour: the pixels whose channel 0 is above 0.5, the 7 pixels of class 1 by hand
    np.testing.assert_array_equal(display.contour_layer(shown).data, LABELS == 1)
    with qtbot.waitSignal(display.contour_job.finished, timeout=20_000):
        display.class_slider.setValue(3)
    np.testing.assert_array_equal(shown.data, PROB[..., 2])
    np.testing.assert_array_equal(display.contour_layer(shown).data, LABELS == 3)
    top = display.add_top_class_layer()
    # the highest class probability: 0.8, 0.7 or 0.6 on the classes, 0.4 and 0.5 off them
    expected = np.select([LABELS == 1, LABELS == 2, LABELS == 3], [0.8, 0.7, 0.6], 0.4)
    expected[1, 1] = 0.5
    np.testing.assert_allclose(top.data, expected, rtol=1e-6)
    assert look(source) == before and errors == []


def test_an_rgb_map_in_confidence_analysis_is_one_class_against_the_rest(rgb_dock, errors):
    viewer, widget, _source = rgb_dock
    truth = LABELS.copy()
    truth[1, 1] = 1  # a pixel of class 1 the map misses (0.5 is not above 0.5)
    truth[0, 0] = 0  # a pixel the map calls class 1 that is not
    viewer.add_labels(truth, name="truth", scale=(2, 3))
    panel = widget.confidence
    panel.truth_combo.set_layer("truth")
    panel.metric_combo.setCurrentText("iou")
    panel.temperature_check.setChecked(True)
    assert panel.class_spin.isVisibleTo(panel) and panel.class_spin.maximum() == 3
    panel.set_class(1)
    results = panel.run(wait=True)
    row = results["sweep"].per_threshold.set_index("threshold").loc[0.5]
    # class 1 vs rest at 0.5: 7 predicted pixels (LABELS == 1), 7 true ones; 6 shared:
    # TP 6, FP 1 (0, 0), FN 1 (1, 1), TN 24 - 8 = 16; IoU 6 / 8
    assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (6, 1, 1, 16)
    assert row["iou"] == pytest.approx(0.75)
    assert panel.summary_label.text().startswith("Class 1 vs rest (channel 0)")
    calibrated = viewer.layers["keras softmax class 1 calibrated (temperature)"]
    assert calibrated.data.shape == (4, 6) and tuple(calibrated.scale) == (2, 3)
    assert errors == []


def test_converting_logits_keeps_the_channel_axis(make_napari_viewer, qtbot, errors):
    """Regression (trial20, 3): the converted layer became the probability layer with the
    Channel axis back at "none", so its preview was a yes/no stack of the classes."""
    viewer = make_napari_viewer()
    # classes first (3, 2, 2); the logits are the logs of weights w, so softmax = w / sum(w)
    weights = np.array(
        [
            [[6.0, 1.0], [1.0, 2.0]],
            [[1.0, 8.0], [1.0, 1.0]],
            [[1.0, 1.0], [2.0, 1.0]],
        ]
    )
    viewer.add_image(np.log(weights), name="net logits")  # log 6 = 1.79: not probabilities
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("net logits")
    combo = widget.channel_axis_combo
    combo.setCurrentIndex(combo.findData(0))
    converted = widget.display.convert_logits()
    # by hand: (0,0) 6/8 | (0,1) 8/10 | (1,0) 1/4, 1/4, 2/4 | (1,1) 2/4, 1/4, 1/4
    np.testing.assert_allclose(converted.data[:, 0, 0], [6 / 8, 1 / 8, 1 / 8])
    np.testing.assert_allclose(converted.data[:, 1, 0], [1 / 4, 1 / 4, 2 / 4])
    assert widget.probability_combo.layer() is converted
    assert combo.currentData() == 0 and combo.currentText() == "axis 0 (3 classes)"
    settle_preview(qtbot, widget)
    preview = widget.update_threshold_layer(wait=True)
    # class 1 at 6/8 > 0.5, class 2 at 8/10 > 0.5; the others' top is 2/4: not above 0.5
    np.testing.assert_array_equal(preview.data, [[1, 2], [0, 0]])
    assert errors == []


def test_logits_shown_as_rgb_convert_along_their_last_axis(make_napari_viewer, errors):
    viewer = make_napari_viewer()
    # log p + 1: below 0 and above 1, so logits; each pixel's p sums to 1 (0.8 + 0.1 + 0.1,
    # 0.1 + 0.7 + 0.2, 0.2 + 0.2 + 0.6, 0.4 + 0.35 + 0.25, 0.5 + 0.3 + 0.2), so the softmax
    # over the last axis gives p back: e^(log p + 1) / sum e^(log q + 1) = p / sum q = p
    logits = np.log(PROB.astype(np.float64)) + 1.0
    viewer.add_image(logits, name="net logits", rgb=True, scale=(2, 3))
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("net logits")
    converted = widget.display.convert_logits()
    assert converted.rgb and tuple(converted.scale) == (2, 3)
    np.testing.assert_allclose(converted.data, PROB, rtol=1e-6)
    assert widget.probability_combo.layer() is converted
    assert widget.channel_axis_combo.currentData() == 2
    np.testing.assert_array_equal(widget.update_threshold_layer(wait=True).data, LABELS)
    assert errors == []


def test_the_class_slider_numbers_classes_as_the_labels_do(make_napari_viewer, qtbot):
    """Regression (trial20, 5): the Confidence tab's Class slider ran 0..2 (channels) while
    the labels and Confidence analysis number the classes 1..3."""
    viewer = make_napari_viewer()
    viewer.add_image(PROB, name="classes", rgb=False)
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("classes")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(2))
    slider = widget.display.class_slider
    assert (slider.minimum(), slider.maximum()) == (1, 3)
    assert (widget.confidence.class_spin.minimum(), widget.confidence.class_spin.maximum()) == (
        1,
        3,
    )
    shown = widget.apply_confidence_colormap()
    assert slider.value() == 1
    np.testing.assert_array_equal(shown.data, PROB[..., 0])
    with qtbot.waitSignal(widget.display.contour_job.finished, timeout=20_000):
        slider.setValue(2)
    np.testing.assert_array_equal(shown.data, PROB[..., 1])  # class 2: channel 1
    assert shown.metadata["napari-seg-eval"]["class"] == 2
    labels = widget.update_threshold_layer(wait=True)
    # the pixels the slider's class 2 marks are the labels' class 2
    np.testing.assert_array_equal(widget.display.contour_layer(shown).data, labels.data == 2)
    np.testing.assert_array_equal(labels.data == 2, LABELS == 2)


def test_the_logits_error_points_to_the_docks_button(make_napari_viewer, errors):
    viewer = make_napari_viewer()
    viewer.add_image(np.array([[-2.0, 0.5], [3.0, 0.25]]), name="net scores")
    viewer.add_labels(np.array([[0, 0], [1, 0]]), name="truth")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("net scores")
    assert widget.update_threshold_layer(wait=True) is None
    widget.confidence.truth_combo.set_layer("truth")
    assert widget.confidence.run(wait=True) is None
    assert len(errors) == 2
    for said in errors:
        assert "found values in [-2, 3]" in said  # the range, as the core says it
        assert 'press "Convert logits to probabilities" in the Confidence tab' in said
        assert "napari_seg_eval.sigmoid" not in said


def test_an_integer_maps_notice_is_said_once_per_layer(make_napari_viewer, qtbot, monkeypatch):
    """Regression (trial20, 8): "read as value / 255" came with every threshold move."""
    notices = []
    monkeypatch.setattr(threshold_panel, "show_info", notices.append)
    viewer = make_napari_viewer()
    u8 = np.array([[0, 102, 103, 153, 154, 255]], np.uint8)
    viewer.add_image(u8, name="nuclei prob u8")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("nuclei prob u8")
    settle_preview(qtbot, widget)
    for threshold, above in ((0.4, [0, 0, 1, 1, 1, 1]), (0.6, [0, 0, 0, 0, 1, 1])):
        widget.set_threshold(threshold)
        settle_preview(qtbot, widget)
        # by hand: 0.4 * 255 = 102 and 0.6 * 255 = 153, and p > t is strict
        np.testing.assert_array_equal(widget.threshold_layer.data, [above])
    widget.apply_confidence_colormap()
    assert notices == [
        "Segmentation Evaluation: 'nuclei prob u8' holds uint8 values 0..255: read as value / 255"
    ]
    viewer.add_image(u8.copy(), name="other prob u8")  # another layer: its own notice
    widget.set_probability_layer("other prob u8")
    settle_preview(qtbot, widget)
    widget.set_threshold(0.5)
    settle_preview(qtbot, widget)
    assert len(notices) == 2 and "'other prob u8'" in notices[1]


def test_an_error_in_a_slot_is_a_notification(rgb_dock, qtbot, errors, monkeypatch):
    """A bug inside a slot (here: writing the preview layer) is said, not raised into Qt,
    where PyQt6 aborts a script that pumps events itself."""
    _viewer, widget, _ = rgb_dock

    def broken(*args, **kwargs):
        raise RuntimeError("the layer could not be written")

    monkeypatch.setattr(threshold_panel, "put_labels", broken)
    with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
        widget.threshold_button.click()
    assert errors == [
        "Segmentation Evaluation: unexpected RuntimeError: the layer could not be written "
        "(please report it)"
    ]


def test_world_settings_refuse_a_class_axis_of_an_rgb_layer_that_is_not_its_rgb_axis():
    """Review 23 (4): on a (4, 6, 3) RGB layer of scale (2, 3), dropping axis 0 returned the
    settings of one world axis (scale (3,)) for a result that keeps Y and X (and napari's RGB
    axis, which has no world settings). Only the RGB axis can be dropped."""
    from napari.layers import Image

    from napari_seg_eval._napari.layers import world_settings

    rgb = Image(PROB, rgb=True, scale=(2, 3), name="keras softmax")
    for axis in (0, 1, -3, -2):
        with pytest.raises(ValueError) as raised:
            world_settings(rgb, drop_axis=axis)
        assert str(raised.value) == (
            "layer 'keras softmax' is shown as RGB: only its last axis (axis 2, napari's RGB "
            f"axis) can be dropped as its class axis, not axis {axis}."
        )
    # the RGB axis (2, or -1) is no world axis: both world axes stay, Y of scale 2, X of 3
    for axis in (2, -1, None):
        assert tuple(world_settings(rgb, drop_axis=axis)["scale"]) == (2, 3)
    # the same array not shown as RGB has three world axes, scale (2, 3, 1): axis 0 goes
    plain = Image(PROB, rgb=False, scale=(2, 3, 1))
    assert world_settings(plain, drop_axis=0)["scale"] == (3, 1)
