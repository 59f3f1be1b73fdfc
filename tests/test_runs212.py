"""The save journal's recovery touches only what the save renamed (runs212).

A save killed while renaming leaves its journal, which the next load or save acted on: it
renamed back and removed by the names it listed, whatever files had those names by then (a
run saved again since lost its files to the earlier run's), took its entries as paths (one
naming ``../precious`` removed a folder beside the runs), kept itself silently when it could
not finish, refused to save on a file system that locks no file, and gave raw errors naming
hidden folders. The Runs tab's layer of changes stayed in the viewer, tied to a deleted truth.
"""

import errno
import fcntl
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import napari_seg_eval.runs as runs_module
from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.runs import Run, Runs

TRUE = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
# Object 1 found only: TP 1, FN 2, F1 = 2 TP / (2 TP + FP + FN) = 2/4 = 1/2.
FINDS_ONE = np.array([[1, 1, 0, 0, 0, 0, 0, 0]])
# All three found (other ids): F1 = 1.
FINDS_ALL = np.array([[4, 4, 0, 5, 5, 0, 6, 6]])
JOURNAL = ".napari-seg-eval-save.0badf00d.json"


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` (not below), its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def f1_of(folder: Path) -> dict[str, float]:
    return {run.name: float(run.headline["f1_50"]) for run in Runs().load(folder)}


def saved_run_a(folder: Path) -> Runs:
    """A collection of run "A" (F1 1/2) saved to ``folder``: its own folder ``folder/A``."""
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_ONE, kind="instance"), name="A")
    runs.save(folder)
    return runs


def killed_update(runs: Runs, folder: Path, step: int, monkeypatch) -> None:
    """Save ``runs`` (run "A" changed: F1 written as 0.25) into its own folder again, the save
    stopped at its ``step``-th rename as a killed process stops: nothing renamed back, its
    journal left (closed: a killed process holds no lock)."""
    run = runs["A"]
    summary = run.tables["summary"]
    run.tables["summary"] = summary.assign(
        value=summary["value"].where(summary["metric"] != "f1_50", 0.25)
    )
    renames = [0]
    replace = os.replace

    def killed_at_step(source, destination):
        renames[0] += 1
        if renames[0] == step:
            raise KeyboardInterrupt  # the kill: what follows is the killed process's
        replace(source, destination)

    def no_roll_back(self):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", killed_at_step)
        patch.setattr(runs_module._Moves, "roll_back", no_roll_back)
        with pytest.raises(KeyboardInterrupt):
            runs.save(folder)
    assert list(folder.glob(".napari-seg-eval-save.*.json"))  # the journal left


# ------------------------------------------------------------------ 2. a foreign journal
@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ({"target": "A", "staging": "../precious"}, "its hidden folder '../precious' is not"),
        ({"target": "A", "staging": "ABSOLUTE"}, "its hidden folder 'ABSOLUTE' is not"),
        ({"target": "../precious", "staging": ".A.0badf00d"}, "its target '../precious' is not"),
    ],
    ids=["staging out of the folder", "staging absolute", "target out of the folder"],
)
def test_a_journal_naming_paths_out_of_the_folder_is_ignored(tmp_path, entry, why):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    (precious / ".A.0badf00d").mkdir()  # a staging folder beside it, by its name
    folder = tmp_path / "shared_runs"
    saved_run_a(folder)
    before = files_of(folder / "A")
    entry = {key: str(precious) if value == "ABSOLUTE" else value for key, value in entry.items()}
    why = why.replace("ABSOLUTE", str(precious))
    for done in (True, False):  # finished (clean-up) and unfinished (roll back)
        journal = folder / JOURNAL
        journal.write_text(
            json.dumps({"runs": [{**entry, "new": False, "written": [], "old": ["thesis.txt"]}]})
        )
        if done:
            journal.with_suffix(".done").touch()
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            loaded = Runs().load(folder)
        assert (precious / "thesis.txt").read_text() == "years of work"
        assert files_of(folder / "A") == before
        assert [run.name for run in loaded] == ["A"]
        words = [str(w.message) for w in said if str(journal) in str(w.message)]
        assert len(words) == 1
        assert f"{journal} is not a journal this program's save wrote ({why}" in words[0]
        assert "nothing it names is moved or removed" in words[0]
        journal.unlink()
        journal.with_suffix(".done").unlink(missing_ok=True)


# ------------------------------------------- 1. recovery after the folder was saved again
def test_a_killed_save_never_undoes_a_run_saved_since_in_its_place(tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    runs = saved_run_a(folder)
    killed_update(runs, folder, 4, monkeypatch)  # 3 old files renamed aside, then killed
    backups = list(folder.glob(".A.*.replaced"))
    assert len(backups) == 1
    # the user removes the broken-looking A and saves a fresh run A (F1 1) in its place
    shutil.rmtree(folder / "A")
    fresh = Runs()
    fresh.add(evaluate(TRUE, FINDS_ALL, kind="instance"), name="A")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        fresh.save(folder)
    saved = files_of(folder / "A")
    assert f1_of(folder) == {"A": 1.0}
    assert files_of(folder / "A") == saved  # the fresh run's files, every one
    assert not list(folder.glob(".napari-seg-eval-save.*"))  # the journal retired
    words = [str(w.message) for w in said if "interrupted" in str(w.message)]
    assert len(words) == 1
    assert str(folder / "A") in words[0] and str(backups[0]) in words[0]  # where they are
    # the 3 old files renamed aside are kept where the warning says
    assert sorted(p.name for p in backups[0].iterdir()) == [
        "labels.npz",
        "object_intervals.csv",
        "per_object.csv",
    ]


def test_a_killed_save_leaves_files_put_in_its_place_since(tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    runs = saved_run_a(folder)
    killed_update(runs, folder, 4, monkeypatch)
    (folder / "A" / "per_object.csv").write_text("the user's own table\n")  # in an old one's place
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        runs_module._recover_saves(folder)
    backup = next(folder.glob(".A.*.replaced"))
    assert (folder / "A" / "per_object.csv").read_text() == "the user's own table\n"
    words = [str(w.message) for w in said if "interrupted" in str(w.message)]
    assert len(words) == 1
    assert "per_object.csv" in words[0] and str(backup) in words[0]
    assert [p.name for p in backup.iterdir()] == ["per_object.csv"]  # the earlier one, kept
    # the two others are put back, and the journal retired: a later load changes nothing
    assert {"labels.npz", "object_intervals.csv"} <= set(files_of(folder / "A"))
    assert not list(folder.glob(".napari-seg-eval-save.*"))
    assert not [p for p in folder.iterdir() if p.name.startswith(".A.") and p != backup]


# --------------------------------------------------------- 3. a file system without locks
@pytest.mark.parametrize("code", [errno.ENOLCK, errno.EOPNOTSUPP])
def test_runs_are_saved_where_files_cannot_be_locked(tmp_path, monkeypatch, code):
    def no_locks(fd, operation):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(fcntl, "flock", no_locks)
    runs = Runs()
    run = runs.add(evaluate(TRUE, FINDS_ONE, kind="instance"), name="A")
    runs.save(tmp_path / "runs")
    run.save(tmp_path / "one")
    assert f1_of(tmp_path / "runs") == {"A": 0.5}
    assert float(Run.load(tmp_path / "one").headline["f1_50"]) == 0.5
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []  # no journal, no hidden folder


# ----------------------------------------------- 4. two sessions saving the same new name
@pytest.mark.parametrize("empty_folder_before", [False, True])
def test_a_run_saved_meanwhile_under_the_name_is_said_and_kept(
    tmp_path, monkeypatch, empty_folder_before
):
    folder = tmp_path / "runs"
    folder.mkdir()
    if empty_folder_before:
        (folder / "run1").mkdir()
    first, second = Runs(), Runs()
    first.add(evaluate(TRUE, FINDS_ONE, kind="instance"), name="run1")
    second.add(evaluate(TRUE, FINDS_ALL, kind="instance"), name="run1")
    put_in_place = runs_module._put_in_place
    pending = []
    with monkeypatch.context() as patch:  # both choose the name and write, then put in place
        patch.setattr(runs_module, "_put_in_place", lambda *args: pending.append(args))
        first.save(folder)
        second.save(folder)
    put_in_place(*pending[0])
    with pytest.raises(FileExistsError, match=r"'run1' in .* was saved meanwhile") as raised:
        put_in_place(*pending[1])
    assert ".run1." not in str(raised.value)  # no hidden folder named
    assert sorted(p.name for p in folder.iterdir()) == ["run1"]  # nothing hidden left
    assert f1_of(folder) == {"run1": 0.5}  # the first session's run, whole


# ---------------------------------- 4. a folder that cannot be written, left by a killed save
def test_a_run_left_by_a_killed_save_in_a_read_only_folder_says_so(tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    runs = saved_run_a(folder)
    killed_update(runs, folder, 6, monkeypatch)  # settings.json renamed aside, then killed
    backup = next(folder.glob(".A.*.replaced"))
    builtin_open = open

    def read_only(path, mode="r", *args, **kwargs):
        if "+" in mode or "w" in mode or "x" in mode:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return builtin_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(runs_module, "open", read_only, raising=False)
    with pytest.raises(FileNotFoundError, match="interrupted") as raised:
        Run.load(folder / "A")
    assert str(backup) in str(raised.value)  # where the run's earlier files are kept
    monkeypatch.undo()
    assert f1_of(folder) == {"A": 0.5}  # writable again: the run as it was before the save


# --------------------------------------------- 5. the layer of changes of a deleted truth
def compared_in_the_dock(make_napari_viewer):
    """A viewer with a truth and two models evaluated in the dock, the runs compared: the
    viewer, the Runs tab and the truth."""
    truth = np.zeros((8, 40), np.int32)
    for index in range(6):
        truth[2:5, 6 * index : 6 * index + 3] = index + 1
    viewer = make_napari_viewer()
    viewer.add_labels(truth, name="truth")
    viewer.add_labels(np.where(np.isin(truth, [1, 2]), truth + 10, 0), name="model A")
    viewer.add_labels(np.where(np.isin(truth, [1, 3]), truth + 10, 0), name="model B")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    for model in ("model A", "model B"):
        widget.set_ground_truth("truth")
        widget.set_prediction(model)
        widget.evaluate.kind_combo.setCurrentText("instance")
        widget.run_evaluation(wait=True)
    widget.runs.compare(*widget.runs.runs.names)
    return viewer, widget.runs, truth


def changes_layers(viewer) -> list[str]:
    from napari_seg_eval._napari.layers import tag

    return [layer.name for layer in viewer.layers if tag(layer).get("role") == "comparison"]


def test_the_layer_of_changes_goes_with_its_truth(make_napari_viewer, monkeypatch, qtbot):
    from napari_seg_eval._qt import runs_panel

    said = []
    monkeypatch.setattr(runs_panel, "show_info", said.append)
    viewer, panel, truth = compared_in_the_dock(make_napari_viewer)
    assert changes_layers(viewer) == ["run 2 vs run 1: 1 = fixed, 2 = broken"]
    viewer.layers.remove("truth")
    qtbot.waitUntil(lambda: [lay.name for lay in viewer.layers] == ["model A", "model B"])
    assert [lay.visible for lay in viewer.layers] == [True, True]  # hidden by it: shown again
    assert any(
        "'run 2 vs run 1: 1 = fixed, 2 = broken'" in text and "no longer in the viewer" in text
        for text in said
    )
    assert panel.comparison is not None  # the comparison stays in the tab
    # all layers removed at once (the truth with its layer of changes): none is left
    viewer.add_labels(truth, name="truth")
    panel.compare(*panel.runs.names)
    viewer.layers.select_all()
    viewer.layers.remove_selected()
    qtbot.waitUntil(lambda: not panel._orphans_timer.isActive())
    assert len(viewer.layers) == 0


def test_a_layer_of_changes_the_user_renamed_is_theirs(make_napari_viewer, qtbot):
    viewer, panel, _ = compared_in_the_dock(make_napari_viewer)
    viewer.layers["run 2 vs run 1: 1 = fixed, 2 = broken"].name = "my changes"
    panel.compare(*panel.runs.names)  # compared again: shown in a new layer, theirs kept
    assert changes_layers(viewer) == ["my changes", "run 2 vs run 1: 1 = fixed, 2 = broken"]
    viewer.layers.remove("run 2 vs run 1: 1 = fixed, 2 = broken")
    viewer.layers.remove("truth")  # kept with its truth gone
    qtbot.waitUntil(lambda: not panel._orphans_timer.isActive())  # it has looked
    assert changes_layers(viewer) == ["my changes"]


# ----------------- 2. a journal names folders in its folder only: a link is not saved through
def test_a_link_of_a_runs_name_is_kept_and_the_run_saved_beside_it(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "A").symlink_to(elsewhere, target_is_directory=True)  # to an empty folder
    runs = Runs()
    run = runs.add(evaluate(TRUE, FINDS_ONE, kind="instance"), name="A")
    runs.save(folder)
    assert run.saved_to == folder.resolve() / "A (2)"
    assert list(elsewhere.iterdir()) == []
    assert f1_of(folder / "A (2)") == {"A": 0.5}
