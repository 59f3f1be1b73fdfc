"""A small matplotlib plot for the dock that follows napari's light/dark theme."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from napari.utils.theme import get_theme
from napari.viewer import Viewer
from qtpy.QtGui import QShowEvent
from qtpy.QtWidgets import QVBoxLayout, QWidget


class _ShownCanvas(FigureCanvasQTAgg):
    """A canvas that draws only while it is on screen: a plot in a hidden tab (most of the
    dock's, most of the time) waits until it is shown. matplotlib would draw it on every
    resize and theme change: 80 to 100 ms of the main thread for the Confidence tab's empty
    grid alone when the dock opens."""

    def __init__(self, figure: Figure) -> None:
        super().__init__(figure)
        self.draw_when_shown = False  # a draw was asked for while hidden: draw when shown

    def draw_idle(self) -> None:
        if self.isVisible():
            super().draw_idle()
        else:
            self.draw_when_shown = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.draw_when_shown:
            self.draw_when_shown = False
            super().draw_idle()


class ThemedPlot(QWidget):
    """A figure with a grid of axes (``grid``, first one ``axes``); call :meth:`redraw` after
    drawing into them."""

    def __init__(self, viewer: Viewer, parent=None, height: float = 2.0, grid=(1, 1)):
        super().__init__(parent)
        self._viewer = viewer
        self.figure = Figure(figsize=(4, height), layout="constrained")
        self.canvas = _ShownCanvas(self.figure)
        self.canvas.setMinimumHeight(int(height * 60))
        self.grid = self.figure.subplots(*grid, squeeze=False)
        self.axes = self.grid[0, 0]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        viewer.events.theme.connect(lambda _: self.redraw())
        self.redraw()

    def redraw(self) -> None:
        """Colour the figure with the viewer's theme and draw it."""
        theme = get_theme(self._viewer.theme)
        background, text = theme.background.as_hex(), theme.text.as_hex()
        self.figure.set_facecolor(background)
        for axes in self.figure.axes:
            axes.set_facecolor(background)
            axes.tick_params(colors=text, labelsize=8)
            axes.xaxis.label.set_color(text)
            axes.yaxis.label.set_color(text)
            axes.title.set_color(text)
            for spine in axes.spines.values():
                spine.set_color(text)
            legend = axes.get_legend()
            if legend is not None:
                legend.get_frame().set_facecolor(background)
                for label in legend.get_texts():
                    label.set_color(text)
        self.canvas.draw_idle()

    def save_png(self, path: str | Path) -> Path:
        """Write the figure as PNG, with the theme's background."""
        self.figure.savefig(path, dpi=150, facecolor=self.figure.get_facecolor())
        return Path(path)
