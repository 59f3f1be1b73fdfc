"""A chooser of the viewer's layers of some types: magicgui's ComboBox, following the layer list.

The choices are magicgui's (a :class:`magicgui.widgets.ComboBox` whose choices are a callable of
the viewer's layers), reset whenever napari adds, removes, reorders or renames a layer, as napari
does for magicgui widgets docked directly. On top of that this chooser keeps the chosen layer by
identity (a renamed layer stays chosen), prefers a likely probability map when it chooses for the
user, and, when a Labels chooser has nothing to offer, says how to get labels and converts an
integer Image layer into a new Labels layer in one click. A chooser of probability maps
chooses nothing rather than a layer that does not look like one (a raw image), and so does a
chooser told not to fall back (the Evaluate tab's ground truth: never one of the plugin's own
result layers, such as the threshold preview, unless the user chooses it).
"""

from __future__ import annotations

from collections.abc import Callable

from magicgui.widgets import ComboBox
from napari.layers import Image, Labels, Layer
from napari.viewer import Viewer
from qtpy.QtCore import QEvent, QObject
from qtpy.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from superqt.utils import signals_blocked

from .._napari.layers import (
    integer_images,
    label_image_rank,
    labels_from_image,
    probability_rank,
)
from .inputs import elide_items, full_text

NO_LABELS = (
    "No Labels layer. Open your label image as labels (File ▸ Open with plugin, or "
    "viewer.add_labels), or convert an integer image layer:"
)
#: What a Labels chooser that does not fall back says when it lists only layers it will not
#: choose for the user (the plugin's own results, such as the threshold preview).
ONLY_RESULTS = (
    "No Labels layer of yours: only the plugin's results (listed above; choose one by hand "
    "if you mean it). Open your label image as labels (File ▸ Open with plugin, or "
    "viewer.add_labels), or convert an integer image layer:"
)
#: What such a chooser shows while it has chosen nothing.
NO_CHOICE = "choose a layer"
#: What a chooser of probability maps shows when no layer looks like one (short: Qt sizes the
#: chooser to it, and the dock's header with it).
NO_PROBABILITY = "choose a probability map"


class LayerComboBox(QWidget):
    """Lists the viewer's layers of ``layer_types``; the choice follows adds, removes, renames.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        The viewer whose layers are listed.
    layer_types : tuple of layer classes
        The kinds of layer offered.
    parent : QWidget, optional
        The Qt parent.
    prefer : callable, optional
        Ranks layers (higher is better) when the chooser picks a layer for the user: first, when
        the chosen layer goes away, and when a better one arrives before the user has chosen.
        By default a chooser of Image layers ranks likely probability maps first
        (:func:`~napari_seg_eval._napari.layers.probability_rank`) and chooses none when no
        layer ranks above the lowest (the user can still choose any); others keep the first
        layer.
    offer_conversion : bool, optional
        Show how to get labels, and a "Convert to Labels" button for integer Image layers, when
        no layer is chosen (none to list, or, not falling back, none it would choose). By
        default on for a chooser of Labels layers only.
    fall_back : bool, optional
        Whether the chooser chooses a layer of the lowest rank of ``prefer`` when none ranks
        higher. Without, it chooses none (such layers stay listed, for the user to choose).
        By default it falls back, except the default chooser of probability maps.
    """

    def __init__(
        self,
        viewer: Viewer,
        layer_types: tuple[type[Layer], ...],
        parent: QWidget | None = None,
        *,
        prefer: Callable[[Layer], tuple] | None = None,
        offer_conversion: bool | None = None,
        fall_back: bool | None = None,
    ):
        super().__init__(parent)
        self._viewer = viewer
        self._types = layer_types
        # The default chooser of probability maps would rather choose none than a raw image.
        probability_maps = prefer is None and tuple(layer_types) == (Image,)
        if probability_maps:
            prefer = probability_rank
        self._fall_back = not probability_maps if fall_back is None else fall_back
        self._prefer = prefer
        self._user_chose = False  # once the user (or a script) chose, only removal changes it
        self._combo = ComboBox(choices=self._choices)
        native: QComboBox = self._combo.native
        native.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        native.setMinimumContentsLength(12)
        if not self._fall_back:
            native.setPlaceholderText(NO_PROBABILITY if probability_maps else NO_CHOICE)
        native.activated.connect(self._on_user_choice)
        native.installEventFilter(self)  # long names are elided to the combo's width
        self.setFocusProxy(native)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(native)

        if offer_conversion is None:
            offer_conversion = tuple(layer_types) == (Labels,)
        self.hint_label = QLabel(NO_LABELS, self)
        self.hint_label.setWordWrap(True)
        self.image_combo = QComboBox(self)
        self.image_combo.setToolTip("An Image layer holding integer object ids")
        self._image_picked: Image | None = None  # the image the user picked to convert
        self.image_combo.activated.connect(self._on_image_picked)
        self.convert_button = QPushButton("Convert to Labels", self)
        self.convert_button.setToolTip(
            "Add a new Labels layer with this image's values (the image is not changed)"
        )
        self.convert_button.clicked.connect(lambda: self.convert_image())
        row = QHBoxLayout()
        row.addWidget(self.image_combo, stretch=1)
        row.addWidget(self.convert_button)
        layout.addWidget(self.hint_label)
        layout.addLayout(row)
        self._offer_conversion = offer_conversion
        # A layer chosen by hand (or a script) hides the offer to convert an image to labels.
        native.currentIndexChanged.connect(lambda _index: self._show_conversion())

        events = viewer.layers.events
        for emitter in (events.inserted, events.removed, events.reordered, events.renamed):
            emitter.connect(self.refresh)
        self.refresh()

    # ----------------------------------------------------------------- the QComboBox surface
    @property
    def user_chose(self) -> bool:
        """Whether the user (or a script) chose the layer shown, rather than the chooser: True
        until that layer is removed."""
        return self._user_chose

    @property
    def currentIndexChanged(self):
        """The Qt signal, emitted only when the chosen layer really changes."""
        return self._combo.native.currentIndexChanged

    def currentIndex(self) -> int:
        """The index of the chosen layer in the list (-1 when there is none)."""
        return self._combo.native.currentIndex()

    def count(self) -> int:
        """How many layers are listed."""
        return self._combo.native.count()

    def itemText(self, index: int) -> str:
        """The name of the ``index``-th layer listed (whole: the list shows long names elided
        in the middle, the whole name as the item's tooltip)."""
        return full_text(self._combo.native, index)

    def setToolTip(self, text: str) -> None:
        """Show ``text`` when hovering over the chooser."""
        super().setToolTip(text)
        self._combo.native.setToolTip(text)

    # ----------------------------------------------------------------------- choosing layers
    def layer(self) -> Layer | None:
        """The chosen layer, or None when there is none of the right type (or, choosing
        probability maps, none looks like one and the user has not chosen)."""
        return self._combo.value if self.currentIndex() >= 0 else None

    def layer_is_wanted(self) -> bool:
        """True when the chosen layer was chosen by the user (or a script), or, chosen for
        them, ranks above the lowest (a chooser of Image layers: it looks like a probability
        map). False when the chooser fell back to the first layer for lack of a better one,
        or has none."""
        layer = self.layer()
        if layer is None:
            return False
        if self._user_chose or self._prefer is None:
            return True
        lowest = tuple(False for _ in self._prefer(layer))
        return tuple(self._prefer(layer)) > lowest

    def set_layer(self, layer: Layer | str) -> None:
        """Choose ``layer`` (a layer or its name); raises ValueError if it is not listed."""
        for candidate in self._combo.choices:
            if candidate is layer or candidate.name == layer:
                self._user_chose = True
                self._combo.value = candidate
                return
        kinds = " or ".join(t.__name__ for t in self._types)
        raise ValueError(f"no {kinds} layer {getattr(layer, 'name', layer)!r} in the viewer")

    def refresh(self, *_) -> None:
        """Reset the choices from the viewer; keep the chosen layer if it is still there."""
        current = self.layer()
        native = self._combo.native
        with signals_blocked(native), self._combo.changed.blocked():
            native.clear()  # so the list follows the viewer's order after moves and renames
            self._combo.reset_choices()
            chosen = self._pick(current)
            if chosen is not None:
                self._combo.value = chosen
            else:
                native.setCurrentIndex(-1)
            elide_items(native)
        if current is not None and chosen is not current:
            self._user_chose = False  # the user's layer went away: choose for them again
        self._show_conversion()
        if chosen is not current:  # only a real change of layer is announced
            native.currentIndexChanged.emit(native.currentIndex())

    def convert_image(self, image: Image | str | None = None) -> Labels:
        """Add a Labels layer holding the values of an integer Image layer, and choose it.

        The image layer is not changed: the labels are a copy (numpy data) or a read-only lazy
        view (other arrays), on the same world grid.
        """
        if image is None:
            image = self.image_combo.currentData()
        elif isinstance(image, str):
            image = self._viewer.layers[image]
        if image is None:
            raise ValueError("no integer Image layer to convert to Labels")
        labels = labels_from_image(self._viewer, image)
        if isinstance(labels, self._types):
            self.set_layer(labels)
        return labels

    # ---------------------------------------------------------------------------- internals
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Elide the layer names again when the combo is resized."""
        if watched is self._combo.native and event.type() == QEvent.Type.Resize:
            elide_items(self._combo.native)
        return super().eventFilter(watched, event)

    def _choices(self, _widget=None) -> list[tuple[str, Layer]]:
        return [
            (layer.name, layer) for layer in self._viewer.layers if isinstance(layer, self._types)
        ]

    def _pick(self, current: Layer | None) -> Layer | None:
        """The layer to show chosen: the current one, unless gone or (unchosen) outranked;
        None when there is none, or nothing ranks above the lowest and no fallback is wanted."""
        layers = list(self._combo.choices)
        if not layers:
            return None
        if current in layers and (self._user_chose or self._prefer is None):
            return current
        if self._prefer is None:
            return layers[0]
        ranks = [self._prefer(layer) for layer in layers]
        best = max(range(len(layers)), key=lambda i: ranks[i])  # the first of the best
        if not self._fall_back and not _ranked(ranks[best]):
            return None
        if current in layers and ranks[layers.index(current)] >= ranks[best]:
            return current
        return layers[best]

    def _on_user_choice(self, _index: int) -> None:
        self._user_chose = True

    def _show_conversion(self) -> None:
        empty = self._offer_conversion and self.layer() is None
        images = integer_images(self._viewer) if empty else []
        self.hint_label.setText(ONLY_RESULTS if self.count() else NO_LABELS)
        self.hint_label.setVisible(empty)
        self.image_combo.setVisible(bool(images))
        self.convert_button.setVisible(bool(images))
        with signals_blocked(self.image_combo):
            self.image_combo.clear()
            for image in images:
                self.image_combo.addItem(image.name, image)
            if images:  # the user's pick stays; else the one most like a label image
                picked = [x for x in images if x is self._image_picked]
                best = picked[0] if picked else max(images, key=label_image_rank)
                self.image_combo.setCurrentIndex(images.index(best))

    def _on_image_picked(self, _index: int) -> None:
        self._image_picked = self.image_combo.currentData()


def _ranked(rank: object) -> bool:
    """Whether a rank of ``prefer`` (a value, or a tuple of values and tuples) holds anything
    true: a layer above the lowest rank.

    Examples
    --------
    >>> _ranked((False, 0, (False, False, False))), _ranked((False, 0, (False, False, True)))
    (False, True)
    """
    if isinstance(rank, tuple):
        return any(_ranked(part) for part in rank)
    return bool(rank)
