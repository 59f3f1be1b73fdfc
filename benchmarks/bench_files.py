"""Evaluating a folder of files: the command line against the functions called in a loop.

Run: ``python benchmarks/bench_files.py [N_PAIRS]`` (default 200 pairs of 1024² uint16 TIFFs,
written to a temporary folder and removed at the end; a few minutes). Prints a Markdown table:

- the floor: a loop that reads each pair with tifffile and calls ``instance_metrics`` on it;
- ``evaluate_files`` + ``write_results`` in this process (reading, per-image, pooled and
  image-mean tables, the result folder);
- the loop as a new process, and ``napari-seg-eval evaluate`` as a new process (both with
  Python's start-up and the imports, about a second here);
- the same with ``--workers 1`` and ``--workers 2`` (a local dask.distributed cluster; its
  start-up included).

Times are the best of ``REPEAT`` runs; the machine's other load is printed with them.
"""

from __future__ import annotations

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

SHAPE = (1024, 1024)
N_OBJECTS = 600
#: Distinct pairs generated; the files cycle through them (reading costs the same).
N_DISTINCT = 20
REPEAT = 2


def write_folders(root: Path, n_pairs: int) -> tuple[Path, Path]:
    truth, pred = root / "truth", root / "pred"
    truth.mkdir()
    pred.mkdir()
    pairs = [instance_pair(SHAPE, N_OBJECTS, seed=seed) for seed in range(min(n_pairs, N_DISTINCT))]
    for i in range(n_pairs):
        true, guess = pairs[i % len(pairs)]
        tifffile.imwrite(truth / f"img{i:04d}_masks.tif", true.astype(np.uint16))
        tifffile.imwrite(pred / f"img{i:04d}_cp_masks.tif", guess.astype(np.uint16))
    return truth, pred


def best(function, repeat=REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def loop(truth: Path, pred: Path) -> None:
    for true_path in sorted(truth.iterdir()):
        name = true_path.name.replace("_masks.tif", "_cp_masks.tif")
        nse.instance_metrics(tifffile.imread(true_path), tifffile.imread(pred / name))


def main() -> None:
    n_pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    root = Path(tempfile.mkdtemp(prefix="bench_files_"))
    try:
        truth, pred = write_folders(root, n_pairs)
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
            f"<!-- {n_pairs} pairs of {SHAPE[0]}x{SHAPE[1]} uint16 TIFFs, ~{N_OBJECTS} "
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

        print("| case | s | per pair ms | ratio |")
        print("|---|---|---|---|")

        def report(name: str, seconds: float, floor: float | None) -> None:
            ratio = "1x" if floor is None else f"{seconds / floor:.2f}x"
            print(
                f"| {name} | {seconds:.2f} | {seconds / n_pairs * 1e3:.0f} | {ratio} |", flush=True
            )

        # In-process rows against the loop in this process; new processes against the loop
        # run as a new process (Python start-up and imports in both).
        floor = best(lambda: loop(truth, pred))
        report("loop: tifffile.imread + instance_metrics", floor, None)
        report("evaluate_files + write_results", best(in_process), floor)
        process_floor = best(loop_process)
        report("the loop, as a new process", process_floor, None)
        for name, extra in (
            ("napari-seg-eval evaluate", ()),
            ("napari-seg-eval evaluate --workers 1", ("--workers", "1")),
            ("napari-seg-eval evaluate --workers 2", ("--workers", "2")),
        ):
            report(name, best(command(*extra)), process_floor)
        print(f"<!-- load average after: {os.getloadavg()[0]:.2f} -->")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
