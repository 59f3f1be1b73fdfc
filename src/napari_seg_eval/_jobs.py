"""The widget's work as plain functions on arrays: run in worker threads, testable without Qt."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .core.dataset import dataset_metrics
from .core.instance import instance_metrics
from .core.review import join_measurements, measure_both
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
    confidence: np.ndarray | None = None,
    plane_axis: int | None = None,
) -> Generator[tuple[float, str], None, dict]:
    """Evaluate ``pred`` against ``true``, yielding (fraction done, what next) between steps.

    ``probability=(threshold, options)`` thresholds ``pred`` first (its values are then the
    objects' confidence); otherwise ``confidence`` may give a probability map of the same
    shape. With ``binarize_semantic`` the semantic metrics compare foreground (> 0) with
    background. With ``plane_axis`` every plane along that axis is also evaluated on its own.
    Returns ``{"semantic", "instance", "measurements", "pred_labels", "tables"}`` (what applies).
    """
    kinds = ["semantic", "instance"] if kind == "both" else [kind]
    steps = 2 + len(kinds) * (1 + (plane_axis is not None)) + (probability is not None)
    done = 0

    def progress(message):
        return (done / steps, message)

    yield progress("reading layers")
    true, pred = np.asarray(true), np.asarray(pred)
    results: dict = {}
    if probability is not None:
        yield progress("thresholding the probability map")
        if probability[1].class_axis is None:
            confidence = pred
        pred = results["pred_labels"] = labels_from_probability(pred, *probability)
        done += 1
    sem_true, sem_pred, sem_ignore = _semantic_inputs(true, pred, ignore_label, binarize_semantic)
    if "semantic" in kinds:
        yield progress("semantic metrics")
        results["semantic"] = semantic_metrics(sem_true, sem_pred, ignore_label=sem_ignore)
        results["semantic_inputs"] = (sem_true, sem_pred)  # for the pixel error map
        done += 1
    if "instance" in kinds:
        yield progress("instance matching")
        results["instance"] = instance_metrics(
            true, pred, thresholds=iou_thresholds, ignore_label=ignore_label
        )
        done += 1
        yield progress("measuring objects")
        results["measurements"] = measure_both(true, pred, confidence)
    done += 1
    if plane_axis is not None:
        per_plane = []
        for name in kinds:
            yield progress(f"{name} metrics plane by plane")
            images = (sem_true, sem_pred) if name == "semantic" else (true, pred)
            per_plane.append(
                dataset_metrics(
                    *images,
                    kind=name,
                    axis=plane_axis,
                    thresholds=iou_thresholds,
                    ignore_label=sem_ignore if name == "semantic" else ignore_label,
                )
            )
            done += 1
        results["planes"] = dict(zip(kinds, per_plane, strict=True))
    yield (1.0, "building tables")
    results["tables"] = result_tables(results)
    return results


def _semantic_inputs(true, pred, ignore_label, binarize):
    """The images and ignore label that the semantic metrics compare."""
    if not binarize:
        return true, pred, ignore_label
    return _foreground(true, ignore_label), pred > 0, None if ignore_label is None else 2


def _foreground(labels: np.ndarray, ignore_label: int | None) -> np.ndarray:
    """1 on objects, 0 on background, and 2 where the ignore label was (to stay ignored)."""
    out = (labels > 0).view(np.uint8)
    if ignore_label is not None:
        out = out.copy()
        out[labels == ignore_label] = 2
    return out


def result_tables(results: dict) -> dict[str, pd.DataFrame]:
    """The tables the widget shows: summary, per class, per threshold, per plane, per object."""
    summary_rows = [
        {"evaluation": name, "metric": key, "value": value}
        for name in ("semantic", "instance")
        if name in results
        for key, value in results[name].summary.items()
    ]
    planes = results.get("planes", {})
    summary_rows += [
        {"evaluation": f"{name} per plane", "metric": key, "value": value}
        for name, dataset in planes.items()
        for key, value in dataset.summary.items()
    ]
    # One row per plane: the semantic and instance columns side by side (their names differ).
    frames = [
        dataset.per_image.drop(columns=["aji_numerator", "aji_denominator"], errors="ignore")
        .rename(columns={"image": "plane"})
        .set_index("plane")
        for dataset in planes.values()
    ]
    per_plane = pd.concat(frames, axis=1).reset_index() if frames else pd.DataFrame()
    empty = pd.DataFrame()
    instance = results.get("instance")
    return {
        "summary": pd.DataFrame(summary_rows, columns=["evaluation", "metric", "value"]),
        "per_class": results["semantic"].per_class if "semantic" in results else empty,
        "per_threshold": instance.per_threshold if instance is not None else empty,
        "per_plane": per_plane,
        "per_object": (
            join_measurements(instance.per_object, results["measurements"])
            if instance is not None
            else empty
        ),
    }
