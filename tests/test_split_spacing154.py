"""Splitting touching objects on anisotropic stacks: ``label_instances(..., spacing=)`` measures
the distance transform in the pixel sizes given (``split_depth`` in pixels of the finest axis),
and the dock's preview uses the probability layer's scale.

The dumbbells below are boxes joined by a straight bar, so their distances are known by hand:
in a box the nearest pixel outside lies straight across a face, so a pixel's distance is the
smallest, over the axes, of (pixels to the face + 1) × the pixel size along that axis.
"""

from dataclasses import replace

import dask.array as da
import numpy as np
import pytest

import napari_seg_eval as nse


def two_spheres() -> np.ndarray:
    """Two touching spheres of radius 5 µm, centres 8 µm apart, on a stack of 12 planes 2 µm
    apart with 0.5 µm pixels (z, y, x): the reproduction of the defect."""
    z, y, x = np.meshgrid(
        np.arange(12) * 2.0, np.arange(40) * 0.5, np.arange(60) * 0.5, indexing="ij"
    )
    return ((z - 11) ** 2 + (y - 10) ** 2 + (x - 10) ** 2 <= 25) | (
        (z - 11) ** 2 + (y - 10) ** 2 + (x - 18) ** 2 <= 25
    )


def dumbbell_3d() -> np.ndarray:
    """Two boxes of 5 planes × 21 × 21 pixels joined by a bar 5 planes × 9 rows deep.

    With planes 4 pixels apart (spacing (2, 0.5, 0.5)): a box's centre lies 3 planes (12 px)
    from the background above and below, 11 px across y and x: its distance is 11. The bar's
    middle lies 5 rows from the background: the neck is 5, so the dynamic is 11 - 5 = 6 and
    the dumbbell splits at split_depth 6, not 6.5. Counted in voxels the box is 3 deep and
    never splits."""
    mask = np.zeros((7, 25, 60), bool)
    mask[1:6, 2:23, 2:23] = True
    mask[1:6, 2:23, 37:58] = True
    mask[1:6, 8:17, 23:37] = True
    return mask


def dumbbell_2d() -> np.ndarray:
    """Two boxes of 5 rows × 21 columns joined by a bar one row high, rows 3 pixels apart
    (spacing (1.5, 0.5)): a box's middle row lies 3 rows (9 px) from the background, the bar
    1 row (3 px): dynamic 9 - 3 = 6. Counted in pixels: 3 - 1 = 2."""
    mask = np.zeros((7, 60), bool)
    mask[1:6, 2:23] = True
    mask[1:6, 37:58] = True
    mask[3, 23:37] = True
    return mask


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two label images group the same pixels together (ids may differ)."""
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


# -- the core -------------------------------------------------------------------------------


def test_two_touching_spheres_split_with_their_spacing():
    mask = two_spheres()
    assert nse.label_instances(mask, split_touching=True).max() == 1  # in voxels: too thin
    labels = nse.label_instances(mask, split_touching=True, spacing=(2.0, 0.5, 0.5))
    assert labels.max() == 2
    # the two spheres are mirror images about x = 14 µm (column 28): one label each side
    assert set(np.unique(labels[..., :28][mask[..., :28]])) == {1}
    assert set(np.unique(labels[..., 29:][mask[..., 29:]])) == {2}
    assert (labels > 0).sum() == mask.sum()


def test_spacing_gives_the_split_of_the_isotropic_stack():
    """The stack resampled to 0.5 µm planes (each plane 4 times) splits without spacing; the
    anisotropic stack with its spacing groups the voxels as each of those planes does."""
    mask = two_spheres()
    isotropic = nse.label_instances(np.repeat(mask, 4, axis=0), split_touching=True)
    labels = nse.label_instances(mask, split_touching=True, spacing=(2.0, 0.5, 0.5))
    assert isotropic.max() == labels.max() == 2
    for offset in range(4):
        assert same_partition(labels, isotropic[offset::4])


def test_split_depth_is_in_pixels_of_the_finest_axis():
    mask = dumbbell_3d()
    for spacing in [(2.0, 0.5, 0.5), (4, 1, 1), (8.0, 2.0, 2.0)]:  # only the ratios count
        assert nse.label_instances(mask, split_touching=True, spacing=spacing).max() == 2
        split_at = [
            int(
                nse.label_instances(mask, split_touching=True, spacing=spacing, split_depth=d).max()
            )
            for d in (6.0, 6.5)
        ]
        assert split_at == [2, 1]  # the dynamic is 6 pixels of 0.5 µm
    assert nse.label_instances(mask, split_touching=True).max() == 1  # 3 voxels deep


def test_spacing_follows_the_axes():
    """The same dumbbell with its coarse axis last, and the spacing in that order."""
    mask = np.moveaxis(dumbbell_3d(), 0, -1)
    labels = nse.label_instances(mask, split_touching=True, spacing=(0.5, 0.5, 2.0))
    assert labels.max() == 2
    coarse_first = nse.label_instances(mask, split_touching=True, spacing=(2.0, 0.5, 0.5))
    assert coarse_first.max() == 1  # the wrong axis made coarse: the bar's height grows


def test_two_dimensional_spacing():
    mask = dumbbell_2d()
    assert nse.label_instances(mask, split_touching=True, split_depth=3.0).max() == 1
    for depth, expected in [(3.0, 2), (6.0, 2), (6.5, 1)]:
        labels = nse.label_instances(
            mask, split_touching=True, split_depth=depth, spacing=(1.5, 0.5)
        )
        assert labels.max() == expected
    labels = nse.label_instances(mask, split_touching=True, split_depth=3.0, spacing=(1.5, 0.5))
    assert set(np.unique(labels[:, :23][mask[:, :23]])) == {1}
    assert set(np.unique(labels[:, 37:][mask[:, 37:]])) == {2}


def test_split_of_a_class_image_never_crosses_classes():
    """Two touching discs of class 1 inside class 2: the split of each component stays in its
    class (their basins used to flood into the neighbouring class), and the discs split as
    the boolean mask of the discs does (their distance is to the nearest pixel of class 2)."""
    yy, xx = np.mgrid[:40, :60]
    discs = ((yy - 20) ** 2 + (xx - 18) ** 2 < 144) | ((yy - 20) ** 2 + (xx - 40) ** 2 < 144)
    classes = np.where(discs, 1, 2).astype(np.uint8)
    for spacing in ({}, {"spacing": (1.0, 0.5)}):
        labels = nse.label_instances(classes, split_touching=True, **spacing)
        for label in np.unique(labels):
            assert len(np.unique(classes[labels == label])) == 1, (spacing, label)
        alone = nse.label_instances(discs, split_touching=True, **spacing)
        assert alone.max() == 2
        assert same_partition(labels[discs], alone[discs])


@pytest.mark.parametrize("spacing", [1, 1.0, (1, 1, 1), [0.3, 0.3, 0.3], np.full(3, 2.5)])
def test_equal_spacing_is_no_spacing_bit_for_bit(spacing):
    rng = np.random.default_rng(154)
    from scipy import ndimage as ndi

    mask = ndi.gaussian_filter(rng.random((12, 30, 30)), 2) > 0.5
    mask[:, :, 20:] |= two_spheres()[:, :30, :10]
    for depth in (1.0, 2.0):
        expected = nse.label_instances(mask, split_touching=True, split_depth=depth)
        labels = nse.label_instances(mask, split_touching=True, split_depth=depth, spacing=spacing)
        assert labels.dtype == expected.dtype
        np.testing.assert_array_equal(labels, expected)


def test_threshold_options_carry_the_spacing_to_the_labels():
    """ThresholdOptions.spacing reaches label_instances: the whole volume, each plane of a
    stack (the plane axis's entry dropped), and each level of a pyramid (a coarser pixel)."""
    from napari_seg_eval.evaluation import ThresholdOptions, instance_labels, preview_levels

    spheres = two_spheres()
    options = ThresholdOptions(output="instance", split_touching=True, spacing=(2.0, 0.5, 0.5))
    assert instance_labels(spheres, options).max() == 2
    assert instance_labels(spheres, replace(options, spacing=None)).max() == 1
    stack = np.stack([spheres, spheres])  # two frames: 2 objects each
    framed = replace(options, spacing=(1.0, 2.0, 0.5, 0.5))
    labels = instance_labels(stack, framed, plane_axis=0)
    assert labels.max() == 4 and set(np.unique(labels[0])) | set(np.unique(labels[1])) == {
        0,
        1,
        2,
        3,
        4,
    }
    prob = np.where(spheres, 0.9, 0.1)
    coarse = prob[:, ::2, ::2]  # pixels of 1 µm in y and x: the spheres still split
    levels = preview_levels([prob, coarse], 0.5, options)
    expected = nse.label_instances(coarse > 0.5, split_touching=True, spacing=(2.0, 1.0, 1.0))
    np.testing.assert_array_equal(levels[1], expected)


def test_spacing_without_split_changes_nothing():
    mask = dumbbell_2d()
    np.testing.assert_array_equal(
        nse.label_instances(mask, spacing=(1.5, 0.5)), nse.label_instances(mask)
    )


@pytest.mark.parametrize(
    ("spacing", "error", "words"),
    [
        ((1.0, 2.0), ValueError, "one pixel size per axis of the mask (3 axes)"),
        ((1.0, 0.0, 1.0), ValueError, "finite pixel sizes > 0"),
        ((1.0, -0.5, 1.0), ValueError, "finite pixel sizes > 0"),
        ((np.nan, 1.0, 1.0), ValueError, "finite pixel sizes > 0"),
        (np.inf, ValueError, "finite pixel sizes > 0"),
        ("2,0.5,0.5", TypeError, "spacing must be a pixel size"),
        (True, TypeError, "spacing must be a pixel size"),
        ((1.0, None, 1.0), TypeError, "spacing must be a pixel size"),
        ([[2.0, 0.5, 0.5]], TypeError, "spacing must be a pixel size"),
    ],
)
def test_bad_spacing_is_refused(spacing, error, words):
    with pytest.raises(error, match="spacing") as raised:
        nse.label_instances(dumbbell_3d(), split_touching=True, spacing=spacing)
    assert words in str(raised.value)


# -- the dock -------------------------------------------------------------------------------


def settle(qtbot, widget) -> None:
    """Wait for the live preview asked for: its debounce, then its job if it started one (a
    refused preview starts none)."""
    qtbot.waitUntil(lambda: not widget._preview_timer.isActive(), timeout=20_000)
    if widget.preview_job.running:
        with qtbot.waitSignal(widget.preview_job.finished, timeout=20_000):
            pass


def _dock(make_napari_viewer, data, **image):
    viewer = make_napari_viewer()
    viewer.add_image(data, name="prob", **image)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("prob")
    return viewer, widget


def test_preview_splits_spheres_with_the_layers_scale(qtbot, make_napari_viewer):
    from widget_helpers import settle_preview

    prob = np.where(two_spheres(), 0.9, 0.1).astype(np.float32)
    _, widget = _dock(make_napari_viewer, prob, scale=(2.0, 0.5, 0.5))
    settle_preview(qtbot, widget)
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    settle_preview(qtbot, widget)
    layer = widget.update_threshold_layer(wait=True)
    assert np.asarray(layer.data).max() == 2  # one object per sphere
    expected = nse.label_instances(two_spheres(), split_touching=True, spacing=(2.0, 0.5, 0.5))
    np.testing.assert_array_equal(layer.data, expected)
    assert "finest axis" in widget.split_depth_spin.toolTip()


def test_preview_of_a_class_map_drops_the_class_axis_from_the_spacing(qtbot, make_napari_viewer):
    spheres = two_spheres()
    prob = np.stack([np.where(spheres, 0.9, 0.1), np.where(spheres, 0.1, 0.9)]).astype(np.float32)
    _, widget = _dock(make_napari_viewer, prob, scale=(1.0, 2.0, 0.5, 0.5))
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    labels = np.asarray(widget.update_threshold_layer(wait=True).data)
    # class 1 (channel 0) is the two spheres, class 2 the rest: split with the scale of Z, Y, X
    spheres_ids = np.unique(labels[spheres])
    assert len(spheres_ids) == 2 and not np.isin(labels[~spheres], spheres_ids).any()
    classes = np.where(spheres, 1, 2).astype(np.uint8)
    expected = nse.label_instances(classes, split_touching=True, spacing=(2.0, 0.5, 0.5))
    np.testing.assert_array_equal(labels, expected)


def test_preview_of_an_in_memory_pyramid_splits_each_level_with_its_scale(
    qtbot, make_napari_viewer
):
    """Level 1 halves Y and X: its pixels are 1 µm, its planes still 2 µm apart."""
    full = np.where(two_spheres(), 0.9, 0.1).astype(np.float32)
    _, widget = _dock(make_napari_viewer, [full, full[:, ::2, ::2]], scale=(2.0, 0.5, 0.5))
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    levels = widget.update_threshold_layer(wait=True).data
    assert np.asarray(levels[0]).max() == 2
    for level, spacing in zip(levels, [(2.0, 0.5, 0.5), (2.0, 1.0, 1.0)], strict=True):
        mask = full[:, :: int(spacing[1] / 0.5), :: int(spacing[1] / 0.5)] > 0.5
        expected = nse.label_instances(mask, split_touching=True, spacing=spacing)
        np.testing.assert_array_equal(level, expected)


def test_chunked_map_refuses_the_split_once_in_the_docks_words(
    qtbot, make_napari_viewer, errors, monkeypatch
):
    from napari_seg_eval._qt import threshold_panel

    # A chunked map above the limit the preview reads whole to split (this one is tiny).
    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", 12 * 40 * 60 - 1)
    prob = np.where(two_spheres(), 0.9, 0.1).astype(np.float32)
    lazy = da.from_array(prob, chunks=(6, 20, 30))
    _, widget = _dock(make_napari_viewer, lazy, scale=(2.0, 0.5, 0.5))
    widget.output_combo.setCurrentText("instance")
    settle(qtbot, widget)
    before = widget.threshold_layer.data
    assert errors == []
    widget.split_check.setChecked(True)  # the live preview follows
    settle(qtbot, widget)
    for threshold in (0.6, 0.7):  # the live preview again: not said again
        widget.set_threshold(threshold)
        settle(qtbot, widget)
    assert len(errors) == 1
    message = errors[0]
    assert "'prob'" in message and "chunked map" in message and "12 × 40 × 60" in message
    assert 'Untick "split touching objects (watershed)"' in message
    assert "label_instances" not in message and "np.asarray" not in message
    assert widget.threshold_layer.data is before  # the preview is left as it was
    widget.update_threshold_layer(wait=True)  # asked for: said again
    assert len(errors) == 2 and errors[1] == message
    widget.split_check.setChecked(False)  # the preview follows, and can be refused again
    settle(qtbot, widget)
    assert len(errors) == 2
    widget.split_check.setChecked(True)
    settle(qtbot, widget)
    assert len(errors) == 3
