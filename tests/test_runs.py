"""Runs: keeping evaluations, listing them, saving and loading, comparing two (no Qt)."""

import json

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.io import evaluate_files, write_results
from napari_seg_eval.runs import RUN_COLUMNS, Run, Runs, agreement

# Six true objects of 2x2 pixels, two pixels apart.
TRUTH = np.zeros((2, 24), np.int32)
for _i in range(6):
    TRUTH[:, 4 * _i : 4 * _i + 2] = _i + 1


def copy_of(ids):
    """A prediction that is exactly the true objects ``ids`` (new ids, 10 + id)."""
    return np.where(np.isin(TRUTH, ids), TRUTH + 10, 0).astype(np.int32)


@pytest.fixture
def two_runs():
    """A matches objects 1, 2; B matches 1, 3, 4, 5: B fixes 3, 4, 5 and breaks 2."""
    runs = Runs()
    runs.add(evaluate(TRUTH, copy_of([1, 2]), kind="instance"), name="A")
    runs.add(evaluate(TRUTH, copy_of([1, 3, 4, 5]), kind="instance"), name="B")
    return runs


def test_compare_one_image_fixed_and_broken(two_runs):
    comparison = two_runs.compare("A", "B")
    changes = comparison.objects.set_index("label")["change"]
    assert changes.to_dict() == {
        1: "both",
        2: "broken by B",
        3: "fixed by B",
        4: "fixed by B",
        5: "fixed by B",
        6: "neither",
    }
    assert comparison.changed["label"].tolist() == [2, 3, 4, 5]
    # McNemar: 3 fixed, 1 broken; two-sided exact p = (1 + 4 + 4 + 1) / 16.
    assert comparison.mcnemar["fixed"] == 3 and comparison.mcnemar["broken"] == 1
    assert comparison.mcnemar["p_value"] == pytest.approx(10 / 16)
    head = comparison.headline.set_index("metric")
    # A: TP 2, FN 4 -> F1 = 4 / 8; B: TP 4, FN 2 -> F1 = 8 / 10. AP (DSB) = TP / 6 at every t.
    assert head.loc["f1_50", ["a", "b"]].tolist() == pytest.approx([0.5, 0.8])
    assert head.loc["f1_50", "difference"] == pytest.approx(0.3)
    assert head.loc["mean_accuracy", "difference"] == pytest.approx(2 / 6)
    assert head.loc["f1_50", "label"] == "F1 @ 0.5"


def test_compare_needs_the_same_truth(two_runs):
    other = TRUTH.copy()
    other[0, 0] = 0
    other[1, 1] = 0
    two_runs.add(evaluate(other, copy_of([1]), kind="instance"), name="C")
    with pytest.raises(ValueError, match=r"do not share a truth.*differ at 2 pixels"):
        two_runs.compare("A", "C")
    two_runs.add(evaluate(TRUTH[:, :20], TRUTH[:, :20], kind="instance"), name="D")
    with pytest.raises(ValueError, match=r"shape is \(2, 24\) in one and \(2, 20\)"):
        two_runs.compare("A", "D")
    with pytest.raises(ValueError, match="two different runs"):
        two_runs.compare("A", "A")


def test_table_add_rename_delete(two_runs):
    table = two_runs.table()
    assert table["name"].tolist() == ["A", "B"]
    assert table.columns.tolist()[len(RUN_COLUMNS) :] == [
        "mean_accuracy",
        "f1_50",
        "panoptic_quality_50",
        "aji",
    ]
    assert table["f1_50"].tolist() == pytest.approx([0.5, 0.8])
    assert table["n_images"].tolist() == [1, 1]
    # The same default or given name twice is made unique.
    again = two_runs.add(evaluate(TRUTH, TRUTH, kind="instance"), name="A")
    assert again.name == "A (2)"
    with pytest.raises(ValueError, match="already a run named 'B'"):
        two_runs.rename("A (2)", "B")
    with pytest.raises(ValueError, match="cannot be empty"):
        two_runs.rename("A (2)", "  ")
    two_runs.rename("A (2)", "perfect")
    two_runs.delete("A")
    assert two_runs.names == ["B", "perfect"]
    with pytest.raises(KeyError, match="no run named 'A'"):
        two_runs.delete("A")
    with pytest.raises(TypeError, match="not ndarray"):
        two_runs.add(TRUTH)


def test_default_name_and_inputs():
    runs = Runs()
    run = runs.add(evaluate(TRUTH, TRUTH, kind="instance", truth_name="gt", prediction_name="cp"))
    assert run.name == "run 1: cp"
    assert run.inputs == {"truth": "gt", "prediction": "cp"}
    assert run.created  # an ISO time stamp
    assert run.settings["kind"] == "instance"


def test_save_and_load_image_runs(two_runs, tmp_path):
    two_runs.save(tmp_path / "runs")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["A", "B"]
    assert (tmp_path / "runs" / "A" / "per_threshold.csv").is_file()
    loaded = Runs()
    runs = loaded.load(tmp_path / "runs")
    assert [run.name for run in runs] == ["A", "B"]
    assert runs[0].record is None and runs[0].kind == "image"
    pd.testing.assert_frame_equal(
        loaded.table().drop(columns="created"), two_runs.table().drop(columns="created")
    )
    # The labels were saved, so objects compare after loading too.
    comparison = loaded.compare("A", "B")
    assert comparison.changed["change"].tolist() == ["broken by B"] + ["fixed by B"] * 3


def write_dataset(folder, images):
    folder.mkdir()
    for name, image in images.items():
        np.save(folder / f"{name}.npy", image)
    return folder


def strip(ids, n=2):
    """A 1 x 8 image with objects ``ids`` of ``n`` pixels each at 0-1 and 4-5."""
    image = np.zeros((1, 8), np.int32)
    for position, object_id in zip((0, 4), ids, strict=False):
        image[0, position : position + n] = object_id
    return image


def dataset_folders(tmp_path):
    """Three images of two objects (truth, A, B folders). A: both, none, one; B: both, both,
    one."""
    truth = write_dataset(tmp_path / "truth", {f"im{i}": strip([1, 2]) for i in range(3)})
    pred_a = write_dataset(
        tmp_path / "a", {"im0": strip([1, 2]), "im1": strip([]), "im2": strip([1])}
    )
    pred_b = write_dataset(
        tmp_path / "b", {"im0": strip([1, 2]), "im1": strip([1, 2]), "im2": strip([1])}
    )
    return truth, pred_a, pred_b


@pytest.fixture
def dataset_runs(tmp_path):
    """Three images of two objects. A: both, none, one; B: both, both, one."""
    truth, pred_a, pred_b = dataset_folders(tmp_path)
    runs = Runs()
    runs.add(evaluate_files(truth, pred_a, iou_thresholds=[0.5]), name="A")
    runs.add(evaluate_files(truth, pred_b, iou_thresholds=[0.5]), name="B")
    return runs, tmp_path


def test_compare_datasets(dataset_runs):
    runs, _ = dataset_runs
    comparison = runs.compare("A", "B")
    assert comparison.objects is None
    # Per image F1: A 1, 0, 2/3; B 1, 1, 2/3. The largest change (im1) first.
    per_image = comparison.per_image
    assert per_image["name"].tolist()[0] == "im1"
    assert per_image.set_index("name")["f1_50_difference"].to_dict() == pytest.approx(
        {"im0": 0.0, "im1": 1.0, "im2": 0.0}
    )
    head = comparison.headline.set_index("metric")
    # Pooled F1: A TP 3, FN 3 -> 6/9; B TP 5, FN 1 -> 10/11.
    assert head.loc["f1_50_pooled", "difference"] == pytest.approx(10 / 11 - 6 / 9)
    # Image mean: (1 + 0 + 2/3) / 3 vs (1 + 1 + 2/3) / 3; the difference 1/3.
    assert head.loc["f1_50_image_mean", "difference"] == pytest.approx(1 / 3)
    # The paired interval covers the known difference; the only image-level changes are
    # 0 and 1, so the resampled mean difference lies in [0, 1].
    low, high = head.loc["f1_50_image_mean", ["low", "high"]]
    assert 0 <= low <= 1 / 3 <= high <= 1
    assert comparison.bootstrap is not None
    # Reproducible: the bootstrap is seeded.
    again = runs.compare("A", "B").headline
    pd.testing.assert_frame_equal(again, comparison.headline)


def test_image_and_dataset_runs_share_the_headline_columns(dataset_runs, tmp_path):
    """Regression: a dataset run showed — in every column of the image runs, its values in
    ``*_pooled`` / ``*_image_mean`` columns far to the right."""
    runs, _ = dataset_runs
    runs.add(evaluate(TRUTH, copy_of([1, 2]), kind="instance"), name="image")
    table = runs.table().set_index("name")
    assert not any(column.endswith("_pooled") for column in table.columns)
    headline = table.columns.tolist()[len(RUN_COLUMNS) - 1 :]
    assert headline[:4] == [
        "mean_accuracy",
        "mean_accuracy_image_mean",
        "f1_50",
        "f1_50_image_mean",
    ]
    # A: pooled TP 3, FN 3 -> F1 6/9; per image 1, 0, 2/3 -> mean 5/9. B: pooled TP 5, FN 1
    # -> 10/11; per image 1, 1, 2/3 -> 8/9. The image: TP 2 of 6, no FP -> 4/8, which is also
    # its mean over its one image.
    assert table["f1_50"].tolist() == pytest.approx([6 / 9, 10 / 11, 0.5])
    assert table["f1_50_image_mean"].tolist() == pytest.approx([5 / 9, 8 / 9, 0.5])
    # AP (DSB) at the one threshold 0.5 of the datasets: TP / (TP + FP + FN) = 3/6 pooled.
    assert table.loc["A", "mean_accuracy"] == pytest.approx(3 / 6)
    # Saved and loaded (and a command-line folder), the same columns.
    loaded = Runs()
    loaded.load(runs.save(tmp_path / "saved"))
    pd.testing.assert_frame_equal(
        loaded.table().drop(columns="created"),
        runs.table().drop(columns="created"),
        check_dtype=False,
    )
    cli = Runs()
    cli.load(write_results(runs["A"].record, tmp_path / "cli"))
    assert cli.table()["f1_50"].tolist() == pytest.approx([6 / 9])
    assert cli.table()["f1_50_image_mean"].tolist() == pytest.approx([5 / 9])


def test_runs_of_one_map_at_two_thresholds_are_told_apart(tmp_path):
    """Regression: two runs of one probability map at 0.5 and 0.4 were both named after the
    map, and no column showed the threshold."""
    true = np.array([[1, 1, 0, 2, 2, 0, 0, 0]])
    prob = np.array([[0.9, 0.9, 0, 0.45, 0.45, 0, 0.1, 0.1]])
    runs = Runs()
    for threshold in (0.5, 0.4):
        record = evaluate(
            true, prob, threshold=threshold, kind="instance", prediction_name="nuclei probability"
        )
        runs.add(record)
    runs.add(evaluate(true, true, kind="instance", prediction_name="labels"))
    assert runs.names == [
        "run 1: nuclei probability @ 0.5",
        "run 2: nuclei probability @ 0.4",
        "run 3: labels",
    ]
    table = runs.table()
    assert table["threshold"].tolist()[:2] == [0.5, 0.4] and np.isnan(table["threshold"][2])
    # p > 0.5 finds object 1 only: F1 = 2 / (2 + 1); p > 0.4 both objects: F1 = 1.
    assert table["f1_50"].tolist() == pytest.approx([2 / 3, 1.0, 1.0])
    # A name given or chosen later wins over the default, saved and loaded.
    runs.rename(1, "lower threshold")
    named = runs.add(evaluate(true, prob, threshold=0.3, kind="instance"), name="mine")
    assert named.name == "mine"
    loaded = Runs()
    loaded.load(runs.save(tmp_path / "runs"))
    assert sorted(loaded.names) == sorted(runs.names)  # loaded in the folders' order
    thresholds = loaded.table().set_index("name")["threshold"]
    assert thresholds[["run 1: nuclei probability @ 0.5", "lower threshold", "mine"]].tolist() == [
        0.5,
        0.4,
        0.3,
    ]
    # A folder saved before runs had a threshold column (no threshold key) still loads.
    settings_path = tmp_path / "runs" / "run_3_labels" / "settings.json"
    settings = json.loads(settings_path.read_text())
    del settings["threshold"]
    settings_path.write_text(json.dumps(settings))
    old = Run.load(settings_path.parent)
    assert old.threshold is None and old.name == "run 3: labels"


def test_a_dataset_of_probability_maps_is_named_with_its_threshold(dataset_runs):
    runs, tmp_path = dataset_runs
    maps = write_dataset(
        tmp_path / "maps", {f"im{i}": (strip([1, 2]) > 0) * 0.45 for i in range(3)}
    )
    run = runs.add(evaluate_files(tmp_path / "truth", maps, probability=True, threshold=0.4))
    assert run.name == "run 3: maps @ 0.4" and run.threshold == 0.4
    assert runs.table()["threshold"].tolist()[2] == 0.4
    assert runs["A"].threshold is None


def test_dataset_needs_the_same_images(dataset_runs):
    runs, tmp_path = dataset_runs
    images = {"im0": strip([1, 2]), "im7": strip([1, 2])}
    other = write_dataset(tmp_path / "c", images)
    runs.add(evaluate_files(other, write_dataset(tmp_path / "c2", images)), name="C")
    with pytest.raises(ValueError, match="same images: only in A: im1, im2; only in B: im7"):
        runs.compare("A", "C")
    runs.add(evaluate(TRUTH, TRUTH), name="one")
    with pytest.raises(ValueError, match=r"one image.*datasets with datasets"):
        runs.compare("one", "A")


def test_dataset_needs_the_same_truth(dataset_runs):
    runs, tmp_path = dataset_runs
    truth2 = write_dataset(tmp_path / "truth2", {f"im{i}": strip([1, 2]) for i in range(3)})
    runs.add(evaluate_files(truth2, tmp_path / "b", iou_thresholds=[0.5]), name="C")
    with pytest.raises(ValueError, match="do not share a truth: image 'im0'"):
        runs.compare("A", "C")


def test_command_line_folder_loads_as_a_run(dataset_runs):
    runs, tmp_path = dataset_runs
    result = runs["A"].record
    folder = write_results(result, tmp_path / "cli")
    loaded = Runs().load(folder)[0]
    assert loaded.name == "cli" and loaded.kind == "dataset"
    assert loaded.created == json.loads((folder / "settings.json").read_text())["created"]
    assert loaded.inputs == {"truth": str(tmp_path / "truth"), "prediction": str(tmp_path / "a")}
    expected = result.summary[["f1_50_pooled", "f1_50_image_mean"]].astype(float)
    assert loaded.headline[expected.index].tolist() == pytest.approx(expected.tolist())
    assert loaded.n_images == 3
    # A loaded dataset run compares with an in-memory one, image by image.
    both = Runs()
    both.add(loaded, name="A")
    both.add(runs["B"])
    head = both.compare("A", "B").headline.set_index("metric")
    assert head.loc["f1_50_pooled", "difference"] == pytest.approx(10 / 11 - 6 / 9)


def test_save_and_load_dataset_runs(dataset_runs):
    runs, tmp_path = dataset_runs
    runs.save(tmp_path / "saved")
    loaded = Runs()
    loaded.load(tmp_path / "saved")
    assert loaded.names == ["A", "B"]
    pd.testing.assert_frame_equal(
        loaded.table().drop(columns="created"),
        runs.table().drop(columns="created"),
        check_dtype=False,
    )


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no run in"):
        Runs().load(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no settings\.json"):
        Run.load(tmp_path)


def test_compare_chunked_runs():
    """Chunked (dask) label images stay lazy in the record; the comparison is the same."""
    da = pytest.importorskip("dask.array")
    runs = Runs()
    truth = da.from_array(TRUTH, chunks=(2, 8))
    for name, ids in (("A", [1, 2]), ("B", [1, 3, 4, 5])):
        runs.add(
            evaluate(truth, da.from_array(copy_of(ids), chunks=(2, 8)), kind="instance"), name=name
        )
    comparison = runs.compare("A", "B")
    assert comparison.changed["label"].tolist() == [2, 3, 4, 5]
    assert comparison.mcnemar["p_value"] == pytest.approx(10 / 16)


# -- intervals over objects ---------------------------------------------------------------


def test_one_image_run_has_intervals_over_objects(two_runs, tmp_path):
    run = two_runs["B"]
    # B matches 4 of the 6 objects exactly: F1 = 8/10, its interval over objects around it.
    low, high = run.intervals.loc["f1_50"]
    assert low < 0.8 < high and run.interval_over == "objects"
    assert "aji" not in run.intervals.index  # the AJI does not split into units
    table = two_runs.table()
    assert table["interval"].tolist() == ["over objects", "over objects"]
    loaded = Run.load(run.save(tmp_path / "b"))
    pd.testing.assert_frame_equal(loaded.intervals, run.intervals)
    # All objects found: zero width at 1.
    exact = Run.from_evaluation(evaluate(TRUTH, copy_of([1, 2, 3, 4, 5, 6]), kind="instance"))
    assert exact.intervals.loc["f1_50"].tolist() == [1.0, 1.0]


# -- agreement ----------------------------------------------------------------------------

A_ROW = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
B_ROW = np.array([[4, 4, 0, 5, 5, 0, 0, 0]])  # B drew two of A's three objects


def test_agreement_by_hand_and_symmetric():
    ab = agreement(A_ROW, B_ROW, iou_thresholds=[0.5])
    ba = agreement(B_ROW, A_ROW, name_a="annotator B", name_b="annotator A", iou_thresholds=[0.5])
    assert ab.agreement and ab.name == "agreement: annotator A vs annotator B"
    assert ab.inputs == {"truth": "annotator A", "prediction": "annotator B"}
    head_ab, head_ba = ab.headline, ba.headline
    # F1 = 2 * 2 / (3 + 2). Dice of the foreground 2 * 4 / (6 + 4), of the background
    # 2 * 2 / (2 + 4): the mean over both classes.
    assert head_ab["f1_50"] == pytest.approx(0.8)
    assert head_ab["mean_dice"] == pytest.approx((0.8 + 2 / 3) / 2)
    # Boundaries (every pixel of a one-row image is a boundary pixel): A's at 0, 1, 3, 4, 6, 7
    # and B's at 0, 1, 3, 4. A -> B distances 0, 0, 0, 0, 2, 3 (95th percentile 2.75), B -> A
    # all 0. NSD at 1 pixel: (4 + 4) / (6 + 4); boundary F1: 2 (2/3 · 1) / (2/3 + 1).
    assert head_ab["mean_hd95"] == pytest.approx(2.75)
    assert head_ab["mean_nsd"] == pytest.approx(0.8)
    assert head_ab["mean_boundary_f1"] == pytest.approx(0.8)
    for key in ("mean_accuracy", "f1_50", "panoptic_quality_50", "mean_iou", "mean_dice"):
        assert head_ab[key] == pytest.approx(head_ba[key]), key
    for key in ("mean_hd95", "mean_nsd", "mean_boundary_f1"):
        assert head_ab[key] == pytest.approx(head_ba[key]), key
    symmetry_ab = ab.tables["symmetry"].set_index("metric")
    symmetry_ba = ba.tables["symmetry"].set_index("metric")
    # Precision and recall swap: 2/2 and 2/3.
    assert symmetry_ab.loc["precision_50", "value"] == pytest.approx(1.0)
    assert symmetry_ab.loc["recall_50", "value"] == pytest.approx(2 / 3)
    assert symmetry_ba.loc["precision_50", "value"] == pytest.approx(2 / 3)
    assert symmetry_ab.loc["precision_50", "symmetry"] == "swaps with recall_50"
    assert symmetry_ab.loc["f1_50", "symmetry"] == "symmetric"


def test_agreement_aji_is_not_symmetric():
    # A: one object of 4 pixels; B split it in two. AJI(A, B): A's object with its best
    # partner 5 (IoU 2/4, ties to the smaller id), 6 unused: 2 / (4 + 2). AJI(B, A): each of
    # B's objects with A's: (2 + 2) / (4 + 4).
    a = np.array([[1, 1, 1, 1]])
    b = np.array([[5, 5, 6, 6]])
    assert agreement(a, b).headline["aji"] == pytest.approx(1 / 3)
    assert agreement(b, a).headline["aji"] == pytest.approx(1 / 2)
    assert (
        "not symmetric"
        in agreement(a, b).tables["symmetry"].set_index("metric").loc["aji", "symmetry"]
    )


def test_agreement_beside_a_model_saved_and_loaded(tmp_path):
    runs = Runs()
    runs.add(agreement(A_ROW, B_ROW, iou_thresholds=[0.5]))
    runs.add(evaluate(A_ROW, np.array([[4, 4, 0, 0, 0, 0, 0, 0]]), kind="both"), name="model")
    table = runs.table().set_index("name")
    assert table["role"].tolist() == ["agreement", "evaluation"]
    # The model's F1 (2 / 4) read against the annotators' (0.8).
    assert table["f1_50"].tolist() == pytest.approx([0.8, 0.5])
    assert table.loc["agreement: annotator A vs annotator B", "mean_hd95"] == pytest.approx(2.75)
    loaded = Runs()
    loaded.load(runs.save(tmp_path / "runs"))
    assert [run.agreement for run in loaded] == [True, False]
    pd.testing.assert_frame_equal(
        loaded.table().drop(columns="created"), runs.table().drop(columns="created")
    )


def test_agreement_of_folders_and_bad_input(tmp_path):
    for folder, image in (("a", A_ROW), ("b", B_ROW)):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "img1.npy", image.astype(np.int32))
        np.save(tmp_path / folder / "img2.npy", image.astype(np.int32))
    run = agreement(tmp_path / "a", tmp_path / "b", iou_thresholds=[0.5])
    assert run.agreement and run.kind == "dataset" and run.n_images == 2
    assert run.headline["f1_50_pooled"] == pytest.approx(8 / 10)  # 2 * 4 / (6 + 4)
    assert run.name == f"agreement: {tmp_path / 'a'} vs {tmp_path / 'b'}"
    with pytest.raises(TypeError, match="not one of each"):
        agreement(tmp_path / "a", B_ROW)
    with pytest.raises(ValueError):
        agreement(A_ROW, B_ROW[:, :4])


def test_a_files_run_keeps_every_table_of_the_result_folder(dataset_runs):
    _, tmp_path = dataset_runs
    result = evaluate_files(tmp_path / "truth", tmp_path / "a", preset="ctc")
    assert {"ctc_pooled", "ctc_image_mean"} <= set(result.tables)
    run = Run.from_files(result, name="ctc")
    for name, table in result.tables.items():
        pd.testing.assert_frame_equal(run.tables[name], table)
    # A: im0 both found, im1 none, im2 one of two: SEG = (1 + 1 + 0 + 0 + 1 + 0) / 6
    assert float(run.tables["ctc_pooled"]["seg"].iloc[0]) == pytest.approx(3 / 6)


def test_one_image_dataset_run_has_no_interval(tmp_path):
    """One image: nothing to resample, so no interval (not [x, x]) in the run or its report."""
    from napari_seg_eval.report import report_html

    truth = write_dataset(tmp_path / "truth", {"im0": strip([1, 2])})
    pred = write_dataset(tmp_path / "pred", {"im0": strip([1])})
    runs = Runs()
    run = runs.add(evaluate_files(truth, pred, iou_thresholds=[0.5]), name="one")
    assert run.intervals.empty
    # F1 @ 0.5 by hand: TP 1, FP 0, FN 1 -> 2 / (2 + 0 + 1) = 2/3, with no interval beside it.
    assert run.headline["f1_50_pooled"] == pytest.approx(2 / 3)
    html = report_html(run)
    assert "0.6667" in html and "interval over images" not in html


def test_a_run_of_the_coco_preset_keeps_its_ap_saved_and_loaded(tmp_path):
    """One image, COCO AP (score-ranked): the Runs table shows it first, and a saved run
    loads with its per-threshold table. By hand: 1 matches the one true object exactly (score
    0.9), 2 is false (score 0.95, ranked first): precision 0 then 1/2 at recall 0 then 1, made
    monotone 1/2 at every recall point: AP = 1/2 at every IoU threshold."""
    true = np.zeros((1, 8), np.int32)
    true[0, 0:3] = 1
    pred = np.zeros_like(true)
    pred[0, 0:3], pred[0, 5:7] = 1, 2
    prob = np.select([pred == 1, pred == 2], [0.9, 0.95], 0.0)
    runs = Runs()
    run = runs.add(evaluate(true, pred, confidence=prob, preset="coco"), name="coco")
    assert run.headline.index[:3].tolist() == ["map", "ap_50", "ap_75"]
    assert run.headline["map"] == pytest.approx(0.5)
    columns = runs.table().columns.tolist()
    assert columns[columns.index("interval") + 1] == "map"
    loaded = Runs().load(runs.save(tmp_path))[0]
    assert loaded.headline["map"] == pytest.approx(0.5)
    assert loaded.tables["coco_per_threshold"]["ap"].tolist() == pytest.approx([0.5] * 10)


# -- comparing two datasets of both metric families ---------------------------------------


def runs_of_both_families(tmp_path):
    """The images of ``dataset_runs`` (1 x 8, objects at pixels 0-1 and 4-5), evaluated with
    both metric families (semantic: foreground against background)."""
    truth, pred_a, pred_b = dataset_folders(tmp_path)
    runs = Runs()
    for name, pred in (("A", pred_a), ("B", pred_b)):
        result = evaluate_files(
            truth, pred, kind="all", iou_thresholds=[0.5], confidence_interval=0.95
        )
        runs.add(result, name=name)
    return runs


INSTANCE_ROWS = [
    f"{key}_{aggregate}"
    for key in ("mean_accuracy", "f1_50", "panoptic_quality_50", "aji")
    for aggregate in ("pooled", "image_mean")
]
SEMANTIC_ROWS = [
    f"{key}_{aggregate}"
    for key in ("mean_iou", "mean_dice", "pixel_accuracy")
    for aggregate in ("pooled", "image_mean")
]


def test_result_folders_of_both_families_compare_once_each(tmp_path):
    """Regression: two command-line folders of ``--kind all`` listed every instance row twice,
    put instance metrics in the bootstrap's semantic family (so mean IoU, mean Dice and pixel
    accuracy had no interval) and printed every note twice, naming instance values for the
    semantic family."""
    runs = runs_of_both_families(tmp_path)
    loaded = Runs()
    for name in ("A", "B"):
        folder = write_results(runs[name].record, tmp_path / f"cli_{name}")
        for rows in folder.glob("*_per_image_rows.csv"):  # a folder without them
            rows.unlink()
        loaded.add(Run.load(folder), name=name)
    comparison = loaded.compare("A", "B")
    head = comparison.headline.set_index("metric")
    assert head.index.tolist() == INSTANCE_ROWS + SEMANTIC_ROWS  # each once
    bootstrap = comparison.bootstrap
    assert bootstrap.loc[bootstrap["family"] == "instance", "metric"].tolist() == INSTANCE_ROWS
    assert bootstrap.loc[bootstrap["family"] == "semantic", "metric"].tolist() == SEMANTIC_ROWS
    # Pixel accuracy per image (8 pixels, 4 of them foreground): A 8/8, 4/8, 6/8; B 8/8, 8/8,
    # 6/8. Pooled 18/24 and 22/24, image mean 0.75 and 11/12: B − A = 1/6 both ways.
    for key in ("pixel_accuracy_pooled", "pixel_accuracy_image_mean"):
        assert head.loc[key, ["a", "b"]].tolist() == pytest.approx([18 / 24, 22 / 24])
        assert head.loc[key, "difference"] == pytest.approx(1 / 6)
        # Only im1 changes (by 4/8 of its pixels): a resample's difference is w1 / 6 for w1
        # draws of im1 out of 3: 0 (chance 8/27 > 2.5 %) to 1/2 (1/27 = 3.7 % > 2.5 %).
        assert head.loc[key, ["low", "high"]].tolist() == pytest.approx([0.0, 0.5])
    # Mean IoU pooled: A foreground 6 / 12, background 12 / (12 + 6): (1/2 + 2/3) / 2 = 7/12;
    # B foreground 10 / 12, background 12 / 14: (5/6 + 6/7) / 2 = 71/84.
    assert head.loc["mean_iou_pooled", ["a", "b"]].tolist() == pytest.approx([7 / 12, 71 / 84])
    # Per image mean IoU: im1 A (0 + 4/8) / 2 = 1/4, B 1; the others equal: image mean + 3/4 / 3.
    assert head.loc["mean_iou_image_mean", "difference"] == pytest.approx(0.25)
    assert head.loc["mean_iou_image_mean", ["low", "high"]].notna().all()
    # Pooled AP (DSB) at 0.5: A TP 3 of 6 true, B 5 of 6, no FP: 3/6 and 5/6.
    assert head.loc["mean_accuracy_pooled", "difference"] == pytest.approx(1 / 3)
    # The folders hold no per-image counts: the values pooled from them have no interval,
    # said once in the user's words; every other value has one.
    from_rows = ["mean_accuracy_pooled", "mean_iou_pooled", "mean_dice_pooled"]
    assert head.loc[from_rows, ["low", "high"]].isna().all().all()
    assert head.drop(index=from_rows)[["low", "high"]].notna().all().all()
    assert len(comparison.notes) == len(set(comparison.notes))
    missing = [note for note in comparison.notes if note.startswith("no interval")]
    assert len(missing) == 1
    # Matched at one threshold (0.5): its mean over thresholds is over that one (trial93).
    assert "AP (DSB), mean over 1 threshold (pooled)" in missing[0]
    assert "mean IoU (pooled)" in missing[0] and "mean Dice (pooled)" in missing[0]
    assert not any(
        "semantic: " in note or "pass per_image_rows" in note for note in comparison.notes
    )


def test_pooled_values_of_two_datasets_have_paired_intervals(tmp_path):
    """Regression: the pooled AP (DSB) (the Runs tab's first column), mean IoU and mean Dice
    had no interval for B − A, though each run alone had one."""
    from napari_seg_eval import dataset_metrics, instance_metrics, semantic_metrics
    from napari_seg_eval.core.compare import paired_bootstrap

    runs = runs_of_both_families(tmp_path)
    comparison = runs.compare("A", "B")
    head = comparison.headline.set_index("metric")
    assert head[["low", "high"]].notna().all().all()
    assert not any(note.startswith("no interval") for note in comparison.notes)
    # Pooled AP (DSB): A TP 2, 0, 1 and B 2, 2, 1 of 2 true objects per image, no FP. A
    # resample drawing im1 w1 times of 3 differs by 2 w1 / (2 · 3) = w1 / 3: 0 (chance 8/27)
    # to 1 (1/27, above 2.5 %), so the 95 % interval is [0, 1], around the difference 1/3.
    low, high = head.loc["mean_accuracy_pooled", ["low", "high"]]
    assert head.loc["mean_accuracy_pooled", "difference"] == pytest.approx(1 / 3)
    assert low <= 1 / 3 <= high
    assert [low, high] == pytest.approx([0.0, 1.0])
    # The same as the paired bootstrap of the images' own per-threshold and per-class counts
    # (same seed, 0), computed here without the runs.
    truth = [strip([1, 2])] * 3
    preds = {"a": [strip([1, 2]), strip([]), strip([1])], "b": [strip([1, 2])] * 2 + [strip([1])]}

    def instance(pred):
        rows = pd.concat(
            instance_metrics(t, p, iou_thresholds=[0.5]).per_threshold.assign(image=i)
            for i, (t, p) in enumerate(zip(truth, pred, strict=True))
        )
        return dataset_metrics(truth, pred, iou_thresholds=[0.5]), rows

    def semantic(pred):
        true, pred = [t > 0 for t in truth], [p > 0 for p in pred]
        rows = pd.concat(
            semantic_metrics(t, p, classes=[0, 1]).per_class.assign(image=i)
            for i, (t, p) in enumerate(zip(true, pred, strict=True))
        )
        return dataset_metrics(true, pred, kind="semantic"), rows

    for family, evaluate_family in (("instance", instance), ("semantic", semantic)):
        (result_a, rows_a), (result_b, rows_b) = (
            evaluate_family(preds["a"]),
            evaluate_family(preds["b"]),
        )
        direct = paired_bootstrap(
            result_a, result_b, per_image_rows_a=rows_a, per_image_rows_b=rows_b, seed=0
        ).set_index("metric")
        keys = direct.index.tolist()
        pd.testing.assert_frame_equal(
            head.loc[keys, ["difference", "low", "high"]],
            direct[["difference", "low", "high"]],
            check_names=False,
        )
        assert head.loc[keys].shape[0] == (8 if family == "instance" else 6)
    # Saved from the Runs tab and loaded, the runs keep their counts: the same table.
    loaded = Runs()
    loaded.load(runs.save(tmp_path / "saved"))
    assert (tmp_path / "saved" / "A" / "instance_per_image_rows.csv").is_file()
    pd.testing.assert_frame_equal(loaded.compare("A", "B").headline, comparison.headline)


def test_the_images_of_two_datasets_are_paired_by_name_with_their_counts(tmp_path):
    """B's images listed in another order: its per-image counts follow its images."""
    runs = runs_of_both_families(tmp_path)
    expected = runs.compare("A", "B").headline
    folder = runs["B"].save(tmp_path / "b_reversed")
    per_image = pd.read_csv(folder / "per_image.csv")
    per_image.iloc[::-1].to_csv(folder / "per_image.csv", index=False)
    for kind in ("instance", "semantic"):
        path = folder / f"{kind}_per_image_rows.csv"
        rows = pd.read_csv(path)
        rows["image"] = 2 - rows["image"]  # image i is now listed at 2 - i
        rows.sort_values("image", kind="stable").to_csv(path, index=False)
    reversed_b = Runs()
    reversed_b.add(runs["A"])
    reversed_b.add(Run.load(folder), name="B")
    assert reversed_b["B"].image_rows()["name"].tolist() == ["im2", "im1", "im0"]
    pd.testing.assert_frame_equal(reversed_b.compare("A", "B").headline, expected)


def test_the_comparison_says_which_way_is_better():
    """A distance (HD95) is better lower: the headline says so beside its difference."""
    far = agreement(A_ROW, B_ROW, iou_thresholds=[0.5])
    same = agreement(A_ROW, A_ROW, iou_thresholds=[0.5])
    runs = Runs()
    runs.add(far, name="far")
    runs.add(same, name="same")
    head = runs.compare("far", "same").headline.set_index("metric")
    # HD95 of A_ROW against B_ROW: 2.75 (test_agreement_by_hand_and_symmetric); against
    # itself 0: B − A = −2.75, an improvement, as "lower" says.
    assert head.loc["mean_hd95", "difference"] == pytest.approx(-2.75)
    assert head.loc["mean_hd95", "better"] == "lower"
    # F1 @ 0.5 went from 0.8 to 1: higher is better.
    assert head.loc["f1_50", "difference"] == pytest.approx(0.2)
    assert head.loc["f1_50", "better"] == "higher"
    assert set(head["better"]) == {"higher", "lower"}
    assert (
        head.loc[["mean_nsd", "mean_boundary_f1", "mean_dice"], "better"].tolist() == ["higher"] * 3
    )
    columns = runs.compare("far", "same").headline.columns.tolist()
    assert columns == ["metric", "label", "better", "a", "b", "difference"]


def test_two_result_folders_compare_as_the_runs_they_were_written_from(tmp_path):
    """A result folder keeps each image's counts (``<kind>_per_image_rows.csv``): compared,
    two folders give the in-memory comparison, pooled intervals included."""
    runs = runs_of_both_families(tmp_path)
    loaded = Runs()
    for name in ("A", "B"):
        folder = write_results(runs[name].record, tmp_path / f"cli_{name}")
        rows = pd.read_csv(folder / "instance_per_image_rows.csv")
        # im1 of A: threshold 0.5, no prediction: TP 0, FN 2 (by hand)
        im1 = rows[rows["name"] == "im1"].iloc[0]
        assert (im1["tp"], im1["fn"]) == ((0, 2) if name == "A" else (2, 0))
        loaded.add(Run.load(folder), name=name)
    in_memory = runs.compare("A", "B").headline.set_index("metric")
    from_files = loaded.compare("A", "B").headline.set_index("metric")
    assert from_files.index.tolist() == INSTANCE_ROWS + SEMANTIC_ROWS
    columns = ["a", "b", "difference", "low", "high"]
    pd.testing.assert_frame_equal(from_files[columns], in_memory.loc[from_files.index, columns])
    assert from_files.loc["mean_accuracy_pooled", ["low", "high"]].tolist() == pytest.approx(
        [0.0, 1.0]
    )


def test_a_preset_value_without_an_interval_is_named_in_a_note(tmp_path):
    """The ctc preset's SEG and DET head the table; the bootstrap does not cover them: a note
    says so rather than leaving their interval blank without a word."""
    truth, pred_a, pred_b = dataset_folders(tmp_path)
    runs = Runs()
    runs.add(evaluate_files(truth, pred_a, preset="ctc"), name="A")
    runs.add(evaluate_files(truth, pred_b, preset="ctc"), name="B")
    comparison = runs.compare("A", "B")
    head = comparison.headline.set_index("metric")
    blank = head.index[head["low"].isna()].tolist()
    # DET pooled: A matches 3 of 6 true objects, B 5 (no FP or split): a positive difference
    assert "seg_pooled" in blank and "det_pooled" in blank
    assert head.loc["det_pooled", "difference"] > 0
    note = next(note for note in comparison.notes if note.startswith("no interval for"))
    for key in blank:
        assert _label_of(runs["A"], key) in note
    assert head.loc["f1_50_pooled", ["low", "high"]].notna().all()


def _label_of(run, key):
    from napari_seg_eval.runs import _label

    return _label(run, key)


def test_a_folder_written_before_a_setting_existed_differs_only_where_it_should(tmp_path):
    """A result folder without ``background_channel`` (written before the setting existed)
    was "different in background_channel" from a new one with the same settings; a setting
    missing from a folder is its default now, and a real difference is still named."""
    truth, pred_a, _ = dataset_folders(tmp_path)
    folders = {}
    for name in ("old", "new"):
        folders[name] = write_results(evaluate_files(truth, pred_a), tmp_path / name)
    saved = json.loads((folders["old"] / "settings.json").read_text())
    del saved["settings"]["background_channel"]
    (folders["old"] / "settings.json").write_text(json.dumps(saved))
    runs = Runs()
    for name, folder in folders.items():
        runs.add(Run.load(folder), name=name)
    assert not [note for note in runs.compare("old", "new").notes if "differ in" in note]
    saved["settings"]["min_size"] = 5  # a setting both know, and that differs
    (folders["old"] / "settings.json").write_text(json.dumps(saved))
    runs = Runs()
    for name, folder in folders.items():
        runs.add(Run.load(folder), name=name)
    notes = [note for note in runs.compare("old", "new").notes if "differ in" in note]
    assert notes == ["the runs differ in min_size: the differences include their effect."]


def test_two_models_named_by_their_own_suffixes_do_not_differ_in_settings(tmp_path):
    """Cellpose's *_cp_masks and StarDist's *_sd files, scored alike: settings.json records
    each run's suffixes (so that it reruns), and those name files, they are no setting that
    differs; nor is with_classes, which folders written before 0.2.0 hold."""
    truth, pred_a, _ = dataset_folders(tmp_path)
    folders = {}
    for name, suffix in (("cellpose", "_cp_masks"), ("stardist", "_sd")):
        renamed = tmp_path / f"{name}_files"
        renamed.mkdir()
        for path in pred_a.iterdir():
            (renamed / f"{path.stem}{suffix}{path.suffix}").write_bytes(path.read_bytes())
        result = evaluate_files(truth, renamed, prediction_suffix=suffix)
        folders[name] = write_results(result, tmp_path / name)
    saved = json.loads((folders["cellpose"] / "settings.json").read_text())
    assert saved["settings"]["prediction_suffix"] == "_cp_masks"
    saved["settings"]["with_classes"] = False  # as a folder written before 0.2.0 has it
    (folders["cellpose"] / "settings.json").write_text(json.dumps(saved))
    runs = Runs()
    for name, folder in folders.items():
        runs.add(Run.load(folder), name=name)
    assert not [note for note in runs.compare("cellpose", "stardist").notes if "differ in" in note]
