"""What every result object shares: a numeric summary, readable printing (text and HTML),
DataFrame and CSV export."""

from __future__ import annotations

import html
import numbers
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd


def ratio(numerator, denominator):
    """numerator / denominator with 0/0 (and x/0) as NaN, never 0 or 1.

    Parameters
    ----------
    numerator, denominator : float or array_like
        Broadcastable values.

    Returns
    -------
    float or numpy.ndarray
        The ratios as floats; a float when both are scalars.

    Examples
    --------
    >>> ratio(1, 4), ratio(0, 0)
    (0.25, nan)
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den != 0)
    return float(out) if out.ndim == 0 else out


def confusion_scores(tp, fp, fn, tn) -> dict[str, np.ndarray]:
    """IoU, Dice, precision, recall and accuracy from pixel counts (0/0 -> NaN).

    Parameters
    ----------
    tp, fp, fn, tn : int or array_like
        True positive, false positive, false negative and true negative counts.

    Returns
    -------
    dict of str to numpy.ndarray
        ``iou``, ``dice``, ``precision``, ``recall`` and ``accuracy``.

    Examples
    --------
    >>> confusion_scores(3, 1, 2, 4)["iou"]  # 3 / (3 + 1 + 2)
    0.5
    """
    tp, fp, fn, tn = (np.asarray(v, dtype=float) for v in (tp, fp, fn, tn))
    return {
        "iou": ratio(tp, tp + fp + fn),
        "dice": ratio(2 * tp, 2 * tp + fp + fn),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "accuracy": ratio(tp + tn, tp + fp + fn + tn),
    }


def nanmean(values) -> float:
    """Mean over the defined values; NaN if none is defined (0/0 stays out of every mean).

    Parameters
    ----------
    values : array_like
        Numbers, NaN where undefined.

    Returns
    -------
    float
        The mean of the values that are not NaN, or NaN.

    Examples
    --------
    >>> nanmean([0.5, float("nan"), 1.0])
    0.75
    """
    values = np.asarray(values, float)
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if defined.size else float("nan")


#: A result's text is this wide at most (pandas' ``display.width`` if wider): wider tables
#: continue below, their columns in blocks.
TEXT_WIDTH = 120

#: Integers up to 2**53 are exact as float64: a summary holding a larger one keeps its dtype.
_EXACT_INTEGERS = 2**53


def numeric_summary(summary: pd.Series) -> pd.Series:
    """``summary`` as float64 when every value is a number (counts too), else as it is.

    As float64 a summary's ``describe()``, ``round()``, arithmetic and plots are numeric, and
    so are the columns of a table built of several summaries. Booleans, strings (the metric a
    sweep chose), and integers too large to be exact as floats keep it as it is.

    Parameters
    ----------
    summary : pandas.Series
        A result's summary.

    Returns
    -------
    pandas.Series
        The summary, float64 when every value is a number; otherwise ``summary`` itself.

    Examples
    --------
    >>> numeric_summary(pd.Series({"n_true": 3, "f1_50": 0.5}, dtype=object)).dtype
    dtype('float64')
    >>> numeric_summary(pd.Series({"n_true": 3, "metric": "iou"}, dtype=object)).dtype
    dtype('O')
    """
    if summary.dtype != object or not all(_is_number(value) for value in summary):
        return summary
    return summary.astype(np.float64)


def _is_number(value: object) -> bool:
    """A real number (not a boolean) that float64 holds exactly (a float, or a small integer)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return False
    return not isinstance(value, numbers.Integral) or abs(int(value)) <= _EXACT_INTEGERS


def _whole(values: np.ndarray) -> bool:
    """Every value a whole number (NaN and infinities are not)."""
    return bool(np.isfinite(values).all() and (values == np.floor(values)).all())


def is_count(key: str, table: str | None = None) -> bool:
    """Whether a summary key (or a column built of summaries) names a count: ``n_...``, or,
    with ``table``, a value the metric catalogue's ``table`` sums over images (``tp``,
    ``seg_sum``, ...).

    Examples
    --------
    >>> is_count("n_true"), is_count("mean_nsd"), is_count("tp", "instance.per_threshold")
    (True, False, True)
    """
    if key.startswith("n_"):
        return True
    if not table:
        return False
    from . import catalogue  # the catalogue's tables are built on first use

    entry = catalogue.metric(table, key)
    return entry is not None and entry.pooling == "sum"


def count_as_integer(key: str, value: object, table: str | None = None) -> object:
    """``value`` as printed and written: a Python integer when ``key`` names a count
    (:func:`is_count`, with ``table``) and the value is a whole number, else as it is.

    Parameters
    ----------
    key : str
        The summary key (or column) the value is of.
    value : object
        Its value.
    table : str, optional
        The metric catalogue's table of ``key``, as :func:`is_count` takes it.

    Returns
    -------
    object
        ``int(value)`` for a whole count, otherwise ``value``.

    Examples
    --------
    >>> count_as_integer("n_true", 3.0), count_as_integer("fn", 2.0, "ctc")
    (3, 2)
    >>> count_as_integer("fn", 2.0), count_as_integer("n_true", 2.5)
    (2.0, 2.5)
    """
    if is_count(key, table) and _is_number(value) and float(value).is_integer():
        return int(value)
    return value


def counts_as_integers(summary: pd.Series) -> pd.Series:
    """``summary`` as printed and written: its counts (keys ``n_...``) that are whole numbers
    as Python integers, the other values as they are (an ``object`` Series).

    A float64 summary holds its counts as floats (3.0); a CSV file, a printout or a table
    shows them as counts (3).

    Parameters
    ----------
    summary : pandas.Series
        A result's summary.

    Returns
    -------
    pandas.Series
        A new ``object`` Series with the same keys.

    Examples
    --------
    >>> summary = pd.Series({"n_true": 3.0, "f1_50": 1.0})
    >>> counts_as_integers(summary).tolist()
    [3, 1.0]
    """
    values = [count_as_integer(str(key), value) for key, value in summary.items()]
    return pd.Series(values, index=summary.index, dtype=object, name=summary.name)


def integer_count_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its float columns of counts (``n_...``, e.g. built of float64
    summaries) as int64 when every value is a whole number; the table itself when none is.

    Examples
    --------
    >>> table = pd.DataFrame({"n_true": [3.0, 4.0], "f1_50": [1.0, 0.5]})
    >>> integer_count_columns(table).dtypes.astype(str).tolist()
    ['int64', 'float64']
    """
    counts = [
        column
        for column in table.columns
        if is_count(str(column))
        and pd.api.types.is_float_dtype(table[column].dtype)
        and _whole(table[column].to_numpy(float, na_value=np.nan))
    ]
    return table.astype(dict.fromkeys(counts, np.int64)) if counts else table


class Result:
    """Base of the result objects: ``summary`` plus one main table named by ``_main``.

    Whatever a subclass builds, a summary whose values are all numbers is stored as float64
    (:func:`numeric_summary`), and the main table's counts (``n_...`` columns, e.g. rows made
    of float64 summaries) as integers (:func:`integer_count_columns`). A subclass that defines
    ``__post_init__`` calls this one.

    Printed (``repr``, and as HTML in a notebook), a result shows its summary with the counts
    as integers and its main table: all of it up to pandas' ``display.max_rows`` rows, else its
    first and last rows (``display.min_rows``) and how many there are.
    """

    _main: ClassVar[str]
    summary: pd.Series

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", numeric_summary(self.summary))
        object.__setattr__(self, self._main, integer_count_columns(getattr(self, self._main)))

    def to_frame(self) -> pd.DataFrame:
        """The main table as a new DataFrame.

        Returns
        -------
        pandas.DataFrame
            A copy of the main table (e.g. ``per_class``, ``per_threshold``, ``per_image``).

        Examples
        --------
        >>> import numpy as np
        >>> import napari_seg_eval as nse
        >>> nse.semantic_metrics(np.array([0, 1]), np.array([0, 1])).to_frame()["iou"].tolist()
        [1.0, 1.0]
        """
        return getattr(self, self._main).copy()

    def to_csv(self, path: str | Path, **kwargs) -> None:
        """Write the main table to ``path`` as CSV (undefined values are left empty).

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write.
        **kwargs
            Passed on to :meth:`pandas.DataFrame.to_csv`.

        Examples
        --------
        >>> import numpy as np
        >>> import napari_seg_eval as nse
        >>> result = nse.semantic_metrics(np.array([0, 1]), np.array([0, 1]))
        >>> result.to_csv("per_class.csv")  # doctest: +SKIP
        """
        self.to_frame().to_csv(path, index=False, **kwargs)

    def _shown(self) -> pd.DataFrame:
        """The main table as printed (a subclass may shorten long cells)."""
        return getattr(self, self._main)

    def _table_title(self, table: pd.DataFrame) -> str:
        """``<main>: N rows x M columns`` and, when not every row is shown, how to get them."""
        rows, columns = table.shape
        title = f"{self._main}: {rows} rows x {columns} columns"
        shown = _rows_shown(rows)
        if shown is not None:
            title += (
                f"; the first and last {shown // 2} shown (all of them: .to_frame() or "
                f".{self._main})"
            )
        return title

    def __repr__(self) -> str:
        table = self._shown()
        text = table.to_string(
            index=False,
            max_rows=_rows_shown(len(table)),
            line_width=max(pd.get_option("display.width") or 0, TEXT_WIDTH),
        )
        return (
            f"{type(self).__name__}\n"
            f"summary:\n{counts_as_integers(self.summary).to_string()}\n\n"
            f"{self._table_title(table)}\n{text}"
        )

    def _repr_html_(self) -> str:
        table = self._shown()
        summary = counts_as_integers(self.summary).to_frame("value")
        main = table.to_html(
            index=False,
            max_rows=_rows_shown(len(table)),
            max_cols=pd.get_option("display.max_columns"),
            notebook=True,
        )
        return (
            f"<div><p><b>{html.escape(type(self).__name__)}</b></p>"
            f"<p>summary</p>{summary.to_html(notebook=True)}"
            f"<p>{html.escape(self._table_title(table))}</p>{main}</div>"
        )


def _rows_shown(rows: int) -> int | None:
    """How many of a table's ``rows`` a result shows, as pandas shows a DataFrame: all (None)
    up to ``display.max_rows``, else ``display.min_rows`` (half of them first, half last)."""
    max_rows = pd.get_option("display.max_rows")
    if max_rows is None or max_rows == 0 or rows <= max_rows:
        return None
    min_rows = pd.get_option("display.min_rows")
    return max(2, min(min_rows, max_rows) if min_rows else max_rows)
