"""Realistic synthetic (ground truth, prediction) pairs for the benchmarks.

Objects are grown around random seeds (a Voronoi tessellation cut to random radii), so some
touch and some stand alone; with ``tiled=True`` they fill the image with no background. The
prediction re-grows them around shifted seeds with changed radii (erosion and dilation), and
adds misses, merges with the nearest neighbour, splits in two, and false positives.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree


def _grow(shape, seeds, radii):
    """Label each pixel with its nearest seed (1-based), where it lies within that radius."""
    marker = np.ones(shape, bool)
    index = tuple(np.clip(np.round(seeds).astype(int), 0, np.array(shape) - 1).T)
    marker[index] = False
    distance, nearest = ndi.distance_transform_edt(marker, return_indices=True)
    seed_id = np.zeros(shape, np.int32)
    seed_id[index] = np.arange(1, len(seeds) + 1)
    labels = seed_id[tuple(nearest)]
    del nearest
    labels[distance >= radii[labels - 1]] = 0
    return labels


def instance_pair(shape, n_objects, *, seed=0, tiled=False, radius=(6.0, 16.0)):
    """(ground truth, prediction) int32 label images with about ``n_objects`` objects."""
    rng = np.random.default_rng(seed)
    ndim = len(shape)
    seeds = rng.uniform(0, 1, (n_objects, ndim)) * (np.array(shape) - 1)
    radii = np.full(n_objects, np.inf) if tiled else rng.uniform(*radius, n_objects)
    truth = _grow(shape, seeds, radii)

    n_false = n_objects // 20
    pred_seeds = np.vstack(
        [
            seeds + rng.normal(0, 1.5, seeds.shape),
            rng.uniform(0, 1, (n_false, ndim)) * (np.array(shape) - 1),
        ]
    )
    pred_radii = np.concatenate(
        [radii + rng.uniform(-2, 2, n_objects), rng.uniform(*radius, n_false)]
    )
    pred = _grow(shape, pred_seeds, pred_radii)

    n_all = n_objects + n_false
    relabel = np.arange(n_all + 1)
    relabel[1 + rng.choice(n_objects, n_objects // 20, replace=False)] = 0  # misses
    _, neighbour = cKDTree(seeds).query(seeds, k=2)
    merged = rng.choice(n_objects, n_objects // 30, replace=False)
    relabel[1 + merged] = 1 + neighbour[merged, 1]  # merges
    pred = relabel[pred].astype(np.int32)

    split = np.zeros(n_all + 1, bool)
    split[1 + rng.choice(n_objects, n_objects // 30, replace=False)] = True
    coordinate = np.indices(shape, sparse=True)[-1]
    centre = np.concatenate([[0], pred_seeds[:, -1]])
    halves = split[pred] & (coordinate > centre[pred])
    pred[halves] += n_all + 1  # the far half of a split object becomes a new id
    return truth, pred


def probability_map(truth, *, seed=0):
    """A float32 probability map with soft edges and noise around ``truth > 0``."""
    rng = np.random.default_rng(seed)
    evidence = np.where(truth > 0, 3.0, -3.0).astype(np.float32)
    evidence += rng.normal(0, 1.0, truth.shape).astype(np.float32)
    evidence = ndi.gaussian_filter(evidence, 1.0)
    return (1.0 / (1.0 + np.exp(-evidence))).astype(np.float32)
