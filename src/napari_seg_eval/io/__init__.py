"""Files: reading label images and probability maps, pairing files by name, evaluating folders
and writing result folders. Used by ``napari-seg-eval evaluate``; no napari, no Qt."""

from __future__ import annotations

from .evaluate import (
    KINDS,
    FileSettings,
    FilesResult,
    PairOutcome,
    Progress,
    evaluate_files,
    evaluate_pair,
)
from .pairs import Pairing, pair_files
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
