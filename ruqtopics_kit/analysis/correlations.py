"""The rows of the correlation table: accuracy against the smoothed pretraining size and against each
distance from Russian, each distance also as a partial Spearman controlling for size (distance from Russian and
pretraining size are correlated, so a marginal correlation with distance can be size's). Every Spearman and partial
Spearman row has a percentile-bootstrap interval, from BOOTSTRAP_MIN_N locales on (below, none: its note says why).

The table is computed over the paper's locales (the 51 of MASSIVE 1.0, `locales` = PAPER_LOCALES); when the results
hold others (ca-ES, MASSIVE 1.1 only), again over all of them (`locales` = ALL_LOCALES), marked as beyond the
paper's set."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ruqtopics_kit.analysis.distances import DISTANCE_KINDS
from ruqtopics_kit.statistics import (
    BOOTSTRAP_MIN_N,
    PARTIAL_MIN_N,
    bootstrap_spearman_interval,
    kendall,
    partial_spearman,
    pearson,
    spearman,
)

PAPER_LOCALES, ALL_LOCALES = "massive_1.0", "all"
INTERVAL_METHODS = ("spearman", "partial_spearman")
ESTIMATORS = {"spearman": spearman, "kendall": kendall, "pearson_log1p": pearson, "pearson": pearson}


@dataclass(frozen=True)
class RowSpec:
    predictor: str  # "size" or a distance kind
    method: str  # a key of ESTIMATORS, or "partial_spearman"
    column: str  # the column of the analysis frame the score is correlated with
    controls: str = ""  # the column partialled out, for "partial_spearman"


@dataclass(frozen=True)
class Row:
    predictor: str
    method: str
    controls: str
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    n: int
    note: str


def row_specs() -> list[RowSpec]:
    size_rows = [
        RowSpec("size", "spearman", "smoothed_size"),
        RowSpec("size", "kendall", "smoothed_size"),
        RowSpec("size", "pearson_log1p", "log1p_smoothed_size"),
        RowSpec("size", "pearson", "smoothed_size"),
        RowSpec("size", "partial_spearman", "smoothed_size", controls="genetic"),
    ]
    distance_rows = [RowSpec(kind, method, kind) for kind in DISTANCE_KINDS for method in ("spearman", "kendall")]
    partial_rows = [RowSpec(kind, "partial_spearman", kind, controls="smoothed_size") for kind in DISTANCE_KINDS]
    return size_rows + distance_rows + partial_rows


def correlation_table(frame: pd.DataFrame, *, n_bootstrap: int, seed: int,
                      locales: str = PAPER_LOCALES) -> pd.DataFrame:
    """One row per RowSpec, each marked with `locales` (which set of locales `frame` holds). `frame` has a `score`
    column and the columns the specs name; the score must not be constant (the caller checks). A constant
    predictor gives an undefined row with a note."""
    rows = [_row(frame, spec, n_bootstrap=n_bootstrap, seed=seed) for spec in row_specs()]
    return pd.DataFrame([{**asdict(row), "locales": locales} for row in rows])


def _row(frame: pd.DataFrame, spec: RowSpec, *, n_bootstrap: int, seed: int) -> Row:
    n = len(frame)
    reason = _undefined_because(frame, spec)
    if reason:
        return Row(
            spec.predictor, spec.method, spec.controls, np.nan, np.nan, np.nan, np.nan, n, f"undefined: {reason}"
        )
    score, predictor = frame["score"].to_numpy(), frame[spec.column].to_numpy()
    control = frame[spec.controls].to_numpy() if spec.controls else None
    if spec.controls:
        result = partial_spearman(score, predictor, control)
    else:
        result = ESTIMATORS[spec.method](score, predictor)
    low, high = (
        bootstrap_spearman_interval(score, predictor, n_resamples=n_bootstrap, seed=seed, control=control)
        if spec.method in INTERVAL_METHODS
        else (np.nan, np.nan)
    )
    note = (f"no interval: the bootstrap needs at least {BOOTSTRAP_MIN_N} locales, {n} given"
            if spec.method in INTERVAL_METHODS and n < BOOTSTRAP_MIN_N else "")
    return Row(spec.predictor, spec.method, spec.controls, result.statistic, result.p_value, low, high, n, note)


def _undefined_because(frame: pd.DataFrame, spec: RowSpec) -> str:
    """Why the row's statistic does not exist for these locales, or "" when it does."""
    names = {"score": "the score", spec.column: spec.predictor, spec.controls: spec.controls}
    constant = [names[c] for c in (spec.column, spec.controls) if c and frame[c].nunique() < 2]
    if constant:
        return f"{' and '.join(constant)} is constant over the {len(frame)} locales"
    if spec.controls and len(frame) < PARTIAL_MIN_N:
        return (f"a partial Spearman needs at least {PARTIAL_MIN_N} locales (n - 3 degrees of freedom); "
                f"{len(frame)} given")
    if spec.controls:
        # partialling out a variable with the same (or reversed) ranks as x or y leaves nothing to correlate
        collinear = [
            names[c]
            for c in ("score", spec.column)
            if np.isclose(abs(spearman(frame[c], frame[spec.controls]).statistic), 1)
        ]
        if collinear:
            return f"{spec.controls} ranks the {len(frame)} locales exactly as {' and '.join(collinear)} does"
    return ""
