"""The dock's evaluation of chunked layers reads each chunk as few times as its results need,
and gives the numbers of the same pixels in memory.

A layer of 4 x 4 chunks is read 16 times per pass. Counts are of chunk reads from a zarr store
on disk (metadata not counted), for a truth ``t``, a probability map ``p`` and labels ``l``.
"""

import collections
import warnings
from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import napari_seg_eval as nse
from napari_seg_eval import evaluation
from napari_seg_eval.core import instance as instance_module
from reference import rectangles

zarr = pytest.importorskip("zarr")

PASS = 16  # chunks of a 64 x 64 image in chunks of 16 x 16: one read of each
RING = 12  # of them, those holding a band of 2 pixels at the image's edge (all but 2 x 2)


@pytest.fixture
def chunk_reads(monkeypatch):
    """Chunk reads of zarr arrays on disk, by the array's folder name."""
    from zarr.storage import LocalStore

    reads = collections.Counter()
    get = LocalStore.get

    async def counted(self, key, *args, **kwargs):
        if key.startswith("c/"):  # zarr 3's default chunk keys: c/row/column
            reads[Path(str(self.root)).name] += 1
        return await get(self, key, *args, **kwargs)

    monkeypatch.setattr(LocalStore, "get", counted)
    return reads


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(12)
    true = rectangles(rng, (64, 64), 12, np.arange(1, 13), np.uint32)
    prob = np.clip((true > 0) * 0.8 + rng.normal(0, 0.2, true.shape), 0, 1).astype(np.float32)
    labels = rectangles(rng, (64, 64), 12, np.arange(1, 13), np.uint16)
    return {"t": true, "p": prob, "l": labels}


@pytest.fixture
def stored(images, tmp_path):
    """The images as zarr arrays of 4 x 4 chunks on disk."""
    out = {}
    for name, image in images.items():
        array = zarr.create_array(
            str(tmp_path / name), shape=image.shape, chunks=(16, 16), dtype=image.dtype
        )
        array[...] = image
        out[name] = zarr.open_array(str(tmp_path / name), mode="r")
    return out


# Expected reads per input, from what each result needs:
# - a map: one read labels every chunk for joining its objects and counts it against the truth
#   (the instance table, relabelled; the semantic table follows from it). The objects are then
#   measured in one computation: their labels (each chunk thresholded and labelled again) and
#   their mean probability need the same chunks of the map, read once (the second pass). The
#   first pass cannot give them: the objects' ids are known only after all chunks are joined.
#   With a border band the joined labels are read in the chunks at the edge (RING).
# - labels: one read for both tables and the bands (they share the chunks), one to measure.
# - the truth: the tables (and its band), and the measurements with the instance metrics.
# Before: a map was read 2 (semantic), 4 (instance) and 5 (both) times, 5 and 6 with a
# border; labels 2 (instance) and 3 (both) times, 3 and 4 with a border. Then a map was read
# 3 times for instance or both (the labels' relabelling read fused copies of the map's chunks,
# which the mean probability could not share).
CASES = [
    ("p", "semantic", 0, {"p": PASS, "t": PASS}),
    ("p", "semantic", 2, {"p": PASS, "t": PASS}),
    ("p", "instance", 0, {"p": 2 * PASS, "t": 2 * PASS}),
    ("p", "instance", 2, {"p": 2 * PASS + RING, "t": 2 * PASS}),
    ("p", "both", 0, {"p": 2 * PASS, "t": 2 * PASS}),
    ("p", "both", 2, {"p": 2 * PASS + RING, "t": 2 * PASS}),
    ("l", "semantic", 0, {"l": PASS, "t": PASS}),
    ("l", "instance", 0, {"l": 2 * PASS, "t": 2 * PASS}),
    ("l", "instance", 2, {"l": 2 * PASS, "t": 2 * PASS}),
    ("l", "both", 0, {"l": 2 * PASS, "t": 2 * PASS}),
    ("l", "both", 2, {"l": 2 * PASS, "t": 2 * PASS}),
]


@pytest.mark.parametrize(("prediction", "kind", "border", "expected"), CASES)
def test_a_chunked_evaluation_reads_each_chunk_once_per_result(
    stored, images, chunk_reads, prediction, kind, border, expected
):
    extra = {"threshold": 0.5} if prediction == "p" else {}
    got = evaluation.evaluate(
        stored["t"], stored[prediction], kind=kind, exclude_border=border, **extra
    )
    assert dict(chunk_reads) == expected
    memory = evaluation.evaluate(
        images["t"], images[prediction], kind=kind, exclude_border=border, **extra
    )
    assert_same_tables(memory.tables, got.tables)


def test_border_ids_read_each_chunk_of_the_band_once(stored, images, chunk_reads):
    # A band of 2 pixels touches the 12 chunks of the ring, each once (the corners hold two
    # faces); before, each face was read on its own: 4 faces x 4 chunks = 16 reads.
    true = images["t"]
    expected = np.unique(np.concatenate([true[:2].ravel(), true[-2:].ravel()]))
    expected = np.union1d(expected, np.concatenate([true[:, :2].ravel(), true[:, -2:].ravel()]))
    got = instance_module.border_ids(stored["t"], 2)
    assert got.tolist() == expected[expected != 0].tolist()
    assert dict(chunk_reads) == {"t": RING}


def test_instance_metrics_reads_the_bands_with_the_table(stored, images, chunk_reads):
    result = nse.instance_metrics(stored["t"], stored["l"], exclude_border=2)
    assert dict(chunk_reads) == {"t": PASS, "l": PASS}  # before: PASS + PASS each
    expected = nse.instance_metrics(images["t"], images["l"], exclude_border=2)
    pd.testing.assert_frame_equal(result.per_threshold, expected.per_threshold)
    assert result.excluded_true.tolist() == expected.excluded_true.tolist()


def test_border_ids_of_uneven_chunks_equal_those_in_memory():
    # Hand-made: ids on each side of a 7 x 9 image, and one id inside; chunks cut the band.
    labels = np.zeros((7, 9), np.int64)
    labels[0, 4], labels[6, 0], labels[3, 8], labels[3, 1], labels[3, 4] = 1, 2, 3, 4, 5
    # band of 1: ids 1, 2, 3 (4 is in column 1, 5 in the middle); band of 2 adds 4
    for chunks in [(1, 1), (2, 3), (7, 9), (3, 4), (5, 2)]:
        lazy = da.from_array(labels, chunks=chunks)
        assert instance_module.border_ids(lazy, 1).tolist() == [1, 2, 3]
        assert instance_module.border_ids(lazy, 2).tolist() == [1, 2, 3, 4]
        assert instance_module.border_ids(lazy, 4).tolist() == [1, 2, 3, 4, 5]
        assert instance_module.border_ids(lazy, 0).tolist() == []


def assert_same_tables(expected: dict, got: dict) -> None:
    assert expected.keys() == got.keys()
    for name in expected:
        frame = expected[name]
        confidence = [c for c in frame.columns if str(c).endswith("_confidence")]
        pd.testing.assert_frame_equal(
            frame.drop(columns=confidence), got[name].drop(columns=confidence), obj=name
        )
        pd.testing.assert_frame_equal(  # sums of probabilities in another order
            frame[confidence], got[name][confidence], rtol=1e-12, atol=0, obj=name
        )


@st.composite
def evaluations(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = draw(st.sampled_from([(24, 31), (40, 9), (7, 11, 13)]))
    true = rectangles(rng, shape, int(rng.integers(0, 9)), np.arange(1, 13), np.uint16)
    probability = draw(st.booleans())
    if probability:
        pred = np.kron(rng.random(tuple(-(-s // 2) for s in shape)), np.ones((2,) * len(shape)))
        pred = pred[tuple(slice(0, s) for s in shape)].astype(np.float32)
    else:
        pred = rectangles(rng, shape, int(rng.integers(0, 9)), np.arange(3, 15), np.int32)
    options = {"kind": draw(st.sampled_from(["semantic", "instance", "both"]))}
    options["exclude_border"] = draw(st.sampled_from([0, 1, 3]))
    options["binarize_semantic"] = draw(st.booleans())
    options["iou_thresholds"] = draw(st.sampled_from([(0.5,), (0.3, 0.5, 0.9)]))
    if draw(st.booleans()):
        options["ignore_label"] = int(true.flat[int(rng.integers(0, true.size))])
    if probability:
        options["threshold"] = draw(st.sampled_from([0.3, 0.5]))
        options["threshold_options"] = evaluation.ThresholdOptions(
            connectivity=draw(st.sampled_from([None, 1])), min_size=draw(st.sampled_from([0, 3]))
        )
    inputs = {}
    if draw(st.booleans()):
        inputs["region"] = rng.random(shape) < 0.8
    if options["kind"] != "semantic" and draw(st.booleans()):
        classes = rng.integers(1, 4, shape).astype(np.uint8)
        inputs["true_classes"] = inputs["pred_classes"] = classes
    chunks = [tuple(int(rng.integers(1, s + 1)) for s in shape) for _ in range(5)]
    return true, pred, options, inputs, chunks


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=evaluations())
def test_chunked_evaluations_give_the_in_memory_record(case):
    true, pred, options, inputs, chunks = case
    with warnings.catch_warnings(record=True) as memory_warnings:
        warnings.simplefilter("always")
        expected = evaluation.evaluate(true, pred, **options, **inputs)
    lazy = {
        key: da.from_array(value, chunks=chunks[k + 2])
        for k, (key, value) in enumerate(inputs.items())
    }
    with warnings.catch_warnings(record=True) as lazy_warnings:
        warnings.simplefilter("always")
        got = evaluation.evaluate(
            da.from_array(true, chunks[0]), da.from_array(pred, chunks[1]), **options, **lazy
        )
    assert_same_tables(expected.tables, got.tables)
    assert isinstance(got.prediction, da.Array)
    np.testing.assert_array_equal(np.asarray(got.prediction), expected.prediction)
    np.testing.assert_array_equal(np.asarray(got.semantic_prediction), expected.semantic_prediction)
    # the same warnings (the in-memory one names the binarized ignored id, 2, not the user's)
    assert sorted(w.category.__name__ for w in memory_warnings) == sorted(
        w.category.__name__ for w in lazy_warnings
    )
