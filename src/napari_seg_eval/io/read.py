"""Reading label images and probability maps from files, lazily where the format allows.

TIFF / BigTIFF / OME-TIFF (tifffile: tiled, pyramidal or large files as a zarr view of level
0, read chunk by chunk), PNG (imageio; a palette PNG's indices as labels), NPY
(memory-mapped) and zarr / OME-Zarr (level 0 of a multiscale image; a label image under
``labels/``). Every check here looks at the metadata only:
a wrong file is refused before any pixel is read. Only the message refusing a "label" file of
floats looks at values, to say what they look like: all of them when they are in memory or
memory-mapped, the first chunk of a chunked file; and a colour image (RGB, RGBA) is read
whole to tell whether its colour channels are equal (grey, read as one channel) or not
(colours, refused), unless it is a probability map whose colour channels are on the class
axis given (its classes, read as they are).
"""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from ..core import blocks
from ..core._thread_callbacks import compute
from ..core._validate import integer_map_dtype
from ..core._warn import warn
from ..core.tracking import TIME_LABELS

#: File name endings read by :func:`read_labels` and :func:`read_probabilities`.
EXTENSIONS: tuple[str, ...] = (
    ".ome.tiff",
    ".ome.tif",
    ".ome.zarr",
    ".tiff",
    ".tif",
    ".png",
    ".npy",
    ".zarr",
)

#: Images with more pixels than this are opened lazily even when the file is not tiled.
LAZY_PIXELS = 1 << 24


#: What a file read by :func:`read_labels` is to the run (its ``role``) ...
Role = Literal["labels", "classes", "region"]
#: ... and what a file of each role must hold, as the error of one of floats says.
ROLES: dict[str, str] = {
    "labels": "a label image must hold integers",
    "classes": "a class image must hold integers (the class of each pixel)",
    "region": "a region mask must hold integers or booleans (nonzero where pixels count)",
}
#: What each role's values are called when they look like neither they nor probabilities.
_ROLE_VALUES = {"labels": "labels", "classes": "classes", "region": "a mask"}
#: What the files of each role are called, as never cast silently.
_ROLE_FILES = {"labels": "labels", "classes": "class images", "region": "region masks"}


class FileReadError(ValueError):
    """A file that cannot be read as the image asked for; the message names the file."""


def missing_text(path: Path, *, named: bool = True) -> str:
    """Why ``path``, which does not exist, cannot be opened: a broken symbolic link (naming
    where it points) or no such file; naming ``path`` first when ``named``.

    Examples
    --------
    >>> missing_text(Path("truth/a.tif"))
    'truth/a.tif does not exist.'
    >>> missing_text(Path("truth/a.tif"), named=False)
    'no such file or folder.'
    """
    if path.is_symlink():
        broken = f"broken symbolic link to {os.readlink(path)}."
        return f"{path} is a {broken}" if named else broken
    return f"{path} does not exist." if named else "no such file or folder."


def image_extension(path: str | Path) -> str | None:
    """The recognised ending of ``path`` (``".ome.tif"``, ``".zarr"``, ...), or None.

    Parameters
    ----------
    path : str or Path
        A file or folder name; only its name is looked at (the file need not exist).

    Returns
    -------
    str or None
        The ending as listed in :data:`EXTENSIONS`, lower case (the longest first:
        ``".ome.tif"`` before ``".tif"``), or None for a name of no image type.

    Examples
    --------
    >>> image_extension("cells_masks.ome.tif")
    '.ome.tif'
    """
    name = (path if isinstance(path, Path) else Path(path)).name.lower()
    return next((ext for ext in EXTENSIONS if name.endswith(ext)), None)


#: The files that make a folder a zarr array or group (zarr 2's, zarr 3's).
ZARR_NODE_FILES = (".zarray", ".zgroup", "zarr.json")


def zarr_node(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding a zarr array or group, whatever its name: the
    array of one level inside an OME-Zarr image (``slide.ome.zarr/0``), which is read as a
    zarr image, never listed as a folder of files.

    Examples
    --------
    >>> zarr_node("slide.ome.zarr/0")  # doctest: +SKIP
    True
    """
    path = Path(path)
    return path.is_dir() and any((path / name).is_file() for name in ZARR_NODE_FILES)


def read_as(path: str | Path) -> str | None:
    """The ending by which the file or folder at ``path`` is read: its
    :func:`image_extension`, or ``".zarr"`` for a zarr array or group named otherwise
    (:func:`zarr_node`: ``slide.ome.zarr/0``); None for a name of no image type.

    Examples
    --------
    >>> read_as("cells.ome.tif"), read_as("notes.txt")
    ('.ome.tif', None)
    """
    return image_extension(path) or (".zarr" if zarr_node(path) else None)


def zarr_image(path: str | Path) -> bool:
    """Whether the folder ``path``, whatever its name, is one zarr image, not a folder of
    images: a zarr array (``slide.ome.zarr/0``, a level inside an OME-Zarr image), or a zarr
    group whose OME-Zarr metadata hold ``multiscales`` (an image) or ``labels`` (its label
    images). Any other group is a folder: the store dask's ``to_zarr("preds",
    component="img1.zarr")`` or ``zarr.open_group("preds")`` writes its images into. Only
    the metadata files are read (zarr 2's ``.zarray``, ``.zgroup`` and ``.zattrs``, zarr 3's
    ``zarr.json``); metadata that cannot be read are taken for an image, whose reading says
    what is wrong.

    Parameters
    ----------
    path : str or Path
        A folder (anything else is not a zarr image).

    Returns
    -------
    bool

    Examples
    --------
    >>> zarr_image("slide.ome.zarr/0"), zarr_image("preds")  # doctest: +SKIP
    (True, False)
    """
    path = Path(path)
    if not path.is_dir():
        return False
    if (path / ".zarray").is_file():
        return True
    if (path / "zarr.json").is_file():
        node = _json_file(path / "zarr.json")
        if node is None or node.get("node_type") != "group":
            return True  # an array, or metadata that the reading names as wrong
        attributes = node.get("attributes", {})
    elif (path / ".zgroup").is_file():
        attributes = _json_file(path / ".zattrs") if (path / ".zattrs").is_file() else {}
        if attributes is None:
            return True
    else:
        return False
    if not isinstance(attributes, dict):
        return True
    ome = attributes.get("ome", attributes)  # OME-Zarr 0.5 nests its metadata under "ome"
    return isinstance(ome, dict) and ("multiscales" in ome or "labels" in ome)


def _json_file(path: Path) -> dict | None:
    """The JSON object in the file at ``path``; None when it cannot be read as one."""
    import json

    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def open_image(path: str | Path, *, labels: bool = False) -> Any:
    """The pixel array of an image file, without reading it where the format allows.

    Returns a numpy array (PNG, small untiled TIFF), a read-only ``numpy.memmap`` (NPY) or a
    ``zarr.Array`` (zarr, OME-Zarr, tiled, pyramidal or large TIFF). With ``labels``, an
    OME-Zarr image with one label image under ``labels/`` gives that label image. Raises
    :class:`FileReadError` naming the file when it is missing, of an unknown type or holds no
    image array.
    """
    return open_file(path, labels=labels, metadata=False)[0]


def open_file(
    path: str | Path,
    *,
    labels: bool = False,
    metadata: bool = True,
    pixel_size: bool = False,
    check: Callable[[FileMetadata], str | None] | None = None,
) -> tuple[Any, FileMetadata]:
    """The pixel array of an image file (as :func:`open_image`) and its metadata, from one
    opening of the file.

    Parameters
    ----------
    path : str or Path
        The image file or zarr folder.
    labels : bool
        For OME-Zarr, the one label image under ``labels/`` (as :func:`read_labels`).
    metadata : bool
        Read the axes (see :func:`file_axes`); False gives empty metadata.
    pixel_size : bool
        Read the pixel size too (see :func:`file_pixel_size`).
    check : callable, optional
        Called with the metadata before any pixel is read: the reason to refuse the file (a
        :class:`FileReadError` with that message), or None.

    Returns
    -------
    array
        As :func:`open_image`.
    FileMetadata
        As :func:`file_metadata` (None where not asked for or not given).

    Raises
    ------
    FileReadError
        As :func:`open_image`, or the reason ``check`` gave.

    Examples
    --------
    >>> array, metadata = open_file("movie.tif", check=lambda m: None)  # doctest: +SKIP
    >>> metadata.axes  # doctest: +SKIP
    'TYX'
    """
    return open_files(
        [path], labels=[labels], metadata=metadata, pixel_size=pixel_size, checks=[check]
    )[0]


def open_files(
    paths: Sequence[str | Path],
    *,
    labels: Sequence[bool],
    metadata: bool = True,
    pixel_size: bool = False,
    checks: Sequence[Callable[[FileMetadata], str | None] | None] | None = None,
    lazy: Sequence[bool] | None = None,
) -> list[tuple[Any, FileMetadata]]:
    """The pixel arrays and metadata of several files (as :func:`open_file`), each opened
    once, every file's metadata checked before any pixel of any of them is read: a file
    refused by its metadata costs no reading of the others.

    Parameters
    ----------
    paths : sequence of str or Path
        The image files or zarr folders.
    labels : sequence of bool
        For each file, as :func:`open_file` takes it.
    metadata, pixel_size : bool
        As :func:`open_file` takes them, for every file.
    checks : sequence of callable or None, optional
        For each file, called with its metadata (as :func:`open_file`'s ``check``), in order.
    lazy : sequence of bool, optional
        For each file, whether to open it lazily whatever its size: a TIFF file as a zarr
        view of its pages (indexing one plane of a volume reads that plane's pages only), as
        a tiled or large TIFF always is. PNG is read whole; NPY (memory-mapped) and zarr are
        lazy anyway.

    Returns
    -------
    list of (array, FileMetadata)
        One per file, in order.

    Raises
    ------
    FileReadError
        As :func:`open_file`: the first file that cannot be opened or is refused, before any
        pixel is read.

    Examples
    --------
    >>> (true, _), (pred, _) = open_files(
    ...     ["truth/a.tif", "pred/a.tif"], labels=[True, True]
    ... )  # doctest: +SKIP
    """
    checks = [None] * len(paths) if checks is None else list(checks)
    lazy = [False] * len(paths) if lazy is None else list(lazy)
    if not len(paths) == len(labels) == len(checks) == len(lazy):
        raise ValueError("give one labels flag, one check (or None) and one lazy flag per path.")
    opened, found = [], []
    try:
        for path, as_labels, check, paged in zip(paths, labels, checks, lazy, strict=True):
            stages = _opening(
                Path(path), as_labels, metadata=metadata, pixel_size=pixel_size, lazy=paged
            )
            opened.append(stages)
            found.append(_next(stages, path))
            _checked(found[-1], check)
        return [
            (_next(stages, path), read)
            for stages, path, read in zip(opened, paths, found, strict=True)
        ]
    finally:
        for stages in opened:
            stages.close()


def _opening(
    path: Path, labels: bool, *, metadata: bool, pixel_size: bool, lazy: bool = False
) -> Generator[Any, None, None]:
    """A file opened in two stages: its metadata (a :class:`FileMetadata`, empty where not
    asked for), then, resumed, its pixel array; closing the generator closes the file.
    ``lazy``: a TIFF file as a zarr view whatever its size."""
    extension = read_as(path)
    if not path.exists():
        raise FileReadError(f"{path}: {missing_text(path, named=False)}")
    if extension is None:
        raise FileReadError(f"{path}: unknown file type; expected one of {', '.join(EXTENSIONS)}.")
    if extension.endswith(".zarr"):
        yield from _open_zarr(path, labels, metadata=metadata, pixel_size=pixel_size)
        return
    if path.is_dir():
        raise FileReadError(f"{path}: is a folder, not a {extension} file.")
    if path.stat().st_size == 0:
        raise FileReadError(f"{path}: empty file (0 bytes).")
    if extension.endswith((".tif", ".tiff")):
        yield from _open_tiff(path, metadata=metadata, pixel_size=pixel_size, lazy=lazy)
        return
    if extension == ".npy":
        _refuse_object_npy(path)
    yield FileMetadata(None, None)  # NPY and PNG name no axes
    if extension == ".npy":
        yield np.load(path, mmap_mode="r", allow_pickle=False)
        return
    if labels:
        from PIL import Image

        with Image.open(path) as image:
            if image.mode == "P":  # a palette's indices are the ids (Pascal VOC's class PNGs)
                yield np.asarray(image)
                return
    import imageio.v3 as iio

    yield iio.imread(path)


def holds_objects(path: str | Path) -> bool:
    """Whether ``path`` is an NPY file of Python objects (a pickle, such as Cellpose's
    ``_seg.npy`` dictionary), told by its header alone: it is never unpickled, as unpickling
    can run code. False for any other file, and for an NPY file whose header cannot be read.

    Examples
    --------
    >>> holds_objects("cells/img1_seg.npy")  # doctest: +SKIP
    True
    """
    path = Path(path)
    if image_extension(path) != ".npy":
        return False
    try:
        with path.open("rb") as file:
            header = (
                np.lib.format.read_array_header_1_0
                if np.lib.format.read_magic(file) == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            return bool(header(file)[2].hasobject)
    except (OSError, ValueError):
        return False  # np.load says what is wrong with the file


def _refuse_object_npy(path: Path) -> None:
    """Refuse an NPY file of Python objects (see :func:`holds_objects`), naming it, with
    what to read instead when it is Cellpose's ``_seg.npy``."""
    if not holds_objects(path):
        return
    text = (
        f"{path}: holds Python objects (a pickle), not a label image; it is not read, as "
        "unpickling a file can run code."
    )
    if path.name.lower().endswith("_seg.npy"):
        masks = path.name[: -len("_seg.npy")] + "_cp_masks"
        text += (
            " It looks like Cellpose's _seg.npy (a dictionary of masks, outlines and flows): "
            "evaluate Cellpose's masks files instead, saved by its command line with "
            f"--save_tif or --save_png ({masks}.tif or .png; pair them with the prediction "
            "suffix _cp_masks), or save the dictionary's 'masks' array yourself from a file "
            "you trust."
        )
    raise FileReadError(text)


def _next(stages: Generator[Any, None, None], path: str | Path) -> Any:
    """The next stage of :func:`_opening`; a reader's own failure said with the file name."""
    try:
        return next(stages)
    except FileReadError:
        raise
    except Exception as error:
        raise FileReadError(f"{path}: cannot be read ({type(error).__name__}: {error}).") from error


def read_plane(
    path: str | Path, plane: int, *, labels: bool = False, channel_axis: int | None = None
) -> np.ndarray:
    """One plane of the 3-D volume in an image file, read alone where the file allows (a
    TIFF's pages of that plane, NPY memory-mapped, zarr by chunks).

    The plane is along the first axis that is not the class axis ``channel_axis``: as the
    Cell Tracking Challenge's slice ``man_seg_007_042.tif`` is plane 42 of ``mask007.tif``
    (see :func:`~napari_seg_eval.io.evaluate_files`).

    Parameters
    ----------
    path : str or Path
        The image file or zarr folder.
    plane : int
        The plane's index.
    labels : bool
        For OME-Zarr, the one label image under ``labels/`` (as :func:`read_labels`).
    channel_axis : int, optional
        The class axis of a probability map, kept.

    Returns
    -------
    numpy.ndarray
        The plane's pixels, as stored (checked by the caller as labels or probabilities).

    Raises
    ------
    FileReadError
        The file cannot be read, is not 3-D (without its class axis), or its volume has no
        such plane: the message names the file and its shape.

    Examples
    --------
    >>> read_plane("01_RES/mask007.tif", 42).shape  # doctest: +SKIP
    (512, 512)
    """
    ((array, _),) = open_files([path], labels=[labels], metadata=False, lazy=[True])
    shape = tuple(array.shape)
    axes = list(range(len(shape)))
    if channel_axis is not None and -len(shape) <= channel_axis < len(shape):
        axes.remove(channel_axis % len(shape))
    if len(axes) != 3 or not 0 <= plane < shape[axes[0]]:
        close_store(array)
        has = (
            f"a volume of {shape[axes[0]]} plane(s) (0 to {shape[axes[0]] - 1}) along its axis "
            f"{axes[0]}"
            if len(axes) == 3
            else f"{len(axes)}-D" + (" without its class axis" if len(axes) < len(shape) else "")
        )
        raise FileReadError(f"{path}: no plane {plane} in it: it is {has} {shape}.")
    return volume_plane(array, plane, axes[0])


def volume_plane(array: Any, plane: int, axis: int) -> np.ndarray:
    """The plane ``plane`` along ``axis`` of an opened file's ``array``, read alone where the
    array is lazy (a TIFF's zarr view: that plane's pages); the file is then closed (a TIFF's
    zarr view holds it open, see :func:`close_store`).

    Examples
    --------
    >>> volume_plane(np.arange(8).reshape(2, 2, 2), 1, 0).tolist()
    [[4, 5], [6, 7]]
    """
    cut = np.asarray(array[(slice(None),) * axis + (plane,)])
    close_store(array)
    return cut


def close_store(array: Any) -> None:
    """Close the file an opened ``array`` holds open (a TIFF's zarr view, see
    :func:`open_files` with ``lazy``), if any; an array in memory has none."""
    store = getattr(array, "store", None)
    if callable(getattr(store, "close", None)):
        store.close()


def file_shape(path: str | Path, *, labels: bool = False) -> tuple[int, ...]:
    """The shape of the image in a file, as :func:`open_image` opens it (a colour TIFF's
    samples per pixel as an axis), reading no pixel where the format allows (TIFF, NPY,
    zarr; a PNG is read whole): to check an option against a file before a run.

    Parameters
    ----------
    path : str or Path
        The image file or zarr folder.
    labels : bool
        For OME-Zarr, the one label image under ``labels/`` (as :func:`read_labels`).

    Returns
    -------
    tuple of int
        The shape.

    Raises
    ------
    FileReadError
        As :func:`open_image`.

    Examples
    --------
    >>> file_shape("predictions/a_prob.tif")  # doctest: +SKIP
    (4, 1000, 1000)
    """
    ((array, _),) = open_files([path], labels=[labels], metadata=False, lazy=[True])
    shape = tuple(int(size) for size in array.shape)
    close_store(array)
    return shape


def read_labels(path: str | Path, *, role: Role = "labels") -> Any:
    """Open a label image file (integer or boolean pixels; 0 is background).

    Parameters
    ----------
    path
        A TIFF/BigTIFF/OME-TIFF, PNG, NPY file or a zarr/OME-Zarr folder. For OME-Zarr, level 0
        of the multiscale image; an OME-Zarr image with one label image under ``labels/`` gives
        that label image.
    role
        What the file is to the run, which the error of a file that cannot be read says
        (:data:`ROLES`): ``"labels"`` (a label image), ``"classes"`` (a class image: each
        pixel's class) or ``"region"`` (a region mask: nonzero where pixels count). A map of
        probabilities given as a class image is told to save the argmax over its class axis
        (a 2-D map, without one, to threshold it), not to read the map as a prediction's.

    Returns
    -------
    array
        A numpy array, a read-only memory map (NPY) or a lazy ``zarr.Array`` (zarr, tiled or
        large TIFF): index it to read pixels. A palette PNG gives its indices (as Pascal
        VOC's class PNGs hold class ids); a colour image (an RGB or RGBA PNG or TIFF, a grey
        and alpha PNG) whose colour channels are all equal gives one channel (lazily, a dask
        array, for a chunked file), with a :class:`FileNotice`.

    Raises
    ------
    FileReadError
        The file is missing, unreadable, holds no array, or holds floating point values:
        never cast silently. The message says what the values look like (all of them for an
        array in memory or a memory map, the first chunk of a chunked file): whole numbers
        (with how to cast them to integers), a probability map (values in [0, 1]; what to do
        with one depends on ``role``) or neither. Or it is a colour image whose colour channels
        differ: colours, not ids (the message says how to turn them into ids).

    Examples
    --------
    >>> from napari_seg_eval import read_labels
    >>> labels = read_labels("truth/cells_masks.tif")  # doctest: +SKIP
    >>> classes = read_labels("truth/cells_classes.tif", role="classes")  # doctest: +SKIP
    """
    array, notice = checked_labels(open_image(path, labels=True), path, role=role)
    for warning in file_notices([] if notice is None else [notice]):
        warn(warning)
    return array


def checked_labels(
    array: Any, path: str | Path, *, role: Role = "labels"
) -> tuple[Any, Notice | None]:
    """``array``, opened from ``path``, if it holds labels (one channel of a grey colour
    image, with its notice); else the error :func:`read_labels` raises, of the file's
    ``role``.

    Examples
    --------
    >>> labels, notice = checked_labels(np.zeros((2, 2), np.uint8), "a.npy")
    >>> labels.shape, notice
    ((2, 2), None)
    >>> checked_labels(np.full((2, 2), 0.25), "a_classes.npy", role="classes")
    ... # doctest: +IGNORE_EXCEPTION_DETAIL +ELLIPSIS
    Traceback (most recent call last):
    FileReadError: a_classes.npy: a class image must hold integers (...), found float64. ...
    """
    dtype = np.dtype(array.dtype)
    if dtype.kind not in "biu":
        hint = _float_labels_hint(array, path, role) if np.issubdtype(dtype, np.floating) else ""
        raise FileReadError(f"{path}: {ROLES[role]}, found {dtype}.{hint}")
    _check_not_empty(array, path)
    return _one_channel(array, path, labels=True)


class _Colours(NamedTuple):
    """The colour samples of an image file's array: the ``axis`` holding them, how many of
    them are colours (3, or 1 for grey and alpha; an alpha channel comes last) and what the
    image is called (``"an RGB"``, ``"an RGBA"``, ``"a grey+alpha"``)."""

    axis: int
    colours: int
    kind: str


def _colour_samples(array: Any, path: str | Path) -> _Colours | None:
    """The colour samples of ``array`` as the file at ``path`` stores them (its header read
    again: a PNG's colour type, a TIFF's photometric interpretation), or None for an image of
    one value per pixel (grey, a palette's indices, a stack of planes)."""
    extension = image_extension(path)
    shape = tuple(array.shape)
    if len(shape) < 3 or extension is None:
        return None
    if extension == ".png":
        from PIL import Image

        with Image.open(path) as image:
            mode = image.mode
        if mode == "P":  # read as its palette's colours, with alpha if it has transparency
            mode = "RGBA" if shape[-1] == 4 else "RGB"
        kinds = {"RGB": (3, 3, "an RGB"), "RGBA": (4, 3, "an RGBA"), "LA": (2, 1, "a grey+alpha")}
        if mode in kinds and shape[-1] == kinds[mode][0]:
            return _Colours(len(shape) - 1, *kinds[mode][1:])
        return None
    if not extension.endswith((".tif", ".tiff")):
        return None
    import tifffile

    with tifffile.TiffFile(path) as tiff:
        series = tiff.series[0]
        colour = int(series.keyframe.photometric) in (
            tifffile.PHOTOMETRIC.RGB,
            tifffile.PHOTOMETRIC.YCBCR,  # decoded to RGB
        )
        axes = series.axes.upper()
        if not colour or "S" not in axes or tuple(series.shape) != shape:
            return None
        axis = axes.index("S")
    return _Colours(axis, 3, "an RGB" if shape[axis] == 3 else "an RGBA")


def _one_channel(
    array: Any, path: str | Path, *, labels: bool, channel_axis: int | None = None
) -> tuple[Any, Notice | None]:
    """``array`` as it is, or for a colour image (see :func:`_colour_samples`) its first
    channel when every colour channel equals it (with the notice that says so), else the
    error naming the file: colours are neither ids nor probabilities. A map's samples on the
    class axis its caller gives (``channel_axis``, not with ``labels``) are its classes, not
    colours: the array as it is (tifffile stores a (Y, X, 3 or 4) or (3 or 4, Y, X) array as
    RGB(A) by default)."""
    found = _colour_samples(array, path)
    if found is None:
        return array, None
    ndim = len(array.shape)
    declared = None
    if not labels and channel_axis is not None and -ndim <= channel_axis < ndim:
        declared = channel_axis % ndim
    if declared == found.axis:
        return array, None

    def channel(source: Any, index: int) -> Any:
        return source[(slice(None),) * found.axis + (index,)]

    if blocks.is_lazy(array):  # one read of the file, chunk by chunk
        lazy = blocks.as_dask(array)
        first = channel(lazy, 0)
        same = compute(*((channel(lazy, k) == first).all() for k in range(1, found.colours)))
    else:
        first = np.ascontiguousarray(channel(array, 0))
        same = [np.array_equal(channel(array, k), first) for k in range(1, found.colours)]
    tiff = image_extension(path) != ".png"
    planes = _planes_hint(array.shape, found.axis) if tiff and labels else ""
    if all(same):
        alpha = found.colours < array.shape[found.axis]
        dropped = " (its alpha channel left out)" if alpha else ""
        if found.colours == 1:
            template = f"{{file}}: {found.kind} image: its grey channel read{dropped}"
        else:
            template = (
                f"{{file}}: {found.kind} image whose colour channels are all equal (grey): "
                f"read as one channel{dropped}.{planes.rstrip('.')}"
            )
        return first, Notice(template, str(path))
    if not labels:
        classes = (
            f" If its {array.shape[found.axis]} samples per pixel are the classes of a map "
            f"(shape {tuple(int(size) for size in array.shape)}), not colours: "
            "tifffile.imwrite stores such an array as RGB by default; save it with "
            "photometric='minisblack' and give the class axis."
            + _class_axis_hint(found.axis, ndim, channel_axis)
            if image_extension(path) != ".png"
            else ""
        )
        raise FileReadError(
            f"{path}: {found.kind} image whose colour channels differ: a probability map "
            "holds one value per pixel, not a colour (a colour-mapped picture of a map cannot "
            "be read back as its values). Save the map's values themselves, in one channel "
            f"(floats in [0, 1], or uint8/uint16).{classes}"
        )
    reader = "tifffile.imread(p)" if tiff else "imageio.v3.imread(p)"
    if found.axis != len(array.shape) - 1:
        reader = f"np.moveaxis({reader}, {found.axis}, -1)"
    raise FileReadError(
        f"{path}: {found.kind} image whose colour channels differ: it holds colours, and a "
        "label image holds one id per pixel. Turn its colours into ids first, e.g. "
        f"`rgb = {reader}[..., :3]; colours, ids = np.unique(rgb.reshape(-1, 3), axis=0, "
        "return_inverse=True); ids = ids.reshape(rgb.shape[:-1])` (each colour becomes an "
        "id; black, if present, 0: the background), and save the ids as a one-channel image."
        f"{planes}"
    )


def _class_axis_hint(samples: int, ndim: int, channel_axis: int | None) -> str:
    """What to give to read a map's colour samples (on axis ``samples`` of an array of
    ``ndim`` axes) as its classes: that axis as the class axis, not ``channel_axis`` (the one
    given, or None).

    Examples
    --------
    >>> print(_class_axis_hint(2, 3, None))  # doctest: +NORMALIZE_WHITESPACE
     Or read it as it is: give its axis 2 as the class axis (--channel-axis 2;
     channel_axis=2 in Python).
    >>> print(_class_axis_hint(0, 3, 2))  # doctest: +NORMALIZE_WHITESPACE
     The class axis given (2) is not the axis of its samples (0): if they are its classes,
     give its axis 0 as the class axis (--channel-axis 0; channel_axis=0 in Python).
    """
    give = f"its axis {samples} as the class axis (--channel-axis {samples}; channel_axis="
    give += f"{samples} in Python)"
    if channel_axis is None:
        return f" Or read it as it is: give {give}."
    fits = -ndim <= channel_axis < ndim
    given = f"({channel_axis})" if fits else f"({channel_axis}, which is not an axis of it)"
    return (
        f" The class axis given {given} is not the axis of its samples ({samples}): if they "
        f"are its classes, give {give}."
    )


#: Said of a TIFF of labels stored as colours: tifffile stores a (Y, X, 3) or (3, Y, X) array
#: as RGB.
TIFF_PLANES_HINT = (
    " If its {n} samples per pixel are planes of labels (a volume of shape {shape}), not "
    "colours: tifffile.imwrite stores such an array as RGB by default; save it with "
    "photometric='minisblack' to keep {n} planes of ids."
)


def _planes_hint(shape: tuple[int, ...], axis: int) -> str:
    """:data:`TIFF_PLANES_HINT` for a file of ``shape`` whose samples are on ``axis``."""
    return TIFF_PLANES_HINT.format(n=shape[axis], shape=tuple(int(size) for size in shape))


#: What a float "label" file's values look like when they are all in [0, 1] (or unknown).
_PROBABILITY_HINT = (
    " This looks like a probability map, not labels. As a prediction, read it as one "
    "(--probability on the command line, read_probabilities in Python); as the ground truth, "
    "check that the truth and the prediction are not swapped."
)

#: ... and when they are all 0 or 1: a mask, or a probability map.
_BINARY_HINT = (
    " If it is a probability map, read it as one (--probability on the command line, "
    "read_probabilities in Python)."
)

#: A class image's file whose values are in [0, 1]: a map of the classes' probabilities
#: (``{shape}``: the file's), whose classes are the argmax over its class axis ...
_CLASS_MAP_HINT = (
    " This looks like a probability map (shape {shape}), not a class image: a class file "
    "holds each pixel's class as an integer. Save the argmax over the map's class axis "
    "instead, e.g. `np.argmax(p, axis=0)` for the classes on the first axis (add 1 when "
    "channel 0 is a class, not the background), as integers."
)

#: ... and of a 2-D file, which has no class axis: one class's map, to threshold.
_CLASS_PLANE_HINT = (
    " This looks like a probability map of one class (shape {shape}: no class axis), not "
    "a class image: a class file holds each pixel's class as an integer. Threshold it "
    "instead, e.g. `(p > 0.5).astype(np.uint8)` for class 1 where the map is above 0.5 "
    "(0 elsewhere), and save that."
)

#: A region mask's file whose values are in [0, 1]: a map, to threshold.
_REGION_MAP_HINT = (
    " This looks like a probability map, not a mask: threshold it (e.g. `p > 0.5`) and save "
    "the mask as integers."
)


def _float_labels_hint(array: Any, path: str | Path, role: Role = "labels") -> str:
    """What to do with a label file of floats (of the ``role`` of :func:`read_labels`), from
    its values where they are cheap to look at: all of an array in memory or a memory map,
    the first chunk of a chunked array. Whole numbers: cast them (never done silently);
    values in [0, 1]: a probability map (as labels, read it as one; as a class image, save
    its argmax over its class axis, or threshold a 2-D map, which has none; as a region,
    threshold it)."""
    if blocks.is_lazy(array):
        chunks = blocks.as_dask(array).chunks
        values = np.asarray(array[tuple(slice(0, sizes[0]) for sizes in chunks)])
        scope, whole_scope = "the first chunk", "the first chunk's values are"
    else:
        values, scope, whole_scope = array, "all", "they are all"
    if values.size == 0:
        return ""
    summary = _value_summary(values)
    if summary is None:
        return (
            f" Its values ({scope}) include NaN or infinity: they look like neither "
            f"{_ROLE_VALUES[role]} (whole numbers) nor probabilities (in [0, 1])."
        )
    low, high, whole = summary
    in_unit_range = low >= 0 and high <= 1
    if whole:
        save = (
            "np.save(p, a.astype(np.uint32))"
            if image_extension(path) == ".npy"
            else "tifffile.imwrite(p, a.astype(np.uint32))"
        )
        cast = (
            f" It holds floating point values; {whole_scope} whole numbers ({low:g} to "
            f"{high:g}): cast them to integers (e.g. `{save}`) and save the file again "
            f"({_ROLE_FILES[role]} are never cast silently)."
        )
        return cast + (_BINARY_HINT if in_unit_range and role == "labels" else "")
    if in_unit_range and role == "classes":
        hint = _CLASS_PLANE_HINT if array.ndim == 2 else _CLASS_MAP_HINT
        return hint.format(shape=tuple(int(size) for size in array.shape))
    if in_unit_range:
        return _REGION_MAP_HINT if role == "region" else _PROBABILITY_HINT
    return (
        f" Its values ({scope}: {low:g} to {high:g}, not all whole numbers) look like neither "
        f"{_ROLE_VALUES[role]} (whole numbers) nor probabilities (in [0, 1])."
    )


def _value_summary(values: np.ndarray) -> tuple[float, float, bool] | None:
    """The smallest and largest value of a float array in memory or memory-mapped, and
    whether all are whole numbers (None if any is not finite); read in slices of
    :data:`LAZY_PIXELS` values, so that a memory map needs no copy of its size."""
    flat = np.ravel(values, order="K")  # a view of a C- or Fortran-ordered array
    low, high, whole = np.inf, -np.inf, True
    for start in range(0, flat.size, LAZY_PIXELS):
        part = flat[start : start + LAZY_PIXELS]
        if not np.isfinite(part).all():
            return None
        low, high = min(low, float(part.min())), max(high, float(part.max()))
        whole = whole and bool((part == np.round(part)).all())
    return low, high, whole


def read_probabilities(path: str | Path, *, channel_axis: int | None = None) -> Any:
    """Open a probability map file: floating point values in [0, 1].

    uint8 and uint16 maps are read as value / dtype maximum (255 or 65535), with a
    :class:`FileNotice` (a ``UserWarning``) saying so. The range [0, 1] is checked when the
    map is thresholded.

    Parameters
    ----------
    path
        A TIFF/BigTIFF/OME-TIFF, PNG, NPY file or a zarr/OME-Zarr folder.
    channel_axis
        The map's class axis, if it has one. A file whose samples per pixel on this axis are
        stored as colours (a TIFF of photometric RGB or RGBA: tifffile writes a (Y, X, 3 or
        4) or (3 or 4, Y, X) array so by default) is read as it is, its samples being the
        classes. Without it, such a file is read as a colour image (see Returns, Raises).

    Returns
    -------
    array
        The file's float array as :func:`read_labels` opens it (memory map or lazy
        ``zarr.Array``); a scaled integer map as float64, lazily (a dask array) when the file
        is read lazily (see :func:`scaled_probabilities`). A colour image (RGB, RGBA, grey and
        alpha) whose colour channels are all equal gives one channel, with a notice, unless
        its colour channels are on ``channel_axis``.

    Raises
    ------
    FileReadError
        The file is missing, unreadable, holds no array, holds neither floats nor uint8 /
        uint16 values (in either byte order), or is a colour image whose colour channels
        differ and are not on ``channel_axis`` (colours are not probabilities; the message
        of a TIFF names the axis to give if they are its classes).

    Examples
    --------
    >>> from napari_seg_eval import read_probabilities
    >>> prob = read_probabilities("predictions/cells_prob.tif")  # doctest: +SKIP
    >>> softmax = read_probabilities("predictions/cells_yx4.tif", channel_axis=-1)
    ... # doctest: +SKIP
    """
    array, notice = open_probabilities(path, channel_axis=channel_axis)
    for warning in file_notices([] if notice is None else [notice]):
        warn(warning)
    return array


class FileNotice(UserWarning):
    """The warning of a :class:`Notice` (an integer probability map scaled, a label file that
    looks like a probability map): never an error, filtered on its own if wished.

    One warning tells one kind of notice for any number of files (see :func:`file_notices`):
    its message names the options as in Python; :meth:`text` words it with other names (the
    command line's ``--probability``).

    ``likely_wrong``: the notice says that the numbers are likely wrong, not only how a file
    was read (see :class:`Notice`); the command line says those even with ``--quiet``."""

    def __init__(
        self,
        template: str,
        paths: tuple[str, ...] = (),
        counts: tuple[int, ...] = (),
        likely_wrong: bool = False,
    ) -> None:
        self.template, self.paths, self.counts = template, tuple(paths), tuple(counts)
        self.likely_wrong = likely_wrong
        super().__init__(self.text())

    def text(self, options: dict[str, str] | None = None) -> str:
        """The line: the first file named, how many more files the notice applies to (where
        the template says ``{more}``, else at the end), its counts (see :class:`Notice`),
        and the options named as in ``options`` (default :data:`PYTHON_OPTIONS`)."""
        if not self.paths:  # a plain message
            return self.template
        more = len(self.paths) - 1
        also = f" (and {more} more file{'s' if more > 1 else ''})" if more else ""
        if more and self.counts:  # the counts are the files' sums: said so
            also = f"{also[:-1]}; the counts are totals over the {more + 1} files)"
        return _worded(self.template, self.paths[0], self.counts, also, options)


#: How each caller names the options a notice may ask for: ``{probability}`` and
#: ``{background_channel}`` in a template. Python's names; the command line's are
#: :data:`COMMAND_LINE_OPTIONS`, the dock's Dataset tab's :data:`DOCK_OPTIONS`. The checks
#: before a run (:func:`~napari_seg_eval.io.evaluate.check_first_pair`,
#: :func:`~napari_seg_eval.io.evaluate.declared_class_axis`) name theirs by the same keys:
#: ``give_channel_axis`` (the advice to give a class axis), ``spacing_file`` (the pixel size
#: read from the files) and ``spacing_values`` (the advice to give it instead); a run's
#: notices ``ignore_label``, followed by the value to leave out, and ``semantic_only`` (the
#: kind of semantic metrics alone).
PYTHON_OPTIONS = {
    "probability": "probability=True",
    "background_channel": "background_channel=True",
    "threshold_zero": "threshold=0",
    "channel_axis": "channel_axis=",  # followed by the axis: channel_axis=0
    "give_channel_axis": "give the channel_axis too",
    "spacing_file": "spacing='file'",
    "spacing_values": "the spacing instead,",  # followed by: one value per axis ...
    "ignore_label": "ignore_label=",  # followed by the value: ignore_label=255
    "semantic_only": "kind='semantic'",
}
#: The command line's names of the options a notice may ask for.
COMMAND_LINE_OPTIONS = {
    "probability": "--probability",
    "background_channel": "--background-channel",
    "threshold_zero": "--threshold 0",
    "channel_axis": "--channel-axis ",
    "give_channel_axis": "add --channel-axis",
    "spacing_file": "--spacing file",
    "spacing_values": "the values instead, --spacing with",
    "ignore_label": "--ignore-label ",
    "semantic_only": "--kind semantic",
}
#: The dock's names of the options a notice may ask for (its Dataset tab's box, its header's).
DOCK_OPTIONS = {
    "probability": "'predictions are probability maps'",
    "background_channel": "'Channel 0 is background' (beside the header's Channel axis)",
    "threshold_zero": "the header's Threshold at 0",
    "channel_axis": "the header's Channel axis at ",
    "give_channel_axis": "choose the Dataset tab's Class axis",
    "spacing_file": "'file' in the Dataset tab's spacing box",
    "spacing_values": "the values in the Dataset tab's spacing box instead,",
    "ignore_label": "the Dataset tab's Ignore label at ",
    "semantic_only": "Evaluate: semantic in the Dataset tab",
}


class Notice(NamedTuple):
    """Something about a file that its reader should know: ``template`` says it, with
    ``{file}`` where the file is named, ``{probability}`` where the option to read
    probability maps is, ``{background_channel}`` the option that makes a map's channel 0
    background and ``{channel_axis}`` the class axis option, before its value (each caller
    names them its own way, see :data:`PYTHON_OPTIONS`); the
    same template for every file it applies to, so that many files are told in one line
    (see :func:`file_notices`). ``path`` is the file.

    ``counts``: numbers the template says as ``{0}``, ``{1}``, ...: each the sum over the
    notices of one template (the files of a run, the planes of a file), with ``{share}`` the
    first as a percentage of the second (:func:`percent`) and ``{more}`` where the line says
    how many more files it applies to (else at its end).

    ``likely_wrong``: the notice says the numbers are likely wrong (a map's channel 0 likely
    background, a class image scored as instance labels, a mask or map scored as labels, ...),
    not only how a file was read: the command line says it even with ``--quiet``."""

    template: str
    path: str
    counts: tuple[int, ...] = ()
    likely_wrong: bool = False

    def __str__(self) -> str:
        return _worded(self.template, self.path, self.counts, "", None)


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage of 3 significant digits, never rounded to 0 % or
    100 % when it is not that: "< 0.1 %", "> 99.9 %".

    Examples
    --------
    >>> percent(3, 8), percent(1999, 2000), percent(1, 2000), percent(2000, 2000)
    ('37.5 %', '> 99.9 %', '< 0.1 %', '100 %')
    """
    share = 100 * part / whole
    text = f"{share:.3g}"
    if 0 < part < whole and share < 0.1:
        return "< 0.1 %"
    if 0 < part < whole and float(text) >= 100:
        return "> 99.9 %"
    return f"{text} %"


def _worded(
    template: str,
    path: str,
    counts: tuple[int, ...],
    more: str,
    options: dict[str, str] | None,
) -> str:
    """A notice's line (see :class:`Notice`): ``more`` says how many more files it is of."""
    options = PYTHON_OPTIONS if options is None else options
    share = percent(*counts[:2]) if len(counts) >= 2 else ""
    if "{more}" in template:
        return template.format(*counts, file=path, share=share, more=more, **options) + "."
    return f"{template.format(*counts, file=path, share=share, **options)}{more}."


def file_notices(notices: list[Notice]) -> list[FileNotice]:
    """One warning per kind of notice (per template, in the order first met), with the files
    it applies to (each once, in order) and its counts summed (see :class:`Notice`).

    Parameters
    ----------
    notices : list of Notice
        The notices of a run, any number per file.

    Returns
    -------
    list of FileNotice
        The warnings to give; :meth:`FileNotice.text` words each as a line.

    Examples
    --------
    >>> scaled = "{file}: uint8 probabilities are read as value / 255"
    >>> notices = [Notice(scaled, "a.tif"), Notice(scaled, "b.tif"), Notice(scaled, "c.tif")]
    >>> [str(warning) for warning in file_notices(notices)]
    ['a.tif: uint8 probabilities are read as value / 255 (and 2 more files).']
    >>> [warning] = file_notices([Notice("if {file} is a map, set {probability}", "a.tif")])
    >>> str(warning), warning.text({"probability": "--probability"})
    ('if a.tif is a map, set probability=True.', 'if a.tif is a map, set --probability.')
    >>> lost = "{0} of {1} pixels ({share}) of {file}{more} were lost"
    >>> notices = [Notice(lost, "a.tif", (1, 4)), Notice(lost, "b.tif", (2, 4))]
    >>> [warning] = file_notices(notices)  # 1 + 2 of 4 + 4
    >>> print(warning)  # doctest: +NORMALIZE_WHITESPACE
    3 of 8 pixels (37.5 %) of a.tif (and 1 more file; the counts are totals over the 2
    files) were lost.
    """
    files: dict[str, list[str]] = {}
    counts: dict[str, tuple[int, ...]] = {}
    wrong: dict[str, bool] = {}
    for notice in notices:
        files.setdefault(notice.template, []).append(notice.path)
        held = counts.setdefault(notice.template, (0,) * len(notice.counts))
        counts[notice.template] = tuple(a + b for a, b in zip(held, notice.counts, strict=True))
        wrong[notice.template] = wrong.get(notice.template, False) or notice.likely_wrong
    return [
        FileNotice(template, tuple(dict.fromkeys(paths)), counts[template], wrong[template])
        for template, paths in files.items()
    ]


def open_probabilities(
    path: str | Path, *, channel_axis: int | None = None
) -> tuple[Any, Notice | None]:
    """:func:`read_probabilities` without its warning, for a caller that tells the notice its
    own way (:func:`~napari_seg_eval.io.evaluate_files` once per run for many files).

    Parameters
    ----------
    path : str or Path
        A TIFF/BigTIFF/OME-TIFF, PNG, NPY file or a zarr/OME-Zarr folder.
    channel_axis : int, optional
        The map's class axis, as :func:`read_probabilities` takes it.

    Returns
    -------
    array
        As :func:`read_probabilities` returns it.
    Notice or None
        For a uint8 or uint16 map, the notice that it is read as value / dtype maximum; for
        a grey colour image, that one channel is read (both in one notice); else None.

    Raises
    ------
    FileReadError
        As :func:`read_probabilities`.

    Examples
    --------
    >>> prob, notice = open_probabilities("predictions/cells_prob.png")  # doctest: +SKIP
    >>> str(notice)  # doctest: +SKIP
    'predictions/cells_prob.png: uint8 probabilities are read as value / 255.'
    """
    return checked_probabilities(open_image(path), path, channel_axis=channel_axis)


def checked_probabilities(
    array: Any, path: str | Path, *, channel_axis: int | None = None
) -> tuple[Any, Notice | None]:
    """``array``, opened from ``path``, as :func:`open_probabilities` gives it (an integer
    map scaled, with its notice), or the error it raises; ``channel_axis``, the map's class
    axis, as :func:`read_probabilities` takes it.

    Examples
    --------
    >>> prob, notice = checked_probabilities(np.array([0, 255], np.uint8), "a.png")
    >>> prob.tolist(), str(notice)
    ([0.0, 1.0], 'a.png: uint8 probabilities are read as value / 255.')
    """
    dtype = np.dtype(array.dtype)
    _check_not_empty(array, path)
    grey = None
    if np.issubdtype(dtype, np.floating) or integer_map_dtype(dtype):
        array, grey = _one_channel(array, path, labels=False, channel_axis=channel_axis)
    if np.issubdtype(dtype, np.floating):
        return array, grey
    if integer_map_dtype(dtype):  # either byte order: a >u2 map is a uint16 map
        scaled = f"{dtype.name} probabilities are read as value / {np.iinfo(dtype).max}"
        said = "{file}: " if grey is None else f"{grey.template}; "
        return scaled_probabilities(array), Notice(said + scaled, str(path))
    raise FileReadError(
        f"{path}: a probability map must hold floats in [0, 1] (or uint8/uint16 scaled to "
        f"[0, 1]), found {dtype}. Is this a label image?"
    )


def scaled_probabilities(array: Any) -> Any:
    """An integer probability map as float64 value / dtype maximum.

    float64, not float32, as the dock reads an integer layer: in float32, 153 / 255 is
    0.6000000238, above a threshold of 0.6, while the value is exactly 0.6 (not above it).
    In float64, ``p > t`` equals the exact ``value > t * max`` for every threshold of three
    decimals.

    Parameters
    ----------
    array : array_like
        An unsigned integer map: numpy, a memory map or a chunked array (zarr, dask).

    Returns
    -------
    numpy.ndarray or dask.array.Array
        float64 values in [0, 1]: computed now for an array in memory; a lazy dask array,
        scaled chunk by chunk when it is read, for a chunked array or a memory map of more
        than :data:`LAZY_PIXELS` pixels (a smaller memory map is read now).

    Examples
    --------
    >>> scaled_probabilities(np.array([0, 51, 153, 255], np.uint8)).tolist()
    [0.0, 0.2, 0.6, 1.0]
    >>> import dask.array as da
    >>> lazy = scaled_probabilities(da.from_array(np.array([0, 255], np.uint8), chunks=1))
    >>> type(lazy).__name__, lazy.dtype.name, lazy.compute().tolist()
    ('Array', 'float64', [0.0, 1.0])
    """
    scale = float(np.iinfo(array.dtype).max)
    array = chunked_if_large(array)
    if blocks.is_lazy(array):
        return blocks.as_dask(array).astype(np.float64) / scale
    return np.asarray(array, np.float64) / scale


def chunked_if_large(array: Any) -> Any:
    """A memory map of more than :data:`LAZY_PIXELS` pixels as a dask array (so that it is
    thresholded and labelled chunk by chunk); any other array as it is.

    Examples
    --------
    >>> chunked_if_large(np.zeros(3)).shape
    (3,)
    """
    if isinstance(array, np.memmap) and array.size > LAZY_PIXELS:
        return blocks.as_dask(array)
    return array


def file_axes(path: str | Path, *, labels: bool = True) -> str | None:
    """The axes of a file's image as its metadata names them, one letter each (``"TYX"``:
    time; ``"ZYX"``), or None where the file names none (NPY, PNG, zarr without OME axes).

    Reads the metadata only: TIFF (tifffile's reading of ImageJ, OME and its own metadata)
    and OME-Zarr (the ``axes`` of the multiscale image, an axis of type ``"time"`` or named
    ``t``, ``time``, ``frame`` or ``frames`` being ``T``, one of type ``"channel"`` ``C``;
    with ``labels``, the one label image under ``labels/``).

    Parameters
    ----------
    path : str or Path
        The image file or zarr folder.
    labels : bool
        For OME-Zarr, the axes of the label image :func:`read_labels` opens.

    Returns
    -------
    str or None
        The axes, or None.

    Examples
    --------
    >>> file_axes("frames.npy") is None  # NPY has no axis names
    True
    """
    return file_metadata(path, labels=labels, pixel_size=False).axes


class PixelSize(NamedTuple):
    """A file's pixel size as its metadata gives it: ``sizes`` one per axis of the image
    (None for an axis that is not spatial: time, channel, or one the metadata gives no size),
    in ``unit`` (``"µm"``, ``"cm"``, ...; ``""`` where the file names none)."""

    sizes: tuple[float | None, ...]
    unit: str


#: Spellings of a unit in ImageJ, OME and OME-Zarr metadata, and the one each is reported as.
_UNITS = {
    "micron": "µm",
    "microns": "µm",
    "micrometer": "µm",
    "micrometre": "µm",
    "um": "µm",
    "μm": "µm",  # Greek mu
    "\\u00b5m": "µm",  # ImageJ's escaped micro sign
    "nanometer": "nm",
    "nanometre": "nm",
    "millimeter": "mm",
    "millimetre": "mm",
    "centimeter": "cm",
    "centimetre": "cm",
}

#: TIFF ResolutionUnit values taken as a pixel size: centimetres. 1 (NONE) names no unit, and
#: 2 (inches, also the default when the tag is missing) is a display setting (72 dpi), never a
#: microscope's pixel size.
_TIFF_UNITS = {3: "cm"}


def file_pixel_size(path: str | Path, *, labels: bool = True) -> PixelSize | None:
    """The pixel size a file's metadata gives, or None where it gives none.

    Reads the metadata only. OME-TIFF: ``PhysicalSizeX/Y/Z`` (units ``PhysicalSize*Unit``,
    µm by default). ImageJ TIFF: the resolution tags (pixels per unit) for y and x, ImageJ's
    ``spacing`` for z, ImageJ's ``unit``; an uncalibrated file (no unit, no spacing,
    resolution 1) gives none. Other TIFF: the resolution tags in centimetres (in inches, the
    default, or with no unit they are a display setting and give none). OME-Zarr: level 0's
    ``scale`` coordinate transformation (times the multiscale image's own, if any), for the
    axes of type ``"space"`` (or named x, y, z), with their ``unit``; with ``labels``, of the
    one label image under ``labels/``. Axes in different units give none (units are never
    converted). NPY, PNG and plain zarr give none.

    Parameters
    ----------
    path : str or Path
        The image file or zarr folder.
    labels : bool
        For OME-Zarr, the size of the label image :func:`read_labels` opens.

    Returns
    -------
    PixelSize or None
        One size per axis of the image (None for an axis without one), and the unit.

    Examples
    --------
    >>> file_pixel_size("frames.npy") is None  # NPY has no metadata
    True
    """
    return file_metadata(path, labels=labels).pixel_size


def unused_pixel_size(truth: str | Path, *, boundary: bool, split: bool) -> PixelSize | None:
    """The pixel size the truth file ``truth`` (a run's first pair's) gives in its metadata,
    where a run without a spacing leaves it unused: its ``boundary`` distances, and its
    ``split`` of touching objects (probability maps split at the spacing), are then in
    pixels. The one rule of the note the command line (``evaluate`` without ``--spacing``)
    and the Dataset tab (its spacing box empty) each word in their own words.

    None where neither is asked; where the file gives no pixel size, or none for an axis;
    where it gives 1 on every axis (pixels: the run's measure already); for the split alone,
    where every axis has the same size (the split in pixels is then the same split); or
    where the file cannot be read (the run itself says why).

    Parameters
    ----------
    truth : str or Path
        The truth file (or zarr folder) whose metadata are read (no pixel).
    boundary : bool
        Whether the run computes boundary metrics.
    split : bool
        Whether the run splits touching objects of probability maps.

    Returns
    -------
    PixelSize or None
        The file's pixel size (a size for every axis), or None.

    Examples
    --------
    >>> unused_pixel_size("frames.npy", boundary=True, split=True) is None  # no metadata
    True
    """
    if not (boundary or split):
        return None
    try:
        size = file_pixel_size(truth)
    except (OSError, ValueError):  # the run itself then fails on it, with its error
        return None
    if size is None or None in size.sizes or set(size.sizes) == {1}:  # 1: as pixels
        return None
    if not boundary and len(set(size.sizes)) == 1:
        return None
    return size


class FileMetadata(NamedTuple):
    """What a file's metadata say: the axes (see :func:`file_axes`) and the pixel size (see
    :func:`file_pixel_size`), each None where they say nothing."""

    axes: str | None
    pixel_size: PixelSize | None

    @property
    def channel_axis(self) -> int | None:
        """The one axis the metadata name a channel (``C`` in :attr:`axes`: an OME-Zarr axis
        of type ``"channel"``, a TIFF's ``C`` in its OME, ImageJ or tifffile metadata), the
        class axis of a probability map; None where they name none, or more than one.

        Examples
        --------
        >>> FileMetadata("CYX", None).channel_axis, FileMetadata("YXS", None).channel_axis
        (0, None)
        """
        if self.axes is None or self.axes.count("C") != 1:
            return None
        return self.axes.index("C")


def file_metadata(
    path: str | Path, *, labels: bool = True, pixel_size: bool = True
) -> FileMetadata:
    """The axes and the pixel size of a file, from one reading of its metadata.

    Parameters
    ----------
    path : str or Path
        The image file or zarr folder.
    labels : bool
        For OME-Zarr, of the label image :func:`read_labels` opens.
    pixel_size : bool
        Read the pixel size too (False: ``pixel_size`` is None).

    Returns
    -------
    FileMetadata
        As :func:`file_axes` and :func:`file_pixel_size` give them; both None for a file
        that cannot be read (:func:`read_labels` says why).

    Examples
    --------
    >>> file_metadata("frames.npy")  # NPY has no metadata
    FileMetadata(axes=None, pixel_size=None)
    """
    extension = read_as(path)
    try:
        if extension is not None and extension.endswith((".tif", ".tiff")):
            import tifffile

            with tifffile.TiffFile(path) as tiff:
                return _tiff_metadata(tiff, pixel_size)
        if extension is not None and extension.endswith(".zarr"):
            import zarr

            return _zarr_metadata(zarr.open(str(path), mode="r"), labels, pixel_size)
    except Exception:  # unreadable: read_labels says why
        pass
    return FileMetadata(None, None)


def _tiff_metadata(tiff: Any, pixel_size: bool) -> FileMetadata:
    """The metadata of an open ``tifffile.TiffFile``."""
    if not tiff.series:
        return FileMetadata(None, None)
    axes = tiff.series[0].axes.upper()
    return FileMetadata(axes, _metadata_part(_tiff_pixel_size, tiff, pixel_size))


def _zarr_metadata(node: Any, labels: bool, pixel_size: bool) -> FileMetadata:
    """The metadata of an open zarr node (OME-Zarr's multiscales)."""
    multiscale = _zarr_multiscale(node, labels)
    size = _metadata_part(_zarr_pixel_size, multiscale, pixel_size)
    return FileMetadata(_zarr_axes(multiscale), size)


def _checked(metadata: FileMetadata, check: Callable[[FileMetadata], str | None] | None) -> None:
    """Refuse a file whose metadata ``check`` finds wrong (before any pixel is read)."""
    reason = None if check is None else check(metadata)
    if reason is not None:
        raise FileReadError(reason)


def _metadata_part(read: Any, source: Any, wanted: bool) -> Any:
    """``read(source)`` if ``wanted``, None if not or where the metadata cannot be read."""
    if not wanted:
        return None
    try:
        return read(source)
    except Exception:  # metadata in a form not understood: none
        return None


def _unit(name: Any) -> str:
    text = str(name or "").strip()
    return _UNITS.get(text.lower(), text)


def _tiff_pixel_size(tiff: Any) -> PixelSize | None:
    """The pixel size of an open ``tifffile.TiffFile`` (of an image series)."""
    import tifffile

    axes = tiff.series[0].axes.upper()
    if tiff.is_ome:
        image = tifffile.xml2dict(tiff.ome_metadata)["OME"]["Image"]
        pixels = (image[0] if isinstance(image, list) else image)["Pixels"]
        found = {axis: pixels.get(f"PhysicalSize{axis}") for axis in "XYZ"}
        units = {
            _unit(pixels.get(f"PhysicalSize{axis}Unit", "µm"))
            for axis in "XYZ"
            if found[axis] is not None
        }
        if len(units) > 1:
            return None  # never converted
        unit = units.pop() if units else "µm"
    else:
        tags = tiff.pages.first.tags
        if "XResolution" not in tags or "YResolution" not in tags:
            return None
        per_unit = [tags[f"{axis}Resolution"].value for axis in "XY"]
        x, y = (float(den) / float(num) if num else None for num, den in per_unit)
        found = {"X": x, "Y": y, "Z": None}
        if tiff.is_imagej:
            metadata = tiff.imagej_metadata or {}
            found["Z"] = metadata.get("spacing")
            unit = _unit(metadata.get("unit"))
            if not unit and found["Z"] is None and (x, y) == (1.0, 1.0):
                return None  # uncalibrated: ImageJ shows pixels
        else:
            resolution_unit = int(tags["ResolutionUnit"].value) if "ResolutionUnit" in tags else 2
            if resolution_unit not in _TIFF_UNITS:
                return None
            unit = _TIFF_UNITS[resolution_unit]
    if found["X"] is None or found["Y"] is None:
        return None
    sizes = tuple(None if found.get(axis) is None else float(found[axis]) for axis in axes)
    return PixelSize(sizes, unit)


def _zarr_pixel_size(multiscale: dict | None) -> PixelSize | None:
    """The pixel size of an OME-Zarr multiscale image's level 0."""
    if multiscale is None or not multiscale.get("axes"):
        return None

    def scale_of(node: dict) -> np.ndarray | None:
        for transform in node.get("coordinateTransformations") or ():
            if transform.get("type") == "scale" and "scale" in transform:
                return np.asarray(transform["scale"], float)
        return None

    scale = scale_of(multiscale["datasets"][0])
    if scale is None:
        return None
    outer = scale_of(multiscale)
    if outer is not None:
        scale = scale * outer
    axes = multiscale["axes"]
    if len(axes) != len(scale):
        return None
    sizes: list[float | None] = []
    units = []
    for axis, value in zip(axes, scale, strict=True):
        axis = axis if isinstance(axis, dict) else {"name": axis}
        name = str(axis.get("name", "")).lower()
        if axis.get("type", "space" if name in ("x", "y", "z") else None) == "space":
            sizes.append(float(value))
            units.append(_unit(axis.get("unit")))
        else:
            sizes.append(None)
    if len(set(units)) != 1:
        return None  # no spatial axis, or axes in different units (never converted)
    return PixelSize(tuple(sizes), units[0])


def _zarr_multiscale(node: Any, labels: bool) -> dict | None:
    """The first multiscale of the OME-Zarr image :func:`_zarr_level0` opens from the zarr
    ``node``, or None."""
    import zarr

    if isinstance(node, zarr.Array):
        return None
    groups = dict(node.groups())
    if labels and "labels" in groups:
        names = _ome(groups["labels"]).get("labels") or [k for k, _ in groups["labels"].groups()]
        if len(names) == 1:
            node = groups["labels"][names[0]]
    multiscales = _ome(node).get("multiscales")
    return dict(multiscales[0]) if multiscales else None


def _zarr_axes(multiscale: dict | None) -> str | None:
    """The OME axes of a multiscale image (:func:`_zarr_multiscale`), as letters: ``T`` for
    time (see :func:`file_axes`), ``C`` for an axis of type ``"channel"``, else the first
    letter of the axis's name."""
    axes = multiscale.get("axes") if multiscale else None
    if not axes:
        return None
    letters = []
    for axis in axes:
        name = str(axis.get("name", "?") if isinstance(axis, dict) else axis)
        kind = axis.get("type") if isinstance(axis, dict) else None
        if kind == "time" or name.lower() in TIME_LABELS:
            letters.append("T")
        else:
            letters.append("C" if kind == "channel" else name[:1])
    return "".join(letters).upper()


def _check_not_empty(array: Any, path: str | Path) -> None:
    if len(array.shape) == 0 or 0 in array.shape:
        raise FileReadError(f"{path}: the image is empty (shape {tuple(array.shape)}).")


def _open_tiff(
    path: Path, *, metadata: bool, pixel_size: bool, lazy: bool = False
) -> Generator[Any, None, None]:
    """:func:`_opening` of a TIFF file (``lazy``: as a zarr view whatever its size)."""
    import tifffile

    with tifffile.TiffFile(path) as tiff:
        if not tiff.series:
            raise FileReadError(f"{path}: the TIFF file holds no image.")
        yield _tiff_metadata(tiff, pixel_size) if metadata else FileMetadata(None, None)
        series = tiff.series[0]
        lazy = (
            lazy
            or len(series.levels) > 1
            or series.keyframe.is_tiled
            or int(np.prod(series.shape)) > LAZY_PIXELS
        )
        if not lazy:
            yield series.asarray()
            return
        store = _tiff_store_type()(series, path=os.path.abspath(path))
    import zarr

    yield zarr.open(store, mode="r")


@functools.cache
def _tiff_store_type() -> type:
    """The class of a TIFF's zarr store that can be pickled: tifffile's ``ZarrTiffStore``
    (which holds an open file and a lock, so cannot be) pickled as its file's path, reopened
    read-only where it is unpickled (a dask.distributed worker, the scheduler).
    Made on first use, so that importing this module imports neither tifffile nor zarr."""
    from tifffile.zarr import ZarrTiffStore

    class TiffStore(ZarrTiffStore):
        """Level 0 of a TIFF's first series, read-only; pickled as the file's path."""

        def __init__(self, series: Any, *, path: str) -> None:
            super().__init__(series, level=0, read_only=True)
            self.path = path
            # The files its reads opened are closed with it (never left to the collector,
            # which warns of each one still open).
            weakref.finalize(self, self._filecache.clear)

        def __reduce__(self) -> tuple[Callable[[str], Any], tuple[str]]:
            return _reopened_tiff_store, (self.path,)

    return TiffStore


def _reopened_tiff_store(path: str) -> Any:
    """A :func:`_tiff_store_type` store of the TIFF file ``path``, opened again (unpickling)."""
    import tifffile

    with tifffile.TiffFile(path) as tiff:
        return _tiff_store_type()(tiff.series[0], path=path)


def _open_zarr(
    path: Path, labels: bool, *, metadata: bool, pixel_size: bool
) -> Generator[Any, None, None]:
    """:func:`_opening` of a zarr array or group."""
    import zarr

    try:
        node = zarr.open(str(path), mode="r")
    except Exception as error:  # zarr raises several types for "nothing here"
        raise FileReadError(
            f"{path}: not a zarr array or group ({type(error).__name__}: {error})."
        ) from error
    found = FileMetadata(None, None)
    if metadata:
        try:
            found = _zarr_metadata(node, labels, pixel_size)
        except Exception:  # metadata not understood: _zarr_level0 says what is wrong
            found = FileMetadata(None, None)
    yield found
    yield _zarr_level0(node, path, labels)


def _zarr_level0(node: Any, path: Path, labels: bool) -> Any:
    """The array of a zarr node: itself, the one label image under ``labels/`` (when reading
    labels), level 0 of a multiscale group, or the group's only array."""
    import zarr

    if isinstance(node, zarr.Array):
        return node
    groups = dict(node.groups())
    if labels and "labels" in groups:
        return _zarr_label_image(groups["labels"], path / "labels", labels)
    multiscales = _ome(node).get("multiscales")
    if not multiscales and "labels" in _ome(node):  # the labels/ group itself
        return _zarr_label_image(node, path, labels)
    if multiscales:
        levels = [dataset["path"] for dataset in multiscales[0]["datasets"]]
        _check_level_order(node, path, levels)
        return _zarr_level0(node[levels[0]], path / levels[0], labels)
    arrays = sorted(key for key, _ in node.arrays())
    if len(arrays) == 1:
        return node[arrays[0]]
    found = ", ".join(arrays) if arrays else "none"
    # The largest array is the full resolution of a pyramid written without its metadata.
    largest = max(arrays, key=lambda key: (int(np.prod(node[key].shape)), key), default=None)
    example = f", e.g. {path / largest}" if largest is not None else ""
    raise FileReadError(
        f"{path}: a zarr group without an image array (no multiscales metadata; arrays: "
        f"{found}). Give the path of the array itself{example}."
    )


def _zarr_label_image(label_group: Any, path: Path, labels: bool) -> Any:
    """The array of the one label image of an OME-Zarr ``labels/`` group at ``path`` (its
    ``labels`` metadata name them; else its subgroups); a :class:`FileReadError` naming them
    when there are several or none."""
    names = _ome(label_group).get("labels") or [key for key, _ in label_group.groups()]
    if len(names) != 1:
        listed = ", ".join(names) if names else "none"
        raise FileReadError(
            f"{path.parent}: {len(names)} label images under labels/ ({listed}); give the "
            "path of one, e.g. " + str(path / (names[0] if names else "NAME")) + "."
        )
    return _zarr_level0(label_group[names[0]], path / names[0], labels)


def _check_level_order(node: Any, path: Path, levels: list[str]) -> None:
    """Refuse a multiscale image whose levels are not stored largest first: OME-Zarr's level
    0 (its first dataset) is the full resolution, which is read; a later level larger than it
    on every axis (levels written coarsest first) would have the run read a coarse level as
    the image, and fail on its shape against the other side's, or score it coarse. The
    error names both levels and the array to give. Only the arrays' shapes are read."""
    shapes = {}
    for level in levels:
        try:
            shapes[level] = tuple(int(size) for size in node[level].shape)
        except Exception:  # a level missing: said when level 0 is opened, or never read
            continue
    first = shapes.get(levels[0])
    if first is None:
        return
    for level in levels[1:]:
        shape = shapes.get(level)
        if shape is None or len(shape) != len(first):
            continue
        if all(a >= b for a, b in zip(shape, first, strict=True)) and shape != first:
            raise FileReadError(
                f"{path}: its multiscales levels are not stored largest first: level 0 "
                f"(path {levels[0]!r}) is {first}, a later level (path {level!r}) is {shape}. "
                "OME-Zarr's level 0 is the full resolution, the largest, which is read: write "
                "the levels largest first, or give the path of the largest array itself, e.g. "
                f"{path / max(shapes, key=lambda key: int(np.prod(shapes[key])))}."
            )


def _ome(group: Any) -> dict:
    """A group's OME-Zarr metadata (0.5 nests it under "ome"; 0.4 keeps it at the top)."""
    attributes = dict(group.attrs)
    return dict(attributes.get("ome", attributes))
