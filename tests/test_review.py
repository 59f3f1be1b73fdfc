import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from napari_seg_eval import (
    error_map,
    instance_metrics,
    object_measurements,
    review_objects,
    semantic_error_map,
)
from napari_seg_eval.core.review import FN, FP, TP, error_map_levels


def test_object_measurements_by_hand():
    labels = np.array([[0, 5, 5], [0, 5, 0], [9, 0, 0]])
    prob = np.array([[0.0, 0.9, 0.6], [0.0, 0.3, 0.0], [0.2, 0.0, 0.0]])
    table = object_measurements(labels, prob).set_index("label")
    assert table.loc[5, "area"] == 3
    assert table.loc[5, "centroid_0"] == pytest.approx((0 + 0 + 1) / 3)
    assert table.loc[5, "centroid_1"] == pytest.approx((1 + 2 + 1) / 3)
    assert table.loc[5, "mean_confidence"] == pytest.approx((0.9 + 0.6 + 0.3) / 3)
    assert table.loc[9, ["area", "centroid_0", "centroid_1", "mean_confidence"]].tolist() == (
        pytest.approx([1, 2, 0, 0.2])
    )
    # bounding boxes as slices: 5 covers rows 0..1 and columns 1..2; 9 the one pixel (2, 0)
    bbox = ["bbox_start_0", "bbox_start_1", "bbox_stop_0", "bbox_stop_1"]
    assert table.loc[5, bbox].tolist() == [0, 1, 2, 3]
    assert table.loc[9, bbox].tolist() == [2, 0, 3, 1]
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
            assert table.loc[value, f"bbox_start_{axis}"] == where[axis].min()
            assert table.loc[value, f"bbox_stop_{axis}"] == where[axis].max() + 1
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


# error kinds ---------------------------------------------------------------------------------
def kinds_of(table):
    return table.set_index(["kind", "label"])["error"].to_dict()


def kinds_case():
    """Hand-made objects, one group per band of rows (areas and overlaps in the comments)."""
    true = np.zeros((32, 12), np.int32)
    pred = np.zeros((32, 12), np.int32)
    # A: pred 10 (18 px) covers all of true 1 (8 px) and true 2 (8 px); IoU 8/18 each.
    true[0:2, 0:4], true[0:2, 5:9], pred[0:2, 0:9] = 1, 2, 10
    # B: true 3 (24 px) holds all of pred 11 and pred 12 (10 px each); IoU 10/24 each.
    true[4:6, 0:12], pred[4:6, 0:5], pred[4:6, 6:11] = 3, 11, 12
    # C: true 4 (8 px) and pred 13 (12 px) share 4 px: exactly half of true 4; IoU 4/16.
    true[8:10, 0:4], pred[8:10, 2:8] = 4, 13
    # D: true 5 overlaps nothing; pred 14 overlaps nothing.
    true[12:14, 0:2], pred[12:14, 8:10] = 5, 14
    # E: pred 15 (16 px) matches true 6 (12 px inside it; IoU 12/16) and holds all of true 7.
    true[16:18, 0:6], true[16:18, 7], pred[16:18, 0:8] = 6, 7, 15
    # F: true 8 (20 px) is matched by pred 16 (14 px, IoU 14/20) and holds all of pred 17.
    true[20:22, 0:10], pred[20:22, 0:7], pred[20:22, 8:10] = 8, 16, 17
    # G: pred 18 (12 px) holds exactly half of true 9 (4 of 8 px) and all of true 10 (4 px).
    true[24:26, 0:4], true[24:26, 6:8], pred[24:26, 2:8] = 9, 10, 18
    # H: true 11 (20 px, rows 28-29) holds all of pred 19 (8 px) and exactly half of pred 20
    # (4 of its 8 px, rows 28-31).
    true[28:30, 0:10], pred[28:30, 0:4], pred[28:32, 6:8] = 11, 19, 20
    return true, pred


def test_error_kinds_by_hand():
    true, pred = kinds_case()
    expected = {
        # A: pred 10 holds more than half of two true objects: a merge; both are merged.
        ("true", 1): "merged",
        ("true", 2): "merged",
        ("pred", 10): "merge",
        # B: two predictions each lie more than half inside true 3: split into two fragments.
        ("true", 3): "split",
        ("pred", 11): "fragment",
        ("pred", 12): "fragment",
        # C: exactly half of true 4 is not "more than half": only a poor overlap, both sides.
        ("true", 4): "poor overlap",
        ("pred", 13): "poor overlap",
        # D: no overlap at all.
        ("true", 5): "missed",
        ("pred", 14): "spurious",
        # E: matched wins for true 6 and pred 15; true 7 is merged into the matched pred 15
        # (which holds more than half of true 7 and of true 6).
        ("true", 6): "matched",
        ("true", 7): "merged",
        ("pred", 15): "matched",
        # F: pred 17 lies inside true 8, which holds all of pred 16 too: a fragment.
        ("true", 8): "matched",
        ("pred", 16): "matched",
        ("pred", 17): "fragment",
        # G: pred 18 holds more than half of true 10 only (exactly half of true 9): no merge;
        # no more than half of pred 18 lies in either (4 of 12 px): poor overlaps all round.
        ("true", 9): "poor overlap",
        ("true", 10): "poor overlap",
        ("pred", 18): "poor overlap",
        # H: pred 20 is exactly half inside true 11: only pred 19 counts, so no split (IoU of
        # true 11 with pred 19 is 8/20) and pred 19 is no fragment.
        ("true", 11): "poor overlap",
        ("pred", 19): "poor overlap",
        ("pred", 20): "poor overlap",
    }
    table = review_objects(true, pred)
    assert kinds_of(table) == expected
    assert (table["error"] == "matched").tolist() == (table["status"] == "TP").tolist()
    assert list(table.columns[:7]) == ["kind", "label", "area", "partner", "iou", "status", "error"]


def test_error_kinds_follow_the_review_iou():
    true, pred = kinds_case()
    # C at IoU 0.25: true 4 and pred 13 (IoU 4/16 = 0.25 exactly) are matched, so "matched".
    kinds = kinds_of(review_objects(true, pred, iou_threshold=0.25))
    assert kinds[("true", 4)] == kinds[("pred", 13)] == "matched"
    # E at IoU 0.8: pred 15 no longer matches true 6 (12/16): it merges true 6 and true 7.
    kinds = kinds_of(review_objects(true, pred, iou_threshold=0.8))
    assert (kinds[("true", 6)], kinds[("true", 7)], kinds[("pred", 15)]) == (
        "merged",
        "merged",
        "merge",
    )


def test_error_kinds_in_3d():
    true = np.zeros((4, 8, 5), np.uint16)
    pred = np.zeros((4, 8, 5), np.uint16)
    # true 1 and 2 (8 voxels each) both lie inside pred 7 (20 voxels): merged, merge.
    true[0:2, 0:2, 0:2], true[0:2, 0:2, 3:5], pred[0:2, 0:2, 0:5] = 1, 2, 7
    # true 3 (16 voxels over 4 planes) holds pred 8 (plane 0) and pred 9 (plane 2), 4 voxels
    # each, IoU 4/16: split into two fragments.
    true[0:4, 5:7, 0:2], pred[0, 5:7, 0:2], pred[2, 5:7, 0:2] = 3, 8, 9
    expected = {
        ("true", 1): "merged",
        ("true", 2): "merged",
        ("true", 3): "split",
        ("pred", 7): "merge",
        ("pred", 8): "fragment",
        ("pred", 9): "fragment",
    }
    assert kinds_of(review_objects(true, pred)) == expected


def test_error_kinds_of_empty_images():
    empty = np.zeros((3, 4), np.int32)
    objects = np.array([[1, 1, 0, 0], [0, 0, 0, 2], [0, 0, 0, 2]], np.int32)
    table = review_objects(empty, empty)
    assert table.empty and "error" in table.columns
    assert kinds_of(review_objects(objects, empty)) == {
        ("true", 1): "missed",
        ("true", 2): "missed",
    }
    assert kinds_of(review_objects(empty, objects)) == {
        ("pred", 1): "spurious",
        ("pred", 2): "spurious",
    }
    assert error_map(empty, objects, by="kind").tolist() == (3 * (objects > 0)).tolist()
    assert not error_map(empty, empty, by="kind").any()


def test_error_kinds_uint64_ids_above_int64_range():
    true = np.array([[HIGH, HIGH, 0, HIGH + 1, HIGH + 1, 0, 0]], np.uint64)
    pred = np.array([[HIGH + 7, HIGH + 7, HIGH + 7, HIGH + 7, HIGH + 7, 0, HIGH]], np.uint64)
    kinds = kinds_of(review_objects(true, pred))
    assert kinds == {
        ("true", HIGH): "merged",
        ("true", HIGH + 1): "merged",
        ("pred", HIGH): "spurious",
        ("pred", HIGH + 7): "merge",
    }
    assert error_map(true, pred, by="kind").tolist() == [[4, 4, 5, 4, 4, 0, 3]]


def test_error_map_by_kind_values_and_precedence():
    true, pred = kinds_case()
    out = error_map(true, pred, by="kind")
    assert out.dtype == np.uint8
    # A: true 1 and 2 are merged (4); pred 10's pixel between them is a merge (5).
    assert out[0].tolist() == [4, 4, 4, 4, 5, 4, 4, 4, 4, 0, 0, 0]
    # B: split true 3 (6) wins over its fragments wherever they overlap.
    assert out[4].tolist() == [6] * 12
    # C: true 4's poor overlap (8) over pred 13's; pred 13 alone shows its own (9).
    assert out[8].tolist() == [8, 8, 8, 8, 9, 9, 9, 9, 0, 0, 0, 0]
    # D: missed (2) and spurious (3).
    assert out[12].tolist() == [2, 2, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0]
    # E: matched true 6 and pred 15 (1); merged true 7 (4).
    assert out[16].tolist() == [1, 1, 1, 1, 1, 1, 1, 4, 0, 0, 0, 0]
    # F: the fragment pred 17 (7) shows over the matched true 8 (1).
    assert out[20].tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 7, 7, 0, 0]
    # H: pred 20's half outside true 11 shows its poor overlap (9).
    assert out[30].tolist() == [0, 0, 0, 0, 0, 0, 9, 9, 0, 0, 0, 0]
    assert error_map(true, pred).tolist() == error_map(true, pred, by="status").tolist()


def test_error_map_bad_by_is_refused_before_any_pass(monkeypatch):
    from napari_seg_eval.core import review

    monkeypatch.setattr(review, "instance_metrics", _no_pass)
    labels = np.array([[1, 1, 0]])
    with pytest.raises(ValueError, match="by must be 'status' or 'kind'"):
        review.error_map(labels, labels, by="kinds")


def test_add_error_kinds_refuses_rows_of_another_result():
    from napari_seg_eval.core.review import add_error_kinds

    result = instance_metrics(np.array([[1, 1, 0]]), np.array([[0, 2, 2]]), iou_thresholds=0.5)
    other = instance_metrics(np.array([[3, 0, 0]]), np.array([[0, 2, 2]]), iou_thresholds=0.5)
    with pytest.raises(ValueError, match="not those of the result"):
        add_error_kinds(other.objects_at(0.5), result)


def reference_kinds(true, pred, status):
    """The DESIGN definitions, object by object with masks (slow; for small test images)."""
    true_ids = [i for i in np.unique(true) if i]
    pred_ids = [i for i in np.unique(pred) if i]
    share = {(t, p): int(((true == t) & (pred == p)).sum()) for t in true_ids for p in pred_ids}
    area_t = {t: int((true == t).sum()) for t in true_ids}
    area_p = {p: int((pred == p).sum()) for p in pred_ids}

    def holds(p, t):  # P holds more than half of T
        return 2 * share[t, p] > area_t[t]

    def inside(p, t):  # more than half of P lies inside T
        return 2 * share[t, p] > area_p[p]

    kinds = {}
    for t in true_ids:
        if status["true", t] == "TP":
            kinds["true", t] = "matched"
        elif any(holds(p, t) and any(holds(p, u) for u in true_ids if u != t) for p in pred_ids):
            kinds["true", t] = "merged"
        elif sum(inside(p, t) for p in pred_ids) >= 2:
            kinds["true", t] = "split"
        elif any(share[t, p] for p in pred_ids):
            kinds["true", t] = "poor overlap"
        else:
            kinds["true", t] = "missed"
    for p in pred_ids:
        if status["pred", p] == "TP":
            kinds["pred", p] = "matched"
        elif sum(holds(p, t) for t in true_ids) >= 2:
            kinds["pred", p] = "merge"
        elif any(inside(p, t) and any(inside(q, t) for q in pred_ids if q != p) for t in true_ids):
            kinds["pred", p] = "fragment"
        elif any(share[t, p] for t in true_ids):
            kinds["pred", p] = "poor overlap"
        else:
            kinds["pred", p] = "spurious"
    return kinds


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int64, (5, 7), elements=st.integers(0, 4)),
    arrays(np.int64, (5, 7), elements=st.integers(0, 4)),
    st.sampled_from([0.3, 0.5, 0.75]),
)
def test_error_kinds_equal_the_definitions(true, pred, iou_threshold):
    table = review_objects(true, pred, iou_threshold=iou_threshold)
    status = table.set_index(["kind", "label"])["status"].to_dict()
    assert kinds_of(table) == reference_kinds(true, pred, status)


# Machado, Oliveira & Fernandes (2009), severity 1, on linear RGB.
COLOUR_BLINDNESS = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def seen(rgb, matrix=None):
    """CIELAB of sRGB colours (rows), as seen with a colour-vision deficiency if given."""
    from skimage.color import rgb2lab

    rgb = np.atleast_2d(np.asarray(rgb, float))
    if matrix is not None:
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        linear = np.clip(linear @ np.asarray(matrix).T, 0, 1)
        rgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return rgb2lab(rgb[None])[0]


def test_kind_colours_avoid_the_confidence_colormap_and_stay_apart_for_colour_blindness():
    from skimage.color import deltaE_ciede2000

    from napari_seg_eval.core.colormap import map_confidence
    from napari_seg_eval.core.review import KIND_COLORS

    colors = np.array([color[:3] for _, color, _ in KIND_COLORS])
    confidence = map_confidence(np.linspace(0, 1, 1001))[:, :3]
    for (name, _, _), lab in zip(KIND_COLORS, seen(colors), strict=True):
        # CIEDE2000 above 15 from every colour of the confidence map: clearly another colour
        assert deltaE_ciede2000(lab[None], seen(confidence)).min() > 15, name
    for matrix in [None, *COLOUR_BLINDNESS.values()]:
        lab = seen(colors, matrix)
        for i in range(len(lab)):
            for j in range(i + 1, len(lab)):
                # above 10 from each other, also as seen with each colour-vision deficiency
                assert deltaE_ciede2000(lab[i], lab[j]) > 10, (i, j, matrix)


# ------------------------------------------------------------ objects excluded at the border
# 6 x 6, border band of 1 pixel. True: 1 touches the top edge, 2 is inside. Predicted: 3
# matches 2 exactly; 4 touches the right edge; 5 is inside and overlaps nothing once 1 is gone
# except 1's own pixels (1 covers rows 0..2 of column 1; 5 covers (2, 1) and (2, 2)).
BORDER_TRUE = np.array(
    [
        [0, 1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0],
        [0, 0, 0, 2, 2, 0],
        [0, 0, 0, 2, 2, 0],
        [0, 0, 0, 0, 0, 0],
    ]
)
BORDER_PRED = np.array(
    [
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 4, 4],
        [0, 5, 5, 0, 0, 0],
        [0, 0, 0, 3, 3, 0],
        [0, 0, 0, 3, 3, 0],
        [0, 0, 0, 0, 0, 0],
    ]
)


def test_objects_excluded_at_the_border_are_rows_of_their_own():
    table = review_objects(BORDER_TRUE, BORDER_PRED, exclude_border=1)
    rows = table[["kind", "label", "area", "partner", "status", "error"]].values.tolist()
    assert rows == [
        ["true", 2, 4, 3, "TP", "matched"],
        ["true", 1, 3, 0, "excluded", "excluded"],
        ["pred", 3, 4, 2, "TP", "matched"],
        # 1's pixels count as background, so 5 overlaps nothing: spurious, not poor overlap
        ["pred", 5, 2, 0, "FP", "spurious"],
        ["pred", 4, 2, 0, "excluded", "excluded"],
    ]
    excluded = table.set_index(["kind", "label"]).loc[("true", 1)]
    assert np.isnan(excluded["iou"])
    assert (excluded["centroid_0"], excluded["centroid_1"]) == (1.0, 1.0)
    # without the border rule 1 is a poor overlap and 4 is spurious
    plain = review_objects(BORDER_TRUE, BORDER_PRED).set_index(["kind", "label"])["error"]
    assert (plain["true", 1], plain["pred", 4]) == ("poor overlap", "spurious")


def test_error_map_paints_excluded_objects_beneath_errors():
    from napari_seg_eval.core.review import KIND_VALUES

    kinds = error_map(BORDER_TRUE, BORDER_PRED, exclude_border=1, by="kind")
    excluded, spurious = KIND_VALUES["true", "excluded"], KIND_VALUES["pred", "spurious"]
    expected = np.zeros((6, 6), np.uint8)
    expected[0:3, 1] = excluded  # true 1
    expected[1, 4:6] = excluded  # pred 4
    expected[2, 1:3] = spurious  # pred 5 wins over the excluded true 1 beneath it
    expected[3:5, 3:5] = 1  # 2 and 3 matched
    np.testing.assert_array_equal(kinds, expected)
    # by status the excluded objects are not painted: neither a match nor an error
    status = error_map(BORDER_TRUE, BORDER_PRED, exclude_border=1)
    assert status[0, 1] == 0 and status[1, 5] == 0 and status[2, 2] == FP


def test_the_ignore_label_and_objects_outside_the_region_are_never_called_excluded():
    true = BORDER_TRUE.copy()
    true[5, :] = 9  # an ignored band along the bottom edge
    region = np.ones(true.shape, bool)
    region[:, 5] = False  # pred 4 keeps (1, 4) inside the region, so it stays excluded
    result = instance_metrics(true, BORDER_PRED, ignore_label=9, exclude_border=1, region=region)
    assert result.excluded_true.tolist() == [1] and result.excluded_pred.tolist() == [4]
    region[:, 4:] = False  # now 4 lies wholly outside the region: not an object at all
    result = instance_metrics(true, BORDER_PRED, ignore_label=9, exclude_border=1, region=region)
    assert result.excluded_pred.tolist() == []
    table = review_objects(true, BORDER_PRED, ignore_label=9, exclude_border=1)
    assert 9 not in table["label"].tolist()


def test_chunked_review_with_excluded_objects_equals_in_memory():
    import dask.array as da

    true, pred = da.from_array(BORDER_TRUE, chunks=4), da.from_array(BORDER_PRED, chunks=(2, 5))
    kinds = error_map(true, pred, exclude_border=1, by="kind")
    assert isinstance(kinds, da.Array)
    np.testing.assert_array_equal(
        kinds.compute(), error_map(BORDER_TRUE, BORDER_PRED, exclude_border=1, by="kind")
    )
    lazy = review_objects(true, pred, exclude_border=1)
    eager = review_objects(BORDER_TRUE, BORDER_PRED, exclude_border=1)
    assert lazy.equals(eager)


def test_a_bad_border_width_is_refused_before_any_pass(monkeypatch):
    import napari_seg_eval.core.review as review

    monkeypatch.setattr(review, "instance_metrics", None)  # any pass would fail differently
    with pytest.raises(ValueError, match="exclude_border must be >= 0"):
        review_objects(BORDER_TRUE, BORDER_PRED, exclude_border=-1)
    with pytest.raises(TypeError, match="whole number"):
        error_map(BORDER_TRUE, BORDER_PRED, exclude_border=1.5)


def test_the_chunked_measurement_never_hashes_its_closures(monkeypatch):
    # Regression (issue 11): each task of the fold was made with pure=True, so dask hashed the
    # task's function, a closure holding the dask arrays: it pickled them, graphs and all, once
    # per chunk, holding the GIL (~0.1 s a time on a 32,768² slide).
    import importlib
    import types

    import dask.array as da

    from napari_seg_eval.core.review import measure_both

    module = importlib.import_module("dask.delayed")  # dask.delayed is also the function
    hashed = []
    tokenize = module._tokenize

    def recording(*args, **kwargs):
        hashed.extend(a for a in args if isinstance(a, types.FunctionType))
        return tokenize(*args, **kwargs)

    monkeypatch.setattr(module, "_tokenize", recording)
    true = np.zeros((8, 8), np.int32)
    pred = np.zeros((8, 8), np.int32)
    true[1:3, 1:3], true[5:8, 4:7], pred[1:3, 1:4] = 1, 2, 9
    table = measure_both(da.from_array(true, chunks=4), da.from_array(pred, chunks=4))
    assert hashed == []
    # and the sums are still those of the pixels: areas 4, 9 (true) and 6 (pred)
    assert table[["kind", "label", "area"]].values.tolist() == [
        ["true", 1, 4],
        ["true", 2, 9],
        ["pred", 9, 6],
    ]


def test_join_measurements_by_hand_any_row_order_and_ids():
    """Rows in any order, ids above 2**63 on one side, an excluded row without an area: each
    row gets its own object's measurements (values by hand), in the rows' order."""
    from napari_seg_eval.core.review import join_measurements

    big = np.uint64(2**63 + 5)
    objects = pd.DataFrame(
        {
            "kind": ["pred", "true", "pred", "true"],
            "label": np.array([big, 3, 7, 9], dtype=np.uint64),
            "area": [4.0, 2.0, 1.0, np.nan],  # true 9: excluded, no area of its own
            "status": ["FP", "FN", "FP", "excluded"],
        }
    )
    measurements = pd.DataFrame(
        {
            "label": np.array([9, 3, 7, big], dtype=np.uint64),
            "area": [6, 2, 1, 4],
            "centroid_0": [0.5, 1.0, 2.0, 3.0],
            "kind": ["true", "true", "pred", "pred"],
        }
    )
    joined = join_measurements(objects, measurements)
    assert joined["label"].tolist() == [int(big), 3, 7, 9]
    assert joined["centroid_0"].tolist() == [3.0, 1.0, 2.0, 0.5]
    assert joined["area"].tolist() == [4, 2, 1, 6] and joined["area"].dtype == np.int64
    assert joined["status"].tolist() == ["FP", "FN", "FP", "excluded"]
    # An object without measurements (not in the image) gets NaN, not another's values.
    lone = join_measurements(objects.iloc[[1]], measurements[measurements["kind"] == "pred"])
    assert np.isnan(lone["centroid_0"].iloc[0])


def tiny_pyramid():
    """8x8 level 0, 4x4 level 1 (every other pixel). Kinds by hand: true 1 matched by pred 5
    (equal); true 2 missed; pred 6 spurious; pred 8 holds all of true 3 and true 4, 6 of its
    16 pixels each (IoU 3/8: a merge; they are merged)."""
    true = np.zeros((8, 8), np.uint16)
    pred = np.zeros((8, 8), np.uint16)
    true[0:4, 0:4] = 1
    pred[0:4, 0:4] = 5
    true[4:8, 0:2] = 2
    pred[4:8, 6:8] = 6
    true[0:2, 4:7] = 3
    true[2:4, 4:7] = 4
    pred[0:4, 4:8] = 8
    return [true, true[::2, ::2]], [pred, pred[::2, ::2]]


def test_error_map_levels_paint_each_level_with_the_matching_of_level_0():

    trues, preds = tiny_pyramid()
    # 1 matched, 2 missed, 3 spurious, 4 merged (true; wins over the merge 5 beneath it)
    level0 = np.zeros((8, 8), np.uint8)
    level0[0:4, 0:4] = 1
    level0[0:4, 4:7] = 4
    level0[0:4, 7] = 5  # pred 8 alone
    level0[4:8, 0:2] = 2
    level0[4:8, 6:8] = 3
    level1 = np.array([[1, 1, 4, 4], [1, 1, 4, 4], [2, 0, 0, 3], [2, 0, 0, 3]], np.uint8)
    levels = error_map_levels(trues, preds, by="kind")
    np.testing.assert_array_equal(levels[0], level0)
    np.testing.assert_array_equal(levels[1], level1)
    np.testing.assert_array_equal(levels[0], error_map(trues[0], preds[0], by="kind"))
    # Level 1 on its own is matched otherwise: there true 3 is 2 pixels of pred 8's 4 (IoU
    # 1/2, a match). Its own matching is not used.
    assert error_map(trues[1], preds[1], by="kind")[0, 2] == 1
    # by status: FN 3 on missed true 2 and the merged 3, 4; FP 2 on pred 6; TP 1 on pred 5
    status = error_map_levels(trues, preds)[1]
    np.testing.assert_array_equal(status, [[1, 1, 3, 3], [1, 1, 3, 3], [3, 0, 0, 2], [3, 0, 0, 2]])


def test_error_map_levels_of_chunked_levels_read_only_their_level():
    import dask.array as da

    trues, preds = tiny_pyramid()
    lazy_true = [da.from_array(x, chunks=2) for x in trues]
    lazy_pred = [da.from_array(x, chunks=3) for x in preds]
    levels = error_map_levels(lazy_true, lazy_pred, by="kind")
    for level, expected in zip(levels, error_map_levels(trues, preds, by="kind"), strict=True):
        assert isinstance(level, da.Array)
        np.testing.assert_array_equal(level.compute(), expected)
    names = {key[0] for key in dict(levels[1].__dask_graph__())}
    assert lazy_true[0].name not in names and lazy_pred[0].name not in names


def test_error_map_levels_refuses_unequal_levels_before_any_work():

    trues, preds = tiny_pyramid()
    with pytest.raises(ValueError, match="2 levels and the prediction 1"):
        error_map_levels(trues, preds[:1])
    with pytest.raises(ValueError, match="shape mismatch"):
        error_map_levels(trues, [preds[0], preds[0]])


def test_a_coarse_level_of_a_wider_dtype_paints_its_ids_without_wrapping():
    """Review: a uint16 level 0 with an int64 coarse level holding the id 65543, which is
    not an object of level 0: it is painted 0, not as object 7 (65543 wraps to 7 in uint16)."""
    true = np.array([[7, 7, 0, 0]], np.uint16)
    pred = np.array([[0, 0, 0, 0]], np.uint16)  # 7 missed
    coarse_true = np.array([[7, 65543]], np.int64)
    coarse_pred = np.zeros((1, 2), np.int64)
    levels = error_map_levels([true, coarse_true], [pred, coarse_pred], by="kind")
    assert levels[0].tolist() == [[2, 2, 0, 0]]
    assert levels[1].tolist() == [[2, 0]]
