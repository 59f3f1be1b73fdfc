"""Layer choosers (magicgui ComboBox over the viewer's layers) and the dock's layer defaults."""

import numpy as np
import pytest
from magicgui.widgets import ComboBox

pytest.importorskip("napari")

from napari.layers import Image, Labels
from qtpy.QtCore import Qt

from napari_seg_eval._napari.layers import (
    open_pair,
    prediction_rank,
    probability_rank,
    truth_rank,
)
from napari_seg_eval._qt.layer_combo import NO_PROBABILITY, LayerComboBox


def names(combo):
    return [combo.itemText(i) for i in range(combo.count())]


@pytest.fixture
def viewer(make_napari_viewer):
    return make_napari_viewer()


def test_choices_follow_layers_added_removed_renamed_and_moved(qtbot, viewer):
    combo = LayerComboBox(viewer, (Labels,))
    qtbot.addWidget(combo)
    assert isinstance(combo._combo, ComboBox)  # magicgui's widget holds the choices
    assert names(combo) == [] and combo.layer() is None
    a = viewer.add_labels(np.zeros((4, 4), np.uint8), name="a")
    viewer.add_image(np.zeros((4, 4), np.float32), name="image")  # not a Labels layer
    b = viewer.add_labels(np.zeros((4, 4), np.uint8), name="b")
    assert names(combo) == ["a", "b"] and combo.layer() is a
    combo.set_layer("b")
    seen = []
    combo.currentIndexChanged.connect(seen.append)
    b.name = "renamed"  # the chosen layer is renamed: still chosen, nothing announced
    assert names(combo) == ["a", "renamed"] and combo.layer() is b and seen == []
    viewer.layers.move(viewer.layers.index(b), 0)
    assert names(combo) == ["renamed", "a"] and combo.layer() is b and seen == []
    viewer.layers.remove(a)
    assert names(combo) == ["renamed"] and seen == []
    viewer.layers.remove(b)  # the chosen layer goes: the change is announced once
    assert names(combo) == [] and combo.layer() is None and len(seen) == 1
    with pytest.raises(ValueError, match="no Labels layer 'b'"):
        combo.set_layer("b")


def test_probability_combo_prefers_a_float_map_in_0_1(viewer, qtbot):
    raw = viewer.add_image(np.arange(16, dtype=np.uint16).reshape(4, 4), name="raw")
    scaled = viewer.add_image(np.full((4, 4), 3.5, np.float32), name="float out of range")
    prob = viewer.add_image(np.full((4, 4), 0.25, np.float32), name="output")
    combo = LayerComboBox(viewer, (Image,))
    qtbot.addWidget(combo)
    assert combo.layer() is prob  # the only float image in [0, 1]
    viewer.layers.remove(prob)
    # nothing looks like probabilities: none is chosen (not the raw image), and it says so
    assert combo.layer() is None and combo.currentIndex() == -1
    assert names(combo) == ["raw", "float out of range"] and scaled in viewer.layers
    assert combo._combo.native.placeholderText() == NO_PROBABILITY
    combo.set_layer("raw")  # the user can still choose any image
    assert combo.layer() is raw and combo.layer_is_wanted()


def test_the_header_never_takes_raw_microscopy_as_the_probability_layer(viewer):
    """Regression: with a uint16 image "raw" and labels, the header chose "raw" (its
    threshold preview was all zero)."""
    viewer.add_image(np.arange(16, dtype=np.uint16).reshape(4, 4) * 1000, name="raw")
    viewer.add_labels(np.eye(4, dtype=np.uint8), name="truth")
    widget = _dock(viewer)
    assert widget.probability_combo.layer() is None
    assert not widget.live_check.isEnabled()  # the tab asks for a probability layer
    assert not widget.probability_combo.layer_is_wanted()
    # a uint8 map named as one, then a float map in [0, 1] named as one, outrank it in turn
    byte = viewer.add_image(np.full((4, 4), 200, np.uint8), name="cells prob")
    assert widget.probability_combo.layer() is byte
    prob = viewer.add_image(np.full((4, 4), 0.75, np.float32), name="cells probability")
    assert widget.probability_combo.layer() is prob


@pytest.mark.parametrize(
    ("dtype", "values", "name", "expected"),
    [
        (np.float32, (0.0, 1.0), "nuclei probability", (True, False, True)),
        (np.float64, (0.2, 0.3), "softmax", (True, False, True)),
        (np.uint8, (0, 255), "nuclei prob", (False, True, False)),
        (np.float32, (0.0, 1.0), "nuclei", (False, False, True)),  # a normalised raw image
        (np.uint16, (0, 65535), "nuclei prob", (False, True, False)),  # read as value / 65535
        (np.uint16, (0, 3), "cells pred", (False, False, False)),  # "pred": most likely ids
        (np.uint8, (0, 255), "pred", (False, False, False)),
        (np.uint32, (0, 255), "nuclei prob", (False, False, False)),
        (np.uint8, (0, 255), "nuclei", (False, False, False)),
        (np.float32, (0.0, 1.5), "nuclei probability", (False, False, False)),  # not in [0, 1]
        (np.int32, (0, 1), "pred", (False, False, False)),
    ],
)
def test_probability_rank(dtype, values, name, expected):
    layer = Image(np.array([values], dtype), name=name)
    assert probability_rank(layer) == expected


@pytest.mark.parametrize(
    ("name", "map_name", "integer_map_name"),
    [
        # map names: for a float image in [0, 1] and for a uint8/uint16 image alike
        ("probmap", True, True),
        ("ProbMap", True, True),
        ("nuclei_probmap", True, True),
        ("prob_map", True, True),
        ("nucleiProb", True, True),  # camelCase: "Prob" is a word
        ("SoftMax", True, True),  # the whole run of letters is a word too
        ("cells_sigmoid", True, True),
        ("cellprob", True, True),  # Cellpose's cell probability
        ("Probabilities_stage_1", True, True),  # ilastik's export
        # a prediction: a float map, but an integer image so named is most likely labels
        ("predictions", True, False),
        ("preds", True, False),
        ("cells pred", True, False),
        ("nucleiPreds", True, False),
        # not map names: logits are not probabilities; a probe is a channel; the rest only
        # begin with the letters of one
        ("logits", False, False),
        ("probe", False, False),
        ("problem", False, False),
        ("PROBLEM", False, False),
        ("preprocessed", False, False),
        ("heatmap", False, False),
    ],
)
def test_which_names_say_probability_map(name, map_name, integer_map_name):
    """Regression (review 11): probmap, ProbMap, predictions, preds... ranked with any
    normalised raw image; an integer image named "preds" stays labels, as "pred" does."""
    as_float = Image(np.array([[0.0, 1.0]], np.float32), name=name)
    assert probability_rank(as_float) == (map_name, False, True)
    for dtype in (np.uint8, np.uint16):
        as_integer = Image(np.array([[0, np.iinfo(dtype).max]], dtype), name=name)
        assert probability_rank(as_integer) == (False, integer_map_name, False)


@pytest.mark.parametrize("name", ["raw", "image", "DAPI", "nuclei_img", "rawImage"])
def test_a_normalised_microscopy_image_is_not_a_probability_map(name):
    """Regression (review 12): a float image in [0, 1] named "raw" or "image" became the
    header's probability layer, and COCO scored the objects by their raw intensity."""
    raw = Image(np.array([[0.0, 1.0]], np.float32), name=name)
    assert probability_rank(raw) == (False, False, False)
    named = Image(np.array([[0.0, 1.0]], np.float32), name=f"{name} probability")
    assert probability_rank(named) == (True, False, True)  # a map's word wins


def test_camel_case_names_of_truth_and_prediction():
    """A camelCase name's words count: "StarDistMasks" names a prediction, by a tool's name
    (as "stardist_masks": 1 - (2 words + 3 mask words)); in "cellposeMasksGT" the truth's
    word wins."""
    labels = np.zeros((2, 2), int)
    assert truth_rank(Labels(labels, name="StarDistMasks")) == (True, -4)
    assert truth_rank(Labels(labels, name="cellposeMasksGT")) == (True, True)
    assert prediction_rank(Labels(labels, name="nucleiMasks"), None) == (True, True, (False,) * 3)


def test_one_ranking_for_the_header_and_the_prediction(viewer):
    """Regression: the header's probability layer and the Evaluate tab's prediction were
    ranked by two rules that disagreed on 16-bit images: the header never took a uint16 map
    named as one, the prediction took a uint16 label image named "pred" for a map."""
    viewer.add_labels(np.eye(4, dtype=np.uint8), name="gt")
    viewer.add_image(np.arange(16, dtype=np.uint16).reshape(4, 4) % 4, name="cells pred")
    word = viewer.add_image(np.full((4, 4), 60000, np.uint16), name="cells probability")
    widget = _dock(viewer)
    assert widget.probability_combo.layer() is word
    assert widget.evaluate.prediction_combo.layer() is word


def test_a_float_map_outranks_an_8_bit_map_for_both(viewer):
    """Regression: the prediction chooser ranked a uint8 map named as one level with a float
    map in [0, 1] so named, and took the first; the header took the float map."""
    viewer.add_labels(np.eye(4, dtype=np.uint8), name="gt")
    viewer.add_image(np.full((4, 4), 200, np.uint8), name="cells prob")
    prob = viewer.add_image(np.full((4, 4), 0.75, np.float32), name="cells probability")
    widget = _dock(viewer)
    assert widget.probability_combo.layer() is prob
    assert widget.evaluate.prediction_combo.layer() is prob


def test_the_image_of_a_dataset_pair_is_no_probability_map():
    """Regression: the prediction chooser ranked a pair's image (float in [0, 1]) as a map."""
    from napari.components import ViewerModel

    viewer = ViewerModel()
    image = np.full((2, 2), 0.5, np.float32)
    layers = open_pair(viewer, "img1", {"image": image, "truth": np.ones((2, 2), int)})
    assert probability_rank(layers["image"]) == (False, False, False)
    assert prediction_rank(layers["image"], layers["truth"]) == (False, False, (False,) * 3)


def test_the_rank_reads_no_lazy_array():
    da = pytest.importorskip("dask.array")
    reads = []

    def block(x):
        reads.append(x.shape)
        return x

    lazy = da.zeros((64, 64), np.float32, chunks=32).map_blocks(block, dtype=np.float32)
    layer = Image(lazy, name="prob", contrast_limits=(0, 1))
    reads.clear()  # napari may look at the data when the layer is made; the rank must not
    assert probability_rank(layer) == (True, False, True)
    assert reads == []


def test_a_probability_map_added_later_is_chosen_until_the_user_chooses(viewer, qtbot):
    # The sample's image is float in [0, 1] too, but named as microscopy: never chosen alone
    # (its intensities would be taken for probabilities); the map's name wins.
    image = viewer.add_image(np.full((4, 4), 0.5, np.float32), name="nuclei image")
    combo = LayerComboBox(viewer, (Image,))
    qtbot.addWidget(combo)
    assert combo.layer() is None
    prob = viewer.add_image(np.full((4, 4), 0.5, np.float32), name="nuclei probability")
    assert combo.layer() is prob
    combo.set_layer(image)  # the user's choice stays
    viewer.add_image(np.full((4, 4), 0.5, np.float32), name="other probability")
    assert combo.layer() is image


def test_the_dock_defaults_to_the_probability_map(make_napari_viewer):
    import napari_seg_eval as nse

    data = nse.make_sample_data()
    viewer = make_napari_viewer()
    viewer.add_image(data["image"], name="nuclei image")  # float32 in [0, 1] as well
    viewer.add_image(data["probability"], name="nuclei probability")
    viewer.add_labels(data["ground_truth"], name="nuclei ground truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    assert widget.probability_combo.layer() is viewer.layers["nuclei probability"]


def test_no_labels_says_how_and_converts_an_integer_image(viewer, qtbot):
    ids = np.array([[0, 1, 1], [0, 0, 2]], np.uint16)
    combo = LayerComboBox(viewer, (Labels,))
    qtbot.addWidget(combo)
    combo.show()
    assert combo.hint_label.isVisible() and "Labels" in combo.hint_label.text()
    assert not combo.convert_button.isVisible()  # nothing to convert yet
    viewer.add_image(np.zeros((2, 3), np.float32), name="float")  # not ids
    image = viewer.add_image(ids, name="ids", scale=(2, 3), translate=(1, 1))
    assert combo.convert_button.isVisible()
    assert [combo.image_combo.itemText(i) for i in range(combo.image_combo.count())] == ["ids"]
    qtbot.mouseClick(combo.convert_button, Qt.MouseButton.LeftButton)
    labels = viewer.layers["ids labels"]
    assert isinstance(labels, Labels) and combo.layer() is labels
    np.testing.assert_array_equal(labels.data, ids)
    assert tuple(labels.scale) == (2, 3) and tuple(labels.translate) == (1, 1)
    labels.paint((0, 0), 7)  # painting the labels leaves the user's image as it was
    np.testing.assert_array_equal(image.data, ids)
    assert not combo.hint_label.isVisible() and not combo.convert_button.isVisible()


def test_the_dock_offers_conversion_for_the_ground_truth(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((8, 8), np.float32), name="prob")
    viewer.add_image(np.eye(8, dtype=np.int32), name="truth ids")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    truth_combo = widget.evaluate.truth_combo
    assert not truth_combo.hint_label.isHidden() and not truth_combo.convert_button.isHidden()
    truth_combo.convert_image("truth ids")
    assert widget.evaluate.truth_combo.layer() is viewer.layers["truth ids labels"]
    assert widget.evaluate.prediction_combo.layer() is not None


# A new user's layers, added in the order they usually are: the defaults must be right ----------
def _dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return widget


def test_the_prediction_is_the_probability_map_not_the_raw_image(viewer, sample):
    viewer.add_image(sample["image"], name="nuclei")  # float, in [0, 1] like a probability
    viewer.add_image(sample["probability"], name="nuclei probability")
    viewer.add_labels(sample["ground_truth"], name="gt")
    widget = _dock(viewer)
    assert widget.evaluate.truth_combo.layer().name == "gt"
    assert widget.evaluate.prediction_combo.layer().name == "nuclei probability"


def test_a_predicted_labels_layer_is_the_prediction_and_the_truth_is_the_truth(viewer, sample):
    viewer.add_image(sample["image"], name="nuclei")
    viewer.add_labels(sample["ground_truth"] > 0, name="cellpose masks")  # added first
    viewer.add_labels(sample["ground_truth"], name="gt")
    widget = _dock(viewer)
    assert widget.evaluate.truth_combo.layer().name == "gt"
    assert widget.evaluate.prediction_combo.layer().name == "cellpose masks"


def test_a_uint8_map_named_as_one_is_the_probability_layer(viewer, sample):
    viewer.add_image(sample["image"], name="nuclei")
    viewer.add_image((sample["probability"] * 255).astype(np.uint8), name="nuclei probability")
    widget = _dock(viewer)
    assert widget.probability_combo.layer().name == "nuclei probability"


def test_a_time_series_is_scored_frame_by_frame_by_default(viewer, sample):
    import napari_seg_eval as nse

    truth = np.stack([sample["ground_truth"]] * 3)
    pred = np.stack([nse.label_instances(sample["probability"] > 0.5)] * 3)
    viewer.add_labels(truth, name="gt", axis_labels=("t", "y", "x"))
    viewer.add_labels(pred, name="masks", axis_labels=("t", "y", "x"))
    widget = _dock(viewer)
    assert widget.evaluate.plane_axis_combo.currentData() == 0
    assert widget.evaluate.each_plane_check.isChecked()
    tables = widget.run_evaluation(wait=True)
    # three identical frames: the frame's own objects three times, not 3-D objects through time
    frame = nse.instance_metrics(sample["ground_truth"], pred[0])
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("instance", "n_true")] == 3 * frame.summary["n_true"]


@pytest.mark.parametrize(
    "name", ["napari_seg_eval._napari.layers", "napari_seg_eval._qt.evaluate_panel"]
)
def test_the_examples_of_the_layer_helpers_run(name):
    """tests/test_docstrings.py leaves out the napari and Qt modules: these run here."""
    import doctest
    import importlib

    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
