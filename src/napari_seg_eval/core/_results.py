"""What every result object shares: readable printing, DataFrame and CSV export."""

from __future__ import annotations

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


class Result:
    """Base of the result objects: ``summary`` plus one main table named by ``_main``."""

    _main: ClassVar[str]
    summary: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """The main table as a new DataFrame.

        Returns
        -------
        pandas.DataFrame
            A copy of the main table (e.g. ``per_class``, ``per_threshold``, ``per_image``).

        Examples
        --------
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
        >>> import napari_seg_eval as nse
        >>> result = nse.semantic_metrics(np.array([0, 1]), np.array([0, 1]))
        >>> result.to_csv("per_class.csv")  # doctest: +SKIP
        """
        self.to_frame().to_csv(path, index=False, **kwargs)

    def __repr__(self) -> str:
        with pd.option_context("display.width", 120, "display.max_columns", 30):
            return (
                f"{type(self).__name__}\n"
                f"summary:\n{self.summary.to_string()}\n\n"
                f"{self._main}:\n{getattr(self, self._main).to_string(index=False)}"
            )
