"""dock127 (trial121): the header, Threshold, Confidence and Evaluate tabs say the truth.

The preview is outlined while the Confidence tab's legend is shown; "Out of date" reads in
both themes; it goes when the threshold and its options are back; Cancel resets the progress
bar; the per-plane plot ticks whole planes; the split depth is greyed out while not splitting.
"""

import re
import warnings

import numpy as np
import pytest
from napari.utils.theme import get_theme

pytest.importorskip("napari")


@pytest.fixture
def dock(make_napari_viewer, sample):
    viewer = make_napari_viewer()
    viewer.add_image(sample["probability"], name="prob")
    viewer.add_labels(sample["ground_truth"], name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.set_ground_truth("truth")
    return viewer, widget


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (0..255), from its definition: relative
    luminance L = 0.2126 R + 0.7152 G + 0.0722 B of the linearised channels, then
    (L_light + 0.05) / (L_dark + 0.05)."""

    def luminance(rgb):
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in (x / 255 for x in rgb[:3])
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    dark, light = sorted((luminance(a), luminance(b)))
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_by_hand():
    # Black on white: (1 + 0.05) / (0 + 0.05) = 21. The trial's measure of the dark theme's
    # orange rgb(230, 159, 0) on the light dock rgb(235, 231, 230): 1.83 : 1.
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((230, 159, 0), (235, 231, 230)) == pytest.approx(1.83, abs=0.01)


def sheet_colors(sheet: str) -> list[tuple[int, int, int]]:
    return [tuple(map(int, m)) for m in re.findall(r"rgb\((\d+), (\d+), (\d+)\)", sheet)]


# 1 -------------------------------------------------------------------------------------------
def test_the_preview_is_outlined_while_the_confidence_tab_is_shown(dock, errors):
    """Over the coloured map the instance preview's random colours read as the legend's blue
    and green: while the Confidence tab is shown it is outlined, its own look after."""
    _, widget = dock
    widget.output_combo.setCurrentText("instance")
    preview = widget.update_threshold_layer(wait=True)
    widget.tabs.setCurrentWidget(widget.display)
    assert preview.contour == 0  # nothing coloured yet: no legend to read it against
    widget.apply_confidence_colormap()
    assert preview.contour == 1  # coloured while the tab is shown: outlined at once
    widget.tabs.setCurrentWidget(widget.evaluate)
    assert preview.contour == 0  # its own look back
    widget.tabs.setCurrentWidget(widget.display)
    assert preview.contour == 1
    widget.set_threshold(0.6)
    widget.update_threshold_layer(wait=True)  # redrawn in place: still outlined
    assert widget.threshold_layer is preview and preview.contour == 1
    preview.contour = 3  # the user's outline while we outlined it: theirs, kept
    widget.tabs.setCurrentWidget(widget.threshold_panel)
    assert preview.contour == 3
    preview.contour = 2  # set by the user before the tab is shown: never touched
    widget.tabs.setCurrentWidget(widget.display)
    assert preview.contour == 2
    widget.tabs.setCurrentWidget(widget.threshold_panel)
    assert preview.contour == 2
    preview.contour = 0
    widget.tabs.setCurrentWidget(widget.display)
    assert preview.contour == 1
    widget.restore_look()  # the map is no longer coloured: no legend to read it against
    assert preview.contour == 0
    assert errors == []


def test_a_preview_made_while_the_tab_is_shown_is_outlined(dock, errors):
    _, widget = dock
    widget.tabs.setCurrentWidget(widget.display)
    widget.apply_confidence_colormap()
    widget.output_combo.setCurrentText("instance")
    preview = widget.update_threshold_layer(wait=True)  # a new layer, added now
    assert preview.contour == 1
    widget.tabs.setCurrentWidget(widget.threshold_panel)
    assert preview.contour == 0
    assert errors == []


# napari's own warning, once at the switch to 3-D: it slices the layers for 3-D before any
# plugin hears of the switch (as for the threshold's contour layer, test_lifecycle57).
@pytest.mark.filterwarnings("ignore:Contours are not displayed during 3D:UserWarning")
def test_3d_labels_stay_filled_in_the_3d_view(make_napari_viewer, sample, errors):
    """napari draws no outlines of 3-D labels in 3-D (it warns and draws them filled): the
    preview stays filled there, and is outlined again back in 2-D."""
    viewer = make_napari_viewer()
    viewer.add_image(np.stack([sample["probability"]] * 3), name="prob")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.output_combo.setCurrentText("instance")
    preview = widget.update_threshold_layer(wait=True)
    widget.tabs.setCurrentWidget(widget.display)
    widget.apply_confidence_colormap()
    assert preview.contour == 1
    viewer.dims.ndisplay = 3
    assert preview.contour == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        widget.set_threshold(0.6)
        widget.update_threshold_layer(wait=True)  # redrawn in 3-D: still filled, no warning
    assert preview.contour == 0
    assert not [w for w in caught if "Contours are not displayed" in str(w.message)]
    viewer.dims.ndisplay = 2
    assert preview.contour == 1
    widget.tabs.setCurrentWidget(widget.evaluate)
    assert preview.contour == 0
    assert errors == []


# 2 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_out_of_date_reads_in_both_themes_and_follows_the_theme(dock, theme, errors):
    """WCAG asks 4.5 : 1 for text: the "Out of date" line and the tables' frame, on the
    theme's background and its panels, after a live theme change too."""
    viewer, widget = dock
    widget.set_prediction("prob")
    widget.run_evaluation(wait=True)
    other = "dark" if theme == "light" else "light"
    viewer.theme = other
    widget.set_threshold(0.6)  # out of date, said in the other theme
    viewer.theme = theme  # the theme changes afterwards: the colours follow it
    colours = get_theme(theme)
    backgrounds = [colours.background.as_rgb_tuple(), colours.foreground.as_rgb_tuple()]
    labels = [widget.evaluate.stale_label, widget.review.stale_label]
    assert not any(label.isHidden() for label in labels)
    sheets = [label.styleSheet() for label in labels]
    sheets.append(widget.evaluate.tables["summary"].view.styleSheet())
    sheets.append(widget.dataset.stale_label.styleSheet())  # not shown, but ready
    for sheet in sheets:
        (colour,) = sheet_colors(sheet)
        for background in backgrounds:
            assert contrast(colour, background) >= 4.5, (theme, sheet, background)
    widget.set_threshold(0.7)  # a table framed anew takes the theme's colour too
    widget.evaluate.tables["summary"].set_stale(True)
    (colour,) = sheet_colors(widget.evaluate.tables["summary"].view.styleSheet())
    assert contrast(colour, backgrounds[0]) >= 4.5
    assert errors == []


# 3 -------------------------------------------------------------------------------------------
def test_out_of_date_goes_when_the_threshold_and_options_are_back(dock, errors):
    _, widget = dock
    widget.set_prediction("prob")
    widget.run_evaluation(wait=True)
    assert widget.evaluation.stale == ""
    widget.set_threshold(0.6)
    assert widget.evaluation.stale == "the threshold is now 0.6; the evaluation used 0.5"
    widget.set_threshold(0.7)  # the reason follows the threshold
    assert widget.evaluation.stale == "the threshold is now 0.7; the evaluation used 0.5"
    assert "0.7" in widget.evaluate.stale_label.text()
    widget.set_threshold(0.5)  # back: the record matches the viewer again
    assert widget.evaluation.stale == ""
    assert widget.evaluate.stale_label.isHidden()
    assert widget.evaluate.tables["summary"].view.styleSheet() == ""
    assert widget.review.stale_label.isHidden()
    assert widget.review.table.view.styleSheet() == ""
    widget.min_size_spin.setValue(5)
    assert widget.evaluation.stale == "the threshold options changed"
    widget.min_size_spin.setValue(0)
    assert widget.evaluation.stale == ""
    assert errors == []


def test_out_of_date_stays_when_an_input_changed_meanwhile(dock, errors):
    """The threshold moved, then the truth was edited: the threshold coming back does not
    make the record current; the edit is the reason then."""
    viewer, widget = dock
    widget.set_prediction("prob")
    widget.run_evaluation(wait=True)
    widget.set_threshold(0.6)
    truth = viewer.layers["truth"]
    truth.data = np.zeros_like(truth.data)  # edited while out of date for the threshold
    assert widget.evaluation.stale.startswith("the threshold is now 0.6")  # the first reason
    widget.set_threshold(0.5)
    assert widget.evaluation.stale != "" and "truth" in widget.evaluation.stale
    assert "threshold" not in widget.evaluation.stale
    assert not widget.evaluate.stale_label.isHidden()


def test_a_control_moved_meanwhile_keeps_it_out_of_date(dock, errors):
    _, widget = dock
    widget.set_prediction("prob")
    widget.run_evaluation(wait=True)
    widget.set_threshold(0.6)
    widget.evaluate.border_spin.setValue(3)
    widget.set_threshold(0.5)
    assert widget.evaluation.stale == "the border excluded changed to 3 (the evaluation used 0)"
    widget.evaluate.border_spin.setValue(4)  # the reason follows the control, as before
    assert widget.evaluation.stale == "the border excluded changed to 4 (the evaluation used 0)"
    assert errors == []


# 4 -------------------------------------------------------------------------------------------
def test_cancel_resets_the_progress_bar(dock, qtbot, errors):
    _, widget = dock
    widget.set_prediction("prob")
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=60_000):
        widget.run_evaluation()
        # As a report of the worker: the bar part-way (the cancelled run reports no more).
        widget.evaluate.progress_bar.setValue(29)
        widget.cancel_evaluation()
    assert widget.evaluate.progress_bar.value() == 0
    assert widget.evaluate.status_label.text() == "Cancelled."
    assert widget.evaluation is None  # a cancelled run fills nothing
    assert errors == []


def test_cancel_resets_the_confidence_analysis_progress_bar(dock, qtbot, errors):
    _, widget = dock
    panel = widget.confidence
    panel.truth_combo.set_layer("truth")
    with qtbot.waitSignal(panel.job.finished, timeout=60_000):
        panel.run()
        panel.progress_bar.setValue(29)  # as a report of the worker: the bar part-way
        panel.cancel()
    assert panel.progress_bar.value() == 0
    assert panel.summary_label.text() == "Cancelled."
    assert errors == []


# 5 -------------------------------------------------------------------------------------------
def test_the_per_plane_plot_ticks_whole_planes(make_napari_viewer, sample):
    viewer = make_napari_viewer()
    stack = np.stack([sample["probability"]] * 5)  # planes 0..4
    viewer.add_image(stack, name="prob")
    viewer.add_labels(np.stack([sample["ground_truth"]] * 5), name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("prob")
    widget.set_plane_axis(0)
    widget.run_evaluation(wait=True)
    axes = widget.evaluate.plane_plot.axes
    low, high = axes.get_xlim()
    ticks = [t for t in axes.get_xticks() if low <= t <= high]
    assert len(ticks) >= 2
    assert all(float(t).is_integer() for t in ticks), ticks


def test_the_split_depth_is_greyed_out_while_not_splitting(dock):
    _, widget = dock
    assert not widget.split_check.isChecked()
    assert not widget.split_depth_spin.isEnabled()
    widget.split_check.setChecked(True)
    assert widget.split_depth_spin.isEnabled()
    widget.split_check.setChecked(False)
    assert not widget.split_depth_spin.isEnabled()
