"""Correlation of per-language transfer accuracy with pretraining-data size and linguistic distance.

`run(results_csv, output_dir, **options)` reads the per-locale results of evaluate_massive.py and writes the
paper's correlation table (CSV, Markdown, LaTeX), plots and a JSON summary; `python -m analysis` is its CLI.
See analysis/README.md.
"""

from .errors import AnalysisInputError, InvalidParameterError
from .pipeline import Options, run

__all__ = ["AnalysisInputError", "InvalidParameterError", "Options", "run"]
