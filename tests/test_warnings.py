"""The package's warnings point at the line of the user's code that called it, past keyword
wrappers and internal helpers (a new user's trial: they pointed at core/_deprecation.py)."""

import warnings

import numpy as np
import pytest

import napari_seg_eval as nse
from napari_seg_eval.io import evaluate_files


def caught(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always")
        call()
    return found


@pytest.mark.parametrize(
    "call",
    [
        # a boolean mask: one object (instance_metrics has a renamed keyword: wrapped)
        lambda: nse.instance_metrics(np.ones((2, 2), bool), np.ones((2, 2), bool)),
        # nothing left to count
        lambda: nse.semantic_metrics(np.zeros((1, 2), int), np.zeros((1, 2), int), ignore_label=0),
        # an image with no pixel left, among others
        lambda: nse.dataset_metrics(
            [np.zeros((1, 2), int), np.ones((1, 2), int)],
            [np.zeros((1, 2), int), np.ones((1, 2), int)],
            kind="semantic",
            ignore_label=0,
        ),
        # an old keyword
        lambda: nse.instance_metrics(np.ones((1, 2), int), np.ones((1, 2), int), thresholds=[0.5]),
    ],
)
def test_a_warning_names_the_callers_line(call):
    found = caught(call)
    assert found, "the call gave no warning"
    assert {w.filename for w in found} == {__file__}


def test_a_file_notice_names_the_callers_line(tmp_path):
    np.save(tmp_path / "t.npy", np.ones((2, 3), bool))
    np.save(tmp_path / "p.npy", np.ones((2, 3), np.uint8))
    found = caught(lambda: evaluate_files(tmp_path / "t.npy", tmp_path / "p.npy"))
    assert [w.filename for w in found] == [__file__]
    assert "boolean mask" in str(found[0].message)
