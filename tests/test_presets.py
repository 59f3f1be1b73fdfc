"""Challenge presets against each challenge's rule, written out here from its description with
dense per-object loops (sharing no code with the package)."""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from napari_seg_eval.core.presets import PRESETS, get_preset, preset_metrics


def dense_iou(true, pred, score="iou"):
    """(true ids, pred ids, matrix of IoU (or IoT) for every pair) by one mask per object."""
    t_ids = [int(i) for i in np.unique(true) if i]
    p_ids = [int(i) for i in np.unique(pred) if i]
    out = np.zeros((len(t_ids), len(p_ids)))
    for a, t in enumerate(t_ids):
        for b, p in enumerate(p_ids):
            inter = np.sum((true == t) & (pred == p))
            den = np.sum((true == t) | (pred == p)) if score == "iou" else np.sum(true == t)
            out[a, b] = inter / den
    return t_ids, p_ids, out


def images(seed, n=3, size=24):
    """Random rectangles, shifted in the prediction; some dropped, some invented."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        true = np.zeros((size, size), np.int32)
        pred = np.zeros((size, size), np.int32)
        for k in range(1, 7):
            r, c = rng.integers(0, size - 5, 2)
            h, w = rng.integers(3, 6, 2)
            true[r : r + h, c : c + w] = k
            if rng.random() < 0.85:
                dr, dc = rng.integers(-1, 2, 2)
                r2, c2 = max(r + dr, 0), max(c + dc, 0)
                keep = rng.random((h, w)) > 0.15  # ragged edges: IoUs off the thresholds
                pred[r2 : r2 + h, c2 : c2 + w][keep[: size - r2, : size - c2]] = 10 + k
        r, c = rng.integers(0, size - 3, 2)
        pred[r : r + 3, c : c + 3] = 99
        out.append((true, pred))
    return out


def without_ties(pairs, thresholds):
    """The pairs with no IoU exactly at a threshold, where "IoU > t" (the DSB and CoNIC
    wording) and "IoU >= t" (ours, StarDist's, Cellpose's) would differ."""
    return [
        (true, pred)
        for true, pred in pairs
        if not np.isclose(dense_iou(true, pred)[2][..., None], thresholds).any()
    ]


def test_dsb2018_against_the_kaggle_rule():
    thresholds = np.arange(0.5, 1.0, 0.05)
    pairs = without_ties(images(1, n=12), thresholds)[:3]
    assert len(pairs) == 3
    per_image = []
    for true, pred in pairs:
        t_ids, p_ids, iou = dense_iou(true, pred)
        scores = []
        for t in thresholds:
            # above 0.5 a true object has at most one prediction over the threshold
            tp = int(np.sum((iou > t).sum(axis=1) == 1))
            scores.append(tp / (tp + (len(p_ids) - tp) + (len(t_ids) - tp)))
        per_image.append(np.mean(scores))
    got = preset_metrics("dsb2018", [p[0] for p in pairs], [p[1] for p in pairs])
    assert got["n_images"] == 3
    assert got["mean_accuracy_image_mean"] == pytest.approx(np.mean(per_image))


def remove_boundary_cells(mask, band=2):
    """As the NeurIPS 2022 CellSeg evaluation: ids under a 2-pixel frame set to 0."""
    mask = mask.copy()
    frame = np.ones(mask.shape, bool)
    frame[band:-band, band:-band] = False
    for i in np.unique(mask[frame]):
        if i:
            mask[mask == i] = 0
    return mask


def test_neurips2022_against_its_rule():
    pairs = images(2, n=4)
    for i, (true, _) in enumerate(pairs):  # make sure some objects touch the frame
        true[0:3, 5 + i : 9 + i] = 50
    per_image = []
    for true, pred in pairs:
        true, pred = remove_boundary_cells(true), remove_boundary_cells(pred)
        t_ids, p_ids, iou = dense_iou(true, pred)
        n_min = min(iou.shape)
        costs = -(iou >= 0.5).astype(float) - iou / (2 * max(n_min, 1))  # Cellpose's rule
        rows, cols = linear_sum_assignment(costs)
        tp = int(np.sum(iou[rows, cols] >= 0.5))
        fp, fn = len(p_ids) - tp, len(t_ids) - tp
        per_image.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    got = preset_metrics("neurips2022", [p[0] for p in pairs], [p[1] for p in pairs])
    assert got["f1_50_image_mean"] == pytest.approx(np.mean(per_image))
    assert got["f1_50_image_median"] == pytest.approx(np.median(per_image))


def test_ctc_against_its_rule():
    pairs = images(3)
    pairs[0][1][pairs[0][0] == 1] = 77  # one prediction over two true objects: a merge
    pairs[0][1][pairs[0][0] == 2] = 77
    seg_sum, n_true, fn, fp, ns = 0.0, 0, 0, 0, 0
    for true, pred in pairs:
        t_ids, p_ids, _ = dense_iou(true, pred)
        matches = {p: 0 for p in p_ids}
        for t in t_ids:
            n_true += 1
            inside = pred[true == t]
            for p in p_ids:
                if 2 * np.sum(inside == p) > inside.size:
                    seg_sum += np.sum((true == t) & (pred == p)) / np.sum((true == t) | (pred == p))
                    matches[p] += 1
                    break
            else:
                fn += 1
        fp += sum(1 for m in matches.values() if m == 0)
        ns += sum(m - 1 for m in matches.values() if m > 1)
    assert ns >= 1
    got = preset_metrics("ctc", [p[0] for p in pairs], [p[1] for p in pairs])
    assert got["seg"] == pytest.approx(seg_sum / n_true)
    aogm = 5 * ns + 10 * fn + fp
    assert got["det"] == pytest.approx(1 - min(aogm, 10 * n_true) / (10 * n_true))
    assert (got["fn"], got["fp"], got["ns"]) == (fn, fp, ns)


def test_conic_against_its_rule():
    pairs = without_ties(images(4, n=12), [0.5])[:3]
    assert len(pairs) == 3
    rng = np.random.default_rng(4)
    true_classes, pred_classes = [], []
    for true, pred in pairs:
        t_map = {int(i): int(rng.integers(1, 4)) for i in np.unique(true) if i}
        # mostly the true object's class, sometimes another; the invented object class 3
        p_map = {}
        for p in np.unique(pred):
            if p == 0:
                continue
            k = int(p) - 10
            p_map[int(p)] = t_map.get(k, 3) if rng.random() < 0.8 else int(rng.integers(1, 4))
        true_classes.append(t_map)
        pred_classes.append(p_map)
    sums = {}
    for (true, pred), t_map, p_map in zip(pairs, true_classes, pred_classes, strict=True):
        for c in range(1, 4):
            t_c = np.where(np.isin(true, [i for i, k in t_map.items() if k == c]), true, 0)
            p_c = np.where(np.isin(pred, [i for i, k in p_map.items() if k == c]), pred, 0)
            t_ids, p_ids, iou = dense_iou(t_c, p_c)
            matched = iou[iou > 0.5]  # CoNIC: IoU > 0.5, unique
            tp, s = matched.size, matched.sum()
            acc = sums.setdefault(c, [0, 0, 0, 0.0])
            acc[0] += tp
            acc[1] += len(p_ids) - tp
            acc[2] += len(t_ids) - tp
            acc[3] += s
    pq = [s / (tp + fp / 2 + fn / 2) for tp, fp, fn, s in sums.values() if tp + fp + fn]
    got = preset_metrics(
        "conic",
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        true_classes=true_classes,
        pred_classes=pred_classes,
    )
    assert got["class_mean_panoptic_quality_50_pooled"] == pytest.approx(np.mean(pq))


def test_coco_is_coco_average_precision_at_050_095():
    from napari_seg_eval import coco_average_precision

    true, pred = images(5, n=1)[0]
    scores = {int(p): float(p) / 100 for p in np.unique(pred) if p}
    got = preset_metrics("coco", true, pred, scores=scores)
    expected = coco_average_precision(true, pred, scores)
    assert got["map"] == expected.summary["map"]


def test_presets_are_settings():
    assert get_preset("neurips2022").instance_settings() == {
        "iou_thresholds": (0.5,),
        "exclude_border": 2,
        "criterion": "iou",
    }
    assert set(PRESETS) == {"dsb2018", "neurips2022", "ctc", "conic", "coco"}


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("kaggle", {}, "unknown preset 'kaggle'; choose one of dsb2018"),
        ("conic", {}, "needs true_classes and pred_classes"),
        ("coco", {}, "needs a score"),
    ],
)
def test_preset_errors(name, kwargs, match):
    a = np.array([[1, 0]])
    with pytest.raises(ValueError, match=match):
        preset_metrics(name, a, a, **kwargs)


def ignored_case() -> tuple[np.ndarray, np.ndarray]:
    """Truth 1 (3 px), the ignored id 9 (2 px), truth 2 (2 px); prediction 3 holds 2 px of
    truth 1, 4 lies wholly on the ignored pixels, 5 is truth 2 exactly. Left out, the ignored
    pixels take 9 and 4 with them: SEG = (IoU 2/3 + IoU 1) / 2 true objects = 5/6; no FN, FP
    or merge, DET 1 (counted with 9 and 4, SEG would be 8/9)."""
    true = np.array([[1, 1, 1, 0, 9, 9, 2, 2]], np.uint16)
    pred = np.array([[3, 3, 0, 0, 4, 4, 5, 5]], np.uint16)
    return true, pred


@pytest.mark.parametrize("chunked", [False, True])
def test_ctc_in_the_dock_leaves_the_ignored_label_out(chunked, tmp_path):
    """Regression: the dock's CTC preset counted the ignored id as a true object (SEG 8/9);
    the command line left it out (5/6)."""
    import dask.array as da

    from napari_seg_eval.evaluation import evaluate
    from napari_seg_eval.io import evaluate_files

    true, pred = ignored_case()
    if chunked:  # the CTC counts come from the table the chunked evaluation reads anyway
        got = evaluate(
            da.from_array(true, chunks=3),
            da.from_array(pred, chunks=3),
            preset="ctc",
            ignore_label=9,
        )
    else:
        got = evaluate(true, pred, preset="ctc", ignore_label=9)
    assert got.ctc["seg"] == pytest.approx(5 / 6)
    assert (got.ctc["n_true"], got.ctc["n_pred"], got.ctc["fn"], got.ctc["fp"]) == (2, 2, 0, 0)
    assert got.ctc["det"] == 1.0
    np.save(tmp_path / "t.npy", true)
    np.save(tmp_path / "p.npy", pred)
    row = evaluate_files(tmp_path / "t.npy", tmp_path / "p.npy", preset="ctc", ignore_label=9)
    assert row.to_frame().iloc[0]["seg"] == pytest.approx(5 / 6)


def test_ctc_of_chunked_labels_is_that_in_memory():
    """The chunked dock's CTC from its table equals ctc_metrics in memory, with a region."""
    import dask.array as da

    from napari_seg_eval.core.tracking import ctc_metrics
    from napari_seg_eval.evaluation import evaluate

    rng = np.random.default_rng(3)
    true = rng.integers(0, 6, (12, 10)).astype(np.uint16)
    pred = rng.integers(0, 5, (12, 10)).astype(np.uint16)
    region = rng.random((12, 10)) < 0.7
    got = evaluate(
        da.from_array(true, chunks=5), da.from_array(pred, chunks=4), preset="ctc", region=region
    )
    expected = ctc_metrics(true, pred, region=region)
    assert got.ctc.to_dict() == pytest.approx(expected.to_dict())


def test_preset_values_are_a_float64_summary_by_hand():
    """Float64, as every result's summary; CTC pools the summed IoU and counts of all images."""
    merge = np.array([[1, 1, 1, 1, 0, 2, 2]]), np.array([[5, 5, 5, 0, 0, 5, 5]])
    exact = np.array([[1, 1, 0]]), np.array([[1, 1, 0]])
    got = preset_metrics("ctc", [merge[0], exact[0]], [merge[1], exact[1]])
    assert got.dtype == np.float64
    # merge: 5 holds 3/4 of 1 (IoU 3/6) and all of 2 (IoU 2/5), one split; exact: IoU 1.
    # SEG = (1/2 + 2/5 + 1) / 3 true objects; AOGM-D = 5 * 1 split, AOGM-D0 = 10 * 3.
    expected = {"n_images": 2, "seg": 1.9 / 3, "det": 1 - 5 / 30}
    expected |= {"n_true": 3, "n_pred": 2, "fn": 0, "fp": 0, "ns": 1}
    assert list(got.index) == list(expected)
    assert got.to_dict() == pytest.approx(expected)
    dsb = preset_metrics("dsb2018", *exact)  # one object matched at every IoU threshold
    assert dsb.dtype == np.float64
    assert dsb.to_dict() == {"n_images": 1.0, "mean_accuracy_image_mean": 1.0}
