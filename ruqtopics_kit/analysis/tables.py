"""Reading the CSV tables a user hands in (results, sizes) and the cached ones, with errors that name the
file and the offending locales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ruqtopics_kit.analysis.errors import AnalysisInputError, format_locales


def read_table(path: Path, what: str) -> pd.DataFrame:
    """Every cell as a string, so that validation sees exactly what the file holds."""
    path = Path(path)
    if not path.is_file():
        raise AnalysisInputError(f"The {what} file {str(path)!r} does not exist or is not a file. Check the path.")
    try:
        header = pd.read_csv(path, dtype=str, header=None, nrows=1, keep_default_na=False).iloc[0].tolist()
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:  # pandas would rename the second one (accuracy.1) and read the first
            raise AnalysisInputError(f"The {what} file {str(path)!r} names the column(s) {repeated} more than once; "
                                     f"keep one of each.")
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise AnalysisInputError(
            f"The {what} file {str(path)!r} is not a readable comma-separated table "
            f"({type(e).__name__}: {e}). Expected a header row and one row per locale."
        ) from e


def require_columns(frame: pd.DataFrame, columns, path: Path, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisInputError(
            f"The {what} file {str(path)!r} must have the columns {list(columns)}; "
            f"{missing} are missing. Columns found: {list(frame.columns)}."
        )


def index_by_locale(frame: pd.DataFrame, path: Path, what: str) -> pd.DataFrame:
    """The frame indexed by its `locale` column, which must not repeat a locale."""
    repeated = frame["locale"][frame["locale"].duplicated()].unique()
    if len(repeated):
        raise AnalysisInputError(
            f"The {what} file {str(path)!r} has more than one row for the locale(s) {format_locales(repeated)}. "
            "Keep one row per locale."
        )
    return frame.set_index("locale")


def numeric_column(
    frame: pd.DataFrame, column: str, path: Path, what: str, *, low=-np.inf, high=np.inf, range_hint: str = ""
) -> pd.Series:
    """Column `column` of a locale-indexed frame as floats in [low, high]; anything else names its locales."""
    values = pd.to_numeric(frame[column].str.strip(), errors="coerce").astype(float)
    bad = values.index[~np.isfinite(values)]
    if len(bad):
        raise AnalysisInputError(
            f"The column {column!r} of the {what} file {str(path)!r} must hold a finite number in every row; "
            f"got non-numeric or empty values for {len(bad)} locale(s): {_cells(frame, column, bad)}."
        )
    out_of_range = values.index[(values < low) | (values > high)]
    if len(out_of_range):
        raise AnalysisInputError(
            f"The column {column!r} of the {what} file {str(path)!r} must lie in [{low}, {high}]; "
            f"got {_cells(frame, column, out_of_range)}.{range_hint}"
        )
    return values


def _cells(frame: pd.DataFrame, column: str, locales) -> str:
    """`locale='text as in the file'` for up to 12 locales."""
    return ", ".join(f"{locale}={frame.at[locale, column]!r}" for locale in sorted(locales)[:12])


def tie_groups(values: dict[str, float]) -> list[list[str]]:
    """Groups of two or more keys that share a value, each sorted, ordered by value."""
    by_value: dict[float, list[str]] = {}
    for key, value in values.items():
        by_value.setdefault(value, []).append(key)
    return [sorted(keys) for value, keys in sorted(by_value.items()) if len(keys) > 1]
