"""Classes of objects: the majority class of a class image, or a mapping id -> class."""

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval.core.classes import check_classes, majority_classes, object_classes


def test_majority_class_with_ties_to_the_smallest_class():
    labels = np.array([[1, 1, 1, 2, 2, 3, 3, 3, 3, 0]])
    # object 1: classes 5, 5, 2 -> 5; object 2: one pixel of 7, one of 4 -> tie -> 4;
    # object 3: 0, 0, 6, 6 -> tie between 0 and 6 -> 0 (class 0 is a class like any other)
    classes = np.array([[5, 5, 2, 7, 4, 0, 0, 6, 6, 9]])
    ids, found = majority_classes(labels, classes)
    assert ids.tolist() == [1, 2, 3]
    assert found.tolist() == [5, 4, 0]


def test_class_image_and_mapping_give_the_same_classes():
    labels = np.array([[4, 4, 0, 9, 9, 9]], np.uint16)
    image = np.array([[2, 2, 0, 1, 1, 3]], np.uint8)
    from_image = object_classes(np.array([4, 9]), check_classes(image, (1, 6), "c"), labels)
    from_mapping = object_classes(np.array([4, 9]), check_classes({4: 2, 9: 1}, (1, 6), "c"))
    assert from_image.tolist() == from_mapping.tolist() == [2, 1]


def test_huge_ids_in_a_mapping_stay_exact():
    big = np.uint64(2**63 + 5)
    spec = check_classes(pd.Series([3, 4], index=np.array([7, big], np.uint64)), (2,), "c")
    assert object_classes(np.array([7, big], np.uint64), spec).tolist() == [3, 4]


def test_a_mapping_missing_objects_names_them():
    spec = check_classes({1: 1}, (3,), "pred_classes")
    with pytest.raises(ValueError, match=r"pred_classes gives no class for 2 object.*\[2, 5\]"):
        object_classes(np.array([1, 2, 5]), spec)


@pytest.mark.parametrize(
    ("classes", "error", "match"),
    [
        (np.zeros((2, 3), float), TypeError, "class image of integers"),
        (np.zeros((3, 2), int), ValueError, r"shape \(3, 2\) but its label image"),
        ({1: -1}, ValueError, "negative classes"),
        ({-1: 1}, ValueError, "negative ids"),
        ({1: 1.5}, TypeError, "must be integers"),
        (pd.Series([1, 2], index=[3, 3]), ValueError, r"ids \[3\] twice"),
    ],
)
def test_bad_classes_are_refused(classes, error, match):
    with pytest.raises(error, match=match):
        check_classes(classes, (2, 3), "true_classes")


def test_chunked_class_image_equals_in_memory():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 6, (40, 40))
    classes = rng.integers(0, 4, (40, 40))
    expected = majority_classes(labels, classes)
    lazy = majority_classes(da.from_array(labels, chunks=13), da.from_array(classes, chunks=13))
    for got, want in zip(lazy, expected, strict=True):
        assert got.tolist() == want.tolist()
    # and from first principles, one object at a time
    for object_id, found in zip(*expected, strict=True):
        counts = np.bincount(classes[labels == object_id])
        assert found == np.argmax(counts)  # argmax takes the first (smallest) on ties
