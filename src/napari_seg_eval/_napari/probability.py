"""Reading a probability layer: float data as it is, unsigned integers as value / dtype maximum.

Integer probability maps (e.g. uint8 0..255 written by a tool that saves 8-bit images) are read
as ``value / dtype max``. The same scale is used to colour them: contrast limits ``(0, max)``,
so that the confidence colormap's threshold lands on the same pixels the threshold selects.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from napari.layers import Layer


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
        None for float data; else e.g. ``"'prob' holds uint8 values 0..255: read as value /
        255"``.

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
    return _as_probability(level0(layer), layer.name)


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
    return [data for data, _ in read], read[0][1]


def _as_probability(data: Any, name: str) -> tuple[Any, str | None]:
    """``data`` as probabilities (value / dtype max for unsigned integers) and the notice."""
    dtype = np.dtype(data.dtype)
    try:
        scale = probability_scale(dtype)
    except TypeError as error:
        raise TypeError(f"probability layer {name!r}: {error}") from None
    if np.issubdtype(dtype, np.floating):
        return data, None
    if not isinstance(data, np.ndarray):
        import dask.array as da

        data = data if isinstance(data, da.Array) else da.from_array(data, chunks="auto")
    data = data.astype(np.float64) / scale
    notice = f"{name!r} holds {dtype} values 0..{int(scale)}: read as value / {int(scale)}"
    return data, notice
