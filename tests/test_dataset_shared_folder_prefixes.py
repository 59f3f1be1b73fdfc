"""The Dataset tab's image folder may be the truth's and the prediction's when the Name
prefixes tell the files apart (the Cell Tracking Challenge's man_seg000.tif, mask000.tif and
000.tif in one folder), as ``pair_files`` allows for truth and prediction in one folder; a
refusal names prefixes as well as suffixes."""

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")


@pytest.fixture
def dataset(make_napari_viewer):
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    return widget.dataset


@pytest.fixture
def folder(tmp_path):
    """One folder: man_seg00k.tif (truth), mask00k.tif (prediction, = truth) and the raw
    image 00k.tif (all 7), k = 0, 1."""
    labels = np.zeros((10, 10), np.uint16)
    labels[2:6, 2:6] = 1
    for k in range(2):
        tifffile.imwrite(tmp_path / f"man_seg00{k}.tif", labels)
        tifffile.imwrite(tmp_path / f"mask00{k}.tif", labels)
        tifffile.imwrite(tmp_path / f"00{k}.tif", np.full((10, 10), 7, np.uint8))
    return tmp_path


def test_images_in_the_prefixed_pairs_folder_are_found(dataset, folder):
    """Regression (review88 #3): the image folder set to the truth's folder replaced the pairs
    with "the images and the ground truth are both in … with the suffix ''", although the
    prefixes man_seg / mask tell the images (no prefix) apart."""
    dataset.set_prefixes(truth="man_seg", prediction="mask")
    dataset.set_folders(truth=folder, prediction=folder, image=folder)
    assert dataset.pairing is not None
    assert dataset.pairing.names == ["000", "001"]
    # The two raw images are the pairs' images, not ground truth or predictions left out.
    text = dataset.pairs_text.toPlainText()
    assert text.startswith("2 pair(s) of files.\n2 image")
    assert "without" not in text and "both in" not in text
    result = dataset.run(wait=True)
    # Prediction = truth: one object matched with IoU 1 in each image.
    assert result.per_image["mean_accuracy"].tolist() == [1.0, 1.0]
    layers = dataset.open_image("001", wait=True)
    assert layers["image"].data.max() == 7  # 001.tif, the raw image (all 7)
    assert layers["truth"].data.max() == 1


def test_same_prefix_and_suffix_is_refused_naming_prefixes(dataset, folder):
    """Images with the truth's prefix and suffix would be taken as truth: refused, and the
    advice names prefixes as well as suffixes; a different image prefix tells them apart."""
    dataset.set_prefixes(truth="man_seg", prediction="mask", image="man_seg")
    dataset.set_folders(truth=folder, prediction=folder, image=folder)
    assert dataset.pairing is None
    assert dataset.pairs_text.toPlainText() == (
        f"the images and the ground truth are both in {folder} with the prefix 'man_seg' and "
        "the suffix '': give prefixes or suffixes that tell them apart (e.g. the suffix "
        "'_masks' for the ground truth and none for the images, or the prefix 'man_seg' for "
        "the ground truth)."
    )
    # The prediction's prefix and suffix: refused as the predictions'.
    dataset.set_prefixes(image="mask")
    assert dataset.pairing is None
    assert dataset.pairs_text.toPlainText().startswith(
        f"the images and the predictions are both in {folder} with the prefix 'mask' and"
    )
    dataset.set_prefixes(image="")
    assert dataset.pairing is not None and dataset.pairing.names == ["000", "001"]
