"""exclude_border on a time series evaluated frame by frame (label_each_plane): each frame is an
image of its own, so an object is excluded at its frame's edges, never for its frame being the
first or the last of the series (a volume's first and last planes are its border)."""

import dask.array as da
import numpy as np
import pytest

import napari_seg_eval as nse


def frames() -> np.ndarray:
    """Five 12 x 12 frames, each with a 6 x 6 square inside; frame 2 also has an object in
    its corner (at the frame's edge)."""
    labels = np.zeros((5, 12, 12), np.uint8)
    labels[:, 3:9, 3:9] = 1
    labels[2, 0:2, 0:2] = 2
    return labels


@pytest.mark.parametrize("chunked", [False, True])
def test_frames_at_either_end_of_a_series_are_not_border(chunked):
    labels = frames()
    data = da.from_array(labels, chunks=(2, 6, 6)) if chunked else labels
    record = nse.evaluate(
        data, data, plane_axis=0, label_each_plane=True, kind="instance", exclude_border=1
    )
    summary = record.instance.summary
    # Per frame: its square (inside) counts, frame 2's corner object does not: 5 objects.
    assert summary["n_true"] == 5 and summary["n_pred"] == 5
    assert summary["f1_50"] == 1.0
    per_plane = record.planes["instance"].per_image
    assert per_plane["n_true"].tolist() == [1, 1, 1, 1, 1]


def test_a_volume_keeps_its_first_and_last_planes_as_border():
    labels = frames()
    # Without label_each_plane the stack is a volume: the square spans planes 0..4, so it
    # touches the volume's first and last planes, and the corner object its side: none left.
    record = nse.evaluate(labels, labels, plane_axis=0, kind="instance", exclude_border=1)
    assert record.instance.summary["n_true"] == 0
