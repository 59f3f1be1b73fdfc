"""A zarr group given where an image goes is named as such (trial27: an OME-Zarr opened with
``zarr.open`` was called "an integer label image, got dtype <U1")."""

import numpy as np
import pytest

import napari_seg_eval as nse
from napari_seg_eval.io import read_labels

zarr = pytest.importorskip("zarr")


@pytest.fixture
def group(tmp_path):
    root = zarr.open_group(tmp_path / "slide.zarr", mode="w")
    level0 = root.create_array("0", shape=(4, 4), dtype="uint16")
    level0[:] = np.eye(4, dtype="uint16")
    root.create_array("1", shape=(2, 2), dtype="uint16")
    axes = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    datasets = [
        {"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": [s, s]}]}
        for level, s in ((0, 1.0), (1, 2.0))
    ]
    root.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": datasets}]
    return root


def test_a_group_as_labels_names_its_arrays(group):
    with pytest.raises(TypeError) as raised:
        nse.instance_metrics(group, np.zeros((4, 4), int))
    assert str(raised.value) == (
        "ground truth is a zarr group, not an array (its arrays: '0', '1'): pass one of its "
        "arrays, e.g. group['0'] (an OME-Zarr's full resolution is '0'), or read an OME-Zarr's "
        "path with napari_seg_eval.io.read_labels(path), which finds its full resolution."
    )


def test_a_group_as_probabilities_points_to_its_reader(group):
    with pytest.raises(TypeError, match=r"read_probabilities\(path\)"):
        nse.threshold_probabilities(group, 0.5)


def test_its_array_is_taken(group):
    # the diagonal's 4 pixels (id 1) against themselves: one object, IoU 1, F1 1
    result = nse.instance_metrics(group["0"], group["0"])
    assert result.summary["f1_50"] == 1.0
    # an OME-Zarr's path: its full resolution, the 4 x 4 level '0'
    np.testing.assert_array_equal(np.asarray(read_labels(group.store.root)), np.eye(4))
