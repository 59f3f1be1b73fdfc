"""The command's stops (cli95): one handler of Ctrl-C and SIGTERM for the whole of
``napari-seg-eval evaluate``, that leaves a caller's own handler alone (the cluster's start
too); a first stop during the cluster's start, and a second during its close, do not cut the
close short; a third stop quits at once (130 / 143), its hidden files removed and a last line
saying what is left; no hidden file left by a stop as it is made; gc.freeze for evaluate
only."""

from __future__ import annotations

import gc
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import results as results_module

STILL = "another Ctrl-C or SIGTERM quits at once."


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def square() -> np.ndarray:
    image = np.zeros((16, 16), np.uint16)
    image[4:10, 4:10] = 1
    return image


@pytest.fixture
def data(tmp_path, monkeypatch):
    """t/img0.npy and p/img0.npy (the same square: the pair matches), with the current
    folder at tmp_path."""
    monkeypatch.chdir(tmp_path)
    for side in ("t", "p"):
        (tmp_path / side).mkdir()
        np.save(tmp_path / side / "img0.npy", square())
    return tmp_path


def entries(folder: Path) -> list[str]:
    """The names in ``folder``, hidden ones too, sorted."""
    return sorted(path.name for path in folder.iterdir())


def stop(number: int) -> None:
    """Send this thread the stop ``number``: Python acts on it before the next line (sent to
    the process with ``os.kill``, another of its threads may take it, and the handler may then
    run later, after the test has put the default one back: a stray KeyboardInterrupt). The
    garbage collector is off meanwhile: a collection's callbacks (hypothesis has one) would
    otherwise run first and take the handler's exception, which Python then ignores."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        signal.raise_signal(number)
    finally:
        if collecting:
            gc.enable()


@pytest.fixture
def cluster(monkeypatch):
    """The cluster --workers starts, made in this process (threads, nothing forked), that
    sends itself the stops listed in ``starting`` as it starts and those in ``closing`` as
    it closes (the first time), and records in ``closed`` each close that ran to its end."""
    distributed = pytest.importorskip("distributed")
    record = SimpleNamespace(starting=[], closing=[], closed=[])

    class Cluster(distributed.LocalCluster):
        def __init__(self, *args, **kwargs):
            for number in record.starting:
                stop(number)
            super().__init__(
                n_workers=1,
                processes=False,
                threads_per_worker=1,
                dashboard_address=None,
                # its HTTP server on a free port: 8787 may be another cluster's
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            )

        def close(self, timeout=None):
            if not record.closed:
                for number in record.closing:
                    stop(number)
            closing = super().close(timeout)
            record.closed.append(True)
            return closing

    monkeypatch.setattr(distributed, "LocalCluster", Cluster)
    return record


def test_the_callers_own_sigterm_handler_gets_a_sigterm_during_the_clusters_start(data, cluster):
    caught = []

    def callers(number, frame):  # a program's own handler, calling main([...]) from Python
        caught.append(number)

    interrupt = signal.getsignal(signal.SIGINT)
    previous = signal.signal(signal.SIGTERM, callers)
    try:
        cluster.starting = [signal.SIGTERM]
        code = run("t", "p", "--out", "res", "--quiet", "--workers", "1")
        after = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert caught == [signal.SIGTERM]  # the caller's, not swallowed into a stop of the run
    assert code == 0 and (data / "res" / "summary.csv").exists()  # the caller's to act on
    assert after == (callers, interrupt)  # exactly the caller's handlers


def test_a_stop_during_the_start_then_one_during_the_close_leave_the_close_whole(
    data, cluster, capsys
):
    cluster.starting = [signal.SIGINT]  # Ctrl-C while the workers start...
    cluster.closing = [signal.SIGINT]  # ...and again while the cluster closes
    assert run("t", "p", "--out", "res", "--workers", "1") == 130  # 128 + SIGINT's 2
    assert cluster.closed[:1] == [True]  # the close ran to its end
    err = capsys.readouterr().err
    assert err.count(f"napari-seg-eval: still closing the workers: {STILL}\n") == 1
    assert err.rstrip().endswith("interrupted: nothing written.")
    assert entries(data) == ["p", "t"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class Quit(BaseException):
    """os._exit, in a test: the process goes on."""


@pytest.mark.parametrize(
    ("stops", "code"),
    [
        ((signal.SIGINT, signal.SIGINT, signal.SIGINT), 130),  # 128 + SIGINT's 2
        ((signal.SIGTERM, signal.SIGINT, signal.SIGTERM), 143),  # the quitting one's: 128 + 15
    ],
)
def test_a_third_stop_while_cleaning_up_quits_at_once(data, monkeypatch, capsys, stops, code):
    import napari_seg_eval.report

    first, second, third = stops
    quit_with = []

    def write_report(run, path):  # the report being written, when the first stop comes
        stop(first)

    def hung(path, ignore_errors=False):  # removing the hidden folder hangs: two stops more
        stop(second)
        stop(third)

    def exit_now(status):  # what is left as the process would end
        quit_with.append((status, entries(data)))
        raise Quit

    monkeypatch.setattr(napari_seg_eval.report, "write_report", write_report)
    monkeypatch.setattr(results_module, "shutil", SimpleNamespace(rmtree=hung))
    monkeypatch.setattr(os, "_exit", exit_now)
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    argv = ["napari-seg-eval", "evaluate", "t", "p", "--out", "res", "--report", "r.html"]
    monkeypatch.setattr(sys, "argv", [*argv, "--quiet"])
    with pytest.raises(Quit):
        cli.main()  # as the console script calls it: the process is the command's
    # The hidden results folder and the report's hidden file removed before the end.
    assert quit_with == [(code, ["p", "t"])]
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if line] == [
        f"napari-seg-eval: still removing the unfinished results: {STILL}",
        "napari-seg-eval: quit at once: nothing left behind.",
    ]


def test_a_third_stop_from_python_raises_system_exit_and_leaves_the_process(
    data, monkeypatch, capsys
):
    """main([...]) called from Python (a notebook's kernel): the third stop ends the command
    with SystemExit(130), never the caller's process (os._exit is not called)."""
    import napari_seg_eval.report

    def write_report(run, path):
        stop(signal.SIGINT)

    def hung(path, ignore_errors=False):
        stop(signal.SIGINT)
        stop(signal.SIGINT)

    def exit_now(status):
        raise AssertionError("os._exit called from main([...])")

    monkeypatch.setattr(napari_seg_eval.report, "write_report", write_report)
    monkeypatch.setattr(results_module, "shutil", SimpleNamespace(rmtree=hung))
    monkeypatch.setattr(os, "_exit", exit_now)
    with pytest.raises(SystemExit) as ended:
        cli.main(["evaluate", "t", "p", "--out", "res", "--report", "r.html", "--quiet"])
    assert ended.value.code == 130  # 128 + SIGINT's 2
    assert "napari-seg-eval: quit at once: nothing left behind." in capsys.readouterr().err
    assert entries(data) == ["p", "t"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers back


def test_a_stop_as_the_reports_hidden_file_is_made_leaves_none(data, monkeypatch, capsys):
    made = results_module.hidden_beside

    def hidden_beside(path):  # Ctrl-C once the file is made, before it is returned
        hidden = made(path)
        stop(signal.SIGINT)
        return hidden

    monkeypatch.setattr(results_module, "hidden_beside", hidden_beside)
    assert run("t", "p", "--out", "res", "--report", "r.html", "--quiet") == 130
    assert "interrupted: nothing written." in capsys.readouterr().err
    assert entries(data) == ["p", "t"]  # no .r.html.xxxx, no res


def test_only_evaluate_freezes_the_garbage_collector_as_the_console_script_ends(
    tmp_path, monkeypatch
):
    frozen = []
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(gc.get_freeze_count()))
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.setattr(sys, "argv", ["napari-seg-eval", "sample", str(tmp_path / "s")])
    with pytest.raises(SystemExit) as stopped:
        cli.main()  # as the console script calls it
    assert stopped.value.code == 0 and (tmp_path / "s" / "truth").is_dir()
    assert frozen == []  # nothing to win: the sample's few objects


def test_a_third_sigterm_ends_a_command_whose_cluster_does_not_close(data):
    """A real run with --workers 1 whose cluster's close hangs: SIGTERM stops it, a second
    says it is still closing the workers, a third ends it with 143, its worker killed."""
    psutil = pytest.importorskip("psutil")
    pytest.importorskip("distributed")
    code = textwrap.dedent(
        """
        import os, sys, threading
        import distributed
        from napari_seg_eval import __main__ as cli

        def ready(said=""):
            print("READY", said, file=sys.stderr, flush=True)
            threading.Event().wait()  # until a stop ends the wait, or the process

        client = cli._client
        def _client(args, stack):
            made = client(args, stack)
            ready(" ".join(str(pid) for pid in made.run(os.getpid).values()))
        cli._client = _client
        distributed.LocalCluster.close = lambda self, timeout=None: ready("closing")
        sys.argv = ["napari-seg-eval", "evaluate", "t", "p", "--out", "res", "--workers", "1"]
        cli.main()  # as the console script calls it: the process is the command's
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=data, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()  # its stderr's lines, read as they come
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stderr], daemon=True
    ).start()

    def line_after(start: str) -> str:
        """Its first line from now on that starts with ``start`` (a bound against a hang)."""
        while not (line := lines.get(timeout=60)).startswith(start):
            pass
        return line.rstrip("\n")

    try:
        workers = [psutil.Process(int(pid)) for pid in line_after("READY").split()[1:]]
        assert len(workers) == 1
        process.send_signal(signal.SIGTERM)  # stops the run: the cluster closes, and hangs
        assert line_after("READY") == "READY closing"
        process.send_signal(signal.SIGTERM)
        said = line_after("napari-seg-eval: still")
        assert said == f"napari-seg-eval: still closing the workers: {STILL}"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 143  # 128 + SIGTERM's 15
        last = line_after("napari-seg-eval: quit")
    finally:
        if process.poll() is None:  # still running, after a failure above: ended here
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait()
    assert last == "napari-seg-eval: quit at once: 1 worker process killed; nothing left behind."
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert alive == []
    assert entries(data) == ["p", "t"]
