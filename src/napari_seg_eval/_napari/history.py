"""Undo and redo of a Labels layer, told apart from napari's other refreshes.

napari's ``Labels.undo()`` and ``redo()`` (Ctrl+Z, Ctrl+Shift+Z) write the layer's data and
emit only ``set_data``, the event every refresh of the layer's view emits too (a move of the
dims slider, a change of contrast). A change of the layer's undo and redo histories tells an
undo or a redo from those.
"""

from __future__ import annotations

from collections.abc import Callable

from napari.layers import Layer


def _history(layer: Layer) -> tuple[int, int, int, int]:
    """The identity and length of ``layer``'s undo and redo histories (zeros for a layer
    without them: an Image)."""
    undo = getattr(layer, "_undo_history", None)
    redo = getattr(layer, "_redo_history", None)
    return (
        id(undo),
        len(undo) if undo is not None else 0,
        id(redo),
        len(redo) if redo is not None else 0,
    )


def history_moved(layer: Layer) -> Callable[[], bool]:
    """A check of whether ``layer``'s undo or redo history moved since the check was made or
    last said so: True after an undo or a redo (and after an edit that napari records for
    undoing), False after a refresh that changed no data.

    Parameters
    ----------
    layer : napari.layers.Layer
        The layer watched (a Labels layer; for other layers the check is always False).

    Returns
    -------
    callable
        Called with no argument, returns a bool.

    Examples
    --------
    >>> import numpy as np
    >>> from napari.layers import Labels
    >>> layer = Labels(np.zeros((4, 4), np.uint8))
    >>> moved = history_moved(layer)
    >>> layer.data_setitem((np.array([1]), np.array([1])), 3)  # an edit, recorded for undo
    >>> moved(), moved()
    (True, False)
    >>> layer.refresh()
    >>> moved()
    False
    >>> layer.undo()
    >>> moved(), int(layer.data[1, 1])
    (True, 0)
    """
    last = [_history(layer)]

    def moved() -> bool:
        now = _history(layer)
        changed, last[0] = now != last[0], now
        return changed

    return moved
