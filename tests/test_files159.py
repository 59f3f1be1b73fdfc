"""New users' trials of evaluate() and evaluate_files on their default paths:

- options that only a probability map reads (min_size, split_touching, threshold, ...) were
  silently ignored for label predictions, yet recorded: refused, naming them;
- ``evaluate_files(("gt", "pred"))``, the two folders as one tuple, failed with "too many
  values to unpack": the error says to pass them as two arguments;
- a class image given as the truth of an instance comparison against a map with a class
  axis gave meaningless instance numbers without a word: a hint names kind="semantic" with
  binarize_semantic=False;
- a map with a background channel at the default threshold 0.5 is not its argmax (pixels
  whose most probable class is not above 0.5 are background): said once, with threshold 0.
"""

from __future__ import annotations

import warnings

import dask.array as da
import numpy as np
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval.evaluation import ThresholdOptions, evaluate
from napari_seg_eval.io import evaluate_files

zarr = pytest.importorskip("zarr")


def messages(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(item.message) for item in record]


def run_quietly(function, *args, **kwargs):
    """``function(*args, **kwargs)`` and the warnings it gave."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, messages(record)


# --- 1. options of probability maps with label predictions ---------------------------------


@pytest.fixture
def label_pair(tmp_path):
    """gt/a.npy and pred/a.npy: the truth's two objects (4 pixels and 1), predicted as they are."""
    truth = np.zeros((8, 8), np.uint16)
    truth[1:3, 1:3] = 1
    truth[6, 6] = 2
    for side in ("gt", "pred"):
        (tmp_path / side).mkdir()
        np.save(tmp_path / side / "a.npy", truth)
    return tmp_path / "gt", tmp_path / "pred"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"min_size": 100000, "split_touching": True}, "min_size and split_touching are"),
        ({"threshold": 0.3}, "threshold is"),
        ({"connectivity": None, "min_size": 2}, "connectivity and min_size are"),
        ({"background_channel": True}, "background_channel is"),
        ({"channel_axis": 0, "threshold": 0.2}, "threshold and channel_axis are"),
    ],
)
def test_options_of_maps_are_refused_for_label_predictions(label_pair, options, named):
    """trial150 M1: evaluate_files(..., min_size=100000, split_touching=True) on label files
    scored them as they were (the 1-pixel object too) and recorded min_size 100000."""
    with pytest.raises(ValueError) as refused:
        evaluate_files(*label_pair, **options)
    assert str(refused.value) == (
        f"{named} for probability maps: set probability=True (the predictions are probability "
        f"maps), or leave {'it' if named.endswith(' is') else 'them'} out (label predictions "
        "are compared as they are)."
    )


def test_label_predictions_at_the_defaults_are_scored_as_they_are(label_pair):
    """The defaults (and the threshold typed at its default, 0.5) are no option given: the two
    objects, the 1-pixel one too, all matched; and with probability=True, min_size is read."""
    result = evaluate_files(*label_pair, threshold=0.5, connectivity=1)
    summary = result["instance"].summary
    assert (summary["n_true"], summary["n_pred"], summary["f1_50_pooled"]) == (2, 2, 1.0)
    with pytest.raises(ValueError, match="min_size is for probability maps"):
        evaluate_files(*label_pair, min_size=2)


def test_evaluate_refuses_options_of_maps_without_a_threshold():
    """The same gap in memory: evaluate(true, labels, min_size=5) ignored min_size."""
    truth = np.zeros((6, 6), np.uint8)
    truth[1:3, 1:3] = 1
    truth[5, 5] = 2
    with pytest.raises(ValueError) as refused:
        evaluate(truth, truth, min_size=5, split_touching=True)
    assert str(refused.value) == (
        "min_size and split_touching are for probability maps: give threshold= (e.g. "
        "threshold=0.5; the prediction is a probability map), or leave them out (a label "
        "prediction is compared as it is)."
    )
    with pytest.raises(ValueError, match=r"^split_depth is for probability maps"):
        evaluate(truth, truth, threshold_options=ThresholdOptions(split_depth=3.0))
    # With a threshold the map's options are read: the 1-pixel object is dropped.
    prob = (truth > 0).astype(np.float32) * 0.9
    record = evaluate(truth, prob, threshold=0.5, min_size=2)
    assert (record.instance.summary["n_true"], record.instance.summary["n_pred"]) == (2, 1)


# --- 2. two folders as one argument ----------------------------------------------------------


def test_two_folders_in_one_tuple_say_how_to_pass_them(label_pair):
    """trial150 LOW2: evaluate_files(("sd/masks", "sd/pred")) said "too many values to unpack
    (expected 2)"."""
    truth, pred = (str(folder) for folder in label_pair)
    with pytest.raises(ValueError) as refused:
        evaluate_files((truth, pred))
    assert str(refused.value) == (
        f"got one argument, {(truth, pred)!r}: pass truth and prediction as two arguments, "
        f"evaluate_files({truth!r}, {pred!r}), or a list of (truth, prediction) pairs as the "
        "one argument."
    )
    with pytest.raises(ValueError, match=r"^got only the truth, .*, and no prediction: pass"):
        evaluate_files(truth)
    with pytest.raises(ValueError, match=r"^item 0 of the pairs, 'ab', is not a \(truth, pred"):
        evaluate_files(["ab", "cd", "ef"])  # each name of 2 letters was read as a pair
    # A list of pairs is a list of pairs.
    result = evaluate_files([(f"{truth}/a.npy", f"{pred}/a.npy")])
    assert result["instance"].summary["n_pred"] == 2


# --- 3. a class image as the truth of an instance comparison ---------------------------------


def cells_and_classes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """25 cells of 4 x 4 pixels on a 40 x 40 grid, cell (i, j) of class (i + j) % 3 + 1 (9, 8
    and 8 cells); their instance labels, their class image, and a sure softmax of 4 channels
    (channel 0 background, channel k class k: 0.94 for the pixel's own, 0.02 elsewhere)."""
    labels = np.zeros((40, 40), np.uint16)
    classes = np.zeros((40, 40), np.uint8)
    for i in range(5):
        for j in range(5):
            labels[i * 8 + 2 : i * 8 + 6, j * 8 + 2 : j * 8 + 6] = i * 5 + j + 1
            classes[i * 8 + 2 : i * 8 + 6, j * 8 + 2 : j * 8 + 6] = (i + j) % 3 + 1
    prob = np.full((4, 40, 40), 0.02, np.float32)
    for channel in range(4):
        prob[channel][classes == channel] = 0.94
    return labels, classes, prob


def write_maps(folder, truth, prob):
    (folder / "gt").mkdir(parents=True)
    (folder / "maps").mkdir()
    np.save(folder / "gt" / "a.npy", truth)
    np.save(folder / "maps" / "a.npy", prob)
    return folder / "gt", folder / "maps"


MAP = {"probability": True, "channel_axis": 0, "background_channel": True}


def test_a_class_image_truth_gets_a_hint_and_instance_labels_do_not(tmp_path, capsys):
    """trial151 M5: a class image (ids 1..3) against a 4-channel map's 25 objects: n_true 3
    (the classes taken as objects), no match, nothing said. The same map against the cells'
    instance labels is a normal run: nothing said."""
    labels, classes, prob = cells_and_classes()
    folders = write_maps(tmp_path / "classes", classes, prob)
    result, said = run_quietly(evaluate_files, *folders, **MAP)
    summary = result["instance"].summary
    assert (summary["n_true"], summary["n_pred"], summary["f1_50_pooled"]) == (3, 25, 0.0)
    assert said == [
        f"the truth {folders[0] / 'a.npy'} looks like a class image, not instance labels: its "
        "ids are all classes of the map (1..3) and each holds many predicted objects, so its "
        "instance numbers mean nothing; for per-class pixel metrics use kind='semantic' with "
        "binarize_semantic=False (on the command line: --kind semantic --class-labels)."
    ]
    # The trial's command line (kind instance by default): the same line.
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *map(str, folders), "--probability", "--channel-axis", "0",
                  "--background-channel", "--out", str(tmp_path / "out")])  # fmt: skip
    assert exit_info.value.code == 0
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if "class image" in line] == [f"napari-seg-eval: {said[0]}"]
    # As the hint says: the class images compared class by class, all right (IoU 1 each).
    result, said = run_quietly(
        evaluate_files, *folders, kind="semantic", binarize_semantic=False, **MAP
    )
    assert result["semantic"].summary["mean_iou_pooled"] == 1.0 and said == []
    # The cells' instance labels: 25 objects matched, nothing said.
    folders = write_maps(tmp_path / "cells", labels, prob)
    result, said = run_quietly(evaluate_files, *folders, **MAP)
    assert result["instance"].summary["f1_50_pooled"] == 1.0 and said == []


def test_the_class_image_hint_in_memory_and_chunked():
    labels, classes, prob = cells_and_classes()
    options = {"threshold": 0.5, "channel_axis": 0, "background_channel": True}
    hint = (
        "the truth's ids are all classes of the probability map (1..3), and each holds many "
        "predicted objects: it looks like a class image, whose ids were matched as objects (its "
        "instance numbers mean nothing). For per-class pixel metrics use kind='semantic' with "
        "binarize_semantic=False (in the dock: Kind semantic, 'semantic: foreground vs "
        "background' unticked)."
    )
    for truth, map_ in ((classes, prob), (da.from_array(classes, 16), da.from_array(prob, 16))):
        record, said = run_quietly(evaluate, truth, map_, **options)
        assert record.instance.summary["n_true"] == 3
        assert record.instance.summary["n_pred"] == 25
        assert said == [hint]
    record, said = run_quietly(evaluate, labels, prob, **options)
    assert record.instance.summary["f1_50"] == 1.0 and said == []


def test_few_objects_against_a_map_of_as_many_classes_are_no_class_image(tmp_path):
    """Strict enough: a 3-object truth (ids 1..3, bars of 8 pixels) against a 4-channel map
    is a normal instance run when the map's objects match it, or cut each bar in 3 (9
    pieces, each inside its bar: fewer than 4 per true id): nothing said. Only a map cutting
    every bar in 4 or more (12 pieces) reads as a class image's, the rule's limit."""
    truth = np.zeros((9, 10), np.uint8)
    for index, row in enumerate((1, 4, 7)):
        truth[row, 1:9] = index + 1
    cuts = {1: [range(8)], 3: [range(0, 2), range(3, 5), range(6, 8)], 4: [[0], [2], [4], [6]]}
    hinted = {}
    for pieces, kept in cuts.items():
        prob = np.full((4, 9, 10), 0.02, np.float32)
        prob[0] = 0.94  # background, but where a piece is of class 2
        for row in (1, 4, 7):
            for piece in kept:
                columns = [1 + column for column in piece]
                prob[0, row, columns], prob[2, row, columns] = 0.02, 0.94
        folders = write_maps(tmp_path / str(pieces), truth, prob)
        result, said = run_quietly(evaluate_files, *folders, **MAP)
        summary = result["instance"].summary
        assert (summary["n_true"], summary["n_pred"]) == (3, 3 * pieces)
        hinted[pieces] = [line.split(" looks like")[1][:18] for line in said]
    assert hinted == {1: [], 3: [], 4: [" a class image, no"]}


# --- 4. a map with a background channel at a threshold above 0 -------------------------------

# The truth's classes, and a softmax over 3 channels (axis 0; channel 0 is background). Pixel 3
# (class 1) has its class 1 most probable at 0.45, pixel 6 (background) its class 2 at 0.4:
# both are background at 0.5, class 1 and class 2 at threshold 0 (the argmax); the rest are sure.
ROW = np.array([[0, 0, 1, 1, 2, 2, 0, 1]], np.uint8)
ROW_MAP = np.array(
    [
        [0.9, 0.9, 0.1, 0.3, 0.1, 0.1, 0.3, 0.1],
        [0.05, 0.05, 0.8, 0.45, 0.05, 0.05, 0.3, 0.8],
        [0.05, 0.05, 0.1, 0.25, 0.85, 0.85, 0.4, 0.1],
    ],
    np.float32,
)[:, None, :]
# At 0.5: classes [0, 0, 1, 0, 2, 2, 0, 1]: IoU 3/4 (class 0: pixel 3 too), 2/3 (class 1
# missed pixel 3), 1 (class 2). At 0 (the argmax): [0, 0, 1, 1, 2, 2, 2, 1]: 2/3, 1, 2/3.
MEAN_IOU = {0.5: (3 / 4 + 2 / 3 + 1) / 3, 0.0: (2 / 3 + 1 + 2 / 3) / 3}
CLASSES = {"kind": "semantic", "binarize_semantic": False}


def test_the_threshold_of_a_background_channel_map_is_said_with_its_counts(tmp_path):
    """trial151 M6: at the default 0.5 a background-channel map is not its argmax, without a
    word. 2 of 8 pixels had their most probable class not above 0.5, 1 of them (pixel 3) in
    the truth's foreground. At threshold 0, the argmax, nothing is said."""
    folders = write_maps(tmp_path, ROW, ROW_MAP)
    for threshold in (0.5, 0.0):
        result, said = run_quietly(evaluate_files, *folders, threshold=threshold, **MAP, **CLASSES)
        assert result["semantic"].summary["mean_iou_pooled"] == pytest.approx(MEAN_IOU[threshold])
        assert said == (
            [
                f"2 of 8 pixels (25 %) of {folders[1] / 'a.npy'} whose most probable channel "
                "is a class had it not above the threshold 0.5 and are background (0), 1 of "
                "them in the truth's foreground: for the plain argmax of a map with a "
                "background channel (every pixel its most probable channel, as nnU-Net takes "
                "it), use threshold=0."
            ]
            if threshold
            else []
        )
    record, said = run_quietly(
        evaluate, ROW, ROW_MAP, threshold=0.5, channel_axis=0, background_channel=True, **CLASSES
    )
    assert record.semantic.summary["mean_iou"] == pytest.approx(MEAN_IOU[0.5])
    assert said == [
        "2 of 8 pixels (25 %) whose most probable channel is a class had it not above the "
        "threshold 0.5 and are background (0), 1 of them in the truth's foreground: for the "
        "plain argmax of a map with a background channel (every pixel its most probable "
        "channel, as nnU-Net takes it), use threshold 0 (in the dock: the header's Threshold "
        "at 0)."
    ]


def test_a_chunked_map_is_counted_in_its_one_read_and_the_run_says_it_once(tmp_path, capsys):
    """A random softmax of 3 channels as a zarr map of 16 x 16 chunks, with a second pair:
    the counts are those of numpy (most probable channel not 0, its value not above 0.5),
    summed over both maps in one line, on the command line in its words."""
    rng = np.random.default_rng(159)
    truth = rng.integers(0, 3, (2, 48, 48)).astype(np.uint8)
    logits = rng.normal(size=(2, 3, 48, 48))
    logits += 1.0 * (np.arange(3)[None, :, None, None] == truth[:, None])
    prob = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    (tmp_path / "gt").mkdir()
    for index, name in enumerate("ab"):
        np.save(tmp_path / "gt" / f"{name}.npy", truth[index])
        stored = zarr.open(
            str(tmp_path / "maps" / f"{name}.zarr"),
            mode="w",
            shape=prob[index].shape,
            chunks=(3, 16, 16),
            dtype=prob.dtype,
        )
        stored[:] = prob[index]
    below = (prob.argmax(axis=1) != 0) & (prob.max(axis=1) <= 0.5)
    made, lost = int(below.sum()), int((below & (truth != 0)).sum())
    assert 0 < lost < made
    share = f"{100 * made / truth.size:.3g} %"
    argv = [str(tmp_path / "gt"), str(tmp_path / "maps"), "--probability", "--channel-axis", "0"]
    argv += ["--background-channel", "--kind", "semantic", "--class-labels"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv, "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "probable" in line]
    assert said == [
        f"napari-seg-eval: {made} of {truth.size} pixels ({share}) of "
        f"{tmp_path / 'maps' / 'a.zarr'} (and 1 more file; the counts are totals over the 2 "
        "files) whose most probable channel is a "
        "class had it not above the threshold 0.5 and are background (0), "
        f"{lost} of them in the truth's foreground: for the plain argmax of a map with a "
        "background channel (every pixel its most probable channel, as nnU-Net takes it), use "
        "--threshold 0."
    ]


def test_nuclei_whose_outlines_are_cut_in_pieces_are_no_class_image():
    """Regression (review165): 2 nuclei against a background / interior / outline map, each
    outline cut in 3 pieces (4 predicted objects a nucleus, all inside it) read as a class
    image. Each nucleus's interior covers most of it: a class region's objects never do."""
    rows, cols = np.mgrid[:20, :40]
    truth = np.zeros((20, 40), np.uint8)
    prob = np.zeros((3, 20, 40), np.float32)
    prob[0] = 0.9  # background
    for index, centre in enumerate((10, 30)):
        distance = np.hypot(rows - 10, cols - centre)
        truth[distance <= 7] = index + 1
        interior, outline = distance <= 5, (distance > 5) & (distance <= 7)
        outline &= (cols - centre) % 6 != 0  # cut in pieces
        prob[:, interior] = np.array([0.05, 0.9, 0.05])[:, None]
        prob[:, outline] = np.array([0.05, 0.05, 0.9])[:, None]
    options = ThresholdOptions(channel_axis=0, background_channel=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = evaluate(truth, prob, threshold=0.5, threshold_options=options, kind="instance")
    assert record.instance.summary["n_pred"] >= 8  # 4 or more a nucleus
    assert not [w for w in caught if "class image" in str(w.message)]
