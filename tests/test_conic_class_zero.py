"""The ``conic`` preset's class 0, and a negative class id's message.

CoNIC 2022's mPQ+ counts, for each class c = 1..C, the objects of its type maps of class c:
an object of class 0 (background in CoNIC's type maps) is in no class. The ``conic`` preset
does the same (``background_class=0``): objects of class 0, true or predicted, are neither
matched nor counted as FP or FN in any class, and class 0 is not in the mean over classes;
elsewhere class 0 stays a class like any other. A class absent from the whole dataset stays
left out of the mean (CoNIC scores it 0), and pairs match at IoU >= 0.5 (CoNIC: > 0.5).

A negative id in a class image is said of the class image (its side, or its file), not of
the side of the overlap table the class image was counted on; a negative label id is said of
its label image, whichever of the tables read at once meets it first.

Two images of one row of 14 pixels, classes given as class images (an object's class is the
majority of its pixels; an object over class-image pixels 0 has class 0):

Image 0: true 1 (4 px, class 1), true 2 (2 px, class 2); pred 5 (3 px inside true 1: IoU 3/4)
painted class 0, pred 6 (3 px, 2 inside true 2: IoU 2/3) class 2.
Image 1: true 3 (class 0) and pred 7 (class 0) on the same 2 px; true 4 and pred 8 (class 2)
on the same 3 px; true 10 (class 0) and pred 11 (class 1) on the same 2 px; true 12 and
pred 13 (class 1) on the same 2 px. Every pair of image 1 has IoU 1.

By hand, at IoU 0.5 within classes, PQ_c = ΣIoU_c / (TP_c + FP_c/2 + FN_c/2):

- conic (class 0 no class). Image 0: class 1: TP 0, FN 1 (true 1; pred 5 is in no class):
  PQ 0; class 2: TP 1, ΣIoU 2/3: PQ 2/3; mean 1/3. Image 1: class 1: TP 1 (12-13), FP 1
  (pred 11; true 10 is in no class): PQ 1 / 1.5 = 2/3; class 2: PQ 1; mean 5/6. Pooled:
  class 1: TP 1, ΣIoU 1, FP 1, FN 1: PQ 1/2; class 2: TP 2, ΣIoU 2/3 + 1 = 5/3: PQ 5/6;
  mPQ+ = (1/2 + 5/6) / 2 = 2/3. Image mean: (1/3 + 5/6) / 2 = 7/12.
- class 0 a class (the old rule, still the rule without the preset). Image 0: class 0: FP 1
  (pred 5): PQ 0; class 1: 0; class 2: 2/3; mean 2/9. Pooled: class 0: TP 1 (3-7), ΣIoU 1,
  FP 1 (pred 5), FN 1 (true 10): PQ 1/2; class 1: 1/2; class 2: 5/6; mean 11/18.
"""

import json
import re

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import zarr

from napari_seg_eval import __main__ as cli
from napari_seg_eval import dataset_metrics, instance_metrics
from napari_seg_eval.core.presets import preset_metrics
from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.io import write_results
from napari_seg_eval.io.evaluate import FileSettings, evaluate_files
from napari_seg_eval.runs import Run, Runs

TRUE = [
    np.array([[1, 1, 1, 1, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0]], np.uint16),
    np.array([[3, 3, 0, 4, 4, 4, 0, 10, 10, 0, 12, 12, 0, 0]], np.uint16),
]
PRED = [
    np.array([[5, 5, 5, 0, 0, 6, 6, 6, 0, 0, 0, 0, 0, 0]], np.uint16),
    np.array([[7, 7, 0, 8, 8, 8, 0, 11, 11, 0, 13, 13, 0, 0]], np.uint16),
]
TRUE_CLASSES = [
    np.array([[1, 1, 1, 1, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0]], np.uint8),
    np.array([[0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0, 0]], np.uint8),
]
PRED_CLASSES = [
    np.array([[0, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0]], np.uint8),
    np.array([[0, 0, 0, 2, 2, 2, 0, 1, 1, 0, 1, 1, 0, 0]], np.uint8),
]
IMAGE_PQ = [1 / 3, 5 / 6]  # conic, per image (module docstring)
POOLED = 2 / 3  # conic, pooled over both images
IMAGE_MEAN = 7 / 12
POOLED_CLASS_0_A_CLASS = 11 / 18
CLASSES = {"true_classes": TRUE_CLASSES, "pred_classes": PRED_CLASSES}


def test_conic_preset_counts_class_0_in_no_class():
    for i in range(2):  # one image
        got = preset_metrics(
            "conic", TRUE[i], PRED[i], true_classes=TRUE_CLASSES[i], pred_classes=PRED_CLASSES[i]
        )
        assert got["class_mean_panoptic_quality_50_pooled"] == pytest.approx(IMAGE_PQ[i])
    got = preset_metrics("conic", TRUE, PRED, **CLASSES)
    assert got["class_mean_panoptic_quality_50_pooled"] == pytest.approx(POOLED)
    # Without the preset class 0 stays a class: image 0's mean is (0 + 0 + 2/3) / 3.
    plain = instance_metrics(
        TRUE[0], PRED[0], true_classes=TRUE_CLASSES[0], pred_classes=PRED_CLASSES[0]
    )
    assert plain.summary["class_mean_panoptic_quality_50"] == pytest.approx(2 / 9)


def test_instance_metrics_with_a_background_class():
    # Image 0: class 1 TP 0 FP 0 FN 1; class 2 TP 1 FP 0 FN 0 (pred 5 of class 0: nowhere).
    result = instance_metrics(
        TRUE[0],
        PRED[0],
        iou_thresholds=[0.5],
        true_classes=TRUE_CLASSES[0],
        pred_classes=PRED_CLASSES[0],
        background_class=0,
    )
    per_class = result.per_class
    assert per_class[["class", "tp", "fp", "fn"]].values.tolist() == [[1, 0, 0, 1], [2, 1, 0, 0]]
    assert per_class["panoptic_quality"].tolist() == pytest.approx([0, 2 / 3])
    assert result.summary["class_mean_panoptic_quality_50"] == pytest.approx(1 / 3)
    # class accuracy TP / (TP + FP + FN): class 1 0/1, class 2 1/1: mean 1/2
    assert result.summary["class_mean_accuracy"] == pytest.approx(1 / 2)
    # Class-agnostic numbers are unchanged: both pairs match at 0.5 (IoU 3/4 and 2/3).
    assert result.summary["f1_50"] == 1.0
    # class_confusion still says which class each matched object got: 1 -> 0, 2 -> 2.
    confusion = result.class_confusion
    assert (confusion.loc[1, 0], confusion.loc[2, 2], int(confusion.values.sum())) == (1, 1, 2)
    # The same with mappings: image 1, {3: 0, 4: 2, 10: 0, 12: 1} and {7: 0, 8: 2, 11: 1, 13: 1}.
    # class 1: TP 1 (12-13), FP 1 (11); class 2: TP 1; class 0 (3-7, 10) in no row.
    result = instance_metrics(
        TRUE[1],
        PRED[1],
        iou_thresholds=[0.5],
        true_classes={3: 0, 4: 2, 10: 0, 12: 1},
        pred_classes={7: 0, 8: 2, 11: 1, 13: 1},
        background_class=0,
    )
    assert result.per_class[["class", "tp", "fp", "fn"]].values.tolist() == [
        [1, 1, 1, 0],
        [2, 1, 0, 0],
    ]
    assert result.summary["class_mean_panoptic_quality_50"] == pytest.approx(5 / 6)


def test_only_class_0_objects_leave_no_class():
    # Every object of class 0: no per-class row, and no class mean (NaN, not 0).
    zeros = np.zeros_like(TRUE_CLASSES[0])
    result = instance_metrics(
        TRUE[0], PRED[0], true_classes=zeros, pred_classes=zeros, background_class=0
    )
    assert result.per_class.empty
    assert np.isnan(result.summary["class_mean_panoptic_quality_50"])


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (-1, ValueError, "must be >= 0"),
        (0.0, TypeError, "must be an integer class"),
        (True, TypeError, "must be an integer class"),
    ],
)
def test_a_bad_background_class_is_refused(value, error, match):
    with pytest.raises(error, match=match):
        instance_metrics(TRUE[0], PRED[0], **_classes(0), background_class=value)


def test_a_background_class_needs_classes():
    with pytest.raises(ValueError, match="background_class is for multi-class results"):
        instance_metrics(TRUE[0], PRED[0], background_class=0)
    with pytest.raises(ValueError, match="background_class is for multi-class results"):
        dataset_metrics(TRUE, PRED, background_class=0)


def _classes(i: int) -> dict:
    return {"true_classes": TRUE_CLASSES[i], "pred_classes": PRED_CLASSES[i]}


@pytest.mark.parametrize("chunked", [False, True])
def test_dataset_metrics_pool_without_class_0(chunked):
    arrays = [TRUE, PRED, TRUE_CLASSES, PRED_CLASSES]
    if chunked:  # chunks of 4 pixels: objects cut by chunk edges
        arrays = [[da.from_array(a, chunks=(1, 4)) for a in side] for side in arrays]
    true, pred, true_classes, pred_classes = arrays
    result = dataset_metrics(
        true,
        pred,
        iou_thresholds=[0.5],
        true_classes=true_classes,
        pred_classes=pred_classes,
        background_class=0,
    )
    summary = result.summary
    assert summary["class_mean_panoptic_quality_50_pooled"] == pytest.approx(POOLED)
    assert summary["class_mean_panoptic_quality_50_image_mean"] == pytest.approx(IMAGE_MEAN)
    assert result.per_image["class_mean_panoptic_quality_50"].tolist() == pytest.approx(IMAGE_PQ)
    pooled = result.per_class_pooled  # class 1: TP 1, FP 1, FN 1; class 2: TP 2
    assert pooled[["class", "tp", "fp", "fn"]].values.tolist() == [[1, 1, 1, 1], [2, 2, 0, 0]]
    # Without it class 0 is a class (pooled: (1/2 + 1/2 + 5/6) / 3).
    plain = dataset_metrics(true, pred, iou_thresholds=[0.5], **CLASSES)
    assert plain.summary["class_mean_panoptic_quality_50_pooled"] == pytest.approx(
        POOLED_CLASS_0_A_CLASS
    )


@pytest.mark.parametrize("chunked", [False, True])
def test_the_dock_conic_preset_counts_class_0_in_no_class(chunked):
    """The Evaluate tab's record (``evaluate`` runs ``evaluation_steps``): one image, in memory
    and chunked (the tables and the class images read at once)."""
    arrays = [TRUE[0], PRED[0], TRUE_CLASSES[0], PRED_CLASSES[0]]
    if chunked:
        arrays = [da.from_array(a, chunks=(1, 4)) for a in arrays]
    true, pred, true_classes, pred_classes = arrays
    record = evaluate(
        true, pred, preset="conic", true_classes=true_classes, pred_classes=pred_classes
    )
    assert record.instance.summary["class_mean_panoptic_quality_50"] == pytest.approx(1 / 3)
    per_class = record.tables["instance_per_class"]
    assert per_class[["class", "tp", "fp", "fn"]].values.tolist() == [[1, 0, 0, 1], [2, 1, 0, 0]]
    summary = record.tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert float(summary["instance", "class_mean_panoptic_quality_50"]) == pytest.approx(1 / 3)
    # Without the preset (same IoU threshold) class 0 stays a class: (0 + 0 + 2/3) / 3.
    plain = evaluate(
        true, pred, iou_thresholds=(0.5,), true_classes=true_classes, pred_classes=pred_classes
    )
    assert plain.instance.summary["class_mean_panoptic_quality_50"] == pytest.approx(2 / 9)


def test_the_dock_conic_preset_plane_by_plane():
    """A stack of the two images (plane axis 0): the whole stack's counts are the pooled
    counts (no object spans planes), and the planes give the pooled and image-mean values."""
    true, pred = np.stack(TRUE), np.stack(PRED)
    true_classes, pred_classes = np.stack(TRUE_CLASSES), np.stack(PRED_CLASSES)
    record = evaluate(
        true,
        pred,
        preset="conic",
        plane_axis=0,
        true_classes=true_classes,
        pred_classes=pred_classes,
    )
    assert record.instance.summary["class_mean_panoptic_quality_50"] == pytest.approx(POOLED)
    planes = record.planes["instance"].summary
    assert planes["class_mean_panoptic_quality_50_pooled"] == pytest.approx(POOLED)
    assert planes["class_mean_panoptic_quality_50_image_mean"] == pytest.approx(IMAGE_MEAN)


def _write(root, fmt: str, pred=PRED, pred_classes=PRED_CLASSES, true=TRUE, chunks=(1, 4)) -> tuple:
    """truth/img{i} and prediction/img{i} with their class images img{i}_cls, as .npy files or
    zarr arrays in ``chunks`` (1 x 4 pixels)."""
    truth, prediction = root / "truth", root / "prediction"
    files = {}
    for i in range(2):
        files[truth / f"img{i}"] = true[i]
        files[truth / f"img{i}_cls"] = TRUE_CLASSES[i]
        files[prediction / f"img{i}"] = pred[i]
        files[prediction / f"img{i}_cls"] = pred_classes[i]
    for path, image in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "npy":
            np.save(f"{path}.npy", image)
        else:
            array = zarr.open_array(
                f"{path}.zarr", mode="w", shape=image.shape, chunks=chunks, dtype=image.dtype
            )
            array[...] = image
    return truth, prediction


SUFFIXES = {"truth_classes_suffix": "_cls", "prediction_classes_suffix": "_cls"}


def test_evaluate_files_conic_counts_class_0_in_no_class(tmp_path):
    results = {}
    for fmt in ("npy", "zarr"):  # zarr: read chunk by chunk
        truth, prediction = _write(tmp_path / fmt, fmt)
        results[fmt] = evaluate_files(truth, prediction, preset="conic", **SUFFIXES)
        assert results[fmt].n_failed == 0
        summary = results[fmt].summary
        assert summary["class_mean_panoptic_quality_50_pooled"] == pytest.approx(POOLED)
        assert summary["class_mean_panoptic_quality_50_image_mean"] == pytest.approx(IMAGE_MEAN)
        per_image = results[fmt].per_image["class_mean_panoptic_quality_50"]
        assert per_image.tolist() == pytest.approx(IMAGE_PQ)
    instance = [results[fmt].datasets["instance"] for fmt in ("npy", "zarr")]
    assert instance[0].per_class_pooled["class"].tolist() == [1, 2]
    for name in ("per_class_pooled", "per_class_image_mean", "class_confusion"):
        pd.testing.assert_frame_equal(getattr(instance[0], name), getattr(instance[1], name))
    # Without the preset class 0 stays a class.
    plain = evaluate_files(truth, prediction, iou_thresholds=[0.5], **SUFFIXES)
    assert plain.summary["class_mean_panoptic_quality_50_pooled"] == pytest.approx(
        POOLED_CLASS_0_A_CLASS
    )


def test_the_command_line_conic_preset_counts_class_0_in_no_class(tmp_path):
    truth, prediction = _write(tmp_path, "npy")
    out = tmp_path / "out"
    args = [str(truth), str(prediction), "--out", str(out), "--preset", "conic", "--quiet"]
    args += ["--truth-classes-suffix", "_cls", "--prediction-classes-suffix", "_cls"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *args])
    assert exit_info.value.code == 0
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "class_mean_panoptic_quality_50_pooled"] == pytest.approx(POOLED)
    pooled = pd.read_csv(out / "instance_per_class_pooled.csv")
    assert pooled["class"].tolist() == [1, 2]


def test_a_conic_folder_saved_before_background_class_is_said_to_differ(tmp_path):
    """A conic run saved before ``background_class`` was a setting counted class 0 as a class
    (pooled mPQ+ 11/18, the docstring); a new one counts it in no class (2/3). The settings
    now carry it, so comparing them names the difference (a folder without the key: None)."""
    truth, prediction = _write(tmp_path / "data", "npy")
    result = evaluate_files(truth, prediction, preset="conic", **SUFFIXES)
    assert result.settings.background_class == 0
    folders = {name: write_results(result, tmp_path / name) for name in ("old", "new")}
    saved = json.loads((folders["new"] / "settings.json").read_text())
    assert saved["settings"]["background_class"] == 0
    del saved["settings"]["background_class"]  # as written before the setting existed
    (folders["old"] / "settings.json").write_text(json.dumps(saved))
    runs = Runs()
    for name, folder in folders.items():
        runs.add(Run.load(folder), name=name)
    notes = [note for note in runs.compare("old", "new").notes if "differ in" in note]
    assert notes == ["the runs differ in background_class: the differences include their effect."]
    # Two new conic folders do not differ; a run without the preset has no background class.
    runs.add(Run.load(folders["new"]), name="new again")
    assert not [note for note in runs.compare("new", "new again").notes if "differ in" in note]
    plain = evaluate_files(truth, prediction, **SUFFIXES)
    assert plain.settings.background_class is None


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        (
            {"preset": "conic", "with_classes": True, "background_class": 1},
            ValueError,
            "the conic preset sets background_class to 0; leave it out.",
        ),
        ({"background_class": 0}, ValueError, "background_class is for class images"),
        ({"with_classes": True, "background_class": -1}, ValueError, "must be >= 0"),
        ({"with_classes": True, "background_class": 1.0}, TypeError, "must be an integer"),
    ],
)
def test_file_settings_check_the_background_class(settings, error, match):
    with pytest.raises(error, match=re.escape(match)):
        FileSettings(**settings)


def test_file_settings_take_the_presets_background_class():
    # The preset's class, given directly or through with_preset; another class without one.
    assert FileSettings(preset="conic", with_classes=True).background_class == 0
    assert FileSettings.with_preset("conic", with_classes=True).background_class == 0
    assert FileSettings(with_classes=True, background_class=2).background_class == 2


# A negative id in a class image: said of the class image, not of a side of the table it was
# counted on ("prediction has negative label ids", or for a chunked map's classes "ground
# truth ...").
NEGATIVE = np.array([[1, 1, 1, 1, 0, -2, -2, 0, 0, 0, 0, 0, 0, 0]], np.int16)


@pytest.mark.parametrize("side", ["true_classes", "pred_classes"])
@pytest.mark.parametrize("chunked", [False, True])
def test_a_negative_class_names_the_class_image(side, chunked):
    arrays = [TRUE[0], PRED[0], NEGATIVE, TRUE_CLASSES[0].astype(np.int16)]
    if chunked:
        arrays = [da.from_array(a, chunks=(1, 4)) for a in arrays]
    true, pred, negative, fine = arrays
    classes = {"true_classes": fine, "pred_classes": fine, side: negative}
    message = re.escape(f"{side}: the class image has negative class ids (min -2)")
    with pytest.raises(ValueError, match=message):
        instance_metrics(true, pred, **classes)
    with pytest.raises(ValueError, match=message):
        evaluate(true, pred, **classes)  # the dock's run (chunked: the tables read at once)
    stack = {key: [value, value] for key, value in classes.items()}
    with pytest.raises(ValueError, match=f"{side}\\[0\\]: the class image has negative"):
        dataset_metrics([true, true], [pred, pred], **stack)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_negative_class_of_a_map_names_the_class_image(chunked):
    """A probability map's objects: a chunked map's class image is counted on the truth's side
    of the table of its chunks' objects."""
    prob = np.where(PRED[0] > 0, 0.9, 0.1).astype(np.float32)
    arrays = [TRUE[0], prob, NEGATIVE]
    if chunked:
        arrays = [da.from_array(a, chunks=(1, 4)) for a in arrays]
    true, prob, negative = arrays
    with pytest.raises(ValueError, match="pred_classes: the class image has negative class ids"):
        evaluate(true, prob, threshold=0.5, true_classes=TRUE_CLASSES[0], pred_classes=negative)


@pytest.mark.parametrize("fmt", ["npy", "zarr"])
@pytest.mark.parametrize("probability", [False, True])
def test_a_negative_class_file_is_named(tmp_path, fmt, probability):
    negative = [NEGATIVE, PRED_CLASSES[1]]  # img0's prediction class file
    # As a map, the prediction's class image is counted on the truth's side of a table.
    maps = [np.where(p > 0, 0.9, 0.1).astype(np.float32) for p in PRED]
    truth, prediction = _write(
        tmp_path, fmt, pred=maps if probability else PRED, pred_classes=negative
    )
    result = evaluate_files(truth, prediction, probability=probability, **SUFFIXES)
    errors = result.per_image.set_index("name")["error"]
    assert errors["img1"] == ""
    assert errors["img0"] == (
        f"{prediction / f'img0_cls.{fmt}'}: the class image has negative class ids (min -2); "
        "classes must be >= 0."
    )


# A negative label id with class images: chunked, several tables are read at once (the pair's,
# each side's class table, the objects' sums), and the first failing chunk's table used to
# name its side at random ("prediction", "ground truth": the labels counted against the
# class image, or "labels"). The label images are looked at first, truth then prediction.
NEGATIVE_PRED = [-PRED[0].astype(np.int16), PRED[1].astype(np.int16)]  # ids -5, -6: min -6
NEGATIVE_TRUE = [-TRUE[0].astype(np.int16), TRUE[1].astype(np.int16)]  # ids -1, -2: min -2


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize(
    ("side", "message"),
    [
        ("pred", "prediction has negative label ids (min -6); ids must be >= 0."),
        ("true", "ground truth has negative label ids (min -2); ids must be >= 0."),
        # Labels before class images: a negative prediction and a negative truth class image.
        ("pred and true_classes", "prediction has negative label ids (min -6)"),
    ],
)
def test_a_negative_label_id_with_class_images_names_its_image(side, message, chunked):
    true, pred = TRUE[0], PRED[0]
    true_classes, pred_classes = TRUE_CLASSES[0], PRED_CLASSES[0]
    if side.startswith("pred"):
        pred = NEGATIVE_PRED[0]
    else:
        true = NEGATIVE_TRUE[0]
    if side.endswith("true_classes"):
        true_classes = NEGATIVE
    arrays = [true, pred, true_classes, pred_classes]
    for _ in range(20 if chunked else 1):  # which chunk's task fails first varies
        if chunked:  # chunks of 2 pixels: many tasks, each may meet the negative ids
            true, pred, true_classes, pred_classes = [
                da.from_array(a, chunks=(1, 2)) for a in arrays
            ]
        with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
            evaluate(true, pred, true_classes=true_classes, pred_classes=pred_classes)


@pytest.mark.parametrize("fmt", ["npy", "zarr"])
@pytest.mark.parametrize("side", ["truth", "prediction"])
def test_a_negative_label_file_with_class_files_is_named(tmp_path, fmt, side):
    negative = {"true": NEGATIVE_TRUE} if side == "truth" else {"pred": NEGATIVE_PRED}
    truth, prediction = _write(tmp_path, fmt, chunks=(1, 2), **negative)
    folder, which, lowest = (
        (truth, "ground truth", -2) if side == "truth" else (prediction, "prediction", -6)
    )
    expected = (
        f"{folder / f'img0.{fmt}'}: the {which} has negative label ids (min {lowest}); ids "
        "must be >= 0."
    )
    for _ in range(20 if fmt == "zarr" else 1):  # zarr: read chunk by chunk, tasks in any order
        result = evaluate_files(truth, prediction, **SUFFIXES)
        errors = result.per_image.set_index("name")["error"]
        assert errors["img1"] == ""
        assert errors["img0"] == expected
