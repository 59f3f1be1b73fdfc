"""Object classes with semantic metrics by class: the semantic side compared the truth's object
ids as classes (trial148: mean IoU 0.038 for 0.754), silently. It was then refused; now
(classes153) the semantic side compares the classes: the truth's class image with the map's
classes, the numbers of the class image evaluated as the ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tifffile

import napari_seg_eval as nse
from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files

# Two objects (ids 1, 2) of classes 2 and 1, and a two-channel map (channel k is class k + 1)
# that gives object 1 class 2 and object 2 class 1 (right), background elsewhere.
TRUTH = np.zeros((6, 6), np.uint16)
TRUTH[0:2, 0:2], TRUTH[3:6, 3:6] = 1, 2  # 4 and 9 pixels
CLASSES = np.where(TRUTH == 1, 2, np.where(TRUTH == 2, 1, 0)).astype(np.uint8)
MAP = np.full((2, 6, 6), 0.1, np.float32)
MAP[1][TRUTH == 1] = 0.9  # class 2
MAP[0][TRUTH == 2] = 0.9  # class 1


def test_evaluate_gives_the_class_images_per_class_metrics():
    with_classes = nse.evaluate(
        TRUTH, MAP, threshold=0.5, channel_axis=0, true_classes=CLASSES,
        kind="both", binarize_semantic=False,
    )  # fmt: skip
    record = nse.evaluate(
        CLASSES, MAP, threshold=0.5, channel_axis=0, kind="semantic", binarize_semantic=False
    )
    # Every pixel's class right: classes 0, 1, 2 each IoU 1 (23, 9 and 4 pixels).
    for result in (with_classes.semantic, record.semantic):
        per_class = result.per_class.set_index("class")
        assert per_class["iou"].to_dict() == {0: 1.0, 1: 1.0, 2: 1.0}
        assert per_class["support"].to_dict() == {0: 23, 1: 9, 2: 4}


def test_files_and_the_command_line_compare_the_classes(tmp_path):
    for side in ("truth", "pred"):
        (tmp_path / side).mkdir()
    tifffile.imwrite(tmp_path / "truth" / "a.tif", TRUTH)
    tifffile.imwrite(tmp_path / "truth" / "a_classes.tif", CLASSES)
    np.save(tmp_path / "pred" / "a.npy", MAP)
    options = dict(probability=True, channel_axis=0, truth_classes_suffix="_classes", kind="all")
    result = evaluate_files(
        tmp_path / "truth", tmp_path / "pred", binarize_semantic=False, **options
    )
    pooled = result["semantic"].pooled.set_index("class")
    assert pooled["iou"].to_dict() == {0: 1.0, 1: 1.0, 2: 1.0}
    assert pooled["support"].to_dict() == {0: 23, 1: 9, 2: 4}
    argv = [str(tmp_path / "truth"), str(tmp_path / "pred"), "--probability", "--kind", "all"]
    argv += ["--channel-axis", "0", "--truth-classes-suffix", "_classes", "--class-labels"]
    with pytest.raises(SystemExit) as ended:
        cli.main(["evaluate", *argv, "--out", str(tmp_path / "out")])
    assert ended.value.code == 0
    # the truth's classes, not its ids (id 1 is class 2): every class right, by its pixels
    pooled = pd.read_csv(tmp_path / "out" / "semantic_pooled.csv").set_index("class")
    assert pooled["iou"].to_dict() == {0: 1.0, 1: 1.0, 2: 1.0}
    assert pooled["support"].to_dict() == {0: 23, 1: 9, 2: 4}
