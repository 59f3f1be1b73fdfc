"""Runs › Save never replaces a run saved before (trial167 s5, runs172).

Session 2 of the trial saved runs with the default names of session 1's into the same folder
and rewrote them (F1 in session 1's summary.csv 0.7647 -> 0.7879), without a word.
"""

import os

import numpy as np
import pandas as pd
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


def test_a_second_session_keeps_the_first_sessions_run_of_the_same_name(tmp_path):
    folder = tmp_path / "my_runs"
    session(FINDS_TWO).save(folder)
    first = contents(folder / "model")
    assert {"settings.json", "summary.csv", "labels.npz"} <= set(first)

    second = session(FINDS_ALL)
    assert second.save(folder) == folder
    assert contents(folder / "model") == first  # byte for byte
    assert str(second["model"].saved_to) == real(folder / "model (2)")
    assert sorted(path.name for path in folder.iterdir()) == ["model", "model (2)"]
    assert float(Run.load(folder / "model").headline["f1_50"]) == pytest.approx(4 / 5)
    assert float(Run.load(folder / "model (2)").headline["f1_50"]) == 1.0
    # Both load back as runs of the folder, told apart by name.
    loaded = Runs().load(folder)
    assert [run.name for run in loaded] == ["model", "model (2)"]
    assert [float(run.headline["f1_50"]) for run in loaded] == pytest.approx([4 / 5, 1.0])


def test_the_same_run_saved_again_updates_its_own_folder_only(tmp_path):
    folder = tmp_path / "my_runs"
    runs = session(FINDS_TWO)
    run = runs["model"]
    run.tables["extra"] = pd.DataFrame({"value": [1]})
    runs.save(folder)
    (folder / "model" / "notes.txt").write_text("my notes")  # the user's own file

    run.tables["extra"] = pd.DataFrame()  # no longer computed: its file goes
    runs.save(folder)
    assert str(run.saved_to) == real(folder / "model")
    assert [path.name for path in folder.iterdir()] == ["model"]
    assert not (folder / "model" / "extra.csv").exists()
    assert (folder / "model" / "notes.txt").read_text() == "my notes"

    # Another session wrote its settings.json there meanwhile: the folder is no longer ours.
    session(FINDS_ALL, name="other model").save(tmp_path / "elsewhere")
    (folder / "model" / "settings.json").write_bytes(
        (tmp_path / "elsewhere" / "other_model" / "settings.json").read_bytes()
    )
    kept = contents(folder / "model")
    runs.save(folder)
    assert contents(folder / "model") == kept
    assert str(run.saved_to) == real(folder / "model (2)")


def test_run_save_refuses_a_saved_run_unless_overwrite_and_never_replaces_other_files(tmp_path):
    target = tmp_path / "model"
    old = session(FINDS_TWO)["model"]
    old.tables["extra"] = pd.DataFrame({"value": [1]})
    old.save(target)
    before = contents(target)
    new = session(FINDS_ALL)["model"]

    with pytest.raises(FileExistsError, match=r"model already holds a saved run \('model', saved "):
        new.save(target)
    assert contents(target) == before
    assert new.saved_to is None

    # With overwrite=True it is replaced whole: the old run's extra table goes with it.
    assert new.save(target, overwrite=True) == target
    assert "extra.csv" not in contents(target)
    assert float(Run.load(target).headline["f1_50"]) == 1.0

    # A folder holding anything but a run's files is never replaced.
    (target / "notes.txt").write_text("my notes")
    before = contents(target)
    with pytest.raises(FileExistsError, match=r"not a saved run's \(notes\.txt\)"):
        session(FINDS_TWO)["model"].save(target, overwrite=True)
    assert contents(target) == before

    (tmp_path / "a file").write_text("x")
    with pytest.raises(FileExistsError, match="a file exists and is not a folder"):
        new.save(tmp_path / "a file")
    with pytest.raises(FileExistsError, match="a file exists and is not a folder"):
        Runs().save(tmp_path / "a file")
    assert (tmp_path / "a file").read_text() == "x"


def test_runs_save_overwrite_replaces_runs_of_the_same_name_only(tmp_path):
    folder = tmp_path / "my_runs"
    session(FINDS_TWO).save(folder)
    (folder / "mine").mkdir()
    (folder / "mine" / "notes.txt").write_text("my notes")

    runs = session(FINDS_ALL)
    runs.add(evaluate(TRUE, FINDS_TWO), name="mine")
    runs.add(evaluate(TRUE, FINDS_TWO), name="model?")  # folder name "model" too
    runs.save(folder, overwrite=True)
    assert [str(run.saved_to) for run in runs] == [
        real(folder / "model"),  # replaced: overwrite
        real(folder / "mine (2)"),  # "mine" holds the user's files: kept
        real(folder / "model (2)"),  # "model" taken by the first run of this save
    ]
    assert float(Run.load(folder / "model").headline["f1_50"]) == 1.0
    assert (folder / "mine" / "notes.txt").read_text() == "my notes"
    assert sorted(path.name for path in (folder / "mine").iterdir()) == ["notes.txt"]


def test_the_runs_tab_saves_beside_an_earlier_sessions_run_and_names_the_folder(
    make_napari_viewer, tmp_path, monkeypatch
):
    pytest.importorskip("napari")
    from napari_seg_eval._qt import runs_panel
    from napari_seg_eval._qt.widget import SegEvalWidget

    shown: list[str] = []
    monkeypatch.setattr(runs_panel, "show_info", shown.append)
    folder = tmp_path / "my_runs"
    earlier = session(FINDS_TWO, name="run 1: prediction")  # the tab's default name
    earlier.save(folder)
    before = contents(folder)

    viewer = make_napari_viewer()
    viewer.add_labels(TRUE, name="truth")
    viewer.add_labels(FINDS_ALL, name="prediction")
    widget = SegEvalWidget(viewer)  # the plugin's dock, built directly
    widget.set_ground_truth("truth")
    widget.set_prediction("prediction")
    widget.evaluate.kind_combo.setCurrentText("instance")
    widget.run_evaluation(wait=True)
    panel = widget.runs
    assert panel.runs.names == ["run 1: prediction"]

    assert panel.save(folder) == folder
    saved = folder / "run_1_prediction (2)"
    assert {name: data for name, data in contents(folder).items() if "(2)" not in name} == before
    assert float(Run.load(saved).headline["f1_50"]) == 1.0
    message = panel.status_label.text()
    assert f"Saved 1 run(s) to {folder}." in message
    assert real(saved) in message and "holds another run (kept)" in message
    assert len(shown) == 1 and real(saved) in shown[0]

    # Saved again: the run updates its own folder, a third one is not made.
    panel.save(folder)
    assert sorted(path.name for path in folder.iterdir()) == [
        "run_1_prediction",
        "run_1_prediction (2)",
    ]
    # ... and is not said again to be saved under a new name (trial180).
    assert panel.status_label.text() == f"Saved 1 run(s) to {folder}."
    assert len(shown) == 1
