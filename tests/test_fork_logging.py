"""--workers forks its workers from a process whose other threads log: a fork in the middle of
a log record gave the child a stream whose lock no thread of its would ever release, and the
worker hung at its first record (CI, once in a while)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading

import pytest

from napari_seg_eval import __main__ as cli

pytestmark = pytest.mark.skipif(
    sys.platform == "darwin" or "fork" not in multiprocessing.get_all_start_methods(),
    reason="--workers forks only where processes can fork",
)

#: Set by this module's fork hook when a fork begins, while a test watches for one.
FORK_BEGINS = threading.Event()
WATCHING = threading.Event()
NOTED: list[bool] = []  # whether the hook is registered in this process


def _note_fork() -> None:
    if WATCHING.is_set():
        FORK_BEGINS.set()


def watch_forks() -> None:
    """Register :func:`_note_fork` once, after the guard's hook: fork hooks run last
    registered first, so it says a fork has begun before the guard waits."""
    if not NOTED:
        os.register_at_fork(before=_note_fork)
        NOTED.append(True)


class HeldStream:
    """A stream whose write holds its own lock (as a file's buffer does) and, for the parent's
    record, waits inside it for ``finish``."""

    def __init__(self, writing: threading.Event, finish: threading.Event) -> None:
        self.lock = threading.Lock()
        self.writing, self.finish = writing, finish

    def write(self, text: str) -> None:
        with self.lock:
            if text.startswith("parent"):
                self.writing.set()
                self.finish.wait()

    def flush(self) -> None:
        with self.lock:
            pass


def test_a_fork_waits_for_the_log_record_being_written():
    cli._forks_between_log_records()  # what --workers does before its cluster forks
    watch_forks()
    writing, finish = threading.Event(), threading.Event()
    logger = logging.getLogger("napari_seg_eval.tests.fork")
    logger.propagate, logger.level = False, logging.INFO
    handler = logging.StreamHandler(HeldStream(writing, finish))
    logger.addHandler(handler)
    try:
        writer = threading.Thread(target=logger.info, args=("parent",))
        writer.start()
        writing.wait()  # the parent's record is half written
        children = []
        context = multiprocessing.get_context("fork")

        def fork() -> None:
            child = context.Process(target=logger.info, args=("child",))
            child.start()
            children.append(child)

        WATCHING.set()
        forker = threading.Thread(target=fork)  # distributed forks from a thread of its own
        forker.start()
        FORK_BEGINS.wait()
        finish.set()  # the record ends; the fork went on before it (old) or after it (new)
        forker.join()
        writer.join()
        (child,) = children
        child.join(timeout=60)  # a bound for the old hang, not a wait for time to pass
        if child.exitcode is None:
            child.kill()
            child.join()
        assert child.exitcode == 0  # the child wrote its record and ended
    finally:
        WATCHING.clear()
        FORK_BEGINS.clear()
        logger.removeHandler(handler)
