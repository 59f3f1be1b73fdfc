"""Regressions of a new user's trial (trial33): the Confidence analysis tab after a failed run
and after another layer is chosen, its CSV export into a missing folder, the integer map's
notice once per layer across the dock, and the HTML report's confidence numbers."""

import re

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval._qt import confidence_panel, evaluate_panel, threshold_panel
from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.report import report_html
from napari_seg_eval.runs import Runs

# A 3 x 4 map and its truth, small enough to score by hand.
# positives (y = 1) score 0.2, 0.5, 0.7, 0.9, 0.99, 0.6; negatives 0.05, 0.1, 0.5, 0.95, 0.3, 0.8
PROB = np.array([0.05, 0.1, 0.2, 0.5, 0.5, 0.7, 0.9, 0.95, 0.99, 0.3, 0.8, 0.6]).reshape(3, 4)
TRUTH = np.array([0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1]).reshape(3, 4)
# Pixel IoU = TP / (TP + FP + FN) of p > t: for 0.1 <= t < 0.2 all 6 positives and 4
# negatives (0.3, 0.5, 0.8, 0.95) are above t: 6 / 10 = 0.6; below 0.1 the negative 0.1 joins
# (6 / 11), from 0.2 the positive 0.2 leaves (5 / 10, then 5 / 9 from 0.3, 4 / 8 from 0.5, and
# lower on). The best, the lowest threshold on ties: 0.1.
BEST_IOU_THRESHOLD = 0.1


@pytest.fixture
def dock(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.add_image(PROB, name="nuclei prob")
    viewer.add_labels(TRUTH, name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("nuclei prob")
    widget.confidence.truth_combo.set_layer("truth")
    widget.confidence.metric_combo.setCurrentText("iou")
    return viewer, widget


def test_a_failed_analyse_says_so_and_the_other_maps_results_are_out_of_date(dock, qtbot, errors):
    viewer, widget = dock
    confidence = widget.confidence
    confidence.run(wait=True)
    assert confidence.best_button.isEnabled() and confidence.stale_label.isHidden()
    nan = PROB.copy()
    nan[0, 0] = np.nan
    viewer.add_image(nan, name="nan prob")
    widget.set_probability_layer("nan prob")
    errors.clear()  # (the Threshold tab's preview of the NaN map says its own)
    with qtbot.waitSignal(confidence.job.finished, timeout=60_000):
        confidence.run_button.click()  # in the worker, as the trial pressed it
    assert any("NaN" in message for message in errors)
    status = confidence.summary_label.text()
    assert status.startswith("Analysis of 'nan prob' failed: ") and "NaN" in status
    assert "Analysing" not in status and confidence.progress_bar.value() == 0
    # the plots are still those of 'nuclei prob', and say so
    assert not confidence.stale_label.isHidden()
    assert "'nuclei prob'" in confidence.stale_label.text()
    assert confidence.stale_label.text().startswith("Out of date: ")
    assert not confidence.best_button.isEnabled()
    # from Python too: the old map's threshold never goes to the slider of this one
    widget.set_threshold(0.5)
    errors.clear()
    confidence.use_best_threshold()
    assert widget.threshold == pytest.approx(0.5)
    assert "out of date" in errors[0] and "'nuclei prob'" in errors[0]
    # a run of the current map that succeeds makes them current again
    nan[0, 0] = 0.05
    viewer.layers["nan prob"].data = nan
    confidence.run(wait=True)
    assert confidence.stale_label.isHidden() and confidence.best_button.isEnabled()
    assert confidence.summary_label.text().startswith("Best IoU 0.600 at threshold 0.100")


def test_a_failed_run_now_says_so_in_the_status_too(dock, errors):
    viewer, widget = dock
    confidence = widget.confidence
    confidence.run(wait=True)
    viewer.add_labels(np.zeros((2, 2), np.uint8), name="small")
    confidence.truth_combo.set_layer("small")
    assert confidence.run(wait=True) is None
    assert "shape mismatch" in errors[-1]
    assert confidence.summary_label.text().startswith("Analysis of 'nuclei prob' failed: shape")
    assert "the ground truth is 'small'" in confidence.stale_label.text()
    # the same map and truth again: the last Analyse failed, so still out of date
    confidence.truth_combo.set_layer("truth")
    assert confidence.stale_label.text().startswith("Out of date: the last Analyse failed")
    assert not confidence.best_button.isEnabled()


def test_results_apply_only_to_the_layer_class_and_metric_they_were_computed_on(dock, errors):
    viewer, widget = dock
    confidence = widget.confidence
    confidence.run(wait=True)
    viewer.add_image(PROB[::-1].copy(), name="other prob")
    widget.set_probability_layer("other prob")  # no run: only another layer chosen
    assert not confidence.best_button.isEnabled()
    assert confidence.stale_label.text().startswith(
        "Out of date: the probability layer is 'other prob', the analysis shown is of 'nuclei prob'"
    )
    widget.set_threshold(0.5)
    confidence.use_best_threshold()
    assert widget.threshold == pytest.approx(0.5) and "out of date" in errors[-1]
    widget.set_probability_layer("nuclei prob")  # back: the results are of it
    assert confidence.stale_label.isHidden() and confidence.best_button.isEnabled()
    confidence.metric_combo.setCurrentText("dice")
    assert "'Best by' is dice, the analysis shown is by iou" in confidence.stale_label.text()
    assert not confidence.best_button.isEnabled()
    confidence.metric_combo.setCurrentText("iou")
    confidence.best_button.click()
    assert widget.threshold == pytest.approx(BEST_IOU_THRESHOLD, abs=1e-3)
    viewer.layers.remove("nuclei prob")  # gone: nothing shown is of the current layer
    assert not confidence.stale_label.isHidden() and not confidence.best_button.isEnabled()


def test_csv_export_into_a_missing_folder_is_a_notice_and_writes_nothing(dock, tmp_path, errors):
    _, widget = dock
    widget.confidence.run(wait=True)
    missing = tmp_path / "new" / "dir"
    assert widget.confidence.export_csv(missing) == []
    assert errors == [
        f"Segmentation Evaluation: could not export the confidence data to {missing}: "
        f"the folder {missing} does not exist."
    ]
    assert list(tmp_path.iterdir()) == []
    # into a folder that exists: every table, and no part file left
    names = sorted(path.name for path in widget.confidence.export_csv(tmp_path))
    assert names == ["calibration_bins.csv", "threshold_sweep.csv"]
    assert sorted(path.name for path in tmp_path.iterdir()) == names


def test_an_integer_maps_notice_is_said_once_per_layer_across_the_dock(
    make_napari_viewer, qtbot, monkeypatch
):
    """docs/widget.md: "An integer map's notice is shown once per layer". The trial saw it on
    opening the dock, on each Analyse and on each Evaluate."""
    said = []
    for module in (threshold_panel, evaluate_panel, confidence_panel):
        monkeypatch.setattr(module, "show_info", said.append, raising=False)
    viewer = make_napari_viewer()
    viewer.add_image(np.array([[153, 154, 51, 204], [0, 255, 17, 136]], np.uint8), name="u8")
    viewer.add_labels(np.array([[0, 1, 0, 1], [0, 1, 1, 0]]), name="truth")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("u8")
    widget.confidence.truth_combo.set_layer("truth")
    widget.confidence.metric_combo.setCurrentText("iou")
    widget.confidence.run(wait=True)
    widget.confidence.run(wait=True)
    widget.set_ground_truth("truth")
    widget.set_prediction("u8")
    widget.run_evaluation(wait=True)
    notice = "Segmentation Evaluation: 'u8' holds uint8 values 0..255: read as value / 255"
    assert said == [notice]


def test_the_report_states_ap_auc_ece_and_brier():
    # The truth's two objects: pixels (0, 2), (1, 0..2), (2, 0) and the lone pixel (2, 3).
    labels = TRUTH.copy()
    labels[2, 3] = 2
    record = evaluate(labels, PROB, confidence=PROB, threshold=0.5)
    text = report_html(Runs().add(record, name="tiny"))
    # By hand over the 6 positives and 6 negatives (scores in the comment at the top):
    # ROC AUC = P(positive > negative), ties 1/2: negatives below each positive:
    # 0.2: 2, 0.5: 3 + 1/2 (the tie), 0.7: 4, 0.9: 5, 0.99: 6, 0.6: 4 -> 24.5 / 36 = 0.6806.
    # AP = sum over the scores, highest first, of recall gained x precision there:
    # 1/6 x (1/1 + 2/3 + 3/5 + 4/6 + 5/8 + 6/10) = 1/6 x 4.158333 = 0.6931.
    # Brier = mean (p - y)^2 = (0.0025 + 0.01 + 0.64 + 0.25 + 0.25 + 0.09 + 0.01 + 0.9025
    # + 0.0001 + 0.09 + 0.64 + 0.16) / 12 = 3.0451 / 12 = 0.2538.
    # ECE over 15 bins of width 1/15: 0.95 and 0.99 share the last bin (mean 0.97, observed
    # 1/2: gap 0.47), the two 0.5s one bin (mean 0.5, observed 1/2: gap 0), every other score
    # is alone (gap |p - y|: 0.05, 0.1, 0.8, 0.3, 0.4, 0.3, 0.8, 0.1, sum 2.85):
    # (2.85 + 2 x 0.47) / 12 = 3.79 / 12 = 0.3158.
    numbers = re.search(r"AP <b>(.*?)</b> · ROC AUC <b>(.*?)</b> · ECE <b>(.*?)</b>", text)
    assert numbers is not None
    assert numbers.groups() == ("0.6931", "0.6806", "0.3158")
    assert "Brier score <b>0.2538</b>" in text
    # each plot's caption says its number
    assert "precision-recall curve of the probability map: AP 0.6931." in text
    assert "ROC curve of the probability map: AUC 0.6806." in text
    assert "ECE 0.3158, Brier score 0.2538." in text


def test_the_reports_probability_numbers_count_every_true_object_as_foreground():
    """Regression: with semantic metrics by class (the truth's values kept), the report's
    curves took only the truth's value 1 as foreground: the lone pixel of object 2 counted as
    background (AP 0.6931 of the test above would change). The map is the foreground's."""
    labels = TRUTH.copy()
    labels[2, 3] = 2
    record = evaluate(labels, PROB, confidence=PROB, threshold=0.5, binarize_semantic=False)
    text = report_html(Runs().add(record, name="tiny"))
    numbers = re.search(r"AP <b>(.*?)</b> · ROC AUC <b>(.*?)</b> · ECE <b>(.*?)</b>", text)
    assert numbers is not None and numbers.groups() == ("0.6931", "0.6806", "0.3158")


def test_report_numbers_have_4_decimals_even_when_whole():
    """The trial's report printed a mean HD95 of 6 pixels as "6" beside another's "7.6500"."""
    truth = np.zeros((10, 10), np.int32)
    truth[5, 2] = 1
    prediction = np.zeros_like(truth)
    prediction[5, 4] = 1  # one pixel each, 2 pixels apart: HD95 = 2 pixels
    runs = Runs()
    runs.add(evaluate(truth, prediction, boundary=True), name="a")
    runs.add(evaluate(truth, truth, boundary=True), name="b")  # HD95 = 0
    text = report_html(runs["a"])
    assert "<div class='label'>mean HD95 (pixels)</div><div class='value'>2.0000<" in text
    assert re.search(r"<td class=text>mean_hd95</td><td>2\.0000</td>", text)
    # counts stay whole: 1 true object
    assert re.search(r"<td class=text>n_true</td><td>1</td>", text)
    comparison = report_html(runs.compare("a", "b"))
    # A 2 pixels, B 0, B − A −2: all with 4 decimals
    assert re.search(
        r"mean_hd95</td>.*?<td>2\.0000</td><td>0\.0000</td><td>-2\.0000</td>", comparison
    )


def test_a_confidence_export_that_fails_midway_changes_no_file(dock, tmp_path, errors, monkeypatch):
    _, widget = dock
    widget.confidence.run(wait=True)
    (tmp_path / "threshold_sweep.csv").write_text("old", encoding="utf-8")
    written = []
    real = pd.DataFrame.to_csv

    def to_csv(frame, file, **kwargs):  # the second table's write fails (a full disk)
        written.append(file)
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        return real(frame, file, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    assert widget.confidence.export_csv(tmp_path) == []
    assert errors[-1].endswith(f"to {tmp_path}: No space left on device.")
    assert [path.name for path in tmp_path.iterdir()] == ["threshold_sweep.csv"]  # no part
    assert (tmp_path / "threshold_sweep.csv").read_text(encoding="utf-8") == "old"
