"""Review tools on the benchmark cases, as ratios to a single numpy pass over the same arrays.

Run: ``python benchmarks/bench_review.py`` (about a minute).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import napari_seg_eval as nse

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import best_time, row
from datasets import instance_pair, probability_map


def bench_objects():
    truth, pred = instance_pair((4096, 4096), 10_000, seed=1)
    prob = probability_map(truth)
    floor = best_time(lambda: np.count_nonzero(truth == pred), 7)
    print(f"| single pass, 4096² int32 | {floor * 1e3:.1f} | 1x | | |")
    result = nse.instance_metrics(truth, pred)
    row(
        "per-object table: kinds, centroids, boxes, mean confidence (reusing the matching)",
        lambda: nse.review_objects(truth, pred, probability=prob, result=result),
        floor,
    )
    row(
        "error layer (error_map, reusing the matching)",
        lambda: nse.error_map(truth, pred, result=result),
        floor,
    )
    row(
        "error layer by kind (error_map(by='kind'), reusing the matching)",
        lambda: nse.error_map(truth, pred, result=result, by="kind"),
        floor,
    )


def bench_planes():
    rng_seeds = range(100)
    planes = [instance_pair((1024, 1024), 600, seed=s) for s in rng_seeds]
    truth = np.stack([t for t, _ in planes])
    pred = np.stack([p for _, p in planes])
    del planes
    floor = best_time(lambda: np.count_nonzero(truth == pred), 5)
    print(f"| single pass, stack 100 × 1024², int32 | {floor * 1e3:.1f} | 1x | | |")
    row(
        "dataset_metrics plane by plane (instance, 10 thresholds), 100 × 1024²",
        lambda: nse.dataset_metrics(truth, pred, axis=0),
        floor,
        repeat=2,
    )
    row(
        "instance_metrics on the whole stack at once",
        lambda: nse.instance_metrics(truth, pred),
        floor,
        repeat=2,
    )


if __name__ == "__main__":
    print("| case | ms | ratio to single pass | target | peak extra MiB |")
    print("|---|---|---|---|---|")
    bench_objects()
    bench_planes()
