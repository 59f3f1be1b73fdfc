"""The Dataset tab with the Cell Tracking Challenge's preset: the challenge's names pair by
default (the prefix boxes show ``man_seg`` and ``mask``, the list says so), and a pair whose
truth is a 2-D slice of a 3-D frame (``man_seg_007_001.tif``, plane 1 of ``mask007.tif``)
opens for review with that plane of the prediction and of the raw frame, each read alone, so
that Run in Evaluate gives the row's SEG.

The widget is built directly (not through the plugin's manifest), so that these tests also run
against an older copy of the package."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")

from napari_seg_eval.io.read import FileNotice  # noqa: E402 - after the skips

#: The line of the pairs' list when the preset's names paired the files.
SAID = "Paired as the Cell Tracking Challenge names its files (the ctc preset)"


@pytest.fixture
def widget(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    dock = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(dock, name="Segmentation Evaluation")
    return dock


@pytest.fixture
def said(monkeypatch):
    """The Dataset tab's information notices, as text."""
    from napari_seg_eval._qt import dataset_panel

    notices = []
    monkeypatch.setattr(dataset_panel, "show_info", notices.append)
    return notices


def square(cols: slice, label: int = 1) -> np.ndarray:
    """A 10 x 10 label image with one object ``label`` at rows 1-4 x ``cols``."""
    image = np.zeros((10, 10), np.uint16)
    image[1:5, cols] = label
    return image


#: Truth rows 1-4 x cols 1-4 (16 px); prediction rows 1-4 x cols 2-5 (16 px): 12 shared > 16/2,
#: matched, IoU 12 / (16 + 16 - 12) = 0.6.
TRUTH, PRED = square(slice(1, 5)), square(slice(2, 6), 3)


@pytest.fixture
def frames(tmp_path):
    """01_GT/SEG/man_seg00k.tif and 01_RES/mask00k.tif (k = 0, 1)."""
    truth, pred = tmp_path / "01_GT" / "SEG", tmp_path / "01_RES"
    truth.mkdir(parents=True)
    pred.mkdir()
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg00{k}.tif", TRUTH)
        tifffile.imwrite(pred / f"mask00{k}.tif", PRED)
    return truth, pred


def broken_first_page(path) -> None:
    """Break page 0's compressed data: a reader of the whole volume fails, one of another
    page alone does not."""
    with tifffile.TiffFile(path) as tiff:
        offset = tiff.pages[0].dataoffsets[0]
    data = bytearray(path.read_bytes())
    data[offset : offset + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))


@pytest.fixture
def slices(tmp_path):
    """Frame 7 of a 3-D dataset (4 planes of 10 x 10) annotated on its planes 1 and 2.

    01_RES/mask007.tif: plane 1 holds PRED (the truth's IoU 0.6), plane 2 id 4 on the truth's
    own square (IoU 1), planes 0 and 3 are empty. 01/t007.tif: the raw frame, plane z filled
    with 10 * (z + 1). Both zlib-compressed with page 0 broken: they open only plane by plane.
    """
    raw, truth, pred = tmp_path / "01", tmp_path / "01_GT" / "SEG", tmp_path / "01_RES"
    for folder in (raw, truth, pred):
        folder.mkdir(parents=True)
    volume = np.zeros((4, 10, 10), np.uint16)
    volume[1] = PRED
    volume[2] = square(slice(1, 5), 4)
    frame = np.stack([np.full((10, 10), 10 * (z + 1), np.uint16) for z in range(4)])
    for path, array in ((pred / "mask007.tif", volume), (raw / "t007.tif", frame)):
        tifffile.imwrite(path, array, compression="zlib", photometric="minisblack")
        broken_first_page(path)
    for plane in (1, 2):
        tifffile.imwrite(truth / f"man_seg_007_00{plane}.tif", TRUTH)
    return raw, truth, pred, volume, frame


def test_the_ctc_preset_pairs_the_challenges_names_and_shows_the_prefixes(widget, frames):
    truth, pred = frames
    dataset = widget.dataset
    dataset.set_folders(truth=truth, prediction=pred)
    assert dataset.pairing.names == []  # no preset: the names as they are pair nothing
    dataset.set_preset("ctc")
    # man_seg000 / mask000 and man_seg001 / mask001: 2 pairs, by the challenge's prefixes.
    assert dataset.pairing.names == ["000", "001"]
    assert dataset.prefixes["truth"].text() == "man_seg"
    assert dataset.prefixes["prediction"].text() == "mask"
    text = dataset.pairs_text.toPlainText()
    assert text.startswith(f"2 pair(s) of files.\n{SAID}: by the truth prefix 'man_seg' and ")
    result = dataset.run(wait=True)
    # Each pair: IoU 0.6 (TRUTH / PRED); SEG pooled (0.6 + 0.6) / 2 = 0.6.
    assert result.per_image["seg"].tolist() == pytest.approx([0.6, 0.6])
    assert (result.settings.truth_prefix, result.settings.prediction_prefix) == ("man_seg", "mask")
    # Another preset: the prefixes shown stay as given (the pairs too); the list no longer
    # says the preset paired them.
    dataset.set_preset(None)
    assert dataset.prefixes["truth"].text() == "man_seg"
    assert dataset.pairing.names == ["000", "001"]
    assert SAID not in dataset.pairs_text.toPlainText()


def test_choosing_the_preset_after_a_run_keeps_it(widget, frames):
    truth, pred = frames
    dataset = widget.dataset
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    dataset.run(wait=True)  # no preset
    dataset.set_preset("ctc")  # the pairs found again once the controls are the preset's
    assert dataset.preset_combo.currentData() == "ctc"
    assert dataset.iou_edit.text() == "0.5"
    assert dataset.pairing.names == ["000", "001"]
    assert SAID not in dataset.pairs_text.toPlainText()  # the prefixes were given
    # Emptied, the boxes get the challenge's prefixes back from the preset.
    dataset.set_prefixes(truth="", prediction="")
    assert dataset.pairing.names == ["000", "001"]
    assert dataset.prefixes["prediction"].text() == "mask"
    assert SAID in dataset.pairs_text.toPlainText()


def test_the_presets_prefixes_go_when_they_pair_nothing_and_a_typed_one_stays(
    widget, frames, tmp_path
):
    truth, pred = frames
    dataset = widget.dataset
    dataset.set_preset("ctc")
    dataset.set_folders(truth=truth, prediction=pred)
    assert dataset.pairing.names == ["000", "001"]
    # Folders named alike on both sides: they pair as they are, the preset's prefixes go.
    plain_truth, plain_pred = tmp_path / "gt", tmp_path / "pr"
    for folder in (plain_truth, plain_pred):
        folder.mkdir()
        tifffile.imwrite(folder / "a.tif", TRUTH)
    dataset.set_folders(truth=plain_truth, prediction=plain_pred)
    assert dataset.pairing.names == ["a"]
    assert (dataset.prefixes["truth"].text(), dataset.prefixes["prediction"].text()) == ("", "")
    # A prefix the user gives is never completed by the preset: man_seg alone pairs nothing.
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_prefixes(truth="man_seg", prediction="")
    dataset.set_suffixes(truth="")
    assert dataset.pairing.names == []
    assert dataset.prefixes["prediction"].text() == ""
    assert SAID not in dataset.pairs_text.toPlainText()


def test_a_slice_pair_opens_on_its_plane_and_evaluate_gives_the_rows_seg(widget, slices, said):
    raw, truth, pred, volume, frame = slices
    dataset = widget.dataset
    dataset.set_folders(truth=truth, prediction=pred, image=raw)
    dataset.set_prefixes(truth="man_seg", prediction="mask", image="t")
    dataset.set_preset("ctc")
    assert dataset.pairing.names == ["007_001", "007_002"]
    with pytest.warns(FileNotice, match="DET is not"):  # a slice's DET: not scored
        result = dataset.run(wait=True)
    rows = result.per_image.set_index("name")
    assert (rows["error"] == "").all()
    assert rows.loc["007_001", "seg"] == pytest.approx(0.6)
    assert rows.loc["007_002", "seg"] == pytest.approx(1.0)
    opened = dataset.open_image("007_001", wait=True)
    assert set(opened) == {"image", "truth", "prediction"}
    assert np.array_equal(np.asarray(opened["truth"].data), TRUTH)
    assert np.array_equal(np.asarray(opened["prediction"].data), volume[1])
    assert np.array_equal(np.asarray(opened["image"].data), frame[1])  # all 20
    assert said[-1].startswith(
        "Segmentation Evaluation: opened '007_001'; its truth is a 2-D slice: shown with plane "
        "1 of mask007.tif and of t007.tif (Evaluate's DET is of this plane alone; the row's is "
        "NaN). Evaluate set"
    )
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("ctc", "seg")] == pytest.approx(rows.loc["007_001", "seg"])  # 0.6
    # The other slice: plane 2, the truth's own square: SEG 1.
    opened = dataset.open_image("007_002", wait=True)
    assert np.array_equal(np.asarray(opened["prediction"].data), volume[2])
    tables = widget.run_evaluation(wait=True)
    summary = tables["summary"].set_index(["evaluation", "metric"])["value"]
    assert summary[("ctc", "seg")] == pytest.approx(1.0)
