"""Speed and memory of the core, as ratios to a single numpy pass over the same arrays.

Run: ``python benchmarks/bench_core.py`` (about two minutes; prints a Markdown table).
The floor for label images is ``np.count_nonzero(gt == pred)``; for probability maps,
``np.count_nonzero(prob > 0.5)``. Times are the best of several runs; memory is the peak of
numpy allocations during the call (tracemalloc), beyond the inputs.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import skimage.measure

import napari_seg_eval as nse

sys.path.insert(0, str(Path(__file__).parent))
from datasets import instance_pair, probability_map


def best_time(function, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mib(function):
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def row(name, function, floor, target=None, repeat=5, memory=True):
    seconds = best_time(function, repeat)
    mib = f"{peak_mib(function):.0f}" if memory else ""
    ratio = seconds / floor
    verdict = "" if target is None else ("met" if ratio <= target else f"MISSED (> {target}x)")
    target_text = "" if target is None else f"<= {target}x"
    print(
        f"| {name} | {seconds * 1e3:.0f} | {ratio:.1f}x | {target_text} {verdict} | {mib} |",
        flush=True,
    )


def bench_2d():
    truth, pred = instance_pair((4096, 4096), 10_000, seed=1)
    print(f"<!-- 2-D: {truth.max()} true, {len(np.unique(pred)) - 1} predicted objects -->")
    floor = best_time(lambda: np.count_nonzero(truth == pred), 7)
    print(f"| single pass `count_nonzero(gt == pred)`, 4096² int32 | {floor * 1e3:.1f} | 1x | | |")
    row(
        "instance_metrics, 10 thresholds, 4096², ~10,000 objects",
        lambda: nse.instance_metrics(truth, pred),
        floor,
        10,
    )
    row("overlap_table alone, same case", lambda: nse.overlap_table(truth, pred), floor)

    gt_mask, pred_mask = (truth > 0).astype(np.uint8), (pred > 0).astype(np.uint8)
    floor_mask = best_time(lambda: np.count_nonzero(gt_mask == pred_mask), 7)
    print(f"| single pass, 4096² uint8 masks | {floor_mask * 1e3:.1f} | 1x | | |")
    row(
        "semantic_metrics, binary uint8",
        lambda: nse.semantic_metrics(gt_mask, pred_mask),
        floor_mask,
        3,
    )
    gt_classes = np.where(truth > 0, truth % 5 + 1, 0).astype(np.uint8)
    pred_classes = np.where(pred > 0, pred % 5 + 1, 0).astype(np.uint8)
    floor_classes = best_time(lambda: np.count_nonzero(gt_classes == pred_classes), 7)
    print(f"| single pass, 4096² uint8 classes | {floor_classes * 1e3:.1f} | 1x | | |")
    row(
        "semantic_metrics, 6 classes (0..5) uint8",
        lambda: nse.semantic_metrics(gt_classes, pred_classes),
        floor_classes,
        6,
    )

    prob = probability_map(truth)
    floor_prob = best_time(lambda: np.count_nonzero(prob > 0.5), 7)
    print(
        f"| single pass `count_nonzero(prob > 0.5)`, 4096² float32 | {floor_prob * 1e3:.1f} "
        "| 1x | | |"
    )
    row("threshold_probabilities, binary", lambda: nse.threshold_probabilities(prob), floor_prob, 2)
    mask = prob > 0.5
    sk_time = best_time(lambda: skimage.measure.label(mask))
    print(f"| skimage.measure.label, 4096² | {sk_time * 1e3:.0f} | (reference) | | |")
    row(
        "label_instances (vs skimage.measure.label)",
        lambda: nse.label_instances(mask),
        sk_time,
        1.2,
    )


def bench_tiled():
    truth, pred = instance_pair((4096, 4096), 50_000, seed=2, tiled=True)
    print(f"<!-- tiled: {truth.max()} true objects, no background -->")
    floor = best_time(lambda: np.count_nonzero(truth == pred), 7)
    print(f"| single pass, dense tiling 4096², ~50,000 objects | {floor * 1e3:.1f} | 1x | | |")
    row(
        "instance_metrics, 10 thresholds, dense tiling ~50,000 objects",
        lambda: nse.instance_metrics(truth, pred),
        floor,
        repeat=2,
    )


def bench_3d():
    truth, pred = instance_pair((256, 256, 256), 5_000, seed=3, radius=(4.0, 10.0))
    floor = best_time(lambda: np.count_nonzero(truth == pred), 7)
    print(f"| single pass, 3-D 256³, ~5,000 objects | {floor * 1e3:.1f} | 1x | | |")
    row(
        "instance_metrics, 10 thresholds, 3-D 256³",
        lambda: nse.instance_metrics(truth, pred),
        floor,
    )


def main():
    print("| case | ms | ratio to single pass | target | peak extra MiB |")
    print("|---|---|---|---|---|")
    bench_2d()
    bench_tiled()
    bench_3d()


if __name__ == "__main__":
    main()
