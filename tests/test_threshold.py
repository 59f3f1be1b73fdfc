import numpy as np
import pytest

from napari_seg_eval import label_instances, sigmoid, softmax, threshold_probabilities


def test_strictly_above_threshold_is_foreground():
    prob = np.array([[0.0, 0.49, 0.5, 0.51, 1.0]], np.float32)
    assert threshold_probabilities(prob).tolist() == [[0, 0, 0, 1, 1]]
    assert threshold_probabilities(prob, 0.0).tolist() == [[0, 1, 1, 1, 1]]
    assert threshold_probabilities(prob, 1.0).tolist() == [[0, 0, 0, 0, 0]]
    assert threshold_probabilities(prob).dtype == np.uint8


def test_blocks_cover_the_whole_image(monkeypatch):
    from napari_seg_eval.core import threshold

    monkeypatch.setattr(threshold, "CHUNK_PIXELS", 7)
    prob = np.linspace(0, 1, 60, dtype=np.float64).reshape(3, 4, 5)
    np.testing.assert_array_equal(threshold.threshold_probabilities(prob, 0.3), prob > 0.3)
    classes = np.stack([prob, 1 - prob])
    expected = np.where(prob >= 0.5, 1, 2)  # ties (0.5 exactly) go to the first class
    expected[np.maximum(prob, 1 - prob) <= 0.6] = 0
    np.testing.assert_array_equal(
        threshold.threshold_probabilities(classes, 0.6, channel_axis=0), expected
    )


def test_multiclass_argmax_background_and_ties():
    # channels last: (2, 2, 3)
    prob = np.array([[[0.2, 0.7, 0.1], [0.4, 0.4, 0.2]], [[0.3, 0.3, 0.4], [0.05, 0.05, 0.9]]])
    labels = threshold_probabilities(prob, 0.5, channel_axis=-1)
    # (0,1): tie 0.4/0.4 -> first class, but 0.4 <= 0.5 -> background
    assert labels.tolist() == [[2, 0], [0, 3]]
    assert threshold_probabilities(prob, 0.35, channel_axis=2).tolist() == [[2, 1], [3, 3]]
    with_background = threshold_probabilities(prob, 0.0, channel_axis=2, class_ids=[0, 1, 2])
    assert with_background.tolist() == [[1, 0], [2, 2]]


@pytest.mark.parametrize(
    ("prob", "error", "words"),
    [
        (np.array([[0.2, np.nan]]), ValueError, "NaN"),
        (np.array([[-2.0, 3.0]]), ValueError, "logits"),
        (np.array([[0, 1]]), TypeError, "floating point"),
        (np.array([[True, False]]), TypeError, "floating point"),
        (np.zeros((0, 4)), ValueError, "empty"),
    ],
)
def test_bad_probabilities(prob, error, words):
    with pytest.raises(error, match=words):
        threshold_probabilities(prob)


def test_bad_threshold_and_channel_args():
    prob = np.full((2, 2), 0.5)
    with pytest.raises(ValueError, match="threshold"):
        threshold_probabilities(prob, 1.5)
    with pytest.raises(ValueError, match="channel_axis"):
        threshold_probabilities(prob, channel_axis=3)
    with pytest.raises(ValueError, match="class_ids"):
        threshold_probabilities(prob, channel_axis=0, class_ids=[1])


def test_sigmoid_softmax_helpers():
    np.testing.assert_allclose(sigmoid(np.array([0.0, 100.0, -100.0])), [0.5, 1.0, 0.0], atol=1e-12)
    out = softmax(np.array([[0.0, np.log(3.0)], [0.0, 0.0]]), axis=0)
    np.testing.assert_allclose(out, [[0.5, 0.75], [0.5, 0.25]])
    threshold_probabilities(sigmoid(np.array([[-5.0, 5.0]])))  # now valid


def test_label_connectivity_and_dtype():
    mask = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]], bool)
    assert label_instances(mask).max() == 1  # diagonal neighbours connect by default
    faces = label_instances(mask, connectivity=1)
    assert faces.max() == 2 and faces.dtype == np.uint8
    big = np.zeros((2, 600), bool)
    big[0, ::2] = True
    assert label_instances(big).dtype == np.uint16 and label_instances(big).max() == 300


def test_min_size_relabels_sequentially():
    mask = np.zeros((5, 9), bool)
    mask[0, 0] = True  # 1 px
    mask[2:4, 2:4] = True  # 4 px
    mask[0, 6:9] = True  # 3 px
    labels = label_instances(mask, min_size=3)
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2]
    assert labels[0, 0] == 0 and np.count_nonzero(labels) == 7


def test_semantic_classes_become_separate_instances():
    classes = np.array([[1, 1, 2, 2, 0, 1]])
    assert label_instances(classes).tolist() == [[1, 1, 2, 2, 0, 3]]


def test_split_touching_discs():
    yy, xx = np.mgrid[:40, :60]
    mask = ((yy - 20) ** 2 + (xx - 18) ** 2 < 12**2) | ((yy - 20) ** 2 + (xx - 40) ** 2 < 12**2)
    assert label_instances(mask).max() == 1
    split = label_instances(mask, split_touching=True)
    assert split.max() == 2
    assert split[20, 18] != split[20, 40]
    assert np.count_nonzero(split) == np.count_nonzero(mask)  # no pixel lost
    # a single disc is not over-split, and a small blob without a deep maximum survives
    disc = (yy - 20) ** 2 + (xx - 18) ** 2 < 12**2
    disc[2, 50] = True
    assert label_instances(disc, split_touching=True).max() == 2


def test_label_bad_input():
    with pytest.raises(TypeError, match="boolean or integer"):
        label_instances(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="connectivity"):
        label_instances(np.zeros((3, 3), bool), connectivity=3)


def test_comparison_is_exact_for_float32():
    # float32(0.3) is 0.30000001192...: strictly above the threshold 0.3
    prob = np.array([[np.float32(0.3), np.float32(0.5)]], np.float32)
    assert threshold_probabilities(prob, 0.3).tolist() == [[1, 1]]
    assert threshold_probabilities(prob, 0.5).tolist() == [[0, 0]]
    # float32(0.7) is 0.69999998807...: not above 0.7
    below = np.array([[np.float32(0.7)]], np.float32)
    assert threshold_probabilities(below, 0.7).tolist() == [[0]]
    assert threshold_probabilities(below, 0.6999999).tolist() == [[1]]
