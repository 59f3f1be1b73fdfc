"""Writing a result folder atomically: everything is written next to the target, then renamed.

The folder holds ``per_image.csv``, ``<kind>_pooled.csv`` and ``<kind>_image_mean.csv`` per
metric family (boundary metrics: ``boundary_image_mean.csv`` and ``boundary_per_class.csv``, no
pooled table, as they are not additive; objects with classes add
``instance_per_class_pooled.csv``, ``instance_per_class_image_mean.csv`` and
``instance_class_confusion.csv``), ``<kind>_per_image_rows.csv`` (each image's per-threshold or
per-class counts: what a paired bootstrap of the pooled values resamples when two result folders
are compared), ``summary.csv`` (one row) and ``settings.json`` (settings, file pairs, files left
out, versions): enough to reproduce the run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .evaluate import FilesResult, versions


def check_output_folder(
    folder: str | Path, *, overwrite: bool = False, option: str = "overwrite=True"
) -> Path:
    """Refuse an output folder that exists and is not empty (unless ``overwrite``) or is a file.

    Run before any work, so that a run never ends unable to write its results.

    Parameters
    ----------
    folder : str or Path
        The result folder to create.
    overwrite : bool
        Accept a folder that already holds files (it is replaced when the results are written).
    option : str
        How the caller turns ``overwrite`` on, named in the error: ``"overwrite=True"`` from
        Python, ``"--overwrite"`` on the command line.

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    FileExistsError
        ``folder`` is a file, or holds files and ``overwrite`` is off.

    Examples
    --------
    >>> check_output_folder("results/run1")  # doctest: +SKIP
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} exists and is not a folder.")
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise FileExistsError(
            f"{folder} already holds files; choose another folder or pass {option}."
        )
    return folder


def write_results(
    result: FilesResult,
    folder: str | Path,
    *,
    overwrite: bool = False,
    command: list[str] | None = None,
    option: str = "overwrite=True",
) -> Path:
    """Write the result folder of a run: all of it, or (on any error) nothing.

    The folder is checked as :func:`check_output_folder` does, when it is written: another
    run may have filled it since the check made before this run's work.

    Parameters
    ----------
    result
        The run's result, from :func:`evaluate_files`.
    folder
        The folder to create. An existing non-empty folder is replaced only with ``overwrite``.
    command
        The command line of the run, recorded in ``settings.json``.
    option
        How the caller turns ``overwrite`` on, named in the error (see
        :func:`check_output_folder`).

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    FileExistsError
        ``folder`` is a file, or holds files and ``overwrite`` is off.

    Examples
    --------
    >>> write_results(evaluate_files("truth/", "pred/"), "results/run1")  # doctest: +SKIP
    """
    folder = check_output_folder(folder, overwrite=overwrite, option=option)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        _write_into(result, staging, command)
        staging.chmod(0o777 & ~_umask())  # mkdtemp made it owner-only; a folder as mkdir makes
        if folder.exists():
            old = folder.with_name(f"{staging.name}.old")
            folder.rename(old)
            staging.rename(folder)
            shutil.rmtree(old)
        else:
            staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_into(result: FilesResult, folder: Path, command: list[str] | None) -> None:
    result.per_image.to_csv(folder / "per_image.csv", index=False)
    for kind, dataset in result.datasets.items():
        dataset.pooled.to_csv(folder / f"{kind}_pooled.csv", index=False)
        dataset.image_mean.to_csv(folder / f"{kind}_image_mean.csv", index=False)
        if dataset.per_class_pooled is not None:  # objects with classes (class files)
            dataset.per_class_pooled.to_csv(folder / f"{kind}_per_class_pooled.csv", index=False)
            dataset.per_class_image_mean.to_csv(
                folder / f"{kind}_per_class_image_mean.csv", index=False
            )
            confusion = dataset.class_confusion.rename(columns=lambda c: f"predicted_{c}")
            confusion = confusion.rename_axis(index="true_class", columns=None).reset_index()
            confusion.to_csv(folder / f"{kind}_class_confusion.csv", index=False)
        rows = named_image_rows(result, kind)
        if rows is not None:
            rows.to_csv(folder / f"{kind}_per_image_rows.csv", index=False)
    for name, table in result.tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    result.summary.to_frame().T.to_csv(folder / "summary.csv", index=False)
    (folder / "settings.json").write_text(json.dumps(settings_record(result, command), indent=2))


def named_image_rows(result: FilesResult, kind: str) -> pd.DataFrame | None:
    """``result.datasets[kind].per_image_rows`` with each image's pair ``name`` after its
    ``image`` number (the pairs that did not fail, in order); None when it has none.

    Examples
    --------
    >>> named_image_rows(result, "instance").columns[:3].tolist()  # doctest: +SKIP
    ['image', 'name', 'threshold']
    """
    rows = result.datasets[kind].per_image_rows
    if rows is None:
        return None
    per_image = result.per_image
    if "error" in per_image:
        per_image = per_image[per_image["error"].isna() | (per_image["error"].astype(str) == "")]
    rows = rows.copy()
    rows.insert(1, "name", per_image["name"].to_numpy()[rows["image"].to_numpy()])
    return rows


def settings_record(result: FilesResult, command: list[str] | None = None) -> dict[str, Any]:
    """What ``settings.json`` holds: the command and the folder it ran in (``cwd``), the
    settings, pairs, files left out, failed pairs, versions, time. Every path is absolute."""
    pairing = result.pairing

    def paths(items) -> list[str]:
        return [str(Path(p).resolve()) for p in items]

    return {
        "command": command,
        "cwd": os.getcwd(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": result.settings.to_dict(),
        "pairs": [
            {"name": name, "truth": str(Path(t).resolve()), "prediction": str(Path(p).resolve())}
            for name, (t, p) in zip(pairing.names, pairing.pairs, strict=True)
        ],
        "unpaired_truth": paths(pairing.unpaired_truth),
        "unpaired_prediction": paths(pairing.unpaired_prediction),
        "ignored": paths(pairing.ignored),
        "images": paths(pairing.images),
        "failed": result.failed.to_dict(orient="records"),
        "versions": versions(),
    }
