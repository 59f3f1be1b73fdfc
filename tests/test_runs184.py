"""Saved runs: counts stay integers through load and save, folder names safe on every system
(review181, runs184).

A one-image run's summary.csv mixes counts and ratios in its ``value`` column: loaded, the
column was read as floats, and saved back ``n_true,3`` became ``n_true,3.0`` (so did the counts
of a command-line per_image.csv with a failed pair, whose count cells are empty). A run named
``con`` or ``nul.tif`` was saved to a folder Windows cannot make; and "Model A" and "model a"
were saved to ``Model_A`` and ``model_a``: one folder on a disk that does not tell case, the
second replacing the first with ``overwrite``.
"""

from pathlib import Path

import numpy as np

from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.io import evaluate_files, write_results
from napari_seg_eval.runs import Run, Runs, run_folder_name

TRUE = np.array([[1, 1, 0, 2, 2, 0, 3, 3]])
# Objects 1 and 2 found exactly, 3 missed: n_true 3, n_pred 2, precision 2/2 = 1.0 (a float
# whole number, which must stay 1.0), recall 2/3.
FINDS_TWO = np.array([[1, 1, 0, 2, 2, 0, 0, 0]])
# All three found (other ids).
FINDS_ALL = np.array([[4, 4, 0, 5, 5, 0, 6, 6]])


def csv_texts(folder: Path) -> dict[str, str]:
    """The text of every CSV table in ``folder`` (name -> text)."""
    return {path.name: path.read_text() for path in sorted(folder.glob("*.csv"))}


def summary_values(run: Run) -> dict[str, object]:
    """A one-image run's summary as metric -> value."""
    summary = run.tables["summary"]
    return dict(zip(summary["metric"], summary["value"], strict=True))


def test_image_run_counts_stay_integers_through_load_and_save(tmp_path):
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="A")
    runs.save(tmp_path)
    written = csv_texts(tmp_path / "A")
    assert "instance,n_true,3\n" in written["summary.csv"]
    assert "instance,n_pred,2\n" in written["summary.csv"]
    assert "instance,precision_50,1.0\n" in written["summary.csv"]

    loaded = Runs()
    (run,) = loaded.load(tmp_path)
    values = summary_values(run)
    assert type(values["n_true"]) is int and values["n_true"] == 3
    assert type(values["n_pred"]) is int and values["n_pred"] == 2
    assert type(values["precision_50"]) is float and values["precision_50"] == 1.0
    assert abs(values["recall_50"] - 2 / 3) < 1e-12

    loaded.save(tmp_path)  # the loaded run updates its own folder
    assert run.saved_to.name == "A"
    assert csv_texts(tmp_path / "A") == written  # not a character changed
    loaded.save(tmp_path / "copy")
    assert csv_texts(tmp_path / "copy" / "A") == written


def test_failed_pair_counts_stay_integers_through_load_and_save(tmp_path):
    for side in ("truth", "prediction"):
        (tmp_path / side).mkdir()
    truth = np.zeros((8, 8), np.int32)
    truth[1:4, 1:4] = 1
    truth[5:7, 5:7] = 2
    found = np.where(truth == 1, 1, 0).astype(np.int32)  # one of two objects found
    np.save(tmp_path / "truth" / "a.npy", truth)
    np.save(tmp_path / "prediction" / "a.npy", found)
    np.save(tmp_path / "truth" / "b.npy", truth)
    np.save(tmp_path / "prediction" / "b.npy", np.zeros((4, 4), np.int32))  # shapes differ
    result = evaluate_files(tmp_path / "truth", tmp_path / "prediction", iou_thresholds=[0.5])
    cli = write_results(result, tmp_path / "cli")
    written = csv_texts(cli)
    rows = written["per_image.csv"].splitlines()
    assert rows[1].startswith("a,") and ",2,1," in rows[1]  # n_true 2, n_pred 1
    assert rows[2].startswith("b,") and rows[2].endswith(",,,")  # failed: no counts

    runs = Runs()
    (run,) = runs.load(cli)
    per_image = run.tables["per_image"]
    assert per_image["n_true"].dtype == "Int64"  # as the run's own table, before saving
    assert per_image["n_true"].iloc[0] == 2 and per_image["n_true"].isna().iloc[1]
    assert per_image["f1_50"].dtype == np.float64  # 2 TP / (2 TP + FN) = 2/3
    assert abs(per_image["f1_50"].iloc[0] - 2 / 3) < 1e-12

    runs.save(tmp_path / "saved")
    assert csv_texts(tmp_path / "saved" / "cli") == written


def test_mixed_column_reads_each_cell_as_written(tmp_path):
    """A column of counts, ratios and an empty cell; one of whole floats; one of counts and
    an empty cell: each read as written, and written back the same."""
    folder = tmp_path / "run"
    Runs().add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="A").save(folder)
    text = "metric,value,whole,count\nn_true,3,1.0,4\nf1_50,0.8,2.0,\nhd,,3.0,-5\n"
    (folder / "extra.csv").write_text(text)
    table = Run.load(folder).tables["extra"]
    assert [type(value) for value in table["value"][:2]] == [int, float]
    assert table["value"].tolist()[:2] == [3, 0.8] and np.isnan(table["value"].iloc[2])
    assert table["whole"].dtype == np.float64 and table["whole"].tolist() == [1.0, 2.0, 3.0]
    assert table["count"].dtype == "Int64"
    assert table["count"].isna().tolist() == [False, True, False]
    assert table["count"].dropna().tolist() == [4, -5]
    again = tmp_path / "again.csv"
    table.to_csv(again, index=False)
    assert again.read_text() == text


def test_windows_device_names_get_an_underscore():
    assert run_folder_name("con") == "con_"
    assert run_folder_name("NUL") == "NUL_"
    assert run_folder_name("Aux") == "Aux_"
    assert run_folder_name("prn.csv") == "prn_.csv"
    assert run_folder_name("nul.tif") == "nul_.tif"
    assert run_folder_name("com1") == "com1_"
    assert run_folder_name("COM9.tar.gz") == "COM9_.tar.gz"
    assert run_folder_name("lpt5") == "lpt5_"
    assert run_folder_name("lpt²") == "lpt²_"
    # Ending in a dot or a space (Windows drops them): "aux. " is "aux" there.
    assert run_folder_name("aux. ") == "aux_"
    assert run_folder_name("model A. ") == "model_A"
    assert run_folder_name("con .tif") == "con_.tif"
    # Names that only start or end like a device's are left as they are.
    for name in ("console", "com10", "lpt", "icon", "my_con", "nullable", "run.con"):
        assert run_folder_name(name) == name


def test_run_named_as_a_device_is_saved_to_a_safe_folder(tmp_path):
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="con")
    runs.add(evaluate(TRUE, FINDS_ALL, kind="instance"), name="nul.tif")
    runs.save(tmp_path)
    assert [run.saved_to.name for run in runs] == ["con_", "nul_.tif"]
    assert sorted(Runs().load(tmp_path), key=lambda run: run.name)[0].name == "con"


def test_names_differing_in_case_get_their_own_folders(tmp_path):
    runs = Runs()
    runs.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="Model A")
    runs.add(evaluate(TRUE, FINDS_ALL, kind="instance"), name="model a")
    runs.save(tmp_path, overwrite=True)
    assert [run.saved_to.name for run in runs] == ["Model_A", "model_a (2)"]
    loaded = {run.name: summary_values(run)["f1_50"] for run in Runs().load(tmp_path)}
    assert loaded == {"Model A": 0.8, "model a": 1.0}  # F1 = 4/5 and 3/3: both kept


def test_new_run_does_not_take_a_loaded_runs_folder_of_another_case(tmp_path):
    first = Runs()
    first.add(evaluate(TRUE, FINDS_TWO, kind="instance"), name="model a")
    first.save(tmp_path)
    runs = Runs()
    runs.load(tmp_path)  # the run loaded owns tmp_path / "model_a"
    runs.add(evaluate(TRUE, FINDS_ALL, kind="instance"), name="Model A")
    runs.save(tmp_path, overwrite=True)
    assert [run.saved_to.name for run in runs] == ["model_a", "Model_A (2)"]
    on_disk = {run.name: summary_values(run)["f1_50"] for run in Runs().load(tmp_path)}
    assert on_disk == {"model a": 0.8, "Model A": 1.0}


def test_the_runs_tab_says_a_case_clash_is_another_run_of_the_save(tmp_path):
    from napari_seg_eval._qt.runs_panel import saved_renamed

    truth = np.zeros((8, 8), np.uint8)
    truth[2:5, 2:5] = 1
    runs = Runs()
    runs.add(evaluate(truth, truth), name="Model A")
    runs.add(evaluate(truth, truth), name="model a")
    runs.save(tmp_path / "case")
    said = saved_renamed(runs, tmp_path / "case")
    assert list(said.values()) == ["another run of this save ('Model A') is saved as 'Model_A'"]
