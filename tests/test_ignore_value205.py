"""The truth's unannotated value (255) scored as a class is suspected and said (trial200)."""

import warnings

import numpy as np
import pytest

from napari_seg_eval import semantic_metrics
from napari_seg_eval.core.overlap import overlap_table
from napari_seg_eval.core.semantic import ignore_value_hint, ignore_value_suspected

# classes 0..2 and an unannotated margin of 255 (4 pixels), never predicted
TRUE = np.array(
    [
        [0, 0, 1, 1, 255],
        [0, 2, 2, 1, 255],
        [0, 2, 2, 1, 255],
        [0, 0, 0, 0, 255],
    ]
)
PRED = np.array(
    [
        [0, 0, 1, 1, 1],
        [0, 2, 2, 1, 0],
        [0, 2, 2, 1, 2],
        [0, 0, 0, 0, 0],
    ]
)


def test_semantic_metrics_says_255_is_scored_as_a_class():
    with pytest.warns(UserWarning, match="4 pixels of value 255.*pass ignore_label=255"):
        result = semantic_metrics(TRUE, PRED)
    # what the warning is about: 255 is a class with IoU 0 in the mean (by hand: classes 0, 1, 2
    # have IoU 8/10, 4/5, 4/5, the margin's predictions (0 twice, 1, 2) their false positives)
    iou = result.per_class.set_index("class")["iou"]
    assert iou[255] == 0
    assert iou[0] == pytest.approx(8 / 10)
    assert iou[1] == pytest.approx(4 / 5)
    assert iou[2] == pytest.approx(4 / 5)
    assert result.summary["mean_iou"] == pytest.approx((8 / 10 + 4 / 5 + 4 / 5 + 0) / 4)


def test_no_warning_with_ignore_label_and_the_numbers_it_gives():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = semantic_metrics(TRUE, PRED, ignore_label=255)
    iou = result.per_class.set_index("class")["iou"]
    assert 255 not in iou.index
    assert iou.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("true", "pred", "highest", "expected"),
    [
        (TRUE, PRED, None, 255),
        (TRUE, PRED, 2, 255),
        (TRUE, np.where(TRUE == 255, 255, PRED), None, None),  # 255 predicted: a class
        (TRUE, PRED + 300 * (PRED == 2), None, None),  # predictions beyond it: ids, not classes
        (np.where(TRUE == 255, 7, TRUE), PRED, None, None),  # 7: no convention without a map
        (np.where(TRUE == 255, 7, TRUE), PRED, 3, 7),  # ... but no class of a 0..3 map
        (np.where(TRUE == 255, 3, TRUE), PRED, 3, None),  # a class the map can give
        (np.where(TRUE == 255, 65535, TRUE), PRED, None, 65535),
        (255 * (TRUE > 0), TRUE > 0, None, None),  # a 0/255 binary mask
    ],
)
def test_ignore_value_suspected(true, pred, highest, expected):
    table = overlap_table(true, np.asarray(pred, dtype=np.int64))
    assert ignore_value_suspected(table, highest) == expected


def test_hint_names_count_classes_and_option():
    table = overlap_table(TRUE, PRED)
    said = ignore_value_hint(table, 255, 2, "--ignore-label 255")
    assert said.startswith("the truth has 4 pixels of value 255, which the prediction never has")
    assert "(its classes run 0..2)" in said
    assert said.endswith("pass --ignore-label 255.")


def test_class_image_suspected_despite_an_unannotated_255():
    from napari_seg_eval.core.instance import ObjectPairs
    from napari_seg_eval.evaluation import class_image_suspected

    classes = np.zeros((4, 14), int)
    classes[:, :6], classes[:, 6:12], classes[:, 12:] = 1, 2, 255  # two classes, a margin
    cells = np.zeros((4, 14), int)
    cells[::2, :12:2] = np.arange(1, 13).reshape(2, 6)  # 12 one-pixel cells, 6 in each class
    pairs = ObjectPairs.from_table(overlap_table(classes, cells))
    assert class_image_suspected(pairs, 3)
    # a value above the map's classes that is no unannotated convention still says "ids"
    pairs = ObjectPairs.from_table(overlap_table(np.where(classes == 255, 9, classes), cells))
    assert not class_image_suspected(pairs, 3)


def test_evaluate_says_255_once_with_the_map_classes():
    from napari_seg_eval.evaluation import evaluate

    # a softmax of 3 channels (channel 0 background): argmax = PRED; the truth's margin is 255
    prob = np.stack([(k == PRED).astype(np.float32) * 0.8 + 0.1 for k in range(3)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = evaluate(
            TRUE,
            prob,
            kind="semantic",
            channel_axis=0,
            background_channel=True,
            threshold=0,
            binarize_semantic=False,
        )
    said = [str(w.message) for w in caught if "value 255" in str(w.message)]
    assert len(said) == 1
    assert "(its classes run 0..2)" in said[0] and "ignore_label=255" in said[0]
    iou = record.semantic.per_class.set_index("class")["iou"]
    assert iou[255] == 0 and iou[0] == pytest.approx(8 / 10)


def _tracks() -> tuple[np.ndarray, np.ndarray]:
    """3 frames of a (z, y, x) volume with two tracked objects, and a prediction 1 px off."""
    true = np.zeros((3, 4, 16, 16), int)
    for frame in range(3):
        true[frame, 1:3, 2 + frame : 6 + frame, 2:6] = 1
        true[frame, 1:3, 9:13, 9:13] = 2
    return true, np.roll(true, 1, axis=-1)


def test_a_time_series_compared_as_one_volume_is_said():
    from napari_seg_eval import boundary_metrics, instance_metrics, review_objects

    true, pred = _tracks()
    for function, call in [
        ("instance_metrics", instance_metrics),
        ("boundary_metrics", boundary_metrics),
        ("review_objects", review_objects),
    ]:
        with pytest.warns(RuntimeWarning, match=f"^{function}: the images have 4 axes"):
            call(true, pred)
    # what it says: each track is one object (2, not 6 objects of 3 frames)
    with pytest.warns(RuntimeWarning, match="4 axes"):
        assert int(instance_metrics(true, pred).summary["n_true"]) == 2


def test_evaluate_by_frame_is_not_warned_and_counts_every_frame():
    from napari_seg_eval.evaluation import evaluate

    true, pred = _tracks()
    with pytest.warns(RuntimeWarning, match="^evaluate: the images have 4 axes"):
        evaluate(true, pred, kind="instance")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = evaluate(true, pred, kind="instance", plane_axis=0, label_each_plane=True)
    assert int(record.instance.summary["n_true"]) == 6
    # one frame of a volume is no time series
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from napari_seg_eval import instance_metrics

        instance_metrics(true[:1], pred[:1])


def test_instance_ids_up_to_255_are_no_unannotated_value():
    cells = np.arange(256).reshape(16, 16)  # 255 objects of one pixel, ids 1..255
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        semantic_metrics(cells, np.where(cells == 255, 0, cells))


def test_a_binary_mask_with_an_unannotated_border_is_said_by_evaluate():
    from napari_seg_eval.evaluation import evaluate

    truth = np.zeros((20, 20), np.uint8)
    truth[5:10, 5:10] = 1
    truth[:, 18:] = 255  # 40 unannotated pixels
    pred = (truth == 1).astype(np.uint8)
    with pytest.warns(UserWarning, match="40 pixels of value 255.*ignore_label=255"):
        record = evaluate(truth, pred)  # the defaults: foreground vs background, and objects
    # what it says: the border is a missed object (FN 1 of 2) and foreground (recall 25/65)
    assert int(record.instance.per_threshold["fn"].iloc[0]) == 1
    assert float(record.semantic.per_class.set_index("class")["recall"][1]) == pytest.approx(
        25 / 65
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = evaluate(truth, pred, ignore_label=255)
    assert int(record.instance.per_threshold["fn"].iloc[0]) == 0


def test_an_instance_id_255_found_by_the_prediction_is_no_unannotated_value():
    from napari_seg_eval.evaluation import evaluate

    cells = np.zeros((20, 20), np.uint16)  # a crop of instance labels: ids 12, 40 and 255
    cells[2:6, 2:6], cells[10:14, 2:6], cells[5:20, 10:20] = 12, 40, 255
    found = np.zeros_like(cells)  # numbered on their own; 255 found at IoU 1
    found[2:6, 2:6], found[10:14, 2:6], found[5:20, 10:20] = 1, 2, 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = evaluate(cells, found)
    assert int(record.instance.per_threshold["tp"].iloc[0]) == 3
