"""Saving runs: all of them or none, portable folder names, no parents left (runs204).

``Runs.save`` saved the runs one by one, each put in place by renames: a save interrupted
(Ctrl-C, or the process killed) while renaming left the runs' folder part new, part old, and a
run's own folder it had updated, or a saved run it had replaced, stayed so even when the save
failed. A run named "run1" was saved as ``run1`` beside a folder ``Run1``: one folder on a disk
that does not tell case. A save that could not make the parents of its folder left those it
had made.
"""

import os
import shutil
import subprocess
import sys
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
# Object 1 found only: TP 1, FN 2, F1 = 2/4 = 1/2.
FINDS_ONE = np.array([[1, 1, 0, 0, 0, 0, 0, 0]])


def snapshot(folder: Path) -> dict[str, object]:
    """Every file under ``folder`` (relative path -> its bytes; of a ``.npz`` its arrays, as
    a zip's times differ between saves) and every folder (relative path -> None)."""
    files: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_dir():
            files[name] = None
        elif path.suffix == ".npz":
            with np.load(path) as arrays:
                files[name] = {key: arrays[key].tolist() for key in sorted(arrays)}
        else:
            files[name] = path.read_bytes()
    return files


def f1_on_disk(folder: Path) -> dict[str, float]:
    """The F1 at IoU 0.5 of each run loaded from ``folder``, by run name."""
    return {run.name: float(run.headline["f1_50"]) for run in Runs().load(folder)}


def session_and_folder(tmp_path: Path) -> tuple[Runs, Path]:
    """A folder of runs saved before, with the user's files, and a session that saves there
    three runs: A updates its own folder (a value changed, a table gone), B replaces another
    session's saved run B (``overwrite``), C is new."""
    folder = tmp_path / "runs"
    earlier = Runs()
    earlier.add(evaluate(TRUE, FINDS_ONE, kind="instance"), name="B")
    earlier.save(folder)
    session = Runs()
    session.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="A")
    session.save(folder)
    (folder / "notes.txt").write_text("the user's")
    (folder / "mine").mkdir()
    (folder / "A" / "mine.txt").write_text("the user's too")
    a = session["A"]
    a.tables["per_class"] = pd.DataFrame()  # not computed: its file removed
    summary = a.tables["summary"]
    a.tables["summary"] = summary.assign(
        value=summary["value"].where(summary["metric"] != "f1_50", 0.25)
    )
    session.add(evaluate(TRUE, FINDS_ALL, kind="instance"), name="B")
    session.add(evaluate(TRUE, FINDS_ALL, kind="instance"), name="C")
    return session, folder


def interrupting_at(step: int, calls: list[str]):
    """Patches of ``os.replace`` and ``os.rename`` raising KeyboardInterrupt at the ``step``-th
    rename (counting both)."""
    replace, rename = os.replace, os.rename

    def counted(function):
        def renaming(source, destination, *args, **kwargs):
            calls.append(Path(destination).name)
            if len(calls) == step:
                raise KeyboardInterrupt
            return function(source, destination, *args, **kwargs)

        return renaming

    return (
        mock.patch.object(os, "replace", counted(replace)),
        mock.patch.object(os, "rename", counted(rename)),
    )


def test_a_save_interrupted_at_any_rename_leaves_the_folder_as_it_was(tmp_path):
    session, folder = session_and_folder(tmp_path)
    before = snapshot(folder)
    assert f1_on_disk(folder) == pytest.approx({"A": 0.8, "B": 0.5})
    saved_before = [run.saved_to for run in session]
    for step in range(1, 200):
        calls: list[str] = []
        patch_replace, patch_rename = interrupting_at(step, calls)
        try:
            with patch_replace, patch_rename:
                session.save(folder, overwrite=True)
        except KeyboardInterrupt:
            # As it was, byte for byte: A's own folder not updated, B not replaced, no C,
            # the user's files there; no hidden folder or journal left.
            assert snapshot(folder) == before, f"changed by a save interrupted at {step}"
            assert [run.saved_to for run in session] == saved_before
            continue
        break
    else:
        raise AssertionError("the save never succeeded")
    assert step > 3  # interrupted at several renames before the save went through
    assert f1_on_disk(folder) == pytest.approx({"A": 0.25, "B": 1.0, "C": 1.0})
    assert (folder / "notes.txt").read_text() == "the user's"
    assert (folder / "A" / "mine.txt").read_text() == "the user's too"
    assert not (folder / "A" / "per_class.csv").exists()  # the table A no longer has
    assert sorted(os.listdir(folder)) == ["A", "B", "C", "mine", "notes.txt"]


def test_a_failed_save_puts_back_the_run_folders_it_updated(tmp_path):
    # A rename failing (a file open in another program) at C, the last run: A's own folder
    # and the run B replaced were already updated, and stayed so.
    session, folder = session_and_folder(tmp_path)
    before = snapshot(folder)
    rename = os.rename

    def failing_for_c(source, destination):
        if Path(destination).name == "C":
            raise PermissionError(13, "The process cannot access the file", str(destination))
        return rename(source, destination)

    with mock.patch.object(os, "rename", failing_for_c), pytest.raises(PermissionError):
        session.save(folder, overwrite=True)
    assert snapshot(folder) == before
    assert f1_on_disk(folder) == pytest.approx({"A": 0.8, "B": 0.5})


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked process")
def test_a_save_killed_at_any_step_is_put_back_or_finished_by_the_next_load(tmp_path):
    # Forked from a fresh interpreter, which has no other thread (this one may have: a fork
    # of a process with threads can deadlock in the child).
    run_alone = (
        "import importlib.util, sys, pathlib; "
        "spec = importlib.util.spec_from_file_location('killed', sys.argv[1]); "
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
        "module.killed_at_every_step(pathlib.Path(sys.argv[2]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", run_alone, __file__, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def killed_at_every_step(tmp_path: Path) -> None:
    """The save runs in a child process killed (os._exit: no except, no finally) at the k-th
    rename or removal of a file or folder; then a load there finds the old runs or the new
    ones, never some of each, the user's files kept, nothing hidden left."""
    session, folder = session_and_folder(tmp_path)
    before = snapshot(folder)
    # The folder as it was, restored before each save by hard links: the same files (A's
    # settings.json the very file A wrote: A still owns its folder); a save never writes into
    # a file that is there, it renames new files in.
    pristine = tmp_path / "pristine"
    shutil.copytree(folder, pristine, copy_function=os.link)
    seen: list[dict[str, object]] = []
    for step in range(1, 500):
        shutil.rmtree(folder)
        shutil.copytree(pristine, folder, copy_function=os.link)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 3
            try:
                calls = [0]

                def killing(function, calls=calls, step=step):
                    def step_taken(*args, **kwargs):
                        calls[0] += 1
                        if calls[0] == step:
                            os._exit(9)
                        return function(*args, **kwargs)

                    return step_taken

                with (
                    mock.patch.object(os, "replace", killing(os.replace)),
                    mock.patch.object(os, "rename", killing(os.rename)),
                    mock.patch.object(os, "unlink", killing(os.unlink)),
                    mock.patch.object(os, "rmdir", killing(os.rmdir)),
                ):
                    session.save(folder, overwrite=True)
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        assert code in (0, 9), f"the save failed at step {step} (exit code {code})"
        Run.load(folder / "A")  # finishes the save killed there: puts it back, or done
        assert not [path.name for path in folder.rglob(".*")], f"left hidden at step {step}"
        seen.append(snapshot(folder))
        if code == 0:
            break
    after = seen[-1]
    assert f1_on_disk(folder) == pytest.approx({"A": 0.25, "B": 1.0, "C": 1.0})
    mixed = [step for step, state in enumerate(seen, 1) if state not in (before, after)]
    assert mixed == []
    assert before in seen[:-1] and after in seen[:-1]  # killed before and after it held
    assert (folder / "notes.txt").read_text() == "the user's"
    assert (folder / "A" / "mine.txt").read_text() == "the user's too"


def test_a_run_is_not_saved_beside_a_folder_of_its_name_in_another_case(tmp_path):
    (tmp_path / "Run1").mkdir()  # empty: free on Linux, the same folder as run1 on macOS
    (tmp_path / "MODEL").mkdir()
    (tmp_path / "MODEL" / "notes.txt").write_text("the user's")
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="run1")
    runs.add(evaluate(TRUE, FINDS_ALL, kind="instance"), name="model")
    runs.save(tmp_path)
    assert [run.saved_to.name for run in runs] == ["run1 (2)", "model (2)"]
    assert sorted(os.listdir(tmp_path)) == ["MODEL", "Run1", "model (2)", "run1 (2)"]
    assert f1_on_disk(tmp_path) == pytest.approx({"run1": 0.8, "model": 1.0})


def test_the_runs_tab_says_a_folder_of_another_case_took_the_name(tmp_path):
    pytest.importorskip("napari")
    from napari_seg_eval._qt.runs_panel import saved_renamed

    (tmp_path / "Run1").mkdir()
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="run1")
    runs.save(tmp_path)
    assert saved_renamed(runs, tmp_path) == {
        str(runs[0].saved_to): "'Run1' there is the same folder on Windows and macOS (kept)"
    }


def test_a_save_that_cannot_make_its_folder_removes_the_parents_it_made(tmp_path):
    too_long = tmp_path / "new" / ("x" * 300) / "runs"  # longer than a name can be
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="A")
    with pytest.raises(OSError):
        runs.save(too_long)
    with pytest.raises(OSError):
        runs[0].save(too_long / "A")
    assert os.listdir(tmp_path) == []


def test_a_parent_made_meanwhile_by_another_is_not_removed(tmp_path):
    # Another process makes the folder above the runs' folder between the save's look and its
    # mkdir: it is not the save's, and stays when the save fails.
    parent = tmp_path / "shared"
    mkdir = Path.mkdir

    def made_by_another_first(path, *args, **kwargs):
        if path == parent and not parent.exists():
            mkdir(path)
        return mkdir(path, *args, **kwargs)

    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="A")
    with (
        mock.patch.object(Path, "mkdir", made_by_another_first),
        mock.patch.object(runs_module.Run, "_write_into", side_effect=OSError(28, "disk full")),
        pytest.raises(OSError, match="disk full"),
    ):
        runs.save(parent / "runs")
    assert os.listdir(tmp_path) == ["shared"]
