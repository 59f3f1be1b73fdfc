"""A softmax map whose channel 0 is background (nnU-Net, most U-Nets, Keras): with
``background_channel`` channel k is class k and channel 0's pixels are background (no object);
without it channel k is class k + 1, and a class comparison whose classes look one too high
says so. In memory and chunked, from Python, from files and on the command line."""

from __future__ import annotations

import json
import warnings

import dask.array as da
import numpy as np
import pandas as pd
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval.evaluation import ThresholdOptions, evaluate, labels_from_probability
from napari_seg_eval.io import FileNotice, evaluate_files, write_results
from napari_seg_eval.io.evaluate import file_settings
from napari_seg_eval.runs import Run

# The truth's classes (0 background, 1, 2), as a class image and as label images (class 1 is
# object 1, class 2 object 2: 4 pixels each).
TRUTH = np.array(
    [
        [0, 0, 1, 1],
        [0, 0, 1, 1],
        [2, 2, 0, 0],
        [2, 2, 0, 0],
    ],
    np.uint8,
)
# A softmax over 3 channels (axis 0): channel 0 is background. The winning channel has 0.8
# (the others 0.1 each), except the last pixel, (0.4, 0.3, 0.3): nothing above 0.5 there.
# Winning channel: [[0, 0, 1, 1], [0, 1, 1, 1], [2, 2, 0, 0], [2, 0, 0, (0)]].
PROB = np.array(
    [
        [
            [0.8, 0.8, 0.1, 0.1],
            [0.8, 0.1, 0.1, 0.1],
            [0.1, 0.1, 0.8, 0.8],
            [0.1, 0.8, 0.8, 0.4],
        ],
        [
            [0.1, 0.1, 0.8, 0.8],
            [0.1, 0.8, 0.8, 0.8],
            [0.1, 0.1, 0.1, 0.1],
            [0.1, 0.1, 0.1, 0.3],
        ],
        [
            [0.1, 0.1, 0.1, 0.1],
            [0.1, 0.1, 0.1, 0.1],
            [0.8, 0.8, 0.1, 0.1],
            [0.8, 0.1, 0.1, 0.3],
        ],
    ],
    np.float32,
)
# With background_channel (channel k is class k; the last pixel is background either way):
WITH_FLAG = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [2, 2, 0, 0], [2, 0, 0, 0]])
# Without it (channel k is class k + 1): channel 0's pixels are class 1.
WITHOUT_FLAG = np.array([[1, 1, 2, 2], [1, 2, 2, 2], [3, 3, 1, 1], [3, 1, 1, 0]])

# By hand, with the flag, classes against TRUTH:
#   class 0: truth 8 px, predicted 8 px, 7 shared (not (1, 1); (3, 1) extra): IoU 7/9
#   class 1: truth 4, predicted 5 ((1, 1) extra), 4 shared: IoU 4/5
#   class 2: truth 4, predicted 3 ((3, 1) missed), 3 shared: IoU 3/4
#   mean IoU (7/9 + 4/5 + 3/4) / 3; pixel accuracy (7 + 4 + 3) / 16.
FLAG_IOU = [7 / 9, 4 / 5, 3 / 4]
FLAG_ACCURACY = 14 / 16
# Without it: class 0 is only the last pixel (1 of truth's 8): IoU 1/8; class 1 (7 predicted
# pixels) shares none of truth's class 1, nor class 2 (5 px) of truth's class 2; class 3 (3 px)
# is not in the truth: IoU 0. Mean over the 4 classes 1/32; pixel accuracy 1/16.
NO_FLAG_IOU = [1 / 8, 0, 0, 0]
NO_FLAG_ACCURACY = 1 / 16
# Objects (connectivity 1, each class's components on their own), with the flag: class 1's
# 5 px (IoU 4/5 with true object 1) and class 2's 3 px (IoU 3/4 with true object 2): 2 objects,
# both matched at 0.5 (F1 1); AJI (4 + 3) / (5 + 4) = 7/9.
# Without it: also class 1's two blobs of background, 3 px top left and 4 px bottom right (the
# latter shares pixel (3, 1) with true object 2: IoU 1/7, less than class 3's 3/4): 4 objects,
# 2 matched (F1 2 * 2 / (2 * 2 + 2 + 0) = 2/3); AJI 7 / (5 + 4 + 3 + 4) = 7/16.
FLAG_OBJECTS = {"n_pred": 2, "f1_50": 1.0, "aji": 7 / 9}
NO_FLAG_OBJECTS = {"n_pred": 4, "f1_50": 2 / 3, "aji": 7 / 16}

HINT = "if channel 0 is background"


def random_chunks(shape: tuple[int, ...], seed: int) -> tuple[tuple[int, ...], ...]:
    """Chunks of random sizes (at least 1) along every axis."""
    rng = np.random.default_rng(seed)
    chunks = []
    for n in shape:
        cuts = np.sort(rng.choice(np.arange(1, n), size=rng.integers(0, n), replace=False))
        chunks.append(tuple(int(c) for c in np.diff([0, *cuts, n])))
    return tuple(chunks)


def inputs(chunked: int | None):
    """The truth and the map, in memory (None) or as dask arrays of random chunks (a seed)."""
    if chunked is None:
        return TRUTH, PROB
    return (
        da.from_array(TRUTH, chunks=random_chunks(TRUTH.shape, chunked)),
        da.from_array(PROB, chunks=random_chunks(PROB.shape, chunked + 100)),
    )


def record_of(background_channel: bool, chunked: int | None, **settings):
    true, prob = inputs(chunked)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = evaluate(
            true,
            prob,
            threshold=0.5,
            iou_thresholds=(0.5,),
            threshold_options=ThresholdOptions(
                channel_axis=0, connectivity=1, background_channel=background_channel
            ),
            **settings,
        )
    hints = [str(w.message) for w in caught if HINT in str(w.message)]
    return record, hints


@pytest.mark.parametrize("chunked", [None, 0, 1, 2, 3])
@pytest.mark.parametrize("background_channel", [False, True])
def test_classes_by_hand(background_channel, chunked):
    record, hints = record_of(background_channel, chunked, kind="both", binarize_semantic=False)
    per_class = record.semantic.per_class.set_index("class")["iou"]
    expected = FLAG_IOU if background_channel else NO_FLAG_IOU
    assert per_class.index.tolist() == list(range(len(expected)))
    np.testing.assert_allclose(per_class.to_numpy(float), expected)
    summary = record.semantic.summary
    assert summary["mean_iou"] == pytest.approx(np.mean(expected))
    accuracy = FLAG_ACCURACY if background_channel else NO_FLAG_ACCURACY
    assert summary["pixel_accuracy"] == pytest.approx(accuracy)
    objects = FLAG_OBJECTS if background_channel else NO_FLAG_OBJECTS
    for key, value in objects.items():
        assert record.instance.summary[key] == pytest.approx(value), key
    # Without the flag the classes run 1..3 against the truth's 0..2: said once.
    if background_channel:
        assert hints == []
    else:
        assert hints == [
            "channel k of the probability map is class k + 1 (classes 1..3), but the truth's "
            "classes run 0..2: if channel 0 is background, pass background_channel=True (in "
            "the dock: tick 'Channel 0 is background' beside the Channel axis), so that "
            "channel k is class k."
        ]


@pytest.mark.parametrize("chunked", [None, 0, 1, 2, 3])
@pytest.mark.parametrize("background_channel", [False, True])
def test_objects_and_foreground_by_hand(background_channel, chunked):
    """Foreground against background (the default), with objects: chunked inputs are labelled
    in the read that makes the tables. By hand, with the flag: predicted foreground 8 px,
    truth's 8, 7 shared: IoU 7/9 for both sides, accuracy 14/16. Without it everything but
    the last pixel is foreground (15 px, 8 shared: 8/15; background 1/8), accuracy 9/16."""
    record, hints = record_of(background_channel, chunked, kind="both")
    iou = record.semantic.per_class["iou"].to_numpy(float)
    expected = [7 / 9, 7 / 9] if background_channel else [1 / 8, 8 / 15]
    np.testing.assert_allclose(iou, expected)
    accuracy = 14 / 16 if background_channel else 9 / 16
    assert record.semantic.summary["pixel_accuracy"] == pytest.approx(accuracy)
    objects = FLAG_OBJECTS if background_channel else NO_FLAG_OBJECTS
    for key, value in objects.items():
        assert record.instance.summary[key] == pytest.approx(value), key
    # Foreground against background: no classes to compare. Without the flag 7 of the
    # truth's 8 background pixels are foreground (87.5 %: over half, not over 90 %), but 15
    # pixels are predicted for the truth's 8 (not more than twice as many): as a model of the
    # classes whose objects are too wide could give; nothing said.
    assert hints == []


@pytest.mark.parametrize("chunked", [None, 0])
@pytest.mark.parametrize("background_channel", [False, True])
def test_the_preview(background_channel, chunked):
    """Objects in raster order of their first pixel: with the flag class 1's object (first
    pixel (0, 2)) then class 2's ((2, 0)); without it the background blob at (0, 0) comes
    first, then (0, 2), (2, 0) and the blob at (2, 2)."""
    _, prob = inputs(chunked)
    options = ThresholdOptions(channel_axis=0, background_channel=background_channel)
    semantic = np.asarray(labels_from_probability(prob, 0.5, options))
    np.testing.assert_array_equal(semantic, WITH_FLAG if background_channel else WITHOUT_FLAG)
    objects = ThresholdOptions(
        output="instance", channel_axis=0, connectivity=1, background_channel=background_channel
    )
    labels = np.asarray(labels_from_probability(prob, 0.5, objects))
    if background_channel:
        expected = [[0, 0, 1, 1], [0, 1, 1, 1], [2, 2, 0, 0], [2, 0, 0, 0]]
    else:
        expected = [[1, 1, 2, 2], [1, 2, 2, 2], [3, 3, 4, 4], [3, 4, 4, 0]]
    np.testing.assert_array_equal(labels, expected)


def test_the_hint_only_where_the_classes_are_one_too_high():
    """Channel k as class k + 1 is right for a truth whose classes reach n (here the map's own
    classes 0..3: every class matches, IoU 1): nothing is said. Against classes 0..2 it is
    said."""
    for truth, hinted in ((WITHOUT_FLAG.astype(np.uint8), False), (TRUTH, True)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            record = evaluate(
                truth,
                PROB,
                threshold=0.5,
                kind="semantic",
                binarize_semantic=False,
                threshold_options=ThresholdOptions(channel_axis=0),
            )
        hints = [w for w in caught if HINT in str(w.message)]
        assert len(hints) == hinted
        if not hinted:
            assert record.semantic.summary["mean_iou"] == pytest.approx(1.0)


# A right map of classes 1..3 (channel k is class k + 1, the default) on an image lacking class
# 3, with one false pixel of it: truth class 1 on [:4, :4] (16 px), class 2 on [4:, 4:] (16 px),
# class 0 elsewhere (32 px); the map finds both (IoU 1) and class 3 on pixel (0, 7), truth 0.
# The truth's classes run 0..2 and the prediction has class 3, yet no pixel is shifted by one
# class: (true k, pred k + 1) = (0, 1) 0 + (1, 2) 0 + (2, 3) 0 = 0 pixels against
# (true k, pred k) = 31 + 16 + 16 = 63. Nothing is said.
LACKING_TOP = np.zeros((8, 8), np.uint8)
LACKING_TOP[:4, :4] = 1
LACKING_TOP[4:, 4:] = 2
RIGHT_MAP = np.full((3, 8, 8), 0.05, np.float32)
RIGHT_MAP[0][:4, :4] = 0.9
RIGHT_MAP[1][4:, 4:] = 0.9
RIGHT_MAP[2][0, 7] = 0.9


@pytest.mark.parametrize("chunked", [False, True])
def test_no_hint_for_a_right_map_on_an_image_lacking_the_top_class(tmp_path, chunked):
    true, prob = LACKING_TOP, RIGHT_MAP
    if chunked:
        true, prob = da.from_array(true, chunks=(4, 4)), da.from_array(prob, chunks=(1, 4, 4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = evaluate(
            true,
            prob,
            threshold=0.5,
            kind="both",
            binarize_semantic=False,
            threshold_options=ThresholdOptions(channel_axis=0),
        )
        np.save(tmp_path / "truth.npy", LACKING_TOP)
        np.save(tmp_path / "map.npy", RIGHT_MAP)
        result = evaluate_files(
            [(tmp_path / "truth.npy", tmp_path / "map.npy")],
            kind="all",
            probability=True,
            channel_axis=0,
            binarize_semantic=False,
        )
    assert [str(w.message) for w in caught if HINT in str(w.message)] == []
    iou = record.semantic.per_class.set_index("class")["iou"]
    # class 0: 31 px shared of 32 true and 31 predicted: 31/32; classes 1, 2: 1; class 3: 0/1.
    assert iou.to_dict() == pytest.approx({0: 31 / 32, 1: 1.0, 2: 1.0, 3: 0.0})
    assert result.n_failed == 0


def test_background_channel_needs_a_class_axis():
    with pytest.raises(ValueError, match="give the channel_axis too"):
        ThresholdOptions(background_channel=True)
    with pytest.raises(ValueError, match="give the channel_axis too"):
        file_settings(probability=True, background_channel=True)


def write_pair(folder, chunked: bool):
    """truth.npy and prob.npy (or prob.zarr, chunked (2, 3, 1)) in ``folder``."""
    folder.mkdir()
    np.save(folder / "case.npy", TRUTH)
    (folder / "pred").mkdir()
    if chunked:
        import zarr

        array = zarr.open_array(
            str(folder / "pred" / "case.zarr"),
            mode="w",
            shape=PROB.shape,
            chunks=(2, 3, 1),
            dtype=PROB.dtype,
        )
        array[:] = PROB
    else:
        np.save(folder / "pred" / "case.npy", PROB)
    return folder / "case.npy", folder / "pred"


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("background_channel", [False, True])
def test_evaluate_files_by_hand(tmp_path, background_channel, chunked):
    truth, pred = write_pair(tmp_path / "data", chunked)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files(
            [(truth, next(pred.iterdir()))],
            kind="all",
            iou_thresholds=[0.5],
            probability=True,
            channel_axis=0,
            background_channel=background_channel,
            connectivity=1,
            binarize_semantic=False,
        )
    summary = result.summary
    expected = FLAG_IOU if background_channel else NO_FLAG_IOU
    assert summary["mean_iou_pooled"] == pytest.approx(np.mean(expected))
    accuracy = FLAG_ACCURACY if background_channel else NO_FLAG_ACCURACY
    assert summary["pixel_accuracy_pooled"] == pytest.approx(accuracy)
    objects = FLAG_OBJECTS if background_channel else NO_FLAG_OBJECTS
    assert summary["n_pred"] == objects["n_pred"]
    assert summary["aji_pooled"] == pytest.approx(objects["aji"])
    assert result.settings.background_channel is background_channel
    notices = [w.message for w in caught if isinstance(w.message, FileNotice)]
    if background_channel:
        assert notices == []
    else:
        [notice] = notices
        assert str(notice) == (
            f"channel k of {next(pred.iterdir())} is class k + 1 (classes 1..3), but its "
            "truth's classes run 0..2: if channel 0 is background, set "
            "background_channel=True, so that channel k is class k."
        )


def test_evaluate_files_tells_classes_only(tmp_path):
    """Foreground against background (the default) compares no classes: nothing said (7 of the
    truth's 8 background pixels are foreground, but 15 pixels predicted for its 8: see
    test_objects_and_foreground_by_hand); the same pair compared class by class is told its
    classes are one too high."""
    truth, pred = write_pair(tmp_path / "data", chunked=False)
    for binarize, said in ((True, None), (False, "(classes 1..3)")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evaluate_files(
                [(truth, pred / "case.npy")],
                kind="all",
                probability=True,
                channel_axis=0,
                binarize_semantic=binarize,
            )
        hints = [str(w.message) for w in caught if HINT in str(w.message)]
        assert hints == [] if said is None else len(hints) == 1 and said in hints[0]


def run_cli(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


@pytest.mark.parametrize("background_channel", [False, True])
def test_the_command_line_by_hand(tmp_path, capsys, background_channel):
    truth, pred = write_pair(tmp_path / "data", chunked=False)
    out = tmp_path / "out"
    flag = ["--background-channel"] if background_channel else []
    argv = [str(truth), str(pred / "case.npy"), "--out", str(out), "--probability"]
    argv += ["--channel-axis", "0", "--kind", "all", "--class-labels", "--iou-thresholds", "0.5"]
    assert run_cli(*argv, *flag) == 0
    err = capsys.readouterr().err
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    expected = FLAG_IOU if background_channel else NO_FLAG_IOU
    assert summary["mean_iou_pooled"] == pytest.approx(np.mean(expected))
    accuracy = FLAG_ACCURACY if background_channel else NO_FLAG_ACCURACY
    assert summary["pixel_accuracy_pooled"] == pytest.approx(accuracy)
    objects = FLAG_OBJECTS if background_channel else NO_FLAG_OBJECTS
    assert summary["n_pred"] == objects["n_pred"]
    settings = json.loads((out / "settings.json").read_text())["settings"]
    assert settings["background_channel"] is background_channel
    hints = [line for line in err.splitlines() if HINT in line]
    if background_channel:
        assert hints == []
    else:
        assert hints == [
            f"napari-seg-eval: channel k of {pred / 'case.npy'} is class k + 1 (classes 1..3), "
            "but its truth's classes run 0..2: if channel 0 is background, set "
            "--background-channel, so that channel k is class k."
        ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--channel-axis", "0"],
            "error: --channel-axis is for probability maps: add --probability.",
        ),
        (
            ["--probability", "--background-channel"],
            "error: --background-channel says channel 0 of a map's class axis is background: "
            "add --channel-axis",
        ),
        (
            ["--probability", "--preset", "coco", "--channel-axis", "0"],
            "error: the coco preset scores the objects of a one-class probability map: leave "
            "out --channel-axis.",
        ),
        (
            ["--preset", "conic"],
            "error: the conic preset needs class images of both sides: give "
            "--truth-classes-suffix and --prediction-classes-suffix.",
        ),
        (
            ["--truth-classes-suffix", "_c"],
            "error: give both --truth-classes-suffix and --prediction-classes-suffix (or "
            "neither); got only --truth-classes-suffix.",
        ),
        (
            [
                *("--kind", "semantic"),
                *("--truth-classes-suffix", "_c", "--prediction-classes-suffix", "_c"),
            ],
            "are for instance metrics: use --kind instance or --kind all.",
        ),
    ],
)
def test_the_command_line_names_its_flags(tmp_path, capsys, options, message):
    """Regression (a new user's trial): --channel-axis without --probability said "set
    probability=True", Python's keyword; the command line names the flags typed. The rules
    are the settings' own (``file_settings``), their words translated to the flags."""
    truth, pred = write_pair(tmp_path / "data", chunked=False)
    out = tmp_path / "out"
    argv = [str(truth), str(pred / "case.npy"), "--out", str(out), *options]
    assert run_cli(*argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "=True" not in err and "channel_axis" not in err and "kind '" not in err
    assert "classes_suffix" not in err
    assert not out.exists()


def test_each_caller_names_its_own_options(tmp_path, capsys):
    """The same refusal: Python names the keyword, the command line the flag."""
    with pytest.raises(ValueError, match=r"channel_axis is for probability maps: set probabil"):
        file_settings(channel_axis=0)
    truth, pred = write_pair(tmp_path / "data", chunked=False)
    argv = [str(truth), str(pred / "case.npy"), "--out", str(tmp_path / "out")]
    assert run_cli(*argv, "--channel-axis", "0") == 2
    assert "--channel-axis is for probability maps: add --probability." in (capsys.readouterr().err)


def test_settings_round_trip(tmp_path):
    """The record's ThresholdOptions and the files' settings keep background_channel in
    settings.json; a folder written before the field existed still loads."""
    record, _ = record_of(True, None, kind="both", binarize_semantic=False)
    assert record.settings.threshold_options.background_channel is True
    saved = Run.from_evaluation(record, name="softmax").save(tmp_path / "run")
    loaded = Run.load(saved)
    assert loaded.settings["threshold_options"]["background_channel"] is True
    assert loaded.tables["per_class"]["iou"].to_numpy(float) == pytest.approx(FLAG_IOU)

    truth, pred = write_pair(tmp_path / "data", chunked=False)
    result = evaluate_files(
        [(truth, pred / "case.npy")],
        kind="all",
        probability=True,
        channel_axis=0,
        background_channel=True,
    )
    folder = write_results(result, tmp_path / "files")
    stored = json.loads((folder / "settings.json").read_text())
    assert stored["settings"]["background_channel"] is True
    assert Run.load(folder).settings["settings"]["background_channel"] is True

    # Written before the field existed: no background_channel anywhere; still loads.
    for path, keys in ((saved, ["threshold_options"]), (folder, ["settings"])):
        settings = json.loads((path / "settings.json").read_text())
        inner = settings
        for key in keys:
            inner = inner[key]
        del inner["background_channel"]
        (path / "settings.json").write_text(json.dumps(settings))
        old = Run.load(path)
        assert old.threshold == 0.5


# Foreground against background (the defaults), where no classes are compared (trial25,
# finding 2): a 2-channel softmax, channel 0 background, over a 4 x 5 truth with one object of
# 4 pixels (rows 1-2, columns 1-2). Channel 0 is 0.8 on the 16 background pixels, channel 1 on
# the object's 4. Read with channel k as class k + 1, every pixel is foreground: the 16
# background pixels all are (16 of 16, over half): said. With background_channel, the object
# alone is foreground (0 of 16): nothing said; so too for a map of one class (no class axis).
OBJECT_TRUTH = np.zeros((4, 5), np.uint8)
OBJECT_TRUTH[1:3, 1:3] = 1
TWO_CHANNELS = np.stack([np.where(OBJECT_TRUTH == 0, 0.8, 0.2)] * 2).astype(np.float32)
TWO_CHANNELS[1] = 1 - TWO_CHANNELS[0]
AS_OBJECTS = "over half of the truth's background is foreground"


@pytest.mark.parametrize(
    ("kind", "chunked"), [("both", False), ("both", True), ("instance", True), ("instance", False)]
)
def test_background_read_as_a_class_is_said_without_classes(kind, chunked):
    prob = da.from_array(TWO_CHANNELS, chunks=(1, 2, 3)) if chunked else TWO_CHANNELS
    truth = da.from_array(OBJECT_TRUTH, chunks=(2, 3)) if chunked else OBJECT_TRUTH
    for background_channel, said in ((False, True), (True, False)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            record = evaluate(
                truth,
                prob,
                threshold=0.5,
                kind=kind,
                threshold_options=ThresholdOptions(
                    channel_axis=0, background_channel=background_channel
                ),
            )
        assert len([w for w in caught if AS_OBJECTS in str(w.message)]) == said
        # by hand: read as classes 1 and 2, each class's pixels are an object: the ring of 16
        # (no true partner: FP) and the 4 of the object (IoU 1: TP): F1 2 / (2 + 1) = 2/3;
        # with the background channel, the object alone: F1 1
        f1 = record.instance.summary["f1_50"]
        assert f1 == pytest.approx(1.0 if background_channel else 2 / 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate(truth, prob[1], threshold=0.5, kind=kind)  # one class: channel 1 alone
    assert not [w for w in caught if AS_OBJECTS in str(w.message)]


def test_evaluate_files_says_background_read_as_a_class(tmp_path):
    np.save(tmp_path / "case.npy", OBJECT_TRUTH)
    (tmp_path / "pred").mkdir()
    np.save(tmp_path / "pred" / "case.npy", TWO_CHANNELS)
    for background_channel in (False, True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evaluate_files(  # the defaults: instance metrics only
                [(tmp_path / "case.npy", tmp_path / "pred" / "case.npy")],
                probability=True,
                channel_axis=0,
                background_channel=background_channel,
            )
        notices = [str(w.message) for w in caught if isinstance(w.message, FileNotice)]
        if background_channel:
            assert notices == []
        else:
            assert notices == [
                f"over half of the truth's background is foreground in "
                f"{tmp_path / 'pred' / 'case.npy'}, read with channel k as class k + 1: if "
                "channel 0 is background, set background_channel=True."
            ]


def test_a_background_channel_not_sure_everywhere_is_said_too():
    """trial138: a softmax whose background channel is above the threshold on only part of the
    truth's background (the rest below it everywhere) was not said under a 90 % rule."""
    prob = np.zeros((3, 4, 5), np.float32)
    prob[:, OBJECT_TRUTH == 1] = np.array([0.1, 0.8, 0.1])[:, None]  # the object: class A
    background = np.argwhere(OBJECT_TRUTH == 0)
    for number, (row, column) in enumerate(background):
        # 10 of the 16 background pixels sure of the background (0.8); 6 of them unsure
        # (0.4, 0.3, 0.3: no channel above 0.5, so background whatever channel 0 is).
        prob[:, row, column] = (0.8, 0.1, 0.1) if number < 10 else (0.4, 0.3, 0.3)
    for kind in ("instance", "both"):
        for background_channel, said in ((False, True), (True, False)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                record = evaluate(
                    OBJECT_TRUTH,
                    prob,
                    threshold=0.5,
                    kind=kind,
                    channel_axis=0,
                    background_channel=background_channel,
                )
            # Read with channel k as class k + 1, 10 of 16 background pixels are foreground
            # (62.5 %: over half): said; with the background channel, none is.
            assert len([w for w in caught if AS_OBJECTS in str(w.message)]) == said
            # The 10 sure pixels, read as class 1, touch: one spurious object beside the
            # true one (F1 2 / 3); with the background channel the object alone (F1 1).
            assert record.instance.summary["n_pred"] == (2 if not background_channel else 1)


def test_a_decent_model_of_dense_cells_a_little_too_wide_is_not_told_of_a_background_channel():
    """review147: 16 touching-close cells of 10x10 px with 3 px gaps; a model of two classes
    (no background channel) finds every one, 1 px too wide on each side: its objects cover 704
    of the truth's 1,209 background pixels (58 %: over half), but it predicts 16 x 12 x 12 =
    2,304 pixels for the truth's 1,600 (not twice as many): nothing said. A map of one channel
    is never told (its channel 0 is its class)."""
    gap, size, n, margin = 3, 10, 4, 2
    side = 2 * margin + n * size + (n - 1) * gap
    truth = np.zeros((side, side), np.int32)
    classes = np.zeros((side, side), np.int32)
    for number in range(n * n):
        row = margin + (number // n) * (size + gap)
        column = margin + (number % n) * (size + gap)
        truth[row : row + size, column : column + size] = number + 1
        classes[row - 1 : row + size + 1, column - 1 : column + size + 1] = 1 + number % 2
    two = np.stack([np.where(classes == k, 0.9, 0.05) for k in (1, 2)]).astype(np.float32)
    one = np.where(classes > 0, 0.9, 0.05).astype(np.float32)[None]
    assert int(((truth == 0) & (classes > 0)).sum()) == 704
    for prob in (two, one):
        for kind in ("instance", "both"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                record = evaluate(truth, prob, threshold=0.5, kind=kind, channel_axis=0)
            assert not [w for w in caught if HINT in str(w.message)]
            # every cell found: IoU 100 / 144 = 0.69 each, F1 at 0.5 = 1
            assert record.instance.summary["f1_50"] == 1.0
