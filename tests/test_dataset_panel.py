"""Issue 11: the Dataset tab on small TIFF folders written here (pairs, run, sort, open, cancel)."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("napari")
from qtpy.QtCore import Qt

tifffile = pytest.importorskip("tifffile")


def truth_image():
    true = np.zeros((20, 20), np.uint16)
    true[2:8, 2:8] = 1
    true[10:16, 10:16] = 2
    return true


@pytest.fixture
def folders(tmp_path):
    """Three pairs: 'good' (perfect), 'half' (object 2 missed), 'none' (nothing predicted);
    plus a truth without a prediction and a prediction without a truth."""
    truth, pred, images = tmp_path / "truth", tmp_path / "pred", tmp_path / "images"
    for folder in (truth, pred, images):
        folder.mkdir()
    true = truth_image()
    half = true.copy()
    half[half == 2] = 0
    for name, prediction in (("good", true), ("half", half), ("none", np.zeros_like(true))):
        tifffile.imwrite(truth / f"{name}.tif", true)
        tifffile.imwrite(pred / f"{name}_pred.tif", prediction)
        tifffile.imwrite(images / f"{name}.tif", np.full((20, 20), 7, np.uint8))
    tifffile.imwrite(truth / "lonely.tif", true)
    tifffile.imwrite(pred / "stray_pred.tif", true)
    return truth, pred, images


@pytest.fixture
def panel(make_napari_viewer, folders):
    viewer = make_napari_viewer()
    mine = viewer.add_labels(np.zeros((20, 20), np.uint8), name="half truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    truth, pred, images = folders
    widget.dataset.set_suffixes(prediction="_pred")
    widget.dataset.set_folders(truth=truth, prediction=pred, image=images)
    return viewer, widget, widget.dataset, mine


def test_pairs_and_every_unpaired_file_are_listed(panel):
    _, _, dataset, _ = panel
    text = dataset.pairs_text.toPlainText()
    assert text.startswith("3 pair(s)") and "lonely.tif" in text and "stray_pred.tif" in text


def test_run_sorts_worst_first_and_emits_the_result(qtbot, panel):
    _, _, dataset, _ = panel
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000) as blocker:
        dataset.run()
    result = blocker.args[0]
    frame = dataset.per_image.model.frame
    # By hand: accuracy at every IoU threshold is TP/(TP+FP+FN): good 2/2, half 1/2, none 0/2.
    assert frame["name"].tolist() == ["none", "half", "good"]
    assert frame["mean_accuracy"].tolist() == [0.0, 0.5, 1.0]
    # Pooled: TP 3, FN 3 over all images -> 3/6; image mean (0 + 0.5 + 1) / 3.
    assert result.summary["mean_accuracy_pooled"] == pytest.approx(0.5)
    assert result.summary["mean_accuracy_image_mean"] == pytest.approx(0.5)
    shown = dataset.summary.model.frame.set_index("metric")  # one row a metric
    assert shown.loc["AP (DSB), mean over IoU thresholds", "pooled"].startswith("0.5000")
    mean_accuracy = shown.loc["AP (DSB), mean over IoU thresholds"]
    assert mean_accuracy["image mean"].startswith("0.5000 [")  # with its interval


def test_opening_a_pair_replaces_our_layers_and_never_the_users(qtbot, panel, tmp_path):
    viewer, widget, dataset, mine = panel
    dataset.run(wait=True)
    first = dataset.open_image("half", wait=True)
    assert set(first) == {"image", "truth", "prediction"}
    assert widget.evaluate.truth_combo.layer() is first["truth"]
    np.testing.assert_array_equal(first["truth"].data, truth_image())
    second = dataset.open_image("good", wait=True)
    names = [layer.name for layer in viewer.layers]
    assert mine in viewer.layers and mine.data.max() == 0  # the user's layer, same name, kept
    assert all(layer not in viewer.layers for layer in first.values())
    assert names.count("good truth") == 1 and second["prediction"] in viewer.layers
    dataset.per_image.export_csv(tmp_path / "per_image.csv")
    exported = pd.read_csv(tmp_path / "per_image.csv")
    assert exported["name"].tolist() == ["none", "half", "good"]


def test_selecting_a_row_opens_that_pair(qtbot, panel):
    viewer, _, dataset, _ = panel
    dataset.run(wait=True)
    with qtbot.waitSignal(dataset.open_job.finished, timeout=60_000):
        dataset.per_image.view.selectRow(1)  # "half", the second worst
    opened = [layer.metadata["napari-seg-eval"] for layer in viewer.layers if layer.metadata]
    assert {(tag["pair"], tag["side"]) for tag in opened} == {
        ("half", "image"),
        ("half", "truth"),
        ("half", "prediction"),
    }


def test_cancel_drops_the_run(qtbot, panel):
    _, _, dataset, _ = panel
    emitted = []
    dataset.evaluated_dataset.connect(emitted.append)
    with qtbot.waitSignal(dataset.job.finished, timeout=60_000):
        dataset.run()
        dataset.cancel()
    assert emitted == [] and dataset.result is None
    assert dataset.per_image.model.rowCount() == 0 and dataset.status_label.text() == "Cancelled."


# ------------------------------------------------------------------ the tab's settings
def edge_and_wide():
    """Two pairs whose numbers are worked out by hand in the tests below.

    'edge': truth object 1 touches the image edge ([0:5, 0:5]) and is not predicted; object 2
    ([10:16, 10:16]) is predicted exactly (as id 7). 'wide': truth [2:8, 2:8] (36 px), the
    prediction [2:8, 2:16] (84 px) holds all of it: IoU 36/84 = 3/7 < 0.5, but intersection
    over truth 1 > 0.5."""
    edge = np.zeros((20, 20), np.uint16)
    edge[0:5, 0:5] = 1
    edge[10:16, 10:16] = 2
    edge_pred = np.zeros_like(edge)
    edge_pred[10:16, 10:16] = 7
    wide = np.zeros_like(edge)
    wide[2:8, 2:8] = 1
    wide_pred = np.zeros_like(edge)
    wide_pred[2:8, 2:16] = 1
    return {"edge": (edge, edge_pred), "wide": (wide, wide_pred)}


@pytest.fixture
def two_pairs(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for name, (true, prediction) in edge_and_wide().items():
        tifffile.imwrite(truth / f"{name}.tif", true)
        tifffile.imwrite(pred / f"{name}_pred.tif", prediction)
    return truth, pred


@pytest.fixture
def settings_panel(make_napari_viewer, two_pairs):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    truth, pred = two_pairs
    widget.dataset.set_suffixes(prediction="_pred")
    widget.dataset.set_folders(truth=truth, prediction=pred)
    return widget.dataset


def run_and_compare(dataset, truth, pred, **settings):
    """The tab's run, checked equal to evaluate_files with the same settings from Python."""
    from napari_seg_eval.io import evaluate_files

    shown = dataset.run(wait=True)
    assert shown is not None, dataset.status_label.text()
    expected = evaluate_files(
        truth, pred, prediction_suffix="_pred", confidence_interval=0.95, **settings
    )
    pd.testing.assert_frame_equal(shown.per_image, expected.per_image)
    pd.testing.assert_series_equal(shown.summary, expected.summary)
    assert shown.settings == expected.settings
    return shown.per_image.set_index("name")


def test_exclude_border_removes_the_edge_object(settings_panel, two_pairs):
    dataset = settings_panel
    dataset.set_options(iou_thresholds=[0.5])
    rows = run_and_compare(dataset, *two_pairs, iou_thresholds=[0.5])
    # edge: 2 true, 1 found: TP 1, FN 1 -> F1 = 2/(2 + 1) = 2/3.
    assert rows.loc["edge", ["n_true", "f1_50"]].tolist() == pytest.approx([2, 2 / 3])
    dataset.set_options(exclude_border=2)
    assert dataset.options.text() == "Options: border 2 px"  # seen with the group collapsed
    rows = run_and_compare(dataset, *two_pairs, iou_thresholds=[0.5], exclude_border=2)
    # The edge object is gone from the truth: TP 1, FN 0 -> F1 1. 'wide' is 2 px from the edge.
    assert rows.loc["edge", ["n_true", "f1_50"]].tolist() == [1, 1.0]
    assert rows.loc["wide", ["n_true", "f1_50"]].tolist() == [1, 0.0]


def test_criterion_iot_matches_the_wide_prediction(settings_panel, two_pairs):
    dataset = settings_panel
    dataset.set_options(iou_thresholds="0.5", criterion="iot")
    rows = run_and_compare(dataset, *two_pairs, iou_thresholds=[0.5], criterion="iot")
    # IoU 3/7 < 0.5 would not match; |T ∩ P| / |T| = 1 > 0.5 does: TP 1 -> F1 1.
    assert rows.loc["wide", "f1_50"] == 1.0
    dataset.set_options(criterion="iou")
    rows = run_and_compare(dataset, *two_pairs, iou_thresholds=[0.5])
    assert rows.loc["wide", "f1_50"] == 0.0


def test_ignore_label_binarize_and_kind(settings_panel, two_pairs):
    dataset = settings_panel
    dataset.set_options(ignore_label=1, iou_thresholds=[0.5], kind="all", binarize_semantic=False)
    rows = run_and_compare(
        dataset,
        *two_pairs,
        ignore_label=1,
        iou_thresholds=[0.5],
        kind="all",
        binarize_semantic=False,
    )
    # edge: truth id 1's pixels are left out: one true object, found -> F1 1.
    assert rows.loc["edge", ["n_true", "f1_50"]].tolist() == [1, 1.0]
    assert "mean_iou" in rows  # semantic columns too


def test_boundary_in_the_units_of_the_spacing(settings_panel, two_pairs):
    dataset = settings_panel
    dataset.set_options(boundary=True, spacing=0.5, tolerance=2.0)
    rows = run_and_compare(dataset, *two_pairs, boundary=True, spacing=0.5, tolerance=2.0)
    # wide: the prediction's right edge (column 15) is 8 px from the truth's boundary (column
    # 7), the farthest point either way: HD = 8 px x 0.5 = 4.
    assert rows.loc["wide", "mean_hd"] == pytest.approx(4.0)
    shown = dataset.per_image.model.frame
    assert "mean_hd" in shown and "object_mean_hd" in shown
    summary = dataset.summary.model.frame.set_index("metric")
    assert summary.loc["mean HD", "pooled"] == ""  # not additive: image mean only
    assert summary.loc["mean HD", "image mean"] != ""


def test_ctc_preset_shows_seg_and_det_and_ranks_by_seg(qtbot, settings_panel, two_pairs):
    dataset = settings_panel
    dataset.set_preset("ctc")
    assert dataset.criterion_combo.currentData() == "iot" and dataset.iou_edit.text() == "0.5"
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000):
        dataset.run()
    result = dataset.result
    from napari_seg_eval.io import evaluate_files

    expected = evaluate_files(
        *two_pairs, prediction_suffix="_pred", preset="ctc", confidence_interval=0.95
    )
    pd.testing.assert_frame_equal(result.per_image, expected.per_image)
    # SEG by hand: edge (0 + 1) / 2; wide 36/84 = 3/7; pooled over the 3 true objects 10/21.
    # DET pooled: one FN, AOGM-D 10 of AOGM-D0 30 -> 2/3.
    assert result.summary["seg_pooled"] == pytest.approx(10 / 21)
    assert result.summary["det_pooled"] == pytest.approx(2 / 3)
    frame = dataset.per_image.model.frame
    assert frame["name"].tolist() == ["wide", "edge"]  # SEG 3/7 first, not accuracy (1 vs 0.5)
    summary = dataset.summary.model.frame
    assert summary["metric"].tolist()[:2] == ["SEG", "DET"]  # the challenge's numbers first
    status = dataset.status_label.text()
    assert "Cell Tracking Challenge: SEG (pooled) = 0.4762" in status


def test_neurips_preset_shows_the_image_median(settings_panel, two_pairs):
    dataset = settings_panel
    dataset.set_options(preset="neurips2022")
    rows = run_and_compare(dataset, *two_pairs, preset="neurips2022")
    assert rows["f1_50"].tolist() == [1.0, 0.0]  # border removed in edge, as by hand above
    summary = dataset.summary.model.frame.set_index("metric")
    assert list(summary.columns) == ["pooled", "image mean", "image median"]
    assert summary.loc["F1 @ 0.5", "image median"] == "0.5000"  # median of 1 and 0


def test_preset_sets_the_controls_and_editing_one_leaves_it(qtbot, settings_panel):
    dataset = settings_panel
    dataset.set_options(kind="all")
    dataset.set_preset("neurips2022")
    assert dataset.kind_combo.currentText() == "instance"
    assert dataset.iou_edit.text() == "0.5" and dataset.border_spin.value() == 2
    assert dataset.criterion_combo.currentData() == "iou"
    assert "exclude border 2 px" in dataset.preset_label.text()
    assert dataset.settings()["preset"] == "neurips2022"
    assert dataset.options.text() == "Options: border 2 px"
    dataset.border_spin.setValue(3)  # by hand
    assert dataset.preset_combo.currentData() is None and dataset.preset_label.text() == ""
    assert dataset.settings()["exclude_border"] == 3 and "preset" not in dataset.settings()

    dataset.set_preset("dsb2018")
    assert dataset.border_spin.value() == 0 and dataset.iou_edit.text() == "0.5:0.95:0.05"
    qtbot.keyClicks(dataset.iou_edit, "5")  # typed: 0.5:0.95:0.055
    assert dataset.preset_combo.currentData() is None

    dataset.set_preset("ctc")
    dataset.kind_combo.setCurrentText("semantic")
    dataset.kind_combo.activated.emit(1)  # as when chosen by hand
    assert dataset.preset_combo.currentData() is None

    dataset.set_preset("ctc")
    dataset.set_options(boundary=True, ignore_label=0)  # not the preset's: it stays
    assert dataset.preset_combo.currentData() == "ctc"
    dataset.set_options(preset="ctc", exclude_border=1)  # one of its own: it is left
    assert dataset.preset_combo.currentData() is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "coco"}, 'tick "predictions are probability maps"'),
        ({"preset": "conic"}, "needs class images of both sides"),
        ({"truth_classes_suffix": "_classes"}, "give both"),
        ({"boundary": True, "spacing": "half"}, "spacing 'half'"),
        ({"boundary": True, "spacing": (0.5, -1)}, "spacing must be positive"),
        ({"iou_thresholds": "0.5:x"}, "IoU thresholds '0.5:x'"),
        (
            {"kind": "semantic", "truth_classes_suffix": "_c", "prediction_classes_suffix": "_c"},
            "class images are for instance metrics",
        ),
    ],
)
def test_a_bad_combination_says_why_and_starts_nothing(settings_panel, errors, options, message):
    dataset = settings_panel
    first = dataset.run(wait=True)
    table = dataset.per_image.model.frame.copy()
    dataset.set_options(**options)
    assert dataset.run() is None
    assert not dataset.job.running and dataset.result is first
    assert message in dataset.status_label.text()
    assert len(errors) == 1 and message in errors[0]
    pd.testing.assert_frame_equal(dataset.per_image.model.frame, table)


def test_the_preset_says_what_it_needs(settings_panel):
    dataset = settings_panel
    for index in range(dataset.preset_combo.count()):
        name = dataset.preset_combo.itemData(index)
        tip = dataset.preset_combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
        assert (tip is None) == (name is None)
    conic = dataset.preset_combo.findData("conic")
    assert "class suffixes" in dataset.preset_combo.itemData(conic, Qt.ItemDataRole.ToolTipRole)
    dataset.set_preset("coco")
    assert "probability maps" in dataset.preset_label.text()


@pytest.fixture
def class_folders(two_pairs):
    """Class images beside both sides of each pair, and a region mask beside each truth."""
    truth, pred = two_pairs
    for name, (true, prediction) in edge_and_wide().items():
        tifffile.imwrite(truth / f"{name}_classes.tif", (true > 0).astype(np.uint8))
        tifffile.imwrite(pred / f"{name}_classes.tif", (prediction > 0).astype(np.uint8))
        region = np.zeros(true.shape, np.uint8)
        region[8:, :] = 1  # rows 8 and below: the edge object is outside
        tifffile.imwrite(truth / f"{name}_region.tif", region)
    return truth, pred


def test_class_images_and_regions_found_by_suffix(settings_panel, class_folders):
    dataset = settings_panel
    dataset.find_pairs()
    assert "edge_classes.tif" in dataset.pairs_text.toPlainText()  # left out, unasked for
    dataset.set_options(
        preset="conic", truth_classes_suffix="_classes", prediction_classes_suffix="_classes"
    )
    text = dataset.pairs_text.toPlainText()
    assert text.startswith("2 pair(s)") and "_classes.tif" not in text
    run_and_compare(
        dataset,
        *class_folders,
        preset="conic",
        truth_classes_suffix="_classes",
        prediction_classes_suffix="_classes",
    )
    assert "CoNIC 2022: class mean PQ @ 0.5 (pooled)" in dataset.status_label.text()

    dataset.set_options(
        preset=None,
        iou_thresholds=[0.5],
        truth_classes_suffix=None,
        prediction_classes_suffix=None,
        region_suffix="_region",
    )
    assert "_region.tif" not in dataset.pairs_text.toPlainText()
    rows = run_and_compare(dataset, *class_folders, iou_thresholds=[0.5], region_suffix="_region")
    # Only rows 8 and below count: edge keeps object 2, found -> F1 1; wide has no truth left.
    assert rows.loc["edge", ["n_true", "f1_50"]].tolist() == [1, 1.0]
    assert rows.loc["wide", "n_true"] == 0
    dataset.set_options(region_suffix="_mask")  # no such files: said before the run
    text = dataset.pairs_text.toPlainText()
    assert "2 class or region file(s) not found (those pairs fail):" in text
    assert "edge: no region mask edge_mask.*" in text


def test_coco_preset_ranks_objects_of_probability_maps(settings_panel, tmp_path):
    dataset = settings_panel
    truth, pred = tmp_path / "coco_truth", tmp_path / "coco_pred"
    truth.mkdir()
    pred.mkdir()
    true = np.zeros((20, 20), np.uint16)
    true[2:8, 2:8] = 1
    true[10:16, 10:16] = 2
    probability = np.zeros((20, 20), np.float32)
    probability[10:16, 10:16] = 0.9  # object 2, found exactly, scored 0.9
    probability[2:8, 12:18] = 0.6  # a false object, scored 0.6; object 1 is missed
    tifffile.imwrite(truth / "img.tif", true)
    tifffile.imwrite(pred / "img_pred.tif", probability)
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(preset="coco", probability=True)
    assert dataset.kind_combo.currentText() == "instance"
    assert dataset.iou_edit.text() == "0.5:0.95:0.05"
    run_and_compare(dataset, truth, pred, preset="coco", probability=True)
    # Ranked: a hit, then a miss, of 2 true objects: precision 1 up to recall 1/2, then no
    # more recall; 51 of the 101 recall points have precision 1, at every IoU threshold.
    assert dataset.result.summary["map_pooled"] == pytest.approx(51 / 101)
    assert "COCO mask AP: COCO mAP (pooled) = 0.5050" in dataset.status_label.text()


def test_the_headers_class_axis_is_for_probability_maps_only(settings_panel, two_pairs):
    """Regression: with a class axis chosen in the header for a probability layer, label
    folders were refused ("channel_axis is for probability maps")."""
    dataset = settings_panel
    widget, viewer = dataset.owner, dataset.viewer
    viewer.add_image(np.full((3, 20, 20), 1 / 3, np.float32), name="classes")
    widget.set_probability_layer("classes")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    assert widget.threshold_options().channel_axis == 0
    assert dataset.settings()["channel_axis"] is None
    run_and_compare(dataset, *two_pairs)
