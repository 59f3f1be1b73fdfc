"""``evaluate --scheduler`` (cluster123): a worker without this napari-seg-eval version that
joins during the run stops it (it hung); a run's tasks cancelled on the cluster are said to
be, not a lost connection; a worker with an old version is named with it; a scheduler lost
mid-run is said in one line, without distributed's traceback."""

from __future__ import annotations

import io
import logging
import sys
import threading

import pandas as pd
import pytest

from cluster_helpers import local_cluster, run, write_pairs
from napari_seg_eval import io as nse_io
from napari_seg_eval._version import __version__
from napari_seg_eval.io import evaluate as evaluate_module
from napari_seg_eval.io.progress import Progress

distributed = pytest.importorskip("distributed")

#: The real task function: replaced in this process by one of the tests' (sent to the workers
#: by reference to this module, which a worker imports), which calls it.
REAL_EVALUATE_PAIRS = evaluate_module._evaluate_pairs
#: The distributed.Events a held pair says it started on, and waits for.
STARTED, GO = "cluster123-started", "cluster123-go"
#: Bound for the broken (old) code only, which waits for ever: the held pairs are then let go.
HANG_BOUND = 60

#: A worker's start-up code: an old napari-seg-eval 0.0.1 installed (its distribution's
#: metadata), whose package has no io.evaluate ("no module") or no __version__ ("no version").
OLD_VERSION = """
import os, sys, tempfile, types
LACKS = {lacks!r}
site = tempfile.mkdtemp()
info = os.path.join(site, "napari_seg_eval-0.0.1.dist-info")
os.mkdir(info)
with open(os.path.join(info, "METADATA"), "w") as metadata:
    metadata.write("Metadata-Version: 2.1\\nName: napari-seg-eval\\nVersion: 0.0.1\\n")
sys.path.insert(0, site)
package = types.ModuleType("napari_seg_eval")
package.__path__ = []
sys.modules["napari_seg_eval"] = package
if LACKS == "no version":
    io = types.ModuleType("napari_seg_eval.io")
    io.__path__, io.evaluate = [], types.ModuleType("napari_seg_eval.io.evaluate")
    package.io = io
    sys.modules.update({{"napari_seg_eval.io": io, "napari_seg_eval.io.evaluate": io.evaluate}})
"""


def held_block(items, settings):
    """A pair named "block" waits for GO (its task runs until then); the others are evaluated."""
    if any(truth.endswith("block.npy") for truth, _, _ in items):
        distributed.Event(GO).wait()
    return REAL_EVALUATE_PAIRS(items, settings)


def held_pairs(items, settings):
    """Each task says it started (STARTED) and waits for GO: its worker is busy until then."""
    distributed.Event(STARTED).set()
    distributed.Event(GO).wait()
    return REAL_EVALUATE_PAIRS(items, settings)


def with_preload(cluster: distributed.LocalCluster, preload: str) -> None:
    """The workers the cluster starts from now on run ``preload`` as they start (the spec of
    those started so far is left as it is)."""
    options = {**cluster.new_spec["options"], "preload": [preload]}
    cluster.new_spec = {**cluster.new_spec, "options": options}


# --- a worker without the package joins during the run -------------------------------------


def run_with_a_worker_joining(cluster, client, preload: str | None) -> int:
    """The command on four pairs, each held until GO, on ``cluster`` of one worker of one
    thread: ceil(4 / (4 tasks per thread)) = 1 pair a task, 4 tasks. The worker holds 2
    (ceil(1 thread x 1.1 saturation)), the first started; the scheduler queues the other 2
    and gives them to a worker (started with ``preload``) that joins then. With a preload,
    GO once the command has ended (or after HANG_BOUND: the old code's hang, ended); without,
    GO once the worker has joined."""
    go = distributed.Event(GO, client=client)

    def add_a_worker() -> None:
        distributed.Event(STARTED, client=client).wait(HANG_BOUND)  # the first worker busy
        if preload is not None:
            with_preload(cluster, preload)
        cluster.scale(2)
        if preload is None:
            client.wait_for_workers(2)
            go.set()

    joining = threading.Thread(target=add_a_worker)
    joining.start()
    bound = threading.Timer(HANG_BOUND, go.set)
    bound.start()
    try:
        return run(
            "data/truth", "data/pred", "--out", "res", "--scheduler", client.scheduler.address
        )
    finally:
        bound.cancel()
        go.set()  # the first worker's tasks let go (their results no longer wanted)
        joining.join()


def test_a_worker_with_the_package_joining_mid_run_is_used(tmp_path, monkeypatch, capsys):
    """The other side: a worker of this environment joining then evaluates its pairs."""
    monkeypatch.chdir(tmp_path)
    write_pairs(tmp_path / "data", ["a", "b", "c", "d"])
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", held_pairs)
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        code = run_with_a_worker_joining(cluster, client, None)
    assert code == 0, capsys.readouterr().err
    per_image = pd.read_csv(tmp_path / "res" / "per_image.csv")
    # Each pair: one 3x3 square in both images, the same pixels: one match, F1 at 0.5 =
    # 2 x 1 / (1 + 1) = 1; AJI numerator the 9 pixels of the square.
    assert per_image["f1_50"].tolist() == [1.0] * 4
    assert per_image["aji_numerator"].tolist() == [9] * 4


# --- the run's tasks cancelled on the cluster --------------------------------------------------


def test_tasks_cancelled_by_another_client_are_said_to_be_not_a_lost_connection(
    tmp_path, monkeypatch
):
    """review119: a task cancelled with no reason (by another client, or forgotten by the
    scheduler) was said to be "the connection ... was lost", the client still connected.

    Two pairs, a task each (1 worker thread: ceil(2 / 4) = 1 pair a task). Once "a" is done,
    another client cancels the task of "block" (waiting for GO): 1 of 2 pairs done."""
    write_pairs(tmp_path, ["a", "block"])
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", held_block)
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        address = cluster.scheduler_address

        class CancelledByAnother(Progress):
            def pair_done(self, done, total, name, error):
                assert (done, name, error) == (1, "a", None)
                (key,) = [
                    key
                    for key, task in cluster.scheduler.tasks.items()
                    if str(key).startswith("nse-") and task.state != "memory"
                ]
                with distributed.Client(address) as other:
                    other.cancel([distributed.Future(key, client=other)], force=True)

        try:
            with pytest.raises(ConnectionError) as raised:
                nse_io.evaluate_files(
                    tmp_path / "truth",
                    tmp_path / "pred",
                    client=client,
                    progress=CancelledByAnother(),
                )
            assert client.status == "running"  # connected throughout
        finally:
            distributed.Event(GO, client=client).set()
    assert str(raised.value) == (
        f"the dask cluster ({address}) cancelled the run's tasks (no reason given: by another "
        "client, or by the scheduler) after 1 of 2 pairs; nothing was written; start the "
        "scheduler again if it stopped, and rerun."
    )


# --- a worker with an old version -----------------------------------------------------------


@pytest.mark.parametrize("lacks", ["no module", "no version"])
def test_a_worker_with_an_old_version_is_named_with_it(tmp_path, monkeypatch, capsys, lacks):
    """review119: an old napari-seg-eval without the module the tasks import, or without a
    __version__, was said "not importable (...; a dependency missing?)": its installed
    version (its distribution's metadata: 0.0.1) is named."""
    monkeypatch.chdir(tmp_path)
    write_pairs(tmp_path / "data", ["a"])
    with local_cluster(1, preload=[OLD_VERSION.format(lacks=lacks)]) as cluster:
        address = cluster.scheduler_address
        assert run("data/truth", "data/pred", "--out", "res", "--scheduler", address) == 2
        (worker,) = cluster.scheduler.workers
    err = capsys.readouterr().err
    assert (
        f"error: the workers of the dask scheduler at {address} must run napari-seg-eval "
        f"{__version__}, as this command does: napari-seg-eval 0.0.1 on 1 worker ({worker}). "
        f"Install napari-seg-eval=={__version__} (with its dependencies)" in err
    )
    assert not (tmp_path / "res").exists()


# --- a scheduler lost mid-run ------------------------------------------------------------------


class Records(logging.Handler):
    """The records distributed's client-side loggers pass on (as to the stream they print to)."""

    NAMES = ("distributed.client", "distributed.batched", "distributed.core")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> Records:
        for name in self.NAMES:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        for name in self.NAMES:
            logging.getLogger(name).removeHandler(self)


class Stream(io.StringIO):
    """stderr that calls ``when(text)`` on each write: an event the test acts on."""

    def __init__(self, when) -> None:
        super().__init__()
        self.when = when

    def write(self, text: str) -> int:
        self.when(text)
        return super().write(text)


def test_a_scheduler_lost_mid_run_is_said_in_one_line(tmp_path, monkeypatch):
    """distributed's client logged "Failed to reconnect to scheduler" and tracebacks of its
    reconnecting and closing (some 35 lines) before the run's own line; only that line is
    said. Two pairs; the cluster closes once "a" is reported, "block" still running."""
    monkeypatch.chdir(tmp_path)
    write_pairs(tmp_path / "data", ["a", "block"])
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", held_block)
    with local_cluster(1) as cluster, Records() as logged:
        address = cluster.scheduler_address

        def when(text: str) -> None:
            if "1/2 pairs" in text:
                cluster.close()  # the scheduler (and its worker) gone

        monkeypatch.setattr(sys, "stderr", Stream(when))
        assert run("data/truth", "data/pred", "--out", "res", "--scheduler", address) == 2
    assert [record.getMessage() for record in logged.records] == []
    assert (
        f"error: the connection to the dask scheduler ({address}) was lost after 1 of 2 pairs; "
        "nothing was written; start the scheduler again if it stopped, and rerun."
    ) in sys.stderr.getvalue()
    # distributed's own logging is left as it was.
    assert not logging.getLogger("distributed.client").filters
    assert not (tmp_path / "res").exists()
