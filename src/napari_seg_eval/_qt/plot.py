"""A small matplotlib plot for the dock that follows napari's light/dark theme."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from napari.utils.theme import get_theme
from napari.viewer import Viewer
from qtpy.QtWidgets import QVBoxLayout, QWidget


class ThemedPlot(QWidget):
    """A figure with a grid of axes (``grid``, first one ``axes``); call :meth:`redraw` after
    drawing into them."""

    def __init__(self, viewer: Viewer, parent=None, height: float = 2.0, grid=(1, 1)):
        super().__init__(parent)
        self._viewer = viewer
        self.figure = Figure(figsize=(4, height), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
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
