"""A result layer the user renamed is theirs: ranked as a layer of theirs for the ground truth,
and not said to be the plugin's preview when chosen."""

import numpy as np
from napari.layers import Image, Labels

from napari_seg_eval._napari.layers import TAG, truth_made_by_us_notice, truth_rank


def preview(prob: Image, name: str) -> Labels:
    tagged = {"role": "threshold", "source": "p", "source_id": prob.unique_id, "named": name}
    return Labels(np.zeros((2, 2), np.uint8), name=name, metadata={TAG: tagged})


def test_a_renamed_preview_is_the_users():
    prob = Image(np.zeros((2, 2), np.float32), name="p")
    ours = preview(prob, "p thresholded")
    assert truth_rank(ours) == (False, 0)
    assert truth_made_by_us_notice(ours, prob).startswith("the ground truth 'p thresholded'")
    mine = preview(prob, "p thresholded")
    mine.name = "my annotation"  # renamed by the user: "named" no longer its name
    assert truth_rank(mine) == (True, 2)  # a truth word ("annotation"), as any layer of theirs
    assert truth_made_by_us_notice(mine, prob) == ""
