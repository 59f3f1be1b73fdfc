"""The Dataset tab's Summary with the NeurIPS 2022 preset (a third column, the image median)
shows every column at the dock's default width (trial70 had to scroll to see the median)."""

import numpy as np
import pytest

pytest.importorskip("napari")
tifffile = pytest.importorskip("tifffile")
from qtpy.QtCore import Qt  # noqa: E402
from qtpy.QtWidgets import QApplication, QStyleOptionViewItem  # noqa: E402


@pytest.fixture
def folders(tmp_path):
    """Three 20 x 20 pairs of two objects; in img001 the prediction misses object 2."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    labels = np.zeros((20, 20), np.uint16)
    labels[4:8, 4:8], labels[10:16, 10:16] = 1, 2
    for k in range(3):
        tifffile.imwrite(truth / f"img{k:03d}.tif", labels)
        tifffile.imwrite(
            pred / f"img{k:03d}.tif", np.where(labels == 2, 0, labels) if k == 1 else labels
        )
    return truth, pred


def test_every_summary_column_is_in_view_with_the_neurips_preset(make_napari_viewer, folders):
    viewer = make_napari_viewer(show=True)
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    dataset = widget.dataset
    widget.tabs.setCurrentWidget(dataset)
    truth, pred = folders
    dataset.set_folders(truth=truth, prediction=pred)
    dataset.set_preset("neurips2022")
    dataset.run(wait=True)
    QApplication.processEvents()
    view = dataset.summary.view
    model = dataset.summary.model
    assert model.frame.columns.tolist() == ["metric", "pooled", "image mean", "image median"]
    # Every column ends inside the table's width: nothing to scroll to.
    last = model.columnCount() - 1
    assert view.columnViewportPosition(last) + view.columnWidth(last) <= view.viewport().width()
    assert view.horizontalScrollBar().maximum() == 0
    # F1 @ 0.5 pooled: img000 and img002 TP 2 each, img001 TP 1 FN 1: TP 5, FN 1,
    # F1 = 2*5 / (2*5 + 0 + 1) = 10/11 = 0.9091, shown with its interval under it: the cell
    # is two lines tall and as wide as the wider line, not as the two side by side.
    row = model.frame["metric"].tolist().index("F1 @ 0.5")
    index = model.index(row, 1)
    text = model.data(index, Qt.ItemDataRole.DisplayRole)
    assert text.startswith("0.9091 [")  # one line as copied and exported
    metrics = view.fontMetrics()
    interval = text.split(" ", 1)[1]
    assert metrics.horizontalAdvance(interval) <= view.columnWidth(1)
    assert view.columnWidth(1) < metrics.horizontalAdvance(text)
    delegate, option = view.itemDelegate(), QStyleOptionViewItem()
    one_line = model.index(model.frame["metric"].tolist().index("pairs"), 1)  # "3"
    assert delegate.sizeHint(option, index).height() > delegate.sizeHint(option, one_line).height()
