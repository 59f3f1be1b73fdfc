"""Slow, obviously-correct reference implementations for cross-checking the fast core.

Dense loops over ids and an exhaustive search over matchings with exact fractions: only for
tiny images, and written from the definitions, sharing no code with the package. Also the
random test images several test files share (:func:`rectangles`).
"""

from fractions import Fraction
from pathlib import Path

import numpy as np


def ious(true, pred):
    """{(t, p): Fraction IoU} for every pair of non-zero ids that overlap."""
    out = {}
    for t in np.unique(true[true > 0]):
        for p in np.unique(pred[pred > 0]):
            inter = int(np.sum((true == t) & (pred == p)))
            if inter:
                union = int(np.sum((true == t) | (pred == p)))
                out[(int(t), int(p))] = Fraction(inter, union)
    return out


def best_matching(true, pred, threshold):
    """(number of matches, summed IoU) of the best one-to-one matching with IoU >= threshold,
    most matches first, then largest summed IoU, by trying every matching."""
    t_frac = Fraction(str(threshold))
    edges = {k: v for k, v in ious(true, pred).items() if v >= t_frac}
    trues = sorted({t for t, _ in edges})

    def search(i, used):
        if i == len(trues):
            return (0, Fraction(0))
        best = search(i + 1, used)  # leave trues[i] unmatched
        for (t, p), v in edges.items():
            if t == trues[i] and p not in used:
                n, s = search(i + 1, used | {p})
                best = max(best, (n + 1, s + v))
        return best

    return search(0, frozenset())


def n_objects(labels):
    return len(np.unique(labels[labels > 0]))


def rectangles(rng, shape, n, ids, dtype):
    """Overlapping boxes of random size: many of them cross chunk borders."""
    image = np.zeros(shape, dtype)
    for label in ids[:n]:
        start = [int(rng.integers(0, s)) for s in shape]
        stop = [
            min(s, b + int(rng.integers(1, max(2, s // 2 + 1))))
            for b, s in zip(start, shape, strict=True)
        ]
        image[tuple(slice(b, e) for b, e in zip(start, stop, strict=True))] = label
    return image


def count_chunk_reads(monkeypatch, key):
    """Count the chunk reads of zarr arrays on disk (metadata not counted), by
    ``key(root)``, the array's folder (a ``Path``) made a name; the shared fixture of the
    read-count tests."""
    import collections

    from zarr.storage import LocalStore

    reads = collections.Counter()
    get = LocalStore.get

    async def counted(self, chunk, *args, **kwargs):
        if chunk.startswith("c/"):  # zarr 3's default chunk keys: c/row/column
            reads[key(Path(str(self.root)))] += 1
        return await get(self, chunk, *args, **kwargs)

    monkeypatch.setattr(LocalStore, "get", counted)
    return reads
