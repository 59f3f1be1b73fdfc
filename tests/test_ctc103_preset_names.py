"""The ctc preset pairs the Cell Tracking Challenge's own file names (``01_GT/SEG/man_seg000.tif``
with ``01_RES/mask000.tif``, and the slices ``man_seg_007_001.tif`` with plane 1 of
``mask007.tif``) when no prefix nor suffix is given and those names pair more files than the
names as they are; the pairs' listing says so. Never when a prefix or a suffix is given, never
without the preset. A run so paired records the prefixes (settings.json makes it again), and
``spacing="file"`` works on slices (the prediction's plane axis is left out of its size)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import tifffile

from napari_seg_eval.io import FileReadError, evaluate_files, pair_files
from napari_seg_eval.io.pairs import OneFolderError

#: The line of the pairs' listing when the preset's names paired the files.
SAID = "Paired as the Cell Tracking Challenge names its files (the ctc preset)"


def square(rows: slice, cols: slice, label: int = 1) -> np.ndarray:
    image = np.zeros((10, 10), np.uint16)
    image[rows, cols] = label
    return image


#: Truth: rows 1-4 x cols 1-4 (16 px). Prediction: rows 1-4 x cols 2-5 (16 px), id 3.
#: Shared 4 x 3 = 12 > 16 / 2, so matched; IoU = 12 / (16 + 16 - 12) = 12 / 20 = 0.6.
TRUTH = square(slice(1, 5), slice(1, 5))
PRED = square(slice(1, 5), slice(2, 6), 3)


@pytest.fixture
def frames(tmp_path):
    """The challenge's 2-D layout: 01_GT/SEG/man_seg00k.tif, 01_RES/mask00k.tif (k = 0, 1)."""
    truth, pred = tmp_path / "01_GT" / "SEG", tmp_path / "01_RES"
    truth.mkdir(parents=True)
    pred.mkdir()
    for k in range(2):
        tifffile.imwrite(truth / f"man_seg00{k}.tif", TRUTH)
        tifffile.imwrite(pred / f"mask00{k}.tif", PRED)
    return truth, pred


def write_slices(truth, pred, *, calibrated: bool = False) -> np.ndarray:
    """Frame 7 (4 planes of 10 x 10) annotated on planes 1 and 2.

    Plane 1 of the result holds PRED (id 3: the truth's IoU 0.6, as above); plane 2 holds id 4
    on exactly the truth's square (IoU 1). With ``calibrated``, ImageJ metadata: 0.5 µm pixels
    (resolution 2 per µm) and, for the volume, 3 µm between planes.
    """
    volume = np.zeros((4, 10, 10), np.uint16)
    volume[1] = PRED
    volume[2] = square(slice(1, 5), slice(1, 5), 4)

    def metadata(axes: str, **more) -> dict:
        if not calibrated:  # one grey page per plane, as the challenge's masks are
            return {"photometric": "minisblack"}
        meta = {"unit": "um", "axes": axes, **more}
        return {"imagej": True, "resolution": (2.0, 2.0), "metadata": meta}

    tifffile.imwrite(pred / "mask007.tif", volume, **metadata("ZYX", spacing=3.0))
    for plane in (1, 2):
        tifffile.imwrite(truth / f"man_seg_007_00{plane}.tif", TRUTH, **metadata("YX"))
    return volume


@pytest.fixture
def slices(tmp_path):
    truth, pred = tmp_path / "02_GT" / "SEG", tmp_path / "02_RES"
    truth.mkdir(parents=True)
    pred.mkdir()
    write_slices(truth, pred)
    return truth, pred


def test_the_ctc_preset_pairs_the_challenges_names_and_says_so(frames):
    truth, pred = frames
    pairing = pair_files(truth, pred, preset="ctc")
    assert pairing.names == ["000", "001"]
    assert pairing.named_by == "ctc"
    text = pairing.describe()
    assert (
        f"{SAID}: by the truth prefix 'man_seg' and the prediction prefix 'mask' "
        "(man_seg000.tif with mask000.tif). To pair them otherwise, give the truth and "
        "prediction prefixes or suffixes yourself." in text
    )
    # Without the preset nothing pairs: the hint names the prefixes, as before.
    plain = pair_files(truth, pred)
    assert plain.pairs == [] and plain.named_by is None
    assert SAID not in plain.describe()
    assert plain.suffix_hint[:3] == ("man_seg", "mask", 2)


def test_the_challenges_slices_pair_by_the_preset_too(slices):
    truth, pred = slices
    pairing = pair_files(truth, pred, preset="ctc")
    # man_seg_007_001 and man_seg_007_002 with mask007, on planes 1 and 2.
    assert pairing.names == ["007_001", "007_002"]
    assert pairing.planes == {"007_001": 1, "007_002": 2}
    assert pairing.named_by == "ctc"
    assert "(man_seg_007_001.tif with mask007.tif)" in pairing.describe()


@pytest.mark.parametrize(
    "given",
    [
        {"truth_prefix": "man_seg"},  # the prediction's prefix left out on purpose
        {"prediction_prefix": "mask"},
        {"truth_suffix": "0"},
        {"prediction_suffix": "1"},
    ],
)
def test_never_when_a_prefix_or_a_suffix_is_given(frames, given):
    truth, pred = frames
    pairing = pair_files(truth, pred, preset="ctc", **given)
    # man_seg000 / mask000 pair under neither of these alone: nothing is guessed.
    assert pairing.pairs == []
    assert pairing.named_by is None
    assert SAID not in pairing.describe()


@pytest.mark.parametrize("preset", [None, "dsb2018", "neurips2022"])
def test_never_without_the_ctc_preset(frames, preset):
    truth, pred = frames
    pairing = pair_files(truth, pred, preset=preset)
    assert pairing.pairs == [] and pairing.named_by is None


def test_only_when_the_challenges_names_pair_more_files(tmp_path):
    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    # As they are, 000 and 001 pair (2 pairs); under man_seg / mask only 002 would (1): the
    # names as they are win.
    for name in ("000", "001"):
        tifffile.imwrite(truth / f"{name}.tif", TRUTH)
        tifffile.imwrite(pred / f"{name}.tif", PRED)
    tifffile.imwrite(truth / "man_seg002.tif", TRUTH)
    tifffile.imwrite(pred / "mask002.tif", PRED)
    pairing = pair_files(truth, pred, preset="ctc")
    assert pairing.names == ["000", "001"] and pairing.named_by is None
    # Two more of the challenge's: under man_seg / mask 002, 003, 004 pair (3 > 2).
    for name in ("003", "004"):
        tifffile.imwrite(truth / f"man_seg{name}.tif", TRUTH)
        tifffile.imwrite(pred / f"mask{name}.tif", PRED)
    pairing = pair_files(truth, pred, preset="ctc")
    assert pairing.names == ["002", "003", "004"] and pairing.named_by == "ctc"
    # The files 000 and 001 are listed, not dropped (they have neither prefix).
    assert len(pairing.ignored) == 4


def test_one_folder_of_the_challenges_names(tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    for k in range(2):
        tifffile.imwrite(one / f"man_seg00{k}.tif", TRUTH)
        tifffile.imwrite(one / f"mask00{k}.tif", PRED)
    with pytest.raises(OneFolderError):
        pair_files(one, one)
    pairing = pair_files(one, one, preset="ctc")
    assert pairing.names == ["000", "001"] and pairing.named_by == "ctc"
    assert pairing.pairs[0] == (one / "man_seg000.tif", one / "mask000.tif")


def test_two_files_of_one_name_under_the_preset_are_said(tmp_path):
    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    tifffile.imwrite(truth / "man_seg007.tif", TRUTH)
    tifffile.imwrite(truth / "man_seg_007.tif", TRUTH)  # the challenge's two spellings of 007
    tifffile.imwrite(pred / "mask007.tif", PRED)
    with pytest.raises(FileReadError, match="both name the pair '007'"):
        pair_files(truth, pred, preset="ctc")


def test_a_run_paired_by_the_preset_records_the_prefixes_and_runs_again(slices, tmp_path):
    truth, pred = slices
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the slices' notice: DET is not scored on them
        result = evaluate_files(truth, pred, preset="ctc")
    rows = result.per_image.set_index("name")
    # 007_001: IoU 0.6 (see TRUTH / PRED); 007_002: the same square, IoU 1.
    assert rows.loc["007_001", "seg"] == pytest.approx(0.6)
    assert rows.loc["007_002", "seg"] == pytest.approx(1.0)
    # SEG pooled: (0.6 + 1) / 2 true objects = 0.8.
    assert result.summary["seg_pooled"] == pytest.approx(0.8)
    assert (result.settings.truth_prefix, result.settings.prediction_prefix) == ("man_seg", "mask")
    folder = result.write(tmp_path / "out")
    saved = json.loads((folder / "settings.json").read_text())
    assert saved["settings"]["truth_prefix"] == "man_seg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = evaluate_files(
            [(p["truth"], p["prediction"]) for p in saved["pairs"]], **saved["settings"]
        )
    assert again.per_image["name"].tolist() == ["007_001", "007_002"]
    assert again.per_image["plane"].tolist() == [1, 2]
    assert again.summary["seg_pooled"] == pytest.approx(0.8)


def test_spacing_from_the_files_of_a_slice_pair(tmp_path):
    truth, pred = tmp_path / "SEG", tmp_path / "RES"
    truth.mkdir()
    pred.mkdir()
    write_slices(truth, pred, calibrated=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = evaluate_files(
            truth,
            pred,
            preset="ctc",
            boundary=True,
            spacing="file",
            truth_prefix="man_seg",
            prediction_prefix="mask",
        )
    rows = result.per_image.set_index("name")
    assert (rows["error"] == "").all()
    # The slice is 0.5 x 0.5 µm; the volume 3 x 0.5 x 0.5 µm, whose plane is 0.5 x 0.5 µm.
    assert rows["spacing"].tolist() == ["0.5,0.5", "0.5,0.5"]
    assert rows["spacing_unit"].tolist() == ["µm", "µm"]
    # 007_001: the prediction is the truth's square moved one column: every boundary pixel of
    # either is 1 pixel (0.5 µm) from the other's, so the Hausdorff distance of the foreground
    # (one class: its mean is itself) is 0.5 µm; 007_002: the same square, 0.
    assert rows.loc["007_001", "mean_hd"] == pytest.approx(0.5)
    assert rows.loc["007_002", "mean_hd"] == pytest.approx(0.0)


def test_read_plane_reads_its_page_alone(tmp_path):
    """A compressed volume whose first page is broken: its plane 2 reads, the whole does not."""
    from napari_seg_eval.io.read import read_plane

    volume = np.arange(4 * 10 * 10, dtype=np.uint16).reshape(4, 10, 10)
    path = tmp_path / "mask007.tif"
    tifffile.imwrite(path, volume, compression="zlib", photometric="minisblack")
    with tifffile.TiffFile(path) as tiff:
        offset = tiff.pages[0].dataoffsets[0]
    data = bytearray(path.read_bytes())
    data[offset : offset + 8] = b"\xff" * 8  # page 0's zlib stream broken
    path.write_bytes(bytes(data))
    with pytest.raises(Exception):  # noqa: B017 - tifffile's own zlib error
        tifffile.imread(path)
    assert np.array_equal(read_plane(path, 2), volume[2])
    with pytest.raises(FileReadError, match=r"no plane 4 in it: it is a volume of 4 plane\(s\)"):
        read_plane(path, 4)
    tifffile.imwrite(tmp_path / "flat.tif", volume[0])
    with pytest.raises(FileReadError, match=r"no plane 0 in it: it is 2-D \(10, 10\)"):
        read_plane(tmp_path / "flat.tif", 0)


def test_slices_are_named_only_under_the_challenges_truth_prefix(tmp_path):
    """Other names of the T_Z form (tiles gt_012_034, copies gt001_2) are not taken for the
    challenge's slices: they stay unpaired, as before (review104)."""
    from napari_seg_eval.io.pairs import pair_files

    truth, pred = tmp_path / "t", tmp_path / "p"
    truth.mkdir()
    pred.mkdir()
    for name in ("gt_012_034.tif", "gt5_2.tif", "gt_007.tif"):
        (truth / name).write_bytes(b"")
    for name in ("012.tif", "5.tif", "007.tif"):
        (pred / name).write_bytes(b"")
    pairing = pair_files(truth, pred, truth_prefix="gt", prediction_prefix="")
    assert pairing.planes == {}
    assert sorted(path.name for path in pairing.unpaired_truth) == [
        "gt5_2.tif",
        "gt_007.tif",
        "gt_012_034.tif",
    ]
    # The challenge's own prefix: a slice (plane 34 of 012) and a whole frame spelt _T.
    for name in ("gt_012_034.tif", "gt_007.tif"):
        (truth / name).rename(truth / name.replace("gt", "man_seg"))
    pairing = pair_files(truth, pred, truth_prefix="man_seg", prediction_prefix="")
    assert pairing.planes == {"012_034": 34}
    assert sorted(pairing.names) == ["007", "012_034"]
