"""A horizontal colour bar of the confidence colormap with ticks at 0, the threshold and 1."""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import QPointF, QRectF, QSize, Qt
from qtpy.QtGui import QImage, QPainter, QPen, QPolygonF
from qtpy.QtWidgets import QSizePolicy, QWidget

from ..core.colormap import map_confidence


class ConfidenceColorBar(QWidget):
    """Paints the colormap exactly as the layer shows it: each column the colour napari draws
    for its value (:func:`~napari_seg_eval.core.colormap.map_confidence`, the same table of
    1024 colours, no blending at the green band's edges)."""

    BAR_HEIGHT = 18
    MARGIN = 12
    ARROW = 5  # half-width (and height) of the threshold's arrows

    def __init__(self, threshold: float = 0.5, parent=None):
        super().__init__(parent)
        self._threshold = threshold
        self.setMinimumHeight(self.BAR_HEIGHT + 2 * self.ARROW + 24)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "Confidence colormap: blue below the threshold, green at it, "
            "yellow to red above; the arrows point at the threshold. Contrast limits are fixed "
            "to 0..1 (0..dtype maximum for integer maps)."
        )

    @property
    def threshold(self) -> float:
        return self._threshold

    def set_threshold(self, threshold: float) -> None:
        self._threshold = float(threshold)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(260, self.BAR_HEIGHT + 2 * self.ARROW + 26)

    def colors(self, width: int) -> np.ndarray:
        """RGBA uint8 colours of ``width`` columns spanning 0..1."""
        values = np.linspace(0.0, 1.0, max(width, 2))
        return (map_confidence(values, self._threshold) * 255).round().astype(np.uint8)

    def paintEvent(self, event) -> None:
        width = self.width() - 2 * self.MARGIN
        if width < 2:
            return
        top = self.ARROW + 2  # room above the bar for the threshold's arrow
        rgba = np.ascontiguousarray(np.repeat(self.colors(width)[None], self.BAR_HEIGHT, axis=0))
        image = QImage(rgba.data, width, self.BAR_HEIGHT, 4 * width, QImage.Format.Format_RGBA8888)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.drawImage(self.MARGIN, top, image)
        text = self.palette().color(self.foregroundRole())
        painter.setPen(QPen(text, 1))
        painter.drawRect(QRectF(self.MARGIN, top, width - 1, self.BAR_HEIGHT - 1))
        bottom = top + self.BAR_HEIGHT
        for value, label in ((0.0, "0"), (1.0, "1")):
            x = self.MARGIN + value * (width - 1)
            painter.drawLine(int(x), bottom - 3, int(x), bottom + 3)
            if abs(value - self._threshold) * width > 28:  # not under the threshold's label
                painter.drawText(
                    QRectF(x - 30, bottom + 4, 60, 16), Qt.AlignmentFlag.AlignCenter, label
                )
        # The threshold: arrows above and below the bar point at the green band without
        # covering it, in the theme's text colour (readable in light and dark themes).
        x = self.MARGIN + self._threshold * (width - 1) + 0.5
        painter.setBrush(text)
        a = self.ARROW
        painter.drawPolygon(QPolygonF([QPointF(x - a, 0), QPointF(x + a, 0), QPointF(x, top - 1)]))
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(x - a, bottom + a + 1),
                    QPointF(x + a, bottom + a + 1),
                    QPointF(x, bottom + 1),
                ]
            )
        )
        painter.drawText(
            QRectF(x - 30, bottom + a + 1, 60, 16),
            Qt.AlignmentFlag.AlignCenter,
            f"{self._threshold:.3g}",
        )
        painter.end()
