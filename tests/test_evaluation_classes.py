"""The Evaluate tab's record (``evaluation.evaluate``) of a multi-class probability map scored
class by class: the semantic side is the map's classes, not its objects' ids."""

import dask.array as da
import numpy as np
import pytest

from napari_seg_eval.evaluation import ThresholdOptions, evaluate


def multiclass_case() -> tuple[np.ndarray, np.ndarray]:
    """Truth classes [[1, 2, 3], [1, 2, 2]]; a map of 3 classes (channel axis first) whose
    argmax, where its probability is above 0.5, is [[1, 2, 3], [0, 3, 2]] (class c is channel
    c - 1; 0 where no channel passes). By hand, per class: 0: 0/1 (one predicted pixel, not
    in the truth), 1: 1/2, 2: 2/3, 3: 1/2; mean IoU (background included) 5/12, pixel
    accuracy 4/6. Class 2 is two objects at connectivity 1 (its pixels touch diagonally)."""
    true = np.array([[1, 2, 3], [1, 2, 2]], np.uint8)
    predicted = np.array([[1, 2, 3], [0, 3, 2]])
    prob = np.full((3, 2, 3), 0.1, np.float32)
    for channel in range(3):
        prob[channel][predicted == channel + 1] = 0.9
    return true, prob


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("kind", ["semantic", "both"])
def test_a_multiclass_map_is_scored_by_its_classes(chunked, kind):
    """Regression (a new user's trial): with binarize_semantic off, the dock compared the
    truth's classes with the map's connected-component ids (classes 4 and 5 appeared, mean
    IoU 0.3056); the command line (--class-labels) gave the right 0.4167."""
    true, prob = multiclass_case()
    if chunked:
        true, prob = da.from_array(true, chunks=1), da.from_array(prob, chunks=(3, 1, 2))
    record = evaluate(
        true,
        prob,
        threshold=0.5,
        kind=kind,
        binarize_semantic=False,
        threshold_options=ThresholdOptions(channel_axis=0, connectivity=1),
    )
    summary = record.semantic.summary
    assert summary["mean_iou"] == pytest.approx(5 / 12)
    assert summary["pixel_accuracy"] == pytest.approx(4 / 6)
    per_class = record.semantic.per_class.set_index("class")["iou"]
    assert per_class.index.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(per_class.to_numpy(), [0, 1 / 2, 2 / 3, 1 / 2])
