"""A saved run read back holds the text it was saved with (names, kinds), whatever it reads like."""

from __future__ import annotations

import numpy as np
import pandas as pd
import tifffile

import napari_seg_eval as nse
from napari_seg_eval.io import evaluate_files, pair_files
from napari_seg_eval.runs import Run, Runs


def _squares() -> np.ndarray:
    true = np.zeros((20, 20), np.uint16)
    true[2:8, 2:8] = 1  # 36 pixels
    true[10:15, 10:15] = 2  # 25 pixels
    return true


def test_a_run_whose_prediction_is_empty_keeps_kind_true_and_compares_within_class(tmp_path):
    true = _squares()
    true_classes = np.where(true == 1, 1, np.where(true == 2, 2, 0)).astype(np.uint8)
    empty = np.zeros_like(true)
    # Run A finds nothing: its object tables hold only true objects (every `kind` "true",
    # which pandas' own guess reads as the boolean True).
    a = Run.from_evaluation(
        nse.evaluate(true, empty, true_classes=true_classes, pred_classes=true_classes * 0),
        name="A",
    )
    a.save(tmp_path / "a")
    loaded = Run.load(tmp_path / "a")
    for table in ("per_object", "object_classes"):
        assert loaded.tables[table]["kind"].tolist() == ["true", "true"]
    # Run B finds object 1 exactly (class 1) and nothing else: fixed by B is object 1 only,
    # compared within class as the saved run was scored (no note that classes were lost).
    pred = np.where(true == 1, 7, 0).astype(np.uint16)
    b = Run.from_evaluation(
        nse.evaluate(true, pred, true_classes=true_classes, pred_classes=(pred > 0) * 1), name="B"
    )
    runs, in_memory = Runs(), Runs()
    runs.add(loaded)
    runs.add(b)
    in_memory.add(a)
    in_memory.add(b)
    from_folder = runs.compare("A", "B")
    expected = in_memory.compare("A", "B")
    assert from_folder.notes == expected.notes
    assert not any("regardless of class" in note for note in from_folder.notes)
    changes = dict(zip(from_folder.objects["label"], from_folder.objects["change"], strict=True))
    assert changes == {1: "fixed by B", 2: "neither"}
    pd.testing.assert_frame_equal(from_folder.objects, expected.objects)


def test_images_named_like_numbers_or_missing_values_keep_their_names(tmp_path):
    true = _squares()
    names = ["1", "NA", "True"]
    for side in ("truth", "pred"):
        (tmp_path / side).mkdir()
    for name in names:
        tifffile.imwrite(tmp_path / "truth" / f"{name}.tif", true)
        tifffile.imwrite(tmp_path / "pred" / f"{name}.tif", true)
    result = evaluate_files(pair_files(tmp_path / "truth", tmp_path / "pred"))
    run = Run.from_files(result, name="A")
    run.save(tmp_path / "run")
    loaded = Run.load(tmp_path / "run")
    assert loaded.tables["per_image"]["name"].tolist() == names
    assert loaded.tables["per_image"]["error"].tolist() == ["", "", ""]  # none failed
    # Every pair is perfect: F1 at 0.5 is 2 TP / (2 TP + 0 + 0) = 1 on each image.
    assert loaded.tables["per_image"]["f1_50"].tolist() == [1.0, 1.0, 1.0]
    runs = Runs()
    runs.add(loaded)
    runs.add(run, name="B")
    assert sorted(runs.compare("A", "B").per_image["name"]) == sorted(names)
