"""What the command line never does: delete its inputs or a user's files with --overwrite,
crash or hang on a --scheduler that is not a dask scheduler, list the files before refusing
an option."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import evaluate_files, write_results
from napari_seg_eval.io.results import RESULT_FILE


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


@pytest.fixture
def data(tmp_path, monkeypatch):
    """data/truth/img{i}_masks.npy and data/pred/img{i}_cp_masks.npy (two pairs, one square
    each), with the current folder at tmp_path."""
    monkeypatch.chdir(tmp_path)
    for side, suffix in (("truth", "_masks"), ("pred", "_cp_masks")):
        (tmp_path / "data" / side).mkdir(parents=True)
        for i in range(2):
            image = np.zeros((8, 8), np.uint16)
            image[2:5, 2:5] = 1
            np.save(tmp_path / "data" / side / f"img{i}{suffix}.npy", image)
    return tmp_path / "data"


ARGS = ("data/truth", "data/pred", "--truth-suffix", "_masks", "--prediction-suffix", "_cp_masks")


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path: content)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# --- --overwrite ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("out", "relation"),
    [("data", "holds the input data/truth"), ("data/pred", "is the input data/pred")],
)
def test_overwrite_never_deletes_the_input_folders(data, capsys, out, relation):
    before = files_under(data)
    assert len(before) == 4  # 2 truth + 2 prediction files
    assert run(*ARGS, "--out", out, "--overwrite") == 2
    err = capsys.readouterr().err
    assert f"error: --out '{out}' {relation}: the results would be written over the inputs" in err
    assert "pair(s) of files" not in err  # refused before the files are listed
    assert files_under(data) == before


def test_overwrite_from_python_never_deletes_the_inputs(data):
    result = evaluate_files(
        data / "truth", data / "pred", truth_suffix="_masks", prediction_suffix="_cp_masks"
    )
    before = files_under(data)
    # The run's inputs are its files: the first each folder holds is named.
    for folder, first in (
        (data / "pred", "pred/img0_cp_masks.npy"),
        (data, "truth/img0_masks.npy"),
    ):
        refusal = re.escape(f"'{folder}' holds the input {data / first}:")
        with pytest.raises(FileExistsError, match=refusal):
            result.write(folder, overwrite=True)
        with pytest.raises(FileExistsError, match=refusal):
            write_results(result, folder, overwrite=True)
    assert files_under(data) == before


def test_overwrite_replaces_a_result_folder_holding_nothing_else(data, capsys):
    assert run(*ARGS, "--out", "res", "--quiet") == 0
    results = files_under(data.parent / "res")
    assert "per_image.csv" in results and "settings.json" in results
    # A file of one's own in it: refused, naming it; nothing deleted.
    (data.parent / "res" / "my_notes.txt").write_text("keep me")
    (data.parent / "res" / "plots").mkdir()
    assert run(*ARGS, "--out", "res", "--overwrite", "--quiet") == 2
    err = capsys.readouterr().err
    assert (
        "error: --out 'res' holds 2 file(s) or folder(s) that are not results (my_notes.txt, "
        "plots/); --overwrite replaces a result folder only, deleting nothing else" in err
    )
    assert files_under(data.parent / "res") == {**results, "my_notes.txt": b"keep me"}
    # Results only: replaced.
    (data.parent / "res" / "my_notes.txt").unlink()
    (data.parent / "res" / "plots").rmdir()
    (data.parent / "res" / "summary.csv").write_text("old")
    assert run(*ARGS, "--out", "res", "--overwrite", "--quiet") == 0
    assert (data.parent / "res" / "summary.csv").read_text() != "old"


def test_the_same_command_with_its_report_in_out_runs_again(data, capsys):
    """Regression (review36): `--report res/run.html` writes into --out; the same command
    run again with --overwrite was refused ("run.html is not a result"). Another html file
    there is still someone else's."""
    args = (*ARGS, "--out", "res", "--report", "res/run.html", "--overwrite", "--quiet")
    assert run(*args) == 0
    first = (data.parent / "res" / "run.html").read_text()
    assert run(*args) == 0, capsys.readouterr().err
    assert (data.parent / "res" / "run.html").read_text().startswith(first[:15])
    assert run(*ARGS, "--out", "res", "--report", "res/other.html", "--overwrite") == 2
    assert "not results (run.html)" in capsys.readouterr().err
    assert (data.parent / "res" / "run.html").exists()


def test_overwrite_from_python_keeps_a_users_files(data):
    result = evaluate_files(
        data / "truth", data / "pred", truth_suffix="_masks", prediction_suffix="_cp_masks"
    )
    out = result.write(data.parent / "res")
    (out / "my_notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=r"\(my_notes.txt\); overwrite=True replaces"):
        result.write(out, overwrite=True)
    assert (out / "my_notes.txt").read_text() == "keep me"


def test_every_file_a_run_writes_is_a_result_file(tmp_path, monkeypatch):
    """What --overwrite may replace (RESULT_FILE) covers every file a run writes: instance,
    semantic and boundary metrics with classes, the HTML report, the ctc and coco presets."""
    monkeypatch.chdir(tmp_path)
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    true = np.zeros((8, 8), np.uint16)
    true[1:4, 1:4], true[5:7, 5:7] = 1, 2
    for name in ("a", "b"):
        np.save(truth / f"{name}.npy", true)
        np.save(pred / f"{name}.npy", true)
        np.save(truth / f"{name}_classes.npy", (true > 0).astype(np.uint8))
        np.save(pred / f"{name}_classes.npy", (true > 0).astype(np.uint8))
    classes = ("--truth-classes-suffix", "_classes", "--prediction-classes-suffix", "_classes")
    runs = {
        "full": ("--kind", "all", "--boundary", *classes, "--report"),
        "ctc": ("--preset", "ctc"),
    }
    for name, options in runs.items():
        assert run(str(truth), str(pred), "--out", name, "--quiet", *options) == 0
    probabilities = tmp_path / "prob"
    probabilities.mkdir()
    for name in ("a", "b"):
        np.save(probabilities / f"{name}.npy", (true > 0).astype(np.float32) * 0.9)
    options = ("--preset", "coco", "--probability")
    assert run(str(truth), str(probabilities), "--out", "coco", "--quiet", *options) == 0
    written = {path.name for name in (*runs, "coco") for path in (tmp_path / name).iterdir()}
    assert {"instance_per_class_pooled.csv", "boundary_per_class.csv", "report.html"} <= written
    assert {"ctc_pooled.csv", "coco_pooled.csv", "semantic_pooled.csv"} <= written
    assert [name for name in sorted(written) if not RESULT_FILE.fullmatch(name)] == []


# --- the result folder's name ----------------------------------------------------------------


def test_the_current_folder_as_out_is_refused_before_listing(data, capsys):
    assert run(*ARGS, "--out", ".", "--overwrite") == 2
    err = capsys.readouterr().err
    assert "error: --out '.' is the current folder: name a new folder" in err
    assert "pair(s) of files" not in err and "empty name" not in err


def test_the_current_folder_is_refused_from_python(tmp_path, monkeypatch):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    np.save(truth / "a.npy", np.eye(4, dtype=np.uint8))
    np.save(pred / "a.npy", np.eye(4, dtype=np.uint8))
    result = evaluate_files(truth, pred)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    with pytest.raises(FileExistsError, match=r"'\.' is the current folder"):
        result.write(".")
    with pytest.raises(FileExistsError, match=r"'\.\.' holds the current folder"):
        result.write("..", overwrite=True)
    assert list(empty.iterdir()) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty", "pred", "truth"]


# --- --scheduler -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("127.0.0.1:notaport", "is not HOST:PORT with a port number from 1 to 65535"),
        ("tcp://127.0.0.1", "is not HOST:PORT with a port number from 1 to 65535"),
        ("http://127.0.0.1:8787/status", "is a web address (the dashboard's?)"),
        ("foo://127.0.0.1:8786", "has an unknown address scheme 'foo'"),
    ],
)
def test_a_scheduler_address_is_checked_before_listing(data, capsys, address, message):
    pytest.importorskip("distributed")
    assert run(*ARGS, "--out", "res", "--scheduler", address) == 2
    err = capsys.readouterr().err
    assert f"error: --scheduler {address!r} {message}" in err
    assert "e.g. tcp://10.0.0.5:8786" in err
    assert "pair(s) of files" not in err
    assert not (data.parent / "res").exists()


def test_workers_without_distributed_are_refused_before_listing(data, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "distributed.comm.addressing", None)  # not installed
    assert run(*ARGS, "--out", "res", "--workers", "2") == 2
    err = capsys.readouterr().err
    assert "error: --workers and --scheduler need dask.distributed: pip install" in err
    assert "pair(s) of files" not in err


@contextlib.contextmanager
def server(greeting: bytes):
    """A local TCP server that sends ``greeting`` to each connection it accepts (nothing if
    empty) and never reads or writes anything else; yields its address."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            accepted.append(connection)
            if greeting:
                connection.sendall(greeting)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join()
        for connection in accepted:
            connection.close()


def test_a_server_speaking_another_protocol_is_a_clear_error(data, capsys):
    pytest.importorskip("distributed")
    # An SSH server's first line, which dask read as the length of a 2.82 EiB message.
    with server(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n") as address:
        assert run(*ARGS, "--out", "res", "--scheduler", address) == 2
    err = capsys.readouterr().err
    assert f"error: the server at {address} is not a dask scheduler: its answer is not " in err
    assert "Traceback" not in err and "EiB" not in err
    assert not (data.parent / "res").exists()


def test_tls_without_certificates_cannot_reach_rather_than_not_a_scheduler(monkeypatch):
    """Regression (review36): a tls:// address was tried without dask's TLS configuration,
    and the connector's complaint was called "not a dask scheduler". Connections now carry
    dask's configured security (a TLS scheduler with certificates in dask's config is
    reached); without certificates it is said that it cannot be reached, and why."""
    pytest.importorskip("distributed")
    dask = pytest.importorskip("dask")
    no_certificates = dask.config.set({"distributed.comm.tls.ca-file": None})
    with no_certificates, pytest.raises(ValueError) as raised:
        cli._reached_scheduler("tls://127.0.0.1:1")
    said = str(raised.value)
    assert said.startswith("cannot reach the dask scheduler at tls://127.0.0.1:1 within")
    assert "TLS" in said and "not a dask scheduler" not in said


def test_a_server_that_never_answers_stops_the_run(data, monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr(cli, "CONNECT_TIMEOUT", 0.2)
    # Accepts and says nothing, as the dashboard's HTTP port does: dask waited forever.
    with server(b"") as address:
        assert run(*ARGS, "--out", "res", "--scheduler", address) == 2
    err = capsys.readouterr().err
    assert (
        f"error: cannot reach the dask scheduler at {address} within 0.2 s: it accepted the "
        "connection and did not answer" in err
    )
    assert not (data.parent / "res").exists()


# --- Ctrl-C ----------------------------------------------------------------------------------


def test_ctrl_c_silences_the_logs_of_the_closing_cluster(data, monkeypatch, capsys):
    """After Ctrl-C, what the cluster logs while it closes (a scheduler removing its workers)
    is not shown; logging is as before once the command returns."""
    import napari_seg_eval.io

    enabled_while_closing = []

    @contextlib.contextmanager
    def cluster():
        try:
            yield
        finally:  # closing
            logger = logging.getLogger("distributed.scheduler")
            enabled_while_closing.append(logger.isEnabledFor(logging.WARNING))

    def client(args, stack):
        stack.enter_context(cluster())
        return None

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_client", client)
    monkeypatch.setattr(napari_seg_eval.io, "evaluate_files", interrupted)
    before = logging.root.manager.disable
    assert run(*ARGS, "--out", "res") == 130
    assert "interrupted: nothing written." in capsys.readouterr().err
    assert enabled_while_closing == [False]
    assert logging.root.manager.disable == before
    assert logging.getLogger("distributed.scheduler").isEnabledFor(logging.WARNING)


@pytest.mark.parametrize(
    ("options", "silenced"),
    [(("--workers", "1"), True), (("--scheduler", "tcp://127.0.0.1:8786"), False)],
)
def test_ctrl_c_silences_the_workers_of_its_own_cluster_only(
    data, monkeypatch, capsys, options, silenced
):
    """Ctrl-C sent to the command alone: the workers it started (--workers) are told to log
    nothing more before the cluster closes; a cluster of one's own (--scheduler) is left as
    it is."""
    pytest.importorskip("distributed")
    import napari_seg_eval.io

    told = []

    class Client:
        def run(self, function, *args):
            told.append((function, *args))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_client", lambda args, stack: Client())
    monkeypatch.setattr(napari_seg_eval.io, "evaluate_files", interrupted)
    assert run(*ARGS, "--out", "res", *options) == 130
    assert told == ([(logging.disable, logging.CRITICAL)] if silenced else [])


def test_a_worker_logs_nothing_after_ctrl_c(tmp_path):
    """Ctrl-C in a terminal reaches the workers too (the foreground process group): a worker
    forked by --workers holds it, and logs nothing from then on (what it would log is the
    cluster closing under it)."""
    pytest.importorskip("distributed")
    import os
    import signal
    from argparse import Namespace

    def pressed() -> int:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, in the worker
        return logging.root.manager.disable

    before = logging.root.manager.disable
    with contextlib.ExitStack() as stack:
        client = cli._client(Namespace(workers=1, scheduler=None), stack)
        held = client.run(lambda: signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        if any(held.values()):
            pytest.skip("workers are not forked here: they do not hold Ctrl-C")
        assert list(client.run(pressed).values()) == [logging.CRITICAL]
    assert logging.root.manager.disable == before  # this process: as it was
