"""Summaries over many images hold what the metric catalogue promises (ds66).

Every ratio of an instance or semantic summary is reported pooled and as an image mean, its
counts summed; the CTC catalogue says where each of its values is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile

import napari_seg_eval as nse
from napari_seg_eval import __main__ as cli
from napari_seg_eval.core import catalogue

# Two class images (0 and 1) where the pooled and image-mean values differ.
# Image A, read row by row: true 0 0 1 1, pred 0 1 1 1.
#   class 0: TP 1, FP 0, FN 1 -> precision 1, recall 1/2, IoU 1/2, support 2
#   class 1: TP 2, FP 1, FN 0 -> precision 2/3, recall 1, IoU 2/3, support 2
#   mean precision (1 + 2/3) / 2 = 5/6; mean recall (1/2 + 1) / 2 = 3/4
#   frequency-weighted IoU (2 * 1/2 + 2 * 2/3) / 4 = 7/12
# Image B: true 0 1 1 1, pred 0 0 0 1.
#   class 0: TP 1, FP 2, FN 0 -> precision 1/3, recall 1, IoU 1/3, support 1
#   class 1: TP 1, FP 0, FN 2 -> precision 1, recall 1/3, IoU 1/3, support 3
#   mean precision (1/3 + 1) / 2 = 2/3; mean recall (1 + 1/3) / 2 = 2/3
#   frequency-weighted IoU (1 * 1/3 + 3 * 1/3) / 4 = 1/3
TRUE_A, PRED_A = np.array([[0, 0], [1, 1]]), np.array([[0, 1], [1, 1]])
TRUE_B, PRED_B = np.array([[0, 1], [1, 1]]), np.array([[0, 0], [0, 1]])
SEMANTIC = {
    # Pooled: class 0 TP 2, FP 2, FN 1 (precision 2/4, recall 2/3, IoU 2/5, support 3);
    # class 1 TP 3, FP 1, FN 2 (precision 3/4, recall 3/5, IoU 3/6, support 5).
    "mean_precision_pooled": (1 / 2 + 3 / 4) / 2,  # 5/8
    "mean_recall_pooled": (2 / 3 + 3 / 5) / 2,  # 19/30
    "frequency_weighted_iou_pooled": (3 * 2 / 5 + 5 * 1 / 2) / 8,  # 37/80
    # Image means: the mean of A's and B's values.
    "mean_precision_image_mean": (5 / 6 + 2 / 3) / 2,  # 3/4
    "mean_recall_image_mean": (3 / 4 + 2 / 3) / 2,  # 17/24
    "frequency_weighted_iou_image_mean": (7 / 12 + 1 / 3) / 2,  # 11/24
    "n_pixels": 4 + 4,
}


def test_a_semantic_summary_has_mean_precision_recall_and_frequency_weighted_iou():
    # Image C is all ignored (truth 9): its metrics are NaN, left out of the image means.
    true_c, pred_c = np.full((2, 2), 9), np.array([[0, 1], [1, 0]])
    with pytest.warns(RuntimeWarning, match=r"images \[2\] have no pixel left"):
        result = nse.dataset_metrics(
            [TRUE_A, TRUE_B, true_c], [PRED_A, PRED_B, pred_c], kind="semantic", ignore_label=9
        )
    for key, value in SEMANTIC.items():
        assert float(result.summary[key]) == pytest.approx(value), key
    # Pooled: as semantic_metrics computes them on the images side by side.
    side_by_side = nse.semantic_metrics(
        np.hstack([TRUE_A, TRUE_B, true_c]), np.hstack([PRED_A, PRED_B, pred_c]), ignore_label=9
    ).summary
    for key in ("mean_precision", "mean_recall", "frequency_weighted_iou", "mean_iou"):
        assert float(result.summary[f"{key}_pooled"]) == pytest.approx(side_by_side[key])


def test_an_instance_summary_has_accuracy_precision_and_recall_at_iou_05():
    # A: true 1 found (IoU 1), true 2 missed, pred 3 spurious: TP 1, FP 1, FN 1
    #    -> AP (DSB) 1/3, precision 1/2, recall 1/2.
    # B: its one object found: TP 1 -> 1, 1, 1.
    # C: no object on either side: 0/0, NaN, left out of the image means.
    true_a, pred_a = np.array([[1, 1, 0, 2, 2, 0, 0]]), np.array([[1, 1, 0, 0, 0, 3, 3]])
    true_b, pred_b = np.array([[1, 1, 0, 0, 0, 0, 0]]), np.array([[5, 5, 0, 0, 0, 0, 0]])
    empty = np.zeros((1, 7), int)
    result = nse.dataset_metrics(
        [true_a, true_b, empty], [pred_a, pred_b, empty], iou_thresholds=[0.5]
    )
    expected = {
        "accuracy_50_pooled": 2 / 4,  # TP 2, FP 1, FN 1: 2 / (2 + 1 + 1)
        "precision_50_pooled": 2 / 3,  # 2 / (2 + 1)
        "recall_50_pooled": 2 / 3,  # 2 / (2 + 1)
        "accuracy_50_image_mean": (1 / 3 + 1) / 2,  # 2/3
        "precision_50_image_mean": (1 / 2 + 1) / 2,  # 3/4
        "recall_50_image_mean": (1 / 2 + 1) / 2,  # 3/4
    }
    for key, value in expected.items():
        assert float(result.summary[key]) == pytest.approx(value), key


def _bases(summary: pd.Series) -> set[str]:
    return {
        key.removesuffix(suffix)
        for key in summary.index
        for suffix in ("_pooled", "_image_mean")
        if key.endswith(suffix)
    }


@pytest.mark.parametrize("kind", ["instance", "semantic", "classes"])
def test_every_ratio_the_catalogue_pools_is_pooled_and_every_count_summed(kind):
    truth = np.zeros((8, 8), np.uint8)
    truth[1:4, 1:4], truth[5:7, 5:7] = 1, 2
    pred = np.zeros_like(truth)
    pred[1:4, 1:3] = 4
    extra = {}
    if kind == "classes":  # the class means are reported with classes only
        extra = {"true_classes": [{1: 1, 2: 2}] * 2, "pred_classes": [{1: 1, 2: 2}, {4: 1}]}
    table = "semantic" if kind == "semantic" else "instance"
    result = nse.dataset_metrics([truth, truth], [truth, pred], kind=table, **extra)
    entries = catalogue.TABLES[f"{table}.summary"]
    ratios = {
        e.key
        for e in entries
        if e.pooling == "ratio" and (kind == "classes" or not e.key.startswith("class_"))
    }
    assert _bases(result.summary) == ratios
    for entry in entries:
        if entry.pooling == "sum":  # n_true, n_pred; n_pixels
            per_image = result.per_image[entry.key].astype(float)
            assert result.summary[entry.key] == per_image.sum(), entry.key
    # The pooled table holds every ratio and count of a row, the image mean every ratio.
    row_table = "semantic.per_class" if table == "semantic" else "instance.per_threshold"
    for entry in catalogue.TABLES[row_table]:
        if entry.pooling in ("ratio", "sum"):
            assert entry.key in result.pooled, entry.key
        if entry.pooling == "ratio":
            assert entry.key in result.image_mean, entry.key
    if kind == "classes":
        for entry in catalogue.TABLES["instance.per_class"]:
            if entry.pooling in ("ratio", "sum"):
                assert entry.key in result.per_class_pooled, entry.key
            if entry.pooling == "ratio":
                assert entry.key in result.per_class_image_mean, entry.key


def test_the_command_lines_summary_csv_has_the_new_semantic_columns(tmp_path):
    truth, pred, out = tmp_path / "truth", tmp_path / "pred", tmp_path / "out"
    truth.mkdir()
    pred.mkdir()
    for name, true, guess in (("a", TRUE_A, PRED_A), ("b", TRUE_B, PRED_B)):
        tifffile.imwrite(truth / f"{name}.tif", true.astype(np.uint16))
        tifffile.imwrite(pred / f"{name}.tif", guess.astype(np.uint16))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", str(truth), str(pred), "--out", str(out), "--kind", "semantic"])
    assert exit_info.value.code == 0
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    for key, value in SEMANTIC.items():  # the same values as from dataset_metrics
        assert summary[key] == pytest.approx(value), key


def test_the_ctc_catalogue_says_where_each_value_is(tmp_path):
    from napari_seg_eval.io import evaluate_files

    truth = np.zeros((8, 8), np.uint16)
    truth[1:4, 1:4], truth[5:7, 5:7] = 1, 2
    returned = set(nse.ctc_metrics(truth, truth).index)
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    np.save(tmp_path / "t" / "a.npy", truth)
    np.save(tmp_path / "p" / "a.npy", truth)
    result = evaluate_files(tmp_path / "t", tmp_path / "p", preset="ctc", boundary=True)
    pooled = result.tables["ctc_pooled"]
    for entry in catalogue.TABLES["ctc"]:
        assert entry.key in pooled, entry.key  # every value, summed over images
        says_returned = "not in ctc_metrics" not in entry.definition
        assert says_returned == (entry.key in returned), entry.key
        if entry.pooling == "ratio":
            assert {f"{entry.key}_pooled", f"{entry.key}_image_mean"} <= set(result.summary.index)
    # Boundary distances over images: their image means, never pooled.
    for name in ("boundary.summary", "boundary.per_image"):
        for entry in catalogue.TABLES[name]:
            if entry.pooling == "image_mean":
                assert f"{entry.key}_image_mean" in result.summary, entry.key
                assert f"{entry.key}_pooled" not in result.summary, entry.key
