"""Runs matched at thresholds that differ below the short words' digits (np.arange's
0.6000000000000001 against 0.6) are told apart in the note (review104)."""

import numpy as np

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.runs import Run, matching_note


def test_thresholds_apart_below_the_words_digits_are_written_in_full():
    truth = np.array([[1, 1, 0, 2]])
    typed = (0.5, 0.6)
    made = (0.5, 0.1 * 6)  # 0.6000000000000001: 0.1 has no exact binary fraction
    assert made[1] != 0.6
    a = Run.from_evaluation(evaluate(truth, truth, kind="instance", iou_thresholds=typed))
    b = Run.from_evaluation(evaluate(truth, truth, kind="instance", iou_thresholds=made))
    note = matching_note(a, b)
    # An IoU of exactly 0.6 counts at 0.6 and not at 0.6000000000000001: the means may
    # differ, so the note names both sets, in full, and they read differently.
    assert "A: IoU ≥ t at t = 0.5, 0.6; B: IoU ≥ t at t = 0.5, 0.6000000000000001" in note
