"""The words of the instance metrics follow the matching of the result they describe
(``catalogue.Matching``): IoU at several thresholds reads as the catalogue writes it; another
criterion reads with its rule (``core.review.match_rule``); one threshold says that the "mean
over thresholds" is over that one. The report of a result says them too."""

import numpy as np
import pytest

from napari_seg_eval.core import catalogue
from napari_seg_eval.evaluation import evaluate
from napari_seg_eval.report import report_html
from napari_seg_eval.runs import Run

#: Words that say objects are matched by IoU (none may be left under another criterion).
IOU_MATCHING = ("IoU ≥", "at IoU", "IoU threshold", "its IoU is at least", "IoU > 0.5")


def images():
    """Truth 1: rows 2-5 × cols 2-6 (20 pixels). Prediction 11: rows 2-5 × cols 4-11 (32
    pixels). Shared: rows 2-5 × cols 4-6 = 12 pixels. |T∩P|/|T| = 12/20 = 0.6 > 0.5: matched
    under "iot"; IoU = 12 / (20 + 32 - 12) = 12/40 = 0.3 < 0.5: not under IoU."""
    true = np.zeros((12, 14), np.uint16)
    true[2:6, 2:7] = 1
    pred = np.zeros_like(true)
    pred[2:6, 4:12] = 11
    return true, pred


def test_iou_at_several_thresholds_reads_as_written():
    """Every entry of every table is the catalogue's own, for the default and for two IoU
    thresholds (reports and tables of IoU results are unchanged)."""
    for matching in (catalogue.Matching(), catalogue.Matching("iou", (0.5, 0.75))):
        for table, entries in catalogue.TABLES.items():
            for entry in entries:
                assert catalogue.metric(table, entry.key, matching) is entry


def test_another_criterion_says_its_rule():
    matching = catalogue.Matching("iot", (0.5, 0.75))
    formula = catalogue.metric("instance.summary", "f1_50", matching).formula
    assert formula == "2 TP / (2 TP + FP + FN) at |T∩P|/|T| > 0.50"
    assert catalogue.label("instance.per_threshold", "threshold", matching) == (
        "|T∩P|/|T| threshold"
    )
    card = catalogue.tooltip("instance.per_threshold", "threshold", matching)
    assert card.splitlines()[:2] == [
        "|T∩P|/|T| threshold: |T∩P|/|T| > t",
        "a pair matches when |T∩P|/|T| > t",
    ]
    assert catalogue.label(
        "dataset.summary", "mean_accuracy_pooled", catalogue.Matching("iop")
    ) == ("AP (DSB), mean over |T∩P|/|P| thresholds (pooled)")
    # No word of IoU matching is left in the instance tables' entries (IoU as a value, e.g.
    # "Σ IoU" or the per-object "IoU with the partner", stays).
    for table in catalogue.MATCHED_TABLES:
        for entry in catalogue.TABLES[table]:
            shown = catalogue.metric(table, entry.key, matching)
            for text in (shown.label, shown.formula, shown.definition):
                assert not any(words in text for words in IOU_MATCHING), (table, text)


def test_boundary_pairs_and_coco_stay_iou():
    """Boundary pairs and COCO detections are matched by IoU whatever the criterion."""
    matching = catalogue.Matching("iot", (0.5,))
    for table, key in (("boundary.per_object", "true_label"), ("coco.per_threshold", "ap")):
        assert catalogue.metric(table, key, matching) is catalogue.metric(table, key)


def test_one_threshold_says_its_mean_is_over_it():
    """AP (DSB) mean over one threshold is AP (DSB) at it: the label says it is over one, its
    formula which (the CSV column stays mean_accuracy)."""
    for threshold, rule in ((0.5, "IoU ≥ 0.50"), (0.7, "IoU ≥ 0.70")):
        matching = catalogue.Matching("iou", (threshold,))
        entry = catalogue.metric("per_plane", "mean_accuracy", matching)
        assert entry.label == "AP (DSB), mean over 1 threshold"
        assert entry.formula == f"mean over 1 threshold ({rule}) of TP / (TP + FP + FN)"
    matching = catalogue.Matching("iot", (0.5,))
    assert catalogue.label("dataset.summary", "mean_accuracy_image_mean", matching) == (
        "AP (DSB), mean over 1 threshold (image mean)"
    )
    assert catalogue.metric("instance.summary", "class_mean_accuracy", matching).formula == (
        "mean over classes of the mean over 1 threshold (|T∩P|/|T| > 0.50) of "
        "TP_c / (TP_c + FP_c + FN_c)"
    )


def test_matching_of_settings():
    record = evaluate(*images(), preset="ctc")
    assert catalogue.Matching.of(record.settings) == catalogue.Matching("iot", (0.5,))
    assert catalogue.Matching.of({"settings": {"criterion": "iop", "iou_thresholds": [0.6]}}) == (
        catalogue.Matching("iop", (0.6,))
    )
    assert (
        catalogue.Matching.of({}) == catalogue.Matching()
    )  # a record saved without them: the defaults


def card_of(html: str, label: str) -> str:
    """The report's headline card labelled ``label`` (up to the next card)."""
    cards = html.split("<div class='card'>")[1:]
    (card,) = [card for card in cards if card.startswith(f"<div class='label'>{label}</div>")]
    return card


def test_the_report_says_the_rule_its_numbers_were_matched_by():
    """Under the ctc preset F1 @ 0.5 is 1 (TP 1: |T∩P|/|T| = 0.6 > 0.5) and its card says
    so; by IoU it is 0 (IoU 0.3: TP 0, FP 1, FN 1: 0 / (0 + 1 + 1)) and says IoU."""
    ctc = report_html(Run.from_evaluation(evaluate(*images(), preset="ctc"), "ctc"))
    card = card_of(ctc, "F1 @ 0.5")
    assert "<div class='value'>1.0000<" in card
    assert (
        "<div class='definition'>2 TP / (2 TP + FP + FN) at |T∩P|/|T| &gt; 0.50\n"
        "F1 of one-to-one matches at |T∩P|/|T| &gt; 0.50 (NeurIPS 2022 CellSeg)</div>"
    ) in card
    assert "<h2>Per |T∩P|/|T| threshold</h2>" in ctc
    assert "AP (DSB), mean over 1 threshold</div>" in ctc
    assert not any(words in ctc for words in ("at IoU ≥", "IoU threshold", "at IoU 0.5"))

    iou = report_html(Run.from_evaluation(evaluate(*images()), "iou"))
    card = card_of(iou, "F1 @ 0.5")
    assert "<div class='value'>0.0000<" in card
    assert (
        "<div class='definition'>2 TP / (2 TP + FP + FN) at IoU 0.5\n"
        "F1 of one-to-one matches at IoU ≥ 0.5 (NeurIPS 2022 CellSeg)</div>"
    ) in card
    assert "<h2>Per IoU threshold</h2>" in iou and "|T∩P|" not in iou
    assert "AP (DSB), mean over IoU thresholds</div>" in iou


@pytest.mark.parametrize("criterion", ["iot", "iop"])
def test_rewrite_leaves_other_text(criterion):
    """Text with no words of matching is left as it is."""
    assert catalogue.Matching(criterion).rewrite("Scores of each plane.") == "Scores of each plane."
