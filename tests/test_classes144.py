"""A softmax's own classes for its objects, and class 0 out of the semantic means (classes144):
the API, evaluate_files and the command line, checked by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files

pytestmark = pytest.mark.filterwarnings("ignore:.*had no class above the threshold")


def softmax_case():
    """A 4 × 8 truth of three objects and a 2-channel map (channel k is class k + 1).

    Truth: object 1 (cols 0-1, 8 px) and object 3 (cols 6-7, 8 px) are class 1, object 2
    (cols 3-5, 12 px) class 2. The map: channel 0 is 0.9 on cols 0-1; channel 1 is 0.8 on
    cols 3-4 and 0.7 on cols 6-7; 0 elsewhere. At threshold 0.5 its class image is 1 on cols
    0-1, 2 on cols 3-4 and 6-7 (col 5 is 0: two objects of class 2).
    """
    truth = np.zeros((4, 8), np.int32)
    truth[:, 0:2], truth[:, 3:6], truth[:, 6:8] = 1, 2, 3
    true_classes = np.select([np.isin(truth, [1, 3]), truth == 2], [1, 2], 0).astype(np.int32)
    prob = np.zeros((2, 4, 8), np.float32)
    prob[0, :, 0:2] = 0.9
    prob[1, :, 3:5] = 0.8
    prob[1, :, 6:8] = 0.7
    argmax = np.zeros((4, 8), np.int32)  # the thresholded argmax, written out by hand
    argmax[:, 0:2], argmax[:, 3:5], argmax[:, 6:8] = 1, 2, 2
    return truth, true_classes, prob, argmax


def assert_by_hand(per_class: pd.DataFrame) -> None:
    """The per-class counts of :func:`softmax_case` at IoU 0.5 and 0.7.

    Predicted objects: A (cols 0-1, class 1), B (cols 3-4, class 2), C (cols 6-7, class 2).
    IoU(1, A) = 8 / 8 = 1; IoU(2, B) = 8 / 12 = 2/3; IoU(3, C) = 1, but 3 is class 1 and C
    class 2: no match within a class. At 0.5: class 1 has A-1 (tp 1), 3 missed (fn 1), no fp;
    class 2 has B-2 (tp 1) and C unmatched (fp 1). At 0.7, 2/3 < 0.7: class 2 tp 0, fp 2,
    fn 1; class 1 as at 0.5.
    """
    rows = per_class.set_index(["class", "threshold"])
    assert rows.loc[(1, 0.5), ["tp", "fp", "fn"]].tolist() == [1, 0, 1]
    assert rows.loc[(2, 0.5), ["tp", "fp", "fn"]].tolist() == [1, 1, 0]
    assert rows.loc[(1, 0.7), ["tp", "fp", "fn"]].tolist() == [1, 0, 1]
    assert rows.loc[(2, 0.7), ["tp", "fp", "fn"]].tolist() == [0, 2, 1]


# 1. the map's own classes ---------------------------------------------------------------------
def test_a_softmax_gives_its_own_classes_to_evaluate():
    truth, true_classes, prob, argmax = softmax_case()
    record = nse.evaluate(
        truth, prob, threshold=0.5, channel_axis=0, true_classes=true_classes,
        iou_thresholds=(0.5, 0.7),
    )  # fmt: skip
    assert_by_hand(record.tables["instance_per_class"])
    assert record.settings.pred_classes_from_map
    np.testing.assert_array_equal(record.pred_classes, argmax)  # the map's class image
    assert "predicted classes: ndarray" in repr(record) and "the map's" in repr(record)
    # At 0.5, matched regardless of class: 1-A (1 → 1), 2-B (2 → 2), 3-C (1 → 2).
    confusion = record.tables["class_confusion"].set_index("true class")
    assert confusion.loc[1, "predicted 2"] == 1 and confusion.loc[2, "predicted 2"] == 1
    # The same as giving the argmax class image as the predicted classes.
    given = nse.evaluate(
        truth, prob, threshold=0.5, channel_axis=0, true_classes=true_classes,
        pred_classes=argmax, iou_thresholds=(0.5, 0.7),
    )  # fmt: skip
    assert not given.settings.pred_classes_from_map
    for name in ("instance_per_class", "class_confusion", "summary"):
        pd.testing.assert_frame_equal(record.tables[name], given.tables[name])


def test_the_maps_own_classes_plane_by_plane_and_chunked():
    """Each plane labelled on its own, and a chunked map: the same per-class counts (two
    copies of the case along axis 0 double every count)."""
    da = pytest.importorskip("dask.array")
    truth, true_classes, prob, _ = softmax_case()
    stack = np.stack([truth, truth]), np.stack([true_classes, true_classes])
    maps = np.stack([prob, prob], axis=1)  # classes × planes × Y × X
    record = nse.evaluate(
        stack[0], maps, threshold=0.5, channel_axis=0, true_classes=stack[1],
        iou_thresholds=(0.5, 0.7), plane_axis=0, label_each_plane=True, kind="instance",
    )  # fmt: skip
    rows = record.tables["instance_per_class"].set_index(["class", "threshold"])
    assert rows.loc[(2, 0.5), ["tp", "fp", "fn"]].tolist() == [2, 2, 0]
    chunked = nse.evaluate(
        truth, da.from_array(prob, chunks=(2, 2, 4)), threshold=0.5, channel_axis=0,
        true_classes=true_classes, iou_thresholds=(0.5, 0.7), kind="instance",
    )  # fmt: skip
    assert_by_hand(chunked.tables["instance_per_class"])


def test_one_sides_classes_are_still_refused_for_labels_and_one_class_maps():
    truth, true_classes, prob, argmax = softmax_case()
    with pytest.raises(ValueError, match="give classes for both sides"):
        nse.evaluate(truth, argmax, true_classes=true_classes)  # a label prediction
    with pytest.raises(ValueError, match="give classes for both sides"):
        nse.evaluate(truth, prob[0], threshold=0.5, true_classes=true_classes)  # no class axis
    with pytest.raises(ValueError, match="pred_classes_from_map takes"):
        nse.evaluate(truth, argmax, true_classes=true_classes, pred_classes_from_map=True)


@pytest.fixture
def softmax_files(tmp_path):
    """truth/a.npy with truth/a_classes.npy; maps/a.npy (the softmax); argmax/a.npy (the same
    map) with argmax/a_classes.npy (its class image, given explicitly)."""
    truth, true_classes, prob, argmax = softmax_case()
    folders = {name: tmp_path / name for name in ("truth", "maps", "argmax")}
    for folder in folders.values():
        folder.mkdir()
    np.save(folders["truth"] / "a.npy", truth)
    np.save(folders["truth"] / "a_classes.npy", true_classes)
    np.save(folders["maps"] / "a.npy", prob)
    np.save(folders["argmax"] / "a.npy", prob)
    np.save(folders["argmax"] / "a_classes.npy", argmax)
    return folders


def test_evaluate_files_takes_the_maps_classes(softmax_files):
    options = dict(probability=True, channel_axis=0, iou_thresholds=(0.5, 0.7))
    result = evaluate_files(
        softmax_files["truth"], softmax_files["maps"], truth_classes_suffix="_classes", **options
    )
    assert result.n_failed == 0
    dataset = result["instance"]
    assert_by_hand(dataset.per_class_pooled)
    assert result.settings.prediction_classes_from_map and result.settings.with_classes
    assert result.settings.to_dict()["prediction_classes_from_map"] is True
    given = evaluate_files(
        softmax_files["truth"], softmax_files["argmax"], truth_classes_suffix="_classes",
        prediction_classes_suffix="_classes", **options,
    )  # fmt: skip
    assert not given.settings.prediction_classes_from_map
    pd.testing.assert_frame_equal(dataset.per_class_pooled, given["instance"].per_class_pooled)
    pd.testing.assert_frame_equal(dataset.class_confusion, given["instance"].class_confusion)
    # settings.json's keywords make the run again
    again = evaluate_files(
        softmax_files["truth"], softmax_files["maps"], **result.settings.to_dict()
    )
    assert again.settings == result.settings


def test_evaluate_files_still_refuses_one_sides_classes_for_labels(softmax_files):
    with pytest.raises(ValueError, match="only truth_classes_suffix"):
        evaluate_files(softmax_files["truth"], softmax_files["truth"], truth_classes_suffix="_c")
    with pytest.raises(ValueError, match="only truth_classes_suffix"):
        evaluate_files(
            softmax_files["truth"], softmax_files["maps"], truth_classes_suffix="_classes",
            probability=True,
        )  # fmt: skip


def run_cli(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def test_the_command_line_takes_the_maps_classes(softmax_files, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_cli(
        str(softmax_files["truth"]), str(softmax_files["maps"]), "--probability",
        "--channel-axis", "0", "--truth-classes-suffix", "_classes", "--iou-thresholds",
        "0.5,0.7", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert_by_hand(pd.read_csv(out / "instance_per_class_pooled.csv"))
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert settings["prediction_classes_from_map"] is True
    assert settings["prediction_classes_suffix"] is None
    # labels with the truth's classes alone: refused, naming the flags
    code = run_cli(
        str(softmax_files["truth"]), str(softmax_files["truth"]), "--truth-classes-suffix",
        "_classes", "--out", str(tmp_path / "refused"), "--quiet",
    )  # fmt: skip
    assert code == 2
    assert "--prediction-classes-suffix" in capsys.readouterr().err


# 2. class 0 out of the semantic means ---------------------------------------------------------
def three_classes():
    """Truth [0 0 1 1 2 2], prediction [0 1 1 1 2 0] (label values as classes).

    Class 0: truth {0, 1}, prediction {0, 5}: intersection 1, union 3, IoU 1/3.
    Class 1: truth {2, 3}, prediction {1, 2, 3}: intersection 2, union 3, IoU 2/3.
    Class 2: truth {4, 5}, prediction {4}: intersection 1, union 2, IoU 1/2.
    Mean with class 0: (1/3 + 2/3 + 1/2) / 3 = 1/2; without: (2/3 + 1/2) / 2 = 7/12.
    """
    return np.array([[0, 0, 1, 1, 2, 2]]), np.array([[0, 1, 1, 1, 2, 0]])


@pytest.mark.parametrize("plane_axis", [None, 0])
def test_evaluate_leaves_class_0_out_of_the_means(plane_axis):
    true, pred = three_classes()
    if plane_axis is not None:  # two copies of the row, counted plane by plane
        true, pred = np.stack([true, true]), np.stack([pred, pred])
    options = dict(kind="semantic", binarize_semantic=False, plane_axis=plane_axis)
    counted = nse.evaluate(true, pred, **options)
    left_out = nse.evaluate(true, pred, include_background=False, **options)
    assert counted.settings.include_background and not left_out.settings.include_background
    iou = left_out.semantic.per_class.set_index("class")["iou"]
    assert iou.tolist() == pytest.approx([1 / 3, 2 / 3, 1 / 2])  # still reported per class
    assert counted.semantic.summary["mean_iou"] == pytest.approx(1 / 2)
    assert left_out.semantic.summary["mean_iou"] == pytest.approx(7 / 12)
    summary = left_out.tables["summary"].set_index("metric")["value"]
    assert summary["mean_iou"] == pytest.approx(7 / 12)
    if plane_axis is not None:  # each plane's mean too
        plane = left_out.planes["semantic"].per_image["mean_iou"]
        assert plane.tolist() == pytest.approx([7 / 12, 7 / 12])


def test_the_command_line_leaves_class_0_out_of_the_means(tmp_path, capsys):
    true, pred = three_classes()
    for name, image in (("truth", true), ("pred", pred)):
        (tmp_path / name).mkdir()
        np.save(tmp_path / name / "a.npy", image.astype(np.int32))
    for flags, mean in (((), 1 / 2), (("--exclude-background",), 7 / 12)):
        out = tmp_path / f"out{len(flags)}"
        code = run_cli(
            str(tmp_path / "truth"), str(tmp_path / "pred"), "--kind", "semantic",
            "--class-labels", *flags, "--out", str(out), "--quiet",
        )  # fmt: skip
        assert code == 0, capsys.readouterr().err
        summary = pd.read_csv(out / "summary.csv").iloc[0]
        assert summary["mean_iou_pooled"] == pytest.approx(mean)
        in_means = pd.read_csv(out / "semantic_pooled.csv").set_index("class")["in_means"]
        assert in_means.tolist() == [not flags, True, True]
        settings = json.loads((out / "settings.json").read_text())["settings"]
        assert settings["include_background"] is (not flags)


def test_help_text_says_monai(capsys):
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--exclude-background" in text and "include_background=False" in text
