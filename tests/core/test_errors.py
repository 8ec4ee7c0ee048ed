"""One error hierarchy: every exception class the kit defines derives from core.errors.KitError (read with `ast`,
so that a new error class in any module, imported or not, is checked) and keeps a builtin base."""

import ast
import re

import pytest
from checkout import ROOT

from ruqtopics_kit.core.errors import InvalidParameterError, KitError

KIT = ROOT / "ruqtopics_kit"
BUILTIN_BASES = {"ValueError", "TypeError", "OSError", "FileExistsError", "RuntimeError"}


def error_classes() -> dict[str, list[str]]:
    """`module:Class` -> the names of its bases, for every class of the kit whose name ends in Error."""
    found = {}
    for path in sorted(KIT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                bases = [base.id if isinstance(base, ast.Name) else ast.unparse(base) for base in node.bases]
                found[f"{path.relative_to(KIT.parent)}:{node.name}"] = bases
    return found


def test_the_kit_defines_its_errors():
    assert len(error_classes()) >= 10  # the walk finds them: a test that cannot fail is a defect


@pytest.mark.parametrize("name, bases", sorted(error_classes().items()))
def test_every_error_derives_from_kit_error_and_a_builtin(name, bases):
    if name.endswith(":KitError"):
        return
    assert bases[0] == "KitError", f"{name} must derive from KitError first; its bases are {bases}"
    assert set(bases[1:]) & BUILTIN_BASES, f"{name} must keep a builtin base (ValueError, OSError, ...): {bases}"


def test_option_errors_are_kit_errors_and_value_errors():
    error = InvalidParameterError("x")
    assert isinstance(error, KitError) and isinstance(error, ValueError) and isinstance(error, TypeError)


def message_texts(tree: ast.AST) -> list[str]:
    """The literal text of every message the kit raises: the string parts of each `raise X(...)`'s arguments."""
    return [node.value for raised in ast.walk(tree) if isinstance(raised, ast.Raise) and raised.exc is not None
            for node in ast.walk(raised.exc) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_no_message_names_a_python_parameter_for_an_option():
    """'pass --overwrite-output-dir', not '(overwrite=True)': a user of the command line has no such parameter."""
    keyword = re.compile(r"\([a-z]+(_[a-z]+)*=(True|False)\)")  # a tokenizer's `do_lower_case=True` is its own
    found = [f"{path.relative_to(KIT.parent)}: {text!r}" for path in sorted(KIT.rglob("*.py"))
             for text in message_texts(ast.parse(path.read_text(encoding="utf-8"))) if keyword.search(text)]
    assert found == []
