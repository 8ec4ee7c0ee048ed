"""Correlation of per-language transfer accuracy with pretraining-data size and linguistic distance.

`run(results_csv, output_dir, **options)` reads the per-locale results of evaluate_massive.py and writes the
paper's correlation table (CSV, Markdown, LaTeX), plots and a JSON summary; `ruqtopics analysis` (`python -m analysis`
in a checkout) is its CLI (`command`). See analysis/README.md.
"""

from ruqtopics_kit.analysis.errors import AnalysisInputError
from ruqtopics_kit.analysis.pipeline import Options, run

__all__ = ["AnalysisInputError", "Options", "run"]
