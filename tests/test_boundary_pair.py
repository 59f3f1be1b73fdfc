"""Boundary metrics of a pair as the dock (``evaluation.evaluate``) and the command line
(``evaluate_files``) report them: the same rule in both (``core.boundary.pair_boundaries``)."""

import numpy as np
import pytest

import napari_seg_eval as nse
from napari_seg_eval.evaluation import ThresholdOptions, evaluate
from napari_seg_eval.io import evaluate_files

COLUMNS = ["mean_hd", "mean_hd95", "mean_assd", "mean_nsd", "mean_boundary_f1"]


def border_case() -> tuple[np.ndarray, np.ndarray]:
    """A (2 x 2, touching the left edge) predicted exactly; B (2 x 3) predicted one column to
    the right (IoU 4/8 = 1/2). All their pixels are boundary pixels. Foreground, tolerance 0.5:
    predicted to true distances 0 x 8 and 1 x 2 (B's new column), true to predicted 0 x 8 and
    1 x 2 (B's first column): HD 1, ASSD 4/20, NSD 16/20. Per object, with A left out at the
    border: B's pair alone, distances 0 x 4 and 1 x 2 each way: ASSD 4/12, NSD 8/12."""
    true = np.zeros((6, 10), np.uint16)
    pred = np.zeros((6, 10), np.uint16)
    true[2:4, 0:2], pred[2:4, 0:2] = 1, 7
    true[2:4, 4:7], pred[2:4, 5:8] = 2, 9
    return true, pred


def test_border_exclusion_leaves_per_class_boundaries_whole(tmp_path):
    """Regression: with objects left out at the border, the dock drew the per-class boundary
    without them (ASSD 1/3, NSD 2/3) while the command line kept them, and the command line's
    per-object means paired them too (ASSD 1/6, NSD 5/6). Now per class is the foreground as
    the semantic metrics see it, per object the objects the matching counted, in both."""
    true, pred = border_case()
    options = {"exclude_border": 1, "boundary": True, "tolerance": 0.5}
    dock = evaluate(true, pred, kind="both", **options)
    np.save(tmp_path / "t.npy", true)
    np.save(tmp_path / "p.npy", pred)
    files = evaluate_files(tmp_path / "t.npy", tmp_path / "p.npy", kind="all", **options)
    row = files.to_frame().iloc[0]
    for per_class in (dock.boundary.summary, row):
        assert per_class["mean_hd"] == 1.0
        assert per_class["mean_assd"] == pytest.approx(4 / 20)
        assert per_class["mean_nsd"] == pytest.approx(16 / 20)
    for per_object, prefix in ((dock.object_boundary.summary, ""), (row, "object_")):
        assert per_object[f"{prefix}mean_assd"] == pytest.approx(4 / 12)
        assert per_object[f"{prefix}mean_nsd"] == pytest.approx(8 / 12)
    assert dock.object_boundary.summary["n_matched"] == row["n_matched"] == 1


@pytest.mark.parametrize("seed", range(8))
def test_the_dock_and_the_command_line_agree_on_boundaries(seed, tmp_path):
    """Random pairs, label images or probability maps, with the settings that choose what the
    boundaries are drawn on (border, ignored label, min_size, classes or foreground)."""
    rng = np.random.default_rng(seed)
    true = np.zeros((16, 18), np.uint32)
    for i in range(6):
        r, c = rng.integers(0, 14), rng.integers(0, 16)
        true[r : r + rng.integers(2, 5), c : c + rng.integers(2, 5)] = [i + 1, 70000 + i][i % 2]
    probability = seed % 2 == 1
    if probability:
        pred = np.clip((true > 0) * 0.7 + rng.normal(0, 0.3, true.shape), 0, 1)
        pred = pred.astype(np.float32)
    else:
        pred = np.roll(true, int(rng.integers(-2, 3)), axis=int(rng.integers(0, 2)))
    options = {
        "exclude_border": int(seed % 3 == 0),
        "ignore_label": 70002 if seed % 4 == 1 else None,
        "binarize_semantic": seed % 4 != 2,
        "boundary": True,
        "tolerance": 1.0,
    }
    dock_map = {}
    file_map = {}
    if probability:
        dock_map = {
            "threshold": 0.5,
            "threshold_options": ThresholdOptions(connectivity=1, min_size=3),
        }
        file_map = {"probability": True, "threshold": 0.5, "min_size": 3}
    dock = evaluate(true, pred, kind="both", **options, **dock_map)
    np.save(tmp_path / "t.npy", true)
    np.save(tmp_path / "p.npy", pred)
    row = evaluate_files(
        tmp_path / "t.npy", tmp_path / "p.npy", kind="all", **options, **file_map
    ).to_frame()
    row = row.iloc[0]
    for column in COLUMNS:
        assert dock.boundary.summary[column] == pytest.approx(row[column], nan_ok=True)
        assert dock.object_boundary.summary[column] == pytest.approx(
            row[f"object_{column}"], nan_ok=True
        )


def ignored_classes_case() -> tuple[np.ndarray, ...]:
    """A new user's hand case (5 x 12, every object in row 2): truth 9 (columns 1-3) is
    ignored, truth 2 (columns 4-6) is class 1; prediction 1 covers columns 1-5, of class 2 on
    1-3 and class 1 on 4-5. Ignored pixels count nowhere, in a class vote neither: prediction
    1 is columns 4-5, class 1, matching truth 2 at IoU 2/3. Class 1's PQ at 0.5: SQ 2/3 x RQ 1;
    class mean PQ 2/3. Boundary of class 1 ({4, 5, 6} against {4, 5}): HD 1, ASSD 1/5, NSD 1,
    one class."""
    true = np.zeros((5, 12), np.uint16)
    true[2, 1:4], true[2, 4:7] = 9, 2
    pred = np.zeros((5, 12), np.uint16)
    pred[2, 1:6] = 1
    true_classes = (true > 0).astype(np.uint8)
    pred_classes = np.zeros((5, 12), np.uint8)
    pred_classes[2, 1:4], pred_classes[2, 4:6] = 2, 1
    return true, pred, true_classes, pred_classes


def test_ignored_pixels_have_no_vote_in_an_objects_class(tmp_path):
    """Regression (a new user's trial and a review): the matching counted the ignored pixels
    in an object's class vote (class mean PQ 0: prediction 1 of class 2, 3 of its 5 pixels),
    the dock's boundaries did not; and ignore_label gave another class than the same pixels
    left out as a region. One rule now: the ignored pixels have no vote, anywhere."""
    true, pred, true_classes, pred_classes = ignored_classes_case()
    classes = {"true_classes": true_classes, "pred_classes": pred_classes}
    for left_out in ({"ignore_label": 9}, {"region": true != 9}):
        summary = nse.instance_metrics(true, pred, **classes, **left_out).summary
        assert summary["class_mean_panoptic_quality_50"] == pytest.approx(2 / 3)
    dataset = nse.dataset_metrics(
        [true], [pred], true_classes=[true_classes], pred_classes=[pred_classes], ignore_label=9
    )
    assert dataset.summary["class_mean_panoptic_quality_50_pooled"] == pytest.approx(2 / 3)
    record = evaluate(true, pred, kind="both", ignore_label=9, boundary=True, **classes)
    assert record.instance.pred_class.tolist() == [1]
    assert record.instance.summary["class_mean_panoptic_quality_50"] == pytest.approx(2 / 3)
    for folder, images in (("t", (true, true_classes)), ("p", (pred, pred_classes))):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "a.npy", images[0])
        np.save(tmp_path / folder / "a_cls.npy", images[1])
    row = (
        evaluate_files(
            tmp_path / "t",
            tmp_path / "p",
            kind="all",
            ignore_label=9,
            boundary=True,
            truth_classes_suffix="_cls",
            prediction_classes_suffix="_cls",
        )
        .to_frame()
        .iloc[0]
    )
    assert row["class_mean_panoptic_quality_50"] == pytest.approx(2 / 3)
    for boundary in (record.boundary.summary, row):
        assert (boundary["mean_hd"], boundary["n_classes"]) == (1.0, 1)
        assert boundary["mean_assd"] == pytest.approx(1 / 5)
        assert boundary["mean_nsd"] == 1.0
