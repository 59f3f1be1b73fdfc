"""Input boxes that read the same in every locale, and layer names that fit their chooser.

A typed decimal is read with either "." or "," as the decimal point, whatever the locale,
and never with a digit-group separator: "0,7" and "0.7" are both 0.7 (Qt alone reads "0,7" as
7 where "," groups digits, and superqt's slider label reads only "."). Escape cancels what is
being typed in a decimal box: it shows the value it had before again, and leaving the box then
applies nothing. Long names are elided in the middle, where two names usually agree, with the
whole name as the item's tooltip.
"""

from __future__ import annotations

import re

from qtpy.QtCore import QEvent, QObject, Qt
from qtpy.QtGui import QFontMetrics, QKeyEvent, QValidator
from qtpy.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

#: A decimal as typed: an optional sign, digits, and at most one "." or "," with digits.
_DECIMAL = re.compile(r"[+-]?(\d*)(?:[.,](\d*))?")


def read_decimal(text: str) -> float | None:
    """The number ``text`` writes with "." or "," as the decimal point (None if it is none).

    Examples
    --------
    >>> read_decimal("0,7"), read_decimal(" 0.7 "), read_decimal("1,000.5")
    (0.7, 0.7, None)
    """
    match = _DECIMAL.fullmatch(text.strip())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    return float(match.group(0).replace(",", "."))


def decimal_state(text: str, minimum: float, maximum: float, decimals: int) -> QValidator.State:
    """Whether ``text`` is a decimal in [minimum, maximum] with at most ``decimals`` decimals
    (Acceptable), could become one as typing goes on (Intermediate), or cannot (Invalid)."""
    text = text.strip()
    match = _DECIMAL.fullmatch(text)
    if match is None or len(match.group(2) or "") > decimals:
        return QValidator.State.Invalid
    value = read_decimal(text)
    if value is None:  # "", "-", "." so far
        return QValidator.State.Intermediate
    if minimum <= value <= maximum:
        return QValidator.State.Acceptable
    if value > maximum >= 0:  # more digits only make it larger
        return QValidator.State.Invalid
    return QValidator.State.Intermediate


#: The keys that finish typing in a box (Qt applies the text).
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class DecimalSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox that takes "." or "," as the decimal point in any locale.

    It shows numbers as the locale writes them (without digit grouping) and reads what is
    typed with :func:`read_decimal`, so a group separator is never read.

    Escape cancels the typing: the box goes back to the value it had before the first key
    typed (emitting ``valueChanged`` only if keyboard tracking had applied what was typed),
    and leaving the box then applies nothing. Enter emits ``valueChanged`` only for a value
    that changes (Qt emits it again on Enter for a value keyboard tracking already applied,
    which would start the work it triggers once more).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: The value when typing began (None: nothing typed since the last value applied).
        self._value_before_typing: float | None = None
        self.lineEdit().textEdited.connect(self._on_text_edited)
        self.editingFinished.connect(self._forget_typing)

    def _on_text_edited(self, _text: str) -> None:
        if self._value_before_typing is None:
            self._value_before_typing = self.value()

    def _forget_typing(self) -> None:
        self._value_before_typing = None

    def event(self, event: QEvent) -> bool:
        """Claim Escape while typing, before a shortcut of the window takes it."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self._value_before_typing is not None
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape cancels the typing; Enter applies only a changed value."""
        if event.key() == Qt.Key.Key_Escape and self._value_before_typing is not None:
            before, self._value_before_typing = self._value_before_typing, None
            self.setValue(before)  # shows it again (emits only if tracking had applied more)
            self.selectAll()
            event.accept()
            return
        if event.key() in _ENTER_KEYS and self.keyboardTracking():
            # Qt applies Enter with tracking as "always emit": without it, only a change
            self.setKeyboardTracking(False)
            try:
                super().keyPressEvent(event)
            finally:
                self.setKeyboardTracking(True)
            return
        super().keyPressEvent(event)

    def _number_text(self, text: str) -> str:
        text = text.strip()
        if self.prefix() and text.startswith(self.prefix()):
            text = text[len(self.prefix()) :]
        if self.suffix() and text.endswith(self.suffix()):
            text = text[: -len(self.suffix())]
        return text.strip()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        """Acceptable for a decimal in range, with "." or "," as the decimal point."""
        number = self._number_text(text)
        if number == self.specialValueText() and number:
            return QValidator.State.Acceptable, text, pos
        state = decimal_state(number, self.minimum(), self.maximum(), self.decimals())
        return state, text, pos

    def valueFromText(self, text: str) -> float:
        """The value ``text`` writes (the current value if it writes none)."""
        value = read_decimal(self._number_text(text))
        return self.value() if value is None else value

    def fixup(self, text: str) -> str:
        """Leave the text alone: the box goes back to its value if it is not a number."""
        return text


class DecimalValidator(QValidator):
    """Accepts a decimal in [minimum, maximum] written with "." or "," and shows it with "."
    (the form Python reads), so a line edit's text is always ``float()``-able when accepted."""

    def __init__(self, minimum: float, maximum: float, decimals: int, parent: QWidget):
        super().__init__(parent)
        self.minimum, self.maximum, self.decimals = minimum, maximum, decimals

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        """The state of ``text``, its "," turned into "."."""
        text = text.replace(",", ".")
        return decimal_state(text, self.minimum, self.maximum, self.decimals), text, pos


def accept_decimal_comma(slider: QWidget) -> QLineEdit:
    """Let a superqt QLabeledDoubleSlider's value box take "." or "," as the decimal point.

    superqt offers no accessor for the box (a QLineEdit that reads its text with ``float``),
    so it is found as the slider's QLineEdit child. Its validator is replaced by a
    :class:`DecimalValidator` for the slider's range and decimals, which writes "," as ".":
    the box then only ever holds text ``float`` reads, and out-of-range text is refused.
    Escape in the box cancels the typing (:class:`EscapeRestoresValue`). Returns the box.
    """
    box = slider.findChild(QLineEdit)
    if box is None:
        raise TypeError(f"{type(slider).__name__} has no value box")
    decimals = slider.decimals() if slider.decimals() >= 0 else 17
    box.setValidator(DecimalValidator(slider.minimum(), slider.maximum(), decimals, box))
    box.installEventFilter(EscapeRestoresValue(box))
    return box


class EscapeRestoresValue(QObject):
    """Escape in a superqt slider's value box shows the slider's value again: what was typed
    is dropped, so leaving the box (which applies its text) changes nothing.

    The box is superqt's ``SliderLabel``, which applies its text when editing finishes and
    shows its value again with ``updateText``. Installed on the box, as its child.
    """

    def __init__(self, box: QLineEdit) -> None:
        super().__init__(box)
        self.box = box

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Escape restores the value's text (claimed before a shortcut of the window)."""
        if watched is not self.box or not isinstance(event, QKeyEvent):
            return False
        if event.key() != Qt.Key.Key_Escape:
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()
            return True
        if event.type() == QEvent.Type.KeyPress:
            self.box.updateText()  # the value's text; isModified() is False again
            self.box.selectAll()
            return True
        return False


def elide_items(combo: QComboBox) -> None:
    """Elide ``combo``'s item texts too long for its text field in the middle (the end tells
    layers apart), and give every item its full text as its tooltip; the data is unchanged.

    The full text is kept in ``Qt.ItemDataRole.ToolTipRole`` (see :func:`full_text`); call
    again when the combo is resized or its items change.
    """
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    metrics = QFontMetrics(combo.font())
    width = max(field.width() - 4, 8 * metrics.averageCharWidth())
    for index in range(combo.count()):
        full = full_text(combo, index)
        combo.setItemData(index, full, Qt.ItemDataRole.ToolTipRole)
        combo.setItemText(index, metrics.elidedText(full, Qt.TextElideMode.ElideMiddle, width))


def full_text(combo: QComboBox, index: int) -> str:
    """Item ``index``'s whole text, also when :func:`elide_items` elided it."""
    tip = combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    return tip if isinstance(tip, str) and tip else combo.itemText(index)
