"""Menu commands: open the dock widget on the right section for the selected layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from napari.layers import Image, Labels
from napari.utils.notifications import show_error, show_info

if TYPE_CHECKING:
    from napari.viewer import Viewer

    from ._qt.widget import SegEvalWidget

PLUGIN, WIDGET = "napari-seg-eval", "Segmentation Evaluation"


def _unwrapped(viewer: Viewer) -> Viewer:
    """The viewer itself: napari's menus hand commands a proxy (``PublicOnlyProxy``) whose
    layers are new proxy objects on every access, and the dock finds layers by identity."""
    return getattr(viewer, "__wrapped__", viewer)


def _dock(viewer: Viewer, section: str) -> SegEvalWidget:
    """Our dock, shown and raised on ``section``: the one already in the window, whichever way
    it was opened (Plugins menu, a script, an earlier command), else a new one."""
    from ._qt.widget import SegEvalWidget

    docked = (w for w in viewer.window.dock_widgets.values() if isinstance(w, SegEvalWidget))
    widget = next(docked, None)
    if widget is None:
        _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    else:
        dock = widget.parent()  # napari's QDockWidget around it: closed docks are only hidden
        dock.show()
        dock.raise_()
    titles = [widget.tabs.tabText(i) for i in range(widget.tabs.count())]
    widget.tabs.setCurrentIndex(titles.index(section))
    return widget


def threshold_selected(viewer: Viewer) -> None:
    """Layers > Segment: threshold the selected probability layer."""
    viewer = _unwrapped(viewer)
    widget = _dock(viewer, "Threshold")
    active = viewer.layers.selection.active
    if isinstance(active, Image):
        widget.set_probability_layer(active)
        widget.update_threshold_layer()
    elif active is not None:  # the tab opens on its own choice: say why not the selection
        show_info(
            f"Segmentation Evaluation: {active.name!r} is a {type(active).__name__} layer, not "
            "a probability map: choose the probability layer in the Threshold tab."
        )


def evaluate_selected(viewer: Viewer) -> None:
    """Layers > Measure: evaluate the selected layer against a ground-truth Labels layer."""
    viewer = _unwrapped(viewer)
    widget = _dock(viewer, "Evaluate")
    active = viewer.layers.selection.active
    if isinstance(active, Labels | Image):
        widget.set_prediction(active)


def colour_confidence_selected(viewer: Viewer) -> None:
    """Layers > Visualize: colour the selected probability layer by confidence."""
    viewer = _unwrapped(viewer)
    active = viewer.layers.selection.active
    if not isinstance(active, Image):
        show_error("Segmentation Evaluation: select a probability Image layer to colour.")
        return
    widget = _dock(viewer, "Confidence")
    widget.set_probability_layer(active)
    widget.apply_confidence_colormap(active)
