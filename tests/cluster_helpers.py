"""What the command-line cluster tests share: a local cluster of processes, the command run as
a user runs it, and folders of small identical pairs."""

from __future__ import annotations

import distributed
import numpy as np
import pytest

from napari_seg_eval import __main__ as cli

#: A worker's start-up code: napari_seg_eval absent, as in an environment without it.
WITHOUT_PACKAGE = """
import sys
class Absent:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] == "napari_seg_eval":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Absent)
"""


def local_cluster(n_workers: int, **worker_kwargs) -> distributed.LocalCluster:
    """Worker processes of one thread each, on 127.0.0.1, with no dashboard on 8787."""
    return distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # not 8787, shared by tests
        **worker_kwargs,
    )


def run(*argv: str) -> int:
    """``napari-seg-eval evaluate ARGV``: its exit code."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def write_pairs(folder, names) -> None:
    """folder/truth/NAME.npy and folder/pred/NAME.npy: one 3x3 square each, the same."""
    for side in ("truth", "pred"):
        (folder / side).mkdir(parents=True, exist_ok=True)
        for name in names:
            image = np.zeros((8, 8), np.uint16)
            image[2:5, 2:5] = 1
            np.save(folder / side / f"{name}.npy", image)
