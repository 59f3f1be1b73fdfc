"""The Threshold and Confidence tabs: turn the probability map into labels, and show confidence.

The **Threshold** tab previews the labels at the header's threshold. A lazy preview is handed to
napari with the parts it will read at once already computed (in the worker): the coarsest level
of a pyramid (napari's thumbnail), the tiles of the level in view, or the plane shown of a small
single-scale map. The rest stays lazy. So the main thread only swaps arrays and copies computed
tiles: napari reads the tiles of a lazy layer on the main thread when its data is set. The
**Confidence** tab
colours probability maps with the confidence colormap and draws the threshold's contour (the
boundary of ``p > threshold``) as a result layer of each coloured map, so the threshold is
visible on steep maps too. A multi-class map is shown one class at a time (the class slider), or
as its top-class confidence. The class slider and the viewer's slider of the class axis are one
chooser: each follows the other (napari has no clean way to hide one axis's slider, and the
multi-class layer itself shows the class the viewer's slider is at). Integer maps are read as
value / dtype maximum (said once per layer), and logits can be converted to probabilities in one
click (a new layer: the user's layer is never modified; it keeps the class axis). The colormap
is built for the coloured layer's contrast limits and gamma, and rebuilt when they change, so
its green band sits on the threshold whatever the user sets (the colour bar spans the same
limits); a colormap the user chooses instead is kept. In a 3-D view, where napari draws no
contours of 3-D labels, the contour layers of 3-D maps are hidden until the view is 2-D again.

A float (Y, X, 3) or (Y, X, 4) map is shown by napari as RGB (its guess for such arrays): it is
used as what it is, a map of classes along its last axis (napari's RGB axis), which the Channel
axis offers and chooses. Its preview and class layers are (Y, X) on its grid; the confidence
colormap cannot colour an RGB layer itself, and says so without changing it.

The preview layer (and each threshold contour layer) is the plugin's until the user edits it
(paints, fills, erases, or a script gives it new data): then it is the user's
(:func:`put_editable_labels`). It keeps their pixels and is renamed "<name> (edited)"; the
plugin never writes into it, replaces or removes it again, and its next update adds a new
layer. A notice says so, once.

Every slot of these tabs reports an error as a napari notification: a slot that raised would
abort a script that pumps Qt events itself (PyQt6 aborts on an exception in a slot).
"""

from __future__ import annotations

import functools
import itertools
import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph
from napari.layers import Image, Labels, Layer
from napari.utils.notifications import show_info
from napari.viewer import Viewer
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)
from superqt import QLabeledDoubleSlider, QLabeledSlider

from .._colormap import COLORMAP_NAME, confidence_colormap
from .._jobs import INPUT_ERRORS, Job, notify_error
from .._napari import layers as result_layers
from .._napari.layers import (
    TAG,
    hidden_text,
    is_ours,
    is_rgb_axis,
    put_image,
    put_labels,
    renamed_by_user,
    result_layer,
    tag,
    too_big_to_show,
)
from .._napari.probability import (
    probability_data,
    probability_levels,
    probability_scale,
)
from ..core._thread_callbacks import compute
from ..core._validate import LogitsError, NaNError
from ..core.blocks import as_dask, is_lazy
from ..core.colormap import GREEN
from ..core.semantic import SHIFTED_CHECK_MAX_CLASSES
from ..core.threshold import sigmoid, softmax
from ..evaluation import (
    RunControl,
    ThresholdOptions,
    check_class_axis,
    instance_labels,
    is_time_axis,
    labels_from_probability,
    preview_levels,
)
from .colorbar import ConfidenceColorBar
from .inputs import DecimalSpinBox, accept_decimal_comma

if TYPE_CHECKING:
    from .widget import SegEvalWidget


#: What the Threshold tab says while there is no probability layer to preview.
NEEDS_PROBABILITY = (
    "The live preview needs a probability layer: open a probability map (a float Image in "
    "[0, 1]) or choose one as the header's Probability layer."
)
LIVE_TIP = "Update the preview labels whenever the threshold or an option changes"
#: The Channel axis choice "no class axis".
NO_CLASS_AXIS = "none (one probability per pixel)"
#: The most classes the Channel axis offers an axis for: the core's bound on a map's
#: channels (:data:`~napari_seg_eval.core.semantic.SHIFTED_CHECK_MAX_CLASSES`); a longer axis
#: is one of the image's (an axis of 8192 pixels is no class axis).
MAX_CLASSES = SHIFTED_CHECK_MAX_CLASSES
#: Where the dock points for logits (the core's :class:`LogitsError` names its Python
#: functions): its own button.
DOCK_LOGITS = (
    'press "Convert logits to probabilities" in the Confidence tab (a new layer: sigmoid of '
    "a one-channel map, softmax over the Channel axis of a map of classes)."
)
#: Where the dock points for a label image saved as floats: napari's own conversion.
DOCK_LABELS = (
    'right-click the layer in the layer list and choose "Convert to Labels" (a new Labels '
    "layer of its values as integers), then choose that layer as the Prediction"
)
#: How the dock says to divide a map saved as floats by its full scale ({scale}).
DOCK_SCALED = (
    "divide it by {scale} (select the layer, then type "
    "viewer.add_image(viewer.layers.selection.active.data / {scale}) in napari's console)"
)

_log = logging.getLogger(__name__)
#: The notice last said of each layer (integer maps: "read as value / 255"): said once.
_SAID: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: Our editable result layers (:func:`put_editable_labels`) while we write into them, each with
#: the tag it is given (role, source's name, info): new data they get meanwhile is ours, not
#: the user's edit.
_WRITING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: The editable result layers :func:`put_editable_labels` added and watches: a tagged layer not
#: among them (a copy the user made of one) is never written.
_WATCHED: weakref.WeakSet = weakref.WeakSet()
#: The refusal last said of each probability layer by its live preview (a split of a chunked
#: map): said once while it holds, not at every move of the threshold.
_REFUSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


#: How the dock names the map of the objects' scores (the core's "probability values").
_SCORES_MAP = "the probability map that scores the objects (the header's probability layer)"
#: How the dock says to replace a map's NaN values (napari's console has no ``np``).
DOCK_NAN = (
    "replace them, e.g. by 0: select the layer, then type "
    "import numpy as np; viewer.add_image(np.nan_to_num(viewer.layers.selection.active.data, "
    "nan=0.0)) in napari's console, and choose the new layer"
)


def nan_text(
    name: str | None,
    count: int | None = None,
    first: tuple[int, ...] | None = None,
    *,
    unnamed: str = "the probability map",
    channel_axis: int | None = None,
) -> str:
    """What the dock says of a probability map holding NaN (not-a-number) values: it is
    neither probabilities nor logits, nothing was done, and how to replace them.

    Parameters
    ----------
    name : str or None
        The layer's name (None: the map is called ``unnamed``).
    count : int, optional
        How many of its full-resolution values are NaN, when known.
    first : tuple of int, optional
        The index of the first of them (in C order), when known.
    unnamed : str, optional
        What the map is called when ``name`` is None.
    channel_axis : int, optional
        The map's class axis: ``first`` is then said as a pixel (the other axes) of a
        channel, not as one index mixing both.

    Returns
    -------
    str
        One sentence, then the remedy.

    Examples
    --------
    >>> print(nan_text("prob", 2, (0, 3)))  # doctest: +NORMALIZE_WHITESPACE
    layer 'prob' holds 2 NaN (not-a-number) values, the first at pixel (0, 3): a map with NaN
    is neither probabilities nor logits, so nothing was done. To use it, replace them, e.g. by
    0: select the layer, then type import numpy as np;
    viewer.add_image(np.nan_to_num(viewer.layers.selection.active.data, nan=0.0)) in napari's
    console, and choose the new layer.
    >>> nan_text("softmax", 1, (2, 0, 3), channel_axis=0).split(": a map")[0]
    "layer 'softmax' holds 1 NaN (not-a-number) value, the first at pixel (0, 3) of channel 2"
    """
    subject = unnamed if name is None else f"layer {name!r}"
    if count is None:
        values = "NaN (not-a-number) values"
    else:
        values = f"{count:,} NaN (not-a-number) value{'s' if count != 1 else ''}"
    where = ""
    if first is not None:
        index = [int(i) for i in first]
        channel = ""
        if channel_axis is not None and len(index) >= 2:
            channel = f" of channel {index.pop(channel_axis % len(index))}"
        where = f", the first at pixel {tuple(index)}{channel}"
    return (
        f"{subject} holds {values}{where}: a map with NaN is neither probabilities nor "
        f"logits, so nothing was done. To use it, {DOCK_NAN}."
    )


def nan_places(data: np.ndarray) -> tuple[int, tuple[int, ...] | None]:
    """How many values of the numpy array ``data`` are NaN, and the index of the first (C
    order; None when there is none). One pass over ``data``.

    Examples
    --------
    >>> nan_places(np.array([[0.5, np.nan], [np.nan, 0.1]]))
    (2, (0, 1))
    >>> nan_places(np.array([0.5, 0.25]))
    (0, None)
    """
    if data.dtype.kind != "f":
        return 0, None
    missing = np.isnan(data)
    count = int(np.count_nonzero(missing))
    if count == 0:
        return 0, None
    flat = int(np.argmax(missing.reshape(-1)))
    return count, tuple(int(i) for i in np.unravel_index(flat, data.shape))


def dock_error(
    error: BaseException | str, layer: Layer | None = None, channel_axis: int | None = None
) -> str:
    """The text of ``error`` as the dock says it: values outside [0, 1] (the core's
    :class:`LogitsError`, whatever its words) are mended with the dock's button or napari's
    menus and console, not with Python functions: logits with "Convert logits to
    probabilities", a label image saved as floats with napari's "Convert to Labels", a map of
    0..255 saved as floats divided by 255. A map holding NaN is said to be neither
    probabilities nor logits (:func:`nan_text`; the core's :class:`NaNError`): of ``layer``,
    the probability layer the work read, with how many NaN values and where the first is when
    its data is a numpy array (a pixel of a channel, with ``channel_axis``, its class axis).

    Examples
    --------
    >>> error = LogitsError("prob must lie in [0, 1], found values in [-2, 3].")
    >>> print(dock_error(error))  # doctest: +NORMALIZE_WHITESPACE
    prob must lie in [0, 1], found values in [-2, 3]. These look like logits or scores: press
    "Convert logits to probabilities" in the Confidence tab (a new layer: sigmoid of a
    one-channel map, softmax over the Channel axis of a map of classes).
    """
    if isinstance(error, LogitsError):
        return error.explain(DOCK_LOGITS, DOCK_LABELS, DOCK_SCALED)
    if isinstance(error, NaNError):
        if layer is None:  # the core's "probability values" are the objects' scores
            scores = error.name == "probability values"
            return nan_text(None, unnamed=_SCORES_MAP) if scores else nan_text(None)
        data = probability_data(layer)[0]
        if isinstance(data, np.ndarray):
            count, first = nan_places(data)  # none: in a coarser level
            return nan_text(layer.name, count or None, first, channel_axis=channel_axis)
        return nan_text(layer.name)
    return str(error)


def notify_dock_error(
    error: BaseException | str, layer: Layer | None = None, channel_axis: int | None = None
) -> None:
    """A notification of ``error`` in the dock's words (see :func:`dock_error`)."""
    notify_error(dock_error(error, layer, channel_axis))


def notifying(slot: Callable[..., Any]) -> Callable[..., Any]:
    """``slot`` that reports any error as a notification (and returns None) instead of raising.

    Bad input (TypeError, ValueError) is said as it is; anything else is a bug, said with its
    type and logged with its traceback. Qt calls slots from its event loop, where an exception
    is never the caller's to handle: PyQt6 aborts the process on one.
    """

    @functools.wraps(slot)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return slot(*args, **kwargs)
        except INPUT_ERRORS as error:
            notify_dock_error(error)
        except Exception as error:  # a bug: say it, and keep the viewer (and script) alive
            _log.exception("error in %s", getattr(slot, "__qualname__", slot))
            notify_error(f"unexpected {type(error).__name__}: {error} (please report it)")
        return None

    return guarded


def unsaid(layer: Image, notice: str | None) -> str | None:
    """``notice`` about ``layer`` unless it was the last said of that layer (then None).

    A notice returned counts as said: the caller shows it, now or with its run's results.
    Every part of the dock goes through here (or :func:`say_once`), so an integer map's
    "read as value / 255" is said once per layer, whichever tab reads the map first.

    Examples
    --------
    >>> layer = Image(np.zeros((2, 2), np.uint8), name="map")
    >>> unsaid(layer, "read as value / 255"), unsaid(layer, "read as value / 255")
    ('read as value / 255', None)
    """
    if not notice or _SAID.get(layer) == notice:
        return None
    _SAID[layer] = notice
    return notice


def say_once(layer: Image, notice: str | None) -> None:
    """Show ``notice`` about ``layer`` unless it was the last said of that layer
    (:func:`unsaid`)."""
    if unsaid(layer, notice):
        show_info(f"Segmentation Evaluation: {notice}")


def _readable(layer: Image) -> Any:
    """The layer's data as probabilities (a notice, once, for integer maps); raises on bad
    dtypes."""
    data, notice = probability_data(layer)
    say_once(layer, notice)
    return data


def data_ndim(layer: Image) -> int:
    """The number of axes of the layer's data, with napari's RGB axis of an RGB layer (whose
    ``ndim`` leaves it out)."""
    return len(layer.data.shape)


def data_levels(layer: Image) -> list[Any]:
    """The layer's data at each level of its pyramid (one level if it is not multiscale),
    unread: numpy arrays as they are, chunked ones (dask, zarr) as dask arrays.

    Examples
    --------
    >>> pyramid = Image([np.zeros((2, 8, 8)), np.zeros((2, 4, 4))], multiscale=True)
    >>> [level.shape for level in data_levels(pyramid)]
    [(2, 8, 8), (2, 4, 4)]
    """
    levels = list(layer.data) if layer.multiscale else [layer.data]
    return [as_dask(level) if is_lazy(level) else level for level in levels]


#: Names of an axis that is never a class axis, whatever its length (napari's axis labels),
#: besides those of time (:func:`~napari_seg_eval.evaluation.is_time_axis`).
DEPTH_LABELS = frozenset({"z", "depth", "plane", "planes"})


def names_time_or_depth(axis_labels: Sequence[str], axis: int) -> bool:
    """Whether napari's label of ``axis`` names time (``t``, ``time``, ``frame``) or depth
    (``z``, ``depth``, ``plane``): such an axis is never offered nor taken as a class axis.

    Examples
    --------
    >>> names_time_or_depth(["t", "y", "x"], 0), names_time_or_depth(["Z", "y", "x"], 0)
    (True, True)
    >>> names_time_or_depth(["c", "y", "x"], 0), names_time_or_depth(["-3", "-2", "-1"], 0)
    (False, False)
    """
    return is_time_axis(axis_labels, axis) or (
        str(axis_labels[axis]).strip().lower() in DEPTH_LABELS
    )


def class_axis_choices(layer: Image | None) -> list[tuple[str, int | None]]:
    """The header's Channel axis choices for ``layer``: (text, axis of its data), first the
    choice made for the user.

    No class axis, or, for a map of 3 or more axes, any of its axes of at most
    :data:`MAX_CLASSES` values that napari does not name time or depth
    (:func:`names_time_or_depth`), the shortest first (a class axis is most often the
    shortest); a 2-D map is one image and has no class axis.
    Of a layer napari shows as RGB (a float (Y, X, 3) map is one, by napari's guess), only its
    last axis, napari's RGB axis: its other axes are the image, and without a class axis its
    three values per pixel would be a 3-D preview off the layer's 2-D grid.

    Examples
    --------
    >>> rgb = Image(np.zeros((4, 6, 3), np.float32), rgb=True)
    >>> class_axis_choices(rgb)
    [("axis 2 (3 classes; napari's RGB axis)", 2)]
    >>> [axis for _, axis in class_axis_choices(Image(np.zeros((6, 4, 3))))]
    [None, 2, 1, 0]
    >>> class_axis_choices(Image(np.zeros((256, 256))))
    [('none (one probability per pixel)', None)]
    >>> [axis for _, axis in class_axis_choices(Image(np.zeros((4, 300, 400))))]
    [None, 0]
    """
    if layer is None:
        return [(NO_CLASS_AXIS, None)]
    shape = layer.data.shape
    if layer.rgb:
        last = len(shape) - 1
        return [(f"axis {last} ({shape[last]} classes; napari's RGB axis)", last)]
    if len(shape) < 3:
        return [(NO_CLASS_AXIS, None)]
    labels = list(layer.axis_labels)[-len(shape) :]
    plausible = [
        axis
        for axis in range(len(shape))
        if shape[axis] <= MAX_CLASSES and not names_time_or_depth(labels, axis)
    ]
    shortest_first = sorted(plausible, key=lambda axis: shape[axis])
    return [(NO_CLASS_AXIS, None)] + [
        (f"axis {axis} ({shape[axis]} classes)", axis) for axis in shortest_first
    ]


def rgb_class_axis_error(layer: Image, channel_axis: int | None) -> str | None:
    """Why ``channel_axis`` cannot be the class axis of ``layer``, shown as RGB (None if it
    can: napari's RGB axis, or the layer is not RGB)."""
    if not layer.rgb or (channel_axis is not None and is_rgb_axis(layer, channel_axis)):
        return None
    last = data_ndim(layer) - 1
    return (
        f"{layer.name!r} is shown as RGB (napari's rgb=True: its last axis, "
        f"{layer.data.shape[last]} values per pixel, is drawn as colours). As a probability "
        f"map it is a map of classes along that axis: choose Channel axis {last} (napari's "
        "RGB axis), or add the map with rgb=False."
    )


def rgb_colormap_error(layer: Image) -> str:
    """Why the confidence colormap cannot colour ``layer``, shown as RGB, and what to do."""
    last = data_ndim(layer) - 1
    return (
        f"the confidence colormap cannot colour {layer.name!r}: napari shows it as RGB "
        f"(rgb=True: its last axis, {layer.data.shape[last]} values per pixel, is drawn as "
        "red, green and blue, and a colormap does not apply). Nothing was changed. To colour "
        f"its classes one at a time, choose it as the probability layer with Channel axis "
        f"{last} (napari's RGB axis) and press Apply confidence colormap (the Class slider "
        "chooses the class); or add the map with rgb=False."
    )


def class_tip(*, background_channel: bool) -> str:
    """The Class slider's tooltip: how its classes are numbered along the class axis.

    Examples
    --------
    >>> class_tip(background_channel=True).split(": ")[1]
    'class k is channel k of the class axis (channel 0 is background)'
    """
    numbering = (
        "class k is channel k of the class axis (channel 0 is background)"
        if background_channel
        else "class k is channel k − 1 of the class axis"
    )
    return f"The class shown, numbered as the thresholded labels number it: {numbering}"


def plugin_writing(layer: Layer) -> dict[str, Any] | None:
    """The tag :func:`put_editable_labels` is giving ``layer`` while it writes into it (role,
    source's name and the new info, e.g. the threshold), or None: a change of the layer's
    data seen now is the plugin's, not the user's, and its old tag is still on the layer."""
    return _WRITING.get(layer)


def put_editable_labels(viewer: Viewer, data: Any, *, remade: str, **put: Any) -> Labels:
    """:func:`~napari_seg_eval._napari.layers.put_labels`, whose layer becomes the user's once
    the user edits it.

    An edit is a paint, fill or erase (napari's ``paint`` event, which a script's
    ``paint``, ``fill`` or ``data_setitem`` emits too), or new ``data`` given to the layer by
    anyone but us. The edited layer is handed over (:func:`hand_over`): untagged, so that
    nothing of ours updates, replaces or removes it again, and renamed; the next call adds a
    new layer. A layer the user renamed (or untagged) before editing it is theirs already
    (:func:`~napari_seg_eval._napari.layers.renamed_by_user`): its edits are theirs, and it
    keeps its name. Our own writes (this function's) are no edits. Changing the array in place
    without napari (``layer.data[...] = ...``) emits nothing, and is not seen.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        The viewer.
    data : array or list of arrays
        The labels (see ``put_labels``).
    remade : str
        What makes the next layer, for the notice: e.g. "the next threshold change".
    **put
        ``put_labels``'s keywords: ``name``, ``role``, ``source``, ``info``, ``drop_axis``.

    Returns
    -------
    napari.layers.Labels
        Our layer, updated in place or added.
    """
    before = result_layer(viewer, put["source"], put["role"])
    if before is not None and before not in _WATCHED:
        # Tagged, but not a layer this function made: a copy of ours the user made (napari's
        # Duplicate Layer copies the metadata, our tag too). It is theirs: never written.
        before.metadata = {key: value for key, value in before.metadata.items() if key != TAG}
        before = None
    if before is not None:
        _WRITING[before] = {"role": put["role"], "source": put["source"].name, **put["info"]}
    try:
        layer = put_labels(viewer, data, **put)
    finally:
        if before is not None:
            _WRITING.pop(before, None)
    if layer is not before:  # added: watched from now on
        _WATCHED.add(layer)
        # The user's edits: each dab of a stroke (labels_update, before the stroke's paint
        # event: a preview finishing mid-stroke must not write over its first dabs), a fill,
        # an erase, a script's paint or data_setitem (paint), new data (data).
        emitters = (layer.events.labels_update, layer.events.paint, layer.events.data)

        def on_edit(_event: Any = None) -> None:
            if layer in _WRITING:
                return
            for emitter in emitters:
                emitter.disconnect(on_edit)
            _WATCHED.discard(layer)
            if is_ours(layer) and not renamed_by_user(layer):
                hand_over(layer, remade)
            # else the user's already (renamed, or untagged): kept as it is, said nothing

        for emitter in emitters:
            emitter.connect(on_edit)
    return layer


def hand_over(layer: Labels, remade: str) -> None:
    """Make our result ``layer``, which the user edited, the user's: untag it, rename it
    "<name> (edited)" (napari keeps names unique), and say so once (``remade``: what makes
    the next layer of ours). Its data is not touched.

    Examples
    --------
    >>> from napari.layers import Labels
    >>> layer = Labels(np.zeros((2, 2), np.uint8), name="p thresholded",
    ...                metadata={TAG: {"role": "threshold"}, "theirs": 1})
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()):  # napari may print the notice
    ...     hand_over(layer, "the next threshold change")
    >>> layer.name, layer.metadata
    ('p thresholded (edited)', {'theirs': 1})
    """
    was = layer.name
    layer.metadata = {key: value for key, value in layer.metadata.items() if key != TAG}
    layer.name = f"{was} (edited)"
    show_info(
        f"Segmentation Evaluation: you edited {was!r}, so it is yours now, renamed "
        f"{layer.name!r}: the plugin no longer writes into it (your edits are kept). "
        f"{remade[0].upper()}{remade[1:]} makes a new layer {was!r}."
    )


def _contour_mask(data: Any, threshold: float) -> np.ndarray:
    """The pixels of ``p > threshold``: the labels whose outline is the threshold's contour."""
    return labels_from_probability(data, threshold, ThresholdOptions(output="semantic"))


class ThresholdPanel(QWidget):
    """The Threshold tab: output options and the preview layer of the probability layer."""

    def __init__(self, viewer: Viewer, owner: SegEvalWidget, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner
        self.preview_job = Job(self, on_error=self._preview_failed)
        self._previewed: Image | None = None  # the probability layer of the latest preview
        self.output_combo = QComboBox(self)
        self.output_combo.addItems(["semantic", "instance"])
        self.output_combo.setToolTip(
            "What the labels layer holds. semantic: one value per class (all foreground is 1). "
            "instance: each separate object gets its own number (touching pixels are one object)."
        )
        self.connectivity_spin = QSpinBox(self, minimum=1, maximum=3, value=1)
        self.connectivity_spin.setToolTip("1: faces only (4-connected in 2-D); 2: also diagonals")
        self.min_size_spin = QSpinBox(self, minimum=0, maximum=10**7, value=0)
        self.min_size_spin.setToolTip(
            "Objects smaller than this many pixels are removed (0 keeps all): drops specks"
        )
        self.split_check = QCheckBox("split touching objects (watershed)", self)
        self.split_check.setToolTip(
            "Cut objects that touch apart where they narrow (a watershed on the distance to "
            "the edge), so two touching cells become two objects. Instance output only."
        )
        self.split_depth_spin = DecimalSpinBox(self, minimum=0.1, maximum=100.0, value=2.0)
        self.split_depth_spin.setToolTip(
            "Split where the neck is at least this many pixels narrower than the object, in "
            "pixels of the finest axis: distances follow the probability layer's scale, so on "
            "a stack of planes 2 µm apart with 0.5 µm pixels one plane counts as 4 pixels"
        )
        self.live_check = QCheckBox("live preview while the threshold moves", self)
        self.live_check.setChecked(True)
        self.live_check.toggled.connect(notifying(lambda on: self.schedule() if on else None))
        self.needs_label = QLabel(NEEDS_PROBABILITY, self)
        self.needs_label.setWordWrap(True)
        self.threshold_button = QPushButton("Create / update labels", self)
        self.threshold_button.setToolTip(
            "Make (or redo) the labels layer from the probability layer with the threshold and "
            "these settings, now"
        )
        self.threshold_button.clicked.connect(notifying(lambda *_: self.update_layer()))
        form = QFormLayout(self)
        form.addRow("Output", self.output_combo)
        form.addRow("Connectivity", self.connectivity_spin)
        form.addRow("Minimum size (px)", self.min_size_spin)
        form.addRow(self.split_check)
        form.addRow("Split depth (px)", self.split_depth_spin)
        form.addRow(self.live_check)
        form.addRow(self.needs_label)
        form.addRow(self.threshold_button)

        self.preview_timer = QTimer(self, singleShot=True, interval=40)
        self.preview_timer.timeout.connect(notifying(lambda *_: self.update_layer(live=True)))
        owner.probability_combo.currentIndexChanged.connect(self._follow_probability_layer)
        self._follow_probability_layer()
        # The split depth acts only while splitting: greyed out (its value kept) until then.
        self.split_check.toggled.connect(self.split_depth_spin.setEnabled)
        self.split_depth_spin.setEnabled(self.split_check.isChecked())
        for signal in (
            self.output_combo.currentIndexChanged,
            self.connectivity_spin.valueChanged,
            self.min_size_spin.valueChanged,
            self.split_check.stateChanged,
            self.split_depth_spin.valueChanged,
        ):
            signal.connect(owner._on_options_changed)

    @property
    def layer(self) -> Labels | None:
        """Our preview layer of the chosen probability layer, if there is one."""
        source = self.owner.probability_combo.layer()
        return result_layer(self.viewer, source, "threshold") if source is not None else None

    def options(
        self, channel_axis: int | None, background_channel: bool = False
    ) -> ThresholdOptions:
        """The tab's settings, with the header's ``channel_axis`` and whether its channel 0
        is background (its "Channel 0 is background" box)."""
        return ThresholdOptions(
            output=self.output_combo.currentText(),
            channel_axis=channel_axis,
            background_channel=background_channel,
            connectivity=self.connectivity_spin.value(),
            min_size=self.min_size_spin.value(),
            split_touching=self.split_check.isChecked(),
            split_depth=self.split_depth_spin.value(),
        )

    def update_layer(self, *, wait: bool = False, live: bool = False) -> Labels | None:
        """Threshold the probability layer into its preview layer (see the widget's method).

        Instance output split into touching objects measures distances in the layer's scale
        (its pixel size per axis: :func:`preview_spacing`). A split the dock cannot make (a
        chunked map) is refused, and said once of a layer while ``live`` (the live preview
        following the threshold) and every time otherwise.
        """
        source = self.owner.probability_combo.layer()
        if source is None:
            notify_error("choose a probability Image layer first.")
            return None
        threshold, options = self.owner.threshold, self.owner.threshold_options(source)
        refused = rgb_class_axis_error(source, options.channel_axis)
        if refused is not None:
            notify_error(refused)
            return None
        try:
            check_class_axis(
                data_ndim(source), options.channel_axis, f"probability layer {source.name!r}"
            )
        except ValueError as error:
            notify_error(error)
            return None
        splitting = options.output == "instance" and options.split_touching
        try:
            if source.multiscale:  # a preview of each level of the pyramid
                levels, notice = probability_levels(source)
                say_once(source, notice)
            else:  # lazy labels of a lazy map
                levels = [_readable(source)]
        except TypeError as error:
            notify_error(error)
            return None
        refused = split_refusal(source, levels) if splitting else None
        if refused is not None:
            if not (live and _REFUSED.get(source) == refused):
                notify_error(refused)
            _REFUSED[source] = refused
            return None
        _REFUSED.pop(source, None)
        # The split's distances in the layer's pixel size (preview_levels: each level's own).
        options = replace(options, spacing=preview_spacing(source, options.channel_axis))
        # A chunked map split is read whole, in the worker (split_refusal let it through).
        whole = splitting and any(is_lazy(level) for level in levels)
        plane_axis = None  # objects labelled plane by plane (frames), as Evaluate does
        evaluate = getattr(self.owner, "evaluate", None)  # None while the dock is built
        if options.output == "instance" and evaluate is not None:
            plane_axis = evaluate.preview_plane_axis(source, options.channel_axis)
        job = partial(
            _preview, levels, threshold, options, source.multiscale, whole, plane_axis=plane_axis
        )
        work = partial(computed_where_shown, job, shown_regions(source, options.channel_axis))
        show = notifying(partial(self._show, source, threshold, options))
        self._previewed = source
        if wait:
            return self.preview_job.run_now(work, show, control=True)
        self.preview_job.start(work, show, control=True)
        return None

    @notifying
    def schedule(self) -> None:
        """Update the preview shortly (the slider's debounce), when live preview is on and
        there is a probability layer to preview."""
        if self.live_check.isChecked() and self.live_check.isEnabled():
            self.preview_timer.start()

    @notifying
    def _follow_probability_layer(self, *_) -> None:
        """The live preview works once there is a probability layer, and draws the chosen
        layer's preview at once (after the header has followed the layer too: the debounce);
        until then the tab says what it needs, and moving the threshold is no error (a
        pending preview of a layer that went away is dropped: only the button says that a
        layer is needed)."""
        has_layer = self.owner.probability_combo.layer() is not None
        self.live_check.setEnabled(has_layer)
        self.live_check.setToolTip(LIVE_TIP if has_layer else NEEDS_PROBABILITY)
        self.needs_label.setVisible(not has_layer)
        if has_layer:
            self.schedule()
        else:
            self.preview_timer.stop()

    def _preview_failed(self, error: BaseException) -> None:
        """A preview that failed: said in the dock's words, of the layer it read (a map
        holding NaN: how many and where, see :func:`dock_error`)."""
        source = self._previewed
        if source not in self.viewer.layers:
            notify_dock_error(error)
            return
        notify_dock_error(error, source, self.owner.class_axis_of(source))

    def _show(self, source: Image, threshold: float, options, data) -> Labels | None:
        if source not in self.viewer.layers:
            return None  # the source went away while we worked
        return put_editable_labels(
            self.viewer,
            data,
            remade="the next threshold change",
            name=f"{source.name} thresholded",
            role="threshold",
            source=source,
            info={"threshold": threshold, "output": options.output},
            drop_axis=options.channel_axis,
        )


class ConfidenceDisplayPanel(QWidget):
    """The Confidence tab: the confidence colormap, the threshold's contour, class views."""

    def __init__(self, viewer: Viewer, owner: SegEvalWidget, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.owner = owner
        self.coloured: dict[int, tuple[Image, dict]] = {}  # layers we recoloured: their look
        self.contour_job = Job(self, on_error=notify_dock_error)
        #: Reads the range of chunked logits before converting them (:meth:`convert_logits`),
        #: with the progress bar and Cancel button under the Convert button.
        self.convert_job = Job(
            self, on_progress=self._on_convert_progress, on_error=self._convert_failed
        )
        self.convert_job.finished.connect(self._on_convert_finished)
        self._convert_said = ""  # what the status line keeps once the read ends
        self._grid_look: dict | None = None  # visibility and grid before "side by side"
        self._no_contour: set[int] = set()  # multiscale layers told they get no contour
        self._moving_dims = False  # the class slider is moving the viewer's: don't follow back
        self._own_colormap: set[int] = set()  # coloured layers told their colormap is kept
        # contour layers we hid in 3-D -> their contour width, given back in 2-D
        self._hidden_in_3d: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._told_3d = False  # the notice that contours are hidden in 3-D was said
        # Coloured layers too large to show lazily, told that they stay hidden.
        self._told_hidden: weakref.WeakSet = weakref.WeakSet()
        # Labels we draw as outlines while the tab is shown (:meth:`set_outlining`); a layer
        # whose outline the user sets is dropped: theirs; one they set back to filled while
        # outlined is never outlined again (_theirs).
        self._outlined: weakref.WeakSet = weakref.WeakSet()
        self._theirs: weakref.WeakSet = weakref.WeakSet()
        self._outlining = False  # the tab is shown: the previews are outlined
        self._writing_outline = False  # our own change of a layer's outline, not the user's

        self.colorbar = ConfidenceColorBar(owner.threshold, self)
        self.apply_colormap_button = QPushButton("Apply confidence colormap", self)
        self.apply_colormap_button.clicked.connect(
            notifying(lambda *_: owner.apply_confidence_colormap())
        )
        self.restore_look_button = QPushButton("Restore original look", self)
        self.restore_look_button.clicked.connect(notifying(lambda *_: owner.restore_look()))
        self.opacity_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal, self)
        self.opacity_slider.setRange(0.0, 1.0)
        self.opacity_slider.setValue(0.6)
        accept_decimal_comma(self.opacity_slider)
        self.opacity_slider.valueChanged.connect(self._on_opacity_changed)
        self.contour_check = QCheckBox("draw the threshold's contour (p > threshold)", self)
        self.contour_check.setChecked(True)
        self.contour_check.setToolTip(
            "A Labels layer outlining where the probability is above the threshold: the "
            "boundary of the labels, visible however steep the map is"
        )
        self.contour_check.toggled.connect(self._on_contour_toggled)
        legend = QLabel(
            "Blue: below the threshold · green: at it (and the contour) · yellow to red: above",
            self,
        )
        legend.setWordWrap(True)
        self.class_slider = QLabeledSlider(Qt.Orientation.Horizontal, self)
        self.class_slider.setRange(1, 1)
        self.class_slider.setToolTip(class_tip(background_channel=False))
        self.class_slider.valueChanged.connect(self._on_class_changed)
        self.top_class_button = QPushButton("Top-class confidence layer", self)
        self.top_class_button.setToolTip("The highest class probability of each pixel")
        self.top_class_button.clicked.connect(notifying(lambda *_: self.add_top_class_layer()))
        self.side_by_side_button = QPushButton("Image and confidence side by side", self)
        self.side_by_side_button.setCheckable(True)
        self.side_by_side_button.toggled.connect(notifying(self.side_by_side))
        self.convert_button = QPushButton("Convert logits to probabilities", self)
        self.convert_button.setToolTip(
            "Adds a new layer: sigmoid of one-channel logits, softmax over the class axis"
        )
        self.convert_button.clicked.connect(notifying(lambda *_: self.convert_logits()))
        # While the range of chunked data is read: its progress, Cancel and a status line.
        self.convert_progress = QProgressBar(self)
        self.convert_progress.setRange(0, 100)
        self.convert_cancel_button = QPushButton("Cancel", self)
        self.convert_cancel_button.setToolTip(
            "Stop reading the values: no layer is added, nothing is changed"
        )
        self.convert_cancel_button.clicked.connect(notifying(lambda *_: self.cancel_convert()))
        self.convert_status = QLabel("", self)
        self.convert_status.setWordWrap(True)
        for widget in (self.convert_progress, self.convert_cancel_button, self.convert_status):
            widget.hide()
        converting = QHBoxLayout()
        converting.addWidget(self.convert_progress, stretch=1)
        converting.addWidget(self.convert_cancel_button)
        classes = QHBoxLayout()
        classes.addWidget(self.class_slider, stretch=1)
        classes.addWidget(self.top_class_button)
        form = QFormLayout(self)
        form.addRow(self.colorbar)
        form.addRow(legend)
        form.addRow(self.apply_colormap_button)
        form.addRow("Opacity", self.opacity_slider)
        form.addRow(self.contour_check)
        form.addRow("Class", classes)
        form.addRow(self.side_by_side_button)
        form.addRow(self.convert_button)
        form.addRow(converting)
        form.addRow(self.convert_status)
        form.addRow(self.restore_look_button)
        self._contour_timer = QTimer(self, singleShot=True, interval=40)
        self._contour_timer.timeout.connect(notifying(lambda *_: self.update_contours()))
        viewer.layers.events.removed.connect(self._on_layer_removed)
        viewer.layers.events.inserted.connect(self._follow_outlines)
        viewer.dims.events.current_step.connect(self._on_dims_step)
        # The contours are hidden before napari slices the layers for 3-D, and drawn again
        # after it has sliced them for 2-D: a contour of 3-D labels makes napari warn.
        viewer.dims.events.ndisplay.connect(self._before_ndisplay, position="first")
        viewer.dims.events.ndisplay.connect(self._after_ndisplay, position="last")

    # ------------------------------------------------------------------------- public API
    def apply(self, layer: Image | None = None) -> Image | None:
        """Colour ``layer`` (default: the probability layer, or its shown class) by confidence.

        The first time, the layer's look is kept for :meth:`restore`, and it gets contrast
        limits 0..1 (0..dtype maximum for integer maps), translucent blending and the tab's
        opacity. Applied again, only the colormap is applied: the contrast limits, gamma,
        opacity and blending the user set since stay. The colormap is built for the layer's
        contrast limits and gamma, and rebuilt when they change, so that its green band sits
        on the threshold whatever they are; it follows the threshold until the user gives the
        layer another colormap.

        With a class axis in the header, the chosen probability layer is shown one class at a
        time: its class slider's class becomes the result layer ``<name> class confidence``,
        which is coloured (the multi-class layer keeps its look). A layer napari shows as RGB
        cannot be coloured: it is refused with a notification, unchanged.

        A hidden layer is shown, unless it is lazy, not multiscale and too large to show
        without reading a whole plane on the main thread (as the class layer of a large
        chunked map that is no pyramid): it is coloured and stays hidden, said once.
        """
        if layer is None:
            layer = self._source()
            if layer is not None and self._channel_axis() is not None:
                return self.show_class(self.class_slider.value() - self._class_offset())
        if layer is None:
            notify_error("choose a probability Image layer first.")
            return None
        if layer.rgb:
            notify_error(rgb_colormap_error(layer))
            return None
        try:
            scale = probability_scale(layer.data.dtype)
        except TypeError as error:
            notify_error(f"layer {layer.name!r}: {error}")
            return None
        if scale != 1.0:
            say_once(
                layer,
                f"{layer.name!r} holds {layer.data.dtype} values 0..{int(scale)}: read as "
                f"value / {int(scale)}",
            )
        if id(layer) not in self.coloured:
            look = {
                "colormap": layer.colormap,
                "contrast_limits": layer.contrast_limits,
                "opacity": layer.opacity,
                "blending": layer.blending,
            }
            self.coloured[id(layer)] = (layer, look)
            layer.contrast_limits = (0.0, scale)  # probabilities 0..1 on the layer's scale
            layer.blending = "translucent"
            layer.opacity = self.opacity_slider.value()
            for emitter in (layer.events.contrast_limits, layer.events.gamma):
                emitter.connect(self._on_limits_changed)
        self._own_colormap.discard(id(layer))  # followed again
        layer.colormap = self._colormap(layer)
        if not layer.visible and too_big_to_show(layer.data):
            self._stays_hidden(layer)  # napari would read a whole plane to show it
        elif not layer.visible:  # e.g. hidden by the Review tab's "Show errors as a layer"
            layer.visible = True  # what the user asked to see
            show_info(
                f"Segmentation Evaluation: {layer.name!r} was hidden: it is shown with the "
                "confidence colormap."
            )
        self._show_colorbar_limits()
        if self.contour_check.isChecked():
            self.update_contours(wait=True, layers=[layer])
        self._follow_outlines()
        return layer

    def restore(self, layer: Image | None = None) -> None:
        """Give a recoloured layer back its look, and remove its contour layer."""
        layer = layer or self.owner.probability_combo.layer()
        saved = self.coloured.pop(id(layer), None) if layer is not None else None
        if saved is None:
            return
        self._forget(layer)
        for name, value in saved[1].items():
            setattr(layer, name, value)
        self._show_colorbar_limits()
        contour = result_layer(self.viewer, layer, "contour")
        if contour is not None:
            self.viewer.layers.remove(contour)
        self._follow_outlines()

    def contour_layer(self, layer: Image | None = None) -> Labels | None:
        """The threshold's contour layer of ``layer`` (default: the last coloured layer)."""
        if layer is None:
            if not self.coloured:
                return None
            layer = list(self.coloured.values())[-1][0]
        return result_layer(self.viewer, layer, "contour")

    def set_outlining(self, on: bool) -> None:
        """Draw the labels over the coloured map as outlines while ``on`` (the dock shows this
        tab), their own look again after.

        The threshold preview and the evaluated labels of a map (``<map> thresholded``,
        ``<map> evaluated``) are drawn filled, instance labels in random colours: over the
        confidence colormap a blue object would read as "below the threshold" beside the
        legend. While the tab is shown and a layer is coloured, those of them drawn filled get
        napari's outline (``contour`` 1), so the map's colours show inside them; leaving the
        tab (or restoring the map's look) gives them back ``contour`` 0, and so does removing
        the layer (added back, it is outlined only while the tab is shown). A layer the user
        gave an outline is never touched; one whose outline the user changes while outlined
        is theirs from then on (set back to filled, it stays filled on later visits): it
        keeps their setting. In the 3-D view, where napari draws no outlines of 3-D labels,
        those stay filled.
        """
        self._outlining = on
        self._follow_outlines()

    def update_contours(self, *, wait: bool = False, layers: list[Image] | None = None) -> None:
        """Redraw the contour of ``p > threshold`` of every coloured layer (or of ``layers``).

        In a worker (the latest request wins), or now with ``wait=True``.
        """
        targets = layers if layers is not None else [x for x, _ in self.coloured.values()]
        targets = [x for x in targets if x in self.viewer.layers]
        if not self.contour_check.isChecked():
            return
        for layer in targets:  # said once per layer
            if layer.multiscale and id(layer) not in self._no_contour:
                self._no_contour.add(id(layer))
                show_info(
                    f"Segmentation Evaluation: no threshold contour for {layer.name!r}: it is "
                    "multiscale (a contour would read level 0 whole). The threshold preview "
                    "shows p > threshold at every level."
                )
        targets = [x for x in targets if not x.multiscale]
        if not targets:
            return
        threshold = self.owner.threshold
        try:
            inputs = [(layer, probability_data(layer)[0]) for layer in targets]
        except TypeError as error:
            notify_error(error)
            return

        def work() -> list[tuple[Image, np.ndarray]]:
            return [(layer, _contour_mask(data, threshold)) for layer, data in inputs]

        show = partial(self._show_contours, threshold)
        if wait:
            self.contour_job.run_now(work, show)
        else:
            self.contour_job.start(work, show)

    def show_class(self, channel: int, *, wait: bool = False) -> Image | None:
        """Show one channel of the multi-class probability layer as ``<name> class confidence``.

        ``channel`` counts from 0 along the class axis: it is class ``channel + 1`` (the Class
        slider's number, and the thresholded labels' value), or class ``channel`` when the
        header's "Channel 0 is background" is ticked (channel 0, background, is then no class
        and is refused).

        The layer is a view of the channel (no copy for numpy data; lazy for chunked data),
        updated in place when the class slider moves; it keeps the source's world transform
        without the class axis. Of a multiscale map it is a pyramid: each level the channel of
        that level. Its contour is redrawn in a worker, or now with ``wait=True``.
        """
        source, axis = self.owner.probability_combo.layer(), self._channel_axis()
        if source is None or axis is None:
            notify_error("choose a probability layer and its class axis first.")
            return None
        n_classes, offset = source.data.shape[axis], self._class_offset()
        if not 0 <= channel < n_classes:
            notify_error(f"channel {channel} is not in 0..{n_classes - 1}.")
            return None
        if channel + offset < 1:
            notify_error(
                "channel 0 is background ('Channel 0 is background' is ticked beside the "
                f"Channel axis): it is no class; the classes are channels 1..{n_classes - 1}."
            )
            return None
        self.class_slider.blockSignals(True)
        self.class_slider.setValue(channel + offset)
        self.class_slider.blockSignals(False)
        self._move_dims(channel)
        index = (slice(None),) * axis + (channel,)
        planes = [level[index] for level in data_levels(source)]
        layer = self._put_result_image(
            planes if source.multiscale else planes[0],
            name=f"{source.name} class confidence",
            role="class_confidence",
            source=source,
            info={"channel": channel, "class": channel + offset},
            drop_axis=axis,
        )
        if id(layer) not in self.coloured:
            return self.apply(layer)
        self.update_contours(wait=wait, layers=[layer])
        return layer

    def add_top_class_layer(self) -> Image | None:
        """Add (or update) ``<name> top-class confidence``: the maximum over the class axis.

        Lazy for chunked data; of a multiscale map, a pyramid of each level's maximum.
        """
        source, axis = self.owner.probability_combo.layer(), self._channel_axis()
        if source is None or axis is None:
            notify_error("choose a probability layer and its class axis first.")
            return None
        try:
            levels = probability_levels(source)[0]
        except TypeError as error:
            notify_error(error)
            return None
        maxima = [(as_dask(level) if is_lazy(level) else level).max(axis=axis) for level in levels]
        layer = self._put_result_image(
            maxima if source.multiscale else maxima[0],
            name=f"{source.name} top-class confidence",
            role="top_class",
            source=source,
            info={"channel_axis": axis},
            drop_axis=axis,
        )
        return self.apply(layer)

    def side_by_side(self, on: bool = True) -> None:
        """Show the image and the confidence map side by side (napari's grid), or go back.

        Only the image (the first Image layer that is neither a probability map nor ours) and
        the coloured map stay visible in the grid; the layers' visibility and the grid are put
        back when it is turned off. A coloured map kept hidden because it is too large to show
        lazily (see :meth:`apply`) is refused: nothing changes.
        """
        if self.side_by_side_button.isChecked() != on:
            self.side_by_side_button.setChecked(on)  # comes back here through the signal
            return
        grid = self.viewer.canvas.grid if hasattr(self.viewer, "canvas") else self.viewer.grid
        if not on:
            if self._grid_look is not None:
                for layer, visible in self._grid_look["visible"]:
                    if layer in self.viewer.layers:
                        layer.visible = visible
                grid.enabled, grid.stride = self._grid_look["grid"]
            self._grid_look = None
            return
        shown = self.apply() if not self.coloured else list(self.coloured.values())[-1][0]
        probability = self.owner.probability_combo.layer()
        image = next(
            (
                layer
                for layer in self.viewer.layers
                if isinstance(layer, Image)
                and layer is not probability
                and layer is not shown
                and id(layer) not in self.coloured
                and not is_ours(layer)
            ),
            None,
        )
        if shown is None or image is None:
            notify_error("side by side needs an image layer and a probability layer.")
            self.side_by_side_button.setChecked(False)
            return
        if not shown.visible and too_big_to_show(shown.data):
            notify_error(
                f"side by side would show {shown.name!r}, which is lazy and too large to show "
                "without reading a whole plane on the main thread: it stays hidden. Tick its "
                "eye to show it (napari then reads the plane shown), or open the map as a "
                "multiscale pyramid."
            )
            self.side_by_side_button.setChecked(False)
            return
        self._grid_look = {
            "visible": [(layer, layer.visible) for layer in self.viewer.layers],
            "grid": (grid.enabled, grid.stride),
        }
        for layer in self.viewer.layers:
            layer.visible = layer is image or layer is shown
        grid.stride = 1
        grid.enabled = True

    def convert_logits(self, layer: Image | None = None, *, wait: bool = False) -> Image | None:
        """Add ``<name> probabilities``: sigmoid of logits, or softmax over the class axis.

        The source layer is untouched; the new layer becomes the probability layer, with the
        class axis it was converted along as the Channel axis (of a layer shown as RGB, its
        last axis: the new layer is RGB too). A multiscale (pyramid) layer gives a multiscale
        layer: each level converted lazily (dask).

        A map whose values already lie in [0, 1] is not converted (a notice says so). Only
        its full resolution (level 0) can tell: a pyramid's smallest level holding values
        outside [0, 1] shows logits, but one inside [0, 1] proves nothing (see
        :func:`_range_now`). A map holding NaN is neither: it is refused, saying how many NaN
        values it holds (and where the first is, for numpy data: a pixel of a channel with a
        class axis). Level 0 is looked at for NaN even when the smallest level shows logits
        (a coarse level need not hold the NaN of level 0). Chunked (dask, zarr) data
        is read on the main thread only when it is level 0 and tiny
        (:data:`MAIN_THREAD_VALUES` values); otherwise the range is read in a worker, with a
        progress bar and a Cancel button under the Convert button (cancelled, nothing is
        added or changed), and the layer added when it is in (now, and returned, with
        ``wait=True``; else None is returned at once).
        """
        layer = layer or self.owner.probability_combo.layer()
        if layer is None:
            notify_error("choose the layer of logits first.")
            return None
        levels = list(layer.data) if layer.multiscale else [layer.data]
        axis = self._channel_axis() if layer is self._source() else None
        if layer.rgb:  # its classes are along napari's RGB axis, whatever the header says
            axis = data_ndim(layer) - 1
        if not np.issubdtype(levels[0].dtype, np.floating):
            notify_error(f"layer {layer.name!r} holds {levels[0].dtype} values, not logits.")
            return None
        convert = partial(self._convert_checked, layer, levels, axis)
        checked = _range_now(levels)
        if checked is not None:
            return convert(checked)

        def work(control: RunControl) -> ValueRange:
            with control.chunks(0.0, 1.0, "reading the values"):
                return _range_read(levels)

        if wait:
            return self.convert_job.run_now(work, convert, control=True)
        reading = (
            f"Reading the values of {layer.name!r} (chunked data) to tell logits from "
            "probabilities: it is converted once they show logits."
        )
        show_info(
            f"Segmentation Evaluation: {reading[:1].lower()}{reading[1:-1]} (Cancel, under "
            "the Convert button of the Confidence tab, stops it)."
        )
        self._convert_said = ""
        self.convert_status.setText(reading)
        self.convert_progress.setValue(0)
        for widget in (self.convert_progress, self.convert_cancel_button, self.convert_status):
            widget.show()
        self.convert_cancel_button.setEnabled(True)
        self.convert_job.start(work, notifying(convert), control=True)
        return None

    def cancel_convert(self) -> None:
        """Stop reading the values of a chunked map to convert: no layer is added, and the
        header (probability layer, class axis) is left as it is."""
        if not self.convert_job.running:
            return
        self.convert_job.cancel()
        self._convert_said = "Convert logits cancelled: no layer was added, nothing changed."
        self.convert_status.setText(self._convert_said)
        self.convert_progress.setValue(0)
        self.convert_cancel_button.setEnabled(False)

    @notifying
    def threshold_changed(self, value: float) -> None:
        """Move the colour bar's mark and every coloured layer's green band; redraw contours.

        A coloured layer the user gave another colormap keeps it (said once): "Apply
        confidence colormap" colours it again."""
        self.colorbar.set_threshold(value)
        for layer, _ in self.coloured.values():
            if self._follows(layer):
                layer.colormap = self._colormap(layer)
            elif id(layer) not in self._own_colormap:
                self._own_colormap.add(id(layer))
                show_info(
                    f"Segmentation Evaluation: {layer.name!r} keeps the colormap you chose "
                    f"({layer.colormap.name}): the threshold no longer recolours it. Press "
                    "Apply confidence colormap to colour it by confidence again."
                )
        self._show_colorbar_limits()
        if self.contour_check.isChecked() and self.coloured:
            self._contour_timer.start()

    @notifying
    def probability_layer_changed(self) -> None:
        """Follow the header: the class slider spans the classes of the chosen layer's n
        channels along its class axis, 1..n (channel k is class k + 1), or 1..n - 1 when
        channel 0 is background (channel k is class k), at the class the viewer's slider of
        that axis shows."""
        axis, source, offset = self._channel_axis(), self._source(), self._class_offset()
        last = source.data.shape[axis] - 1 + offset if axis is not None else 0  # the top class
        has_classes = last >= 1
        self.class_slider.blockSignals(True)
        self.class_slider.setRange(1, max(last, 1))
        shown = self._class_in_viewer()
        if shown is not None and shown + offset >= 1:
            self.class_slider.setValue(shown + offset)
        self.class_slider.blockSignals(False)
        self.class_slider.setToolTip(class_tip(background_channel=offset == 0))
        self.class_slider.setEnabled(has_classes)
        self.top_class_button.setEnabled(has_classes)
        shown_layer = result_layer(self.viewer, source, "class_confidence") if has_classes else None
        channel = self.class_slider.value() - offset
        if shown_layer is not None and tag(shown_layer).get("channel") != channel:
            self.show_class(channel)  # its class is numbered anew: the slider's class shown

    # ---------------------------------------------------------------------------- internals
    def _source(self) -> Image | None:
        return self.owner.probability_combo.layer()

    def _convert_checked(
        self,
        layer: Image,
        levels: list[Any],
        axis: int | None,
        checked: ValueRange,
    ) -> Image | None:
        """:meth:`convert_logits` once the range ``checked`` of ``layer``'s values is known:
        refused when it holds NaN or lies in [0, 1], else the converted layer added (unless
        ``layer`` went away meanwhile)."""
        if layer not in self.viewer.layers:
            return None
        if checked.has_nan:
            said = nan_text(
                layer.name, checked.nan_count or None, checked.first_nan, channel_axis=axis
            )
            notify_error(said)
            return None
        if _in_unit_range((checked.low, checked.high)):
            notify_error(
                f"layer {layer.name!r} already holds values in [0, 1]: nothing to convert."
            )
            return None
        if layer.multiscale:  # every level converted lazily: a pyramid of the same levels
            converted: Any = [_converted(as_dask(level), axis) for level in levels]
        else:
            converted = _converted(levels[0], axis)
        out = put_image(
            self.viewer,
            converted,
            name=f"{layer.name} probabilities",
            role="converted",
            source=layer,
            info={"function": "sigmoid" if axis is None else "softmax", "channel_axis": axis},
        )
        self.owner.set_probability_layer(out)
        index = self.owner.channel_axis_combo.findData(axis)
        if index >= 0:  # choosing the new layer reset the header's class axis
            self.owner.channel_axis_combo.setCurrentIndex(index)
        return out

    def _on_convert_progress(self, value: tuple[float, str]) -> None:
        fraction, _message = value
        self.convert_progress.setValue(int(100 * fraction))

    def _convert_failed(self, error: BaseException) -> None:
        """Reading the values to convert failed: said in the dock's words; nothing added."""
        self._convert_said = ""
        notify_dock_error(error)

    def _on_convert_finished(self) -> None:
        """The read of the values ended (converted, refused, failed or cancelled): the
        progress and Cancel go; the status line keeps only a cancel's words."""
        if self.convert_job.running:  # a newer read goes on
            return
        self.convert_progress.hide()
        self.convert_cancel_button.hide()
        self.convert_status.setText(self._convert_said)
        self.convert_status.setVisible(bool(self._convert_said))

    def _put_result_image(self, data: Any, **put: Any) -> Image:
        """:func:`~napari_seg_eval._napari.layers.put_image`; a layer it keeps hidden (lazy and
        too large to show) is one told why (by ``put_image``): :meth:`apply` does not say it
        again."""
        layer = put_image(self.viewer, data, **put)
        if not layer.visible and too_big_to_show(layer.data):
            self._told_hidden.add(layer)
        return layer

    def _stays_hidden(self, layer: Image) -> None:
        """Say, once per layer, that the coloured ``layer`` stays hidden: lazy and too large
        to show without reading a whole plane on the main thread."""
        if layer in self._told_hidden:
            return
        self._told_hidden.add(layer)
        show_info(
            f"Segmentation Evaluation: {layer.name!r} has the confidence colormap. "
            + hidden_text(layer.name, layer.name, pyramid=False)
        )

    def _channel_axis(self) -> int | None:
        """The header's class axis of the probability layer (none for a 2-D map)."""
        source = self._source()
        axis = self.owner.class_axis_of(source)
        return None if axis is None else axis % data_ndim(source)

    def _class_offset(self) -> int:
        """The class of channel 0: 0 when the header says it is background (channel k is
        class k), else 1 (channel k is class k + 1)."""
        return 0 if self.owner.threshold_options(self._source()).background_channel else 1

    @notifying
    def _show_contours(self, threshold: float, masks: list[tuple[Image, np.ndarray]]) -> None:
        for layer, mask in masks:
            if layer not in self.viewer.layers or id(layer) not in self.coloured:
                continue  # removed or restored while we worked
            existing = result_layer(self.viewer, layer, "contour")
            selection = set(self.viewer.layers.selection), self.viewer.layers.selection.active
            contour = put_editable_labels(
                self.viewer,
                mask,
                remade="the next threshold change",
                name=f"{layer.name} contour",
                role="contour",
                source=layer,
                info={"threshold": threshold},
            )
            if existing is None:
                from napari.utils.colormaps import DirectLabelColormap

                contour.colormap = DirectLabelColormap(
                    color_dict={None: (0, 0, 0, 0), 0: (0, 0, 0, 0), 1: GREEN}
                )
                if not self._hide_in_3d(contour, width=1):
                    contour.contour = 1
                contour.opacity = 1.0
                contour.editable = False
                # a drawing aid: the user's selected layer stays selected (menus act on it)
                self.viewer.layers.selection.clear()
                self.viewer.layers.selection.update(selection[0])
                self.viewer.layers.selection.active = selection[1]

    @notifying
    def _on_contour_toggled(self, on: bool) -> None:
        if on:
            self.update_contours(wait=True)
            return
        for layer, _ in list(self.coloured.values()):
            contour = result_layer(self.viewer, layer, "contour")
            if contour is not None:
                self.viewer.layers.remove(contour)

    @notifying
    def _on_class_changed(self, class_id: int) -> None:
        channel = class_id - self._class_offset()
        self._move_dims(channel)
        if result_layer(self.viewer, self._source(), "class_confidence") is not None:
            self.show_class(channel)

    def _class_world_axis(self) -> int | None:
        """The viewer's axis of the class axis, when the viewer has a slider for it."""
        source, axis = self._source(), self._channel_axis()
        if source is None or axis is None or is_rgb_axis(source, axis):
            return None  # napari's RGB axis has no slider
        world = self.viewer.dims.ndim - source.ndim + axis
        return None if world < 0 or world in self.viewer.dims.displayed else world

    def _class_in_viewer(self) -> int | None:
        """The class the viewer's slider of the class axis is at (None: no such slider)."""
        world = self._class_world_axis()
        if world is None:
            return None
        source, axis = self._source(), self._channel_axis()
        point = np.asarray(self.viewer.dims.point[-source.ndim :], dtype=float)
        channel = int(np.round(source.world_to_data(point)[axis]))
        return int(np.clip(channel, 0, source.data.shape[axis] - 1))

    def _move_dims(self, channel: int) -> None:
        """Move the viewer's slider of the class axis to ``channel`` (the class slider moved)."""
        world = self._class_world_axis()
        if world is None or self._class_in_viewer() == channel:
            return
        source, axis = self._source(), self._channel_axis()
        position = np.zeros(source.ndim)
        position[axis] = channel
        self._moving_dims = True
        try:
            self.viewer.dims.set_point(world, float(source.data_to_world(position)[axis]))
        finally:
            self._moving_dims = False

    @notifying
    def _on_dims_step(self, _event=None) -> None:
        """The viewer's slider of the class axis moved: the class slider follows (not to the
        background channel, which is no class)."""
        shown = None if self._moving_dims else self._class_in_viewer()
        if shown is None:
            return
        class_id = shown + self._class_offset()
        if class_id >= 1 and class_id != self.class_slider.value():
            self.class_slider.setValue(class_id)  # through _on_class_changed: the class layer

    @notifying
    def _on_opacity_changed(self, value: float) -> None:
        for layer, _ in self.coloured.values():
            layer.opacity = value

    @notifying
    def _on_layer_removed(self, event) -> None:
        self._give_back_outline(event.value)
        if self.coloured.pop(id(event.value), None) is not None:
            self._forget(event.value)
            self._show_colorbar_limits()
            self._follow_outlines()

    def _follow_outlines(self, _event=None) -> None:
        """Outline the previews over the coloured map, or give them their look back
        (:meth:`set_outlining`): after the tab, the coloured layers, the layers or the view's
        dimensionality changed."""
        flat = self.viewer.dims.ndisplay == 2
        wanted = self._outlining and bool(self.coloured)
        previews = [
            layer
            for layer in self.viewer.layers
            if isinstance(layer, Labels)
            and (is_ours(layer, "threshold") or is_ours(layer, "evaluated"))
        ]
        for layer in list(self._outlined):
            removed = layer not in self.viewer.layers
            if removed or not wanted or not (flat or layer.ndim < 3) or layer not in previews:
                self._give_back_outline(layer)
        if not wanted:
            return
        for layer in previews:
            if (
                layer not in self._outlined
                and layer not in self._theirs
                and layer.contour == 0
                and (flat or layer.ndim < 3)
            ):
                self._set_outline(layer, 1)
                self._outlined.add(layer)
                layer.events.contour.connect(self._on_user_outline)

    def _set_outline(self, layer: Labels, width: int) -> None:
        """Give ``layer`` our outline ``width`` (not a change of the user's)."""
        self._writing_outline = True
        try:
            layer.contour = width
        finally:
            self._writing_outline = False

    def _give_back_outline(self, layer: Layer) -> None:
        """Stop outlining ``layer`` (if we do), giving it back its own look, filled."""
        if layer in self._outlined:
            self._set_outline(layer, 0)
            self._drop_outline(layer)

    def _drop_outline(self, layer: Layer) -> None:
        """Stop outlining ``layer``: it keeps the outline it has."""
        if layer in self._outlined:
            self._outlined.discard(layer)
            layer.events.contour.disconnect(self._on_user_outline)

    def _on_user_outline(self, event) -> None:
        """The user set the outline of a layer we outlined: it is theirs, kept; set back to
        filled there, it is never outlined again (until the dock closes)."""
        if not self._writing_outline:
            self._drop_outline(event.source)
            if event.source.contour == 0:
                self._theirs.add(event.source)

    def _forget(self, layer: Image) -> None:
        """Stop following a layer no longer coloured (restored or removed)."""
        for emitter in (layer.events.contrast_limits, layer.events.gamma):
            emitter.disconnect(self._on_limits_changed)
        self._own_colormap.discard(id(layer))

    @staticmethod
    def _follows(layer: Image) -> bool:
        """Whether a coloured layer still has our colormap (not one the user chose since)."""
        return getattr(layer.colormap, "name", None) == COLORMAP_NAME

    def _colormap(self, layer: Image) -> Any:
        """The confidence colormap at the threshold for ``layer``'s contrast limits, gamma
        and scale (the green band on the threshold: see
        :func:`~napari_seg_eval._colormap.confidence_colors`)."""
        return confidence_colormap(
            self.owner.threshold,
            layer.contrast_limits,
            gamma=layer.gamma,
            scale=probability_scale(layer.data.dtype),
        )

    @notifying
    def _on_limits_changed(self, event=None) -> None:
        """A coloured layer's contrast limits or gamma changed: its colormap is rebuilt for
        them, and the colour bar spans them."""
        layer = getattr(event, "source", None)
        if id(layer) in self.coloured and self._follows(layer):
            layer.colormap = self._colormap(layer)
        self._show_colorbar_limits()

    def _show_colorbar_limits(self) -> None:
        """The colour bar spans the contrast limits (as probabilities) and gamma of the last
        coloured layer that has our colormap; 0..1 when there is none."""
        shown = [
            layer
            for layer, _ in self.coloured.values()
            if layer in self.viewer.layers and self._follows(layer)
        ]
        if not shown:
            self.colorbar.set_limits(0.0, 1.0)
            return
        layer = shown[-1]
        scale = probability_scale(layer.data.dtype)
        low, high = (float(x) / scale for x in layer.contrast_limits)
        self.colorbar.set_limits(low, high, layer.gamma)

    def _hide_in_3d(self, contour: Labels, width: int) -> bool:
        """Hide a visible contour layer of 3-D labels while the view is 3-D (True if hidden).

        napari draws no contours of 3-D labels in 3-D: it warns "Contours are not displayed
        during 3D rendering" and draws the whole ``p > threshold`` region, solid green over
        the map. Hidden, not removed, the layer stays current (the threshold still redraws
        it); its contour is off while hidden (napari would warn at each redraw), and it shows
        again with its contour ``width`` in 2-D (:meth:`_after_ndisplay`).
        """
        if self.viewer.dims.ndisplay != 3 or contour.ndim < 3 or not contour.visible:
            return False
        self._hidden_in_3d[contour] = width
        contour.contour = 0
        contour.visible = False
        if not self._told_3d:
            self._told_3d = True
            show_info(
                f"Segmentation Evaluation: the threshold's contour {contour.name!r} is hidden "
                "in the 3-D view: napari draws no contours of 3-D labels in 3-D, so it would "
                "cover the map with solid green. It shows again in 2-D."
            )
        return True

    @notifying
    def _before_ndisplay(self, _event=None) -> None:
        """The view turns 3-D: our visible contour layers of 3-D labels are hidden, before
        napari slices them."""
        if self.viewer.dims.ndisplay == 3:
            for layer in list(self.viewer.layers):
                if is_ours(layer, "contour"):
                    self._hide_in_3d(layer, width=layer.contour)
            self._follow_outlines()  # no outlines of 3-D labels in 3-D: filled again

    @notifying
    def _after_ndisplay(self, _event=None) -> None:
        """Back in 2-D (napari has sliced the layers for it): the contour layers we hid are
        shown again with their contour; one the user hid stays hidden."""
        if self.viewer.dims.ndisplay == 3:
            return
        for layer, width in list(self._hidden_in_3d.items()):
            if layer in self.viewer.layers:
                layer.contour = width
                layer.visible = True
        self._hidden_in_3d.clear()
        self._follow_outlines()


def preview_spacing(layer: Image, channel_axis: int | None) -> tuple[float, ...]:
    """The pixel size of ``layer``'s preview along each of its axes: the layer's scale (of
    its full resolution), without the class axis ``channel_axis``.

    The split of touching objects measures distances in it, so a stack whose layer carries
    its calibration (e.g. scale (2, 0.5, 0.5) µm) is split as the objects' shapes are.

    Examples
    --------
    >>> preview_spacing(Image(np.zeros((3, 8, 9)), scale=(1.0, 2.0, 0.5)), 0)
    (2.0, 0.5)
    """
    scale = np.asarray(layer.scale, dtype=float)
    axes = range(len(scale))
    if channel_axis is not None and not is_rgb_axis(layer, channel_axis):
        dropped = channel_axis % len(scale)
        axes = [axis for axis in axes if axis != dropped]
    return tuple(float(scale[axis]) for axis in axes)


#: The most values of a chunked (dask, zarr) map's levels the preview reads into memory to
#: split touching objects (32 Mi: e.g. 8192 × 4096, or 320³). The split needs the whole mask
#: at once, and its distance transform, markers and basins take about 30 bytes a pixel: about
#: 1 GB at this size, as for a numpy map of the same size. Twice the size above which
#: ``read_probabilities`` keeps a TIFF chunked (2**24 pixels), so such files split here too.
SPLIT_READ_LIMIT = 1 << 25


def split_refusal(
    layer: Image,
    levels: Sequence[Any],
    outcome: str = "The preview was not updated.",
    unsplit: str = "to preview its objects (they are joined across chunks)",
) -> str | None:
    """Why the dock cannot split the touching objects of ``layer`` (its data ``levels``), in
    the dock's words, or None when it can: the split needs the whole map in memory at once
    (a distance transform and a watershed). A chunked (dask, zarr) map is read into memory in
    the worker (:func:`read_whole`) when its chunked levels hold at most
    :data:`SPLIT_READ_LIMIT` values; a larger one is refused, saying what works: the tab's
    ``outcome`` ("The preview was not updated.") and what unticking the split lets it do
    (``unsplit``).

    Examples
    --------
    >>> import dask.array as da
    >>> split_refusal(Image(np.zeros((8, 8))), [da.zeros((8, 8))]) is None
    True
    """
    lazy = [level for level in levels if is_lazy(level)]
    values = sum(int(np.prod(level.shape, dtype=np.int64)) for level in lazy)
    if values <= SPLIT_READ_LIMIT:
        return None
    shape = " × ".join(str(size) for size in levels[0].shape)
    if len(levels) == 1:
        size = f"{shape}, {values:,} values"
    else:  # the values of its chunked levels, summed: not level 0's
        where = (
            "in all"
            if len(lazy) == len(levels)
            else "in its one chunked level"
            if len(lazy) == 1
            else f"in its {len(lazy)} chunked levels"
        )
        size = f"a pyramid of {len(levels)} levels, level 0 {shape}; {values:,} values {where}"
    return (
        f"cannot split touching objects of {layer.name!r}: it is a chunked map ({size}), "
        "read chunk by chunk from disk or dask, and the split needs the "
        f"whole map in memory at once: the dock reads at most {SPLIT_READ_LIMIT:,} values "
        f'for it. {outcome} Untick "split touching objects (watershed)" '
        f"in the Threshold tab {unsplit}, or "
        "split a cropped map (a smaller layer); the command line (napari-seg-eval evaluate "
        "--probability --split-touching) reads the whole mask of each file into memory."
    )


def read_whole(levels: Sequence[Any]) -> list[Any]:
    """The chunked (dask, zarr) ``levels`` of a map read into memory as numpy arrays, the
    others as they are: for the split of touching objects, which needs the whole map (see
    :func:`split_refusal` for the size read). Runs in the preview's worker.

    Examples
    --------
    >>> import dask.array as da
    >>> [type(level).__name__ for level in read_whole([da.zeros((4, 4)), np.zeros((2, 2))])]
    ['ndarray', 'ndarray']
    """
    lazy = [index for index, level in enumerate(levels) if is_lazy(level)]
    read = dict(zip(lazy, compute(*(as_dask(levels[index]) for index in lazy)), strict=True))
    return [read.get(index, level) for index, level in enumerate(levels)]


#: A region of a preview: (level, one slice per axis of the preview).
Region = tuple[int, tuple[slice, ...]]


def shown_regions(layer: Image, drop_axis: int | None = None) -> list[Region]:
    """The parts of a preview of ``layer`` that napari reads as soon as the preview is shown.

    The preview sits on the layer's pixels (without the class axis ``drop_axis``), so napari
    chooses for it the level and tiles it chose for ``layer`` at its last draw: the coarsest
    level's plane at the current slice (its thumbnail, and what a fresh pyramid shows first),
    and the tiles in view of the level shown. A single-scale preview is read by the plane,
    unless it is too large to be shown (then it is added hidden and nothing is read).
    Along the axes not displayed, the plane at the current slice.

    Parameters
    ----------
    layer : napari.layers.Image
        The probability layer (read on the main thread: its level, corners and slice).
    drop_axis : int, optional
        The class axis of ``layer``'s data, which the preview does not have (napari's RGB
        axis of an RGB layer is not one of the layer's axes: nothing to drop).

    Returns
    -------
    list of (level, slices)
        Regions of the preview's levels, one slice per axis of the preview.

    Examples
    --------
    >>> from napari.layers import Image
    >>> shown_regions(Image(np.zeros((3, 4, 5)), name="prob"))
    [(0, (slice(0, 1, None), slice(0, 4, None), slice(0, 5, None)))]
    """
    shapes = [tuple(int(n) for n in shape) for shape in layer.level_shapes]
    factors = layer.downsample_factors if layer.multiscale else np.ones((1, layer.ndim))
    try:  # napari's slice of the layer (private): without it, nothing is computed ahead
        displayed = set(layer._slice_input.displayed)
        point = np.nan_to_num(np.asarray(layer._data_slice.point, dtype=float))
        ndisplay = layer._slice_input.ndisplay
    except AttributeError:
        return []
    rgb = drop_axis is not None and is_rgb_axis(layer, drop_axis)
    dropped = None if drop_axis is None or rgb else drop_axis % layer.ndim

    def region(level: int, bounds: dict[int, tuple[int, int]]) -> tuple[slice, ...]:
        slices = []
        for axis, size in enumerate(shapes[level]):
            if axis == dropped:
                continue
            if axis in displayed:
                slices.append(slice(*bounds.get(axis, (0, size))))
                continue
            at = point[axis] / factors[level][axis]  # napari rounds: either neighbour
            low, high = np.clip([np.floor(at), np.round(at)], 0, size - 1).astype(int)
            slices.append(slice(int(low), int(high) + 1))
        return tuple(slices)

    coarsest = len(shapes) - 1
    regions = [(coarsest, region(coarsest, {}))]
    if not layer.multiscale:
        plane = np.prod([shapes[0][axis] for axis in displayed if axis != dropped])
        return regions if plane <= result_layers.SHOWN_LAZILY_MAX_PIXELS else []
    if ndisplay == 2 and layer.data_level != coarsest:
        corners = np.asarray(layer.corner_pixels, dtype=int)
        bounds = {axis: (corners[0, axis], corners[1, axis] + 1) for axis in displayed}
        regions.append((layer.data_level, region(layer.data_level, bounds)))
    return regions


def _preview(
    levels: Sequence[Any],
    threshold: float,
    options: ThresholdOptions,
    multiscale: bool,
    whole: bool,
    *,
    plane_axis: int | None = None,
) -> Any:
    """The preview labels of a map's ``levels`` (of each level of a ``multiscale`` map, see
    :func:`preview_levels`; else of its one level), the map first read into memory when
    ``whole`` (:func:`read_whole`: to split a chunked map's touching objects). Instance
    labels with ``plane_axis`` (an axis of the preview) are labelled plane by plane
    (:func:`plane_preview_levels`). Runs in the preview's worker."""
    if whole:
        levels = read_whole(levels)
    if plane_axis is not None and options.output == "instance":
        planes = plane_preview_levels(levels, threshold, options, plane_axis)
        return planes if multiscale else planes[0]
    if multiscale:
        return preview_levels(levels, threshold, options)
    return labels_from_probability(levels[0], threshold, options)


def plane_preview_levels(
    levels: Sequence[Any], threshold: float, options: ThresholdOptions, plane_axis: int
) -> list[Any]:
    """Instance labels of each of a map's ``levels`` labelled plane by plane along
    ``plane_axis`` (an axis of the labels, the map's without its class axis): objects never
    join across planes (time frames) and each plane is split on its own, as a run labels them
    (:func:`~napari_seg_eval.evaluation.instance_labels` with ``plane_axis``). Each level
    as :func:`~napari_seg_eval.evaluation.preview_levels` makes it (``min_size`` scaled to
    its pixel area, ``spacing`` to its pixel size).

    Examples
    --------
    >>> prob = np.array([[[0.9, 0.1, 0.9]], [[0.9, 0.9, 0.1]]])
    >>> options = ThresholdOptions(output="instance", connectivity=2)
    >>> plane_preview_levels([prob], 0.5, options, 0)[0].ravel().tolist()
    [1, 0, 2, 3, 3, 0]
    """
    semantic = preview_levels(levels, threshold, replace(options, output="semantic"))
    full = np.prod(levels[0].shape, dtype=float)
    ndim = len(levels[0].shape)
    classes = None if options.channel_axis is None else options.channel_axis % ndim
    pixel_axes = [axis for axis in range(ndim) if axis != classes]
    out = []
    for level, labels in zip(levels, semantic, strict=True):
        spacing = options.spacing
        if spacing is not None and len(spacing) == len(pixel_axes):  # a coarser pixel's size
            spacing = tuple(
                size * levels[0].shape[axis] / level.shape[axis]
                for size, axis in zip(spacing, pixel_axes, strict=True)
            )
        factor = full / np.prod(level.shape, dtype=float)
        min_size = int(np.ceil(options.min_size / factor))
        scaled = replace(options, min_size=min_size, spacing=spacing)
        out.append(instance_labels(labels, scaled, plane_axis))
    return out


def computed_where_shown(
    make: Callable[[], Any], regions: list[Region], *, control: RunControl
) -> Any:
    """``make()`` (lazy labels, or a list of levels) with the chunks of ``regions`` computed.

    Runs in the preview's worker; a superseded preview stops within one dask task. The labels
    are the same arrays (dask arrays stay dask arrays of the same chunks); only the blocks
    napari reads at once hold their values, so reading them on the main thread costs a copy.
    """
    with control.chunks(0.0, 1.0, "Preview"):
        data = make()
        levels = data if isinstance(data, list) else [data]
        wanted = sorted(
            {
                (level, index)
                for level, region in regions
                if level < len(levels) and isinstance(levels[level], da.Array)
                for index in _blocks_in(levels[level].chunks, region)
            }
        )
        values = compute(*(levels[level].blocks[index] for level, index in wanted))
    computed: dict[int, dict[tuple[int, ...], np.ndarray]] = {}
    for (level, index), value in zip(wanted, values, strict=True):
        computed.setdefault(level, {})[index] = value
    filled = [
        _with_blocks(array, computed[level]) if level in computed else array
        for level, array in enumerate(levels)
    ]
    return filled if isinstance(data, list) else filled[0]


def _blocks_in(chunks: tuple[tuple[int, ...], ...], region: tuple[slice, ...]):
    """The block indices of a chunk grid that overlap ``region`` (one slice per axis)."""
    per_axis = []
    for sizes, part in zip(chunks, region, strict=True):
        edges = np.cumsum((0, *sizes))
        per_axis.append(
            [i for i in range(len(sizes)) if edges[i] < part.stop and edges[i + 1] > part.start]
        )
    return itertools.product(*per_axis)


def _with_blocks(array: da.Array, values: dict[tuple[int, ...], np.ndarray]) -> da.Array:
    """``array`` with the blocks in ``values`` replaced by their computed values (the rest of
    the graph untouched: lazy)."""
    name = f"computed-{tokenize(array, sorted(values))}"
    grid = itertools.product(*(range(len(sizes)) for sizes in array.chunks))
    graph = {(name, *index): values.get(index, (array.name, *index)) for index in grid}
    layers = HighLevelGraph.from_collections(name, graph, dependencies=[array])
    return da.Array(layers, name, array.chunks, meta=array._meta)


def _min_max(data: Any) -> tuple[float, float]:
    """The lowest and highest value, in one pass (lazily computed for dask and zarr data)."""
    if isinstance(data, np.ndarray):
        return float(data.min()), float(data.max())
    import dask.array as da

    lazy = data if isinstance(data, da.Array) else da.from_array(data, chunks="auto")
    low, high = compute(lazy.min(), lazy.max())
    return float(low), float(high)


#: The most values of a chunked (dask, zarr) level 0 that :meth:`convert_logits` reads on
#: the main thread to tell logits from probabilities (64 Ki: half a megabyte of float64,
#: read in milliseconds); a larger one is read in a worker.
MAIN_THREAD_VALUES = 1 << 16


def _in_unit_range(low_high: tuple[float, float]) -> bool:
    """Whether the lowest and highest values lie in [0, 1] (False with a NaN)."""
    return low_high[0] >= 0.0 and low_high[1] <= 1.0


@dataclass(frozen=True)
class ValueRange:
    """What :meth:`ConfidenceDisplayPanel.convert_logits` reads of a map's values.

    ``low`` and ``high`` are its lowest and highest value (NaN when it holds NaN);
    ``nan_count`` how many NaN values it holds (0 when none, or not counted) and
    ``first_nan`` the index of the first (None when none, or not cheap to find).
    """

    low: float
    high: float
    nan_count: int = 0
    first_nan: tuple[int, ...] | None = None

    @property
    def has_nan(self) -> bool:
        """Whether the values hold NaN."""
        return bool(np.isnan(self.low) or np.isnan(self.high) or self.nan_count)

    @property
    def shows_logits(self) -> bool:
        """Whether the values, free of NaN, leave [0, 1]."""
        return not self.has_nan and not _in_unit_range((self.low, self.high))


def _level_range(data: Any) -> ValueRange:
    """The range of one level and, only when it holds NaN, how many: of numpy data with the
    index of the first; of chunked data in a second pass (where they are is not looked for:
    that may read every chunk once more)."""
    if isinstance(data, np.ndarray):
        low, high = _min_max(data)
        if not (np.isnan(low) or np.isnan(high)):
            return ValueRange(low, high)
        return ValueRange(low, high, *nan_places(data))
    low, high = _min_max(data)
    if not (np.isnan(low) or np.isnan(high)):
        return ValueRange(low, high)
    lazy = data if isinstance(data, da.Array) else da.from_array(data, chunks="auto")
    (count,) = compute(da.isnan(lazy).sum())
    return ValueRange(low, high, int(count))


def _range_now(levels: list[Any]) -> ValueRange | None:
    """What can be told on the main thread of a map's range, its resolution ``levels``
    given (one level if not multiscale), or None: it needs a read of chunked data, for the
    worker (:func:`_range_read`).

    The smallest level of a pyramid, when it is a numpy array, is read first: values outside
    [0, 1] there (and no NaN) lie in level 0 too (a smaller level is a subsample or mean of
    level 0), so they show logits, unless level 0 holds NaN, which a smaller level need not
    show: level 0 is then looked at for NaN (:func:`_with_nan_of`). Inside [0, 1], or with
    NaN, they prove nothing (a smoothed level of logits can lie there): level 0 decides. Level
    0 is read here when it is a numpy array or a chunked one of at most
    :data:`MAIN_THREAD_VALUES` values, else in the worker. A chunked smallest level is
    never read here: built lazily from level 0 (e.g. ``level0[::16, ::16]``), it reads every
    chunk of level 0.

    Examples
    --------
    >>> import dask.array as da
    >>> logits = np.linspace(-4.0, 5.0, 16).reshape(4, 4)
    >>> found = _range_now([logits, np.full((2, 2), 0.5)])  # level 0 decides
    >>> found.low, found.high
    (-4.0, 5.0)
    >>> _range_now([logits, logits[::2, ::2]]).shows_logits  # and no NaN in level 0
    True
    >>> _range_now([da.from_array(np.zeros((512, 512))), logits[::2, ::2]]) is None  # NaN?
    True
    >>> _range_now([da.from_array(np.zeros((512, 512))), np.full((2, 2), 0.5)]) is None
    True
    >>> with_nan = np.array([[0.5, np.nan], [np.nan, 0.25]])
    >>> found = _range_now([with_nan])
    >>> found.has_nan, found.nan_count, found.first_nan
    (True, 2, (0, 1))
    """
    smallest, full = levels[-1], levels[0]
    readable = (
        isinstance(full, np.ndarray) or np.prod(full.shape, dtype=np.int64) <= MAIN_THREAD_VALUES
    )
    if len(levels) > 1 and isinstance(smallest, np.ndarray):
        low, high = _min_max(smallest)
        if ValueRange(low, high).shows_logits:
            # logits, unless level 0 holds NaN (its smaller levels may not show them)
            return _with_nan_of(ValueRange(low, high), full) if readable else None
    if readable:
        return _level_range(full)
    return None


def _with_nan_of(found: ValueRange, full: Any) -> ValueRange:
    """``found`` (the range of a pyramid's smallest level, showing logits) with the NaN values
    of its level 0 ``full``: how many, and where the first is for numpy data (one pass over
    ``full``, chunk by chunk when it is chunked).

    Examples
    --------
    >>> full = np.array([[-2.0, np.nan], [3.0, 1.0]])
    >>> _with_nan_of(ValueRange(-2.0, 3.0), full).first_nan
    (0, 1)
    >>> _with_nan_of(ValueRange(-2.0, 3.0), -full[:, :1]).has_nan
    False
    """
    if isinstance(full, np.ndarray):
        count, first = nan_places(full)
    elif np.dtype(full.dtype).kind != "f":
        count, first = 0, None
    else:
        lazy = full if isinstance(full, da.Array) else da.from_array(full, chunks="auto")
        (total,) = compute(da.isnan(lazy).sum())
        count, first = int(total), None
    return replace(found, nan_count=count, first_nan=first) if count else found


def _range_read(levels: list[Any]) -> ValueRange:
    """The range that tells logits from probabilities, read in a worker: of a pyramid's
    smallest level when it shows logits, with the NaN values of level 0 (read block by block:
    :func:`_with_nan_of`), else of level 0 (see :func:`_range_now`)."""
    if len(levels) > 1:
        low, high = _min_max(levels[-1])
        if ValueRange(low, high).shows_logits:
            return _with_nan_of(ValueRange(low, high), levels[0])
    return _level_range(levels[0])


def _converted(data: Any, channel_axis: int | None) -> Any:
    """Sigmoid (no class axis) or softmax over ``channel_axis``; lazy data stays lazy."""
    if isinstance(data, np.ndarray):
        return sigmoid(data) if channel_axis is None else softmax(data, channel_axis=channel_axis)
    import dask.array as da

    lazy = data if isinstance(data, da.Array) else da.from_array(data, chunks="auto")
    kind = np.result_type(lazy.dtype, np.float32)
    if channel_axis is None:
        return lazy.map_blocks(sigmoid, dtype=kind)
    whole = lazy.rechunk({channel_axis: -1})  # softmax needs every class of a pixel
    return whole.map_blocks(partial(softmax, channel_axis=channel_axis), dtype=kind)
