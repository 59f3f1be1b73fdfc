"""napari-seg-eval: threshold probability maps and evaluate segmentations, in napari or Python.

Everything here works on plain numpy arrays and returns pandas DataFrames; only
:func:`confidence_colormap` (and the dock widget) import napari. The names are imported on
first use (PEP 562), so that ``import napari_seg_eval`` and the command line start quickly:
``napari_seg_eval.instance_metrics`` imports the instance module, not scipy.spatial or
scikit-image.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_module
from ._version import __version__

if TYPE_CHECKING:
    from napari.utils import Colormap

    from ._sample_data import make_sample_data
    from .core.boundary import BoundaryResult, ObjectBoundaryResult, boundary_metrics
    from .core.colormap import confidence_colormap_data, map_confidence
    from .core.compare import (
        bootstrap_dataset,
        bootstrap_interval,
        bootstrap_objects,
        compare_objects,
        mcnemar,
        paired_bootstrap,
    )
    from .core.confidence import (
        Calibration,
        CalibrationResult,
        CocoAP,
        CocoAPResult,
        ThresholdSweep,
        ThresholdSweepResult,
        apply_temperature,
        calibration,
        coco_average_precision,
        fit_temperature,
        instance_threshold_sweep,
        object_scores,
        threshold_sweep,
    )
    from .core.dataset import DatasetResult, dataset_from_tables, dataset_metrics
    from .core.instance import DEFAULT_IOU_THRESHOLDS, InstanceResult, instance_metrics
    from .core.overlap import OverlapTable, overlap_table
    from .core.platt import apply_platt, fit_platt
    from .core.presets import preset_metrics
    from .core.review import error_map, object_measurements, review_objects, semantic_error_map
    from .core.semantic import SemanticResult, semantic_metrics
    from .core.threshold import (
        label_instances,
        sigmoid,
        softmax,
        threshold_probabilities,
    )
    from .core.tracking import ctc_metrics
    from .evaluation import Evaluation, evaluate
    from .io import FilesResult, evaluate_files, pair_files, read_labels, read_probabilities

#: Where each public name is defined (relative to this package), imported on first use.
_WHERE = {
    "make_sample_data": "._sample_data",
    "BoundaryResult": ".core.boundary",
    "ObjectBoundaryResult": ".core.boundary",
    "boundary_metrics": ".core.boundary",
    "confidence_colormap_data": ".core.colormap",
    "map_confidence": ".core.colormap",
    "bootstrap_dataset": ".core.compare",
    "bootstrap_interval": ".core.compare",
    "bootstrap_objects": ".core.compare",
    "compare_objects": ".core.compare",
    "mcnemar": ".core.compare",
    "paired_bootstrap": ".core.compare",
    "Calibration": ".core.confidence",
    "CalibrationResult": ".core.confidence",
    "CocoAP": ".core.confidence",
    "CocoAPResult": ".core.confidence",
    "ThresholdSweep": ".core.confidence",
    "ThresholdSweepResult": ".core.confidence",
    "apply_temperature": ".core.confidence",
    "calibration": ".core.confidence",
    "coco_average_precision": ".core.confidence",
    "fit_temperature": ".core.confidence",
    "instance_threshold_sweep": ".core.confidence",
    "object_scores": ".core.confidence",
    "threshold_sweep": ".core.confidence",
    "DatasetResult": ".core.dataset",
    "dataset_from_tables": ".core.dataset",
    "dataset_metrics": ".core.dataset",
    "DEFAULT_IOU_THRESHOLDS": ".core.instance",
    "InstanceResult": ".core.instance",
    "instance_metrics": ".core.instance",
    "OverlapTable": ".core.overlap",
    "overlap_table": ".core.overlap",
    "apply_platt": ".core.platt",
    "fit_platt": ".core.platt",
    "preset_metrics": ".core.presets",
    "error_map": ".core.review",
    "object_measurements": ".core.review",
    "review_objects": ".core.review",
    "semantic_error_map": ".core.review",
    "SemanticResult": ".core.semantic",
    "semantic_metrics": ".core.semantic",
    "label_instances": ".core.threshold",
    "sigmoid": ".core.threshold",
    "softmax": ".core.threshold",
    "threshold_probabilities": ".core.threshold",
    "ctc_metrics": ".core.tracking",
    "Evaluation": ".evaluation",
    "evaluate": ".evaluation",
    "FilesResult": ".io.evaluate",
    "evaluate_files": ".io.evaluate",
    "pair_files": ".io.pairs",
    "read_labels": ".io.read",
    "read_probabilities": ".io.read",
}


__all__ = [
    "DEFAULT_IOU_THRESHOLDS",
    "BoundaryResult",
    "Calibration",
    "CalibrationResult",
    "CocoAP",
    "CocoAPResult",
    "DatasetResult",
    "Evaluation",
    "FilesResult",
    "InstanceResult",
    "ObjectBoundaryResult",
    "OverlapTable",
    "SemanticResult",
    "ThresholdSweep",
    "ThresholdSweepResult",
    "__version__",
    "apply_platt",
    "apply_temperature",
    "bootstrap_dataset",
    "bootstrap_interval",
    "bootstrap_objects",
    "boundary_metrics",
    "calibration",
    "coco_average_precision",
    "compare_objects",
    "confidence_colormap",
    "confidence_colormap_data",
    "ctc_metrics",
    "dataset_from_tables",
    "dataset_metrics",
    "error_map",
    "evaluate",
    "evaluate_files",
    "fit_platt",
    "fit_temperature",
    "instance_metrics",
    "instance_threshold_sweep",
    "label_instances",
    "make_sample_data",
    "map_confidence",
    "mcnemar",
    "object_measurements",
    "object_scores",
    "overlap_table",
    "pair_files",
    "paired_bootstrap",
    "preset_metrics",
    "read_labels",
    "read_probabilities",
    "review_objects",
    "semantic_error_map",
    "semantic_metrics",
    "sigmoid",
    "softmax",
    "threshold_probabilities",
    "threshold_sweep",
]


def confidence_colormap(threshold: float = 0.5) -> Colormap:
    """The confidence colormap as a napari ``Colormap`` (imports napari on first use).

    Parameters
    ----------
    threshold : float
        The probability threshold the green band marks (0.5 by default).

    Returns
    -------
    napari.utils.Colormap
        Named ``napari-seg-eval:confidence``; use it with contrast limits (0, 1).

    Examples
    --------
    >>> import napari
    >>> from napari_seg_eval import confidence_colormap, make_sample_data
    >>> colormap = confidence_colormap(0.5)
    >>> colormap.name
    'napari-seg-eval:confidence'
    >>> prob = make_sample_data()["probability"]
    >>> viewer = napari.Viewer()  # doctest: +SKIP
    >>> layer = viewer.add_image(prob, colormap=colormap, contrast_limits=(0, 1))  # doctest: +SKIP
    """
    from ._colormap import confidence_colormap as make

    return make(threshold)


__getattr__, __dir__ = lazy_module(__name__, _WHERE, __all__)
