"""cluster129: a worker without this napari-seg-eval that joins during a ``--scheduler`` run is
retired and the run goes on (it stopped the run, review128 MED-2); the run stops only when no
worker of this version is left, said as the command says it (LOW-1); the multi-class
threshold notice is one line per run, its counts summed (MED-1), its share never rounded to
100 % (LOW-2); a scheduler lost while the command waits for its first worker is said to be
(LOW-3)."""

from __future__ import annotations

import io
import sys
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

from cluster_helpers import WITHOUT_PACKAGE, local_cluster, run, write_pairs
from napari_seg_eval import __main__ as cli
from napari_seg_eval import io as nse_io
from napari_seg_eval._version import __version__
from napari_seg_eval.io import evaluate as evaluate_module
from napari_seg_eval.io import read as read_module

distributed = pytest.importorskip("distributed")

#: The real task function: replaced in this process by :func:`held_pairs` (sent to the workers
#: by reference to this module, which a worker imports), which calls it.
REAL_EVALUATE_PAIRS = evaluate_module._evaluate_pairs
#: The distributed.Events a held pair says it started on, and waits for.
STARTED, GO = "cluster129-started", "cluster129-go"
#: Bound on the waits for the cluster's events: reached only by broken code (the old code
#: stops the run at once: nothing is waited for then).
BOUND = 60


def held_pairs(items, settings):
    """Each task says it started (STARTED) and waits for GO: its worker is busy until then."""
    distributed.Event(STARTED).set()
    distributed.Event(GO).wait()
    return REAL_EVALUATE_PAIRS(items, settings)


class Seen(distributed.diagnostics.plugin.SchedulerPlugin):
    """The workers that join the scheduler after ``kept`` (``joined``), and ``left`` set when
    one of them leaves it."""

    def __init__(self, kept: set[str]) -> None:
        self.kept, self.joined, self.left = kept, [], threading.Event()

    def add_worker(self, scheduler, worker) -> None:
        self.joined.append(worker)

    def remove_worker(self, scheduler, worker, **kwargs) -> None:
        if worker not in self.kept:
            self.left.set()


def expected_retired(address: str, worker: str) -> str:
    return (
        f"napari-seg-eval: the workers of the dask scheduler at {address} must run "
        f"napari-seg-eval {__version__}: no napari-seg-eval on 1 worker ({worker}), retired "
        "from the cluster (its tasks sent to the other workers). Install "
        f"napari-seg-eval=={__version__} (with its dependencies) in every worker's environment."
    )


# --- MED-2: a worker without the package joins mid-run ----------------------------------------


@pytest.mark.parametrize("quiet", [(), ("--quiet",)])
def test_a_worker_without_the_package_joining_mid_run_is_retired_and_the_run_goes_on(
    tmp_path, monkeypatch, capsys, quiet
):
    """Four pairs, each held until GO, on a cluster of one worker of one thread: ceil(4 / (4
    tasks per thread)) = 1 pair a task, 4 tasks; the worker holds 2 (ceil(1 thread x 1.1
    saturation)), the scheduler queues the other 2 and gives them to a worker without the
    package that joins then. It refuses them: it is retired (it left the scheduler: then
    GO), its tasks go to the first worker, and every pair is evaluated. The retirement is
    said even with --quiet: the run changed the user's cluster (review131)."""
    monkeypatch.chdir(tmp_path)
    write_pairs(tmp_path / "data", ["a", "b", "c", "d"])
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", held_pairs)
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        good = set(cluster.scheduler.workers)
        seen = Seen(good)
        cluster.scheduler.add_plugin(seen)
        go = distributed.Event(GO, client=client)

        def add_a_bad_worker() -> None:
            try:
                distributed.Event(STARTED, client=client).wait(BOUND)  # the first worker busy
                options = {**cluster.new_spec["options"], "preload": [WITHOUT_PACKAGE]}
                cluster.new_spec = {**cluster.new_spec, "options": options}
                cluster.scale(2)
                seen.left.wait(BOUND)  # retired once it refused a task
            finally:
                go.set()

        joining = threading.Thread(target=add_a_bad_worker)
        joining.start()
        try:
            address = client.scheduler.address
            code = run("data/truth", "data/pred", "--out", "res", "--scheduler", address, *quiet)
        finally:
            go.set()
            joining.join()
        still = set(cluster.scheduler.workers)
    err = capsys.readouterr().err
    assert code == 0, err
    (bad,) = seen.joined
    assert bad not in still and good <= still  # the bad worker retired, the good one kept
    assert err.count(expected_retired(address, bad)) == 1
    per_image = pd.read_csv(tmp_path / "res" / "per_image.csv")
    # Each pair: one 3x3 square in both images, the same pixels: one match, F1 at 0.5 =
    # 2 x 1 / (1 + 1) = 1; AJI numerator the 9 pixels of the square.
    assert per_image["name"].tolist() == ["a", "b", "c", "d"]
    assert per_image["f1_50"].tolist() == [1.0] * 4
    assert per_image["aji_numerator"].tolist() == [9] * 4


def test_a_worker_the_scheduler_does_not_retire_stops_the_run(tmp_path, monkeypatch):
    """A worker that stays once retired (the scheduler would not: here retire_workers does
    nothing) would refuse every task sent again, for ever: the run stops. Four pairs on two
    workers of one thread: ceil(4 / (4 tasks x 2 threads)) = 1 pair a task, 4 tasks; each
    worker is given 2 (ceil(1 thread x 1.1 saturation)). The good one holds its 2 (until
    GO); the bad one refuses its 2: the first is said and sent again (task 5), to the bad
    one (the good one is full), which refuses it: 0 of 4 pairs done."""
    write_pairs(tmp_path, ["a", "b", "c", "d"])
    monkeypatch.setattr(evaluate_module, "_evaluate_pairs", held_pairs)
    monkeypatch.setattr(distributed.Client, "retire_workers", lambda self, *a, **k: {})
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        good = set(cluster.scheduler.workers)
        options = {**cluster.new_spec["options"], "preload": [WITHOUT_PACKAGE]}
        cluster.new_spec = {**cluster.new_spec, "options": options}
        cluster.scale(2)
        client.wait_for_workers(2, timeout=BOUND)
        (bad,) = set(cluster.scheduler.workers) - good
        try:
            with (
                warnings.catch_warnings(record=True) as caught,
                pytest.raises(ValueError) as raised,
            ):
                warnings.simplefilter("always")
                nse_io.evaluate_files(tmp_path / "truth", tmp_path / "pred", client=client)
        finally:
            distributed.Event(GO, client=client).set()
    address = cluster.scheduler_address
    assert str(raised.value) == (
        f"the workers of the dask scheduler at {address} must run napari-seg-eval "
        f"{__version__}, as this process does: no napari-seg-eval on 1 worker ({bad}); the "
        f"scheduler did not retire {bad}, which refuses every task: the run stopped after 0 "
        f"of 4 pairs; nothing was written. Install napari-seg-eval=={__version__} (with its "
        "dependencies) in every worker's environment and restart the workers."
    )
    said = [str(w.message) for w in caught if "retired" in str(w.message)]
    assert said == [expected_retired(address, bad).removeprefix("napari-seg-eval: ")]


def no_check(client, address, stream) -> None:
    """The command's check of the workers before the run, skipped: the worker of the test is
    met by the run's tasks, as one that joins after the check."""


def test_with_only_workers_without_the_package_the_run_stops(tmp_path, monkeypatch, capsys):
    """No worker of this version left: the run stops (exit 2, nothing written), the worker
    named as the check before the run names it ("as this command does"), and it is left in
    the cluster (nothing changed). Two pairs, none evaluated."""
    monkeypatch.chdir(tmp_path)
    write_pairs(tmp_path / "data", ["a", "b"])
    monkeypatch.setattr(cli, "_checked_workers", no_check)
    with local_cluster(1, preload=[WITHOUT_PACKAGE]) as cluster:
        address = cluster.scheduler_address
        (bad,) = cluster.scheduler.workers
        assert run("data/truth", "data/pred", "--out", "res", "--scheduler", address) == 2
        assert list(cluster.scheduler.workers) == [bad]
    err = capsys.readouterr().err
    assert (
        f"napari-seg-eval evaluate: error: the workers of the dask scheduler at {address} must "
        f"run napari-seg-eval {__version__}, as this command does: no napari-seg-eval on 1 "
        f"worker ({bad}); no worker running it is left: the run stopped after 0 of 2 pairs; "
        f"nothing was written. Install napari-seg-eval=={__version__} (with its dependencies) "
        "in every worker's environment and restart the workers.\n"
    ) in err
    assert "retired" not in err
    assert not (tmp_path / "res").exists()


def test_in_python_the_error_says_this_process(tmp_path):
    """evaluate_files(client=) says what runs this version as "this process" (no command)."""
    write_pairs(tmp_path, ["a"])
    with (
        local_cluster(1, preload=[WITHOUT_PACKAGE]) as cluster,
        distributed.Client(cluster) as client,
    ):
        (bad,) = cluster.scheduler.workers
        with pytest.raises(ValueError) as raised:
            nse_io.evaluate_files(tmp_path / "truth", tmp_path / "pred", client=client)
    assert str(raised.value) == (
        f"the workers of the dask scheduler at {cluster.scheduler_address} must run "
        f"napari-seg-eval {__version__}, as this process does: no napari-seg-eval on 1 worker "
        f"({bad}); no worker running it is left: the run stopped after 0 of 1 pairs; nothing "
        f"was written. Install napari-seg-eval=={__version__} (with its dependencies) in every "
        "worker's environment and restart the workers."
    )


# --- LOW-3: the scheduler lost while the command waits for its first worker -------------------


class Stream(io.StringIO):
    """stderr that calls ``when(text)`` on each write: an event the test acts on."""

    def __init__(self, when) -> None:
        super().__init__()
        self.when = when

    def write(self, text: str) -> int:
        self.when(text)
        return super().write(text)


def test_a_scheduler_lost_while_waiting_for_its_first_worker_is_said_to_be(tmp_path, monkeypatch):
    """It was "cannot ask the workers ... (OSError: Timed out trying to connect ...)"."""
    monkeypatch.chdir(tmp_path)
    write_pairs(tmp_path / "data", ["a"])
    with local_cluster(0) as cluster:
        address = cluster.scheduler_address

        def when(text: str) -> None:
            if "has no workers yet" in text:
                cluster.close()  # the scheduler gone while the command waits

        monkeypatch.setattr(sys, "stderr", Stream(when))
        assert run("data/truth", "data/pred", "--out", "res", "--scheduler", address) == 2
    assert (
        f"napari-seg-eval evaluate: error: the connection to the dask scheduler ({address}) was "
        "lost while waiting for its first worker; nothing was written; start the scheduler "
        "again if it stopped, and rerun.\n"
    ) in sys.stderr.getvalue()
    assert not (tmp_path / "res").exists()


# --- MED-1, LOW-2: the threshold notice once per run ------------------------------------------

# The truth's classes 1..3 (0 background), 8 pixels, and a softmax without a background
# channel (channel c is class c + 1), as in test_notice122. At the threshold 0.5 the pixels
# (0, 1) (top 0.5: not above), (0, 3) (top 0.4) and (1, 2) (top 0.4) are made background:
# 3 of 8, 2 of them ((0, 1) of class 1, (0, 3) of class 2) in the truth's foreground.
TRUTH = np.array([[1, 1, 2, 2], [3, 3, 0, 0]], np.uint8)
PROB = np.array(
    [
        [[0.9, 0.5, 0.1, 0.3], [0.1, 0.2, 0.4, 0.1]],
        [[0.05, 0.3, 0.8, 0.4], [0.1, 0.2, 0.3, 0.1]],
        [[0.05, 0.2, 0.1, 0.3], [0.8, 0.6, 0.3, 0.8]],
    ],
    np.float32,  # 0.5 is exact in float32
)


def test_the_threshold_notice_is_one_line_per_run_with_the_counts_summed(tmp_path, capsys):
    """Maps of different counts gave a line each (and a warning each), naming its file with
    its own counts. a and c: 3 of 8 pixels made background, 2 of them in the foreground; b:
    2 of 8 ((0, 1) and (1, 2)), 1 in the foreground ((0, 1)): 3 + 2 + 3 = 8 of 24 pixels
    (8 / 24 = 33.3 %), 2 + 1 + 2 = 5 of them in the foreground, in one line naming a and 2
    more files."""
    (tmp_path / "truth").mkdir()
    (tmp_path / "prob").mkdir()
    lifted = PROB.copy()
    lifted[:, 0, 3] = [0.1, 0.8, 0.1]  # (0, 3) now class 2: only (0, 1) and (1, 2) made 0
    for name, prob in (("a", PROB), ("b", lifted), ("c", PROB)):
        np.save(tmp_path / "truth" / f"{name}.npy", TRUTH)
        np.save(tmp_path / "prob" / f"{name}.npy", prob)
    said = (
        f"8 of 24 pixels (33.3 %) of {tmp_path / 'prob' / 'a.npy'} (and 2 more files; the "
        "counts are totals over the 3 files) had no "
        "class above the threshold 0.5 and are background (0), 5 of them in the truth's "
        "foreground: for a plain argmax of a softmax without a background channel, use "
    )
    args = ["evaluate", str(tmp_path / "truth"), str(tmp_path / "prob"), "--probability"]
    args += ["--channel-axis", "0", "--kind", "semantic", "--class-labels"]
    with pytest.raises(SystemExit) as ended:
        cli.main([*args, "--out", str(tmp_path / "out")])
    assert ended.value.code == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "no class above" in line]
    assert lines == [f"napari-seg-eval: {said}--threshold 0."]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nse_io.evaluate_files(
            tmp_path / "truth",
            tmp_path / "prob",
            kind="semantic",
            probability=True,
            channel_axis=0,
            binarize_semantic=False,
        )
    told = [str(w.message) for w in caught if "no class above" in str(w.message)]
    assert told == [f"{said}threshold=0."]


def test_notices_of_one_file_are_one_with_their_counts_summed():
    """The planes of one 3-D map (CTC slices) gave a line each, naming the same file with a
    plane's counts: 84 of 320 and 89 of 320 are 173 of 640 (27.03... %, 3 digits: 27 %),
    the file named once."""
    template = evaluate_module._NO_CLASS_ABOVE.format(threshold="0.5")
    notices = [
        read_module.Notice(template, "p/mask.npy", (84, 320, 40)),
        read_module.Notice(template, "p/mask.npy", (89, 320, 50)),
    ]
    [warning] = read_module.file_notices(notices)
    assert str(warning).startswith(
        "173 of 640 pixels (27 %) of p/mask.npy had no class above the threshold 0.5 and are "
        "background (0), 90 of them in the truth's foreground"
    )


def test_a_share_is_never_rounded_to_0_or_100_percent():
    # 1999 / 2000 = 99.95 %, 3 digits: "100"; 1 / 2000 = 0.05 %; 1 / 3 = 33.3 %.
    assert read_module.percent(1999, 2000) == "> 99.9 %"
    assert read_module.percent(1, 2000) == "< 0.1 %"
    assert read_module.percent(2000, 2000) == "100 %"
    assert read_module.percent(0, 2000) == "0 %"
    assert read_module.percent(1, 3) == "33.3 %"
    template = evaluate_module._NO_CLASS_ABOVE.format(threshold="0.5")
    [warning] = read_module.file_notices([read_module.Notice(template, "m.npy", (1999, 2000, 1))])
    assert str(warning).startswith("1999 of 2000 pixels (> 99.9 %) of m.npy had")
