"""Pairs on a dask.distributed cluster of worker processes: tiled TIFFs (read and computed on
the worker, their zarr view picklable), a scheduler lost mid-run, a pair that kills its
worker."""

from __future__ import annotations

import os

import dask
import numpy as np
import pandas as pd
import pytest
import tifffile
import zarr

from napari_seg_eval import instance_metrics
from napari_seg_eval.io import evaluate as evaluate_module
from napari_seg_eval.io import evaluate_files, read_labels
from napari_seg_eval.io.progress import Progress

distributed = pytest.importorskip("distributed")

#: The real task function: the tests below replace it in this process with one of their own
#: (sent to the workers by reference to this module, which a worker imports), which calls it.
REAL_EVALUATE_PAIRS = evaluate_module._evaluate_pairs
#: A test cluster's scheduler serves HTTP on a free port (as in test_io.py).
FREE_HTTP_PORT = {"dashboard_address": "127.0.0.1:0"}
#: The distributed.Event a blocked pair waits for (never set).
NEVER_SET = "cluster113-never-set"


def process_cluster(
    processes: bool = True, threads_per_worker: int = 1, **options
) -> distributed.LocalCluster:
    return distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=threads_per_worker,
        processes=processes,
        dashboard_address=None,
        scheduler_kwargs=FREE_HTTP_PORT,
        **options,
    )


def labels(shift: int) -> np.ndarray:
    """Four rectangles (ids 1-4) on a 64 x 48 image, moved ``shift`` rows down."""
    image = np.zeros((64, 48), np.uint16)
    for i, (row, col) in enumerate([(2, 3), (20, 25), (40, 5), (50, 30)], 1):
        image[row + shift : row + shift + 10, col : col + 12] = i
    return image


def write_tiled(folder, name: str, image: np.ndarray) -> None:
    folder.mkdir(exist_ok=True)
    tifffile.imwrite(folder / f"{name}.tif", image, tile=(16, 16))


def write_npy(folder, name: str, image: np.ndarray) -> None:
    folder.mkdir(exist_ok=True)
    np.save(folder / f"{name}.npy", image)


def write_zarr(folder, name: str, image: np.ndarray) -> None:
    folder.mkdir(exist_ok=True)
    array = zarr.open_array(
        str(folder / f"{name}.zarr"),
        mode="w",
        shape=image.shape,
        dtype=image.dtype,
        chunks=(16, 16),
    )
    array[:] = image


def assert_same_run(clustered, serial) -> None:
    pd.testing.assert_frame_equal(clustered.per_image, serial.per_image)
    pd.testing.assert_frame_equal(clustered["instance"].pooled, serial["instance"].pooled)
    pd.testing.assert_series_equal(clustered.summary, serial.summary)


@pytest.mark.parametrize("processes, threads", [(True, 1), (False, 2)])
def test_a_tiled_tiff_pair_is_read_and_computed_on_the_worker(tmp_path, processes, threads):
    # A tiled TIFF is read lazily (a zarr view of its tiles, chunk by chunk); so is a zarr
    # folder. Its pair's chunked arrays are computed on the worker (a worker of 1 thread:
    # dask's synchronous scheduler; of 2: dask's threads), so the scheduler only ever sees
    # the run's own tasks (keys "nse-..."), never a chunk of an array.
    write_tiled(tmp_path / "truth", "a", labels(0))
    write_tiled(tmp_path / "pred", "a", labels(1))
    write_zarr(tmp_path / "truth", "b", labels(0))
    write_zarr(tmp_path / "pred", "b", labels(2))
    assert not isinstance(read_labels(tmp_path / "truth" / "a.tif"), np.ndarray)
    serial = evaluate_files(tmp_path / "truth", tmp_path / "pred")
    assert serial.n_failed == 0
    with (
        process_cluster(processes, threads_per_worker=threads) as cluster,
        distributed.Client(cluster) as client,
    ):
        clustered = evaluate_files(tmp_path / "truth", tmp_path / "pred", client=client)
        prefixes = set(cluster.scheduler.task_prefixes)
    assert clustered.n_failed == 0, clustered.failed["error"].tolist()
    assert_same_run(clustered, serial)
    assert prefixes == {"nse"}
    # dask's configuration is global: a worker in this process leaves its scheduler unset.
    assert dask.config.get("scheduler", None) is None


@pytest.mark.parametrize("processes", [False, True])
def test_a_tiled_tiff_read_by_read_labels_is_computed_on_a_cluster(tmp_path, processes):
    # The zarr view read_labels gives of a tiled TIFF holds an open file; pickled (as dask's
    # graphs are, even to an in-process scheduler) it reopens the file by its path.
    write_tiled(tmp_path / "truth", "a", labels(0))
    write_tiled(tmp_path / "pred", "a", labels(1))
    true, pred = read_labels(tmp_path / "truth" / "a.tif"), read_labels(tmp_path / "pred" / "a.tif")
    assert not isinstance(true, np.ndarray)
    expected = instance_metrics(labels(0), labels(1))
    with (
        process_cluster(processes) as cluster,
        distributed.Client(cluster),
    ):
        got = instance_metrics(true, pred)
    pd.testing.assert_frame_equal(got.per_threshold, expected.per_threshold)
    # Each rectangle of 10 x 12 = 120 pixels moved down one row overlaps its shifted self on
    # 9 x 12 = 108 pixels: IoU 108 / (240 - 108) = 0.818..., a match at 0.5, and at 0.8.
    assert got.per_threshold.loc[got.per_threshold["threshold"] == 0.5, "tp"].item() == 4


def blocking_pairs(items, settings):
    """A pair named "block" waits, seceded from the worker's thread (so that the other pair
    runs), for an event that is never set: its task never ends while the scheduler lives."""
    if any(os.path.basename(truth) == "block.npy" for truth, _, _ in items):
        distributed.secede()
        distributed.Event(NEVER_SET).wait()
    return REAL_EVALUATE_PAIRS(items, settings)


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("close", "the connection to the dask scheduler ({}) was lost after 1 of 2 pairs; "),
        # review116: client.restart() cancels the run's tasks ("scheduler-restart").
        (
            "restart",
            "the dask cluster ({}) cancelled the run's tasks (scheduler-restart) after "
            "1 of 2 pairs; ",
        ),
    ],
)
def test_a_cluster_lost_mid_run_raises_connection_error_not_a_partial_result(
    tmp_path, monkeypatch, action, said
):
    # Two pairs, a task each (1 worker thread, 4 tasks per thread: ceil(2 / 4) = 1 pair a
    # task). Pair "a" ends; once its outcome is reported the cluster is closed (or restarted)
    # while "block" is still running: 1 of 2 pairs done. The pairs not done were recorded as
    # failed and a partial result written (exit 1).
    for name in ("a", "block"):
        write_npy(tmp_path / "truth", name, labels(0))
        write_npy(tmp_path / "pred", name, labels(1))
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", blocking_pairs)

    with process_cluster() as cluster, distributed.Client(cluster) as client:
        address = cluster.scheduler_address

        class LoseAfterFirst(Progress):
            def pair_done(self, done, total, name, error):
                assert (done, name, error) == (1, "a", None)
                if action == "close":
                    cluster.close()
                else:
                    client.restart()

        with pytest.raises(ConnectionError) as raised:
            evaluate_files(
                tmp_path / "truth", tmp_path / "pred", client=client, progress=LoseAfterFirst()
            )
    assert str(raised.value) == (
        f"{said.format(address)}nothing was written; start the scheduler again if it stopped, "
        "and rerun."
    )
    assert isinstance(raised.value, OSError)  # the command line: exit 2, nothing written


def killing_pairs(items, settings):
    """A pair named "a_kill" ends its worker's process at once (as the kernel's OOM killer)."""
    if any(os.path.basename(truth) == "a_kill.npy" for truth, _, _ in items):
        os._exit(1)
    return REAL_EVALUATE_PAIRS(items, settings)


@pytest.mark.parametrize("tasks_per_thread", [1, 4])
# The killed worker's nanny starts it again, within the 10 s after which a scheduler without
# a worker is said (NoWorkerLeft, test_cluster135) on any machine but a very slow one.
@pytest.mark.filterwarnings("ignore::napari_seg_eval.io.evaluate.NoWorkerLeft")
def test_only_the_pair_that_kills_its_worker_fails(tmp_path, monkeypatch, tasks_per_thread):
    # Pairs "a_kill" and "b", on a worker of 1 thread. 1 task per thread: ceil(2 / 1) = 2
    # pairs in one task. 4 tasks per thread: ceil(2 / 4) = 1 pair a task, "b" queued on the
    # worker behind "a_kill" (no queuing on the scheduler: worker-saturation inf), so dask
    # suspects it too. No retry of a task whose worker died (allowed-failures 0): each task
    # fails (KilledWorker); then each pair is evaluated alone: "b" is, "a_kill" fails.
    for name in ("a_kill", "b"):
        write_npy(tmp_path / "truth", name, labels(0))
        write_npy(tmp_path / "pred", name, labels(1))
    serial = evaluate_files([(tmp_path / "truth" / "b.npy", tmp_path / "pred" / "b.npy")])
    monkeypatch.setattr(evaluate_module, "TASKS_PER_THREAD", tasks_per_thread)
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", killing_pairs)
    with (
        dask.config.set(
            {
                "distributed.scheduler.allowed-failures": 0,
                "distributed.scheduler.worker-saturation": "inf",
            }
        ),
        process_cluster(memory_limit=2**30) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = evaluate_files(tmp_path / "truth", tmp_path / "pred", client=client)
    assert result.failed["name"].tolist() == ["a_kill"]
    assert result.failed["error"].tolist() == [
        "the task failed on the cluster: its worker died while evaluating it (out of memory? "
        # 2**30 bytes = 1.00 GiB
        "the workers' memory limit is 1.00 GiB: give the workers more memory, or run fewer "
        "threads on each) (KilledWorker)."
    ]
    pd.testing.assert_frame_equal(result["instance"].pooled, serial["instance"].pooled)
