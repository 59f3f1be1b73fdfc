"""The review on chunked (dask, zarr) inputs: the in-memory results, never a read of more
than one chunk."""

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import napari_seg_eval as nse
from napari_seg_eval.core.review import measure_both, object_confidence
from reference import rectangles

HUGE = np.iinfo(np.uint64).max - 10  # ids near 2**64: exact only without a float detour


def random_chunks(rng, shape):
    return tuple(int(rng.integers(1, s + 1)) for s in shape)


def same_measurements(memory: pd.DataFrame, chunked: pd.DataFrame) -> None:
    """Equal frames; sums of probabilities up to the order of additions."""
    confidence = [c for c in memory.columns if str(c).endswith("_confidence")]
    pd.testing.assert_frame_equal(memory.drop(columns=confidence), chunked.drop(columns=confidence))
    pd.testing.assert_frame_equal(memory[confidence], chunked[confidence], rtol=1e-12, atol=0)


@st.composite
def cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = draw(st.sampled_from([(23, 31), (40, 9), (7, 11, 13), (64,)]))
    huge = draw(st.booleans())
    dtype = np.uint64 if huge else np.dtype(draw(st.sampled_from(["uint8", "uint32", "int64"])))
    ids = (HUGE - np.arange(12, dtype=np.uint64)) if huge else np.arange(1, 13)
    true = rectangles(rng, shape, int(rng.integers(0, 8)), ids, dtype)
    pred = rectangles(rng, shape, int(rng.integers(0, 8)), ids[::-1], dtype)
    prob = rng.random(shape).astype(rng.choice([np.float32, np.float64]))
    ignore = draw(st.booleans())
    ignore_label = int(true.flat[int(rng.integers(0, true.size))]) if ignore else None
    chunks = [random_chunks(rng, shape) for _ in range(3)]
    return true, pred, prob, chunks, ignore_label


SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.filterwarnings("ignore:.*ignore_label=0 leaves out:UserWarning")  # 0 drawn
@SETTINGS
@given(cases())
def test_chunked_review_equals_the_in_memory_review(case):
    true, pred, prob, chunks, ignore_label = case
    # three grids: the prediction and the map are put on the truth's chunks
    lazy_true, lazy_pred, lazy_prob = (
        da.from_array(a, chunks=c) for a, c in zip((true, pred, prob), chunks, strict=True)
    )
    same_measurements(
        nse.object_measurements(true, prob), nse.object_measurements(lazy_true, lazy_prob)
    )
    same_measurements(measure_both(true, pred, prob), measure_both(lazy_true, lazy_pred, prob))
    same_measurements(object_confidence(pred, prob), object_confidence(lazy_pred, lazy_prob))
    memory = nse.review_objects(true, pred, probability=prob, ignore_label=ignore_label)
    chunked = nse.review_objects(lazy_true, pred, probability=lazy_prob, ignore_label=ignore_label)
    same_measurements(memory, chunked)
    for by in ("status", "kind"):
        lazy_map = nse.error_map(lazy_true, lazy_pred, ignore_label=ignore_label, by=by)
        assert isinstance(lazy_map, da.Array) and lazy_map.dtype == np.uint8
        assert lazy_map.chunks == lazy_true.chunks
        np.testing.assert_array_equal(
            lazy_map.compute(), nse.error_map(true, pred, ignore_label=ignore_label, by=by)
        )
    lazy_pixels = nse.semantic_error_map(lazy_true, lazy_pred, int(true.flat[0]))
    assert isinstance(lazy_pixels, da.Array)
    np.testing.assert_array_equal(
        lazy_pixels.compute(), nse.semantic_error_map(true, pred, int(true.flat[0]))
    )


def test_an_object_across_four_chunks_by_hand():
    labels = np.zeros((6, 6), np.uint16)
    labels[1:5, 2:5] = 7  # rows 1..4, columns 2..4: 12 pixels over the four 3x3 chunks
    labels[0, 0] = 3
    prob = np.zeros((6, 6))
    prob[labels == 7] = 0.5
    prob[4, 4] = 0.9
    prob[1, 2] = 0.1
    table = object_confidence(da.from_array(labels, chunks=3), da.from_array(prob, chunks=3))
    row = table.set_index("label").loc[7]
    assert row.tolist() == pytest.approx([(10 * 0.5 + 0.9 + 0.1) / 12, 0.1, 0.9])
    measured = nse.object_measurements(zarr_array(labels, (3, 3))).set_index("label").loc[7]
    assert measured["area"] == 12
    assert measured[["centroid_0", "centroid_1"]].tolist() == [2.5, 3.0]
    assert measured[[f"bbox_{s}_{a}" for s in ("start", "stop") for a in (0, 1)]].tolist() == [
        1,
        2,
        5,
        5,
    ]


def test_uint64_ids_near_two_to_the_64_stay_exact_in_a_zarr_pair():
    true = np.zeros((20, 20), np.uint64)
    pred = np.zeros((20, 20), np.uint64)
    true[2:12, 3:15] = HUGE  # 2**64 - 11: float64 would round it to 2**64
    true[15:19, 0:20] = HUGE - 1
    pred[2:12, 3:14] = HUGE - 2  # matches HUGE (IoU 110/120)
    table = nse.review_objects(zarr_array(true, (7, 6)), zarr_array(pred, (5, 9)))
    assert table["label"].dtype == np.uint64
    rows = table.set_index(["kind", "label"])
    assert rows.loc[("true", HUGE), "status"] == "TP"
    assert rows.loc[("true", HUGE), "partner"] == HUGE - 2
    assert rows.loc[("true", HUGE - 1), "bbox_stop_1"] == 20
    assert rows.loc[("pred", HUGE - 2), "centroid_1"] == 8.0  # columns 3..13
    errors = nse.error_map(zarr_array(true, (7, 6)), pred).compute()
    assert errors[15, 0] == nse.core.review.FN and errors[2, 3] == nse.core.review.TP


def test_probabilities_outside_zero_one_in_a_chunk_are_refused_when_read():
    labels = da.ones((4, 4), dtype=np.uint8, chunks=2)
    prob = np.full((4, 4), 0.5)
    prob[3, 3] = 1.5
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        nse.object_measurements(labels, da.from_array(prob, chunks=2))
    prob[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        nse.review_objects(labels, labels, probability=da.from_array(prob, chunks=2))


def zarr_array(image, chunks):
    store = zarr.create_array({}, shape=image.shape, chunks=chunks, dtype=image.dtype)
    store[...] = image
    return store


class Recording:
    """A zarr-like array that records every read."""

    def __init__(self, data, chunks):
        self.data, self.chunks = data, chunks
        self.shape, self.dtype, self.ndim = data.shape, data.dtype, data.ndim
        self.reads = []

    def __getitem__(self, index):
        block = self.data[index]
        self.reads.append(block.size)
        return block


def test_the_review_reads_one_chunk_at_a_time_never_whole():
    rng = np.random.default_rng(8)
    true = Recording(rectangles(rng, (40, 40), 8, np.arange(1, 9), np.uint16), (10, 10))
    pred = Recording(rectangles(rng, (40, 40), 8, np.arange(1, 9), np.uint16), (10, 10))
    prob = Recording(rng.random((40, 40)).astype(np.float32), (10, 10))
    nse.object_measurements(true, prob)
    nse.review_objects(true, pred, probability=prob)
    object_confidence(pred, prob)
    for by in ("status", "kind"):
        nse.error_map(true, pred, by=by).compute()
    nse.semantic_error_map(true, pred).compute()
    for array in (true, pred, prob):
        assert array.reads and max(array.reads) <= 100
