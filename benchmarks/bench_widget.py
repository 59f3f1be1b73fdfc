"""The dock widget on the 4096 x 4096 benchmark case (needs a display: ``xvfb-run -a``).

Measures one threshold-preview update (the worker's thresholding, and the main thread's
layer refresh), and how long the main thread is blocked at a stretch during a full
evaluation of the ~10,000-object case: a 1 ms QTimer records the gaps between its ticks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import napari
import numpy as np
import pandas as pd
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


if __name__ == "__main__":
    main()
