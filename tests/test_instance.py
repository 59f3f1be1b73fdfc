import math
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from napari_seg_eval import DEFAULT_IOU_THRESHOLDS, instance_metrics, review_objects
from napari_seg_eval.core import instance as instance_module
from napari_seg_eval.core.instance import ObjectPairs, instance_metrics_from_table
from napari_seg_eval.core.overlap import overlap_table
from reference import best_matching, n_objects


def row(result, threshold):
    table = result.per_threshold
    return table[np.isclose(table["threshold"], threshold)].iloc[0]


def segment(length, start, stop, value=1, width=30):
    """A 1 x width image with ``value`` on [start, stop)."""
    out = np.zeros((1, width), np.int32)
    out[0, start:stop] = value
    return out


def test_default_thresholds_are_exact_decimals():
    assert DEFAULT_IOU_THRESHOLDS == (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def test_hand_computed_two_objects():
    # true 1: 4x4 square (16 px), predicted exactly. true 2: 4x4 square, prediction shifted
    # by one column: intersection 12, union 20, IoU 0.6.
    true = np.zeros((10, 12), np.int32)
    pred = np.zeros((10, 12), np.int32)
    true[1:5, 1:5], pred[1:5, 1:5] = 1, 7
    true[5:9, 6:10], pred[5:9, 7:11] = 2, 9
    result = instance_metrics(true, pred)
    at_60, at_65 = row(result, 0.6), row(result, 0.65)
    assert (at_60.tp, at_60.fp, at_60.fn) == (2, 0, 0)
    assert at_60.mean_matched_iou == pytest.approx((1.0 + 0.6) / 2)
    assert at_60.panoptic_quality == pytest.approx(1.6 / 2)
    assert (at_65.tp, at_65.fp, at_65.fn) == (1, 1, 1)
    assert at_65.precision == 0.5 and at_65.recall == 0.5 and at_65.f1 == 0.5
    assert at_65.accuracy == pytest.approx(1 / 3)
    assert at_65.panoptic_quality == pytest.approx(1.0 / (1 + 0.5 + 0.5))
    # accuracy is 1 at 0.5..0.6 (3 thresholds) and 1/3 at the other 7
    assert result.summary["mean_accuracy"] == pytest.approx((3 * 1 + 7 / 3) / 10)
    assert result.summary["n_true"] == 2 and result.summary["n_pred"] == 2
    assert result.summary["aji"] == pytest.approx((16 + 12) / (16 + 20))


@pytest.mark.parametrize(
    ("size", "kept", "threshold"),
    [(20, 11, 0.55), (10, 7, 0.7), (20, 13, 0.65), (20, 17, 0.85), (20, 19, 0.95), (10, 6, 0.6)],
)
def test_iou_exactly_at_threshold_matches(size, kept, threshold):
    true = segment(size, 0, size)
    pred = segment(kept, 0, kept)  # IoU = kept / size exactly
    arange_thresholds = np.arange(0.5, 1.0, 0.05)  # 0.55 is 0.5500000000000002 here
    for thresholds in (DEFAULT_IOU_THRESHOLDS, arange_thresholds):
        result = instance_metrics(true, pred, iou_thresholds=thresholds)
        tp = result.per_threshold.set_index(np.round(result.per_threshold["threshold"], 2))["tp"]
        assert tp[threshold] == 1
        assert (tp[tp.index > threshold] == 0).all()


def test_exact_half_split_matches_only_one():
    # A true object of 8 px split into two predictions of 4 px: both have IoU exactly 0.5, so
    # both are candidates at 0.5, but a one-to-one matching can take only one.
    true = segment(8, 0, 8)
    pred = segment(4, 0, 4, 1) + segment(4, 4, 8, 2)
    at_50 = row(instance_metrics(true, pred), 0.5)
    assert (at_50.tp, at_50.fp, at_50.fn) == (1, 1, 0)
    assert at_50.mean_matched_iou == 0.5


def test_below_half_the_solver_maximises_matches():
    # true A=[0,10), B=[10,20); pred X=[4,14), Y=[0,4).
    # IoU(A,X)=6/14, IoU(A,Y)=4/10, IoU(B,X)=4/16=0.25. Greedy on IoU takes A-X and stops at
    # one match; the optimum at t=0.25 is A-Y + B-X (two matches, summed IoU 0.65).
    true = segment(10, 0, 10, 1) + segment(10, 10, 20, 2)
    pred = segment(10, 4, 14, 1) + segment(4, 0, 4, 2)
    result = instance_metrics(true, pred, iou_thresholds=[0.25, 0.3, 0.45])
    assert row(result, 0.25).tp == 2
    assert row(result, 0.25).sum_matched_iou == pytest.approx(0.4 + 0.25)
    # at 0.3 only A-X and A-Y qualify: one match, the larger IoU
    assert row(result, 0.3).tp == 1
    assert row(result, 0.3).sum_matched_iou == pytest.approx(6 / 14)
    assert row(result, 0.45).tp == 0


def test_empty_ground_truth():
    pred = segment(5, 0, 5)
    r = row(instance_metrics(np.zeros_like(pred), pred), 0.5)
    assert (r.tp, r.fp, r.fn) == (0, 1, 0)
    assert r.precision == 0 and r.f1 == 0 and r.accuracy == 0 and r.panoptic_quality == 0
    assert math.isnan(r.recall) and math.isnan(r.mean_matched_iou) and math.isnan(r.mean_true_iou)


def test_empty_prediction():
    true = segment(5, 0, 5)
    result = instance_metrics(true, np.zeros_like(true))
    r = row(result, 0.5)
    assert (r.tp, r.fp, r.fn) == (0, 0, 1)
    assert r.recall == 0 and r.f1 == 0 and r.accuracy == 0 and math.isnan(r.precision)
    assert result.summary["aji"] == 0


def test_both_empty_is_undefined_not_perfect():
    empty = np.zeros((4, 4), np.uint8)
    result = instance_metrics(empty, empty)
    ratios = ["precision", "recall", "f1", "accuracy", "mean_matched_iou", "panoptic_quality"]
    assert result.per_threshold[ratios].isna().all().all()
    assert math.isnan(result.summary["mean_accuracy"]) and math.isnan(result.summary["aji"])
    assert result.per_object.empty


def test_split_and_merge():
    # split: true [0,10) predicted as [0,6) and [6,10): IoU 0.6 and 0.4
    true = segment(10, 0, 10, 1, width=40)
    pred = segment(6, 0, 6, 1, width=40) + segment(4, 6, 10, 2, width=40)
    # merge: true [20,25) and [25,30) predicted as one [20,30): IoU 0.5 each (a tie)
    true += segment(5, 20, 25, 3, width=40) + segment(5, 25, 30, 4, width=40)
    pred += segment(10, 20, 30, 5, width=40)
    at_50 = row(instance_metrics(true, pred), 0.5)
    assert (at_50.tp, at_50.fp, at_50.fn) == (2, 1, 1)
    assert at_50.sum_matched_iou == pytest.approx(0.6 + 0.5)


def test_per_object_table():
    true = segment(10, 0, 10, 1, width=40) + segment(5, 20, 25, 3, width=40)
    pred = segment(6, 0, 6, 4, width=40) + segment(4, 6, 10, 8, width=40)
    pred += segment(3, 30, 33, 9, width=40)
    table = instance_metrics(true, pred).per_object.set_index(["kind", "label"])
    assert table.loc[("true", 1)].tolist() == [10, 4, 0.6, "TP"]
    assert table.loc[("true", 3)].tolist() == [5, 0, 0.0, "FN"]
    assert table.loc[("pred", 4)].tolist() == [6, 1, 0.6, "TP"]
    assert table.loc[("pred", 8)].tolist() == [4, 1, 0.4, "FP"]
    assert table.loc[("pred", 9)].tolist() == [3, 0, 0.0, "FP"]


def test_aji_hand_computed():
    # true 1 = [0,10) best pred 4=[0,6) (IoU .6): C=6, U=10. true 3 = [20,25) overlaps
    # nothing: U += 5. pred 8=[6,10) and 9 never chosen: U += 4 + 3. AJI = 6 / 22.
    true = segment(10, 0, 10, 1, width=40) + segment(5, 20, 25, 3, width=40)
    pred = segment(6, 0, 6, 4, width=40) + segment(4, 6, 10, 8, width=40)
    pred += segment(3, 30, 33, 9, width=40)
    assert instance_metrics(true, pred).summary["aji"] == pytest.approx(6 / 22)


def test_aji_prediction_used_twice():
    # one pred [0,10) covers true 1=[0,4) (IoU .4) and true 2=[4,10) (IoU .6): it is the best
    # partner of both, counted twice: C = 4 + 6, U = 10 + 10.
    true = segment(4, 0, 4, 1) + segment(6, 4, 10, 2)
    pred = segment(10, 0, 10, 5)
    assert instance_metrics(true, pred).summary["aji"] == pytest.approx(10 / 20)


def test_no_background_and_large_nonsequential_ids():
    true = np.array([[5, 5, 5, 2**33], [5, 5, 2**33, 2**33]], np.int64)
    pred = np.array([[70, 70, 70, 70], [70, 70, 3, 3]], np.int64)
    result = instance_metrics(true, pred)
    # IoU(5, 70) = 5/6; IoU(2**33, 70) = 1/7; IoU(2**33, 3) = 2/3
    r = row(result, 0.65)
    assert (r.tp, r.fp, r.fn) == (2, 0, 0)
    assert r.sum_matched_iou == pytest.approx(5 / 6 + 2 / 3)
    assert row(result, 0.7).tp == 1
    assert set(result.per_object["label"]) == {5, 2**33, 70, 3}


def test_3d():
    true = np.zeros((4, 5, 5), np.uint16)
    pred = np.zeros((4, 5, 5), np.uint16)
    true[0:2, 0:2, 0:2] = 1  # 8 voxels
    pred[0:2, 0:2, 0:1] = 1  # 4 voxels inside: IoU 0.5
    true[2:4, 2:5, 2:5] = 2
    pred[2:4, 2:5, 2:5] = 2
    result = instance_metrics(true, pred)
    assert row(result, 0.5).tp == 2 and row(result, 0.55).tp == 1


def test_ignore_label_is_not_an_object():
    true = segment(4, 0, 4, 1) + segment(4, 10, 14, 255)
    pred = segment(4, 0, 4, 1) + segment(4, 10, 14, 2)  # pred 2 lies in the ignored region
    r = row(instance_metrics(true, pred, ignore_label=255), 0.5)
    assert (r.tp, r.fp, r.fn) == (1, 0, 0)


BAD_THRESHOLDS = [[], [0.0], [1.5], [-0.1], [0.5, math.nan], [math.inf], [[0.5, 0.6]], ["a"]]


@pytest.mark.parametrize("thresholds", BAD_THRESHOLDS)
def test_bad_thresholds(thresholds):
    with pytest.raises(ValueError, match="threshold"):
        instance_metrics(segment(2, 0, 2), segment(2, 0, 2), iou_thresholds=thresholds)


@pytest.mark.parametrize("thresholds", BAD_THRESHOLDS)
def test_bad_thresholds_raise_before_the_overlap_pass(thresholds, monkeypatch):
    def no_pass(*args, **kwargs):
        raise AssertionError("the overlap pass ran before the thresholds were checked")

    monkeypatch.setattr(instance_module, "overlap_table", no_pass)
    with pytest.raises(ValueError, match="iou_thresholds"):
        instance_metrics(segment(2, 0, 2), segment(2, 0, 2), iou_thresholds=thresholds)


@pytest.mark.parametrize(
    "function",
    [
        lambda true, pred, **kw: instance_metrics(true, pred, **kw),
        lambda true, pred, **kw: instance_metrics_from_table(overlap_table(true, pred), **kw),
    ],
    ids=["instance_metrics", "instance_metrics_from_table"],
)
def test_old_thresholds_keyword_warns_and_agrees(function):
    true = segment(10, 0, 10, 1) + segment(10, 10, 20, 2)
    pred = segment(10, 4, 14, 1) + segment(4, 0, 4, 2)
    new = function(true, pred, iou_thresholds=[0.25, 0.5])
    with pytest.warns(DeprecationWarning, match="iou_thresholds="):
        old = function(true, pred, thresholds=[0.25, 0.5])
    assert old.per_threshold.equals(new.per_threshold)
    assert old.per_threshold["tp"].tolist() == [2, 0]  # see the test below
    with pytest.raises(TypeError, match="thresholds= and iou_thresholds="):
        function(true, pred, thresholds=[0.5], iou_thresholds=[0.5])


def test_results_compare_without_raising():
    r1 = instance_metrics(segment(4, 0, 4), segment(3, 0, 3))
    r2 = instance_metrics(segment(4, 0, 4), segment(3, 0, 3))
    assert r1 == r1
    assert isinstance(r1 == r2, bool) and isinstance(r1 != r2, bool)


def test_result_prints_and_exports(tmp_path):
    result = instance_metrics(segment(4, 0, 4), segment(3, 0, 3))
    text = repr(result)
    assert "InstanceResult" in text and "mean_accuracy" in text and "panoptic_quality" in text
    result.to_csv(tmp_path / "r.csv")
    import pandas as pd

    back = pd.read_csv(tmp_path / "r.csv")
    assert back["tp"].tolist() == result.to_frame()["tp"].tolist()


labels = arrays(np.int32, (6, 7), elements=st.integers(0, 4))


@settings(max_examples=80, deadline=None)
@given(labels, labels, st.sampled_from([0.1, 0.25, 1 / 3, 0.5, 0.6, 0.75]))
def test_matches_exhaustive_reference(true, pred, threshold):
    result = instance_metrics(true, pred, iou_thresholds=[threshold])
    n, summed = best_matching(true, pred, threshold)
    r = result.per_threshold.iloc[0]
    assert r.tp == n
    assert r.sum_matched_iou == pytest.approx(float(summed))
    assert r.tp + r.fn == n_objects(true) and r.tp + r.fp == n_objects(pred)


@settings(max_examples=40, deadline=None)
@given(labels, labels, st.permutations(range(1, 5)), st.integers(1, 2**40))
def test_relabelling_changes_nothing(true, pred, permutation, offset):
    lut = np.array([0, *[p * offset + 3 for p in permutation]], np.int64)
    a = instance_metrics(true, pred, iou_thresholds=[0.3, 0.5, 0.8])
    b = instance_metrics(lut[true], pred, iou_thresholds=[0.3, 0.5, 0.8])
    c = instance_metrics(true, lut[pred], iou_thresholds=[0.3, 0.5, 0.8])
    for other in (b, c):
        np.testing.assert_allclose(
            other.per_threshold.to_numpy(float), a.per_threshold.to_numpy(float)
        )


@settings(max_examples=40, deadline=None)
@given(labels)
def test_perfect_prediction_scores_one(true):
    result = instance_metrics(true, true)
    if n_objects(true):
        for column in ("precision", "recall", "f1", "accuracy", "panoptic_quality"):
            assert (result.per_threshold[column] == 1).all()
        assert result.summary["aji"] == 1


@settings(max_examples=40, deadline=None)
@given(labels, labels)
def test_swapping_swaps_precision_and_recall(true, pred):
    a = instance_metrics(true, pred).per_threshold
    b = instance_metrics(pred, true).per_threshold
    np.testing.assert_array_equal(a["precision"], b["recall"])
    np.testing.assert_array_equal(a["tp"], b["tp"])
    np.testing.assert_array_equal(a["fp"], b["fn"])


many_labels = arrays(np.int32, (6, 7), elements=st.integers(0, 7))


@settings(max_examples=80, deadline=None)
@given(many_labels, many_labels, st.sampled_from([0.05, 0.1, 0.2, 0.3]))
def test_low_thresholds_match_exhaustive_reference(true, pred, threshold):
    # Up to 7 objects a side at low IoU: large tangled components for the sparse solve.
    r = instance_metrics(true, pred, iou_thresholds=[threshold]).per_threshold.iloc[0]
    n, summed = best_matching(true, pred, threshold)
    assert r.tp == n
    assert r.sum_matched_iou == pytest.approx(float(summed))


def shifted_tiles(rows, cols, tile=8, shift=3):
    """Ground truth: rows x cols square tiles of ``tile`` px, no gaps; prediction: the same tiles
    shifted by ``shift`` px down and right (a margin keeps every tile whole)."""
    ids = np.arange(1, rows * cols + 1, dtype=np.int32).reshape(rows, cols)
    true = np.zeros((rows * tile + shift, cols * tile + shift), np.int32)
    true[: rows * tile, : cols * tile] = np.kron(ids, np.ones((tile, tile), np.int32))
    pred = np.zeros_like(true)
    pred[shift:, shift:] = true[:-shift, :-shift]
    return true, pred


def test_grid_of_shifted_tiles_is_one_component_solved_sparsely():
    # 8 x 8 tiles shifted by 3 px: a tile and its shifted self share 5 x 5 px, IoU 25/103
    # (0.243); the tile right or below shares 3 x 5, IoU 15/113 (0.133); the diagonal one 3 x 3,
    # IoU 9/119 (0.076). At 0.1 every prediction is a candidate for 3 true tiles (fewer at the
    # edge), which links the whole grid into one component. All n tiles matched to their own
    # shifted tile is a matching of the most pairs (n) and each takes its best IoU, so
    # TP = n with summed IoU n * 25/103.
    rows = cols = 64
    n = rows * cols
    true, pred = shifted_tiles(rows, cols)
    table = overlap_table(true, pred)
    pairs = ObjectPairs.from_table(table)
    edges = pairs.candidates(0.1)
    n_pairs = n + rows * (cols - 1) + (rows - 1) * cols
    assert edges.size == n_pairs
    alone, groups = pairs.untangle(edges)
    assert alone.size == 0 and len(groups) == 1 and groups[0].size == n_pairs

    tracemalloc.start()
    matched = pairs.match(0.1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Memory linear in the pairs: under 1 KiB a pair (12 MiB here). One dense component matrix
    # of float64, as the 0.1 solve built, is n * n * 8 bytes = 128 MiB.
    assert peak < 1024 * n_pairs < n * n * 8 / 10

    # each tile with its own shifted self (the prediction keeps the ids), IoU 25/103 each
    assert matched.sum() == n
    true_of, pred_of = pairs.true_index[matched], pairs.pred_index[matched]
    assert np.array_equal(pairs.true_ids[true_of], pairs.pred_ids[pred_of])
    assert np.all(pairs.intersection[matched] * 103 == pairs.union[matched] * 25)
    # at 0.2 only the shifted selves are candidates; at 0.25 (> 25/103) none
    r = instance_metrics_from_table(table, iou_thresholds=[0.1, 0.2, 0.25]).per_threshold
    assert r["tp"].tolist() == [n, n, 0]
    assert r["fp"].tolist() == [0, 0, n] and r["fn"].tolist() == [0, 0, n]
    assert r["sum_matched_iou"].iloc[0] == pytest.approx(n * 25 / 103)


@pytest.mark.parametrize("batch", [1, 30, 4096])
def test_components_solved_in_batches(batch, monkeypatch):
    # Three separate grids of 3 x 4 shifted tiles: three components of 24 objects each. Solved
    # one by one (batch 1), the first two together (30), or all at once (4096): every tile
    # matches its shifted self (IoU 25/103, see the test above), TP = 36.
    monkeypatch.setattr(instance_module, "SOLVE_BATCH_OBJECTS", batch)
    one_true, one_pred = shifted_tiles(3, 4)
    gap = np.zeros((one_true.shape[0], 5), np.int32)
    true = np.hstack(
        [one_true, gap, one_true + 12 * (one_true > 0), gap, one_true + 24 * (one_true > 0)]
    )
    pred = np.hstack(
        [one_pred, gap, one_pred + 12 * (one_pred > 0), gap, one_pred + 24 * (one_pred > 0)]
    )
    pairs = ObjectPairs.from_table(overlap_table(true, pred))
    assert len(pairs.untangle(pairs.candidates(0.1))[1]) == 3
    r = instance_metrics(true, pred, iou_thresholds=[0.1]).per_threshold.iloc[0]
    assert (r.tp, r.fp, r.fn) == (36, 0, 0)
    assert r.sum_matched_iou == pytest.approx(36 * 25 / 103)


# --- multi-class instances ---------------------------------------------------------------------


def three_classes():
    """true 1 [0, 4) class 1, 2 [5, 10) class 1, 3 [12, 15) class 2; pred 11 = true 1 (class 1),
    12 [5, 8) (IoU 3/5 with true 2, class 2 by majority), 13 = true 3 (class 2), 14 [20, 22) on
    nothing (class 3)."""
    true = np.zeros((1, 30), np.int32)
    pred = np.zeros((1, 30), np.int32)
    true[0, 0:4], true[0, 5:10], true[0, 12:15] = 1, 2, 3
    pred[0, 0:4], pred[0, 5:8], pred[0, 12:15], pred[0, 20:22] = 11, 12, 13, 14
    true_classes = np.zeros_like(true)
    true_classes[true == 1] = true_classes[true == 2] = 1
    true_classes[true == 3] = 2
    pred_classes = np.zeros_like(pred)
    pred_classes[pred == 11] = 1
    pred_classes[0, 5:8] = [2, 1, 2]  # majority 2
    pred_classes[pred == 13] = 2
    pred_classes[pred == 14] = 3
    return true, pred, true_classes, pred_classes


def test_per_class_matching_hand_computed():
    true, pred, true_classes, pred_classes = three_classes()
    result = instance_metrics(
        true,
        pred,
        iou_thresholds=[0.5, 0.75],
        true_classes=true_classes,
        pred_classes=pred_classes,
    )
    per_class = result.per_class
    assert per_class[["class", "threshold"]].values.tolist() == [
        [1, 0.5],
        [1, 0.75],
        [2, 0.5],
        [2, 0.75],
        [3, 0.5],
        [3, 0.75],
    ]
    # class 1: true 1, 2; pred 11 (matches 1, IoU 1): tp 1, fp 0, fn 1 at both thresholds.
    # class 2: true 3; pred 12 (overlaps nothing of class 2), 13 (= 3): tp 1, fp 1, fn 0.
    # class 3: pred 14 only: tp 0, fp 1, fn 0.
    assert (
        per_class[["tp", "fp", "fn"]].values.tolist()
        == [[1, 0, 1]] * 2 + [[1, 1, 0]] * 2 + [[0, 1, 0]] * 2
    )
    first = per_class.iloc[::2]
    assert first["accuracy"].tolist() == [0.5, 0.5, 0.0]
    np.testing.assert_allclose(first["precision"], [1.0, 0.5, 0.0])
    np.testing.assert_allclose(first["recall"], [0.5, 1.0, np.nan])  # class 3: 0/0
    np.testing.assert_allclose(first["f1"], [2 / 3, 2 / 3, 0.0])
    np.testing.assert_allclose(first["panoptic_quality"], [1 / 1.5, 1 / 1.5, 0.0])
    assert result.summary["class_mean_accuracy"] == pytest.approx((0.5 + 0.5 + 0) / 3)
    # class-agnostic matches at 0.5: (1, 11) class 1 -> 1, (2, 12) 1 -> 2, (3, 13) 2 -> 2
    assert result.class_confusion.values.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert result.class_confusion.index.tolist() == [1, 2, 3]
    assert result.class_confusion.columns.tolist() == [1, 2, 3]
    # the class-agnostic tables are unchanged by classes
    plain = instance_metrics(true, pred, iou_thresholds=[0.5, 0.75])
    assert result.per_threshold.equals(plain.per_threshold)
    objects = result.per_object
    assert objects["class"].tolist() == [1, 1, 2, 1, 2, 2, 3]


def test_classes_as_mappings_equal_class_images():
    true, pred, true_classes, pred_classes = three_classes()
    images = instance_metrics(true, pred, true_classes=true_classes, pred_classes=pred_classes)
    mappings = instance_metrics(
        true,
        pred,
        true_classes={1: 1, 2: 1, 3: 2, 99: 5},  # ids absent from the image are ignored
        pred_classes=pd.Series({11: 1, 12: 2, 13: 2, 14: 3}),
    )
    pd.testing.assert_frame_equal(images.per_class, mappings.per_class)
    pd.testing.assert_frame_equal(images.class_confusion, mappings.class_confusion)


def test_class_of_one_side_only_is_reported_and_absent_classes_are_not():
    true = np.array([[1, 1, 0, 2, 2]])
    pred = np.array([[1, 1, 0, 0, 0]])
    result = instance_metrics(
        true, pred, iou_thresholds=[0.5], true_classes={1: 4, 2: 9}, pred_classes={1: 4}
    )
    assert result.per_class["class"].tolist() == [4, 9]  # no row for classes 0..3, 5..8
    row9 = result.per_class.iloc[1]
    assert (row9.tp, row9.fp, row9.fn) == (0, 0, 1)
    assert np.isnan(row9.precision) and row9.recall == 0


def test_no_objects_with_classes():
    empty = np.zeros((3, 3), np.uint8)
    result = instance_metrics(empty, empty, true_classes=empty, pred_classes=empty)
    assert result.per_class.empty
    assert np.isnan(result.summary["class_mean_accuracy"])
    assert result.class_confusion.shape == (0, 0)


def test_classes_of_one_side_only_raise_before_the_pass(monkeypatch):
    def no_pass(*args, **kwargs):
        raise AssertionError("the overlap pass ran")

    monkeypatch.setattr(instance_module, "overlap_table", no_pass)
    true = np.array([[1, 1]])
    with pytest.raises(ValueError, match="give both true_classes and pred_classes"):
        instance_metrics(true, true, true_classes=true)
    with pytest.raises(ValueError, match="pred_classes has shape"):
        instance_metrics(true, true, true_classes=true, pred_classes=np.zeros((2, 1), int))


# --- objects at the border ---------------------------------------------------------------------


def border_pair():
    """10 x 10. true 1 reaches row 1 (inside a 2-pixel band), true 2 is inside; pred 5 overlaps
    true 1 but lies inside (rows 2..4), pred 6 = true 2, pred 7 touches the right edge."""
    true = np.zeros((10, 10), np.int32)
    pred = np.zeros((10, 10), np.int32)
    true[1:4, 3:6] = 1
    true[5:8, 3:6] = 2
    pred[2:5, 3:6] = 5
    pred[5:8, 3:6] = 6
    pred[4:6, 8:10] = 7
    return true, pred


def test_exclude_border_hand_computed():
    true, pred = border_pair()
    kept = instance_metrics(true, pred, iou_thresholds=[0.5], exclude_border=2)
    assert kept.excluded_true.tolist() == [1] and kept.excluded_pred.tolist() == [7]
    assert (kept.summary["n_true"], kept.summary["n_pred"]) == (1, 2)
    at_50 = row(kept, 0.5)
    # true 2 = pred 6; pred 5 stays (it is inside the band's edge) and is a false positive
    assert (at_50.tp, at_50.fp, at_50.fn) == (1, 1, 0)
    assert set(kept.per_object["label"]) == {2, 5, 6}
    # a 1-pixel band does not reach true 1 (row 1), but still pred 7 (columns 8 and 9)...
    one = instance_metrics(true, pred, iou_thresholds=[0.5], exclude_border=1)
    assert one.excluded_true.tolist() == [] and one.excluded_pred.tolist() == [7]
    # ...and equals relabelling the border objects 0 by hand, then matching as usual
    true_by_hand, pred_by_hand = true.copy(), pred.copy()
    true_by_hand[true == 1] = 0
    pred_by_hand[pred == 7] = 0
    by_hand = instance_metrics(true_by_hand, pred_by_hand, iou_thresholds=[0.5])
    pd.testing.assert_frame_equal(kept.per_threshold, by_hand.per_threshold)
    assert kept.summary.equals(by_hand.summary)


def test_exclude_border_3d_and_wider_than_the_image():
    true = np.zeros((5, 6, 6), np.int32)
    true[0, 2:4, 2:4] = 1  # first plane: touches the band along axis 0
    true[2, 2:4, 2:4] = 2
    result = instance_metrics(true, true, exclude_border=1)
    assert result.excluded_true.tolist() == [1] and result.summary["n_true"] == 1
    everything = instance_metrics(true, true, exclude_border=50)
    assert everything.summary["n_true"] == 0 and everything.summary["n_pred"] == 0


def test_exclude_border_reads_only_the_band():
    class Recording:
        def __init__(self, array):
            self.array, self.shape, self.dtype, self.read = array, array.shape, array.dtype, 0

        def __getitem__(self, index):
            out = self.array[index]
            self.read += out.size
            return out

    labels = np.zeros((200, 300), np.int32)
    labels[0, 5] = 3
    labels[100, 100] = 4
    recording = Recording(labels)
    assert instance_module.border_ids(recording, 2).tolist() == [3]
    assert recording.read == 2 * (2 * 300) + 2 * (2 * 200)  # two rows and two columns per side


@pytest.mark.parametrize(
    ("value", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)]
)
def test_bad_exclude_border(value, error):
    with pytest.raises(error, match="exclude_border"):
        instance_metrics(np.ones((2, 2), int), np.ones((2, 2), int), exclude_border=value)


# --- matching criteria -------------------------------------------------------------------------


def test_criteria_hand_computed():
    # true 1: 8 px, pred 3: its first 4 px (IoU 1/2, IoT 1/2, IoP 1).
    # true 2: 4 px inside pred 4 of 10 px (IoU 0.4, IoT 1, IoP 0.4).
    true = np.zeros((1, 30), np.int32)
    pred = np.zeros((1, 30), np.int32)
    true[0, 0:8], pred[0, 0:4] = 1, 3
    true[0, 13:17], pred[0, 10:20] = 2, 4

    def matched(criterion):
        result = instance_metrics(true, pred, iou_thresholds=[0.5], criterion=criterion)
        objects = result.per_object
        return sorted(objects.loc[(objects.kind == "true") & (objects.status == "TP"), "label"])

    assert matched("iou") == [1]  # IoU 1/2 >= 0.5
    assert matched("iot") == [2]  # IoT 1/2 is not > 0.5 (strict, as the CTC); IoT 1 is
    assert matched("iop") == [1]  # IoP 1 > 0.5; IoP 0.4 is not
    # PQ and the matched IoU stay IoU whatever the criterion
    iot = instance_metrics(true, pred, iou_thresholds=[0.5], criterion="iot")
    assert row(iot, 0.5).sum_matched_iou == pytest.approx(0.4)


def test_intersection_over_truth_one_to_one_where_the_ctc_counts_a_merge():
    from napari_seg_eval import ctc_metrics

    true = np.array([[1, 1, 1, 1, 0, 2, 2, 0, 3, 3]])
    pred = np.array([[5, 5, 5, 0, 0, 5, 5, 0, 6, 0]])
    result = instance_metrics(true, pred, iou_thresholds=[0.5], criterion="iot")
    ctc = ctc_metrics(true, pred)
    # CTC: 5 holds > 1/2 of 1 and of 2 (one merge, both matched); 6 holds 1/2 of 3: no match.
    assert (ctc["fn"], ctc["ns"]) == (1, 1)
    # One-to-one: 5 takes one of 1 (IoU 3/6) and 2 (IoU 2/5), the larger IoU; 3 unmatched.
    at_50 = row(result, 0.5)
    assert (at_50.tp, at_50.fp, at_50.fn) == (1, 1, 2)
    assert at_50.sum_matched_iou == pytest.approx(3 / 6)


def exhaustive_matches(true, pred, threshold, criterion):
    """Most one-to-one pairs with score > threshold (score: IoT or IoP), by trying them all."""
    from fractions import Fraction

    limit = Fraction(str(threshold))
    edges = set()
    for t in np.unique(true[true > 0]):
        for p in np.unique(pred[pred > 0]):
            inter = int(np.sum((true == t) & (pred == p)))
            size = int(np.sum(true == t)) if criterion == "iot" else int(np.sum(pred == p))
            if inter and Fraction(inter, size) > limit:
                edges.add((int(t), int(p)))
    trues = sorted({t for t, _ in edges})

    def search(i, used):
        if i == len(trues):
            return 0
        best = search(i + 1, used)
        for t, p in edges:
            if t == trues[i] and p not in used:
                best = max(best, 1 + search(i + 1, used | {p}))
        return best

    return search(0, frozenset())


@settings(max_examples=60, deadline=None)
@given(
    true=arrays(np.int8, (4, 5), elements=st.integers(0, 4)),
    pred=arrays(np.int8, (4, 5), elements=st.integers(0, 4)),
    threshold=st.sampled_from([0.25, 0.5, 0.6]),
    criterion=st.sampled_from(["iot", "iop"]),
)
def test_criteria_match_exhaustive_reference(true, pred, threshold, criterion):
    result = instance_metrics(true, pred, iou_thresholds=[threshold], criterion=criterion)
    assert result.per_threshold["tp"].iat[0] == exhaustive_matches(true, pred, threshold, criterion)


def test_bad_criterion_raises_before_the_pass(monkeypatch):
    monkeypatch.setattr(instance_module, "overlap_table", None)
    with pytest.raises(ValueError, match="criterion must be one of iou, iot, iop"):
        instance_metrics(np.ones((2, 2), int), np.ones((2, 2), int), criterion="dice")


def test_a_boolean_mask_is_one_object_and_the_user_is_told():
    # two separate true objects and two predictions: as masks, each side is one object (id 1)
    true = np.array([[1, 1, 0, 2, 2, 2]])
    pred = np.array([[3, 3, 0, 0, 0, 4]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        masks = instance_metrics(true > 0, pred > 0, iou_thresholds=[0.5])
    assert [str(w.message).split(",")[0] for w in caught] == [
        "instance_metrics: the ground truth is a boolean mask",
        "instance_metrics: the prediction is a boolean mask",
    ]
    # the one "object" of each side: IoU 3/5, so F1 1 — the misleading number the warning names
    assert (masks.summary["n_true"], masks.summary["n_pred"], masks.summary["f1_50"]) == (1, 1, 1)
    labels = instance_metrics(true, pred, iou_thresholds=[0.5])  # 2 and 4: IoU 1/3
    assert labels.summary["f1_50"] == pytest.approx(0.5)
    with pytest.warns(UserWarning, match="prediction is a boolean mask"):
        review_objects(true, pred > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        instance_metrics(true, pred.astype(np.uint8))  # integer labels: no warning


def test_a_float_truth_is_refused_with_both_remedies():
    """A float truth is a probability map (threshold it) or a label image saved as floats
    (cast it): the error gives both, not the first alone."""
    truth = np.array([[0, 1], [1, 2]], np.float32)
    with pytest.raises(TypeError, match=r"threshold it first .* cast it \(data.astype\(int\)\)"):
        instance_metrics(truth, truth.astype(np.int32))
