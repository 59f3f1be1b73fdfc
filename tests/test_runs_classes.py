"""Runs of a multi-class model compared object by object: within each class, as the runs'
per-class counts match, saved and loaded; and the comparison names the runs' criterion."""

from html import escape

import numpy as np
import pytest

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.report import write_report
from napari_seg_eval.runs import Run, Runs

# Four true objects of 2x2 pixels, two pixels apart: 1, 2 of class 1; 3, 4 of class 2.
TRUTH = np.zeros((2, 16), np.int32)
for _i in range(4):
    TRUTH[:, 4 * _i : 4 * _i + 2] = _i + 1
TRUE_CLASSES = {1: 1, 2: 1, 3: 2, 4: 2}
# Both models find every object exactly (ids 10 + id): regardless of class, each matches all
# four. A calls object 2 class 2 (wrong); B calls objects 3 and 4 class 1 (wrong).
PREDICTION = np.where(TRUTH > 0, TRUTH + 10, 0).astype(np.int32)
A_CLASSES = {11: 1, 12: 2, 13: 2, 14: 2}
B_CLASSES = {11: 1, 12: 1, 13: 1, 14: 1}
#: The table (and CSV file) of a run holding the class of each object it scored.
CLASSES_TABLE = "object_classes"


def multi_class_runs(**settings):
    runs = Runs()
    for name, classes in (("A", A_CLASSES), ("B", B_CLASSES)):
        record = evaluate(
            TRUTH, PREDICTION, true_classes=TRUE_CLASSES, pred_classes=classes, **settings
        )
        runs.add(record, name=name)
    return runs


def changes(comparison):
    return comparison.objects.set_index("label")["change"].to_dict()


def matched_per_class(run, threshold=0.5):
    """The run's own per-class TP at ``threshold``, summed over classes."""
    per_class = run.tables["instance_per_class"]
    return int(per_class.loc[per_class["threshold"] == threshold, "tp"].sum())


def test_multi_class_runs_saved_and_loaded_compare_within_classes(tmp_path):
    runs = multi_class_runs()
    runs.save(tmp_path)
    loaded = Runs()
    loaded.load(tmp_path)
    for collection in (runs, loaded):
        comparison = collection.compare("A", "B")
        # Within classes A matches 1, 3, 4 (not 2: it said class 2); B matches 1, 2 (not 3, 4:
        # it said class 1). So 1 both, 2 fixed by B, 3 and 4 broken by B.
        assert changes(comparison) == {
            1: "both",
            2: "fixed by B",
            3: "broken by B",
            4: "broken by B",
        }
        assert comparison.objects["class"].tolist() == [1, 1, 2, 2]
        assert (comparison.mcnemar["fixed"], comparison.mcnemar["broken"]) == (1, 2)
        # Each run's matched objects are as many as its own per-class TP at 0.5: 3 and 2.
        run_a, run_b = collection["A"], collection["B"]
        assert matched_per_class(run_a) == 3 == int(comparison.objects["matched_a"].sum())
        assert matched_per_class(run_b) == 2 == int(comparison.objects["matched_b"].sum())
        assert comparison.matching == "IoU ≥ 0.5, within each class"
        assert "objects fixed or broken: matched at IoU ≥ 0.5, within each class." in (
            comparison.notes
        )
    assert (tmp_path / "A" / f"{CLASSES_TABLE}.csv").is_file()


def test_a_run_saved_without_its_classes_is_compared_regardless_of_class(tmp_path):
    runs = multi_class_runs()
    runs.save(tmp_path)
    (tmp_path / "B" / f"{CLASSES_TABLE}.csv").unlink()  # as saved before classes were kept
    loaded = Runs()
    loaded.load(tmp_path)
    comparison = loaded.compare("A", "B")
    # A within classes (1, 3, 4; not 2), B regardless of class (all four): 2 fixed by B.
    assert changes(comparison) == {1: "both", 2: "fixed by B", 3: "both", 4: "both"}
    assert comparison.matching == "A: IoU ≥ 0.5, within each class; B: IoU ≥ 0.5"
    assert any(
        note.startswith("run 'B' was scored with object classes") and "regardless of class" in note
        for note in comparison.notes
    )
    assert any("differ in the truth's object classes" in note for note in comparison.notes)


def test_runs_of_another_truth_class_are_compared_each_within_its_own_classes():
    runs = multi_class_runs()
    # C: B's prediction, but a truth whose objects 3 and 4 are of class 1 too: C matches all.
    truth_c = {1: 1, 2: 1, 3: 1, 4: 1}
    runs.add(evaluate(TRUTH, PREDICTION, true_classes=truth_c, pred_classes=B_CLASSES), name="C")
    comparison = runs.compare("A", "C")
    # A matches 1, 3, 4 (as above); C all four: 2 fixed. The truths' classes differ: no class.
    assert changes(comparison) == {1: "both", 2: "fixed by B", 3: "both", 4: "both"}
    assert "class" not in comparison.objects
    assert any("differ in the truth's object classes" in note for note in comparison.notes)


@pytest.mark.parametrize(
    ("criterion", "words"),
    [
        ("iot", "|T∩P|/|T| > 0.50"),  # the catalogue's words (core.review.match_rule)
        ("iop", "|T∩P|/|P| > 0.50"),
    ],
)
def test_the_comparison_names_the_runs_criterion(criterion, words, tmp_path):
    runs = Runs()
    for name, ids in (("A", [1, 2]), ("B", [1, 3])):
        prediction = np.where(np.isin(TRUTH, ids), TRUTH + 10, 0)
        runs.add(evaluate(TRUTH, prediction, kind="instance", criterion=criterion), name=name)
    comparison = runs.compare("A", "B")
    assert changes(comparison) == {1: "both", 2: "broken by B", 3: "fixed by B", 4: "neither"}
    assert comparison.matching == words
    assert f"objects fixed or broken: matched at {words}." in comparison.notes
    assert not any("IoU" in note for note in comparison.notes)
    # The report's per-object heading names it too (it said "IoU 0.5" for every criterion).
    html = write_report(comparison, tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"<h2>Per object ({escape(words)})</h2>" in html


def test_a_multi_class_run_keeps_the_class_of_each_object_scored():
    record = evaluate(TRUTH, PREDICTION, true_classes=TRUE_CLASSES, pred_classes=A_CLASSES)
    table = Run.from_evaluation(record).tables[CLASSES_TABLE]
    assert table.values.tolist() == [
        *(["true", label, TRUE_CLASSES[label]] for label in (1, 2, 3, 4)),
        *(["pred", label, A_CLASSES[label]] for label in (11, 12, 13, 14)),
    ]
    plain = Run.from_evaluation(evaluate(TRUTH, PREDICTION))
    assert CLASSES_TABLE not in plain.tables
