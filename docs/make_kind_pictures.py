"""Draw one hand-made example of each error kind into docs/images/kinds_*.png.

Run: ``python docs/make_kind_pictures.py`` (matplotlib only, no napari). Each picture shows
the error layer's colours (``error_map(by="kind")``, the Review tab's colours; lighter where a
prediction covers no true object) with the predicted objects as black outlines over them, as
the Review tab draws them. The kinds are
computed by the library and checked against the ones each example was drawn to show.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from napari_seg_eval import error_map, review_objects
from napari_seg_eval.core.review import KIND_COLORS

OUT = Path(__file__).parent / "images"
SHAPE = (12, 16)


def disk(center: tuple[float, float], radius: float) -> np.ndarray:
    """A filled disc on the picture's grid."""
    rows, cols = np.indices(SHAPE)
    return (rows - center[0]) ** 2 + (cols - center[1]) ** 2 <= radius**2


def examples() -> dict[str, tuple[str, np.ndarray, np.ndarray, dict]]:
    """name -> (title, truth, prediction, the kinds expected of each object)."""
    cases = {}

    true, pred = np.zeros(SHAPE, int), np.zeros(SHAPE, int)
    true[disk((6, 8), 4)] = 1
    pred[disk((6, 8.6), 4)] = 1
    cases["matched"] = (
        "matched: IoU ≥ 0.5",
        true,
        pred,
        {("true", 1): "matched", ("pred", 1): "matched"},
    )

    true, pred = np.zeros(SHAPE, int), np.zeros(SHAPE, int)
    true[disk((6, 4.5), 3)] = 1
    true[disk((6, 11.5), 3)] = 2
    pred[3:10, 1:15] = 1
    pred[disk((6, 4.5), 3) | disk((6, 11.5), 3)] = 1
    cases["merged"] = (
        "merged (true) / merge (predicted)",
        true,
        pred,
        {("true", 1): "merged", ("true", 2): "merged", ("pred", 1): "merge"},
    )

    true, pred = np.zeros(SHAPE, int), np.zeros(SHAPE, int)
    true[2:10, 1:15] = 1
    pred[3:9, 2:7] = 1
    pred[3:9, 9:14] = 2
    cases["split"] = (
        "split (true) / fragment (predicted)",
        true,
        pred,
        {("true", 1): "split", ("pred", 1): "fragment", ("pred", 2): "fragment"},
    )

    true, pred = np.zeros(SHAPE, int), np.zeros(SHAPE, int)
    true[disk((6, 5.5), 3.5)] = 1
    pred[disk((6, 10.5), 3.5)] = 1
    cases["poor_overlap"] = (
        "poor overlap: IoU < 0.5",
        true,
        pred,
        {("true", 1): "poor overlap", ("pred", 1): "poor overlap"},
    )

    true, pred = np.zeros(SHAPE, int), np.zeros(SHAPE, int)
    true[disk((6, 8), 3.5)] = 1
    cases["missed"] = ("missed: no prediction overlaps", true, pred, {("true", 1): "missed"})

    true, pred = np.zeros(SHAPE, int), np.zeros(SHAPE, int)
    pred[disk((6, 8), 3.5)] = 1
    cases["spurious"] = (
        "spurious: overlaps no true object",
        true,
        pred,
        {("pred", 1): "spurious"},
    )

    true, pred = np.zeros(SHAPE, int), np.zeros(SHAPE, int)
    true[disk((6, 1.5), 3)] = 1  # cut by the left edge
    pred[disk((6, 2), 3)] = 1
    true[disk((6, 11), 3)] = 2
    pred[disk((6, 11.4), 3)] = 2
    cases["excluded"] = (
        "excluded: touches the border band (1 pixel)",
        true,
        pred,
        {
            ("true", 2): "matched",
            ("true", 1): "excluded",
            ("pred", 2): "matched",
            ("pred", 1): "excluded",
        },
    )
    return cases


#: Examples drawn with ``exclude_border`` (pixels); the others with none.
BORDER = {"excluded": 1}


def draw(title: str, true: np.ndarray, pred: np.ndarray, path: Path, border: int = 0) -> None:
    """The error layer in the kinds' colours (lighter where only a prediction is), predicted
    objects outlined in black along their pixels' edges."""
    values = error_map(true, pred, by="kind", exclude_border=border)
    rgba = np.ones((*SHAPE, 4))  # white background
    for _, color, kind_values in KIND_COLORS:
        rgba[np.isin(values, kind_values)] = color
    rgba[(true == 0) & (pred > 0), 3] = 0.45
    figure, axes = plt.subplots(figsize=(3.2, 2.9), dpi=110)
    axes.imshow(rgba, interpolation="nearest")
    fine = 20  # outlines on a finer grid follow the pixels' edges, not their centres
    for label in np.unique(pred[pred > 0]):
        mask = np.kron(pred == label, np.ones((fine, fine)))
        rows = (np.arange(mask.shape[0]) + 0.5) / fine - 0.5  # pixel coordinates of the
        cols = (np.arange(mask.shape[1]) + 0.5) / fine - 0.5  # fine grid's cell centres
        axes.contour(cols, rows, mask, levels=[0.5], colors="black", linewidths=2)
    present = [
        Patch(facecolor=color, edgecolor="grey", label=name)
        for name, color, kind_values in KIND_COLORS
        if np.isin(values, kind_values).any()
    ]
    present.append(Patch(facecolor="none", edgecolor="black", label="predicted object"))
    if ((true == 0) & (pred > 0)).any():
        present.append(Patch(facecolor="none", edgecolor="none", label="(lighter: no true object)"))
    axes.legend(
        handles=present,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=2,
        fontsize=7,
        frameon=False,
    )
    axes.set_title(title, fontsize=9)
    axes.set_xticks([])
    axes.set_yticks([])
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, (title, true, pred, expected) in examples().items():
        border = BORDER.get(name, 0)
        objects = review_objects(true, pred, exclude_border=border)
        kinds = objects.set_index(["kind", "label"])["error"].to_dict()
        if kinds != expected:
            raise AssertionError(f"{name}: drawn to show {expected}, the library says {kinds}")
        path = OUT / f"kinds_{name}.png"
        draw(title, true, pred, path, border)
        print(path)


if __name__ == "__main__":
    main()
