"""Challenge presets: the settings that reproduce a published metric, and how it aggregates.

A preset is a named set of settings of the existing functions (``instance_metrics``,
``ctc_metrics``, ``coco_average_precision``) plus the rule that turns per-image values into the
challenge's number; it adds no metric code of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._results import nanmean, numeric_summary
from .instance import DEFAULT_IOU_THRESHOLDS, instance_metrics, scores_from_counts
from .tracking import ctc_image_counts, ctc_sum, ctc_values


@dataclass(frozen=True)
class Preset:
    """One challenge's settings.

    Attributes
    ----------
    name
        The key (``"dsb2018"``...), as ``--preset`` takes it.
    title
        The challenge's name.
    function
        ``"instance"`` (:func:`instance_metrics`), ``"ctc"`` (:func:`ctc_metrics`) or
        ``"coco"`` (:func:`coco_average_precision`).
    iou_thresholds, exclude_border, criterion
        The matching settings.
    needs_classes
        Class images or mappings must be given for both sides.
    background_class
        With classes: the class that is no class (``conic``: 0, background in CoNIC's class
        maps): its objects are in no per-class count nor in the mean over classes (the
        ``background_class`` of :func:`instance_metrics`).
    needs_scores
        A score per predicted object must be given.
    rule
        The challenge's number, in words.
    headline
        The keys of the challenge's numbers in a summary over images
        (:func:`~napari_seg_eval.evaluate_files`), shown first among a run's headline values.
    """

    name: str
    title: str
    function: str
    iou_thresholds: tuple[float, ...] = DEFAULT_IOU_THRESHOLDS
    exclude_border: int = 0
    criterion: str = "iou"
    needs_classes: bool = False
    background_class: int | None = None
    needs_scores: bool = False
    rule: str = ""
    headline: tuple[str, ...] = ()

    def instance_settings(self) -> dict:
        """The matching keyword arguments of :func:`instance_metrics` this preset sets (its
        ``background_class`` goes with the classes).

        Examples
        --------
        >>> PRESETS["neurips2022"].instance_settings()
        {'iou_thresholds': (0.5,), 'exclude_border': 2, 'criterion': 'iou'}
        """
        return {
            "iou_thresholds": self.iou_thresholds,
            "exclude_border": self.exclude_border,
            "criterion": self.criterion,
        }


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "dsb2018",
            "Data Science Bowl 2018",
            "instance",
            rule="per image, the mean over IoU 0.50, 0.55, ..., 0.95 of TP / (TP + FP + FN); "
            "then the mean over images (mean_accuracy_image_mean)",
            headline=("mean_accuracy_image_mean",),
        ),
        Preset(
            "neurips2022",
            "NeurIPS 2022 Cell Segmentation",
            "instance",
            iou_thresholds=(0.5,),
            exclude_border=2,
            rule="objects touching a 2-pixel border removed from both sides; per image F1 at "
            "IoU 0.5; the mean and the median over images (f1_50_image_mean, "
            "f1_50_image_median)",
            headline=("f1_50_image_mean", "f1_50_image_median"),
        ),
        Preset(
            "ctc",
            "Cell Tracking Challenge",
            "ctc",
            iou_thresholds=(0.5,),
            criterion="iot",
            rule="SEG: mean over the true objects of all images of the IoU with the prediction "
            "holding more than half of it (0 if none); DET from the summed counts",
            headline=("seg_pooled", "det_pooled"),
        ),
        Preset(
            "conic",
            "CoNIC 2022",
            "instance",
            iou_thresholds=(0.5,),
            needs_classes=True,
            background_class=0,
            rule="per class, TP, FP, FN and the summed IoU at IoU 0.5 (matching within the "
            "class) summed over images, PQ per class, then the mean over classes "
            "(class_mean_panoptic_quality_50_pooled, CoNIC's mPQ+); objects of class 0 "
            "(background) are in no class",
            headline=("class_mean_panoptic_quality_50_pooled",),
        ),
        Preset(
            "coco",
            "COCO mask AP",
            "coco",
            needs_scores=True,
            rule="detections ranked by score, matched greedily at each IoU 0.50:0.95, "
            "101-point interpolated precision, mean over thresholds (map); one image",
            headline=("map_pooled",),
        ),
    )
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``, or a ``ValueError`` listing the presets.

    Examples
    --------
    >>> get_preset("dsb2018").title
    'Data Science Bowl 2018'
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")
    return PRESETS[name]


def _images(value: object) -> list:
    """One image (anything with a shape) as a list of one; a sequence of images as a list."""
    if value is None:
        return []
    if hasattr(value, "shape") or isinstance(value, Mapping):
        return [value]
    return list(value)


def preset_metrics(
    name: str,
    true: object,
    pred: object,
    *,
    true_classes: object = None,
    pred_classes: object = None,
    scores: object = None,
    region: object = None,
) -> pd.Series:
    """A challenge's number(s) on one image or a list of images, by its preset.

    Parameters
    ----------
    name : {'dsb2018', 'neurips2022', 'ctc', 'conic', 'coco'}
        The preset (see :data:`PRESETS`).
    true, pred : array_like or sequence of array_like
        One pair of instance label images, or two sequences of them (ground truth first).
    true_classes, pred_classes : optional
        ``conic``: for each image, a class image or a mapping id -> class, per side. Objects
        of class 0 (background in CoNIC's class maps) are in no class, as in CoNIC.
    scores : optional
        ``coco``: a score per predicted object (as :func:`coco_average_precision` takes).
    region : array_like of bool or sequence of them, optional
        For each image a boolean mask of its shape (one mask for one image): pixels outside
        are left out of every count, as in :func:`instance_metrics`. Not part of any
        challenge's rule: the challenge's number on part of each image.

    Returns
    -------
    pandas.Series
        float64, as a result's summary (counts are whole numbers): ``n_images`` and the
        challenge's values: ``mean_accuracy_image_mean`` (dsb2018); ``f1_50_image_mean`` and
        ``f1_50_image_median`` (neurips2022); ``seg``, ``det`` and their counts (ctc);
        ``class_mean_panoptic_quality_50_pooled`` (conic); ``map``, ``ap_50``, ``ap_75``
        (coco). Undefined per-image values (0/0) are left out of means and medians.

    Raises
    ------
    ValueError
        For an unknown preset, a missing input the preset needs, sequences of different
        lengths (regions included), or (coco) more than one image.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import preset_metrics
    >>> true = np.array([[1, 1, 0, 2, 2]])
    >>> pred = np.array([[1, 1, 0, 0, 2]])  # IoU 1 and 1/2
    >>> float(preset_metrics("dsb2018", true, pred)["mean_accuracy_image_mean"])  # (1 + 9/3)/10
    0.4
    """
    preset = get_preset(name)
    trues, preds = _images(true), _images(pred)
    if len(trues) != len(preds):
        raise ValueError(f"{len(trues)} ground-truth images but {len(preds)} predictions.")
    if not trues:
        raise ValueError("no images to evaluate.")
    if preset.needs_classes and (true_classes is None or pred_classes is None):
        raise ValueError(f"the {name} preset needs true_classes and pred_classes.")
    if preset.needs_scores and scores is None:
        raise ValueError(f"the {name} preset needs a score for every predicted object.")
    regions = [None] * len(trues) if region is None else _images(region)
    if len(regions) != len(trues):
        raise ValueError(f"{len(trues)} images but {len(regions)} regions; give one per image.")
    values: dict[str, object] = {"n_images": len(trues)}
    if preset.function == "ctc":
        counts = ctc_sum(
            ctc_image_counts(t, p, region=r) for t, p, r in zip(trues, preds, regions, strict=True)
        )
        return _summary(values | ctc_values(counts))
    if preset.function == "coco":
        if len(trues) != 1:
            raise ValueError("the coco preset takes one image (COCO pools detections over images).")
        from .confidence import coco_average_precision  # scipy.optimize: only for this preset

        result = coco_average_precision(
            trues[0], preds[0], scores, iou_thresholds=preset.iou_thresholds, region=regions[0]
        )
        return _summary(values | result.summary.to_dict())
    true_classes, pred_classes = _images(true_classes), _images(pred_classes)
    if preset.needs_classes and not len(true_classes) == len(pred_classes) == len(trues):
        raise ValueError("give one class image or mapping per image and side.")
    results = [
        instance_metrics(
            t,
            p,
            region=regions[i],
            **preset.instance_settings(),
            **(
                {
                    "true_classes": true_classes[i],
                    "pred_classes": pred_classes[i],
                    "background_class": preset.background_class,
                }
                if preset.needs_classes
                else {}
            ),
        )
        for i, (t, p) in enumerate(zip(trues, preds, strict=True))
    ]
    if name == "dsb2018":
        values["mean_accuracy_image_mean"] = nanmean([r.summary["mean_accuracy"] for r in results])
    elif name == "neurips2022":
        f1 = np.array([r.summary["f1_50"] for r in results], float)
        values["f1_50_image_mean"] = nanmean(f1)
        defined = f1[~np.isnan(f1)]
        values["f1_50_image_median"] = float(np.median(defined)) if defined.size else np.nan
    else:  # conic
        pooled = pool_per_class([r.per_class for r in results])
        values["class_mean_panoptic_quality_50_pooled"] = nanmean(pooled["panoptic_quality"])
    return _summary(values)


def _summary(values: dict[str, object]) -> pd.Series:
    """The values of :func:`preset_metrics` as a Series: float64, as a result's summary."""
    return numeric_summary(pd.Series(values, dtype=object))


def pool_per_class(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Per-class tables of many images pooled: counts summed per (class, threshold), then the
    ratios (as CoNIC pools its mPQ+).

    Parameters
    ----------
    tables : sequence of pandas.DataFrame
        ``per_class`` tables of :func:`instance_metrics`, one per image.

    Returns
    -------
    pandas.DataFrame
        One row per (class, threshold) present in any image: ``class``, ``threshold``,
        ``tp``, ``fp``, ``fn``, the ratios and ``sum_matched_iou``.

    Examples
    --------
    >>> a = instance_metrics(np.array([[1, 1]]), np.array([[1, 1]]), iou_thresholds=[0.5],
    ...                      true_classes={1: 3}, pred_classes={1: 3})
    >>> b = instance_metrics(np.array([[1, 0]]), np.array([[0, 1]]), iou_thresholds=[0.5],
    ...                      true_classes={1: 3}, pred_classes={1: 3})
    >>> pooled = pool_per_class([a.per_class, b.per_class])
    >>> pooled[["tp", "fp", "fn"]].values.tolist(), float(pooled["panoptic_quality"].iat[0])
    ([[1, 1, 1]], 0.5)
    """
    counts = ["tp", "fp", "fn", "sum_matched_iou"]
    stacked = pd.concat([t[["class", "threshold", *counts]] for t in tables], ignore_index=True)
    summed = stacked.groupby(["class", "threshold"], sort=True, as_index=False)[counts].sum()
    return scores_from_counts(summed, (summed["tp"] + summed["fn"]).to_numpy())
