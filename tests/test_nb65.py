"""The library in a notebook: results that print short and show as HTML, float64 summaries
(counts still written as counts), ``evaluate`` at the top level, progress from Python and the
io examples under plain doctest."""

from __future__ import annotations

import csv
import doctest
import importlib
import re

import numpy as np
import pandas as pd
import pytest
import tifffile

import napari_seg_eval as nse

#: Three objects on one row: ids 1, 2, 3 at columns 0-2, 4-6 and 8-10.
TRUE = np.zeros((1, 12), np.uint16)
TRUE[0, 0:3], TRUE[0, 4:7], TRUE[0, 8:11] = 1, 2, 3


def _all_but(*ids: int) -> np.ndarray:
    """The truth with objects ``ids`` left out (the others predicted exactly)."""
    return np.where(np.isin(TRUE, ids), 0, TRUE).astype(np.uint16)


def _pairs(tmp_path, n_pairs: int = 2):
    """Folders truth/ and pred/ with img0.tif, img1.tif, ...: image i holds the three objects
    of TRUE in its truth and predicts them all exactly."""
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for i in range(n_pairs):
        tifffile.imwrite(truth / f"img{i}.tif", TRUE)
        tifffile.imwrite(pred / f"img{i}.tif", TRUE)
    return truth, pred


def _sweep(steps: int) -> nse.ThresholdSweepResult:
    prob = np.linspace(0, 1, 12, dtype=np.float32).reshape(1, 12)
    return nse.threshold_sweep(TRUE > 0, prob, steps=steps)


def _results(tmp_path) -> dict[str, object]:
    """One result of every class."""
    prob = np.where(TRUE > 0, 0.9, 0.2).astype(np.float32)
    truth, pred = _pairs(tmp_path)
    scores = pd.DataFrame({"label": [1, 2, 3], "score": [0.9, 0.8, 0.7]})
    return {
        "instance": nse.instance_metrics(TRUE, TRUE),
        "semantic": nse.semantic_metrics(TRUE > 0, TRUE > 0),
        "sweep": _sweep(10),
        "calibration": nse.calibration(TRUE > 0, prob),
        "boundary": nse.boundary_metrics(TRUE > 0, TRUE > 0),
        "object boundary": nse.boundary_metrics(TRUE, TRUE, per_object=True),
        "coco": nse.coco_average_precision(TRUE, TRUE, scores),
        "dataset": nse.dataset_metrics([TRUE, TRUE], [TRUE, _all_but(3)]),
        "files": nse.evaluate_files(truth, pred),
    }


# -- 1. printing --------------------------------------------------------------------------


def test_a_long_table_prints_its_first_and_last_rows_with_its_size():
    sweep = _sweep(100)  # thresholds 0, 0.01, ..., 1: 101 rows
    with pd.option_context("display.max_rows", 60, "display.min_rows", 10):
        text = repr(sweep)
    lines = text.splitlines()
    # ThresholdSweepResult, "summary:", its 7 values, a blank line, the title, the column
    # header, then 5 rows, "...", 5 rows: 1 + 1 + 7 + 1 + 1 + 1 + 11 = 23 lines (not 101+).
    assert len(lines) == 23
    title = lines[10]
    assert title.startswith("per_threshold: 101 rows x 12 columns; the first and last 5 shown")
    assert ".to_frame()" in title
    rows = lines[12:]
    assert [row.split()[0] for row in rows] == [
        *("0.00", "0.01", "0.02", "0.03", "0.04"),
        "...",
        *("0.96", "0.97", "0.98", "0.99", "1.00"),
    ]
    assert max(len(line) for line in lines) <= 120


def test_a_short_table_prints_whole_and_counts_print_as_counts():
    result = nse.instance_metrics(TRUE, _all_but(3))  # ten thresholds: ten rows
    with pd.option_context("display.max_rows", 60, "display.min_rows", 10):
        text = repr(result)
    assert text.startswith("InstanceResult\nsummary:\n")
    assert "per_threshold: 10 rows x " in text and ".to_frame()" not in text
    # Three true objects, two predicted: the counts print as 3 and 2, not 3.0 and 2.0.
    assert re.search(r"^n_true +3$", text, re.M) and re.search(r"^n_pred +2$", text, re.M)


def test_files_print_their_names_not_their_paths(tmp_path):
    truth, pred = _pairs(tmp_path, n_pairs=3)
    text = repr(nse.evaluate_files(truth, pred))
    assert str(tmp_path) not in text
    assert "per_image: 3 rows x " in text
    assert re.search(r"^ *img0 +img0\.tif +img0\.tif", text, re.M)  # name, truth, prediction
    assert max(len(line) for line in text.splitlines()) <= 120


def test_every_result_shows_as_html_in_a_notebook(tmp_path):
    with pd.option_context("display.max_rows", 60, "display.min_rows", 10):
        for name, result in _results(tmp_path).items():
            page = result._repr_html_()
            assert page.startswith(f"<div><p><b>{type(result).__name__}</b></p>"), name
            assert page.count("<table") == 2, name  # the summary and the main table
        page = _sweep(100)._repr_html_()
    # The summary: a header row and 7 values; the main table: a header row, 5 rows, "...",
    # 5 rows. 8 + 12 = 20 table rows, not 101.
    assert page.count("<tr") == 20
    assert "101 rows x 12 columns" in page and ".to_frame()" in page


# -- 2. numeric summaries -----------------------------------------------------------------


def test_summaries_are_float64_where_every_value_is_a_number(tmp_path):
    results = _results(tmp_path)
    for name, result in results.items():
        expected = object if name == "sweep" else np.float64  # a sweep names its metric
        assert result.summary.dtype == expected, name
    assert results["sweep"].summary["metric"] == "iou"
    # Whole as floats: 3 true objects, 3 predicted, in 2 pairs of files.
    assert results["instance"].summary["n_true"] == 3.0
    assert results["files"].summary[["n_pairs", "n_true"]].tolist() == [2.0, 6.0]


def test_describe_round_and_arithmetic_of_several_summaries_are_numeric():
    # Three runs on TRUE (3 objects): all predicted; objects 1 and 2 only; object 1 only.
    runs = [nse.instance_metrics(TRUE, pred) for pred in (TRUE, _all_but(3), _all_but(2, 3))]
    table = pd.DataFrame({i: run.summary for i, run in enumerate(runs)}).T  # a run per row
    described = table.describe()
    assert "mean" in described.index and "unique" not in described.index
    # n_pred 3, 2, 1: mean 2. F1@0.5 = 2TP / (2TP + FP + FN): 6/6, 4/5, 2/4: mean 23/30.
    assert described.loc["mean", "n_pred"] == 2
    assert described.loc["mean", "f1_50"] == pytest.approx((1 + 4 / 5 + 1 / 2) / 3)
    assert runs[1].summary.describe()["mean"] > 0  # one summary: count, mean, std, ...
    assert runs[1].summary.round(1)["f1_50"] == 0.8
    assert (runs[0].summary - runs[1].summary)["n_pred"] == 1  # 3 - 2


def test_counts_stay_integers_in_the_tables_and_files(tmp_path):
    truth, pred = _pairs(tmp_path)
    result = nse.evaluate_files(truth, pred, kind="all", boundary=True)
    assert result.summary.dtype == np.float64
    dataset = nse.dataset_metrics([TRUE, TRUE], [TRUE, _all_but(3)])
    assert dataset.per_image["n_pred"].dtype == np.int64
    assert dataset.per_image["n_pred"].tolist() == [3, 2]  # all three; objects 1 and 2
    folder = result.write(tmp_path / "out")
    with open(folder / "summary.csv", newline="") as file:
        (summary,) = csv.DictReader(file)
    # 2 pairs of 3 objects each, all predicted exactly: 6 true, 6 predicted, F1 1.
    assert (summary["n_pairs"], summary["n_failed"], summary["n_images"]) == ("2", "0", "2")
    assert (summary["n_true"], summary["n_pred"]) == ("6", "6")
    assert summary["f1_50_pooled"] == "1.0"
    assert summary["n_pixels"] == "24"  # 2 images of 1 x 12 pixels
    with open(folder / "per_image.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["n_true"] for row in rows] == ["3", "3"]
    assert [row["n_pixels"] for row in rows] == ["12", "12"]
    assert all(re.fullmatch(r"[0-9]+", row["n_classes"]) for row in rows)  # not "1.0"


# -- 3. evaluate at the top level, kind="all" -----------------------------------------------


def test_evaluate_and_its_record_are_in_the_top_level_namespace():
    evaluation = importlib.import_module("napari_seg_eval.evaluation")
    assert nse.evaluate is evaluation.evaluate
    assert nse.Evaluation is evaluation.Evaluation
    assert {"evaluate", "Evaluation"} <= set(nse.__all__)
    assert isinstance(nse.evaluate(TRUE, TRUE), nse.Evaluation)


def test_kind_all_is_both_and_a_bad_kind_names_both_words():
    record = nse.evaluate(TRUE, _all_but(3), kind="all")
    assert record.settings.kind == "both"
    assert record.instance is not None and record.semantic is not None
    # Objects 1 and 2 of 3 found: F1@0.5 = 2*2 / (2*2 + 0 + 1) = 4/5.
    assert record.instance.summary["f1_50"] == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match=r"'both' \(or 'all'.*got 'every'"):
        nse.evaluate(TRUE, TRUE, kind="every")


# -- 4. progress from Python ----------------------------------------------------------------


def test_progress_true_shows_the_command_lines_bar_on_stderr(tmp_path, capsys):
    truth, pred = _pairs(tmp_path)
    nse.evaluate_files(truth, pred)
    assert capsys.readouterr().err == ""  # quiet by default
    nse.evaluate_files(truth, pred, progress=True)
    err = capsys.readouterr().err
    # stderr here is not a terminal (nor is a notebook's): a line per 5% of the pairs (each of
    # the 2 here), no carriage returns redrawing a line.
    assert "\r" not in err
    lines = err.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\[#{15}-{15}\] 1/2 pairs, [0-9]+ s  img0", lines[0])
    assert re.fullmatch(r"\[#{30}\] 2/2 pairs, [0-9]+ s  img1", lines[1])


def test_progress_says_a_failed_pair(tmp_path, capsys):
    truth, pred = _pairs(tmp_path)
    tifffile.imwrite(pred / "img1.tif", np.zeros((1, 5), np.uint16))  # another shape
    result = nse.evaluate_files(truth, pred, progress=True)
    assert result.n_failed == 1
    err = capsys.readouterr().err
    assert re.search(r"^failed: img1: ", err, re.M)
    assert re.search(r"2/2 pairs, 1 failed", err)


# -- 5. plain doctest ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["io.pairs", "io.evaluate"])
def test_io_examples_pass_under_plain_doctest(name):
    module = importlib.import_module(f"napari_seg_eval.{name}")
    result = doctest.testmod(module, optionflags=0)  # as `python -m doctest` runs them
    assert result.failed == 0
