"""A map checked block by block never gives one block's range as the whole map's."""

import dask.array as da
import numpy as np
import pytest

from napari_seg_eval import threshold_probabilities
from napari_seg_eval.core._validate import LogitsError


def label_image_saved_as_floats() -> np.ndarray:
    """Whole numbers 0..9 on the left half, one id of 33,600,000 on the right."""
    values = np.zeros((4, 8))
    values[:, :4] = np.arange(16).reshape(4, 4) % 10
    values[0, 6] = 3.36e7
    return values


@pytest.mark.parametrize("channel_axis", [None, 0])
def test_a_chunked_map_names_a_value_of_a_block_not_a_range(channel_axis):
    values = label_image_saved_as_floats()
    if channel_axis is not None:
        values = np.stack([values, values])
    with pytest.raises(LogitsError) as refused:
        threshold_probabilities(
            da.from_array(values, chunks=4), 0.5, channel_axis=channel_axis
        ).compute()
    said = str(refused.value)
    # the block read names what it found in it (9 on the left, 3.36e+07 on the right) ...
    assert "found 9 in a block of them" in said or "found 3.36e+07 in a block of them" in said
    assert "the values of the other blocks are not known" in said
    assert "found values in [" not in said  # ... never a range as if it were the map's
    assert "Every value of that block is a whole number" in said


def test_a_map_in_memory_read_in_one_block_gives_its_true_range():
    with pytest.raises(LogitsError) as refused:
        threshold_probabilities(label_image_saved_as_floats(), 0.5)
    assert "found values in [0, 3.36e+07]. Every value is a whole number" in str(refused.value)
