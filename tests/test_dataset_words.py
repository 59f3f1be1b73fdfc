"""The Dataset tab says the refusals of the checks before a run in its own words (its spacing
box, its Class axis), not Python's keywords."""

import numpy as np
import pytest
import tifffile


@pytest.fixture
def dock(make_napari_viewer, monkeypatch):
    from napari_seg_eval import _jobs
    from napari_seg_eval._qt.widget import SegEvalWidget

    said = []
    monkeypatch.setattr(_jobs, "show_error", lambda message: said.append(message))
    viewer = make_napari_viewer()
    return SegEvalWidget(viewer), said


def squares() -> np.ndarray:
    labels = np.zeros((20, 20), np.uint16)
    labels[2:8, 2:8] = 1
    labels[10:16, 10:16] = 2
    return labels


def test_spacing_file_without_any_pixel_size_is_refused_in_the_tabs_words(dock, tmp_path):
    widget, said = dock
    for side in ("t", "p"):
        (tmp_path / side).mkdir()
        tifffile.imwrite(tmp_path / side / "im0.tif", squares())  # no pixel size
    dataset = widget.dataset
    dataset.set_folders(truth=tmp_path / "t", prediction=tmp_path / "p")
    dataset.set_options(boundary=True, spacing="file")
    assert dataset.run(wait=True) is None
    (message,) = said
    assert "its metadata give no pixel size" in message
    assert "'file' in this tab's spacing box reads" in message
    assert "spacing='file'" not in message and "give the spacing instead" not in message
