"""A horizontal colour bar of the confidence colormap, from the layer's lower contrast limit to
its upper one, with arrows at the threshold."""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import QPointF, QRectF, QSize, Qt
from qtpy.QtGui import QImage, QPainter, QPen, QPolygonF
from qtpy.QtWidgets import QSizePolicy, QWidget

from .._colormap import confidence_colors
from ..core.colormap import STEPS

#: What the bar shows, in its tooltip.
TIP = (
    "Confidence colormap: blue below the threshold, green at it, yellow to red above; the "
    "arrows point at the threshold. The bar spans the coloured layer's contrast limits, as "
    "probabilities (0 to 1 until you set others in the layer controls): the green band stays "
    "on the threshold whatever the limits."
)


class ConfidenceColorBar(QWidget):
    """Paints the colormap exactly as the layer shows it: each column the colour napari draws
    for its value (the same table of 1024 colours,
    :func:`~napari_seg_eval._colormap.confidence_colors`, no blending at the green band's
    edges), from the layer's lower contrast limit to its upper one (:meth:`set_limits`)."""

    BAR_HEIGHT = 18
    MARGIN = 12
    ARROW = 5  # half-width (and height) of the threshold's arrows

    def __init__(self, threshold: float = 0.5, parent=None):
        super().__init__(parent)
        self._threshold = threshold
        self._limits = (0.0, 1.0)
        self._gamma = 1.0
        self.setMinimumHeight(self.BAR_HEIGHT + 2 * self.ARROW + 24)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(TIP)

    @property
    def threshold(self) -> float:
        return self._threshold

    @property
    def limits(self) -> tuple[float, float]:
        """The probabilities at the bar's ends: the layer's contrast limits / its scale."""
        return self._limits

    def set_threshold(self, threshold: float) -> None:
        self._threshold = float(threshold)
        self.update()

    def set_limits(self, low: float, high: float, gamma: float = 1.0) -> None:
        """Span the probabilities ``low`` to ``high`` (the layer's contrast limits divided by
        its scale), drawn with the layer's ``gamma``."""
        self._limits = (float(low), float(high))
        self._gamma = float(gamma)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(260, self.BAR_HEIGHT + 2 * self.ARROW + 26)

    def colors(self, width: int) -> np.ndarray:
        """RGBA uint8 colours of ``width`` columns spanning the limits (column k: the value
        ``low + k / (width - 1) * (high - low)``), as the layer draws them."""
        table = confidence_colors(self._threshold, self._limits, gamma=self._gamma)
        place = np.linspace(0.0, 1.0, max(width, 2)) ** self._gamma  # the colormap's position
        steps = np.minimum(np.floor(place * STEPS).astype(int), STEPS - 1)
        return (table[steps] * 255).round().astype(np.uint8)

    def threshold_place(self) -> float:
        """Where the threshold is along the bar, 0 (left) to 1 (right); outside the limits it
        is the nearest end."""
        low, high = self._limits
        if high <= low:
            return 0.0
        return float(np.clip((self._threshold - low) / (high - low), 0.0, 1.0))

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
        place = self.threshold_place()
        for end, value in enumerate(self._limits):
            x = self.MARGIN + end * (width - 1)
            painter.drawLine(int(x), bottom - 3, int(x), bottom + 3)
            if abs(end - place) * width > 28:  # not under the threshold's label
                painter.drawText(
                    QRectF(x - 30, bottom + 4, 60, 16), Qt.AlignmentFlag.AlignCenter, f"{value:.3g}"
                )
        # The threshold: arrows above and below the bar point at the green band without
        # covering it, in the theme's text colour (readable in light and dark themes). Outside
        # the limits, at the nearest end, its label pointing the way.
        x = self.MARGIN + place * (width - 1) + 0.5
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
        label = f"{self._threshold:.3g}"
        low, high = self._limits
        if self._threshold < low:
            label = f"← {label}"
        elif self._threshold > high:
            label = f"{label} →"
        left = min(max(x - 30, 0.0), self.width() - 60.0)  # the label whole at either end
        painter.drawText(QRectF(left, bottom + a + 1, 60, 16), Qt.AlignmentFlag.AlignCenter, label)
        painter.end()
