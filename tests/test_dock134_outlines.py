"""dock134 (review130 LOW-2): the Confidence tab's outlining keeps the user's own choice.

A preview the user sets back to filled while it is outlined stays filled on later visits; a
layer removed while outlined gets its own look (filled) back, so that added again it is
outlined only while the tab is shown, not on every tab.
"""

import pytest

pytest.importorskip("napari")


@pytest.fixture
def dock(make_napari_viewer, sample):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    viewer.add_image(sample["probability"], name="prob")
    viewer.add_labels(sample["ground_truth"], name="truth")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, area="right")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    widget.output_combo.setCurrentText("instance")
    preview = widget.update_threshold_layer(wait=True)
    widget.tabs.setCurrentWidget(widget.display)
    widget.apply_confidence_colormap()
    assert preview.contour == 1  # outlined over the coloured map (test_dock127)
    return viewer, widget, preview


def test_a_preview_the_user_sets_back_to_filled_stays_filled(dock, errors):
    """Regression: leaving the tab and coming back outlined it again."""
    _, widget, preview = dock
    preview.contour = 0  # the user wants it filled, on the tab
    widget.tabs.setCurrentWidget(widget.evaluate)
    assert preview.contour == 0
    widget.tabs.setCurrentWidget(widget.display)
    assert preview.contour == 0  # their choice, kept
    widget.set_threshold(0.6)
    assert widget.update_threshold_layer(wait=True) is preview  # redrawn in place
    assert preview.contour == 0
    widget.restore_look()
    widget.apply_confidence_colormap()  # coloured again: still theirs
    assert preview.contour == 0
    assert errors == []


def test_a_layer_removed_while_outlined_gets_its_look_back(dock, errors):
    """Regression: removed while outlined, it kept the outline; added back it was no longer
    followed, so it stayed outlined on every tab."""
    viewer, widget, preview = dock
    viewer.layers.remove(preview)
    assert preview.contour == 0  # its own look, filled
    widget.tabs.setCurrentWidget(widget.evaluate)
    viewer.layers.append(preview)  # added back off the tab: filled
    assert preview.contour == 0
    widget.tabs.setCurrentWidget(widget.display)
    assert preview.contour == 1  # outlined while the tab is shown, as any preview
    widget.tabs.setCurrentWidget(widget.evaluate)
    assert preview.contour == 0
    widget.tabs.setCurrentWidget(widget.display)
    viewer.layers.remove(preview)
    viewer.layers.append(preview)  # removed and added back on the tab: outlined, followed
    assert preview.contour == 1
    widget.tabs.setCurrentWidget(widget.evaluate)
    assert preview.contour == 0
    assert errors == []
