"""Warnings that point at the user's line, however deep in this package they are given."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: Frames of files under this folder are the package's own (real paths: a linked install too).
_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep

#: The public function the user called, when it computes its result with another public
#: function (``review_objects`` with ``instance_metrics``): the name its warnings give.
_CALLED: ContextVar[str | None] = ContextVar("called", default=None)

#: Said when images of more than 3 axes longer than 1 are compared as one volume.
TIME_SERIES_HINT = (
    "{function}: the images have {ndim} axes longer than 1: they are compared as one "
    "{ndim}-D volume, each id one object through all of them. For a time series (or a stack "
    "of channels), evaluate(..., plane_axis=<the "
    "time axis>, label_each_plane=True) scores every frame, its objects never spanning frames "
    "(or call {function} frame by frame)."
)


@contextmanager
def called_as(name: str) -> Iterator[None]:
    """Within this block, warnings that name a function (:func:`caller`) name ``name``: the
    function the user called, not the public function it computes with. The outermost name
    holds (a block inside another keeps the first name).

    Examples
    --------
    >>> with called_as("review_objects"):
    ...     caller("instance_metrics")
    'review_objects'
    >>> caller("instance_metrics")
    'instance_metrics'
    """
    token = _CALLED.set(_CALLED.get() or name)
    try:
        yield
    finally:
        _CALLED.reset(token)


def caller(default: str) -> str:
    """The name a warning gives the function it is about: ``default`` (the function giving
    it), or the function the user called, inside :func:`called_as`."""
    return _CALLED.get() or default


def warn(message: str | Warning, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` at the first frame outside this package: the caller's line, past
    keyword wrappers and internal helpers (as Python 3.12's ``skip_file_prefixes``).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("a notice", RuntimeWarning)
    >>> caught[0].category.__name__, caught[0].filename.startswith(_PACKAGE)
    ('RuntimeWarning', False)
    """
    level, frame = 1, sys._getframe(1)
    while frame is not None and os.path.realpath(frame.f_code.co_filename).startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    if isinstance(message, Warning):
        warnings.warn(message, stacklevel=level + 1)
    else:
        warnings.warn(message, category, stacklevel=level + 1)


def warn_if_time_series(shape: tuple[int, ...], function: str) -> None:
    """A ``RuntimeWarning`` (:data:`TIME_SERIES_HINT`) when images of ``shape`` have more than 3
    axes longer than 1: a time series of volumes (or of planes with a channel) compared as one
    4-D volume, whose ids are objects through all frames.

    Parameters
    ----------
    shape : tuple of int
        The images' shape.
    function : str
        The public function comparing them (:func:`caller` names the one the user called).

    Examples
    --------
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_time_series((3, 20, 64, 64), "instance_metrics")
    ...     warn_if_time_series((1, 20, 64, 64), "instance_metrics")  # one frame: a volume
    >>> [str(w.message)[:60] for w in caught]
    ['instance_metrics: the images have 4 axes longer than 1: they']
    """
    long_axes = sum(length > 1 for length in shape)
    if long_axes > 3:
        warn(TIME_SERIES_HINT.format(function=caller(function), ndim=long_axes), RuntimeWarning)
