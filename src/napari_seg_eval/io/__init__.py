"""Files: reading label images and probability maps, pairing files by name, evaluating folders
and writing result folders. Used by ``napari-seg-eval evaluate``; no napari, no Qt.

The names are imported on first use (PEP 562): reading a file does not import the evaluation
of folders (dask.array, the metric modules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_module

if TYPE_CHECKING:
    from .evaluate import (
        KINDS,
        FileSettings,
        FilesResult,
        PairOutcome,
        evaluate_files,
        evaluate_pair,
    )
    from .pairs import OneFolderError, Pairing, pair_files
    from .progress import Progress
    from .read import (
        EXTENSIONS,
        FileNotice,
        FileReadError,
        PixelSize,
        file_axes,
        file_pixel_size,
        image_extension,
        read_labels,
        read_probabilities,
    )
    from .results import check_output_folder, write_results

__all__ = [
    "EXTENSIONS",
    "KINDS",
    "FileNotice",
    "FileReadError",
    "FileSettings",
    "FilesResult",
    "OneFolderError",
    "PairOutcome",
    "Pairing",
    "PixelSize",
    "Progress",
    "check_output_folder",
    "evaluate_files",
    "evaluate_pair",
    "file_axes",
    "file_pixel_size",
    "image_extension",
    "pair_files",
    "read_labels",
    "read_probabilities",
    "write_results",
]

#: The module defining each name of :data:`__all__`, imported on first use.
_WHERE = {
    **dict.fromkeys(
        (
            "KINDS",
            "FileSettings",
            "FilesResult",
            "PairOutcome",
            "evaluate_files",
            "evaluate_pair",
        ),
        ".evaluate",
    ),
    **dict.fromkeys(("OneFolderError", "Pairing", "pair_files"), ".pairs"),
    "Progress": ".progress",
    **dict.fromkeys(
        (
            "EXTENSIONS",
            "FileNotice",
            "FileReadError",
            "PixelSize",
            "file_axes",
            "file_pixel_size",
            "image_extension",
            "read_labels",
            "read_probabilities",
        ),
        ".read",
    ),
    **dict.fromkeys(("check_output_folder", "write_results"), ".results"),
}


__getattr__, __dir__ = lazy_module(__name__, _WHERE, __all__)
