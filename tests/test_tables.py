"""The dock's result tables: sorting columns that mix numbers with values shown as text."""

import numpy as np
import pandas as pd
from qtpy.QtCore import Qt

from napari_seg_eval._qt.tables import DataFrameModel


def test_a_column_mixing_numbers_and_intervals_sorts_by_its_numbers(qtbot):
    """Regression: a run with an interval ("0.5000 [0.0000, 0.8000]") beside runs without one
    (a plain 0.75) made sorting the Runs table raise TypeError (str < float)."""
    frame = pd.DataFrame(
        {
            "name": ["a", "b", "c", "d"],
            "f1_50": pd.Series([0.75, "0.5000 [0.0000, 0.8000]", np.nan, 0.9], dtype=object),
        }
    )
    model = DataFrameModel(frame, table="dataset.summary")
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert model.frame["name"].tolist() == ["b", "a", "d", "c"]  # 0.5, 0.75, 0.9, undefined
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert model.frame["name"].tolist() == ["d", "a", "b", "c"]  # undefined stays last
    model.sort(0, Qt.SortOrder.DescendingOrder)  # a column of texts sorts as text
    assert model.frame["name"].tolist() == ["d", "c", "b", "a"]
