"""io197: the Dataset tab pairs the files again before it reads its settings at Run, so that
prefix boxes the pairing clears (a preset's prefixes no longer pairing the most files) are
not recorded as the run's, which evaluate_files would refuse."""

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")


@pytest.fixture
def dataset(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return widget.dataset


def test_run_pairs_the_files_before_reading_the_prefixes(dataset, tmp_path, monkeypatch):
    """ctc preset: man_seg00k.tif and mask00k.tif (k = 0, 1) pair by the challenge's prefixes,
    shown in the boxes. Files x0..x2.tif written on both sides before Run: their plain names
    pair more (3 > 2), so Run's pairing drops the prefixes; the run is made with none (every
    x pair identical: F1 at IoU 0.5 = 1), not refused for the stale boxes."""
    from napari_seg_eval import _jobs

    errors = []
    monkeypatch.setattr(_jobs, "show_error", errors.append)
    truth, pred = tmp_path / "gt", tmp_path / "res"
    truth.mkdir()
    pred.mkdir()
    labels = np.zeros((20, 20), np.uint16)
    labels[2:8, 2:8] = 1
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg{k:03d}.tif", labels)
        tifffile.imwrite(pred / f"mask{k:03d}.tif", labels)
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(preset="ctc")
    assert dataset.find_pairs().names == ["000", "001"]
    assert (dataset.prefixes["truth"].text(), dataset.prefixes["prediction"].text()) == (
        "man_seg",
        "mask",
    )
    for k in range(3):
        tifffile.imwrite(truth / f"x{k}.tif", labels)
        tifffile.imwrite(pred / f"x{k}.tif", labels)
    result = dataset.run(wait=True)
    assert errors == []
    assert result is not None
    assert result.per_image["name"].tolist() == ["x0", "x1", "x2"]
    assert result.per_image["f1_50"].tolist() == [1.0, 1.0, 1.0]
    assert (result.settings.truth_prefix, result.settings.prediction_prefix) == ("", "")
    assert dataset.prefixes["truth"].text() == ""
