"""Splitting touching objects: ``label_instances(split_touching=True)``.

Run: ``python benchmarks/bench_split.py`` (about two minutes; prints a Markdown table).
The reference is the standard scikit-image recipe on the same mask: the distance transform
(``ndi.distance_transform_edt``), its peaks per connected component (``peak_local_max`` with
the component labels and a 3 × 3 footprint), one marker per peak, and ``watershed`` on the
negated distance within the mask. The floor is a single numpy pass over the mask,
``np.count_nonzero(mask)``. Times are the best of several runs; memory is the peak of numpy
allocations during the call (tracemalloc), beyond the mask.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from skimage import measure, segmentation
from skimage.feature import peak_local_max

import napari_seg_eval as nse

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import best_time, peak_mib
from datasets import instance_pair


def skimage_recipe(mask: np.ndarray) -> np.ndarray:
    """The scikit-image gallery's watershed split of touching objects."""
    distance = ndi.distance_transform_edt(mask)
    peaks = peak_local_max(
        distance, footprint=np.ones((3,) * mask.ndim), labels=measure.label(mask)
    )
    markers = np.zeros(mask.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    return segmentation.watershed(-distance, markers, mask=mask)


def ours(mask: np.ndarray) -> np.ndarray:
    return nse.label_instances(mask, split_touching=True)


def f1_50(truth: np.ndarray, labels: np.ndarray) -> float:
    """F1 at IoU 0.5 against the objects the mask was drawn from."""
    return float(nse.instance_metrics(truth, labels, iou_thresholds=[0.5]).summary["f1_50"])


def bench_2d(size: int, n_objects: int, repeat: int) -> None:
    truth, _ = instance_pair((size, size), n_objects, seed=1)
    mask = truth > 0
    floor = best_time(lambda: np.count_nonzero(mask), 7)
    plain = best_time(lambda: measure.label(mask), repeat)
    recipe = best_time(lambda: skimage_recipe(mask), repeat)
    split = best_time(lambda: ours(mask), repeat)
    by_recipe, by_us = skimage_recipe(mask), ours(mask)
    print(
        f"<!-- {size}²: {truth.max()} true objects in {measure.label(mask).max()} components; "
        f"recipe: {by_recipe.max()} objects, F1@0.5 {f1_50(truth, by_recipe):.3f}; "
        f"label_instances: {by_us.max()} objects, F1@0.5 {f1_50(truth, by_us):.3f} -->"
    )
    print(f"| single pass `count_nonzero(mask)`, {size}² | {floor * 1e3:.1f} | 1x | | | |")
    print(
        f"| skimage.measure.label (no split), {size}² | {plain * 1e3:.0f} "
        f"| {plain / floor:.0f}x | | | |"
    )
    print(
        f"| skimage recipe, {size}² | {recipe * 1e3:.0f} | {recipe / floor:.0f}x | 1x "
        f"| (reference) | {peak_mib(lambda: skimage_recipe(mask)):.0f} MiB |"
    )
    ratio = split / recipe
    verdict = "met" if ratio <= 1 else "MISSED (> 1x)"
    print(
        f"| label_instances(split_touching=True), {size}² | {split * 1e3:.0f} "
        f"| {split / floor:.0f}x | {ratio:.2f}x | <= 1x {verdict} "
        f"| {peak_mib(lambda: ours(mask)):.0f} MiB |",
        flush=True,
    )


def bench_3d() -> None:
    truth, _ = instance_pair((256, 256, 256), 5_000, seed=3, radius=(4.0, 10.0))
    mask = truth > 0
    del truth
    voxels = mask.size
    floor = best_time(lambda: np.count_nonzero(mask), 7)
    recipe = best_time(lambda: skimage_recipe(mask), 1)
    split = best_time(lambda: ours(mask), 1)
    recipe_bytes = peak_mib(lambda: skimage_recipe(mask)) * 2**20 / voxels
    split_bytes = peak_mib(lambda: ours(mask)) * 2**20 / voxels
    largest = np.bincount(measure.label(mask).ravel())[1:].max()
    print(f"<!-- 3-D: largest component {largest} of {voxels} voxels -->")
    plain = best_time(lambda: measure.label(mask), 1)
    print(f"| single pass `count_nonzero(mask)`, 256³ | {floor * 1e3:.1f} | 1x | | | |")
    print(
        f"| skimage.measure.label (no split), 256³ | {plain * 1e3:.0f} "
        f"| {plain / floor:.0f}x | | | |"
    )
    print(
        f"| skimage recipe, 256³ | {recipe * 1e3:.0f} | {recipe / floor:.0f}x | 1x "
        f"| (reference) | {recipe_bytes:.0f} B/voxel |"
    )
    verdict = "met" if split_bytes <= 40 else "MISSED (> 40 B/voxel)"
    print(
        f"| label_instances(split_touching=True), 256³ | {split * 1e3:.0f} "
        f"| {split / floor:.0f}x | {split / recipe:.2f}x | <= 40 B/voxel {verdict} "
        f"| {split_bytes:.0f} B/voxel |",
        flush=True,
    )


def main() -> None:
    print("| case | ms | ratio to single pass | ratio to recipe | target | peak extra |")
    print("|---|---|---|---|---|---|")
    bench_2d(2048, 2_500, 3)
    bench_2d(4096, 10_000, 2)
    bench_3d()


if __name__ == "__main__":
    main()
