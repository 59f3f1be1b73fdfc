"""Reading probability maps whose class axis is stored as colours (tifffile's default RGB(A)
for a last or first axis of 3 or 4), and the class axis an OME-Zarr's metadata names (read158).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import tifffile
import zarr

from napari_seg_eval.io import FileReadError, file_axes, read_probabilities
from napari_seg_eval.io.read import (
    FileMetadata,
    checked_probabilities,
    file_metadata,
    open_file,
)


def softmax_yx4() -> np.ndarray:
    """A 4-class softmax of 3 x 5 pixels, class last: each pixel's 4 values differ and sum
    to 1 (class k + 1 at a pixel with p = (k + 1) / 10 + ...), in float32."""
    rng = np.random.default_rng(158)
    logits = rng.normal(size=(3, 5, 4))
    exp = np.exp(logits)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def save_as_colours(path, array) -> None:
    """``array`` saved with tifffile's defaults: as RGB(A) (for floats, with tifffile's
    warning that this will change)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*stored as RGB", DeprecationWarning)
        tifffile.imwrite(path, array)
    with tifffile.TiffFile(path) as tiff:  # the case of the trial: stored as colours
        assert tiff.series[0].keyframe.photometric == tifffile.PHOTOMETRIC.RGB


@pytest.mark.parametrize("channel_axis", [-1, 2])
def test_a_class_last_map_stored_as_rgba_is_read_on_the_declared_class_axis(tmp_path, channel_axis):
    prob = softmax_yx4()
    save_as_colours(tmp_path / "rgba.tif", prob)
    tifffile.imwrite(tmp_path / "grey.tif", prob, photometric="minisblack")
    read = read_probabilities(tmp_path / "rgba.tif", channel_axis=channel_axis)
    plain = read_probabilities(tmp_path / "grey.tif", channel_axis=channel_axis)
    assert read.shape == plain.shape == (3, 5, 4)
    np.testing.assert_array_equal(read, plain)
    np.testing.assert_array_equal(read, prob)


def test_a_class_first_map_stored_as_rgb_is_read_on_the_declared_class_axis(tmp_path):
    # (3, Y, X): tifffile stores it as RGB with separate planes; channel_axis 0 is its samples.
    prob = np.moveaxis(softmax_yx4()[..., :3], -1, 0)
    save_as_colours(tmp_path / "rgb.tif", prob)
    read, notice = checked_probabilities(
        tifffile.imread(tmp_path / "rgb.tif"), tmp_path / "rgb.tif", channel_axis=0
    )
    assert notice is None
    np.testing.assert_array_equal(read, prob)


def test_a_uint8_class_map_stored_as_rgba_is_scaled_on_its_class_axis(tmp_path):
    prob = np.zeros((2, 2, 4), np.uint8)
    prob[..., 0], prob[..., 1], prob[..., 2], prob[..., 3] = 0, 51, 153, 255
    save_as_colours(tmp_path / "u8.tif", prob)
    with pytest.warns(UserWarning, match=r"uint8 probabilities are read as value / 255"):
        read = read_probabilities(tmp_path / "u8.tif", channel_axis=-1)
    assert read.dtype == np.float64
    assert read[0, 0].tolist() == [0.0, 0.2, 0.6, 1.0]


def test_a_png_of_four_uint8_class_maps_is_read_on_the_declared_class_axis(tmp_path):
    import imageio.v3 as iio

    prob = np.zeros((2, 3, 4), np.uint8)
    prob[..., 1], prob[..., 2], prob[..., 3] = 51, 153, 255
    iio.imwrite(tmp_path / "m.png", prob)  # an RGBA PNG
    with pytest.warns(UserWarning, match=r"uint8 probabilities are read as value / 255"):
        read = read_probabilities(tmp_path / "m.png", channel_axis=2)
    assert read.shape == (2, 3, 4)
    assert read[1, 2].tolist() == [0.0, 0.2, 0.6, 1.0]
    with pytest.raises(FileReadError, match="an RGBA image whose colour channels differ"):
        read_probabilities(tmp_path / "m.png")  # no class axis: colours


def test_equal_class_channels_stay_classes_on_the_declared_class_axis(tmp_path):
    # Without a class axis, equal colour channels are one grey channel (with a notice); on
    # the declared class axis they are 3 classes of equal probability, all kept.
    prob = np.full((4, 4, 3), 0.25, np.float32)
    save_as_colours(tmp_path / "equal.tif", prob)
    read, notice = checked_probabilities(
        tifffile.imread(tmp_path / "equal.tif"), tmp_path / "equal.tif", channel_axis=-1
    )
    assert (read.shape, notice) == ((4, 4, 3), None)
    grey, said = checked_probabilities(
        tifffile.imread(tmp_path / "equal.tif"), tmp_path / "equal.tif"
    )
    assert grey.shape == (4, 4) and "read as one channel" in str(said)


def test_without_a_class_axis_a_colour_map_is_refused_naming_the_axis_to_give(tmp_path):
    # A real RGB picture given as a map stays refused; the message names the axis to give if
    # its samples are classes.
    save_as_colours(tmp_path / "m.tif", softmax_yx4())
    with pytest.raises(FileReadError) as refused:
        read_probabilities(tmp_path / "m.tif")
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'm.tif'}: an RGBA image whose colour channels differ")
    assert message.endswith(
        "save it with photometric='minisblack' and give the class axis. Or read it as it is: "
        "give its axis 2 as the class axis (--channel-axis 2; channel_axis=2 in Python)."
    )


@pytest.mark.parametrize(
    ("channel_axis", "given"), [(0, "(0)"), (5, "(5, which is not an axis of it)")]
)
def test_a_class_axis_that_is_not_the_colour_axis_is_refused_naming_both(
    tmp_path, channel_axis, given
):
    save_as_colours(tmp_path / "m.tif", softmax_yx4())
    with pytest.raises(FileReadError) as refused:
        read_probabilities(tmp_path / "m.tif", channel_axis=channel_axis)
    assert str(refused.value).endswith(
        f"give the class axis. The class axis given {given} is not the axis of its samples "
        "(2): if they are its classes, give its axis 2 as the class axis (--channel-axis 2; "
        "channel_axis=2 in Python)."
    )


def ome_zarr_map(path, prob: np.ndarray, axes: list[dict]) -> None:
    """An OME-Zarr 0.4 image of one level holding ``prob``, with these ``axes``."""
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update({"multiscales": [{"axes": axes, "datasets": [{"path": "0"}]}]})
    array = zarr.open_array(str(path / "0"), mode="w", shape=prob.shape, dtype=prob.dtype)
    array[...] = prob


@pytest.mark.parametrize("first", [True, False])
def test_an_ome_zarr_axis_of_type_channel_is_named_the_class_axis(tmp_path, first):
    prob = np.moveaxis(softmax_yx4(), -1, 0)  # (4, 3, 5)
    spatial = [{"name": n, "type": "space"} for n in "yx"]
    classes = {"name": "softmax", "type": "channel"}  # a name not starting with c
    axes = [classes, *spatial] if first else [*spatial, classes]
    if not first:
        prob = np.moveaxis(prob, 0, -1)
    path = tmp_path / "m.ome.zarr"
    ome_zarr_map(path, prob, axes)
    expected = 0 if first else 2
    assert file_axes(path) == ("CYX" if first else "YXC")
    assert file_metadata(path, labels=False).channel_axis == expected
    array, metadata = open_file(path)  # the metadata the run's reading gives
    assert metadata.channel_axis == expected
    assert array.shape[expected] == 4


def test_no_channel_axis_where_the_metadata_name_none_or_several():
    assert FileMetadata(None, None).channel_axis is None
    assert FileMetadata("TZYX", None).channel_axis is None
    assert FileMetadata("YXS", None).channel_axis is None  # colour samples are not named
    assert FileMetadata("CCYX", None).channel_axis is None
    assert FileMetadata("ZCYX", None).channel_axis == 1


def test_a_tiff_channel_axis_from_its_metadata(tmp_path):
    prob = np.moveaxis(softmax_yx4(), -1, 0)
    tifffile.imwrite(tmp_path / "c.tif", prob, imagej=True, metadata={"axes": "CYX"})
    tifffile.imwrite(tmp_path / "q.tif", prob, photometric="minisblack")
    assert file_metadata(tmp_path / "c.tif").channel_axis == 0
    assert file_metadata(tmp_path / "q.tif").channel_axis is None  # axes QYX: unnamed


def test_file_shape_reads_no_pixels_and_keeps_colour_samples(tmp_path, monkeypatch):
    from napari_seg_eval.io.read import file_shape  # new in read158

    save_as_colours(tmp_path / "m.tif", softmax_yx4())
    np.save(tmp_path / "m.npy", np.zeros((4, 6, 7), np.float32))
    ome_zarr_map(
        tmp_path / "m.ome.zarr",
        np.zeros((4, 3, 5), np.float32),
        [{"name": "c", "type": "channel"}, {"name": "y"}, {"name": "x"}],
    )

    def no_pixels(*args, **kwargs):
        raise AssertionError("pixels read")

    monkeypatch.setattr(tifffile.TiffPageSeries, "asarray", no_pixels)
    assert file_shape(tmp_path / "m.tif") == (3, 5, 4)
    assert file_shape(tmp_path / "m.npy") == (4, 6, 7)
    assert file_shape(tmp_path / "m.ome.zarr") == (4, 3, 5)
    with pytest.raises(FileReadError, match=r"none\.tif: no such file or folder"):
        file_shape(tmp_path / "none.tif")
