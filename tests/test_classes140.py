"""classes140: a multi-class dataset run's per-class results beyond Python — the Runs table
and Runs.compare's headline (class means, with their intervals where the per-image rows allow),
the HTML report (per-class tables, class confusion), and Compare's note on image means taken
over different images (trial138 LOW-9). The Dataset tab's tests are in
test_classes140_dock.py.

The data (every number below is from these by hand), at the one IoU threshold 0.5: in each of
the images ``a`` and ``b`` the truth has object 1 (class 1) and object 2 (class 2), two 6x6
squares. Model A finds both squares exactly but calls object 2 class 1; model B finds both with
their classes.

Model A, per image, matched within each class: class 1 has true object 1 and the predictions 1
and 2 (both class 1): 1 TP (IoU 1), 1 FP; class 2 has true object 2 and no prediction: 1 FN.
  class 1: AP (DSB) = TP / (TP + FP + FN) = 1 / 2; PQ = SQ x RQ = 1 x 1 / (1 + 1/2) = 2/3;
  class 2: AP 0 / 1 = 0; PQ 0.
  class mean AP = (1/2 + 0) / 2 = 1/4; class mean PQ = (2/3 + 0) / 2 = 1/3, in both images, so
  also pooled (class 1: TP 2, FP 2 -> 2/4 = 1/2, PQ 2 / (2 + 1) = 2/3; class 2: 0) and as
  the image mean.
Model B: every class 1/1, so both class means are 1.
B - A: class mean AP 1 - 1/4 = 3/4; class mean PQ 1 - 1/3 = 2/3.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

tifffile = pytest.importorskip("tifffile")

from napari_seg_eval.io import evaluate_files  # noqa: E402
from napari_seg_eval.report import report_html  # noqa: E402
from napari_seg_eval.runs import Run, Runs  # noqa: E402


def truth_and_classes() -> tuple[np.ndarray, np.ndarray]:
    true = np.zeros((20, 20), np.uint16)
    true[2:8, 2:8] = 1
    true[10:16, 10:16] = 2
    classes = true.astype(np.uint8)  # object 1 is class 1, object 2 class 2
    return true, classes


@pytest.fixture
def class_folders(tmp_path):
    """truth/, model_a/, model_b/: images a and b with their ``_classes`` files."""
    true, classes = truth_and_classes()
    wrong = np.where(true > 0, 1, 0).astype(np.uint8)  # A: both objects class 1
    folders = {name: tmp_path / name for name in ("truth", "model_a", "model_b")}
    for folder in folders.values():
        folder.mkdir()
    for name in ("a", "b"):
        for side, side_classes in (("truth", classes), ("model_a", wrong), ("model_b", classes)):
            tifffile.imwrite(folders[side] / f"{name}.tif", true)
            tifffile.imwrite(folders[side] / f"{name}_classes.tif", side_classes)
    return folders


CLASS_KEYWORDS = {
    "truth_classes_suffix": "_classes",
    "prediction_classes_suffix": "_classes",
    "iou_thresholds": [0.5],
    "confidence_interval": 0.95,
}


def two_runs(folders) -> Runs:
    runs = Runs()
    for name in ("a", "b"):
        result = evaluate_files(folders["truth"], folders[f"model_{name}"], **CLASS_KEYWORDS)
        runs.add(result, name=f"model {name.upper()}")
    return runs


def test_the_runs_table_has_the_class_means_of_a_class_run(class_folders):
    table = two_runs(class_folders).table().set_index("name")
    # Pooled in the metric's own column, the image mean beside it (see the module docstring).
    expected = {
        "class_mean_accuracy": (1 / 4, 1.0),
        "class_mean_accuracy_image_mean": (1 / 4, 1.0),
        "class_mean_panoptic_quality_50": (1 / 3, 1.0),
        "class_mean_panoptic_quality_50_image_mean": (1 / 3, 1.0),
    }
    for column, (a, b) in expected.items():
        assert table.loc["model A", column] == pytest.approx(a), column
        assert table.loc["model B", column] == pytest.approx(b), column
    # After the instance headline values, before nothing else of theirs.
    columns = list(table.columns)
    assert columns.index("class_mean_accuracy") > columns.index("aji_image_mean")


def test_a_run_without_classes_has_no_class_columns(class_folders):
    runs = Runs()
    runs.add(evaluate_files(class_folders["truth"], class_folders["model_a"], iou_thresholds=[0.5]))
    # The class files are companions only with the suffixes: without, they are left out
    # (unpaired), and the run has no classes.
    assert not [column for column in runs.table().columns if "class" in column]
    assert not [key for key in runs[0].headline.index if "class" in key]


def test_compare_has_the_class_means_with_intervals_over_images(class_folders):
    comparison = two_runs(class_folders).compare("model A", "model B")
    headline = comparison.headline.set_index("metric")
    for key, difference in (
        ("class_mean_accuracy_pooled", 3 / 4),
        ("class_mean_accuracy_image_mean", 3 / 4),
        ("class_mean_panoptic_quality_50_pooled", 2 / 3),
        ("class_mean_panoptic_quality_50_image_mean", 2 / 3),
    ):
        assert headline.loc[key, "difference"] == pytest.approx(difference), key
        assert headline.loc[key, "better"] == "higher"
    # Over images: B - A is 3/4 (2/3) in each image, so every resample's difference of the
    # means is 3/4 (2/3): the interval is that one value.
    for key, difference in (
        ("class_mean_accuracy_image_mean", 3 / 4),
        ("class_mean_panoptic_quality_50_image_mean", 2 / 3),
    ):
        assert headline.loc[key, ["low", "high"]].tolist() == pytest.approx([difference] * 2)
    # Pooled: no per-class counts per image to resample: the difference alone, and a note.
    assert headline.loc["class_mean_accuracy_pooled", ["low", "high"]].isna().all()
    (note,) = [note for note in comparison.notes if "pooled class mean" in note]
    assert note.startswith("no interval for class mean AP (DSB) (pooled), class mean PQ @ 0.5")
    # Not said to be outside the bootstrap (a preset's own value): they are in it.
    assert not [note for note in comparison.notes if "covers the pooled" in note]
    # The per-image differences have them too: 1/4 -> 1 in each image.
    per_image = comparison.per_image.set_index("name")
    assert per_image["class_mean_accuracy_difference"].tolist() == pytest.approx([3 / 4] * 2)


def test_the_report_of_a_class_run_has_the_per_class_tables_and_the_confusion(
    class_folders, tmp_path
):
    result = evaluate_files(class_folders["truth"], class_folders["model_a"], **CLASS_KEYWORDS)
    folder = result.write(tmp_path / "out")  # the command line's --report reads this back
    for run in (Run.from_files(result, name="A"), Run.load(folder)):
        text = report_html(run)
        headings = re.findall(r"<h2>(.*?)</h2>", text)
        assert "Instance per class: pooled (counts summed over images)" in headings
        assert "Class confusion" in headings
        pooled = text[text.index("Instance per class: pooled") :]
        pooled = pooled[: pooled.index("</table>")]
        cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in pooled.split("<tr>")[2:]]
        # Class 1: TP 2, FP 2, FN 0 (pooled over a and b); class 2: TP 0, FP 0, FN 2. The
        # columns: class, threshold, TP, FP, FN first.
        assert [row[:5] for row in cells] == [
            ["1", "0.5000", "2", "2", "0"],
            ["2", "0.5000", "0", "0", "2"],
        ]
        confusion = text[text.index("Class confusion</h2>") :]
        confusion = confusion[: confusion.index("</table>")]
        # Matched regardless of class at 0.5: both objects found in both images; true class 1
        # predicted 1 twice, true class 2 predicted 1 twice, never predicted 2.
        assert "<th title='predicted 1'>predicted 1</th>" in confusion
        rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in confusion.split("<tr>")[2:]]
        assert rows == [["1", "2", "0"], ["2", "2", "0"]]
        # The summary's cards have the class means (1/4 and 1/3).
        assert "class mean AP (DSB) (pooled)</div><div class='value'>0.2500" in text
        assert "class mean PQ @ 0.5 (pooled)</div><div class='value'>0.3333" in text


def test_the_report_of_a_run_without_classes_has_no_class_section(class_folders):
    result = evaluate_files(class_folders["truth"], class_folders["model_a"], iou_thresholds=[0.5])
    text = report_html(Run.from_files(result))
    assert "Instance per class" not in text and "Class confusion" not in text


@pytest.fixture
def empty_image_folders(tmp_path):
    """Images a, b and e. a: both models exact. b: B misses object 2. e: an empty truth; A
    predicts nothing (every value 0/0, undefined), B one spurious object."""
    true, _ = truth_and_classes()
    missed = np.where(true == 1, 1, 0).astype(np.uint16)
    empty = np.zeros_like(true)
    spurious = empty.copy()
    spurious[2:6, 12:16] = 7
    images = {  # name: (truth, A, B)
        "a": (true, true, true),
        "b": (true, true, missed),
        "e": (empty, empty, spurious),
    }
    folders = {name: tmp_path / name for name in ("truth", "model_a", "model_b")}
    for folder in folders.values():
        folder.mkdir()
    for name, sides in images.items():
        for folder, image in zip(folders.values(), sides, strict=True):
            tifffile.imwrite(folder / f"{name}.tif", image)
    return folders


def test_compare_says_which_images_each_image_mean_leaves_out(empty_image_folders):
    folders = empty_image_folders
    runs = Runs()
    for name in ("a", "b"):
        result = evaluate_files(
            folders["truth"],
            folders[f"model_{name}"],
            iou_thresholds=[0.5],
            confidence_interval=0.95,
        )
        runs.add(result, name=f"model {name.upper()}")
    comparison = runs.compare("model A", "model B")
    headline = comparison.headline.set_index("metric")
    # F1 @ 0.5 image mean: A over a and b (e is 0/0): (1 + 1) / 2 = 1; B over a, b and e:
    # a 1, b 2 TP / (2 TP + FP + FN) = 2 / 3, e 0 / (0 + 1) = 0: (1 + 2/3 + 0) / 3 = 5/9.
    assert headline.loc["f1_50_image_mean", ["a", "b"]].tolist() == pytest.approx([1, 5 / 9])
    (note,) = [note for note in comparison.notes if "A's mean is over" in note]
    # Every headline image mean is 0/0 in e for A (no object on either side): one note.
    assert note.startswith("AP (DSB), mean over 1 threshold (image mean), F1 @ 0.5 (image mean)")
    assert (
        "A's mean is over 2 images and B's over 3: e undefined in A only (left out of A's " in note
    )
    # The pooled values count every image: no note of theirs.
    assert "(pooled)" not in note


def test_runs_saved_and_loaded_keep_the_class_tables(class_folders, tmp_path):
    runs = two_runs(class_folders)
    runs.save(tmp_path / "runs")
    loaded = Runs()
    loaded.load(tmp_path / "runs")
    confusion = loaded["model A"].tables["instance_class_confusion"]
    # As in the module docstring: true class 1 predicted 1 twice, true class 2 predicted 1 twice.
    assert confusion.to_dict("list") == {
        "true_class": [1, 2],
        "predicted_1": [2, 2],
        "predicted_2": [0, 0],
    }
    headline = loaded.compare("model A", "model B").headline.set_index("metric")
    assert headline.loc["class_mean_accuracy_image_mean", "difference"] == pytest.approx(3 / 4)
    assert isinstance(loaded["model A"].tables["instance_per_class_pooled"], pd.DataFrame)
