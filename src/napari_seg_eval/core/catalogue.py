"""The metric catalogue: every reported column's label, formula, definition and pooling rule.

One place that says what each number is. Table headers and tooltips in the viewer, the pooled
and image-mean columns of :func:`~napari_seg_eval.dataset_metrics` and the metric tables in
``docs/metrics.md`` all read it. Entries are keyed by (table, column), because the same column
name can mean different things in different tables: ``accuracy`` is TP / (TP + FP + FN) (the
DSB "AP") in an instance table, but (TP + TN) / N in a semantic one.

Where a column is a formula of other columns of the same row, ``expression`` holds it as a
:meth:`pandas.DataFrame.eval` expression, and the tests recompute every such column from it.
Adding a metric means one core function plus one entry here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from .instance import DEFAULT_IOU_THRESHOLDS, REVIEW_THRESHOLD
from .review import MATCH_RULES, match_rule

#: How a value combines over many images.
Pooling = Literal["ratio", "sum", "ranked", "image_mean", "none"]
#: Which way a value is better: ``"higher"`` (a score), ``"lower"`` (a distance, an error or
#: an error count) or ``""`` (neither: a setting, an id, a count of the truth).
Better = Literal["higher", "lower", ""]

_POOLING_TEXT = {
    "ratio": "over images: pooled = counts summed over images, then the ratio; "
    "image mean = the mean of the per-image values (undefined ones left out)",
    "sum": "over images: summed",
    "ranked": "over images: pooled = the detections of all images ranked together by score, "
    "as pycocotools accumulates them (not the mean of per-image APs); image mean = the mean "
    "of the per-image values (undefined ones left out)",
    "image_mean": "over images: the image mean only (undefined ones left out; an infinite "
    "distance makes the mean infinite); not additive, so never pooled",
    "none": "",
}
UNDEFINED_RULE = "0/0 is undefined (NaN, shown as —) and left out of every mean"
#: How a ratio is taken over many images (the definition cards say it per metric).
POOLING_RULE = _POOLING_TEXT["ratio"]


@dataclass(frozen=True)
class Metric:
    """One column of one result table.

    Attributes
    ----------
    key
        The column name in the result table (and in CSV files).
    label
        A short header, e.g. ``"AP (DSB)"``.
    formula
        The formula in words and symbols, e.g. ``"TP / (TP + FP + FN)"``.
    definition
        One line: what it is, and which peer reports the same number.
    pooling
        How it combines over images: ``"ratio"`` (reported pooled and as an image mean),
        ``"sum"`` (a count), ``"ranked"`` (COCO AP: pooled by ranking the detections of all
        images together, and as an image mean), ``"image_mean"`` (not additive: the image
        mean only) or ``"none"`` (an id or a setting).
    expression
        The formula as a :meth:`pandas.DataFrame.eval` expression over other columns of the same
        row, where there is one.
    headline
        A headline value: shown first (the Runs tab, the report) and, over many images, given a
        bootstrap interval. Over many images every ``"ratio"`` value of an instance or semantic
        summary is reported as ``*_pooled`` and ``*_image_mean``, headline or not.
    better
        Which way the value is better, the truth being the same: ``"higher"`` (scores, and
        counts of what is right such as TP), ``"lower"`` (distances such as HD95, calibration
        errors, losses, counts of errors such as FP and FN) or ``""`` (no direction: ids,
        settings, counts of the truth or of the prediction).
    """

    key: str
    label: str
    formula: str = ""
    definition: str = ""
    pooling: Pooling = "none"
    expression: str | None = None
    headline: bool = False
    better: Better = ""

    @property
    def tooltip(self) -> str:
        """The definition card: formula, definition, pooling and the 0/0 rule."""
        lines = [f"{self.label}: {self.formula}" if self.formula else self.label]
        lines += [self.definition, _POOLING_TEXT[self.pooling]]
        if self.pooling in ("ratio", "ranked"):
            lines.append(UNDEFINED_RULE)
        return "\n".join(line for line in lines if line)


def _m(key: str, label: str, formula: str = "", definition: str = "", **kwargs) -> Metric:
    return Metric(key, label, formula, definition, **kwargs)


#: Precision and recall of the TP, FP and FN of a row: objects in an instance table, pixels in
#: a semantic one.
_PRECISION_RECALL = [
    _m(
        "precision",
        "precision",
        "TP / (TP + FP)",
        "",
        pooling="ratio",
        expression="tp / (tp + fp)",
        better="higher",
    ),
    _m(
        "recall",
        "recall",
        "TP / (TP + FN)",
        "",
        pooling="ratio",
        expression="tp / (tp + fn)",
        better="higher",
    ),
]
_TP = "true positives: matched pairs at this IoU threshold"
#: The other criteria, said where the catalogue speaks of IoU ≥ t (:class:`Matching`).
_OTHER_CRITERIA = " (criterion 'iot': |T ∩ P| / |T| > t; 'iop': |T ∩ P| / |P| > t)"
#: PQ's note on HoVer-Net's and CoNIC's IoU > 0.5.
_HOVERNET_IOU = (
    " (Kirillov et al., panopticapi, torchmetrics, HoVer-Net and CoNIC match IoU > 0.5: the two"
    " differ only at IoU exactly 0.5)"
)
_COUNTS = [
    _m("tp", "TP", "", _TP, pooling="sum", better="higher"),
    _m(
        "fp",
        "FP",
        "n_pred − TP",
        "false positives: predicted objects left unmatched",
        pooling="sum",
        better="lower",
    ),
    _m(
        "fn",
        "FN",
        "n_true − TP",
        "false negatives: true objects left unmatched",
        pooling="sum",
        better="lower",
    ),
]
_INSTANCE_RATIOS = [
    _m(
        "accuracy",
        "AP (DSB)",
        "TP / (TP + FP + FN)",
        "the 'AP' of DSB 2018, StarDist (accuracy) and Cellpose (average_precision); not COCO AP",
        pooling="ratio",
        expression="tp / (tp + fp + fn)",
        better="higher",
    ),
    _m(
        "f1",
        "F1",
        "2 TP / (2 TP + FP + FN)",
        "harmonic mean of precision and recall (StarDist f1)",
        pooling="ratio",
        expression="2 * tp / (2 * tp + fp + fn)",
        better="higher",
    ),
    *_PRECISION_RECALL,
]

INSTANCE_PER_THRESHOLD = [
    _m(
        "threshold",
        "IoU threshold",
        "IoU ≥ t",
        "a pair matches when its IoU is at least t" + _OTHER_CRITERIA,
    ),
    *_INSTANCE_RATIOS,
    *_COUNTS,
    _m(
        "panoptic_quality",
        "PQ",
        "Σ IoU / (TP + FP/2 + FN/2)",
        "panoptic quality (Kirillov et al. 2019) = mean matched IoU × F1",
        pooling="ratio",
        expression="sum_matched_iou / (tp + fp / 2 + fn / 2)",
        better="higher",
    ),
    _m(
        "mean_matched_iou",
        "mean matched IoU",
        "Σ IoU / TP",
        "mean IoU of the matched pairs (StarDist mean_matched_score; PQ's segmentation quality)",
        pooling="ratio",
        expression="sum_matched_iou / tp",
        better="higher",
    ),
    _m(
        "mean_true_iou",
        "mean true IoU",
        "Σ IoU / n_true",
        "summed IoU of the matches over the true objects (StarDist mean_true_score)",
        pooling="ratio",
        expression="sum_matched_iou / (tp + fn)",
        better="higher",
    ),
    _m(
        "sum_matched_iou",
        "Σ IoU",
        "Σ IoU over the matched pairs",
        "",
        pooling="sum",
        better="higher",
    ),
]

INSTANCE_SUMMARY = [
    _m(
        "mean_accuracy",
        "AP (DSB), mean over IoU thresholds",
        "mean over IoU thresholds of TP / (TP + FP + FN)",
        "the DSB 2018 score (StarDist, Cellpose) with the default thresholds 0.50:0.95; over "
        "the run's own thresholds otherwise (a preset's single 0.5 makes it AP (DSB) @ 0.5); "
        "not COCO AP",
        pooling="ratio",
        headline=True,
        better="higher",
    ),
    _m(
        "f1_50",
        "F1 @ 0.5",
        "2 TP / (2 TP + FP + FN) at IoU 0.5",
        "F1 of one-to-one matches at IoU ≥ 0.5 (NeurIPS 2022 CellSeg)",
        pooling="ratio",
        headline=True,
        better="higher",
    ),
    _m(
        "panoptic_quality_50",
        "PQ @ 0.5",
        "Σ IoU / (TP + FP/2 + FN/2) at IoU 0.5",
        "panoptic quality (Kirillov et al. 2019; HoVer-Net, CoNIC) of the matches at IoU ≥ 0.5"
        + _HOVERNET_IOU,
        pooling="ratio",
        headline=True,
        better="higher",
    ),
    _m(
        "aji",
        "AJI",
        "Σ |T ∩ P| / Σ |T ∪ P|",
        "aggregated Jaccard index (Kumar et al. 2017): each true object with its best-IoU "
        "prediction; unmatched objects add their area to the union (HoVer-Net's reading)",
        pooling="ratio",
        headline=True,
        better="higher",
    ),
    _m(
        "accuracy_50",
        "AP (DSB) @ 0.5",
        "TP / (TP + FP + FN) at IoU 0.5",
        "",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "precision_50",
        "precision @ 0.5",
        "TP / (TP + FP) at IoU 0.5",
        "",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "recall_50",
        "recall @ 0.5",
        "TP / (TP + FN) at IoU 0.5",
        "",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "n_true",
        "true objects",
        "",
        "objects in the ground truth (left after border exclusion)",
        pooling="sum",
    ),
    _m(
        "n_pred",
        "predicted objects",
        "",
        "objects in the prediction (left after border exclusion)",
        pooling="sum",
    ),
    _m(
        "class_mean_accuracy",
        "class mean AP (DSB)",
        "mean over classes of the mean over IoU thresholds of TP_c / (TP_c + FP_c + FN_c)",
        "objects matched within their class; classes with no object on either side left out",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "class_mean_panoptic_quality_50",
        "class mean PQ @ 0.5",
        "mean over classes of Σ IoU_c / (TP_c + FP_c/2 + FN_c/2) at IoU 0.5",
        "multi-class PQ; pooled over images it is CoNIC's mPQ+",
        pooling="ratio",
        better="higher",
    ),
]

INSTANCE_PER_CLASS = [
    _m(
        "class",
        "class",
        "",
        "the object class: the majority class of its pixels (ties: smallest), or as mapped",
    ),
    _m(
        "threshold",
        "IoU threshold",
        "IoU ≥ t",
        "a true and a predicted object of the same class match when their IoU is at least t",
    ),
    *INSTANCE_PER_THRESHOLD[1:],
]

INSTANCE_PER_OBJECT = [
    _m(
        "kind",
        "side",
        "",
        "true: a ground-truth object; pred: a predicted one (read a CSV of it with "
        "dtype={'kind': str}: pandas reads a column of only true as booleans)",
    ),
    _m("label", "label", "", "the object's id in its label image"),
    _m(
        "status",
        "status",
        "",
        "TP (matched at the review IoU), FN (true, unmatched), FP, or excluded (removed at "
        "the border before matching)",
    ),
    _m(
        "error",
        "error kind",
        "",
        "true: matched, merged, split, poor overlap or missed; predicted: matched, merge, "
        "fragment, poor overlap or spurious; either: excluded at the border "
        "(docs/metrics.md, Error kinds); review_objects and Evaluation.objects_at only",
    ),
    _m("iou", "IoU", "|T ∩ P| / |T ∪ P|", "IoU with the partner", better="higher"),
    _m(
        "partner",
        "partner",
        "",
        "the matched object, else the one of highest IoU; ties: the smallest id (0: none)",
    ),
    _m(
        "area",
        "area",
        "",
        "pixels (voxels) of the object, ignored pixels and pixels outside the region left out",
    ),
    _m("mean_confidence", "mean confidence", "mean p over the object", "review_objects only"),
    _m("class", "class", "", "the object's class (multi-class results only)"),
]

_SEMANTIC_RATIOS = [
    _m(
        "iou",
        "IoU",
        "TP / (TP + FP + FN)",
        "intersection over union (Jaccard) of the class's pixels",
        pooling="ratio",
        expression="tp / (tp + fp + fn)",
        better="higher",
    ),
    _m(
        "dice",
        "Dice",
        "2 TP / (2 TP + FP + FN)",
        "Dice coefficient = pixel F1 = 2 IoU / (1 + IoU)",
        pooling="ratio",
        expression="2 * tp / (2 * tp + fp + fn)",
        better="higher",
    ),
    *_PRECISION_RECALL,
]
_PIXEL_COUNTS = [
    _m("tp", "TP", "", "pixels of the class in both", pooling="sum", better="higher"),
    _m("fp", "FP", "", "pixels predicted as the class, true other", pooling="sum", better="lower"),
    _m("fn", "FN", "", "pixels of the class predicted as another", pooling="sum", better="lower"),
    _m("tn", "TN", "", "pixels of another class in both", pooling="sum", better="higher"),
]

SEMANTIC_PER_CLASS = [
    _m("class", "class", "", "the class id (label 0 is a class like any other here)"),
    *_SEMANTIC_RATIOS,
    _m(
        "accuracy",
        "accuracy",
        "(TP + TN) / N",
        "pixels right about this class against all others (not the DSB 'AP')",
        pooling="ratio",
        expression="(tp + tn) / (tp + fp + fn + tn)",
        better="higher",
    ),
    *_PIXEL_COUNTS,
    _m(
        "support",
        "true pixels",
        "TP + FN",
        "pixels of the class in the ground truth",
        pooling="sum",
        expression="tp + fn",
    ),
    _m("in_means", "in means", "", "whether the class counts in the summary means"),
]

SEMANTIC_SUMMARY = [
    _m(
        "mean_iou",
        "mean IoU",
        "mean over classes of IoU",
        "mIoU, macro average over the classes compared, the background (0) included unless "
        "include_background=False: for foreground vs background, the mean of the two; the "
        "foreground's own IoU is its per-class row",
        pooling="ratio",
        headline=True,
        better="higher",
    ),
    _m(
        "mean_dice",
        "mean Dice",
        "mean over classes of Dice",
        "macro average over the classes compared, the background (0) included unless "
        "include_background=False (see mean IoU)",
        pooling="ratio",
        headline=True,
        better="higher",
    ),
    _m(
        "pixel_accuracy",
        "pixel accuracy",
        "Σ_c TP_c / N",
        "fraction of the counted pixels right, over every class (also with classes=, "
        "which chooses the classes of the means and per-class rows)",
        pooling="ratio",
        headline=True,
        better="higher",
    ),
    _m(
        "mean_precision",
        "mean precision",
        "mean over classes of precision",
        "",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "mean_recall",
        "mean recall",
        "mean over classes of recall",
        "",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "frequency_weighted_iou",
        "frequency-weighted IoU",
        "Σ_c support_c IoU_c / Σ_c support_c",
        "",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "n_pixels",
        "pixels counted",
        "",
        "pixels left after the ignore label and region",
        pooling="sum",
    ),
]

SWEEP_PER_THRESHOLD = [
    _m("threshold", "probability threshold", "p > t", "foreground where p is above t"),
    *_SEMANTIC_RATIOS,
    _m(
        "f1",
        "F1",
        "2 TP / (2 TP + FP + FN)",
        "pixel F1 (= Dice)",
        pooling="ratio",
        expression="2 * tp / (2 * tp + fp + fn)",
        better="higher",
    ),
    _m(
        "accuracy",
        "accuracy",
        "(TP + TN) / N",
        "pixel accuracy",
        pooling="ratio",
        expression="(tp + tn) / (tp + fp + fn + tn)",
        better="higher",
    ),
    _m(
        "fpr",
        "FPR",
        "FP / (FP + TN)",
        "false positive rate (ROC x axis)",
        pooling="ratio",
        expression="fp / (fp + tn)",
        better="lower",
    ),
    *_PIXEL_COUNTS,
]

SWEEP_SUMMARY = [
    _m(
        "best_threshold",
        "best threshold",
        "",
        "the lowest threshold maximising the metric (NaN when the truth has no positive pixel, "
        "except for accuracy)",
    ),
    _m("best_value", "best value", "", "the metric at the best threshold", better="higher"),
    _m("metric", "metric", "", "the metric the best threshold maximises"),
    _m(
        "average_precision",
        "average precision",
        "Σ (R_k − R_k+1) P_k",
        "area under the precision–recall curve (scikit-learn's average_precision_score)",
        better="higher",
    ),
    _m("roc_auc", "ROC AUC", "trapezoidal area under the ROC curve", "", better="higher"),
    _m("n_positive", "positive pixels", "", "inside the region", pooling="sum"),
    _m("n_negative", "negative pixels", "", "inside the region", pooling="sum"),
]

CALIBRATION_BINS = [
    _m("bin_lower", "from", "", "the bin's lower edge (included)"),
    _m("bin_upper", "to", "", "the bin's upper edge (excluded, except 1)"),
    _m("count", "pixels", "", "pixels in the bin", pooling="sum"),
    _m("mean_probability", "mean p", "mean p in the bin", "the confidence"),
    _m("observed_frequency", "observed", "foreground pixels / pixels", "how often it is right"),
    _m(
        "gap",
        "gap",
        "|observed − mean p|",
        "",
        expression="abs(observed_frequency - mean_probability)",
        better="lower",
    ),
]

CALIBRATION_SUMMARY = [
    _m(
        "ece",
        "ECE",
        "Σ_b (n_b / N) |observed_b − mean p_b|",
        "expected calibration error",
        better="lower",
    ),
    _m("mce", "MCE", "max_b |observed_b − mean p_b|", "maximum calibration error", better="lower"),
    _m("brier", "Brier", "mean (p − y)²", "Brier score", better="lower"),
    _m(
        "nll",
        "NLL",
        "−mean (y log p + (1 − y) log(1 − p))",
        "negative log-likelihood",
        better="lower",
    ),
    _m("n_bins", "bins", "", "equal-width bins"),
    _m("n_pixels", "pixels", "", "pixels counted (inside the region)", pooling="sum"),
    _m("temperature", "T", "argmin_T NLL(sigmoid(logit p / T))", "temperature scaling"),
    _m("platt_slope", "Platt a", "p′ = sigmoid(a logit p + b)", "Platt scaling: slope"),
    _m("platt_intercept", "Platt b", "p′ = sigmoid(a logit p + b)", "Platt scaling: intercept"),
    _m(
        "ece_calibrated",
        "ECE (calibrated)",
        "ECE of p′",
        "after the method asked for",
        better="lower",
    ),
    _m(
        "nll_calibrated",
        "NLL (calibrated)",
        "NLL of p′",
        "after the method asked for",
        better="lower",
    ),
    _m(
        "ece_temperature",
        "ECE (temperature)",
        "ECE of sigmoid(logit p / T)",
        "beside Platt",
        better="lower",
    ),
    _m(
        "nll_temperature",
        "NLL (temperature)",
        "NLL of sigmoid(logit p / T)",
        "beside Platt",
        better="lower",
    ),
]

_BOUNDARY_DISTANCES = [
    _m(
        "hd",
        "HD",
        "max(max d_pt, max d_tp)",
        "Hausdorff distance between the boundaries, in the units of spacing (MONAI "
        "compute_hausdorff_distance); inf when one side is empty",
        pooling="image_mean",
        better="lower",
    ),
    _m(
        "hd95",
        "HD95",
        "max(P95 d_pt, P95 d_tp)",
        "95th-percentile Hausdorff distance (MONAI, percentile=95)",
        pooling="image_mean",
        better="lower",
    ),
    _m(
        "assd",
        "ASSD",
        "(Σ d_pt + Σ d_tp) / (#d_pt + #d_tp)",
        "average symmetric surface distance (MONAI compute_average_surface_distance, symmetric)",
        pooling="image_mean",
        better="lower",
    ),
    _m(
        "nsd",
        "NSD @ τ",
        "(#{d_pt ≤ τ} + #{d_tp ≤ τ}) / (#d_pt + #d_tp)",
        "normalised surface Dice at tolerance τ (MONAI compute_surface_dice)",
        pooling="image_mean",
        better="higher",
    ),
    _m(
        "boundary_f1",
        "boundary F1 @ τ",
        "2 P R / (P + R), P = #{d_pt ≤ τ} / #d_pt, R = #{d_tp ≤ τ} / #d_tp",
        "boundary F1 score (Csurka et al. 2013; DAVIS F)",
        pooling="image_mean",
        better="higher",
    ),
]

BOUNDARY_PER_CLASS = [
    _m("class", "class", "", "the class id"),
    *_BOUNDARY_DISTANCES,
]

BOUNDARY_PER_OBJECT = [
    _m("true_label", "true label", "", "the true object of the pair matched at IoU 0.5"),
    _m("pred_label", "predicted label", "", "its one-to-one partner"),
    _m("iou", "IoU", "|T ∩ P| / |T ∪ P|", "IoU of the pair", better="higher"),
    *_BOUNDARY_DISTANCES,
]

BOUNDARY_SUMMARY = [
    *[
        _m(
            f"mean_{entry.key}",
            f"mean {entry.label}",
            f"mean of {entry.label} over the classes (or matched pairs)",
            "NaN rows left out; an infinite distance makes the mean infinite; from files "
            "(--boundary): of the foreground (one class) unless --class-labels",
            pooling="image_mean",
            better=entry.better,
        )
        for entry in _BOUNDARY_DISTANCES
    ],
    _m("n_classes", "classes", "", "classes measured"),
    _m("n_true", "true objects", "", "objects in the ground truth", pooling="sum"),
    _m("n_pred", "predicted objects", "", "objects in the prediction", pooling="sum"),
    _m(
        "n_matched",
        "matched pairs",
        "",
        "pairs matched one-to-one at IoU 0.5 (from files: per image, not summed in the summary)",
        pooling="sum",
        better="higher",
    ),
]

BOUNDARY_PER_IMAGE = [
    *[
        _m(
            f"object_mean_{entry.key}",
            f"object mean {entry.label}",
            f"mean of {entry.label} over the object pairs matched at IoU 0.5",
            "each pair measured on its own bounding box (boundary_metrics(per_object=True)); "
            "NaN without matched pairs",
            pooling="image_mean",
            better=entry.better,
        )
        for entry in _BOUNDARY_DISTANCES
    ],
]

#: Per-image columns of a result folder that are settings of the pair, not metrics.
FILES_PER_IMAGE = [
    _m(
        "spacing",
        "spacing",
        "",
        "boundary metrics with --spacing file (spacing='file'): the pixel size read from the "
        "pair's files, one value per axis as --spacing takes it",
    ),
    _m("spacing_unit", "spacing unit", "", "its unit as the files name it (empty: none)"),
]

#: Where the CTC values that ``ctc_metrics`` does not return are.
_CTC_POOLED_ONLY = (
    "; not in ctc_metrics' result: from files (--preset ctc), in the ctc_pooled table only "
    "(summed over images)"
)
#: Where the CTC counts are.
_CTC_COUNT = (
    "in ctc_metrics' result; from files (--preset ctc), per image and summed in the ctc_pooled "
    "table"
)

CTC = [
    _m(
        "seg",
        "SEG",
        "Σ_matched IoU(T, P) / n_true",
        "Cell Tracking Challenge SEG: P matches T when |T ∩ P| > 0.5 |T|; unmatched true "
        "objects count 0 (py-ctcmetrics); pooled over images: Σ seg_sum / Σ n_true",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "det",
        "DET",
        "1 − min(AOGM-D, 10 n_true) / (10 n_true), AOGM-D = 5 NS + 10 FN + FP",
        "Cell Tracking Challenge DET (Matula et al. 2015; py-ctcmetrics); pooled over images: "
        "1 − min(Σ AOGM-D, Σ AOGM-D0) / Σ AOGM-D0",
        pooling="ratio",
        better="higher",
    ),
    _m(
        "seg_sum",
        "Σ IoU (SEG)",
        "Σ_matched IoU(T, P)",
        "SEG's numerator" + _CTC_POOLED_ONLY,
        pooling="sum",
        better="higher",
    ),
    _m(
        "aogm_d",
        "AOGM-D",
        "5 NS + 10 FN + FP",
        "the cost of turning the predicted detections into the true ones" + _CTC_POOLED_ONLY,
        pooling="sum",
        better="lower",
    ),
    _m(
        "aogm_d0",
        "AOGM-D0",
        "10 n_true",
        "the cost of building them from nothing" + _CTC_POOLED_ONLY,
        pooling="sum",
    ),
    _m("n_true", "true objects", "", _CTC_COUNT, pooling="sum"),
    _m("n_pred", "predicted objects", "", _CTC_COUNT, pooling="sum"),
    _m(
        "fn",
        "FN",
        "",
        "true objects matched by no prediction; " + _CTC_COUNT,
        pooling="sum",
        better="lower",
    ),
    _m(
        "fp",
        "FP",
        "",
        "predictions matching no true object; " + _CTC_COUNT,
        pooling="sum",
        better="lower",
    ),
    _m(
        "ns",
        "NS",
        "Σ (k − 1)",
        "splits needed: a prediction matching k ≥ 2 objects; " + _CTC_COUNT,
        pooling="sum",
        better="lower",
    ),
]

COCO_PER_THRESHOLD = [
    _m("threshold", "IoU threshold", "IoU ≥ t", "a detection matches a true object at IoU ≥ t"),
    _m(
        "ap",
        "COCO AP",
        "mean over recall r = 0, 0.01, ..., 1 of the interpolated precision max_{R ≥ r} P",
        "detections ranked by score, each matched greedily to the unmatched true object of "
        "highest IoU ≥ t (pycocotools; no limit on detections per image); not the DSB 'AP'",
        pooling="ranked",
        better="higher",
    ),
    _m(
        "tp", "TP", "", "detections matched, down the whole ranking", pooling="sum", better="higher"
    ),
    _m("fp", "FP", "", "detections left unmatched", pooling="sum", better="lower"),
    _m("n_true", "true objects", "", "", pooling="sum"),
]

COCO_SUMMARY = [
    _m(
        "map",
        "COCO mAP",
        "mean over IoU 0.50:0.95 of COCO AP",
        "pycocotools' 'AP' of masks without its limit of 100 detections per image (an image "
        "of more objects scores lower there); from files: a predicted object's score is its "
        "mean probability",
        pooling="ranked",
        better="higher",
    ),
    _m(
        "ap_50",
        "COCO AP @ 0.5",
        "COCO AP at IoU 0.5",
        "pycocotools' AP50",
        pooling="ranked",
        better="higher",
    ),
    _m(
        "ap_75",
        "COCO AP @ 0.75",
        "COCO AP at IoU 0.75",
        "pycocotools' AP75",
        pooling="ranked",
        better="higher",
    ),
]

CLASS_CONFUSION = [
    _m(
        "true class",
        "true class",
        "",
        "rows: the true object's class, among the pairs matched regardless of class at IoU 0.5",
    ),
    _m(
        "predicted class",
        "predicted class",
        "",
        "columns: the matched prediction's class; a cell counts the matched pairs (summed "
        "over images); the diagonal holds the pairs whose classes agree",
        pooling="sum",
    ),
]

DATASET_COUNTS = [
    _m("n_images", "images", "", "images evaluated", pooling="sum"),
    _m("n_pairs", "pairs", "", "file pairs found (evaluate_files)", pooling="sum"),
    _m(
        "n_failed", "failed", "", "pairs that could not be evaluated", pooling="sum", better="lower"
    ),
]

TABLES: dict[str, list[Metric]] = {
    "instance.summary": INSTANCE_SUMMARY,
    "instance.per_threshold": INSTANCE_PER_THRESHOLD,
    "instance.per_class": INSTANCE_PER_CLASS,
    "instance.per_object": INSTANCE_PER_OBJECT,
    "semantic.summary": SEMANTIC_SUMMARY,
    "semantic.per_class": SEMANTIC_PER_CLASS,
    "sweep.per_threshold": SWEEP_PER_THRESHOLD,
    "sweep.summary": SWEEP_SUMMARY,
    "calibration.bins": CALIBRATION_BINS,
    "calibration.summary": CALIBRATION_SUMMARY,
    "boundary.per_class": BOUNDARY_PER_CLASS,
    "boundary.per_object": BOUNDARY_PER_OBJECT,
    "boundary.summary": BOUNDARY_SUMMARY,
    "boundary.per_image": BOUNDARY_PER_IMAGE,
    "files.per_image": FILES_PER_IMAGE,
    "ctc": CTC,
    "coco.per_threshold": COCO_PER_THRESHOLD,
    "coco.summary": COCO_SUMMARY,
    "instance.class_confusion": CLASS_CONFUSION,
    "dataset.counts": DATASET_COUNTS,
}
#: The tables whose summary values a result folder of files (``napari-seg-eval evaluate``)
#: reports per image and over images, besides instance and semantic.
_FILE_FAMILIES = ("boundary.summary", "boundary.per_image", "ctc", "coco.summary")
#: Tables whose columns are another table's summary values, one row per image or plane.
_ROWS_OF = {
    "dataset.per_image": (
        "instance.summary",
        "semantic.summary",
        *_FILE_FAMILIES,
        "files.per_image",
    ),
    "per_plane": ("instance.summary", "semantic.summary", "boundary.summary", "boundary.per_image"),
    "dataset.summary": (
        "instance.summary",
        "semantic.summary",
        *_FILE_FAMILIES,
        "dataset.counts",
    ),
}
_SUFFIXES = {"_pooled": "pooled", "_image_mean": "image mean"}
#: The median over images of a per-image value (the neurips2022 preset's second number).
_MEDIAN = "_image_median"
#: The bounds of a bootstrap interval (``dataset_metrics(confidence_interval=...)``).
_BOUNDS = {"_low": "lower bound", "_high": "upper bound"}


@dataclass(frozen=True)
class Matching:
    """How a result's objects were matched, which the words of its instance metrics follow.

    The catalogue writes them for the default, IoU ≥ t at several thresholds ("F1 of
    one-to-one matches at IoU ≥ 0.5"); a result matched by another criterion reads with that
    criterion's rule (:func:`~napari_seg_eval.core.review.match_rule`: "at |T∩P|/|T| > 0.50"),
    and one at a single threshold says that its mean over thresholds is over that one.

    Attributes
    ----------
    criterion
        ``"iou"``, ``"iot"`` or ``"iop"`` (:func:`~napari_seg_eval.instance_metrics`).
    thresholds
        The thresholds of the criterion the objects were matched at.

    Examples
    --------
    >>> matching = Matching.of({"criterion": "iot", "iou_thresholds": [0.5]})
    >>> label("instance.summary", "mean_accuracy", matching)
    'AP (DSB), mean over 1 threshold'
    >>> metric("instance.summary", "mean_accuracy", matching).formula
    'mean over 1 threshold (|T∩P|/|T| > 0.50) of TP / (TP + FP + FN)'
    """

    criterion: str = "iou"
    thresholds: tuple[float, ...] = DEFAULT_IOU_THRESHOLDS

    @classmethod
    def of(cls, settings: Any) -> Matching:
        """The matching of a result's settings: an object with ``criterion`` and
        ``iou_thresholds`` (``EvaluationSettings``, ``FileSettings``), or their dict (a
        dataset run's nested under ``"settings"``); what they lack is the default's.

        Examples
        --------
        >>> Matching.of({"settings": {"criterion": "iop", "iou_thresholds": [0.5, 0.75]}})
        Matching(criterion='iop', thresholds=(0.5, 0.75))
        """
        if isinstance(settings, Mapping):
            found = settings.get("settings", settings)
            found = found if isinstance(found, Mapping) else settings
            criterion, thresholds = found.get("criterion"), found.get("iou_thresholds")
        else:
            criterion = getattr(settings, "criterion", None)
            thresholds = getattr(settings, "iou_thresholds", None)
        if thresholds is None:
            thresholds = DEFAULT_IOU_THRESHOLDS
        return cls(criterion or "iou", tuple(float(t) for t in np.atleast_1d(thresholds)))

    def rewrite(self, text: str) -> str:
        """``text`` of an instance metric with its words on matching made this matching's
        (unchanged for IoU at several thresholds)."""
        quantity, comparison = MATCH_RULES[self.criterion]
        rules: list[tuple[str, str]] = []
        if len(self.thresholds) == 1:
            rule = match_rule(self.criterion, self.thresholds[0])
            rules += [  # the formula says which one; the label stays short
                ("mean over IoU thresholds of", f"mean over 1 threshold ({rule}) of"),
                ("mean over IoU thresholds", "mean over 1 threshold"),
            ]
        if self.criterion != "iou":
            at = match_rule(self.criterion, REVIEW_THRESHOLD)
            rule = f"{quantity} {comparison} t"
            rules += [
                (_HOVERNET_IOU, ""),  # notes on IoU matching, true of it only
                (_OTHER_CRITERIA, ""),
                ("at IoU ≥ 0.5", f"at {at}"),
                ("at IoU 0.5", f"at {at}"),
                ("IoU ≥ t", rule),
                ("its IoU is at least t", rule),
                ("their IoU is at least t", rule),
                ("IoU threshold", f"{quantity} threshold"),
                ("the review IoU", f"the review threshold of {quantity}"),
            ]
        for old, new in rules:
            text = text.replace(old, new)
        return text

    def entry(self, entry: Metric) -> Metric:
        """``entry`` (of an instance table) in this matching's words."""
        words = (entry.label, entry.formula, entry.definition)
        label_, formula, definition = (self.rewrite(text) for text in words)
        if (label_, formula, definition) == words:
            return entry
        return replace(entry, label=label_, formula=formula, definition=definition)


#: The tables whose objects are matched by the result's criterion and thresholds (boundary
#: pairs and COCO detections are matched by IoU whatever they are).
MATCHED_TABLES = (
    "instance.summary",
    "instance.per_threshold",
    "instance.per_class",
    "instance.per_object",
    "instance.class_confusion",
)


def metric(table: str, column: str, matching: Matching | None = None) -> Metric | None:
    """The catalogue entry of ``column`` in ``table``, or None if it has none.

    Parameters
    ----------
    table
        A key of :data:`TABLES` (e.g. ``"instance.per_threshold"``) or a table of per-image
        rows (``"dataset.per_image"``, ``"per_plane"``, ``"dataset.summary"``).
    column
        The column (or summary key) name.
    matching
        How the result's objects were matched: an instance metric's words follow it
        (:class:`Matching`); None: as written (IoU at several thresholds).

    Returns
    -------
    Metric or None

    Examples
    --------
    >>> metric("instance.per_threshold", "accuracy").label
    'AP (DSB)'
    >>> metric("semantic.per_class", "accuracy").formula
    '(TP + TN) / N'
    >>> metric("instance.summary", "f1_50", Matching("iot")).formula
    '2 TP / (2 TP + FP + FN) at |T∩P|/|T| > 0.50'
    """
    for name in _ROWS_OF.get(table, (table,)):
        for entry in TABLES.get(name, ()):
            if entry.key == column:
                if matching is not None and name in MATCHED_TABLES:
                    return matching.entry(entry)
                return entry
    if table == "dataset.summary":
        for bound, words in _BOUNDS.items():
            if column.endswith(bound):
                base = metric(table, column.removesuffix(bound), matching)
                if base is not None:
                    return replace(
                        base,
                        key=column,
                        label=f"{base.label}, {words}",
                        definition=f"{words} of the bootstrap interval over images: "
                        + base.definition,
                        pooling="none",
                    )
        if column.endswith(_MEDIAN):
            base = metric(table, column.removesuffix(_MEDIAN), matching)
            if base is not None:
                return replace(
                    base,
                    key=column,
                    label=f"{base.label} (image median)",
                    definition="the median over images of the per-image values (undefined ones "
                    "left out): " + base.definition,
                    pooling="none",
                )
        for suffix, words in _SUFFIXES.items():
            if column.endswith(suffix):
                base = metric(table, column.removesuffix(suffix), matching)
                if base is not None:
                    return replace(base, key=column, label=f"{base.label} ({words})")
    return None


def label(table: str, column: str, matching: Matching | None = None) -> str:
    """The short header of ``column`` in ``table`` (the column name if the catalogue has none),
    in the words of ``matching`` (see :func:`metric`).

    Examples
    --------
    >>> label("instance.summary", "f1_50")
    'F1 @ 0.5'
    >>> label("instance.per_threshold", "threshold", Matching("iot"))
    '|T∩P|/|T| threshold'
    """
    entry = metric(table, column, matching)
    return entry.label if entry is not None else str(column)


def tooltip(table: str, column: str, matching: Matching | None = None) -> str:
    """The definition card of ``column`` in ``table`` ("" if the catalogue has none), in the
    words of ``matching`` (see :func:`metric`).

    Examples
    --------
    >>> tooltip("instance.per_threshold", "f1").splitlines()[0]
    'F1: 2 TP / (2 TP + FP + FN)'
    """
    entry = metric(table, column, matching)
    return entry.tooltip if entry is not None else ""


def better(table: str, column: str) -> Better:
    """Which way ``column`` of ``table`` is better: ``"higher"``, ``"lower"`` or ``""`` (no
    direction, or not in the catalogue). A pooled or image-mean value, an interval's bound or
    an image median goes the way of its metric.

    Examples
    --------
    >>> better("instance.summary", "f1_50"), better("boundary.summary", "mean_hd95")
    ('higher', 'lower')
    >>> better("dataset.summary", "mean_hd95_image_mean"), better("instance.summary", "n_true")
    ('lower', '')
    """
    entry = metric(table, column)
    return entry.better if entry is not None else ""


def column_order(table: str, columns: Iterable[str]) -> list[str]:
    """``columns`` in the catalogue's (most-read first) order.

    Columns the catalogue does not know keep their place when they lead (names and ids such as
    a run's name or an image's file name stay first); other unknown ones go last, as given.
    ``_pooled``, ``_image_mean``, ``_low`` and ``_high`` columns rank with their metric.

    Examples
    --------
    >>> column_order("instance.per_threshold", ["tp", "f1", "threshold", "extra"])
    ['threshold', 'f1', 'tp', 'extra']
    >>> column_order("dataset.summary", ["run", "n_images", "f1_50_image_mean", "f1_50_pooled"])
    ['run', 'f1_50_image_mean', 'f1_50_pooled', 'n_images']
    """
    columns = list(columns)
    known = [entry.key for name in _ROWS_OF.get(table, (table,)) for entry in TABLES[name]]
    if table == "dataset.per_image":  # which image, and whether it failed, before its numbers
        known = ["name", "error", *known]
    rank = {key: index for index, key in enumerate(known)}

    def rank_of(column: str) -> int | None:
        base = column
        for suffix in (*_BOUNDS, *_SUFFIXES):
            base = base.removesuffix(suffix)
        return rank.get(column, rank.get(base))

    lead = 0
    while lead < len(columns) and rank_of(columns[lead]) is None:
        lead += 1
    rest = columns[lead:]
    last = len(rank)
    return columns[:lead] + sorted(rest, key=lambda c: last if rank_of(c) is None else rank_of(c))


def headline_keys(kind: Literal["instance", "semantic"]) -> list[str]:
    """The headline summary keys: shown first, and over many images (as ``*_pooled`` and
    ``*_image_mean``) the values a confidence interval is drawn for.

    Over many images the summary holds every ratio of the summary table pooled and as an
    image mean, not only these (e.g. ``mean_recall_pooled``).

    Examples
    --------
    >>> headline_keys("semantic")
    ['mean_iou', 'mean_dice', 'pixel_accuracy']
    """
    return [entry.key for entry in TABLES[f"{kind}.summary"] if entry.headline]


def recompute(table: str, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Every column of ``frame`` that has a formula, recomputed from the other columns.

    0/0 and x/0 give NaN, as everywhere in the package. Used by the tests to check each column
    against its definition.

    Examples
    --------
    >>> frame = pd.DataFrame({"tp": [1, 0], "fp": [1, 0], "precision": [0.5, None]})
    >>> recompute("instance.per_threshold", frame)["precision"].tolist()
    [0.5, nan]
    """
    out = {}
    numeric = frame.select_dtypes("number").astype(float)
    for entry in TABLES[table]:
        if entry.expression is None or entry.key not in frame:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            values = numeric.eval(entry.expression)
        out[entry.key] = values.replace([np.inf, -np.inf], np.nan)
    return out


def markdown(table: str) -> str:
    """The catalogue's entries of ``table`` as a Markdown table (for docs/metrics.md).

    Examples
    --------
    >>> markdown("calibration.summary").splitlines()[0]
    '| column | label | formula | definition | over images |'
    """
    rows = ["| column | label | formula | definition | over images |", "|---|---|---|---|---|"]
    words = {
        "ratio": "pooled and image mean",
        "sum": "summed",
        "ranked": "pooled (ranked together) and image mean",
        "image_mean": "image mean only",
        "none": "",
    }
    for entry in TABLES[table]:
        cells = (entry.label, entry.formula, entry.definition, words[entry.pooling])
        cells = " | ".join(cell.replace("|", "\\|") for cell in cells)  # |T ∩ P| in a cell
        rows.append(f"| `{entry.key}` | {cells} |")
    return "\n".join(rows)
