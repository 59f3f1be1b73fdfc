"""A report in one self-contained HTML file: a run, or a comparison of two runs (no Qt).

Everything is inside the file: the tables as HTML, the plots and error snapshots as PNG images
embedded in base64 (drawn with matplotlib's Agg backend), the styles inline. No script and no
external resource, so the file opens the same anywhere, offline, and can go with a paper.

A run's report holds its settings and versions, the summary with a definition card for each
headline metric (the catalogue's tooltip), every result table, plots (metrics versus the IoU
threshold, per-plane or per-image scores; precision-recall, ROC, reliability and the
object-level threshold curve when the run's record holds a probability map) and, for one
image, crops of the error layer (:func:`~napari_seg_eval.error_map` by kind) around the worst
objects. A comparison's report holds both runs' headline metrics side by side with their
differences (and paired bootstrap intervals for datasets), McNemar's test and the objects fixed
and broken by B (one image) or the per-image differences (datasets). A multi-class dataset run
(class images beside the labels) also has its per-class tables and class confusion.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .core import catalogue
from .core._results import is_count
from .core.blocks import is_lazy
from .core.compare import CHANGE_COLORS
from .core.review import EXCLUDED, KIND_COLORS_ON_LIGHT, error_map
from .evaluation import ThresholdOptions
from .runs import MATCHED_DIFFERENTLY, Comparison, Run, defined_differently

#: Rows of a long table shown in full; longer tables show their first rows and say so.
MAX_ROWS = 500
#: Worst objects shown as error snapshots.
N_SNAPSHOTS = 4
UNDEFINED = "—"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 72em; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc;
     padding-bottom: 0.2em; margin-top: 2em; } h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.text, th.text { text-align: left; }
.meta { color: #555; } .note { color: #555; font-size: 0.9em; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8em; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 0.8em; width: 20em;
        background: #fafafa; }
.card .value { font-size: 1.5em; font-weight: 600; } .card .label { font-weight: 600; }
.card .interval, .card .value .note { font-size: 0.6em; font-weight: 400; }
.card .definition { white-space: pre-line; font-size: 0.8em; color: #444; margin-top: 0.4em; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; vertical-align: top; }
figcaption { font-size: 0.85em; color: #444; max-width: 30em; }
.legend span { display: inline-block; margin-right: 1em; font-size: 0.85em; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em;
            vertical-align: middle; border: 1px solid #999; }
.legend i.line { width: 2em; height: 0; border: none; border-top: 3px solid #000; }
.legend i.dashed { border-top: 3px dashed #ee7733; }
"""
#: Outlines in the error snapshots: the true ones solid black (a white halo keeps them apart
#: from the charcoal of matched objects), the predicted ones orange dashes, narrower and drawn
#: on top, so that where both outlines run along the same pixel edge the dashes sit inside the
#: black line and both stay visible.
TRUE_OUTLINE = "#000000"
PREDICTED_OUTLINE = "#ee7733"  # Paul Tol's vibrant orange, apart from the error kinds' colours


# ---------------------------------------------------------------------------- public
def report_html(item: Run | Comparison) -> str:
    """The report of a run or a comparison, as one self-contained HTML document.

    Parameters
    ----------
    item : Run or Comparison
        A run (:class:`~napari_seg_eval.runs.Run`) or two runs compared
        (:meth:`~napari_seg_eval.runs.Runs.compare`).

    Returns
    -------
    str
        The HTML text: images embedded as base64 PNG, no script, no external resource.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import evaluate
    >>> from napari_seg_eval.report import report_html
    >>> from napari_seg_eval.runs import Runs
    >>> runs = Runs()
    >>> run = runs.add(evaluate(np.array([[1, 1, 0, 2]]), np.array([[1, 1, 0, 0]])), name="a")
    >>> text = report_html(run)
    >>> "<h1>Run a</h1>" in text, "data:image/png;base64," in text, "http" in text
    (True, True, False)
    """
    if isinstance(item, Comparison):
        title, body = f"Comparison: {item.b.name} against {item.a.name}", _comparison(item)
    elif isinstance(item, Run):
        title = f"Run {item.name}".rstrip()
        if item.agreement:  # "Agreement: A vs B" (the default name), or "Agreement <name>"
            named = item.name.lower().startswith("agreement")
            title = item.name[:1].upper() + item.name[1:] if named else f"Agreement {item.name}"
        body = _run(item)
    else:
        raise TypeError(f"a report is of a Run or a Comparison, not {type(item).__name__}.")
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{_e(title)}</h1>\n{body}\n"
        "<p class='note'>Made by napari-seg-eval. Undefined values (0/0) show as —.</p>\n"
        "</body>\n</html>\n"
    )


def write_report(item: Run | Comparison, path: str | Path) -> Path:
    """Write :func:`report_html` of ``item`` to ``path`` (UTF-8); returns the path.

    The whole page is built before the file is touched: a report that cannot be made leaves
    no file behind. Missing folders of ``path`` are created.

    Parameters
    ----------
    item : Run or Comparison
        A run (one image or a dataset, e.g. :meth:`Run.load` of a result folder) or a
        comparison of two runs (:meth:`Runs.compare`).
    path : str or Path
        The HTML file to write (replaced if it exists).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import evaluate
    >>> from napari_seg_eval.report import write_report
    >>> from napari_seg_eval.runs import Runs
    >>> run = Runs().add(evaluate(np.array([[1, 1, 0, 2]]), np.array([[1, 1, 0, 0]])), name="a")
    >>> write_report(run, "report.html")  # doctest: +SKIP
    """
    path = Path(path)
    text = report_html(item)  # build it all before touching the file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- a run
def _run(run: Run) -> str:
    parts = [_about(run), "<h2>Summary</h2>", _cards(run)]
    if run.agreement and "symmetry" in run.tables:
        parts.append(f"<h2>Agreement: annotator A vs annotator B</h2><p>{_e(_AGREEMENT)}</p>")
        parts.append(_table(run.tables["symmetry"], text_columns=("metric", "label", "symmetry")))
    if run.kind == "image":
        parts.append(_image_tables(run))
        parts.append(_image_plots(run))
        parts.append(_snapshots(run))
    else:
        parts.append(_dataset_tables(run))
        parts.append(_dataset_plots(run))
    parts.append(_settings(run))
    return "\n".join(part for part in parts if part)


def _about(run: Run) -> str:
    """When and on what the run was made; the inputs by name, those that have one."""
    what = "one image" if run.kind == "image" else f"{run.n_images} images"
    sides = ("annotator A", "annotator B") if run.agreement else ("truth", "prediction")
    parts = [f"Evaluated {_e(run.created)}", what]
    for side, key in zip(sides, ("truth", "prediction"), strict=True):
        if run.inputs.get(key):
            parts.append(f"{side}: <b>{_e(run.inputs[key])}</b>")
    return f"<p class='meta'>{' · '.join(parts)}</p>"


_OVER = {
    "objects": (
        "Intervals: 95 % percentile bootstrap over the objects of this one image (its matched "
        "pairs, missed true objects and false predictions drawn with replacement, 2000 "
        "resamples, seed 0; each value recomputed from the resampled counts; none for the "
        "AJI). They show how much the value depends on which objects this image happens to "
        "hold; they treat objects as independent, which neighbours are not, and say nothing "
        "about other images."
    ),
    "images": (
        "Intervals: percentile bootstrap over the images of the dataset (each value "
        "recomputed from the resampled images). They treat images as independent draws and "
        "say nothing about other datasets."
    ),
}

_AGREEMENT = (
    "Agreement: two annotations of the same data compared with the evaluation's metrics. "
    "Neither is the reference: A stands where the truth does and B where the prediction does. "
    "F1, AP (DSB), PQ, IoU-based matching, the foreground IoU and Dice and the boundary values "
    "are symmetric (the same with A and B swapped); precision and recall swap; the AJI is not "
    "symmetric. Read a model's score against it: a model as close to A as B is scores about "
    "as high as this agreement."
)


def _cards(run: Run) -> str:
    """A card per headline metric: its label, value (with interval) and definition; how values
    are pooled over images and the 0/0 rule once, below the cards."""
    intervals = run.intervals
    measure = _measure(run)
    matching = _matching(run)
    cards = []
    ratios = boundary = False
    for key, value in run.headline.items():
        table = "dataset.summary" if run.kind == "dataset" else _summary_table_of(key)
        entry = catalogue.metric(table, key, matching)
        boundary |= _BOUNDARY_KEY.match(key) is not None
        text = _f(value, count=entry is not None and entry.pooling == "sum")
        if key in intervals.index:
            low, high = intervals.loc[key]
            text += (
                f"<span class='interval'> [{_f(low)}, {_f(high)}]</span>"
                f"<div class='note'>interval over {_e(run.interval_over)}</div>"
            )
        definition = [entry.formula, entry.definition] if entry is not None else []
        ratios |= entry is not None and entry.pooling == "ratio"
        cards.append(
            f"<div class='card'><div class='label'>"
            f"{_e(_unit_label(key, catalogue.label(table, key, matching), measure))}</div>"
            f"<div class='value'>{text}</div>"
            f"<div class='definition'>{_e(chr(10).join(d for d in definition if d))}</div></div>"
        )
    if not cards:
        return "<p>No headline metric.</p>"
    rules = [catalogue.POOLING_RULE] if run.kind == "dataset" else []
    rules += [catalogue.UNDEFINED_RULE] if ratios else []
    if boundary and measure is not None:
        rules.append(measure.note())
    if run.interval_over:
        rules.append(_OVER[run.interval_over])
    notes = "".join(
        f"<p class='note'>{_e(rule[:1].upper() + rule[1:].rstrip('.'))}.</p>" for rule in rules
    )
    return "<div class='cards'>" + "".join(cards) + "</div>" + notes


def _matching(run: Run) -> catalogue.Matching:
    """How the run's objects were matched: the words of its instance metrics."""
    return catalogue.Matching.of(run.settings)


def _summary_table_of(key: str) -> str:
    for kind in ("instance", "semantic"):
        if catalogue.metric(f"{kind}.summary", key) is not None:
            return f"{kind}.summary"
    return "dataset.summary"


def _settings(run: Run) -> str:
    flat = _flatten({k: v for k, v in run.settings.items() if k not in ("pairs", "failed")})
    rows = pd.DataFrame({"setting": list(flat), "value": [str(v) for v in flat.values()]})
    versions = pd.DataFrame({"package": list(run.versions), "version": list(run.versions.values())})
    return (
        "<h2>Settings and versions</h2>"
        + _table(rows, text_columns=("setting", "value"))
        + (_table(versions, text_columns=("package", "version")) if len(versions) else "")
    )


def _flatten(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as ``outer.inner`` keys."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


# ---------------------------------------------------------------------------- units
#: A boundary value's key or column: a distance (HD, HD95, ASSD) or a share of boundary points
#: within the tolerance τ (NSD, boundary F1), as a summary, image mean or per-image value.
_BOUNDARY_KEY = re.compile(
    r"^(?:object_)?(?:mean_)?(?P<base>hd|hd95|assd|nsd|boundary_f1)"
    r"(?:_(?:pooled|image_mean|image_median|low|high))?$"
)
_DISTANCES = ("hd", "hd95", "assd")


@dataclass(frozen=True)
class _Measure:
    """How a run measured its boundary values: the distances' unit, the tolerance τ (in that
    unit) and the pixel size per axis (``"file"``: read from each pair's files; None: 1)."""

    unit: str
    tolerance: float
    spacing: Any

    def says(self, base: str) -> str:
        """What goes beside a value of ``base``: the unit of a distance, else τ with it."""
        if base in _DISTANCES:
            return self.unit
        unit = self.unit.removesuffix("s") if self.tolerance == 1 else self.unit
        return f"τ = {self.tolerance:g} {unit}"

    def note(self) -> str:
        """One sentence on the units and τ, for under the values."""
        if self.spacing == "file":
            size = ", with the pixel size read from each pair's files"
        elif self.spacing is None or np.allclose(np.asarray(self.spacing, float), 1):
            size = " (no pixel size given)" if self.unit == "pixels" else ""
        else:
            size = " × ".join(f"{x:g}" for x in np.ravel(np.asarray(self.spacing, float)))
            size = (
                f", the unit of the pixel size (spacing) {size}, which the run does not name"
                if self.unit == "spacing units"
                else f", with the pixel size (spacing) {size}"
            )
        return (
            f"Boundary distances (HD, HD95, ASSD) are in {self.unit}{size}; NSD and boundary F1 "
            f"count the boundary points within {self.says('nsd')} of the other boundary."
        )


def _measure(run: Run) -> _Measure | None:
    """How ``run`` measured its boundary values; None when it has none.

    With a spacing other than 1 and no unit named, distances are in the spacing's units, not
    pixels: such records (made before that was recorded) that say "pixels" say "spacing units".
    """
    settings = run.settings.get("settings", run.settings)  # a dataset's settings are nested
    boundary = settings.get("boundary")
    units = None
    if isinstance(boundary, dict):  # an agreement of two images: its own spacing, no unit
        settings = boundary
    elif boundary:
        units = settings.get("units")
    else:
        return None
    spacing = settings.get("spacing")
    if spacing == "file":
        found = run.tables.get("per_image", pd.DataFrame()).get("spacing_unit", pd.Series())
        named = set(found.dropna().astype(str))
        unit = named.pop() if len(named) == 1 and "" not in named else "file units"
    elif spacing is None or np.allclose(np.asarray(spacing, float), 1):
        unit = units or "pixels"
    else:
        unit = units if units and units != "pixels" else "spacing units"
    return _Measure(unit, float(settings.get("tolerance", 1.0)), spacing)


def _unit_label(key: str, label: str, *measures: _Measure | None) -> str:
    """``label`` of a boundary value with its unit, or its τ ("mean HD95 (µm)", "mean NSD @ τ =
    1 pixel"); for two runs (A, B) that measured differently, each one's. Others unchanged."""
    match = _BOUNDARY_KEY.match(key)
    if match is None:
        return label
    sides = zip("AB", measures, strict=False)  # one measure: its letter is never shown
    said = [(side, measure.says(match["base"])) for side, measure in sides if measure]
    if not said:
        return label
    if len({text for _, text in said}) > 1:
        return f"{label} ({'; '.join(f'{side}: {text}' for side, text in said)})"
    text = said[0][1]
    if match["base"] not in _DISTANCES and "τ" in label:
        return label.replace("τ", text)
    return f"{label[:-1]}, {text})" if label.endswith(")") else f"{label} ({text})"


def _image_tables(run: Run) -> str:
    parts = []
    summary = run.tables["summary"]
    measure = _measure(run)
    matching = _matching(run)
    if len(summary):
        kinds = [_summary_kind(evaluation) for evaluation in summary["evaluation"]]
        labelled = summary.assign(
            label=[
                _unit_label(metric, catalogue.label(kind, metric, matching), measure)
                for kind, metric in zip(kinds, summary["metric"], strict=True)
            ]
        )[["evaluation", "label", "metric", "value"]]
        parts.append("<h3>All summary values</h3>")
        counts = [
            is_count(metric, _summary_kind(evaluation))
            for evaluation, metric in zip(summary["evaluation"], summary["metric"], strict=True)
        ]
        parts.append(
            _table(labelled, text_columns=("evaluation", "label", "metric"), count_rows=counts)
        )
    titles = {
        "per_threshold": (matching.rewrite("Per IoU threshold"), "instance.per_threshold"),
        "per_class": ("Per class", "semantic.per_class"),
        "per_plane": ("Per plane", "per_plane"),
        "per_object": ("Per object", "instance.per_object"),
    }
    for key, (title, table) in titles.items():
        frame = run.tables.get(key)
        if frame is not None and len(frame):
            if key == "per_object":  # bounding boxes serve the viewer's zoom, not a reader
                frame = _worst_first(frame).filter(regex=r"^(?!bbox_)")
            parts.append(
                f"<h2>{_e(title)}</h2>" + _table(frame, catalogue_table=table, matching=matching)
            )
    parts.append(
        _boundary_tables(
            run,
            {
                "boundary": ("Boundary (foreground)", "boundary.per_class"),
                "boundary_per_class": ("Boundary per class", "boundary.per_class"),
                "boundary_per_object": (
                    "Boundary per matched pair (IoU 0.5)",
                    "boundary.per_object",
                ),
            },
        )
    )
    objects = run.tables.get("object_intervals")
    if objects is not None and len(objects):
        parts.append(
            "<h2>Bootstrap over objects (instance metrics)</h2>"
            f"<p class='note'>{_e(_OVER['objects'])}</p>"
            + _table(objects, text_columns=("metric",))
        )
    return "\n".join(part for part in parts if part)


def _boundary_tables(run: Run, titles: dict[str, tuple[str, str]]) -> str:
    """The run's boundary tables among ``titles`` (key -> title, catalogue table), units and
    τ in their headers, and once what they are."""
    measure = _measure(run)
    tables = [
        f"<h2>{_e(title)}</h2>" + _table(run.tables[key], table, measures=(measure,))
        for key, (title, table) in titles.items()
        if key in run.tables and len(run.tables[key])
    ]
    if not tables:
        return ""
    note = f"<p class='note'>{_e(measure.note())}</p>" if measure is not None else ""
    return tables[0] + note + "".join(tables[1:])


def _summary_kind(evaluation: str) -> str:
    return {
        "instance": "instance.summary",
        "semantic": "semantic.summary",
        "boundary": "boundary.summary",
    }.get(evaluation, "dataset.summary")


def _worst_first(objects: pd.DataFrame) -> pd.DataFrame:
    """Objects with an error first (the largest first), then the matched ones, then those
    excluded at the border."""
    if "error" not in objects or "area" not in objects:
        return objects
    rank = objects["error"].map({"matched": 1, EXCLUDED: 2}).fillna(0).to_numpy()
    order = np.lexsort((-objects["area"].to_numpy(float), rank))
    return objects.iloc[order].reset_index(drop=True)


def _dataset_tables(run: Run) -> str:
    parts = []
    summary = run.tables["summary"].iloc[0]
    measure = _measure(run)
    matching = _matching(run)
    rows = pd.DataFrame(
        {
            "label": [
                _unit_label(k, catalogue.label("dataset.summary", k, matching), measure)
                for k in summary.index
            ],
            "metric": list(summary.index),
            "value": list(summary.to_numpy()),
        }
    )
    counts = [is_count(key, "dataset.summary") for key in summary.index]
    parts.append(
        "<h3>All summary values</h3>"
        + _table(rows, text_columns=("label", "metric"), count_rows=counts)
    )
    for kind in run.metric_kinds:
        per = "per_threshold" if kind == "instance" else "per_class"
        for suffix, words in (
            ("pooled", "pooled (counts summed over images)"),
            ("image_mean", "image mean (mean of per-image values)"),
        ):
            parts.append(
                f"<h2>{kind.capitalize()}: {words}</h2>"
                + _table(
                    run.tables[f"{kind}_{suffix}"],
                    catalogue_table=f"{kind}.{per}",
                    matching=matching,
                )
            )
    parts.append(_class_tables(run, matching))
    parts.append(
        _boundary_tables(
            run,
            {
                "boundary_image_mean": (
                    "Boundary: image mean (mean of per-image values)",
                    "boundary.per_class",
                ),
                "boundary_per_class": ("Boundary per image and class", "boundary.per_class"),
            },
        )
    )
    parts.append(
        "<h2>Per image</h2>"
        + _table(
            run.tables["per_image"], "dataset.per_image", measures=(measure,), matching=matching
        )
    )
    return "\n".join(part for part in parts if part)


#: What the per-class tables of a multi-class dataset run hold, said under their heading.
_PER_CLASS_NOTE = (
    "An object's class is the majority class of its pixels; a true object matches only a "
    "prediction of its own class. One row per class and IoU threshold. The summary's pooled "
    "class means are means over the classes of the pooled values."
)
#: What the class confusion holds.
_CONFUSION_NOTE = (
    "The true objects matched to a prediction regardless of class at IoU ≥ 0.5, counted by true "
    "class (rows) and predicted class (columns), summed over the images: the diagonal holds "
    "the pairs whose classes agree, a cell off it an object found with the wrong class."
)


def _class_tables(run: Run, matching: catalogue.Matching) -> str:
    """The per-class tables of a multi-class dataset run (pooled, image mean) and its class
    confusion, those it has (:data:`~napari_seg_eval.runs.CLASS_TABLES`); "" without classes."""
    parts = []
    for key, words in (
        ("instance_per_class_pooled", "pooled (counts summed over images)"),
        ("instance_per_class_image_mean", "image mean (mean over the images with the class)"),
    ):
        if key in run.tables:
            parts.append(
                f"<h2>Instance per class: {words}</h2><p class='note'>{_e(_PER_CLASS_NOTE)}</p>"
                + _table(run.tables[key], catalogue_table="instance.per_class", matching=matching)
            )
    if "instance_class_confusion" in run.tables:
        confusion = run.tables["instance_class_confusion"]
        shown = confusion.rename(columns=lambda column: str(column).replace("_", " "))
        note = matching.rewrite(_CONFUSION_NOTE)
        parts.append(
            f"<h2>Class confusion</h2><p class='note'>{_e(note)}</p>"
            + _table(shown, catalogue_table="instance.class_confusion", matching=matching)
        )
    return "\n".join(parts)


# ---------------------------------------------------------------------------- tables
def _f(value: Any, *, count: bool = False) -> str:
    """Every float with 4 decimals (a distance of 6 pixels is "6.0000", as 7.65 is "7.6500"),
    integers as they are, NaN as an em dash. A whole ``count`` (the catalogue's pooling "sum",
    or an id) is written as a whole number, even when it is stored as a float.

    Examples
    --------
    >>> _f(6.0), _f(7.65), _f(46.0, count=True), _f(3), _f(float("nan"))
    ('6.0000', '7.6500', '46', '3', '—')
    """
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return UNDEFINED
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        whole = count and float(value).is_integer()
        return str(int(value)) if whole else f"{value:.4f}"
    return _e(str(value))


def _is_whole_column(table: str, frame: pd.DataFrame, column: str) -> bool:
    """Whether ``column`` is written in whole numbers: a count, or an id or setting (the
    catalogue's pooling "none" with no better direction) whose values are all whole (ids
    read back from a CSV file as floats, with a gap)."""
    if is_count(column, table):
        return True
    entry = catalogue.metric(table, column) if table else None
    if entry is None or entry.pooling != "none" or entry.better:
        return False
    values = pd.to_numeric(frame[column], errors="coerce").dropna().to_numpy(float)
    return bool(np.all(np.isfinite(values) & (values == np.round(values))))


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _table(
    frame: pd.DataFrame,
    catalogue_table: str = "",
    *,
    text_columns: Iterable[str] = (),
    count_rows: Sequence[bool] = (),
    measures: Sequence[_Measure | None] = (),
    matching: catalogue.Matching | None = None,
) -> str:
    """An HTML table; headers are the catalogue's labels (the key and definition as a tooltip)
    in the words of the run's ``matching``, those of boundary values with the unit or τ of
    ``measures`` (:func:`_unit_label`).
    Numbers in the columns of counts and ids (:func:`_is_whole_column`), and in the rows
    flagged in ``count_rows`` (a table of one metric per row), are whole numbers; every other
    float has 4 decimals (:func:`_f`)."""
    note = ""
    if len(frame) > MAX_ROWS:
        note = f"<p class='note'>The first {MAX_ROWS} of {len(frame)} rows.</p>"
        frame = frame.iloc[:MAX_ROWS]
    text = set(text_columns) | {
        c
        for c in frame.columns
        # object (pandas 2) or str (pandas 3's string dtype) columns that hold no numbers
        if (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype))
        and not pd.api.types.is_numeric_dtype(frame[c].infer_objects())
    }
    head = []
    for column in frame.columns:
        if catalogue_table:
            label = catalogue.label(catalogue_table, column, matching)
            tip = catalogue.tooltip(catalogue_table, column, matching)
        else:
            label, tip = str(column), ""
        label = _unit_label(str(column), label, *measures)
        tip = f"{column}: {tip}" if tip else str(column)
        css = " class='text'" if column in text else ""
        head.append(f"<th{css} title='{_e(tip)}'>{_e(label)}</th>")
    counts = [_is_whole_column(catalogue_table, frame, column) for column in frame.columns]
    body = []
    for index, row in enumerate(frame.itertuples(index=False)):
        row_count = index < len(count_rows) and bool(count_rows[index])
        cells = [
            f"<td{' class=text' if column in text else ''}>"
            f"{_f(value, count=count or row_count)}</td>"
            for column, value, count in zip(frame.columns, row, counts, strict=True)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<table><thead><tr>"
        + "".join(head)
        + "</tr></thead><tbody>"
        + "\n".join(body)
        + "</tbody></table>"
        + note
    )


# ---------------------------------------------------------------------------- plots
def _figure(draw, caption: str, size=(4.2, 3.0)) -> str:
    """A matplotlib figure drawn by ``draw(axes)``, embedded as a base64 PNG."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=100, layout="constrained")
    draw(figure.add_subplot())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure><img alt='{_e(caption)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _score_lines(
    frame: pd.DataFrame,
    x: str,
    columns: Sequence[str],
    table: str,
    *,
    xlabel: str,
    marker: str,
    matching: catalogue.Matching | None = None,
) -> Callable[[Any], None]:
    """A ``draw(axes)`` for :func:`_figure`: each of ``columns`` that ``frame`` has, a score in
    [0, 1], against its column ``x``, labelled as the catalogue's ``table`` labels it (in the
    words of the run's ``matching``)."""

    def draw(axes: Any) -> None:
        for column in columns:
            if column in frame:
                label = catalogue.label(table, column, matching)
                axes.plot(frame[x], frame[column], marker=marker, label=label)
        axes.set(xlabel=xlabel, ylim=(-0.02, 1.02))
        axes.legend(fontsize=8)

    return draw


def _image_plots(run: Run) -> str:
    figures = []
    matching = _matching(run)
    per_threshold = run.tables.get("per_threshold")
    if per_threshold is not None and len(per_threshold) > 1:
        thresholds = _score_lines(
            per_threshold,
            "threshold",
            ("accuracy", "f1", "precision", "recall"),
            "instance.per_threshold",
            xlabel=catalogue.label("instance.per_threshold", "threshold", matching),
            marker="o",
        )
        caption = matching.rewrite("Instance metrics at each IoU threshold.")
        figures.append(_figure(thresholds, caption))
    per_plane = run.tables.get("per_plane")
    if per_plane is not None and len(per_plane):
        planes = _score_lines(
            per_plane,
            "plane",
            ("f1_50", "mean_accuracy", "mean_iou", "mean_dice"),
            "per_plane",
            xlabel="plane",
            marker=".",
            matching=matching,
        )
        figures.append(_figure(planes, "Scores of each plane."))
    figures += _probability_plots(run)
    if not figures:
        return ""
    return "<h2>Plots</h2>" + "".join(figures)


def _probability_plots(run: Run) -> list[str]:
    """PR, ROC and reliability (pixels), each with its number (AP, ROC AUC; ECE and Brier)
    in its title and caption, and the object-level threshold curve, when the run's record
    holds a probability map. The numbers are those of the sweep and calibration drawn (as
    the Confidence analysis tab's)."""
    record = run.record
    confidence = getattr(record, "confidence", None)
    if (
        confidence is None
        or np.ndim(confidence) != np.ndim(record.semantic_truth)
        or any(is_lazy(x) for x in (confidence, record.semantic_truth, record.truth))
    ):
        return []  # chunked inputs: the curves are in the Confidence analysis tab
    from .core.confidence import calibration, instance_threshold_sweep, threshold_sweep

    # the map is the foreground's: every true object (or class other than 0) is foreground
    truth = (np.asarray(record.semantic_truth) != 0).astype(np.uint8)
    swept = threshold_sweep(truth, confidence)
    summary = swept.summary
    calibrated = calibration(truth, confidence)
    bins = calibrated.bins
    ap, auc = _f(summary["average_precision"]), _f(summary["roc_auc"])
    ece, brier = _f(calibrated.summary["ece"]), _f(calibrated.summary["brier"])
    figures = [
        "<h3>The probability map</h3>"
        f"<p>Its pixels against the truth's: AP <b>{ap}</b> · ROC AUC <b>{auc}</b> · "
        f"ECE <b>{ece}</b> (15 bins) · Brier score <b>{brier}</b>.</p>"
    ]

    def pr(axes):
        axes.plot(swept.pr_curve["recall"], swept.pr_curve["precision"])  # the curve AP is of
        axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
        axes.set_title(f"AP {ap}", fontsize=10)

    def roc(axes):
        axes.plot(swept.roc_curve["fpr"], swept.roc_curve["tpr"])
        axes.plot([0, 1], [0, 1], color="#999", linestyle=":")
        axes.set(xlabel="false positive rate", ylabel="true positive rate")
        axes.set_title(f"AUC {auc}", fontsize=10)

    def reliability(axes):
        filled = bins[bins["count"] > 0]
        axes.plot([0, 1], [0, 1], color="#999", linestyle=":")
        axes.plot(filled["mean_probability"], filled["observed_frequency"], marker="o")
        axes.set(xlabel="mean probability", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1))
        axes.set_title(f"ECE {ece} · Brier {brier}", fontsize=10)

    figures.append(_figure(pr, f"Pixel precision-recall curve of the probability map: AP {ap}."))
    figures.append(_figure(roc, f"Pixel ROC curve of the probability map: AUC {auc}."))
    figures.append(
        _figure(
            reliability,
            f"Reliability diagram (15 equal-width bins): ECE {ece}, Brier score {brier}.",
        )
    )
    # The run's labelling options over the defaults its evaluation used (a script's run of a
    # map records none): the curve's objects are those the run scored.
    options = {**asdict(ThresholdOptions()), **(run.settings.get("threshold_options") or {})}
    if record.instance is not None and options["channel_axis"] is None:
        # The split's pixel size, as the run split the objects (one value per axis of the map).
        spacing = options["spacing"]
        if spacing is not None and len(spacing) != np.ndim(confidence):
            spacing = None
        curve = instance_threshold_sweep(
            record.truth,
            confidence,
            connectivity=options["connectivity"],
            min_size=options["min_size"],
            split_touching=options["split_touching"],
            split_depth=options["split_depth"],
            spacing=spacing,
        )
        split = ""
        if options["split_touching"]:
            size = "1 (pixels)" if spacing is None else " × ".join(f"{x:g}" for x in spacing)
            split = (
                f" Touching objects split at depth {options['split_depth']:g} with the pixel "
                f"size (spacing) {size}."
            )

        def objects(axes):
            axes.plot(curve["threshold"], curve["f1_50"], marker="o", label="F1 @ 0.5")
            axes.plot(
                curve["threshold"],
                curve["mean_accuracy"],
                marker="o",
                label="AP (DSB), IoU 0.50:0.95",
            )
            if run.settings.get("threshold") is not None:
                axes.axvline(run.settings["threshold"], color="#999", linestyle="--")
            axes.set(xlabel="probability threshold", ylim=(-0.02, 1.02))
            axes.legend(fontsize=8)

        figures.append(
            _figure(
                objects,
                "Object-level metrics versus the probability threshold "
                f"(dashed: the threshold used).{split}",
            )
        )
    return figures


def _dataset_plots(run: Run) -> str:
    rows = run.image_rows()
    keys = [k for kind in run.metric_kinds for k in catalogue.headline_keys(kind) if k in rows]
    if not keys or not len(rows):
        return ""
    key = keys[0]
    label = catalogue.label("dataset.per_image", key, _matching(run))
    values = pd.to_numeric(rows[key], errors="coerce")
    names = rows["name"].astype(str) if "name" in rows else rows.index.astype(str)

    def per_image(axes):
        order = np.argsort(values.fillna(-1).to_numpy())
        axes.barh(np.arange(len(order)), values.to_numpy()[order], color="#4477aa")
        axes.set_yticks(np.arange(len(order)), names.to_numpy()[order], fontsize=7)
        axes.set(xlabel=label, xlim=(0, 1))

    height = min(2 + 0.18 * len(rows), 12)
    caption = f"{label} of each image, lowest first."
    return "<h2>Plots</h2>" + _figure(per_image, caption, size=(5, height))


# ---------------------------------------------------------------------------- snapshots
def _legend() -> str:
    items = [
        f"<span><i style='background: rgb({', '.join(str(round(255 * c)) for c in rgba[:3])})'>"
        f"</i>{_e(name)}</span>"
        for name, rgba, _ in KIND_COLORS_ON_LIGHT
    ]
    items += [
        "<span><i class='line'></i>true outline</span>",
        "<span><i class='line dashed'></i>predicted outline</span>",
    ]
    return "<p class='legend'>" + "".join(items) + "</p>"


def _snapshots(run: Run) -> str:
    """Crops of the error layer around the worst objects (the largest objects in error)."""
    objects = run.tables.get("per_object")
    if (
        objects is None
        or not len(objects)
        or "error" not in objects
        or not {"truth", "prediction"} <= set(run.labels)
    ):
        return ""
    truth, pred = run.labels["truth"], run.labels["prediction"]
    if truth.ndim < 2 or is_lazy(truth) or is_lazy(pred):
        return ""  # chunked images: no snapshot (it would read the whole image)
    worst = _worst_first(objects)
    worst = worst[~worst["error"].isin(["matched", EXCLUDED])].head(N_SNAPSHOTS)
    matching = _matching(run)
    if not len(worst):
        every = matching.rewrite("Every object is matched at IoU 0.5.")
        return f"<h2>Error snapshots</h2><p>{_e(every)}</p>"
    instance = getattr(run.record, "instance", None)
    kinds = error_map(truth, pred, by="kind", result=instance)
    figures = [_snapshot(truth, pred, kinds, row) for row in worst.itertuples(index=False)]
    note = matching.rewrite(
        "The error layer (objects coloured by error kind at IoU 0.5) around the largest objects "
        "in error; true outlines solid black, predicted outlines orange dashes (inside the black "
        "line where both outlines run along the same pixel edge)."
    )
    return f"<h2>Error snapshots</h2><p class='note'>{_e(note)}</p>" + _legend() + "".join(figures)


def _snapshot(truth, pred, kinds, row) -> str:
    from matplotlib.collections import LineCollection
    from matplotlib.patheffects import Normal, Stroke

    ndim = truth.ndim
    row = row._asdict()
    start = [int(row.get(f"bbox_start_{a}", 0)) for a in range(ndim)]
    stop = [int(row.get(f"bbox_stop_{a}", truth.shape[a])) for a in range(ndim)]
    # Leading axes: the plane through the object's centroid; the last two: the box + margin.
    index: list[Any] = [round(float(row.get(f"centroid_{a}", 0))) for a in range(ndim - 2)]
    for axis in (ndim - 2, ndim - 1):
        margin = max(4, (stop[axis] - start[axis]) // 2)
        index.append(
            slice(max(0, start[axis] - margin), min(truth.shape[axis], stop[axis] + margin))
        )
    where = tuple(index)
    # value -> RGBA; 0 white, so matched objects are charcoal (pale grey would fade into it)
    colors = np.ones((max(max(v) for _, _, v in KIND_COLORS_ON_LIGHT) + 1, 4))
    for _, rgba, values in KIND_COLORS_ON_LIGHT:
        colors[list(values)] = rgba
    image = colors[kinds[where]][..., :3]
    label = row.get("record_label", row["label"])
    side = "true" if row["kind"] == "true" else "predicted"
    caption = f"{side} object {label}: {row['error']} (area {int(row['area'])})"
    # Line widths in points: about half a pixel of the crop (the figure is ~200 points wide),
    # within [1, 3] so that neither the lines of a large crop nor those of a small one vanish.
    width = float(np.clip(100 / max(image.shape[:2]), 1.0, 3.0))

    def draw(axes):  # the caption is the figure's own, under it
        axes.imshow(image, interpolation="nearest")
        axes.add_collection(
            LineCollection(
                _outline(np.asarray(truth[where])),
                colors=TRUE_OUTLINE,
                linewidths=width,
                capstyle="projecting",
                path_effects=[Stroke(linewidth=width * 1.6, foreground="white"), Normal()],
            )
        )
        axes.add_collection(
            LineCollection(
                _outline(np.asarray(pred[where])),
                colors=PREDICTED_OUTLINE,
                linewidths=width * 0.5,
                linestyles=(0, (3, 2)),
                path_effects=[Stroke(linewidth=width * 0.85, foreground="black"), Normal()],
            )
        )
        _frame(axes)

    return _figure(draw, caption, size=(2.8, 2.8))


def _frame(axes) -> None:
    """No axes, a thin grey frame: where an image with a white background ends."""
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_color("#bbbbbb")


def _outline(labels: np.ndarray) -> np.ndarray:
    """The outlines of a 2-D label image: the pixel edges between two different values (an
    object and the background, or two objects), as segments ``((x0, y0), (x1, y1))`` in the
    coordinates of ``imshow`` (pixel centres at whole numbers), a run of edges in a line joined
    into one segment. The image's own edge is no outline (objects go on outside the crop)."""
    # between columns j and j + 1: vertical edges at x = j + 0.5, in runs down the rows
    column, top, bottom = _runs((labels[:, :-1] != labels[:, 1:]).T)
    # between rows i and i + 1: horizontal edges at y = i + 0.5, in runs along the columns
    row, left, right = _runs(labels[:-1] != labels[1:])
    vertical = np.stack([column + 0.5, top - 0.5, column + 0.5, bottom - 0.5], axis=1)
    horizontal = np.stack([left - 0.5, row + 0.5, right - 0.5, row + 0.5], axis=1)
    return np.concatenate([vertical, horizontal]).reshape(-1, 2, 2)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs of True along the rows of a 2-D mask: each one's row, first column and the
    column after its last."""
    steps = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(steps == 1)
    stops = np.nonzero(steps == -1)[1]
    return rows, starts, stops


# ---------------------------------------------------------------------------- comparison
_TELLS = {
    "image": (
        "McNemar's exact test counts only the true objects that one run matched and the other "
        "did not. It treats the objects as independent, which neighbouring objects are not: "
        "read its p-value as optimistic. It says nothing about other images, and a large "
        "p-value does not show that the runs are equally good."
    ),
    "dataset": (
        "The interval of each difference is a paired percentile bootstrap over images: the "
        "same images are drawn for both runs. An interval that excludes 0 says the difference "
        "is larger than the choice of images explains; it says nothing about other datasets, "
        "and treats images as independent draws."
    ),
}


def _comparison(comparison: Comparison) -> str:
    a, b = comparison.a, comparison.b
    headline = comparison.headline
    if "label" in headline and "metric" in headline:
        measures = (_measure(a), _measure(b))
        headline = headline.assign(
            label=[
                _unit_label(key, label, *measures)
                for key, label in zip(headline["metric"], headline["label"], strict=True)
            ]
        )
    parts = [
        f"<p class='meta'>{_runs_named(a, b)}Differences are B − A.</p>",
        "<h2>Headline metrics</h2>",
        _table(
            headline,
            text_columns=("metric", "label"),
            count_rows=[is_count(key, _summary_table_of(key)) for key in headline["metric"]]
            if "metric" in headline
            else (),
        ),
    ]
    parts += [f"<p class='note'>{_e(note)}</p>" for note in comparison.notes]
    parts.append(f"<p class='note'>{_e(_TELLS[a.kind])}</p>")
    if comparison.objects is not None:
        test = comparison.mcnemar
        counts = comparison.objects["change"].value_counts()
        parts.append(
            f"<h2>Per object ({_e(comparison.matching or 'IoU ≥ 0.5')})</h2>"
            f"<p>Fixed by B: <b>{int(counts.get('fixed by B', 0))}</b> · broken by B: "
            f"<b>{int(counts.get('broken by B', 0))}</b> · matched by both: "
            f"{int(counts.get('both', 0))} · by neither: {int(counts.get('neither', 0))}. "
            f"McNemar's exact test: p = {_f(float(test['p_value']))} "
            f"({int(test['n_discordant'])} discordant objects).</p>"
        )
        parts.append("<h3>Objects fixed or broken by B</h3>" + _table(comparison.changed))
        parts.append(_change_plot(comparison))
    if comparison.per_image is not None:
        parts.append("<h2>Per image, largest change first</h2>" + _table(comparison.per_image))
        parts.append(_difference_plot(comparison))
    for run, letter in ((a, "A"), (b, "B")):
        parts.append(f"<h2>Run {letter}: {_e(run.name)}</h2>" + _about(run) + _cards(run))
        parts.append(_settings(run).replace("<h2>", "<h3>").replace("</h2>", "</h3>"))
    return "\n".join(part for part in parts if part)


def _runs_named(a: Run, b: Run) -> str:
    """ "A: <name> (<prediction>), B: ..., on truth <truth>. ", each part only where there is
    a name to give (a prediction named as its run is not named twice)."""
    sides = []
    for run, letter in ((a, "A"), (b, "B")):
        prediction = run.inputs.get("prediction", "")
        shown = f" ({_e(prediction)})" if prediction and prediction != run.name else ""
        sides.append(f"{letter}: <b>{_e(run.name)}</b>{shown}")
    truth = a.inputs.get("truth", "")
    return ", ".join(sides) + (f", on truth <b>{_e(truth)}</b>" if truth else "") + ". "


def _change_plot(comparison: Comparison) -> str:
    """The truth's objects coloured by change (:data:`~napari_seg_eval.core.compare.CHANGE_COLORS`):
    the image, or of a stack the plane that holds most changed objects (:func:`_busiest_plane`),
    named in the caption."""
    truth = comparison.a.labels["truth"]
    table = comparison.objects
    if truth.ndim < 2 or is_lazy(truth) or not len(table):
        return ""
    ids = table["label"].to_numpy()
    changed = ids[table["change"].isin(["fixed by B", "broken by B"]).to_numpy()]
    caption = "True objects by change"
    plane = np.asarray(truth)
    if truth.ndim > 2:
        wanted, what = (changed, "fixed or broken") if len(changed) else (ids, "true")
        where, held = _busiest_plane(plane, wanted)
        plane = plane[where]
        index = where[0] if len(where) == 1 else "(" + ", ".join(map(str, where)) + ")"
        ranges = ", ".join(f"0–{n - 1}" for n in truth.shape[:-2])
        caption += (
            f" on plane {index} (of {ranges}), the plane with most {what} objects: "
            f"{held} of the {len(wanted)}."
        )
    order = np.argsort(ids, kind="stable")
    codes = np.zeros(plane.shape, np.intp)
    inside = np.isin(plane, ids)
    codes[inside] = order[np.searchsorted(ids[order], plane[inside])] + 1
    palette = np.ones((len(ids) + 1, 3))
    palette[1:] = [CHANGE_COLORS[change] for change in table["change"]]

    def draw(axes):
        axes.imshow(palette[codes], interpolation="nearest")
        _frame(axes)

    legend = "".join(
        f"<span><i style='background: rgb({', '.join(str(round(255 * c)) for c in rgb)})'>"
        f"</i>{_e(name)}</span>"
        for name, rgb in CHANGE_COLORS.items()
    )
    return f"<p class='legend'>{legend}</p>" + _figure(draw, caption, size=(5, 5))


def _busiest_plane(labels: np.ndarray, ids: np.ndarray) -> tuple[tuple[int, ...], int]:
    """The plane of a stack (its index over the leading axes) holding most of the objects
    ``ids``, and how many it holds. Ties go to the plane where they cover most pixels (their
    largest cross-sections), then to the middle one of the planes still tied.

    A plane rather than a projection: it shows the objects as they are, each apart from its
    neighbours above and below, and the reader finds it in the viewer by its index.
    """
    lead = labels.shape[:-2]
    planes = labels.reshape(-1, *labels.shape[-2:])
    held = np.zeros(len(planes), np.int64)
    area = np.zeros(len(planes), np.int64)
    for number, plane in enumerate(planes):
        values = plane[np.isin(plane, ids)]
        held[number], area[number] = len(np.unique(values)), values.size
    best = np.flatnonzero(held == held.max())
    best = best[area[best] == area[best].max()]
    number = int(best[len(best) // 2])
    return tuple(int(i) for i in np.unravel_index(number, lead)), int(held[number])


def _difference_plot(comparison: Comparison) -> str:
    """The per-image difference B − A of the comparison's first metric, its axis in the words
    of the runs' matching when they share it; else in the catalogue's, marked
    :data:`~napari_seg_eval.runs.MATCHED_DIFFERENTLY` when the metric is not the same
    quantity in both runs (:func:`~napari_seg_eval.runs.defined_differently`)."""
    per_image, a, b = comparison.per_image, comparison.a, comparison.b
    columns = [c for c in per_image.columns if c.endswith("_difference")]
    if not columns or not len(per_image):
        return ""
    column = columns[0]
    key = column.removesuffix("_difference")
    label = catalogue.label(
        "dataset.per_image", key, a.matching if a.matching == b.matching else None
    )
    if defined_differently(a, b, key):
        label += MATCHED_DIFFERENTLY

    def draw(axes):
        values = per_image[column].to_numpy(float)
        axes.barh(np.arange(len(values)), values, color=np.where(values >= 0, "#44aa99", "#cc6677"))
        axes.set_yticks(np.arange(len(values)), per_image["name"].astype(str), fontsize=7)
        axes.invert_yaxis()
        axes.axvline(0, color="#333", linewidth=0.8)
        axes.set(xlabel=f"{label}: B − A")

    height = min(2 + 0.18 * len(per_image), 12)
    return _figure(draw, "Per-image difference B − A, largest change first.", size=(5, height))
