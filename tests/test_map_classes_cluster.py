"""A probability map's own classes (the truth's class files alone) on a cluster: the pairs' extra
files made absolute for the workers kept the prediction's missing class file as None (review147:
a TypeError before any pair ran)."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from cluster_helpers import local_cluster
from napari_seg_eval.io import evaluate_files

distributed = pytest.importorskip("distributed")


def test_a_maps_own_classes_give_the_same_results_on_a_cluster(tmp_path):
    (tmp_path / "truth").mkdir()
    (tmp_path / "pred").mkdir()
    truth = np.zeros((8, 8), np.uint16)
    truth[1:4, 1:4], truth[5:8, 5:8] = 1, 2  # two 3x3 objects
    classes = np.where(truth == 1, 1, np.where(truth == 2, 2, 0)).astype(np.uint8)
    # Two channels, no background channel: channel k is class k + 1. Object 1 is class 1
    # (channel 0 at 0.9), object 2 class 2 (channel 1 at 0.9); elsewhere both 0.1.
    prob = np.full((2, 8, 8), 0.1, np.float32)
    prob[0][truth == 1] = 0.9
    prob[1][truth == 2] = 0.9
    for name in ("a", "b"):
        tifffile.imwrite(tmp_path / "truth" / f"{name}.tif", truth)
        tifffile.imwrite(tmp_path / "truth" / f"{name}_classes.tif", classes)
        np.save(tmp_path / "pred" / f"{name}.npy", prob)
    settings = dict(
        probability=True, channel_axis=0, truth_classes_suffix="_classes", iou_thresholds=[0.5]
    )
    here = evaluate_files(tmp_path / "truth", tmp_path / "pred", **settings)
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        there = evaluate_files(tmp_path / "truth", tmp_path / "pred", client=client, **settings)
    # Each object matched within its class (IoU 1): class mean AP (DSB) at 0.5 = 1 per image.
    assert here.per_image["class_mean_accuracy"].tolist() == [1.0, 1.0]
    assert there.per_image["error"].tolist() == ["", ""]
    columns = [c for c in here.per_image.columns if c not in ("truth", "prediction")]
    assert there.per_image[columns].equals(here.per_image[columns])
