"""trial71: an object metric's Confidence analysis labels the map with the Threshold tab's
connectivity, minimum size and split; changing them left the analysis shown as current, and
"Use best threshold" moved the slider to the best threshold of other objects."""

import numpy as np
import pytest

from napari_seg_eval._qt.confidence_panel import OBJECT_METRICS
from napari_seg_eval._qt.widget import SegEvalWidget

TRUTH = np.zeros((12, 12), np.uint8)
TRUTH[1:5, 1:5] = 1
TRUTH[5:9, 5:9] = 2  # touches object 1 at one corner
PROB = np.where(TRUTH > 0, 0.9, 0.1).astype(np.float32)


@pytest.fixture
def dock(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(PROB, name="prob")
    viewer.add_labels(TRUTH, name="truth")
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    widget.set_probability_layer("prob")
    widget.confidence.truth_combo.set_layer("truth")
    widget.confidence.metric_combo.setCurrentText(next(iter(OBJECT_METRICS)))
    return widget


def test_the_threshold_tabs_labelling_makes_an_object_analysis_out_of_date(dock):
    widget = dock
    confidence = widget.confidence
    confidence.run(wait=True)
    assert confidence.stale == "" and confidence.best_button.isEnabled()
    widget.split_depth_spin.setValue(3.0)  # no split: the depth labels nothing differently
    assert confidence.stale == ""
    widget.split_check.setChecked(True)
    assert confidence.stale == (
        "the Threshold tab's split touching objects is on, the objects analysed were labelled "
        "with off"
    )
    assert not confidence.stale_label.isHidden() and not confidence.best_button.isEnabled()
    widget.split_check.setChecked(False)
    assert confidence.stale == "" and confidence.best_button.isEnabled()
    widget.connectivity_spin.setValue(2)
    assert confidence.stale == (
        "the Threshold tab's connectivity is 2, the objects analysed were labelled with 1"
    )
    confidence.run(wait=True)  # analysed again with connectivity 2: current
    assert confidence.stale == ""


def test_a_pixel_analysis_does_not_depend_on_the_labelling(dock):
    widget = dock
    confidence = widget.confidence
    confidence.metric_combo.setCurrentText("iou")
    confidence.run(wait=True)
    widget.split_check.setChecked(True)
    widget.min_size_spin.setValue(5)
    assert confidence.stale == ""
