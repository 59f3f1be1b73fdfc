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
