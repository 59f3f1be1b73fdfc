"""The header's class axis when it is a multi-class prediction's and the header's map is 2-D;
stale runs kept by the Runs tab; a stale reason that follows the prediction chosen; small
guards (a hidden layer coloured, gamma 0, a TIFF of label planes stored as RGB)."""

import numpy as np
import pytest

pytest.importorskip("napari")

from widget_helpers import settle_preview

#: The truth's classes on a 4 x 4 grid: class 1 top left, class 2 bottom right, else 0.
CLASSES = np.zeros((4, 4), np.int32)
CLASSES[:2, :2] = 1
CLASSES[2:, 2:] = 2


def softmax_of(classes: np.ndarray) -> np.ndarray:
    """A (3, Y, X) softmax: channel k is 0.8 where the class is k, 0.1 elsewhere (each
    pixel's three channels sum to 0.8 + 0.1 + 0.1 = 1)."""
    return np.stack([np.where(classes == k, 0.8, 0.1) for k in range(3)]).astype(np.float32)


#: The header's 2-D map: 0.9 in the top left 2 x 2 square, 0.1 elsewhere; p > 0.5 is the square.
MAP = np.where(CLASSES == 1, 0.9, 0.1).astype(np.float32)


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    """The dock on a viewer with the 2-D map "p", the softmax "softmax" and the truth
    "truth"; the Threshold tab's notices are in ``widget.notices``."""
    from napari_seg_eval._qt import threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    notices = []
    monkeypatch.setattr(threshold_panel, "show_info", notices.append)
    viewer = make_napari_viewer()
    viewer.add_image(MAP, name="p")
    viewer.add_image(softmax_of(CLASSES), name="softmax")
    viewer.add_labels(CLASSES, name="truth")
    widget = SegEvalWidget(viewer)  # the plugin's dock, built directly
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.notices = notices
    return viewer, widget


def test_the_prediction_s_class_axis_leaves_the_2d_header_map_alone(dock, qtbot, errors):
    """Axis 0 of the softmax prediction, chosen in the header beside the 2-D map "p": the
    preview, colormap and class controls of "p" ignore it; Run evaluates the softmax by it."""
    viewer, widget = dock
    widget.set_probability_layer("p")
    widget.live_check.setChecked(True)
    widget.update_threshold_layer(wait=True)
    expected = (MAP > 0.5).astype(np.uint8)  # the 2 x 2 square of 0.9, 4 pixels
    assert expected.sum() == 4
    np.testing.assert_array_equal(np.asarray(widget.threshold_layer.data) > 0, expected > 0)
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    combo = widget.channel_axis_combo
    combo.setCurrentIndex(combo.findData(0))  # the softmax's class axis
    widget.background_check.setChecked(True)  # channel 0 is background: channel k is class k
    settle_preview(qtbot, widget)
    assert errors == []  # no "'p' is 2-D: its axis 0 as the class axis leaves no image"
    assert widget.threshold_layer.data.shape == (4, 4)  # still the preview of "p"
    np.testing.assert_array_equal(np.asarray(widget.threshold_layer.data) > 0, expected > 0)
    assert widget.class_axis_of(viewer.layers["p"]) is None
    assert widget.class_axis_of(viewer.layers["softmax"]) == 0
    assert not widget.display.class_slider.isEnabled()
    assert not widget.display.top_class_button.isEnabled()
    assert widget.confidence.class_spin.isHidden()

    widget.run_evaluation(wait=True)
    assert errors == []
    assert widget.evaluation.settings.threshold_options.channel_axis == 0
    # The most probable channel of each pixel is its class (0.8 against 0.1, and 0.8 > 0.5),
    # channel 0 background: the labels evaluated are the truth's classes themselves.
    evaluated = viewer.layers["softmax evaluated"]
    np.testing.assert_array_equal(np.asarray(evaluated.data), CLASSES)

    layer = widget.apply_confidence_colormap()  # "p" itself: no class to show of a 2-D map
    assert errors == []
    assert layer is viewer.layers["p"]
    assert layer.colormap.name == "napari-seg-eval:confidence"


def test_a_lost_class_axis_is_announced(dock, qtbot, errors):
    """The prediction goes back to a 2-D map: the softmax's axis 0 is no longer offered and
    the header says "none" to every tab."""
    _, widget = dock
    widget.set_probability_layer("p")
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    combo = widget.channel_axis_combo
    combo.setCurrentIndex(combo.findData(0))
    seen = []
    combo.currentIndexChanged.connect(lambda *_: seen.append(combo.currentData()))
    widget.set_prediction("p")  # a 2-D prediction: only "none" is offered
    assert [combo.itemData(i) for i in range(combo.count())] == [None]
    assert seen == [None]  # announced once
    assert errors == []


def test_the_shape_mismatch_advice_names_only_the_axis_when_the_header_offers_it(dock, errors):
    """A softmax prediction beside the 2-D header map, no axis chosen: the header offers the
    softmax's axes, so the advice is only to choose the axis."""
    from napari_seg_eval._qt.evaluate_panel import shape_mismatch

    _, widget = dock
    widget.set_probability_layer("p")
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(None))
    assert widget.run_evaluation(wait=True) is None
    # (3, 4, 4) against (4, 4): only axis 0 (3 values) leaves (4, 4)
    assert any("choose axis 0 as the header's Channel axis" in e for e in errors), errors
    assert not any("as the header's Probability layer" in e for e in errors), errors
    # another multi-axis header map of another shape: the old advice stays
    old = shape_mismatch("truth", "softmax", (4, 4), (3, 4, 4))
    assert "choose 'softmax' as the header's Probability layer and axis 0" in old


def test_a_run_whose_input_changed_meanwhile_is_kept_stale(dock, qtbot, errors):
    """The truth renamed while the run reads it: the record shown is stale, and so is the run
    the Runs tab keeps, whose row says why in its tooltip."""
    from qtpy.QtCore import Qt

    viewer, widget = dock
    viewer.add_labels(CLASSES.copy(), name="seg")
    widget.set_ground_truth("truth")
    widget.set_prediction("seg")
    with qtbot.waitSignal(widget.evaluate.evaluated, timeout=60_000) as emitted:
        widget.run_evaluation()  # in a worker: its results are shown from the event loop
        viewer.layers["truth"].name = "truth renamed"
    reason = "'truth' was renamed while the evaluation ran"
    record = emitted.args[0]
    assert record.stale == reason
    assert widget.evaluation.stale == reason
    run = widget.runs.runs[-1]
    assert run.record.stale == reason
    from napari_seg_eval._qt.runs_panel import STALE_RUN_TIP

    model = widget.runs.table.model
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(STALE_RUN_TIP.format(reason=reason))
    assert errors == []


def test_the_stale_reason_follows_the_prediction_chosen(dock, errors):
    """Out of date because the prediction changed: choosing again names the choice now, and a
    choice removed says so."""
    viewer, widget = dock
    for name in ("A", "B", "C"):
        viewer.add_labels(CLASSES.copy(), name=name)
    widget.set_ground_truth("truth")
    widget.set_prediction("A")
    widget.run_evaluation(wait=True)
    widget.set_prediction("B")
    assert widget.evaluation.stale == "the prediction changed to 'B' (the evaluation used 'A')"
    widget.set_prediction("C")
    assert widget.evaluation.stale == "the prediction changed to 'C' (the evaluation used 'A')"
    assert "changed to 'C'" in widget.evaluate.stale_label.text()
    viewer.layers.remove("C")
    now = widget.evaluate.prediction_combo.layer()
    stale = widget.evaluation.stale
    if now is None:
        assert stale == "the prediction changed to 'C', since removed (the evaluation used 'A')"
    elif now is viewer.layers["A"]:
        assert stale == "the prediction changed, then back to 'A'"
    else:
        assert stale == f"the prediction changed to {now.name!r} (the evaluation used 'A')"
    assert "'C'" not in stale or "since removed" in stale
    assert errors == []


def test_colouring_a_hidden_layer_shows_it(dock, errors):
    viewer, widget = dock
    widget.set_probability_layer("p")
    layer = viewer.layers["p"]
    layer.visible = False  # as Review's "Show errors as a layer" hides it
    assert widget.apply_confidence_colormap() is layer
    assert layer.visible
    assert any("'p' was hidden" in notice for notice in widget.notices)
    assert errors == []


def test_gamma_zero_is_read_as_the_smallest_gamma():
    """A script's ``layer.gamma = 0`` (napari's layer takes it; the colormap is rebuilt in a
    slot for the layer's gamma) divided by zero."""
    from napari_seg_eval._colormap import confidence_colors
    from napari_seg_eval.core.colormap import GREEN, STEPS

    colors = confidence_colors(0.5, (0.0, 1.0), gamma=0.0)  # no ZeroDivisionError
    np.testing.assert_array_equal(colors, confidence_colors(0.5, (0.0, 1.0), gamma=1e-3))
    # Drawn at position 0.5 ** 0.001 = exp(0.001 * ln 0.5) = 0.999307..., the threshold's
    # green step is int(0.999307 * 1024) = int(1023.29) = 1023, the last.
    assert STEPS == 1024
    np.testing.assert_array_equal(colors[1023], GREEN)


def test_a_tiff_of_label_planes_stored_as_rgb_is_refused_with_the_way_to_save_it(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    from napari_seg_eval.io.read import FileReadError, read_labels

    planes = np.zeros((4, 5, 3), np.uint8)
    planes[1, 1] = (1, 2, 3)  # three planes of labels that differ: not a grey picture
    path = tmp_path / "planes.tif"
    tifffile.imwrite(path, planes)  # tifffile's default for (Y, X, 3): RGB
    with pytest.raises(FileReadError, match="photometric='minisblack'"):
        read_labels(path)
    kept = tmp_path / "planes_minisblack.tif"
    tifffile.imwrite(kept, planes, photometric="minisblack")
    np.testing.assert_array_equal(np.asarray(read_labels(kept)), planes)
