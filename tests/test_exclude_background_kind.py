"""Class 0 out of the semantic means asked of a run with no semantic metrics: refused, naming
what to add (it was recorded in settings.json and did nothing, silently: review147); the
Dataset tab's box is left out of its instance-only runs."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files


@pytest.fixture
def folders(tmp_path):
    truth = np.zeros((8, 8), np.uint16)
    truth[1:4, 1:4] = 1
    for side in ("truth", "pred"):
        (tmp_path / side).mkdir()
        tifffile.imwrite(tmp_path / side / "a.tif", truth)
    return tmp_path / "truth", tmp_path / "pred"


def test_evaluate_files_refuses_it_without_semantic_metrics(folders):
    with pytest.raises(ValueError, match="use kind 'semantic' or 'all'"):
        evaluate_files(*folders, include_background=False)  # the default kind: instance
    result = evaluate_files(*folders, include_background=False, kind="semantic")
    # One class besides class 0, identical: with class 0 left out the mean IoU is class 1's, 1.
    assert result.summary["mean_iou_pooled"] == 1.0


def test_the_command_line_refuses_it_naming_its_flags(folders, tmp_path, capsys):
    with pytest.raises(SystemExit) as ended:
        cli.main(["evaluate", *map(str, folders), "--exclude-background", "--out", "out"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "--exclude-background leaves class 0 out of the semantic means: use --kind" in err
    assert not (tmp_path / "out").exists()


def test_the_dataset_tab_leaves_the_box_out_of_an_instance_run(make_napari_viewer, folders):
    pytest.importorskip("napari")
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    dataset = widget.dataset
    dataset.background_check.setChecked(False)
    dataset.kind_combo.setCurrentText("instance")
    assert dataset.settings()["include_background"] is True
    dataset.kind_combo.setCurrentText("semantic")
    assert dataset.settings()["include_background"] is False


def test_class_0_in_the_means_is_greyed_out_for_instance_runs(make_napari_viewer):
    """trial148: with Evaluate "instance", "class 0 in the means" stayed enabled and was
    recorded, doing nothing. "Foreground vs background" stays enabled: it decides the classes
    of the boundary metrics too (review149). A Dataset preset (instance) greys it too."""
    pytest.importorskip("napari")
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-seg-eval", "Segmentation Evaluation")
    for panel, semantic in ((widget.evaluate, "both"), (widget.dataset, "all")):
        panel.kind_combo.setCurrentText("instance")
        assert not panel.background_check.isEnabled()
        assert panel.binarize_check.isEnabled()
        panel.kind_combo.setCurrentText(semantic)
        assert panel.background_check.isEnabled()
    widget.dataset.set_options(preset="dsb2018")
    assert not widget.dataset.background_check.isEnabled()
