"""Opening a Dataset pair for review as a Cell Tracking Challenge user needs it: the raw frames
``t000.tif`` found by an image prefix (or the reason they are not), the Evaluate tab set to the
run's settings, and the Review tab naming the matching rule actually used.

The widget is built directly (not through the plugin's manifest), so that these tests also run
against an older copy of the package."""

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")


@pytest.fixture
def widget(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    dock = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(dock, name="Segmentation Evaluation")
    return dock


@pytest.fixture
def said(monkeypatch):
    """The Dataset tab's information notices, as text."""
    from napari_seg_eval._qt import dataset_panel

    notices = []
    monkeypatch.setattr(dataset_panel, "show_info", notices.append)
    return notices


def ctc_pair() -> tuple[np.ndarray, np.ndarray]:
    """A 10 x 10 truth and prediction whose IoU and |T∩P|/|T| rules disagree.

    True 1: rows 1-4 x cols 1-4 (16 px); predicted 11: rows 1-4 x cols 2-5 (16 px): 4 x 3 = 12
    shared, |T∩P|/|T| = 12/16 = 0.75 > 0.5, IoU = 12/(16 + 16 - 12) = 12/20 = 0.6.
    True 2: rows 6-8 x cols 1-8 (24 px); predicted 12: rows 5-9 x cols 0-9 (50 px) holds all of
    it: |T∩P|/|T| = 24/24 = 1 > 0.5, IoU = 24/50 = 0.48 < 0.5.
    """
    truth = np.zeros((10, 10), np.uint16)
    pred = np.zeros((10, 10), np.uint16)
    truth[1:5, 1:5] = 1
    pred[1:5, 2:6] = 11
    pred[5:10, 0:10] = 12
    truth[6:9, 1:9] = 2
    return truth, pred


@pytest.fixture
def ctc_folders(tmp_path):
    """The challenge's layout: 01/t000.tif (raw), 01_GT/SEG/man_seg000.tif, 01_RES/mask000.tif."""
    raw, truth_dir, pred_dir = tmp_path / "01", tmp_path / "01_GT" / "SEG", tmp_path / "01_RES"
    for folder in (raw, truth_dir, pred_dir):
        folder.mkdir(parents=True)
    truth, pred = ctc_pair()
    tifffile.imwrite(truth_dir / "man_seg000.tif", truth)
    tifffile.imwrite(pred_dir / "mask000.tif", pred)
    tifffile.imwrite(raw / "t000.tif", np.full((10, 10), 7, np.uint16))
    return raw, truth_dir, pred_dir


def test_the_raw_frames_are_found_by_an_image_prefix_and_said_when_not(widget, ctc_folders, said):
    raw, truth_dir, pred_dir = ctc_folders
    dataset = widget.dataset
    dataset.set_folders(truth=truth_dir, prediction=pred_dir, image=raw)
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    dataset.set_preset("ctc")
    # Without the image prefix: the pair is 000, the raw frame t000 is not named as it. The
    # pairs box and the notice on opening say so, and which prefix would find it.
    assert (
        f"0 of 1 pairs have an image (shown when the pair is opened): no image named 000.* in "
        f"{raw}: its files' names differ by a prefix: give 't' as the images' prefix (under "
        "Name prefixes)." in dataset.pairs_text.toPlainText()
    )
    dataset.run(wait=True)
    opened = dataset.open_image("000", wait=True)
    assert set(opened) == {"truth", "prediction"}
    assert said[-1].startswith(
        f"Segmentation Evaluation: opened '000'; no image named 000.* in {raw}: its files' names "
        "differ by a prefix: give 't' as the images' prefix (under Name prefixes). "
    )
    # With it (from Python, as the box): the frame opens with the pair, nothing is missing.
    dataset.set_prefixes(image="t")
    assert dataset.prefixes["image"].text() == "t"
    assert "pairs have an image" not in dataset.pairs_text.toPlainText()
    opened = dataset.open_image("000", wait=True)
    assert set(opened) == {"image", "truth", "prediction"}
    assert np.all(np.asarray(opened["image"].data) == 7)
    assert said[-1].startswith("Segmentation Evaluation: opened '000'. Evaluate set")
    # A prefix that finds nothing names the file it looked for.
    dataset.set_prefixes(image="raw_")
    dataset.open_image("000", wait=True)
    assert f"no image named raw_000.* in {raw}" in said[-1]


def test_the_probability_prefix_box_and_an_unknown_side(widget):
    dataset = widget.dataset
    dataset.set_prefixes(probability="prob_")
    assert dataset.prefixes["probability"].text() == "prob_"
    with pytest.raises(ValueError, match="no prefix side 'raw': the sides are truth, prediction, "):
        dataset.set_prefixes(raw="t")


def test_opening_a_pair_sets_evaluate_to_the_runs_settings(widget, ctc_folders, said):
    _, truth_dir, pred_dir = ctc_folders
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    dataset.set_preset("ctc")
    result = dataset.run(wait=True)
    row = result.per_image.set_index("name").loc["000"]
    # By hand (ctc_pair): both true objects are held by more than half, so matched:
    # SEG = (12/20 + 24/50) / 2 = (0.6 + 0.48) / 2 = 0.54; no FN, FP or NS: DET = 1;
    # one-to-one at |T∩P|/|T| > 0.5: 2 TP, F1 = 1.
    assert row["seg"] == pytest.approx(0.54)
    assert row["det"] == pytest.approx(1.0)
    assert row["f1_50"] == pytest.approx(1.0)
    assert evaluate.preset_combo.currentData() is None  # Evaluate's own settings until opened
    dataset.open_image("000", wait=True)
    assert evaluate.preset_combo.currentData() == "ctc"
    assert evaluate.criterion_combo.currentData() == "iot"
    assert evaluate.iou_edit.text() == "0.5"
    assert evaluate.kind_combo.currentText() == "instance"
    assert "Evaluate set to the dataset's settings: preset Cell Tracking Challenge" in said[-1]
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    # Run in Evaluate gives the Dataset row's numbers (not IoU's: at IoU >= 0.5 only true 1
    # matches, F1 = 2*1/(2*1 + 1 + 1) = 0.5).
    assert summary[("ctc", "seg")] == pytest.approx(0.54)
    assert summary[("ctc", "det")] == pytest.approx(1.0)
    assert summary[("instance", "f1_50")] == pytest.approx(1.0)


def test_a_run_of_probability_maps_sets_evaluate_and_the_threshold(widget, tmp_path, said):
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "maps"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth = np.zeros((10, 10), np.uint16)
    truth[2:6, 2:6] = 1  # 16 px
    probability = np.zeros((10, 10), np.float32)
    probability[2:6, 3:7] = 0.4  # > 0.3: one object of 16 px, 12 shared: IoU 12/20 = 0.6
    tifffile.imwrite(truth_dir / "a.tif", truth)
    tifffile.imwrite(pred_dir / "a.tif", probability)
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(
        probability=True, iou_thresholds=[0.5], criterion="iop", ignore_label=3, kind="all"
    )
    widget.set_threshold(0.3)
    result = dataset.run(wait=True)
    # |T∩P|/|P| = 12/16 = 0.75 > 0.5: one match, F1 at 0.5 = 1.
    assert result.per_image.loc[0, "f1_50"] == pytest.approx(1.0)
    widget.set_threshold(0.7)  # moved after the run: no pixel is above it
    evaluate.set_matching("iou", 2)
    dataset.open_image("a", wait=True)
    assert widget.threshold == pytest.approx(0.3)
    assert evaluate.iou_edit.text() == "0.5"
    assert evaluate.criterion_combo.currentData() == "iop"
    assert evaluate.border_spin.value() == 0
    assert evaluate.ignore_spin.value() == 3
    assert evaluate.kind_combo.currentText() == "both"
    assert "threshold 0.3" in said[-1] and "ignore label 3" in said[-1]
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("instance", "f1_50")] == pytest.approx(1.0)


def merge_case() -> tuple[np.ndarray, np.ndarray]:
    """True 1 (rows 1-3 x cols 1-3, 9 px) and true 2 (rows 1-3 x cols 5-7, 9 px) both lie in
    predicted 20 (rows 1-3 x cols 1-7, 21 px); true 3 (rows 7-8 x cols 7-8) has no prediction."""
    truth = np.zeros((10, 10), np.int32)
    pred = np.zeros((10, 10), np.int32)
    truth[1:4, 1:4] = 1
    truth[1:4, 5:8] = 2
    truth[7:9, 7:9] = 3
    pred[1:4, 1:8] = 20
    return truth, pred


def test_review_names_the_ctc_rule_and_why_its_fn_differ(widget):
    viewer = widget.viewer
    truth, pred = merge_case()
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(pred, name="pred")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.set_preset("ctc")
    widget.evaluate.kind_combo.setCurrentText("instance")
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    # CTC: 20 holds 9 > 4.5 of true 1 and of true 2: both matched, one NS; true 3 FN.
    # SEG = (9/21 + 9/21 + 0) / 3 = 2/7; DET = 1 - (5*1 + 10*1 + 0) / (10*3) = 0.5.
    assert summary[("ctc", "seg")] == pytest.approx(2 / 7)
    assert summary[("ctc", "det")] == pytest.approx(0.5)
    assert (summary[("ctc", "fn")], summary[("ctc", "ns")]) == (1, 1)
    review = widget.review
    assert review.threshold_label.text() == "|T∩P|/|T| threshold"
    assert "|T∩P|/|T| > t" in review.iou_spin.toolTip()
    # One-to-one: 20 matches one of true 1 and 2; the other is missed (merged), true 3 too.
    # Rows: 3 true + 1 predicted.
    assert review.status_label.text() == (
        "4 rows · 1 matched · 0 false · 2 missed at |T∩P|/|T| > 0.50"
    )
    assert review.kinds_label.text() == (
        "2 missed: 1 merged, 1 without any overlap · 0 false\n"
        "CTC's DET: FN 1, NS 1. It lets a prediction match several true objects (an NS error), "
        "Review one: the 1 merged object missed here is found there."
    )
    assert review.legend["matched"][1].toolTip() == (
        "matched one-to-one at the threshold: |T∩P|/|T| > 0.50"
    )
    # At another threshold the CTC's counts are not comparable: no note.
    review.iou_spin.setValue(0.6)
    review.refresh(wait=True)
    assert review.status_label.text().endswith("missed at |T∩P|/|T| > 0.60")
    assert "CTC" not in review.kinds_label.text()


def test_review_under_iou_says_iou(widget):
    viewer = widget.viewer
    truth, pred = merge_case()
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(pred, name="pred")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.evaluate.iou_edit.setText("0.4")
    widget.run_evaluation(wait=True)
    review = widget.review
    review.iou_spin.setValue(0.4)
    review.refresh(wait=True)
    # IoU of 20 with true 1 or 2: 9/21 = 0.43 >= 0.4: one match, the other merged; true 3 missed.
    assert review.threshold_label.text() == "IoU threshold"
    assert review.status_label.text() == "4 rows · 1 matched · 0 false · 2 missed at IoU ≥ 0.40"
    assert "CTC" not in review.kinds_label.text()


def test_the_runs_class_images_and_region_open_for_evaluate(widget, tmp_path, said):
    truth_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth, pred = np.zeros((10, 10), np.uint16), np.zeros((10, 10), np.uint16)
    truth_classes, pred_classes = np.zeros((10, 10), np.uint8), np.zeros((10, 10), np.uint8)
    truth[1:4, 1:4], truth_classes[1:4, 1:4] = 1, 1  # true 1, class 1
    truth[6:9, 6:9], truth_classes[6:9, 6:9] = 2, 2  # true 2, class 2
    truth[1:4, 6:9], truth_classes[1:4, 6:9] = 3, 1  # true 3, class 1, outside the region
    pred[1:4, 1:4], pred_classes[1:4, 1:4] = 5, 1  # = true 1, class 1
    pred[6:9, 6:9], pred_classes[6:9, 6:9] = 6, 1  # = true 2, but class 1
    region = np.ones((10, 10), np.uint8)
    region[1:4, 6:9] = 0
    tifffile.imwrite(truth_dir / "a.tif", truth)
    tifffile.imwrite(truth_dir / "a_classes.tif", truth_classes)
    tifffile.imwrite(truth_dir / "a_region.tif", region)
    tifffile.imwrite(pred_dir / "a.tif", pred)
    tifffile.imwrite(pred_dir / "a_classes.tif", pred_classes)
    dataset, evaluate = widget.dataset, widget.evaluate
    dataset.set_folders(truth=truth_dir, prediction=pred_dir)
    dataset.set_options(
        iou_thresholds=[0.5],
        truth_classes_suffix="_classes",
        prediction_classes_suffix="_classes",
        region_suffix="_region",
    )
    result = dataset.run(wait=True)
    row = result.per_image.loc[0]
    # In the region (true 3 left out): 1-5 and 2-6 match as objects, F1 = 1 (with true 3: 2
    # of 3 found, F1 = 2*2/(2*2 + 0 + 1) = 0.8). Within classes, class 1: true 1 matched by 5,
    # 6 false: accuracy 1/(1 + 1 + 0) = 0.5; class 2: true 2, no prediction: 0. Their mean
    # 0.25 (without the region, class 1 also misses true 3: 1/3, mean 1/6).
    assert row["f1_50"] == pytest.approx(1.0)
    assert row["class_mean_accuracy"] == pytest.approx(0.25)
    opened = dataset.open_image("a", wait=True)
    assert not opened["truth_classes"].visible
    assert evaluate.true_classes_combo.layer() is opened["truth_classes"]
    assert evaluate.pred_classes_combo.layer() is opened["prediction_classes"]
    assert evaluate.region_combo.layer() is opened["region"]
    assert said[-1].endswith(", class images, region; press Run there to review the pair.")
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("instance", "f1_50")] == pytest.approx(1.0)
    assert summary[("instance", "class_mean_accuracy")] == pytest.approx(0.25)
    # Another pair opened: its layers replace these (none of them is left).
    dataset.open_image("a", wait=True)
    names = [layer.name for layer in widget.viewer.layers]
    assert names.count("a truth classes") == 1 and names.count("a region") == 1
