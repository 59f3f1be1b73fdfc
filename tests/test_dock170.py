"""dock170: the Dataset tab's pixel size note and its errors in the tab's words, logits of a
pyramid converted level by level, the split of a chunked map's touching objects, and the
headline of a class's confidence analysis."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("napari")
da = pytest.importorskip("dask.array")
tifffile = pytest.importorskip("tifffile")

import napari_seg_eval as nse  # noqa: E402


@pytest.fixture
def dock(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return viewer, widget


@pytest.fixture
def infos(monkeypatch):
    """The Dataset tab's information notifications, as text."""
    from napari_seg_eval._qt import dataset_panel

    shown = []
    monkeypatch.setattr(dataset_panel, "show_info", shown.append)
    return shown


def squares() -> np.ndarray:
    true = np.zeros((20, 20), np.uint16)
    true[2:8, 2:8] = 1
    true[10:16, 10:16] = 2
    return true


def write_pair(tmp_path, **calibration):
    """A folder pair of one image, 'a' (a perfect prediction), both written with the ImageJ
    ``calibration`` given (none: plain TIFFs)."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir(parents=True)
    pred.mkdir()
    tifffile.imwrite(truth / "a.tif", squares(), **calibration)
    tifffile.imwrite(pred / "a.tif", squares(), **calibration)
    return truth, pred


# Item 1: the pixel size note ---------------------------------------------------------------
def test_a_run_in_pixels_of_calibrated_files_says_so_in_the_tabs_words(dock, tmp_path, infos):
    """The command line's note (a pixel size in the files, boundary distances in pixels
    without --spacing), in the Dataset tab: its status line and a notification, naming the
    tab's spacing box; none with the box set to 'file' (the sizes used), nor for files
    without a pixel size."""
    _, widget = dock
    # ImageJ resolution in pixels per unit: 4 px/µm along x, 2 along y -> 0.5 µm (y), 0.25 (x)
    truth, pred = write_pair(tmp_path, imagej=True, resolution=(4, 2), metadata={"unit": "um"})
    dataset = widget.dataset
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(boundary=True)
    assert dataset.run(wait=True) is not None
    status = dataset.status_label.text()
    assert status.startswith("Done: 1 pairs.")
    note = (
        "a.tif gives a pixel size of 0.5, 0.25 µm in its metadata, but boundary distances "
        "(and τ) are in pixels while the spacing box (Options) is empty: write 'file' there "
        "to use each pair's pixel size from its files (or 0.5, 0.25)."
    )
    assert status.endswith(f" Note: {note}")
    assert "--spacing" not in status
    assert infos == [f"Segmentation Evaluation: {note}"]
    dataset.set_options(spacing="file")
    assert dataset.run(wait=True) is not None
    assert dataset.status_label.text() == "Done: 1 pairs." and len(infos) == 1
    # files without a pixel size: nothing to say
    truth, pred = write_pair(tmp_path / "plain")
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_options(spacing="")
    assert dataset.run(wait=True) is not None
    assert dataset.status_label.text() == "Done: 1 pairs." and len(infos) == 1


def test_no_note_when_neither_is_asked_or_the_file_gives_no_size():
    from napari_seg_eval._qt.dataset_panel import pixel_size_note

    assert pixel_size_note("none.npy", boundary=False, split=False) is None
    assert pixel_size_note("none.npy", boundary=True, split=True) is None


def test_the_split_alone_is_noted_only_for_unequal_sizes(tmp_path):
    """As the command line: the split of touching objects at the same size along every axis
    is the split in pixels; boundary distances are not (their unit differs)."""
    from napari_seg_eval._qt.dataset_panel import pixel_size_note

    equal, unequal = tmp_path / "equal.tif", tmp_path / "unequal.tif"
    tifffile.imwrite(equal, squares(), imagej=True, resolution=(2, 2), metadata={"unit": "um"})
    tifffile.imwrite(unequal, squares(), imagej=True, resolution=(4, 2), metadata={"unit": "um"})
    assert pixel_size_note(equal, boundary=False, split=True) is None
    assert "boundary" in pixel_size_note(equal, boundary=True, split=True)
    assert pixel_size_note(unequal, boundary=False, split=True) == (
        "unequal.tif gives a pixel size of 0.5, 0.25 µm in its metadata, but the split of "
        "touching objects is in pixels while the spacing box (Options) is empty: write "
        "'file' there to use each pair's pixel size from its files (or 0.5, 0.25)."
    )


# Item 2: a pair's error in the tab's words -------------------------------------------------
def test_a_failed_pairs_error_names_the_tabs_class_axis(dock, tmp_path):
    """A map saved as RGB (its classes as colour samples): the reader's advice names the
    command line's --channel-axis and Python's channel_axis; the table, and its export (the
    table as shown), name the tab's Class axis."""
    _, widget = dock
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    tifffile.imwrite(truth / "a.tif", squares())
    rgb = np.zeros((20, 20, 3), np.uint8)
    rgb[..., 0] = 200  # channels that differ: colours
    tifffile.imwrite(pred / "a.tif", rgb, photometric="rgb")
    dataset = widget.dataset
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.probability_check.setChecked(True)
    result = dataset.run(wait=True)
    raw = result.per_image["error"].iloc[0]
    assert raw.endswith(
        "give its axis 2 as the class axis (--channel-axis 2; channel_axis=2 in Python)."
    )
    shown = dataset.per_image.model.frame["error"].iloc[0]
    assert shown == raw.replace(
        "(--channel-axis 2; channel_axis=2 in Python)", "(this tab's Class axis 2)"
    )
    exported = dataset.per_image.export_csv(tmp_path / "per_image.csv", wait=True)
    assert pd.read_csv(exported)["error"].iloc[0] == shown


def test_the_spacing_file_errors_name_the_tabs_spacing_box():
    from napari_seg_eval._qt.dataset_panel import in_tab_words

    assert in_tab_words(
        "t.tif: its metadata give no pixel size (spacing='file', --spacing file reads ImageJ "
        "or OME-TIFF resolution, OME-Zarr scale); give the spacing instead."
    ) == (
        "t.tif: its metadata give no pixel size ('file' in this tab's spacing box reads "
        "ImageJ or OME-TIFF resolution, OME-Zarr scale); give the spacing instead."
    )
    assert in_tab_words(
        "they must cover the same space (or give the spacing instead of spacing='file')."
    ) == (
        "they must cover the same space (or give the spacing in this tab's spacing box "
        "instead of 'file')."
    )


# Item 3: logits of a pyramid ---------------------------------------------------------------
def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-values.astype(np.float64)))


def test_logits_of_a_pyramid_convert_level_by_level(dock, errors):
    viewer, widget = dock
    rng = np.random.default_rng(170)
    full = rng.normal(0, 3, (32, 32)).astype(np.float32)  # logits, far outside [0, 1]
    levels = [da.from_array(full, chunks=16), da.from_array(full[::2, ::2]), full[::4, ::4]]
    user = viewer.add_image(levels, multiscale=True, name="logits")
    widget.set_probability_layer("logits")
    converted = widget.display.convert_logits()
    assert errors == [] and converted is not None
    assert converted.multiscale and converted.name == "logits probabilities"
    assert all(isinstance(level, da.Array) for level in converted.data)  # lazily
    for level, logits in zip(converted.data, (full, full[::2, ::2], full[::4, ::4]), strict=True):
        np.testing.assert_allclose(np.asarray(level), sigmoid(logits), rtol=1e-6)
    assert user in viewer.layers and user.multiscale
    assert [level is mine for level, mine in zip(user.data, levels, strict=True)] == [True] * 3
    assert widget.probability_combo.layer() is converted


def test_class_logits_of_a_pyramid_take_the_softmax_of_each_level(dock, errors):
    viewer, widget = dock
    rng = np.random.default_rng(7)
    full = rng.normal(0, 2, (3, 16, 16))
    viewer.add_image([full, full[:, ::2, ::2]], multiscale=True, name="scores")
    widget.set_probability_layer("scores")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    converted = widget.display.convert_logits()
    assert errors == [] and converted.multiscale
    for level, scores in zip(converted.data, (full, full[:, ::2, ::2]), strict=True):
        expected = np.exp(scores) / np.exp(scores).sum(axis=0)
        np.testing.assert_allclose(np.asarray(level), expected, rtol=1e-12)


def test_a_pyramid_of_probabilities_is_not_converted(dock, errors):
    viewer, widget = dock
    full = np.linspace(0, 1, 64).reshape(8, 8)
    viewer.add_image([da.from_array(full), full[::2, ::2]], multiscale=True, name="prob")
    assert widget.display.convert_logits(viewer.layers["prob"]) is None
    assert "already holds values in [0, 1]" in errors[-1]
    assert [layer.name for layer in viewer.layers] == ["prob"]


# Item 4: the split of a chunked map --------------------------------------------------------
def touching_discs() -> np.ndarray:
    """Two discs of radius 7 whose centres are 12 apart: one component, two objects."""
    yy, xx = np.mgrid[:24, :40]
    first = (yy - 12) ** 2 + (xx - 13) ** 2 <= 49
    second = (yy - 12) ** 2 + (xx - 25) ** 2 <= 49
    return np.where(first | second, 0.9, 0.1)


def test_touching_objects_of_a_small_chunked_map_are_split(dock, errors):
    viewer, widget = dock
    prob = touching_discs()
    viewer.add_image(da.from_array(prob, chunks=(12, 20)), name="chunked", scale=(1, 1))
    widget.set_probability_layer("chunked")
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    labels = widget.update_threshold_layer(wait=True)
    assert errors == [] and labels is not None
    expected = nse.label_instances(prob > 0.5, split_touching=True, spacing=(1.0, 1.0))
    assert int(expected.max()) == 2  # the discs apart
    np.testing.assert_array_equal(np.asarray(labels.data), expected)


def test_a_chunked_map_too_large_to_split_is_refused_saying_what_works(dock, errors, monkeypatch):
    from napari_seg_eval._qt import threshold_panel

    viewer, widget = dock
    monkeypatch.setattr(threshold_panel, "SPLIT_READ_LIMIT", 24 * 40 - 1, raising=False)
    viewer.add_image(da.from_array(touching_discs(), chunks=(12, 20)), name="chunked")
    widget.set_probability_layer("chunked")
    widget.output_combo.setCurrentText("instance")
    widget.split_check.setChecked(True)
    assert widget.update_threshold_layer(wait=True) is None
    message = errors[-1]
    assert "chunked map (24 × 40, 960 values" in message
    assert "the dock reads at most 959 values" in message
    assert "--split-touching" in message and "TIFF" not in message
    assert "chunked thresholded" not in [layer.name for layer in viewer.layers]


# Item 5: a class's headline ----------------------------------------------------------------
def test_a_class_of_a_map_of_classes_leads_with_its_iou_and_dice(dock):
    """Best by the default object F1: the class's pixel IoU (and Dice) lead, the objects
    follow; the numbers are threshold_sweep's, of the class one vs rest."""
    viewer, widget = dock
    classes = np.zeros((24, 40), np.uint8)
    classes[:, 20:] = 2
    classes[4:20, 4:16] = 1
    prob_one = np.where(classes == 1, 0.8, 0.3)
    prob_one[4:8, 4:16] = 0.4  # a band of class 1 below 0.5
    prob = np.stack([prob_one, 1 - prob_one])
    viewer.add_image(prob, name="classes prob")
    viewer.add_labels(classes, name="classes")
    widget.set_probability_layer("classes prob")
    widget.channel_axis_combo.setCurrentIndex(widget.channel_axis_combo.findData(0))
    confidence = widget.confidence
    confidence.truth_combo.set_layer("classes")
    confidence.set_class(1)
    assert confidence.metric_combo.currentText() == "objects: F1 @ IoU 0.5"
    results = confidence.run(wait=True)
    sweep = nse.threshold_sweep(classes, prob, class_id=1, channel_axis=0)
    best = sweep.summary["best_threshold"]
    row = sweep.per_threshold.set_index("threshold").loc[best]
    assert sweep.summary["best_value"] == 1.0 and row["dice"] == 1.0  # all 192 pixels above
    text = confidence.summary_label.text()
    assert text.startswith(
        f"Class 1 vs rest (channel 0) · Best IoU 1.000 at threshold {best:.3f} (Dice 1.000)"
        " · PR AP "
    )
    assert " · objects (Best by): Best F1 @ IoU 0.5 " in text
    assert "objects" in results
