"""layers171: the Evaluate tab's choice of truth and prediction, the preview's layer, a wrong
truth said (new-user trial 167, a napari-only user reviewing Cellpose masks).

1. The ground truth never defaults to one of the plugin's result layers (the threshold preview
   of a map opened beside images), the "Convert to Labels" offer shows instead, and a truth
   that is the prediction's own preview, chosen by hand, is said.
2. Cellpose names: ``X_masks`` (the annotation) is the truth against ``X_cp_masks`` whatever the
   order they were opened in.
3. A run in which no predicted object matches a true one, both sides having objects, says so,
   and says when the truth has no background (a raw image converted to labels).
4. A result layer the user renamed is theirs: the preview makes a new layer.
"""

import numpy as np
import pytest

pytest.importorskip("napari")

from napari.components import ViewerModel
from napari.layers import Labels

from napari_seg_eval._napari.layers import (
    TAG,
    put_labels,
    result_layer,
    truth_rank,
)
from napari_seg_eval._qt import evaluate_panel
from widget_helpers import settle_preview, two_squares_map

#: Two 3 x 3 squares on an 8 x 8 background: a label image.
SQUARES = np.zeros((8, 8), np.uint16)
SQUARES[1:4, 1:4], SQUARES[5:8, 5:8] = 1, 2


@pytest.fixture
def said(monkeypatch):
    """The Evaluate tab's information notices, as text."""
    shown = []
    monkeypatch.setattr(evaluate_panel, "show_info", shown.append)
    return shown


def make_dock(viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return widget


def run_and_notices(qtbot, widget, said, truth, prediction):
    """Run with ``truth`` and ``prediction`` (names); the tables and every notice the run
    said (a probe queued after them marks their end)."""
    widget.set_ground_truth(truth)
    widget.set_prediction(prediction)
    said.clear()
    tables = widget.run_evaluation(wait=True)
    assert tables is not None, widget.evaluate.status_label.text()
    probe = "probe"
    evaluate_panel.QTimer.singleShot(0, lambda: said.append(probe))
    qtbot.wait_until(lambda: probe in said)
    return tables, [text for text in said if text != probe]


# Item 1: the truth never defaults to our preview ---------------------------------------------
def test_the_truth_is_never_the_preview_by_default_and_the_conversion_shows(
    make_napari_viewer, qtbot
):
    """The trial's default path: a raw image, a float map, the truth and the prediction, all
    Image layers (as viewer.open gives them). The map's preview is the only Labels layer: the
    truth chooser chooses none and offers to convert an image, the annotation first."""
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    rng = np.random.default_rng(0)
    viewer.add_image(rng.integers(100, 4000, (6, 8), dtype=np.uint16), name="img1")
    viewer.add_image(two_squares_map(), name="img1_cellprob")
    viewer.add_image(SQUARES[:6].copy(), name="img1_masks")
    viewer.add_image(SQUARES[:6].copy(), name="img1_cp_masks")
    settle_preview(qtbot, widget)
    preview = viewer.layers["img1_cellprob thresholded"]
    assert [x for x in viewer.layers if isinstance(x, Labels)] == [preview]
    truth = widget.evaluate.truth_combo
    assert truth.count() == 1  # listed, to choose by hand
    assert truth.layer() is None
    assert not truth.hint_label.isHidden() and not truth.convert_button.isHidden()
    assert truth.hint_label.text().startswith("No Labels layer of yours")
    # The image most like an annotation is offered first: not the raw image, not the model's.
    assert truth.image_combo.currentText() == "img1_masks"
    truth.convert_button.click()
    assert truth.layer() is viewer.layers["img1_masks labels"]
    assert truth.hint_label.isHidden() and truth.convert_button.isHidden()
    # Chosen by hand, the preview is the truth (and the offer hides).
    widget.set_ground_truth(preview)
    assert truth.layer() is preview and truth.convert_button.isHidden()


def test_the_prediction_s_own_preview_chosen_as_truth_is_said(make_napari_viewer, qtbot, said):
    """The map scored against its own threshold preview (chosen by hand) gets a notice."""
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    viewer.add_image(two_squares_map(), name="p")
    widget.set_probability_layer("p")
    settle_preview(qtbot, widget)
    _, notices = run_and_notices(qtbot, widget, said, "p thresholded", "p")
    assert (
        "Segmentation Evaluation: the ground truth 'p thresholded' is the plugin's threshold "
        "preview of the prediction 'p': the prediction is scored against itself, and the "
        "numbers say nothing of the model. Choose your annotation as the ground truth (a "
        "Labels layer; an integer image: Convert to Labels)."
    ) in notices


# Item 2: Cellpose names, whatever the order -------------------------------------------------
@pytest.mark.parametrize("first", ["img2_cp_masks", "img2_masks"])
def test_cellpose_masks_are_the_truth_against_cp_masks_in_either_order(make_napari_viewer, first):
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    second = {"img2_cp_masks": "img2_masks", "img2_masks": "img2_cp_masks"}[first]
    for name in (first, second):
        viewer.add_labels(SQUARES.copy(), name=name)
    assert widget.evaluate.truth_combo.layer().name == "img2_masks"
    assert widget.evaluate.prediction_combo.layer().name == "img2_cp_masks"


@pytest.mark.parametrize(
    ("truth", "prediction"),
    [
        ("img2_masks", "img2_cp_masks"),
        ("X_gt", "X_pred"),
        ("labels", "predicted labels"),
        ("nuclei gt", "cellpose masks"),
        ("manual masks", "cellpose masks"),
        ("img2_masks labels", "img2_cp_masks labels"),  # as Convert to Labels names them
    ],
)
def test_the_name_with_fewer_prediction_words_ranks_higher_as_truth(truth, prediction):
    empty = np.zeros((2, 2), np.uint8)
    assert truth_rank(Labels(empty, name=truth)) > truth_rank(Labels(empty, name=prediction))


# Item 3: no match, and a truth without background ---------------------------------------------
@pytest.fixture
def raw_dock(make_napari_viewer):
    """The dock on a raw uint16 image converted to labels (64 ids, no 0: every pixel its own
    object), the label image "annotation", a shifted copy "shifted" and the model's "model"
    (the annotation's two squares)."""
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    raw = viewer.add_image(np.arange(1, 65, dtype=np.uint16).reshape(8, 8), name="raw")
    widget.evaluate.truth_combo.convert_image(raw)  # "raw labels"
    viewer.add_labels(SQUARES.copy(), name="annotation")
    viewer.add_labels(np.roll(SQUARES, 4, axis=1), name="shifted")
    viewer.add_labels(SQUARES.copy(), name="model")
    return viewer, widget


@pytest.mark.parametrize("kind", ["both", "instance"])
def test_a_raw_image_as_truth_is_said_with_its_missing_background(raw_dock, qtbot, said, kind):
    """Each predicted 3 x 3 square meets 9 one-pixel true objects: IoU 1/9 < 0.5 with each,
    no match; the truth's 64 pixels are 64 objects and none is 0. The background is read from
    the semantic table (both) or from the areas compared (instance only)."""
    _, widget = raw_dock
    widget.evaluate.kind_combo.setCurrentText(kind)
    tables, notices = run_and_notices(qtbot, widget, said, "raw labels", "model")
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert (summary[("instance", "n_true")], summary[("instance", "n_pred")]) == (64, 2)
    assert summary[("instance", "f1_50")] == 0
    assert notices == [
        "Segmentation Evaluation: no predicted object matched a true object at IoU 0.5 (64 "
        "true, 2 predicted objects): check the layers. Are 'raw labels' (ground truth) and "
        "'model' (prediction) segmentations of the same image, on the same pixels? 'raw "
        "labels' has no background (no pixel 0: every pixel is in one of its 64 objects), as "
        "an intensity image converted to labels would: is it a label image?"
    ]


def test_no_match_with_a_background_says_only_no_match(raw_dock, qtbot, said):
    """The squares shifted by 4 columns: the left one overlaps nothing of the truth's, the
    right one (columns 9..11) is cut to nothing; the truth has background: no word of it."""
    _, widget = raw_dock
    tables, notices = run_and_notices(qtbot, widget, said, "annotation", "shifted")
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    # np.roll wraps: the right square comes back at columns 1..3 of rows 5..7: no overlap either
    assert (summary[("instance", "n_true")], summary[("instance", "n_pred")]) == (2, 2)
    assert notices == [
        "Segmentation Evaluation: no predicted object matched a true object at IoU 0.5 (2 "
        "true, 2 predicted objects): check the layers. Are 'annotation' (ground truth) and "
        "'shifted' (prediction) segmentations of the same image, on the same pixels?"
    ]


def test_a_good_run_says_nothing(raw_dock, qtbot, said):
    _, widget = raw_dock
    tables, notices = run_and_notices(qtbot, widget, said, "annotation", "model")
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("instance", "f1_50")] == 1  # the same two squares
    assert notices == []


def test_the_truth_background_is_read_from_the_record():
    """The truth's area of id 0, by hand: 8 x 8 = 64 pixels less two 3 x 3 squares = 46."""
    from napari_seg_eval.evaluation import evaluate

    assert evaluate_panel.truth_background(evaluate(SQUARES, SQUARES)) == 46
    record = evaluate(SQUARES, SQUARES, kind="instance")
    assert evaluate_panel.truth_background(record) == 46
    # The background ignored (the run warns of it): nothing to say of it.
    with pytest.warns(UserWarning, match="ignore_label=0"):
        record = evaluate(SQUARES, SQUARES, ignore_label=0)
    assert evaluate_panel.truth_background(record) is None


# Item 4: a renamed result layer is the user's --------------------------------------------------
def test_a_renamed_preview_is_left_alone_and_a_new_one_made(make_napari_viewer, qtbot):
    """The preview at 0.5 is both squares of the map; renamed, it keeps them when the
    threshold moves to 0.55 (the left square only), which makes a new preview."""
    viewer = make_napari_viewer()
    widget = make_dock(viewer)
    viewer.add_image(two_squares_map(), name="p")
    widget.set_probability_layer("p")
    widget.set_threshold(0.5)
    settle_preview(qtbot, widget)
    mine = widget.threshold_layer
    both = np.asarray(mine.data) > 0
    assert both.sum() == 8  # two 2 x 2 squares
    mine.name = "my threshold at 0.5"
    widget.set_threshold(0.55)
    settle_preview(qtbot, widget)
    assert mine.name == "my threshold at 0.5"
    np.testing.assert_array_equal(np.asarray(mine.data) > 0, both)
    new = viewer.layers["p thresholded"]
    assert new is not mine and widget.threshold_layer is new
    assert TAG not in mine.metadata
    left = np.zeros((6, 8), bool)
    left[1:3, 1:3] = True
    np.testing.assert_array_equal(np.asarray(new.data) > 0, left)


def test_result_layer_skips_a_renamed_layer():
    """Any result layer found by its tag: renamed, it is not found, and the next result of
    its source adds a new layer; the renamed one keeps its data."""
    viewer = ViewerModel()
    source = viewer.add_image(np.zeros((2, 2), np.float32), name="p")
    put = {"role": "errors", "source": source, "info": {}, "name": "p errors"}
    first = put_labels(viewer, np.ones((2, 2), np.uint8), **put)
    assert result_layer(viewer, source, "errors") is first
    assert put_labels(viewer, np.full((2, 2), 2, np.uint8), **put) is first  # in place
    first.name = "kept"
    assert result_layer(viewer, source, "errors") is None
    second = put_labels(viewer, np.full((2, 2), 3, np.uint8), **put)
    assert second is not first and second.name == "p errors"
    assert first.data.tolist() == [[2, 2], [2, 2]]
    assert result_layer(viewer, source, "errors") is second
    assert TAG not in first.metadata  # the user's: nothing of ours takes it for a result
