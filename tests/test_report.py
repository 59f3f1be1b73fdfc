"""The HTML report: every table and value present, images embedded, no external resource."""

import base64
import re

import numpy as np
import pytest

from napari_seg_eval.core import catalogue
from napari_seg_eval.evaluation import ThresholdOptions, evaluate
from napari_seg_eval.io import evaluate_files
from napari_seg_eval.report import report_html, write_report
from napari_seg_eval.runs import Run, Runs, agreement

TRUTH = np.zeros((40, 40), np.int32)
TRUTH[2:8, 2:8] = 1
TRUTH[10:18, 10:18] = 2
TRUTH[25:35, 5:15] = 3
TRUTH[25:30, 25:38] = 4


def probability():
    prob = np.random.default_rng(0).random(TRUTH.shape) * 0.3
    prob[TRUTH > 0] += 0.6
    prob[25:30, 30:32] = 0.1  # object 4 falls apart into two pieces
    return prob


@pytest.fixture
def runs():
    runs = Runs()
    runs.add(
        evaluate(
            TRUTH,
            probability(),
            threshold=0.5,
            threshold_options=ThresholdOptions(min_size=2),
            truth_name="gt",
            prediction_name="prob",
        ),
        name="A",
    )
    runs.add(evaluate(TRUTH, np.where(TRUTH == 4, 0, TRUTH)), name="B")
    return runs


def assert_self_contained(text):
    assert not re.search(r"<(script|link|iframe|object|embed)\b", text, re.I)
    assert not re.search(r"(src|href)\s*=\s*['\"](?!data:)", text, re.I)
    assert "http://" not in text and "https://" not in text
    assert "url(" not in text
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    for data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    return len(images)


def test_run_report(runs, tmp_path):
    run = runs["A"]
    path = write_report(run, tmp_path / "a.html")
    text = path.read_text(encoding="utf-8")
    # Plots: per IoU threshold, PR, ROC, reliability, object-level curve; and error snapshots.
    n_images = assert_self_contained(text)
    assert n_images >= 5 + 1
    for caption in (
        "precision-recall",
        "ROC",
        "Reliability diagram",
        "versus the probability threshold",
        "Error snapshots",
    ):
        assert caption in text
    # Every headline metric as a card with its definition.
    for key, value in run.headline.items():
        assert catalogue.label("instance.summary", key) in text or key in text
        assert f"{value:.4f}" in text
    definition = catalogue.tooltip("instance.summary", "f1_50").splitlines()[1]
    assert definition.replace("'", "&#x27;") in text
    # Every table, with every value (4 decimals).
    for name in ("Per IoU threshold", "Per class", "Per object", "Settings and versions"):
        assert f"<h2>{name}</h2>" in text
    for value in run.tables["per_threshold"]["f1"]:
        assert f"{value:.4f}" in text
    for value in run.tables["per_class"]["iou"]:
        assert f"{value:.4f}" in text
    # the per-object table without the bounding boxes (the viewer's zoom needs them, not readers)
    assert "bbox_start_0" in run.tables["per_object"] and "bbox_start" not in text
    # Settings and versions.
    assert "threshold_options.min_size" in text and "scikit-image" in text
    assert "<b>gt</b>" in text and "<b>prob</b>" in text


def test_comparison_report(runs):
    comparison = runs.compare("A", "B")
    text = report_html(comparison)
    assert assert_self_contained(text) >= 1
    assert "<h1>Comparison: B against A</h1>" in text
    for value in comparison.headline["difference"]:
        assert f"{value:.4f}" in text
    counts = comparison.objects["change"].value_counts()
    assert f"Fixed by B: <b>{counts.get('fixed by B', 0)}</b>" in text
    assert f"broken by B: <b>{counts.get('broken by B', 0)}</b>" in text
    assert "McNemar" in text
    assert "Run A: A" in text and "Run B: B" in text


def test_dataset_and_dataset_comparison_reports(tmp_path):
    for side, ids in (("truth", [1, 2]), ("a", [1]), ("b", [1, 2])):
        (tmp_path / side).mkdir()
        for i in range(3):
            image = np.zeros((4, 8), np.int32)
            for position, object_id in zip((0, 4), ids, strict=False):
                image[:2, position : position + 2] = object_id
            np.save(tmp_path / side / f"im{i}.npy", image)
    runs = Runs()
    a = runs.add(evaluate_files(tmp_path / "truth", tmp_path / "a"), name="A")
    runs.add(evaluate_files(tmp_path / "truth", tmp_path / "b"), name="B")
    text = report_html(a)
    assert assert_self_contained(text) == 1  # per-image scores
    assert "<h2>Per image</h2>" in text and "<h2>Instance: pooled" in text
    assert "im0" in text and "im2" in text
    assert f"{a.headline['f1_50_pooled']:.4f}" in text  # 2/3 pooled
    # how values are pooled and the 0/0 rule: said once under the cards, not on every card
    cards = re.findall(r"<div class='definition'>(.*?)</div>", text, flags=re.S)
    assert cards and not any("summed over images" in card or "0/0" in card for card in cards)
    assert text.count("<p class='note'>Over images: pooled = counts summed over images") == 1
    assert text.count("<p class='note'>0/0 is undefined") == 1
    comparison = runs.compare("A", "B")
    text = report_html(comparison)
    assert assert_self_contained(text) == 1  # per-image differences
    assert "Per image, largest change first" in text and "paired percentile bootstrap" in text
    for value in comparison.headline["difference"]:
        assert f"{value:.4f}" in text


def test_report_rejects_other_things():
    with pytest.raises(TypeError, match="Run or a Comparison"):
        report_html("a run")


def test_report_labels_intervals_over_objects(runs):
    run = runs["B"]  # objects 1-3 found exactly, 4 missed: F1 = 6/7
    text = report_html(run)
    low, high = run.intervals.loc["f1_50"]
    assert f"0.8571<span class='interval'> [{low:.4f}, {high:.4f}]</span>" in text
    assert "interval over objects" in text
    assert "<h2>Bootstrap over objects (instance metrics)</h2>" in text
    assert "bootstrap over the objects of this one image" in text
    assert "<p class='note'>Over images" not in text  # one image: nothing is pooled


def test_agreement_report_says_annotators_and_symmetry():
    run = agreement(TRUTH, np.where(TRUTH == 4, 0, TRUTH), name_a="Ann", name_b="Bob")
    text = report_html(run)
    assert "<h1>Agreement: Ann vs Bob</h1>" in text
    assert "annotator A: <b>Ann</b> · annotator B: <b>Bob</b>" in text
    assert "<h2>Agreement: annotator A vs annotator B</h2>" in text
    assert "swaps with recall_50" in text and "<h2>Boundary (foreground)</h2>" in text
    assert assert_self_contained(text) >= 1


def _cell(text, label):
    """The value cell of the summary row whose label is ``label``."""
    cells = rf"<td class=text>{re.escape(label)}</td><td class=text>\w+</td><td>(.*?)</td>"
    match = re.search(cells, text)
    assert match is not None, label
    return match.group(1)


def test_counts_of_zero_and_one_are_whole_numbers_and_a_ratio_of_one_is_not(tmp_path):
    # one pair, both objects found exactly: F1 = 1 (a ratio), 0 failed, 1 image (counts)
    for side in ("truth", "prediction"):
        (tmp_path / side).mkdir()
        image = np.zeros((6, 6), np.int32)
        image[1:3, 1:3] = 1
        np.save(tmp_path / side / "im.npy", image)
    # as the command line's --report: from the result folder, where counts are read as floats
    folder = evaluate_files(tmp_path / "truth", tmp_path / "prediction").write(tmp_path / "out")
    text = report_html(Run.load(folder))
    assert _cell(text, "failed") == "0"
    assert _cell(text, "images") == "1"
    assert _cell(text, "true objects") == "1"
    assert _cell(text, "F1 @ 0.5 (pooled)") == "1.0000"


def test_a_presets_numbers_lead_the_headline_with_their_labels(tmp_path):
    # object 1 (8 x 8) is predicted as 8 x 3: IoU 24/64 < 0.5, a miss and a false positive;
    # object 2 is exact. F1 at 0.5 = 2 * 1 / (2 + 1 + 1) = 0.5 in both images.
    for side in ("truth", "prediction"):
        (tmp_path / side).mkdir()
    for name in ("a", "b"):
        truth = np.zeros((32, 32), np.int32)
        truth[4:12, 4:12] = 1
        truth[16:28, 16:28] = 2
        prediction = truth.copy()
        prediction[4:12, 4:9] = 0
        np.save(tmp_path / "truth" / f"{name}.npy", truth)
        np.save(tmp_path / "prediction" / f"{name}.npy", prediction)
    result = evaluate_files(tmp_path / "truth", tmp_path / "prediction", preset="neurips2022")
    run = Runs().add(result)
    assert list(run.headline.index[:2]) == ["f1_50_image_mean", "f1_50_image_median"]
    assert run.headline["f1_50_image_median"] == pytest.approx(0.5)
    text = report_html(run)
    assert "F1 @ 0.5 (image median)" in text
    assert text.index("F1 @ 0.5 (image median)") < text.index("AJI (pooled)")
    entry = catalogue.metric("dataset.summary", "f1_50_image_median")
    assert entry.pooling == "none" and "median over images" in entry.definition


def test_matched_objects_stand_out_on_the_reports_white_page(runs, tmp_path):
    """Regression: the report drew matched objects (and their legend swatch) pale grey
    #DDDDDD on its white page and snapshot background: contrast 1.4 (WCAG asks 3 for
    graphics). They are charcoal #222222 there, as in the dock on a light background."""
    text = write_report(runs["A"], tmp_path / "a.html").read_text(encoding="utf-8")
    legend = re.search(r"<p class='legend'>(.*?)</p>", text).group(1)
    swatches = dict(
        (name, rgb)
        for rgb, name in re.findall(r"background: rgb\(([\d, ]+)\)'></i>([^<]+)", legend)
    )
    assert swatches["matched"] == "34, 34, 34"  # 0.133 * 255

    def luminance(channel):  # WCAG relative luminance of a grey level in [0, 1]
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    assert (1 + 0.05) / (luminance(34 / 255) + 0.05) > 3  # against white: about 15
    assert (1 + 0.05) / (luminance(221 / 255) + 0.05) < 1.5  # the pale grey of before
