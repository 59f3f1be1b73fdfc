"""settings.json reruns its run: its ``settings`` are the keyword arguments of evaluate_files.

A run of the command line writes settings.json; ``evaluate_files`` given its pairs and
``**settings`` makes the same run again: the same summary.csv and per_image.csv. Four runs:
plain labels with suffixes on both sides, the ``conic`` preset with class images, a region
per pair (``--region-suffix``) and probability maps.

The data: two images of one row of 14 pixels (the test_conic_class_zero data). Truth files
``imgK_masks.npy``, predictions ``imgK_pred.npy``: paired by name under the suffixes, so a
rerun from the pairs must name each pair ``imgK`` (not ``imgK_masks``) to find its class and
region files ``imgK_cls.npy`` and ``imgK_region.npy``.
"""

import inspect
import json

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files, write_results
from napari_seg_eval.runs import Run

TRUE = [
    np.array([[1, 1, 1, 1, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0]], np.uint16),
    np.array([[3, 3, 0, 4, 4, 4, 0, 10, 10, 0, 12, 12, 0, 0]], np.uint16),
]
PRED = [
    np.array([[5, 5, 5, 0, 0, 6, 6, 6, 0, 0, 0, 0, 0, 0]], np.uint16),
    np.array([[7, 7, 0, 8, 8, 8, 0, 11, 11, 0, 13, 13, 0, 0]], np.uint16),
]
TRUE_CLASSES = [
    np.array([[1, 1, 1, 1, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0]], np.uint8),
    np.array([[0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0, 0]], np.uint8),
]
PRED_CLASSES = [
    np.array([[0, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0]], np.uint8),
    np.array([[0, 0, 0, 2, 2, 2, 0, 1, 1, 0, 1, 1, 0, 0]], np.uint8),
]
#: The region: the first 10 pixels of the row.
REGION = np.array([[1] * 10 + [0] * 4], np.uint8)

SUFFIXES = ["--truth-suffix", "_masks", "--prediction-suffix", "_pred"]
CASES = {
    "plain": ["--kind", "all"],
    "conic": [
        *("--preset", "conic"),
        *("--truth-classes-suffix", "_cls", "--prediction-classes-suffix", "_cls"),
    ],
    "region": ["--kind", "all", "--region-suffix", "_region"],
    "probability": ["--probability", "--threshold", "0.4", "--kind", "all"],
}


def _write(folder, probability=False):
    truth, pred = folder / "truth", folder / "pred"
    truth.mkdir(parents=True)
    pred.mkdir()
    for k in range(2):
        np.save(truth / f"img{k}_masks.npy", TRUE[k])
        # A map: 0.9 on the predicted objects, 0.1 elsewhere (objects at 0.4: the same ones).
        np.save(
            pred / f"img{k}_pred.npy",
            np.where(PRED[k] > 0, 0.9, 0.1).astype(np.float32) if probability else PRED[k],
        )
        np.save(truth / f"img{k}_cls.npy", TRUE_CLASSES[k])
        np.save(pred / f"img{k}_cls.npy", PRED_CLASSES[k])
        np.save(truth / f"img{k}_region.npy", REGION)
    return truth, pred


def _keywords():
    """The keyword arguments of evaluate_files that are settings: all but the files given and
    how the run is carried out."""
    return set(inspect.signature(evaluate_files).parameters) - {
        "truth",
        "prediction",
        "client",
        "progress",
    }


@pytest.mark.parametrize("case", CASES)
def test_settings_json_reruns_its_run(tmp_path, case):
    truth, pred = _write(tmp_path / "data", probability=case == "probability")
    out = tmp_path / "out"
    args = ["evaluate", str(truth), str(pred), "--out", str(out), "--quiet", *SUFFIXES]
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*args, *CASES[case]])
    assert exit_info.value.code == 0
    record = json.loads((out / "settings.json").read_text())
    # Every setting, under its keyword of evaluate_files, and nothing else.
    assert set(record["settings"]) == _keywords()
    assert record["settings"]["truth_suffix"] == "_masks"
    assert record["settings"]["prediction_suffix"] == "_pred"
    pairs = [(pair["truth"], pair["prediction"]) for pair in record["pairs"]]
    again = evaluate_files(pairs, **record["settings"])
    # Both images paired and evaluated (class and region files found by the pair's name).
    assert (again.summary["n_pairs"], again.summary["n_failed"]) == (2, 0)
    rerun = write_results(again, tmp_path / "rerun")
    for table in ("summary.csv", "per_image.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(rerun / table), pd.read_csv(out / table))


def test_settings_json_of_the_conic_preset_records_its_classes(tmp_path):
    """The class suffixes are recorded (the preset's own fields and background class with
    them), and those fields given back at the preset's values are accepted."""
    truth, pred = _write(tmp_path / "data")
    result = evaluate_files(
        truth,
        pred,
        preset="conic",
        truth_suffix="_masks",
        prediction_suffix="_pred",
        truth_classes_suffix="_cls",
        prediction_classes_suffix="_cls",
    )
    settings = result.settings.to_dict()
    assert (settings["truth_classes_suffix"], settings["prediction_classes_suffix"]) == (
        "_cls",
        "_cls",
    )
    # CoNIC: IoU 0.5 only, class 0 in no class.
    assert (settings["iou_thresholds"], settings["background_class"]) == ([0.5], 0)
    assert "with_classes" not in settings
    assert evaluate_files(truth, pred, **settings).settings == result.settings


def test_a_preset_refuses_another_value_of_a_field_it_sets(tmp_path):
    truth, pred = _write(tmp_path / "data")
    with pytest.raises(ValueError, match="the neurips2022 preset sets exclude_border"):
        evaluate_files(truth, pred, preset="neurips2022", exclude_border=3)


def test_a_folder_with_the_old_settings_still_loads(tmp_path):
    """A folder written before the settings were evaluate_files' keywords (``with_classes``,
    no suffixes) loads as a run, its numbers as they are."""
    truth, pred = _write(tmp_path / "data")
    folder = write_results(
        evaluate_files(truth, pred, truth_suffix="_masks", prediction_suffix="_pred"),
        tmp_path / "old",
    )
    record = json.loads((folder / "settings.json").read_text())
    for key in ("truth_suffix", "prediction_suffix"):
        del record["settings"][key]
    record["settings"]["with_classes"] = False
    (folder / "settings.json").write_text(json.dumps(record))
    run = Run.load(folder)
    assert run.n_images == 2
    # Image 0 at IoU 0.5: true 1 - pred 5 (IoU 3/4) and true 2 - pred 6 (IoU 2/3) match;
    # image 1: all four pairs (IoU 1). 6 TP, no FP or FN: F1 at 0.5 pooled is 1.
    assert run.headline["f1_50_pooled"] == pytest.approx(1.0)


def test_evaluate_files_documents_every_parameter():
    doc = inspect.getdoc(evaluate_files)
    section = doc.split("Parameters\n----------\n")[1].split("Returns\n-------")[0]
    named = set()
    for line in section.splitlines():
        if line and not line.startswith(" "):  # a parameter's line (a name or names, commas)
            named |= {name.strip() for name in line.split(":")[0].split(",")}
    assert named == set(inspect.signature(evaluate_files).parameters)


def test_evaluate_help_names_every_file_a_run_writes(tmp_path, capsys):
    """Every file of a run with instance and semantic metrics, class images, boundary
    metrics and the report is named in ``evaluate --help`` (the instance and semantic
    tables as ``<kind>_...``)."""
    truth, pred = _write(tmp_path / "data")
    out = tmp_path / "out"
    options = ["--kind", "all", "--boundary", "--report", "--quiet", *SUFFIXES]
    options += ["--truth-classes-suffix", "_cls", "--prediction-classes-suffix", "_cls"]
    with pytest.raises(SystemExit):
        cli.main(["evaluate", str(truth), str(pred), "--out", str(out), *options])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    written = sorted(path.name for path in out.iterdir())
    assert "report.html" in written and "instance_per_image_rows.csv" in written
    for name in written:
        kind = name.split("_")[0]
        generic = f"<kind>{name[len(kind) :]}" if kind in ("instance", "semantic") else name
        assert name in said or generic in said, name


def test_report_help_says_what_it_does(capsys):
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "sample data" in said
    assert "--threshold THRESHOLD probability threshold" in said
