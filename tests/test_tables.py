"""The dock's result tables: sorting by what is shown, Copy as shown, Export CSV with the
command line's names, and an export that cannot be written."""

import errno
import os
import stat

import numpy as np
import pandas as pd
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication, QFileDialog, QPushButton

from napari_seg_eval._qt.runs_panel import RunsModel
from napari_seg_eval._qt.tables import DataFrameModel, ResultTable


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


def summary_frame() -> pd.DataFrame:
    """A Summary as the dock fills it (evaluation, metric key, value): keys whose order is not
    that of their labels (accuracy_50 is "AP (DSB) @ 0.5", after "AJI"; n_true is "true
    objects", last), a count, and an undefined value."""
    rows = [
        ("instance", "accuracy_50", 0.5),
        ("instance", "aji", 0.25),
        ("instance", "f1_50", 0.75),
        ("instance", "n_true", 4),
        ("semantic", "mean_dice", np.nan),
        ("semantic", "pixel_accuracy", 0.9),
        ("instance", "panoptic_quality_50", 0.6),
    ]
    return pd.DataFrame(
        {
            "evaluation": [row[0] for row in rows],
            "metric": [row[1] for row in rows],
            "value": pd.Series([row[2] for row in rows], dtype=object),
        }
    )


def shown(table: ResultTable, column: int) -> list[str]:
    """The texts column ``column`` shows, top to bottom."""
    model = table.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def test_the_summary_sorts_by_the_labels_it_shows_and_values_as_numbers(qtbot):
    """Regression (trial 20): a click on the Summary's "metric" header sorted by the hidden
    keys (accuracy_50, aji, f1_50, ...), so the labels shown came out in no visible order."""
    table = ResultTable("summary", "summary")
    qtbot.addWidget(table)
    table.set_frame(summary_frame())
    table.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    # The labels in alphabetical order, in any case (a spreadsheet's order): "AJI" before
    # "AP (DSB) @ 0.5" (j < p), "pixel accuracy" before "PQ @ 0.5" (i < q).
    by_label = [
        "AJI",
        "AP (DSB) @ 0.5",
        "F1 @ 0.5",
        "mean Dice",
        "pixel accuracy",
        "PQ @ 0.5",
        "true objects",
    ]
    assert shown(table, 1) == by_label
    table.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert shown(table, 1) == by_label[::-1]
    # Values as numbers (the count 4 above the ratios), the undefined one last either way:
    # 0.25 AJI, 0.5 AP, 0.6 PQ, 0.75 F1, 0.9 pixel accuracy, 4 true objects, then mean Dice.
    table.view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    ascending = ["AJI", "AP (DSB) @ 0.5", "PQ @ 0.5", "F1 @ 0.5", "pixel accuracy"]
    assert shown(table, 1) == [*ascending, "true objects", "mean Dice"]
    assert shown(table, 2)[-1] == "—"
    table.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    assert shown(table, 1) == ["true objects", *ascending[::-1], "mean Dice"]


def test_texts_sort_in_any_case_and_numbers_shown_as_text_as_numbers(qtbot):
    """The Runs table shows a threshold as text ("0.45", "1e-05"; empty for labels): sorted as
    text, "1e-05" came after "0.5" and the empty cell first. Texts sort in any case, as a
    spreadsheet sorts them."""
    frame = pd.DataFrame({"name": ["b", "C", "a", None], "threshold": ["0.5", "1e-05", "", "0.45"]})
    model = DataFrameModel(frame)
    model.sort(1, Qt.SortOrder.AscendingOrder)  # 1e-05 < 0.45 < 0.5, the empty cell last
    assert model.frame["threshold"].tolist() == ["1e-05", "0.45", "0.5", ""]
    model.sort(1, Qt.SortOrder.DescendingOrder)  # the empty cell still last
    assert model.frame["threshold"].tolist() == ["0.5", "0.45", "1e-05", ""]
    # In any case: a, b, C (by code point "C" (67) came before "a" (97)); no name last.
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert model.frame["name"].fillna("none").tolist() == ["a", "b", "C", "none"]
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.frame["name"].fillna("none").tolist() == ["C", "b", "a", "none"]


def test_copy_gives_the_headers_and_labels_shown(qtbot):
    """Regression (trial 20): Copy wrote the API's names: the column shown as "AP (DSB)" was
    pasted as "accuracy" (read as pixel accuracy), the Summary's labels as their keys."""
    table = ResultTable("summary", "summary")
    qtbot.addWidget(table)
    table.set_frame(summary_frame())
    table.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    select = table.view.selectionModel()
    for row in (0, 1):  # AJI and AP (DSB) @ 0.5, metric and value
        for column in (1, 2):
            select.select(table.model.index(row, column), select.SelectionFlag.Select)
    assert table.copy() == "metric\tvalue\nAJI\t0.25\nAP (DSB) @ 0.5\t0.5\n"
    assert QApplication.clipboard().text() == table.copy()

    per_threshold = ResultTable("per threshold", "instance.per_threshold")
    qtbot.addWidget(per_threshold)
    per_threshold.set_frame(
        pd.DataFrame({"threshold": [0.5, 0.9], "accuracy": [0.5, np.nan], "tp": [2, 0]})
    )
    # The whole table (nothing selected): shown headers; values in full, undefined empty.
    assert per_threshold.copy() == "IoU threshold\tAP (DSB)\tTP\n0.5\t0.5\t2\n0.9\t\t0\n"

    runs = ResultTable("runs", model=RunsModel(table="dataset.summary"))
    qtbot.addWidget(runs)
    runs.set_frame(pd.DataFrame({"name": ["run 1"], "f1_50_image_mean": [0.5]}))
    assert runs.model.headerData(1, Qt.Orientation.Horizontal) == "F1 @ 0.5\nimage mean"
    assert runs.copy() == "name\tF1 @ 0.5 image mean\nrun 1\t0.5\n"  # a header on one line


def test_export_keeps_the_command_lines_names_and_the_summary_gets_its_labels(qtbot, tmp_path):
    """An exported CSV is read by scripts: the names of the command line's result files
    (docs/large-data.md: instance_pooled.csv's "threshold", "accuracy";
    instance_class_confusion.csv's "true_class", "predicted_<id>"); the Summary, whose keys
    are values, has each key's label beside it."""
    table = ResultTable("summary", "summary")
    qtbot.addWidget(table)
    table.set_frame(summary_frame())
    table.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    exported = pd.read_csv(table.export_csv(tmp_path / "summary.csv"))
    assert exported.columns.tolist() == ["evaluation", "metric", "label", "value"]
    assert exported["metric"].tolist()[:3] == ["aji", "accuracy_50", "f1_50"]  # order shown
    assert exported["label"].tolist()[:3] == ["AJI", "AP (DSB) @ 0.5", "F1 @ 0.5"]
    assert exported["value"].tolist()[:3] == [0.25, 0.5, 0.75]

    per_threshold = ResultTable("per threshold", "instance.per_threshold")
    qtbot.addWidget(per_threshold)
    per_threshold.set_frame(pd.DataFrame({"threshold": [0.5], "accuracy": [0.5]}))
    exported = pd.read_csv(per_threshold.export_csv(tmp_path / "per_threshold.csv"))
    assert exported.columns.tolist() == ["threshold", "accuracy"]

    confusion = ResultTable("class confusion", "instance.class_confusion")
    qtbot.addWidget(confusion)
    counts = {"true class": [1, 2], "predicted 1": [3, 0], "predicted 2": [1, 2]}
    confusion.set_frame(pd.DataFrame(counts))
    exported = pd.read_csv(confusion.export_csv(tmp_path / "confusion.csv"))
    assert exported.columns.tolist() == ["true_class", "predicted_1", "predicted_2"]
    assert exported.to_numpy().tolist() == [[1, 3, 1], [2, 0, 2]]


def per_threshold_table(qtbot) -> ResultTable:
    table = ResultTable("per threshold", "instance.per_threshold")
    qtbot.addWidget(table)
    table.set_frame(pd.DataFrame({"threshold": [0.5, 0.75], "accuracy": [0.5, 0.25]}))
    return table


def test_export_to_a_missing_folder_notifies_with_the_path_and_the_reason(
    qtbot, tmp_path, errors, monkeypatch
):
    """Regression (trial 20): Export CSV into a folder that does not exist raised pandas'
    error from the button (a script-driven viewer aborted)."""
    table = per_threshold_table(qtbot)
    missing = tmp_path / "missing"
    path = missing / "x.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(path), "CSV (*.csv)"))
    button = next(b for b in table.findChildren(QPushButton) if b.text() == "Export CSV…")
    button.click()  # an error raised in the slot would fail the test (pytest-qt)
    assert table.export_csv(path) is None
    message = (
        f"Segmentation Evaluation: could not export the per threshold table to {path}: "
        f"the folder {missing} does not exist."
    )
    assert errors == [message, message]
    assert list(tmp_path.iterdir()) == []


def test_export_onto_a_folder_notifies_and_leaves_nothing(qtbot, tmp_path, errors):
    table = per_threshold_table(qtbot)
    folder = tmp_path / "a folder"
    folder.mkdir()
    assert table.export_csv(folder) is None
    assert errors == [
        f"Segmentation Evaluation: could not export the per threshold table to {folder}: "
        f"{os.strerror(errno.EISDIR)}."
    ]
    assert list(tmp_path.iterdir()) == [folder]  # no half-written file beside it
    assert list(folder.iterdir()) == []


def test_a_write_that_fails_half_way_keeps_the_old_file(qtbot, tmp_path, errors, monkeypatch):
    """A disk that fills up while the table is written: the file that was there is kept as it
    was, and nothing half-written is left."""
    table = per_threshold_table(qtbot)
    path = tmp_path / "per_threshold.csv"
    path.write_text("old\n")

    def full_disk(frame, target, *args, **kwargs):
        if isinstance(target, str | os.PathLike):
            with open(target, "w") as file:
                file.write("threshold,accu")
        else:
            target.write("threshold,accu")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    assert table.export_csv(path) is None
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]
    assert errors == [
        f"Segmentation Evaluation: could not export the per threshold table to {path}: "
        f"{os.strerror(errno.ENOSPC)}."
    ]


def test_export_through_a_symbolic_link_writes_its_target_and_keeps_the_link(qtbot, tmp_path):
    """Review 23 (3): the write-then-rename replaced the link by a plain file and left its
    target as it was; as a plain write did, the target gets the table."""
    table = per_threshold_table(qtbot)
    target = tmp_path / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert table.export_csv(link) is not None
    assert link.is_symlink() and os.readlink(link) == str(target)
    # the two rows of per_threshold_table, by hand
    assert target.read_text() == "threshold,accuracy\n0.5,0.5\n0.75,0.25\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "target.csv"]


def test_export_keeps_the_permission_bits_of_the_file_it_replaces(qtbot, tmp_path):
    """Review 23 (3): the replaced file got the new file's mode (0644 under umask 022)."""
    table = per_threshold_table(qtbot)
    path = tmp_path / "per_threshold.csv"
    path.write_text("old\n")
    path.chmod(0o640)  # owner rw, group r, others nothing: not what a new file gets
    assert table.export_csv(path) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "threshold,accuracy\n0.5,0.5\n0.75,0.25\n"


def test_export_refuses_a_read_only_file_and_leaves_it(qtbot, tmp_path, errors, monkeypatch):
    """Review 23 (3): the rename replaced a read-only file without a word. The tests run as
    root, for whom os.access says every file may be written: it is made to answer from the
    owner's write bit, as it does for a user who owns the file."""
    table = per_threshold_table(qtbot)
    path = tmp_path / "per_threshold.csv"
    path.write_text("precious\n")
    path.chmod(0o444)
    real_access = os.access

    def owner_access(file, mode, **kwargs):
        if mode & os.W_OK and not os.stat(file).st_mode & stat.S_IWUSR:
            return False
        return real_access(file, mode, **kwargs)

    monkeypatch.setattr(os, "access", owner_access)
    assert table.export_csv(path) is None
    assert path.read_text() == "precious\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert list(tmp_path.iterdir()) == [path]
    assert errors == [
        f"Segmentation Evaluation: could not export the per threshold table to {path}: "
        f"{os.strerror(errno.EACCES)}."
    ]
