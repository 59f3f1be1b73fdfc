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

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..core._results import counts_as_integers
from ..core.dataset import DatasetResult
from .evaluate import FilesResult, versions

#: The names of the files a result folder holds: the tables :func:`write_results` writes,
#: ``settings.json``, and ``report.html`` (``napari-seg-eval evaluate --report`` with no file
#: name). ``--overwrite`` replaces a folder that holds these and nothing else.
RESULT_FILE = re.compile(
    r"(per_image|summary"
    r"|(instance|semantic)_(pooled|image_mean|per_class_pooled|per_class_image_mean"
    r"|class_confusion|per_image_rows)"
    r"|boundary_(image_mean|per_class)|(ctc|coco)_(pooled|image_mean))\.csv"
    r"|settings\.json|report\.html"
)

#: What a file manager adds to a folder it shows (macOS Finder's view settings): replaced with
#: the folder rather than refused.
FOLDER_CLUTTER = frozenset({".DS_Store"})


def check_output_folder(
    folder: str | Path,
    *,
    overwrite: bool = False,
    option: str = "overwrite=True",
    inputs: Iterable[str | Path] = (),
    name: str = "the result folder",
    ours: Iterable[str | Path] = (),
) -> Path:
    """Refuse an output folder that a run could not write, or whose replacing would delete
    what the run did not write.

    Run before any work, so that a run never ends unable to write its results. Refused: the
    current folder or a folder holding it; a file; a folder that is or holds one of the
    ``inputs``; a folder that holds files, unless ``overwrite``; and even with ``overwrite``,
    a folder that holds anything but a result folder's files (:data:`RESULT_FILE`): files of
    one's own are never deleted.

    Parameters
    ----------
    folder : str or Path
        The result folder to create.
    overwrite : bool
        Accept a result folder that already holds results (it is replaced when the results are
        written).
    option : str
        How the caller turns ``overwrite`` on, named in the error: ``"overwrite=True"`` from
        Python, ``"--overwrite"`` on the command line.
    inputs : iterable of str or Path
        The run's input files and folders (truth, prediction, region...).
    name : str
        What the errors call ``folder``: ``"--out"`` on the command line.
    ours : iterable of str or Path
        Other files the run writes, which may lie in the folder: taken as results (the
        command line's ``--report FILE``, written there by the same command before).

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    FileExistsError
        ``folder`` is refused; the message says why.
    PermissionError
        No folder can be made where ``folder`` would be written (a parent, or with
        ``overwrite`` the folder itself, is not writable); the message names it.

    Notes
    -----
    A symbolic link to a folder is written through: the folder it links to is checked (and
    replaced), the link kept. A broken link is refused.

    Examples
    --------
    >>> check_output_folder("results/run1")  # doctest: +SKIP
    """
    folder = Path(folder)
    where, here = Path(os.path.abspath(folder)).resolve(), Path.cwd().resolve()
    said = f"{name} '{folder}'"
    if folder.is_symlink() and not folder.exists():
        raise FileExistsError(
            f"{said} is a broken symbolic link to '{os.readlink(folder)}': remove the link or "
            "name another folder."
        )
    if where == here or where in here.parents:
        raise FileExistsError(
            f"{said} {'is' if where == here else 'holds'} the current folder: name a new folder "
            "for the results, e.g. 'results'."
        )
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{said} exists and is not a folder.")
    held = _inputs_held(where, inputs)
    if held:
        raise FileExistsError(
            f"{said} {held}: the results would be written over the inputs; choose another folder."
        )
    if not folder.is_dir() or not any(folder.iterdir()):
        _check_writable(folder, said, replaced=False)
        return folder
    if not overwrite:
        raise FileExistsError(
            f"{said} already holds files; choose another folder or pass {option}."
        )
    written = {Path(os.path.abspath(path)).resolve() for path in ours}
    others = sorted(
        entry.name + ("/" if entry.is_dir() else "")
        for entry in folder.iterdir()
        if entry.is_dir()
        or not (
            RESULT_FILE.fullmatch(entry.name)
            or entry.name in FOLDER_CLUTTER
            or entry.resolve() in written
        )
    )
    if others:
        few = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise FileExistsError(
            f"{said} holds {len(others)} file(s) or folder(s) that are not results ({few}); "
            f"{option} replaces a result folder only, deleting nothing else: move them out or "
            "choose another folder."
        )
    _check_writable(folder, said, replaced=True)
    return folder


def result_target(folder: str | Path) -> Path:
    """The absolute path a result folder is written at: ``folder``, or through a symbolic
    link the folder it links to (the link is kept, its folder replaced).

    Examples
    --------
    >>> result_target("out/..") == Path.cwd()
    True
    """
    folder = Path(folder)
    if folder.is_symlink():
        return Path(os.path.realpath(folder))
    return Path(os.path.abspath(folder))  # "out/.." has a name to stage and rename by


def _check_writable(folder: Path, said: str, *, replaced: bool) -> None:
    """Refuse ``folder`` (called ``said``) when its results could not be written: a folder
    cannot be made beside it (in its nearest existing parent), or, ``replaced`` (it holds
    results), in it (renaming a folder aside updates its ``..``). Probed by making a hidden
    folder and removing it: the only test that holds for every user (root too) and file
    system (read-only, /sys)."""
    target = result_target(folder)
    check_can_create(target, said)
    if replaced:
        _probe(target, target.name, said)


def check_can_create(path: str | Path, said: str) -> None:
    """Refuse to create ``path`` (a file or folder, called ``said`` in the error) where
    nothing can be made: its nearest existing parent is a file, or no folder can be made in
    that parent (not writable, a read-only file system).

    Parameters
    ----------
    path : str or Path
        The file or folder to create (its missing parents are made with it).
    said : str
        What the errors call it, e.g. ``"--report 'r.html'"``.

    Raises
    ------
    FileExistsError
        A parent of ``path`` is a file.
    PermissionError
        No folder can be made in its nearest existing parent.

    Examples
    --------
    >>> check_can_create("/sys/results", "--out '/sys/results'")  # doctest: +SKIP
    Traceback (most recent call last):
    PermissionError: --out '/sys/results' cannot be written: no folder can be made in '/sys'
    (Operation not permitted).
    """
    path = Path(os.path.abspath(path))
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise FileExistsError(f"{said} cannot be made: '{parent}' is a file, not a folder.")
    _probe(parent, path.name, said)


def _probe(where: Path, name: str, said: str) -> None:
    """Make a hidden folder in ``where`` and remove it, or a PermissionError naming ``said``
    and ``where``: the only test that holds for every user (root too: ``os.access`` says yes
    on a read-only file system) and file system."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f".{name}.", dir=where))
    except OSError as error:
        raise PermissionError(
            f"{said} cannot be written: no folder can be made in '{where}' "
            f"({error.strerror or error})."
        ) from None


def _inputs_held(where: Path, inputs: Iterable[str | Path]) -> str | None:
    """How the absolute folder ``where`` is or holds one of ``inputs`` ("is the input x",
    "holds the input x"), or None."""
    for given in inputs:
        path = Path(given).resolve()
        if path == where:
            return f"is the input {given}"
        if where in path.parents:
            return f"holds the input {given}"
    return None


def _result_inputs(result: FilesResult) -> list[Path]:
    """The files a run read or listed: every pair's, the files left out, the region file.

    Examples
    --------
    >>> _result_inputs(evaluate_files("truth/", "pred/"))[:2]  # doctest: +SKIP
    [PosixPath('truth/a.tif'), PosixPath('pred/a.tif')]
    """
    pairing = result.pairing
    files = [path for pair in pairing.pairs for path in pair]
    files += [*pairing.unpaired_truth, *pairing.unpaired_prediction]
    files += [*pairing.ignored, *pairing.images, *pairing.hidden]
    if result.settings.region is not None:
        files.append(Path(result.settings.region))
    return files


def write_results(
    result: FilesResult,
    folder: str | Path,
    *,
    overwrite: bool = False,
    command: list[str] | None = None,
    option: str = "overwrite=True",
    name: str = "the result folder",
    ours: Iterable[str | Path] = (),
) -> Path:
    """Write the result folder of a run: all of it, or (on any error) nothing.

    The folder is checked as :func:`check_output_folder` does, when it is written (another
    run may have filled it since the check made before this run's work), with the files the
    run read or listed as its inputs: it may not be or hold one of them, and with
    ``overwrite`` it is replaced only if it holds nothing but results.

    Parameters
    ----------
    result
        The run's result, from :func:`evaluate_files`.
    folder
        The folder to create. An existing result folder is replaced only with ``overwrite``;
        a folder holding anything else is never replaced. A symbolic link to a folder is
        written through (see :func:`check_output_folder`).
    overwrite
        Replace an existing result folder.
    command
        The command line of the run, recorded in ``settings.json``.
    option
        How the caller turns ``overwrite`` on, named in the error (see
        :func:`check_output_folder`).
    name
        What the errors call ``folder`` (see :func:`check_output_folder`).
    ours
        Other files the run writes that may lie in the folder (see
        :func:`check_output_folder`).

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    FileExistsError
        ``folder`` is refused (see :func:`check_output_folder`); nothing is written.
    PermissionError
        ``folder`` cannot be written there (see :func:`check_output_folder`); nothing is
        written.

    See Also
    --------
    staged_results : the same, with files of one's own added before the folder is in place.

    Examples
    --------
    >>> write_results(evaluate_files("truth/", "pred/"), "results/run1")  # doctest: +SKIP
    """
    with staged_results(
        result, folder, overwrite=overwrite, command=command, option=option, name=name, ours=ours
    ):
        pass
    return Path(folder)


@contextlib.contextmanager
def staged_results(
    result: FilesResult,
    folder: str | Path,
    *,
    overwrite: bool = False,
    command: list[str] | None = None,
    option: str = "overwrite=True",
    name: str = "the result folder",
    ours: Iterable[str | Path] = (),
) -> Iterator[Path]:
    """The result folder written into a hidden folder beside ``folder``, yielded so that
    more files can be added to it (the command line's HTML report); renamed to ``folder``
    when the block ends, removed if the block raises (or is interrupted): the folder is in
    place complete, or not at all.

    The parameters are :func:`write_results`' (and its checks); an existing folder that is
    replaced (``overwrite``) is put back if the renaming is interrupted.

    Yields
    ------
    Path
        The hidden folder holding the results.

    Examples
    --------
    >>> with staged_results(result, "results/run1") as staging:  # doctest: +SKIP
    ...     (staging / "notes.txt").write_text("run by the nightly job")
    """
    checks = {"overwrite": overwrite, "option": option, "name": name, "ours": tuple(ours)}
    inputs = _result_inputs(result)
    folder = check_output_folder(folder, inputs=inputs, **checks)
    target = result_target(folder)
    made = make_parents(target)
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        _write_into(result, staging, command)
        staging.chmod(0o777 & ~_umask())  # mkdtemp made it owner-only; a folder as mkdir makes
        yield staging
        check_output_folder(folder, inputs=inputs, **checks)  # another run's, meanwhile?
        _put_in_place(staging, target)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        remove_made(made)
        raise


def _put_in_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; a result folder already there (checked: results only)
    is renamed aside first and removed after, or renamed back if the renaming fails."""
    if not target.exists():
        staging.rename(target)
        return
    old = target.with_name(f"{staging.name}.old")
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        if staging.exists():  # not renamed: the previous results back in place
            old.rename(target)
        else:  # renamed, then interrupted: the new results are in place
            shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old)


def make_parents(path: Path) -> list[Path]:
    """Make the missing folders above ``path``; returns those this call made, deepest first
    (for :func:`remove_made` to remove when nothing is written after all): one made
    meanwhile by another program is not counted (nor removed). If one cannot be made, those
    made are removed before the error is raised.

    Examples
    --------
    >>> make_parents(Path("new/deeper/results"))  # doctest: +SKIP
    [PosixPath('new/deeper'), PosixPath('new')]
    """
    missing = []
    parent = path.parent
    while not os.path.lexists(parent):  # a dangling link is there: mkdir would fail on it
        missing.append(parent)
        parent = parent.parent
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:  # made meanwhile by another: not ours
                continue
            made.insert(0, folder)
    except BaseException:
        remove_made(made)
        raise
    return made


def remove_made(folders: list[Path]) -> None:
    """Remove the folders :func:`make_parents` made, deepest first, if they are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def hidden_beside(path: str | Path) -> Path:
    """A new, empty hidden file beside ``path`` (in its folder, which must exist), as
    readable as a file ``open`` makes: written first and renamed to ``path``, a file is
    there whole or not at all.

    Examples
    --------
    >>> hidden = hidden_beside("reports/run1.html")  # doctest: +SKIP
    >>> hidden.name.startswith(".run1.html.")  # doctest: +SKIP
    True
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    os.chmod(name, 0o666 & ~_umask())  # mkstemp made it owner-only
    return Path(name)


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def class_tables(dataset: DatasetResult, kind: str = "instance") -> dict[str, pd.DataFrame]:
    """The per-class tables of a multi-class dataset result, by the names of the command
    line's result files (:data:`~napari_seg_eval.runs.CLASS_TABLES` after ``kind``):
    ``per_class_pooled``, ``per_class_image_mean`` and the class confusion as rows
    (``true_class``, then a ``predicted_<class>`` count column per class). None of them
    without classes.

    Parameters
    ----------
    dataset : DatasetResult
        The result (:func:`~napari_seg_eval.dataset_metrics` or a ``FilesResult``'s).
    kind : str
        The metric family, the names' start.

    Returns
    -------
    dict of str to pandas.DataFrame

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import dataset_metrics
    >>> true = [np.array([[1, 1, 0, 2, 2]])]
    >>> result = dataset_metrics(true, true, true_classes=true, pred_classes=true)
    >>> class_tables(result)["instance_class_confusion"].columns.tolist()
    ['true_class', 'predicted_1', 'predicted_2']
    """
    if dataset.per_class_pooled is None:
        return {}
    confusion = dataset.class_confusion.rename(columns=lambda c: f"predicted_{c}")
    confusion = confusion.rename_axis(index="true_class", columns=None).reset_index()
    return {
        f"{kind}_per_class_pooled": dataset.per_class_pooled,
        f"{kind}_per_class_image_mean": dataset.per_class_image_mean,
        f"{kind}_class_confusion": confusion,
    }


def with_images_averaged(dataset: DatasetResult) -> pd.DataFrame:
    """A semantic run's image-mean table with ``n_images`` after ``class``: the images each
    class's IoU and Dice were averaged over (those where the class is in the truth or the
    prediction: elsewhere they are 0/0, left out). Precision and recall may be of fewer (a
    class never predicted, or not in the truth, of an image: 0/0 there).

    Parameters
    ----------
    dataset : DatasetResult
        A semantic dataset result, with its ``per_image_rows`` (each image's per-class rows).

    Returns
    -------
    pandas.DataFrame
        ``dataset.image_mean`` with the column (as it is without those rows).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_seg_eval import dataset_metrics
    >>> a, b = np.array([[0, 1], [1, 1]]), np.array([[0, 0], [2, 2]])
    >>> dataset = dataset_metrics([a, b], [a, b], kind="semantic")
    >>> with_images_averaged(dataset)[["class", "n_images", "iou"]]
       class  n_images  iou
    0      0         2  1.0
    1      1         1  1.0
    2      2         1  1.0
    """
    table = dataset.image_mean
    rows = dataset.per_image_rows
    if rows is None or "iou" not in rows or "class" not in table:
        return table
    counted = rows.groupby("class")["iou"].count()
    table = table.copy()
    table.insert(1, "n_images", table["class"].map(counted).fillna(0).astype(int))
    return table


def _write_into(result: FilesResult, folder: Path, command: list[str] | None) -> None:
    result.per_image.to_csv(folder / "per_image.csv", index=False)
    for kind, dataset in result.datasets.items():
        dataset.pooled.to_csv(folder / f"{kind}_pooled.csv", index=False)
        image_mean = dataset.image_mean
        if kind == "semantic":
            image_mean = with_images_averaged(dataset)
        image_mean.to_csv(folder / f"{kind}_image_mean.csv", index=False)
        for name, table in class_tables(dataset, kind).items():  # objects with classes
            table.to_csv(folder / f"{name}.csv", index=False)
        rows = named_image_rows(result, kind)
        if rows is not None:
            rows.to_csv(folder / f"{kind}_per_image_rows.csv", index=False)
    for name, table in result.tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    # The counts as counts (3, not 3.0): the summary is float64.
    summary = counts_as_integers(result.summary)
    summary.to_frame().T.to_csv(folder / "summary.csv", index=False)
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
    settings, pairs, files left out (``ignored``: hidden files too), failed pairs, versions,
    time. Every path is absolute, as given (a symbolic link is not followed)."""
    pairing = result.pairing

    def paths(items) -> list[str]:
        return [os.path.abspath(p) for p in items]

    return {
        "command": command,
        "cwd": os.getcwd(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": result.settings.to_dict(),
        "pairs": [
            {"name": name, "truth": os.path.abspath(t), "prediction": os.path.abspath(p)}
            for name, (t, p) in zip(pairing.names, pairing.pairs, strict=True)
        ],
        "unpaired_truth": paths(pairing.unpaired_truth),
        "unpaired_prediction": paths(pairing.unpaired_prediction),
        "ignored": paths([*pairing.ignored, *pairing.hidden]),
        "images": paths(pairing.images),
        "failed": result.failed.to_dict(orient="records"),
        "versions": versions(),
    }
