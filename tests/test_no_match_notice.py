"""The Evaluate tab's "no predicted object matched" notice speaks of layers mixed up, never of
a run that matched at its own IoU threshold, nor of a foreground mask whose pixels agree."""

from types import SimpleNamespace as Named

import numpy as np

from napari_seg_eval._qt.evaluate_panel import foreground_iou, no_match_notices
from napari_seg_eval.evaluation import evaluate

TRUTH, MODEL = Named(name="gt"), Named(name="model")


def squares() -> np.ndarray:
    truth = np.zeros((20, 20), int)
    truth[2:8, 2:8] = 1
    truth[10:16, 10:16] = 2
    return truth


def test_a_match_at_the_runs_own_threshold_is_a_match():
    truth = squares()
    pred = np.zeros_like(truth)
    pred[2:8, 5:11] = 1  # each square shifted 3 px: IoU 18 / 54 = 1/3
    pred[10:16, 13:19] = 2
    record = evaluate(truth, pred, kind="instance", iou_thresholds=[0.3])
    assert record.instance.per_threshold["tp"].tolist() == [2]
    assert no_match_notices(record, TRUTH, MODEL) == []
    # At the default thresholds (0.5..0.95) nothing matches: said, at the lowest of them.
    (notice,) = no_match_notices(evaluate(truth, pred, kind="instance"), TRUTH, MODEL)
    assert notice.startswith("no predicted object matched a true object at IoU 0.5 (2 true")


def test_a_foreground_mask_whose_pixels_agree_is_not_a_mix_up():
    truth = np.zeros((20, 20), int)
    for k, start in enumerate(range(0, 20, 4)):  # 5 touching bars, one foreground object
        truth[2:18, start : start + 4] = k + 1
    mask = (truth > 0).astype(int)
    record = evaluate(truth, mask)  # semantic and instance: IoU of each bar 64/320 = 0.2
    assert record.instance.per_threshold["tp"].sum() == 0
    assert foreground_iou(record) == 1.0
    assert no_match_notices(record, TRUTH, MODEL) == []


def test_a_truth_without_background_is_said_even_where_pixels_overlap():
    rng = np.random.default_rng(0)
    raw = rng.integers(1, 200, (20, 20))  # an intensity image as labels: no pixel 0
    pred = np.zeros((20, 20), int)
    pred[:, :12] = 1  # foreground IoU 240 / 400 = 0.6
    record = evaluate(raw, pred)
    assert foreground_iou(record) == 0.6
    (notice,) = no_match_notices(record, TRUTH, MODEL)
    assert "'gt' has no background" in notice
