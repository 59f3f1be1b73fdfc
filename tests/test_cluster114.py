"""The command and the core on a dask.distributed cluster (cluster114): a scheduler without
workers is waited for, saying so; workers without this napari-seg-eval version are refused
before any pair is sent; each chunk key goes to the scheduler with one task (no "Detected
different `run_spec`"), rechunks without the P2P shuffle's warnings; a server that is not a
scheduler is named without a confusing error type."""

from __future__ import annotations

import io
import logging
import socket
import sys
import threading

import numpy as np
import pandas as pd
import pytest

import napari_seg_eval as nse
from napari_seg_eval import __main__ as cli
from napari_seg_eval._version import __version__

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

#: A test cluster's scheduler serves HTTP on a free port (not 8787, shared by tests).
FREE_HTTP_PORT = {"dashboard_address": "127.0.0.1:0"}


def local_cluster(n_workers: int, **worker_kwargs) -> distributed.LocalCluster:
    return distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs=FREE_HTTP_PORT,
        **worker_kwargs,
    )


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


@pytest.fixture
def data(tmp_path, monkeypatch):
    """data/truth/img{i}.npy and data/pred/img{i}.npy: one 3x3 square each, the same."""
    monkeypatch.chdir(tmp_path)
    for side in ("truth", "pred"):
        (tmp_path / "data" / side).mkdir(parents=True)
        for i in range(2):
            image = np.zeros((8, 8), np.uint16)
            image[2:5, 2:5] = 1
            np.save(tmp_path / "data" / side / f"img{i}.npy", image)
    return tmp_path / "data"


class Stream(io.StringIO):
    """stderr that calls ``when(text)`` on each write: an event the test acts on."""

    def __init__(self, when) -> None:
        super().__init__()
        self.when = when

    def write(self, text: str) -> int:
        self.when(text)
        return super().write(text)


# --- a scheduler without workers -------------------------------------------------------------


def test_a_scheduler_without_workers_is_waited_for_saying_so(data, monkeypatch):
    """F3: the command waited for ever with no word; it now says so and goes on when a
    worker joins (here: started as the line is written; the tasks are submitted meanwhile)."""
    with local_cluster(0) as cluster:
        address = cluster.scheduler_address

        def when(text: str) -> None:
            if "has no workers" in text:
                cluster.scale(1)  # a worker joins once the wait is said

        stream = Stream(when)
        monkeypatch.setattr(sys, "stderr", stream)
        assert run("data/truth", "data/pred", "--out", "res", "--scheduler", address) == 0
    said = stream.getvalue()
    assert (
        f"the dask scheduler at {address} has no workers yet: waiting for one (an adaptive "
        "cluster starts one for the run; Ctrl-C to stop)." in said
    )
    per_image = pd.read_csv(data.parent / "res" / "per_image.csv")
    # Each pair: one 3x3 square in both images, the same pixels: IoU 9/9 = 1, one match of
    # one object on each side: F1 at 0.5 = 2 x 1 / (1 + 1) = 1; AJI 9/9.
    assert per_image["f1_50"].tolist() == [1.0, 1.0]
    assert per_image["aji_numerator"].tolist() == [9, 9]


def test_an_adaptive_cluster_at_no_workers_starts_them_for_the_run(data):
    """review117: waiting for a worker before submitting anything hung on an adaptive cluster
    scaled down to none (it starts workers for tasks only): the tasks are submitted."""
    with local_cluster(0) as cluster:
        cluster.adapt(minimum=0, maximum=1)
        args = ("--out", "res", "--scheduler", cluster.scheduler_address)
        assert run("data/truth", "data/pred", *args) == 0
    per_image = pd.read_csv(data.parent / "res" / "per_image.csv")
    assert per_image["f1_50"].tolist() == [1.0, 1.0]  # as above, by hand


# --- workers without this version -------------------------------------------------------------

#: A worker's start-up code: napari_seg_eval as ANSWER says: absent (None), of another version
#: (a string), or installed but failing to import a part of it ("broken").
WORKER_WITHOUT = """
import sys, types
ANSWER = {answer!r}
class Absent:  # as an environment without the package: no finder finds it
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] == "napari_seg_eval":
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
class Unreadable:  # as a site-packages the worker may not read
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] == "napari_seg_eval":
            raise PermissionError(13, "Permission denied", name)
if ANSWER is None:
    sys.meta_path.insert(0, Absent)
elif ANSWER == "unreadable":
    sys.meta_path.insert(0, Unreadable)
elif ANSWER == "broken":
    sys.modules["napari_seg_eval.io.evaluate"] = None
else:
    package = types.ModuleType("napari_seg_eval")
    package.__version__, package.__path__ = ANSWER, []
    io = types.ModuleType("napari_seg_eval.io")
    io.__path__, io.evaluate = [], types.ModuleType("napari_seg_eval.io.evaluate")
    package.io = io
    sys.modules.update(
        {{"napari_seg_eval": package, "napari_seg_eval.io": io,
          "napari_seg_eval.io.evaluate": io.evaluate}}
    )
"""


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (None, "no napari-seg-eval"),
        ("0.0.1", "napari-seg-eval 0.0.1"),
        # Installed but a part of it not importable (a dependency missing, say).
        ("broken", "napari-seg-eval not importable (ModuleNotFoundError: "),
        # review119: an OSError of the import itself is no worker gone.
        ("unreadable", "napari-seg-eval not importable (PermissionError: "),
    ],
    ids=["missing", "other version", "not importable", "unreadable"],
)
def test_workers_without_this_version_are_refused_before_any_pair(
    data, monkeypatch, capsys, answer, said
):
    """F3: a worker that cannot import the package died on its first task and the command
    waited for ever; one of another version would compute with other code. Both are now
    refused (exit 2, nothing written), naming the worker, its version and what to do."""
    with local_cluster(1, preload=[WORKER_WITHOUT.format(answer=answer)]) as cluster:
        address = cluster.scheduler_address
        assert run("data/truth", "data/pred", "--out", "res", "--scheduler", address) == 2
        (worker,) = cluster.scheduler.workers  # still there: no task reached it
    err = capsys.readouterr().err
    assert (
        f"error: the workers of the dask scheduler at {address} must run napari-seg-eval "
        f"{__version__}, as this command does: {said}" in err
    )
    assert (
        f" on 1 worker ({worker}). Install napari-seg-eval=={__version__} (with its "
        "dependencies) in every worker's environment and restart the workers." in err
    )
    assert not (data.parent / "res").exists()


def test_a_worker_without_the_package_joining_an_empty_scheduler_is_refused(
    data, monkeypatch, capsys
):
    """review119: with no worker at the start the check was skipped, and a worker without
    the package joining then failed every task: the run hung. The question is sent as a task
    the first worker answers, then every worker is asked."""
    preload = [WORKER_WITHOUT.format(answer=None)]
    with local_cluster(0, preload=preload) as cluster:
        address = cluster.scheduler_address

        def when(text: str) -> None:
            if "has no workers yet" in text:
                cluster.scale(1)  # a worker without the package joins once the wait is said

        monkeypatch.setattr(sys, "stderr", Stream(when))
        assert run("data/truth", "data/pred", "--out", "res", "--scheduler", address) == 2
    assert "as this command does: no napari-seg-eval on 1 worker" in sys.stderr.getvalue()
    assert not (data.parent / "res").exists()


def test_workers_with_this_version_are_used(data, capsys):
    """The check passes on workers of this environment (the same version)."""
    with local_cluster(1) as cluster:
        args = ("--out", "res", "--scheduler", cluster.scheduler_address)
        assert run("data/truth", "data/pred", *args) == 0
    assert "must run napari-seg-eval" not in capsys.readouterr().err


# --- one task per key ------------------------------------------------------------------------


class Logged(logging.Handler):
    """The messages of distributed's scheduler-side loggers (the scheduler of a LocalCluster
    runs in this process)."""

    NAMES = ("distributed.scheduler", "distributed.shuffle._scheduler_plugin")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> Logged:
        for name in self.NAMES:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        for name in self.NAMES:
            logging.getLogger(name).removeHandler(self)


@pytest.fixture
def client_holding_keys(monkeypatch):
    """A Client on a cluster of one worker process whose scheduler keeps every key it was
    sent: the client never releases a result. The scheduler compares a key sent again with
    the task it holds for it; a key released before it comes again (the usual case: a race)
    is not compared, so holding them makes the check certain."""
    monkeypatch.setattr(distributed.Client, "_dec_ref", lambda self, key: None)
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        yield client


def square_and_shifted() -> tuple[np.ndarray, np.ndarray]:
    """A 3x3 square at rows 2-4, columns 2-4 of an 8x8 mask, and the square 2 columns right."""
    true = np.zeros((8, 8), bool)
    true[2:5, 2:5] = True
    return true, np.roll(true, 2, axis=1)


@pytest.mark.parametrize("pred_chunks", [(3, 3), (4, 5)], ids=["one grid", "two grids"])
def test_boundary_metrics_send_each_key_with_one_task(client_holding_keys, pred_chunks):
    """F6: every boundary_metrics of dask masks logged "Detected different `run_spec`": the
    boolean masks cast to uint8 were sent unoptimized in the overlap table's graph and fused
    (dask's array optimization) when read for the boxes and crops."""
    true, pred = square_and_shifted()
    with Logged() as logged:
        result = nse.boundary_metrics(
            da.from_array(true, chunks=(3, 3)), da.from_array(pred, chunks=pred_chunks)
        )
    assert not [m for m in logged.messages if "run_spec" in m]
    # Boundaries: the 8 pixels of each square around its centre. From the shifted square's:
    # column 4 (3 pixels) lies on the true one's boundary (0), its top and bottom pixels of
    # column 5 are 1 from (2, 4) and (4, 4), column 6 (3 pixels) is 2 away: 0,0,0,1,1,2,2,2;
    # the same back. HD 2; HD95: rank 0.95 x 7 = 6.65 of the 8 sorted: 2; ASSD (0x3 + 1x2 +
    # 2x3) x 2 / 16 = 1; within tau = 1: 5 of 8 on each side: NSD 10/16, F1 2(5/8)^2/(5/4).
    row = result.per_class.iloc[0]
    assert row["class"] == 1
    assert (row["hd"], row["hd95"], row["assd"]) == (2.0, 2.0, 1.0)
    assert row["nsd"] == pytest.approx(0.625) and row["boundary_f1"] == pytest.approx(0.625)


def test_other_chunk_grids_in_3d_log_no_shuffle(client_holding_keys):
    """F6: arrays on different chunk grids were put on one with dask.distributed's P2P
    rechunk, logging "Shuffle ... initialized" and "deactivated" pairs; the rechunk is now
    made of tasks."""
    labels = np.zeros((19, 63, 71), np.uint8)
    labels[3:8, 10:20, 30:42] = 1
    confidence = np.full(labels.shape, 0.25, np.float32)
    with Logged() as logged:
        table = nse.object_measurements(
            da.from_array(labels, chunks=(7, 63, 20)),
            da.from_array(confidence, chunks=(5, 5, 71)),  # slices across the labels' chunks
        )
    assert not [m for m in logged.messages if "Shuffle" in m]
    # One object of 5 x 10 x 12 = 600 voxels, each of confidence 0.25.
    assert table["area"].tolist() == [600]
    assert table["mean_confidence"].tolist() == [0.25]


# --- a server that is not a scheduler -----------------------------------------------------------


def test_a_web_server_at_the_address_is_named_without_an_error_type(data, capsys):
    """F7: an HTTP server's answer was said "not dask's (MemoryError reading it)": dask read
    "HTTP/1.1" as the length of a message; the error's type says nothing to a user."""
    listener = socket.create_server(("127.0.0.1", 0))
    answer = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)  # dask's handshake
            connection.sendall(answer)
            connection.recv(65536)  # until the command closes its side

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    try:
        assert run("data/truth", "data/pred", "--out", "res", "--scheduler", address) == 2
    finally:
        thread.join()
        listener.close()
    err = capsys.readouterr().err
    assert (
        f"error: the server at {address} is not a dask scheduler: its answer is not dask's; "
        "give the scheduler's address" in err
    )
    assert "Error" not in err.replace("error:", "")
    assert not (data.parent / "res").exists()
