"""Boundary metrics of a pair as the dock (``evaluation.evaluate``) and the command line
(``evaluate_files``) report them: the same rule in both (``core.boundary.pair_boundaries``)."""

import numpy as np
import pytest

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


def test_an_objects_class_for_its_boundary_is_its_class_in_the_matching():
    """Regression (review): with an ignore label, the dock's boundaries took an object's
    majority class without the ignored pixels, its matching with them. Truth 1 (columns 0-3,
    class 1); the ignored id 9 in columns 4-7; prediction 5 in columns 2-7, of class 1 in
    columns 2-3 and class 2 in 4-7: class 2 (4 columns of 6), as the matching says. So class 1
    has only a true object and class 2 only a predicted one: HD inf, NSD 0 in both rows (with
    class 1 for 5, one class of HD 2 was reported)."""
    true = np.zeros((3, 8), np.int32)
    true[:, 0:4], true[:, 4:8] = 1, 9
    pred = np.zeros((3, 8), np.int32)
    pred[:, 2:8] = 5
    true_classes = np.ones((3, 8), np.int32)
    pred_classes = np.where(np.arange(8) < 4, 1, 2) * np.ones((3, 1), np.int32)
    record = evaluate(
        true,
        pred,
        true_classes=true_classes,
        pred_classes=pred_classes,
        ignore_label=9,
        boundary=True,
    )
    assert record.instance.pred_class.tolist() == [2]
    per_class = record.boundary.per_class.set_index("class")
    assert per_class.index.tolist() == [1, 2]
    assert np.isinf(per_class["hd"]).all() and (per_class["nsd"] == 0).all()
