"""Object classes (classes163): confusion tables pooled over images or planes with different
classes, the class images of mappings in the smallest dtype, and the boundary spacing used to
split touching objects."""

import numpy as np
import pytest

import napari_seg_eval as nse
from napari_seg_eval.core import classes as classes_module
from napari_seg_eval.core.classes import check_classes, pixel_classes
from napari_seg_eval.core.dataset import dataset_metrics


def test_planes_with_different_classes_pool_their_confusion():
    # plane 0: true 5 (class 1) on pred 7 (class 1); plane 1: true 9 (class 2) on pred 8
    # (class 2). Each plane's table has one class; pooled: one pair on each diagonal cell.
    true = np.zeros((2, 4, 4), np.int32)
    pred = np.zeros_like(true)
    true[0, :2, :2], true[1, 2:, 2:], pred[0, :2, :2], pred[1, 2:, 2:] = 5, 9, 7, 8
    record = nse.evaluate(
        true,
        pred,
        true_classes={5: 1, 9: 2},
        pred_classes={7: 1, 8: 2},
        kind="instance",
        plane_axis=0,
    )
    confusion = record.instance.class_confusion
    assert confusion.index.tolist() == [1, 2] and confusion.columns.tolist() == [1, 2]
    assert confusion.to_numpy().tolist() == [[1, 0], [0, 1]]


def test_images_with_different_classes_pool_their_confusion():
    # image a: object 1 of class 1 found as class 1; image b: object 1 of class 2 found as
    # class 3. Image a's table is {1}x{1}, image b's {2, 3}x{2, 3}: pooled on {1, 2, 3},
    # (1,1)=1, (2,3)=1, 0 elsewhere.
    image = np.zeros((4, 4), np.int32)
    image[:2, :2] = 1
    result = dataset_metrics(
        [image, image],
        [image, image],
        true_classes=[{1: 1}, {1: 2}],
        pred_classes=[{1: 1}, {1: 3}],
        iou_thresholds=[0.5],
    )
    confusion = result.class_confusion
    assert confusion.index.tolist() == [1, 2, 3] and confusion.columns.tolist() == [1, 2, 3]
    assert confusion.to_numpy().tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    assert confusion.to_numpy().dtype == np.int64


def test_images_with_one_class_each_pool_a_square_confusion():
    # image a: only class 1, image b: only class 2 (each table 1x1 on a different class)
    image = np.zeros((4, 4), np.int32)
    image[:2, :2] = 3
    result = dataset_metrics(
        [image, image],
        [image, image],
        true_classes=[{3: 1}, {3: 2}],
        pred_classes=[{3: 1}, {3: 2}],
        iou_thresholds=[0.5],
    )
    assert result.class_confusion.to_numpy().tolist() == [[1, 0], [0, 1]]


@pytest.mark.parametrize("piece", [5, 1 << 21])
@pytest.mark.parametrize("scale", [1, 10**7])  # ids in a table by id; ids searched
def test_pixel_classes_smallest_dtype_in_pieces(monkeypatch, piece, scale):
    monkeypatch.setattr(classes_module, "_PIECE_PIXELS", piece)
    labels = np.array([[0, 1, 1, 4], [4, 0, 9, 9], [1, 9, 0, 4]], np.int64) * scale
    spec = check_classes({scale: 2, 4 * scale: 0, 9 * scale: 3}, labels.shape, "true_classes")
    out = pixel_classes(labels, spec)
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 2, 2, 0], [0, 0, 3, 3], [2, 3, 0, 0]]
    ignored = pixel_classes(labels, spec, ignore_label=9 * scale)
    assert ignored.tolist() == [[0, 2, 2, 0], [0, 0, 0, 0], [2, 0, 0, 0]]
    labels[2, 3] = -1  # in the last piece of 5
    with pytest.raises(ValueError, match="ground truth has negative label ids"):
        pixel_classes(labels, spec, labels_name="ground truth")


def test_pixel_classes_dtype_holds_large_classes():
    labels = np.array([[1, 2]], np.uint16)
    spec = check_classes({1: 300, 2: 2**40}, labels.shape, "pred_classes")
    out = pixel_classes(labels, spec)
    assert out.dtype == np.uint64 and out.tolist() == [[300, 2**40]]
    assert pixel_classes(labels, check_classes({1: 300, 2: 1}, labels.shape, "p")).dtype == (
        np.uint16
    )


@pytest.mark.parametrize("missing", [7, 7 * 10**7])
def test_pixel_classes_names_an_object_without_class(monkeypatch, missing):
    monkeypatch.setattr(classes_module, "_PIECE_PIXELS", 2)
    labels = np.array([[1, 0, missing, 1]], np.int64)
    spec = check_classes({1: 1}, labels.shape, "true_classes")
    with pytest.raises(ValueError, match=rf"true_classes gives no class .*\[{missing}\]"):
        pixel_classes(labels, spec)


def test_boundary_spacing_splits_touching_objects():
    # two spheres of radius 8 (µm), centres 10 µm apart, on pixels of 2 x 0.5 x 0.5 µm: at
    # that pixel size the neck between them splits them; in pixels (flat objects) it does not.
    z, y, x = np.meshgrid(
        np.arange(12) * 2.0, np.arange(40) * 0.5, np.arange(60) * 0.5, indexing="ij"
    )
    first = (z - 11) ** 2 + (y - 10) ** 2 + (x - 9) ** 2 <= 64
    second = (z - 11) ** 2 + (y - 10) ** 2 + (x - 19) ** 2 <= 64
    prob = (first | second).astype(np.float32)
    true = first.astype(np.int32) + 2 * (second & ~first)
    spacing = (2.0, 0.5, 0.5)
    record = nse.evaluate(true, prob, threshold=0.5, split_touching=True, spacing=spacing)
    assert int(record.instance.summary["n_pred"]) == 2
    assert record.settings.threshold_options.spacing == spacing
    plain = nse.evaluate(true, prob, threshold=0.5, split_touching=True)
    assert int(plain.instance.summary["n_pred"]) == 1  # the split at 1 per axis differs


def _one_class_missing_outside_region():
    """Truth 5 (class 1) in the top-left 4x4 region, truth 9 (no class) outside it."""
    true = np.zeros((8, 8), np.int32)
    pred = np.zeros_like(true)
    true[:3, :3], true[5:, 5:], pred[:3, :3], pred[5:, 5:] = 5, 9, 7, 8
    region = np.zeros((8, 8), bool)
    region[:4, :4] = True
    return true, pred, region


@pytest.mark.parametrize("route", ["memory", "chunked", "planes"])
def test_classes_asked_only_of_objects_in_the_region(route):
    import dask.array as da

    true, pred, region = _one_class_missing_outside_region()
    expected = np.zeros((8, 8), np.uint8)
    expected[:3, :3] = 1  # class 1 on object 5; 0 elsewhere (outside: never asked)
    extra = {}
    if route == "chunked":
        true, pred = da.from_array(true, chunks=4), da.from_array(pred, chunks=4)
    if route == "planes":
        true, pred, region = np.stack([true, true]), np.stack([pred, pred]), np.stack([region] * 2)
        expected = np.stack([expected, expected])
        extra = {"plane_axis": 0}
    record = nse.evaluate(
        true,
        pred,
        true_classes={5: 1},
        pred_classes={7: 1, 8: 2},
        kind="both",
        binarize_semantic=False,
        region=region,
        **extra,
    )
    # inside the region: 9 pixels of class 1 on both sides, 7 of class 0 on both: IoU 1, 1
    assert record.semantic.summary["mean_iou"] == 1.0
    assert np.asarray(record.semantic_truth).tolist() == expected.tolist()
    assert np.asarray(record.semantic_prediction).tolist() == expected.tolist()


def test_pixel_classes_region_leaves_outside_unasked():
    import dask.array as da

    true, _, region = _one_class_missing_outside_region()
    spec = check_classes({5: 1}, true.shape, "true_classes")
    lazy = pixel_classes(da.from_array(true, chunks=3), spec, region=region)
    assert np.asarray(lazy).sum() == 9 and np.asarray(lazy)[:3, :3].min() == 1
    with pytest.raises(ValueError, match=r"true_classes gives no class .*\[9\]"):
        pixel_classes(true, spec)  # without the region, object 9 is counted and has none


@pytest.mark.parametrize("lazy", [False, True])
def test_semantic_error_map_leaves_uncounted_pixels_zero(lazy):
    import dask.array as da

    from napari_seg_eval.core.review import semantic_error_map

    true = np.array([[0, 1, 1, 2, 1, 1]])
    pred = np.array([[1, 1, 0, 1, 1, 0]])
    region = np.array([[False, True, True, True, True, True]])
    if lazy:
        true, pred = da.from_array(true, chunks=(1, 2)), da.from_array(pred, chunks=(1, 2))
    out = semantic_error_map(true, pred, 1, region=region, ignore_label=2)
    # FP at 0 (outside the region: 0) and 3 (the truth's ignored 2: 0), FN at 2 and 5
    assert np.asarray(out).tolist() == [[0, 0, 3, 0, 0, 3]]
    ignored = semantic_error_map(true, pred, 2, ignore_label=2)  # class 2's FN ignored
    assert np.asarray(ignored).tolist() == [[0] * 6]
    with pytest.raises(ValueError, match="region has shape"):
        semantic_error_map(true, pred, 1, region=np.ones((2, 6), bool))
