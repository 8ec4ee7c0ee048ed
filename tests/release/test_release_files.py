"""Every file name of the release folder is written by one module, its owner: the others use its constant.

A string literal anywhere else in the package that names one of these files as a path (`"results.csv"`,
`f"{name}/results.csv"`) fails here, so renaming a file stays a one-line change and no reader guesses a name of
its own. Prose is not a path: docstrings and literals with white space in them (help texts, messages) may name a
file.
"""

import ast
import functools
import re
from pathlib import Path

import pytest
from checkout import ROOT

from ruqtopics_kit.analysis import report as analysis_report
from ruqtopics_kit.massive import report as massive_report
from ruqtopics_kit.massive import scoring
from ruqtopics_kit.release import layout
from ruqtopics_kit.training import outputs

PACKAGE = ROOT / "ruqtopics_kit"
OWNERS = {  # file name -> (the module that owns it, the constant that holds it there)
    "results.csv": (massive_report, "RESULTS_CSV"), "results.json": (massive_report, "RESULTS_JSON"),
    "results.md": (massive_report, "RESULTS_MD"), "counts.csv": (massive_report, "COUNTS_CSV"),
    "accuracy.png": (massive_report, "ACCURACY_PLOT"),
    "predictions.parquet": (scoring, "PREDICTIONS_FILE"), "sensitivity.csv": (scoring, "SENSITIVITY_FILE"),
    "correlations.csv": (analysis_report, "CORRELATIONS_CSV"),
    "correlations.md": (analysis_report, "CORRELATIONS_MD"),
    "correlations.tex": (analysis_report, "CORRELATIONS_TEX"),
    "summary.json": (analysis_report, "SUMMARY_FILE"),
    "all_results.json": (outputs, "RESULTS_FILE"), "training_args.json": (outputs, "ARGS_FILE"),
    "test_predictions.parquet": (outputs, "PREDICTIONS_FILE"),
    "not_computed.txt": (layout, "NOT_COMPUTED_FILE"), "report.md": (layout, "REPORT_FILE"),
    "claims.json": (layout, "CLAIMS_FILE"),
}


def naming(name: str) -> re.Pattern:
    """`name` as a whole file name (`results.json` does not match inside `all_results.json`)."""
    return re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w])")


@functools.cache  # each module is parsed once for all the names
def literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal of a module but its prose: docstrings, and literals with white space
    (f-strings' parts are literals of their own)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and not re.search(r"\s", node.value)]


@pytest.mark.parametrize("name", OWNERS)
def test_each_release_file_is_named_by_its_owner_only(name):
    owner, constant = OWNERS[name]
    assert getattr(owner, constant) == name
    owner_path = Path(owner.__file__).resolve()
    pattern = naming(name)
    elsewhere = [f"{path.relative_to(ROOT)}:{line}" for path in sorted(PACKAGE.rglob("*.py"))
                 if path.resolve() != owner_path for line, text in literals(path) if pattern.search(text)]
    assert not elsewhere, f"{name} is written as a literal outside {owner.__name__} ({constant}): {elsewhere}"


def test_the_check_finds_a_literal():
    assert naming("results.json").search("massive/x/results.json")
    assert not naming("results.json").search("all_results.json")
    assert (1, "results.csv") in [(line > 0, text) for line, text in literals(Path(__file__))]  # OWNERS' keys
