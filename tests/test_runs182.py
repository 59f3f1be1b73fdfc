"""Saving runs: a replace is all or nothing, a run loaded twice saves, the rename said once
(review181, runs182).

A save over an existing run folder renamed its new files in one by one, so a rename failing
part-way (on Windows: a CSV open in Excel) left the folder part one run, part the other; the
same saved run loaded twice made saving all the runs fail part-way (both "owned" its folder);
and the Runs tab said again, at every save of a session, that a run had been saved under a
new name when it only updated the folder the first save had chosen.
"""

import os
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import napari_seg_eval.runs as runs_module
from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.runs import Run, Runs

TRUE = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
# Objects 1 and 2 found, 3 missed: TP 2, FP 0, FN 1, F1 = 2 TP / (2 TP + FP + FN) = 4/5.
FINDS_TWO = np.array([[1, 1, 0, 2, 2, 0, 0, 0]])
# All three found (other ids): F1 = 1.
FINDS_ALL = np.array([[4, 4, 0, 5, 5, 0, 6, 6]])


def contents(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (name -> bytes)."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def real(path) -> str:
    return os.path.realpath(path)


def failing_at(failure: int, calls: list[str]):
    """An ``os.replace`` that fails (as a file open in another program on Windows) at its
    ``failure``-th call, counting its calls in ``calls``."""
    replace = os.replace

    def flaky(source, destination):
        calls.append(Path(destination).name)
        if len(calls) == failure:
            raise PermissionError(13, "The process cannot access the file", str(destination))
        return replace(source, destination)

    return flaky


def same_as_saved(folder: Path, reference: Path) -> bool:
    """Whether ``folder`` holds the files of the save in ``reference``: the same names, the
    same bytes of the tables and settings, the same label images (a zip's times differ)."""
    if sorted(os.listdir(folder)) != sorted(os.listdir(reference)):
        return False
    for name in os.listdir(reference):
        if name == "labels.npz":
            with np.load(folder / name) as ours, np.load(reference / name) as theirs:
                if sorted(ours) != sorted(theirs) or any(
                    not np.array_equal(ours[key], theirs[key]) for key in theirs
                ):
                    return False
        elif (folder / name).read_bytes() != (reference / name).read_bytes():
            return False
    return True


def replace_failing_at_every_rename(save, folder: Path, before: dict[str, bytes]) -> list[str]:
    """Call ``save()`` with the k-th rename failing, for k = 1, 2, ... until a save succeeds;
    checks after every failure that ``folder`` holds ``before`` byte for byte and nothing is
    left beside it. Returns the renames of the save that succeeded."""
    for failure in range(1, 100):
        calls: list[str] = []
        with mock.patch.object(runs_module.os, "replace", failing_at(failure, calls)):
            try:
                save()
            except PermissionError:
                assert contents(folder) == before, f"mixed after failing at rename {failure}"
                assert os.listdir(folder.parent) == [folder.name]  # no hidden leftover
                continue
        assert os.listdir(folder.parent) == [folder.name]
        return calls
    raise AssertionError("the save never succeeded")


def test_overwrite_failing_at_any_rename_leaves_the_earlier_run_whole(tmp_path):
    runs = Runs()
    first = runs.add(evaluate(TRUE, FINDS_TWO), name="A")
    second = runs.add(evaluate(TRUE, FINDS_ALL), name="B")
    second.save(tmp_path / "reference" / "B")  # what B's save writes
    folder = tmp_path / "runs" / "A"
    first.save(folder)
    before = contents(folder)
    files = sorted(before)
    assert "summary.csv" in files and "settings.json" in files

    renames = replace_failing_at_every_rename(
        lambda: second.save(folder, overwrite=True), folder, before
    )
    # Each of A's files renamed aside, then each of B's (the same names) renamed in.
    assert renames == [
        *files,
        *[name for name in files if name != "settings.json"],
        "settings.json",
    ]
    assert same_as_saved(folder, tmp_path / "reference" / "B")
    assert Run.load(folder).name == "B"
    assert float(Run.load(folder).headline["f1_50"]) == 1.0


def test_updating_its_own_folder_failing_at_any_rename_leaves_it_as_it_was(tmp_path):
    runs = Runs()
    run = runs.add(evaluate(TRUE, FINDS_TWO), name="A")
    folder = tmp_path / "runs" / "A"
    run.save(folder)
    (folder / "notes.txt").write_text("my notes")  # the user's, beside the run: kept
    before = contents(folder)
    assert "per_class.csv" in before

    # The run changed: a table gone (its file removed by the save), a value changed.
    run.tables["per_class"] = pd.DataFrame()
    run.tables["summary"] = run.tables["summary"].assign(value=0.25)
    renames = replace_failing_at_every_rename(lambda: run.save(folder), folder, before)
    kept = sorted(name for name in before if name != "notes.txt")
    written = [name for name in kept if name != "per_class.csv"]
    assert renames == [
        *kept,
        *[name for name in written if name != "settings.json"],
        "settings.json",
    ]
    assert sorted(os.listdir(folder)) == sorted([*written, "notes.txt"])
    assert (folder / "notes.txt").read_text() == "my notes"
    assert set(Run.load(folder).tables["summary"]["value"]) == {0.25}


def test_a_failure_putting_the_old_files_back_names_where_they_are_kept(tmp_path):
    runs = Runs()
    first = runs.add(evaluate(TRUE, FINDS_TWO), name="A")
    second = runs.add(evaluate(TRUE, FINDS_ALL), name="B")
    folder = tmp_path / "runs" / "A"
    first.save(folder)
    before = contents(folder)
    replace = os.replace
    calls: list[str] = []

    def failing_from_the_third(source, destination):
        calls.append(Path(destination).name)
        if len(calls) >= 3:  # the third file aside, and the first put back, fail
            raise PermissionError(13, "The process cannot access the file", str(destination))
        return replace(source, destination)

    with (
        mock.patch.object(runs_module.os, "replace", failing_from_the_third),
        pytest.raises(OSError, match="could not all be put back") as raised,
    ):
        second.save(folder, overwrite=True)
    (backup,) = [path for path in folder.parent.iterdir() if path.name.endswith(".replaced")]
    assert str(backup) in str(raised.value)
    # Nothing lost: the two files put aside are in the hidden folder, the others in place.
    aside = sorted(before)[:2]
    assert contents(backup) == {name: before[name] for name in aside}
    assert contents(folder) == {name: data for name, data in before.items() if name not in aside}


def test_a_run_loaded_twice_is_saved_beside_its_first_copy(tmp_path):
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO), name="A")
    runs.add(evaluate(TRUE, FINDS_ALL), name="B")
    runs.save(tmp_path)
    for name in ("A", "B"):  # the same runs again, as "A (2)", "B (2)" (Runs.load adds none)
        runs.add(Run.load(tmp_path / name))
    assert runs.names == ["A", "B", "A (2)", "B (2)"]
    runs.save(tmp_path)  # raised FileExistsError at the copy of A
    assert [run.saved_to.name for run in runs] == ["A", "B", "A_2", "B_2"]
    assert sorted(os.listdir(tmp_path)) == ["A", "A_2", "B", "B_2"]
    headlines = {run.name: float(run.headline["f1_50"]) for run in Runs().load(tmp_path)}
    assert headlines == pytest.approx({"A": 4 / 5, "A (2)": 4 / 5, "B": 1.0, "B (2)": 1.0})

    # Loaded twice by a new session, the second copy named as the folder, saved with
    # overwrite: it does not replace the first's save; the first updates the folder.
    session = Runs()
    session.load(tmp_path / "A")
    session.add(Run.load(tmp_path / "A"))
    session.rename("A", "first")
    session.rename("A (2)", "A")
    session.save(tmp_path, overwrite=True)
    assert [str(run.saved_to) for run in session] == [
        real(tmp_path / "A"),
        real(tmp_path / "A (2)"),
    ]
    assert Run.load(tmp_path / "A").name == "first"
    assert Run.load(tmp_path / "A (2)").name == "A"


def test_the_runs_tab_says_a_new_name_once(make_napari_viewer, tmp_path, monkeypatch):
    pytest.importorskip("napari")
    from napari_seg_eval._qt import runs_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    # A run saved by an earlier session, in the folder of this session's run's name.
    earlier = Runs()
    earlier.add(evaluate(TRUE, FINDS_ALL), name="run 1: prediction")
    earlier.save(tmp_path)

    shown: list[str] = []
    monkeypatch.setattr(runs_panel, "show_info", shown.append)
    viewer = make_napari_viewer()
    viewer.add_labels(TRUE, name="truth")
    viewer.add_labels(FINDS_TWO, name="prediction")
    widget = SegEvalWidget(viewer)
    widget.set_ground_truth("truth")
    widget.set_prediction("prediction")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    panel = widget.runs
    assert panel.runs.names == ["run 1: prediction"]

    panel.save(tmp_path)
    saved = real(tmp_path / "run_1_prediction (2)")
    said = (
        f"Saved 1 run(s) to {tmp_path}. 1 saved under a new name, as a folder of its name "
        f"there holds another run (kept): {saved}."
    )
    assert panel.status_label.text() == said
    assert shown == [f"Segmentation Evaluation: {said}"]

    # Saved again: the run updates the folder the first save chose; no new name, not said.
    panel.save(tmp_path)
    assert panel.status_label.text() == f"Saved 1 run(s) to {tmp_path}."
    assert len(shown) == 1
    assert sorted(os.listdir(tmp_path)) == ["run_1_prediction", "run_1_prediction (2)"]
    assert float(Run.load(saved).headline["f1_50"]) == pytest.approx(4 / 5)
    assert float(Run.load(tmp_path / "run_1_prediction").headline["f1_50"]) == 1.0
