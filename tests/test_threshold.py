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
    out = softmax(np.array([[0.0, np.log(3.0)], [0.0, 0.0]]), channel_axis=0)
    np.testing.assert_allclose(out, [[0.5, 0.75], [0.5, 0.25]])
    threshold_probabilities(sigmoid(np.array([[-5.0, 5.0]])))  # now valid


def test_label_connectivity_and_dtype():
    mask = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]], bool)
    # faces only by default (as the dock and the command line): the corner-touching pixels are two
    faces = label_instances(mask)
    assert faces.max() == 2 and faces.dtype == np.uint8
    np.testing.assert_array_equal(faces, label_instances(mask, connectivity=1))
    assert label_instances(mask, connectivity=None).max() == 1  # all neighbours: one object
    assert label_instances(mask, connectivity=2).max() == 1
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


def test_min_size_keeps_the_dtype_wide_enough():
    # 300 objects of 2 px, then one of 1 px, the last id: 300 are kept, more than uint8 holds
    mask = np.zeros((2, 904), bool)
    mask[0, : 300 * 3 : 3] = mask[1, : 300 * 3 : 3] = True
    mask[0, 903] = True
    labels = label_instances(mask, connectivity=1, min_size=2)
    assert labels.max() == 300 and labels.dtype == np.uint16 and labels[0, 903] == 0


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


# --- splitting touching objects ------------------------------------------------------------


def _dumbbell(neck: int, radius: int = 10) -> np.ndarray:
    """Two discs of ``radius`` (pixels closer than it to the centre; 40 px apart), joined by a
    bar ``2 neck - 1`` rows wide: at the bar's middle the distance to the background is
    ``neck`` (the nearest background rows are ``neck`` rows away; the discs are 10 px away)."""
    yy, xx = np.mgrid[:41, :71]
    mask = ((yy - 20) ** 2 + (xx - 15) ** 2 < radius**2) | (
        (yy - 20) ** 2 + (xx - 55) ** 2 < radius**2
    )
    mask |= (abs(yy - 20) <= neck - 1) & (xx >= 15) & (xx <= 55)
    return mask


@pytest.mark.parametrize("connectivity", [1, 2])
def test_split_two_overlapping_discs_along_the_neck(connectivity):
    yy, xx = np.mgrid[:40, :60]
    # radius 12 at x = 18 and x = 40: the neck is the column x = 29, 9 px high (|y - 20| <= 4),
    # so its distance to the background is 5 and each centre (distance 12) is 7 above it.
    mask = ((yy - 20) ** 2 + (xx - 18) ** 2 < 144) | ((yy - 20) ** 2 + (xx - 40) ** 2 < 144)
    split = label_instances(mask, connectivity=connectivity, split_touching=True)
    assert sorted(np.unique(split).tolist()) == [0, 1, 2]
    left, right = split[20, 18], split[20, 40]
    assert left != right
    assert (split[mask & (xx <= 28)] == left).all()
    assert (split[mask & (xx >= 30)] == right).all()
    assert (split[~mask] == 0).all()


def test_neck_depth_decides_the_split():
    # Equal discs of radius 10: each centre lies 10 from the background, the bar's middle
    # `neck`. The second maximum rises 10 - neck above the neck: split when that is >= depth.
    assert label_instances(_dumbbell(9), split_touching=True).max() == 1  # 1 < 2
    assert label_instances(_dumbbell(8), split_touching=True).max() == 2  # 2 >= 2, exactly
    assert label_instances(_dumbbell(7), split_touching=True).max() == 2
    assert label_instances(_dumbbell(9), split_touching=True, split_depth=1).max() == 2
    assert label_instances(_dumbbell(8), split_touching=True, split_depth=2.01).max() == 1


@pytest.mark.parametrize("angle", [0, 15, 30, 45, 60, 90])
@pytest.mark.parametrize("centre", [40.0, 40.3, 40.5])
def test_elongated_ellipse_is_not_split(angle, centre):
    # One convex object: its distance map has one deep maximum, whatever the digitisation.
    # (0.1 split some of these in two or three at equal-height maxima along the ridge.)
    yy, xx = np.mgrid[:80, :80]
    t = np.deg2rad(angle)
    u = (xx - centre) * np.cos(t) + (yy - 40.2) * np.sin(t)
    v = -(xx - centre) * np.sin(t) + (yy - 40.2) * np.cos(t)
    ellipse = (u / 30) ** 2 + (v / 9) ** 2 < 1
    labels = label_instances(ellipse, split_touching=True)
    assert labels.max() == 1 and np.count_nonzero(labels) == np.count_nonzero(ellipse)


def test_split_touching_balls_in_3d():
    zz, yy, xx = np.mgrid[:24, :24, :40]
    mask = ((zz - 12) ** 2 + (yy - 12) ** 2 + (xx - 12) ** 2 < 81) | (
        (zz - 12) ** 2 + (yy - 12) ** 2 + (xx - 27) ** 2 < 81
    )
    assert label_instances(mask).max() == 1
    split = label_instances(mask, split_touching=True)
    assert split.max() == 2 and split[12, 12, 12] != split[12, 12, 27]
    assert (split[mask & (xx <= 18)] == split[12, 12, 12]).all()
    assert (split[mask & (xx >= 21)] == split[12, 12, 27]).all()


def test_split_keeps_other_objects_and_orders_ids():
    mask = np.zeros((41, 120), bool)
    mask[:, :71] = _dumbbell(5)
    mask[5:8, 90:93] = True  # a small square: too thin for a neck 2 deep
    mask[0, 119] = True  # a single pixel at the edge
    labels = label_instances(mask, split_touching=True)
    assert labels.dtype == np.uint8
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2, 3, 4]
    # ids follow the components in raster order of their first pixel: the pixel (row 0), the
    # square (row 5), then the dumbbell (row 11), left half first
    assert labels[0, 119] == 1 and (labels[5:8, 90:93] == 2).all()
    assert labels[20, 15] == 3 and labels[20, 55] == 4
    with_min_size = label_instances(mask, split_touching=True, min_size=2)
    assert sorted(np.unique(with_min_size).tolist()) == [0, 1, 2, 3]


def test_split_class_image_class_by_class():
    yy, xx = np.mgrid[:40, :80]
    classes = np.zeros((40, 80), np.uint8)
    classes[((yy - 20) ** 2 + (xx - 18) ** 2 < 144) | ((yy - 20) ** 2 + (xx - 40) ** 2 < 144)] = 1
    classes[:, 52:] = 2  # a rectangle of another class, touching the right disc
    labels = label_instances(classes, split_touching=True)
    assert labels.max() == 3
    assert labels[20, 18] != labels[20, 40]
    assert np.unique(labels[classes == 2]).size == 1  # one object, of class 2 only
    assert not np.isin(labels[classes == 2], labels[classes == 1]).any()


def test_split_whole_image_and_empty_mask():
    assert label_instances(np.ones((5, 6), bool), split_touching=True).tolist() == [[1] * 6] * 5
    assert label_instances(np.zeros((5, 6), bool), split_touching=True).max() == 0


def _reference_seeds(mask: np.ndarray, connectivity: int, depth: float) -> list[tuple]:
    """Seeds from the definition: a regional maximum of the distance whose neck (the highest
    level at which its connected part of {distance >= level} holds a higher point; the first
    in raster order wins ties) lies at least ``depth`` below it. Brute force over levels."""
    from scipy import ndimage as ndi
    from skimage.morphology import local_maxima

    distance = ndi.distance_transform_edt(mask)
    structure = ndi.generate_binary_structure(mask.ndim, connectivity)
    maxima, n = ndi.label(local_maxima(distance, footprint=structure) & mask, structure)
    levels = np.unique(distance[mask])[::-1]
    seeds = []
    for index in range(1, n + 1):
        where = tuple(np.argwhere(maxima == index)[0])
        height = distance[where]
        higher = (distance > height) | ((distance == height) & (maxima > 0) & (maxima < index))
        neck = 0.0
        for level in levels[levels <= height]:
            parts, _ = ndi.label(distance >= level, structure)
            if (higher & (parts == parts[where])).any():
                neck = level
                break
        if height - neck >= depth:
            seeds.append(where)
    return seeds


@pytest.mark.parametrize("seed", range(12))
def test_split_matches_the_definition_on_random_blobs(seed):
    from skimage.measure import label

    rng = np.random.default_rng(seed)
    shape = (36, 36)
    centres = rng.uniform(0, 36, (int(rng.integers(2, 7)), 2))
    radii = rng.uniform(2, 9, len(centres))
    yy, xx = np.mgrid[:36, :36]
    mask = np.zeros(shape, bool)
    for (cy, cx), r in zip(centres, radii, strict=True):
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    connectivity = int(rng.integers(1, 3))
    depth = float(rng.choice([0.5, 1.0, 2.0, 3.0]))
    seeds = _reference_seeds(mask, connectivity, depth)
    components = label(mask, connectivity=connectivity)
    split = label_instances(mask, connectivity=connectivity, split_touching=True, split_depth=depth)
    assert np.array_equal(split > 0, mask)
    n_expected = 0
    for component in range(1, components.max() + 1):
        inside = [s for s in seeds if components[s] == component]
        ids = np.unique(split[components == component])
        if len(inside) >= 2:  # one object per seed, each seed in its own
            assert len(ids) == len({split[s] for s in inside}) == len(inside)
        else:
            assert len(ids) == 1
        n_expected += max(1, len(inside))
    assert split.max() == n_expected


# --- argument checks -------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [float("nan"), -1.0, 0.0, float("inf")])
def test_bad_split_depth(depth):
    with pytest.raises(ValueError, match="split_depth"):
        label_instances(np.ones((3, 3), bool), split_touching=True, split_depth=depth)
    with pytest.raises(ValueError, match="split_depth"):
        label_instances(np.ones((3, 3), bool), split_depth=depth)


def test_split_depth_must_be_a_number():
    with pytest.raises(TypeError, match="split_depth"):
        label_instances(np.ones((3, 3), bool), split_touching=True, split_depth="2")


def test_split_touching_refuses_4d_with_advice():
    mask = np.zeros((2, 3, 4, 5), bool)
    with pytest.raises(ValueError, match=r"2-D and 3-D.*each time point"):
        label_instances(mask, split_touching=True)
    assert label_instances(mask).shape == mask.shape  # plain labelling works in any dimension


@pytest.mark.parametrize(
    ("min_size", "error"), [(-1, ValueError), (2.5, TypeError), (True, TypeError), ("3", TypeError)]
)
def test_bad_min_size(min_size, error):
    with pytest.raises(error, match="min_size"):
        label_instances(np.ones((3, 3), bool), min_size=min_size)


@pytest.mark.parametrize(
    ("connectivity", "error"), [(0, ValueError), (3, ValueError), (1.5, TypeError)]
)
def test_bad_connectivity(connectivity, error):
    with pytest.raises(error, match="connectivity"):
        label_instances(np.ones((3, 3), bool), connectivity=connectivity)


def test_min_size_and_connectivity_accept_numpy_integers():
    mask = np.zeros((4, 4), bool)
    mask[0, 0] = mask[1, 1] = mask[3, 3] = True
    labels = label_instances(mask, connectivity=np.int64(1), min_size=np.uint8(1))
    assert labels.max() == 3


def test_softmax_axis_is_renamed_channel_axis():
    logits = np.array([[0.0, np.log(3.0)], [0.0, 0.0]])
    expected = [[0.5, 0.75], [0.5, 0.25]]
    np.testing.assert_allclose(softmax(logits, channel_axis=0), expected)
    np.testing.assert_allclose(softmax(logits, 0), expected)
    with pytest.warns(DeprecationWarning, match="channel_axis"):
        np.testing.assert_allclose(softmax(logits, axis=0), expected)


def test_objects_touching_at_a_corner_are_two_on_every_default_path(tmp_path):
    """trial63: evaluate() and instance_threshold_sweep joined corner neighbours by default, the
    dock, the command line and evaluate_files did not: the same map gave two different scores."""
    import tifffile

    from napari_seg_eval import evaluate_files, instance_threshold_sweep
    from napari_seg_eval.evaluation import evaluate

    truth = np.zeros((6, 6), np.uint16)
    truth[0:3, 0:3] = 1
    truth[3:6, 3:6] = 2  # two 3x3 squares touching only at one corner
    prob = np.where(truth > 0, 0.9, 0.1).astype(np.float32)
    # Faces only: two predicted objects, each equal to its square: IoU 1, TP 2, AP(DSB) 1.
    # (Joined at the corner they would be one object of 18 px: IoU 9/18 = 0.5 with each square,
    # one match at IoU 0.5, accuracy 1/(1+0+1) = 0.5.)
    record = evaluate(truth, prob, threshold=0.5)
    summary = record.instance.summary
    assert summary["n_pred"] == 2 and summary["accuracy_50"] == 1.0
    sweep = instance_threshold_sweep(truth, prob, thresholds=[0.5])
    assert sweep["n_pred"].tolist() == [2] and sweep["accuracy_50"].tolist() == [1.0]
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    tifffile.imwrite(tmp_path / "t" / "a.tif", truth)
    tifffile.imwrite(tmp_path / "p" / "a.tif", prob)
    files = evaluate_files(tmp_path / "t", tmp_path / "p", probability=True)
    # pooled over IoU 0.50:0.95: TP 2 at every threshold, so 1.0 (joined: 0.5 at 0.50, 0 above)
    assert files.summary["n_pred"] == 2 and files.summary["mean_accuracy_pooled"] == 1.0


def test_evaluate_takes_the_labelling_options_as_keywords_as_evaluate_files_does():
    """trial70: evaluate(..., connectivity=None) raised a bare TypeError from
    EvaluationSettings; evaluate_files and the command line take these as keywords."""
    from napari_seg_eval import evaluate
    from napari_seg_eval.evaluation import ThresholdOptions

    truth = np.zeros((6, 6), np.uint16)
    truth[0:3, 0:3] = 1
    truth[3:6, 3:6] = 2  # two squares touching at one corner
    prob = np.where(truth > 0, 0.9, 0.1).astype(np.float32)
    # connectivity=None joins them (one object of 18 px), as the options object does
    joined = evaluate(truth, prob, threshold=0.5, connectivity=None)
    same = evaluate(
        truth, prob, threshold=0.5, threshold_options=ThresholdOptions(connectivity=None)
    )
    assert joined.instance.summary["n_pred"] == same.instance.summary["n_pred"] == 1
    # a keyword over a given options object: min_size 10 drops nothing of the joined 18 px
    over = evaluate(
        truth,
        prob,
        threshold=0.5,
        threshold_options=ThresholdOptions(min_size=10),
        connectivity=None,
    )
    assert over.settings.threshold_options == ThresholdOptions(min_size=10, connectivity=None)
    assert over.instance.summary["n_pred"] == 1
    # faces only, min_size 10: each 9-px square is dropped
    assert evaluate(truth, prob, threshold=0.5, min_size=10).instance.summary["n_pred"] == 0
