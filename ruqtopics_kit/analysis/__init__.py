"""Correlation of per-language transfer accuracy with pretraining-data size and linguistic distance.

`run(results_csv, output_dir, **options)` reads the per-locale results of evaluate_massive.py and writes the
paper's correlation table (CSV, Markdown, LaTeX), plots and a JSON summary; `ruqtopics analysis` (`python -m analysis`
in a checkout) is its CLI (`command`). See analysis/README.md.

`run` and `Options` are imported on first use (PEP 562), so that reading the names of the analysis' files
(`pipeline`'s constants, for the release's layout) does not import matplotlib and scipy.
"""

from ruqtopics_kit.analysis.errors import AnalysisInputError

__all__ = ["AnalysisInputError", "Options", "run"]


def __getattr__(name: str):
    if name in ("Options", "run"):
        from ruqtopics_kit.analysis import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
