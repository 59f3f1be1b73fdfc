import math

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval import dataset_metrics, instance_metrics, semantic_metrics


def make_pair(seed):
    rng = np.random.default_rng(seed)
    true = np.zeros((20, 20), np.int32)
    pred = np.zeros((20, 20), np.int32)
    for label in range(1, 5):
        r, c = rng.integers(0, 15, 2)
        true[r : r + 5, c : c + 5] = label
        dr, dc = rng.integers(-1, 2, 2)
        pred[max(r + dr, 0) : r + dr + 5, max(c + dc, 0) : c + dc + 5] = label + 10
    return true, pred


def test_instance_per_image_pooled_and_mean():
    pairs = [make_pair(s) for s in range(3)]
    result = dataset_metrics([t for t, _ in pairs], [p for _, p in pairs])
    singles = [instance_metrics(t, p) for t, p in pairs]
    assert result.per_image["f1_50"].tolist() == pytest.approx(
        [s.summary["f1_50"] for s in singles]
    )
    tp = sum(s.per_threshold["tp"].to_numpy() for s in singles)
    fp = sum(s.per_threshold["fp"].to_numpy() for s in singles)
    fn = sum(s.per_threshold["fn"].to_numpy() for s in singles)
    np.testing.assert_array_equal(result.pooled["tp"], tp)
    np.testing.assert_allclose(result.pooled["accuracy"], tp / (tp + fp + fn))
    mean_f1 = np.mean([s.per_threshold["f1"].to_numpy() for s in singles], axis=0)
    np.testing.assert_allclose(result.image_mean["f1"], mean_f1)
    assert result.summary["n_images"] == 3
    assert result.summary["mean_accuracy_image_mean"] == pytest.approx(
        np.mean([s.summary["mean_accuracy"] for s in singles])
    )


def test_pooled_differs_from_mean_when_sizes_differ():
    # image 0: one object found; image 1: three objects, none found
    a = np.zeros((4, 4), int)
    a[0, 0] = 1
    b = np.zeros((4, 4), int)
    b[0, 0], b[2, 2], b[3, 0] = 1, 2, 3
    result = dataset_metrics([a, b], [a, np.zeros_like(b)], iou_thresholds=[0.5])
    assert result.summary["f1_50_pooled"] == pytest.approx(2 * 1 / (2 * 1 + 0 + 3))
    assert result.summary["f1_50_image_mean"] == pytest.approx((1 + 0) / 2)


def test_undefined_images_are_left_out_of_the_mean():
    empty = np.zeros((3, 3), int)
    one = np.zeros((3, 3), int)
    one[1, 1] = 1
    result = dataset_metrics([empty, one], [empty, one])
    assert math.isnan(result.per_image["f1_50"].iloc[0])
    assert result.summary["f1_50_image_mean"] == 1.0


def test_stack_along_axis_equals_planes():
    pairs = [make_pair(s) for s in range(4)]
    true = np.stack([t for t, _ in pairs], axis=1)  # planes along axis 1
    pred = np.stack([p for _, p in pairs], axis=1)
    stacked = dataset_metrics(true, pred, axis=1)
    listed = dataset_metrics([t for t, _ in pairs], [p for _, p in pairs])
    np.testing.assert_allclose(stacked.pooled.to_numpy(float), listed.pooled.to_numpy(float))


def test_semantic_pooled_equals_concatenated_image():
    pairs = [make_pair(s) for s in range(3)]
    true = [(t > 0).astype(int) + (t > 2) for t, _ in pairs]
    pred = [(p > 0).astype(int) + (p > 12) for _, p in pairs]
    result = dataset_metrics(true, pred, kind="semantic")
    whole = semantic_metrics(np.concatenate(true), np.concatenate(pred))
    np.testing.assert_allclose(result.pooled["iou"], whole.per_class["iou"])
    assert result.summary["mean_iou_pooled"] == pytest.approx(whole.summary["mean_iou"])
    per = [semantic_metrics(t, p) for t, p in zip(true, pred, strict=True)]
    assert result.summary["mean_iou_image_mean"] == pytest.approx(
        np.mean([r.summary["mean_iou"] for r in per])
    )


def test_bad_dataset_input():
    t, p = make_pair(0)
    with pytest.raises(ValueError, match="predictions"):
        dataset_metrics([t, t], [p])
    with pytest.raises(TypeError, match="axis"):
        dataset_metrics(t, p)
    with pytest.raises(ValueError, match="kind"):
        dataset_metrics([t], [p], kind="panoptic")
    with pytest.raises(ValueError, match="empty"):
        dataset_metrics([], [])


def _two_objects():
    # true 1 (3 px) vs pred 5 (2 px inside it): IoU 2/3. true 2 matched exactly: IoU 1.
    true = np.array([[1, 1, 1, 0, 2, 2]])
    pred = np.array([[5, 5, 0, 0, 6, 6]])
    return true, pred


def test_repeated_iou_threshold_gives_repeated_rows_not_double_counts():
    true, pred = _two_objects()
    result = dataset_metrics([true, true], [pred, pred], iou_thresholds=[0.5, 0.5, 0.9])
    # per image at 0.5: tp 2, fp 0, fn 0, summed IoU 5/3; at 0.9: tp 1, fp 1, fn 1, IoU 1
    assert result.pooled["threshold"].tolist() == [0.5, 0.5, 0.9]
    assert result.pooled["tp"].tolist() == [4, 4, 2]
    assert result.pooled["fn"].tolist() == [0, 0, 2]
    assert result.pooled["mean_true_iou"].tolist() == pytest.approx([5 / 6, 5 / 6, 1 / 2])
    assert result.pooled["accuracy"].tolist() == pytest.approx([1, 1, 2 / 6])
    assert result.image_mean["threshold"].tolist() == [0.5, 0.5, 0.9]
    assert result.image_mean["accuracy"].tolist() == pytest.approx([1, 1, 1 / 3])
    single = instance_metrics(true, pred, iou_thresholds=[0.5, 0.5, 0.9]).per_threshold
    assert single["threshold"].tolist() == result.pooled["threshold"].tolist()
    assert result.summary["mean_accuracy_pooled"] == pytest.approx((1 + 1 + 1 / 3) / 3)


def test_old_thresholds_keyword_warns_and_gives_the_same_result():
    true, pred = _two_objects()
    new = dataset_metrics([true], [pred], iou_thresholds=[0.5, 0.9])
    with pytest.warns(DeprecationWarning, match="iou_thresholds"):
        old = dataset_metrics([true], [pred], thresholds=[0.5, 0.9])
    pd.testing.assert_frame_equal(old.pooled, new.pooled)
    pd.testing.assert_frame_equal(old.per_image, new.per_image)
    with pytest.raises(TypeError, match="both"):
        dataset_metrics([true], [pred], thresholds=[0.5], iou_thresholds=[0.5])


def _no_pass(*args, **kwargs):
    raise AssertionError("an image was read before the settings were checked")


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"ignore_label": 1.5}, TypeError, "ignore_label"),
        ({"ignore_label": True}, TypeError, "ignore_label"),
        ({"iou_thresholds": [0.5, 1.5]}, ValueError, "iou_thresholds"),
        ({"iou_thresholds": []}, ValueError, "empty"),
        ({"kind": "semantic", "classes": [1.5]}, TypeError, "classes"),
    ],
)
def test_bad_settings_are_refused_before_any_image_is_read(monkeypatch, options, error, words):
    from napari_seg_eval.core import dataset

    monkeypatch.setattr(dataset, "overlap_table_lazy", _no_pass)
    true, pred = _two_objects()
    with pytest.raises(error, match=words):
        dataset.dataset_metrics([true], [pred], **options)


def test_semantic_dataset_with_every_pixel_ignored_is_an_error():
    ignored = np.full((2, 2), 9)
    with pytest.raises(ValueError, match="no pixel is left"):
        dataset_metrics([ignored, ignored], [ignored, ignored], kind="semantic", ignore_label=9)


def test_semantic_image_with_every_pixel_ignored_is_nan_and_left_out():
    ignored = np.full((2, 2), 9)
    true = np.array([[0, 1], [1, 1]])
    pred = np.array([[0, 1], [0, 1]])  # class 0: IoU 1/2, class 1: IoU 2/3
    with pytest.warns(RuntimeWarning, match=r"images \[0\]"):
        result = dataset_metrics([ignored, true], [pred, pred], kind="semantic", ignore_label=9)
    assert math.isnan(result.per_image["mean_iou"].iat[0])
    assert result.summary["mean_iou_pooled"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert result.summary["mean_iou_image_mean"] == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_semantic_images_of_signed_and_uint64_dtypes_pool_exactly():
    edge = 2**53  # 2**53 and 2**53 + 1 are one float64
    a = np.array([edge, edge], np.int64)
    b = np.array([edge + 1, edge + 1], np.uint64)
    result = dataset_metrics([a, b], [a, b], kind="semantic")
    assert result.pooled["class"].tolist() == [edge, edge + 1]
    assert result.pooled["tp"].tolist() == [2, 2]
    assert result.summary["pixel_accuracy_pooled"] == 1.0


def test_results_compare_by_identity_without_raising():
    true, pred = _two_objects()
    a = dataset_metrics([true], [pred])
    b = dataset_metrics([true], [pred])
    assert a == a
    assert a != b
    assert b not in [a]
