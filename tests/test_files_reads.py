"""The command line's evaluation of chunked files (``evaluate_files``) reads each chunk once
for object classes given as class images and for the ``coco`` preset, and gives the numbers
of the same images in memory.

Images of 64 x 64 in chunks of 16 x 16: one read of a file is 16 chunk reads. Counts are of
chunk reads from zarr stores on disk (metadata not counted), by ``folder/file``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval.io.evaluate import evaluate_files
from reference import count_chunk_reads, rectangles

zarr = pytest.importorskip("zarr")

PASS = 16  # chunks of a 64 x 64 image in chunks of 16 x 16: one read of each


@pytest.fixture
def chunk_reads(monkeypatch):
    """Chunk reads of zarr arrays on disk, by ``folder/file``."""
    return count_chunk_reads(monkeypatch, lambda root: f"{root.parent.name}/{root.name}")


def images() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(12)
    true = rectangles(rng, (64, 64), 12, np.arange(1, 13), np.uint32)
    prob = np.clip((true > 0) * 0.8 + rng.normal(0, 0.2, true.shape), 0, 1).astype(np.float32)
    labels = rectangles(rng, (64, 64), 12, np.arange(1, 13), np.uint16)
    # class images that cut objects: stripes of 3 classes, and blocks of 2
    stripes = 1 + (np.arange(64)[:, None] // 5 + np.arange(64)[None, :] // 7) % 3
    blocks = (np.arange(64)[:, None] // 11 + np.arange(64)[None, :] // 13) % 2
    region = np.ones((64, 64), np.uint8)
    region[10:30, 20:50] = 0
    return {
        "t": true,
        "p": prob,
        "l": labels,
        "c": stripes.astype(np.uint8),
        "d": blocks.astype(np.uint16),
        "r": region,
    }


def write(root: Path, files: dict[str, np.ndarray], fmt: str) -> None:
    """Each ``folder/name`` as a zarr array of 16 x 16 chunks, or a .npy file."""
    for path, image in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        if fmt == "npy":
            np.save(root / f"{path}.npy", image)
        else:
            array = zarr.create_array(
                str(root / f"{path}.zarr"), shape=image.shape, chunks=(16, 16), dtype=image.dtype
            )
            array[...] = image


def both_ways(tmp_path: Path, files: dict[str, np.ndarray], chunk_reads, **options):
    """``evaluate_files(truth/, prediction/)`` of the zarr files (their reads counted) and of
    the same images as .npy files."""
    results = {}
    for fmt in ("npy", "zarr"):
        root = tmp_path / fmt
        write(root, files, fmt)
        given = {
            key: root / f"{value}.{fmt}" if key == "region" else value
            for key, value in options.items()
        }
        chunk_reads.clear()
        results[fmt] = evaluate_files(root / "truth", root / "prediction", **given)
        assert results[fmt].n_failed == 0
    return results["npy"], results["zarr"]


def assert_same_results(expected, got) -> None:
    files = ["truth", "prediction"]  # the paths (.npy, .zarr) differ
    pd.testing.assert_frame_equal(
        expected.per_image.drop(columns=files), got.per_image.drop(columns=files)
    )
    for kind, dataset in expected.datasets.items():
        for name in ("pooled", "per_class_pooled", "per_class_image_mean", "class_confusion"):
            table = getattr(dataset, name)
            if table is not None:
                pd.testing.assert_frame_equal(table, getattr(got.datasets[kind], name), obj=name)
    assert expected.tables.keys() == got.tables.keys()
    for name, table in expected.tables.items():
        pd.testing.assert_frame_equal(table, got.tables[name], obj=name)


# Object classes given as class images: each object's class is the majority of its voting
# pixels, a count per (object, class) that adds up over chunks, counted in the same read as
# the tables (a map's objects under each chunk's node keys, renamed after the join). Before:
# each side's classes read its labels (a map: the map) and its class file again, 2 * PASS.
CLASS_CASES = [
    ("l", {}, {}),
    ("l", {"region": "r"}, {"r": PASS}),
    ("p", {}, {}),
    ("p", {"region": "r", "exclude_border": 2}, {"r": PASS}),
]


@pytest.mark.parametrize(("prediction", "options", "extra_reads"), CLASS_CASES)
def test_class_files_are_counted_in_the_read_of_the_tables(
    tmp_path, chunk_reads, prediction, options, extra_reads
):
    image = images()
    files = {
        "truth/a": image["t"],
        "truth/a_cls": image["c"],
        "prediction/a": image[prediction],
        "prediction/a_cls": image["d"],
        "r": image["r"],
    }
    probability = {"probability": True} if prediction == "p" else {}
    expected, got = both_ways(
        tmp_path,
        files,
        chunk_reads,
        kind="all",
        truth_classes_suffix="_cls",
        prediction_classes_suffix="_cls",
        ignore_label=int(image["t"][32, 32]) or None,  # an object's id: its pixels do not vote
        **probability,
        **options,
    )
    reads = {"truth/a.zarr": PASS, "truth/a_cls.zarr": PASS}
    reads |= {"prediction/a.zarr": PASS, "prediction/a_cls.zarr": PASS}
    reads |= {f"zarr/{name}.zarr": count for name, count in extra_reads.items()}
    assert dict(chunk_reads) == reads
    assert_same_results(expected, got)
    assert got["instance"].class_confusion is not None


# The coco preset's scores (each predicted object's mean probability inside the region) are
# sums per object: in the read that labels the map's chunks (whole objects), or in the same
# schedule over the pixels inside the region (each chunk labelled again from the mask's
# chunks read once). Before: the scores read the map again (its labels and its values), 2 *
# PASS.
@pytest.mark.parametrize("region", [False, True])
def test_the_coco_preset_scores_in_the_read_of_the_tables(tmp_path, chunk_reads, region):
    image = images()
    files = {"truth/a": image["t"], "prediction/a": image["p"], "r": image["r"]}
    options = {"region": "r"} if region else {}
    expected, got = both_ways(
        tmp_path, files, chunk_reads, preset="coco", probability=True, **options
    )
    reads = {"truth/a.zarr": PASS, "prediction/a.zarr": PASS}
    if region:
        reads["zarr/r.zarr"] = PASS
    assert dict(chunk_reads) == reads
    assert_same_results(expected, got)


def test_coco_scores_inside_the_region_by_hand(tmp_path, chunk_reads):
    # 8 x 8 files in chunks of 4 x 4. Predicted P1 (rows 1-2, columns 1-2, probability 0.6) is
    # truth T1 exactly (IoU 1); P2 (rows 3-4, columns 5-7, across two chunks) is false:
    # probability 0.55 in column 5, 0.85 in columns 6-7. Without a region P2's mean is
    # (2 * 0.55 + 4 * 0.85) / 6 = 0.75 > 0.6: ranked first, a miss, then the hit: precision
    # 1/2 at recall 1, AP 1/2 at every IoU threshold. The region leaves columns 6-7 out: P2's
    # mean inside is 0.55 < 0.6, the hit first: AP 1 (P2 still a false detection, last).
    prob = np.zeros((8, 8), np.float32)
    prob[1:3, 1:3] = 0.6
    prob[3:5, 5], prob[3:5, 6:8] = 0.55, 0.85
    true = np.zeros((8, 8), np.uint8)
    true[1:3, 1:3] = 1
    region = np.ones((8, 8), np.uint8)
    region[:, 6:] = 0
    for path, array in (("truth/a", true), ("prediction/a", prob), ("r", region)):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        store = zarr.create_array(
            str(tmp_path / f"{path}.zarr"), shape=(8, 8), chunks=(4, 4), dtype=array.dtype
        )
        store[...] = array
    run = {"preset": "coco", "probability": True}
    whole = evaluate_files(tmp_path / "truth", tmp_path / "prediction", **run)
    assert dict(chunk_reads) == {"truth/a.zarr": 4, "prediction/a.zarr": 4}  # 2 x 2 chunks
    assert whole.per_image.loc[0, "map"] == pytest.approx(0.5)
    chunk_reads.clear()
    inside = evaluate_files(
        tmp_path / "truth", tmp_path / "prediction", region=tmp_path / "r.zarr", **run
    )
    region_reads = {f"{tmp_path.name}/r.zarr": 4}
    assert dict(chunk_reads) == {"truth/a.zarr": 4, "prediction/a.zarr": 4} | region_reads
    assert inside.per_image.loc[0, "map"] == pytest.approx(1.0)
    assert inside.tables["coco_pooled"]["fp"].tolist() == [1] * 10
