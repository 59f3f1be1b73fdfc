"""The package's names load on first use (PEP 562) and behave as eager imports did."""

import subprocess
import sys

import pytest

import napari_seg_eval
from napari_seg_eval._lazy import lazy_module


def run_fresh(code: str) -> str:
    """Run ``code`` in a new Python process (nothing of the package imported yet)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_submodules_are_attributes_after_importing_the_package_alone():
    """Regression: ``napari_seg_eval.io.file_pixel_size`` (as docs/large-data.md writes it) and
    ``napari_seg_eval.core.presets`` raised AttributeError once the names became lazy."""
    out = run_fresh(
        "import napari_seg_eval as n\n"
        "print(n.io.file_pixel_size('frames.npy'))\n"
        "print(n.core.presets.preset_metrics.__name__)\n"
        "print(n.evaluation.parse_iou_thresholds('0.5:0.6:0.05'))\n"
        "import napari_seg_eval.io as io\n"
        "print(io.evaluate.__name__)\n"
    )
    assert out.splitlines() == [
        "None",
        "preset_metrics",
        "[0.5, 0.55, 0.6]",
        "napari_seg_eval.io.evaluate",
    ]


def test_an_unknown_name_is_an_attribute_error_and_dir_lists_only_the_package():
    with pytest.raises(AttributeError, match="has no attribute 'no_such_metric'"):
        napari_seg_eval.no_such_metric  # noqa: B018 (the attribute access is the test)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_module'"):
        napari_seg_eval.core.no_such_module  # noqa: B018
    assert not hasattr(napari_seg_eval, "__wrapped__")  # dunders never import anything
    names = dir(napari_seg_eval)
    assert set(napari_seg_eval.__all__) <= set(names)
    assert not {"Any", "TYPE_CHECKING", "annotations", "importlib", "lazy_module"} & set(names)
    assert {"io", "core", "evaluation"} <= set(names)  # submodules, for tab completion
    assert {"instance", "overlap", "presets"} <= set(dir(napari_seg_eval.core))


def test_a_missing_dependency_inside_a_submodule_is_not_hidden(tmp_path, monkeypatch):
    """A submodule that fails to import because of a missing library raises that error, not a
    misleading 'has no attribute'."""
    package = tmp_path / "lazy_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "broken.py").write_text("import no_such_library_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazy_probe

    lazy_probe.__getattr__, _ = lazy_module("lazy_probe", {}, [])
    with pytest.raises(ModuleNotFoundError, match="no_such_library_here"):
        lazy_probe.__getattr__("broken")
