"""The block iterator: aligned blocks of numpy, dask and zarr arrays, folded."""

import dask
import dask.array as da
import numpy as np
import pytest
import zarr

from napari_seg_eval.core import blocks
from napari_seg_eval.core.blocks import aligned, as_dask, flat_blocks, fold, fold_lazy, is_lazy


def _histogram(labels, *others):
    return np.bincount(labels.ravel(), minlength=10)


def test_is_lazy_tells_chunked_arrays_from_numpy():
    store = zarr.zeros((4, 4), chunks=(2, 2), dtype="u1")
    assert is_lazy(da.zeros(3)) and is_lazy(store)
    assert not is_lazy(np.zeros(3)) and not is_lazy(np.memmap) and not is_lazy([1, 2])


def test_flat_blocks_cover_every_pixel_once_in_every_layout():
    image = np.arange(7 * 5).reshape(7, 5)
    for array in (image, np.asfortranarray(image), image[:, ::-1], image.T):
        other = array * 2  # a C-ordered partner: contiguous orders differ for the F array
        seen, doubled = [], []
        for a, b in flat_blocks([array, other], block_pixels=6):
            assert a.ndim == 1 and a.shape == b.shape
            seen.append(a)
            doubled.append(b)
        seen, doubled = np.concatenate(seen), np.concatenate(doubled)
        assert sorted(seen.tolist()) == list(range(35))
        np.testing.assert_array_equal(doubled, 2 * seen)  # the blocks are aligned


def test_aligned_puts_every_array_on_the_first_chunked_grid():
    true = da.zeros((10, 12), dtype=np.uint8, chunks=(4, 5))
    store = zarr.zeros((10, 12), chunks=(3, 3), dtype="u2")
    first, second, third = aligned([np.ones((10, 12)), true, store])
    assert first.chunks == second.chunks == third.chunks == true.chunks
    assert aligned([store, true])[1].chunks == ((3, 3, 3, 1), (3, 3, 3, 3))


def test_fold_of_numpy_dask_and_zarr_agree():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, (33, 17))
    expected = np.bincount(labels.ravel(), minlength=10)
    store = zarr.create_array({}, shape=labels.shape, chunks=(8, 5), dtype=labels.dtype)
    store[...] = labels
    for data in (labels, da.from_array(labels, chunks=(5, 7)), store):
        np.testing.assert_array_equal(fold(_histogram, sum, [data], block_pixels=13), expected)


def test_fold_pairs_chunks_of_the_truth_with_the_same_pixels_of_the_prediction():
    true = np.arange(60).reshape(6, 10)
    pred = true * 3
    lazy_true = da.from_array(true, chunks=(4, 3))
    lazy_pred = da.from_array(pred, chunks=(5, 6))  # another grid: rechunked to the truth's

    def misaligned(a, b):
        return int(np.count_nonzero(b != 3 * a))

    assert fold(misaligned, sum, [lazy_true, lazy_pred]) == 0
    assert fold(misaligned, sum, [true, lazy_pred]) == 0


def test_fold_lazy_builds_a_tree_of_tasks(monkeypatch):
    monkeypatch.setattr(blocks, "COMBINE_EVERY", 3)
    data = da.ones((9, 9), dtype=np.int64, chunks=1)  # 81 chunks: 27 + 9 + 3 + 1 combinations
    combined = []

    def counting_sum(parts):
        combined.append(len(parts))
        return sum(parts)

    result = fold_lazy(np.sum, counting_sum, [data])
    assert int(dask.compute(result, scheduler="sync")[0]) == 81
    assert len(combined) == 27 + 9 + 3 + 1 and max(combined) == 3


def test_as_dask_keeps_a_dask_array_and_wraps_zarr_on_its_chunks():
    data = da.zeros((4, 4), chunks=2)
    assert as_dask(data) is data
    store = zarr.zeros((6, 6), chunks=(4, 4), dtype="u1")
    assert as_dask(store).chunks == ((4, 2), (4, 2))


def test_fold_runs_on_a_distributed_client_when_one_is_active():
    distributed = pytest.importorskip("distributed")

    def where(block):
        return [distributed.get_worker().name]

    with distributed.Client(
        processes=False,
        n_workers=1,
        threads_per_worker=1,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # not 8787, shared by tests
    ) as client:
        names = fold(
            where, lambda parts: [n for part in parts for n in part], [da.zeros(8, chunks=2)]
        )
        workers = {worker.name for worker in client.cluster.workers.values()}
    assert len(names) == 4 and set(names) == workers  # get_worker() raises outside a worker
