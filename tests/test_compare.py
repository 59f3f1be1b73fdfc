"""Bootstrap intervals over images, paired differences, per-object changes and McNemar's test.

Expected values are enumerated by hand: with two images a resample holds image 1 twice (chance
1/4), each once (1/2) or image 2 twice (1/4), so with many resamples the 30th and 70th
percentiles (confidence 0.4) both fall in the middle case, and the 2.5th and 97.5th in the outer
ones.
"""

import dataclasses
import math
import warnings
from fractions import Fraction

import dask.array as da
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from napari_seg_eval import dataset_metrics, instance_metrics, semantic_metrics
from napari_seg_eval.core import compare
from napari_seg_eval.core.compare import (
    bootstrap_dataset,
    bootstrap_interval,
    bootstrap_objects,
    bootstrap_weights,
    compare_objects,
    mcnemar,
    paired_bootstrap,
)

A = np.array([[1, 1, 0], [0, 0, 2]])
B = np.array([[0, 3, 3], [0, 0, 0]])


def instance_rows(true, pred, iou_thresholds):
    return pd.concat(
        instance_metrics(t, p, iou_thresholds=iou_thresholds).per_threshold.assign(image=i)
        for i, (t, p) in enumerate(zip(true, pred, strict=True))
    )


def semantic_rows(true, pred, classes, include_background=True):
    return pd.concat(
        semantic_metrics(
            t, p, classes=classes, include_background=include_background
        ).per_class.assign(image=i)
        for i, (t, p) in enumerate(zip(true, pred, strict=True))
    )


def instance_run(true, pred, iou_thresholds=(0.5, 0.75)):
    result = dataset_metrics(true, pred, iou_thresholds=iou_thresholds)
    return result, instance_rows(true, pred, iou_thresholds)


# -- the resamples ---------------------------------------------------------------------------


def test_weights_count_the_draws_of_each_resample():
    weights = bootstrap_weights(5, n_resamples=300, seed=3)
    assert weights.shape == (300, 5)
    assert np.all(weights.sum(axis=1) == 5)
    assert np.all(weights == np.round(weights)) and weights.min() >= 0
    # Each image is drawn 5 × 1/5 = 1 time per resample on average.
    assert weights.mean() == pytest.approx(1.0)


def test_the_seed_makes_the_resamples_and_intervals_identical():
    values = np.arange(10.0)
    assert np.array_equal(bootstrap_weights(10, seed=7), bootstrap_weights(10, seed=7))
    assert bootstrap_interval(values, seed=7) == bootstrap_interval(values, seed=7)
    assert bootstrap_interval(values, seed=7) != bootstrap_interval(values, seed=8)
    assert bootstrap_weights(10, n_resamples=3, seed=None).shape == (3, 10)


# -- bootstrap_interval ----------------------------------------------------------------------


def test_identical_images_give_a_zero_width_interval():
    assert bootstrap_interval([0.75] * 6) == (0.75, 0.75)
    assert bootstrap_interval([[3, 4]] * 6, "ratio") == (0.75, 0.75)


def test_image_mean_of_two_images_enumerated():
    # Resample means 0, 0.5, 1 with chances 1/4, 1/2, 1/4.
    assert bootstrap_interval([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_interval([0.0, 1.0], confidence=0.4) == (0.5, 0.5)


def test_pooled_ratio_is_the_ratio_of_summed_counts_not_the_mean_of_ratios():
    # Image 1: 1 of 1; image 2: 0 of 3. Resamples: 2/2, (1 + 0)/(1 + 3) = 1/4, 0/6.
    counts = [[1, 1], [0, 3]]
    assert bootstrap_interval(counts, "ratio", confidence=0.4) == (0.25, 0.25)
    assert bootstrap_interval(counts, "ratio") == (0.0, 1.0)

    # The same with a callable of the summed counts.
    def statistic(sums):
        return sums[:, 0] / sums[:, 1]

    assert bootstrap_interval(counts, statistic, confidence=0.4) == (0.25, 0.25)


def test_undefined_values_are_left_out_of_the_mean_and_undefined_resamples_dropped():
    # A resample of only the NaN image is undefined (chance 1/27) and left out.
    assert bootstrap_interval([np.nan, 1.0, 1.0]) == (1.0, 1.0)
    assert np.isnan(bootstrap_interval([np.nan, np.nan])).all()
    # 0/0 in a pooled ratio: the resample of image 2 alone is undefined, the others are 1/1.
    assert bootstrap_interval([[1, 1], [0, 0]], "ratio") == (1.0, 1.0)


def test_interval_of_a_mean_matches_the_normal_approximation():
    # For many images the bootstrap distribution of the mean is close to normal with
    # standard deviation sd / sqrt(n) (sd with ddof=0: the resampling population).
    values = np.random.default_rng(0).normal(size=400)
    low, high = bootstrap_interval(values, n_resamples=4000)
    half_width = 1.959964 * values.std() / np.sqrt(values.size)
    assert (high - low) / 2 == pytest.approx(half_width, rel=0.1)
    assert (low + high) / 2 == pytest.approx(values.mean(), abs=0.1 * half_width)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"confidence": 0}, "confidence"),
        ({"confidence": 1}, "confidence"),
        ({"confidence": float("nan")}, "confidence"),
        ({"confidence": "high"}, "confidence"),
        ({"n_resamples": 0}, "n_resamples"),
        ({"n_resamples": 2.5}, "n_resamples"),
        ({"n_resamples": True}, "n_resamples"),
    ],
)
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_interval([0.5, 1.0], **kwargs)


@pytest.mark.parametrize(
    ("values", "statistic", "match"),
    [
        ([], "mean", "one value"),
        ([[1, 2]], "mean", "one value per image"),
        ([1, 2], "ratio", "numerator, denominator"),
        ([[1, np.nan]], "ratio", "finite"),
        ([1, 2], "median", "statistic must be"),
    ],
)
def test_bad_values_are_refused(values, statistic, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_interval(values, statistic)


# -- bootstrap_dataset -----------------------------------------------------------------------


def test_dataset_intervals_by_hand():
    # Image 1: both objects found (tp 2); image 2: its object missed (fn 1). IoU threshold 0.5.
    true, pred = [A, B], [A, np.zeros_like(B)]
    result, rows = instance_run(true, pred, [0.5])
    table = bootstrap_dataset(result, per_image_rows=rows, confidence=0.4).set_index("metric")
    assert list(table.index) == [
        "mean_accuracy_pooled",
        "mean_accuracy_image_mean",
        "f1_50_pooled",
        "f1_50_image_mean",
        "panoptic_quality_50_pooled",
        "panoptic_quality_50_image_mean",
        "aji_pooled",
        "aji_image_mean",
    ]
    # Middle resample (each image once): pooled tp 2, fp 0, fn 1.
    expected = {
        "mean_accuracy_pooled": 2 / 3,  # 2 / (2 + 0 + 1)
        "f1_50_pooled": 0.8,  # 4 / 5
        "panoptic_quality_50_pooled": 0.8,  # IoU sum 2 / (2 + 0 + 1/2)
        "aji_pooled": 0.6,  # (3 + 0) / (3 + 2)
    }
    for key, value in expected.items():
        assert table.loc[key, ["value", "low", "high"]].tolist() == pytest.approx([value] * 3)
    for key in ["mean_accuracy", "f1_50", "panoptic_quality_50", "aji"]:  # per image 1 and 0
        assert table.loc[f"{key}_image_mean", ["value", "low", "high"]].tolist() == [0.5] * 3
    # At 95 %: the resamples of image 1 alone (value 1) and of image 2 alone (value 0).
    wide = bootstrap_dataset(result, per_image_rows=rows).set_index("metric")
    assert wide["low"].tolist() == [0.0] * 8
    assert wide["high"].tolist() == [1.0] * 8


def test_dataset_values_are_the_summary_values():
    rng = np.random.default_rng(1)
    true, pred = [], []
    for _ in range(6):
        labels = np.zeros((12, 12), int)
        for k in range(1, 5):
            r, c = rng.integers(0, 10, 2)
            labels[r : r + 2, c : c + 3] = k
        true.append(labels)
        pred.append(np.where(rng.random(labels.shape) < 0.15, 0, labels))
    result, rows = instance_run(true, pred)
    table = bootstrap_dataset(result, per_image_rows=rows)
    assert table["value"].tolist() == [float(result.summary[k]) for k in table["metric"]]
    assert np.all(table["low"] <= table["value"] + 1e-12)
    assert np.all(table["value"] <= table["high"] + 1e-12)
    assert table.attrs == {"confidence": 0.95, "n_resamples": 2000, "seed": 0}


def test_identical_images_give_zero_width_at_the_summary_value():
    # Every resample of copies of one image is that image: the recomputed pooled and
    # image-mean values must be the summary's.
    true = np.array([[1, 1, 0, 2, 2, 2], [3, 3, 0, 0, 4, 4]])
    pred = np.array([[1, 1, 1, 2, 2, 0], [3, 0, 0, 0, 6, 6]])
    result, rows = instance_run([true] * 4, [pred] * 4)
    table = bootstrap_dataset(result, per_image_rows=rows)
    assert table["low"].to_numpy() == pytest.approx(table["value"].to_numpy(), abs=1e-12)
    assert table["high"].to_numpy() == pytest.approx(table["value"].to_numpy(), abs=1e-12)


def test_one_image_has_no_interval_as_dataset_metrics_says():
    # One image: TP 1, FN 1 at IoU 0.5 (F1 2/3). Every resample is the image itself, so the
    # interval [2/3, 2/3] would say nothing: NaN bounds, as dataset_metrics gives them.
    true, pred = [np.array([[1, 1, 0, 2]])], [np.array([[1, 1, 0, 0]])]
    result, rows = instance_run(true, pred, [0.5])
    table = bootstrap_dataset(result, per_image_rows=rows).set_index("metric")
    assert table.loc["f1_50_pooled", "value"] == pytest.approx(2 / 3)
    assert table[["low", "high"]].isna().all().all()
    one = dataset_metrics(true, pred, iou_thresholds=[0.5], confidence_interval=0.95)
    for key in table.index:
        assert math.isnan(one.summary[f"{key}_low"]) and math.isnan(one.summary[f"{key}_high"])
    # Two images, the second empty on both sides: F1 is undefined there, so its image mean
    # stands on one image (NaN bounds); the pooled F1 draws from both (an interval).
    true.append(np.zeros((1, 4), int))
    pred.append(np.zeros((1, 4), int))
    result, rows = instance_run(true, pred, [0.5])
    table = bootstrap_dataset(result, per_image_rows=rows).set_index("metric")
    assert table.loc["f1_50_image_mean", ["low", "high"]].isna().all()
    assert table.loc["f1_50_pooled", "low"] == pytest.approx(2 / 3)  # the empty image adds 0


@pytest.mark.parametrize("include_background", [True, False])
def test_semantic_dataset_intervals(include_background):
    one = np.array([[0, 1, 1], [2, 2, 0]])
    other = np.array([[0, 1, 0], [2, 0, 0]])
    result = dataset_metrics([one], [other], kind="semantic", include_background=include_background)
    classes = result.pooled["class"].tolist()
    rows = semantic_rows([one], [other], classes, include_background)
    table = bootstrap_dataset(result, per_image_rows=rows)  # one image: no interval
    assert list(table["metric"]) == [
        "mean_iou_pooled",
        "mean_iou_image_mean",
        "mean_dice_pooled",
        "mean_dice_image_mean",
        "pixel_accuracy_pooled",
        "pixel_accuracy_image_mean",
    ]
    assert table[["low", "high"]].isna().all().all()

    # Two images: image 1 perfect, image 2 all wrong about class 1 (classes 0 and 1).
    true = [np.array([0, 1, 1, 0]), np.array([0, 1, 1, 1])]
    pred = [np.array([0, 1, 1, 0]), np.array([0, 0, 0, 0])]
    result = dataset_metrics(true, pred, kind="semantic")
    rows = semantic_rows(true, pred, [0, 1])
    table = bootstrap_dataset(result, per_image_rows=rows, confidence=0.4).set_index("metric")
    # Middle resample = the pooled counts: class 0 tp 3 fp 3; class 1 tp 2 fn 3.
    iou = (3 / 6 + 2 / 5) / 2
    dice = (6 / 9 + 4 / 7) / 2
    assert table.loc["mean_iou_pooled"].tolist() == pytest.approx([iou] * 3)
    assert table.loc["mean_dice_pooled"].tolist() == pytest.approx([dice] * 3)
    assert table.loc["pixel_accuracy_pooled"].tolist() == pytest.approx([5 / 8] * 3)


def test_without_rows_the_row_pooled_values_have_no_interval():
    result = dataset_metrics([A, B], [A, np.zeros_like(B)], iou_thresholds=[0.5])
    result = dataclasses.replace(result, per_image_rows=None)  # e.g. rebuilt from CSV tables
    with pytest.warns(RuntimeWarning, match="mean_accuracy_pooled"):
        table = bootstrap_dataset(result).set_index("metric")
    assert table.loc["mean_accuracy_pooled", ["low", "high"]].isna().all()
    assert table.drop(index="mean_accuracy_pooled")[["low", "high"]].notna().all().all()


def test_a_result_resamples_its_own_per_image_rows():
    """Every result of dataset_metrics (and of its table and parts forms) keeps each image's
    per-threshold or per-class counts: the pooled AP (DSB), mean IoU and mean Dice get an
    interval without per_image_rows, the same as with them, and without a warning."""
    from napari_seg_eval import overlap_table
    from napari_seg_eval.core.dataset import (
        dataset_from_parts,
        dataset_from_tables,
        instance_image_parts,
    )

    true, pred = [A, B], [A, np.zeros_like(B)]
    tables = [overlap_table(t, p) for t, p in zip(true, pred, strict=True)]
    results = [
        dataset_metrics(true, pred, iou_thresholds=[0.5]),
        dataset_from_tables(tables, iou_thresholds=[0.5]),
        dataset_from_parts([instance_image_parts(t, iou_thresholds=[0.5]) for t in tables]),
    ]
    rows = instance_rows(true, pred, [0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for result in results:
            table = bootstrap_dataset(result, confidence=0.4).set_index("metric")
            # Middle resample (each image once): tp 2, fp 0, fn 1 -> AP (DSB) 2 / 3.
            assert table.loc["mean_accuracy_pooled", ["low", "high"]].tolist() == pytest.approx(
                [2 / 3, 2 / 3]
            )
            given = bootstrap_dataset(result, per_image_rows=rows, confidence=0.4)
            pd.testing.assert_frame_equal(table.reset_index(), given)
        # Paired: B finds image 2's object too. Per image AP (DSB): A 1, 0; B 1, 1; pooled
        # A 2/3, B 3/3. The middle resample differs by 1/3.
        other = dataset_metrics(true, true, iou_thresholds=[0.5])
        paired = paired_bootstrap(results[0], other, confidence=0.4).set_index("metric")
        assert paired.loc["mean_accuracy_pooled", ["difference", "low", "high"]].tolist() == (
            pytest.approx([1 / 3] * 3)
        )
        explicit = paired_bootstrap(
            results[0],
            other,
            per_image_rows_a=rows,
            per_image_rows_b=instance_rows(true, true, [0.5]),
            confidence=0.4,
        )
        pd.testing.assert_frame_equal(paired.reset_index(), explicit)
        # Semantic: the per-class counts of each image.
        semantic = dataset_metrics(true, pred, kind="semantic")
        classes = semantic.pooled["class"].tolist()
        pd.testing.assert_frame_equal(
            bootstrap_dataset(semantic),
            bootstrap_dataset(semantic, per_image_rows=semantic_rows(true, pred, classes)),
        )
    assert bootstrap_dataset(semantic)[["low", "high"]].notna().all().all()


def test_the_kind_is_read_from_the_tables_not_from_the_summary():
    """Regression: a semantic result rebuilt from a folder of both families (its summary holds
    the instance values too) was taken for an instance result."""
    true, pred = [A, B], [A, np.zeros_like(B)]
    semantic = dataset_metrics(true, pred, kind="semantic")
    instance = dataset_metrics(true, pred, iou_thresholds=[0.5])
    both = pd.concat([instance.summary, semantic.summary.drop("n_images")])
    mixed = dataclasses.replace(semantic, summary=both)
    table = paired_bootstrap(mixed, mixed)
    assert table["metric"].tolist() == [
        f"{key}_{aggregate}"
        for key in ("mean_iou", "mean_dice", "pixel_accuracy")
        for aggregate in ("pooled", "image_mean")
    ]


def test_runs_without_rows_are_warned_once():
    """Regression: each run warned on its own, so a comparison said everything twice."""
    result = dataclasses.replace(
        dataset_metrics([A, B], [A, np.zeros_like(B)], iou_thresholds=[0.5]), per_image_rows=None
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = paired_bootstrap(result, result).set_index("metric")
    assert [str(w.message) for w in caught] == [
        "no interval for mean_accuracy_pooled: runs a and b have no per-image rows (each "
        "image's per-threshold counts, per_image_rows) to bootstrap them from."
    ]
    assert table.loc["mean_accuracy_pooled", ["low", "high"]].isna().all()


def test_rows_of_another_result_are_refused():
    result, rows = instance_run([A, B], [A, np.zeros_like(B)], [0.5])
    _, other = instance_run([A, B], [A, B], [0.5])
    with pytest.raises(ValueError, match="do not add up"):
        bootstrap_dataset(result, per_image_rows=other)
    with pytest.raises(ValueError, match="rows for each"):
        bootstrap_dataset(result, per_image_rows=rows.iloc[:1])
    with pytest.raises(ValueError, match="columns"):
        bootstrap_dataset(result, per_image_rows=rows.drop(columns="image"))


# -- paired_bootstrap ------------------------------------------------------------------------


def test_a_run_against_itself_differs_by_zero():
    result, rows = instance_run([A, B], [A, np.zeros_like(B)])
    table = paired_bootstrap(result, result, per_image_rows_a=rows, per_image_rows_b=rows)
    assert table[["difference", "low", "high"]].to_numpy().tolist() == [[0.0] * 3] * 8


def test_paired_difference_keeps_the_pairing():
    # Four true objects per image, four predictions: A finds k of them (k = 0..3, varying over
    # the images) and puts the rest elsewhere; B finds k + 1. F1 = 2 TP / (4 + 4) = TP / 4, so
    # A's F1 varies a lot but B − A is 1/4 in every image: in every paired resample too.
    true, pred_a, pred_b = [], [], []
    for i in range(8):
        labels = np.zeros((8, 8), int)
        for j in range(4):
            labels[2 * j, :2] = j + 1
        true.append(labels)
        for found, preds in ((i % 4, pred_a), (i % 4 + 1, pred_b)):
            pred = np.zeros_like(labels)
            for j in range(4):
                if j < found:
                    pred[2 * j, :2] = j + 1
                else:
                    pred[2 * j, 5:7] = j + 1  # a false object
            preds.append(pred)
    run_a, rows_a = instance_run(true, pred_a, [0.5])
    run_b, rows_b = instance_run(true, pred_b, [0.5])
    table = paired_bootstrap(run_a, run_b, per_image_rows_a=rows_a, per_image_rows_b=rows_b)
    table = table.set_index("metric")
    for key in ["f1_50", "panoptic_quality_50"]:
        for aggregate in ["pooled", "image_mean"]:
            row = table.loc[f"{key}_{aggregate}"]
            assert row[["difference", "low", "high"]].tolist() == [0.25] * 3
            assert row["b"] - row["a"] == 0.25
    # Each run alone is uncertain: unpaired, the difference would not be known this well.
    alone = bootstrap_dataset(run_a, per_image_rows=rows_a).set_index("metric")
    assert alone.loc["f1_50_image_mean", "high"] - alone.loc["f1_50_image_mean", "low"] > 0.3
    # AP (DSB) = TP / (8 − TP) is not linear in TP, but B is better in every image.
    assert table.loc["mean_accuracy_pooled", "low"] > 0


def test_paired_runs_must_cover_the_same_images():
    run_two = dataset_metrics([A, B], [A, B], iou_thresholds=[0.5])
    run_one = dataset_metrics([A], [A], iou_thresholds=[0.5])
    with pytest.raises(ValueError, match="2 images and run b 1"):
        paired_bootstrap(run_two, run_one)
    semantic = dataset_metrics([A, B], [A, B], kind="semantic")
    with pytest.raises(ValueError, match="same kind: a is instance, b semantic"):
        paired_bootstrap(run_two, semantic)


# -- compare_objects and McNemar -------------------------------------------------------------


def three_objects():
    # True objects 10, 20, 30 (4 pixels each) and 40 (2 pixels).
    true = np.zeros((2, 12), np.int64)
    true[:, 0:2], true[:, 3:5], true[:, 6:8], true[0, 9:11] = 10, 20, 30, 40
    pred_a = np.zeros_like(true)
    pred_a[:, 0:2] = 1  # 10: exact
    pred_a[:, 3:5] = 2  # 20: exact
    pred_a[0, 6:8] = 3  # 30: half of it, IoU 2/4 = 0.5 exactly: matched (IoU >= t)
    pred_b = np.zeros_like(true)
    pred_b[0, 0:2] = 7  # 10: 2 of 4 ...
    pred_b[:, 2] = 7  # ... plus 2 pixels outside: IoU 2/6 < 0.5
    pred_b[:, 3:5] = 8  # 20: exact
    pred_b[:, 6:9] = 9  # 30: 4 of 6, IoU 2/3
    pred_b[0, 10] = 9_000_000_000  # 40: IoU 1/2, a huge id
    return true, pred_a, pred_b


def test_compare_objects_by_hand():
    true, pred_a, pred_b = three_objects()
    table = compare_objects(true, pred_a, pred_b)
    assert table["label"].tolist() == [10, 20, 30, 40]
    assert table["matched_a"].tolist() == [True, True, True, False]
    assert table["matched_b"].tolist() == [False, True, True, True]
    assert table["change"].tolist() == ["broken by B", "both", "both", "fixed by B"]
    assert table["partner_a"].tolist() == [1, 2, 3, 0]
    assert table["partner_b"].tolist() == [0, 8, 9, 9_000_000_000]
    assert table["iou_a"].tolist()[:3] == [1.0, 1.0, 0.5] and np.isnan(table["iou_a"].iat[3])
    assert np.isnan(table["iou_b"].iat[0])
    assert table["iou_b"].tolist()[1:] == [1.0, 4 / 6, 0.5]
    # At IoU 0.6 object 30 is lost by A (0.5) and kept by B (2/3); 40 lost by B.
    strict = compare_objects(true, pred_a, pred_b, iou_threshold=0.6)
    assert strict["change"].tolist() == ["broken by B", "both", "fixed by B", "neither"]


def test_compare_objects_matches_one_to_one():
    # One prediction over two true objects, IoU 1/2 with each: it matches one of them only.
    true = np.array([[1, 1, 2, 2]])
    merged = np.array([[5, 5, 5, 5]])
    table = compare_objects(true, true, merged)
    assert table["matched_b"].sum() == 1
    assert sorted(table["change"]) == ["both", "broken by B"]


def test_compare_objects_chunked_equals_in_memory():
    true, pred_a, pred_b = three_objects()
    chunked = [da.from_array(x, chunks=(1, 5)) for x in (true, pred_a, pred_b)]
    pd.testing.assert_frame_equal(compare_objects(*chunked), compare_objects(true, pred_a, pred_b))


def test_compare_objects_refuses_bad_input():
    true, pred_a, pred_b = three_objects()
    with pytest.raises(ValueError, match="shape mismatch"):
        compare_objects(true, pred_a, pred_b[:, :5])
    with pytest.raises(TypeError, match="integer label image"):
        compare_objects(true, pred_a, pred_b.astype(float))
    with pytest.raises(ValueError, match="iou_thresholds"):
        compare_objects(true, pred_a, pred_b, iou_threshold=0)


def classed_objects():
    """Three true objects and two predictions of the same objects, classes differing.

    Truth: 1 (cols 0-1, class 1), 2 (cols 3-4, class 2), 3 (cols 6-7, class 1). Both
    predictions hold the same ids over the same pixels, 3 one pixel wider (cols 6-8): IoU 1, 1
    and 2/3. Regardless of class, A and B both match every object at 0.5 (and 1, 2 at 0.75).
    Within classes: A calls 2 class 1 (so it misses 2); B calls 1 class 2 (so it misses 1).
    """
    true = np.array([[1, 1, 0, 2, 2, 0, 3, 3, 0]])
    pred = np.array([[1, 1, 0, 2, 2, 0, 3, 3, 3]])
    classes = {
        "true_classes": {1: 1, 2: 2, 3: 1},
        "pred_a_classes": {1: 1, 2: 1, 3: 1},
        "pred_b_classes": {1: 2, 2: 2, 3: 1},
    }
    return true, pred, classes


def per_class_tp(true, pred, true_classes, pred_classes, threshold, **keywords):
    """The TP instance_metrics counts at ``threshold`` with classes: summed over classes."""
    result = instance_metrics(
        true,
        pred,
        iou_thresholds=[threshold],
        true_classes=true_classes,
        pred_classes=pred_classes,
        **keywords,
    )
    return int(result.per_class["tp"].sum())


@pytest.mark.parametrize("threshold", [0.5, 0.75])
def test_compare_objects_with_classes_matches_as_the_per_class_counts(threshold):
    true, pred, classes = classed_objects()
    agnostic = compare_objects(true, pred, pred, iou_threshold=threshold)
    table = compare_objects(true, pred, pred, iou_threshold=threshold, **classes)
    assert table["label"].tolist() == [1, 2, 3]
    assert table["class"].tolist() == [1, 2, 1]
    # At 0.5: regardless of class all three matched by both; within classes A matches 1 and 3
    # (its 2 is of class 1), B matches 2 and 3 (its 1 is of class 2).
    # At 0.75 object 3 (IoU 2/3) is matched by neither, either way.
    found_3 = threshold == 0.5
    assert agnostic["change"].tolist() == ["both", "both", "both" if found_3 else "neither"]
    assert table["matched_a"].tolist() == [True, False, found_3]
    assert table["matched_b"].tolist() == [False, True, found_3]
    assert table["change"].tolist()[:2] == ["broken by B", "fixed by B"]
    assert table["partner_a"].tolist() == [1, 0, 3 if found_3 else 0]
    assert np.isnan(table["iou_a"].iat[1]) and table["iou_b"].iat[1] == 1.0
    # As many objects matched as instance_metrics' per-class TP at that threshold: 2 (or 1).
    tp_a = per_class_tp(true, pred, classes["true_classes"], classes["pred_a_classes"], threshold)
    tp_b = per_class_tp(true, pred, classes["true_classes"], classes["pred_b_classes"], threshold)
    assert tp_a == tp_b == (2 if found_3 else 1)
    assert int(table["matched_a"].sum()) == tp_a and int(table["matched_b"].sum()) == tp_b


def test_compare_objects_with_class_images_and_a_background_class():
    true, pred, classes = classed_objects()
    # The truth's classes as a class image: 1 on cols 0-1 and 6-8, 2 on cols 3-4 (the same
    # classes as the mapping, each object's pixels all of one class).
    class_image = np.array([[1, 1, 0, 2, 2, 0, 1, 1, 1]])
    mapped = compare_objects(true, pred, pred, **classes)
    imaged = compare_objects(true, pred, pred, **{**classes, "true_classes": class_image})
    pd.testing.assert_frame_equal(imaged, mapped)
    # Class 2 as no class: true 2 is in no per-class count (not listed), and B's 1 (class 2)
    # matches nothing: 1 broken by B (A matches it), 3 both.
    table = compare_objects(true, pred, pred, background_class=2, **classes)
    assert table["label"].tolist() == [1, 3]
    assert table["change"].tolist() == ["broken by B", "both"]
    # instance_metrics with class 2 as no class: A's class 1 has TP 2 (1 and 3), B's TP 1 (3).
    for side, matched in (("a", 2), ("b", 1)):
        tp = per_class_tp(
            true,
            pred,
            classes["true_classes"],
            classes[f"pred_{side}_classes"],
            0.5,
            background_class=2,
        )
        assert tp == matched == int(table[f"matched_{side}"].sum())


def test_compare_objects_refuses_classes_of_some_sides_only():
    true, pred, classes = classed_objects()
    with pytest.raises(ValueError, match="missing: pred_b_classes"):
        compare_objects(true, pred, pred, **{**classes, "pred_b_classes": None})
    with pytest.raises(ValueError, match="background_class is for multi-class"):
        compare_objects(true, pred, pred, background_class=0)
    with pytest.raises(ValueError, match="true_classes has shape"):
        compare_objects(true, pred, pred, **{**classes, "true_classes": np.zeros((2, 2), int)})
    with pytest.raises(ValueError, match="pred_a_classes gives no class"):
        compare_objects(true, pred, pred, **{**classes, "pred_a_classes": {1: 1}})


def two_sided_binomial_p(k: int, n: int) -> float:
    """Sum of the binomial(n, 1/2) chances of every outcome no more likely than k."""
    chance = [Fraction(math.comb(n, j), 2**n) for j in range(n + 1)]
    return float(sum(c for c in chance if c <= chance[k]))


def test_mcnemar_exact_p_value_by_hand():
    # both 3, broken 2, fixed 8, neither 1: 10 discordant objects, 8 fixed.
    result = mcnemar([[3, 2], [8, 1]])
    assert result[["fixed", "broken", "n_discordant"]].tolist() == [8, 2, 10]
    # 2 × (C(10,0) + C(10,1) + C(10,2)) / 2**10 = 2 × 56 / 1024
    assert float(result["p_value"]) == pytest.approx(112 / 1024, rel=1e-12)
    assert float(result["p_value"]) == pytest.approx(two_sided_binomial_p(8, 10), rel=1e-12)
    # Swapping A and B swaps fixed and broken, not the p-value.
    assert float(mcnemar([[3, 8], [2, 1]])["p_value"]) == pytest.approx(112 / 1024, rel=1e-12)
    for fixed, broken in [(0, 7), (3, 4), (12, 1)]:
        p = float(mcnemar([[0, broken], [fixed, 0]])["p_value"])
        assert p == pytest.approx(two_sided_binomial_p(fixed, fixed + broken), rel=1e-12)


def test_mcnemar_of_a_comparison_table():
    true, pred_a, pred_b = three_objects()
    result = mcnemar(compare_objects(true, pred_a, pred_b))
    assert result[["fixed", "broken", "n_discordant"]].tolist() == [1, 1, 2]
    assert float(result["p_value"]) == 1.0  # 1 of 2: as likely as can be
    # Nothing discordant: nothing tells A and B apart.
    assert float(mcnemar([[4, 0], [0, 2]])["p_value"]) == 1.0


@pytest.mark.parametrize(
    "table",
    [[[1, 2, 3], [4, 5, 6]], [[1, -1], [0, 0]], [[1, 0.5], [0, 0]], [["a", 1], [0, 0]]],
)
def test_mcnemar_refuses_bad_tables(table):
    with pytest.raises(ValueError, match="2x2 counts"):
        mcnemar(table)
    with pytest.raises(ValueError, match="matched_a"):
        mcnemar(pd.DataFrame({"label": [1]}))


# -- over the objects of one image -----------------------------------------------------------


def object_bounds(table, metric, threshold=None):
    rows = table[table["metric"] == metric]
    if threshold is not None:
        rows = rows[np.isclose(rows["threshold"], threshold)]
    (row,) = rows.itertuples()
    return row.value, row.low, row.high


def test_objects_all_matched_give_a_zero_width_interval_at_one():
    true = np.zeros((6, 20), np.int32)
    for i in range(5):
        true[1:4, 4 * i : 4 * i + 3] = i + 1
    table = bootstrap_objects(instance_metrics(true, true + (true > 0) * 10))
    assert table.attrs["over"] == "objects" and table.attrs["n_units"] == 5
    bounds = table[["value", "low", "high"]].to_numpy(float)
    np.testing.assert_array_equal(bounds, np.ones_like(bounds))


def test_objects_one_found_one_missed_enumerated():
    # Units: a found pair (F1 1) and a missed true object. A resample of 2 units holds the
    # pair twice (1/4: F1 1), each once (1/2: 2 TP / (2 true + 1 pred) = 2/3) or the miss
    # twice (1/4: 0); the 30th and 70th percentiles fall in the middle case.
    true = np.array([[1, 1, 0, 2, 2]])
    pred = np.array([[5, 5, 0, 0, 0]])
    result = instance_metrics(true, pred, iou_thresholds=[0.5])
    table = bootstrap_objects(result, confidence=0.4)
    assert object_bounds(table, "f1_50") == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert object_bounds(table, "recall", 0.5) == pytest.approx((0.5, 0.5, 0.5))
    # Precision is 1 whenever defined (a resample of two misses has no prediction: left out).
    assert object_bounds(table, "precision_50") == pytest.approx((1, 1, 1))
    wide = bootstrap_objects(result)  # 2.5th and 97.5th: the outer cases
    assert object_bounds(wide, "f1_50")[1:] == pytest.approx((0, 1))


def test_objects_iou_and_thresholds_recomputed_from_resampled_counts():
    # Pair 1: IoU 1. Pair 2: true 2 has 4 pixels, prediction 6 holds 2 of them: IoU 1/2.
    true = np.array([[1, 1, 0, 2, 2, 2, 2]])
    pred = np.array([[5, 5, 0, 6, 6, 0, 0]])
    result = instance_metrics(true, pred, iou_thresholds=[0.5, 0.75])
    table = bootstrap_objects(result, confidence=0.4)
    # PQ @ 0.5 of a resample is the mean IoU of the pairs drawn: 1 (1/4), 3/4 (1/2), 1/2 (1/4).
    assert object_bounds(table, "panoptic_quality_50") == pytest.approx((0.75, 0.75, 0.75))
    # At 0.75 pair 2 is a miss and a false prediction: F1 1, 2/4 or 0.
    assert object_bounds(table, "f1", 0.75) == pytest.approx((0.5, 0.5, 0.5))
    # AP (DSB): the mean over 0.5 and 0.75 of TP/(TP+FP+FN): (1 + 1)/2, (1 + 1/3)/2, (1 + 0)/2.
    value, low, high = object_bounds(table, "mean_accuracy")
    assert (value, low, high) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    wide = bootstrap_objects(result)
    assert object_bounds(wide, "mean_accuracy")[1:] == pytest.approx((0.5, 1))


def test_objects_values_are_the_results_own_and_units_add_up():
    rng = np.random.default_rng(3)
    true = np.zeros((40, 40), np.int32)
    true[rng.random((40, 40)) > 0.7] = 1
    true, _ = ndimage.label(true)
    pred = np.roll(true, 1, axis=0)
    for thresholds in ([0.5, 0.75, 0.9], [0.1, 0.3, 0.5]):
        result = instance_metrics(true, pred, iou_thresholds=thresholds)
        table = bootstrap_objects(result, n_resamples=50)
        summary = table[table["threshold"].isna()].set_index("metric")["value"]
        for key, value in summary.items():
            assert value == pytest.approx(float(result.summary[key]), nan_ok=True)
        per = table[table["metric"] == "f1"]["value"].to_numpy()
        np.testing.assert_allclose(per, result.per_threshold["f1"].to_numpy(float))


def test_objects_below_half_iou_resample_clusters():
    # At IoU 0.3 prediction 7 (6 pixels) overlaps true 1 and true 2 (3 each): IoU 1/2 each,
    # so the three objects compete and are one unit; true 3 is matched alone: 2 units.
    true = np.array([[1, 1, 1, 2, 2, 2, 0, 3, 3]])
    pred = np.array([[7, 7, 7, 7, 7, 7, 0, 8, 8]])
    result = instance_metrics(true, pred, iou_thresholds=[0.3])
    table = bootstrap_objects(result)
    assert table.attrs["n_units"] == 2
    at_half = instance_metrics(true, pred, iou_thresholds=[0.5])
    assert bootstrap_objects(at_half).attrs["n_units"] == 2  # 0.5 is always computed too


def test_objects_seeded_batched_and_empty(monkeypatch):
    true = np.array([[1, 1, 0, 2, 2, 0, 3, 0, 4, 4]])
    pred = np.array([[1, 1, 0, 0, 2, 0, 3, 0, 0, 0]])
    result = instance_metrics(true, pred)
    first = bootstrap_objects(result, seed=7, n_resamples=300)
    pd.testing.assert_frame_equal(first, bootstrap_objects(result, seed=7, n_resamples=300))
    assert not first.equals(bootstrap_objects(result, seed=8, n_resamples=300))
    monkeypatch.setattr("napari_seg_eval.core.compare.OBJECT_BATCH", 7)  # one resample a batch
    pd.testing.assert_frame_equal(first, bootstrap_objects(result, seed=7, n_resamples=300))
    empty = bootstrap_objects(instance_metrics(np.zeros((3, 3), int), np.zeros((3, 3), int)))
    assert empty.attrs["n_units"] == 0 and empty[["low", "high"]].isna().all().all()


def test_objects_refuses_bad_input():
    with pytest.raises(TypeError, match="InstanceResult"):
        bootstrap_objects(semantic_metrics(A, A))
    result = instance_metrics(A, A)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_objects(result, confidence=1.5)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_objects(result, n_resamples=0)


def test_bootstrap_objects_checks_before_each_batch_and_can_be_stopped(monkeypatch):
    """The Runs tab's intervals stop when the dock closes: ``check`` runs before each batch
    of resamples, and what it raises stops the bootstrap."""
    monkeypatch.setattr(compare, "OBJECT_BATCH", 30)  # 3 units: 10 resamples a batch
    true = np.array([[1, 1, 0, 2, 2, 0, 3]])
    pred = np.array([[1, 1, 0, 2, 0, 0, 0]])
    result = instance_metrics(true, pred, iou_thresholds=[0.5])
    calls = []
    checked = bootstrap_objects(result, n_resamples=25, check=lambda: calls.append(1))
    assert len(calls) == 3  # batches of 10, 10 and 5 resamples
    pd.testing.assert_frame_equal(checked, bootstrap_objects(result, n_resamples=25))

    class Stop(Exception):
        pass

    def stop():
        raise Stop

    with pytest.raises(Stop):
        bootstrap_objects(result, n_resamples=25, check=stop)


def test_paired_difference_of_one_image_has_no_interval():
    # One image: A finds one of its two objects, B both. Every resample is that image, so the
    # difference is known (F1 at 0.5: 1 − 2·1/(2+1) = 1/3) but has no interval: NaN bounds,
    # as bootstrap_dataset gives, not [1/3, 1/3].
    true = np.array([[1, 1, 0, 2, 2]])
    run_a, rows_a = instance_run([true], [np.where(true == 1, 1, 0)], [0.5])
    run_b, rows_b = instance_run([true], [true], [0.5])
    table = paired_bootstrap(run_a, run_b, per_image_rows_a=rows_a, per_image_rows_b=rows_b)
    table = table.set_index("metric")
    assert table.loc["f1_50_pooled", "difference"] == pytest.approx(1 / 3)
    assert table[["low", "high"]].isna().all().all()


def test_paired_image_mean_defined_on_one_image_has_no_interval():
    # Image 2 holds no object on either side in run A: its F1 is 0/0, so A's F1 image mean is
    # drawn from image 1 alone (NaN bounds); the pooled F1 draws from both images.
    one = np.array([[1, 1, 0, 0]])
    empty = np.zeros((1, 4), int)
    true = [one, empty]
    run_a, rows_a = instance_run(true, [one, empty], [0.5])
    run_b, rows_b = instance_run(true, [one, np.array([[0, 0, 3, 3]])], [0.5])
    table = paired_bootstrap(run_a, run_b, per_image_rows_a=rows_a, per_image_rows_b=rows_b)
    table = table.set_index("metric")
    assert table.loc["f1_50_image_mean", ["low", "high"]].isna().all()
    assert table.loc["f1_50_pooled", ["low", "high"]].notna().all()
