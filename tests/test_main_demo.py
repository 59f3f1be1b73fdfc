"""``napari-seg-eval demo``: what a new user sees first."""

import numpy as np
import pytest

pytest.importorskip("napari")

from napari_seg_eval.__main__ import open_demo


def test_demo_opens_fitted_with_truth_hidden_and_the_preview(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(show=True)
    widget = open_demo(viewer)
    qtbot.wait(10)  # the deferred fit runs
    truth = viewer.layers["nuclei ground truth"]
    assert not truth.visible  # the confidence colours show
    assert widget.threshold_layer is viewer.layers["nuclei probability thresholded"]
    assert widget.threshold_layer.visible
    # The whole 256 x 256 image is in view: the canvas, in world units, holds it, and the
    # camera looks at its centre.
    height, width = viewer.canvas.size
    assert min(height, width) > 50  # a real canvas, beside the dock
    extent = np.array([height, width]) / viewer.scene.camera.zoom
    assert (extent >= 256 - 1e-6).all()
    np.testing.assert_allclose(viewer.scene.camera.center[-2:], (127.5, 127.5), atol=1)
    assert widget.probability_combo.layer() is viewer.layers["nuclei probability"]
