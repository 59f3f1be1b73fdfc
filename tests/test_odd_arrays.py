"""Odd arrays: size-1 axes in the boundary metrics, colour label files, numpy masked arrays,
big-endian integer maps, huge ids in chunked boundary metrics, nested lists."""

from __future__ import annotations

import warnings

import dask.array as da
import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
from PIL import Image

import napari_seg_eval as nse
from napari_seg_eval import evaluation
from napari_seg_eval.core.instance import looks_like_probabilities
from napari_seg_eval.core.overlap import overlap_table
from napari_seg_eval.io import FileNotice, evaluate_files, read_labels, read_probabilities
from napari_seg_eval.io.read import FileReadError


def shifted_squares() -> tuple[np.ndarray, np.ndarray]:
    """12 x 12: a true 6 x 6 square (rows and columns 2..7) and the same square one column to
    the right (columns 3..8).

    Each boundary is the square's 20 edge pixels. From the predicted boundary to the true one:
    the top and bottom rows' columns 3..7 lie on the true rows (0), column 8 is 1 from (., 7);
    the left column's 4 inner rows (column 3) are 1 from column 2, the right column's (column
    8) 1 from column 7: 10 distances of 0 and 10 of 1, and the same back by symmetry. So
    HD = 1, ASSD = 20 / 40 = 0.5, and every distance is within τ = 1: NSD = boundary F1 = 1.
    """
    true = np.zeros((12, 12), np.int32)
    true[2:8, 2:8] = 1
    pred = np.zeros_like(true)
    pred[2:8, 3:9] = 1
    return true, pred


EXPECTED = {"hd": 1.0, "hd95": 1.0, "assd": 0.5, "nsd": 1.0, "boundary_f1": 1.0}


def scores(table) -> dict[str, float]:
    return {key: float(table.iloc[0][key]) for key in EXPECTED}


# ------------------------------------------------------------------ 1. size-1 axes


@pytest.mark.parametrize(
    "grow", [lambda a: a[..., None], lambda a: a[None], lambda a: a[None, None]]
)
def test_boundary_metrics_ignore_axes_of_size_one(grow):
    """(Y, X, 1), (1, Y, X), (1, 1, Y, X): the same numbers as the (Y, X) images (see
    shifted_squares), per class and per object (the one pair: IoU 30 / 42 >= 0.5)."""
    true, pred = (grow(a) for a in shifted_squares())
    assert scores(nse.boundary_metrics(true, pred).per_class) == EXPECTED
    per_object = nse.boundary_metrics(true, pred, per_object=True).per_object
    assert len(per_object) == 1 and scores(per_object) == EXPECTED
    record = evaluation.evaluate(true, pred, boundary=True)
    assert float(record.boundary.summary["mean_assd"]) == 0.5


def test_size_one_axis_spacing_is_left_out():
    """(1, Y, X) with spacing (7, 1, 2): the size-1 axis' 7 plays no part; x pixels are 2 wide.

    Predicted boundary to true: top and bottom rows, columns 3..7 on the true rows (0) and
    (2, 8), (7, 8) 2 from column 7; the left column's (r, 3): r = 3 and 6 are 1 row from the
    true top or bottom row, r = 4 and 5 are 2 from column 2 (and 2 rows from those rows); the
    right column's 4 pixels 2 from column 7: 2 + 2 + (1 + 2 + 2 + 1) + 4 x 2 = 18. True to
    predicted, mirrored: (2, 2), (7, 2) 2 from column 3; the right column's (r, 7): 1, 2, 2, 1
    to the predicted rows or column 8; the left column's 4 pixels 2 from column 3: 18. ASSD =
    36 / 40 = 0.9, HD = 2. The result keeps the spacing given."""
    true, pred = (a[None] for a in shifted_squares())
    result = nse.boundary_metrics(true, pred, spacing=(7, 1, 2))
    assert float(result.per_class.loc[0, "assd"]) == pytest.approx(0.9)
    assert float(result.per_class.loc[0, "hd"]) == 2.0
    assert result.spacing == (7.0, 1.0, 2.0)


# ------------------------------------------------------------------ 5. huge ids, chunked


@pytest.mark.parametrize(
    "offset, dtype",
    [(2_000_000, np.int32), (2**62, np.int64), (2**63 + 5, np.uint64)],
)
def test_chunked_boundary_metrics_with_huge_ids(offset, dtype):
    """Ids far above the boxes' direct lookup, in dask chunks of 5 x 5: the squares' numbers
    (see shifted_squares), per class (one id each side: one class each, never both, so the
    true class has no predicted partner: inf) and per object (the pair matched)."""
    true, pred = shifted_squares()
    true = np.where(true > 0, dtype(offset) + dtype(1), dtype(0)).astype(dtype)
    pred = np.where(pred > 0, dtype(offset) + dtype(2), dtype(0)).astype(dtype)
    lazy = [da.from_array(a, chunks=(5, 5)) for a in (true, pred)]
    per_object = nse.boundary_metrics(*lazy, per_object=True).per_object
    assert per_object["true_label"].tolist() == [int(offset) + 1]
    assert scores(per_object) == EXPECTED
    # Per class: the true id is absent from the prediction (and back): HD inf, NSD 0.
    per_class = nse.boundary_metrics(*lazy).per_class
    assert per_class["hd"].tolist() == [np.inf, np.inf]
    assert per_class["nsd"].tolist() == [0.0, 0.0]


# ------------------------------------------------------------------ 2. colour label files


def colour(ids: np.ndarray) -> np.ndarray:
    """Each id as a colour: (20 id, 7 id, 0), distinct for ids 0..12."""
    return np.stack([ids * 20, ids * 7, np.zeros_like(ids)], -1).astype(np.uint8)


def test_rgb_label_png_with_colours_is_refused(tmp_path):
    """A colour-coded label PNG: read as (Y, X, 3) it would be a 3-deep volume (each object
    counted in three planes); refused, naming the file and how to make ids."""
    true, _ = shifted_squares()
    iio.imwrite(tmp_path / "t.png", colour(true))
    with pytest.raises(FileReadError) as caught:
        read_labels(tmp_path / "t.png")
    message = str(caught.value)
    assert str(tmp_path / "t.png") in message and "colour channels differ" in message
    assert "np.unique(rgb.reshape(-1, 3), axis=0, return_inverse=True)" in message
    # The recipe of the message, run: black (0, 0, 0) becomes 0, (20, 7, 0) becomes 1.
    rgb = iio.imread(tmp_path / "t.png")[..., :3]
    _, ids = np.unique(rgb.reshape(-1, 3), axis=0, return_inverse=True)
    assert np.array_equal(ids.reshape(rgb.shape[:-1]), true)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA"])
def test_grey_colour_label_png_is_read_as_one_channel(tmp_path, mode):
    """Grey saved as colour (every colour channel the id; alpha 255): the ids, 2-D, told."""
    true, _ = shifted_squares()
    grey = true.astype(np.uint8)
    channels = {
        "RGB": [grey] * 3,
        "RGBA": [grey] * 3 + [grey * 0 + 255],
        "LA": [grey, grey + 255 - grey],
    }
    Image.fromarray(np.stack(channels[mode], -1), mode).save(tmp_path / "t.png")
    with pytest.warns(FileNotice, match="read as one channel|its grey channel read") as caught:
        read = read_labels(tmp_path / "t.png")
    assert read.shape == (12, 12) and np.array_equal(read, true)
    assert ("alpha channel left out" in str(caught[0].message)) == (mode != "RGB")


def test_palette_label_png_gives_its_indices(tmp_path):
    """A palette PNG (Pascal VOC's class images): its indices are the ids, whatever colours
    the palette shows them in."""
    true, _ = shifted_squares()
    image = Image.fromarray(true.astype(np.uint8), "P")
    image.putpalette([0, 0, 0, 128, 0, 0] + [255] * 762)
    image.save(tmp_path / "t.png")
    read = read_labels(tmp_path / "t.png")
    assert read.shape == (12, 12) and np.array_equal(read, true)


def test_rgb_tiff_labels(tmp_path):
    """An RGB TIFF (photometric RGB, contiguous or planar): grey read as one channel, colours
    refused; a 3-plane grey TIFF (photometric minisblack) stays a volume of 3 planes."""
    true, _ = shifted_squares()
    grey = np.stack([true.astype(np.uint8)] * 3, -1)
    tifffile.imwrite(tmp_path / "grey.tif", grey, photometric="rgb")
    tifffile.imwrite(
        tmp_path / "planar.tif",
        np.moveaxis(grey, -1, 0),
        photometric="rgb",
        planarconfig="separate",
    )
    tifffile.imwrite(tmp_path / "colour.tif", colour(true), photometric="rgb")
    tifffile.imwrite(tmp_path / "planes.tif", grey, photometric="minisblack")
    for name in ("grey", "planar"):
        with pytest.warns(FileNotice, match="all equal"):
            assert np.array_equal(read_labels(tmp_path / f"{name}.tif"), true)
    with pytest.raises(FileReadError, match="colour channels differ"):
        read_labels(tmp_path / "colour.tif")
    assert read_labels(tmp_path / "planes.tif").shape == (12, 12, 3)


def test_rgb_probability_map_png(tmp_path):
    """A colour-mapped picture of a map is refused; a grey one is one channel, / 255."""
    values = np.array([[0, 51], [153, 255]], np.uint8)  # 0, 0.2, 0.6, 1 after / 255
    iio.imwrite(tmp_path / "grey.png", np.stack([values] * 3, -1))
    iio.imwrite(tmp_path / "jet.png", np.stack([values, 255 - values, values], -1))
    with pytest.warns(FileNotice) as caught:
        prob = read_probabilities(tmp_path / "grey.png")
    assert prob.tolist() == [[0.0, 0.2], [0.6, 1.0]]
    text = str(caught[0].message)
    assert "read as one channel" in text and "uint8 probabilities are read as value / 255" in text
    with pytest.raises(FileReadError, match="one value per pixel, not a colour"):
        read_probabilities(tmp_path / "jet.png")


def test_evaluate_files_reads_a_grey_rgb_truth(tmp_path):
    """Through the files' evaluation: the grey RGB truth is the squares' one object, matched
    (IoU 30 / 42 >= 0.5): n_true 1, F1 1; the notice is given."""
    true, pred = shifted_squares()
    iio.imwrite(tmp_path / "t.png", np.stack([true.astype(np.uint8)] * 3, -1))
    np.save(tmp_path / "p.npy", pred)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_files([(tmp_path / "t.png", tmp_path / "p.npy")], iou_thresholds=[0.5])
    assert result.n_failed == 0
    assert result.summary["n_true"] == 1 and result.summary["f1_50_pooled"] == 1
    assert any("read as one channel" in str(w.message) for w in caught)


# ------------------------------------------------------------------ 3. masked arrays


def test_masked_arrays_with_masked_values_are_refused():
    """The mask would be ignored by every function: refused where inputs are checked."""
    true, pred = shifted_squares()
    masked = np.ma.masked_array(true, mask=true == 1)
    with pytest.raises(ValueError, match=r"masked array with 36 masked pixel.*region=~a\.mask"):
        nse.instance_metrics(masked, pred)
    prob = np.ma.masked_array(np.full((12, 12), 0.5), mask=pred == 1)
    with pytest.raises(ValueError, match="probabilities is a numpy masked array"):
        nse.threshold_probabilities(prob)
    with pytest.raises(ValueError, match="probabilities is a numpy masked array"):
        nse.calibration(true, prob)
    with pytest.raises(ValueError, match="region is a numpy masked array"):
        nse.semantic_metrics(true, pred, region=np.ma.masked_array(true > 0, mask=true > 0))
    with pytest.raises(ValueError, match="confidence is a numpy masked array"):
        evaluation.evaluate(true, pred, confidence=prob)


def test_masked_array_without_masked_values_is_its_data():
    """Nothing masked: the data, so the squares' numbers: one pair, intersection 6 x 5 = 30,
    union 36 + 36 - 30 = 42, so AJI = 30 / 42."""
    true, pred = shifted_squares()
    result = nse.instance_metrics(np.ma.masked_array(true), np.ma.masked_array(pred, mask=False))
    assert float(result.summary["aji"]) == pytest.approx(30 / 42)


def test_nan_message_says_how():
    """NaN: fill them, or leave them out with a region, which then works: the one NaN pixel
    left out, the other 144 - 1 = 143 scored."""
    true, _ = shifted_squares()
    prob = np.where(true > 0, 0.9, 0.1)
    prob[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"fill them .*region=~np\.isnan\(p\)"):
        nse.calibration(true, prob)
    result = nse.calibration(true, prob, region=~np.isnan(prob))
    assert int(result.summary["n_pixels"]) == 143


# ------------------------------------------------------------------ 4. big-endian maps


def test_big_endian_uint16_map_is_read_and_scaled(tmp_path):
    """A >u2 map is a uint16 map: read as value / 65535, told as uint16."""
    values = np.array([[0, 13107], [39321, 65535]], ">u2")  # 0, 0.2, 0.6, 1 after / 65535
    np.save(tmp_path / "q.npy", values)
    with pytest.warns(FileNotice, match="uint16 probabilities are read as value / 65535"):
        prob = read_probabilities(tmp_path / "q.npy")
    assert prob.tolist() == [[0.0, 0.2], [0.6, 1.0]]


def test_big_endian_map_given_as_labels_is_told_alike():
    """The probability-like test of a label prediction looks at the kind and size of its
    dtype, not its byte order: 20 values (>= 16), each a ring touching all 4 objects and
    covering none: scattered, so told, in either byte order."""
    true = np.zeros((4, 80), np.int32)
    for label in range(4):
        true[label, :] = label + 1  # 4 objects: one row each
    pred = np.repeat(np.arange(1, 21), 4)[None].repeat(4, 0)  # 20 values, 4 columns each
    # Each value covers 4 of an object's 80 pixels (< half) in each of the 4 rows.
    table = overlap_table(true, pred)
    assert looks_like_probabilities(table, np.dtype("<u2"))
    assert looks_like_probabilities(table, np.dtype(">u2"))
    assert looks_like_probabilities(table, np.dtype(">u1"))
    assert not looks_like_probabilities(table, np.dtype(">u4"))


def test_big_endian_mask_saved_as_labels_is_told(tmp_path):
    """A >u2 mask 0/65535 over 4 squares (one id over 3 or more objects): told as a mask."""
    true = np.zeros((24, 24), np.uint8)
    for label, (row, col) in enumerate([(1, 1), (1, 13), (13, 1), (13, 13)], 1):
        true[row : row + 10, col : col + 10] = label
    np.save(tmp_path / "t.npy", true)
    np.save(tmp_path / "p.npy", np.where(true > 0, 65535, 0).astype(">u2"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_files([(tmp_path / "t.npy", tmp_path / "p.npy")], iou_thresholds=[0.5])
    assert any("looks like a mask (one id, 65535" in str(w.message) for w in caught)


def test_big_endian_map_layer_ranks_as_an_integer_map():
    """The dock's guess of a map layer: a >u2 image named as a map is an integer map."""
    from napari.layers import Image

    from napari_seg_eval._napari.layers import probability_rank

    layer = Image(np.array([[0, 60000]], ">u2"), name="nuclei probability")
    assert probability_rank(layer)[1] is True


# ------------------------------------------------------------------ 6. nested lists


def test_evaluate_takes_nested_lists():
    """Lists of lists as instance_metrics takes them: the squares (one pair, AJI 30 / 42)."""
    true, pred = shifted_squares()
    record = evaluation.evaluate(true.tolist(), pred.tolist())
    assert int(record.instance.summary["n_true"]) == 1
    assert float(record.instance.summary["aji"]) == pytest.approx(30 / 42)


def test_ragged_lists_are_named():
    ragged = [[0, 1, 1], [0, 1]]
    for call in (
        lambda: evaluation.evaluate(ragged, ragged),
        lambda: nse.instance_metrics(ragged, ragged),
    ):
        with pytest.raises(ValueError, match="ground truth is not a rectangular image"):
            call()


def test_a_three_class_map_saved_as_rgb_gets_the_way_to_save_its_classes(tmp_path):
    # trial118: a (3, Y, X) softmax saved with tifffile's defaults is stored as RGB; it was
    # refused with only "save the map's values in one channel", which a class map cannot do.
    import tifffile

    from napari_seg_eval.io import FileReadError, read_probabilities

    softmax = np.zeros((3, 6, 6), np.float32)
    softmax[0], softmax[1, :3], softmax[2, 3:] = 0.2, 0.7, 0.8  # channels differ
    path = tmp_path / "softmax.tif"
    with pytest.warns(DeprecationWarning):  # tifffile's: stored as RGB with separate planes
        tifffile.imwrite(path, softmax)
    with pytest.raises(FileReadError) as refused:
        read_probabilities(path)
    assert (
        "If its 3 samples per pixel are the classes of a map (shape (3, 6, 6)), not colours: "
        "tifffile.imwrite stores such an array as RGB by default; save it with "
        "photometric='minisblack' and give the class axis."
    ) in str(refused.value)
