"""The Runs tab's comparison reads at a glance and exports cleanly (runs126, from trial121).

Regressions: the comparison's fixed teal and broken rose were Review's spurious and missed
colours, and the probability map stayed shown under them (at a low threshold every object
looked broken); the comparison tables showed the API key first and the values off the dock's
edge; the runs table's Copy / Export CSV wrote values with an interval as text; Save wrote
empty files for tables never computed; an object a run did not match had a blank IoU where
Review says 0; the comparison layer's name was ~100 characters.
"""

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval._napari.layers import tag
from napari_seg_eval._qt import runs_panel

pytest.importorskip("napari")

# Six true objects of 3x3 pixels, in columns 6i .. 6i + 2 of rows 2-4.
TRUTH = np.zeros((8, 40), np.int32)
for _i in range(6):
    TRUTH[2:5, 6 * _i : 6 * _i + 3] = _i + 1
# p = 0.9 on objects 1-3, 0.45 on objects 4 and 5, 0 elsewhere: p > 0.5 finds 1-3,
# p > 0.4 finds 1-5; so the run at 0.4 (B) fixes 4 and 5 against the run at 0.5 (A), breaks none.
PROBABILITY = np.select([np.isin(TRUTH, [1, 2, 3]), np.isin(TRUTH, [4, 5])], [0.9, 0.45], 0.0)

# Machado, Oliveira & Fernandes (2009), severity 1, on linear RGB (as tests/test_review.py).
COLOUR_BLINDNESS = (
    [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],  # noqa: E501
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],  # noqa: E501
    [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],  # noqa: E501
)  # fmt: skip


def copy_of(ids):
    """The true objects ``ids`` as predictions (id + 10), each exact: IoU 1."""
    return np.where(np.isin(TRUTH, ids), TRUTH + 10, 0).astype(np.int32)


@pytest.fixture
def viewer(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_labels(copy_of([1, 2]), name="model A")
    viewer.add_labels(copy_of([1, 3, 4, 5]), name="model B")
    return viewer


def open_dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    return widget


def evaluate(widget, prediction, qtbot):
    """Evaluate ``prediction`` and wait for the run's intervals (a worker)."""
    widget.set_ground_truth("truth")
    widget.set_prediction(prediction)
    widget.evaluate.kind_combo.setCurrentText("instance")
    with qtbot.waitSignal(widget.runs.intervals_done, timeout=60_000):
        widget.run_evaluation(wait=True)


def compared(viewer, qtbot):
    """The dock with runs of model A and model B compared (B against A), on the Runs tab."""
    widget = open_dock(viewer)
    for model in ("model A", "model B"):
        evaluate(widget, model, qtbot)
    widget.tabs.setCurrentWidget(widget.runs)
    widget.runs.compare(*widget.runs.runs.names)
    return widget


def comparison_layer(viewer):
    return next(layer for layer in viewer.layers if tag(layer).get("role") == "comparison")


def seen(rgb, matrix=None):
    """CIELAB of sRGB colours (rows), as seen with a colour-vision deficiency if given."""
    from skimage.color import rgb2lab

    rgb = np.atleast_2d(np.asarray(rgb, float))
    if matrix is not None:
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        linear = np.clip(linear @ np.asarray(matrix).T, 0, 1)
        rgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return rgb2lab(rgb[None])[0]


def contrast(a, b):
    """WCAG contrast ratio of two sRGB colours (1 to 21)."""

    def luminance(color):
        c = np.asarray(color[:3], float)
        linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# ------------------------------------------------------------------------------- colours
def test_fixed_and_broken_are_apart_from_reviews_colours_and_the_confidence_map(viewer, qtbot):
    """Regression (trial121 #3): fixed was teal, Review's spurious; broken rose, near
    Review's missed and the confidence colormap's red."""
    from napari.utils.theme import get_theme
    from skimage.color import deltaE_ciede2000

    from napari_seg_eval.core.colormap import map_confidence
    from napari_seg_eval.core.review import KIND_COLORS, KIND_COLORS_ON_LIGHT

    panel = compared(viewer, qtbot).runs
    layer = comparison_layer(viewer)
    fixed, broken = layer.get_color(1), layer.get_color(2)
    assert fixed[3] == broken[3] == 1.0  # opaque
    review = [color[:3] for _, color, _ in (*KIND_COLORS, *KIND_COLORS_ON_LIGHT)]
    confidence = map_confidence(np.linspace(0, 1, 1001))[:, :3]
    for name, color in (("fixed", fixed[:3]), ("broken", broken[:3])):
        lab = seen(color)
        # CIEDE2000 above 15 from every error kind's colour (dark and light variants) and from
        # every colour of the confidence map: clearly other colours
        assert deltaE_ciede2000(lab, seen(review)).min() > 15, name
        assert deltaE_ciede2000(lab, seen(confidence)).min() > 15, name
        # WCAG's 3:1 for graphics on napari's dark and light canvas
        for theme in ("dark", "light"):
            canvas = np.array(get_theme(theme).canvas.as_rgb_tuple()[:3]) / 255
            assert contrast(color, canvas) >= 3, (name, theme)
    # fixed and broken far apart, also as seen with each colour-vision deficiency
    for matrix in (None, *COLOUR_BLINDNESS):
        lab = seen([fixed[:3], broken[:3]], matrix)
        assert deltaE_ciede2000(lab[0], lab[1]) > 25, matrix
    # the legend shows the layer's colours
    swatches = {name: swatch.styleSheet() for name, (swatch, _) in panel.legend.items()}
    for name, color in (("fixed by B", fixed), ("broken by B", broken)):
        rgb = ", ".join(str(round(255 * c)) for c in color[:3])
        assert f"rgb({rgb})" in swatches[name]


def test_comparing_hides_the_probability_map_and_names_it(make_napari_viewer, qtbot, monkeypatch):
    """Regression (trial121 #3): the notice hid contour, thresholded and evaluated layers but
    not the map; its colours showed under the comparison (red at a low threshold)."""
    notices = []
    monkeypatch.setattr(runs_panel, "show_info", notices.append)
    viewer = make_napari_viewer()
    viewer.add_image(np.ones(TRUTH.shape), name="micrograph")  # no input: stays shown
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_image(PROBABILITY, name="probability")
    widget = open_dock(viewer)
    widget.set_probability_layer("probability")
    for threshold in (0.5, 0.4):
        widget.set_threshold(threshold)
        evaluate(widget, "probability", qtbot)
    panel = widget.runs
    assert viewer.layers["probability"].visible
    comparison = panel.compare(*panel.runs.names)
    # B (p > 0.4) finds objects 4 and 5 that A (p > 0.5) misses: 2 fixed, none broken
    assert comparison.changed.set_index("label")["change"].to_dict() == {
        4: "fixed by B",
        5: "fixed by B",
    }
    layer = comparison_layer(viewer)
    assert not viewer.layers["probability"].visible
    assert not viewer.layers["truth"].visible
    assert viewer.layers["micrograph"].visible and layer.visible
    assert notices and "'probability'" in notices[-1] and "'truth'" in notices[-1]
    # shown again as the others are: its eye (nothing else changed in it)
    viewer.layers["probability"].visible = True
    assert viewer.layers["probability"].data is not None


# ------------------------------------------------------------------------------- tables
def test_the_comparison_tables_show_the_values_first(make_napari_viewer, qtbot):
    """Regression (trial121 #5): the headline table began with the metric's key, its label
    and "better"; A, B and B − A were off the dock's right edge; the objects table ended at
    partner_b, cut off."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication

    viewer = make_napari_viewer(show=True)
    viewer.window._qt_window.resize(1500, 1000)
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_labels(copy_of([1, 2]), name="model A")
    viewer.add_labels(copy_of([1, 3, 4, 5]), name="model B")
    panel = compared(viewer, qtbot).runs
    QApplication.processEvents()
    horizontal, tip = Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole

    model, view = panel.difference_table.model, panel.difference_table.view
    columns = model.frame.columns.tolist()
    assert columns[:4] == ["label", "a", "b", "difference"] and columns[-1] == "metric"
    headers = [model.headerData(c, horizontal) for c in range(4)]
    assert headers == ["metric", "A", "B", "B − A"]
    assert "'run 1: model A'" in model.headerData(1, horizontal, tip)
    assert "'run 2: model B'" in model.headerData(2, horizontal, tip)
    # F1 @ 0.5: A finds 2 of 6 objects (no false ones): 2·2 / (2·2 + 0 + 4) = 0.5; B finds 4:
    # 8 / (8 + 0 + 2) = 0.8; B − A = 0.3
    row = model.frame.set_index("metric").loc["f1_50"]
    assert (row["a"], row["b"], row["difference"]) == pytest.approx((0.5, 0.8, 0.3))
    right = view.columnViewportPosition(3) + view.columnWidth(3)
    assert right <= view.viewport().width()  # the label, A, B and B − A in view

    model, view = panel.objects_table.model, panel.objects_table.view
    columns = model.frame.columns.tolist()
    assert columns[:6] == ["label", "change", "iou_a", "iou_b", "partner_a", "partner_b"]
    assert columns[-2:] == ["matched_a", "matched_b"]
    headers = [model.headerData(c, horizontal) for c in range(6)]
    assert headers == ["true\nobject", "change", "IoU A", "IoU B", "partner\nA", "partner\nB"]
    # the object, its change, both IoUs and A's partner in view (B's starts in view)
    right = view.columnViewportPosition(4) + view.columnWidth(4)
    assert right <= view.viewport().width()
    assert view.columnViewportPosition(5) < view.viewport().width()
    # Export CSV keeps the API's names, in the order shown
    exported = model.export_frame()
    assert exported.columns.tolist()[:6] == columns[:6]


def test_an_object_a_run_does_not_match_has_iou_0_as_in_review():
    """Regression (trial121 #15): the fixed/broken table left the IoU blank (NaN) for an
    object with no partner, where Review's table says 0."""
    from napari_seg_eval.evaluation import evaluate as evaluate_record
    from napari_seg_eval.runs import Runs

    runs = Runs()
    runs.add(evaluate_record(TRUTH, copy_of([1, 2]), kind="instance"), name="A")
    runs.add(evaluate_record(TRUTH, copy_of([1, 3, 4, 5]), kind="instance"), name="B")
    objects = runs.compare("A", "B").objects.set_index("label")
    # object 2: A's copy 12 covers it exactly (IoU 9/9 = 1); B has nothing on it: no partner,
    # IoU 0. Objects 3-5 the other way round. Object 6: neither run has a partner: 0 and 0.
    assert objects.loc[2, ["partner_a", "iou_a", "partner_b", "iou_b"]].tolist() == [12, 1, 0, 0]
    for label in (3, 4, 5):
        row = objects.loc[label, ["partner_a", "iou_a", "partner_b", "iou_b"]].tolist()
        assert row == [0, 0, label + 10, 1]
    assert objects.loc[6, ["iou_a", "iou_b"]].tolist() == [0, 0]
    # Review (run B's per-object table) gives true object 2, which nothing overlaps, IoU 0 too
    review = runs["B"].tables["per_object"]
    assert review[(review["kind"] == "true") & (review["label"] == 2)]["iou"].tolist() == [0]


# ------------------------------------------------------------------------------- export
def test_copy_and_export_give_the_runs_values_and_intervals_as_numbers(viewer, qtbot, tmp_path):
    """Regression (trial121 #12): a value with its interval was written as the text
    "0.5000 [0.0000, 0.8000]", which a script or a spreadsheet cannot read."""
    panel = compared(viewer, qtbot).runs
    shown = panel.table.model.frame.set_index("name")["f1_50"]
    assert shown.tolist() == ["0.5000 [0.0000, 0.8000]", "0.8000 [0.5000, 1.0000]"]  # as shown
    # F1 @ 0.5: A 2 of 6 objects -> 4/8; B 4 of 6 -> 8/10. Over objects, a resample draws k
    # found pairs of 6 units (A: k ~ Binomial(6, 1/3), B: Binomial(6, 2/3)) and F1 = 2k/(6 + k).
    # A: P(k = 0) = 0.088 > 2.5 %, P(k >= 5) = 0.018 < 2.5 %: [0, 8/10]. B: P(k <= 1) = 0.018,
    # P(k <= 2) = 0.10: low 4/8; P(k = 6) = 0.088: high 1.
    expected = {"f1_50": [0.5, 0.8], "f1_50_low": [0.0, 0.5], "f1_50_high": [0.8, 1.0]}
    path = panel.table.export_csv(tmp_path / "runs.csv", wait=True)
    exported = pd.read_csv(path)
    columns = exported.columns.tolist()
    at = columns.index("f1_50")
    assert columns[at : at + 3] == ["f1_50", "f1_50_low", "f1_50_high"]
    for column, values in expected.items():
        assert exported[column].dtype == float
        assert exported[column].tolist() == pytest.approx(values)
    # Copy: the headers shown, the numbers likewise
    from io import StringIO

    copied = pd.read_csv(StringIO(panel.table.copy(wait=True)), sep="\t")
    for column, values in expected.items():
        header = "F1 @ 0.5" + column.removeprefix("f1_50").replace("_", " ")
        assert copied[header].tolist() == pytest.approx(values)


def test_a_run_from_a_map_exports_its_threshold_as_a_number(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    viewer.add_labels(TRUTH, name="truth")
    viewer.add_image(PROBABILITY, name="probability")
    widget = open_dock(viewer)
    widget.set_probability_layer("probability")
    widget.set_threshold(0.4)
    evaluate(widget, "probability", qtbot)
    exported = pd.read_csv(widget.runs.table.export_csv(tmp_path / "runs.csv", wait=True))
    assert exported["threshold"].tolist() == [0.4]
    # p > 0.4 finds objects 1-5 of 6, none false: F1 = 10 / 11
    assert exported["f1_50"].tolist() == pytest.approx([10 / 11])


def test_save_writes_only_the_tables_a_run_has(viewer, qtbot, tmp_path):
    """Regression (trial121 #13): Save wrote six 1-byte CSVs for tables never computed."""
    from napari_seg_eval.runs import Runs

    panel = compared(viewer, qtbot).runs
    # An earlier save of the same run wrote a table the run no longer has: that file goes
    # (a file the save did not write itself never does: tests/test_runs172.py).
    run = panel.runs[0]
    run.tables["per_plane"] = pd.DataFrame({"plane": [0], "f1": [0.5]})
    panel.save(tmp_path / "saved")
    assert (tmp_path / "saved" / "run_1_model_A" / "per_plane.csv").is_file()
    run.tables["per_plane"] = pd.DataFrame()
    panel.save(tmp_path / "saved")
    assert sorted(path.name for path in (tmp_path / "saved").iterdir()) == [
        "run_1_model_A",
        "run_2_model_B",
    ]
    for folder in ("run_1_model_A", "run_2_model_B"):
        written = {path.name: path for path in (tmp_path / "saved" / folder).glob("*.csv")}
        # an instance run of one 2-D image: no plane, class, boundary or COCO tables
        for name in (
            "boundary_per_class.csv",
            "boundary_per_object.csv",
            "class_confusion.csv",
            "coco_per_threshold.csv",
            "instance_per_class.csv",
            "per_plane.csv",
        ):
            assert name not in written, (folder, name)
        assert {"summary.csv", "per_threshold.csv", "per_object.csv"} <= set(written)
        for path in written.values():  # each with its header at least
            assert "," in path.read_text().splitlines()[0], path
    loaded = Runs()
    loaded.load(tmp_path / "saved")
    pd.testing.assert_frame_equal(
        loaded.table().drop(columns="created"), panel.runs.table().drop(columns="created")
    )


def test_the_comparison_layer_has_a_short_name_and_says_each_change_on_hover(viewer, qtbot):
    """Regression (trial121 #20): the layer's name was about 100 characters, cut in the layer
    list; hovering an object gave a bare 1 or 2."""
    panel = compared(viewer, qtbot).runs
    layer = comparison_layer(viewer)
    assert layer.name == "run 2 vs run 1: 1 = fixed, 2 = broken"
    description = tag(layer)["description"]
    assert "run 2: model B against run 1: model A: fixed 3, broken 1" in description
    assert panel.status_label.text() == description
    # object 4 (rows 2-4, columns 18-20) is fixed by B: value 1
    status = layer.get_status((3, 19), world=True)
    text = status["coordinates"] if isinstance(status, dict) else status
    assert "fixed by B" in text
