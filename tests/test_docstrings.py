"""Every example in a docstring of the package runs and prints what it says: the core's, and
the dock's (its Qt and napari modules, run without a viewer)."""

import doctest
import importlib
import pkgutil

import pytest

import napari_seg_eval

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(napari_seg_eval.__path__, "napari_seg_eval.")
    if info.name != "napari_seg_eval.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed"
