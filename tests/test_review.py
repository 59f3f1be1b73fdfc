import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from napari_seg_eval import error_map, object_measurements, review_objects, semantic_error_map
from napari_seg_eval.core.review import FN, FP, TP


def test_object_measurements_by_hand():
    labels = np.array([[0, 5, 5], [0, 5, 0], [9, 0, 0]])
    prob = np.array([[0.0, 0.9, 0.6], [0.0, 0.3, 0.0], [0.2, 0.0, 0.0]])
    table = object_measurements(labels, prob).set_index("label")
    assert table.loc[5, "area"] == 3
    assert table.loc[5, "centroid_0"] == pytest.approx((0 + 0 + 1) / 3)
    assert table.loc[5, "centroid_1"] == pytest.approx((1 + 2 + 1) / 3)
    assert table.loc[5, "mean_confidence"] == pytest.approx((0.9 + 0.6 + 0.3) / 3)
    assert table.loc[9].tolist() == pytest.approx([1, 2, 0, 0.2])
    assert 0 not in table.index


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.int64,
        st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6)),
        elements=st.sampled_from([0, 1, 2, 2**40]),
    )
)
def test_measurements_match_per_label_means(labels):
    prob = np.linspace(0, 1, labels.size).reshape(labels.shape)
    table = object_measurements(labels, prob).set_index("label")
    present = [v for v in (1, 2, 2**40) if (labels == v).any()]
    assert sorted(table.index) == present
    for value in present:
        where = np.nonzero(labels == value)
        assert table.loc[value, "area"] == where[0].size
        for axis in range(3):
            assert table.loc[value, f"centroid_{axis}"] == pytest.approx(where[axis].mean())
        assert table.loc[value, "mean_confidence"] == pytest.approx(prob[where].mean())


def test_error_map_in_blocks(monkeypatch):
    from napari_seg_eval.core import review

    monkeypatch.setattr(review, "_BLOCK_PIXELS", 3)
    true = np.array([[1, 1, 1, 1, 0, 2, 2, 0, 0]])
    pred = np.array([[5, 5, 5, 5, 5, 5, 0, 0, 8]])
    assert review.error_map(true, pred).tolist() == [[TP, TP, TP, TP, TP, FN, FN, 0, FP]]


def test_review_objects_joins_status_position_confidence():
    true = np.zeros((6, 10), np.int32)
    pred = np.zeros((6, 10), np.int32)
    true[0:2, 0:4] = 1  # matched by pred 3 (IoU 6/8)
    pred[0:2, 0:3] = 3
    true[4:6, 6:8] = 2  # missed
    pred[4:6, 0:2] = 7  # false
    prob = np.full((6, 10), 0.1)
    prob[pred > 0] = 0.8
    table = review_objects(true, pred, probability=prob).set_index(["kind", "label"])
    assert table.loc[("true", 1), "status"] == "TP" and table.loc[("true", 1), "partner"] == 3
    assert table.loc[("true", 2), "status"] == "FN"
    assert table.loc[("true", 2), ["centroid_0", "centroid_1"]].tolist() == [4.5, 6.5]
    assert table.loc[("pred", 7), "status"] == "FP"
    assert table.loc[("pred", 7), "mean_confidence"] == pytest.approx(0.8)
    assert table.loc[("true", 1), "mean_confidence"] == pytest.approx((6 * 0.8 + 2 * 0.1) / 8)
    strict = review_objects(true, pred, iou_threshold=0.8).set_index(["kind", "label"])
    assert strict.loc[("true", 1), "status"] == "FN"  # IoU 0.75 < 0.8


def test_error_map_values_and_precedence():
    true = np.array([[1, 1, 1, 1, 0, 2, 2, 0, 0]])
    pred = np.array([[5, 5, 5, 5, 5, 5, 0, 0, 8]])
    # pred 5 covers true 1 (IoU 4/6) and half of true 2: true 2 is missed, 8 is false
    out = error_map(true, pred)
    assert out.tolist() == [[TP, TP, TP, TP, TP, FN, FN, 0, FP]]
    assert out.dtype == np.uint8


def test_error_map_huge_ids_and_threshold():
    true = np.array([[2**35, 2**35, 2**35, 0]], np.int64)
    pred = np.array([[0, 2**50, 2**50, 0]], np.int64)  # IoU 2/3
    assert error_map(true, pred).tolist() == [[0, TP, TP, 0]]
    assert error_map(true, pred, iou_threshold=0.7).tolist() == [[FN, FN, FN, 0]]


def test_semantic_error_map():
    true = np.array([[0, 1, 1, 2]])
    pred = np.array([[1, 1, 0, 2]])
    assert semantic_error_map(true, pred, 1).tolist() == [[FP, 0, FN, 0]]
    assert semantic_error_map(true, pred, 2).tolist() == [[0, 0, 0, 0]]


HIGH = 2**63 + 5  # above the int64 range: only uint64 holds it


def test_uint64_ids_above_int64_range_are_measured():
    labels = np.array([[0, HIGH, HIGH], [0, 0, HIGH + 1]], np.uint64)
    prob = np.array([[0.0, 0.2, 0.4], [0.0, 0.0, 0.9]])
    table = object_measurements(labels, prob)
    assert table["label"].tolist() == [HIGH, HIGH + 1]
    assert table["area"].tolist() == [2, 1]
    assert table["centroid_0"].tolist() == [0.0, 1.0]
    assert table["centroid_1"].tolist() == [1.5, 2.0]
    assert table["mean_confidence"].tolist() == pytest.approx([0.3, 0.9])


def test_uint64_ids_above_int64_range_are_reviewed():
    true = np.array([[HIGH, HIGH, HIGH, 0, HIGH + 1]], np.uint64)
    pred = np.array([[HIGH + 2, HIGH + 2, 0, 0, 0]], np.uint64)  # IoU 2/3 with HIGH
    table = review_objects(true, pred).set_index(["kind", "label"])
    assert table.loc[("true", HIGH), "status"] == "TP"
    assert table.loc[("true", HIGH), "partner"] == HIGH + 2
    assert table.loc[("true", HIGH + 1), "status"] == "FN"
    assert table.loc[("true", HIGH + 1), "centroid_1"] == 4.0
    assert table.loc[("pred", HIGH + 2), "centroid_1"] == 0.5
    assert error_map(true, pred).tolist() == [[TP, TP, 0, 0, FN]]


def test_signed_truth_against_uint64_prediction_joins_exactly():
    # 2**60 and 2**60 + 1 (int64) against ids above 2**63 (uint64): a float64 label column
    # would merge the neighbours and break the join.
    low = 2**60
    true = np.array([[low, low + 1, 0, 0]], np.int64)
    pred = np.array([[HIGH, HIGH + 1, 0, HIGH + 2]], np.uint64)
    table = review_objects(true, pred).set_index(["kind", "label"])
    assert table.loc[("true", low + 1), "partner"] == HIGH + 1
    assert table.loc[("true", low + 1), "centroid_1"] == 1.0
    assert table.loc[("pred", HIGH + 2), "status"] == "FP"
    assert table.loc[("pred", HIGH + 2), "centroid_1"] == 3.0
    assert error_map(true, pred).tolist() == [[TP, TP, 0, FP]]


def _no_pass(*args, **kwargs):
    raise AssertionError("the matching ran before the input was checked")


@pytest.mark.parametrize(
    ("probability", "error", "words"),
    [
        (np.array([[0.5, np.nan, 0.5]]), ValueError, "NaN"),
        (np.array([[0.5, 1.5, 0.5]]), ValueError, r"\[0, 1\]"),
        (np.array([[0.5, -0.1, 0.5]]), ValueError, r"\[0, 1\]"),
        (np.array([[1, 0, 1]], np.uint8), TypeError, "floating point"),
        (np.array([[0.5, 0.5]]), ValueError, "shape mismatch"),
    ],
)
def test_bad_probability_is_refused_before_any_pass(monkeypatch, probability, error, words):
    from napari_seg_eval.core import review

    labels = np.array([[1, 1, 0]])
    with pytest.raises(error, match=words):
        object_measurements(labels, probability)
    monkeypatch.setattr(review, "instance_metrics", _no_pass)
    with pytest.raises(error, match=words):
        review.review_objects(labels, labels, probability=probability)


@pytest.mark.parametrize("ignore_label", [1.5, "1", True])
def test_non_integer_ignore_label_is_refused_before_any_pass(monkeypatch, ignore_label):
    from napari_seg_eval.core import review

    monkeypatch.setattr(review, "instance_metrics", _no_pass)
    labels = np.array([[1, 1, 0]])
    with pytest.raises(TypeError, match="ignore_label must be an integer"):
        review.review_objects(labels, labels, ignore_label=ignore_label)
    with pytest.raises(TypeError, match="ignore_label must be an integer"):
        review.error_map(labels, labels, ignore_label=ignore_label)


def test_bad_iou_threshold_is_refused_before_any_pass(monkeypatch):
    from napari_seg_eval.core import review

    monkeypatch.setattr(review, "instance_metrics", _no_pass)
    labels = np.array([[1, 1, 0]])
    for function in (review.review_objects, review.error_map):
        with pytest.raises(ValueError, match=r"\(0, 1\]"):
            function(labels, labels, iou_threshold=1.5)


def test_0d_labels_are_called_a_scalar():
    with pytest.raises(ValueError, match="0-dimensional"):
        object_measurements(np.array(4))
    with pytest.raises(ValueError, match="0-dimensional"):
        review_objects(np.array(4), np.array(4))
