"""The Evaluate tab's prediction chooser never chooses by itself an integer image read as a
probability map (a label image opened as an image, the truth's own file) nor a raw image."""

import numpy as np
import pytest


@pytest.fixture
def dock(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    return viewer, SegEvalWidget(viewer)


def masks() -> np.ndarray:
    labels = np.zeros((20, 20), np.uint16)
    labels[2:8, 2:8] = 1
    labels[10:16, 10:16] = 2
    return labels


def test_label_images_opened_as_images_are_not_taken_as_the_prediction(dock):
    viewer, widget = dock
    viewer.add_image(masks(), name="img1_masks")  # as viewer.open gives a label TIFF
    viewer.add_image(masks(), name="img1_cp_masks")
    viewer.add_labels(masks(), name="img1_masks labels")  # the offered Convert to Labels
    assert widget.evaluate.truth_combo.layer().name == "img1_masks labels"
    assert widget.evaluate.prediction_combo.layer() is None  # chosen by the user, or converted
    viewer.add_labels(masks(), name="img1_cp_masks labels")
    assert widget.evaluate.prediction_combo.layer().name == "img1_cp_masks labels"


def test_a_probability_map_is_still_chosen(dock):
    viewer, widget = dock
    viewer.add_labels(masks(), name="gt")
    prob = np.where(masks() > 0, 0.9, 0.1).astype(np.float32)
    viewer.add_image(prob, name="nuclei probability")
    assert widget.evaluate.prediction_combo.layer().name == "nuclei probability"
