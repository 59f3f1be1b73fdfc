"""Clear words for easy mistakes in the Python API: ignore_label=0 in instance metrics, a file
path given as an image, instance labels given to per-class boundary metrics, and a short
repr of an evaluation record."""

import warnings
from pathlib import Path

import numpy as np
import pytest

import napari_seg_eval as nse
from napari_seg_eval.evaluation import evaluate


def _caught(function, *args, **kwargs):
    """Run ``function`` and return the warnings it gave (every one, none filtered out)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        function(*args, **kwargs)
    return caught


# --- ignore_label=0 in instance metrics ---------------------------------------------------

# Object 1 on the left; prediction 2 lies wholly on the background.
TRUE = np.array([[1, 1, 0, 0]])
PRED = np.array([[1, 1, 0, 2]])


def test_ignore_label_zero_warns_in_instance_metrics():
    caught = _caught(nse.instance_metrics, TRUE, PRED, ignore_label=0, iou_thresholds=[0.5])
    said = [w for w in caught if "ignore_label=0" in str(w.message)]
    assert len(said) == 1  # once per call
    (warning,) = said
    assert warning.category is UserWarning
    message = str(warning.message)
    assert message.startswith("instance_metrics:")
    assert "0 is the background already" in message
    assert "false positives" in message  # what ignoring it does
    assert "pass ignore_label=None" in message  # what to pass instead
    assert warning.filename == __file__  # the user's line, not the package's


def test_ignore_label_zero_warns_wherever_objects_are_matched(tmp_path):
    import tifffile

    from napari_seg_eval.io import evaluate_files

    def said(function, *args, **kwargs):
        return [
            str(w.message)
            for w in _caught(function, *args, **kwargs)
            if "ignore_label=0" in str(w.message)
        ]

    assert said(nse.dataset_metrics, [TRUE], [PRED], ignore_label=0)[0].startswith(
        "dataset_metrics:"
    )
    assert said(nse.compare_objects, TRUE, PRED, PRED, ignore_label=0)[0].startswith(
        "compare_objects:"
    )
    for side, image in (("truth", TRUE), ("pred", PRED)):
        (tmp_path / side).mkdir()
        tifffile.imwrite(tmp_path / side / "a.tif", image.astype(np.uint8))
    files = (tmp_path / "truth", tmp_path / "pred")
    assert said(evaluate_files, *files, ignore_label=0)[0].startswith("evaluate_files:")
    # Semantic ones class by class and the default say nothing (foreground against background,
    # the default of label files, gets its own warning: tests/test_semantic.py).
    assert not said(nse.dataset_metrics, [TRUE], [PRED], kind="semantic", ignore_label=0)
    semantic = {"kind": "semantic", "ignore_label": 0, "binarize_semantic": False}
    assert not said(evaluate_files, *files, **semantic)
    assert not said(evaluate_files, *files)


def test_ignore_label_zero_changes_no_number():
    # The warning only speaks: with the background ignored, prediction 2 (on background
    # only) is no object left, so n_pred is 1 (object 1) instead of 2.
    with pytest.warns(UserWarning, match="ignore_label=0"):
        ignored = nse.instance_metrics(TRUE, PRED, ignore_label=0, iou_thresholds=[0.5])
    assert int(ignored.summary["n_pred"]) == 1
    assert int(nse.instance_metrics(TRUE, PRED, iou_thresholds=[0.5]).summary["n_pred"]) == 2


@pytest.mark.parametrize("ignore_label", [None, 7, np.uint8(255)])
def test_other_ignore_labels_say_nothing(ignore_label):
    caught = _caught(nse.instance_metrics, TRUE, PRED, ignore_label=ignore_label)
    assert not [w for w in caught if "ignore_label" in str(w.message)]


def test_semantic_metrics_ignore_index_zero_says_nothing():
    # An ignore index 0 is a real convention for class maps (ADE20K): no warning there.
    caught = _caught(nse.semantic_metrics, TRUE, PRED, ignore_label=0)
    assert not [w for w in caught if "ignore_label" in str(w.message)]


def test_ignore_label_of_wrong_type_is_refused_without_the_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would raise here instead of the TypeError
        with pytest.raises(TypeError, match="ignore_label must be an integer"):
            nse.instance_metrics(TRUE, PRED, ignore_label=False)


# --- a file path instead of an image ------------------------------------------------------


@pytest.mark.parametrize("path", ["truth/img0_masks.tif", Path("truth/img0_masks.tif")])
def test_truth_given_as_a_path_is_told_to_read_it(path):
    with pytest.raises(TypeError) as raised:
        nse.instance_metrics(path, PRED)
    message = str(raised.value)
    assert "ground truth is a path ('truth/img0_masks.tif')" in message
    assert "napari_seg_eval.io.read_labels(path)" in message


def test_prediction_given_as_a_path_is_told_to_read_it():
    with pytest.raises(TypeError, match=r"prediction is a path \('pred\.tif'\).*read_labels"):
        nse.semantic_metrics(TRUE, "pred.tif")


def test_probabilities_given_as_a_path_are_told_to_read_them():
    with pytest.raises(TypeError) as raised:
        nse.threshold_sweep(TRUE, Path("prob.tif"))
    message = str(raised.value)
    assert "is a path ('prob.tif')" in message
    assert "napari_seg_eval.io.read_probabilities(path)" in message


def test_region_given_as_a_path_is_told_to_read_it():
    with pytest.raises(TypeError, match=r"region is a path.*read_labels\(path\) > 0"):
        nse.instance_metrics(TRUE, PRED, region="region.tif")


def test_the_reader_named_exists():
    from napari_seg_eval import io

    assert callable(io.read_labels) and callable(io.read_probabilities)


# --- instance labels given to per-class boundary metrics ----------------------------------

#: The documented threshold (core.boundary.INSTANCE_LIKE_IDS): more distinct ids than this.
INSTANCE_LIKE_IDS = 32


def _objects(n):
    """n one-pixel objects in a row, ids 1..n, and a prediction of the same objects numbered
    independently (ids 101..100 + n): no id is the same on both sides."""
    true = np.arange(1, n + 1).reshape(1, n)
    return true, true + 100


def _boundary_warnings(*args, **kwargs):
    caught = _caught(nse.boundary_metrics, *args, **kwargs)
    return [w for w in caught if "taken as a class" in str(w.message)]


def test_boundary_metrics_warns_above_the_threshold():
    true, pred = _objects(INSTANCE_LIKE_IDS + 1)
    said = _boundary_warnings(true, pred)
    assert len(said) == 1
    assert said[0].category is UserWarning
    message = str(said[0].message)
    assert f"{INSTANCE_LIKE_IDS + 1} distinct non-zero ids" in message
    assert "per_object=True" in message and "truth > 0" in message
    assert said[0].filename == __file__


def test_boundary_metrics_threshold_is_the_documented_one():
    from napari_seg_eval.core import boundary

    assert boundary.INSTANCE_LIKE_IDS == INSTANCE_LIKE_IDS


def test_boundary_metrics_at_the_threshold_says_nothing():
    true, pred = _objects(INSTANCE_LIKE_IDS)
    assert not _boundary_warnings(true, pred)


def test_boundary_metrics_of_class_images_that_agree_say_nothing():
    # Many ids, but the same on both sides where both are non-zero: classes (or a
    # prediction relabelled from the truth), scored per id as they would be per object.
    true, _ = _objects(INSTANCE_LIKE_IDS + 8)
    assert not _boundary_warnings(true, true)


def test_boundary_metrics_says_nothing_when_told_the_classes_or_per_object():
    true, pred = _objects(INSTANCE_LIKE_IDS + 1)
    assert not _boundary_warnings(true, pred, classes=[1, 2])
    assert not _boundary_warnings(true, pred, per_object=True)
    assert not _boundary_warnings(true > 0, pred > 0)


# --- a short repr of an evaluation --------------------------------------------------------


def test_evaluation_repr_is_short_and_names_what_was_compared():
    rng = np.random.default_rng(0)
    true = np.zeros((200, 200), np.uint16)
    for k in range(20):  # 20 square objects of 9 x 9 pixels on a grid
        row, col = divmod(k, 5)
        true[10 + 40 * row : 19 + 40 * row, 10 + 40 * col : 19 + 40 * col] = k + 1
    prob = np.clip((true > 0) * 0.9 + rng.random(true.shape) * 0.05, 0, 1).astype(np.float32)
    record = evaluate(
        true, prob, threshold=0.5, truth_name="nuclei truth", prediction_name="model B"
    )
    text = repr(record)
    assert len(text) < 1500  # the dataclass repr printed every array: tens of kB here
    assert "\n" in text and "array(" not in text
    assert "'nuclei truth'" in text and "'model B'" in text
    assert "uint16 (200, 200)" in text  # the truth's dtype and shape
    assert "threshold 0.5" in text
    # Every square is found whole (0.9 + noise < 0.95 > 0.5 inside, < 0.05 outside):
    # 20 true and 20 predicted objects.
    assert "n_true 20, n_pred 20" in text
    assert "record.tables[name]" in text and "record.instance" in text


def test_evaluation_repr_of_a_stale_record_says_so():
    record = evaluate(TRUE, PRED, kind="semantic").marked_stale("the truth was edited")
    text = repr(record)
    assert "stale: the truth was edited" in text
    assert "instance:" not in text and "semantic: mean_iou" in text


def test_an_unknown_kind_is_refused_before_anything_is_read():
    # An unknown kind once was accepted and computed nothing; "all" (the command line's word)
    # is now "both" (tests/test_nb65.py), and the message names both words.
    with pytest.raises(ValueError, match=r"kind must be 'semantic', 'instance' or 'both' .*'all'"):
        evaluate(TRUE, PRED, kind="everything")


def test_the_repr_of_a_coco_record_names_its_map():
    # One object predicted exactly (IoU 1 at every threshold) with score 0.9: COCO mAP 1.
    true = np.zeros((8, 8), int)
    true[1:4, 1:4] = 1
    record = evaluate(true, true, confidence=np.where(true > 0, 0.9, 0.1), preset="coco")
    assert "coco: map 1, ap_50 1, ap_75 1" in repr(record)
