"""Saving runs never deletes the user's files, and every write is staged (review175, runs178).

``overwrite=True`` replaced any folder of CSV files (the user's own, named like the run) whole;
a run saved again into its own folder was written in place, so a failure half-way left a mixed
folder; ``Run.save(".")`` renamed the current folder aside; a save's hidden leftovers loaded
as runs, and a folder of runs loaded then saved back was duplicated as "(2)".
"""

import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.runs import Run, Runs

TRUE = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
# Objects 1 and 2 found, 3 missed: TP 2, FP 0, FN 1, F1 = 2 TP / (2 TP + FP + FN) = 4/5.
FINDS_TWO = np.array([[1, 1, 0, 2, 2, 0, 0, 0]])
# All three found (other ids): F1 = 1.
FINDS_ALL = np.array([[4, 4, 0, 5, 5, 0, 6, 6]])


def session(prediction: np.ndarray, name: str = "model") -> Runs:
    """The runs of a session that evaluated ``prediction`` once, as ``name``."""
    runs = Runs()
    runs.add(evaluate(TRUE, prediction), name=name)
    return runs


def contents(folder) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def real(path) -> str:
    return os.path.realpath(path)


def test_overwrite_never_deletes_the_users_csv_files_or_report(tmp_path):
    # A folder of the user's own CSV file, named as the run: kept, the run saved beside it.
    folder = tmp_path / "runs"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "my_measurements.csv").write_text("cell,area\n1,523\n")
    runs = session(FINDS_ALL)
    runs.save(folder, overwrite=True)
    assert (folder / "model" / "my_measurements.csv").read_text() == "cell,area\n1,523\n"
    assert sorted(path.name for path in (folder / "model").iterdir()) == ["my_measurements.csv"]
    assert str(runs["model"].saved_to) == real(folder / "model (2)")
    assert float(Run.load(folder / "model (2)").headline["f1_50"]) == 1.0

    # The user's report.html and data.csv, even named as a run's files, with no settings.json.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "report.html").write_text("<p>my report</p>")
    (theirs / "data.csv").write_text("a\n1\n")
    (theirs / "summary.csv").write_text("metric,value\n")
    before = contents(theirs)
    with pytest.raises(FileExistsError, match=r"not a saved run's \(data\.csv\)"):
        runs["model"].save(theirs, overwrite=True)
    (theirs / "data.csv").unlink()
    before.pop("data.csv")
    with pytest.raises(FileExistsError, match=r"no settings\.json: it is not a saved run"):
        runs["model"].save(theirs, overwrite=True)
    assert contents(theirs) == before

    # A saved run with the user's cell_areas.csv beside it: refused, nothing changed.
    saved = tmp_path / "saved"
    session(FINDS_TWO).save(saved)
    (saved / "model" / "cell_areas.csv").write_text("a\n1\n")
    before = contents(saved)
    with pytest.raises(FileExistsError, match=r"not a saved run's \(cell_areas\.csv\)"):
        session(FINDS_ALL)["model"].save(saved / "model", overwrite=True)
    assert contents(saved) == before

    # Without the user's file the saved run is replaced, its report.html (the command line's,
    # written beside the run's files) with it.
    (saved / "model" / "cell_areas.csv").unlink()
    (saved / "model" / "report.html").write_text("<p>the old run's report</p>")
    session(FINDS_ALL)["model"].save(saved / "model", overwrite=True)
    assert "report.html" not in contents(saved / "model")
    assert float(Run.load(saved / "model").headline["f1_50"]) == 1.0


def test_overwrite_never_replaces_through_a_symbolic_link(tmp_path):
    # runs/model links to the user's folder of CSV files: it is never written through.
    user = tmp_path / "userdata"
    user.mkdir()
    (user / "m.csv").write_text("a\n1\n")
    (tmp_path / "runs").mkdir()
    os.symlink(user, tmp_path / "runs" / "model")
    runs = session(FINDS_ALL)
    runs.save(tmp_path / "runs", overwrite=True)
    assert sorted(path.name for path in user.iterdir()) == ["m.csv"]
    assert str(runs["model"].saved_to) == real(tmp_path / "runs" / "model (2)")

    # A link to a folder holding a saved run: not replaced through the link either.
    session(FINDS_TWO).save(tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere" / "model", tmp_path / "link")
    before = contents(tmp_path / "elsewhere")
    with pytest.raises(FileExistsError, match="never replaced through a link"):
        session(FINDS_ALL)["model"].save(tmp_path / "link", overwrite=True)
    assert contents(tmp_path / "elsewhere") == before


def test_a_save_into_its_own_folder_that_fails_leaves_the_earlier_save_whole(tmp_path):
    runs = session(FINDS_TWO)
    run = runs["model"]
    runs.save(tmp_path)
    (tmp_path / "model" / "notes.txt").write_text("my notes")  # the user's, beside the run
    before = contents(tmp_path / "model")

    run.tables["summary"] = run.tables["summary"].assign(value=0.123)
    no_space = OSError(28, "No space left on device")
    with (
        mock.patch("numpy.savez_compressed", side_effect=no_space),
        pytest.raises(OSError, match="No space left"),
    ):
        runs.save(tmp_path)
    assert contents(tmp_path / "model") == before  # byte for byte: nothing mixed
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]  # no leftover
    assert float(Run.load(tmp_path / "model").headline["f1_50"]) == pytest.approx(4 / 5)

    # Saved again without the failure: updated in place, the user's file kept.
    runs.save(tmp_path)
    assert str(run.saved_to) == real(tmp_path / "model")
    assert (tmp_path / "model" / "notes.txt").read_text() == "my notes"
    assert set(Run.load(tmp_path / "model").tables["summary"]["value"]) == {0.123}


def test_saving_into_the_empty_current_folder_writes_into_it(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    run = session(FINDS_TWO)["model"]
    assert run.save(".") == Path(".")  # the folder given
    assert os.path.samefile(os.getcwd(), work)  # the process's folder is still there
    assert str(run.saved_to) == real(work)
    assert float(Run.load(work).headline["f1_50"]) == pytest.approx(4 / 5)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["work"]


def test_runs_load_skips_hidden_leftovers_and_saves_back_without_copies(tmp_path):
    folder = tmp_path / "runs"
    runs = session(FINDS_TWO, name="a")
    runs.add(evaluate(TRUE, FINDS_ALL), name="b")
    runs.save(folder)
    session(FINDS_ALL, name="a").save(folder)  # another session's "a": saved as "a (2)"
    # What a save killed between writing and renaming leaves: a hidden folder.
    (folder / ".a.1a2b3c4d").mkdir()
    for path in (folder / "a").iterdir():
        (folder / ".a.1a2b3c4d" / path.name).write_bytes(path.read_bytes())

    loaded = Runs()
    assert [run.name for run in loaded.load(folder)] == ["a", "a (2)", "b"]
    loaded.save(folder)  # each run updates the folder it was loaded from
    assert sorted(path.name for path in folder.iterdir()) == [".a.1a2b3c4d", "a", "a (2)", "b"]
    assert [str(run.saved_to) for run in loaded] == [
        real(folder / "a"),
        real(folder / "a (2)"),
        real(folder / "b"),
    ]
    again = [float(run.headline["f1_50"]) for run in Runs().load(folder)]
    assert again == pytest.approx([4 / 5, 1.0, 1.0])


def test_the_runs_tab_says_what_took_a_runs_folder_name(make_napari_viewer, tmp_path, monkeypatch):
    pytest.importorskip("napari")
    from napari_seg_eval._qt import runs_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

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

    user = tmp_path / "A" / "run_1_prediction"
    user.mkdir(parents=True)
    (user / "holiday.jpg").write_bytes(b"\xff\xd8")
    panel.save(tmp_path / "A")
    saved = real(tmp_path / "A" / "run_1_prediction (2)")
    assert panel.status_label.text() == (
        f"Saved 1 run(s) to {tmp_path / 'A'}. 1 saved under a new name, as a folder of its "
        f"name there holds other files (kept): {saved}."
    )
    assert len(shown) == 1 and "holds other files (kept)" in shown[0]

    # A second run whose folder name is the first's: it takes the second folder of this save.
    panel.runs.add(Run.load(saved), name="run 1/ prediction")
    panel.save(tmp_path / "B")
    second = real(tmp_path / "B" / "run_1_prediction (2)")
    assert panel.status_label.text() == (
        f"Saved 2 run(s) to {tmp_path / 'B'}. 1 saved under a new name, as another run of this "
        f"save ('run 1: prediction') is saved as 'run_1_prediction': {second}."
    )

    # Renamed, then saved again: it updates its own folder, said as such, and makes no other.
    panel.runs.rename("run 1/ prediction", "renamed")
    panel.save(tmp_path / "B")
    assert sorted(path.name for path in (tmp_path / "B").iterdir()) == [
        "run_1_prediction",
        "run_1_prediction (2)",
    ]
    assert panel.status_label.text() == (
        f"Saved 2 run(s) to {tmp_path / 'B'}. 1 updated its own folder, saved or loaded before "
        f"under another name: {second}."
    )
    assert Run.load(second).name == "renamed"
