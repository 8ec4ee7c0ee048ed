"""The per-locale results file written by evaluate_massive.py: one row per MASSIVE locale, a `locale` column
and a score column in [0, 1] (`accuracy` unless another is chosen, e.g. `macro_f1`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ruqtopics_kit.analysis.tables import index_by_locale, numeric_column, read_table, require_columns


@dataclass(frozen=True)
class Results:
    path: Path
    metric: str
    scores: pd.Series  # float in [0, 1], indexed by locale


def load_results(path: Path, metric: str) -> Results:
    path = Path(path)
    frame = read_table(path, "results")
    require_columns(frame, ["locale", metric], path, "results")
    frame = index_by_locale(frame, path, "results")
    scores = numeric_column(
        frame,
        metric,
        path,
        "results",
        low=0.0,
        high=1.0,
        range_hint=" Scores are fractions; if the file holds percentages, divide them by 100.",
    )
    return Results(path=path, metric=metric, scores=scores)
