"""A time-lapse evaluated frame by frame, against the same stack as one volume.

Run: ``python benchmarks/bench_planes.py`` (about a minute; prints a Markdown table).
20 frames of 2048² uint32 with ~3,200 objects a frame, each object a track through every
frame (its id in all of them), the prediction the truth with every 7th row erased. Frame by
frame is ``evaluate(true, pred, kind="both", plane_axis=0, label_each_plane=True)`` (the
dock's default for a time-lapse), in memory and chunked (dask, chunks of 1 × 1024²); one
volume is ``evaluate(true, pred, kind="both")``. Ratios are to one volume of the same form
and to a single numpy pass ``np.count_nonzero(true == pred)``. Times are the best of 3 runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dask.array as da
import numpy as np
import skimage.measure

from napari_seg_eval.evaluation import evaluate

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import best_time


def time_lapse(frames=20, size=2048, seed=1):
    """Tracks: one labelled field of blobs of 8 × 8 pixels, shifted a column each frame."""
    rng = np.random.default_rng(seed)
    field = skimage.measure.label(rng.random((size // 8, size // 8)) > 0.7).astype(np.uint32)
    block = np.ones((8, 8), np.uint32)
    true = np.stack([np.kron(np.roll(field, t, axis=1), block) for t in range(frames)])
    pred = true.copy()
    pred[:, ::7] = 0
    return true, pred


def bench_planes():
    true, pred = time_lapse()
    print(f"<!-- {true.shape} uint32, {int(true[0].max())} objects a frame -->")
    floor = best_time(lambda: np.count_nonzero(true == pred), 7)
    print(f"| single pass `count_nonzero(gt == pred)`, 20 × 2048² | {floor * 1e3:.0f} | 1x | |")
    chunks = (1, 1024, 1024)
    forms = {
        "in memory": (true, pred),
        "chunked 1 × 1024²": (da.from_array(true, chunks), da.from_array(pred, chunks)),
    }
    for form, (t, p) in forms.items():
        evaluate(t[:2], p[:2], kind="both", plane_axis=0, label_each_plane=True)  # warm up
        volume = best_time(lambda t=t, p=p: evaluate(t, p, kind="both"))
        frames = best_time(
            lambda t=t, p=p: evaluate(t, p, kind="both", plane_axis=0, label_each_plane=True)
        )
        print(f"| one volume, {form} | {volume * 1e3:.0f} | {volume / floor:.1f}x | 1x |")
        print(
            f"| frame by frame, {form} | {frames * 1e3:.0f} | {frames / floor:.1f}x "
            f"| {frames / volume:.1f}x |",
            flush=True,
        )


if __name__ == "__main__":
    print("| case | ms | ratio to single pass | ratio to one volume |")
    print("|---|---|---|---|")
    bench_planes()
