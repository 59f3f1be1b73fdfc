import math

import numpy as np
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
    result = dataset_metrics([a, b], [a, np.zeros_like(b)], thresholds=[0.5])
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
