"""Confidence analysis on the 4096 x 4096 case, and score-ranked AP against pycocotools.

Run: ``python benchmarks/bench_confidence.py`` (a few minutes with pycocotools installed).
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np

import napari_seg_eval as nse

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import best_time, row
from datasets import instance_pair, probability_map


def bench_sweep():
    truth, _ = instance_pair((4096, 4096), 10_000, seed=1)
    prob = probability_map(truth)
    floor = best_time(lambda: np.count_nonzero(prob > 0.5), 7)
    print(
        f"| single pass `count_nonzero(prob > 0.5)`, 4096² float32 | {floor * 1e3:.1f} | 1x | | |"
    )
    row("threshold_sweep, 1,001 thresholds", lambda: nse.threshold_sweep(truth, prob), floor, 5)
    prob64 = prob.astype(np.float64)
    row("threshold_sweep of the map in float64", lambda: nse.threshold_sweep(truth, prob64), floor)
    row("calibration (15 bins, Brier, NLL)", lambda: nse.calibration(truth, prob), floor)
    row(
        "calibration with temperature fit",
        lambda: nse.calibration(truth, prob, method="temperature"),
        floor,
        repeat=1,
    )


def rles(labels):
    """pycocotools RLEs of every object, from the column-major runs of the label image."""
    from pycocotools import mask as mask_utils

    height, width = labels.shape
    flat = labels.ravel(order="F")
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    values, lengths = flat[starts], np.diff(np.r_[starts, flat.size])
    out = {}
    for value in np.unique(values[values > 0]):
        run_starts, run_lengths = starts[values == value], lengths[values == value]
        ends = run_starts + run_lengths
        gaps = run_starts - np.r_[0, ends[:-1]]
        counts = [*np.column_stack([gaps, run_lengths]).ravel().tolist(), flat.size - ends[-1]]
        out[int(value)] = mask_utils.frPyObjects(
            {"counts": counts, "size": [height, width]}, height, width
        )
    return out


def pycocotools_ap(truth, pred, scores):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    height, width = truth.shape
    true_rles, pred_rles = rles(truth), rles(pred)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {
            "images": [{"id": 1, "height": height, "width": width}],
            "categories": [{"id": 1}],
            "annotations": [
                {
                    "id": i + 1,
                    "image_id": 1,
                    "category_id": 1,
                    "segmentation": r,
                    "area": 1.0,
                    "iscrowd": 0,
                    "bbox": [0, 0, 1, 1],
                }
                for i, r in enumerate(true_rles.values())
            ],
        }
        gt.createIndex()
        dt = gt.loadRes(
            [
                {"image_id": 1, "category_id": 1, "segmentation": r, "score": scores[v]}
                for v, r in pred_rles.items()
            ]
        )
        evaluation = COCOeval(gt, dt, iouType="segm")
        evaluation.params.iouThrs = np.array(nse.DEFAULT_IOU_THRESHOLDS)
        evaluation.params.areaRng = [[0, 1e10]]
        evaluation.params.areaRngLbl = ["all"]
        evaluation.params.maxDets = [len(pred_rles) + 1]
        evaluation.evaluate()
        evaluation.accumulate()
    seconds = time.perf_counter() - start
    return float(evaluation.eval["precision"][:, :, 0, 0, 0].mean()), seconds


def bench_coco():
    truth, pred = instance_pair((4096, 4096), 10_000, seed=1)
    prob = probability_map(truth)
    scores_table = nse.object_scores(pred, prob)
    scores = dict(zip(scores_table["label"].tolist(), scores_table["score"].tolist(), strict=True))
    floor = best_time(lambda: np.count_nonzero(truth == pred), 7)
    row("object_scores (mean probability per object)", lambda: nse.object_scores(pred, prob), floor)
    row(
        "coco_average_precision, 10 IoU thresholds, ~10,000 objects",
        lambda: nse.coco_average_precision(truth, pred, scores),
        floor,
    )
    try:
        import pycocotools  # noqa: F401
    except ImportError:
        print("| pycocotools not installed: comparison skipped | | | | |")
        return
    for size in (512, 1024, 2048):
        crop_truth, crop_pred = truth[:size, :size], pred[:size, :size]
        start = time.perf_counter()
        ours = nse.coco_average_precision(crop_truth, crop_pred, scores).summary["map"]
        our_seconds = time.perf_counter() - start
        theirs, their_seconds = pycocotools_ap(crop_truth, crop_pred, scores)
        n_objects = len(np.unique(crop_truth)) - 1
        print(
            f"| COCO mAP on a {size}² crop ({n_objects} true objects): ours {ours:.6f} in "
            f"{our_seconds * 1e3:.0f} ms, pycocotools {theirs:.6f} in "
            f"{their_seconds * 1e3:.0f} ms | | {their_seconds / our_seconds:.0f}x faster | "
            f"{'identical' if abs(ours - theirs) < 1e-12 else 'DIFFERENT'} | |"
        )


if __name__ == "__main__":
    print("| case | ms | ratio to single pass | target | peak extra MiB |")
    print("|---|---|---|---|---|")
    bench_sweep()
    bench_coco()
