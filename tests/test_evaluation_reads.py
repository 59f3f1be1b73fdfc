"""The dock's evaluation of chunked layers reads each chunk as few times as its results need,
and gives the numbers of the same pixels in memory.

A layer of 4 x 4 chunks is read 16 times per pass. Counts are of chunk reads from a zarr store
on disk (metadata not counted), for a truth ``t``, a probability map ``p`` and labels ``l``.
"""

import warnings

import dask.array as da
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import napari_seg_eval as nse
from napari_seg_eval import evaluation
from napari_seg_eval.core import instance as instance_module
from reference import count_chunk_reads, rectangles

zarr = pytest.importorskip("zarr")

PASS = 16  # chunks of a 64 x 64 image in chunks of 16 x 16: one read of each
RING = 12  # of them, those holding a band of 2 pixels at the image's edge (all but 2 x 2)


@pytest.fixture
def chunk_reads(monkeypatch):
    """Chunk reads of zarr arrays on disk, by the array's folder name."""
    return count_chunk_reads(monkeypatch, lambda root: root.name)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(12)
    true = rectangles(rng, (64, 64), 12, np.arange(1, 13), np.uint32)
    prob = np.clip((true > 0) * 0.8 + rng.normal(0, 0.2, true.shape), 0, 1).astype(np.float32)
    labels = rectangles(rng, (64, 64), 12, np.arange(1, 13), np.uint16)
    # class images: stripes of 3 classes that cut objects (c), and 2 classes in blocks (d)
    stripes = (1 + (np.arange(64)[:, None] // 5 + np.arange(64)[None, :] // 7) % 3).astype(np.uint8)
    blocks = (np.arange(64)[:, None] // 11 + np.arange(64)[None, :] // 13) % 2
    region = np.ones((64, 64), bool)
    region[10:30, 20:50] = False
    return {
        "t": true,
        "p": prob,
        "l": labels,
        "c": stripes,
        "d": blocks.astype(np.uint16),
        "r": region,
    }


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


# Expected reads per input: one pass (PASS) each, whatever the kind and the border band. Every
# result is an additive fold over the chunks, so all of them come from the same tasks:
# - the tables: pixel counts per pair of ids (the semantic table follows from the instance one);
# - the objects' measurements: area, coordinate sums, bounding box and probability sums per id
#   are sums, minima and maxima, so each chunk gives its own and they add up per id;
# - the border band: the ids in the chunk's part of the band, joined.
# A map's objects are known only after all chunks are joined, but each chunk's objects (its
# node keys) are not: the counts, sums and band ids are made under the node keys in the read
# that labels the chunk, and renamed to the joined ids afterwards (sums add, extremes fold),
# so neither the labels nor the mean probability nor the band read the map again.
# Before: a map was read 2 * PASS for instance or both (+ RING with a border: the joined
# labels' band), labels and the truth 2 * PASS (the measurements' pass).
CASES = [
    ("p", "semantic", 0, {"p": PASS, "t": PASS}),
    ("p", "semantic", 2, {"p": PASS, "t": PASS}),
    ("p", "instance", 0, {"p": PASS, "t": PASS}),
    ("p", "instance", 2, {"p": PASS, "t": PASS}),
    ("p", "both", 0, {"p": PASS, "t": PASS}),
    ("p", "both", 2, {"p": PASS, "t": PASS}),
    ("l", "semantic", 0, {"l": PASS, "t": PASS}),
    ("l", "instance", 0, {"l": PASS, "t": PASS}),
    ("l", "instance", 2, {"l": PASS, "t": PASS}),
    ("l", "both", 0, {"l": PASS, "t": PASS}),
    ("l", "both", 2, {"l": PASS, "t": PASS}),
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


@pytest.mark.parametrize("kind", ["semantic", "both"])
def test_a_map_with_min_size_is_read_once_for_its_mask_and_objects(
    stored, images, chunk_reads, kind
):
    # min_size drops objects, not semantic pixels: the semantic table is the mask's, made in
    # the same read as the objects' table (the mask's chunks are those the labelling reads).
    options = evaluation.ThresholdOptions(min_size=40)
    got = evaluation.evaluate(
        stored["t"], stored["p"], kind=kind, threshold=0.5, threshold_options=options
    )
    assert dict(chunk_reads) == {"p": PASS, "t": PASS}
    memory = evaluation.evaluate(
        images["t"], images["p"], kind=kind, threshold=0.5, threshold_options=options
    )
    assert_same_tables(memory.tables, got.tables)
    mask = images["p"] > 0.5
    truth = images["t"] > 0
    assert got.semantic.summary["pixel_accuracy"] == pytest.approx(np.mean(mask == truth))


def test_the_ctc_preset_counts_from_the_table_read(stored, images, chunk_reads):
    # SEG and DET come from the overlap table the chunked evaluation reads anyway (before:
    # ctc_metrics read both images again).
    got = evaluation.evaluate(stored["t"], stored["l"], preset="ctc")
    assert dict(chunk_reads) == {"l": PASS, "t": PASS}
    memory = evaluation.evaluate(images["t"], images["l"], preset="ctc")
    assert got.ctc.to_dict() == memory.ctc.to_dict()


# Object classes given as class images: each object's class is the majority of its voting
# pixels (not ignored, inside the region), a count per (object, class), which adds up over
# chunks: the class images are counted in the same read as the tables (a map's objects under
# each chunk's node keys, renamed after the join). Before: each side's majority read its
# labels and its class image again (one image for both sides: twice), 2 * PASS each.
CLASS_CASES = [
    ("l", ("c", "c"), {}, {"t": PASS, "l": PASS, "c": PASS}),
    ("l", ("c", "d"), {}, {"t": PASS, "l": PASS, "c": PASS, "d": PASS}),
    ("l", ("c", "c"), {"region": "r"}, {"t": PASS, "l": PASS, "c": PASS, "r": PASS}),
    ("p", ("c", "c"), {}, {"t": PASS, "p": PASS, "c": PASS}),
    ("p", ("d", "c"), {"region": "r"}, {"t": PASS, "p": PASS, "c": PASS, "d": PASS, "r": PASS}),
]


@pytest.mark.parametrize(("prediction", "classes", "inputs", "expected"), CLASS_CASES)
def test_class_images_are_counted_in_the_read_of_the_tables(
    stored, images, chunk_reads, prediction, classes, inputs, expected
):
    extra = {"threshold": 0.5} if prediction == "p" else {}
    true_class, pred_class = classes
    given = {key: stored[name] for key, name in inputs.items()}
    got = evaluation.evaluate(
        stored["t"],
        stored[prediction],
        true_classes=stored[true_class],
        pred_classes=stored[pred_class],
        ignore_label=int(images["t"][32, 32]) or None,  # an object's id: its pixels do not vote
        exclude_border=2,
        **given,
        **extra,
    )
    assert dict(chunk_reads) == expected
    memory = evaluation.evaluate(
        images["t"],
        images[prediction],
        true_classes=images[true_class],
        pred_classes=images[pred_class],
        ignore_label=int(images["t"][32, 32]) or None,
        exclude_border=2,
        **{key: images[name] for key, name in inputs.items()},
        **extra,
    )
    assert_same_tables(memory.tables, got.tables)
    assert not got.tables["instance_per_class"].empty


# The coco preset's scores are the predicted objects' mean probability (inside the region):
# sums per object, folded in the same read (with a region, over the pixels inside it; a map's
# objects under each chunk's node keys); its matching is the table's. Before: the matching
# read both images again (a map: its labels), and with a region the scores another time.
COCO_CASES = [
    ("p", {}, {"t": PASS, "p": PASS}),
    ("p", {"region": "r"}, {"t": PASS, "p": PASS, "r": PASS}),
    ("l", {"confidence": "p"}, {"t": PASS, "l": PASS, "p": PASS}),
    ("l", {"confidence": "p", "region": "r"}, {"t": PASS, "l": PASS, "p": PASS, "r": PASS}),
]


@pytest.mark.parametrize(("prediction", "inputs", "expected"), COCO_CASES)
def test_the_coco_preset_scores_and_matches_in_the_read_of_the_tables(
    stored, images, chunk_reads, prediction, inputs, expected
):
    extra = {"threshold": 0.5} if prediction == "p" else {}
    got = evaluation.evaluate(
        stored["t"],
        stored[prediction],
        preset="coco",
        **{key: stored[name] for key, name in inputs.items()},
        **extra,
    )
    assert dict(chunk_reads) == expected
    memory = evaluation.evaluate(
        images["t"],
        images[prediction],
        preset="coco",
        **{key: images[name] for key, name in inputs.items()},
        **extra,
    )
    assert_same_tables(memory.tables, got.tables)


def small_stores(tmp_path, arrays: dict) -> dict:
    """8 x 8 images as zarr arrays of 2 x 2 chunks of 4 x 4 on disk."""
    out = {}
    for name, image in arrays.items():
        array = zarr.create_array(
            str(tmp_path / name), shape=image.shape, chunks=(4, 4), dtype=image.dtype
        )
        array[...] = image
        out[name] = zarr.open_array(str(tmp_path / name), mode="r")
    return out


def test_a_class_vote_split_across_chunks_by_hand(tmp_path, chunk_reads):
    # Chunks of 4 x 4 cut an 8 x 8 map into 2 x 2. Predicted object A (row 1, columns 2-6)
    # lies in two chunks: columns 2-3 of class 2 (chunk 0), columns 4-5 of class 1 and column
    # 6 of class 3 (chunk 1). Joined: class 1 two pixels, class 2 two, class 3 one: a tie of
    # 1 and 2, to the smaller, 1 (each chunk's own majority would say 2, and 1). Object B
    # (rows 5-6, columns 1-2): classes 1 at (5, 1) and (6, 1), 2 at (5, 2) and (6, 2); (5, 1)
    # is under the ignored truth id 7 and does not vote: 2 pixels of class 2, 1 of class 1,
    # class 2 (were it to vote, a tie, class 1). Truth: A's pixels as object 3, B's as 5 but
    # (5, 1), of id 7; one class image for both sides.
    prob = np.zeros((8, 8), np.float32)
    prob[1, 2:7], prob[5:7, 1:3] = 0.9, 0.9
    true = np.zeros((8, 8), np.uint8)
    true[1, 2:7], true[5:7, 1:3], true[5, 1] = 3, 5, 7
    classes = np.zeros((8, 8), np.uint8)
    classes[1, 2:4], classes[1, 4:6], classes[1, 6] = 2, 1, 3
    classes[5:7, 1:3], classes[5:7, 1] = 2, 1
    stores = small_stores(tmp_path, {"t": true, "p": prob, "c": classes})
    record = evaluation.evaluate(
        stores["t"],
        stores["p"],
        true_classes=stores["c"],
        pred_classes=stores["c"],
        threshold=0.5,
        ignore_label=7,
        iou_thresholds=(0.5,),
    )
    assert dict(chunk_reads) == {"t": 4, "p": 4, "c": 4}  # each of the 2 x 2 chunks once
    # Both sides: A (truth 3, prediction 1) of class 1, B (truth 5, prediction 2) of class 2;
    # B's pixels not on id 7 are truth 5's 3: IoU 1. Each is matched within its class.
    confusion = record.instance.class_confusion
    assert confusion.loc[1, 1] == 1 and confusion.loc[2, 2] == 1
    assert confusion.to_numpy().sum() == 2
    per_class = record.instance.per_class.set_index("class")
    assert per_class["tp"].tolist() == [1, 1] and per_class["fp"].tolist() == [0, 0]


def test_coco_scores_inside_the_region_by_hand(tmp_path, chunk_reads):
    # 8 x 8 in chunks of 4 x 4. Predicted P1 (rows 1-2, columns 1-2, probability 0.6) is truth
    # T1 exactly (IoU 1); P2 (rows 3-4, columns 5-7: 6 pixels across two chunks) is false:
    # probability 0.55 in column 5, 0.85 in columns 6-7. Without a region P2's mean is
    # (2 * 0.55 + 4 * 0.85) / 6 = 0.75 > 0.6: ranked first, a miss, then the hit: precision
    # 1/2 at recall 1, AP 1/2 at every IoU threshold. The region leaves columns 6-7 out: P2's
    # mean inside is 0.55 < 0.6, the hit first: AP 1.
    prob = np.zeros((8, 8), np.float32)
    prob[1:3, 1:3] = 0.6
    prob[3:5, 5], prob[3:5, 6:8] = 0.55, 0.85
    true = np.zeros((8, 8), np.uint8)
    true[1:3, 1:3] = 1
    region = np.ones((8, 8), bool)
    region[:, 6:] = False
    stores = small_stores(tmp_path, {"t": true, "p": prob, "r": region})
    whole = evaluation.evaluate(stores["t"], stores["p"], threshold=0.5, preset="coco")
    assert dict(chunk_reads) == {"t": 4, "p": 4}  # each of the 2 x 2 chunks once
    assert whole.coco.summary["map"] == pytest.approx(0.5)
    chunk_reads.clear()
    inside = evaluation.evaluate(
        stores["t"], stores["p"], threshold=0.5, preset="coco", region=stores["r"]
    )
    assert dict(chunk_reads) == {"t": 4, "p": 4, "r": 4}
    assert inside.coco.summary["map"] == pytest.approx(1.0)
    assert inside.coco.per_threshold["fp"].tolist() == [1] * 10  # P2 is scored, last


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


def assert_same_record(expected, got) -> None:
    """The measurements (dtypes included) and the objects excluded at the border."""
    if expected.measurements is None:
        assert got.measurements is None
    else:
        assert_same_tables(
            {"measurements": expected.measurements}, {"measurements": got.measurements}
        )
    if expected.instance is not None:
        for side in ("excluded_true", "excluded_pred"):
            np.testing.assert_array_equal(
                getattr(got.instance, side), getattr(expected.instance, side), err_msg=side
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
    if draw(st.booleans()):  # the objects' mean confidence (a map's own, if it is one)
        inputs["confidence"] = rng.random(shape).astype(np.float32)
    # Object classes go with semantic metrics foreground vs background only (refused else).
    with_classes = options["kind"] == "instance" or options["binarize_semantic"]
    if options["kind"] != "semantic" and with_classes and draw(st.booleans()):
        classes = rng.integers(1, 4, shape).astype(np.uint8)
        inputs["true_classes"] = inputs["pred_classes"] = classes
    scored = probability or "confidence" in inputs
    if options["kind"] != "semantic" and scored and draw(st.booleans()):  # the coco preset
        del options["iou_thresholds"], options["exclude_border"]
        options["preset"] = "coco"
    chunks = [tuple(int(rng.integers(1, s + 1)) for s in shape) for _ in range(6)]
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
    assert_same_record(expected, got)
    assert isinstance(got.prediction, da.Array)
    np.testing.assert_array_equal(np.asarray(got.prediction), expected.prediction)
    np.testing.assert_array_equal(np.asarray(got.semantic_prediction), expected.semantic_prediction)
    # the same warnings (the in-memory one names the binarized ignored id, 2, not the user's);
    # a ResourceWarning is another test's file closed by the garbage collector meanwhile
    assert _ours(memory_warnings) == _ours(lazy_warnings)


def _ours(caught: list) -> list[str]:
    """The categories of the warnings the evaluation gave, sorted."""
    return sorted(w.category.__name__ for w in caught if w.category is not ResourceWarning)


def test_a_labels_evaluation_reads_a_confidence_layer_once_too(stored, images, chunk_reads):
    # the objects' mean confidence is a sum per object, folded in the one read of the tables
    got = evaluation.evaluate(
        stored["t"], stored["l"], confidence=stored["p"], kind="both", exclude_border=2
    )
    assert dict(chunk_reads) == {"t": PASS, "l": PASS, "p": PASS}
    memory = evaluation.evaluate(
        images["t"], images["l"], confidence=images["p"], kind="both", exclude_border=2
    )
    assert_same_tables(memory.tables, got.tables)
    assert_same_record(memory, got)


def test_objects_across_chunks_measured_and_excluded_by_hand():
    # Chunks of 4 x 4 cut an 8 x 8 map into 2 x 2. Object A (row 1, columns 0-5) lies in the
    # top two chunks and touches the image's edge (column 0) only in the first one: its part
    # in the second chunk is inside, yet the joined object is excluded. Object B (rows 3-4,
    # columns 2-5) lies in all four chunks, inside. Probabilities are exact in float32.
    prob = np.zeros((8, 8), np.float32)
    prob[1, 0:6] = 0.75
    prob[3, 2:6], prob[4, 2:6] = 0.5, 1.0
    true = np.zeros((8, 8), np.uint16)
    true[1, 0:6], true[3:5, 2:6] = 3, 9
    got = evaluation.evaluate(
        da.from_array(true, chunks=(4, 4)),
        da.from_array(prob, chunks=(4, 4)),
        threshold=0.4,
        kind="both",
        exclude_border=1,
    )
    # A: 6 pixels, centroid (1, 2.5), box rows 1..2 columns 0..6, mean 0.75;
    # B: 8 pixels, centroid (3.5, 3.5), box rows 3..5 columns 2..6, mean (0.5 + 1) / 2.
    # Predicted labels in raster order of first pixels: A is 1, B is 2.
    expected = pd.DataFrame(
        {
            "label": np.array([3, 9, 1, 2], np.uint16),
            "area": np.array([6, 8, 6, 8], np.int64),
            "centroid_0": [1.0, 3.5] * 2,
            "centroid_1": [2.5, 3.5] * 2,
            "bbox_start_0": np.array([1, 3] * 2, np.int64),
            "bbox_stop_0": np.array([2, 5] * 2, np.int64),
            "bbox_start_1": np.array([0, 2] * 2, np.int64),
            "bbox_stop_1": np.array([6, 6] * 2, np.int64),
            "mean_confidence": [0.75] * 4,
            "kind": ["true", "true", "pred", "pred"],
        }
    )
    pd.testing.assert_frame_equal(got.measurements, expected)
    assert got.instance.excluded_true.tolist() == [3]
    assert got.instance.excluded_pred.tolist() == [1]
    assert got.prediction.dtype == np.uint8  # two objects: the in-memory labels' dtype
    memory = evaluation.evaluate(true, prob, threshold=0.4, kind="both", exclude_border=1)
    pd.testing.assert_frame_equal(memory.measurements, expected)
    assert_same_tables(memory.tables, got.tables)


def test_a_numpy_truth_with_a_chunked_map_of_classes_is_measured():
    # Regression: with a class axis the map is no confidence, so the truth's measurements
    # had no chunked input to fold over (numpy truth): the evaluation stopped with an error.
    true = np.zeros((12, 10), np.uint16)
    true[2:6, 1:5], true[7:11, 4:9] = 1, 2  # 16 and 20 pixels
    prob = np.zeros((2, 12, 10), np.float32)
    prob[0, 2:6, 1:5] = prob[1, 7:11, 4:9] = 0.9
    options = {
        "threshold": 0.5,
        "threshold_options": evaluation.ThresholdOptions(channel_axis=0),
        "kind": "both",
        "exclude_border": 1,
    }
    got = evaluation.evaluate(true, da.from_array(prob, chunks=(2, 5, 4)), **options)
    # the truth's objects, then the two predicted ones (one per class), the same pixels
    assert got.measurements["area"].tolist() == [16, 20, 16, 20]
    memory = evaluation.evaluate(true, prob, **options)
    assert_same_tables(memory.tables, got.tables)
    assert_same_record(memory, got)
