"""The receiver of a run's progress reports (:class:`Progress`), apart from the evaluation of
files so that the command line defines its progress bar without importing that."""

from __future__ import annotations


class Progress:
    """Receives progress reports; this base ignores them (see ``TextProgress``)."""

    def start(self, total: int) -> None:
        """The run starts with ``total`` pairs."""

    def pair_done(self, done: int, total: int, name: str, error: str | None) -> None:
        """``done`` of ``total`` pairs are finished; the last was ``name``."""

    def chunk_done(self, done: int, total: int) -> None:
        """``done`` of ``total`` dask tasks reading the current pair's chunks are finished."""

    def close(self) -> None:
        """The run is over."""
