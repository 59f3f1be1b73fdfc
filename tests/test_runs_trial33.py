"""Runs found wanting by trial 33: object comparisons that honour the runs' region, border
band and ignore label; run folders checked whole on load; datasets scored differently; the
boundary values of dataset runs; clear errors for a run folder's settings.json."""

import json

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval import instance_metrics
from napari_seg_eval.core.compare import compare_objects
from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.io import evaluate_files, write_results
from napari_seg_eval.runs import Run, Runs


def square(image, row, column, value, size=4):
    image[row : row + size, column : column + size] = value


# 20 x 20 truth, four 4 x 4 squares: 1 top left, 2 top right, 3 bottom left, 4 bottom right.
TRUTH = np.zeros((20, 20), np.int32)
square(TRUTH, 1, 1, 1)
square(TRUTH, 1, 10, 2)
square(TRUTH, 10, 1, 3)
square(TRUTH, 10, 10, 4)
# A: 1 exactly, 2 one column to the right (IoU 12 / 20 = 0.6), 3 missed, 4 exactly, and a
# 2 x 2 false object at rows 17-18, columns 5-6.
PRED_A = np.zeros_like(TRUTH)
square(PRED_A, 1, 1, 1)
square(PRED_A, 1, 11, 2)
square(PRED_A, 10, 10, 4)
PRED_A[17:19, 5:7] = 5
# B: 1, 2 and 3 exactly, 4 missed.
PRED_B = np.zeros_like(TRUTH)
square(PRED_B, 1, 1, 7)
square(PRED_B, 1, 10, 8)
square(PRED_B, 10, 1, 9)
# The left 8 columns: objects 1 and 3 (columns 1-4) and A's false object (5-6) are inside.
LEFT = np.zeros(TRUTH.shape, bool)
LEFT[:, :8] = True


def changes(comparison):
    return comparison.objects.set_index("label")["change"].to_dict()


def pair(settings_a, settings_b=None):
    runs = Runs()
    runs.add(evaluate(TRUTH, PRED_A, kind="instance", **settings_a), name="A")
    settings_b = settings_a if settings_b is None else settings_b
    runs.add(evaluate(TRUTH, PRED_B, kind="instance", **settings_b), name="B")
    return runs


# ---------------------------------------------------------------------- A: scored objects
def test_the_object_comparison_counts_only_the_objects_inside_the_region(tmp_path):
    runs = pair({"region": LEFT})
    comparison = runs.compare("A", "B")
    head = comparison.headline.set_index("metric")
    # Inside: A finds 1, misses 3, adds 5: F1 = 2 * 1 / (2 + 2) = 0.5; B finds 1 and 3: F1 1.
    assert head.loc["f1_50", ["a", "b"]].tolist() == pytest.approx([0.5, 1.0])
    # Objects 2 and 4 are outside: not listed; 3 is fixed by B, nothing broken.
    assert changes(comparison) == {1: "both", 3: "fixed by B"}
    assert (comparison.mcnemar["fixed"], comparison.mcnemar["broken"]) == (1, 0)
    # The region is saved with the labels: a loaded run compares the same way.
    runs.save(tmp_path / "saved")
    loaded = Runs()
    loaded.load(tmp_path / "saved")
    assert changes(loaded.compare("A", "B")) == {1: "both", 3: "fixed by B"}


def test_the_object_comparison_leaves_out_the_border_band():
    runs = pair({"exclude_border": 2})
    comparison = runs.compare("A", "B")
    # The band is rows and columns 0-1 and 18-19: objects 1, 2 (row 1) and 3 (column 1)
    # touch it, 4 (rows and columns 10-13) does not; A's false object (row 18) touches it.
    # A: 4 found, F1 1; B: its three objects touch the band, 4 missed: F1 0.
    head = comparison.headline.set_index("metric")
    assert head.loc["f1_50", ["a", "b"]].tolist() == pytest.approx([1.0, 0.0])
    assert changes(comparison) == {4: "broken by B"}
    assert (comparison.mcnemar["fixed"], comparison.mcnemar["broken"]) == (0, 1)
    # McNemar: one discordant object, broken: two-sided p = 2 * 1/2 = 1.
    assert comparison.mcnemar["p_value"] == pytest.approx(1.0)


def test_the_object_comparison_leaves_out_the_ignore_label():
    comparison = pair({"ignore_label": 3}).compare("A", "B")
    # Truth id 3 is ignored: not an object. 1 both; 2 both (A's IoU 0.6 >= 0.5); 4 broken.
    assert changes(comparison) == {1: "both", 2: "both", 4: "broken by B"}
    assert (comparison.mcnemar["fixed"], comparison.mcnemar["broken"]) == (0, 1)
    assert not any("as an object" in note for note in comparison.notes)


def test_runs_scored_differently_compare_the_objects_both_scored():
    # A without a border band scores objects 1-4; B with a band of 2 only object 4.
    comparison = pair({}, {"exclude_border": 2}).compare("A", "B")
    # Object 4: A found it (as A scored it), B missed it.
    assert changes(comparison) == {4: "broken by B"}
    assert any(
        "differ in exclude_border" in note and "both runs scored" in note
        for note in comparison.notes
    )
    # Regions that differ are named too (no region name is given through the API).
    comparison = pair({"region": LEFT}, {}).compare("A", "B")
    # A scored 1 and 3 (the left columns), B all four: 1 both, 3 fixed by B.
    assert changes(comparison) == {1: "both", 3: "fixed by B"}
    assert any("differ in region" in note for note in comparison.notes)


def test_compare_objects_matches_as_the_instance_metrics_do():
    """A predicted object in the band is removed, so the true object it covers, off the band,
    is missed: as instance_metrics counts it."""
    true = np.zeros((8, 8), np.int32)
    true[2:6, 2:6] = 1  # rows 2-5: off a band of 2
    pred = np.zeros_like(true)
    pred[1:6, 2:6] = 3  # rows 1-5: IoU 16 / 20 = 0.8, but row 1 is in the band
    plain = compare_objects(true, pred, true)
    assert plain["matched_a"].tolist() == [True]
    banded = compare_objects(true, pred, true, exclude_border=2)
    assert banded["matched_a"].tolist() == [False] and banded["matched_b"].tolist() == [True]
    # instance_metrics with the same band: 1 true object, no match (F1 0).
    summary = instance_metrics(true, pred, iou_thresholds=[0.5], exclude_border=2).summary
    assert int(summary["n_true"]) == 1 and float(summary["f1_50"]) == 0.0
    # The criterion too: a prediction of 4 x 8 pixels over a true object of 4 x 3 inside it
    # has IoU 12 / 32 = 0.375 < 0.5 but IoT (over the true area) 12 / 12 = 1.
    wide = np.zeros((8, 12), np.int32)
    wide[2:6, 2:10] = 3
    true_wide = np.zeros_like(wide)
    true_wide[2:6, 2:5] = 1
    by_iou = compare_objects(true_wide, wide, wide)
    by_iot = compare_objects(true_wide, wide, wide, criterion="iot")
    assert by_iou["matched_a"].tolist() == [False] and by_iot["matched_a"].tolist() == [True]


# ---------------------------------------------------------------------- B, F: loading
def saved_run(tmp_path, name="run"):
    runs = Runs()
    runs.add(evaluate(TRUTH, PRED_A, kind="instance"), name=name)
    return runs[name].save(tmp_path / name)


def test_a_run_folder_without_its_summary_is_refused_and_nothing_added(tmp_path):
    folder = saved_run(tmp_path)
    (folder / "summary.csv").unlink()
    runs = Runs()
    with pytest.raises(FileNotFoundError, match=r"without summary\.csv"):
        runs.load(folder)
    assert len(runs) == 0
    with pytest.raises(FileNotFoundError, match=r"without summary\.csv"):
        Run.load(folder)
    # In a folder of runs, one bad run stops the load before any run is added.
    saved_run(tmp_path / "many", "good")
    bad = saved_run(tmp_path / "many", "zbad")
    (bad / "summary.csv").write_text("a,b\n1,2\n")  # a table, but not a run's summary
    with pytest.raises(ValueError, match=r"zbad cannot be read as a run: summary\.csv has no"):
        runs.load(tmp_path / "many")
    assert len(runs) == 0


def test_a_result_folder_without_its_summary_is_refused(tmp_path):
    truth = write_folder(tmp_path / "truth", {"im": TRUTH})
    pred = write_folder(tmp_path / "pred", {"im": PRED_A})
    folder = write_results(evaluate_files(truth, pred, iou_thresholds=[0.5]), tmp_path / "out")
    (folder / "summary.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"dataset run folder without summary\.csv"):
        Runs().load(folder)


def test_settings_json_errors_name_the_file_and_what_is_missing(tmp_path):
    folder = saved_run(tmp_path)
    settings = folder / "settings.json"
    text = settings.read_text()
    settings.write_text("{ not json")
    with pytest.raises(ValueError, match=r"settings\.json is not valid JSON"):
        Run.load(folder)
    without_run = json.loads(text)
    del without_run["run"]
    settings.write_text(json.dumps(without_run))
    with pytest.raises(FileNotFoundError, match='has no "run" entry') as raised:
        Run.load(folder)
    assert "per_image.csv" in str(raised.value)  # nor is it a command-line result folder


def test_a_broken_run_never_takes_the_runs_tab_down(make_napari_viewer, monkeypatch, tmp_path):
    pytest.importorskip("napari")
    from napari_seg_eval._qt import runs_panel

    shown = []
    monkeypatch.setattr(runs_panel, "show_warning", shown.append)
    viewer = make_napari_viewer()
    panel = runs_panel.RunsPanel(viewer)
    # Loading a folder without summary.csv: a warning naming the file, no run added.
    folder = saved_run(tmp_path)
    (folder / "summary.csv").unlink()
    assert panel.load(folder) == []
    assert len(panel.runs) == 0 and "summary.csv" in shown[-1]
    # A run without its tables (made by hand) is dropped from the list, with a warning.
    broken = Run("broken", "", "image", {}, {}, {"summary": pd.DataFrame()})
    panel.runs.add(broken)
    panel.refresh()
    assert panel.runs.names == [] and "'broken' cannot be shown" in shown[-1]
    # The tab goes on: the next run is listed.
    panel.add(evaluate(TRUTH, PRED_B, kind="instance"), name="B")
    assert panel.table.model.frame["name"].tolist() == ["B"]


# ---------------------------------------------------------------------- D, E: datasets
def write_folder(folder, images):
    folder.mkdir()
    for name, image in images.items():
        np.save(folder / f"{name}.npy", image)
    return folder


def test_datasets_scored_with_different_border_bands_compare_with_a_note(tmp_path):
    # Two images: object 1 in the top-left corner (in a band of 1), object 2 inside.
    image = np.zeros((6, 10), np.int32)
    image[0:2, 0:2] = 1
    image[2:4, 4:6] = 2
    found = np.where(image == 2, 2, 0).astype(np.int32)  # the prediction misses object 1
    truth = write_folder(tmp_path / "truth", {"im0": image, "im1": image})
    pred = write_folder(tmp_path / "pred", {"im0": found, "im1": found})
    runs = Runs()
    runs.add(evaluate_files(truth, pred, iou_thresholds=[0.5]), name="plain")
    runs.add(evaluate_files(truth, pred, iou_thresholds=[0.5], exclude_border=1), name="band")
    comparison = runs.compare("plain", "band")
    head = comparison.headline.set_index("metric")
    # plain: per image TP 1, n_true 2, n_pred 1: F1 = 2 / 3. band: object 1 excluded: TP 1,
    # n_true 1, n_pred 1: F1 1. Difference 1/3.
    assert head.loc["f1_50_pooled", ["a", "b"]].tolist() == pytest.approx([2 / 3, 1.0])
    assert head.loc["f1_50_pooled", "difference"] == pytest.approx(1 / 3)
    assert any("differ in exclude_border" in note for note in comparison.notes)


def test_dataset_runs_with_boundary_values_show_and_compare_them(tmp_path):
    # One foreground pixel per image. im0: the prediction's pixel 3 columns away; im1: the
    # same pixel. Every boundary distance of im0 is 3: HD95 3, none within tolerance 1: NSD
    # and boundary F1 0; im1: 0, 1, 1. Image means: HD95 1.5, NSD 0.5, boundary F1 0.5.
    true = np.zeros((5, 8), np.int32)
    true[2, 2] = 1
    moved = np.zeros_like(true)
    moved[2, 5] = 1
    truth = write_folder(tmp_path / "truth", {"im0": true, "im1": true})
    far = write_folder(tmp_path / "far", {"im0": moved, "im1": true})
    same = write_folder(tmp_path / "same", {"im0": true, "im1": true})
    runs = Runs()
    runs.add(evaluate_files(truth, far, iou_thresholds=[0.5], boundary=True), name="far")
    runs.add(evaluate_files(truth, same, iou_thresholds=[0.5], boundary=True), name="same")
    row = runs.table().set_index("name").loc["far"]
    assert row["mean_hd95_image_mean"] == pytest.approx(1.5)
    assert row["mean_nsd_image_mean"] == pytest.approx(0.5)
    assert row["mean_boundary_f1_image_mean"] == pytest.approx(0.5)
    head = runs.compare("far", "same").headline.set_index("metric")
    # same − far: HD95 0 − 1.5 = −1.5, lower is better; NSD 1 − 0.5 = 0.5.
    assert head.loc["mean_hd95_image_mean", "difference"] == pytest.approx(-1.5)
    assert head.loc["mean_hd95_image_mean", "better"] == "lower"
    assert head.loc["mean_nsd_image_mean", "difference"] == pytest.approx(0.5)
    # Loaded from the result folder, the same.
    folder = write_results(runs["far"].record, tmp_path / "out")
    loaded = Runs().load(folder)[0]
    assert loaded.headline["mean_hd95_image_mean"] == pytest.approx(1.5)
