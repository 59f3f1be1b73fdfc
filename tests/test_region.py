"""``region=``: pixels outside a boolean mask are left out of every count, for every metric.

The images below are scored on their right half (columns 4-7), the half "held out". Every
expected value is counted by hand from the pictures; every metric must also equal the same
metric on the images cropped to that half.
"""

import math
import warnings

import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest
from dask import delayed

import napari_seg_eval as nse
from napari_seg_eval.core.overlap import overlap_table, overlap_table_lazy

# Instance labels, 4 x 8. The right half (columns 4-7) holds:
#   true 2: rows 0-1, columns 4-6 (6 px);  true 3: rows 2-3, columns 4-5 (4 px; 3 crosses over)
#   pred 6: rows 0-1, columns 5-6 (4 px);  pred 7: row 2 columns 4-6, row 3 columns 4-5 (5 px)
#   IoU(2, 6) = 4 / 6 = 2/3;  IoU(3, 7) = 4 / 5 = 0.8
TRUE = np.array(
    [
        [1, 1, 0, 0, 2, 2, 2, 0],
        [1, 1, 0, 0, 2, 2, 2, 0],
        [0, 0, 3, 3, 3, 3, 0, 0],
        [0, 0, 3, 3, 3, 3, 0, 0],
    ]
)
PRED = np.array(
    [
        [5, 5, 5, 0, 0, 6, 6, 0],
        [5, 5, 0, 0, 0, 6, 6, 0],
        [0, 0, 7, 7, 7, 7, 7, 0],
        [0, 0, 0, 7, 7, 7, 0, 0],
    ]
)
RIGHT = np.zeros(TRUE.shape, bool)
RIGHT[:, 4:] = True
HALF = (slice(None), slice(4, None))
# A probability map: 0.9 on pred 6 and 7, 0.4 on column 4 of rows 0-1 (true 2), 0.2 elsewhere.
PROB = np.where(PRED > 0, 0.9, 0.2)
PROB[:2, 4] = 0.4


def lazy(array, chunks=(2, 3)):
    return da.from_array(array, chunks=chunks)


# ---- the overlap table --------------------------------------------------------------------------


def test_table_of_the_right_half_by_hand():
    table = overlap_table(TRUE, PRED, region=RIGHT)
    assert table.true_ids.tolist() == [0, 2, 3] and table.true_areas.tolist() == [6, 6, 4]
    assert table.pred_ids.tolist() == [0, 6, 7] and table.pred_areas.tolist() == [7, 4, 5]
    assert table.pair_true.tolist() == [2, 3] and table.pair_pred.tolist() == [6, 7]
    assert table.pair_counts.tolist() == [4, 4]
    assert table.n_pixels == 16


def test_table_of_a_region_equals_the_table_of_the_crop():
    region = overlap_table(TRUE, PRED, region=RIGHT)
    cropped = overlap_table(TRUE[HALF], PRED[HALF])
    for field in ("true_ids", "true_areas", "pred_ids", "pred_areas", "pair_counts"):
        assert getattr(region, field).tolist() == getattr(cropped, field).tolist()


def test_region_of_any_shape_keeps_only_the_pixels_inside():
    # A checkerboard: the table counts exactly the pixels on its True squares.
    checker = (np.indices(TRUE.shape).sum(axis=0) % 2).astype(bool)
    table = overlap_table(TRUE, PRED, region=checker)
    true_ids, counts = np.unique(TRUE[checker], return_counts=True)
    assert table.true_ids.tolist() == true_ids.tolist()
    assert table.true_areas.tolist() == counts.tolist()
    assert table.n_pixels == 16


def test_binary_images_with_a_region():
    # The 0/1 fast path of the pass: true 1 on columns 0-5, pred 1 on columns 2-7 (1 row).
    true = np.array([[1, 1, 1, 1, 1, 1, 0, 0]], np.uint8)
    pred = np.array([[0, 0, 1, 1, 1, 1, 1, 1]], np.uint8)
    table = overlap_table(true, pred, region=RIGHT[:1])
    assert table.true_areas.tolist() == [2, 2] and table.pred_areas.tolist() == [4]
    assert table.pair_counts.tolist() == [2]


def test_lazy_region_equals_numpy_region_for_the_table():
    expected = overlap_table(TRUE, PRED, region=RIGHT)
    for true, pred, region in (
        (TRUE, PRED, lazy(RIGHT)),
        (lazy(TRUE), PRED, RIGHT),
        (lazy(TRUE), lazy(PRED, (4, 2)), lazy(RIGHT, (1, 8))),
    ):
        table = overlap_table(true, pred, region=region)
        assert table.true_areas.tolist() == expected.true_areas.tolist()
        assert table.pred_areas.tolist() == expected.pred_areas.tolist()
        assert table.pair_counts.tolist() == expected.pair_counts.tolist()
    (table,) = dask.compute(overlap_table_lazy(lazy(TRUE), PRED, region=lazy(RIGHT)))
    assert table.pair_counts.tolist() == [4, 4]


# ---- every metric: the right half by hand, and equal to the cropped half ------------------------


def test_instance_metrics_of_the_right_half_by_hand():
    result = nse.instance_metrics(TRUE, PRED, iou_thresholds=[0.5, 0.7, 0.9], region=RIGHT)
    table = result.per_threshold
    assert table["tp"].tolist() == [2, 1, 0]
    assert table["fp"].tolist() == [0, 1, 2]
    assert table["fn"].tolist() == [0, 1, 2]
    summary = result.summary
    assert summary["n_true"] == 2 and summary["n_pred"] == 2
    assert summary["mean_accuracy"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert summary["f1_50"] == 1.0
    assert summary["panoptic_quality_50"] == pytest.approx((2 / 3 + 0.8) / 2)
    objects = result.per_object.set_index(["kind", "label"])
    assert objects.loc[("true", 3), "area"] == 4  # 3 keeps its 4 pixels inside
    assert objects.loc[("pred", 7), "area"] == 5
    assert objects.loc[("true", 3), "iou"] == pytest.approx(0.8)


def test_instance_metrics_region_equals_crop():
    kwargs = {"iou_thresholds": [0.5, 0.7, 0.9]}
    region = nse.instance_metrics(TRUE, PRED, region=RIGHT, **kwargs)
    cropped = nse.instance_metrics(TRUE[HALF], PRED[HALF], **kwargs)
    pd.testing.assert_frame_equal(region.per_threshold, cropped.per_threshold)
    pd.testing.assert_series_equal(region.summary, cropped.summary)
    pd.testing.assert_frame_equal(region.per_object, cropped.per_object)
    # and it is not the whole image's result: there 3 has 8 pixels and 1 and 5 count
    whole = nse.instance_metrics(TRUE, PRED, **kwargs)
    assert whole.summary["n_true"] == 3


def test_semantic_metrics_of_the_right_half_by_hand():
    # Foreground of the right half: true 10 px, predicted 9, both 8 (of 16 pixels).
    true, pred = (TRUE > 0).astype(np.uint8), (PRED > 0).astype(np.uint8)
    result = nse.semantic_metrics(true, pred, region=RIGHT)
    table = result.per_class.set_index("class")
    assert table.loc[1, ["tp", "fp", "fn", "tn"]].tolist() == [8, 1, 2, 5]
    assert table.loc[1, "iou"] == pytest.approx(8 / 11)
    assert table.loc[0, "iou"] == pytest.approx(5 / 8)
    assert result.summary["pixel_accuracy"] == pytest.approx(13 / 16)
    assert result.summary["n_pixels"] == 16
    cropped = nse.semantic_metrics(true[HALF], pred[HALF])
    pd.testing.assert_frame_equal(result.per_class, cropped.per_class)
    pd.testing.assert_series_equal(result.summary, cropped.summary)


def test_ctc_metrics_of_the_right_half_by_hand():
    # 6 holds 4/6 of 2 and 7 holds 4/4 of 3: both matched, SEG = (2/3 + 4/5) / 2, DET = 1.
    result = nse.ctc_metrics(TRUE, PRED, region=RIGHT)
    assert result["seg"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert result["det"] == 1.0
    assert [result[k] for k in ("n_true", "n_pred", "fn", "fp", "ns")] == [2, 2, 0, 0, 0]
    pd.testing.assert_series_equal(result, nse.ctc_metrics(TRUE[HALF], PRED[HALF]))


def test_ctc_metrics_region_follows_the_time_axis():
    # Two frames along the last axis; the region keeps the right half of the first frame only.
    true = np.stack([TRUE, TRUE], axis=-1)
    pred = np.stack([PRED, np.zeros_like(PRED)], axis=-1)
    region = np.stack([RIGHT, np.zeros_like(RIGHT)], axis=-1)
    result = nse.ctc_metrics(true, pred, time_axis=-1, region=region)
    pd.testing.assert_series_equal(result, nse.ctc_metrics(TRUE[HALF], PRED[HALF]))


def test_threshold_sweep_of_the_right_half_by_hand():
    # Right half: 10 positive pixels (2 at p = 0.4, 8 at 0.9) and 6 negative (1 at 0.9, 5 at
    # 0.2). At t = 0.3: tp 10, fp 1 (iou 10/11); at t = 0.5: tp 8, fp 1 (iou 8/11).
    true = (TRUE > 0).astype(np.uint8)
    result = nse.threshold_sweep(true, PROB, steps=10, region=RIGHT)
    rows = result.per_threshold.set_index("threshold")
    assert rows.loc[0.3, ["tp", "fp", "fn", "tn"]].tolist() == [10, 1, 0, 5]
    assert rows.loc[0.5, ["tp", "fp", "fn", "tn"]].tolist() == [8, 1, 2, 5]
    assert result.summary["best_threshold"] == pytest.approx(0.2)
    assert result.summary["best_value"] == pytest.approx(10 / 11)
    assert result.summary["n_positive"] == 10 and result.summary["n_negative"] == 6
    cropped = nse.threshold_sweep(true[HALF], PROB[HALF], steps=10)
    pd.testing.assert_frame_equal(result.per_threshold, cropped.per_threshold)
    pd.testing.assert_series_equal(result.summary, cropped.summary)


def test_calibration_of_the_right_half_by_hand():
    # Right half, 15 bins: bin 3 (p = 0.2): 5 pixels, none positive; bin 6 (0.4): 2 positive;
    # bin 13 (0.9): 9 pixels, 8 positive. ECE = (5 * 0.2 + 2 * 0.6 + 9 * |8/9 - 0.9|) / 16.
    true = (TRUE > 0).astype(np.uint8)
    result = nse.calibration(true, PROB, region=RIGHT, method="temperature")
    assert result.bins["count"].sum() == 16
    assert result.bins["count"].to_numpy()[[3, 6, 13]].tolist() == [5, 2, 9]
    expected_ece = (5 * 0.2 + 2 * 0.6 + 9 * abs(8 / 9 - 0.9)) / 16
    assert result.summary["ece"] == pytest.approx(expected_ece)
    brier = (5 * 0.2**2 + 2 * 0.6**2 + 8 * 0.1**2 + 1 * 0.9**2) / 16
    assert result.summary["brier"] == pytest.approx(brier)
    cropped = nse.calibration(true[HALF], PROB[HALF], method="temperature")
    pd.testing.assert_frame_equal(result.bins, cropped.bins)
    pd.testing.assert_series_equal(result.summary, cropped.summary)


def test_instance_threshold_sweep_of_the_right_half_by_hand():
    # 0.9 on pred 5 and 6, 0.6 on row 3, columns 4-5 (the lower half of true 3's right part),
    # 0.2 elsewhere. Right half at t = 0.5: pred 6 (IoU 4/6 with 2) and the row-3 piece (IoU
    # 2/4 with 3): 2 matches at 0.5, PQ = (2/3 + 1/2) / 2. At t = 0.7 only 6: F1 = 2/3,
    # PQ = (2/3) / (1 + 1/2).
    prob = np.where(np.isin(PRED, [5, 6]), 0.9, 0.2)
    prob[3, 4:6] = 0.6
    kwargs = {"thresholds": [0.5, 0.7], "metric": "panoptic_quality_50"}
    region = nse.instance_threshold_sweep(TRUE, prob, region=RIGHT, **kwargs)
    assert region["n_pred"].tolist() == [2, 1]
    assert region["f1_50"].tolist() == pytest.approx([1.0, 2 / 3])
    assert region["panoptic_quality_50"].tolist() == pytest.approx([7 / 12, 4 / 9])
    assert region["best"].tolist() == [True, False]
    cropped = nse.instance_threshold_sweep(TRUE[HALF], prob[HALF], **kwargs)
    pd.testing.assert_frame_equal(region, cropped)


def test_instance_threshold_sweep_labels_the_whole_map_then_cuts():
    # Two pieces in the region joined outside it are one predicted object (as labelled on the
    # whole map): the region cuts objects, it does not relabel them.
    true = np.array([[1, 0, 2], [0, 0, 0], [0, 0, 0]])
    prob = np.array([[0.9, 0.1, 0.9], [0.9, 0.9, 0.9], [0.1, 0.1, 0.1]])
    top = np.zeros((3, 3), bool)
    top[0] = True
    row = nse.instance_threshold_sweep(true, prob, thresholds=[0.5], region=top).iloc[0]
    assert row["n_pred"] == 1  # one U-shaped object, cut to its two top pixels
    assert row["f1_50"] == pytest.approx(2 / 3)  # IoU 1/2 with each true pixel: one match
    cropped = nse.instance_threshold_sweep(true[:1], prob[:1], thresholds=[0.5]).iloc[0]
    assert cropped["n_pred"] == 2 and cropped["f1_50"] == 1.0  # the crop cuts it in two
    labels = (prob > 0.5).astype(np.uint8)
    assert nse.instance_metrics(true, labels, region=top).summary["n_pred"] == 1


def test_coco_average_precision_of_the_right_half_by_hand():
    # Ranked 6 (IoU 2/3) then 7 (IoU 0.8); 5 lies outside and needs no score. At IoU 0.5 both
    # match: AP 1. At 0.75 only 7, ranked second: precision 1/2 up to recall 1/2, read at the
    # 51 recall points 0, 0.01, ..., 0.5 of 101.
    scores = {6: 0.9, 7: 0.8}
    result = nse.coco_average_precision(
        TRUE, PRED, scores, iou_thresholds=[0.5, 0.75], region=RIGHT
    )
    assert result.per_threshold["ap"].tolist() == pytest.approx([1.0, 0.5 * 51 / 101])
    cropped = nse.coco_average_precision(TRUE[HALF], PRED[HALF], scores, iou_thresholds=[0.5, 0.75])
    pd.testing.assert_frame_equal(result.per_threshold, cropped.per_threshold)


def test_presets_take_a_region_per_image():
    from napari_seg_eval.core.presets import preset_metrics

    # IoU 2/3 and 0.8: both match at 0.50-0.65 (4 thresholds, accuracy 1), one at 0.70-0.80
    # (3 thresholds, 1/3), none above: (4 + 1) / 10.
    got = preset_metrics("dsb2018", [TRUE, TRUE], [PRED, PRED], region=[RIGHT, RIGHT])
    assert got["mean_accuracy_image_mean"] == pytest.approx(0.5)
    ctc = preset_metrics("ctc", TRUE, PRED, region=RIGHT)
    assert ctc["seg"] == pytest.approx((2 / 3 + 0.8) / 2)
    with pytest.raises(ValueError, match="2 images but 1 regions"):
        preset_metrics("dsb2018", [TRUE, TRUE], [PRED, PRED], region=RIGHT)


# ---- boundary metrics: both images masked to the region -----------------------------------------


def test_boundary_in_a_region_by_hand():
    # true: rows 1-4, columns 0-5; pred: rows 1-4, columns 0-3; region: columns 2-5. Inside,
    # true is a 4x4 square (12 contour pixels) and pred a 4x2 bar (all 8 pixels are contour):
    # the cut at column 2 is a boundary of both, as the image's edge would be.
    # pred -> true: 0 for 6 pixels, 1 for (2, 3) and (3, 3).
    # true -> pred: 0 for column 2 and (1, 3), (4, 3); 1 for (1, 4), (4, 4); 2 for column 5.
    true = np.zeros((6, 6), np.uint8)
    true[1:5, 0:6] = 1
    pred = np.zeros((6, 6), np.uint8)
    pred[1:5, 0:4] = 1
    region = np.zeros((6, 6), bool)
    region[:, 2:] = True
    result = nse.boundary_metrics(true, pred, region=region, tolerance=1.0)
    row = result.per_class.iloc[0]
    assert row["class"] == 1
    assert row["hd"] == 2.0
    assert row["hd95"] == 2.0  # d_tp: 95th percentile of 6 x 0, 2 x 1, 4 x 2 -> 2
    assert row["assd"] == pytest.approx((2 + 2 * 1 + 4 * 2) / 20)
    assert row["nsd"] == pytest.approx((8 + 8) / 20)
    assert row["boundary_f1"] == pytest.approx(2 * (1 * 2 / 3) / (1 + 2 / 3))
    cropped = nse.boundary_metrics(true[:, 2:], pred[:, 2:], tolerance=1.0)
    pd.testing.assert_frame_equal(result.per_class, cropped.per_class)


def test_boundary_region_equals_crop_with_background_and_per_object():
    for kwargs in ({"include_background": True}, {"per_object": True}):
        region = nse.boundary_metrics(TRUE, PRED, region=RIGHT, **kwargs)
        cropped = nse.boundary_metrics(TRUE[HALF], PRED[HALF], **kwargs)
        pd.testing.assert_frame_equal(region.to_frame(), cropped.to_frame())
        pd.testing.assert_series_equal(region.summary, cropped.summary)
    # class 0 is the background inside the region only: not the pixels outside it
    table = nse.boundary_metrics(TRUE, PRED, region=RIGHT, include_background=True).per_class
    assert table["class"].tolist() == [0, 2, 3, 6, 7]
    per_object = nse.boundary_metrics(TRUE, PRED, region=RIGHT, per_object=True).per_object
    assert per_object[["true_label", "pred_label"]].to_numpy().tolist() == [[2, 6], [3, 7]]


# ---- classes: the majority inside the region ----------------------------------------------------


def test_object_class_is_the_majority_inside_the_region():
    # True object 3 is class 1 on columns 2-3 and class 2 on columns 4-5: class 1 over the
    # whole image (a tie, to the smaller class), class 2 inside the right half.
    classes = np.where(np.arange(8) < 4, 1, 2) * (TRUE > 0)
    result = nse.instance_metrics(
        TRUE,
        PRED,
        iou_thresholds=[0.5],
        true_classes=classes,
        pred_classes={6: 2, 7: 2},
        region=RIGHT,
    )
    table = result.per_class
    assert table[["class", "tp", "fp", "fn"]].to_numpy().tolist() == [[2, 2, 0, 0]]


# ---- no pixel inside: NaN, as when every pixel is ignored ---------------------------------------


def test_all_false_region_gives_nan_like_all_ignored():
    nowhere = np.zeros(TRUE.shape, bool)
    with pytest.warns(RuntimeWarning, match="no pixel lies inside the region"):
        semantic = nse.semantic_metrics(TRUE, PRED, region=nowhere)
    assert semantic.summary["n_pixels"] == 0 and len(semantic.per_class) == 0
    assert math.isnan(semantic.summary["mean_iou"])
    # instance metrics: what an image whose every pixel is ignored gives (NaN, no warning)
    ignored = np.full(TRUE.shape, 255)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_region = nse.instance_metrics(TRUE, PRED, region=nowhere).summary
        by_label = nse.instance_metrics(ignored, PRED, ignore_label=255).summary
    pd.testing.assert_series_equal(by_region, by_label)
    assert by_region["n_true"] == 0 and math.isnan(by_region["mean_accuracy"])
    ctc = nse.ctc_metrics(TRUE, PRED, region=nowhere)
    assert math.isnan(ctc["seg"]) and math.isnan(ctc["det"]) and ctc["n_true"] == 0
    boundary = nse.boundary_metrics(TRUE, PRED, region=nowhere)
    assert len(boundary.per_class) == 0 and math.isnan(boundary.summary["mean_hd"])


def test_all_false_region_in_the_sweep_and_calibration():
    nowhere = np.zeros(TRUE.shape, bool)
    with pytest.warns(RuntimeWarning, match="no pixel lies inside the region"):
        sweep = nse.threshold_sweep(TRUE, PROB, region=nowhere, steps=10)
    assert sweep.summary["n_positive"] == 0 and sweep.summary["n_negative"] == 0
    assert math.isnan(sweep.summary["best_threshold"])
    assert sweep.per_threshold["iou"].isna().all()
    with pytest.warns(RuntimeWarning, match="no pixel lies inside the region"):
        result = nse.calibration(TRUE, PROB, region=nowhere, method="temperature")
    for key in ("ece", "mce", "brier", "nll", "temperature", "ece_calibrated", "nll_calibrated"):
        assert math.isnan(result.summary[key]), key
    assert result.summary["n_pixels"] == 0


def test_platt_calibration_of_a_region_equals_the_crop():
    true = (TRUE > 0).astype(np.uint8)
    region = nse.calibration(true, PROB, region=RIGHT, method="platt").summary
    cropped = nse.calibration(true[HALF], PROB[HALF], method="platt").summary
    pd.testing.assert_series_equal(region, cropped)
    whole = nse.calibration(true, PROB, method="platt").summary
    assert whole["platt_slope"] != region["platt_slope"]
    chunked = nse.calibration(lazy(true), lazy(PROB), region=lazy(RIGHT), method="platt").summary
    for key in ("platt_slope", "platt_intercept", "temperature", "n_pixels"):
        assert chunked[key] == region[key]


@pytest.mark.parametrize("method", ["temperature", "platt"])
def test_probabilities_outside_the_region_are_never_looked_at(method):
    # NaN outside the region (a masked-out area) would be refused anywhere inside it.
    true = (TRUE > 0).astype(np.uint8)
    masked = np.where(RIGHT, PROB, np.nan)
    region = nse.calibration(true, masked, region=RIGHT, method=method).summary
    pd.testing.assert_series_equal(
        region, nse.calibration(true[HALF], PROB[HALF], method=method).summary
    )
    sweep = nse.threshold_sweep(true, masked, region=RIGHT, steps=10).per_threshold
    pd.testing.assert_frame_equal(
        sweep, nse.threshold_sweep(true[HALF], PROB[HALF], steps=10).per_threshold
    )


def test_all_false_region_gives_nan_platt_parameters():
    nowhere = np.zeros(TRUE.shape, bool)
    with pytest.warns(RuntimeWarning, match="no pixel lies inside the region"):
        summary = nse.calibration(TRUE, PROB, region=nowhere, method="platt").summary
    for key in ("platt_slope", "platt_intercept", "ece_calibrated", "nll_calibrated"):
        assert math.isnan(summary[key]), key
    for key in ("temperature", "ece_temperature", "nll_temperature"):
        assert math.isnan(summary[key]), key


def test_all_false_region_in_the_instance_sweep():
    nowhere = np.zeros(TRUE.shape, bool)
    table = nse.instance_threshold_sweep(TRUE, PROB, thresholds=[0.5], region=nowhere)
    assert table["n_pred"].tolist() == [0] and math.isnan(table["f1_50"].iat[0])
    assert not table["best"].any()


# ---- region and ignore_label together -----------------------------------------------------------


def test_region_and_ignore_label_together_by_hand():
    # Counted: pixels 0, 1 and 3 (2 is ignored, 4-5 are outside): true [1, 1, 0] against
    # pred [1, 0, 1]. Class 1: tp 1, fp 1, fn 1 -> IoU 1/3; class 0: tp 0, fp 1, fn 1 -> 0.
    true = np.array([[1, 1, 255, 0, 255, 1]])
    pred = np.array([[1, 0, 1, 1, 0, 1]])
    region = np.array([[True, True, True, True, False, False]])
    result = nse.semantic_metrics(true, pred, ignore_label=255, region=region)
    table = result.per_class.set_index("class")
    assert table.loc[1, ["tp", "fp", "fn", "tn"]].tolist() == [1, 1, 1, 0]
    assert table.loc[1, "iou"] == pytest.approx(1 / 3)
    assert table.loc[0, "iou"] == 0.0
    assert result.summary["n_pixels"] == 3
    instance = nse.instance_metrics(true, pred, ignore_label=255, region=region)
    assert instance.summary["n_true"] == 1 and instance.summary["n_pred"] == 1
    assert instance.per_object.set_index(["kind", "label"]).loc[("true", 1), "area"] == 2
    # everything inside the region ignored: the warning names both
    with pytest.warns(RuntimeWarning, match="every pixel inside the region has the ignored"):
        nse.semantic_metrics(true, pred, ignore_label=255, region=true == 255)


# ---- lazy regions equal numpy regions -----------------------------------------------------------


def test_lazy_region_equals_numpy_region_for_every_metric():
    true_fg = (TRUE > 0).astype(np.uint8)
    cases = [
        (lambda t, p, r: nse.instance_metrics(t, p, region=r).per_threshold, TRUE, PRED),
        (lambda t, p, r: nse.semantic_metrics(t, p, region=r).per_class, TRUE, PRED),
        (lambda t, p, r: nse.ctc_metrics(t, p, region=r), TRUE, PRED),
        (
            lambda t, p, r: nse.threshold_sweep(t, p, region=r, steps=20).per_threshold,
            true_fg,
            PROB,
        ),
        (lambda t, p, r: nse.calibration(t, p, region=r).bins, true_fg, PROB),
        (
            lambda t, p, r: nse.instance_threshold_sweep(t, p, region=r, thresholds=[0.3, 0.5]),
            TRUE,
            PROB,
        ),
    ]
    for metric, true, other in cases:
        expected = metric(true, other, RIGHT)
        for t, o, r in ((true, other, lazy(RIGHT)), (lazy(true), lazy(other), lazy(RIGHT))):
            got = metric(t, o, r)
            if isinstance(expected, pd.Series):
                pd.testing.assert_series_equal(got, expected)
            else:
                pd.testing.assert_frame_equal(got, expected)
    summary = nse.calibration(true_fg, PROB, region=lazy(RIGHT), method="temperature").summary
    expected = nse.calibration(true_fg, PROB, region=RIGHT, method="temperature").summary
    pd.testing.assert_series_equal(summary, expected)


# ---- validation, before any pass over the data --------------------------------------------------


def _unreadable(shape, dtype):
    """A chunked array whose read fails: a check that raises first ran before any pass."""

    def boom():
        raise AssertionError("the data was read before the region was checked")

    return da.from_delayed(delayed(boom)(), shape=shape, dtype=dtype)


CALLS = {
    "overlap_table": lambda t, p, r: overlap_table(t, p, region=r),
    "semantic_metrics": lambda t, p, r: nse.semantic_metrics(t, p, region=r),
    "instance_metrics": lambda t, p, r: nse.instance_metrics(t, p, region=r),
    "boundary_metrics": lambda t, p, r: nse.boundary_metrics(t, p, region=r),
    "ctc_metrics": lambda t, p, r: nse.ctc_metrics(t, p, region=r),
    "coco_average_precision": lambda t, p, r: nse.coco_average_precision(t, p, {}, region=r),
}
PROB_CALLS = {
    "threshold_sweep": lambda t, p, r: nse.threshold_sweep(t, p, region=r),
    "calibration": lambda t, p, r: nse.calibration(t, p, region=r),
    "instance_threshold_sweep": lambda t, p, r: nse.instance_threshold_sweep(t, p, region=r),
}


@pytest.mark.parametrize("name", [*CALLS, *PROB_CALLS])
@pytest.mark.parametrize(
    ("region", "error", "words"),
    [
        (np.ones((4, 8), np.uint8), TypeError, "region must be a boolean mask"),
        (np.ones((4, 8), float), TypeError, "got dtype float64"),
        (np.ones((4, 7), bool), ValueError, r"region has shape \(4, 7\)"),
        (da.ones((8, 4), dtype=bool, chunks=2), ValueError, "must cover the same pixels"),
    ],
)
def test_bad_region_is_refused_before_any_pass(name, region, error, words):
    true = _unreadable((4, 8), np.int64)
    if name in CALLS:
        call, other = CALLS[name], _unreadable((4, 8), np.int64)
    else:
        call, other = PROB_CALLS[name], _unreadable((4, 8), np.float64)
    with pytest.raises(error, match=words):
        call(true, other, region)


def test_region_as_a_list_of_booleans_is_accepted():
    region = RIGHT.tolist()
    result = nse.semantic_metrics(TRUE, PRED, region=region)
    assert result.summary["n_pixels"] == 16
