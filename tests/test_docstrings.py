"""Every example in a public docstring of the core runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import napari_seg_eval

_SKIP = ("napari_seg_eval._qt", "napari_seg_eval._napari", "napari_seg_eval._colormap")
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(napari_seg_eval.__path__, "napari_seg_eval.")
    if not info.name.startswith(_SKIP) and info.name != "napari_seg_eval.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed"
