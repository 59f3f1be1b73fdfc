"""The Layers-menu commands run the way napari's menus run them: through app-model, which hands
them a proxy of the viewer. They act on the selected layer and reuse the one dock."""

import numpy as np
import pytest

from napari_seg_eval._qt.widget import SegEvalWidget

pytest.importorskip("napari")

THRESHOLD = "napari-seg-eval.threshold_selected"
EVALUATE = "napari-seg-eval.evaluate_selected"
COLOUR = "napari-seg-eval.colour_confidence_selected"
PLUGINS_MENU_ITEM = "napari-seg-eval.make_widget"  # Plugins > Segmentation Evaluation


def run_command(command_id: str):
    """Execute a command as its menu item does (app-model, the current viewer injected)."""
    from napari._app_model import get_app_model

    return get_app_model().commands.execute_command(command_id).result()


def our_docks(viewer) -> list[SegEvalWidget]:
    return [w for w in viewer.window.dock_widgets.values() if isinstance(w, SegEvalWidget)]


@pytest.fixture
def two_maps(make_napari_viewer):
    """Two probability maps, mirror images: ``left`` is sure on the left half, ``right`` on the
    right half; the first one added is the one the dock would choose by itself."""
    viewer = make_napari_viewer(show=True)
    left = np.zeros((8, 8), np.float32)
    left[:, :4] = 0.9  # columns 0..3 above 0.5, columns 4..7 (0.1) below
    left[:, 4:] = 0.1
    viewer.add_image(left, name="left", contrast_limits=(0, 1))
    viewer.add_image(left[:, ::-1].copy(), name="right", contrast_limits=(0, 1))
    return viewer


def test_threshold_menu_thresholds_the_selected_of_two_maps(qtbot, two_maps):
    viewer = two_maps
    viewer.layers.selection.active = viewer.layers["right"]
    run_command(THRESHOLD)  # before the fix: ValueError, no Image layer 'right'
    (widget,) = our_docks(viewer)
    assert widget.tabs.tabText(widget.tabs.currentIndex()) == "Threshold"
    assert widget.probability_combo.layer() is viewer.layers["right"]
    qtbot.waitUntil(lambda: "right thresholded" in viewer.layers, timeout=20_000)
    # "right" is 0.9 in columns 4..7 and 0.1 in columns 0..3: p > 0.5 exactly in columns 4..7
    expected = np.zeros((8, 8), bool)
    expected[:, 4:] = True
    np.testing.assert_array_equal(np.asarray(viewer.layers["right thresholded"].data) > 0, expected)


def test_evaluate_menu_chooses_the_selected_of_two_maps(two_maps):
    viewer = two_maps
    viewer.layers.selection.active = viewer.layers["right"]
    run_command(EVALUATE)
    (widget,) = our_docks(viewer)
    assert widget.tabs.tabText(widget.tabs.currentIndex()) == "Evaluate"
    assert widget.evaluate.prediction_combo.layer() is viewer.layers["right"]


def test_confidence_menu_colours_the_selected_of_two_maps(two_maps):
    from napari_seg_eval.core.colormap import GREEN

    viewer = two_maps
    viewer.layers.selection.active = viewer.layers["right"]
    run_command(COLOUR)
    (widget,) = our_docks(viewer)
    assert widget.tabs.tabText(widget.tabs.currentIndex()) == "Confidence"
    assert widget.probability_combo.layer() is viewer.layers["right"]
    # the confidence colormap is green at the threshold (0.5); "left" keeps napari's gray
    np.testing.assert_allclose(viewer.layers["right"].colormap.map([0.5])[0], GREEN, atol=1e-6)
    assert viewer.layers["left"].colormap.name == "gray"


def test_menu_commands_reuse_the_dock_the_plugins_menu_opened(two_maps):
    viewer = two_maps
    run_command(PLUGINS_MENU_ITEM)  # the Plugins menu item's own action adds the dock
    (opened,) = our_docks(viewer)
    for command, tab in ((THRESHOLD, "Threshold"), (EVALUATE, "Evaluate"), (COLOUR, "Confidence")):
        run_command(command)
        assert our_docks(viewer) == [opened], command
        assert opened.tabs.tabText(opened.tabs.currentIndex()) == tab
    assert len(viewer.window.dock_widgets) == 1


def test_menu_command_shows_the_dock_again_after_it_was_closed(qtbot, two_maps):
    viewer = two_maps
    run_command(PLUGINS_MENU_ITEM)
    (opened,) = our_docks(viewer)
    dock = opened.parent()  # napari's QDockWidget around our widget
    qtbot.waitUntil(dock.isVisible)  # the main window lays the new dock out
    run_command(PLUGINS_MENU_ITEM)  # the same menu item again hides the dock
    assert not dock.isVisible()
    run_command(EVALUATE)
    qtbot.waitUntil(dock.isVisible)
    assert our_docks(viewer) == [opened]


@pytest.mark.parametrize("opener", ["layers menu", "script"])
def test_plugins_menu_shows_the_dock_a_command_or_a_script_opened(qtbot, two_maps, opener):
    viewer = two_maps
    if opener == "layers menu":
        run_command(EVALUATE)
    else:  # as `napari-seg-eval demo` and the docs' scripts open it
        viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    (opened,) = our_docks(viewer)
    dock = opened.parent()
    qtbot.waitUntil(dock.isVisible)
    # Plugins > Segmentation Evaluation toggles the dock it finds by "<widget> (<plugin display
    # name>)"; before the fix the dock was named after the package and the menu added a second
    run_command(PLUGINS_MENU_ITEM)
    assert our_docks(viewer) == [opened]
    assert not dock.isVisible()
    run_command(PLUGINS_MENU_ITEM)
    qtbot.waitUntil(dock.isVisible)
    assert our_docks(viewer) == [opened]


def test_threshold_menu_on_a_labels_layer_says_why_it_is_not_thresholded(two_maps, monkeypatch):
    """trial70: Threshold probabilities… on a Labels layer switched to the tab silently."""
    from napari_seg_eval import _menus

    shown = []
    monkeypatch.setattr(_menus, "show_info", shown.append)
    viewer = two_maps
    viewer.add_labels(np.zeros((8, 8), np.uint8), name="mask")  # selected: the last added
    run_command(THRESHOLD)
    (widget,) = our_docks(viewer)
    assert widget.tabs.tabText(widget.tabs.currentIndex()) == "Threshold"
    assert widget.probability_combo.layer() is not viewer.layers["mask"]
    assert shown == [
        "Segmentation Evaluation: 'mask' is a Labels layer, not a probability map: choose the "
        "probability layer in the Threshold tab."
    ]
