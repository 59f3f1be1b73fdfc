"""Float data outside [0, 1] that is not logits: a label image saved as floats, a 0..255 map.

A new user's trial (trial26, findings 3 and 4): a float32 label image (ids 0..17) chosen as
the dock's Prediction, and a float map in [12.75, 255], were both called "logits or scores",
and the dock pointed to "Convert logits to probabilities": a sigmoid, then p > 0.5, joins
touching objects of the label image, and a 0..255 map needs dividing by 255, not a sigmoid.
Now whole numbers (none negative) are named a label image saved as floats, and a map of
non-negative values up to 255 (65535) an 8-bit (16-bit) map saved as floats; negative values
are logits as before. Every number below is worked out by hand.
"""

import numpy as np
import pytest

from napari_seg_eval import threshold_probabilities
from napari_seg_eval.core._validate import LogitsError, check_probability_range

#: A label image: 5 objects, 1 and 2 touching (a sigmoid and p > 0.5 would join them).
LABELS = np.array(
    [
        [1, 1, 2, 2, 0, 3],
        [1, 1, 2, 2, 0, 3],
        [0, 0, 0, 0, 0, 0],
        [4, 4, 0, 5, 5, 5],
    ]
)
#: A 0..255 map saved as floats (not all whole numbers: 12.75). Divided by 255 it is
#: [[0.05, 1, 0.5], [0.785.., 0.00196.., 0.55]]: above 0.5 (strictly) are 255 / 255 = 1,
#: 200.25 / 255 = 0.785 and 140.25 / 255 = 0.55; 127.5 / 255 is exactly 0.5, not above.
MAP_255 = np.array([[12.75, 255.0, 127.5], [200.25, 0.5, 140.25]], np.float32)
FOREGROUND_255 = 3

LOGITS_WORDS = "These look like logits or scores"


def raised(prob) -> LogitsError:
    with pytest.raises(LogitsError) as info:
        threshold_probabilities(prob, 0.5)
    return info.value


# -- the Python API ------------------------------------------------------------------------


def test_a_label_image_saved_as_floats_is_named_so_not_logits():
    error = raised(LABELS.astype(np.float32))
    said = str(error)
    assert error.kind == "labels" and isinstance(error, ValueError)
    # ids 0..5: the range [0, 5]
    assert said.startswith("probabilities must lie in [0, 1], found values in [0, 5].")
    assert "Every value is a whole number" in said
    assert "a label image saved as floats" in said and "data.astype(int)" in said
    assert LOGITS_WORDS not in said and "sigmoid" not in said
    assert "8-bit" not in said  # the maximum 5 is no full scale


def test_a_lazy_label_image_is_judged_block_by_block_in_the_same_read():
    da = pytest.importorskip("dask.array")
    lazy = da.from_array(LABELS.astype(np.float32), chunks=(2, 3))
    with pytest.raises(LogitsError) as info:
        threshold_probabilities(lazy, 0.5).compute()
    # some block goes beyond 1 (e.g. rows 0-1, columns 3-5: ids 2 and 3, [0, 3]); every
    # block's values are whole numbers, seen in the block the range check already holds
    assert info.value.kind == "labels" and info.value.sure
    said = str(info.value)
    assert "in a block of them" in said and "found values in [" not in said  # not the map's
    assert "Every value of that block is a whole number" in said


def test_a_map_of_0_to_255_saved_as_floats_is_to_be_divided_by_255():
    error = raised(MAP_255)
    said = str(error)
    assert (error.kind, error.scale, error.sure) == ("scaled", 255, True)
    # min 0.5, max 255 (> 255 / 2 = 127.5: "look like", not "may be")
    assert said.startswith("probabilities must lie in [0, 1], found values in [0.5, 255].")
    assert "These look like an 8-bit map (0..255) saved as floats, not logits" in said
    assert "divide it by 255 (prob / 255)." in said
    assert "sigmoid" not in said
    # the advice works: 3 pixels above 0.5 (see MAP_255)
    assert int(threshold_probabilities(MAP_255 / 255, 0.5).sum()) == FOREGROUND_255


def test_whole_ends_with_a_fraction_inside_are_not_a_label_image():
    # min 0 and max 17 are whole, 2.5 is not: no label image; max 17 <= 127.5 (half of 255):
    # only "may be" an 8-bit map, or logits or scores
    error = raised(np.array([[0.0, 2.5, 17.0]]))
    said = str(error)
    assert (error.kind, error.scale, error.sure) == ("scaled", 255, False)
    assert "may be an 8-bit map (0..255) saved as floats: divide it by 255" in said
    assert "if they are logits or scores, convert them with napari_seg_eval.sigmoid" in said
    assert "label image" not in said


def test_whole_numbers_up_to_255_may_also_be_an_8_bit_map():
    # 0, 128 and 255: whole numbers, so a label image first; the maximum is 255, the full
    # scale of an 8-bit map, so that is said too
    said = str(raised(np.array([[0.0, 128.0, 255.0]], np.float32)))
    assert "looks like a label image saved as floats" in said
    assert "; if it is an 8-bit map (0..255) saved as floats, divide it by 255" in said


@pytest.mark.parametrize(
    ("values", "kind", "scale", "sure", "words"),
    [
        # max 40000.5 in (255, 65535] and above 65535 / 2 = 32767.5: a 16-bit map
        ([0.5, 40000.5], "scaled", 65535, True, "These look like a 16-bit map (0..65535)"),
        # max 1000.5 is below 32767.5: it may be one
        ([0.5, 1000.5], "scaled", 65535, False, "These may be a 16-bit map (0..65535)"),
        # above 65535, not whole: logits or scores
        ([0.5, 70000.5], "logits", 0, True, LOGITS_WORDS),
        # a negative value: logits or scores, whatever else (whole numbers too)
        ([-2.0, 3.0], "logits", 0, True, LOGITS_WORDS),
        ([-1.0, 0.0, 7.0], "logits", 0, True, LOGITS_WORDS),
    ],
)
def test_the_kind_follows_the_range(values, kind, scale, sure, words):
    error = raised(np.array([values]))
    assert (error.kind, error.scale, error.sure) == (kind, scale, sure)
    assert words in str(error)


def test_without_the_values_whole_ends_only_may_be_a_label_image():
    # a caller that has only the minimum and maximum (nothing is read again)
    with pytest.raises(LogitsError) as info:
        check_probability_range(0.0, 17.0)
    said = str(info.value)
    assert (info.value.kind, info.value.sure) == ("labels", False)
    assert "The smallest and largest values are whole numbers: this may be a label image" in said


# -- the dock -------------------------------------------------------------------------------

DOCK = ("napari-seg-eval", "Segmentation Evaluation")


@pytest.fixture
def viewer_and_dock(make_napari_viewer):
    pytest.importorskip("napari")
    viewer = make_napari_viewer()
    viewer.add_labels(LABELS, name="truth")
    _, widget = viewer.window.add_plugin_dock_widget(*DOCK)
    return viewer, widget


@pytest.mark.filterwarnings("ignore:projection mode:UserWarning")  # napari's conversion
def test_the_dock_says_convert_to_labels_for_a_float_label_image(viewer_and_dock, errors):
    from napari.layers import Labels
    from napari.layers._layer_actions import _convert_to_labels

    viewer, widget = viewer_and_dock
    floats = viewer.add_image(LABELS.astype(np.float32), name="model floats")
    widget.set_ground_truth("truth")
    widget.set_prediction("model floats")
    assert widget.run_evaluation(wait=True) is None
    assert len(errors) == 1, errors
    said = errors[0]
    assert "found values in [0, 5]" in said
    assert "Every value is a whole number: this looks like a label image saved as floats" in said
    assert 'choose "Convert to Labels"' in said and "as the Prediction" in said
    assert "Convert logits to probabilities" not in said and "astype" not in said
    np.testing.assert_array_equal(floats.data, LABELS.astype(np.float32))  # untouched
    # following it: napari's "Convert to Labels" adds a Labels layer of the values as ints
    viewer.layers.selection.active = floats
    _convert_to_labels(viewer.layers)
    (converted,) = [layer for layer in viewer.layers if isinstance(layer, Labels)][1:]
    widget.set_prediction(converted.name)
    tables = widget.run_evaluation(wait=True)
    assert tables is not None, widget.evaluate.status_label.text()
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    # the prediction is the truth: its 5 objects, each matched (IoU 1): F1 at 0.5 is 1
    assert summary[("instance", "n_pred")] == 5
    assert summary[("instance", "f1_50")] == 1.0


def test_the_dock_says_divide_by_255_for_a_float_0_to_255_map(viewer_and_dock, qtbot, errors):
    viewer, widget = viewer_and_dock
    viewer.layers.remove("truth")  # only the map's shape matters here
    floats = viewer.add_image(MAP_255.copy(), name="map 255")
    widget.set_probability_layer("map 255")
    assert widget.update_threshold_layer(wait=True) is None
    assert errors, "no notification"
    said = errors[-1]
    assert "found values in [0.5, 255]" in said
    assert "These look like an 8-bit map (0..255) saved as floats, not logits" in said
    assert "viewer.add_image(viewer.layers.selection.active.data / 255)" in said
    assert "Convert logits to probabilities" not in said and "prob / 255" not in said
    # following it, as typed in napari's console
    viewer.layers.selection.active = floats
    divided = viewer.add_image(viewer.layers.selection.active.data / 255)
    widget.set_probability_layer(divided.name)
    preview = widget.update_threshold_layer(wait=True)
    assert preview is not None
    assert int(np.count_nonzero(preview.data)) == FOREGROUND_255
