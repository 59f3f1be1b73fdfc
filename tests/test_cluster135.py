"""cluster135: a run whose cluster has no worker (all lost, or none started yet) says it waits
for one, once, instead of waiting for ever with no word (review128 LOW-5), and goes on when one
joins; the workers retired from the user's cluster are said in one line per run (review131
LOW-2), on the error path too.

The run asks the scheduler for its workers every ``WORKER_CHECK_SECONDS`` while no task
finishes, and says so after ``NO_WORKER_SECONDS`` without any: the tests shrink both (the
notice then comes at once) and wait for the notice itself, never for time."""

from __future__ import annotations

import contextlib
import io
import sys
import threading

import dask
import pandas as pd
import pytest

from cluster_helpers import WITHOUT_PACKAGE, local_cluster, run, write_pairs
from napari_seg_eval import __main__ as cli
from napari_seg_eval import io as nse_io
from napari_seg_eval._version import __version__
from napari_seg_eval.io import evaluate as evaluate_module

distributed = pytest.importorskip("distributed")

#: The real task function: replaced in this process by :func:`held_pairs` (sent to the workers
#: by reference to this module, which a worker imports), which calls it.
REAL_EVALUATE_PAIRS = evaluate_module._evaluate_pairs
#: The distributed.Events a held pair says it started on, and waits for.
STARTED, GO = "cluster135-started", "cluster135-go"
#: Bound on the waits for the run's signals: reached only by broken code (the old code says
#: nothing and waits for ever: the test then gives the run a worker, and fails).
BOUND = 60


def held_pairs(items, settings):
    """Each task says it started (STARTED) and waits for GO: its worker is busy until then."""
    distributed.Event(STARTED).set()
    distributed.Event(GO).wait()
    return REAL_EVALUATE_PAIRS(items, settings)


class Stream(io.StringIO):
    """stderr that sets ``seen[text]`` (a threading.Event) once a write holds ``text``."""

    def __init__(self, *texts: str) -> None:
        super().__init__()
        self.seen = {text: threading.Event() for text in texts}

    def write(self, text: str) -> int:
        for wanted, event in self.seen.items():
            if wanted in text:
                event.set()
        return super().write(text)


class Left(distributed.diagnostics.plugin.SchedulerPlugin):
    """The workers that join the scheduler after ``kept`` (``joined``); ``all_left`` set once
    ``count`` of them have left it."""

    def __init__(self, kept: set[str], count: int) -> None:
        self.kept, self.count = kept, count
        self.joined: list[str] = []
        self.left: list[str] = []
        self.all_left = threading.Event()

    def add_worker(self, scheduler, worker) -> None:
        self.joined.append(worker)

    def remove_worker(self, scheduler, worker, **kwargs) -> None:
        if worker not in self.kept:
            self.left.append(worker)
            if len(self.left) >= self.count:
                self.all_left.set()


def assert_four_pairs_written(folder) -> None:
    per_image = pd.read_csv(folder / "per_image.csv")
    # Each pair: one 3x3 square in both images, the same pixels: one match, F1 at 0.5 =
    # 2 x 1 / (1 + 1) = 1; AJI numerator the 9 pixels of the square.
    assert per_image["name"].tolist() == ["a", "b", "c", "d"]
    assert per_image["f1_50"].tolist() == [1.0] * 4
    assert per_image["aji_numerator"].tolist() == [9] * 4


# --- LOW-5: no worker left -------------------------------------------------------------------

#: The notice's words after its number of seconds (the scheduler's address and the seconds
#: before it).
WAITING = (
    "after 0 of {n} pairs (none started yet, or all died, were killed for memory or closed): "
    "waiting for one to start or join; Ctrl-C stops the run, nothing written."
)


@pytest.fixture
def quick_checks(monkeypatch):
    """The scheduler asked for its workers every 10 ms, a scheduler without any said after
    20 ms: the notice comes as soon as the workers are gone."""
    monkeypatch.setattr(evaluate_module, "WORKER_CHECK_SECONDS", 0.01)
    monkeypatch.setattr(evaluate_module, "NO_WORKER_SECONDS", 0.02)


@pytest.mark.parametrize("workers", ["--scheduler", "--workers"])
def test_a_cluster_with_no_worker_left_is_said_and_the_run_goes_on_when_one_joins(
    tmp_path, monkeypatch, quick_checks, workers
):
    """--scheduler (a cluster of the user's) or --workers (the command's, whose nannies would
    start killed workers again: here scaled to no worker, as if none could): the run says it
    waits, once, even with --quiet, and goes on. Four pairs on one worker of one thread:
    ceil(4 / (4 tasks per thread x 1 thread)) = 1 pair a task, 4 tasks, all held (until GO).
    The worker is closed (scale(0)): 0 of 4 pairs done; once the notice is said a worker
    joins (scale(1)), GO: all 4 evaluated, exit 0. It waited with no word."""
    monkeypatch.chdir(tmp_path)
    write_pairs(tmp_path / "data", ["a", "b", "c", "d"])
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", held_pairs)
    stream = Stream("has had no worker for")
    monkeypatch.setattr(sys, "stderr", stream)
    made: list = []  # the cluster and its scheduler's address
    ready = threading.Event()
    real_client = cli._client

    def client_made(args, stack):
        client = real_client(args, stack)
        if not made:  # --workers: the command's cluster (--scheduler: the test's, below)
            made.extend([client.cluster, client.scheduler.address])
            ready.set()
        return client

    monkeypatch.setattr(cli, "_client", client_made)

    def lose_the_worker_then_add_one() -> None:
        if not ready.wait(BOUND) or not made:
            return
        cluster, address = made
        # Not the default client: made and closed on this thread while the command's own
        # opens and closes, it would put back a default scheduler the command's had removed.
        with distributed.Client(address, set_as_default=False) as client:
            try:
                distributed.Event(STARTED, client=client).wait(BOUND)
                cluster.scale(0)
                stream.seen["has had no worker for"].wait(BOUND)
                cluster.scale(1)
            finally:
                distributed.Event(GO, client=client).set()

    losing = threading.Thread(target=lose_the_worker_then_add_one)
    losing.start()
    with contextlib.ExitStack() as stack:
        if workers == "--scheduler":
            cluster = stack.enter_context(local_cluster(1))
            made.extend([cluster, cluster.scheduler_address])
            ready.set()
            given = ["--scheduler", cluster.scheduler_address]
        else:
            given = ["--workers", "1"]
        try:
            code = run("data/truth", "data/pred", "--out", "res", *given, "--quiet")
        finally:
            ready.set()
            losing.join()
    err = stream.getvalue()
    assert code == 0, err
    head = f"napari-seg-eval: the dask scheduler at {made[1]} has had no worker for "
    lines = [line for line in err.splitlines() if line.startswith(head)]
    assert len(lines) == 1, err
    assert lines[0].endswith(WAITING.format(n=4)), lines
    assert_four_pairs_written(tmp_path / "res")
    assert dask.config.get("scheduler", None) is None  # no client left as the default


def test_in_python_a_cluster_with_no_worker_yet_is_said_and_waited_for(tmp_path, monkeypatch):
    """evaluate_files(client=) on a LocalCluster of no worker yet: a NoWorkerLeft warning, once,
    and the run goes on when a worker starts (it waited for ever with no word). Two pairs,
    each a 3x3 square in both images: F1 at 0.5 = 1 each."""
    monkeypatch.setattr(evaluate_module, "WORKER_CHECK_SECONDS", 0.01)
    monkeypatch.setattr(evaluate_module, "NO_WORKER_SECONDS", 0.02)
    write_pairs(tmp_path, ["a", "b"])
    said = threading.Event()
    real_warn = evaluate_module.warn

    def warn(message, category=UserWarning, **kwargs):
        real_warn(message, category, **kwargs)
        if category is evaluate_module.NoWorkerLeft:
            said.set()

    monkeypatch.setattr(evaluate_module, "warn", warn)
    with local_cluster(0) as cluster, distributed.Client(cluster) as client:

        def start_one() -> None:
            said.wait(BOUND)  # broken code says nothing: a worker then lets it end
            cluster.scale(1)

        starting = threading.Thread(target=start_one)
        starting.start()
        try:
            with pytest.warns(evaluate_module.NoWorkerLeft) as caught:
                result = nse_io.evaluate_files(tmp_path / "truth", tmp_path / "pred", client=client)
        finally:
            said.set()
            starting.join()
    notices = [w for w in caught if w.category is evaluate_module.NoWorkerLeft]
    assert len(notices) == 1
    assert str(notices[0].message).endswith(WAITING.format(n=2))
    assert result.per_image["f1_50"].tolist() == [1.0, 1.0]


# --- review131 LOW-2: the workers retired, one line per run -------------------------------------


def retired_line(address: str, workers: list[str]) -> str:
    plural = "s" if len(workers) > 1 else ""
    their = "their" if len(workers) > 1 else "its"
    return (
        f"napari-seg-eval: the workers of the dask scheduler at {address} must run "
        f"napari-seg-eval {__version__}: no napari-seg-eval on {len(workers)} worker{plural} "
        f"({', '.join(workers)}), retired from the cluster ({their} tasks sent to the other "
        f"workers). Install napari-seg-eval=={__version__} (with its dependencies) in every "
        "worker's environment.\n"
    )


def bad_workers_join(cluster, client, count: int) -> Left:
    """``count`` workers without the package asked to join once a held task has started (the
    good worker busy): the plugin that sees them leave."""
    left = Left(set(cluster.scheduler.workers), count)
    cluster.scheduler.add_plugin(left)
    distributed.Event(STARTED, client=client).wait(BOUND)
    options = {**cluster.new_spec["options"], "preload": [WITHOUT_PACKAGE]}
    cluster.new_spec = {**cluster.new_spec, "options": options}
    cluster.scale(1 + count)
    return left


def test_workers_retired_in_a_run_are_said_in_one_line(tmp_path, monkeypatch):
    """Two workers without the package join while the good one is busy: each refuses a task
    and is retired (at its own refusal, or both at the first), the run goes on (exit 0).
    They were said in a line each (review131); now one line names both. Eight pairs, a pair
    a task (16 tasks per thread: ceil(8 / 16) = 1); the good worker holds 2 (until GO), the
    scheduler queues 6, which the bad workers are given as they join."""
    monkeypatch.chdir(tmp_path)
    names = ["a", "b", "c", "d", "e", "f", "g", "h"]
    write_pairs(tmp_path / "data", names)
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", held_pairs)
    monkeypatch.setattr(evaluate_module, "TASKS_PER_THREAD", 16)
    stream = Stream()
    monkeypatch.setattr(sys, "stderr", stream)
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        address = cluster.scheduler_address
        go = distributed.Event(GO, client=client)
        seen: list[Left] = []

        def add_bad_workers() -> None:
            try:
                seen.append(bad_workers_join(cluster, client, 2))
                seen[0].all_left.wait(BOUND)
            finally:
                go.set()

        joining = threading.Thread(target=add_bad_workers)
        joining.start()
        try:
            code = run("data/truth", "data/pred", "--out", "res", "--scheduler", address)
        finally:
            go.set()
            joining.join()
    err = stream.getvalue()
    assert code == 0, err
    bad = seen[0].joined
    assert sorted(seen[0].left) == sorted(bad) and len(bad) == 2
    lines = [line + "\n" for line in err.splitlines() if "retired from the cluster" in line]
    assert lines in ([retired_line(address, bad)], [retired_line(address, bad[::-1])]), err
    per_image = pd.read_csv(tmp_path / "res" / "per_image.csv")
    assert per_image["name"].tolist() == names
    assert per_image["f1_50"].tolist() == [1.0] * 8  # one square each, the same: F1 1


def test_a_worker_retired_is_said_when_the_run_then_fails(tmp_path, monkeypatch):
    """A worker without the package is retired, then the run's tasks are cancelled on the
    cluster (another client restarts it): exit 2, nothing written, and the retirement said
    before the error (review131: printed, untested). Four pairs, a pair a task (ceil(4 / 4)
    = 1), the good worker holds 2, the bad one refuses the others: 0 of 4 pairs done."""
    monkeypatch.chdir(tmp_path)
    write_pairs(tmp_path / "data", ["a", "b", "c", "d"])
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", held_pairs)
    stream = Stream()
    monkeypatch.setattr(sys, "stderr", stream)
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        address = cluster.scheduler_address
        seen: list[Left] = []

        def retire_then_restart() -> None:
            try:
                seen.append(bad_workers_join(cluster, client, 1))
                if seen[0].all_left.wait(BOUND):
                    client.restart()  # the run's tasks cancelled ("scheduler-restart")
            finally:
                distributed.Event(GO, client=client).set()

        joining = threading.Thread(target=retire_then_restart)
        joining.start()
        try:
            code = run("data/truth", "data/pred", "--out", "res", "--scheduler", address)
        finally:
            joining.join()
    err = stream.getvalue()
    assert code == 2, err
    bad = seen[0].joined[0]  # then the good one, restarted
    error = (
        f"napari-seg-eval evaluate: error: the dask cluster ({address}) cancelled the run's "
        "tasks (scheduler-restart) after 0 of 4 pairs; nothing was written; start the "
        "scheduler again if it stopped, and rerun.\n"
    )
    assert retired_line(address, [bad]) + error in err
    assert not (tmp_path / "res").exists()
