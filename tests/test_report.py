"""The HTML report: every table and value present, images embedded, no external resource."""

import base64
import dataclasses
import re

import numpy as np
import pytest

from napari_seg_eval.core import catalogue
from napari_seg_eval.evaluation import EvaluationSettings, ThresholdOptions, evaluate
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


def _images(text):
    """The report's embedded images, by their caption (alt text), as RGB arrays."""
    import io

    from PIL import Image

    found = re.findall(r"<img alt='([^']*)' src='data:image/png;base64,([^']+)'", text)
    return {
        alt: np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))
        for alt, data in found
    }


def _has_color(image, rgb):
    """Some pixel of ``image`` has the colour ``rgb`` (0..1), to within rounding."""
    target = np.round(np.asarray(rgb) * 255)
    return bool((np.abs(image.astype(int) - target).max(axis=-1) <= 1).any())


def test_3d_change_map_shows_the_plane_with_most_changed_objects():
    """Regression: of a stack the map showed the middle plane, blank when no object crossed
    it. It shows the plane holding most fixed or broken objects, and names it."""
    from napari_seg_eval.core.compare import CHANGE_COLORS

    truth = np.zeros((5, 10, 20), np.int32)
    truth[0:2, 1:5, 1:5] = 1  # planes 0-1
    truth[3:5, 1:5, 6:10] = 2  # planes 3-4
    truth[4, 5:9, 12:16] = 3  # plane 4 only; the middle plane 2 holds no object
    a = np.where(truth == 1, 1, 0)  # A finds object 1 only
    b = np.where(truth == 1, 0, truth)  # B finds 2 and 3, not 1
    runs = Runs()
    runs.add(evaluate(truth, a), name="A")
    runs.add(evaluate(truth, b), name="B")
    text = report_html(runs.compare("A", "B"))
    # fixed by B: 2 and 3; broken: 1. Plane 4 holds 2 and 3 (2 of the 3 changed objects),
    # planes 0, 1 and 3 one each.
    caption = (
        "True objects by change on plane 4 (of 0–4), the plane with most fixed or broken "
        "objects: 2 of the 3."
    )
    assert caption in text
    image = _images(text)[caption]
    assert _has_color(image, CHANGE_COLORS["fixed by B"])
    assert not _has_color(image, CHANGE_COLORS["broken by B"])  # object 1 is not on plane 4
    legend = re.findall(r"background: rgb\(([\d, ]+)\)'></i>(fixed by B|broken by B)", text)
    assert ("27, 120, 55", "fixed by B") in legend  # 0.106, 0.471, 0.216 of 255


def test_boundary_values_carry_their_unit_and_tolerance():
    """Regression: the unit of HD, HD95, ASSD and the τ of NSD / boundary F1 were only in the
    settings table; they are beside the values."""
    truth = np.zeros((10, 10), np.int32)
    truth[2:6, 2:6] = 1
    pred = np.zeros_like(truth)
    pred[2:6, 3:7] = 1  # one pixel to the right
    # Each boundary point of one square lies on the other's boundary or 1 pixel from it:
    # HD = HD95 = 1 pixel = 0.5 µm at spacing 0.5; every point is within τ = 2 µm: NSD = 1.
    record = evaluate(truth, pred, boundary=True, spacing=(0.5, 0.5), units="µm", tolerance=2)
    text = report_html(Runs().add(record, name="um"))
    assert "<div class='label'>mean HD95 (µm)</div><div class='value'>0.5000" in text
    assert "<div class='label'>mean NSD @ τ = 2 µm</div><div class='value'>1.0000" in text
    assert "are in µm, with the pixel size (spacing) 0.5 × 0.5" in text
    # the boundary tables, their headers with the unit and τ
    assert "<h2>Boundary per class</h2>" in text and ">HD (µm)</th>" in text
    assert ">boundary F1 @ τ = 2 µm</th>" in text
    # No spacing: pixels; a spacing without a unit: the spacing's units (not pixels).
    runs = Runs()
    runs.add(evaluate(truth, pred, boundary=True), name="px")
    runs.add(evaluate(truth, pred, boundary=True, spacing=(2, 0.5)), name="spacing")
    assert runs["px"].record.settings.distance_units == "pixels"
    assert runs["spacing"].record.settings.distance_units == "spacing units"  # the record too
    # Replaced settings say what the new spacing gives, never the unit of the old one.
    spacing = runs["spacing"].record.settings
    assert dataclasses.replace(spacing, spacing=None).distance_units == "pixels"
    assert dataclasses.replace(EvaluationSettings(), spacing=(2, 1)).distance_units == (
        "spacing units"
    )
    text = report_html(runs["px"])
    assert "mean HD95 (pixels)" in text and "mean NSD @ τ = 1 pixel<" in text
    text = report_html(runs["spacing"])
    assert "mean HD95 (spacing units)" in text and "pixel size (spacing) 2 × 0.5" in text
    # A comparison of runs measured differently says each one's.
    text = report_html(runs.compare("px", "spacing"))
    assert "mean HD95 (A: pixels; B: spacing units)" in text
    assert "mean NSD @ τ (A: τ = 1 pixel; B: τ = 1 spacing unit)" in text


def test_dataset_boundary_values_carry_their_unit(tmp_path):
    for side in ("truth", "prediction"):
        (tmp_path / side).mkdir()
        image = np.zeros((10, 10), np.int32)
        image[2:6, 2:6] = 1
        np.save(tmp_path / side / "im.npy", image)
    result = evaluate_files(tmp_path / "truth", tmp_path / "prediction", boundary=True)
    text = report_html(Runs().add(result, name="d"))
    assert ">mean HD95 (pixels)</th>" in text  # the per-image table's header
    assert "mean NSD @ τ = 1 pixel (image mean)" in text  # the summary's row
    assert "<h2>Boundary per image and class</h2>" in text


def test_snapshot_outlines_both_show_on_the_page():
    """Regression: true outlines were white on the white page and hid the predicted (black)
    ones where both ran along the same edge. True outlines are black, predicted ones orange
    dashes drawn inside them."""
    truth = np.zeros((20, 30), np.int32)
    truth[5:15, 5:12], truth[5:15, 14:21] = 1, 2  # two objects, a 2-pixel gap between
    pred = np.where(truth > 0, 7, 0)
    pred[5:15, 12:14] = 7  # one prediction over both and the gap: a merge
    text = report_html(Runs().add(evaluate(truth, pred), name="merge"))
    assert "<i class='line'></i>true outline" in text
    assert "<i class='line dashed'></i>predicted outline" in text
    image = _images(text)["predicted object 7: merge (area 160)"]  # 10 x (7 + 2 + 7) pixels
    red, green, blue = (image[..., c].astype(int) for c in range(3))
    # orange (#EE7733): red well above green above blue; none of the error kinds' colours is
    orange = (red > 150) & (red > green + 60) & (green > blue + 30)
    black = image.max(axis=-1) < 40
    assert orange.any() and black.any()
    # The prediction's left and right edges are the truth's: its orange dashes run there too.
    orange_columns, black_columns = np.nonzero(orange.any(0))[0], np.nonzero(black.any(0))[0]
    assert abs(orange_columns.min() - black_columns.min()) <= 3
    assert abs(orange_columns.max() - black_columns.max()) <= 3


def test_empty_layer_names_are_not_shown(runs):
    """Regression: records made from Python (no layer names) read "A: A (), B: B (), on truth
    ." and "truth: · prediction:"."""
    nameless = Runs()
    nameless.add(evaluate(TRUTH, TRUTH), name="A")
    nameless.add(evaluate(TRUTH, np.where(TRUTH == 4, 0, TRUTH)), name="B")
    text = report_html(nameless.compare("A", "B"))
    assert "<p class='meta'>A: <b>A</b>, B: <b>B</b>. Differences are B − A.</p>" in text
    assert "()" not in text and "on truth" not in text
    assert "truth: <b></b>" not in text and "prediction: <b></b>" not in text
    # named layers are still named
    text = report_html(runs.compare("A", "B"))
    assert "A: <b>A</b> (prob), B: <b>B</b>, on truth <b>gt</b>." in text


def test_text_columns_are_text_with_either_pandas_string_dtype():
    """floors68: pandas 3 gives strings the str dtype, not object; the report's name column
    lost its text class (left alignment) there."""
    import pandas as pd

    from napari_seg_eval.report import _table

    for dtype in (object, "str"):
        frame = pd.DataFrame({"name": pd.Series(["img1", "img2"], dtype=dtype), "n": [1, 2]})
        html = _table(frame)
        assert "<td class=text>img1" in html and "<td>1</td>" in html, dtype
