"""A combo box of the viewer's layers of some types that follows adds, removals and renames."""

from __future__ import annotations

from napari.layers import Layer
from napari.viewer import Viewer
from qtpy.QtWidgets import QComboBox


class LayerComboBox(QComboBox):
    """Lists layers of ``layer_types``; keeps the chosen layer (by identity) across changes."""

    def __init__(self, viewer: Viewer, layer_types: tuple[type[Layer], ...], parent=None):
        super().__init__(parent)
        self._viewer = viewer
        self._types = layer_types
        self._layers: list[Layer] = []
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        events = viewer.layers.events
        for emitter in (events.inserted, events.removed, events.moved, events.reordered):
            emitter.connect(self.refresh)
        events.inserted.connect(self._watch_name)
        for layer in viewer.layers:
            layer.events.name.connect(self.refresh)
        self.refresh()

    def _watch_name(self, event) -> None:
        event.value.events.name.connect(self.refresh)

    def refresh(self, event=None) -> None:
        """Rebuild the list from the viewer, keeping the current layer if it is still there."""
        current = self.layer()
        self._layers = [layer for layer in self._viewer.layers if isinstance(layer, self._types)]
        self.blockSignals(True)
        self.clear()
        self.addItems([layer.name for layer in self._layers])
        if current in self._layers:
            self.setCurrentIndex(self._layers.index(current))
        self.blockSignals(False)
        if self.layer() is not current:  # only a real change of layer is announced
            self.currentIndexChanged.emit(self.currentIndex())

    def layer(self) -> Layer | None:
        """The chosen layer, or None when there is none of the right type."""
        index = self.currentIndex()
        return self._layers[index] if 0 <= index < len(self._layers) else None

    def set_layer(self, layer: Layer | str) -> None:
        """Choose ``layer`` (a layer or its name); raises ValueError if it is not listed."""
        for index, candidate in enumerate(self._layers):
            if candidate is layer or candidate.name == layer:
                self.setCurrentIndex(index)
                return
        kinds = " or ".join(t.__name__ for t in self._types)
        raise ValueError(f"no {kinds} layer {getattr(layer, 'name', layer)!r} in the viewer")
