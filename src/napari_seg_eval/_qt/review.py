"""The Review section: errors as a layer, and a per-object table linked to the viewer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from napari.layers import Labels, Layer
from napari.utils.notifications import show_info, show_warning
from napari.utils.theme import get_theme
from napari.utils.transforms import Affine
from napari.viewer import Viewer
from qtpy.QtCore import Qt, QTimer, Signal
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QShortcut,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from scipy import ndimage

from .._jobs import Job, notify_error
from .._napari.error_colors import (
    PREDICTION_OUTLINE,
    SELECTION_KIND_OFFSET,
    background_under,
    build_label_colormap_lookup,
    kind_colormap,
    kind_colors,
    kind_features,
    pixel_colormap,
    pixel_features,
    selection_color,
    selection_colormap,
    single_color_colormap,
)
from .._napari.layers import (
    hover_features,
    put_labels,
    result_layer,
    tag,
    too_big_to_show,
    write_object_features,
)
from ..core._thread_callbacks import compute
from ..core._validate import outside_ignored
from ..core.blocks import is_lazy
from ..core.instance import REVIEW_THRESHOLD, InstanceResult
from ..core.review import (
    EXCLUDED,
    KIND_COLORS,
    PRED_KINDS,
    TRUE_KINDS,
    add_error_kinds,
    error_map,
    error_map_levels,
    match_rule,
    semantic_error_map,
)
from ..evaluation import Evaluation, RunControl
from .inputs import DecimalSpinBox
from .tables import STALE_STYLE, ResultTable
from .threshold_panel import Region, computed_where_shown, shown_regions

#: The keys of the next and previous row (napari's menus take Alt+F/E/V/L/P/W/H as their
#: mnemonics and napari Alt+S/C/T and Alt+arrows; these are free).
NEXT_KEY, PREVIOUS_KEY = "Alt+N", "Alt+Shift+N"
#: Filters of the object table: label -> (kind, status, error kind), None for any.
FILTERS = {
    "all objects": (None, None, None),
    "missed true objects (FN)": ("true", "FN", None),
    "false predictions (FP)": ("pred", "FP", None),
    "matched true objects (TP)": ("true", "TP", None),
    "true objects": ("true", None, None),
    "predicted objects": ("pred", None, None),
    **{f"true: {kind}": ("true", None, kind) for kind in TRUE_KINDS[1:]},
    **{f"predicted: {kind}": ("pred", None, kind) for kind in PRED_KINDS[1:]},
    "excluded at the border": (None, EXCLUDED, None),
}
#: What each legend entry means (tooltips); DESIGN's definitions, in short.
KIND_TIPS = {
    "matched": "matched one-to-one at the threshold: {rule}",
    "missed": "a true object that no prediction overlaps",
    "spurious": "a prediction that overlaps no true object",
    "merged / merge": "a prediction holds more than half of two or more true objects: "
    "they are merged, it is a merge",
    "split / fragment": "two or more predictions each lie more than half inside one true "
    "object: it is split, they are fragments",
    "poor overlap": "unmatched, overlapping something, but neither merged nor split",
    "excluded at the border": "touches the border band (Exclude border): left out of the "
    "matching on both sides, neither a match nor an error",
}
#: Names of the kinds in the count line ("merge" and "fragment" take an s when not 1).
COUNT_NAMES = {"missed": "without any overlap"}
PLURAL = ("merge", "fragment")
#: Legend of the pixel errors of one class (semantic): (name, colour, tooltip).
PIXEL_LEGEND = (
    ("missed pixels (FN)", KIND_COLORS[1][1], "true pixels of the class predicted as another"),
    ("false pixels (FP)", KIND_COLORS[2][1], "pixels predicted as the class, true another"),
)
#: Hover rows (napari's ``Labels.features``) are written for a side of at most this many
#: objects. napari builds its lookup of the rows one by one, on the main thread, when they are
#: set (about 0.25 s per 640,000 objects); above this a layer gets no review columns on hover
#: (the status line says so) and the table is the way to each object.
HOVER_FEATURES_MAX_OBJECTS = 150_000
#: A filter showing more rows than this takes them from the rows in a worker (half of 1.28 M
#: rows: ~0.2 s); smaller ones at once.
FILTER_IN_WORKER_ROWS = 100_000
#: The table's first columns: what an object is, its error kind, its IoU and how sure the
#: model was inside it, in view at the dock's default width (then the catalogue's order).
FIRST_COLUMNS = ("kind", "label", "status", "error", "iou", "mean_confidence")
#: The error layer is drawn opaque (napari's default for Labels is 0.7): its objects are then
#: the legend's colours whatever image is shown under them (a confidence-coloured map under a
#: translucent layer turned matched objects' grey salmon). The image shows around the objects
#: (background is transparent); a user's own opacity is kept when the layer is updated.
ERRORS_OPACITY = 1.0
#: The roles of the layers the Review tab makes, each of one evaluation: a new evaluation
#: hides those of the earlier ones (:meth:`ReviewPanel._retire_old_layers`).
REVIEW_ROLES = ("errors", "outlines", "selection")
#: The roles of the header's threshold preview and contour (of any map): hidden with the
#: compared layers when the error layer first appears (:meth:`ReviewPanel._hide_compared`).
PREVIEW_ROLES = ("threshold", "contour")
#: Around the object shown, at least this fraction of its size on each side...
ZOOM_MARGIN = 0.5
#: ... and at least this many of its pixels.
ZOOM_MIN_PIXELS = 8
#: The selection's outlines of a chunked record are read on the main thread when the chunks
#: under the boxes hold at most this many pixels (a few small chunks); more (a whole slide's
#: chunks of 2048 x 2048) are read in a worker, and the outlines drawn when they arrive, so
#: that a step never waits for chunks to be read and decompressed.
READ_NOW_PIXELS = 1 << 20
#: In napari's 3-D view the object shown may lie inside the volume, behind other objects:
#: the Review tab says how it is shown (:meth:`ReviewPanel._say_depth`).
DEPTH_NOTE = (
    "3-D view: the selected object and its partner are drawn solid in the outline colour, "
    "over everything else (objects in front would hide them). Switch to 2-D (napari's "
    "2D/3D button) to see their error colours, ringed, on their plane."
)


def hidden_notice(names: Sequence[str], colours: str = "the error colours") -> str:
    """The notice that the first error layer (or layer of changes) hid the compared layers:
    what and why first (napari's notice shows about 40 characters of it), the layers' names
    last.

    Parameters
    ----------
    names : sequence of str
        The hidden layers' names.
    colours : str
        What they were hidden to show.

    Returns
    -------
    str
        The notice.

    Examples
    --------
    >>> hidden_notice(["truth", "pred"])
    "Hid 2 layers to show the error colours (tick an eye to show one again): 'truth', 'pred'."
    """
    count = f"{len(names)} layer{'s' if len(names) != 1 else ''}"
    return (
        f"Hid {count} to show {colours} (tick an eye to show one again): "
        + ", ".join(f"'{name}'" for name in names)
        + "."
    )


def fill_legend(
    layout: QGridLayout,
    entries: Sequence[tuple[str, Sequence[float], str]],
    columns: int = 3,
    border: str = "gray",
) -> dict[str, tuple[QLabel, QLabel]]:
    """Put a legend of colours in ``layout``: per entry a swatch (with a border) and its name
    in the theme's text colour, both with the entry's tooltip, ``columns`` entries a row.

    Parameters
    ----------
    layout : QGridLayout
        The legend's layout (empty).
    entries : sequence of (str, sequence of float, str)
        Name, colour (red, green, blue in 0..1; alpha ignored) and tooltip of each entry.
    columns : int
        Entries a row.
    border : str
        The swatches' border colour (a Qt style sheet colour): the theme's text colour
        outlines a pale swatch on the light theme's pale dock as well as on the dark one.

    Returns
    -------
    dict
        Name -> (swatch, text) labels.
    """
    parent = layout.parentWidget()
    legend = {}
    for index, (name, color, tip) in enumerate(entries):
        swatch = QLabel(parent)
        swatch.setFixedSize(14, 14)
        rgb = ", ".join(str(round(255 * c)) for c in color[:3])
        swatch.setStyleSheet(f"background-color: rgb({rgb}); border: 1px solid {border}")
        text = QLabel(name, parent)
        for label in (swatch, text):
            label.setToolTip(tip)
        row, column = divmod(index, columns)
        layout.addWidget(swatch, row, 2 * column)
        layout.addWidget(text, row, 2 * column + 1)
        legend[name] = (swatch, text)
    return legend


@dataclass(frozen=True)
class ReviewRows:
    """What the Review tab shows of one set of object rows, prepared off the main thread, so
    that handing it over only assigns it.

    Attributes
    ----------
    objects
        The rows (error kinds added), index 0..n-1.
    iou_threshold
        The IoU threshold of their status and error kind.
    counts
        (kind, status) and (kind, error kind) -> number of rows.
    filtered
        Filter name (:data:`FILTERS`) -> the positions of its rows in ``objects``.
    features
        "true"/"pred" -> the hover rows of that side (:func:`hover_features`), or None when the
        side has more than :data:`HOVER_FEATURES_MAX_OBJECTS` objects.
    sizes
        "true"/"pred" -> the number of objects of that side.
    boxes
        "true"/"pred" -> that side's bounding boxes by id (:func:`object_boxes`): a step looks
        its object up there instead of comparing the rows.
    """

    objects: pd.DataFrame
    iou_threshold: float
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    filtered: dict[str, np.ndarray] = field(default_factory=dict)
    features: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    boxes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def object_boxes(
    objects: pd.DataFrame, kinds: np.ndarray | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each side's bounding boxes, sorted by the id in the record's arrays, so that finding
    one object's box is a binary search, not a comparison of every row.

    Parameters
    ----------
    objects : pandas.DataFrame
        Per-object rows with ``kind``, ``label`` (or ``record_label``, the ids of the record's
        own arrays) and ``bbox_start_<axis>`` / ``bbox_stop_<axis>`` columns.
    kinds : numpy.ndarray, optional
        ``objects["kind"]`` as a numpy array, if already made.

    Returns
    -------
    dict
        "true"/"pred" -> (ids, boxes): the side's ids in increasing order (rows of one id in
        their order in ``objects``) and their boxes, shape (n, ndim, 2), start and stop per
        axis. Empty without boxes.

    Examples
    --------
    >>> rows = pd.DataFrame({"kind": ["true", "pred", "true"], "label": [7, 7, 2],
    ...                      "bbox_start_0": [0, 1, 4], "bbox_stop_0": [3, 2, 6]})
    >>> ids, boxes = object_boxes(rows)["true"]
    >>> ids.tolist(), boxes.tolist()
    ([2, 7], [[[4, 6]], [[0, 3]]])
    """
    if objects.empty or "bbox_start_0" not in objects:
        return {}
    if kinds is None:
        kinds = objects["kind"].to_numpy()
    ndim = sum(1 for column in objects.columns if str(column).startswith("bbox_start_"))
    ids = objects["record_label" if "record_label" in objects else "label"].to_numpy()
    bounds = np.stack(
        [
            np.stack(
                [objects[f"bbox_start_{axis}"].to_numpy(), objects[f"bbox_stop_{axis}"].to_numpy()],
                axis=-1,
            )
            for axis in range(ndim)
        ],
        axis=1,
    ).astype(np.int64)
    found = {}
    for side in ("true", "pred"):
        own = np.flatnonzero(kinds == side)
        order = own[np.argsort(ids[own], kind="stable")]
        found[side] = (ids[order], bounds[order])
    return found


def prepare_rows(record: Evaluation, objects: pd.DataFrame, iou_threshold: float) -> ReviewRows:
    """The Review tab's rows of ``record`` at ``iou_threshold``, ready to show (no Qt: runs
    in a worker).

    Parameters
    ----------
    record : Evaluation
        The evaluation the rows come from (its matching gives the error kinds).
    objects : pandas.DataFrame
        Its per-object rows at ``iou_threshold`` (``record.objects_at``, or its ``per_object``
        table at :data:`~napari_seg_eval.core.instance.REVIEW_THRESHOLD`).
    iou_threshold : float
        The threshold of those rows.

    Returns
    -------
    ReviewRows
        The rows, their counts per status and error kind, each filter's rows, and the hover
        rows of each side (None above :data:`HOVER_FEATURES_MAX_OBJECTS` objects).

    Examples
    --------
    >>> from napari_seg_eval.evaluation import evaluate
    >>> record = evaluate(np.array([[1, 1, 0, 2]]), np.array([[1, 1, 0, 0]]), kind="instance")
    >>> rows = prepare_rows(record, record.tables["per_object"], 0.5)
    >>> rows.counts[("true", "FN")], rows.counts[("true", "missed")], rows.sizes["pred"]
    (1, 1, 1)
    """
    if objects.empty:
        return ReviewRows(pd.DataFrame(), iou_threshold)
    if "error" not in objects:
        objects = add_error_kinds(objects, record.instance)
    objects = objects.reset_index(drop=True)
    columns = {name: objects[name].to_numpy() for name in ("kind", "status", "error")}
    counts = {}
    for name in ("status", "error"):
        counts.update(objects.groupby(["kind", name]).size().to_dict())
    filtered = {}
    for name, values in FILTERS.items():
        keep = np.ones(len(objects), bool)
        for column, value in zip(("kind", "status", "error"), values, strict=True):
            if value is not None:
                keep &= columns[column] == value
        filtered[name] = np.flatnonzero(keep)
    features, sizes = {}, {}
    for side in ("true", "pred"):
        rows = objects[columns["kind"] == side]
        sizes[side] = int(rows["label"].nunique())
        fits = sizes[side] <= HOVER_FEATURES_MAX_OBJECTS
        features[side] = with_background(hover_features(rows)) if fits else None
    boxes = object_boxes(objects, columns["kind"])
    return ReviewRows(objects, iou_threshold, counts, filtered, features, sizes, boxes)


def with_background(hover: pd.DataFrame) -> pd.DataFrame:
    """``hover`` (:func:`~napari_seg_eval._napari.layers.hover_features`) with a row for the
    background, label 0, holding no value: napari then shows nothing of it on hover, where a
    label without a row shows "[No Properties]". The review columns hold Python objects, so
    that the other rows keep their values as they were (an int partner is not made a float).

    Parameters
    ----------
    hover : pandas.DataFrame
        One side's hover rows: an ``index`` column (the label) and the review columns.

    Returns
    -------
    pandas.DataFrame
        The background's row first (None in each review column), then ``hover``'s rows.

    Examples
    --------
    >>> hover = pd.DataFrame({"index": [3], "seg_eval_partner": [5]})
    >>> with_background(hover).to_dict("list")
    {'index': [0, 3], 'seg_eval_partner': [None, 5]}
    """
    if (hover["index"] == 0).any():
        return hover
    columns = [column for column in hover if column != "index"]
    objects = dict.fromkeys(columns, object)
    background = pd.DataFrame({"index": [0], **{column: [None] for column in columns}})
    rows = pd.concat([background.astype(objects), hover.astype(objects)], ignore_index=True)
    return rows.astype({"index": hover["index"].dtype})


class ReviewPanel(QWidget):
    """Walk through the objects of the current evaluation record, with the image underneath.

    Everything here reads the record (:class:`~napari_seg_eval.evaluation.Evaluation`): the
    objects, their status and error kind at the IoU threshold, the error layer and the outlines
    are computed from the arrays the evaluation compared, never from the layers as they are now.

    Rows arrive prepared (:class:`ReviewRows`, made in a worker); what is left for the main
    thread is done in pieces, one per turn of the event loop (the hover rows of each side, the
    error layer), and :attr:`handed_over` says when the last is done. A newer evaluation or
    re-match drops the pieces still pending.
    """

    #: Emitted when the rows of an evaluation or a re-match are all in place (table, counts,
    #: hover rows, error layer started).
    handed_over = Signal()

    def __init__(self, viewer: Viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.record: Evaluation | None = None
        self.layers: dict[str, Labels] = {}  # "true"/"pred" -> the layers showing the objects
        self.objects = pd.DataFrame()  # all rows at the current IoU threshold
        self.prepared = ReviewRows(self.objects, REVIEW_THRESHOLD)  # ... and what is shown
        self._pieces: list[Callable[[], None]] = []  # of the hand-over, still to do
        self._piece_timer = QTimer(self)
        self._piece_timer.setSingleShot(True)
        self._piece_timer.setInterval(0)
        self._piece_timer.timeout.connect(self._next_piece)
        self.rematch_job = Job(self)
        self.error_job = Job(self)
        self.filter_job = Job(self)
        #: Reads the boxes of a selected object of a whole slide (:data:`READ_NOW_PIXELS`).
        self.selection_job = Job(self)
        self._syncing = False
        self._selection: np.ndarray | None = None  # the selection outlines' data
        #: The colours of the error values painted in it (see _hidden_errors), or None.
        self._selection_kinds: Any = None
        self._selected_boxes: list[tuple[slice, ...]] = []  # where it is painted
        self._compared_data: dict[str, Any] = {}  # the layers' data when the record was made
        self._hidden: list[Layer] = []  # the layers the error layer hid, to show them again
        self._retired: list[Layer] = []  # our layers of earlier evaluations that we hid

        self.iou_spin = DecimalSpinBox(
            self, minimum=0.01, maximum=1.0, singleStep=0.05, value=0.5, decimals=2
        )
        # typed values apply on Enter or leaving the box: each value applied starts a re-match
        self.iou_spin.setKeyboardTracking(False)
        self.iou_spin.valueChanged.connect(self._on_iou_changed)
        self._rematching_at: float | None = None  # the IoU threshold of the latest re-match
        #: Its label: the quantity the evaluation's matching compares with it.
        self.threshold_label = QLabel("IoU threshold", self)
        self.errors_combo = QComboBox(self)
        self.errors_combo.addItems(["objects (instance)", "pixels of one class (semantic)"])
        self.errors_combo.setToolTip(
            "Objects: each object's error kind (matched, merged, split, poor overlap, missed, "
            "spurious). Pixels: for one class, the pixels predicted but not true (FP) and true "
            "but not predicted (FN)."
        )
        self.errors_combo.currentIndexChanged.connect(lambda _: self._fill_legend())
        self.class_spin = QSpinBox(self, minimum=0, maximum=2**31 - 1, value=1)
        self.class_spin.setToolTip(
            "The class whose pixel errors are shown (1 = foreground): for 'Errors of: pixels "
            "of one class (semantic)' only"
        )
        self.class_spin.setEnabled(False)  # objects' errors first: the class is for pixels
        self.errors_combo.currentIndexChanged.connect(
            lambda index: self.class_spin.setEnabled(index == 1)
        )
        self.errors_button = QPushButton("Show errors as a layer", self)
        self.errors_button.clicked.connect(lambda: self.show_errors())
        self.outline_check = QCheckBox("Outline predicted objects over the truth", self)
        self.outline_check.setToolTip(
            "Draw the evaluated predicted objects as thin black outlines on top, so that merges "
            "and splits show against the true objects."
        )
        self.outline_check.toggled.connect(lambda _: self.show_outlines())
        #: legend name -> (swatch, text) labels; filled by _fill_legend
        self.legend: dict[str, tuple[QLabel, QLabel]] = {}
        legend_box = QWidget(self)  # a widget of its own: its rows get their full height
        self.legend_layout = QGridLayout(legend_box)
        self.legend_layout.setContentsMargins(0, 2, 0, 2)
        self.legend_layout.setVerticalSpacing(6)
        self.filter_combo = QComboBox(self)
        self.filter_combo.addItems(list(FILTERS))
        self.filter_combo.setToolTip(
            "Which objects the table lists: all, or only one kind of mistake (missed, false, "
            "merged, split...) to go through them one by one"
        )
        self.filter_combo.currentIndexChanged.connect(self._apply_filter)
        self.table = ResultTable("objects", "instance.per_object", self)
        self.table.view.setSelectionBehavior(self.table.view.SelectionBehavior.SelectRows)
        self.table.view.selectionModel().currentRowChanged.connect(self._on_row)
        self.previous_button = QPushButton("◀ Previous", self)
        self.next_button = QPushButton("Next ▶", self)
        self.previous_button.setToolTip(f"Previous row ({PREVIOUS_KEY}, while this tab is shown)")
        self.next_button.setToolTip(f"Next row ({NEXT_KEY}, while this tab is shown)")
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        #: Next / previous row from anywhere in the window; the dock enables them only while
        #: this tab is shown (:meth:`set_shortcuts_enabled`).
        self.shortcuts: list[QShortcut] = []
        for key, step in ((NEXT_KEY, 1), (PREVIOUS_KEY, -1)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda step=step: self.step(step))
            self.shortcuts.append(shortcut)
        self.status_label = QLabel("Run an instance evaluation to review its objects.", self)
        self.status_label.setWordWrap(True)
        self.kinds_label = QLabel("", self)
        self.kinds_label.setWordWrap(True)
        self.hover_label = QLabel("", self)
        self.hover_label.setWordWrap(True)
        self.hover_label.setVisible(False)
        self.stale_label = QLabel("", self)
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet(STALE_STYLE)
        self.stale_label.setVisible(False)
        #: Shown in napari's 3-D view while an object is selected (:data:`DEPTH_NOTE`).
        self.depth_label = QLabel(DEPTH_NOTE, self)
        self.depth_label.setWordWrap(True)
        self.depth_label.setVisible(False)

        form = QFormLayout()
        form.addRow(self.threshold_label, self.iou_spin)
        form.addRow("Errors of", self.errors_combo)
        form.addRow("Class", self.class_spin)
        form.addRow(self.errors_button)
        form.addRow(legend_box)
        form.addRow(self.outline_check)
        form.addRow("Show", self.filter_combo)
        queue = QHBoxLayout()
        queue.addWidget(self.previous_button)
        queue.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.kinds_label)
        layout.addWidget(self.hover_label)
        layout.addWidget(self.stale_label)
        layout.addWidget(self.depth_label)
        layout.addWidget(self.table, stretch=1)
        layout.addLayout(queue)
        self._fill_legend()
        self._say_rule()
        viewer.events.theme.connect(self._on_theme)
        viewer.dims.events.ndisplay.connect(self._on_ndisplay)

    # ------------------------------------------------------------------------- public API
    @property
    def result(self):
        """The record's instance result (None without an instance evaluation)."""
        return self.record.instance if self.record is not None else None

    def set_evaluation(
        self,
        record: Evaluation,
        true_layer: Labels,
        pred_layer: Labels,
        rows: ReviewRows | None = None,
        *,
        wait: bool = True,
    ) -> None:
        """Review ``record``; ``true_layer``/``pred_layer`` show its objects (hover, selection).

        After an evaluation with instance metrics the errors shown are objects; after a semantic
        one only, pixels of one class. ``rows`` are the record's rows prepared in a worker
        (:func:`prepare_rows`; used when at the panel's IoU threshold, else made again).
        ``wait=False`` leaves the rest (hover rows, error layer) to pieces run by the event
        loop (:attr:`handed_over` when done); ``wait=True`` does it all now.
        """
        for layer in self.layers.values():
            layer.events.selected_label.disconnect(self._on_selected_label)
        self.layers = {"true": true_layer, "pred": pred_layer}
        self._compared_data = {  # for pyramid_levels only: pyramids (lazy, not copies)
            kind: layer.data for kind, layer in self.layers.items() if layer.multiscale
        }
        for layer in self.layers.values():
            layer.events.selected_label.connect(self._on_selected_label)
        self.set_record(record)
        self.rematch_job.cancel()  # rows of the earlier record, at an earlier threshold
        self._rematching_at = None
        self.selection_job.cancel()
        self._selection = None
        self._selected_boxes = []
        self.errors_combo.setCurrentIndex(0 if record.instance is not None else 1)
        self._retire_old_layers()
        threshold = self.iou_spin.value()
        if record.instance is None:
            self._show_rows(ReviewRows(pd.DataFrame(), threshold), wait=wait)
        elif rows is not None and rows.iou_threshold == threshold:
            self._show_rows(rows, wait=wait)
        elif threshold == REVIEW_THRESHOLD:
            rows = prepare_rows(record, record.tables["per_object"], threshold)
            self._show_rows(rows, wait=wait)
        else:
            self.refresh(wait=wait)
        self.show_outlines()

    def set_record(self, record: Evaluation) -> None:
        """The same evaluation, possibly marked stale: say so."""
        self.record = record
        self._say_rule()
        self.stale_label.setText(
            f"Out of date: {record.stale}. Rows and errors are those of the last evaluation."
        )
        self.stale_label.setVisible(bool(record.stale))
        self.table.set_stale(bool(record.stale))

    def refresh(self, *, wait: bool = False) -> pd.DataFrame | None:
        """Re-match at the IoU threshold (in a worker unless ``wait``): table, hover, errors."""
        record = self.record
        if record is None or record.instance is None:
            return None
        threshold = self.iou_spin.value()

        def work() -> ReviewRows:
            return prepare_rows(record, record.objects_at(threshold), threshold)

        if wait:
            return self.rematch_job.run_now(work, partial(self._show_rows, wait=True))
        self._rematching_at = threshold
        self.rematch_job.start(work, partial(self._show_rows, wait=False))
        return None

    def _on_iou_changed(self, threshold: float) -> None:
        """Re-match at a new IoU threshold: not at the one of the rows shown, or of the
        re-match still running (a value applied again starts no work)."""
        latest = self._rematching_at if self.rematch_job.running else self.prepared.iou_threshold
        if threshold != latest:
            self.refresh()

    def rows(self) -> pd.DataFrame:
        """The rows shown, in the table's current (filtered, sorted) order."""
        return self.table.model.frame

    def select_row(self, row: int) -> None:
        """Select a shown row: the viewer zooms to that object, outlines it and its partner,
        moves the sliders to it and selects its label."""
        index = self.table.model.index(row, 0)
        self.table.view.setCurrentIndex(index)
        self.table.view.selectRow(row)

    def set_shortcuts_enabled(self, enabled: bool) -> None:
        """Turn the next / previous row keys on (this tab is shown) or off."""
        for shortcut in self.shortcuts:
            shortcut.setEnabled(enabled)

    def step(self, offset: int) -> None:
        """Go to the next (+1) or previous (-1) row of the queue."""
        n_rows = len(self.rows())
        if n_rows:
            current = self.table.view.currentIndex().row()
            start = -1 if current < 0 and offset > 0 else current
            self.select_row(int(np.clip(start + offset, 0, n_rows - 1)))

    def show_errors(self, *, wait: bool = False) -> Labels | None:
        """Add (or update) the errors layer from the record's own arrays.

        Objects are painted by error kind (``error_map(by="kind")``, in the legend's colours),
        or, for the semantic evaluation, one class's false and missed pixels. When the record is
        stale a notice says that the errors are those of the evaluated data. When the compared
        layers are pyramids of the same levels (a whole slide), the objects' errors are one too
        (:func:`~napari_seg_eval.core.review.error_map_levels`: each level painted from that
        level of both layers), shown like them; else a large lazy map is added hidden, and the
        compared layers stay shown.
        """
        record = self.record
        pixels = self.errors_combo.currentIndex() == 1
        if record is None or (record.semantic is None if pixels else record.instance is None):
            notify_error(f"run a{' semantic' if pixels else 'n instance'} evaluation first.")
            return None
        source = self.layers.get("true")
        if source is None or source not in self.viewer.layers:
            notify_error("the evaluated ground-truth layer was removed; run the evaluation again.")
            return None
        if record.stale:
            show_warning(
                f"Segmentation Evaluation: the evaluation is out of date ({record.stale}); "
                "the errors shown are those of the data it compared."
            )
        if pixels:
            shapes = [tuple(record.semantic_truth.shape)]
            job = partial(
                semantic_error_map,
                record.semantic_truth,
                record.semantic_prediction,
                self.class_spin.value(),
                # the pixels the metrics counted: none outside the region or on ignored ids
                region=outside_ignored(record.truth, record.settings.ignore_label, record.region),
            )
        else:
            levels = self.pyramid_levels()
            shapes = [tuple(level.shape) for level in (levels[0] if levels else [record.truth])]
            job = partial(
                error_map_levels if levels else error_map,
                *(levels or (record.truth, record.prediction)),
                iou_threshold=self.iou_spin.value(),
                result=record.instance,
                by="kind",
            )
        work = partial(ready_to_show, job, self._regions_shown_at_once(source, shapes))
        show = partial(self._put_errors, source, self.iou_spin.value(), pixels)
        if wait:
            return self.error_job.run_now(work, show, control=True)
        self.error_job.start(work, show, control=True)
        return None

    def show_outlines(self) -> Labels | None:
        """Draw the record's predicted objects as outlines on top (or hide them), as the
        "Outline predicted objects" box says. Returns the outlines layer, if there is one."""
        record, source = self.record, self.layers.get("pred")
        if source is None or source not in self.viewer.layers:
            return None
        layer = result_layer(self.viewer, source, "outlines")
        if not self.outline_check.isChecked() or record is None or record.instance is None:
            if layer is not None:
                layer.visible = False
            return layer
        levels = self.pyramid_levels()
        data = levels[1] if levels else record.prediction
        if isinstance(data, np.ndarray) and not data.flags.writeable:
            # The record's is read-only (shared by runs): a copy to paint on, which makes the
            # layer the user's (see _on_paint), the record unchanged.
            data = data.copy()
        layer = self._put_ours(
            data,
            name=f"{source.name} outlines",
            role="outlines",
            source=source,
            info={},
        )
        layer.colormap = single_color_colormap(PREDICTION_OUTLINE)
        layer.contour = 1
        layer.visible = True
        self._raise_overlays()
        return layer

    def pyramid_levels(self) -> tuple[list, list] | None:
        """The levels of the truth and of the prediction when both layers shown are pyramids of
        the same level shapes whose level 0 is what the record compared, else None.

        Level 0 of each is the record's own array; the coarser levels are the layers' (label
        pyramids keep the ids at every level). Only while the layers hold the data the record
        compared (a changed setting leaves them so: the record is out of date, its pyramid
        is not) and its ids are the layers' (no ids split by plane). Nothing is read.
        """
        record = self.record
        true_layer, pred_layer = self.layers.get("true"), self.layers.get("pred")
        if (
            record is None
            or any(
                layer.data is not self._compared_data.get(kind)
                for kind, layer in self.layers.items()
            )
            or record.ids
            or true_layer is None
            or pred_layer is None
            or not (true_layer.multiscale and pred_layer.multiscale)
        ):
            return None
        true_levels, pred_levels = list(true_layer.data), list(pred_layer.data)
        shapes = [tuple(level.shape) for level in true_levels]
        if shapes != [tuple(level.shape) for level in pred_levels] or shapes[0] != tuple(
            record.truth.shape
        ):
            return None
        return [record.truth, *true_levels[1:]], [record.prediction, *pred_levels[1:]]

    def counts_text(self) -> str:
        """The unmatched objects counted by kind, e.g.
        "34 missed: 27 merged, 3 split, 4 poor overlap · 5 false: 2 merges, 3 spurious", and
        the objects excluded at the border if any."""
        if self.objects.empty or "error" not in self.objects:
            return ""
        counts = self.prepared.counts

        def part(side: str, kinds: tuple[str, ...]) -> str:
            found = [(counts.get((side, kind), 0), kind) for kind in kinds]
            details = ", ".join(
                f"{n:,} {COUNT_NAMES.get(kind, kind)}{'s' * (n != 1 and kind in PLURAL)}"
                for n, kind in found
                if n
            )
            total = sum(n for n, _ in found)
            name = "missed" if side == "true" else "false"
            return f"{total:,} {name}: {details}" if details else f"{total:,} {name}"

        text = f"{part('true', TRUE_KINDS[1:])} · {part('pred', PRED_KINDS[1:])}"
        excluded = counts.get(("true", EXCLUDED), 0), counts.get(("pred", EXCLUDED), 0)
        if any(excluded):
            text += f" · excluded at the border: {excluded[0]:,} true, {excluded[1]:,} predicted"
        return text

    # ---------------------------------------------------------------------------- internals
    def _fill_legend(self) -> None:
        """Legend entries: a colour swatch (with a border) and text in the theme's colour, so it
        reads in the light and the dark theme alike."""
        while self.legend_layout.count():
            item = self.legend_layout.takeAt(0)
            if item.widget() is not None:  # hidden now: deleted when Qt's loop next runs
                item.widget().hide()
                item.widget().deleteLater()
        self.legend = {}
        if self.errors_combo.currentIndex() == 1:
            entries = PIXEL_LEGEND
        else:
            rule = match_rule(self.criterion, self.iou_spin.value())
            entries = tuple(
                (name, color, KIND_TIPS[name].format(rule=rule))
                for name, color, _ in kind_colors(self.viewer.theme, self._background())
            )
        text = get_theme(self.viewer.theme).text.as_hex()
        self.legend = fill_legend(self.legend_layout, entries, border=text)

    @property
    def criterion(self) -> str:
        """The matching criterion of the record reviewed ("iou" without one)."""
        return self.record.settings.criterion if self.record is not None else "iou"

    def _say_rule(self) -> None:
        """Name the record's matching rule by the threshold (its label and tooltip) and in the
        legend's tooltip of matched objects."""
        criterion = self.criterion
        if "matched" in self.legend:
            tip = KIND_TIPS["matched"].format(rule=match_rule(criterion, self.iou_spin.value()))
            for label in self.legend["matched"]:
                label.setToolTip(tip)
        self.threshold_label.setText(f"{match_rule(criterion)} threshold")
        ctc = " (the Cell Tracking Challenge's rule at 0.5)" if criterion == "iot" else ""
        self.iou_spin.setToolTip(
            "Status and error kind are judged at this threshold t of the evaluation's "
            f"matching: a pair may match when {match_rule(criterion)} "
            f"{'≥' if criterion == 'iou' else '>'} t{ctc}; each object matches at most one."
        )

    def _ctc_note(self) -> str:
        """Why the missed objects here differ from the Cell Tracking Challenge's FN of the
        record, when it has them and the rule is theirs (|T∩P|/|T| > 0.5): there a prediction
        may match several true objects (one NS error), here one; "" otherwise."""
        record = self.record
        if (
            record is None
            or self.criterion != "iot"
            or round(self.iou_spin.value(), 6) != 0.5
            or "summary" not in record.tables
        ):
            return ""
        summary = record.tables["summary"]
        ctc = summary[summary["evaluation"] == "ctc"].set_index("metric")["value"]
        if "fn" not in ctc or "ns" not in ctc:
            return ""
        merged = self.prepared.counts.get(("true", "merged"), 0)
        if not merged:
            return ""
        fn, ns = int(ctc["fn"]), int(ctc["ns"])
        objects = "object missed here is" if merged == 1 else "objects missed here are"
        return (
            f"CTC's DET: FN {fn}, NS {ns}. It lets a prediction match several true objects (an "
            f"NS error), Review one: the {merged} merged {objects} found there."
        )

    def _show_rows(self, rows: ReviewRows, *, wait: bool) -> pd.DataFrame:
        """Show prepared rows now (table, counts); then, piece by piece, the hover rows of each
        side and the error layer (all now when ``wait``)."""
        self.prepared, self.objects = rows, rows.objects
        self._apply_filter()
        record = self.record
        capped = [side for side, hover in rows.features.items() if hover is None]
        names = {side: self.layers[side].name for side in capped if side in self.layers}
        self.hover_label.setText(
            " ".join(
                f"Hovering over {names[side]!r} shows no review columns: "
                f"{rows.sizes[side]:,} objects, more than {HOVER_FEATURES_MAX_OBJECTS:,} "
                "(napari would index their rows on the main thread, blocking the viewer). "
                "Find objects with the table and the Show filter."
                for side in names
            )
        )
        self.hover_label.setVisible(bool(names))
        pieces = []
        if not rows.objects.empty and record is not None and not record.stale:
            pieces += [
                partial(self._write_hover, record, side, rows.features.get(side))
                for side in self.layers
            ]
        pieces.append(self._update_errors)
        self._hand_over(pieces, wait)
        return rows.objects

    def _write_hover(self, record: Evaluation, side: str, hover: pd.DataFrame | None) -> None:
        """One side's hover rows (None: remove ours), if ``record`` is still the one shown."""
        layer = self.layers.get(side)
        if record is self.record and layer is not None and layer in self.viewer.layers:
            write_object_features(layer, hover)

    def _update_errors(self) -> None:
        """Update the error layer, if there is one, for the rows now shown (in a worker)."""
        source = self.layers.get("true")
        if (
            source is not None
            and source in self.viewer.layers
            and self.errors_combo.currentIndex() == 0
            and result_layer(self.viewer, source, "errors") is not None
        ):
            self.show_errors()

    def _hand_over(self, pieces: list[Callable[[], None]], wait: bool) -> None:
        """Run ``pieces`` now (``wait``) or one per turn of the event loop; pieces of an
        earlier hand-over still pending are dropped."""
        self._pieces = list(pieces)
        if wait:
            self._piece_timer.stop()
            while self._pieces:
                self._pieces.pop(0)()
            self.handed_over.emit()
        else:
            self._piece_timer.start()

    def _next_piece(self) -> None:
        if not self._pieces:
            return
        self._pieces.pop(0)()
        if self._pieces:
            self._piece_timer.start()
        else:
            self.handed_over.emit()

    def _regions_shown_at_once(self, source: Labels, shapes: list[tuple[int, ...]]) -> list[Region]:
        """The parts of an error map of level ``shapes`` that napari reads on the main thread
        as soon as it is shown (:func:`shown_regions`: the coarsest level's plane, the tiles in
        view): those of our error layer of ``source`` when it is shown on these levels (an
        update), else those of ``source`` (the truth the map lies on, pixel for pixel); none
        when neither is shown on these levels (napari then reads what it needs itself)."""
        for layer in (result_layer(self.viewer, source, "errors"), source):
            if (
                layer is not None
                and layer.visible
                and [tuple(int(n) for n in shape) for shape in layer.level_shapes] == shapes
            ):
                return shown_regions(layer)
        return []

    def _put_errors(
        self, source: Labels, iou_threshold: float, pixels: bool, data: np.ndarray
    ) -> Labels:
        existing = result_layer(self.viewer, source, "errors")
        layer = self._put_ours(
            data,
            name=f"{source.name} errors",
            role="errors",
            source=source,
            info={"iou_threshold": iou_threshold, "by": "pixel" if pixels else "kind"},
        )
        if layer is not existing:  # added: opaque (an update keeps the user's opacity)
            layer.opacity = ERRORS_OPACITY
        # an earlier evaluation's layer we hid, of this truth again, is shown as if new
        first = existing is None or self._show_if_retired(layer)
        if first and layer.visible:
            self._hide_compared()
        elif not layer.visible and too_big_to_show(data):  # never a black canvas
            self._show_compared_again()
        # after hiding: matched objects' grey is chosen for the image left under the layer
        background = self._background()
        layer.colormap = (
            pixel_colormap() if pixels else kind_colormap(self.viewer.theme, background)
        )
        # hovering names the kind ("error: missed"), not the bare value
        layer.features = pixel_features() if pixels else kind_features()
        self._fill_legend()
        self._raise_overlays()
        return layer

    def _hide_compared(self) -> None:
        """Hide the compared layers (and the confidence map) when the error layer first
        appears, shown: their colours showed through it, and matched objects took the colours
        of errors in the legend; so did the Labels layers we made of them (the threshold
        preview of a compared map, its contour), hidden as the Runs tab's Compare hides them,
        and the header's threshold preview and contour of any map (a map beside a Labels
        prediction: its preview covered the image around the objects).
        Hidden, not changed; a notice names them, and :meth:`_show_compared_again` shows them
        again. (An error layer added hidden, lazy and too large to show, leaves them shown.)"""
        record = self.record
        names = set()
        if record is not None:
            settings = record.settings
            names = {settings.truth_name, settings.prediction_name, settings.confidence_name}
            names -= {None, ""}
        hidden = []
        for layer in self.viewer.layers:
            found = tag(layer)
            compared = layer in self.layers.values() or layer.name in names
            # the preview or contour of the compared map tints the errors as the map did;
            # the header's threshold preview and contour, of any map, cover the image
            compared |= isinstance(layer, Labels) and (
                (found.get("source") in names and found.get("role") not in REVIEW_ROLES)
                or found.get("role") in PREVIEW_ROLES
            )
            if compared and layer.visible and found.get("role") != "errors":
                layer.visible = False
                hidden.append(layer.name)
                self._hidden.append(layer)
        if hidden:
            show_info(hidden_notice(hidden))

    def _show_compared_again(self) -> None:
        """Show again the layers :meth:`_hide_compared` hid, still hidden, when the error
        layer itself is hidden now (too large to show lazily): the canvas is never black."""
        shown = []
        for layer in self._hidden:
            if layer in self.viewer.layers and not layer.visible:
                layer.visible = True
                shown.append(layer.name)
        self._hidden = []
        if shown:
            show_info(
                f"Showed {', '.join(map(repr, shown))} again: the error layer is hidden "
                "(too large to show lazily)."
            )

    def _put_ours(
        self, data: Any, *, name: str, role: str, source: Labels, info: dict[str, Any]
    ) -> Labels:
        """:func:`put_labels`, keeping in our tag the name the layer was given ("named") and
        whether it was painted on ("edited"), so that :meth:`_retire_old_layers` leaves a layer
        the user renamed or edited alone."""
        before = result_layer(self.viewer, source, role)
        kept = {key: tag(before)[key] for key in ("named", "edited") if key in tag(before)}
        layer = put_labels(
            self.viewer, data, name=name, role=role, source=source, info={**info, **kept}
        )
        if layer is not before:  # added (napari may have made its name unique)
            tag(layer).pop("edited", None)
            tag(layer)["named"] = layer.name
            layer.events.paint.connect(self._on_paint)
        return layer

    def _on_paint(self, event) -> None:
        """The user painted on one of our layers: it is theirs to keep as it is."""
        tag(event.source)["edited"] = True

    def _retire_old_layers(self) -> None:
        """Hide our Review layers that show an earlier evaluation, when a new one is set: an
        error layer or predicted outlines of layers not compared now (the current ones are
        updated), an error layer that will not be updated (semantic only), and every
        selection ring (no row is selected yet). Hidden, not removed: they stay in the layer
        list (a notice names the error layers and outlines). A selection ring of a truth no
        longer in the viewer, which nothing can update or show again, is removed (a notice
        names it): the next row selected makes the ring of this truth, under its plain name.
        A layer the user renamed or painted on is left alone, and so is a layer of ours made
        elsewhere. The compared layers (of this evaluation) that a hidden error layer had
        hidden are shown again, unless this evaluation's error layer is shown over them."""
        current = {
            ("errors", "true") if self.errors_combo.currentIndex() == 0 else None,
            ("outlines", "pred"),
        }
        kept = {
            (role, source.unique_id)
            for role, side in filter(None, current)
            if (source := self.layers.get(side)) is not None
        }
        removed = self._remove_orphan_selections()
        self._retired = [layer for layer in self._retired if layer in self.viewer.layers]
        named, errors = [], False
        for layer in self.viewer.layers:
            found = tag(layer)
            if (
                found.get("role") in REVIEW_ROLES
                and (found["role"], found.get("source_id")) not in kept
                and layer.visible
                and untouched(layer)
            ):
                layer.visible = False
                self._retired.append(layer)
                if found["role"] != "selection":  # the ring comes back with the next row
                    named.append(layer.name)
                errors |= found["role"] == "errors"
        if not named:
            if removed:
                show_info(removed_selections_notice(removed))
            return
        text = (
            f"Hid {len(named)} layer{'s' * (len(named) != 1)} of an earlier evaluation (tick "
            f"an eye to show one again): {', '.join(map(repr, named))}."
        )
        if removed:
            text += f" {removed_selections_notice(removed)}"
        source = self.layers.get("true")
        current = result_layer(self.viewer, source, "errors") if source is not None else None
        if errors and (current is None or not current.visible):  # no error layer over them
            shown = [
                layer
                for layer in self._hidden
                if layer in self.layers.values()
                and layer in self.viewer.layers
                and not layer.visible
            ]
            for layer in shown:
                layer.visible = True
            self._hidden = [layer for layer in self._hidden if layer not in shown]
            if shown:
                text += f" Showed {', '.join(repr(layer.name) for layer in shown)} again."
        show_info(text)

    def _remove_orphan_selections(self) -> list[str]:
        """Remove our selection rings whose truth is no longer in the viewer (never updated
        again: a new truth of the same name is another layer), unless the user renamed or
        painted on one (theirs); the names of those removed."""
        present = {layer.unique_id for layer in self.viewer.layers}
        orphans = [
            layer
            for layer in self.viewer.layers
            if tag(layer).get("role") == "selection"
            and tag(layer).get("source_id") not in present
            and untouched(layer)
        ]
        for layer in orphans:
            self.viewer.layers.remove(layer)
        return [layer.name for layer in orphans]

    def _show_if_retired(self, layer: Labels) -> bool:
        """Show ``layer`` again if :meth:`_retire_old_layers` hid it and it is now the current
        evaluation's (unless too large to show lazily); True if it was hidden so."""
        if layer not in self._retired:
            return False
        self._retired.remove(layer)
        if not too_big_to_show(layer.data):
            layer.visible = True
        return True

    def close_jobs(self) -> None:
        """Cancel the section's running work for good and stop following the theme."""
        for job in (self.rematch_job, self.error_job, self.filter_job, self.selection_job):
            job.close()
        self.viewer.events.theme.disconnect(self._on_theme)
        self.viewer.dims.events.ndisplay.disconnect(self._on_ndisplay)

    def _background(self) -> tuple[float, float, float] | None:
        """The colour the error layer is seen over: the topmost image shown in the viewer
        (the error layer is put on top, so it is the one under it), else None (the theme's
        canvas); matched objects are pale grey on a dark one, charcoal on a light one
        (:func:`~napari_seg_eval._napari.error_colors.kind_colors`). Chosen when the error
        layer is shown or updated and when the theme changes, not when an image is shown,
        hidden or changed later (Show errors again chooses anew)."""
        return background_under(self.viewer.layers)  # the error layer is on top

    def _on_theme(self, _event=None) -> None:
        """The theme's canvas is the background where no image is shown: recolour the legend,
        our error layers by kind and the selection's outlines."""
        self._fill_legend()
        background = self._background()
        for layer in self.viewer.layers:
            if tag(layer).get("role") == "errors" and tag(layer).get("by") == "kind":
                layer.colormap = kind_colormap(self.viewer.theme, background)
        self._color_selection()

    def _raise_overlays(self) -> None:
        """Outlines above the error layer: predicted outlines, then the selection on top."""
        for role, kind in (("outlines", "pred"), ("selection", "true")):
            source = self.layers.get(kind)
            layer = result_layer(self.viewer, source, role) if source is not None else None
            if layer is not None:
                layers = self.viewer.layers
                layers.move(layers.index(layer), len(layers))

    def _apply_filter(self, *_) -> None:
        """Show the rows of the chosen filter: at once, or taken in a worker when there are
        more than :data:`FILTER_IN_WORKER_ROWS` (the filter_job; the latest choice wins)."""
        self.filter_job.cancel()
        name = self.filter_combo.currentText()
        rows = self.objects
        if name != "all objects" and not rows.empty:
            index = self.prepared.filtered[name]
            if index.size > FILTER_IN_WORKER_ROWS:
                self.status_label.setText(f"Filtering {index.size:,} rows…")
                self.filter_job.start(partial(_taken, rows, index), self._show_filtered)
                return
            rows = rows.take(index)
        self._show_filtered(rows)

    def _show_filtered(self, rows: pd.DataFrame) -> None:
        self.table.set_frame(rows, first=FIRST_COLUMNS)
        for index, column in enumerate(self.table.model.frame.columns):
            self.table.view.setColumnHidden(index, str(column).startswith("bbox_"))
        counts = self.prepared.counts  # a match is one true row and one pred row: count it once
        self.status_label.setText(
            f"{len(rows):,} row{'' if len(rows) == 1 else 's'} · "
            f"{counts.get(('true', 'TP'), 0):,} matched · "
            f"{counts.get(('pred', 'FP'), 0):,} false · {counts.get(('true', 'FN'), 0):,} missed "
            f"at {match_rule(self.criterion, self.iou_spin.value())}"
        )
        self.kinds_label.setText("\n".join(filter(None, (self.counts_text(), self._ctc_note()))))
        self._say_rule()
        self._say_depth()

    def _box(self, kind: str, record_id) -> tuple[slice, ...] | None:
        """The bounding box of the object of side ``kind`` whose id in the record's arrays is
        ``record_id``, as slices (None if absent): looked up in the prepared boxes
        (:func:`object_boxes`), never by comparing the rows."""
        found = self.prepared.boxes.get(kind)
        if found is None:
            return None
        ids, bounds = found
        at = int(np.searchsorted(ids, record_id))
        if at == ids.size or ids[at] != record_id:
            return None
        return tuple(slice(int(start), int(stop)) for start, stop in bounds[at])

    def _displayed(self, layer: Labels) -> list[int]:
        """The axes of ``layer`` the viewer shows (two, or three in napari's 3-D view)."""
        offset = self.viewer.dims.ndim - layer.ndim
        return [axis - offset for axis in self.viewer.dims.displayed if axis >= offset]

    def _on_row(self, current, _previous) -> None:
        if not current.isValid() or self._syncing:
            self.selection_job.cancel()  # a ring still read is of a row no longer selected
            return
        row = self.rows().iloc[current.row()]
        layer = self.layers.get(row["kind"])
        if layer is None or layer not in self.viewer.layers:
            return
        if "centroid_0" not in row.index:  # a record without measurements: select only
            self._select_label(layer, row)
            return
        centroid = [row[f"centroid_{axis}"] for axis in range(layer.ndim)]
        if np.isnan(centroid).any():
            return
        world = np.asarray(layer.data_to_world(centroid))
        offset = self.viewer.dims.ndim - layer.ndim
        displayed = self._displayed(layer)
        for axis in range(layer.ndim):
            if axis not in displayed:
                self.viewer.dims.set_point(axis + offset, world[axis])
        box = self._box(row["kind"], _record_id(row, "label"))
        if box is None:
            self.viewer.scene.camera.center = tuple(world[displayed])
        else:
            group = self._group(row, box)
            self._zoom_to(layer, union_box([where for _, _, where in group]), displayed)
            planes = [axis for axis in range(layer.ndim) if axis not in displayed]
            go_to = (layer, np.asarray(centroid, float), planes, group) if planes else None
            self._outline_selected(row, box, displayed[-2:], go_to=go_to)
        self._select_label(layer, row)
        self._say_depth()

    def _group(self, row: pd.Series, box: tuple[slice, ...]) -> list[tuple[str, Any, tuple]]:
        """The selected object and its partners, each as (side, id in the record's arrays,
        box): the object first, then the row's partner, then the other objects its merge or
        split involves (:func:`involved_objects`). Those without a box are left out."""
        side, label = row["kind"], _record_id(row, "label")
        other = "pred" if side == "true" else "true"
        partner = _record_id(row, "partner")
        found = [(other, partner)] if partner != 0 else []
        if self.result is not None and "error" in row.index:
            found += involved_objects(self.result, side, label, row["error"])
        group = [(side, label, box)]
        for member in dict.fromkeys(found):
            where = self._box(*member)
            if where is not None and member != (side, label):
                group.append((*member, where))
        return group

    def _on_ndisplay(self, _event=None) -> None:
        """napari's 2-D / 3-D view changed: draw the selected object for it again (rings in
        2-D, solid over everything in 3-D), without moving the camera, and say how."""
        self._say_depth()
        current = self.table.view.currentIndex()
        if not current.isValid() or current.row() >= len(self.rows()):
            return
        row = self.rows().iloc[current.row()]
        layer = self.layers.get(row["kind"])
        if layer is None or layer not in self.viewer.layers:
            return
        box = self._box(row["kind"], _record_id(row, "label"))
        if box is not None:
            self._outline_selected(row, box, self._displayed(layer)[-2:])

    def _say_depth(self) -> None:
        """Show :data:`DEPTH_NOTE` while napari shows 3-D and a row is selected."""
        selected = self.table.view.currentIndex().isValid()
        self.depth_label.setVisible(selected and self.viewer.dims.ndisplay == 3)

    def _select_label(self, layer: Labels, row: pd.Series) -> None:
        """Select ``row``'s label in ``layer`` (without selecting the row again)."""
        self._syncing = True
        try:
            layer.selected_label = int(row["label"])
        finally:
            self._syncing = False

    def _zoom_to(self, layer: Labels, box: tuple[slice, ...], displayed: list[int]) -> None:
        """Centre the camera on ``box`` (data slices of ``layer``) with a margin around it
        (half its size, at least a few pixels; the view at most the image's size) and zoom so
        that this fills the canvas."""
        start = np.array([s.start for s in box], float)
        stop = np.array([s.stop for s in box], float)
        size = stop - start
        pad = np.maximum(ZOOM_MARGIN * size, ZOOM_MIN_PIXELS)
        # centred on the box, and never wider than the image (no zooming out in a small one)
        half = np.minimum(size / 2 + pad, np.asarray(layer.data.shape, float) / 2)
        middle = (start + stop) / 2 - 0.5
        corners = np.array([layer.data_to_world(middle - half), layer.data_to_world(middle + half)])
        low, high = corners.min(axis=0)[displayed], corners.max(axis=0)[displayed]
        camera = self.viewer.scene.camera
        camera.center = tuple((low + high) / 2)
        canvas = np.asarray(self.viewer.canvas.size, float)  # (height, width)
        extent = (high - low)[-2:]  # the displayed (rows, columns); in 3-D, the last two
        camera.zoom = float(np.min(canvas / np.maximum(extent, 1e-9)))

    def _outline_selected(
        self,
        row: pd.Series,
        box: tuple[slice, ...],
        axes: Sequence[int],
        go_to: tuple[Labels, np.ndarray, list[int], list] | None = None,
    ) -> None:
        """Ring the selected object (1) and its partner (2, painted last) from the record's
        arrays: the pixels just outside them, in each plane of ``axes`` (the axes shown), on
        neither of the two (:func:`ring_around`), so that their own colours are left whole
        (a partner inside the object is ringed with it) and a one-pixel object is still
        ringed. Read inside their boxes only (no pass over the image).

        ``go_to`` (the object's layer, its centroid, the axes not shown and the group of
        :meth:`_group`) also moves the sliders to the plane where the group has most pixels
        (:func:`busiest_plane`, read in the same boxes, with the rings).

        In napari's 3-D view the two are drawn solid instead, over every other layer (no depth
        test): the object may lie inside the volume, behind others (see :data:`DEPTH_NOTE`).

        Of a chunked record only the boxes' chunks are read, and the selection layer covers
        just the rings' box (placed by its translate), never the whole image. When those
        chunks hold more than :data:`READ_NOW_PIXELS` pixels they are read in a worker (the
        latest selection wins) and the outlines drawn when they arrive; every read uses dask's
        synchronous scheduler, so it never waits behind other work on dask's shared threads.
        The outlines are white, or black over a light background (the image shown under them,
        else the theme's canvas). Over an error layer hidden as too large to show
        (:meth:`_hidden_errors`) the selection also shows the error colours of its box."""
        record, source = self.record, self.layers.get("true")
        if record is None or source is None or source not in self.viewer.layers:
            return
        images = {"true": record.truth, "pred": record.prediction}
        other = "pred" if row["kind"] == "true" else "true"
        label, partner = _record_id(row, "label"), _record_id(row, "partner")
        targets = [(images[row["kind"]], label, box)]
        partner_box = self._box(other, partner) if partner != 0 else None
        if partner_box is not None:
            targets.append((images[other], partner, partner_box))
        solid = self.viewer.dims.ndisplay == 3
        reads = BoxReads()  # the rings and the plane read each box once
        work = partial(
            selection_masks, targets, tuple(record.truth.shape), tuple(axes), solid, reads
        )
        errors = self._hidden_errors()
        if errors is not None:
            work = partial(_with_errors, work, errors.data)
        paint = partial(self._paint_selection, record, solid)
        read = list(targets)
        if errors is not None:  # its chunks under the rings (about the boxes') are read too
            read.append((errors.data, 0, union_box([where for *_, where in targets])))
        if go_to is not None:
            layer, centroid, planes, group = go_to
            counted = [(images[side], name, where) for side, name, where in group]
            read += counted[len(targets) :]  # the others of the group, read for the plane
            work = partial(_with_plane, work, counted, planes, centroid[planes], reads)
            paint = partial(self._go_and_paint, record, solid, layer, centroid, planes)
        if sum(pixels_read(image, where) for image, _, where in read) > READ_NOW_PIXELS:
            self._clear_selection()  # not the previous object's rings around this one
            self.selection_job.start(work, paint)
        else:
            self.selection_job.cancel()  # a read still going is of an earlier row
            paint(work())

    def _go_and_paint(
        self,
        record: Evaluation,
        solid: bool,
        layer: Labels,
        centroid: np.ndarray,
        planes: list[int],
        found: tuple[tuple, tuple[int, ...] | None],
    ) -> None:
        """Move the sliders of ``planes`` (axes of ``layer``) to the plane found
        (:func:`busiest_plane`), if ``record``'s evaluation is still the one reviewed (its
        stale reason may have changed meanwhile: :func:`same_evaluation`), then paint the
        rings."""
        drawn, plane = found
        if (
            same_evaluation(record, self.record)
            and plane is not None
            and layer in self.viewer.layers
        ):
            point = centroid.copy()
            point[planes] = plane
            world = np.asarray(layer.data_to_world(point))
            offset = self.viewer.dims.ndim - layer.ndim
            for axis in planes:
                self.viewer.dims.set_point(axis + offset, world[axis])
        self._paint_selection(record, solid, drawn)

    def _hidden_errors(self) -> Labels | None:
        """The error layer when it is hidden as too large to show (lazy, single-scale): then
        the selection shows the error colours of its box (read with the rings, in the box's
        chunks only), so that the selected object is seen in its legend colour. Else None."""
        source = self.layers.get("true")
        layer = result_layer(self.viewer, source, "errors") if source is not None else None
        if layer is None or layer.visible or not too_big_to_show(layer.data):
            return None
        return layer

    def _clear_selection(self) -> None:
        """Erase the selection's outlines (while those of the next object are read)."""
        if self._selection is None or not self._selected_boxes:
            return
        for old in self._selected_boxes:
            self._selection[old] = 0
        self._selected_boxes = []
        source = self.layers.get("true")
        layer = result_layer(self.viewer, source, "selection") if source is not None else None
        if layer is not None and layer.data is self._selection:
            layer.refresh()

    def _paint_selection(
        self,
        record: Evaluation,
        solid: bool,
        drawn: tuple,
    ) -> None:
        """Paint ``drawn`` (:func:`selection_masks`: the box and each object's mask, 1 then 2;
        with :func:`_with_errors`, then the error values of the box, painted under them
        offset by :data:`SELECTION_KIND_OFFSET`) into the selection layer, if ``record``'s
        evaluation is still the one reviewed, out of date since or not
        (:func:`same_evaluation`: a threshold moved while the rings were read). Only what
        changed is set on the layer: each setting makes napari draw it again."""
        source = self.layers.get("true")
        if (
            not same_evaluation(record, self.record)
            or source is None
            or source not in self.viewer.layers
        ):
            return
        where, masks, *kinds = drawn  # the error values of the box, when read
        shape = tuple(record.truth.shape)
        lazy = is_lazy(record.truth) or is_lazy(record.prediction)
        if lazy:  # a layer of the rings' box only
            origin = tuple(part.start for part in where)
            self._selection = np.zeros([part.stop - part.start for part in where], np.uint8)
            self._selected_boxes = []
        else:
            origin = (0,) * len(shape)
            if self._selection is None or self._selection.shape != shape:
                self._selection = np.zeros(shape, np.uint8)
                self._selected_boxes = []
        selection = self._selection
        for old in self._selected_boxes:
            selection[old] = 0
        painted = selection[_shifted(where, origin)]
        errors = self._hidden_errors() if kinds else None
        self._selection_kinds = errors.colormap if errors is not None else None
        if errors is not None:  # the error colours under the rings
            painted[kinds[0] > 0] = kinds[0][kinds[0] > 0] + SELECTION_KIND_OFFSET
        for value, mask in enumerate(masks, start=1):
            painted[mask] = value
        self._selected_boxes = [_shifted(where, origin)]
        first = result_layer(self.viewer, source, "selection") is None
        # put_labels sets the data (painted in place: napari reads it again)
        layer = self._put_ours(
            selection,
            name=f"{source.name} review selection",
            role="selection",
            source=source,
            info={},
        )
        translate = _translate_to(source, origin)
        if not np.array_equal(layer.translate, translate):
            layer.translate = translate
        if layer.contour != 0:
            layer.contour = 0  # the rings themselves, outside the objects
        # solid in 3-D: drawn over the layers above and in front of it
        blending = "translucent_no_depth" if solid else "translucent"
        if layer.blending != blending:
            layer.blending = blending
        if first:
            layer.opacity = 1.0  # crisp on any image
        self._show_if_retired(layer)
        self._raise_overlays()
        self._color_selection()

    def _color_selection(self) -> None:
        """Colour the selection's outlines for what they are drawn over: the image shown under
        them (the topmost shown below the layer), else the theme's canvas; and the error
        values painted in it (:meth:`_hidden_errors`) in the error layer's colours."""
        source = self.layers.get("true")
        layer = result_layer(self.viewer, source, "selection") if source is not None else None
        if layer is None:
            return
        layers = list(self.viewer.layers)
        under = layers[: layers.index(layer)]
        color = selection_color(self.viewer.theme, background_under(under))
        wanted = selection_colormap(color, self._selection_kinds).color_dict
        now = getattr(layer.colormap, "color_dict", {})
        if set(now) != set(wanted) or any(  # a new colormap is drawn again: only if changed
            not np.allclose(now[key], value) for key, value in wanted.items()
        ):
            layer.colormap = selection_colormap(color, self._selection_kinds)

    def _on_selected_label(self, event) -> None:
        if self._syncing:
            return
        layer = event.source
        kind = next((k for k, v in self.layers.items() if v is layer), None)
        rows = self.rows()
        if kind is None or rows.empty:
            return
        found = np.flatnonzero(
            (rows["kind"] == kind).to_numpy() & (rows["label"] == layer.selected_label).to_numpy()
        )
        if found.size:
            self._syncing = True
            try:
                self.select_row(int(found[0]))
            finally:
                self._syncing = False


def untouched(layer: Layer) -> bool:
    """Whether ``layer``, one of our Review layers, is as we made it: its name the one it was
    given and never painted on (:meth:`ReviewPanel._put_ours` records both). A layer the user
    renamed or painted on is theirs, and is never hidden or removed."""
    found = tag(layer)
    return found.get("named") == layer.name and not found.get("edited")


def removed_selections_notice(names: Sequence[str]) -> str:
    """The notice naming the selection rings removed with their truth.

    Examples
    --------
    >>> removed_selections_notice(["truth review selection"])
    "Removed 'truth review selection': the selection of a ground truth no longer in the viewer."
    """
    whose = (
        "the selections of ground truths" if len(names) != 1 else "the selection of a ground truth"
    )
    return f"Removed {', '.join(map(repr, names))}: {whose} no longer in the viewer."


def ready_to_show(make: Callable[[], Any], regions: list[Region], *, control: RunControl) -> Any:
    """The error map ``make()`` ready to hand to napari without work on the main thread.

    Runs in the error job's worker. The chunks of ``regions`` (those napari reads as soon as
    the layer is shown: :meth:`ReviewPanel._regions_shown_at_once`) are computed here, the
    rest stays lazy (:func:`~napari_seg_eval._qt.threshold_panel.computed_where_shown`, as
    the threshold preview does); and napari's colormap code is compiled here
    (:func:`~napari_seg_eval._napari.error_colors.build_label_colormap_lookup`). A numpy map
    is returned as it is.
    """
    data = computed_where_shown(make, regions, control=control)
    build_label_colormap_lookup()
    return data


def same_evaluation(a: Evaluation | None, b: Evaluation | None) -> bool:
    """Whether ``a`` and ``b`` are the same evaluation, marked out of date or not: the
    widget replaces its record by a copy with another ``stale`` reason when an input or
    setting changes (:meth:`~napari_seg_eval.evaluation.Evaluation.marked_stale`), and a
    copy holds the very same arrays, results and tables. A new run is another evaluation.

    Parameters
    ----------
    a, b : Evaluation or None
        The records compared.

    Returns
    -------
    bool
        True if they are one record, or copies of one differing in ``stale`` only.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from napari_seg_eval.evaluation import evaluate
    >>> record = evaluate(np.array([[1, 1, 0]]), np.array([[1, 0, 2]]), kind="instance")
    >>> same_evaluation(record, replace(record, stale="the threshold moved"))
    True
    >>> same_evaluation(record, evaluate(record.truth, record.prediction, kind="instance"))
    False
    """
    if a is b:
        return True
    if a is None or b is None:
        return False
    return all(
        getattr(a, item.name) is getattr(b, item.name) for item in fields(a) if item.name != "stale"
    )


def involved_objects(
    result: InstanceResult, side: str, record_id: Any, error: str
) -> list[tuple[str, Any]]:
    """The objects a merge or a split involves besides the object ``record_id`` of ``side``,
    from the result's overlap table (no pass over pixels), by the rules of
    :func:`~napari_seg_eval.core.review.add_error_kinds` ("more than half" strict):

    - a ``merged`` true object: the prediction holding more than half of it, and the other
      true objects that prediction holds more than half of;
    - a ``merge``: the true objects it holds more than half of;
    - a ``split`` true object: the predictions lying more than half inside it;
    - a ``fragment``: the true object it lies more than half inside, and that object's other
      fragments.

    Parameters
    ----------
    result : InstanceResult
        The instance result the object's row comes from.
    side : {'true', 'pred'}
        The object's side.
    record_id : int
        Its id in the result's (the record's) arrays.
    error : str
        Its error kind; any other than the four above involves no one (empty list).

    Returns
    -------
    list of (str, int)
        (side, id) of each other object involved, the other side first.

    Examples
    --------
    >>> from napari_seg_eval.core.instance import instance_metrics
    >>> true = np.array([[1, 1, 0, 2, 2, 0, 3]])
    >>> pred = np.array([[5, 5, 5, 5, 5, 0, 0]])  # 5 holds all of true 1 and true 2
    >>> result = instance_metrics(true, pred, iou_thresholds=[0.5])
    >>> [(s, int(i)) for s, i in involved_objects(result, "true", 1, "merged")]
    [('pred', 5), ('true', 2)]
    >>> [(s, int(i)) for s, i in involved_objects(result, "pred", 5, "merge")]
    [('true', 1), ('true', 2)]
    """
    if error not in ("merged", "merge", "split", "fragment"):
        return []
    pairs = result.pairs
    ids = pairs.true_ids if side == "true" else pairs.pred_ids
    at = int(np.searchsorted(ids, record_id))
    if at == ids.size or ids[at] != record_id:
        return []
    t, p = pairs.true_index, pairs.pred_index
    mine = (t if side == "true" else p) == at  # the object's own pairs
    twice = 2 * pairs.intersection.astype(np.int64)
    if error in ("merged", "merge"):
        held = twice > pairs.true_areas[t]  # P holds more than half of T
        merges = p[held & mine] if side == "true" else np.array([at])
        trues = t[held & np.isin(p, merges)]
        found = [("pred", pairs.pred_ids[k]) for k in merges if side == "true"]
        return found + [("true", pairs.true_ids[k]) for k in trues if side != "true" or k != at]
    inside = twice > pairs.pred_areas[p]  # more than half of P lies inside T
    wholes = t[inside & mine] if side == "pred" else np.array([at])
    fragments = p[inside & np.isin(t, wholes)]
    found = [("true", pairs.true_ids[k]) for k in wholes if side == "pred"]
    return found + [("pred", pairs.pred_ids[k]) for k in fragments if side != "pred" or k != at]


def union_box(boxes: Sequence[tuple[slice, ...]]) -> tuple[slice, ...]:
    """The smallest box holding all of ``boxes`` (slices with start and stop).

    Examples
    --------
    >>> union_box([(slice(2, 5), slice(0, 3)), (slice(1, 4), slice(6, 9))])
    (slice(1, 5, None), slice(0, 9, None))
    """
    return tuple(
        slice(min(part.start for part in parts), max(part.stop for part in parts))
        for parts in zip(*boxes, strict=True)
    )


def busiest_plane(
    targets: Sequence[tuple[Any, Any, tuple[slice, ...]]],
    axes: Sequence[int],
    near: Sequence[float],
    read: Callable[[Any, tuple[slice, ...]], np.ndarray] | None = None,
) -> tuple[int, ...] | None:
    """The plane (the indices along ``axes``, the axes not shown) where the objects of
    ``targets`` together have most pixels, among the planes the first (the selected object)
    is in: each read inside its box only (of a chunked image, only those chunks), never over
    the whole image. Ties go to the plane nearest ``near`` (e.g. the selected object's
    centroid), then to the first.

    Parameters
    ----------
    targets : sequence of (array_like, int, tuple of slice)
        The image holding each object (numpy or chunked), its id there, and its box; the
        selected object first.
    axes : sequence of int
        The axes not shown (a slider each).
    near : sequence of float
        The position along ``axes`` a tie is decided by.
    read : callable, optional
        Reads ``(image, box)`` (default: a read of the box's chunks); a
        :class:`BoxReads` shares the reads with the selection's rings.

    Returns
    -------
    tuple of int or None
        The plane's index along each of ``axes``; None without ``targets`` or ``axes``.

    Examples
    --------
    >>> stack = np.zeros((4, 3, 3), int)
    >>> stack[0, :, :] = 7  # 9 pixels in plane 0, 1 in planes 1..3
    >>> stack[1:, 1, 1] = 7
    >>> busiest_plane([(stack, 7, (slice(0, 4), slice(0, 3), slice(0, 3)))], [0], [1.5])
    (0,)
    >>> dot = (stack, 7, (slice(3, 4), slice(1, 2), slice(1, 2)))  # selected: plane 3 only
    >>> busiest_plane([dot, (stack, 7, (slice(0, 4), slice(0, 3), slice(0, 3)))], [0], [3])
    (3,)
    """
    if not targets or not axes:
        return None
    box = union_box([where for *_, where in targets])
    origin = tuple(part.start for part in box)
    union = np.zeros([part.stop - part.start for part in box], bool)
    own = union.copy()
    read = read or _read_box
    for index, (image, name, where) in enumerate(targets):
        mask = read(image, where) == name
        union[_shifted(where, origin)] |= mask
        if index == 0:
            own[_shifted(where, origin)] = mask
    shown = tuple(a for a in range(len(box)) if a not in axes)
    counts = np.where(own.any(axis=shown), union.sum(axis=shown), -1)
    best = np.argwhere(counts == counts.max())
    start = np.array([box[a].start for a in axes])
    distance = np.linalg.norm(best + start - np.asarray(near, float), axis=1)
    return tuple(int(i) for i in best[int(np.argmin(distance))] + start)


def _with_errors(
    work: Callable[[], tuple[tuple[slice, ...], list[np.ndarray]]], errors: Any
) -> tuple[tuple[slice, ...], list[np.ndarray], np.ndarray]:
    """``work()`` (the selection's box and rings) and the values of ``errors`` (the error
    layer's data) in that box, read from its chunks only."""
    where, masks = work()
    return where, masks, _read_box(errors, where).astype(np.int64)


def _with_plane(
    work: Callable[[], Any],
    targets: Sequence[tuple[Any, Any, tuple[slice, ...]]],
    axes: Sequence[int],
    near: Sequence[float],
    read: Callable[[Any, tuple[slice, ...]], np.ndarray] | None = None,
) -> tuple[Any, tuple[int, ...] | None]:
    """``work()`` (the selection's rings) and the :func:`busiest_plane` of ``targets``, read
    with ``read`` (a :class:`BoxReads` shared with ``work``: each box read once)."""
    return work(), busiest_plane(targets, axes, near, read)


def ring_around(
    objects: Sequence[tuple[np.ndarray, tuple[slice, ...]]],
    shape: tuple[int, ...],
    axes: Sequence[int],
) -> tuple[tuple[slice, ...], list[np.ndarray]]:
    """The pixels just outside each of ``objects``, in each plane of ``axes``: its neighbours
    (sides and corners) within the image that are on none of the objects, so that no ring
    covers a pixel of any of them. Where one object lies inside another, the rings of both
    are the outline of the larger one.

    Parameters
    ----------
    objects : sequence of (numpy.ndarray of bool, tuple of slice)
        Each object within its bounding box in the image, and that box.
    shape : tuple of int
        The image's shape.
    axes : sequence of int
        The axes of the planes the rings are drawn in (the two shown).

    Returns
    -------
    box : tuple of slice
        The union of the objects' boxes, one pixel larger on each side along ``axes``, within
        the image.
    rings : list of numpy.ndarray of bool
        The ring of each object, in that box.

    Examples
    --------
    >>> dot = (np.ones((1, 1), bool), (slice(0, 1), slice(2, 3)))
    >>> box, rings = ring_around([dot], (3, 5), (0, 1))
    >>> box  # a one-pixel object on the top edge: ringed by its 5 neighbours in the image
    (slice(0, 2, None), slice(1, 4, None))
    >>> rings[0].astype(int).tolist()
    [[1, 0, 1], [1, 1, 1]]

    A one-pixel object inside a 1 x 3 one, at its left end: no ring runs between them.

    >>> wide = (np.ones((1, 3), bool), (slice(1, 2), slice(1, 4)))
    >>> small = (np.ones((1, 1), bool), (slice(1, 2), slice(1, 2)))
    >>> box, (ring, small_ring) = ring_around([wide, small], (3, 5), (0, 1))
    >>> ring.astype(int).tolist()
    [[1, 1, 1, 1, 1], [1, 0, 0, 0, 1], [1, 1, 1, 1, 1]]
    >>> small_ring.astype(int).tolist()  # not its right side: that is on the wide object
    [[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 0, 0]]
    """
    grown, masks = _placed(objects, shape, axes)
    on_any = np.logical_or.reduce(masks)
    footprint = np.ones([3 if axis in axes else 1 for axis in range(len(shape))], bool)
    return grown, [ndimage.binary_dilation(mask, footprint) & ~on_any for mask in masks]


def _placed(
    objects: Sequence[tuple[np.ndarray, tuple[slice, ...]]],
    shape: tuple[int, ...],
    axes: Sequence[int],
) -> tuple[tuple[slice, ...], list[np.ndarray]]:
    """The union of the objects' boxes, one pixel larger on each side along ``axes`` (within
    the image), and each object's mask in it."""
    grown = tuple(
        slice(
            max(min(b[axis].start for _, b in objects) - (axis in axes), 0),
            min(max(b[axis].stop for _, b in objects) + (axis in axes), size),
        )
        for axis, size in enumerate(shape)
    )
    origin = tuple(part.start for part in grown)
    masks = []
    for inside, box in objects:
        mask = np.zeros([part.stop - part.start for part in grown], bool)
        mask[_shifted(box, origin)] = inside
        masks.append(mask)
    return grown, masks


def selection_masks(
    targets: Sequence[tuple[Any, Any, tuple[slice, ...]]],
    shape: tuple[int, ...],
    axes: Sequence[int],
    solid: bool = False,
    read: Callable[[Any, tuple[slice, ...]], np.ndarray] | None = None,
) -> tuple[tuple[slice, ...], list[np.ndarray]]:
    """What the selection layer shows of ``targets`` (no Qt: runs in a worker for a slide):
    each object read inside its box, then its ring in the planes of ``axes``
    (:func:`ring_around`), or, ``solid``, the object itself.

    Parameters
    ----------
    targets : sequence of (array_like, int, tuple of slice)
        The image holding each object (numpy or chunked), its id there, and its box.
    shape : tuple of int
        The images' shape.
    axes : sequence of int
        The axes shown (the planes of the rings).
    solid : bool
        The objects themselves instead of their rings (napari's 3-D view).
    read : callable, optional
        Reads ``(image, box)`` (default: a read of the box's chunks); a
        :class:`BoxReads` shares the reads with :func:`busiest_plane`.

    Returns
    -------
    box : tuple of slice
        Where the masks lie in the image.
    masks : list of numpy.ndarray of bool
        Each object's ring (or its pixels), in that box.

    Examples
    --------
    >>> image = np.array([[0, 0, 0, 0], [0, 5, 5, 0], [0, 0, 0, 0]])
    >>> box, (ring,) = selection_masks([(image, 5, (slice(1, 2), slice(1, 3)))], (3, 4), (0, 1))
    >>> box, int(ring.sum())  # around the 1 x 2 object: its 3 x 4 box less its 2 pixels
    ((slice(0, 3, None), slice(0, 4, None)), 10)
    >>> selection_masks([(image, 5, (slice(1, 2), slice(1, 3)))], (3, 4), (0, 1), solid=True)[1]
    [array([[ True,  True]])]
    """
    read = read or _read_box
    objects = [(read(image, where) == name, where) for image, name, where in targets]
    if solid:
        return _placed(objects, shape, ())
    return ring_around(objects, shape, axes)


class BoxReads:
    """Reads of boxes of images, each (image, box) read once and kept: the rings of a
    selection (:func:`selection_masks`) and the plane it moves to (:func:`busiest_plane`)
    read the same boxes of the object and its partner (no Qt: used in a worker).

    Examples
    --------
    >>> reads = BoxReads()
    >>> image = np.arange(6).reshape(2, 3)
    >>> first = reads(image, (slice(0, 1), slice(1, 3)))
    >>> first.tolist(), reads(image, (slice(0, 1), slice(1, 3))) is first
    ([[1, 2]], True)
    """

    def __init__(self) -> None:
        self._read: dict[tuple[int, tuple[tuple[int, int], ...]], np.ndarray] = {}

    def __call__(self, image: Any, box: tuple[slice, ...]) -> np.ndarray:
        """The values of ``image`` in ``box`` (:func:`_read_box`), read the first time only.

        Parameters
        ----------
        image : array_like
            A numpy or chunked image, alive while this object is used (keyed by its id).
        box : tuple of slice
            A box inside it (start and stop given).

        Returns
        -------
        numpy.ndarray
            Its values in the box.
        """
        key = (id(image), tuple((part.start, part.stop) for part in box))
        if key not in self._read:
            self._read[key] = _read_box(image, box)
        return self._read[key]


def pixels_read(image: Any, box: tuple[slice, ...]) -> int:
    """How many pixels a read of ``box`` takes from ``image``: of a chunked image, those of
    every chunk the box meets (each is read whole); of a numpy array, the box's own.

    Parameters
    ----------
    image : array_like
        A numpy array, or a chunked one (dask: chunk sizes per axis; zarr-like: one chunk
        shape).
    box : tuple of slice
        A box inside it (start and stop given).

    Returns
    -------
    int
        The pixels read.

    Examples
    --------
    >>> import dask.array as da
    >>> pixels_read(da.zeros((100, 100), chunks=10), (slice(5, 15), slice(0, 1)))
    200
    >>> pixels_read(np.zeros((100, 100)), (slice(5, 15), slice(0, 1)))
    10
    """
    sizes = [part.stop - part.start for part in box]
    chunks = getattr(image, "chunks", None) if is_lazy(image) else None
    if chunks is None:
        return int(np.prod(sizes, dtype=np.int64))
    total = 1
    for axis, part in enumerate(box):
        grid = chunks[axis]
        if isinstance(grid, int | np.integer):  # one chunk size along the axis
            low = part.start // grid * grid
            high = min(-(-part.stop // grid) * grid, int(image.shape[axis]))
        else:  # dask: the size of each chunk
            edges = np.cumsum((0, *grid))
            first = int(np.searchsorted(edges, part.start, side="right")) - 1
            last = int(np.searchsorted(edges, max(part.stop, part.start + 1), side="left"))
            low, high = int(edges[first]), int(edges[last])
        total *= high - low
    return int(total)


def _taken(rows: pd.DataFrame, index: np.ndarray) -> pd.DataFrame:
    """The rows at positions ``index``, numbered from 0 (for a worker)."""
    return rows.take(index).reset_index(drop=True)


def _read_box(image, box: tuple[slice, ...]) -> np.ndarray:
    """The pixels of ``image`` inside ``box``: of a chunked image, only the chunks it meets,
    read on this thread (dask's synchronous scheduler: never queued behind other work on
    dask's shared threads)."""
    block = image[box]
    return compute(block, scheduler="synchronous")[0] if is_lazy(block) else np.asarray(block)


def _shifted(box: tuple[slice, ...], origin: tuple[int, ...]) -> tuple[slice, ...]:
    """``box`` relative to ``origin``."""
    return tuple(slice(s.start - o, s.stop - o) for s, o in zip(box, origin, strict=True))


def _translate_to(source: Labels, origin: tuple[int, ...]) -> np.ndarray:
    """The translate of a layer whose pixel 0 is ``source``'s pixel ``origin``: the source's
    translate plus ``origin`` through its scale, rotation and shear (its affine applies after,
    to both alike)."""
    linear = Affine(
        scale=source.scale, rotate=source.rotate, shear=source.shear, ndim=source.ndim
    ).linear_matrix
    return np.asarray(source.translate, float) + linear @ np.asarray(origin, float)


def _record_id(row: pd.Series, column: str):
    """``row``'s ``label`` or ``partner`` as an id of the record's own arrays (they differ from
    the user's ids when tracks were split to label each plane on its own)."""
    return row[f"record_{column}"] if f"record_{column}" in row.index else row[column]
