"""What every result object shares: readable printing, DataFrame and CSV export."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd


def ratio(numerator, denominator):
    """numerator / denominator with 0/0 (and x/0) as NaN, never 0 or 1; scalars stay scalars."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den != 0)
    return float(out) if out.ndim == 0 else out


def confusion_scores(tp, fp, fn, tn) -> dict[str, np.ndarray]:
    """IoU, Dice, precision, recall and accuracy from pixel counts (0/0 -> NaN)."""
    tp, fp, fn, tn = (np.asarray(v, dtype=float) for v in (tp, fp, fn, tn))
    return {
        "iou": ratio(tp, tp + fp + fn),
        "dice": ratio(2 * tp, 2 * tp + fp + fn),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "accuracy": ratio(tp + tn, tp + fp + fn + tn),
    }


def nanmean(values) -> float:
    """Mean over the defined values; NaN if none is defined (0/0 stays out of every mean)."""
    values = np.asarray(values, float)
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if defined.size else float("nan")


class Result:
    """Base of the result objects: ``summary`` plus one main table named by ``_main``."""

    _main: ClassVar[str]
    summary: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """The main table as a new DataFrame."""
        return getattr(self, self._main).copy()

    def to_csv(self, path: str | Path, **kwargs) -> None:
        """Write the main table to ``path`` as CSV (undefined values are left empty)."""
        self.to_frame().to_csv(path, index=False, **kwargs)

    def __repr__(self) -> str:
        with pd.option_context("display.width", 120, "display.max_columns", 30):
            return (
                f"{type(self).__name__}\n"
                f"summary:\n{self.summary.to_string()}\n\n"
                f"{self._main}:\n{getattr(self, self._main).to_string(index=False)}"
            )
