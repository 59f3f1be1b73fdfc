"""Review's predicted outlines can be painted on (review105): the record's prediction is
read-only (shared by runs), the outlines layer gets a copy; painting makes the layer the
user's and leaves the record's values."""

import numpy as np

from napari_seg_eval._napari.layers import tag


def test_painting_on_the_prediction_outlines_leaves_the_record(make_napari_viewer):
    truth = np.zeros((10, 10), np.int32)
    pred = np.zeros((10, 10), np.int32)
    truth[1:4, 1:4] = 1
    pred[1:4, 1:4] = 5
    viewer = make_napari_viewer()
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(pred, name="pred")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_ground_truth("truth")
    widget.set_prediction("pred")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    widget.review.outline_check.setChecked(True)
    outlines = viewer.layers["pred outlines"]
    outlines.paint((7, 7), 9)  # raised "assignment destination is read-only" before
    assert outlines.data[7, 7] == 9
    assert tag(outlines).get("edited") is True  # the user's now
    assert widget.evaluation.prediction[7, 7] == 0  # the record compared what it compared
    assert viewer.layers["pred"].data[7, 7] == 0
