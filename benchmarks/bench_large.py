"""Chunked data beyond memory: zarr label pairs and a zarr probability map, chunk by chunk.

Run: ``python benchmarks/bench_large.py [--size 32768] [--prob-size 16384]`` (about two
minutes on 2 cores; writes zarr arrays, about 200 MB here, to a temporary folder, removed
afterwards). Prints a Markdown table.

- Labels: the synthetic 4096² tile (``datasets.instance_pair``) tiled to ``size``² with id
  offsets, uint32, in zarr (2048² chunks, zarr's default zstd compression). ``instance_metrics``
  over 10 IoU thresholds on the two zarr arrays, reading and decompression included, against
  the in-memory ``instance_metrics`` of one tile: time per pixel and the ratio. Also the
  reading and decompression alone (every chunk of both arrays, in one thread, then on dask's
  threaded scheduler as the passes read them) and the overlap table alone.
- Probabilities: the tile's float32 probability map tiled to ``prob-size``² in zarr:
  threshold, label (objects joined across chunks) and evaluate lazily, with the public
  functions (``label_instances`` joins the objects in one read of the map, and
  ``instance_metrics`` reads it again through the lazy labels) and with ``evaluate_files``
  (``kind="all"``: both tables and the joining in one read). And the reading and
  decompression of the map alone, the cost of one read. And the dock's evaluation of the pair
  (``evaluation.evaluate``, kind both, with and without a border band of 2): the tables, the
  objects' measurements and the bands in one read of the map. ``--probability-only`` runs
  these rows alone (about a minute).

Memory is the peak resident set size during the call beyond the resident size before it
(sampled every 5 ms), so it counts dask's buffers and the decompressed chunks; the arrays on
disk are not counted. The first chunked call of a process imports dask's schedulers (about
0.4 s): a small chunked call warms them up before anything is timed. Each row gives the load
of the other processes during it (their CPU time over the wall time, in cores, from
``/proc/stat``; Linux only): the 2 cores are shared, and the figures are only comparable when
it is near 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import dask.array as da
import numpy as np
import psutil
import zarr

import napari_seg_eval as nse
from napari_seg_eval import evaluation
from napari_seg_eval.core.blocks import fold
from napari_seg_eval.core.overlap import overlap_table

sys.path.insert(0, str(Path(__file__).parent))
from datasets import instance_pair, probability_map

TILE = 4096
CHUNK = 2048
IOU_THRESHOLDS = nse.DEFAULT_IOU_THRESHOLDS  # 10 thresholds, 0.50..0.95


def busy_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (``/proc/stat``)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and waiting for I/O
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def peak_memory(function):
    """(result, seconds, peak extra resident bytes, others' load in cores) of ``function()``."""
    process = psutil.Process()
    base = process.memory_info().rss
    peak = [base]
    running = [True]

    def sample():
        while running[0]:
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    own, busy = sum(os.times()[:2]), busy_seconds()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    others = max(0.0, busy_seconds() - busy - (sum(os.times()[:2]) - own)) / seconds
    running[0] = False
    sampler.join()
    return result, seconds, peak[0] - base, others


def best(function, repeat: int):
    """The :func:`peak_memory` figures of the fastest of ``repeat`` calls."""
    return min((peak_memory(function) for _ in range(repeat)), key=lambda measured: measured[1])


def read_alone(true_store: zarr.Array, pred_store: zarr.Array) -> None:
    """Every chunk of both arrays read and decompressed, one after the other."""
    rows, columns = true_store.chunks
    for row, column in np.ndindex(*true_store.cdata_shape):
        chunk = np.s_[row * rows : (row + 1) * rows, column * columns : (column + 1) * columns]
        true_store[chunk], pred_store[chunk]


def read_on_scheduler(true_store: zarr.Array, pred_store: zarr.Array) -> None:
    """The chunks read as the passes read them (dask's threaded scheduler), nothing computed."""
    fold(_nothing, sum, [true_store, pred_store])


def _nothing(*blocks: np.ndarray) -> int:
    return 0


def tiled_zarr(path: Path, tile: np.ndarray, size: int, *, ids: bool) -> zarr.Array:
    """``tile`` repeated to size x size in a zarr array; label ids offset per tile."""
    store = zarr.create_array(
        str(path), shape=(size, size), chunks=(CHUNK, CHUNK), dtype=tile.dtype, overwrite=True
    )
    offset = int(tile.max()) + 1
    for k, (row, column) in enumerate(np.ndindex(size // TILE, size // TILE)):
        block = tile
        if ids:
            block = np.where(tile > 0, tile + np.asarray(k * offset, tile.dtype), 0)
        store[row * TILE : (row + 1) * TILE, column * TILE : (column + 1) * TILE] = block
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=32768)
    parser.add_argument("--prob-size", type=int, default=16384)
    parser.add_argument("--probability-only", action="store_true")
    args = parser.parse_args()

    truth, pred = instance_pair((TILE, TILE), 20000, seed=0)
    truth, pred = truth.astype(np.uint32), pred.astype(np.uint32)
    prob = probability_map(truth, seed=1)

    def add(name, pixels, measured, per_tile=None, reference=False):
        _, seconds, extra, others = measured
        ns = seconds / pixels * 1e9
        ratio = f"{ns / per_tile:.2f}" if per_tile else ("1" if reference else "")
        print(
            f"| {name} | {pixels:,} | {seconds:.2f} | {ns:.1f} | {ratio} | "
            f"{extra / 2**20:.0f} | {others:.2f} |",
            flush=True,
        )

    print(f"<!-- load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores -->")
    print("| case | pixels | seconds | ns / pixel | vs tile | peak extra MiB | others' load |")
    print("|---|---|---|---|---|---|---|")
    nse.instance_metrics(truth, pred, iou_thresholds=IOU_THRESHOLDS)  # warm up
    measured = best(lambda: nse.instance_metrics(truth, pred, iou_thresholds=IOU_THRESHOLDS), 5)
    tile_ns = measured[1] / truth.size * 1e9
    add(f"instance_metrics, {TILE}² numpy tile", truth.size, measured, reference=True)
    add(
        f"overlap_table alone, {TILE}² numpy tile",
        truth.size,
        best(lambda: overlap_table(truth, pred), 5),
        tile_ns,
    )

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if not args.probability_only:
            label_rows(folder, truth, pred, args.size, tile_ns, add)
        probability_rows(folder, truth, prob, args.prob_size, add)
    print(f"<!-- load average after: {os.getloadavg()[0]:.2f} -->")


def label_rows(folder: Path, truth: np.ndarray, pred: np.ndarray, size: int, tile_ns, add):
    """The rows of the size² label pair in zarr."""
    true_store = tiled_zarr(folder / "true.zarr", truth, size, ids=True)
    pred_store = tiled_zarr(folder / "pred.zarr", pred, size, ids=True)
    corner = da.from_array(truth[:256, :256], chunks=128)
    nse.instance_metrics(corner, corner)  # imports dask's schedulers
    pixels = size * size
    add(
        f"read + decompress alone, {size}² pair, one thread",
        pixels,
        peak_memory(lambda: read_alone(true_store, pred_store)),
        tile_ns,
    )
    add(
        f"read + decompress alone, {size}² pair, dask's threads",
        pixels,
        peak_memory(lambda: read_on_scheduler(true_store, pred_store)),
        tile_ns,
    )
    add(
        f"overlap_table, {size}² uint32 zarr pair",
        pixels,
        peak_memory(lambda: overlap_table(true_store, pred_store)),
        tile_ns,
    )
    result, *_ = measured = best(
        lambda: nse.instance_metrics(true_store, pred_store, iou_thresholds=IOU_THRESHOLDS), 2
    )
    n_tiles = (size // TILE) ** 2
    assert result.summary["n_true"] == n_tiles * int(np.unique(truth[truth > 0]).size)
    add(f"instance_metrics, {size}² uint32 zarr pair", pixels, measured, tile_ns)


def probability_rows(folder: Path, truth: np.ndarray, prob: np.ndarray, size: int, add):
    """The rows of the size² probability map in zarr, with its truth (one pair of files)."""
    prob_store = tiled_zarr(folder / "prob" / "slide.zarr", prob, size, ids=False)
    true_store = tiled_zarr(folder / "truth" / "slide.zarr", truth, size, ids=True)
    corner = da.from_array(prob[:256, :256], chunks=128)
    nse.label_instances(nse.threshold_probabilities(corner)).compute()  # warm up
    pixels = size * size
    n_true = (size // TILE) ** 2 * int(np.unique(truth).size - 1)
    add(
        f"read + decompress alone, {size}² float32 map, dask's threads",
        pixels,
        peak_memory(lambda: fold(_nothing, sum, [prob_store])),
    )

    def evaluate():
        labels = nse.label_instances(nse.threshold_probabilities(prob_store))
        return nse.instance_metrics(true_store, labels, iou_thresholds=IOU_THRESHOLDS)

    result, *_ = measured = peak_memory(evaluate)
    add(f"threshold + label + instance_metrics, {size}² float32 zarr", pixels, measured)
    # The same numbers as in memory on one tile: the map is periodic, but objects joined
    # across tile borders differ from a lone tile's, so compare the counts of true objects.
    assert result.summary["n_true"] == n_true

    def evaluate_folders():
        return nse.evaluate_files(folder / "truth", folder / "prob", kind="all", probability=True)

    files, *_ = measured = peak_memory(evaluate_folders)
    add(f"evaluate_files, kind all, {size}² float32 zarr", pixels, measured)
    assert files.n_failed == 0 and files["instance"].per_image.loc[0, "n_true"] == n_true

    for border in (0, 2):  # the dock's evaluation: tables, measurements and bands

        def evaluate_dock(border=border):
            return evaluation.evaluate(
                true_store, prob_store, threshold=0.5, kind="both", exclude_border=border
            )

        record, *_ = measured = peak_memory(evaluate_dock)
        add(f"evaluation.evaluate, kind both, exclude_border {border}", pixels, measured)
        assert len(record.measurements) > n_true  # true objects, then predicted ones
        if border == 0:
            assert record.instance.summary["n_true"] == n_true


if __name__ == "__main__":
    main()
