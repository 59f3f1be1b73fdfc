"""The widget's work as plain functions on arrays: run in worker threads, testable without Qt."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .core.instance import instance_metrics
from .core.semantic import semantic_metrics
from .core.threshold import label_instances, threshold_probabilities


@dataclass(frozen=True)
class ThresholdOptions:
    """How a probability map becomes labels."""

    output: Literal["semantic", "instance"] = "semantic"
    class_axis: int | None = None
    connectivity: int | None = None
    min_size: int = 0
    split_touching: bool = False
    split_depth: float = 2.0


def labels_from_probability(
    prob: np.ndarray, threshold: float, options: ThresholdOptions
) -> np.ndarray:
    """Semantic labels at ``threshold``, then instances if ``options.output == 'instance'``."""
    semantic = threshold_probabilities(np.asarray(prob), threshold, channel_axis=options.class_axis)
    if options.output == "semantic":
        return semantic
    if options.class_axis is None:
        semantic = semantic.view(bool)  # 0/1: skimage labels a boolean mask faster
    return label_instances(
        semantic,
        connectivity=options.connectivity,
        min_size=options.min_size,
        split_touching=options.split_touching,
        split_depth=options.split_depth,
    )


def parse_iou_thresholds(text: str) -> list[float]:
    """``"0.5:0.95:0.05"`` (start:stop:step, stop included) or ``"0.5, 0.75"`` to a list.

    Values are rounded to 6 decimals, so the steps are the decimals the user typed.
    """
    text = text.strip()
    try:
        if ":" in text:
            start, stop, step = (float(part) for part in text.split(":"))
            if step <= 0:
                raise ValueError
            count = round((stop - start) / step) + 1
            values = [round(start + i * step, 6) for i in range(count)]
        else:
            values = [round(float(part), 6) for part in text.replace(";", ",").split(",") if part]
    except ValueError:
        raise ValueError(
            f"IoU thresholds {text!r}: write start:stop:step (e.g. 0.5:0.95:0.05) or a list "
            "(e.g. 0.5, 0.75)."
        ) from None
    if not values or not all(0 < v <= 1 for v in values):
        raise ValueError(f"IoU thresholds {text!r} must be numbers in (0, 1].")
    return values


def evaluation_steps(
    true: np.ndarray,
    pred: np.ndarray,
    *,
    kind: Literal["semantic", "instance", "both"],
    iou_thresholds: Sequence[float],
    ignore_label: int | None = None,
    binarize_semantic: bool = True,
    probability: tuple[float, ThresholdOptions] | None = None,
) -> Generator[tuple[float, str], None, dict]:
    """Evaluate ``pred`` against ``true``, yielding (fraction done, what next) between steps.

    ``probability=(threshold, options)`` thresholds ``pred`` first. With
    ``binarize_semantic`` the semantic metrics compare foreground (> 0) with background.
    Returns ``{"semantic": SemanticResult, "instance": InstanceResult, "tables": {...}}``.
    """
    steps = 1 + (probability is not None) + (kind == "both")
    done = 0

    def progress(message):
        return (done / (steps + 1), message)

    yield progress("reading layers")
    true, pred = np.asarray(true), np.asarray(pred)
    if probability is not None:
        yield progress("thresholding the probability map")
        pred = labels_from_probability(pred, *probability)
        done += 1
    results: dict = {}
    if kind in ("semantic", "both"):
        yield progress("semantic metrics")
        if binarize_semantic:
            sem_true, sem_pred, sem_ignore = _foreground(true, ignore_label), pred > 0, 2
        else:
            sem_true, sem_pred, sem_ignore = true, pred, ignore_label
        results["semantic"] = semantic_metrics(
            sem_true, sem_pred, ignore_label=None if ignore_label is None else sem_ignore
        )
        done += 1
    if kind in ("instance", "both"):
        yield progress("instance matching")
        result = instance_metrics(true, pred, thresholds=iou_thresholds, ignore_label=ignore_label)
        result.per_object  # computed here, off the main thread  # noqa: B018
        results["instance"] = result
        done += 1
    yield (1.0, "building tables")
    results["tables"] = result_tables(results)
    return results


def _foreground(labels: np.ndarray, ignore_label: int | None) -> np.ndarray:
    """1 on objects, 0 on background, and 2 where the ignore label was (to stay ignored)."""
    out = (labels > 0).view(np.uint8)
    if ignore_label is not None:
        out = out.copy()
        out[labels == ignore_label] = 2
    return out


def result_tables(results: dict) -> dict[str, pd.DataFrame]:
    """The four tables the widget shows: summary, per class, per threshold, per object."""
    summary_rows = [
        {"evaluation": name, "metric": key, "value": value}
        for name in ("semantic", "instance")
        if name in results
        for key, value in results[name].summary.items()
    ]
    empty = pd.DataFrame()
    return {
        "summary": pd.DataFrame(summary_rows, columns=["evaluation", "metric", "value"]),
        "per_class": results["semantic"].per_class if "semantic" in results else empty,
        "per_threshold": results["instance"].per_threshold if "instance" in results else empty,
        "per_object": results["instance"].per_object if "instance" in results else empty,
    }
