"""Chunked data beyond memory: zarr label pairs and a zarr probability map, chunk by chunk.

Run: ``python benchmarks/bench_large.py [--size 32768] [--prob-size 16384]`` (a few minutes
on 2 cores; writes zarr arrays to a temporary folder, removed afterwards). Prints a Markdown
table.

- Labels: the synthetic 4096² tile (``datasets.instance_pair``) tiled to ``size``² with id
  offsets, uint32, in zarr (2048² chunks, zarr's default compression). ``instance_metrics``
  over 10 IoU thresholds on the two zarr arrays, reading and decompression included, against
  the in-memory ``instance_metrics`` of one tile: time per pixel and the ratio.
- Probabilities: the tile's float32 probability map tiled to ``prob-size``² in zarr:
  threshold, label (objects joined across chunks) and evaluate lazily.

Memory is the peak resident set size during the call beyond the resident size before it
(sampled every 5 ms), so it counts dask's buffers and the decompressed chunks; the arrays on
disk are not counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import zarr

import napari_seg_eval as nse

sys.path.insert(0, str(Path(__file__).parent))
from datasets import instance_pair, probability_map

TILE = 4096
CHUNK = 2048
IOU_THRESHOLDS = nse.DEFAULT_IOU_THRESHOLDS  # 10 thresholds, 0.50..0.95


def peak_memory(function):
    """(result, seconds, peak extra resident bytes) of ``function()``."""
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
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    running[0] = False
    sampler.join()
    return result, seconds, peak[0] - base


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
    args = parser.parse_args()

    truth, pred = instance_pair((TILE, TILE), 20000, seed=0)
    truth, pred = truth.astype(np.uint32), pred.astype(np.uint32)
    prob = probability_map(truth, seed=1)
    rows = []

    def add(name, pixels, seconds, extra, per_tile=None):
        ns = seconds / pixels * 1e9
        ratio = f"{ns / per_tile:.2f}" if per_tile else "1"
        rows.append(
            f"| {name} | {pixels:,} | {seconds:.2f} | {ns:.1f} | {ratio} | {extra / 2**20:.0f} |"
        )
        print(rows[-1], flush=True)

    print("| case | pixels | seconds | ns / pixel | vs tile | peak extra MiB |")
    print("|---|---|---|---|---|---|")
    nse.instance_metrics(truth, pred, iou_thresholds=IOU_THRESHOLDS)  # warm up
    times = [
        peak_memory(lambda: nse.instance_metrics(truth, pred, iou_thresholds=IOU_THRESHOLDS))
        for _ in range(3)
    ]
    _, seconds, extra = min(times, key=lambda t: t[1])
    tile_ns = seconds / truth.size * 1e9
    add(f"instance_metrics, {TILE}² numpy tile", truth.size, seconds, extra)

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        size = args.size
        true_store = tiled_zarr(folder / "true.zarr", truth, size, ids=True)
        pred_store = tiled_zarr(folder / "pred.zarr", pred, size, ids=True)
        result, seconds, extra = peak_memory(
            lambda: nse.instance_metrics(true_store, pred_store, iou_thresholds=IOU_THRESHOLDS)
        )
        n_tiles = (size // TILE) ** 2
        assert result.summary["n_true"] == n_tiles * int(np.unique(truth[truth > 0]).size)
        add(f"instance_metrics, {size}² uint32 zarr pair", size * size, seconds, extra, tile_ns)

        size = args.prob_size
        prob_store = tiled_zarr(folder / "prob.zarr", prob, size, ids=False)
        true_store = tiled_zarr(folder / "true_prob.zarr", truth, size, ids=True)

        def evaluate():
            labels = nse.label_instances(nse.threshold_probabilities(prob_store))
            return nse.instance_metrics(true_store, labels, iou_thresholds=IOU_THRESHOLDS)

        result, seconds, extra = peak_memory(evaluate)
        add(
            f"threshold + label + instance_metrics, {size}² float32 zarr",
            size * size,
            seconds,
            extra,
        )
        # The same numbers as in memory on one tile: the map is periodic, but objects joined
        # across tile borders differ from a lone tile's, so compare the counts of true objects.
        assert result.summary["n_true"] == (size // TILE) ** 2 * int(np.unique(truth).size - 1)


if __name__ == "__main__":
    main()
