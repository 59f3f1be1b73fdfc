import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from napari_seg_eval import semantic_metrics

# 3 classes on 12 pixels. Confusion (rows true, cols pred):
#        0  1  2
#   0 [  3  1  0 ]
#   1 [  1  3  0 ]
#   2 [  0  2  2 ]
TRUE = np.array([[0, 0, 0, 0, 1, 1], [1, 1, 2, 2, 2, 2]])
PRED = np.array([[0, 0, 0, 1, 0, 1], [1, 1, 1, 1, 2, 2]])


def test_hand_computed_per_class():
    result = semantic_metrics(TRUE, PRED)
    table = result.per_class.set_index("class")
    assert table.loc[0, ["tp", "fp", "fn", "tn", "support"]].tolist() == [3, 1, 1, 7, 4]
    assert table.loc[1, ["tp", "fp", "fn", "tn", "support"]].tolist() == [3, 3, 1, 5, 4]
    assert table.loc[2, ["tp", "fp", "fn", "tn", "support"]].tolist() == [2, 0, 2, 8, 4]
    assert table.loc[0, "iou"] == pytest.approx(3 / 5)
    assert table.loc[1, "iou"] == pytest.approx(3 / 7)
    assert table.loc[2, "iou"] == pytest.approx(2 / 4)
    assert table.loc[1, "dice"] == pytest.approx(6 / 10)
    assert table.loc[1, "precision"] == pytest.approx(3 / 6)
    assert table.loc[2, "recall"] == pytest.approx(2 / 4)
    assert table.loc[2, "accuracy"] == pytest.approx(10 / 12)
    s = result.summary
    assert s["mean_iou"] == pytest.approx((3 / 5 + 3 / 7 + 1 / 2) / 3)
    assert s["pixel_accuracy"] == pytest.approx(8 / 12)
    # every class has support 4: frequency-weighted IoU equals the mean here
    assert s["frequency_weighted_iou"] == pytest.approx(s["mean_iou"])
    assert result.confusion_matrix().to_numpy().tolist() == [[3, 1, 0], [1, 3, 0], [0, 2, 2]]


def test_background_left_out_of_means_but_reported():
    result = semantic_metrics(TRUE, PRED, include_background=False)
    assert result.per_class["class"].tolist() == [0, 1, 2]
    assert result.per_class["in_means"].tolist() == [False, True, True]
    assert result.summary["mean_iou"] == pytest.approx((3 / 7 + 1 / 2) / 2)
    assert result.summary["pixel_accuracy"] == pytest.approx(8 / 12)  # all pixels still count


def test_requested_classes_absent_class_is_nan_and_left_out():
    result = semantic_metrics(TRUE, PRED, classes=[1, 2, 5])
    table = result.per_class.set_index("class")
    assert math.isnan(table.loc[5, "iou"]) and table.loc[5, "tn"] == 12
    assert result.summary["mean_iou"] == pytest.approx((3 / 7 + 1 / 2) / 2)


def test_class_only_in_prediction_scores_zero():
    true = np.zeros((2, 2), int)
    pred = np.array([[0, 3], [0, 0]])
    table = semantic_metrics(true, pred).per_class.set_index("class")
    assert table.loc[3, "iou"] == 0 and table.loc[3, "precision"] == 0
    assert math.isnan(table.loc[3, "recall"])


def test_frequency_weighted_iou_weights_by_support():
    true = np.array([[0, 0, 0, 1]])
    pred = np.array([[0, 0, 1, 1]])
    s = semantic_metrics(true, pred).summary
    # IoU0 = 2/3 (support 3), IoU1 = 1/2 (support 1)
    assert s["frequency_weighted_iou"] == pytest.approx((3 * 2 / 3 + 1 * 1 / 2) / 4)


def test_ignore_label_and_no_background():
    true = np.array([[1, 1, 2, 255]])
    pred = np.array([[1, 2, 2, 1]])
    result = semantic_metrics(true, pred, ignore_label=255)
    assert result.summary["n_pixels"] == 3
    assert result.per_class["class"].tolist() == [1, 2]
    assert result.per_class.set_index("class").loc[1, "iou"] == pytest.approx(1 / 2)


def test_all_background_both():
    result = semantic_metrics(np.zeros((3, 3), int), np.zeros((3, 3), int))
    assert result.per_class["iou"].tolist() == [1.0]
    none = semantic_metrics(np.zeros((3, 3), int), np.zeros((3, 3), int), include_background=False)
    assert math.isnan(none.summary["mean_iou"])


def test_3d_bool_input():
    true = np.zeros((2, 3, 3), bool)
    true[0] = True
    pred = np.zeros((2, 3, 3), bool)
    pred[:, 0] = True
    table = semantic_metrics(true, pred).per_class.set_index("class")
    # class 1: true 9 px, pred 6 px, overlap 3: IoU 3/12
    assert table.loc[1, "iou"] == pytest.approx(3 / 12)


classes = arrays(np.int16, (5, 6), elements=st.integers(0, 3))


@settings(max_examples=50, deadline=None)
@given(classes, classes)
def test_dice_iou_identity_and_swap(true, pred):
    a = semantic_metrics(true, pred).per_class
    iou, dice = a["iou"].to_numpy(), a["dice"].to_numpy()
    np.testing.assert_allclose(dice, 2 * iou / (1 + iou))
    b = semantic_metrics(pred, true).per_class
    np.testing.assert_array_equal(a["precision"], b["recall"])
    assert (a["tp"] + a["fp"] + a["fn"] + a["tn"] == true.size).all()


@settings(max_examples=30, deadline=None)
@given(classes, st.permutations(range(4)))
def test_relabelling_permutes_rows_and_keeps_means(true, permutation):
    pred = np.roll(true, 1)
    lut = np.array(permutation) * 1000 + 7
    a = semantic_metrics(true, pred)
    b = semantic_metrics(lut[true], lut[pred])
    assert a.summary["mean_iou"] == pytest.approx(b.summary["mean_iou"], nan_ok=True)
    assert sorted(a.per_class["iou"].fillna(-1)) == pytest.approx(
        sorted(b.per_class["iou"].fillna(-1))
    )


@settings(max_examples=30, deadline=None)
@given(classes)
def test_perfect_prediction(true):
    result = semantic_metrics(true, true)
    assert (result.per_class["iou"] == 1).all() and result.summary["pixel_accuracy"] == 1
