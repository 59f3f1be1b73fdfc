"""Renamed keyword arguments keep working for one release, with a DeprecationWarning."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def renamed_keywords(**renames: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept old keyword names (``old="new"``) with a ``DeprecationWarning`` naming the new one.

    Giving both the old and the new name is an error, so a value is never silently dropped.

    Examples
    --------
    >>> @renamed_keywords(thresholds="iou_thresholds")
    ... def f(*, iou_thresholds=(0.5,)):
    ...     return iou_thresholds
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(
                        f"{function.__name__}() got both {old}= and {new}=; "
                        f"{old}= is the old name of {new}=, give only {new}=."
                    )
                warnings.warn(
                    f"{function.__name__}(): {old}= is renamed {new}= in 0.2 and will be "
                    f"removed in 0.3; use {new}=.",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper

    return decorate
