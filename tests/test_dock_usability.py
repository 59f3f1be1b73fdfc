"""The dock on a laptop, by keyboard, in any locale: typed decimals with "." or ",", a dock
narrow enough for a 1366 px screen, Tab only through what is in sight, Return on Run, Review
keys that clash with none of napari's, long layer names elided in the middle, no class axis
for a 2-D map, and a hint on the empty Runs tab."""

import numpy as np
import pytest

pytest.importorskip("napari")

from qtpy.QtCore import QLocale, Qt
from qtpy.QtGui import QKeySequence
from qtpy.QtTest import QTest
from qtpy.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QShortcut,
)

LOCALES = {
    "C": QLocale(QLocale.Language.C),  # "." decimal point, "," groups digits
    "German": QLocale(QLocale.Language.German, QLocale.Country.Germany),  # "," and "."
}


def make_case() -> tuple[np.ndarray, np.ndarray]:
    """A 6 x 8 map with a 2 x 2 square at 0.9 on 0.1, and the square as the truth."""
    prob = np.full((6, 8), 0.1, np.float32)
    prob[1:3, 1:3] = 0.9
    truth = np.zeros((6, 8), np.int32)
    truth[1:3, 1:3] = 1
    return prob, truth


@pytest.fixture(params=list(LOCALES))
def locale(request):
    """Qt's default locale for the widgets built in the test (restored after)."""
    before = QLocale()
    QLocale.setDefault(LOCALES[request.param])
    yield request.param
    QLocale.setDefault(before)


@pytest.fixture
def dock(make_napari_viewer, qtbot):
    """The dock on a viewer (shown) with the map "p" and the truth "truth"."""
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer(show=True)
    prob, truth = make_case()
    viewer.add_image(prob, name="p")
    viewer.add_labels(truth, name="truth")
    widget = SegEvalWidget(viewer)  # the plugin's dock, built directly
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return viewer, widget


def type_into(widget, text: str) -> None:
    """Select all of a box's text, type ``text`` and press Return, as a user does."""
    line = widget if isinstance(widget, QLineEdit) else widget.lineEdit()
    line.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


@pytest.mark.parametrize("text", ["0,7", "0.7"])
def test_header_threshold_box_reads_both_decimal_points(locale, dock, text):
    """Regression: C locale "0,7" became 1.0, German "0.7" 1.0 and German "0,7" raised."""
    _, widget = dock
    box = widget.threshold_slider.findChild(QLineEdit)
    widget.set_threshold(0.3)
    type_into(box, text)
    assert widget.threshold == pytest.approx(0.7)  # typed: seven tenths
    assert box.text() == "0.700"  # the box shows it with the 3 decimals it keeps


@pytest.mark.parametrize("text", ["0,7", "0.7"])
def test_spin_boxes_read_both_decimal_points(locale, dock, text):
    """Regression: the other separator was read as digit grouping ("0,7" -> 7.0)."""
    _, widget = dock
    for spin in (widget.split_depth_spin, widget.evaluate.tolerance_spin, widget.review.iou_spin):
        spin.setEnabled(True)
        spin.setValue(2.0 if spin.maximum() > 1 else 0.5)
        type_into(spin, text)
        assert spin.value() == pytest.approx(0.7), spin.toolTip()  # seven tenths


def test_a_group_separator_is_never_read(locale, dock):
    """ "1,000.5" is not a number here (Qt's C locale reads it as 1000.5): the box keeps its
    value, whatever the locale groups digits with."""
    _, widget = dock
    spin = widget.evaluate.tolerance_spin  # 0 .. 1e6: 1000.5 would be in range
    spin.setEnabled(True)
    spin.setValue(2.0)
    type_into(spin, "1,000.5")
    assert spin.value() != pytest.approx(1000.5)


def test_the_dock_is_as_narrow_as_its_widest_page(dock):
    """Regression: the header's Channel axis row (combo, "Channel 0 is background" and its
    label side by side) made the dock 583 px wide at the least, 128 px more than its widest
    page; the tick box now sits under the combo and the dock is no wider than that page."""
    _, widget = dock
    widget.show()
    pages = [widget.tabs.widget(i) for i in range(widget.tabs.count())]
    assert all(isinstance(page, QScrollArea) for page in pages)
    bar = pages[0].verticalScrollBar().sizeHint().width()
    widest = max(page.widget().minimumSizeHint().width() for page in pages) + bar
    margins = widget.layout().contentsMargins()
    tab_frame = 2 * widget.style().pixelMetric(widget.style().PixelMetric.PM_DefaultFrameWidth)
    # the dock: its widest page with a vertical scroll bar, in the tab's frame and margins
    bound = widest + tab_frame + margins.left() + margins.right()
    assert widget.minimumSizeHint().width() <= bound
    combo, check = widget.channel_axis_combo, widget.background_check
    assert (
        check.mapTo(widget, check.rect().topLeft()).y()
        >= combo.mapTo(widget, combo.rect().bottomLeft()).y()
    )  # under the combo, not beside it


def focus_chain(start, steps: int) -> list:
    """The widgets Tab gives the keyboard focus to, from ``start``, pressing Tab ``steps``
    times (each press sent to the widget that has the focus)."""
    start.setFocus()
    chain = []
    for _ in range(steps):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        chain.append(QApplication.focusWidget())
    return chain


def test_tab_never_lands_on_a_hidden_control(dock, qtbot):
    """Regression: with Options collapsed, Tab from IoU thresholds went to Ignore label,
    Plane by plane and the semantic box, out of sight; Preset came after IoU thresholds."""
    _, widget = dock
    window = widget.window()
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    panel = widget.evaluate
    widget.tabs.setCurrentWidget(panel)
    assert not panel.options.isExpanded()
    chain = focus_chain(panel.truth_combo.findChild(QComboBox), 6)
    hidden = [w for w in chain if w.visibleRegion().isEmpty()]
    assert hidden == [], [type(w).__name__ for w in hidden]
    # as on screen: Prediction, Evaluate, Preset, IoU thresholds, the Options header, Run
    assert chain[2] is panel.preset_combo and chain[3] is panel.iou_edit
    assert chain[4] is panel.options.toggleButton() and chain[5] is panel.run_button
    panel.options.expand(animate=False)  # open: Tab goes through the options again
    assert focus_chain(panel.options.toggleButton(), 1) == [panel.criterion_combo]


def test_return_on_the_focused_run_button_runs(dock, qtbot):
    """Regression: Space on the focused Run button ran, Return did nothing."""
    _, widget = dock
    button = widget.evaluate.run_button
    with qtbot.waitSignal(button.clicked, timeout=2_000):
        QTest.keyClick(button, Qt.Key.Key_Return)


def menu_mnemonics(viewer) -> set[str]:
    """The letters of napari's menus' Alt keys ("&File" -> "F")."""
    letters = set()
    for action in viewer.window._qt_window.menuBar().actions():
        text = action.text()
        if "&" in text[:-1]:
            letters.add(text[text.index("&") + 1].upper())
    return letters


def test_review_keys_clash_with_no_menu_and_act_on_the_review_tab_only(dock):
    """Regression: Alt+P was also napari's &Plugins menu key (the menu opened every other
    press), and both keys moved the Review row while another tab was shown."""
    viewer, widget = dock
    mnemonics = menu_mnemonics(viewer)
    assert {"F", "V", "L", "P", "W", "H"} <= mnemonics  # napari's menus, as they are today
    shortcuts = [s for s in widget.review.findChildren(QShortcut) if "Alt" in s.key().toString()]
    keys = {shortcut.key().toString() for shortcut in shortcuts}
    assert keys == {"Alt+N", "Alt+Shift+N"}
    for shortcut in shortcuts:
        assert shortcut.context() == Qt.ShortcutContext.WindowShortcut
        sequence = shortcut.key()[0]
        modifiers = sequence.keyboardModifiers()
        if modifiers == Qt.KeyboardModifier.AltModifier:  # only a bare Alt+letter opens a menu
            assert QKeySequence(sequence.key()).toString() not in mnemonics
    assert "Alt+Shift+N" in widget.review.previous_button.toolTip()
    assert "Alt+N" in widget.review.next_button.toolTip()
    widget.tabs.setCurrentWidget(widget.evaluate)
    assert not any(shortcut.isEnabled() for shortcut in shortcuts)
    widget.tabs.setCurrentWidget(widget.review)
    assert all(shortcut.isEnabled() for shortcut in shortcuts)


LONG = "experiment_2024_03_plate07_well_B04_field012_segmentation_cell"  # 62 characters


def test_long_layer_names_are_elided_in_the_middle_with_a_tooltip(dock, qtbot):
    """Regression: long names were cut at the end, without "…" nor a tooltip, and the end
    is what tells "…field012_mar" from "…field012_cell"."""
    viewer, widget = dock
    viewer.layers["truth"].name = LONG
    widget.tabs.setCurrentWidget(widget.evaluate)  # the chooser gets its width in the dock
    combo = widget.evaluate.truth_combo
    native = combo._combo.native
    index = native.findData(viewer.layers[LONG])
    qtbot.waitUntil(lambda: native.isVisible() and "…" in native.itemText(index))
    shown = native.itemText(index)
    assert "…" in shown and len(shown) < len(LONG)
    head, tail = shown.split("…")
    assert LONG.startswith(head) and LONG.endswith(tail) and tail  # the end is kept
    assert native.itemData(index, Qt.ItemDataRole.ToolTipRole) == LONG
    assert combo.itemText(index) == LONG  # the chooser's own API gives the whole name
    assert combo.layer() is viewer.layers[LONG]


def test_no_channel_axis_for_a_2d_map(dock):
    """Regression: a single 256 x 256 map was offered "axis 0 (256 classes)" and "axis 1"."""
    viewer, widget = dock
    combo = widget.channel_axis_combo
    assert widget.probability_combo.layer() is viewer.layers["p"]  # 6 x 8: two axes
    assert [combo.itemData(i) for i in range(combo.count())] == [None]
    viewer.add_image(np.full((3, 6, 8), 1 / 3, np.float32), name="classes")
    widget.set_probability_layer("classes")
    # three axes: each may be the class axis, the shortest (3 long) first
    assert [combo.itemData(i) for i in range(combo.count())] == [None, 0, 1, 2]


def test_the_empty_runs_tab_says_what_it_is_for(dock, qtbot):
    """Regression: three empty tables and nine buttons with no hint, the last untitled."""
    viewer, widget = dock
    runs = widget.runs
    widget.tabs.setCurrentWidget(runs)
    hint = runs.hint_label
    assert hint.isVisibleTo(runs) and "Evaluate" in hint.text() and "Load" in hint.text()
    titles = [label.text() for label in runs.findChildren(QLabel) if label.isVisibleTo(runs)]
    assert any(title.startswith("Objects fixed or broken") for title in titles), titles
    widget.set_ground_truth("truth")
    viewer.add_labels(make_case()[1], name="pred")
    widget.set_prediction("pred")
    widget.run_evaluation(wait=True)
    assert len(runs.runs) == 1 and not hint.isVisibleTo(runs)  # one run kept: the hint is gone


def test_the_integer_notice_reads_the_map_once_per_data(monkeypatch):
    """Regression: the notice read the whole integer map (min, max, distinct values) at every
    preview update, though it is shown once."""
    from napari.layers import Image

    from napari_seg_eval._napari import probability

    reads = []
    cheap_values = probability._cheap_values
    monkeypatch.setattr(
        probability, "_cheap_values", lambda layer: reads.append(layer) or cheap_values(layer)
    )
    layer = Image(np.array([[0, 51, 255]], np.uint8), name="prob")
    first = probability.integer_notice(layer)
    assert probability.integer_notice(layer) == first
    assert len(reads) == 1  # the same array: read once
    layer.data = np.array([[0, 3, 5]], np.uint8)
    assert "0..5" in probability.integer_notice(layer)  # new data: read again
    assert len(reads) == 2
