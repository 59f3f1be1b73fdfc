"""A multi-class map thresholded says what its threshold made background; the dock's tabs
that a run's kind leaves empty say why (notice122, from a new user's trial, trial118).

A softmax without a background channel (one channel per class 1..n) thresholded at 0.5 turns
every pixel whose most probable class is not above 0.5 into background 0: in the trial a
quarter of the pixels, silently. Every number below is worked out by hand.
"""

from __future__ import annotations

import warnings

import dask.array as da
import numpy as np
import pytest

from napari_seg_eval.core.overlap import overlap_table
from napari_seg_eval.core.threshold import threshold_probabilities
from napari_seg_eval.evaluation import evaluate

# The truth's classes 1..3 (0 background), 8 pixels.
TRUTH = np.array(
    [
        [1, 1, 2, 2],
        [3, 3, 0, 0],
    ],
    np.uint8,
)
# Three channels (axis 0), channel c is class c + 1 (no background channel). Each pixel's
# channels, and its label at the threshold 0.5:
#   (0, 0) truth 1: (0.9, 0.05, 0.05) -> 1
#   (0, 1) truth 1: (0.5, 0.3, 0.2)   -> 0: its top 0.5 is AT the threshold, not above it
#   (0, 2) truth 2: (0.1, 0.8, 0.1)   -> 2
#   (0, 3) truth 2: (0.3, 0.4, 0.3)   -> 0: top 0.4
#   (1, 0) truth 3: (0.1, 0.1, 0.8)   -> 3
#   (1, 1) truth 3: (0.2, 0.2, 0.6)   -> 3
#   (1, 2) truth 0: (0.4, 0.3, 0.3)   -> 0: top 0.4 (the truth's background: no class lost)
#   (1, 3) truth 0: (0.1, 0.1, 0.8)   -> 3
# (float64: 0.5 is exact, and so is the comparison with the threshold 0.5.)
PROB = np.array(
    [
        [[0.9, 0.5, 0.1, 0.3], [0.1, 0.2, 0.4, 0.1]],
        [[0.05, 0.3, 0.8, 0.4], [0.1, 0.2, 0.3, 0.1]],
        [[0.05, 0.2, 0.1, 0.3], [0.8, 0.6, 0.3, 0.8]],
    ]
)
LABELS = np.array([[1, 0, 2, 0], [3, 3, 0, 3]])
# Made background: (0, 1), (0, 3) and (1, 2): 3 of the 8 pixels, 3 / 8 = 37.5 %; 2 of them,
# (0, 1) and (0, 3), in the truth's foreground (classes 1 and 2).
HINT = (
    "3 of 8 pixels (37.5 %) had no class above the threshold 0.5 and are background (0), 2 of "
    "them in the truth's foreground: for a plain argmax of a softmax without a background "
    "channel (every pixel its most probable class), use threshold 0"
)


def hints(**settings) -> list[str]:
    """The notices of a run of PROB (or ``settings['pred']``) against TRUTH about what the
    threshold made background."""
    pred = settings.pop("pred", PROB)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate(TRUTH, pred, **settings)
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, UserWarning) and "no class above the threshold" in str(w.message)
    ]


def test_the_counts_of_a_table():
    from napari_seg_eval.core.threshold import made_background

    np.testing.assert_array_equal(threshold_probabilities(PROB, 0.5, channel_axis=0), LABELS)
    # 3 made background, 2 of them in the truth's classes, 8 pixels (see PROB)
    assert made_background(overlap_table(TRUTH, LABELS)) == (3, 2, 8)
    # ignored pixels are not counted: without class 1's two pixels (one of them made
    # background, (0, 1)), 2 of the 6 left were, 1 of them ((0, 3)) in the foreground
    assert made_background(overlap_table(TRUTH, LABELS, ignore_label=1)) == (2, 1, 6)


@pytest.mark.parametrize("kind", ["semantic", "both"])
@pytest.mark.parametrize("binarize", [False, True])
def test_a_run_says_what_the_threshold_made_background(kind, binarize):
    """Once per run (kind 'both' too), classes compared or foreground against background:
    the same pixels are predicted 0 either way."""
    said = hints(threshold=0.5, channel_axis=0, kind=kind, binarize_semantic=binarize)
    assert len(said) == 1
    assert said[0].startswith(HINT)
    assert said[0].endswith("(in the dock: the header's Threshold at 0).")


@pytest.mark.parametrize("kind", ["semantic", "both"])
def test_a_chunked_map_counts_as_in_memory(kind):
    """A dask map is thresholded in the pass that counts the table (never read twice): the
    same counts, and the same notice, as numpy."""
    lazy = da.from_array(PROB, chunks=(3, 1, 2))
    assert hints(pred=lazy, threshold=0.5, channel_axis=0, kind=kind) == hints(
        threshold=0.5, channel_axis=0, kind=kind
    )
    assert hints(pred=lazy, threshold=0.5, channel_axis=0, kind=kind)[0].startswith(HINT)


def test_a_region_counts_only_its_pixels():
    # the top row only: (0, 1) and (0, 3) made background, both in the truth's classes:
    # 2 of 4 pixels, 50 %
    region = np.array([[True] * 4, [False] * 4])
    [said] = hints(region=region, threshold=0.5, channel_axis=0, kind="semantic")
    assert said.startswith(
        "2 of 4 pixels (50 %) had no class above the threshold 0.5 and are "
        "background (0), 2 of them in the truth's foreground"
    )


def test_a_plane_by_plane_run_counts_the_whole_stack():
    # PROB's two rows as two planes (axis 0 of the truth, axis 1 of the map): the same pixels
    said = hints(threshold=0.5, channel_axis=0, kind="semantic", plane_axis=0)
    assert len(said) == 1 and said[0].startswith(HINT)


def test_no_notice_with_a_background_channel():
    """Channel 0 is background: its pixels are background by choice, not by the threshold
    (without the flag, the same map is told)."""
    assert hints(threshold=0.5, channel_axis=0, background_channel=True, kind="semantic") == []
    assert len(hints(threshold=0.5, channel_axis=0, kind="semantic")) == 1


def test_no_notice_for_a_map_of_one_foreground():
    """A map without a class axis: 0 is its background, thresholding is what it is for.
    (0.5, at the threshold, on the truth's foreground: background, without a word.) Its
    values as one channel of a class map (channel 0, class 1) are told: (0, 1) at 0.5 and
    (0, 3) at 0.4 were made background, and (1, 2) at 0.4: 3 of 8, 2 of them in the truth's
    foreground, the numbers of PROB."""
    single = np.array([[0.9, 0.5, 0.8, 0.4], [0.8, 0.6, 0.4, 0.8]])
    assert hints(pred=single, threshold=0.5, kind="semantic") == []
    [said] = hints(pred=single[np.newaxis], threshold=0.5, channel_axis=0, kind="semantic")
    assert said.startswith(HINT)


def test_no_notice_at_threshold_0_though_a_pixel_of_zeros_is_background():
    """At threshold 0 the map is its plain argmax: only a pixel whose channels are all 0 is
    not above it, and it has no class to give: background, without a notice (the notice's
    advice is threshold 0)."""
    zeros = PROB.copy()
    zeros[:, 0, 1] = 0.0  # (0, 1), truth class 1: no channel above 0
    labels = threshold_probabilities(zeros, 0.0, channel_axis=0)
    # every other pixel is its top channel's class (ties: the first)
    np.testing.assert_array_equal(labels, [[1, 0, 2, 2], [3, 3, 1, 3]])
    assert hints(pred=zeros, threshold=0.0, channel_axis=0, kind="semantic") == []
    # at 0.5 the same map is told: as PROB, (0, 1) now all 0 instead of at 0.5
    assert hints(pred=zeros, threshold=0.5, channel_axis=0, kind="semantic")[0].startswith(HINT)


def test_no_notice_when_only_the_truths_background_was_made_background():
    """The threshold took no class a pixel: (0, 1) and (0, 3) lifted above 0.5, only (1, 2),
    on the truth's background, is made 0 (what a threshold is for)."""
    lifted = PROB.copy()
    lifted[:, 0, 1] = (0.6, 0.2, 0.2)
    lifted[:, 0, 3] = (0.2, 0.6, 0.2)
    assert threshold_probabilities(lifted, 0.5, channel_axis=0).tolist() == [
        [1, 1, 2, 2],
        [3, 3, 0, 3],
    ]
    assert hints(pred=lifted, threshold=0.5, channel_axis=0, kind="semantic") == []
    # lifted to 0.6 only (0, 1), class 1's: (0, 3), class 2's, is lost again, and told:
    # (0, 3) and (1, 2) made background, 2 of 8 pixels (25 %), 1 in the truth's foreground
    lifted[:, 0, 3] = PROB[:, 0, 3]
    [said] = hints(pred=lifted, threshold=0.5, channel_axis=0, kind="semantic")
    assert said.startswith(
        "2 of 8 pixels (25 %) had no class above the threshold 0.5 and are background (0), 1 of "
        "them in the truth's foreground"
    )


# ------------------------------------------------------------------------------------ the dock

DOCK = ("napari-seg-eval", "Segmentation Evaluation")


@pytest.fixture
def dock(make_napari_viewer, qtbot):
    pytest.importorskip("napari")
    from widget_helpers import settle_preview

    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_image(PROB, name="softmax")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    widget.set_probability_layer("softmax")
    combo = widget.channel_axis_combo
    combo.setCurrentIndex(combo.findData(0))  # classes first
    settle_preview(qtbot, widget)
    widget.set_ground_truth("truth")
    widget.set_prediction("softmax")
    return viewer, widget


def run_in_worker(widget, qtbot, kind):
    """Run as the Run button does (in a worker), kind ``kind``, classes compared."""
    widget.evaluate.kind_combo.setCurrentText(kind)
    widget.evaluate.binarize_check.setChecked(False)
    with qtbot.waitSignal(widget.evaluate.job.finished, timeout=30_000):
        widget.run_evaluation()
    assert widget.evaluation is not None, widget.evaluate.status_label.text()


def test_the_dock_shows_the_notice_with_the_runs_results(dock, qtbot, monkeypatch, errors):
    from napari_seg_eval import _jobs

    _viewer, widget = dock
    assert widget.threshold_options().channel_axis == 0
    assert not widget.threshold_options().background_channel
    assert widget.threshold_slider.value() == 0.5  # the default
    shown = []
    monkeypatch.setattr(_jobs, "show_warning", shown.append)
    run_in_worker(widget, qtbot, "semantic")
    said = [text for text in shown if "no class above the threshold" in text]
    assert said == [f"Segmentation Evaluation: {HINT} (in the dock: the header's Threshold at 0)."]
    assert errors == []


def tab_says(widget, key: str) -> bool:
    """Whether the Evaluate tab's result tab ``key`` shows its line instead of its table."""
    table, note = widget.evaluate.tables[key], widget.evaluate.empty_notes[key]
    # the line or the table (and its Copy and Export CSV), never both
    for part in (table.view, table.copy_button, table.export_button):
        assert note.isHidden() == (not part.isHidden())
    return not note.isHidden()


def test_the_tabs_a_runs_kind_leaves_empty_say_why(dock, qtbot, errors):
    _viewer, widget = dock
    panel = widget.evaluate
    assert not tab_says(widget, "per_threshold") and not tab_says(widget, "per_class")
    run_in_worker(widget, qtbot, "semantic")  # no matching: nothing per IoU threshold
    assert panel.tables["per_threshold"].model.rowCount() == 0
    assert tab_says(widget, "per_threshold") and not tab_says(widget, "per_class")
    text = panel.empty_notes["per_threshold"].text()
    assert "this run was semantic only" in text and "'instance' or 'both'" in text
    run_in_worker(widget, qtbot, "instance")  # no semantic metrics: nothing per class
    assert panel.tables["per_class"].model.rowCount() == 0
    assert tab_says(widget, "per_class") and not tab_says(widget, "per_threshold")
    text = panel.empty_notes["per_class"].text()
    assert "this run was instance only" in text and "'semantic' or 'both'" in text
    run_in_worker(widget, qtbot, "both")  # both tables have rows again, shown
    assert not tab_says(widget, "per_threshold") and not tab_says(widget, "per_class")
    assert panel.tables["per_class"].model.rowCount() > 0
    assert panel.tables["per_threshold"].model.rowCount() > 0
    assert errors == []


def test_the_command_line_and_evaluate_files_say_it(tmp_path, capsys):
    from napari_seg_eval import __main__ as cli
    from napari_seg_eval.io import evaluate_files

    (tmp_path / "truth").mkdir()
    (tmp_path / "prob").mkdir()
    np.save(tmp_path / "truth" / "img.npy", TRUTH)
    np.save(tmp_path / "prob" / "img.npy", PROB.astype(np.float32))  # 0.5 exact in float32 too
    args = ["evaluate", str(tmp_path / "truth"), str(tmp_path / "prob"), "--probability"]
    args += ["--channel-axis", "0", "--kind", "semantic", "--class-labels"]
    with pytest.raises(SystemExit) as ended:
        cli.main([*args, "--out", str(tmp_path / "out")])
    assert ended.value.code == 0
    err = " ".join(capsys.readouterr().err.split())
    # The counts of PROB at 0.5 (see HINT), with the file named and the command's option.
    said = (
        f"3 of 8 pixels (37.5 %) of {tmp_path / 'prob' / 'img.npy'} had no class above the "
        "threshold 0.5 and are background (0), 2 of them in the truth's foreground: for a plain "
        "argmax of a softmax without a background channel, use --threshold 0"
    )
    assert said in err
    with pytest.raises(SystemExit) as ended:
        cli.main([*args, "--threshold", "0", "--out", str(tmp_path / "zero")])
    assert ended.value.code == 0
    assert "no class above" not in capsys.readouterr().err
    with pytest.warns(UserWarning, match=r"3 of 8 pixels .* use threshold=0"):
        evaluate_files(
            tmp_path / "truth",
            tmp_path / "prob",
            kind="semantic",
            probability=True,
            channel_axis=0,
            binarize_semantic=False,
        )
