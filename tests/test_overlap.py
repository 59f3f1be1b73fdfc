import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from napari_seg_eval import overlap_table


def contingency_by_pixels(true, pred, ignore_label=None):
    """Reference: count every (true, pred) pixel pair with a Python dict."""
    counts = {}
    for t, p in zip(true.ravel().tolist(), pred.ravel().tolist(), strict=True):
        if t != ignore_label:
            counts[(t, p)] = counts.get((t, p), 0) + 1
    return counts


def as_dict(table):
    t, p, c = table.contingency()
    return {(int(a), int(b)): int(n) for a, b, n in zip(t, p, c, strict=True)}


def test_hand_computed_table():
    true = np.array([[1, 1, 0, 0], [1, 1, 2, 2], [0, 0, 2, 2]])
    pred = np.array([[1, 1, 1, 0], [0, 3, 3, 3], [0, 0, 3, 3]])
    table = overlap_table(true, pred)
    assert table.pair_true.tolist() == [1, 1, 2]
    assert table.pair_pred.tolist() == [1, 3, 3]
    assert table.pair_counts.tolist() == [2, 1, 4]
    assert table.true_ids.tolist() == [0, 1, 2] and table.true_areas.tolist() == [4, 4, 4]
    assert table.pred_ids.tolist() == [0, 1, 3] and table.pred_areas.tolist() == [4, 3, 5]
    assert as_dict(table) == {(0, 0): 3, (0, 1): 1, (1, 0): 1, (1, 1): 2, (1, 3): 1, (2, 3): 4}
    assert table.n_pixels == 12


def test_ignore_label_drops_pixels_everywhere():
    true = np.array([[1, 1, 9, 9], [0, 0, 9, 2]])
    pred = np.array([[1, 0, 1, 4], [0, 4, 4, 2]])
    table = overlap_table(true, pred, ignore_label=9)
    assert table.n_pixels == 5
    assert 9 not in table.true_ids
    # pred 4 keeps only its pixel outside the ignored region; pred 1 only its pixel at (0, 0)
    assert dict(zip(table.pred_ids.tolist(), table.pred_areas.tolist(), strict=True)) == {
        0: 2,
        1: 1,
        2: 1,
        4: 1,
    }


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_huge_ids(dtype):
    big = np.array([2**31 + 7, 2**40, 2**62], dtype=np.int64).astype(dtype)
    true = np.zeros((4, 4), dtype)
    pred = np.zeros((4, 4), dtype)
    true[:2, :2], pred[:2, :3] = big[0], big[1]
    true[2:, 2:], pred[3, :] = big[2], big[0]
    table = overlap_table(true, pred)
    assert as_dict(table) == contingency_by_pixels(true, pred)
    assert table.true_ids.dtype == dtype


def test_uint64_ids_above_int64_range():
    high = np.uint64(2**63 + 5)
    true = np.array([[0, high, high]], np.uint64)
    pred = np.array([[high, high, 0]], np.uint64)
    table = overlap_table(true, pred)
    assert table.pair_true.tolist() == [2**63 + 5] and table.pair_counts.tolist() == [1]


def test_chunks_add_up_to_the_whole():
    rng = np.random.default_rng(1)
    true = rng.integers(0, 5, (40, 30))
    pred = rng.integers(0, 7, (40, 30))
    whole = overlap_table(true, pred)
    parts = overlap_table(true[:13], pred[:13]) + overlap_table(true[13:], pred[13:])
    for field in (
        "true_ids",
        "true_areas",
        "pred_ids",
        "pred_areas",
        "pair_true",
        "pair_pred",
        "pair_counts",
    ):
        np.testing.assert_array_equal(getattr(parts, field), getattr(whole, field))


def test_fortran_order_and_3d_and_bool():
    rng = np.random.default_rng(2)
    true = np.asfortranarray(rng.integers(0, 4, (5, 6, 7)))
    pred = np.asfortranarray(rng.integers(0, 4, (5, 6, 7)))
    assert as_dict(overlap_table(true, pred)) == contingency_by_pixels(true, pred)
    mask = rng.random((5, 5)) > 0.5
    assert as_dict(overlap_table(mask, mask)) == contingency_by_pixels(
        mask.astype(int), mask.astype(int)
    )


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_runs_cross_block_boundaries(monkeypatch, chunk):
    from napari_seg_eval.core import overlap

    monkeypatch.setattr(overlap, "CHUNK_PIXELS", chunk)
    true = np.repeat(np.arange(10), 13).reshape(10, 13)
    pred = np.roll(true, 5)
    assert as_dict(overlap.overlap_table(true, pred)) == contingency_by_pixels(true, pred)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int32, st.tuples(st.integers(1, 9), st.integers(1, 9)), elements=st.integers(0, 5)),
    st.data(),
)
def test_matches_pixel_count_reference(true, data):
    pred = data.draw(arrays(np.int32, true.shape, elements=st.integers(0, 5)))
    ignore = data.draw(st.sampled_from([None, 0, 3]))
    assert as_dict(overlap_table(true, pred, ignore_label=ignore)) == contingency_by_pixels(
        true, pred, ignore
    )


@pytest.mark.parametrize(
    ("true", "pred", "error", "words"),
    [
        (np.zeros((3, 3)), np.zeros((3, 3), int), TypeError, "integer label image"),
        (np.zeros((3, 3), int), np.zeros((3, 4), int), ValueError, "shape mismatch"),
        (np.array([[-1, 0]]), np.array([[0, 0]]), ValueError, "negative"),
        (np.zeros((0, 3), int), np.zeros((0, 3), int), ValueError, "empty"),
    ],
)
def test_bad_input_names_the_problem(true, pred, error, words):
    with pytest.raises(error, match=words):
        overlap_table(true, pred)


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int32])
def test_binary_images_counted_directly_give_the_same_table(dtype):
    rng = np.random.default_rng(5)
    true = (rng.random((17, 19)) > 0.4).astype(dtype)
    pred = (rng.random((17, 19)) > 0.6).astype(dtype)
    as_int = true.astype(int), pred.astype(int)
    assert as_dict(overlap_table(true, pred)) == contingency_by_pixels(*as_int)
    # all-zero and all-one images: ids with no pixels are absent
    ones = np.ones((3, 3), dtype)
    assert as_dict(overlap_table(ones, np.zeros_like(ones))) == {(1, 0): 9}


# 2**53 and 2**53 + 1 are one float64: any promotion to float merges them.
EDGE = 2**53


def test_signed_and_uint64_images_share_one_exact_id_dtype():
    true = np.array([[EDGE, EDGE + 1, 0]], np.int64)
    pred = np.array([[EDGE + 1, EDGE + 1, 0]], np.uint64)
    table = overlap_table(true, pred)
    # int64 ids are >= 0, so uint64 holds both sides exactly (numpy would promote to float64)
    assert {table.true_ids.dtype, table.pred_ids.dtype, table.pair_true.dtype} == {
        np.dtype(np.uint64)
    }
    assert as_dict(table) == {(0, 0): 1, (EDGE, EDGE + 1): 1, (EDGE + 1, EDGE + 1): 1}


def test_tables_of_signed_and_uint64_images_add_up_exactly():
    signed = overlap_table(np.array([EDGE], np.int64), np.array([EDGE], np.int64))
    unsigned = overlap_table(np.array([EDGE + 1], np.uint64), np.array([EDGE + 1], np.uint64))
    total = signed + unsigned
    assert total.true_ids.tolist() == [EDGE, EDGE + 1]
    assert total.true_areas.tolist() == [1, 1]
    assert as_dict(total) == {(EDGE, EDGE): 1, (EDGE + 1, EDGE + 1): 1}


@pytest.mark.parametrize("ignore_label", [1.5, 1.0, "1", True, np.bool_(True), [1]])
def test_non_integer_ignore_label_is_refused(ignore_label):
    labels = np.array([[0, 1, 1]])
    with pytest.raises(TypeError, match="ignore_label must be an integer"):
        overlap_table(labels, labels, ignore_label=ignore_label)


def test_negative_ignore_label_is_refused():
    labels = np.array([[0, 1, 1]])
    with pytest.raises(ValueError, match="ignore_label must be >= 0"):
        overlap_table(labels, labels, ignore_label=-1)


def test_numpy_integer_ignore_label_works():
    true = np.array([[0, 7, 7, 1]], np.uint8)
    table = overlap_table(true, true, ignore_label=np.int64(7))
    assert table.n_pixels == 2 and table.true_ids.tolist() == [0, 1]


@pytest.mark.parametrize("scalar", [np.array(3), np.int64(3)])
def test_0d_image_is_called_a_scalar(scalar):
    with pytest.raises(ValueError, match=r"0-dimensional.*at least 1 dimension"):
        overlap_table(scalar, scalar)


@pytest.mark.parametrize(
    ("dtype", "offset"),
    [
        (np.uint32, 500_000),
        (np.int32, 2_600_000),
        (np.uint32, 2_600_000),
        (np.int64, 2**31 + 3),
        (np.uint64, 2**40),
    ],
)
def test_background_and_ids_far_from_zero(dtype, offset):
    """A chunk far into a large image: 0 and a few ids in the millions (or beyond int32)."""
    true = np.zeros((6, 8), np.int64)
    pred = np.zeros((6, 8), np.int64)
    true[1:3, 1:4], true[3:6, 2:8] = offset + 1, offset + 5  # areas 6 and 18
    pred[1:4, 1:3], pred[4:6, 4:8] = offset + 9, offset + 2  # areas 6 and 8
    true, pred = true.astype(dtype), pred.astype(dtype)
    table = overlap_table(true, pred)
    # By hand: true offset+1 holds pred offset+9 on rows 1-2, columns 1-2 (4 pixels); true
    # offset+5 holds pred offset+9 at row 3, column 2 (1 pixel) and all of offset+2 (8).
    assert table.true_ids.tolist() == [0, offset + 1, offset + 5]
    assert table.true_areas.tolist() == [48 - 24, 6, 18]
    assert table.pred_ids.tolist() == [0, offset + 2, offset + 9]
    assert table.pred_areas.tolist() == [48 - 14, 8, 6]
    assert table.pair_true.tolist() == [offset + 1, offset + 5, offset + 5]
    assert table.pair_pred.tolist() == [offset + 9, offset + 2, offset + 9]
    assert table.pair_counts.tolist() == [4, 8, 1]
    assert as_dict(table) == contingency_by_pixels(true, pred)


@pytest.mark.parametrize("dtype", [np.uint32, np.int64, np.uint64])
def test_background_is_set_apart_from_ids_far_from_zero(dtype):
    """The codes of 0 and ids near 2,600,000: a range of 5 candidates, no sort, no arange of
    millions (the per-chunk partial of a large slide is then as fast as a tile's)."""
    from napari_seg_eval.core.overlap import _codes

    values = np.array([0, 2_600_003, 0, 2_600_000, 2_600_003, 2_600_001], dtype)
    candidates, codes = _codes(values)
    # 0 stands first, then 2_600_000..2_600_003 (2_600_002 absent: callers drop zero sums).
    assert candidates.tolist() == [0, 2_600_000, 2_600_001, 2_600_002, 2_600_003]
    assert codes.tolist() == [0, 4, 0, 1, 4, 2]
    assert candidates.dtype == dtype


def test_ids_beyond_intp_with_background_are_sorted():
    from napari_seg_eval.core.overlap import _codes

    high = 2**63 + 10
    values = np.array([0, high, high - 1, 0], np.uint64)
    candidates, codes = _codes(values)
    assert candidates.tolist() == [0, high - 1, high]
    assert codes.tolist() == [0, 2, 1, 0]


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.uint32,
        st.tuples(st.integers(1, 9), st.integers(1, 9)),
        elements=st.sampled_from([0, 10**6, 10**6 + 1, 10**6 + 3, 5 * 10**6]),
    ),
    st.data(),
)
def test_ids_far_from_zero_match_pixel_count_reference(true, data):
    """0 with ids near a million (set apart from 0) or spread over millions (sorted)."""
    ids = st.sampled_from([0, 10**6 + 2, 10**6 + 3, 3 * 10**6])
    pred = data.draw(arrays(np.uint32, true.shape, elements=ids))
    assert as_dict(overlap_table(true, pred)) == contingency_by_pixels(true, pred)


def assert_same_table(table, reference):
    for name in ("true_ids", "true_areas", "pred_ids", "pred_areas"):
        np.testing.assert_array_equal(getattr(table, name), getattr(reference, name))
    assert as_dict(table) == as_dict(reference)


@settings(max_examples=80, deadline=None)
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 13)), elements=st.integers(0, 17)),
    st.data(),
)
def test_one_byte_class_images_counted_pixel_by_pixel_match_the_reference(true, data):
    # One-byte images with ids below 16 are counted as one byte a pixel (true * 16 + pred), two
    # pixels at a time (an odd count leaves one alone): the dict of every pixel's pair says
    # what the table must hold; ids 16 and 17 take the runs' path, also checked. Small run
    # blocks (CHUNK_PIXELS 1, 2, 7) make blocks of odd and even sizes and a last partial one.
    from napari_seg_eval.core import overlap

    pred = data.draw(arrays(np.uint8, true.shape, elements=st.integers(0, 17)))
    ignore = data.draw(st.sampled_from([None, 0, 3, 15, 16]))
    region = data.draw(st.one_of(st.none(), arrays(bool, true.shape)))
    chunk = data.draw(st.sampled_from([1, 2, 7, overlap.CHUNK_PIXELS]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(overlap, "CHUNK_PIXELS", chunk)
        table = overlap.overlap_table(true, pred, ignore_label=ignore, region=region)
    inside = np.ones(true.shape, bool) if region is None else region
    assert as_dict(table) == contingency_by_pixels(true[inside], pred[inside], ignore)
    wide = overlap.overlap_table(
        true.astype(np.int32), pred.astype(np.int32), ignore_label=ignore, region=region
    )
    assert_same_table(table, wide)


@pytest.mark.parametrize("dtype", [bool, np.uint8])
def test_class_images_changing_at_every_pixel(dtype, monkeypatch):
    # Noise: the class changes at nearly every pixel (runs of one pixel). 1001 x 999 pixels (an
    # odd count, more than one run block), ids 0..5 (bool: 0..1, with the ignore label).
    from napari_seg_eval.core import overlap

    counted = []
    small_ids_table = overlap._small_ids_table
    monkeypatch.setattr(
        overlap, "_small_ids_table", lambda *a: counted.append(1) or small_ids_table(*a)
    )
    rng = np.random.default_rng(3)
    high = 2 if dtype is bool else 6
    true = rng.integers(0, high, (1001, 999)).astype(dtype)
    pred = rng.integers(0, high, (1001, 999)).astype(dtype)
    ignore = 1 if dtype is bool else 2
    table = overlap_table(true, pred, ignore_label=ignore)
    wide = overlap_table(true.astype(np.int64), pred.astype(np.int64), ignore_label=ignore)
    assert_same_table(table, wide)
    # By counting: each kept pixel once, the ignored truth id nowhere.
    assert table.n_pixels == np.count_nonzero(true.astype(int) != ignore)
    assert ignore not in table.true_ids.astype(int).tolist()
    assert counted  # the one-byte images took the pixel-by-pixel count
