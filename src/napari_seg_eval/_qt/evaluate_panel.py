"""The Evaluate section: choose truth and prediction, run, and read the record's tables.

Everything shown comes from one :class:`~napari_seg_eval.evaluation.Evaluation` record. When an
input of the record changes afterwards (the threshold, the labels, a layer removed or renamed, a
control of the section set otherwise than for its run), or a later run fails, the record is
marked stale and the section says so; nothing mixes new layer data with it. A layer the run
reads that changes while the run goes on (edited, given new data, renamed) makes its record
stale as soon as it is shown: it is never shown as current. When the plugin itself redoes a
preview that was evaluated (the threshold moved), the reason says so.

The labels a probability map was turned into and scored are shown as "<map> evaluated", a
writable copy of the record's (read-only) labels: the layer is the plugin's until the user edits
it (paint, fill, erase, or a script's new data), then it is the user's, renamed "<map> evaluated
(edited)" (:func:`~napari_seg_eval._qt.threshold_panel.put_editable_labels`), the record is out
of date, and the next run adds a new "<map> evaluated". Lazy labels are not paintable.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection, Generator, Sequence
from dataclasses import replace
from functools import lru_cache, partial
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator
from napari.layers import Image, Labels, Layer, Shapes
from napari.utils.notifications import show_info, show_warning
from napari.viewer import Viewer
from qtpy.QtCore import Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from .._jobs import Job, notify_error
from .._napari.history import history_moved
from .._napari.layers import (
    NO_SCORES,
    grid_notice,
    is_rgb_axis,
    level_shapes,
    prediction_rank,
    sample_step,
    score_layer,
    strided_pyramid,
    tag,
    truth_by_order_notice,
    truth_made_by_us_notice,
    truth_rank,
)
from .._napari.probability import level0, probability_data, probability_scale
from ..core import catalogue
from ..core._thread_callbacks import compute
from ..core.blocks import as_dask, is_lazy
from ..core.instance import REVIEW_THRESHOLD
from ..core.overlap import overlap_table
from ..core.presets import PRESETS
from ..core.semantic import ignore_value_suspected
from ..core.threshold import (
    background_channel_suspected,
    background_predicted_as_objects,
    sums_to_one,
)
from ..evaluation import (
    PRESET_VALUES,
    Evaluation,
    EvaluationSettings,
    RunControl,
    ThresholdOptions,
    evaluation_steps,
    is_time_axis,
    parse_iou_thresholds,
)
from ..io.evaluate import FileSettings
from ..io.read import PixelSize, file_axes, file_pixel_size
from .inputs import DecimalSpinBox
from .layer_combo import LayerComboBox
from .plot import ThemedPlot
from .review import ReviewRows, prepare_rows
from .run_controls import run_controls
from .tables import STALE_STYLE, ResultTable, format_value
from .threshold_panel import (
    MAIN_THREAD_VALUES,
    data_levels,
    data_ndim,
    dock_error,
    names_time_or_depth,
    plugin_writing,
    put_editable_labels,
    read_whole,
    split_refusal,
    unsaid,
)

if TYPE_CHECKING:
    from .widget import SegEvalWidget

#: Result tab -> (title, catalogue table of its columns). The tabs of results that were not
#: computed (classes, boundaries) are hidden.
TABLES = {
    "summary": ("Summary", "summary"),
    "per_class": ("Per class", "semantic.per_class"),
    "per_threshold": ("Per threshold", "instance.per_threshold"),
    "per_plane": ("Per plane", "per_plane"),
    "instance_per_class": ("Objects per class", "instance.per_class"),
    "class_confusion": ("Class confusion", "instance.class_confusion"),
    "boundary_per_class": ("Boundary per class", "boundary.per_class"),
    "boundary_per_object": ("Boundary per object", "boundary.per_object"),
    "coco_per_threshold": ("COCO AP per threshold", "coco.per_threshold"),
}
#: Tabs shown only when their table has rows (Per plane: after a run plane by plane).
OPTIONAL_TABS = (
    "per_plane",
    "instance_per_class",
    "class_confusion",
    "boundary_per_class",
    "boundary_per_object",
    "coco_per_threshold",
)
#: A result tab that a run's kind leaves empty -> (that kind, the line shown instead of the
#: empty table: why, and what to do).
EMPTY_BY_KIND = {
    "per_class": (
        "instance",
        "Per class holds the semantic metrics of each class (IoU, Dice, pixel by pixel): this "
        "run was instance only. Choose Evaluate 'semantic' or 'both' and press Run again. "
        "(The objects of each class: choose Truth classes and Predicted classes in Options, "
        "for the Objects per class tab.)",
    ),
    "per_threshold": (
        "semantic",
        "Per threshold holds the instance matching's results at each IoU threshold: this run "
        "was semantic only. Choose Evaluate 'instance' or 'both' and press Run again.",
    ),
}
#: What the COCO preset ranks the objects by, said where the preset is chosen.
COCO_SCORES = (
    "COCO AP (score-ranked) ranks the predicted objects by their mean probability: in the "
    "prediction when it is a one-class probability map, else in the header's probability layer."
)
#: Why the COCO preset cannot be chosen, before the reason (see :func:`coco_unavailable`).
COCO_NEEDS = "COCO AP (score-ranked) needs a score per predicted object, its mean probability"
#: Why the COCO preset cannot be chosen when no layer is chosen to give the scores.
COCO_UNAVAILABLE = f"{COCO_NEEDS}: {NO_SCORES}"


def coco_note(scores: str) -> str:
    """What the COCO preset scores, in two lines of a dock: the layer whose probability ranks
    the objects is named (the details are in the note's tooltip).

    Parameters
    ----------
    scores : str
        The name of the layer that gives each predicted object its score.

    Returns
    -------
    str
        The note.

    Examples
    --------
    >>> coco_note("prob").split("; ")  # doctest: +NORMALIZE_WHITESPACE
    ["COCO mask AP: each predicted object is scored by its mean probability in 'prob'",
     'the AP is averaged over IoU 0.50 to 0.95.']
    """
    return (
        f"COCO mask AP: each predicted object is scored by its mean probability in "
        f"'{scores}'; the AP is averaged over IoU 0.50 to 0.95."
    )


def coco_unavailable(why: str) -> str:
    """Why the COCO preset cannot be chosen now: ``why`` (from
    :func:`~napari_seg_eval._napari.layers.score_layer`) after what COCO AP needs."""
    return f"{COCO_NEEDS}: {why}"


#: The matching criteria: (text, key).
CRITERIA = (
    ("IoU ≥ t", "iou"),
    ("intersection over truth > t (CTC)", "iot"),
    ("intersection over prediction > t", "iop"),
)


def criterion_combo(parent: QWidget) -> QComboBox:
    """The matching criterion chooser (data: "iou", "iot", "iop"), as both tabs word it."""
    combo = QComboBox(parent)
    for text, key in CRITERIA:
        combo.addItem(text, key)
    combo.setToolTip(
        "Which pairs may match at threshold t. IoU ≥ t (default); intersection over truth "
        "|T ∩ P| / |T| > t (the Cell Tracking Challenge's rule at 0.5); intersection over "
        "prediction > t. PQ and the matched IoU are still IoU."
    )
    return combo


def border_spin(parent: QWidget) -> QSpinBox:
    """The width of the band at the image edge whose objects are excluded (0: none)."""
    spin = QSpinBox(parent, minimum=0, maximum=10_000, value=0)
    spin.setSuffix(" px")
    spin.setSpecialValueText("none")
    spin.setToolTip(
        "Objects with a pixel in a band this wide at the image edge are removed from both "
        "sides before matching (NeurIPS 2022 CellSeg: 2)"
    )
    return spin


def ignore_spin(parent: QWidget) -> QSpinBox:
    """The ground-truth id left out of every count (-1: none)."""
    spin = QSpinBox(parent, minimum=-1, maximum=2**31 - 1, value=-1)
    spin.setSpecialValueText("none")
    spin.setToolTip("Pixels with this ground-truth id are left out of every count")
    return spin


#: What "Evaluate: both | instance | semantic" means, in plain words (Evaluate and Dataset).
KIND_TIP = (
    "What to compare. instance: object by object (each predicted object is paired with a "
    "true one; counts of found, missed and false objects). semantic: pixel by pixel (how "
    "well the labelled areas overlap, per class). both: the two."
)
#: The arrows of a collapsible group, as a disclosure shows them: ▶ closed, ▼ open.
COLLAPSED_ICON, EXPANDED_ICON = "▶", "▼"
#: Rows of result tables the Evaluate tab keeps room for (a page too short scrolls as a whole).
RESULT_ROWS = 10


def options_group(parent: QWidget, title: str = "Options") -> QCollapsible:
    """A collapsed group of the less-used settings; its title can list what they are set to.

    Its content is hidden while collapsed (superqt only shrinks it to no height), so that Tab
    never takes the keyboard focus to a control out of sight.
    """
    group = QCollapsible(title, parent, expandedIcon=EXPANDED_ICON, collapsedIcon=COLLAPSED_ICON)
    group.content().setVisible(False)
    group.toggled.connect(group.content().setVisible)
    return group


def chain_tab_order(*widgets: QWidget) -> None:
    """Tab goes through ``widgets`` in this order (the order they are seen in, top down)."""
    for first, second in pairwise(widgets):
        QWidget.setTabOrder(first, second)


#: The matching criteria as an Options title words them (IoU, the default, is not said).
CRITERION_WORDS = {"iot": "intersection over truth", "iop": "intersection over prediction"}
#: An Options group's title at the defaults: what is inside.
OPTIONS_AT_DEFAULTS = "Options (matching, border, classes, boundary, …)"


def options_title(criterion: str, border: int, ignore: int, *others: str) -> str:
    """An Options group's title, one line seen with the group collapsed: what differs from
    the defaults, or at the defaults what is inside (:data:`OPTIONS_AT_DEFAULTS`).

    Parameters
    ----------
    criterion : {"iou", "iot", "iop"}
        The matching criterion (said in words unless IoU, the default).
    border : int
        The excluded border band in pixels (0: none).
    ignore : int
        The ignored ground-truth label (-1: none).
    *others : str
        The tab's other settings that are set, in words ("" for those at their default).

    Returns
    -------
    str
        The title.

    Examples
    --------
    >>> options_title("iou", 0, -1, "", "boundary")
    'Options: boundary'
    >>> options_title("iot", 2, 0)
    'Options: matching by intersection over truth, border 2 px, ignore 0'
    >>> options_title("iou", 0, -1)
    'Options (matching, border, classes, boundary, …)'
    """
    chosen = [
        f"matching by {CRITERION_WORDS[criterion]}" if criterion != "iou" else "",
        f"border {border} px" if border else "",
        f"ignore {ignore}" if ignore >= 0 else "",
        *others,
    ]
    chosen = [text for text in chosen if text]
    return "Options: " + ", ".join(chosen) if chosen else OPTIONS_AT_DEFAULTS


def show_note(label: QLabel, text: str) -> None:
    """Set a note under a control, hidden while empty (an empty label still took a row)."""
    label.setText(text)
    label.setVisible(bool(text))


def thresholds_text(thresholds: Sequence[float]) -> str:
    """IoU thresholds as the IoU thresholds field writes them.

    Examples
    --------
    >>> thresholds_text([0.5, 0.55, 0.6]), thresholds_text([0.5])
    ('0.5:0.6:0.05', '0.5')
    """
    if len(thresholds) > 2:
        return f"{thresholds[0]:g}:{thresholds[-1]:g}:{thresholds[1] - thresholds[0]:.2g}"
    return ", ".join(f"{t:g}" for t in thresholds)


#: The Evaluate tab's kind of each kind of a run over files (boundary metrics are a box here).
FILE_KINDS = {"instance": "instance", "semantic": "semantic", "all": "both", "boundary": "both"}

#: The controls :meth:`EvaluatePanel.use_file_settings` sets, in the words it says them in.
FILE_SETTING_WORDS = (
    "preset",
    "IoU thresholds",
    "matching",
    "exclude border",
    "Evaluate",
    "ignore label",
    "foreground vs background",
    "class 0 in the means",
    "boundary metrics",
    "τ",
)

#: The tooltip of the Evaluate tab's "semantic: foreground vs background" box.
BINARIZE_TIP = (
    "Ticked: the semantic metrics compare labels > 0 (foreground) with background. Unticked: "
    "they compare label values as classes (for class label images); with class layers "
    "chosen (Truth classes and Predicted classes, or a map's own classes), they compare "
    "the two class images pixel by pixel (each pixel's class), not the objects' ids"
)

#: The tooltip of the tabs' box that counts class 0 in the semantic means.
INCLUDE_BACKGROUND_TIP = (
    "Count class 0 (the background) in the semantic means over classes (mean IoU, Dice, "
    "precision, recall). Unticked, class 0 is still reported per class but left out of the "
    "means: MONAI's include_background=False (foreground vs background: the means are then "
    "the foreground's)"
)


def _classes_from_map(choice: Any, true_classes: Layer | None, class_axis: bool) -> bool:
    """Whether the predicted classes are a probability map's own: :data:`MAP_CLASSES` chosen,
    or "none" with truth classes, for a map with a channel axis (``class_axis``); the map's
    own chosen otherwise is refused, naming why."""
    if choice == MAP_CLASSES:
        if not class_axis:
            raise ValueError(
                f"Predicted classes '{MAP_CLASSES}' are a probability map's channels: choose "
                "an Image prediction and the header's Channel axis, or a class layer."
            )
        if true_classes is None:
            raise ValueError(
                f"Predicted classes '{MAP_CLASSES}' are compared with the truth's: choose "
                "Truth classes too."
            )
        return True
    return choice == "none" and true_classes is not None and class_axis


def map_classes_notice(name: str, channel_axis: int) -> str:
    """What a run says when the predicted objects' classes are the map ``name``'s own.

    Examples
    --------
    >>> map_classes_notice("softmax", 0)[:60]
    "The prediction's classes: the map's ('softmax' thresholded, "
    """
    return (
        f"The prediction's classes: the map's ({name!r} thresholded, each pixel the class of "
        f"its most probable channel along axis {channel_axis}, as its objects were labelled)."
    )


class PresetControls(NamedTuple):
    """The Evaluate tab's controls a preset sets, as they were before it was chosen."""

    iou_text: str
    criterion: str
    exclude_border: int
    kind: str


def matches_preset(name: str, iou_text: str, criterion: str, border: int) -> bool:
    """Whether the matching controls (IoU thresholds as typed, criterion, border) still hold
    preset ``name``'s settings; a tab leaves the preset when they do not."""
    preset = PRESETS[name]
    try:
        thresholds = tuple(parse_iou_thresholds(iou_text))
    except ValueError:
        thresholds = ()
    return (
        thresholds == tuple(preset.iou_thresholds)
        and criterion == preset.criterion
        and border == preset.exclude_border
    )


#: The class chooser of the prediction: the truth's class layer classifies both sides.
SAME_CLASSES = "same as ground-truth classes"
#: The Predicted classes choice of a probability map's own classes (its channels).
MAP_CLASSES = "the map's own (its channels)"

MULTISCALE = (
    "{} multiscale: evaluated at full resolution (level 0), chunk by chunk; the coarser levels "
    "are only for display."
)

#: Layer events after which a record made from the layer no longer matches it.
_EDIT_EVENTS = ("data", "paint", "labels_update")


def rescaled_reason(truth: str, *, during_run: bool = False) -> str:
    """Why a record with boundary metrics no longer matches the truth, named ``truth``, once
    its scale changed (``during_run``: while the run read it), as the stale line says it.

    Examples
    --------
    >>> rescaled_reason("truth")
    "'truth' scale changed: boundary distances were measured at the old scale"
    """
    when = " while the evaluation ran" if during_run else ""
    return f"{truth!r} scale changed{when}: boundary distances were measured at the old scale"


def edit_reason(layer: Layer, was: str, *, during_run: bool = False) -> str:
    """Why a record read from ``layer`` (then named ``was``) no longer matches it, now that its
    data changed, as the stale line says it.

    The user's edit (or a script's), or, when the plugin itself is writing into the layer
    (:func:`~napari_seg_eval._qt.threshold_panel.plugin_writing`: the Threshold tab redoing its
    preview at a moved threshold), what moved. ``during_run``: the change came while the run
    read the layer.

    Examples
    --------
    >>> from napari.layers import Labels
    >>> edit_reason(Labels(np.zeros((2, 2), np.uint8), name="truth"), "truth")
    "'truth' was edited"
    """
    writing = plugin_writing(layer)
    if writing is None:
        if during_run:
            return f"{was!r} was edited while the evaluation ran: the results do not match it"
        return f"{was!r} was edited"
    then = tag(layer)  # the layer's tag before the write: what was evaluated
    if writing.get("role") == "threshold":
        new, old = writing.get("threshold"), then.get("threshold")
        if new is not None and old is not None and new != old:
            return (
                f"the threshold moved to {new:g}: the plugin redid {was!r} at it, so it is not "
                f"the labels evaluated (made at {old:g})"
            )
        return (
            f"the plugin redid {was!r} from {writing.get('source')!r} (the threshold options "
            "or the map changed): it may not be the labels evaluated"
        )
    return (
        f"the plugin rewrote {was!r} (its {writing.get('role')} layer of {writing.get('source')!r})"
    )


def warn_unless_closing(viewer: Viewer, message: str) -> None:
    """A warning, unless the viewer is closing (its layers are then removed one by one)."""
    if getattr(viewer.window, "_qt_window", None) is not None:
        show_warning(f"Segmentation Evaluation: {message}")


class OptionalLayerCombo(QComboBox):
    """A chooser of "none" (and other fixed choices) or a layer of some types, following the
    viewer's layers (added, removed, renamed, reordered); the chosen layer is kept by identity.
    """

    def __init__(
        self,
        viewer: Viewer,
        layer_types: tuple[type[Layer], ...],
        fixed: tuple[str, ...] = ("none",),
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self._viewer = viewer
        self._types = layer_types
        self._fixed = fixed
        events = viewer.layers.events
        for emitter in (events.inserted, events.removed, events.reordered, events.renamed):
            emitter.connect(self.refresh)
        self.refresh()

    def choice(self) -> Any:
        """The chosen layer, or the text of the fixed choice (``"none"``...)."""
        data = self.currentData()
        return self.currentText() if data is None else data

    def layer(self) -> Layer | None:
        """The chosen layer, or None when a fixed choice is chosen."""
        return self.currentData()

    def set_choice(self, value: Layer | str | None) -> None:
        """Choose a layer (or its name), a fixed choice's text, or None for the first one."""
        value = self._fixed[0] if value is None else value
        for index in range(self.count()):
            layer = self.itemData(index)
            if layer is value or (layer is not None and layer.name == value):
                self.setCurrentIndex(index)
                return
            if layer is None and self.itemText(index) == value:
                self.setCurrentIndex(index)
                return
        kinds = " or ".join(t.__name__ for t in self._types)
        raise ValueError(
            f"no {kinds} layer {getattr(value, 'name', value)!r} in the viewer "
            f"(or choose {' / '.join(map(repr, self._fixed))})"
        )

    def refresh(self, *_) -> None:
        """Reset the list from the viewer; keep the choice if it is still there."""
        current = self.choice() if self.count() else self._fixed[0]
        self.blockSignals(True)
        self.clear()
        for text in self._fixed:
            self.addItem(text, None)
        for layer in self._viewer.layers:
            if isinstance(layer, self._types):
                self.addItem(layer.name, layer)
        kept = [i for i in range(self.count()) if self.itemData(i) is current]
        kept += [i for i in range(len(self._fixed)) if self.itemText(i) == current]
        self.setCurrentIndex(kept[0] if kept else 0)
        self.blockSignals(False)
        if self.choice() is not current:
            self.currentIndexChanged.emit(self.currentIndex())

    def close(self) -> None:
        """Stop following the viewer's layers."""
        events = self._viewer.layers.events
        for emitter in (events.inserted, events.removed, events.reordered, events.renamed):
            emitter.disconnect(self.refresh)


#: The status line of a run whose map (channel k read as class k + 1) looks like one whose
#: channel 0 is background (:func:`channel_reading_warning`).
SHIFTED_CLASSES_STATUS = (
    "Likely wrong: channel k of the map was read as class k + 1 and the predicted classes look "
    "one too high against the truth's (classes 1..{n} against 0..{last}). If channel 0 is "
    "background, tick 'Channel 0 is background' beside the header's Channel axis and run again."
)
#: The same when the map's background channel made the truth's background foreground.
BACKGROUND_AS_OBJECTS_STATUS = (
    "Likely wrong: channel k of the map was read as class k + 1 and over half of the truth's "
    "background is foreground in it. If channel 0 is background, tick 'Channel 0 is "
    "background' beside the header's Channel axis and run again."
)


def channel_reading_warning(record: Evaluation, channels: int | None) -> str:
    """What the status line says when ``record``'s map looks misread, else "".

    The rules of the run's own hint (:func:`~napari_seg_eval.evaluate`): a map of
    ``channels`` channels read with channel k as class k + 1 whose classes look shifted by one
    against the truth's
    (:func:`~napari_seg_eval.core.threshold.background_channel_suspected`), or, failing that,
    whose foreground covers over half of the truth's background
    (:func:`~napari_seg_eval.core.threshold.background_predicted_as_objects`).

    Parameters
    ----------
    record : Evaluation
        The run's record.
    channels : int or None
        The number of channels of the map when channel k was read as class k + 1 (a class
        axis, "Channel 0 is background" unticked); None otherwise (nothing is said).

    Returns
    -------
    str
        :data:`SHIFTED_CLASSES_STATUS`, :data:`BACKGROUND_AS_OBJECTS_STATUS`, or "".
    """
    if channels is None:
        return ""
    table = record.semantic.table if record.semantic is not None else None
    if table is not None and background_channel_suspected(table, channels):
        return SHIFTED_CLASSES_STATUS.format(n=channels, last=channels - 1)
    counted = table
    lazy = is_lazy(record.truth) or is_lazy(record.prediction)
    if counted is None and record.instance is not None and not lazy:
        # an instance run keeps no pixel table: the foregrounds, as the run counted them
        counted = overlap_table(
            (np.asarray(record.truth) != 0).view(np.uint8),
            (np.asarray(record.prediction) != 0).view(np.uint8),
            region=record.region,
        )
    if counted is not None and channels > 1 and background_predicted_as_objects(counted):
        return BACKGROUND_AS_OBJECTS_STATUS
    return ""


#: The status line of a semantic run whose truth has a value the prediction never has, which
#: looks like pixels left unannotated scored as a class (:func:`ignore_value_warning`).
IGNORE_VALUE_STATUS = (
    "Likely wrong: the truth has {pixels} pixels of value {value}, which the prediction never "
    "has{classes}: they are scored as class {value} with IoU 0 and counted in the means "
    "(mean IoU, mean Dice), and the predictions on them as false positives of other classes. "
    "If {value} marks pixels left unannotated, set Ignore label to {value} in Options and run "
    "again."
)


def ignore_value_warning(record: Evaluation, highest_class: int | None = None) -> str:
    """What the status line says when ``record``'s semantic classes hold a truth value that
    looks like pixels left unannotated (255, or a value above every class of the map the
    prediction was thresholded from: :func:`~napari_seg_eval.core.semantic.ignore_value_suspected`)
    and no Ignore label was set, else "".

    Parameters
    ----------
    record : Evaluation
        The run's record.
    highest_class : int or None
        The top class of the probability map the prediction was thresholded from (its
        channels, less one when channel 0 is background); None for a label prediction.

    Returns
    -------
    str
        :data:`IGNORE_VALUE_STATUS` filled in, or "".
    """
    table = record.semantic.table if record.semantic is not None else None
    if table is None or record.settings.ignore_label is not None:
        return ""
    value = ignore_value_suspected(table, highest_class)
    if value is None:
        return ""
    pixels = int(table.true_areas[np.searchsorted(table.true_ids, value)])
    classes = "" if highest_class is None else f" (the map's classes run 0..{highest_class})"
    return IGNORE_VALUE_STATUS.format(pixels=pixels, value=value, classes=classes)


def evaluate_for_review(
    work: Callable[..., Generator],
    iou_threshold: float,
    levels: list[tuple[int, ...]] | None = None,
    *,
    channels: int | None = None,
    highest_class: int | None = None,
    control: Any = None,
) -> Generator[tuple[float, str], None, tuple[Evaluation, ReviewRows | None, Any, str]]:
    """Run ``work`` (:func:`~napari_seg_eval.evaluation.evaluation_steps` with its inputs),
    then prepare the Review tab's rows at ``iou_threshold``, in the same worker: the main
    thread then only shows them.

    ``levels``: the level shapes of a multiscale probability map (its class axis dropped).
    The labels the run made of it are then made a pyramid of those levels too
    (:func:`~napari_seg_eval._napari.layers.strided_pyramid`: its small levels from those the
    run picked in its read of a chunked map, else computed here, once), so that they are
    shown like the map. Else they are shown as :func:`shown_labels` makes them (a copy of
    numpy labels, made here, not on the main thread). ``channels``: see
    :func:`channel_reading_warning`; ``highest_class``: see :func:`ignore_value_warning`.
    Yields the progress; returns (record, rows, labels, warning): rows None without instance
    results, labels (the data of the "<map> evaluated" layer) None when the prediction was no
    map, warning what the status line says of a map that looks misread
    (:func:`channel_reading_warning`) and of a truth value that looks unannotated
    (:func:`ignore_value_warning`), one a line, else "".
    """
    record = yield from work(control=control)
    said = (channel_reading_warning(record, channels), ignore_value_warning(record, highest_class))
    warning = "\n".join(filter(None, said))
    labels = None
    if record.settings.threshold is not None:
        if levels is not None and len(levels) > 1:
            yield (1.0, "the evaluated labels at every level of the map")
            labels = strided_pyramid(
                record.prediction, levels, control=control, sampled=record.prediction_sample
            )
        if labels is None:
            labels = shown_labels(record.prediction)
    if record.instance is None:
        return record, None, labels, warning
    yield (1.0, "preparing the review")
    if iou_threshold == REVIEW_THRESHOLD:
        objects = record.tables["per_object"]
    else:
        objects = record.objects_at(iou_threshold)
    return record, prepare_rows(record, objects, iou_threshold), labels, warning


def shown_labels(labels: Any) -> Any:
    """The data of a layer showing a record's ``labels`` (read-only, the evaluation's own).

    Numpy labels are copied, writable: the user may paint fixes on the layer while the
    record's labels stay as evaluated. Lazy labels get a dask array of their own on the same
    graph (nothing is read): napari "paints" a dask array by rewriting its graph in place,
    which would change the record's.

    Examples
    --------
    >>> labels = np.array([[0, 1]], np.uint8)
    >>> labels.flags.writeable = False
    >>> shown = shown_labels(labels)
    >>> shown.flags.writeable, shown is labels, shown.tolist()
    (True, False, [[0, 1]])
    """
    if is_lazy(labels):
        return as_dask(labels).copy()
    return np.array(labels, copy=True)


#: What the Evaluate tab's run says while it reads a chunked map whole to split it.
READ_WHOLE_STEP = "reading the probability map into memory to split touching objects"
#: The part of the progress bar that reading a chunked map whole takes.
READ_WHOLE_SHARE = 0.1


def evaluation_steps_read_whole(
    true: Any, pred: Any, *args: Any, control: RunControl | None = None, **kwargs: Any
) -> Generator[tuple[float, str], None, Evaluation]:
    """:func:`~napari_seg_eval.evaluation.evaluation_steps` of the chunked probability map
    ``pred`` read into memory first (:func:`read_whole`), in the run's worker: the split of
    touching objects needs the whole map, as in the Threshold tab's preview. The numbers are
    those of the same map in memory. The read takes the first :data:`READ_WHOLE_SHARE` of the
    progress and stops when the run is cancelled; the other arguments are
    ``evaluation_steps``'s.
    """
    control = control if control is not None else RunControl()
    yield (0.0, READ_WHOLE_STEP)
    with control.chunks(0.0, READ_WHOLE_SHARE, READ_WHOLE_STEP):
        (whole,) = read_whole([pred])
    steps = evaluation_steps(true, whole, *args, control=control, **kwargs)
    while True:
        try:
            fraction, message = next(steps)
        except StopIteration as done:
            return done.value
        yield (READ_WHOLE_SHARE + (1 - READ_WHOLE_SHARE) * fraction, message)


def spacing_units(layer: Layer) -> str:
    """The units of a layer's scale, said plainly: its ``units`` when napari gives some other
    than pixels, "pixels" at scale 1, else "scale units"."""
    units = {f"{unit:~P}" for unit in getattr(layer, "units", ()) or () if str(unit) != "pixel"}
    if units:
        return ", ".join(sorted(units))
    return "pixels" if np.allclose(layer.scale, 1) else "scale units"


def region_mask(region: Layer, truth: Layer, shape: tuple[int, ...]) -> Any:
    """The boolean mask of a region layer on the truth's pixel grid (nonzero = inside).

    A Labels layer must have the truth's shape (chunked data stays lazy); a Shapes layer is
    drawn on the truth's grid, its vertices moved from its own scale and translate to the
    truth's.
    """
    if isinstance(region, Labels):
        data = level0(region)
        if tuple(data.shape) != shape:
            raise ValueError(
                f"the region {region.name!r} is {tuple(data.shape)}; the ground truth is {shape}."
            )
        return data != 0
    if region.ndim != len(shape):
        raise ValueError(
            f"the region {region.name!r} has {region.ndim} dimensions; the ground truth has "
            f"{len(shape)}."
        )
    if len(region.data) == 0:
        raise ValueError(f"the region {region.name!r} has no shapes: draw one first.")
    to_world = (np.asarray(region.scale), np.asarray(region.translate))
    to_truth = (np.asarray(truth.scale), np.asarray(truth.translate))
    vertices = [
        (np.asarray(v) * to_world[0] + to_world[1] - to_truth[1]) / to_truth[0] for v in region.data
    ]
    drawn = Shapes(vertices, shape_type=region.shape_type, ndim=region.ndim)
    return drawn.to_labels(labels_shape=shape) != 0


class FileTime(NamedTuple):
    """A time axis named by the metadata of the file a layer was opened from."""

    axis: int  #: the ground truth's axis that is time
    path: str  #: the file (``layer.source.path``)
    axes: str  #: the file's axes, one letter each (``"TYX"``)


class FileAxes(NamedTuple):
    """The axes the metadata of the file a layer was opened from names, one per axis."""

    path: str  #: the file (``layer.source.path``)
    axes: str  #: the file's axes, one letter each (``"TYX"``)


def layer_file_axes(layer: Layer) -> FileAxes | None:
    """The file a layer was opened from and the axes its metadata names, or None.

    napari's own reader gives a TIFF's or an OME-Zarr's axes no names (-3, -2, -1), so a
    time-lapse reads as a volume; the file (``layer.source.path``) still says which axis is
    time (:func:`~napari_seg_eval.io.read.file_axes`, metadata only), as the command line
    reads it. None when the layer has no file, the file names no axes, or not one per axis of
    the layer (a channel axis napari split off).

    Parameters
    ----------
    layer : napari.layers.Layer
        The layer.

    Returns
    -------
    FileAxes or None
        The file and its axes.

    Examples
    --------
    >>> from napari.layers import Labels
    >>> layer_file_axes(Labels(np.zeros((2, 4, 4), int))) is None  # made in Python: no file
    True
    """
    path = getattr(getattr(layer, "source", None), "path", None)
    if not path:
        return None
    try:
        modified = Path(path).stat().st_mtime_ns
    except (OSError, ValueError):  # gone, or not a local path (a URL)
        return None
    axes = _file_axes(str(path), modified)
    if axes is None or len(axes) != layer.ndim:
        return None
    return FileAxes(str(path), axes)


@lru_cache(maxsize=64)
def _file_axes(path: str, modified: int) -> str | None:
    """:func:`~napari_seg_eval.io.read.file_axes` of ``path`` as last ``modified``: read once
    (the pair's axes are looked at each time a layer is chosen or an axis is renamed)."""
    return file_axes(path)


def file_spacing_note(layer: Layer) -> str:
    """What the Evaluate tab says when the file ``layer`` was opened from gives a pixel size
    that its scale does not have (napari's reader opens a calibrated TIFF at scale 1), so
    boundary distances, measured in the layer's scale, are not in the file's units; else "".

    Reads the file's metadata only (:func:`~napari_seg_eval.io.read.file_pixel_size`, once
    per file as last modified). The layer's scale is never changed: the user sets it.

    Parameters
    ----------
    layer : napari.layers.Layer
        The ground truth, whose scale the run measures distances in.

    Returns
    -------
    str
        The note, or "" (no file, no pixel size in it, or the layer's scale is the file's on
        every axis the file gives a size).

    Examples
    --------
    >>> from napari.layers import Labels
    >>> file_spacing_note(Labels(np.zeros((2, 4, 4), int)))  # made in Python: no file
    ''
    """
    path = getattr(getattr(layer, "source", None), "path", None)
    if not path:
        return ""
    try:
        modified = Path(path).stat().st_mtime_ns
    except (OSError, ValueError):  # gone, or not a local path (a URL)
        return ""
    size = _file_pixel_size(str(path), modified)
    if size is None or len(size.sizes) != len(layer.scale):
        return ""
    scale = [float(x) for x in layer.scale]
    given = [(k, found) for k, found in enumerate(size.sizes) if found is not None]
    if not given or all(np.isclose(found, scale[k]) for k, found in given):
        return ""
    says = ", ".join("–" if found is None else f"{found:g}" for found in size.sizes)
    unit = f" {size.unit}" if size.unit else ""
    ones = np.allclose(scale, 1.0)
    has = "1" if ones else ", ".join(f"{x:g}" for x in scale)
    measured = "in pixels" if ones else "in the layer's scale, not the file's"
    wanted = ", ".join(
        f"{scale[k] if found is None else found:g}" for k, found in enumerate(size.sizes)
    )
    return (
        f"{layer.name!r} was opened from {Path(path).name}: the file says {says}{unit}; the "
        f"layer's scale is {has}: boundary values are {measured}; set the layer's scale "
        f"(layer.scale = ({wanted}), e.g. in napari's console) and run again."
    )


@lru_cache(maxsize=64)
def _file_pixel_size(path: str, modified: int) -> PixelSize | None:
    """:func:`~napari_seg_eval.io.read.file_pixel_size` of ``path`` as last ``modified``,
    read once; None where it cannot be read (the run itself says why)."""
    try:
        return file_pixel_size(path)
    except (OSError, ValueError):
        return None


class FilesTime(NamedTuple):
    """What the files a pair was opened from say of time, on the ground truth's axes."""

    time: FileTime | None  #: the truth's axis that is time, and the file that says so
    side: str  #: whose file says so: "ground truth" or "prediction" ("" for none)
    notice: str  #: what to tell the user once ("" for nothing)
    files: tuple[str, ...]  #: the files the notice names (it is told once for them)


#: The files of a pair say nothing of time.
NO_FILE_TIME = FilesTime(None, "", "", ())
#: The letters of a file's axes that name nothing: tifffile's Q (unknown: a TIFF without
#: axis metadata reads QYX) and I (a sequence of images).
UNNAMED_AXES = "QI"
#: What a notice of a file's time axis says the user can do.
FRAME_BY_FRAME = (
    "evaluated frame by frame (Options: Plane by plane; choose 'no' to evaluate it as one volume)."
)


def time_in_files(
    truth: Layer,
    prediction: Layer | None,
    labels: list[str],
    channel_axis: int | None = None,
) -> FilesTime:
    """The ground truth's time axis as the files of the pair say it, and what to tell.

    The truth's file decides where its metadata names the axis (:func:`layer_file_axes`);
    where it does not (made in Python, or opened from a file that names no axes: a plain
    TIFF's QYX), the prediction's file does. When the files disagree about which axis is time
    (one puts time where the other names another axis, or time elsewhere), the truth's file
    is trusted and the notice says so. A name the user gave the axis (``labels``, napari's
    default names -3, -2, -1 being none) wins over the files.

    Parameters
    ----------
    truth : napari.layers.Layer
        The ground truth.
    prediction : napari.layers.Layer or None
        The prediction (None: none chosen).
    labels : list of str
        The names of the truth's axes (its own, or the viewer's).
    channel_axis : int, optional
        The class axis of a probability map prediction, not an axis of the truth.

    Returns
    -------
    FilesTime
        The truth's axis that is time and its file (None for none), whose file that is, the
        notice and the files it names.

    Examples
    --------
    >>> from napari.layers import Labels
    >>> made = Labels(np.zeros((2, 4, 4), int))  # made in Python: no file
    >>> time_in_files(made, made, ["-3", "-2", "-1"]) == NO_FILE_TIME
    True
    """
    own = layer_file_axes(truth)
    theirs = None if prediction is None or prediction is truth else layer_file_axes(prediction)
    their_axes = None  # the prediction's file's axes, on the truth's axes
    if theirs is not None and prediction.ndim == truth.ndim:
        their_axes = theirs.axes
    elif theirs is not None and channel_axis is not None and prediction.ndim == truth.ndim + 1:
        drop = channel_axis % prediction.ndim
        their_axes = theirs.axes[:drop] + theirs.axes[drop + 1 :]
    own_time = own.axes.find("T") if own is not None else -1
    their_time = their_axes.find("T") if their_axes is not None else -1
    if own_time >= 0:  # the truth's file says time: the prediction's may put it elsewhere
        side, axis = "ground truth", own_time
        disagree = (
            their_axes is not None
            and their_axes[own_time] != "T"
            and (their_time >= 0 or their_axes[own_time] not in UNNAMED_AXES)
        )
    elif their_time < 0:
        return NO_FILE_TIME
    elif own is not None and own.axes[their_time] not in UNNAMED_AXES:
        side, axis, disagree = "ground truth", -1, True  # the truth's file names it otherwise
    else:
        side, axis, disagree = "prediction", their_time, False
    if axis >= 0 and not _default_name(labels[axis]):
        return NO_FILE_TIME  # the user's name of the axis wins
    if side == "prediction":
        notice = (
            f"the ground truth {truth.name!r} does not say which axis is time, but the "
            f"prediction {prediction.name!r} was opened from {theirs.path}, whose axes are "
            f"{theirs.axes}: axis {axis} is time, so the pair is {FRAME_BY_FRAME}"
        )
        return FilesTime(FileTime(axis, theirs.path, theirs.axes), side, notice, (theirs.path,))
    if not disagree:
        notice = (
            f"{truth.name!r} was opened from {own.path}, whose axes are {own.axes}: axis {axis} "
            f"is time, so it is {FRAME_BY_FRAME}"
        )
        return FilesTime(FileTime(axis, own.path, own.axes), side, notice, (own.path,))
    said = f"put time at axis {their_time}" if their_time >= 0 else "name no time"
    theirs_said = (
        f"the prediction {prediction.name!r} was opened from {theirs.path}, whose axes "
        f"({theirs.axes}) {said}"
    )
    files = (own.path, theirs.path)
    if axis < 0:
        notice = (
            f"{theirs_said[:1].upper()}{theirs_said[1:]}, but the ground truth {truth.name!r} "
            f"was opened from {own.path}, whose axes are {own.axes}: the ground truth's file "
            "is trusted, so the pair is evaluated as one volume (Options: Plane by plane to "
            "evaluate it frame by frame)."
        )
        return FilesTime(None, side, notice, files)
    notice = (
        f"{truth.name!r} was opened from {own.path}, whose axes are {own.axes}: axis {axis} is "
        f"time, so it is {FRAME_BY_FRAME} {theirs_said[:1].upper()}{theirs_said[1:]}: the "
        "ground truth's file is trusted."
    )
    return FilesTime(FileTime(axis, own.path, own.axes), side, notice, files)


def empty_side_notices(summary: pd.DataFrame, truth: Layer, prediction: Layer) -> list[str]:
    """What a run says when the truth or the prediction has no objects (outside ignored
    pixels): a wrong layer chosen scores every object of the other side an error, and the
    tables alone do not say why.

    Parameters
    ----------
    summary : pandas.DataFrame
        The record's summary table (``evaluation``, ``metric``, ``value``).
    truth, prediction : napari layer
        The layers evaluated (their names are said).

    Returns
    -------
    list of str
        The notices (none when both sides have objects, or no instance metrics were run).

    Examples
    --------
    >>> from types import SimpleNamespace as Named
    >>> summary = pd.DataFrame(
    ...     {"evaluation": "instance", "metric": ["n_true", "n_pred"], "value": [0, 7]}
    ... )
    >>> empty_side_notices(summary, Named(name="truth"), Named(name="model"))[0][:60]
    "ground truth 'truth' has no objects (outside ignored pixels)"
    """
    rows = summary[summary["evaluation"] == "instance"].set_index("metric")["value"]
    if "n_true" not in rows or (rows["n_true"] > 0 and rows["n_pred"] > 0):
        return []
    if rows["n_true"] == 0 and rows["n_pred"] == 0:
        return [
            f"neither {truth.name!r} nor {prediction.name!r} has objects (outside ignored "
            "pixels): there was nothing to match. Are they the layers you meant?"
        ]
    side, name, every = (
        ("ground truth", truth.name, "predicted object is a false positive")
        if rows["n_true"] == 0
        else ("prediction", prediction.name, "true object is missed")
    )
    return [
        f"{side} {name!r} has no objects (outside ignored pixels): every {every}. Is it the "
        "layer you meant?"
    ]


#: The words of each matching criterion, as the notices say them.
CRITERION_WORDS = {
    "iou": "IoU",
    "iot": "intersection over truth",
    "iop": "intersection over prediction",
}


def truth_background(record: Evaluation) -> int | None:
    """The truth's area of id 0 (its background, outside ignored pixels and the region),
    from what the run counted: the semantic overlap table (its foreground/background, or the
    truth's own ids without class images), else, of an instance run without an ignore label,
    region or border band, the pixels compared less the true objects' areas. None when the
    record does not tell (the background ignored, or not counted). Nothing is read again.

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> truth = np.array([[1, 1, 0, 2]])
    >>> truth_background(evaluate(truth, truth)), truth_background(evaluate(truth + 1, truth))
    (1, 0)
    >>> truth_background(evaluate(truth + 1, truth, kind="instance"))
    0
    """
    settings = record.settings
    if settings.ignore_label == 0:
        return None  # the background is left out
    semantic = record.semantic
    if semantic is not None and (settings.binarize_semantic or record.true_classes is None):
        table = semantic.table
        return int(table.true_areas[table.true_ids == 0].sum())
    instance = record.instance
    counted = instance.counted_on if instance is not None else None
    if counted is None or settings.ignore_label is not None or counted.region:
        return None
    if settings.exclude_border:
        return None  # the objects left out at the border are in neither count
    return int(np.prod(counted.shape, dtype=np.int64)) - int(instance.pairs.true_areas.sum())


def foreground_iou(record: Evaluation) -> float:
    """The IoU of the two sides' foreground pixels (every class but 0, pooled) from the run's
    semantic table; NaN without semantic metrics.

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> foreground_iou(evaluate(np.array([[1, 1, 0, 0]]), np.array([[0, 2, 2, 0]])))
    0.3333333333333333
    """
    if record.semantic is None:
        return float("nan")
    rows = record.semantic.per_class
    rows = rows[rows["class"] != 0]
    union = int((rows["tp"] + rows["fp"] + rows["fn"]).sum())
    return int(rows["tp"].sum()) / union if union else float("nan")


def no_match_notices(record: Evaluation, truth: Layer, prediction: Layer) -> list[str]:
    """What a run says when both sides have objects but no predicted object matched a true
    one at any of the run's IoU thresholds: two layers that are not segmentations of the
    same image (a raw image converted to labels, layers of two images, ...) score 0
    everywhere, and the tables alone do not say why. Nothing is said when the foreground
    pixels agree (IoU ≥ 0.5 of the semantic metrics: a foreground mask compared as
    objects, whose objects are merged), unless the truth has no background (no pixel 0:
    every pixel in an object, as an intensity image converted to labels), which is said
    too. Read from the record's tables (:func:`truth_background`), never the images.

    Parameters
    ----------
    record : Evaluation
        The run's record.
    truth, prediction : napari layer
        The layers evaluated (their names are said).

    Returns
    -------
    list of str
        The notice, or none (a match, a side without objects: :func:`empty_side_notices`,
        or no instance metrics).

    Examples
    --------
    >>> from types import SimpleNamespace as Named
    >>> from napari_seg_eval.evaluation import evaluate
    >>> record = evaluate(np.array([[1, 1, 0, 0]]), np.array([[0, 0, 2, 2]]))
    >>> no_match_notices(record, Named(name="gt"), Named(name="model"))[0][:60]
    'no predicted object matched a true object at IoU 0.5 (1 true'
    >>> no_match_notices(evaluate(np.ones((1, 2), int), np.ones((1, 2), int)), None, None)
    []
    """
    if record.instance is None:
        return []
    rows = record.tables["summary"]
    counts = rows[rows["evaluation"] == "instance"].set_index("metric")["value"]
    n_true, n_pred = int(counts.get("n_true", 0)), int(counts.get("n_pred", 0))
    objects = record.tables["per_object"]
    if not n_true or not n_pred or objects.empty:
        return []
    if (record.instance.per_threshold["tp"] > 0).any():  # a match at a threshold of the run
        return []
    background = truth_background(record)
    if background != 0 and foreground_iou(record) >= 0.5:
        return []  # the pixels agree: objects merged or split (a foreground mask), not a mix-up
    criterion = CRITERION_WORDS.get(record.settings.criterion, record.settings.criterion)
    lowest = float(record.instance.per_threshold["threshold"].min())
    text = (
        f"no predicted object matched a true object at {criterion} {lowest:g} "
        f"({n_true} true, {n_pred} predicted objects): check the layers. Are "
        f"{truth.name!r} (ground truth) and {prediction.name!r} (prediction) segmentations "
        "of the same image, on the same pixels?"
    )
    if background == 0:
        text += (
            f" {truth.name!r} has no background (no pixel 0: every pixel is in one of its "
            f"{n_true} objects), as an intensity image converted to labels would: is it a "
            "label image?"
        )
    return [text]


def class_axes_fitting(map_shape: tuple[int, ...], truth_shape: tuple[int, ...]) -> list[int]:
    """The axes of a probability map that could be its class axis against a ground truth:
    those whose removal leaves the truth's shape (none unless the map has one axis more).

    Parameters
    ----------
    map_shape, truth_shape : tuple of int
        The shapes of the map and of the ground truth.

    Returns
    -------
    list of int
        The map's axes that fit, in order.

    Examples
    --------
    >>> class_axes_fitting((3, 60, 80), (60, 80))
    [0]
    >>> class_axes_fitting((3, 3, 3), (3, 3))
    [0, 1, 2]
    >>> class_axes_fitting((3, 60, 81), (60, 80))
    []
    """
    map_shape, truth_shape = tuple(map_shape), tuple(truth_shape)
    if len(map_shape) != len(truth_shape) + 1:
        return []
    return [k for k in range(len(map_shape)) if map_shape[:k] + map_shape[k + 1 :] == truth_shape]


def class_axis_notice(name: str, axis: int, n_values: int) -> str:
    """What the Evaluate tab says when it takes ``axis`` of the map ``name`` as its class
    axis for the user (the map had one axis more than the truth, and only that one fits).

    Examples
    --------
    >>> class_axis_notice("softmax", 0, 3).split(" (the ")[0]
    "'softmax' has one axis more than the truth: axis 0 (3 values) is taken as its class axis"
    """
    return (
        f"{name!r} has one axis more than the truth: axis {axis} ({n_values} values) is taken "
        "as its class axis (the header's Channel axis; channel k is class k + 1 unless "
        "'Channel 0 is background' is ticked beside it)."
    )


def class_axis_hint(name: str, axis: int, n_values: int) -> str:
    """What the dock says of the header's map ``name`` that has one axis more than the truth
    beside a Labels prediction: ``axis`` may hold its classes, and how to choose it (it is
    not chosen for the user: it may as well be time or depth).

    Examples
    --------
    >>> class_axis_hint("prob", 0, 4).split(":")[0]
    "'prob' has one axis more than the truth"
    """
    return (
        f"{name!r} has one axis more than the truth: if axis {axis} ({n_values} values) holds "
        "its classes, choose it as the header's Channel axis (the preview and the Confidence "
        "tabs then read one class at a time); it is not chosen for you, as it may be time or "
        "depth."
    )


def class_axis_unsure_hint(name: str, axis: int, n_values: int, why: str) -> str:
    """What the dock says of a probability map prediction ``name`` with one axis more than
    the truth when the one axis that fits, ``axis``, is not chosen as its class axis for the
    user: ``why`` (its scale is a physical step, or its values do not sum to 1 along it).

    Examples
    --------
    >>> class_axis_unsure_hint("prob", 0, 20, "why").split(": choose")[0]
    "'prob' has one axis more than the truth: axis 0 (20 values) could hold classes"
    """
    return (
        f"{name!r} has one axis more than the truth: axis {axis} ({n_values} values) could "
        "hold classes: choose it in the header's Channel axis if it does. It is not chosen "
        f"for you: {why}, so it may as well be depth or time."
    )


#: Why an axis whose layer scale is not 1 is not taken as a class axis for the user.
SCALED_AXIS = "its scale in the layer is {scale:g}, a physical step"
#: Why an axis whose values do not sum to 1 is not taken as a class axis for the user.
NOT_SUMMING = (
    "the map's values along it do not sum to 1 at each pixel (read on a few pixels), as a "
    "softmax's classes do"
)
#: How many positions along each axis of a map (other than the class axis) the check of
#: :func:`softmax_along` reads: at most 16³ pixels of each class of a 4-D map.
SAMPLED_PER_AXIS = 16


def axis_sample(data: Any, axis: int) -> np.ndarray:
    """A few pixels of ``data`` (one level of a map) with every value along ``axis``: along
    each other axis, :data:`SAMPLED_PER_AXIS` evenly spaced positions of numpy data, the
    first ones (a small crop, in few chunks) of chunked data, which is computed.

    Examples
    --------
    >>> axis_sample(np.arange(2 * 40 * 3).reshape(2, 40, 3), 0).shape
    (2, 16, 3)
    """
    if isinstance(data, np.ndarray):
        spaced = [
            np.arange(size)
            if k == axis
            else np.unique(np.linspace(0, size - 1, min(size, SAMPLED_PER_AXIS)).round())
            for k, size in enumerate(data.shape)
        ]
        return data[np.ix_(*(positions.astype(np.intp) for positions in spaced))]
    crop = tuple(
        slice(None) if k == axis else slice(0, SAMPLED_PER_AXIS) for k in range(len(data.shape))
    )
    (sample,) = compute(as_dask(data)[crop])
    return np.asarray(sample)


def softmax_along(layer: Image, axis: int) -> bool:
    """Whether the values of the map ``layer`` sum to 1 along ``axis`` (a softmax's classes:
    :func:`~napari_seg_eval.core.threshold.sums_to_one`), read on a few pixels of its
    coarsest level (:func:`axis_sample`; unsigned integers as value / dtype maximum, the
    sum then allowed half a step of rounding per class). False for data that is no map
    (another dtype).

    Reads chunked data: on the main thread only where :func:`sample_now` says so.

    Examples
    --------
    >>> softmax = np.stack([np.full((4, 4), 0.25), np.full((4, 4), 0.75)]).astype(np.float32)
    >>> softmax_along(Image(softmax), 0), softmax_along(Image(softmax * 2), 0)
    (True, False)
    """
    return softmax_of(data_levels(layer)[-1], axis)


def softmax_of(data: Any, axis: int) -> bool:
    """:func:`softmax_along` of one level ``data`` of a map (read: in a worker when chunked
    and large, see :func:`sample_now`)."""
    dtype = np.dtype(data.dtype)
    try:
        scale = probability_scale(dtype)
    except TypeError:
        return False
    step = 0.5 / scale if dtype.kind == "u" else float(np.finfo(dtype).eps)
    return sums_to_one(axis_sample(data, axis) / scale, axis, step=step)


def sample_now(layer: Image) -> bool:
    """Whether :func:`softmax_along` may read ``layer`` on the main thread: its coarsest
    level is a numpy array, or a chunked one of at most
    :data:`~napari_seg_eval._qt.threshold_panel.MAIN_THREAD_VALUES` values (as the header
    reads a map's range); else it is read in a worker."""
    data = data_levels(layer)[-1]
    return isinstance(data, np.ndarray) or np.prod(data.shape, dtype=np.int64) <= MAIN_THREAD_VALUES


def shape_mismatch(
    truth: str,
    prediction: str,
    truth_shape: tuple[int, ...],
    prediction_shape: tuple[int, ...],
    channel_axis: int | None = None,
    *,
    probability: bool = True,
    offered: bool = False,
    axis_labels: Sequence[str] = (),
) -> str:
    """The error of a prediction whose shape is not the truth's, and, for a probability map,
    which of its axes could be its class axis and where to choose it (never one napari
    names time or depth: :func:`~napari_seg_eval._qt.threshold_panel.names_time_or_depth`).

    Parameters
    ----------
    truth, prediction : str
        The layers' names.
    truth_shape, prediction_shape : tuple of int
        Their shapes (the prediction's with its class axis, if any).
    channel_axis : int, optional
        The class axis chosen for the prediction (None: none).
    probability : bool
        The prediction is a probability map (a label image has no class axis).
    offered : bool
        The header's Channel axis offers the prediction's axes (it is the header's layer,
        or the header's layer is a 2-D map, which has none): only the axis is to choose.
    axis_labels : sequence of str
        napari's names of the prediction's axes (none: not known).

    Returns
    -------
    str
        The message.

    Examples
    --------
    >>> print(shape_mismatch("truth", "softmax", (3, 3), (3, 3, 3)))
    ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    shape mismatch: ground truth 'truth' is (3, 3), prediction 'softmax' gives (3, 3, 3). It
    has one axis more than the truth: axes 0, 1 or 2 could be its class axis (each leaves
    (3, 3)); ...
    """
    truth_shape, prediction_shape = tuple(truth_shape), tuple(prediction_shape)
    gives = prediction_shape
    if channel_axis is not None:
        drop = channel_axis % len(prediction_shape)
        gives = prediction_shape[:drop] + prediction_shape[drop + 1 :]
    text = (
        f"shape mismatch: ground truth {truth!r} is {truth_shape}, prediction {prediction!r} "
        f"gives {gives}."
    )
    if not probability or len(prediction_shape) != len(truth_shape) + 1:
        return text
    fits = class_axes_fitting(prediction_shape, truth_shape)
    named = [axis for axis in fits if axis_labels and names_time_or_depth(axis_labels, axis)]
    fits = [axis for axis in fits if axis not in named]
    if named and not fits:
        axis = named[0]
        return (
            f"{text} It has one axis more than the truth, axis {axis}, which napari names "
            f"{axis_labels[axis]!r}: time or depth, not classes. Choose the plane or frame "
            "the truth annotates (e.g. with napari's slider and Layers > Duplicate, or "
            "by slicing the array in napari's console), or a truth of every plane."
        )
    if not fits:
        return (
            f"{text} It has one axis more than the truth, but none of its axes can be its "
            f"class axis: without any one of them it is not {truth_shape}."
        )
    if len(fits) == 1:
        axes = f"axis {fits[0]} ({prediction_shape[fits[0]]} values)"
    else:
        *others, last = (str(axis) for axis in fits)
        axes = f"axes {', '.join(others)} or {last}"
    if channel_axis is not None:  # another axis than the one chosen would fit
        which = "it" if len(fits) == 1 else "the one that holds the classes"
        return (
            f"{text} {axes[:1].upper()}{axes[1:]} as its class axis would leave the truth's "
            f"shape {truth_shape}: choose {which} as the header's Channel axis."
        )
    if len(fits) == 1 and offered:
        return (
            f"{text} {axes[:1].upper()}{axes[1:]} could be its class axis: choose axis "
            f"{fits[0]} as the header's Channel axis."
        )
    if len(fits) == 1:  # (the Evaluate tab chooses it when the header's layer is the map)
        return (
            f"{text} {axes[:1].upper()}{axes[1:]} could be its class axis: choose "
            f"{prediction!r} as the header's Probability layer and axis {fits[0]} as its "
            "Channel axis."
        )
    return (
        f"{text} It has one axis more than the truth: {axes} could be its class axis (each "
        f"leaves {truth_shape}); choose the one that holds the classes as the header's "
        "Channel axis."
    )


def volume_note(ndim: int, plane_axis: int | None = None) -> str:
    """What a run that matched objects across the planes of an image of ``ndim`` > 2
    dimensions assumed, and how to change it (the Evaluate tab's status after the run): with
    Plane by plane already set (to ``plane_axis``), only the box still to tick.

    Examples
    --------
    >>> volume_note(3).split(":")[0]
    'Evaluated as one 3-D volume'
    >>> volume_note(3, 0).split(". ")[1]
    "For a time series along axis 0, also tick 'label each plane on its own (time)'."
    """
    head = f"Evaluated as one {ndim}-D volume: objects join across planes"
    if plane_axis is not None:
        return (
            f"{head} (each plane along axis {plane_axis} is also scored on its own). For a "
            f"time series along axis {plane_axis}, also tick 'label each plane on its own "
            "(time)'."
        )
    return (
        f"{head}. For a time series, name its axis t, or under Options set Plane by plane to "
        "it and tick 'label each plane on its own (time)'."
    )


class EvaluatePanel(QWidget):
    """Compare a prediction with the ground truth; show the tables of the current record."""

    #: Emitted with each finished (not cancelled) :class:`Evaluation`, after the tables are filled.
    evaluated = Signal(object)

    def __init__(self, viewer: Viewer, owner: SegEvalWidget, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner  # the dock: probability layer, threshold and its options
        self.evaluation: Evaluation | None = None
        self._run_layers: tuple[Layer, ...] = ()  # the layers the running job reads
        # (header map, truth) pairs whose possible class axis was said (choose_class_axis)
        self._axis_hints: set[tuple[int, int]] = set()
        self._watched: list[tuple[Layer, str, object]] = []  # (layer, event, callback)
        self._run_watched: list[tuple[Layer, str, object]] = []  # the running job's layers
        self._run_change: str | None = None  # the first change to them while it runs
        self._scale_layer: Layer | None = None  # the truth, whose scale gives the units
        self._run_choices: dict[str, Any] = {}  # the controls as the shown record's run read them
        # the control that made the record stale, its choice then, and the reason said
        self._stale_choice: tuple[str, Any, str] | None = None
        # the first reason since the record that cannot come back ("" for none), and the
        # stale reason said while it is the threshold's or its options' ("" otherwise)
        self._lasting = ""
        self._settings_said = ""
        self._files_time = NO_FILE_TIME  # the truth's time axis, as the pair's files say it
        self._told_files: set[tuple[str, ...]] = set()  # files a notice of time has named
        self._reading_axes = False  # in _on_truth_layer: a new prediction is read there
        self.job = Job(self, on_progress=self._on_progress, on_error=self._report)
        self.job.finished.connect(self._on_job_finished)
        # Whether a map's values sum to 1 along an axis (per layer: (its data, axis) -> bool),
        # read once (:meth:`choose_class_axis`); of a large chunked map, by this job.
        self._softmax_signs: weakref.WeakKeyDictionary[Layer, dict[tuple[int, int], bool]] = (
            weakref.WeakKeyDictionary()
        )
        self._sampling: tuple[int, tuple[int, int]] | None = None  # (layer, key) being read
        self.sample_job = Job(self, on_error=self._sample_failed)

        # Never one of our result layers (the threshold preview, ...) unless chosen by hand.
        # the last ground truth said to be chosen by the layers' order, and what was said
        self._truth_order_said: tuple[int, str] | None = None
        self.truth_combo = LayerComboBox(
            viewer, (Labels,), self, prefer=truth_rank, fall_back=False
        )
        self.truth_combo.setToolTip(
            "Your annotation (a Labels layer). Never chosen for you: the plugin's own result "
            "layers (the threshold preview, evaluated labels, ...); choose one by hand if you "
            "mean it"
        )
        self.prediction_combo = LayerComboBox(
            viewer,
            (Labels, Image),
            self,
            prefer=lambda layer: prediction_rank(layer, self.truth_combo.layer()),
            # never an integer image read as a map (a label image opened as an image, the
            # truth's own file), nor a raw image: none rather than a wrong prediction
            fall_back=False,
        )
        self.prediction_combo.setToolTip(
            "A Labels layer, or a probability Image thresholded with the settings above "
            "(its objects are always the connected components, whatever the preview shows)"
        )
        self.kind_combo = QComboBox(self)
        self.kind_combo.addItems(["both", "instance", "semantic"])
        self.kind_combo.setToolTip(KIND_TIP)
        self.iou_edit = QLineEdit("0.5:0.95:0.05", self)
        self.iou_edit.setToolTip("start:stop:step (stop included) or a list such as 0.5, 0.75")
        self.ignore_spin = ignore_spin(self)
        self.plane_axis_combo = QComboBox(self)
        self.plane_axis_combo.setToolTip(
            "Also evaluate every plane along this axis (time or z) on its own"
        )
        self.each_plane_check = QCheckBox("label each plane on its own (time)", self)
        self.each_plane_check.setToolTip(
            "Objects never join across planes (a track is one object per frame), and instance "
            "counts are pooled over planes. On by default for a time axis: one labelled t, "
            "time or frame, or time in the axes of the file the truth was opened from (or, "
            "where that file names no axes, the prediction's file)."
        )
        self.binarize_check = QCheckBox("semantic: foreground vs background", self)
        self.binarize_check.setChecked(True)
        self.binarize_check.setToolTip(BINARIZE_TIP)
        self.background_check = QCheckBox("semantic: class 0 in the means", self)
        self.background_check.setChecked(True)
        self.background_check.setToolTip(INCLUDE_BACKGROUND_TIP)
        self.kind_combo.currentTextChanged.connect(self._follow_kind)
        self._follow_kind(self.kind_combo.currentText())
        self.preset_combo = QComboBox(self)
        self.preset_combo.addItem("none", None)
        for name in PRESET_VALUES:
            self.preset_combo.addItem(PRESETS[name].title, name)
        self.preset_combo.setToolTip(
            "A challenge's settings (IoU thresholds, matching criterion, border), named: "
            "choosing one sets the controls below; changing one of them leaves the preset "
            "(they stay as they are); choosing none puts back those the preset set as they "
            "were before it"
        )
        # The controls a preset sets, as they were before the first one was chosen: choosing
        # "none" puts them back (:meth:`_on_preset`); None while no preset is in force.
        self._before_preset: PresetControls | None = None
        self._leaving_preset = False  # "none" chosen by a change of one of those controls
        self._coco_index = self.preset_combo.findData("coco")
        self.preset_label = QLabel("", self)
        self.preset_label.setWordWrap(True)
        self.preset_label.setVisible(False)
        self.options = options_group(self)
        self.criterion_combo = criterion_combo(self)
        self.border_spin = border_spin(self)
        self.true_classes_combo = OptionalLayerCombo(viewer, (Labels,), parent=self)
        self.true_classes_combo.setToolTip(
            "A class image (Labels) for the ground truth: each object's class is the majority "
            "class of its pixels (ties to the smallest). Objects are then matched within classes."
        )
        self.pred_classes_combo = OptionalLayerCombo(
            viewer, (Labels,), ("none", SAME_CLASSES, MAP_CLASSES), parent=self
        )
        self.pred_classes_combo.setToolTip(
            "A class image for the prediction, or the ground truth's class image for both. "
            "A probability map with a channel axis as the prediction: its own classes (each "
            "object's pixels are of its class: the map thresholded, each pixel the class of "
            "its most probable channel), also when 'none' is chosen with truth classes"
        )
        self.boundary_check = QCheckBox("Boundary metrics", self)
        self.boundary_check.setToolTip(
            "HD, HD95, ASSD, NSD and boundary F1 per class and per object pair matched at "
            "IoU 0.5, in the units of the ground truth's scale"
        )
        self.tolerance_spin = DecimalSpinBox(self, minimum=0.0, maximum=1e6, value=1.0)
        self.tolerance_spin.setDecimals(3)
        self.tolerance_spin.setToolTip(
            "τ of NSD and boundary F1: a boundary pixel within τ of the other boundary counts"
        )
        self.units_label = QLabel("", self)
        self.region_combo = OptionalLayerCombo(viewer, (Labels, Shapes), parent=self)
        self.region_combo.setToolTip(
            "Score only inside this region: a Labels layer (nonzero = inside) or Shapes drawn "
            "on the image. Pixels outside are left out of every count."
        )
        controls = run_controls(self, self.run, self.cancel)
        self.run_button, self.cancel_button = controls.run_button, controls.cancel_button
        self.progress_bar, self.status_label = controls.progress_bar, controls.status_label
        self.stale_label = QLabel("", self)
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet(STALE_STYLE)
        self.stale_label.setVisible(False)
        self.result_tabs = QTabWidget(self)
        self.tables = {
            key: ResultTable(title.lower(), table, self) for key, (title, table) in TABLES.items()
        }
        for key, (title, _) in TABLES.items():
            self.result_tabs.addTab(self.tables[key], title)
        self.plane_plot = ThemedPlot(viewer, self, height=1.6)
        self.plane_plot.setVisible(False)
        self.tables["per_plane"].layout().insertWidget(1, self.plane_plot)
        self.tables["per_plane"].view.selectionModel().currentRowChanged.connect(self._on_plane_row)
        #: The line each tab of :data:`EMPTY_BY_KIND` shows instead of its table, when empty.
        self.empty_notes = {key: QLabel(text, self) for key, (_, text) in EMPTY_BY_KIND.items()}
        for key, label in self.empty_notes.items():
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            label.setContentsMargins(6, 6, 6, 6)
            label.setVisible(False)
            self.tables[key].layout().insertWidget(0, label, stretch=1)
        for key in OPTIONAL_TABS:
            self.result_tabs.setTabVisible(self.result_tabs.indexOf(self.tables[key]), False)
        self.truth_combo.currentIndexChanged.connect(self._on_truth_layer)
        self.prediction_combo.currentIndexChanged.connect(self._on_prediction_chosen)
        self.plane_axis_combo.currentIndexChanged.connect(self._on_plane_axis)
        self.each_plane_check.toggled.connect(self._plane_preview_changed)
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.iou_edit.textEdited.connect(self._leave_preset)
        self.criterion_combo.activated.connect(self._leave_preset)
        self.border_spin.valueChanged.connect(self._leave_preset)
        self.boundary_check.toggled.connect(self.tolerance_spin.setEnabled)
        self.tolerance_spin.setEnabled(False)
        self._on_truth_layer()
        self._controls = self._control_table()
        for _, _, changed in self._controls:
            changed.connect(self.choices_changed)
        for changed in (
            self.truth_combo.currentIndexChanged,  # its shape
            self.prediction_combo.currentIndexChanged,
            owner.probability_combo.currentIndexChanged,
        ):
            changed.connect(self._offer_coco)
        self._offer_coco()

        form = QFormLayout()
        form.addRow("Ground truth", self.truth_combo)
        form.addRow("Prediction", self.prediction_combo)
        form.addRow("Evaluate", self.kind_combo)
        form.addRow("Preset", self.preset_combo)
        form.addRow(self.preset_label)
        form.addRow("IoU thresholds", self.iou_edit)
        self.options.addWidget(self._options_form())
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.options)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.stale_label)
        layout.addWidget(self.result_tabs, stretch=1)
        self.result_tabs.setMinimumHeight(self._result_height())
        chain_tab_order(
            self.truth_combo,
            self.prediction_combo,
            self.kind_combo,
            self.preset_combo,
            self.iou_edit,
            self.options.toggleButton(),
            self.criterion_combo,
            self.border_spin,
            self.ignore_spin,
            self.true_classes_combo,
            self.pred_classes_combo,
            self.region_combo,
            self.boundary_check,
            self.tolerance_spin,
            self.plane_axis_combo,
            self.each_plane_check,
            self.binarize_check,
            self.background_check,
            self.run_button,
            self.cancel_button,
            self.result_tabs,
        )
        for _, _, changed in self._controls:
            changed.connect(self._title_options)
        # After _follow_kind (connected first), which greys out a box the title leaves out.
        self.kind_combo.currentTextChanged.connect(self._title_options)
        self._title_options()
        viewer.layers.events.removed.connect(self._on_layer_removed)
        viewer.layers.events.inserted.connect(self._on_layer_inserted)
        viewer.dims.events.axis_labels.connect(self._on_truth_layer)  # a time axis named there

    def _follow_kind(self, kind: str) -> None:
        """Grey out "class 0 in the means" while the kind computes no semantic means (an
        instance-only run would record it and do nothing with it). "Foreground vs background"
        stays: it decides the classes of the boundary metrics too (review149)."""
        self.background_check.setEnabled(kind != "instance")

    def _options_form(self) -> QWidget:
        """The Options group: matching, border, ignore label, classes, region, boundary,
        plane by plane, semantic foreground (its title lists those not at their default)."""
        content = QWidget(self)
        form = QFormLayout(content)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Matching", self.criterion_combo)
        form.addRow("Exclude border", self.border_spin)
        form.addRow("Ignore label", self.ignore_spin)
        form.addRow("Truth classes", self.true_classes_combo)
        form.addRow("Predicted classes", self.pred_classes_combo)
        form.addRow("Region", self.region_combo)
        tolerance = QHBoxLayout()
        tolerance.addWidget(self.boundary_check)
        tolerance.addWidget(QLabel("tolerance τ (px or units)", content))
        tolerance.addWidget(self.tolerance_spin)
        tolerance.addWidget(self.units_label, stretch=1)
        form.addRow(tolerance)
        form.addRow("Plane by plane", self.plane_axis_combo)
        form.addRow(self.each_plane_check)
        form.addRow(self.binarize_check)
        form.addRow(self.background_check)
        return content

    def _result_height(self) -> int:
        """Room for :data:`RESULT_ROWS` rows of a result table, its header, the tab bar and
        the table's buttons."""
        tab_bar = self.result_tabs.tabBar().sizeHint().height()
        return self.tables["summary"].height_for(RESULT_ROWS) + tab_bar

    def _title_options(self, *_) -> None:
        """The Options group's title lists what differs from the defaults (seen collapsed)."""
        axis = self.plane_axis_combo.currentData()
        self.options.setText(
            options_title(
                self.criterion_combo.currentData(),
                self.border_spin.value(),
                self.ignore_spin.value(),
                "classes" if self.true_classes_combo.layer() is not None else "",
                "region" if self.region_combo.layer() is not None else "",
                f"boundary τ {self.tolerance_spin.value():g}"
                if self.boundary_check.isChecked()
                else "",
                f"plane by plane (axis {axis})" if axis is not None else "",
                "each plane labelled on its own"
                if axis is not None and self.each_plane_check.isChecked()
                else "",
                "semantic classes" if not self.binarize_check.isChecked() else "",
                "class 0 out of the means" if self._background_left_out() else "",
            )
        )

    def _background_left_out(self) -> bool:
        """Whether "class 0 in the means" is unchecked and counts: not while greyed out (an
        instance-only run computes no semantic means, so its state is not listed)."""
        check = self.background_check
        return check.isEnabledTo(self) and not check.isChecked()

    # ------------------------------------------------------------------------- public API
    @property
    def results(self) -> dict[str, pd.DataFrame]:
        """The current record's tables ({} before the first evaluation)."""
        return dict(self.evaluation.tables) if self.evaluation is not None else {}

    def set_plane_axis(self, axis: int | None, label_each_plane: bool | None = None) -> None:
        """Evaluate every plane along ``axis`` too (None: whole image only).

        ``label_each_plane`` (default: True for a time axis: labelled t, time or frame, or
        time in the axes of the file the truth was opened from, or where that file names no
        axes the prediction's) matches each plane's objects on their own (a probability map's
        objects are labelled plane by plane) and pools the instance counts over planes.
        """
        index = self.plane_axis_combo.findData(axis)
        if index < 0:
            raise ValueError(f"no axis {axis!r} to evaluate plane by plane")
        self.plane_axis_combo.setCurrentIndex(index)
        if label_each_plane is not None:
            self.each_plane_check.setChecked(bool(label_each_plane))

    def set_preset(self, name: str | None) -> None:
        """Use a challenge preset's settings (``"dsb2018"``, ``"neurips2022"``, ``"ctc"``,
        ``"conic"``, ``"coco"``; None: none, which puts the controls a preset set back as they
        were before it). The IoU thresholds, criterion and border controls are set.
        ``"coco"`` (COCO AP, score-ranked) needs a probability map for the objects' scores:
        the header's probability layer, or the prediction."""
        index = self.preset_combo.findData(name)
        if index < 0:
            raise ValueError(
                f"unknown preset {name!r}; choose one of {', '.join(PRESET_VALUES)} or None."
            )
        if name == "coco":
            scores, why = self._score_layer()
            if scores is None:
                raise ValueError(coco_unavailable(why))
        self.preset_combo.setCurrentIndex(index)

    def file_settings_state(self) -> dict[str, Any]:
        """The controls :meth:`use_file_settings` sets, as they are now, by the words of
        :data:`FILE_SETTING_WORDS`: those that differ from an earlier state were changed since
        (the Dataset tab keeps what the user changed while a pair was read).

        Examples
        --------
        >>> widget.evaluate.file_settings_state()["matching"]  # doctest: +SKIP
        'iou'
        """
        values = (
            self.preset_combo.currentData(),
            self.iou_edit.text(),
            self.criterion_combo.currentData(),
            self.border_spin.value(),
            self.kind_combo.currentText(),
            self.ignore_spin.value(),
            self.binarize_check.isChecked(),
            self.background_check.isChecked(),
            self.boundary_check.isChecked(),
            self.tolerance_spin.value(),
        )
        return dict(zip(FILE_SETTING_WORDS, values, strict=True))

    def use_file_settings(self, settings: FileSettings, keep: Collection[str] = ()) -> str:
        """Set the controls to those of a run over files (a Dataset run), so that Run here
        scores one of its pairs as it did: the preset, or the IoU thresholds, matching and
        border; the kind, the ignore label, foreground vs background, class 0 in the semantic
        means, boundary metrics and τ. The header's threshold options are the dock's (see the
        Dataset tab).

        Parameters
        ----------
        settings : FileSettings
            The run's settings (:attr:`FilesResult.settings <napari_seg_eval.io.FilesResult>`).
        keep : collection of str
            Controls left as they are, by the words of :data:`FILE_SETTING_WORDS` (those the
            user changed meanwhile). A preset kept keeps its IoU thresholds, matching and
            border; any of those kept, the others are set without the run's preset.

        Returns
        -------
        str
            What was set, in the tab's words (e.g. "preset Cell Tracking Challenge, instance").

        Examples
        --------
        >>> widget.evaluate.use_file_settings(widget.dataset.result.settings)  # doctest: +SKIP
        'preset Cell Tracking Challenge, instance'
        """
        keep = set(keep)
        matching = {"preset", "IoU thresholds", "matching", "exclude border"}
        if "preset" in keep and self.preset_combo.currentData() is not None:
            keep |= matching  # the user's preset: its controls are its own
        said = []
        kind = self.kind_combo.currentText()  # a preset may change it
        preset = settings.preset
        if keep & matching:  # the user's settle it: no preset over them
            preset = None
        else:
            self.preset_combo.setCurrentIndex(0)  # a preset chosen again sets its controls again
        if preset is not None:
            try:
                self.set_preset(preset)
                said.append(f"preset {PRESETS[preset].title}")
            except ValueError:  # COCO without a layer to score the objects: its controls
                preset = None
        if preset is None:
            said.extend(self._use_matching(settings, keep))
        if "Evaluate" in keep:
            self.kind_combo.setCurrentText(kind)
        else:
            self.kind_combo.setCurrentText(FILE_KINDS[settings.kind])
            said.append(self.kind_combo.currentText())
        ignore = settings.ignore_label
        if "ignore label" not in keep:
            self.ignore_spin.setValue(-1 if ignore is None else ignore)
            if ignore is not None:
                said.append(f"ignore label {ignore}")
        if "foreground vs background" not in keep:
            self.binarize_check.setChecked(settings.binarize_semantic)
            if not settings.binarize_semantic:
                said.append("semantic classes")
        if "class 0 in the means" not in keep:
            self.background_check.setChecked(settings.include_background)
            if not settings.include_background:
                said.append("class 0 out of the semantic means")
        if "boundary metrics" not in keep:
            self.boundary_check.setChecked(settings.boundary)
        if "τ" not in keep:
            self.tolerance_spin.setValue(settings.tolerance)
        boundary = [
            words
            for words, control in (
                ("boundary", "boundary metrics"),
                (f"τ {settings.tolerance:g}", "τ"),
            )
            if settings.boundary and control not in keep
        ]
        if boundary:
            said.append(" ".join(boundary))
        return ", ".join(said)

    def _use_matching(self, settings: FileSettings, keep: set[str]) -> list[str]:
        """Set the IoU thresholds, matching and border to the run's, but those in ``keep``;
        what was set, in words."""
        said = []
        if "IoU thresholds" not in keep:
            self.iou_edit.setText(thresholds_text(settings.iou_thresholds))
            said.append(f"IoU thresholds {self.iou_edit.text()}")
        if "matching" not in keep:
            self.criterion_combo.setCurrentIndex(self.criterion_combo.findData(settings.criterion))
            said.append(f"matching {self.criterion_combo.currentText()}")
        if "exclude border" not in keep:
            self.border_spin.setValue(int(settings.exclude_border))
            border = f"{settings.exclude_border} px" if settings.exclude_border else "none"
            said.append(f"exclude border {border}")
        self._leave_preset()
        return [", ".join(said)] if said else []

    def set_matching(self, criterion: str = "iou", exclude_border: int = 0) -> None:
        """The matching criterion (``"iou"``, ``"iot"``, ``"iop"``) and the border band
        (pixels); leaves a preset whose settings these are not."""
        index = self.criterion_combo.findData(criterion)
        if index < 0:
            raise ValueError(f"criterion must be one of iou, iot, iop, got {criterion!r}.")
        self.criterion_combo.setCurrentIndex(index)
        self.border_spin.setValue(int(exclude_border))
        self._leave_preset()

    def set_classes(
        self, true: Layer | str | None, pred: Layer | str | None = SAME_CLASSES
    ) -> None:
        """Class layers of each side (None: no classes). ``pred`` defaults to the truth's."""
        self.true_classes_combo.set_choice(true)
        self.pred_classes_combo.set_choice(None if true is None else pred)

    def set_region(self, layer: Layer | str | None) -> None:
        """Score only inside a Labels (nonzero) or Shapes layer; None: everywhere."""
        self.region_combo.set_choice(layer)

    def set_boundary(self, on: bool = True, tolerance: float | None = None) -> None:
        """Also compute boundary metrics, at ``tolerance`` (units of the truth's scale)."""
        self.boundary_check.setChecked(bool(on))
        if tolerance is not None:
            self.tolerance_spin.setValue(float(tolerance))

    def run(self, *, wait: bool = False) -> dict[str, pd.DataFrame] | None:
        """Evaluate; ``wait=True`` runs now and returns the tables, else a worker runs it.

        A probability map with one axis more than the truth and no Channel axis chosen in the
        header gets one, said in a notice, when exactly one of its axes can be it (dropped,
        it leaves the truth's shape); otherwise the shape-mismatch error says which axes
        could be (:func:`shape_mismatch`). A chunked map whose touching objects are split
        (the Threshold tab's "split touching objects", an instance run) is read into memory in
        the run's worker first, as the preview reads it (:func:`evaluation_steps_read_whole`);
        one larger than the preview splits is refused before the run, in the preview's words
        (:func:`~napari_seg_eval._qt.threshold_panel.split_refusal`).
        """
        self._end_run_watch()
        try:
            self.choose_class_axis(wait=wait)
            truth, prediction, extra, work, grid, notices = self._prepare()
        except (TypeError, ValueError) as error:
            self._report(error)
            return None
        if grid:
            show_warning(f"Segmentation Evaluation: {grid}")
        levels = None
        if isinstance(prediction, Image) and prediction.multiscale:
            levels = level_shapes(prediction, self.owner.threshold_options().channel_axis)
            # the labels' coarse level to hold in memory, picked in the read that makes them
            work = partial(work, sample=sample_step(levels))
        options = self.run_options(prediction)
        channels = None  # a map read with channel k as class k + 1: its channels
        if (
            isinstance(prediction, Image)
            and options.channel_axis is not None
            and not options.background_channel
        ):
            channels = level0(prediction).shape[options.channel_axis]
        highest_class = None  # the top class of a map of classes
        if isinstance(prediction, Image) and options.channel_axis is not None:
            channels_read = level0(prediction).shape[options.channel_axis]
            highest_class = channels_read - 1 if options.background_channel else channels_read
        work = partial(
            evaluate_for_review,
            work,
            self.owner.review.iou_spin.value(),
            levels,
            channels=channels,
            highest_class=highest_class,
        )
        # A worker's run says its notices with its results: a napari notice fades in over the
        # canvas, and drawn while the worker starts its passes it blocked the viewer ~0.25 s.
        choices = self._choices()
        # a calibrated file opened at scale 1: its boundary values are not in its units
        spacing_note = file_spacing_note(truth) if self.boundary_check.isChecked() else ""
        if spacing_note:
            notices = (*notices, spacing_note)
        show = partial(
            self._show,
            truth,
            prediction,
            extra,
            wait=wait,
            notices=notices,
            choices=choices,
            axes_note="\n".join(filter(None, (self._axes_note(), spacing_note))),
        )
        if wait:
            self._run_layers = ()
            self._notify(notices)
            return self.job.run_now(work, partial(show, notices=()), control=True)
        self._run_layers = (truth, prediction, self.owner.probability_combo.layer(), *extra)
        self._watch_inputs((truth, prediction, *extra), self._run_watched, during_run=True)
        if self.boundary_check.isChecked():  # its distances are in the scale read now
            reason = partial(str, rescaled_reason(truth.name, during_run=True))
            self._connect(truth, "scale", reason, self._run_watched, during_run=True)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.status_label.setText("Starting…")
        self.job.start(work, show, control=True)
        return None

    def cancel(self, reason: str = "") -> None:
        """Stop the running evaluation; its results will not be shown."""
        if self.job.running:
            self.job.cancel()
            self.progress_bar.setValue(0)  # as after a failed run: nothing was done
            self.status_label.setText(f"Cancelled{': ' + reason if reason else ''}.")

    def mark_stale(self, reason: str, *, settings: bool = False) -> None:
        """Say that the current record no longer matches the viewer (the first reason stays).

        ``settings``: the threshold or its options moved, a cause that can come back: the
        record is current again when they are back (:meth:`_follow_settings`), unless a cause
        that cannot come back (an edit, a control, a failed run) came meanwhile, so its inputs
        stay watched until then."""
        record = self.evaluation
        if record is None:
            return
        if not settings and not self._lasting:
            self._lasting = reason
            self._unwatch()
        if record.stale:
            return
        self.evaluation = record.marked_stale(reason)
        self._settings_said = reason if settings else ""
        self._say_stale(reason)

    def _say_stale(self, reason: str) -> None:
        """Show the record's stale ``reason`` here and in the Review tab."""
        self.stale_label.setText(
            f"Out of date: {reason}. The tables show the last evaluation; press Run to update."
        )
        self.stale_label.setVisible(True)
        for table in self.tables.values():
            table.set_stale(True)
        self.owner.review.set_record(self.evaluation)

    # ---------------------------------------------------------------------------- internals
    def _prepare(self):
        """Read the choices on the main thread: the layers, the work, and a grid notice."""
        self._leave_preset()  # a script may have changed a control the preset sets
        truth = self.truth_combo.layer()
        prediction = self.prediction_combo.layer()
        if truth is None or prediction is None:
            raise ValueError("choose a ground-truth Labels layer and a prediction layer.")
        if truth is prediction:
            raise ValueError("the ground truth and the prediction are the same layer.")
        options = self.run_options(prediction)
        is_probability = isinstance(prediction, Image)
        drop = options.channel_axis if is_probability else None
        truth_data, prediction_data = level0(truth), level0(prediction)
        expected = tuple(prediction_data.shape)
        if drop is not None:
            expected = tuple(n for i, n in enumerate(expected) if i != drop % len(expected))
        if tuple(truth_data.shape) != expected:
            raise ValueError(
                shape_mismatch(
                    truth.name,
                    prediction.name,
                    tuple(truth_data.shape),
                    tuple(prediction_data.shape),
                    drop,
                    probability=is_probability,
                    offered=self._header_offers(prediction),
                    axis_labels=self._axis_labels(prediction),
                )
            )
        ignore = self.ignore_spin.value()
        axis = self.plane_axis_combo.currentData()
        notices = []
        multiscale = [repr(layer.name) for layer in (truth, prediction) if layer.multiscale]
        if multiscale:
            verb = "is" if len(multiscale) == 1 else "are"
            notices.append(MULTISCALE.format(f"{' and '.join(multiscale)} {verb}"))
        if is_probability:  # uint8/uint16 maps are read as value / dtype max
            prediction_data, notice = probability_data(prediction)
            notices.append(unsaid(prediction, notice))  # once per layer across the dock
        lazy = is_lazy(truth_data) or is_lazy(prediction_data)
        coco = self.preset_combo.currentData() == "coco"
        scores, unscored = self._score_layer()  # the rule the COCO preset is offered by
        if coco and scores is None:
            raise ValueError(coco_unavailable(unscored))
        confidence = None
        # A Labels prediction's objects get their confidence from the header's map (chunked
        # ones for COCO AP only); a probability map prediction scores its own objects.
        if scores is not None and scores is not prediction and (not lazy or coco):
            confidence, notice = probability_data(scores)
            notices.append(unsaid(scores, notice))
        confidence_layer = scores if confidence is not None else None
        true_classes_layer = self.true_classes_combo.layer()
        pred_choice = self.pred_classes_combo.choice()
        from_map = _classes_from_map(
            pred_choice, true_classes_layer, is_probability and options.channel_axis is not None
        )
        if pred_choice == SAME_CLASSES:
            pred_choice = true_classes_layer
        if not isinstance(pred_choice, Layer):
            pred_choice = None
        if (true_classes_layer is None) != (pred_choice is None) and not from_map:
            raise ValueError(
                "choose class layers for both sides (or 'same as ground-truth classes' for the "
                "prediction; a probability map with a channel axis: its own), or none."
            )
        classes: tuple[Any, Any] = (None, None)
        if from_map:
            notices.append(map_classes_notice(prediction.name, options.channel_axis))
        if true_classes_layer is not None:
            sides = (true_classes_layer,) if from_map else (true_classes_layer, pred_choice)
            classes = tuple(level0(layer) for layer in sides) + (None,) * from_map
            for layer, data in zip(sides, classes, strict=False):
                if tuple(data.shape) != tuple(truth_data.shape):
                    raise ValueError(
                        f"the class layer {layer.name!r} is {tuple(data.shape)}; the ground "
                        f"truth is {tuple(truth_data.shape)}."
                    )
        region_layer = self.region_combo.layer()
        region = None
        if region_layer is not None:
            region = region_mask(region_layer, truth, tuple(truth_data.shape))
        boundary = self.boundary_check.isChecked()
        settings = EvaluationSettings(
            kind=self.kind_combo.currentText(),
            iou_thresholds=tuple(parse_iou_thresholds(self.iou_edit.text())),
            criterion=self.criterion_combo.currentData(),
            exclude_border=self.border_spin.value(),
            preset=self.preset_combo.currentData(),
            ignore_label=None if ignore < 0 else ignore,
            binarize_semantic=self.binarize_check.isChecked(),
            # for semantic means only: an instance run records the default (review149)
            include_background=(
                self.background_check.isChecked() or self.kind_combo.currentText() == "instance"
            ),
            threshold=self.owner.threshold if is_probability else None,
            threshold_options=options if is_probability else None,
            plane_axis=axis,
            label_each_plane=axis is not None and self.each_plane_check.isChecked(),
            truth_name=truth.name,
            prediction_name=prediction.name,
            confidence_name=getattr(confidence_layer, "name", None),
            true_classes_name=getattr(true_classes_layer, "name", None),
            pred_classes_name=getattr(pred_choice, "name", None),
            region_name=getattr(region_layer, "name", None),
            boundary=boundary,
            tolerance=self.tolerance_spin.value(),
            spacing=tuple(float(x) for x in truth.scale) if boundary else None,
            units=spacing_units(truth),
        )
        settings.check()
        if boundary and (lazy or is_lazy(region) or any(is_lazy(c) for c in classes)):
            raise ValueError(
                "boundary metrics measure distances on whole images in memory; they are not "
                "available for chunked (dask/zarr) layers: untick Boundary metrics."
            )
        # A chunked map whose touching objects are split is read whole in the worker, as the
        # Threshold tab's preview reads it, up to the same size (the split needs the whole map).
        read_whole_first = (
            is_probability
            and options.split_touching
            and settings.kind != "semantic"
            and is_lazy(prediction_data)
        )
        if read_whole_first:
            refused = split_refusal(
                prediction,
                [prediction_data],
                "Nothing was evaluated.",
                "to evaluate its objects (they are joined across chunks)",
            )
            if refused is not None:
                raise ValueError(refused)
        work = partial(
            evaluation_steps_read_whole if read_whole_first else evaluation_steps,
            truth_data,
            prediction_data,
            settings,
            confidence=confidence,
            true_classes=classes[0],
            pred_classes=classes[1],
            region=region,
        )
        used = (true_classes_layer, pred_choice, region_layer, confidence_layer)
        extra = tuple({id(x): x for x in used if x is not None}.values())
        notices = tuple(filter(None, notices))
        return truth, prediction, extra, work, grid_notice(truth, prediction, drop), notices

    def _header_offers(self, prediction: Layer) -> bool:
        """Whether the header's Channel axis offers ``prediction``'s axes: it is the header's
        probability layer, or the header's layer has no axes to offer (none, or a 2-D map)
        and the prediction is a map of 3 or more axes."""
        header = self.owner.probability_combo.layer()
        if header is prediction:
            return True
        header_axes = header is not None and (header.rgb or data_ndim(header) >= 3)
        return isinstance(prediction, Image) and data_ndim(prediction) >= 3 and not header_axes

    def choose_class_axis(self, *, wait: bool = False) -> None:
        """Choose the header's Channel axis for a probability map prediction that has one
        axis more than the truth, when none is chosen and exactly one of its axes fits
        (:func:`class_axes_fitting`), and say so. Only when the header's probability layer
        is the prediction (or of its shape: the axis is chosen there), and never an axis
        named time or z (a time-lapse or a z-stack beside one annotated plane); nothing the
        user chose is changed. Else the run's shape-mismatch error says which axes could be
        it.

        Only an axis very likely to hold classes is chosen: its scale in the layer is 1 (a
        scale of 2 is a physical step: depth, or time), and the map's values sum to 1 along
        it on a few pixels of its coarsest level (a softmax: :func:`softmax_along`; a
        z-stack's or a time-lapse's values sum to anything). Else the axis is said once
        (per map and truth) as one that could hold classes, with how to choose it
        (:func:`class_axis_unsure_hint`), and not chosen. A chunked map too large to read on
        the main thread (:func:`sample_now`) is read in a worker, and the axis chosen when it
        is done; with ``wait`` (Run with ``wait=True``) it is read now.

        With a Labels prediction the map is only the header's (for the preview and the
        Confidence tabs), and one axis more than the truth may as well be time or depth as
        classes: the axis is then not chosen, but said once (per map and truth) with how to
        choose it.

        Called when the truth, the prediction or the header's layer changes (so the preview
        and the Class slider show classes before any run) and again on Run.
        """
        if getattr(self.owner, "evaluate", None) is not self:
            return  # the dock is being built: it chooses once every tab is there
        truth, prediction = self.truth_combo.layer(), self.prediction_combo.layer()
        header = self.owner.probability_combo.layer()
        if truth is None or header is None:
            return
        if self.owner.threshold_options().channel_axis is not None:
            return
        shape = tuple(level0(header).shape)
        fits = class_axes_fitting(shape, tuple(level0(truth).shape))
        if len(fits) != 1 or names_time_or_depth(self._axis_labels(header), fits[0]):
            return
        axis = fits[0]
        if not isinstance(prediction, Image):
            said = (id(header), id(truth))
            if said not in self._axis_hints:
                self._axis_hints.add(said)
                show_info(
                    f"Segmentation Evaluation: {class_axis_hint(header.name, axis, shape[axis])}"
                )
            return
        if header is not prediction and tuple(level0(prediction).shape) != shape:
            return
        combo = self.owner.channel_axis_combo
        index = combo.findData(axis)
        if index < 0:
            return
        why = self._not_classes(header, axis, wait=wait)
        if why is None:
            return  # read in a worker: chosen (or said) when it is done
        if why:
            said = (id(header), id(truth))
            if said not in self._axis_hints:
                self._axis_hints.add(said)
                hint = class_axis_unsure_hint(header.name, axis, shape[axis], why)
                show_info(f"Segmentation Evaluation: {hint}")
            return
        combo.setCurrentIndex(index)
        show_info(f"Segmentation Evaluation: {class_axis_notice(header.name, axis, shape[axis])}")

    def _not_classes(self, layer: Image, axis: int, *, wait: bool) -> str | None:
        """Why ``axis`` of the map ``layer`` is not taken as its class axis for the user, ""
        when it is, None while its values are read in a worker (see :meth:`choose_class_axis`)."""
        if not is_rgb_axis(layer, axis) and axis < len(layer.scale):
            scale = float(layer.scale[axis])
            if not np.isclose(scale, 1.0):
                return SCALED_AXIS.format(scale=scale)
        signs = self._softmax_signs.setdefault(layer, {})
        key = (id(level0(layer)), axis)
        if key not in signs:
            if not (wait or sample_now(layer)):
                if self._sampling != (id(layer), key) or not self.sample_job.running:
                    self._sampling = (id(layer), key)
                    data = data_levels(layer)[-1]
                    done = partial(self._sampled, weakref.ref(layer), key)
                    self.sample_job.start(partial(softmax_of, data, axis), done)
                return None
            signs[key] = softmax_along(layer, axis)
        return "" if signs[key] else NOT_SUMMING

    def _sampled(self, layer: weakref.ref, key: tuple[int, int], softmax: bool) -> None:
        """The worker read whether the map's values sum to 1 along an axis: choose it now
        (or say it could hold classes)."""
        self._sampling = None
        if layer() is None:
            return
        self._softmax_signs.setdefault(layer(), {})[key] = softmax
        self.choose_class_axis()

    def _sample_failed(self, _error: BaseException) -> None:
        """The worker could not read the map: nothing is chosen (a run says what is wrong)."""
        self._sampling = None

    @staticmethod
    def _notify(notices: tuple[str, ...]) -> None:
        for notice in notices:
            show_info(f"Segmentation Evaluation: {notice}")

    def _show(
        self,
        truth: Labels,
        prediction: Layer,
        extra: tuple[Layer, ...],
        result: tuple[Evaluation, ReviewRows | None, Any, str],
        *,
        wait: bool = True,
        notices: tuple[str, ...] = (),
        choices: dict[str, Any] | None = None,
        axes_note: str = "",
    ) -> dict:
        """Make the record of ``result`` (record, its Review rows) the current one: tables,
        result layer, review, staleness watch. The Review tab's hover rows follow in pieces
        unless ``wait``; so do the run's ``notices``. ``choices``: the controls as the run
        read them (:meth:`_choices`); ``axes_note``: what the run assumed of the truth's
        axes (:meth:`_axes_note`), said on a line of the status."""
        record, rows, labels, warning = result
        changed = self._end_run_watch()
        self._unwatch()
        self.evaluation = record
        self._run_choices = choices or {}
        self._stale_choice = None
        self._lasting = self._settings_said = ""
        self.stale_label.setVisible(False)
        for table in self.tables.values():
            table.set_stale(False)
        settings = record.settings
        units = f"distances in {settings.distance_units}" + (
            f" (the truth's scale {settings.spacing})"
            if settings.distance_units != "pixels"
            else ""
        )
        matching = catalogue.Matching.of(settings)  # the words of its labels
        for key, table in self.tables.items():
            note = units if key.startswith("boundary") else ""
            table.set_frame(record.tables[key], note=note, matching=matching)
            if key in OPTIONAL_TABS:
                index = self.result_tabs.indexOf(table)
                self.result_tabs.setTabVisible(index, not record.tables[key].empty)
            if key in EMPTY_BY_KIND:  # a line says why, instead of an empty table
                left_empty = settings.kind == EMPTY_BY_KIND[key][0]
                self.empty_notes[key].setVisible(left_empty)
                for part in (table.view, table.copy_button, table.export_button):
                    part.setVisible(not left_empty)
        self._plot_planes()
        shown = prediction
        if record.settings.threshold is not None:  # the labels made from the probability map
            shown = self._put_evaluated(record, prediction, labels)
        self.owner.review.set_evaluation(record, truth, shown, rows, wait=wait)
        notices = (
            *notices,
            *filter(None, [truth_made_by_us_notice(truth, prediction)]),
            *empty_side_notices(record.tables["summary"], truth, prediction),
            *no_match_notices(record, truth, prediction),
        )
        if notices:  # after this piece: the review's pieces and they take turns
            QTimer.singleShot(0, partial(self._notify, notices))
        self._watch(truth, prediction, shown, extra)
        if changed is not None:  # an input changed while the run read it
            self.mark_stale(changed)
        self.progress_bar.setValue(100)
        status = "Done." + self._preset_value(record)
        lines = [status, warning, axes_note]  # a misread map's warning stays until the next run
        self.status_label.setText("\n".join(filter(None, lines)))
        # The threshold, its options or the controls may have moved while the worker ran.
        self.threshold_changed(self.owner.threshold)
        self.options_changed()
        self.choices_changed()
        self.evaluated.emit(self.evaluation)  # marked stale when an input changed meanwhile
        return dict(record.tables)

    def _put_evaluated(self, record: Evaluation, prediction: Image, labels: Any) -> Labels:
        """Show ``labels``, the labels ``record`` made of the map ``prediction``
        (:func:`evaluate_for_review`), as ``<map> evaluated``: ours until the user edits it,
        then theirs, and the next run adds a new one (:func:`put_editable_labels`).

        Numpy labels (a writable copy of the record's) may be painted on. Lazy labels are made
        non-editable, their paint tools greyed out, as napari makes a multiscale (pyramid)
        Labels layer: napari "paints" a dask array without a word by rewriting its graph, a
        task per stroke, run again at every read of the chunks.
        """
        layer = put_editable_labels(
            self.viewer,
            labels,
            remade="the next Run",
            name=f"{prediction.name} evaluated",
            role="evaluated",
            source=prediction,
            info={  # a semantic run alone shows the mask it scored, not objects
                "threshold": record.settings.threshold,
                "output": "semantic" if record.instance is None else "instance",
            },
            drop_axis=record.settings.threshold_options.channel_axis,
        )
        if not isinstance(labels, list) and is_lazy(labels):
            layer.editable = False  # after the data: napari makes a layer given data editable
        return layer

    def _watch(
        self, truth: Layer, prediction: Layer, shown: Layer, extra: tuple[Layer, ...] = ()
    ) -> None:
        """Mark the record stale when one of its inputs changes (and, when it has boundary
        metrics, when the truth's scale changes: its distances are in the truth's scale)."""
        self._watch_inputs((truth, prediction, *extra), self._watched)
        if self.evaluation is not None and self.evaluation.settings.boundary:
            reason = partial(str, rescaled_reason(truth.name))
            self._connect(truth, "scale", reason, self._watched)
        if shown is not prediction:  # our labels of the map: editing them is editing an input
            was = shown.name
            for name, how in (("paint", "painted on"), ("data", "given new data")):
                callback = partial(self._on_evaluated_edited, shown, f"{was!r} was {how}")
                getattr(shown.events, name).connect(callback)
                self._watched.append((shown, name, callback))

    def _watch_inputs(
        self,
        layers: tuple[Layer, ...],
        watched: list[tuple[Layer, str, object]],
        *,
        during_run: bool = False,
    ) -> None:
        """Connect to the events of ``layers`` after which a record read from them no longer
        matches them (kept in ``watched``): the record shown, or, ``during_run``, the run
        going on (its first change is kept for when it is shown)."""
        for layer in {id(x): x for x in layers}.values():
            reason = partial(edit_reason, layer, layer.name, during_run=during_run)
            for name in _EDIT_EVENTS:
                if hasattr(layer.events, name):
                    self._connect(layer, name, reason, watched, during_run=during_run)
            if isinstance(layer, Labels):  # an undo or a redo emits set_data alone
                self._connect(
                    layer,
                    "set_data",
                    reason,
                    watched,
                    during_run=during_run,
                    when=history_moved(layer),
                )
            renamed = f"{layer.name!r} was renamed" + (
                " while the evaluation ran" if during_run else ""
            )
            self._connect(layer, "name", partial(str, renamed), watched, during_run=during_run)

    def _connect(
        self,
        layer: Layer,
        event: str,
        reason: Callable[[], str],
        watched: list[tuple[Layer, str, object]],
        *,
        during_run: bool = False,
        when: Callable[[], bool] | None = None,
    ) -> None:
        """Connect ``event`` of ``layer`` to mark the record (or, ``during_run``, the run)
        out of date for ``reason`` (kept in ``watched``), only when ``when`` says True if
        given: napari emits ``set_data`` at every refresh, and an undo or a redo alone is an
        edit (:func:`~napari_seg_eval._napari.history.history_moved`)."""
        slot = self._on_run_input_changed if during_run else self._on_input_changed
        callback = partial(slot, reason) if when is None else partial(self._if, when, slot, reason)
        getattr(layer.events, event).connect(callback)
        watched.append((layer, event, callback))

    def _unwatch(self) -> None:
        for layer, event, callback in self._watched:
            getattr(layer.events, event).disconnect(callback)
        self._watched = []

    def _end_run_watch(self) -> str | None:
        """Stop watching the run's layers; the first change they had while it ran (or None)."""
        for layer, event, callback in self._run_watched:
            getattr(layer.events, event).disconnect(callback)
        self._run_watched = []
        changed, self._run_change = self._run_change, None
        return changed

    @staticmethod
    def _if(
        when: Callable[[], bool],
        slot: Callable[..., None],
        reason: Callable[[], str],
        *_,
    ) -> None:
        """Call ``slot`` with ``reason`` when ``when()`` says True."""
        if when():
            slot(reason)

    def _on_input_changed(self, reason: Callable[[], str], *_) -> None:
        self.mark_stale(reason())

    def _on_run_input_changed(self, reason: Callable[[], str], *_) -> None:
        if self._run_change is None:
            self._run_change = reason()

    def _on_evaluated_edited(self, layer: Labels, edit: str, *_) -> None:
        """The user edited our labels of the map (``edit``: what they did): the record is out
        of date. :func:`put_editable_labels`, connected when the layer was added and so called
        first, has made the layer theirs: the reason names it as it is now."""
        self.mark_stale(f"{edit}, the labels evaluated (kept as your layer {layer.name!r})")

    def threshold_changed(self, value: float) -> None:
        """The dock's threshold moved: a record made at another threshold is out of date, and
        current again at its threshold (:meth:`_follow_settings`)."""
        self._follow_settings(value)

    def options_changed(self) -> None:
        """The threshold options changed: a record of a probability map is out of date (and
        a map's class axis is not one of the truth's: see :meth:`_on_prediction_layer`);
        current again with its options (:meth:`_follow_settings`)."""
        self._offer_coco()
        self._on_prediction_layer()
        self._follow_settings(self.owner.threshold)

    def run_options(self, prediction: Layer | None = None) -> ThresholdOptions:
        """The dock's threshold options for a run of ``prediction`` (the chosen prediction
        when None): its ``spacing`` is the pixel size of that map (its layer's scale without
        the class axis), so a run splits touching objects as the map's preview does, also
        when the map is not the header's probability layer."""
        options = self.owner.threshold_options()
        if prediction is None:
            prediction = self.prediction_combo.layer()
        if not isinstance(prediction, Image):
            return options
        return replace(options, spacing=self.owner.map_spacing(prediction, options.channel_axis))

    def _follow_settings(self, value: float) -> None:
        """Mark a record of a probability map stale while the threshold or its options differ
        from the run's (the reason follows the threshold as it moves), and current again
        when both are back, as the Dataset tab does; unless a cause that cannot come back
        came meanwhile (an edit, a control, a failed run): then that cause is the reason.
        ``value``: the dock's threshold."""
        record = self.evaluation
        if record is None:
            return
        used = record.settings.threshold
        reason = ""
        if used not in (None, value):
            reason = f"the threshold is now {value:g}; the evaluation used {used:g}"
        elif record.settings.threshold_options not in (None, self.run_options()):
            reason = "the threshold options changed"
        if not record.stale:
            if reason:
                self.mark_stale(reason, settings=True)
            return
        if not self._settings_said or record.stale != self._settings_said:
            return  # out of date for another reason first
        self._settings_said = reason
        if reason:
            self.evaluation = replace(record, stale=reason)
            self._say_stale(reason)
        elif self._lasting:
            self.evaluation = replace(record, stale=self._lasting)
            self._say_stale(self._lasting)
        else:  # the settings the record used are back: it matches the viewer again
            self.evaluation = replace(record, stale="")
            self.stale_label.setVisible(False)
            for table in self.tables.values():
                table.set_stale(False)
            self.owner.review.set_record(self.evaluation)

    def choices_changed(self, *_) -> None:
        """A control of the section moved: a record whose run read it otherwise is out of
        date (the first control that differs is named). When that control moves again, the
        reason names its choice now (a layer chosen then removed: "since removed")."""
        if self.evaluation is None or not self._run_choices:
            return
        now = self._choices()
        if self._lasting:
            self._restate_choice(now)
            return
        for name, then in self._run_choices.items():
            if not _same_choice(now[name], then):
                reason = _choice_reason(name, now[name], then)
                self.mark_stale(reason)
                self._stale_choice = (name, now[name], reason)
                return

    def _restate_choice(self, now: dict[str, Any]) -> None:
        """The control that made the record stale moved again: its reason follows."""
        if self._stale_choice is None:
            return
        name, before, said = self._stale_choice
        if self._lasting != said or _same_choice(now[name], before):
            return  # another reason, or the same choice
        gone = now[name] is None and isinstance(before, Layer) and before not in self.viewer.layers
        then = self._run_choices[name]
        if _same_choice(now[name], then):  # stays stale: what else changed meanwhile is unknown
            reason = f"{name} changed, then back to {_choice_text(then)}"
        else:
            reason = _choice_reason(name, before if gone else now[name], then, removed=gone)
        self._stale_choice = (name, now[name], reason)
        self._lasting = reason
        if self.evaluation.stale == said:  # not the threshold's reason, said first
            self.evaluation = replace(self.evaluation, stale=reason)
            self._say_stale(reason)

    def _control_table(self) -> tuple[tuple[str, Callable[[], Any], Any], ...]:
        """Every control a run reads, once: its name as the stale line says it, how to read it
        (layers as chosen, by identity; nothing is read from them), and its change signal."""
        truth, prediction = self.truth_combo, self.prediction_combo
        return (
            ("the ground truth", truth.layer, truth.currentIndexChanged),
            ("the prediction", prediction.layer, prediction.currentIndexChanged),
            (
                "the probability layer (objects' confidence)",
                self._confidence_layer,
                self.owner.probability_combo.currentIndexChanged,
            ),
            ("Evaluate", self.kind_combo.currentText, self.kind_combo.currentIndexChanged),
            ("the preset", self.preset_combo.currentText, self.preset_combo.currentIndexChanged),
            ("the IoU thresholds", self.iou_edit.text, self.iou_edit.textChanged),
            (
                "the matching",
                self.criterion_combo.currentText,
                self.criterion_combo.currentIndexChanged,
            ),
            ("the border excluded", self.border_spin.value, self.border_spin.valueChanged),
            ("the ignore label", self.ignore_spin.value, self.ignore_spin.valueChanged),
            (
                "the truth classes",
                self.true_classes_combo.choice,
                self.true_classes_combo.currentIndexChanged,
            ),
            (
                "the predicted classes",
                self.pred_classes_combo.choice,
                self.pred_classes_combo.currentIndexChanged,
            ),
            ("the region", self.region_combo.choice, self.region_combo.currentIndexChanged),
            ("boundary metrics", self.boundary_check.isChecked, self.boundary_check.toggled),
            ("τ", self.tolerance_spin.value, self.tolerance_spin.valueChanged),
            (
                "plane by plane",
                self.plane_axis_combo.currentText,
                self.plane_axis_combo.currentIndexChanged,
            ),
            (
                "labelling each plane on its own",
                self.each_plane_check.isChecked,
                self.each_plane_check.toggled,
            ),
            (
                "semantic foreground vs background",
                self.binarize_check.isChecked,
                self.binarize_check.toggled,
            ),
            (
                "class 0 in the semantic means",
                self.background_check.isChecked,
                self.background_check.toggled,
            ),
        )

    def _choices(self) -> dict[str, Any]:
        """What the controls say a run uses, by the names of :meth:`_control_table`."""
        return {name: read() for name, read, _ in self._controls}

    def _score_layer(self) -> tuple[Layer | None, str]:
        """The layer a run would read the predicted objects' scores from, or why none
        (:func:`~napari_seg_eval._napari.layers.score_layer` on the controls as they are):
        one rule for offering the COCO preset and for running it."""
        truth = self.truth_combo.layer()
        return score_layer(
            self.prediction_combo.layer(),
            self._confidence_layer(),
            None if truth is None else tuple(level0(truth).shape),
            self.owner.threshold_options().channel_axis,
        )

    def _offer_coco(self, *_) -> None:
        """Offer the COCO preset only when the objects can be scored; else say why."""
        scores, why = self._score_layer()
        self.preset_combo.model().item(self._coco_index).setEnabled(scores is not None)
        tip = COCO_SCORES if scores is not None else coco_unavailable(why)
        self.preset_combo.setItemData(self._coco_index, tip, Qt.ItemDataRole.ToolTipRole)
        if scores is not None and self.preset_combo.currentData() == "coco":
            show_note(self.preset_label, coco_note(scores.name))  # another layer scores

    def _confidence_layer(self) -> Layer | None:
        """The header's probability layer, unless the header only fell back to it (no layer
        looks like a probability map, e.g. the raw image); chosen, it gives the objects'
        confidence."""
        combo = self.owner.probability_combo
        return combo.layer() if combo.layer_is_wanted() else None

    def _preset_value(self, record: Evaluation) -> str:
        """ " <challenge>: <its number> = value" for a preset's run, else ""."""
        if record.settings.preset is None:
            return ""
        evaluation, key = PRESET_VALUES[record.settings.preset]
        summary = record.tables["summary"].set_index(["evaluation", "metric"])["value"]
        if (evaluation, key) not in summary.index:
            return ""
        table = "ctc" if evaluation == "ctc" else f"{evaluation}.summary"
        value = summary[(evaluation, key)]
        title = PRESETS[record.settings.preset].title
        label = catalogue.label(table, key, catalogue.Matching.of(record.settings))
        return f" {title}: {label} = {format_value(value)} on this image."

    def _on_preset(self, *_) -> None:
        """Set the controls from the chosen preset, and say what was set.

        "none" chosen (in the chooser, or ``set_preset(None)``) puts the controls a preset set
        (IoU thresholds, matching, border, and the kind it changed) back as they were before
        the first preset was chosen; "none" because one of those controls was changed by hand
        (:meth:`_leave_preset`) leaves them all as they are.
        """
        name = self.preset_combo.currentData()
        if name is None:
            before, self._before_preset = self._before_preset, None
            show_note(self.preset_label, "")
            self.preset_label.setToolTip("")
            if before is not None and not self._leaving_preset:
                self.iou_edit.setText(before.iou_text)
                self.criterion_combo.setCurrentIndex(
                    self.criterion_combo.findData(before.criterion)
                )
                self.border_spin.setValue(before.exclude_border)
                self.kind_combo.setCurrentText(before.kind)
                self._title_options()
            return
        if self._before_preset is None:  # from none: what "none" will put back
            self._before_preset = PresetControls(
                self.iou_edit.text(),
                self.criterion_combo.currentData(),
                self.border_spin.value(),
                self.kind_combo.currentText(),
            )
        preset = PRESETS[name]
        text = thresholds_text(preset.iou_thresholds)
        widgets = (self.iou_edit, self.criterion_combo, self.border_spin, self.kind_combo)
        for widget in widgets:
            widget.blockSignals(True)
        self.iou_edit.setText(text)
        self.criterion_combo.setCurrentIndex(self.criterion_combo.findData(preset.criterion))
        self.border_spin.setValue(preset.exclude_border)
        if self.kind_combo.currentText() == "semantic":
            self.kind_combo.setCurrentText("both")
        for widget in widgets:
            widget.blockSignals(False)
        criterion = self.criterion_combo.currentText()
        border = f"{preset.exclude_border} px" if preset.exclude_border else "none"
        needs = " Needs class layers for both sides." if preset.needs_classes else ""
        needs += f" {COCO_SCORES}" if preset.needs_scores else ""
        details = (
            f"Set: IoU thresholds {text}; matching {criterion}; exclude border {border}."
            f"{needs} The challenge's number: {preset.rule}."
        )
        # COCO's details are jargon: the note says what is scored with which layer, the
        # tooltip the rest
        scores = self._score_layer()[0] if preset.needs_scores else None
        show_note(self.preset_label, coco_note(scores.name) if scores is not None else details)
        self.preset_label.setToolTip(details if scores is not None else "")
        self._title_options()

    def _leave_preset(self, *_) -> None:
        """A matching control was changed by hand: the settings are no longer the preset's."""
        name = self.preset_combo.currentData()
        if name is not None and not matches_preset(
            name,
            self.iou_edit.text(),
            self.criterion_combo.currentData(),
            self.border_spin.value(),
        ):
            self._leaving_preset = True  # the controls stay as they are now
            try:
                self.preset_combo.setCurrentIndex(0)
            finally:
                self._leaving_preset = False

    def _plot_planes(self) -> None:
        per_plane = self.evaluation.tables["per_plane"]
        self.plane_plot.setVisible(not per_plane.empty)
        if per_plane.empty:
            return
        axes = self.plane_plot.axes
        axes.clear()
        matching = catalogue.Matching.of(self.evaluation.settings)
        for column in ("accuracy_50", "f1_50", "mean_iou"):
            if column in per_plane:
                axes.plot(
                    per_plane["plane"],
                    per_plane[column].astype(float),
                    marker=".",
                    label=catalogue.label(TABLES["per_plane"][1], column, matching),
                )
        axes.set_xlabel("plane")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # planes are whole numbers
        axes.set_ylim(-0.02, 1.02)
        # Above the axes, never over the curves (constrained layout makes room for it).
        axes.legend(
            fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False
        )
        self.plane_plot.redraw()

    def _on_plane_row(self, current, _previous) -> None:
        record = self.evaluation
        truth = self.truth_combo.layer()
        if not current.isValid() or record is None or record.settings.plane_axis is None:
            return
        if truth is None:
            return
        plane = int(self.tables["per_plane"].model.frame["plane"].iloc[current.row()])
        offset = self.viewer.dims.ndim - truth.ndim
        self.viewer.dims.set_current_step(record.settings.plane_axis + offset, plane)

    def _on_truth_layer(self, *_) -> None:
        layer = self.truth_combo.layer()
        self._tell_truth_by_order(layer)
        self._reading_axes = True
        try:  # first: the prediction's file may say which axis is time
            self.prediction_combo.refresh()  # never the truth itself; re-ranked against it
        finally:
            self._reading_axes = False
        self.choose_class_axis()  # before the time axis: a class axis is not the truth's
        self.plane_axis_combo.blockSignals(True)
        self.plane_axis_combo.clear()
        self.plane_axis_combo.addItem("no (whole image at once)", None)
        labels = self._axis_labels(layer)
        axes = range(layer.ndim if layer is not None and layer.ndim > 2 else 0)
        time_axis = next((axis for axis in axes if is_time_axis(labels, axis)), None)
        self._files_time = self._time_in_files()
        file_time = self._files_time.time
        if file_time is not None:
            time_axis = file_time.axis
        for axis in axes:
            name = labels[axis]
            named = "" if _default_name(name) else f" '{name}'"
            if file_time is not None and axis == time_axis:
                named = f" (time in {Path(file_time.path).name})"
            self.plane_axis_combo.addItem(
                f"along axis {axis}{named} ({layer.data.shape[axis]} planes)", axis
            )
        # A time series is scored frame by frame unless told otherwise; a chunked one too,
        # read chunk by chunk (objects never join across frames: a one-volume run would match
        # a track as one object).
        if time_axis is not None:
            self.plane_axis_combo.setCurrentIndex(self.plane_axis_combo.findData(time_axis))
        self._tell_file_time()
        self.plane_axis_combo.blockSignals(False)
        self._title_options()
        self._on_plane_axis()
        if self._scale_layer is not None:
            self._follow_units(self._scale_layer, follow=False)
        self._scale_layer = layer
        if layer is not None:
            self._follow_units(layer)
        self._show_units()

    def _on_layer_inserted(self, _event) -> None:
        """A layer added may tie with the ground truth the chooser kept (its rank no higher):
        the choice is then the layers' order's (:meth:`_tell_truth_by_order`)."""
        self._tell_truth_by_order(self.truth_combo.layer())

    def _tell_truth_by_order(self, layer: Labels | None) -> None:
        """Say, once per choice, that the chooser took the ground truth ``layer`` by the
        layers' order, names telling no better (:func:`truth_by_order_notice`); not of a
        layer the user chose."""
        if layer is None or self.truth_combo.user_chose:
            return
        candidates = [each for each in self.viewer.layers if isinstance(each, Labels)]
        notice = truth_by_order_notice(layer, candidates)
        said = (id(layer), notice)
        if notice and said != self._truth_order_said:
            self._truth_order_said = said
            show_info(f"Segmentation Evaluation: {notice}")

    def _follow_units(self, layer: Layer, *, follow: bool = True) -> None:
        """Say the units again when the truth's scale or units change (or stop: ``follow``
        False)."""
        for event in (layer.events.scale, layer.events.units):
            (event.connect if follow else event.disconnect)(self._show_units)

    def _time_in_files(self) -> FilesTime:
        """The truth's time axis as the files of the pair say it (:func:`time_in_files`),
        when the truth has more than two axes and none is named time: napari names a file's
        axes -3, -2, -1, and the metadata may still say which is time."""
        truth = self.truth_combo.layer()
        if truth is None or truth.ndim < 3:
            return NO_FILE_TIME
        labels = self._axis_labels(truth)
        if any(is_time_axis(labels, axis) for axis in range(truth.ndim)):
            return NO_FILE_TIME  # a name the user gave wins
        channel_axis = self.owner.threshold_options().channel_axis
        prediction = self.prediction_combo.layer()
        if not isinstance(prediction, Image):
            channel_axis = None  # a class axis is a probability map's only
        return time_in_files(truth, prediction, labels, channel_axis)

    def _on_prediction_chosen(self, *_) -> None:
        """Another prediction: a map with one axis more than the truth gets its class axis
        (:meth:`choose_class_axis`; not when only the options change: the user may have
        just chosen none), then what its file says of time."""
        if not self._reading_axes:
            if getattr(self.owner, "evaluate", None) is self:  # the dock is built
                self.owner.offer_channel_axes()  # a multi-class prediction's axes
            self.choose_class_axis()
        self._on_prediction_layer()

    def _on_prediction_layer(self, *_) -> None:
        """Another prediction (or its class axis): when its file changes what the pair's
        files say of time, the truth's axes are offered anew (frame by frame by default)."""
        if self._reading_axes:
            return
        now, before = self._time_in_files(), self._files_time
        if (now.time, now.side, now.files) != (before.time, before.side, before.files):
            self._on_truth_layer()  # (a renamed layer changes only the notice's words)

    def _show_units(self, *_) -> None:
        """Say the units boundary distances will be in: the truth's scale and units."""
        layer = self._scale_layer
        scale = ", ".join(f"{x:g}" for x in layer.scale) if layer is not None else ""
        text = f"{spacing_units(layer)} (scale {scale})" if layer is not None else ""
        self.units_label.setText(text)

    def _on_plane_axis(self, *_) -> None:
        axis = self.plane_axis_combo.currentData()
        self.each_plane_check.setEnabled(axis is not None)
        self.each_plane_check.setChecked(axis is not None and self._is_time(axis))
        self._plane_preview_changed()  # another axis, the box unchanged

    def _plane_preview_changed(self, *_) -> None:
        """Labelling each plane on its own changed: an instance preview labelled plane by
        plane (:meth:`preview_plane_axis`) is drawn again (when the preview is live)."""
        panel = getattr(self.owner, "threshold_panel", None)
        if panel is not None and panel.output_combo.currentText() == "instance":
            panel.schedule()

    def _is_time(self, axis: int) -> bool:
        """Whether the truth's ``axis`` is time: named so, or so in the axes of the file of the
        truth (or, where it names none, of the prediction)."""
        truth = self.truth_combo.layer()
        if truth is None:
            return False
        file_time = self._files_time.time
        return is_time_axis(self._axis_labels(truth), axis) or (
            file_time is not None and axis == file_time.axis
        )

    def _tell_file_time(self) -> None:
        """Say, once per file (or pair of files that disagree), what the pair's files say of
        time and what follows."""
        files_time = self._files_time
        if not files_time.notice or files_time.files in self._told_files:
            return
        self._told_files.add(files_time.files)
        show_info(f"Segmentation Evaluation: {files_time.notice}")

    def _axes_note(self) -> str:
        """What the run about to start assumes of a truth of more than two axes: frame by frame
        along a time axis (and why it is time), plane by plane, or one volume whose objects
        join across planes (said after the run, in the status)."""
        truth = self.truth_combo.layer()
        if truth is None or truth.ndim < 3 or self.kind_combo.currentText() == "semantic":
            return ""
        axis = self.plane_axis_combo.currentData()
        if axis is None or not self.each_plane_check.isChecked():
            return volume_note(truth.ndim, axis)
        file_time = self._files_time.time
        if file_time is not None and axis == file_time.axis:
            whose = "the prediction's file " if self._files_time.side == "prediction" else ""
            why = f": time in the axes of {whose}{Path(file_time.path).name} ({file_time.axes})"
        elif self._is_time(axis):
            why = f" '{self._axis_labels(truth)[axis]}'"
        else:
            return f"Each plane along axis {axis} matched on its own."
        return f"Frame by frame along axis {axis}{why}."

    def preview_plane_axis(self, layer: Image, channel_axis: int | None) -> int | None:
        """The axis along which the Threshold tab labels the objects of ``layer``'s preview
        plane by plane, as a run labels them (:func:`~napari_seg_eval.evaluation.instance_labels`
        with ``plane_axis``), or None. When the preview (the map without its class axis
        ``channel_axis``) has the truth's shape, as a run labels it: Options' Plane by plane
        axis when "label each plane on its own" is ticked, else None (one volume). With no
        truth of its shape, the one axis of the preview napari names time.

        Examples
        --------
        A (t, z, y, x) map whose axis 0 is named ``t`` is labelled frame by frame: its
        touching objects are split in each 3-D frame, never across frames.
        """
        shape = list(level0(layer).shape)
        labels = self._axis_labels(layer)
        if channel_axis is not None:
            drop = channel_axis % len(shape)
            del shape[drop]
            if not layer.rgb:  # napari's RGB axis has no label of its own
                del labels[drop]
        truth = self.truth_combo.layer()
        if truth is not None and tuple(level0(truth).shape) == tuple(shape):  # as a run labels
            axis = self.plane_axis_combo.currentData()
            return axis if axis is not None and self.each_plane_check.isChecked() else None
        timed = [k for k in range(len(labels)) if is_time_axis(labels, k)]
        return timed[0] if len(timed) == 1 and len(shape) >= 3 else None

    def _axis_labels(self, layer: Layer | None) -> list[str]:
        """The names of ``layer``'s axes: its own, or where it has napari's default (-3, -2,
        ...), the viewer's for that axis (``viewer.dims.axis_labels``: naming a time axis
        there is as common as on the layer)."""
        if layer is None:
            return []
        shown = [str(name) for name in self.viewer.dims.axis_labels][-layer.ndim :]
        shown = [""] * (layer.ndim - len(shown)) + shown
        return [
            viewer_name if _default_name(own) else str(own)
            for own, viewer_name in zip(layer.axis_labels, shown, strict=True)
        ]

    def _report(self, error: BaseException) -> None:
        """A run that could not start or failed: say why; the record shown (if any) is not
        this run's, so it is out of date. Logits, and a map holding NaN (named, with where its
        first NaN is), are said in the dock's words
        (:func:`~napari_seg_eval._qt.threshold_panel.dock_error`)."""
        read = self._map_read()
        said = dock_error(error, read, self.owner.class_axis_of(read))
        self.status_label.setText(said)
        self.progress_bar.setValue(0)
        notify_error(said)
        self.mark_stale(f"the last run failed ({said})")

    def _map_read(self) -> Image | None:
        """The probability map the run reads (or, before a run, would read): its prediction,
        when that is an Image layer; else None."""
        prediction = self._run_layers[1] if self._run_layers else self.prediction_combo.layer()
        return prediction if isinstance(prediction, Image) else None

    def _on_progress(self, step: tuple[float, str]) -> None:
        fraction, message = step
        self.progress_bar.setValue(int(100 * fraction))
        self.status_label.setText(message[:1].upper() + message[1:] + "…")

    def _on_job_finished(self) -> None:
        running = self.job.running
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if not running:
            self._run_layers = ()
            self._end_run_watch()  # failed or cancelled: nothing to show

    def _on_layer_removed(self, event) -> None:
        layer = event.value
        if self.job.running and any(layer is used for used in self._run_layers):
            self.cancel(f"layer {layer.name!r} was removed")
            # Deferred: while the viewer closes, its layers are removed one by one first.
            QTimer.singleShot(
                0,
                partial(
                    warn_unless_closing,
                    self.viewer,
                    f"layer {layer.name!r} was removed during the evaluation; the run was "
                    "cancelled.",
                ),
            )
        if any(layer is watched for watched, _, _ in self._watched):
            self.mark_stale(f"{layer.name!r} was removed")

    def close_jobs(self) -> None:
        """Stop the running evaluation for good (the dock is closing)."""
        self.job.close()
        self.sample_job.close()
        self._unwatch()
        self._end_run_watch()
        for combo in (self.true_classes_combo, self.pred_classes_combo, self.region_combo):
            combo.close()
        if self._scale_layer is not None:
            self._follow_units(self._scale_layer, follow=False)
        self.viewer.layers.events.removed.disconnect(self._on_layer_removed)
        self.viewer.layers.events.inserted.disconnect(self._on_layer_inserted)
        self.viewer.dims.events.axis_labels.disconnect(self._on_truth_layer)


def _default_name(name: str) -> bool:
    """Whether an axis label is napari's default (-3, -2, -1: no name given)."""
    return str(name).lstrip("-").isdigit()


def _same_choice(a: Any, b: Any) -> bool:
    """Layers are the same choice when they are the same layer; other values when equal."""
    if isinstance(a, Layer) or isinstance(b, Layer):
        return a is b
    return a == b


def _choice_reason(name: str, now: Any, then: Any, *, removed: bool = False) -> str:
    """Why a record is out of date after control ``name`` moved from ``then`` to ``now``
    (``removed``: the layer ``now`` was removed since)."""
    since = ", since removed" if removed else ""
    return (
        f"{name} changed to {_choice_text(now)}{since} (the evaluation used {_choice_text(then)})"
    )


def _choice_text(value: Any) -> str:
    """A control's value as the stale line says it."""
    if isinstance(value, Layer):
        return repr(value.name)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return repr(value) if isinstance(value, str) else f"{value:g}"
