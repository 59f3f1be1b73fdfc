"""Runs compared in the words of the matching each used (trial93): under the ctc preset
(intersection over truth > 0.5, one threshold) the headline labels, notes and the comparison
report say so, not IoU; runs matched differently say that their values differ in kind; the
per-object matching is worded as the catalogue words it (``core.review.match_rule``)."""

from html import escape

import numpy as np
import tifffile

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.io import evaluate_files
from napari_seg_eval.report import report_html
from napari_seg_eval.runs import Runs

# Three true objects of 2x2 pixels, two pixels apart.
TRUTH = np.zeros((2, 12), np.int32)
for _i in range(3):
    TRUTH[:, 4 * _i : 4 * _i + 2] = _i + 1


def copy_of(ids):
    """An exact copy of the true objects ``ids`` (ids + 10)."""
    return np.where(np.isin(TRUTH, ids), TRUTH + 10, 0).astype(np.int32)


def labels(comparison):
    return comparison.headline.set_index("metric")["label"].to_dict()


def test_ctc_runs_compared_read_with_intersection_over_truth():
    runs = Runs()
    runs.add(evaluate(TRUTH, copy_of([1, 2]), kind="instance", preset="ctc"), name="A")
    runs.add(evaluate(TRUTH, copy_of([1, 3]), kind="instance", preset="ctc"), name="B")
    comparison = runs.compare("A", "B")
    # One threshold (0.5): the mean over thresholds is over that one, as the run's own report
    # says; F1 keeps its label (its definition names the rule).
    assert labels(comparison) == {
        "mean_accuracy": "AP (DSB), mean over 1 threshold",
        "f1_50": "F1 @ 0.5",
        "panoptic_quality_50": "PQ @ 0.5",
        "aji": "AJI",
    }
    # Each run finds 2 of the 3 exactly: TP 2, FP 0, FN 1, F1 = 4 / (4 + 0 + 1) = 0.8.
    assert comparison.headline.set_index("metric").loc["f1_50", ["a", "b"]].tolist() == [0.8, 0.8]
    words = "|T∩P|/|T| > 0.50"  # core.review.match_rule("iot", 0.5)
    assert comparison.matching == words
    assert not any("matched their objects differently" in note for note in comparison.notes)
    html = report_html(comparison)
    assert "mean over IoU thresholds" not in html and "at IoU" not in html
    assert f"<h2>Per object ({escape(words)})</h2>" in html


def test_runs_matched_differently_say_so():
    runs = Runs()
    runs.add(evaluate(TRUTH, copy_of([1, 2]), kind="instance", preset="ctc"), name="A")
    runs.add(evaluate(TRUTH, copy_of([1, 3]), kind="instance"), name="B")  # IoU, 0.5:0.95
    comparison = runs.compare("A", "B")
    assert labels(comparison) == {
        "mean_accuracy": "AP (DSB), mean over 1 threshold (A) / AP (DSB), mean over IoU "
        "thresholds (B) [matched differently]",
        "f1_50": "F1 @ 0.5 [matched differently]",
        "panoptic_quality_50": "PQ @ 0.5 [matched differently]",
        "aji": "AJI",  # matched by neither criterion: one definition
    }
    assert comparison.matching == "A: |T∩P|/|T| > 0.50; B: IoU ≥ 0.5"
    note = (
        "A and B matched their objects differently (A: |T∩P|/|T| > 0.50; B: IoU ≥ t at "
        "t = 0.5, 0.55, …, 0.95)"
    )
    assert any(text.startswith(note) for text in comparison.notes)
    html = report_html(comparison)
    assert escape(note) in html and "[matched differently]" in html
    # Two IoU runs at the default thresholds read as before: no mark, no such note.
    runs.add(evaluate(TRUTH, copy_of([2, 3]), kind="instance"), name="C")
    same = runs.compare("B", "C")
    assert labels(same)["mean_accuracy"] == "AP (DSB), mean over IoU thresholds"
    assert labels(same)["f1_50"] == "F1 @ 0.5"
    assert same.matching == "IoU ≥ 0.5"
    assert not any("differently" in note for note in same.notes)


def test_ctc_dataset_runs_compared_read_with_intersection_over_truth(tmp_path):
    for side, ids in (("truth", [1, 2, 3]), ("a", [1, 2]), ("b", [1, 3])):
        (tmp_path / side).mkdir()
        image = TRUTH if side == "truth" else copy_of(ids)
        for number in range(2):
            tifffile.imwrite(tmp_path / side / f"img{number}.tif", image.astype(np.uint16))
    runs = Runs()
    for side in ("a", "b"):
        result = evaluate_files(tmp_path / "truth", tmp_path / side, preset="ctc")
        runs.add(result, name=side.upper())
    shown = labels(runs.compare("A", "B"))
    assert shown["mean_accuracy_pooled"] == "AP (DSB), mean over 1 threshold (pooled)"
    assert shown["mean_accuracy_image_mean"] == "AP (DSB), mean over 1 threshold (image mean)"
    assert not any("IoU" in label for label in shown.values())
