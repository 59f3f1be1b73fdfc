"""Big result tables (trial 98, finding 2): Copy reads the selection from its ranges, Copy and
Export CSV of a big table run in a worker (same text, same file, Cancel leaves nothing), and
sorting computes its key once per distinct value. "Big" is made small here by lowering the
module's limits, so the tests stay quick; nothing is timed."""

import threading

import numpy as np
import pandas as pd
from qtpy.QtCore import QItemSelection, QItemSelectionModel, Qt
from qtpy.QtWidgets import QApplication, QFileDialog, QMessageBox

from napari_seg_eval._qt import tables
from napari_seg_eval._qt.tables import ResultTable


def frame() -> pd.DataFrame:
    """Five objects; no catalogue table, so each header is its column's name."""
    return pd.DataFrame(
        {
            "kind": ["true", "pred", "true", "pred", "true"],
            "label": [3, 1, 4, 1, 5],
            "iou": [0.5, np.nan, 0.25, 0.75, 1.0],
            "error": ["missed", "", "merged", "fragment", ""],
        }
    )


def table_of(qtbot, rows: pd.DataFrame | None = None) -> ResultTable:
    table = ResultTable("objects")
    qtbot.addWidget(table)
    table.set_frame(frame() if rows is None else rows)
    return table


def no_cell_by_cell(table: ResultTable, monkeypatch) -> None:
    """The per-cell list of a selection is what made Ctrl+A then Copy take 7-14 s on 200k
    rows (2.6 M QModelIndex objects): Copy must not ask for it."""

    def refused():
        raise AssertionError("Copy walked the selection cell by cell")

    monkeypatch.setattr(table.view.selectionModel(), "selectedIndexes", refused)


def select(table: ResultTable, top: int, left: int, bottom: int, right: int) -> None:
    model = table.model
    table.view.selectionModel().select(
        QItemSelection(model.index(top, left), model.index(bottom, right)),
        QItemSelectionModel.SelectionFlag.Select,
    )


def test_copy_takes_scattered_selections_from_their_ranges(qtbot, monkeypatch):
    table = table_of(qtbot)
    no_cell_by_cell(table, monkeypatch)
    # Two rectangles: rows 0-1 × columns 1-2 (label, iou) and row 4 × column 3 (error). Copy
    # gives the rows holding a selected cell (0, 1, 4) × the columns holding one (1, 2, 3);
    # the undefined iou of row 1 is an empty cell.
    select(table, 0, 1, 1, 2)
    select(table, 4, 3, 4, 3)
    assert table.copy() == "label\tiou\terror\n3\t0.5\tmissed\n1\t\t\n5\t1.0\t\n"
    assert QApplication.clipboard().text() == table.copy()

    # Whole rows 2 and 4: every column of those rows.
    table.view.clearSelection()
    select(table, 2, 0, 2, 3)
    select(table, 4, 0, 4, 3)
    assert table.copy() == "kind\tlabel\tiou\terror\ntrue\t4\t0.25\tmerged\ntrue\t5\t1.0\t\n"

    # A whole column (label), as clicking its cells from the first to the last selects it.
    table.view.clearSelection()
    table.view.selectColumn(1)
    assert table.copy() == "label\n3\n1\n4\n1\n5\n"

    # Sorted by iou, largest first (undefined last): rows 1.0, 0.75, 0.5, 0.25, —. The first
    # two rows' kind and iou (columns 0 and 2, not label between them) and the last row's
    # kind: rows 0, 1, 4 × columns 0, 2.
    table.view.clearSelection()
    table.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    select(table, 0, 0, 1, 0)
    select(table, 0, 2, 1, 2)
    select(table, 4, 0, 4, 0)
    assert table.copy() == "kind\tiou\ntrue\t1.0\npred\t0.75\npred\t\n"


def test_export_in_a_worker_writes_the_same_file_and_leaves_no_temp(qtbot, tmp_path, monkeypatch):
    table = table_of(qtbot)
    # The file a plain pandas write gives, by hand: the API's names, NaN and "" as nothing.
    expected = (
        "kind,label,iou,error\n"
        "true,3,0.5,missed\n"
        "pred,1,,\n"
        "true,4,0.25,merged\n"
        "pred,1,0.75,fragment\n"
        "true,5,1.0,\n"
    )
    path = tmp_path / "objects.csv"
    path.write_text("old\n")  # chosen in the file dialog: replaced once the table is written
    with qtbot.waitSignal(table.exported, timeout=10_000) as written:
        assert table.export_csv(path, wait=False) is None  # the worker writes it
    assert written.args == [path]
    assert path.read_text() == expected
    assert list(tmp_path.iterdir()) == [path]  # no hidden temporary file left beside it

    # The button: a table of more than WORKER_CELLS cells (5 rows × 4 columns = 20 > 0) is
    # written in a worker, in steps of CHUNK_CELLS // 4 columns = 1 row: five pieces.
    monkeypatch.setattr(tables, "WORKER_CELLS", 0)
    monkeypatch.setattr(tables, "CHUNK_CELLS", 4)
    other = tmp_path / "button.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(other), "CSV"))
    with qtbot.waitSignal(table.exported, timeout=10_000):
        table.export_button.click()
    assert other.read_text() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["button.csv", "objects.csv"]
    assert "Exported 5 rows" in table.status_label.text()
    assert not table.cancel_button.isVisible() and table.export_button.isEnabled()


def held_after_first_piece(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """Make the worker stop after its first piece until the test lets it go on: ``started``
    is set once that piece is formatted; the worker then waits for ``go``."""
    started, go = threading.Event(), threading.Event()
    to_csv = pd.DataFrame.to_csv

    def held(self, *args, **kwargs):
        text = to_csv(self, *args, **kwargs)
        if threading.current_thread() is not threading.main_thread() and not started.is_set():
            started.set()
            go.wait(30)
        return text

    monkeypatch.setattr(pd.DataFrame, "to_csv", held)
    monkeypatch.setattr(tables, "CHUNK_CELLS", 4)  # one row per piece: five pieces
    return started, go


def test_cancelling_an_export_leaves_nothing(qtbot, tmp_path, monkeypatch):
    table = table_of(qtbot)
    started, go = held_after_first_piece(monkeypatch)
    path = tmp_path / "objects.csv"
    path.write_text("old\n")
    exported = []
    table.exported.connect(exported.append)
    table.export_csv(path, wait=False)
    qtbot.waitUntil(started.is_set, timeout=10_000)  # the first row is in the hidden file
    assert table.cancel_button.isVisibleTo(table) and not table.export_button.isEnabled()
    assert len(list(tmp_path.iterdir())) == 2  # the file and the hidden one being written
    with qtbot.waitSignal(table.job.finished, timeout=10_000):
        table.cancel_button.click()
        go.set()
    assert list(tmp_path.iterdir()) == [path]  # the hidden file is gone
    assert path.read_text() == "old\n"  # and the user's file as it was
    assert exported == []
    assert table.status_label.text() == "Cancelled: nothing written."
    assert not table.cancel_button.isVisibleTo(table) and table.export_button.isEnabled()


def test_copy_in_a_worker_gives_the_same_text_and_cancel_copies_nothing(qtbot, monkeypatch):
    table = table_of(qtbot)
    select(table, 1, 1, 3, 2)  # rows 1-3 × label, iou
    expected = "label\tiou\n1\t\n4\t0.25\n1\t0.75\n"
    assert table.copy() == expected  # small: here
    QApplication.clipboard().setText("before")
    with qtbot.waitSignal(table.copied, timeout=10_000) as copied:
        assert table.copy(wait=False) is None
    assert QApplication.clipboard().text() == expected
    assert copied.args == [len(expected)]
    # Text beyond ASCII reaches the clipboard as it is (the worker hands Qt UTF-8 bytes).
    words = table_of(qtbot, pd.DataFrame({"note": ["naïve µm — 細胞"]}))
    with qtbot.waitSignal(words.copied, timeout=10_000):
        words.copy(wait=False)
    assert QApplication.clipboard().text() == "note\nnaïve µm — 細胞\n"
    assert QApplication.clipboard().mimeData().text() == "note\nnaïve µm — 細胞\n"

    qtbot.waitUntil(lambda: not table.job.running)  # its worker's end is not the next one's
    started, go = held_after_first_piece(monkeypatch)
    QApplication.clipboard().setText("before")
    table.copy(wait=False)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    with qtbot.waitSignal(table.job.finished, timeout=10_000):
        table.cancel()
        go.set()
    assert QApplication.clipboard().text() == "before"
    assert table.status_label.text() == "Cancelled: nothing copied."


def test_a_copy_of_hundreds_of_megabytes_asks_first(qtbot, monkeypatch):
    table = table_of(qtbot)
    monkeypatch.setattr(tables, "WORKER_CELLS", 0)
    # The whole table (nothing selected) is 5 rows: its estimate (the rows' text, header
    # included, scaled to 5 rows) is far over 10 bytes.
    monkeypatch.setattr(tables, "CONFIRM_CLIPBOARD_BYTES", 10)
    asked = []

    def answer(button):
        def question(parent, title, text, *args):
            asked.append(text)
            return button

        return question

    QApplication.clipboard().setText("before")
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    table.copy_button.click()
    assert len(asked) == 1 and asked[0].startswith("Copy 5 rows, about ")
    assert "Export CSV" in asked[0]
    assert not table.job.running and QApplication.clipboard().text() == "before"

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(table.copied, timeout=10_000):
        table.copy_button.click()
    assert QApplication.clipboard().text().startswith("kind\tlabel\tiou\terror\ntrue\t3\t")


def test_sorting_computes_the_key_once_per_distinct_value(qtbot, monkeypatch):
    """The Review table's "kind" and "status" of 3.2 M rows took 2.4-3.2 s to sort: the key
    (regular expressions, case folding) was computed for every row."""
    seen = []
    sort_key = tables.sort_key

    def counted(values):
        seen.append(len(values))
        return sort_key(values)

    monkeypatch.setattr(tables, "sort_key", counted)
    rows = pd.DataFrame({"name": ["b", "A", None, "a", "b", "B"], "n": [1, 2, 3, 4, 5, 6]})
    model = tables.DataFrameModel(rows)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert seen and max(seen) <= 4  # the distinct names: b, A, a, B
    # In any case, ties in their order, no name last: A(2) a(4) b(1) b(5) B(6), None(3).
    assert model.frame["n"].tolist() == [2, 4, 1, 5, 6, 3]
    model.sort(0, Qt.SortOrder.DescendingOrder)  # b, b, B (in their order), A, a, None
    assert model.frame["n"].tolist() == [1, 5, 6, 2, 4, 3]


def test_a_long_table_sorts_in_a_worker_and_its_selection_follows(qtbot, monkeypatch):
    monkeypatch.setattr(tables, "SORT_WORKER_ROWS", 0)  # every table is long
    monkeypatch.setattr(tables, "KEPT_SELECTION_ROWS", 0)  # every selection goes by ranges
    table = table_of(qtbot)
    select(table, 0, 1, 1, 1)  # label of rows 0 (3) and 1 (1)
    select(table, 4, 3, 4, 3)  # error of row 4 (label 5)
    with qtbot.waitSignal(table.model.sort_job.finished, timeout=10_000):
        # what a click on the "label" header does
        table.view.horizontalHeader().setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        assert table.model.frame["label"].tolist() == [3, 1, 4, 1, 5]  # not yet
    # label ascending, ties in their order: 1 (row 1), 1 (row 3), 3 (row 0), 4, 5.
    assert table.model.frame["label"].tolist() == [1, 1, 3, 4, 5]
    assert table.model.frame["kind"].tolist() == ["pred", "pred", "true", "true", "true"]
    # Old rows 0, 1, 4 are now rows 2, 0, 4: the same cells are selected.
    selected = table.view.selectionModel().selectedIndexes()
    assert sorted((i.row(), i.column()) for i in selected) == [(0, 1), (2, 1), (4, 3)]
    assert not table.status_label.isVisibleTo(table)  # "Sorting 5 rows…" is gone
