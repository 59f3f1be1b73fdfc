"""Public names imported on first use (PEP 562), for the package and its ``io`` package."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_module(
    package: str, where: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose names load on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    where : mapping of str to str
        Each lazy name and the module (relative to ``package``) that defines it.
    public : iterable of str
        The package's ``__all__``.

    Returns
    -------
    tuple of callable
        ``__getattr__`` (a name of ``where``, else a submodule, as ``package.io`` after
        ``import package``; else AttributeError) and ``__dir__`` (the public names and the
        public submodules, loaded or not).

    Examples
    --------
    >>> __getattr__, __dir__ = lazy_module("json", {"dumps": ".encoder"}, ["dumps"])
    >>> __getattr__("decoder").__name__  # a submodule
    'json.decoder'
    """
    public = list(public)

    def __getattr__(name: str) -> Any:
        module = sys.modules[package]
        if name in where:
            value = getattr(importlib.import_module(where[name], package), name)
        elif not name.startswith("__"):
            try:
                value = importlib.import_module(f".{name}", package)
            except ModuleNotFoundError as error:
                if error.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        submodules = {
            info.name
            for info in pkgutil.iter_modules(sys.modules[package].__path__)
            if not info.name.startswith("_")
        }
        return sorted(set(public) | submodules)

    return __getattr__, __dir__
