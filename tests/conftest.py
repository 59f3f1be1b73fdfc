import gc
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def sample():
    """The built-in sample: image, probability and ground truth."""
    import napari_seg_eval as nse

    return nse.make_sample_data()


@pytest.fixture
def errors(monkeypatch):
    """Notifications the widget shows, as text; a non-string message fails the test."""
    from napari_seg_eval import _jobs
    from napari_seg_eval._qt import evaluate_panel
    from napari_seg_eval._qt import review as review_module

    shown = []

    def record(message):
        assert isinstance(message, str), f"a notification got {type(message).__name__}"
        shown.append(message)

    monkeypatch.setattr(_jobs, "show_error", record)
    for module in (evaluate_panel, review_module):
        monkeypatch.setattr(module, "show_warning", record)
    return shown


class _YoungCollections:
    """``gc`` as napari's canvas sees it in the tests: napari collects every generation at each
    removal of layers (a workaround for a Windows OpenGL driver), which in a test process
    holding the whole suite's objects is most of each widget test's teardown (0.5-1 s). Here
    it collects the young generations only; everything else is the ``gc`` module's."""

    def __getattr__(self, name: str):
        return getattr(gc, name)

    @staticmethod
    def collect(generation: int = 2) -> int:
        return gc.collect(min(generation, 1))


def pytest_configure(config):
    try:
        from napari._vispy import canvas
    except ImportError:  # no napari (or its vispy) here: nothing to spare
        return
    if getattr(canvas, "gc", None) is gc:
        canvas.gc = _YoungCollections()
