"""Results are never shown as current when an input changed while the run read it; the stale
line says what the plugin itself changed; the threshold's contour in 3-D; the probability
layer's look (a colormap the user chose, opacity and blending, contrast limits and gamma)."""

import warnings

import numpy as np
import pytest

pytest.importorskip("napari")

from napari_seg_eval.core.colormap import GREEN
from widget_helpers import two_squares_map

TAG = "napari-seg-eval"


#: Two objects, the two squares of the map: label 1 at [1:3, 1:3], label 2 at [1:3, 5:7].
TRUTH = np.zeros((6, 8), np.int32)
TRUTH[1:3, 1:3] = 1
TRUTH[1:3, 5:7] = 2


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    """The dock on a viewer with the map "p" and the truth "truth"; the Confidence and
    Threshold tabs' notices are recorded in ``widget.notices``."""
    from napari_seg_eval._qt import threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    notices = []
    monkeypatch.setattr(threshold_panel, "show_info", notices.append)
    viewer = make_napari_viewer()
    viewer.add_image(two_squares_map(), name="p")
    viewer.add_labels(TRUTH.copy(), name="truth")
    widget = SegEvalWidget(viewer)  # the plugin's dock, built directly
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.set_probability_layer("p")
    widget.set_ground_truth("truth")
    widget.notices = notices
    return viewer, widget


def settle(qtbot, widget):
    """Wait for the threshold preview already asked for (its debounce, then its job)."""
    while widget._preview_timer.isActive() or widget.preview_job.running:
        with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
            pass


def n_true(widget) -> int:
    summary = widget.evaluation.tables["summary"]
    row = (summary["evaluation"] == "instance") & (summary["metric"] == "n_true")
    return int(summary.loc[row, "value"].iloc[0])


# ------------------------------------------------------------ 1. inputs changed during a run
def test_new_truth_data_during_a_run_is_never_shown_as_current(qtbot, dock, errors):
    """trial55 `setdata`: the truth replaced by one square while the run read it."""
    viewer, widget = dock
    widget.set_prediction("p")
    truth = viewer.layers["truth"]
    new = np.zeros((6, 8), np.int32)
    new[:2, :2] = 1  # one object
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()  # in its worker: it reads the truth's array as it is now
        truth.data = new
    # The run scored the truth it read: its two squares (n_true 2), not the new one object.
    assert n_true(widget) == 2
    reason = "'truth' was edited while the evaluation ran: the results do not match it"
    assert widget.evaluation.stale == reason
    assert not widget.evaluate.stale_label.isHidden()
    assert widget.evaluate.stale_label.text().startswith(f"Out of date: {reason}.")
    assert errors == []
    # The next run reads the new truth and is current: nothing of the last run's watch is left.
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()
    assert widget.evaluation.stale == "" and n_true(widget) == 1


def test_painting_the_truth_during_a_run_marks_the_results_out_of_date(qtbot, dock, errors):
    viewer, widget = dock
    widget.set_prediction("p")
    truth = viewer.layers["truth"]
    truth.brush_size = 1
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()
        truth.paint((4, 4), 3)  # a background pixel becomes a third object
    assert widget.evaluation.stale.startswith("'truth' was edited while the evaluation ran")
    assert errors == []


# ----------------------------------------------------- 2. the plugin redid the evaluated preview
def test_the_threshold_redoing_the_evaluated_preview_says_what_happened(qtbot, dock, errors):
    viewer, widget = dock
    widget.set_threshold(0.5)
    settle(qtbot, widget)
    preview = widget.threshold_layer
    assert preview.name == "p thresholded"
    widget.set_prediction("p thresholded")  # the preview's labels are evaluated
    widget.run_evaluation(wait=True)
    assert widget.evaluation.stale == ""
    widget.set_threshold(0.55)  # the live preview rewrites the layer evaluated
    settle(qtbot, widget)
    assert viewer.layers["p thresholded"] is preview  # rewritten in place, still ours
    assert widget.evaluation.stale == (
        "the threshold moved to 0.55: the plugin redid 'p thresholded' at it, so it is not "
        "the labels evaluated (made at 0.5)"
    )
    assert errors == []


# ------------------------------------------------------------------ 3. the contour in 3-D
@pytest.fixture
def volume(make_napari_viewer, monkeypatch):
    """The dock on a 3-D map "v" (3 planes of the 6 x 8 map) and a 2-D map "p"."""
    from napari_seg_eval._qt import threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    notices = []
    monkeypatch.setattr(threshold_panel, "show_info", notices.append)
    viewer = make_napari_viewer()
    viewer.add_image(np.stack([two_squares_map()] * 3), name="v")
    viewer.add_image(two_squares_map(), name="p")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.notices = notices
    return viewer, widget


def contour_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "Contours are not displayed" in str(w.message)]


# napari's own warning, once at the switch to 3-D
@pytest.mark.filterwarnings("ignore:Contours are not displayed during 3D:UserWarning")
def test_the_contour_of_a_volume_is_hidden_in_3d_and_shown_again_in_2d(volume, errors):
    viewer, widget = volume
    shown = widget.apply_confidence_colormap(viewer.layers["v"])
    contour = widget.display.contour_layer(shown)
    assert contour.ndim == 3 and contour.visible
    # napari slices the layers for 3-D before any plugin hears of it (its warning then is
    # napari's); hidden, the contour is redrawn without a warning and without showing.
    viewer.dims.ndisplay = 3
    assert not contour.visible  # no solid green volume over the colormap
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        widget.set_threshold(0.7)  # it stays current while hidden
        widget.display.update_contours(wait=True)
    assert not contour.visible and contour_warnings(caught) == []
    np.testing.assert_array_equal(contour.data, np.stack([two_squares_map()] * 3) > 0.7)
    assert sum("hidden in the 3-D view" in n for n in widget.notices) == 1
    viewer.dims.ndisplay = 2
    assert contour.visible
    # One the user hid stays hidden through 3-D and back.
    contour.visible = False
    viewer.dims.ndisplay = 3
    viewer.dims.ndisplay = 2
    assert not contour.visible
    assert errors == []


def test_a_contour_made_in_3d_is_hidden_and_a_2d_maps_contour_stays(volume, errors):
    viewer, widget = volume
    viewer.dims.ndisplay = 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        coloured = widget.apply_confidence_colormap(viewer.layers["v"])
    assert contour_warnings(caught) == []
    assert not widget.display.contour_layer(coloured).visible
    # A 2-D map's contour is drawn as a contour in a 3-D view too (its plane is 2-D).
    flat = widget.apply_confidence_colormap(viewer.layers["p"])
    assert widget.display.contour_layer(flat).visible
    viewer.dims.ndisplay = 2
    assert widget.display.contour_layer(coloured).visible
    assert errors == []


# ------------------------------------------------------------------ 4. the layer's look
def is_green(colour) -> bool:
    return bool(np.allclose(colour, GREEN, atol=1e-6))


def test_a_colormap_the_user_chose_is_kept_until_applied_again(dock, errors):
    _, widget = dock
    layer = widget.apply_confidence_colormap()
    layer.colormap = "viridis"  # the user's choice in the layer controls
    widget.set_threshold(0.3)
    assert layer.colormap.name == "viridis"
    widget.set_threshold(0.4)
    said = [n for n in widget.notices if "keeps the colormap you chose" in n]
    assert len(said) == 1 and "'p'" in said[0] and "viridis" in said[0]  # once
    widget.apply_confidence_colormap()  # the button colours it again, and it follows again
    assert layer.colormap.name == "napari-seg-eval:confidence"
    assert is_green(layer.colormap.map([0.4])[0])
    widget.set_threshold(0.6)
    assert is_green(layer.colormap.map([0.6])[0])
    assert errors == []


def test_applying_again_keeps_the_users_opacity_and_blending(dock, errors):
    viewer, widget = dock
    layer = viewer.layers["p"]
    original = (layer.opacity, layer.blending)
    widget.apply_confidence_colormap()
    assert (layer.opacity, layer.blending) == (pytest.approx(0.6), "translucent")  # first time
    layer.opacity, layer.blending = 0.9, "additive"
    widget.apply_confidence_colormap()
    assert (layer.opacity, layer.blending) == (pytest.approx(0.9), "additive")
    widget.restore_look()  # the look before the first apply
    assert (layer.opacity, layer.blending) == original
    assert errors == []


def test_the_band_sits_on_the_threshold_whatever_the_contrast_limits(dock, errors):
    _, widget = dock
    widget.set_threshold(0.3)
    layer = widget.apply_confidence_colormap()
    assert tuple(layer.contrast_limits) == (0.0, 1.0)
    layer.contrast_limits = (0.1, 0.9)
    # napari draws value v at position (v - 0.1) / 0.8: 0.29 at 0.2375, 0.3 at 0.25, 0.31 at
    # 0.2625 (within 0.01 of the threshold: green); 0.25 at 0.1875 and 0.35 at 0.3125 (0.05
    # away: not green).
    colours = layer.colormap.map([0.2375, 0.25, 0.2625, 0.1875, 0.3125])
    assert [is_green(c) for c in colours] == [True, True, True, False, False]
    assert colours[3][2] > colours[3][0]  # below: blue
    assert colours[4][0] > colours[4][2]  # above: yellow to red
    # The colour bar spans the limits: column k of 801 is 0.1 + k / 1000; 0.3 is column 200.
    bar = widget.colorbar
    assert bar.limits == pytest.approx((0.1, 0.9)) and bar.threshold_place() == pytest.approx(0.25)
    columns = bar.colors(801)
    green = np.round(np.array(GREEN) * 255)  # the bar's colours are uint8
    assert (columns[200] == green).all() and not (columns[150] == green).all()
    # The threshold moves with the limits kept: 0.6 is at (0.6 - 0.1) / 0.8 = 0.625.
    widget.set_threshold(0.6)
    assert tuple(layer.contrast_limits) == pytest.approx((0.1, 0.9))  # the user's, kept
    assert is_green(layer.colormap.map([0.625])[0])
    assert not is_green(layer.colormap.map([0.25])[0])
    # Gamma: napari draws position ((v - 0.1) / 0.8) ** gamma; with 0.5, 0.6 is at
    # 0.625 ** 0.5 = 0.790569..., and 0.5 (0.1 away) at 0.5 ** 0.5 = 0.707107...
    layer.gamma = 0.5
    assert is_green(layer.colormap.map([0.625**0.5])[0])
    assert not is_green(layer.colormap.map([0.5**0.5])[0])
    assert errors == []


@pytest.mark.parametrize(
    ("dtype", "full"), [(np.uint8, 255), (np.uint16, 65535)], ids=["uint8", "uint16"]
)
def test_integer_maps_band_on_the_threshold_whatever_the_limits(dock, errors, dtype, full):
    viewer, widget = dock
    integers = np.round(two_squares_map().astype(float) * full).astype(dtype)
    viewer.add_image(integers, name="q")
    widget.set_threshold(0.3)
    layer = widget.apply_confidence_colormap(viewer.layers["q"])
    assert tuple(layer.contrast_limits) == (0.0, float(full))
    # limits 0..full: probability p (value p * full) is at position p
    assert is_green(layer.colormap.map([0.3])[0]) and not is_green(layer.colormap.map([0.25])[0])
    layer.contrast_limits = (0.2 * full, 0.8 * full)
    # p = 0.3 (value 0.3 * full) is at (0.3 - 0.2) / 0.6 = 1/6; p = 0.25 (0.05 away) at
    # 0.05 / 0.6 = 1/12
    assert is_green(layer.colormap.map([1 / 6])[0])
    assert not is_green(layer.colormap.map([1 / 12])[0])
    # p = 0.2 (the lower limit) is at 0: the colour of step 0 of the table
    np.testing.assert_allclose(layer.colormap.map([0.0])[0], layer.colormap.colors[0])
    assert widget.colorbar.limits == pytest.approx((0.2, 0.8))  # as probabilities
    assert errors == []
