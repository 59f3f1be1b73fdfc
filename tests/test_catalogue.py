"""The metric catalogue: every column of every table is described, and every formula holds."""

import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval.core import catalogue


@pytest.fixture(scope="module")
def results():
    data = nse.make_sample_data()
    truth, prob = data["ground_truth"], data["probability"]
    mask = nse.threshold_probabilities(prob, 0.5)
    pred = nse.label_instances(mask)
    # A few odd rows: an object missed, one invented, so no column is trivially constant.
    pred = pred.copy()
    pred[:6, :6] = pred.max() + 1
    instance = nse.instance_metrics(truth, pred)
    # two classes by the parity of the ids, a third for the invented object
    true_classes = {int(i): int(i) % 2 for i in np.unique(truth[truth > 0])}
    pred_classes = {int(i): int(i) % 2 for i in np.unique(pred[pred > 0])}
    pred_classes[int(pred.max())] = 2
    classed = nse.instance_metrics(
        truth, pred, true_classes=true_classes, pred_classes=pred_classes
    )
    classes = np.minimum(truth, 3) % 3  # three classes with background, some mistaken
    semantic = nse.semantic_metrics(classes, np.minimum(pred, 3) % 3)
    sweep = nse.threshold_sweep(truth, prob)
    calib = nse.calibration(truth, prob, method="platt")
    many = nse.dataset_metrics(
        [truth, truth],
        [pred, truth],
        true_classes=[classes, classes],
        pred_classes=[classes, classes],
        confidence_interval=0.9,
    )
    boundary = nse.boundary_metrics(classes, np.minimum(pred, 3) % 3)
    objects = nse.boundary_metrics(truth, pred, per_object=True)
    return {
        "instance.summary": classed.summary.to_frame().T,
        "instance.per_class": classed.per_class,
        "instance.per_threshold": instance.per_threshold,
        "instance.per_object": classed.per_object,
        "semantic.summary": semantic.summary.to_frame().T,
        "semantic.per_class": semantic.per_class,
        "sweep.per_threshold": sweep.per_threshold,
        "sweep.summary": sweep.summary.to_frame().T,
        "calibration.bins": calib.bins,
        "calibration.summary": calib.summary.to_frame().T,
        "dataset.per_image": many.per_image,
        "dataset.summary": many.summary.to_frame().T,
        "boundary.per_class": boundary.per_class,
        "boundary.per_object": objects.per_object,
        "boundary.summary": pd.concat([boundary.summary, objects.summary]).to_frame().T,
        "ctc": nse.ctc_metrics(truth, pred).to_frame().T,
        "review": nse.review_objects(truth, pred, probability=prob),
    }


def test_every_column_of_every_table_is_in_the_catalogue(results):
    for table, frame in results.items():
        name = "instance.per_object" if table == "review" else table
        missing = [c for c in frame.columns if catalogue.metric(name, c) is None]
        # centroids, boxes, per-image ids and AJI parts are positions and parts, not metrics
        positions = ("centroid_", "bbox_", "aji_")
        missing = [c for c in missing if not c.startswith(positions) and c != "image"]
        assert missing == [], f"{table}: no catalogue entry for {missing}"


def test_every_formula_column_equals_its_definition(results):
    checked = 0
    for table in catalogue.TABLES:
        if table not in results:
            continue
        frame = results[table]
        for column, expected in catalogue.recompute(table, frame).items():
            np.testing.assert_allclose(
                frame[column].to_numpy(float),
                expected.to_numpy(float),
                rtol=1e-12,
                err_msg=f"{table}.{column}",
            )
            checked += 1
    assert checked >= 20


def test_summary_values_follow_their_tables(results):
    per_threshold = results["instance.per_threshold"]
    summary = results["instance.summary"].iloc[0]
    at_half = per_threshold.set_index("threshold").loc[0.5]
    assert summary["mean_accuracy"] == pytest.approx(per_threshold["accuracy"].mean())
    per_class = results["instance.per_class"]
    assert summary["class_mean_accuracy"] == pytest.approx(
        per_class.groupby("class")["accuracy"].mean().mean()
    )
    for key in ("f1", "accuracy", "precision", "recall", "panoptic_quality"):
        assert summary[f"{key}_50"] == pytest.approx(at_half[key])


def test_same_column_name_means_different_things_in_different_tables():
    instance = catalogue.metric("instance.per_threshold", "accuracy")
    semantic = catalogue.metric("semantic.per_class", "accuracy")
    assert instance.formula == "TP / (TP + FP + FN)"
    assert semantic.formula == "(TP + TN) / N"
    assert "AP" in instance.label and "AP" not in semantic.label


def test_labels_tooltips_and_order():
    assert catalogue.label("instance.summary", "f1_50") == "F1 @ 0.5"
    assert catalogue.label("instance.summary", "not_a_metric") == "not_a_metric"
    assert catalogue.tooltip("instance.summary", "not_a_metric") == ""
    card = catalogue.tooltip("instance.per_threshold", "accuracy")
    assert "TP / (TP + FP + FN)" in card and "pooled" in card and "NaN" in card
    assert catalogue.label("dataset.summary", "f1_50_pooled") == "F1 @ 0.5 (pooled)"
    assert catalogue.label("dataset.summary", "aji_image_mean") == "AJI (image mean)"
    order = catalogue.column_order("instance.summary", ["n_true", "aji", "mean_accuracy", "x"])
    assert order == ["mean_accuracy", "aji", "n_true", "x"]


def test_headline_keys_are_the_dataset_summary_columns():
    data = nse.make_sample_data()
    truth = data["ground_truth"]
    many = nse.dataset_metrics([truth, truth], [truth, truth])
    for key in catalogue.headline_keys("instance"):
        assert f"{key}_pooled" in many.summary and f"{key}_image_mean" in many.summary
    many = nse.dataset_metrics([truth > 0], [truth > 0], kind="semantic")
    for key in catalogue.headline_keys("semantic"):
        assert f"{key}_pooled" in many.summary and f"{key}_image_mean" in many.summary


def test_recompute_gives_nan_for_zero_over_zero():
    frame = pd.DataFrame({"tp": [0, 2], "fp": [0, 2], "fn": [0, 0], "precision": [np.nan, 0.5]})
    values = catalogue.recompute("instance.per_threshold", frame)["precision"]
    assert np.isnan(values[0]) and values[1] == 0.5


def test_docs_metric_tables_are_current():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).parents[1] / "docs" / "make_metric_tables.py"
    spec = importlib.util.spec_from_file_location("make_metric_tables", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = module.PAGE.read_text()
    assert module.BLOCK.search(page) is not None
    assert module.render(page) == page, "run python docs/make_metric_tables.py"


@pytest.mark.parametrize("kind", ["instance", "semantic"])
def test_the_pooled_and_image_mean_values_are_the_catalogues_ratios(kind):
    truth = np.zeros((8, 8), np.uint8)
    truth[1:4, 1:4], truth[5:7, 5:7] = 1, 2
    result = nse.dataset_metrics([truth, truth], [truth, np.zeros_like(truth)], kind=kind)
    reported = {
        key.removesuffix(suffix)
        for key in result.summary.index
        for suffix in ("_pooled", "_image_mean")
        if key.endswith(suffix)
    }
    ratios = {  # every ratio of the summary (the class means need classes)
        entry.key
        for entry in catalogue.TABLES[f"{kind}.summary"]
        if entry.pooling == "ratio" and not entry.key.startswith("class_")
    }
    assert reported == ratios and set(catalogue.headline_keys(kind)) <= ratios
    for key in catalogue.headline_keys(kind):
        assert f"{key}_pooled" in result.summary and f"{key}_image_mean" in result.summary


def test_every_column_of_a_files_result_is_in_the_catalogue(tmp_path):
    """Per-image columns and summary keys of evaluate_files with boundary, ctc and coco."""
    from napari_seg_eval.io import evaluate_files

    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    true = np.zeros((8, 8), np.uint16)
    true[1:4, 1:4], true[5:7, 5:7] = 1, 2
    np.save(tmp_path / "t" / "a.npy", true)
    np.save(tmp_path / "p" / "a.npy", np.where(true > 0, 0.8, 0.1).astype(np.float32))
    leading = {"name", "truth", "prediction", "error"}
    for preset in ("ctc", "coco"):
        result = evaluate_files(
            tmp_path / "t", tmp_path / "p", preset=preset, probability=True, boundary=True
        )
        columns = [c for c in result.per_image.columns if c not in leading]
        missing = [
            c
            for c in columns
            if catalogue.metric("dataset.per_image", c.removeprefix("ctc_")) is None
            and not c.startswith("aji_")
        ]
        assert missing == [], f"{preset}: per_image has no entry for {missing}"
        missing = [
            k for k in result.summary.index if catalogue.metric("dataset.summary", k) is None
        ]
        assert missing == [], f"{preset}: summary has no entry for {missing}"
        for name, table in result.tables.items():
            catalogue_table = {
                "boundary_image_mean": "boundary.per_class",
                "boundary_per_class": "boundary.per_class",
                "ctc_pooled": "ctc",
                "ctc_image_mean": "ctc",
                "coco_pooled": "coco.per_threshold",
                "coco_image_mean": "coco.per_threshold",
            }[name]
            unknown = [
                c
                for c in table.columns
                if c != "name" and catalogue.metric(catalogue_table, c) is None
            ]
            assert unknown == [], f"{name}: no entry for {unknown}"


def test_new_pooling_rules_are_on_the_definition_cards():
    assert "never pooled" in catalogue.tooltip("dataset.summary", "mean_hd95_image_mean")
    assert "pycocotools" in catalogue.tooltip("dataset.summary", "map_pooled")
    assert "Σ seg_sum / Σ n_true" in catalogue.tooltip("dataset.summary", "seg_pooled")
    assert catalogue.label("dataset.summary", "det_image_mean") == "DET (image mean)"
    assert "image mean only" in catalogue.markdown("boundary.per_class")


def test_the_mean_over_iou_thresholds_is_not_labelled_with_the_default_thresholds():
    # A preset with the one threshold 0.5 (neurips2022) makes mean_accuracy AP (DSB) @ 0.5: a
    # label naming 0.50:0.95 would then be false. The label names no thresholds.
    for table in ("instance.summary", "dataset.summary"):
        for key in ("mean_accuracy", "mean_accuracy_pooled", "mean_accuracy_image_mean"):
            label = catalogue.label(table, key)
            if label != key:
                assert "0.5" not in label and "mean over IoU thresholds" in label, label


def test_the_spacing_read_from_files_is_catalogued(tmp_path):
    import tifffile

    from napari_seg_eval.io import evaluate_files

    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    true = np.zeros((8, 8), np.uint16)
    true[1:4, 1:4] = 1
    for side in ("t", "p"):
        tifffile.imwrite(
            tmp_path / side / "a.tif", true, imagej=True, resolution=(2, 2), metadata={"unit": "um"}
        )
    result = evaluate_files(tmp_path / "t", tmp_path / "p", boundary=True, spacing="file")
    leading = {"name", "truth", "prediction", "error"}
    columns = [c for c in result.per_image.columns if c not in leading]
    assert {"spacing", "spacing_unit"} <= set(columns)
    missing = [
        c
        for c in columns
        if catalogue.metric("dataset.per_image", c) is None and not c.startswith("aji_")
    ]
    assert missing == []
    assert "--spacing file" in catalogue.tooltip("dataset.per_image", "spacing")
    assert catalogue.metric("dataset.summary", "spacing") is None  # never summarised


def test_every_metric_says_which_way_is_better():
    """A comparison of two runs shows a distance going down beside scores going up: the
    catalogue says which way each value is better."""
    # Scores: higher. Distances, calibration errors and losses, error counts: lower.
    higher = {
        "instance.summary": ["mean_accuracy", "f1_50", "panoptic_quality_50", "aji"],
        "instance.per_threshold": ["tp", "accuracy", "precision", "recall", "panoptic_quality"],
        "semantic.summary": ["mean_iou", "mean_dice", "pixel_accuracy"],
        "boundary.summary": ["mean_nsd", "mean_boundary_f1"],
        "ctc": ["seg", "det"],
        "coco.summary": ["map", "ap_50", "ap_75"],
        "sweep.summary": ["average_precision", "roc_auc"],
    }
    lower = {
        "boundary.summary": ["mean_hd", "mean_hd95", "mean_assd"],
        "boundary.per_class": ["hd", "hd95", "assd"],
        "boundary.per_image": ["object_mean_hd95"],
        "calibration.summary": ["ece", "mce", "brier", "nll", "ece_calibrated", "nll_calibrated"],
        "instance.per_threshold": ["fp", "fn"],
        "semantic.per_class": ["fp", "fn"],
        "sweep.per_threshold": ["fpr"],
        "ctc": ["fp", "fn", "ns", "aogm_d"],
    }
    for direction, tables in (("higher", higher), ("lower", lower)):
        for table, keys in tables.items():
            for key in keys:
                assert catalogue.better(table, key) == direction, (table, key)
                assert catalogue.metric(table, key).better == direction
    # No direction: ids, settings, counts of the truth or the prediction, unknown columns.
    for table, key in [
        ("instance.per_threshold", "threshold"),
        ("instance.summary", "n_true"),
        ("instance.summary", "n_pred"),
        ("calibration.summary", "temperature"),
        ("instance.summary", "not_a_metric"),
    ]:
        assert catalogue.better(table, key) == "", (table, key)
    # A summary over images, an interval's bound and a median go the way of their metric.
    assert catalogue.better("dataset.summary", "mean_hd95_image_mean") == "lower"
    assert catalogue.better("dataset.summary", "f1_50_pooled_low") == "higher"
    assert catalogue.better("dataset.summary", "f1_50_image_median") == "higher"
    # Every value that is pooled or averaged over images (a metric, not a count) has one.
    for table, entries in catalogue.TABLES.items():
        for entry in entries:
            assert entry.better in ("higher", "lower", "")
            if entry.pooling in ("ratio", "ranked", "image_mean"):
                assert entry.better, f"{table}.{entry.key} says no direction"
