"""Pretraining-size proxies per locale: the shipped `data/wiki_sizes.csv` or a user's table of the same shape.

A table needs `locale`, `in_mbert` (yes | no | cased_only) and, for the chosen proxy, exactly one column
whose name starts with the proxy's prefix (`articles_`, `dump_bz2_bytes_`, `tokens_`); the suffix records
the snapshot date, so a table of exact October 2018 counts can call its column `articles_2018_10_11`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ruqtopics_kit.analysis.errors import AnalysisInputError, format_locales
from ruqtopics_kit.analysis.locales import DATA_DIR
from ruqtopics_kit.analysis.tables import index_by_locale, numeric_column, read_table, require_columns

DEFAULT_SIZES_FILE = DATA_DIR / "wiki_sizes.csv"

PROXY_PREFIXES = {"articles": "articles_", "bytes": "dump_bz2_bytes_", "tokens": "tokens_"}

# mBERT cased (bert-base-multilingual-cased, the checkpoint the kit trains) includes the "cased_only" languages.
IN_MBERT = {"yes": True, "cased_only": True, "no": False}


@dataclass(frozen=True)
class SizeTable:
    path: Path
    column: str  # the proxy column used, e.g. "articles_2020_08"
    sizes: pd.Series  # float >= 0, indexed by locale
    in_mbert: pd.Series  # bool, indexed by locale


def load_sizes(path: Path | None, proxy: str) -> SizeTable:
    """Read and validate a size table; `path=None` means the shipped one."""
    path = Path(path) if path is not None else DEFAULT_SIZES_FILE
    frame = read_table(path, "sizes")
    require_columns(frame, ["locale", "in_mbert"], path, "sizes")
    column = proxy_column(frame.columns, proxy, path)
    frame = index_by_locale(frame, path, "sizes")
    return SizeTable(
        path=path,
        column=column,
        sizes=numeric_column(frame, column, path, "sizes", low=0),
        in_mbert=_in_mbert(frame, path),
    )


def proxy_column(columns, proxy: str, path: Path) -> str:
    prefix = PROXY_PREFIXES[proxy]
    matches = [c for c in columns if c.startswith(prefix)]
    if len(matches) != 1:
        raise AnalysisInputError(
            f"For size_proxy={proxy!r} the sizes file {str(path)!r} must have exactly one column whose name starts "
            f"with {prefix!r} (for example {prefix}2020_08); got {matches or 'none'} among {list(columns)}."
        )
    return matches[0]


def _in_mbert(frame: pd.DataFrame, path: Path) -> pd.Series:
    values = frame["in_mbert"].str.strip()
    bad = values.index[~values.isin(list(IN_MBERT))]
    if len(bad):
        raise AnalysisInputError(
            f"The column 'in_mbert' of the sizes file {str(path)!r} must be one of {list(IN_MBERT)}; "
            f"got other values for {format_locales(bad)}."
        )
    return values.map(IN_MBERT).astype(bool)
