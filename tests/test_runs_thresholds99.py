"""Runs compared that matched their objects by the same rule at different IoU thresholds
(runs99): only the means over the thresholds (AP (DSB)) are marked [matched differently]; the
values at one threshold (F1 @ 0.5, PQ @ 0.5) and the AJI stay unmarked; the note says which
values differ and why, in the comparison and in its report. Per-class and ctc runs too."""

from html import escape

import numpy as np
import pytest
import tifffile

from napari_seg_eval.core.catalogue import Matching
from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.io import evaluate_files
from napari_seg_eval.report import report_html
from napari_seg_eval.runs import MATCHED_DIFFERENTLY, Runs, matching_words

# Three true objects of 2x2 pixels (4 pixels each) at columns 0-1, 4-5 and 8-9.
TRUTH = np.zeros((2, 12), np.int32)
for _i in range(3):
    TRUTH[:, 4 * _i : 4 * _i + 2] = _i + 1
# The prediction: object 1 exactly (IoU 1); object 2 one column wider (columns 4-6: 6 pixels,
# IoU 4/6 = 2/3); object 3 missed. n_true 3, n_pred 2.
PREDICTION = np.zeros_like(TRUTH)
PREDICTION[:, 0:2] = 11
PREDICTION[:, 4:7] = 12
# At a threshold t <= 2/3 both predictions match: TP 2, FP 0, FN 1, AP (DSB) = 2/3.
# At t > 2/3 only object 1 does: TP 1, FP 1, FN 2, AP (DSB) = 1/4.
DEFAULT = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
# Default thresholds: 4 of the 10 (0.5, 0.55, 0.6, 0.65) are <= 2/3:
# (4 * 2/3 + 6 * 1/4) / 10 = (8/3 + 3/2) / 10 = 25/60.
AP_DEFAULT = 25 / 60
# (0.5, 0.75): (2/3 + 1/4) / 2 = 11/24.
AP_TWO = 11 / 24
# F1 @ 0.5 (whatever the thresholds): 2 TP / (2 TP + FP + FN) = 4 / (4 + 0 + 1) = 0.8.
F1 = 0.8
# PQ @ 0.5: sum of matched IoU / (TP + FP/2 + FN/2) = (1 + 2/3) / (2 + 0 + 1/2) = 2/3.
PQ = 2 / 3
# AJI: each true object with its best partner: intersections 4 + 4 + 0 = 8, unions
# 4 + 6 + 4 (object 3 alone) = 14, no prediction left over: 8/14 = 4/7.
AJI = 4 / 7
MARK = MATCHED_DIFFERENTLY  # " [matched differently]"
AP_LABEL = "AP (DSB), mean over IoU thresholds"


def compare(settings_a, settings_b, **both):
    runs = Runs()
    runs.add(evaluate(TRUTH, PREDICTION, kind="instance", **settings_a, **both), name="A")
    runs.add(evaluate(TRUTH, PREDICTION, kind="instance", **settings_b, **both), name="B")
    return runs.compare("A", "B")


def rows(comparison):
    return comparison.headline.set_index("metric")


def matching_notes(comparison):
    return [note for note in comparison.notes if note.startswith("A and B matched")]


def test_only_the_mean_over_thresholds_is_marked():
    comparison = compare({}, {"iou_thresholds": (0.5, 0.75)})
    table = rows(comparison)
    assert table["label"].to_dict() == {
        "mean_accuracy": AP_LABEL + MARK,
        "f1_50": "F1 @ 0.5",
        "panoptic_quality_50": "PQ @ 0.5",
        "aji": "AJI",
    }
    # One prediction, two sets of thresholds: AP (DSB) differs by 11/24 - 25/60 = 55/120 -
    # 50/120 = 1/24 with nothing else changed; the values at 0.5 and the AJI do not.
    assert table.loc["mean_accuracy", ["a", "b"]].tolist() == pytest.approx([AP_DEFAULT, AP_TWO])
    assert table.loc["mean_accuracy", "difference"] == pytest.approx(1 / 24)
    for key, value in (("f1_50", F1), ("panoptic_quality_50", PQ), ("aji", AJI)):
        assert table.loc[key, ["a", "b", "difference"]].tolist() == pytest.approx([value, value, 0])


def test_the_note_says_which_values_differ_and_which_do_not():
    comparison = compare({}, {"iou_thresholds": (0.5, 0.75)})
    (note,) = matching_notes(comparison)
    assert note == (
        "A and B matched their objects at different thresholds (A: IoU ≥ t at t = 0.5, 0.55, "
        "…, 0.95; B: IoU ≥ t at t = 0.5, 0.75): the means over the thresholds, marked "
        f"[matched differently] ({AP_LABEL}), average different thresholds in A and B, so "
        "they are not the same quantity and a difference between them is partly the "
        "thresholds'; the other instance values (F1 @ 0.5; PQ @ 0.5; AJI) do not depend on "
        "the thresholds: they are defined alike in A and B."
    )
    assert not any("not the same quantity" in text for text in comparison.notes if text != note)
    html = report_html(comparison)
    assert escape(note) in html
    assert f"<td class=text>{AP_LABEL}{MARK}</td>" in html
    assert "<td class=text>F1 @ 0.5</td>" in html  # unmarked
    assert html.count(MARK.strip()) == 2  # the AP (DSB) row and the note


def test_a_run_at_thresholds_without_0_5_keeps_f1_at_0_5_unmarked():
    # F1 @ 0.5 is counted at 0.5 even when 0.5 is not one of the thresholds: the same
    # quantity in both runs. AP (DSB) at (0.6, 0.7): (2/3 + 1/4) / 2 = 11/24 (IoU 2/3 >= 0.6).
    comparison = compare({}, {"iou_thresholds": (0.6, 0.7)})
    table = rows(comparison)
    assert table.loc["mean_accuracy", "label"] == AP_LABEL + MARK
    assert table.loc["mean_accuracy", "b"] == pytest.approx(11 / 24)
    assert table.loc["f1_50", "label"] == "F1 @ 0.5"
    assert table.loc["f1_50", ["a", "b"]].tolist() == pytest.approx([F1, F1])
    (note,) = matching_notes(comparison)
    assert note.startswith(
        "A and B matched their objects at different thresholds (A: IoU ≥ t at t = 0.5, 0.55, "
        "…, 0.95; B: IoU ≥ t at t = 0.6, 0.7)"
    )


def test_the_brief_s_two_ranges_and_one_threshold_against_several():
    # 0.5:0.9 (9 thresholds, 4 of them <= 2/3): (4 * 2/3 + 5 * 1/4) / 9 = (8/3 + 5/4) / 9
    # = (47/12) / 9 = 47/108.
    shorter = tuple(DEFAULT[:-1])
    comparison = compare({}, {"iou_thresholds": shorter})
    table = rows(comparison)
    assert table.loc["mean_accuracy", "b"] == pytest.approx(47 / 108)
    assert table["label"].str.endswith(MARK).tolist() == [True, False, False, False]
    (note,) = matching_notes(comparison)
    assert "(A: IoU ≥ t at t = 0.5, 0.55, …, 0.95; B: IoU ≥ t at t = 0.5, 0.55, …, 0.9)" in note
    # One threshold (0.5) against the default: the labels already differ; the note says
    # thresholds, not the matching rule. AP (DSB) at 0.5 alone: 2/3.
    single = compare({"iou_thresholds": (0.5,)}, {})
    table = rows(single)
    assert table.loc["mean_accuracy", "label"] == (
        f"AP (DSB), mean over 1 threshold (A) / {AP_LABEL} (B){MARK}"
    )
    assert table.loc["mean_accuracy", ["a", "b"]].tolist() == pytest.approx([2 / 3, AP_DEFAULT])
    assert table.loc["f1_50", "label"] == "F1 @ 0.5"
    (note,) = matching_notes(single)
    assert note.startswith("A and B matched their objects at different thresholds (A: IoU ≥ 0.50;")
    assert f"marked [matched differently] ({AP_LABEL})" in note


def test_the_same_thresholds_in_another_order_are_the_same_matching():
    comparison = compare({"iou_thresholds": (0.75, 0.5)}, {"iou_thresholds": (0.5, 0.75)})
    table = rows(comparison)
    assert not table["label"].str.contains("matched differently").any()
    assert table.loc["mean_accuracy", ["a", "b"]].tolist() == pytest.approx([AP_TWO, AP_TWO])
    assert matching_notes(comparison) == []


def test_thresholds_not_evenly_spaced_are_each_named():
    # "0.5, 0.55, …, 0.95" says: in steps of 0.05. Uneven thresholds are listed whole.
    assert matching_words(Matching("iou", (0.5, 0.55, 0.7, 0.95))) == (
        "IoU ≥ t at t = 0.5, 0.55, 0.7, 0.95"
    )
    assert matching_words(Matching("iou", DEFAULT)) == "IoU ≥ t at t = 0.5, 0.55, …, 0.95"
    comparison = compare({}, {"iou_thresholds": (0.5, 0.55, 0.7, 0.95)})
    # AP (DSB) over (0.5, 0.55, 0.7, 0.95): (2 * 2/3 + 2 * 1/4) / 4 = (11/6) / 4 = 11/24.
    assert rows(comparison).loc["mean_accuracy", "b"] == pytest.approx(11 / 24)
    (note,) = matching_notes(comparison)
    assert "B: IoU ≥ t at t = 0.5, 0.55, 0.7, 0.95)" in note


# Classes: objects 1 and 3 of class 1, object 2 of class 2; each prediction of its object's class.
TRUE_CLASSES = {1: 1, 2: 2, 3: 1}
PRED_CLASSES = {11: 1, 12: 2}


def test_per_class_runs_at_different_thresholds():
    comparison = compare(
        {},
        {"iou_thresholds": (0.5, 0.75)},
        true_classes=TRUE_CLASSES,
        pred_classes=PRED_CLASSES,
    )
    table = rows(comparison)
    # The matches are within the classes, and the classes agree: the same counts as without.
    assert table["label"].to_dict() == {
        "mean_accuracy": AP_LABEL + MARK,
        "f1_50": "F1 @ 0.5",
        "panoptic_quality_50": "PQ @ 0.5",
        "aji": "AJI",
    }
    assert table.loc["mean_accuracy", ["a", "b"]].tolist() == pytest.approx([AP_DEFAULT, AP_TWO])
    # The objects are compared at 0.5 of the rule, within each class, in both runs: one
    # prediction, so objects 1 and 2 (IoU 1 and 2/3 >= 0.5) matched by both, 3 by neither.
    assert comparison.matching == "IoU ≥ 0.5, within each class"
    assert comparison.objects["change"].tolist() == ["both", "both", "neither"]
    (note,) = matching_notes(comparison)
    assert note.startswith("A and B matched their objects at different thresholds")


def test_ctc_against_intersection_over_truth_at_two_thresholds():
    # Both by |T∩P|/|T| > t: object 2's prediction covers all of it (4/4 = 1), so both match
    # at every threshold: AP (DSB) = TP / (TP + FP + FN) = 2 / 3 in both, yet a mean over 1
    # threshold against a mean over 2.
    comparison = compare({"preset": "ctc"}, {"criterion": "iot", "iou_thresholds": (0.5, 0.75)})
    table = rows(comparison)
    assert table["label"].to_dict() == {
        "mean_accuracy": "AP (DSB), mean over 1 threshold (A) / AP (DSB), mean over "
        f"|T∩P|/|T| thresholds (B){MARK}",
        "f1_50": "F1 @ 0.5",
        "panoptic_quality_50": "PQ @ 0.5",
        "aji": "AJI",
    }
    assert table.loc["mean_accuracy", ["a", "b"]].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert comparison.matching == "|T∩P|/|T| > 0.50"
    (note,) = matching_notes(comparison)
    assert note.startswith(
        "A and B matched their objects at different thresholds (A: |T∩P|/|T| > 0.50; B: "
        "|T∩P|/|T| > t at t = 0.5, 0.75): the means over the thresholds, marked [matched "
        "differently] (AP (DSB), mean over |T∩P|/|T| thresholds)"
    )
    # ctc against IoU: another rule, the note says so and names every value it changes.
    other = compare({"preset": "ctc"}, {})
    (note,) = matching_notes(other)
    assert note == (
        "A and B matched their objects differently (A: |T∩P|/|T| > 0.50; B: IoU ≥ t at t = "
        "0.5, 0.55, …, 0.95): the values that depend on the matching, marked [matched "
        f"differently] ({AP_LABEL}; F1 @ 0.5; PQ @ 0.5), are not the same quantity, and a "
        "difference between them is partly the matching's; the other instance values (AJI) "
        "do not depend on it: they are defined alike in A and B."
    )


def test_dataset_runs_at_different_thresholds(tmp_path):
    for side, image in (("truth", TRUTH), ("pred", PREDICTION)):
        (tmp_path / side).mkdir()
        for number in range(2):
            tifffile.imwrite(tmp_path / side / f"img{number}.tif", image.astype(np.uint16))
    runs = Runs()
    for name, thresholds in (("A", list(DEFAULT)), ("B", [0.5, 0.75])):
        result = evaluate_files(tmp_path / "truth", tmp_path / "pred", iou_thresholds=thresholds)
        runs.add(result, name=name)
    comparison = runs.compare("A", "B")
    table = rows(comparison)
    marked = table.index[table["label"].str.endswith(MARK)].tolist()
    assert marked == ["mean_accuracy_pooled", "mean_accuracy_image_mean"]
    assert table.loc["f1_50_pooled", "label"] == "F1 @ 0.5 (pooled)"
    # Two copies of one image: pooled and image mean are the image's values.
    for key in marked:
        assert table.loc[key, ["a", "b"]].tolist() == pytest.approx([AP_DEFAULT, AP_TWO])
    for key in ("f1_50_pooled", "f1_50_image_mean"):
        assert table.loc[key, ["a", "b"]].tolist() == pytest.approx([F1, F1])
    (note,) = matching_notes(comparison)
    # Each metric named once, not its pooled value and image mean apart.
    assert f"marked [matched differently] ({AP_LABEL})," in note
    assert "(F1 @ 0.5; PQ @ 0.5; AJI) do not depend on the thresholds" in note
    html = report_html(comparison)
    assert escape(note) in html
    assert f"<td class=text>{AP_LABEL} (pooled){MARK}</td>" in html
    assert "<td class=text>F1 @ 0.5 (pooled)</td>" in html
