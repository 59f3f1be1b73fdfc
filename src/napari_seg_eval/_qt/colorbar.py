"""A horizontal colour bar of the confidence colormap with ticks at 0, the threshold and 1."""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import QRectF, QSize, Qt
from qtpy.QtGui import QColor, QImage, QPainter, QPen
from qtpy.QtWidgets import QSizePolicy, QWidget

from ..core.colormap import map_confidence


class ConfidenceColorBar(QWidget):
    """Paints the colormap exactly as the layer shows it (same control points)."""

    BAR_HEIGHT = 18
    MARGIN = 12

    def __init__(self, threshold: float = 0.5, parent=None):
        super().__init__(parent)
        self._threshold = threshold
        self.setMinimumHeight(self.BAR_HEIGHT + 26)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "Confidence colormap: blue below the threshold, green at it, "
            "yellow to red above. Contrast limits are fixed to 0..1."
        )

    @property
    def threshold(self) -> float:
        return self._threshold

    def set_threshold(self, threshold: float) -> None:
        self._threshold = float(threshold)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(260, self.BAR_HEIGHT + 28)

    def colors(self, width: int) -> np.ndarray:
        """RGBA uint8 colours of ``width`` columns spanning 0..1."""
        values = np.linspace(0.0, 1.0, max(width, 2))
        return (map_confidence(values, self._threshold) * 255).round().astype(np.uint8)

    def paintEvent(self, event) -> None:
        width = self.width() - 2 * self.MARGIN
        if width < 2:
            return
        rgba = np.ascontiguousarray(np.repeat(self.colors(width)[None], self.BAR_HEIGHT, axis=0))
        image = QImage(rgba.data, width, self.BAR_HEIGHT, 4 * width, QImage.Format.Format_RGBA8888)
        painter = QPainter(self)
        painter.drawImage(self.MARGIN, 2, image)
        text = self.palette().color(self.foregroundRole())
        painter.setPen(QPen(text, 1))
        painter.drawRect(QRectF(self.MARGIN, 2, width - 1, self.BAR_HEIGHT - 1))
        ticks = (
            (0.0, "0", False),
            (self._threshold, f"{self._threshold:.3g}", True),
            (1.0, "1", False),
        )
        for value, label, is_mark in ticks:
            x = self.MARGIN + value * (width - 1)
            painter.setPen(QPen(QColor("white") if is_mark else text, 2 if is_mark else 1))
            painter.drawLine(
                int(x), 2 if is_mark else self.BAR_HEIGHT - 2, int(x), self.BAR_HEIGHT + 5
            )
            painter.setPen(QPen(text, 1))
            rect = QRectF(x - 30, self.BAR_HEIGHT + 5, 60, 16)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.end()
