"""Input checks shared by the core: clear errors before any work is done."""

from __future__ import annotations

import numbers
import os

import numpy as np

from ._warn import warn
from .blocks import as_dask, is_lazy


def refuse_group(data: object, name: str, reader: str) -> None:
    """Raise when ``data`` is a zarr group (an OME-Zarr opened with ``zarr.open``), not an
    array: numpy would read it as a 0-d string and the dtype error would not say why.

    Parameters
    ----------
    data : object
        What was given as an image.
    name : str
        How the error calls it, e.g. ``"ground truth"``.
    reader : str
        The :mod:`napari_seg_eval.io` function that reads such a path (``read_labels``,
        ``read_probabilities``).

    Raises
    ------
    TypeError
        If ``data`` is a zarr group, naming its arrays.

    Examples
    --------
    >>> refuse_group(np.zeros(3), "truth", "read_labels")  # an array: nothing said
    """
    if not type(data).__module__.startswith("zarr") or not hasattr(data, "array_keys"):
        return
    keys = sorted(data.array_keys())
    holds = f"its arrays: {', '.join(map(repr, keys[:5]))}" if keys else "no arrays"
    example = f"group[{keys[0]!r}]" if keys else "group['0']"
    raise TypeError(
        f"{name} is a zarr group, not an array ({holds}): pass one of its arrays, e.g. "
        f"{example} (an OME-Zarr's full resolution is '0'), or read an OME-Zarr's path with "
        f"napari_seg_eval.io.{reader}(path), which finds its full resolution."
    )


def refuse_path(data: object, name: str, read: str) -> None:
    """Raise when ``data`` is a file path (a ``str`` or ``os.PathLike``), not an array: numpy
    would read it as a 0-d string and the dtype error would not say why.

    Parameters
    ----------
    data : object
        What was given as an image.
    name : str
        How the error calls it, e.g. ``"ground truth"``.
    read : str
        How to read such a file into what is expected, e.g.
        ``"napari_seg_eval.io.read_labels(path)"``.

    Raises
    ------
    TypeError
        If ``data`` is a path, naming it and how to read it.

    Examples
    --------
    >>> refuse_path("truth/img0_masks.tif", "ground truth", "napari_seg_eval.io.read_labels(path)")
    Traceback (most recent call last):
    ...
    TypeError: ground truth is a path ('truth/img0_masks.tif'), not an image: read the file \
first, e.g. napari_seg_eval.io.read_labels(path).
    """
    if isinstance(data, str | os.PathLike):
        raise TypeError(
            f"{name} is a path ({os.fspath(data)!r}), not an image: read the file first, "
            f"e.g. {read}."
        )


def integer_map_dtype(dtype: object) -> bool:
    """Whether ``dtype`` is that of an integer probability map: unsigned, 8 or 16 bits, in
    either byte order (a big-endian ``>u2`` map is a uint16 map; ``dtype in (np.uint8,
    np.uint16)`` would miss it).

    Examples
    --------
    >>> integer_map_dtype(">u2"), integer_map_dtype(np.uint8), integer_map_dtype(np.int16)
    (True, True, False)
    """
    found = np.dtype(dtype)
    return found.kind == "u" and found.itemsize <= 2


def as_array(
    data: object,
    name: str,
    read: str = "napari_seg_eval.io.read_labels(path)",
    reader: str = "read_labels",
) -> np.ndarray:
    """``data`` as an array, not yet checked for its dtype: numpy reads anything array-like;
    chunked data (dask, zarr) becomes a dask array, not read.

    Refused, naming the problem: a file path, a zarr group, a numpy masked array with masked
    values (every function would use the values under the mask), and nested lists of unequal
    lengths. A masked array with nothing masked is its data.

    Parameters
    ----------
    data : array_like
        The image.
    name : str
        How the error messages call it, e.g. ``"ground truth"``.
    read, reader : str
        How to read a file path given as ``data`` (see :func:`refuse_path`), and the reader
        of an OME-Zarr's path (see :func:`refuse_group`).

    Returns
    -------
    numpy.ndarray or dask.array.Array
        The array (not copied where numpy need not).

    Raises
    ------
    TypeError
        If ``data`` is a path or a zarr group.
    ValueError
        If ``data`` is a masked array with masked values, or is not rectangular.

    Examples
    --------
    >>> as_array(np.ma.masked_array([1, 2], mask=[False, False]), "truth").tolist()
    [1, 2]
    >>> as_array([[1, 2], [3]], "ground truth")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ground truth is not a rectangular image: ...
    """
    refuse_path(data, name, read)
    refuse_group(data, name, reader)
    if is_lazy(data):
        return as_dask(data)
    if isinstance(data, np.ma.MaskedArray):
        masked = int(np.count_nonzero(np.ma.getmaskarray(data)))
        if masked:
            raise ValueError(
                f"{name} is a numpy masked array with {masked} masked pixel(s), and its mask "
                "would be ignored (the values under it used). Pass a.data with region=~a.mask "
                "(with a region of your own: region & ~a.mask) to leave the masked pixels out, "
                "or fill them first (a.filled(0))."
            )
        data = data.data
    try:
        return np.asarray(data)
    except ValueError as error:  # nested lists of unequal lengths
        raise ValueError(f"{name} is not a rectangular image: {error}") from error


def as_label_image(data: object, name: str) -> np.ndarray:
    """Return ``data`` as an integer label array, or raise naming the problem.

    Booleans are accepted as a 0/1 image. Float data, 0-dimensional data and empty arrays are
    refused: they almost always mean a probability map, a scalar or the wrong layer was passed.
    Negative ids are refused by :func:`check_non_negative`, which the overlap pass runs on its
    run values. Only the dtype and the shape are looked at: chunked data is not read.

    Parameters
    ----------
    data : array_like
        The label image (integer or boolean values, at least one dimension, at least one pixel):
        a numpy array or anything numpy reads, or a chunked array (dask, zarr; see
        :func:`~napari_seg_eval.core.blocks.is_lazy`).
    name : str
        How the error messages call it, e.g. ``"ground truth"``.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        ``data`` as an integer array (a boolean image is viewed as ``uint8``, without a copy);
        chunked data as a dask array (lazily: a boolean one cast to ``uint8`` chunk by chunk).

    Raises
    ------
    TypeError
        If the values are not integers or booleans, or ``data`` is a file path (named, with
        the reader to use: :func:`napari_seg_eval.io.read_labels`).
    ValueError
        If the array is 0-dimensional or has no pixels, or as :func:`as_array` (a masked array
        with masked values, nested lists that are not rectangular).

    Examples
    --------
    >>> as_label_image(np.array([[0, 1], [1, 0]], bool), "mask").dtype
    dtype('uint8')
    >>> import dask.array as da
    >>> type(as_label_image(da.zeros((4, 4), dtype=np.int32, chunks=2), "truth")).__name__
    'Array'
    """
    array = as_array(data, name)
    if array.dtype == bool:
        array = array.astype(np.uint8) if is_lazy(array) else array.view(np.uint8)
    if not np.issubdtype(array.dtype, np.integer):
        hint = (
            " A probability map: threshold it first (threshold_probabilities /"
            " label_instances); a label image saved as floats: cast it (data.astype(int))."
            if np.issubdtype(array.dtype, np.floating)
            else ""
        )
        raise TypeError(f"{name} must be an integer label image, got dtype {array.dtype}.{hint}")
    _check_dimensions(array, name)
    return array


def _check_dimensions(array: np.ndarray, name: str) -> None:
    """Refuse a 0-d array (a scalar, not an image) and an array without pixels."""
    if array.ndim == 0:
        value = "chunked" if is_lazy(array) else repr(array.item())
        raise ValueError(
            f"{name} is 0-dimensional (a scalar, {value}); an image needs at least 1 dimension."
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); it needs at least one pixel.")


class NegativeIdsError(ValueError):
    """A label image (or a class image) holds negative ids: what :func:`check_non_negative`
    raises, so that a caller whose pass reads other images than the label pair (class
    images) can say which image holds them (see
    :func:`~napari_seg_eval.core.classes.negative_ids_named`)."""


def check_non_negative(ids: np.ndarray, name: str) -> None:
    """Raise if any label id is negative.

    Parameters
    ----------
    ids : numpy.ndarray
        Any integer array holding every id present (the overlap pass checks its run values,
        far fewer than the pixels).
    name : str
        How the error message calls the image.

    Raises
    ------
    NegativeIdsError
        If the smallest id is negative (a ``ValueError``).

    Examples
    --------
    >>> check_non_negative(np.array([0, 3, 7]), "prediction")  # no error
    """
    if np.issubdtype(ids.dtype, np.signedinteger) and ids.size:
        lowest = ids.min()
        if lowest < 0:
            raise NegativeIdsError(
                f"{name} has negative label ids (min {lowest}); ids must be >= 0."
            )


def check_ignore_label(ignore_label: object) -> int | None:
    """Return ``ignore_label`` as a Python ``int`` (or ``None``), or raise naming the problem.

    A Python ``int`` compares exactly with label images of every integer dtype (a NumPy
    ``int64`` scalar against ``uint64`` ids would compare as floats).

    Parameters
    ----------
    ignore_label : int or None
        A label id: a Python or NumPy integer >= 0. Booleans, floats (even ``1.0``) and
        strings are refused.

    Returns
    -------
    int or None
        The id as a Python ``int``, or ``None`` if none was given.

    Raises
    ------
    TypeError
        If it is not an integer.
    ValueError
        If it is negative (label ids are >= 0, so it could never ignore a pixel).

    Examples
    --------
    >>> check_ignore_label(np.uint8(255))
    255
    """
    if ignore_label is None:
        return None
    if isinstance(ignore_label, bool | np.bool_) or not isinstance(ignore_label, numbers.Integral):
        raise TypeError(
            f"ignore_label must be an integer label id (or None), got {ignore_label!r} "
            f"of type {type(ignore_label).__name__}."
        )
    value = int(ignore_label)
    if value < 0:
        raise ValueError(f"ignore_label must be >= 0 (label ids are never negative), got {value}.")
    return value


def _is_background(ignore_label: object) -> bool:
    """Whether ``ignore_label`` as given is the id 0 (an integer, not a boolean)."""
    return (
        isinstance(ignore_label, numbers.Integral)
        and not isinstance(ignore_label, bool | np.bool_)
        and ignore_label == 0
    )


def warn_if_background_ignored(ignore_label: object, function: str) -> None:
    """Warn (a ``UserWarning``) when an instance comparison is given ``ignore_label=0``.

    Ignoring the truth's id 0 leaves out every background pixel: a predicted object lying on
    the background is then no false positive (only its pixels on true objects count), so
    precision and F1 rise. 0 is the background of instance labels already (never an object),
    so that is rarely what was meant: ``ignore_label`` is for a truth id marking pixels of
    unknown class (e.g. unlabelled areas). Semantic metrics do not call this: there an ignore
    index 0 is a real convention (e.g. ADE20K's "other").

    Parameters
    ----------
    ignore_label : object
        The ``ignore_label`` as given (anything but an integer 0 says nothing; its type is
        checked by :func:`check_ignore_label`).
    function : str
        The function the message names, e.g. ``"instance_metrics"``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_background_ignored(0, "instance_metrics")
    ...     warn_if_background_ignored(None, "instance_metrics")  # nothing said
    >>> len(caught), "pass ignore_label=None" in str(caught[0].message)
    (1, True)
    """
    if _is_background(ignore_label):
        warn(
            f"{function}: ignore_label=0 leaves out every pixel that is background (0) in the "
            "ground truth, so predicted objects lying on the background are not counted as "
            "false positives (only their pixels on true objects count). 0 is the background "
            "already, never an object: pass ignore_label=None (the default) to score every "
            "pixel, or the id of the truth's pixels to leave out (e.g. unlabelled areas).",
            UserWarning,
        )


#: How to compare the classes of class images, said where each way of running is.
BINARIZE_OFF = (
    "binarize_semantic=False (--class-labels on the command line; in the dock, untick "
    "'semantic: foreground vs background' under Options)"
)


def warn_if_foreground_only(ignore_label: object, function: str, class_option: str) -> None:
    """Warn (a ``UserWarning``) when semantic metrics of foreground against background (label
    images binarized, labels > 0) are given ``ignore_label=0``.

    Every truth pixel left to count is then foreground: no pixel can be a false positive, and
    any prediction that is not 0 on the truth's pixels scores 1. Class images (0 unannotated,
    1..n classes) scored so get a perfect score whatever their classes (trial118): they are
    compared class by class with ``class_option``.

    Parameters
    ----------
    ignore_label : object
        The ``ignore_label`` as given (anything but an integer 0 says nothing).
    function : str
        The function the message names, e.g. ``"evaluate"``.
    class_option : str
        How to compare classes where the message is read, e.g. ``"binarize_semantic=False"``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_foreground_only(0, "evaluate", "binarize_semantic=False")
    >>> "every truth pixel left to count is foreground" in str(caught[0].message)
    True
    """
    if _is_background(ignore_label):
        warn(
            f"{function}: the semantic metrics compare foreground (labels > 0) against "
            "background, and ignore_label=0 leaves the background out: every truth pixel left "
            "to count is foreground, so no pixel can be a false positive (any prediction that "
            "is not 0 there scores 1). If the images hold classes (0 unannotated), compare "
            f"them class by class: {class_option}.",
            UserWarning,
        )


def check_region(region: object, shape: tuple[int, ...]) -> np.ndarray | None:
    """Return ``region`` as a boolean mask of ``shape`` (or ``None``), or raise naming the problem.

    Only the dtype and the shape are looked at: a chunked region is not read.

    Parameters
    ----------
    region : array_like or None
        A boolean mask, True where pixels count: numpy, or chunked (dask, zarr).
    shape : tuple of int
        The shape of the ground truth it must cover.

    Returns
    -------
    numpy.ndarray or dask.array.Array or None
        The mask (not copied; chunked data as a dask array), or ``None`` if none was given.

    Raises
    ------
    TypeError
        If it is not boolean (a label image, a float map): convert it with ``labels > 0``; or
        if it is a file path (read it: ``napari_seg_eval.io.read_labels(path) > 0``).
    ValueError
        If its shape is not ``shape``.

    Examples
    --------
    >>> check_region(np.array([True, False]), (2,)).tolist()
    [True, False]
    """
    if region is None:
        return None
    array = as_array(region, "region", "napari_seg_eval.io.read_labels(path) > 0")
    if array.dtype != bool:
        raise TypeError(
            f"region must be a boolean mask (True where pixels count), got dtype {array.dtype}. "
            "Turn a label image or a Shapes layer's mask into one with `mask > 0`."
        )
    if tuple(array.shape) != tuple(shape):
        raise ValueError(
            f"region has shape {tuple(array.shape)} but the ground truth has shape "
            f"{tuple(shape)}; it must cover the same pixels."
        )
    return array


def outside_ignored(true: object, ignore_label: int | None, region: object) -> object:
    """The pixels that count: ``region`` (None: everywhere) without the ignored truth id's, for
    the measures that take a region and no ignore label (boundaries, COCO AP, SEG and DET).

    Examples
    --------
    >>> outside_ignored(np.array([1, 9, 0]), 9, None).tolist()
    [True, False, True]
    >>> outside_ignored(np.array([1, 9, 0]), 9, np.array([True, True, False])).tolist()
    [True, False, False]
    >>> outside_ignored(np.array([1, 9]), None, None) is None
    True
    """
    if ignore_label is None:
        return region
    kept = true != ignore_label
    return kept if region is None else region & kept


def warn_if_masks(true: object, pred: object, function: str) -> None:
    """Warn when an instance comparison is given a boolean mask: it is one object.

    A boolean image is read as labels 0 and 1, so all its foreground, connected or not, is a
    single object (id 1): ``instance_metrics(truth > 0, prob > 0.5)`` compares one object with
    one object. That is rarely what was meant, so say it (labelling is the user's choice of
    connectivity, not ours to guess).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_masks(np.array([True, False, True]), np.array([1, 0, 2]), "instance_metrics")
    >>> "all its foreground is one object" in str(caught[0].message)
    True
    """
    for name, image in (("ground truth", true), ("prediction", pred)):
        if getattr(image, "dtype", None) == np.bool_:
            warn(
                f"{function}: the {name} is a boolean mask, so all its foreground is one object "
                "(id 1). Label its objects first (napari_seg_eval.label_instances) to compare "
                "objects; for pixels use semantic_metrics.",
                UserWarning,
            )


def as_label_pair(true: object, pred: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (ground truth, prediction) pair of label images of equal shape.

    Parameters
    ----------
    true, pred : array_like
        Integer (or boolean) label images, ground truth first.

    Returns
    -------
    tuple of numpy.ndarray or dask.array.Array
        Both as integer arrays (see :func:`as_label_image`); chunked ones stay lazy.

    Raises
    ------
    TypeError, ValueError
        As :func:`as_label_image`, or if the shapes differ.

    Examples
    --------
    >>> true, pred = as_label_pair(np.array([0, 1]), np.array([1, 1], np.uint8))
    """
    true_array = as_label_image(true, "ground truth")
    pred_array = as_label_image(pred, "prediction")
    if true_array.shape != pred_array.shape:
        axis = class_axis_of(true_array.shape, pred_array.shape)
        hint = (
            "they must cover the same pixels."
            if axis is None
            else f"if axis {axis} ({pred_array.shape[axis]} values) of the prediction holds a "
            f"probability map's classes, give channel_axis={axis} where the map is thresholded "
            f"(evaluate(..., threshold=0.5, channel_axis={axis}), or threshold=0 for the plain "
            f"argmax; threshold_probabilities(prob, channel_axis={axis})), so that each pixel "
            "gets its most probable class."
        )
        raise ValueError(
            f"shape mismatch: ground truth {true_array.shape} vs prediction {pred_array.shape}; "
            + hint
        )
    return true_array, pred_array


def class_axis_of(true_shape: tuple[int, ...], prob_shape: tuple[int, ...]) -> int | None:
    """The axis of ``prob_shape`` that looks like a class axis the caller left out: the one
    axis whose removal gives ``true_shape``, when exactly one does; else None.

    For the hint of a shape mismatch (``channel_axis=`` was not given).

    Parameters
    ----------
    true_shape : tuple of int
        The shape of the ground truth.
    prob_shape : tuple of int
        The shape of the map (or of what was made of it), one axis longer.

    Returns
    -------
    int or None
        The axis (non-negative), or None when no axis or several fit.

    Examples
    --------
    >>> class_axis_of((5, 6), (4, 5, 6)), class_axis_of((5, 6), (5, 6, 3))
    (0, 2)
    >>> class_axis_of((5, 5), (5, 5, 5)) is None  # any of the three would do
    True
    >>> class_axis_of((5, 6), (5, 6)) is None
    True
    """
    true_shape, prob_shape = tuple(true_shape), tuple(prob_shape)
    if len(prob_shape) != len(true_shape) + 1:
        return None
    fits = [
        axis
        for axis in range(len(prob_shape))
        if prob_shape[:axis] + prob_shape[axis + 1 :] == true_shape
    ]
    return fits[0] if len(fits) == 1 else None


def probability_array(data: object, name: str = "probabilities") -> np.ndarray:
    """Return ``data`` as a float array, or raise naming the problem.

    The value range is checked by the caller (:func:`check_probability_range`), block by block
    in the same read of memory as the work itself where the work is blockwise.

    Parameters
    ----------
    data : array_like
        Floating point probabilities, at least one dimension, at least one pixel; numpy or
        chunked (dask, zarr).
    name : str
        How the error messages call it.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        ``data`` as an array (not copied); chunked data as a dask array, not read.

    Raises
    ------
    TypeError
        If the values are not floating point, or ``data`` is a file path (named, with the
        reader to use: :func:`napari_seg_eval.io.read_probabilities`).
    ValueError
        If the array is 0-dimensional or has no pixels.

    Examples
    --------
    >>> probability_array([0.25, 0.75]).dtype
    dtype('float64')
    """
    array = as_array(
        data, name, "napari_seg_eval.io.read_probabilities(path)", "read_probabilities"
    )
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{name} must be floating point values in [0, 1], got dtype {array.dtype}. "
            "Integer or boolean data is a label image or a mask; an integer probability map "
            "(uint8 0..255, uint16 0..65535) must be divided by its maximum first, e.g. "
            "prob / 255 (the dock widget and napari_seg_eval.io.read_probabilities do that)."
        )
    _check_dimensions(array, name)
    return array


class LogitsError(ValueError):
    """Probabilities outside [0, 1]: what :func:`check_probability_range` raises, with what
    the values look like (``kind``), so that a caller can say its own way of mending them (the
    dock widget: its "Convert logits to probabilities" button, napari's "Convert to Labels")
    by the type and kind of the error, not by its words.

    The kinds (see :func:`range_kind`):

    - ``"logits"``: logits or scores (a negative value, an infinite one, or one above 65535):
      a sigmoid or a softmax makes probabilities of them;
    - ``"labels"``: whole numbers, none negative: a label image saved as floats, to be cast to
      integers and used as a label image;
    - ``"scaled"``: none negative, at most 255 (or 65535), not all whole numbers: an 8-bit
      (16-bit) map saved as floats, to be divided by ``scale``.

    Parameters
    ----------
    problem : str
        What is wrong, e.g. "probabilities must lie in [0, 1], found values in [-2, 3]."; the
        message adds what the values look like and how the Python API mends them.
    kind : {"logits", "labels", "scaled"}
        What the values look like.
    scale : int
        The full scale of the map, 255 (8-bit) or 65535 (16-bit): what a ``"scaled"`` map is to
        be divided by; for ``"labels"``, a maximum of 255 or 65535, which an 8-bit or 16-bit map
        saved as floats has too (0: any other maximum).
    sure : bool
        Whether the values "look like" ``kind`` or only "may be" it: a ``"labels"`` image whose
        values were not all seen (only its minimum and maximum are whole numbers), a
        ``"scaled"`` map whose maximum is at most half its scale (logits or scores, then, as
        likely).
    block : bool
        Whether the values looked at are one block of the data (see
        :func:`check_probability_range`): what they look like is said of that block.

    Examples
    --------
    >>> error = LogitsError("p must lie in [0, 1], found values in [-2, 3].")
    >>> error.problem, error.kind
    ('p must lie in [0, 1], found values in [-2, 3].', 'logits')
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    p must lie in [0, 1], found values in [-2, 3]. These look like logits or scores: convert
    them with napari_seg_eval.sigmoid (one channel) or napari_seg_eval.softmax (a class axis).
    >>> print(LogitsError("p must lie in [0, 1], found values in [0, 17].", "labels"))
    ... # doctest: +NORMALIZE_WHITESPACE
    p must lie in [0, 1], found values in [0, 17]. Every value is a whole number: this looks
    like a label image saved as floats, not probabilities: cast it (data.astype(int)) and use
    it as a label image (the prediction).
    """

    #: How the Python API converts logits to probabilities.
    remedy = (
        "convert them with napari_seg_eval.sigmoid (one channel) or napari_seg_eval.softmax "
        "(a class axis)."
    )
    #: How the Python API mends a label image saved as floats.
    labels_remedy = "cast it (data.astype(int)) and use it as a label image (the prediction)"
    #: How the Python API mends a map saved as floats on a scale of 0..{scale}.
    scaled_remedy = "divide it by {scale} (prob / {scale})"

    def __init__(
        self,
        problem: str,
        kind: str = "logits",
        scale: int = 0,
        sure: bool = True,
        block: bool = False,
    ) -> None:
        # All of them: a pickled copy keeps them.
        super().__init__(problem, kind, scale, sure, block)
        self.problem = problem
        self.kind = kind
        self.scale = scale
        self.sure = sure
        self.block = block

    def explain(self, logits: str, labels: str, scaled: str) -> str:
        """The message: the problem, what the values look like and how to mend them.

        Parameters
        ----------
        logits : str
            How to convert logits, a clause ending in a full stop (e.g. :attr:`remedy`).
        labels : str
            How to use a label image saved as floats, a clause without a full stop.
        scaled : str
            How to divide a map by its full scale, a clause without a full stop, with
            ``{scale}`` where the scale (255 or 65535) goes.

        Returns
        -------
        str
            The message.
        """
        a_map = "an 8-bit map (0..255)" if self.scale == 255 else "a 16-bit map (0..65535)"
        divide = scaled.format(scale=self.scale)
        if self.kind == "labels":
            values = "of that block " if self.block else ""
            looks = (
                f"Every value {values}is a whole number: this looks like"
                if self.sure
                else f"The smallest and largest values {values}are whole numbers: this may be"
            )
            also = f"; if it is {a_map} saved as floats, {divide}" if self.scale else ""
            return (
                f"{self.problem} {looks} a label image saved as floats, not probabilities: "
                f"{labels}{also}."
            )
        if self.kind == "scaled":
            if self.sure:
                return (
                    f"{self.problem} These look like {a_map} saved as floats, not logits: {divide}."
                )
            return (
                f"{self.problem} These may be {a_map} saved as floats: {divide}; if they are "
                f"logits or scores, {logits}"
            )
        return f"{self.problem} These look like logits or scores: {logits}"

    def __str__(self) -> str:
        return self.explain(self.remedy, self.labels_remedy, self.scaled_remedy)


class NaNError(ValueError):
    """Values that must be numbers hold NaN (not-a-number): refused, by
    :func:`check_probability_range` and everything that reads probabilities through it.

    A ``ValueError``, so code that catches those catches it; a caller that says it in its own
    words (the dock) tells it by its type, not its text.

    Parameters
    ----------
    message : str
        The error's text.
    name : str
        How the message calls the data (e.g. ``"probabilities"``, ``"probability values"``).

    Examples
    --------
    >>> error = NaNError("probabilities contain NaN.", "probabilities")
    >>> isinstance(error, ValueError), error.name
    (True, 'probabilities')
    """

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name

    def __reduce__(self) -> tuple:  # raised in a dask worker process: sent back whole
        return type(self), (str(self), self.name)


def range_kind(
    lowest: float, highest: float, values: np.ndarray | None = None
) -> tuple[str, int, bool]:
    """What values outside [0, 1] look like, from their range (and, if given, the values).

    Parameters
    ----------
    lowest, highest : float
        The minimum and maximum of the values, not NaN.
    values : numpy.ndarray, optional
        The values themselves, in memory (their minimum and maximum are ``lowest`` and
        ``highest``): looked at once more, to tell whether all are whole numbers. Without them,
        whole numbers are judged by ``lowest`` and ``highest`` alone.

    Returns
    -------
    kind : {"logits", "labels", "scaled"}
        Logits or scores (a negative value, an infinite one, or above 65535 and not all whole
        numbers); a label image saved as floats (whole numbers, none negative); a map saved as
        floats on a scale of 0..255 or 0..65535 (none negative, not all whole numbers).
    scale : int
        255 or 65535: what a ``"scaled"`` map is to be divided by, or the maximum of a
        ``"labels"`` image if it is one of these; else 0.
    sure : bool
        Whether the values look like ``kind`` (see :class:`LogitsError`): ``values`` were
        looked at (``"labels"``), the maximum is above half the scale (``"scaled"``).

    Examples
    --------
    >>> range_kind(-2.0, 3.0)
    ('logits', 0, True)
    >>> range_kind(0.0, 17.0, np.array([0.0, 3.0, 17.0]))
    ('labels', 0, True)
    >>> range_kind(12.75, 255.0, np.array([12.75, 255.0]))
    ('scaled', 255, True)
    """
    if lowest < 0 or not np.isfinite(highest):
        return "logits", 0, True
    whole = float(lowest).is_integer() and float(highest).is_integer()
    if whole and values is not None:  # plane by plane: a copy of one plane at a time
        planes = values if values.ndim > 1 else [values]
        whole = all(np.array_equal(np.floor(plane), plane) for plane in planes)
    if whole:
        return "labels", int(highest) if highest in (255, 65535) else 0, values is not None
    for scale in (255, 65535):
        if highest <= scale:
            return "scaled", scale, highest > scale / 2
    return "logits", 0, True


def check_probability_range(
    lowest: float,
    highest: float,
    name: str = "probabilities",
    *,
    values: np.ndarray | None = None,
    block: bool = False,
) -> None:
    """Raise unless [lowest, highest] lies in [0, 1]; NaN in either (NaN data) is named.

    Parameters
    ----------
    lowest, highest : float
        The minimum and maximum of the data (``min``/``max`` propagate NaN, so NaN data gives
        NaN here).
    name : str
        How the error messages call the data.
    values : numpy.ndarray, optional
        The data, in memory (a block already read): only if the range leaves [0, 1] are they
        looked at again, to tell a label image saved as floats (every value a whole number)
        from a map on a scale of 0..255. Without them that is judged by the range alone (see
        :func:`range_kind`).
    block : bool
        Whether ``lowest`` and ``highest`` are those of one block of the data, checked block
        by block as it is read (a chunk of a lazy array, a slice of a large one), not of all
        of it: the message then names the value found outside [0, 1] in that block, never
        its range as if it were the data's (the rest is not read when the error is raised).

    Raises
    ------
    NaNError
        If either is NaN (a ``ValueError``).
    LogitsError
        If the range leaves [0, 1] (a ``ValueError``), with what the values look like: logits
        or scores, a label image saved as floats, or an 8-bit (16-bit) map saved as floats.

    Examples
    --------
    >>> check_probability_range(0.0, 1.0)  # no error
    >>> check_probability_range(0.0, 17.0, values=np.array([0.0, 4.0, 17.0]))
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    napari_seg_eval.core._validate.LogitsError: probabilities must lie in [0, 1], found values
    in [0, 17]. Every value is a whole number: this looks like a label image saved as floats,
    not probabilities: cast it (data.astype(int)) and use it as a label image (the prediction).
    >>> check_probability_range(0.0, 9.0, values=np.array([0.0, 9.0]), block=True)
    ... # doctest: +NORMALIZE_WHITESPACE, +ELLIPSIS
    Traceback (most recent call last):
    ...
    napari_seg_eval.core._validate.LogitsError: probabilities must lie in [0, 1], found 9 in a
    block of them (checked block by block as they are read; the values of the other blocks
    are not known). Every value of that block is a whole number: ...
    """
    if np.isnan(lowest) or np.isnan(highest):
        raise NaNError(
            f"{name} contain NaN: fill them (e.g. np.nan_to_num(p, nan=0.0)), or leave those "
            "pixels out with region=~np.isnan(p) where the function takes a region.",
            name,
        )
    if lowest < 0 or highest > 1:
        if not block:
            found = f"found values in [{lowest:.6g}, {highest:.6g}]."
        else:
            outside = [f"{value:.6g}" for value in (lowest, highest) if not 0 <= value <= 1]
            found = (
                f"found {' and '.join(outside)} in a block of them (checked block by block as "
                "they are read; the values of the other blocks are not known)."
            )
        raise LogitsError(
            f"{name} must lie in [0, 1], {found}", *range_kind(lowest, highest, values), block
        )


def check_threshold(threshold: float, name: str = "threshold") -> float:
    """A probability threshold must be a finite number in [0, 1].

    Parameters
    ----------
    threshold : float
        The threshold.
    name : str
        How the error message calls it.

    Returns
    -------
    float
        The threshold as a Python float.

    Raises
    ------
    ValueError
        If it is NaN or outside [0, 1].

    Examples
    --------
    >>> check_threshold(0.5)
    0.5
    """
    value = float(threshold)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {threshold!r}.")
    return value


def check_truth_first(true: object, prob: object, function: str) -> None:
    """Refuse the 0.1 argument order ``(prob, true)`` with a ``TypeError`` that says so.

    Since 0.2 the ground truth comes first in every comparison. A float array where the truth
    belongs together with integer or boolean data where the probabilities belong is that old
    order; anything else is left to the usual checks.
    """
    true_dtype = getattr(true, "dtype", None)
    prob_dtype = getattr(prob, "dtype", None)
    if true_dtype is None or prob_dtype is None:
        return
    if np.issubdtype(true_dtype, np.floating) and (
        np.issubdtype(prob_dtype, np.integer) or np.dtype(prob_dtype).kind == "b"
    ):
        raise TypeError(
            f"{function}(true, prob): the ground truth comes first since version 0.2 "
            f"(got {true_dtype} data as the truth and {prob_dtype} data as the "
            f"probabilities). Swap the arguments: {function}(true, prob)."
        )
