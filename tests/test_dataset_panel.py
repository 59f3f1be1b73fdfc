"""Issue 11: the Dataset tab on small TIFF folders written here (pairs, run, sort, open, cancel)."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("napari")
from qtpy.QtCore import QRect, Qt
from qtpy.QtGui import QImage, QPainter, QPixmap
from qtpy.QtWidgets import QApplication

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


@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_opening_a_labels_pair_never_makes_its_image_the_probability_layer(
    make_napari_viewer, folders, dtype
):
    """Regression: opening a pair whose prediction is a labels file switched the header's
    probability layer to the pair's raw image (raw microscopy, or a normalised float image
    with values in [0, 1] like a probability map's)."""
    truth, pred, images = folders
    raw = np.linspace(0, 1 if dtype == np.float32 else 4000, 400).reshape(20, 20).astype(dtype)
    for name in ("good", "half", "none"):
        tifffile.imwrite(images / f"{name}.tif", raw)
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.dataset.set_suffixes(prediction="_pred")
    widget.dataset.set_folders(truth=truth, prediction=pred, image=images)
    widget.dataset.run(wait=True)
    opened = widget.dataset.open_image("half", wait=True)
    assert opened["image"].data.dtype == dtype
    assert widget.probability_combo.layer() is None
    widget.dataset.open_image("good", wait=True)  # the next pair: still none
    assert widget.probability_combo.layer() is None
    assert widget.evaluate.truth_combo.layer().name == "good truth"


def test_a_folder_of_none_is_an_empty_box(panel):
    """Regression: ``set_folders(image=None)`` put the text "None" in the Images box."""
    _, _, dataset, _ = panel
    assert dataset.folders["image"][0].text() != ""
    dataset.set_folders(image=None)
    assert dataset.folders["image"][0].text() == ""
    assert dataset.find_pairs() is not None and dataset.pairing.names == ["good", "half", "none"]
    dataset.set_folders(truth=None)
    assert dataset.folders["truth"][0].text() == "" and dataset.pairing is None
    assert dataset.pairs_text.toPlainText().startswith("Choose a ground-truth folder")
    with pytest.raises(ValueError, match="no folder side 'images'"):
        dataset.set_folders(images="x", prediction=None)
    assert dataset.folders["prediction"][0].text() != ""  # nothing changed


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


def test_sorting_keeps_the_opened_pair_selected_and_opens_nothing(qtbot, panel, monkeypatch):
    _, _, dataset, _ = panel
    dataset.run(wait=True)
    with qtbot.waitSignal(dataset.open_job.finished, timeout=60_000):
        dataset.per_image.view.selectRow(0)  # "none", the worst
    opened = []
    monkeypatch.setattr(dataset, "open_image", lambda name, **kw: opened.append(name))
    view, model = dataset.per_image.view, dataset.per_image.model
    name = model.frame.columns.get_loc("name")
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        view.sortByColumn(name, order)  # by name: "none" moves to the last row, then the first
        current = view.selectionModel().currentIndex()
        selected = [index.row() for index in view.selectionModel().selectedRows()]
        assert model.frame["name"].iloc[current.row()] == "none"
        assert [model.frame["name"].iloc[row] for row in selected] == ["none"]
    assert opened == []  # the pair shown is still the one selected: nothing to open again


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
    dataset.boundary_check.setChecked(True)
    dataset.spacing_edit.setText("0.5")
    assert dataset.options.text() == "Options: border 2 px, boundary τ 1, spacing 0.5"
    dataset.boundary_check.setChecked(False)
    dataset.spacing_edit.setText("")
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


def test_boundary_in_the_pixel_size_of_the_files(settings_panel, two_pairs):
    """spacing 'file': each pair's pixel size from its files (ImageJ TIFFs of 0.5 µm)."""
    dataset = settings_panel
    for folder in two_pairs:
        for path in folder.glob("*.tif"):
            image = tifffile.imread(path)
            tifffile.imwrite(
                path, image, imagej=True, resolution=(2.0, 2.0), metadata={"unit": "um"}
            )
    dataset.set_options(boundary=True, spacing="file", tolerance=2.0)
    assert dataset.spacing_edit.text() == "file"
    rows = run_and_compare(dataset, *two_pairs, boundary=True, spacing="file", tolerance=2.0)
    # As in the test below: 8 px x 0.5 µm = 4 µm, now read from the files.
    assert rows.loc["wide", "mean_hd"] == pytest.approx(4.0)
    assert rows["spacing"].tolist() == ["0.5,0.5", "0.5,0.5"]
    assert rows["spacing_unit"].tolist() == ["µm", "µm"]
    assert "each pair's units from its files" in dataset.per_image.model.note


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


@pytest.mark.parametrize(
    "settings",
    [
        {"region": "left.tif"},
        {"preset": "neurips2022", "probability": True, "region": "left.tif"},
        {"kind": "all", "ignore_label": 0, "boundary": True, "spacing": "file"},
    ],
)
def test_the_tab_checks_settings_as_the_run_does(tmp_path, monkeypatch, settings):
    # The tab's settings are the run's (file_settings): a region given by a relative path is
    # recorded as the absolute path, as evaluate_files records it.
    from pathlib import Path

    from napari_seg_eval._qt.dataset_panel import check_settings
    from napari_seg_eval.io.evaluate import file_settings

    monkeypatch.chdir(tmp_path)
    checked = check_settings(settings)
    assert checked == file_settings(**settings)
    if "region" in settings:
        assert checked.region == str(tmp_path.resolve() / "left.tif")
        assert Path(checked.region).is_absolute()


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
    assert "2 pair(s) whose class or region file was not found, or found more than once" in text
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


# ------------------------------------------------- the pair opened, the table, the settings
@pytest.fixture
def probability_panel(make_napari_viewer, tmp_path):
    """Two pairs whose predictions are probability maps (0.9 on object 1, 0 elsewhere), with
    an image and a probability folder; a user's layer is in the viewer first."""
    truth, pred, images, maps = (tmp_path / name for name in ("truth", "pred", "images", "maps"))
    for folder in (truth, pred, images, maps):
        folder.mkdir()
    probability = np.zeros((20, 20), np.float32)
    probability[2:8, 2:8] = 0.9
    for name in ("a", "b"):
        tifffile.imwrite(truth / f"{name}.tif", truth_image())
        tifffile.imwrite(pred / f"{name}_pred.tif", probability)
        tifffile.imwrite(maps / f"{name}.tif", probability)
        tifffile.imwrite(images / f"{name}.tif", np.full((20, 20), 7, np.uint8))
    viewer = make_napari_viewer()
    mine = viewer.add_labels(np.zeros((20, 20), np.uint8), name="mine")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    dataset = widget.dataset
    dataset.set_suffixes(prediction="_pred")
    dataset.set_folders(truth=truth, prediction=pred, image=images, probability=maps)
    dataset.set_options(probability=True, iou_thresholds=[0.5])
    assert dataset.run(wait=True) is not None, dataset.status_label.text()
    return viewer, widget, dataset, mine


def test_a_probability_prediction_is_stacked_under_the_labels(probability_panel):
    """Regression: the prediction map was added last, on top of the truth, hiding it."""
    from napari_seg_eval._colormap import confidence_colormap

    viewer, widget, dataset, _ = probability_panel
    opened = dataset.open_image("a", wait=True)
    assert [layer.name for layer in viewer.layers] == [
        "mine",
        "a image",  # the image at the bottom
        "a probability",  # then the maps, translucent, in the confidence colormap
        "a prediction",
        "a probability contour",  # the threshold's outline of each map (the Confidence tab's)
        "a prediction contour",
        "a truth",  # the labels on top
    ]
    colours = confidence_colormap(0.5).colors
    for side in ("probability", "prediction"):
        layer = opened[side]
        np.testing.assert_allclose(layer.colormap.colors, colours)
        assert tuple(layer.contrast_limits) == (0.0, 1.0) and layer.blending == "translucent"
    assert widget.probability_combo.layer() is opened["prediction"]
    assert widget.evaluate.prediction_combo.layer() is opened["prediction"]


def test_a_pair_is_added_in_its_stacking_order_without_moves(probability_panel):
    """Each move of a layer makes every layer chooser of the dock list the layers again: the
    pair's layers are added where they belong, none is moved."""
    viewer, _, dataset, _ = probability_panel
    moves = []
    viewer.layers.events.reordered.connect(moves.append)
    opened = dataset.open_image("b", wait=True)
    assert list(opened) == ["image", "probability", "prediction", "truth"]
    assert [layer.name for layer in viewer.layers][1:] == [
        "b image",
        "b probability",
        "b prediction",
        "b probability contour",
        "b prediction contour",
        "b truth",
    ]
    assert moves == []


def test_the_next_pair_removes_every_layer_made_for_the_previous(probability_panel):
    """Regression: the threshold preview (and the other layers the plugin derives from a
    pair's map) outlived the pair."""
    from napari_seg_eval._napari.layers import is_ours

    viewer, widget, dataset, _ = probability_panel
    dataset.open_image("a", wait=True)
    widget.update_threshold_layer(wait=True)  # "a prediction thresholded"
    widget.run_evaluation(wait=True)  # "a prediction evaluated"
    widget.review.show_errors(wait=True)  # the errors layer of the evaluated labels
    made = {layer.name for layer in viewer.layers} - {"mine"}
    assert {"a prediction thresholded", "a prediction evaluated"} < made
    assert any(name.endswith("errors") for name in made)
    kept = viewer.layers["a prediction contour"]
    kept.name = "my contour"  # renamed by the user: theirs now
    second = viewer.add_labels(np.zeros((20, 20), np.uint8), name="b truth")  # the user's
    dataset.open_image("b", wait=True)
    names = [layer.name for layer in viewer.layers]
    assert [name for name in names if name.startswith("a ")] == []
    assert names[:3] == ["mine", "my contour", "b truth"]
    assert not is_ours(kept) and second.data.max() == 0
    assert names.count("b prediction contour") == 1
    dataset.open_image("a", wait=True)  # the layers made for "b" go too
    assert [layer.name for layer in viewer.layers if layer.name.startswith("b ")] == ["b truth"]


def test_the_suffix_boxes_show_long_suffixes(settings_panel):
    """Regression: the suffix boxes were a quarter of the row, cutting `_cp_masks` off."""
    dataset = settings_panel
    long = "_prediction_probabilities"
    dataset.set_suffixes(truth="_masks", prediction=long)
    dataset.resize(dataset.minimumSizeHint())
    dataset.layout().activate()
    for edit, text in ((dataset.suffixes["prediction"], long), (dataset.suffixes["image"], "")):
        metrics = edit.fontMetrics()
        room = edit.contentsRect().width() - edit.textMargins().left() - edit.textMargins().right()
        assert room >= metrics.horizontalAdvance(text or "_cp_masks")
    assert dataset.suffixes["prediction"].width() > dataset.suffixes["image"].width()


def test_the_pairs_box_is_as_tall_as_its_text(settings_panel, tmp_path):
    """Regression: the box was 90 px tall for one line ("2 pair(s) of files."), pushing the
    tables down; a list of files left out still scrolls past five lines."""
    from napari_seg_eval._qt.dataset_panel import PAIRS_MAX_LINES

    dataset = settings_panel
    box = dataset.pairs_text
    line = box.fontMetrics().lineSpacing()
    assert box.toPlainText() == "2 pair(s) of files."
    two_lines = box.maximumHeight()
    assert 2 * line < two_lines < 3 * line + 20  # two lines, the margins and the frame
    extra = tmp_path / "extra"
    extra.mkdir()
    for index in range(8):
        tifffile.imwrite(extra / f"lonely{index}.tif", truth_image())
    dataset.set_folders(truth=extra)  # nothing pairs: a line per file left out
    assert box.document().blockCount() > PAIRS_MAX_LINES
    assert box.maximumHeight() == two_lines + (PAIRS_MAX_LINES - 2) * line


def test_results_are_marked_out_of_date_when_a_setting_changes(qtbot, settings_panel):
    """Regression: after a run, changing the settings left the results shown as if current."""
    dataset = settings_panel
    dataset.set_options(iou_thresholds=[0.5])
    dataset.run(wait=True)
    rows = dataset.per_image.model.frame.copy()
    assert dataset.stale == "" and dataset.stale_label.isHidden()
    dataset.owner.set_threshold(0.7)  # labels are not thresholded: nothing changed
    assert dataset.stale == ""
    dataset.set_options(exclude_border=2)
    assert dataset.stale == "settings changed since this run: exclude border"
    assert not dataset.stale_label.isHidden()
    assert dataset.stale_label.text().endswith("The tables show the last run; press Run to update.")
    assert "rgb(230, 159, 0)" in dataset.per_image.view.styleSheet()  # the table is marked
    pd.testing.assert_frame_equal(dataset.per_image.model.frame, rows)  # and keeps its rows
    dataset.set_options(exclude_border=0)  # back as it was run: current again
    assert dataset.stale == "" and dataset.per_image.view.styleSheet() == ""
    dataset.set_preset("dsb2018")
    assert dataset.stale == "settings changed since this run: preset"
    dataset.set_preset(None)
    dataset.set_options(iou_thresholds=[0.5], boundary=True)  # τ and spacing shown, not named
    assert dataset.stale == "settings changed since this run: boundary metrics"
    dataset.set_options(boundary=False, kind="all", ignore_label=3)
    assert dataset.stale == "settings changed since this run: Evaluate, ignore label"
    dataset.set_preset(None)
    dataset.set_suffixes(prediction="_nothing")
    assert "the pairs of files" in dataset.stale
    dataset.set_suffixes(prediction="_pred")
    dataset.iou_edit.setText("0.5:x")  # being typed
    assert dataset.stale == "settings changed since this run: settings Run would refuse"
    dataset.set_options(iou_thresholds=[0.5, 0.75])
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000):
        dataset.run()
    assert dataset.stale == "" and dataset.stale_label.isHidden()


def test_the_out_of_date_look_is_the_shared_one(settings_panel):
    """The tab marks stale results with the one look every tab imports from tables.py."""
    from napari_seg_eval._qt.tables import STALE_STYLE, STALE_TABLE_STYLE

    dataset = settings_panel
    dataset.set_options(iou_thresholds=[0.5])
    dataset.run(wait=True)
    dataset.set_options(exclude_border=2)
    assert dataset.stale_label.styleSheet() == STALE_STYLE
    for table in (dataset.summary, dataset.per_image):
        assert table.view.styleSheet() == STALE_TABLE_STYLE
    dataset.set_options(exclude_border=0)
    assert [t.view.styleSheet() for t in (dataset.summary, dataset.per_image)] == ["", ""]


def test_a_probability_run_is_out_of_date_when_the_threshold_moves(probability_panel):
    _, widget, dataset, _ = probability_panel
    assert dataset.stale == ""
    widget.set_threshold(0.95)  # the maps' 0.9 is no longer foreground
    assert dataset.stale == "settings changed since this run: threshold"
    widget.set_threshold(0.5)
    assert dataset.stale == ""


def visual_columns(table) -> list[str]:
    header = table.view.horizontalHeader()
    columns = table.model.frame.columns
    return [columns[header.logicalIndex(i)] for i in range(len(columns))]


def test_the_presets_numbers_are_the_first_columns(settings_panel):
    """Regression: with a preset, its number was lost among the per-image columns."""
    dataset = settings_panel
    dataset.set_preset("ctc")
    dataset.run(wait=True)
    assert visual_columns(dataset.per_image)[:3] == ["name", "seg", "det"]
    dataset.set_preset("neurips2022")
    dataset.run(wait=True)
    assert visual_columns(dataset.per_image)[:2] == ["name", "f1_50"]
    dataset.set_preset(None)
    dataset.set_options(iou_thresholds=[0.5])
    dataset.run(wait=True)  # no preset: the catalogue's order again
    assert visual_columns(dataset.per_image) == list(dataset.per_image.model.frame.columns)
    assert visual_columns(dataset.per_image)[:2] == ["name", "mean_accuracy"]
    assert visual_columns(dataset.per_image)[-1] == "error"  # a long message hid the numbers


@pytest.fixture
def cellpose_folder(tmp_path):
    """Cellpose's layout: img1.tif, img1_masks.tif, img1_cp_masks.tif (and img2) together."""
    folder = tmp_path / "cellpose"
    folder.mkdir()
    for name in ("img1", "img2"):
        tifffile.imwrite(folder / f"{name}.tif", np.full((20, 20), 7, np.uint8))
        tifffile.imwrite(folder / f"{name}_masks.tif", truth_image())
        tifffile.imwrite(folder / f"{name}_cp_masks.tif", truth_image())
    return folder


def test_images_beside_the_truth_are_not_listed_as_left_out(settings_panel, cellpose_folder):
    """Regression: with the image folder the truth's, the images were listed as "not used"
    (or as ground truth without a prediction)."""
    dataset = settings_panel
    folder = cellpose_folder
    dataset.set_suffixes(truth="_masks", prediction="_cp_masks")
    dataset.set_folders(truth=folder, prediction=folder, image=folder)
    text = dataset.pairs_text.toPlainText()
    assert text.startswith("2 pair(s) of files.\n2 image")
    assert "without" not in text and "not used" not in text and "img1.tif" not in text
    assert dataset.run(wait=True).per_image["mean_accuracy"].tolist() == [1.0, 1.0]
    assert dataset.open_image("img1", wait=True)["image"].data.max() == 7


def test_images_with_the_truths_folder_and_suffix_are_refused(settings_panel, cellpose_folder):
    """The images and the truth in one folder with one suffix: the images would be paired as
    ground truth (img1.tif with img1_cp_masks.tif)."""
    dataset = settings_panel
    folder = cellpose_folder
    dataset.set_suffixes(truth="", prediction="_cp_masks")
    dataset.set_folders(truth=folder, prediction=folder, image=folder)
    assert dataset.pairing is None
    assert "the images and the ground truth are both in" in dataset.pairs_text.toPlainText()
    dataset.set_suffixes(image="_img")  # told apart: img1.tif is the truth, none are images
    assert dataset.pairing is not None and dataset.pairing.names == ["img1", "img2"]


def test_images_with_a_suffix_beside_the_truth_are_not_truth(settings_panel, tmp_path):
    """Images named by a suffix (a_img.tif) in the truth's folder (truths a.tif): they were
    listed as ground truth without a prediction."""
    dataset = settings_panel
    truth, pred = tmp_path / "both", tmp_path / "predictions"
    truth.mkdir()
    pred.mkdir()
    tifffile.imwrite(truth / "a.tif", truth_image())
    tifffile.imwrite(truth / "a_img.tif", np.full((20, 20), 7, np.uint8))
    tifffile.imwrite(truth / "lonely.tif", truth_image())
    tifffile.imwrite(pred / "a_pred.tif", truth_image())
    dataset.set_suffixes(image="_img")
    dataset.set_folders(truth=truth, prediction=pred, image=truth)
    assert dataset.pairs_text.toPlainText() == (
        f"1 pair(s) of files.\n1 ground truth without a prediction:\n  {truth / 'lonely.tif'}\n"
        "1 image or probability file(s) named as the pairs, shown when a pair is opened."
    )


def test_copy_and_export_give_the_columns_and_rows_shown(settings_panel, tmp_path):
    """Regression: the preset's numbers were shown second (the header's order) but copied
    and exported in the table's own order, after the failed-pair column and the counts."""
    dataset = settings_panel
    dataset.set_preset("ctc")
    dataset.run(wait=True)
    table = dataset.per_image
    shown = visual_columns(table)
    assert shown[:3] == ["name", "seg", "det"]
    # A click on the SEG header, twice: highest first. By hand (CTC): 'edge' SEG (0 + 1) / 2,
    # DET 1 - 10 FN / (10 x 2 true) = 0.5; 'wide' SEG = IoU 36 / 84 = 3/7, DET 1.
    header = table.view.horizontalHeader()
    seg = list(table.model.frame.columns).index("seg")
    table.view.sortByColumn(seg, Qt.SortOrder.DescendingOrder)
    assert header.sortIndicatorSection() == seg
    text = table.copy()  # nothing selected: the whole table
    lines = [line.split("\t") for line in text.splitlines()]
    assert lines[0][:3] == ["name", "SEG", "DET"] and len(lines[0]) == len(shown)  # as shown
    assert [row[:3] for row in lines[1:]] == [["edge", "0.5", "0.5"], ["wide", str(3 / 7), "1.0"]]
    exported = pd.read_csv(table.export_csv(tmp_path / "per_image.csv"))
    assert list(exported.columns) == shown
    assert exported["name"].tolist() == ["edge", "wide"]
    np.testing.assert_allclose(exported[["seg", "det"]].to_numpy(), [[0.5, 0.5], [3 / 7, 1.0]])
    # A selection of cells (DET and name of the second row shown): in the order shown too.
    det = list(table.model.frame.columns).index("det")
    select = table.view.selectionModel()
    for column in (det, list(table.model.frame.columns).index("name")):
        select.select(table.model.index(1, column), select.SelectionFlag.Select)
    assert table.copy() == "name\tDET\nwide\t1.0\n"


def test_a_long_error_message_does_not_push_the_numbers_out_of_sight(qtbot):
    """Regression: a failed pair's error column was sized to its 300-character message, and
    the other images' metrics were out of the view: the column is capped, the whole message
    is in the cell's tooltip."""
    from napari_seg_eval._qt.tables import MAX_COLUMN_WIDTH, ResultTable

    message = "shapes differ: " + "truth/very_long_folder_name/" * 10 + "img5_masks.tif"
    frame = pd.DataFrame(
        {"name": ["img1", "img5"], "error": ["", message], "f1_50": [0.75, np.nan]}
    )
    table = ResultTable("per image", "dataset.per_image")
    qtbot.addWidget(table)
    table.set_frame(frame)
    columns = table.model.frame.columns.tolist()
    error = columns.index("error")
    assert table.view.columnWidth(error) == MAX_COLUMN_WIDTH
    tip = table.model.data(table.model.index(1, error), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(message)
    assert table.view.columnWidth(columns.index("f1_50")) < MAX_COLUMN_WIDTH
    table.set_frame(frame, last=["error"])  # as the Dataset tab shows it: numbers first
    assert table.model.frame.columns.tolist() == ["name", "f1_50", "error"]


# ------------------------------------------------------------------ layout (a new user's trial)
def test_the_tab_is_laid_out_without_gaps_and_in_columns(make_napari_viewer, tmp_path):
    """Regression: an empty row under the preset, folder boxes of uneven widths (the suffix
    boxes' placeholders differ), a pairs list 3-4 lines tall, and the collapsed Options
    showing ▲."""
    viewer = make_napari_viewer(show=True)
    viewer.window._qt_window.resize(1500, 1000)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    dataset = widget.dataset
    widget.tabs.setCurrentWidget(dataset)
    QApplication.processEvents()
    # The preset's note takes no row until there is something to say.
    assert dataset.preset_label.isHidden()
    dataset.set_preset("neurips2022")
    assert not dataset.preset_label.isHidden()
    dataset.set_preset(None)
    assert dataset.preset_label.isHidden()
    # The four folder boxes (and the suffix boxes beside them) are as wide as each other.
    QApplication.processEvents()
    widths = {side: edit.width() for side, (edit, _) in dataset.folders.items()}
    assert len(set(widths.values())) == 1, widths
    assert len({edit.width() for edit in dataset.suffixes.values()}) == 1
    # Twelve lines of pairs: the box shows ten of them before it scrolls.
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for index in range(12):
        tifffile.imwrite(truth / f"lonely{index:02d}.tif", truth_image())
    dataset.set_folders(truth=truth, prediction=pred)
    box = dataset.pairs_text
    assert box.document().blockCount() >= 12
    assert box.maximumHeight() >= 10 * box.fontMetrics().lineSpacing()
    box.setPlainText("3 pair(s) of files.\n1 ground truth without a prediction:\n  a.tif")
    QApplication.processEvents()
    assert box.verticalScrollBar().maximum() == 0  # three lines: no scrolling
    # A disclosure: ▶ while collapsed, ▼ when open.
    options = dataset.options

    def shows(symbol):
        """Whether the toggle's icon is ``symbol`` (drawn as superqt draws it: text in a
        square pixmap; compared by shape, whatever the theme's colour)."""
        icon = options.toggleButton().icon()
        side = icon.availableSizes()[0].width()
        drawn = QPixmap(side, side)
        drawn.fill(Qt.GlobalColor.transparent)
        painter = QPainter(drawn)
        painter.drawText(QRect(0, 0, side, side), Qt.AlignmentFlag.AlignCenter, symbol)
        painter.end()
        shapes = [
            image.toImage().convertToFormat(QImage.Format.Format_Alpha8)
            for image in (icon.pixmap(side, side), drawn)
        ]
        return shapes[0] == shapes[1]

    assert not options.isExpanded() and shows("▶")
    options.expand(animate=False)
    assert shows("▼")


def test_a_float_prediction_points_to_the_tabs_probability_box(settings_panel, tmp_path):
    """Regression: a float prediction's error told the user to use "--probability on the
    command line, read_probabilities in Python", not the tab's own box."""
    truth, pred = tmp_path / "ftruth", tmp_path / "fpred"
    truth.mkdir()
    pred.mkdir()
    tifffile.imwrite(truth / "a.tif", truth_image())
    tifffile.imwrite(pred / "a.tif", (truth_image() > 0).astype(np.float32) * 0.8)
    tifffile.imwrite(truth / "b.tif", truth_image())
    tifffile.imwrite(pred / "b.tif", truth_image())
    dataset = settings_panel
    dataset.set_suffixes(prediction="")
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.run(wait=True)
    error = dataset.per_image.model.frame.set_index("name").loc["a", "error"]
    assert "probability map" in error and "--probability" not in error
    assert "tick 'predictions are probability maps' in this tab" in error


def test_the_summary_shows_its_rows_and_both_values_in_the_dock(qtbot, panel):
    """Regression (a new user's trial): the Summary showed 4 of its 9 rows, and its long
    metric names pushed the image-mean column (value and interval) out of the dock. The
    metric column is at most METRIC_WIDTH wide (the name whole in its tooltip), and the
    table has room for SUMMARY_ROWS rows."""
    from qtpy.QtCore import Qt

    from napari_seg_eval._qt.dataset_panel import METRIC_WIDTH, SUMMARY_ROWS

    _, _, dataset, _ = panel
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000):
        dataset.run()
    table = dataset.summary
    view = table.view
    assert view.columnWidth(0) == METRIC_WIDTH  # "AP (DSB), mean over IoU thresholds" is wider
    model = table.model
    row = model.frame["metric"].tolist().index("AP (DSB), mean over IoU thresholds")
    tip = model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
    assert "AP (DSB), mean over IoU thresholds" in tip
    rows = SUMMARY_ROWS * view.verticalHeader().defaultSectionSize()
    assert table.height() >= rows + view.horizontalHeader().sizeHint().height()
    assert len(model.frame) <= SUMMARY_ROWS  # every row in view
    for column in range(1, model.columnCount()):  # the values and intervals whole
        assert view.columnWidth(column) >= view.sizeHintForColumn(column)


def test_the_per_image_table_has_headers_as_narrow_as_its_values(qtbot, panel):
    """Regression (a new user's trial): the per-image column "AP (DSB), mean over IoU
    thresholds" was 260 px wide for values of 6 characters, so one metric was in view. Its
    header is "mAP (DSB)" now, the whole label in the header's tooltip."""
    from qtpy.QtCore import Qt

    from napari_seg_eval._qt.tables import MAX_COLUMN_WIDTH

    _, _, dataset, _ = panel
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000):
        dataset.run()
    model, view = dataset.per_image.model, dataset.per_image.view
    column = model.frame.columns.get_loc("mean_accuracy")
    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(column, horizontal) == "mAP (DSB)"
    tip = model.headerData(column, horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "AP (DSB), mean over IoU thresholds" in tip
    assert view.columnWidth(column) < MAX_COLUMN_WIDTH / 2


def test_region_files_are_never_hinted_as_the_truth(make_napari_viewer, tmp_path):
    """Truth folder: img{i}_masks.tif and img{i}_heldout.tif (the region files); predictions
    img{i}_cp_masks.tif; region suffix "_heldout", no other suffix. Nothing pairs as named.
    Stripping "_masks" / "_cp_masks" pairs 3 files; "_heldout" / "_cp_masks" pairs 3 too, but
    those files are the regions: the hint names "_masks" only (it named "_heldout" before)."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for i in range(3):
        tifffile.imwrite(truth / f"img{i}_masks.tif", truth_image())
        tifffile.imwrite(truth / f"img{i}_heldout.tif", np.ones((20, 20), np.uint8))
        tifffile.imwrite(pred / f"img{i}_cp_masks.tif", truth_image())
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.dataset.region_suffix.setText("_heldout")
    widget.dataset.set_folders(truth=truth, prediction=pred)
    text = widget.dataset.pairs_text.toPlainText()
    assert "truth '_masks', prediction '_cp_masks'" in text, text
    assert "'_heldout'" not in text, text


def test_a_run_records_the_suffixes_that_paired_its_files(qtbot, panel):
    """settings.json reruns a Dataset tab's run: its suffixes are in the settings (they were
    recorded as "" while the tab paired the files with "_pred")."""
    _, _, dataset, _ = panel
    assert dataset.settings()["prediction_suffix"] == "_pred"
    assert dataset.settings()["truth_suffix"] == ""
    with qtbot.waitSignal(dataset.evaluated_dataset, timeout=60_000) as blocker:
        dataset.run_button.click()
    assert blocker.args[0].settings.prediction_suffix == "_pred"
