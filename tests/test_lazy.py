"""Chunked (dask, zarr) inputs give exactly the in-memory results, and are never read whole."""

from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

import napari_seg_eval as nse
from napari_seg_eval.core.overlap import OverlapTable
from napari_seg_eval.core.threshold import chunked_labelling
from napari_seg_eval.io import evaluate_files
from reference import count_chunk_reads, rectangles

FIELDS = [f for f in OverlapTable.__dataclass_fields__]
HUGE = np.iinfo(np.uint64).max - 10  # ids near 2**64: exact only without a float detour
FAR = 2_600_000  # ids of a chunk far into a large slide, where 0 is set apart from them


def same_table(a: OverlapTable, b: OverlapTable) -> None:
    for name in FIELDS:
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        np.testing.assert_array_equal(left, right, err_msg=name)


def random_chunks(rng, shape):
    return tuple(int(rng.integers(1, s + 1)) for s in shape)


@st.composite
def label_pairs(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = draw(st.sampled_from([(23, 31), (40, 9), (7, 11, 13), (64,)]))
    kind = draw(st.sampled_from(["small", "huge", "far"]))
    if kind == "huge":
        dtype, ids = np.uint64, HUGE - np.arange(12, dtype=np.uint64)
    elif kind == "far":  # a tile far into a slide: 0 and ids in the millions
        dtype, ids = np.dtype(draw(st.sampled_from(["uint32", "int64"]))), FAR + np.arange(12)
    else:
        dtype = np.dtype(draw(st.sampled_from(["uint8", "uint32", "int64"])))
        ids = np.arange(1, 13)
    true = rectangles(rng, shape, int(rng.integers(0, 8)), ids, dtype)
    pred = rectangles(rng, shape, int(rng.integers(0, 8)), ids[::-1], dtype)
    ignore = draw(st.sampled_from([None, "present"]))
    ignore_label = int(true.flat[int(rng.integers(0, true.size))]) if ignore else None
    return true, pred, random_chunks(rng, shape), random_chunks(rng, shape), ignore_label


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.filterwarnings("ignore:.*ignore_label=0 leaves out:UserWarning")  # 0 drawn
@SETTINGS
@given(label_pairs())
def test_chunked_label_metrics_equal_the_in_memory_ones(case):
    true, pred, true_chunks, pred_chunks, ignore_label = case
    lazy_true = da.from_array(true, chunks=true_chunks)
    lazy_pred = da.from_array(pred, chunks=pred_chunks)  # another grid than the truth's
    same_table(
        nse.overlap_table(true, pred, ignore_label=ignore_label),
        nse.overlap_table(lazy_true, lazy_pred, ignore_label=ignore_label),
    )
    if not (true == ignore_label).all():
        pd.testing.assert_frame_equal(
            nse.semantic_metrics(true, pred, ignore_label=ignore_label).per_class,
            nse.semantic_metrics(lazy_true, lazy_pred, ignore_label=ignore_label).per_class,
        )
    memory = nse.instance_metrics(true, pred, ignore_label=ignore_label)
    chunked = nse.instance_metrics(lazy_true, pred, ignore_label=ignore_label)
    pd.testing.assert_frame_equal(memory.per_threshold, chunked.per_threshold)
    pd.testing.assert_series_equal(memory.summary, chunked.summary)


def test_zarr_inputs_equal_numpy_and_ids_near_two_to_the_64_stay_exact():
    rng = np.random.default_rng(3)
    ids = HUGE - np.arange(12, dtype=np.uint64)
    true = rectangles(rng, (50, 60), 10, ids, np.uint64)
    pred = rectangles(rng, (50, 60), 10, ids[::-1], np.uint64)
    stores = []
    for image, chunks in ((true, (16, 16)), (pred, (7, 25))):
        store = zarr.create_array({}, shape=image.shape, chunks=chunks, dtype=image.dtype)
        store[...] = image
        stores.append(store)
    table = nse.overlap_table(*stores)
    same_table(nse.overlap_table(true, pred), table)
    assert table.true_ids.dtype == np.uint64 and int(table.true_ids.max()) > 2**63


def test_an_image_whose_first_block_shares_no_pixel_keeps_its_id_dtype():
    # Regression: a block without any pair of non-zero ids made int64 ids of uint16 ones.
    true = np.zeros(1 << 21, np.uint16)
    true[-10:] = 5  # the only object, in the second block of a million pixels
    table = nse.overlap_table(true, true)
    assert table.pair_true.dtype == table.true_ids.dtype == np.uint16
    assert nse.semantic_metrics(true, true).per_class["class"].dtype == np.uint16


def test_dataset_metrics_of_chunked_images_and_stacks():
    rng = np.random.default_rng(4)
    trues = [rectangles(rng, (30, 30), 6, np.arange(1, 7), np.uint16) for _ in range(3)]
    preds = [rectangles(rng, (30, 30), 6, np.arange(1, 7), np.uint16) for _ in range(3)]
    memory = nse.dataset_metrics(trues, preds)
    chunked = nse.dataset_metrics(
        [da.from_array(t, chunks=11) for t in trues], [da.from_array(p, chunks=7) for p in preds]
    )
    pd.testing.assert_frame_equal(memory.per_image, chunked.per_image)
    pd.testing.assert_frame_equal(memory.pooled, chunked.pooled)
    stack = nse.dataset_metrics(
        da.from_array(np.stack(trues), chunks=(1, 13, 13)), np.stack(preds), axis=0
    )
    pd.testing.assert_frame_equal(memory.per_image, stack.per_image)
    with pytest.raises(TypeError, match="axis"):
        nse.dataset_metrics(da.from_array(np.stack(trues)), np.stack(preds))


# ---- probability maps -------------------------------------------------------------------


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.sampled_from([(37, 29), (6, 9, 11)]))
def test_chunked_probability_passes_equal_the_in_memory_ones(seed, shape):
    rng = np.random.default_rng(seed)
    true = rectangles(rng, shape, 5, np.arange(1, 6), np.uint8)
    prob = rng.random(shape).astype(rng.choice([np.float32, np.float64]))
    prob[rng.random(shape) < 0.1] = 0.5  # exactly at the threshold: not foreground
    lazy = da.from_array(prob, chunks=random_chunks(rng, shape))
    lazy_true = da.from_array(true, chunks=random_chunks(rng, shape))

    mask = nse.threshold_probabilities(lazy, 0.5)
    assert isinstance(mask, da.Array)
    np.testing.assert_array_equal(mask.compute(), nse.threshold_probabilities(prob, 0.5))
    pd.testing.assert_frame_equal(
        nse.threshold_sweep(true, prob, steps=50).per_threshold,
        nse.threshold_sweep(lazy_true, lazy, steps=50).per_threshold,
    )
    memory = nse.calibration(true, prob, method="temperature")
    chunked = nse.calibration(lazy_true, lazy, method="temperature")
    for column in ("count", "bin_lower", "bin_upper"):  # counts: exact
        pd.testing.assert_series_equal(memory.bins[column], chunked.bins[column])
    # sums of floats: the same up to the order of additions
    pd.testing.assert_frame_equal(memory.bins, chunked.bins, rtol=1e-12, atol=0)
    np.testing.assert_allclose(
        memory.summary.astype(float), chunked.summary.astype(float), rtol=1e-9
    )


def test_chunked_multiclass_threshold_and_class_sweep():
    rng = np.random.default_rng(5)
    prob = rng.dirichlet([1, 1, 1], (20, 30)).astype(np.float32)  # channels last
    lazy = da.from_array(prob, chunks=(7, 8, 1))  # the class axis split: joined per chunk
    labels = nse.threshold_probabilities(lazy, 0.4, channel_axis=-1)
    np.testing.assert_array_equal(
        labels.compute(), nse.threshold_probabilities(prob, 0.4, channel_axis=-1)
    )
    true = rng.integers(0, 4, (20, 30))
    pd.testing.assert_frame_equal(
        nse.threshold_sweep(true, prob, class_id=2, channel_axis=-1, steps=20).per_threshold,
        nse.threshold_sweep(true, lazy, class_id=2, channel_axis=-1, steps=20).per_threshold,
    )
    calibrated = nse.apply_temperature(lazy[..., 0], 2.0)
    assert isinstance(calibrated, da.Array)
    np.testing.assert_array_equal(calibrated.compute(), nse.apply_temperature(prob[..., 0], 2.0))


def test_chunked_probabilities_out_of_range_are_refused_when_read():
    above = da.from_array(np.array([[0.2, 1.5], [0.1, 0.3]]), chunks=1)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        nse.threshold_probabilities(above).compute()
    nan = da.from_array(np.array([[0.2, 0.5], [0.1, np.nan]]), chunks=1)
    with pytest.raises(ValueError, match="NaN"):
        nse.threshold_sweep(np.zeros((2, 2), int), nan)


# ---- labelling a chunked mask ----------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([(31, 43), (9, 10, 12), (80,)]),
    st.floats(0.3, 0.7),
    st.booleans(),
)
def test_chunked_labels_equal_the_in_memory_labels(seed, shape, density, classes):
    rng = np.random.default_rng(seed)
    if classes:  # a class image: each class labelled on its own, across chunk borders too
        mask = (rng.random(shape) < density) * rng.integers(1, 3, shape).astype(np.uint8)
    else:
        mask = rng.random(shape) < density
    lazy = da.from_array(mask, chunks=random_chunks(rng, shape))
    connectivity = int(rng.integers(1, len(shape) + 1))
    min_size = int(rng.integers(0, 5))
    expected = nse.label_instances(mask, connectivity=connectivity, min_size=min_size)
    labels = nse.label_instances(lazy, connectivity=connectivity, min_size=min_size)
    assert isinstance(labels, da.Array) and labels.dtype == expected.dtype
    np.testing.assert_array_equal(labels.compute(), expected)  # the same ids, not only objects


def test_a_spiral_through_many_chunks_is_one_object():
    mask = np.zeros((30, 30), bool)
    mask[1, 1:29] = mask[1:29, 28] = mask[28, 2:29] = mask[4:29, 2] = mask[4, 2:25] = True
    labels = nse.label_instances(da.from_array(mask, chunks=4), min_size=2).compute()
    assert labels.max() == 1 and np.array_equal(labels > 0, mask)
    # touching only by a corner across the corner of four chunks: one object with
    # connectivity 2, two with connectivity 1
    corner = np.zeros((8, 8), bool)
    corner[3, 3] = corner[4, 4] = True
    lazy = da.from_array(corner, chunks=4)
    assert nse.label_instances(lazy, connectivity=2).compute().max() == 1
    assert nse.label_instances(lazy, connectivity=None).compute().max() == 1
    assert nse.label_instances(lazy).compute().max() == 2  # faces only by default


def test_split_touching_on_a_chunked_mask_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match=r"split_touching.*np\.asarray\(mask\)"):
        nse.label_instances(da.zeros((8, 8), dtype=bool, chunks=4), split_touching=True)


def test_threshold_label_and_evaluate_a_chunked_map():
    rng = np.random.default_rng(6)
    true = rectangles(rng, (60, 70), 12, np.arange(1, 13), np.uint32)
    prob = np.clip((true > 0) * 0.8 + rng.normal(0, 0.2, true.shape), 0, 1).astype(np.float32)
    lazy = da.from_array(prob, chunks=(16, 23))
    labels = nse.label_instances(nse.threshold_probabilities(lazy), min_size=3)
    expected = nse.label_instances(nse.threshold_probabilities(prob), min_size=3)
    pd.testing.assert_frame_equal(
        nse.instance_metrics(true, expected).per_threshold,
        nse.instance_metrics(da.from_array(true, chunks=20), labels).per_threshold,
    )


# ---- never read whole, checked before reading --------------------------------------------


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


def test_chunked_inputs_are_read_chunk_by_chunk_never_whole():
    rng = np.random.default_rng(7)
    true = Recording(rectangles(rng, (40, 40), 8, np.arange(1, 9), np.uint16), (10, 10))
    pred = Recording(rectangles(rng, (40, 40), 8, np.arange(1, 9), np.uint16), (10, 10))
    prob = Recording(rng.random((40, 40)).astype(np.float32), (10, 10))
    nse.instance_metrics(true, pred)
    nse.semantic_metrics(true, pred)
    nse.threshold_sweep(true, prob)
    nse.calibration(true, prob)
    nse.label_instances(nse.threshold_probabilities(prob)).compute()
    for array in (true, pred, prob):
        assert array.reads and max(array.reads) <= 100


def test_lazy_inputs_are_checked_without_being_read():
    def explode():
        raise AssertionError("the data was read")

    from dask import delayed

    float_labels = da.from_delayed(delayed(explode)(), (4, 4), dtype=np.float32)
    int_labels = da.from_delayed(delayed(explode)(), (4, 4), dtype=np.int32)
    with pytest.raises(TypeError, match="integer label image"):
        nse.instance_metrics(float_labels, int_labels)
    with pytest.raises(ValueError, match="shape mismatch"):
        nse.semantic_metrics(int_labels, int_labels[:2])
    with pytest.raises(TypeError, match="floating point"):
        nse.threshold_probabilities(int_labels)
    with pytest.raises(TypeError, match="ground truth comes first"):
        nse.calibration(float_labels, int_labels)
    assert isinstance(nse.threshold_probabilities(float_labels), da.Array)  # nothing read yet


# ---- a chunked map read once for its labels and both tables ---------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([(31, 43), (9, 10, 12), (80,)]),
    st.booleans(),
    st.sampled_from([None, "ignore", "region"]),
)
def test_a_table_of_node_keys_relabelled_is_the_table_of_the_labels(seed, shape, classes, left):
    """The instance table counted on each chunk's own labels (node keys), in the read that
    joins the objects, then relabelled, is exactly the table of the truth with the joined
    labels: ids, areas, pairs and dtypes, with objects dropped by size and pixels left out."""
    rng = np.random.default_rng(seed)
    if classes:
        mask = (rng.random(shape) < 0.5) * rng.integers(1, 3, shape).astype(np.uint8)
    else:
        mask = rng.random(shape) < 0.5
    true = rectangles(rng, shape, 6, np.arange(1, 7), rng.choice([np.uint8, np.int64]))
    if rng.random() < 0.2:
        true = true > 0  # a boolean truth: counted as uint8
    options = {
        "ignore_label": int(true.flat[0]) if left == "ignore" else None,
        "region": rng.random(shape) < 0.7 if left == "region" else None,
    }
    connectivity = int(rng.integers(1, len(shape) + 1))
    min_size = int(rng.integers(0, 5))
    labelling = chunked_labelling(
        da.from_array(mask, chunks=random_chunks(rng, shape)),
        connectivity=connectivity,
        min_size=min_size,
    )
    lazy_true = da.from_array(true, chunks=random_chunks(rng, shape))  # another grid
    summaries, node_table = labelling.table_lazy(lazy_true, **options).compute()
    joined = labelling.join(summaries)
    true_dtype = np.uint8 if true.dtype == bool else true.dtype
    expected = nse.label_instances(mask, connectivity=connectivity, min_size=min_size)
    np.testing.assert_array_equal(joined.labels.compute(), expected)
    assert joined.labels.dtype == expected.dtype
    same_table(
        joined.relabelled(node_table, true_dtype), nse.overlap_table(true, expected, **options)
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([(31, 43), (9, 10, 12), (80,)]),
    st.booleans(),
    st.sampled_from([0, 1, 3]),
)
def test_measurements_and_band_of_node_keys_renamed_are_those_of_the_labels(
    seed, shape, probability, width
):
    """The sums of each chunk's objects (node keys) and its ids in the image's band, made in
    the read that joins the objects and renamed after it, are exactly the measurements and
    the band ids of the joined labels (dtypes too), on random grids, in 1-D to 3-D."""
    from napari_seg_eval.core.instance import border_ids
    from napari_seg_eval.core.review import (
        measure_both,
        measurements_from_sums,
        object_sums_lazy,
        relabelled_sums,
    )

    rng = np.random.default_rng(seed)
    # blobs of 2 x 2 ... pixels: objects cross chunk borders and touch the edge in one chunk
    coarse = rng.random(tuple(-(-s // 2) for s in shape)) < 0.4
    mask = np.kron(coarse, np.ones((2,) * len(shape), bool))[tuple(slice(0, s) for s in shape)]
    prob = rng.random(shape).astype(np.float32) if probability else None
    true = rectangles(rng, shape, 6, np.arange(1, 7), np.uint16)
    min_size = int(rng.integers(0, 6))
    labelling = chunked_labelling(
        da.from_array(mask, chunks=random_chunks(rng, shape)), min_size=min_size
    )
    lazy_prob = None if prob is None else da.from_array(prob, chunks=random_chunks(rng, shape))
    summaries, node_table, node_sums, band, _ = labelling.passes_lazy(
        true, probability=lazy_prob, border=width
    ).compute()
    joined = labelling.join(summaries)
    expected = nse.label_instances(mask, min_size=min_size)
    same_table(joined.relabelled(node_table, true.dtype), nse.overlap_table(true, expected))
    renamed = joined.global_ids(band)
    np.testing.assert_array_equal(np.unique(renamed[renamed > 0]), border_ids(expected, width))
    pred_sums = relabelled_sums(node_sums, joined.global_ids(node_sums["label"]))
    (true_sums,) = object_sums_lazy([da.from_array(true, chunks=5)], lazy_prob).compute()
    got = measurements_from_sums(true_sums, pred_sums, len(shape))
    memory = measure_both(true, expected, prob)
    confidence = [c for c in memory.columns if c.endswith("_confidence")]
    pd.testing.assert_frame_equal(got.drop(columns=confidence), memory.drop(columns=confidence))
    pd.testing.assert_frame_equal(got[confidence], memory[confidence], rtol=1e-12, atol=0)


def test_chunked_labelling_takes_chunked_masks_and_checks_before_reading():
    with pytest.raises(ValueError, match=r"chunked.*label_instances"):
        chunked_labelling(np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match="connectivity must be between 1 and 2"):
        chunked_labelling(da.zeros((4, 4), dtype=bool, chunks=2), connectivity=3)
    with pytest.raises(TypeError, match="boolean or integer"):
        chunked_labelling(da.zeros((4, 4), chunks=2))
    labelling = chunked_labelling(da.zeros((4, 4), dtype=bool, chunks=2))
    with pytest.raises(ValueError, match="shape mismatch"):
        labelling.table_lazy(np.zeros((4, 5), np.uint8))
    with pytest.raises(ValueError, match="ignore_label"):
        labelling.table_lazy(np.zeros((4, 4), np.uint8), ignore_label=-1)
    with pytest.raises(ValueError, match=r"shape mismatch: labels \(4, 4\) vs probability"):
        labelling.passes_lazy(np.zeros((4, 4), np.uint8), probability=da.zeros((4, 5)))
    with pytest.raises(TypeError, match="probability"):
        labelling.passes_lazy(np.zeros((4, 4), np.uint8), probability=np.zeros((4, 4), int))
    with pytest.raises(ValueError, match="exclude_border"):
        labelling.passes_lazy(np.zeros((4, 4), np.uint8), border=-1)
    # Node keys: chunk k's object i is k * stride + i, the stride one more than the largest
    # chunk's pixels (4 here), so that keys of different chunks never meet.
    mask = np.array([[1, 0, 1], [1, 0, 1]], bool)
    labelling = chunked_labelling(da.from_array(mask, chunks=(2, 2)))  # chunks of 4 and 2 px
    assert labelling.stride == 5
    _, table = labelling.table_lazy(mask).compute()
    assert table.pred_ids.tolist() == [0, 1, 6] and table.pred_areas.tolist() == [2, 2, 2]


@pytest.fixture
def chunk_reads(monkeypatch):
    """Chunk reads of zarr arrays on disk, by the array's folder (metadata not counted)."""
    return count_chunk_reads(monkeypatch, lambda root: root.parent.name)


@pytest.mark.parametrize("kind", ["semantic", "instance", "all"])
def test_a_chunked_probability_map_is_read_once_for_every_kind(tmp_path, chunk_reads, kind):
    """A map of 4 x 4 chunks is read 16 times: each chunk once, whether it gives the semantic
    table, the instance table (its objects joined across chunks) or both. (Before: 32 reads
    for "instance" and "all": once to join the objects, once more to count the labels.)"""
    rng = np.random.default_rng(12)
    true = rectangles(rng, (64, 64), 12, np.arange(1, 13), np.uint32)
    prob = np.clip((true > 0) * 0.8 + rng.normal(0, 0.2, true.shape), 0, 1).astype(np.float32)
    for folder, image in (("t", true), ("p", prob)):
        (tmp_path / folder).mkdir()
        store = zarr.create_array(
            str(tmp_path / folder / "a.zarr"), shape=image.shape, chunks=(16, 16), dtype=image.dtype
        )
        store[...] = image
    result = evaluate_files(tmp_path / "t", tmp_path / "p", kind=kind, probability=True, min_size=3)
    assert result.n_failed == 0
    assert chunk_reads == {"t": 16, "p": 16}
    if kind != "semantic":  # the numbers of the map in memory
        labels = nse.label_instances(nse.threshold_probabilities(prob), min_size=3)
        expected = nse.instance_metrics(true, labels).summary["mean_accuracy"]
        assert result["instance"].per_image.loc[0, "mean_accuracy"] == expected


def test_joined_labels_read_the_mask_on_its_own_chunks(tmp_path, chunk_reads):
    """The joined labels are one graph layer on the mask's own chunk keys, one task per
    chunk: a computation that needs the labels and the map they come from (the objects' mean
    probability) reads each of the 4 x 4 chunks once, 16 reads. (Before: the labels read fused
    copies of the mask's chunks, the map another 16 times: 32.)"""
    import dask

    rng = np.random.default_rng(3)
    prob = rng.random((64, 64)).astype(np.float32)
    (tmp_path / "p").mkdir()
    store = zarr.create_array(
        str(tmp_path / "p" / "a.zarr"), shape=prob.shape, chunks=(16, 16), dtype=prob.dtype
    )
    store[...] = prob
    lazy = da.from_zarr(store)
    mask = nse.threshold_probabilities(lazy).astype(bool)
    labelling = chunked_labelling(mask, connectivity=1)
    joined = labelling.join(labelling.summaries_lazy().compute())
    labels = joined.labels
    assert set(labels.dask.layers) == set(mask.dask.layers) | {labels.name}
    assert labels.dask.dependencies[labels.name] == {mask.name}
    assert len(labels.dask.layers[labels.name]) == 16
    chunk_reads.clear()
    computed, total = dask.compute(labels, lazy.sum())
    assert chunk_reads == {"p": 16}
    np.testing.assert_array_equal(computed, nse.label_instances(prob > 0.5, connectivity=1))
    assert computed.dtype == labels.dtype
    assert total == pytest.approx(prob.sum(dtype=np.float64), rel=1e-6)


def write_zarr_folders(root: Path, images: dict[str, np.ndarray]) -> None:
    """Each image as ``root/<folder>/a.zarr`` in chunks of 16 x 16."""
    for folder, image in images.items():
        (root / folder).mkdir()
        store = zarr.create_array(
            str(root / folder / "a.zarr"), shape=image.shape, chunks=(16, 16), dtype=image.dtype
        )
        store[...] = image


def border_pair() -> tuple[np.ndarray, np.ndarray]:
    """64 x 64, chunks of 16 x 16. True 1 (crosses a column border) and 2 (a row border) are
    predicted exactly; true 3 touches the top edge, predicted exactly; true 4 is missed; one
    predicted object touches the bottom edge only, one inside is false. With a band of 2:
    true 3 and its prediction and the bottom object are left out: 3 true, 3 predicted, 2 TP
    at every IoU threshold (IoU 1): F1 2*2/(3+3) = 2/3, AP (DSB) 2/(2+1+1) = 1/2."""
    true = np.zeros((64, 64), np.uint32)
    true[20:30, 10:22], true[30:40, 28:36], true[0:6, 20:30], true[44:52, 44:52] = 1, 2, 3, 4
    prob = np.full(true.shape, 0.1, np.float32)
    prob[(true > 0) & (true != 4)] = 0.9
    prob[60:64, 40:50] = 0.9  # at the bottom edge only
    prob[10:14, 40:44] = 0.9  # false, inside
    return true, prob


@pytest.mark.parametrize("kind", ["instance", "all"])
def test_a_chunked_map_is_read_once_with_a_border_band(tmp_path, chunk_reads, kind):
    """With ``exclude_border`` the objects in the band are found in the read that labels the
    map's chunks (each chunk's band under its node keys, renamed after the join) and the
    truth's band in the same schedule: a map of 4 x 4 chunks and its truth are read 16 times
    each. (Before: the joined labels' band read the 12 edge chunks of the map again, and the
    truth's band its 12 edge chunks: 28 each.)"""
    true, prob = border_pair()
    write_zarr_folders(tmp_path, {"t": true, "p": prob})
    result = evaluate_files(
        tmp_path / "t", tmp_path / "p", kind=kind, probability=True, exclude_border=2
    )
    assert result.n_failed == 0
    assert chunk_reads == {"t": 16, "p": 16}
    got = result["instance"].per_image.loc[0]
    assert (got["n_true"], got["n_pred"]) == (3, 3)  # by hand (border_pair)
    assert got["f1_50"] == pytest.approx(2 / 3)
    assert got["mean_accuracy"] == pytest.approx(1 / 2)


def test_label_files_are_read_once_with_a_border_band(tmp_path, chunk_reads):
    """Chunked label files: the table and both border bands in one read, 16 reads of each
    (before: 28, the bands read the 12 edge chunks again)."""
    true, prob = border_pair()
    write_zarr_folders(tmp_path, {"t": true, "p": nse.label_instances(prob > 0.5)})
    result = evaluate_files(tmp_path / "t", tmp_path / "p", exclude_border=2)
    assert result.n_failed == 0
    assert chunk_reads == {"t": 16, "p": 16}
    got = result["instance"].per_image.loc[0]
    assert (got["n_true"], got["n_pred"]) == (3, 3)  # by hand (border_pair)
    assert got["f1_50"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("seed", range(6))
def test_the_labels_picked_in_the_read_equal_the_labels_strided(seed):
    """``evaluation_steps(sample=step)``: the labels of a chunked map at every step-th pixel,
    picked in the read that labels it, equal the joined labels strided (random chunks, steps
    and shapes; objects across chunk borders, min_size)."""
    from napari_seg_eval.evaluation import EvaluationSettings, ThresholdOptions, evaluation_steps

    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(9, 40, 2))
    prob = ndi.uniform_filter(rng.random(shape), 3).astype(np.float32)
    true = (prob > 0.5).astype(np.uint8)
    chunks = tuple(int(n) for n in rng.integers(3, 12, 2))
    step = tuple(int(n) for n in rng.integers(1, 6, 2))
    settings = EvaluationSettings(
        threshold=0.5, kind="instance", threshold_options=ThresholdOptions(min_size=2)
    )
    steps = evaluation_steps(
        da.from_array(true, chunks=chunks),
        da.from_array(prob, chunks=chunks),
        settings,
        sample=step,
    )
    while True:
        try:
            next(steps)
        except StopIteration as done:
            record = done.value
            break
    picked_step, picked = record.prediction_sample
    assert picked_step == step
    labels = np.asarray(record.prediction)
    np.testing.assert_array_equal(picked, labels[:: step[0], :: step[1]])
    assert picked.dtype == labels.dtype
