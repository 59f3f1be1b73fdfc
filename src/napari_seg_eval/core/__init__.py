"""The metrics on arrays (no napari, no Qt); a submodule loads on first use
(``napari_seg_eval.core.presets`` after ``import napari_seg_eval``)."""

from .._lazy import lazy_module

__getattr__, __dir__ = lazy_module(__name__, {}, [])
