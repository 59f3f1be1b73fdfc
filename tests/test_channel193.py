"""channel193: the header takes the class axis of a map with one axis more than the truth (as
Evaluate does, said once, in its words) and offers only axes that can be a class axis;
closing the dock closes Convert logits' read; Evaluate names the map holding NaN; camelCase
tool names ("StarDist", "CellPose") name a prediction."""

import numpy as np
import pytest

pytest.importorskip("napari")
da = pytest.importorskip("dask.array")

from napari.layers import Labels  # noqa: E402

from widget_helpers import settle_preview  # noqa: E402

#: The map's shape: 4 channels (background + 3 classes) of 260 x 300 pixels, both axes longer
#: than any plausible number of classes (256).
MAP_SHAPE = (4, 260, 300)


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    """A dock factory on an empty viewer; what Evaluate says in ``widget.said``, errors in
    ``widget.errors``."""
    from napari_seg_eval import _jobs
    from napari_seg_eval._qt import evaluate_panel, threshold_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    said: list[str] = []
    errors: list[str] = []
    monkeypatch.setattr(evaluate_panel, "show_info", said.append)
    monkeypatch.setattr(threshold_panel, "show_info", lambda message: None)
    monkeypatch.setattr(_jobs, "show_error", errors.append)
    viewer = make_napari_viewer()

    def make() -> SegEvalWidget:
        widget = SegEvalWidget(viewer)
        viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
        widget.said, widget.errors = said, errors
        return widget

    return viewer, make


def class_map() -> np.ndarray:
    """Channel 1 (class 2) is 0.9 in rows 10..19, channel 0 (background) 0.9 elsewhere; the
    other channels share the rest of each pixel's probability."""
    prob = np.full(MAP_SHAPE, 0.05, np.float32)
    prob[0] = 0.85
    prob[0, 10:20] = 0.05
    prob[1, 10:20] = 0.85
    return prob


def as_pyramid(prob: np.ndarray) -> list:
    """Two levels of chunked data: the map and every second pixel of it."""
    return [da.from_array(prob, chunks=(4, 130, 150)), da.from_array(prob[:, ::2, ::2])]


HINT = (
    "Segmentation Evaluation: 'prob' has one axis more than the truth: if axis 0 (4 values) "
    "holds its classes, choose it as the header's Channel axis (the preview and the "
    "Confidence tabs then read one class at a time); it is not chosen for you, as it may be "
    "time or depth."
)


@pytest.mark.parametrize(
    ("multiscale", "map_first", "dock_first"),
    [
        (False, True, False),
        (False, False, True),
        (True, True, False),
        (True, False, False),
    ],
    ids=[
        "numpy, map first",
        "numpy, truth first, dock open",
        "multiscale dask, map first",
        "multiscale dask, truth first",
    ],
)
def test_a_map_with_one_axis_more_beside_a_labels_prediction_is_said_not_chosen(
    dock, qtbot, multiscale, map_first, dock_first
):
    """The trial's slide: a 4-channel map opened without axes beside a (Y, X) truth and a
    Labels prediction. The header's Channel axis said "none" without a word and offered
    "axis 1 (260 classes)". One axis more than the truth may be classes, time or depth: the
    dock says once which axis could hold the classes and how to choose it, and offers only
    axis 0 (no 260 or 300); chosen, the preview is the map's class image (Y, X): class k + 1
    where channel k is the most probable (rows 10..19: channel 1, class 2; else class 1).
    The layers come in either order, before the dock opens (as in the trial) or while it is
    open; a run of the Labels prediction says nothing more and keeps the user's choice."""
    viewer, make = dock
    prob = class_map()
    labels = np.zeros(MAP_SHAPE[1:], np.uint16)
    labels[10:20] = 1

    def add_map():
        viewer.add_image(as_pyramid(prob) if multiscale else prob, name="prob")

    def add_truth():
        viewer.add_labels(labels, name="truth")
        viewer.add_labels(labels.copy(), name="pred")

    widget = make() if dock_first else None  # an open dock follows the layers as they come
    for add in (add_map, add_truth) if map_first else (add_truth, add_map):
        add()
    widget = widget or make()
    assert widget.probability_combo.layer().name == "prob"
    assert widget.evaluate.truth_combo.layer().name == "truth"
    assert widget.evaluate.prediction_combo.layer().name == "pred"
    combo = widget.channel_axis_combo
    assert combo.currentData() is None  # not chosen for the user
    assert [combo.itemData(i) for i in range(combo.count())] == [None, 0]  # no 260 or 300
    assert widget.said == [HINT]
    widget.run_evaluation(wait=True)  # a run of the Labels prediction: said once only
    assert combo.currentData() is None and widget.said == [HINT]
    combo.setCurrentIndex(combo.findData(0))  # the user chooses it
    settle_preview(qtbot, widget)
    preview = widget.threshold_layer
    data = preview.data[0] if preview.multiscale else preview.data
    expected = np.ones(MAP_SHAPE[1:], np.uint8)
    expected[10:20] = 2
    np.testing.assert_array_equal(np.asarray(data), expected)
    assert widget.class_axis_of(viewer.layers["prob"]) == 0  # the Confidence tabs' axis
    widget.run_evaluation(wait=True)
    assert combo.currentData() == 0 and widget.said == [HINT]


@pytest.mark.parametrize("label", ["t", "z"])
@pytest.mark.parametrize("prediction", ["map", "labels"])
def test_an_axis_named_time_or_depth_is_never_taken_for_classes(dock, label, prediction):
    """A (12, Y, X) time-lapse or z-stack map beside one annotated plane: its first axis fits
    the truth's shape, but named t or z it is no class axis, whether the map is the prediction
    or beside a Labels prediction: nothing chosen, nothing said."""
    viewer, make = dock
    labels = np.zeros((64, 80), np.uint16)
    labels[10:20, 10:20] = 1
    viewer.add_labels(labels, name="truth")
    viewer.add_image(
        np.full((12, 64, 80), 0.2, np.float32), name="prob", axis_labels=(label, "y", "x")
    )
    if prediction == "labels":
        viewer.add_labels(labels.copy(), name="stardist_labels")
    widget = make()
    assert widget.evaluate.truth_combo.layer().name == "truth"
    if prediction == "map":
        widget.set_prediction("prob")
    widget.evaluate.choose_class_axis()  # as on Run
    assert widget.channel_axis_combo.currentData() is None
    assert widget.said == []


def test_a_map_of_three_axes_too_long_for_classes_offers_no_class_axis(dock):
    """A (300, 260, 270) map: none of its axes can hold classes, so only "none" is offered."""
    viewer, make = dock
    viewer.add_image(np.zeros((300, 260, 270), np.float32), name="prob")
    widget = make()
    combo = widget.channel_axis_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [None]


def test_closing_the_dock_closes_convert_logits_read(dock, qtbot):
    """Closing the dock while Convert logits reads a chunked map: the read is closed with the
    other jobs, so it delivers nothing (no layer added) and its thread ends."""
    viewer, make = dock
    widget = make()
    values = np.linspace(-4, 5, 512 * 512).reshape(512, 512)
    layer = viewer.add_image(da.from_array(values, chunks=128), name="scores")
    job = widget.display.convert_job
    assert widget.display.convert_logits(layer) is None  # in a worker
    assert job.running
    widget.close_jobs()
    qtbot.waitUntil(lambda: not job.running, timeout=20_000)
    assert [each.name for each in viewer.layers] == ["scores"]
    assert job.closed


def test_evaluate_names_the_map_holding_nan(dock):
    """Evaluate's message for a map holding NaN names the layer, the count and the first
    pixel (C order), as the preview's does."""
    viewer, make = dock
    prob = np.full((6, 8), 0.1, np.float32)
    prob[1:3, 1:3] = 0.9
    prob[0, 3] = prob[4, 0] = np.nan
    truth = np.zeros((6, 8), np.uint8)
    truth[1:3, 1:3] = 1
    viewer.add_labels(truth, name="gt")
    viewer.add_image(prob, name="prob")
    widget = make()
    widget.set_ground_truth("gt")
    widget.set_prediction("prob")
    assert widget.run_evaluation(wait=True) is None
    said = (
        "layer 'prob' holds 2 NaN (not-a-number) values, the first at pixel (0, 3): a map "
        "with NaN is neither probabilities nor logits"
    )
    assert said in widget.errors[-1]
    assert widget.evaluate.status_label.text().startswith(said)


@pytest.mark.parametrize("name", ["StarDistMasks", "CellPoseMasks"])
def test_a_camel_case_tool_name_names_a_prediction(name):
    """ "StarDist" read as "star" and "dist": "StarDistMasks" ranked as a truth as high as
    "masks". A tool's camelCase name now ranks as its snake_case one, below "masks":
    1 - (2 prediction words + 3 mask words)."""
    from napari_seg_eval._napari.layers import truth_rank

    def rank(layer_name: str) -> tuple:
        return truth_rank(Labels(np.zeros((2, 2), int), name=layer_name))

    snake = name.lower().replace("masks", "_masks")
    assert rank(name) == rank(snake) == (True, -4)
    assert rank("masks") == (True, 0)
