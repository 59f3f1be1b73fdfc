"""Reading a probability layer: float data as it is, unsigned integers as value / dtype maximum.

Integer probability maps (e.g. uint8 0..255 written by a tool that saves 8-bit images) are read
as ``value / dtype max``. The same scale is used to colour them: contrast limits ``(0, max)``,
so that the confidence colormap's threshold lands on the same pixels the threshold selects.
The notice saying so gives the data's own range when it is cheap to know, and points a label
image chosen as a map (small whole numbers, e.g. 0..5 in a uint16) to napari's "Convert to
Labels": read as probabilities, its values are all far below any threshold.
"""

from __future__ import annotations

import weakref
from contextlib import suppress
from typing import Any

import numpy as np
from napari.layers import Layer

#: A map with at most this many distinct values, all below half the dtype's maximum (so no
#: pixel passes the default threshold 0.5), looks like a label image.
FEW_VALUES = 32
#: Distinct values are counted in at most this many values (every k-th of a larger map).
_COUNTED = 1 << 20
#: The notice of each integer layer, with a weak reference to the data it was made from: a
#: preview update reads the notice again, and the values (min, max, distinct values) are
#: read only when the layer's data is another array than last time.
_NOTICES: weakref.WeakKeyDictionary[Layer, tuple[weakref.ref, str]] = weakref.WeakKeyDictionary()
#: How the notice says to use a label image chosen as a probability map.
AS_LABELS = (
    'right-click the layer in the layer list and choose "Convert to Labels" (a new Labels '
    "layer of its values as integers), then choose that layer as the Prediction or the "
    "Ground truth"
)


def level0(layer: Layer) -> Any:
    """The layer's full-resolution data (level 0 of a multiscale layer), not read into memory."""
    return layer.data[0] if getattr(layer, "multiscale", False) else layer.data


def probability_scale(dtype: np.dtype | type) -> float:
    """The value that stands for probability 1 in data of ``dtype``: 1.0, or an integer maximum.

    Parameters
    ----------
    dtype : numpy.dtype
        The data's dtype: floating point or unsigned integer.

    Returns
    -------
    float
        1.0 for floating point data; ``np.iinfo(dtype).max`` for unsigned integers.

    Raises
    ------
    TypeError
        For any other dtype (signed integers, booleans, complex numbers, ...).

    Examples
    --------
    >>> probability_scale(np.uint8), probability_scale(np.float32)
    (255.0, 1.0)
    """
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.floating):
        return 1.0
    if np.issubdtype(dtype, np.unsignedinteger):
        return float(np.iinfo(dtype).max)
    raise TypeError(
        f"a probability map must hold floating-point values in [0, 1] or unsigned integers "
        f"(read as value / dtype maximum), got dtype {dtype}."
    )


def probability_data(layer: Layer) -> tuple[Any, str | None]:
    """The layer's level-0 data as probabilities, and a notice when they were rescaled.

    Parameters
    ----------
    layer : napari.layers.Layer
        An Image layer holding probabilities (numpy, dask or zarr data; multiscale layers give
        level 0).

    Returns
    -------
    data : array
        Float data unchanged. Unsigned integer data as ``value / dtype max`` in float64, lazily
        (a dask array) when the data is not a numpy array. float64, not float32: a float32
        quotient can round across the threshold (102 / 255 rounds above 0.4 in float32), while
        in float64 ``p > t`` equals the exact ``value > t * max`` for every threshold on the
        slider's 0.001 grid and every uint8 and uint16 value.
    notice : str or None
        None for float data; else what was done (:func:`integer_notice`), e.g. ``"'prob' holds
        uint8 values 0..255: read as value / 255"``.

    Raises
    ------
    TypeError
        If the data is neither floating point nor unsigned integer.

    Examples
    --------
    >>> from napari.layers import Image
    >>> data, notice = probability_data(Image(np.array([[0, 51, 255]], np.uint8), name="prob"))
    >>> data.tolist(), notice
    ([[0.0, 0.2, 1.0]], "'prob' holds uint8 values 0..255: read as value / 255")
    """
    data = _as_probability(level0(layer), layer.name)
    return data, integer_notice(layer)


def probability_levels(layer: Layer) -> tuple[list[Any], str | None]:
    """Every resolution level of the layer as probabilities (one level if not multiscale).

    Parameters
    ----------
    layer : napari.layers.Layer
        An Image layer holding probabilities.

    Returns
    -------
    levels : list of arrays
        Each level as :func:`probability_data` reads level 0 (lazily unless numpy).
    notice : str or None
        As for :func:`probability_data`.

    Examples
    --------
    >>> from napari.layers import Image
    >>> pyramid = [np.zeros((4, 4), np.float32), np.zeros((2, 2), np.float32)]
    >>> levels, notice = probability_levels(Image(pyramid, multiscale=True, name="prob"))
    >>> [level.shape for level in levels], notice
    ([(4, 4), (2, 2)], None)
    """
    levels = list(layer.data) if getattr(layer, "multiscale", False) else [layer.data]
    read = [_as_probability(level, layer.name) for level in levels]
    return read, integer_notice(layer)


def integer_notice(layer: Layer) -> str | None:
    """What reading the layer as probabilities does to it: None for float data.

    For unsigned integers: that values are read as ``value / dtype max``, with the data's own
    range when it is cheap to know (numpy data; a multiscale map's smallest level when it is a
    numpy array; else no range: a lazy level, however small, may be computed from every chunk
    of level 0, as ``level0[::16, ::16]`` is, and the notice is made on the main thread).
    When those values look like a label image's (every value below 1/100 of the dtype
    maximum, or at most :data:`FEW_VALUES` distinct values all below half of it), it says so
    and how to use the layer as labels. The notice is kept per layer while its data is the
    same array (edits in place do not renew it): the values are not read again at every
    preview update.

    Parameters
    ----------
    layer : napari.layers.Layer
        An Image layer of floating-point or unsigned integer data.

    Returns
    -------
    str or None
        The notice.

    Raises
    ------
    TypeError
        If the data is neither floating point nor unsigned integer.

    Examples
    --------
    >>> from napari.layers import Image
    >>> print(integer_notice(Image(np.array([[0, 3], [5, 0]], np.uint16), name="ids")))
    ... # doctest: +NORMALIZE_WHITESPACE
    'ids' holds uint16 values 0..5: read as value / 65535, so at most 7.6e-05. Such small whole
    numbers look like a label image: to use it as labels, right-click the layer in the layer
    list and choose "Convert to Labels" (a new Labels layer of its values as integers), then
    choose that layer as the Prediction or the Ground truth.
    """
    dtype = np.dtype(level0(layer).dtype)
    try:
        scale = probability_scale(dtype)
    except TypeError as error:
        raise TypeError(f"probability layer {layer.name!r}: {error}") from None
    if np.issubdtype(dtype, np.floating):
        return None
    data = level0(layer)
    kept = _NOTICES.get(layer)
    if kept is not None and kept[0]() is data:
        return kept[1]
    notice = _read_notice(layer, dtype, scale)
    with suppress(TypeError):  # data or a layer that cannot be weakly referenced: not kept
        _NOTICES[layer] = (weakref.ref(data), notice)
    return notice


def _read_notice(layer: Layer, dtype: np.dtype, scale: float) -> str:
    """:func:`integer_notice` of an unsigned integer layer, from its values read now."""
    sample, where = _cheap_values(layer)
    read = f"read as value / {int(scale)}"
    if sample is None or sample.size == 0:
        return f"{layer.name!r} holds {dtype} values: {read}"
    low, high = int(sample.min()), int(sample.max())
    notice = f"{layer.name!r} holds {dtype} values {low}..{high}{where}: {read}"
    if not _looks_like_labels(sample, high, scale):
        return notice
    return (
        f"{notice}, so at most {high / scale:.2g}. Such small whole numbers look like a label "
        f"image: to use it as labels, {AS_LABELS}."
    )


def _cheap_values(layer: Layer) -> tuple[np.ndarray | None, str]:
    """The layer's values when they are in memory, and where they come from (``""`` for
    level 0, ``" in its smallest level"``); None for lazy data (never read on the main
    thread: a small lazy level may be computed from all of level 0)."""
    data = level0(layer)
    if isinstance(data, np.ndarray):
        return data, ""
    if getattr(layer, "multiscale", False) and len(layer.data) > 1:
        smallest = layer.data[-1]
        if isinstance(smallest, np.ndarray):
            return smallest, " in its smallest level"
    return None, ""


def _looks_like_labels(values: np.ndarray, high: int, scale: float) -> bool:
    """Whether integer ``values`` (maximum ``high``) look like a label image's, not like a
    probability map's: every value below 1/100 of ``scale`` (none can pass a threshold of
    0.01), or few distinct values all below half of it."""
    if high == 0:
        return False
    if high < scale / 100:
        return True
    if high >= scale / 2:
        return False
    flat = values.reshape(-1)
    counted = flat[:: max(1, flat.size // _COUNTED)]
    return np.unique(counted).size <= FEW_VALUES


def _as_probability(data: Any, name: str) -> Any:
    """``data`` as probabilities: float data as it is, unsigned integers as value / dtype max
    in float64 (lazily unless numpy)."""
    dtype = np.dtype(data.dtype)
    try:
        scale = probability_scale(dtype)
    except TypeError as error:
        raise TypeError(f"probability layer {name!r}: {error}") from None
    if np.issubdtype(dtype, np.floating):
        return data
    if not isinstance(data, np.ndarray):
        import dask.array as da

        data = data if isinstance(data, da.Array) else da.from_array(data, chunks="auto")
    return data.astype(np.float64) / scale
