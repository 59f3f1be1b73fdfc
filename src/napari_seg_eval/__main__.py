"""Command line: ``napari-seg-eval evaluate TRUTH PREDICTION`` evaluates files or folders and
writes a result folder; ``napari-seg-eval report`` prints the metrics of the sample data;
``napari-seg-eval sample FOLDER`` writes sample folders to evaluate; ``napari-seg-eval demo``
opens napari with the sample data and the dock widget."""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import logging
import os
import re
import shlex
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, NoReturn, TextIO

from .io.progress import TextProgress

#: Seconds to wait for a dask scheduler given with --scheduler before giving up.
CONNECT_TIMEOUT = 5.0

#: What ``napari-seg-eval --help`` says (plain text: argparse prints it as it is).
DESCRIPTION = (
    "Evaluate segmentations: 'napari-seg-eval evaluate TRUTH PREDICTION' evaluates files or "
    "folders and writes a result folder; 'napari-seg-eval report' prints the metrics of the "
    "sample data; 'napari-seg-eval sample FOLDER' writes sample folders to evaluate; "
    "'napari-seg-eval demo' opens napari with the sample data and the dock widget."
)

#: The values of the flags whose default is None on the command line, so that a flag typed is
#: told from one left out (see :func:`_probability_flags`): evaluate_files' own defaults.
DEFAULTS = {"threshold": 0.5, "connectivity": 1, "min_size": 0}

#: The flags for probability maps, by their keywords: nothing reads them unless the predictions
#: are probability maps (label images are compared as they are), the last three unless the
#: instance metrics are computed (the map labelled into objects).
PROBABILITY_FLAGS = {
    "threshold": "--threshold",
    "channel_axis": "--channel-axis",
    "background_channel": "--background-channel",
    "connectivity": "--connectivity",
    "min_size": "--min-size",
    "split_touching": "--split-touching",
}
OBJECT_FLAGS = ("connectivity", "min_size", "split_touching")

#: What --preset ctc assumes of the files, said before it evaluates them.
CTC_FRAMES = (
    "--preset ctc: each file is one frame, a 2-D image or a 3-D volume (a 3-D file is matched "
    "as a volume); a truth slice man_seg_T_Z.tif is scored on plane Z of maskT.tif (SEG only: "
    "DET needs the tracking markers TRA/man_track*.tif, not read). DET is computed on the "
    "truth given: the challenge's DET is that of its TRA markers (evaluate 01_GT/TRA with "
    "--truth-prefix man_track), its SEG that of 01_GT/SEG. A file whose metadata names a "
    "time axis fails; a time series without such metadata would be matched as one volume: "
    "save one file per time point."
)

#: Files of each list left out of the pairing printed before "... and N more" (all of them
#: are in the result folder's settings.json).
LISTED_FILES = 10

#: The HTML report's file name in the result folder when --report is given without a name.
REPORT_NAME = "report.html"

#: Exit codes: success, some pairs failed (results written), bad input or setup (nothing
#: written), interrupted with Ctrl-C (nothing written), stopped by SIGTERM (a scheduler's or
#: ``timeout``'s stop; nothing written): 128 + the signal's number, as a shell reports it.
EXIT_OK, EXIT_FAILED_PAIRS, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM
#: The output's reader went away (``| head``): the code of a writer SIGPIPE ends.
EXIT_BROKEN_PIPE = 128 + 13


def report(threshold: float = 0.5) -> str:
    """The metric tables of the built-in sample data at ``threshold``, as text."""
    import pandas as pd

    from . import (
        instance_metrics,
        label_instances,
        make_sample_data,
        semantic_metrics,
        threshold_probabilities,
    )

    data = make_sample_data()
    mask = threshold_probabilities(data["probability"], threshold)
    semantic = semantic_metrics(data["ground_truth"] > 0, mask)
    instance = instance_metrics(data["ground_truth"], label_instances(mask, connectivity=1))
    mistakes = instance.per_object[instance.per_object["status"] != "TP"]
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.precision", 3):
        return (
            f"Sample data, probability threshold {threshold}\n\n"
            f"Semantic (foreground vs background)\n{semantic!r}\n\n"
            f"Instance (one-to-one matching)\n{instance!r}\n\n"
            f"Objects at IoU 0.5 that went wrong\n"
            f"{mistakes.to_string(index=False)}\n"
        )


def open_demo(viewer):
    """Load the sample data into ``viewer`` and set the dock widget up to review it.

    The probability map is coloured by confidence with its thresholded preview above it, the
    ground truth is hidden (so the colours show), and the view is fitted to the image once the
    dock has taken its place. Returns the dock widget.
    """
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication

    viewer.open_sample("napari-seg-eval", "nuclei")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("nuclei probability")
    widget.apply_confidence_colormap()
    widget.set_ground_truth("nuclei ground truth")
    widget.set_prediction("nuclei probability")
    widget.output_combo.setCurrentText("instance")
    widget.update_threshold_layer(wait=True)
    viewer.layers["nuclei ground truth"].visible = False
    viewer.layers.selection.active = viewer.layers["nuclei probability"]
    # Fit the view only once the dock is shown and the canvas has its final size; again when
    # the event loop starts (a window shown later gets its size then).
    QApplication.processEvents()
    viewer.reset_view()
    QTimer.singleShot(0, viewer.reset_view)
    return widget


NO_DISPLAY = (
    "napari-seg-eval demo: no display to open napari on (DISPLAY and WAYLAND_DISPLAY are not "
    "set). On a machine without a screen, 'napari-seg-eval report' prints the sample's "
    "metrics and 'napari-seg-eval evaluate' evaluates files; or run the demo under "
    "'xvfb-run -a napari-seg-eval demo'."
)


def has_display(environ: dict[str, str] | None = None) -> bool:
    """False on Linux without an X or Wayland display (and no Qt platform chosen), where Qt
    would abort instead of opening a window; True elsewhere."""
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def demo() -> None:
    """Open napari with the sample data and the Segmentation Evaluation dock widget."""
    if not has_display():
        raise SystemExit(NO_DISPLAY)
    import napari
    from qtpy.QtWidgets import QApplication

    viewer = napari.Viewer(title="napari-seg-eval demo")
    screen = QApplication.primaryScreen().availableGeometry()
    viewer.window.resize(*demo_window_size(screen.width(), screen.height()))
    open_demo(viewer)
    napari.run()


#: The demo window's size where the screen has room: the docs' screenshots are of it (napari
#: opens at about 1066 x 651, where the dock leaves the image a strip ~140 pixels wide).
DEMO_WINDOW = (1500, 1000)


def demo_window_size(screen_width: int, screen_height: int) -> tuple[int, int]:
    """The demo window's size on a screen with this much room: :data:`DEMO_WINDOW`, or 90 % of
    the room on a smaller screen.

    Examples
    --------
    >>> demo_window_size(1920, 1200)
    (1500, 1000)
    >>> demo_window_size(1280, 720)
    (1152, 648)
    """
    width, height = DEMO_WINDOW
    return min(width, int(screen_width * 0.9)), min(height, int(screen_height * 0.9))


def _add_evaluate_parser(commands) -> None:
    parser = commands.add_parser(
        "evaluate",
        help="evaluate prediction files against ground-truth files",
        description="Evaluate predictions against ground truth: two files, or two folders "
        "whose files are paired by name (TIFF, PNG, NPY, zarr/OME-Zarr). Writes a result "
        "folder with per_image.csv, summary.csv, settings.json (the settings as Python's "
        "evaluate_files keywords, and the pairs: enough to run it again) and, for each of "
        "instance and semantic metrics computed (--kind), <kind>_pooled.csv, "
        "<kind>_image_mean.csv and <kind>_per_image_rows.csv (each image's per-threshold or "
        "per-class counts). Class images (--truth-classes-suffix) add "
        "instance_per_class_pooled.csv, instance_per_class_image_mean.csv and "
        "instance_class_confusion.csv; boundary metrics (--boundary, --kind boundary) "
        "boundary_image_mean.csv and boundary_per_class.csv; --preset ctc ctc_pooled.csv and "
        "ctc_image_mean.csv; --preset coco coco_pooled.csv and coco_image_mean.csv; --report "
        f"without a file name {REPORT_NAME}. Exit code: 0 done, 1 some or all pairs failed (see "
        "per_image.csv), 2 bad input (nothing written), 130 interrupted with Ctrl-C, 143 "
        "stopped by SIGTERM (nothing written), 141 the output's reader gone before the "
        "results were written (`| head`; nothing written). "
        "No data yet? 'napari-seg-eval sample FOLDER' writes sample folders to try.",
    )
    parser.add_argument("truth", metavar="TRUTH", help="ground-truth file or folder")
    parser.add_argument("prediction", metavar="PREDICTION", help="prediction file or folder")
    parser.add_argument(
        "--out", default="seg-eval-results", help="result folder to create (default: %(default)s)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing result folder at --out (refused if it holds anything but "
        "results: input files, files of your own)",
    )
    parser.add_argument(
        "--report",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help=f"also write a self-contained HTML report: to FILE (relative to the current "
        f"folder; an existing FILE is replaced only with --overwrite), or with no FILE to "
        f"{REPORT_NAME} in the --out folder",
    )
    parser.add_argument(
        "--kind",
        choices=["instance", "semantic", "all", "boundary"],
        default=None,
        help="metrics to compute (default: instance); 'all' is instance and semantic, "
        "'boundary' is boundary metrics only (see --boundary)",
    )
    parser.add_argument(
        "--iou-thresholds",
        default=None,
        help="start:stop:step (stop included) or a list such as 0.5,0.75 (default: 0.5:0.95:0.05)",
    )
    parser.add_argument(
        "--probability",
        action="store_true",
        help="predictions are probability maps (needed by --threshold, --channel-axis, "
        "--background-channel, --connectivity, --min-size and --split-touching)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help=f"foreground where p > T (default: {DEFAULTS['threshold']})",
    )
    parser.add_argument(
        "--channel-axis",
        type=int,
        default=None,
        help="class axis of multi-class probabilities: each pixel is the class of its most "
        "probable channel, channel k being class k + 1 (class k with --background-channel); "
        "needs --probability (default: the channel axis OME-Zarr maps declare, when every "
        "map is OME-Zarr; else none, one class)",
    )
    parser.add_argument(
        "--background-channel",
        action="store_true",
        help="with a class axis (--channel-axis, or the one OME-Zarr maps declare): channel "
        "0 is background (a softmax with a background "
        "channel, e.g. nnU-Net's), so channel k is class k and pixels whose most probable "
        "channel is 0 are background, in no object (default: channel k is class k + 1)",
    )
    parser.add_argument(
        "--confidence-interval",
        type=float,
        default=None,
        metavar="C",
        help="e.g. 0.95: bootstrap intervals over the images (*_low, *_high in summary.csv; "
        "empty for a value from fewer than 2 images; default: none)",
    )
    parser.add_argument(
        "--connectivity",
        type=int,
        default=None,
        help="objects of a probability map: 1 joins faces only (default, as the widget); "
        "the number of dimensions joins diagonal neighbours too",
    )
    parser.add_argument(
        "--min-size",
        type=int,
        default=None,
        help=f"objects of a probability map: drop smaller ones (default: {DEFAULTS['min_size']})",
    )
    parser.add_argument(
        "--split-touching",
        action="store_true",
        help="objects of a probability map: split touching ones (watershed of the distance "
        "to the background, measured at --spacing's pixel size when given, e.g. 2,0.5,0.5 or "
        "file for a z,y,x stack; default: pixels)",
    )
    parser.add_argument(
        "--ignore-label", type=int, default=None, help="truth id left out (default: none)"
    )
    parser.add_argument(
        "--exclude-border",
        type=int,
        default=None,
        metavar="B",
        help="remove objects touching a band of B pixels at the image edge from both sides "
        "(default: 0, none)",
    )
    parser.add_argument(
        "--criterion",
        choices=["iou", "iot", "iop"],
        default=None,
        help="instance matching: IoU >= t (default), intersection over truth > t (the Cell "
        "Tracking Challenge's rule) or intersection over prediction > t",
    )
    parser.add_argument(
        "--preset",
        choices=["dsb2018", "neurips2022", "ctc", "conic", "coco"],
        default=None,
        help="a challenge's settings: sets --kind, --iou-thresholds, --exclude-border and "
        "--criterion (default: none). conic needs --truth-classes-suffix and "
        "--prediction-classes-suffix (objects of class 0, background, are in no class); ctc "
        "adds SEG and DET (each file one frame, a 2-D image or a 3-D volume; pooled from the "
        "summed counts) and, given no prefix nor suffix, pairs the challenge's names "
        "(man_seg000.tif with mask000.tif); coco needs --probability (an "
        "object's score is its mean probability) and adds COCO AP, pooled as pycocotools "
        "accumulates detections over images",
    )
    parser.add_argument(
        "--class-labels",
        action="store_true",
        help="semantic and boundary: compare label values as classes (default: foreground vs "
        "background)",
    )
    parser.add_argument(
        "--exclude-background",
        action="store_true",
        help="semantic: leave class 0 out of the means over classes (mean IoU, Dice, "
        "precision, recall), still reported per class; MONAI's include_background=False "
        "(default: class 0 counts in the means). Foreground vs background: the means are the "
        "foreground's",
    )
    parser.add_argument(
        "--boundary",
        action="store_true",
        help="also boundary metrics per image (HD, HD95, ASSD, NSD, boundary F1 of the "
        "foreground, or per class with --class-labels; with instance metrics also their means "
        "over the object pairs matched at IoU 0.5). Not additive: image means only, no pooled "
        "value. Each pair is held in memory; very large images are refused",
    )
    parser.add_argument(
        "--spacing",
        default=None,
        metavar="S[,S...]|file",
        help="pixel size of the boundary metrics (--boundary) and of --split-touching: one "
        "value per axis (e.g. 2,0.5,0.5 for z,y,x) or one for all; boundary distances are in "
        "its units, and touching objects are split measuring distances in them (default: 1 "
        "per axis, pixels). 'file': each pair's pixel size from its files' metadata (ImageJ "
        "or OME-TIFF resolution, OME-Zarr scale), when truth and prediction agree (a pair "
        "whose files disagree or give none fails); recorded per image in per_image.csv with "
        "--boundary",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=None,
        metavar="TAU",
        help="boundary: NSD and boundary F1 count boundary points within TAU of the other "
        "boundary, in the units of --spacing (default: 1.0)",
    )
    parser.add_argument(
        "--region",
        default=None,
        metavar="FILE",
        help="score only the pixels where this mask file is non-zero (one mask of the pairs' "
        "shape for every pair; default: every pixel)",
    )
    parser.add_argument(
        "--region-suffix",
        default=None,
        metavar="SUFFIX",
        help="each pair's own region mask: beside its truth file T, T's name + SUFFIX or the "
        "pair's name + SUFFIX (any image extension), e.g. _region: man_seg000_region.tif or "
        "000_region.tif beside man_seg000.tif; with --region too, pixels count where both "
        "masks are non-zero (default: none)",
    )
    cluster = parser.add_mutually_exclusive_group()
    cluster.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="start a local dask cluster of N processes",
    )
    cluster.add_argument(
        "--scheduler",
        default=None,
        help="join a running dask scheduler at this address, e.g. tcp://10.0.0.5:8786 (not "
        f"its dashboard's); stops with an error if it does not answer within "
        f"{CONNECT_TIMEOUT:g} s",
    )
    parser.add_argument(
        "--truth-suffix", default="", help="end of truth file names, e.g. _masks (default: none)"
    )
    parser.add_argument(
        "--prediction-suffix",
        default="",
        help="end of prediction file names, e.g. _cp_masks (default: none)",
    )
    parser.add_argument(
        "--truth-prefix",
        default="",
        help="start of truth file names, e.g. man_seg for the Cell Tracking Challenge's "
        "man_seg000.tif (default: none)",
    )
    parser.add_argument(
        "--prediction-prefix",
        default="",
        help="start of prediction file names, e.g. mask for mask000.tif (default: none)",
    )
    parser.add_argument(
        "--truth-classes-suffix",
        default=None,
        help="class images of the truth: beside each truth file, its name + this suffix, or "
        "the pair's name + this suffix (e.g. _classes: man_seg000_classes.tif or "
        "000_classes.tif); multi-class instance results (default: none). With --probability "
        "--channel-axis and no --prediction-classes-suffix, the predicted objects' classes are "
        "the map's own (its thresholded argmax; settings.json: prediction_classes_from_map)",
    )
    parser.add_argument(
        "--prediction-classes-suffix",
        default=None,
        help="class images of the predictions, beside each prediction file, named as for "
        "the truth (default: none; needed unless the predictions are probability maps with "
        "--channel-axis)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar, no routine notes and no summary; files left unpaired, failed "
        "pairs and the notes that say the numbers are likely wrong (a map's channel 0 likely "
        "background, class images scored as labels, a mask scored as labels, ...) are still "
        "said",
    )


def _settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`evaluate_files` from the command line (checked by
    :func:`file_settings`, see :func:`_checked_settings`; here only what the flags add)."""
    fixed = {
        "kind": args.kind,
        "iou_thresholds": args.iou_thresholds,
        "exclude_border": args.exclude_border,
        "criterion": args.criterion,
    }
    given = {key: value for key, value in fixed.items() if value is not None}
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}.")
    if args.preset is not None:
        typed = [*given, "exclude_background"] if args.exclude_background else list(given)
        _check_preset_flags(args.preset, typed)
    elif "iou_thresholds" in given:
        from .core.instance import parse_iou_thresholds

        try:
            given["iou_thresholds"] = parse_iou_thresholds(given["iou_thresholds"])
        except ValueError as error:
            raise ValueError(f"--iou-thresholds: {error}") from None
    boundary = {
        "boundary": args.boundary,
        "spacing": _spacing(args.spacing),
        "tolerance": 1.0 if args.tolerance is None else args.tolerance,
    }
    # --spacing is also the pixel size of --split-touching's split (--probability's objects).
    split_spacing = args.spacing is not None and args.split_touching
    unread = [
        flag
        for flag, value, read in (
            ("--spacing", args.spacing, split_spacing),
            ("--tolerance", args.tolerance, False),
        )
        if value is not None and not read
    ]
    if unread and not (args.boundary or args.kind == "boundary"):
        also = (
            " (--spacing is also the pixel size at which --probability --split-touching splits "
            "objects)"
            if "--spacing" in unread
            else ""
        )
        raise ValueError(
            f"{_listed(unread)} {'is' if len(unread) == 1 else 'are'} for boundary metrics: add "
            f"--boundary{also}."
        )
    return {
        **given,
        **boundary,
        "region": args.region,
        "region_suffix": args.region_suffix,
        "preset": args.preset,
        "probability": args.probability,
        "threshold": DEFAULTS["threshold"] if args.threshold is None else args.threshold,
        "channel_axis": args.channel_axis,
        "background_channel": args.background_channel,
        "connectivity": DEFAULTS["connectivity"]
        if args.connectivity is None
        else args.connectivity,
        "confidence_interval": args.confidence_interval,
        "min_size": DEFAULTS["min_size"] if args.min_size is None else args.min_size,
        "split_touching": args.split_touching,
        "ignore_label": args.ignore_label,
        "binarize_semantic": not args.class_labels,
        "include_background": not args.exclude_background,
        "truth_suffix": args.truth_suffix,
        "prediction_suffix": args.prediction_suffix,
        "truth_classes_suffix": args.truth_classes_suffix,
        "prediction_classes_suffix": args.prediction_classes_suffix,
        "truth_prefix": args.truth_prefix,
        "prediction_prefix": args.prediction_prefix,
    }


def _check_preset_flags(preset: str, given: list[str]) -> None:
    """Refuse the flags a preset leaves no room for, naming each and why, so that leaving
    them out is advice that works: those the preset sets (--kind, --iou-thresholds,
    --exclude-border, --criterion) and --exclude-background, whose semantic means a preset
    (instance metrics only) never computes. ``given``: the keywords of the flags typed."""
    if not given:
        return
    flags = ["--" + key.replace("_", "-") for key in given]
    fixed = ", ".join(flag for flag in flags if flag != "--exclude-background")
    if "--exclude-background" not in flags:
        them = "them" if len(flags) > 1 else "it"
        raise ValueError(f"--preset {preset} sets {fixed}; leave {them} out.")
    sets = f"sets {fixed} and " if fixed else ""
    raise ValueError(
        f"--preset {preset} {sets}computes instance metrics only, no semantic means to leave "
        f"class 0 out of: leave out {fixed + ' and ' if fixed else ''}--exclude-background."
    )


def _probability_flags(args: argparse.Namespace) -> list[str]:
    """The keywords of the :data:`PROBABILITY_FLAGS` typed (whatever their value)."""
    # Left out: None, or False for a store_true flag (by identity: --channel-axis 0 is typed).
    values = {key: getattr(args, key) for key in PROBABILITY_FLAGS}
    return [key for key, value in values.items() if value is not None and value is not False]


def _checked_probability_flags(args: argparse.Namespace, settings: dict[str, Any]) -> None:
    """Refuse the flags for probability maps where nothing reads them, naming each: every one
    of them without --probability, and those of the map's objects (--connectivity,
    --min-size, --split-touching) when no instance metrics are computed (--kind semantic or
    boundary). Their values are checked first, as with --probability (a bad number is named
    as such), by :func:`_checked_settings`."""
    typed = _probability_flags(args)
    if not args.probability:
        if typed:
            _checked_settings({**settings, "probability": True})
            flags = [PROBABILITY_FLAGS[key] for key in typed]
            raise ValueError(
                f"{_listed(flags)} {'is' if len(flags) == 1 else 'are'} for probability maps: "
                "add --probability."
            )
        return
    objects = [PROBABILITY_FLAGS[key] for key in typed if key in OBJECT_FLAGS]
    if objects and args.kind in ("semantic", "boundary"):
        one = len(objects) == 1
        raise ValueError(
            f"{_listed(objects)} {'is' if one else 'are'} for the objects the map is labelled "
            f"into, of instance metrics, and --kind {args.kind} computes none: use --kind "
            f"instance or --kind all, or leave {'it' if one else 'them'} out."
        )


def _listed(words: list[str]) -> str:
    """``words`` joined as a sentence lists them: "a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


#: The words of :class:`~napari_seg_eval.io.evaluate.FileSettings`' refusals that name Python's
#: keywords, and the command line's flags for them (longer phrases first).
_FLAG_WORDS = {
    "set probability=True": "add --probability",
    "give the channel_axis too": "add --channel-axis",
    "kind 'instance' or 'all'": "--kind instance or --kind all",
    "kind 'semantic', classes compared": "--kind semantic --class-labels",
    "kind 'semantic' or 'all'": "--kind semantic or --kind all",
    "include_background=False": "--exclude-background",
    "probability=True": "--probability",
    "channel_axis": "--channel-axis",
    "background_channel": "--background-channel",
    "truth_classes_suffix": "--truth-classes-suffix",
    "prediction_classes_suffix": "--prediction-classes-suffix",
    "prediction_classes_from_map": "the predicted classes from the maps",
    "threshold must be": "--threshold must be",
    "IoU thresholds must be": "--iou-thresholds must be",
    "iou_thresholds": "--iou-thresholds",
    "min_size": "--min-size",
    "exclude_border": "--exclude-border",
    "ignore_label": "--ignore-label",
    "confidence_interval": "--confidence-interval",
    "tolerance must be": "--tolerance must be",
    "spacing must be": "--spacing must be",
}
_FLAG_PATTERN = re.compile("|".join(rf"(?<!\w){re.escape(words)}(?!\w)" for words in _FLAG_WORDS))


def _checked_settings(settings: dict[str, Any]) -> None:
    """Check the settings as :func:`evaluate_files` will (:func:`file_settings`, where the
    rules are), before any file is listed; a refusal names the flags typed, not Python's
    keywords (:data:`_FLAG_WORDS`). --background-channel without --channel-axis waits for
    the class axis the maps declare (:func:`~napari_seg_eval.io.evaluate.declared_class_axis`,
    once the files are paired)."""
    from .io.evaluate import background_channel_held, file_settings

    held = background_channel_held(
        settings["probability"], settings["background_channel"], settings["channel_axis"]
    )
    try:
        file_settings(
            **{**settings, "background_channel": settings["background_channel"] and not held}
        )
    except ValueError as error:
        message = _FLAG_PATTERN.sub(lambda found: _FLAG_WORDS[found.group()], str(error))
        raise ValueError(message) from None


def _truth_ndim(path: str | Path) -> int | None:
    """The number of axes of the label image in the truth file ``path``, from its header
    where the format allows (PNG is read whole); None where it cannot be opened (the run
    says why) and for a colour image (stored as RGB: the run reads one channel of it, or
    refuses it, and its notice says what the samples may be: a volume of 3 or 4 planes)."""
    from .io.read import _colour_samples, open_files

    try:
        ((array, _),) = open_files([path], labels=[True], metadata=False, lazy=[True])
        if _colour_samples(array, path) is not None:
            return None
    except Exception:  # whatever the file meets: the pair's own error says it
        return None
    return len(array.shape)


def _checked_spacing_length(
    pairing: Any, spacing: tuple[float, ...] | str | None, typed: str | None
) -> None:
    """Refuse a --spacing of one value per axis that fits no pair, before the run: the
    truth files' headers are read in order until one has as many axes as the spacing has
    values (in a folder of 2-D and 3-D images, a spacing that fits some pairs is left to
    the run, which fails the others with their error). A truth file that cannot be opened
    leaves the question open (it may be readable where the run reads it: a cluster's
    workers); nothing is refused then."""
    if not isinstance(spacing, tuple) or len(spacing) == 1:
        return
    found: dict[int, str] = {}  # number of axes: the first truth file of that many
    for (truth, _), name in zip(pairing.pairs, pairing.names, strict=True):
        ndim = _truth_ndim(truth)
        # A slice's truth scored on a plane of a volume takes the volume's spacing too.
        plane = pairing.plane(name) is not None
        if ndim is None or ndim == len(spacing) or (plane and ndim + 1 == len(spacing)):
            return
        found.setdefault(ndim, str(truth))
    from .io.evaluate import axes_example

    images = " and ".join(f"{ndim}-D (e.g. {path})" for ndim, path in sorted(found.items()))
    counts = " or ".join(str(ndim) for ndim in sorted(found))
    examples = ", ".join(axes_example(ndim) for ndim in sorted(found))
    raise ValueError(
        f"--spacing {typed} gives {len(spacing)} values, one per axis, but the truth images "
        f"are {images}: give {counts} values ({examples}), or one for every axis."
    )


def _pixel_size_note(
    truth: str | Path, *, boundary: bool = True, split: bool = False
) -> str | None:
    """The note that the truth file ``truth`` (the first pair's) gives a pixel size in its
    metadata, which ``boundary`` metrics and the ``split`` of touching objects
    (--split-touching) do not use without --spacing, in the command line's words; None
    where :func:`~napari_seg_eval.io.read.unused_pixel_size` (the rule the Dataset tab's
    note follows too) finds none to say.

    Examples
    --------
    >>> _pixel_size_note("no_such_file.tif") is None
    True
    """
    from .io.read import unused_pixel_size

    size = unused_pixel_size(truth, boundary=boundary, split=split)
    if size is None:
        return None
    sizes = ",".join(f"{value:.7g}" for value in size.sizes)
    unit = f" {size.unit}" if size.unit else ""
    uses = " and ".join(
        used
        for used, asked in (
            ("boundary distances", boundary),
            ("the split of touching objects (--split-touching)", split),
        )
        if asked
    )
    return (
        f"{truth} gives a pixel size of {sizes}{unit} in its metadata, but {uses} "
        f"{'are' if boundary else 'is'} in pixels "
        f"without --spacing: --spacing file uses each pair's pixel size from its files (or "
        f"give --spacing {sizes})."
    )


def _spacing(text: str | None) -> tuple[float, ...] | str | None:
    """--spacing's comma-separated numbers, or "file", or a clear error."""
    if text is None or text == "file":
        return text
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"--spacing takes numbers separated by commas (one per axis) or 'file', got {text!r}."
        ) from None


#: The address schemes of dask's network connections, whose address is HOST:PORT.
_NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")

#: Where --scheduler's errors say a scheduler's address looks like.
_ADDRESS_EXAMPLE = "give the scheduler's address, e.g. tcp://10.0.0.5:8786"


def _checked_cluster(args: argparse.Namespace) -> None:
    """Check --workers and --scheduler before any file is listed: dask.distributed is
    installed, and --scheduler's address is one dask can connect to (a known scheme, and for
    a network address a host and a port number)."""
    if args.workers is None and args.scheduler is None:
        return
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
        from distributed.comm.registry import get_backend
    except ImportError:
        raise ValueError(
            "--workers and --scheduler need dask.distributed: pip install "
            "'napari-seg-eval[distributed]'."
        ) from None
    if args.scheduler is None:
        return
    said = f"--scheduler {args.scheduler!r}"
    scheme, location = parse_address(args.scheduler)
    if scheme in ("http", "https"):
        raise ValueError(
            f"{said} is a web address (the dashboard's?), not a dask scheduler's: "
            f"{_ADDRESS_EXAMPLE}."
        )
    try:
        get_backend(scheme)
    except ValueError:
        raise ValueError(
            f"{said} has an unknown address scheme {scheme!r}; {_ADDRESS_EXAMPLE}."
        ) from None
    if scheme not in _NETWORK_SCHEMES:
        return
    try:
        host, port = parse_host_port(location)
    except ValueError:
        host, port = "", 0
    if not host or not 0 < port < 65536:
        raise ValueError(
            f"{said} is not HOST:PORT with a port number from 1 to 65535; {_ADDRESS_EXAMPLE}."
        )


def _reached_scheduler(address: str) -> None:
    """Connect to ``address`` and have dask's handshake answered, within
    :data:`CONNECT_TIMEOUT` seconds in all, or a clear error. dask's own connection bounds
    the connecting, not the answer: a server that accepts and says nothing (a dashboard's
    port) would hang it. Run before the client connects, so that the client meets a
    scheduler."""
    import asyncio

    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import get_backend
    from distributed.security import Security

    scheme, location = parse_address(address)
    # as the client connects: TLS needs dask's configured certificates (the connector's keywords)
    security = Security().get_connection_args("client")
    connected = False

    async def handshake() -> None:
        nonlocal connected
        connector = get_backend(scheme).get_connector()
        comm = await connector.connect(location, deserialize=True, **security)
        connected = True
        try:
            await comm.write(comm.handshake_info())
            await comm.read()
        finally:
            comm.abort()

    reached = f"cannot reach the dask scheduler at {address} within {CONNECT_TIMEOUT:g} s"
    other = f"the server at {address} is not a dask scheduler"
    try:
        asyncio.run(asyncio.wait_for(handshake(), CONNECT_TIMEOUT))
    except TimeoutError:
        if not connected:
            raise ValueError(f"{reached} (no answer to connecting).") from None
        raise ValueError(
            f"{reached}: it accepted the connection and did not answer (a dashboard's port, "
            f"by default 8787, is not the scheduler's); {_ADDRESS_EXAMPLE}."
        ) from None
    except OSError as error:
        if not connected:  # dask's words, without the connector's name before them
            said = re.sub(r"^in <[^>]*>: ", "", str(error)) or type(error).__name__
            raise ValueError(f"{reached} ({said}).") from None
        raise ValueError(f"{other}: it closed the connection; {_ADDRESS_EXAMPLE}.") from None
    except Exception as error:  # bytes that are not dask's messages: any error decoding them
        if not connected:  # e.g. TLS asked without certificates in dask's configuration
            said = re.sub(r"^in <[^>]*>: ", "", str(error)) or type(error).__name__
            raise ValueError(f"{reached} ({said}).") from None
        raise ValueError(f"{other}: its answer is not dask's; {_ADDRESS_EXAMPLE}.") from None


def _client(args: argparse.Namespace, stack) -> Any:
    """A dask.distributed client for --workers or --scheduler (closed by ``stack``), or None.
    The options are checked by :func:`_checked_cluster`. A scheduler's workers are waited for
    (said on the command's stream) and checked (see :func:`_checked_workers`). Once the
    client has lost its scheduler, distributed's client-side logs are dropped until it has
    closed (see :class:`_LossSaid`): the run's error says so."""
    if args.workers is None and args.scheduler is None:
        return None
    from distributed import Client, LocalCluster

    # Entered first: left once the client (and a cluster of its own) has closed.
    loss = stack.enter_context(_loss_said())
    if args.scheduler is not None:
        _reached_scheduler(args.scheduler)
        try:
            client = stack.enter_context(Client(args.scheduler, timeout=CONNECT_TIMEOUT))
        except Exception as error:  # whatever the connection meets, said as an error
            raise ValueError(
                f"cannot connect to the dask scheduler at {args.scheduler} ({error})."
            ) from None
        loss.client = client
        _checked_workers(client, args.scheduler, _stops_of(stack).stream)
        return client
    stops = _stops_of(stack)
    import psutil  # distributed's own requirement

    # Once the cluster has closed, a later stop is told that the run is cleaning up.
    stack.callback(setattr, stops, "doing", stops.doing)
    stops.doing = "closing the workers"
    stops.not_workers = {child.pid for child in psutil.Process().children(recursive=True)}
    # The workers forked meanwhile log no task that closing the cluster cancels.
    logger = logging.getLogger("distributed.worker.state_machine")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        # Held: a stop would leave the cluster half made. The workers forked meanwhile keep
        # this process's handler, unless the caller has its own (see _Stops).
        with _worker_start(), stops.held("starting the workers"):
            cluster = LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,  # no dashboard; its HTTP server on a free local port:
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            )
            stack.enter_context(cluster)  # closed however the run ends
    finally:
        logger.setLevel(level)
    loss.client = stack.enter_context(Client(cluster))
    return loss.client


class _LossSaid(logging.Filter):
    """Drops the records of dask.distributed's client-side loggers once the client is no
    longer running: its scheduler lost, which the run's error says in one line (distributed
    logs tracebacks of its reconnecting and closing, some 35 lines)."""

    #: The loggers that log the connection's loss in the client's process.
    NAMES = ("distributed.client", "distributed.batched", "distributed.core")

    def __init__(self) -> None:
        super().__init__()
        self.client: Any = None  # set once connected

    def filter(self, record: logging.LogRecord) -> bool:
        return self.client is None or self.client.status == "running"


@contextlib.contextmanager
def _loss_said():
    """A :class:`_LossSaid` on distributed's client-side loggers while the block runs."""
    said = _LossSaid()
    for name in _LossSaid.NAMES:
        logging.getLogger(name).addFilter(said)
    try:
        yield said
    finally:
        for name in _LossSaid.NAMES:
            logging.getLogger(name).removeFilter(said)


def _checked_workers(client: Any, address: str, stream: TextIO) -> None:
    """Check that every worker of the scheduler at ``address`` imports this napari-seg-eval
    version, or a ValueError naming the workers that do not and what to do.

    A worker without the package would leave the cluster at its first task; one with another
    version would compute with other code. The question needs nothing of this package on the
    worker (builtins only, see :data:`~napari_seg_eval.io.evaluate.WORKER_QUESTION`): it
    imports what the tasks import and answers the package's version. A worker gone meanwhile
    is left out (the run goes on without it). With no worker yet, that is said and the
    question is sent as a task, which a worker answers when one joins (an adaptive cluster
    starts one for it); the connection lost meanwhile is said so. A worker that joins later
    is asked by each task it is given: it is retired from the cluster, or the run stops
    with this error once no worker of this version is left (see
    :func:`~napari_seg_eval.io.evaluate._refused`)."""
    from distributed.comm import CommClosedError

    from .io.evaluate import WORKER_QUESTION, WrongWorkers, builtin_call, worker_wrong

    question = builtin_call(WORKER_QUESTION)
    if not client.nthreads():
        print(
            f"the dask scheduler at {address} has no workers yet: waiting for one (an "
            "adaptive cluster starts one for the run; Ctrl-C to stop).",
            file=stream,
            flush=True,
        )
        # A task, not a wait: an adaptive cluster starts workers for tasks only. Its answer
        # (or error) is the first worker's; all of them are asked below.
        with contextlib.suppress(Exception):
            client.submit(*question, pure=False).result()
        if client.status != "running":  # the scheduler gone while waiting
            raise _lost_waiting(address, "waiting for its first worker")
    wrong: dict[str, list[str]] = {}  # what is wrong: the workers it is wrong on
    for worker, answer in _asked(client, address, *question):
        if isinstance(answer, CommClosedError | TimeoutError):  # gone: not a verdict
            continue
        said = worker_wrong(answer)
        if said is not None:
            wrong.setdefault(said, []).append(worker)
    if wrong:
        raise WrongWorkers(address, wrong, "this command")


def _lost_waiting(address: str, doing: str) -> ConnectionError:
    """The connection to the scheduler at ``address`` lost before the run, while ``doing``
    (worded as :func:`~napari_seg_eval.io.evaluate._lost_error` words it mid-run)."""
    return ConnectionError(
        f"the connection to the dask scheduler ({address}) was lost while {doing}; nothing "
        "was written; start the scheduler again if it stopped, and rerun."
    )


def _asked(client: Any, address: str, function: Any, *args: Any) -> list[tuple[str, Any]]:
    """``function(*args)`` run on every worker of ``client``: (worker, its answer or the
    exception it raised), sorted; a ConnectionError if the scheduler was lost meanwhile, a
    ValueError if the workers cannot be asked otherwise."""
    try:
        return sorted(client.run(function, *args, on_error="return").items())
    except Exception as error:  # a worker gone meanwhile: the run would meet it too
        if client.status != "running":
            raise _lost_waiting(address, "asking its workers") from None
        raise ValueError(
            f"cannot ask the workers of the dask scheduler at {address} about napari-seg-eval "
            f"({type(error).__name__}: {error})."
        ) from None


def _worker_start():
    """The dask settings under which --workers starts its worker processes.

    Where processes can fork (Linux and the other POSIX systems but macOS), they are forked
    from this process, which has already imported numpy, pandas, dask and this package: a
    worker is ready in milliseconds instead of a second of imports (spawned, the default,
    each worker starts a new interpreter and imports everything again). distributed's
    ``MALLOC_TRIM_THRESHOLD_`` then has no effect (glibc reads it when a process starts), so
    freed memory is kept for the next pair as in a process of one's own. A start method
    chosen in dask's configuration (other than its default, spawn) is kept.
    """
    import multiprocessing

    import dask

    key = "distributed.worker.multiprocessing-method"
    if (
        sys.platform == "darwin"
        or "fork" not in multiprocessing.get_all_start_methods()
        or dask.config.get(key, "spawn") != "spawn"
    ):
        return contextlib.nullcontext()
    _forks_between_log_records()
    return dask.config.set({key: "fork"})


def _forks_between_log_records() -> None:
    """Make every fork of this process wait for the log records being written by its other
    threads (each logging handler's lock held across the fork), once per process.

    distributed forks the workers from a thread of its own while its event loop's thread logs:
    a fork in the middle of a record leaves the child a stream whose lock is held by a thread
    it does not have, and the worker hangs at its first record (seen under a test runner).
    logging itself only gives the child new handler locks, not a stream between records."""
    global _FORK_GUARDED
    if _FORK_GUARDED:
        return
    _FORK_GUARDED = True
    held: list[logging.Handler] = []

    def before() -> None:
        loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        handlers = {
            id(handler): handler
            for logger in loggers
            if isinstance(logger, logging.Logger)
            for handler in logger.handlers
        }
        for handler in handlers.values():
            handler.acquire()
            held.append(handler)

    def after_in_parent() -> None:
        while held:
            held.pop().release()

    def after_in_child() -> None:
        held.clear()  # logging gives the child's handlers new locks

    os.register_at_fork(
        before=before, after_in_parent=after_in_parent, after_in_child=after_in_child
    )


#: Whether :func:`_forks_between_log_records` has registered its fork hooks in this process.
_FORK_GUARDED = False


@contextlib.contextmanager
def _logs_held():
    """Yields a function that silences every log until the block ends, when logging is set
    back: dask.distributed's as a cluster closes after Ctrl-C (a scheduler removing its
    workers), and given the client of a cluster of its own (--workers), its workers' (a
    transfer cut), for a Ctrl-C sent to this process alone."""
    previous = logging.root.manager.disable

    def silence(workers: Any = None) -> None:
        logging.disable(logging.CRITICAL)
        if workers is not None:
            with contextlib.suppress(Exception):  # a worker gone: nothing to silence
                workers.run(logging.disable, logging.CRITICAL)

    try:
        yield silence
    finally:
        logging.disable(previous)


def evaluate(
    argv: list[str],
    args: argparse.Namespace,
    stream: TextIO | None = None,
    *,
    whole_process: bool = False,
) -> int:
    """Run ``napari-seg-eval evaluate``; returns the exit code. Ctrl-C and SIGTERM stop it
    cleanly, writing nothing (see :class:`_Stops`; ``whole_process``: the command is this
    process's, which a third stop may end at once)."""
    stream = stream or sys.stderr
    with _stops_caught(stream, whole_process=whole_process) as stops:
        try:
            return _evaluate(argv, args, stream, stops)
        except KeyboardInterrupt as stopped:  # while it imports, before its own handling
            return _stopped(stopped, stream)


def _stopped(stopped: KeyboardInterrupt, stream: TextIO) -> int:
    """Say that a stop (Ctrl-C, or SIGTERM as :class:`_Terminated`) wrote nothing; returns its
    exit code."""
    terminated = isinstance(stopped, _Terminated)
    print(f"\n{'terminated' if terminated else 'interrupted'}: nothing written.", file=stream)
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


def _evaluate(argv: list[str], args: argparse.Namespace, stream: TextIO, stops: _Stops) -> int:
    """:func:`evaluate`, with Ctrl-C and SIGTERM caught by ``stops``."""
    from contextlib import ExitStack

    from .io import FileReadError, check_output_folder, evaluate_files, pair_files
    from .io.evaluate import (
        NoWorkerLeft,
        WorkerRetired,
        background_channel_held,
        check_first_pair,
        check_region_file,
        declared_class_axis,
        file_settings,
        find_companions,
    )
    from .io.pairs import OneFolderError
    from .io.read import COMMAND_LINE_OPTIONS, FileNotice

    retirements: list[warnings.WarningMessage] = []  # workers retired from the user's cluster
    try:
        settings = _settings_from_args(args)
        _checked_probability_flags(args, settings)  # those nothing would read
        _checked_settings(settings)  # every setting checked before any file is listed
        _checked_cluster(args)
        inputs = [args.truth, args.prediction, *([args.region] if args.region else [])]
        report_path = _report_path(args.report, Path(args.out))
        ours = [report_path] if report_path is not None else []  # an earlier run's report too
        out = check_output_folder(
            args.out,
            overwrite=args.overwrite,
            option="--overwrite",
            inputs=inputs,
            name="--out",
            ours=ours,
        )
        if report_path is not None:
            _checked_report(report_path, out, inputs, overwrite=args.overwrite)
        if args.region is not None:
            check_region_file(args.region)
        try:
            pairing = pair_files(
                args.truth,
                args.prediction,
                truth_suffix=args.truth_suffix,
                prediction_suffix=args.prediction_suffix,
                region_suffix=args.region_suffix,
                truth_classes_suffix=args.truth_classes_suffix,
                prediction_classes_suffix=args.prediction_classes_suffix,
                truth_prefix=args.truth_prefix,
                prediction_prefix=args.prediction_prefix,
                preset=args.preset,  # ctc: the challenge's names when none is given
            )
        except OneFolderError as error:  # the suffixes its names show, as options
            raise ValueError(error.text(command_line=True)) from None
        if not pairing.pairs:
            if not args.quiet or pairing.unpaired_truth or pairing.unpaired_prediction:
                print(pairing.describe(hint=False), file=stream)
            advice = pairing.advice(command_line=True) or pairing.no_match(command_line=True)
            raise ValueError(
                f"nothing to evaluate: no file has a partner{'; ' + advice if advice else ''}."
            )
        # Class and region files are not pairs to evaluate.
        pairing, _, _ = find_companions(
            pairing,
            args.truth_classes_suffix,
            args.prediction_classes_suffix,
            args.region_suffix,
        )
        boundaries = settings["boundary"] or args.kind == "boundary"
        split = bool(settings.get("probability") and settings.get("split_touching"))
        if boundaries or split:
            _checked_spacing_length(pairing, settings["spacing"], args.spacing)
        # The class axis the maps declare (OME-Zarr), taken without --channel-axis, with
        # --background-channel given for it; then the headers: a --channel-axis the first
        # map has not, --spacing file where no pair's files give a pixel size.
        held = background_channel_held(
            settings["probability"], settings["background_channel"], settings["channel_axis"]
        )
        maps = file_settings(
            **{**settings, "background_channel": settings["background_channel"] and not held}
        )
        maps, declared = declared_class_axis(
            pairing, maps, background_channel=held, words=COMMAND_LINE_OPTIONS
        )
        check_first_pair(pairing, maps, words=COMMAND_LINE_OPTIONS)
        # Given to the run as if typed: said here, before the run, not again after it.
        settings = {
            **settings,
            "channel_axis": maps.channel_axis,
            "background_channel": maps.background_channel,
        }
        if not args.quiet or pairing.unpaired_truth or pairing.unpaired_prediction:
            # A challenge's results hold every frame and its truth a few: a list that does not
            # bury the run's own lines; all of them in settings.json.
            whole = f" (all listed in {out / 'settings.json'} once the results are written)"
            print(pairing.describe(most=LISTED_FILES, more=whole), file=stream)
        elif pairing.companions_text():  # class images scored as labels: likely wrong
            print(f"napari-seg-eval: {pairing.companions_text()}", file=stream)
        if args.preset == "ctc" and not args.quiet:
            print(CTC_FRAMES, file=stream)
        if declared is not None and not args.quiet:
            said = FileNotice(declared.template, (declared.path,))
            print(f"napari-seg-eval: {said.text(COMMAND_LINE_OPTIONS)}", file=stream)
        if (boundaries or split) and args.spacing is None and not args.quiet:
            calibrated = _pixel_size_note(pairing.pairs[0][0], boundary=boundaries, split=split)
            if calibrated is not None:
                print(f"napari-seg-eval: {calibrated}", file=stream)
        with ExitStack() as stack:
            quiet = stack.enter_context(_logs_held())  # left last, after the cluster closes
            client = None
            try:
                client = _client(args, stack)
                progress = None if args.quiet else TextProgress(stream)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", UserWarning)
                    # The run waits for a worker: said as it happens, even with --quiet.
                    warnings.showwarning = _said_at_once(NoWorkerLeft, caught, stream)
                    try:
                        result = evaluate_files(
                            pairing, client=client, progress=progress, **settings
                        )
                    finally:  # workers retired from the user's cluster: said even so
                        retirements[:] = [w for w in caught if w.category is WorkerRetired]
            except KeyboardInterrupt:
                # What the cluster logs as it closes is not news after Ctrl-C.
                quiet(client if args.workers is not None else None)
                raise
        _write_results(result, out, report_path, stops, command=argv, ours=ours, args=args)
        stops.finish("saying what was done", [])  # the results in place: none left
    except KeyboardInterrupt as stopped:
        return _stopped(stopped, stream)
    except (FileReadError, OSError, ValueError, TypeError) as error:
        _print_notices(retirements, stream)  # the cluster was changed: said, whatever came next
        print(f"napari-seg-eval evaluate: error: {_error_text(error)}", file=stream)
        return EXIT_BAD_INPUT
    if stops.received:  # held while the results were renamed into place: they are complete
        print(
            f"napari-seg-eval: {_stop_name(stops.received[0])} as the results were put in place: "
            "they are complete.",
            file=stream,
        )
    code = EXIT_FAILED_PAIRS if result.n_failed else EXIT_OK
    try:
        if declared is not None:  # said before the run
            caught = [
                w for w in caught if getattr(w.message, "template", None) != declared.template
            ]
        _print_notices(caught if not args.quiet else _likely_wrong(caught), stream)
        _print_summary(result, out, stream, quiet=args.quiet, report=report_path)
    except BrokenPipeError:  # `| head`: the results are written, their code is the run's
        _silenced_output()
    return code


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's, cron's or ``timeout``'s stop), raised where Ctrl-C raises
    KeyboardInterrupt, so that the run stops as cleanly: the cluster closed, nothing written."""


def _stop_name(number: int) -> str:
    """What the command says a stop by signal ``number`` did: "terminated" (SIGTERM) or
    "interrupted" (Ctrl-C)."""
    return "terminated" if number == signal.SIGTERM else "interrupted"


#: Seconds the quit at the third stop (:meth:`_Stops.quit`) gives to removing the run's hidden
#: files (a slow file system may be why the cleaning up hangs) before it ends the process.
QUIT_REMOVAL_SECONDS = 2.0


class _Stops:
    """The handler of Ctrl-C (SIGINT) and SIGTERM while ``evaluate`` runs, for each left to
    Python's defaults by the caller (see :func:`_stops_caught`).

    Counted in this process from the command's start:

    1. the first stop raises (KeyboardInterrupt, or :class:`_Terminated`): at once, or, during
       a step a stop would leave half done (:meth:`held`: the cluster's start, the making of
       a hidden file), as that step ends. The run then cleans up (closes the cluster, removes
       its hidden folder), writing nothing. While the results are put in place
       (:meth:`finish`), nothing is raised: they are complete, and the command says so;
    2. the second is not raised (the cleaning up is not cut short): it says, once, what is
       still being done (:attr:`doing`) and that another stop quits at once;
    3. the third quits at once (:meth:`quit`), for a cleaning up that hangs (a cluster whose
       close does not end).

    The worker processes of --workers, forked from this one as the cluster starts, keep this
    handler: a Ctrl-C in a terminal (sent to every process of the foreground group) is left
    to this process, which closes the cluster, instead of each worker printing its own
    traceback (a worker's logs end there: what it logs as the cluster closes under it is not
    news); SIGTERM ends a worker as without a handler (the cluster stops its workers so).
    """

    def __init__(self, stream: TextIO, *, whole_process: bool = False) -> None:
        self.command = os.getpid()
        self.stream = stream
        #: Whether the command is this process's (the console script): the quit ends it;
        #: else (``main([...])`` from Python, a notebook's kernel) the quit raises SystemExit.
        self.whole_process = whole_process
        #: The stops received in this process, in order (signal numbers).
        self.received: list[int] = []
        #: What the run is doing that a stop waits for, as the second stop says it.
        self.doing = "cleaning up"
        #: Whether a first stop was raised (the run cleans up), and whether the results are
        #: being put in place (no stop raised any more).
        self.raised = self.finishing = False
        self.holds = 0  # steps open that a stop must not cut (see held)
        #: The child processes that are not the cluster's workers (those this process had
        #: before it started them); None while there is no cluster of this run's.
        self.not_workers: set[int] | None = None
        #: The run's hidden files and folders of unfinished results, each with what it is:
        #: the quit removes them.
        self.hidden: list[tuple[Path, str]] = []
        #: Files and folders beside which the run may have hidden ones that the quit leaves
        #: (not known, or results being put in place), each with what those are: named.
        self.beside: list[tuple[Path, str]] = []

    def __call__(self, number: int, frame: Any) -> None:
        if os.getpid() != self.command:  # in a worker
            _worker_stop(number)
            return
        self.received.append(number)
        if len(self.received) >= 3:
            self.quit(number)
        elif len(self.received) == 2:
            self.say(f"still {self.doing}: another Ctrl-C or SIGTERM quits at once.")
        elif not (self.holds or self.finishing):
            self._raise()

    def _raise(self) -> NoReturn:
        self.raised = True  # cleaning up after this stop is not cut short by the next one
        raise _Terminated if self.received[0] == signal.SIGTERM else KeyboardInterrupt

    @contextlib.contextmanager
    def held(self, doing: str):
        """A first stop received while the block runs (``doing``, as the second stop says) is
        raised when it ends, in place of any error it raises."""
        previous, self.doing = self.doing, doing
        self.holds += 1
        try:
            yield
        finally:
            self.holds -= 1
            self.doing = previous
            if self.received and not (self.raised or self.finishing):
                self._raise()

    def finish(self, doing: str, beside: list[tuple[Path, str]]) -> None:
        """From now on (the results being put in place, ``doing``) no stop is raised: the
        command says after that one was received; the third still quits, naming what may be
        left ``beside`` (see :attr:`beside`), removing nothing."""
        self.finishing, self.doing = True, doing
        self.hidden, self.beside = [], beside

    def say(self, line: str) -> None:
        """``line`` on the command's stream, on a line of its own (after the ``^C`` a
        terminal shows), from the handler too."""
        # The handler may run while the stream is being written (a progress bar): Python
        # refuses to write it again then; the line is lost, the stop still acted on.
        with contextlib.suppress(RuntimeError):
            print(f"\nnapari-seg-eval: {line}", file=self.stream, flush=True)

    def quit(self, number: int) -> NoReturn:
        """End the process at once with the exit code of stop ``number`` (130 or 143): the
        run's unfinished hidden files removed if that takes less than
        :data:`QUIT_REMOVAL_SECONDS`, a last line saying what may be left, the cluster's
        worker processes killed. Nothing else is touched: the user's files and any earlier
        results are as they were (results being put in place may be left hidden: named).
        Outside the console script (:attr:`whole_process` False) the process is the caller's:
        SystemExit is raised instead, cutting the cleaning up short."""
        left = self._remove_unfinished()
        workers = self._workers()
        n = len(workers)
        killed = f"{n} worker process{'es' if n != 1 else ''} killed; " if n else ""
        may = "may be left: " + "; ".join(left) if left else "nothing left behind"
        self.say(f"quit at once: {killed}{may}.")
        for worker in workers:  # last: the cluster has no time to start others
            with contextlib.suppress(Exception):  # ended meanwhile
                worker.kill()
        if not self.whole_process:  # the caller's process (a kernel) goes on
            raise SystemExit(128 + number)
        os._exit(128 + number)

    def _workers(self) -> list[Any]:
        """The cluster's worker processes (psutil's): this process's children since it
        started them."""
        if self.not_workers is None:
            return []
        import psutil

        children = psutil.Process().children(recursive=True)
        return [child for child in children if child.pid not in self.not_workers]

    def _remove_unfinished(self) -> list[str]:
        """Remove the hidden files of unfinished results (in a thread given
        :data:`QUIT_REMOVAL_SECONDS`); the words for each hidden file that may be left."""
        import shutil

        def remove() -> None:
            for path, _ in self.hidden:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):  # said as left
                        path.unlink()

        remover = threading.Thread(target=remove, daemon=True)
        remover.start()
        remover.join(QUIT_REMOVAL_SECONDS)
        hung = remover.is_alive()  # the file system hangs: nothing is looked at again
        left = [f"{what} '{path}'" for path, what in self.hidden if hung or os.path.lexists(path)]
        return left + [
            f"{what} '{Path(path.parent, f'.{path.name}.*')}'" for path, what in self.beside
        ]


def _worker_stop(number: int) -> None:
    """A stop in a worker process forked from the command: SIGTERM ends it as without a
    handler; a Ctrl-C is the command's to act on (and the worker's logs end there)."""
    if number == signal.SIGTERM:
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    else:
        logging.disable(logging.CRITICAL)


@contextlib.contextmanager
def _stops_caught(stream: TextIO | None = None, *, whole_process: bool = False):
    """Ctrl-C and SIGTERM handled by a :class:`_Stops` (yielded; its lines on ``stream``,
    default stderr) while the block runs, each unless ignored (``nohup``, a background job of
    a script) or handled by the caller (whose handler is left alone throughout); in a thread
    other than the main thread (where handlers cannot be set), none is."""
    stops = _Stops(stream or sys.stderr, whole_process=whole_process)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(number) in (signal.SIG_DFL, signal.default_int_handler):
                previous[number] = signal.signal(number, stops)
    try:
        yield stops
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _stops_of(stack) -> _Stops:
    """The :class:`_Stops` handling this process's stops (the command's), or, outside the
    command, one handling them until ``stack`` closes."""
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(number)
            if isinstance(handler, _Stops):
                return handler
    return stack.enter_context(_stops_caught())


def _write_results(
    result,
    out: Path,
    report: Path | None,
    stops: _Stops,
    *,
    command: list[str],
    ours: list[Path],
    args: argparse.Namespace,
) -> None:
    """Write the result folder and the ``report``, so that they land together: the report is
    written into the hidden folder the results are staged in (when it goes in the result
    folder) or into a hidden file beside its place, and only then is either renamed into
    place, with Ctrl-C and SIGTERM held (see :class:`_Stops`). Interrupted before, nothing
    is written; a file system's error is raised as an ``OSError`` whose message (one line)
    says what was written."""
    from .io.results import hidden_beside, make_parents, remove_made, result_target, staged_results

    name = Path(os.path.abspath(out)).name  # the folder's, not the hidden one's (a link's)
    target = result_target(out)
    beside: list[tuple[Path, list[Path]]] = []  # the report's hidden file, the folders made
    stops.doing = "removing the unfinished results"
    stops.beside = [(target, "unfinished results, in a hidden folder")]  # until it is known
    try:
        try:
            with staged_results(
                result,
                out,
                overwrite=args.overwrite,
                command=command,
                option="--overwrite",
                name="--out",
                ours=ours,
            ) as staging:
                stops.hidden, stops.beside = [(staging, "unfinished results, hidden")], []
                inside = _inside(report, target) if report is not None else None
                if inside is not None:
                    _write_report(staging, staging / inside, name)
                elif report is not None:
                    with stops.held("making the report's hidden file"):  # none left unknown
                        made = make_parents(report)
                        beside.append((hidden_beside(report), made))
                        stops.hidden.append((beside[0][0], "the unfinished report, hidden"))
                    _write_report(staging, beside[0][0], name)
                # The renaming into place is not cut short.
                stops.finish(
                    "putting the results in place",
                    [(target, "the new or the previous results, in a hidden folder")]
                    + ([(report, "the report, in a hidden file")] if beside else []),
                )
        except OSError as error:
            if isinstance(error, FileExistsError | PermissionError) and error.errno is None:
                raise  # a check's refusal, said in full
            raise OSError(
                f"writing the results to {out} failed ({_error_text(error)}); nothing written."
            ) from None
        if beside:
            try:
                os.replace(beside[0][0], report)
            except OSError as error:
                raise OSError(
                    f"the results were written to {out}, but the report could not be written "
                    f"to {report} ({_error_text(error)})."
                ) from None
    except BaseException:
        for hidden, made in beside:
            hidden.unlink(missing_ok=True)
            remove_made(made)
        raise


def _said_at_once(category: type[Warning], caught: list, stream: TextIO) -> Any:
    """A ``warnings.showwarning``, within ``catch_warnings(record=True)`` giving ``caught``,
    that prints a warning of ``category`` on ``stream`` at once (a line of the command, the
    run going on; on a terminal, over the progress bar's line, which is drawn again at the
    next pair) and records any other in ``caught`` as that block records it, as a
    :class:`_Caught` that says whether this package gave it (:func:`_given_here`)."""
    terminal = bool(getattr(stream, "isatty", lambda: False)())

    def show(message, kind, filename, lineno, file=None, line=None) -> None:
        if issubclass(kind, category):
            cleared = "\r" + " " * 120 + "\r" if terminal else ""
            print(f"{cleared}napari-seg-eval: {message}", file=stream, flush=True)
        else:
            caught.append(_Caught(message, kind, filename, lineno, file, line, _given_here()))

    return show


#: This package's folder (real paths: a linked install too), whose files' warnings are its own.
_PACKAGE_FOLDER = os.path.dirname(os.path.realpath(__file__)) + os.sep
#: The modules of Python's warnings machinery, passed over to find who gave a warning.
_WARNING_MODULES = frozenset({"warnings", "_py_warnings"})


class _Caught(warnings.WarningMessage):
    """A warning caught during a run (a ``warnings.WarningMessage``), with ``ours``: whether
    this package gave it, not another library (a ``UserWarning`` of dask, zarr, ...)."""

    def __init__(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
        ours: bool = False,
    ) -> None:
        super().__init__(message, category, filename, lineno, file, line)
        self.ours = ours


def _given_here() -> bool:
    """Whether the warning being shown (called from ``warnings.showwarning``) was given by a
    module of this package: the first frame out of Python's warnings machinery and of this
    module's own showing is the one that called ``warnings.warn`` (the package's warnings
    name their user's line as where they are, so their ``filename`` cannot tell)."""
    frame = sys._getframe(2)  # past this function and the showing one
    while frame is not None and frame.f_globals.get("__name__") in _WARNING_MODULES:
        frame = frame.f_back
    return frame is not None and os.path.realpath(frame.f_code.co_filename).startswith(
        _PACKAGE_FOLDER
    )


def _error_text(error: BaseException) -> str:
    """An error in one line: a file system error's reason and file (``No space left on
    device: 'out/x.csv'``), workers of another napari-seg-eval said to differ from this
    command (the library's error says "this process"), or its message."""
    from .io.evaluate import WrongWorkers

    if isinstance(error, WrongWorkers):
        return error.text("this command")
    if isinstance(error, OSError) and error.errno is not None and error.strerror:
        return error.strerror + (f": '{error.filename}'" if error.filename else "")
    return str(error)


def _inside(path: Path, folder: Path) -> Path | None:
    """``path`` relative to ``folder`` if it lies in it (through symbolic links), else None."""
    try:
        return Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return None


def _print_notices(caught: list[warnings.WarningMessage], stream: TextIO) -> None:
    """The notices about the run's files (one line per kind, options named as on the command
    line) and any other warning of the run, as plain lines on ``stream``, each said once (no
    warning category, no source line)."""
    from .io.read import COMMAND_LINE_OPTIONS, FileNotice

    notices = [w.message for w in caught if isinstance(w.message, FileNotice)]
    lines = [notice.text(COMMAND_LINE_OPTIONS) for notice in notices]
    lines += [
        str(warning.message)
        if issubclass(warning.category, UserWarning)
        else f"{warning.category.__name__}: {warning.message}"
        for warning in caught
        if not isinstance(warning.message, FileNotice)
    ]
    for line in dict.fromkeys(lines):
        print(f"napari-seg-eval: {line}", file=stream)


def _likely_wrong(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    """The warnings of a run that ``--quiet`` still says: the file notices that say the
    numbers are likely wrong (``FileNotice.likely_wrong``: a map's channel 0 likely background,
    a class image scored as instance labels, a mask or map scored as labels, a map read on
    another axis than its metadata declare, ...) and the package's other ``UserWarning``
    warnings (of its settings, such as ``ignore_label`` 0 leaving out the background, and of
    the workers retired from the user's cluster: :attr:`_Caught.ours`); not the notes of how
    files were read (a uint8 map scaled, a grey colour image) nor other libraries'
    warnings, of any category."""
    from .io.read import FileNotice

    return [
        warning
        for warning in caught
        if (
            warning.message.likely_wrong
            if isinstance(warning.message, FileNotice)
            else issubclass(warning.category, UserWarning) and getattr(warning, "ours", False)
        )
    ]


def _report_path(report: str | None, out: Path) -> Path | None:
    """Where --report writes: FILE as given (relative to the current folder), or with no
    FILE, :data:`REPORT_NAME` in the result folder; None without --report."""
    if report is None:
        return None
    return out / REPORT_NAME if report == "" else Path(report)


def _checked_report(report: Path, out: Path, inputs: list[str], *, overwrite: bool) -> None:
    """Refuse --report's file before any work when it could not be written (a folder, or a
    place where no file can be made), when it is or lies in one of the ``inputs`` (the
    truth, the prediction, the region: it would replace a file of the run's), or when it
    exists and ``overwrite`` is not given. One in the --out folder is checked with it."""
    from .io.results import check_can_create, result_target

    said = f"--report '{report}'"
    inside = _inside(report, result_target(out))
    if inside == Path("."):
        raise ValueError(f"{said} is the --out folder: give the report a file name.")
    if inside is not None:
        if len(inside.parts) > 1 or inside.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"{said} in the --out folder must be an .html file directly in it (its other "
                f"files are the results'), e.g. {Path(out) / REPORT_NAME}."
            )
        return
    for given in inputs:
        where = _inside(report, Path(given))
        if where is not None:
            what = "is" if where == Path(".") else "is in"
            raise ValueError(
                f"{said} {what} an input of the run ({given}): the report would replace a "
                "file of yours; give it another place."
            )
    if report.is_dir():
        raise ValueError(f"{said} is a folder: give a file name, e.g. {report / REPORT_NAME}.")
    if report.exists() and not overwrite:
        raise FileExistsError(
            f"{said} already exists: give --overwrite to replace it, or another file name."
        )
    check_can_create(report, said)


def _write_report(folder: Path, path: Path, name: str) -> Path:
    """The HTML report of the result folder ``folder`` (its run called ``name``), at
    ``path``."""
    from .report import write_report
    from .runs import Run

    run = Run.load(folder)
    run.name = name
    write_report(run, path)
    return path


def _print_summary(
    result, out: Path, stream: TextIO, *, quiet: bool, report: Path | None = None
) -> None:
    """Failures on ``stream`` always, each once: with ``quiet`` listed here, else counted
    (the progress bar said each as it failed); the summary numbers (and where the ``report``
    went) on stdout unless ``quiet``."""
    import pandas as pd

    n_pairs, n_failed = len(result.per_image), result.n_failed
    if quiet:
        for row in result.failed.itertuples():
            print(f"failed: {row.name}: {row.error}", file=stream)
    where = f"the errors are in {out / 'per_image.csv'}"
    if n_pairs and n_failed == n_pairs:
        print(
            f"every pair failed ({n_pairs} of {n_pairs}): no metrics computed; {where}.",
            file=stream,
        )
    elif n_failed and not quiet:
        print(f"{n_failed} of {n_pairs} pairs failed (said above); {where}.", file=stream)
    if quiet:
        return
    written = f"; the report in {report}" if report is not None else ""
    missing = len(result.pairing.unpaired_truth)
    if missing:  # a model's output missing for an image: said where a reader looks last
        # The list went to stderr before the run: the record has them all.
        written += (
            f"; {missing} ground truth file{'s' if missing > 1 else ''} without a prediction "
            f"not scored: {'its objects are' if missing == 1 else 'their objects are'} not "
            "counted as missed (an empty prediction file would count them; the files are "
            f"listed in {out / 'settings.json'})"
        )
    print(f"{n_pairs - result.n_failed} of {n_pairs} pairs evaluated; results in {out}{written}")
    if result.datasets:
        from .core._results import counts_as_integers

        with pd.option_context("display.precision", 4):
            # counts: 3, not 3.0000
            print(counts_as_integers(_headline_first(result)).to_string())


def _silenced_output() -> None:
    """Point stdout and stderr at the null device once their reader has gone (a broken pipe),
    so that nothing written later (Python's exit flushing them) raises again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # not a file (a test's capture)
            os.dup2(devnull, stream.fileno())


def _headline_first(result) -> Any:
    """The run's summary with its preset's headline values (and their bounds) first, as the
    Dataset tab shows them: SEG and DET of ``ctc`` before the instance values."""
    from .core.presets import PRESETS

    summary = result.summary
    preset = PRESETS.get(result.settings.preset or "")
    headline = preset.headline if preset is not None else ()
    first = [
        name
        for key in headline
        for name in (key, f"{key}_low", f"{key}_high")
        if name in summary.index
    ]
    return summary[first + [key for key in summary.index if key not in first]]


def _add_sample_parser(commands) -> None:
    parser = commands.add_parser(
        "sample",
        help="write sample folders (truth, predictions, probability maps) to try evaluate on",
        description="Write the sample data of several seeds as TIFF folders to try "
        "'napari-seg-eval evaluate' on: FOLDER/truth (labels), FOLDER/pred (labels: the "
        "probability maps thresholded at 0.5, labelled, touching objects split), "
        "FOLDER/probabilities (float32 "
        "maps) and FOLDER/images, one imgN.tif per image in each. FOLDER must be new or "
        "empty. Exit code: 0 written, 2 refused (nothing written).",
    )
    parser.add_argument("folder", metavar="FOLDER", help="folder to create (new or empty)")
    parser.add_argument(
        "--n-images",
        type=int,
        default=4,
        metavar="N",
        help="how many images (default: %(default)s)",
    )


def sample(folder: str, n_images: int = 4, stream: TextIO | None = None) -> int:
    """Run ``napari-seg-eval sample FOLDER``: write the sample folders, say what was written
    and the commands to try next; returns the exit code."""
    from ._sample_data import write_sample_folders

    stream = stream or sys.stderr
    try:
        written = write_sample_folders(folder, n_images)
    except (FileExistsError, ValueError) as error:
        print(f"napari-seg-eval sample: error: {error}", file=stream)
        return EXIT_BAD_INPUT
    root = Path(folder)
    what = {
        "truth": "ground truth (uint16 labels)",
        "pred": "predictions (uint16 labels: the probabilities > 0.5, labelled, touching "
        "objects split: as --probability --split-touching labels the maps)",
        "probabilities": "probability maps (float32)",
        "images": "images (float32)",
    }
    print(f"wrote {n_images} image{'s' if n_images != 1 else ''} in each of:")
    for name, files in written.items():
        print(f"  {root / name}  {what[name]}: {', '.join(path.name for path in files)}")
    truth, pred, maps = (
        shlex.quote(str(root / name)) for name in ("truth", "pred", "probabilities")
    )
    out = shlex.quote(str(root / "results"))
    print("try next:")
    print(f"  napari-seg-eval evaluate {truth} {pred} --out {out} --report")
    print(
        f"  napari-seg-eval evaluate {truth} {maps} --probability --split-touching "
        f"--out {shlex.quote(str(root / 'results-probabilities'))}"
    )
    return EXIT_OK


class _UsageError(Exception):
    """An error of the command line's words, raised by :class:`_Parser` with the parser
    (the command's own) that found it."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    """argparse's parser, raising its errors (the subcommands' parsers too) for :func:`main`
    to explain what it can before argparse prints them."""

    def error(self, message: str) -> NoReturn:  # argparse's prints usage and exits
        raise _UsageError(self, message)


def _misplaced_report(argv: list[str], message: str) -> str | None:
    """The error to give instead of argparse's when --report, put before the folders, took
    the truth folder as its file name: a positional is missing and the value after --report
    is an existing folder or not an .html file name. None otherwise."""
    if not message.startswith("the following arguments are required") or "--report" not in argv:
        return None
    index = len(argv) - 1 - argv[::-1].index("--report")  # argparse keeps the last one
    value = argv[index + 1] if index + 1 < len(argv) else "-"
    if value.startswith("-"):  # --report without a value
        return None
    if Path(value).is_dir() or Path(value).suffix.lower() not in (".html", ".htm"):
        return (
            f"--report took {value!r} as the report's file name: put --report after the "
            "folders, or give it a file name (--report report.html)"
        )
    return None


#: The options whose values may start with "-" (a suffix such as -gt).
SUFFIX_OPTIONS = (
    "--truth-suffix",
    "--prediction-suffix",
    "--truth-prefix",
    "--prediction-prefix",
    "--region-suffix",
    "--truth-classes-suffix",
    "--prediction-classes-suffix",
)


def _dash_value(argv: list[str], message: str) -> str | None:
    """The error to give instead of argparse's "expected one argument" when the value after a
    suffix option starts with "-" (``--truth-suffix -gt``): argparse takes it for an option,
    and ``--truth-suffix=-gt`` is the way to give it. None otherwise."""
    match = re.fullmatch(r"argument (--[\w-]+): expected one argument", message)
    if match is None or match.group(1) not in SUFFIX_OPTIONS:
        return None
    option = match.group(1)
    # The option written in full or abbreviated (--truth-suf), followed by a value such as
    # -gt (not by another option: --truth-suffix --out r lacks its value).
    value = next(
        (
            after
            for word, after in itertools.pairwise(argv)
            if len(word) > 2
            and option.startswith(word)
            and after.startswith("-")
            and not after.startswith("--")
        ),
        None,
    )
    if value is None:
        return None
    return (
        f"argument {option}: {value!r} starts with '-' and was read as an option: write "
        f"{shlex.quote(f'{option}={value}')}"
    )


def _dash_positional(argv: list[str], message: str) -> str | None:
    """The error to give instead of argparse's "arguments are required" when a file or
    folder given starts with "-" (``-dash.tif``): argparse takes it for an option. None
    otherwise."""
    if not message.startswith("the following arguments are required"):
        return None
    word = next(
        (w for w in argv if w.startswith("-") and not w.startswith("--") and Path(w).exists()),
        None,
    )
    if word is None:
        return None
    return (
        f"{word!r} starts with '-' and was read as an option: write ./{word}, or put -- "
        "before the files and folders (-- TRUTH PREDICTION, after every option)"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the command line ``napari-seg-eval`` with ``argv`` (default: this process's)."""
    # The console script (not main() called from Python, nor %run in IPython, whose kernel
    # goes on): this process ends with the command.
    whole_process = argv is None and "IPython" not in sys.modules
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _Parser(prog="napari-seg-eval", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_evaluate_parser(commands)
    report_parser = commands.add_parser(
        "report",
        help="print metrics of the sample data",
        description="Print the semantic and instance metrics of the built-in sample data "
        "(synthetic nuclei, the napari sample's): its probability map thresholded at "
        "--threshold and labelled (connectivity 1) against its ground truth, and the objects "
        "that went wrong at IoU 0.5. Needs no files and no display. For your own files, see "
        "'napari-seg-eval evaluate --help'.",
    )
    report_parser.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="probability threshold: foreground where p > T (default: %(default)s)",
    )
    _add_sample_parser(commands)
    commands.add_parser("demo", help="open napari with the sample data and the widget")
    try:
        args = parser.parse_args(argv)
    except _UsageError as usage:
        explained = None
        if usage.parser.prog.endswith(" evaluate"):
            explained = (
                _misplaced_report(argv, usage.message)
                or _dash_value(argv, usage.message)
                or _dash_positional(argv, usage.message)
            )
        argparse.ArgumentParser.error(usage.parser, explained or usage.message)
    code = None
    try:
        if args.command == "evaluate":
            code = evaluate(argv, args, whole_process=whole_process)
        elif args.command == "sample":
            code = sample(args.folder, args.n_images)
        elif args.command == "report":
            print(report(args.threshold), flush=True)
        else:
            demo()
    except BrokenPipeError:
        if not whole_process:
            raise
        # The reader went away (`napari-seg-eval report | head`) before the command's work
        # was done: stop as a writer that SIGPIPE ended does, without a traceback.
        _silenced_output()
        code = EXIT_BROKEN_PIPE
    if whole_process and args.command == "evaluate":
        gc.freeze()  # the exit's collections would walk every object of the run
    if code is not None:
        sys.exit(code)


if __name__ == "__main__":
    main()
