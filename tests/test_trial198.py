"""trial198: the header's preview of a map beside a Labels pair is hidden with the compared
layers when the error layer appears; an axis napari names time is never offered nor advised as
a class axis; the Confidence analysis says which header setting a map of one axis more needs."""

import numpy as np
import pytest

pytest.importorskip("napari")

from napari_seg_eval._qt.evaluate_panel import shape_mismatch
from napari_seg_eval._qt.threshold_panel import class_axis_choices
from widget_helpers import settle_preview


def nuclei() -> np.ndarray:
    labels = np.zeros((64, 64), np.uint16)
    labels[8:20, 8:20] = 1
    labels[30:44, 30:44] = 2
    return labels


def softmax_beside(labels: np.ndarray) -> np.ndarray:
    """Background + 2 classes: channel 0 is 0.8 on the truth's background."""
    prob = np.full((3, *labels.shape), 0.1, np.float32)
    prob[0][labels == 0] = 0.8
    prob[1][labels > 0] = 0.8
    return prob


def test_show_errors_hides_the_header_preview_of_a_map_beside_a_labels_pair(
    make_napari_viewer, qtbot
):
    """A (3, Y, X) softmax beside img_masks and img_cp_masks: its header preview (no class axis
    chosen: a stack of the three channels thresholded, 80 % of plane 0 foreground) covered the
    image around the error colours; it is hidden with the compared layers, not deleted."""
    viewer = make_napari_viewer()
    truth = nuclei()
    viewer.add_labels(truth, name="img_masks")
    viewer.add_labels(truth.copy(), name="img_cp_masks")
    viewer.add_image(softmax_beside(truth), name="img_probs")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    assert widget.probability_combo.layer().name == "img_probs"
    settle_preview(qtbot, widget)
    preview = widget.threshold_layer
    assert preview is not None and preview.visible
    widget.run_evaluation(wait=True)
    with qtbot.waitSignal(widget.review.error_job.finished, timeout=60_000):
        widget.review.show_errors()
    assert viewer.layers["img_masks errors"].visible
    assert preview in viewer.layers and not preview.visible  # hidden, kept


def test_an_axis_named_time_is_not_offered_as_a_class_axis():
    from napari.layers import Image

    movie = Image(np.zeros((3, 300, 260), np.float32), axis_labels=("t", "y", "x"))
    assert [axis for _, axis in class_axis_choices(movie)] == [None]
    stack = Image(np.zeros((3, 300, 260), np.float32), axis_labels=("c", "y", "x"))
    assert [axis for _, axis in class_axis_choices(stack)] == [None, 0]


def test_a_time_axis_is_not_advised_as_the_class_axis():
    said = shape_mismatch("frame", "movie", (40, 50), (3, 40, 50), axis_labels=("t", "y", "x"))
    assert "could be its class axis" not in said and "Channel axis" not in said
    assert "axis 0, which napari names 't': time or depth, not classes" in said
    # unnamed, the same axis is advised as before
    assert "could be its class axis" in shape_mismatch("frame", "movie", (40, 50), (3, 40, 50))


def test_the_confidence_analysis_points_to_the_channel_axis(make_napari_viewer):
    viewer = make_napari_viewer()
    truth = nuclei()
    viewer.add_labels(truth, name="img_masks")
    viewer.add_image(softmax_beside(truth), name="img_probs")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(None))
    failures = []
    widget.confidence._on_failed = failures.append
    widget.confidence.run(wait=True)
    [said] = failures
    assert str(said).startswith("shape mismatch: 'img_probs' is (3, 64, 64), 'img_masks' is")
    assert "choose it as the header's Channel axis" in str(said)


def test_building_the_label_colormap_lookup_needs_no_numba(monkeypatch):
    """napari does not require numba (CI installs none): without it the error job's warm-up
    of napari's label-colormap dictionary does nothing, instead of failing the job."""
    import sys

    from napari_seg_eval._napari.error_colors import build_label_colormap_lookup

    monkeypatch.setitem(sys.modules, "numba", None)  # import numba: ImportError
    build_label_colormap_lookup()  # returns, nothing raised
