"""Boundary metrics and the CTC measures on the benchmark cases, against MONAI where installed.

Run: ``python benchmarks/bench_boundary.py`` (about two minutes with MONAI). MONAI (and torch)
are not dependencies of the project; without them its rows are skipped.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from napari_seg_eval.core.boundary import boundary_metrics
from napari_seg_eval.core.tracking import ctc_metrics

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import best_time
from datasets import instance_pair


def print_row(name, seconds, note=""):
    print(f"| {name} | {seconds * 1e3:.0f} | {note} |", flush=True)


def bench_per_class():
    truth, pred = instance_pair((4096, 4096), 10_000, seed=1)
    true_mask, pred_mask = (truth > 0).astype(np.uint8), (pred > 0).astype(np.uint8)
    del truth, pred
    ours = best_time(lambda: boundary_metrics(true_mask, pred_mask, tolerance=1.0), 2)
    print_row("boundary_metrics, one class, 4096² binary (HD, HD95, ASSD, NSD, BF1)", ours)
    try:
        import torch
        from monai.metrics import (
            compute_average_surface_distance,
            compute_hausdorff_distance,
            compute_surface_dice,
        )
    except ImportError:
        print("<!-- MONAI not installed: its rows are skipped -->")
        return

    def one_hot(mask):
        tensor = torch.from_numpy(mask[None, None].astype(np.float32))
        return torch.cat([1 - tensor, tensor], dim=1)

    y_pred, y = one_hot(pred_mask), one_hot(true_mask)
    common = {"include_background": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        hd95 = best_time(lambda: compute_hausdorff_distance(y_pred, y, percentile=95, **common), 2)
        print_row("MONAI compute_hausdorff_distance(percentile=95), same pair", hd95)
        all_four = (
            hd95
            + best_time(lambda: compute_hausdorff_distance(y_pred, y, **common), 1)
            + best_time(
                lambda: compute_average_surface_distance(y_pred, y, symmetric=True, **common), 1
            )
            + best_time(lambda: compute_surface_dice(y_pred, y, [1.0], **common), 1)
        )
    print_row("MONAI HD + HD95 + ASSD + NSD (four calls), same pair", all_four)


def bench_per_object():
    truth, pred = instance_pair((4096, 4096), 12_000, seed=1)
    result = boundary_metrics(truth, pred, per_object=True)
    n_matched = int(result.summary["n_matched"])  # a float64 summary holds counts as floats
    seconds = best_time(lambda: boundary_metrics(truth, pred, per_object=True), 2)
    print_row(
        f"boundary_metrics(per_object=True), 4096², {n_matched:,} matched pairs",
        seconds,
        f"{seconds / n_matched * 1e6:.0f} µs per pair; target < 5 s",
    )
    seconds = best_time(lambda: ctc_metrics(truth, pred), 3)
    print_row("ctc_metrics, same images", seconds)


if __name__ == "__main__":
    print("| case | ms | note |\n|---|---|---|")
    bench_per_class()
    bench_per_object()
