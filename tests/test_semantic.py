import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from napari_seg_eval import semantic_metrics

# 3 classes on 12 pixels. Confusion (rows true, cols pred):
#        0  1  2
#   0 [  3  1  0 ]
#   1 [  1  3  0 ]
#   2 [  0  2  2 ]
TRUE = np.array([[0, 0, 0, 0, 1, 1], [1, 1, 2, 2, 2, 2]])
PRED = np.array([[0, 0, 0, 1, 0, 1], [1, 1, 1, 1, 2, 2]])


def test_hand_computed_per_class():
    result = semantic_metrics(TRUE, PRED)
    table = result.per_class.set_index("class")
    assert table.loc[0, ["tp", "fp", "fn", "tn", "support"]].tolist() == [3, 1, 1, 7, 4]
    assert table.loc[1, ["tp", "fp", "fn", "tn", "support"]].tolist() == [3, 3, 1, 5, 4]
    assert table.loc[2, ["tp", "fp", "fn", "tn", "support"]].tolist() == [2, 0, 2, 8, 4]
    assert table.loc[0, "iou"] == pytest.approx(3 / 5)
    assert table.loc[1, "iou"] == pytest.approx(3 / 7)
    assert table.loc[2, "iou"] == pytest.approx(2 / 4)
    assert table.loc[1, "dice"] == pytest.approx(6 / 10)
    assert table.loc[1, "precision"] == pytest.approx(3 / 6)
    assert table.loc[2, "recall"] == pytest.approx(2 / 4)
    assert table.loc[2, "accuracy"] == pytest.approx(10 / 12)
    s = result.summary
    assert s["mean_iou"] == pytest.approx((3 / 5 + 3 / 7 + 1 / 2) / 3)
    assert s["pixel_accuracy"] == pytest.approx(8 / 12)
    # every class has support 4: frequency-weighted IoU equals the mean here
    assert s["frequency_weighted_iou"] == pytest.approx(s["mean_iou"])
    assert result.confusion_matrix().to_numpy().tolist() == [[3, 1, 0], [1, 3, 0], [0, 2, 2]]


def test_background_left_out_of_means_but_reported():
    result = semantic_metrics(TRUE, PRED, include_background=False)
    assert result.per_class["class"].tolist() == [0, 1, 2]
    assert result.per_class["in_means"].tolist() == [False, True, True]
    assert result.summary["mean_iou"] == pytest.approx((3 / 7 + 1 / 2) / 2)
    assert result.summary["pixel_accuracy"] == pytest.approx(8 / 12)  # all pixels still count


def test_requested_classes_absent_class_is_nan_and_left_out():
    result = semantic_metrics(TRUE, PRED, classes=[1, 2, 5])
    table = result.per_class.set_index("class")
    assert math.isnan(table.loc[5, "iou"]) and table.loc[5, "tn"] == 12
    assert result.summary["mean_iou"] == pytest.approx((3 / 7 + 1 / 2) / 2)


def test_class_only_in_prediction_scores_zero():
    true = np.zeros((2, 2), int)
    pred = np.array([[0, 3], [0, 0]])
    table = semantic_metrics(true, pred).per_class.set_index("class")
    assert table.loc[3, "iou"] == 0 and table.loc[3, "precision"] == 0
    assert math.isnan(table.loc[3, "recall"])


def test_frequency_weighted_iou_weights_by_support():
    true = np.array([[0, 0, 0, 1]])
    pred = np.array([[0, 0, 1, 1]])
    s = semantic_metrics(true, pred).summary
    # IoU0 = 2/3 (support 3), IoU1 = 1/2 (support 1)
    assert s["frequency_weighted_iou"] == pytest.approx((3 * 2 / 3 + 1 * 1 / 2) / 4)


def test_ignore_label_and_no_background():
    true = np.array([[1, 1, 2, 255]])
    pred = np.array([[1, 2, 2, 1]])
    result = semantic_metrics(true, pred, ignore_label=255)
    assert result.summary["n_pixels"] == 3
    assert result.per_class["class"].tolist() == [1, 2]
    assert result.per_class.set_index("class").loc[1, "iou"] == pytest.approx(1 / 2)


def test_all_background_both():
    result = semantic_metrics(np.zeros((3, 3), int), np.zeros((3, 3), int))
    assert result.per_class["iou"].tolist() == [1.0]
    none = semantic_metrics(np.zeros((3, 3), int), np.zeros((3, 3), int), include_background=False)
    assert math.isnan(none.summary["mean_iou"])


def test_3d_bool_input():
    true = np.zeros((2, 3, 3), bool)
    true[0] = True
    pred = np.zeros((2, 3, 3), bool)
    pred[:, 0] = True
    table = semantic_metrics(true, pred).per_class.set_index("class")
    # class 1: true 9 px, pred 6 px, overlap 3: IoU 3/12
    assert table.loc[1, "iou"] == pytest.approx(3 / 12)


classes = arrays(np.int16, (5, 6), elements=st.integers(0, 3))


@settings(max_examples=50, deadline=None)
@given(classes, classes)
@pytest.mark.filterwarnings("ignore:semantic_metrics. the prediction's classes look one too high")
def test_dice_iou_identity_and_swap(true, pred):  # any classes: shifted ones among them
    a = semantic_metrics(true, pred).per_class
    iou, dice = a["iou"].to_numpy(), a["dice"].to_numpy()
    np.testing.assert_allclose(dice, 2 * iou / (1 + iou))
    b = semantic_metrics(pred, true).per_class
    np.testing.assert_array_equal(a["precision"], b["recall"])
    assert (a["tp"] + a["fp"] + a["fn"] + a["tn"] == true.size).all()


@settings(max_examples=30, deadline=None)
@given(classes, st.permutations(range(4)))
def test_relabelling_permutes_rows_and_keeps_means(true, permutation):
    pred = np.roll(true, 1)
    lut = np.array(permutation) * 1000 + 7
    a = semantic_metrics(true, pred)
    b = semantic_metrics(lut[true], lut[pred])
    assert a.summary["mean_iou"] == pytest.approx(b.summary["mean_iou"], nan_ok=True)
    assert sorted(a.per_class["iou"].fillna(-1)) == pytest.approx(
        sorted(b.per_class["iou"].fillna(-1))
    )


@settings(max_examples=30, deadline=None)
@given(classes)
def test_perfect_prediction(true):
    result = semantic_metrics(true, true)
    assert (result.per_class["iou"] == 1).all() and result.summary["pixel_accuracy"] == 1


# 2**53 and 2**53 + 1 are one float64: any promotion to float merges the two classes.
EDGE = 2**53


@pytest.mark.parametrize(
    ("true_dtype", "pred_dtype"), [(np.int64, np.uint64), (np.uint64, np.int64)]
)
def test_signed_against_uint64_keeps_class_ids_exact(true_dtype, pred_dtype):
    # class EDGE: true at pixels 0, 1; predicted at 0, 2.  class EDGE + 1: true at 2, 3;
    # predicted at 1, 3.  Per class tp 1, fp 1, fn 1, tn 1: IoU 1/3; pixel accuracy 2/4.
    true = np.array([EDGE, EDGE, EDGE + 1, EDGE + 1], true_dtype)
    pred = np.array([EDGE, EDGE + 1, EDGE, EDGE + 1], pred_dtype)
    result = semantic_metrics(true, pred)
    assert result.per_class["class"].tolist() == [EDGE, EDGE + 1]
    table = result.per_class.set_index("class")
    assert table[["tp", "fp", "fn", "tn"]].to_numpy().tolist() == [[1, 1, 1, 1]] * 2
    assert result.per_class["iou"].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert result.summary["pixel_accuracy"] == pytest.approx(2 / 4)
    matrix = result.confusion_matrix()
    assert matrix.index.tolist() == [EDGE, EDGE + 1]
    assert matrix.to_numpy().tolist() == [[1, 1], [1, 1]]  # sums to the 4 pixels


def test_requested_classes_above_int64_range_on_uint64_images():
    high = 2**63 + 1
    true = np.array([high, high, 0], np.uint64)
    pred = np.array([high, 0, 0], np.uint64)
    result = semantic_metrics(true, pred, classes=[high, 5])
    assert result.per_class["class"].tolist() == [5, high]
    table = result.per_class.set_index("class")
    assert table.loc[high, "iou"] == pytest.approx(1 / 2)  # tp 1, fn 1
    assert math.isnan(table.loc[5, "iou"])
    # Rows 5 and high; columns also 0, predicted on a pixel of class high (rows add up).
    matrix = result.confusion_matrix()
    assert matrix.columns.tolist() == [0, 5, high]
    assert matrix.to_numpy().tolist() == [[0, 0, 0], [1, 0, 1]]


@pytest.mark.parametrize(
    ("classes", "error", "words"),
    [
        ([], ValueError, "empty"),
        ([1, -1], ValueError, ">= 0"),
        ([2**64], ValueError, "2\\*\\*64"),
        ([1.5], TypeError, "integer class ids"),
        ([True], TypeError, "integer class ids"),
        (["1"], TypeError, "integer class ids"),
    ],
)
def test_bad_classes_are_refused_before_the_pass(monkeypatch, classes, error, words):
    from napari_seg_eval.core import semantic

    monkeypatch.setattr(semantic, "overlap_table", _no_pass)
    with pytest.raises(error, match=words):
        semantic.semantic_metrics(TRUE, PRED, classes=classes)


def _no_pass(*args, **kwargs):
    raise AssertionError("the overlap pass ran before the input was checked")


@pytest.mark.parametrize("ignore_label", [1.5, "1", True])
def test_non_integer_ignore_label_is_refused_before_the_pass(monkeypatch, ignore_label):
    from napari_seg_eval.core import semantic

    monkeypatch.setattr(semantic, "overlap_table", _no_pass)
    with pytest.raises(TypeError, match="ignore_label must be an integer"):
        semantic.semantic_metrics(TRUE, PRED, ignore_label=ignore_label)


def test_every_pixel_ignored_gives_nan_and_a_warning():
    true = np.full((2, 3), 255)
    pred = np.array([[0, 1, 1], [1, 2, 2]])
    with pytest.warns(RuntimeWarning, match="no pixel is left"):
        result = semantic_metrics(true, pred, ignore_label=255)
    assert result.summary["n_pixels"] == 0
    assert len(result.per_class) == 0
    for key in ("mean_iou", "mean_dice", "pixel_accuracy", "frequency_weighted_iou"):
        assert math.isnan(result.summary[key])
    with pytest.warns(RuntimeWarning, match="no pixel is left"):
        listed = semantic_metrics(true, pred, classes=[1], ignore_label=255)
    assert listed.per_class[["tp", "fp", "fn", "tn"]].to_numpy().tolist() == [[0, 0, 0, 0]]
    assert math.isnan(listed.per_class["iou"].iat[0])


def test_0d_input_is_called_a_scalar():
    with pytest.raises(ValueError, match="0-dimensional"):
        semantic_metrics(np.array(1), np.array(1))


def test_results_compare_by_identity_without_raising():
    a = semantic_metrics(TRUE, PRED)
    b = semantic_metrics(TRUE, PRED)
    assert a == a
    assert a != b
    assert a in [a] and b not in [a]


def test_the_ignored_id_predicted_is_no_class_of_its_own():
    # trial110 (against torchmetrics): 0 = unannotated, ignored. Counted pixels: the last two
    # (true 1, 1), predicted 0 and 1. Class 1: tp 1, fp 0, fn 1 -> IoU 1/2. The prediction of
    # 0 on a class-1 pixel is class 1's miss; 0 itself was reported as a class (tp 0, fp 1,
    # IoU 0) and halved the mean: 0.25 instead of 0.5.
    true = np.array([[0, 0, 1, 1]])
    pred = np.array([[0, 0, 0, 1]])
    result = semantic_metrics(true, pred, ignore_label=0)
    assert result.per_class["class"].tolist() == [1]
    assert result.summary["mean_iou"] == pytest.approx(1 / 2)
    assert result.summary["pixel_accuracy"] == pytest.approx(1 / 2)  # 1 of 2 counted pixels
    # Listed, it is reported: tp 0, fp 1 (the class-1 pixel predicted 0), fn 0 -> IoU 0.
    listed = semantic_metrics(true, pred, ignore_label=0, classes=[0, 1]).per_class
    assert listed[["class", "tp", "fp", "fn"]].to_numpy().tolist() == [[0, 0, 1, 0], [1, 1, 0, 1]]
    assert listed["iou"].tolist() == [0.0, 0.5]


def test_the_ignored_id_is_no_class_of_a_dataset_nor_of_an_evaluation():
    from napari_seg_eval import dataset_metrics, evaluate

    true = np.array([[255, 255, 1, 1, 2, 2]])
    pred = np.array([[1, 2, 255, 1, 2, 2]])  # 255 predicted on a class-1 pixel
    # By hand, counted pixels 2..5: class 1 tp 1, fn 1 (IoU 1/2); class 2 tp 2 (IoU 1).
    dataset = dataset_metrics([true, true], [pred, pred], kind="semantic", ignore_label=255)
    assert dataset.pooled["class"].tolist() == [1, 2]
    assert dataset.per_image_rows["class"].tolist() == [1, 2, 1, 2]  # each image's rows
    assert dataset.summary["mean_iou_pooled"] == pytest.approx((1 / 2 + 1) / 2)
    record = evaluate(true, pred, kind="semantic", ignore_label=255, binarize_semantic=False)
    assert record.semantic.per_class["class"].tolist() == [1, 2]
    assert record.semantic.summary["mean_iou"] == pytest.approx((1 / 2 + 1) / 2)


def test_an_ignored_object_id_keeps_the_foreground_class_of_files(tmp_path):
    # Label images from files, semantic metrics of foreground vs background (binarized), and
    # the truth's object 1 ignored: the binarized classes are 0 and 1 (the foreground), and the
    # ignored object id 1 must not take class 1 out with it.
    import tifffile

    from napari_seg_eval.io import evaluate_files

    true = np.zeros((8, 8), np.uint16)
    true[1:4, 1:4] = 1  # ignored: 9 pixels left out
    true[5:7, 5:7] = 2  # 4 pixels of foreground
    pred = np.zeros((8, 8), np.uint16)
    pred[1:4, 1:3] = 3  # wholly on the ignored pixels: gone
    pred[5:7, 5:7] = 4  # the foreground exactly
    for side, image in (("t", true), ("p", pred)):
        (tmp_path / side).mkdir()
        tifffile.imwrite(tmp_path / side / "a.tif", image)
    result = evaluate_files(tmp_path / "t", tmp_path / "p", kind="semantic", ignore_label=1)
    pooled = result["semantic"].pooled
    # By hand: 64 - 9 = 55 pixels counted; background 51 (tp 51), foreground 4 (tp 4).
    assert pooled[["class", "tp", "fp", "fn"]].to_numpy().tolist() == [[0, 51, 0, 0], [1, 4, 0, 0]]
    assert result.summary["mean_iou_pooled"] == 1.0


def test_the_background_ignored_is_no_class_of_label_images_on_every_path(tmp_path):
    # review115: label images compared foreground against background with ignore_label=0 (only
    # the annotated objects' pixels count). Every counted truth pixel is foreground, so the
    # background is no class of the comparison: reported by evaluate() (IoU 0, mean halved)
    # and not by the command line. Now left out on every path.
    import dask.array as da
    import tifffile

    from napari_seg_eval import evaluate
    from napari_seg_eval.io import evaluate_files

    true = np.zeros((4, 4), np.uint16)
    true[0:2, 0:2] = 1  # the 4 counted pixels
    pred = np.zeros((4, 4), np.uint16)
    pred[0:2, 0:1] = 5  # 2 of them found
    pred[3, 3] = 6  # on the ignored background: left out
    # By hand, class 1: tp 2, fp 0, fn 2 -> IoU 2/4; pixel accuracy 2/4.
    expected = [[1, 2, 0, 2]]
    foreground_only = pytest.warns(UserWarning, match="every truth pixel left to count")
    for t, p in ((true, pred), (da.from_array(true, chunks=3), da.from_array(pred, chunks=3))):
        with foreground_only:
            semantic = evaluate(t, p, kind="semantic", ignore_label=0).semantic
        assert semantic.per_class[["class", "tp", "fp", "fn"]].to_numpy().tolist() == expected
        assert semantic.summary["mean_iou"] == 0.5
    for side, image in (("t", true), ("p", pred)):
        (tmp_path / side).mkdir()
        tifffile.imwrite(tmp_path / side / "a.tif", image)
    with pytest.warns(UserWarning, match="every truth pixel left to count"):
        result = evaluate_files(tmp_path / "t", tmp_path / "p", kind="semantic", ignore_label=0)
    pooled = result["semantic"].pooled
    assert pooled[["class", "tp", "fp", "fn"]].to_numpy().tolist() == expected
    assert result.summary["mean_iou_pooled"] == 0.5


def test_a_table_whose_truth_has_the_ignored_id_is_refused():
    from napari_seg_eval import overlap_table
    from napari_seg_eval.core.semantic import semantic_metrics_from_table

    table = overlap_table(np.array([0, 1, 2]), np.array([0, 1, 1]))  # counted with id 2
    with pytest.raises(ValueError, match="ground truth has pixels of the ignored id 2"):
        semantic_metrics_from_table(table, ignore_label=2)


def test_foreground_against_background_with_the_background_ignored_is_said(tmp_path, capsys):
    # trial118: class images (0 unannotated, classes 1..2) scored with the default semantic
    # metrics (foreground against background) and ignore_label=0 score a perfect 1 whatever
    # their classes (every counted truth pixel is foreground): said, with the way to compare
    # classes. Here class 2 predicted as 1 on one pixel: class by class, class 1 tp 2 fp 1 and
    # class 2 tp 1 fn 1 (IoU 2/3 and 1/2); as foreground, tp 4 and IoU 1.
    import warnings

    import tifffile

    from napari_seg_eval import __main__ as cli
    from napari_seg_eval import evaluate
    from napari_seg_eval.io import evaluate_files

    true = np.array([[0, 0, 1, 1, 2, 2]], np.uint8)
    pred = np.array([[3, 0, 1, 1, 1, 2]], np.uint8)
    said = "every truth pixel left to count is foreground"
    with pytest.warns(UserWarning, match=said):
        binarized = evaluate(true, pred, kind="semantic", ignore_label=0).semantic
    assert binarized.per_class[["class", "tp", "iou"]].to_numpy().tolist() == [[1, 4, 1.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # class by class: nothing to say
        classes = evaluate(true, pred, kind="semantic", ignore_label=0, binarize_semantic=False)
    assert classes.semantic.per_class["iou"].tolist() == pytest.approx([2 / 3, 1 / 2])
    for side, image in (("t", true), ("p", pred)):
        (tmp_path / side).mkdir()
        tifffile.imwrite(tmp_path / side / "a.tif", image)
    with pytest.warns(UserWarning, match=said):
        evaluate_files(tmp_path / "t", tmp_path / "p", kind="semantic", ignore_label=0)
    argv = [str(tmp_path / "t"), str(tmp_path / "p"), "--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit):
        cli.main(["evaluate", *argv, "--kind", "semantic", "--ignore-label", "0"])
    err = capsys.readouterr().err
    assert said in err and "--class-labels on the command line" in err


def test_the_confusion_rows_add_up_to_each_class_with_the_ignored_id_predicted():
    # trial118: pixels predicted as the ignored id were in no column, so a row did not add up to
    # its class's true pixels. Counted pixels: true 1, 1, 2, 2; predicted 0, 1, 2, 1.
    true = np.array([[0, 0, 1, 1, 2, 2]])
    pred = np.array([[0, 2, 0, 1, 2, 1]])
    matrix = semantic_metrics(true, pred, ignore_label=0).confusion_matrix()
    assert matrix.index.tolist() == [1, 2] and matrix.columns.tolist() == [0, 1, 2]
    assert matrix.to_numpy().tolist() == [[1, 1, 0], [0, 1, 1]]
    assert matrix.sum(axis=1).tolist() == [2, 2]  # each class's support


def test_bad_input_with_the_background_ignored_gets_its_error_and_no_warning():
    # review119: the foreground-only warning came before the checks of the inputs, so a
    # refused call also warned. A region of another shape is refused, with no warning.
    import warnings

    from napari_seg_eval import evaluate

    true = np.array([[0, 1, 1]], np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="region"):
            evaluate(true, true, kind="semantic", ignore_label=0, region=np.ones((2, 2), bool))
