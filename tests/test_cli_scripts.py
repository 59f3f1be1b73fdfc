"""The command line as a core facility's scripts run it (trial84): an --out or --report that
cannot be written is refused before any work (exit 2, one line); the result folder and its
report land together or not at all, also on SIGTERM (143); a symbolic link as --out is
written through; hidden files, subfolders, broken links, empty files and file names starting
with "-" are said plainly."""

from __future__ import annotations

import errno
import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from napari_seg_eval import __main__ as cli
from napari_seg_eval.io import results as results_module


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", *argv])
    return exit_info.value.code


def square(offset: int = 0) -> np.ndarray:
    """An 8 x 8 image with one 3 x 3 square (id 1), shifted right by ``offset``."""
    image = np.zeros((8, 8), np.uint16)
    image[2:5, 2 + offset : 5 + offset] = 1
    return image


@pytest.fixture
def data(tmp_path, monkeypatch):
    """t/img0.npy, t/img1.npy and the same in p/ (identical squares: every pair matches),
    with the current folder at tmp_path."""
    monkeypatch.chdir(tmp_path)
    for side in ("t", "p"):
        (tmp_path / side).mkdir()
        for i in range(2):
            np.save(tmp_path / side / f"img{i}.npy", square())
    return tmp_path


def entries(folder: Path) -> list[str]:
    """The names in ``folder``, hidden ones too, sorted."""
    return sorted(path.name for path in folder.iterdir())


def never_evaluated(monkeypatch) -> None:
    """Make evaluating any pair an error: a refusal must come before the work."""
    from napari_seg_eval.io import evaluate as evaluate_module

    def evaluated(*args, **kwargs):
        raise AssertionError("the files were evaluated before the refusal")

    monkeypatch.setattr(evaluate_module, "run_pairs", evaluated)


# --- F-c: an --out or --report that cannot be written ----------------------------------


@pytest.mark.parametrize("option", ["--out", "--report"])
def test_a_place_under_a_file_is_refused_before_any_work(data, monkeypatch, capsys, option):
    (data / "notes.txt").write_text("mine")
    never_evaluated(monkeypatch)
    args = ["--out", "notes.txt/res"] if option == "--out" else ["--report", "notes.txt/r.html"]
    if option == "--report":
        args = ["--out", "res", *args]
    assert run("t", "p", *args, "--quiet") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err  # one line
    assert f"{option} 'notes.txt/" in err and "notes.txt' is a file, not a folder" in err
    assert entries(data) == ["notes.txt", "p", "t"]  # nothing written, no result folder


@pytest.mark.parametrize("option", ["--out", "--report"])
def test_a_parent_where_nothing_can_be_made_is_refused_before_any_work(
    data, monkeypatch, capsys, option
):
    # As root, chmod -w does not bite: the folder "locked" refuses every new entry instead,
    # as a folder of another user or a read-only file system does.
    (data / "locked").mkdir()
    make = results_module.tempfile.mkdtemp

    def mkdtemp(*args, dir=None, **kwargs):
        if Path(dir).name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return make(*args, dir=dir, **kwargs)

    monkeypatch.setattr(results_module.tempfile, "mkdtemp", mkdtemp)
    never_evaluated(monkeypatch)
    where = ["--out", "locked/res"] if option == "--out" else ["--report", "locked/r.html"]
    if option == "--report":
        where = ["--out", "res", *where]
    assert run("t", "p", *where, "--quiet") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{option} 'locked/" in err and "cannot be written" in err
    assert "Permission denied" in err and str(data / "locked") in err
    assert entries(data) == ["locked", "p", "t"] and entries(data / "locked") == []


def test_an_error_while_writing_exits_2_in_one_line_and_writes_nothing(data, monkeypatch, capsys):
    write = results_module._write_into

    def full(result, folder, command):
        write(result, folder, command)
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "summary.csv"))

    monkeypatch.setattr(results_module, "_write_into", full)
    assert run("t", "p", "--out", "deep/res", "--quiet") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "writing the results to deep/res failed (No space left on device" in err
    assert "nothing written" in err
    assert entries(data) == ["p", "t"]  # no result folder, no hidden one, no "deep" made


# --- F-l: the result folder and its report land together ------------------------------


def stop_in_the_report(monkeypatch, stop: type[BaseException] = KeyboardInterrupt) -> None:
    """Ctrl-C (``stop``) as the HTML report is being written."""
    import napari_seg_eval.report

    def write_report(item, path):
        Path(path).write_text("<html>half")
        raise stop

    monkeypatch.setattr(napari_seg_eval.report, "write_report", write_report)


@pytest.mark.parametrize("report", [[], ["r.html"], ["reports/r.html"]])
def test_ctrl_c_during_the_report_writes_nothing(data, monkeypatch, capsys, report):
    stop_in_the_report(monkeypatch)
    assert run("t", "p", "--out", "res", "--report", *report, "--quiet") == 130
    assert "interrupted: nothing written." in capsys.readouterr().err
    assert entries(data) == ["p", "t"]  # no res (old: res without report.html), no report


@pytest.mark.parametrize("report", [[], ["reports/r.html"]])
def test_the_same_command_runs_again_after_ctrl_c_during_the_report(data, monkeypatch, report):
    with monkeypatch.context() as patched:
        stop_in_the_report(patched)
        assert run("t", "p", "--out", "res", "--report", *report, "--quiet") == 130
    assert run("t", "p", "--out", "res", "--report", *report, "--quiet") == 0  # old: 2
    if report:
        assert entries(data / "reports") == ["r.html"]  # no hidden file left beside it
    html = (data / (report[0] if report else "res/report.html")).read_text()
    assert "Run res" in html and ".res." not in html  # the folder's name, not the hidden one's
    assert entries(data) == sorted(["p", "res", "t", *(["reports"] if report else [])])


def test_ctrl_c_during_the_report_keeps_the_results_it_would_replace(data, monkeypatch):
    assert run("t", "p", "--out", "res", "--report", "--quiet") == 0
    before = {name: (data / "res" / name).read_bytes() for name in entries(data / "res")}
    stop_in_the_report(monkeypatch)
    assert run("t", "p", "--out", "res", "--report", "--overwrite", "--quiet") == 130
    after = {name: (data / "res" / name).read_bytes() for name in entries(data / "res")}
    assert after == before
    assert entries(data) == ["p", "res", "t"]  # no hidden staging or .old folder


# --- F-d: --out a symbolic link to a folder --------------------------------------------


def test_out_a_link_to_a_result_folder_is_written_through_with_overwrite(data, capsys):
    assert run("t", "p", "--out", "real", "--quiet") == 0
    os.symlink("real", data / "link")
    np.save(data / "p" / "img1.npy", square(offset=2))  # new results: img1 no longer matches
    assert run("t", "p", "--out", "link", "--overwrite", "--kind", "all", "--quiet") == 0
    assert (data / "link").is_symlink() and os.readlink(data / "link") == "real"
    assert "semantic_pooled.csv" in entries(data / "real")  # the new results, in the folder
    # img1: the square shifted by 2 of its 3 columns overlaps 3 of 9 pixels: IoU 3/15 < 0.5.
    f1 = pd.read_csv(data / "real" / "per_image.csv")["f1_50"].tolist()
    assert f1 == [1.0, 0.0]
    assert entries(data) == ["link", "p", "real", "t"]  # no hidden .link.XXXX.old left
    (data / "real" / "notes.txt").write_text("mine")
    assert run("t", "p", "--out", "link", "--overwrite", "--quiet") == 2  # a user's file
    assert "notes.txt" in capsys.readouterr().err
    assert (data / "real" / "notes.txt").read_text() == "mine"


def test_out_a_link_to_an_empty_folder_is_written_through(data):
    (data / "empty").mkdir()
    os.symlink("empty", data / "link")
    assert run("t", "p", "--out", "link", "--report", "--quiet") == 0
    assert (data / "link").is_symlink()
    assert {"per_image.csv", "report.html"} <= set(entries(data / "empty"))
    assert entries(data) == ["empty", "link", "p", "t"]


def test_out_a_broken_link_is_refused(data, monkeypatch, capsys):
    os.symlink("nowhere", data / "link")
    never_evaluated(monkeypatch)
    assert run("t", "p", "--out", "link", "--quiet") == 2
    assert "--out 'link' is a broken symbolic link to 'nowhere'" in capsys.readouterr().err
    assert os.readlink(data / "link") == "nowhere"


# --- F-f: SIGTERM ------------------------------------------------------------------------


def command_in_a_process(tmp_path: Path, argv: list[str], block: str) -> subprocess.Popen:
    """``napari-seg-eval evaluate argv`` in a new process that says "READY" on stderr and
    waits for a signal when it reaches ``block``: "write" (the results in their hidden
    folder, not yet in place), "report" (writing the report) or "cluster" (the workers
    started; their process ids said after READY)."""
    code = textwrap.dedent(
        f"""
        import os, sys, threading
        from napari_seg_eval import __main__ as cli
        from napari_seg_eval.io import results

        def ready(said=""):
            print("READY", said, file=sys.stderr, flush=True)
            threading.Event().wait()  # until a signal stops the command

        block = {block!r}
        if block == "write":
            write = results._write_into
            def _write_into(result, folder, command):
                write(result, folder, command)
                ready()
            results._write_into = _write_into
        elif block == "report":
            import napari_seg_eval.report
            napari_seg_eval.report.write_report = lambda item, path: ready()
        else:
            client = cli._client
            def _client(args, stack):
                made = client(args, stack)
                ready(" ".join(str(pid) for pid in made.run(os.getpid).values()))
                return made
            cli._client = _client
        cli.main(["evaluate", *{argv!r}])
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )


def wait_ready(process: subprocess.Popen) -> list[str]:
    """The words after READY, once the process has said it (its earlier lines skipped)."""
    for line in process.stderr:
        if line.startswith("READY"):
            return line.split()[1:]
    raise AssertionError(f"the process ended without READY: {process.wait()}")


@pytest.mark.parametrize("block", ["write", "report"])
def test_sigterm_while_writing_stops_cleanly_and_writes_nothing(data, block):
    assert run("t", "p", "--out", "res", "--quiet") == 0  # results to replace
    before = {name: (data / "res" / name).read_bytes() for name in entries(data / "res")}
    argv = ["t", "p", "--out", "res", "--overwrite", "--report", "--quiet"]
    with command_in_a_process(data, argv, block) as process:  # its pipe closed after
        wait_ready(process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 143  # 128 + 15
        assert "terminated: nothing written." in process.stderr.read()
    assert entries(data) == ["p", "res", "t"]  # no hidden staging or .old folder
    after = {name: (data / "res" / name).read_bytes() for name in entries(data / "res")}
    assert after == before  # the previous results, untouched


def test_sigterm_with_workers_closes_the_cluster(data):
    psutil = pytest.importorskip("psutil")
    pytest.importorskip("distributed")
    argv = ["t", "p", "--out", "res", "--workers", "2"]
    with command_in_a_process(data, argv, "cluster") as process:  # its pipe closed after
        workers = [psutil.Process(int(pid)) for pid in wait_ready(process)]
        assert len(workers) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 143
        assert "terminated: nothing written." in process.stderr.read()
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert alive == []
    assert entries(data) == ["p", "t"]


def test_stops_are_caught_while_the_command_runs_and_set_back_after():
    before = signal.getsignal(signal.SIGTERM)
    with cli._stops_caught() as stops:
        assert signal.getsignal(signal.SIGTERM) is stops
        assert signal.getsignal(signal.SIGINT) is stops
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_stop_ignored_by_the_caller_stays_ignored():
    # nohup and a script's background job (&) start the command with signals ignored.
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with cli._stops_caught():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- F-a: hidden files ------------------------------------------------------------------


def test_hidden_files_are_left_out_and_said(data, capsys):
    for side in ("t", "p"):
        (data / side / "._img0.npy").write_bytes(b"\0\5\26\7Mac resource fork")
    np.save(data / "t" / ".hidden.npy", square())
    assert run("t", "p", "--out", "res") == 0  # old: 1, the ._img0 pair failed
    err = capsys.readouterr().err
    assert "2 pair(s) of files." in err
    assert "3 hidden file(s) left out" in err  # ._img0.npy on both sides, .hidden.npy
    per_image = pd.read_csv(data / "res" / "per_image.csv")
    assert per_image["name"].tolist() == ["img0", "img1"]
    ignored = json.loads((data / "res" / "settings.json").read_text())["ignored"]
    assert sorted(ignored) == sorted(
        str(data / side / name)
        for side, name in (("t", "._img0.npy"), ("p", "._img0.npy"), ("t", ".hidden.npy"))
    )


# --- F-g: every option checked up front, named as typed ---------------------------------


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--ignore-label", "-1"], "--ignore-label must be >= 0"),
        (["--exclude-border", "-1"], "--exclude-border must be >= 0"),
        (["--min-size", "-5"], "--min-size must be >= 0"),
        (["--threshold", "2"], "--threshold must be in [0, 1]"),
        (["--confidence-interval", "2"], "--confidence-interval must be in (0, 1)"),
        (["--iou-thresholds", "0.5,nan"], "--iou-thresholds: IoU thresholds '0.5,nan' must be"),
        (["--boundary", "--tolerance", "nan"], "--tolerance must be a finite number"),
    ],
)
def test_a_bad_number_is_refused_before_listing_naming_the_option(
    data, monkeypatch, capsys, option, said
):
    never_evaluated(monkeypatch)
    assert run("t", "p", "--out", "res", *option) == 2
    err = capsys.readouterr().err
    assert err == f"napari-seg-eval evaluate: error: {err.split('error: ', 1)[1]}"  # one line
    assert said in err and "pair(s)" not in err  # before the files are listed
    assert entries(data) == ["p", "t"]


# --- F-i: subfolders --------------------------------------------------------------------


def test_subfolders_are_said_not_searched(data, capsys):
    for side in ("t", "p"):
        (data / side / "plate1").mkdir()
        np.save(data / side / "plate1" / "img9.npy", square())
    (data / "t" / ".git").mkdir()  # hidden: not said
    assert run("t", "p", "--out", "res") == 0
    assert "2 subfolder(s) not searched: t/plate1, p/plate1." in capsys.readouterr().err


def test_folders_of_only_subfolders_say_subfolders_are_not_searched(tmp_path, capsys):
    for side in ("t", "p"):
        (tmp_path / side / "plate1").mkdir(parents=True)
        np.save(tmp_path / side / "plate1" / "a.npy", square())
    out = tmp_path / "res"
    assert run(str(tmp_path / "t"), str(tmp_path / "p"), "--out", str(out), "--quiet") == 2
    err = capsys.readouterr().err
    assert "nothing to evaluate: no file has a partner; subfolders are not searched" in err
    assert f"e.g. {tmp_path / 't' / 'plate1'}" in err
    assert not out.exists()


# --- F-j: symbolic links ----------------------------------------------------------------


def test_a_broken_link_is_said_as_one(data, capsys):
    os.remove(data / "p" / "img1.npy")
    os.symlink(data / "gone.npy", data / "p" / "img1.npy")
    assert run("t", "p", "--out", "res", "--quiet") == 1
    err = capsys.readouterr().err
    assert f"broken symbolic link to {data / 'gone.npy'}" in err
    assert "no such file" not in err


def test_a_missing_input_that_is_a_broken_link_is_said_as_one(data, capsys):
    os.symlink("nowhere", data / "t2")
    assert run("t2", "p", "--out", "res", "--quiet") == 2
    assert "ground truth: t2 is a broken symbolic link to nowhere." in capsys.readouterr().err


def test_linked_files_are_written_as_the_paths_given(data):
    (data / "farm" / "t").mkdir(parents=True)
    (data / "farm" / "p").mkdir()
    for side in ("t", "p"):
        os.symlink(data / side / "img0.npy", data / "farm" / side / "sample42.npy")
    assert run("farm/t", "farm/p", "--out", "res", "--quiet") == 0
    given = {side: str(data / "farm" / side / "sample42.npy") for side in ("t", "p")}
    row = pd.read_csv(data / "res" / "per_image.csv").iloc[0]
    assert (row["name"], row["truth"], row["prediction"]) == ("sample42", given["t"], given["p"])
    pair = json.loads((data / "res" / "settings.json").read_text())["pairs"][0]
    assert (pair["truth"], pair["prediction"]) == (given["t"], given["p"])


# --- F-k: small ones --------------------------------------------------------------------


def test_a_file_named_with_a_leading_dash_gets_the_way_to_give_it(data, capsys):
    np.save(data / "-dash.npy", square())
    with pytest.raises(SystemExit) as stopped:
        cli.main(["evaluate", "-dash.npy", "p/img0.npy", "--out", "res"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "'-dash.npy' starts with '-' and was read as an option" in err
    assert "./-dash.npy" in err and "--" in err
    assert run("./-dash.npy", "p/img0.npy", "--out", "res", "--quiet") == 0  # as it says


def test_an_empty_file_is_said_empty(data, capsys):
    (data / "p" / "img1.npy").write_bytes(b"")
    assert run("t", "p", "--out", "res", "--quiet") == 1
    assert "p/img1.npy: empty file (0 bytes)." in capsys.readouterr().err


# --- the process's end ------------------------------------------------------------------


def test_only_the_console_script_freezes_the_garbage_collector_as_it_ends(data, monkeypatch):
    frozen = []
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(gc.get_freeze_count()))
    assert run("t", "p", "--out", "res", "--quiet") == 0  # in-process: its garbage collected
    assert frozen == []
    monkeypatch.setattr(sys, "argv", ["napari-seg-eval", "evaluate", "t", "p", "--out", "a"])
    monkeypatch.setitem(sys.modules, "IPython", sys)  # %run in IPython: its kernel goes on
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 0 and frozen == []
    monkeypatch.delitem(sys.modules, "IPython")
    monkeypatch.setattr(sys, "argv", ["napari-seg-eval", "evaluate", "t", "p", "--out", "b"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()  # as the console script calls it
    assert stopped.value.code == 0 and len(frozen) == 1
    assert (data / "b" / "summary.csv").exists()  # frozen after the work


# --- trial92: --report FILE never replaces an input, nor an existing file unasked ---------


@pytest.mark.parametrize("report", ["p/img0.npy", "t/report.html"])
def test_a_report_on_or_in_an_input_is_refused_before_any_work(data, monkeypatch, capsys, report):
    prediction = (data / "p" / "img0.npy").read_bytes()
    never_evaluated(monkeypatch)
    assert run("t", "p", "--out", "res", "--report", report) == 2
    err = capsys.readouterr().err
    assert f"--report '{report}' " in err and "an input of the run" in err
    assert (data / "p" / "img0.npy").read_bytes() == prediction  # the prediction kept
    assert entries(data / "t") == ["img0.npy", "img1.npy"] and not (data / "res").exists()


def test_an_existing_report_file_is_replaced_only_with_overwrite(data, monkeypatch, capsys):
    (data / "r.html").write_text("an earlier report")
    assert run("t", "p", "--out", "res", "--report", "r.html", "--quiet") == 2
    assert "--report 'r.html' already exists: give --overwrite" in capsys.readouterr().err
    assert (data / "r.html").read_text() == "an earlier report" and not (data / "res").exists()
    assert run("t", "p", "--out", "res", "--report", "r.html", "--overwrite", "--quiet") == 0
    assert "<html" in (data / "r.html").read_text().lower()


def test_the_last_line_says_a_truth_without_prediction_was_not_scored(data, capsys):
    np.save(data / "t" / "img2.npy", square())  # the model wrote nothing for img2
    assert run("t", "p", "--out", "res") == 0
    out = capsys.readouterr().out
    assert (
        "2 of 2 pairs evaluated; results in res; 1 ground truth file without a prediction "
        "not scored: its objects are not counted as missed (an empty prediction file would "
        f"count them; the files are listed in {os.path.join('res', 'settings.json')})"
    ) in out


# --- review94 ------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [KeyboardInterrupt, cli._Terminated])
def test_a_stop_while_the_command_imports_says_nothing_was_written(monkeypatch, capsys, stop):
    def importing(*args):  # a stop before the run's own handling (its imports)
        raise stop

    monkeypatch.setattr(cli, "_evaluate", importing)
    args = cli.argparse.Namespace()
    code = cli.evaluate([], args)
    terminated = stop is cli._Terminated
    assert code == (143 if terminated else 130)  # 128 + SIGTERM's 15 or SIGINT's 2
    word = "terminated" if terminated else "interrupted"
    assert f"{word}: nothing written." in capsys.readouterr().err


@pytest.mark.parametrize("report", ["res/per_image.csv", "res/settings.json", "res/sub/r.html"])
def test_a_report_in_the_out_folder_is_an_html_file_directly_in_it(
    data, monkeypatch, capsys, report
):
    never_evaluated(monkeypatch)
    assert run("t", "p", "--out", "res", "--report", report) == 2
    assert "in the --out folder must be an .html file directly in it" in capsys.readouterr().err
    assert not (data / "res").exists()


def readerless_pipe() -> int:
    """The write end of a pipe whose reader has gone (as ``| head`` leaves it after its
    lines): every write to it fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("command", ["report", "evaluate"])
def test_a_reader_gone_ends_the_command_quietly_with_141(data, command):
    # `napari-seg-eval report | head`: a BrokenPipeError traceback and exit 1 (evaluate's
    # "some pairs failed") before; now the exit of a writer SIGPIPE ends (128 + 13), no
    # traceback, and (evaluate) nothing written.
    argv = ["report"] if command == "report" else ["evaluate", "t", "p", "--out", "res"]
    broken = readerless_pipe()
    stream = {"stdout": broken} if command == "report" else {"stderr": broken}
    other = "stderr" if command == "report" else "stdout"
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "napari_seg_eval", *argv],
            cwd=data,
            **stream,
            **{other: subprocess.PIPE},
            text=True,
            timeout=120,
        )
    finally:
        os.close(broken)
    assert finished.returncode == 141
    assert getattr(finished, other) == ""  # no traceback, nothing said elsewhere
    assert entries(data) == ["p", "t"]


def test_a_reader_gone_after_the_results_are_written_keeps_the_runs_code(data):
    # review115: `napari-seg-eval evaluate ... | head` with stdout's reader gone: every result
    # file is written, and the summary on stdout fails. The code was 141, hiding the run's own
    # (0 here, 1 when pairs fail); now it is the run's.
    broken = readerless_pipe()
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "napari_seg_eval", "evaluate", "t", "p", "--out", "res"],
            cwd=data,
            stdout=broken,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(broken)
    assert finished.returncode == 0
    assert "Traceback" not in finished.stderr
    assert "per_image.csv" in entries(data / "res") and "summary.csv" in entries(data / "res")
