"""Saved runs: a failed save leaves nothing new (runs187).

``Runs.save`` made its folder with its parents, then saved the runs one by one: a save failing
on a later run (a CSV that cannot be written: a full disk) left the folders it had made and the
runs saved before it, which the user did not have before the save.
"""

import os
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.runs import Runs

TRUE = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
# Objects 1 and 2 found, 3 missed.
FINDS_TWO = np.array([[1, 1, 0, 2, 2, 0, 0, 0]])


def two_runs() -> Runs:
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="a")
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="b")
    return runs


def everything(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, relative to it."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def writes_fail_for(run_folder: str):
    """``DataFrame.to_csv`` failing ("disk full") for the files of the run saved as
    ``run_folder`` (written first into its hidden folder ``.<run_folder>.<hex>``), part-way:
    after its first table."""
    to_csv = pd.DataFrame.to_csv
    written = []

    def failing(frame, path=None, *args, **kwargs):
        if path is not None and Path(path).parent.name.startswith(f".{run_folder}."):
            if written:
                raise OSError(28, "No space left on device")
            written.append(path)
        return to_csv(frame, path, *args, **kwargs)

    return mock.patch.object(pd.DataFrame, "to_csv", failing)


def test_failed_save_to_a_new_folder_leaves_no_folder_and_no_run(tmp_path):
    runs = two_runs()
    with writes_fail_for("b"), pytest.raises(OSError, match="No space left"):
        runs.save(tmp_path / "new" / "deeper" / "runs")
    # Run a was saved, then b failed: neither a nor the folders made for them remain.
    assert everything(tmp_path) == []
    assert [run.saved_to for run in runs] == [None, None]
    # The same save, nothing failing: both runs saved, each with its settings.json.
    runs.save(tmp_path / "new" / "deeper" / "runs")
    saved = tmp_path / "new" / "deeper" / "runs"
    assert sorted(os.listdir(saved)) == ["a", "b"]
    assert [run.saved_to for run in runs] == [Path(os.path.realpath(saved / n)) for n in "ab"]
    assert (saved / "b" / "settings.json").is_file()


def test_failed_save_keeps_the_folders_that_were_there(tmp_path):
    # The runs' folder and run a's (empty) subfolder exist: kept, emptied of what the save put
    # there. Run a was saved before elsewhere: it still says so.
    folder = tmp_path / "runs"
    (folder / "a").mkdir(parents=True)
    runs = two_runs()
    runs[0].save(tmp_path / "earlier")
    with writes_fail_for("b"), pytest.raises(OSError, match="No space left"):
        runs.save(folder)
    assert everything(folder) == ["a"]
    assert runs[0].saved_to == Path(os.path.realpath(tmp_path / "earlier"))
    assert runs[1].saved_to is None
    assert sorted(os.listdir(tmp_path)) == ["earlier", "runs"]
