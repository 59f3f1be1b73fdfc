import numpy as np
import pytest

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


def test_measurements_blocked_3d_and_huge_ids(monkeypatch):
    from napari_seg_eval.core import review

    monkeypatch.setattr(review, "_BLOCK_PIXELS", 5)  # many blocks of rows
    labels = np.zeros((4, 3, 5), np.int64)
    labels[1:3, 0, 1:3] = 2**40  # 4 voxels
    table = review.object_measurements(labels).set_index("label")
    row = table.loc[2**40]
    assert row["area"] == 4
    assert (row["centroid_0"], row["centroid_1"], row["centroid_2"]) == pytest.approx((1.5, 0, 1.5))


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
