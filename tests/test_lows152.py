"""Small defects found by reviews (cli152): advice for a preset with --exclude-background that
works (it looped: add --kind semantic, which the preset refuses); the Options titles leave out
a greyed-out "class 0 in the means"; a companion of a companion file (a class image's region
mask, say) listed, never dropped silently; find_class_files names the parameter given None."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import tifffile

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io.evaluate import find_companions
from napari_seg_eval.io.pairs import find_class_files, pair_files

PRESETS = ("dsb2018", "neurips2022", "ctc", "conic", "coco")
KINDS = (None, "instance", "semantic", "all", "boundary")


def _write(path, image) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, image)


@pytest.fixture
def cases(tmp_path):
    """Folders each preset can run on, and the flags it needs besides: label files; label
    files with class images (conic); a probability map (coco)."""
    truth = np.zeros((12, 12), np.uint16)
    truth[1:5, 1:5] = 1
    truth[6:10, 6:10] = 2
    classes = (truth > 0).astype(np.uint8)  # every object of class 1
    prob = np.where(truth > 0, 0.9, 0.1).astype(np.float32)
    for side in ("truth", "pred"):
        _write(tmp_path / "labels" / side / "a.tif", truth)
        _write(tmp_path / "classes" / side / "a.tif", truth)
        _write(tmp_path / "classes" / side / "a_classes.tif", classes)
    _write(tmp_path / "maps" / "truth" / "a.tif", truth)
    _write(tmp_path / "maps" / "pred" / "a.tif", prob)
    labels = [str(tmp_path / "labels" / side) for side in ("truth", "pred")]
    suffixes = ["--truth-classes-suffix", "_classes", "--prediction-classes-suffix", "_classes"]
    return {
        None: labels,
        "dsb2018": labels,
        "neurips2022": labels,
        "ctc": labels,
        "conic": [*(str(tmp_path / "classes" / side) for side in ("truth", "pred")), *suffixes],
        "coco": [*(str(tmp_path / "maps" / side) for side in ("truth", "pred")), "--probability"],
    }


def _followed(message: str, kind: str | None, exclude: bool) -> tuple[str | None, bool]:
    """The flags after doing what a refusal says: leave out the flags it names, or take the
    first --kind it offers."""
    left_out = re.search(r"leave out (.*)\.$", message) or re.search(r"sets (.*); leave", message)
    if left_out is not None:
        named = re.findall(r"--[a-z-]+", left_out.group(1))
        assert named, message
        return (
            None if "--kind" in named else kind
        ), exclude and "--exclude-background" not in named
    offered = re.search(r"use --kind (\w+)", message)
    assert offered is not None, f"advice neither leaves a flag out nor names a kind: {message}"
    return offered.group(1), exclude


def test_every_preset_kind_and_background_runs_or_says_what_works(cases, tmp_path, capsys):
    """Following each refusal's advice reaches a run, never a state seen before (a loop)."""
    outs = itertools.count()
    for preset in (None, *PRESETS):
        runs: set[tuple[str | None, bool]] = set()  # the flags that ran
        for start in ((kind, exclude) for kind in KINDS for exclude in (False, True)):
            state, seen = start, []
            while state not in runs:
                assert state not in seen, f"--preset {preset}: advice loops: {[*seen, state]}"
                seen.append(state)
                kind, exclude = state
                argv = [*cases[preset], "--out", str(tmp_path / f"out{next(outs)}")]
                argv += ["--preset", preset] if preset else []
                argv += ["--kind", kind] if kind else []
                argv += ["--exclude-background"] if exclude else []
                with pytest.raises(SystemExit) as ended:
                    cli.main(["evaluate", *argv, "--quiet"])
                err = capsys.readouterr().err
                if ended.value.code == 0:
                    runs.add(state)
                    break
                assert ended.value.code == 2, err
                message = (
                    err.strip().splitlines()[-1].removeprefix("napari-seg-eval evaluate: error: ")
                )
                state = _followed(message, kind, exclude)


def test_a_preset_with_exclude_background_is_told_to_leave_it_out(cases, tmp_path, capsys):
    for extra, named in (([], "--exclude-background"), (["--kind", "semantic"], "--kind and")):
        with pytest.raises(SystemExit) as ended:
            cli.main(
                [
                    *("evaluate", *cases[None], "--preset", "dsb2018", "--exclude-background"),
                    *(*extra, "--out", str(tmp_path / "out")),
                ]
            )
        assert ended.value.code == 2
        err = capsys.readouterr().err
        assert "--preset dsb2018" in err and "computes instance metrics only" in err
        assert f"leave out {named}" in err
        assert "--kind semantic or --kind all" not in err
        assert not (tmp_path / "out").exists()


def test_a_greyed_out_class_0_box_is_not_in_the_options_titles(make_napari_viewer):
    pytest.importorskip("napari")
    from napari_seg_eval._qt.widget import SegEvalWidget

    viewer = make_napari_viewer()
    widget = SegEvalWidget(viewer)
    viewer.window.add_dock_widget(widget, name="Segmentation Evaluation")
    for panel, semantic in ((widget.evaluate, "both"), (widget.dataset, "semantic")):
        panel.kind_combo.setCurrentText(semantic)
        panel.background_check.setChecked(False)
        assert "class 0 out of the means" in panel.options.text()
        panel.kind_combo.setCurrentText("instance")  # greyed out: it does nothing
        assert not panel.background_check.isEnabled()
        assert "class 0 out of the means" not in panel.options.text()
        panel.kind_combo.setCurrentText(semantic)
        assert "class 0 out of the means" in panel.options.text()
    widget.dataset.set_options(preset="dsb2018")  # instance metrics: greyed out too
    assert "class 0 out of the means" not in widget.dataset.options.text()


def _files(root, names) -> None:
    label = np.zeros((6, 6), np.uint16)
    label[1:4, 1:4] = 1
    for name in names:
        _write(root / f"{name}.tif", label)


def _listed(pairing) -> set[str]:
    """Every file the pairing's listing names, as side/name."""
    return {
        f"{path.parent.name}/{path.name}"
        for path in (*pairing.unpaired_truth, *pairing.unpaired_prediction, *pairing.ignored)
    }


SUFFIXES = {"truth_classes_suffix": "_c", "prediction_classes_suffix": "_c", "region_suffix": "_r"}


@pytest.mark.parametrize(
    ("names", "lost"),
    [
        # a.tif, its class image a_c.tif and region mask a_r.tif; a_c_r.tif: the class
        # image's "region", a_r_c.tif the region's "class image", p/a_c_c.tif the class
        # image's "class image": companions of companions, files of their own.
        (["t/a", "p/a", "t/a_c", "p/a_c", "t/a_r", "t/a_c_r"], {"t/a_c_r.tif"}),
        (["t/a", "p/a", "t/a_c", "p/a_c", "t/a_r", "t/a_r_c"], {"t/a_r_c.tif"}),
        (["t/a", "p/a", "t/a_c", "p/a_c", "t/a_r", "p/a_c_c"], {"p/a_c_c.tif"}),
    ],
)
def test_a_companion_of_a_companion_is_listed(tmp_path, names, lost):
    _files(tmp_path, names)
    pairing = pair_files(tmp_path / "t", tmp_path / "p", **SUFFIXES)
    pairing, classes, regions = find_companions(pairing, "_c", "_c", "_r")
    assert pairing.names == ["a"]
    assert [(t.name, p.name) for t, p in classes] == [("a_c.tif", "a_c.tif")]
    assert [region.name for region in regions] == ["a_r.tif"]
    assert _listed(pairing) == lost


def test_find_class_files_lists_a_class_images_class_image(tmp_path):
    """Paired without the suffixes: the pair a_c (class images) left out, its own "class
    image" p/a_c_c (looked up for that pair) listed, not taken."""
    _files(tmp_path, ["t/a", "p/a", "t/a_c", "p/a_c", "p/a_c_c"])
    pairing, _ = find_class_files(pair_files(tmp_path / "t", tmp_path / "p"), "_c", "_c")
    assert pairing.names == ["a"]
    assert _listed(pairing) == {"p/a_c_c.tif"}


def test_the_command_line_lists_a_class_images_region(tmp_path, capsys):
    _files(tmp_path, ["t/a", "p/a", "t/a_c", "p/a_c", "t/a_r", "t/a_c_r"])
    flags = ["--truth-classes-suffix", "_c", "--prediction-classes-suffix", "_c"]
    with pytest.raises(SystemExit) as ended:
        cli.main(
            [
                *("evaluate", str(tmp_path / "t"), str(tmp_path / "p"), *flags),
                *("--region-suffix", "_r", "--out", str(tmp_path / "out")),
            ]
        )
    assert ended.value.code == 0
    err = capsys.readouterr().err
    assert "1 ground truth without a prediction:" in err
    assert str(tmp_path / "t" / "a_c_r.tif") in err


def test_find_class_files_names_the_suffix_given_none(tmp_path):
    _files(tmp_path, ["t/a", "p/a"])
    pairing = pair_files(tmp_path / "t", tmp_path / "p")
    with pytest.raises(ValueError, match=r"got None for the prediction's \(prediction_classes_"):
        find_class_files(pairing, "_classes", None)
    with pytest.raises(ValueError, match=r"got None for the truth's \(truth_classes_suffix\)"):
        find_class_files(pairing, None, "_classes")
