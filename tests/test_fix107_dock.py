"""fix107, the Dataset tab: a slice pair's missing raw image names the images' prefix (as a
whole frame's does), and a run in which every pair fails says so in a warning notification.

The widget is built directly (not through the plugin's manifest), so that these tests also run
against an older copy of the package."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")


@pytest.fixture
def widget(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    dock = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(dock, name="Segmentation Evaluation")
    return dock


@pytest.fixture
def warned(monkeypatch):
    """The Dataset tab's warning notifications, as text."""
    from napari_seg_eval._qt import dataset_panel

    notices = []
    monkeypatch.setattr(dataset_panel, "show_warning", notices.append, raising=False)
    return notices


def test_a_slice_pairs_missing_image_names_the_images_prefix(widget, tmp_path):
    raw, truth, pred = tmp_path / "01", tmp_path / "01_GT" / "SEG", tmp_path / "01_RES"
    for folder in (raw, truth, pred):
        folder.mkdir(parents=True)
    plane = np.zeros((6, 6), np.uint16)
    plane[1:3, 1:3] = 1
    volume = np.zeros((3, 6, 6), np.uint16)
    volume[2] = plane
    for t in (0, 1):  # frame t annotated on its plane 2; the raw frames are t000, t001
        tifffile.imwrite(truth / f"man_seg_00{t}_002.tif", plane)
        tifffile.imwrite(pred / f"mask00{t}.tif", volume, photometric="minisblack")
        tifffile.imwrite(raw / f"t00{t}.tif", volume, photometric="minisblack")
    dataset = widget.dataset
    dataset.set_preset("ctc")
    dataset.set_folders(truth=truth, prediction=pred, image=raw)
    assert dataset.pairing.names == ["000_002", "001_002"]
    text = dataset.pairs_text.toPlainText()
    assert "no image named 000_002.*" in text
    assert "give 't' as the images' prefix" in text
    # Given, the prefix finds both frames: the note goes.
    dataset.set_prefixes(image="t")
    assert "no image named" not in dataset.pairs_text.toPlainText()


def test_a_run_in_which_every_pair_fails_warns(widget, warned, tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for name in ("a", "b"):
        tifffile.imwrite(truth / f"{name}.tif", np.ones((4, 4), np.uint16))
        np.save(pred / f"{name}.npy", np.array([[1, None]], dtype=object), allow_pickle=True)
    dataset = widget.dataset
    dataset.set_folders(truth=truth, prediction=pred)
    assert dataset.pairing.names == ["a", "b"]
    result = dataset.run(wait=True)
    assert result.n_failed == 2
    (warning,) = warned
    assert warning.startswith("Segmentation Evaluation: every pair failed (2 of 2)")
    assert "not a label image" in warning  # the first failure's own words
