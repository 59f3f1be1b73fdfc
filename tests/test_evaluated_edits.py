"""A user's fixes painted on the Evaluate tab's "<map> evaluated" labels (the labels a probability
map was turned into and scored) are kept: no error, the layer becomes the user's, the evaluation
is out of date, and the next run makes a new layer; the record's own labels never change. The
Confidence tab's threshold contour is handed over alike."""

import numpy as np
import pytest

pytest.importorskip("napari")

from widget_helpers import two_squares_map

TAG = "napari-seg-eval"


#: By hand: p > 0.5 is both squares, two objects apart (columns 3 and 4 between them): the
#: labels number them in raster order, the left one 1, the right one 2. p > 0.55 is the left
#: square only (object 1).
LABELS_050 = np.zeros((6, 8), np.int64)
LABELS_050[1:3, 1:3] = 1
LABELS_050[1:3, 5:7] = 2
LABELS_055 = np.where(LABELS_050 == 1, 1, 0)
#: The truth: the left square (object 1).
TRUTH = LABELS_055.astype(np.int32)


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    """The dock on a viewer with the map "p" and the truth "truth", the prediction "p"; the
    hand-over notices are recorded in ``widget.notices``."""
    from napari_seg_eval._qt import threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    notices = []
    monkeypatch.setattr(threshold_panel, "show_info", notices.append)
    viewer = make_napari_viewer()
    viewer.add_image(two_squares_map(), name="p")
    viewer.add_labels(TRUTH, name="truth")
    widget = SegEvalWidget(viewer)  # the plugin's dock, built directly
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.set_probability_layer("p")
    widget.set_ground_truth("truth")
    widget.set_prediction("p")
    widget.notices = notices
    return viewer, widget


def settle(qtbot, widget):
    """Wait for the threshold preview already asked for (its debounce, then its job)."""
    while widget._preview_timer.isActive() or widget.preview_job.running:
        with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
            pass


def run(qtbot, widget, threshold):
    """Run the evaluation in its worker at ``threshold``; the record."""
    widget.set_threshold(threshold)
    settle(qtbot, widget)
    with qtbot.waitSignal(widget.evaluate.evaluated, timeout=60_000):
        widget.run_evaluation()
    assert widget.evaluation.settings.threshold == pytest.approx(threshold)
    assert widget.evaluation.stale == ""
    return widget.evaluation


def evaluated(viewer):
    """Our "<map> evaluated" layer of "p" (by its tag), or None."""
    found = [
        layer
        for layer in viewer.layers
        if layer.metadata.get(TAG, {}).get("role") == "evaluated"
        and layer.metadata[TAG]["source"] == "p"
    ]
    assert len(found) <= 1
    return found[0] if found else None


def edit(layer, how):
    """Edit ``layer`` as a user (or a script) would; returns the pixel changed and its value,
    and the text the evaluation's stale reason names the edit with."""
    layer.brush_size = 1
    if how == "paint":
        layer.paint((4, 4), 9)  # a background pixel (p = 0.1) becomes 9
        return (4, 4), 9, "painted on"
    if how == "fill":
        layer.fill((1, 5), 7)  # the right square (object 2, 4 pixels) becomes 7
        return (1, 5), 7, "painted on"
    if how == "erase":
        layer.paint((1, 1), 0)  # a pixel of the left square (object 1) becomes background
        return (1, 1), 0, "painted on"
    if how == "data_setitem":
        layer.data_setitem((np.array([4]), np.array([4])), 9)
        return (4, 4), 9, "painted on"
    new = np.array(layer.data, copy=True)  # "assign": a script gives it new data
    new[4, 4] = 9
    layer.data = new
    return (4, 4), 9, "given new data"


@pytest.mark.parametrize("how", ["paint", "fill", "erase", "data_setitem", "assign"])
def test_painting_the_evaluated_labels_keeps_the_edit_and_runs_make_a_new_layer(
    qtbot, dock, errors, how
):
    viewer, widget = dock
    record = run(qtbot, widget, 0.5)
    layer = evaluated(viewer)
    assert layer.name == "p evaluated"
    np.testing.assert_array_equal(layer.data, LABELS_050)
    np.testing.assert_array_equal(record.prediction, LABELS_050)
    assert not record.prediction.flags.writeable  # the record's: read-only
    assert widget.notices == []

    pixel, value, said = edit(layer, how)  # old code: "assignment destination is read-only"
    expected = LABELS_050.copy()
    if how == "fill":
        expected[LABELS_050 == 2] = 7  # the right square's 4 pixels, all 4-connected
    else:
        expected[pixel] = value
    np.testing.assert_array_equal(layer.data, expected)
    # handed over at once: the user's layer, renamed, untagged, and said once
    assert layer.name == "p evaluated (edited)"
    assert TAG not in layer.metadata
    assert evaluated(viewer) is None
    assert len(widget.notices) == 1
    assert "'p evaluated (edited)'" in widget.notices[0]
    assert "The next Run makes a new layer 'p evaluated'" in widget.notices[0]
    # the evaluation is out of date, and says which edit and where the edit is kept
    stale = widget.evaluation.stale
    assert stale.startswith(f"'p evaluated' was {said}")
    assert "'p evaluated (edited)'" in stale
    assert stale in widget.evaluate.stale_label.text()
    assert not widget.evaluate.stale_label.isHidden()
    # the record is the evaluation as it was: its labels unchanged, still read-only
    np.testing.assert_array_equal(widget.evaluation.prediction, LABELS_050)
    assert not widget.evaluation.prediction.flags.writeable

    second = run(qtbot, widget, 0.55)  # a new layer; the edited one is left as it is
    new = evaluated(viewer)
    assert new is not layer and new.name == "p evaluated"
    np.testing.assert_array_equal(new.data, LABELS_055)
    np.testing.assert_array_equal(second.prediction, LABELS_055)
    np.testing.assert_array_equal(layer.data, expected)
    assert layer in viewer.layers and layer.name == "p evaluated (edited)"
    np.testing.assert_array_equal(record.prediction, LABELS_050)  # the first record's too

    run(qtbot, widget, 0.5)  # later runs write into the new layer only
    assert evaluated(viewer) is new
    np.testing.assert_array_equal(new.data, LABELS_050)
    np.testing.assert_array_equal(layer.data, expected)
    assert len(widget.notices) == 1  # said once
    assert errors == []


def test_our_own_updates_over_several_runs_are_no_edits(qtbot, dock, errors):
    viewer, widget = dock
    run(qtbot, widget, 0.5)
    layer = evaluated(viewer)
    n_layers = len(viewer.layers)
    # by hand: p > 0.3 is both squares (0.9, 0.52) as p > 0.5 is; p > 0.8 the left square
    # (0.9); p > 0.05 every pixel (the background is 0.1): one object of all 48 pixels
    hand = {0.3: LABELS_050, 0.8: LABELS_055, 0.05: np.ones((6, 8)), 0.5: LABELS_050}
    for threshold, labels in hand.items():
        record = run(qtbot, widget, threshold)
        assert evaluated(viewer) is layer and layer.name == "p evaluated"
        assert layer.metadata[TAG]["threshold"] == pytest.approx(threshold)
        np.testing.assert_array_equal(layer.data, labels)
        assert layer.data is not record.prediction and layer.data.flags.writeable
    assert len(viewer.layers) == n_layers and widget.notices == []
    assert widget.evaluation.stale == ""
    # the watch is still on: the user's first edit after all our writes hands it over
    layer.brush_size = 1
    layer.paint((4, 4), 9)
    assert layer.name == "p evaluated (edited)" and len(widget.notices) == 1
    assert widget.evaluation.stale.startswith("'p evaluated' was painted on")
    assert errors == []


def test_lazy_evaluated_labels_are_not_paintable(qtbot, make_napari_viewer, errors):
    """napari "paints" a dask array by rewriting its graph in place: the layer is made
    non-editable (paint tools greyed out), on every run, and has a dask array of its own."""
    import dask.array as da

    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    viewer.add_image(da.from_array(two_squares_map(), chunks=(3, 4)), name="p")
    viewer.add_labels(TRUTH, name="truth")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.set_probability_layer("p")
    widget.set_ground_truth("truth")
    widget.set_prediction("p")
    for threshold, labels in ((0.5, LABELS_050), (0.55, LABELS_055)):
        record = run(qtbot, widget, threshold)
        layer = evaluated(viewer)
        assert isinstance(record.prediction, da.Array)
        assert isinstance(layer.data, da.Array) and layer.data is not record.prediction
        assert not layer.editable  # napari makes a layer editable again given new data
        layer.mode = "paint"
        assert layer.mode == "pan_zoom"  # refused
        np.testing.assert_array_equal(np.asarray(layer.data), labels)
    assert errors == []


def test_a_painted_threshold_contour_is_kept(qtbot, dock, errors):
    viewer, widget = dock
    prob = viewer.layers["p"]
    widget.apply_confidence_colormap(prob)
    contour = widget.display.contour_layer(prob)
    np.testing.assert_array_equal(contour.data, LABELS_050 > 0)  # p > 0.5, by hand above
    contour.brush_size = 1
    contour.paint((4, 4), 1)  # the user marks a background pixel (p = 0.1)
    assert contour.name == "p contour (edited)" and TAG not in contour.metadata
    assert len(widget.notices) == 1 and "'p contour (edited)'" in widget.notices[0]
    with qtbot.waitSignal(widget.display.contour_job.finished, timeout=20_000):
        widget.set_threshold(0.55)
    expected = LABELS_050 > 0
    expected[4, 4] = True
    np.testing.assert_array_equal(contour.data, expected)  # the user's, not redrawn
    new = widget.display.contour_layer(prob)
    assert new is not contour and new.name == "p contour"
    np.testing.assert_array_equal(new.data, LABELS_055 > 0)  # p > 0.55: the left square
    widget.restore_look(prob)  # removes our contour only
    assert new not in viewer.layers and contour in viewer.layers
    assert errors == []
