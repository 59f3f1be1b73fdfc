import math

import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest

from napari_seg_eval import dataset_metrics, instance_metrics, semantic_metrics
from napari_seg_eval.core.dataset import (
    dataset_from_parts,
    dataset_from_tables,
    instance_image_parts,
)
from napari_seg_eval.core.overlap import overlap_table
from napari_seg_eval.core.presets import preset_metrics


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


# --- classes, criterion, border, intervals -------------------------------------------------


def _classed_images():
    """Two images, classes by class image (image 0) and by mapping (image 1).

    Image 0: true 1 (class 1, 4 px) matched exactly by pred 5 (class 1); true 2 (class 2,
    2 px) covered by pred 6 (class 1, 3 px: IoU 2/3), a class mistake. Image 1: true 3
    (class 2, 2 px) matched exactly by pred 7 (class 2); pred 8 (class 1) is spurious.
    """
    true0 = np.array([[1, 1, 0, 2, 2, 0], [1, 1, 0, 0, 0, 0]])
    pred0 = np.array([[5, 5, 0, 6, 6, 6], [5, 5, 0, 0, 0, 0]])
    true_cls0 = np.where(true0 == 1, 1, np.where(true0 == 2, 2, 0))
    pred_cls0 = np.where(pred0 > 0, 1, 0)
    pred_cls0[0, 5] = 2  # one pixel of 6 in class 2: the majority (2 of 3) stays class 1
    true1 = np.array([[3, 3, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])
    pred1 = np.array([[7, 7, 0, 0, 8, 0], [0, 0, 0, 0, 0, 0]])
    return (
        [true0, true1],
        [pred0, pred1],
        [true_cls0, {3: 2}],
        [pred_cls0, {7: 2, 8: 1}],
    )


def test_classes_pooled_and_image_mean_by_hand():
    true, pred, true_classes, pred_classes = _classed_images()
    result = dataset_metrics(
        true, pred, true_classes=true_classes, pred_classes=pred_classes, iou_thresholds=[0.5]
    )
    pooled = result.per_class_pooled.set_index("class")
    # class 1: TP 1 (1-5), FP 2 (6 in image 0, 8 in image 1), FN 0. class 2: TP 1 (3-7),
    # FP 0, FN 1 (true 2: its prediction 6 is of class 1).
    assert pooled[["tp", "fp", "fn"]].values.tolist() == [[1, 2, 0], [1, 0, 1]]
    # PQ = sum IoU / (TP + FP/2 + FN/2): class 1: 1 / 2, class 2: 1 / 1.5.
    assert pooled["panoptic_quality"].tolist() == pytest.approx([1 / 2, 1 / 1.5])
    assert result.summary["class_mean_panoptic_quality_50_pooled"] == pytest.approx(
        (1 / 2 + 1 / 1.5) / 2
    )
    # Accuracy TP / (TP + FP + FN): class 1: 1/3, class 2: 1/2, pooled; per image:
    # image 0: class 1 1/2 (1, 1, 0), class 2 0/1; image 1: class 1 0/1, class 2 1/1.
    assert result.summary["class_mean_accuracy_pooled"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert result.per_image["class_mean_accuracy"].tolist() == pytest.approx([1 / 4, 1 / 2])
    assert result.summary["class_mean_accuracy_image_mean"] == pytest.approx(3 / 8)
    mean = result.per_class_image_mean.set_index("class")["accuracy"]
    assert mean.tolist() == pytest.approx([(1 / 2 + 0) / 2, (0 + 1) / 2])
    # PQ per image: image 0: class 1 1 / 1.5, class 2 0; image 1: class 1 0, class 2 1.
    assert result.per_image["class_mean_panoptic_quality_50"].tolist() == pytest.approx(
        [1 / 3, 1 / 2]
    )
    assert result.summary["class_mean_panoptic_quality_50_image_mean"] == pytest.approx(5 / 12)
    # Among the class-agnostic matches at 0.5: 1-5 (1 -> 1), 2-6 (2 -> 1), 3-7 (2 -> 2).
    assert result.class_confusion.values.tolist() == [[1, 0], [1, 1]]


def test_conic_mpq_plus_from_dataset_metrics_equals_the_preset():
    true, pred, true_classes, pred_classes = _classed_images()
    result = dataset_metrics(true, pred, true_classes=true_classes, pred_classes=pred_classes)
    preset = preset_metrics(
        "conic", true, pred, true_classes=true_classes, pred_classes=pred_classes
    )
    assert result.summary["class_mean_panoptic_quality_50_pooled"] == pytest.approx(
        preset["class_mean_panoptic_quality_50_pooled"]
    )
    # Without classes: no per-class tables and no class values.
    plain = dataset_metrics(true, pred)
    assert plain.per_class_pooled is None and "class_mean_accuracy_pooled" not in plain.summary


def test_classes_from_tables_as_mappings_and_chunked_images():
    true, pred, true_classes, pred_classes = _classed_images()
    expected = dataset_metrics(true, pred, true_classes=true_classes, pred_classes=pred_classes)
    mappings = [{1: 1, 2: 2}, {3: 2}], [{5: 1, 6: 1}, {7: 2, 8: 1}]
    tables = [overlap_table(t, p) for t, p in zip(true, pred, strict=True)]
    from_tables = dataset_from_tables(tables, true_classes=mappings[0], pred_classes=mappings[1])
    pd.testing.assert_frame_equal(from_tables.per_class_pooled, expected.per_class_pooled)
    pd.testing.assert_series_equal(from_tables.summary, expected.summary)
    with pytest.raises(ValueError, match="mappings from object id to class"):
        dataset_from_tables(tables, true_classes=true_classes, pred_classes=pred_classes)
    chunked = dataset_metrics(
        [da.from_array(t, chunks=1) for t in true],
        [da.from_array(p, chunks=(1, 3)) for p in pred],
        true_classes=[da.from_array(true_classes[0], chunks=1), true_classes[1]],
        pred_classes=pred_classes,
    )
    pd.testing.assert_series_equal(chunked.summary, expected.summary)


def test_criterion_and_border_exclusion_by_hand():
    # True 1 (4 px) lies inside pred 2 (7 px): IoU 4/7 >= 0.5 but IoT 4/4; true 3 (3 px)
    # holds 2 of pred 4's 6 px: IoU 2/7, IoT 2/3 > 0.5, IoP 2/6.
    true = np.array([[0, 1, 1, 0, 3, 3, 3], [0, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]])
    pred = np.array([[2, 2, 2, 0, 4, 4, 0], [2, 2, 2, 0, 4, 4, 0], [2, 0, 0, 0, 4, 4, 0]])
    iou = dataset_metrics([true], [pred], iou_thresholds=[0.6])
    iot = dataset_metrics([true], [pred], iou_thresholds=[0.6], criterion="iot")
    iop = dataset_metrics([true], [pred], iou_thresholds=[0.6], criterion="iop")
    assert iou.pooled["tp"].tolist() == [0]  # 4/7 < 0.6 and 2/7 < 0.6
    assert iot.pooled["tp"].tolist() == [2]  # 4/4 and 2/3 above 0.6
    assert iop.pooled["tp"].tolist() == [0]  # 4/7 and 2/6 below 0.6
    # Border of 1 pixel: true 2 touches the last column and is removed (its pixels become
    # background), pred 8 stays inside: TP 1 (1-7), FP 1 (8), FN 0. Without it: IoU(2, 8) =
    # 2/6, so FN 1 too.
    true = np.zeros((5, 6), np.int32)
    true[1:3, 1:3], true[2:4, 4:6] = 1, 2
    pred = np.zeros((5, 6), np.int32)
    pred[1:3, 1:3], pred[2:4, 3:5] = 7, 8
    border = dataset_metrics([true], [pred], iou_thresholds=[0.5], exclude_border=1)
    assert border.pooled[["tp", "fp", "fn"]].values.tolist() == [[1, 1, 0]]
    assert (border.summary["n_true"], border.summary["n_pred"]) == (1, 2)
    plain = dataset_metrics([true], [pred], iou_thresholds=[0.5])
    assert plain.pooled[["tp", "fp", "fn"]].values.tolist() == [[1, 1, 1]]
    with pytest.raises(ValueError, match="criterion must be one of"):
        dataset_metrics([true], [pred], criterion="dice")
    with pytest.raises(ValueError, match="for kind='instance'"):
        dataset_metrics([true], [pred], kind="semantic", exclude_border=1)


def test_class_inputs_are_checked_before_any_image_is_read():
    true, pred, true_classes, pred_classes = _classed_images()
    never = da.from_delayed(dask.delayed(_fail)(), true[0].shape, dtype=np.int64)
    with pytest.raises(ValueError, match=r"true_classes\[0\] has shape \(2, 5\)"):
        dataset_metrics(
            [never, true[1]],
            pred,
            true_classes=[true_classes[0][:, :5], {3: 2}],
            pred_classes=pred_classes,
        )
    with pytest.raises(ValueError, match="give both true_classes and pred_classes"):
        dataset_metrics([never], [pred[0]], true_classes=[true_classes[0]])
    with pytest.raises(ValueError, match="gives 1 class images or mappings for 2 images"):
        dataset_metrics(true, pred, true_classes=[{}], pred_classes=[{}, {}])
    with pytest.raises(ValueError, match="for kind='instance'"):
        dataset_metrics([never], [pred[0]], kind="semantic", true_classes=[{}], pred_classes=[{}])
    with pytest.raises(ValueError, match=r"confidence_interval must be a level in \(0, 1\)"):
        dataset_metrics([never], [pred[0]], confidence_interval=95)


def _fail():
    raise AssertionError("an image was read before the settings were checked")


def test_confidence_interval_by_hand():
    # Image 0: its object found (F1 1); image 1: its object missed (F1 0). A resample of
    # the two images has mean 0, 1/2 or 1 (chances 1/4, 1/2, 1/4): at 40% the 30th and 70th
    # percentiles are both 1/2. Pooled F1 = 2 TP / (n_true + n_pred): 4/4, 2/3 or 0/2: 2/3.
    true = [np.array([[1, 1, 0]]), np.array([[1, 1, 0]])]
    pred = [np.array([[1, 1, 0]]), np.zeros((1, 3), int)]
    result = dataset_metrics(true, pred, iou_thresholds=[0.5], confidence_interval=0.4)
    summary = result.summary
    assert summary["f1_50_image_mean"] == 0.5
    assert (summary["f1_50_image_mean_low"], summary["f1_50_image_mean_high"]) == (0.5, 0.5)
    assert summary["f1_50_pooled_low"] == pytest.approx(2 / 3)
    assert summary["f1_50_pooled_high"] == pytest.approx(2 / 3)
    # mean_accuracy pooled from the per-threshold counts: 1/2 at 0.5 (TP 1, FN 1).
    assert summary["mean_accuracy_pooled_low"] == pytest.approx(1 / 2)
    for key in ("mean_accuracy", "f1_50", "panoptic_quality_50", "aji"):
        for aggregate in ("pooled", "image_mean"):
            name = f"{key}_{aggregate}"
            assert summary[f"{name}_low"] <= summary[name] <= summary[f"{name}_high"]
    semantic = dataset_metrics(
        [t > 0 for t in true], [p > 0 for p in pred], kind="semantic", confidence_interval=0.9
    )
    for name in ("mean_iou_pooled", "mean_dice_image_mean", "pixel_accuracy_pooled"):
        assert semantic.summary[f"{name}_low"] <= semantic.summary[name]
        assert semantic.summary[name] <= semantic.summary[f"{name}_high"]
    assert "f1_50_pooled_low" not in dataset_metrics(true, pred).summary


def test_no_interval_from_fewer_than_two_images():
    # One image: every resample is that image, so the bootstrap gives [x, x], a zero-width
    # interval that says nothing. The bounds are NaN instead (the values themselves stay).
    true, pred = [np.array([[1, 1, 0, 2]])], [np.array([[1, 1, 0, 0]])]
    one = dataset_metrics(true, pred, iou_thresholds=[0.5], confidence_interval=0.95)
    assert one.summary["f1_50_image_mean"] == pytest.approx(2 / 3)  # TP 1, FN 1: 2 / 3
    for key in ("mean_accuracy", "f1_50", "panoptic_quality_50", "aji"):
        for aggregate in ("pooled", "image_mean"):
            assert math.isnan(one.summary[f"{key}_{aggregate}_low"])
            assert math.isnan(one.summary[f"{key}_{aggregate}_high"])
    semantic = dataset_metrics(
        [t > 0 for t in true], [p > 0 for p in pred], kind="semantic", confidence_interval=0.95
    )
    assert math.isnan(semantic.summary["mean_iou_image_mean_low"])
    assert math.isnan(semantic.summary["pixel_accuracy_pooled_high"])
    # Two images, the second empty on both sides: its F1 is undefined, so the image mean of F1
    # stands on one image (no interval); the pooled F1 sums the counts of both (an interval).
    true.append(np.zeros((1, 4), int))
    pred.append(np.zeros((1, 4), int))
    two = dataset_metrics(true, pred, iou_thresholds=[0.5], confidence_interval=0.95)
    assert math.isnan(two.per_image["f1_50"][1])
    assert math.isnan(two.summary["f1_50_image_mean_low"])
    assert math.isnan(two.summary["f1_50_image_mean_high"])
    assert two.summary["f1_50_pooled_low"] == pytest.approx(2 / 3)  # the empty image adds 0


# region= over many images ---------------------------------------------------------------------
def _halves():
    """Two 4 x 8 images; the right half of each is the held-out part."""
    truth = np.zeros((4, 8), np.uint16)
    truth[1:3, 1:3] = 1  # left half: found
    truth[1:3, 5:7] = 2  # right half: missed in image 0, found in image 1
    missed = truth.copy()
    missed[truth == 2] = 0
    right = np.zeros((4, 8), bool)
    right[:, 4:] = True
    return truth, missed, right


def test_a_region_per_image_equals_evaluating_the_crops():
    truth, missed, right = _halves()
    result = dataset_metrics(
        [truth, truth], [missed, truth], iou_thresholds=[0.5], region=[right, right]
    )
    crops = dataset_metrics(
        [truth[:, 4:], truth[:, 4:]], [missed[:, 4:], truth[:, 4:]], iou_thresholds=[0.5]
    )
    # image 0 on its right half: one true object, missed -> F1 0; image 1: found -> F1 1
    assert result.per_image["f1_50"].tolist() == [0.0, 1.0]
    assert result.summary["f1_50_pooled"] == pytest.approx(2 / 3)  # tp 1, fp 0, fn 1
    pd.testing.assert_series_equal(result.summary, crops.summary)


def test_a_stack_region_is_split_with_the_planes():
    truth, missed, right = _halves()
    stack = dataset_metrics(
        np.stack([truth, truth]),
        np.stack([missed, truth]),
        axis=0,
        iou_thresholds=[0.5],
        region=np.stack([right, right]),
    )
    assert stack.per_image["f1_50"].tolist() == [0.0, 1.0]


def test_bad_regions_are_refused_before_any_image_is_read():
    truth, _, right = _halves()
    with pytest.raises(ValueError, match="2 masks for 1 images"):
        dataset_metrics([truth], [truth], region=[right, right])
    with pytest.raises(TypeError, match="one mask per image"):
        dataset_metrics([truth], [truth], region=right)
    with pytest.raises(TypeError):
        dataset_metrics([truth], [truth], region=[right.astype(np.uint8)])


def test_a_semantic_dataset_with_an_empty_region_everywhere_says_why():
    truth, missed, right = _halves()
    nowhere = np.zeros_like(right)
    with pytest.raises(ValueError, match="no pixel lies inside the region"):
        dataset_metrics([truth > 0], [missed > 0], kind="semantic", region=[nowhere])


def test_the_number_of_resamples_is_configurable_and_the_interval_reproducible():
    truth, missed, _ = _halves()
    images = ([truth, truth, truth], [truth, missed, truth])
    one = dataset_metrics(*images, confidence_interval=0.9, n_resamples=50)
    again = dataset_metrics(*images, confidence_interval=0.9, n_resamples=50)
    pd.testing.assert_series_equal(one.summary, again.summary)  # seeded
    # per-image F1 at 0.5: 1, 2/3, 1; every resample's image mean lies in [2/3, 1]
    assert 2 / 3 <= one.summary["f1_50_image_mean_low"] <= one.summary["f1_50_image_mean_high"] <= 1
    with pytest.raises(ValueError, match="n_resamples"):
        dataset_metrics(*images, confidence_interval=0.9, n_resamples=0)


# --- each image's parts, summed elsewhere (the command line's workers) ----------------------


def test_image_parts_summed_give_the_tables_by_hand():
    # Image 0: true 1 (4 px) = pred 5; true 2 (2 px) inside pred 6 (3 px): IoU 2/3.
    # Image 1: true 3 (2 px) = pred 7; pred 8 (1 px) spurious.
    true, pred, _, _ = _classed_images()
    parts = [
        instance_image_parts(overlap_table(t, p), iou_thresholds=[0.5, 0.7])
        for t, p in zip(true, pred, strict=True)
    ]
    assert parts[0].per_threshold[["tp", "fp", "fn"]].values.tolist() == [[2, 0, 0], [1, 1, 1]]
    assert parts[1].per_threshold[["tp", "fp", "fn"]].values.tolist() == [[1, 1, 0], [1, 1, 0]]
    assert parts[0].review == {
        "threshold": 0.5,
        "tp": 2,
        "fp": 0,
        "fn": 0,
        "sum_matched_iou": pytest.approx(5 / 3),
    }
    # AJI parts: image 0 intersections 4 + 2 over unions 4 + 3; image 1: 2 over 2 + 1 (pred 8).
    assert (parts[0].row["aji_numerator"], parts[0].row["aji_denominator"]) == (6, 7)
    assert (parts[1].row["aji_numerator"], parts[1].row["aji_denominator"]) == (2, 3)
    result = dataset_from_parts(parts)
    # Pooled at 0.5: tp 3, fp 1, fn 0 -> accuracy 3/4; at 0.7: tp 2, fp 2, fn 1 -> 2/5.
    assert result.pooled["accuracy"].tolist() == pytest.approx([3 / 4, 2 / 5])
    # Image mean at 0.7: accuracy 1/3 (image 0) and 1/2 (image 1).
    assert result.image_mean["accuracy"].tolist() == pytest.approx([(1 + 1 / 2) / 2, 5 / 12])
    assert result.summary["aji_pooled"] == pytest.approx(8 / 10)
    assert result.per_image["image"].tolist() == [0, 1]
    expected = dataset_from_tables(
        [overlap_table(t, p) for t, p in zip(true, pred, strict=True)], iou_thresholds=[0.5, 0.7]
    )
    pd.testing.assert_frame_equal(result.per_image, expected.per_image)
    pd.testing.assert_frame_equal(result.pooled, expected.pooled)
    pd.testing.assert_frame_equal(result.image_mean, expected.image_mean)
    pd.testing.assert_series_equal(result.summary, expected.summary)


def test_image_parts_with_classes_and_an_interval_equal_the_tables():
    true, pred, _, _ = _classed_images()
    mappings = [{1: 1, 2: 2}, {3: 2}], [{5: 1, 6: 1}, {7: 2, 8: 1}]
    tables = [overlap_table(t, p) for t, p in zip(true, pred, strict=True)]
    parts = [
        instance_image_parts(table, true_classes=t, pred_classes=p)
        for table, t, p in zip(tables, *mappings, strict=True)
    ]
    # Image 0 at 0.5, class 1: true 1 = pred 5 (tp); pred 6 (class 1) covers true 2 (class
    # 2): an fp of class 1 and an fn of class 2.
    first = parts[0].per_class.query("threshold == 0.5").set_index("class")
    assert first.loc[1, ["tp", "fp", "fn"]].tolist() == [1, 1, 0]
    assert first.loc[2, ["tp", "fp", "fn"]].tolist() == [0, 0, 1]
    options = {"true_classes": mappings[0], "pred_classes": mappings[1]}
    for interval in (None, 0.9):
        result = dataset_from_parts(parts, confidence_interval=interval, n_resamples=200)
        expected = dataset_from_tables(tables, confidence_interval=interval, **options)
        if interval is not None:  # dataset_from_tables resamples 2000 times
            expected = dataset_metrics(
                true, pred, confidence_interval=interval, n_resamples=200, **options
            )
        pd.testing.assert_frame_equal(result.per_class_pooled, expected.per_class_pooled)
        pd.testing.assert_frame_equal(result.per_class_image_mean, expected.per_class_image_mean)
        pd.testing.assert_frame_equal(result.class_confusion, expected.class_confusion)
        pd.testing.assert_series_equal(result.summary, expected.summary)


def test_image_parts_of_other_settings_are_refused():
    a = np.array([[1, 1, 0], [0, 0, 2]])
    one = instance_image_parts(overlap_table(a, a), iou_thresholds=[0.5])
    two = instance_image_parts(overlap_table(a, a), iou_thresholds=[0.5, 0.75])
    with pytest.raises(ValueError, match="same settings"):
        dataset_from_parts([one, two])
    classed = instance_image_parts(
        overlap_table(a, a),
        iou_thresholds=[0.5],
        true_classes={1: 1, 2: 1},
        pred_classes={1: 1, 2: 1},
    )
    with pytest.raises(ValueError, match="classes for every image or none"):
        dataset_from_parts([one, classed])
    with pytest.raises(ValueError, match="no image parts"):
        dataset_from_parts([])
