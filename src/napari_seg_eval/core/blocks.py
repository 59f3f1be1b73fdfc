"""The one block iterator: every pixel pass of the core is a fold over aligned blocks.

A pass computes an additive *partial* (an overlap table, a histogram, sums) on each block of
pixels and *combines* the partials. Numpy arrays are cut into flat views of about
:data:`BLOCK_PIXELS` pixels (small temporaries, no copy of the image). Chunked arrays (dask,
zarr, or anything indexable with a ``shape`` and a ``dtype``) are folded chunk by chunk: every
input is put on the chunk grid of the first chunked one (the ground truth, as it comes first),
each chunk's partial is one task, and the partials are combined in a tree of tasks that runs on
dask's current scheduler: threads by default, a ``dask.distributed`` cluster when a ``Client``
is active. No chunked input is ever read whole.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from ._thread_callbacks import compute

#: Pixels per flat block of a numpy array: the temporaries of a pass stay small.
BLOCK_PIXELS = 1 << 20
#: Partials combined at once: a tree of this arity over the chunks of a chunked array.
COMBINE_EVERY = 16

T = TypeVar("T")


def is_lazy(array: object) -> bool:
    """Whether ``array`` is chunked data that must not be read whole (dask, zarr, ...).

    Parameters
    ----------
    array : object
        Any array or array-like.

    Returns
    -------
    bool
        True for a dask array, and for any other object with a ``shape``, a ``dtype``,
        indexing and a chunk grid (``chunks`` not None: a zarr array, a tifffile zarr view, a
        chunked h5py dataset). False for numpy arrays (memory maps included), lists, scalars.

    Examples
    --------
    >>> import dask.array as da
    >>> is_lazy(np.zeros(3)), is_lazy(da.zeros(3)), is_lazy([0, 1])
    (False, True, False)
    """
    if isinstance(array, np.ndarray):
        return False
    return getattr(array, "chunks", None) is not None and all(
        hasattr(array, name) for name in ("shape", "dtype", "__getitem__")
    )


def as_dask(array: Any, chunks: Any = None) -> Any:
    """``array`` as a dask array, without reading it.

    Parameters
    ----------
    array : array_like
        A dask array (returned as it is, or rechunked to ``chunks``), a zarr-like array
        (wrapped chunk by chunk: its own chunks unless ``chunks`` is given), or a numpy array.
    chunks : tuple, optional
        The chunk grid to put it on (dask's ``chunks``), e.g. the grid of another array.

    Returns
    -------
    dask.array.Array
        The same pixels, lazily.

    Examples
    --------
    >>> as_dask(np.zeros((4, 6)), chunks=((2, 2), (3, 3))).numblocks
    (2, 2)
    """
    import dask.array as da

    if isinstance(array, da.Array):
        if chunks is not None and array.chunks != tuple(map(tuple, chunks)):
            # Tasks, not dask.distributed's P2P shuffle: chunks cut apart and joined (each
            # new chunk from the few old ones it overlaps), without the shuffle's warnings.
            array = array.rechunk(chunks, method="tasks")
        return array
    if chunks is None:
        own = getattr(array, "chunks", None)
        chunks = own if isinstance(own, tuple) and len(own) == len(array.shape) else "auto"
    # asarray=False: blocks of a zarr-like array are read as it returns them, on demand.
    return da.from_array(array, chunks=chunks, asarray=not is_lazy(array), fancy=False)


def in_memory(array: Any) -> np.ndarray:
    """``array`` read whole as a numpy array: a lazy one computed with :func:`compute` (so a
    run's progress and cancel watch the read, and only the run's thread's callbacks see it:
    never ``np.asarray``, whose dask computation takes dask's process-wide callbacks, napari's
    cache of a slice among them). For arrays known to fit in memory.

    Examples
    --------
    >>> import dask.array as da
    >>> in_memory(da.arange(4, chunks=2)).tolist()
    [0, 1, 2, 3]
    """
    return compute(as_dask(array))[0] if is_lazy(array) else np.asarray(array)


def aligned(arrays: Sequence[Any]) -> list[Any]:
    """The arrays as dask arrays on one chunk grid: the first chunked array's.

    Parameters
    ----------
    arrays : sequence of array_like
        Arrays of one shape; at least one is chunked (see :func:`is_lazy`).

    Returns
    -------
    list of dask.array.Array
        The first chunked array as it is chunked; the others rechunked (dask) or wrapped
        (zarr, numpy) on its grid, so that block ``i`` of each covers the same pixels.

    Examples
    --------
    >>> import dask.array as da
    >>> true = da.zeros((6, 6), chunks=3)
    >>> [a.chunks for a in aligned([true, np.ones((6, 6))])]
    [((3, 3), (3, 3)), ((3, 3), (3, 3))]
    """
    first = next(i for i, a in enumerate(arrays) if is_lazy(a))
    reference = as_dask(arrays[first])
    return [reference if i == first else as_dask(a, reference.chunks) for i, a in enumerate(arrays)]


def flat_blocks(arrays: Sequence[np.ndarray], block_pixels: int = BLOCK_PIXELS) -> Iterator[tuple]:
    """Aligned 1-D blocks of numpy arrays of one shape, about ``block_pixels`` pixels each.

    Arrays that are all C- (or all Fortran-) contiguous are cut into views of their flat
    pixels, in memory order; otherwise into slabs along the first axis, each flattened (only
    one slab is copied at a time). Block ``i`` of every array holds the same pixels.

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
        Arrays of one shape.
    block_pixels : int
        Pixels per block (a slab holds at least one row of the first axis).

    Yields
    ------
    tuple of numpy.ndarray
        One 1-D block of each array.

    Examples
    --------
    >>> [b.tolist() for b, in flat_blocks([np.arange(5)], block_pixels=2)]
    [[0, 1], [2, 3], [4]]
    """
    shape = arrays[0].shape
    if all(a.flags.c_contiguous for a in arrays):
        order = "C"
    elif len(shape) > 1 and all(a.flags.f_contiguous for a in arrays):
        order = "F"
    else:
        order = None
    if order is not None or len(shape) < 2:
        flat = [a.ravel(order=order or "C") for a in arrays]
        size = flat[0].size
        for start in range(0, size, block_pixels):
            yield tuple(f[start : start + block_pixels] for f in flat)
        return
    rows = max(1, block_pixels // max(1, math.prod(shape[1:])))
    for start in range(0, shape[0], rows):
        yield tuple(a[start : start + rows].ravel() for a in arrays)


def fold(
    partial: Callable[..., T],
    combine: Callable[[list[T]], T],
    arrays: Sequence[Any],
    *,
    block_pixels: int = BLOCK_PIXELS,
) -> T:
    """``combine`` of ``partial`` over aligned blocks of ``arrays``: one pass over the pixels.

    ``partial`` must be additive: ``combine([partial(a), partial(b)])`` over two disjoint sets
    of pixels equals the partial of their union, whatever the pixel order within a block.

    Parameters
    ----------
    partial : callable
        ``partial(*blocks)`` of numpy blocks (1-D or chunks of any shape: read them as sets of
        pixels), one of each array, aligned.
    combine : callable
        ``combine(list_of_partials)``: their sum.
    arrays : sequence of array_like
        Arrays of one shape: numpy (flat blocks, see :func:`flat_blocks`) or chunked (see
        :func:`fold_lazy`; computed here on dask's current scheduler).
    block_pixels : int
        Pixels per block of a numpy array (and within each chunk of a chunked one).

    Returns
    -------
    object
        The combined partial of all pixels.

    Examples
    --------
    >>> import dask.array as da
    >>> count = lambda labels: np.bincount(labels, minlength=3)
    >>> fold(count, sum, [np.array([0, 2, 2, 1])]).tolist()
    [1, 1, 2]
    >>> fold(count, sum, [da.from_array(np.array([0, 2, 2, 1]), chunks=1)]).tolist()
    [1, 1, 2]
    """
    if any(is_lazy(a) for a in arrays):
        (result,) = compute(fold_lazy(partial, combine, arrays, block_pixels=block_pixels))
        return result
    return _fold_numpy(partial, combine, block_pixels, *arrays)


def fold_lazy(
    partial: Callable[..., T],
    combine: Callable[[list[T]], T],
    arrays: Sequence[Any],
    *,
    block_pixels: int = BLOCK_PIXELS,
) -> Any:
    """The fold of :func:`fold` as a dask ``Delayed``, not yet computed.

    Each chunk of the aligned arrays (see :func:`aligned`) is folded by one task (flat blocks
    within it); the chunk partials are combined :data:`COMBINE_EVERY` at a time in a tree.
    Several folds can then be computed together with ``dask.compute``.

    Parameters
    ----------
    partial, combine, block_pixels
        As in :func:`fold`.
    arrays : sequence of array_like
        Arrays of one shape, at least one chunked.

    Returns
    -------
    dask.delayed.Delayed
        The combined partial, computed by ``dask.compute`` (or ``.compute()``).

    Examples
    --------
    >>> import dask.array as da
    >>> total = fold_lazy(np.sum, sum, [da.ones((4, 4), chunks=2)])
    >>> int(total.compute())
    16
    """
    arrays = aligned(arrays)
    task = functools.partial(_fold_numpy, partial, combine, block_pixels)
    return chunk_tree([task] * arrays[0].npartitions, combine, arrays)


def chunk_tree(tasks: Sequence[Callable[..., T]], combine: Callable[[list[T]], T], arrays) -> Any:
    """``tasks[i]`` of the i-th chunks of ``arrays``, combined :data:`COMBINE_EVERY` at a time.

    The graph is built as one layer over the arrays' own chunk keys: work linear in the number
    of chunks. (``dask.delayed`` of each chunk's ``to_delayed`` merges the arrays' graphs into
    every task: tenths of a second of Python on a slide of 256 chunks, during which a viewer's
    main thread waits for the GIL.) Keys are unique to each call, as ``pure=False`` makes them.

    On a ``dask.distributed`` cluster (a ``Client`` active) the arrays' graphs are first
    optimized as dask optimizes an array it computes (each chunk fused with the steps that
    make it), so that each of their chunk keys has the task it has when the array itself, or
    another tree of its chunks, is computed: the scheduler logs "Detected different
    `run_spec` for key" when a key comes with two different tasks in two computations (a
    boolean image cast to ``uint8``, then cropped, came so in every boundary metric). Without
    a cluster, the graph is left as it is (optimizing takes time, and nothing compares keys).

    Parameters
    ----------
    tasks : sequence of callable
        One per chunk, in C order of the chunk grid; called with the chunk of each array.
    combine : callable
        Combines a list of partials into one.
    arrays : sequence of dask.array.Array
        Arrays on one chunk grid (see :func:`aligned`).

    Returns
    -------
    dask.delayed.Delayed
        The combined partial, not yet computed.

    Examples
    --------
    >>> import dask.array as da
    >>> a = da.arange(6, chunks=2)
    >>> int(chunk_tree([np.sum] * 3, sum, [a]).compute())
    15
    """
    import uuid

    import dask
    from dask.core import flatten
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    name = f"chunk-tree-{uuid.uuid4().hex}"
    if _on_cluster():
        arrays = dask.optimize(*arrays)
    chunk_keys = [list(flatten(a.__dask_keys__())) for a in arrays]
    layer: dict = {}
    level = []
    for i, (task, *chunks) in enumerate(zip(tasks, *chunk_keys, strict=True)):
        layer[(name, 0, i)] = (task, *chunks)
        level.append((name, 0, i))
    depth = 0
    while len(level) > 1:
        depth += 1
        starts = range(0, len(level), COMBINE_EVERY)
        for j, start in enumerate(starts):
            layer[(name, depth, j)] = (combine, level[start : start + COMBINE_EVERY])
        level = [(name, depth, j) for j in range(len(starts))]
    graph = HighLevelGraph.from_collections(name, layer, dependencies=list(arrays))
    return Delayed(level[0], graph, layer=name)


def _on_cluster() -> bool:
    """Whether dask's current scheduler is a ``dask.distributed`` client's (a ``Client`` is
    active, or this runs in a task on a cluster).

    Examples
    --------
    >>> _on_cluster()
    False
    """
    from dask.base import get_scheduler

    owner = getattr(get_scheduler(), "__self__", None)
    return type(owner).__module__.startswith("distributed.")


def _fold_numpy(
    partial: Callable[..., T], combine: Callable[[list[T]], T], block_pixels: int, *arrays
) -> T:
    """The fold over flat blocks of numpy arrays (or of the numpy chunks of one task)."""
    partials: list[T] = []
    for blocks in flat_blocks(arrays, block_pixels):
        partials.append(partial(*blocks))
        if len(partials) == COMBINE_EVERY:
            partials = [combine(partials)]
    return partials[0] if len(partials) == 1 else combine(partials)
