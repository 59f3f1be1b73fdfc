"""Evaluating a folder of files: the command line against the functions called in a loop.

Run: ``python benchmarks/bench_files.py [N_PAIRS] [--size 1024] [--objects N] [--repeat R]
[--command-line-only]`` (default 200 pairs of 1024² uint16 TIFFs with ~600 objects each,
written to a temporary folder and removed at the end; a few minutes). ``--size 4096``
(~10,000 objects each) makes computing dominate the cluster's fixed costs (about 3 minutes;
20 distinct pairs, 2.7 GB, the other files are hard links to them). ``--command-line-only``
times the three ``napari-seg-eval evaluate`` rows alone. Prints a Markdown table:

- the floor: a loop that reads each pair with tifffile and calls ``instance_metrics`` on it;
- ``evaluate_files`` + ``write_results`` in this process (reading, per-image, pooled and
  image-mean tables, the result folder);
- the loop as a new process, and ``napari-seg-eval evaluate`` as a new process (both with
  Python's start-up and the imports, about a second here);
- the same with ``--workers 1`` and ``--workers 2`` (a local dask.distributed cluster; its
  start-up included).

Times are the best of ``--repeat`` runs (default 2). Each row gives the load of the other
processes during its best run (their CPU time over the wall time, in cores, from
``/proc/stat``; Linux only): the 2 cores are shared, and the figures are only comparable when
it is near 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile

import napari_seg_eval as nse
from napari_seg_eval.io import evaluate_files, write_results

sys.path.insert(0, str(Path(__file__).parent))
from datasets import instance_pair

#: Objects per 1024² of image.
OBJECTS_PER_MPX = 600
#: Distinct pairs generated; the other files are hard links to them (reading costs the same).
N_DISTINCT = 20


def write_folders(root: Path, n_pairs: int, size: int, n_objects: int) -> tuple[Path, Path]:
    truth, pred = root / "truth", root / "pred"
    truth.mkdir()
    pred.mkdir()
    for i in range(n_pairs):
        names = truth / f"img{i:04d}_masks.tif", pred / f"img{i:04d}_cp_masks.tif"
        if i < N_DISTINCT:
            images = instance_pair((size, size), n_objects, seed=i)
            for name, image in zip(names, images, strict=True):
                tifffile.imwrite(name, image.astype(np.uint16))
        else:
            for name in names:
                os.link(
                    name.with_name(name.name.replace(f"{i:04d}", f"{i % N_DISTINCT:04d}")), name
                )
    return truth, pred


def busy_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (``/proc/stat``)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and waiting for I/O
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_seconds() -> float:
    """CPU seconds of this process and of its finished children."""
    return sum(os.times()[:4])


def best(function, repeat: int = 2) -> tuple[float, float]:
    """(seconds, others' load in cores) of the fastest of ``repeat`` calls."""
    runs = []
    for _ in range(repeat):
        own, busy = own_seconds(), busy_seconds()
        start = time.perf_counter()
        function()
        seconds = time.perf_counter() - start
        others = max(0.0, busy_seconds() - busy - (own_seconds() - own)) / seconds
        runs.append((seconds, others))
    return min(runs)


def loop(truth: Path, pred: Path) -> None:
    for true_path in sorted(truth.iterdir()):
        name = true_path.name.replace("_masks.tif", "_cp_masks.tif")
        nse.instance_metrics(tifffile.imread(true_path), tifffile.imread(pred / name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n_pairs", type=int, nargs="?", default=200)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--objects", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--command-line-only", action="store_true")
    args = parser.parse_args()
    n_pairs, size = args.n_pairs, args.size
    n_objects = args.objects or round(OBJECTS_PER_MPX * (size / 1024) ** 2)
    root = Path(tempfile.mkdtemp(prefix="bench_files_"))
    try:
        truth, pred = write_folders(root, n_pairs, size, n_objects)
        suffixes = ["--truth-suffix", "_masks", "--prediction-suffix", "_cp_masks"]
        out = root / "out"

        def in_process() -> None:
            result = evaluate_files(
                truth, pred, truth_suffix="_masks", prediction_suffix="_cp_masks"
            )
            write_results(result, out, overwrite=True)

        def command(*extra: str):
            def run() -> None:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "napari_seg_eval",
                        "evaluate",
                        str(truth),
                        str(pred),
                        "--out",
                        str(out),
                        "--overwrite",
                        "--quiet",
                        *suffixes,
                        *extra,
                    ],
                    check=True,
                )

            return run

        print(
            f"<!-- {n_pairs} pairs of {size}x{size} uint16 TIFFs, ~{n_objects} "
            f"objects each; load average before: {os.getloadavg()[0]:.2f} on "
            f"{os.cpu_count()} cores -->"
        )

        def loop_process() -> None:
            code = (
                f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                f"from pathlib import Path; import bench_files; "
                f"bench_files.loop(Path({str(truth)!r}), Path({str(pred)!r}))"
            )
            subprocess.run([sys.executable, "-c", code], check=True)

        print("| case | s | per pair ms | ratio | others' load (cores) |")
        print("|---|---|---|---|---|")

        def report(name: str, measured: tuple[float, float], floor: float | None) -> float:
            seconds, others = measured
            ratio = "1x" if floor is None else f"{seconds / floor:.2f}x"
            print(
                f"| {name} | {seconds:.2f} | {seconds / n_pairs * 1e3:.0f} | {ratio} | "
                f"{others:.2f} |",
                flush=True,
            )
            return seconds

        # In-process rows against the loop in this process; new processes against the loop
        # run as a new process (Python start-up and imports in both).
        repeat = args.repeat
        process_floor = None
        if not args.command_line_only:
            floor = report(
                "loop: tifffile.imread + instance_metrics",
                best(lambda: loop(truth, pred), repeat),
                None,
            )
            report("evaluate_files + write_results", best(in_process, repeat), floor)
            process_floor = report("the loop, as a new process", best(loop_process, repeat), None)
        seconds = {}
        for name, extra in (
            ("napari-seg-eval evaluate", ()),
            ("napari-seg-eval evaluate --workers 1", ("--workers", "1")),
            ("napari-seg-eval evaluate --workers 2", ("--workers", "2")),
        ):
            seconds[name] = report(name, best(command(*extra), repeat), process_floor)
        speedup = (
            seconds["napari-seg-eval evaluate --workers 1"]
            / seconds["napari-seg-eval evaluate --workers 2"]
        )
        print(f"<!-- --workers 2 is {speedup:.2f}x faster than --workers 1 -->")
        print(f"<!-- load average after: {os.getloadavg()[0]:.2f} -->")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
