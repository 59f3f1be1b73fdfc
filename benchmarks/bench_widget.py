"""The dock widget on the 4096 x 4096 benchmark case (needs a display: ``xvfb-run -a``).

Run: ``xvfb-run -a python benchmarks/bench_widget.py [--lazy-size 32768] [--lazy-only]``.

Measures one threshold-preview update (the worker's thresholding, and the main thread's
layer refresh), and how long the main thread is blocked at a stretch during a full
evaluation of the ~10,000-object case: a 1 ms QTimer records the gaps between its ticks.

``--lazy-size N`` (a multiple of 4096) adds the dask-backed case: the 4096² pair tiled to N²
with id offsets (uint32, zarr, 2048² chunks, and a pyramid of coarser levels written the same
way, so napari shows a coarse level without reading level 0), opened as multiscale Labels
layers of dask arrays, and evaluated from the Evaluate tab ("both", 10 IoU thresholds) at
level 0 chunk by chunk. A 10 ms QTimer on the main thread records the longest gap between its
ticks: while napari shows the layers with nothing else running (napari's own drawing, for
reference); while the evaluation runs and its tables, review and run are put in place (ours);
and while the Runs tab computes the run's intervals over objects in a worker afterwards. The
hand-over to the main thread is timed on its own: its first piece (tables, the Review table
and counts, the run), then the pieces the event loop runs one by one until the Review tab's
``handed_over`` (hover rows of each side, the error layer). The step shown in the status line
when the longest gap began says what blocked. The zarr arrays go to a temporary folder, removed
afterwards (about 3 MB per 4096² tile pair).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import dask.array as da
import napari
import numpy as np
import pandas as pd
import zarr
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import QApplication

from napari_seg_eval.evaluation import labels_from_probability

sys.path.insert(0, str(Path(__file__).parent))
from datasets import instance_pair, probability_map


def process_until(condition, timeout=120.0):
    app = QApplication.instance()
    end = time.perf_counter() + timeout
    while not condition() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lazy-size", type=int, default=0, help="dask-backed case, N² pixels")
    parser.add_argument("--lazy-only", action="store_true", help="only the dask-backed case")
    args = parser.parse_args()
    if not args.lazy_only:
        bench_in_memory()
    if args.lazy_size:
        bench_lazy(args.lazy_size)


def bench_in_memory():
    truth, pred = instance_pair((4096, 4096), 10_000, seed=1)
    prob = probability_map(truth)
    viewer = napari.Viewer(show=True)
    viewer.add_image(prob, name="prob")
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.live_check.setChecked(False)
    widget.update_threshold_layer(wait=True)
    process_until(lambda: False, timeout=1.0)

    options = widget.threshold_options()
    compute, refresh = [], []
    for threshold in (0.4, 0.45, 0.55, 0.6, 0.65):
        start = time.perf_counter()
        data = labels_from_probability(prob, threshold, options)
        compute.append(time.perf_counter() - start)
        start = time.perf_counter()
        widget.threshold_layer.data = data
        QApplication.instance().processEvents()
        refresh.append(time.perf_counter() - start)
    print("| measure | ms |")
    print("|---|---|")
    print(f"| preview: thresholding 4096² (worker thread) | {1e3 * min(compute):.0f} |")
    print(f"| preview: layer refresh 4096² (main thread) | {1e3 * min(refresh):.0f} |")
    options_instance = type(options)(output="instance", connectivity=1)
    labelling = []
    for _ in range(3):
        start = time.perf_counter()
        labels_from_probability(prob, 0.5, options_instance)
        labelling.append(time.perf_counter() - start)
    print(f"| preview, instance output: threshold + label (worker) | {1e3 * min(labelling):.0f} |")

    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    ticks = []
    timer = QTimer(interval=1)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    process_until(lambda: len(ticks) > 20, timeout=5)
    start = time.perf_counter()
    widget.run_evaluation()
    process_until(lambda: widget.evaluation is not None and not widget.evaluate.job.running)
    total = time.perf_counter() - start
    process_until(lambda: False, timeout=0.3)
    timer.stop()
    during = np.array([t for t in ticks if t >= start - 0.01])
    gaps = np.diff(during) * 1e3
    print(
        f"| full evaluation (semantic + instance, 10 thresholds), wall time | {1e3 * total:.0f} |"
    )
    print(f"| longest main-thread block during it | {gaps.max():.0f} |")
    print(f"| per-object rows shown | {len(widget.results['per_object'])} |")
    bench_large_table(widget)
    viewer.close()


def bench_large_table(widget):
    """The review table with 50,000 rows: fill it, sort it, scroll to the end."""
    rng = np.random.default_rng(0)
    n_rows = 50_000
    frame = pd.DataFrame(
        {
            "kind": np.where(rng.random(n_rows) < 0.5, "true", "pred"),
            "label": np.arange(n_rows),
            "area": rng.integers(20, 500, n_rows),
            "partner": rng.integers(0, n_rows, n_rows),
            "iou": rng.random(n_rows),
            "status": rng.choice(["TP", "FP", "FN"], n_rows),
            "centroid_0": rng.random(n_rows) * 4096,
            "centroid_1": rng.random(n_rows) * 4096,
            "mean_confidence": rng.random(n_rows),
        }
    )
    table = widget.review.table
    widget.tabs.setCurrentWidget(widget.review)
    app = QApplication.instance()
    start = time.perf_counter()
    table.set_frame(frame)
    app.processEvents()
    print(f"| 50,000-row table: fill and paint | {1e3 * (time.perf_counter() - start):.0f} |")
    start = time.perf_counter()
    table.view.sortByColumn(list(frame.columns).index("iou"), Qt.SortOrder.DescendingOrder)
    app.processEvents()
    print(
        f"| 50,000-row table: sort by a column and paint | "
        f"{1e3 * (time.perf_counter() - start):.0f} |"
    )
    start = time.perf_counter()
    table.view.scrollToBottom()
    app.processEvents()
    print(
        f"| 50,000-row table: scroll to the end and paint | "
        f"{1e3 * (time.perf_counter() - start):.0f} |"
    )


TILE, CHUNK, COARSEST = 4096, 2048, 1024


def tiled_levels(folder: Path, name: str, tile: np.ndarray, size: int) -> list[da.Array]:
    """``tile`` tiled to size² (ids offset per tile) in zarr, and coarser levels down to
    COARSEST² (every 2nd pixel of the level above): dask arrays, level 0 first."""
    offset = int(tile.max()) + 1
    per_side = size // TILE
    levels, factor = [], 1
    while size // factor >= COARSEST:
        small = tile[::factor, ::factor]
        side = small.shape[0]
        store = zarr.create_array(
            str(folder / f"{name}_{factor}.zarr"),
            shape=(size // factor,) * 2,
            chunks=(min(CHUNK, size // factor),) * 2,
            dtype=np.uint32,
            overwrite=True,
        )
        for k, (row, column) in enumerate(np.ndindex(per_side, per_side)):
            block = np.where(small > 0, small + np.uint32(k * offset), 0).astype(np.uint32)
            store[row * side : (row + 1) * side, column * side : (column + 1) * side] = block
        levels.append(da.from_zarr(store))
        factor *= 2
    return levels


class Gaps:
    """Ticks of a 10 ms QTimer on the main thread, with the status line at each tick."""

    def __init__(self, status=lambda: ""):
        self.ticks: list[tuple[float, str]] = []
        self.status = status
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(lambda: self.ticks.append((time.perf_counter(), status())))

    def worst(self, start: float, end: float, straddle: bool = True) -> tuple[float, str]:
        """The longest gap (ms) between ticks within [start, end] (with ``straddle``, the gaps
        in which the ends fall count too), and the status before it."""
        times = np.array([t for t, _ in self.ticks])
        inside = np.flatnonzero((times >= start) & (times <= end))
        if straddle and inside.size:  # the ticks just before and after the window
            inside = np.arange(max(inside[0] - 1, 0), min(inside[-1] + 2, times.size))
        if inside.size < 2:
            return float("nan"), ""
        gaps = np.diff(times[inside])
        k = int(np.argmax(gaps))
        return 1e3 * float(gaps[k]), self.ticks[inside[k]][1]


class Collections:
    """The start and length of every garbage collection of the oldest generation (these walk
    every tracked object of the process and hold every thread)."""

    def __init__(self):
        self.pauses: list[tuple[float, float]] = []
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((self._began, time.perf_counter() - self._began))

    def within(self, start: float, end: float) -> str:
        """How many full collections began in [start, end], and the longest (ms)."""
        lengths = [1e3 * length for began, length in self.pauses if start <= began <= end]
        return f"{len(lengths)}, {max(lengths, default=0):.0f}"


def bench_lazy(size: int) -> None:
    """The dask-backed size² pair in the dock: the main thread's longest block."""
    if size % TILE:
        raise SystemExit(f"--lazy-size must be a multiple of {TILE}")
    app = QApplication.instance() or QApplication([])
    print(f"\n<!-- dask-backed case {size}²; load before: {os.getloadavg()} -->")
    truth, pred = instance_pair((TILE, TILE), 10_000, seed=1)
    folder = Path(tempfile.mkdtemp(prefix="bench_widget_"))
    try:
        start = time.perf_counter()
        true_levels = tiled_levels(folder, "true", truth.astype(np.uint32), size)
        pred_levels = tiled_levels(folder, "pred", pred.astype(np.uint32), size)
        del truth, pred
        written = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(
            f"<!-- wrote {len(true_levels)} levels per side, {written / 2**20:.0f} MiB, "
            f"in {time.perf_counter() - start:.0f} s; free: "
            f"{shutil.disk_usage(folder).free / 2**30:.0f} GiB -->"
        )
        viewer = napari.Viewer(show=True)
        _, widget = viewer.window.add_plugin_dock_widget(
            "napari-seg-eval", "Segmentation Evaluation"
        )
        gaps = Gaps(widget.evaluate.status_label.text)
        gaps.timer.start()
        collections = Collections()
        start = time.perf_counter()
        viewer.add_labels(true_levels, name="truth", multiscale=True)
        viewer.add_labels(pred_levels, name="pred", multiscale=True)
        added = time.perf_counter() - start
        process_until(lambda: False, timeout=3.0)
        shown = gaps.worst(start + added, time.perf_counter())[0]
        widget.set_ground_truth("truth")
        widget.set_prediction("pred")
        process_until(lambda: False, timeout=1.0)
        handover, pieces = [], []
        show = widget.evaluate._show

        def timed_show(*args, **kwargs):  # the main thread's first piece: tables, review, run
            begin = time.perf_counter()
            try:
                return show(*args, **kwargs)
            finally:
                handover.append((begin, time.perf_counter()))

        widget.evaluate._show = timed_show
        review = widget.review
        next_piece = review._next_piece

        def timed_piece():  # the pieces that follow, one per turn of the event loop
            begin = time.perf_counter()
            try:
                return next_piece()
            finally:
                pieces.append(time.perf_counter() - begin)

        review._piece_timer.timeout.disconnect(next_piece)
        review._piece_timer.timeout.connect(timed_piece)
        handed_over = []
        review.handed_over.connect(lambda: handed_over.append(time.perf_counter()))
        intervals = []
        widget.runs.intervals_done.connect(lambda run: intervals.append(time.perf_counter()))
        start = time.perf_counter()
        widget.run_evaluation()
        process_until(lambda: bool(handed_over), timeout=3600)
        end = time.perf_counter()
        wall = end - start
        process_until(lambda: bool(intervals), timeout=3600)  # the Runs tab's bootstrap
        process_until(lambda: False, timeout=0.5)
        worst, during = gaps.worst(start, end + 0.5)
        begin, finish = handover[0]
        outside = max(
            gaps.worst(start, begin, straddle=False)[0],
            gaps.worst(end, end + 0.5, straddle=False)[0],
        )
        worst_runs, _ = gaps.worst(end, time.perf_counter())
        gaps.timer.stop()
        after = time.perf_counter()
        summary = widget.results["summary"].set_index(["evaluation", "metric"])["value"]
        print("| measure | value |")
        print("|---|---|")
        print(
            f"| napari: adding the two multiscale Labels layers (main thread), ms | "
            f"{1e3 * added:.0f} |"
        )
        print(
            f"| napari (and the dock's plots): longest block while showing them, ms | {shown:.0f} |"
        )
        print(f"| evaluation of the {size}² dask pair, wall time, s | {wall:.1f} |")
        print(f"| longest main-thread block during it (and 0.5 s after), ms | {worst:.0f} |")
        print(f"| status line when that block began | {during or '(idle)'} |")
        print(
            f"| the hand-over's first piece (tables, review table and counts, run), ms | "
            f"{1e3 * (finish - begin):.0f} |"
        )
        print(
            f"| the hand-over's other pieces (hover rows per side, error layer), longest, ms | "
            f"{1e3 * max(pieces, default=0):.0f} ({len(pieces)} pieces, "
            f"{1e3 * (handed_over[0] - begin):.0f} ms from first to last) |"
        )
        print(
            f"| longest main-thread block during the hand-over, ms | "
            f"{gaps.worst(begin, handed_over[0] + 0.01)[0]:.0f} |"
        )
        print(f"| longest main-thread block outside the hand-over, ms | {outside:.0f} |")
        print(
            f"| Runs tab: intervals over objects in a worker, s after the evaluation | "
            f"{intervals[0] - end:.1f} |"
        )
        print(f"| longest main-thread block meanwhile, ms | {worst_runs:.0f} |")
        print(
            f"| full garbage collections (number, longest ms): while showing the layers | "
            f"{collections.within(0, start)} |"
        )
        print(
            f"| ... during the evaluation and the Runs tab's intervals | "
            f"{collections.within(start, after)} |"
        )
        print(
            f"| objects (true, pred) | {summary[('instance', 'n_true')]:,}, "
            f"{summary[('instance', 'n_pred')]:,} |"
        )
        print(f"| per-object rows shown | {len(widget.results['per_object']):,} |")
        if review.hover_label.text():
            print(f"<!-- {review.hover_label.text()} -->")
        print(f"<!-- load after: {os.getloadavg()} -->")
        viewer.close()
        app.processEvents()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
