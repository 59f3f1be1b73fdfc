"""Boundary metrics against hand-computed values and a brute-force reference."""

import math

import numpy as np
import pytest
from scipy import ndimage as ndi
from scipy.spatial.distance import cdist

from napari_seg_eval.core import boundary
from napari_seg_eval.core.boundary import boundary_metrics

COLUMNS = ["hd", "hd95", "assd", "nsd", "boundary_f1"]


def square(shape, rows, cols, value=1, dtype=np.uint8):
    image = np.zeros(shape, dtype)
    image[rows[0] : rows[1], cols[0] : cols[1]] = value
    return image


def row_of(result, class_id=1):
    return result.per_class.set_index("class").loc[class_id, COLUMNS].to_numpy(float)


# --- brute-force reference, from the definitions --------------------------------------------


def reference_edge(mask):
    """Pixels of the mask with a face-neighbour outside it (outside the image: background)."""
    padded = np.pad(mask, 1)
    inside = np.ones(mask.shape, bool)
    for axis in range(mask.ndim):
        for step in (-1, 1):
            shifted = np.roll(padded, step, axis=axis)
            inside &= shifted[(slice(1, -1),) * mask.ndim]
    return mask & ~inside


def reference_scores(true_mask, pred_mask, spacing, tolerance):
    true_points = np.argwhere(reference_edge(true_mask)) * np.asarray(spacing)
    pred_points = np.argwhere(reference_edge(pred_mask)) * np.asarray(spacing)
    distances = cdist(pred_points, true_points)
    pred_to_true, true_to_pred = distances.min(axis=1), distances.min(axis=0)
    both = np.concatenate([pred_to_true, true_to_pred])
    precision = np.mean(pred_to_true <= tolerance)
    recall = np.mean(true_to_pred <= tolerance)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return np.array(
        [
            max(pred_to_true.max(), true_to_pred.max()),
            max(np.percentile(pred_to_true, 95), np.percentile(true_to_pred, 95)),
            both.mean(),
            np.mean(both <= tolerance),
            f1,
        ]
    )


def blobs(shape, seed, level=0.5):
    rng = np.random.default_rng(seed)
    return ndi.gaussian_filter(rng.random(shape), 2) > level


# --- hand-computed cases ---------------------------------------------------------------------


def test_squares_offset_by_three_directed_distances_by_hand():
    # 4x4 squares, the prediction 3 columns to the right. Each boundary has 12 pixels; from
    # the predicted one to the true one: 4 on the shared column (0), 2 at 1, 2 at 2 and the
    # far column at 3 (4 pixels). The other direction is the mirror image.
    true = square((10, 14), (2, 6), (2, 6))
    pred = square((10, 14), (2, 6), (5, 9))
    hd, hd95, assd, nsd, f1 = row_of(boundary_metrics(true, pred, tolerance=1))
    assert hd == 3
    assert hd95 == 3  # h = 0.95 * 11 = 10.45 lies between two 3s
    assert assd == pytest.approx((0 * 4 + 1 * 2 + 2 * 2 + 3 * 4) / 12)
    assert nsd == pytest.approx(6 / 12)
    assert f1 == pytest.approx(0.5)
    nsd_2 = row_of(boundary_metrics(true, pred, tolerance=2))[3]
    assert nsd_2 == pytest.approx(8 / 12)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_hausdorff_of_squares_offset_by_k_is_k(k):
    true = square((12, 20), (3, 9), (3, 9))
    pred = square((12, 20), (3, 9), (3 + k, 9 + k))
    assert row_of(boundary_metrics(true, pred))[0] == k
    # along axis 0 too
    pred = square((20, 12), (3 + k, 9 + k), (3, 9))
    assert row_of(boundary_metrics(square((20, 12), (3, 9), (3, 9)), pred))[0] == k


def test_one_pixel_objects():
    true = square((8, 10), (3, 4), (3, 4))
    pred = square((8, 10), (3, 4), (7, 8))
    hd, hd95, assd, nsd, f1 = row_of(boundary_metrics(true, pred))
    assert (hd, hd95, assd, nsd, f1) == (4, 4, 4, 0, 0)


def test_one_pixel_inside_a_square():
    # Truth: the centre pixel (its own boundary). Prediction: the 3x3 square around it, whose
    # 8 boundary pixels lie at 1 (4 edges) and sqrt(2) (4 corners) from the centre.
    true = square((7, 7), (3, 4), (3, 4))
    pred = square((7, 7), (2, 5), (2, 5))
    hd, hd95, assd, nsd, f1 = row_of(boundary_metrics(true, pred, tolerance=1))
    assert hd == pytest.approx(math.sqrt(2))
    assert hd95 == pytest.approx(math.sqrt(2))  # h = 6.65 between two corners
    assert assd == pytest.approx((4 * 1 + 4 * math.sqrt(2) + 1) / 9)
    assert nsd == pytest.approx(5 / 9)
    precision, recall = 4 / 8, 1.0
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall))


def test_hd95_interpolates_linearly():
    # A line of 11 pixels against its first pixel: distances 0, 1, ..., 10 from the line to
    # the pixel, and 0 back. h = 0.95 * 10 = 9.5, halfway between 9 and 10.
    true = np.zeros((3, 14), np.uint8)
    true[1, 1:12] = 1
    pred = np.zeros_like(true)
    pred[1, 1] = 1
    hd, hd95, assd, _, _ = row_of(boundary_metrics(true, pred))
    assert hd == 10
    assert hd95 == pytest.approx(9.5)
    assert assd == pytest.approx(sum(range(11)) / 12)


def test_anisotropic_spacing_scales_distances_along_each_axis():
    true = square((20, 20), (3, 8), (3, 8))
    along_0 = square((20, 20), (6, 11), (3, 8))
    along_1 = square((20, 20), (3, 8), (6, 11))
    assert row_of(boundary_metrics(true, along_0, spacing=(2, 1)))[0] == 6
    assert row_of(boundary_metrics(true, along_1, spacing=(2, 1)))[0] == 3
    assert row_of(boundary_metrics(true, along_1, spacing=0.5))[0] == 1.5
    # The line of 11 pixels along axis 0 with a spacing of 2: distances 0, 2, ..., 20.
    line = np.zeros((14, 3), np.uint8)
    line[1:12, 1] = 1
    dot = np.zeros_like(line)
    dot[1, 1] = 1
    hd, hd95, *_ = row_of(boundary_metrics(line, dot, spacing=(2, 1)))
    assert (hd, hd95) == (20, pytest.approx(19))


def test_tolerance_is_in_physical_units():
    true = square((10, 14), (2, 6), (2, 6))
    pred = square((10, 14), (2, 6), (5, 9))
    # spacing 2: distances 0, 2, 4, 6; tolerance 2 keeps the 0s and the 2s (6 of 12 per side).
    nsd = row_of(boundary_metrics(true, pred, spacing=2, tolerance=2))[3]
    assert nsd == pytest.approx(6 / 12)


def test_one_mask_empty_is_inf_and_zero():
    true = square((6, 6), (1, 3), (1, 3))
    empty = np.zeros_like(true)
    for pair in ((true, empty), (empty, true)):
        result = boundary_metrics(*pair)
        assert row_of(result).tolist() == [math.inf, math.inf, math.inf, 0, 0]
        assert result.summary["mean_hd"] == math.inf


def test_both_empty_is_nan():
    empty = np.zeros((6, 6), np.uint8)
    result = boundary_metrics(empty, empty, classes=[1])
    assert np.isnan(row_of(result)).all()
    assert math.isnan(result.summary["mean_hd"])
    # nothing present and nothing asked: no rows, undefined means
    result = boundary_metrics(empty, empty)
    assert result.per_class.empty and result.summary["n_classes"] == 0
    assert math.isnan(result.summary["mean_nsd"])


def test_3d_cubes_by_hand():
    # 3x3x3 cubes, the prediction 2 voxels along the last axis. Each boundary has 26 voxels:
    # 9 on the shared face (0), 8 on the middle ring (1) and 9 on the far face (2).
    true = np.zeros((7, 7, 9), np.uint8)
    true[2:5, 2:5, 2:5] = 1
    pred = np.roll(true, 2, axis=2)
    hd, hd95, assd, nsd, f1 = row_of(boundary_metrics(true, pred, tolerance=1))
    assert (hd, hd95) == (2, 2)
    assert assd == pytest.approx((8 + 18) / 26)
    assert nsd == pytest.approx(17 / 26)
    assert f1 == pytest.approx(17 / 26)
    assert row_of(boundary_metrics(true, pred, spacing=(1, 1, 3)))[0] == 6


def test_classes_on_one_side_only_and_requested_absent_class():
    true = np.zeros((10, 20), np.uint8)
    pred = np.zeros_like(true)
    true[1:4, 1:4] = 1
    pred[1:4, 2:5] = 1
    true[6:9, 6:9] = 2  # only in the truth
    pred[6:9, 12:15] = 3  # only in the prediction
    result = boundary_metrics(true, pred)
    table = result.per_class.set_index("class")
    assert table.index.tolist() == [1, 2, 3]
    assert table.loc[1, "hd"] == 1
    for class_id in (2, 3):
        assert table.loc[class_id, COLUMNS].tolist() == [math.inf, math.inf, math.inf, 0, 0]
    assert result.summary["mean_hd"] == math.inf
    assert result.summary["mean_nsd"] == pytest.approx(table.loc[1, "nsd"] / 3)

    asked = boundary_metrics(true, pred, classes=[1, 4])
    table = asked.per_class.set_index("class")
    assert np.isnan(table.loc[4, COLUMNS].to_numpy(float)).all()
    assert asked.summary["mean_hd"] == 1  # the NaN class is left out of the means


def test_background_class_only_when_asked():
    true = square((9, 9), (2, 5), (2, 5))
    pred = square((9, 9), (3, 6), (2, 5))
    assert boundary_metrics(true, pred).per_class["class"].tolist() == [1]
    result = boundary_metrics(true, pred, include_background=True)
    assert result.per_class["class"].tolist() == [0, 1]
    expected = reference_scores(true == 0, pred == 0, (1, 1), 1.0)
    np.testing.assert_allclose(row_of(result, 0), expected)


def test_per_object_hand_made_pair():
    # True 7 and predicted 3: 4x4 squares one column apart, IoU 12 / 20. Each boundary has
    # 12 pixels, 6 on the other boundary and 6 at distance 1.
    true = np.zeros((12, 24), np.int32)
    pred = np.zeros_like(true)
    true[2:6, 2:6] = 7
    pred[2:6, 3:7] = 3
    true[8:11, 10:13] = 9  # missed
    pred[1:4, 18:22] = 11  # spurious
    result = boundary_metrics(true, pred, per_object=True, tolerance=0.5)
    rows = result.per_object
    assert rows.columns.tolist() == ["true_label", "pred_label", "iou", *COLUMNS]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["true_label"], row["pred_label"]) == (7, 3)
    assert row["iou"] == pytest.approx(12 / 20)
    assert row[COLUMNS].tolist() == pytest.approx([1, 1, 0.5, 0.5, 0.5])
    summary = result.summary
    assert (summary["n_true"], summary["n_pred"], summary["n_matched"]) == (2, 2, 1)
    assert summary["mean_assd"] == pytest.approx(0.5)


def test_per_object_below_iou_half_gets_no_row():
    true = square((8, 12), (2, 5), (2, 5), dtype=np.int32)
    pred = square((8, 12), (2, 5), (4, 7), dtype=np.int32)  # IoU 3 / 15
    result = boundary_metrics(true, pred, per_object=True)
    assert result.per_object.empty and result.summary["n_matched"] == 0
    assert math.isnan(result.summary["mean_hd"])


def test_per_object_huge_ids_give_the_same_rows():
    true = np.zeros((30, 30), np.int64)
    pred = np.zeros_like(true)
    true[0:6, 0:7], pred[0:6, 1:7] = 1, 2  # at the image edge
    true[10:20, 10:16], pred[11:20, 10:17] = 3, 4
    small = boundary_metrics(true, pred, per_object=True).per_object
    huge = boundary_metrics(
        np.where(true > 0, true + 2**40, 0), np.where(pred > 0, pred + 2**50, 0), per_object=True
    ).per_object
    np.testing.assert_allclose(huge[COLUMNS], small[COLUMNS])
    assert huge["true_label"].tolist() == [1 + 2**40, 3 + 2**40]
    assert huge["pred_label"].tolist() == [2 + 2**50, 4 + 2**50]


# --- the crops give the full-image answer ----------------------------------------------------


@pytest.mark.parametrize("shape", [(40, 50), (16, 18, 20)])
@pytest.mark.parametrize("spacing", [None, "random"])
def test_classes_match_brute_force_reference(shape, spacing):
    rng = np.random.default_rng(len(shape))
    sampling = (1.0,) * len(shape) if spacing is None else tuple(rng.uniform(0.4, 2.5, len(shape)))
    true = blobs(shape, 1).astype(np.uint8) + 2 * blobs(shape, 2, 0.55)
    pred = blobs(shape, 3).astype(np.uint8) + 2 * blobs(shape, 4, 0.55)
    result = boundary_metrics(true, pred, spacing=sampling, tolerance=1.3)
    for class_id in result.per_class["class"]:
        expected = reference_scores(true == class_id, pred == class_id, sampling, 1.3)
        np.testing.assert_allclose(row_of(result, class_id), expected, rtol=1e-12)


@pytest.mark.parametrize("pixels_per_edge_pixel", [0, math.inf])
def test_kdtree_and_distance_transform_agree(monkeypatch, pixels_per_edge_pixel):
    # 0: always the KD-tree over boundary points; inf: always the distance transform.
    monkeypatch.setattr(boundary, "EDT_PIXELS_PER_EDGE_PIXEL", pixels_per_edge_pixel)
    true = blobs((30, 36), 7).astype(np.uint8)
    pred = blobs((30, 36), 8).astype(np.uint8)
    result = boundary_metrics(true, pred, spacing=(1.7, 0.6), tolerance=1.1)
    expected = reference_scores(true == 1, pred == 1, (1.7, 0.6), 1.1)
    np.testing.assert_allclose(row_of(result), expected, rtol=1e-12)


def test_sparse_class_in_a_large_image():
    # Two small squares far apart in one class: a large crop, few boundary pixels (KD-tree).
    true = np.zeros((300, 400), np.uint8)
    pred = np.zeros_like(true)
    true[5:9, 5:9] = true[280:284, 380:384] = 1
    pred[5:9, 6:10] = pred[281:285, 380:384] = 1
    hd, _, assd, _, _ = row_of(boundary_metrics(true, pred))
    assert hd == 1
    assert assd == pytest.approx(0.5)  # each square: 6 of 12 boundary pixels at distance 1


def test_per_object_matches_brute_force_reference():
    true, _ = ndi.label(blobs((60, 60), 5, 0.52))
    pred = ndi.grey_dilation(true, size=2)  # grown by one pixel
    pred[pred > 0] += 100
    result = boundary_metrics(true, pred, per_object=True, spacing=(1.5, 1), tolerance=1.5)
    assert len(result.per_object) == result.summary["n_matched"] > 10
    for row in result.per_object.itertuples():
        expected = reference_scores(true == row.true_label, pred == row.pred_label, (1.5, 1), 1.5)
        np.testing.assert_allclose([getattr(row, c) for c in COLUMNS], expected, rtol=1e-12)


# --- results and bad input --------------------------------------------------------------------


def test_result_export_and_repr(tmp_path):
    true = square((10, 14), (2, 6), (2, 6))
    pred = square((10, 14), (2, 6), (5, 9))
    result = boundary_metrics(true, pred, spacing=(1, 2), tolerance=2)
    assert result.spacing == (1.0, 2.0) and result.tolerance == 2.0
    assert result.to_frame().columns.tolist() == ["class", *COLUMNS]
    result.to_csv(tmp_path / "boundary.csv")
    assert (tmp_path / "boundary.csv").read_text().startswith("class,hd,hd95,assd,nsd")
    assert repr(result).startswith("BoundaryResult\nsummary:")
    assert "ObjectBoundaryResult" in repr(boundary_metrics(true, pred, per_object=True))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spacing": (1, 1, 1)}, "one per axis"),
        ({"spacing": (1, -2)}, "positive"),
        ({"spacing": (1, float("nan"))}, "positive"),
        ({"tolerance": -1}, "tolerance"),
        ({"tolerance": float("inf")}, "tolerance"),
        ({"classes": [1], "per_object": True}, "per_object"),
        ({"classes": [0, 1]}, "include_background"),
        ({"classes": []}, "non-empty"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    image = square((6, 6), (1, 3), (1, 3))
    with pytest.raises(ValueError, match=message):
        boundary_metrics(image, image, **kwargs)


def test_float_and_mismatched_input_refused():
    image = square((6, 6), (1, 3), (1, 3))
    with pytest.raises(TypeError, match="integer label image"):
        boundary_metrics(image.astype(float), image)
    with pytest.raises(ValueError, match="shape mismatch"):
        boundary_metrics(image, image[:5])


# --- MONAI, when installed ----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_monai(seed):
    torch = pytest.importorskip("torch")
    metrics = pytest.importorskip("monai.metrics")
    rng = np.random.default_rng(seed)
    shape = (48, 40) if seed % 2 == 0 else (18, 22, 20)
    spacing = [float(s) for s in rng.uniform(0.5, 2.0, len(shape))]
    true, pred = blobs(shape, 10 + seed), blobs(shape, 20 + seed)
    row = row_of(
        boundary_metrics(
            true.astype(np.uint8), pred.astype(np.uint8), spacing=spacing, tolerance=1.5
        )
    )

    def one_hot(mask):
        tensor = torch.from_numpy(mask[None, None].astype(np.float32))
        return torch.cat([1 - tensor, tensor], dim=1)

    y_pred, y = one_hot(pred), one_hot(true)
    common = {"include_background": False, "spacing": spacing}
    hd = metrics.compute_hausdorff_distance(y_pred, y, **common).item()
    hd95 = metrics.compute_hausdorff_distance(y_pred, y, percentile=95, **common).item()
    assd = metrics.compute_average_surface_distance(y_pred, y, symmetric=True, **common).item()
    nsd = metrics.compute_surface_dice(y_pred, y, [1.5], **common).item()
    # MONAI computes in float32
    np.testing.assert_allclose(row[:4], [hd, hd95, assd, nsd], rtol=1e-5)


@pytest.mark.parametrize(("spacing", "shift"), [(0.1, 3), (0.2, 3), (0.325, 3), (0.65, 3)])
@pytest.mark.parametrize("size", [12, 120])  # the distance transform, and the k-d tree path
def test_a_distance_exactly_tau_is_within_tau_in_physical_units(spacing, shift, size):
    # Regression (a new user's hand check): a square moved `shift` pixels, tolerance = shift
    # pixels in physical units. Every boundary point of one is at most `shift` pixels from the
    # other's boundary, so NSD = boundary F1 = 1 by hand (MONAI's surface Dice gives 1); shift
    # x spacing rounded above the τ typed (3 x 0.1 = 0.30000000000000004) gave 2/3 or 0.7.
    true = np.zeros((size, size), np.uint8)
    true[2:8, 2:8] = 1
    pred = np.roll(true, shift, axis=1)
    tau = float(f"{shift * spacing:.6g}")  # as a user types it: 0.3, 0.6, 0.975, 1.95
    row = boundary_metrics(true, pred, spacing=spacing, tolerance=tau).per_class.iloc[0]
    assert (row["nsd"], row["boundary_f1"]) == (1.0, 1.0)
    # Just below τ the points at exactly `shift` pixels are out: the slack is no wider.
    below = boundary_metrics(true, pred, spacing=spacing, tolerance=tau * (1 - 1e-6))
    assert below.per_class.loc[0, "nsd"] < 1
