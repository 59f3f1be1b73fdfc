"""The receiver of a run's progress reports (:class:`Progress`) and the command line's
progress bar (:class:`TextProgress`), apart from the evaluation of files so that the command
line defines its progress without importing that."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Receives progress reports; this base ignores them (see :class:`TextProgress`)."""

    def start(self, total: int) -> None:
        """The run starts with ``total`` pairs."""

    def pair_done(self, done: int, total: int, name: str, error: str | None) -> None:
        """``done`` of ``total`` pairs are finished; the last was ``name``."""

    def chunk_done(self, done: int, total: int) -> None:
        """``done`` of ``total`` dask tasks reading the current pair's chunks are finished."""

    def close(self) -> None:
        """The run is over."""


class TextProgress(Progress):
    """A one-line text progress bar on ``stream`` (stderr by default): pairs done / total, and
    the dask tasks reading the chunks of a large image. On a terminal the line is redrawn in
    place; otherwise (a file, a pipe, a notebook's output) a line is printed every 5% of the
    pairs, and nothing else but each failed pair.

    Examples
    --------
    >>> import io, re
    >>> stream = io.StringIO()  # not a terminal: a line per pair here (2 pairs)
    >>> bar = TextProgress(stream, width=4)
    >>> bar.start(2)
    >>> bar.pair_done(1, 2, "img1", None)
    >>> bar.pair_done(2, 2, "img2", "unreadable")
    >>> print(re.sub(r"[0-9]+ s ", "T s ", stream.getvalue()), end="")  # T: the seconds taken
    [##--] 1/2 pairs, T s  img1
    failed: img2: unreadable
    [####] 2/2 pairs, 1 failed, T s  img2
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = 0
        self.done = 0
        self.failed = 0
        self.started = time.perf_counter()
        self._last_line = -1

    def start(self, total: int) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.started = time.perf_counter()

    def pair_done(self, done: int, total: int, name: str, error: str | None) -> None:
        self.done = done
        if error is not None:
            self.failed += 1
            self._clear()
            print(f"failed: {name}: {error}", file=self.stream)
        self._draw(f"{name}")

    def chunk_done(self, done: int, total: int) -> None:
        if self.interactive:
            self._draw(f"tasks {done}/{total} of pair {self.done + 1}")

    def close(self) -> None:
        if self.interactive and self.total:
            print(file=self.stream)

    def _draw(self, detail: str) -> None:
        filled = round(self.width * self.done / max(self.total, 1))
        bar = "#" * filled + "-" * (self.width - filled)
        failed = f", {self.failed} failed" if self.failed else ""
        elapsed = time.perf_counter() - self.started
        line = f"[{bar}] {self.done}/{self.total} pairs{failed}, {elapsed:.0f} s  {detail}"
        if self.interactive:
            print(f"\r{line[:120]:<120}", end="", file=self.stream, flush=True)
            return
        step = max(1, self.total // 20)
        if self.done == self.total or self.done // step != self._last_line:
            self._last_line = self.done // step
            print(line, file=self.stream)

    def _clear(self) -> None:
        if self.interactive:
            print("\r" + " " * 120 + "\r", end="", file=self.stream)
