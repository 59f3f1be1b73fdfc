"""The Examples of every public name run as written in a fresh Python session.

``tests/test_docstrings.py`` runs each module's examples in that module's namespace, where
``np`` and the module's own functions are already defined. A user copying an example from
``help(napari_seg_eval.semantic_metrics)`` has neither: here every public name's examples (and
those of its public methods) run with an empty namespace, and the examples doctest skips (they
need files or a viewer) are read instead, so that they too name only what they import.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import inspect
from collections.abc import Callable, Iterator

import pytest

import napari_seg_eval


def _public_methods(cls: type) -> Iterator[tuple[str, Callable]]:
    """``cls``'s public methods and properties, its own and inherited (not ``object``'s)."""
    seen: set[str] = set()
    for klass in cls.__mro__[:-1]:
        for attribute, member in vars(klass).items():
            if attribute.startswith("_") or attribute in seen:
                continue
            seen.add(attribute)
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if isinstance(member, property):
                member = member.fget
            if inspect.isfunction(member):
                yield attribute, member


def _documented() -> dict[str, doctest.DocTest]:
    """Every public name's (and its public methods') docstring holding examples, by name."""
    finder = doctest.DocTestFinder(recurse=False)
    tests = {}
    for name in napari_seg_eval.__all__:
        obj = getattr(napari_seg_eval, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        members = [(name, obj)]
        if inspect.isclass(obj):
            members += [(f"{name}.{attr}", method) for attr, method in _public_methods(obj)]
        for qualified, member in members:
            for test in finder.find(inspect.unwrap(member), qualified, globs={}):
                if test.examples:
                    tests[qualified] = test
    return tests


DOCUMENTED = _documented()


def _unbound_names(examples: list[doctest.Example]) -> list[str]:
    """The names ``examples`` read that no earlier line of theirs binds (nor builtins)."""
    bound = set(dir(builtins))
    unbound: list[str] = []
    for example in examples:
        tree = ast.parse(example.source)
        binds = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                binds.add(node.id)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                binds.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                binds.add(node.name)
            elif isinstance(node, ast.arg):
                binds.add(node.arg)
        for node in ast.walk(tree):
            reads = isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            if reads and node.id not in bound | binds and node.id not in unbound:
                unbound.append(node.id)
        bound |= binds
    return unbound


def test_the_public_api_has_examples_to_check():
    documented = set(DOCUMENTED)
    assert documented >= {
        "semantic_metrics",
        "evaluate",
        "InstanceResult.objects_at",
        "read_labels",
    }


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_examples_run_in_a_fresh_namespace(name):
    test = DOCUMENTED[name]
    test.globs = {}
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    report: list[str] = []
    result = runner.run(test, out=report.append)
    assert result.failed == 0, f"{name}'s examples fail in a fresh session:\n{''.join(report)}"


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_examples_import_what_they_use(name):
    unbound = _unbound_names(DOCUMENTED[name].examples)
    assert unbound == [], f"{name}'s examples use {unbound} without importing them"


def test_the_reading_check_finds_an_unimported_name():
    examples = doctest.DocTestParser().get_examples(
        ">>> import numpy as np\n>>> semantic_metrics(np.zeros(2), np.zeros(2))  # doctest: +SKIP\n"
    )
    assert _unbound_names(examples) == ["semantic_metrics"]
