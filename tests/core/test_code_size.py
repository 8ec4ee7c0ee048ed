"""The house's size rules, checked on every module of the package: a module holds at most 400 lines and a
function (or method) at most 50, from its `def` to its last line. A module that grows past them is split along its
concerns, a function into named steps; this test names every one over the limit."""

import ast

import pytest
from checkout import ROOT

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
MODULES = sorted((ROOT / "ruqtopics_kit").rglob("*.py"))


def too_long_functions(source: str) -> list[str]:
    return [f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_the_walk_finds_the_package():
    assert len(MODULES) > 50


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path):
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{len(source.splitlines())} lines"
    assert too_long_functions(source) == []


def test_the_function_rule_counts_from_def_to_the_last_line():
    body = "\n".join(f"    x{n} = {n}" for n in range(MAX_FUNCTION_LINES))
    assert too_long_functions(f"def f():\n{body}\n") == [f"f (line 1): {MAX_FUNCTION_LINES + 1} lines"]
    assert too_long_functions("def g():\n" + "\n".join(body.splitlines()[1:]) + "\n") == []
