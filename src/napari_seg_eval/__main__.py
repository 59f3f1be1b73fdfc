"""Command line: ``napari-seg-eval report`` prints the metrics of the sample data;
``napari-seg-eval demo`` opens napari with the sample data and the dock widget."""

from __future__ import annotations

import argparse

import pandas as pd

from . import (
    instance_metrics,
    label_instances,
    make_sample_data,
    semantic_metrics,
    threshold_probabilities,
)


def report(threshold: float = 0.5) -> str:
    """The metric tables of the built-in sample data at ``threshold``, as text."""
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
    """Load the sample data into ``viewer`` and set the dock widget up to review it."""
    viewer.open_sample("napari-seg-eval", "nuclei")
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    widget.set_probability_layer("nuclei probability")
    widget.apply_confidence_colormap()
    widget.set_ground_truth("nuclei ground truth")
    widget.set_prediction("nuclei probability")
    widget.output_combo.setCurrentText("instance")
    viewer.layers.selection.active = viewer.layers["nuclei probability"]
    return widget


def demo() -> None:
    """Open napari with the sample data and the Segmentation Evaluation dock widget."""
    import napari

    open_demo(napari.Viewer(title="napari-seg-eval demo"))
    napari.run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="napari-seg-eval", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    report_parser = commands.add_parser("report", help="print metrics of the sample data")
    report_parser.add_argument("--threshold", type=float, default=0.5)
    commands.add_parser("demo", help="open napari with the sample data and the widget")
    args = parser.parse_args(argv)
    if args.command == "report":
        print(report(args.threshold))
    else:
        demo()


if __name__ == "__main__":
    main()
